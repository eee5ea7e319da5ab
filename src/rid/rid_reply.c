/* rid_reply.c: builds gridgate's RID answers as trees: Acknowledgements (approving, pending
 * or denying with a Justification) and the Report that answers a Query. */
#include "rid/rid_reply.h"

#include <errno.h>
#include <string.h>

#include "iodef/iodef.h"
#include "iodef/iodef_build.h"
#include "rid/rid_internal.h"

static const char *const status_names[] = {
	[GG_RID_APPROVED] = "Approved",
	[GG_RID_DENIED] = "Denied",
	[GG_RID_PENDING] = "Pending",
};

static const char *const justification_names[] = {
	[GG_RID_JUST_NONE] = NULL,
	[GG_RID_JUST_SYSTEM_RESOURCE] = "SystemResource",
	[GG_RID_JUST_AUTHENTICATION] = "Authentication",
	[GG_RID_JUST_AUTHENTICATION_ORIGIN] = "AuthenticationOrigin",
	[GG_RID_JUST_ENCRYPTION] = "Encryption",
	[GG_RID_JUST_UNRECOGNIZED_FORMAT] = "UnrecognizedFormat",
	[GG_RID_JUST_CANNOT_PROCESS] = "CannotProcess",
	[GG_RID_JUST_OTHER] = "Other",
};

enum gg_rid_justification gg_rid_justification_of(int parse_rc)
{
	switch (parse_rc) {
	case -EINVAL:
	case -EFBIG:
		return GG_RID_JUST_UNRECOGNIZED_FORMAT;
	case -ENOTSUP:
		return GG_RID_JUST_CANNOT_PROCESS;
	default:
		return GG_RID_JUST_SYSTEM_RESOURCE;
	}
}

/* A new document with its RID root (lang="en": the schema requires it). */
static xmlDocPtr new_rid(xmlNodePtr *root, xmlNsPtr *ns)
{
	xmlDocPtr doc = xmlNewDoc(BAD_CAST "1.0");

	if (doc == NULL)
		return NULL;
	*root = xmlNewDocNode(doc, NULL, BAD_CAST "RID", NULL);
	if (*root == NULL) {
		xmlFreeDoc(doc);
		return NULL;
	}
	xmlDocSetRootElement(doc, *root);
	*ns = xmlNewNs(*root, BAD_CAST GG_RID_NS, BAD_CAST "iodef-rid");
	if (*ns == NULL || xmlNewProp(*root, BAD_CAST "lang", BAD_CAST "en") == NULL) {
		xmlFreeDoc(doc);
		return NULL;
	}
	xmlSetNs(*root, *ns);
	return doc;
}

/* Declares on to the namespaces in scope at from that are not in scope at to: its children
 * cloned under it then use those, as a deep copy of from would. */
static int declare_in_scope(xmlNodePtr from, xmlNodePtr to)
{
	xmlNsPtr *list = xmlGetNsList(from->doc, from);
	int rc = 0;

	for (size_t i = 0; list != NULL && list[i] != NULL && rc == 0; i++)
		if (xmlSearchNsByHref(to->doc, to, list[i]->href) == NULL &&
		    xmlNewNs(to, list[i]->href, list[i]->prefix) == NULL)
			rc = -ENOMEM;
	xmlFree(list);
	return rc;
}

/* The request's RIDPolicy under root, retyped as type and without its ReportSchema: what the
 * reply is about, in the request's own words. NULL when out of memory. */
static xmlNodePtr echo_policy(const struct gg_rid_message *req, xmlNodePtr root,
			      const char *type)
{
	xmlNodePtr from = gg_rid_child(xmlDocGetRootElement(req->doc), GG_RID_NS, "RIDPolicy", NULL);
	xmlNodePtr policy;

	/* The element and its attributes, then its children but the ReportSchema: copying the
	 * incident documents only to drop them cost a reply as much as the rest of it. */
	policy = xmlDocCopyNode(from, root->doc, 2);
	if (policy == NULL)
		return NULL;
	if (xmlAddChild(root, policy) == NULL) {
		xmlFreeNode(policy);
		return NULL;
	}
	if (declare_in_scope(from, policy) != 0)
		return NULL;
	for (xmlNodePtr c = from->children; c != NULL; c = c->next) {
		xmlNodePtr copy;

		if (gg_xml_is_element(c, GG_RID_NS, "ReportSchema"))
			continue;
		/* An element is cloned in policy's scope, so that the namespaces declared there
		 * are not declared again on each child (libxml2 clones only elements so). */
		copy = NULL;
		if (c->type == XML_ELEMENT_NODE)
			(void)xmlDOMWrapCloneNode(NULL, from->doc, c, &copy, root->doc, policy, 1, 0);
		else
			copy = xmlDocCopyNode(c, root->doc, 1);
		if (copy == NULL || xmlAddChild(policy, copy) == NULL) {
			xmlFreeNode(copy);
			return NULL;
		}
	}
	/* A MsgType or MsgDestination of ext-value in the request (refused before a reply is
	 * built for it) must not leave its ext- text behind. */
	xmlUnsetProp(policy, BAD_CAST "ext-MsgType");
	xmlUnsetProp(policy, BAD_CAST "ext-MsgDestination");
	if (xmlSetProp(policy, BAD_CAST "MsgType", BAD_CAST type) == NULL ||
	    xmlSetProp(policy, BAD_CAST "MsgDestination", BAD_CAST "RIDSystem") == NULL)
		return NULL;
	return policy;
}

int gg_rid_reply_ack(const struct gg_rid_message *req, enum gg_rid_status status,
		     enum gg_rid_justification why, xmlDocPtr *out, struct gg_error *err)
{
	xmlNodePtr root, rs;
	xmlNsPtr ns;
	xmlDocPtr doc;
	int ok;

	*out = NULL;
	if ((unsigned)status > GG_RID_PENDING || (unsigned)why > GG_RID_JUST_OTHER)
		return gg_error_set(err, -EINVAL, "RID reply: status or justification out of range");
	doc = new_rid(&root, &ns);
	if (doc == NULL)
		return gg_error_set(err, -ENOMEM, "RID reply: out of memory");
	ok = req == NULL || echo_policy(req, root, "Acknowledgement") != NULL;
	rs = ok ? xmlNewChild(root, ns, BAD_CAST "RequestStatus", NULL) : NULL;
	ok = rs != NULL &&
	     xmlNewProp(rs, BAD_CAST "AuthorizationStatus", BAD_CAST status_names[status]) != NULL;
	if (ok && justification_names[why] != NULL)
		ok = xmlNewProp(rs, BAD_CAST "Justification",
				BAD_CAST justification_names[why]) != NULL;
	if (!ok) {
		xmlFreeDoc(doc);
		return gg_error_set(err, -ENOMEM, "RID reply: out of memory");
	}
	*out = doc;
	return 0;
}

/* Copies the Incidents of docs under iodef, an IODEF 2.0 IODEF-Document. */
static int add_incidents(xmlNodePtr iodef, xmlDocPtr const *docs, size_t n,
			 struct gg_error *err)
{
	for (size_t i = 0; i < n; i++) {
		xmlNodePtr root = docs[i] != NULL ? xmlDocGetRootElement(docs[i]) : NULL;

		if (gg_iodef_version_of(docs[i]) != GG_IODEF_V2)
			return gg_error_set(err, -EINVAL,
					    "RID reply: document %zu is not IODEF 2.0", i + 1);
		for (xmlNodePtr c = root->children; c != NULL; c = c->next) {
			xmlNodePtr copy;

			if (!gg_xml_is_element(c, GG_IODEF2_NS, "Incident"))
				continue;
			copy = xmlDocCopyNode(c, iodef->doc, 1);
			if (copy == NULL || xmlAddChild(iodef, copy) == NULL) {
				xmlFreeNode(copy);
				return gg_error_set(err, -ENOMEM, "RID reply: out of memory");
			}
		}
	}
	return 0;
}

int gg_rid_reply_report(const struct gg_rid_message *query, xmlDocPtr const *docs, size_t n,
			xmlDocPtr *out, struct gg_error *err)
{
	xmlNodePtr root, policy, rs = NULL, xd = NULL, iodef = NULL;
	xmlNsPtr ns, ns2 = NULL;
	xmlDocPtr doc;
	int rc;

	*out = NULL;
	if (query == NULL || n == 0)
		return gg_error_set(err, -EINVAL,
				    "RID reply: a Report needs the Query and at least one document");
	doc = new_rid(&root, &ns);
	if (doc == NULL)
		return gg_error_set(err, -ENOMEM, "RID reply: out of memory");
	policy = echo_policy(query, root, "Report");
	if (policy != NULL)
		rs = xmlNewChild(policy, ns, BAD_CAST "ReportSchema", NULL);
	/* The RID schema enumerates only IODEF 1.0 here; by the IODEF convention RID follows,
	 * an enumeration's ext-value carries a value outside it in the ext- attribute. */
	if (rs != NULL &&
	    (xmlNewProp(rs, BAD_CAST "Version", BAD_CAST "ext-value") == NULL ||
	     xmlNewProp(rs, BAD_CAST "ext-Version", BAD_CAST "2.0") == NULL ||
	     xmlNewProp(rs, BAD_CAST "XMLSchemaID", BAD_CAST "ext-value") == NULL ||
	     xmlNewProp(rs, BAD_CAST "ext-XMLSchemaID", BAD_CAST GG_IODEF2_NS) == NULL))
		rs = NULL;
	if (rs != NULL)
		xd = xmlNewChild(rs, ns, BAD_CAST "XMLDocument", NULL);
	if (xd != NULL && (xmlNewProp(xd, BAD_CAST "dtype", BAD_CAST "xml") == NULL ||
			   xmlNewProp(xd, BAD_CAST "meaning", BAD_CAST "xml") == NULL))
		xd = NULL;
	if (xd != NULL)
		iodef = xmlNewChild(xd, NULL, BAD_CAST "IODEF-Document", NULL);
	if (iodef != NULL)
		ns2 = xmlNewNs(iodef, BAD_CAST GG_IODEF2_NS, NULL);
	if (ns2 == NULL || xmlNewProp(iodef, BAD_CAST "version", BAD_CAST "2.00") == NULL ||
	    xmlNewNsProp(iodef, xmlSearchNsByHref(doc, iodef, XML_XML_NAMESPACE), BAD_CAST "lang",
			 BAD_CAST "en") == NULL) {
		xmlFreeDoc(doc);
		return gg_error_set(err, -ENOMEM, "RID reply: out of memory");
	}
	xmlSetNs(iodef, ns2);
	rc = add_incidents(iodef, docs, n, err);
	if (rc != 0) {
		xmlFreeDoc(doc);
		return rc;
	}
	*out = doc;
	return 0;
}
