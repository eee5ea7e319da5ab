/* timestamp.c: the timestamps log records carry (RFC 3339, RFC 3164, Cisco, Suricata, Snort,
 * epoch) as xs:dateTime, with the zone and year rules every producer of IODEF times shares:
 * the mappings' time slots and the generic syslog incident. */
#include "formats/timestamp.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "formats/syslog_parse.h"

int gg_days_in_month(int y, int m)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : days[m - 1];
}

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
	/* xs:dateTime zones reach +/-14:00, no further. */
	if (m > 59 || h * 60 + m > 14 * 60)
		return false;
	t->has_offset = true;
	t->offset = sign * (h * 60 + m);
	return true;
}

/* The formats docs/mappings.md lists, tried in turn. */
static bool parse_stamp(const char *s, struct stamp *t)
{
	const char *p;

	memset(t, 0, sizeof(*t));
	/* Each format is tried from the first non-blank. */
	s += strspn(s, " ");
	p = s;
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

int gg_syslog_time_text(const struct gg_syslog_time *t, char *out, size_t size)
{
	static const char names[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	int n;

	if (!t->present || t->month < 1 || t->month > 12)
		return -1;
	if (t->has_year)
		n = snprintf(out, size, "%04d-%02d-%02dT%02d:%02d:%02d", t->year, t->month, t->day,
			     t->hour, t->min, t->sec);
	else
		n = snprintf(out, size, "%s %2d %02d:%02d:%02d", names[t->month - 1], t->day,
			     t->hour, t->min, t->sec);
	if (t->frac_digits > 0) {
		int frac = t->frac_us;

		for (int d = 6; d > t->frac_digits; d--)
			frac /= 10;
		n += snprintf(out + n, size - (size_t)n, ".%0*d", t->frac_digits, frac);
	}
	if (t->has_offset) {
		int off = t->offset_minutes < 0 ? -t->offset_minutes : t->offset_minutes;

		snprintf(out + n, size - (size_t)n, "%c%02d:%02d", t->offset_minutes < 0 ? '-' : '+',
			 off / 60, off % 60);
	}
	return 0;
}
