/* test_pull_query.c: the pull API's request reading (path, after, limit: every refusal and
 * its status), the page a cursor and a limit pick out of a topic's items (limit, byte bound,
 * more, a cursor gone) and the JSON answer (its keys, next, payloads as they are). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "in_pull/pull_query.h"

#define PATH "/v1/topics/csirt-feed/items"
#define ARGS(...) ((const struct gg_http_arg[]){ __VA_ARGS__ })
#define N(...) (sizeof(ARGS(__VA_ARGS__)) / sizeof(struct gg_http_arg))

static unsigned parse(const char *path, const struct gg_http_arg *args, size_t n,
		      struct pull_query *q)
{
	const char *why = NULL;
	unsigned status = pull_query_parse(path, args, n, 100, 1000, q, &why);

	/* Every refusal says why, for the answer. */
	if (status != 0)
		assert_non_null(why);
	return status;
}

static void test_path(void **state)
{
	struct pull_query q;

	(void)state;
	assert_int_equal(parse(PATH, NULL, 0, &q), 0);
	assert_int_equal(q.topic_len, strlen("csirt-feed"));
	assert_memory_equal(q.topic, "csirt-feed", q.topic_len);
	assert_null(q.after);
	assert_int_equal(q.limit, 100);
	/* A node name may hold '/': what lies between is the topic. */
	assert_int_equal(parse("/v1/topics/a/b/items", NULL, 0, &q), 0);
	assert_int_equal(q.topic_len, 3);
	assert_memory_equal(q.topic, "a/b", 3);
	assert_int_equal(parse("/v1/topics//items", NULL, 0, &q), 404);
	assert_int_equal(parse("/v1/topics/items", NULL, 0, &q), 404);
	assert_int_equal(parse("/v1/topics/x", NULL, 0, &q), 404);
	assert_int_equal(parse("/v1/topics/x/items/", NULL, 0, &q), 404);
	assert_int_equal(parse("/v2/topics/x/items", NULL, 0, &q), 404);
	assert_int_equal(parse("/", NULL, 0, &q), 404);
	assert_int_equal(parse("", NULL, 0, &q), 404);
	assert_int_equal(parse(NULL, NULL, 0, &q), 404);
}

static void test_arguments(void **state)
{
	struct pull_query q;
	char long_id[PULL_ID_MAX + 2];

	(void)state;
	assert_int_equal(parse(PATH, ARGS({ "after", "ev-3" }, { "limit", "10" }),
			       N({ "after", "ev-3" }, { "limit", "10" }), &q), 0);
	assert_string_equal(q.after, "ev-3");
	assert_int_equal(q.limit, 10);
	assert_int_equal(parse(PATH, ARGS({ "limit", "1000" }), 1, &q), 0);
	assert_int_equal(q.limit, 1000);
	assert_int_equal(parse(PATH, ARGS({ "limit", "1" }), 1, &q), 0);
	assert_int_equal(parse(PATH, ARGS({ "limit", "0001" }), 1, &q), 0);
	assert_int_equal(q.limit, 1);

	/* Limits: digits only, 1..max_limit, no overflow to a small number. */
	static const char *const bad_limits[] = { "0", "1001", "-1", "+5", " 5", "5 ", "0x10",
						  "1e3", "", "18446744073709551617",
						  "99999999999999999999999", NULL };
	for (size_t i = 0; bad_limits[i] != NULL; i++)
		assert_int_equal(parse(PATH, ARGS({ "limit", bad_limits[i] }), 1, &q), 400);
	assert_int_equal(parse(PATH, ARGS({ "limit", NULL }), 1, &q), 400);

	/* A cursor: present, not empty, not over PULL_ID_MAX. */
	assert_int_equal(parse(PATH, ARGS({ "after", "" }), 1, &q), 400);
	assert_int_equal(parse(PATH, ARGS({ "after", NULL }), 1, &q), 400);
	memset(long_id, 'a', sizeof(long_id) - 1);
	long_id[PULL_ID_MAX] = '\0';
	assert_int_equal(parse(PATH, ARGS({ "after", long_id }), 1, &q), 0);
	long_id[PULL_ID_MAX] = 'a';
	long_id[PULL_ID_MAX + 1] = '\0';
	assert_int_equal(parse(PATH, ARGS({ "after", long_id }), 1, &q), 400);

	/* Twice, or unknown (a misspelt after would read from the start again). */
	assert_int_equal(parse(PATH, ARGS({ "after", "a" }, { "after", "b" }), 2, &q), 400);
	assert_int_equal(parse(PATH, ARGS({ "limit", "1" }, { "limit", "1" }), 2, &q), 400);
	assert_int_equal(parse(PATH, ARGS({ "since", "a" }), 1, &q), 400);
	assert_int_equal(parse(PATH, ARGS({ "After", "a" }), 1, &q), 400);
	assert_int_equal(parse(PATH, ARGS({ "", "a" }), 1, &q), 400);
	/* A wrong path wins over wrong arguments: the resource is not there at all. */
	assert_int_equal(parse("/v1/x", ARGS({ "since", "a" }), 1, &q), 404);
}

static void fill(struct gg_topic_items *l, int n, size_t len)
{
	for (int i = 0; i < n; i++) {
		char id[16], *text = malloc(len + 1);

		assert_non_null(text);
		memset(text, 'x', len);
		text[len] = '\0';
		snprintf(id, sizeof(id), "ev-%d", i + 1);
		assert_int_equal(gg_topic_items_add(l, id, text, len, GG_TIME_NONE), 0);
	}
}

static void test_page(void **state)
{
	struct gg_topic_items l = { 0 };
	size_t from, count;
	int more;

	(void)state;
	fill(&l, 25, 10);
	assert_int_equal(pull_page(&l, NULL, 10, 1 << 20, &from, &count, &more), 0);
	assert_int_equal(from, 0);
	assert_int_equal(count, 10);
	assert_true(more);
	assert_int_equal(pull_page(&l, "ev-10", 10, 1 << 20, &from, &count, &more), 0);
	assert_int_equal(from, 10);
	assert_int_equal(count, 10);
	assert_true(more);
	assert_int_equal(pull_page(&l, "ev-20", 10, 1 << 20, &from, &count, &more), 0);
	assert_int_equal(from, 20);
	assert_int_equal(count, 5);
	assert_false(more);
	assert_int_equal(pull_page(&l, "ev-25", 10, 1 << 20, &from, &count, &more), 0);
	assert_int_equal(count, 0);
	assert_false(more);
	assert_int_equal(pull_page(&l, "ev-99", 10, 1 << 20, &from, &count, &more), -ENOENT);
	/* The byte bound ends a page early, but never before its first item. */
	assert_int_equal(pull_page(&l, NULL, 10, 35, &from, &count, &more), 0);
	assert_int_equal(count, 3);
	assert_true(more);
	assert_int_equal(pull_page(&l, NULL, 10, 5, &from, &count, &more), 0);
	assert_int_equal(count, 1);
	assert_true(more);
	gg_topic_items_free(&l);

	/* An empty topic: an empty page, nothing more. */
	assert_int_equal(pull_page(&l, NULL, 10, 1 << 20, &from, &count, &more), 0);
	assert_int_equal(count, 0);
	assert_false(more);
}

static void test_answer(void **state)
{
	struct gg_topic_items l = { 0 };
	json_t *o, *items;
	char *text;

	(void)state;
	assert_int_equal(gg_topic_items_add(&l, "a", strdup("<x xml:lang=\"de\">\"ü\"</x>"),
					    strlen("<x xml:lang=\"de\">\"ü\"</x>"), GG_TIME_NONE), 0);
	assert_int_equal(gg_topic_items_add(&l, "b", strdup("<y/>"), 4, GG_TIME_NONE), 0);
	text = pull_answer_json("feed", &l, 0, 2, NULL, 1);
	assert_non_null(text);
	assert_string_equal(text, "{\"topic\":\"feed\",\"items\":[{\"id\":\"a\",\"payload\":"
			    "\"<x xml:lang=\\\"de\\\">\\\"ü\\\"</x>\"},{\"id\":\"b\",\"payload\":"
			    "\"<y/>\"}],\"next\":\"b\",\"more\":true}");
	free(text);
	/* An empty page after a cursor keeps the cursor; from the start it is null. */
	text = pull_answer_json("feed", &l, 2, 0, "b", 0);
	assert_string_equal(text, "{\"topic\":\"feed\",\"items\":[],\"next\":\"b\",\"more\":false}");
	free(text);
	text = pull_answer_json("feed", &l, 0, 0, NULL, 0);
	o = json_loads(text, 0, NULL);
	items = json_object_get(o, "items");
	assert_true(json_is_array(items) && json_array_size(items) == 0);
	assert_true(json_is_null(json_object_get(o, "next")));
	json_decref(o);
	free(text);
	gg_topic_items_free(&l);

	/* A payload that is not UTF-8 fails the answer rather than change the payload. */
	assert_int_equal(gg_topic_items_add(&l, "c", strdup("<z>\xff</z>"), 7, GG_TIME_NONE), 0);
	assert_null(pull_answer_json("feed", &l, 0, 1, NULL, 0));
	gg_topic_items_free(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_path),
		cmocka_unit_test(test_arguments),
		cmocka_unit_test(test_page),
		cmocka_unit_test(test_answer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
