/* http_body.h: splits a webhook body into the JSON objects it carries: one object, an array of
 * objects, or NDJSON (one object a line). Pure: bytes in, compact one-line objects out, or an
 * error naming the byte offset and the object index, so a sender can find its mistake. */
#ifndef GG_HTTP_BODY_H
#define GG_HTTP_BODY_H

#include <stddef.h>

enum gg_http_body_format {
	GG_HTTP_BODY_JSON,   /* one object or an array of objects */
	GG_HTTP_BODY_NDJSON, /* application/x-ndjson: one object a line, blank lines skipped */
};

struct gg_http_body_limits {
	size_t max_depth;   /* nesting of arrays and objects, the outer array included */
	size_t max_objects; /* objects in one body */
};

/* The objects, each re-serialized compactly on one line (member order kept). */
struct gg_http_objects {
	char **items;
	size_t *lens;
	size_t n;
};

struct gg_http_body_error {
	size_t offset; /* byte offset in the body where it went wrong */
	size_t index;  /* the object (array element, NDJSON object) it is in */
	char msg[160];
};

/* 0 and out filled (free it with gg_http_objects_free), or -EINVAL with err filled (out is
 * empty), or -ENOMEM. Invalid UTF-8 is refused like any other syntax error. */
int gg_http_body_split(const char *body, size_t len, enum gg_http_body_format format,
		       const struct gg_http_body_limits *limits, struct gg_http_objects *out,
		       struct gg_http_body_error *err);
void gg_http_objects_free(struct gg_http_objects *o);

#endif
