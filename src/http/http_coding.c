/* http_coding.c: gzip and deflate request bodies decoded with zlib, never past a bound. */
#include "http/http_coding.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <zlib.h>

int gg_http_coding_parse(const char *value)
{
	static const struct {
		const char *name;
		enum gg_http_coding coding;
	} names[] = {
		{ "identity", GG_HTTP_CODING_IDENTITY },
		{ "gzip", GG_HTTP_CODING_GZIP },
		{ "x-gzip", GG_HTTP_CODING_GZIP }, /* RFC 9110 8.4.1.3: the same as gzip */
		{ "deflate", GG_HTTP_CODING_DEFLATE },
	};
	size_t n;

	if (value == NULL)
		return GG_HTTP_CODING_IDENTITY;
	value += strspn(value, " \t");
	n = strcspn(value, " \t");
	/* Only white space may follow the name: "gzip, br" is a list of two. */
	if (value[n + strspn(value + n, " \t")] != '\0')
		return -1;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i].name) == n && strncasecmp(value, names[i].name, n) == 0)
			return (int)names[i].coding;
	return -1;
}

/* Inflates in whole with the given zlib window bits; members: after the end of one stream,
 * another may follow (gzip's members). */
static int inflate_all(int window_bits, int members, const char *in, size_t len, size_t max,
		       char **out, size_t *out_len)
{
	z_stream zs;
	size_t cap, n = 0;
	char *buf, *grown;
	int zr, r = 0;

	/* zlib counts input in uInt; max_body_size keeps bodies far below it. */
	if (len > UINT_MAX || max >= SIZE_MAX / 2)
		return -E2BIG;
	cap = len < max / 4 ? len * 4 + 64 : max + 1;
	if (cap > max + 1)
		cap = max + 1;
	if ((buf = malloc(cap)) == NULL)
		return -ENOMEM;
	memset(&zs, 0, sizeof(zs));
	if (inflateInit2(&zs, window_bits) != Z_OK) {
		free(buf);
		return -ENOMEM;
	}
	zs.next_in = (Bytef *)(uintptr_t)in;
	zs.avail_in = (uInt)len;
	for (;;) {
		if (n == cap) { /* full, and n <= max: room up to one byte past the bound */
			cap = cap > (max + 1) / 2 ? max + 1 : cap * 2;
			if ((grown = realloc(buf, cap)) == NULL) {
				r = -ENOMEM;
				break;
			}
			buf = grown;
		}
		zs.next_out = (Bytef *)buf + n;
		zs.avail_out = (uInt)(cap - n > UINT_MAX ? UINT_MAX : cap - n);
		zr = inflate(&zs, Z_NO_FLUSH);
		n = (size_t)((char *)zs.next_out - buf);
		if (n > max) {
			r = -E2BIG;
			break;
		}
		if (zr == Z_STREAM_END) {
			if (zs.avail_in == 0)
				break;
			if (!members || inflateReset(&zs) != Z_OK) {
				r = -EINVAL; /* bytes after the end */
				break;
			}
		} else if (zr == Z_BUF_ERROR && zs.avail_out == 0) {
			continue; /* wants room */
		} else if (zr != Z_OK) {
			/* Z_BUF_ERROR with room left: the input ended inside the stream. */
			r = zr == Z_MEM_ERROR ? -ENOMEM : -EINVAL;
			break;
		}
	}
	inflateEnd(&zs);
	if (r != 0) {
		free(buf);
		return r;
	}
	*out = buf;
	*out_len = n;
	return 0;
}

int gg_http_decode(enum gg_http_coding coding, const char *in, size_t len, size_t max,
		   char **out, size_t *out_len)
{
	int r;

	*out = NULL;
	*out_len = 0;
	switch (coding) {
	case GG_HTTP_CODING_GZIP:
		return inflate_all(16 + MAX_WBITS, 1, in, len, max, out, out_len);
	case GG_HTTP_CODING_DEFLATE:
		/* RFC 9110's deflate is the zlib format, but some senders send bare deflate
		 * (RFC 1951), which a zlib header check tells apart at once. */
		r = inflate_all(MAX_WBITS, 0, in, len, max, out, out_len);
		if (r == -EINVAL)
			r = inflate_all(-MAX_WBITS, 0, in, len, max, out, out_len);
		return r;
	case GG_HTTP_CODING_IDENTITY:
		break;
	}
	return -EINVAL;
}
