/* rid_serve.h: the RID listener's state, shared by its HTTP side (in_rid.c: libmicrohttpd's
 * threads, the queue, the lifecycle) and its worker's handling of a message (rid_serve.c:
 * partner, policy, parse, signature, spool, reply). */
#ifndef GG_RID_SERVE_H
#define GG_RID_SERVE_H

#include <pthread.h>
#include <stdatomic.h>

#include "base/input_thread.h"
#include "base/log_budget.h"
#include "engine/emit.h"
#include "in_rid/rid.h"

struct rid_conf {
	char *listen;
	char *tls_cert;
	char *tls_key;
	char *tls_client_ca;
	char *tls_crl;
	int64_t max_body_size;
	int64_t max_connections;
	int64_t timeout_ms;
	int64_t request_timeout_ms;
	int64_t threads;
};

struct rid_counters {
	struct gg_http_counters http;
	atomic_uint_fast64_t accepted;        /* messages answered 200 after their commit */
	atomic_uint_fast64_t records;         /* documents committed to the spool */
	atomic_uint_fast64_t quarantined;     /* documents the engine refused */
	atomic_uint_fast64_t malformed;       /* 400: not RID, invalid, unknown IODEF version */
	atomic_uint_fast64_t bad_certificate; /* 403: none, untrusted, expired, revoked */
	atomic_uint_fast64_t unknown_partner; /* 403: a good certificate no partner has */
	atomic_uint_fast64_t disabled;        /* 403: enabled = no */
	atomic_uint_fast64_t not_allowed;     /* 403: a MsgType the partner may not send */
	atomic_uint_fast64_t bad_signature;   /* 403: missing (required) or not valid */
	atomic_uint_fast64_t bad_method;      /* 405 */
	atomic_uint_fast64_t bad_type;        /* 415: not XML, or an unknown charset */
	atomic_uint_fast64_t rate_limited;    /* 503: over the partner's rate_limit */
	atomic_uint_fast64_t busy;            /* 503: spool full or unavailable, stopping */
};

/* One request, from the headers (the certificate's identity) to its answer. */
struct rid_job {
	struct rid_job *next;
	struct gg_http_request *req;
	struct gg_http_cert_identity id;
	char charset[48]; /* the Content-Type's charset, "" when none: decides the encoding */
	/* Worker only, once the job is screened: the partner, the message, its records' origin
	 * and each document's outcome. */
	size_t partner;
	struct gg_rid_message *msg;
	char origin[128];
	enum gg_emit_outcome *outcomes;
};

struct rid_listener {
	struct gg_input *input;
	const struct rid_conf *conf;
	char *cert_pem, *key_pem, *ca_pem, *crl_pem;
	size_t key_pem_len;
	struct gg_http_server *http;
	struct gg_rid_schema *schema;
	struct gg_rid_checker *checker; /* the worker's */
	struct gg_xml_limits limits;
	struct rid_partner **partners;  /* bound at start */
	struct gg_emitter **emitters;   /* one per partner, used by the worker only */
	size_t n_partners;
	struct gg_input_thread thread;
	int queue_fd; /* eventfd: jobs or new rules waiting */
	pthread_mutex_t lock;
	struct rid_job *head, **tail;
	struct rid_rules **pending; /* per partner: rules a SIGHUP posted, under lock */
	int closed;                 /* no more jobs: stopping */
	int running;
	struct rid_counters counters;
	/* Refusals a peer can repeat at will, logged within this (RID_REFUSALS_PER_SECOND). */
	struct gg_log_budget refusals;
};

/* A listener logs at most this many refusals of the kinds rid_log_refusal logs a second. */
#define RID_REFUSALS_PER_SECOND 5

/* Answers a job (status, body taken; Retry-After when retry_after > 0) and frees it. */
void rid_job_answer(struct rid_job *job, unsigned status, char *body, unsigned retry_after);
void rid_job_free(struct rid_job *job);
/* A RID Acknowledgement with only a RequestStatus Denied (no message to echo): the body of
 * every refusal made before a message could be read, justified by the HTTP status. */
char *rid_error_body(unsigned status, const char *why);
/* Logs (info) a refusal a peer can repeat at will, within the listener's budget: the peer,
 * the status and what was wrong, and the certificate's subject and fingerprint when one was
 * sent (id NULL: not looked at). The caller asked the budget (gg_log_budget_allow) first. */
void rid_log_refusal(const struct rid_listener *l, const struct gg_http_request *req,
		     const struct gg_http_cert_identity *id, unsigned status, const char *what);
/* One group commit over the queued jobs: screens each (partner, rules, parse, signature),
 * emits the documents of those that pass, commits per partner, and only then answers. */
void rid_serve_round(struct rid_listener *l, struct rid_job **list);

#endif
