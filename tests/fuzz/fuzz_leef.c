/* fuzz_leef.c: libFuzzer target for the LEEF parser (adapters/payload/leef.c), with its
 * promises checked: header strings present, a 1-4 byte delimiter, keys without '='. */
#include <stdint.h>

#define FUZZ_NAME "fuzz_leef"
#include "fuzz_payload.h"
#include "formats/leef.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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

		check_pair(kv, size);
		if (strchr(kv->key, '=') != NULL)
			finding("a key with '='");
		if (strstr(kv->value, leef->delimiter) != NULL || strstr(kv->key, leef->delimiter))
			finding("an attribute holds its own delimiter");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	for (size_t i = 0; i < FUZZ_N_LIMITS; i++) {
		struct gg_leef *leef = NULL;
		struct gg_error err = { { 0 }, 0, 0 };
		int rc = gg_leef_parse((const char *)data, size, &fuzz_limits[i], &leef, &err);

		if (rc != 0) {
			check_refusal(rc, leef, &err);
			continue;
		}
		check(leef, size);
		gg_leef_free(leef);
	}
	return 0;
}
