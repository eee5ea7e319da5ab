/* grid_publisher.c: the publisher thread: reads pending spool rows, publishes each as a pubsub
 * item with its spool id, keeps a window of IQs in flight, and marks rows done on IQ results.
 * An item the controller answers by closing the stream is found (grid_isolate.c) and set
 * aside, so it cannot hold back the items behind it. */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grid.h"
#include "log.h"
#include "pipeline.h"

#define PUBLISH_ID_PREFIX "gg-p-"

struct inflight {
	int64_t seq;
	int64_t sent_ms;
};

struct gg_publisher {
	struct gg_pipeline *pipeline;
	const struct gg_xmpp_conf *conf;
	struct gg_spool *spool;
	struct gg_grid_session *session;
	struct gg_grid_topic topic;
	char *service_attr, *topic_attr; /* escaped once for the raw stanza text */
	pthread_t thread;
	atomic_int stop;
	int ready;
	uint64_t ready_epoch;
	struct inflight *inflight;
	size_t n_inflight;
	int64_t cursor;            /* highest seq sent in this session */
	uint64_t seen_generation;  /* spool generation when the cursor last caught up */
	int caught_up;
	int64_t *acked;            /* seqs acknowledged, not yet marked done */
	size_t n_acked;
	struct gg_grid_isolate iso;
	size_t max_payload;        /* max_document_size: a row over it would kill the stream */
	int64_t retry_at_ms;       /* a retryable refusal: resend from the start then */
	int64_t retry_backoff_ms;
	int64_t next_prune_ms;
};

static ssize_t inflight_find(const struct gg_publisher *pub, int64_t seq)
{
	for (size_t i = 0; i < pub->n_inflight; i++)
		if (pub->inflight[i].seq == seq)
			return (ssize_t)i;
	return -1;
}

static void inflight_remove(struct gg_publisher *pub, size_t i)
{
	pub->inflight[i] = pub->inflight[--pub->n_inflight];
}

/* IQ answers for publishes: results are acknowledgements; errors are retried or refused. */
static void publisher_on_iq(void *arg, const char *id, xmpp_stanza_t *stanza)
{
	struct gg_publisher *pub = arg;
	struct gg_counters *c = &pub->pipeline->counters;
	const char *type = xmpp_stanza_get_type(stanza);
	int64_t seq = strtoll(id + strlen(PUBLISH_ID_PREFIX), NULL, 10);
	ssize_t i = inflight_find(pub, seq);
	char why[512];
	enum gg_grid_verdict verdict;

	if (i < 0)
		return; /* an answer from before a reconnect: its row is resent or done already */
	inflight_remove(pub, (size_t)i);
	gg_grid_isolate_answered(&pub->iso, seq);
	if (strcmp(type, "result") == 0) {
		pub->acked[pub->n_acked++] = seq;
		return;
	}
	verdict = gg_grid_classify_error(stanza, why, sizeof(why));
	if (verdict == GG_GRID_REFUSED) {
		struct gg_error err;

		gg_log_warnx("publisher: record seq %" PRId64 " refused by the controller: %s", seq,
			     why);
		if (gg_spool_mark_failed(pub->spool, seq, why, &err) != 0)
			gg_log_warnx("publisher: spool: %s", err.msg);
		atomic_fetch_add(&c->publish_refused, 1);
		return;
	}
	gg_log_warnx("publisher: record seq %" PRId64 " not accepted yet, will retry: %s", seq, why);
	atomic_fetch_add(&c->publish_retries, 1);
	if (verdict == GG_GRID_TOPIC_GONE) {
		/* The topic vanished: a new session prepares (re-creates) it. */
		gg_grid_session_drop(pub->session, GG_DROP_SELF, "topic gone");
		return;
	}
	if (pub->retry_at_ms == 0) {
		pub->retry_at_ms = gg_now_ms() + pub->retry_backoff_ms;
		pub->retry_backoff_ms = pub->retry_backoff_ms * 2 > pub->conf->reconnect_max_ms
						? pub->conf->reconnect_max_ms
						: pub->retry_backoff_ms * 2;
	}
}

static void publisher_flush_acks(struct gg_publisher *pub)
{
	struct gg_error err;

	if (pub->n_acked == 0)
		return;
	if (gg_spool_mark_done(pub->spool, pub->acked, pub->n_acked, &err) != 0) {
		/* Left pending, they are published again with the same ids: harmless. */
		gg_log_warnx("publisher: spool: %s", err.msg);
	} else {
		atomic_fetch_add(&pub->pipeline->counters.published, pub->n_acked);
		pub->retry_backoff_ms = pub->conf->reconnect_min_ms;
		gg_pipeline_notify_room(pub->pipeline);
	}
	pub->n_acked = 0;
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
	pub->inflight[pub->n_inflight].seq = row->seq;
	pub->inflight[pub->n_inflight].sent_ms = gg_now_ms();
	pub->n_inflight++;
	return 0;
}

/* Takes a row out of the queue for good, with the reason `gridgate spool` shows. */
static void publisher_set_aside(struct gg_publisher *pub, int64_t seq, const char *why)
{
	struct gg_error err;

	gg_log_warnx("publisher: record seq %" PRId64 " set aside: %s", seq, why);
	if (gg_spool_mark_failed(pub->spool, seq, why, &err) != 0)
		gg_log_warnx("publisher: spool: %s", err.msg);
	atomic_fetch_add(&pub->pipeline->counters.publish_refused, 1);
	gg_pipeline_notify_room(pub->pipeline);
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
		return 0;
	}
	return publisher_send(pub, row);
}

/* Tops the window up from the spool. */
static void publisher_fill(struct gg_publisher *pub)
{
	size_t window = gg_grid_isolate_window(&pub->iso, (size_t)pub->conf->window);
	uint64_t generation = atomic_load(&pub->pipeline->spool_generation);
	struct gg_spool_row rows[256];
	struct gg_error err;
	int n;

	if (pub->caught_up && generation == pub->seen_generation)
		return;
	while (pub->n_inflight < window) {
		int want = (int)(window - pub->n_inflight);

		if (want > (int)(sizeof(rows) / sizeof(rows[0])))
			want = (int)(sizeof(rows) / sizeof(rows[0]));
		n = gg_spool_fetch_pending(pub->spool, pub->cursor, want, rows, &err);
		if (n < 0) {
			gg_log_warnx("publisher: spool: %s", err.msg);
			return;
		}
		for (int i = 0; i < n; i++) {
			if (inflight_find(pub, rows[i].seq) < 0 &&
			    publisher_offer(pub, &rows[i]) != 0)
				break;
			pub->cursor = rows[i].seq;
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

/* Starts over from the oldest pending row (after a reconnect or a retryable refusal). */
static void publisher_rewind(struct gg_publisher *pub)
{
	pub->cursor = 0;
	pub->caught_up = 0;
}

static void publisher_check_timeouts(struct gg_publisher *pub)
{
	int64_t now = gg_now_ms();

	for (size_t i = 0; i < pub->n_inflight; i++) {
		if (now - pub->inflight[i].sent_ms > pub->conf->iq_timeout_ms) {
			gg_grid_session_drop(pub->session, GG_DROP_TRANSPORT,
					     "publish IQ timed out");
			return;
		}
	}
}

/* The session ended with items in flight: charge the drop to them (a controller closes the
 * stream on a stanza it cannot take instead of answering it). Whatever was in flight is then
 * unknown and is resent from the spool, one at a time while the culprit is looked for. */
static void publisher_charge_drop(struct gg_publisher *pub)
{
	int64_t seqs[4096], culprit;
	const char *why;
	enum gg_grid_drop_kind kind = gg_grid_session_last_drop(pub->session, &why);
	size_t n = pub->n_inflight < 4096 ? pub->n_inflight : 4096;
	char reason[320];

	for (size_t i = 0; i < n; i++)
		seqs[i] = pub->inflight[i].seq;
	atomic_fetch_add(&pub->pipeline->counters.publish_retries, n);
	switch (gg_grid_isolate_drop(&pub->iso, kind, seqs, n, &culprit)) {
	case GG_ISOLATE_RESEND:
		break;
	case GG_ISOLATE_PROBE:
		gg_log_warnx("publisher: the controller ended the session twice with the same items "
			     "in flight (%s): sending one at a time to find the one it refuses", why);
		break;
	case GG_ISOLATE_REFUSE:
		snprintf(reason, sizeof(reason), "the controller closed the stream on this item: %s",
			 why);
		publisher_set_aside(pub, culprit, reason);
		break;
	}
}

static void publisher_turn(struct gg_publisher *pub)
{
	struct gg_error err;

	if (!gg_grid_session_is_up(pub->session) ||
	    gg_grid_session_epoch(pub->session) != pub->ready_epoch) {
		if (pub->ready) {
			publisher_charge_drop(pub);
			pub->ready = 0;
			pub->n_inflight = 0;
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
			gg_log_warnx("publisher: %s", err.msg);
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
	if (pub->retry_at_ms != 0 && gg_now_ms() >= pub->retry_at_ms) {
		pub->retry_at_ms = 0;
		publisher_rewind(pub);
	}
	if (pub->retry_at_ms == 0)
		publisher_fill(pub);
	publisher_check_timeouts(pub);
}

static void *publisher_main(void *arg)
{
	struct gg_publisher *pub = arg;
	int64_t keep_done_s = pub->pipeline->cfg->spool.keep_done_ms / 1000;
	struct gg_error err;

	while (!atomic_load(&pub->stop)) {
		/* libstrophe's select loop cannot watch our descriptors, so a short timeout bounds
		 * the latency between a spool commit and its publish. */
		gg_grid_session_pump(pub->session, pub->n_inflight > 0 ? 2 : 10);
		publisher_flush_acks(pub);
		publisher_turn(pub);
		if (gg_now_ms() >= pub->next_prune_ms) {
			if (gg_spool_prune_done(pub->spool, keep_done_s, &err) != 0)
				gg_log_warnx("publisher: spool prune: %s", err.msg);
			pub->next_prune_ms = gg_now_ms() + 60000;
		}
	}
	/* Collect the answers to what is in flight so a clean stop re-sends nothing. */
	for (int64_t until = gg_now_ms() + 2000;
	     pub->n_inflight > 0 && gg_grid_session_is_up(pub->session) && gg_now_ms() < until;)
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
	gg_grid_topic_clear(&pub->topic);
	free(pub->service_attr);
	free(pub->topic_attr);
	free(pub->inflight);
	free(pub->acked);
	free(pub);
}

int gg_publisher_start(struct gg_pipeline *p, struct gg_publisher **out, struct gg_error *err)
{
	struct gg_publisher *pub = calloc(1, sizeof(*pub));
	const struct gg_xmpp_conf *conf = &p->cfg->xmpp;
	struct gg_grid_identity who = {
		.jid = conf->jid,
		.password = conf->password,
		.client_cert = conf->client_cert,
		.client_key = conf->client_key,
	};
	int r;

	if (pub == NULL)
		return gg_error_set(err, -ENOMEM, "out of memory");
	pub->pipeline = p;
	pub->conf = conf;
	pub->retry_backoff_ms = conf->reconnect_min_ms;
	pub->max_payload = (size_t)p->cfg->global.max_document_size;
	pub->inflight = calloc((size_t)conf->window, sizeof(*pub->inflight));
	/* Acks arrive only for what is in flight: the window bounds them. */
	pub->acked = calloc((size_t)conf->window, sizeof(*pub->acked));
	pub->topic_attr = gg_xml_attr_escape(conf->topic);
	if (pub->inflight == NULL || pub->acked == NULL || pub->topic_attr == NULL) {
		r = gg_error_set(err, -ENOMEM, "out of memory");
		goto fail;
	}
	if ((r = gg_pipeline_open_spool(p, &pub->spool, err)) != 0 ||
	    (r = gg_grid_session_new(conf, &who, PUBLISH_ID_PREFIX, publisher_on_iq, pub,
				     &pub->session, err)) != 0)
		goto fail;
	if ((r = pthread_create(&pub->thread, NULL, publisher_main, pub)) != 0) {
		r = gg_error_set(err, -r, "pthread_create: %s", strerror(r));
		goto fail;
	}
	*out = pub;
	return 0;
fail:
	publisher_free(pub);
	return r;
}

void gg_publisher_stop(struct gg_publisher *pub)
{
	if (pub == NULL)
		return;
	atomic_store(&pub->stop, 1);
	pthread_join(pub->thread, NULL);
	publisher_free(pub);
}
