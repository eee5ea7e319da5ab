/* cef.h: ArcSight Common Event Format parser: the MSG part of a syslog message in, the
 * version, the six header strings, the severity and the extension pairs out. No I/O. */
#ifndef GG_PAYLOAD_CEF_H
#define GG_PAYLOAD_CEF_H

#include <stddef.h>

#include "base/error.h"
#include "formats/kv.h"

/* severity when the header says "Unknown". */
#define GG_CEF_SEVERITY_UNKNOWN (-1)

struct gg_cef {
	int version; /* 0 or 1 */
	/* Header fields, unescaped (\| and \\), NUL-terminated, never NULL. */
	const char *device_vendor;
	const char *device_product;
	const char *device_version;
	const char *signature_id; /* Device Event Class ID */
	const char *name;
	const char *severity_text; /* as written: "7", "High", "very-high"... */
	/* 0-10; a word maps to the top of its band in the CEF guide (Low 0-3, Medium 4-6,
	 * High 7-8, Very-High 9-10), so a word never under-reports; Unknown is
	 * GG_CEF_SEVERITY_UNKNOWN. */
	int severity;
	/* Extension pairs in order, unescaped (\= \\ \n \r, and \| tolerated); it also owns
	 * the header strings. ext->bad_utf8_at tells about invalid UTF-8 when it was allowed. */
	struct gg_kv_list *ext;
};

/* Parses "CEF:Version|Vendor|Product|Version|Class ID|Name|Severity|Extension", with leading
 * blanks allowed and trailing CR/LF ignored. Returns 0 and *out (free with gg_cef_free), or
 * a negative errno (-EINVAL malformed, -E2BIG over a limit, -EILSEQ NUL or bad UTF-8,
 * -ENOMEM) with err naming the byte offset ("cef: byte 12: ..."; err->column is the offset
 * + 1). lim may be NULL for the defaults of kv.h. */
int gg_cef_parse(const char *buf, size_t len, const struct gg_kv_limits *lim,
		 struct gg_cef **out, struct gg_error *err);
/* Takes NULL. */
void gg_cef_free(struct gg_cef *cef);

#endif
