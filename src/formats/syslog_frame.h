/* syslog_frame.h: RFC 6587 framing of one TCP connection's byte stream into syslog messages,
 * incrementally, in a fixed buffer the caller owns: memory per connection is bounded. */
#ifndef GG_SYSLOG_FRAME_H
#define GG_SYSLOG_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

enum gg_syslog_framing {
	GG_SYSLOG_FRAME_AUTO,  /* from the first byte, RFC 6587 section 3.4 */
	GG_SYSLOG_FRAME_OCTET, /* "MSG-LEN SP MSG", section 3.4.1 */
	GG_SYSLOG_FRAME_LF,    /* MSG then LF (or CRLF, or NUL), section 3.4.2 */
};

/* Room beyond max_frame that the buffer needs: a CR and LF trailer, or an octet count of up
 * to 10 digits and its SP (which are consumed before the message arrives). */
#define GG_SYSLOG_FRAME_SLACK 16
#define GG_SYSLOG_FRAME_BUFSIZE(max_frame) ((max_frame) + GG_SYSLOG_FRAME_SLACK)

/* All fields are private to syslog_frame.c; the struct is public so that it can live inside
 * the caller's connection struct with no allocation. */
struct gg_syslog_framer {
	unsigned char *buf;
	size_t cap;
	size_t max_frame;
	size_t start;         /* first byte not yet framed */
	size_t end;           /* one past the last byte received */
	size_t scan;          /* LF framing: bytes from start already known to hold no trailer */
	uint64_t base;        /* stream offset of buf[0], for error messages */
	uint64_t want;        /* octet counting: bytes of the current frame, 0 between frames */
	uint64_t skip;        /* octet counting: bytes of an oversized frame still to drop */
	enum gg_syslog_framing mode;
	int discarding;       /* LF framing: dropping an oversized frame up to its trailer */
	int broken;           /* a connection-level error was reported: nothing more is framed */
};

/* Sets f up over buf[0..cap): cap must be at least GG_SYSLOG_FRAME_BUFSIZE(max_frame), and
 * buf must outlive f. Returns 0 or -EINVAL. */
int gg_syslog_frame_init(struct gg_syslog_framer *f, void *buf, size_t cap, size_t max_frame,
			 enum gg_syslog_framing mode);

/* Zero-copy receive: where the next bytes may go and how many fit, as in
 * recv(fd, gg_syslog_frame_space(f, &n), n, 0); then gg_syslog_frame_commit(f, got).
 * Moves unframed bytes to the front, so it ends the validity of popped frames. After all
 * frames are popped, at least one byte always fits (while the connection is not broken). */
void *gg_syslog_frame_space(struct gg_syslog_framer *f, size_t *avail);
void gg_syslog_frame_commit(struct gg_syslog_framer *f, size_t n);

/* Copying alternative: takes as many of the len bytes as fit and returns that count. When it
 * is short of len, pop frames and push the rest. Ends the validity of popped frames. */
size_t gg_syslog_frame_push(struct gg_syslog_framer *f, const void *data, size_t len);

/* The next complete frame, without its octet count or trailer. Returns:
 *    1         *data and *len hold a frame (a slice of the buffer, valid until the next
 *              space, commit or push call);
 *    0         more bytes needed;
 *   -EMSGSIZE  a frame longer than max_frame was dropped (err says where): count it, carry
 *              on popping; the stream is resynchronised at the next trailer (LF framing) or
 *              after exactly the counted bytes (octet counting);
 *   -EPROTO    malformed octet count (not a digit, zero, more than 10 digits): the stream
 *              cannot be resynchronised, close the connection. Every later pop says the same.
 * Empty LF-framed lines are skipped without a word: they carry no message. */
int gg_syslog_frame_pop(struct gg_syslog_framer *f, const char **data, size_t *len,
			struct gg_error *err);

/* The two ends of a stream (docs/architecture.md, "Syslog input"). Call them after popping
 * everything; both empty the framer, so a second call returns 0.
 *
 * finish: an orderly end (TCP FIN, TLS close_notify). A last LF-framed message that lost its
 * trailer is still a message: returns 1 with the frame (as rsyslog's imtcp does). An
 * octet-counted frame shorter than its count, or a count cut short, is truncated: returns
 * -EPIPE (err says where; drop it and count it). -EMSGSIZE for a last LF line longer than
 * max_frame, 0 when the stream ended between frames, -EPROTO when it was already broken. */
int gg_syslog_frame_finish(struct gg_syslog_framer *f, const char **data, size_t *len,
			   struct gg_error *err);

/* abort: an abortive end (TCP reset, a read error, TLS without close_notify): whatever partial
 * frame is held was cut by the failure, whichever the framing, and is dropped. Returns 1 when
 * there was one (count it as truncated), 0 when the stream ended between frames, inside a
 * frame already dropped as oversized, or was already broken. */
int gg_syslog_frame_abort(struct gg_syslog_framer *f);

/* The length of one message without the line end its sender put inside the frame: a UDP
 * datagram is one message (RFC 5426 section 3.1), an octet-counted frame too, yet logger,
 * appliances and C programs end them as lines (LF, CRLF, a string's NUL). LF, CR and NUL at
 * the end, however many, are framing, not content, as they are in LF framing. */
size_t gg_syslog_frame_trim(const char *data, size_t len);

#endif
