/* test_cef.c: the CEF parser on the ArcSight guide's examples and a vendor's published keys,
 * the escapes of header and extension, severities, and hostile input (NUL, bad UTF-8, cuts). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "formats/cef.h"
#include "test_util.h"

static struct gg_cef *parse_ok(const char *s)
{
	struct gg_cef *cef = NULL;
	struct gg_error err = { 0 };
	int rc = gg_cef_parse(s, strlen(s), NULL, &cef, &err);

	if (rc != 0)
		fail_msg("gg_cef_parse(%s): %d %s", s, rc, err.msg);
	assert_non_null(cef);
	return cef;
}

/* Parses s expecting code; returns the offset the error names (its column - 1). */
static size_t parse_fails(const char *s, size_t len, const struct gg_kv_limits *lim, int code)
{
	struct gg_cef *cef = (struct gg_cef *)1;
	struct gg_error err = { 0 };
	char where[32];

	assert_int_equal(gg_cef_parse(s, len, lim, &cef, &err), code);
	assert_null(cef);
	assert_int_equal(err.line, 1);
	snprintf(where, sizeof(where), "cef: byte %d: ", err.column - 1);
	assert_non_null(strstr(err.msg, where));
	return (size_t)err.column - 1;
}

static void assert_ext(const struct gg_cef *cef, size_t i, const char *key, const char *value)
{
	assert_true(i < cef->ext->n);
	assert_string_equal(cef->ext->pairs[i].key, key);
	assert_string_equal(cef->ext->pairs[i].value, value);
	assert_int_equal(cef->ext->pairs[i].value_len, strlen(value));
}

/* Vector: cef-guide-worm.txt, the guide's syslog example; the caller hands over the MSG. */
static void test_guide_example(void **state)
{
	size_t len;
	char *buf = gg_test_read_data("payload/cef-guide-worm.txt", &len);
	const char *msg = strstr(buf, "CEF:");
	struct gg_cef *cef = NULL;
	struct gg_error err = { 0 };

	assert_non_null(msg);
	assert_int_equal(gg_cef_parse(msg, len - (size_t)(msg - buf), NULL, &cef, &err), 0);
	assert_int_equal(cef->version, 0);
	assert_string_equal(cef->device_vendor, "security");
	assert_string_equal(cef->device_product, "threatmanager");
	assert_string_equal(cef->device_version, "1.0");
	assert_string_equal(cef->signature_id, "100");
	assert_string_equal(cef->name, "worm successfully stopped");
	assert_string_equal(cef->severity_text, "10");
	assert_int_equal(cef->severity, 10);
	assert_int_equal(cef->ext->n, 3);
	assert_ext(cef, 0, "src", "10.0.0.1");
	assert_ext(cef, 1, "dst", "2.1.2.2");
	/* The trailing newline of the file is framing, not part of the value. */
	assert_ext(cef, 2, "spt", "1232");
	/* Offsets count from what the parser was given. */
	assert_int_equal(cef->ext->pairs[0].offset, (size_t)(strstr(msg, "src=") - msg));
	gg_cef_free(cef);
	/* The syslog header itself is the caller's to strip. */
	parse_fails(buf, len, NULL, -EINVAL);
	free(buf);
}

/* The guide's "Character encoding" examples: \| in the header and a bare | in a value; \\ in
 * both; \= in a value and a bare = in the header; \n in a value for a multi-line message. */
static void test_guide_escapes(void **state)
{
	struct gg_cef *cef;

	cef = parse_ok("CEF:0|security|threatmanager|1.0|100|detected a \\| in message|10|"
		       "src=10.0.0.1 act=blocked a | dst=1.1.1.1");
	assert_string_equal(cef->name, "detected a | in message");
	assert_ext(cef, 1, "act", "blocked a |");
	assert_ext(cef, 2, "dst", "1.1.1.1");
	gg_cef_free(cef);
	cef = parse_ok("CEF:0|security|threatmanager|1.0|100|detected a \\\\ in packet|10|"
		       "src=10.0.0.1 act=blocked a \\\\ dst=1.1.1.1");
	assert_string_equal(cef->name, "detected a \\ in packet");
	assert_ext(cef, 1, "act", "blocked a \\");
	gg_cef_free(cef);
	cef = parse_ok("CEF:0|security|threatmanager|1.0|100|detected a = in message|10|"
		       "src=10.0.0.1 act=blocked a \\= dst=1.1.1.1");
	assert_string_equal(cef->name, "detected a = in message");
	assert_ext(cef, 1, "act", "blocked a =");
	gg_cef_free(cef);
	cef = parse_ok("CEF:0|security|threatmanager|1.0|100|multi|3|"
		       "msg=Detected a threat.\\n No action needed.\\r\\nEnd \\| ok");
	assert_ext(cef, 0, "msg", "Detected a threat.\n No action needed.\r\nEnd | ok");
	gg_cef_free(cef);
}

static void test_header_escapes(void **state)
{
	/* "\\|" is an escaped backslash and then the separator. */
	struct gg_cef *cef = parse_ok("  CEF:1|a\\\\|b\\|c|v\\x|id|n|Low|");

	assert_int_equal(cef->version, 1);
	assert_string_equal(cef->device_vendor, "a\\");
	assert_string_equal(cef->device_product, "b|c");
	/* Other escapes are not the header's: kept as written. */
	assert_string_equal(cef->device_version, "v\\x");
	assert_int_equal(cef->severity, 3);
	assert_int_equal(cef->ext->n, 0);
	gg_cef_free(cef);
	/* Empty header fields are allowed; only the severity must say something. */
	cef = parse_ok("CEF:0||||||0|");
	assert_string_equal(cef->device_vendor, "");
	assert_string_equal(cef->name, "");
	assert_int_equal(cef->severity, 0);
	gg_cef_free(cef);
}

/* Vector: cef-trendmicro-apex-ncie.txt: values with spaces (rt), an escaped Windows path,
 * custom labels (cs2Label, c6a2Label), '%' and ':' in values. */
static void test_vendor_keys(void **state)
{
	size_t len;
	char *buf = gg_test_read_data("payload/cef-trendmicro-apex-ncie.txt", &len);
	struct gg_cef *cef = NULL;
	struct gg_error err = { 0 };

	assert_int_equal(gg_cef_parse(buf, len, NULL, &cef, &err), 0);
	assert_string_equal(cef->signature_id, "NCIE:Pass");
	assert_int_equal(cef->severity, 3);
	assert_int_equal(cef->ext->n, 19);
	assert_ext(cef, 0, "deviceExternalId", "1");
	assert_ext(cef, 1, "rt", "Oct 11 2017 06:34:06 GMT+00:00");
	assert_ext(cef, 3, "deviceFacility", "Apex One");
	assert_ext(cef, 4, "deviceProcessName", "C:\\Windows\\system32\\svchost-1.exe");
	assert_string_equal(gg_kv_find(cef->ext, "c6a3")->value, "fe80::38ca:cd15:443c:40bb%11");
	assert_string_equal(gg_kv_find(cef->ext, "cs2Label")->value, "NCIE_ThreatName");
	assert_ext(cef, 18, "cs2", "Malicious_identified_CnC_querying_on_UDP_detected");
	gg_cef_free(cef);
	free(buf);
}

/* FortiGate's CEF output puts a blank after "CEF:" (FortiOS 7.2 log reference, "CEF support"). */
static void test_fortigate_blank(void **state)
{
	struct gg_cef *cef = parse_ok("CEF: 0|Fortinet|Fortigate|v7.2.4|16384|utm:ips signature "
				      "reset|7|src=172.16.200.55 act=reset");

	(void)state;
	assert_int_equal(cef->version, 0);
	assert_string_equal(cef->device_vendor, "Fortinet");
	assert_int_equal(cef->severity, 7);
	assert_ext(cef, 0, "src", "172.16.200.55");
	gg_cef_free(cef);
}

static void test_extension_shapes(void **state)
{
	struct gg_cef *cef;

	/* Runs of spaces separate; trailing spaces end nothing; an empty value is a value;
	 * duplicate keys stay, in order; dots and underscores make custom keys. */
	cef = parse_ok("CEF:0|v|p|1|id|n|5|  a=1   b=  c=x y  z a=2 ad.key_1=u=v C:\\x=1 end=\\ ");
	assert_int_equal(cef->ext->n, 6);
	assert_ext(cef, 0, "a", "1");
	assert_ext(cef, 1, "b", "");
	assert_ext(cef, 2, "c", "x y  z");
	assert_ext(cef, 3, "a", "2");
	/* An unescaped '=' not preceded by " key" stays in the value; "C:\x" is no key. */
	assert_ext(cef, 4, "ad.key_1", "u=v C:\\x=1");
	/* A backslash at the very end stands for itself; the space after it is trailing. */
	assert_ext(cef, 5, "end", "\\");
	assert_int_equal(cef->ext->pairs[3].offset, 40);
	assert_string_equal(gg_kv_find(cef->ext, "a")->value, "1");
	gg_cef_free(cef);
	/* An escaped '=' cannot start a key. */
	cef = parse_ok("CEF:0|v|p|1|id|n|5|msg=x y\\=z w");
	assert_int_equal(cef->ext->n, 1);
	assert_ext(cef, 0, "msg", "x y=z w");
	gg_cef_free(cef);
}

static void test_severity(void **state)
{
	static const struct {
		const char *text;
		int value;
	} ok[] = { { "0", 0 }, { "7", 7 }, { "10", 10 }, { "05", 5 }, { "Unknown", -1 },
		   { "Low", 3 }, { "Medium", 6 }, { "High", 8 }, { "Very-High", 10 },
		   { "very-high", 10 }, { "HIGH", 8 } };
	static const char *const bad[] = { "", "11", "-1", "100", "1.5", "Critical",
					   "Very High", " 5", "5 " };
	char msg[128];
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		struct gg_cef *cef;

		snprintf(msg, sizeof(msg), "CEF:0|v|p|1|id|n|%s|a=b", ok[i].text);
		cef = parse_ok(msg);
		assert_int_equal(cef->severity, ok[i].value);
		assert_string_equal(cef->severity_text, ok[i].text);
		gg_cef_free(cef);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(msg, sizeof(msg), "CEF:0|v|p|1|id|n|%s|a=b", bad[i]);
		assert_int_equal(parse_fails(msg, strlen(msg), NULL, -EINVAL), 17);
	}
}

static void test_malformed(void **state)
{
	static const struct {
		const char *msg;
		size_t offset;
	} cases[] = {
		{ "LEEF:1.0|a|b|c|d|", 0 },           /* not CEF */
		{ "  cef:0|a|b|c|d|e|1|", 2 },        /* the prefix is case-sensitive */
		{ "CEF:", 4 },                        /* no pipes at all */
		{ "CEF:0|a|b|c|d|e|1", 17 },          /* 6 of 7 pipes */
		{ "CEF:0|a|b|c|d|e\\|1|x", 20 },      /* an escaped pipe does not count */
		{ "CEF:2|a|b|c|d|e|1|", 4 },          /* unknown version */
		{ "CEF:|a|b|c|d|e|1|", 4 },           /* empty version */
		{ "CEF:0.1|a|b|c|d|e|1|", 4 },
		{ "CEF:0|a|b|c|d|e|1|=x", 18 },       /* empty key */
		{ "CEF:0|a|b|c|d|e|1|a=1 =x", 0 },    /* not an error, see below */
		{ "CEF:0|a|b|c|d|e|1|novalue", 25 },  /* key without '=' */
		{ "CEF:0|a|b|c|d|e|1|k-ey=1", 19 },   /* '-' is not a key character */
		{ "CEF:0|a|b|c|d|e|1|!=1", 18 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct gg_cef *cef = NULL;
		struct gg_error err = { 0 };
		int rc = gg_cef_parse(cases[i].msg, strlen(cases[i].msg), NULL, &cef, &err);

		if (i == 9) {
			/* Not an error: the value of a is "1 =x". */
			assert_int_equal(rc, 0);
			assert_ext(cef, 0, "a", "1 =x");
			gg_cef_free(cef);
			continue;
		}
		if (rc != -EINVAL || (size_t)err.column - 1 != cases[i].offset)
			fail_msg("case %zu (%s): rc %d, %s", i, cases[i].msg, rc, err.msg);
		assert_null(cef);
	}
}

static void test_nul_utf8_limits(void **state)
{
	static const char nul[] = "CEF:0|v|p|1|id|n|5|a=x\0y";
	static const char latin1[] = "CEF:0|v\xe9|p|1|id|n|5|a=caf\xe9";
	static const char utf8[] = "CEF:0|v\xc3\xa9|p|1|id|n|5|a=caf\xc3\xa9 \xe2\x82\xac=1";
	struct gg_kv_limits lax = { .flags = GG_KV_ALLOW_BAD_UTF8 };
	struct gg_kv_limits two = { .max_pairs = 2 };
	struct gg_kv_limits short_len = { .max_len = 10 };
	struct gg_cef *cef = NULL;
	struct gg_error err = { 0 };

	assert_int_equal(parse_fails(nul, sizeof(nul) - 1, NULL, -EILSEQ), 22);
	assert_int_equal(parse_fails(nul, sizeof(nul) - 1, &lax, -EILSEQ), 22);
	assert_int_equal(parse_fails(latin1, sizeof(latin1) - 1, NULL, -EILSEQ), 7);
	assert_int_equal(gg_cef_parse(latin1, sizeof(latin1) - 1, &lax, &cef, &err), 0);
	assert_int_equal(cef->ext->bad_utf8_at, 7);
	assert_string_equal(cef->device_vendor, "v\xe9");
	gg_cef_free(cef);
	/* Valid UTF-8 passes, but a non-ASCII key is no key: "caf\xc3\xa9 \xe2\x82\xac=1"
	 * is all one value. */
	cef = parse_ok(utf8);
	assert_int_equal(cef->ext->bad_utf8_at, GG_KV_UTF8_OK);
	assert_int_equal(cef->ext->n, 1);
	assert_ext(cef, 0, "a", "caf\xc3\xa9 \xe2\x82\xac=1");
	gg_cef_free(cef);
	assert_int_equal(parse_fails("CEF:0|v|p|1|id|n|5|a=1 b=2 c=3", 30, &two, -E2BIG), 27);
	parse_fails("CEF:0|v|p|1|id|n|5|", 19, &short_len, -E2BIG);
}

/* A long extension of many small pairs, under and over the default limits. */
static void test_oversized(void **state)
{
	size_t cap = GG_KV_DEFAULT_MAX_LEN + 64, n = 0, pairs = 0;
	char *buf = malloc(cap);
	struct gg_cef *cef = NULL;
	struct gg_error err = { 0 };

	assert_non_null(buf);
	n = (size_t)snprintf(buf, cap, "CEF:0|v|p|1|id|n|5|");
	while (pairs < GG_KV_DEFAULT_MAX_PAIRS)
		n += (size_t)snprintf(buf + n, cap - n, "k%zu=v ", pairs++);
	assert_int_equal(gg_cef_parse(buf, n, NULL, &cef, &err), 0);
	assert_int_equal(cef->ext->n, GG_KV_DEFAULT_MAX_PAIRS);
	gg_cef_free(cef);
	n += (size_t)snprintf(buf + n, cap - n, "one=more");
	parse_fails(buf, n, NULL, -E2BIG);
	memset(buf + n, 'x', cap - n);
	parse_fails(buf, GG_KV_DEFAULT_MAX_LEN + 1, NULL, -E2BIG);
	free(buf);
}

/* Every prefix of valid messages, each in a buffer of exactly its length (ASan sees any read
 * past the end); a prefix may parse or fail but must not crash or leak. */
static void test_every_prefix(void **state)
{
	static const char *const inline_msgs[] = {
		"CEF:0|a\\\\|b\\|c|1|id|n|Very-High|a=1 b=x\\=y\\\\ c=\\n\\r\\| d= e=\\",
	};
	size_t n, k, len;

	for (n = 0; n < 3; n++) {
		char *buf = n == 0 ? gg_test_read_data("payload/cef-guide-worm.txt", &len)
			  : n == 1 ? gg_test_read_data("payload/cef-trendmicro-apex-ncie.txt", &len)
				   : strdup(inline_msgs[0]);

		if (n == 2)
			len = strlen(buf);
		for (k = 0; k <= len; k++) {
			char *p = malloc(k ? k : 1);
			struct gg_cef *cef = NULL;
			struct gg_error err = { 0 };

			assert_non_null(p);
			memcpy(p, buf, k);
			if (gg_cef_parse(p, k, NULL, &cef, &err) == 0)
				assert_non_null(cef);
			else
				assert_null(cef);
			gg_cef_free(cef);
			free(p);
		}
		free(buf);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_guide_example),
		cmocka_unit_test(test_guide_escapes),
		cmocka_unit_test(test_header_escapes),
		cmocka_unit_test(test_vendor_keys),
		cmocka_unit_test(test_fortigate_blank),
		cmocka_unit_test(test_extension_shapes),
		cmocka_unit_test(test_severity),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_nul_utf8_limits),
		cmocka_unit_test(test_oversized),
		cmocka_unit_test(test_every_prefix),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
