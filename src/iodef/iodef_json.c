/* iodef_json.c: the built-in mapping from one flat JSON object (one NDJSON line) to a
 * complete IODEF 2.0 document; docs/ndjson-mapping.md describes it for users. */
#include "iodef/iodef.h"
#include "iodef/iodef_build.h"
#include "base/digest.h"
#include "formats/timestamp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>
#include <libxml/tree.h>

/*
 * Keys (all optional; JSON null counts as absent; other keys are ignored, but the whole line
 * is always kept in the RecordItem):
 *
 *   id           string or integer  Incident/IncidentID; absent: "gg-" + the first 16 bytes
 *                                   of SHA-256(line) in hex, so a re-sent line keeps its id
 *   time         RFC 3339 string    Incident/DetectTime
 *   generated    RFC 3339 string    Incident/GenerationTime (default: now, UTC)
 *   description  string             Incident/Description
 *   severity     low|medium|high|info  Assessment/SystemImpact@severity, type="unknown"
 *                                   unless category says more ("info": RFC 7970 has no such
 *                                   level, so it adds no severity)
 *   category     string             SystemImpact@type if an RFC 7970 value, otherwise
 *                                   type="ext-value" ext-type=<value>; "type" is an alias,
 *                                   used only when "category" is absent
 *   src_ip, dst_ip   IPv4 / IPv6    System category source / target, Node/Address
 *                                   (ipv4-addr / ipv6-addr, written in canonical form)
 *   src_port, dst_port  0-65535 as integer or decimal string   Service/Port
 *   protocol     tcp|udp|icmp|... or 0-255   Service@ip-protocol (IANA protocol number)
 *   purpose      traceback|mitigation|reporting|watch|other    Incident@purpose (reporting)
 *   restriction  RFC 7970 restriction-type, TLP:COLOR accepted  Incident@restriction (private)
 *
 * A known key with a value of the wrong type or out of range is an error (-EINVAL), not a
 * silent drop: a half-mapped incident is worse than a rejected line with a reason.
 */

#define MAX_TIME 48

struct endpoint {
	const char *key_ip;
	const char *key_port;
	const char *category; /* "source" / "target" */
	int has_ip;
	int has_port;
	const char *addr_category;
	char ip[INET6_ADDRSTRLEN];
	char port[8];
};

struct fields {
	char id[96];
	char detect[MAX_TIME];
	char generated[MAX_TIME];
	const char *description;
	int has_impact;
	const char *severity;
	const char *impact_type;
	const char *ext_type;
	struct endpoint src, dst;
	char protocol[4];
	const char *purpose;
	const char *restriction;
};

static const char *const systemimpact_types[] = {
	"takeover-account",	"takeover-service",	  "takeover-system",
	"cps-manipulation",	"cps-damage",		  "availability-data",
	"availability-account", "availability-service",	  "availability-system",
	"damaged-system",	"damaged-data",		  "breach-proprietary",
	"breach-privacy",	"breach-credential",	  "breach-configuration",
	"integrity-data",	"integrity-configuration", "integrity-hardware",
	"traffic-redirection",	"monitoring-traffic",	  "monitoring-host",
	"policy",		"unknown",
};

static const char *const purposes[] = { "traceback", "mitigation", "reporting", "watch",
					"other" };

static const char *const restrictions[] = { "default", "public", "partner", "need-to-know",
					    "private", "white", "green", "amber", "red" };

/* IANA protocol numbers for the names log sources commonly write. */
static const struct {
	const char *name;
	int number;
} protocols[] = {
	{ "icmp", 1 }, { "igmp", 2 },	     { "tcp", 6 },   { "udp", 17 },   { "gre", 47 },
	{ "esp", 50 }, { "ah", 51 },	     { "icmpv6", 58 }, { "ipv6-icmp", 58 },
	{ "sctp", 132 },
};

static const char *json_type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
		return "an integer";
	case JSON_REAL:
		return "a real number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	default:
		return "null";
	}
}


/* The value of key, NULL when absent or JSON null. */
static json_t *field(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	return json_is_null(v) ? NULL : v;
}

static int check_text(const char *key, const char *s, size_t len, struct gg_error *err)
{
	size_t ok = gg_xml_text_prefix(s, len);

	if (ok != len)
		return gg_error_set(err, -EINVAL,
				    "json: key '%s': byte %zu is a control character or not valid "
				    "UTF-8, which XML cannot carry",
				    key, ok);
	return 0;
}

/* 1 and *out set for a string value, 0 when absent, negative for a wrong type. */
static int get_string(json_t *obj, const char *key, const char **out, struct gg_error *err)
{
	json_t *v = field(obj, key);
	int rc;

	*out = NULL;
	if (v == NULL)
		return 0;
	if (!json_is_string(v))
		return gg_error_set(err, -EINVAL, "json: key '%s' must be a string, got %s", key,
				    json_type_name(v));
	rc = check_text(key, json_string_value(v), json_string_length(v), err);
	if (rc < 0)
		return rc;
	if (json_string_length(v) == 0)
		return gg_error_set(err, -EINVAL, "json: key '%s' must not be empty", key);
	*out = json_string_value(v);
	return 1;
}

static int lookup(const char *value, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcasecmp(value, list[i]) == 0)
			return (int)i;
	return -1;
}

static int two(const char *s, int *out)
{
	if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9')
		return 0;
	*out = (s[0] - '0') * 10 + (s[1] - '0');
	return 1;
}

/* RFC 3339 date-time -> the xs:dateTime lexical form (upper-case T and Z). Stricter than
 * RFC 3339 where xs:dateTime is: no second 60 (leap seconds), offsets within +-14:00. */
static int parse_time(const char *key, const char *s, char out[MAX_TIME], struct gg_error *err)
{
	int hi, lo, y, mo, d, h, mi, sec, oh = 0, om = 0;
	size_t len = strlen(s), frac = 0, end = 19;

	if (len < 20 || len >= MAX_TIME || !two(s, &hi) || !two(s + 2, &lo) || s[4] != '-' ||
	    !two(s + 5, &mo) || s[7] != '-' || !two(s + 8, &d) ||
	    (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || !two(s + 11, &h) || s[13] != ':' ||
	    !two(s + 14, &mi) || s[16] != ':' || !two(s + 17, &sec))
		goto bad;
	y = hi * 100 + lo;
	if (s[end] == '.') {
		while (s[end + 1 + frac] >= '0' && s[end + 1 + frac] <= '9')
			frac++;
		if (frac == 0)
			goto bad;
		end += 1 + frac;
	}
	if ((s[end] == 'Z' || s[end] == 'z') && s[end + 1] == '\0') {
		/* UTC */
	} else if ((s[end] == '+' || s[end] == '-') && two(s + end + 1, &oh) &&
		   s[end + 3] == ':' && two(s + end + 4, &om) && s[end + 6] == '\0') {
		if (oh > 14 || om > 59 || (oh == 14 && om != 0))
			return gg_error_set(err, -EINVAL,
					    "json: key '%s': offset in '%.40s' is beyond +-14:00",
					    key, s);
	} else {
		goto bad;
	}
	if (y < 1 || mo < 1 || mo > 12 || d < 1 || d > gg_days_in_month(y, mo) || h > 23 ||
	    mi > 59 || sec > 59)
		return gg_error_set(err, -EINVAL,
				    "json: key '%s': '%.40s' is not a real date and time", key, s);
	memcpy(out, s, len + 1);
	out[10] = 'T';
	if (out[len - 1] == 'z')
		out[len - 1] = 'Z';
	return 0;
bad:
	return gg_error_set(err, -EINVAL,
			    "json: key '%s': '%.40s' is not an RFC 3339 date-time "
			    "(YYYY-MM-DDTHH:MM:SS[.frac] and Z or +HH:MM)",
			    key, s);
}

static int get_time(json_t *obj, const char *key, char out[MAX_TIME], struct gg_error *err)
{
	const char *s;
	int rc = get_string(obj, key, &s, err);

	if (rc <= 0)
		return rc;
	rc = parse_time(key, s, out, err);
	return rc < 0 ? rc : 1;
}

static void now_utc(char out[MAX_TIME])
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, MAX_TIME, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* An integer in [0, max] given as a JSON integer or a decimal string. */
static int get_small_uint(json_t *v, const char *key, int max, int *out, struct gg_error *err)
{
	json_int_t n;

	if (json_is_integer(v)) {
		n = json_integer_value(v);
	} else if (json_is_string(v)) {
		const char *s = json_string_value(v);
		size_t len = json_string_length(v);

		if (len == 0 || len > 5 || strspn(s, "0123456789") != len)
			return gg_error_set(err, -EINVAL,
					    "json: key '%s': '%.20s' is not a number from 0 to %d",
					    key, s, max);
		n = strtol(s, NULL, 10);
	} else {
		return gg_error_set(err, -EINVAL,
				    "json: key '%s' must be an integer or a decimal string, got %s",
				    key, json_type_name(v));
	}
	if (n < 0 || n > max)
		return gg_error_set(err, -EINVAL, "json: key '%s': %lld is not within 0-%d", key,
				    (long long)n, max);
	*out = (int)n;
	return 0;
}

static int get_endpoint(json_t *obj, struct endpoint *ep, struct gg_error *err)
{
	const char *ip;
	json_t *port;
	unsigned char addr[sizeof(struct in6_addr)];
	int rc, n;

	rc = get_string(obj, ep->key_ip, &ip, err);
	if (rc < 0)
		return rc;
	if (rc > 0) {
		if (inet_pton(AF_INET, ip, addr) == 1) {
			ep->addr_category = "ipv4-addr";
			inet_ntop(AF_INET, addr, ep->ip, sizeof(ep->ip));
		} else if (inet_pton(AF_INET6, ip, addr) == 1) {
			/* RFC 7970 asks for ipv6-addr in RFC 5952 form: inet_ntop writes it. */
			ep->addr_category = "ipv6-addr";
			inet_ntop(AF_INET6, addr, ep->ip, sizeof(ep->ip));
		} else {
			return gg_error_set(err, -EINVAL,
					    "json: key '%s': '%.64s' is not an IPv4 or IPv6 address",
					    ep->key_ip, ip);
		}
		ep->has_ip = 1;
	}
	port = field(obj, ep->key_port);
	if (port != NULL) {
		rc = get_small_uint(port, ep->key_port, 65535, &n, err);
		if (rc < 0)
			return rc;
		snprintf(ep->port, sizeof(ep->port), "%d", n);
		ep->has_port = 1;
		if (!ep->has_ip)
			return gg_error_set(err, -EINVAL,
					    "json: key '%s' given without '%s': a port needs its "
					    "address",
					    ep->key_port, ep->key_ip);
	}
	return 0;
}

static int get_protocol(json_t *obj, char out[4], struct gg_error *err)
{
	json_t *v = field(obj, "protocol");
	int n, rc;

	if (v == NULL)
		return 0;
	if (json_is_string(v) && json_string_length(v) > 0 &&
	    strspn(json_string_value(v), "0123456789") != json_string_length(v)) {
		const char *name = json_string_value(v);

		for (size_t i = 0; i < sizeof(protocols) / sizeof(protocols[0]); i++)
			if (strcasecmp(name, protocols[i].name) == 0) {
				snprintf(out, 4, "%d", protocols[i].number);
				return 1;
			}
		return gg_error_set(err, -EINVAL,
				    "json: key 'protocol': '%.20s' is not a known protocol name "
				    "(tcp, udp, icmp, icmpv6, sctp, gre, esp, ah, igmp) or a number",
				    name);
	}
	rc = get_small_uint(v, "protocol", 255, &n, err);
	if (rc < 0)
		return rc;
	snprintf(out, 4, "%d", n);
	return 1;
}

static int get_id(json_t *obj, const char *line, size_t len, char out[96],
		  struct gg_error *err)
{
	json_t *v = field(obj, "id");
	unsigned char md[GG_SHA256_LEN];
	const char *s;
	int rc;

	if (v != NULL && json_is_integer(v)) {
		snprintf(out, 96, "%lld", (long long)json_integer_value(v));
		return 0;
	}
	if (v != NULL && !json_is_string(v))
		return gg_error_set(err, -EINVAL,
				    "json: key 'id' must be a string or an integer, got %s",
				    json_type_name(v));
	rc = get_string(obj, "id", &s, err);
	if (rc < 0)
		return rc;
	if (rc > 0) {
		if (strlen(s) >= 96)
			return gg_error_set(err, -EINVAL, "json: key 'id' is longer than 95 bytes");
		memcpy(out, s, strlen(s) + 1);
		return 0;
	}
	/* No id: derive one from the line, so the same line always gets the same IncidentID
	 * and a replayed line is recognisable downstream. */
	if (gg_sha256(line, len, md) != 0)
		return gg_error_set(err, -EIO, "json: SHA-256 failed");
	memcpy(out, "gg-", 3);
	gg_hex(md, 16, out + 3);
	return 0;
}

static int get_enum(json_t *obj, const char *key, const char *const *list, size_t n,
		    const char *deflt, const char **out, struct gg_error *err)
{
	const char *s;
	int rc = get_string(obj, key, &s, err), i;

	if (rc < 0)
		return rc;
	if (rc == 0) {
		*out = deflt;
		return 0;
	}
	i = lookup(s, list, n);
	if (i < 0)
		return gg_error_set(err, -EINVAL, "json: key '%s': '%.40s' is not an allowed value",
				    key, s);
	*out = list[i];
	return 0;
}

static int get_restriction(json_t *obj, const char **out, struct gg_error *err)
{
	const char *s;
	int rc = get_string(obj, "restriction", &s, err), i;

	if (rc < 0)
		return rc;
	*out = "private"; /* RFC 7970's default for Incident, written out explicitly */
	if (rc == 0)
		return 0;
	/* "TLP:AMBER" is how most tools write it; RFC 7970 has the colours as values. */
	i = lookup(strncasecmp(s, "tlp:", 4) == 0 ? s + 4 : s, restrictions,
		   sizeof(restrictions) / sizeof(restrictions[0]));
	if (i < 0 || (strncasecmp(s, "tlp:", 4) == 0 && i < 5))
		return gg_error_set(err, -EINVAL,
				    "json: key 'restriction': '%.40s' is not an RFC 7970 "
				    "restriction (default, public, partner, need-to-know, private, "
				    "white, green, amber, red, or TLP:<colour>)",
				    s);
	*out = restrictions[i];
	return 0;
}

static int get_impact(json_t *obj, struct fields *f, struct gg_error *err)
{
	static const char *const severities[] = { "low", "medium", "high", "info" };
	const char *s, *key = "category";
	int rc, i;

	rc = get_string(obj, "severity", &s, err);
	if (rc < 0)
		return rc;
	if (rc > 0) {
		i = lookup(s, severities, 4);
		if (i < 0)
			return gg_error_set(err, -EINVAL,
					    "json: key 'severity': '%.40s' is not one of low, "
					    "medium, high, info",
					    s);
		/* "info" has no RFC 7970 severity level: it adds nothing to the Assessment. */
		f->severity = i < 3 ? severities[i] : NULL;
		f->has_impact = f->severity != NULL;
	}
	if (field(obj, "category") == NULL)
		key = "type";
	rc = get_string(obj, key, &s, err);
	if (rc < 0)
		return rc;
	f->impact_type = "unknown";
	if (rc > 0) {
		i = lookup(s, systemimpact_types,
			   sizeof(systemimpact_types) / sizeof(systemimpact_types[0]));
		if (i >= 0) {
			f->impact_type = systemimpact_types[i];
		} else {
			f->impact_type = "ext-value";
			f->ext_type = s;
		}
		f->has_impact = 1;
	}
	return 0;
}

static int read_fields(json_t *obj, const char *line, size_t len, struct fields *f,
		       struct gg_error *err)
{
	int rc;

	f->src = (struct endpoint){ .key_ip = "src_ip", .key_port = "src_port",
				    .category = "source" };
	f->dst = (struct endpoint){ .key_ip = "dst_ip", .key_port = "dst_port",
				    .category = "target" };
	if ((rc = get_id(obj, line, len, f->id, err)) < 0 ||
	    (rc = get_time(obj, "time", f->detect, err)) < 0 ||
	    (rc = get_time(obj, "generated", f->generated, err)) < 0 ||
	    (rc = get_string(obj, "description", &f->description, err)) < 0 ||
	    (rc = get_impact(obj, f, err)) < 0 || (rc = get_endpoint(obj, &f->src, err)) < 0 ||
	    (rc = get_endpoint(obj, &f->dst, err)) < 0 ||
	    (rc = get_protocol(obj, f->protocol, err)) < 0 ||
	    (rc = get_enum(obj, "purpose", purposes, sizeof(purposes) / sizeof(purposes[0]),
			   "reporting", &f->purpose, err)) < 0 ||
	    (rc = get_restriction(obj, &f->restriction, err)) < 0)
		return rc;
	if (f->generated[0] == '\0')
		now_utc(f->generated);
	if (f->protocol[0] != '\0' && !f->src.has_ip && !f->dst.has_ip)
		return gg_error_set(err, -EINVAL,
				    "json: key 'protocol' given without 'src_ip' or 'dst_ip'");
	return 0;
}

static void add_system(struct gg_iodef_builder *b, xmlNodePtr flow, const struct endpoint *ep,
		       const char *protocol)
{
	xmlNodePtr sys, node, addr, svc;

	if (!ep->has_ip)
		return;
	sys = gg_iodef_add(b, flow, "System", NULL);
	gg_iodef_attr(b, sys, "category", ep->category);
	node = gg_iodef_add(b, sys, "Node", NULL);
	addr = gg_iodef_add(b, node, "Address", ep->ip);
	gg_iodef_attr(b, addr, "category", ep->addr_category);
	if (!ep->has_port && protocol[0] == '\0')
		return;
	svc = gg_iodef_add(b, sys, "Service", NULL);
	if (protocol[0] != '\0')
		gg_iodef_attr(b, svc, "ip-protocol", protocol);
	if (ep->has_port)
		gg_iodef_add(b, svc, "Port", ep->port);
}

/* Element order follows the xs:sequence of each class in iodef-2.0.xsd. */
static void build(struct gg_iodef_builder *b, const struct fields *f,
		  const struct gg_iodef_defaults *defaults, const char *line)
{
	xmlNodePtr root, inc, n, ev, flow, rd;

	root = gg_iodef_root(b);
	if (root == NULL)
		return;

	inc = gg_iodef_add(b, root, "Incident", NULL);
	gg_iodef_attr(b, inc, "purpose", f->purpose);
	gg_iodef_attr(b, inc, "restriction", f->restriction);
	n = gg_iodef_add(b, inc, "IncidentID", f->id);
	gg_iodef_attr(b, n, "name", defaults->csirt_name);
	if (f->detect[0] != '\0')
		gg_iodef_add(b, inc, "DetectTime", f->detect);
	gg_iodef_add(b, inc, "GenerationTime", f->generated);
	if (f->description != NULL)
		gg_iodef_add(b, inc, "Description", f->description);
	if (f->has_impact) {
		n = gg_iodef_add(b, gg_iodef_add(b, inc, "Assessment", NULL), "SystemImpact", NULL);
		if (f->severity != NULL)
			gg_iodef_attr(b, n, "severity", f->severity);
		gg_iodef_attr(b, n, "type", f->impact_type);
		if (f->ext_type != NULL)
			gg_iodef_attr(b, n, "ext-type", f->ext_type);
	}
	gg_iodef_creator(b, inc, defaults);

	ev = gg_iodef_add(b, inc, "EventData", NULL);
	if (f->src.has_ip || f->dst.has_ip) {
		flow = gg_iodef_add(b, ev, "Flow", NULL);
		add_system(b, flow, &f->src, f->protocol);
		add_system(b, flow, &f->dst, f->protocol);
	}
	rd = gg_iodef_add(b, gg_iodef_add(b, ev, "Record", NULL), "RecordData", NULL);
	n = gg_iodef_add(b, rd, "RecordItem", line);
	gg_iodef_attr(b, n, "dtype", "string");
}

static int check_defaults(const struct gg_iodef_defaults *d, struct gg_error *err)
{
	if (d == NULL || d->csirt_name == NULL || d->csirt_name[0] == '\0')
		return gg_error_set(err, -EINVAL, "iodef: no CSIRT name configured");
	if (gg_xml_text_prefix(d->csirt_name, strlen(d->csirt_name)) !=
	    strlen(d->csirt_name))
		return gg_error_set(err, -EINVAL, "iodef: CSIRT name is not XML-safe UTF-8");
	if (d->contact_email != NULL &&
	    gg_xml_text_prefix(d->contact_email, strlen(d->contact_email)) !=
		    strlen(d->contact_email))
		return gg_error_set(err, -EINVAL, "iodef: contact e-mail is not XML-safe UTF-8");
	return 0;
}

int gg_iodef_from_json(const char *json, size_t len, const struct gg_iodef_defaults *defaults,
		       xmlDocPtr *out, struct gg_error *err)
{
	struct fields f = { 0 };
	struct gg_iodef_builder b = { 0 };
	json_error_t jerr;
	json_t *obj;
	char *line;
	int rc;

	*out = NULL;
	rc = check_defaults(defaults, err);
	if (rc < 0)
		return rc;
	/* One NDJSON line: its line ending is framing, not content (and not hashed). */
	while (len > 0 && (json[len - 1] == '\n' || json[len - 1] == '\r'))
		len--;
	/* DECODE_ANY so a scalar line is named below rather than as a syntax error. */
	obj = json_loadb(json, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
	if (obj == NULL)
		return gg_error_set_at(err, -EINVAL, jerr.line, jerr.column,
				       "json: line %d, column %d: %s", jerr.line, jerr.column,
				       jerr.text);
	if (!json_is_object(obj)) {
		rc = gg_error_set(err, -EINVAL, "json: expected an object, got %s",
				  json_type_name(obj));
		json_decref(obj);
		return rc;
	}
	/* The line itself goes into RecordItem: jansson accepts U+FFFE/U+FFFF in strings,
	 * XML does not. */
	rc = check_text("(line)", json, len, err);
	if (rc == 0)
		rc = read_fields(obj, json, len, &f, err);
	if (rc < 0) {
		json_decref(obj);
		return rc;
	}
	line = malloc(len + 1);
	b.doc = xmlNewDoc(BAD_CAST "1.0");
	if (line == NULL || b.doc == NULL) {
		free(line);
		xmlFreeDoc(b.doc);
		json_decref(obj);
		return gg_error_set(err, -ENOMEM, "json: out of memory");
	}
	memcpy(line, json, len);
	line[len] = '\0';
	build(&b, &f, defaults, line);
	free(line);
	/* f points into obj's strings until the tree is built. */
	json_decref(obj);
	if (b.oom) {
		xmlFreeDoc(b.doc);
		return gg_error_set(err, -ENOMEM, "json: out of memory building the document");
	}
	*out = b.doc;
	return 0;
}
