/* pull_query.h: what a pull request asks for, read from its path and query string (outside
 * input: pure, no I/O, fuzzed by tests/fuzz/fuzz_pull_query.c), and the page of a topic's
 * items that answers it. */
#ifndef GG_PULL_QUERY_H
#define GG_PULL_QUERY_H

#include <stddef.h>

#include "grid/grid_history.h"
#include "http/http_server.h"

/* An item id longer than this is no cursor of ours (400). */
#define PULL_ID_MAX 1024

struct pull_query {
	const char *topic; /* a slice of the path, topic_len bytes, not NUL-terminated */
	size_t topic_len;
	const char *after; /* the cursor (an item id), NULL: from the oldest item */
	size_t limit;
};

/* Reads GET /v1/topics/NAME/items?after=ID&limit=N: path as libmicrohttpd decoded it
 * (without the query), args as gg_http_args gives them (n of them). Returns 0 with q filled
 * (pointers into path and args), 404 for a path that is no topic's items, 400 for a bad or
 * unknown argument (an empty or over-long after, a limit that is not 1..max_limit, an
 * argument twice); *why says what, for the answer. */
unsigned pull_query_parse(const char *path, const struct gg_http_arg *args, size_t n,
			  size_t default_limit, size_t max_limit, struct pull_query *q,
			  const char **why);

/* The page after `after` (NULL: from the first) of items in topic order: [*from, *from +
 * *count), at most limit items and, past the first, no more than max_bytes of payload
 * (a larger answer would have to be held whole in memory); *more says whether items remain
 * after it. -ENOENT when after is not among the items. */
int pull_page(const struct gg_topic_items *items, const char *after, size_t limit,
	      size_t max_bytes, size_t *from, size_t *count, int *more);

/* The JSON answer: {"topic":T,"items":[{"id":..,"payload":..},...],"next":ID|null,
 * "more":bool}; next is the last item's id, else after (NULL: null), the cursor to ask with
 * next. NULL when out of memory or a payload is not UTF-8. free() it. */
char *pull_answer_json(const char *topic, const struct gg_topic_items *items, size_t from,
		       size_t count, const char *after, int more);

#endif
