/* test_log_budget.c: at most per_second lines a second; the lines left out are handed to the
 * first line let through afterwards, once, or reported by a flush (at a stop). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "base/log_budget.h"

#define MS 1000000ull

static void test_per_second(void **state)
{
	struct gg_log_budget b;
	uint64_t left_out = 99, t0 = 5000 * MS;

	(void)state;
	gg_log_budget_init(&b, 3);
	for (int i = 0; i < 3; i++) {
		assert_true(gg_log_budget_take(&b, t0 + (uint64_t)i * 100 * MS, &left_out));
		assert_int_equal(left_out, 0);
	}
	assert_false(gg_log_budget_take(&b, t0 + 300 * MS, &left_out));
	assert_false(gg_log_budget_take(&b, t0 + 999 * MS, &left_out));
	/* A second later: let through, with the two left out to report, once. */
	assert_true(gg_log_budget_take(&b, t0 + 1000 * MS, &left_out));
	assert_int_equal(left_out, 2);
	assert_true(gg_log_budget_take(&b, t0 + 1100 * MS, &left_out));
	assert_int_equal(left_out, 0);
	assert_true(gg_log_budget_take(&b, t0 + 1200 * MS, &left_out));
	assert_false(gg_log_budget_take(&b, t0 + 1300 * MS, &left_out));
	gg_log_budget_destroy(&b);
}

/* A flush reports what is left out and forgets it: the next line carries nothing. */
static void test_flush(void **state)
{
	struct gg_log_budget b;
	uint64_t left_out = 99;

	(void)state;
	gg_log_budget_init(&b, 1);
	assert_true(gg_log_budget_take(&b, 10, &left_out));
	assert_false(gg_log_budget_take(&b, 20, &left_out));
	assert_false(gg_log_budget_take(&b, 30, &left_out));
	gg_log_budget_flush(&b, "test");
	assert_true(gg_log_budget_take(&b, 10 + 2000 * MS, &left_out));
	assert_int_equal(left_out, 0);
	gg_log_budget_destroy(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_per_second),
		cmocka_unit_test(test_flush),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
