/* test_spool_vfs.c: the spool's VFS gathers a commit's WAL writes, and nothing of what SQLite
 * promises changes: another connection (on the default VFS, as `gridgate spool` in another
 * process would be) sees every commit as soon as it returns, a transaction bigger than the
 * gather buffer, one that spills pages to the WAL before its commit and rewrites them, and a
 * rolled back one all leave a database that checks whole and reads back after a reopen. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "engine/spool_vfs.h"
#include "test_dir.h"

struct fixture {
	struct gg_test_dir dir;
	sqlite3 *writer; /* on the spool's VFS */
	sqlite3 *reader; /* on the default VFS */
};

static void exec_ok(sqlite3 *db, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", sql, msg != NULL ? msg : "?");
}

static int64_t query_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	int64_t v;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static void assert_whole(sqlite3 *db)
{
	sqlite3_stmt *st = NULL;

	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "ok");
	sqlite3_finalize(st);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL || gg_test_dir_make(&f->dir, "vfs") != 0)
		return -1;
	assert_int_equal(gg_spool_vfs_register(), SQLITE_OK);
	assert_int_equal(sqlite3_open_v2(f->dir.path, &f->writer,
					 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, GG_SPOOL_VFS),
			 SQLITE_OK);
	exec_ok(f->writer, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;"
			   "CREATE TABLE t (n INTEGER PRIMARY KEY, b BLOB)");
	assert_int_equal(sqlite3_open_v2(f->dir.path, &f->reader, SQLITE_OPEN_READWRITE, NULL),
			 SQLITE_OK);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	sqlite3_close(f->writer);
	sqlite3_close(f->reader);
	gg_test_dir_remove(&f->dir);
	free(f);
	return 0;
}

/* One row a commit: the reader sees each one as soon as the commit returned. */
static void test_each_commit_seen_at_once(void **state)
{
	struct fixture *f = *state;

	for (int i = 1; i <= 50; i++) {
		exec_ok(f->writer, "INSERT INTO t (b) VALUES (randomblob(3000))");
		assert_int_equal(query_int(f->reader, "SELECT count(*) FROM t"), i);
	}
	assert_int_equal(query_int(f->reader, "SELECT sum(length(b)) FROM t"), 50 * 3000);
	assert_whole(f->reader);
}

/* A transaction of 1.5 MB (a dozen gather buffers) that a two-page cache spills to the WAL
 * before its commit, and whose rows are then rewritten (frames of the open transaction
 * written again in place, and read back): the reader sees it whole after the commit, nothing
 * of it before; a rolled back one leaves nothing. */
static void test_big_spilled_transaction(void **state)
{
	struct fixture *f = *state;

	exec_ok(f->writer, "PRAGMA cache_size = 2; BEGIN;"
			   "WITH RECURSIVE c(x) AS"
			   " (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 500)"
			   " INSERT INTO t (b) SELECT randomblob(3000) FROM c");
	/* Read back before anything else is written: the last pages spilled are still
	 * gathered, so the read must write them first. */
	assert_int_equal(query_int(f->writer, "SELECT sum(length(b)) FROM t"), 500 * 3000);
	exec_ok(f->writer, "UPDATE t SET b = zeroblob(2000) WHERE n % 3 = 0");
	assert_int_equal(query_int(f->reader, "SELECT count(*) FROM t"), 0);
	exec_ok(f->writer, "COMMIT");
	assert_int_equal(query_int(f->reader, "SELECT count(*) FROM t"), 500);
	assert_int_equal(query_int(f->reader, "SELECT sum(length(b)) FROM t"),
			 334 * 3000 + 166 * 2000);
	exec_ok(f->writer, "BEGIN; INSERT INTO t (b) VALUES (randomblob(5000)); ROLLBACK");
	assert_int_equal(query_int(f->reader, "SELECT count(*) FROM t"), 500);
	assert_whole(f->reader);
	assert_whole(f->writer);
}

/* What the writer committed is in the files: a fresh connection, once both are closed (the
 * last close checkpoints), and one that reads the WAL back before that, find it all. */
static void test_reads_back_after_reopen(void **state)
{
	struct fixture *f = *state;
	sqlite3 *again = NULL;

	exec_ok(f->writer, "BEGIN;"
			   "WITH RECURSIVE c(x) AS"
			   " (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 200)"
			   " INSERT INTO t (b) SELECT randomblob(1000) FROM c; COMMIT");
	assert_int_equal(sqlite3_open_v2(f->dir.path, &again, SQLITE_OPEN_READONLY, NULL),
			 SQLITE_OK);
	assert_int_equal(query_int(again, "SELECT count(*) FROM t"), 200);
	sqlite3_close(again);
	sqlite3_close(f->writer);
	sqlite3_close(f->reader);
	f->writer = f->reader = NULL;
	assert_int_equal(sqlite3_open_v2(f->dir.path, &again, SQLITE_OPEN_READONLY, NULL),
			 SQLITE_OK);
	assert_int_equal(query_int(again, "SELECT count(*) FROM t"), 200);
	assert_whole(again);
	sqlite3_close(again);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_each_commit_seen_at_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_big_spilled_transaction, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reads_back_after_reopen, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
