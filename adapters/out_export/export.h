/* export.h: the HTTPS exporter's shared state: its options, counters, and what the plugin
 * (out_export.c) hands its thread (export_loop.c). */
#ifndef GG_EXPORT_H
#define GG_EXPORT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>

#include "engine/pipeline.h"
#include "engine/spool.h"
#include "out_export/export_filter.h"
#include "out_export/export_rid.h"

struct export_conf {
	char *url;
	char *method;
	char *ca_file;
	char *client_cert;
	char *client_key;
	char *pin_sha256;
	char *token_file;
	char *secret_file;
	int64_t timeout_ms;
	int64_t concurrency;
	char *format;
	char *severity;
	char *purpose;
	char *category;
	char *topics;
	int allow_restricted;
	int allow_http;
	int64_t max_attempts;
	int64_t max_age_ms;
	int64_t retry_min_ms;
	int64_t retry_max_ms;
	char *rid_node;
	char *rid_destination;
	char *rid_policy_region;
	char *rid_traffic_type;
	char *partner_cert_sha256;
	char *partner_spki_sha256;
	char *partner_subject;
	char *partner_issuer;
};

/* What a request carries (the format option). */
enum export_format {
	EXPORT_IODEF,      /* the document as published, application/xml */
	EXPORT_ENVELOPE,   /* {id, source, received[, topic, item, published], payload}, JSON */
	EXPORT_IODEF_JSON, /* the document as RFC 8727 JSON, application/json */
	EXPORT_RID_REPORT, /* a RID Report to a RID partner (RFC 6545, 6546), text/xml */
};

struct export_counters {
	atomic_uint_fast64_t sent;      /* requests started */
	atomic_uint_fast64_t delivered; /* answered 2xx */
	atomic_uint_fast64_t retried;   /* answered 408/425/429/5xx or not at all: again later */
	atomic_uint_fast64_t dead;      /* dead letters: refused for good, or given up */
	atomic_uint_fast64_t filtered;  /* records the filters kept from the endpoint */
	atomic_uint_fast64_t in_flight; /* requests on the wire now (a level, not a sum) */
};

/* One request slot: an easy handle kept for the output's life (its connection stays in the
 * multi handle's pool between requests) and the delivery it carries. */
struct export_slot {
	CURL *easy;
	int busy;
	int64_t seq;
	char id[65];
	int attempts;
	int64_t created;
	char *body;
	size_t body_len;
	struct curl_slist *headers;
	char retry_after[64]; /* the answer's Retry-After, "" when none */
	/* format = rid-report: the answer's body, read as RID (an Acknowledgement is a few
	 * hundred bytes; a longer one is not read as RID). */
	char answer[16384];
	size_t answer_len;
	int answer_cut; /* the body was longer than answer */
	char errbuf[CURL_ERROR_SIZE];
};

struct exporter {
	const char *name;
	struct gg_pipeline *pipeline;
	const struct export_conf *conf;
	int wake_fd;
	struct gg_spool *spool;
	struct export_filter *filter;
	enum export_format format;
	struct export_rid *rid;         /* format = rid-report, else NULL */
	struct export_partner *partner; /* the endpoint's expected certificate, or NULL */
	unsigned char *secret; /* Standard Webhooks key, NULL without secret_file */
	size_t secret_len;
	char *bearer; /* "Authorization: Bearer TOKEN", NULL without token_file */
	char *pin;    /* CURLOPT_PINNEDPUBLICKEY: "sha256//A;sha256//B" */
	CURLM *multi;
	struct export_slot *slots;
	size_t n_slots;
	int64_t *done; /* deliveries to mark done in the next transaction (thread only) */
	pthread_t thread;
	atomic_int stop;
	struct export_counters counters;
};

/* Prepares the slots' easy handles and the multi handle (the plugin's open). */
int export_loop_init(struct exporter *x, struct gg_error *err);
/* Releases them (takes a half-made exporter). */
void export_loop_free(struct exporter *x);
/* The output's thread. */
void *export_loop_main(void *arg);

#endif
