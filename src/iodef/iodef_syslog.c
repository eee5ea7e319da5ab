/* iodef_syslog.c: one parsed syslog message (RFC 5424 or 3164) -> a generic "unclassified"
 * IODEF 2.0 incident that carries the message; classifying it is the mapping engine's job. */
#include "iodef/iodef.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libxml/tree.h>
#include <openssl/evp.h>

#include "iodef/iodef_build.h"
#include "formats/timestamp.h"
#include "formats/syslog_parse.h"


/* True when s is well-formed UTF-8 made only of XML 1.0 characters: libxml2 would write other
 * bytes into a document that no parser (ours included) reads back. */
static int xml_safe(const char *s, size_t len)
{
	return gg_xml_text_prefix(s, len) == len;
}

/* The syslog stamp as xs:dateTime, or 0 when it cannot be one (then no DetectTime is written:
 * an absent time is better than an invented one). A stamp without an offset (RFC 3164 never
 * has one) is taken as UTC; a yearless one gets its year as the mappings' time slots do. */
static int detect_time(const struct gg_syslog_time *t, time_t now, char out[GG_TIME_XS_MAX])
{
	char text[GG_TIME_XS_MAX];

	return gg_syslog_time_text(t, text, sizeof(text)) == 0 &&
	       gg_time_to_xs(text, 0, now, out, GG_TIME_XS_MAX) == 0;
}

/* A NUL-terminated copy of len bytes (which may hold NUL: only called on XML-safe text). */
static char *dup_text(const char *s, size_t len)
{
	char *out = malloc(len + 1);

	if (out == NULL)
		return NULL;
	if (len > 0)
		memcpy(out, s, len);
	out[len] = '\0';
	return out;
}

/* The Address category of a HOSTNAME that is an IP address (senders often name themselves
 * so), or NULL for a name: as the mappings' host slots write it. */
static const char *address_category(const char *host)
{
	unsigned char addr[sizeof(struct in6_addr)];

	if (inet_pton(AF_INET, host, addr) == 1)
		return "ipv4-addr";
	if (inet_pton(AF_INET6, host, addr) == 1)
		return "ipv6-addr";
	return NULL;
}

/* The host that logged the message is the sensor (as in mappings/rfc5424.map), not the
 * source: a source reads as the attacker. */
static void add_sensor(struct gg_iodef_builder *b, xmlNodePtr ev, const char *hostname)
{
	xmlNodePtr sys = gg_iodef_add(b, gg_iodef_add(b, ev, "Flow", NULL), "System", NULL);
	xmlNodePtr node = gg_iodef_add(b, sys, "Node", NULL);
	const char *category = address_category(hostname);

	gg_iodef_attr(b, sys, "category", "sensor");
	if (category != NULL) {
		gg_iodef_attr(b, gg_iodef_add(b, node, "Address", hostname), "category", category);
		return;
	}
	/* DomainData's one required child is Name. */
	gg_iodef_add(b, gg_iodef_add(b, node, "DomainData", NULL), "Name", hostname);
}

static const char *severity_name(int severity)
{
	if (severity <= 3)
		return "high"; /* emergency, alert, critical, error */
	if (severity == 4)
		return "medium"; /* warning */
	return "low"; /* notice, informational, debug */
}

/* Element order follows the xs:sequence of each class in iodef-2.0.xsd. */
static void build(struct gg_iodef_builder *b, const struct gg_syslog_msg *msg, const char *record_id,
		  const struct gg_iodef_defaults *defaults, const char *detect,
		  const char *generated, const char *description, const char *hostname,
		  const char *item, int item_is_text)
{
	xmlNodePtr root, inc, n, ev, rd;

	root = gg_iodef_root(b);
	if (root == NULL)
		return;

	inc = gg_iodef_add(b, root, "Incident", NULL);
	gg_iodef_attr(b, inc, "purpose", "reporting");
	n = gg_iodef_add(b, inc, "IncidentID", record_id);
	gg_iodef_attr(b, n, "name", defaults->csirt_name);
	if (detect != NULL)
		gg_iodef_add(b, inc, "DetectTime", detect);
	gg_iodef_add(b, inc, "GenerationTime", generated);
	gg_iodef_add(b, inc, "Description", description);
	n = gg_iodef_add(b, gg_iodef_add(b, inc, "Assessment", NULL), "SystemImpact", NULL);
	gg_iodef_attr(b, n, "severity", severity_name(msg->severity));
	gg_iodef_attr(b, n, "type", "unknown");
	gg_iodef_creator(b, inc, defaults);

	ev = gg_iodef_add(b, inc, "EventData", NULL);
	if (hostname != NULL)
		add_sensor(b, ev, hostname);
	rd = gg_iodef_add(b, gg_iodef_add(b, ev, "Record", NULL), "RecordData", NULL);
	n = gg_iodef_add(b, rd, "RecordItem", item);
	/* RFC 7970's "bytes" is binary data in base64: it keeps what XML text cannot. */
	gg_iodef_attr(b, n, "dtype", item_is_text ? "string" : "bytes");
}

int gg_iodef_from_syslog(const struct gg_syslog_msg *msg, const char *raw, size_t raw_len,
			 const char *record_id, const struct gg_iodef_defaults *defaults,
			 time_t now, xmlDocPtr *out, struct gg_error *err)
{
	struct gg_iodef_builder b = { 0 };
	char detect[GG_TIME_XS_MAX], generated[GG_TIME_XS_MAX];
	char *description = NULL, *hostname = NULL, *item = NULL;
	int has_detect, item_is_text;
	struct tm tm;

	*out = NULL;
	if (defaults == NULL || defaults->csirt_name == NULL || defaults->csirt_name[0] == '\0' ||
	    !xml_safe(defaults->csirt_name, strlen(defaults->csirt_name)))
		return gg_error_set(err, -EINVAL, "iodef: no XML-safe CSIRT name configured");
	if (record_id == NULL || !xml_safe(record_id, strlen(record_id)))
		return gg_error_set(err, -EINVAL, "iodef: record id is not XML-safe");
	has_detect = detect_time(&msg->ts, now, detect);
	gmtime_r(&now, &tm);
	strftime(generated, sizeof(generated), "%Y-%m-%dT%H:%M:%SZ", &tm);

	if (msg->msg.len > 0 && xml_safe(msg->msg.ptr, msg->msg.len))
		description = dup_text(msg->msg.ptr, msg->msg.len);
	else if (msg->msg.len == 0)
		description = dup_text("syslog message without text", 27);
	else
		description = strdup("syslog message text is not valid UTF-8 or holds control "
				     "characters; the RecordItem keeps its bytes in base64");
	if (msg->hostname.ptr != NULL && msg->hostname.len > 0 &&
	    xml_safe(msg->hostname.ptr, msg->hostname.len))
		hostname = dup_text(msg->hostname.ptr, msg->hostname.len);
	item_is_text = xml_safe(raw, raw_len);
	if (item_is_text) {
		item = dup_text(raw, raw_len);
	} else {
		item = malloc(4 * ((raw_len + 2) / 3) + 1);
		if (item != NULL)
			EVP_EncodeBlock((unsigned char *)item, (const unsigned char *)raw,
					(int)raw_len);
	}
	b.doc = xmlNewDoc(BAD_CAST "1.0");
	if (description == NULL || item == NULL || b.doc == NULL ||
	    (msg->hostname.ptr != NULL && hostname == NULL && msg->hostname.len > 0 &&
	     xml_safe(msg->hostname.ptr, msg->hostname.len))) {
		b.oom = 1;
	} else {
		build(&b, msg, record_id, defaults, has_detect ? detect : NULL, generated,
		      description, hostname, item, item_is_text);
	}
	free(description);
	free(hostname);
	free(item);
	if (b.oom) {
		xmlFreeDoc(b.doc);
		return gg_error_set(err, -ENOMEM, "syslog: out of memory building the document");
	}
	*out = b.doc;
	return 0;
}
