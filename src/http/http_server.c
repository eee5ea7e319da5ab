/* http_server.c: libmicrohttpd (GnuTLS) serving requests whose bodies are held in memory and
 * answered from any thread through suspend/resume. */
#include "http/http_server.h"

#include <errno.h>
#include <stdarg.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <jansson.h>
#include <microhttpd.h>

#include "base/digest.h"
#include "base/log.h"
#include "http/http_coding.h"
#include "http/http_deadline.h"
#include "http/http_framing.h"

/* TLS 1.2 and 1.3 only, GnuTLS's NORMAL ciphers. */
#define HTTP_TLS_PRIORITIES "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"

struct gg_http_server {
	struct gg_http_server_conf conf;
	struct gg_http_handler handler;
	/* n daemons, each on conf.listen_fds[i] (-1 once the daemon owns it) */
	struct MHD_Daemon *mhd[GG_HTTP_MAX_THREADS];
	unsigned n;
	struct gg_http_deadlines *deadlines;
	/* Connections open on all the daemons: max_connections holds for their sum. */
	atomic_uint live;
	/* The client CA and its CRLs: libmicrohttpd only asks for a certificate, this list is
	 * what it is verified against. NULL without a client CA. */
	gnutls_x509_trust_list_t trust;
};

/* What a connection keeps from one request to the next. */
struct http_conn {
	struct gg_http_deadline *deadline; /* NULL when it has none */
	/* The last verdict on the client's certificate chain. A keep-alive connection presents
	 * the same chain on every request, and verifying it (signatures, ASN.1) cost as much
	 * CPU as the rest of a RID request; so it is kept, keyed by the chain's digest (a
	 * renegotiation may change the chain) and for CERT_VERDICT_NS at most (validity dates
	 * move on, a certificate expires mid-connection). */
	int cert_known;
	unsigned char cert_digest[32];
	uint64_t cert_at_ns;
	int cert_result;
	struct gg_http_cert_identity cert_id;
	char cert_why[sizeof(((struct gg_error *)0)->msg)];
};

/* How long a connection's certificate verdict stands. */
#define CERT_VERDICT_NS 1000000000ull

struct gg_http_request {
	struct gg_http_server *server;
	struct MHD_Connection *conn;
	struct http_conn *hc; /* the connection's, NULL when it has none (out of memory) */
	const char *method; /* libmicrohttpd's, valid for the request */
	const char *path;
	char peer[NI_MAXHOST];
	unsigned char peer_key[GG_HTTP_RATE_KEY_MAX];
	size_t peer_key_len;
	char *body;
	size_t len, cap;
	int too_large;  /* the body went over max_body_size while it streamed in */
	int coding;     /* its Content-Encoding (enum gg_http_coding): decoded once it is in */
	int coded;      /* refused for its Content-Encoding */
	int close;      /* its framing cannot be trusted: the connection closes after the answer */
	int suspended;  /* handed to complete: only gg_http_answer resumes it */
	void *data;
	const char *challenge; /* a 401's WWW-Authenticate, NULL: the server's */
	/* The answer, set by gg_http_answer before the resume (whose lock orders the writes). */
	int answered;
	unsigned status;
	char *answer;
	unsigned retry_after;
};

const char *gg_http_method(const struct gg_http_request *req) { return req->method; }
const char *gg_http_path(const struct gg_http_request *req) { return req->path; }
const char *gg_http_peer(const struct gg_http_request *req) { return req->peer; }
void gg_http_request_set_data(struct gg_http_request *req, void *data) { req->data = data; }
void *gg_http_request_data(const struct gg_http_request *req) { return req->data; }
void gg_http_request_set_challenge(struct gg_http_request *req, const char *challenge)
{
	req->challenge = challenge;
}

const char *gg_http_header(const struct gg_http_request *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

struct http_args {
	struct gg_http_arg *out;
	size_t max, n;
};

static enum MHD_Result http_arg(void *cls, enum MHD_ValueKind kind, const char *key,
				const char *value)
{
	struct http_args *a = cls;

	(void)kind;
	if (a->n < a->max)
		a->out[a->n] = (struct gg_http_arg){ key, value };
	a->n++;
	return MHD_YES;
}

size_t gg_http_args(const struct gg_http_request *req, struct gg_http_arg *out, size_t max)
{
	struct http_args a = { out, max, 0 };

	MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, http_arg, &a);
	return a.n;
}

const char *gg_http_body(const struct gg_http_request *req, size_t *len)
{
	*len = req->len;
	return req->body != NULL ? req->body : "";
}

char *gg_http_error_body(unsigned status, const char *error)
{
	json_t *o = json_pack("{s:i,s:s}", "status", (int)status, "error", error);
	char *s = o != NULL ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;

	json_decref(o);
	return s;
}

/* Queues an answer on the connection and counts its class. */
static enum MHD_Result http_send(struct gg_http_request *req, unsigned status, char *body,
				 unsigned retry_after)
{
	struct gg_http_counters *c = req->server->conf.counters;
	struct MHD_Response *resp;
	enum MHD_Result r;
	char ra[16];

	if (body == NULL)
		body = strdup("");
	if (body == NULL)
		return MHD_NO;
	resp = MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_FREE);
	if (resp == NULL) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
				req->server->conf.content_type != NULL ? req->server->conf.content_type
									: "application/json");
	if (req->close)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
	if (retry_after > 0) {
		snprintf(ra, sizeof(ra), "%u", retry_after);
		MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, ra);
	}
	if (status == 405)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, req->server->conf.allow != NULL
								      ? req->server->conf.allow : "POST");
	if (status == 401 && (req->challenge != NULL || req->server->conf.www_authenticate != NULL))
		MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
					req->challenge != NULL ? req->challenge
							       : req->server->conf.www_authenticate);
	/* Tells a coding refused from a media type refused (RFC 9110, 12.5.3). */
	if (status == 415 && req->coded)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ACCEPT_ENCODING,
					GG_HTTP_CODINGS_ACCEPTED);
	r = MHD_queue_response(req->conn, status, resp);
	MHD_destroy_response(resp);
	if (status >= 500)
		c->status_5xx++;
	else if (status >= 400)
		c->status_4xx++;
	else
		c->status_2xx++;
	if (status == 413)
		c->too_large++;
	else if (status == 411)
		c->length_required++;
	else if (status == 429)
		c->rate_limited++;
	if (req->coded)
		c->coded++;
	return r;
}

static enum MHD_Result http_refuse(struct gg_http_request *req, unsigned status, const char *why,
				   unsigned retry_after)
{
	char *(*body)(unsigned, const char *) = req->server->conf.error_body;

	return http_send(req, status, (body != NULL ? body : gg_http_error_body)(status, why),
			 retry_after);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The peer's numeric address, and its rate-limit key (the address without the port). */
static void http_peer(struct gg_http_request *req)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(req->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci != NULL ? ci->client_addr : NULL;

	snprintf(req->peer, sizeof(req->peer), "unknown");
	req->peer_key[0] = 0;
	req->peer_key_len = 1;
	if (sa == NULL)
		return;
	if (sa->sa_family == AF_INET) {
		getnameinfo(sa, sizeof(struct sockaddr_in), req->peer, sizeof(req->peer), NULL, 0,
			    NI_NUMERICHOST);
		req->peer_key[0] = 4;
		memcpy(req->peer_key + 1, &((const struct sockaddr_in *)sa)->sin_addr, 4);
		req->peer_key_len = 5;
	} else if (sa->sa_family == AF_INET6) {
		getnameinfo(sa, sizeof(struct sockaddr_in6), req->peer, sizeof(req->peer), NULL, 0,
			    NI_NUMERICHOST);
		req->peer_key[0] = 6;
		memcpy(req->peer_key + 1, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
		req->peer_key_len = 17;
	}
}

/* The checks that need only the headers: rate, length, coding, then the handler's own. */
static enum MHD_Result http_begin(struct gg_http_request *req, const char *version)
{
	const struct gg_http_server_conf *conf = &req->server->conf;
	const char *cl, *te, *why = NULL;
	unsigned wait, framing;
	int status;

	conf->counters->requests++;
	if ((framing = gg_http_framing_check(req->conn, version, &why)) != 0) {
		conf->counters->bad_framing++;
		req->close = 1;
		return http_refuse(req, framing, why, 0);
	}
	if (conf->rate != NULL &&
	    (wait = gg_http_rate_take(conf->rate, req->peer_key, req->peer_key_len, now_ns())) > 0)
		return http_refuse(req, 429, "over the rate limit", wait);
	if (strcmp(req->method, MHD_HTTP_METHOD_POST) == 0) {
		cl = gg_http_header(req, MHD_HTTP_HEADER_CONTENT_LENGTH);
		te = gg_http_header(req, MHD_HTTP_HEADER_TRANSFER_ENCODING);
		/* The framing check let Transfer-Encoding through only as "chunked" alone. */
		if (cl == NULL && te == NULL)
			return http_refuse(req, 411, "a POST needs Content-Length or a chunked body", 0);
		/* Refused before a byte of the body is read. */
		if (cl != NULL && strtoull(cl, NULL, 10) > conf->max_body_size)
			return http_refuse(req, 413, "the body is over max_body_size", 0);
		/* The handlers read JSON or XML text: a coding not decoded here would be refused
		 * for what it is not ("NUL byte in the body"); say what is wrong instead. */
		req->coding = gg_http_coding_parse(
			gg_http_header(req, MHD_HTTP_HEADER_CONTENT_ENCODING));
		if (req->coding < 0) {
			req->coded = 1;
			return http_refuse(req, 415, "Content-Encoding is not accepted: gzip, deflate "
					   "or none", 0);
		}
	}
	status = req->server->handler.begin(req->server->handler.ctx, req, &why);
	if (status != 0)
		return http_refuse(req, (unsigned)status, why != NULL ? why : "refused", 0);
	return MHD_YES;
}

static int http_append(struct gg_http_request *req, const char *data, size_t n)
{
	size_t max = req->server->conf.max_body_size;

	if (req->too_large || req->len + n > max) {
		/* A chunked body over the limit: read on (libmicrohttpd cannot answer while
		 * the body streams in) but keep nothing, and answer 413 at its end. */
		req->too_large = 1;
		return 0;
	}
	if (req->len + n > req->cap) {
		size_t cap = req->cap ? req->cap : 4096;
		char *p;

		while (cap < req->len + n)
			cap *= 2;
		if (cap > max)
			cap = max;
		if ((p = realloc(req->body, cap)) == NULL)
			return -ENOMEM;
		req->body = p;
		req->cap = cap;
	}
	memcpy(req->body + req->len, data, n);
	req->len += n;
	return 0;
}

/* The body in its coding, replaced by what it decodes to (max_body_size at most): the
 * handler, and a signature check, see the content the sender encoded. */
static int http_decode(struct gg_http_request *req)
{
	char *plain;
	size_t len;
	int r = gg_http_decode((enum gg_http_coding)req->coding, req->body != NULL ? req->body : "",
			       req->len, req->server->conf.max_body_size, &plain, &len);

	if (r != 0)
		return r;
	free(req->body);
	req->body = plain;
	req->len = req->cap = len;
	req->coding = GG_HTTP_CODING_IDENTITY;
	return 0;
}

static enum MHD_Result http_access(void *cls, struct MHD_Connection *conn, const char *url,
				   const char *method, const char *version,
				   const char *upload_data, size_t *upload_data_size,
				   void **con_cls)
{
	struct gg_http_server *s = cls;
	struct gg_http_request *req = *con_cls;
	const union MHD_ConnectionInfo *ci;

	if (req == NULL) {
		if ((req = calloc(1, sizeof(*req))) == NULL)
			return MHD_NO;
		req->server = s;
		req->conn = conn;
		req->method = method;
		req->path = url;
		*con_cls = req;
		ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
		req->hc = ci != NULL ? ci->socket_context : NULL;
		http_peer(req);
		return http_begin(req, version);
	}
	if (*upload_data_size > 0) {
		if (http_append(req, upload_data, *upload_data_size) != 0)
			return MHD_NO;
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (req->answered) {
		req->answered = 0;
		return http_send(req, req->status, req->answer, req->retry_after);
	}
	/* The request is in: from here on only this side is taking time. */
	if (req->hc != NULL && req->hc->deadline != NULL)
		gg_http_deadline_disarm(s->deadlines, req->hc->deadline);
	if (req->too_large)
		return http_refuse(req, 413, "the body is over max_body_size", 0);
	if (req->coding != GG_HTTP_CODING_IDENTITY) {
		int r = http_decode(req);

		if (r == -ENOMEM)
			return MHD_NO;
		if (r == -E2BIG)
			return http_refuse(req, 413, "the body decoded is over max_body_size", 0);
		if (r != 0) {
			req->coded = 1;
			return http_refuse(req, 400, "the body is not in its Content-Encoding", 0);
		}
	}
	if (req->suspended)
		return MHD_YES; /* cannot happen: a suspended request is not served */
	/* Suspended before the handler sees it: an answer from another thread may come at
	 * once, and resuming a request that is not suspended yet would be lost. */
	req->suspended = 1;
	MHD_suspend_connection(conn);
	s->handler.complete(s->handler.ctx, req);
	return MHD_YES;
}

void gg_http_answer(struct gg_http_request *req, unsigned status, char *body,
		    unsigned retry_after)
{
	req->status = status;
	req->answer = body;
	req->retry_after = retry_after;
	req->answered = 1;
	MHD_resume_connection(req->conn);
}

static void http_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			   enum MHD_RequestTerminationCode toe)
{
	struct gg_http_request *req = *con_cls;

	if (req == NULL)
		return;
	if (toe == MHD_REQUEST_TERMINATED_TIMEOUT_REACHED)
		req->server->conf.counters->timeouts++;
	if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK &&
	    toe != MHD_REQUEST_TERMINATED_DAEMON_SHUTDOWN) {
		req->server->conf.counters->aborted++;
		gg_log_debug("%s: %s: request ended early (%d)", req->server->conf.name, req->peer,
			     (int)toe);
	}
	if (req->data != NULL && req->server->handler.release != NULL)
		req->server->handler.release(req->data);
	/* A kept-alive connection now waits for its next request. */
	if (req->hc != NULL && req->hc->deadline != NULL)
		gg_http_deadline_arm(req->server->deadlines, req->hc->deadline);
	free(req->body);
	free(req);
	*con_cls = NULL;
}

/* Over max_connections a connection is closed as it is accepted (before any TLS), counted:
 * libmicrohttpd's own limit stops accepting instead, which leaves senders hanging in the
 * listen backlog until their timeout. */
static enum MHD_Result http_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
	struct gg_http_server *s = cls;

	(void)addr, (void)addrlen;
	if (atomic_load(&s->live) < s->conf.max_connections)
		return MHD_YES;
	s->conf.counters->over_limit++;
	return MHD_NO;
}

/* Every connection gets its state (a request deadline, the certificate verdict) from its
 * start, and loses it at its close. */
static void http_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
			    enum MHD_ConnectionNotificationCode code)
{
	struct gg_http_server *s = cls;
	const union MHD_ConnectionInfo *ci;
	struct http_conn *hc;

	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		atomic_fetch_add(&s->live, 1);
		ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
		if ((hc = calloc(1, sizeof(*hc))) != NULL && ci != NULL)
			hc->deadline = gg_http_deadline_add(s->deadlines, ci->connect_fd);
		*socket_context = hc;
	} else {
		atomic_fetch_sub(&s->live, 1);
		if ((hc = *socket_context) != NULL) {
			gg_http_deadline_remove(s->deadlines, hc->deadline);
			free(hc);
			*socket_context = NULL;
		}
	}
}

/* libmicrohttpd's own messages (TLS handshakes that fail, peers that vanish) are caused by
 * peers: debug level, so a flood of them cannot fill the log. */
static void http_log(void *cls, const char *fmt, va_list ap)
{
	struct gg_http_server *s = cls;
	char msg[512];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	gg_log_debug("%s: libmicrohttpd: %s", s->conf.name, msg);
}

/* The number of CRLs in a PEM text, or <0 when it does not parse. */
static int crl_count(const gnutls_datum_t *pem)
{
	gnutls_x509_crl_t *crls = NULL;
	unsigned n = 0;
	int r = gnutls_x509_crl_list_import2(&crls, &n, pem, GNUTLS_X509_FMT_PEM, 0);

	if (r < 0)
		return r;
	for (unsigned i = 0; i < n; i++)
		gnutls_x509_crl_deinit(crls[i]);
	gnutls_free(crls);
	return (int)n;
}

/* The client CA's trust list, with its CRLs; a CRL that the CA did not sign would revoke
 * nothing, so it is an error rather than a silent gap. */
static int http_trust_new(struct gg_http_server *s, struct gg_error *err)
{
	const struct gg_http_server_conf *c = &s->conf;
	gnutls_datum_t ca = { (unsigned char *)c->client_ca_pem,
			      (unsigned)strlen(c->client_ca_pem) };
	gnutls_datum_t crl = { (unsigned char *)c->client_crl_pem,
			       c->client_crl_pem ? (unsigned)strlen(c->client_crl_pem) : 0 };
	int r, want;

	if (gnutls_x509_trust_list_init(&s->trust, 0) < 0)
		return gg_error_set(err, -ENOMEM, "out of memory");
	r = gnutls_x509_trust_list_add_trust_mem(s->trust, &ca, NULL, GNUTLS_X509_FMT_PEM, 0, 0);
	if (r <= 0)
		return gg_error_set(err, -EINVAL, "client CA: no certificate in it%s%s",
				    r < 0 ? ": " : "", r < 0 ? gnutls_strerror(r) : "");
	if (c->client_crl_pem == NULL)
		return 0;
	if ((want = crl_count(&crl)) <= 0)
		return gg_error_set(err, -EINVAL, "CRL: %s", want < 0 ? gnutls_strerror(want) :
				    "no CRL in it");
	r = gnutls_x509_trust_list_add_trust_mem(s->trust, NULL, &crl, GNUTLS_X509_FMT_PEM,
						 GNUTLS_TL_VERIFY_CRL, 0);
	if (r < want)
		return gg_error_set(err, -EINVAL, "CRL: %d of its %d CRL(s) not signed by a client "
				    "CA certificate", want - (r < 0 ? 0 : r), want);
	return 0;
}

int gg_http_server_new(const struct gg_http_server_conf *conf,
		       const struct gg_http_handler *handler, struct gg_http_server **out,
		       struct gg_error *err)
{
	struct gg_http_server *s = calloc(1, sizeof(*s));
	unsigned threads = conf->threads < 1 ? 1 : conf->threads > GG_HTTP_MAX_THREADS ?
			   GG_HTTP_MAX_THREADS : conf->threads;

	*out = NULL;
	if (s == NULL) {
		for (unsigned i = 0; i < threads; i++)
			close(conf->listen_fds[i]);
		return gg_error_set(err, -ENOMEM, "out of memory");
	}
	s->conf = *conf;
	s->handler = *handler;
	/* A daemon takes at least one connection: no more daemons than max_connections (a
	 * socket closed leaves the SO_REUSEPORT group, its share goes to the others). */
	s->n = threads < conf->max_connections ? threads : conf->max_connections;
	for (unsigned i = s->n; i < GG_HTTP_MAX_THREADS; i++) {
		if (i < threads)
			close(s->conf.listen_fds[i]);
		s->conf.listen_fds[i] = -1;
	}
	*out = s;
	if (conf->client_ca_pem != NULL)
		return http_trust_new(s, err);
	if (conf->client_crl_pem != NULL)
		return gg_error_set(err, -EINVAL, "a CRL without a client CA");
	return 0;
}

int gg_http_server_start(struct gg_http_server *s, struct gg_error *err)
{
	const struct gg_http_server_conf *c = &s->conf;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_ALLOW_SUSPEND_RESUME |
			 MHD_USE_ERROR_LOG;
	struct MHD_OptionItem tls[] = {
		{ MHD_OPTION_HTTPS_MEM_CERT, 0, (void *)c->cert_pem },
		{ MHD_OPTION_HTTPS_MEM_KEY, 0, (void *)c->key_pem },
		{ MHD_OPTION_HTTPS_PRIORITIES, 0, (void *)HTTP_TLS_PRIORITIES },
		{ c->client_ca_pem != NULL ? MHD_OPTION_HTTPS_MEM_TRUST : MHD_OPTION_END, 0,
		  (void *)c->client_ca_pem },
		{ MHD_OPTION_END, 0, NULL },
	};
	struct MHD_OptionItem none[] = { { MHD_OPTION_END, 0, NULL } };

	int r;

	if (c->cert_pem != NULL)
		flags |= MHD_USE_TLS;
	/* Zero would cut every connection at once: a listener must choose its deadline. */
	if (c->request_timeout_ms == 0)
		return gg_error_set(err, -EINVAL, "%s: no request_timeout", c->name);
	if ((r = gg_http_deadlines_new(c->request_timeout_ms, &c->counters->cut_off,
				       &s->deadlines, err)) != 0)
		return r;
	for (unsigned i = 0; i < s->n; i++) {
		/* http_accept holds max_connections over all the daemons; libmicrohttpd's own limit
		 * (which stops accepting) is above what the few accepts racing it could reach. */
		unsigned limit = c->max_connections + GG_HTTP_MAX_THREADS;

		s->mhd[i] = MHD_start_daemon(
			flags, 0, http_accept, s, http_access, s,
			MHD_OPTION_LISTEN_SOCKET, c->listen_fds[i],
			MHD_OPTION_CONNECTION_LIMIT, limit,
			MHD_OPTION_UNESCAPE_CALLBACK, gg_http_unescape, NULL,
			MHD_OPTION_CONNECTION_TIMEOUT, c->timeout_s,
			MHD_OPTION_NOTIFY_COMPLETED, http_completed, s,
			MHD_OPTION_NOTIFY_CONNECTION, http_connection, s,
			MHD_OPTION_EXTERNAL_LOGGER, http_log, s,
			MHD_OPTION_ARRAY, c->cert_pem != NULL ? tls : none,
			MHD_OPTION_END);
		if (s->mhd[i] == NULL)
			return gg_error_set(err, -EIO, "libmicrohttpd refused to start (certificate, "
					    "key or client CA not usable?)");
		s->conf.listen_fds[i] = -1; /* the daemon's now: it closes it */
	}
	return 0;
}

void gg_http_server_free(struct gg_http_server *s)
{
	if (s == NULL)
		return;
	/* A daemon closes every connection (each removes its deadline) before it returns. */
	for (unsigned i = 0; i < s->n; i++) {
		if (s->mhd[i] != NULL)
			MHD_stop_daemon(s->mhd[i]);
		if (s->conf.listen_fds[i] >= 0)
			close(s->conf.listen_fds[i]);
	}
	gg_http_deadlines_free(s->deadlines);
	if (s->trust != NULL)
		gnutls_x509_trust_list_deinit(s->trust, 1);
	free(s);
}

/* Subject, issuer (RFC 4514 order: get_dn2 keeps the DER order, which no openssl option
 * prints) and both fingerprints of the peer's certificate. */
static int cert_identity(gnutls_x509_crt_t crt, struct gg_http_cert_identity *id)
{
	gnutls_datum_t dn = { NULL, 0 }, idn = { NULL, 0 }, spki = { NULL, 0 };
	gnutls_pubkey_t pub = NULL;
	unsigned char fp[32];
	size_t fp_len = sizeof(fp);
	int r = -1;

	if (gnutls_x509_crt_get_dn3(crt, &dn, 0) < 0 ||
	    gnutls_x509_crt_get_issuer_dn3(crt, &idn, 0) < 0 ||
	    gnutls_x509_crt_get_fingerprint(crt, GNUTLS_DIG_SHA256, fp, &fp_len) < 0 ||
	    fp_len != sizeof(fp))
		goto out;
	snprintf(id->subject, sizeof(id->subject), "%s", (const char *)dn.data);
	snprintf(id->issuer, sizeof(id->issuer), "%s", (const char *)idn.data);
	gg_hex(fp, fp_len, id->sha256);
	if (gnutls_pubkey_init(&pub) < 0 || gnutls_pubkey_import_x509(pub, crt, 0) < 0 ||
	    gnutls_pubkey_export2(pub, GNUTLS_X509_FMT_DER, &spki) < 0 ||
	    gnutls_hash_fast(GNUTLS_DIG_SHA256, spki.data, spki.size, fp) < 0)
		goto out;
	gg_hex(fp, sizeof(fp), id->spki_sha256);
	r = 0;
out:
	gnutls_free(dn.data);
	gnutls_free(idn.data);
	gnutls_free(spki.data);
	gnutls_pubkey_deinit(pub);
	return r;
}

/* SHA-256 over the presented chain, each certificate's DER with its length. */
static int chain_digest(const gnutls_datum_t *peers, unsigned n, unsigned char out[32])
{
	gnutls_hash_hd_t h;

	if (gnutls_hash_init(&h, GNUTLS_DIG_SHA256) < 0)
		return -1;
	for (unsigned i = 0; i < n; i++)
		if (gnutls_hash(h, &peers[i].size, sizeof(peers[i].size)) < 0 ||
		    gnutls_hash(h, peers[i].data, peers[i].size) < 0) {
			gnutls_hash_deinit(h, NULL);
			return -1;
		}
	gnutls_hash_deinit(h, out);
	return 0;
}

/* Verifies the presented chain against the client CA and its CRLs. */
static int verify_chain(const struct gg_http_request *req, const gnutls_datum_t *peers,
			unsigned n, struct gg_http_cert_identity *id, struct gg_error *why)
{
	gnutls_x509_trust_list_t trust = req->server->trust;
	gnutls_x509_crt_t chain[16] = { NULL };
	gnutls_datum_t text = { NULL, 0 };
	unsigned status = 0, got = 0;
	int r;

	for (; got < n && got < 16; got++) {
		if (gnutls_x509_crt_init(&chain[got]) < 0 ||
		    gnutls_x509_crt_import(chain[got], &peers[got], GNUTLS_X509_FMT_DER) < 0) {
			got++;
			r = gg_error_set(why, -EPERM, "client certificate does not parse");
			goto out;
		}
	}
	if (cert_identity(chain[0], id) != 0) {
		r = gg_error_set(why, -EPERM, "client certificate does not parse");
		goto out;
	}
	/* libmicrohttpd only asked for the certificate; this is where it is checked: chain,
	 * dates and the CRLs. */
	r = gnutls_x509_trust_list_verify_crt2(trust, chain, got, NULL, 0, 0, &status, NULL);
	if (r < 0) {
		r = gg_error_set(why, -EPERM, "client certificate: %s", gnutls_strerror(r));
	} else if (status != 0) {
		if (gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509, &text, 0) ==
		    0)
			r = gg_error_set(why, -EPERM, "client certificate: %s",
					 (const char *)text.data);
		else
			r = gg_error_set(why, -EPERM, "client certificate not trusted");
		gnutls_free(text.data);
	}
out:
	for (unsigned i = 0; i < got; i++)
		gnutls_x509_crt_deinit(chain[i]);
	return r;
}

int gg_http_client_cert(const struct gg_http_request *req, struct gg_http_cert_identity *id,
			struct gg_error *why)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(req->conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	gnutls_session_t session = ci != NULL ? (gnutls_session_t)ci->tls_session : NULL;
	struct http_conn *hc = req->hc;
	const gnutls_datum_t *peers;
	unsigned char digest[32];
	unsigned n = 0;
	uint64_t now;
	int r;

	memset(id, 0, sizeof(*id));
	if (session == NULL)
		return gg_error_set(why, -EPERM, "no TLS session");
	if (req->server->trust == NULL)
		return gg_error_set(why, -EPERM, "no client CA to verify a certificate with");
	peers = gnutls_certificate_get_peers(session, &n);
	if (peers == NULL || n == 0)
		return gg_error_set(why, -EPERM, "no client certificate");
	if (hc == NULL || chain_digest(peers, n, digest) != 0)
		return verify_chain(req, peers, n, id, why);
	now = now_ns();
	if (hc->cert_known && now - hc->cert_at_ns < CERT_VERDICT_NS &&
	    memcmp(hc->cert_digest, digest, sizeof(digest)) == 0) {
		*id = hc->cert_id;
		return hc->cert_result == 0 ? 0 : gg_error_set(why, hc->cert_result, "%s",
								hc->cert_why);
	}
	r = verify_chain(req, peers, n, id, why);
	hc->cert_known = 1;
	memcpy(hc->cert_digest, digest, sizeof(digest));
	hc->cert_at_ns = now;
	hc->cert_result = r;
	hc->cert_id = *id;
	snprintf(hc->cert_why, sizeof(hc->cert_why), "%s",
		 r == 0 || why == NULL ? "" : why->msg);
	return r;
}
