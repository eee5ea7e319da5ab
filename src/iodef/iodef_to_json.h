/* iodef_to_json.h: an IODEF 2.0 document (RFC 7970) as IODEF-JSON (RFC 8727). Pure: no I/O.
 * docs/export.md lists the mapping's choices and where RFC 8727 leaves a gap. */
#ifndef GG_IODEF_TO_JSON_H
#define GG_IODEF_TO_JSON_H

#include <jansson.h>
#include <libxml/tree.h>
#include <stddef.h>

#include "base/error.h"
#include "iodef/xmlsafe.h"

/* Converts doc (an IODEF 2.0 document; validated or not) into *out (json_decref it).
 * 0; -EINVAL when doc is not IODEF 2.0 or holds what RFC 8727 cannot carry (an element or
 * attribute the schema does not have there, a second one where JSON holds one, a number
 * JSON has no form for: INF, NaN, an integer beyond 64 bits), err saying which and where;
 * -ENOMEM. */
int gg_iodef_to_json(xmlDocPtr doc, json_t **out, struct gg_error *err);

/* Parses xml (gg_xml_parse: hardened; limits NULL for the defaults) and converts it into
 * compact JSON text in *out (free()), *out_len bytes. Same returns, and -EFBIG from the
 * parse. Numbers are written with 15 significant digits: every decimal of 15 digits or
 * fewer (xs:float has about 7) is written as it was read. */
int gg_iodef_to_json_text(const char *xml, size_t len, const struct gg_xml_limits *limits,
			  char **out, size_t *out_len, struct gg_error *err);

#endif
