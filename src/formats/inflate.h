/* inflate.h: compressed data decoded in memory up to a bound, so that a small input cannot
 * grow past it once decoded (a "zip bomb"): gzip (RFC 1952, members one after the other) as
 * logrotate and HTTP senders write it, and the zlib format (RFC 1950) or bare deflate
 * (RFC 1951), HTTP's deflate. No I/O. */
#ifndef GG_INFLATE_H
#define GG_INFLATE_H

#include <stddef.h>

enum gg_inflate_format {
	GG_INFLATE_GZIP,
	GG_INFLATE_DEFLATE, /* zlib format, else bare deflate */
};

/* gzip's first two bytes. */
#define GG_INFLATE_GZIP_MAGIC "\x1f\x8b"

/* Decodes len bytes of in into *out (malloc'd, owned by the caller, with a NUL after its
 * *out_len bytes). -E2BIG: it decodes to more than max bytes; -EINVAL: not that format, cut
 * short, or bytes after its end; -ENOMEM. Nothing is left in *out on an error. */
int gg_inflate(enum gg_inflate_format format, const char *in, size_t len, size_t max,
	       char **out, size_t *out_len);

#endif
