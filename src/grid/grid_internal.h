/* grid_internal.h: stanza helpers shared by the files of src/grid/ (topic set-up in grid.c,
 * subscriptions in grid_subscribe.c); not for other folders. */
#ifndef GG_GRID_INTERNAL_H
#define GG_GRID_INTERNAL_H

#include <strophe.h>

#include "base/error.h"
#include "grid/grid_conf.h"
#include "grid/grid_session.h"

xmpp_stanza_t *gg_grid_elem(xmpp_ctx_t *ctx, const char *name, const char *ns);
/* Adds child to parent and drops the caller's reference; returns child for chaining. */
xmpp_stanza_t *gg_grid_add(xmpp_stanza_t *parent, xmpp_stanza_t *child);
/* A disco#info or disco#items get to `to`, of node when not NULL. */
xmpp_stanza_t *gg_grid_disco(xmpp_ctx_t *ctx, const char *ns, const char *to, const char *node);
/* The defined condition of an error reply, e.g. "item-not-found"; *type its error type. */
const char *gg_grid_error_condition(xmpp_stanza_t *iq, const char **type);
/* The value of field var in the first data form of a disco#info result (xmpp_free), or NULL. */
char *gg_grid_form_value(xmpp_stanza_t *result, const char *var);
/* The pubsub service: the first item of disco#items on the domain whose identity is
 * pubsub/service. */
int gg_grid_find_service(struct gg_grid_session *s, const struct gg_xmpp_conf *conf,
			 char **out, struct gg_error *err);

#endif
