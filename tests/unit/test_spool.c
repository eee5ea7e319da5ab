/* test_spool.c: the spool's promises: order, idempotent puts, group commit, backpressure,
 * durability across a restart and a SIGKILL, and two writer threads without SQLITE_BUSY. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "engine/config.h"
#include "engine/pipeline.h"
#include "engine/spool.h"
#include "test_dir.h"

#define THREAD_ROWS 5000
#define THREAD_BATCH 100
#define PRUNE_ROWS 2500

struct fixture {
	struct gg_test_dir tmp;
};

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	if (fx == NULL)
		return -1;
	if (gg_test_dir_make(&fx->tmp, "spool") != 0) {
		free(fx);
		return -1;
	}
	*state = fx;
	return 0;
}

/* Removes the database with its -wal and -shm files, whatever a test left behind. */
static int teardown(void **state)
{
	struct fixture *fx = *state;
	int ret = gg_test_dir_remove(&fx->tmp);

	free(fx);
	return ret;
}

static struct gg_spool *open_spool_sync(const struct fixture *fx, int64_t max_pending,
				       int synchronous_full)
{
	struct gg_spool_options opts = {
		.path = fx->tmp.path,
		.synchronous_full = synchronous_full,
		.max_pending = max_pending,
		.busy_timeout_ms = 5000,
	};
	struct gg_spool *sp = NULL;
	struct gg_error err = { 0 };
	int r = gg_spool_open(&opts, &sp, &err);

	if (r != 0)
		print_error("gg_spool_open: %s\n", err.msg);
	assert_int_equal(r, 0);
	assert_non_null(sp);
	return sp;
}

static struct gg_spool *open_spool(const struct fixture *fx, int64_t max_pending)
{
	return open_spool_sync(fx, max_pending, 0);
}

static void put_ok(struct gg_spool *sp, const char *id, const char *payload)
{
	struct gg_error err = { 0 };
	int r = gg_spool_put(sp, id, "test", payload, strlen(payload), &err);

	if (r < 0)
		print_error("gg_spool_put %s: %s\n", id, err.msg);
	assert_int_equal(r, 0);
}

static int fetch(struct gg_spool *sp, int64_t after, struct gg_spool_row *rows, int max)
{
	struct gg_error err = { 0 };
	int n = gg_spool_fetch_pending(sp, after, max, rows, &err);

	if (n < 0)
		print_error("gg_spool_fetch_pending: %s\n", err.msg);
	assert_true(n >= 0);
	return n;
}

static struct gg_spool_stats stats_of(struct gg_spool *sp)
{
	struct gg_spool_stats st;
	struct gg_error err = { 0 };

	assert_int_equal(gg_spool_stats(sp, &st, &err), 0);
	return st;
}

/* Runs one statement on the file behind the spool's back, to age rows or fake a version. */
static void raw_exec(const struct fixture *fx, const char *sql)
{
	sqlite3 *db = NULL;

	assert_int_equal(sqlite3_open(fx->tmp.path, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
}

static int64_t raw_int(const struct fixture *fx, const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int64_t v;

	assert_int_equal(sqlite3_open(fx->tmp.path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
	return v;
}

static void test_put_fetch_in_order(void **state)
{
	struct gg_spool *sp = open_spool(*state, 0);
	struct gg_spool_row rows[8];
	const char *ids[] = { "id-c", "id-a", "id-b" };
	const char *bodies[] = { "<c/>", "<a/>", "<b/>" };
	int n;

	for (int i = 0; i < 3; i++)
		put_ok(sp, ids[i], bodies[i]);
	n = fetch(sp, 0, rows, 8);
	assert_int_equal(n, 3);
	for (int i = 0; i < 3; i++) {
		assert_string_equal(rows[i].id, ids[i]);
		assert_int_equal(rows[i].payload_len, strlen(bodies[i]));
		assert_string_equal(rows[i].payload, bodies[i]);
		assert_int_equal(rows[i].attempts, 0);
		if (i > 0)
			assert_true(rows[i].seq > rows[i - 1].seq);
	}
	gg_spool_rows_free(rows, n);
	/* max bounds the answer */
	n = fetch(sp, 0, rows, 2);
	assert_int_equal(n, 2);
	assert_string_equal(rows[1].id, "id-a");
	gg_spool_rows_free(rows, n);
	gg_spool_close(sp);
}

static void test_duplicate_id(void **state)
{
	struct gg_spool *sp = open_spool(*state, 0);
	struct gg_spool_row rows[4];
	struct gg_error err = { 0 };
	int n;

	put_ok(sp, "dup", "first");
	assert_int_equal(gg_spool_put(sp, "dup", "test", "second", 6, &err), 1);
	assert_int_equal(stats_of(sp).pending, 1);
	n = fetch(sp, 0, rows, 4);
	assert_int_equal(n, 1);
	assert_string_equal(rows[0].payload, "first");
	gg_spool_rows_free(rows, n);
	/* still a duplicate once acknowledged: a replay after the ack must not publish again */
	put_ok(sp, "other", "x");
	n = fetch(sp, 0, rows, 4);
	assert_int_equal(n, 2);
	assert_int_equal(gg_spool_mark_done(sp, &rows[0].seq, 1, &err), 0);
	gg_spool_rows_free(rows, n);
	assert_int_equal(gg_spool_put(sp, "dup", "test", "third", 5, &err), 1);
	assert_int_equal(stats_of(sp).pending, 1);
	assert_int_equal(stats_of(sp).done, 1);
	gg_spool_close(sp);
}

static void test_bad_id(void **state)
{
	struct gg_spool *sp = open_spool(*state, 0);
	struct gg_error err = { 0 };
	char longid[80];

	memset(longid, 'x', sizeof(longid) - 1);
	longid[sizeof(longid) - 1] = '\0';
	assert_int_equal(gg_spool_put(sp, "", "s", "p", 1, &err), -EINVAL);
	assert_int_equal(gg_spool_put(sp, NULL, "s", "p", 1, &err), -EINVAL);
	assert_int_equal(gg_spool_put(sp, longid, "s", "p", 1, &err), -EINVAL);
	longid[64] = '\0'; /* exactly the row's capacity is fine */
	assert_int_equal(gg_spool_put(sp, longid, "s", "p", 1, &err), 0);
	assert_int_equal(stats_of(sp).pending, 1);
	gg_spool_close(sp);
}

static void test_mark_done(void **state)
{
	struct gg_spool *sp = open_spool(*state, 0);
	struct gg_spool_row rows[8];
	struct gg_error err = { 0 };
	int64_t seqs[2], pending = -1;
	int n;

	put_ok(sp, "a", "1");
	put_ok(sp, "b", "2");
	put_ok(sp, "c", "3");
	n = fetch(sp, 0, rows, 8);
	assert_int_equal(n, 3);
	seqs[0] = rows[0].seq;
	seqs[1] = rows[1].seq;
	gg_spool_rows_free(rows, n);
	assert_int_equal(gg_spool_mark_done(sp, seqs, 2, &err), 0);
	n = fetch(sp, 0, rows, 8);
	assert_int_equal(n, 1);
	assert_string_equal(rows[0].id, "c");
	gg_spool_rows_free(rows, n);
	assert_int_equal(gg_spool_pending_count(sp, &pending), 0);
	assert_int_equal(pending, 1);
	/* acknowledging twice (a replayed IQ result) changes nothing */
	assert_int_equal(gg_spool_mark_done(sp, seqs, 2, &err), 0);
	assert_int_equal(stats_of(sp).done, 2);
	assert_int_equal(gg_spool_mark_done(sp, seqs, 0, &err), 0);
	gg_spool_close(sp);
}

/* A late refusal (an IQ error after the result, a replayed error) must not undo a delivery:
 * the done row keeps its state, reason and attempts, and the counts do not move. */
static void test_mark_failed_after_done(void **state)
{
	struct fixture *fx = *state;
	struct gg_spool *sp = open_spool(fx, 0);
	struct gg_spool_row rows[2];
	struct gg_spool_stats st;
	struct gg_error err = { 0 };
	int n;

	put_ok(sp, "acked", "x");
	n = fetch(sp, 0, rows, 2);
	assert_int_equal(n, 1);
	assert_int_equal(gg_spool_mark_done(sp, &rows[0].seq, 1, &err), 0);
	assert_int_equal(gg_spool_mark_failed(sp, rows[0].seq, "late-refusal", &err), 0);
	gg_spool_rows_free(rows, n);
	st = stats_of(sp);
	assert_int_equal(st.done, 1);
	assert_int_equal(st.failed, 0);
	assert_int_equal(st.pending, 0);
	gg_spool_close(sp);
	assert_int_equal(raw_int(fx, "SELECT count(*) FROM deliveries JOIN records USING (seq) WHERE"
				     " id = 'acked' AND state = 1 AND reason IS NULL AND"
				     " attempts = 0"), 1);
	assert_int_equal(raw_int(fx, "SELECT coalesce(sum(n), 0) FROM delivery_counts"
				     " WHERE state = 2"), 0);
}

/* The mirror: a delivery refused (dead-lettered) stays refused when a late acknowledgement
 * for it arrives, so the dead letter is not lost from the failed count and its reason. */
static void test_mark_done_after_failed(void **state)
{
	struct fixture *fx = *state;
	struct gg_spool *sp = open_spool(fx, 0);
	struct gg_spool_row rows[2];
	struct gg_spool_stats st;
	struct gg_error err = { 0 };
	int n;

	put_ok(sp, "refused", "x");
	n = fetch(sp, 0, rows, 2);
	assert_int_equal(n, 1);
	assert_int_equal(gg_spool_mark_failed(sp, rows[0].seq, "policy", &err), 0);
	assert_int_equal(gg_spool_mark_done(sp, &rows[0].seq, 1, &err), 0);
	gg_spool_rows_free(rows, n);
	st = stats_of(sp);
	assert_int_equal(st.done, 0);
	assert_int_equal(st.failed, 1);
	assert_int_equal(st.pending, 0);
	gg_spool_close(sp);
	assert_int_equal(raw_int(fx, "SELECT count(*) FROM deliveries JOIN records USING (seq) WHERE"
				     " id = 'refused' AND state = 2 AND reason = 'policy'"), 1);
	assert_int_equal(raw_int(fx, "SELECT coalesce(sum(n), 0) FROM delivery_counts"
				     " WHERE state = 1"), 0);
}

static void test_fetch_after_seq(void **state)
{
	struct gg_spool *sp = open_spool(*state, 0);
	struct gg_spool_row all[8], rest[8];
	char id[16];
	int n, m;

	for (int i = 0; i < 5; i++) {
		snprintf(id, sizeof(id), "r%d", i);
		put_ok(sp, id, id);
	}
	n = fetch(sp, 0, all, 8);
	assert_int_equal(n, 5);
	m = fetch(sp, all[1].seq, rest, 8);
	assert_int_equal(m, 3);
	for (int i = 0; i < m; i++) {
		assert_int_equal(rest[i].seq, all[i + 2].seq);
		assert_string_equal(rest[i].id, all[i + 2].id);
	}
	gg_spool_rows_free(rest, m);
	assert_int_equal(fetch(sp, all[4].seq, rest, 8), 0);
	gg_spool_rows_free(all, n);
	gg_spool_close(sp);
}

static void test_quarantine_and_stats(void **state)
{
	struct fixture *fx = *state;
	struct gg_spool *sp = open_spool(fx, 0);
	struct gg_spool_row rows[8];
	struct gg_spool_stats st;
	struct gg_error err = { 0 };
	int n;

	st = stats_of(sp);
	assert_int_equal(st.pending + st.done + st.failed + st.quarantined, 0);
	for (int i = 0; i < 4; i++) {
		char id[16];

		snprintf(id, sizeof(id), "s%d", i);
		put_ok(sp, id, "x");
	}
	assert_int_equal(gg_spool_quarantine(sp, "q1", "syslog", "not IODEF", 3, 7, "<bad", 4, &err),
			 0);
	assert_int_equal(gg_spool_quarantine(sp, "q2", "webhook", "schema", 1, 1, "", 0, &err), 0);
	n = fetch(sp, 0, rows, 8);
	assert_int_equal(n, 4);
	assert_int_equal(gg_spool_mark_done(sp, &rows[0].seq, 1, &err), 0);
	assert_int_equal(gg_spool_mark_failed(sp, rows[1].seq, "item-forbidden", &err), 0);
	gg_spool_rows_free(rows, n);

	st = stats_of(sp);
	assert_int_equal(st.pending, 2);
	assert_int_equal(st.done, 1);
	assert_int_equal(st.failed, 1);
	assert_int_equal(st.quarantined, 2);
	/* failed rows leave the queue, with their reason and one more attempt */
	n = fetch(sp, 0, rows, 8);
	assert_int_equal(n, 2);
	assert_string_equal(rows[0].id, "s2");
	gg_spool_rows_free(rows, n);
	gg_spool_close(sp);
	assert_int_equal(raw_int(fx, "SELECT attempts FROM deliveries JOIN records USING (seq)"
				     " WHERE id = 's1' AND state = 2 AND reason = 'item-forbidden'"),
			 1);
	assert_int_equal(raw_int(fx, "SELECT line * 100 + col FROM quarantine WHERE id = 'q1' "
				     "AND reason = 'not IODEF' AND source = 'syslog' "
				     "AND payload = CAST('<bad' AS BLOB)"), 307);
	/* the kept counts agree with the rows themselves */
	assert_int_equal(raw_int(fx, "SELECT count(*) FROM deliveries WHERE state = 0"), 2);
	assert_int_equal(raw_int(fx, "SELECT count(*) FROM quarantine"), 2);
}

static void test_is_full(void **state)
{
	struct fixture *fx = *state;
	struct gg_spool *sp = open_spool(fx, 3);
	struct gg_spool_row rows[4];
	struct gg_error err = { 0 };
	int n;

	assert_int_equal(gg_spool_is_full(sp), 0);
	put_ok(sp, "f1", "x");
	put_ok(sp, "f2", "x");
	assert_int_equal(gg_spool_is_full(sp), 0);
	put_ok(sp, "f3", "x");
	assert_int_equal(gg_spool_is_full(sp), 1);
	/* another handle sees it at once: the count is in the file, not in a handle */
	{
		struct gg_spool *other = open_spool(fx, 3);

		assert_int_equal(gg_spool_is_full(other), 1);
		gg_spool_close(other);
	}
	n = fetch(sp, 0, rows, 4);
	assert_int_equal(n, 3);
	assert_int_equal(gg_spool_mark_done(sp, &rows[0].seq, 1, &err), 0);
	gg_spool_rows_free(rows, n);
	assert_int_equal(gg_spool_is_full(sp), 0);
	/* inside a transaction the handle's own uncommitted puts count */
	assert_int_equal(gg_spool_begin(sp, &err), 0);
	put_ok(sp, "f4", "x");
	assert_int_equal(gg_spool_is_full(sp), 1);
	gg_spool_rollback(sp);
	assert_int_equal(gg_spool_is_full(sp), 0);
	gg_spool_close(sp);

	sp = open_spool(fx, 0); /* unbounded */
	for (int i = 0; i < 5; i++) {
		char id[16];

		snprintf(id, sizeof(id), "u%d", i);
		put_ok(sp, id, "x");
	}
	assert_int_equal(gg_spool_is_full(sp), 0);
	gg_spool_close(sp);
}

static void test_reopen_keeps_pending(void **state)
{
	struct fixture *fx = *state;
	struct gg_spool *sp = open_spool(fx, 0);
	struct gg_spool_row rows[8];
	struct gg_error err = { 0 };
	int n;

	assert_int_equal(gg_spool_begin(sp, &err), 0);
	put_ok(sp, "k1", "one");
	put_ok(sp, "k2", "two");
	assert_int_equal(gg_spool_commit(sp, &err), 0);
	put_ok(sp, "k3", "three");
	gg_spool_close(sp);

	sp = open_spool(fx, 0);
	n = fetch(sp, 0, rows, 8);
	assert_int_equal(n, 3);
	assert_string_equal(rows[0].id, "k1");
	assert_string_equal(rows[1].payload, "two");
	assert_string_equal(rows[2].id, "k3");
	gg_spool_rows_free(rows, n);
	gg_spool_close(sp);
}

/* synchronous_full is what the spool's own connection runs with: FULL (2) or NORMAL (1). */
static void test_synchronous(void **state)
{
	struct fixture *fx = *state;
	struct gg_spool *sp = open_spool_sync(fx, 0, 1);

	assert_int_equal(gg_spool_synchronous(sp), 2);
	gg_spool_close(sp);
	sp = open_spool_sync(fx, 0, 0);
	assert_int_equal(gg_spool_synchronous(sp), 1);
	gg_spool_close(sp);
}

/* The same through the daemon's path: a config file's [spool] synchronous_full, read by
 * gg_config_load, applied by gg_pipeline_open_spool (the handle every input and the publisher
 * open). */
static int pipeline_spool_synchronous(const struct fixture *fx, const char *value)
{
	char conf[256], text[1024];
	struct gg_config *cfg = NULL;
	struct gg_pipeline *p = NULL;
	struct gg_spool *sp = NULL;
	struct gg_error err = { 0 };
	const char *schemas = getenv("GG_TEST_SCHEMA_DIR");
	FILE *f;
	int level;

	assert_non_null(schemas);
	snprintf(conf, sizeof(conf), "%s/gridgate.conf", fx->tmp.dir);
	snprintf(text, sizeof(text),
		 "[gridgate]\nstate_dir = %s\nschema_dir = %s\n"
		 "[spool]\npath = %s\nsynchronous_full = %s\n"
		 "[xmpp]\njid = gateway@example.org\npassword = secret\n",
		 fx->tmp.dir, schemas, fx->tmp.path, value);
	f = fopen(conf, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
	if (gg_config_load(conf, &cfg, &err) != 0)
		fail_msg("gg_config_load: %s", err.msg);
	unlink(conf);
	if (gg_pipeline_new(cfg, &p, &err) != 0)
		fail_msg("gg_pipeline_new: %s", err.msg);
	if (gg_pipeline_open_spool(p, &sp, &err) != 0)
		fail_msg("gg_pipeline_open_spool: %s", err.msg);
	level = gg_spool_synchronous(sp);
	gg_spool_close(sp);
	gg_pipeline_free(p);
	gg_config_free(cfg);
	return level;
}

static void test_synchronous_from_config(void **state)
{
	assert_int_equal(pipeline_spool_synchronous(*state, "yes"), 2);
	assert_int_equal(pipeline_spool_synchronous(*state, "no"), 1);
}

struct writer {
	const char *path;
	int tid;
	int failed_rc;
	char msg[512];
};

/* cmocka's asserts are not thread-safe: a writer records its first failure for main to check. */
static void *writer_main(void *arg)
{
	struct writer *w = arg;
	struct gg_spool_options opts = { .path = w->path, .busy_timeout_ms = 5000 };
	struct gg_spool *sp = NULL;
	struct gg_error err = { 0 };
	char id[32], body[64];
	int r;

	r = gg_spool_open(&opts, &sp, &err);
	for (int b = 0; r == 0 && b < THREAD_ROWS / THREAD_BATCH; b++) {
		r = gg_spool_begin(sp, &err);
		for (int i = 0; r == 0 && i < THREAD_BATCH; i++) {
			int k = b * THREAD_BATCH + i;

			snprintf(id, sizeof(id), "t%d-%05d", w->tid, k);
			snprintf(body, sizeof(body), "<r t='%d' k='%d'/>", w->tid, k);
			r = gg_spool_put(sp, id, "thread", body, strlen(body), &err);
		}
		if (r == 0)
			r = gg_spool_commit(sp, &err);
		else
			gg_spool_rollback(sp);
	}
	if (r != 0) {
		w->failed_rc = r;
		snprintf(w->msg, sizeof(w->msg), "%s", err.msg);
	}
	gg_spool_close(sp);
	return NULL;
}

static void test_two_writer_threads(void **state)
{
	struct fixture *fx = *state;
	struct writer w[2];
	pthread_t th[2];
	static unsigned char seen[2][THREAD_ROWS];
	struct gg_spool_row *rows;
	struct gg_spool *sp;
	int64_t after = 0, last = 0;
	int total = 0, n;

	memset(seen, 0, sizeof(seen));
	/* Both threads open a fresh file at the same moment: creating the schema races too. */
	for (int t = 0; t < 2; t++) {
		memset(&w[t], 0, sizeof(w[t]));
		w[t].path = fx->tmp.path;
		w[t].tid = t;
		assert_int_equal(pthread_create(&th[t], NULL, writer_main, &w[t]), 0);
	}
	for (int t = 0; t < 2; t++)
		assert_int_equal(pthread_join(th[t], NULL), 0);
	for (int t = 0; t < 2; t++) {
		if (w[t].failed_rc != 0)
			print_error("writer %d: %d: %s\n", t, w[t].failed_rc, w[t].msg);
		assert_int_equal(w[t].failed_rc, 0);
	}

	sp = open_spool(fx, 0);
	assert_int_equal(stats_of(sp).pending, 2 * THREAD_ROWS);
	rows = calloc(1000, sizeof(*rows));
	assert_non_null(rows);
	while ((n = fetch(sp, after, rows, 1000)) > 0) {
		for (int i = 0; i < n; i++) {
			int t, k;

			assert_true(rows[i].seq > last);
			last = rows[i].seq;
			assert_int_equal(sscanf(rows[i].id, "t%d-%d", &t, &k), 2);
			assert_true(t >= 0 && t < 2 && k >= 0 && k < THREAD_ROWS);
			assert_int_equal(seen[t][k], 0);
			seen[t][k] = 1;
		}
		after = rows[n - 1].seq;
		total += n;
		gg_spool_rows_free(rows, n);
	}
	free(rows);
	assert_int_equal(total, 2 * THREAD_ROWS);
	gg_spool_close(sp);
}

/* The child commits some batches, leaves one open, and dies by SIGKILL without closing
 * anything: the parent must find exactly the committed rows. */
static void test_killed_writer(void **state)
{
	struct fixture *fx = *state;
	struct gg_spool *sp;
	struct gg_spool_row *rows;
	int status = 0, n;
	pid_t pid;

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct gg_spool_options opts = { .path = fx->tmp.path, .synchronous_full = 0 };
		struct gg_spool *csp = NULL;
		struct gg_error err = { 0 };
		char id[32];

		if (gg_spool_open(&opts, &csp, &err) != 0)
			_exit(10);
		for (int b = 0; b < 11; b++) {
			if (gg_spool_begin(csp, &err) != 0)
				_exit(11);
			for (int i = 0; i < 50; i++) {
				snprintf(id, sizeof(id), "k%d-%d", b, i);
				if (gg_spool_put(csp, id, "child", id, strlen(id), &err) != 0)
					_exit(12);
			}
			/* batch 10 is left uncommitted: it dies with the process */
			if (b < 10 && gg_spool_commit(csp, &err) != 0)
				_exit(13);
		}
		raise(SIGKILL);
		_exit(14);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (WIFEXITED(status))
		print_error("child exited with %d\n", WEXITSTATUS(status));
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGKILL);

	sp = open_spool(fx, 0);
	rows = calloc(600, sizeof(*rows));
	assert_non_null(rows);
	n = fetch(sp, 0, rows, 600);
	assert_int_equal(n, 500);
	for (int i = 0; i < n; i++) {
		char want[32];

		snprintf(want, sizeof(want), "k%d-%d", i / 50, i % 50);
		assert_string_equal(rows[i].id, want);
		assert_string_equal(rows[i].payload, want);
	}
	gg_spool_rows_free(rows, n);
	free(rows);
	assert_int_equal(stats_of(sp).pending, 500);
	gg_spool_close(sp);
}

static void test_rollback(void **state)
{
	struct gg_spool *sp = open_spool(*state, 0);
	struct gg_error err = { 0 };

	put_ok(sp, "keep", "x");
	assert_int_equal(gg_spool_begin(sp, &err), 0);
	put_ok(sp, "gone1", "x");
	put_ok(sp, "gone2", "x");
	gg_spool_rollback(sp);
	assert_int_equal(stats_of(sp).pending, 1);
	/* the ids were never kept, so they are new again */
	put_ok(sp, "gone1", "y");
	assert_int_equal(stats_of(sp).pending, 2);
	gg_spool_rollback(sp); /* outside a transaction: nothing to do */
	assert_int_equal(stats_of(sp).pending, 2);
	/* closing with an open transaction drops it too */
	assert_int_equal(gg_spool_begin(sp, &err), 0);
	put_ok(sp, "gone3", "x");
	gg_spool_close(sp);
	sp = open_spool(*state, 0);
	assert_int_equal(stats_of(sp).pending, 2);
	gg_spool_close(sp);
}

static void test_prune_done(void **state)
{
	struct fixture *fx = *state;
	struct gg_spool *sp = open_spool(fx, 0);
	struct gg_spool_row rows[8];
	struct gg_spool_stats st;
	struct gg_error err = { 0 };
	int64_t seqs[3], top;
	int n;

	put_ok(sp, "p1", "x");
	put_ok(sp, "p2", "x");
	put_ok(sp, "p3", "x");
	put_ok(sp, "p4", "x");
	n = fetch(sp, 0, rows, 8);
	assert_int_equal(n, 4);
	/* p1 and p4 done, p2 pending, p3 failed */
	seqs[0] = rows[0].seq;
	seqs[1] = rows[3].seq;
	top = rows[3].seq;
	assert_int_equal(gg_spool_mark_done(sp, seqs, 2, &err), 0);
	assert_int_equal(gg_spool_mark_failed(sp, rows[2].seq, "refused", &err), 0);
	gg_spool_rows_free(rows, n);
	/* Age p4 (done), p2 (pending) and p3 (failed) by two hours; p1 was done just now. */
	raw_exec(fx, "UPDATE deliveries SET updated = updated - 7200 WHERE seq IN (SELECT seq FROM"
		     " records WHERE id IN ('p2', 'p3', 'p4'))");

	assert_int_equal(gg_spool_prune_done(sp, 3600, &err), 0);
	st = stats_of(sp);
	assert_int_equal(st.done, 1);
	assert_int_equal(st.pending, 1);
	assert_int_equal(st.failed, 1);
	assert_int_equal(raw_int(fx, "SELECT count(*) FROM records WHERE id = 'p4'"), 0);
	/* a zero age takes every done row, never a pending or failed one */
	assert_int_equal(gg_spool_prune_done(sp, 0, &err), 0);
	st = stats_of(sp);
	assert_int_equal(st.done, 0);
	assert_int_equal(st.pending, 1);
	assert_int_equal(st.failed, 1);
	assert_int_equal(gg_spool_prune_done(sp, -1, &err), -EINVAL);
	/* the highest seq was pruned, yet a new row gets a larger one: cursors stay valid */
	put_ok(sp, "p5", "x");
	n = fetch(sp, 0, rows, 8);
	assert_int_equal(n, 2);
	assert_string_equal(rows[1].id, "p5");
	assert_true(rows[1].seq > top);
	gg_spool_rows_free(rows, n);
	gg_spool_close(sp);
}

/* Prune works in chunks of 1,000 rows; one call still takes every old done row. */
static void test_prune_many_chunks(void **state)
{
	struct fixture *fx = *state;
	struct gg_spool *sp = open_spool(fx, 0);
	struct gg_spool_row *rows = calloc(PRUNE_ROWS, sizeof(*rows));
	int64_t *seqs = calloc(PRUNE_ROWS, sizeof(*seqs));
	struct gg_spool_stats st;
	struct gg_error err = { 0 };
	char id[16];
	int n;

	assert_non_null(rows);
	assert_non_null(seqs);
	assert_int_equal(gg_spool_begin(sp, &err), 0);
	for (int i = 0; i < PRUNE_ROWS; i++) {
		snprintf(id, sizeof(id), "m%d", i);
		put_ok(sp, id, "x");
	}
	assert_int_equal(gg_spool_commit(sp, &err), 0);
	n = fetch(sp, 0, rows, PRUNE_ROWS);
	assert_int_equal(n, PRUNE_ROWS);
	for (int i = 0; i < n; i++)
		seqs[i] = rows[i].seq;
	assert_int_equal(gg_spool_mark_done(sp, seqs, (size_t)n, &err), 0);
	gg_spool_rows_free(rows, n);
	raw_exec(fx, "UPDATE deliveries SET updated = updated - 7200");
	assert_int_equal(gg_spool_prune_done(sp, 3600, &err), 0);
	st = stats_of(sp);
	assert_int_equal(st.done, 0);
	gg_spool_close(sp);
	assert_int_equal(raw_int(fx, "SELECT count(*) FROM records"), 0);
	free(rows);
	free(seqs);
}

static void test_binary_payload(void **state)
{
	struct gg_spool *sp = open_spool(*state, 0);
	static const char blob[] = { 'a', '\0', 'b', '\0', '\xff', '\0', 'c' };
	struct gg_spool_row rows[2];
	struct gg_error err = { 0 };
	int n;

	assert_int_equal(gg_spool_put(sp, "bin", "test", blob, sizeof(blob), &err), 0);
	assert_int_equal(gg_spool_put(sp, "empty", "test", NULL, 0, &err), 0);
	n = fetch(sp, 0, rows, 2);
	assert_int_equal(n, 2);
	assert_int_equal(rows[0].payload_len, sizeof(blob));
	assert_memory_equal(rows[0].payload, blob, sizeof(blob));
	assert_int_equal(rows[0].payload[sizeof(blob)], '\0');
	assert_int_equal(rows[1].payload_len, 0);
	assert_string_equal(rows[1].payload, "");
	gg_spool_rows_free(rows, n);
	gg_spool_close(sp);
}

static void test_newer_schema_refused(void **state)
{
	struct fixture *fx = *state;
	struct gg_spool_options opts = { .path = fx->tmp.path };
	struct gg_spool *sp = open_spool(fx, 0);
	struct gg_error err = { 0 };

	put_ok(sp, "v", "x");
	gg_spool_close(sp);
	raw_exec(fx, "PRAGMA user_version = 99");
	sp = NULL;
	assert_int_equal(gg_spool_open(&opts, &sp, &err), -EPROTO);
	assert_null(sp);
	assert_non_null(strstr(err.msg, "schema version 99 is newer"));
	assert_non_null(strstr(err.msg, fx->tmp.path));
	/* refused without being touched */
	assert_int_equal(raw_int(fx, "SELECT count(*) FROM records"), 1);
}

static void test_not_a_database(void **state)
{
	struct fixture *fx = *state;
	struct gg_spool_options opts = { .path = fx->tmp.path };
	struct gg_spool *sp = NULL;
	struct gg_error err = { 0 };
	FILE *f = fopen(fx->tmp.path, "w");

	assert_non_null(f);
	for (int i = 0; i < 512; i++)
		fputs("this is no sqlite file\n", f);
	assert_int_equal(fclose(f), 0);
	assert_true(gg_spool_open(&opts, &sp, &err) < 0);
	assert_null(sp);
	assert_non_null(strstr(err.msg, "not a database"));
	opts.path = "";
	assert_int_equal(gg_spool_open(&opts, &sp, &err), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_put_fetch_in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_duplicate_id, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_id, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mark_done, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mark_failed_after_done, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mark_done_after_failed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fetch_after_seq, setup, teardown),
		cmocka_unit_test_setup_teardown(test_quarantine_and_stats, setup, teardown),
		cmocka_unit_test_setup_teardown(test_is_full, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reopen_keeps_pending, setup, teardown),
		cmocka_unit_test_setup_teardown(test_synchronous, setup, teardown),
		cmocka_unit_test_setup_teardown(test_synchronous_from_config, setup, teardown),
		cmocka_unit_test_setup_teardown(test_two_writer_threads, setup, teardown),
		cmocka_unit_test_setup_teardown(test_killed_writer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rollback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_prune_done, setup, teardown),
		cmocka_unit_test_setup_teardown(test_prune_many_chunks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_binary_payload, setup, teardown),
		cmocka_unit_test_setup_teardown(test_newer_schema_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_a_database, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
