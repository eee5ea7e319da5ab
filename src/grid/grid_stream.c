/* grid_stream.c: a libxml2 push parser over the stream's bytes. It builds one stanza at a time
 * under the stream's root (so namespaces declared on the stream header stay in scope), hands
 * each item of an event or of an items result to the caller, and frees the stanza. */
#include "grid/grid_stream.h"

#include <errno.h>
#include <libxml/parser.h>
#include <libxml/SAX2.h>
#include <stdlib.h>
#include <string.h>

#include "grid/grid.h"
#include "iodef/xmlsafe.h"

#define NS_DELAY "urn:xmpp:delay"

struct gg_grid_stream {
	gg_grid_item_fn fn;
	void *arg;
	size_t max_stanza;
	xmlSAXHandler sax;
	xmlParserCtxtPtr ctxt; /* NULL: broken, waiting for the next stream header */
	int depth;             /* 1: inside the stream's root; 2 and more: in a stanza */
	size_t stanza_bytes;   /* fed since the last stanza ended */
};

static int node_is(xmlNodePtr n, const char *name, const char *ns)
{
	return n != NULL && n->type == XML_ELEMENT_NODE && xmlStrEqual(n->name, BAD_CAST name) &&
	       n->ns != NULL && xmlStrEqual(n->ns->href, BAD_CAST ns);
}

static xmlNodePtr first_child(xmlNodePtr parent, const char *name, const char *ns)
{
	for (xmlNodePtr c = parent ? parent->children : NULL; c != NULL; c = c->next)
		if (node_is(c, name, ns))
			return c;
	return NULL;
}

static xmlNodePtr first_element(xmlNodePtr parent)
{
	for (xmlNodePtr c = parent->children; c != NULL; c = c->next)
		if (c->type == XML_ELEMENT_NODE)
			return c;
	return NULL;
}

/* Calls fn for every <item id> with a payload of an <items node> element. */
static void stream_items(struct gg_grid_stream *st, xmlNodePtr items, const char *ns,
			 const char *iq_id, const char *stamp)
{
	xmlChar *node = xmlGetNoNsProp(items, BAD_CAST "node");

	for (xmlNodePtr it = items->children; node != NULL && it != NULL; it = it->next) {
		xmlChar *id;
		struct gg_grid_item item = { .node = (const char *)node, .iq_id = iq_id,
					     .stamp = stamp };

		if (!node_is(it, "item", ns) || (item.payload = first_element(it)) == NULL)
			continue;
		id = xmlGetNoNsProp(it, BAD_CAST "id");
		if (id == NULL)
			continue;
		item.id = (const char *)id;
		st->fn(st->arg, &item);
		xmlFree(id);
	}
	xmlFree(node);
}

/* A whole stanza: live events (message/event/items) and item retrievals (iq result/pubsub/
 * items). Everything else is libstrophe's business. */
static void stream_stanza(struct gg_grid_stream *st, xmlNodePtr stanza)
{
	xmlNodePtr child, items;

	if (stanza->type != XML_ELEMENT_NODE)
		return;
	if (xmlStrEqual(stanza->name, BAD_CAST "message")) {
		xmlChar *stamp = NULL;

		child = first_child(stanza, "event", GG_NS_PUBSUB_EVENT);
		if (child == NULL)
			return;
		if ((items = first_child(stanza, "delay", NS_DELAY)) != NULL)
			stamp = xmlGetNoNsProp(items, BAD_CAST "stamp");
		for (items = child->children; items != NULL; items = items->next)
			if (node_is(items, "items", GG_NS_PUBSUB_EVENT))
				stream_items(st, items, GG_NS_PUBSUB_EVENT, NULL,
					     (const char *)stamp);
		xmlFree(stamp);
	} else if (xmlStrEqual(stanza->name, BAD_CAST "iq")) {
		xmlChar *type = xmlGetNoNsProp(stanza, BAD_CAST "type");
		xmlChar *id = xmlGetNoNsProp(stanza, BAD_CAST "id");

		child = first_child(stanza, "pubsub", GG_NS_PUBSUB);
		items = first_child(child, "items", GG_NS_PUBSUB);
		if (items != NULL && id != NULL && type != NULL &&
		    xmlStrEqual(type, BAD_CAST "result"))
			stream_items(st, items, GG_NS_PUBSUB, (const char *)id, NULL);
		xmlFree(type);
		xmlFree(id);
	}
}

static struct gg_grid_stream *stream_of(void *ctx)
{
	return ((xmlParserCtxtPtr)ctx)->_private;
}

static void stream_start(void *ctx, const xmlChar *localname, const xmlChar *prefix,
			 const xmlChar *uri, int nb_namespaces, const xmlChar **namespaces,
			 int nb_attributes, int nb_defaulted, const xmlChar **attributes)
{
	xmlSAX2StartElementNs(ctx, localname, prefix, uri, nb_namespaces, namespaces,
			      nb_attributes, nb_defaulted, attributes);
	stream_of(ctx)->depth++;
}

static void stream_end(void *ctx, const xmlChar *localname, const xmlChar *prefix,
		       const xmlChar *uri)
{
	struct gg_grid_stream *st = stream_of(ctx);
	xmlParserCtxtPtr c = ctx;
	xmlNodePtr root, stanza;

	xmlSAX2EndElementNs(ctx, localname, prefix, uri);
	if (--st->depth != 1)
		return;
	root = xmlDocGetRootElement(c->myDoc);
	stanza = root != NULL ? root->last : NULL;
	if (stanza == NULL)
		return;
	stream_stanza(st, stanza);
	xmlUnlinkNode(stanza);
	xmlFreeNode(stanza);
	st->stanza_bytes = 0;
}

/* Text between stanzas (whitespace keep-alives) is not kept: the root would grow for ever. */
static void stream_chars(void *ctx, const xmlChar *ch, int len)
{
	if (stream_of(ctx)->depth > 1)
		xmlSAX2Characters(ctx, ch, len);
}

static void stream_cdata(void *ctx, const xmlChar *ch, int len)
{
	if (stream_of(ctx)->depth > 1)
		xmlSAX2CDataBlock(ctx, ch, len);
}

static void stream_close(struct gg_grid_stream *st)
{
	if (st->ctxt == NULL)
		return;
	xmlFreeDoc(st->ctxt->myDoc);
	st->ctxt->myDoc = NULL;
	xmlFreeParserCtxt(st->ctxt);
	st->ctxt = NULL;
}

static int stream_open(struct gg_grid_stream *st)
{
	stream_close(st);
	st->depth = 0;
	st->stanza_bytes = 0;
	st->ctxt = xmlCreatePushParserCtxt(&st->sax, NULL, NULL, 0, NULL);
	if (st->ctxt == NULL)
		return -ENOMEM;
	st->ctxt->_private = st;
	/* No DTD, no entities, no network: what a controller relays is a peer's text. */
	xmlCtxtUseOptions(st->ctxt, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	return 0;
}

int gg_grid_stream_new(gg_grid_item_fn fn, void *arg, size_t max_stanza,
		       struct gg_grid_stream **out)
{
	struct gg_grid_stream *st = calloc(1, sizeof(*st));

	if (st == NULL)
		return -ENOMEM;
	st->fn = fn;
	st->arg = arg;
	st->max_stanza = max_stanza;
	xmlSAXVersion(&st->sax, 2);
	st->sax.startElementNs = stream_start;
	st->sax.endElementNs = stream_end;
	st->sax.characters = stream_chars;
	st->sax.ignorableWhitespace = stream_chars;
	st->sax.cdataBlock = stream_cdata;
	st->sax.comment = NULL;
	st->sax.processingInstruction = NULL;
	st->sax.internalSubset = NULL;
	st->sax.externalSubset = NULL;
	st->sax.getEntity = NULL;
	st->sax.entityDecl = NULL;
	*out = st;
	return 0;
}

void gg_grid_stream_free(struct gg_grid_stream *st)
{
	if (st == NULL)
		return;
	stream_close(st);
	free(st);
}

static int stream_is_header(const char *data, size_t len)
{
	size_t i = 0;

	while (i < len && (data[i] == ' ' || data[i] == '\n' || data[i] == '\r' || data[i] == '\t'))
		i++;
	return (len - i >= 5 && memcmp(data + i, "<?xml", 5) == 0) ||
	       (len - i >= 14 && memcmp(data + i, "<stream:stream", 14) == 0);
}

int gg_grid_stream_feed(struct gg_grid_stream *st, const char *data, size_t len)
{
	int r;

	if (stream_is_header(data, len) && (r = stream_open(st)) != 0)
		return r;
	if (st->ctxt == NULL)
		return -EPROTO;
	st->stanza_bytes += len;
	if (st->stanza_bytes > st->max_stanza ||
	    xmlParseChunk(st->ctxt, data, (int)len, 0) != 0 || st->ctxt->wellFormed == 0) {
		stream_close(st);
		return -EPROTO;
	}
	return 0;
}

int gg_grid_item_text(const struct gg_grid_item *item, char **out, size_t *len)
{
	xmlDocPtr doc = xmlNewDoc(BAD_CAST "1.0");
	xmlNodePtr copy;
	int r;

	if (doc == NULL)
		return -ENOMEM;
	/* xmlDocCopyNode declares on the copy's root the namespaces it uses that were declared
	 * above the payload, so the copy stands alone. */
	copy = xmlDocCopyNode(item->payload, doc, 1);
	if (copy == NULL) {
		xmlFreeDoc(doc);
		return -ENOMEM;
	}
	xmlDocSetRootElement(doc, copy);
	r = gg_xml_serialize(doc, out, len);
	xmlFreeDoc(doc);
	return r;
}
