/* in_pull.c: [pull:NAME], GET /v1/topics/NAME/items?after=ID&limit=N over HTTPS for
 * consumers that cannot take pushes. libmicrohttpd's threads check the method, the
 * credentials (a bearer token compared in constant time, or a verified client certificate:
 * src/http/'s code, as the webhook input uses it), the path and the query (pull_query.c),
 * then hand the suspended request to the session's thread (pull_grid.c), which reads the
 * topic through its own XMPP session and answers a page of items. */
#include "in_pull/in_pull.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "base/log.h"
#include "engine/pipeline.h"
#include "grid/grid_session.h"
#include "http/http_auth.h"
#include "in_pull/pull.h"
#include "in_pull/pull_query.h"

static const char *const pull_auth_words[] = { "bearer", "client_cert", NULL };

#define PO(field) offsetof(struct pull_conf, field)
static const struct gg_option pull_options[] = {
	{ "listen", GG_OPT_STRING, "127.0.0.1:8444", PO(listen),
	  .help = "numeric address and port: 192.0.2.1:8444, [2001:db8::1]:8444, :8444 (every "
	  "address)" },
	{ "tls_cert", GG_OPT_STRING, NULL, PO(tls_cert),
	  .help = "the server certificate (PEM, chain after it); HTTPS only (TLS 1.2 or later)",
	  .flags = GG_OPT_REQUIRED | GG_OPT_FILE },
	{ "tls_key", GG_OPT_STRING, NULL, PO(tls_key),
	  .help = "the server certificate's private key (PEM)",
	  .flags = GG_OPT_REQUIRED | GG_OPT_FILE },
	{ "tls_client_ca", GG_OPT_STRING, NULL, PO(tls_client_ca),
	  .help = "CA certificates (PEM) client certificates must chain to; required with auth = "
	  "client_cert", .flags = GG_OPT_FILE },
	{ "auth", GG_OPT_STRING, "bearer", PO(auth),
	  .help = "bearer: `Authorization: Bearer` with the token of token_file (401 without it "
	  "or with another); client_cert: a certificate verified against tls_client_ca (403 "
	  "without one)", .words = pull_auth_words },
	{ "token_file", GG_OPT_STRING, NULL, PO(token_file),
	  .help = "file holding the bearer token (its trailing newline is not part of it), "
	  "required with auth = bearer", .flags = GG_OPT_FILE },
	{ "topics", GG_OPT_STRING, NULL, PO(topics),
	  .help = "the topics that may be read, blank- or comma-separated; any other is 404",
	  .flags = GG_OPT_REQUIRED },
	{ "limit", GG_OPT_INT, "100", PO(limit),
	  .help = "items in a page when the request names no limit", .min = 1, .max = 10000 },
	{ "max_limit", GG_OPT_INT, "1000", PO(max_limit),
	  .help = "the largest limit a request may ask for; more: 400", .min = 1, .max = 10000 },
	{ "max_answer_size", GG_OPT_SIZE, "16M", PO(max_answer_size),
	  .help = "payload bytes in one page: a page ends before the item that would pass it "
	  "(never before its first item), with more = true", .min = 64 * 1024,
	  .max = 1024LL * 1024 * 1024 },
	{ "max_connections", GG_OPT_INT, "64", PO(max_connections),
	  .help = "connections served at once; more are closed at once", .min = 1, .max = 100000 },
	{ "timeout", GG_OPT_DURATION, "30s", PO(timeout_ms),
	  .help = "a connection idle this long is closed", .min = 1000, .max = 3600000 },
	{ "request_timeout", GG_OPT_DURATION, "30s", PO(request_timeout_ms),
	  .help = "a request's headers must be in this long after the connection starts waiting "
	  "for it, else the connection is cut off (slowloris)", .min = 1000, .max = 3600000 },
	{ "threads", GG_OPT_INT, "1", PO(threads),
	  .help = "libmicrohttpd threads that read and check requests (the controller is read by "
	  "one more)", .min = 1, .max = GG_HTTP_MAX_THREADS },
	{ "jid", GG_OPT_STRING, NULL, PO(jid),
	  .help = "the JID (user@domain) the topics are read as: a session of its own, apart from "
	  "[xmpp]'s; it must be allowed to read them (a member)", .flags = GG_OPT_REQUIRED },
	{ "password_file", GG_OPT_STRING, NULL, PO(password_file),
	  .help = "file whose first line is the JID's password (or client_cert and client_key)",
	  .flags = GG_OPT_FILE },
	{ "client_cert", GG_OPT_STRING, NULL, PO(client_cert),
	  .help = "PEM client certificate for SASL EXTERNAL to the controller",
	  .flags = GG_OPT_FILE },
	{ "client_key", GG_OPT_STRING, NULL, PO(client_key),
	  .help = "PEM private key of client_cert", .flags = GG_OPT_FILE },
	{ "host", GG_OPT_STRING, NULL, PO(host),
	  .help = "controller address (default: the JID's domain)" },
	{ "port", GG_OPT_INT, "5222", PO(port), .help = "controller c2s port (STARTTLS)",
	  .min = 1, .max = 65535 },
	{ "ca_file", GG_OPT_STRING, NULL, PO(ca_file),
	  .help = "CA certificates the controller's certificate must chain to (default: the "
	  "system's)", .flags = GG_OPT_FILE },
	{ "pubsub_service", GG_OPT_STRING, NULL, PO(pubsub_service),
	  .help = "pubsub service JID (default: found by disco#items on the domain)" },
	{ "reconnect_min", GG_OPT_DURATION, "1s", PO(reconnect_min_ms),
	  .help = "first reconnect delay (doubles, with jitter)", .min = 10, .max = 3600000 },
	{ "reconnect_max", GG_OPT_DURATION, "60s", PO(reconnect_max_ms),
	  .help = "longest reconnect delay", .min = 10, .max = 3600000 },
	{ "iq_timeout", GG_OPT_DURATION, "30s", PO(iq_timeout_ms),
	  .help = "a retrieval unanswered this long is answered 504 and drops the session",
	  .min = 100, .max = 600000 },
	GG_OPTIONS_END,
};
#undef PO

#define PC(field) offsetof(struct pull_counters, field)
static const struct gg_counter pull_counter_rows[] = {
	{ "requests", "requests received", PC(http.requests) },
	{ "status_2xx", "requests answered 2xx", PC(http.status_2xx) },
	{ "status_4xx", "requests answered 4xx", PC(http.status_4xx) },
	{ "status_5xx", "requests answered 5xx", PC(http.status_5xx) },
	{ "pages", "pages answered (200)", PC(pages) },
	{ "items", "items in those pages", PC(items) },
	{ "fetches", "topic retrievals from the controller (requests for one topic that wait "
	  "together share one)", PC(fetches) },
	{ "bad_request", "requests refused 400 (path, arguments)", PC(bad_request) },
	{ "auth_failed", "requests refused 401 or 403", PC(auth_failed) },
	{ "not_found", "requests for a topic not served here or not on the controller (404)",
	  PC(not_found) },
	{ "bad_method", "requests other than GET (405)", PC(bad_method) },
	{ "gone", "requests whose after is no longer on the topic (410)", PC(gone) },
	{ "unavailable", "requests answered 503 while no XMPP session was up", PC(unavailable) },
	{ "grid_errors", "requests answered 502 or 504: the controller refused or did not answer",
	  PC(grid_errors) },
	{ "reconnects", "XMPP sessions lost and made again", PC(reconnects) },
	{ "timeouts", "requests cut at the timeout: a client that stalled", PC(http.timeouts) },
	{ "cut_off", "connections cut off at request_timeout (slow clients)", PC(http.cut_off) },
	{ "over_limit", "connections closed at once: max_connections were open",
	  PC(http.over_limit) },
	{ "bad_framing", "requests framed as RFC 9112 forbids (two Content-Length, a transfer "
	  "coding other than chunked, no Host): 400 or 501, connection closed",
	  PC(http.bad_framing) },
	{ "aborted", "requests that ended unanswered: the client went away", PC(http.aborted) },
	GG_COUNTERS_END,
};
#undef PC

static int pull_check(const void *conf_ptr, const char **key, struct gg_error *err)
{
	const struct pull_conf *c = conf_ptr;
	const char *at = strchr(c->jid, '@');
	int loopback;

	*key = "listen";
	if (gg_http_listen_check(c->listen, &loopback, err) != 0)
		return -EINVAL;
	*key = "token_file";
	if (strcmp(c->auth, "bearer") == 0 && c->token_file == NULL)
		return gg_error_set(err, -EINVAL, "auth = bearer needs token_file");
	if (strcmp(c->auth, "bearer") != 0 && c->token_file != NULL)
		return gg_error_set(err, -EINVAL, "only with auth = bearer");
	*key = "tls_client_ca";
	if (strcmp(c->auth, "client_cert") == 0 && c->tls_client_ca == NULL)
		return gg_error_set(err, -EINVAL, "auth = client_cert needs tls_client_ca");
	*key = "limit";
	if (c->limit > c->max_limit)
		return gg_error_set(err, -EINVAL, "is over max_limit");
	*key = "topics";
	if (strspn(c->topics, " ,") == strlen(c->topics))
		return gg_error_set(err, -EINVAL, "names no topic");
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

void pull_job_free(struct pull_job *job)
{
	if (job == NULL)
		return;
	free(job->topic);
	free(job->after);
	free(job);
}

void pull_job_answer(struct pull *p, struct pull_job *job, unsigned status, char *body,
		     unsigned retry_after)
{
	if (status == 503)
		p->counters.unavailable++;
	gg_http_answer(job->req, status, body, retry_after);
	pull_job_free(job);
}

static void pull_release_data(void *data)
{
	pull_job_free(data);
}

static int pull_topic_served(const struct pull *p, const char *topic, size_t len)
{
	for (size_t i = 0; i < p->topics.n; i++)
		if (strlen(p->topics.v[i]) == len && memcmp(p->topics.v[i], topic, len) == 0)
			return 1;
	return 0;
}

static unsigned pull_auth_failure(struct pull *p, const struct gg_http_request *req,
				  unsigned status, const char *why)
{
	p->counters.auth_failed++;
	/* Names the peer and the reason, never what it sent as a credential. */
	gg_log_warnx("%s: %s: %s", p->in->name, gg_http_peer(req), why);
	return status;
}

/* Headers in: method, credentials, path and query, then the topic. Credentials come
 * before the path: a client without them learns nothing of which topics exist. */
static int pull_begin(void *ctx, struct gg_http_request *req, const char **why)
{
	struct pull *p = ctx;
	struct gg_http_arg args[8];
	struct pull_query q;
	struct pull_job *job;
	size_t n;
	unsigned status;

	if (strcmp(gg_http_method(req), "GET") != 0) {
		p->counters.bad_method++;
		*why = "only GET";
		return 405;
	}
	if (p->token != NULL) {
		const char *a = gg_http_header(req, "Authorization");

		/* RFC 6750 3.1: a missing or wrong token is 401 (invalid_token) alike. */
		if (!gg_http_bearer_ok(a, p->token, p->token_len)) {
			*why = a == NULL ? "a bearer token is required" : "wrong bearer token";
			return (int)pull_auth_failure(p, req, 401, *why);
		}
	} else if (p->client_cert) {
		struct gg_http_cert_identity id;
		struct gg_error e;

		if (gg_http_client_cert(req, &id, &e) != 0) {
			*why = "a valid client certificate is required";
			return (int)pull_auth_failure(p, req, 403, e.msg);
		}
		gg_log_debug("%s: %s: client certificate %s (sha256 %s)", p->in->name,
			     gg_http_peer(req), id.subject, id.sha256);
	}
	n = gg_http_args(req, args, sizeof(args) / sizeof(args[0]));
	if (n > sizeof(args) / sizeof(args[0])) {
		p->counters.bad_request++;
		*why = "too many query arguments (after and limit are known)";
		return 400;
	}
	status = pull_query_parse(gg_http_path(req), args, n, (size_t)p->conf->limit,
				  (size_t)p->conf->max_limit, &q, why);
	if (status == 0 && !pull_topic_served(p, q.topic, q.topic_len)) {
		*why = "no such topic here";
		status = 404;
	}
	if (status != 0) {
		if (status == 404)
			p->counters.not_found++;
		else
			p->counters.bad_request++;
		return (int)status;
	}
	if ((job = calloc(1, sizeof(*job))) == NULL ||
	    (job->topic = strndup(q.topic, q.topic_len)) == NULL ||
	    (q.after != NULL && (job->after = strdup(q.after)) == NULL)) {
		pull_job_free(job);
		*why = "out of memory";
		return 503;
	}
	job->limit = q.limit;
	job->req = req;
	gg_http_request_set_data(req, job);
	return 0;
}

/* The request is in and suspended: to the session's thread. */
static void pull_complete(void *ctx, struct gg_http_request *req)
{
	struct pull *p = ctx;
	struct pull_job *job = gg_http_request_data(req);
	uint64_t one = 1;

	gg_http_request_set_data(req, NULL);
	pthread_mutex_lock(&p->lock);
	if (p->closed) {
		pthread_mutex_unlock(&p->lock);
		pull_job_answer(p, job, 503, gg_http_error_body(503, "stopping"), 5);
		return;
	}
	*p->tail = job;
	p->tail = &job->next;
	pthread_mutex_unlock(&p->lock);
	(void)!write(p->queue_fd, &one, sizeof(one));
}

/* Stops the session's thread: whatever waits is answered 503 before it returns. */
static void pull_shutdown(struct pull *p)
{
	uint64_t one = 1;

	if (p == NULL || !p->running)
		return;
	p->running = 0;
	pthread_mutex_lock(&p->lock);
	p->closed = 1;
	pthread_mutex_unlock(&p->lock);
	(void)!write(p->queue_fd, &one, sizeof(one));
	gg_input_thread_stop(&p->thread);
	gg_http_server_free(p->http);
	p->http = NULL;
}

static void pull_free(struct pull *p)
{
	if (p == NULL)
		return;
	pull_shutdown(p);
	gg_input_thread_close(&p->thread);
	gg_http_server_free(p->http);
	gg_grid_session_free(p->session);
	if (p->queue_fd >= 0)
		close(p->queue_fd);
	gg_grid_strv_free(&p->topics);
	gg_http_secret_free(p->token, p->token_len);
	free(p->cert_pem);
	if (p->key_pem != NULL)
		OPENSSL_cleanse(p->key_pem, p->key_pem_len);
	free(p->key_pem);
	free(p->ca_pem);
	free(p->xc.domain);
	if (p->password != NULL) {
		explicit_bzero(p->password, strlen(p->password));
		free(p->password);
	}
	pthread_mutex_destroy(&p->lock);
	free(p);
}

static int pull_topics(struct pull *p, struct gg_error *err)
{
	char *list = strdup(p->conf->topics), *save = NULL;
	int r = 0;

	if (list == NULL)
		return gg_error_set(err, -ENOMEM, "out of memory");
	for (char *t = strtok_r(list, " ,", &save); r == 0 && t; t = strtok_r(NULL, " ,", &save))
		r = gg_grid_strv_add(&p->topics, t);
	free(list);
	return r == 0 ? 0 : gg_error_set(err, -ENOMEM, "out of memory");
}

static int pull_open_http(struct pull *p, struct gg_error *err)
{
	const struct pull_conf *c = p->conf;
	struct gg_http_server_conf hc;
	struct gg_http_handler h;
	int fds[GG_HTTP_MAX_THREADS], r;

	if ((r = gg_http_read_pem(c->tls_cert, &p->cert_pem, NULL, err)) != 0 ||
	    (r = gg_http_read_pem(c->tls_key, &p->key_pem, &p->key_pem_len, err)) != 0 ||
	    (c->tls_client_ca != NULL &&
	     (r = gg_http_read_pem(c->tls_client_ca, &p->ca_pem, NULL, err)) != 0))
		return r;
	if ((r = gg_http_listen(c->listen, (unsigned)c->threads, fds, err)) != 0)
		return r;
	hc = (struct gg_http_server_conf){
		.name = p->in->name,
		.cert_pem = p->cert_pem,
		.key_pem = p->key_pem,
		.client_ca_pem = p->ca_pem,
		/* A GET has no body; a POST is refused from its headers. */
		.max_body_size = 1024,
		.max_connections = (unsigned)c->max_connections,
		.timeout_s = (unsigned)((c->timeout_ms + 999) / 1000),
		.request_timeout_ms = (uint64_t)c->request_timeout_ms,
		.threads = (unsigned)c->threads,
		.counters = &p->counters.http,
		.allow = "GET",
		.www_authenticate = p->token != NULL ? "Bearer realm=\"gridgate\"" : NULL,
	};
	h = (struct gg_http_handler){ .ctx = p, .begin = pull_begin, .complete = pull_complete,
				      .release = pull_release_data };
	memcpy(hc.listen_fds, fds, (size_t)c->threads * sizeof(*fds));
	return gg_http_server_new(&hc, &h, &p->http, err);
}

static int pull_open(struct gg_input *in, struct gg_error *err)
{
	const struct pull_conf *c = in->conf;
	struct pull *p = calloc(1, sizeof(*p));
	struct gg_grid_identity who;
	const char *at;
	int r;

	if (p == NULL)
		return gg_error_set(err, -ENOMEM, "out of memory");
	pthread_mutex_init(&p->lock, NULL);
	p->tail = &p->head;
	p->queue_fd = -1;
	p->in = in;
	p->conf = c;
	if ((r = gg_input_thread_init(&p->thread, err)) != 0)
		goto fail;
	if (in->mapper != NULL) {
		r = gg_error_set(err, -EINVAL, "a pull listener reads topics and has no mappings");
		goto fail;
	}
	if ((p->queue_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0) {
		r = gg_error_set(err, -errno, "eventfd: %s", strerror(errno));
		goto fail;
	}
	if ((r = pull_topics(p, err)) != 0)
		goto fail;
	if (strcmp(c->auth, "bearer") == 0 &&
	    (r = gg_http_secret_read(c->token_file, 1, &p->token, &p->token_len, err)) != 0)
		goto fail;
	p->client_cert = strcmp(c->auth, "client_cert") == 0;
	if ((r = pull_open_http(p, err)) != 0)
		goto fail;
	if (c->password_file != NULL &&
	    (r = gg_grid_password_read(c->password_file, &p->password, err)) != 0)
		goto fail;
	at = strchr(c->jid, '@') + 1;
	if ((p->xc.domain = strndup(at, strcspn(at, "/"))) == NULL) {
		r = gg_error_set(err, -ENOMEM, "out of memory");
		goto fail;
	}
	p->xc.host = c->host;
	p->xc.port = c->port;
	p->xc.jid = c->jid;
	p->xc.ca_file = c->ca_file;
	p->xc.pubsub_service = c->pubsub_service;
	p->xc.reconnect_min_ms = c->reconnect_min_ms;
	p->xc.reconnect_max_ms = c->reconnect_max_ms;
	p->xc.iq_timeout_ms = c->iq_timeout_ms;
	who = (struct gg_grid_identity){ .jid = c->jid, .password = p->password,
					 .client_cert = c->client_cert,
					 .client_key = c->client_key };
	if ((r = gg_grid_session_new(&p->xc, &who, NULL, NULL, NULL, &p->session, err)) != 0)
		goto fail;
	in->state = p;
	return 0;
fail:
	pull_free(p);
	return r;
}

static int pull_start(struct gg_input *in, struct gg_error *err)
{
	struct pull *p = in->state;
	int r;

	if ((r = gg_input_thread_start(&p->thread, pull_grid_main, p, err)) != 0)
		return r;
	p->running = 1;
	if ((r = gg_http_server_start(p->http, err)) != 0) {
		pull_shutdown(p);
		return r;
	}
	gg_log_info("%s: listening on %s (https), %zu topic(s), read as %s", in->name,
		    p->conf->listen, p->topics.n, p->conf->jid);
	return 0;
}

static void pull_stop(struct gg_input *in)
{
	struct pull *p = in->state;

	if (p == NULL)
		return;
	pull_shutdown(p);
}

static void pull_release(struct gg_input *in)
{
	pull_free(in->state);
	in->state = NULL;
}

static const void *pull_counters_of(const struct gg_input *in)
{
	return &((const struct pull *)in->state)->counters;
}

const struct gg_adapter gg_in_pull = {
	.name = "pull",
	.kind = GG_PLUGIN_INPUT,
	.desc = "HTTPS pull API: GET /v1/topics/NAME/items?after=ID&limit=N pages through a "
		"topic's items (JSON, payloads as published) for consumers that cannot take "
		"pushes; spools nothing",
	.options = pull_options,
	.conf_size = sizeof(struct pull_conf),
	.check = pull_check,
	.open = pull_open,
	.start = pull_start,
	.stop = pull_stop,
	.free = pull_release,
	.counters = pull_counter_rows,
	.counters_of = pull_counters_of,
};
