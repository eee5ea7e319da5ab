/* kv.c: the pair list shared by the payload parsers (limits, input checks, one arena) and the
 * plain key=value parser for firewall and appliance lines (iptables/UFW "SRC=... DPT=..."). */
#include "formats/kv.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Room for what the first records of a message usually need; grown by doubling. */
#define KV_FIRST_CAP 16

int gg_kv_fail(struct gg_error *err, int code, const char *what, size_t offset,
	       const char *fmt, ...)
{
	char detail[384];
	va_list ap;

	if (err == NULL)
		return code;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	return gg_error_set_at(err, code, 1, offset < INT_MAX ? (int)offset + 1 : INT_MAX,
			       "%s: byte %zu: %s", what, offset, detail);
}

/* The offset of the first byte that does not start a well-formed UTF-8 sequence (RFC 3629:
 * no overlong forms, no surrogates, nothing past U+10FFFF), or len. */
static size_t utf8_first_bad(const unsigned char *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		unsigned c = s[i], cp, min;
		size_t n, k;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			n = 1, cp = c & 0x1f, min = 0x80;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2, cp = c & 0x0f, min = 0x800;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3, cp = c & 0x07, min = 0x10000;
		} else {
			return i;
		}
		if (len - i - 1 < n)
			return i;
		for (k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return i;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return i;
		i += n + 1;
	}
	return len;
}

int gg_kv_list_begin(const char *what, const char *buf, size_t *len,
		     const struct gg_kv_limits *lim, struct gg_kv_list **out,
		     struct gg_error *err)
{
	size_t max_len = lim != NULL && lim->max_len != 0 ? lim->max_len : GG_KV_DEFAULT_MAX_LEN;
	size_t max_pairs = lim != NULL && lim->max_pairs != 0 ? lim->max_pairs
							      : GG_KV_DEFAULT_MAX_PAIRS;
	unsigned flags = lim != NULL ? lim->flags : 0;
	struct gg_kv_list *l;
	const char *nul;
	size_t bad;

	*out = NULL;
	if (buf == NULL && *len != 0)
		return gg_kv_fail(err, -EINVAL, what, 0, "no buffer");
	/* The arena is twice the input: checked before the doubling can wrap. */
	if (*len > max_len || *len > SIZE_MAX / 4)
		return gg_kv_fail(err, -E2BIG, what, max_len,
				  "message of %zu bytes is over the limit of %zu", *len, max_len);
	while (*len > 0 && (buf[*len - 1] == '\n' || buf[*len - 1] == '\r'))
		(*len)--;
	/* Every string handed on is NUL-terminated and ends up in XML, where NUL cannot be. */
	if (*len > 0 && (nul = memchr(buf, '\0', *len)) != NULL)
		return gg_kv_fail(err, -EILSEQ, what, (size_t)(nul - buf), "NUL byte");
	bad = *len > 0 ? utf8_first_bad((const unsigned char *)buf, *len) : 0;
	if (bad < *len && !(flags & GG_KV_ALLOW_BAD_UTF8))
		return gg_kv_fail(err, -EILSEQ, what, bad, "invalid UTF-8 (byte 0x%02x)",
				  (unsigned)(unsigned char)buf[bad]);
	l = calloc(1, sizeof(*l));
	if (l == NULL)
		return gg_kv_fail(err, -ENOMEM, what, 0, "out of memory");
	l->bad_utf8_at = bad < *len ? bad : GG_KV_UTF8_OK;
	l->max_pairs = max_pairs;
	/* Unescaping never lengthens a string, and every string (each with its NUL, a bare word
	 * with its empty value) is cut from at least one byte of input plus a separator, so
	 * 2 * len bytes and a little for the fixed header fields always suffice. */
	l->arena_cap = 2 * *len + 64;
	l->arena = malloc(l->arena_cap);
	if (l->arena == NULL) {
		gg_kv_list_free(l);
		return gg_kv_fail(err, -ENOMEM, what, 0, "out of memory");
	}
	*out = l;
	return 0;
}

char *gg_kv_list_alloc(struct gg_kv_list *list, size_t n)
{
	char *p;

	if (n >= list->arena_cap - list->arena_used)
		return NULL;
	p = list->arena + list->arena_used;
	list->arena_used += n + 1;
	return p;
}

int gg_kv_list_push(struct gg_kv_list *list, const char *key, size_t key_len,
		    const char *value, size_t value_len, size_t offset, unsigned flags)
{
	struct gg_kv *kv;

	if (list->n == list->max_pairs)
		return -E2BIG;
	if (list->n == list->cap) {
		size_t cap = list->cap == 0 ? KV_FIRST_CAP : 2 * list->cap;
		struct gg_kv *p;

		if (cap > list->max_pairs)
			cap = list->max_pairs;
		p = realloc(list->pairs, cap * sizeof(*p));
		if (p == NULL)
			return -ENOMEM;
		list->pairs = p;
		list->cap = cap;
	}
	kv = &list->pairs[list->n++];
	kv->key = key;
	kv->key_len = key_len;
	kv->value = value;
	kv->value_len = value_len;
	kv->offset = offset;
	kv->flags = flags;
	return 0;
}

void gg_kv_list_free(struct gg_kv_list *list)
{
	if (list == NULL)
		return;
	free(list->pairs);
	free(list->arena);
	free(list);
}

const struct gg_kv *gg_kv_find(const struct gg_kv_list *list, const char *key)
{
	size_t i;

	if (list == NULL || key == NULL)
		return NULL;
	for (i = 0; i < list->n; i++)
		if (strcmp(list->pairs[i].key, key) == 0)
			return &list->pairs[i];
	return NULL;
}

static int kv_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int kv_keychar(char c)
{
	return !kv_blank(c) && c != '=' && c != '"';
}

/* Copies src[0..n) into the arena; quoted values drop the backslash of \" and \\ only, so a
 * Windows path written without escapes keeps its backslashes. */
static char *kv_copy(struct gg_kv_list *l, const char *src, size_t n, int quoted, size_t *out_len)
{
	char *dst = gg_kv_list_alloc(l, n);
	size_t i, o = 0;

	if (dst == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		if (quoted && src[i] == '\\' && i + 1 < n && (src[i + 1] == '"' || src[i + 1] == '\\'))
			i++;
		dst[o++] = src[i];
	}
	dst[o] = '\0';
	*out_len = o;
	return dst;
}

static int kv_push_error(struct gg_error *err, int rc, size_t off, size_t max_pairs)
{
	if (rc == -E2BIG)
		return gg_kv_fail(err, rc, "kv", off, "more than %zu pairs", max_pairs);
	return gg_kv_fail(err, rc, "kv", off, "out of memory");
}

int gg_kv_parse(const char *buf, size_t len, const struct gg_kv_limits *lim,
		struct gg_kv_list **out, struct gg_error *err)
{
	struct gg_kv_list *l = NULL;
	size_t i = 0;
	int rc;

	*out = NULL;
	if ((rc = gg_kv_list_begin("kv", buf, &len, lim, &l, err)) != 0)
		return rc;
	for (;;) {
		size_t start, k, v, e, klen = 0, vlen = 0;
		const char *key, *value;
		unsigned flags = 0;

		while (i < len && kv_blank(buf[i]))
			i++;
		if (i == len)
			break;
		start = k = i;
		while (k < len && kv_keychar(buf[k]))
			k++;
		if (k < len && buf[k] == '=') {
			if (k == start) {
				rc = gg_kv_fail(err, -EINVAL, "kv", start, "empty key before '='");
				goto fail;
			}
			v = k + 1;
			if (v < len && buf[v] == '"') {
				/* Quoted: up to the first '"' not escaped by a backslash. */
				for (e = v + 1; e < len && buf[e] != '"'; e++)
					if (buf[e] == '\\' && e + 1 < len)
						e++;
				if (e >= len) {
					rc = gg_kv_fail(err, -EINVAL, "kv", v,
							"value of '%.*s' has no closing quote",
							(int)(k - start), buf + start);
					goto fail;
				}
				if (e + 1 < len && !kv_blank(buf[e + 1])) {
					rc = gg_kv_fail(err, -EINVAL, "kv", e + 1,
							"no blank after the closing quote");
					goto fail;
				}
				flags = GG_KV_QUOTED;
				value = kv_copy(l, buf + v + 1, e - v - 1, 1, &vlen);
				i = e + 1;
			} else {
				for (e = v; e < len && !kv_blank(buf[e]); e++)
					;
				value = kv_copy(l, buf + v, e - v, 0, &vlen);
				i = e;
			}
			key = kv_copy(l, buf + start, k - start, 0, &klen);
		} else {
			/* A word of its own: iptables writes TCP flags and DF this way, and a
			 * --log-prefix such as "[UFW BLOCK]" comes out as words too. */
			for (e = start; e < len && !kv_blank(buf[e]); e++)
				;
			key = kv_copy(l, buf + start, e - start, 0, &klen);
			value = kv_copy(l, "", 0, 0, &vlen);
			flags = GG_KV_BARE;
			i = e;
		}
		if (key == NULL || value == NULL) {
			/* The arena is sized for the worst case: reaching this is a bug here. */
			rc = gg_kv_fail(err, -ENOMEM, "kv", start, "string arena exhausted");
			goto fail;
		}
		if ((rc = gg_kv_list_push(l, key, klen, value, vlen, start, flags)) != 0) {
			rc = kv_push_error(err, rc, start, l->max_pairs);
			goto fail;
		}
	}
	*out = l;
	return 0;
fail:
	gg_kv_list_free(l);
	return rc;
}
