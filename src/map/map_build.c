/* map_build.c: the slots a mapping filled -> one IODEF 2.0 incident. Element order follows the
 * xs:sequence of each class in iodef-2.0.xsd; every value arrives checked (XML text, fixed
 * vocabularies, times, ports), so a mapping cannot produce an element out of place. */
#include "map/map_internal.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/hex.h"
#include "iodef/iodef_build.h"

static void add_additional(struct gg_iodef_builder *b, xmlNodePtr parent, const char *meaning,
			   const char *text)
{
	xmlNodePtr n = gg_iodef_add(b, parent, "AdditionalData", text);

	gg_iodef_attr(b, n, "dtype", "string");
	gg_iodef_attr(b, n, "meaning", meaning);
}

static void add_node(struct gg_iodef_builder *b, xmlNodePtr system, const char *address,
		     const char *host)
{
	xmlNodePtr node = gg_iodef_add(b, system, "Node", NULL);
	const char *category;

	/* A host given as an IP (syslog senders often name themselves so) is an address. */
	if (address == NULL && host != NULL && gg_address_category(host) != NULL) {
		address = host;
		host = NULL;
	}
	/* The same address given as address and host is written once. */
	if (address != NULL && host != NULL && strcmp(address, host) == 0)
		host = NULL;
	category = address != NULL ? gg_address_category(address) : NULL;
	if (host != NULL)
		gg_iodef_add(b, gg_iodef_add(b, node, "DomainData", NULL), "Name", host);
	if (category != NULL)
		gg_iodef_attr(b, gg_iodef_add(b, node, "Address", address), "category", category);
}

/* Port and Portlist are alternatives here: a single number is a Port, "1-3,7" a Portlist. */
static void add_service(struct gg_iodef_builder *b, xmlNodePtr system, const char *port,
			const char *service, int ip_protocol)
{
	xmlNodePtr svc;
	char proto[16];

	if (port == NULL && service == NULL && ip_protocol < 0)
		return;
	svc = gg_iodef_add(b, system, "Service", NULL);
	if (ip_protocol >= 0) {
		snprintf(proto, sizeof(proto), "%d", ip_protocol);
		gg_iodef_attr(b, svc, "ip-protocol", proto);
	}
	if (service != NULL)
		gg_iodef_add(b, gg_iodef_add(b, svc, "ServiceName", NULL), "IANAService", service);
	if (port != NULL)
		gg_iodef_add(b, svc, strpbrk(port, ",-") != NULL ? "Portlist" : "Port", port);
}

static void add_system(struct gg_iodef_builder *b, xmlNodePtr flow, const char *category,
		       const char *address, const char *host, const char *port,
		       const char *service, const char *user, int ip_protocol)
{
	xmlNodePtr sys = gg_iodef_add(b, flow, "System", NULL);

	gg_iodef_attr(b, sys, "category", category);
	add_node(b, sys, address, host);
	add_service(b, sys, port, service, ip_protocol);
	if (user != NULL)
		add_additional(b, sys, "user", user);
}

static void add_reference(struct gg_iodef_builder *b, xmlNodePtr method, const char *url,
			  const char *description)
{
	xmlNodePtr ref = gg_iodef_add(b, method, "Reference", NULL);

	if (url != NULL)
		gg_iodef_add(b, ref, "URL", url);
	if (description != NULL)
		gg_iodef_add(b, ref, "Description", description);
}

/* xs:ID is an NCName: letters, digits, '.', '-', '_', not starting with a digit, '.' or '-'.
 * Other characters become '-', and a bad first character gets a prefix. */
static char *ncname(const char *s)
{
	size_t n = strlen(s);
	char *out = malloc(n + 3), *p = out;

	if (out == NULL)
		return NULL;
	if (!((s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= 'a' && s[0] <= 'z') || s[0] == '_')) {
		*p++ = 'i';
		*p++ = '-';
	}
	for (; *s != '\0'; s++)
		*p++ = (*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		       (*s >= '0' && *s <= '9') || *s == '.' || *s == '-' || *s == '_' ? *s : '-';
	*p = '\0';
	return out;
}

/* The hash slots, in the order their Hash elements are written, with the XML Signature
 * algorithm URI ds:DigestMethod names (RFC 6931 for MD5). */
static const struct {
	enum gg_slot slot;
	size_t hex_len;
	const char *algorithm;
} hashes[] = {
	{ GG_S_INDICATOR_MD5, 32, "http://www.w3.org/2001/04/xmldsig-more#md5" },
	{ GG_S_INDICATOR_SHA1, 40, "http://www.w3.org/2000/09/xmldsig#sha1" },
	{ GG_S_INDICATOR_SHA256, 64, "http://www.w3.org/2001/04/xmlenc#sha256" },
	{ GG_S_INDICATOR_SHA512, 128, "http://www.w3.org/2001/04/xmlenc#sha512" },
};

#define N_HASHES (sizeof(hashes) / sizeof(hashes[0]))
#define DS_NS "http://www.w3.org/2000/09/xmldsig#"

size_t gg_hash_slot_length(enum gg_slot s)
{
	for (size_t i = 0; i < N_HASHES; i++)
		if (hashes[i].slot == s)
			return hashes[i].hex_len;
	return 0;
}

/* Hash with ds:DigestMethod and ds:DigestValue: base64Binary, so the slot's hex (checked
 * already) is decoded and encoded again. */
static void add_hash(struct gg_iodef_builder *b, xmlNodePtr hashdata, const char *algorithm,
		     const char *hex)
{
	unsigned char digest[64];
	char value[4 * (sizeof(digest) / 3 + 1) + 1];
	size_t n = strlen(hex) / 2;
	xmlNodePtr hash = gg_iodef_add(b, hashdata, "Hash", NULL), method = NULL;
	xmlNsPtr ds;

	if (b->oom)
		return;
	for (size_t i = 0; i < n; i++)
		digest[i] = (unsigned char)(gg_hex_value(hex[2 * i]) << 4 | gg_hex_value(hex[2 * i + 1]));
	EVP_EncodeBlock((unsigned char *)value, digest, (int)n);
	ds = xmlNewNs(hash, BAD_CAST DS_NS, BAD_CAST "ds");
	if (ds != NULL)
		method = xmlNewChild(hash, ds, BAD_CAST "DigestMethod", NULL);
	if (method == NULL || xmlNewProp(method, BAD_CAST "Algorithm", BAD_CAST algorithm) == NULL ||
	    xmlNewTextChild(hash, ds, BAD_CAST "DigestValue", BAD_CAST value) == NULL)
		b->oom = 1;
}

static bool has_file(const char *const *s)
{
	if (s[GG_S_INDICATOR_FILENAME] != NULL)
		return true;
	for (size_t i = 0; i < N_HASHES; i++)
		if (s[hashes[i].slot] != NULL)
			return true;
	return false;
}

/* FileData/File: its name, then the digests under one HashData (File's sequence). */
static void add_file(struct gg_iodef_builder *b, xmlNodePtr obs, const char *const *s)
{
	xmlNodePtr file = gg_iodef_add(b, gg_iodef_add(b, obs, "FileData", NULL), "File", NULL);
	xmlNodePtr hashdata = NULL;

	if (s[GG_S_INDICATOR_FILENAME] != NULL)
		gg_iodef_add(b, file, "FileName", s[GG_S_INDICATOR_FILENAME]);
	for (size_t i = 0; i < N_HASHES; i++) {
		if (s[hashes[i].slot] == NULL)
			continue;
		if (hashdata == NULL) {
			hashdata = gg_iodef_add(b, file, "HashData", NULL);
			gg_iodef_attr(b, hashdata, "scope", "file-contents");
		}
		add_hash(b, hashdata, hashes[i].algorithm, s[hashes[i].slot]);
	}
}

/* The Observable: Observable is a choice of one element, so the first of address, domain,
 * URL and file that the mapping set is the one written. */
static void add_observable(struct gg_iodef_builder *b, xmlNodePtr ind, const char *const *s)
{
	xmlNodePtr obs = gg_iodef_add(b, ind, "Observable", NULL);
	const char *address = s[GG_S_INDICATOR_ADDRESS];

	if (address != NULL)
		gg_iodef_attr(b, gg_iodef_add(b, obs, "Address", address), "category",
			      gg_address_category(address));
	else if (s[GG_S_INDICATOR_DOMAIN] != NULL)
		gg_iodef_add(b, gg_iodef_add(b, obs, "DomainData", NULL), "Name",
			     s[GG_S_INDICATOR_DOMAIN]);
	else if (s[GG_S_INDICATOR_URL] != NULL)
		gg_iodef_attr(b, gg_iodef_add(b, obs, "Address", s[GG_S_INDICATOR_URL]), "category",
			      "site-uri");
	else
		add_file(b, obs, s);
}

static void add_indicator(struct gg_iodef_builder *b, xmlNodePtr inc, const struct gg_map_out *o,
			  const char *csirt)
{
	const char *const *s = o->slot;
	xmlNodePtr ind, n;
	char *id;

	/* An Indicator needs an observable: without one the source gave no indicator. */
	if (s[GG_S_INDICATOR_ID] == NULL ||
	    (s[GG_S_INDICATOR_ADDRESS] == NULL && s[GG_S_INDICATOR_DOMAIN] == NULL &&
	     s[GG_S_INDICATOR_URL] == NULL && !has_file(s)))
		return;
	id = ncname(s[GG_S_INDICATOR_ID]);
	if (id == NULL) {
		b->oom = 1;
		return;
	}
	ind = gg_iodef_add(b, gg_iodef_add(b, inc, "IndicatorData", NULL), "Indicator", NULL);
	n = gg_iodef_add(b, ind, "IndicatorID", id);
	free(id);
	gg_iodef_attr(b, n, "name", csirt);
	gg_iodef_attr(b, n, "version",
		      s[GG_S_INDICATOR_VERSION] != NULL ? s[GG_S_INDICATOR_VERSION] : "1");
	if (s[GG_S_INDICATOR_DESCRIPTION] != NULL)
		gg_iodef_add(b, ind, "Description", s[GG_S_INDICATOR_DESCRIPTION]);
	add_observable(b, ind, s);
}

static void build(struct gg_iodef_builder *b, const struct gg_map_out *o, const char *record_id,
		  const struct gg_iodef_defaults *defaults, const char *generated)
{
	const char *const *s = o->slot;
	xmlNodePtr root, inc, n, ev, flow;
	bool src, dst;

	root = gg_iodef_root(b);
	if (root == NULL)
		return;

	inc = gg_iodef_add(b, root, "Incident", NULL);
	gg_iodef_attr(b, inc, "purpose", s[GG_S_PURPOSE] != NULL ? s[GG_S_PURPOSE] : "reporting");
	n = gg_iodef_add(b, inc, "IncidentID", record_id);
	gg_iodef_attr(b, n, "name", defaults->csirt_name);
	if (o->detect_time != NULL)
		gg_iodef_add(b, inc, "DetectTime", o->detect_time);
	if (o->start_time != NULL)
		gg_iodef_add(b, inc, "StartTime", o->start_time);
	if (o->end_time != NULL)
		gg_iodef_add(b, inc, "EndTime", o->end_time);
	gg_iodef_add(b, inc, "GenerationTime", generated);
	if (s[GG_S_DESCRIPTION] != NULL)
		gg_iodef_add(b, inc, "Description", s[GG_S_DESCRIPTION]);

	n = gg_iodef_add(b, inc, "Assessment", NULL);
	{
		xmlNodePtr impact = gg_iodef_add(b, n, "SystemImpact", NULL);

		if (s[GG_S_SEVERITY] != NULL)
			gg_iodef_attr(b, impact, "severity", s[GG_S_SEVERITY]);
		if (s[GG_S_COMPLETION] != NULL)
			gg_iodef_attr(b, impact, "completion", s[GG_S_COMPLETION]);
		gg_iodef_attr(b, impact, "type", s[GG_S_IMPACT] != NULL ? s[GG_S_IMPACT] : "unknown");
	}
	if (s[GG_S_CONFIDENCE] != NULL)
		gg_iodef_attr(b, gg_iodef_add(b, n, "Confidence", NULL), "rating", s[GG_S_CONFIDENCE]);

	if (s[GG_S_METHOD] != NULL || s[GG_S_REFERENCE] != NULL || s[GG_S_REFERENCE_URL] != NULL ||
	    s[GG_S_CVE] != NULL) {
		xmlNodePtr method = gg_iodef_add(b, inc, "Method", NULL);

		if (s[GG_S_REFERENCE] != NULL || s[GG_S_REFERENCE_URL] != NULL)
			add_reference(b, method, s[GG_S_REFERENCE_URL], s[GG_S_REFERENCE]);
		if (s[GG_S_CVE] != NULL) {
			char url[256];

			snprintf(url, sizeof(url), "https://www.cve.org/CVERecord?id=%s", s[GG_S_CVE]);
			add_reference(b, method, strlen(s[GG_S_CVE]) < 200 ? url : NULL, s[GG_S_CVE]);
		}
		if (s[GG_S_METHOD] != NULL)
			gg_iodef_add(b, method, "Description", s[GG_S_METHOD]);
	}

	gg_iodef_creator(b, inc, defaults);

	ev = gg_iodef_add(b, inc, "EventData", NULL);
	src = s[GG_S_SRC_ADDRESS] != NULL || s[GG_S_SRC_HOST] != NULL;
	dst = s[GG_S_DST_ADDRESS] != NULL || s[GG_S_DST_HOST] != NULL;
	if (src || dst || s[GG_S_SENSOR] != NULL) {
		flow = gg_iodef_add(b, ev, "Flow", NULL);
		if (src)
			add_system(b, flow, "source", s[GG_S_SRC_ADDRESS], s[GG_S_SRC_HOST],
				   s[GG_S_SRC_PORT], NULL, s[GG_S_SRC_USER], o->ip_protocol);
		if (dst)
			add_system(b, flow, "target", s[GG_S_DST_ADDRESS], s[GG_S_DST_HOST],
				   s[GG_S_DST_PORT], s[GG_S_DST_SERVICE], s[GG_S_DST_USER],
				   o->ip_protocol);
		if (s[GG_S_SENSOR] != NULL)
			add_system(b, flow, "sensor", NULL, s[GG_S_SENSOR], NULL, NULL, NULL, -1);
	}
	n = gg_iodef_add(b, gg_iodef_add(b, gg_iodef_add(b, ev, "Record", NULL), "RecordData", NULL),
			 "RecordItem", o->raw_item);
	/* RFC 7970's "bytes" is base64: it keeps what XML text cannot. */
	gg_iodef_attr(b, n, "dtype", o->raw_is_text ? "string" : "bytes");

	add_indicator(b, inc, o, defaults->csirt_name);
}

int gg_map_build(const struct gg_map_out *o, const char *record_id,
		 const struct gg_iodef_defaults *defaults, time_t now, xmlDocPtr *out,
		 struct gg_error *err)
{
	struct gg_iodef_builder b = { 0 };
	char generated[40];
	struct tm tm;

	*out = NULL;
	if (defaults == NULL || defaults->csirt_name == NULL || defaults->csirt_name[0] == '\0' ||
	    gg_xml_text_prefix(defaults->csirt_name, strlen(defaults->csirt_name)) !=
		    strlen(defaults->csirt_name))
		return gg_error_set(err, -EINVAL, "iodef: no XML-safe CSIRT name configured");
	gmtime_r(&now, &tm);
	strftime(generated, sizeof(generated), "%Y-%m-%dT%H:%M:%SZ", &tm);
	b.doc = xmlNewDoc(BAD_CAST "1.0");
	if (b.doc == NULL)
		b.oom = 1;
	else
		build(&b, o, record_id, defaults, generated);
	if (b.oom) {
		xmlFreeDoc(b.doc);
		return gg_error_set(err, -ENOMEM, "out of memory building the document");
	}
	*out = b.doc;
	return 0;
}
