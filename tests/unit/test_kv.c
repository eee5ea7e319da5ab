/* test_kv.c: the plain key=value parser on netfilter LOG lines (iptables, ip6tables, UFW),
 * quoted values, bare words, duplicate keys, and hostile input (NUL, bad UTF-8, truncation). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "formats/kv.h"
#include "test_util.h"

static struct gg_kv_list *parse_ok(const char *s)
{
	struct gg_kv_list *l = NULL;
	struct gg_error err = { 0 };
	int rc = gg_kv_parse(s, strlen(s), NULL, &l, &err);

	if (rc != 0)
		fail_msg("gg_kv_parse(%s): %d %s", s, rc, err.msg);
	assert_non_null(l);
	return l;
}

/* Parses s expecting code; returns the offset the error names (its column - 1). */
static size_t parse_fails(const char *s, size_t len, const struct gg_kv_limits *lim, int code)
{
	struct gg_kv_list *l = (struct gg_kv_list *)1;
	struct gg_error err = { 0 };

	assert_int_equal(gg_kv_parse(s, len, lim, &l, &err), code);
	assert_null(l);
	assert_non_null(strstr(err.msg, "kv: byte "));
	assert_int_equal(err.line, 1);
	return (size_t)err.column - 1;
}

static void assert_pair(const struct gg_kv_list *l, size_t i, const char *key, const char *value,
			unsigned flags)
{
	assert_true(i < l->n);
	assert_string_equal(l->pairs[i].key, key);
	assert_string_equal(l->pairs[i].value, value);
	assert_int_equal(l->pairs[i].key_len, strlen(key));
	assert_int_equal(l->pairs[i].value_len, strlen(value));
	assert_int_equal(l->pairs[i].flags, flags);
}

/* Vector: kv-ufw-block.txt (kernel netfilter LOG format with UFW's prefix). */
static void test_ufw_block(void **state)
{
	size_t len;
	char *buf = gg_test_read_data("payload/kv-ufw-block.txt", &len);
	struct gg_kv_list *l = NULL;
	struct gg_error err = { 0 };

	assert_int_equal(gg_kv_parse(buf, len, NULL, &l, &err), 0);
	assert_int_equal(l->n, 20);
	assert_pair(l, 0, "kernel:", "", GG_KV_BARE);
	assert_pair(l, 1, "[UFW", "", GG_KV_BARE);
	assert_pair(l, 2, "BLOCK]", "", GG_KV_BARE);
	assert_pair(l, 3, "IN", "eth0", 0);
	/* An empty value is a value, not a bare word. */
	assert_pair(l, 4, "OUT", "", 0);
	assert_pair(l, 5, "MAC", "52:54:00:12:34:56:52:54:00:65:43:21:08:00", 0);
	assert_string_equal(gg_kv_find(l, "SRC")->value, "198.51.100.7");
	assert_string_equal(gg_kv_find(l, "DST")->value, "192.0.2.10");
	assert_string_equal(gg_kv_find(l, "PROTO")->value, "TCP");
	assert_string_equal(gg_kv_find(l, "SPT")->value, "49152");
	assert_string_equal(gg_kv_find(l, "DPT")->value, "3389");
	assert_int_equal(gg_kv_find(l, "SYN")->flags, GG_KV_BARE);
	assert_pair(l, 19, "URGP", "0", 0);
	assert_int_equal(l->pairs[3].offset, (size_t)(strstr(buf, "IN=") - buf));
	assert_int_equal(l->bad_utf8_at, GG_KV_UTF8_OK);
	assert_null(gg_kv_find(l, "ACK"));
	gg_kv_list_free(l);
	free(buf);
}

/* Vector: kv-iptables-icmp-uid.txt: the kernel writes ID twice (IP id, ICMP id); both stay,
 * in order, so a mapping can tell them apart by position. */
static void test_iptables_icmp_duplicate_id(void **state)
{
	size_t len, i, ids = 0;
	char *buf = gg_test_read_data("payload/kv-iptables-icmp-uid.txt", &len);
	struct gg_kv_list *l = NULL;
	struct gg_error err = { 0 };

	assert_int_equal(gg_kv_parse(buf, len, NULL, &l, &err), 0);
	assert_pair(l, 0, "IN", "", 0);
	assert_pair(l, 1, "OUT", "eth0", 0);
	for (i = 0; i < l->n; i++) {
		if (strcmp(l->pairs[i].key, "ID") != 0)
			continue;
		assert_string_equal(l->pairs[i].value, ids == 0 ? "12345" : "42");
		ids++;
	}
	assert_int_equal(ids, 2);
	assert_string_equal(gg_kv_find(l, "ID")->value, "12345");
	assert_int_equal(gg_kv_find(l, "DF")->flags, GG_KV_BARE);
	assert_string_equal(gg_kv_find(l, "TYPE")->value, "8");
	assert_string_equal(gg_kv_find(l, "MARK")->value, "0x1");
	gg_kv_list_free(l);
	free(buf);
}

/* Vector: kv-ip6tables-tcp-opt.txt: IPv6 fields and the "OPT (...)" group as two words. */
static void test_ip6tables_options(void **state)
{
	size_t len;
	char *buf = gg_test_read_data("payload/kv-ip6tables-tcp-opt.txt", &len);
	struct gg_kv_list *l = NULL;
	struct gg_error err = { 0 };

	assert_int_equal(gg_kv_parse(buf, len, NULL, &l, &err), 0);
	assert_string_equal(gg_kv_find(l, "SRC")->value, "2001:0db8:0000:0000:0000:0000:0000:0001");
	assert_string_equal(gg_kv_find(l, "HOPLIMIT")->value, "64");
	assert_string_equal(gg_kv_find(l, "SEQ")->value, "1234567");
	assert_pair(l, l->n - 2, "OPT", "", GG_KV_BARE);
	assert_pair(l, l->n - 1, "(020405A00402080A)", "", GG_KV_BARE);
	gg_kv_list_free(l);
	free(buf);
}

static void test_quoted_values(void **state)
{
	struct gg_kv_list *l = parse_ok("devname=\"FG 100\" msg=\"say \\\"hi\\\" \\\\ ok\" "
					"path=\"C:\\dir\" empty=\"\" eq=\"a=b\"\ttab=x");

	assert_int_equal(l->n, 6);
	assert_pair(l, 0, "devname", "FG 100", GG_KV_QUOTED);
	assert_pair(l, 1, "msg", "say \"hi\" \\ ok", GG_KV_QUOTED);
	/* Only \" and \\ are escapes: an unescaped Windows path keeps its backslash. */
	assert_pair(l, 2, "path", "C:\\dir", GG_KV_QUOTED);
	assert_pair(l, 3, "empty", "", GG_KV_QUOTED);
	assert_pair(l, 4, "eq", "a=b", GG_KV_QUOTED);
	assert_pair(l, 5, "tab", "x", 0);
	gg_kv_list_free(l);
}

static void test_unquoted_equals_and_blanks(void **state)
{
	struct gg_kv_list *l = parse_ok("  url=http://x/?a=b   k.v-1=2\r\n");

	assert_int_equal(l->n, 2);
	assert_pair(l, 0, "url", "http://x/?a=b", 0);
	assert_int_equal(l->pairs[0].offset, 2);
	assert_pair(l, 1, "k.v-1", "2", 0);
	gg_kv_list_free(l);
	/* An unquoted value has no escapes: a UNC path keeps both its leading backslashes. */
	l = parse_ok("share=\\\\fs01\\c$\\logs user=CORP\\\\bob");
	assert_int_equal(l->n, 2);
	assert_pair(l, 0, "share", "\\\\fs01\\c$\\logs", 0);
	assert_pair(l, 1, "user", "CORP\\\\bob", 0);
	gg_kv_list_free(l);
	l = parse_ok("");
	assert_int_equal(l->n, 0);
	gg_kv_list_free(l);
	l = parse_ok(" \t ");
	assert_int_equal(l->n, 0);
	gg_kv_list_free(l);
}

static void test_malformed(void **state)
{
	assert_int_equal(parse_fails("a=1 =2", 6, NULL, -EINVAL), 4);
	assert_int_equal(parse_fails("msg=\"open", 9, NULL, -EINVAL), 4);
	assert_int_equal(parse_fails("msg=\"a\\\"", 8, NULL, -EINVAL), 4);
	assert_int_equal(parse_fails("msg=\"a\"b c=d", 12, NULL, -EINVAL), 7);
}

static void test_nul_and_utf8(void **state)
{
	static const char nul[] = "SRC=1.2.3.4 D\0ST=5";
	static const char bad[] = "user=caf\xe9 x=1";       /* Latin-1 e-acute */
	static const char overlong[] = "a=\xc0\xaf";        /* overlong '/' */
	static const char surrogate[] = "a=\xed\xa0\x80";   /* U+D800 */
	static const char good[] = "user=caf\xc3\xa9 x=\xf0\x9f\x94\x92";
	struct gg_kv_limits lax = { .flags = GG_KV_ALLOW_BAD_UTF8 };
	struct gg_kv_list *l = NULL;
	struct gg_error err = { 0 };

	assert_int_equal(parse_fails(nul, sizeof(nul) - 1, NULL, -EILSEQ), 13);
	assert_int_equal(parse_fails(bad, sizeof(bad) - 1, NULL, -EILSEQ), 8);
	assert_int_equal(parse_fails(overlong, sizeof(overlong) - 1, NULL, -EILSEQ), 2);
	assert_int_equal(parse_fails(surrogate, sizeof(surrogate) - 1, NULL, -EILSEQ), 2);
	/* A truncated sequence at the very end is refused, not read past. */
	assert_int_equal(parse_fails("a=\xe2\x82", 4, NULL, -EILSEQ), 2);
	/* NUL is refused even when bad UTF-8 is allowed: it cannot go on as a C string. */
	assert_int_equal(parse_fails(nul, sizeof(nul) - 1, &lax, -EILSEQ), 13);
	assert_int_equal(gg_kv_parse(bad, sizeof(bad) - 1, &lax, &l, &err), 0);
	assert_int_equal(l->bad_utf8_at, 8);
	assert_string_equal(l->pairs[0].value, "caf\xe9");
	gg_kv_list_free(l);
	l = parse_ok(good);
	assert_int_equal(l->bad_utf8_at, GG_KV_UTF8_OK);
	assert_string_equal(l->pairs[1].value, "\xf0\x9f\x94\x92");
	gg_kv_list_free(l);
}

static void test_limits(void **state)
{
	struct gg_kv_limits two = { .max_pairs = 2 };
	struct gg_kv_limits small = { .max_len = 8 };
	struct gg_kv_list *l = NULL;
	struct gg_error err = { 0 };
	size_t big_len = GG_KV_DEFAULT_MAX_LEN + 1, i;
	char *big;

	assert_int_equal(parse_fails("a=1 b=2 c=3", 11, &two, -E2BIG), 8);
	assert_int_equal(gg_kv_parse("a=1 b=2", 7, &two, &l, &err), 0);
	assert_int_equal(l->n, 2);
	gg_kv_list_free(l);
	parse_fails("a=1 b=2 c", 9, &small, -E2BIG);
	/* The default limit applies when none is given. */
	big = malloc(big_len);
	assert_non_null(big);
	for (i = 0; i < big_len; i++)
		big[i] = i % 2 ? ' ' : 'w';
	parse_fails(big, big_len, NULL, -E2BIG);
	/* Just under it: as many bare words as fit, and the default pair limit stops them. */
	parse_fails(big, big_len - 1, NULL, -E2BIG);
	assert_int_equal(gg_kv_parse(big, 2 * GG_KV_DEFAULT_MAX_PAIRS, NULL, &l, &err), 0);
	assert_int_equal(l->n, GG_KV_DEFAULT_MAX_PAIRS);
	gg_kv_list_free(l);
	free(big);
}

/* Every prefix of a valid message, each in a buffer of exactly its length, so ASan sees any
 * read past the end; a prefix may parse or fail but must not crash or leak. */
static void test_every_prefix(void **state)
{
	static const char *const names[] = { "payload/kv-ufw-block.txt",
					     "payload/kv-iptables-icmp-uid.txt",
					     "payload/kv-ip6tables-tcp-opt.txt" };
	static const char quoted[] = "a=\"x \\\" y\" b=\"\\\\\" c=d";
	size_t n, k, len;

	for (n = 0; n <= sizeof(names) / sizeof(names[0]); n++) {
		char *buf = n < 3 ? gg_test_read_data(names[n], &len) : strdup(quoted);

		if (n == 3)
			len = strlen(buf);
		for (k = 0; k <= len; k++) {
			char *p = malloc(k ? k : 1);
			struct gg_kv_list *l = NULL;
			struct gg_error err = { 0 };

			assert_non_null(p);
			memcpy(p, buf, k);
			if (gg_kv_parse(p, k, NULL, &l, &err) == 0)
				assert_non_null(l);
			else
				assert_null(l);
			gg_kv_list_free(l);
			free(p);
		}
		free(buf);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ufw_block),
		cmocka_unit_test(test_iptables_icmp_duplicate_id),
		cmocka_unit_test(test_ip6tables_options),
		cmocka_unit_test(test_quoted_values),
		cmocka_unit_test(test_unquoted_equals_and_blanks),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_nul_and_utf8),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_every_prefix),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
