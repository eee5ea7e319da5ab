/* syslog_parse.h: one syslog message (RFC 5424 or RFC 3164, detected) parsed into fields.
 * Pure: bytes in, struct out; no I/O, no globals, no allocation, so tests and fuzzers call it. */
#ifndef GG_SYSLOG_PARSE_H
#define GG_SYSLOG_PARSE_H

#include <stdbool.h>
#include <stddef.h>

#include "base/error.h"

/* Capacities of struct gg_syslog_msg; the limits below may lower them, never raise them. */
#define GG_SYSLOG_MAX_SD_ELEMENTS 32
#define GG_SYSLOG_MAX_SD_PARAMS 128

/* A piece of the message: ptr == NULL means absent (NILVALUE in 5424, not present in 3164),
 * which is not the same as present and empty. Not NUL-terminated; may contain NUL bytes
 * only in msg and SD values. */
struct gg_syslog_str {
	const char *ptr;
	size_t len;
};

enum gg_syslog_format {
	GG_SYSLOG_3164 = 3164,
	GG_SYSLOG_5424 = 5424,
};

/* The timestamp as written. A 3164 stamp has no year and no zone: choosing them belongs to the
 * mapping engine (it knows the receive time and the source's zone), so nothing is guessed here. */
struct gg_syslog_time {
	bool present;     /* false: NILVALUE (5424) or no valid stamp (3164 relay rule) */
	bool has_year;
	int year;         /* 0 when !has_year */
	int month;        /* 1..12 */
	int day;          /* 1..31 (checked against the month, and the year when known) */
	int hour, min;
	int sec;          /* 0..60: a leap second is kept as written */
	int frac_us;      /* fraction in microseconds, 0 when none */
	int frac_digits;  /* digits written after the '.', 0..6, so the precision survives */
	bool has_offset;  /* "Z" counts as an offset of 0 */
	int offset_minutes; /* east of UTC: "-07:00" is -420 */
};

struct gg_syslog_sd_param {
	struct gg_syslog_str name;
	/* Unescaped (\" \\ \] become the second character). Points into the input when the
	 * value had no escape, into the caller's scratch buffer otherwise. */
	struct gg_syslog_str value;
	bool value_utf8;  /* RFC 5424 requires UTF-8 here; senders do not always comply */
};

struct gg_syslog_sd_element {
	struct gg_syslog_str id;
	size_t first_param; /* index into gg_syslog_msg.params */
	size_t n_params;
};

struct gg_syslog_msg {
	enum gg_syslog_format format;
	/* false: no valid PRI (gg_syslog_pri), so RFC 3164 section 4.3.3 applies: facility 1
	 * (user), severity 5 (notice), and what follows is read as an RFC 3164 message. */
	bool pri_valid;
	int facility;     /* 0..23 */
	int severity;     /* 0..7 */
	int version;      /* 1 for 5424, 0 for 3164 */
	struct gg_syslog_time ts;
	struct gg_syslog_str hostname;
	struct gg_syslog_str app_name; /* 3164: the TAG without [pid] and ':' */
	struct gg_syslog_str procid;   /* 3164: the pid between [ and ] */
	struct gg_syslog_str msgid;    /* 5424 only */
	size_t n_sd;
	struct gg_syslog_sd_element sd[GG_SYSLOG_MAX_SD_ELEMENTS];
	size_t n_params;
	struct gg_syslog_sd_param params[GG_SYSLOG_MAX_SD_PARAMS];
	/* The MSG (3164: CONTENT), without the BOM when there was one. Empty, not absent, when
	 * the message has none. */
	struct gg_syslog_str msg;
	/* MSG began with the UTF-8 BOM, so the sender declares it UTF-8 (RFC 5424; 3164
	 * senders that write one after the TAG mean the same); otherwise its encoding is
	 * unknown and it must be treated as bytes. */
	bool msg_bom;
	/* msg is well-formed UTF-8 (no overlong forms, surrogates or code points past
	 * U+10FFFF). It may still hold control characters or NUL: XML checks those itself. */
	bool msg_utf8;
};

struct gg_syslog_limits {
	size_t max_size;        /* longest message accepted, in bytes */
	size_t max_sd_elements; /* at most GG_SYSLOG_MAX_SD_ELEMENTS */
	size_t max_sd_params;   /* in all elements together; at most GG_SYSLOG_MAX_SD_PARAMS */
};

/* What a NULL limits argument means: RFC 5424 section 6.1 has receivers accept 2048 bytes and
 * SHOULD accept 8192; 64 KiB covers the long JSON-in-syslog lines seen in practice. */
#define GG_SYSLOG_DEFAULT_MAX_SIZE 65536

/* Parses len bytes at buf (one message, framing already removed: a trailing LF is part of
 * MSG) into *out. Every slice in *out points into buf or into scratch, so both must outlive
 * *out. scratch receives unescaped SD values; scratch_size >= len always suffices (unescaping
 * only shortens), and scratch may be NULL when scratch_size is 0 and no value has an escape.
 *
 * Returns 0, or on failure fills err (column = 1-based byte offset, message names it too):
 *   -EINVAL   malformed (bad 5424 header field, SD syntax, ...);
 *   -EMSGSIZE longer than limits->max_size;
 *   -E2BIG    more SD elements or params than the limits allow;
 *   -ENOBUFS  scratch too small for the unescaped SD values.
 * A 3164 message never fails on its content. Without a valid PRI, RFC 3164 section 4.3.3
 * applies: PRI 13 (user.notice), and the rest is read as a 3164 message, so a line syslog
 * daemons write to files ("Dec 10 06:55:46 host sshd[24200]: ...") keeps its header; a
 * malformed or out-of-range PRI ("<192>", "<013>", "<>") is skipped, as no part of the
 * message. Without a timestamp after a valid PRI, section 4.3.2: what follows is the MSG (a
 * TAG is still read); without either, the whole input is the MSG. */
int gg_syslog_parse(const char *buf, size_t len, const struct gg_syslog_limits *limits,
		    char *scratch, size_t scratch_size, struct gg_syslog_msg *out,
		    struct gg_error *err);

enum gg_syslog_pri_state {
	GG_SYSLOG_PRI_VALID,   /* "<0>".."<191>", no leading zero */
	GG_SYSLOG_PRI_MISSING, /* the message does not start with a PRI's shape */
	/* PRI-shaped but not one: "<192>", "<999>", "<013>", "<>", "<-1>" ('<', at most five
	 * digits or signs, '>') */
	GG_SYSLOG_PRI_INVALID,
};

/* How the len bytes at buf start: *prival (VALID) and *pri_len (VALID and INVALID: the bytes
 * of the PRI, which are no part of the message) are set. Inputs count senders without a valid
 * PRI with it. */
enum gg_syslog_pri_state gg_syslog_pri(const char *buf, size_t len, int *prival,
				       size_t *pri_len);

/* True when a parsed message says nothing: its MSG is blank (spaces, tabs, line ends, NUL)
 * and it has neither structured data nor a MSGID, whatever header it has. A zero-byte
 * datagram, a PRI alone, a blank line logger turned into a message ("<13>Dec  7 08:00:00 host
 * user: "). An RFC 5424 message whose structured data is its content is not empty. */
bool gg_syslog_msg_empty(const struct gg_syslog_msg *m);

/* True when the len bytes at s are well-formed UTF-8. */
bool gg_syslog_utf8_valid(const char *s, size_t len);

#endif
