/* grid_reader.c: reading a topic's items back (pubsub items retrieval) for `gridgate topics`,
 * the demo and the tests, restoring what libstrophe's parser strips from prefixed attributes. */
#include <errno.h>
#include <fcntl.h>
#include <libxml/parser.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "grid/grid.h"
#include "iodef/xmlsafe.h"

#define GG_NS_XSI "http://www.w3.org/2001/XMLSchema-instance"

/* libstrophe keeps only the local name of a prefixed attribute (PLATFORM.md): xml:lang comes
 * back as lang, xsi:schemaLocation as schemaLocation. IODEF 2.0 defines no unprefixed
 * attribute of either name, so putting the prefix back is exact for IODEF documents. */
static void reader_restore_attrs(xmlDocPtr doc, xmlNodePtr node)
{
	for (; node != NULL; node = node->next) {
		xmlAttrPtr a, next;

		if (node->type != XML_ELEMENT_NODE)
			continue;
		for (a = node->properties; a != NULL; a = next) {
			xmlChar *value;
			xmlNsPtr ns = NULL;

			next = a->next;
			if (a->ns != NULL)
				continue;
			if (xmlStrEqual(a->name, BAD_CAST "lang"))
				ns = xmlSearchNsByHref(doc, node, XML_XML_NAMESPACE);
			else if (xmlStrEqual(a->name, BAD_CAST "schemaLocation") &&
				 (ns = xmlSearchNsByHref(doc, node, BAD_CAST GG_NS_XSI)) == NULL)
				ns = xmlNewNs(node, BAD_CAST GG_NS_XSI, BAD_CAST "xsi");
			if (ns == NULL)
				continue;
			value = xmlNodeGetContent((xmlNodePtr)a);
			xmlSetNsProp(node, ns, a->name, value);
			xmlFree(value);
			xmlRemoveProp(a);
		}
		reader_restore_attrs(doc, node->children);
	}
}

static int reader_write_item(const char *out_dir, const char *id, xmpp_stanza_t *payload,
			     struct gg_error *err)
{
	struct gg_xml_limits limits = { 16 * 1024 * 1024, 256 };
	char *text = NULL, *xml = NULL, path[4096];
	size_t text_len = 0, xml_len = 0;
	xmlDocPtr doc = NULL;
	int fd, r;

	if (strchr(id, '/') != NULL || id[0] == '.')
		return gg_error_set(err, -EINVAL, "item id '%s' is not a file name", id);
	if (xmpp_stanza_to_text(payload, &text, &text_len) != XMPP_EOK)
		return gg_error_set(err, -ENOMEM, "out of memory");
	r = gg_xml_parse(text, text_len, &limits, &doc, err);
	xmpp_free(xmpp_stanza_get_context(payload), text);
	if (r != 0)
		return r;
	reader_restore_attrs(doc, xmlDocGetRootElement(doc));
	r = gg_xml_serialize(doc, &xml, &xml_len);
	xmlFreeDoc(doc);
	if (r != 0)
		return gg_error_set(err, r, "cannot serialize item %s", id);
	snprintf(path, sizeof(path), "%s/%s.xml", out_dir, id);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, xml, xml_len) != (ssize_t)xml_len) {
		r = gg_error_set(err, -errno, "%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		free(xml);
		return r;
	}
	close(fd);
	free(xml);
	return 0;
}

int gg_grid_fetch_items(struct gg_grid_session *s, const char *service, const char *topic,
			const char *out_dir, FILE *listing, struct gg_error *err)
{
	xmpp_ctx_t *ctx = gg_grid_session_ctx(s);
	xmpp_stanza_t *iq = xmpp_iq_new(ctx, "get", NULL), *pubsub, *items, *result = NULL;
	int count = 0, r;

	pubsub = xmpp_stanza_new(ctx);
	xmpp_stanza_set_name(pubsub, "pubsub");
	xmpp_stanza_set_ns(pubsub, GG_NS_PUBSUB);
	items = xmpp_stanza_new(ctx);
	xmpp_stanza_set_name(items, "items");
	xmpp_stanza_set_attribute(items, "node", topic);
	xmpp_stanza_add_child(pubsub, items);
	xmpp_stanza_release(items);
	xmpp_stanza_add_child(iq, pubsub);
	xmpp_stanza_release(pubsub);
	xmpp_stanza_set_to(iq, service);
	r = gg_grid_iq_sync(s, iq, 60000, &result);
	if (r != 0) {
		char why[256] = "no answer";

		if (r == -EPROTO)
			gg_grid_classify_error(result, why, sizeof(why));
		if (result)
			xmpp_stanza_release(result);
		return gg_error_set(err, r, "reading items of %s on %s: %s", topic, service, why);
	}
	pubsub = xmpp_stanza_get_child_by_name(result, "pubsub");
	items = pubsub ? xmpp_stanza_get_child_by_name(pubsub, "items") : NULL;
	for (xmpp_stanza_t *it = items ? xmpp_stanza_get_children(items) : NULL; it;
	     it = xmpp_stanza_get_next(it)) {
		const char *id = xmpp_stanza_get_attribute(it, "id");
		xmpp_stanza_t *payload = xmpp_stanza_get_children(it);

		if (!xmpp_stanza_is_tag(it) || id == NULL)
			continue;
		while (payload != NULL && !xmpp_stanza_is_tag(payload))
			payload = xmpp_stanza_get_next(payload);
		if (listing != NULL)
			fprintf(listing, "%s\n", id);
		if (out_dir != NULL && payload != NULL &&
		    (r = reader_write_item(out_dir, id, payload, err)) != 0) {
			xmpp_stanza_release(result);
			return r;
		}
		count++;
	}
	xmpp_stanza_release(result);
	return count;
}
