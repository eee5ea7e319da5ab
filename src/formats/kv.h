/* kv.h: the (key, value) list every payload parser returns (CEF extension, LEEF attributes,
 * plain key=value), the limits they share, and the plain key=value parser (iptables, UFW...). */
#ifndef GG_PAYLOAD_KV_H
#define GG_PAYLOAD_KV_H

#include <stddef.h>

#include "base/error.h"

/* A zeroed struct gg_kv_limits means these; they are defined here and nowhere else. */
#define GG_KV_DEFAULT_MAX_PAIRS 256
#define GG_KV_DEFAULT_MAX_LEN (64 * 1024)

/* gg_kv_limits.flags */
/* Parse input that is not valid UTF-8 instead of refusing it; the list records where the first
 * bad byte is (bad_utf8_at) so the caller can decide (re-encode, quarantine, keep as is). */
#define GG_KV_ALLOW_BAD_UTF8 0x1u

struct gg_kv_limits {
	size_t max_pairs; /* 0: GG_KV_DEFAULT_MAX_PAIRS */
	size_t max_len;   /* bytes of input; 0: GG_KV_DEFAULT_MAX_LEN */
	unsigned flags;
};

/* gg_kv.flags */
#define GG_KV_BARE 0x1u   /* a word without '=' (iptables' DF, SYN): key is the word, value "" */
#define GG_KV_QUOTED 0x2u /* the value was written in double quotes */

struct gg_kv {
	const char *key;   /* NUL-terminated, unescaped; never NULL */
	const char *value; /* NUL-terminated, unescaped; never NULL ("" when empty) */
	size_t key_len, value_len;
	size_t offset;     /* byte offset of the key in the input the parser was given */
	unsigned flags;
};

#define GG_KV_UTF8_OK ((size_t)-1)

/* Pairs in input order; duplicate keys are all kept. The strings live in one arena owned by
 * the list, so one gg_kv_list_free releases everything a parser returned. */
struct gg_kv_list {
	struct gg_kv *pairs;
	size_t n;
	size_t bad_utf8_at; /* GG_KV_UTF8_OK, or the offset of the first invalid byte */

	/* Private to the parsers. */
	size_t cap, max_pairs;
	char *arena;
	size_t arena_used, arena_cap;
};

/* Plain key=value payload: pairs separated by spaces or tabs; a key is any run of bytes other
 * than blanks, '=' and '"'; a value is unquoted (up to the next blank) or double-quoted with \"
 * and \\ escapes. Words without '=' are kept as GG_KV_BARE pairs. Returns 0 and *out, or a
 * negative errno (-EINVAL malformed, -E2BIG over a limit, -EILSEQ NUL or bad UTF-8, -ENOMEM)
 * with err naming the byte offset (err->column is that offset + 1). lim may be NULL. */
int gg_kv_parse(const char *buf, size_t len, const struct gg_kv_limits *lim,
		struct gg_kv_list **out, struct gg_error *err);
/* Takes NULL. */
void gg_kv_list_free(struct gg_kv_list *list);
/* The first pair named key, or NULL. */
const struct gg_kv *gg_kv_find(const struct gg_kv_list *list, const char *key);

/* For the payload parsers (cef.c, leef.c), not for their callers. */

/* Applies the limits, trims trailing CR/LF (framing, not content) from *len, refuses NUL bytes
 * and (unless allowed) invalid UTF-8, and makes an empty list whose arena holds every string a
 * parse of these len bytes can produce. what names the format in error messages. */
int gg_kv_list_begin(const char *what, const char *buf, size_t *len,
		     const struct gg_kv_limits *lim, struct gg_kv_list **out,
		     struct gg_error *err);
/* n + 1 bytes of the arena for a string of at most n bytes and its NUL; NULL when it would
 * overflow (cannot happen for strings cut from the input, which is what the arena is sized
 * for). */
char *gg_kv_list_alloc(struct gg_kv_list *list, size_t n);
/* Appends a pair whose strings are already in the arena. -E2BIG past max_pairs, -ENOMEM. */
int gg_kv_list_push(struct gg_kv_list *list, const char *key, size_t key_len,
		    const char *value, size_t value_len, size_t offset, unsigned flags);
/* Fills err for a malformed payload: "what: byte N: detail", line 1, column N + 1. */
int gg_kv_fail(struct gg_error *err, int code, const char *what, size_t offset,
	       const char *fmt, ...) __attribute__((format(printf, 5, 6)));

#endif
