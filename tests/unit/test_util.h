/* test_util.h: small helpers shared by the unit tests: read corpus files from
 * $GG_TEST_DATA_DIR / $GG_TEST_SCHEMA_DIR, and ask XPath questions of a document. */
#ifndef GG_TEST_UTIL_H
#define GG_TEST_UTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#include "iodef/iodef.h"
#include "iodef/xmlsafe.h"

/* The directory named by env; a test run without it cannot find its data and must fail
 * loudly rather than skip. */
static inline const char *gg_test_dir(const char *env)
{
	const char *dir = getenv(env);

	if (dir == NULL || *dir == '\0')
		fail_msg("%s is not set (make check sets it; by hand: %s=...)", env, env);
	return dir;
}

static inline const char *gg_test_schema_dir(void)
{
	return gg_test_dir("GG_TEST_SCHEMA_DIR");
}

/* Reads dir/rel into a malloc'd, NUL-terminated buffer; *len (if not NULL) gets its size. */
static inline char *gg_test_read_in(const char *dir, const char *rel, size_t *len)
{
	char path[4096];
	FILE *f;
	char *buf;
	long size;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	f = fopen(path, "rb");
	if (f == NULL)
		fail_msg("cannot open %s", path);
	if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
		fclose(f);
		fail_msg("cannot size %s", path);
		return NULL;
	}
	buf = malloc((size_t)size + 1);
	assert_non_null(buf);
	if (fread(buf, 1, (size_t)size, f) != (size_t)size) {
		fclose(f);
		free(buf);
		fail_msg("short read on %s", path);
		return NULL; /* cmocka 1.1's fail_msg is not marked noreturn */
	}
	fclose(f);
	buf[size] = '\0';
	if (len != NULL)
		*len = (size_t)size;
	return buf;
}

/* The compiled IODEF 2.0 schema and one validator on it, for tests that check what they build.
 * Returns 0, or -1 after printing why with nothing left allocated. */
static inline int gg_test_validator_open(struct gg_schema **schema, struct gg_validator **v)
{
	struct gg_error err = { 0 };

	*schema = NULL;
	*v = NULL;
	if (gg_schema_load(gg_test_schema_dir(), schema, &err) != 0 ||
	    gg_validator_new(*schema, v, &err) != 0) {
		print_error("setup: %s\n", err.msg);
		gg_schema_free(*schema);
		*schema = NULL;
		return -1;
	}
	return 0;
}

static inline void gg_test_validator_close(struct gg_schema *schema, struct gg_validator *v)
{
	gg_validator_free(v);
	gg_schema_free(schema);
}

/* The fixture of the tests that need the schema and one validator, as cmocka group setup and
 * teardown (the teardown also runs after a failed setup). */
struct gg_test_schema {
	struct gg_schema *schema;
	struct gg_validator *v;
};

static inline int gg_test_schema_setup(void **state)
{
	struct gg_test_schema *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	if (gg_test_validator_open(&f->schema, &f->v) != 0) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static inline int gg_test_schema_teardown(void **state)
{
	struct gg_test_schema *f = *state;

	if (f == NULL)
		return 0;
	gg_test_validator_close(f->schema, f->v);
	free(f);
	return 0;
}

/* A file of the test corpus, e.g. "iodef/rfc7970/rfc7970-s7.1-minimal.xml". */
static inline char *gg_test_read_data(const char *rel, size_t *len)
{
	return gg_test_read_in(gg_test_dir("GG_TEST_DATA_DIR"), rel, len);
}

/* Parses a corpus file with the hardened parser and default limits; fails the test if the
 * file is not well-formed. */
static inline xmlDocPtr gg_test_parse_data(const char *rel)
{
	struct gg_error err = { 0 };
	xmlDocPtr doc = NULL;
	size_t len;
	char *buf = gg_test_read_data(rel, &len);
	int rc = gg_xml_parse(buf, len, NULL, &doc, &err);

	free(buf);
	if (rc != 0)
		fail_msg("%s: %s", rel, err.msg);
	return doc;
}

static inline xmlXPathObjectPtr gg_test_xpath_eval(xmlDocPtr doc, const char *expr)
{
	xmlXPathContextPtr ctx = xmlXPathNewContext(doc);
	xmlXPathObjectPtr obj;

	assert_non_null(ctx);
	xmlXPathRegisterNs(ctx, BAD_CAST "i", BAD_CAST GG_IODEF2_NS);
	xmlXPathRegisterNs(ctx, BAD_CAST "v1", BAD_CAST GG_IODEF1_NS);
	xmlXPathRegisterNs(ctx, BAD_CAST "enum", BAD_CAST "urn:ietf:params:xml:ns:iodef-enum-1.0");
	obj = xmlXPathEvalExpression(BAD_CAST expr, ctx);
	xmlXPathFreeContext(ctx);
	if (obj == NULL)
		fail_msg("bad XPath expression: %s", expr);
	return obj;
}

/* The string value of an XPath expression (prefix i: is IODEF 2.0, v1: IODEF 1.0); caller
 * frees with xmlFree. An empty node-set gives "". */
static inline char *gg_test_xpath(xmlDocPtr doc, const char *expr)
{
	xmlXPathObjectPtr obj = gg_test_xpath_eval(doc, expr);
	xmlChar *s = xmlXPathCastToString(obj);

	xmlXPathFreeObject(obj);
	assert_non_null(s);
	return (char *)s;
}

static inline int gg_test_xpath_count(xmlDocPtr doc, const char *expr)
{
	xmlXPathObjectPtr obj = gg_test_xpath_eval(doc, expr);
	int n = (obj->type == XPATH_NODESET && obj->nodesetval != NULL) ?
			obj->nodesetval->nodeNr : 0;

	xmlXPathFreeObject(obj);
	return n;
}

/* Asserts that expr's string value equals want. */
#define gg_assert_xpath(doc, expr, want)                                               \
	do {                                                                           \
		char *gg_got_ = gg_test_xpath((doc), (expr));                          \
		if (strcmp(gg_got_, (want)) != 0) {                                    \
			print_error("%s: got '%s', want '%s'\n", (expr), gg_got_,      \
				    (want));                                           \
			xmlFree(gg_got_);                                              \
			fail();                                                        \
		}                                                                      \
		xmlFree(gg_got_);                                                      \
	} while (0)

#endif
