/* test_grid_window.c: what the publisher does with each answer, without a controller: results
 * become acknowledgements to mark done (and only they do), a payload refusal refuses that row
 * only, retryable errors wait a growing backoff and rewind, an unanswered IQ expires, a lost
 * session rewinds and forgets what was in flight, and a head lost twice is probed alone. The
 * same reactions are tested end to end against Prosody in it_publish_faults.sh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "out_grid/grid_window.h"

#define MIN_MS 500
#define MAX_MS 2000

static struct gg_grid_window open_window(size_t cap)
{
	struct gg_grid_window w;

	assert_int_equal(gg_grid_window_init(&w, cap, MIN_MS, MAX_MS), 0);
	return w;
}

static void send_range(struct gg_grid_window *w, int64_t first, int64_t last, int64_t now)
{
	for (int64_t seq = first; seq <= last; seq++)
		gg_grid_window_sent(w, seq, now);
}

static void test_results_are_the_only_acks(void **state)
{
	struct gg_grid_window w = open_window(4);
	const int64_t *acks;
	size_t n;

	(void)state;
	assert_int_equal(gg_grid_window_room(&w, 0), 4);
	send_range(&w, 1, 3, 0);
	assert_int_equal(gg_grid_window_room(&w, 0), 1);
	assert_int_equal(w.cursor, 3);
	/* sent is not acknowledged: nothing to mark done yet */
	gg_grid_window_acks(&w, &n);
	assert_int_equal(n, 0);
	assert_int_equal(gg_grid_window_answer(&w, 2, GG_ANSWER_RESULT, 10), GG_STEP_ACKED);
	acks = gg_grid_window_acks(&w, &n);
	assert_int_equal(n, 1);
	assert_int_equal(acks[0], 2);
	assert_true(gg_grid_window_in_flight(&w, 1));
	assert_false(gg_grid_window_in_flight(&w, 2));
	gg_grid_window_acks_flushed(&w, 1);
	gg_grid_window_acks(&w, &n);
	assert_int_equal(n, 0);
	/* an answer for something not in flight (from before a reconnect) changes nothing */
	assert_int_equal(gg_grid_window_answer(&w, 2, GG_ANSWER_RESULT, 10), GG_STEP_STALE);
	assert_int_equal(gg_grid_window_answer(&w, 99, GG_ANSWER_REFUSED, 10), GG_STEP_STALE);
	gg_grid_window_acks(&w, &n);
	assert_int_equal(n, 0);
	gg_grid_window_free(&w);
}

static void test_refusal_refuses_only_that_row(void **state)
{
	struct gg_grid_window w = open_window(8);

	(void)state;
	send_range(&w, 1, 3, 0);
	assert_int_equal(gg_grid_window_answer(&w, 2, GG_ANSWER_REFUSED, 5), GG_STEP_REFUSE);
	/* no backoff, no rewind: the others go on */
	assert_int_equal(gg_grid_window_room(&w, 5), 6);
	assert_int_equal(w.cursor, 3);
	assert_int_equal(w.retry_at_ms, 0);
	assert_int_equal(gg_grid_window_answer(&w, 3, GG_ANSWER_TOPIC_GONE, 5), GG_STEP_TOPIC_GONE);
	gg_grid_window_free(&w);
}

static void test_retry_waits_backoff_then_rewinds(void **state)
{
	struct gg_grid_window w = open_window(8);
	size_t n;

	(void)state;
	send_range(&w, 1, 4, 0);
	assert_int_equal(gg_grid_window_answer(&w, 1, GG_ANSWER_RETRY, 100), GG_STEP_RETRY);
	assert_int_equal(w.retry_at_ms, 100 + MIN_MS);
	/* the rest of the window's answers do not push the retry further */
	assert_int_equal(gg_grid_window_answer(&w, 2, GG_ANSWER_RETRY, 200), GG_STEP_RETRY);
	assert_int_equal(w.retry_at_ms, 100 + MIN_MS);
	/* nothing is sent while the retry waits */
	assert_int_equal(gg_grid_window_room(&w, 100 + MIN_MS - 1), 0);
	assert_false(gg_grid_window_retry_due(&w, 100 + MIN_MS - 1));
	assert_true(gg_grid_window_retry_due(&w, 100 + MIN_MS));
	assert_int_equal(w.cursor, 0); /* resent from the oldest pending row */
	assert_int_equal(gg_grid_window_room(&w, 100 + MIN_MS), 6);
	/* the next refusal waits twice as long, up to the maximum */
	gg_grid_window_sent(&w, 1, 700);
	gg_grid_window_answer(&w, 1, GG_ANSWER_RETRY, 700);
	assert_int_equal(w.retry_at_ms, 700 + 2 * MIN_MS);
	assert_true(gg_grid_window_retry_due(&w, 700 + 2 * MIN_MS));
	for (int i = 0; i < 4; i++) {
		gg_grid_window_sent(&w, 1, 5000);
		gg_grid_window_answer(&w, 1, GG_ANSWER_RETRY, 5000);
		assert_true(w.retry_at_ms - 5000 <= MAX_MS);
		assert_true(gg_grid_window_retry_due(&w, w.retry_at_ms));
	}
	assert_int_equal(w.backoff_ms, MAX_MS);
	/* an acknowledgement that reached the spool starts the backoff over */
	gg_grid_window_sent(&w, 1, 9000);
	gg_grid_window_answer(&w, 1, GG_ANSWER_RESULT, 9000);
	gg_grid_window_acks(&w, &n);
	assert_int_equal(n, 1);
	gg_grid_window_acks_flushed(&w, 1);
	assert_int_equal(w.backoff_ms, MIN_MS);
	gg_grid_window_free(&w);
}

static void test_unanswered_publish_expires(void **state)
{
	struct gg_grid_window w = open_window(8);

	(void)state;
	gg_grid_window_sent(&w, 1, 1000);
	gg_grid_window_sent(&w, 2, 3000);
	assert_false(gg_grid_window_expired(&w, 1000 + 30000, 30000));
	assert_true(gg_grid_window_expired(&w, 1000 + 30001, 30000));
	gg_grid_window_answer(&w, 1, GG_ANSWER_RESULT, 20000);
	assert_false(gg_grid_window_expired(&w, 1000 + 30001, 30000));
	assert_true(gg_grid_window_expired(&w, 3000 + 30001, 30000));
	gg_grid_window_free(&w);
}

static void test_lost_session_rewinds_and_probes(void **state)
{
	struct gg_grid_window w = open_window(8);
	int64_t culprit;
	size_t lost;

	(void)state;
	send_range(&w, 5, 7, 0);
	assert_int_equal(gg_grid_window_lost(&w, GG_DROP_STANZA, &lost, &culprit),
			 GG_ISOLATE_RESEND);
	assert_int_equal(lost, 3);
	assert_int_equal(w.n_inflight, 0);
	assert_int_equal(w.cursor, 0);
	/* the late answer of a lost publish is stale */
	assert_int_equal(gg_grid_window_answer(&w, 5, GG_ANSWER_RESULT, 1), GG_STEP_STALE);
	send_range(&w, 5, 7, 10);
	assert_int_equal(gg_grid_window_lost(&w, GG_DROP_STANZA, &lost, &culprit),
			 GG_ISOLATE_PROBE);
	assert_int_equal(gg_grid_window_room(&w, 20), 1);
	gg_grid_window_sent(&w, 5, 20);
	assert_int_equal(gg_grid_window_room(&w, 20), 0);
	assert_int_equal(gg_grid_window_lost(&w, GG_DROP_STANZA, &lost, &culprit),
			 GG_ISOLATE_REFUSE);
	assert_int_equal(culprit, 5);
	/* the probe goes on through 7, the last that was in flight, then the window opens */
	gg_grid_window_sent(&w, 6, 30);
	gg_grid_window_answer(&w, 6, GG_ANSWER_RESULT, 31);
	assert_int_equal(gg_grid_window_room(&w, 31), 1);
	gg_grid_window_sent(&w, 7, 32);
	gg_grid_window_answer(&w, 7, GG_ANSWER_RESULT, 33);
	assert_int_equal(gg_grid_window_room(&w, 33), 8);
	/* a server shutdown with items in flight charges nobody */
	send_range(&w, 8, 9, 40);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(gg_grid_window_lost(&w, GG_DROP_SERVER, &lost, &culprit),
				 GG_ISOLATE_RESEND);
		send_range(&w, 8, 9, 50);
	}
	assert_int_equal(gg_grid_window_room(&w, 60), 6);
	gg_grid_window_free(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_results_are_the_only_acks),
		cmocka_unit_test(test_refusal_refuses_only_that_row),
		cmocka_unit_test(test_retry_waits_backoff_then_rewinds),
		cmocka_unit_test(test_unanswered_publish_expires),
		cmocka_unit_test(test_lost_session_rewinds_and_probes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
