/* rid_schema.c: the RID schema of RFC 6545 section 8, compiled once and shared read-only,
 * and the per-thread checker that validates envelopes with it and reports the first error. */
#include "rid/rid_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/xmlerror.h>

#define RID_SCHEMA_FILE "iodef-rid-2.0.xsd"

struct gg_rid_schema {
	xmlSchemaPtr xsd;
};

static const char *const type_names[GG_RID_MSG_TYPES] = {
	[GG_RID_TRACE_REQUEST] = "TraceRequest",
	[GG_RID_INVESTIGATION_REQUEST] = "InvestigationRequest",
	[GG_RID_REPORT] = "Report",
	[GG_RID_QUERY] = "Query",
	[GG_RID_ACKNOWLEDGEMENT] = "Acknowledgement",
	[GG_RID_RESULT] = "Result",
};

const char *gg_rid_msg_type_name(enum gg_rid_msg_type type)
{
	return (unsigned)type < GG_RID_MSG_TYPES ? type_names[type] : NULL;
}

/* libxml2 writes names as "{urn:ietf:params:xml:ns:iodef-rid-2.0}RIDPolicy"; the namespaces a
 * RID message is made of are dropped so the message reads as the element names do. */
static void copy_without_ns(char *dst, size_t size, const char *src)
{
	static const char *const drop[] = { "{" GG_RID_NS "}", "{" GG_IODEF1_NS "}",
					    "{" GG_IODEF2_NS "}" };
	size_t n = 0;

	while (*src != '\0' && n + 1 < size) {
		size_t i;

		for (i = 0; i < sizeof(drop) / sizeof(drop[0]); i++)
			if (strncmp(src, drop[i], strlen(drop[i])) == 0)
				break;
		if (i < sizeof(drop) / sizeof(drop[0])) {
			src += strlen(drop[i]);
			continue;
		}
		dst[n++] = *src++;
	}
	dst[n] = '\0';
	while (n > 0 && (dst[n - 1] == '\n' || dst[n - 1] == ' '))
		dst[--n] = '\0';
}

static void on_error(void *data, xmlErrorPtr e)
{
	struct gg_rid_first_error *fe = data;
	xmlNodePtr node;
	const char *msg;
	char clean[sizeof(fe->msg)];

	if (fe->have || e == NULL || e->level < XML_ERR_ERROR)
		return;
	fe->have = 1;
	fe->line = e->line;
	fe->element[0] = '\0';
	node = e->node;
	if (node != NULL && node->type == XML_ATTRIBUTE_NODE)
		node = node->parent;
	if (node != NULL && node->type == XML_ELEMENT_NODE && node->name != NULL)
		snprintf(fe->element, sizeof(fe->element), "%s", (const char *)node->name);
	copy_without_ns(clean, sizeof(clean), e->message != NULL ? e->message : "invalid");
	/* "Element 'X': " repeats the element named in its own field. */
	msg = clean;
	if (fe->element[0] != '\0' && strncmp(msg, "Element '", 9) == 0) {
		const char *q = strchr(msg + 9, '\'');

		if (q != NULL && (q[1] == ':' || q[1] == ',') && q[2] == ' ')
			msg = q + 3;
	}
	snprintf(fe->msg, sizeof(fe->msg), "%s", msg);
}

int gg_rid_schema_load(const char *schema_dir, struct gg_rid_schema **out, struct gg_error *err)
{
	struct gg_rid_schema *schema = calloc(1, sizeof(*schema));
	int r;

	*out = NULL;
	if (schema == NULL)
		return gg_error_set(err, -ENOMEM, "RID schema: out of memory");
	/* The imports (IODEF 1.0, xmldsig) are local files. */
	if ((r = gg_xsd_compile(schema_dir, RID_SCHEMA_FILE, "RID schema", &schema->xsd, err)) !=
	    0) {
		free(schema);
		return r;
	}
	*out = schema;
	return 0;
}

void gg_rid_schema_free(struct gg_rid_schema *schema)
{
	if (schema == NULL)
		return;
	if (schema->xsd != NULL)
		xmlSchemaFree(schema->xsd);
	free(schema);
}

int gg_rid_checker_new(struct gg_rid_schema *rid, struct gg_schema *iodef2,
		       struct gg_rid_checker **out, struct gg_error *err)
{
	struct gg_rid_checker *c;
	int rc;

	*out = NULL;
	if (rid == NULL || rid->xsd == NULL)
		return gg_error_set(err, -EINVAL, "RID checker: no RID schema");
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return gg_error_set(err, -ENOMEM, "RID checker: out of memory");
	c->rid = xmlSchemaNewValidCtxt(rid->xsd);
	if (c->rid == NULL) {
		free(c);
		return gg_error_set(err, -ENOMEM, "RID checker: cannot allocate a context");
	}
	xmlSchemaSetValidStructuredErrors(c->rid, on_error, &c->first);
	rc = gg_validator_new(iodef2, &c->iodef2, err);
	if (rc != 0) {
		gg_rid_checker_free(c);
		return rc;
	}
	*out = c;
	return 0;
}

void gg_rid_checker_free(struct gg_rid_checker *c)
{
	if (c == NULL)
		return;
	if (c->rid != NULL)
		xmlSchemaFreeValidCtxt(c->rid);
	gg_validator_free(c->iodef2);
	free(c);
}

int gg_rid_schema_check(struct gg_rid_checker *c, xmlDocPtr doc, struct gg_error *err)
{
	struct gg_rid_first_error *fe = &c->first;
	int rc;

	memset(fe, 0, sizeof(*fe));
	rc = xmlSchemaValidateDoc(c->rid, doc);
	if (rc == 0)
		return 0;
	if (rc < 0 || !fe->have)
		return gg_error_set(err, -EINVAL, "RID envelope: not valid RID (libxml2: %d)", rc);
	return gg_error_set_at(err, -EINVAL, fe->line, 0, "RID envelope: line %d: element '%s': %s",
			       fe->line, fe->element, fe->msg);
}
