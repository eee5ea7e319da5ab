/* fuzz_http_body.c: libFuzzer target for the webhook body splitter (src/http/http_body.c) and
 * the content decoder before it (src/http/http_coding.c). Byte 0 picks the format (JSON or
 * NDJSON), a small depth limit, and (bit 7) whether the body is first decoded as gzip or
 * (bit 6) deflate; the promises checked beyond the sanitizers': a decoded body is never over
 * its bound, every object comes out as one line of JSON that parses back to an object, a
 * refusal keeps nothing and names an offset inside the body. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "http/http_body.h"
#include "http/http_coding.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void finding(const char *what)
{
	fprintf(stderr, "fuzz_http_body: %s\n", what);
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gg_http_body_limits limits = { .max_depth = 2, .max_objects = 64 };
	enum gg_http_body_format f;
	struct gg_http_objects o;
	struct gg_http_body_error e;
	const char *body;
	char *plain = NULL;
	size_t len;
	int r;

	if (size < 1)
		return 0;
	f = data[0] & 1 ? GG_HTTP_BODY_NDJSON : GG_HTTP_BODY_JSON;
	limits.max_depth += (size_t)(data[0] >> 1) % 16;
	body = (const char *)data + 1;
	len = size - 1;
	if (data[0] & 0x80) {
		const size_t max = 1u << 16;

		r = gg_http_decode(data[0] & 0x40 ? GG_HTTP_CODING_DEFLATE : GG_HTTP_CODING_GZIP,
				   body, len, max, &plain, &len);
		if (r != 0) {
			if (plain != NULL)
				finding("a refused coding left a body");
			return 0;
		}
		if (len > max)
			finding("a decoded body over its bound");
		body = plain;
	}
	r = gg_http_body_split(body, len, f, &limits, &o, &e);
	free(plain);
	if (r != 0) {
		if (o.n != 0 || o.items != NULL)
			finding("a refused body kept objects");
		if (e.offset > len)
			finding("an error offset outside the body");
		if (e.msg[0] == '\0')
			finding("a refusal without a message");
		return 0;
	}
	if (o.n > limits.max_objects)
		finding("more objects than max_objects");
	for (size_t i = 0; i < o.n; i++) {
		json_t *back;

		if (strlen(o.items[i]) != o.lens[i] || memchr(o.items[i], '\n', o.lens[i]) != NULL)
			finding("an object is not one line of its stated length");
		back = json_loadb(o.items[i], o.lens[i], 0, NULL);
		if (!json_is_object(back))
			finding("an object does not parse back as an object");
		json_decref(back);
	}
	gg_http_objects_free(&o);
	return 0;
}
