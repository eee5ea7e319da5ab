/* leef.h: IBM QRadar Log Event Extended Format parser (LEEF 1.0 and 2.0): the MSG part of a
 * syslog message in, the header strings, the attribute delimiter and the attributes out. */
#ifndef GG_PAYLOAD_LEEF_H
#define GG_PAYLOAD_LEEF_H

#include <stddef.h>

#include "base/error.h"
#include "formats/kv.h"

struct gg_leef {
	int version;              /* 1 or 2 */
	const char *version_text; /* as written: "1.0", "2.0" */
	/* Header fields as written (LEEF defines no escapes), NUL-terminated, never NULL. */
	const char *vendor;
	const char *product;
	const char *product_version;
	const char *event_id;
	/* The attribute delimiter as UTF-8 (1-4 bytes, NUL-terminated): a tab for LEEF 1.0 and
	 * for an empty 2.0 delimiter field, else the field's character or its hex value. */
	const char *delimiter;
	size_t delimiter_len;
	/* Attributes in order, split at the first '='; duplicates kept. Well-known keys
	 * (devTime, src, dst, sev, cat, usrName...) are plain pairs: the mapping engine reads
	 * them. It also owns the header strings. */
	struct gg_kv_list *attrs;
};

/* Parses "LEEF:1.0|Vendor|Product|Version|EventID|attrs" and
 * "LEEF:2.0|Vendor|Product|Version|EventID|Delimiter|attrs", with leading blanks allowed and
 * trailing CR/LF ignored. Returns 0 and *out (free with gg_leef_free), or a negative errno
 * (-EINVAL malformed, -E2BIG over a limit, -EILSEQ NUL or bad UTF-8, -ENOMEM) with err
 * naming the byte offset ("leef: byte 7: ..."; err->column is the offset + 1). lim may be
 * NULL for the defaults of kv.h. */
int gg_leef_parse(const char *buf, size_t len, const struct gg_kv_limits *lim,
		  struct gg_leef **out, struct gg_error *err);
/* Takes NULL. */
void gg_leef_free(struct gg_leef *leef);

#endif
