/* fuzz_leef.c: libFuzzer target for the LEEF parser (adapters/payload/leef.c), with its
 * promises checked: header strings present, a 1-4 byte delimiter, keys without '='. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "payload/leef.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A broken promise is no sanitizer error, so it is made a crash libFuzzer records. */
static void finding(const char *what)
{
	fprintf(stderr, "fuzz_leef: %s\n", what);
	abort();
}

static void check(const struct gg_leef *leef, size_t size)
{
	size_t i;

	if (leef->version_text == NULL || leef->vendor == NULL || leef->product == NULL ||
	    leef->product_version == NULL || leef->event_id == NULL || leef->delimiter == NULL)
		finding("a NULL header field");
	if (leef->version != 1 && leef->version != 2)
		finding("a version other than 1 or 2");
	if (leef->delimiter_len < 1 || leef->delimiter_len > 4 ||
	    strlen(leef->delimiter) != leef->delimiter_len || strcmp(leef->delimiter, "=") == 0)
		finding("a delimiter that is not 1-4 bytes other than '='");
	for (i = 0; i < leef->attrs->n; i++) {
		const struct gg_kv *kv = &leef->attrs->pairs[i];

		if (strlen(kv->key) != kv->key_len || strlen(kv->value) != kv->value_len)
			finding("a string's length is not its stated length");
		if (kv->key_len == 0 || kv->offset >= size || strchr(kv->key, '=') != NULL)
			finding("an empty key, a key with '=' or an offset outside the input");
		if (strstr(kv->value, leef->delimiter) != NULL || strstr(kv->key, leef->delimiter))
			finding("an attribute holds its own delimiter");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct gg_kv_limits lims[] = {
		{ 0, 0, 0 },
		{ 4, 0, GG_KV_ALLOW_BAD_UTF8 },
	};
	size_t i;

	for (i = 0; i < sizeof(lims) / sizeof(lims[0]); i++) {
		struct gg_leef *leef = NULL;
		struct gg_error err = { { 0 }, 0, 0 };
		int rc = gg_leef_parse((const char *)data, size, &lims[i], &leef, &err);

		if (rc != 0) {
			/* The arena is sized for the worst case and inputs are at most 64 KiB:
			 * running out of it is a sizing bug, not a refusal. */
			if (rc == -ENOMEM)
				finding("out of memory (string arena too small?)");
			if (leef != NULL)
				finding("a refused input returned a result");
			if (err.msg[0] == '\0' || err.column < 1)
				finding("a refusal without a message or offset");
			continue;
		}
		check(leef, size);
		gg_leef_free(leef);
	}
	return 0;
}
