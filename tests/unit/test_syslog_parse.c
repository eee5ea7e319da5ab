/* test_syslog_parse.c: the syslog message parser on real lines (RFC examples, loghub, logstash
 * specs, util-linux logger) and on hostile ones (NUL, bad UTF-8, every truncation). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "formats/syslog_parse.h"
#include "test_util.h"

/* ------------------------------------------------------------------ helpers */

/* Line n (0-based) of a file's text, without LF or CRLF, copied into its own buffer of exactly
 * that size so that ASan sees any read past its end. */
static char *line_of(const char *text, size_t len, int n, size_t *out_len)
{
	const char *p = text, *end = text + len, *nl;
	char *copy;
	size_t l;

	for (; n > 0; n--) {
		nl = memchr(p, '\n', (size_t)(end - p));
		assert_non_null(nl);
		p = nl + 1;
	}
	nl = memchr(p, '\n', (size_t)(end - p));
	l = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
	if (l > 0 && p[l - 1] == '\r')
		l--;
	copy = malloc(l > 0 ? l : 1);
	assert_non_null(copy);
	memcpy(copy, p, l);
	*out_len = l;
	return copy;
}

static int count_lines(const char *text, size_t len)
{
	int n = 0;

	for (size_t i = 0; i < len; i++)
		n += text[i] == '\n';
	return n;
}

#define assert_str(s, expect) assert_str_at((s), (expect), __FILE__, __LINE__)
static void assert_str_at(struct gg_syslog_str s, const char *expect, const char *file, int line)
{
	size_t n = strlen(expect);

	if (s.ptr == NULL)
		_fail(file, line);
	if (s.len != n || memcmp(s.ptr, expect, n) != 0) {
		print_error("got \"%.*s\", want \"%s\"\n", (int)s.len, s.ptr, expect);
		_fail(file, line);
	}
}

#define assert_absent(s) assert_null((s).ptr)

struct parsed {
	struct gg_syslog_msg m;
	struct gg_error err;
	char scratch[4096];
	int rc;
};

static struct parsed *parse_n(const char *buf, size_t len)
{
	struct parsed *p = calloc(1, sizeof(*p));

	assert_non_null(p);
	assert_true(len <= sizeof(p->scratch));
	p->rc = gg_syslog_parse(buf, len, NULL, p->scratch, sizeof(p->scratch), &p->m, &p->err);
	return p;
}

static struct parsed *parse_s(const char *s)
{
	return parse_n(s, strlen(s));
}

/* Every slice a successful parse returns lies inside the input or the scratch buffer. */
static void assert_inside(const struct parsed *p, const char *buf, size_t len)
{
	const struct gg_syslog_msg *m = &p->m;
	const struct gg_syslog_str *all[] = { &m->hostname, &m->app_name, &m->procid, &m->msgid,
					      &m->msg };

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (all[i]->ptr != NULL)
			assert_true(all[i]->ptr >= buf && all[i]->ptr + all[i]->len <= buf + len);
	for (size_t i = 0; i < m->n_params; i++) {
		const struct gg_syslog_str *v = &m->params[i].value;
		int in_buf = v->ptr >= buf && v->ptr + v->len <= buf + len;
		int in_scratch = v->ptr >= p->scratch &&
				 v->ptr + v->len <= p->scratch + sizeof(p->scratch);

		assert_true(in_buf || in_scratch);
	}
}

/* ------------------------------------------------------------------ RFC 5424 */

static void test_rfc5424_examples(void **state)
{
	size_t len, l;
	char *text = gg_test_read_data("syslog/rfc5424-s6.5-examples.log", &len);
	char *line;
	struct parsed *p;

	/* Example 1: no STRUCTURED-DATA, MSG with BOM. */
	line = line_of(text, len, 0, &l);
	p = parse_n(line, l);
	assert_int_equal(p->rc, 0);
	assert_int_equal(p->m.format, GG_SYSLOG_5424);
	assert_int_equal(p->m.facility, 4);
	assert_int_equal(p->m.severity, 2);
	assert_int_equal(p->m.version, 1);
	assert_true(p->m.ts.present && p->m.ts.has_year && p->m.ts.has_offset);
	assert_int_equal(p->m.ts.year, 2003);
	assert_int_equal(p->m.ts.month, 10);
	assert_int_equal(p->m.ts.day, 11);
	assert_int_equal(p->m.ts.hour, 22);
	assert_int_equal(p->m.ts.min, 14);
	assert_int_equal(p->m.ts.sec, 15);
	assert_int_equal(p->m.ts.frac_us, 3000);
	assert_int_equal(p->m.ts.frac_digits, 3);
	assert_int_equal(p->m.ts.offset_minutes, 0);
	assert_str(p->m.hostname, "mymachine.example.com");
	assert_str(p->m.app_name, "su");
	assert_absent(p->m.procid);
	assert_str(p->m.msgid, "ID47");
	assert_int_equal(p->m.n_sd, 0);
	assert_true(p->m.msg_bom);
	assert_true(p->m.msg_utf8);
	assert_str(p->m.msg, "'su root' failed for lonvick on /dev/pts/8");
	free(p);
	free(line);

	/* Example 2: microseconds, negative offset, no BOM: MSG of unknown encoding. */
	line = line_of(text, len, 1, &l);
	p = parse_n(line, l);
	assert_int_equal(p->rc, 0);
	assert_int_equal(p->m.facility, 20);
	assert_int_equal(p->m.severity, 5);
	assert_int_equal(p->m.ts.frac_us, 3);
	assert_int_equal(p->m.ts.frac_digits, 6);
	assert_int_equal(p->m.ts.offset_minutes, -420);
	assert_str(p->m.hostname, "192.0.2.1");
	assert_str(p->m.app_name, "myproc");
	assert_str(p->m.procid, "8710");
	assert_absent(p->m.msgid);
	assert_false(p->m.msg_bom);
	assert_str(p->m.msg, "%% It's time to make the do-nuts.");
	free(p);
	free(line);

	/* Example 3: one SD element with three params, then a MSG. */
	line = line_of(text, len, 2, &l);
	p = parse_n(line, l);
	assert_int_equal(p->rc, 0);
	assert_int_equal(p->m.n_sd, 1);
	assert_str(p->m.sd[0].id, "exampleSDID@32473");
	assert_int_equal(p->m.sd[0].first_param, 0);
	assert_int_equal(p->m.sd[0].n_params, 3);
	assert_str(p->m.params[0].name, "iut");
	assert_str(p->m.params[0].value, "3");
	assert_str(p->m.params[1].name, "eventSource");
	assert_str(p->m.params[1].value, "Application");
	assert_str(p->m.params[2].name, "eventID");
	assert_str(p->m.params[2].value, "1011");
	assert_true(p->m.params[2].value_utf8);
	/* No escapes: values point into the input, not the scratch buffer. */
	assert_true(p->m.params[1].value.ptr > line && p->m.params[1].value.ptr < line + l);
	assert_true(p->m.msg_bom);
	assert_str(p->m.msg, "An application event log entry...");
	free(p);
	free(line);

	/* Example 4: two SD elements and no MSG at all. */
	line = line_of(text, len, 3, &l);
	p = parse_n(line, l);
	assert_int_equal(p->rc, 0);
	assert_int_equal(p->m.n_sd, 2);
	assert_str(p->m.sd[1].id, "examplePriority@32473");
	assert_int_equal(p->m.sd[1].first_param, 3);
	assert_int_equal(p->m.sd[1].n_params, 1);
	assert_str(p->m.params[3].name, "class");
	assert_str(p->m.params[3].value, "high");
	assert_non_null(p->m.msg.ptr);
	assert_int_equal(p->m.msg.len, 0);
	free(p);
	free(line);
	free(text);
}

/* What util-linux logger 2.38.1 put on the wire, framing LF removed. */
static void test_logger_rfc5424(void **state)
{
	size_t len;
	char *text = gg_test_read_data("syslog/logger-rfc5424-tcp.bin", &len);
	struct parsed *p;

	assert_true(len > 0 && text[len - 1] == '\n');
	p = parse_n(text, len - 1);
	assert_int_equal(p->rc, 0);
	assert_int_equal(p->m.facility, 4);
	assert_int_equal(p->m.severity, 4);
	assert_int_equal(p->m.ts.frac_digits, 6);
	assert_true(p->m.ts.has_offset);
	assert_str(p->m.app_name, "gridgate");
	assert_int_equal(p->m.n_sd, 2);
	assert_str(p->m.sd[0].id, "timeQuality");
	assert_str(p->m.params[0].name, "tzKnown");
	assert_str(p->m.sd[1].id, "exampleSDID@32473");
	assert_str(p->m.params[3].name, "eventSource");
	/* logger escaped the quote; the value comes back unescaped, from the scratch buffer. */
	assert_str(p->m.params[3].value, "App\"lication");
	assert_true(p->m.params[3].value.ptr >= p->scratch &&
		    p->m.params[3].value.ptr < p->scratch + sizeof(p->scratch));
	assert_str(p->m.msg, "Failed password for root from 192.0.2.7 port 22 ssh2");
	assert_false(p->m.msg_bom);
	assert_true(p->m.msg_utf8);
	free(p);
	free(text);
}

static void test_sd_escapes(void **state)
{
	static const char plain[] = "<13>1 - - - - - [x@1 a=\"v\"]";
	static const char in[] = "<13>1 - - - - - [x@1 a=\"q\\\"b\\\\s\\]e\\n\" b=\"]\"] m";
	struct gg_syslog_msg m;
	struct gg_error err;
	char small[4];
	int rc;
	struct parsed *p = parse_s(in);

	assert_int_equal(p->rc, 0);
	/* \" \\ \] are escapes; \n is not, and stays two characters. An unescaped ] inside the
	 * quotes is not ambiguous, so it is taken. */
	assert_str(p->m.params[0].value, "q\"b\\s]e\\n");
	assert_str(p->m.params[1].value, "]");
	assert_str(p->m.msg, "m");
	free(p);

	rc = gg_syslog_parse(in, strlen(in), NULL, small, sizeof(small), &m, &err);
	assert_int_equal(rc, -ENOBUFS);
	assert_non_null(strstr(err.msg, "scratch"));
	rc = gg_syslog_parse(in, strlen(in), NULL, NULL, 0, &m, &err);
	assert_int_equal(rc, -ENOBUFS);

	/* Without escapes no scratch is needed at all. */
	rc = gg_syslog_parse(plain, strlen(plain), NULL, NULL, 0, &m, &err);
	assert_int_equal(rc, 0);
	assert_str(m.params[0].value, "v");
}

static void test_timestamps_5424(void **state)
{
	struct parsed *p;

	p = parse_s("<13>1 1985-04-12T19:20:50.52-04:00 h a p m - x");
	assert_int_equal(p->rc, 0);
	assert_int_equal(p->m.ts.frac_us, 520000);
	assert_int_equal(p->m.ts.offset_minutes, -240);
	free(p);
	p = parse_s("<13>1 - h a p m - x");
	assert_int_equal(p->rc, 0);
	assert_false(p->m.ts.present);
	free(p);
	/* 2000 is a leap year, 1900 is not. */
	p = parse_s("<13>1 2000-02-29T00:00:00Z - - - - -");
	assert_int_equal(p->rc, 0);
	free(p);

	static const struct {
		const char *in;
		size_t at; /* 0-based offset the error must name */
	} bad[] = {
		{ "<13>1 1900-02-29T00:00:00Z - - - - -", 14 },
		{ "<13>1 2003-13-11T22:14:15Z - - - - -", 11 },
		{ "<13>1 2003-04-31T22:14:15Z - - - - -", 14 },
		{ "<13>1 2003-10-11t22:14:15Z - - - - -", 16 },
		{ "<13>1 2003-10-11T24:14:15Z - - - - -", 25 },
		{ "<13>1 2003-10-11T22:14:15 - - - - -", 25 },
		{ "<13>1 2003-10-11T22:14:15.1234567Z - - - - -", 32 },
		{ "<13>1 2003-10-11T22:14:15.Z - - - - -", 26 },
		{ "<13>1 2003-10-11T22:14:15+5:00 - - - - -", 26 },
		{ "<13>1 2003-10-11T22:14:15+0500 - - - - -", 28 },
		{ "<13>1 2003-10-11T22:14:15+05:60 - - - - -", 31 },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		p = parse_s(bad[i].in);
		if (p->rc != -EINVAL || p->err.column != (int)bad[i].at + 1)
			fail_msg("%s: rc %d column %d (%s)", bad[i].in, p->rc, p->err.column,
				 p->err.msg);
		assert_non_null(strstr(p->err.msg, "TIMESTAMP"));
		/* A failed parse leaves nothing half-filled to be used by mistake. */
		assert_false(p->m.ts.present);
		assert_int_equal(p->m.n_sd, 0);
		free(p);
	}
}

static void test_malformed_5424(void **state)
{
	static const struct {
		const char *in;
		size_t at;
		const char *says;
	} bad[] = {
		{ "<13>1 - h a p m", 15, "ends after MSGID" },
		{ "<13>1 - h a p m ", 16, "STRUCTURED-DATA" },
		{ "<13>1 - h a p m x", 16, "STRUCTURED-DATA" },
		{ "<13>1 - h a p m -x", 17, "SP expected" },
		{ "<13>1 - h  a p m -", 10, "APP-NAME expected" },
		{ "<13>1 - h a p m [x", 18, "not closed" },
		{ "<13>1 - h a p m [ x]", 17, "SD-ID" },
		{ "<13>1 - h a p m [x a=b]", 21, "'=\"'" },
		{ "<13>1 - h a p m [x a=\"b]", 24, "not closed" },
		{ "<13>1 - h a p m [x a=\"b\"] [y]", 26, NULL },
		{ "<13>1 - h a p m [x a=\"b\"]x", 25, "SP expected" },
		{ "<13>1 - h a p m [x =\"b\"]", 19, "PARAM-NAME" },
		{ "<13>1 - h a p m [x@1\001]", 20, "0x01" },
		{ "<13>1 - h\0st a p m -", 9, "HOSTNAME" },
		{ "<13>1 - h a p m [x a=\"b\"\"]", 24, NULL },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		/* The NUL one is the only one whose length strlen cannot tell. */
		size_t n = i == 13 ? 20 : strlen(bad[i].in);
		struct parsed *p = parse_n(bad[i].in, n);

		/* Input 9, "[x a=\"b\"] [y]", is valid: "[y]" after the SP is the MSG. */
		if (i == 9) {
			assert_int_equal(p->rc, 0);
			assert_str(p->m.msg, "[y]");
			free(p);
			continue;
		}
		if (p->rc != -EINVAL || p->err.column != (int)bad[i].at + 1 ||
		    (bad[i].says != NULL && strstr(p->err.msg, bad[i].says) == NULL))
			fail_msg("input %zu: rc %d column %d: %s", i, p->rc, p->err.column,
				 p->err.msg);
		free(p);
	}
}

static void test_field_lengths(void **state)
{
	char buf[600];
	struct parsed *p;

	/* APP-NAME: 48 is the limit. */
	snprintf(buf, sizeof(buf), "<13>1 - h %.*s - - -", 48,
		 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	p = parse_s(buf);
	assert_int_equal(p->rc, 0);
	free(p);
	snprintf(buf, sizeof(buf), "<13>1 - h %.*s - - -", 49,
		 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	p = parse_s(buf);
	assert_int_equal(p->rc, -EINVAL);
	assert_int_equal(p->err.column, 11);
	free(p);
	/* HOSTNAME: 255. */
	memcpy(buf, "<13>1 - ", 8);
	memset(buf + 8, 'h', 256);
	memcpy(buf + 8 + 256, " a p m -", 9);
	p = parse_s(buf);
	assert_int_equal(p->rc, -EINVAL);
	assert_non_null(strstr(p->err.msg, "HOSTNAME longer than 255"));
	free(p);
	memcpy(buf + 8 + 255, " a p m -", 9);
	p = parse_s(buf);
	assert_int_equal(p->rc, 0);
	assert_int_equal(p->m.hostname.len, 255);
	free(p);
	/* MSGID 33, SD-NAME 33. */
	p = parse_s("<13>1 - h a p 123456789012345678901234567890123 -");
	assert_int_equal(p->rc, -EINVAL);
	free(p);
	p = parse_s("<13>1 - h a p m [123456789012345678901234567890123]");
	assert_int_equal(p->rc, -EINVAL);
	assert_non_null(strstr(p->err.msg, "SD-ID longer"));
	free(p);
}

static void test_limits(void **state)
{
	struct gg_syslog_limits lim = { 64, 2, 3 };
	struct gg_syslog_msg m;
	struct gg_error err;
	char scratch[256];
	const char *three = "<13>1 - - - - - [a][b][c]";
	const char *params = "<13>1 - - - - - [a x=\"1\" y=\"2\"][b z=\"3\" w=\"4\"]";
	char big[200];
	int rc;

	rc = gg_syslog_parse(three, strlen(three), &lim, scratch, sizeof(scratch), &m, &err);
	assert_int_equal(rc, -E2BIG);
	assert_non_null(strstr(err.msg, "more than 2 SD elements"));
	assert_int_equal(err.column, 23);
	lim.max_size = 100;
	rc = gg_syslog_parse(params, strlen(params), &lim, scratch, sizeof(scratch), &m, &err);
	assert_int_equal(rc, -E2BIG);
	assert_non_null(strstr(err.msg, "more than 3 SD params"));
	lim.max_sd_params = 4;
	rc = gg_syslog_parse(params, strlen(params), &lim, scratch, sizeof(scratch), &m, &err);
	assert_int_equal(rc, 0);
	assert_int_equal(m.n_params, 4);

	memset(big, 'x', sizeof(big));
	rc = gg_syslog_parse(big, 101, &lim, scratch, sizeof(scratch), &m, &err);
	assert_int_equal(rc, -EMSGSIZE);
	assert_non_null(strstr(err.msg, "longer than 100"));
	rc = gg_syslog_parse(big, 100, &lim, scratch, sizeof(scratch), &m, &err);
	assert_int_equal(rc, 0);

	/* Limits above the struct's capacity are clamped, never trusted. */
	lim = (struct gg_syslog_limits){ 1 << 20, 1000, 1000 };
	{
		char many[GG_SYSLOG_MAX_SD_ELEMENTS * 3 + 32];
		size_t n = (size_t)snprintf(many, sizeof(many), "<13>1 - - - - - ");

		for (int i = 0; i <= GG_SYSLOG_MAX_SD_ELEMENTS; i++)
			n += (size_t)snprintf(many + n, sizeof(many) - n, "[e]");
		rc = gg_syslog_parse(many, n, &lim, scratch, sizeof(scratch), &m, &err);
		assert_int_equal(rc, -E2BIG);
	}
}

/* ------------------------------------------------------------------ RFC 3164 */

static void test_rfc3164_examples(void **state)
{
	size_t len, l;
	char *text = gg_test_read_data("syslog/rfc3164-s5.4-examples.log", &len);
	char *line;
	struct parsed *p;

	line = line_of(text, len, 0, &l);
	p = parse_n(line, l);
	assert_int_equal(p->rc, 0);
	assert_int_equal(p->m.format, GG_SYSLOG_3164);
	assert_int_equal(p->m.facility, 4);
	assert_int_equal(p->m.severity, 2);
	assert_true(p->m.ts.present);
	assert_false(p->m.ts.has_year);
	assert_false(p->m.ts.has_offset);
	assert_int_equal(p->m.ts.month, 10);
	assert_int_equal(p->m.ts.day, 11);
	assert_int_equal(p->m.ts.hour, 22);
	assert_str(p->m.hostname, "mymachine");
	assert_str(p->m.app_name, "su");
	assert_absent(p->m.procid);
	assert_str(p->m.msg, "'su root' failed for lonvick on /dev/pts/8");
	free(p);
	free(line);

	/* Space-padded day; "Use" is not followed by ':' or '[', so it is no TAG. */
	line = line_of(text, len, 1, &l);
	p = parse_n(line, l);
	assert_int_equal(p->rc, 0);
	assert_int_equal(p->m.facility, 1);
	assert_int_equal(p->m.severity, 5);
	assert_int_equal(p->m.ts.month, 2);
	assert_int_equal(p->m.ts.day, 5);
	assert_str(p->m.hostname, "10.0.0.99");
	assert_absent(p->m.app_name);
	assert_str(p->m.msg, "Use the BFG!");
	free(p);
	free(line);

	/* The RFC's own reading: the stamp ends at the seconds, so "CST" is the HOSTNAME and
	 * the rest, "1987 ..." included, is the MSG. */
	line = line_of(text, len, 2, &l);
	p = parse_n(line, l);
	assert_int_equal(p->rc, 0);
	assert_int_equal(p->m.facility, 20);
	assert_int_equal(p->m.severity, 5);
	assert_str(p->m.hostname, "CST");
	assert_absent(p->m.app_name);
	assert_true(l > 30 && memcmp(p->m.msg.ptr, "1987 mymachine myproc[10]: %%", 29) == 0);
	free(p);
	free(line);

	/* "1990 Oct 22 ..." is no valid TIMESTAMP: section 4.3.2, everything after the PRI is
	 * the MSG and the receiver supplies time and host. */
	line = line_of(text, len, 3, &l);
	p = parse_n(line, l);
	assert_int_equal(p->rc, 0);
	assert_true(p->m.pri_valid);
	assert_int_equal(p->m.facility, 0);
	assert_int_equal(p->m.severity, 0);
	assert_false(p->m.ts.present);
	assert_absent(p->m.hostname);
	assert_absent(p->m.app_name);
	assert_str(p->m.msg, "1990 Oct 22 10:52:01 TZ-6 scapegoat.dmz.example.org 10.1.2.3 "
			     "sched[0]: That's All Folks!");
	free(p);
	free(line);
	free(text);
}

static void test_openssh_loghub(void **state)
{
	size_t len, l;
	char *text = gg_test_read_data("syslog/loghub-OpenSSH_2k-excerpt.log", &len);
	int n = count_lines(text, len);

	assert_int_equal(n, 6);
	for (int i = 0; i < n; i++) {
		char *line = line_of(text, len, i, &l);
		char *with_pri = malloc(l + 4);
		struct parsed *p;

		/* As loghub stored them, without PRI: section 4.3.3, PRI 13 (user.notice) and
		 * the rest read as a 3164 message, header and all. */
		p = parse_n(line, l);
		assert_int_equal(p->rc, 0);
		assert_false(p->m.pri_valid);
		assert_int_equal(p->m.facility, 1);
		assert_int_equal(p->m.severity, 5);
		assert_true(p->m.ts.present);
		assert_str(p->m.hostname, "LabSZ");
		assert_str(p->m.app_name, "sshd");
		free(p);

		/* As sshd sent them (auth.info). */
		assert_non_null(with_pri);
		memcpy(with_pri, "<38>", 4);
		memcpy(with_pri + 4, line, l);
		p = parse_n(with_pri, l + 4);
		assert_int_equal(p->rc, 0);
		assert_int_equal(p->m.facility, 4);
		assert_int_equal(p->m.severity, 6);
		assert_int_equal(p->m.ts.month, 12);
		assert_int_equal(p->m.ts.day, 10);
		assert_str(p->m.hostname, "LabSZ");
		assert_str(p->m.app_name, "sshd");
		assert_non_null(p->m.procid.ptr);
		assert_int_equal(p->m.procid.len, 5);
		assert_true(p->m.msg.len > 10);
		assert_true(p->m.msg_utf8);
		if (i == 3)
			assert_str(p->m.msg, "Failed password for invalid user webmaster from "
					     "173.234.31.186 port 38926 ssh2");
		free(p);
		free(with_pri);
		free(line);
	}
	free(text);
}

static void test_logstash_lines(void **state)
{
	size_t len, l;
	char *text = gg_test_read_data("syslog/logstash-syslog_spec.lines.log", &len);
	int n = count_lines(text, len);
	struct parsed *p;
	char *line;

	for (int i = 0; i < n; i++) {
		line = line_of(text, len, i, &l);
		p = parse_n(line, l);
		/* Two lines are not RFC 5424, though grok takes them: "[meta sequenceId=10]" has
		 * an unquoted value, and the leap-second line has no MSGID. */
		if (i == 12 || i == 8) {
			assert_int_equal(p->rc, -EINVAL);
			assert_non_null(strstr(p->err.msg, i == 12 ? "'=\"' expected" :
							     "where STRUCTURED-DATA"));
			assert_int_equal(p->err.column, i == 12 ? 64 : 65);
			/* Still counted under the right facility after the failure. */
			assert_int_equal(p->m.facility, i == 12 ? 4 : 21);
		} else if (p->rc != 0) {
			fail_msg("line %d: %s", i + 1, p->err.msg);
		} else {
			assert_inside(p, line, l);
		}
		free(p);
		free(line);
	}

	/* A tag with a slash and a pid, no PRI: PRI 13, the header read. */
	line = line_of(text, len, 1, &l);
	p = parse_n(line, l);
	assert_false(p->m.pri_valid);
	free(p);
	free(line);

	/* A leap second, and an APP-NAME that looks like a 3164 TAG but is one 5424 token: the
	 * spec's line with its missing MSGID put back. */
	p = parse_s("<174>1 2016-12-31T23:59:60-04:00 resolver.se prg00000[1234] - - - info");
	assert_int_equal(p->rc, 0);
	assert_int_equal(p->m.ts.sec, 60);
	assert_int_equal(p->m.ts.offset_minutes, -240);
	assert_str(p->m.app_name, "prg00000[1234]");
	free(p);

	/* IPv6 HOSTNAME, two-digit fraction, double SP before MSG (kept in MSG). */
	line = line_of(text, len, 7, &l);
	p = parse_n(line, l);
	assert_int_equal(p->rc, 0);
	assert_str(p->m.hostname, "2000:6a0:b:315:10:23:4:13");
	assert_int_equal(p->m.ts.frac_us, 520000);
	assert_true(p->m.msg.len > 0 && p->m.msg.ptr[0] == ' ');
	free(p);
	free(line);

	/* "BOM" as text is not a BOM. */
	line = line_of(text, len, 10, &l);
	p = parse_n(line, l);
	assert_int_equal(p->rc, 0);
	assert_false(p->m.msg_bom);
	assert_true(p->m.msg.len > 3 && memcmp(p->m.msg.ptr, "BOM'su", 6) == 0);
	free(p);
	free(line);

	/* No TAG shape ("WinFileService Event:"): host taken, the rest is MSG. */
	line = line_of(text, len, 5, &l);
	p = parse_n(line, l);
	assert_int_equal(p->rc, 0);
	assert_str(p->m.hostname, "win-host");
	assert_absent(p->m.app_name);
	free(p);
	free(line);
	free(text);
}

static void test_logger_rfc3164(void **state)
{
	size_t len;
	char *text = gg_test_read_data("syslog/logger-rfc3164-tcp.bin", &len);
	struct parsed *p;

	assert_true(len > 0 && text[len - 1] == '\n');
	p = parse_n(text, len - 1);
	assert_int_equal(p->rc, 0);
	assert_int_equal(p->m.format, GG_SYSLOG_3164);
	assert_int_equal(p->m.facility, 10);
	assert_int_equal(p->m.severity, 6);
	assert_str(p->m.hostname, "vm");
	assert_str(p->m.app_name, "sshd");
	assert_str(p->m.procid, "23904");
	assert_str(p->m.msg, "Accepted publickey for alice from 198.51.100.4 port 50022 ssh2");
	free(p);
	free(text);
}

static void test_3164_variants(void **state)
{
	struct parsed *p;

	/* rsyslog's RFC 3339 stamp in a 3164 message. */
	p = parse_s("<13>2024-05-01T12:00:00.123456+02:00 host tag[1]: m");
	assert_int_equal(p->rc, 0);
	assert_int_equal(p->m.format, GG_SYSLOG_3164);
	assert_true(p->m.ts.has_year && p->m.ts.has_offset);
	assert_int_equal(p->m.ts.offset_minutes, 120);
	assert_int_equal(p->m.ts.frac_us, 123456);
	assert_str(p->m.hostname, "host");
	assert_str(p->m.app_name, "tag");
	assert_str(p->m.procid, "1");
	assert_str(p->m.msg, "m");
	free(p);
	/* ISO 8601 as Go, Vector and Fluent Bit write it into a 3164 header: an offset without
	 * its colon, nanoseconds (microseconds kept). The stamp used to end at the first colon
	 * of the time, "2026-12-07T08" becoming the TAG. */
	p = parse_s("<14>2026-12-07T08:19:00+0200 web08 sshd[1]: Failed password for root from "
		    "203.0.113.5 port 1 ssh2");
	assert_int_equal(p->rc, 0);
	assert_true(p->m.ts.present && p->m.ts.has_offset);
	assert_int_equal(p->m.ts.hour, 8);
	assert_int_equal(p->m.ts.min, 19);
	assert_int_equal(p->m.ts.offset_minutes, 120);
	assert_str(p->m.hostname, "web08");
	assert_str(p->m.app_name, "sshd");
	assert_str(p->m.procid, "1");
	assert_str(p->m.msg, "Failed password for root from 203.0.113.5 port 1 ssh2");
	free(p);
	p = parse_s("<14>2026-12-07T08:19:00.123456789Z web08 app: m");
	assert_true(p->m.ts.present && p->m.ts.has_offset);
	assert_int_equal(p->m.ts.offset_minutes, 0);
	assert_int_equal(p->m.ts.frac_us, 123456);
	assert_int_equal(p->m.ts.frac_digits, 6);
	assert_str(p->m.hostname, "web08");
	assert_str(p->m.app_name, "app");
	free(p);
	p = parse_s("<14>2026-12-07T08:19:00.5-0330 web08 app: m");
	assert_int_equal(p->m.ts.offset_minutes, -210);
	assert_int_equal(p->m.ts.frac_us, 500000);
	assert_int_equal(p->m.ts.frac_digits, 1);
	free(p);
	/* Ten fraction digits are no stamp a sender writes: the relay rule. */
	p = parse_s("<14>2026-12-07T08:19:00.1234567891Z web08 app: m");
	assert_false(p->m.ts.present);
	free(p);
	/* A year before the time, as Cisco and syslog-ng write it. */
	p = parse_s("<189>Oct 22 1990 10:52:01 router %SYS-5-CONFIG_I: Configured");
	assert_int_equal(p->rc, 0);
	assert_true(p->m.ts.has_year);
	assert_int_equal(p->m.ts.year, 1990);
	assert_int_equal(p->m.ts.hour, 10);
	assert_str(p->m.hostname, "router");
	assert_str(p->m.app_name, "%SYS-5-CONFIG_I");
	assert_str(p->m.msg, "Configured");
	free(p);
	/* Without a year, 29 February may be this year's; 30 February never is. */
	p = parse_s("<13>Feb 29 01:02:03 h t: m");
	assert_true(p->m.ts.present);
	free(p);
	p = parse_s("<13>Feb 30 01:02:03 h t: m");
	assert_false(p->m.ts.present);
	assert_absent(p->m.app_name);
	assert_str(p->m.msg, "Feb 30 01:02:03 h t: m");
	free(p);
	/* No HOSTNAME before the TAG (local senders). */
	p = parse_s("<13>Jan 11 22:33:44 su: 'su root' failed");
	assert_absent(p->m.hostname);
	assert_str(p->m.app_name, "su");
	assert_str(p->m.msg, "'su root' failed");
	free(p);
	p = parse_s("<13>Jan 11 22:33:44 cron[12] x");
	assert_absent(p->m.hostname);
	assert_str(p->m.app_name, "cron");
	assert_str(p->m.procid, "12");
	free(p);
	/* Fraction on a BSD stamp, up to nanoseconds; only microseconds kept. */
	p = parse_s("<13>Jul 14 12:17:01.123456789 h t: m");
	assert_int_equal(p->m.ts.frac_us, 123456);
	assert_int_equal(p->m.ts.frac_digits, 6);
	free(p);
	/* A BOM after the TAG (NXLog and other Windows senders): no part of the text, as in
	 * 5424. */
	p = parse_s("<13>Dec  7 08:00:00 winhost app: \xef\xbb\xbfh\xc3\xa9llo");
	assert_str(p->m.app_name, "app");
	assert_str(p->m.msg, "h\xc3\xa9llo");
	assert_true(p->m.msg_bom);
	assert_true(p->m.msg_utf8);
	free(p);
	/* A stamp and nothing else. */
	p = parse_s("<13>Jul 14 12:17:01");
	assert_int_equal(p->rc, 0);
	assert_true(p->m.ts.present);
	assert_int_equal(p->m.msg.len, 0);
	free(p);
	/* A stamp glued to the next word is not a stamp. */
	p = parse_s("<13>Jul 14 12:17:01x h t: m");
	assert_false(p->m.ts.present);
	free(p);
	/* Version 2 is not 5424 as we know it: 3164 rules, relay. */
	p = parse_s("<13>2 2003-10-11T22:14:15Z h a - - -");
	assert_int_equal(p->m.format, GG_SYSLOG_3164);
	assert_false(p->m.ts.present);
	free(p);
}

/* A broken PRI is skipped (no part of the message), a missing one leaves the text whole. */
static void test_pri(void **state)
{
	static const struct {
		const char *in;
		enum gg_syslog_pri_state state;
		int fac, sev;
		const char *msg;
	} cases[] = {
		{ "<0>x", GG_SYSLOG_PRI_VALID, 0, 0, "x" },
		{ "<191>x", GG_SYSLOG_PRI_VALID, 23, 7, "x" },
		{ "<192>x", GG_SYSLOG_PRI_INVALID, 1, 5, "x" },
		{ "<999>x", GG_SYSLOG_PRI_INVALID, 1, 5, "x" },
		{ "<013>x", GG_SYSLOG_PRI_INVALID, 1, 5, "x" },
		{ "<00>x", GG_SYSLOG_PRI_INVALID, 1, 5, "x" },
		{ "<>x", GG_SYSLOG_PRI_INVALID, 1, 5, "x" },
		{ "<1234>x", GG_SYSLOG_PRI_INVALID, 1, 5, "x" },
		{ "<-1>x", GG_SYSLOG_PRI_INVALID, 1, 5, "x" },
		{ "<+13>x", GG_SYSLOG_PRI_INVALID, 1, 5, "x" },
		{ "<12345>x", GG_SYSLOG_PRI_INVALID, 1, 5, "x" },
		{ "<123456>x", GG_SYSLOG_PRI_MISSING, 1, 5, "<123456>x" },
		{ "<html>x", GG_SYSLOG_PRI_MISSING, 1, 5, "<html>x" },
		{ "<13x", GG_SYSLOG_PRI_MISSING, 1, 5, "<13x" },
		{ "<13", GG_SYSLOG_PRI_MISSING, 1, 5, "<13" },
		{ "13>x", GG_SYSLOG_PRI_MISSING, 1, 5, "13>x" },
		{ "", GG_SYSLOG_PRI_MISSING, 1, 5, "" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct parsed *p = parse_s(cases[i].in);
		int prival = -1;
		size_t pri_len = 0;

		assert_int_equal(gg_syslog_pri(cases[i].in, strlen(cases[i].in), &prival, &pri_len),
				 cases[i].state);
		assert_int_equal(p->rc, 0);
		assert_int_equal(p->m.pri_valid, cases[i].state == GG_SYSLOG_PRI_VALID);
		assert_int_equal(p->m.facility, cases[i].fac);
		assert_int_equal(p->m.severity, cases[i].sev);
		assert_int_equal(p->m.msg.len, strlen(cases[i].msg));
		assert_memory_equal(p->m.msg.ptr, cases[i].msg, p->m.msg.len);
		free(p);
	}
	/* RFC 3164 section 4.3.3: a message with a broken PRI is read as <13>, header and all. */
	for (size_t i = 0; i < 3; i++) {
		static const char *const bad[] = { "<192>", "<013>", "<>" };
		char line[128];
		struct parsed *p;

		snprintf(line, sizeof(line), "%sDec  7 08:02:02 web01 sshd[5]: Failed password", bad[i]);
		p = parse_s(line);
		assert_false(p->m.pri_valid);
		assert_int_equal(p->m.facility, 1);
		assert_int_equal(p->m.severity, 5);
		assert_true(p->m.ts.present);
		assert_str(p->m.hostname, "web01");
		assert_str(p->m.app_name, "sshd");
		assert_str(p->m.msg, "Failed password");
		free(p);
	}
	{
		struct gg_syslog_msg m;

		assert_int_equal(gg_syslog_parse(NULL, 0, NULL, NULL, 0, &m, NULL), 0);
		assert_int_equal(m.msg.len, 0);
	}
}

/* A message that says nothing, and ones that say something with little. */
static void test_empty(void **state)
{
	static const char *const empty[] = {
		"", "<13>", "   ", "<13>\t \r\n", "<>", "<13>Dec  7 08:00:46 vm tagx: ",
		"<13>Dec  7 08:00:46 vm tagx:", "<13>1 - - - - - -", "<13>1 2026-12-07T08:00:00Z h a 1 - - ",
	};
	static const char *const full[] = {
		"x", "<13>.", "<13>Dec  7 08:00:46 vm tagx: a", "<13>1 - - - - ID47 -",
		"<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - - "
		"[exampleSDID@32473 iut=\"3\"]",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(empty) / sizeof(empty[0]); i++) {
		struct parsed *p = parse_s(empty[i]);

		assert_int_equal(p->rc, 0);
		if (!gg_syslog_msg_empty(&p->m))
			fail_msg("\"%s\" is not empty", empty[i]);
		free(p);
	}
	for (size_t i = 0; i < sizeof(full) / sizeof(full[0]); i++) {
		struct parsed *p = parse_s(full[i]);

		assert_int_equal(p->rc, 0);
		if (gg_syslog_msg_empty(&p->m))
			fail_msg("\"%s\" is empty", full[i]);
		free(p);
	}
	{
		struct parsed *p = parse_n("<13>\0 \0", 7);

		assert_true(gg_syslog_msg_empty(&p->m));
		free(p);
	}
}

/* ------------------------------------------------------------------ hostile bytes */

static void test_nul_and_utf8(void **state)
{
	static const char nul5424[] = "<13>1 - h a - - - a\0b\xff";
	static const char nul3164[] = "<13>Jan  1 00:00:00 h t: \0\0";
	static const char bom_bad[] = "<13>1 - h a - - - \xef\xbb\xbf\xc3\x28";
	static const char utf8[] = "<13>1 - h a - - [x v=\"\xc3\xa9t\xc3\xa9\" w=\"\xed\xa0\x80\"] "
				   "\xe2\x82\xac \xf0\x9f\x98\x80";
	struct parsed *p;

	p = parse_n(nul5424, sizeof(nul5424) - 1);
	assert_int_equal(p->rc, 0);
	assert_int_equal(p->m.msg.len, 4);
	assert_false(p->m.msg_utf8);
	free(p);
	p = parse_n(nul3164, sizeof(nul3164) - 1);
	assert_int_equal(p->rc, 0);
	assert_str(p->m.app_name, "t");
	assert_int_equal(p->m.msg.len, 2);
	assert_true(p->m.msg_utf8); /* NUL is valid UTF-8; XML refuses it later, not us */
	free(p);
	/* The BOM declares UTF-8; the bytes after it are not: both are reported. */
	p = parse_n(bom_bad, sizeof(bom_bad) - 1);
	assert_int_equal(p->rc, 0);
	assert_true(p->m.msg_bom);
	assert_false(p->m.msg_utf8);
	free(p);
	p = parse_n(utf8, sizeof(utf8) - 1);
	assert_int_equal(p->rc, 0);
	assert_true(p->m.params[0].value_utf8);
	assert_false(p->m.params[1].value_utf8); /* an encoded surrogate */
	assert_true(p->m.msg_utf8);
	free(p);

	assert_true(gg_syslog_utf8_valid("", 0));
	assert_true(gg_syslog_utf8_valid("\xf4\x8f\xbf\xbf", 4));  /* U+10FFFF */
	assert_false(gg_syslog_utf8_valid("\xf4\x90\x80\x80", 4)); /* past U+10FFFF */
	assert_false(gg_syslog_utf8_valid("\xc0\xaf", 2));	   /* overlong '/' */
	assert_false(gg_syslog_utf8_valid("\xe0\x80\xaf", 3));	   /* overlong '/' */
	assert_false(gg_syslog_utf8_valid("\xe2\x82", 2));	   /* cut short */
	assert_false(gg_syslog_utf8_valid("\x80", 1));
	assert_false(gg_syslog_utf8_valid("\xfe", 1));
}

/* Every prefix of every real line: parsed or refused, never a read past its end (each prefix
 * sits in a buffer of exactly its size, so ASan would see one). */
static void truncate_all(const char *rel)
{
	size_t len, l;
	char *text = gg_test_read_data(rel, &len);
	int n = count_lines(text, len);

	for (int i = 0; i < n; i++) {
		char *line = line_of(text, len, i, &l);

		for (size_t k = 0; k <= l; k++) {
			char *copy = malloc(k > 0 ? k : 1);
			struct parsed *p;

			assert_non_null(copy);
			memcpy(copy, line, k);
			p = parse_n(copy, k);
			if (p->rc == 0)
				assert_inside(p, copy, k);
			else
				assert_true(p->err.column >= 1 && (size_t)p->err.column <= k + 1);
			free(p);
			free(copy);
		}
		free(line);
	}
	free(text);
}

static void test_truncated_everywhere(void **state)
{
	truncate_all("syslog/rfc5424-s6.5-examples.log");
	truncate_all("syslog/rfc3164-s5.4-examples.log");
	truncate_all("syslog/logstash-syslog_spec.lines.log");
	truncate_all("syslog/logger-rfc5424-tcp.bin");
	truncate_all("syslog/logger-rfc3164-tcp.bin");
}

/* Without a PRI (log files, senders that leave it out) the BSD header is read, and the PRI
 * stays absent (user.notice): RFC 3164 section 4.3.3. A line without a stamp is still all
 * message. */
static void test_headerless(void **state)
{
	static const char line[] = "Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user webmaster";
	static const char json[] = "{\"timestamp\":\"2021-03-06T20:26:49\"}";
	struct gg_syslog_limits lim = { 4096, 8, 8 };
	struct gg_syslog_msg *m = malloc(sizeof(*m));
	struct gg_error err = { 0 };

	(void)state;
	assert_non_null(m);
	assert_int_equal(gg_syslog_parse(line, sizeof(line) - 1, &lim, NULL, 0, m, &err), 0);
	assert_false(m->pri_valid);
	assert_int_equal(m->facility, 1);
	assert_int_equal(m->severity, 5);
	assert_true(m->ts.present);
	assert_int_equal(m->ts.day, 10);
	assert_str(m->hostname, "LabSZ");
	assert_str(m->app_name, "sshd");
	assert_str(m->procid, "24200");
	assert_str(m->msg, "Invalid user webmaster");
	assert_int_equal(gg_syslog_parse(json, sizeof(json) - 1, &lim, NULL, 0, m, &err), 0);
	assert_false(m->ts.present);
	assert_null(m->hostname.ptr);
	assert_int_equal(m->msg.len, sizeof(json) - 1);
	free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc5424_examples),
		cmocka_unit_test(test_logger_rfc5424),
		cmocka_unit_test(test_sd_escapes),
		cmocka_unit_test(test_timestamps_5424),
		cmocka_unit_test(test_malformed_5424),
		cmocka_unit_test(test_field_lengths),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_rfc3164_examples),
		cmocka_unit_test(test_openssh_loghub),
		cmocka_unit_test(test_headerless),
		cmocka_unit_test(test_logstash_lines),
		cmocka_unit_test(test_logger_rfc3164),
		cmocka_unit_test(test_3164_variants),
		cmocka_unit_test(test_pri),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_nul_and_utf8),
		cmocka_unit_test(test_truncated_everywhere),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
