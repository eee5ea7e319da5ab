/* iodef_fit.c: keeps a document gridgate built under the size the controller accepts: a record
 * that would make a stanza too big is cut, and the cut is said inside the document. */
#include "iodef/iodef_fit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "base/digest.h"
#include "iodef/iodef.h"
#include "iodef/iodef_build.h"
#include "iodef/xmlsafe.h"

/* The longest prefix of the UTF-8 text s (len bytes) of at most max bytes that ends on a
 * character boundary. */
static size_t utf8_cut(const char *s, size_t len, size_t max)
{
	size_t n = len < max ? len : max;

	while (n > 0 && n < len && ((unsigned char)s[n] & 0xC0) == 0x80)
		n--;
	return n;
}

static void sha256_hex(const void *data, size_t len, char out[2 * GG_SHA256_LEN + 1])
{
	unsigned char md[GG_SHA256_LEN];

	if (gg_sha256(data, len, md) != 0)
		out[0] = '\0';
	else
		gg_hex(md, sizeof(md), out);
}

/* Decodes base64 text (no line breaks: our builders write none) into a new buffer. */
static unsigned char *base64_decode(const char *text, size_t len, size_t *out_len)
{
	unsigned char *out;
	int n;

	if (len % 4 != 0 || len > (size_t)1 << 30)
		return NULL;
	out = malloc(len / 4 * 3 + 1);
	if (out == NULL)
		return NULL;
	n = EVP_DecodeBlock(out, (const unsigned char *)text, (int)len);
	if (n < 0) {
		free(out);
		return NULL;
	}
	/* EVP_DecodeBlock counts the padding as zero bytes. */
	while (len > 0 && text[len - 1] == '=') {
		len--;
		n--;
	}
	*out_len = (size_t)n;
	return out;
}

static void add_additional(struct gg_iodef_builder *b, xmlNodePtr parent, const char *dtype,
			   const char *meaning, const char *text)
{
	xmlNodePtr n = gg_iodef_add(b, parent, "AdditionalData", text);

	gg_iodef_attr(b, n, "dtype", dtype);
	gg_iodef_attr(b, n, "meaning", meaning);
}

/* Replaces item's content by at most max raw bytes of the record it carries, and records the
 * record's whole length and SHA-256 beside it (AdditionalData closes RecordData's sequence, so
 * appending there keeps the schema's order). Returns 1 when cut, 0 when it already fit. */
static int cut_record_item(struct gg_iodef_builder *b, xmlNodePtr item, size_t max)
{
	xmlChar *content = xmlNodeGetContent(item);
	xmlChar *dtype = xmlGetProp(item, BAD_CAST "dtype");
	int bytes = dtype != NULL && strcmp((const char *)dtype, "bytes") == 0;
	const char *text = content ? (const char *)content : "";
	size_t text_len = strlen(text), raw_len = text_len, keep;
	unsigned char *raw = NULL;
	char *kept = NULL, hex[65], note[128], size[32];
	int cut = 0;

	if (bytes) {
		raw = base64_decode(text, text_len, &raw_len);
		if (raw == NULL) {
			/* Not our base64: cut the text itself, on a quantum. */
			bytes = 0;
			raw_len = text_len;
		}
	}
	if (raw_len <= max)
		goto out;
	if (bytes) {
		keep = max;
		kept = malloc(4 * ((keep + 2) / 3) + 1);
		if (kept != NULL)
			EVP_EncodeBlock((unsigned char *)kept, raw, (int)keep);
		sha256_hex(raw, raw_len, hex);
	} else {
		keep = utf8_cut(text, text_len, max);
		kept = strndup(text, keep);
		sha256_hex(text, text_len, hex);
	}
	if (kept == NULL) {
		b->oom = 1;
		goto out;
	}
	xmlNodeSetContent(item, NULL);
	xmlNodeAddContentLen(item, BAD_CAST kept, (int)strlen(kept));
	snprintf(note, sizeof(note), "record cut to its first %zu of %zu bytes", keep, raw_len);
	gg_iodef_attr(b, item, "meaning", note);
	snprintf(size, sizeof(size), "%zu", raw_len);
	add_additional(b, item->parent, "integer", "record-original-length", size);
	add_additional(b, item->parent, "string", "record-original-sha256", hex);
	cut = 1;
out:
	free(kept);
	free(raw);
	xmlFree(dtype);
	xmlFree(content);
	return cut;
}

/* Cuts a long text node to max bytes and says so. Returns 1 when cut. */
static int cut_text(struct gg_iodef_builder *b, xmlNodePtr text, size_t max)
{
	const char *s = (const char *)text->content;
	size_t len = s ? strlen(s) : 0, keep;
	char *cut;

	if (len <= max)
		return 0;
	keep = utf8_cut(s, len, max);
	if (asprintf(&cut, "%.*s ... [cut: %zu bytes in all]", (int)keep, s, len) < 0) {
		b->oom = 1;
		return 0;
	}
	xmlNodeSetContent(text, BAD_CAST cut);
	free(cut);
	return 1;
}

static int cut_tree(struct gg_iodef_builder *b, xmlNodePtr n, const struct gg_fit_limits *lim)
{
	int cut = 0;

	for (; n != NULL; n = n->next) {
		if (gg_xml_is_element(n, GG_IODEF2_NS, "RecordItem"))
			cut |= cut_record_item(b, n, lim->max_record_item);
		else if (n->type == XML_TEXT_NODE)
			cut |= cut_text(b, n, lim->max_text);
		else if (n->type == XML_ELEMENT_NODE)
			cut |= cut_tree(b, n->children, lim);
	}
	return cut;
}

int gg_iodef_cut(xmlDocPtr doc, const struct gg_fit_limits *lim, struct gg_error *err)
{
	struct gg_iodef_builder b = { .doc = doc };
	xmlNodePtr root = xmlDocGetRootElement(doc);
	int cut;

	if (root == NULL)
		return gg_error_set(err, -EINVAL, "document has no root element");
	b.ns = root->ns;
	cut = cut_tree(&b, root, lim);
	if (b.oom)
		return gg_error_set(err, -ENOMEM, "out of memory cutting the document");
	return cut;
}

int gg_iodef_fit(xmlDocPtr doc, const struct gg_fit_limits *lim, char **out, size_t *out_len,
		 int *cut, struct gg_error *err)
{
	size_t first;
	int r;

	*cut = 0;
	if (gg_xml_serialize(doc, out, out_len) != 0)
		return gg_error_set(err, -ENOMEM, "cannot serialize the document");
	if (*out_len <= lim->max_bytes)
		return 0;
	first = *out_len;
	free(*out);
	*out = NULL;
	if ((r = gg_iodef_cut(doc, lim, err)) < 0)
		return r;
	*cut = r;
	if (r == 1 && gg_xml_serialize(doc, out, out_len) != 0)
		return gg_error_set(err, -ENOMEM, "cannot serialize the document");
	if (r == 0 || *out_len > lim->max_bytes) {
		size_t last = r == 1 ? *out_len : first;

		free(*out);
		*out = NULL;
		return gg_error_set(err, -E2BIG,
				    "document is %zu bytes (%zu after cutting its record and long "
				    "texts), over max_document_size %zu",
				    first, last, lim->max_bytes);
	}
	return 0;
}
