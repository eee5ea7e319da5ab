/* grid_subscribe.c: discovery, subscription and item listing for the subscriber input, as
 * synchronous IQs on its session. */
#include "grid/grid_subscribe.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grid/grid.h"
#include "grid/grid_internal.h"

int gg_grid_strv_add(struct gg_grid_strv *sv, const char *s)
{
	char *copy;

	if (sv->n == sv->cap) {
		size_t cap = sv->cap ? sv->cap * 2 : 16;
		char **v = realloc(sv->v, cap * sizeof(*v));

		if (v == NULL)
			return -ENOMEM;
		sv->v = v;
		sv->cap = cap;
	}
	if ((copy = strdup(s)) == NULL)
		return -ENOMEM;
	sv->v[sv->n++] = copy;
	return 0;
}

void gg_grid_strv_free(struct gg_grid_strv *sv)
{
	for (size_t i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	memset(sv, 0, sizeof(*sv));
}

/* Turns what gg_grid_iq_sync returned (r) into err: "WHAT: CONDITION (TYPE): TEXT", and
 * releases an error reply. */
static int sub_iq_failed(int r, xmpp_stanza_t **result, const char *what, struct gg_error *err)
{
	char why[256] = "no answer";

	if (r == -EPROTO)
		gg_grid_classify_error(*result, why, sizeof(why));
	else if (r == -ENOTCONN)
		snprintf(why, sizeof(why), "the session went down");
	if (*result != NULL) {
		xmpp_stanza_release(*result);
		*result = NULL;
	}
	return gg_error_set(err, r, "%s: %s", what, why);
}

/* Sends iq; an error reply becomes err (sub_iq_failed). */
static int sub_iq(struct gg_grid_session *s, xmpp_stanza_t *iq, int64_t timeout_ms,
		  xmpp_stanza_t **result, const char *what, struct gg_error *err)
{
	int r = gg_grid_iq_sync(s, iq, timeout_ms, result);

	return r == 0 ? 0 : sub_iq_failed(r, result, what, err);
}

/* True for XEP-0060 6.1.3.7's answer to a subscribe while an earlier request still waits for
 * the owner: not-authorized with <pending-subscription/> (ejabberd answers every request
 * after the first so). */
static int sub_error_is_pending(xmpp_stanza_t *result)
{
	xmpp_stanza_t *error = xmpp_stanza_get_child_by_name(result, "error");

	return error != NULL && xmpp_stanza_get_child_by_name_and_ns(
					error, "pending-subscription", GG_NS_PUBSUB_ERRORS) != NULL;
}

/* Calls add for the attribute attr of every <item/> of a disco#items result. */
static int sub_disco_items(xmpp_stanza_t *result, const char *attr, struct gg_grid_strv *out)
{
	xmpp_stanza_t *query = xmpp_stanza_get_child_by_name(result, "query");

	for (xmpp_stanza_t *c = query ? xmpp_stanza_get_children(query) : NULL; c;
	     c = xmpp_stanza_get_next(c)) {
		const char *v = xmpp_stanza_is_tag(c) ? xmpp_stanza_get_attribute(c, attr) : NULL;

		if (v != NULL && strcmp(xmpp_stanza_get_name(c), "item") == 0 &&
		    gg_grid_strv_add(out, v) != 0)
			return -ENOMEM;
	}
	return 0;
}

int gg_grid_topics_of_type(struct gg_grid_session *s, const char *service, const char *type,
			   int64_t timeout_ms, struct gg_grid_strv *out, struct gg_error *err)
{
	xmpp_ctx_t *ctx = gg_grid_session_ctx(s);
	struct gg_grid_strv nodes = { 0 };
	xmpp_stanza_t *result = NULL;
	int r;

	r = sub_iq(s, gg_grid_disco(ctx, GG_NS_DISCO_ITEMS, service, NULL), timeout_ms, &result,
		   "disco#items on the pubsub service", err);
	if (r != 0)
		return r;
	r = sub_disco_items(result, "node", &nodes);
	xmpp_stanza_release(result);
	for (size_t i = 0; r == 0 && i < nodes.n; i++) {
		char *t;

		r = sub_iq(s, gg_grid_disco(ctx, GG_NS_DISCO_INFO, service, nodes.v[i]),
			   timeout_ms, &result, nodes.v[i], err);
		if (r == -EPROTO) {
			r = 0; /* a topic we may not see: not ours to take */
			continue;
		}
		if (r != 0)
			break;
		t = gg_grid_form_value(result, "pubsub#type");
		if (t != NULL && strcmp(t, type) == 0 && gg_grid_strv_add(out, nodes.v[i]) != 0)
			r = -ENOMEM;
		if (t != NULL)
			xmpp_free(ctx, t);
		xmpp_stanza_release(result);
	}
	gg_grid_strv_free(&nodes);
	return r == -ENOMEM ? gg_error_set(err, r, "out of memory") : r;
}

int gg_grid_subscribe(struct gg_grid_session *s, const char *service, const char *node,
		      const char *jid, int64_t timeout_ms, enum gg_grid_subscription *state,
		      struct gg_error *err)
{
	xmpp_ctx_t *ctx = gg_grid_session_ctx(s);
	xmpp_stanza_t *iq = xmpp_iq_new(ctx, "set", NULL), *result = NULL, *sub;
	xmpp_stanza_t *pubsub = gg_grid_add(iq, gg_grid_elem(ctx, "pubsub", GG_NS_PUBSUB));
	xmpp_stanza_t *subscribe = gg_grid_add(pubsub, gg_grid_elem(ctx, "subscribe", NULL));
	const char *word;
	int r;

	xmpp_stanza_set_to(iq, service);
	xmpp_stanza_set_attribute(subscribe, "node", node);
	xmpp_stanza_set_attribute(subscribe, "jid", jid);
	r = gg_grid_iq_sync(s, iq, timeout_ms, &result);
	if (r == -EPROTO && sub_error_is_pending(result)) {
		xmpp_stanza_release(result);
		*state = GG_GRID_PENDING;
		return 0;
	}
	if (r != 0)
		return sub_iq_failed(r, &result, "subscribe", err);
	/* RFC 8600 / XEP-0060 6.1.2: subscribed, pending (authorize), unconfigured. An empty
	 * result is a success too (6.1.2: "the service MAY return an empty IQ result"). */
	pubsub = xmpp_stanza_get_child_by_name(result, "pubsub");
	sub = pubsub ? xmpp_stanza_get_child_by_name(pubsub, "subscription") : NULL;
	word = sub ? xmpp_stanza_get_attribute(sub, "subscription") : NULL;
	*state = word && strcmp(word, "pending") == 0	     ? GG_GRID_PENDING
		 : word && strcmp(word, "unconfigured") == 0 ? GG_GRID_UNCONFIGURED
							     : GG_GRID_SUBSCRIBED;
	xmpp_stanza_release(result);
	return 0;
}

int gg_grid_item_ids(struct gg_grid_session *s, const char *service, const char *node,
		     int64_t timeout_ms, struct gg_grid_strv *out, struct gg_error *err)
{
	xmpp_ctx_t *ctx = gg_grid_session_ctx(s);
	xmpp_stanza_t *result = NULL;
	int r;

	/* XEP-0060 5.5: disco#items on a node lists its items, their ids as names. */
	r = sub_iq(s, gg_grid_disco(ctx, GG_NS_DISCO_ITEMS, service, node), timeout_ms, &result,
		   "listing the items of the topic", err);
	if (r != 0)
		return r;
	r = sub_disco_items(result, "name", out);
	xmpp_stanza_release(result);
	return r == 0 ? 0 : gg_error_set(err, r, "out of memory");
}

int gg_grid_items_by_id(struct gg_grid_session *s, const char *service, const char *node,
			char *const *ids, size_t n, int64_t timeout_ms, struct gg_error *err)
{
	xmpp_ctx_t *ctx = gg_grid_session_ctx(s);
	xmpp_stanza_t *iq = xmpp_iq_new(ctx, "get", NULL), *result = NULL;
	xmpp_stanza_t *pubsub = gg_grid_add(iq, gg_grid_elem(ctx, "pubsub", GG_NS_PUBSUB));
	xmpp_stanza_t *items = gg_grid_add(pubsub, gg_grid_elem(ctx, "items", NULL));
	int r;

	xmpp_stanza_set_to(iq, service);
	xmpp_stanza_set_attribute(items, "node", node);
	for (size_t i = 0; i < n; i++) {
		xmpp_stanza_t *item = gg_grid_add(items, gg_grid_elem(ctx, "item", NULL));

		xmpp_stanza_set_attribute(item, "id", ids[i]);
	}
	r = sub_iq(s, iq, timeout_ms, &result, "retrieving items", err);
	if (result != NULL)
		xmpp_stanza_release(result);
	return r;
}
