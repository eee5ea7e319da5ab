/* test_record_id.c: ids are stable for the same record and differ for any difference in
 * input, origin, position or content. Known answers pin the function itself: an id is the
 * pubsub item id and the spool's replay key, so the same record must get the same id in
 * another process, on another day and after an upgrade. The SHA-256 and hex helpers under it
 * (base/digest.h) are pinned by FIPS 180-2's vectors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "base/digest.h"
#include "base/record_id.h"

static void test_stable_and_distinct(void **state)
{
	char a[GG_RECORD_ID_LEN], b[GG_RECORD_ID_LEN];

	gg_record_id("drop", "f1.xml", 0, "<x/>", 4, a);
	gg_record_id("drop", "f1.xml", 0, "<x/>", 4, b);
	assert_string_equal(a, b);
	assert_int_equal(strlen(a), 32);
	assert_int_equal(strspn(a, "0123456789abcdef"), 32);
	gg_record_id("drop2", "f1.xml", 0, "<x/>", 4, b);
	assert_string_not_equal(a, b);
	gg_record_id("drop", "f2.xml", 0, "<x/>", 4, b);
	assert_string_not_equal(a, b);
	gg_record_id("drop", "f1.xml", 1, "<x/>", 4, b);
	assert_string_not_equal(a, b);
	gg_record_id("drop", "f1.xml", 0, "<y/>", 4, b);
	assert_string_not_equal(a, b);
	/* The separators keep ("ab","c") and ("a","bc") apart. */
	gg_record_id("ab", "c", 0, "", 0, a);
	gg_record_id("a", "bc", 0, "", 0, b);
	assert_string_not_equal(a, b);
}

/* Known answers: SHA-256(input NUL origin NUL decimal index NUL bytes), first 16 bytes in
 * hex, computed independently (python3 hashlib). Any change of the function, one that
 * depends on time, the process or memory included, fails here. */
static void test_known_answers(void **state)
{
	static const struct {
		const char *input, *origin;
		uint64_t index;
		const char *bytes;
		size_t len;
		const char *id;
	} kat[] = {
		{ "drop", "f1.xml", 0, "<x/>", 4, "11cef38fae210fab24c9caf3afc1f0a8" },
		{ "syslog", "192.0.2.1:514:7", 0, "<13>1 - h a - - - hi", 20,
		  "5033b55e8a528e9ecee1c71bcb1d1922" },
		{ "drop", "log.txt", UINT64_MAX, "line", 4, "98079b5376513b0a27c7ce22527fa51d" },
		{ "", "", 0, "", 0, "73d049f6dc618e4cfdbbb16f78e5de18" },
		/* UTF-8 in the origin, a NUL and a non-UTF-8 byte in the content */
		{ "drop", "f\xc3\xa9.ndjson", 42, "{\"a\":1}\0\xff", 9,
		  "d2c6aea90641b2df7d2745844945b176" },
	};
	char id[GG_RECORD_ID_LEN];

	(void)state;
	for (size_t i = 0; i < sizeof(kat) / sizeof(kat[0]); i++) {
		memset(id, 'X', sizeof(id));
		gg_record_id(kat[i].input, kat[i].origin, kat[i].index, kat[i].bytes, kat[i].len, id);
		if (strcmp(id, kat[i].id) != 0)
			fail_msg("vector %zu (%s, %s, %llu): id %s, want %s", i, kat[i].input,
				 kat[i].origin, (unsigned long long)kat[i].index, id, kat[i].id);
	}
}

/* FIPS 180-2, appendix B: "abc" and the empty message; hex of every byte value's ends. */
static void test_sha256_hex(void **state)
{
	static const unsigned char edges[] = { 0x00, 0x0f, 0xa0, 0xff };
	unsigned char md[GG_SHA256_LEN];
	char hex[2 * GG_SHA256_LEN + 1];

	(void)state;
	assert_int_equal(gg_sha256("abc", 3, md), 0);
	gg_hex(md, sizeof(md), hex);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	assert_int_equal(gg_sha256("", 0, md), 0);
	gg_hex(md, sizeof(md), hex);
	assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	memset(hex, 'X', sizeof(hex));
	gg_hex(edges, sizeof(edges), hex);
	assert_string_equal(hex, "000fa0ff");
	gg_hex(edges, 0, hex);
	assert_string_equal(hex, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stable_and_distinct),
		cmocka_unit_test(test_known_answers),
		cmocka_unit_test(test_sha256_hex),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
