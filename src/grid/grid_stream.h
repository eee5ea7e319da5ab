/* grid_stream.h: pubsub items read from the bytes of an XMPP stream with libxml2, so that a
 * payload keeps every namespace: libstrophe's parser drops those of prefixed attributes
 * (xml:lang, xsi:schemaLocation, a foreign attribute in AdditionalData). Pure: bytes in, items
 * out, no I/O; grid_tap.h hands it the bytes libstrophe reads. */
#ifndef GG_GRID_STREAM_H
#define GG_GRID_STREAM_H

#include <libxml/tree.h>
#include <stddef.h>

#define GG_NS_PUBSUB_EVENT "http://jabber.org/protocol/pubsub#event"

/* One item with a payload, as the stream carried it. Strings and payload live until the
 * callback returns. */
struct gg_grid_item {
	const char *node;  /* the topic */
	const char *id;    /* the item id */
	const char *iq_id; /* NULL: a live event notification; else the IQ result it came in */
	const char *stamp; /* the message's XEP-0203 delay stamp (offline delivery), or NULL */
	xmlNodePtr payload;
};
typedef void (*gg_grid_item_fn)(void *arg, const struct gg_grid_item *item);

struct gg_grid_stream;

/* max_stanza bounds what one stanza may hold in memory; a longer one stops the reading until
 * the next stream header (the controller bounds stanzas itself: this is a guard). */
int gg_grid_stream_new(gg_grid_item_fn fn, void *arg, size_t max_stanza,
		       struct gg_grid_stream **out);
void gg_grid_stream_free(struct gg_grid_stream *st);
/* Bytes as read from the connection, in order. A read that starts with a stream header
 * (`<?xml` or `<stream:stream`, after a STARTTLS or SASL restart) starts a new document.
 * Returns 0, or -EPROTO when the bytes stopped parsing: nothing more is read until the next
 * header. */
int gg_grid_stream_feed(struct gg_grid_stream *st, const char *data, size_t len);

/* The payload as a document of its own (namespaces declared where the stream declared them
 * outside it are declared on its root), serialized without an XML declaration; free() it. */
int gg_grid_item_text(const struct gg_grid_item *item, char **out, size_t *len);

#endif
