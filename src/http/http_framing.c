/* http_framing.c: the request framing and target checks libmicrohttpd 0.9 does not make. */
#include "http/http_framing.h"

#include <string.h>
#include <strings.h>

#include "base/hex.h"

struct framing {
	unsigned content_length, host;
	const char *transfer_encoding;
	int transfer_encodings;
};

static enum MHD_Result framing_header(void *cls, enum MHD_ValueKind kind, const char *key,
				      const char *value)
{
	struct framing *f = cls;

	(void)kind;
	if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0) {
		f->content_length++;
	} else if (strcasecmp(key, MHD_HTTP_HEADER_HOST) == 0) {
		f->host++;
	} else if (strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING) == 0) {
		f->transfer_encoding = value;
		f->transfer_encodings++;
	}
	return MHD_YES;
}

/* Whether a Transfer-Encoding value is "chunked" alone (any case, blanks around it). */
static int chunked_alone(const char *v)
{
	size_t n;

	v += strspn(v, " \t");
	n = strlen(v);
	while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
		n--;
	return n == 7 && strncasecmp(v, "chunked", 7) == 0;
}

unsigned gg_http_framing_check(struct MHD_Connection *conn, const char *version,
			       const char **why)
{
	struct framing f = { 0 };

	MHD_get_connection_values(conn, MHD_HEADER_KIND, framing_header, &f);
	/* RFC 9112 6.3: which length would a proxy in front have used? */
	if (f.content_length > 1) {
		*why = "more than one Content-Length";
		return 400;
	}
	if (f.content_length > 0 && f.transfer_encodings > 0) {
		*why = "Content-Length and Transfer-Encoding together";
		return 400;
	}
	/* 6.1: a coding the server does not know (gzip, chunked; chunked, chunked) is 501. */
	if (f.transfer_encodings > 1 ||
	    (f.transfer_encoding != NULL && !chunked_alone(f.transfer_encoding))) {
		*why = "a transfer coding other than chunked alone";
		return 501;
	}
	/* 3.2: one Host in an HTTP/1.1 request, at most one in others. */
	if (f.host > 1 || (f.host == 0 && strcasecmp(version, MHD_HTTP_VERSION_1_1) == 0)) {
		*why = f.host > 1 ? "more than one Host" : "an HTTP/1.1 request needs a Host";
		return 400;
	}
	return 0;
}

size_t gg_http_unescape(void *cls, struct MHD_Connection *conn, char *s)
{
	char *out = s;

	(void)cls, (void)conn;
	for (const char *in = s; *in != '\0'; in++) {
		int hi, lo;

		if (*in == '%' && (hi = gg_hex_value(in[1])) >= 0 && (lo = gg_hex_value(in[2])) >= 0 &&
		    (hi | lo) != 0) {
			*out++ = (char)(hi << 4 | lo);
			in += 2;
		} else {
			*out++ = *in;
		}
	}
	*out = '\0';
	return (size_t)(out - s);
}
