/* http_body.c: a webhook body to objects with jansson. The nesting depth is checked by a scan
 * before jansson sees the bytes, so a deep body costs no recursion and gets a precise offset. */
#include "http/http_body.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

static int body_fail(struct gg_http_body_error *err, size_t offset, size_t index,
		     const char *msg)
{
	err->offset = offset;
	err->index = index;
	snprintf(err->msg, sizeof(err->msg), "%s", msg);
	return -EINVAL;
}

/* Offset of the first byte nested deeper than max, or len when none is. Strings are skipped
 * (a bracket inside one is text); the scan does not judge syntax, jansson does. */
static size_t depth_exceeded(const char *p, size_t len, size_t max)
{
	size_t depth = 0;
	int in_string = 0;

	for (size_t i = 0; i < len; i++) {
		char c = p[i];

		if (in_string) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_string = 0;
		} else if (c == '"') {
			in_string = 1;
		} else if (c == '[' || c == '{') {
			if (++depth > max)
				return i;
		} else if ((c == ']' || c == '}') && depth > 0) {
			depth--;
		}
	}
	return len;
}

static int objects_add(struct gg_http_objects *o, json_t *obj)
{
	char *s = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER);
	char **items;
	size_t *lens;

	if (s == NULL)
		return -ENOMEM;
	items = realloc(o->items, (o->n + 1) * sizeof(*items));
	if (items == NULL) {
		free(s);
		return -ENOMEM;
	}
	o->items = items;
	lens = realloc(o->lens, (o->n + 1) * sizeof(*lens));
	if (lens == NULL) {
		free(s);
		return -ENOMEM;
	}
	o->lens = lens;
	o->items[o->n] = s;
	o->lens[o->n] = strlen(s);
	o->n++;
	return 0;
}

/* One JSON text at base..base+len: an object, or (array_ok) an array of objects. */
static int split_text(const char *base, size_t len, size_t at, int array_ok,
		      const struct gg_http_body_limits *limits, struct gg_http_objects *out,
		      struct gg_http_body_error *err)
{
	json_error_t jerr;
	json_t *root;
	int r = 0;

	root = json_loadb(base, len, 0, &jerr);
	/* jansson's position counts the bytes it read, the offending one included: the 0-based
	 * offset of that byte is one less. */
	/* jansson's text for it names its own flag, which means nothing to a sender. */
	if (root == NULL)
		return body_fail(err, at + (jerr.position > 0 ? (size_t)jerr.position - 1 : 0), out->n,
				 json_error_code(&jerr) == json_error_null_character
					 ? "a NUL character (\\u0000) in a string"
					 : jerr.text);
	if (json_is_object(root)) {
		if (out->n >= limits->max_objects)
			r = body_fail(err, at, out->n, "more objects than max_objects");
		else
			r = objects_add(out, root);
	} else if (json_is_array(root) && array_ok) {
		size_t i;
		json_t *el;

		json_array_foreach(root, i, el) {
			if (!json_is_object(el)) {
				r = body_fail(err, at, out->n, "an array element is not an object");
				break;
			}
			if (out->n >= limits->max_objects) {
				r = body_fail(err, at, out->n, "more objects than max_objects");
				break;
			}
			if ((r = objects_add(out, el)) != 0)
				break;
		}
	} else {
		r = body_fail(err, at, out->n, array_ok ? "the body is neither an object nor an "
			      "array of objects" : "the line is not a JSON object");
	}
	json_decref(root);
	return r;
}

static int blank(const char *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r')
			return 0;
	return 1;
}

int gg_http_body_split(const char *body, size_t len, enum gg_http_body_format format,
		       const struct gg_http_body_limits *limits, struct gg_http_objects *out,
		       struct gg_http_body_error *err)
{
	size_t deep, start = 0;
	int r = 0;

	memset(out, 0, sizeof(*out));
	memset(err, 0, sizeof(*err));
	/* RFC 8259 forbids a byte order mark before a JSON text and lets a parser ignore one:
	 * Windows tools write it (PowerShell 5's Out-File -Encoding utf8, Notepad), and the
	 * file is posted as it is. Offsets stay the body's own. */
	if (len >= 3 && memcmp(body, "\xEF\xBB\xBF", 3) == 0)
		start = 3;
	if (len == start)
		return body_fail(err, 0, 0, "the body is empty");
	if (memchr(body, '\0', len) != NULL)
		return body_fail(err, (size_t)((const char *)memchr(body, '\0', len) - body), 0,
				 "NUL byte in the body");
	if (format == GG_HTTP_BODY_JSON) {
		deep = depth_exceeded(body + start, len - start, limits->max_depth);
		if (deep < len - start)
			return body_fail(err, start + deep, 0, "nested deeper than the depth limit");
		r = split_text(body + start, len - start, start, 1, limits, out, err);
	} else {
		for (size_t at = start; at < len && r == 0;) {
			const char *nl = memchr(body + at, '\n', len - at);
			size_t end = nl != NULL ? (size_t)(nl - body) : len;

			if (!blank(body + at, end - at)) {
				deep = depth_exceeded(body + at, end - at, limits->max_depth);
				if (deep < end - at)
					r = body_fail(err, at + deep, out->n, 
						      "nested deeper than the depth limit");
				else
					r = split_text(body + at, end - at, at, 0, limits, out, err);
			}
			at = end + 1;
		}
	}
	if (r != 0) {
		gg_http_objects_free(out);
		if (r == -ENOMEM)
			snprintf(err->msg, sizeof(err->msg), "out of memory");
	}
	return r;
}

void gg_http_objects_free(struct gg_http_objects *o)
{
	if (o == NULL)
		return;
	for (size_t i = 0; i < o->n; i++)
		free(o->items[i]);
	free(o->items);
	free(o->lens);
	memset(o, 0, sizeof(*o));
}
