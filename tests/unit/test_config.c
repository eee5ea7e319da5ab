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
#include "engine/config_files.h"

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

/* The whole message: "PATH:" + want (want starts at the line number). */
static void expect_message(const char *text, const char *want)
{
	char *path = write_conf(text);
	struct gg_config *cfg = NULL;
	struct gg_error err;
	char full[600];

	gg_error_clear(&err);
	assert_int_not_equal(gg_config_load(path, &cfg, &err), 0);
	assert_null(cfg);
	snprintf(full, sizeof(full), "%s:%s", path, want);
	unlink(path);
	if (strcmp(err.msg, full) != 0)
		fail_msg("error\n  '%s', want\n  '%s'", err.msg, full);
}

#define XMPP "[xmpp]\njid = a@b\npassword = x\n" /* lines 1-3 */

static void test_errors_name_file_and_line(void **state)
{
	expect_message(XMPP "windwo = 3\n",
		       "4: [xmpp] windwo = 3: unknown key (did you mean window?)");
	expect_message(XMPP "colour = 3\n",
		       "4: [xmpp] colour = 3: unknown key (`gridgate help xmpp` lists the keys)");
	expect_message(XMPP "window = many\n",
		       "4: [xmpp] window = many: not an integer; must be within 1..4096");
	expect_message("[spool]\nkeep_done = soon\n" XMPP,
		       "2: [spool] keep_done = soon: not a duration (250ms, 30s, 5m, 1h, 1d); "
		       "must be within 0..366d");
	expect_message("[nosuch]\nx = 1\n",
		       "1: [nosuch]: unknown section (sections: [gridgate], [spool], [xmpp], "
		       "[KIND:NAME] with KIND one of filedrop, syslog, subscribe, pull, webhook, "
		       "webhook_route, rid, rid_partner, out_grid, export)");
	expect_message("[nosuch:a]\nport = 514\n",
		       "1: [nosuch:a]: unknown kind 'nosuch' (kinds: filedrop, syslog, subscribe, pull, "
		       "webhook, webhook_route, rid, rid_partner, out_grid, export)");
	expect_message(XMPP "garbage\n",
		       "4: syntax error: a line is [SECTION], KEY = VALUE or a ; comment");
	expect_message(XMPP "  port = 5\n", "4: [xmpp]: indented line continues password's "
		       "value; write KEY = VALUE at the start of the line");
	expect_error(XMPP "[filedrop:d]\nmax_file_size = 1k\n", "directory is required", 4);
	expect_error(XMPP "[syslog:in]\n[filedrop:in]\ndirectory = /tmp\n",
		     "name 'in' is taken by [syslog:in] (line 4)", 5);
}

static void test_ranges_and_words_from_the_table(void **state)
{
	expect_message(XMPP "port = 70000\n", "4: [xmpp] port = 70000: must be within 1..65535");
	expect_message(XMPP "window = 0\n", "4: [xmpp] window = 0: must be within 1..4096");
	expect_message("[spool]\nbatch = 0\n" XMPP, "2: [spool] batch = 0: must be within 1..10000");
	expect_message("[gridgate]\nmax_document_size = 1M\nmax_document_size_x = 1\n",
		       "3: [gridgate] max_document_size_x = 1: unknown key (did you mean "
		       "max_document_size?)");
	expect_message("[gridgate]\nmax_document_size = 100G\n",
		       "2: [gridgate] max_document_size = 100G: must be within 4k..64M");
	expect_message("[gridgate]\nregex_match_limit = 10\n",
		       "2: [gridgate] regex_match_limit = 10: must be within 1000..100000000");
	expect_message("[gridgate]\nlog_level = loud\n",
		       "2: [gridgate] log_level = loud: must be one of error, warn, info, debug");
	expect_message(XMPP "reconnect_min = 5ms\n",
		       "4: [xmpp] reconnect_min = 5ms: must be within 10ms..1h");
	expect_message(XMPP "[filedrop:in]\ndirectory = /tmp\nunmatched = keep\n",
		       "6: [filedrop:in] unmatched = keep: must be one of generic, drop");
	expect_message(XMPP "[filedrop:in]\ndirectory = /tmp\nmax_invalid_utf8 = 101\n",
		       "6: [filedrop:in] max_invalid_utf8 = 101: must be within 0..100");
	expect_message(XMPP "[syslog:s]\nprotocol = udpp\n",
		       "5: [syslog:s] protocol = udpp: must be one of udp, tcp, tls");
	expect_message(XMPP "[syslog:s]\nmax_message_size = 100\n",
		       "5: [syslog:s] max_message_size = 100: must be within 480..16M");
	expect_message(XMPP "[syslog:s]\nrate_sources = 0\n",
		       "5: [syslog:s] rate_sources = 0: must be within 1..16777216");
	expect_message(XMPP "[syslog:s]\ntls_require_client_cert = maybe\n",
		       "5: [syslog:s] tls_require_client_cert = maybe: not yes or no (or "
		       "true/false, on/off, 1/0)");
}

static void test_duplicates_refused(void **state)
{
	expect_message(XMPP "jid = c@d\n", "4: [xmpp] jid set twice (first at line 2)");
	expect_message(XMPP "[filedrop:incoming]\ndirectory = /a\n[filedrop:incoming]\n"
		       "max_file_size = 1k\n", "6: [filedrop:incoming] appears twice (first at "
		       "line 4); each instance needs a NAME of its own");
	/* A global section may be reopened, but its keys are still set once. */
	expect_message("[spool]\nbatch = 8\n" XMPP "[spool]\nbatch = 9\n",
		       "7: [spool] batch set twice (first at line 2)");
}

static void test_checks_after_parsing_name_the_key(void **state)
{
	expect_message(XMPP "reconnect_min = 1m\n",
		       "4: [xmpp] reconnect_min = 1m: must not exceed reconnect_max (30s, the "
		       "default)");
	expect_message(XMPP "reconnect_min = 10s\nreconnect_max = 5s\n",
		       "4: [xmpp] reconnect_min = 10s: must not exceed reconnect_max (5s, line 5)");
	expect_message(XMPP "reconnect_max = 100ms\n",
		       "4: [xmpp] reconnect_max = 100ms: must be at least reconnect_min (500ms, the "
		       "default)");
	expect_message("[gridgate]\nmax_record_size = 200k\n" XMPP,
		       "2: [gridgate] max_record_size = 200k: must be at most max_document_size/2 "
		       "(120k)");
	expect_message("[gridgate]\nmax_document_size = 32k\n" XMPP,
		       "2: [gridgate] max_document_size = 32k: must be at least twice "
		       "max_record_size (32k, the default)");
	expect_message("[xmpp]\njid = gateway\npassword = x\n",
		       "2: [xmpp] jid = gateway: malformed: must be user@domain or "
		       "user@domain/resource");
	expect_message("[xmpp]\npassword = x\n", "1: [xmpp] jid is required (the gateway's JID: "
		       "user@domain, or user@domain/resource)");
	expect_message("[spool]\nbatch = 8\n", " no output: records need somewhere to go (an "
		       "[xmpp] section, the XMPP-Grid publisher, or an output section such as "
		       "[out_grid:NAME])");
	/* Output sections: checked like [xmpp], named apart from it, routed to by name. */
	expect_message("[out_grid:second]\npassword = x\n", "1: [out_grid:second] jid is "
		       "required (the gateway's JID: user@domain, or user@domain/resource)");
	expect_message(XMPP "[out_grid:grid]\njid = a@b\npassword = x\n", "4: [out_grid:grid]: "
		       "the name 'grid' is the [xmpp] section's output; name this one otherwise");
	expect_message(XMPP "[filedrop:d]\ndirectory = /tmp\noutputs = grid nosuch\n",
		       "6: [filedrop:d] outputs = grid nosuch: no output named 'nosuch' (outputs: "
		       "grid)");
	expect_message(XMPP "[filedrop:d]\ndirectory = /tmp\noutputs = grid, grid\n",
		       "6: [filedrop:d] outputs = grid, grid: 'grid' is named twice");
	expect_message(XMPP "[out_grid:d]\njid = a@b\npassword = x\n[filedrop:d]\n",
		       "7: [filedrop:d]: name 'd' is taken by [out_grid:d] (line 4); names are "
		       "unique across kinds");
	expect_message("[xmpp]\njid = a@b\n\n", "1: [xmpp]: needs password, password_file, or "
		       "client_cert with client_key");
	expect_message(XMPP "client_cert = /c.pem\n", "4: [xmpp] client_cert = /c.pem: client_cert "
		       "and client_key go together: set client_key too");
	expect_message("[xmpp]\njid = a@b\npassword_file = /nonexistent/pw\n",
		       "3: [xmpp] password_file = /nonexistent/pw: cannot read: No such file or "
		       "directory");
	expect_message(XMPP "[filedrop:d]\n",
		       "4: [filedrop:d] directory is required (watched directory; done/ and "
		       "failed/ are created inside it)");
	expect_message(XMPP "[filedrop:d]\ndirectory = /tmp\ntimezone = CET\n",
		       "6: [filedrop:d] timezone = CET: only UTC, Z, +HH:MM and -HH:MM are "
		       "supported (up to 14:00; a named zone's offset moves with daylight saving)");
	expect_message(XMPP "[syslog:s]\nlisten = 999.1.1.1:5514\n",
		       "5: [syslog:s] listen = 999.1.1.1:5514: 999.1.1.1 is not a numeric IPv4 or "
		       "IPv6 address (Name or service not known); write 127.0.0.1, [::1] or the "
		       "address of an interface");
	expect_message(XMPP "[syslog:s]\nlisten = 127.0.0.1\n",
		       "5: [syslog:s] listen = 127.0.0.1: must be ADDRESS:PORT or [IPV6]:PORT with "
		       "a port of 1..65535 (ADDRESS empty: every address)");
	expect_message(XMPP "[syslog:s]\nprotocol = tcp\ntls_key = /k.pem\n",
		       "6: [syslog:s] tls_key = /k.pem: needs protocol = tls (protocol is tcp)");
	expect_message(XMPP "[syslog:s]\nprotocol = tls\n",
		       "4: [syslog:s] tls_cert: protocol = tls needs tls_cert and tls_key");
}

static void test_config_file_itself(void **state)
{
	struct gg_config *cfg = NULL;
	struct gg_error err;

	assert_int_not_equal(gg_config_load("/tmp", &cfg, &err), 0);
	assert_string_equal(err.msg, "/tmp: is a directory, not a configuration file");
	assert_int_not_equal(gg_config_load("/nonexistent/gridgate.conf", &cfg, &err), 0);
	assert_string_equal(err.msg, "/nonexistent/gridgate.conf: cannot open: No such file or "
			    "directory");
	assert_null(cfg);
}

/* Words are matched in any case and stored as the table spells them; keys remember lines. */
static void test_words_and_lines_kept(void **state)
{
	char *path = write_conf("[gridgate]\nlog_level = DEBUG\n" XMPP "[syslog:s]\nprotocol = TCP\n"
				"listen = [::1]:5514\n");
	struct gg_config *cfg = NULL;
	struct gg_error err;
	char where[256], want[256];

	assert_int_equal(gg_config_load(path, &cfg, &err), 0);
	assert_string_equal(cfg->global.log_level, "debug");
	assert_int_equal(gg_config_key_line(cfg, "xmpp", "password"), 5);
	assert_int_equal(gg_config_key_line(cfg, "syslog:s", NULL), 6);
	gg_config_where(cfg, "syslog:s", "protocol", where, sizeof(where));
	snprintf(want, sizeof(want), "%s:7: [syslog:s] protocol = TCP", path);
	assert_string_equal(where, want);
	gg_config_where(cfg, "syslog:s", "mappings", where, sizeof(where));
	snprintf(want, sizeof(want), "%s:6: [syslog:s] mappings", path);
	assert_string_equal(where, want);
	gg_config_free(cfg);
	unlink(path);
}

/* Every row documents itself: help text, and a range or words where a value can be wrong. */
static void check_rows(const char *section, const struct gg_option *o)
{
	for (; o->key != NULL; o++) {
		if (o->help == NULL || o->help[0] == '\0')
			fail_msg("[%s] %s has no help", section, o->key);
		if ((o->type == GG_OPT_INT || o->type == GG_OPT_SIZE ||
		     o->type == GG_OPT_DURATION) && o->min >= o->max)
			fail_msg("[%s] %s has no range", section, o->key);
		if (o->words != NULL && o->type != GG_OPT_STRING)
			fail_msg("[%s] %s: words on a non-string", section, o->key);
	}
}

static void test_every_row_has_help_and_range(void **state)
{
	for (const struct gg_config_section *s = gg_config_sections; s->name != NULL; s++)
		check_rows(s->name, s->options);
	for (size_t i = 0; gg_adapters[i] != NULL; i++)
		if (gg_adapters[i]->options != NULL)
			check_rows(gg_adapters[i]->name, gg_adapters[i]->options);
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

/* A file's content is part of its option: a SIGHUP compares what the files held. */
static void test_file_stamps(void **state)
{
	struct conf {
		char *cert, *other;
	};
	static const struct gg_option table[] = {
		{ "cert", GG_OPT_STRING, NULL, offsetof(struct conf, cert), .help = "a file",
		  .flags = GG_OPT_FILE },
		{ "other", GG_OPT_STRING, NULL, offsetof(struct conf, other), .help = "a word" },
		GG_OPTIONS_END,
	};
	char path[64];
	struct conf c;
	struct gg_file_stamp *a, *b, *gone;
	size_t n_a, n_b, n_gone;
	const char *key;
	struct gg_error err;
	FILE *f;

	(void)state;
	snprintf(path, sizeof(path), "%s", write_conf("-----BEGIN CERTIFICATE-----\n"));
	c = (struct conf){ .cert = path, .other = "/not/a/file/option" };
	assert_int_equal(gg_file_stamps_take(table, &c, &a, &n_a, &key, &err), 0);
	assert_int_equal(n_a, 1);
	assert_int_equal(a[0].state, GG_FILE_READ);
	assert_int_equal(gg_file_stamps_take(table, &c, &b, &n_b, &key, &err), 0);
	assert_null(gg_file_stamps_differ(a, n_a, b, n_b));
	free(b);
	/* Renewed in place: same path, new content. */
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("-----BEGIN CERTIFICATE-----\nrenewed\n", f);
	fclose(f);
	assert_int_equal(gg_file_stamps_take(table, &c, &b, &n_b, &key, &err), 0);
	assert_string_equal(gg_file_stamps_differ(a, n_a, b, n_b), "cert");
	free(b);
	unlink(path);
	assert_int_equal(gg_file_stamps_take(table, &c, &gone, &n_gone, &key, &err), 0);
	assert_int_equal(gone[0].state, GG_FILE_MISSING);
	assert_string_equal(gg_file_stamps_differ(a, n_a, gone, n_gone), "cert");
	/* Unreadable on one side: not compared (a process that cannot read it cannot apply it). */
	gone[0].state = GG_FILE_UNREADABLE;
	assert_null(gg_file_stamps_differ(a, n_a, gone, n_gone));
	/* A directory is no file: refused, naming the option. */
	c.cert = "/tmp";
	assert_int_not_equal(gg_file_stamps_take(table, &c, &b, &n_b, &key, &err), 0);
	assert_string_equal(key, "cert");
	assert_non_null(strstr(err.msg, "cannot read"));
	free(a);
	free(gone);
}

/* Two partners of one listener that one certificate would match: refused by the loader, so
 * check-config and SIGHUP refuse them as the start does; fingerprints compare as parsed. */
static void test_rid_partners_one_certificate(void **state)
{
#define RID XMPP "[rid:r]\nlisten = 127.0.0.1:4590\ntls_cert = c\ntls_key = k\n"    \
	"tls_client_ca = ca\n[rid:s]\nlisten = 127.0.0.1:4591\ntls_cert = c\ntls_key = k\n" \
	"tls_client_ca = ca\n" /* lines 1-13 */
#define FP "ab01ab01ab01ab01ab01ab01ab01ab01ab01ab01ab01ab01ab01ab01ab01ab01"
#define FP_COLONS "AB:01:AB:01:AB:01:AB:01:AB:01:AB:01:AB:01:AB:01:AB:01:AB:01:AB:01:AB:01:" \
	"AB:01:AB:01:AB:01:AB:01"
	char *path = write_conf(RID "[rid_partner:a]\nrid = r\ncert_sha256 = " FP "\n"
				"[rid_partner:b]\nrid = s\ncert_sha256 = " FP "\n");
	struct gg_config *cfg = NULL;
	struct gg_error err;

	/* The same certificate at two listeners: two partnerships, fine. */
	assert_int_equal(gg_config_load(path, &cfg, &err), 0);
	unlink(path);
	gg_config_free(cfg);
	expect_error(RID "[rid_partner:a]\nrid = r\ncert_sha256 = " FP "\n"
		     "[rid_partner:b]\nrid = r\ncert_sha256 = " FP_COLONS "\n",
		     "[rid_partner:b] cert_sha256 = " FP_COLONS ": [rid_partner:a] names the same "
		     "certificate", 19);
	expect_error(RID "[rid_partner:a]\nrid = r\nspki_sha256 = " FP "\n"
		     "[rid_partner:b]\nrid = r\ncert_sha256 = " FP "\n"
		     "[rid_partner:c]\nrid = r\nspki_sha256 = " FP_COLONS "\n",
		     "[rid_partner:a] names the same public key", 22);
	expect_error(RID "[rid_partner:a]\nrid = r\nsubject = CN=x\nissuer = CN=ca\n"
		     "[rid_partner:b]\nrid = r\nsubject = CN=x\nissuer = CN=ca\n",
		     "[rid_partner:a] names the same subject and issuer", 20);
#undef FP_COLONS
#undef FP
#undef RID
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rid_partners_one_certificate),
		cmocka_unit_test(test_file_stamps),
		cmocka_unit_test(test_sizes_and_durations),
		cmocka_unit_test(test_full_config),
		cmocka_unit_test(test_errors_name_file_and_line),
		cmocka_unit_test(test_ranges_and_words_from_the_table),
		cmocka_unit_test(test_duplicates_refused),
		cmocka_unit_test(test_checks_after_parsing_name_the_key),
		cmocka_unit_test(test_config_file_itself),
		cmocka_unit_test(test_words_and_lines_kept),
		cmocka_unit_test(test_every_row_has_help_and_range),
		cmocka_unit_test(test_password_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
