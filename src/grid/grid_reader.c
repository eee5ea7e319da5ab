/* grid_reader.c: reading a topic's items back (XEP-0060 item retrieval) for `gridgate topics
 * items`, the demo and the tests. The payloads are read from the stream's bytes, as the
 * subscriber input reads them (grid_tap.h, grid_stream.h): libstrophe's stanzas lose the
 * namespaces of prefixed attributes, and no IODEF document should be guessed back. */
#include "grid/grid_reader.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grid/grid.h"
#include "grid/grid_internal.h"
#include "grid/grid_stream.h"
#include "grid/grid_tap.h"

/* One items result holds the whole topic (Prosody offers no RSM on it); its payloads and
 * their copies are in memory at once. */
#define READER_MAX_STANZA (256u * 1024 * 1024)

struct gg_grid_reader {
	struct gg_grid_stream *stream;
	const char *topic;           /* while a fetch runs */
	struct gg_topic_items *out;  /* while a fetch runs */
	int failed;                  /* an item could not be kept, or the bytes stopped parsing */
};

static void reader_on_item(void *arg, const struct gg_grid_item *item)
{
	struct gg_grid_reader *r = arg;
	char *text;
	size_t len;

	/* Only an items result of the topic asked for (the session sends no presence: no live
	 * events come). */
	if (r->out == NULL || item->iq_id == NULL || strcmp(item->node, r->topic) != 0)
		return;
	if (gg_grid_item_text(item, &text, &len) != 0 ||
	    gg_topic_items_add(r->out, item->id, text, len, gg_iodef_doc_time(item->payload)) != 0)
		r->failed = -ENOMEM;
}

static void reader_on_bytes(void *arg, const char *data, size_t len)
{
	struct gg_grid_reader *r = arg;

	if (gg_grid_stream_feed(r->stream, data, len) == -EPROTO && r->failed == 0)
		r->failed = -EPROTO;
}

int gg_grid_reader_new(struct gg_grid_reader **out, struct gg_error *err)
{
	struct gg_grid_reader *r = calloc(1, sizeof(*r));
	int rc;

	if (r == NULL || gg_grid_stream_new(reader_on_item, r, READER_MAX_STANZA, &r->stream) != 0) {
		free(r);
		return gg_error_set(err, -ENOMEM, "out of memory");
	}
	if ((rc = gg_grid_tap_set(reader_on_bytes, r)) != 0) {
		gg_grid_stream_free(r->stream);
		free(r);
		return gg_error_set(err, rc, "cannot read the stream's bytes: libstrophe does not "
				    "read through OpenSSL here");
	}
	*out = r;
	return 0;
}

void gg_grid_reader_free(struct gg_grid_reader *r)
{
	if (r == NULL)
		return;
	gg_grid_tap_set(NULL, NULL);
	gg_grid_stream_free(r->stream);
	free(r);
}

int gg_grid_reader_fetch(struct gg_grid_reader *r, struct gg_grid_session *s,
			 const char *service, const char *topic, size_t max_items,
			 int64_t timeout_ms, struct gg_topic_items *out, struct gg_error *err)
{
	xmpp_ctx_t *ctx = gg_grid_session_ctx(s);
	xmpp_stanza_t *iq = xmpp_iq_new(ctx, "get", NULL), *pubsub, *items, *result = NULL;
	char max[24];
	int rc;

	pubsub = gg_grid_add(iq, gg_grid_elem(ctx, "pubsub", GG_NS_PUBSUB));
	items = gg_grid_add(pubsub, gg_grid_elem(ctx, "items", NULL));
	xmpp_stanza_set_attribute(items, "node", topic);
	if (max_items > 0) {
		/* XEP-0060 6.5.7: the most recent max_items. */
		snprintf(max, sizeof(max), "%zu", max_items);
		xmpp_stanza_set_attribute(items, "max_items", max);
	}
	xmpp_stanza_set_to(iq, service);
	r->topic = topic;
	r->out = out;
	r->failed = 0;
	/* The result's bytes pass the tap before libstrophe parses them: its items are in out
	 * when this returns. */
	rc = gg_grid_iq_sync(s, iq, timeout_ms, &result);
	r->out = NULL;
	if (rc != 0) {
		char why[256] = "no answer";

		if (rc == -EPROTO) {
			const char *type, *cond = gg_grid_error_condition(result, &type);

			gg_grid_classify_error(result, why, sizeof(why));
			/* What a caller answers differently: no such topic, or not ours to read. */
			if (cond != NULL && strcmp(cond, "item-not-found") == 0)
				rc = -ENOENT;
			else if (cond != NULL && (strcmp(cond, "forbidden") == 0 ||
						  strcmp(cond, "not-authorized") == 0))
				rc = -EACCES;
		}
		if (result)
			xmpp_stanza_release(result);
		return gg_error_set(err, rc, "reading items of %s on %s: %s", topic, service, why);
	}
	xmpp_stanza_release(result);
	if (r->failed == -EPROTO)
		return gg_error_set(err, -EBADMSG, "reading items of %s on %s: the stream's bytes "
				    "stopped parsing (an answer over %u MiB?)", topic, service,
				    READER_MAX_STANZA >> 20);
	if (r->failed != 0)
		return gg_error_set(err, r->failed, "reading items of %s: out of memory", topic);
	return 0;
}
