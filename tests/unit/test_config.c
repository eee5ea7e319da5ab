/* test_config.c: the INI loader: defaults from the option tables, sizes and durations,
 * file:line errors for unknown keys and bad values, inputs from [kind:name] sections. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "engine/adapter.h"
#include "engine/config.h"

static char *write_conf(const char *text)
{
	static char path[64];
	int fd;

	strcpy(path, "/tmp/gg-test-conf-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static void test_sizes_and_durations(void **state)
{
	int64_t v;
	int b;

	assert_int_equal(gg_parse_size("512", &v), 0);
	assert_int_equal(v, 512);
	assert_int_equal(gg_parse_size("32k", &v), 0);
	assert_int_equal(v, 32 * 1024);
	assert_int_equal(gg_parse_size("4M", &v), 0);
	assert_int_equal(v, 4 * 1024 * 1024);
	assert_int_not_equal(gg_parse_size("4X", &v), 0);
	assert_int_not_equal(gg_parse_size("-1", &v), 0);
	assert_int_not_equal(gg_parse_size("99999999999999999999", &v), 0);
	assert_int_equal(gg_parse_duration_ms("250ms", &v), 0);
	assert_int_equal(v, 250);
	assert_int_equal(gg_parse_duration_ms("30", &v), 0);
	assert_int_equal(v, 30000);
	assert_int_equal(gg_parse_duration_ms("5m", &v), 0);
	assert_int_equal(v, 300000);
	assert_int_equal(gg_parse_duration_ms("1d", &v), 0);
	assert_int_equal(v, 86400000);
	assert_int_not_equal(gg_parse_duration_ms("1w", &v), 0);
	assert_int_equal(gg_parse_bool("Yes", &b), 0);
	assert_int_equal(b, 1);
	assert_int_equal(gg_parse_bool("off", &b), 0);
	assert_int_equal(b, 0);
	assert_int_not_equal(gg_parse_bool("maybe", &b), 0);
}

static void test_full_config(void **state)
{
	char *path = write_conf("[gridgate]\nstate_dir = /tmp/gg-state\n"
				"[spool]\nmax_pending = 500\nkeep_done = 2h\n"
				"[xmpp]\njid = gateway@example.org\npassword = secret\n"
				"window = 16\n"
				"[filedrop:incoming]\ndirectory = /tmp/gg-drop\nmax_file_size = 64k\n");
	struct gg_config *cfg = NULL;
	struct gg_error err;

	assert_int_equal(gg_config_load(path, &cfg, &err), 0);
	unlink(path);
	assert_string_equal(cfg->spool.path, "/tmp/gg-state/spool.db");
	assert_int_equal(cfg->spool.max_pending, 500);
	assert_int_equal(cfg->spool.keep_done_ms, 2 * 3600 * 1000);
	assert_int_equal(cfg->spool.batch, 64); /* the table's default */
	assert_string_equal(cfg->xmpp.domain, "example.org");
	assert_string_equal(cfg->xmpp.topic, "iodef");
	assert_int_equal(cfg->xmpp.window, 16);
	assert_int_equal(cfg->xmpp.port, 5222);
	assert_int_equal(cfg->n_inputs, 1);
	assert_string_equal(cfg->inputs[0].name, "incoming");
	assert_string_equal(cfg->inputs[0].adapter->name, "filedrop");
	gg_config_free(cfg);
}

static void expect_error(const char *text, const char *needle, int line)
{
	char *path = write_conf(text);
	struct gg_config *cfg = NULL;
	struct gg_error err;

	gg_error_clear(&err);
	assert_int_not_equal(gg_config_load(path, &cfg, &err), 0);
	unlink(path);
	assert_null(cfg);
	if (strstr(err.msg, needle) == NULL)
		fail_msg("error '%s' lacks '%s'", err.msg, needle);
	if (line > 0) {
		char where[32];

		snprintf(where, sizeof(where), ":%d: ", line);
		if (strstr(err.msg, where) == NULL)
			fail_msg("error '%s' lacks line %d", err.msg, line);
	}
}

static void test_errors_name_file_and_line(void **state)
{
	expect_error("[xmpp]\njid = a@b\npassword = x\nwindwo = 3\n", "unknown key 'windwo'", 4);
	expect_error("[xmpp]\njid = a@b\npassword = x\nwindow = many\n", "not an integer", 4);
	expect_error("[spool]\nkeep_done = soon\n", "not a duration", 2);
	expect_error("[nosuch]\nx = 1\n", "unknown section", 2);
	expect_error("[nosuch:a]\nport = 514\n", "unknown input kind 'nosuch'", 2);
	expect_error("[xmpp]\npassword = x\n", "jid is required", 0);
	expect_error("[xmpp]\njid = a@b\n", "needs password", 0);
	expect_error("[xmpp]\njid = a@b\npassword = x\n[filedrop:d]\nmax_file_size = 1k\n",
		     "directory is required", 0);
	expect_error("[xmpp]\njid = a@b\npassword = x\nwindow = 0\n", "window", 0);
}

static void test_password_file(void **state)
{
	char *secret = strdup(write_conf("s3cret\nignored\n"));
	char text[256];
	struct gg_config *cfg = NULL;
	struct gg_error err;
	char *path;

	snprintf(text, sizeof(text), "[xmpp]\njid = a@b\npassword_file = %s\n", secret);
	path = write_conf(text);
	assert_int_equal(gg_config_load(path, &cfg, &err), 0);
	assert_string_equal(cfg->xmpp.password, "s3cret");
	gg_config_free(cfg);
	unlink(path);
	unlink(secret);
	free(secret);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sizes_and_durations),
		cmocka_unit_test(test_full_config),
		cmocka_unit_test(test_errors_name_file_and_line),
		cmocka_unit_test(test_password_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
