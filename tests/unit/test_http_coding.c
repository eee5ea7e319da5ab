/* test_http_coding.c: gzip and deflate bodies decode to what was encoded, and never past the
 * bound: a small body that inflates beyond max_body_size, a cut-short one, bytes after the end
 * and a coding not decoded here are refused. Coded here with zlib's own deflate. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <zlib.h>

#include "http/http_coding.h"

/* window_bits as deflateInit2 takes them: 16 + 15 gzip, 15 zlib, -15 bare deflate. */
static size_t encode(const char *text, size_t len, int window_bits, unsigned char *out,
		     size_t cap)
{
	z_stream zs;

	memset(&zs, 0, sizeof(zs));
	assert_int_equal(deflateInit2(&zs, 6, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY),
			 Z_OK);
	zs.next_in = (Bytef *)(uintptr_t)text;
	zs.avail_in = (uInt)len;
	zs.next_out = out;
	zs.avail_out = (uInt)cap;
	assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
	deflateEnd(&zs);
	return cap - zs.avail_out;
}

static void test_names(void **state)
{
	(void)state;
	assert_int_equal(gg_http_coding_parse(NULL), GG_HTTP_CODING_IDENTITY);
	assert_int_equal(gg_http_coding_parse(" identity "), GG_HTTP_CODING_IDENTITY);
	assert_int_equal(gg_http_coding_parse("gzip"), GG_HTTP_CODING_GZIP);
	assert_int_equal(gg_http_coding_parse("X-GZIP"), GG_HTTP_CODING_GZIP);
	assert_int_equal(gg_http_coding_parse("Deflate\t"), GG_HTTP_CODING_DEFLATE);
	assert_int_equal(gg_http_coding_parse("br"), -1);
	assert_int_equal(gg_http_coding_parse("zstd"), -1);
	assert_int_equal(gg_http_coding_parse("gzip, identity"), -1);
	assert_int_equal(gg_http_coding_parse("gzipped"), -1);
	assert_int_equal(gg_http_coding_parse(""), -1);
}

static void roundtrip(enum gg_http_coding coding, int window_bits)
{
	static const char text[] = "{\"description\":\"compressed by a log shipper\"}\n"
				   "{\"description\":\"a second line\"}\n";
	unsigned char coded[256];
	size_t n = encode(text, strlen(text), window_bits, coded, sizeof(coded));
	char *out;
	size_t len;

	assert_int_equal(gg_http_decode(coding, (char *)coded, n, 1000, &out, &len), 0);
	assert_int_equal(len, strlen(text));
	assert_memory_equal(out, text, len);
	assert_int_equal(out[len], '\0'); /* formats/inflate.h: a NUL after the text */
	free(out);
	/* Exactly the bound decodes; one byte less is over it. */
	assert_int_equal(gg_http_decode(coding, (char *)coded, n, strlen(text), &out, &len), 0);
	free(out);
	assert_int_equal(gg_http_decode(coding, (char *)coded, n, strlen(text) - 1, &out, &len),
			 -E2BIG);
	assert_null(out);
	/* Cut short anywhere: refused, never a part. */
	for (size_t cut = 0; cut < n; cut++)
		assert_int_equal(gg_http_decode(coding, (char *)coded, cut, 1000, &out, &len),
				 -EINVAL);
}

static void test_gzip_and_deflate(void **state)
{
	(void)state;
	roundtrip(GG_HTTP_CODING_GZIP, 16 + MAX_WBITS);
	roundtrip(GG_HTTP_CODING_DEFLATE, MAX_WBITS);
	roundtrip(GG_HTTP_CODING_DEFLATE, -MAX_WBITS); /* bare deflate, as some senders send */
}

/* gzip members one after the other are one body (RFC 1952); other bytes after the end are
 * not. */
static void test_members_and_trailing_bytes(void **state)
{
	unsigned char coded[512];
	size_t n;
	char *out;
	size_t len;

	(void)state;
	n = encode("{\"a\":1}", 7, 16 + MAX_WBITS, coded, sizeof(coded));
	n += encode("{\"b\":2}", 7, 16 + MAX_WBITS, coded + n, sizeof(coded) - n);
	assert_int_equal(gg_http_decode(GG_HTTP_CODING_GZIP, (char *)coded, n, 100, &out, &len), 0);
	assert_int_equal(len, 14);
	assert_memory_equal(out, "{\"a\":1}{\"b\":2}", 14);
	free(out);
	coded[n] = 'x';
	assert_int_equal(gg_http_decode(GG_HTTP_CODING_GZIP, (char *)coded, n + 1, 100, &out, &len),
			 -EINVAL);
	n = encode("{\"a\":1}", 7, MAX_WBITS, coded, sizeof(coded));
	coded[n] = 'x';
	assert_int_equal(gg_http_decode(GG_HTTP_CODING_DEFLATE, (char *)coded, n + 1, 100, &out,
					&len), -EINVAL);
	assert_int_equal(gg_http_decode(GG_HTTP_CODING_GZIP, "{\"plain\":1}", 11, 100, &out, &len),
			 -EINVAL);
}

/* A megabyte of zeros is a kilobyte of gzip: decoding stops at the bound, having held no
 * more than it. */
static void test_bomb(void **state)
{
	size_t big = 1u << 20;
	char *zeros = calloc(1, big);
	unsigned char *coded = malloc(big);
	size_t n;
	char *out;
	size_t len;

	(void)state;
	assert_non_null(zeros);
	assert_non_null(coded);
	n = encode(zeros, big, 16 + MAX_WBITS, coded, big);
	assert_true(n < 4096);
	assert_int_equal(gg_http_decode(GG_HTTP_CODING_GZIP, (char *)coded, n, 65536, &out, &len),
			 -E2BIG);
	assert_int_equal(gg_http_decode(GG_HTTP_CODING_GZIP, (char *)coded, n, big, &out, &len), 0);
	assert_int_equal(len, big);
	free(out);
	free(zeros);
	free(coded);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_gzip_and_deflate),
		cmocka_unit_test(test_members_and_trailing_bytes),
		cmocka_unit_test(test_bomb),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
