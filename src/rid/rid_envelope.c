/* rid_envelope.c: one received RID message from bytes to a checked gg_rid_message: the
 * hardened parse, the RID schema, the policy fields, the digest, then the IODEF documents. */
#include "rid/rid_envelope.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/c14n.h>
#include <openssl/evp.h>

#include "base/digest.h"
#include "iodef/iodef_build.h"
#include "rid/rid_documents.h"
#include "rid/rid_internal.h"

/* Elements whose schema type is xs:dateTime in IODEF 1.0 and 2.0. */
static const char *const datetime_names[] = {
	"DateTime",	  "ReportTime",	    "DetectTime",      "StartTime",
	"EndTime",	  "GenerationTime", "RecoveryTime",    "ExpirationDate",
	"RegistrationDate", "DateDomainWasChecked",
};

void gg_rid_message_free(struct gg_rid_message *m)
{
	if (m == NULL)
		return;
	xmlFreeDoc(m->doc);
	free(m->destination);
	for (size_t i = 0; i < m->n_regions; i++)
		free(m->regions[i]);
	free(m->regions);
	for (size_t i = 0; i < m->n_traffic_types; i++)
		free(m->traffic_types[i]);
	free(m->traffic_types);
	free(m->incident_id);
	free(m->incident_name);
	free(m->status);
	free(m->justification);
	for (size_t i = 0; i < m->n_documents; i++)
		xmlFreeDoc(m->documents[i]);
	free(m->documents);
	free(m);
}

/* MsgType is read before the schema check so that a wrong one is named as such rather than
 * as an enumeration failure of the schema. */
static int read_type(xmlNodePtr policy, enum gg_rid_msg_type *type, struct gg_error *err)
{
	int oom = 0, rc = 0;
	char *v = gg_rid_attr(policy, "MsgType", &oom);
	char *ext;

	if (oom)
		return gg_error_set(err, -ENOMEM, "RID: out of memory");
	if (v == NULL)
		return gg_error_set(err, -EINVAL, "RID: RIDPolicy has no MsgType");
	for (int t = 0; t < GG_RID_MSG_TYPES; t++) {
		if (strcmp(v, gg_rid_msg_type_name((enum gg_rid_msg_type)t)) == 0) {
			*type = (enum gg_rid_msg_type)t;
			free(v);
			return 0;
		}
	}
	if (strcmp(v, "ext-value") == 0) {
		ext = gg_rid_attr(policy, "ext-MsgType", &oom);
		rc = gg_error_set(err, -ENOTSUP,
				  "RID: MsgType ext-value (ext-MsgType '%.60s') is not a message "
				  "type gridgate handles",
				  ext != NULL ? ext : "");
		free(ext);
	} else {
		rc = gg_error_set(err, -EINVAL,
				  "RID: MsgType '%.60s' is not a RID message type (TraceRequest, "
				  "InvestigationRequest, Report, Query, Acknowledgement, Result)",
				  v);
	}
	free(v);
	return rc;
}

static int is_datetime(xmlNodePtr el)
{
	if (!gg_xml_in_ns(el, GG_IODEF1_NS) && !gg_xml_in_ns(el, GG_IODEF2_NS))
		return 0;
	for (size_t i = 0; i < sizeof(datetime_names) / sizeof(datetime_names[0]); i++)
		if (strcmp((const char *)el->name, datetime_names[i]) == 0)
			return 1;
	return 0;
}

/* xs:dateTime collapses whitespace (XML Schema part 2, 3.2.7), so "\n 2001-09-14T08:19:01Z"
 * is a valid value, as RFC 6545's own TraceRequest example writes it; libxml2 2.9 refuses
 * leading whitespace there. The working copy gets the collapsed value the schema means.
 * el is untrimmed(). */
static int collapse_datetime(xmlNodePtr el)
{
	int oom = 0;
	char *v;

	v = gg_rid_text(el, &oom);
	if (v == NULL)
		return -ENOMEM;
	xmlNodeSetContent(el, NULL);
	xmlNodeAddContent(el, BAD_CAST v);
	free(v);
	return 0;
}

/* RFC 6545 section 7.1.1 writes its IODEF-Document without a namespace while every child is
 * an {iodef-1.0}Incident: an IODEF 1.0 document missing its prefix. Taken as one. el is an
 * IODEF-Document in no namespace. */
static void adopt_unqualified(xmlNodePtr el)
{
	xmlNsPtr ns;
	int incidents = 0;

	for (xmlNodePtr c = el->children; c != NULL; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		if (!gg_xml_is_element(c, GG_IODEF1_NS, "Incident"))
			return;
		incidents++;
	}
	ns = xmlSearchNsByHref(el->doc, el, BAD_CAST GG_IODEF1_NS);
	if (incidents > 0 && ns != NULL)
		xmlSetNs(el, ns);
}

/* 1 when collapse_datetime would change el: its one text child starts or ends with space. */
static int untrimmed(xmlNodePtr el)
{
	const char *t;
	size_t n;

	if (el->children == NULL || el->children != el->last ||
	    el->children->type != XML_TEXT_NODE || el->children->content == NULL)
		return 0;
	t = (const char *)el->children->content;
	n = strlen(t);
	return n > 0 && (strchr(" \t\r\n", t[0]) != NULL || strchr(" \t\r\n", t[n - 1]) != NULL);
}

/* The dateTimes and IODEF-Documents below el that the schema check must see fixed. apply 0:
 * 1 at the first that needs a fix, else 0; most messages need none, and then no working copy
 * is made (the copy was a fifth of reading a message). apply 1, on the working copy: fixes
 * them all; 0, or -ENOMEM. */
static int fix_tree(xmlNodePtr el, int apply)
{
	int r;

	for (; el != NULL; el = el->next) {
		if (el->type != XML_ELEMENT_NODE)
			continue;
		if (is_datetime(el)) {
			if (untrimmed(el) && (!apply || collapse_datetime(el) != 0))
				return apply ? -ENOMEM : 1;
			continue;
		}
		if (el->ns == NULL && strcmp((const char *)el->name, "IODEF-Document") == 0) {
			if (!apply)
				return 1;
			adopt_unqualified(el);
		}
		if ((r = fix_tree(el->children, apply)) != 0)
			return r;
	}
	return 0;
}

/* libxml2's output buffer writes the canonical form here, a few KiB at a time: hashed as it
 * comes, never held whole (the copy of the message it was cost a tenth of the digest). */
static int hash_write(void *ctx, const char *buf, int len)
{
	return EVP_DigestUpdate(ctx, buf, (size_t)len) == 1 ? len : -1;
}

/* The digest is over the exclusive canonical form (no comments) of the tree as received. */
static int digest_of(xmlDocPtr doc, char out[65], struct gg_error *err)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	xmlOutputBufferPtr buf;
	int n, ok;

	if (ctx == NULL || gg_sha256_md() == NULL || EVP_DigestInit_ex(ctx, gg_sha256_md(), NULL) != 1 ||
	    (buf = xmlOutputBufferCreateIO(hash_write, NULL, ctx, NULL)) == NULL) {
		EVP_MD_CTX_free(ctx);
		return gg_error_set(err, -ENOMEM, "RID: SHA-256 failed");
	}
	n = xmlC14NDocSaveTo(doc, NULL, XML_C14N_EXCLUSIVE_1_0, NULL, 0, buf);
	/* Beyond allocation, C14N fails on what the parser only warns about: a relative
	 * namespace URI (xmlns="a/b"), which XML C14N 1.0 section 2.3 has no form for. */
	if (xmlOutputBufferClose(buf) < 0 || n < 0) {
		EVP_MD_CTX_free(ctx);
		return gg_error_set(err, -EINVAL,
				    "RID: the message has no XML canonical form (a relative "
				    "namespace URI, for one), so no digest");
	}
	ok = EVP_DigestFinal_ex(ctx, md, &md_len) == 1 && md_len == 32;
	EVP_MD_CTX_free(ctx);
	if (!ok)
		return gg_error_set(err, -ENOMEM, "RID: SHA-256 failed");
	for (unsigned i = 0; i < 32; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 0xf];
	}
	out[64] = '\0';
	return 0;
}

/* An enumerated attribute: its value, or the ext-NAME text when it is ext-value (the IODEF
 * convention RID follows: ext-value means the value is in the ext- attribute). */
static char *enum_value(xmlNodePtr el, const char *name, int *oom)
{
	char ext_name[64];
	char *v = gg_rid_attr(el, name, oom);
	char *ext;

	if (v == NULL || strcmp(v, "ext-value") != 0)
		return v;
	snprintf(ext_name, sizeof(ext_name), "ext-%s", name);
	ext = gg_rid_attr(el, ext_name, oom);
	if (ext == NULL)
		return v;
	free(v);
	return ext;
}

static int read_policy(xmlNodePtr root, xmlNodePtr policy, struct gg_rid_message *m)
{
	int oom = 0;
	xmlNodePtr el, status;

	m->destination = enum_value(policy, "MsgDestination", &oom);
	for (el = gg_rid_child(policy, GG_RID_NS, "PolicyRegion", NULL); el != NULL && !oom;
	     el = gg_rid_child(policy, GG_RID_NS, "PolicyRegion", el)) {
		char *v = enum_value(el, "region", &oom);

		if (v != NULL && gg_rid_push(&m->regions, &m->n_regions, v) != 0)
			oom = 1;
	}
	for (el = gg_rid_child(policy, GG_RID_NS, "TrafficType", NULL); el != NULL && !oom;
	     el = gg_rid_child(policy, GG_RID_NS, "TrafficType", el)) {
		char *v = enum_value(el, "type", &oom);

		if (v != NULL && gg_rid_push(&m->traffic_types, &m->n_traffic_types, v) != 0)
			oom = 1;
	}
	el = gg_rid_child(policy, GG_IODEF1_NS, "IncidentID", NULL);
	if (el != NULL && !oom) {
		m->incident_id = gg_rid_text(el, &oom);
		m->incident_name = gg_rid_attr(el, "name", &oom);
	}
	status = gg_rid_child(root, GG_RID_NS, "RequestStatus", NULL);
	if (status != NULL && !oom) {
		m->status = enum_value(status, "AuthorizationStatus", &oom);
		m->justification = enum_value(status, "Justification", &oom);
	}
	return oom || m->destination == NULL ? -ENOMEM : 0;
}

int gg_rid_parse(struct gg_rid_checker *c, const char *buf, size_t len,
		 const struct gg_xml_limits *limits, const char *partner,
		 struct gg_rid_message **out, struct gg_error *err)
{
	return gg_rid_parse_as(c, buf, len, limits, NULL, partner, out, err);
}

int gg_rid_parse_as(struct gg_rid_checker *c, const char *buf, size_t len,
		    const struct gg_xml_limits *limits, const char *charset, const char *partner,
		    struct gg_rid_message **out, struct gg_error *err)
{
	struct gg_rid_message *m;
	xmlDocPtr doc = NULL, work = NULL;
	xmlNodePtr root, policy;
	int rc;

	*out = NULL;
	rc = gg_xml_parse_as(buf, len, limits, charset, &doc, err);
	if (rc != 0) {
		gg_error_prefix(err, "RID: ");
		return rc;
	}
	m = calloc(1, sizeof(*m));
	if (m == NULL) {
		xmlFreeDoc(doc);
		return gg_error_set(err, -ENOMEM, "RID: out of memory");
	}
	m->doc = doc;
	root = xmlDocGetRootElement(doc);
	if (!gg_xml_is_element(root, GG_RID_NS, "RID")) {
		rc = gg_error_set(err, -EINVAL,
				  "RID: root element is {%.100s}%.60s, not {%s}RID: not a RID "
				  "message",
				  root->ns != NULL ? (const char *)root->ns->href : "",
				  (const char *)root->name, GG_RID_NS);
		goto out;
	}
	/* RIDPolicy is optional in the schema, but without it a message has no type. */
	policy = gg_rid_child(root, GG_RID_NS, "RIDPolicy", NULL);
	if (policy == NULL) {
		rc = gg_error_set(err, -EINVAL, "RID: the message has no RIDPolicy, so no MsgType");
		goto out;
	}
	rc = read_type(policy, &m->type, err);
	if (rc != 0)
		goto out;
	/* A message the schema must see fixed is checked and read on a working copy: the
	 * tree as received stays intact for the signature check and the digest. */
	if (fix_tree(root, 0)) {
		work = xmlCopyDoc(doc, 1);
		if (work == NULL || fix_tree(xmlDocGetRootElement(work), 1) != 0) {
			rc = gg_error_set(err, -ENOMEM, "RID: out of memory");
			goto out;
		}
	}
	rc = gg_rid_schema_check(c, work != NULL ? work : doc, err);
	if (rc != 0)
		goto out;
	root = xmlDocGetRootElement(work != NULL ? work : doc);
	policy = gg_rid_child(root, GG_RID_NS, "RIDPolicy", NULL);
	if (read_policy(root, policy, m) != 0) {
		rc = gg_error_set(err, -ENOMEM, "RID: out of memory");
		goto out;
	}
	rc = digest_of(doc, m->digest, err);
	if (rc != 0)
		goto out;
	rc = gg_rid_documents(c, policy, m, partner, err);
out:
	xmlFreeDoc(work);
	if (rc != 0) {
		gg_rid_message_free(m);
		return rc;
	}
	*out = m;
	return 0;
}
