/* test_sub_seen.c: the subscriber's seen-id file (adapters/in_subscribe/sub_seen.c): ids are
 * kept per topic, and an id leaves when its topic no longer holds it, down to a topic that
 * holds nothing (an empty keep list: qsort and bsearch must not see its NULL array, which
 * UBSan refuses; bench/export found it with a topic created empty). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "in_subscribe/sub_seen.h"

struct fixture {
	char dir[64], path[96];
	struct sub_seen *seen;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct gg_error err = { 0 };

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/gg-test-sub-seen.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/seen.db", f->dir);
	if (sub_seen_open(f->path, &f->seen, &err) != 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char wal[128], shm[128];

	sub_seen_close(f->seen);
	snprintf(wal, sizeof(wal), "%s-wal", f->path);
	snprintf(shm, sizeof(shm), "%s-shm", f->path);
	unlink(wal);
	unlink(shm);
	unlink(f->path);
	rmdir(f->dir);
	free(f);
	return 0;
}

static void add3(struct sub_seen *s, const char *topic)
{
	char *topics[] = { (char *)topic, (char *)topic, (char *)topic };
	char *ids[] = { "a", "b", "c" };
	struct gg_error err = { 0 };

	assert_int_equal(sub_seen_add(s, topics, ids, 3, &err), 0);
}

static void test_retain(void **state)
{
	struct fixture *f = *state;
	struct gg_grid_strv keep = { 0 };
	struct gg_error err = { 0 };

	add3(f->seen, "t");
	add3(f->seen, "u");
	assert_int_equal(sub_seen_has(f->seen, "t", "b"), 1);
	assert_int_equal(sub_seen_has(f->seen, "t", "x"), 0);
	/* Only b is left in t; u is another topic and keeps its own. */
	assert_int_equal(gg_grid_strv_add(&keep, "b"), 0);
	assert_int_equal(sub_seen_retain(f->seen, "t", &keep, &err), 0);
	assert_int_equal(sub_seen_has(f->seen, "t", "a"), 0);
	assert_int_equal(sub_seen_has(f->seen, "t", "b"), 1);
	assert_int_equal(sub_seen_has(f->seen, "t", "c"), 0);
	assert_int_equal(sub_seen_has(f->seen, "u", "a"), 1);
	gg_grid_strv_free(&keep);
}

static void test_retain_empty_topic(void **state)
{
	struct fixture *f = *state;
	struct gg_grid_strv none = { 0 };
	struct gg_error err = { 0 };

	/* A topic that holds nothing yet, and nothing seen: nothing to do. */
	assert_int_equal(sub_seen_retain(f->seen, "t", &none, &err), 0);
	/* A topic emptied (purged): every id of it leaves. */
	add3(f->seen, "t");
	assert_int_equal(sub_seen_retain(f->seen, "t", &none, &err), 0);
	assert_int_equal(sub_seen_has(f->seen, "t", "a"), 0);
	assert_int_equal(sub_seen_has(f->seen, "t", "c"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_retain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retain_empty_topic, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
