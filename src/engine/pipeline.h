/* pipeline.h: what inputs share with the publisher: the compiled schema, counters, and the
 * ingest path (IODEF check -> spool or quarantine) each input thread runs with its own handles. */
#ifndef GG_PIPELINE_H
#define GG_PIPELINE_H

#include <libxml/tree.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "base/counters.h"
#include "engine/config.h"
#include "base/error.h"
#include "iodef/iodef.h"
#include "iodef/iodef_fit.h"
#include "engine/spool.h"
#include "iodef/xmlsafe.h"

struct gg_counters {
	atomic_uint_fast64_t accepted;     /* records committed to the spool */
	atomic_uint_fast64_t duplicates;   /* replays recognised by id */
	atomic_uint_fast64_t quarantined;  /* documents refused (parse, version, schema, size) */
	atomic_uint_fast64_t records_cut;  /* built documents cut to fit max_document_size */
	atomic_uint_fast64_t published;    /* acknowledged by the controller's IQ result */
	atomic_uint_fast64_t publish_retries;
	atomic_uint_fast64_t publish_refused; /* permanent refusals: row marked failed */
	atomic_uint_fast64_t backpressure_waits;
	atomic_uint_fast64_t reconnects;
	atomic_uint_fast64_t files_done;
	atomic_uint_fast64_t files_failed;
};

struct gg_pipeline {
	const struct gg_config *cfg;
	struct gg_schema *schema;
	struct gg_xml_limits xml_limits;
	struct gg_fit_limits fit_limits;
	struct gg_iodef_defaults iodef_defaults;
	struct gg_counters counters;
	/* Bumped after every commit that added records; an output reads it to know whether its
	 * cursor is behind. Each output's wake descriptor (an eventfd) is written at the same
	 * time and at a stop, so outputs sleep until there is something to send. */
	atomic_uint_fast64_t spool_generation;
	pthread_mutex_t wake_lock;
	int *wake_fds;
	size_t n_wake_fds;
	atomic_int stopping;
	/* Inputs blocked on a full spool wait here; outputs notify after acknowledgements, and
	 * the stop. The generation tells a waiter that a notice came since it looked. */
	pthread_mutex_t room_lock;
	pthread_cond_t room_cond;
	atomic_uint_fast64_t room_generation;
	/* The daemon's WAL checkpoints (NULL in a command-line tool: SQLite's own). */
	struct gg_spool_checkpointer *checkpointer;
};

/* The rows of struct gg_counters. */
extern const struct gg_counter gg_core_counters[];

int gg_pipeline_new(const struct gg_config *cfg, struct gg_pipeline **out, struct gg_error *err);
void gg_pipeline_free(struct gg_pipeline *p);
/* Moves the WAL checkpoints of every spool handle opened from now on to a thread of their own
 * (spool_checkpoint.h). The spool file must exist. */
int gg_pipeline_start_checkpoints(struct gg_pipeline *p, struct gg_error *err);
void gg_pipeline_notify_room(struct gg_pipeline *p);
/* Wakes every output (new records committed, or a stop). */
void gg_pipeline_wake_output(struct gg_pipeline *p);
/* An output's own wake descriptor (an eventfd, readable after gg_pipeline_wake_output), and
 * its release. */
int gg_pipeline_wake_fd_new(struct gg_pipeline *p, int *fd, struct gg_error *err);
void gg_pipeline_wake_fd_free(struct gg_pipeline *p, int fd);
void gg_pipeline_stop(struct gg_pipeline *p);
/* A spool handle with the configuration's settings, for the default output. */
int gg_pipeline_open_spool(const struct gg_pipeline *p, struct gg_spool **out,
			   struct gg_error *err);
/* The same, fetching and marking as output (NULL: the default) and delivering its puts to
 * routes (none: the default output alone). */
int gg_pipeline_open_spool_for(const struct gg_pipeline *p, const char *output,
			       const char *const *routes, size_t n_routes, struct gg_spool **out,
			       struct gg_error *err);

/* One per input thread. Records are checked (and quarantined or accepted) as they come, and
 * written to the spool in one short transaction at gg_ingest_commit: parsing and validation
 * never run while the spool's write lock is held. */
struct gg_ingest;
/* Its commits deliver each record to routes (none: the default output alone). */
int gg_ingest_new(struct gg_pipeline *p, const char *input_name, const char *const *routes,
		  size_t n_routes, struct gg_ingest **out, struct gg_error *err);
void gg_ingest_free(struct gg_ingest *ing);
/* What the input knows of the record it stages next beyond its bytes (a JSON object's text,
 * copied into each document staged until the next call; NULL: nothing). */
void gg_ingest_set_meta(struct gg_ingest *ing, const char *meta);
/* The input never reads a record twice (gg_spool_set_stream_ids). */
void gg_ingest_set_stream_ids(struct gg_ingest *ing);
/* Blocks while the spool is full (backpressure). Returns -ECANCELED when stopping. */
int gg_ingest_wait_room(struct gg_ingest *ing);
/* Records the spool takes before max_pending (gg_spool_room of this ingest's handle). */
int64_t gg_ingest_room(struct gg_ingest *ing);
/* Starts a batch (drops anything staged and not committed). */
int gg_ingest_begin(struct gg_ingest *ing, struct gg_error *err);
/* Writes the staged records in one transaction. Nothing a sender may be told "accepted" about
 * is durable before this returns 0. On failure nothing of the batch is written. */
int gg_ingest_commit(struct gg_ingest *ing, struct gg_error *err);
/* The staged entries of n ingests of one input in one transaction through sp, a handle opened
 * for the same input (routes, ids) that this thread owns: all are committed or none, and every
 * ingest is cleared. A pool's writer commits all its workers' batches through one connection,
 * whose page cache another connection's commit would throw away (SQLite drops it whole), and
 * the batches it finds ready together in one transaction: a commit costs about the same few
 * WAL pages whatever it holds. */
int gg_ingest_commit_group(struct gg_ingest *const *ings, size_t n, struct gg_spool *sp,
			   struct gg_error *err);
void gg_ingest_rollback(struct gg_ingest *ing);
/* The next gg_ingest_commit also deletes quarantine row quarantine_seq, in its transaction,
 * and fails (writing nothing) when the row is gone. Cleared by every begin, commit and
 * rollback. */
void gg_ingest_release(struct gg_ingest *ing, int64_t quarantine_seq);
/* Records staged since the last commit (inputs commit mid-file when this grows). */
size_t gg_ingest_staged(const struct gg_ingest *ing);
/* Checks doc, a document read from outside (upgrading IODEF 1.0 to 2.0; valid: IODEF 2.0 the
 * input checked against the engine's schema already, not checked again), and stages it
 * under id for the spool, or for the quarantine (invalid, or over max_document_size once
 * serialized: it is a sender's document, never altered). Returns 0 staged, -EINVAL
 * quarantined (why says it), other <0 errors. */
int gg_ingest_document(struct gg_ingest *ing, xmlDocPtr doc, int valid, const char *id,
		       struct gg_error *why);
/* The same for a document gridgate built (a mapping, a generic incident, the NDJSON mapping):
 * one over max_document_size is cut to fit (gg_iodef_fit: the raw record once, cut, with its
 * length and SHA-256) and checked again; only one that cannot be made to fit, or is invalid,
 * is quarantined. doc may be modified. */
int gg_ingest_built(struct gg_ingest *ing, xmlDocPtr doc, const char *id, struct gg_error *why);
/* Stages for the quarantine bytes that never became a document (malformed, refused). */
int gg_ingest_reject(struct gg_ingest *ing, const char *id, const char *bytes, size_t len,
		     const struct gg_error *why, struct gg_error *err);

/* A file whose records must reach the queue all at once or not at all (in_filedrop), read in
 * slices so that it never has to fit in memory. `from` is gg_ingest_staged() when the file
 * began: entries before it belong to earlier files and are committed as usual. */
/* At start: creates the spool's staging table if missing and deletes what this input left
 * staged (files it had not finished; they are still in place and are read again). */
int gg_ingest_stage_init(struct gg_ingest *ing, int64_t *removed, struct gg_error *err);
/* Commits entries before from to the queue and the file's records since from to its staging
 * rows, which no output reads; first deletes rows left by an earlier, abandoned reading of the
 * file. Quarantine entries are written either way. Entries are cleared, as by a commit. */
int gg_ingest_commit_slice(struct gg_ingest *ing, size_t from, const char *file, int first,
			   struct gg_error *err);
/* The file ended well: its staging rows and every staged entry enter the queue in one
 * transaction. On failure nothing is written (staging rows stay, the file is read again). */
int gg_ingest_commit_file(struct gg_ingest *ing, size_t from, const char *file,
			  struct gg_error *err);
/* The file failed: forgets its records staged in memory since from (quarantine entries stay,
 * to be committed with the batch) and returns how many. */
size_t gg_ingest_drop_records(struct gg_ingest *ing, size_t from);
/* The file failed after slices: deletes its staging rows (its own short transaction). */
int gg_ingest_discard_file(struct gg_ingest *ing, const char *file, struct gg_error *err);

#endif
