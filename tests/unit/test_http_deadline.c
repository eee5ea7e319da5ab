/* test_http_deadline.c: a connection still waiting for its request at the deadline is shut
 * down (its peer reads the end) and counted once; a disarmed one is left alone, and arming
 * again starts a new deadline. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "http/http_deadline.h"

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* 1 when the server side of pair was shut down: the peer reads the end, not EAGAIN. */
static int was_cut(const int pair[2])
{
	char c;

	return recv(pair[1], &c, 1, MSG_DONTWAIT) == 0;
}

static void test_cut_disarm_rearm(void **state)
{
	struct gg_http_deadlines *d;
	struct gg_http_deadline *slow, *done;
	atomic_uint_fast64_t cut = 0;
	struct gg_error err;
	int a[2], b[2];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, a), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, b), 0);
	assert_int_equal(gg_http_deadlines_new(300, &cut, &d, &err), 0);
	slow = gg_http_deadline_add(d, a[0]);
	done = gg_http_deadline_add(d, b[0]);
	assert_non_null(slow);
	assert_non_null(done);
	/* b's request is in: only a is cut, within a tick of its deadline. */
	gg_http_deadline_disarm(d, done);
	sleep_ms(100);
	assert_false(was_cut(a));
	sleep_ms(500);
	assert_true(was_cut(a));
	assert_false(was_cut(b));
	assert_int_equal(cut, 1);
	/* b waits for a next request: a new deadline from now. */
	gg_http_deadline_arm(d, done);
	sleep_ms(100);
	assert_false(was_cut(b));
	sleep_ms(500);
	assert_true(was_cut(b));
	assert_int_equal(cut, 2);
	gg_http_deadline_remove(d, slow);
	gg_http_deadline_remove(d, done);
	gg_http_deadline_remove(d, NULL);
	gg_http_deadlines_free(d);
	gg_http_deadlines_free(NULL);
	for (int i = 0; i < 2; i++) {
		close(a[i]);
		close(b[i]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cut_disarm_rearm),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
