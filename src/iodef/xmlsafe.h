/* xmlsafe.h: parsing untrusted XML with libxml2, hardened: no DTD loading, no entity
 * expansion, no network, a byte limit and a nesting-depth limit. */
#ifndef GG_XMLSAFE_H
#define GG_XMLSAFE_H

#include <libxml/tree.h>
#include <stddef.h>

#include "base/error.h"

struct gg_xml_limits {
	size_t max_bytes; /* documents larger than this are refused before parsing */
	int max_depth;    /* element nesting deeper than this is refused */
	/* an element with more attributes than this (namespace declarations included) is refused
	 * before parsing; 0: GG_XML_DEFAULT_MAX_ATTRIBUTES */
	int max_attributes;
};

#define GG_XML_DEFAULT_MAX_BYTES (1024 * 1024)
#define GG_XML_DEFAULT_MAX_DEPTH 64
/* IODEF, RID and xmldsig elements carry a handful each. libxml2 2.9 checks an element's
 * attributes and namespace declarations against each other pairwise: 30,000 on one element
 * took it 6 s, a few hundred take microseconds. */
#define GG_XML_DEFAULT_MAX_ATTRIBUTES 256

/* Process-wide libxml2 set-up (called once from main and from each test). */
void gg_xml_init(void);

/* Parses buf into *out (caller frees with xmlFreeDoc). A document with a DOCTYPE is refused
 * outright: IODEF needs none and every entity attack starts with one. So is a NUL byte, which
 * XML never contains and where libxml2 would stop reading as if the input ended. On failure returns
 * -EINVAL (malformed or refused) or -EFBIG (over max_bytes) and fills err with line/column. */
int gg_xml_parse(const char *buf, size_t len, const struct gg_xml_limits *limits, xmlDocPtr *out,
		 struct gg_error *err);
/* The same, with the character encoding the bytes came labelled with (a MIME charset; NULL:
 * none, as gg_xml_parse). RFC 7303 section 3.2: a byte order mark decides when there is
 * one, else the label does, over the document's own encoding declaration. An encoding
 * libxml2 does not know is -EINVAL. */
int gg_xml_parse_as(const char *buf, size_t len, const struct gg_xml_limits *limits,
		    const char *encoding, xmlDocPtr *out, struct gg_error *err);
/* 1 when libxml2 can read bytes in this encoding (a MIME charset name), else 0. */
int gg_xml_encoding_known(const char *encoding);

/* Serializes doc's root element without the XML declaration, comments or processing
 * instructions (RFC 6120 11.1 forbids both in XMPP), ready to embed in a stanza; caller frees
 * *out with free(). */
int gg_xml_serialize(xmlDocPtr doc, char **out, size_t *out_len);

#endif
