/* http_coding.h: request bodies in a content coding (RFC 9110, 8.4.1): gzip and deflate, as
 * log shippers send them when compression is on (Fluent Bit's http output, Vector's http
 * sink, Logstash's http output), decoded in memory up to a bound (formats/inflate.h), so that
 * a small coded body cannot grow past max_body_size once decoded. No I/O. */
#ifndef GG_HTTP_CODING_H
#define GG_HTTP_CODING_H

#include <stddef.h>

enum gg_http_coding {
	GG_HTTP_CODING_IDENTITY,
	GG_HTTP_CODING_GZIP,    /* gzip, x-gzip: RFC 1952, members one after the other */
	GG_HTTP_CODING_DEFLATE, /* deflate: the zlib format (RFC 1950), or bare RFC 1951 */
};

/* What gridgate tells a sender it decodes (Accept-Encoding of a 415). */
#define GG_HTTP_CODINGS_ACCEPTED "gzip, deflate"

/* The coding a Content-Encoding value names (NULL or "identity": identity), or -1 for one
 * not decoded here (br, zstd, compress) and for a list of several. */
int gg_http_coding_parse(const char *value);

/* Decodes len bytes of in into *out (malloc'd, owned by the caller) of *out_len bytes.
 * -E2BIG: it decodes to more than max bytes; -EINVAL: not that coding, cut short, or bytes
 * after its end; -ENOMEM. Nothing is left in *out on an error. */
int gg_http_decode(enum gg_http_coding coding, const char *in, size_t len, size_t max,
		   char **out, size_t *out_len);

#endif
