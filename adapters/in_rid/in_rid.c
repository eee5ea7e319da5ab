/* in_rid.c: [rid:NAME], the RFC 6546 listener: HTTP/1.1 over TLS 1.2+ with client
 * certificates, RID messages POSTed as XML. libmicrohttpd's threads check the method, the
 * media type and the certificate, then hand the request (suspended) to this listener's one
 * worker thread, which identifies the partner, reads the message, commits its documents and
 * only then answers (rid_serve.c). */
#include "in_rid/in_rid.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "base/log.h"
#include "engine/pipeline.h"
#include "in_rid/rid_serve.h"
#include "iodef/xmlsafe.h"

#define RC(field) offsetof(struct rid_conf, field)
static const struct gg_option rid_options[] = {
	{ "listen", GG_OPT_STRING, "0.0.0.0:4590", RC(listen),
	  .help = "numeric address and port (RFC 6546: the registered RID port is 4590): "
	  "192.0.2.1:4590, [2001:db8::1]:4590, [::]:4590" },
	{ "tls_cert", GG_OPT_STRING, NULL, RC(tls_cert),
	  .help = "the server certificate (PEM, chain after it)",
	  .flags = GG_OPT_REQUIRED | GG_OPT_FILE },
	{ "tls_key", GG_OPT_STRING, NULL, RC(tls_key),
	  .help = "the server certificate's private key (PEM)",
	  .flags = GG_OPT_REQUIRED | GG_OPT_FILE },
	{ "tls_client_ca", GG_OPT_STRING, NULL, RC(tls_client_ca),
	  .help = "CA certificates (PEM) partners' client certificates must chain to: every "
	  "request without a valid one is refused (403)", .flags = GG_OPT_REQUIRED | GG_OPT_FILE },
	{ "tls_crl", GG_OPT_STRING, NULL, RC(tls_crl),
	  .help = "CRLs (PEM) of tls_client_ca: a revoked client certificate is refused (403); "
	  "read at start", .flags = GG_OPT_FILE },
	{ "max_body_size", GG_OPT_SIZE, "1M", RC(max_body_size),
	  .help = "larger RID messages are refused (413), from Content-Length before any is "
	  "read; a gzip or deflate body is held to it decoded too",
	  .min = 1024, .max = 64 * 1024 * 1024 },
	{ "max_connections", GG_OPT_INT, "64", RC(max_connections),
	  .help = "connections served at once (TLS handshakes included); more are closed at once",
	  .min = 1, .max = 100000 },
	{ "timeout", GG_OPT_DURATION, "30s", RC(timeout_ms),
	  .help = "a connection idle this long is closed, a handshake left half open included "
	  "(slow senders cannot hold a slot)", .min = 1000, .max = 3600000 },
	{ "request_timeout", GG_OPT_DURATION, "60s", RC(request_timeout_ms),
	  .help = "a message's headers and body must be in this long after the connection "
	  "starts waiting for it, else the connection is cut off (a sender that trickles bytes "
	  "is never idle: slowloris)", .min = 1000, .max = 3600000 },
	{ "threads", GG_OPT_INT, "2", RC(threads),
	  .help = "libmicrohttpd threads that read requests and check certificates (messages are "
	  "read and spooled by one more)", .min = 1, .max = GG_HTTP_MAX_THREADS },
	GG_OPTIONS_END,
};
#undef RC

#define CO(field) offsetof(struct rid_counters, field)
static const struct gg_counter rid_counter_rows[] = {
	{ "requests", "requests received", CO(http.requests) },
	{ "status_2xx", "requests answered 2xx", CO(http.status_2xx) },
	{ "status_4xx", "requests answered 4xx", CO(http.status_4xx) },
	{ "status_5xx", "requests answered 5xx", CO(http.status_5xx) },
	{ "accepted", "messages answered 200 once their documents were committed", CO(accepted) },
	{ "records", "IODEF documents committed to the spool", CO(records) },
	{ "quarantined", "IODEF documents the engine refused, quarantined", CO(quarantined) },
	{ "malformed", "messages refused 400: not XML, not RID, not valid, unknown IODEF version",
	  CO(malformed) },
	{ "bad_certificate", "requests refused 403: no client certificate, or untrusted, "
	  "expired or revoked", CO(bad_certificate) },
	{ "unknown_partner", "requests refused 403: a valid certificate no [rid_partner] has",
	  CO(unknown_partner) },
	{ "disabled", "requests refused 403: the partner has enabled = no", CO(disabled) },
	{ "not_allowed", "messages refused 403: a MsgType the partner may not send",
	  CO(not_allowed) },
	{ "bad_signature", "messages refused 403: XML Signature missing (required) or not valid",
	  CO(bad_signature) },
	{ "bad_method", "requests other than POST (405)", CO(bad_method) },
	{ "bad_type", "requests whose Content-Type is not XML, or names a charset gridgate cannot "
	  "read (415)", CO(bad_type) },
	{ "too_large", "bodies over max_body_size (413)", CO(http.too_large) },
	{ "length_required", "POSTs without a length (411)", CO(http.length_required) },
	{ "bad_encoding", "bodies in a coding not decoded (415) or that do not decode (400)",
	  CO(http.coded) },
	{ "rate_limited", "messages over the partner's rate_limit (503 + Retry-After)",
	  CO(rate_limited) },
	{ "timeouts", "requests cut at the timeout: a sender that stalled", CO(http.timeouts) },
	{ "cut_off", "connections cut off at request_timeout (slow senders)", CO(http.cut_off) },
	{ "over_limit", "connections closed at once: max_connections were open",
	  CO(http.over_limit) },
	{ "bad_framing", "requests framed as RFC 9112 forbids (two Content-Length, a transfer "
	  "coding other than chunked, no Host): 400 or 501, connection closed",
	  CO(http.bad_framing) },
	{ "aborted", "requests that ended unanswered: the sender went away mid-way, or its "
	  "connection was cut off or idle too long", CO(http.aborted) },
	{ "busy", "requests answered 503 while the spool was full or unavailable", CO(busy) },
	GG_COUNTERS_END,
};
#undef CO

static int rid_check(const void *conf_ptr, const char **key, struct gg_error *err)
{
	const struct rid_conf *c = conf_ptr;
	int loopback;

	*key = "listen";
	if (gg_http_listen_check(c->listen, &loopback, err) != 0)
		return -EINVAL;
	*key = NULL;
	return 0;
}

/* text/xml (RFC 6546's), application/xml or application/rid+xml. */
static int xml_type(const char *type)
{
	size_t n;

	if (type == NULL)
		return 0;
	n = strcspn(type, "; \t");
	return (n == 8 && strncasecmp(type, "text/xml", n) == 0) ||
	       (n == 15 && strncasecmp(type, "application/xml", n) == 0) ||
	       (n == 19 && strncasecmp(type, "application/rid+xml", n) == 0);
}

/* The charset parameter of a media type (RFC 9110 5.6.6: name case-insensitive, value a token
 * or a quoted string) into out: 1, 0 when there is none, -1 when it is empty, unterminated or
 * longer than out holds. RFC 7303 section 3.2 makes it authoritative for XML media types:
 * without a byte order mark it says how the body is encoded, over the XML declaration. */
static int content_charset(const char *type, char *out, size_t size)
{
	for (const char *p = strchr(type, ';'); p != NULL; p = strchr(p, ';')) {
		const char *v;
		size_t n, len;

		p += 1 + strspn(p + 1, " \t");
		n = strcspn(p, "=;");
		if (p[n] != '=')
			continue;
		v = p + n + 1;
		len = *v == '"' ? strcspn(++v, "\"") : strcspn(v, "; \t");
		if (!(n == 7 && strncasecmp(p, "charset", 7) == 0)) {
			p = v + len;
			continue;
		}
		if (len == 0 || len >= size || (v[-1] == '"' && v[len] != '"'))
			return -1;
		memcpy(out, v, len);
		out[len] = '\0';
		return 1;
	}
	return 0;
}

/* A refusal made from the headers alone, logged within the listener's budget. The
 * certificate is looked at for the log line only (its verdict is not the refusal's), and
 * only when the line is logged: a flood of them costs no verification each. */
static int refuse_headers(struct rid_listener *l, struct gg_http_request *req, unsigned status,
			  const char *what, const char **why)
{
	struct gg_http_cert_identity id;
	struct gg_error e;

	if (gg_log_budget_allow(&l->refusals, l->input->name)) {
		(void)gg_http_client_cert(req, &id, &e);
		rid_log_refusal(l, req, &id, status, what);
	}
	*why = what;
	return (int)status;
}

/* Headers in: method, media type, and the client certificate, all before the body is read.
 * Which partner the certificate is, the worker decides (it owns the partner rules). */
static int rid_begin(void *ctx, struct gg_http_request *req, const char **why)
{
	struct rid_listener *l = ctx;
	const char *type = gg_http_header(req, "Content-Type");
	char charset[sizeof(((struct rid_job *)0)->charset)] = "";
	struct rid_job *job;
	struct gg_error e;

	if (strcmp(gg_http_method(req), "POST") != 0) {
		l->counters.bad_method++;
		return refuse_headers(l, req, 405, "RID messages are POSTed", why);
	}
	if (!xml_type(type)) {
		l->counters.bad_type++;
		return refuse_headers(l, req, 415, "Content-Type must be text/xml (RFC 6546)", why);
	}
	/* 415, as for a media type: the body is not read in a charset that cannot be. */
	if (content_charset(type, charset, sizeof(charset)) < 0 ||
	    (charset[0] != '\0' && !gg_xml_encoding_known(charset))) {
		l->counters.bad_type++;
		return refuse_headers(l, req, 415, "the Content-Type's charset is not one gridgate "
				      "can read", why);
	}
	if ((job = calloc(1, sizeof(*job))) == NULL) {
		*why = "out of memory";
		return 503;
	}
	memcpy(job->charset, charset, sizeof(charset));
	if (gg_http_client_cert(req, &job->id, &e) != 0) {
		l->counters.bad_certificate++;
		gg_log_warnx("%s: %s: refused: %s (subject '%s', sha256 %s)", l->input->name,
			     gg_http_peer(req), e.msg, job->id.subject[0] ? job->id.subject : "-",
			     job->id.sha256[0] ? job->id.sha256 : "-");
		free(job);
		*why = "a valid client certificate is required";
		return 403;
	}
	gg_http_request_set_data(req, job);
	return 0;
}

/* The body is in (the request suspended): to the worker, which now owns the job. */
static void rid_complete(void *ctx, struct gg_http_request *req)
{
	struct rid_listener *l = ctx;
	struct rid_job *job = gg_http_request_data(req);
	uint64_t one = 1;

	gg_http_request_set_data(req, NULL);
	job->req = req;
	pthread_mutex_lock(&l->lock);
	if (l->closed) {
		pthread_mutex_unlock(&l->lock);
		l->counters.busy++;
		rid_job_answer(job, 503, rid_error_body(503, "stopping"), 5);
		return;
	}
	*l->tail = job;
	l->tail = &job->next;
	pthread_mutex_unlock(&l->lock);
	(void)!write(l->queue_fd, &one, sizeof(one));
}

static void rid_release(void *data)
{
	free(data);
}

void rid_listener_post_rules(struct rid_listener *l, struct rid_partner *p,
			     struct rid_rules *rules)
{
	uint64_t one = 1;

	pthread_mutex_lock(&l->lock);
	for (size_t i = 0; i < l->n_partners; i++) {
		if (l->partners[i] == p) {
			rid_rules_free(l->pending[i]);
			l->pending[i] = rules;
			rules = NULL;
		}
	}
	pthread_mutex_unlock(&l->lock);
	rid_rules_free(rules); /* a partner this listener does not serve: nothing to apply */
	(void)!write(l->queue_fd, &one, sizeof(one));
}

/* Puts posted rules in force; the worker's (or, once it is joined, the stopping thread's). */
static void apply_rules(struct rid_listener *l)
{
	for (size_t i = 0; i < l->n_partners; i++) {
		struct rid_rules *fresh, *old = NULL;

		pthread_mutex_lock(&l->lock);
		fresh = l->pending[i];
		l->pending[i] = NULL;
		pthread_mutex_unlock(&l->lock);
		if (fresh == NULL)
			continue;
		old = l->partners[i]->rules;
		l->partners[i]->rules = fresh;
		rid_rules_free(old);
		gg_log_info("%s: [rid_partner:%s] rules in force (%s)", l->input->name,
			    l->partners[i]->input->name, fresh->enabled ? "enabled" : "disabled");
	}
}

static struct rid_job *take_jobs(struct rid_listener *l)
{
	struct rid_job *jobs;
	uint64_t v;

	(void)!read(l->queue_fd, &v, sizeof(v));
	pthread_mutex_lock(&l->lock);
	jobs = l->head;
	l->head = NULL;
	l->tail = &l->head;
	pthread_mutex_unlock(&l->lock);
	return jobs;
}

static void *rid_main(void *arg)
{
	struct rid_listener *l = arg;
	struct rid_job *jobs, *job;

	while (gg_input_thread_wait(&l->thread, l->queue_fd, -1) >= 0) {
		/* New rules first: a request that waited while a SIGHUP disabled its partner is
		 * refused. */
		apply_rules(l);
		jobs = take_jobs(l);
		while (jobs != NULL)
			rid_serve_round(l, &jobs);
	}
	/* Stopping: closed is set, no job comes any more; what waits is answered 503 (the
	 * partner retries), so every suspended request is resumed before the server stops. */
	jobs = take_jobs(l);
	while ((job = jobs) != NULL) {
		jobs = job->next;
		l->counters.busy++;
		rid_job_answer(job, 503, rid_error_body(503, "stopping"), 5);
	}
	return NULL;
}

void rid_listener_shutdown(struct rid_listener *l)
{
	if (l == NULL || !l->running)
		return;
	l->running = 0;
	pthread_mutex_lock(&l->lock);
	l->closed = 1;
	pthread_mutex_unlock(&l->lock);
	gg_input_thread_stop(&l->thread);
	gg_http_server_free(l->http);
	l->http = NULL;
	gg_log_budget_flush(&l->refusals, l->input->name);
	apply_rules(l); /* the worker is gone: rules posted meanwhile go to their partners */
	for (size_t i = 0; i < l->n_partners; i++) {
		gg_emitter_free(l->emitters[i]);
		l->emitters[i] = NULL;
		l->partners[i]->bound = NULL;
	}
}

static void listener_free(struct rid_listener *l)
{
	if (l == NULL)
		return;
	rid_listener_shutdown(l);
	rid_listener_unregister(l);
	gg_input_thread_close(&l->thread);
	gg_http_server_free(l->http);
	for (size_t i = 0; i < l->n_partners; i++) {
		gg_emitter_free(l->emitters[i]);
		rid_rules_free(l->pending[i]);
	}
	free(l->emitters);
	free(l->pending);
	free(l->partners);
	gg_rid_checker_free(l->checker);
	gg_rid_schema_free(l->schema);
	if (l->queue_fd >= 0)
		close(l->queue_fd);
	free(l->cert_pem);
	if (l->key_pem != NULL)
		OPENSSL_cleanse(l->key_pem, l->key_pem_len);
	free(l->key_pem);
	free(l->ca_pem);
	free(l->crl_pem);
	pthread_mutex_destroy(&l->lock);
	gg_log_budget_destroy(&l->refusals);
	free(l);
}

/* The RID and IODEF 2.0 schemas, and xmlsec for the partners' signatures. */
static int open_checker(struct rid_listener *l, struct gg_error *err)
{
	struct gg_pipeline *p = l->input->pipeline;
	int r;

	if ((r = gg_rid_signature_init(err)) != 0 ||
	    (r = gg_rid_schema_load(p->cfg->global.schema_dir, &l->schema, err)) != 0 ||
	    (r = gg_rid_checker_new(l->schema, p->schema, &l->checker, err)) != 0)
		return r;
	/* The body limit is the listener's; the depth limit is everyone's. */
	l->limits = (struct gg_xml_limits){ .max_bytes = (size_t)l->conf->max_body_size,
					    .max_depth = p->xml_limits.max_depth };
	return 0;
}

static int rid_open(struct gg_input *in, struct gg_error *err)
{
	struct rid_listener *l = calloc(1, sizeof(*l));
	const struct rid_conf *c = in->conf;
	struct gg_http_server_conf hc;
	struct gg_http_handler h;
	int fds[GG_HTTP_MAX_THREADS], r;

	if (l == NULL)
		return gg_error_set(err, -ENOMEM, "out of memory");
	pthread_mutex_init(&l->lock, NULL);
	gg_log_budget_init(&l->refusals, RID_REFUSALS_PER_SECOND);
	l->tail = &l->head;
	l->queue_fd = -1;
	l->input = in;
	l->conf = c;
	rid_listener_register(l, in->name);
	if ((r = gg_input_thread_init(&l->thread, err)) != 0)
		goto fail;
	if (in->mapper != NULL) {
		r = gg_error_set(err, -EINVAL, "RID messages carry IODEF: a listener takes no "
				 "mappings");
		goto fail;
	}
	if ((l->queue_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0) {
		r = gg_error_set(err, -errno, "eventfd: %s", strerror(errno));
		goto fail;
	}
	if ((r = gg_http_read_pem(c->tls_cert, &l->cert_pem, NULL, err)) != 0 ||
	    (r = gg_http_read_pem(c->tls_key, &l->key_pem, &l->key_pem_len, err)) != 0 ||
	    (r = gg_http_read_pem(c->tls_client_ca, &l->ca_pem, NULL, err)) != 0 ||
	    (c->tls_crl != NULL && (r = gg_http_read_pem(c->tls_crl, &l->crl_pem, NULL, err)) != 0))
		goto fail;
	if ((r = open_checker(l, err)) != 0)
		goto fail;
	if ((r = gg_http_listen(c->listen, (unsigned)c->threads, fds, err)) != 0)
		goto fail;
	hc = (struct gg_http_server_conf){
		.name = in->name,
		.cert_pem = l->cert_pem,
		.key_pem = l->key_pem,
		.client_ca_pem = l->ca_pem,
		.client_crl_pem = l->crl_pem,
		.max_body_size = (size_t)c->max_body_size,
		.max_connections = (unsigned)c->max_connections,
		.timeout_s = (unsigned)((c->timeout_ms + 999) / 1000),
		.request_timeout_ms = (uint64_t)c->request_timeout_ms,
		.threads = (unsigned)c->threads,
		.counters = &l->counters.http,
		.content_type = "text/xml; charset=utf-8",
		.error_body = rid_error_body,
	};
	h = (struct gg_http_handler){ .ctx = l, .begin = rid_begin, .complete = rid_complete,
				      .release = rid_release };
	memcpy(hc.listen_fds, fds, (size_t)c->threads * sizeof(*fds));
	if ((r = gg_http_server_new(&hc, &h, &l->http, err)) != 0)
		goto fail;
	in->state = l;
	return 0;
fail:
	listener_free(l);
	return r;
}

/* Binds the partners that name this listener (every instance is open by now) and gives each
 * an emitter. (Two partners one certificate would match never get here: the configuration
 * refuses them, partner_check_pair.) */
static int rid_bind(struct rid_listener *l, struct gg_error *err)
{
	const char *name = l->input->name;
	size_t n = rid_partners_of(name, NULL, 0);

	if (n == 0)
		return gg_error_set(err, -EINVAL, "no [rid_partner:NAME] section says rid = %s", name);
	l->partners = calloc(n, sizeof(*l->partners));
	l->emitters = calloc(n, sizeof(*l->emitters));
	l->pending = calloc(n, sizeof(*l->pending));
	if (l->partners == NULL || l->emitters == NULL || l->pending == NULL)
		return gg_error_set(err, -ENOMEM, "out of memory");
	l->n_partners = rid_partners_of(name, l->partners, n);
	for (size_t i = 0; i < n; i++) {
		int r;

		if ((r = gg_emitter_new(l->partners[i]->input, &(struct gg_emitter_opts){ 0 },
					&l->emitters[i], err)) != 0)
			return r;
	}
	return 0;
}

static int rid_start(struct gg_input *in, struct gg_error *err)
{
	struct rid_listener *l = in->state;
	int r;

	if ((r = rid_bind(l, err)) != 0)
		return r;
	if ((r = gg_input_thread_start(&l->thread, rid_main, l, err)) != 0)
		return r;
	l->running = 1;
	for (size_t i = 0; i < l->n_partners; i++)
		l->partners[i]->bound = l;
	if ((r = gg_http_server_start(l->http, err)) != 0) {
		rid_listener_shutdown(l);
		return r;
	}
	gg_log_info("%s: listening on %s (RID over https, client certificates%s), %zu "
		    "partner(s)", in->name, l->conf->listen, l->crl_pem ? " and CRL" : "",
		    l->n_partners);
	return 0;
}

static void rid_stop(struct gg_input *in)
{
	struct rid_listener *l = in->state;

	if (l == NULL)
		return;
	rid_listener_shutdown(l);
}

static void rid_free(struct gg_input *in)
{
	listener_free(in->state);
	in->state = NULL;
}

static const void *rid_counters_of(const struct gg_input *in)
{
	const struct rid_listener *l = in->state;

	return &l->counters;
}

const struct gg_adapter gg_in_rid = {
	.name = "rid",
	.desc = "RID over HTTPS (RFC 6545 messages, RFC 6546 transport): partners POST RID "
		"messages with client certificates; who may send what is [rid_partner:NAME]",
	.options = rid_options,
	.conf_size = sizeof(struct rid_conf),
	.check = rid_check,
	.open = rid_open,
	.start = rid_start,
	.stop = rid_stop,
	.free = rid_free,
	.counters = rid_counter_rows,
	.counters_of = rid_counters_of,
	/* Its partners give its name as their group. */
	.group = gg_plugin_group_self,
};
