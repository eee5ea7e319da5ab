/* test_spool_checkpoint.c: a daemon's spool handles leave the bulk of the checkpoints to the
 * checkpointer thread, and the WAL stays bounded while a writer goes on. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "engine/spool.h"
#include "engine/spool_checkpoint.h"
#include "test_dir.h"

/* 2 KiB rows, 100 a commit: about 50 WAL pages a commit. */
#define ROW_BYTES 2048
#define ROWS_PER_COMMIT 100

static struct gg_spool *open_with(const struct gg_test_dir *d, struct gg_spool_checkpointer *c)
{
	struct gg_spool_options opts = {
		.path = d->path,
		.busy_timeout_ms = 5000,
		.checkpointer = c,
	};
	struct gg_spool *sp = NULL;
	struct gg_error err = { 0 };

	if (gg_spool_open(&opts, &sp, &err) != 0)
		fail_msg("gg_spool_open: %s", err.msg);
	return sp;
}

/* Writes commits of ROWS_PER_COMMIT rows, ids from *next on. */
static void write_commits(struct gg_spool *sp, int commits, int *next)
{
	static char payload[ROW_BYTES];
	struct gg_error err = { 0 };

	memset(payload, 'x', sizeof(payload));
	for (int c = 0; c < commits; c++) {
		if (gg_spool_begin(sp, &err) != 0)
			fail_msg("begin: %s", err.msg);
		for (int i = 0; i < ROWS_PER_COMMIT; i++) {
			char id[32];

			snprintf(id, sizeof(id), "id-%d", (*next)++);
			if (gg_spool_put(sp, id, "test", payload, sizeof(payload), &err) != 0)
				fail_msg("put %s: %s", id, err.msg);
		}
		if (gg_spool_commit(sp, &err) != 0)
			fail_msg("commit: %s", err.msg);
	}
}

static long long wal_bytes(const struct gg_test_dir *d)
{
	char wal[160];
	struct stat st;

	snprintf(wal, sizeof(wal), "%s-wal", d->path);
	return stat(wal, &st) == 0 ? (long long)st.st_size : 0;
}

static long long db_bytes(const struct gg_test_dir *d)
{
	struct stat st;

	return stat(d->path, &st) == 0 ? (long long)st.st_size : 0;
}

static struct gg_spool *open_with_thread(const struct gg_test_dir *d,
					  struct gg_spool_checkpointer **c)
{
	struct gg_error err = { 0 };

	/* The file must exist before the checkpointer opens it. */
	gg_spool_close(open_with(d, NULL));
	if (gg_spool_checkpointer_start(d->path, c, &err) != 0)
		fail_msg("checkpointer: %s", err.msg);
	return open_with(d, *c);
}

/* The thread copies the WAL into the database while the writer does nothing more: the
 * writer's commits stay under the restart bound, where they never copy, so the copy can only
 * be the thread's. */
static void test_thread_copies_the_wal(void **state)
{
	const struct timespec pause = { 0, 10 * 1000000L };
	struct gg_spool_checkpointer *c = NULL;
	struct gg_test_dir d;
	struct gg_spool *sp;
	int next = 0;

	(void)state;
	assert_int_equal(gg_test_dir_make(&d, "ckpt"), 0);
	sp = open_with_thread(&d, &c);
	write_commits(sp, 50, &next); /* about 2500 pages */
	for (int waited = 0; waited < 500 && db_bytes(&d) < 2000LL * 4096; waited++)
		nanosleep(&pause, NULL);
	assert_true(db_bytes(&d) >= 2000LL * 4096);
	assert_true(gg_spool_checkpointer_passes(c) > 0);
	gg_spool_close(sp);
	gg_spool_checkpointer_stop(c);
	assert_int_equal(gg_test_dir_remove(&d), 0);
}

/* A writer that writes without a pause outruns the thread (a pass reads and writes what the
 * writer wrote, and syncs): its WAL still stays under about the hard bound, not the size of
 * all that was written. */
static void test_wal_stays_bounded(void **state)
{
	struct gg_spool_checkpointer *c = NULL;
	struct gg_test_dir d;
	struct gg_spool *sp;
	int next = 0;

	(void)state;
	assert_int_equal(gg_test_dir_make(&d, "ckpt"), 0);
	sp = open_with_thread(&d, &c);
	write_commits(sp, 500, &next); /* about 25000 pages, 100 MB */
	assert_true(wal_bytes(&d) < (GG_SPOOL_WAL_RESTART_PAGES + 2000LL) * 4096);
	gg_spool_close(sp);
	gg_spool_checkpointer_stop(c);
	assert_int_equal(gg_test_dir_remove(&d), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_thread_copies_the_wal),
		cmocka_unit_test(test_wal_stays_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
