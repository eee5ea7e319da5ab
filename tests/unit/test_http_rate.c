/* test_http_rate.c: the per-peer limit lets a burst through, then the rate, tells how long to
 * wait, keeps peers apart, and stays bounded when many peers come. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "http/http_rate.h"

#define S 1000000000ull

static void test_burst_then_rate(void **state)
{
	struct gg_http_rate *r;
	const unsigned char a[] = { 4, 10, 0, 0, 1 }, b[] = { 4, 10, 0, 0, 2 };
	uint64_t t = 1000 * S;

	(void)state;
	assert_int_equal(gg_http_rate_new(1, 3, 64, 42, &r), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(gg_http_rate_take(r, a, sizeof(a), t), 0);
	/* Over: the wait is whole seconds, at least one. */
	assert_int_equal(gg_http_rate_take(r, a, sizeof(a), t), 1);
	/* Another peer has its own bucket. */
	assert_int_equal(gg_http_rate_take(r, b, sizeof(b), t), 0);
	/* One second later, one more. */
	assert_int_equal(gg_http_rate_take(r, a, sizeof(a), t + S), 0);
	assert_true(gg_http_rate_take(r, a, sizeof(a), t + S) > 0);
	gg_http_rate_free(r);
	assert_int_equal(gg_http_rate_new(0, 0, 64, 0, &r), -EINVAL);
}

static void test_many_peers(void **state)
{
	struct gg_http_rate *r;
	unsigned char k[5] = { 4 };
	uint64_t t = 5 * S;

	(void)state;
	assert_int_equal(gg_http_rate_new(10, 1, 16, 7, &r), 0);
	/* Far more peers than slots: each new one gets a fresh bucket, memory stays fixed. */
	for (uint32_t i = 0; i < 10000; i++) {
		memcpy(k + 1, &i, 4);
		assert_int_equal(gg_http_rate_take(r, k, sizeof(k), t + i), 0);
	}
	gg_http_rate_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_burst_then_rate),
		cmocka_unit_test(test_many_peers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
