/* fuzz_payload.h: what the payload parsers' fuzz targets (fuzz_kv, fuzz_cef, fuzz_leef) share:
 * the limits each input is parsed under, the promises every returned pair keeps, and those of
 * a refusal. Define FUZZ_NAME (the target's name, for the finding's message) first. */
#ifndef GG_FUZZ_PAYLOAD_H
#define GG_FUZZ_PAYLOAD_H

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/kv.h"

/* A broken promise is no sanitizer error, so it is made a crash libFuzzer records. */
static void finding(const char *what)
{
	fprintf(stderr, "%s: %s\n", FUZZ_NAME, what);
	abort();
}

/* Each input is parsed twice: with the defaults, then with small limits and bad UTF-8
 * allowed, so both refusal paths are reached. */
static const struct gg_kv_limits fuzz_limits[] = {
	{ 0, 0, 0 },
	{ 4, 0, GG_KV_ALLOW_BAD_UTF8 },
};
#define FUZZ_N_LIMITS (sizeof(fuzz_limits) / sizeof(fuzz_limits[0]))

/* Every pair: NUL-terminated strings of their stated length, a key, an offset inside the
 * input. */
static void check_pair(const struct gg_kv *kv, size_t size)
{
	if (kv->key == NULL || kv->value == NULL)
		finding("a NULL key or value");
	if (strlen(kv->key) != kv->key_len || strlen(kv->value) != kv->value_len)
		finding("a string's length is not its stated length");
	if (kv->key_len == 0 || kv->offset >= size)
		finding("an empty key or an offset outside the input");
}

/* A refusal returns no result, and says why and where. The arena is sized for the worst case
 * and inputs are at most 64 KiB: running out of it is a sizing bug, not a refusal. */
static void check_refusal(int rc, const void *result, const struct gg_error *err)
{
	if (rc == -ENOMEM)
		finding("out of memory (string arena too small?)");
	if (result != NULL)
		finding("a refused input returned a result");
	if (err->msg[0] == '\0' || err->column < 1)
		finding("a refusal without a message or offset");
}

#endif
