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
	if ((r = gg_ingest_new(in->pipeline, in->name, &e->ingest, err)) != 0 ||
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

/* The input's mappings on one record: 1 with *doc (or NULL: dropped on purpose or by the
 * policy) when they decided, 0 when the generic incident is due. header (LINE) gets the
 * syslog header the line was read with, NULL when it has none. */
static int emit_map(struct gg_emitter *e, const struct gg_record *rec, const char *id,
		    time_t now, xmlDocPtr *doc, const struct gg_syslog_msg **header)
{
	struct gg_mapper *mapper = e->input->mapper;
	struct gg_mapset *set = gg_mapper_acquire(mapper);
	enum gg_map_verdict verdict;
	struct gg_error map_err;
	int r;

	gg_error_clear(&map_err);
	if (rec->kind == GG_RECORD_SYSLOG) {
		struct gg_map_record mr = { .input = e->input->name, .peer = rec->peer,
					    .raw = rec->bytes, .raw_len = rec->len,
					    .syslog = e->msg, .record_id = id, .now = now };

		r = gg_map_apply(e->map_ctx, set, &mr, &e->pipeline->iodef_defaults, &verdict, doc,
				 NULL, NULL, &map_err);
	} else {
		r = gg_map_line(e->map_ctx, set, e->input->name, rec->origin, rec->position,
				rec->bytes, rec->len, now, &e->pipeline->iodef_defaults, &verdict,
				doc, NULL, NULL, header, &map_err);
	}
	gg_mapset_unref(set);
	switch (gg_mapper_outcome(mapper, e->input->name, r, verdict, &map_err)) {
	case GG_OUTCOME_DOCUMENT:
		return 1;
	case GG_OUTCOME_IGNORED:
	case GG_OUTCOME_DROPPED:
		xmlFreeDoc(*doc);
		*doc = NULL;
		return 1;
	case GG_OUTCOME_GENERIC:
		break;
	}
	xmlFreeDoc(*doc);
	*doc = NULL;
	return 0;
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

/* Builds the document a record becomes. 0 with *doc (NULL: dropped), or <0 with why: the
 * record is malformed. *built is 0 for a sender's document (never altered), 1 for ours. */
static int emit_document(struct gg_emitter *e, const struct gg_record *rec, const char *id,
			 xmlDocPtr *doc, int *built, struct gg_error *why)
{
	const struct gg_iodef_defaults *d = &e->pipeline->iodef_defaults;
	const struct gg_syslog_msg *header = NULL;
	time_t now = time(NULL);
	int r;

	*doc = NULL;
	*built = 1;
	switch (rec->kind) {
	case GG_RECORD_XML:
		*built = 0;
		return gg_xml_parse(rec->bytes, rec->len, &e->pipeline->xml_limits, doc, why);
	case GG_RECORD_JSON:
		return gg_iodef_from_json(rec->bytes, rec->len, d, doc, why);
	case GG_RECORD_SYSLOG:
		if (e->msg == NULL)
			return gg_error_set(why, -EINVAL, "a syslog message, and the input reads none");
		r = gg_syslog_parse(rec->bytes, rec->len, &e->syslog_limits, e->scratch,
				    e->scratch_size, e->msg, why);
		if (r != 0)
			return r;
		if (e->map_ctx != NULL && emit_map(e, rec, id, now, doc, NULL))
			return 0;
		return gg_iodef_from_syslog(e->msg, rec->bytes, rec->len, id, d, now, doc, why);
	case GG_RECORD_LINE:
		if (e->map_ctx != NULL && emit_map(e, rec, id, now, doc, &header))
			return 0;
		if (e->map_ctx == NULL)
			return gg_error_set(why, -EINVAL, "a log line, and the input has no mappings");
		return emit_generic_line(e, rec, header, id, now, doc, why);
	}
	return gg_error_set(why, -EINVAL, "unknown record kind %d", (int)rec->kind);
}

int gg_emit(struct gg_emitter *e, const struct gg_record *rec, enum gg_emit_outcome *outcome,
	    struct gg_error *why)
{
	char id[GG_RECORD_ID_LEN];
	struct gg_error err;
	xmlDocPtr doc = NULL;
	int r, built;

	gg_error_clear(why);
	if (rec->id != NULL)
		snprintf(id, sizeof(id), "%s", rec->id);
	else
		gg_record_id(e->input->name, rec->origin, rec->position, rec->bytes, rec->len, id);
	r = emit_document(e, rec, id, &doc, &built, why);
	if (r != 0) {
		*outcome = GG_EMIT_REFUSED;
		gg_log_debug("%s: %s: %s", e->input->name, rec->origin, why->msg);
		if ((r = gg_ingest_reject(e->ingest, id, rec->bytes, rec->len, why, &err)) != 0)
			return gg_error_set(why, r, "%s", err.msg);
		return 0;
	}
	if (doc == NULL) {
		*outcome = GG_EMIT_DROPPED;
		return 0;
	}
	r = built ? gg_ingest_built(e->ingest, doc, id, why)
		  : gg_ingest_document(e->ingest, doc, id, why);
	xmlFreeDoc(doc);
	if (r == -EINVAL) {
		*outcome = GG_EMIT_INVALID;
		return 0;
	}
	if (r < 0)
		return r;
	*outcome = GG_EMIT_STAGED;
	return 0;
}
