/* spool.h: the durable queue between stages (SQLite in WAL mode). Every thread opens its own
 * handle on the same file. A record's id, given at insert, is its pubsub item id. A record has
 * a delivery per output it goes to, each with its own state: outputs drain independently. */
#ifndef GG_SPOOL_H
#define GG_SPOOL_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

struct gg_spool;

/* The output of spools written before outputs had names: the XMPP-Grid publisher's. */
#define GG_SPOOL_OUTPUT_DEFAULT "grid"

struct gg_spool_checkpointer;

struct gg_spool_options {
	const char *path;
	/* The output this handle fetches and marks for (default GG_SPOOL_OUTPUT_DEFAULT). */
	const char *output;
	/* The outputs a put delivers to (none given: GG_SPOOL_OUTPUT_DEFAULT alone). */
	const char *const *outputs;
	size_t n_outputs;
	int synchronous_full; /* 1: fsync every commit (FULL); 0: NORMAL (WAL is still crash-safe) */
	int64_t max_pending;  /* backpressure bound on the deepest output's pending deliveries */
	int busy_timeout_ms;
	/* Commits that grow the WAL ask it for checkpoints (spool_checkpoint.h) instead of
	 * checkpointing themselves. NULL: SQLite's own checkpoints (a command-line tool). */
	struct gg_spool_checkpointer *checkpointer;
};

enum gg_spool_state { GG_SPOOL_PENDING = 0, GG_SPOOL_DONE = 1, GG_SPOOL_FAILED = 2 };

struct gg_spool_row {
	int64_t seq; /* insertion order, an output's cursor */
	char id[65];
	char *payload;
	size_t payload_len;
	int attempts;
	char *source;    /* the input it came from ("" when unknown) */
	int64_t created; /* when the spool took it, UTC seconds */
	char *meta;      /* what the input knew of it beyond its bytes (a JSON object), or NULL */
};

/* Deliveries summed over the outputs, and the quarantine. */
struct gg_spool_stats {
	int64_t pending;
	int64_t done;
	int64_t failed;
	int64_t quarantined;
};

struct gg_spool_output_stats {
	char output[64];
	int64_t pending, done, failed;
	int64_t oldest_pending; /* creation (UTC seconds) of its oldest pending record, 0: none */
};
typedef void (*gg_spool_output_fn)(void *arg, const struct gg_spool_output_stats *o);

int gg_spool_open(const struct gg_spool_options *opts, struct gg_spool **out,
		  struct gg_error *err);
void gg_spool_close(struct gg_spool *sp);
/* This handle's puts come from a stream that never reads a record twice (syslog): their ids
 * are not checked against earlier records, so a put never returns 1. The check costs each
 * put an insert at a random place of an index: most of a commit's cost. */
void gg_spool_set_stream_ids(struct gg_spool *sp);

/* Group commit: wrap many puts in one transaction. */
int gg_spool_begin(struct gg_spool *sp, struct gg_error *err);
int gg_spool_commit(struct gg_spool *sp, struct gg_error *err);
void gg_spool_rollback(struct gg_spool *sp);

/* Inserts a record with a pending delivery for each of the handle's outputs. Returns 0 when
 * inserted, 1 when a record with this id is already there (a replay after a crash:
 * harmless), negative on error. */
int gg_spool_put(struct gg_spool *sp, const char *id, const char *source, const char *payload,
		 size_t len, struct gg_error *err);
/* The same with what the input knows of the record beyond its bytes (meta: a JSON object's
 * text, or NULL), which the outputs read back in gg_spool_row.meta. */
int gg_spool_put_meta(struct gg_spool *sp, const char *id, const char *source, const char *meta,
		      const char *payload, size_t len, struct gg_error *err);
/* Records a document that failed validation, with the reason and its position. Returns 0
 * when stored, 1 when the same source quarantined a record of this id already (a retried
 * request, a file read again: the first row stays), negative on error. */
int gg_spool_quarantine(struct gg_spool *sp, const char *id, const char *source,
			const char *reason, int line, int column, const char *payload, size_t len,
			struct gg_error *err);

/* Up to max rows pending for the handle's output with seq > after_seq and no retry time in the
 * future, in seq order. Returns the count (>= 0) or a
 * negative error; rows[i] fields are owned by the caller: free with gg_spool_rows_free. */
int gg_spool_fetch_pending(struct gg_spool *sp, int64_t after_seq, int max,
			   struct gg_spool_row *rows, struct gg_error *err);
void gg_spool_rows_free(struct gg_spool_row *rows, int n);

/* Marks acknowledged rows done, in one transaction. */
int gg_spool_mark_done(struct gg_spool *sp, const int64_t *seqs, size_t n, struct gg_error *err);
/* A permanent refusal by the far side: the delivery leaves the output's queue (dead letter)
 * with a reason. A delivery already done stays done. */
int gg_spool_mark_failed(struct gg_spool *sp, int64_t seq, const char *reason,
			 struct gg_error *err);
/* Puts dead-lettered deliveries of seq back in their outputs' queues (an operator fixed the
 * cause). Returns how many were requeued (0: none was dead), or <0. */
int gg_spool_requeue(struct gg_spool *sp, int64_t seq, struct gg_error *err);
/* Puts output's dead letters back in its queue, attempts counted from zero: the one of seq,
 * or every one when seq is 0. Returns how many, or <0. */
int gg_spool_requeue_output(struct gg_spool *sp, const char *output, int64_t seq,
			    struct gg_error *err);
/* Deletes output's dead letters, and the records no other delivery keeps; *removed gets how
 * many dead letters went. Its own transaction. */
int gg_spool_purge_dead(struct gg_spool *sp, const char *output, int64_t *removed,
			struct gg_error *err);
/* The far side asked to wait: the delivery stays pending, out of fetches before not_before
 * (UTC seconds), with the reason and one more attempt counted. */
int gg_spool_retry_at(struct gg_spool *sp, int64_t seq, int64_t not_before, const char *reason,
		      struct gg_error *err);

int gg_spool_pending_count(struct gg_spool *sp, int64_t *out);
/* This handle's PRAGMA synchronous: 1 NORMAL, 2 FULL (what synchronous_full asked for), or a
 * negative error. For tests and diagnostics. */
int gg_spool_synchronous(struct gg_spool *sp);
/* Records the deepest output's queue takes before max_pending (INT64_MAX without a bound; 0
 * when the count cannot be read: hold back rather than accept what may not be kept). */
int64_t gg_spool_room(struct gg_spool *sp);
/* 1 when there is no room (inputs must wait), else 0. */
int gg_spool_is_full(struct gg_spool *sp);
int gg_spool_stats(struct gg_spool *sp, struct gg_spool_stats *out, struct gg_error *err);
/* The same, and fn (may be NULL) once per output with its own counts and oldest pending. */
int gg_spool_stats_outputs(struct gg_spool *sp, struct gg_spool_stats *out, gg_spool_output_fn fn,
			   void *arg, struct gg_error *err);
/* A row the far side refused for good (state failed), as gg_spool_list_failed shows it; the
 * strings live until fn returns. */
struct gg_spool_failed {
	int64_t seq;
	const char *id, *source, *reason, *output;
	int attempts;
	int64_t updated; /* UTC seconds when it was refused */
};
typedef void (*gg_spool_failed_fn)(void *arg, const struct gg_spool_failed *row);
/* Calls fn for up to max refused rows (of output, or of every output when NULL), newest
 * first. Returns how many, or <0. */
int gg_spool_list_failed(struct gg_spool *sp, const char *output, int max,
			 gg_spool_failed_fn fn, void *arg, struct gg_error *err);
/* A quarantined record (`gridgate spool quarantine`): what was refused, where and why. The
 * strings live until fn returns; payload is NULL in lists (payload_len is its size). */
struct gg_spool_quarantined {
	int64_t seq;
	const char *id, *source, *reason;
	int line, column; /* in the payload, 0 when unknown */
	const char *payload;
	size_t payload_len;
	int64_t created; /* UTC seconds */
};
typedef void (*gg_spool_quarantined_fn)(void *arg, const struct gg_spool_quarantined *row);
/* Calls fn for up to max quarantined rows, newest first, without their payloads. Returns how
 * many, or <0. */
int gg_spool_quarantine_list(struct gg_spool *sp, int max, gg_spool_quarantined_fn fn, void *arg,
			     struct gg_error *err);
/* Calls fn, payload included, for the row whose seq is key (digits) or every row whose record
 * id is key, newest first. Returns how many (0: none), or <0. */
int gg_spool_quarantine_get(struct gg_spool *sp, const char *key, gg_spool_quarantined_fn fn,
			    void *arg, struct gg_error *err);
/* Deletes quarantine row seq, inside the caller's transaction or as its own (a released record
 * leaves it in the transaction that queues it). Returns 1 deleted, 0 not there, or <0. */
int gg_spool_quarantine_delete(struct gg_spool *sp, int64_t seq, struct gg_error *err);
/* Deletes the quarantine rows created more than max_age_s ago (0: every row); *removed gets
 * the count. Its own transaction. */
int gg_spool_quarantine_purge(struct gg_spool *sp, int64_t max_age_s, int64_t *removed,
			      struct gg_error *err);
/* Deletes done rows older than max_age_s, keeping the file from growing without end. */
int gg_spool_prune_done(struct gg_spool *sp, int64_t max_age_s, struct gg_error *err);

/* File staging (in_filedrop): the records of a file committed in several slices wait in a
 * table the publisher never reads, keyed by source (the input) and file, and enter the queue
 * in one transaction once the whole file is good, or are dropped with it. */
struct gg_spool_stage_row {
	const char *id;
	const char *payload;
	size_t len;
};
/* Creates the staging table if missing (spools written before it keep working) and deletes
 * what source left staged, its files unfinished when it stopped: they are read again.
 * *removed gets the number of rows deleted. Its own transaction. */
int gg_spool_stage_init(struct gg_spool *sp, const char *source, int64_t *removed,
			struct gg_error *err);
/* Adds rows of one file, in order; inside the caller's transaction. */
int gg_spool_stage_put(struct gg_spool *sp, const char *source, const char *file,
		       const struct gg_spool_stage_row *rows, size_t n, struct gg_error *err);
/* Deletes the staged rows of file (every file of source when file is NULL); works inside the
 * caller's transaction or as its own. *removed (may be NULL) gets the count. */
int gg_spool_stage_drop(struct gg_spool *sp, const char *source, const char *file,
			int64_t *removed, struct gg_error *err);
/* Moves the staged rows of file into the queue, in order, and deletes them; must run inside the
 * caller's transaction so the move is all or nothing. Ids already queued are not added again
 * (*duplicates). */
int gg_spool_stage_publish(struct gg_spool *sp, const char *source, const char *file,
			   int64_t *added, int64_t *duplicates, struct gg_error *err);

#endif
