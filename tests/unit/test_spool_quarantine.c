/* test_spool_quarantine.c: the quarantine as `gridgate spool quarantine` reads and changes it:
 * listed newest first without payloads, one row found by seq or every row of a record id with
 * its payload byte for byte, a row deleted inside a caller's transaction (a release: gone only
 * if the transaction commits), and purged whole or by age, the count kept right throughout. */
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

static void quarantine(struct fixture *fx, const char *id, const char *reason, int line,
		       int col, const char *payload, size_t len)
{
	struct gg_error err = { 0 };

	if (gg_spool_quarantine(fx->sp, id, "drop", reason, line, col, payload, len, &err) != 0)
		fail_msg("quarantine: %s", err.msg);
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
	assert_string_equal(row->source, "drop");
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
	quarantine(fx, ID_A, "line 9: element 'Incident': missing", 9, 0, "<IODEF-Document/>", 17);
	assert_int_equal(gg_spool_quarantine_list(fx->sp, 20, collect, &s, &err), 3);
	assert_int_equal(s.seq[0], 3);
	assert_int_equal(s.seq[1], 2);
	assert_int_equal(s.seq[2], 1);
	assert_string_equal(s.id[1], ID_B);
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
	quarantine(fx, ID_A, "again", 0, 0, "", 0);

	assert_int_equal(gg_spool_quarantine_get(fx->sp, "1", collect, &s, &err), 1);
	assert_int_equal(s.seq[0], 1);
	assert_true(s.had_payload[0]);
	assert_int_equal(s.len[0], sizeof(bin));
	assert_memory_equal(s.payload[0], bin, sizeof(bin));

	/* A record id: every row of it, newest first; an empty payload is "", not absent. */
	memset(&s, 0, sizeof(s));
	assert_int_equal(gg_spool_quarantine_get(fx->sp, ID_A, collect, &s, &err), 2);
	assert_int_equal(s.seq[0], 3);
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

	for (int i = 0; i < 4; i++)
		quarantine(fx, i % 2 ? ID_A : ID_B, "r", 0, 0, "p", 1);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_list_newest_first, setup, teardown),
		cmocka_unit_test_setup_teardown(test_get_by_seq_or_id, setup, teardown),
		cmocka_unit_test_setup_teardown(test_delete_in_transaction, setup, teardown),
		cmocka_unit_test_setup_teardown(test_purge_by_age, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
