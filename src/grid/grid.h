/* grid.h: XMPP-Grid (RFC 8600) on top of a session: finding the pubsub service and the topic
 * (disco#items, disco#info), creating it with the RFC 8600 configuration, and telling
 * retryable publish errors from permanent ones; plus the publisher thread. Reading items back:
 * grid_reader.h. */
#ifndef GG_GRID_H
#define GG_GRID_H

#include <strophe.h>

#include "grid/grid_conf.h"
#include "base/error.h"
#include "grid/grid_session.h"

#define GG_NS_PUBSUB "http://jabber.org/protocol/pubsub"
#define GG_NS_PUBSUB_OWNER "http://jabber.org/protocol/pubsub#owner"
#define GG_NS_PUBSUB_ERRORS "http://jabber.org/protocol/pubsub#errors"
#define GG_NS_DISCO_INFO "http://jabber.org/protocol/disco#info"
#define GG_NS_DISCO_ITEMS "http://jabber.org/protocol/disco#items"
#define GG_FEATURE_ACCESS_AUTHORIZE "http://jabber.org/protocol/pubsub#access-authorize"

struct gg_grid_topic {
	char *service;      /* the pubsub service JID */
	int created;        /* 1 when this session created the topic */
	const char *access; /* the access model asked for at creation */
};
void gg_grid_topic_clear(struct gg_grid_topic *t);

/* Finds the pubsub service (configured, or by disco#items on the domain), checks the topic
 * with disco#info and creates it when missing. */
int gg_grid_topic_prepare(struct gg_grid_session *s, const struct gg_xmpp_conf *conf,
			  int create, struct gg_grid_topic *out, struct gg_error *err);

enum gg_grid_verdict { GG_GRID_RETRY, GG_GRID_REFUSED, GG_GRID_TOPIC_GONE };
/* A publish IQ error: retried when the condition can pass (wait, resource-constraint, server
 * trouble, authorization that an operator can fix), refused when the payload itself is bad,
 * topic gone (item-not-found: the node was deleted) when it must be prepared again before the
 * record is retried. */
enum gg_grid_verdict gg_grid_classify_error(xmpp_stanza_t *iq_error, char *why, size_t why_len);

/* XML attribute-value escaping into a malloc'd string. */
char *gg_xml_attr_escape(const char *s);

#endif
