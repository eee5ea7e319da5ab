/* export_loop.c: the exporter's thread: one libcurl multi handle, `concurrency` easy handles
 * reused for its whole life (keep-alive; HTTP/2 multiplexing where the endpoint offers it),
 * fed from the output's pending deliveries in the spool. It sleeps in curl_multi_poll on the
 * transfers' sockets and its wake eventfd, until a commit, an answer, a retry time or a
 * rescan. Each answer is acted on at once: 2xx marks the delivery done (in one transaction
 * per loop turn), a retryable one sets its next attempt time in the spool and holds the
 * endpoint until then, a refusal makes a dead letter. */
#include "out_export/export.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "http/http_auth.h"
#include "iodef/iodef_to_json.h"
#include "out_export/export_body.h"
#include "out_export/export_retry.h"

/* Deliveries put back behind the cursor by another process (`gridgate spool retry`), or left
 * waiting by an earlier run, are found by a scan from the oldest pending row this often. */
#define EXPORT_RESCAN_MS 5000
#define EXPORT_PRUNE_MS 60000
/* At a stop, answers to what is in flight are awaited this long, so a clean stop sends
 * little again; what is still unanswered stays pending and goes again, same key, later. */
#define EXPORT_STOP_GRACE_MS 2000
/* Rows read at once: filtered rows take no slot, so a fetch may pass over many. */
#define EXPORT_FETCH_MAX 256
/* Answered deliveries are marked done in the spool together: at this many, after this long,
 * or when nothing is left in flight. A transaction per loop turn (one to eight answers) was a
 * fifth of the exporter's time; a crash before the mark sends those few again, with their
 * Idempotency-Keys (at least once). */
#define EXPORT_DONE_BATCH 256
#define EXPORT_DONE_DELAY_MS 100

/* The thread's own state. */
struct loop {
	struct exporter *x;
	int64_t cursor; /* seq of the last row read */
	int caught_up;
	uint64_t seen_generation;
	int64_t rescan_ms, prune_ms;
	int64_t retry_wake_ms; /* the earliest retry this run set (0: none): rewind then */
	int64_t hold_until_ms; /* the endpoint asked to wait: no new request before */
	size_t n_busy;
	size_t n_done;
	int64_t done_since_ms; /* when the oldest unmarked done came */
	int failing; /* the last answer asked for a retry: logged once, not per request */
	uint64_t rnd;
};

/* Wall-clock milliseconds: retry times are the spool's next_at, in UTC seconds. */
static int64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* xorshift64: jitter needs spread, not secrecy. */
static uint64_t next_rnd(struct loop *L)
{
	L->rnd ^= L->rnd << 13;
	L->rnd ^= L->rnd >> 7;
	L->rnd ^= L->rnd << 17;
	return L->rnd;
}

static size_t on_header(char *b, size_t size, size_t n, void *arg)
{
	struct export_slot *s = arg;
	size_t len = size * n, v;

	if (len > 12 && strncasecmp(b, "Retry-After:", 12) == 0) {
		b += 12;
		len -= 12;
		while (len > 0 && (*b == ' ' || *b == '\t')) {
			b++;
			len--;
		}
		while (len > 0 && (b[len - 1] == '\r' || b[len - 1] == '\n' || b[len - 1] == ' '))
			len--;
		v = len < sizeof(s->retry_after) - 1 ? len : sizeof(s->retry_after) - 1;
		memcpy(s->retry_after, b, v);
		s->retry_after[v] = '\0';
	}
	return size * n;
}

/* The answer's body: kept (up to the slot's buffer) for rid-report, whose answer is a RID
 * message; for the other formats it says nothing the status does not. */
static size_t on_body(char *b, size_t size, size_t n, void *arg)
{
	struct export_slot *s = arg;
	size_t len = size * n, room = sizeof(s->answer) - s->answer_len;

	memcpy(s->answer + s->answer_len, b, len < room ? len : room);
	s->answer_len += len < room ? len : room;
	if (len >= room)
		s->answer_cut = 1;
	return len;
}

static int slot_init(struct exporter *x, struct export_slot *s, struct gg_error *err)
{
	const struct export_conf *c = x->conf;
	CURLcode rc = CURLE_OK;
	CURL *e;

	if ((s->easy = e = curl_easy_init()) == NULL)
		return gg_error_set(err, -ENOMEM, "curl_easy_init failed");
#define SET(opt, val)                                     \
	do {                                              \
		if (rc == CURLE_OK)                       \
			rc = curl_easy_setopt(e, opt, val); \
	} while (0)
	SET(CURLOPT_URL, c->url);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_PRIVATE, (void *)s);
	SET(CURLOPT_ERRORBUFFER, s->errbuf);
	/* No redirect, no other protocol: records go to the configured endpoint or nowhere. */
	SET(CURLOPT_PROTOCOLS_STR, c->allow_http ? "http,https" : "https");
	SET(CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
	/* Wait for the first connection to say whether it multiplexes (HTTP/2) rather than open
	 * one connection per request. */
	SET(CURLOPT_PIPEWAIT, 1L);
	SET(CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	SET(CURLOPT_TIMEOUT_MS, (long)c->timeout_ms);
	SET(CURLOPT_TCP_KEEPALIVE, 1L);
	SET(CURLOPT_HEADERFUNCTION, on_header);
	SET(CURLOPT_HEADERDATA, (void *)s);
	SET(CURLOPT_WRITEFUNCTION, on_body);
	SET(CURLOPT_WRITEDATA, (void *)s);
	SET(CURLOPT_POST, 1L);
	if (strcmp(c->method, "POST") != 0)
		SET(CURLOPT_CUSTOMREQUEST, c->method);
	if (c->ca_file != NULL)
		SET(CURLOPT_CAINFO, c->ca_file);
	if (c->client_cert != NULL) {
		SET(CURLOPT_SSLCERT, c->client_cert);
		SET(CURLOPT_SSLKEY, c->client_key);
	}
	if (x->pin != NULL)
		SET(CURLOPT_PINNEDPUBLICKEY, x->pin);
	if (x->partner != NULL) {
		SET(CURLOPT_SSL_CTX_FUNCTION, export_partner_ssl_ctx);
		SET(CURLOPT_SSL_CTX_DATA, (void *)x->partner);
	}
#undef SET
	if (rc != CURLE_OK)
		return gg_error_set(err, -EINVAL, "libcurl: %s", curl_easy_strerror(rc));
	return 0;
}

int export_loop_init(struct exporter *x, struct gg_error *err)
{
	int r;

	x->n_slots = (size_t)x->conf->concurrency;
	x->slots = calloc(x->n_slots, sizeof(*x->slots));
	/* Marks wait below EXPORT_DONE_BATCH; a turn adds at most a slot's each and a fetch. */
	x->done = calloc(EXPORT_DONE_BATCH + x->n_slots + EXPORT_FETCH_MAX, sizeof(*x->done));
	if (x->slots == NULL || x->done == NULL || (x->multi = curl_multi_init()) == NULL)
		return gg_error_set(err, -ENOMEM, "out of memory");
	curl_multi_setopt(x->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
	/* libcurl sizes its connection cache by the handles in the multi handle, and an idle
	 * slot's handle is removed: between bursts every connection was closed and the next
	 * request paid a TLS handshake. Keep one per slot. */
	curl_multi_setopt(x->multi, CURLMOPT_MAXCONNECTS, (long)x->n_slots);
	for (size_t i = 0; i < x->n_slots; i++)
		if ((r = slot_init(x, &x->slots[i], err)) != 0)
			return r;
	return 0;
}

static void slot_clear(struct export_slot *s)
{
	free(s->body);
	s->body = NULL;
	curl_slist_free_all(s->headers);
	s->headers = NULL;
	s->busy = 0;
}

void export_loop_free(struct exporter *x)
{
	for (size_t i = 0; x->slots != NULL && i < x->n_slots; i++) {
		struct export_slot *s = &x->slots[i];

		if (s->busy)
			curl_multi_remove_handle(x->multi, s->easy);
		slot_clear(s);
		curl_easy_cleanup(s->easy);
	}
	free(x->slots);
	x->slots = NULL;
	free(x->done);
	x->done = NULL;
	curl_multi_cleanup(x->multi);
	x->multi = NULL;
}

static int add_header(struct curl_slist **h, const char *line)
{
	struct curl_slist *t = curl_slist_append(*h, line);

	if (t == NULL)
		return -ENOMEM;
	*h = t;
	return 0;
}

/* Content type, the record id as Idempotency-Key (a structured-field string, as
 * draft-ietf-httpapi-idempotency-key-header writes it) and webhook-id, and the credentials:
 * a Standard Webhooks signature made now (the receiver checks the timestamp's age), or the
 * bearer token. */
static int slot_headers(const struct exporter *x, struct export_slot *s)
{
	char line[128], ts[24], sig[GG_HTTP_SIG_STANDARD_SIZE];
	int r;

	/* RFC 6546 carries RID messages as text/xml, which the RID input checks; RFC 8727
	 * registers no media type of its own (no IANA actions): IODEF-JSON is JSON. */
	r = add_header(&s->headers, x->format == EXPORT_IODEF ? "Content-Type: application/xml"
				    : x->format == EXPORT_RID_REPORT
					    ? "Content-Type: text/xml; charset=utf-8"
					    : "Content-Type: application/json");
	/* libcurl would wait for a 100 Continue before a large body: a round trip lost. */
	if (r == 0)
		r = add_header(&s->headers, "Expect:");
	snprintf(line, sizeof(line), "Idempotency-Key: \"%s\"", s->id);
	if (r == 0)
		r = add_header(&s->headers, line);
	snprintf(line, sizeof(line), "webhook-id: %s", s->id);
	if (r == 0)
		r = add_header(&s->headers, line);
	if (r == 0 && x->secret != NULL) {
		snprintf(ts, sizeof(ts), "%lld", (long long)time(NULL));
		r = gg_http_sign_standard(x->secret, x->secret_len, s->id, ts, s->body, s->body_len,
					  sig);
		snprintf(line, sizeof(line), "webhook-timestamp: %s", ts);
		if (r == 0)
			r = add_header(&s->headers, line);
		snprintf(line, sizeof(line), "webhook-signature: %s", sig);
		if (r == 0)
			r = add_header(&s->headers, line);
	}
	if (r == 0 && x->bearer != NULL)
		r = add_header(&s->headers, x->bearer);
	return r;
}

static struct export_slot *free_slot(struct exporter *x)
{
	for (size_t i = 0; i < x->n_slots; i++)
		if (!x->slots[i].busy)
			return &x->slots[i];
	return NULL;
}

static int in_flight(const struct exporter *x, int64_t seq)
{
	for (size_t i = 0; i < x->n_slots; i++)
		if (x->slots[i].busy && x->slots[i].seq == seq)
			return 1;
	return 0;
}

/* Starts the request for row, taking its payload. -EINVAL: it can never be sent (why says
 * so); other <0: not now. */
static int slot_start(struct exporter *x, struct export_slot *s, struct gg_spool_row *row,
		      char *why, size_t why_len)
{
	int r;

	s->seq = row->seq;
	snprintf(s->id, sizeof(s->id), "%s", row->id);
	s->attempts = row->attempts;
	s->created = row->created;
	s->retry_after[0] = '\0';
	s->errbuf[0] = '\0';
	s->answer_len = 0;
	s->answer_cut = 0;
	if (x->format == EXPORT_RID_REPORT) {
		r = export_rid_body(x->rid, row->payload, row->payload_len, &s->body, &s->body_len,
				    why, why_len);
		if (r != 0)
			return r;
	} else if (x->format == EXPORT_ENVELOPE) {
		r = export_envelope(row->id, row->source, row->created, row->meta, row->payload,
				    row->payload_len, &s->body, &s->body_len);
		if (r == -EINVAL)
			snprintf(why, why_len, "the payload is not UTF-8: no JSON string holds it");
		if (r != 0)
			return r;
	} else if (x->format == EXPORT_IODEF_JSON) {
		struct gg_error err = { 0 };

		/* The topic reader's limits: what a controller relayed is parsed as it was. */
		r = gg_iodef_to_json_text(row->payload, row->payload_len,
					  &(struct gg_xml_limits){ .max_bytes = row->payload_len + 1,
								    .max_depth = 256 },
					  &s->body, &s->body_len, &err);
		if (r == -EINVAL || r == -EFBIG) {
			snprintf(why, why_len, "no IODEF-JSON (RFC 8727) of it: %.200s", err.msg);
			return -EINVAL;
		}
		if (r != 0)
			return r;
	} else {
		s->body = row->payload;
		s->body_len = row->payload_len;
		row->payload = NULL;
	}
	if ((r = slot_headers(x, s)) != 0 ||
	    curl_easy_setopt(s->easy, CURLOPT_POSTFIELDS, s->body) != CURLE_OK ||
	    curl_easy_setopt(s->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)s->body_len) !=
		    CURLE_OK ||
	    curl_easy_setopt(s->easy, CURLOPT_HTTPHEADER, s->headers) != CURLE_OK ||
	    curl_multi_add_handle(x->multi, s->easy) != CURLM_OK) {
		slot_clear(s);
		return r == -EINVAL ? -EINVAL : -ENOMEM;
	}
	s->busy = 1;
	return 0;
}

static void dead_letter(struct loop *L, int64_t seq, const char *why)
{
	struct exporter *x = L->x;
	struct gg_error err;

	gg_log_warnx("%s: record seq %" PRId64 " is a dead letter: %s", x->name, seq, why);
	if (gg_spool_mark_failed(x->spool, seq, why, &err) != 0)
		gg_log_warnx("%s: spool: %s", x->name, err.msg);
	atomic_fetch_add(&x->counters.dead, 1);
	gg_pipeline_notify_room(x->pipeline);
}

static void note_done(struct loop *L, int64_t seq)
{
	if (L->n_done == 0)
		L->done_since_ms = wall_ms();
	L->x->done[L->n_done++] = seq;
}

/* Marks the answered deliveries done: now when force, else when the batch or the delay is
 * reached or nothing is left in flight (the spool then says what happened). */
static void flush_done(struct loop *L, int force)
{
	struct exporter *x = L->x;
	struct gg_error err;

	if (L->n_done == 0)
		return;
	if (!force && L->n_done < EXPORT_DONE_BATCH && L->n_busy > 0 &&
	    wall_ms() - L->done_since_ms < EXPORT_DONE_DELAY_MS)
		return;
	/* Left pending on failure: sent again with the same key, which the endpoint knows. */
	if (gg_spool_mark_done(x->spool, x->done, L->n_done, &err) != 0)
		gg_log_warnx("%s: spool: %s", x->name, err.msg);
	else
		gg_pipeline_notify_room(x->pipeline);
	L->n_done = 0;
}

/* A record that cannot be sent now: its next attempt time, or a dead letter once the
 * attempts or the age are spent. The endpoint is held until that time: a Retry-After speaks
 * for the endpoint, not for one request, and a dead endpoint gets one probe per backoff
 * rather than the whole queue. */
static void retry_later(struct loop *L, const struct export_slot *s, const char *why,
			const char *retry_after)
{
	struct exporter *x = L->x;
	const struct export_conf *c = x->conf;
	int attempts = s->attempts + 1;
	int64_t now = wall_ms(), delay, next_s;
	char reason[400];
	struct gg_error err;

	delay = export_retry_delay_ms(retry_after, now / 1000, attempts, c->retry_min_ms,
				      c->retry_max_ms, next_rnd(L));
	if (c->max_attempts > 0 && attempts >= c->max_attempts) {
		snprintf(reason, sizeof(reason), "gave up after %d attempts; last: %s", attempts,
			 why);
		dead_letter(L, s->seq, reason);
		return;
	}
	if (c->max_age_ms > 0 && now + delay > s->created * 1000 + c->max_age_ms) {
		snprintf(reason, sizeof(reason), "not delivered within max_age; last: %s", why);
		dead_letter(L, s->seq, reason);
		return;
	}
	next_s = (now + delay + 999) / 1000;
	if (gg_spool_retry_at(x->spool, s->seq, next_s, why, &err) != 0)
		gg_log_warnx("%s: spool: %s", x->name, err.msg);
	atomic_fetch_add(&x->counters.retried, 1);
	if (L->retry_wake_ms == 0 || next_s * 1000 < L->retry_wake_ms)
		L->retry_wake_ms = next_s * 1000;
	if (next_s * 1000 > L->hold_until_ms)
		L->hold_until_ms = next_s * 1000;
	if (!L->failing)
		gg_log_warnx("%s: %s: %s; retrying (in %" PRId64 " ms, then with backoff)", x->name,
			     c->url, why, next_s * 1000 - now);
	L->failing = 1;
}

static void on_answer(struct loop *L, struct export_slot *s, CURLcode rc)
{
	struct exporter *x = L->x;
	long status = 0;
	char why[CURL_ERROR_SIZE + 64];

	enum export_verdict v;

	why[0] = '\0';
	if (rc == CURLE_OK)
		curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, &status);
	if (rc != CURLE_OK)
		v = EXPORT_RETRY;
	else if (x->rid != NULL)
		/* A cut body is no RID message: the status decides. */
		v = export_rid_answer(x->rid, status, s->answer, s->answer_cut ? 0 : s->answer_len,
				      why, sizeof(why));
	else
		v = export_classify(status);
	switch (v) {
	case EXPORT_DONE:
		note_done(L, s->seq);
		atomic_fetch_add(&x->counters.delivered, 1);
		if (L->failing)
			gg_log_info("%s: %s answers again", x->name, x->conf->url);
		L->failing = 0;
		break;
	case EXPORT_DEAD:
		if (x->rid != NULL) {
			char reason[sizeof(why) + 512];

			snprintf(reason, sizeof(reason), "%s; from %s", why, x->conf->url);
			dead_letter(L, s->seq, reason);
			break;
		}
		snprintf(why, sizeof(why), "HTTP %ld from %s: refused for good", status,
			 x->conf->url);
		dead_letter(L, s->seq, why);
		break;
	case EXPORT_RETRY:
		if (rc == CURLE_PEER_FAILED_VERIFICATION && x->partner != NULL &&
		    x->partner->why[0] != '\0')
			snprintf(why, sizeof(why), "%s", x->partner->why);
		else if (rc != CURLE_OK)
			snprintf(why, sizeof(why), "%s", s->errbuf[0] != '\0' ? s->errbuf
									   : curl_easy_strerror(rc));
		else if (why[0] == '\0')
			snprintf(why, sizeof(why), "HTTP %ld", status);
		retry_later(L, s, why, rc == CURLE_OK && s->retry_after[0] != '\0' ? s->retry_after
										  : NULL);
		break;
	}
}

static void collect(struct loop *L)
{
	struct exporter *x = L->x;
	CURLMsg *m;
	int left;

	while ((m = curl_multi_info_read(x->multi, &left)) != NULL) {
		struct export_slot *s = NULL;
		CURLcode rc = m->data.result;
		CURL *e = m->easy_handle;

		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(e, CURLINFO_PRIVATE, (char **)&s);
		/* m is not to be read after the handle leaves the multi handle. */
		curl_multi_remove_handle(x->multi, e);
		on_answer(L, s, rc);
		slot_clear(s);
		L->n_busy--;
	}
	atomic_store(&x->counters.in_flight, L->n_busy);
}

/* One pending row: too old, kept from this endpoint, unreadable, or sent. 0, or <0 when no
 * request could be made now (the row stays pending). */
static int offer(struct loop *L, struct gg_spool_row *row)
{
	struct exporter *x = L->x;
	const struct export_conf *c = x->conf;
	char why[256];
	int r;

	if (c->max_age_ms > 0 && row->created * 1000 + c->max_age_ms < wall_ms()) {
		dead_letter(L, row->seq, "not delivered within max_age");
		return 0;
	}
	if (!export_filter_topic(x->filter, row->meta, why, sizeof(why))) {
		gg_log_debug("%s: record seq %" PRId64 " not for this endpoint: %s", x->name,
			     row->seq, why);
		note_done(L, row->seq);
		atomic_fetch_add(&x->counters.filtered, 1);
		return 0;
	}
	switch (export_filter_check(x->filter, row->payload, row->payload_len, why, sizeof(why))) {
	case EXPORT_FILTERED:
	case EXPORT_RESTRICTED:
		gg_log_debug("%s: record seq %" PRId64 " not for this endpoint: %s", x->name,
			     row->seq, why);
		note_done(L, row->seq);
		atomic_fetch_add(&x->counters.filtered, 1);
		return 0;
	case EXPORT_UNREADABLE:
		dead_letter(L, row->seq, why);
		return 0;
	case EXPORT_PASS:
		break;
	}
	r = slot_start(x, free_slot(x), row, why, sizeof(why));
	if (r == -EINVAL) {
		dead_letter(L, row->seq, why);
		return 0;
	}
	if (r != 0)
		return r;
	L->n_busy++;
	atomic_fetch_add(&x->counters.sent, 1);
	atomic_store(&x->counters.in_flight, L->n_busy);
	return 0;
}

/* Tops the slots up from the spool, in seq order. */
static void fill(struct loop *L)
{
	struct exporter *x = L->x;
	uint64_t generation = atomic_load(&x->pipeline->spool_generation);
	struct gg_spool_row rows[EXPORT_FETCH_MAX];
	struct gg_error err;
	int want, n, i;

	if ((L->caught_up && generation == L->seen_generation) || wall_ms() < L->hold_until_ms)
		return;
	while (L->n_busy < x->n_slots) {
		/* As many rows as there are free slots: rows read beyond them (payloads included)
		 * would be read again at the next turn. */
		want = (int)(x->n_slots - L->n_busy);
		if (want > EXPORT_FETCH_MAX)
			want = EXPORT_FETCH_MAX;
		n = gg_spool_fetch_pending(x->spool, L->cursor, want, rows, &err);
		if (n < 0) {
			gg_log_warnx("%s: spool: %s", x->name, err.msg);
			L->hold_until_ms = wall_ms() + 1000;
			return;
		}
		for (i = 0; i < n; i++) {
			if (!in_flight(x, rows[i].seq)) {
				if (L->n_busy == x->n_slots)
					break;
				if (offer(L, &rows[i]) != 0) {
					gg_log_warnx("%s: out of memory: waiting a second", x->name);
					L->hold_until_ms = wall_ms() + 1000;
					break;
				}
			}
			L->cursor = rows[i].seq;
		}
		gg_spool_rows_free(rows, n);
		flush_done(L, 0);
		if (i < n)
			break;
		if (n < want) {
			/* Everything committed before this generation was read. */
			L->caught_up = 1;
			L->seen_generation = generation;
			return;
		}
	}
	L->caught_up = 0;
}

/* Reading again from the start: rows marked done only in memory would be sent again. */
static void rewind_cursor(struct loop *L)
{
	flush_done(L, 1);
	L->cursor = 0;
	L->caught_up = 0;
}

/* How long to sleep when nothing happens on the transfers: 0 while there is work and room,
 * else until the hold ends, a retry is due, the next rescan or prune. */
static int sleep_ms(const struct loop *L)
{
	int64_t now = wall_ms();
	int64_t until = L->rescan_ms < L->prune_ms ? L->rescan_ms : L->prune_ms;

	if (L->retry_wake_ms != 0 && L->retry_wake_ms < until)
		until = L->retry_wake_ms;
	if (L->n_done > 0 && L->done_since_ms + EXPORT_DONE_DELAY_MS < until)
		until = L->done_since_ms + EXPORT_DONE_DELAY_MS;
	if (L->hold_until_ms > now) {
		if (L->hold_until_ms < until)
			until = L->hold_until_ms;
	} else if (!L->caught_up && L->n_busy < L->x->n_slots) {
		return 0;
	}
	return until <= now ? 0 : until - now > INT_MAX ? INT_MAX : (int)(until - now);
}

static void timers(struct loop *L)
{
	struct exporter *x = L->x;
	int64_t now = wall_ms();
	struct gg_error err;

	if (L->retry_wake_ms != 0 && now >= L->retry_wake_ms) {
		L->retry_wake_ms = 0;
		rewind_cursor(L);
	}
	if (now >= L->rescan_ms) {
		L->rescan_ms = now + EXPORT_RESCAN_MS;
		rewind_cursor(L);
	}
	if (now >= L->prune_ms) {
		L->prune_ms = now + EXPORT_PRUNE_MS;
		if (gg_spool_prune_done(x->spool, x->pipeline->cfg->spool.keep_done_ms / 1000,
					&err) != 0)
			gg_log_warnx("%s: spool prune: %s", x->name, err.msg);
	}
}

/* Drives the transfers, acts on the answers, then sleeps (stopping: 50 ms at most, and no
 * new work is looked for). */
static void turn(struct loop *L, int stopping)
{
	struct exporter *x = L->x;
	struct curl_waitfd wake = { .fd = x->wake_fd, .events = CURL_WAIT_POLLIN };
	uint64_t v;
	int running;

	curl_multi_perform(x->multi, &running);
	collect(L);
	flush_done(L, 0);
	curl_multi_poll(x->multi, &wake, 1, stopping ? 50 : sleep_ms(L), NULL);
	if (wake.revents != 0 && read(x->wake_fd, &v, sizeof(v)) < 0)
		gg_log_warn("%s: wake", x->name);
}

void *export_loop_main(void *arg)
{
	struct exporter *x = arg;
	struct loop L = { .x = x };

	L.rnd = (uint64_t)wall_ms() ^ (uint64_t)(uintptr_t)x ^ 0x9e3779b97f4a7c15u;
	L.rescan_ms = wall_ms() + EXPORT_RESCAN_MS;
	L.prune_ms = wall_ms() + EXPORT_PRUNE_MS;
	while (!atomic_load(&x->stop)) {
		timers(&L);
		fill(&L);
		turn(&L, 0);
	}
	for (int64_t until = wall_ms() + EXPORT_STOP_GRACE_MS; L.n_busy > 0 && wall_ms() < until;)
		turn(&L, 1);
	flush_done(&L, 1);
	return NULL;
}
