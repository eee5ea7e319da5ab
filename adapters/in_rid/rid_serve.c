/* rid_serve.c: what the RID listener's worker does with a message: finds the partner by its
 * certificate, applies its rules (enabled, rate, MsgType, signature), reads the message with
 * src/rid, stages its IODEF documents, commits them, and only then answers with the RID reply.
 * A refusal is an Acknowledgement Denied with a Justification (RID has no other error form)
 * under the HTTP status that says the same. */
#include "in_rid/rid_serve.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/log.h"
#include "base/record_id.h"
#include "rid/rid_reply.h"

void rid_job_free(struct rid_job *job)
{
	if (job == NULL)
		return;
	gg_rid_message_free(job->msg);
	free(job->outcomes);
	free(job);
}

void rid_job_answer(struct rid_job *job, unsigned status, char *body, unsigned retry_after)
{
	gg_http_answer(job->req, status, body, retry_after);
	rid_job_free(job);
}

/* The reply, serialized; NULL (an empty body) when even that fails. */
static char *reply_text(const struct gg_rid_message *req, enum gg_rid_status status,
			enum gg_rid_justification why)
{
	xmlDocPtr doc = NULL;
	struct gg_error err;
	char *text = NULL;
	size_t len;

	if (gg_rid_reply_ack(req, status, why, &doc, &err) != 0)
		return NULL;
	if (gg_xml_serialize(doc, &text, &len) != 0)
		text = NULL;
	xmlFreeDoc(doc);
	return text;
}

char *rid_error_body(unsigned status, const char *why)
{
	enum gg_rid_justification j = status == 413 || status >= 500 ? GG_RID_JUST_SYSTEM_RESOURCE
				      : status == 403		  ? GG_RID_JUST_OTHER
								  : GG_RID_JUST_UNRECOGNIZED_FORMAT;

	(void)why; /* RequestStatus has no text: the status and the Justification say it */
	return reply_text(NULL, GG_RID_DENIED, j);
}

void rid_log_refusal(const struct rid_listener *l, const struct gg_http_request *req,
		     const struct gg_http_cert_identity *id, unsigned status, const char *what)
{
	if (id != NULL && id->sha256[0] != '\0')
		gg_log_info("%s: %s: refused %u: %s (certificate '%s', sha256 %s)", l->input->name,
			    gg_http_peer(req), status, what, id->subject, id->sha256);
	else
		gg_log_info("%s: %s: refused %u: %s (no client certificate)", l->input->name,
			    gg_http_peer(req), status, what);
}

static void refuse(struct rid_job *job, unsigned status, enum gg_rid_justification why,
		   unsigned retry_after)
{
	rid_job_answer(job, status, reply_text(job->msg, GG_RID_DENIED, why), retry_after);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The partner the certificate is, or n_partners: the one that names it most specifically
 * (no two name it alike: the configuration refuses that). */
static size_t find_partner(const struct rid_listener *l, const struct gg_http_cert_identity *id)
{
	for (int by = RID_BY_CERT; by < RID_BY__N; by++)
		for (size_t i = 0; i < l->n_partners; i++)
			if (rid_rules_match(l->partners[i]->rules, id, (enum rid_match)by))
				return i;
	return l->n_partners;
}

/* Signature policy: checked whenever the partner has a trust, required when it says so.
 * Returns 0 when the message may go on. */
static int check_signature(struct rid_listener *l, struct rid_job *job,
			   const struct rid_rules *ru, const char *partner)
{
	enum gg_rid_sig sig = GG_RID_SIG_ABSENT;
	struct gg_error why = { 0 };

	if (ru->trust != NULL)
		sig = gg_rid_signature_verify(ru->trust, job->msg->doc, &why);
	if (sig == GG_RID_SIG_VALID || (sig == GG_RID_SIG_ABSENT && !ru->require_signature))
		return 0;
	l->counters.bad_signature++;
	gg_log_warnx("%s: %s: [rid_partner:%s] %s refused: %s", l->input->name,
		     gg_http_peer(job->req), partner, gg_rid_msg_type_name(job->msg->type),
		     sig == GG_RID_SIG_ABSENT ? "no XML Signature, and one is required" : why.msg);
	return -1;
}

/* Decides a job before anything of it is staged. Returns 0 when its documents go to the
 * batch (job->partner, msg and origin set), else answers it and returns -1. */
static int screen(struct rid_listener *l, struct rid_job *job)
{
	const struct gg_http_cert_identity *id = &job->id;
	const struct rid_rules *ru;
	const char *name, *body;
	struct gg_error err;
	unsigned wait;
	size_t len;
	int r;

	if ((job->partner = find_partner(l, id)) == l->n_partners) {
		l->counters.unknown_partner++;
		gg_log_warnx("%s: %s: refused: certificate '%s' issued by '%s' (sha256 %s, spki "
			     "sha256 %s) is no [rid_partner] of this listener", l->input->name,
			     gg_http_peer(job->req), id->subject, id->issuer, id->sha256,
			     id->spki_sha256);
		refuse(job, 403, GG_RID_JUST_OTHER, 0);
		return -1;
	}
	ru = l->partners[job->partner]->rules;
	name = l->partners[job->partner]->input->name;
	if (!ru->enabled) {
		l->counters.disabled++;
		gg_log_warnx("%s: %s: refused: [rid_partner:%s] is disabled (certificate '%s', "
			     "sha256 %s)", l->input->name, gg_http_peer(job->req), name,
			     id->subject, id->sha256);
		refuse(job, 403, GG_RID_JUST_OTHER, 0);
		return -1;
	}
	if (ru->rate != NULL && (wait = gg_http_rate_take(ru->rate, (const unsigned char *)"p", 1,
							   now_ns())) > 0) {
		l->counters.rate_limited++;
		if (gg_log_budget_allow(&l->refusals, l->input->name)) {
			char what[160];

			snprintf(what, sizeof(what), "[rid_partner:%.60s] over its rate_limit, "
				 "Retry-After %u s", name, wait);
			rid_log_refusal(l, job->req, id, 503, what);
		}
		/* 503, not 429: RFC 6546 predates 429, and a 4xx tells a client not to retry. */
		refuse(job, 503, GG_RID_JUST_SYSTEM_RESOURCE, wait);
		return -1;
	}
	body = gg_http_body(job->req, &len);
	r = gg_rid_parse_as(l->checker, body, len, &l->limits,
			    job->charset[0] != '\0' ? job->charset : NULL, name, &job->msg, &err);
	if (r == -ENOMEM) {
		refuse(job, 503, GG_RID_JUST_SYSTEM_RESOURCE, 1);
		return -1;
	}
	if (r != 0) {
		l->counters.malformed++;
		gg_log_warnx("%s: %s: [rid_partner:%s] message refused: %s", l->input->name,
			     gg_http_peer(job->req), name, err.msg);
		refuse(job, 400, gg_rid_justification_of(r), 0);
		return -1;
	}
	if (!(ru->types & 1u << job->msg->type)) {
		l->counters.not_allowed++;
		gg_log_warnx("%s: %s: refused: [rid_partner:%s] may not send %s (certificate '%s', "
			     "sha256 %s)", l->input->name, gg_http_peer(job->req), name,
			     gg_rid_msg_type_name(job->msg->type), id->subject, id->sha256);
		refuse(job, 403, GG_RID_JUST_CANNOT_PROCESS, 0);
		return -1;
	}
	if (check_signature(l, job, ru, name) != 0) {
		refuse(job, 403, GG_RID_JUST_AUTHENTICATION, 0);
		return -1;
	}
	if ((job->outcomes = calloc(job->msg->n_documents + 1, sizeof(*job->outcomes))) == NULL) {
		refuse(job, 503, GG_RID_JUST_SYSTEM_RESOURCE, 1);
		return -1;
	}
	/* The same message sent again (a retry after a timeout) has the same IncidentID and
	 * canonical digest, so its documents get the same ids and the spool keeps them once. */
	snprintf(job->origin, sizeof(job->origin), "rid:%.40s:%s",
		 job->msg->incident_id != NULL ? job->msg->incident_id : "-", job->msg->digest);
	return 0;
}

/* Stages a message's documents in its partner's open batch. <0 when the batch cannot go on. */
static int job_emit(struct rid_listener *l, struct rid_job *job)
{
	struct gg_emitter *e = l->emitters[job->partner];
	const char *input = l->partners[job->partner]->input->name;
	struct gg_error why;

	for (size_t i = 0; i < job->msg->n_documents; i++) {
		char id[GG_RECORD_ID_LEN];
		int r;

		/* The id leaves the bytes out: a retry whose bytes differ only in what the
		 * canonical form makes equal is the same message (docs/rid.md). */
		gg_record_id(input, job->origin, i, "", 0, id);
		/* The document is the engine's from here on (parsed with the envelope's
		 * hardened parser and limits, and checked against the engine's schema). */
		r = gg_emit(e, &(struct gg_record){ .kind = GG_RECORD_DOC, .origin = job->origin,
						    .position = i, .peer = gg_http_peer(job->req),
						    .doc = job->msg->documents[i], .checked = 1,
						    .id = id },
			    &job->outcomes[i], &why);
		job->msg->documents[i] = NULL;
		if (r < 0) {
			gg_log_warnx("%s: %s: %s", l->input->name, job->origin, why.msg);
			return r;
		}
	}
	return 0;
}

/* 200 and the RID reply, once the message's documents are committed. A Query is answered
 * with an Acknowledgement Denied (CannotProcess): gridgate keeps no incident store to build
 * the Report RFC 6545 answers a Query with (docs/rid.md). */
static void answer_committed(struct rid_listener *l, struct rid_job *job)
{
	int quarantined = 0;

	for (size_t i = 0; i < job->msg->n_documents; i++) {
		if (job->outcomes[i] == GG_EMIT_STAGED) {
			l->counters.records++;
		} else {
			l->counters.quarantined++;
			quarantined = 1;
		}
	}
	l->counters.accepted++;
	if (job->msg->type == GG_RID_QUERY || quarantined)
		rid_job_answer(job, 200, reply_text(job->msg, GG_RID_DENIED,
						       GG_RID_JUST_CANNOT_PROCESS), 0);
	else
		rid_job_answer(job, 200, reply_text(job->msg, GG_RID_APPROVED, GG_RID_JUST_NONE),
			       0);
}

void rid_serve_round(struct rid_listener *l, struct rid_job **list)
{
	size_t n = l->n_partners;
	int open[n], failed[n];
	int64_t room[n], staged[n];
	struct rid_job *taken = NULL, **tail = &taken, *job;
	struct gg_error err;

	memset(open, 0, sizeof(open));
	memset(failed, 0, sizeof(failed));
	memset(staged, 0, sizeof(staged));
	while ((job = *list) != NULL) {
		size_t p;

		if (job->msg == NULL) {
			/* Screened once only: a job put back by a full batch already was. */
			*list = job->next;
			job->next = NULL;
			if (screen(l, job) != 0)
				continue;
			job->next = *list;
			*list = job;
		}
		p = job->partner;
		if (open[p] && gg_batch_full(l->emitters[p]))
			break;
		*list = job->next;
		job->next = NULL;
		if (!open[p]) {
			/* Without waiting: a partner told 503 retries; a suspended request would
			 * hold its connection. */
			if (gg_batch_begin(l->emitters[p], 0, &err) != 0) {
				gg_log_warnx("%s: spool: %s", l->input->name, err.msg);
				l->counters.busy++;
				refuse(job, 503, GG_RID_JUST_SYSTEM_RESOURCE, 5);
				continue;
			}
			open[p] = 1;
			room[p] = gg_batch_room(l->emitters[p]);
		}
		/* A message is taken whole while there is room at all: max_pending may be passed
		 * by one message, never by a message cut in two. */
		if (job->msg->n_documents > 0 && room[p] <= staged[p]) {
			l->counters.busy++;
			refuse(job, 503, GG_RID_JUST_SYSTEM_RESOURCE, 1);
			continue;
		}
		if (!failed[p] && job_emit(l, job) != 0)
			failed[p] = 1;
		staged[p] += (int64_t)job->msg->n_documents;
		*tail = job;
		tail = &job->next;
	}
	for (size_t p = 0; p < n; p++) {
		if (!open[p])
			continue;
		if (failed[p]) {
			gg_batch_rollback(l->emitters[p]);
		} else if (gg_batch_commit(l->emitters[p], &err) != 0) {
			gg_log_warnx("%s: spool commit: %s", l->input->name, err.msg);
			gg_batch_rollback(l->emitters[p]);
			failed[p] = 1;
		}
	}
	while ((job = taken) != NULL) {
		taken = job->next;
		if (failed[job->partner]) {
			l->counters.busy++;
			refuse(job, 503, GG_RID_JUST_SYSTEM_RESOURCE, 1);
		} else {
			answer_committed(l, job);
		}
	}
}
