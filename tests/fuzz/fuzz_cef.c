/* fuzz_cef.c: libFuzzer target for the CEF parser (adapters/payload/cef.c), with its promises
 * checked: header strings present, severity in range, keys of [A-Za-z0-9_.], lengths exact. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "payload/cef.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A broken promise is no sanitizer error, so it is made a crash libFuzzer records. */
static void finding(const char *what)
{
	fprintf(stderr, "fuzz_cef: %s\n", what);
	abort();
}

static void check(const struct gg_cef *cef, size_t size)
{
	const char *header[] = { cef->device_vendor, cef->device_product, cef->device_version,
				 cef->signature_id, cef->name, cef->severity_text };
	size_t i, k;

	for (i = 0; i < sizeof(header) / sizeof(header[0]); i++)
		if (header[i] == NULL)
			finding("a NULL header field");
	if (cef->version != 0 && cef->version != 1)
		finding("a version other than 0 or 1");
	if (cef->severity < GG_CEF_SEVERITY_UNKNOWN || cef->severity > 10)
		finding("a severity out of range");
	for (i = 0; i < cef->ext->n; i++) {
		const struct gg_kv *kv = &cef->ext->pairs[i];

		if (strlen(kv->key) != kv->key_len || strlen(kv->value) != kv->value_len)
			finding("a string's length is not its stated length");
		if (kv->key_len == 0 || kv->offset >= size)
			finding("an empty key or an offset outside the input");
		for (k = 0; k < kv->key_len; k++)
			if (strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.",
				   kv->key[k]) == NULL)
				finding("a key with a character outside [A-Za-z0-9_.]");
		/* A value never ends in an unescaped space: that would be the separator. */
		if (kv->value_len > 0 && kv->value[kv->value_len - 1] == ' ' &&
		    i + 1 == cef->ext->n)
			finding("the last value keeps trailing spaces");
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
		struct gg_cef *cef = NULL;
		struct gg_error err = { { 0 }, 0, 0 };
		int rc = gg_cef_parse((const char *)data, size, &lims[i], &cef, &err);

		if (rc != 0) {
			/* The arena is sized for the worst case and inputs are at most 64 KiB:
			 * running out of it is a sizing bug, not a refusal. */
			if (rc == -ENOMEM)
				finding("out of memory (string arena too small?)");
			if (cef != NULL)
				finding("a refused input returned a result");
			if (err.msg[0] == '\0' || err.column < 1)
				finding("a refusal without a message or offset");
			continue;
		}
		check(cef, size);
		gg_cef_free(cef);
	}
	return 0;
}
