/* test_syslog_frame.c: RFC 6587 framing on real logger streams, split at every byte, with
 * mixed trailers, oversized frames, bad octet counts and end of stream. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "formats/syslog_frame.h"
#include "formats/syslog_parse.h"
#include "test_util.h"

/* What came out, as text: frames separated by '|', bytes outside printable ASCII as \xNN,
 * "!SIZE" for a dropped oversized frame, "!PROTO" for a connection error, and "$" before what
 * finish() returned. */
struct transcript {
	char text[1 << 16];
	size_t len;
};

static void put(struct transcript *t, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		assert_true(t->len + 5 < sizeof(t->text));
		if (ch >= 32 && ch < 127 && ch != '\\')
			t->text[t->len++] = (char)ch;
		else
			t->len += (size_t)snprintf(t->text + t->len, 5, "\\x%02x", ch);
	}
	t->text[t->len] = '\0';
}

/* Pops until the framer wants more; returns 0 after a connection error. */
static int drain(struct gg_syslog_framer *f, struct transcript *t)
{
	const char *data;
	size_t len;
	struct gg_error err;
	int rc;

	while ((rc = gg_syslog_frame_pop(f, &data, &len, &err)) != 0) {
		if (rc == 1) {
			assert_non_null(data);
			assert_true(len > 0 && len <= f->max_frame);
			put(t, data, len);
			put(t, "|", 1);
		} else if (rc == -EMSGSIZE) {
			assert_non_null(strstr(err.msg, "dropped"));
			put(t, "!SIZE|", 6);
		} else {
			assert_int_equal(rc, -EPROTO);
			assert_non_null(strstr(err.msg, "syslog framing: byte "));
			put(t, "!PROTO|", 7);
			return 0;
		}
	}
	return 1;
}

/* Feeds s in chunks (first bytes, then chunk at a time) into a framer whose buffer is exactly
 * as large as required, so ASan sees any write past it; pops after every push. */
static void run(struct transcript *t, const char *s, size_t len, size_t max,
		enum gg_syslog_framing mode, size_t first, size_t chunk, int abortive)
{
	size_t cap = GG_SYSLOG_FRAME_BUFSIZE(max), off = 0;
	void *buf = malloc(cap);
	struct gg_syslog_framer f;
	struct gg_error err;
	const char *data;
	size_t n;
	int rc;

	assert_non_null(buf);
	assert_int_equal(gg_syslog_frame_init(&f, buf, cap, max, mode), 0);
	t->len = 0;
	t->text[0] = '\0';
	while (off < len) {
		size_t want = off == 0 ? first : chunk, got;

		if (want > len - off)
			want = len - off;
		while (want > 0) {
			got = gg_syslog_frame_push(&f, s + off, want);
			off += got;
			want -= got;
			if (!drain(&f, t))
				goto out;
			/* Everything popped: the framer must always take at least a byte, or
			 * a reader would spin. */
			assert_true(got > 0 || want == 0);
		}
	}
	if (abortive) {
		/* A reset: "$CUT" when a partial frame was dropped. Either way the framer is
		 * empty after it: nothing more to abort, nothing to finish. */
		if (gg_syslog_frame_abort(&f) == 1)
			put(t, "$CUT", 4);
		assert_int_equal(gg_syslog_frame_abort(&f), 0);
		if (!f.broken)
			assert_int_equal(gg_syslog_frame_finish(&f, &data, &n, &err), 0);
		goto out;
	}
	rc = gg_syslog_frame_finish(&f, &data, &n, &err);
	if (rc == 1) {
		put(t, "$", 1);
		put(t, data, n);
	} else if (rc == -EPROTO) {
		put(t, "$!PROTO", 7);
	} else if (rc == -EMSGSIZE) {
		put(t, "$!SIZE", 6);
	} else if (rc == -EPIPE) {
		assert_non_null(strstr(err.msg, "truncated frame dropped"));
		put(t, "$!CUT", 5);
	} else {
		assert_int_equal(rc, 0);
	}
	/* finish() empties the framer: a second call has nothing. */
	if (rc != -EPROTO)
		assert_int_equal(gg_syslog_frame_finish(&f, &data, &n, &err), 0);
out:
	free(buf);
}

/* The same transcript whether the stream comes at once, a byte at a time, or split in two at
 * every offset. */
static void check(const char *s, size_t len, size_t max, enum gg_syslog_framing mode,
		  int abortive, const char *expect)
{
	struct transcript *t = malloc(sizeof(*t));

	assert_non_null(t);
	run(t, s, len, max, mode, len, len, abortive);
	if (strcmp(t->text, expect) != 0)
		fail_msg("at once: got \"%s\", want \"%s\"", t->text, expect);
	run(t, s, len, max, mode, 1, 1, abortive);
	if (strcmp(t->text, expect) != 0)
		fail_msg("byte by byte: got \"%s\", want \"%s\"", t->text, expect);
	for (size_t k = 1; k < len; k++) {
		run(t, s, len, max, mode, k, len, abortive);
		if (strcmp(t->text, expect) != 0)
			fail_msg("split at %zu: got \"%s\", want \"%s\"", k, t->text, expect);
	}
	free(t);
}

/* The stream ends in an orderly close (finish), or is reset (abort). */
#define CHECK(s, max, mode, expect) check((s), sizeof(s) - 1, (max), (mode), 0, (expect))
#define CHECK_RESET(s, max, mode, expect) check((s), sizeof(s) - 1, (max), (mode), 1, (expect))

static void test_init(void **state)
{
	struct gg_syslog_framer f;
	char buf[64];

	assert_int_equal(gg_syslog_frame_init(&f, buf, sizeof(buf), 48, GG_SYSLOG_FRAME_AUTO), 0);
	assert_int_equal(gg_syslog_frame_init(&f, buf, sizeof(buf), 49, GG_SYSLOG_FRAME_AUTO),
			 -EINVAL);
	assert_int_equal(gg_syslog_frame_init(&f, buf, sizeof(buf), 0, GG_SYSLOG_FRAME_AUTO),
			 -EINVAL);
	assert_int_equal(gg_syslog_frame_init(&f, NULL, sizeof(buf), 8, GG_SYSLOG_FRAME_LF),
			 -EINVAL);
	assert_int_equal(gg_syslog_frame_init(&f, buf, sizeof(buf), SIZE_MAX, GG_SYSLOG_FRAME_LF),
			 -EINVAL);
}

/* util-linux logger's LF-framed output, 3164 then 5424, and each frame parses. */
static void test_logger_lf(void **state)
{
	size_t l1, l2;
	char *a = gg_test_read_data("syslog/logger-rfc3164-tcp.bin", &l1);
	char *b = gg_test_read_data("syslog/logger-rfc5424-tcp.bin", &l2);
	char *s = malloc(l1 + l2);
	struct transcript *t = malloc(sizeof(*t));

	assert_non_null(s);
	assert_non_null(t);
	memcpy(s, a, l1);
	memcpy(s + l1, b, l2);
	/* The expected transcript, escaped as the framer's output will be. */
	t->len = 0;
	put(t, a, l1 - 1);
	put(t, "|", 1);
	put(t, b, l2 - 1);
	put(t, "|", 1);
	check(s, l1 + l2, 512, GG_SYSLOG_FRAME_AUTO, 0, t->text);

	/* The frames are the messages the parser expects. */
	{
		void *buf = malloc(GG_SYSLOG_FRAME_BUFSIZE(512));
		struct gg_syslog_framer f;
		struct gg_syslog_msg m;
		struct gg_error err;
		char scratch[512];
		const char *data;
		size_t n;

		assert_non_null(buf);
		assert_int_equal(gg_syslog_frame_init(&f, buf, GG_SYSLOG_FRAME_BUFSIZE(512), 512,
						      GG_SYSLOG_FRAME_AUTO), 0);
		assert_int_equal(gg_syslog_frame_push(&f, s, l1 + l2), l1 + l2);
		assert_int_equal(gg_syslog_frame_pop(&f, &data, &n, &err), 1);
		assert_int_equal(gg_syslog_parse(data, n, NULL, scratch, sizeof(scratch), &m, &err),
				 0);
		assert_int_equal(m.format, GG_SYSLOG_3164);
		assert_int_equal(gg_syslog_frame_pop(&f, &data, &n, &err), 1);
		assert_int_equal(gg_syslog_parse(data, n, NULL, scratch, sizeof(scratch), &m, &err),
				 0);
		assert_int_equal(m.format, GG_SYSLOG_5424);
		assert_int_equal(m.n_sd, 2);
		assert_int_equal(gg_syslog_frame_pop(&f, &data, &n, &err), 0);
		free(buf);
	}
	free(t);
	free(s);
	free(a);
	free(b);
}

/* logger --octet-count, three times over, then a truncated fourth. */
static void test_logger_octet(void **state)
{
	size_t l;
	char *a = gg_test_read_data("syslog/logger-rfc5424-octet-count.bin", &l);
	char *s = malloc(3 * l + 10);
	char *sp = memchr(a, ' ', l);
	char expect[1024];
	size_t body;

	assert_non_null(s);
	assert_non_null(sp);
	body = l - (size_t)(sp + 1 - a);
	assert_int_equal(body, 94);
	for (int i = 0; i < 3; i++)
		memcpy(s + (size_t)i * l, a, l);
	snprintf(expect, sizeof(expect), "%.*s|%.*s|%.*s|", (int)body, sp + 1, (int)body, sp + 1,
		 (int)body, sp + 1);
	check(s, 3 * l, 94, GG_SYSLOG_FRAME_AUTO, 0, expect);
	/* One byte too small a max_frame: every frame dropped, the stream still in step. */
	check(s, 3 * l, 93, GG_SYSLOG_FRAME_AUTO, 0, "!SIZE|!SIZE|!SIZE|");
	/* The stream ends inside a fourth frame: truncated, whether closed or reset; the three
	 * whole frames before it stand. */
	memcpy(s + 3 * l, a, 10);
	check(s, 3 * l + 10, 94, GG_SYSLOG_FRAME_AUTO, 1, strcat(expect, "$CUT"));
	expect[strlen(expect) - 4] = '\0';
	check(s, 3 * l + 10, 94, GG_SYSLOG_FRAME_AUTO, 0, strcat(expect, "$!CUT"));
	free(s);
	free(a);
}

static void test_trailers(void **state)
{
	/* LF, CRLF, NUL, CR before NUL, empty lines, and a last line with no trailer. */
	CHECK("<13>a\n<13>b\r\n<13>c\0<13>d\r\0\n\n\r\n<13>e", 64, GG_SYSLOG_FRAME_AUTO,
	      "<13>a|<13>b|<13>c|<13>d|$<13>e");
	/* A CR inside a line is the message's own. */
	CHECK("<13>a\rb\n", 64, GG_SYSLOG_FRAME_AUTO, "<13>a\\x0db|");
	/* Leading line ends do not decide the framing. */
	CHECK("\r\n\n5 <13>x9 <13>y\nz\0\x01", 64, GG_SYSLOG_FRAME_AUTO,
	      "<13>x|<13>y\\x0az\\x00\\x01|");
	/* Line ends between octet-counted frames are tolerated: some senders add them. */
	CHECK("5 <13>x\n5 <13>y\r\n", 64, GG_SYSLOG_FRAME_AUTO, "<13>x|<13>y|");
	/* A message without PRI is LF-framed under AUTO; forced LF keeps a leading digit. */
	CHECK("Dec 10 06:55:46 LabSZ sshd[1]: x\n", 64, GG_SYSLOG_FRAME_AUTO,
	      "Dec 10 06:55:46 LabSZ sshd[1]: x|");
	CHECK("1990 Oct 22 x\n2 y\n", 64, GG_SYSLOG_FRAME_LF, "1990 Oct 22 x|2 y|");
	/* Forced octet counting reads what AUTO would also have chosen. */
	CHECK("3 abc", 64, GG_SYSLOG_FRAME_OCTET, "abc|");
	CHECK("", 64, GG_SYSLOG_FRAME_AUTO, "");
	CHECK("\n\n", 64, GG_SYSLOG_FRAME_AUTO, "");
}

/* A datagram or an octet-counted frame ended as a line: the line end is no part of it. */
static void test_trim(void **state)
{
	static const struct {
		const char *in;
		size_t len, want;
	} cases[] = {
		{ "<14>a: udp\r\n", 12, 10 }, { "<14>a: udp\n", 11, 10 }, { "<14>a\0", 6, 5 },
		{ "<14>a\r\n\0\n", 9, 5 },   { "<14>a\rb", 7, 7 },       { "a b ", 4, 4 },
		{ "\r\n", 2, 0 },             { "", 0, 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(gg_syslog_frame_trim(cases[i].in, cases[i].len), cases[i].want);
}

static void test_oversized_lf(void **state)
{
	/* max 8: "<13>abcd" (8) passes, also with CRLF; 9 bytes is dropped up to its LF, then
	 * framing goes on. */
	CHECK("<13>abcd\n<13>abcde\n<13>x\n", 8, GG_SYSLOG_FRAME_AUTO, "<13>abcd|!SIZE|<13>x|");
	CHECK("<13>abcd\r\n<13>abcd\r\n", 8, GG_SYSLOG_FRAME_AUTO, "<13>abcd|<13>abcd|");
	/* Far longer than the buffer: reported once, skipped to the LF, nothing kept. */
	CHECK("<13>0123456789012345678901234567890123456789012345678901234567890123456789\n"
	      "<13>ok\n", 8, GG_SYSLOG_FRAME_AUTO, "!SIZE|<13>ok|");
	/* NUL ends the dropped frame as well. */
	CHECK("<13>0123456789012345678901234567\0<13>ok\n", 8, GG_SYSLOG_FRAME_AUTO,
	      "!SIZE|<13>ok|");
	/* The stream ends inside the dropped frame: nothing more to say. */
	CHECK("<13>ok\n<13>0123456789012345678901234567890123456789", 8, GG_SYSLOG_FRAME_AUTO,
	      "<13>ok|!SIZE|");
	/* A last line without trailer that is too long, caught by finish(). */
	CHECK("<13>ok\n<13>abcde", 8, GG_SYSLOG_FRAME_AUTO, "<13>ok|$!SIZE");
}

static void test_oversized_octet(void **state)
{
	/* Exactly the counted bytes are skipped, whatever they hold (here a fake count). */
	CHECK("9 <13>12 ab12 <13>3 x\n3\n\n\n9 <13>abcde", 9, GG_SYSLOG_FRAME_AUTO,
	      "<13>12 ab|!SIZE|<13>abcde|");
	/* Ten digits is a count, just a big one; the stream ends inside it. */
	CHECK("9999999999 xyz", 9, GG_SYSLOG_FRAME_AUTO, "!SIZE|");
}

static void test_bad_counts(void **state)
{
	CHECK("0 x", 16, GG_SYSLOG_FRAME_AUTO, "!PROTO|");
	CHECK("12345678901 x", 16, GG_SYSLOG_FRAME_AUTO, "!PROTO|");
	CHECK("12x <13>abcdefghij", 16, GG_SYSLOG_FRAME_AUTO, "!PROTO|");
	CHECK("3 abc<13>x\n", 16, GG_SYSLOG_FRAME_AUTO, "abc|!PROTO|");
	CHECK("3 abc 3 abc", 16, GG_SYSLOG_FRAME_AUTO, "abc|!PROTO|");
	CHECK("<13>x\n", 16, GG_SYSLOG_FRAME_OCTET, "!PROTO|");
	CHECK("-3 abc", 16, GG_SYSLOG_FRAME_OCTET, "!PROTO|");

	/* Sticky: every later pop and finish says the same, and no byte is taken. */
	{
		char buf[GG_SYSLOG_FRAME_BUFSIZE(16)];
		struct gg_syslog_framer f;
		struct gg_error err;
		const char *data;
		size_t n;

		assert_int_equal(gg_syslog_frame_init(&f, buf, sizeof(buf), 16,
						      GG_SYSLOG_FRAME_AUTO), 0);
		assert_int_equal(gg_syslog_frame_push(&f, "3 abc0 ", 7), 7);
		assert_int_equal(gg_syslog_frame_pop(&f, &data, &n, &err), 1);
		assert_int_equal(gg_syslog_frame_pop(&f, &data, &n, &err), -EPROTO);
		assert_non_null(strstr(err.msg, "byte 5: octet count expected"));
		assert_int_equal(gg_syslog_frame_pop(&f, &data, &n, &err), -EPROTO);
		assert_null(data);
		assert_int_equal(gg_syslog_frame_finish(&f, &data, &n, &err), -EPROTO);
		assert_int_equal(gg_syslog_frame_push(&f, "3 abc", 5), 0);
		gg_syslog_frame_space(&f, &n);
		assert_int_equal(n, 0);
	}
}

/* How a stream ends decides the fate of its last, unfinished frame (issue 9): an orderly
 * close delivers a last LF line without its trailer and drops a short octet-counted frame
 * (truncated); a reset drops whatever frame was unfinished (truncated), and nothing else. */
static void test_stream_ends(void **state)
{
	/* Orderly close. */
	CHECK("<13>a\n<13>partial mess", 64, GG_SYSLOG_FRAME_AUTO, "<13>a|$<13>partial mess");
	CHECK("<13>a\n<13>partial mess\r", 64, GG_SYSLOG_FRAME_AUTO, "<13>a|$<13>partial mess");
	CHECK("5 <13>a12 <13>part", 64, GG_SYSLOG_FRAME_AUTO, "<13>a|$!CUT");
	CHECK("5 <13>a12 ", 64, GG_SYSLOG_FRAME_AUTO, "<13>a|$!CUT"); /* count, no byte */
	CHECK("5 <13>a12", 64, GG_SYSLOG_FRAME_AUTO, "<13>a|$!CUT");  /* the count cut */
	CHECK("5 <13>a\r\n", 64, GG_SYSLOG_FRAME_AUTO, "<13>a|");
	/* Reset: the same streams lose their unfinished frame, whichever the framing. */
	CHECK_RESET("<13>a\n<13>partial mess", 64, GG_SYSLOG_FRAME_AUTO, "<13>a|$CUT");
	CHECK_RESET("<13>partial mess", 64, GG_SYSLOG_FRAME_AUTO, "$CUT");
	CHECK_RESET("<13>a\n<13>partial mess\r", 64, GG_SYSLOG_FRAME_AUTO, "<13>a|$CUT");
	CHECK_RESET("5 <13>a12 <13>part", 64, GG_SYSLOG_FRAME_AUTO, "<13>a|$CUT");
	CHECK_RESET("5 <13>a12 ", 64, GG_SYSLOG_FRAME_AUTO, "<13>a|$CUT");
	CHECK_RESET("5 <13>a12", 64, GG_SYSLOG_FRAME_AUTO, "<13>a|$CUT");
	/* A reset between frames (line ends do not start a frame) cuts nothing. */
	CHECK_RESET("<13>a\n", 64, GG_SYSLOG_FRAME_AUTO, "<13>a|");
	CHECK_RESET("<13>a\r\n\r", 64, GG_SYSLOG_FRAME_AUTO, "<13>a|");
	CHECK_RESET("5 <13>a\r\n", 64, GG_SYSLOG_FRAME_AUTO, "<13>a|");
	CHECK_RESET("", 64, GG_SYSLOG_FRAME_AUTO, "");
	CHECK_RESET("\n\n", 64, GG_SYSLOG_FRAME_AUTO, "");
	/* A frame already dropped as oversized is not counted a second time. */
	CHECK_RESET("<13>ok\n<13>0123456789012345678901234567890123456789", 8,
		    GG_SYSLOG_FRAME_AUTO, "<13>ok|!SIZE|");
	CHECK_RESET("20 <13>0123456789", 8, GG_SYSLOG_FRAME_AUTO, "!SIZE|");
	CHECK("20 <13>0123456789", 8, GG_SYSLOG_FRAME_AUTO, "!SIZE|");
	/* Nor is a stream that already failed: its connection error was reported. */
	CHECK_RESET("12x <13>abc", 16, GG_SYSLOG_FRAME_AUTO, "!PROTO|");
	/* Forced framings follow the same rule. */
	CHECK("<13>x", 16, GG_SYSLOG_FRAME_LF, "$<13>x");
	CHECK_RESET("<13>x", 16, GG_SYSLOG_FRAME_LF, "$CUT");
	CHECK("3 ab", 16, GG_SYSLOG_FRAME_OCTET, "$!CUT");
	CHECK_RESET("3 ab", 16, GG_SYSLOG_FRAME_OCTET, "$CUT");
}

/* Zero-copy reading through space/commit, as a listener does with recv(), over a long stream
 * with the error offsets counted across buffer moves. */
static void test_space_commit(void **state)
{
	char buf[GG_SYSLOG_FRAME_BUFSIZE(32)];
	struct gg_syslog_framer f;
	struct gg_error err;
	const char *data;
	size_t n, avail;
	int frames = 0, dropped = 0;
	char line[64];

	assert_int_equal(gg_syslog_frame_init(&f, buf, sizeof(buf), 32, GG_SYSLOG_FRAME_AUTO), 0);
	for (int i = 0; i < 1000; i++) {
		/* Every tenth line is 40 bytes: too long. */
		int l = snprintf(line, sizeof(line), "<13>%s%04d\n",
				 i % 10 == 9 ? "0123456789012345678901234567890123" : "msg", i);
		size_t off = 0;

		while (off < (size_t)l) {
			char *dst = gg_syslog_frame_space(&f, &avail);
			size_t k = avail < (size_t)l - off ? avail : (size_t)l - off;
			int rc;

			assert_true(avail > 0);
			memcpy(dst, line + off, k);
			gg_syslog_frame_commit(&f, k);
			off += k;
			while ((rc = gg_syslog_frame_pop(&f, &data, &n, &err)) != 0) {
				if (rc == 1) {
					char want[32];

					snprintf(want, sizeof(want), "<13>msg%04d",
						 frames + dropped);
					assert_int_equal(n, strlen(want));
					assert_memory_equal(data, want, n);
					frames++;
				} else {
					assert_int_equal(rc, -EMSGSIZE);
					dropped++;
				}
			}
		}
	}
	assert_int_equal(frames, 900);
	assert_int_equal(dropped, 100);
	/* The last drop began after 900 short lines of 12 bytes and 99 long ones of 43. */
	{
		char want[64];

		snprintf(want, sizeof(want), "byte %d:", 900 * 12 + 99 * 43);
		assert_non_null(strstr(err.msg, want));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init),
		cmocka_unit_test(test_logger_lf),
		cmocka_unit_test(test_logger_octet),
		cmocka_unit_test(test_trailers),
		cmocka_unit_test(test_trim),
		cmocka_unit_test(test_oversized_lf),
		cmocka_unit_test(test_oversized_octet),
		cmocka_unit_test(test_bad_counts),
		cmocka_unit_test(test_stream_ends),
		cmocka_unit_test(test_space_commit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
