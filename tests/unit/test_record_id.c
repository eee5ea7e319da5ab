/* test_record_id.c: ids are stable for the same record and differ for any difference in
 * input, origin, position or content. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "record_id.h"

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stable_and_distinct),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
