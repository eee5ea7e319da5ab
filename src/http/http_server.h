/* http_server.h: the HTTP(S) plumbing webhook-style inputs share (the webhook input, later
 * RID): libmicrohttpd over TLS 1.2 or later, a body held in memory up to max_body_size
 * (refused from Content-Length before any of it is read), a per-peer rate limit, client
 * certificates verified on request, and requests answered from any thread: the server
 * suspends a request when its body is in and resumes it when the handler answers.
 *
 * A body in gzip or deflate (Content-Encoding) is decoded before the handler sees it, up to
 * max_body_size decoded (413 past it, 400 when it does not decode); another coding is refused
 * with 415 and Accept-Encoding (RFC 9110, 15.5.16) before any of it is read.
 *
 * A handler never blocks libmicrohttpd's threads: what takes time (the spool) is handed to
 * the input's own thread, which calls gg_http_answer. */
#ifndef GG_HTTP_SERVER_H
#define GG_HTTP_SERVER_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "http/http_rate.h"

struct gg_http_server;
struct gg_http_request;

/* Counted by the server, read by the input's counter rows. */
struct gg_http_counters {
	atomic_uint_fast64_t requests;
	atomic_uint_fast64_t status_2xx;
	atomic_uint_fast64_t status_4xx;
	atomic_uint_fast64_t status_5xx;
	atomic_uint_fast64_t too_large;       /* 413 */
	atomic_uint_fast64_t length_required; /* 411 */
	atomic_uint_fast64_t coded; /* bodies in a coding not decoded here (415), or broken (400) */
	atomic_uint_fast64_t rate_limited;    /* 429 */
	atomic_uint_fast64_t timeouts;        /* requests cut at timeout_s: stalled senders */
	atomic_uint_fast64_t cut_off;         /* connections past request_timeout_ms */
	atomic_uint_fast64_t over_limit;      /* connections closed at once: max_connections */
	atomic_uint_fast64_t bad_framing;     /* RFC 9112 framing refused (400, 501) */
	atomic_uint_fast64_t aborted;         /* requests that ended unanswered */
};

/* Most threads (libmicrohttpd daemons) a server runs. */
#define GG_HTTP_MAX_THREADS 64

struct gg_http_server_conf {
	const char *name; /* for the log */
	/* threads sockets from gg_http_listen; the server owns them from gg_http_server_new on */
	int listen_fds[GG_HTTP_MAX_THREADS];
	/* TLS: PEM text of the certificate (chain after it) and key; NULL cert: plain HTTP. The
	 * client CA makes the server ask for a certificate, which gg_http_client_cert checks. */
	const char *cert_pem;
	const char *key_pem;
	const char *client_ca_pem;
	/* CRLs (PEM) of the client CA: a revoked client certificate does not verify. */
	const char *client_crl_pem;
	size_t max_body_size;
	unsigned max_connections;
	unsigned timeout_s; /* idle connection timeout: silent senders lose their slot */
	/* From when a connection waits for a request until the request is all in: a sender
	 * that trickles bytes, never idle, is cut off all the same (http_deadline.h). */
	uint64_t request_timeout_ms;
	/* One libmicrohttpd daemon with one thread each, on its own socket: a thread pool over
	 * one socket (MHD_OPTION_THREAD_POOL_SIZE) with suspend/resume allowed left every
	 * keep-alive connection on one of its threads, while SO_REUSEPORT sockets get the
	 * kernel's even share. 1..GG_HTTP_MAX_THREADS. */
	unsigned threads;
	struct gg_http_rate *rate; /* NULL: no limit; the caller keeps it alive */
	struct gg_http_counters *counters;
	/* The answers' media type (NULL: application/json), and the body of the answers the
	 * server gives itself (411, 413, 429, a refusal from begin): NULL gg_http_error_body. */
	const char *content_type;
	char *(*error_body)(unsigned status, const char *why);
	/* The Allow header of a 405 (NULL: POST), and the WWW-Authenticate header every 401
	 * carries (NULL: none; RFC 9110 wants one, e.g. `Bearer realm="gridgate"`). */
	const char *allow;
	const char *www_authenticate;
};

struct gg_http_handler {
	void *ctx;
	/* The headers are in. Returns 0 to read the body, or an HTTP status to refuse the
	 * request with (*why says why, in the answer). Set per-request state with
	 * gg_http_request_set_data. */
	int (*begin)(void *ctx, struct gg_http_request *req, const char **why);
	/* The body is in and the request suspended: the handler answers it with gg_http_answer,
	 * now or later from any thread, exactly once. */
	void (*complete)(void *ctx, struct gg_http_request *req);
	/* Optional: frees the per-request data of a request that ends with it still set (one
	 * refused after begin, or whose peer went away before complete). A handler that takes
	 * the data over in complete sets it to NULL there. */
	void (*release)(void *data);
};

/* Creates the server on listen_fds (closed by it even on failure); it serves after
 * gg_http_server_start. */
int gg_http_server_new(const struct gg_http_server_conf *conf,
		       const struct gg_http_handler *handler, struct gg_http_server **out,
		       struct gg_error *err);
int gg_http_server_start(struct gg_http_server *s, struct gg_error *err);
/* Stops serving and closes every connection; every request handed to complete must have
 * been answered before. Takes NULL. */
void gg_http_server_free(struct gg_http_server *s);

/* n bound, listening sockets for "ADDRESS:PORT" or "[IPV6]:PORT" (numeric), with SO_REUSEPORT
 * when n > 1: the kernel shares new connections among them. */
int gg_http_listen(const char *addr, unsigned n, int *fds, struct gg_error *err);
/* Checks the form of a listen address; *loopback says whether it is 127.0.0.0/8 or ::1. */
int gg_http_listen_check(const char *addr, int *loopback, struct gg_error *err);
/* A PEM file whole, as libmicrohttpd takes it (text with its NUL), 1 MiB at most; *len (may
 * be NULL) gets its length, so a key can be wiped before it is freed. */
int gg_http_read_pem(const char *path, char **out, size_t *len, struct gg_error *err);

const char *gg_http_method(const struct gg_http_request *req);
const char *gg_http_path(const struct gg_http_request *req);
/* A request header's value, or NULL. */
const char *gg_http_header(const struct gg_http_request *req, const char *name);
const char *gg_http_peer(const struct gg_http_request *req); /* numeric address */
/* One argument of the query string, percent-decoded by libmicrohttpd; value is NULL for a
 * key without '=' ("?after"). */
struct gg_http_arg {
	const char *key;
	const char *value;
};
/* The query string's arguments in order, at most max of them into out; returns how many
 * there are (more than max: the rest were left out). Valid while the request is; call it
 * from begin (the connection's thread). */
size_t gg_http_args(const struct gg_http_request *req, struct gg_http_arg *out, size_t max);
const char *gg_http_body(const struct gg_http_request *req, size_t *len);
void gg_http_request_set_data(struct gg_http_request *req, void *data);
void *gg_http_request_data(const struct gg_http_request *req);
/* The WWW-Authenticate challenge a 401 of this request carries (a static string), in place of
 * the server's www_authenticate: routes of one server may ask for different credentials. */
void gg_http_request_set_challenge(struct gg_http_request *req, const char *challenge);

/* Who presented the verified client certificate. */
struct gg_http_cert_identity {
	char subject[256];    /* RFC 4514 string, as `openssl x509 -nameopt RFC2253` prints it */
	char issuer[256];     /* the same for its issuer */
	char sha256[65];      /* hex of the certificate's SHA-256 fingerprint */
	char spki_sha256[65]; /* hex SHA-256 of its SubjectPublicKeyInfo (survives a renewal) */
};
/* Verifies the client certificate against the client CA and its CRLs (chain, validity dates,
 * revocation): 0 with id filled, or -EPERM with why (no certificate, untrusted, expired,
 * revoked, no TLS); id's subject and sha256 are filled whenever a certificate was sent, so a
 * refusal can name it. The verdict is kept on the connection for a second, for the requests
 * that follow on it with the same chain: call it from begin (the connection's thread). */
int gg_http_client_cert(const struct gg_http_request *req, struct gg_http_cert_identity *id,
			struct gg_error *why);

/* Answers a suspended request and resumes it: body is JSON text the server takes (freed
 * after sending); retry_after > 0 adds Retry-After (seconds). From any thread. */
void gg_http_answer(struct gg_http_request *req, unsigned status, char *body,
		    unsigned retry_after);
/* {"status": N, "error": "..."}: a JSON error body (NULL when out of memory). */
char *gg_http_error_body(unsigned status, const char *error);

#endif
