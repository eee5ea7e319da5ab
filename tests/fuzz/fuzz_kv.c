/* fuzz_kv.c: libFuzzer target for the plain key=value payload parser (adapters/payload/kv.c),
 * with the list's promises checked: NUL-terminated strings of the stated length, offsets inside. */
#include <stdint.h>

#define FUZZ_NAME "fuzz_kv"
#include "fuzz_payload.h"
#include "formats/kv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const struct gg_kv_list *l, size_t size)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		const struct gg_kv *kv = &l->pairs[i];

		check_pair(kv, size);
		if (i > 0 && kv->offset <= l->pairs[i - 1].offset)
			finding("pair offsets are not increasing");
		if ((kv->flags & GG_KV_BARE) && kv->value_len != 0)
			finding("a bare word has a value");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	for (size_t i = 0; i < FUZZ_N_LIMITS; i++) {
		struct gg_kv_list *l = NULL;
		struct gg_error err = { { 0 }, 0, 0 };
		int rc = gg_kv_parse((const char *)data, size, &fuzz_limits[i], &l, &err);

		if (rc != 0) {
			check_refusal(rc, l, &err);
			continue;
		}
		check(l, size);
		gg_kv_list_free(l);
	}
	return 0;
}
