/* leef.c: IBM QRadar LEEF 1.0/2.0 parser: pipe-separated header, then key=value attributes
 * split on a tab (1.0) or on the delimiter the 2.0 header names. Pure: bytes in, struct out.
 *
 * Rules from IBM's "Log Event Extended Format (LEEF)" guide, "LEEF event components"
 * (ibm.com/docs SS42VS_DSM c_LEEF_Format_Guide_LEEFeventcomps; the same text in Juniper JSA
 * 7.5 "LEEF Event Components"):
 * - LEEF:Version|Vendor|Product|Version|EventID| then attributes separated by tabs (1.0);
 * - LEEF:2.0|Vendor|Product|Version|EventID|DelimiterCharacter| then attributes separated by
 *   that character, given as a single character or as a hex value prefixed 0x or x followed
 *   by 1-4 hex digits (e.g. ^, 0x5E, x5E);
 * - the syslog header before it is optional and separated by a space (the caller strips it).
 * The guide defines no escapes: header fields stop at the next '|', an attribute's key at its
 * first '=' (so values may hold '='). Where it is silent we choose and say so: an empty 2.0
 * delimiter field means tab, "1"/"2" are read as "1.0"/"2.0", a hex delimiter above 0x7F is a
 * Unicode code point (the payload is UTF-8), and empty attributes (two delimiters in a row, a
 * trailing one) are skipped. */
#include "formats/leef.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/hex.h"

#define LEEF_MAX_HEADER_FIELDS 6 /* Version .. EventID, and DelimiterCharacter in 2.0 */

/* The length of the UTF-8 sequence that lead byte c starts, or 1 for anything else (the
 * input was checked, or bad UTF-8 was allowed and a byte stands for itself). */
static size_t leef_utf8_len(unsigned char c)
{
	if (c >= 0xf0 && c <= 0xf4)
		return 4;
	if (c >= 0xe0)
		return c <= 0xef ? 3 : 1;
	if (c >= 0xc2)
		return 2;
	return 1;
}

static size_t leef_utf8_put(char *dst, unsigned cp)
{
	if (cp < 0x80) {
		dst[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		dst[0] = (char)(0xc0 | cp >> 6);
		dst[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	dst[0] = (char)(0xe0 | cp >> 12);
	dst[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
	dst[2] = (char)(0x80 | (cp & 0x3f));
	return 3;
}

/* Reads the 2.0 DelimiterCharacter field s[0..n) into dst (at least 5 bytes): 0 and *dlen,
 * or -1 when it is neither one character nor a usable hex value. */
static int leef_delimiter(const char *s, size_t n, char *dst, size_t *dlen)
{
	size_t skip = 0, i;
	unsigned cp = 0;

	if (n == 0) {
		dst[0] = '\t';
		*dlen = 1;
	} else if (n == leef_utf8_len((unsigned char)s[0])) {
		/* One character, including a lone 'x' or '0'. */
		memcpy(dst, s, n);
		*dlen = n;
	} else {
		if (s[0] == 'x' || s[0] == 'X')
			skip = 1;
		else if (n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
			skip = 2;
		else
			return -1;
		if (n - skip < 1 || n - skip > 4)
			return -1;
		for (i = skip; i < n; i++) {
			int h = gg_hex_value(s[i]);

			if (h < 0)
				return -1;
			cp = cp << 4 | (unsigned)h;
		}
		/* NUL cannot be in the input; a surrogate is not a character. */
		if (cp == 0 || (cp >= 0xd800 && cp <= 0xdfff))
			return -1;
		*dlen = leef_utf8_put(dst, cp);
	}
	/* '=' splits key from value, so it cannot also split attributes. */
	if (*dlen == 1 && dst[0] == '=')
		return -1;
	dst[*dlen] = '\0';
	return 0;
}

static int leef_attributes(struct gg_kv_list *l, const char *buf, size_t len, size_t i,
			   const char *delim, size_t dlen, struct gg_error *err)
{
	while (i < len) {
		const char *hit = memmem(buf + i, len - i, delim, dlen);
		size_t end = hit != NULL ? (size_t)(hit - buf) : len;
		const char *eq = end > i ? memchr(buf + i, '=', end - i) : NULL;
		size_t klen, vlen;
		char *key, *value;
		int rc;

		if (end == i) {
			i += dlen;
			continue;
		}
		if (eq == NULL)
			return gg_kv_fail(err, -EINVAL, "leef", i, "attribute '%.*s' without '='",
					  (int)(end - i > 32 ? 32 : end - i), buf + i);
		klen = (size_t)(eq - (buf + i));
		if (klen == 0)
			return gg_kv_fail(err, -EINVAL, "leef", i, "empty attribute key");
		vlen = end - i - klen - 1;
		key = gg_kv_list_alloc(l, klen);
		value = gg_kv_list_alloc(l, vlen);
		if (key == NULL || value == NULL)
			return gg_kv_fail(err, -ENOMEM, "leef", i, "string arena exhausted");
		memcpy(key, buf + i, klen);
		key[klen] = '\0';
		memcpy(value, eq + 1, vlen);
		value[vlen] = '\0';
		rc = gg_kv_list_push(l, key, klen, value, vlen, i, 0);
		if (rc == -E2BIG)
			return gg_kv_fail(err, rc, "leef", i, "more than %zu attributes",
					  l->max_pairs);
		if (rc != 0)
			return gg_kv_fail(err, rc, "leef", i, "out of memory");
		i = hit != NULL ? end + dlen : len;
	}
	return 0;
}

static const char *leef_copy(struct gg_kv_list *l, const char *src, size_t n)
{
	char *dst = gg_kv_list_alloc(l, n);

	if (dst == NULL)
		return NULL;
	memcpy(dst, src, n);
	dst[n] = '\0';
	return dst;
}

int gg_leef_parse(const char *buf, size_t len, const struct gg_kv_limits *lim,
		  struct gg_leef **out, struct gg_error *err)
{
	size_t start[LEEF_MAX_HEADER_FIELDS], end[LEEF_MAX_HEADER_FIELDS];
	const char **fields[5];
	struct gg_leef *leef = NULL;
	struct gg_kv_list *l = NULL;
	size_t i = 0, f, nfields, vlen;
	bool no_delimiter = false;
	char *delim;
	int rc;

	*out = NULL;
	if ((rc = gg_kv_list_begin("leef", buf, &len, lim, &l, err)) != 0)
		return rc;
	leef = calloc(1, sizeof(*leef));
	if (leef == NULL) {
		rc = gg_kv_fail(err, -ENOMEM, "leef", 0, "out of memory");
		goto fail;
	}
	leef->attrs = l;
	while (i < len && (buf[i] == ' ' || buf[i] == '\t'))
		i++;
	if (len - i < 5 || memcmp(buf + i, "LEEF:", 5) != 0) {
		rc = gg_kv_fail(err, -EINVAL, "leef", i, "does not start with \"LEEF:\"");
		goto fail;
	}
	i += 5;
	/* The version decides how many header fields follow, so it is read first. */
	start[0] = i;
	while (i < len && buf[i] != '|')
		i++;
	end[0] = i;
	vlen = end[0] - start[0];
	if (vlen == 3 && memcmp(buf + start[0], "1.0", 3) == 0)
		leef->version = 1;
	else if (vlen == 3 && memcmp(buf + start[0], "2.0", 3) == 0)
		leef->version = 2;
	else if (vlen == 1 && (buf[start[0]] == '1' || buf[start[0]] == '2'))
		leef->version = buf[start[0]] - '0';
	if (leef->version == 0) {
		rc = gg_kv_fail(err, -EINVAL, "leef", start[0], "version '%.*s' is not 1.0 or 2.0",
				(int)(vlen > 16 ? 16 : vlen), buf + start[0]);
		goto fail;
	}
	nfields = leef->version == 1 ? 5 : 6;
	for (f = 0; f < nfields; f++) {
		if (f > 0) {
			start[f] = i;
			while (i < len && buf[i] != '|')
				i++;
			end[f] = i;
		}
		/* Trend Micro Deep Security sends 2.0 without the delimiter field: what follows
		 * the event id is already an attribute (it has a '=', which no delimiter field
		 * has). The delimiter is then a tab, as for an empty field. */
		if (f == 5 && (i >= len || memchr(buf + start[5], '=', end[5] - start[5]) != NULL)) {
			no_delimiter = true;
			i = start[5];
			break;
		}
		if (i >= len) {
			rc = gg_kv_fail(err, -EINVAL, "leef", len,
					"header ends after %zu of its %zu '|' separators", f,
					nfields);
			goto fail;
		}
		i++;
	}
	leef->version_text = leef_copy(l, buf + start[0], end[0] - start[0]);
	fields[0] = &leef->vendor;
	fields[1] = &leef->product;
	fields[2] = &leef->product_version;
	fields[3] = &leef->event_id;
	for (f = 1; f < 5; f++)
		*fields[f - 1] = leef_copy(l, buf + start[f], end[f] - start[f]);
	/* Five bytes hold any delimiter, as one UTF-8 character and its NUL. */
	delim = gg_kv_list_alloc(l, 4);
	if (leef->version_text == NULL || leef->event_id == NULL || delim == NULL) {
		rc = gg_kv_fail(err, -ENOMEM, "leef", 0, "string arena exhausted");
		goto fail;
	}
	for (f = 1; f < 4; f++) {
		if (*fields[f - 1] == NULL) {
			rc = gg_kv_fail(err, -ENOMEM, "leef", 0, "string arena exhausted");
			goto fail;
		}
	}
	if (leef->version == 1 || no_delimiter) {
		delim[0] = '\t';
		delim[1] = '\0';
		leef->delimiter_len = 1;
	} else if (leef_delimiter(buf + start[5], end[5] - start[5], delim,
				  &leef->delimiter_len) != 0) {
		rc = gg_kv_fail(err, -EINVAL, "leef", start[5],
				"delimiter '%.*s' is not one character other than '=' or a hex "
				"value (0x5E, x5E)",
				(int)(end[5] - start[5] > 16 ? 16 : end[5] - start[5]),
				buf + start[5]);
		goto fail;
	}
	leef->delimiter = delim;
	if ((rc = leef_attributes(l, buf, len, i, leef->delimiter, leef->delimiter_len, err)) !=
	    0)
		goto fail;
	*out = leef;
	return 0;
fail:
	if (leef != NULL)
		gg_leef_free(leef);
	else
		gg_kv_list_free(l);
	return rc;
}

void gg_leef_free(struct gg_leef *leef)
{
	if (leef == NULL)
		return;
	gg_kv_list_free(leef->attrs);
	free(leef);
}
