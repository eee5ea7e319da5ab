/* fuzz_pull_query.c: libFuzzer target for the pull API's request reading
 * (adapters/in_pull/pull_query.c). The input is a path, a NUL, then a query string of
 * key=value pairs split at '&' (as libmicrohttpd hands them: a key without '=' has no value);
 * what parses is then paged over a fixed topic of items and answered in JSON. Promises beyond
 * the sanitizers': the status is 0, 400 or 404 and a refusal says why; the topic is a
 * non-empty slice of the path, the limit within 1..max, a cursor 1..PULL_ID_MAX bytes; the
 * page stays inside the topic; the answer parses back with its four keys, next the last
 * item's id (or the cursor). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "in_pull/pull_query.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void finding(const char *what)
{
	fprintf(stderr, "fuzz_pull_query: %s\n", what);
	abort();
}

#define MAX_ARGS 8

static void check_answer(const struct gg_topic_items *items, const struct pull_query *q)
{
	size_t from, count;
	int more, r = pull_page(items, q->after, q->limit, 64, &from, &count, &more);
	char topic[64];
	json_t *o;
	char *text;

	if (r == -ENOENT)
		return;
	if (r != 0 || from > items->n || count > items->n - from || count > q->limit ||
	    (count == 0 && from < items->n) || more != (from + count < items->n))
		finding("page outside the topic");
	snprintf(topic, sizeof(topic), "%.*s", (int)(q->topic_len < 63 ? q->topic_len : 63),
		 q->topic);
	/* A cursor that matched an item is an item id: UTF-8. */
	if ((text = pull_answer_json(topic, items, from, count, q->after, more)) == NULL)
		return; /* a topic that is not UTF-8 */
	o = json_loads(text, 0, NULL);
	if (o == NULL || json_object_size(o) != 4 ||
	    json_array_size(json_object_get(o, "items")) != count ||
	    json_is_true(json_object_get(o, "more")) != more)
		finding("answer does not parse back");
	if (count > 0 && strcmp(json_string_value(json_object_get(o, "next")),
				items->v[from + count - 1].id) != 0)
		finding("next is not the last item");
	json_decref(o);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 2), *query, *save = NULL;
	struct gg_http_arg args[MAX_ARGS];
	struct gg_topic_items items = { 0 };
	struct pull_query q;
	const char *why = NULL;
	size_t n = 0, path_len;
	unsigned status;

	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	buf[size + 1] = '\0';
	path_len = strlen(buf);
	query = buf + path_len + (path_len < size ? 1 : 0);
	for (char *a = strtok_r(query, "&", &save); a != NULL && n < MAX_ARGS;
	     a = strtok_r(NULL, "&", &save)) {
		char *eq = strchr(a, '=');

		if (eq != NULL)
			*eq++ = '\0';
		args[n++] = (struct gg_http_arg){ a, eq };
	}
	status = pull_query_parse(buf, args, n, 100, 1000, &q, &why);
	if (status != 0 && status != 400 && status != 404)
		finding("status other than 0, 400, 404");
	if (status != 0 && why == NULL)
		finding("a refusal without a reason");
	if (status == 0) {
		if (q.topic < buf || q.topic + q.topic_len > buf + path_len || q.topic_len == 0)
			finding("topic outside the path");
		if (q.limit < 1 || q.limit > 1000)
			finding("limit out of range");
		if (q.after != NULL && (q.after[0] == '\0' || strlen(q.after) > PULL_ID_MAX))
			finding("cursor empty or too long");
		for (int i = 0; i < 5; i++) {
			char id[8];

			snprintf(id, sizeof(id), "ev-%d", i + 1);
			if (gg_topic_items_add(&items, id, strdup("<x>ü</x>"), strlen("<x>ü</x>"),
					       GG_TIME_NONE) != 0)
				finding("out of memory");
		}
		check_answer(&items, &q);
		gg_topic_items_free(&items);
	}
	free(buf);
	return 0;
}
