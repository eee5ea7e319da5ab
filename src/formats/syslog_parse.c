/* syslog_parse.c: RFC 5424 and RFC 3164 messages into struct gg_syslog_msg, zero copy.
 * Every read is checked against the length: inputs are hostile and may hold NUL bytes. */
#include "formats/syslog_parse.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* RFC 5424 section 6: field lengths of the header. */
#define HOSTNAME_MAX 255
#define APP_NAME_MAX 48
#define PROCID_MAX 128
#define MSGID_MAX 32
#define SD_NAME_MAX 32
/* RFC 3164 says 32 for the TAG; real programs ("postfix/submission/smtpd") run longer, and a
 * longer token is still recognisably a tag when the ':' or '[' follows it. */
#define TAG_MAX 64

struct cur {
	const unsigned char *b;
	size_t len;
	size_t pos;
	struct gg_error *err;
};

static const char months[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
				    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

__attribute__((format(printf, 4, 5)))
static int fail(struct cur *c, int code, size_t off, const char *fmt, ...)
{
	char what[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return gg_error_set_at(c->err, code, 1, (int)(off < INT32_MAX ? off + 1 : INT32_MAX),
			       "syslog: byte %zu: %s", off, what);
}

static bool at_end(const struct cur *c)
{
	return c->pos >= c->len;
}

static int peek(const struct cur *c)
{
	return c->pos < c->len ? c->b[c->pos] : -1;
}

static bool is_digit(int ch)
{
	return ch >= '0' && ch <= '9';
}

/* PRINTUSASCII of RFC 5424: visible ASCII, no space. */
static bool is_print(int ch)
{
	return ch >= 33 && ch <= 126;
}

static struct gg_syslog_str slice(const struct cur *c, size_t from, size_t to)
{
	return (struct gg_syslog_str){ (const char *)c->b + from, to - from };
}

/* Exactly n digits into *v; the cursor moves only on success. */
static bool digits(struct cur *c, int n, int *v)
{
	int x = 0;

	if (c->len - c->pos < (size_t)n)
		return false;
	for (int i = 0; i < n; i++) {
		int ch = c->b[c->pos + (size_t)i];

		if (!is_digit(ch))
			return false;
		x = x * 10 + (ch - '0');
	}
	c->pos += (size_t)n;
	*v = x;
	return true;
}

static bool accept(struct cur *c, int ch)
{
	if (peek(c) != ch)
		return false;
	c->pos++;
	return true;
}

bool gg_syslog_utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while (i < len) {
		unsigned char b = p[i];
		size_t n;
		uint32_t cp, min;

		if (b < 0x80) {
			i++;
			continue;
		} else if ((b & 0xe0) == 0xc0) {
			n = 1, cp = b & 0x1f, min = 0x80;
		} else if ((b & 0xf0) == 0xe0) {
			n = 2, cp = b & 0x0f, min = 0x800;
		} else if ((b & 0xf8) == 0xf0) {
			n = 3, cp = b & 0x07, min = 0x10000;
		} else {
			return false;
		}
		if (len - i - 1 < n)
			return false;
		for (size_t k = 1; k <= n; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (p[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += n + 1;
	}
	return true;
}

static bool leap_year(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Without a year, 29 February has to be allowed: it may be this year's. */
static int days_in_month(const struct gg_syslog_time *t)
{
	static const int days[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (t->month == 2 && t->has_year && !leap_year(t->year))
		return 28;
	return days[t->month - 1];
}

/* "hh:mm:ss" with an optional fraction of up to max_frac digits (only the first six are
 * kept). */
static bool clock_time(struct cur *c, struct gg_syslog_time *t, int max_frac)
{
	if (!digits(c, 2, &t->hour) || !accept(c, ':') || !digits(c, 2, &t->min) ||
	    !accept(c, ':') || !digits(c, 2, &t->sec))
		return false;
	if (t->hour > 23 || t->min > 59 || t->sec > 60)
		return false;
	t->frac_us = 0;
	t->frac_digits = 0;
	if (accept(c, '.')) {
		int n = 0;

		while (is_digit(peek(c)) && n < max_frac) {
			if (n < 6) {
				t->frac_us = t->frac_us * 10 + (c->b[c->pos] - '0');
				t->frac_digits++;
			}
			c->pos++;
			n++;
		}
		if (n == 0 || is_digit(peek(c)))
			return false;
		for (int k = t->frac_digits; k < 6; k++)
			t->frac_us *= 10;
	}
	return true;
}

/* RFC 3339 as RFC 5424 section 6.2.3 restricts it (strict): uppercase T and Z, at most six
 * fraction digits, an offset with its colon. A 3164 header is no 5424 one, and what writes
 * ISO 8601 stamps into it (rsyslog, Go, Vector, Fluent Bit) may leave the offset out, write
 * it "+0200", or give nanoseconds (of which microseconds are kept, as for BSD stamps).
 * Returns the offset of the first bad byte, or SIZE_MAX when the stamp is good. */
static size_t rfc3339(struct cur *c, struct gg_syslog_time *t, bool strict)
{
	int oh, om;

	if (!digits(c, 4, &t->year) || !accept(c, '-') || !digits(c, 2, &t->month) ||
	    !accept(c, '-') || !digits(c, 2, &t->day))
		return c->pos;
	t->has_year = true;
	if (t->month < 1 || t->month > 12)
		return c->pos - 5;
	if (t->day < 1 || t->day > days_in_month(t))
		return c->pos - 2;
	if (!accept(c, 'T') || !clock_time(c, t, strict ? 6 : 9))
		return c->pos;
	if (accept(c, 'Z')) {
		t->has_offset = true;
		t->offset_minutes = 0;
	} else if (peek(c) == '+' || peek(c) == '-') {
		int sign = peek(c) == '-' ? -1 : 1;

		c->pos++;
		if (!digits(c, 2, &oh) || (!accept(c, ':') && strict) || !digits(c, 2, &om) ||
		    oh > 23 || om > 59)
			return c->pos;
		t->has_offset = true;
		t->offset_minutes = sign * (oh * 60 + om);
	} else if (strict) {
		return c->pos;
	}
	t->present = true;
	return SIZE_MAX;
}

/* "Mmm dd hh:mm:ss" (day space-padded or not), also with a year before the time as Cisco and
 * syslog-ng write it, and with a fraction as some daemons add. */
static bool bsd_time(struct cur *c, struct gg_syslog_time *t)
{
	int m;

	if (c->len - c->pos < 3)
		return false;
	for (m = 0; m < 12; m++)
		if (memcmp(c->b + c->pos, months[m], 3) == 0)
			break;
	if (m == 12)
		return false;
	c->pos += 3;
	t->month = m + 1;
	if (!accept(c, ' '))
		return false;
	if (accept(c, ' ')) {
		if (!digits(c, 1, &t->day))
			return false;
	} else if (!digits(c, 2, &t->day) && !digits(c, 1, &t->day)) {
		return false;
	}
	if (!accept(c, ' '))
		return false;
	if (c->len - c->pos >= 5 && c->b[c->pos + 4] == ' ' && digits(c, 4, &t->year)) {
		t->has_year = true;
		c->pos++;
	}
	if (t->day < 1 || t->day > days_in_month(t))
		return false;
	if (!clock_time(c, t, 9))
		return false;
	t->present = true;
	return true;
}

/* Bytes between '<' and '>' that still make a PRI's shape: "<99999>" or "<-1>" is a broken
 * PRI, "<html>" or "<13 x" is text. */
#define PRI_SHAPE_MAX 5

enum gg_syslog_pri_state gg_syslog_pri(const char *buf, size_t len, int *prival,
				       size_t *pri_len)
{
	const unsigned char *b = (const unsigned char *)buf;
	size_t p = 1;
	int v = 0;

	if (len == 0 || b[0] != '<')
		return GG_SYSLOG_PRI_MISSING;
	while (p < len && p <= PRI_SHAPE_MAX && (is_digit(b[p]) || b[p] == '-' || b[p] == '+'))
		p++;
	if (p >= len || b[p] != '>')
		return GG_SYSLOG_PRI_MISSING;
	*pri_len = p + 1;
	/* PRIVAL 0..191, one to three digits, no leading zero (RFC 5424 section 6.2.1). */
	if (p == 1 || p > 4 || (p > 2 && b[1] == '0'))
		return GG_SYSLOG_PRI_INVALID;
	for (size_t i = 1; i < p; i++) {
		if (!is_digit(b[i]))
			return GG_SYSLOG_PRI_INVALID;
		v = v * 10 + (b[i] - '0');
	}
	if (v > 191)
		return GG_SYSLOG_PRI_INVALID;
	*prival = v;
	return GG_SYSLOG_PRI_VALID;
}

/* ------------------------------------------------------------------ RFC 5424 */

/* A header field: "-" (absent) or 1..max PRINTUSASCII, then the SP that ends it. */
static int field(struct cur *c, const char *name, size_t max, struct gg_syslog_str *out)
{
	size_t start = c->pos;

	while (c->pos < c->len && is_print(c->b[c->pos]))
		c->pos++;
	if (c->pos == start)
		return fail(c, -EINVAL, c->pos, "%s expected", name);
	if (c->pos - start > max)
		return fail(c, -EINVAL, start, "%s longer than %zu bytes", name, max);
	if (at_end(c))
		return fail(c, -EINVAL, c->pos, "message ends after %s", name);
	if (c->b[c->pos] != ' ')
		return fail(c, -EINVAL, c->pos, "byte 0x%02x in %s", c->b[c->pos], name);
	if (c->pos - start == 1 && c->b[start] == '-')
		*out = (struct gg_syslog_str){ NULL, 0 };
	else
		*out = slice(c, start, c->pos);
	c->pos++;
	return 0;
}

static bool sd_name_char(int ch)
{
	return is_print(ch) && ch != '=' && ch != ']' && ch != '"';
}

static int sd_name(struct cur *c, const char *what, struct gg_syslog_str *out)
{
	size_t start = c->pos;

	while (c->pos < c->len && sd_name_char(c->b[c->pos]))
		c->pos++;
	if (c->pos == start) {
		if (at_end(c))
			return fail(c, -EINVAL, c->pos, "message ends where %s was expected", what);
		return fail(c, -EINVAL, c->pos, "byte 0x%02x where %s was expected",
			    c->b[c->pos], what);
	}
	if (c->pos - start > SD_NAME_MAX)
		return fail(c, -EINVAL, start, "%s longer than %d bytes", what, SD_NAME_MAX);
	*out = slice(c, start, c->pos);
	return 0;
}

struct scratch {
	char *buf;
	size_t size;
	size_t used;
};

/* PARAM-VALUE after its opening quote, up to and past the closing one. Only \" \\ \] are
 * escapes (RFC 5424 section 6.3.3); any other backslash stays, with what follows it. */
static int sd_value(struct cur *c, struct scratch *s, struct gg_syslog_sd_param *p)
{
	size_t start = c->pos, end, n = 0;
	bool escaped = false;

	for (;;) {
		if (at_end(c))
			return fail(c, -EINVAL, c->pos, "SD-PARAM value not closed");
		if (c->b[c->pos] == '"')
			break;
		if (c->b[c->pos] == '\\' && c->pos + 1 < c->len) {
			int nx = c->b[c->pos + 1];

			if (nx == '"' || nx == '\\' || nx == ']') {
				escaped = true;
				c->pos++;
			}
		}
		c->pos++;
		n++;
	}
	end = c->pos;
	c->pos++;
	if (!escaped) {
		p->value = slice(c, start, end);
	} else {
		char *dst;

		if (s->size - s->used < n)
			return fail(c, -ENOBUFS, start,
				    "scratch buffer too small for SD-PARAM values");
		dst = s->buf + s->used;
		for (size_t i = start, k = 0; i < end; i++) {
			int nx = i + 1 < end ? c->b[i + 1] : -1;

			if (c->b[i] == '\\' && (nx == '"' || nx == '\\' || nx == ']'))
				i++;
			dst[k++] = (char)c->b[i];
		}
		p->value = (struct gg_syslog_str){ dst, n };
		s->used += n;
	}
	p->value_utf8 = gg_syslog_utf8_valid(p->value.ptr, p->value.len);
	return 0;
}

static int sd_element(struct cur *c, const struct gg_syslog_limits *lim, struct scratch *s,
		      struct gg_syslog_msg *m)
{
	struct gg_syslog_sd_element *e;
	int rc;

	if (m->n_sd >= lim->max_sd_elements)
		return fail(c, -E2BIG, c->pos, "more than %zu SD elements", lim->max_sd_elements);
	e = &m->sd[m->n_sd];
	c->pos++; /* '[' */
	if ((rc = sd_name(c, "SD-ID", &e->id)) != 0)
		return rc;
	e->first_param = m->n_params;
	e->n_params = 0;
	for (;;) {
		struct gg_syslog_sd_param *p;

		if (accept(c, ']'))
			break;
		if (!accept(c, ' ')) {
			if (at_end(c))
				return fail(c, -EINVAL, c->pos, "SD element not closed");
			return fail(c, -EINVAL, c->pos, "byte 0x%02x in SD element",
				    c->b[c->pos]);
		}
		if (m->n_params >= lim->max_sd_params)
			return fail(c, -E2BIG, c->pos, "more than %zu SD params",
				    lim->max_sd_params);
		p = &m->params[m->n_params];
		if ((rc = sd_name(c, "PARAM-NAME", &p->name)) != 0)
			return rc;
		if (!accept(c, '=') || !accept(c, '"'))
			return fail(c, -EINVAL, c->pos, "'=\"' expected after PARAM-NAME");
		if ((rc = sd_value(c, s, p)) != 0)
			return rc;
		m->n_params++;
		e->n_params++;
	}
	m->n_sd++;
	return 0;
}

/* MSG from the cursor on. A UTF-8 BOM before it declares the text UTF-8 (RFC 5424 section
 * 6.4); 3164 senders that write one (after the TAG, or at a file's start) mean the same, and
 * it is no part of the text either way. */
static void set_msg(struct cur *c, struct gg_syslog_msg *m)
{
	static const unsigned char bom[3] = { 0xef, 0xbb, 0xbf };

	if (c->len - c->pos >= 3 && memcmp(c->b + c->pos, bom, 3) == 0) {
		m->msg_bom = true;
		c->pos += 3;
	}
	m->msg = slice(c, c->pos, c->len);
	m->msg_utf8 = gg_syslog_utf8_valid(m->msg.ptr, m->msg.len);
}

/* After "<PRI>1 ": TIMESTAMP SP HOSTNAME SP APP-NAME SP PROCID SP MSGID SP SD [SP MSG]. */
static int parse_5424(struct cur *c, const struct gg_syslog_limits *lim, struct scratch *s,
		      struct gg_syslog_msg *m)
{
	size_t bad;
	int rc;

	m->format = GG_SYSLOG_5424;
	m->version = 1;
	if (accept(c, '-')) {
		m->ts.present = false;
	} else if ((bad = rfc3339(c, &m->ts, true)) != SIZE_MAX) {
		m->ts = (struct gg_syslog_time){ 0 };
		return fail(c, -EINVAL, bad, "bad TIMESTAMP");
	}
	if (!accept(c, ' '))
		return fail(c, -EINVAL, c->pos, "SP expected after TIMESTAMP");
	if ((rc = field(c, "HOSTNAME", HOSTNAME_MAX, &m->hostname)) != 0 ||
	    (rc = field(c, "APP-NAME", APP_NAME_MAX, &m->app_name)) != 0 ||
	    (rc = field(c, "PROCID", PROCID_MAX, &m->procid)) != 0 ||
	    (rc = field(c, "MSGID", MSGID_MAX, &m->msgid)) != 0)
		return rc;
	if (accept(c, '-')) {
		/* NILVALUE */
	} else if (peek(c) == '[') {
		while (peek(c) == '[')
			if ((rc = sd_element(c, lim, s, m)) != 0)
				return rc;
	} else if (at_end(c)) {
		return fail(c, -EINVAL, c->pos, "message ends where STRUCTURED-DATA was expected");
	} else {
		return fail(c, -EINVAL, c->pos, "byte 0x%02x where STRUCTURED-DATA was expected",
			    c->b[c->pos]);
	}
	if (!at_end(c) && !accept(c, ' '))
		return fail(c, -EINVAL, c->pos, "SP expected after STRUCTURED-DATA");
	set_msg(c, m);
	return 0;
}

/* ------------------------------------------------------------------ RFC 3164 */

/* A HOSTNAME, unless the token is plainly the TAG of a message sent without one
 * ("Jan 11 22:33:44 su: ..."), which many local senders do. */
static void bsd_hostname(struct cur *c, struct gg_syslog_msg *m)
{
	size_t start = c->pos, p = c->pos;

	while (p < c->len && c->b[p] != ' ') {
		if (!is_print(c->b[p]) || c->b[p] == '[')
			return;
		p++;
	}
	if (p == start || p - start > HOSTNAME_MAX || c->b[p - 1] == ':')
		return;
	m->hostname = slice(c, start, p);
	c->pos = p;
	accept(c, ' ');
}

static bool tag_char(int ch)
{
	return is_print(ch) && ch != '[' && ch != ']' && ch != ':';
}

/* TAG[pid]: or TAG: at the start of MSG, taken only in those shapes so that content such as
 * "Use the BFG!" is not mistaken for a program name. One SP after it belongs to the TAG. */
static void bsd_tag(struct cur *c, struct gg_syslog_msg *m)
{
	size_t start = c->pos, p = c->pos, ps = 0, pe = 0;

	while (p < c->len && tag_char(c->b[p]) && p - start < TAG_MAX)
		p++;
	if (p == start || p >= c->len)
		return;
	if (c->b[p] == '[') {
		ps = ++p;
		while (p < c->len && tag_char(c->b[p]) && p - ps < PROCID_MAX)
			p++;
		if (p == ps || p >= c->len || c->b[p] != ']')
			return;
		pe = p++;
		if (p < c->len && c->b[p] == ':')
			p++;
		else if (p < c->len && c->b[p] != ' ')
			return;
	} else if (c->b[p] == ':') {
		p++;
	} else {
		return;
	}
	m->app_name = slice(c, start, ps ? ps - 1 : p - 1);
	if (ps)
		m->procid = slice(c, ps, pe);
	c->pos = p;
	accept(c, ' ');
}

static void parse_3164(struct cur *c, struct gg_syslog_msg *m)
{
	size_t mark = c->pos;

	m->format = GG_SYSLOG_3164;
	m->version = 0;
	if (rfc3339(c, &m->ts, false) != SIZE_MAX || (!at_end(c) && peek(c) != ' ')) {
		m->ts = (struct gg_syslog_time){ 0 };
		c->pos = mark;
		if (!bsd_time(c, &m->ts) || (!at_end(c) && peek(c) != ' ')) {
			if (!m->pri_valid) {
				/* No PRI and no stamp: not a syslog line, all of it is text. */
				m->ts = (struct gg_syslog_time){ 0 };
				c->pos = mark;
				set_msg(c, m);
				return;
			}
			/* Section 4.3.2: no valid TIMESTAMP, so the relay would add its own
			 * and a HOSTNAME, and what follows the PRI is the MSG. */
			m->ts = (struct gg_syslog_time){ 0 };
			c->pos = mark;
			bsd_tag(c, m);
			set_msg(c, m);
			return;
		}
	}
	accept(c, ' ');
	bsd_hostname(c, m);
	bsd_tag(c, m);
	set_msg(c, m);
}

/* ------------------------------------------------------------------ entry */

static void reset(struct gg_syslog_msg *m)
{
	/* The arrays are filled as far as n_sd and n_params say; clearing them would cost 8 KiB
	 * of stores per message. */
	m->format = GG_SYSLOG_3164;
	m->pri_valid = false;
	m->facility = 1;
	m->severity = 5;
	m->version = 0;
	m->ts = (struct gg_syslog_time){ 0 };
	m->hostname = m->app_name = m->procid = m->msgid = (struct gg_syslog_str){ NULL, 0 };
	m->n_sd = 0;
	m->n_params = 0;
	m->msg = (struct gg_syslog_str){ NULL, 0 };
	m->msg_bom = false;
	m->msg_utf8 = false;
}

int gg_syslog_parse(const char *buf, size_t len, const struct gg_syslog_limits *limits,
		    char *scratch, size_t scratch_size, struct gg_syslog_msg *out,
		    struct gg_error *err)
{
	struct gg_syslog_limits lim = { GG_SYSLOG_DEFAULT_MAX_SIZE, GG_SYSLOG_MAX_SD_ELEMENTS,
					GG_SYSLOG_MAX_SD_PARAMS };
	struct cur c = { (const unsigned char *)buf, len, 0, err };
	struct scratch s = { scratch, scratch != NULL ? scratch_size : 0, 0 };
	size_t pri_len = 0;
	int prival = 0, rc;

	reset(out);
	if (buf == NULL) {
		/* An empty message has no PRI: it becomes an empty 3164 MSG like any other. */
		c.b = (const unsigned char *)"";
		c.len = len = 0;
	}
	if (limits != NULL) {
		lim = *limits;
		if (lim.max_sd_elements > GG_SYSLOG_MAX_SD_ELEMENTS)
			lim.max_sd_elements = GG_SYSLOG_MAX_SD_ELEMENTS;
		if (lim.max_sd_params > GG_SYSLOG_MAX_SD_PARAMS)
			lim.max_sd_params = GG_SYSLOG_MAX_SD_PARAMS;
	}
	if (len > lim.max_size)
		return fail(&c, -EMSGSIZE, lim.max_size, "message longer than %zu bytes",
			    lim.max_size);
	switch (gg_syslog_pri((const char *)c.b, c.len, &prival, &pri_len)) {
	case GG_SYSLOG_PRI_VALID:
		out->pri_valid = true;
		out->facility = prival >> 3;
		out->severity = prival & 7;
		c.pos = pri_len;
		break;
	case GG_SYSLOG_PRI_INVALID:
		/* Section 4.3.3 treats it as no PRI; what it claimed is no part of the message. */
		c.pos = pri_len;
		break;
	case GG_SYSLOG_PRI_MISSING:
		break;
	}
	if (out->pri_valid && c.len - c.pos >= 2 && c.b[c.pos] == '1' && c.b[c.pos + 1] == ' ') {
		c.pos += 2;
		rc = parse_5424(&c, &lim, &s, out);
		if (rc != 0) {
			int f = out->facility, sv = out->severity;

			/* Nothing half-parsed may be used by mistake; the PRI stays, since the
			 * caller may still want to count by facility. */
			reset(out);
			out->format = GG_SYSLOG_5424;
			out->pri_valid = true;
			out->facility = f;
			out->severity = sv;
		}
		return rc;
	}
	parse_3164(&c, out);
	return 0;
}

bool gg_syslog_msg_empty(const struct gg_syslog_msg *m)
{
	static const char blank[] = " \t\r\n";

	if (m->n_sd > 0 || m->msgid.ptr != NULL)
		return false;
	for (size_t i = 0; i < m->msg.len; i++)
		if (m->msg.ptr[i] != '\0' && strchr(blank, m->msg.ptr[i]) == NULL)
			return false;
	return true;
}
