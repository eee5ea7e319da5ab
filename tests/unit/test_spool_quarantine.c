/* test_spool_quarantine.c: the quarantine as `gridgate spool quarantine` reads and changes it:
 * listed newest first without payloads, one row found by seq or every row of a record id with
 * its payload byte for byte, a row deleted inside a caller's transaction (a release: gone only
 * if the transaction commits), and purged whole or by age, the count kept right throughout;
 * a record its input quarantines again (a retry) kept once, also in a spool from before the
 * quarantine's index, whose rows all stay. */
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
	struct gg_spool *sp;
};

static int setup(void **state)
{
	struct gg_spool_options opts = { .busy_timeout_ms = 5000 };
	struct fixture *fx = calloc(1, sizeof(*fx));
	struct gg_error err = { 0 };

	if (fx == NULL)
		return -1;
	if (gg_test_dir_make(&fx->tmp, "spool-q") != 0) {
		free(fx);
		return -1;
	}
	opts.path = fx->tmp.path;
	if (gg_spool_open(&opts, &fx->sp, &err) != 0) {
		fprintf(stderr, "open: %s\n", err.msg);
		return -1;
	}
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	int ret;

	gg_spool_close(fx->sp);
	ret = gg_test_dir_remove(&fx->tmp);
	free(fx);
	return ret;
}

#define ID_A "0123456789abcdef0123456789abcdef"
#define ID_B "fedcba9876543210fedcba9876543210"
#define ID_C "00112233445566778899aabbccddeeff"
#define ID_D "ffeeddccbbaa99887766554433221100"

/* Quarantines as input source; returns gg_spool_quarantine's 0 (stored) or 1 (had it). */
static int quarantine_from(struct fixture *fx, const char *source, const char *id,
			   const char *reason, const char *payload, size_t len)
{
	struct gg_error err = { 0 };
	int r = gg_spool_quarantine(fx->sp, id, source, reason, 0, 0, payload, len, &err);

	if (r < 0)
		fail_msg("quarantine: %s", err.msg);
	return r;
}

static void quarantine(struct fixture *fx, const char *id, const char *reason, int line,
		       int col, const char *payload, size_t len)
{
	struct gg_error err = { 0 };

	if (gg_spool_quarantine(fx->sp, id, "drop", reason, line, col, payload, len, &err) != 0)
		fail_msg("quarantine: %s", err.msg);
}

static int raw_exec(const struct fixture *fx, const char *sql, int *count)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int rc;

	assert_int_equal(sqlite3_open(fx->tmp.path, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW && count != NULL)
		*count = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : rc;
}

static int64_t quarantined(struct fixture *fx)
{
	struct gg_spool_stats st;
	struct gg_error err = { 0 };

	assert_int_equal(gg_spool_stats(fx->sp, &st, &err), 0);
	return st.quarantined;
}

/* Moves every row's creation back by seconds, as if it had waited that long. */
static void age_rows(const struct fixture *fx, const char *where, int64_t seconds)
{
	char sql[256];
	sqlite3 *db = NULL;

	snprintf(sql, sizeof(sql), "UPDATE quarantine SET created = created - %lld WHERE %s",
		 (long long)seconds, where);
	assert_int_equal(sqlite3_open(fx->tmp.path, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
}

struct seen {
	int n;
	int64_t seq[8];
	char id[8][65];
	char reason[8][64];
	char source[8][16];
	int line[8], column[8];
	char payload[8][64];
	size_t len[8];
	int had_payload[8];
};

static void collect(void *arg, const struct gg_spool_quarantined *row)
{
	struct seen *s = arg;
	int i = s->n++;

	assert_true(i < 8);
	s->seq[i] = row->seq;
	snprintf(s->id[i], sizeof(s->id[i]), "%s", row->id);
	snprintf(s->reason[i], sizeof(s->reason[i]), "%s", row->reason);
	snprintf(s->source[i], sizeof(s->source[i]), "%s", row->source);
	assert_true(row->created > 0);
	s->line[i] = row->line;
	s->column[i] = row->column;
	s->len[i] = row->payload_len;
	s->had_payload[i] = row->payload != NULL;
	if (row->payload != NULL && row->payload_len < sizeof(s->payload[i]))
		memcpy(s->payload[i], row->payload, row->payload_len);
}

static void test_list_newest_first(void **state)
{
	struct fixture *fx = *state;
	struct gg_error err = { 0 };
	struct seen s = { 0 };

	quarantine(fx, ID_A, "xml: line 3, column 7: bad", 3, 7, "<a>", 3);
	quarantine(fx, ID_B, "not a log line", 0, 0, "hello world", 11);
	quarantine(fx, ID_C, "line 9: element 'Incident': missing", 9, 0, "<IODEF-Document/>", 17);
	assert_int_equal(gg_spool_quarantine_list(fx->sp, 20, collect, &s, &err), 3);
	assert_int_equal(s.seq[0], 3);
	assert_int_equal(s.seq[1], 2);
	assert_int_equal(s.seq[2], 1);
	assert_string_equal(s.id[1], ID_B);
	assert_string_equal(s.source[1], "drop");
	assert_string_equal(s.reason[2], "xml: line 3, column 7: bad");
	assert_int_equal(s.line[2], 3);
	assert_int_equal(s.column[2], 7);
	/* Sizes, not payloads: a list of big documents stays cheap. */
	assert_int_equal(s.len[0], 17);
	assert_int_equal(s.len[1], 11);
	assert_false(s.had_payload[0]);

	memset(&s, 0, sizeof(s));
	assert_int_equal(gg_spool_quarantine_list(fx->sp, 2, collect, &s, &err), 2);
	assert_int_equal(s.seq[1], 2);
}

static void test_get_by_seq_or_id(void **state)
{
	struct fixture *fx = *state;
	struct gg_error err = { 0 };
	struct seen s = { 0 };
	static const char bin[] = { 'a', '\0', 'b', '\n' };

	quarantine(fx, ID_A, "first", 0, 0, bin, sizeof(bin));
	quarantine(fx, ID_B, "other", 0, 0, "x", 1);
	assert_int_equal(quarantine_from(fx, "logs", ID_A, "again", "", 0), 0);

	assert_int_equal(gg_spool_quarantine_get(fx->sp, "1", collect, &s, &err), 1);
	assert_int_equal(s.seq[0], 1);
	assert_true(s.had_payload[0]);
	assert_int_equal(s.len[0], sizeof(bin));
	assert_memory_equal(s.payload[0], bin, sizeof(bin));

	/* A record id: every row of it, newest first; an empty payload is "", not absent. */
	memset(&s, 0, sizeof(s));
	assert_int_equal(gg_spool_quarantine_get(fx->sp, ID_A, collect, &s, &err), 2);
	assert_int_equal(s.seq[0], 3);
	assert_string_equal(s.source[0], "logs");
	assert_int_equal(s.seq[1], 1);
	assert_true(s.had_payload[0]);
	assert_int_equal(s.len[0], 0);

	memset(&s, 0, sizeof(s));
	assert_int_equal(gg_spool_quarantine_get(fx->sp, "42", collect, &s, &err), 0);
	assert_int_equal(gg_spool_quarantine_get(fx->sp, "nosuchid", collect, &s, &err), 0);
	/* 32 decimal digits are a record id, not a seq. */
	assert_int_equal(gg_spool_quarantine_get(fx->sp, "01234567890123456789012345678901",
						 collect, &s, &err), 0);
	assert_int_equal(s.n, 0);
}

/* A release queues the record and deletes the row in one transaction: rolled back, both stay
 * as they were; committed, the record is queued and the row gone. */
static void test_delete_in_transaction(void **state)
{
	struct fixture *fx = *state;
	struct gg_error err = { 0 };
	struct gg_spool_row rows[2];
	int64_t pending = -1;

	quarantine(fx, ID_A, "too big", 0, 0, "<doc/>", 6);
	assert_int_equal(quarantined(fx), 1);

	assert_int_equal(gg_spool_begin(fx->sp, &err), 0);
	assert_int_equal(gg_spool_put(fx->sp, ID_A, "drop", "<doc/>", 6, &err), 0);
	assert_int_equal(gg_spool_quarantine_delete(fx->sp, 1, &err), 1);
	gg_spool_rollback(fx->sp);
	assert_int_equal(quarantined(fx), 1);
	assert_int_equal(gg_spool_pending_count(fx->sp, &pending), 0);
	assert_int_equal(pending, 0);

	assert_int_equal(gg_spool_begin(fx->sp, &err), 0);
	assert_int_equal(gg_spool_put(fx->sp, ID_A, "drop", "<doc/>", 6, &err), 0);
	assert_int_equal(gg_spool_quarantine_delete(fx->sp, 1, &err), 1);
	assert_int_equal(gg_spool_commit(fx->sp, &err), 0);
	assert_int_equal(quarantined(fx), 0);
	assert_int_equal(gg_spool_fetch_pending(fx->sp, 0, 2, rows, &err), 1);
	assert_string_equal(rows[0].id, ID_A);
	gg_spool_rows_free(rows, 1);

	/* Gone already (released twice, or purged meanwhile): 0, and nothing else happens. */
	assert_int_equal(gg_spool_quarantine_delete(fx->sp, 1, &err), 0);
	assert_int_equal(quarantined(fx), 0);
}

static void test_purge_by_age(void **state)
{
	struct fixture *fx = *state;
	struct gg_error err = { 0 };
	struct seen s = { 0 };
	int64_t removed = -1;

	static const char *const ids[] = { ID_A, ID_B, ID_C, ID_D };

	for (int i = 0; i < 4; i++)
		quarantine(fx, ids[i], "r", 0, 0, "p", 1);
	age_rows(fx, "seq <= 2", 8 * 86400);
	assert_int_equal(gg_spool_quarantine_purge(fx->sp, 7 * 86400, &removed, &err), 0);
	assert_int_equal(removed, 2);
	assert_int_equal(quarantined(fx), 2);
	assert_int_equal(gg_spool_quarantine_list(fx->sp, 10, collect, &s, &err), 2);
	assert_int_equal(s.seq[1], 3);

	/* Nothing older: nothing purged, and that is no error. */
	assert_int_equal(gg_spool_quarantine_purge(fx->sp, 7 * 86400, &removed, &err), 0);
	assert_int_equal(removed, 0);
	assert_true(gg_spool_quarantine_purge(fx->sp, -1, &removed, &err) < 0);

	assert_int_equal(gg_spool_quarantine_purge(fx->sp, 0, &removed, &err), 0);
	assert_int_equal(removed, 2);
	assert_int_equal(quarantined(fx), 0);
}

/* A partner retrying a refused message, a file read again after a crash: the same input
 * quarantines the same record again. It is kept once (the first row, as it was), so retries
 * do not grow the quarantine; the same id from another input is another row. */
static void test_retry_stored_once(void **state)
{
	struct fixture *fx = *state;
	struct gg_error err = { 0 };
	struct seen s = { 0 };

	assert_int_equal(quarantine_from(fx, "partner", ID_A, "too big", "<doc/>", 6), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(quarantine_from(fx, "partner", ID_A, "too big", "<doc/>", 6), 1);
	assert_int_equal(quarantine_from(fx, "partner", ID_A, "refused otherwise", "<d/>", 4), 1);
	assert_int_equal(quarantined(fx), 1);
	assert_int_equal(gg_spool_quarantine_get(fx->sp, ID_A, collect, &s, &err), 1);
	assert_string_equal(s.reason[0], "too big");
	assert_int_equal(s.len[0], 6);

	assert_int_equal(quarantine_from(fx, "other", ID_A, "too big", "<doc/>", 6), 0);
	assert_int_equal(quarantine_from(fx, "partner", ID_B, "too big", "<doc/>", 6), 0);
	assert_int_equal(quarantined(fx), 3);

	/* Released (its row deleted), then refused again: a row again. */
	assert_int_equal(gg_spool_quarantine_delete(fx->sp, 1, &err), 1);
	assert_int_equal(quarantine_from(fx, "partner", ID_A, "too big", "<doc/>", 6), 0);
	assert_int_equal(quarantined(fx), 3);
}

/* A spool an older gridgate wrote has no index on the quarantine and may hold a record
 * several times: the next open adds the index and keeps every row, and from then on a retry
 * adds none. */
static void test_old_spool_gets_index(void **state)
{
	struct fixture *fx = *state;
	struct gg_spool_options opts = { .path = fx->tmp.path, .busy_timeout_ms = 5000 };
	struct gg_error err = { 0 };
	int n = -1;

	gg_spool_close(fx->sp);
	fx->sp = NULL;
	assert_int_equal(raw_exec(fx, "DROP INDEX quarantine_id", NULL), 0);
	for (int i = 0; i < 2; i++)
		assert_int_equal(raw_exec(fx, "INSERT INTO quarantine(id, source, reason, payload,"
					  " created) VALUES ('" ID_A "', 'drop', 'old', 'p', 1)",
					  NULL), 0);
	assert_int_equal(gg_spool_open(&opts, &fx->sp, &err), 0);
	assert_int_equal(raw_exec(fx, "SELECT count(*) FROM sqlite_master WHERE type = 'index'"
				  " AND name = 'quarantine_id'", &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(quarantined(fx), 2);
	assert_int_equal(quarantine_from(fx, "drop", ID_A, "new", "p", 1), 1);
	assert_int_equal(quarantined(fx), 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_list_newest_first, setup, teardown),
		cmocka_unit_test_setup_teardown(test_get_by_seq_or_id, setup, teardown),
		cmocka_unit_test_setup_teardown(test_delete_in_transaction, setup, teardown),
		cmocka_unit_test_setup_teardown(test_purge_by_age, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retry_stored_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_old_spool_gets_index, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
