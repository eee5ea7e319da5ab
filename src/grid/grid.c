/* grid.c: RFC 8600 topic handling: service discovery, topic check and creation with the RFC's
 * configuration (pubsub#type = IODEF 2.0 namespace), and publish error classification. */
#include "grid/grid.h"
#include "grid/grid_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "iodef/iodef.h"
#include "base/log.h"

#define GG_NS_XDATA "jabber:x:data"
#define GG_NS_STANZAS "urn:ietf:params:xml:ns:xmpp-stanzas"

void gg_grid_topic_clear(struct gg_grid_topic *t)
{
	free(t->service);
	memset(t, 0, sizeof(*t));
}

char *gg_xml_attr_escape(const char *s)
{
	size_t n = 0;
	char *out, *o;

	for (const char *c = s; *c; c++)
		n += *c == '&' ? 5 : (*c == '<' || *c == '>') ? 4 : (*c == '"' || *c == '\'') ? 6 : 1;
	out = o = malloc(n + 1);
	if (out == NULL)
		return NULL;
	for (const char *c = s; *c; c++) {
		const char *rep = *c == '&' ? "&amp;" : *c == '<' ? "&lt;" : *c == '>' ? "&gt;"
				: *c == '"' ? "&quot;" : *c == '\'' ? "&apos;" : NULL;
		if (rep) {
			memcpy(o, rep, strlen(rep));
			o += strlen(rep);
		} else {
			*o++ = *c;
		}
	}
	*o = '\0';
	return out;
}

xmpp_stanza_t *gg_grid_elem(xmpp_ctx_t *ctx, const char *name, const char *ns)
{
	xmpp_stanza_t *st = xmpp_stanza_new(ctx);

	xmpp_stanza_set_name(st, name);
	if (ns != NULL)
		xmpp_stanza_set_ns(st, ns);
	return st;
}

/* Adds child to parent and drops the caller's reference; returns child for chaining. */
xmpp_stanza_t *gg_grid_add(xmpp_stanza_t *parent, xmpp_stanza_t *child)
{
	xmpp_stanza_add_child(parent, child);
	xmpp_stanza_release(child);
	return child;
}

xmpp_stanza_t *gg_grid_disco(xmpp_ctx_t *ctx, const char *ns, const char *to, const char *node)
{
	xmpp_stanza_t *iq = xmpp_iq_new(ctx, "get", NULL);
	xmpp_stanza_t *query = gg_grid_add(iq, gg_grid_elem(ctx, "query", ns));

	xmpp_stanza_set_to(iq, to);
	if (node != NULL)
		xmpp_stanza_set_attribute(query, "node", node);
	return iq;
}

/* The defined condition of an error reply, e.g. "item-not-found". */
const char *gg_grid_error_condition(xmpp_stanza_t *iq, const char **type)
{
	xmpp_stanza_t *error = xmpp_stanza_get_child_by_name(iq, "error");

	*type = error ? xmpp_stanza_get_type(error) : NULL;
	if (error == NULL)
		return "undefined-condition";
	for (xmpp_stanza_t *c = xmpp_stanza_get_children(error); c; c = xmpp_stanza_get_next(c)) {
		const char *ns = xmpp_stanza_get_ns(c);

		if (xmpp_stanza_is_tag(c) && ns && strcmp(ns, GG_NS_STANZAS) == 0 &&
		    strcmp(xmpp_stanza_get_name(c), "text") != 0)
			return xmpp_stanza_get_name(c);
	}
	return "undefined-condition";
}

enum gg_grid_verdict gg_grid_classify_error(xmpp_stanza_t *iq_error, char *why, size_t why_len)
{
	/* Conditions that say the payload itself is unacceptable: sending it again cannot help. */
	static const char *const refused[] = {
		"bad-request", "not-acceptable", "policy-violation", "jid-malformed",
		"not-allowed", "payload-too-big", "invalid-payload",
	};
	const char *type, *cond = gg_grid_error_condition(iq_error, &type);
	xmpp_stanza_t *error = xmpp_stanza_get_child_by_name(iq_error, "error");
	xmpp_stanza_t *text = error ? xmpp_stanza_get_child_by_name(error, "text") : NULL;
	char *text_s = text ? xmpp_stanza_get_text(text) : NULL;

	/* pubsub application conditions (payload-too-big, invalid-payload) ride beside the
	 * defined condition in their own namespace. */
	if (error != NULL) {
		for (xmpp_stanza_t *c = xmpp_stanza_get_children(error); c;
		     c = xmpp_stanza_get_next(c)) {
			const char *ns = xmpp_stanza_get_ns(c);

			if (xmpp_stanza_is_tag(c) && ns &&
			    strncmp(ns, GG_NS_PUBSUB, strlen(GG_NS_PUBSUB)) == 0)
				cond = xmpp_stanza_get_name(c);
		}
	}
	snprintf(why, why_len, "%s (%s)%s%s", cond, type ? type : "no type", text_s ? ": " : "",
		 text_s ? text_s : "");
	if (text_s)
		xmpp_free(xmpp_stanza_get_context(iq_error), text_s);
	if (type != NULL && strcmp(type, "wait") == 0)
		return GG_GRID_RETRY;
	if (strcmp(cond, "item-not-found") == 0)
		return GG_GRID_TOPIC_GONE;
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		if (strcmp(cond, refused[i]) == 0)
			return GG_GRID_REFUSED;
	return GG_GRID_RETRY;
}

static int grid_has_feature(xmpp_stanza_t *result, const char *feature)
{
	xmpp_stanza_t *query = xmpp_stanza_get_child_by_name(result, "query");

	for (xmpp_stanza_t *c = query ? xmpp_stanza_get_children(query) : NULL; c;
	     c = xmpp_stanza_get_next(c)) {
		const char *var = xmpp_stanza_get_attribute(c, "var");

		if (xmpp_stanza_is_tag(c) && strcmp(xmpp_stanza_get_name(c), "feature") == 0 &&
		    var && strcmp(var, feature) == 0)
			return 1;
	}
	return 0;
}

static int grid_is_pubsub_service(xmpp_stanza_t *result)
{
	xmpp_stanza_t *query = xmpp_stanza_get_child_by_name(result, "query");

	for (xmpp_stanza_t *c = query ? xmpp_stanza_get_children(query) : NULL; c;
	     c = xmpp_stanza_get_next(c)) {
		const char *cat = xmpp_stanza_get_attribute(c, "category");
		const char *type = xmpp_stanza_get_attribute(c, "type");

		if (xmpp_stanza_is_tag(c) && strcmp(xmpp_stanza_get_name(c), "identity") == 0 &&
		    cat && type && strcmp(cat, "pubsub") == 0 && strcmp(type, "service") == 0)
			return 1;
	}
	return 0;
}

/* The value of field var in the first data form of a disco#info result, or NULL. */
char *gg_grid_form_value(xmpp_stanza_t *result, const char *var)
{
	xmpp_stanza_t *query = xmpp_stanza_get_child_by_name(result, "query");
	xmpp_stanza_t *x = query ? xmpp_stanza_get_child_by_name_and_ns(query, "x", GG_NS_XDATA)
				 : NULL;

	for (xmpp_stanza_t *f = x ? xmpp_stanza_get_children(x) : NULL; f;
	     f = xmpp_stanza_get_next(f)) {
		const char *name = xmpp_stanza_get_attribute(f, "var");
		xmpp_stanza_t *value;

		if (!xmpp_stanza_is_tag(f) || name == NULL || strcmp(name, var) != 0)
			continue;
		value = xmpp_stanza_get_child_by_name(f, "value");
		return value ? xmpp_stanza_get_text(value) : NULL;
	}
	return NULL;
}

int gg_grid_find_service(struct gg_grid_session *s, const struct gg_xmpp_conf *conf,
			     char **out, struct gg_error *err)
{
	xmpp_ctx_t *ctx = gg_grid_session_ctx(s);
	xmpp_stanza_t *items = NULL, *query;
	int r;

	r = gg_grid_iq_sync(s, gg_grid_disco(ctx, GG_NS_DISCO_ITEMS, conf->domain, NULL),
			    conf->iq_timeout_ms, &items);
	if (r != 0) {
		if (items)
			xmpp_stanza_release(items);
		return gg_error_set(err, r, "disco#items on %s failed", conf->domain);
	}
	query = xmpp_stanza_get_child_by_name(items, "query");
	for (xmpp_stanza_t *c = query ? xmpp_stanza_get_children(query) : NULL; c;
	     c = xmpp_stanza_get_next(c)) {
		const char *jid = xmpp_stanza_get_attribute(c, "jid");
		xmpp_stanza_t *info = NULL;

		if (!xmpp_stanza_is_tag(c) || jid == NULL)
			continue;
		r = gg_grid_iq_sync(s, gg_grid_disco(ctx, GG_NS_DISCO_INFO, jid, NULL),
				    conf->iq_timeout_ms, &info);
		if (r == 0 && grid_is_pubsub_service(info)) {
			*out = strdup(jid);
			xmpp_stanza_release(info);
			xmpp_stanza_release(items);
			return *out ? 0 : gg_error_set(err, -ENOMEM, "out of memory");
		}
		if (info)
			xmpp_stanza_release(info);
	}
	xmpp_stanza_release(items);
	return gg_error_set(err, -ENOENT, "no pubsub service among the items of %s",
			    conf->domain);
}

static void grid_form_field(xmpp_ctx_t *ctx, xmpp_stanza_t *form, const char *var,
			    const char *type, const char *value)
{
	xmpp_stanza_t *field = gg_grid_add(form, gg_grid_elem(ctx, "field", NULL));
	xmpp_stanza_t *v = gg_grid_add(field, gg_grid_elem(ctx, "value", NULL));
	xmpp_stanza_t *text = xmpp_stanza_new(ctx);

	xmpp_stanza_set_attribute(field, "var", var);
	if (type != NULL)
		xmpp_stanza_set_attribute(field, "type", type);
	xmpp_stanza_set_text(text, value);
	gg_grid_add(v, text);
}

static int grid_create_topic(struct gg_grid_session *s, const struct gg_xmpp_conf *conf,
			     const char *service, const char *access, struct gg_error *err)
{
	xmpp_ctx_t *ctx = gg_grid_session_ctx(s);
	xmpp_stanza_t *iq = xmpp_iq_new(ctx, "set", NULL), *result = NULL;
	xmpp_stanza_t *pubsub = gg_grid_add(iq, gg_grid_elem(ctx, "pubsub", GG_NS_PUBSUB));
	xmpp_stanza_t *create = gg_grid_add(pubsub, gg_grid_elem(ctx, "create", NULL));
	xmpp_stanza_t *configure = gg_grid_add(pubsub, gg_grid_elem(ctx, "configure", NULL));
	xmpp_stanza_t *form = gg_grid_add(configure, gg_grid_elem(ctx, "x", GG_NS_XDATA));
	char max_items[24];
	int r;

	xmpp_stanza_set_to(iq, service);
	xmpp_stanza_set_attribute(create, "node", conf->topic);
	xmpp_stanza_set_type(form, "submit");
	snprintf(max_items, sizeof(max_items), "%lld", (long long)conf->max_items);
	grid_form_field(ctx, form, "FORM_TYPE", "hidden",
			"http://jabber.org/protocol/pubsub#node_config");
	/* RFC 8600 section 8.3: the topic type is the namespace of its payloads. */
	grid_form_field(ctx, form, "pubsub#type", NULL, GG_IODEF2_NS);
	grid_form_field(ctx, form, "pubsub#access_model", NULL, access);
	grid_form_field(ctx, form, "pubsub#send_last_published_item", NULL, "never");
	grid_form_field(ctx, form, "pubsub#persist_items", NULL, "1");
	grid_form_field(ctx, form, "pubsub#max_items", NULL, max_items);
	grid_form_field(ctx, form, "pubsub#deliver_payloads", NULL, "1");
	r = gg_grid_iq_sync(s, iq, conf->iq_timeout_ms, &result);
	if (r == -EPROTO) {
		char why[256];

		gg_grid_classify_error(result, why, sizeof(why));
		gg_error_set(err, r, "creating topic %s on %s refused: %s", conf->topic, service,
			     why);
	} else if (r != 0) {
		gg_error_set(err, r, "creating topic %s on %s: no answer", conf->topic, service);
	}
	if (result)
		xmpp_stanza_release(result);
	return r;
}

/* Grants subscription to the configured members of a topic just created: on a whitelist
 * topic they become members (XEP-0060 8.9), who may then subscribe; on an authorize topic the
 * owner subscribes them (8.8.2), so their own subscribe finds the subscription approved in
 * advance while anyone else's waits for the owner. */
static int grid_add_members(struct gg_grid_session *s, const struct gg_xmpp_conf *conf,
			    const char *service, int authorize, struct gg_error *err)
{
	xmpp_ctx_t *ctx = gg_grid_session_ctx(s);
	xmpp_stanza_t *iq, *pubsub, *affs, *result = NULL;
	const char *what = authorize ? "subscription" : "affiliation";
	char *list, *save = NULL;
	int r;

	if (conf->members == NULL)
		return 0;
	if ((list = strdup(conf->members)) == NULL)
		return gg_error_set(err, -ENOMEM, "out of memory");
	iq = xmpp_iq_new(ctx, "set", NULL);
	pubsub = gg_grid_add(iq, gg_grid_elem(ctx, "pubsub", GG_NS_PUBSUB_OWNER));
	affs = gg_grid_add(pubsub, gg_grid_elem(ctx, authorize ? "subscriptions" : "affiliations",
						 NULL));
	xmpp_stanza_set_to(iq, service);
	xmpp_stanza_set_attribute(affs, "node", conf->topic);
	for (char *jid = strtok_r(list, " ,", &save); jid; jid = strtok_r(NULL, " ,", &save)) {
		xmpp_stanza_t *aff = gg_grid_add(affs, gg_grid_elem(ctx, what, NULL));

		xmpp_stanza_set_attribute(aff, "jid", jid);
		xmpp_stanza_set_attribute(aff, what, authorize ? "subscribed" : "member");
	}
	free(list);
	r = gg_grid_iq_sync(s, iq, conf->iq_timeout_ms, &result);
	if (result)
		xmpp_stanza_release(result);
	if (r != 0)
		return gg_error_set(err, r, "granting members on topic %s failed", conf->topic);
	gg_log_info("grid: topic %s: %s %s", conf->topic,
		    authorize ? "subscribed in advance (approved):" : "members:", conf->members);
	return 0;
}

int gg_grid_topic_prepare(struct gg_grid_session *s, const struct gg_xmpp_conf *conf,
			  int create, struct gg_grid_topic *out, struct gg_error *err)
{
	xmpp_ctx_t *ctx = gg_grid_session_ctx(s);
	xmpp_stanza_t *info = NULL;
	const char *type;
	int r, authorize;

	memset(out, 0, sizeof(*out));
	if (conf->pubsub_service != NULL)
		out->service = strdup(conf->pubsub_service);
	else if ((r = gg_grid_find_service(s, conf, &out->service, err)) != 0)
		return r;
	if (out->service == NULL)
		return gg_error_set(err, -ENOMEM, "out of memory");

	r = gg_grid_iq_sync(s, gg_grid_disco(ctx, GG_NS_DISCO_INFO, out->service, NULL),
			    conf->iq_timeout_ms, &info);
	if (r != 0) {
		if (info)
			xmpp_stanza_release(info);
		return gg_error_set(err, r, "disco#info on %s failed", out->service);
	}
	authorize = grid_has_feature(info, GG_FEATURE_ACCESS_AUTHORIZE);
	xmpp_stanza_release(info);
	info = NULL;

	r = gg_grid_iq_sync(s, gg_grid_disco(ctx, GG_NS_DISCO_INFO, out->service, conf->topic),
			    conf->iq_timeout_ms, &info);
	if (r == 0) {
		char *topic_type = gg_grid_form_value(info, "pubsub#type");

		if (topic_type == NULL || strcmp(topic_type, GG_IODEF2_NS) != 0)
			gg_log_warnx("grid: topic %s has pubsub#type '%s', not %s", conf->topic,
				     topic_type ? topic_type : "(none)", GG_IODEF2_NS);
		if (topic_type)
			xmpp_free(ctx, topic_type);
		xmpp_stanza_release(info);
		gg_log_info("grid: topic %s found on %s", conf->topic,
			    out->service);
		return 0;
	}
	if (r != -EPROTO || strcmp(gg_grid_error_condition(info, &type), "item-not-found") != 0) {
		if (info)
			xmpp_stanza_release(info);
		return gg_error_set(err, r == -EPROTO ? -EACCES : r,
				    "disco#info on topic %s at %s failed", conf->topic,
				    out->service);
	}
	xmpp_stanza_release(info);
	if (!create)
		return gg_error_set(err, -ENOENT, "topic %s does not exist on %s", conf->topic,
				    out->service);
	/* RFC 8600 asks for the authorize access model; a controller without it (Prosody) gets
	 * whitelist, which keeps the topic closed to all but the members named in config. */
	out->access = authorize ? "authorize" : "whitelist";
	if (!authorize)
		gg_log_warnx("grid: %s does not offer the authorize access model (RFC 8600); "
			     "creating topic %s with whitelist", out->service, conf->topic);
	if ((r = grid_create_topic(s, conf, out->service, out->access, err)) != 0)
		return r;
	out->created = 1;
	gg_log_info("grid: created topic %s on %s (access %s)", conf->topic, out->service,
		    out->access);
	return grid_add_members(s, conf, out->service, authorize, err);
}
