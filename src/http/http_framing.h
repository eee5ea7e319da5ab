/* http_framing.h: what libmicrohttpd 0.9 lets through of a request's framing and target that
 * RFC 9112 says a server must refuse: two Content-Length headers, Content-Length beside
 * Transfer-Encoding, a transfer coding other than chunked, an HTTP/1.1 request without one
 * Host; and the percent-decoding of the target, which must not cut it at an encoded NUL. */
#ifndef GG_HTTP_FRAMING_H
#define GG_HTTP_FRAMING_H

#include <stddef.h>

#include <microhttpd.h>

/* 0 when the request's headers frame it as RFC 9112 sections 3.2 and 6 allow, else the status
 * to refuse it with (400, 501; the connection must be closed after it: its framing cannot be
 * trusted) and *why. */
unsigned gg_http_framing_check(struct MHD_Connection *conn, const char *version,
			       const char **why);

/* libmicrohttpd's unescape callback: percent-decodes s in place, except %00, which stays as it
 * is (a decoded NUL would end the path early: "/open%00/x" would be served as "/open").
 * Returns the new length. */
size_t gg_http_unescape(void *cls, struct MHD_Connection *conn, char *s);

#endif
