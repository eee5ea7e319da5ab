/* emit_pool.c: a bounded queue of copied records, the worker threads that emit them (each
 * with four emitters: one it maps into, the others waiting for the writer) and the spool
 * writer thread that commits their batches in the order they were taken. */
#include "engine/emit_pool.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "engine/adapter.h"
#include "engine/pipeline.h"
#include "engine/spool.h"

/* One queued record (its strings live in data, in one allocation), or a unit. */
struct item {
	struct item *next;
	struct gg_emit_unit *unit; /* NULL: rec */
	struct gg_record rec;
	size_t records; /* what it counts against the batch and max_queued: 1 for a record */
	size_t size;    /* what it counts against max_queued_bytes */
	char data[];
};

/* A batch being mapped into, or waiting for the writer: each worker has SLOTS_PER_WORKER, so
 * that it maps the next batch while the writer commits its last ones. The emitter passes
 * between the worker and the writer under the pool's lock and is never used by both at once. */
struct slot {
	struct gg_emitter *emitter;
	struct gg_emit_unit *units, **units_tail; /* its units, for the writer to tell */
	size_t n;        /* records taken into it */
	uint64_t ticket; /* its place in the commit order */
	int state;       /* SLOT_FREE, SLOT_MAPPING, SLOT_READY (handed to the writer) */
	int ok;          /* staged whole: commit it (else it was rolled back) */
};

enum { SLOT_FREE, SLOT_MAPPING, SLOT_READY };

/* The writer shares the cores with the workers, and the scheduler does not run it the moment a
 * batch is ready: with two slots a worker waited for a free one 13% of its time under
 * bench/syslog (workers = 2), with four about half that, and the two cores were busy 1.74 ->
 * 1.83 of 2. More slots hold more mapped records in memory (a batch each), not more input. */
#define SLOTS_PER_WORKER 4

struct worker {
	struct gg_emit_pool *pool;
	struct slot slots[SLOTS_PER_WORKER];
	pthread_t id;
	int started;
};

struct gg_emit_pool {
	struct gg_input *input;
	struct gg_emit_pool_opts opts;
	size_t batch; /* records a worker takes at most: one spool transaction */
	pthread_mutex_t lock;
	pthread_cond_t work;   /* workers: a batch is queued, a flush, or closing */
	pthread_cond_t room;   /* the input: the queue went under its bound */
	pthread_cond_t ready;  /* the writer: a batch is ready, or the workers ended */
	pthread_cond_t freed;  /* workers: the writer gave a slot back */
	struct item *head, *tail;
	size_t queued, queued_bytes;
	size_t held;   /* taken by workers, not yet committed */
	int flush;     /* the input's pass ended: an idle worker takes a partial batch */
	int closing;   /* drain the queue and exit */
	int cancelled; /* gg_emit_pool_wait returns -ECANCELED */
	int workers_done; /* every worker returned: the writer ends when nothing is ready */
	unsigned idle; /* workers waiting for work */
	int input_waiting;
	uint64_t next_ticket; /* given to the next batch taken */
	uint64_t turn_ticket; /* the batch whose commit is due */
	/* A lower bound on what the spool takes before it is full: the last count, less what
	 * this pool's batches staged since (outputs only free room). */
	int64_t room_est;
	pthread_t writer;
	int writer_started;
	struct gg_spool *spool; /* the writer's: every batch is committed through it */
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

/* A unit into slot s's open batch (r: the batch's state so far; room: what the spool takes,
 * staged: what the batch holds). Returns the batch's state after it. */
static int worker_unit(struct slot *s, struct gg_emit_unit *u, int r, int64_t room,
		       int64_t *staged)
{
	u->next = NULL;
	u->status = GG_EMIT_UNIT_COMMITTED; /* unless the batch fails: the writer decides */
	if (r == 0 && room <= *staged) {
		/* Taken whole while there is room at all: max_pending may be passed by one
		 * unit, never by a unit cut in two. */
		u->status = GG_EMIT_UNIT_FULL;
	} else if (r == 0 && (r = u->emit(u, s->emitter)) < 0) {
		gg_batch_rollback(s->emitter);
	}
	*staged += (int64_t)u->records;
	*s->units_tail = u;
	s->units_tail = &u->next;
	return r;
}

/* What the spool takes before it is full, for a batch of units: the pool's lower bound while
 * it is above a batch, else a count. A count is a read transaction on the worker's own
 * connection, whose cache every commit of the writer's makes cold: counting for every batch
 * was a sixth of a worker's time on one-record webhook requests. A batch staged on the bound
 * may pass max_pending as one staged on a count may: by the batches mapped meanwhile. */
static int64_t units_room(struct gg_emit_pool *p, struct gg_emitter *e)
{
	int64_t room;

	pthread_mutex_lock(&p->lock);
	room = p->room_est;
	pthread_mutex_unlock(&p->lock);
	if (room > (int64_t)p->batch)
		return room;
	room = gg_batch_room(e);
	pthread_mutex_lock(&p->lock);
	p->room_est = room;
	pthread_mutex_unlock(&p->lock);
	return room;
}

/* Emits n records into slot s. Syslog-like inputs have no acknowledgement to withhold, so
 * what cannot be staged is logged as lost, as the input's own batch did before the pool. A
 * batch of units (a pool gets one kind) never waits for room: the writer tells each. */
static void worker_map(struct gg_emit_pool *p, struct slot *s, struct item *items)
{
	struct gg_emitter *e = s->emitter;
	const char *name = p->input->name;
	int units = items != NULL && items->unit != NULL;
	int64_t room = 0, staged = 0;
	struct gg_error err;
	int r;

	/* Waits while the spool is full: the queue fills and the input stops reading. When
	 * the engine stops, what was read is still kept. */
	r = gg_batch_begin(e, !units, &err);
	if (r == -ECANCELED)
		r = gg_batch_begin(e, 0, &err);
	if (r != 0 && units)
		gg_log_warnx("%s: spool: %s", name, err.msg);
	else if (r != 0)
		gg_log_warnx("%s: spool: %s; %zu messages lost", name, err.msg, s->n);
	if (r == 0 && units)
		room = units_room(p, e);
	while (items != NULL) {
		struct item *it = items;

		if (it->unit != NULL) {
			r = worker_unit(s, it->unit, r, room, &staged);
		} else if (r == 0) {
			enum gg_emit_outcome outcome;

			r = gg_emit(e, &it->rec, &outcome, &err);
			if (r < 0) {
				gg_log_warnx("%s: %s: %s; %zu messages lost", name, it->rec.origin,
					     err.msg, s->n);
				gg_batch_rollback(e);
			} else if (p->opts.outcome != NULL) {
				p->opts.outcome(p->opts.ctx, outcome);
			}
		}
		items = it->next;
		free(it);
	}
	s->ok = r == 0;
	if (units) {
		pthread_mutex_lock(&p->lock);
		p->room_est -= staged;
		pthread_mutex_unlock(&p->lock);
	}
}

/* Takes up to a batch from the queue (lock held, queue not empty). */
static struct item *take(struct gg_emit_pool *p, size_t *n_out)
{
	struct item *items = p->head, *last = p->head;
	size_t n = 0, bytes = 0;

	for (;;) {
		n += last->records;
		bytes += last->size;
		if (n >= p->batch || last->next == NULL)
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
	*n_out = n;
	return items;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct gg_emit_pool *p = w->pool;
	unsigned next = 0; /* the slot to map into next */

	for (;;) {
		struct slot *s = &w->slots[next];
		struct item *items;

		pthread_mutex_lock(&p->lock);
		/* The slot's last batch must be committed before it is mapped into again. */
		while (s->state != SLOT_FREE)
			pthread_cond_wait(&p->freed, &p->lock);
		while (!p->closing && p->queued < p->batch && !(p->flush && p->queued > 0)) {
			p->idle++;
			pthread_cond_wait(&p->work, &p->lock);
			p->idle--;
		}
		if (p->queued == 0) { /* closing, and nothing left */
			pthread_mutex_unlock(&p->lock);
			break;
		}
		items = take(p, &s->n);
		s->ticket = p->next_ticket++;
		s->state = SLOT_MAPPING;
		if (p->input_waiting && !over_bound(p))
			pthread_cond_signal(&p->room);
		/* Another batch is waiting: an idle worker maps it while this one works. */
		if (p->idle > 0 && (p->queued >= p->batch ||
				    (p->queued > 0 && (p->flush || p->closing))))
			pthread_cond_signal(&p->work);
		pthread_mutex_unlock(&p->lock);

		worker_map(p, s, items);

		pthread_mutex_lock(&p->lock);
		s->state = SLOT_READY;
		pthread_cond_signal(&p->ready);
		pthread_mutex_unlock(&p->lock);
		next = (next + 1) % SLOTS_PER_WORKER;
	}
	return NULL;
}

/* The ready slot with the given ticket (lock held), or NULL. */
static struct slot *ready_slot(struct gg_emit_pool *p, uint64_t ticket)
{
	for (unsigned i = 0; i < p->n_workers; i++)
		for (unsigned k = 0; k < SLOTS_PER_WORKER; k++) {
			struct slot *s = &p->workers[i].slots[k];

			if (s->state == SLOT_READY && s->ticket == ticket)
				return s;
		}
	return NULL;
}

/* Tells a committed (or failed) slot's units, in their order. */
static void tell_units(struct slot *s)
{
	while (s->units != NULL) {
		struct gg_emit_unit *u = s->units;

		s->units = u->next;
		u->done(u, u->status == GG_EMIT_UNIT_FULL ? GG_EMIT_UNIT_FULL
			   : s->ok ? GG_EMIT_UNIT_COMMITTED : GG_EMIT_UNIT_FAILED);
	}
	s->units_tail = &s->units;
}

/* The spool writer: commits the workers' batches in the order they were taken, while the
 * workers map the next ones; the batches it finds ready one after the other go in one
 * transaction (a commit costs about the same few WAL pages whatever it holds: under load the
 * commits grow instead of queueing). One writer also means the input's connections never
 * meet each other's write lock (SQLite's busy handler sleeps). */
static void *writer_main(void *arg)
{
	struct gg_emit_pool *p = arg;
	const char *name = p->input->name;
	struct slot *group[SLOTS_PER_WORKER * GG_EMIT_POOL_MAX_WORKERS];
	struct gg_ingest *ings[SLOTS_PER_WORKER * GG_EMIT_POOL_MAX_WORKERS];

	for (;;) {
		size_t n = 0, n_ings = 0, records = 0, staged = 0;
		struct slot *s;
		struct gg_error err;

		pthread_mutex_lock(&p->lock);
		while ((s = ready_slot(p, p->turn_ticket)) == NULL &&
		       !(p->workers_done && p->turn_ticket == p->next_ticket))
			pthread_cond_wait(&p->ready, &p->lock);
		for (; s != NULL; s = ready_slot(p, p->turn_ticket + n))
			group[n++] = s;
		pthread_mutex_unlock(&p->lock);
		if (n == 0)
			break;
		for (size_t i = 0; i < n; i++) {
			records += group[i]->n;
			if (group[i]->ok) {
				ings[n_ings++] = gg_emitter_ingest(group[i]->emitter);
				staged += gg_batch_staged(group[i]->emitter);
			}
		}
		if (gg_ingest_commit_group(ings, n_ings, p->spool, &err) != 0) {
			if (group[0]->units != NULL)
				gg_log_warnx("%s: spool commit: %s", name, err.msg);
			else
				gg_log_warnx("%s: spool commit: %s; %zu messages lost", name,
					     err.msg, staged);
			for (size_t i = 0; i < n; i++)
				group[i]->ok = 0;
		}
		for (size_t i = 0; i < n; i++)
			tell_units(group[i]);
		pthread_mutex_lock(&p->lock);
		p->turn_ticket += n;
		p->held -= records;
		for (size_t i = 0; i < n; i++)
			group[i]->state = SLOT_FREE;
		pthread_cond_broadcast(&p->freed);
		pthread_mutex_unlock(&p->lock);
	}
	return NULL;
}

int gg_emit_pool_new(struct gg_input *in, const struct gg_emit_pool_opts *opts,
		     struct gg_emit_pool **out, struct gg_error *err)
{
	unsigned n = opts->workers;
	struct gg_emit_pool *p;
	char tname[16];
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
	pthread_cond_init(&p->ready, NULL);
	pthread_cond_init(&p->freed, NULL);
	if ((r = gg_pipeline_open_spool_for(in->pipeline, NULL, in->routes, in->n_routes,
					    &p->spool, err)) != 0)
		goto fail;
	if (opts->emitter.stream)
		gg_spool_set_stream_ids(p->spool);
	for (unsigned i = 0; i < n; i++) {
		p->workers[i].pool = p;
		p->n_workers++;
		for (unsigned k = 0; k < SLOTS_PER_WORKER; k++) {
			struct slot *s = &p->workers[i].slots[k];

			s->units_tail = &s->units;
			if ((r = gg_emitter_new(in, &opts->emitter, &s->emitter, err)) != 0)
				goto fail;
		}
	}
	if ((r = pthread_create(&p->writer, NULL, writer_main, p)) != 0) {
		r = gg_error_set(err, -r, "cannot start the spool writer: %s", strerror(r));
		goto fail;
	}
	p->writer_started = 1;
	/* "NAME/wI" and "NAME/spool" in top -H and perf; the kernel keeps 15 characters. */
	snprintf(tname, sizeof(tname), "%.9s/spool", in->name);
	pthread_setname_np(p->writer, tname);
	for (unsigned i = 0; i < n; i++) {
		if ((r = pthread_create(&p->workers[i].id, NULL, worker_main, &p->workers[i])) != 0) {
			r = gg_error_set(err, -r, "cannot start a worker: %s", strerror(r));
			goto fail;
		}
		p->workers[i].started = 1;
		snprintf(tname, sizeof(tname), "%.10s/w%u", in->name, i);
		pthread_setname_np(p->workers[i].id, tname);
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
	it->unit = NULL;
	it->records = 1;
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

int gg_emit_pool_submit(struct gg_emit_pool *p, struct gg_emit_unit *u)
{
	struct item *it = malloc(sizeof(*it));

	if (it == NULL)
		return -EAGAIN;
	memset(it, 0, sizeof(*it));
	it->unit = u;
	/* A unit of no record still takes a turn: its sender waits for the answer. */
	it->records = u->records > 0 ? u->records : 1;
	it->size = sizeof(*it) + u->bytes;
	pthread_mutex_lock(&p->lock);
	if (p->closing || over_bound(p)) {
		pthread_mutex_unlock(&p->lock);
		free(it);
		return -EAGAIN;
	}
	if (p->tail != NULL)
		p->tail->next = it;
	else
		p->head = it;
	p->tail = it;
	p->queued += it->records;
	p->queued_bytes += it->size;
	/* A sender waits for its answer: an idle worker takes what is queued now; while the
	 * workers are busy, units gather into larger commits. */
	p->flush = 1;
	if (p->idle > 0)
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
	/* Every batch taken is ready now: the writer commits them, then returns. */
	pthread_mutex_lock(&p->lock);
	p->workers_done = 1;
	pthread_cond_broadcast(&p->ready);
	pthread_mutex_unlock(&p->lock);
	if (p->writer_started)
		pthread_join(p->writer, NULL);
	/* Left only when no worker ran (a failed start): a unit's sender is answered. */
	while (p->head != NULL) {
		struct item *it = p->head;

		p->head = it->next;
		if (it->unit != NULL)
			it->unit->done(it->unit, GG_EMIT_UNIT_FAILED);
		free(it);
	}
	for (unsigned i = 0; i < p->n_workers; i++)
		for (unsigned k = 0; k < SLOTS_PER_WORKER; k++)
			gg_emitter_free(p->workers[i].slots[k].emitter);
	gg_spool_close(p->spool);
	pthread_cond_destroy(&p->work);
	pthread_cond_destroy(&p->room);
	pthread_cond_destroy(&p->ready);
	pthread_cond_destroy(&p->freed);
	pthread_mutex_destroy(&p->lock);
	free(p);
}
