/* fuzz_map.c: libFuzzer target for the mapping engine: one log line through every shipped
 * mapping (syslog header parse, CEF/LEEF/kv/JSON payloads, regexes under their limits,
 * transforms, slot checks, IODEF build). The engine's promises are checked too: whatever a
 * mapping makes of a line validates against the IODEF 2.0 schema, and once fitted it is never
 * over the document size bound and still valid (small bounds, so fuzz-sized lines reach the
 * cut). */
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
	    gg_mapset_load(mapping_dir, all, 1, NULL, &mappings, &err) != 0 ||
	    gg_map_ctx_new(NULL, &ctx, &err) != 0)
		finding("setup", &err);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* The line in a buffer of its own size, so ASan sees a read one byte past it. */
	char *line = malloc(size ? size : 1);
	enum gg_map_verdict verdict;
	struct gg_error err = { 0 };
	const char *mapping = NULL, *rule = NULL;
	xmlDocPtr doc = NULL;

	if (line == NULL)
		return 0;
	for (size_t i = 0; i < size; i++)
		line[i] = (char)data[i];
	/* 2026-01-15T12:00:00Z: a fixed receive time keeps runs reproducible. */
	if (gg_map_line(ctx, mappings, "fuzz", "fuzz.log", 1, line, size, 1768478400, &defaults,
			&verdict, &doc, &mapping, &rule, NULL, &err) == 0 &&
	    verdict == GG_MAP_MAPPED) {
		if (doc == NULL)
			finding("mapped without a document", NULL);
		char *text = NULL;
		size_t len = 0;
		int cut = 0;

		if (gg_validator_check(validator, doc, &err) != 0) {
			fprintf(stderr, "fuzz_map: %s/%s\n", mapping, rule);
			finding("mapped document is invalid", &err);
		}
		if (gg_iodef_fit(doc, &fit, &text, &len, &cut, &err) != 0 || len > fit.max_bytes) {
			fprintf(stderr, "fuzz_map: %s/%s\n", mapping, rule);
			finding("mapped document does not fit", &err);
		}
		if (cut && gg_validator_check(validator, doc, &err) != 0) {
			fprintf(stderr, "fuzz_map: %s/%s\n%s\n", mapping, rule, text);
			finding("cut document is invalid", &err);
		}
		free(text);
	}
	xmlFreeDoc(doc);
	free(line);
	return 0;
}
