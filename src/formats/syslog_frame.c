/* syslog_frame.c: RFC 6587 octet counting and non-transparent (LF) framing over a fixed
 * buffer; an oversized frame is dropped and the stream resynchronised, never buffered. */
#include "formats/syslog_frame.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

/* MSG-LEN digits accepted: 10 digits is already 9.3 GiB, far past any sane max_frame, so an
 * eleventh digit can only be garbage. */
#define COUNT_DIGITS_MAX 10

int gg_syslog_frame_init(struct gg_syslog_framer *f, void *buf, size_t cap, size_t max_frame,
			 enum gg_syslog_framing mode)
{
	memset(f, 0, sizeof(*f));
	if (buf == NULL || max_frame == 0 || max_frame > SIZE_MAX - GG_SYSLOG_FRAME_SLACK ||
	    cap < GG_SYSLOG_FRAME_BUFSIZE(max_frame))
		return -EINVAL;
	if (mode != GG_SYSLOG_FRAME_AUTO && mode != GG_SYSLOG_FRAME_OCTET &&
	    mode != GG_SYSLOG_FRAME_LF)
		return -EINVAL;
	f->buf = buf;
	f->cap = cap;
	f->max_frame = max_frame;
	f->mode = mode;
	return 0;
}

void *gg_syslog_frame_space(struct gg_syslog_framer *f, size_t *avail)
{
	if (f->start > 0) {
		memmove(f->buf, f->buf + f->start, f->end - f->start);
		f->base += f->start;
		f->end -= f->start;
		f->start = 0;
	}
	/* A broken stream takes nothing more: the caller is about to close it. */
	*avail = f->broken ? 0 : f->cap - f->end;
	return f->buf + f->end;
}

void gg_syslog_frame_commit(struct gg_syslog_framer *f, size_t n)
{
	if (n > f->cap - f->end)
		n = f->cap - f->end;
	f->end += n;
}

size_t gg_syslog_frame_push(struct gg_syslog_framer *f, const void *data, size_t len)
{
	size_t avail;
	void *dst = gg_syslog_frame_space(f, &avail);

	if (len > avail)
		len = avail;
	if (len > 0)
		memcpy(dst, data, len);
	gg_syslog_frame_commit(f, len);
	return len;
}

static uint64_t stream_off(const struct gg_syslog_framer *f, size_t pos)
{
	return f->base + pos;
}

/* A connection-level error: the byte stream cannot be trusted past this point. */
static int proto_error(struct gg_syslog_framer *f, size_t pos, const char *what,
		       struct gg_error *err)
{
	f->broken = 1;
	return gg_error_set(err, -EPROTO, "syslog framing: byte %" PRIu64 ": %s",
			    stream_off(f, pos), what);
}

static int too_big(struct gg_syslog_framer *f, size_t pos, uint64_t len, struct gg_error *err)
{
	return gg_error_set(err, -EMSGSIZE,
			    "syslog framing: byte %" PRIu64 ": frame of %" PRIu64
			    " bytes or more is longer than %zu, dropped",
			    stream_off(f, pos), len, f->max_frame);
}

/* The first LF or NUL at or after from, or end when there is none. Two memchr passes: the
 * lines that matter for speed are long, and a NUL is rare. */
static size_t find_trailer(const struct gg_syslog_framer *f, size_t from)
{
	const unsigned char *lf, *nul;
	size_t stop;

	if (from >= f->end)
		return f->end;
	lf = memchr(f->buf + from, '\n', f->end - from);
	stop = lf != NULL ? (size_t)(lf - f->buf) : f->end;
	nul = memchr(f->buf + from, '\0', stop - from);
	return nul != NULL ? (size_t)(nul - f->buf) : stop;
}

/* Bytes that carry no message between frames: an empty line, or a line end some senders put
 * after an octet-counted frame as well. */
static int is_filler(unsigned char ch)
{
	return ch == '\n' || ch == '\r' || ch == '\0';
}

static int pop_lf(struct gg_syslog_framer *f, const char **data, size_t *len,
		  struct gg_error *err)
{
	for (;;) {
		size_t i = find_trailer(f, f->start + f->scan), at = f->start, flen;

		if (i == f->end) {
			if (f->discarding) {
				f->start = f->end;
				f->scan = 0;
				return 0;
			}
			f->scan = f->end - f->start;
			/* max_frame + 1: the CR of a CRLF may still be followed by its LF. */
			if (f->end - f->start > f->max_frame + 1) {
				f->discarding = 1;
				f->start = f->end;
				f->scan = 0;
				return too_big(f, at, f->max_frame + 1, err);
			}
			return 0;
		}
		flen = i - at;
		if (flen > 0 && f->buf[i - 1] == '\r')
			flen--;
		f->start = i + 1;
		f->scan = 0;
		if (f->discarding) {
			/* The tail of a frame already reported: resynchronised. */
			f->discarding = 0;
			continue;
		}
		if (flen == 0)
			continue;
		if (flen > f->max_frame)
			return too_big(f, at, flen, err);
		*data = (const char *)f->buf + at;
		*len = flen;
		return 1;
	}
}

static int pop_octet(struct gg_syslog_framer *f, const char **data, size_t *len,
		     struct gg_error *err)
{
	for (;;) {
		if (f->skip > 0) {
			size_t have = f->end - f->start;
			size_t drop = f->skip < have ? (size_t)f->skip : have;

			f->start += drop;
			f->skip -= drop;
			if (f->skip > 0)
				return 0;
		}
		if (f->want == 0) {
			uint64_t count = 0;
			size_t i;
			int n = 0;

			while (f->start < f->end && is_filler(f->buf[f->start]))
				f->start++;
			if (f->start == f->end)
				return 0;
			if (f->buf[f->start] < '1' || f->buf[f->start] > '9')
				return proto_error(f, f->start,
						   "octet count expected (RFC 6587 section 3.4.1)",
						   err);
			for (i = f->start; i < f->end && f->buf[i] >= '0' && f->buf[i] <= '9';
			     i++) {
				if (++n > COUNT_DIGITS_MAX)
					return proto_error(f, f->start, "octet count too long",
							   err);
				count = count * 10 + (uint64_t)(f->buf[i] - '0');
			}
			if (i == f->end)
				return 0;
			if (f->buf[i] != ' ')
				return proto_error(f, i, "SP expected after the octet count", err);
			if (count > f->max_frame) {
				size_t at = f->start;

				f->start = i + 1;
				f->skip = count;
				return too_big(f, at, count, err);
			}
			f->start = i + 1;
			f->want = count;
		}
		if (f->end - f->start < f->want)
			return 0;
		*data = (const char *)f->buf + f->start;
		*len = (size_t)f->want;
		f->start += (size_t)f->want;
		f->want = 0;
		return 1;
	}
}

/* RFC 6587 section 3.4: a frame starting with a digit is octet-counted, anything else (a '<'
 * in practice) is LF-framed. Leading line ends are dropped first: they mean nothing in either. */
static int detect(struct gg_syslog_framer *f)
{
	while (f->start < f->end && is_filler(f->buf[f->start]))
		f->start++;
	if (f->start == f->end)
		return 0;
	f->mode = f->buf[f->start] >= '0' && f->buf[f->start] <= '9' ? GG_SYSLOG_FRAME_OCTET
								  : GG_SYSLOG_FRAME_LF;
	return 1;
}

int gg_syslog_frame_pop(struct gg_syslog_framer *f, const char **data, size_t *len,
			struct gg_error *err)
{
	*data = NULL;
	*len = 0;
	if (f->broken)
		return gg_error_set(err, -EPROTO, "syslog framing: connection already failed");
	if (f->mode == GG_SYSLOG_FRAME_AUTO && !detect(f))
		return 0;
	if (f->mode == GG_SYSLOG_FRAME_OCTET)
		return pop_octet(f, data, len, err);
	return pop_lf(f, data, len, err);
}

/* Empties f, and says whether a partial frame was in it: bytes of a frame not yet complete
 * (for octet counting, its count included). A frame being dropped as oversized was counted
 * when it began, and filler between frames is nothing. */
static int drop_partial(struct gg_syslog_framer *f)
{
	int cut = 0;

	if (f->mode == GG_SYSLOG_FRAME_OCTET) {
		if (f->want == 0)
			while (f->start < f->end && is_filler(f->buf[f->start]))
				f->start++;
		cut = f->skip == 0 && (f->want > 0 || f->start < f->end);
	} else if (f->mode == GG_SYSLOG_FRAME_LF) {
		size_t flen = f->end - f->start;

		if (flen > 0 && f->buf[f->end - 1] == '\r')
			flen--;
		cut = !f->discarding && flen > 0;
	}
	f->start = f->end;
	f->scan = 0;
	f->want = 0;
	f->skip = 0;
	f->discarding = 0;
	return cut;
}

int gg_syslog_frame_finish(struct gg_syslog_framer *f, const char **data, size_t *len,
			   struct gg_error *err)
{
	size_t flen;

	*data = NULL;
	*len = 0;
	if (f->broken)
		return gg_error_set(err, -EPROTO, "syslog framing: connection already failed");
	if (f->mode == GG_SYSLOG_FRAME_AUTO && !detect(f))
		return 0;
	if (f->mode == GG_SYSLOG_FRAME_OCTET) {
		size_t at;

		if (f->want == 0)
			while (f->start < f->end && is_filler(f->buf[f->start]))
				f->start++;
		at = f->start;
		/* No trailer can complete it: the sender stopped inside a frame. */
		if (!drop_partial(f))
			return 0;
		return gg_error_set(err, -EPIPE,
				    "syslog framing: byte %" PRIu64 ": stream ends inside an "
				    "octet-counted frame, truncated frame dropped",
				    stream_off(f, at));
	}
	if (f->discarding || f->start == f->end) {
		drop_partial(f);
		return 0;
	}
	flen = f->end - f->start;
	if (f->buf[f->end - 1] == '\r')
		flen--;
	*data = (const char *)f->buf + f->start;
	f->start = f->end;
	f->scan = 0;
	if (flen == 0) {
		*data = NULL;
		return 0;
	}
	if (flen > f->max_frame) {
		*data = NULL;
		return too_big(f, f->end - flen, flen, err);
	}
	*len = flen;
	return 1;
}

int gg_syslog_frame_abort(struct gg_syslog_framer *f)
{
	if (f->broken)
		return 0;
	if (f->mode == GG_SYSLOG_FRAME_AUTO && !detect(f))
		return 0;
	return drop_partial(f);
}

size_t gg_syslog_frame_trim(const char *data, size_t len)
{
	while (len > 0 && is_filler((unsigned char)data[len - 1]))
		len--;
	return len;
}
