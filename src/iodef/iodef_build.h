/* iodef_build.h: the small tree-building helpers every IODEF producer shares (the NDJSON and
 * syslog mappings today): an out-of-memory flag carried through a build, and calendar math. */
#ifndef GG_IODEF_BUILD_H
#define GG_IODEF_BUILD_H

#include <libxml/tree.h>
#include <stddef.h>

/* A document under construction. Helpers do nothing once oom is set, so a build runs straight
 * through and is checked once at the end. */
struct gg_iodef_builder {
	xmlDocPtr doc;
	xmlNsPtr ns;
	int oom;
};

/* Creates the IODEF-Document root (IODEF 2.0 namespace as default, version="2.00",
 * xml:lang="en") of b->doc; NULL (and b->oom) on failure. */
xmlNodePtr gg_iodef_root(struct gg_iodef_builder *b);

/* Adds the creator Contact (the configured CSIRT, with its e-mail when there is one). */
struct gg_iodef_defaults;
void gg_iodef_creator(struct gg_iodef_builder *b, xmlNodePtr incident,
		      const struct gg_iodef_defaults *defaults);

/* True when node is in namespace href; when it is the element name in namespace href. */
int gg_xml_in_ns(xmlNodePtr node, const char *href);
int gg_xml_is_element(xmlNodePtr node, const char *href, const char *name);

/* Adds <name>text</name> (text escaped; NULL for an empty element) in the builder's namespace. */
xmlNodePtr gg_iodef_add(struct gg_iodef_builder *b, xmlNodePtr parent, const char *name,
			const char *text);
void gg_iodef_attr(struct gg_iodef_builder *b, xmlNodePtr n, const char *name, const char *value);

/* The length of the longest prefix of s that is well-formed UTF-8 made only of XML 1.0
 * characters (no C0 controls but tab/LF/CR, no overlong forms, surrogates or U+FFFE/U+FFFF):
 * anything else libxml2 would write into a document that no parser reads back. */
size_t gg_xml_text_prefix(const void *s, size_t len);


#endif
