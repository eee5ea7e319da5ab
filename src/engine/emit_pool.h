/* emit_pool.h: one input's records mapped, checked and spooled on N worker threads and one
 * spool writer, so that a busy input uses more than the core its reading runs on. The input's
 * thread copies each record into a bounded queue and goes on reading; each worker takes up to
 * a spool batch of records at a time and emits them into one of its four emitters; the writer
 * commits the workers' batches in the order they were taken (those it finds ready one after
 * the other in one transaction), while the workers map the next ones. So a connection's
 * records reach the spool in the order they were read, the spool write overlaps mapping even
 * with one worker, and the input's connections never wait on each other's SQLite write lock.
 * The writer commits through one SQLite connection of its own: a connection's page cache is
 * dropped whole when another connection commits, so commits rotating over the workers'
 * connections read their pages again each time (bench/webhook, one-record requests: the
 * writer took a third less time a request with one).
 *
 * An input that answers its sender after the commit (an HTTP request: 202 or 503) submits
 * units instead of records: a unit is emitted whole into one batch by its own emit function
 * and told on the writer's thread whether that batch was committed. A unit the spool has no
 * room for is told so at once (GG_EMIT_UNIT_FULL) rather than waited for: a sender told 503
 * retries, a request held open ties a connection.
 *
 * Backpressure: while the queue is over its bound the input stops reading
 * (gg_emit_pool_full, gg_emit_pool_wait); while the spool is full the workers wait for room
 * (gg_batch_begin with wait), so the queue fills and the input stops. max_pending may be
 * passed by the batches already mapped (four a worker). A record is durable once the writer's
 * commit returned: read and not yet committed are at most the queue's bound plus one read,
 * plus four batches a worker. */
#ifndef GG_EMIT_POOL_H
#define GG_EMIT_POOL_H

#include <stddef.h>

#include "base/error.h"
#include "engine/emit.h"

struct gg_input;

/* Largest worker count an input may ask for. */
#define GG_EMIT_POOL_MAX_WORKERS 64

struct gg_emit_pool_opts {
	unsigned workers;        /* 1..GG_EMIT_POOL_MAX_WORKERS */
	size_t max_queued;       /* records waiting; 0: 2 spool batches per worker */
	size_t max_queued_bytes; /* their bytes; 0: 4 MiB */
	struct gg_emitter_opts emitter;
	/* Called on a worker's thread with every record's outcome (optional): an input's own
	 * counters (the syslog input's `malformed`). Must be thread-safe (atomics). */
	void (*outcome)(void *ctx, enum gg_emit_outcome outcome);
	void *ctx;
};

struct gg_emit_pool;

enum gg_emit_unit_status {
	GG_EMIT_UNIT_COMMITTED, /* every record it staged is in the spool */
	GG_EMIT_UNIT_FULL,      /* not staged: the spool was full (max_pending) */
	GG_EMIT_UNIT_FAILED,    /* not committed: its batch failed (emit, spool) */
};

/* A group of records committed together or not at all, owned by the input; the pool holds
 * it from gg_emit_pool_submit until done. */
struct gg_emit_unit {
	/* Stages the unit's records in e's open batch (gg_emit), on a worker's thread. 0, or
	 * <0 when the batch cannot go on: it is rolled back, every unit in it FAILED. */
	int (*emit)(struct gg_emit_unit *u, struct gg_emitter *e);
	/* Called once, on the spool writer's thread, in commit order: the unit is the input's
	 * again from here on. */
	void (*done)(struct gg_emit_unit *u, enum gg_emit_unit_status status);
	size_t records; /* how many it stages at most: counted against the batch and the room */
	size_t bytes;   /* counted against max_queued_bytes */
	struct gg_emit_unit *next; /* the pool's */
	enum gg_emit_unit_status status; /* the pool's */
};

/* Creates the workers' emitters (their spool connections, validators, mapping contexts) and the
 * writer's spool connection, and starts the workers. */
int gg_emit_pool_new(struct gg_input *in, const struct gg_emit_pool_opts *opts,
		     struct gg_emit_pool **out, struct gg_error *err);
/* Waits while the queue is over its bound. Returns 0, or -ECANCELED once the engine stops or
 * gg_emit_pool_cancel was called: the input reads no more. */
int gg_emit_pool_wait(struct gg_emit_pool *p);
/* Copies rec (bytes, origin, peer) into the queue; never blocks. The bound is soft: an input
 * asks gg_emit_pool_full after each read and waits before the next. Returns 0 or -ENOMEM. */
int gg_emit_pool_put(struct gg_emit_pool *p, const struct gg_record *rec,
		     struct gg_error *err);
/* Queues a unit and wakes a worker; never blocks. Returns 0, or -EAGAIN when the queue is at
 * or over its bound (nothing was queued: answer the sender 503 and let it retry). */
int gg_emit_pool_submit(struct gg_emit_pool *p, struct gg_emit_unit *u);
/* Non-zero when the queue is at or over its bound: read no more before gg_emit_pool_wait. */
int gg_emit_pool_full(struct gg_emit_pool *p);
/* The input's pass ended: idle workers take what is queued now instead of waiting for a
 * whole batch (group commit without a timer). */
void gg_emit_pool_flush(struct gg_emit_pool *p);
/* Makes gg_emit_pool_wait return -ECANCELED from now on; call it before joining the input's
 * thread, which may wait there. */
void gg_emit_pool_cancel(struct gg_emit_pool *p);
/* Records queued and held by workers, not yet committed. */
size_t gg_emit_pool_pending(struct gg_emit_pool *p);
/* Drains: the workers emit and commit every queued record (without waiting for room in the
 * spool: what was read is kept, over max_pending by at most the queue), then exit and are
 * joined. Call it after the input's thread stopped putting records. Takes NULL. */
void gg_emit_pool_free(struct gg_emit_pool *p);

#endif
