/* grid_subscribe.h: the subscriber's side of RFC 8600 on a session: the topics of a type
 * (disco#items on the service, disco#info pubsub#type of each), subscribing, the item ids a
 * topic holds (disco#items on the node), and retrieving items by id (XEP-0060 6.5.8). The
 * payloads of retrieved items are read from the stream (grid_stream.h), not from here. */
#ifndef GG_GRID_SUBSCRIBE_H
#define GG_GRID_SUBSCRIBE_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "grid/grid_session.h"

/* A list of strings; free with gg_grid_strv_free. */
struct gg_grid_strv {
	char **v;
	size_t n, cap;
};
int gg_grid_strv_add(struct gg_grid_strv *sv, const char *s);
void gg_grid_strv_free(struct gg_grid_strv *sv);

/* Appends to out the topics of service whose pubsub#type is type. */
int gg_grid_topics_of_type(struct gg_grid_session *s, const char *service, const char *type,
			   int64_t timeout_ms, struct gg_grid_strv *out, struct gg_error *err);

enum gg_grid_subscription {
	GG_GRID_SUBSCRIBED,
	GG_GRID_PENDING,      /* the owner must approve (the authorize access model) */
	GG_GRID_UNCONFIGURED, /* subscribed, options to be set: events flow with defaults */
};
/* Subscribes jid (bare) to node. 0 with *state, or an error naming the condition (a topic
 * that does not exist, a whitelist without us). */
int gg_grid_subscribe(struct gg_grid_session *s, const char *service, const char *node,
		      const char *jid, int64_t timeout_ms, enum gg_grid_subscription *state,
		      struct gg_error *err);

/* Appends to out the ids of the items node holds now. */
int gg_grid_item_ids(struct gg_grid_session *s, const char *service, const char *node,
		     int64_t timeout_ms, struct gg_grid_strv *out, struct gg_error *err);

/* Retrieves the items ids[0..n) of node; their payloads reach the session's stream reader
 * before this returns 0. */
int gg_grid_items_by_id(struct gg_grid_session *s, const char *service, const char *node,
			char *const *ids, size_t n, int64_t timeout_ms, struct gg_error *err);

#endif
