/* test_emit_pool.c: the emit pool against a real spool: every record put is committed, in the
 * order it was put, by any number of workers; a clean stop drains the queue; outcomes reach
 * the input's counter; a full spool fills the queue (backpressure) and a stop still keeps
 * what was read. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "engine/adapter.h"
#include "engine/config.h"
#include "engine/emit.h"
#include "engine/emit_pool.h"
#include "engine/pipeline.h"
#include "engine/spool.h"

struct fixture {
	char dir[64];
	struct gg_config *cfg;
	struct gg_pipeline *pipeline;
	struct gg_input input;
	atomic_uint refused;
	atomic_uint staged;
	atomic_uint empty;
};

static int fixture_open(struct fixture *fx, int batch, int max_pending)
{
	const char *schemas = getenv("GG_TEST_SCHEMA_DIR");
	char conf[128];
	struct gg_error err = { 0 };
	FILE *f;

	if (schemas == NULL)
		fail_msg("GG_TEST_SCHEMA_DIR is not set");
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/gg-test-pool.XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	snprintf(conf, sizeof(conf), "%s/gridgate.conf", fx->dir);
	f = fopen(conf, "w");
	assert_non_null(f);
	fprintf(f, "[gridgate]\nstate_dir = %s\nschema_dir = %s\n"
		"[spool]\nbatch = %d\nmax_pending = %d\n"
		"[xmpp]\njid = gateway@example.org\npassword = secret\n",
		fx->dir, schemas, batch, max_pending);
	assert_int_equal(fclose(f), 0);
	if (gg_config_load(conf, &fx->cfg, &err) != 0)
		fail_msg("gg_config_load: %s", err.msg);
	unlink(conf);
	if (gg_pipeline_new(fx->cfg, &fx->pipeline, &err) != 0)
		fail_msg("gg_pipeline_new: %s", err.msg);
	fx->input.name = "pool";
	fx->input.pipeline = fx->pipeline;
	return 0;
}

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	assert_non_null(fx);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	char cmd[128];

	gg_pipeline_free(fx->pipeline);
	gg_config_free(fx->cfg);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fx->dir);
	if (fx->dir[0] != '\0' && system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", fx->dir);
	free(fx);
	return 0;
}

static void count_outcome(void *ctx, enum gg_emit_outcome outcome)
{
	struct fixture *fx = ctx;

	if (outcome == GG_EMIT_REFUSED)
		atomic_fetch_add(&fx->refused, 1);
	else if (outcome == GG_EMIT_STAGED)
		atomic_fetch_add(&fx->staged, 1);
	else if (outcome == GG_EMIT_EMPTY)
		atomic_fetch_add(&fx->empty, 1);
}

static struct gg_emit_pool *pool_new(struct fixture *fx, unsigned workers, size_t max_queued)
{
	struct gg_emit_pool_opts opts = { .workers = workers, .max_queued = max_queued,
					  .emitter = { .max_syslog = 2048 },
					  .outcome = count_outcome, .ctx = fx };
	struct gg_emit_pool *p = NULL;
	struct gg_error err = { 0 };

	if (gg_emit_pool_new(&fx->input, &opts, &p, &err) != 0)
		fail_msg("gg_emit_pool_new: %s", err.msg);
	return p;
}

/* Puts syslog message number i (when bad, one whose structured data is never closed). */
static void put(struct gg_emit_pool *p, int i, int bad)
{
	char msg[128], origin[32];
	struct gg_record rec = { .kind = GG_RECORD_SYSLOG, .origin = origin, .peer = "192.0.2.7:514",
				 .bytes = msg };
	struct gg_error err = { 0 };

	snprintf(origin, sizeof(origin), "192.0.2.7:514:%d", i);
	if (bad)
		snprintf(msg, sizeof(msg), "<13>1 2026-12-06T10:00:00Z host.example app - - "
			 "[sd a=\"1\" unclosed %d", i);
	else
		snprintf(msg, sizeof(msg), "<13>1 2026-12-06T10:00:00Z host.example app - - - "
			 "pool-msg-%06d-end", i);
	rec.len = strlen(msg);
	assert_int_equal(gg_emit_pool_put(p, &rec, &err), 0);
}

/* The numbers of the pending records, in spool order; returns how many. */
static int spooled(struct fixture *fx, int *nums, int max)
{
	struct gg_spool *sp = NULL;
	struct gg_spool_row rows[256];
	struct gg_error err = { 0 };
	int64_t after = 0;
	int n = 0, got;

	if (gg_pipeline_open_spool(fx->pipeline, &sp, &err) != 0)
		fail_msg("open spool: %s", err.msg);
	while ((got = gg_spool_fetch_pending(sp, after, 256, rows, &err)) > 0) {
		for (int i = 0; i < got; i++) {
			const char *m = strstr(rows[i].payload, "pool-msg-");

			assert_non_null(m);
			assert_true(n < max);
			nums[n++] = atoi(m + strlen("pool-msg-"));
			after = rows[i].seq;
		}
		gg_spool_rows_free(rows, got);
	}
	assert_true(got >= 0);
	gg_spool_close(sp);
	return n;
}

/* Every record put reaches the spool once, in the order put, whatever the worker count, with
 * flushes at random points (the ends of an input's passes); free drains what is queued. */
static void check_all_in_order(void **state, unsigned workers)
{
	struct fixture *fx = *state;
	enum { N = 2000 };
	static int nums[N + 1];
	struct gg_emit_pool *p;
	int n;

	fixture_open(fx, 16, 1000000);
	p = pool_new(fx, workers, 0);
	srand(7);
	for (int i = 0; i < N; i++) {
		assert_int_equal(gg_emit_pool_wait(p), 0);
		put(p, i, 0);
		if (rand() % 37 == 0)
			gg_emit_pool_flush(p);
	}
	gg_emit_pool_cancel(p);
	assert_int_equal(gg_emit_pool_wait(p), -ECANCELED);
	gg_emit_pool_free(p);
	n = spooled(fx, nums, N + 1);
	assert_int_equal(n, N);
	for (int i = 0; i < N; i++)
		assert_int_equal(nums[i], i);
	assert_int_equal(atomic_load(&fx->staged), N);
	assert_int_equal(atomic_load(&fx->pipeline->counters.accepted), N);
}

static void test_one_worker(void **state)
{
	check_all_in_order(state, 1);
}

static void test_four_workers(void **state)
{
	check_all_in_order(state, 4);
}

/* A flush alone (no whole batch queued) gets records committed: the last records of a quiet
 * input do not wait for more traffic. */
static void test_flush_commits(void **state)
{
	struct fixture *fx = *state;
	struct gg_emit_pool *p;
	int nums[8];

	fixture_open(fx, 64, 1000000);
	p = pool_new(fx, 2, 0);
	for (int i = 0; i < 3; i++)
		put(p, i, 0);
	gg_emit_pool_flush(p);
	for (int t = 0; t < 1000 && gg_emit_pool_pending(p) > 0; t++)
		nanosleep(&(struct timespec){ 0, 5 * 1000000L }, NULL);
	assert_int_equal(gg_emit_pool_pending(p), 0);
	assert_int_equal(spooled(fx, nums, 8), 3);
	gg_emit_pool_free(p);
}

/* Refused records reach the outcome callback (the input's `malformed`) and the quarantine. */
static void test_outcomes(void **state)
{
	struct fixture *fx = *state;
	struct gg_emit_pool *p;
	int nums[64];

	fixture_open(fx, 8, 1000000);
	p = pool_new(fx, 2, 0);
	for (int i = 0; i < 40; i++)
		put(p, i, i % 4 == 0);
	gg_emit_pool_free(p);
	assert_int_equal(atomic_load(&fx->refused), 10);
	assert_int_equal(atomic_load(&fx->staged), 30);
	assert_int_equal(atomic_load(&fx->pipeline->counters.quarantined), 10);
	assert_int_equal(spooled(fx, nums, 64), 30);
}

/* Syslog messages with nothing in them are told as EMPTY and never reach the spool, not even
 * through the generic incident (this input has no mappings). */
static void test_empty(void **state)
{
	static const char *const blank[] = { "", "<13>", "   ", "<13>Dec  7 08:00:46 vm tagx: " };
	struct fixture *fx = *state;
	struct gg_emit_pool *p;
	int nums[64];

	fixture_open(fx, 8, 1000000);
	p = pool_new(fx, 2, 0);
	for (int i = 0; i < 12; i++) {
		struct gg_record rec = { .kind = GG_RECORD_SYSLOG, .origin = "192.0.2.7:514:e",
					 .peer = "192.0.2.7", .bytes = blank[i % 4],
					 .len = strlen(blank[i % 4]) };
		struct gg_error err = { 0 };

		put(p, i, 0);
		assert_int_equal(gg_emit_pool_put(p, &rec, &err), 0);
	}
	gg_emit_pool_free(p);
	assert_int_equal(atomic_load(&fx->empty), 12);
	assert_int_equal(atomic_load(&fx->staged), 12);
	assert_int_equal(atomic_load(&fx->refused), 0);
	assert_int_equal(spooled(fx, nums, 64), 12);
}

/* A full spool: the workers wait for room, so the queue passes its bound and the input is told
 * to stop reading. A stop wakes the input's wait (-ECANCELED) and the drain still commits
 * what was read, over max_pending by at most the queue. */
static void test_backpressure_then_stop(void **state)
{
	struct fixture *fx = *state;
	struct gg_emit_pool *p;
	static int nums[256];
	int put_n = 0;

	fixture_open(fx, 4, 10);
	p = pool_new(fx, 1, 8);
	/* 10 fill the spool; the worker then holds a batch waiting for room, and the queue
	 * fills to its bound of 8. */
	for (int t = 0; t < 2000 && !gg_emit_pool_full(p); t++) {
		put(p, put_n++, 0);
		if (put_n % 4 == 0)
			gg_emit_pool_flush(p);
		nanosleep(&(struct timespec){ 0, 1000000L }, NULL);
	}
	assert_true(gg_emit_pool_full(p));
	/* max_pending, the four batches a worker may map before the writer committed the one
	 * that filled the spool, the batch waiting for room, the queue's bound, one flush. */
	assert_true(put_n <= 10 + 4 * 4 + 4 + 8 + 4);
	/* The queue may fill before the worker, on a loaded machine, reached its wait. */
	for (int t = 0; t < 2000 && atomic_load(&fx->pipeline->counters.backpressure_waits) == 0;
	     t++)
		nanosleep(&(struct timespec){ 0, 1000000L }, NULL);
	assert_true(atomic_load(&fx->pipeline->counters.backpressure_waits) >= 1);
	gg_pipeline_stop(fx->pipeline);
	assert_int_equal(gg_emit_pool_wait(p), -ECANCELED);
	gg_emit_pool_free(p);
	assert_int_equal(spooled(fx, nums, 256), put_n);
}

/* [spool] batch bounds what an input stages before it commits (the file drop commits a big
 * file in slices of it): an emitter's batch is full at exactly `batch` staged records. */
static void test_batch_full_at_batch(void **state)
{
	struct fixture *fx = *state;
	struct gg_emitter_opts opts = { .max_syslog = 2048 };
	struct gg_emitter *e = NULL;
	struct gg_error err = { 0 };
	int nums[16];

	fixture_open(fx, 8, 1000000);
	if (gg_emitter_new(&fx->input, &opts, &e, &err) != 0)
		fail_msg("gg_emitter_new: %s", err.msg);
	assert_int_equal(gg_batch_begin(e, 1, &err), 0);
	for (int i = 0; i < 8; i++) {
		char msg[128], origin[32];
		struct gg_record rec = { .kind = GG_RECORD_SYSLOG, .origin = origin,
					 .peer = "192.0.2.7:514", .bytes = msg };
		enum gg_emit_outcome outcome;

		assert_false(gg_batch_full(e));
		snprintf(origin, sizeof(origin), "192.0.2.7:514:%d", i);
		snprintf(msg, sizeof(msg), "<13>1 2026-12-06T10:00:00Z host.example app - - - "
			 "pool-msg-%06d-end", i);
		rec.len = strlen(msg);
		assert_int_equal(gg_emit(e, &rec, &outcome, &err), 0);
		assert_int_equal(outcome, GG_EMIT_STAGED);
	}
	assert_int_equal(gg_batch_staged(e), 8);
	assert_true(gg_batch_full(e));
	assert_int_equal(gg_batch_commit(e, &err), 0);
	assert_false(gg_batch_full(e));
	gg_emitter_free(e);
	assert_int_equal(spooled(fx, nums, 16), 8);
}

static void test_bad_worker_count(void **state)
{
	struct fixture *fx = *state;
	struct gg_emit_pool_opts opts = { .workers = 0 };
	struct gg_emit_pool *p = NULL;
	struct gg_error err = { 0 };

	fixture_open(fx, 8, 1000000);
	assert_int_equal(gg_emit_pool_new(&fx->input, &opts, &p, &err), -EINVAL);
	assert_null(p);
	opts.workers = GG_EMIT_POOL_MAX_WORKERS + 1;
	assert_int_equal(gg_emit_pool_new(&fx->input, &opts, &p, &err), -EINVAL);
	gg_emit_pool_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_one_worker, setup, teardown),
		cmocka_unit_test_setup_teardown(test_four_workers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flush_commits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_outcomes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_empty, setup, teardown),
		cmocka_unit_test_setup_teardown(test_backpressure_then_stop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_batch_full_at_batch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_worker_count, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
