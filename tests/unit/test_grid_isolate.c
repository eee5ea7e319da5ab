/* test_grid_isolate.c: the publisher's culprit search: drops charged to the items in flight,
 * probing one at a time after the same head is charged twice, conviction by a stanza verdict
 * at once and by a bare close only twice, and no charge for the server's own reasons. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "out_grid/grid_isolate.h"

static enum gg_isolate_action drop(struct gg_grid_isolate *iso, enum gg_grid_drop_kind kind,
				   const int64_t *seqs, size_t n, int64_t *culprit)
{
	return gg_grid_isolate_drop(iso, kind, seqs, n, culprit);
}

/* The window 5..9 is in flight; 7 kills the stream (5 and 6 were answered before it). */
static void test_window_then_probe_finds_culprit(void **state)
{
	struct gg_grid_isolate iso = { 0 };
	const int64_t window[] = { 9, 7, 8 };
	const int64_t alone7[] = { 7 };
	int64_t culprit = -1;

	(void)state;
	assert_int_equal(gg_grid_isolate_window(&iso, 64), 64);
	assert_int_equal(drop(&iso, GG_DROP_STANZA, window, 3, &culprit), GG_ISOLATE_RESEND);
	assert_int_equal(culprit, 0);
	assert_int_equal(gg_grid_isolate_window(&iso, 64), 64);
	assert_int_equal(drop(&iso, GG_DROP_STANZA, window, 3, &culprit), GG_ISOLATE_PROBE);
	assert_int_equal(gg_grid_isolate_window(&iso, 64), 1);
	assert_int_equal(drop(&iso, GG_DROP_STANZA, alone7, 1, &culprit), GG_ISOLATE_REFUSE);
	assert_int_equal(culprit, 7);
	/* still probing up to 9, the last of the window that was in flight */
	assert_int_equal(gg_grid_isolate_window(&iso, 64), 1);
	gg_grid_isolate_answered(&iso, 8);
	assert_int_equal(gg_grid_isolate_window(&iso, 64), 1);
	gg_grid_isolate_answered(&iso, 9);
	assert_int_equal(gg_grid_isolate_window(&iso, 64), 64);
}

/* A bare close or an IQ timeout might be the network: alone in flight, it convicts only at
 * the second charge. */
static void test_transport_drop_convicts_twice(void **state)
{
	struct gg_grid_isolate iso = { 0 };
	const int64_t window[] = { 3, 4 };
	const int64_t alone3[] = { 3 };
	int64_t culprit = -1;

	(void)state;
	drop(&iso, GG_DROP_TRANSPORT, window, 2, &culprit);
	assert_int_equal(drop(&iso, GG_DROP_TRANSPORT, window, 2, &culprit), GG_ISOLATE_PROBE);
	assert_int_equal(drop(&iso, GG_DROP_TRANSPORT, alone3, 1, &culprit), GG_ISOLATE_RESEND);
	assert_int_equal(drop(&iso, GG_DROP_TRANSPORT, alone3, 1, &culprit), GG_ISOLATE_REFUSE);
	assert_int_equal(culprit, 3);
	/* an IQ that timed out (our drop) is charged like a bare close */
	memset(&iso, 0, sizeof(iso));
	drop(&iso, GG_DROP_TIMEOUT, window, 2, &culprit);
	assert_int_equal(drop(&iso, GG_DROP_TIMEOUT, window, 2, &culprit), GG_ISOLATE_PROBE);
	assert_int_equal(drop(&iso, GG_DROP_TIMEOUT, alone3, 1, &culprit), GG_ISOLATE_RESEND);
	assert_int_equal(drop(&iso, GG_DROP_TIMEOUT, alone3, 1, &culprit), GG_ISOLATE_REFUSE);
}

/* The last of the probed range is the culprit: set aside, never answered, the probe ends. */
static void test_culprit_last_ends_probe(void **state)
{
	struct gg_grid_isolate iso = { 0 };
	const int64_t window[] = { 1, 2 };
	const int64_t alone2[] = { 2 };
	int64_t culprit;

	(void)state;
	drop(&iso, GG_DROP_STANZA, window, 2, &culprit);
	drop(&iso, GG_DROP_STANZA, window, 2, &culprit);
	gg_grid_isolate_answered(&iso, 1);
	assert_int_equal(gg_grid_isolate_window(&iso, 16), 1);
	assert_int_equal(drop(&iso, GG_DROP_STANZA, alone2, 1, &culprit), GG_ISOLATE_REFUSE);
	assert_int_equal(culprit, 2);
	assert_int_equal(gg_grid_isolate_window(&iso, 16), 16);
}

/* The server's own reasons (shutdown, conflict...), our own drops and drops with nothing in
 * flight say nothing about an item: a controller restarted twice convicts nobody. */
static void test_uncharged_drops(void **state)
{
	struct gg_grid_isolate iso = { 0 };
	const int64_t one[] = { 5 };
	int64_t culprit;

	(void)state;
	for (int i = 0; i < 5; i++) {
		assert_int_equal(drop(&iso, GG_DROP_SERVER, one, 1, &culprit), GG_ISOLATE_RESEND);
		assert_int_equal(drop(&iso, GG_DROP_SELF, one, 1, &culprit), GG_ISOLATE_RESEND);
		assert_int_equal(drop(&iso, GG_DROP_STANZA, one, 0, &culprit), GG_ISOLATE_RESEND);
	}
	assert_int_equal(gg_grid_isolate_window(&iso, 8), 8);
	assert_int_equal(iso.strikes, 0);
}

/* Progress between drops (a new head) starts the count again: a flaky link that still moves
 * the queue never triggers probing. */
static void test_progress_resets_strikes(void **state)
{
	struct gg_grid_isolate iso = { 0 };
	int64_t culprit;

	(void)state;
	for (int64_t head = 1; head < 10; head++) {
		const int64_t window[] = { head, head + 1 };

		assert_int_equal(drop(&iso, GG_DROP_TRANSPORT, window, 2, &culprit),
				 GG_ISOLATE_RESEND);
	}
	assert_int_equal(gg_grid_isolate_window(&iso, 8), 8);
}

/* A suspect that is answered after all was innocent: its strike is forgotten. */
static void test_answer_clears_suspect(void **state)
{
	struct gg_grid_isolate iso = { 0 };
	const int64_t window[] = { 4, 5 };
	int64_t culprit;

	(void)state;
	drop(&iso, GG_DROP_TRANSPORT, window, 2, &culprit);
	gg_grid_isolate_answered(&iso, 4);
	assert_int_equal(drop(&iso, GG_DROP_TRANSPORT, window, 2, &culprit), GG_ISOLATE_RESEND);
	assert_int_equal(gg_grid_isolate_window(&iso, 8), 8);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_window_then_probe_finds_culprit),
		cmocka_unit_test(test_transport_drop_convicts_twice),
		cmocka_unit_test(test_culprit_last_ends_probe),
		cmocka_unit_test(test_uncharged_drops),
		cmocka_unit_test(test_progress_resets_strikes),
		cmocka_unit_test(test_answer_clears_suspect),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
