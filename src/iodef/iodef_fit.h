/* iodef_fit.h: the size bound of documents gridgate builds. A controller closes the stream on
 * a stanza over its limit (Prosody: 256 KiB), so no document over max_document_size may reach
 * the spool; one that would is cut, not dropped. Pure: no sockets, no spool. */
#ifndef GG_IODEF_FIT_H
#define GG_IODEF_FIT_H

#include <libxml/tree.h>
#include <stddef.h>

#include "base/error.h"

struct gg_fit_limits {
	size_t max_bytes;       /* serialized size a publishable document must fit in */
	size_t max_record_item; /* bytes of the raw record a cut RecordItem keeps */
	size_t max_text;        /* other text longer than this is cut in a cut document */
};

/* Bytes of long free text (a Description) a cut document keeps. */
#define GG_FIT_MAX_TEXT 1024

/* Cuts doc in place: each RecordItem to lim->max_record_item bytes of the record it carries
 * (decoded first when its dtype is "bytes"), with the record's whole length and SHA-256 in
 * AdditionalData beside it and a RecordItem@meaning saying it was cut; every other text over
 * lim->max_text to that many bytes with a note. Returns 1 when something was cut, 0 when
 * nothing was long enough to cut, <0 on error. */
int gg_iodef_cut(xmlDocPtr doc, const struct gg_fit_limits *lim, struct gg_error *err);

/* Serializes doc (as gg_xml_serialize) into *out; when that is over lim->max_bytes, cuts doc
 * (gg_iodef_cut) and serializes again, setting *cut. Returns 0 with *out (caller frees);
 * -E2BIG when even the cut document is too big (err gives both sizes), other <0 errors. The
 * caller validates a cut document again: cutting keeps the schema's order, and free text
 * stays free text, but the check is what proves it. */
int gg_iodef_fit(xmlDocPtr doc, const struct gg_fit_limits *lim, char **out, size_t *out_len,
		 int *cut, struct gg_error *err);

#endif
