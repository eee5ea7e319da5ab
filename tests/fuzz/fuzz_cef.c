/* fuzz_cef.c: libFuzzer target for the CEF parser (adapters/payload/cef.c), with its promises
 * checked: header strings present, severity in range, keys of [A-Za-z0-9_.], lengths exact. */
#include <stdint.h>

#define FUZZ_NAME "fuzz_cef"
#include "fuzz_payload.h"
#include "formats/cef.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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

		check_pair(kv, size);
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
	for (size_t i = 0; i < FUZZ_N_LIMITS; i++) {
		struct gg_cef *cef = NULL;
		struct gg_error err = { { 0 }, 0, 0 };
		int rc = gg_cef_parse((const char *)data, size, &fuzz_limits[i], &cef, &err);

		if (rc != 0) {
			check_refusal(rc, cef, &err);
			continue;
		}
		check(cef, size);
		gg_cef_free(cef);
	}
	return 0;
}
