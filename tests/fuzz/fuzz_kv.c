/* fuzz_kv.c: libFuzzer target for the plain key=value payload parser (adapters/payload/kv.c),
 * with the list's promises checked: NUL-terminated strings of the stated length, offsets inside. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "payload/kv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A broken promise is no sanitizer error, so it is made a crash libFuzzer records. */
static void finding(const char *what)
{
	fprintf(stderr, "fuzz_kv: %s\n", what);
	abort();
}

static void check(const struct gg_kv_list *l, size_t size)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		const struct gg_kv *kv = &l->pairs[i];

		if (kv->key == NULL || kv->value == NULL)
			finding("a NULL key or value");
		if (strlen(kv->key) != kv->key_len || strlen(kv->value) != kv->value_len)
			finding("a string's length is not its stated length");
		if (kv->key_len == 0)
			finding("an empty key was returned");
		if (kv->offset >= size || (i > 0 && kv->offset <= l->pairs[i - 1].offset))
			finding("pair offsets are not increasing inside the input");
		if ((kv->flags & GG_KV_BARE) && kv->value_len != 0)
			finding("a bare word has a value");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* The defaults, then small limits with bad UTF-8 allowed: both refusal paths. */
	static const struct gg_kv_limits lims[] = {
		{ 0, 0, 0 },
		{ 4, 0, GG_KV_ALLOW_BAD_UTF8 },
	};
	size_t i;

	for (i = 0; i < sizeof(lims) / sizeof(lims[0]); i++) {
		struct gg_kv_list *l = NULL;
		struct gg_error err = { { 0 }, 0, 0 };
		int rc = gg_kv_parse((const char *)data, size, &lims[i], &l, &err);

		if (rc != 0) {
			/* The arena is sized for the worst case and inputs are at most 64 KiB:
			 * running out of it is a sizing bug, not a refusal. */
			if (rc == -ENOMEM)
				finding("out of memory (string arena too small?)");
			if (l != NULL)
				finding("a refused input returned a list");
			if (err.msg[0] == '\0' || err.column < 1)
				finding("a refusal without a message or offset");
			continue;
		}
		check(l, size);
		gg_kv_list_free(l);
	}
	return 0;
}
