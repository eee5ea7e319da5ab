/* emit_pool.c: a bounded queue of copied records and the worker threads that emit and commit
 * them, each with its own emitter, committing their batches in the order they took them. */
#include "engine/emit_pool.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "engine/adapter.h"
#include "engine/pipeline.h"

/* One queued record: the record's strings live in data, in one allocation. */
struct item {
	struct item *next;
	struct gg_record rec;
	size_t size; /* what it counts against max_queued_bytes */
	char data[];
};

struct worker {
	struct gg_emit_pool *pool;
	struct gg_emitter *emitter;
	pthread_t id;
	int started;
};

struct gg_emit_pool {
	struct gg_input *input;
	struct gg_emit_pool_opts opts;
	size_t batch; /* records a worker takes at most: one spool transaction */
	pthread_mutex_t lock;
	pthread_cond_t work; /* workers: a batch is queued, a flush, or closing */
	pthread_cond_t room; /* the input: the queue went under its bound */
	pthread_cond_t turn; /* workers: their batch's turn to commit */
	struct item *head, *tail;
	size_t queued, queued_bytes;
	size_t held;   /* taken by workers, not yet committed */
	int flush;     /* the input's pass ended: an idle worker takes a partial batch */
	int closing;   /* drain the queue and exit */
	int cancelled; /* gg_emit_pool_wait returns -ECANCELED */
	unsigned idle; /* workers waiting for work */
	int input_waiting;
	uint64_t next_ticket; /* given to the next batch taken */
	uint64_t turn_ticket; /* the batch whose commit is due */
	unsigned n_workers;
	struct worker workers[];
};

static int over_bound(const struct gg_emit_pool *p)
{
	return p->queued >= p->opts.max_queued || p->queued_bytes >= p->opts.max_queued_bytes;
}

static int stopping(const struct gg_emit_pool *p)
{
	return atomic_load(&p->input->pipeline->stopping);
}

/* Waits for the turn of ticket, for a commit (lock held). */
static void wait_turn(struct gg_emit_pool *p, uint64_t ticket)
{
	while (p->turn_ticket != ticket)
		pthread_cond_wait(&p->turn, &p->lock);
}

/* Emits n records taken under ticket and commits them in their turn. Syslog-like inputs
 * have no acknowledgement to withhold, so what cannot be committed is logged as lost, as the
 * input's own batch did before the pool. */
static void worker_batch(struct worker *w, struct item *items, size_t n, uint64_t ticket)
{
	struct gg_emit_pool *p = w->pool;
	struct gg_emitter *e = w->emitter;
	const char *name = p->input->name;
	struct gg_error err;
	int r;

	/* Waits while the spool is full: the queue fills and the input stops reading. When
	 * the engine stops, what was read is still kept. */
	r = gg_batch_begin(e, 1, &err);
	if (r == -ECANCELED)
		r = gg_batch_begin(e, 0, &err);
	if (r != 0)
		gg_log_warnx("%s: spool: %s; %zu messages lost", name, err.msg, n);
	while (items != NULL) {
		struct item *it = items;

		if (r == 0) {
			enum gg_emit_outcome outcome;

			r = gg_emit(e, &it->rec, &outcome, &err);
			if (r < 0) {
				gg_log_warnx("%s: %s: %s; %zu messages lost", name, it->rec.origin,
					     err.msg, n);
				gg_batch_rollback(e);
			} else if (p->opts.outcome != NULL) {
				p->opts.outcome(p->opts.ctx, outcome);
			}
		}
		items = it->next;
		free(it);
	}
	pthread_mutex_lock(&p->lock);
	wait_turn(p, ticket);
	pthread_mutex_unlock(&p->lock);
	if (r == 0 && gg_batch_commit(e, &err) != 0) {
		gg_log_warnx("%s: spool commit: %s; %zu messages lost", name, err.msg,
			     gg_batch_staged(e));
		gg_batch_rollback(e);
	}
	pthread_mutex_lock(&p->lock);
	p->turn_ticket++;
	p->held -= n;
	pthread_cond_broadcast(&p->turn);
	pthread_mutex_unlock(&p->lock);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct gg_emit_pool *p = w->pool;

	for (;;) {
		struct item *items, *last;
		size_t n = 0, bytes = 0;
		uint64_t ticket;

		pthread_mutex_lock(&p->lock);
		while (!p->closing && p->queued < p->batch && !(p->flush && p->queued > 0)) {
			p->idle++;
			pthread_cond_wait(&p->work, &p->lock);
			p->idle--;
		}
		if (p->queued == 0) { /* closing, and nothing left */
			pthread_mutex_unlock(&p->lock);
			break;
		}
		items = last = p->head;
		for (;;) {
			n++;
			bytes += last->size;
			if (n == p->batch || last->next == NULL)
				break;
			last = last->next;
		}
		p->head = last->next;
		if (p->head == NULL)
			p->tail = NULL;
		last->next = NULL;
		p->queued -= n;
		p->queued_bytes -= bytes;
		p->held += n;
		if (p->queued == 0)
			p->flush = 0;
		ticket = p->next_ticket++;
		if (p->input_waiting && !over_bound(p))
			pthread_cond_signal(&p->room);
		/* Another batch is waiting: an idle worker maps it while this one works. */
		if (p->idle > 0 && (p->queued >= p->batch || (p->queued > 0 &&
							    (p->flush || p->closing))))
			pthread_cond_signal(&p->work);
		pthread_mutex_unlock(&p->lock);
		worker_batch(w, items, n, ticket);
	}
	return NULL;
}

int gg_emit_pool_new(struct gg_input *in, const struct gg_emit_pool_opts *opts,
		     struct gg_emit_pool **out, struct gg_error *err)
{
	unsigned n = opts->workers;
	struct gg_emit_pool *p;
	int r;

	*out = NULL;
	if (n < 1 || n > GG_EMIT_POOL_MAX_WORKERS)
		return gg_error_set(err, -EINVAL, "workers must be from 1 to %d",
				    GG_EMIT_POOL_MAX_WORKERS);
	if ((p = calloc(1, sizeof(*p) + n * sizeof(p->workers[0]))) == NULL)
		return gg_error_set(err, -ENOMEM, "out of memory");
	p->input = in;
	p->opts = *opts;
	p->batch = in->pipeline->cfg->spool.batch > 0 ? (size_t)in->pipeline->cfg->spool.batch : 1;
	/* Two batches a worker: one it maps while the last is committed and the input reads. */
	if (p->opts.max_queued == 0)
		p->opts.max_queued = 2 * p->batch * n;
	if (p->opts.max_queued_bytes == 0)
		p->opts.max_queued_bytes = 4u << 20;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->work, NULL);
	pthread_cond_init(&p->room, NULL);
	pthread_cond_init(&p->turn, NULL);
	for (unsigned i = 0; i < n; i++) {
		p->workers[i].pool = p;
		p->n_workers++;
		if ((r = gg_emitter_new(in, &opts->emitter, &p->workers[i].emitter, err)) != 0)
			goto fail;
	}
	for (unsigned i = 0; i < n; i++) {
		if ((r = pthread_create(&p->workers[i].id, NULL, worker_main, &p->workers[i])) != 0) {
			r = gg_error_set(err, -r, "cannot start a worker: %s", strerror(r));
			goto fail;
		}
		p->workers[i].started = 1;
	}
	*out = p;
	return 0;
fail:
	gg_emit_pool_free(p);
	return r;
}

int gg_emit_pool_wait(struct gg_emit_pool *p)
{
	int r;

	pthread_mutex_lock(&p->lock);
	while (!p->cancelled && !stopping(p) && over_bound(p)) {
		p->input_waiting = 1;
		pthread_cond_wait(&p->room, &p->lock);
	}
	p->input_waiting = 0;
	r = p->cancelled || stopping(p) ? -ECANCELED : 0;
	pthread_mutex_unlock(&p->lock);
	return r;
}

int gg_emit_pool_put(struct gg_emit_pool *p, const struct gg_record *rec, struct gg_error *err)
{
	size_t olen = rec->origin != NULL ? strlen(rec->origin) + 1 : 0;
	size_t plen = rec->peer != NULL ? strlen(rec->peer) + 1 : 0;
	size_t size = sizeof(struct item) + rec->len + 1 + olen + plen;
	struct item *it = malloc(size);
	char *d;

	if (it == NULL)
		return gg_error_set(err, -ENOMEM, "out of memory");
	it->next = NULL;
	it->size = size;
	it->rec = *rec;
	d = it->data;
	memcpy(d, rec->bytes, rec->len);
	d[rec->len] = '\0';
	it->rec.bytes = d;
	d += rec->len + 1;
	if (olen > 0) {
		memcpy(d, rec->origin, olen);
		it->rec.origin = d;
		d += olen;
	}
	if (plen > 0) {
		memcpy(d, rec->peer, plen);
		it->rec.peer = d;
	}
	pthread_mutex_lock(&p->lock);
	if (p->tail != NULL)
		p->tail->next = it;
	else
		p->head = it;
	p->tail = it;
	p->queued++;
	p->queued_bytes += size;
	/* Only whole batches wake a worker mid-pass; the pass's end (flush) wakes one for the
	 * rest. */
	if (p->idle > 0 && p->queued == p->batch)
		pthread_cond_signal(&p->work);
	pthread_mutex_unlock(&p->lock);
	return 0;
}

int gg_emit_pool_full(struct gg_emit_pool *p)
{
	int full;

	pthread_mutex_lock(&p->lock);
	full = over_bound(p);
	pthread_mutex_unlock(&p->lock);
	return full;
}

void gg_emit_pool_flush(struct gg_emit_pool *p)
{
	pthread_mutex_lock(&p->lock);
	if (p->queued > 0) {
		p->flush = 1;
		if (p->idle > 0)
			pthread_cond_signal(&p->work);
	}
	pthread_mutex_unlock(&p->lock);
}

void gg_emit_pool_cancel(struct gg_emit_pool *p)
{
	pthread_mutex_lock(&p->lock);
	p->cancelled = 1;
	pthread_cond_broadcast(&p->room);
	pthread_mutex_unlock(&p->lock);
}

size_t gg_emit_pool_pending(struct gg_emit_pool *p)
{
	size_t n;

	pthread_mutex_lock(&p->lock);
	n = p->queued + p->held;
	pthread_mutex_unlock(&p->lock);
	return n;
}

void gg_emit_pool_free(struct gg_emit_pool *p)
{
	if (p == NULL)
		return;
	pthread_mutex_lock(&p->lock);
	p->closing = 1;
	p->cancelled = 1;
	pthread_cond_broadcast(&p->work);
	pthread_cond_broadcast(&p->room);
	pthread_mutex_unlock(&p->lock);
	for (unsigned i = 0; i < p->n_workers; i++)
		if (p->workers[i].started)
			pthread_join(p->workers[i].id, NULL);
	/* Left only when no worker ran (a failed start). */
	while (p->head != NULL) {
		struct item *it = p->head;

		p->head = it->next;
		free(it);
	}
	for (unsigned i = 0; i < p->n_workers; i++)
		gg_emitter_free(p->workers[i].emitter);
	pthread_cond_destroy(&p->work);
	pthread_cond_destroy(&p->room);
	pthread_cond_destroy(&p->turn);
	pthread_mutex_destroy(&p->lock);
	free(p);
}
