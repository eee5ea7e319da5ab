/* cef.c: ArcSight Common Event Format parser: header split on unescaped '|', severity checked,
 * extension split into key=value pairs whose values may hold spaces. Pure: bytes in, struct out.
 *
 * Rules from Micro Focus "Implementing ArcSight Common Event Format (CEF)" (rev. 23/25), as
 * restated in vendors' guides (docs.progress.com LoadMaster "CEF Header"; Forcepoint Email
 * Security "SIEM integration formats"):
 * - header: CEF:Version|Device Vendor|Device Product|Device Version|Device Event Class ID|
 *   Name|Severity|Extension; in header fields '|' is escaped \| and '\' is escaped \\;
 * - Version is an integer: 0 (CEF 0.1) or 1 (CEF 1.x);
 * - Severity: 0-10, or Unknown, Low, Medium, High, Very-High (0-3 Low, 4-6 Medium, 7-8 High,
 *   9-10 Very-High);
 * - extension: key=value pairs separated by spaces; a value may contain spaces; in values '='
 *   is escaped \=, '\' is \\, and newlines are written \n or \r; '|' needs no escape there.
 * Where senders commonly stray from the guide we accept and say so: a backslash before any
 * other character is kept as written (unescaped Windows paths), \| in a value is read as '|',
 * an unescaped '=' inside a value is kept unless it is preceded by " key". */
#include "formats/cef.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define CEF_HEADER_FIELDS 7 /* Version .. Severity; the extension follows the 7th '|' */

static int cef_keychar(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '.';
}

/* Copies a header field, reading \| and \\ only. */
static char *cef_header_copy(struct gg_kv_list *l, const char *src, size_t n)
{
	char *dst = gg_kv_list_alloc(l, n);
	size_t i, o = 0;

	if (dst == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		if (src[i] == '\\' && i + 1 < n && (src[i + 1] == '|' || src[i + 1] == '\\'))
			i++;
		dst[o++] = src[i];
	}
	dst[o] = '\0';
	return dst;
}

/* Copies an extension value, reading \= \\ \n \r and \|. */
static char *cef_value_copy(struct gg_kv_list *l, const char *src, size_t n, size_t *out_len)
{
	char *dst = gg_kv_list_alloc(l, n);
	size_t i, o = 0;

	if (dst == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		char c = src[i];

		if (c == '\\' && i + 1 < n) {
			switch (src[i + 1]) {
			case '=':
			case '\\':
			case '|':
				c = src[++i];
				break;
			case 'n':
				c = '\n', i++;
				break;
			case 'r':
				c = '\r', i++;
				break;
			default:
				break;
			}
		}
		dst[o++] = c;
	}
	dst[o] = '\0';
	*out_len = o;
	return dst;
}

static int cef_version(const char *s, size_t n, int *out)
{
	if (n != 1 || (s[0] != '0' && s[0] != '1'))
		return -1;
	*out = s[0] - '0';
	return 0;
}

static int cef_severity(const char *s, int *out)
{
	static const struct {
		const char *word;
		int value;
	} words[] = {
		{ "Unknown", GG_CEF_SEVERITY_UNKNOWN },
		{ "Low", 3 },
		{ "Medium", 6 },
		{ "High", 8 },
		{ "Very-High", 10 },
	};
	size_t i, n = strlen(s);

	if (n >= 1 && n <= 2 && s[0] >= '0' && s[0] <= '9' &&
	    (n == 1 || (s[1] >= '0' && s[1] <= '9'))) {
		int v = n == 1 ? s[0] - '0' : (s[0] - '0') * 10 + (s[1] - '0');

		if (v > 10)
			return -1;
		*out = v;
		return 0;
	}
	/* The guide spells them with capitals; senders do not always. */
	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		if (strcasecmp(s, words[i].word) == 0) {
			*out = words[i].value;
			return 0;
		}
	}
	return -1;
}

/* Where the value that starts at v ends: at the first unescaped space run followed by a key
 * and '=' (returned in *next), or at the end of the input (trailing spaces dropped). Linear:
 * each key-looking run is scanned once ahead and once by the main loop at most. */
static size_t cef_value_end(const char *buf, size_t len, size_t v, size_t *next)
{
	size_t i = v, e;

	while (i < len) {
		if (buf[i] == '\\') {
			i += i + 1 < len ? 2 : 1;
			continue;
		}
		if (buf[i] != ' ') {
			i++;
			continue;
		}
		{
			size_t j = i, k;

			while (j < len && buf[j] == ' ')
				j++;
			for (k = j; k < len && cef_keychar(buf[k]); k++)
				;
			if (k > j && k < len && buf[k] == '=') {
				*next = j;
				return i;
			}
			i = j;
		}
	}
	*next = len;
	for (e = len; e > v && buf[e - 1] == ' '; e--)
		;
	return e;
}

static int cef_extension(struct gg_kv_list *l, const char *buf, size_t len, size_t i,
			 struct gg_error *err)
{
	while (i < len && buf[i] == ' ')
		i++;
	while (i < len) {
		size_t start = i, k, vend, next, klen, vlen;
		char *key, *value;
		int rc;

		for (k = i; k < len && cef_keychar(buf[k]); k++)
			;
		if (k == start) {
			if (buf[k] == '=')
				return gg_kv_fail(err, -EINVAL, "cef", k, "empty extension key");
			return gg_kv_fail(err, -EINVAL, "cef", k,
					  "extension key expected, found byte 0x%02x",
					  (unsigned)(unsigned char)buf[k]);
		}
		if (k == len || buf[k] != '=')
			return gg_kv_fail(err, -EINVAL, "cef", k,
					  "extension key '%.*s' without '='", (int)(k - start),
					  buf + start);
		vend = cef_value_end(buf, len, k + 1, &next);
		klen = k - start;
		key = gg_kv_list_alloc(l, klen);
		value = cef_value_copy(l, buf + k + 1, vend - (k + 1), &vlen);
		if (key == NULL || value == NULL)
			return gg_kv_fail(err, -ENOMEM, "cef", start, "string arena exhausted");
		memcpy(key, buf + start, klen);
		key[klen] = '\0';
		rc = gg_kv_list_push(l, key, klen, value, vlen, start, 0);
		if (rc == -E2BIG)
			return gg_kv_fail(err, rc, "cef", start, "more than %zu extension pairs",
					  l->max_pairs);
		if (rc != 0)
			return gg_kv_fail(err, rc, "cef", start, "out of memory");
		i = next;
	}
	return 0;
}

int gg_cef_parse(const char *buf, size_t len, const struct gg_kv_limits *lim,
		 struct gg_cef **out, struct gg_error *err)
{
	/* Field i runs from start[i] to the unescaped '|' at end[i]. */
	size_t start[CEF_HEADER_FIELDS], end[CEF_HEADER_FIELDS];
	const char **fields[CEF_HEADER_FIELDS - 1];
	struct gg_cef *cef = NULL;
	struct gg_kv_list *l = NULL;
	size_t i = 0, f;
	int rc;

	*out = NULL;
	if ((rc = gg_kv_list_begin("cef", buf, &len, lim, &l, err)) != 0)
		return rc;
	cef = calloc(1, sizeof(*cef));
	if (cef == NULL) {
		rc = gg_kv_fail(err, -ENOMEM, "cef", 0, "out of memory");
		goto fail;
	}
	cef->ext = l;
	/* The caller hands over the syslog MSG, which senders often start with a space. */
	while (i < len && (buf[i] == ' ' || buf[i] == '\t'))
		i++;
	if (len - i < 4 || memcmp(buf + i, "CEF:", 4) != 0) {
		rc = gg_kv_fail(err, -EINVAL, "cef", i, "does not start with \"CEF:\"");
		goto fail;
	}
	i += 4;
	/* FortiGate writes "CEF: 0|Fortinet|...": blanks before the version are tolerated. */
	while (i < len && buf[i] == ' ')
		i++;
	for (f = 0; f < CEF_HEADER_FIELDS; f++) {
		start[f] = i;
		while (i < len && buf[i] != '|')
			i += buf[i] == '\\' && i + 1 < len ? 2 : 1;
		if (i >= len) {
			rc = gg_kv_fail(err, -EINVAL, "cef", len,
					"header ends after %zu of its 7 '|' separators", f);
			goto fail;
		}
		end[f] = i++;
	}
	if (cef_version(buf + start[0], end[0] - start[0], &cef->version) != 0) {
		rc = gg_kv_fail(err, -EINVAL, "cef", start[0], "version '%.*s' is not 0 or 1",
				(int)(end[0] - start[0] > 16 ? 16 : end[0] - start[0]),
				buf + start[0]);
		goto fail;
	}
	fields[0] = &cef->device_vendor;
	fields[1] = &cef->device_product;
	fields[2] = &cef->device_version;
	fields[3] = &cef->signature_id;
	fields[4] = &cef->name;
	fields[5] = &cef->severity_text;
	for (f = 1; f < CEF_HEADER_FIELDS; f++) {
		*fields[f - 1] = cef_header_copy(l, buf + start[f], end[f] - start[f]);
		if (*fields[f - 1] == NULL) {
			rc = gg_kv_fail(err, -ENOMEM, "cef", start[f], "string arena exhausted");
			goto fail;
		}
	}
	if (cef_severity(cef->severity_text, &cef->severity) != 0) {
		rc = gg_kv_fail(err, -EINVAL, "cef", start[6],
				"severity '%.32s' is not 0-10 or Unknown, Low, Medium, High, "
				"Very-High", cef->severity_text);
		goto fail;
	}
	if ((rc = cef_extension(l, buf, len, i, err)) != 0)
		goto fail;
	*out = cef;
	return 0;
fail:
	if (cef != NULL)
		gg_cef_free(cef);
	else
		gg_kv_list_free(l);
	return rc;
}

void gg_cef_free(struct gg_cef *cef)
{
	if (cef == NULL)
		return;
	gg_kv_list_free(cef->ext);
	free(cef);
}
