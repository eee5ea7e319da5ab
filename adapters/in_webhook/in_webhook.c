/* in_webhook.c: [webhook:NAME], an HTTPS listener for JSON webhooks (Alertmanager, SIEMs...).
 * libmicrohttpd's threads parse and check a request, split its body into objects and hand
 * the request to its route's emit pool as one unit, leaving it suspended; the pool's workers
 * map and check the records of one or more requests, its spool writer commits them in one
 * transaction, and only then is each request answered: 202 with its item ids, or 503 when
 * the spool or the pool's queue is full (nothing accepted is dropped: the sender retries). */
#include "in_webhook/in_webhook.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "base/digest.h"
#include "base/log.h"
#include "base/log_budget.h"
#include "engine/emit.h"
#include "engine/emit_pool.h"
#include "engine/pipeline.h"
#include "http/http_auth.h"
#include "http/http_body.h"
#include "http/http_server.h"
#include "in_webhook/webhook.h"

struct webhook_conf {
	char *listen;
	int tls;
	char *tls_cert;
	char *tls_key;
	char *tls_client_ca;
	int64_t max_body_size;
	int64_t max_connections;
	int64_t max_objects;
	int64_t max_depth;
	int64_t rate_limit;
	int64_t rate_burst;
	int64_t rate_peers;
	int64_t timeout_ms;
	int64_t request_timeout_ms;
	int64_t threads;
	int64_t workers;
};

#define WO(field) offsetof(struct webhook_conf, field)
static const struct gg_option webhook_options[] = {
	{ "listen", GG_OPT_STRING, "127.0.0.1:8443", WO(listen),
	  .help = "numeric address and port: 192.0.2.1:8443, [2001:db8::1]:8443, :8443 (every "
	  "address)" },
	{ "tls", GG_OPT_BOOL, "yes", WO(tls),
	  .help = "HTTPS (TLS 1.2 or later) with tls_cert and tls_key; no: plain HTTP, with a "
	  "warning unless listen is a loopback address" },
	{ "tls_cert", GG_OPT_STRING, NULL, WO(tls_cert),
	  .help = "the server certificate (PEM, chain after it), required with tls",
	  .flags = GG_OPT_FILE },
	{ "tls_key", GG_OPT_STRING, NULL, WO(tls_key),
	  .help = "the server certificate's private key (PEM), required with tls",
	  .flags = GG_OPT_FILE },
	{ "tls_client_ca", GG_OPT_STRING, NULL, WO(tls_client_ca),
	  .help = "CA certificates (PEM) client certificates must chain to: clients are asked for "
	  "one, and routes with auth = client_cert refuse requests without a valid one",
	  .flags = GG_OPT_FILE },
	{ "max_body_size", GG_OPT_SIZE, "1M", WO(max_body_size),
	  .help = "larger bodies are refused (413), from Content-Length before any is read; a "
	  "gzip or deflate body is held to it decoded too",
	  .min = 1024, .max = 64 * 1024 * 1024 },
	{ "max_connections", GG_OPT_INT, "256", WO(max_connections),
	  .help = "connections served at once; more are closed at once", .min = 1, .max = 100000 },
	{ "max_objects", GG_OPT_INT, "10000", WO(max_objects),
	  .help = "JSON objects (records) in one request; more: 400", .min = 1, .max = 1000000 },
	{ "max_depth", GG_OPT_INT, "64", WO(max_depth),
	  .help = "nesting of JSON arrays and objects in a body; deeper: 400", .min = 2,
	  .max = 1000 },
	{ "rate_limit", GG_OPT_INT, "0", WO(rate_limit),
	  .help = "requests per second per peer address, 0: unlimited; over it: 429 with "
	  "Retry-After", .min = 0, .max = 1000000 },
	{ "rate_burst", GG_OPT_INT, "0", WO(rate_burst),
	  .help = "requests a quiet peer may send at once; 0: one second's worth", .min = 0,
	  .max = 1000000 },
	{ "rate_peers", GG_OPT_INT, "4096", WO(rate_peers),
	  .help = "peer addresses whose rate is tracked; a new one takes the idlest one's place",
	  .min = 8, .max = 1 << 24 },
	{ "timeout", GG_OPT_DURATION, "30s", WO(timeout_ms),
	  .help = "a connection idle this long is closed (silent senders cannot hold a slot)",
	  .min = 1000, .max = 3600000 },
	{ "request_timeout", GG_OPT_DURATION, "60s", WO(request_timeout_ms),
	  .help = "a request's headers and body must be in this long after the connection "
	  "starts waiting for it, else the connection is cut off (a sender that trickles bytes "
	  "is never idle: slowloris)", .min = 1000, .max = 3600000 },
	{ "threads", GG_OPT_INT, "2", WO(threads),
	  .help = "libmicrohttpd threads that read, check and parse requests (the spool is "
	  "written by one more)", .min = 1, .max = GG_HTTP_MAX_THREADS },
	{ "workers", GG_OPT_INT, "2", WO(workers),
	  .help = "threads per route that map and check the requests' records while one more "
	  "commits them: the requests that come meanwhile share the next commit",
	  .min = 1, .max = GG_EMIT_POOL_MAX_WORKERS },
	GG_OPTIONS_END,
};
#undef WO

struct webhook_counters {
	struct gg_http_counters http;
	atomic_uint_fast64_t accepted;     /* requests answered 202 */
	atomic_uint_fast64_t records;      /* items staged and committed */
	atomic_uint_fast64_t dropped;      /* items the mappings dropped */
	atomic_uint_fast64_t quarantined;  /* items the engine refused */
	atomic_uint_fast64_t malformed;    /* 400 */
	atomic_uint_fast64_t not_found;    /* 404 */
	atomic_uint_fast64_t bad_method;   /* 405 */
	atomic_uint_fast64_t bad_type;     /* 415 */
	atomic_uint_fast64_t auth_failed;  /* 401, 403 */
	atomic_uint_fast64_t busy;         /* 503 */
};

#define WC(field) offsetof(struct webhook_counters, field)
static const struct gg_counter webhook_counter_rows[] = {
	{ "requests", "requests received", WC(http.requests) },
	{ "status_2xx", "requests answered 2xx", WC(http.status_2xx) },
	{ "status_4xx", "requests answered 4xx", WC(http.status_4xx) },
	{ "status_5xx", "requests answered 5xx", WC(http.status_5xx) },
	{ "accepted", "requests answered 202: every record committed", WC(accepted) },
	{ "records", "items committed to the spool (an object an `each` mapping explodes is "
	  "several)", WC(records) },
	{ "dropped", "items the mappings dropped (a rule, or unmatched = drop)", WC(dropped) },
	{ "quarantined", "items the engine refused, quarantined", WC(quarantined) },
	{ "malformed", "requests refused 400 (JSON, UTF-8, not objects, limits)", WC(malformed) },
	{ "not_found", "requests for a path no route has (404)", WC(not_found) },
	{ "bad_method", "requests other than POST (405)", WC(bad_method) },
	{ "bad_type", "requests whose Content-Type is not JSON (415)", WC(bad_type) },
	{ "auth_failed", "requests refused 401 or 403", WC(auth_failed) },
	{ "too_large", "bodies over max_body_size (413)", WC(http.too_large) },
	{ "length_required", "POSTs without a length (411)", WC(http.length_required) },
	{ "bad_encoding", "bodies in a coding not decoded (415) or that do not decode (400)",
	  WC(http.coded) },
	{ "rate_limited", "requests over rate_limit (429)", WC(http.rate_limited) },
	{ "timeouts", "requests cut at the timeout: a sender that stalled", WC(http.timeouts) },
	{ "cut_off", "connections cut off at request_timeout (slow senders)", WC(http.cut_off) },
	{ "over_limit", "connections closed at once: max_connections were open",
	  WC(http.over_limit) },
	{ "bad_framing", "requests framed as RFC 9112 forbids (two Content-Length, a transfer "
	  "coding other than chunked, no Host): 400 or 501, connection closed",
	  WC(http.bad_framing) },
	{ "aborted", "requests that ended unanswered: the sender went away mid-way, or its "
	  "connection was cut off or idle too long", WC(http.aborted) },
	{ "busy", "requests answered 503 while the spool was full", WC(busy) },
	GG_COUNTERS_END,
};
#undef WC

/* One item a request's objects became: an object is one, or one per element when an `each`
 * mapping explodes it; its id is at ids + id_at in the job's pool. */
struct webhook_item {
	size_t index; /* the object's */
	enum gg_emit_outcome outcome;
	size_t id_at;
};

/* One request handed to its route's pool, as a unit. */
struct webhook_job {
	struct gg_emit_unit unit; /* first: the pool hands it back */
	struct webhook_listener *l;
	struct gg_http_request *req;
	size_t route;
	struct gg_http_objects objs;
	char origin[320];
	/* Worker only: every item of the request, in order, for the 202; the object emitted. */
	struct webhook_item *items;
	size_t n_items, items_cap;
	char *ids; /* the items' ids, each with its NUL */
	size_t ids_len, ids_cap;
	size_t object;
};

struct webhook_listener {
	struct gg_input *input;
	const struct webhook_conf *conf;
	char *cert_pem, *key_pem, *ca_pem;
	size_t key_pem_len;
	struct gg_http_rate *rate;
	struct gg_http_server *http;
	struct webhook_route **routes; /* bound at start */
	struct gg_emit_pool **pools;   /* one per route */
	size_t n_routes;
	pthread_mutex_t lock; /* closed, and the pools while requests are handed to them */
	int closed; /* no more jobs: stopping */
	int running;
	struct webhook_counters counters;
	/* Authentication failures anyone can cause at will: logged within this budget. */
	struct gg_log_budget refusals;
};

/* Authentication failure lines a second, each listener: 300 wrong tokens used to write 300. */
#define WEBHOOK_REFUSALS_PER_SECOND 5

/* What the table cannot say: the listen address, tls_* only with tls, and the pair. */
static int webhook_check(const void *conf_ptr, const char **key, struct gg_error *err)
{
	const struct webhook_conf *c = conf_ptr;
	int loopback;

	*key = "listen";
	if (gg_http_listen_check(c->listen, &loopback, err) != 0)
		return -EINVAL;
	if (!c->tls) {
		*key = c->tls_cert ? "tls_cert" : c->tls_key ? "tls_key" : c->tls_client_ca ?
		       "tls_client_ca" : NULL;
		if (*key != NULL)
			return gg_error_set(err, -EINVAL, "needs tls = yes");
		return 0;
	}
	*key = c->tls_cert == NULL ? "tls_cert" : c->tls_key == NULL ? "tls_key" : NULL;
	if (*key != NULL)
		return gg_error_set(err, -EINVAL, "tls = yes needs tls_cert and tls_key (or write "
				    "tls = no for plain HTTP)");
	return 0;
}

static struct webhook_route *route_by_path(const struct webhook_listener *l, const char *path,
					   size_t *index)
{
	for (size_t i = 0; i < l->n_routes; i++) {
		if (strcmp(l->routes[i]->conf->path, path) == 0) {
			*index = i;
			return l->routes[i];
		}
	}
	return NULL;
}

/* application/json (or +json), application/x-ndjson; a charset, when given, must be UTF-8.
 * Returns 0 with *format, or -1. */
static int body_format(const char *type, enum gg_http_body_format *format)
{
	size_t n;
	const char *cs;

	if (type == NULL)
		return -1;
	n = strcspn(type, "; \t");
	if ((n == 16 && strncasecmp(type, "application/json", n) == 0) ||
	    (n > 17 && strncasecmp(type, "application/", 12) == 0 &&
	     strncasecmp(type + n - 5, "+json", 5) == 0))
		*format = GG_HTTP_BODY_JSON;
	else if ((n == 20 && strncasecmp(type, "application/x-ndjson", n) == 0) ||
		 (n == 18 && strncasecmp(type, "application/ndjson", n) == 0))
		*format = GG_HTTP_BODY_NDJSON;
	else
		return -1;
	cs = strcasestr(type + n, "charset=");
	if (cs != NULL) {
		cs += 8;
		if (*cs == '"')
			cs++;
		if (strncasecmp(cs, "utf-8", 5) != 0 && strncasecmp(cs, "utf8", 4) != 0)
			return -1;
	}
	return 0;
}

static void auth_failure(struct webhook_listener *l, const struct gg_http_request *req,
			 const struct webhook_route *rt, const char *why)
{
	l->counters.auth_failed++;
	/* Names the peer and the reason, never what it sent as a credential. */
	if (gg_log_budget_allow(&l->refusals, l->input->name))
		gg_log_warnx("%s: %s: %s %s: %s", l->input->name, gg_http_peer(req),
			     rt->input->name, rt->conf->path, why);
}

/* Headers in: route, method, type, and the credentials that need no body. */
static int webhook_begin(void *ctx, struct gg_http_request *req, const char **why)
{
	struct webhook_listener *l = ctx;
	enum gg_http_body_format format;
	struct webhook_route *rt;
	size_t index;

	if ((rt = route_by_path(l, gg_http_path(req), &index)) == NULL) {
		l->counters.not_found++;
		*why = "no route has this path";
		return 404;
	}
	if (strcmp(gg_http_method(req), "POST") != 0) {
		l->counters.bad_method++;
		*why = "only POST";
		return 405;
	}
	if (body_format(gg_http_header(req, "Content-Type"), &format) != 0) {
		l->counters.bad_type++;
		*why = "Content-Type must be application/json or application/x-ndjson (UTF-8)";
		return 415;
	}
	if (rt->auth == WEBHOOK_AUTH_BEARER) {
		const char *a = gg_http_header(req, "Authorization");
		int presented = gg_http_bearer_presented(a);

		if (!webhook_route_bearer_ok(rt, a)) {
			auth_failure(l, req, rt, presented ? "wrong bearer token" : "no bearer token");
			*why = presented ? "wrong bearer token" : "a bearer token is required";
			gg_http_request_set_challenge(req, WEBHOOK_CHALLENGE_BEARER);
			return presented ? 403 : 401;
		}
	} else if (rt->auth == WEBHOOK_AUTH_CLIENT_CERT) {
		struct gg_http_cert_identity id;
		struct gg_error e;

		if (gg_http_client_cert(req, &id, &e) != 0) {
			auth_failure(l, req, rt, e.msg);
			*why = "a valid client certificate is required";
			return 403;
		}
		gg_log_debug("%s: %s: client certificate %s (sha256 %s)", l->input->name,
			     gg_http_peer(req), id.subject, id.sha256);
	}
	gg_http_request_set_data(req, (void *)(index + 1));
	return 0;
}

/* HMAC signatures cover the body: checked when it is in. Returns 0 or the status. */
static unsigned check_signature(struct webhook_listener *l, struct gg_http_request *req,
				struct webhook_route *rt, const char *body, size_t len)
{
	const char *wid = gg_http_header(req, "webhook-id");
	const char *hub = gg_http_header(req, "X-Hub-Signature-256");
	enum gg_http_sig sig;
	static const char *const what[] = { "", "no signature", "wrong signature",
					    "timestamp outside the replay window" };

	pthread_mutex_lock(&rt->secret_lock);
	if (wid != NULL || hub == NULL)
		sig = gg_http_sig_standard(rt->secret, rt->secret_len, wid,
					   gg_http_header(req, "webhook-timestamp"),
					   gg_http_header(req, "webhook-signature"), body, len,
					   (int64_t)time(NULL), rt->replay_window_s);
	else
		sig = gg_http_sig_github(rt->secret, rt->secret_len, hub, body, len);
	pthread_mutex_unlock(&rt->secret_lock);
	if (sig == GG_HTTP_SIG_OK)
		return 0;
	auth_failure(l, req, rt, what[sig]);
	gg_http_request_set_challenge(req, WEBHOOK_CHALLENGE_HMAC);
	return sig == GG_HTTP_SIG_MISSING ? 401 : 403;
}

/* A request's origin, the part of its records' ids the sender controls: the same request
 * retried gets the same ids, and the spool stores a record once per id. */
static void job_origin(struct webhook_job *job, const struct gg_http_request *req,
		       const char *body, size_t len)
{
	const char *key = gg_http_header(req, "Idempotency-Key");
	const char *wid = gg_http_header(req, "webhook-id");
	unsigned char md[GG_SHA256_LEN];

	if (key != NULL && key[0] != '\0' && strlen(key) <= 255) {
		snprintf(job->origin, sizeof(job->origin), "idempotency-key:%s", key);
	} else if (wid != NULL && wid[0] != '\0' && strlen(wid) <= 255) {
		snprintf(job->origin, sizeof(job->origin), "webhook-id:%s", wid);
	} else {
		/* No key: the body's hash, so an identical body resent is the same records. */
		if (gg_sha256(body, len, md) != 0)
			gg_fatalx("webhook: SHA-256 failed (out of memory)");
		memcpy(job->origin, "sha256:", 7);
		gg_hex(md, sizeof(md), job->origin + 7);
	}
}

static void job_free(struct webhook_job *job)
{
	if (job == NULL)
		return;
	gg_http_objects_free(&job->objs);
	free(job->items);
	free(job->ids);
	free(job);
}

/* Answers a job and frees it. */
static void job_answer(struct webhook_listener *l, struct webhook_job *job, unsigned status,
		       char *body, unsigned retry_after)
{
	if (status == 503)
		l->counters.busy++;
	gg_http_answer(job->req, status, body, retry_after);
	job_free(job);
}

static void answer_400(struct webhook_listener *l, struct gg_http_request *req,
		       const struct gg_http_body_error *e)
{
	json_t *o = json_pack("{s:i,s:s,s:I,s:I}", "status", 400, "error", e->msg, "offset",
			      (json_int_t)e->offset, "index", (json_int_t)e->index);
	char *s = o != NULL ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;

	json_decref(o);
	l->counters.malformed++;
	gg_log_debug("%s: %s: 400: byte %zu, object %zu: %s", l->input->name, gg_http_peer(req),
		     e->offset, e->index, e->msg);
	gg_http_answer(req, 400, s, 0);
}

static const char *outcome_word(enum gg_emit_outcome o)
{
	switch (o) {
	case GG_EMIT_STAGED:
		return "accepted";
	case GG_EMIT_DROPPED:
	case GG_EMIT_EMPTY:
		return "dropped";
	default:
		return "quarantined";
	}
}

/* 202: {"status":202,"items":[{"index":0,"id":"...","outcome":"accepted"},...]}, an item per
 * document: an object an `each` mapping exploded is listed once per element ("ID-N"). */
static char *accepted_body(const struct webhook_job *job)
{
	json_t *o = json_pack("{s:i,s:[]}", "status", 202, "items");
	json_t *items = o != NULL ? json_object_get(o, "items") : NULL;
	char *s;

	for (size_t i = 0; items != NULL && i < job->n_items; i++) {
		const struct webhook_item *it = &job->items[i];

		json_array_append_new(items, json_pack("{s:I,s:s,s:s}", "index",
						       (json_int_t)it->index, "id",
						       job->ids + it->id_at, "outcome",
						       outcome_word(it->outcome)));
	}
	s = o != NULL ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(o);
	return s;
}

/* gg_emit_item_fn: keeps an item of the object being emitted for the answer. */
static int job_item(void *arg, const char *id, enum gg_emit_outcome outcome)
{
	struct webhook_job *job = arg;
	size_t n = strlen(id) + 1;

	if (job->n_items == job->items_cap) {
		size_t cap = job->items_cap ? 2 * job->items_cap : 8;
		struct webhook_item *p = realloc(job->items, cap * sizeof(*p));

		if (p == NULL)
			return -ENOMEM;
		job->items = p;
		job->items_cap = cap;
	}
	if (job->ids_len + n > job->ids_cap) {
		size_t cap = job->ids_cap ? 2 * job->ids_cap : 256;
		char *p;

		while (cap < job->ids_len + n)
			cap *= 2;
		if ((p = realloc(job->ids, cap)) == NULL)
			return -ENOMEM;
		job->ids = p;
		job->ids_cap = cap;
	}
	memcpy(job->ids + job->ids_len, id, n);
	job->items[job->n_items++] = (struct webhook_item){ .index = job->object,
							    .outcome = outcome,
							    .id_at = job->ids_len };
	job->ids_len += n;
	return 0;
}

/* gg_emit_unit.emit: stages a job's records in the worker's open batch. Returns <0 when that
 * batch cannot go on. */
static int job_unit_emit(struct gg_emit_unit *u, struct gg_emitter *e)
{
	struct webhook_job *job = (struct webhook_job *)u;
	struct webhook_listener *l = job->l;
	/* With mappings, an object is a line for them (JSON pointers); without, the engine's
	 * built-in flat JSON mapping makes it an incident. */
	enum gg_record_kind kind = l->routes[job->route]->input->mapper != NULL ? GG_RECORD_LINE
										  : GG_RECORD_JSON;
	enum gg_emit_outcome outcome;
	struct gg_error why;

	for (size_t i = 0; i < job->objs.n; i++) {
		struct gg_record rec = { .kind = kind, .origin = job->origin,
					 .position = i, .peer = gg_http_peer(job->req),
					 .bytes = job->objs.items[i], .len = job->objs.lens[i],
					 .item = job_item, .item_arg = job };
		int r;

		job->object = i;
		r = gg_emit(e, &rec, &outcome, &why);

		if (r < 0) {
			gg_log_warnx("%s: %s: %s", l->input->name, job->origin, why.msg);
			return r;
		}
	}
	return 0;
}

/* gg_emit_unit.done, on the pool's spool writer: answers the request. */
static void job_unit_done(struct gg_emit_unit *u, enum gg_emit_unit_status status)
{
	struct webhook_job *job = (struct webhook_job *)u;
	struct webhook_listener *l = job->l;

	if (status == GG_EMIT_UNIT_FULL) {
		job_answer(l, job, 503, gg_http_error_body(503, "the spool is full"), 1);
		return;
	}
	if (status != GG_EMIT_UNIT_COMMITTED) {
		job_answer(l, job, 503, gg_http_error_body(503, "spool write failed"), 1);
		return;
	}
	for (size_t i = 0; i < job->n_items; i++) {
		if (job->items[i].outcome == GG_EMIT_STAGED)
			l->counters.records++;
		else if (job->items[i].outcome == GG_EMIT_DROPPED)
			l->counters.dropped++;
		else
			l->counters.quarantined++;
	}
	l->counters.accepted++;
	job_answer(l, job, 202, accepted_body(job), 0);
}

/* The body is in (the request suspended): signature, split, then to its route's pool. */
static void webhook_complete(void *ctx, struct gg_http_request *req)
{
	struct webhook_listener *l = ctx;
	size_t index = (size_t)gg_http_request_data(req) - 1;
	struct webhook_route *rt = l->routes[index];
	struct gg_http_body_limits limits = { .max_depth = (size_t)l->conf->max_depth,
					      .max_objects = (size_t)l->conf->max_objects };
	enum gg_http_body_format format = GG_HTTP_BODY_JSON;
	struct gg_http_body_error e;
	struct webhook_job *job;
	unsigned status;
	size_t len;
	const char *body = gg_http_body(req, &len);
	int r;

	if (rt->auth == WEBHOOK_AUTH_HMAC && (status = check_signature(l, req, rt, body, len)) != 0) {
		gg_http_answer(req, status, gg_http_error_body(status, status == 401 ?
				"a signature is required" : "signature refused"), 0);
		return;
	}
	if ((job = calloc(1, sizeof(*job))) == NULL) {
		gg_http_answer(req, 503, gg_http_error_body(503, "out of memory"), 1);
		return;
	}
	job->req = req;
	job->route = index;
	body_format(gg_http_header(req, "Content-Type"), &format);
	r = gg_http_body_split(body, len, format, &limits, &job->objs, &e);
	if (r == -EINVAL) {
		job_free(job);
		answer_400(l, req, &e);
		return;
	}
	if (r != 0) {
		job_answer(l, job, 503, gg_http_error_body(503, "out of memory"), 1);
		return;
	}
	job_origin(job, req, body, len);
	job->l = l;
	job->unit = (struct gg_emit_unit){ .emit = job_unit_emit, .done = job_unit_done,
					   .records = job->objs.n, .bytes = len };
	pthread_mutex_lock(&l->lock);
	r = l->closed ? -ECANCELED : gg_emit_pool_submit(l->pools[index], &job->unit);
	pthread_mutex_unlock(&l->lock);
	if (r == -ECANCELED)
		job_answer(l, job, 503, gg_http_error_body(503, "stopping"), 5);
	else if (r != 0)
		job_answer(l, job, 503, gg_http_error_body(503, "busy: the requests before it are "
							   "still being spooled"), 1);
}

void webhook_listener_shutdown(struct webhook_listener *l)
{
	if (l == NULL || !l->running)
		return;
	l->running = 0;
	pthread_mutex_lock(&l->lock);
	l->closed = 1;
	pthread_mutex_unlock(&l->lock);
	/* What the pools hold is committed and answered while the server still runs to send
	 * the answers; requests that come meanwhile are answered 503. */
	for (size_t i = 0; i < l->n_routes; i++) {
		gg_emit_pool_free(l->pools[i]);
		l->pools[i] = NULL;
	}
	gg_http_server_free(l->http);
	l->http = NULL;
	gg_log_budget_flush(&l->refusals, l->input->name);
	for (size_t i = 0; i < l->n_routes; i++)
		l->routes[i]->bound = NULL;
}

static void listener_free(struct webhook_listener *l)
{
	if (l == NULL)
		return;
	webhook_listener_shutdown(l);
	webhook_listener_unregister(l);
	gg_http_server_free(l->http);
	for (size_t i = 0; i < l->n_routes && l->pools != NULL; i++)
		gg_emit_pool_free(l->pools[i]);
	free(l->pools);
	free(l->routes);
	gg_http_rate_free(l->rate);
	free(l->cert_pem);
	if (l->key_pem != NULL)
		OPENSSL_cleanse(l->key_pem, l->key_pem_len);
	free(l->key_pem);
	free(l->ca_pem);
	gg_log_budget_destroy(&l->refusals);
	pthread_mutex_destroy(&l->lock);
	free(l);
}

static int webhook_open(struct gg_input *in, struct gg_error *err)
{
	struct webhook_listener *l = calloc(1, sizeof(*l));
	const struct webhook_conf *c = in->conf;
	struct gg_http_server_conf hc;
	struct gg_http_handler h;
	int fds[GG_HTTP_MAX_THREADS], r;

	if (l == NULL)
		return gg_error_set(err, -ENOMEM, "out of memory");
	pthread_mutex_init(&l->lock, NULL);
	gg_log_budget_init(&l->refusals, WEBHOOK_REFUSALS_PER_SECOND);
	l->input = in;
	l->conf = c;
	webhook_listener_register(l, in->name);
	if (in->mapper != NULL) {
		r = gg_error_set(err, -EINVAL, "mappings belong in the [webhook_route:NAME] "
				 "sections of this listener");
		goto fail;
	}
	if (c->tls && ((r = gg_http_read_pem(c->tls_cert, &l->cert_pem, NULL, err)) != 0 ||
		       (r = gg_http_read_pem(c->tls_key, &l->key_pem, &l->key_pem_len, err)) != 0 ||
		       (c->tls_client_ca != NULL &&
			(r = gg_http_read_pem(c->tls_client_ca, &l->ca_pem, NULL, err)) != 0)))
		goto fail;
	if (c->rate_limit > 0) {
		uint64_t seed = 0;

		/* The seed only has to be unknown to peers; a weak one is no failure. */
		if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) != sizeof(seed))
			seed = (uint64_t)time(NULL) ^ (uint64_t)getpid() << 32;
		if (gg_http_rate_new((uint64_t)c->rate_limit, (uint64_t)c->rate_burst,
				     (size_t)c->rate_peers, seed, &l->rate) != 0) {
			r = gg_error_set(err, -ENOMEM, "rate table: out of memory");
			goto fail;
		}
	}
	if ((r = gg_http_listen(c->listen, (unsigned)c->threads, fds, err)) != 0)
		goto fail;
	hc = (struct gg_http_server_conf){
		.name = in->name,
		.cert_pem = l->cert_pem,
		.key_pem = l->key_pem,
		.client_ca_pem = l->ca_pem,
		.max_body_size = (size_t)c->max_body_size,
		.max_connections = (unsigned)c->max_connections,
		.timeout_s = (unsigned)((c->timeout_ms + 999) / 1000),
		.request_timeout_ms = (uint64_t)c->request_timeout_ms,
		.threads = (unsigned)c->threads,
		.rate = l->rate,
		.counters = &l->counters.http,
	};
	h = (struct gg_http_handler){ .ctx = l, .begin = webhook_begin,
				      .complete = webhook_complete };
	memcpy(hc.listen_fds, fds, (size_t)c->threads * sizeof(*fds));
	if ((r = gg_http_server_new(&hc, &h, &l->http, err)) != 0)
		goto fail;
	in->state = l;
	return 0;
fail:
	listener_free(l);
	return r;
}

/* Binds the routes that name this listener (every instance is open by now) and gives each
 * an emit pool (its workers and spool writer start here). */
static int webhook_bind(struct webhook_listener *l, struct gg_error *err)
{
	const char *name = l->input->name;
	size_t n = webhook_routes_of(name, NULL, 0);

	if (n == 0)
		return gg_error_set(err, -EINVAL, "no [webhook_route:NAME] section says webhook = %s",
				    name);
	l->routes = calloc(n, sizeof(*l->routes));
	l->pools = calloc(n, sizeof(*l->pools));
	if (l->routes == NULL || l->pools == NULL)
		return gg_error_set(err, -ENOMEM, "out of memory");
	l->n_routes = webhook_routes_of(name, l->routes, n);
	for (size_t i = 0; i < n; i++) {
		const struct webhook_route *rt = l->routes[i];
		int r;

		for (size_t j = 0; j < i; j++)
			if (strcmp(l->routes[j]->conf->path, rt->conf->path) == 0)
				return gg_error_set(err, -EINVAL, "[webhook_route:%s] and "
						    "[webhook_route:%s] both have path %s",
						    l->routes[j]->input->name, rt->input->name,
						    rt->conf->path);
		if (rt->auth == WEBHOOK_AUTH_CLIENT_CERT && l->ca_pem == NULL)
			return gg_error_set(err, -EINVAL, "[webhook_route:%s] auth = client_cert "
					    "needs tls_client_ca here", rt->input->name);
		if ((r = gg_emit_pool_new(rt->input, &(struct gg_emit_pool_opts){
						  .workers = (unsigned)l->conf->workers },
					  &l->pools[i], err)) != 0)
			return r;
	}
	return 0;
}

static int webhook_start(struct gg_input *in, struct gg_error *err)
{
	struct webhook_listener *l = in->state;
	int loopback = 0;
	int r;

	if ((r = webhook_bind(l, err)) != 0)
		return r;
	l->running = 1;
	for (size_t i = 0; i < l->n_routes; i++)
		l->routes[i]->bound = l;
	if ((r = gg_http_server_start(l->http, err)) != 0) {
		webhook_listener_shutdown(l);
		return r;
	}
	gg_http_listen_check(l->conf->listen, &loopback, err);
	if (!l->conf->tls && !loopback)
		gg_log_warnx("%s: tls = no on %s, not a loopback address: webhook bodies and "
			     "credentials cross the network in clear", in->name, l->conf->listen);
	gg_log_info("%s: listening on %s (%s), %zu route(s)", in->name, l->conf->listen,
		    l->conf->tls ? "https" : "http", l->n_routes);
	return 0;
}

static void webhook_stop(struct gg_input *in)
{
	struct webhook_listener *l = in->state;

	if (l == NULL)
		return;
	webhook_listener_shutdown(l);
}

static void webhook_release(struct gg_input *in)
{
	listener_free(in->state);
	in->state = NULL;
}

static const void *webhook_counters_of(const struct gg_input *in)
{
	const struct webhook_listener *l = in->state;

	return &l->counters;
}

const struct gg_adapter gg_in_webhook = {
	.name = "webhook",
	.desc = "HTTPS listener for JSON webhooks (one object, an array of objects, or NDJSON); "
		"its paths are [webhook_route:NAME] sections",
	.options = webhook_options,
	.conf_size = sizeof(struct webhook_conf),
	.check = webhook_check,
	.open = webhook_open,
	.start = webhook_start,
	.stop = webhook_stop,
	.free = webhook_release,
	.counters = webhook_counter_rows,
	.counters_of = webhook_counters_of,
	/* Its routes give its name as their group. */
	.group = gg_plugin_group_self,
};
