/* pull_query.c: a pull request's path and query string, and the page that answers it. */
#include "in_pull/pull_query.h"

#include <errno.h>
#include <string.h>

#include <jansson.h>

#define PULL_PREFIX "/v1/topics/"
#define PULL_SUFFIX "/items"

/* A limit: decimal digits only (no sign, no blanks, no 0x), 1..max. */
static int limit_parse(const char *s, size_t max, size_t *out)
{
	size_t v = 0;

	if (s == NULL || *s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9' || v > max)
			return -1;
		v = v * 10 + (size_t)(*s - '0');
	}
	if (v < 1 || v > max)
		return -1;
	*out = v;
	return 0;
}

unsigned pull_query_parse(const char *path, const struct gg_http_arg *args, size_t n,
			  size_t default_limit, size_t max_limit, struct pull_query *q,
			  const char **why)
{
	size_t len = path != NULL ? strlen(path) : 0;
	const size_t pre = strlen(PULL_PREFIX), suf = strlen(PULL_SUFFIX);
	int seen_after = 0, seen_limit = 0;

	*q = (struct pull_query){ .limit = default_limit };
	/* The topic is what lies between: a node name may hold '/', the list of topics this
	 * listener serves decides whether it is one. */
	if (len <= pre + suf || memcmp(path, PULL_PREFIX, pre) != 0 ||
	    memcmp(path + len - suf, PULL_SUFFIX, suf) != 0) {
		*why = "no such resource: GET /v1/topics/NAME/items";
		return 404;
	}
	q->topic = path + pre;
	q->topic_len = len - pre - suf;
	if (memchr(q->topic, '\0', q->topic_len) != NULL) {
		*why = "no such resource: GET /v1/topics/NAME/items";
		return 404;
	}
	for (size_t i = 0; i < n; i++) {
		const char *k = args[i].key, *v = args[i].value;

		if (k != NULL && strcmp(k, "after") == 0) {
			if (seen_after++) {
				*why = "after given twice";
				return 400;
			}
			if (v == NULL || *v == '\0' || strnlen(v, PULL_ID_MAX + 1) > PULL_ID_MAX) {
				*why = "after must be an item id (the previous answer's next)";
				return 400;
			}
			q->after = v;
		} else if (k != NULL && strcmp(k, "limit") == 0) {
			if (seen_limit++) {
				*why = "limit given twice";
				return 400;
			}
			if (limit_parse(v, max_limit, &q->limit) != 0) {
				*why = "limit must be a whole number from 1 to the listener's max_limit";
				return 400;
			}
		} else {
			/* Refused rather than ignored: a misspelt `after` would read from the
			 * oldest item again, silently. */
			*why = "unknown query argument (after and limit are known)";
			return 400;
		}
	}
	return 0;
}

int pull_page(const struct gg_topic_items *items, const char *after, size_t limit,
	      size_t max_bytes, size_t *from, size_t *count, int *more)
{
	size_t i, bytes = 0;

	*from = 0;
	if (after != NULL) {
		if (gg_topic_items_find(items, after, from) != 0)
			return -ENOENT;
		(*from)++;
	}
	for (i = *from; i < items->n && i - *from < limit; i++) {
		/* The first item goes whatever its size: a page never stalls on one item. */
		if (i > *from && bytes + items->v[i].len > max_bytes)
			break;
		bytes += items->v[i].len;
	}
	*count = i - *from;
	*more = i < items->n;
	return 0;
}

char *pull_answer_json(const char *topic, const struct gg_topic_items *items, size_t from,
		       size_t count, const char *after, int more)
{
	json_t *o = json_pack("{s:s, s:[]}", "topic", topic, "items");
	json_t *list = o != NULL ? json_object_get(o, "items") : NULL;
	const char *next = count > 0 ? items->v[from + count - 1].id : after;
	char *text = NULL;
	int r = list != NULL ? 0 : -1;

	for (size_t i = from; r == 0 && i < from + count; i++) {
		const struct gg_topic_item *it = &items->v[i];
		/* json_stringn refuses a string that is not UTF-8: the answer then fails whole
		 * rather than carry a payload that is not what was published. */
		json_t *item = json_pack("{s:s, s:s%}", "id", it->id, "payload", it->text, it->len);

		r = item != NULL ? json_array_append_new(list, item) : -1;
	}
	if (r == 0 && json_object_set_new(o, "next", next != NULL ? json_string(next)
								 : json_null()) == 0 &&
	    json_object_set_new(o, "more", json_boolean(more)) == 0)
		text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	return text;
}
