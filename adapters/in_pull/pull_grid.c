/* pull_grid.c: the session's thread of a [pull:NAME]: its own libstrophe session (not
 * thread-safe: only this thread touches it), asleep in the session's poll with the queue's
 * eventfd beside the socket. Each wake-up takes every queued request; requests for the same
 * topic share one retrieval (`gridgate topics items`'s reader: the payloads come from the
 * stream's bytes, as published, grid_reader.h), each gets its page (pull_query.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "grid/grid_internal.h"
#include "grid/grid_reader.h"
#include "grid/grid_session.h"
#include "in_pull/pull.h"
#include "in_pull/pull_query.h"

/* What a client is told to wait while no session is up: about one reconnect. */
#define PULL_RETRY_AFTER_S 5

static struct pull_job *pull_take(struct pull *p, int *closed)
{
	struct pull_job *jobs;

	pthread_mutex_lock(&p->lock);
	jobs = p->head;
	p->head = NULL;
	p->tail = &p->head;
	*closed = p->closed;
	pthread_mutex_unlock(&p->lock);
	return jobs;
}

static void pull_answer_all(struct pull *p, struct pull_job *jobs, unsigned status,
			    const char *why, unsigned retry_after)
{
	struct pull_job *job;

	while ((job = jobs) != NULL) {
		jobs = job->next;
		pull_job_answer(p, job, status, gg_http_error_body(status, why), retry_after);
	}
}

/* A page of items for one request. */
static void pull_serve(struct pull *p, struct pull_job *job, const struct gg_topic_items *items)
{
	size_t from, count;
	int more;
	char *body;

	if (pull_page(items, job->after, job->limit, (size_t)p->conf->max_answer_size, &from,
		      &count, &more) != 0) {
		p->counters.gone++;
		pull_job_answer(p, job, 410, gg_http_error_body(410, "after: no such item on the "
				"topic any more (retracted, or pushed out by pubsub#max_items); read "
				"again without after"), 0);
		return;
	}
	if ((body = pull_answer_json(job->topic, items, from, count, job->after, more)) == NULL) {
		p->counters.grid_errors++;
		pull_job_answer(p, job, 502, gg_http_error_body(502, "an item's payload is not "
				"UTF-8, or out of memory"), 0);
		return;
	}
	p->counters.pages++;
	p->counters.items += count;
	pull_job_answer(p, job, 200, body, 0);
}

/* A retrieval that failed: every request waiting for that topic gets the same answer. */
static void pull_fail(struct pull *p, struct pull_job *jobs, int r, const struct gg_error *err)
{
	unsigned status, retry = 0;
	const char *why = err->msg;

	switch (r) {
	case -ENOENT:
		status = 404;
		why = "no such topic on the controller";
		p->counters.not_found++;
		break;
	case -ENOTCONN:
	case -ENOMEM:
		status = 503;
		retry = PULL_RETRY_AFTER_S;
		break;
	case -ETIMEDOUT:
		status = 504;
		p->counters.grid_errors++;
		break;
	default: /* -EACCES (this JID may not read it), other refusals, a broken stream */
		status = 502;
		p->counters.grid_errors++;
		break;
	}
	if (r != -ENOENT)
		gg_log_warnx("%s: %s", p->in->name, err->msg);
	pull_answer_all(p, jobs, status, why, retry);
}

/* Serves the requests of jobs, one retrieval per topic among them. */
static void pull_round(struct pull *p, struct gg_grid_reader *reader, const char *service,
		       struct pull_job *jobs)
{
	while (jobs != NULL) {
		struct pull_job *same = NULL, **tail = &same, **at = &jobs, *job;
		struct gg_topic_items items = { 0 };
		struct gg_error err;
		int r;

		/* The first job's topic, and every other job for it. */
		while ((job = *at) != NULL) {
			if (strcmp(job->topic, jobs->topic) == 0 || job == jobs) {
				*at = job->next;
				job->next = NULL;
				*tail = job;
				tail = &job->next;
			} else {
				at = &job->next;
			}
		}
		if (!gg_grid_session_is_up(p->session)) {
			pull_answer_all(p, same, 503, "no session with the controller",
					PULL_RETRY_AFTER_S);
			continue;
		}
		/* Prosody offers no RSM on items retrieval: the whole topic is read and paged
		 * here. A topic is bounded by its pubsub#max_items. */
		p->counters.fetches++;
		r = gg_grid_reader_fetch(reader, p->session, service, same->topic, 0,
					 p->conf->iq_timeout_ms, &items, &err);
		if (r == -ETIMEDOUT)
			gg_grid_session_drop(p->session, GG_DROP_TIMEOUT, "an items retrieval was "
					     "not answered");
		else if (r == -EBADMSG)
			gg_grid_session_drop(p->session, GG_DROP_SELF, "the stream's bytes stopped "
					     "parsing");
		if (r != 0) {
			pull_fail(p, same, r, &err);
		} else {
			while ((job = same) != NULL) {
				same = job->next;
				pull_serve(p, job, &items);
			}
		}
		gg_topic_items_free(&items);
	}
}

void *pull_grid_main(void *arg)
{
	struct pull *p = arg;
	struct gg_grid_reader *reader = NULL;
	struct gg_error err;
	struct pull_job *jobs;
	char *service = NULL;
	uint64_t epoch = 0;
	int ready = 0, closed = 0;

	/* Before the session connects on this thread: the reader must see the stream's
	 * header. */
	if (gg_grid_reader_new(&reader, &err) != 0)
		gg_log_warnx("%s: %s; every request is answered 503", p->in->name, err.msg);
	while (!closed) {
		int64_t timeout = gg_grid_session_is_up(p->session) ? -1 : 1000;

		if (reader != NULL)
			gg_grid_session_wait(p->session, p->queue_fd, timeout);
		else
			(void)gg_input_thread_wait(&p->thread, p->queue_fd, -1);
		jobs = pull_take(p, &closed);
		if (closed || reader == NULL) {
			pull_answer_all(p, jobs, 503, closed ? "stopping" : "cannot read the "
					"controller's stream", PULL_RETRY_AFTER_S);
			continue;
		}
		if (!gg_grid_session_is_up(p->session)) {
			ready = 0;
			pull_answer_all(p, jobs, 503, "no session with the controller",
					PULL_RETRY_AFTER_S);
			continue;
		}
		if (!ready || gg_grid_session_epoch(p->session) != epoch) {
			/* A new session: the pubsub service, configured or found. */
			if (epoch != 0 && epoch != gg_grid_session_epoch(p->session))
				p->counters.reconnects++;
			epoch = gg_grid_session_epoch(p->session);
			free(service);
			service = NULL;
			if (p->conf->pubsub_service != NULL)
				service = strdup(p->conf->pubsub_service);
			else if (gg_grid_find_service(p->session, &p->xc, &service, &err) != 0)
				gg_log_warnx("%s: %s", p->in->name, err.msg);
			if (service == NULL) {
				gg_grid_session_drop(p->session, GG_DROP_SELF, "no pubsub service");
				pull_answer_all(p, jobs, 503, "no pubsub service found",
						PULL_RETRY_AFTER_S);
				continue;
			}
			ready = 1;
			gg_log_info("%s: reading topics on %s", p->in->name, service);
		}
		pull_round(p, reader, service, jobs);
	}
	free(service);
	/* The session goes with the reader's tap: gg_grid_session_free runs on the main thread
	 * after this thread is joined, and reads nothing more. */
	gg_grid_reader_free(reader);
	return NULL;
}
