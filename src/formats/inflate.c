/* inflate.c: gzip, zlib and bare deflate data decoded with zlib, never past a bound. */
#include "formats/inflate.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

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
	/* One byte more than cap throughout: the NUL after the text. */
	if ((buf = malloc(cap + 1)) == NULL)
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
			if ((grown = realloc(buf, cap + 1)) == NULL) {
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
	buf[n] = '\0';
	*out = buf;
	*out_len = n;
	return 0;
}

int gg_inflate(enum gg_inflate_format format, const char *in, size_t len, size_t max,
	       char **out, size_t *out_len)
{
	int r;

	*out = NULL;
	*out_len = 0;
	if (format == GG_INFLATE_GZIP)
		return inflate_all(16 + MAX_WBITS, 1, in, len, max, out, out_len);
	/* The zlib format, or bare deflate (RFC 1951), which a zlib header check tells apart
	 * at once. */
	r = inflate_all(MAX_WBITS, 0, in, len, max, out, out_len);
	if (r == -EINVAL)
		r = inflate_all(-MAX_WBITS, 0, in, len, max, out, out_len);
	return r;
}
