/* test_syslog_rate.c: the token bucket lets a burst through then the steady rate, forgives
 * nothing for idle time beyond the burst, and the source table stays bounded. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "in_syslog/syslog_rate.h"

#define S 1000000000ull
#define MS 1000000ull

static void test_unlimited(void **state)
{
	struct gg_rate_limit rl;
	gg_rate_bucket b = 0;

	(void)state;
	assert_int_equal(gg_rate_limit_init(&rl, 0, 5), 0);
	assert_true(gg_rate_unlimited(&rl));
	for (int i = 0; i < 100000; i++)
		assert_int_equal(gg_rate_take(&rl, &b, 7), 1);
	assert_int_equal(gg_rate_limit_init(&rl, S + 1, 0), -EINVAL);
}

static void test_burst_then_rate(void **state)
{
	struct gg_rate_limit rl;
	gg_rate_bucket b = 0;
	uint64_t t = 1000 * S;
	int passed = 0;

	(void)state;
	assert_int_equal(gg_rate_limit_init(&rl, 10, 5), 0);
	/* A quiet source may send the burst at once, not one more. */
	for (int i = 0; i < 5; i++)
		assert_int_equal(gg_rate_take(&rl, &b, t), 1);
	assert_int_equal(gg_rate_take(&rl, &b, t), 0);
	/* The next one may pass one interval (100 ms) later, and the wait says so. */
	assert_int_equal(gg_rate_wait(&rl, b, t), 100 * MS);
	assert_int_equal(gg_rate_wait(&rl, b, t + 40 * MS), 60 * MS);
	assert_int_equal(gg_rate_take(&rl, &b, t + 99 * MS), 0);
	assert_int_equal(gg_rate_take(&rl, &b, t + 100 * MS), 1);
	/* Over ten seconds of constant trying, the steady rate: 10/s. */
	for (uint64_t now = t + 101 * MS; now < t + 10100 * MS; now += MS)
		passed += gg_rate_take(&rl, &b, now);
	assert_int_equal(passed, 99);
	/* A long silence earns the burst again, no more. */
	t += 3600 * S;
	passed = 0;
	for (int i = 0; i < 20; i++)
		passed += gg_rate_take(&rl, &b, t);
	assert_int_equal(passed, 5);
}

static void test_default_burst(void **state)
{
	struct gg_rate_limit rl;
	gg_rate_bucket b = 0;
	int passed = 0;

	(void)state;
	assert_int_equal(gg_rate_limit_init(&rl, 50, 0), 0);
	for (int i = 0; i < 200; i++)
		passed += gg_rate_take(&rl, &b, 5 * S);
	assert_int_equal(passed, 50); /* one second's worth */
	/* wait then spend, as a paused connection does */
	assert_true(gg_rate_wait(&rl, b, 5 * S) > 0);
	assert_int_equal(gg_rate_wait(&rl, b, 5 * S + 20 * MS), 0);
	gg_rate_spend(&rl, &b, 5 * S + 20 * MS);
	assert_true(gg_rate_wait(&rl, b, 5 * S + 20 * MS) > 0);
}

static void test_table_per_source(void **state)
{
	struct gg_rate_table *t;
	struct gg_rate_limit rl;
	unsigned char a[5] = { 4, 10, 0, 0, 1 }, b[5] = { 4, 10, 0, 0, 2 };
	int pa = 0, pb = 0;

	(void)state;
	assert_int_equal(gg_rate_limit_init(&rl, 1, 3), 0);
	assert_int_equal(gg_rate_table_new(64, 42, &t), 0);
	for (int i = 0; i < 10; i++) {
		pa += gg_rate_table_take(t, &rl, a, sizeof(a), S);
		pb += gg_rate_table_take(t, &rl, b, sizeof(b), S);
	}
	/* Each source has its own bucket. */
	assert_int_equal(pa, 3);
	assert_int_equal(pb, 3);
	assert_int_equal(gg_rate_table_take(t, &rl, a, sizeof(a), 2 * S), 1);
	assert_int_equal(gg_rate_table_evictions(t), 0);
	gg_rate_table_free(t);
	gg_rate_table_free(NULL);
}

static void test_table_bounded(void **state)
{
	struct gg_rate_table *t;
	struct gg_rate_limit rl;
	unsigned char hot[5] = { 4, 192, 0, 2, 1 };
	int hot_passed = 0;

	(void)state;
	assert_int_equal(gg_rate_limit_init(&rl, 1, 1), 0);
	assert_int_equal(gg_rate_table_new(16, 7, &t), 0);
	/* 100000 sources, each once: they all pass (a new source has a full bucket), memory
	 * stays at 16 slots, and sources are forgotten to make room. */
	for (uint32_t i = 0; i < 100000; i++) {
		unsigned char k[17] = { 6 };

		memcpy(k + 1, &i, sizeof(i));
		assert_int_equal(gg_rate_table_take(t, &rl, k, sizeof(k), S + i), 1);
	}
	assert_true(gg_rate_table_evictions(t) > 0);
	/* A flooding source that stays in the table is held to its rate. */
	for (int i = 0; i < 1000; i++)
		hot_passed += gg_rate_table_take(t, &rl, hot, sizeof(hot), 500 * S);
	assert_int_equal(hot_passed, 1);
	gg_rate_table_free(t);
	assert_int_equal(gg_rate_table_new(0, 1, &t), -EINVAL);
	assert_null(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unlimited),
		cmocka_unit_test(test_burst_then_rate),
		cmocka_unit_test(test_default_burst),
		cmocka_unit_test(test_table_per_source),
		cmocka_unit_test(test_table_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
