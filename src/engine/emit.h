/* emit.h: the one way records enter gridgate. An input reads bytes, frames them and emits
 * records; the engine does the rest, once for every input: the record id, the input's
 * mappings and their unmatched policy, the generic incident, the NDJSON mapping, the IODEF
 * 1.0 -> 2.0 upgrade, the XSD check, the size bound, staging and quarantine. The input tells
 * its sender "accepted" (file to done/, HTTP 202, the next TCP read) only after
 * gg_batch_commit returned 0.
 *
 * An emitter belongs to one thread (it holds that thread's spool handle, validator, mapping
 * context and parse buffers). An input whose requests arrive on threads it does not own
 * (libmicrohttpd's) hands their records to the thread that owns its emitter and answers each
 * request after that thread's commit. */
#ifndef GG_EMIT_H
#define GG_EMIT_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

struct gg_input;
struct gg_ingest;

enum gg_record_kind {
	GG_RECORD_XML,    /* one whole IODEF document (2.0, or 1.0 upgraded) */
	GG_RECORD_JSON,   /* one flat JSON object: the built-in NDJSON mapping */
	GG_RECORD_LINE,   /* one line of a log file: the input's mappings, else generic */
	GG_RECORD_SYSLOG, /* one syslog message as received: parsed, then as a line */
	GG_RECORD_DOC,    /* an IODEF document its input parsed already (doc, taken by gg_emit) */
};

enum gg_emit_outcome {
	GG_EMIT_STAGED,  /* in the spool after the commit */
	GG_EMIT_DROPPED, /* not an incident: a rule dropped it, or the unmatched policy did */
	GG_EMIT_REFUSED, /* never became a document (why says why): quarantined */
	GG_EMIT_INVALID, /* became a document the schema or the size bound refused: quarantined */
	/* a syslog message that says nothing (gg_syslog_msg_empty: a blank line, a PRI alone):
	 * no incident, nothing kept */
	GG_EMIT_EMPTY,
};

/* Told each item a record became, in order: its id (the record's, or "ID-N" for element N of
 * an `each` mapping) and what became of it. Returns 0, or <0 (out of memory) to stop: gg_emit
 * then returns that code and the caller rolls the batch back. */
typedef int (*gg_emit_item_fn)(void *arg, const char *id, enum gg_emit_outcome outcome);

struct gg_record {
	enum gg_record_kind kind;
	const char *origin; /* what the sender called it: a file name, "peer:seq" */
	uint64_t position;  /* line number in origin, 0 for a whole */
	const char *peer;   /* sender address for the mappings, NULL when none */
	const char *bytes;
	size_t len;
	/* NULL: the id is derived from the input, origin, position and bytes; else this one (a
	 * record released from the quarantine keeps the id it was refused under). */
	const char *id;
	/* NULL, or told every item of the record (an input that answers with the item ids: a
	 * record an `each` mapping explodes is several items, each with its own id). */
	gg_emit_item_fn item;
	void *item_arg;
	/* NULL, or what the input knows of the record beyond its bytes, a JSON object's text
	 * the outputs read back (a grid event's topic, item id and publish time). */
	const char *meta;
	/* GG_RECORD_DOC: the document, parsed by the input with limits as strict as the
	 * engine's (the RID envelope's): gg_emit takes it, whatever the outcome, and checks it
	 * as any other document. Serializing it only to parse it again cost the RID worker, the
	 * one thread its messages share, a parse and a serialization a document. */
	struct _xmlDoc *doc;
	/* GG_RECORD_DOC: the input checked doc against the engine's own IODEF 2.0 schema
	 * already (the RID parser must, to refuse an invalid message whole), so it is not
	 * checked again: a second check cost the RID path a tenth of its time. */
	int checked;
};

struct gg_emitter_opts {
	size_t max_syslog; /* longest syslog message the input lets through (max_message_size) */
	/* The input reads each record once, from a stream (syslog: a sender never sends a
	 * message again, and the ids include a per-connection count): the spool skips the
	 * duplicate check, which only an input that can read a record twice (a file after a
	 * crash, a retried request) needs. */
	int stream;
};

struct gg_emitter;
int gg_emitter_new(struct gg_input *in, const struct gg_emitter_opts *opts,
		   struct gg_emitter **out, struct gg_error *err);
void gg_emitter_free(struct gg_emitter *e);

/* Opens a batch; with wait, first waits while the spool is full (backpressure: an input whose
 * sender can wait). -ECANCELED when the engine stops meanwhile. An input whose sender cannot
 * wait (UDP) opens without waiting and sheds what the spool has no room for itself. */
int gg_batch_begin(struct gg_emitter *e, int wait, struct gg_error *err);
/* Checks one record and stages it (or its quarantine entry) in the open batch: one item, or
 * one per element of an `each` mapping, each told to rec->item when set. Returns 0 with
 * *outcome summing the items up (STAGED when any is, else INVALID, REFUSED, DROPPED in that
 * order; why filled for REFUSED and INVALID; EMPTY for a syslog message with nothing in it), or <0 when the batch cannot go on (out of
 * memory, or rec->item's code): the caller rolls it back. */
int gg_emit(struct gg_emitter *e, const struct gg_record *rec, enum gg_emit_outcome *outcome,
	    struct gg_error *why);
/* Stages for the quarantine a record the input refuses itself, whole (a file too big to read,
 * a binary file in a log input), with why. */
int gg_emit_refused(struct gg_emitter *e, const struct gg_record *rec,
		    const struct gg_error *why, struct gg_error *err);
/* Records the spool takes before it is full (INT64_MAX without a bound, 0 when it cannot
 * tell), for an input that sheds instead of waiting. */
int64_t gg_batch_room(struct gg_emitter *e);
/* Non-zero when the open batch holds [spool] batch entries: commit before reading more. */
int gg_batch_full(const struct gg_emitter *e);
size_t gg_batch_staged(const struct gg_emitter *e);
/* The open batch's commit also deletes quarantine row quarantine_seq, in the same
 * transaction (`gridgate spool quarantine release`): the record and the row never both stay,
 * nor both go. The commit fails when the row is gone meanwhile. */
void gg_batch_release(struct gg_emitter *e, int64_t quarantine_seq);
/* Writes the batch in one transaction; nothing of it is durable before this returns 0, and
 * on failure nothing of it was written. */
int gg_batch_commit(struct gg_emitter *e, struct gg_error *err);
void gg_batch_rollback(struct gg_emitter *e);

/* The emitter's ingest, for an input that commits a big unit in slices (the file drop's
 * staging calls in pipeline.h). */
struct gg_ingest *gg_emitter_ingest(struct gg_emitter *e);

#endif
