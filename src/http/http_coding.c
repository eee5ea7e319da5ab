/* http_coding.c: Content-Encoding names, and the codings decoded with formats/inflate. */
#include "http/http_coding.h"

#include <errno.h>
#include <string.h>
#include <strings.h>

#include "formats/inflate.h"

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

int gg_http_decode(enum gg_http_coding coding, const char *in, size_t len, size_t max,
		   char **out, size_t *out_len)
{
	*out = NULL;
	*out_len = 0;
	switch (coding) {
	case GG_HTTP_CODING_GZIP:
		return gg_inflate(GG_INFLATE_GZIP, in, len, max, out, out_len);
	case GG_HTTP_CODING_DEFLATE:
		/* RFC 9110's deflate is the zlib format; some senders send bare deflate. */
		return gg_inflate(GG_INFLATE_DEFLATE, in, len, max, out, out_len);
	case GG_HTTP_CODING_IDENTITY:
		break;
	}
	return -EINVAL;
}
