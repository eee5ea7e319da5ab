/* pull.h: what the pull plugin's files share: the instance, its options and counters, and a
 * request handed from libmicrohttpd's threads to the session's thread. libstrophe is not
 * thread-safe, so every retrieval runs on the one thread that owns the session
 * (pull_grid.c); libmicrohttpd's threads check and parse (in_pull.c), queue the request
 * (mutex + eventfd) and leave it suspended until that thread answers. */
#ifndef GG_PULL_H
#define GG_PULL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "base/input_thread.h"
#include "engine/adapter.h"
#include "grid/grid_conf.h"
#include "grid/grid_subscribe.h"
#include "http/http_server.h"

struct pull_conf {
	char *listen;
	char *tls_cert;
	char *tls_key;
	char *tls_client_ca;
	char *auth;
	char *token_file;
	char *topics;
	int64_t limit;
	int64_t max_limit;
	int64_t max_answer_size;
	int64_t max_connections;
	int64_t timeout_ms;
	int64_t request_timeout_ms;
	int64_t threads;
	char *jid;
	char *password_file;
	char *client_cert;
	char *client_key;
	char *host;
	int64_t port;
	char *ca_file;
	char *pubsub_service;
	int64_t reconnect_min_ms;
	int64_t reconnect_max_ms;
	int64_t iq_timeout_ms;
};

struct pull_counters {
	struct gg_http_counters http;
	atomic_uint_fast64_t pages;        /* 200 */
	atomic_uint_fast64_t items;        /* items in those pages */
	atomic_uint_fast64_t fetches;      /* retrievals from the controller */
	atomic_uint_fast64_t bad_request;  /* 400 */
	atomic_uint_fast64_t auth_failed;  /* 401, 403 */
	atomic_uint_fast64_t not_found;    /* 404 */
	atomic_uint_fast64_t bad_method;   /* 405 */
	atomic_uint_fast64_t gone;         /* 410: the cursor left the topic */
	atomic_uint_fast64_t unavailable;  /* 503: no session */
	atomic_uint_fast64_t grid_errors;  /* 502, 504: the controller refused or did not answer */
	atomic_uint_fast64_t reconnects;
};

/* A request for the session's thread. */
struct pull_job {
	struct pull_job *next;
	struct gg_http_request *req;
	char *topic;
	char *after; /* NULL: from the oldest item */
	size_t limit;
};

struct pull {
	struct gg_input *in;
	const struct pull_conf *conf;
	struct gg_grid_strv topics; /* what may be read */
	unsigned char *token;       /* auth = bearer, wiped when freed */
	size_t token_len;
	int client_cert;            /* auth = client_cert */
	char *cert_pem, *key_pem, *ca_pem;
	size_t key_pem_len;
	struct gg_http_server *http;
	/* The session's side, its thread's alone once started (pull_grid.c). */
	struct gg_xmpp_conf xc;
	char *password;
	struct gg_grid_session *session;
	struct gg_input_thread thread;
	/* The queue: libmicrohttpd's threads add, the session's thread takes. */
	int queue_fd; /* eventfd */
	pthread_mutex_t lock;
	struct pull_job *head, **tail;
	int closed;
	int running;
	struct pull_counters counters;
};

void pull_job_free(struct pull_job *job);
/* Answers the job's request (body: JSON the server takes) and frees the job. */
void pull_job_answer(struct pull *p, struct pull_job *job, unsigned status, char *body,
		     unsigned retry_after);
/* The session's thread. */
void *pull_grid_main(void *arg);

#endif
