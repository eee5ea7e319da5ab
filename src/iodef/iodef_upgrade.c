/* iodef_upgrade.c: rewrites an IODEF 1.0 (RFC 5070) document into IODEF 2.0 (RFC 7970) on a
 * copy; docs/iodef-upgrade.md lists every change, why, and where meaning is kept. */
#include "iodef/iodef.h"
#include "iodef/iodef_build.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/tree.h>

#define XSI_NS "http://www.w3.org/2001/XMLSchema-instance"
#define IODEF2_SCHEMA_LOCATION \
	GG_IODEF2_NS " http://www.iana.org/assignments/xml-registry/schema/iodef-2.0.xsd"

struct upgrade {
	xmlDocPtr doc;
	int oom; /* set by any failed allocation; checked once at the end */
};

/* Marks the namespace declarations added to keep extension content in IODEF 1.0, so the
 * namespace rewrite leaves them alone. */
static int keep_v1_marker;

/* IODEF 1.0 Impact@type -> IODEF 2.0 SystemImpact@type. Values with no 2.0 equivalent of
 * the same meaning become ext-value with the 1.0 token in ext-type (RFC 7970 section 5.1.1:
 * the ext-* attribute carries a value outside the enumeration). */
static const struct {
	const char *v1;
	const char *v2; /* NULL: ext-value, ext-type = v1 */
} impact_types[] = {
	{ "admin", "takeover-system" },	       /* administrative privileges attempted */
	{ "user", "takeover-account" },	       /* user privileges attempted */
	{ "dos", "availability-service" },     /* denial of service attempted */
	{ "file", "integrity-data" },	       /* integrity of a file or database hit */
	{ "info-leak", "breach-proprietary" }, /* information exfiltration attempted */
	{ "policy", "policy" },
	{ "unknown", "unknown" },
	{ "ext-value", "ext-value" },
	{ "extortion", NULL },
	{ "misconfiguration", NULL },
	{ "recon", NULL },
	{ "social-engineering", NULL },
};

/* AdditionalData and RecordItem are ExtensionType: their content is the sender's data in
 * whatever namespace it chose, never IODEF structure to rewrite. */
static int is_extension(xmlNodePtr node, const char *href)
{
	return gg_xml_is_element(node, href, "AdditionalData") || gg_xml_is_element(node, href, "RecordItem");
}

static xmlNodePtr child_el(xmlNodePtr parent, const char *name)
{
	for (xmlNodePtr c = parent->children; c != NULL; c = c->next)
		if (gg_xml_is_element(c, GG_IODEF2_NS, name))
			return c;
	return NULL;
}

static int is_blank(const xmlChar *s)
{
	for (; s != NULL && *s != '\0'; s++)
		if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
			return 0;
	return 1;
}

static void set_attr(struct upgrade *u, xmlNodePtr el, const char *name, const char *value)
{
	if (xmlSetProp(el, BAD_CAST name, BAD_CAST value) == NULL)
		u->oom = 1;
}

static void default_attr(struct upgrade *u, xmlNodePtr el, const char *name, const char *value)
{
	if (xmlHasNsProp(el, BAD_CAST name, NULL) == NULL)
		set_attr(u, el, name, value);
}

static void rename_attr(struct upgrade *u, xmlNodePtr el, const char *from, const char *to)
{
	xmlChar *v = xmlGetNoNsProp(el, BAD_CAST from);

	if (v == NULL)
		return;
	set_attr(u, el, to, (const char *)v);
	xmlUnsetProp(el, BAD_CAST from);
	xmlFree(v);
}

/* Takes el's xml:lang off el (returned, caller frees) for a child that can carry it. */
static xmlChar *take_lang(xmlNodePtr el)
{
	xmlChar *lang = xmlGetNsProp(el, BAD_CAST "lang", XML_XML_NAMESPACE);

	if (lang != NULL)
		xmlUnsetNsProp(el, xmlSearchNsByHref(el->doc, el, XML_XML_NAMESPACE),
			       BAD_CAST "lang");
	return lang;
}

/* A new element for parent takes parent's namespace, never that of the 1.0 element it is
 * made from: the input may declare the namespace on that very element
 * (<r:ReportTime xmlns:r="...">), where it is out of scope for a sibling (the stanza would
 * carry an undeclared prefix) and is freed with it when that element is removed. */
static xmlNodePtr new_el(struct upgrade *u, xmlNodePtr parent, const char *name,
			 const xmlChar *text)
{
	xmlNodePtr n = xmlNewDocNode(u->doc, parent->ns, BAD_CAST name, NULL);

	if (n == NULL) {
		u->oom = 1;
		return NULL;
	}
	if (text != NULL) {
		xmlNodePtr t = xmlNewDocText(u->doc, text);

		if (t == NULL || xmlAddChild(n, t) == NULL) {
			xmlFreeNode(t);
			xmlFreeNode(n);
			u->oom = 1;
			return NULL;
		}
	}
	return n;
}

static void free_children(xmlNodePtr el)
{
	xmlNodePtr c = el->children, next;

	for (; c != NULL; c = next) {
		next = c->next;
		xmlUnlinkNode(c);
		xmlFreeNode(c);
	}
}

static xmlNodePtr append(struct upgrade *u, xmlNodePtr parent, xmlNodePtr child)
{
	if (child != NULL && xmlAddChild(parent, child) == NULL) {
		xmlFreeNode(child);
		u->oom = 1;
		return NULL;
	}
	return child;
}

static xmlNodePtr insert_after(struct upgrade *u, xmlNodePtr at, xmlNodePtr n)
{
	if (n != NULL && xmlAddNextSibling(at, n) == NULL) {
		xmlFreeNode(n);
		u->oom = 1;
		return NULL;
	}
	return n;
}

static xmlNodePtr insert_before(struct upgrade *u, xmlNodePtr at, xmlNodePtr n)
{
	if (n != NULL && xmlAddPrevSibling(at, n) == NULL) {
		xmlFreeNode(n);
		u->oom = 1;
		return NULL;
	}
	return n;
}

/* A 1.0 element whose text content became a 2.0 child element: the text moves into a new
 * child called name (skipped when blank unless required), taking el's xml:lang along if
 * lang_to_child. Returns the new child or NULL. */
static xmlNodePtr text_to_child(struct upgrade *u, xmlNodePtr el, const char *name,
				int required, int lang_to_child)
{
	xmlChar *text = xmlNodeGetContent(el);
	xmlChar *lang = lang_to_child ? take_lang(el) : NULL;
	xmlNodePtr child = NULL;

	free_children(el);
	if (required || !is_blank(text)) {
		child = append(u, el, new_el(u, el, name, text != NULL ? text : BAD_CAST ""));
		if (child != NULL && lang != NULL)
			xmlNodeSetLang(child, lang);
	}
	xmlFree(text);
	xmlFree(lang);
	return child;
}

/* ------------------------------------------------------------------------------------- */
/* Namespace: urn:ietf:params:xml:ns:iodef-1.0 -> -2.0, except inside extension content.   */

/* Is ns declared on node or one of its ancestors below stop (exclusive)? */
static int declared_below(xmlNodePtr node, xmlNodePtr stop, xmlNsPtr ns)
{
	for (; node != NULL && node != stop; node = node->parent)
		for (xmlNsPtr d = node->nsDef; d != NULL; d = d->next)
			if (d == ns)
				return 1;
	return 0;
}

static int prefix_declared_in(xmlNodePtr node, const xmlChar *prefix)
{
	for (; node != NULL; node = node->next) {
		if (node->type != XML_ELEMENT_NODE)
			continue;
		for (xmlNsPtr d = node->nsDef; d != NULL; d = d->next)
			if (d->prefix != NULL && xmlStrEqual(d->prefix, prefix))
				return 1;
		if (prefix_declared_in(node->children, prefix))
			return 1;
	}
	return 0;
}

/* The declaration that keeps ext's content in the 1.0 namespace, made on first need under
 * a prefix unused anywhere in ext, so no inner declaration can shadow it. */
static xmlNsPtr keep_ns(struct upgrade *u, xmlNodePtr ext, xmlNsPtr *keep)
{
	char prefix[32];
	int i = 1;

	if (*keep != NULL)
		return *keep;
	do
		snprintf(prefix, sizeof(prefix), "iodef1-%d", i++);
	while (xmlSearchNs(u->doc, ext, BAD_CAST prefix) != NULL ||
	       prefix_declared_in(ext->children, BAD_CAST prefix));
	*keep = xmlNewNs(ext, BAD_CAST GG_IODEF1_NS, BAD_CAST prefix);
	if (*keep == NULL)
		u->oom = 1;
	else
		(*keep)->_private = &keep_v1_marker;
	return *keep;
}

/* ns is 1.0 and declared outside ext's content (so pass B would rewrite it). */
static int borrows_v1(xmlNodePtr node, xmlNodePtr ext, xmlNsPtr ns)
{
	return ns != NULL && xmlStrEqual(ns->href, BAD_CAST GG_IODEF1_NS) &&
	       !declared_below(node, ext, ns);
}

static void retarget_v1(struct upgrade *u, xmlNodePtr ext, xmlNodePtr node, xmlNsPtr *keep)
{
	for (; node != NULL && !u->oom; node = node->next) {
		if (node->type != XML_ELEMENT_NODE)
			continue;
		if (borrows_v1(node, ext, node->ns) && keep_ns(u, ext, keep) != NULL)
			node->ns = *keep;
		for (xmlAttrPtr a = node->properties; a != NULL; a = a->next)
			if (borrows_v1(node, ext, a->ns) && keep_ns(u, ext, keep) != NULL)
				a->ns = *keep;
		retarget_v1(u, ext, node->children, keep);
	}
}

/* Pass A: content of extension elements that sits in the 1.0 namespace through a
 * declaration outside it gets its own declaration, so pass B cannot move it to 2.0. */
static void protect_extensions(struct upgrade *u, xmlNodePtr node)
{
	for (; node != NULL; node = node->next) {
		if (node->type != XML_ELEMENT_NODE || !gg_xml_in_ns(node, GG_IODEF1_NS))
			continue;
		if (is_extension(node, GG_IODEF1_NS)) {
			xmlNsPtr keep = NULL;

			retarget_v1(u, node, node->children, &keep);
			continue;
		}
		protect_extensions(u, node->children);
	}
}

/* Pass B: every declaration of the 1.0 namespace in the IODEF structure now names 2.0, so
 * each element keeps its prefix and moves namespace with no per-node work. */
static void rewrite_namespace(struct upgrade *u, xmlNodePtr node)
{
	for (; node != NULL; node = node->next) {
		if (node->type != XML_ELEMENT_NODE)
			continue;
		for (xmlNsPtr d = node->nsDef; d != NULL; d = d->next) {
			xmlChar *href;

			if (d->_private == &keep_v1_marker ||
			    !xmlStrEqual(d->href, BAD_CAST GG_IODEF1_NS))
				continue;
			href = xmlStrdup(BAD_CAST GG_IODEF2_NS);
			if (href == NULL) {
				u->oom = 1;
				return;
			}
			xmlFree((xmlChar *)d->href);
			d->href = href;
		}
		if (!is_extension(node, GG_IODEF2_NS) && !is_extension(node, GG_IODEF1_NS))
			rewrite_namespace(u, node->children);
	}
}

/* ------------------------------------------------------------------------------------- */
/* Per-element rewrites. Each may change the element, its attributes and its children, and */
/* may insert siblings after it (the walk visits those next); none removes the element.    */

static void up_document(struct upgrade *u, xmlNodePtr el)
{
	xmlAttrPtr loc;

	set_attr(u, el, "version", "2.00");
	rename_attr(u, el, "formatid", "format-id");
	/* A 1.0 schemaLocation hint would point a reader at the wrong schema. */
	loc = xmlHasNsProp(el, BAD_CAST "schemaLocation", BAD_CAST XSI_NS);
	if (loc != NULL && xmlSetNsProp(el, loc->ns, BAD_CAST "schemaLocation",
					BAD_CAST IODEF2_SCHEMA_LOCATION) == NULL)
		u->oom = 1;
}

/* 2.0 requires GenerationTime (when the Incident content was generated) and makes
 * ReportTime optional. A 1.0 document has no other timestamp of its own making than the
 * mandatory ReportTime, so that value serves as GenerationTime, and ReportTime stays. */
static void up_incident(struct upgrade *u, xmlNodePtr el)
{
	xmlNodePtr rt = child_el(el, "ReportTime");
	xmlChar *t;

	if (rt == NULL || child_el(el, "GenerationTime") != NULL)
		return;
	t = xmlNodeGetContent(rt);
	insert_after(u, rt, new_el(u, el, "GenerationTime", t));
	xmlFree(t);
}

/* Email, Telephone and Fax were strings with a "meaning" attribute; 2.0 made them classes:
 * Email/EmailTo, Telephone/TelephoneNumber (Fax is Telephone type="fax"), Description. */
static void up_contact_means(struct upgrade *u, xmlNodePtr el, const char *inner)
{
	xmlChar *meaning = xmlGetNoNsProp(el, BAD_CAST "meaning");

	if (meaning != NULL)
		xmlUnsetProp(el, BAD_CAST "meaning");
	if (strcmp((const char *)el->name, "Fax") == 0) {
		xmlNodeSetName(el, BAD_CAST "Telephone");
		set_attr(u, el, "type", "fax");
	}
	text_to_child(u, el, inner, 1, 0);
	if (meaning != NULL)
		append(u, el, new_el(u, el, "Description", meaning));
	xmlFree(meaning);
}

static void up_postal_address(struct upgrade *u, xmlNodePtr el)
{
	xmlChar *meaning = xmlGetNoNsProp(el, BAD_CAST "meaning");

	if (meaning != NULL)
		xmlUnsetProp(el, BAD_CAST "meaning");
	text_to_child(u, el, "PAddress", 1, 1);
	if (meaning != NULL)
		append(u, el, new_el(u, el, "Description", meaning));
	xmlFree(meaning);
}

static void up_impact(struct upgrade *u, xmlNodePtr el)
{
	xmlChar *type = xmlGetNoNsProp(el, BAD_CAST "type");

	xmlNodeSetName(el, BAD_CAST "SystemImpact");
	text_to_child(u, el, "Description", 0, 1);
	if (type == NULL)
		return; /* default "unknown" in both versions */
	for (size_t i = 0; i < sizeof(impact_types) / sizeof(impact_types[0]); i++) {
		if (strcmp((const char *)type, impact_types[i].v1) != 0)
			continue;
		if (impact_types[i].v2 != NULL) {
			set_attr(u, el, "type", impact_types[i].v2);
		} else {
			set_attr(u, el, "type", "ext-value");
			set_attr(u, el, "ext-type", impact_types[i].v1);
		}
		break;
	}
	/* A token outside the 1.0 enumeration stays as it is: validation names it. */
	xmlFree(type);
}

/* RFC 7970's schema gives Confidence no content (errata 5543 adds xs:float later); the 1.0
 * value goes into an AdditionalData right behind it, where Assessment allows one. */
static void up_confidence(struct upgrade *u, xmlNodePtr el)
{
	xmlChar *text = xmlNodeGetContent(el);
	xmlChar *rating = xmlGetNoNsProp(el, BAD_CAST "rating");
	xmlNodePtr ad;

	free_children(el);
	if (!is_blank(text)) {
		ad = insert_after(u, el, new_el(u, el->parent, "AdditionalData", text));
		if (ad != NULL) {
			set_attr(u, ad, "dtype",
				 rating != NULL && xmlStrEqual(rating, BAD_CAST "numeric") ? "real"
											: "string");
			set_attr(u, ad, "meaning", "Confidence");
		}
	}
	xmlFree(text);
	xmlFree(rating);
}

/* 1.0 Counter@type named the unit; 2.0 has type (counter|rate|average) and a required
 * unit. RFC 5070: a duration makes the Counter a rate over that duration. */
static void up_counter(struct upgrade *u, xmlNodePtr el)
{
	xmlChar *type = xmlGetNoNsProp(el, BAD_CAST "type");

	if (type == NULL)
		return;
	set_attr(u, el, "unit", (const char *)type);
	rename_attr(u, el, "ext-type", "ext-unit");
	set_attr(u, el, "type",
		 xmlHasNsProp(el, BAD_CAST "duration", NULL) != NULL ? "rate" : "counter");
	xmlFree(type);
}

/* 1.0 Method interleaved Reference and Description; 2.0 wants all References first. */
static void up_method(struct upgrade *u, xmlNodePtr el)
{
	xmlNodePtr first_desc = NULL, next;

	for (xmlNodePtr c = el->children; c != NULL; c = next) {
		next = c->next;
		if (first_desc == NULL && gg_xml_is_element(c, GG_IODEF2_NS, "Description"))
			first_desc = c;
		else if (first_desc != NULL && gg_xml_is_element(c, GG_IODEF2_NS, "Reference")) {
			xmlUnlinkNode(c);
			xmlAddPrevSibling(first_desc, c);
		}
	}
}

/* 2.0 Reference names its source with enum:ReferenceName (RFC 7495: an IANA-registered
 * specIndex and an ID); free text such as "nmap" cannot be one, so the name becomes the
 * first Description of the Reference. */
static void up_reference(struct upgrade *u, xmlNodePtr el)
{
	xmlNodePtr rn = child_el(el, "ReferenceName");
	xmlNodePtr at, desc;
	xmlChar *text, *lang;

	if (rn == NULL)
		return;
	text = xmlNodeGetContent(rn);
	lang = xmlGetNoNsProp(rn, BAD_CAST "lang");
	xmlUnlinkNode(rn);
	xmlFreeNode(rn);
	desc = new_el(u, el, "Description", text != NULL ? text : BAD_CAST "");
	if (desc != NULL && lang != NULL)
		xmlNodeSetLang(desc, lang);
	at = child_el(el, "Description");
	if (at != NULL)
		insert_before(u, at, desc);
	else
		append(u, el, desc);
	xmlFree(text);
	xmlFree(lang);
}

/* Node: NodeName -> DomainData/Name; DateTime (when name and address were resolved) ->
 * DomainData/DateDomainWasChecked, or, with no name, an AdditionalData of the System;
 * NodeRole moves up to System, where 2.0 puts it. */
static void up_node(struct upgrade *u, xmlNodePtr el)
{
	xmlNodePtr system = el->parent, dt = child_el(el, "DateTime"), cursor = el, next;
	xmlChar *when = NULL;
	int domains = 0;

	if (system == NULL || !gg_xml_is_element(system, GG_IODEF2_NS, "System"))
		return;
	if (dt != NULL) {
		when = xmlNodeGetContent(dt);
		xmlUnlinkNode(dt);
		xmlFreeNode(dt);
	}
	for (xmlNodePtr c = el->children; c != NULL; c = next) {
		next = c->next;
		if (gg_xml_is_element(c, GG_IODEF2_NS, "NodeName")) {
			xmlChar *name = xmlNodeGetContent(c);
			xmlNodePtr dd = insert_before(u, c, new_el(u, el, "DomainData", NULL));

			if (dd != NULL) {
				append(u, dd, new_el(u, dd, "Name", name));
				if (when != NULL)
					append(u, dd, new_el(u, dd, "DateDomainWasChecked", when));
				domains++;
			}
			xmlFree(name);
			xmlUnlinkNode(c);
			xmlFreeNode(c);
		} else if (gg_xml_is_element(c, GG_IODEF2_NS, "NodeRole")) {
			xmlUnlinkNode(c);
			/* Its namespace may be declared on Node, which is not in scope under
			 * System (the same problem new_el avoids). */
			c->ns = system->ns;
			cursor = insert_after(u, cursor, c);
			if (cursor == NULL)
				cursor = el;
		}
	}
	if (when != NULL && domains == 0) {
		xmlNodePtr ad = append(u, system, new_el(u, system, "AdditionalData", when));

		if (ad != NULL) {
			set_attr(u, ad, "dtype", "date-time");
			set_attr(u, ad, "meaning",
				 "IODEF 1.0 Node/DateTime: when the node's name and address were "
				 "resolved");
		}
	}
	xmlFree(when);
}

static void up_address(struct upgrade *u, xmlNodePtr el)
{
	xmlChar *cat = xmlGetNoNsProp(el, BAD_CAST "category");

	/* The default changed from ipv4-addr (1.0) to ipv6-addr (2.0). */
	if (cat == NULL) {
		set_attr(u, el, "category", "ipv4-addr");
		return;
	}
	/* 2.0 dropped ipv6-net-mask; its ipv6-net-masked is a sanitized ('x') address. */
	if (xmlStrEqual(cat, BAD_CAST "ipv6-net-mask")) {
		set_attr(u, el, "category", "ext-value");
		set_attr(u, el, "ext-category", "ipv6-net-mask");
	}
	xmlFree(cat);
}

/* 1.0 SoftwareType described software in attributes; 2.0 has none and takes
 * SoftwareReference (spec-name="custom", lax content), which carries the 1.0 element
 * itself, namespace and attributes unchanged, so nothing is lost or reinterpreted. */
static void up_software(struct upgrade *u, xmlNodePtr el)
{
	static const char *const attrs[] = { "swid",	"configid", "vendor", "family",
					     "name",	"version",  "patch" };
	xmlNodePtr ref = NULL, orig = NULL;

	for (size_t i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++) {
		xmlChar *v = xmlGetNoNsProp(el, BAD_CAST attrs[i]);
		xmlNsPtr ns;

		if (v == NULL)
			continue;
		if (ref == NULL) {
			ref = new_el(u, el, "SoftwareReference", NULL);
			orig = ref != NULL ? xmlNewDocNode(u->doc, NULL, el->name, NULL) : NULL;
			ns = orig != NULL ? xmlNewNs(orig, BAD_CAST GG_IODEF1_NS, NULL) : NULL;
			if (ns == NULL) {
				xmlFreeNode(orig);
				xmlFreeNode(ref);
				xmlFree(v);
				u->oom = 1;
				return;
			}
			xmlSetNs(orig, ns);
			xmlAddChild(ref, orig);
			set_attr(u, ref, "spec-name", "custom");
			set_attr(u, ref, "dtype", "xml");
			if (el->children != NULL)
				insert_before(u, el->children, ref);
			else
				append(u, el, ref);
		}
		set_attr(u, orig, attrs[i], (const char *)v);
		xmlUnsetProp(el, BAD_CAST attrs[i]);
		xmlFree(v);
	}
}

static void up_lang(struct upgrade *u, xmlNodePtr el)
{
	xmlChar *lang = xmlGetNoNsProp(el, BAD_CAST "lang");

	/* 1.0 used an unqualified lang attribute; 2.0 uses xml:lang. */
	if (lang == NULL)
		return;
	xmlUnsetProp(el, BAD_CAST "lang");
	xmlNodeSetLang(el, lang);
	if (xmlHasNsProp(el, BAD_CAST "lang", XML_XML_NAMESPACE) == NULL)
		u->oom = 1;
	xmlFree(lang);
}

static void up_element(struct upgrade *u, xmlNodePtr el)
{
	const char *n = (const char *)el->name;

	up_lang(u, el);
	if (strcmp(n, "IODEF-Document") == 0)
		up_document(u, el);
	else if (strcmp(n, "Incident") == 0)
		up_incident(u, el);
	else if (strcmp(n, "IncidentID") == 0)
		default_attr(u, el, "restriction", "public"); /* 1.0 schema default */
	else if (strcmp(n, "EventData") == 0 || strcmp(n, "History") == 0 ||
		 strcmp(n, "Expectation") == 0)
		default_attr(u, el, "restriction", "default"); /* 1.0 schema default */
	else if (strcmp(n, "Email") == 0)
		up_contact_means(u, el, "EmailTo");
	else if (strcmp(n, "Telephone") == 0 || strcmp(n, "Fax") == 0)
		up_contact_means(u, el, "TelephoneNumber");
	else if (strcmp(n, "PostalAddress") == 0)
		up_postal_address(u, el);
	else if (strcmp(n, "Impact") == 0)
		up_impact(u, el);
	else if (strcmp(n, "Confidence") == 0)
		up_confidence(u, el);
	else if (strcmp(n, "Counter") == 0)
		up_counter(u, el);
	else if (strcmp(n, "Method") == 0)
		up_method(u, el);
	else if (strcmp(n, "Reference") == 0)
		up_reference(u, el);
	else if (strcmp(n, "Node") == 0)
		up_node(u, el);
	else if (strcmp(n, "NodeRole") == 0)
		text_to_child(u, el, "Description", 0, 1);
	else if (strcmp(n, "Address") == 0)
		up_address(u, el);
	else if (strcmp(n, "Service") == 0)
		rename_attr(u, el, "ip_protocol", "ip-protocol");
	else if (strcmp(n, "Application") == 0 || strcmp(n, "OperatingSystem") == 0)
		up_software(u, el);
}

/* Pass C: pre-order, so an element is rewritten before its children are visited; the
 * next sibling is read after the visit so that siblings it inserted are visited too. */
static void walk(struct upgrade *u, xmlNodePtr el)
{
	up_element(u, el);
	if (u->oom || is_extension(el, GG_IODEF2_NS))
		return;
	for (xmlNodePtr c = el->children; c != NULL && !u->oom; c = c->next)
		if (c->type == XML_ELEMENT_NODE && gg_xml_in_ns(c, GG_IODEF2_NS))
			walk(u, c);
}

/* Checks that doc is IODEF 1.0: 0, or -EINVAL with err. */
static int check_v1(xmlDocPtr doc, struct gg_error *err)
{
	xmlNodePtr root = doc != NULL ? xmlDocGetRootElement(doc) : NULL;
	const char *ns;

	if (gg_iodef_version_of(doc) == GG_IODEF_V1)
		return 0;
	ns = root != NULL && root->ns != NULL ? (const char *)root->ns->href : "";
	return gg_error_set(err, -EINVAL,
			    "upgrade: not an IODEF 1.0 document: root is {%.100s}%.40s, expected "
			    "{%s}IODEF-Document",
			    ns, root != NULL ? (const char *)root->name : "(none)", GG_IODEF1_NS);
}

int gg_iodef_upgrade_in_place(xmlDocPtr doc, struct gg_error *err)
{
	struct upgrade u = { .doc = doc };
	xmlNodePtr root;
	int r;

	if ((r = check_v1(doc, err)) != 0)
		return r;
	root = xmlDocGetRootElement(doc);
	protect_extensions(&u, root);
	if (!u.oom)
		rewrite_namespace(&u, root);
	if (!u.oom)
		walk(&u, root);
	return u.oom ? gg_error_set(err, -ENOMEM, "upgrade: out of memory") : 0;
}

int gg_iodef_upgrade(xmlDocPtr v1, xmlDocPtr *v2_out, struct gg_error *err)
{
	xmlDocPtr v2;
	int r;

	*v2_out = NULL;
	if ((r = check_v1(v1, err)) != 0)
		return r;
	if ((v2 = xmlCopyDoc(v1, 1)) == NULL)
		return gg_error_set(err, -ENOMEM, "upgrade: cannot copy the document");
	if ((r = gg_iodef_upgrade_in_place(v2, err)) != 0) {
		xmlFreeDoc(v2);
		return r;
	}
	*v2_out = v2;
	return 0;
}
