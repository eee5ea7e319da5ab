/* rid_documents.c: each IODEF-Document of a RID message's ReportSchema becomes a document of
 * its own: IODEF 1.0 upgraded to 2.0, the RID context appended, checked against IODEF 2.0. */
#include "rid/rid_documents.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "iodef/iodef.h"
#include "iodef/iodef_build.h"
#include "rid/rid_internal.h"

/* RFC 6545's requests, Reports and Results carry the incident they are about. */
static int needs_document(enum gg_rid_msg_type type)
{
	return type == GG_RID_TRACE_REQUEST || type == GG_RID_INVESTIGATION_REQUEST ||
	       type == GG_RID_REPORT || type == GG_RID_RESULT;
}

static int add_fact(xmlNodePtr root, xmlNsPtr ns, const char *meaning, const char *value)
{
	xmlNodePtr ad;

	if (value == NULL || *value == '\0')
		return 0;
	ad = xmlNewTextChild(root, ns, BAD_CAST "AdditionalData", BAD_CAST value);
	if (ad == NULL || xmlNewProp(ad, BAD_CAST "dtype", BAD_CAST "string") == NULL ||
	    xmlNewProp(ad, BAD_CAST "meaning", BAD_CAST meaning) == NULL)
		return -ENOMEM;
	return 0;
}

int gg_rid_context_add(xmlDocPtr iodef2, const struct gg_rid_message *m, const char *partner)
{
	xmlNodePtr root = xmlDocGetRootElement(iodef2);
	/* The root's own namespace object, whatever prefix the sender gave it. */
	xmlNsPtr ns = root->ns;
	int rc;

	/* AdditionalData closes IODEF-Document's sequence (RFC 7970), so appending
	 * keeps the document valid whatever it already holds. */
	rc = add_fact(root, ns, "rid-partner", partner);
	if (rc == 0)
		rc = add_fact(root, ns, "rid-msgtype", gg_rid_msg_type_name(m->type));
	if (rc == 0)
		rc = add_fact(root, ns, "rid-incident-id", m->incident_id);
	if (rc == 0)
		rc = add_fact(root, ns, "rid-incident-csirt", m->incident_name);
	for (size_t i = 0; i < m->n_regions && rc == 0; i++)
		rc = add_fact(root, ns, "rid-policy-region", m->regions[i]);
	return rc;
}

/* A copy of el as the root of a document of its own; namespaces declared above el in the
 * message are declared again on the copy by libxml2. */
static xmlDocPtr extract(xmlNodePtr el)
{
	xmlDocPtr doc = xmlNewDoc(BAD_CAST "1.0");
	xmlNodePtr copy;

	if (doc == NULL)
		return NULL;
	copy = xmlDocCopyNode(el, doc, 1);
	if (copy == NULL) {
		xmlFreeDoc(doc);
		return NULL;
	}
	xmlDocSetRootElement(doc, copy);
	return doc;
}

/* One IODEF-Document (the index-th, from 1) -> IODEF 2.0 with context, or an error. */
static int one_document(struct gg_rid_checker *c, xmlNodePtr el, size_t index,
			const struct gg_rid_message *m, const char *partner, xmlDocPtr *out,
			struct gg_error *err)
{
	enum gg_iodef_version version;
	xmlDocPtr doc;
	int rc;

	*out = NULL;
	doc = extract(el);
	if (doc == NULL)
		return gg_error_set(err, -ENOMEM, "RID: out of memory");
	version = gg_iodef_version_of(doc);
	if (version == GG_IODEF_V1) {
		/* The extracted document is nobody else's: rewritten where it is. */
		rc = gg_iodef_upgrade_in_place(doc, err);
		if (rc != 0) {
			xmlFreeDoc(doc);
			gg_error_prefix(err, "RID: IODEF document %zu: ", index);
			return rc == -ENOMEM ? rc : -ENOTSUP;
		}
	} else if (version != GG_IODEF_V2) {
		rc = gg_error_set(err, -ENOTSUP,
				  "RID: IODEF document %zu: line %ld: IODEF-Document in namespace "
				  "'%.100s' is IODEF of an unknown version (gridgate takes %s and %s)",
				  index, xmlGetLineNo(el),
				  el->ns != NULL ? (const char *)el->ns->href : "",
				  GG_IODEF1_NS, GG_IODEF2_NS);
		xmlFreeDoc(doc);
		return rc;
	}
	if (gg_rid_context_add(doc, m, partner) != 0) {
		xmlFreeDoc(doc);
		return gg_error_set(err, -ENOMEM, "RID: out of memory");
	}
	rc = gg_validator_check(c->iodef2, doc, err);
	if (rc != 0) {
		gg_error_prefix(err, "RID: IODEF document %zu (IODEF %s): ", index,
				version == GG_IODEF_V1 ? "1.0 upgraded to 2.0" : "2.0");
		xmlFreeDoc(doc);
		/* A 1.0 document passed the RID schema's check already: what fails now is
		 * the upgrade's, not the sender's. */
		return version == GG_IODEF_V1 ? -ENOTSUP : -EINVAL;
	}
	*out = doc;
	return 0;
}

int gg_rid_documents(struct gg_rid_checker *c, xmlNodePtr policy, struct gg_rid_message *m,
		     const char *partner, struct gg_error *err)
{
	xmlNodePtr rs = gg_rid_child(policy, GG_RID_NS, "ReportSchema", NULL);
	xmlNodePtr xd = rs != NULL ? gg_rid_child(rs, GG_RID_NS, "XMLDocument", NULL) : NULL;
	size_t index = 0;

	for (xmlNodePtr el = xd != NULL ? xd->children : NULL; el != NULL; el = el->next) {
		xmlDocPtr doc, *grown;
		int rc;

		if (el->type != XML_ELEMENT_NODE)
			continue;
		index++;
		if (strcmp((const char *)el->name, "IODEF-Document") != 0)
			return gg_error_set(err, -ENOTSUP,
					    "RID: line %ld: XMLDocument holds {%.100s}%.60s, not an "
					    "IODEF-Document",
					    xmlGetLineNo(el),
					    el->ns != NULL ? (const char *)el->ns->href : "",
					    (const char *)el->name);
		rc = one_document(c, el, index, m, partner, &doc, err);
		if (rc != 0)
			return rc;
		grown = realloc(m->documents, (m->n_documents + 1) * sizeof(*grown));
		if (grown == NULL) {
			xmlFreeDoc(doc);
			return gg_error_set(err, -ENOMEM, "RID: out of memory");
		}
		grown[m->n_documents++] = doc;
		m->documents = grown;
	}
	if (m->n_documents == 0 && needs_document(m->type))
		return gg_error_set(err, -EINVAL,
				    "RID: a %s carries its incident as an IODEF-Document in "
				    "RIDPolicy/ReportSchema/XMLDocument, and this one has none",
				    gg_rid_msg_type_name(m->type));
	return 0;
}
