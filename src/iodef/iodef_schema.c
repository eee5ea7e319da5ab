/* iodef_schema.c: the IODEF 2.0 (RFC 7970) schema, compiled once and shared read-only, and
 * per-thread validation contexts that report the first error by line and element. */
#include "iodef/iodef.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libxml/xmlerror.h>
#include <libxml/xmlschemas.h>

#define SCHEMA_FILE "iodef-2.0.xsd"
#define ROOT_NAME "IODEF-Document"

struct gg_schema {
	xmlSchemaPtr xsd;
};

/* The first error libxml2 reports; later ones are mostly consequences of it. */
struct first_error {
	int have;
	int line;
	int column;
	char element[64];
	char file[128];
	char msg[400];
};

struct gg_validator {
	xmlSchemaValidCtxtPtr ctxt;
	struct first_error first;
};

/* Copies src into dst without the IODEF 2.0 namespace in braces: libxml2 writes every name
 * as "{urn:ietf:params:xml:ns:iodef-2.0}Incident", which buries the message. */
static void copy_without_ns(char *dst, size_t size, const char *src)
{
	static const char ns[] = "{" GG_IODEF2_NS "}";
	size_t n = 0;

	while (*src != '\0' && n + 1 < size) {
		if (strncmp(src, ns, sizeof(ns) - 1) == 0) {
			src += sizeof(ns) - 1;
			continue;
		}
		dst[n++] = *src++;
	}
	dst[n] = '\0';
	while (n > 0 && (dst[n - 1] == '\n' || dst[n - 1] == ' '))
		dst[--n] = '\0';
}

/* libxml2 starts validity messages with "Element 'X': " or "Element 'X', attribute ...";
 * the element goes into its own field, so that prefix is dropped from the message. */
static const char *skip_element_prefix(const char *msg)
{
	const char *q;

	if (strncmp(msg, "Element '", 9) != 0)
		return msg;
	q = strchr(msg + 9, '\'');
	if (q == NULL)
		return msg;
	if ((q[1] == ':' || q[1] == ',') && q[2] == ' ')
		return q + 3;
	return msg;
}

static void on_error(void *data, xmlErrorPtr e)
{
	struct first_error *fe = data;
	xmlNodePtr node;
	char clean[sizeof(fe->msg)];

	if (fe->have || e == NULL || e->level < XML_ERR_ERROR)
		return;
	fe->have = 1;
	fe->line = e->line;
	fe->column = e->int2;
	fe->element[0] = '\0';
	node = e->node;
	if (node != NULL && node->type == XML_ATTRIBUTE_NODE)
		node = node->parent;
	if (node != NULL && node->type == XML_ELEMENT_NODE && node->name != NULL)
		snprintf(fe->element, sizeof(fe->element), "%s", (const char *)node->name);
	snprintf(fe->file, sizeof(fe->file), "%s", e->file != NULL ? e->file : "");
	copy_without_ns(clean, sizeof(clean), e->message != NULL ? e->message : "invalid");
	snprintf(fe->msg, sizeof(fe->msg), "%s",
		 fe->element[0] != '\0' ? skip_element_prefix(clean) : clean);
}

int gg_xsd_compile(const char *schema_dir, const char *file, const char *what,
		   xmlSchemaPtr *out, struct gg_error *err)
{
	char path[PATH_MAX];
	struct first_error fe;
	xmlSchemaParserCtxtPtr pctxt;
	int n;

	*out = NULL;
	n = snprintf(path, sizeof(path), "%s/%s", schema_dir, file);
	if (n < 0 || (size_t)n >= sizeof(path))
		return gg_error_set(err, -ENAMETOOLONG, "%s: path too long: %s", what, schema_dir);
	/* Checked here so a wrong directory reads as such, not as a libxml2 parse failure. */
	if (access(path, R_OK) != 0) {
		n = errno;
		return gg_error_set(err, -n, "%s: cannot read %s: %s", what, path, strerror(n));
	}
	pctxt = xmlSchemaNewParserCtxt(path);
	if (pctxt == NULL)
		return gg_error_set(err, -ENOMEM, "%s: cannot allocate a parser context", what);
	memset(&fe, 0, sizeof(fe));
	xmlSchemaSetParserStructuredErrors(pctxt, on_error, &fe);
	/* Imports (xmldsig, enum, sci -> IODEF 1.0, xml.xsd) are read through the local-only
	 * entity loader installed by gg_xml_init: no schema compile ever touches the network. */
	*out = xmlSchemaParse(pctxt);
	xmlSchemaFreeParserCtxt(pctxt);
	if (*out != NULL)
		return 0;
	if (fe.have)
		return gg_error_set_at(err, -EINVAL, fe.line, fe.column, "%s: %s:%d: %s", what,
				       fe.file[0] ? fe.file : path, fe.line, fe.msg);
	return gg_error_set(err, -EINVAL, "%s: cannot compile %s", what, path);
}

int gg_schema_load(const char *schema_dir, struct gg_schema **out, struct gg_error *err)
{
	struct gg_schema *schema = calloc(1, sizeof(*schema));
	int r;

	*out = NULL;
	if (schema == NULL)
		return gg_error_set(err, -ENOMEM, "schema: out of memory");
	if ((r = gg_xsd_compile(schema_dir, SCHEMA_FILE, "schema", &schema->xsd, err)) != 0) {
		free(schema);
		return r;
	}
	*out = schema;
	return 0;
}

void gg_schema_free(struct gg_schema *schema)
{
	if (schema == NULL)
		return;
	if (schema->xsd != NULL)
		xmlSchemaFree(schema->xsd);
	free(schema);
}

int gg_validator_new(struct gg_schema *schema, struct gg_validator **out, struct gg_error *err)
{
	struct gg_validator *v;

	*out = NULL;
	if (schema == NULL || schema->xsd == NULL)
		return gg_error_set(err, -EINVAL, "validator: no schema");
	v = calloc(1, sizeof(*v));
	if (v == NULL)
		return gg_error_set(err, -ENOMEM, "validator: out of memory");
	v->ctxt = xmlSchemaNewValidCtxt(schema->xsd);
	if (v->ctxt == NULL) {
		free(v);
		return gg_error_set(err, -ENOMEM, "validator: cannot allocate a context");
	}
	xmlSchemaSetValidStructuredErrors(v->ctxt, on_error, &v->first);
	*out = v;
	return 0;
}

void gg_validator_free(struct gg_validator *v)
{
	if (v == NULL)
		return;
	if (v->ctxt != NULL)
		xmlSchemaFreeValidCtxt(v->ctxt);
	free(v);
}

static int root_is_iodef2(xmlNodePtr root)
{
	return root->ns != NULL && root->ns->href != NULL &&
	       strcmp((const char *)root->ns->href, GG_IODEF2_NS) == 0 &&
	       strcmp((const char *)root->name, ROOT_NAME) == 0;
}

int gg_validator_check(struct gg_validator *v, xmlDocPtr doc, struct gg_error *err)
{
	struct first_error *fe = &v->first;
	xmlNodePtr root;
	int rc;

	root = doc != NULL ? xmlDocGetRootElement(doc) : NULL;
	if (root == NULL)
		return gg_error_set(err, -EINVAL, "iodef: empty document");
	/* The compiled schema also declares IODEF 1.0 (imported by sci-1.0), xmldsig, enum and
	 * sci elements, and libxml2 validates any declared global element as a root: an
	 * RFC 5070 document passes xmlSchemaValidateDoc against iodef-2.0.xsd. Only a
	 * {iodef-2.0}IODEF-Document is an IODEF 2.0 document. */
	if (!root_is_iodef2(root)) {
		const char *ns = root->ns != NULL ? (const char *)root->ns->href : "";
		int line = (int)xmlGetLineNo(root);
		int v1 = strcmp(ns, GG_IODEF1_NS) == 0;

		return gg_error_set_at(err, -EINVAL, line > 0 ? line : 0, 0,
				       "line %d: element '%s': root must be IODEF-Document in "
				       "namespace %s, found namespace '%.100s'%s",
				       line, (const char *)root->name, GG_IODEF2_NS, ns,
				       v1 ? " (IODEF 1.0: upgrade it first)" : "");
	}
	memset(fe, 0, sizeof(*fe));
	rc = xmlSchemaValidateDoc(v->ctxt, doc);
	if (rc == 0)
		return 0;
	if (rc < 0)
		return gg_error_set(err, -EINVAL, "iodef: schema validation failed internally (%d)",
				    rc);
	if (!fe->have)
		return gg_error_set(err, -EINVAL, "iodef: document is not valid IODEF 2.0");
	if (fe->column > 0)
		return gg_error_set_at(err, -EINVAL, fe->line, fe->column,
				       "line %d, column %d: element '%s': %s", fe->line, fe->column,
				       fe->element, fe->msg);
	return gg_error_set_at(err, -EINVAL, fe->line, 0, "line %d: element '%s': %s", fe->line,
			       fe->element, fe->msg);
}

enum gg_iodef_version gg_iodef_version_of(xmlDocPtr doc)
{
	xmlNodePtr root = doc != NULL ? xmlDocGetRootElement(doc) : NULL;

	if (root == NULL || root->ns == NULL || root->ns->href == NULL ||
	    strcmp((const char *)root->name, ROOT_NAME) != 0)
		return GG_IODEF_UNKNOWN;
	if (strcmp((const char *)root->ns->href, GG_IODEF2_NS) == 0)
		return GG_IODEF_V2;
	if (strcmp((const char *)root->ns->href, GG_IODEF1_NS) == 0)
		return GG_IODEF_V1;
	return GG_IODEF_UNKNOWN;
}
