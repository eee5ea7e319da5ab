/* fuzz_xml.c: libFuzzer target for the XML ingest path: bytes -> hardened parse -> version ->
 * 1.0 upgrade -> IODEF 2.0 schema check -> serialization, in the order pipeline.c runs them. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlschemas.h>

#include "base/error.h"
#include "iodef/iodef.h"
#include "base/log.h"
#include "iodef/xmlsafe.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Compiled once, as the daemon does: compiling the schema per input would cost 5-7 ms and
 * make the target measure libxml2's schema compiler instead of our code. */
static struct gg_schema *schema;
static struct gg_validator *validator;
/* The IODEF 1.0 schema, for the upgrade's promise (docs/iodef-upgrade.md): a document valid
 * against it comes out of gg_iodef_upgrade valid against IODEF 2.0. */
static xmlSchemaPtr schema_v1;
static xmlSchemaValidCtxtPtr validator_v1;

/* The limits of the topic reader (grid_reader.c), not the ingest defaults: the upgrade may
 * legitimately add two levels (Email/EmailTo, Application/SoftwareReference/Application)
 * and escaping makes text longer, so a published document may exceed what it came in under. */
static const struct gg_xml_limits reader_limits = { .max_bytes = 16 * 1024 * 1024,
						     .max_depth = 256 };

/* A property violation: the sanitizers only see memory and UB errors, so a broken promise
 * of the API is turned into a crash that libFuzzer records with its input. */
static void finding(const char *what, const struct gg_error *err)
{
	if (err != NULL)
		fprintf(stderr, "fuzz_xml: %s: %s\n", what, err->msg);
	else
		fprintf(stderr, "fuzz_xml: %s\n", what);
	abort();
}

/* libxml2 would print every validity error of every input on stderr, which is slow. */
static void quiet(void *data, xmlErrorPtr e)
{
}

/* Encoding errors ("input conversion failed") bypass the parser's structured handler and go
 * to libxml2's generic one, which writes to stderr. */
static void quiet_generic(void *data, const char *fmt, ...)
{
}

static void load_v1_schema(const char *dir)
{
	char path[4096];
	xmlSchemaParserCtxtPtr pctxt;

	snprintf(path, sizeof(path), "%s/iodef-1.0.xsd", dir);
	pctxt = xmlSchemaNewParserCtxt(path);
	if (pctxt != NULL) {
		xmlSchemaSetParserStructuredErrors(pctxt, quiet, NULL);
		schema_v1 = xmlSchemaParse(pctxt);
		xmlSchemaFreeParserCtxt(pctxt);
	}
	validator_v1 = schema_v1 != NULL ? xmlSchemaNewValidCtxt(schema_v1) : NULL;
	if (validator_v1 == NULL) {
		fprintf(stderr, "fuzz_xml: cannot compile %s\n", path);
		exit(2);
	}
	xmlSchemaSetValidStructuredErrors(validator_v1, quiet, NULL);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *dir = getenv("GG_SCHEMA_DIR");
	struct gg_error err = { 0 };

	(void)argc;
	(void)argv;
	/* Required rather than guessed: a target silently running without the schema would
	 * skip the validator and look healthy. scripts/fuzz sets it. */
	if (dir == NULL || *dir == '\0') {
		fprintf(stderr, "fuzz_xml: set GG_SCHEMA_DIR to the schemas/ directory\n");
		exit(2);
	}
	/* Errors only: the local-only loader warns per refused URL, and logging every input
	 * would slow the fuzzer down by orders of magnitude. */
	gg_log_init(GG_LOG_ERROR);
	gg_xml_init();
	xmlSetGenericErrorFunc(NULL, quiet_generic);
	if (gg_schema_load(dir, &schema, &err) != 0 ||
	    gg_validator_new(schema, &validator, &err) != 0) {
		fprintf(stderr, "fuzz_xml: %s\n", err.msg);
		exit(2);
	}
	load_v1_schema(dir);
	return 0;
}

/* What gets published must be readable by the next parser, ours included: serialize the
 * checked document, parse the bytes back as the topic reader does and check them again. */
static void check_round_trip(xmlDocPtr checked)
{
	struct gg_error err = { 0 };
	xmlDocPtr again = NULL;
	char *text = NULL;
	size_t len = 0;

	if (gg_xml_serialize(checked, &text, &len) != 0)
		finding("a valid document does not serialize", NULL);
	if (text == NULL || strlen(text) != len)
		finding("serialized length does not match the text", NULL);
	if (gg_xml_parse(text, len, &reader_limits, &again, &err) != 0)
		finding("serialized valid document does not parse back", &err);
	if (gg_validator_check(validator, again, &err) != 0)
		finding("serialized valid document is not valid after parsing back", &err);
	xmlFreeDoc(again);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gg_error err = { 0 };
	xmlDocPtr doc = NULL, checked = NULL;
	char *text = NULL;
	size_t len = 0;
	int valid_v1 = 0;

	/* The default limits, as a configuration without max_document_size/max_depth has. */
	if (gg_xml_parse((const char *)data, size, NULL, &doc, &err) != 0) {
		if (doc != NULL)
			finding("a refused parse returned a document", &err);
		return 0;
	}
	if (doc == NULL)
		finding("a successful parse returned no document", NULL);
	checked = doc;
	switch (gg_iodef_version_of(doc)) {
	case GG_IODEF_V1:
		if (gg_iodef_upgrade(doc, &checked, &err) != 0) {
			if (checked != NULL)
				finding("a failed upgrade returned a document", &err);
			checked = NULL;
			break;
		}
		if (gg_iodef_version_of(checked) != GG_IODEF_V2)
			finding("an upgraded document is not IODEF 2.0 by its root", NULL);
		valid_v1 = xmlSchemaValidateDoc(validator_v1, doc) == 0;
		break;
	case GG_IODEF_V2:
		break;
	default:
		/* The pipeline quarantines it without a schema check. */
		checked = NULL;
		break;
	}
	if (checked != NULL && gg_validator_check(validator, checked, &err) == 0)
		check_round_trip(checked);
	else if (valid_v1)
		finding("a valid IODEF 1.0 document did not upgrade to valid IODEF 2.0", &err);
	/* The quarantine path serializes the original document, whatever it holds (comments,
	 * PIs, foreign namespaces), so that must never fail on a parsed tree. */
	if (gg_xml_serialize(doc, &text, &len) != 0)
		finding("a parsed document does not serialize", NULL);
	free(text);
	if (checked != doc)
		xmlFreeDoc(checked);
	xmlFreeDoc(doc);
	return 0;
}
