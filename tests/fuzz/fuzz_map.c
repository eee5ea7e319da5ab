/* fuzz_map.c: libFuzzer target for the mapping engine: one log line through every shipped
 * mapping (syslog header parse, CEF/LEEF/kv/JSON payloads, regexes under their limits,
 * transforms, slot checks, IODEF build, the webhook mappings' `each` over JSON arrays). The
 * engine's promises are checked too: whatever a mapping makes of a line validates against the
 * IODEF 2.0 schema, and once fitted it is never over the document size bound and still valid
 * (small bounds, so fuzz-sized lines reach the cut); a record gives at most max_elements
 * results (a small bound here, so fuzz-sized arrays reach the refusal), each with its own id. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <libxml/tree.h>

#include "base/error.h"
#include "iodef/iodef.h"
#include "iodef/iodef_fit.h"
#include "map/map.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct gg_schema *schema;
static struct gg_validator *validator;
static struct gg_mapset *mappings;
static struct gg_map_ctx *ctx;

/* Small, so that arrays a fuzzer writes in a few hundred bytes go over it. */
static const struct gg_map_limits limits = { .max_elements = 16 };

/* A mapped line's document without its record and long texts is about 2 KB. */
static const struct gg_fit_limits fit = {
	.max_bytes = 6144,
	.max_record_item = 512,
	.max_text = 256,
};

static const struct gg_iodef_defaults defaults = {
	.csirt_name = "csirt.example.org",
	.contact_email = "soc@example.org",
};

static void finding(const char *what, const struct gg_error *err)
{
	fprintf(stderr, "fuzz_map: %s: %s\n", what, err != NULL ? err->msg : "");
	abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *schema_dir = getenv("GG_SCHEMA_DIR");
	const char *mapping_dir = getenv("GG_MAPPING_DIR");
	const char *all[] = { "*" };
	struct gg_error err = { 0 };

	(void)argc;
	(void)argv;
	if (schema_dir == NULL || mapping_dir == NULL)
		finding("GG_SCHEMA_DIR and GG_MAPPING_DIR must be set", NULL);
	if (gg_schema_load(schema_dir, &schema, &err) != 0 ||
	    gg_validator_new(schema, &validator, &err) != 0 ||
	    gg_mapset_load(mapping_dir, all, 1, &limits, &mappings, &err) != 0 ||
	    gg_map_ctx_new(NULL, &ctx, &err) != 0)
		finding("setup", &err);
	return 0;
}

/* One result: a mapped document is valid, fits, and stays valid once cut; results come in
 * element order and never more of them than the bound. */
struct run {
	size_t n;
	long last_element;
};

static int check_result(void *arg, struct gg_map_result *res)
{
	struct run *run = arg;
	struct gg_error err = { 0 };
	char *text = NULL;
	size_t len = 0;
	int cut = 0;

	if (++run->n > limits.max_elements)
		finding("more results than max_elements", NULL);
	if (res->element >= 0 && res->element <= run->last_element)
		finding("elements out of order", NULL);
	run->last_element = res->element;
	if (res->id == NULL || res->raw == NULL)
		finding("a result without id or raw", NULL);
	if (res->verdict != GG_MAP_MAPPED)
		return 0;
	if (res->doc == NULL)
		finding("mapped without a document", NULL);
	if (gg_validator_check(validator, res->doc, &err) != 0) {
		fprintf(stderr, "fuzz_map: %s/%s element %ld\n", res->mapping, res->rule,
			res->element);
		finding("mapped document is invalid", &err);
	}
	if (gg_iodef_fit(res->doc, &fit, &text, &len, &cut, &err) != 0 || len > fit.max_bytes) {
		fprintf(stderr, "fuzz_map: %s/%s\n", res->mapping, res->rule);
		finding("mapped document does not fit", &err);
	}
	if (cut && gg_validator_check(validator, res->doc, &err) != 0) {
		fprintf(stderr, "fuzz_map: %s/%s\n%s\n", res->mapping, res->rule, text);
		finding("cut document is invalid", &err);
	}
	free(text);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* The line in a buffer of its own size, so ASan sees a read one byte past it. */
	char *line = malloc(size ? size : 1);
	struct run run = { 0, -1 };
	struct gg_error err = { 0 };

	if (line == NULL)
		return 0;
	for (size_t i = 0; i < size; i++)
		line[i] = (char)data[i];
	/* 2026-01-15T12:00:00Z: a fixed receive time keeps runs reproducible. */
	if (gg_map_line(ctx, mappings, "fuzz", "fuzz.log", 1, line, size, 1768478400, &defaults,
			check_result, &run, NULL, &err) == 0 && run.n == 0)
		finding("a record without a result", NULL);
	free(line);
	return 0;
}
