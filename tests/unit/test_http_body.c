/* test_http_body.c: a webhook body splits into compact one-line objects (object, array,
 * NDJSON), and every refusal names the byte offset and the object index. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "http/http_body.h"

static const struct gg_http_body_limits limits = { .max_depth = 4, .max_objects = 3 };

static int split(const char *body, enum gg_http_body_format f, struct gg_http_objects *o,
		 struct gg_http_body_error *e)
{
	return gg_http_body_split(body, strlen(body), f, &limits, o, e);
}

static void test_object_and_array(void **state)
{
	struct gg_http_objects o;
	struct gg_http_body_error e;

	(void)state;
	assert_int_equal(split("{ \"b\": 1,\n \"a\": \"x\\ny\" }", GG_HTTP_BODY_JSON, &o, &e), 0);
	assert_int_equal(o.n, 1);
	/* Compact, member order kept, the newline inside the string escaped: one line. */
	assert_string_equal(o.items[0], "{\"b\":1,\"a\":\"x\\ny\"}");
	assert_int_equal(o.lens[0], strlen(o.items[0]));
	gg_http_objects_free(&o);
	assert_int_equal(split("[{\"a\":1},{\"a\":[2]}]", GG_HTTP_BODY_JSON, &o, &e), 0);
	assert_int_equal(o.n, 2);
	assert_string_equal(o.items[1], "{\"a\":[2]}");
	gg_http_objects_free(&o);
	assert_int_equal(split("[]", GG_HTTP_BODY_JSON, &o, &e), 0);
	assert_int_equal(o.n, 0);
	gg_http_objects_free(&o);
}

static void test_ndjson(void **state)
{
	struct gg_http_objects o;
	struct gg_http_body_error e;

	(void)state;
	assert_int_equal(split("{\"n\":1}\r\n\n  \n{\"n\":2}", GG_HTTP_BODY_NDJSON, &o, &e), 0);
	assert_int_equal(o.n, 2);
	assert_string_equal(o.items[1], "{\"n\":2}");
	gg_http_objects_free(&o);
	/* The second object's line is broken: offset in the whole body, index 1. */
	assert_int_equal(split("{\"n\":1}\n{\"n\":}\n", GG_HTTP_BODY_NDJSON, &o, &e), -EINVAL);
	assert_int_equal(e.index, 1);
	assert_int_equal(e.offset, 13);
	assert_int_equal(o.n, 0);
	/* An array is not an NDJSON line. */
	assert_int_equal(split("[{}]", GG_HTTP_BODY_NDJSON, &o, &e), -EINVAL);
}

/* A UTF-8 byte order mark before the text is skipped (RFC 8259 8.1 allows it); offsets still
 * count it, and a mark anywhere else is the error it is. */
static void test_byte_order_mark(void **state)
{
	struct gg_http_objects o;
	struct gg_http_body_error e;

	(void)state;
	assert_int_equal(split("\xEF\xBB\xBF{\"a\":1}", GG_HTTP_BODY_JSON, &o, &e), 0);
	assert_int_equal(o.n, 1);
	assert_string_equal(o.items[0], "{\"a\":1}");
	gg_http_objects_free(&o);
	assert_int_equal(split("\xEF\xBB\xBF{\"n\":1}\n{\"n\":2}", GG_HTTP_BODY_NDJSON, &o, &e), 0);
	assert_int_equal(o.n, 2);
	gg_http_objects_free(&o);
	assert_int_equal(split("\xEF\xBB\xBF{\"a\":1,}", GG_HTTP_BODY_JSON, &o, &e), -EINVAL);
	assert_int_equal(e.offset, 10);
	assert_int_equal(split("\xEF\xBB\xBF", GG_HTTP_BODY_JSON, &o, &e), -EINVAL);
	assert_int_equal(split("{\"n\":1}\n\xEF\xBB\xBF{\"n\":2}", GG_HTTP_BODY_NDJSON, &o, &e), -EINVAL);
	assert_int_equal(e.index, 1);
	assert_int_equal(split("[\xEF\xBB\xBF{}]", GG_HTTP_BODY_JSON, &o, &e), -EINVAL);
}

static void test_refusals(void **state)
{
	struct gg_http_objects o;
	struct gg_http_body_error e;

	(void)state;
	assert_int_equal(split("", GG_HTTP_BODY_JSON, &o, &e), -EINVAL);
	assert_int_equal(split("{\"a\":1,}", GG_HTTP_BODY_JSON, &o, &e), -EINVAL);
	assert_int_equal(e.offset, 7);
	assert_int_equal(split("[{},{},7]", GG_HTTP_BODY_JSON, &o, &e), -EINVAL);
	assert_int_equal(e.index, 2);
	assert_int_equal(o.n, 0); /* all or nothing */
	assert_int_equal(split("\"text\"", GG_HTTP_BODY_JSON, &o, &e), -EINVAL);
	assert_int_equal(split("{} {}", GG_HTTP_BODY_JSON, &o, &e), -EINVAL);
	assert_int_equal(split("{\"a\":\"\xc3\x28\"}", GG_HTTP_BODY_JSON, &o, &e), -EINVAL);
	/* More objects than max_objects. */
	assert_int_equal(split("[{},{},{},{}]", GG_HTTP_BODY_JSON, &o, &e), -EINVAL);
	assert_int_equal(e.index, 3);
	/* Depth: four levels pass, the fifth bracket is named; brackets in strings are text. */
	assert_int_equal(split("[{\"a\":[{}]}]", GG_HTTP_BODY_JSON, &o, &e), 0);
	gg_http_objects_free(&o);
	assert_int_equal(split("{\"s\":\"[[[[[[\\\"[[[[\"}", GG_HTTP_BODY_JSON, &o, &e), 0);
	gg_http_objects_free(&o);
	assert_int_equal(split("[{\"a\":[{\"b\":[]}]}]", GG_HTTP_BODY_JSON, &o, &e), -EINVAL);
	assert_int_equal(e.offset, 12);
	/* A NUL byte is refused where it is. */
	assert_int_equal(gg_http_body_split("{\"a\":\0}", 7, GG_HTTP_BODY_JSON, &limits, &o, &e),
			 -EINVAL);
	assert_int_equal(e.offset, 5);
	/* An escaped one is refused in the sender's words, not jansson's flag name. */
	assert_int_equal(split("{\"a\":\"x\\u0000y\"}", GG_HTTP_BODY_JSON, &o, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "a NUL character"));
	assert_null(strstr(e.msg, "JSON_ALLOW_NUL"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_object_and_array),
		cmocka_unit_test(test_ndjson),
		cmocka_unit_test(test_byte_order_mark),
		cmocka_unit_test(test_refusals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
