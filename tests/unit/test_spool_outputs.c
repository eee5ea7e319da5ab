/* test_spool_outputs.c: a record has a delivery per output, each drained on its own: done for
 * one output is still pending for another, a retry hides a delivery until its time, a record is
 * pruned only when every output is done with it; and a spool written by gridgate before
 * per-output deliveries (schema 1) is upgraded in place with nothing lost. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "engine/spool.h"
#include "test_dir.h"

struct fixture {
	struct gg_test_dir tmp;
};

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	if (fx == NULL)
		return -1;
	if (gg_test_dir_make(&fx->tmp, "spool-out") != 0) {
		free(fx);
		return -1;
	}
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	int ret = gg_test_dir_remove(&fx->tmp);

	free(fx);
	return ret;
}

static const char *const both[] = { "grid", "https" };

/* A handle that puts to both outputs and fetches and marks as output. */
static struct gg_spool *open_as(const struct fixture *fx, const char *output)
{
	struct gg_spool_options opts = { .path = fx->tmp.path, .output = output, .outputs = both,
					 .n_outputs = 2, .busy_timeout_ms = 5000 };
	struct gg_spool *sp = NULL;
	struct gg_error err = { 0 };

	if (gg_spool_open(&opts, &sp, &err) != 0)
		fail_msg("open: %s", err.msg);
	return sp;
}

static int fetch(struct gg_spool *sp, struct gg_spool_row *rows, int max)
{
	struct gg_error err = { 0 };
	int n = gg_spool_fetch_pending(sp, 0, max, rows, &err);

	if (n < 0)
		fail_msg("fetch: %s", err.msg);
	return n;
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

static void collect(void *arg, const struct gg_spool_output_stats *o)
{
	struct gg_spool_output_stats *seen = arg;

	seen[strcmp(o->output, "grid") == 0 ? 0 : 1] = *o;
}

static void test_outputs_drain_independently(void **state)
{
	struct fixture *fx = *state;
	struct gg_spool *grid = open_as(fx, "grid"), *https = open_as(fx, "https");
	struct gg_spool_output_stats seen[2] = { 0 };
	struct gg_spool_row rows[4];
	struct gg_spool_stats st;
	struct gg_error err = { 0 };
	int64_t seq;
	int n;

	assert_int_equal(gg_spool_put(grid, "r1", "in", "<a/>", 4, &err), 0);
	assert_int_equal(gg_spool_put(grid, "r2", "in", "<b/>", 4, &err), 0);
	/* a replay adds no second delivery to either output */
	assert_int_equal(gg_spool_put(https, "r1", "in", "<a/>", 4, &err), 1);
	assert_int_equal(fetch(grid, rows, 4), 2);
	seq = rows[0].seq;
	assert_int_equal(gg_spool_mark_done(grid, &seq, 1, &err), 0);
	gg_spool_rows_free(rows, 2);
	/* done for grid, still pending for https */
	assert_int_equal(fetch(grid, rows, 4), 1);
	assert_string_equal(rows[0].id, "r2");
	gg_spool_rows_free(rows, 1);
	n = fetch(https, rows, 4);
	assert_int_equal(n, 2);
	assert_string_equal(rows[0].id, "r1");
	/* a dead letter on one output leaves the other's delivery alone */
	assert_int_equal(gg_spool_mark_failed(https, rows[1].seq, "410 Gone", &err), 0);
	gg_spool_rows_free(rows, n);
	assert_int_equal(fetch(grid, rows, 4), 1);
	gg_spool_rows_free(rows, 1);

	assert_int_equal(gg_spool_stats_outputs(grid, &st, collect, seen, &err), 0);
	assert_int_equal(st.pending, 2);
	assert_int_equal(st.done, 1);
	assert_int_equal(st.failed, 1);
	assert_string_equal(seen[0].output, "grid");
	assert_int_equal(seen[0].pending, 1);
	assert_int_equal(seen[0].done, 1);
	assert_string_equal(seen[1].output, "https");
	assert_int_equal(seen[1].pending, 1);
	assert_int_equal(seen[1].failed, 1);
	assert_true(seen[1].oldest_pending > 0 && seen[1].oldest_pending <= time(NULL));
	gg_spool_close(grid);
	gg_spool_close(https);
}

/* A transaction's puts get their delivery rows and counts at commit, for every output, and
 * none when it rolls back; what an input knew of a record comes back with it. */
static void test_batch_deliveries_and_meta(void **state)
{
	struct fixture *fx = *state;
	struct gg_spool *grid = open_as(fx, "grid"), *https = open_as(fx, "https");
	struct gg_spool_output_stats seen[2] = { 0 };
	struct gg_spool_row rows[4];
	struct gg_spool_stats st;
	struct gg_error err = { 0 };

	assert_int_equal(gg_spool_begin(grid, &err), 0);
	assert_int_equal(gg_spool_put_meta(grid, "m1", "sub", "{\"topic\":\"t1\"}", "<a/>", 4,
					   &err), 0);
	assert_int_equal(gg_spool_put(grid, "m2", "sub", "<b/>", 4, &err), 0);
	assert_int_equal(gg_spool_put(grid, "m1", "sub", "<a/>", 4, &err), 1);
	/* not committed: the other handle sees nothing yet */
	assert_int_equal(fetch(https, rows, 4), 0);
	assert_int_equal(gg_spool_commit(grid, &err), 0);
	assert_int_equal(gg_spool_begin(grid, &err), 0);
	assert_int_equal(gg_spool_put(grid, "m3", "sub", "<c/>", 4, &err), 0);
	gg_spool_rollback(grid);

	assert_int_equal(gg_spool_stats_outputs(https, &st, collect, seen, &err), 0);
	assert_int_equal(st.pending, 4);
	assert_int_equal(seen[0].pending, 2);
	assert_int_equal(seen[1].pending, 2);
	/* the counts are the rows, the batch's statement inserted them all */
	assert_int_equal(raw_int(fx, "SELECT sum(n) FROM delivery_counts WHERE state = 0"),
			 raw_int(fx, "SELECT count(*) FROM deliveries WHERE state = 0"));
	assert_int_equal(fetch(https, rows, 4), 2);
	assert_string_equal(rows[0].id, "m1");
	assert_non_null(rows[0].meta);
	assert_string_equal(rows[0].meta, "{\"topic\":\"t1\"}");
	assert_string_equal(rows[1].id, "m2");
	assert_null(rows[1].meta);
	gg_spool_rows_free(rows, 2);
	gg_spool_close(grid);
	gg_spool_close(https);
}

static void test_requeue_dead_letter(void **state)
{
	struct fixture *fx = *state;
	struct gg_spool *https = open_as(fx, "https");
	struct gg_spool_row rows[2];
	struct gg_error err = { 0 };
	int64_t seq;

	assert_int_equal(gg_spool_put(https, "r1", "in", "<a/>", 4, &err), 0);
	assert_int_equal(fetch(https, rows, 2), 1);
	seq = rows[0].seq;
	gg_spool_rows_free(rows, 1);
	/* only a dead letter is requeued: a pending or done delivery is left as it is */
	assert_int_equal(gg_spool_requeue(https, seq, &err), 0);
	assert_int_equal(gg_spool_mark_failed(https, seq, "404", &err), 0);
	assert_int_equal(fetch(https, rows, 2), 0);
	assert_int_equal(gg_spool_requeue(https, seq, &err), 1);
	assert_int_equal(fetch(https, rows, 2), 1);
	assert_int_equal(rows[0].seq, seq);
	gg_spool_rows_free(rows, 1);
	assert_int_equal(raw_int(fx, "SELECT count(*) FROM deliveries WHERE state = 2"), 0);
	gg_spool_close(https);
}

static void count_failed(void *arg, const struct gg_spool_failed *row)
{
	int *n = arg;

	assert_string_equal(row->output, "https");
	(*n)++;
}

/* An output's dead letters, per output: listed, put back with their attempts from zero (one
 * or all), or purged; a record no other output needs goes with its purged dead letter, one
 * another output still holds stays. */
static void test_dead_letters_per_output(void **state)
{
	struct fixture *fx = *state;
	static const char *const only_https[] = { "https" };
	struct gg_spool_options solo_opts = { .path = fx->tmp.path, .output = "https",
					      .outputs = only_https, .n_outputs = 1,
					      .busy_timeout_ms = 5000 };
	struct gg_spool *https = open_as(fx, "https"), *grid = open_as(fx, "grid"), *solo = NULL;
	struct gg_spool_row rows[4];
	struct gg_error err = { 0 };
	int64_t seq[3], removed = -1;
	int n = 0;

	/* d0 goes to https alone; d1 and d2 to both */
	if (gg_spool_open(&solo_opts, &solo, &err) != 0)
		fail_msg("open: %s", err.msg);
	assert_int_equal(gg_spool_put(solo, "d0", "in", "<a/>", 4, &err), 0);
	gg_spool_close(solo);
	for (int i = 1; i < 3; i++) {
		char id[8];

		snprintf(id, sizeof(id), "d%c", (char)('0' + i));
		assert_int_equal(gg_spool_put(https, id, "in", "<a/>", 4, &err), 0);
	}
	assert_int_equal(fetch(https, rows, 4), 3);
	assert_string_equal(rows[0].source, "in");
	assert_true(rows[0].created > time(NULL) - 60 && rows[0].created <= time(NULL));
	for (int i = 0; i < 3; i++) {
		seq[i] = rows[i].seq;
		assert_int_equal(gg_spool_retry_at(https, seq[i], 0, "503", &err), 0);
		assert_int_equal(gg_spool_mark_failed(https, seq[i], "HTTP 400", &err), 0);
	}
	gg_spool_rows_free(rows, 3);
	/* grid is done with d1, and still owes d2 */
	assert_int_equal(gg_spool_mark_done(grid, &seq[1], 1, &err), 0);
	assert_int_equal(gg_spool_list_failed(https, "https", 10, count_failed, &n, &err), 3);
	assert_int_equal(gg_spool_list_failed(https, "grid", 10, count_failed, &n, &err), 0);
	assert_int_equal(n, 3);
	assert_int_equal(gg_spool_requeue_output(https, "grid", 0, &err), 0);
	assert_int_equal(gg_spool_requeue_output(https, "https", seq[1], &err), 1);
	assert_int_equal(fetch(https, rows, 4), 1);
	assert_int_equal(rows[0].seq, seq[1]);
	assert_int_equal(rows[0].attempts, 0);
	gg_spool_rows_free(rows, 1);
	assert_int_equal(gg_spool_purge_dead(https, "https", &removed, &err), 0);
	assert_int_equal(removed, 2);
	/* d0 is gone whole (nothing else needed it); d2 stays for grid; d1 is pending */
	assert_int_equal(raw_int(fx, "SELECT count(*) FROM records WHERE id = 'd0'"), 0);
	assert_int_equal(raw_int(fx, "SELECT count(*) FROM records WHERE id = 'd2'"), 1);
	assert_int_equal(raw_int(fx, "SELECT count(*) FROM deliveries WHERE state = 2"), 0);
	assert_int_equal(gg_spool_requeue_output(https, "https", 0, &err), 0);
	gg_spool_close(https);
	gg_spool_close(grid);
}

static void test_retry_hides_until_due(void **state)
{
	struct fixture *fx = *state;
	struct gg_spool *https = open_as(fx, "https");
	struct gg_spool_row rows[2];
	struct gg_error err = { 0 };

	assert_int_equal(gg_spool_put(https, "r1", "in", "<a/>", 4, &err), 0);
	assert_int_equal(fetch(https, rows, 2), 1);
	assert_int_equal(gg_spool_retry_at(https, rows[0].seq, time(NULL) + 3600, "503", &err), 0);
	gg_spool_rows_free(rows, 1);
	assert_int_equal(fetch(https, rows, 2), 0);
	assert_int_equal(raw_int(fx, "SELECT attempts * 1000 + state FROM deliveries"
				     " WHERE output = 'https'"), 1000);
	/* the other output is not delayed by it */
	gg_spool_close(https);
	https = open_as(fx, "grid");
	assert_int_equal(fetch(https, rows, 2), 1);
	gg_spool_rows_free(rows, 1);
	gg_spool_close(https);
}

static void test_prune_waits_for_every_output(void **state)
{
	struct fixture *fx = *state;
	struct gg_spool *grid = open_as(fx, "grid"), *https = open_as(fx, "https");
	struct gg_spool_row rows[2];
	struct gg_error err = { 0 };
	int64_t seq;

	assert_int_equal(gg_spool_put(grid, "r1", "in", "<a/>", 4, &err), 0);
	assert_int_equal(fetch(grid, rows, 2), 1);
	seq = rows[0].seq;
	gg_spool_rows_free(rows, 1);
	assert_int_equal(gg_spool_mark_done(grid, &seq, 1, &err), 0);
	assert_int_equal(gg_spool_prune_done(grid, 0, &err), 0);
	assert_int_equal(raw_int(fx, "SELECT count(*) FROM records"), 1);
	assert_int_equal(gg_spool_mark_done(https, &seq, 1, &err), 0);
	assert_int_equal(gg_spool_prune_done(grid, 0, &err), 0);
	assert_int_equal(raw_int(fx, "SELECT count(*) FROM records"), 0);
	assert_int_equal(raw_int(fx, "SELECT count(*) FROM deliveries"), 0);
	assert_int_equal(raw_int(fx, "SELECT coalesce(sum(n), 0) FROM delivery_counts"), 0);
	gg_spool_close(grid);
	gg_spool_close(https);
}

/* An old done delivery on one output does not free a record another output has had pending
 * just as long: the pending one keeps it, whatever its age. */
static void test_prune_keeps_old_pending(void **state)
{
	struct fixture *fx = *state;
	struct gg_spool *grid = open_as(fx, "grid"), *https = open_as(fx, "https");
	struct gg_spool_row rows[2];
	struct gg_error err = { 0 };
	sqlite3 *db = NULL;
	int64_t seq;

	assert_int_equal(gg_spool_put(grid, "r1", "in", "<a/>", 4, &err), 0);
	assert_int_equal(fetch(grid, rows, 2), 1);
	seq = rows[0].seq;
	gg_spool_rows_free(rows, 1);
	assert_int_equal(gg_spool_mark_done(grid, &seq, 1, &err), 0);
	/* both deliveries two hours old: grid's done then, https's pending since */
	assert_int_equal(sqlite3_open(fx->tmp.path, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	assert_int_equal(sqlite3_exec(db, "UPDATE deliveries SET updated = updated - 7200", NULL,
				      NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
	assert_int_equal(gg_spool_prune_done(grid, 3600, &err), 0);
	assert_int_equal(raw_int(fx, "SELECT count(*) FROM records"), 1);
	assert_int_equal(raw_int(fx, "SELECT count(*) FROM deliveries"), 2);
	assert_int_equal(fetch(https, rows, 2), 1);
	assert_string_equal(rows[0].id, "r1");
	gg_spool_rows_free(rows, 1);
	gg_spool_close(grid);
	gg_spool_close(https);
}

/* The schema gridgate wrote before per-output deliveries (user_version 1), verbatim. */
static const char schema_1[] =
	"CREATE TABLE records (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT UNIQUE NOT NULL,"
	" topic TEXT, source TEXT, payload BLOB,"
	" state INTEGER NOT NULL DEFAULT 0 CHECK (state IN (0, 1, 2)),"
	" attempts INTEGER NOT NULL DEFAULT 0, created INTEGER NOT NULL,"
	" updated INTEGER NOT NULL, reason TEXT);"
	"CREATE INDEX records_pending ON records(seq) WHERE state = 0;"
	"CREATE INDEX records_done ON records(updated) WHERE state = 1;"
	"CREATE TABLE quarantine (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT, source TEXT,"
	" reason TEXT, line INTEGER, col INTEGER, payload BLOB, created INTEGER NOT NULL);"
	"CREATE TABLE counts (kind INTEGER PRIMARY KEY, n INTEGER NOT NULL);"
	"INSERT INTO counts(kind, n) VALUES (0, 0), (1, 0), (2, 0), (3, 0);"
	"CREATE TRIGGER records_ins AFTER INSERT ON records BEGIN"
	" UPDATE counts SET n = n + 1 WHERE kind = NEW.state; END;"
	"CREATE TRIGGER records_upd AFTER UPDATE OF state ON records"
	" WHEN OLD.state <> NEW.state BEGIN"
	" UPDATE counts SET n = n - 1 WHERE kind = OLD.state;"
	" UPDATE counts SET n = n + 1 WHERE kind = NEW.state; END;"
	"CREATE TRIGGER records_del AFTER DELETE ON records BEGIN"
	" UPDATE counts SET n = n - 1 WHERE kind = OLD.state; END;"
	"CREATE TRIGGER quarantine_ins AFTER INSERT ON quarantine BEGIN"
	" UPDATE counts SET n = n + 1 WHERE kind = 3; END;"
	"CREATE TRIGGER quarantine_del AFTER DELETE ON quarantine BEGIN"
	" UPDATE counts SET n = n - 1 WHERE kind = 3; END;"
	"PRAGMA user_version = 1;"
	/* a pending, a published and a refused record, one quarantined, and a pruned seq 9 */
	"INSERT INTO records(seq, id, topic, source, payload, state, attempts, created, updated,"
	" reason) VALUES (3, 'p', 'iodef', 'drop', '<p/>', 0, 0, 100, 100, NULL),"
	" (5, 'd', 'iodef', 'drop', '<d/>', 1, 0, 100, 100, NULL),"
	" (7, 'f', 'iodef', 'syslog', '<f/>', 2, 1, 100, 100, 'policy-violation');"
	"UPDATE sqlite_sequence SET seq = 9 WHERE name = 'records';"
	"INSERT INTO quarantine(id, source, reason, line, col, payload, created)"
	" VALUES ('q', 'drop', 'not IODEF', 1, 1, '<x/>', 100);";

static void refused(void *arg, const struct gg_spool_failed *row)
{
	int *n = arg;

	assert_string_equal(row->id, "f");
	assert_string_equal(row->output, "grid");
	assert_string_equal(row->reason, "policy-violation");
	(*n)++;
}

static void test_schema_1_upgraded(void **state)
{
	struct fixture *fx = *state;
	struct gg_spool_options opts = { .path = fx->tmp.path, .busy_timeout_ms = 5000 };
	struct gg_spool *sp = NULL;
	struct gg_spool_stats st;
	struct gg_spool_row rows[4];
	struct gg_error err = { 0 };
	sqlite3 *db = NULL;
	int n = 0;

	assert_int_equal(sqlite3_open(fx->tmp.path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, schema_1, NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);

	if (gg_spool_open(&opts, &sp, &err) != 0)
		fail_msg("open: %s", err.msg);
	assert_int_equal(raw_int(fx, "PRAGMA user_version"), 4);
	assert_int_equal(gg_spool_stats(sp, &st, &err), 0);
	assert_int_equal(st.pending, 1);
	assert_int_equal(st.done, 1);
	assert_int_equal(st.failed, 1);
	assert_int_equal(st.quarantined, 1);
	assert_int_equal(fetch(sp, rows, 4), 1);
	assert_string_equal(rows[0].id, "p");
	assert_int_equal(rows[0].seq, 3);
	assert_string_equal(rows[0].payload, "<p/>");
	gg_spool_rows_free(rows, 1);
	assert_int_equal(gg_spool_list_failed(sp, NULL, 10, refused, &n, &err), 1);
	assert_int_equal(n, 1);
	/* the sequence goes on past what schema 1 had handed out */
	assert_int_equal(gg_spool_put(sp, "new", "drop", "<n/>", 4, &err), 0);
	assert_int_equal(raw_int(fx, "SELECT seq FROM records WHERE id = 'new'"), 10);
	/* the replay check still knows the old ids */
	assert_int_equal(gg_spool_put(sp, "d", "drop", "<d/>", 4, &err), 1);
	gg_spool_close(sp);
	/* opening again finds schema 4 and changes nothing */
	assert_int_equal(gg_spool_open(&opts, &sp, &err), 0);
	assert_int_equal(gg_spool_stats(sp, &st, &err), 0);
	assert_int_equal(st.pending, 2);
	/* a stream's records are not checked against the others, nor checked by them */
	gg_spool_set_stream_ids(sp);
	assert_int_equal(gg_spool_put(sp, "d", "syslog", "<d2/>", 5, &err), 0);
	assert_int_equal(gg_spool_put(sp, "s", "syslog", "<s/>", 4, &err), 0);
	assert_int_equal(gg_spool_put(sp, "s", "syslog", "<s/>", 4, &err), 0);
	gg_spool_close(sp);
	assert_int_equal(gg_spool_open(&opts, &sp, &err), 0);
	assert_int_equal(gg_spool_put(sp, "s", "drop", "<s/>", 4, &err), 0);
	assert_int_equal(gg_spool_put(sp, "s", "drop", "<s/>", 4, &err), 1);
	assert_int_equal(raw_int(fx, "SELECT count(*) FROM records WHERE id = 's'"), 3);
	gg_spool_close(sp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_outputs_drain_independently, setup, teardown),
		cmocka_unit_test_setup_teardown(test_batch_deliveries_and_meta, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retry_hides_until_due, setup, teardown),
		cmocka_unit_test_setup_teardown(test_requeue_dead_letter, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dead_letters_per_output, setup, teardown),
		cmocka_unit_test_setup_teardown(test_prune_waits_for_every_output, setup, teardown),
		cmocka_unit_test_setup_teardown(test_prune_keeps_old_pending, setup, teardown),
		cmocka_unit_test_setup_teardown(test_schema_1_upgraded, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
