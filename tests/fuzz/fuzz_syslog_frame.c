/* fuzz_syslog_frame.c: libFuzzer target for RFC 6587 framing then parsing: the stream arrives
 * in chunks sized by the input's first bytes, every frame is popped and parsed. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "formats/syslog_frame.h"
#include "formats/syslog_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Input layout: byte 0 picks the framing mode and max_frame, bytes 1..8 are chunk sizes used
 * in turn (0 means 256), the rest is the stream. */
#define HEADER 9

static void finding(const char *what)
{
	fprintf(stderr, "fuzz_syslog_frame: %s\n", what);
	abort();
}

static struct gg_syslog_msg msg;

static void parse_frame(const char *frame, size_t len, size_t max_frame)
{
	/* Its own exactly-sized copy, so a read past the frame is a read past the buffer. */
	char *copy = malloc(len);
	char *scratch = malloc(len);
	struct gg_error err;

	if (copy == NULL || scratch == NULL)
		abort();
	if (len == 0 || len > max_frame)
		finding("a frame is empty or longer than max_frame");
	memcpy(copy, frame, len);
	(void)gg_syslog_parse(copy, len, NULL, scratch, len, &msg, &err);
	free(scratch);
	free(copy);
}

/* Pops everything; returns -1 on a connection error, else the bytes framed. */
static long drain(struct gg_syslog_framer *f)
{
	struct gg_error err;
	const char *frame;
	size_t len;
	long out = 0;
	int rc;

	while ((rc = gg_syslog_frame_pop(f, &frame, &len, &err)) != 0) {
		if (rc == 1) {
			const char *lo = (const char *)f->buf;

			if (frame < lo || frame + len > lo + f->end)
				finding("a frame points outside the buffer");
			parse_frame(frame, len, f->max_frame);
			out += (long)len;
		} else if (rc == -EPROTO) {
			if (gg_syslog_frame_pop(f, &frame, &len, &err) != -EPROTO)
				finding("a connection error did not stick");
			return -1;
		} else if (rc != -EMSGSIZE) {
			finding("pop returned an unknown code");
		}
	}
	return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t maxes[] = { 1, 2, 7, 16, 64, 300, 2048 };
	struct gg_syslog_framer f;
	const uint8_t *s;
	size_t n, off = 0, max, cap, turn = 0;
	long framed = 0, got;
	void *buf;
	enum gg_syslog_framing mode;
	const char *frame;
	size_t len;
	struct gg_error err;

	if (size < HEADER)
		return 0;
	mode = (enum gg_syslog_framing)(data[0] % 3);
	max = maxes[(data[0] / 3) % (sizeof(maxes) / sizeof(maxes[0]))];
	s = data + HEADER;
	n = size - HEADER;
	cap = GG_SYSLOG_FRAME_BUFSIZE(max);
	buf = malloc(cap);
	if (buf == NULL || gg_syslog_frame_init(&f, buf, cap, max, mode) != 0)
		abort();
	while (off < n) {
		size_t chunk = data[1 + turn++ % 8], took;

		if (chunk == 0)
			chunk = 256;
		if (chunk > n - off)
			chunk = n - off;
		took = gg_syslog_frame_push(&f, s + off, chunk);
		off += took;
		if ((got = drain(&f)) < 0)
			goto out;
		framed += got;
		if (took == 0)
			finding("push took nothing after every frame was popped");
		if (f.end - f.start > cap)
			finding("buffer bookkeeping broken");
	}
	if (gg_syslog_frame_finish(&f, &frame, &len, &err) == 1) {
		parse_frame(frame, len, max);
		framed += (long)len;
	}
	/* Framing only ever removes counts and trailers. */
	if (framed > (long)n)
		finding("more bytes framed than received");
out:
	free(buf);
	return 0;
}
