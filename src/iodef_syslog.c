/* iodef_syslog.c: one parsed syslog message (RFC 5424 or 3164) -> a generic "unclassified"
 * IODEF 2.0 incident that carries the message; classifying it is the mapping engine's job. */
#include "iodef.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libxml/tree.h>
#include <openssl/evp.h>

#include "iodef_build.h"
#include "syslog/syslog_parse.h"

#define MAX_TIME 48

/* True when s is well-formed UTF-8 made only of XML 1.0 characters: libxml2 would write other
 * bytes into a document that no parser (ours included) reads back. */
static int xml_safe(const char *s, size_t len)
{
	return gg_xml_text_prefix(s, len) == len;
}

/* The UTC seconds of a yearless stamp placed in year y. */
static time_t stamp_in_year(const struct gg_syslog_time *t, int y)
{
	struct tm tm = { .tm_year = y - 1900, .tm_mon = t->month - 1, .tm_mday = t->day,
			 .tm_hour = t->hour, .tm_min = t->min, .tm_sec = t->sec };

	return timegm(&tm);
}

/* The syslog stamp as xs:dateTime, or 0 when it cannot be one (then no DetectTime is written:
 * an absent time is better than an invented one). */
static int detect_time(const struct gg_syslog_time *t, time_t now, char out[MAX_TIME])
{
	int y = t->year, sec = t->sec, n;
	struct tm now_tm;

	if (!t->present || t->month < 1 || t->month > 12)
		return 0;
	if (!t->has_year) {
		/* RFC 3164 stamps have no year: take the latest of next, this and last year (of
		 * the receive time) that does not put the stamp more than a day in the future. So
		 * a Dec 31 stamp received on Jan 1 is last year's, and a Jan 1 stamp from a clock
		 * running ahead, received on Dec 31, is next year's. The day of slack covers such
		 * clocks and zone differences. A Feb 29 skips the years without one. */
		gmtime_r(&now, &now_tm);
		for (y = now_tm.tm_year + 1900 + 1; y >= now_tm.tm_year + 1900 - 1; y--)
			if (t->day <= gg_days_in_month(y, t->month) &&
			    stamp_in_year(t, y) <= now + 24 * 60 * 60)
				break;
		if (y < now_tm.tm_year + 1900 - 1)
			return 0;
	}
	if (y < 1 || y > 9999 || t->day < 1 || t->day > gg_days_in_month(y, t->month))
		return 0;
	/* xs:dateTime has no leap second: 23:59:60 is written as :59, a second off. */
	if (sec > 59)
		sec = 59;
	n = snprintf(out, MAX_TIME, "%04d-%02d-%02dT%02d:%02d:%02d", y, t->month, t->day, t->hour,
		     t->min, sec);
	if (t->frac_digits > 0) {
		int frac = t->frac_us;

		for (int d = 6; d > t->frac_digits; d--)
			frac /= 10;
		n += snprintf(out + n, (size_t)(MAX_TIME - n), ".%0*d", t->frac_digits, frac);
	}
	if (t->has_offset && t->offset_minutes != 0) {
		int off = t->offset_minutes < 0 ? -t->offset_minutes : t->offset_minutes;

		if (off > 14 * 60)
			return 0;
		snprintf(out + n, (size_t)(MAX_TIME - n), "%c%02d:%02d",
			 t->offset_minutes < 0 ? '-' : '+', off / 60, off % 60);
	} else {
		/* No offset (RFC 3164 never has one): assume the sender logs in UTC. */
		snprintf(out + n, (size_t)(MAX_TIME - n), "Z");
	}
	return 1;
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
	xmlNodePtr root, inc, n, ev, node, rd;

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
	if (hostname != NULL) {
		n = gg_iodef_add(b, gg_iodef_add(b, ev, "Flow", NULL), "System", NULL);
		gg_iodef_attr(b, n, "category", "source");
		node = gg_iodef_add(b, n, "Node", NULL);
		/* DomainData's one required child is Name. */
		gg_iodef_add(b, gg_iodef_add(b, node, "DomainData", NULL), "Name", hostname);
	}
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
	char detect[MAX_TIME], generated[MAX_TIME];
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
