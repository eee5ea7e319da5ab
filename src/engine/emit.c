/* emit.c: a record's way from an input to the spool, the same for every input: id, parse,
 * mappings and their policy, the generic incident, check, staging or quarantine. */
#include "engine/emit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libxml/tree.h>

#include "base/log.h"
#include "base/record_id.h"
#include "engine/adapter.h"
#include "engine/map_input.h"
#include "engine/pipeline.h"
#include "formats/syslog_parse.h"
#include "iodef/iodef.h"
#include "iodef/xmlsafe.h"
#include "map/map.h"

struct gg_emitter {
	struct gg_input *input;
	struct gg_pipeline *pipeline;
	struct gg_ingest *ingest;
	struct gg_map_ctx *map_ctx; /* when the input has mappings */
	struct gg_syslog_limits syslog_limits;
	/* The parsed message: 160 SD slots, too big for a thread's stack frame, reused; its
	 * unescaped SD values go to scratch. */
	struct gg_syslog_msg *msg;
	char *scratch;
	size_t scratch_size;
};

int gg_emitter_new(struct gg_input *in, const struct gg_emitter_opts *opts,
		   struct gg_emitter **out, struct gg_error *err)
{
	struct gg_emitter *e = calloc(1, sizeof(*e));
	int r;

	if (e == NULL)
		return gg_error_set(err, -ENOMEM, "out of memory");
	e->input = in;
	e->pipeline = in->pipeline;
	e->syslog_limits.max_size = opts->max_syslog;
	e->syslog_limits.max_sd_elements = GG_SYSLOG_MAX_SD_ELEMENTS;
	e->syslog_limits.max_sd_params = GG_SYSLOG_MAX_SD_PARAMS;
	/* Only an input that emits syslog messages needs the parse buffers. */
	if (opts->max_syslog > 0) {
		e->scratch_size = opts->max_syslog;
		e->msg = malloc(sizeof(*e->msg));
		e->scratch = malloc(e->scratch_size);
		if (e->msg == NULL || e->scratch == NULL) {
			r = gg_error_set(err, -ENOMEM, "out of memory");
			goto fail;
		}
	}
	if ((r = gg_ingest_new(in->pipeline, in->name, in->routes, in->n_routes, &e->ingest,
			       err)) != 0 ||
	    (in->mapper != NULL && (r = gg_mapper_ctx_new(in->mapper, &e->map_ctx, err)) != 0))
		goto fail;
	if (opts->stream)
		gg_ingest_set_stream_ids(e->ingest);
	*out = e;
	return 0;
fail:
	gg_emitter_free(e);
	return r;
}

void gg_emitter_free(struct gg_emitter *e)
{
	if (e == NULL)
		return;
	gg_ingest_free(e->ingest);
	gg_map_ctx_free(e->map_ctx);
	free(e->msg);
	free(e->scratch);
	free(e);
}

struct gg_ingest *gg_emitter_ingest(struct gg_emitter *e)
{
	return e->ingest;
}

int gg_batch_begin(struct gg_emitter *e, int wait, struct gg_error *err)
{
	if (wait && gg_ingest_wait_room(e->ingest) != 0)
		return gg_error_set(err, -ECANCELED, "stopping");
	return gg_ingest_begin(e->ingest, err);
}

int gg_emit_refused(struct gg_emitter *e, const struct gg_record *rec,
		    const struct gg_error *why, struct gg_error *err)
{
	char id[GG_RECORD_ID_LEN];

	gg_record_id(e->input->name, rec->origin, rec->position, rec->bytes, rec->len, id);
	return gg_ingest_reject(e->ingest, id, rec->bytes, rec->len, why, err);
}

int64_t gg_batch_room(struct gg_emitter *e)
{
	return gg_ingest_room(e->ingest);
}

int gg_batch_full(const struct gg_emitter *e)
{
	return gg_ingest_staged(e->ingest) >= (size_t)e->pipeline->cfg->spool.batch;
}

size_t gg_batch_staged(const struct gg_emitter *e)
{
	return gg_ingest_staged(e->ingest);
}

void gg_batch_release(struct gg_emitter *e, int64_t quarantine_seq)
{
	gg_ingest_release(e->ingest, quarantine_seq);
}

int gg_batch_commit(struct gg_emitter *e, struct gg_error *err)
{
	return gg_ingest_commit(e->ingest, err);
}

void gg_batch_rollback(struct gg_emitter *e)
{
	gg_ingest_rollback(e->ingest);
}

/* A log line no mapping took: what it would be without mappings, a JSON object through the
 * flat JSON mapping, anything with a syslog header the unclassified incident carrying it. */
static int emit_generic_line(struct gg_emitter *e, const struct gg_record *rec,
			     const struct gg_syslog_msg *header, const char *id, time_t now,
			     xmlDocPtr *doc, struct gg_error *why)
{
	const struct gg_iodef_defaults *d = &e->pipeline->iodef_defaults;

	if (rec->len > 0 && rec->bytes[strspn(rec->bytes, " \t")] == '{')
		return gg_iodef_from_json(rec->bytes, rec->len, d, doc, why);
	if (header == NULL)
		return gg_error_set(why, -EINVAL, "not a log line the syslog parser reads");
	return gg_iodef_from_syslog(header, rec->bytes, rec->len, id, d, now, doc, why);
}

/* A record's way through the mappings: every result it gave (one, or one per element of an
 * `each` mapping) staged, quarantined or dropped, and counted for the outcome. */
struct emit_tally {
	struct gg_emitter *e;
	const struct gg_record *rec;
	const char *id; /* the record's */
	time_t now;
	const struct gg_syslog_msg *header; /* LINE: the header the line was read with, or NULL */
	struct gg_error *why;
	unsigned staged, invalid, refused;
	int empty; /* a syslog message with nothing in it: no item at all */
	int stop; /* the batch cannot go on: this code (out of memory) */
};

/* Tells the input what became of one item (id), when it asked. 0, or the input's <0. */
static int tell(struct emit_tally *t, const char *id, enum gg_emit_outcome outcome)
{
	int r;

	if (t->rec->item == NULL)
		return 0;
	if ((r = t->rec->item(t->rec->item_arg, id, outcome)) < 0)
		return gg_error_set(t->why, r, "out of memory");
	return 0;
}

/* Stages one document of the record, or quarantines bytes with why when r (the build's
 * result) is not 0. 0, or <0 when the batch cannot go on. */
static int stage(struct emit_tally *t, int r, xmlDocPtr doc, int built, const char *id,
		 const char *bytes, size_t len)
{
	struct gg_ingest *ing = t->e->ingest;
	struct gg_error err;

	if (r != 0) {
		t->refused++;
		gg_log_debug("%s: %s: %s", t->e->input->name, t->rec->origin, t->why->msg);
		if ((r = gg_ingest_reject(ing, id, bytes, len, t->why, &err)) != 0)
			return gg_error_set(t->why, r, "%s", err.msg);
		return tell(t, id, GG_EMIT_REFUSED);
	}
	if (doc == NULL)
		return tell(t, id, GG_EMIT_DROPPED);
	r = built ? gg_ingest_built(ing, doc, id, t->why)
		  : gg_ingest_document(ing, doc, t->rec->kind == GG_RECORD_DOC && t->rec->checked,
				       id, t->why);
	xmlFreeDoc(doc);
	if (r == -EINVAL) {
		t->invalid++;
		return tell(t, id, GG_EMIT_INVALID);
	}
	if (r < 0)
		return r;
	t->staged++;
	return tell(t, id, GG_EMIT_STAGED);
}

/* The generic incident of a result no mapping took: an element of an `each` mapping through
 * the flat JSON mapping, a syslog message or a line as it would be without mappings. */
static int emit_generic(struct emit_tally *t, const struct gg_map_result *res, xmlDocPtr *doc)
{
	struct gg_emitter *e = t->e;
	const struct gg_record *rec = t->rec;

	if (res->element >= 0)
		return gg_iodef_from_json(res->raw, res->raw_len, &e->pipeline->iodef_defaults, doc,
					  t->why);
	if (rec->kind == GG_RECORD_SYSLOG)
		return gg_iodef_from_syslog(e->msg, rec->bytes, rec->len, t->id,
					    &e->pipeline->iodef_defaults, t->now, doc, t->why);
	return emit_generic_line(e, rec, t->header, t->id, t->now, doc, t->why);
}

/* gg_map_sink: one result of the input's mappings, under its unmatched policy. */
static int emit_result(void *arg, struct gg_map_result *res)
{
	struct emit_tally *t = arg;
	struct gg_emitter *e = t->e;
	/* The record keeps the id gg_emit gave it (a released record's own); an element's id
	 * is the mapping's "ID-N". */
	const char *id = res->element >= 0 ? res->id : t->id;
	const char *bytes = res->element >= 0 ? res->raw : t->rec->bytes;
	size_t len = res->element >= 0 ? res->raw_len : t->rec->len;
	xmlDocPtr doc = NULL;
	int r;

	switch (gg_mapper_outcome(e->input->mapper, e->input->name, res->error, res->verdict,
				  res->why)) {
	case GG_OUTCOME_DOCUMENT:
		doc = res->doc;
		res->doc = NULL;
		r = stage(t, 0, doc, 1, id, bytes, len);
		break;
	case GG_OUTCOME_GENERIC:
		r = emit_generic(t, res, &doc);
		r = stage(t, r, doc, 1, id, bytes, len);
		break;
	default: /* ignored or dropped: nothing to stage */
		r = tell(t, id, GG_EMIT_DROPPED);
		break;
	}
	if (r < 0)
		t->stop = r;
	return r;
}

/* The input's mappings on a record (a syslog message parsed into e->msg, or a line). 0, or <0
 * when the batch cannot go on. */
static int emit_mapped(struct emit_tally *t)
{
	struct gg_emitter *e = t->e;
	const struct gg_record *rec = t->rec;
	struct gg_mapset *set = gg_mapper_acquire(e->input->mapper);
	struct gg_error map_err;
	int r;

	gg_error_clear(&map_err);
	if (rec->kind == GG_RECORD_SYSLOG) {
		struct gg_map_record mr = { .input = e->input->name, .peer = rec->peer,
					    .raw = rec->bytes, .raw_len = rec->len,
					    .syslog = e->msg, .record_id = t->id, .now = t->now };

		r = gg_map_apply(e->map_ctx, set, &mr, &e->pipeline->iodef_defaults, emit_result,
				 t, &map_err);
	} else {
		r = gg_map_line(e->map_ctx, set, e->input->name, rec->origin, rec->position,
				rec->bytes, rec->len, t->now, &e->pipeline->iodef_defaults,
				emit_result, t, &t->header, &map_err);
	}
	gg_mapset_unref(set);
	if (t->stop != 0)
		return t->stop;
	if (r == -ENOMEM)
		return gg_error_set(t->why, r, "%s", map_err.msg);
	if (r < 0) {
		/* The record as a whole failed (a selection regex over its limits, more
		 * elements than a record may have): counted, and the policy applies to it. */
		struct gg_map_result res = { .verdict = GG_MAP_UNMATCHED, .error = r,
					     .why = &map_err, .id = t->id, .element = -1,
					     .raw = rec->bytes, .raw_len = rec->len };

		return emit_result(t, &res);
	}
	return 0;
}

/* Builds the document a record that no mapping reads becomes. 0 with *doc, or <0 with why:
 * the record is malformed. *built is 0 for a sender's document (never altered), 1 for ours. */
static int emit_document(struct gg_emitter *e, const struct gg_record *rec, const char *id,
			 time_t now, xmlDocPtr *doc, int *built, struct gg_error *why)
{
	const struct gg_iodef_defaults *d = &e->pipeline->iodef_defaults;

	*doc = NULL;
	*built = 1;
	switch (rec->kind) {
	case GG_RECORD_XML:
		*built = 0;
		return gg_xml_parse(rec->bytes, rec->len, &e->pipeline->xml_limits, doc, why);
	case GG_RECORD_DOC:
		*built = 0;
		*doc = rec->doc;
		return *doc != NULL ? 0 : gg_error_set(why, -EINVAL, "no document");
	case GG_RECORD_JSON:
		return gg_iodef_from_json(rec->bytes, rec->len, d, doc, why);
	case GG_RECORD_SYSLOG:
		return gg_iodef_from_syslog(e->msg, rec->bytes, rec->len, id, d, now, doc, why);
	case GG_RECORD_LINE:
		return gg_error_set(why, -EINVAL, "a log line, and the input has no mappings");
	}
	return gg_error_set(why, -EINVAL, "unknown record kind %d", (int)rec->kind);
}

int gg_emit(struct gg_emitter *e, const struct gg_record *rec, enum gg_emit_outcome *outcome,
	    struct gg_error *why)
{
	char id[GG_RECORD_ID_LEN];
	struct emit_tally t = { .e = e, .rec = rec, .id = id, .now = time(NULL), .why = why };
	xmlDocPtr doc = NULL;
	int r, built = 1;

	gg_error_clear(why);
	if (rec->id != NULL)
		snprintf(id, sizeof(id), "%s", rec->id);
	else
		gg_record_id(e->input->name, rec->origin, rec->position, rec->bytes, rec->len, id);
	gg_ingest_set_meta(e->ingest, rec->meta);
	if (rec->kind == GG_RECORD_SYSLOG && e->msg == NULL) {
		r = stage(&t, gg_error_set(why, -EINVAL, "a syslog message, and the input reads "
					   "none"), NULL, 1, id, rec->bytes, rec->len);
	} else if (rec->kind == GG_RECORD_SYSLOG &&
		   (r = gg_syslog_parse(rec->bytes, rec->len, &e->syslog_limits, e->scratch,
					e->scratch_size, e->msg, why)) != 0) {
		r = stage(&t, r, NULL, 1, id, rec->bytes, rec->len);
	} else if (rec->kind == GG_RECORD_SYSLOG && gg_syslog_msg_empty(e->msg)) {
		/* Before the mappings, whose unmatched policy would publish a blank line as an
		 * unclassified incident. */
		t.empty = 1;
		r = tell(&t, id, GG_EMIT_EMPTY);
	} else if ((rec->kind == GG_RECORD_SYSLOG || rec->kind == GG_RECORD_LINE) &&
		   e->map_ctx != NULL) {
		r = emit_mapped(&t);
	} else {
		/* Built first: stage's arguments would read doc in no given order. */
		r = emit_document(e, rec, id, t.now, &doc, &built, why);
		r = stage(&t, r, doc, built, id, rec->bytes, rec->len);
	}
	gg_ingest_set_meta(e->ingest, NULL);
	if (r < 0)
		return r;
	/* A record an `each` mapping splits is staged when any of its documents is. */
	*outcome = t.empty ? GG_EMIT_EMPTY : t.staged > 0 ? GG_EMIT_STAGED
		   : t.invalid > 0 ? GG_EMIT_INVALID : t.refused > 0 ? GG_EMIT_REFUSED
		   : GG_EMIT_DROPPED;
	return 0;
}
