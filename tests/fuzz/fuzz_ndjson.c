/* fuzz_ndjson.c: libFuzzer target for the built-in NDJSON mapping: one line -> IODEF 2.0
 * document -> schema check -> serialization, with the mapping's promise checked as well. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/tree.h>

#include "base/error.h"
#include "iodef/iodef.h"
#include "base/log.h"
#include "iodef/xmlsafe.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct gg_schema *schema;
static struct gg_validator *validator;

/* Fixed, as a configuration gives them; with an e-mail so the Email branch is built too. */
static const struct gg_iodef_defaults defaults = {
	.csirt_name = "csirt.example.org",
	.contact_email = "soc@example.org",
};

/* The limits of the topic reader (grid_reader.c), not the ingest defaults: escaping the
 * line into RecordItem makes the document longer than anything it came in under. */
static const struct gg_xml_limits reader_limits = { .max_bytes = 16 * 1024 * 1024,
						     .max_depth = 256 };

/* docs/ndjson-mapping.md promises that every document the mapping returns validates; a
 * broken promise is not a sanitizer error, so it is made a crash libFuzzer records. */
static void finding(const char *what, const struct gg_error *err)
{
	if (err != NULL)
		fprintf(stderr, "fuzz_ndjson: %s: %s\n", what, err->msg);
	else
		fprintf(stderr, "fuzz_ndjson: %s\n", what);
	abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *dir = getenv("GG_SCHEMA_DIR");
	struct gg_error err = { 0 };

	(void)argc;
	(void)argv;
	/* Required rather than guessed: without the schema the main promise goes unchecked. */
	if (dir == NULL || *dir == '\0') {
		fprintf(stderr, "fuzz_ndjson: set GG_SCHEMA_DIR to the schemas/ directory\n");
		exit(2);
	}
	gg_log_init(GG_LOG_ERROR);
	gg_xml_init();
	if (gg_schema_load(dir, &schema, &err) != 0 ||
	    gg_validator_new(schema, &validator, &err) != 0) {
		fprintf(stderr, "fuzz_ndjson: %s\n", err.msg);
		exit(2);
	}
	return 0;
}

static xmlNodePtr find_element(xmlNodePtr node, const char *name)
{
	for (; node != NULL; node = node->next) {
		xmlNodePtr hit;

		if (node->type != XML_ELEMENT_NODE)
			continue;
		if (strcmp((const char *)node->name, name) == 0)
			return node;
		if ((hit = find_element(node->children, name)) != NULL)
			return hit;
	}
	return NULL;
}

/* "The whole input line is always kept as evidence": after the trip through text and back,
 * RecordItem must hold the line byte for byte, without its line ending (framing). */
static void check_evidence(xmlDocPtr doc, const uint8_t *data, size_t size)
{
	xmlNodePtr item = find_element(xmlDocGetRootElement(doc), "RecordItem");
	xmlChar *text;

	while (size > 0 && (data[size - 1] == '\n' || data[size - 1] == '\r'))
		size--;
	if (item == NULL)
		finding("a mapped document has no RecordItem", NULL);
	text = xmlNodeGetContent(item);
	if (text == NULL || strlen((const char *)text) != size || memcmp(text, data, size) != 0)
		finding("RecordItem does not hold the input line unchanged", NULL);
	xmlFree(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gg_error err = { 0 };
	xmlDocPtr doc = NULL, again = NULL;
	char *text = NULL;
	size_t len = 0;

	if (gg_iodef_from_json((const char *)data, size, &defaults, &doc, &err) != 0) {
		if (doc != NULL)
			finding("a refused line returned a document", &err);
		return 0;
	}
	if (doc == NULL)
		finding("a mapped line returned no document", NULL);
	if (gg_validator_check(validator, doc, &err) != 0)
		finding("a mapped document is not valid IODEF 2.0", &err);
	if (gg_xml_serialize(doc, &text, &len) != 0)
		finding("a mapped document does not serialize", NULL);
	/* The serialized text is what subscribers parse: it must come back through our own
	 * hardened parser (the original line sits in RecordItem, escaped) and stay valid. */
	if (gg_xml_parse(text, len, &reader_limits, &again, &err) != 0)
		finding("a serialized mapped document does not parse back", &err);
	if (gg_validator_check(validator, again, &err) != 0)
		finding("a serialized mapped document is not valid after parsing back", &err);
	check_evidence(again, data, size);
	xmlFreeDoc(again);
	free(text);
	xmlFreeDoc(doc);
	return 0;
}
