/* fuzz_iodef_json.c: libFuzzer target for the IODEF-JSON converter (RFC 8727), as the
 * exporter runs it on a published document: hardened parse (the topic reader's limits) ->
 * gg_iodef_to_json -> compact text -> parsed back by jansson. Promises checked beyond the
 * sanitizers': the text parses back to the same JSON; gg_iodef_to_json_text gives that text;
 * a document valid against IODEF 2.0 converts unless it holds what RFC 8727 cannot carry
 * (a number JSON has no form for, a second element where RFC 8727 holds one). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>

#include "base/error.h"
#include "base/log.h"
#include "iodef/iodef.h"
#include "iodef/iodef_to_json.h"
#include "iodef/xmlsafe.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct gg_schema *schema;
static struct gg_validator *validator;
static const struct gg_xml_limits reader_limits = { .max_bytes = 16 * 1024 * 1024,
						     .max_depth = 256 };

static void finding(const char *what, const char *detail)
{
	fprintf(stderr, "fuzz_iodef_json: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
	abort();
}

static void quiet(void *data, xmlErrorPtr e)
{
}

static void quiet_generic(void *data, const char *fmt, ...)
{
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *dir = getenv("GG_SCHEMA_DIR");
	struct gg_error err = { 0 };

	(void)argc;
	(void)argv;
	if (dir == NULL || *dir == '\0') {
		fprintf(stderr, "fuzz_iodef_json: set GG_SCHEMA_DIR to the schemas/ directory\n");
		exit(2);
	}
	gg_log_init(GG_LOG_ERROR);
	gg_xml_init();
	xmlSetGenericErrorFunc(NULL, quiet_generic);
	xmlSetStructuredErrorFunc(NULL, quiet);
	if (gg_schema_load(dir, &schema, &err) != 0 ||
	    gg_validator_new(schema, &validator, &err) != 0) {
		fprintf(stderr, "fuzz_iodef_json: %s\n", err.msg);
		exit(2);
	}
	return 0;
}

/* The refusals RFC 8727 forces on a valid document (iodef_to_json.h). */
static int allowed_refusal(const char *msg)
{
	return strstr(msg, "has no JSON number") != NULL ||
	       strstr(msg, "is no integer JSON carries") != NULL ||
	       strstr(msg, ": RFC 8727 holds one") != NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gg_error err = { 0 }, verr = { 0 };
	xmlDocPtr doc = NULL;
	json_t *j = NULL, *back;
	json_error_t jerr;
	char *text, *text2 = NULL;
	size_t len2 = 0;
	int r, valid;

	if (gg_xml_parse((const char *)data, size, &reader_limits, &doc, &err) != 0)
		return 0;
	r = gg_iodef_to_json(doc, &j, &err);
	valid = gg_validator_check(validator, doc, &verr) == 0;
	xmlFreeDoc(doc);
	if (r != 0) {
		if (j != NULL)
			finding("a refusal left a result", NULL);
		if (err.msg[0] == '\0')
			finding("a refusal without a reason", NULL);
		if (valid && !allowed_refusal(err.msg))
			finding("a valid IODEF 2.0 document was refused", err.msg);
		return 0;
	}
	if (!json_is_object(j))
		finding("the result is not an object", NULL);
	if ((text = json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(15))) == NULL)
		finding("the result does not serialize", NULL);
	if ((back = json_loads(text, 0, &jerr)) == NULL)
		finding("the text does not parse back", jerr.text);
	if (!json_equal(back, j))
		finding("the text parses back to other JSON", text);
	if (gg_iodef_to_json_text((const char *)data, size, &reader_limits, &text2, &len2, &err) !=
		    0 ||
	    strcmp(text, text2) != 0 || strlen(text2) != len2)
		finding("gg_iodef_to_json_text differs from gg_iodef_to_json", err.msg);
	free(text);
	free(text2);
	json_decref(back);
	json_decref(j);
	return 0;
}
