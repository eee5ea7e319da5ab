/* map_transform.c: the value transforms of mapping files (lower, default, lookup, scale,
 * protocol...) and the recognisers the IODEF slots use (timestamps, IP addresses). Pure. */
#include "map_internal.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "iodef_build.h"

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

/* ------------------------------------------------------------------ time */

static const char months[12][4] = { "jan", "feb", "mar", "apr", "may", "jun",
				    "jul", "aug", "sep", "oct", "nov", "dec" };

struct stamp {
	int year, month, day, hour, min, sec;
	int frac, frac_digits; /* up to 6 digits, as written */
	bool has_year, has_offset;
	int offset; /* minutes east of UTC */
};

/* Reads exactly n digits. */
static bool num(const char **p, int n, int *v)
{
	*v = 0;
	for (int i = 0; i < n; i++) {
		if ((*p)[i] < '0' || (*p)[i] > '9')
			return false;
		*v = *v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	return true;
}

/* 1 or 2 digits. */
static bool num12(const char **p, int *v)
{
	if (!num(p, 1, v))
		return false;
	if (**p >= '0' && **p <= '9') {
		*v = *v * 10 + (**p - '0');
		(*p)++;
	}
	return true;
}

static bool month_name(const char **p, int *m)
{
	for (int i = 0; i < 12; i++)
		if (strncasecmp(*p, months[i], 3) == 0) {
			*m = i + 1;
			*p += 3;
			return true;
		}
	return false;
}

/* hh:mm:ss[.frac] */
static bool clock_part(const char **p, struct stamp *t)
{
	if (!num(p, 2, &t->hour) || *(*p)++ != ':' || !num(p, 2, &t->min) || *(*p)++ != ':' ||
	    !num(p, 2, &t->sec))
		return false;
	if (**p == '.' || **p == ',') {
		(*p)++;
		t->frac = 0;
		t->frac_digits = 0;
		while (**p >= '0' && **p <= '9') {
			if (t->frac_digits < 6) {
				t->frac = t->frac * 10 + (**p - '0');
				t->frac_digits++;
			}
			(*p)++;
		}
		if (t->frac_digits == 0)
			return false;
	}
	return true;
}

/* Z, +hh:mm, +hhmm, +hh, or nothing. */
static bool offset_part(const char **p, struct stamp *t)
{
	int h, m = 0, sign;

	if (**p == 'Z' || **p == 'z') {
		(*p)++;
		t->has_offset = true;
		t->offset = 0;
		return true;
	}
	if (**p != '+' && **p != '-')
		return true;
	sign = **p == '-' ? -1 : 1;
	(*p)++;
	if (!num(p, 2, &h))
		return false;
	if (**p == ':')
		(*p)++;
	if (**p >= '0' && **p <= '9' && !num(p, 2, &m))
		return false;
	if (h > 14 || m > 59)
		return false;
	t->has_offset = true;
	t->offset = sign * (h * 60 + m);
	return true;
}

/* The formats docs/mappings.md lists, tried in turn. */
static bool parse_stamp(const char *s, struct stamp *t)
{
	const char *p = s;

	memset(t, 0, sizeof(*t));
	while (*p == ' ')
		p++;
	/* Epoch seconds (10 digits) or milliseconds (13 digits), as CEF's rt may be. */
	{
		size_t n = strspn(p, "0123456789");

		if ((n == 10 || n == 13) && p[n] == '\0') {
			long long e = strtoll(p, NULL, 10);
			time_t secs = (time_t)(n == 13 ? e / 1000 : e);
			struct tm tm;

			if (gmtime_r(&secs, &tm) == NULL)
				return false;
			*t = (struct stamp){ tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
					     tm.tm_hour, tm.tm_min, tm.tm_sec,
					     n == 13 ? (int)(e % 1000) : 0, n == 13 ? 3 : 0,
					     true, true, 0 };
			return true;
		}
	}
	/* ISO 8601 / RFC 3339: 2021-03-06T20:26:49.276834+0000, 2021-03-06 20:26:49 */
	if (num(&p, 4, &t->year) && *p == '-') {
		p++;
		if (!num(&p, 2, &t->month) || *p++ != '-' || !num(&p, 2, &t->day) ||
		    (*p != 'T' && *p != 't' && *p != ' '))
			return false;
		p++;
		t->has_year = true;
		if (!clock_part(&p, t) || !offset_part(&p, t))
			return false;
		return *p == '\0';
	}
	p = s;
	while (*p == ' ')
		p++;
	/* MM/DD/YYYY-hh:mm:ss.frac (Suricata fast.log, Snort -y), MM/DD-hh:mm:ss.frac (Snort). */
	if (num12(&p, &t->month) && *p == '/') {
		p++;
		if (!num12(&p, &t->day))
			return false;
		if (*p == '/') {
			p++;
			if (!num(&p, 4, &t->year))
				return false;
			t->has_year = true;
		}
		if (*p != '-' && *p != ' ')
			return false;
		p++;
		if (!clock_part(&p, t) || !offset_part(&p, t))
			return false;
		return *p == '\0';
	}
	p = s;
	while (*p == ' ')
		p++;
	/* Mmm [D]D [YYYY] hh:mm:ss[.frac] (RFC 3164, Cisco ASA, CEF rt "MMM dd yyyy HH:mm:ss"). */
	if (month_name(&p, &t->month)) {
		while (*p == ' ')
			p++;
		if (!num12(&p, &t->day) || *p++ != ' ')
			return false;
		if (p[0] >= '0' && p[0] <= '9' && p[1] >= '0' && p[1] <= '9' && p[2] != ':') {
			if (!num(&p, 4, &t->year) || *p++ != ' ')
				return false;
			t->has_year = true;
		}
		if (!clock_part(&p, t))
			return false;
		while (*p == ' ')
			p++;
		if (!offset_part(&p, t))
			return false;
		/* "UTC" as the ASA writes with "logging timestamp". */
		if (strcmp(p, "UTC") == 0 || strcmp(p, "GMT") == 0) {
			t->has_offset = true;
			t->offset = 0;
			p += 3;
		}
		return *p == '\0';
	}
	return false;
}

static time_t stamp_utc(const struct stamp *t, int year)
{
	struct tm tm = { .tm_year = year - 1900, .tm_mon = t->month - 1, .tm_mday = t->day,
			 .tm_hour = t->hour, .tm_min = t->min, .tm_sec = t->sec > 59 ? 59 : t->sec };

	return timegm(&tm);
}

int gg_time_to_xs(const char *s, int tz_minutes, time_t now, char *out, size_t size)
{
	struct stamp t;
	int y, n, off;

	if (!parse_stamp(s, &t) || t.month < 1 || t.month > 12 || t.hour > 23 || t.min > 59 ||
	    t.sec > 60 || t.day < 1)
		return -1;
	if (!t.has_offset) {
		t.offset = tz_minutes;
		t.has_offset = true;
	}
	if (t.has_year) {
		y = t.year;
	} else {
		/* Yearless stamps (RFC 3164, Snort): the latest of next, this and last year that
		 * does not put the stamp more than a day past the receive time, so Dec 31 read on
		 * Jan 1 is last year's; the day of slack covers clocks ahead and zones. */
		struct tm now_tm;
		int cur;

		gmtime_r(&now, &now_tm);
		cur = now_tm.tm_year + 1900;
		for (y = cur + 1; y >= cur - 1; y--)
			if (t.day <= gg_days_in_month(y, t.month) &&
			    stamp_utc(&t, y) - t.offset * 60 <= now + 24 * 60 * 60)
				break;
		if (y < cur - 1)
			return -1;
	}
	if (y < 1 || y > 9999 || t.day > gg_days_in_month(y, t.month))
		return -1;
	/* xs:dateTime has no leap second: 23:59:60 is written as :59. */
	n = snprintf(out, size, "%04d-%02d-%02dT%02d:%02d:%02d", y, t.month, t.day, t.hour,
		     t.min, t.sec > 59 ? 59 : t.sec);
	if (t.frac_digits > 0)
		n += snprintf(out + n, size - (size_t)n, ".%0*d", t.frac_digits, t.frac);
	off = t.offset < 0 ? -t.offset : t.offset;
	if (t.offset == 0)
		snprintf(out + n, size - (size_t)n, "Z");
	else
		snprintf(out + n, size - (size_t)n, "%c%02d:%02d", t.offset < 0 ? '-' : '+',
			 off / 60, off % 60);
	return 0;
}
