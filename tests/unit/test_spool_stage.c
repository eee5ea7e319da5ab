/* test_spool_stage.c: the spool's file staging: staged rows stay out of the queue until they
 * are published, all at once and in order; a dropped or abandoned file leaves nothing behind. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "engine/spool.h"
#include "test_dir.h"

struct fixture {
	struct gg_test_dir tmp;
	struct gg_spool *sp;
};

static struct gg_spool *open_spool(const struct fixture *fx)
{
	struct gg_spool_options opts = { .path = fx->tmp.path };
	struct gg_spool *sp = NULL;
	struct gg_error err;

	assert_int_equal(gg_spool_open(&opts, &sp, &err), 0);
	return sp;
}

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	if (fx == NULL)
		return -1;
	if (gg_test_dir_make(&fx->tmp, "stage") != 0) {
		free(fx);
		return -1;
	}
	fx->sp = open_spool(fx);
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

/* Stages rows PREFIX-0 .. PREFIX-(n-1) of file in one transaction. */
static void stage(struct gg_spool *sp, const char *source, const char *file, const char *prefix,
		  int n)
{
	struct gg_spool_stage_row rows[16];
	char ids[16][32];
	struct gg_error err;

	assert_true(n <= 16);
	for (int i = 0; i < n; i++) {
		snprintf(ids[i], sizeof(ids[i]), "%s-%d", prefix, i);
		rows[i] = (struct gg_spool_stage_row){ ids[i], ids[i], strlen(ids[i]) };
	}
	assert_int_equal(gg_spool_begin(sp, &err), 0);
	assert_int_equal(gg_spool_stage_put(sp, source, file, rows, (size_t)n, &err), 0);
	assert_int_equal(gg_spool_commit(sp, &err), 0);
}

/* Publishes file in its own transaction; returns the rows added. */
static int64_t publish(struct gg_spool *sp, const char *source, const char *file,
		       int64_t *duplicates)
{
	int64_t added = -1, dups = -1;
	struct gg_error err;

	assert_int_equal(gg_spool_begin(sp, &err), 0);
	assert_int_equal(gg_spool_stage_publish(sp, source, file, &added, &dups, &err), 0);
	assert_int_equal(gg_spool_commit(sp, &err), 0);
	if (duplicates != NULL)
		*duplicates = dups;
	return added;
}

static int64_t pending(struct gg_spool *sp)
{
	int64_t n = -1;

	assert_int_equal(gg_spool_pending_count(sp, &n), 0);
	return n;
}

static void test_staged_rows_wait_then_enter_in_order(void **state)
{
	struct fixture *fx = *state;
	struct gg_spool_row rows[8];
	struct gg_error err;
	int64_t removed = -1, dups = -1;

	assert_int_equal(gg_spool_stage_init(fx->sp, "in", &removed, &err), 0);
	assert_int_equal(removed, 0);
	stage(fx->sp, "in", "a.log", "a", 3);
	stage(fx->sp, "in", "a.log", "b", 2); /* a second slice of the same file */
	assert_int_equal(pending(fx->sp), 0);
	assert_int_equal(gg_spool_fetch_pending(fx->sp, 0, 8, rows, &err), 0);

	assert_int_equal(publish(fx->sp, "in", "a.log", &dups), 5);
	assert_int_equal(dups, 0);
	assert_int_equal(pending(fx->sp), 5);
	assert_int_equal(gg_spool_fetch_pending(fx->sp, 0, 8, rows, &err), 5);
	assert_string_equal(rows[0].id, "a-0");
	assert_string_equal(rows[2].id, "a-2");
	assert_string_equal(rows[3].id, "b-0");
	assert_string_equal(rows[4].payload, "b-1");
	gg_spool_rows_free(rows, 5);
	/* The move deleted them: publishing again adds nothing. */
	assert_int_equal(publish(fx->sp, "in", "a.log", NULL), 0);
}

/* Record ids are content hashes, in no order: the move keeps the order the lines were staged
 * in, not the order of their ids. */
static void test_publish_keeps_line_order_not_id_order(void **state)
{
	static const char *const ids[] = { "f3", "a9", "d0", "b7", "e1", "c5" };
	struct fixture *fx = *state;
	struct gg_spool_stage_row rows[6];
	struct gg_spool_row got[8];
	struct gg_error err;
	int64_t removed;
	char lines[6][16];

	assert_int_equal(gg_spool_stage_init(fx->sp, "in", &removed, &err), 0);
	for (int i = 0; i < 6; i++) {
		snprintf(lines[i], sizeof(lines[i]), "line%d", i);
		rows[i] = (struct gg_spool_stage_row){ ids[i], lines[i], strlen(lines[i]) };
	}
	/* two slices, as a file read in two commits */
	assert_int_equal(gg_spool_begin(fx->sp, &err), 0);
	assert_int_equal(gg_spool_stage_put(fx->sp, "in", "o.log", rows, 3, &err), 0);
	assert_int_equal(gg_spool_commit(fx->sp, &err), 0);
	assert_int_equal(gg_spool_begin(fx->sp, &err), 0);
	assert_int_equal(gg_spool_stage_put(fx->sp, "in", "o.log", rows + 3, 3, &err), 0);
	assert_int_equal(gg_spool_commit(fx->sp, &err), 0);
	assert_int_equal(publish(fx->sp, "in", "o.log", NULL), 6);
	assert_int_equal(gg_spool_fetch_pending(fx->sp, 0, 8, got, &err), 6);
	for (int i = 0; i < 6; i++) {
		assert_string_equal(got[i].id, ids[i]);
		assert_string_equal(got[i].payload, lines[i]);
	}
	gg_spool_rows_free(got, 6);
}

static void test_drop_one_file_keeps_the_others(void **state)
{
	struct fixture *fx = *state;
	struct gg_error err;
	int64_t removed = -1;

	assert_int_equal(gg_spool_stage_init(fx->sp, "in", &removed, &err), 0);
	stage(fx->sp, "in", "bad.log", "bad", 4);
	stage(fx->sp, "in", "good.log", "good", 2);
	stage(fx->sp, "other", "bad.log", "other", 1); /* same name, another input */
	assert_int_equal(gg_spool_stage_drop(fx->sp, "in", "bad.log", &removed, &err), 0);
	assert_int_equal(removed, 4);
	assert_int_equal(publish(fx->sp, "in", "bad.log", NULL), 0);
	assert_int_equal(publish(fx->sp, "in", "good.log", NULL), 2);
	assert_int_equal(publish(fx->sp, "other", "bad.log", NULL), 1);
	assert_int_equal(pending(fx->sp), 3);
}

/* A file read again after a crash that came after its records were queued. */
static void test_publish_skips_queued_ids(void **state)
{
	struct fixture *fx = *state;
	struct gg_error err;
	int64_t removed, dups = -1;

	assert_int_equal(gg_spool_stage_init(fx->sp, "in", &removed, &err), 0);
	assert_int_equal(gg_spool_put(fx->sp, "r-1", "in", "x", 1, &err), 0);
	stage(fx->sp, "in", "r.log", "r", 3);
	assert_int_equal(publish(fx->sp, "in", "r.log", &dups), 2);
	assert_int_equal(dups, 1);
	assert_int_equal(pending(fx->sp), 3);
}

static void test_publish_needs_a_transaction(void **state)
{
	struct fixture *fx = *state;
	struct gg_error err;
	int64_t removed, added, dups;

	assert_int_equal(gg_spool_stage_init(fx->sp, "in", &removed, &err), 0);
	stage(fx->sp, "in", "a.log", "a", 2);
	assert_int_equal(gg_spool_stage_publish(fx->sp, "in", "a.log", &added, &dups, &err),
			 -EINVAL);
	assert_int_equal(pending(fx->sp), 0);
	assert_int_equal(publish(fx->sp, "in", "a.log", NULL), 2);
}

static void test_rollback_stages_nothing(void **state)
{
	struct fixture *fx = *state;
	struct gg_spool_stage_row row = { "x-1", "x", 1 };
	struct gg_error err;
	int64_t removed;

	assert_int_equal(gg_spool_stage_init(fx->sp, "in", &removed, &err), 0);
	assert_int_equal(gg_spool_begin(fx->sp, &err), 0);
	assert_int_equal(gg_spool_stage_put(fx->sp, "in", "x.log", &row, 1, &err), 0);
	gg_spool_rollback(fx->sp);
	assert_int_equal(publish(fx->sp, "in", "x.log", NULL), 0);
	/* A bad id fails the put, like gg_spool_put. */
	row.id = "";
	assert_int_equal(gg_spool_begin(fx->sp, &err), 0);
	assert_int_equal(gg_spool_stage_put(fx->sp, "in", "x.log", &row, 1, &err), -EINVAL);
	gg_spool_rollback(fx->sp);
}

/* What an input left staged when it died is deleted when it starts again; another input's rows
 * are not its to delete. A spool written before the staging table existed gets it then. */
static void test_init_deletes_leftovers_of_its_source(void **state)
{
	struct fixture *fx = *state;
	struct gg_error err;
	int64_t removed = -1;

	assert_int_equal(gg_spool_put(fx->sp, "old-1", "in", "x", 1, &err), 0);
	assert_int_equal(gg_spool_stage_init(fx->sp, "in", &removed, &err), 0);
	stage(fx->sp, "in", "a.log", "a", 3);
	stage(fx->sp, "in", "b.log", "b", 2);
	stage(fx->sp, "other", "c.log", "c", 1);
	gg_spool_close(fx->sp); /* as if killed between slices */
	fx->sp = open_spool(fx);
	assert_int_equal(pending(fx->sp), 1);
	assert_int_equal(gg_spool_stage_init(fx->sp, "in", &removed, &err), 0);
	assert_int_equal(removed, 5);
	assert_int_equal(publish(fx->sp, "in", "a.log", NULL), 0);
	assert_int_equal(publish(fx->sp, "other", "c.log", NULL), 1);
	assert_int_equal(pending(fx->sp), 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_staged_rows_wait_then_enter_in_order, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_publish_keeps_line_order_not_id_order,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_drop_one_file_keeps_the_others, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_publish_skips_queued_ids, setup, teardown),
		cmocka_unit_test_setup_teardown(test_publish_needs_a_transaction, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rollback_stages_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_init_deletes_leftovers_of_its_source, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
