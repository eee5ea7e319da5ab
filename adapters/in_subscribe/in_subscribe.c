/* in_subscribe.c: [subscribe:NAME], the XMPP-Grid subscriber input: its own session and
 * identity, topics named or found by type (RFC 8600), live events, catch-up after every
 * (re)connect, and periodic loss detection. Items are read from the stream's bytes
 * (grid_tap.h, grid_stream.h), never from libstrophe's stanzas, so payloads keep every
 * namespace; each becomes a record whose id derives from its topic and item id. */
#include "in_subscribe/in_subscribe.h"

#include <errno.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include <jansson.h>

#include "base/input_thread.h"
#include "base/log.h"
#include "base/record_id.h"
#include "engine/emit.h"
#include "engine/pipeline.h"
#include "grid/grid.h"
#include "grid/grid_internal.h"
#include "grid/grid_stream.h"
#include "grid/grid_subscribe.h"
#include "grid/grid_tap.h"
#include "in_subscribe/sub_seen.h"
#include "iodef/iodef.h"

/* Items asked for in one retrieval: a reply stays far below what a client reads at once. */
#define SUB_FETCH_BATCH 50
/* The stream reader's guard on one stanza (Prosody bounds them at 256 KiB on the way in). */
#define SUB_MAX_STANZA (16u * 1024 * 1024)

struct sub_conf {
	char *jid;
	char *password_file;
	char *client_cert;
	char *client_key;
	char *host;
	int64_t port;
	char *ca_file;
	char *pubsub_service;
	char *topics;
	char *type;
	int64_t check_interval_ms;
	int64_t reconnect_min_ms;
	int64_t reconnect_max_ms;
	int64_t iq_timeout_ms;
};

#define SO(field) offsetof(struct sub_conf, field)
static const struct gg_option sub_options[] = {
	{ "jid", GG_OPT_STRING, NULL, SO(jid),
	  .help = "the subscriber's own JID (user@domain): a session apart from [xmpp]'s",
	  .flags = GG_OPT_REQUIRED },
	{ "password_file", GG_OPT_STRING, NULL, SO(password_file),
	  .help = "file whose first line is the JID's password (or client_cert and client_key)",
	  .flags = GG_OPT_FILE },
	{ "client_cert", GG_OPT_STRING, NULL, SO(client_cert),
	  .help = "PEM client certificate for SASL EXTERNAL", .flags = GG_OPT_FILE },
	{ "client_key", GG_OPT_STRING, NULL, SO(client_key),
	  .help = "PEM private key of client_cert", .flags = GG_OPT_FILE },
	{ "host", GG_OPT_STRING, NULL, SO(host),
	  .help = "controller address (default: the JID's domain)" },
	{ "port", GG_OPT_INT, "5222", SO(port), .help = "controller c2s port (STARTTLS)",
	  .min = 1, .max = 65535 },
	{ "ca_file", GG_OPT_STRING, NULL, SO(ca_file),
	  .help = "CA certificates the controller's certificate must chain to (default: the "
	  "system's)", .flags = GG_OPT_FILE },
	{ "pubsub_service", GG_OPT_STRING, NULL, SO(pubsub_service),
	  .help = "pubsub service JID (default: found by disco#items on the domain)" },
	{ "topics", GG_OPT_STRING, NULL, SO(topics),
	  .help = "topics to subscribe to, blank- or comma-separated (default: every topic whose "
	  "pubsub#type is type)" },
	{ "type", GG_OPT_STRING, GG_IODEF2_NS, SO(type),
	  .help = "without topics: subscribe to every topic of this pubsub#type (RFC 8600)" },
	{ "check_interval", GG_OPT_DURATION, "60s", SO(check_interval_ms),
	  .help = "how often the ids a topic holds are compared with those that arrived; what "
	  "is missing is counted (missed) and fetched", .min = 1000, .max = 86400000 },
	{ "reconnect_min", GG_OPT_DURATION, "1s", SO(reconnect_min_ms),
	  .help = "first reconnect delay (doubles, with jitter)", .min = 10, .max = 3600000 },
	{ "reconnect_max", GG_OPT_DURATION, "60s", SO(reconnect_max_ms),
	  .help = "longest reconnect delay", .min = 10, .max = 3600000 },
	{ "iq_timeout", GG_OPT_DURATION, "30s", SO(iq_timeout_ms),
	  .help = "an IQ (discovery, subscribe, retrieval) unanswered this long drops the session",
	  .min = 100, .max = 600000 },
	GG_OPTIONS_END,
};
#undef SO

struct sub_counters {
	atomic_uint_fast64_t received; /* items that arrived live */
	atomic_uint_fast64_t caught_up; /* items fetched after a (re)connect */
	atomic_uint_fast64_t missed;    /* items on a topic that never arrived live, fetched */
	atomic_uint_fast64_t seen_again; /* items that came again (resent, or live and fetched) */
	atomic_uint_fast64_t spooled;
	atomic_uint_fast64_t refused; /* quarantined by the engine */
	atomic_uint_fast64_t pending; /* subscriptions found waiting for the owner's approval */
	atomic_uint_fast64_t approved; /* pending subscriptions the owner approved */
	atomic_uint_fast64_t reconnects;
	atomic_uint_fast64_t stream_errors; /* bytes the stream reader could not parse */
};

#define SC(field) offsetof(struct sub_counters, field)
static const struct gg_counter sub_counter_rows[] = {
	{ "received", "items that arrived as live event notifications", SC(received) },
	{ "caught_up", "items published while no session was up or before a subscription took, "
	  "fetched after connecting or subscribing", SC(caught_up) },
	{ "missed", "items a topic holds that never arrived live while the session was up "
	  "(loss detection), fetched", SC(missed) },
	{ "seen_again", "items that arrived again and were not spooled twice", SC(seen_again) },
	{ "spooled", "items committed to the spool", SC(spooled) },
	{ "refused", "items the engine quarantined (not IODEF, invalid)", SC(refused) },
	{ "pending", "subscriptions found waiting for the topic owner's approval (authorize "
	  "access model), once per wait", SC(pending) },
	{ "approved", "pending subscriptions the owner approved (items published meanwhile are "
	  "caught up)", SC(approved) },
	{ "reconnects", "sessions lost and made again", SC(reconnects) },
	{ "stream_errors", "times the stream's bytes stopped parsing (items then come by "
	  "retrieval)", SC(stream_errors) },
	GG_COUNTERS_END,
};
#undef SC

/* An item read from the stream, waiting for the loop to spool it. */
struct sub_item {
	char *topic, *id, *text;
	char *meta; /* the record's meta for the outputs: {"topic", "item"[, "published"]} */
	size_t len;
	int live;
};

struct sub {
	struct gg_input *in;
	const struct sub_conf *conf;
	struct gg_xmpp_conf xc; /* the session's settings, from conf */
	char *password;
	char *bare_jid;
	struct gg_input_thread thread;
	struct gg_grid_session *session;
	struct gg_grid_stream *stream;
	struct gg_emitter *emitter;
	struct sub_seen *seen;
	char *service;
	struct gg_grid_strv topics;
	/* Topics whose subscription waits for the owner (kept across sessions): the wait is
	 * reported when it starts and when it ends, not at every check. */
	struct gg_grid_strv pending;
	int ready;
	int unsubscribed; /* topics not subscribed (refused, pending) or none found yet */
	uint64_t ready_epoch;
	int64_t next_check_ms;
	struct sub_item *q;
	size_t nq, capq;
	struct sub_counters counters;
	/* While a topic is synced: the ids it keeps as seen, its item list and then those of it
	 * that came meanwhile, live or fetched. The list was asked for before they came: kept to
	 * the list alone, the items published during a long catch-up were forgotten as seen, and
	 * the next loss check fetched them again and counted them missed. */
	const char *sync_topic;
	struct gg_grid_strv *sync_keep;
	int sync_keep_short; /* out of memory: this sync forgets nothing */
};

static void sub_queue_clear(struct sub *s)
{
	for (size_t i = 0; i < s->nq; i++) {
		free(s->q[i].topic);
		free(s->q[i].id);
		free(s->q[i].text);
		free(s->q[i].meta);
	}
	s->nq = 0;
}

/* The out_grid output this input's records are routed to that publishes to topic, or NULL:
 * subscribing to it would publish each item again as a new item, for ever. */
static const struct gg_output_conf *sub_loop_output(const struct sub *s, const char *topic)
{
	const struct gg_config *cfg = s->in->pipeline->cfg;
	const struct gg_adapter *grid = gg_adapter_find(GG_PLUGIN_OUTPUT, "out_grid");
	const struct gg_input_conf *me = NULL;

	for (size_t i = 0; i < cfg->n_inputs; i++)
		if (cfg->inputs[i].adapter == s->in->adapter &&
		    strcmp(cfg->inputs[i].name, s->in->name) == 0)
			me = &cfg->inputs[i];
	for (size_t r = 0; me != NULL && r < me->n_routes; r++) {
		for (size_t o = 0; o < cfg->n_outputs; o++) {
			const struct gg_output_conf *out = &cfg->outputs[o];
			const struct gg_xmpp_conf *x = out->conf;

			if (out->adapter != grid || strcmp(out->name, me->routes[r]) != 0 ||
			    x->topic == NULL || strcmp(x->topic, topic) != 0)
				continue;
			if (x->pubsub_service == NULL || s->conf->pubsub_service == NULL ||
			    strcmp(x->pubsub_service, s->conf->pubsub_service) == 0)
				return out;
		}
	}
	return NULL;
}

static int sub_is_topic(const struct sub *s, const char *node)
{
	for (size_t i = 0; i < s->topics.n; i++)
		if (strcmp(s->topics.v[i], node) == 0)
			return 1;
	return 0;
}

/* What an export says of the event besides its payload: its topic and item id, and when it
 * was published if the controller said (a XEP-0203 delay stamp on an offline delivery; an
 * XMPP-Grid item carries no time of its own). Compact JSON, or NULL when out of memory. */
static char *sub_meta(const struct gg_grid_item *item)
{
	json_t *o = json_pack("{s:s, s:s}", "topic", item->node, "item", item->id);
	char *text = NULL;

	if (o != NULL && (item->stamp == NULL ||
			  json_object_set_new(o, "published", json_string(item->stamp)) == 0))
		text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	return text;
}

/* From the stream reader, inside libstrophe's read: copy what is ours, spool it later. */
static void sub_on_item(void *arg, const struct gg_grid_item *item)
{
	struct sub *s = arg;
	struct sub_item *it;

	if (!sub_is_topic(s, item->node))
		return;
	if (s->nq == s->capq) {
		size_t cap = s->capq ? s->capq * 2 : 64;
		struct sub_item *q = realloc(s->q, cap * sizeof(*q));

		if (q == NULL)
			goto oom;
		s->q = q;
		s->capq = cap;
	}
	it = &s->q[s->nq];
	memset(it, 0, sizeof(*it));
	it->live = item->iq_id == NULL;
	if ((it->topic = strdup(item->node)) == NULL || (it->id = strdup(item->id)) == NULL ||
	    (it->meta = sub_meta(item)) == NULL || gg_grid_item_text(item, &it->text, &it->len) != 0) {
		free(it->topic);
		free(it->id);
		free(it->meta);
		goto oom;
	}
	s->nq++;
	return;
oom:
	/* Left to the next check, which finds it missing and fetches it. */
	gg_log_warnx("%s: out of memory for item %s of %s", s->in->name, item->id, item->node);
}

static void sub_on_bytes(void *arg, const char *data, size_t len)
{
	struct sub *s = arg;

	if (gg_grid_stream_feed(s->stream, data, len) == -EPROTO) {
		atomic_fetch_add(&s->counters.stream_errors, 1);
		gg_log_warnx("%s: the stream's bytes stopped parsing; items come by retrieval "
			     "until the next session", s->in->name);
	}
}

/* Spools what the stream brought: one batch, then the seen ids. An item already seen is
 * counted, not spooled. */
static int sub_flush(struct sub *s)
{
	char *topics[256], *ids[256];
	size_t n_seen = 0, start = 0;
	struct gg_error err;
	int r = 0;

	while (start < s->nq) {
		size_t end = start + 256 < s->nq ? start + 256 : s->nq;

		n_seen = 0;
		if ((r = gg_batch_begin(s->emitter, 1, &err)) != 0)
			break;
		for (size_t i = start; i < end; i++) {
			struct sub_item *it = &s->q[i];
			char id[GG_RECORD_ID_LEN];
			enum gg_emit_outcome outcome;
			struct gg_error why;
			int seen = sub_seen_has(s->seen, it->topic, it->id);
			struct gg_record rec = {
				.kind = GG_RECORD_XML, .origin = it->topic, .bytes = it->text,
				.len = it->len, .id = id, .meta = it->meta,
			};

			if (s->sync_topic != NULL && strcmp(it->topic, s->sync_topic) == 0 &&
			    gg_grid_strv_add(s->sync_keep, it->id) != 0)
				s->sync_keep_short = 1;

			/* Also twice in this batch (a live event and the fetch of a catch-up): the
			 * seen ids are written only after the commit. */
			for (size_t j = 0; seen != 1 && j < n_seen; j++)
				seen = strcmp(ids[j], it->id) == 0 && strcmp(topics[j], it->topic) == 0;
			if (seen == 1) {
				atomic_fetch_add(&s->counters.seen_again, 1);
				continue;
			}
			/* Stable across sessions, restarts and subscribers: the topic and item
			 * id say which event it is. */
			gg_record_id("grid", it->topic, 0, it->id, strlen(it->id), id);
			if ((r = gg_emit(s->emitter, &rec, &outcome, &why)) != 0) {
				gg_batch_rollback(s->emitter);
				gg_log_warnx("%s: %s", s->in->name, why.msg);
				goto out;
			}
			if (outcome == GG_EMIT_REFUSED || outcome == GG_EMIT_INVALID) {
				atomic_fetch_add(&s->counters.refused, 1);
				gg_log_warnx("%s: item %s of %s quarantined: %s", s->in->name, it->id,
					     it->topic, why.msg);
			}
			if (it->live)
				atomic_fetch_add(&s->counters.received, 1);
			topics[n_seen] = it->topic;
			ids[n_seen++] = it->id;
		}
		if ((r = gg_batch_commit(s->emitter, &err)) != 0 ||
		    (r = sub_seen_add(s->seen, topics, ids, n_seen, &err)) != 0) {
			gg_log_warnx("%s: %s", s->in->name, err.msg);
			break;
		}
		atomic_fetch_add(&s->counters.spooled, n_seen);
		start = end;
	}
out:
	sub_queue_clear(s);
	return r;
}

/* Compares the ids the topic holds with those seen, fetches what is missing (counted in
 * counter), and forgets seen ids the topic dropped. */
static int sub_sync(struct sub *s, const char *topic, atomic_uint_fast64_t *counter)
{
	struct gg_grid_strv ids = { 0 }, missing = { 0 };
	struct gg_error err;
	int r;

	s->sync_topic = topic;
	s->sync_keep = &ids;
	r = gg_grid_item_ids(s->session, s->service, topic, s->conf->iq_timeout_ms, &ids, &err);
	/* Events that came before the list was answered are in the queue: spool them first,
	 * so that they do not count as missing. */
	if (r == 0)
		r = sub_flush(s);
	for (size_t i = 0; r == 0 && i < ids.n; i++)
		if (sub_seen_has(s->seen, topic, ids.v[i]) == 0 &&
		    gg_grid_strv_add(&missing, ids.v[i]) != 0)
			r = gg_error_set(&err, -ENOMEM, "out of memory");
	if (r == 0 && missing.n > 0) {
		atomic_fetch_add(counter, missing.n);
		gg_log_info("%s: %s: %zu item(s) to fetch", s->in->name, topic, missing.n);
	}
	for (size_t i = 0; r == 0 && i < missing.n; i += SUB_FETCH_BATCH) {
		size_t n = missing.n - i < SUB_FETCH_BATCH ? missing.n - i : SUB_FETCH_BATCH;

		if ((r = gg_grid_items_by_id(s->session, s->service, topic, missing.v + i, n,
					     s->conf->iq_timeout_ms, &err)) == 0)
			r = sub_flush(s);
	}
	if (r == 0 && !s->sync_keep_short)
		r = sub_seen_retain(s->seen, topic, &ids, &err);
	if (r != 0 && r != -ECANCELED)
		gg_log_warnx("%s: %s: %s", s->in->name, topic, err.msg);
	s->sync_topic = NULL;
	s->sync_keep = NULL;
	s->sync_keep_short = 0;
	gg_grid_strv_free(&ids);
	gg_grid_strv_free(&missing);
	return r;
}

/* The index of str in sv, or -1. */
static ssize_t sub_strv_index(const struct gg_grid_strv *sv, const char *str)
{
	for (size_t i = 0; i < sv->n; i++)
		if (strcmp(sv->v[i], str) == 0)
			return (ssize_t)i;
	return -1;
}

/* Records whether topic's subscription waits for its owner. */
static int sub_set_pending(struct sub *s, const char *topic, int pending)
{
	ssize_t i = sub_strv_index(&s->pending, topic);

	if (pending && i < 0)
		return gg_grid_strv_add(&s->pending, topic);
	if (!pending && i >= 0) {
		free(s->pending.v[i]);
		s->pending.v[i] = s->pending.v[--s->pending.n];
	}
	return 0;
}

/* A new session: presence (Prosody sends events to available resources only), the
 * service, the topics, the subscriptions, then what was published meanwhile. */
static int sub_prepare(struct sub *s)
{
	struct gg_error err;
	int r = 0;

	gg_grid_send_raw(s->session, "<presence/>", strlen("<presence/>"));
	free(s->service);
	s->service = NULL;
	gg_grid_strv_free(&s->topics);
	if (s->conf->pubsub_service != NULL)
		s->service = strdup(s->conf->pubsub_service);
	else if ((r = gg_grid_find_service(s->session, &s->xc, &s->service, &err)) != 0)
		goto fail;
	if (s->service == NULL)
		return -ENOMEM;
	if (s->conf->topics != NULL) {
		char *list = strdup(s->conf->topics), *save = NULL;

		if (list == NULL)
			return -ENOMEM;
		for (char *t = strtok_r(list, " ,", &save); r == 0 && t;
		     t = strtok_r(NULL, " ,", &save))
			r = gg_grid_strv_add(&s->topics, t);
		free(list);
		if (r != 0)
			return r;
	} else if ((r = gg_grid_topics_of_type(s->session, s->service, s->conf->type,
					       s->conf->iq_timeout_ms, &s->topics, &err)) != 0) {
		goto fail;
	}
	for (size_t i = 0; i < s->topics.n;) {
		const struct gg_output_conf *loop = sub_loop_output(s, s->topics.v[i]);

		if (loop == NULL) {
			i++;
			continue;
		}
		gg_log_warnx("%s: topic %s of type %s left out: output %s, which this input's "
			     "records go to, publishes to it", s->in->name, s->topics.v[i],
			     s->conf->type, loop->name);
		free(s->topics.v[i]);
		s->topics.v[i] = s->topics.v[--s->topics.n];
	}
	s->unsubscribed = s->topics.n == 0;
	if (s->topics.n == 0)
		gg_log_warnx("%s: no topic of type %s on %s yet (looked again every "
			     "check_interval)", s->in->name, s->conf->type, s->service);
	for (size_t i = 0; i < s->topics.n; i++) {
		enum gg_grid_subscription state;
		const char *topic = s->topics.v[i];
		int was_pending = sub_strv_index(&s->pending, topic) >= 0;

		if ((r = gg_grid_subscribe(s->session, s->service, topic, s->bare_jid,
					   s->conf->iq_timeout_ms, &state, &err)) != 0) {
			gg_log_warnx("%s: topic %s: %s (asked again every check_interval)",
				     s->in->name, topic, err.msg);
			s->unsubscribed++;
			continue;
		}
		if ((r = sub_set_pending(s, topic, state == GG_GRID_PENDING)) != 0)
			return r;
		if (state == GG_GRID_PENDING) {
			s->unsubscribed++;
			if (was_pending)
				continue;
			atomic_fetch_add(&s->counters.pending, 1);
			gg_log_warnx("%s: topic %s: subscription pending: the topic's owner must "
				     "approve %s (authorize access model); looked at again every "
				     "check_interval", s->in->name, topic, s->bare_jid);
		} else if (was_pending) {
			atomic_fetch_add(&s->counters.approved, 1);
			gg_log_info("%s: subscription to %s on %s approved by its owner",
				    s->in->name, topic, s->service);
		} else {
			gg_log_info("%s: subscribed to %s on %s", s->in->name, topic, s->service);
		}
	}
	/* A pending subscription may not retrieve (forbidden) and may list no items: its topic
	 * is caught up once approved. */
	for (size_t i = 0; i < s->topics.n; i++)
		if (sub_strv_index(&s->pending, s->topics.v[i]) < 0)
			sub_sync(s, s->topics.v[i], &s->counters.caught_up);
	return 0;
fail:
	gg_log_warnx("%s: %s", s->in->name, err.msg);
	return r;
}

static void *sub_main(void *arg)
{
	struct sub *s = arg;

	if (gg_grid_tap_set(sub_on_bytes, s) != 0) {
		gg_log_warnx("%s: cannot read the stream's bytes: libstrophe does not read "
			     "through OpenSSL here", s->in->name);
		return NULL;
	}
	while (!atomic_load(&s->in->pipeline->stopping)) {
		int64_t now = gg_now_ms(), sleep_ms = s->ready && s->next_check_ms > now
							     ? s->next_check_ms - now : 1000;

		if (gg_grid_session_wait(s->session, s->thread.stop_fd, sleep_ms) == 1)
			break;
		if (s->nq > 0 && sub_flush(s) == -ECANCELED)
			break;
		if (!gg_grid_session_is_up(s->session)) {
			if (s->ready)
				atomic_fetch_add(&s->counters.reconnects, 1);
			s->ready = 0;
			continue;
		}
		if (!s->ready || gg_grid_session_epoch(s->session) != s->ready_epoch) {
			s->ready_epoch = gg_grid_session_epoch(s->session);
			if (sub_prepare(s) != 0) {
				gg_grid_session_drop(s->session, GG_DROP_SELF, "subscriptions not "
						     "ready");
				continue;
			}
			s->ready = 1;
			s->next_check_ms = gg_now_ms() + s->conf->check_interval_ms;
		} else if (gg_now_ms() >= s->next_check_ms) {
			/* A topic not there yet (a subscriber started before the publisher
			 * created it), a subscription refused or pending: preparing again
			 * subscribes (idempotent for the others) and catches up. Otherwise loss
			 * detection: what the topic holds and never came live. */
			s->next_check_ms = gg_now_ms() + s->conf->check_interval_ms;
			if (s->unsubscribed > 0) {
				if (sub_prepare(s) != 0)
					gg_grid_session_drop(s->session, GG_DROP_SELF,
							     "subscriptions not ready");
				continue;
			}
			for (size_t i = 0; i < s->topics.n; i++)
				sub_sync(s, s->topics.v[i], &s->counters.missed);
		}
	}
	gg_grid_tap_set(NULL, NULL);
	return NULL;
}

static void sub_free(struct sub *s)
{
	if (s == NULL)
		return;
	gg_input_thread_close(&s->thread);
	gg_grid_session_free(s->session);
	gg_grid_stream_free(s->stream);
	gg_emitter_free(s->emitter);
	sub_seen_close(s->seen);
	sub_queue_clear(s);
	free(s->q);
	free(s->service);
	gg_grid_strv_free(&s->topics);
	gg_grid_strv_free(&s->pending);
	free(s->bare_jid);
	free(s->xc.domain);
	if (s->password != NULL) {
		explicit_bzero(s->password, strlen(s->password));
		free(s->password);
	}
	free(s);
}

static int sub_check(const void *conf_ptr, const char **key, struct gg_error *err)
{
	const struct sub_conf *c = conf_ptr;
	const char *at = strchr(c->jid, '@');

	*key = "jid";
	if (at == NULL || at == c->jid || at[1] == '\0' || strchr(at + 1, '@') != NULL ||
	    strpbrk(c->jid, " \t") != NULL)
		return gg_error_set(err, -EINVAL, "malformed: must be user@domain");
	*key = "password_file";
	if ((c->password_file == NULL) == (c->client_cert == NULL))
		return gg_error_set(err, -EINVAL, "set password_file, or client_cert with "
				    "client_key (not both)");
	*key = "client_key";
	if ((c->client_cert == NULL) != (c->client_key == NULL))
		return gg_error_set(err, -EINVAL, "goes with client_cert");
	*key = "reconnect_max";
	if (c->reconnect_max_ms < c->reconnect_min_ms)
		return gg_error_set(err, -EINVAL, "is below reconnect_min");
	*key = NULL;
	return 0;
}

/* A named topic that an out_grid output this input is routed to publishes to is refused at
 * start, with the line that names it. */
static int sub_check_loop(const struct sub *s, struct gg_error *err)
{
	char section[128], where[512], *list, *save = NULL;
	int r = 0;

	if (s->conf->topics == NULL)
		return 0;
	if ((list = strdup(s->conf->topics)) == NULL)
		return gg_error_set(err, -ENOMEM, "out of memory");
	for (char *t = strtok_r(list, " ,", &save); r == 0 && t; t = strtok_r(NULL, " ,", &save)) {
		const struct gg_output_conf *loop = sub_loop_output(s, t);

		if (loop == NULL)
			continue;
		snprintf(section, sizeof(section), "subscribe:%s", s->in->name);
		gg_config_where(s->in->pipeline->cfg, section, "topics", where, sizeof(where));
		r = gg_error_set(err, -EINVAL, "%s: topic %s is the one output %s ([%s]) publishes "
				 "to, and this input's records go there (outputs =): each item would "
				 "be published again, for ever", where, t, loop->name, loop->section);
	}
	free(list);
	return r;
}

static int sub_open(struct gg_input *in, struct gg_error *err)
{
	const struct sub_conf *c = in->conf;
	struct sub *s = calloc(1, sizeof(*s));
	struct gg_emitter_opts eo = { 0 };
	struct gg_grid_identity who;
	char path[4096];
	int r;

	if (s == NULL)
		return gg_error_set(err, -ENOMEM, "out of memory");
	s->in = in;
	s->conf = c;
	if ((r = gg_input_thread_init(&s->thread, err)) != 0 || (r = sub_check_loop(s, err)) != 0)
		goto fail;
	if (c->password_file != NULL && (r = gg_grid_password_read(c->password_file, &s->password,
								   err)) != 0)
		goto fail;
	s->bare_jid = strndup(c->jid, strcspn(c->jid, "/"));
	s->xc.domain = strndup(strchr(c->jid, '@') + 1, strcspn(strchr(c->jid, '@') + 1, "/"));
	if (s->bare_jid == NULL || s->xc.domain == NULL) {
		r = gg_error_set(err, -ENOMEM, "out of memory");
		goto fail;
	}
	s->xc.host = c->host;
	s->xc.port = c->port;
	s->xc.jid = c->jid;
	s->xc.ca_file = c->ca_file;
	s->xc.pubsub_service = c->pubsub_service;
	s->xc.reconnect_min_ms = c->reconnect_min_ms;
	s->xc.reconnect_max_ms = c->reconnect_max_ms;
	s->xc.iq_timeout_ms = c->iq_timeout_ms;
	who = (struct gg_grid_identity){ .jid = c->jid, .password = s->password,
					 .client_cert = c->client_cert,
					 .client_key = c->client_key };
	snprintf(path, sizeof(path), "%s/subscribe-%s.db", in->pipeline->cfg->global.state_dir,
		 in->name);
	if ((r = sub_seen_open(path, &s->seen, err)) != 0 ||
	    (r = gg_emitter_new(in, &eo, &s->emitter, err)) != 0 ||
	    (r = gg_grid_session_new(&s->xc, &who, NULL, NULL, NULL, &s->session, err)) != 0)
		goto fail;
	if ((r = gg_grid_stream_new(sub_on_item, s, SUB_MAX_STANZA, &s->stream)) != 0) {
		r = gg_error_set(err, r, "out of memory");
		goto fail;
	}
	in->state = s;
	return 0;
fail:
	sub_free(s);
	return r;
}

static int sub_start(struct gg_input *in, struct gg_error *err)
{
	struct sub *s = in->state;

	return gg_input_thread_start(&s->thread, sub_main, s, err);
}

static void sub_stop(struct gg_input *in)
{
	struct sub *s = in->state;

	gg_input_thread_stop(&s->thread);
}

static void sub_release(struct gg_input *in)
{
	sub_free(in->state);
	in->state = NULL;
}

static const void *sub_counters_of(const struct gg_input *in)
{
	return &((const struct sub *)in->state)->counters;
}

const struct gg_adapter gg_in_subscribe = {
	.name = "subscribe",
	.kind = GG_PLUGIN_INPUT,
	.desc = "XMPP-Grid subscriber: topic events (RFC 8600) -> records, caught up after "
		"every reconnect, checked for loss",
	.options = sub_options,
	.conf_size = sizeof(struct sub_conf),
	.check = sub_check,
	.open = sub_open,
	.start = sub_start,
	.stop = sub_stop,
	.free = sub_release,
	.counters = sub_counter_rows,
	.counters_of = sub_counters_of,
};
