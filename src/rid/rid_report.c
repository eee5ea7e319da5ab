/* rid_report.c: gridgate as a RID sender: an IODEF 2.0 document becomes a RID Report (RFC
 * 6545) for a partner, and the partner's answer (an Acknowledgement, or RequestStatus alone) is
 * read back. */
#include "rid/rid_report.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iodef/iodef.h"
#include "iodef/iodef_build.h"
#include "rid/rid_internal.h"

/* The RID schema's enumerations (schemas/iodef-rid-2.0.xsd), ext-value left out. */
static const char *const destination_words[] = { "RIDSystem", "SourceOfIncident", NULL };
static const char *const region_words[] = { "ClientToSP", "SPToClient", "IntraConsortium",
					    "PeerToPeer", "BetweenConsortiums", NULL };
static const char *const traffic_words[] = { "Attack", "Network", "Content",
					     "DataWithHandlingRequirements",
					     "AudienceRestriction", "Other", NULL };

static int is_word(const char *const *words, const char *v)
{
	for (; v != NULL && *words != NULL; words++)
		if (strcmp(*words, v) == 0)
			return 1;
	return 0;
}

static int word_error(const char *field, const char *v, const char *const *words,
		      struct gg_error *err)
{
	char list[200] = "";
	size_t n = 0;

	for (; *words != NULL && n < sizeof(list); words++)
		n += (size_t)snprintf(list + n, sizeof(list) - n, "%s%s", n > 0 ? ", " : "",
				      *words);
	return gg_error_set(err, -EINVAL, "%s '%.60s' is not one of %s", field, v != NULL ? v : "",
			    list);
}

int gg_rid_report_policy_check(const struct gg_rid_report_policy *p, struct gg_error *err)
{
	if (!is_word(destination_words, p->destination))
		return word_error("MsgDestination", p->destination, destination_words, err);
	if (p->n_regions == 0)
		return gg_error_set(err, -EINVAL, "a RIDPolicy needs at least one PolicyRegion");
	for (size_t i = 0; i < p->n_regions; i++)
		if (!is_word(region_words, p->regions[i]))
			return word_error("PolicyRegion", p->regions[i], region_words, err);
	if (p->n_traffic_types == 0)
		return gg_error_set(err, -EINVAL, "a RIDPolicy needs at least one TrafficType");
	for (size_t i = 0; i < p->n_traffic_types; i++)
		if (!is_word(traffic_words, p->traffic_types[i]))
			return word_error("TrafficType", p->traffic_types[i], traffic_words, err);
	if (p->node == NULL || *p->node == '\0')
		return gg_error_set(err, -EINVAL, "a RIDPolicy needs a Node: the sender's name");
	return 0;
}

/* <NAME ATTR="v"/> under parent, in ns. */
static xmlNodePtr add_with(xmlNodePtr parent, xmlNsPtr ns, const char *name, const char *attr,
			   const char *v)
{
	xmlNodePtr el = xmlNewChild(parent, ns, BAD_CAST name, NULL);

	if (el == NULL || xmlNewProp(el, BAD_CAST attr, BAD_CAST v) == NULL)
		return NULL;
	return el;
}

/* RIDPolicy/IncidentID (IODEF 1.0's, which the RID schema imports) from the first Incident's
 * IODEF 2.0 IncidentID: the incident the Report is about, for the partner to refer to. */
static int add_incident_id(xmlNodePtr policy, xmlNsPtr ns1, xmlNodePtr incident,
			   struct gg_error *err)
{
	xmlNodePtr from = NULL, id;
	char *text, *name, *instance;
	int oom = 0, rc = 0;

	for (xmlNodePtr c = incident->children; c != NULL && from == NULL; c = c->next)
		if (gg_xml_is_element(c, GG_IODEF2_NS, "IncidentID"))
			from = c;
	if (from == NULL)
		return gg_error_set(err, -EINVAL, "RID Report: the Incident has no IncidentID");
	text = gg_rid_text(from, &oom);
	name = gg_rid_attr(from, "name", &oom);
	instance = gg_rid_attr(from, "instance", &oom);
	if (oom) {
		rc = gg_error_set(err, -ENOMEM, "RID Report: out of memory");
	} else if (text == NULL || *text == '\0' || name == NULL || *name == '\0') {
		rc = gg_error_set(err, -EINVAL,
				  "RID Report: the Incident's IncidentID has no text or no name");
	} else {
		id = xmlNewTextChild(policy, ns1, BAD_CAST "IncidentID", BAD_CAST text);
		if (id == NULL || xmlNewProp(id, BAD_CAST "name", BAD_CAST name) == NULL ||
		    (instance != NULL && *instance != '\0' &&
		     xmlNewProp(id, BAD_CAST "instance", BAD_CAST instance) == NULL))
			rc = gg_error_set(err, -ENOMEM, "RID Report: out of memory");
	}
	free(text);
	free(name);
	free(instance);
	return rc;
}

/* ReportSchema naming IODEF 2.0 (by the ext-value convention: the RID schema enumerates 1.0
 * alone, as gg_rid_reply_report does) with the whole document in its XMLDocument. */
static int add_report_schema(xmlNodePtr policy, xmlNsPtr ns, xmlNodePtr iodef_root)
{
	xmlNodePtr rs = xmlNewChild(policy, ns, BAD_CAST "ReportSchema", NULL);
	xmlNodePtr xd, copy;

	if (rs == NULL || xmlNewProp(rs, BAD_CAST "Version", BAD_CAST "ext-value") == NULL ||
	    xmlNewProp(rs, BAD_CAST "ext-Version", BAD_CAST "2.0") == NULL ||
	    xmlNewProp(rs, BAD_CAST "XMLSchemaID", BAD_CAST "ext-value") == NULL ||
	    xmlNewProp(rs, BAD_CAST "ext-XMLSchemaID", BAD_CAST GG_IODEF2_NS) == NULL)
		return -ENOMEM;
	xd = add_with(rs, ns, "XMLDocument", "dtype", "xml");
	if (xd == NULL || xmlNewProp(xd, BAD_CAST "meaning", BAD_CAST "xml") == NULL)
		return -ENOMEM;
	/* The copy declares on itself the namespaces it uses, whatever prefixes they had. */
	copy = xmlDocCopyNode(iodef_root, policy->doc, 1);
	if (copy == NULL || xmlAddChild(xd, copy) == NULL) {
		xmlFreeNode(copy);
		return -ENOMEM;
	}
	return 0;
}

int gg_rid_report_build(const struct gg_rid_report_policy *p, xmlDocPtr iodef2, xmlDocPtr *out,
			struct gg_error *err)
{
	xmlNodePtr iodef_root = iodef2 != NULL ? xmlDocGetRootElement(iodef2) : NULL;
	xmlNodePtr incident = NULL, root, policy, node = NULL;
	xmlNsPtr ns = NULL, ns1 = NULL;
	xmlDocPtr doc;
	int ok, rc;

	*out = NULL;
	if ((rc = gg_rid_report_policy_check(p, err)) != 0)
		return rc;
	if (gg_iodef_version_of(iodef2) != GG_IODEF_V2)
		return gg_error_set(err, -EINVAL, "RID Report: the document is not IODEF 2.0");
	for (xmlNodePtr c = iodef_root->children; c != NULL && incident == NULL; c = c->next)
		if (gg_xml_is_element(c, GG_IODEF2_NS, "Incident"))
			incident = c;
	if (incident == NULL)
		return gg_error_set(err, -EINVAL, "RID Report: the document has no Incident");
	if ((doc = xmlNewDoc(BAD_CAST "1.0")) == NULL)
		return gg_error_set(err, -ENOMEM, "RID Report: out of memory");
	root = xmlNewDocNode(doc, NULL, BAD_CAST "RID", NULL);
	ok = root != NULL;
	if (ok) {
		xmlDocSetRootElement(doc, root);
		ns = xmlNewNs(root, BAD_CAST GG_RID_NS, BAD_CAST "iodef-rid");
		ns1 = xmlNewNs(root, BAD_CAST GG_IODEF1_NS, BAD_CAST "iodef");
		ok = ns != NULL && ns1 != NULL &&
		     xmlNewProp(root, BAD_CAST "lang", BAD_CAST "en") != NULL;
	}
	if (ok)
		xmlSetNs(root, ns);
	policy = ok ? xmlNewChild(root, ns, BAD_CAST "RIDPolicy", NULL) : NULL;
	ok = policy != NULL &&
	     xmlNewProp(policy, BAD_CAST "MsgType", BAD_CAST "Report") != NULL &&
	     xmlNewProp(policy, BAD_CAST "MsgDestination", BAD_CAST p->destination) != NULL;
	/* The schema's order: PolicyRegion+, Node, TrafficType+, IncidentID, ReportSchema. */
	for (size_t i = 0; ok && i < p->n_regions; i++)
		ok = add_with(policy, ns, "PolicyRegion", "region", p->regions[i]) != NULL;
	if (ok)
		node = xmlNewChild(policy, ns1, BAD_CAST "Node", NULL);
	ok = node != NULL &&
	     xmlNewTextChild(node, ns1, BAD_CAST "NodeName", BAD_CAST p->node) != NULL;
	for (size_t i = 0; ok && i < p->n_traffic_types; i++)
		ok = add_with(policy, ns, "TrafficType", "type", p->traffic_types[i]) != NULL;
	if (!ok) {
		xmlFreeDoc(doc);
		return gg_error_set(err, -ENOMEM, "RID Report: out of memory");
	}
	if ((rc = add_incident_id(policy, ns1, incident, err)) != 0) {
		xmlFreeDoc(doc);
		return rc;
	}
	if (add_report_schema(policy, ns, iodef_root) != 0) {
		xmlFreeDoc(doc);
		return gg_error_set(err, -ENOMEM, "RID Report: out of memory");
	}
	*out = doc;
	return 0;
}

int gg_rid_report_text(const struct gg_rid_report_policy *p, const char *buf, size_t len,
		       const struct gg_xml_limits *limits, char **out, size_t *out_len,
		       struct gg_error *err)
{
	xmlDocPtr iodef = NULL, rid = NULL;
	int rc;

	*out = NULL;
	*out_len = 0;
	if ((rc = gg_xml_parse(buf, len, limits, &iodef, err)) != 0) {
		gg_error_prefix(err, "RID Report: ");
		return rc;
	}
	rc = gg_rid_report_build(p, iodef, &rid, err);
	xmlFreeDoc(iodef);
	if (rc != 0)
		return rc;
	rc = gg_xml_serialize(rid, out, out_len);
	xmlFreeDoc(rid);
	if (rc != 0)
		return gg_error_set(err, rc, "RID Report: the message does not serialize");
	return 0;
}

/* An attribute's value, or its ext- attribute's when it is ext-value, into out. */
static int copy_enum(xmlNodePtr el, const char *name, char *out, size_t size)
{
	char ext_name[64];
	int oom = 0;
	char *v = gg_rid_attr(el, name, &oom);

	if (v != NULL && strcmp(v, "ext-value") == 0) {
		snprintf(ext_name, sizeof(ext_name), "ext-%s", name);
		free(v);
		v = gg_rid_attr(el, ext_name, &oom);
	}
	snprintf(out, size, "%s", v != NULL ? v : "");
	free(v);
	return oom ? -ENOMEM : 0;
}

int gg_rid_answer_read(struct gg_rid_checker *c, const char *buf, size_t len,
		       struct gg_rid_answer *out, struct gg_error *err)
{
	/* An answer is an Acknowledgement: a few hundred bytes and a shallow tree. */
	static const struct gg_xml_limits limits = { .max_bytes = 64 * 1024, .max_depth = 32 };
	xmlNodePtr root, policy, status, id;
	xmlDocPtr doc = NULL;
	int oom = 0, rc;

	memset(out, 0, sizeof(*out));
	if ((rc = gg_xml_parse(buf, len, &limits, &doc, err)) != 0) {
		gg_error_prefix(err, "RID answer: ");
		return rc;
	}
	root = xmlDocGetRootElement(doc);
	if (!gg_xml_is_element(root, GG_RID_NS, "RID")) {
		xmlFreeDoc(doc);
		return gg_error_set(err, -EINVAL, "RID answer: the root is not {%s}RID", GG_RID_NS);
	}
	policy = gg_rid_child(root, GG_RID_NS, "RIDPolicy", NULL);
	status = gg_rid_child(root, GG_RID_NS, "RequestStatus", NULL);
	if (policy == NULL && status == NULL) {
		xmlFreeDoc(doc);
		return gg_error_set(err, -EINVAL,
				    "RID answer: neither a RIDPolicy nor a RequestStatus");
	}
	if (c != NULL && (rc = gg_rid_schema_check(c, doc, err)) != 0) {
		xmlFreeDoc(doc);
		gg_error_prefix(err, "RID answer: ");
		return rc;
	}
	if (policy != NULL) {
		oom |= copy_enum(policy, "MsgType", out->msg_type, sizeof(out->msg_type));
		id = gg_rid_child(policy, GG_IODEF1_NS, "IncidentID", NULL);
		if (id != NULL) {
			char *t = gg_rid_text(id, &oom);

			snprintf(out->incident_id, sizeof(out->incident_id), "%s", t != NULL ? t : "");
			free(t);
		}
	}
	if (status != NULL) {
		oom |= copy_enum(status, "AuthorizationStatus", out->status, sizeof(out->status));
		oom |= copy_enum(status, "Justification", out->justification,
				 sizeof(out->justification));
	}
	xmlFreeDoc(doc);
	if (oom)
		return gg_error_set(err, -ENOMEM, "RID answer: out of memory");
	return 0;
}
