/* iodef_build.c: shared IODEF tree-building helpers (see iodef_build.h). */
#include "iodef/iodef_build.h"

#include <string.h>

#include "iodef/iodef.h"

xmlNodePtr gg_iodef_add(struct gg_iodef_builder *b, xmlNodePtr parent, const char *name,
			const char *text)
{
	xmlNodePtr n;

	if (b->oom || parent == NULL)
		return NULL;
	/* xmlNewTextChild escapes text (xmlNewChild would parse entity references in it). */
	n = xmlNewTextChild(parent, b->ns, BAD_CAST name, BAD_CAST text);
	if (n == NULL)
		b->oom = 1;
	return n;
}

void gg_iodef_attr(struct gg_iodef_builder *b, xmlNodePtr n, const char *name, const char *value)
{
	if (b->oom || n == NULL)
		return;
	if (xmlNewProp(n, BAD_CAST name, BAD_CAST value) == NULL)
		b->oom = 1;
}

size_t gg_xml_text_prefix(const void *text, size_t len)
{
	const unsigned char *s = text;
	size_t i = 0;

	while (i < len) {
		unsigned c = s[i], cp;
		size_t n;

		if (c < 0x80) {
			if (c < 0x20 && c != 0x09 && c != 0x0a && c != 0x0d)
				return i;
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			n = 2;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 3;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 4;
			cp = c & 0x07;
		} else {
			return i;
		}
		if (i + n > len)
			return i;
		for (size_t k = 1; k < n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return i;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		/* overlong forms, surrogates, beyond U+10FFFF, and the non-Chars U+FFFE/U+FFFF */
		if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff) || cp == 0xfffe || cp == 0xffff)
			return i;
		i += n;
	}
	return len;
}

int gg_xml_in_ns(xmlNodePtr node, const char *href)
{
	return node != NULL && node->ns != NULL && node->ns->href != NULL &&
	       strcmp((const char *)node->ns->href, href) == 0;
}

int gg_xml_is_element(xmlNodePtr node, const char *href, const char *name)
{
	return node != NULL && node->type == XML_ELEMENT_NODE && gg_xml_in_ns(node, href) &&
	       strcmp((const char *)node->name, name) == 0;
}

xmlNodePtr gg_iodef_root(struct gg_iodef_builder *b)
{
	xmlNodePtr root = xmlNewDocNode(b->doc, NULL, BAD_CAST "IODEF-Document", NULL);
	xmlNsPtr xmlns;

	if (root == NULL) {
		b->oom = 1;
		return NULL;
	}
	xmlDocSetRootElement(b->doc, root);
	b->ns = xmlNewNs(root, BAD_CAST GG_IODEF2_NS, NULL);
	xmlns = xmlSearchNs(b->doc, root, BAD_CAST "xml");
	if (b->ns == NULL || xmlns == NULL) {
		b->oom = 1;
		return NULL;
	}
	xmlSetNs(root, b->ns);
	gg_iodef_attr(b, root, "version", "2.00");
	if (!b->oom && xmlNewNsProp(root, xmlns, BAD_CAST "lang", BAD_CAST "en") == NULL)
		b->oom = 1;
	return b->oom ? NULL : root;
}

void gg_iodef_creator(struct gg_iodef_builder *b, xmlNodePtr incident,
		      const struct gg_iodef_defaults *defaults)
{
	xmlNodePtr contact = gg_iodef_add(b, incident, "Contact", NULL);

	gg_iodef_attr(b, contact, "role", "creator");
	gg_iodef_attr(b, contact, "type", "organization");
	gg_iodef_add(b, contact, "ContactName", defaults->csirt_name);
	if (defaults->contact_email != NULL && defaults->contact_email[0] != '\0')
		gg_iodef_add(b, gg_iodef_add(b, contact, "Email", NULL), "EmailTo",
			     defaults->contact_email);
}
