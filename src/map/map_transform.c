/* map_transform.c: the value transforms of mapping files (lower, default, lookup, scale,
 * protocol...) and the address recogniser the IODEF slots use (timestamps: timestamp.c). Pure. */
#include "map/map_internal.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Severity scales of the sources the shipped mappings read, to IODEF's low/medium/high. Each
 * row lists the smallest value that is medium and the smallest that is high; "inverted"
 * scales count down (syslog 0 is the worst). */
struct scale {
	const char *name;
	long min, max;
	long medium, high;
	bool inverted;
};

static const struct scale scales[] = {
	/* RFC 5424 severity 0-7: emerg..err high, warning medium, notice..debug low. */
	{ "syslog", 0, 7, 4, 3, true },
	/* ArcSight CEF 0-10: Low 0-3, Medium 4-6, High 7-8, Very-High 9-10. */
	{ "cef", 0, 10, 4, 7, false },
	/* QRadar LEEF sev 1-10, read like CEF's bands. */
	{ "leef", 0, 10, 4, 7, false },
	/* Suricata and Snort priority 1-4 (1 most severe); 4 and above are low. */
	{ "priority", 1, 255, 2, 1, true },
	/* Cisco ASA message levels are syslog levels. */
	{ "asa", 0, 7, 4, 3, true },
};

int gg_scale_index(const char *name)
{
	for (size_t i = 0; i < sizeof(scales) / sizeof(scales[0]); i++)
		if (strcmp(scales[i].name, name) == 0)
			return (int)i;
	return -1;
}

static char *scale_value(const struct scale *s, const char *in, const char **why)
{
	char *end;
	long v = strtol(in, &end, 10);
	const char *out;

	while (*end == ' ')
		end++;
	if (end == in || *end != '\0' || v < s->min || v > s->max) {
		*why = "not a number on the scale";
		return NULL;
	}
	if (s->inverted)
		out = v <= s->high ? "high" : v <= s->medium ? "medium" : "low";
	else
		out = v >= s->high ? "high" : v >= s->medium ? "medium" : "low";
	return strdup(out);
}

static const struct {
	const char *name;
	int number;
} protocols[] = {
	/* IANA Assigned Internet Protocol Numbers, the ones logs name. */
	{ "icmp", 1 }, { "igmp", 2 }, { "ipip", 4 }, { "ipv4", 4 }, { "tcp", 6 }, { "egp", 8 },
	{ "udp", 17 }, { "ipv6", 41 }, { "rsvp", 46 }, { "gre", 47 }, { "esp", 50 },
	{ "ah", 51 }, { "icmpv6", 58 }, { "ipv6-icmp", 58 }, { "icmp6", 58 }, { "eigrp", 88 },
	{ "ospf", 89 }, { "pim", 103 }, { "vrrp", 112 }, { "l2tp", 115 }, { "sctp", 132 },
	{ "udplite", 136 },
};

int gg_protocol_number(const char *s)
{
	char *end;
	long v;

	if (s[0] >= '0' && s[0] <= '9') {
		v = strtol(s, &end, 10);
		return *end == '\0' && v <= 255 ? (int)v : -1;
	}
	for (size_t i = 0; i < sizeof(protocols) / sizeof(protocols[0]); i++)
		if (strcasecmp(protocols[i].name, s) == 0)
			return protocols[i].number;
	return -1;
}

static char *lookup(const struct gg_map_table *t, const char *in, const char **why)
{
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->keys[i], in) == 0)
			return strdup(t->values[i]);
	if (t->fallback != NULL)
		return strdup(t->fallback);
	*why = "no row in the lookup table";
	return NULL;
}

char *gg_xform_apply(const struct gg_xform *x, const char *in, const char **why)
{
	char *out;
	size_t len;

	if (in == NULL) {
		if (x->kind == GG_X_DEFAULT)
			return strdup(x->arg);
		*why = "missing";
		return NULL;
	}
	switch (x->kind) {
	case GG_X_LOWER:
	case GG_X_UPPER:
		out = strdup(in);
		for (char *p = out; p != NULL && *p != '\0'; p++)
			*p = (char)(x->kind == GG_X_LOWER ? tolower((unsigned char)*p)
							  : toupper((unsigned char)*p));
		return out;
	case GG_X_TRIM:
		while (*in == ' ' || *in == '\t')
			in++;
		len = strlen(in);
		while (len > 0 && (in[len - 1] == ' ' || in[len - 1] == '\t'))
			len--;
		return strndup(in, len);
	case GG_X_DEFAULT:
		return strdup(in[0] != '\0' ? in : x->arg);
	case GG_X_LOOKUP:
		return lookup(x->table, in, why);
	case GG_X_SCALE:
		return scale_value(&scales[x->scale], in, why);
	case GG_X_PROTOCOL: {
		char num[16];
		int n = gg_protocol_number(in);

		if (n < 0) {
			*why = "not a protocol name or number";
			return NULL;
		}
		snprintf(num, sizeof(num), "%d", n);
		return strdup(num);
	}
	}
	*why = "unknown transform";
	return NULL;
}

/* ------------------------------------------------------------------ addresses */

const char *gg_address_category(const char *s)
{
	unsigned char buf[16];
	char host[64];
	const char *slash = strchr(s, '/');
	size_t hlen = slash != NULL ? (size_t)(slash - s) : strlen(s);
	int v6;

	if (hlen == 0 || hlen >= sizeof(host))
		return NULL;
	memcpy(host, s, hlen);
	host[hlen] = '\0';
	if (inet_pton(AF_INET, host, buf) == 1)
		v6 = 0;
	else if (inet_pton(AF_INET6, host, buf) == 1)
		v6 = 1;
	else
		return NULL;
	if (slash != NULL) {
		char *end;
		long bits = strtol(slash + 1, &end, 10);

		if (slash[1] < '0' || slash[1] > '9' || *end != '\0' || bits > (v6 ? 128 : 32))
			return NULL;
		return v6 ? "ipv6-net" : "ipv4-net";
	}
	return v6 ? "ipv6-addr" : "ipv4-addr";
}
