/* out_grid.c: the XMPP-Grid publisher output, its thread: reads pending spool rows, publishes each as a pubsub
 * item with its spool id, keeps a window of IQs in flight, and marks rows done on IQ results.
 * An item the controller answers by closing the stream is found (grid_isolate.c) and set
 * aside, so it cannot hold back the items behind it. */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "engine/pipeline.h"
#include "grid/grid.h"
#include "out_grid/grid_window.h"
#include "out_grid/out_grid.h"

#define PUBLISH_ID_PREFIX "gg-p-"

struct gg_publisher {
	const char *name; /* the output's: its deliveries in the spool, its log lines */
	struct gg_pipeline *pipeline;
	int wake_fd;      /* written when records are committed, and at a stop */
	const struct gg_xmpp_conf *conf;
	struct gg_spool *spool;
	struct gg_grid_session *session;
	struct gg_grid_topic topic;
	char *service_attr, *topic_attr; /* escaped once for the raw stanza text */
	pthread_t thread;
	atomic_int stop;
	int ready;
	uint64_t ready_epoch;
	struct gg_grid_window window; /* what is in flight and what each answer does */
	uint64_t seen_generation;     /* spool generation when the cursor last caught up */
	int caught_up;
	size_t max_payload;           /* max_document_size: a row over it would kill the stream */
	int64_t next_prune_ms;
};

/* Takes a row out of the queue for good, with the reason `gridgate spool refused` shows. */
static void publisher_set_aside(struct gg_publisher *pub, int64_t seq, const char *why)
{
	struct gg_error err;

	gg_log_warnx("%s: record seq %" PRId64 " set aside: %s", pub->name, seq, why);
	if (gg_spool_mark_failed(pub->spool, seq, why, &err) != 0)
		gg_log_warnx("%s: spool: %s", pub->name, err.msg);
	atomic_fetch_add(&pub->pipeline->counters.publish_refused, 1);
	gg_pipeline_notify_room(pub->pipeline);
}

/* Starts over from the oldest pending row (after a reconnect or a retryable refusal). */
static void publisher_rewind(struct gg_publisher *pub)
{
	gg_grid_window_rewind(&pub->window);
	pub->caught_up = 0;
}

static enum gg_grid_answer publisher_answer(xmpp_stanza_t *stanza, char *why, size_t why_len)
{
	if (strcmp(xmpp_stanza_get_type(stanza), "result") == 0)
		return GG_ANSWER_RESULT;
	switch (gg_grid_classify_error(stanza, why, why_len)) {
	case GG_GRID_REFUSED:
		return GG_ANSWER_REFUSED;
	case GG_GRID_TOPIC_GONE:
		return GG_ANSWER_TOPIC_GONE;
	case GG_GRID_RETRY:
		break;
	}
	return GG_ANSWER_RETRY;
}

/* IQ answers for publishes: results are acknowledgements; errors are retried or refused. */
static void publisher_on_iq(void *arg, const char *id, xmpp_stanza_t *stanza)
{
	struct gg_publisher *pub = arg;
	int64_t seq = strtoll(id + strlen(PUBLISH_ID_PREFIX), NULL, 10);
	char why[512] = "";

	switch (gg_grid_window_answer(&pub->window, seq, publisher_answer(stanza, why, sizeof(why)),
				      gg_now_ms())) {
	case GG_STEP_STALE:
	case GG_STEP_ACKED:
		return;
	case GG_STEP_REFUSE:
		publisher_set_aside(pub, seq, why);
		return;
	case GG_STEP_TOPIC_GONE:
		/* The topic vanished: a new session prepares (re-creates) it. */
		gg_grid_session_drop(pub->session, GG_DROP_SELF, "topic gone");
		break;
	case GG_STEP_RETRY:
		break;
	}
	gg_log_warnx("%s: record seq %" PRId64 " not accepted yet, will retry: %s",
		     pub->name, seq, why);
	atomic_fetch_add(&pub->pipeline->counters.publish_retries, 1);
}

static void publisher_flush_acks(struct gg_publisher *pub)
{
	size_t n;
	const int64_t *acked = gg_grid_window_acks(&pub->window, &n);
	struct gg_error err;
	int ok;

	if (n == 0)
		return;
	ok = gg_spool_mark_done(pub->spool, acked, n, &err) == 0;
	if (!ok) {
		/* Left pending, they are published again with the same ids: harmless. */
		gg_log_warnx("%s: spool: %s", pub->name, err.msg);
	} else {
		atomic_fetch_add(&pub->pipeline->counters.published, n);
		gg_pipeline_notify_room(pub->pipeline);
	}
	gg_grid_window_acks_flushed(&pub->window, ok);
}

static int publisher_send(struct gg_publisher *pub, const struct gg_spool_row *row)
{
	char *head = NULL;
	static const char tail[] = "</item></publish></pubsub></iq>";
	int n;

	/* Sent as raw text: libstrophe's stanza parser drops the namespace of prefixed
	 * attributes (xml:lang), so the payload must never pass through it. */
	n = asprintf(&head,
		     "<iq type='set' id='" PUBLISH_ID_PREFIX "%" PRId64 "' to='%s'>"
		     "<pubsub xmlns='" GG_NS_PUBSUB "'><publish node='%s'><item id='%s'>",
		     row->seq, pub->service_attr, pub->topic_attr, row->id);
	if (n < 0)
		return -ENOMEM;
	gg_grid_send_raw(pub->session, head, (size_t)n);
	gg_grid_send_raw(pub->session, row->payload, row->payload_len);
	gg_grid_send_raw(pub->session, tail, sizeof(tail) - 1);
	free(head);
	gg_grid_window_sent(&pub->window, row->seq, gg_now_ms());
	return 0;
}

/* Sends a row, or sets it aside when it is over max_document_size: a spool written before
 * documents were bounded may hold one, and the controller would close the stream on it. */
static int publisher_offer(struct gg_publisher *pub, const struct gg_spool_row *row)
{
	char why[160];

	if (row->payload_len > pub->max_payload) {
		snprintf(why, sizeof(why), "document is %zu bytes, over max_document_size %zu: "
			 "the controller would close the stream on it", row->payload_len,
			 pub->max_payload);
		publisher_set_aside(pub, row->seq, why);
		gg_grid_window_skip(&pub->window, row->seq);
		return 0;
	}
	return publisher_send(pub, row);
}

/* Tops the window up from the spool. */
static void publisher_fill(struct gg_publisher *pub)
{
	uint64_t generation = atomic_load(&pub->pipeline->spool_generation);
	struct gg_spool_row rows[256];
	struct gg_error err;
	size_t room;
	int n;

	if (pub->caught_up && generation == pub->seen_generation)
		return;
	while ((room = gg_grid_window_room(&pub->window, gg_now_ms())) > 0) {
		int want = room < sizeof(rows) / sizeof(rows[0]) ? (int)room
								 : (int)(sizeof(rows) / sizeof(rows[0]));

		n = gg_spool_fetch_pending(pub->spool, pub->window.cursor, want, rows, &err);
		if (n < 0) {
			gg_log_warnx("%s: spool: %s", pub->name, err.msg);
			return;
		}
		for (int i = 0; i < n; i++) {
			if (gg_grid_window_in_flight(&pub->window, rows[i].seq))
				gg_grid_window_skip(&pub->window, rows[i].seq);
			else if (publisher_offer(pub, &rows[i]) != 0)
				break;
		}
		gg_spool_rows_free(rows, n);
		if (n < want) {
			/* Everything committed before this generation was read. */
			pub->caught_up = 1;
			pub->seen_generation = generation;
			return;
		}
	}
	pub->caught_up = 0;
}

/* The session ended with items in flight: charge the drop to them (a controller closes the
 * stream on a stanza it cannot take instead of answering it). Whatever was in flight is then
 * unknown and is resent from the spool, one at a time while the culprit is looked for. */
static void publisher_lost(struct gg_publisher *pub)
{
	const char *why;
	enum gg_grid_drop_kind kind = gg_grid_session_last_drop(pub->session, &why);
	char reason[320];
	int64_t culprit;
	size_t lost;

	switch (gg_grid_window_lost(&pub->window, kind, &lost, &culprit)) {
	case GG_ISOLATE_RESEND:
		break;
	case GG_ISOLATE_PROBE:
		gg_log_warnx("%s: the controller ended the session twice with the same items "
			     "in flight (%s): sending one at a time to find the one it refuses",
			     pub->name, why);
		break;
	case GG_ISOLATE_REFUSE:
		/* Say who ended the session: the controller, or we after it never answered. */
		snprintf(reason, sizeof(reason), kind == GG_DROP_TIMEOUT
				 ? "the controller never answered this item, twice alone in flight (%s)"
				 : "the controller closed the stream on this item: %s", why);
		publisher_set_aside(pub, culprit, reason);
		break;
	}
	pub->caught_up = 0;
	atomic_fetch_add(&pub->pipeline->counters.publish_retries, lost);
}

static void publisher_turn(struct gg_publisher *pub)
{
	struct gg_error err;

	if (!gg_grid_session_is_up(pub->session) ||
	    gg_grid_session_epoch(pub->session) != pub->ready_epoch) {
		if (pub->ready) {
			publisher_lost(pub);
			pub->ready = 0;
			atomic_fetch_add(&pub->pipeline->counters.reconnects, 1);
		}
		if (!gg_grid_session_is_up(pub->session))
			return;
	}
	if (!pub->ready) {
		gg_grid_topic_clear(&pub->topic);
		free(pub->service_attr);
		pub->service_attr = NULL;
		if (gg_grid_topic_prepare(pub->session, pub->conf, 1, &pub->topic, &err) != 0) {
			gg_log_warnx("%s: %s", pub->name, err.msg);
			gg_grid_session_drop(pub->session, GG_DROP_SELF, "topic not ready");
			return;
		}
		pub->service_attr = gg_xml_attr_escape(pub->topic.service);
		if (pub->service_attr == NULL)
			return;
		pub->ready = 1;
		pub->ready_epoch = gg_grid_session_epoch(pub->session);
		publisher_rewind(pub);
	}
	if (gg_grid_window_retry_due(&pub->window, gg_now_ms()))
		pub->caught_up = 0;
	publisher_fill(pub);
	if (gg_grid_window_expired(&pub->window, gg_now_ms(), pub->conf->iq_timeout_ms))
		gg_grid_session_drop(pub->session, GG_DROP_TIMEOUT, "publish IQ timed out");
}

/* How long the loop may sleep when nothing arrives: a commit or a stop wakes it through the
 * pipeline's eventfd, answers through the socket. While publishes are in flight it looks again
 * after 2 ms: libstrophe reads 4 KB at a time, and the rest of a TLS record OpenSSL already
 * decrypted does not make the socket readable. Otherwise it sleeps until a retry is due or
 * the next prune. */
static int64_t publisher_sleep_ms(const struct gg_publisher *pub)
{
	int64_t now = gg_now_ms(), until = pub->next_prune_ms;

	if (pub->window.n_inflight > 0)
		return 2;
	if (pub->window.retry_at_ms != 0 && pub->window.retry_at_ms < until)
		until = pub->window.retry_at_ms;
	return until > now ? until - now : 0;
}

static void *publisher_main(void *arg)
{
	struct gg_publisher *pub = arg;
	int64_t keep_done_s = pub->pipeline->cfg->spool.keep_done_ms / 1000;
	struct gg_error err;

	while (!atomic_load(&pub->stop)) {
		gg_grid_session_wait(pub->session, pub->wake_fd, publisher_sleep_ms(pub));
		publisher_flush_acks(pub);
		publisher_turn(pub);
		if (gg_now_ms() >= pub->next_prune_ms) {
			if (gg_spool_prune_done(pub->spool, keep_done_s, &err) != 0)
				gg_log_warnx("%s: spool prune: %s", pub->name, err.msg);
			/* Rows put back behind the cursor (`gridgate spool requeue`) are found
			 * by a scan from the oldest pending row; what is in flight is skipped. */
			publisher_rewind(pub);
			pub->next_prune_ms = gg_now_ms() + 60000;
		}
	}
	/* Collect the answers to what is in flight so a clean stop re-sends nothing. */
	for (int64_t until = gg_now_ms() + 2000;
	     pub->window.n_inflight > 0 && gg_grid_session_is_up(pub->session) &&
	     gg_now_ms() < until;)
		gg_grid_session_pump(pub->session, 20);
	publisher_flush_acks(pub);
	return NULL;
}

static void publisher_free(struct gg_publisher *pub)
{
	if (pub == NULL)
		return;
	gg_grid_session_free(pub->session);
	gg_spool_close(pub->spool);
	gg_pipeline_wake_fd_free(pub->pipeline, pub->wake_fd);
	gg_grid_topic_clear(&pub->topic);
	free(pub->service_attr);
	free(pub->topic_attr);
	gg_grid_window_free(&pub->window);
	free(pub);
}

/* The state, its spool handle and its (not yet connected) session: before privileges go. */
static int out_grid_open(struct gg_input *out, struct gg_error *err)
{
	struct gg_pipeline *p = out->pipeline;
	struct gg_publisher *pub = calloc(1, sizeof(*pub));
	const struct gg_xmpp_conf *conf = out->conf;
	struct gg_grid_identity who = {
		.jid = conf->jid,
		.password = conf->password,
		.client_cert = conf->client_cert,
		.client_key = conf->client_key,
	};
	int r;

	if (pub == NULL)
		return gg_error_set(err, -ENOMEM, "out of memory");
	pub->name = out->name;
	pub->pipeline = p;
	pub->wake_fd = -1;
	pub->conf = conf;
	pub->max_payload = (size_t)p->cfg->global.max_document_size;
	pub->topic_attr = gg_xml_attr_escape(conf->topic);
	if (gg_grid_window_init(&pub->window, (size_t)conf->window, conf->reconnect_min_ms,
				conf->reconnect_max_ms) != 0 ||
	    pub->topic_attr == NULL) {
		r = gg_error_set(err, -ENOMEM, "out of memory");
		goto fail;
	}
	if ((r = gg_pipeline_wake_fd_new(p, &pub->wake_fd, err)) != 0 ||
	    (r = gg_pipeline_open_spool_for(p, out->name, NULL, 0, &pub->spool, err)) != 0 ||
	    (r = gg_grid_session_new(conf, &who, PUBLISH_ID_PREFIX, publisher_on_iq, pub,
				     &pub->session, err)) != 0)
		goto fail;
	out->state = pub;
	return 0;
fail:
	publisher_free(pub);
	return r;
}

static int out_grid_start(struct gg_input *out, struct gg_error *err)
{
	struct gg_publisher *pub = out->state;
	int r = pthread_create(&pub->thread, NULL, publisher_main, pub);

	if (r != 0)
		return gg_error_set(err, -r, "pthread_create: %s", strerror(r));
	return 0;
}

static void out_grid_stop(struct gg_input *out)
{
	struct gg_publisher *pub = out->state;

	uint64_t one = 1;

	atomic_store(&pub->stop, 1);
	if (write(pub->wake_fd, &one, sizeof(one)) < 0)
		gg_log_warn("%s: wake to stop", pub->name);
	pthread_join(pub->thread, NULL);
}

static void out_grid_release(struct gg_input *out)
{
	publisher_free(out->state);
	out->state = NULL;
}

/* Its options are the [xmpp] section's table (engine/config.c), which stays the alias of the
 * output named "grid"; the config checks them the same way for every instance. */
const struct gg_adapter gg_out_grid = {
	.name = "out_grid",
	.kind = GG_PLUGIN_OUTPUT,
	.desc = "XMPP-Grid publisher: spool rows -> pubsub items on the topic (RFC 8600, XEP-0060)",
	.options = gg_xmpp_options,
	.conf_size = sizeof(struct gg_xmpp_conf),
	.open = out_grid_open,
	.start = out_grid_start,
	.stop = out_grid_stop,
	.free = out_grid_release,
};
