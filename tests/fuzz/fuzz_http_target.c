/* fuzz_http_target.c: libFuzzer target for the request target's percent-decoding
 * (src/http/http_framing.c), which libmicrohttpd calls on every path and query a client sends:
 * the result is never longer than the text, holds no NUL (an encoded NUL stays encoded, so a
 * path cannot end early), and a text with no '%' is left as it is. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/http_framing.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void finding(const char *what)
{
	fprintf(stderr, "fuzz_http_target: %s\n", what);
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), *copy = malloc(size + 1);
	size_t in_len, out_len;

	if (s == NULL || copy == NULL)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	in_len = strlen(s); /* libmicrohttpd hands over a C string */
	memcpy(copy, s, in_len + 1);
	out_len = gg_http_unescape(NULL, NULL, s);
	if (out_len > in_len)
		finding("decoded longer than the text");
	if (strlen(s) != out_len)
		finding("a NUL inside the decoded target, or a wrong length");
	if (memchr(copy, '%', in_len) == NULL && strcmp(s, copy) != 0)
		finding("a text without '%' was changed");
	free(s);
	free(copy);
	return 0;
}
