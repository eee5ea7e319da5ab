/* pipeline.c: the ingest path shared by every input: version check, 1.0 upgrade, XSD check,
 * then spool or quarantine, with counters. Each input thread owns one gg_ingest. */
#include "engine/pipeline.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "engine/spool_checkpoint.h"

/* A checked record waiting for the batch's commit. */
struct staged {
	char id[65];
	int quarantine;
	char *payload;
	size_t len;
	char *meta; /* the record's, for the outputs; NULL when its input said nothing more */
	char *reason;
	int line, column;
};

struct gg_ingest {
	struct gg_pipeline *pipeline;
	char *input_name;
	struct gg_spool *spool;
	struct gg_validator *validator;
	/* Records are checked as they come and written at commit, so the spool's write lock is
	 * held for the inserts only, never during parsing and validation. */
	struct staged *staged;
	size_t n_staged, cap_staged;
	/* A quarantine row the next commit deletes in its transaction (0: none): the record it
	 * held was released and is in this batch. */
	int64_t release_seq;
	const char *meta; /* the meta of the record being emitted (gg_ingest_set_meta) */
};

static void ingest_clear(struct gg_ingest *ing)
{
	for (size_t i = 0; i < ing->n_staged; i++) {
		free(ing->staged[i].payload);
		free(ing->staged[i].reason);
		free(ing->staged[i].meta);
	}
	ing->n_staged = 0;
	ing->release_seq = 0;
}

#define CC(field) offsetof(struct gg_counters, field)
const struct gg_counter gg_core_counters[] = {
	{ "accepted", "records committed to the spool", CC(accepted) },
	{ "duplicates", "records the spool or its quarantine had already (replays, recognised by "
	  "id)", CC(duplicates) },
	{ "quarantined", "records refused (parse, version, schema, size), kept for inspection",
	  CC(quarantined) },
	{ "records_cut", "built documents cut to fit max_document_size", CC(records_cut) },
	{ "published", "records the controller acknowledged (IQ result)", CC(published) },
	{ "publish_retries", "publishes sent again (retryable error, lost session)",
	  CC(publish_retries) },
	{ "publish_refused", "records set aside: refused for good, or killing the stream",
	  CC(publish_refused) },
	{ "backpressure_waits", "times an input waited for room in the spool",
	  CC(backpressure_waits) },
	{ "reconnects", "sessions to the controller lost and made again", CC(reconnects) },
	{ "files_done", "dropped files moved to done/", CC(files_done) },
	{ "files_failed", "dropped files moved to failed/", CC(files_failed) },
	GG_COUNTERS_END,
};
#undef CC

int gg_pipeline_new(const struct gg_config *cfg, struct gg_pipeline **out, struct gg_error *err)
{
	struct gg_pipeline *p = calloc(1, sizeof(*p));
	int r;

	if (p == NULL)
		return gg_error_set(err, -ENOMEM, "out of memory");
	p->cfg = cfg;
	p->xml_limits.max_bytes = (size_t)cfg->global.max_document_size;
	p->xml_limits.max_depth = (int)cfg->global.max_depth;
	p->fit_limits.max_bytes = (size_t)cfg->global.max_document_size;
	p->fit_limits.max_record_item = (size_t)cfg->global.max_record_size;
	p->fit_limits.max_text = GG_FIT_MAX_TEXT;
	p->iodef_defaults.csirt_name = cfg->global.csirt_name;
	p->iodef_defaults.contact_email = cfg->global.contact_email;
	pthread_mutex_init(&p->room_lock, NULL);
	pthread_cond_init(&p->room_cond, NULL);
	pthread_mutex_init(&p->wake_lock, NULL);
	r = gg_schema_load(cfg->global.schema_dir, &p->schema, err);
	if (r != 0) {
		gg_pipeline_free(p);
		return r;
	}
	*out = p;
	return 0;
}

void gg_pipeline_free(struct gg_pipeline *p)
{
	if (p == NULL)
		return;
	gg_spool_checkpointer_stop(p->checkpointer);
	gg_schema_free(p->schema);
	/* Each output released its descriptor; what is left is a caller's leak, closed here. */
	for (size_t i = 0; i < p->n_wake_fds; i++)
		close(p->wake_fds[i]);
	free(p->wake_fds);
	pthread_mutex_destroy(&p->wake_lock);
	pthread_mutex_destroy(&p->room_lock);
	pthread_cond_destroy(&p->room_cond);
	free(p);
}

int gg_pipeline_start_checkpoints(struct gg_pipeline *p, struct gg_error *err)
{
	return gg_spool_checkpointer_start(p->cfg->spool.path, &p->checkpointer, err);
}

void gg_pipeline_notify_room(struct gg_pipeline *p)
{
	pthread_mutex_lock(&p->room_lock);
	atomic_fetch_add(&p->room_generation, 1);
	pthread_cond_broadcast(&p->room_cond);
	pthread_mutex_unlock(&p->room_lock);
}

void gg_pipeline_wake_output(struct gg_pipeline *p)
{
	uint64_t one = 1;

	pthread_mutex_lock(&p->wake_lock);
	/* Non-blocking: a counter already set wakes the output just the same. */
	for (size_t i = 0; i < p->n_wake_fds; i++)
		if (write(p->wake_fds[i], &one, sizeof(one)) < 0 && errno != EAGAIN)
			gg_log_warn("wake an output");
	pthread_mutex_unlock(&p->wake_lock);
}

int gg_pipeline_wake_fd_new(struct gg_pipeline *p, int *fd, struct gg_error *err)
{
	int *grown;

	*fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (*fd < 0)
		return gg_error_set(err, -errno, "eventfd: %s", strerror(errno));
	pthread_mutex_lock(&p->wake_lock);
	grown = realloc(p->wake_fds, (p->n_wake_fds + 1) * sizeof(*grown));
	if (grown != NULL) {
		p->wake_fds = grown;
		p->wake_fds[p->n_wake_fds++] = *fd;
	}
	pthread_mutex_unlock(&p->wake_lock);
	if (grown == NULL) {
		close(*fd);
		*fd = -1;
		return gg_error_set(err, -ENOMEM, "out of memory");
	}
	return 0;
}

void gg_pipeline_wake_fd_free(struct gg_pipeline *p, int fd)
{
	if (fd < 0)
		return;
	pthread_mutex_lock(&p->wake_lock);
	for (size_t i = 0; i < p->n_wake_fds; i++)
		if (p->wake_fds[i] == fd) {
			p->wake_fds[i] = p->wake_fds[--p->n_wake_fds];
			break;
		}
	pthread_mutex_unlock(&p->wake_lock);
	close(fd);
}

void gg_pipeline_stop(struct gg_pipeline *p)
{
	atomic_store(&p->stopping, 1);
	gg_pipeline_notify_room(p);
	gg_pipeline_wake_output(p);
}

int gg_pipeline_open_spool_for(const struct gg_pipeline *p, const char *output,
			       const char *const *routes, size_t n_routes, struct gg_spool **out,
			       struct gg_error *err)
{
	struct gg_spool_options opts = {
		.path = p->cfg->spool.path,
		.output = output,
		.outputs = routes,
		.n_outputs = n_routes,
		.synchronous_full = p->cfg->spool.synchronous_full,
		.max_pending = p->cfg->spool.max_pending,
		.busy_timeout_ms = 10000,
		.checkpointer = p->checkpointer,
	};

	return gg_spool_open(&opts, out, err);
}

int gg_pipeline_open_spool(const struct gg_pipeline *p, struct gg_spool **out,
			   struct gg_error *err)
{
	return gg_pipeline_open_spool_for(p, NULL, NULL, 0, out, err);
}

int gg_ingest_new(struct gg_pipeline *p, const char *input_name, const char *const *routes,
		  size_t n_routes, struct gg_ingest **out, struct gg_error *err)
{
	struct gg_ingest *ing = calloc(1, sizeof(*ing));
	int r;

	if (ing == NULL)
		return gg_error_set(err, -ENOMEM, "out of memory");
	ing->pipeline = p;
	if ((ing->input_name = strdup(input_name)) == NULL) {
		r = gg_error_set(err, -ENOMEM, "out of memory");
		goto fail;
	}
	if ((r = gg_pipeline_open_spool_for(p, NULL, routes, n_routes, &ing->spool, err)) != 0 ||
	    (r = gg_validator_new(p->schema, &ing->validator, err)) != 0)
		goto fail;
	*out = ing;
	return 0;
fail:
	gg_ingest_free(ing);
	return r;
}

void gg_ingest_free(struct gg_ingest *ing)
{
	if (ing == NULL)
		return;
	ingest_clear(ing);
	free(ing->staged);
	gg_validator_free(ing->validator);
	gg_spool_close(ing->spool);
	free(ing->input_name);
	free(ing);
}

void gg_ingest_set_meta(struct gg_ingest *ing, const char *meta)
{
	ing->meta = meta;
}

void gg_ingest_set_stream_ids(struct gg_ingest *ing)
{
	gg_spool_set_stream_ids(ing->spool);
}

int gg_ingest_wait_room(struct gg_ingest *ing)
{
	struct gg_pipeline *p = ing->pipeline;
	int counted = 0;

	for (;;) {
		/* Read before the check: a notice after it changes the generation, so the wait
		 * below cannot miss it (no timeout needed to recover a lost wake-up). */
		uint64_t seen = atomic_load(&p->room_generation);

		if (atomic_load(&p->stopping))
			return -ECANCELED;
		if (!gg_spool_is_full(ing->spool))
			return 0;
		if (!counted) {
			atomic_fetch_add(&p->counters.backpressure_waits, 1);
			counted = 1;
		}
		pthread_mutex_lock(&p->room_lock);
		while (atomic_load(&p->room_generation) == seen && !atomic_load(&p->stopping))
			pthread_cond_wait(&p->room_cond, &p->room_lock);
		pthread_mutex_unlock(&p->room_lock);
	}
}

int64_t gg_ingest_room(struct gg_ingest *ing)
{
	return gg_spool_room(ing->spool);
}

size_t gg_ingest_staged(const struct gg_ingest *ing)
{
	return ing->n_staged;
}

int gg_ingest_begin(struct gg_ingest *ing, struct gg_error *err)
{
	ingest_clear(ing);
	return 0;
}

void gg_ingest_rollback(struct gg_ingest *ing)
{
	ingest_clear(ing);
}

/* Takes ownership of payload. */
static int ingest_stage(struct gg_ingest *ing, const char *id, char *payload, size_t len,
			const struct gg_error *why)
{
	struct staged *st;

	if (ing->n_staged == ing->cap_staged) {
		size_t cap = ing->cap_staged ? ing->cap_staged * 2 : 64;
		struct staged *grown = realloc(ing->staged, cap * sizeof(*grown));

		if (grown == NULL) {
			free(payload);
			return -ENOMEM;
		}
		ing->staged = grown;
		ing->cap_staged = cap;
	}
	st = &ing->staged[ing->n_staged];
	memset(st, 0, sizeof(*st));
	snprintf(st->id, sizeof(st->id), "%s", id);
	st->payload = payload;
	st->len = len;
	if (why == NULL && ing->meta != NULL && (st->meta = strdup(ing->meta)) == NULL) {
		free(payload);
		return -ENOMEM;
	}
	if (why != NULL) {
		st->quarantine = 1;
		st->line = why->line;
		st->column = why->column;
		if ((st->reason = strdup(why->msg)) == NULL) {
			free(payload);
			return -ENOMEM;
		}
	}
	ing->n_staged++;
	return 0;
}

void gg_ingest_release(struct gg_ingest *ing, int64_t quarantine_seq)
{
	ing->release_seq = quarantine_seq;
}

int gg_ingest_reject(struct gg_ingest *ing, const char *id, const char *bytes, size_t len,
		     const struct gg_error *why, struct gg_error *err)
{
	char *copy = malloc(len + 1);

	gg_log_warnx("%s: %s: quarantined: %s", ing->input_name, id, why->msg);
	if (copy == NULL)
		return gg_error_set(err, -ENOMEM, "out of memory");
	memcpy(copy, bytes, len);
	copy[len] = '\0';
	if (ingest_stage(ing, id, copy, len, why) != 0)
		return gg_error_set(err, -ENOMEM, "out of memory");
	return 0;
}

/* Brings doc to a valid IODEF 2.0 document: *checked is doc itself or a new upgraded one. */
static int ingest_check(struct gg_ingest *ing, xmlDocPtr doc, xmlDocPtr *checked,
			struct gg_error *why)
{
	xmlNodePtr root = xmlDocGetRootElement(doc);
	int r;

	*checked = doc;
	switch (gg_iodef_version_of(doc)) {
	case GG_IODEF_V2:
		break;
	case GG_IODEF_V1:
		r = gg_iodef_upgrade(doc, checked, why);
		if (r != 0)
			return r;
		break;
	default:
		return gg_error_set_at(why, -EINVAL, root ? (int)xmlGetLineNo(root) : 0, 0,
				       "not an IODEF document: root element '%s' in namespace '%s'",
				       root ? (const char *)root->name : "(none)",
				       root && root->ns ? (const char *)root->ns->href : "(none)");
	}
	return gg_validator_check(ing->validator, *checked, why);
}

/* Stages doc for the quarantine: the document as it came, not its upgrade or its cut. */
static int ingest_quarantine(struct gg_ingest *ing, xmlDocPtr doc, const char *id,
			     struct gg_error *why)
{
	char *text = NULL;
	size_t len = 0;

	gg_log_warnx("%s: %s: quarantined: %s", ing->input_name, id, why->msg);
	if (gg_xml_serialize(doc, &text, &len) != 0)
		len = 0;
	if (ingest_stage(ing, id, text, len, why) != 0)
		return gg_error_set(why, -ENOMEM, "out of memory");
	return -EINVAL;
}

int gg_ingest_document(struct gg_ingest *ing, xmlDocPtr doc, int valid, const char *id,
		       struct gg_error *why)
{
	size_t max = ing->pipeline->fit_limits.max_bytes;
	xmlDocPtr checked = doc;
	char *text = NULL;
	size_t len = 0;
	int r = 0;

	if (!valid)
		r = ingest_check(ing, doc, &checked, why);
	if (r != 0) {
		if (checked != doc)
			xmlFreeDoc(checked);
		return ingest_quarantine(ing, doc, id, why);
	}
	r = gg_xml_serialize(checked, &text, &len);
	if (checked != doc)
		xmlFreeDoc(checked);
	if (r != 0)
		return gg_error_set(why, r, "cannot serialize document");
	if (len > max) {
		/* An upgrade can make a document that fit on the way in bigger; a sender's
		 * document is never cut. */
		free(text);
		gg_error_set(why, -EFBIG, "document is %zu bytes once serialized, over "
			     "max_document_size %zu", len, max);
		return ingest_quarantine(ing, doc, id, why);
	}
	if (ingest_stage(ing, id, text, len, NULL) != 0)
		return gg_error_set(why, -ENOMEM, "out of memory");
	return 0;
}

int gg_ingest_built(struct gg_ingest *ing, xmlDocPtr doc, const char *id, struct gg_error *why)
{
	struct gg_pipeline *p = ing->pipeline;
	char *text = NULL;
	size_t len = 0;
	int r, cut = 0;

	/* Builders write IODEF 2.0 only: no version to check, no upgrade. */
	if ((r = gg_validator_check(ing->validator, doc, why)) != 0)
		return ingest_quarantine(ing, doc, id, why);
	r = gg_iodef_fit(doc, &p->fit_limits, &text, &len, &cut, why);
	if (r == -ENOMEM)
		return r;
	/* A cut document is checked again: the check, not the cutter, proves it valid. */
	if (r == 0 && cut && (r = gg_validator_check(ing->validator, doc, why)) != 0)
		free(text);
	if (r != 0)
		return ingest_quarantine(ing, doc, id, why);
	if (cut) {
		atomic_fetch_add(&p->counters.records_cut, 1);
		gg_log_info("%s: %s: record cut to fit max_document_size (%zu bytes)",
			    ing->input_name, id, len);
	}
	if (ingest_stage(ing, id, text, len, NULL) != 0)
		return gg_error_set(why, -ENOMEM, "out of memory");
	return 0;
}

/* Writes entries [lo, hi) inside sp's open transaction: quarantine entries to the quarantine,
 * records to the queue (file NULL) or to file's staging rows; adds to the counts. */
static int ingest_write_range(struct gg_ingest *ing, struct gg_spool *sp, size_t lo, size_t hi,
			      const char *file, uint64_t counts[3], struct gg_error *err)
{
	struct gg_spool_stage_row *rows = NULL;
	size_t n_rows = 0;
	int r = 0;

	if (file != NULL && hi > lo && (rows = calloc(hi - lo, sizeof(*rows))) == NULL)
		return gg_error_set(err, -ENOMEM, "out of memory");
	for (size_t i = lo; i < hi && r >= 0; i++) {
		struct staged *s = &ing->staged[i];

		if (s->quarantine) {
			r = gg_spool_quarantine(sp, s->id, ing->input_name, s->reason,
						s->line, s->column, s->payload ? s->payload : "",
						s->len, err);
			/* One quarantined already (a retry) is a replay recognised by id. */
			counts[2] += r == 0;
			counts[1] += r == 1;
		} else if (file != NULL) {
			/* rows borrow the entries' strings; they outlive the put below. */
			rows[n_rows++] = (struct gg_spool_stage_row){ s->id, s->payload, s->len };
		} else {
			r = gg_spool_put_meta(sp, s->id, ing->input_name, s->meta, s->payload,
					      s->len, err);
			counts[0] += r == 0;
			counts[1] += r == 1;
		}
	}
	if (r >= 0 && n_rows > 0)
		r = gg_spool_stage_put(sp, ing->input_name, file, rows, n_rows, err);
	free(rows);
	return r < 0 ? r : 0;
}

/* After a commit: its counts (added to the queue, duplicates, quarantined), and the outputs
 * woken when it added records. */
static void ingest_committed(struct gg_pipeline *p, const uint64_t counts[3])
{
	atomic_fetch_add(&p->counters.accepted, counts[0]);
	atomic_fetch_add(&p->counters.duplicates, counts[1]);
	atomic_fetch_add(&p->counters.quarantined, counts[2]);
	if (counts[0] > 0) {
		atomic_fetch_add(&p->spool_generation, 1);
		gg_pipeline_wake_output(p);
	}
}

/* Commits the open transaction, or rolls it back; either way the staged entries are gone, as
 * after gg_ingest_commit. counts: added to the queue, duplicates, quarantined. */
static int ingest_finish(struct gg_ingest *ing, int r, const uint64_t counts[3],
			 struct gg_error *err)
{
	if (r != 0 || (r = gg_spool_commit(ing->spool, err)) != 0) {
		gg_spool_rollback(ing->spool);
		ingest_clear(ing);
		return r;
	}
	ingest_clear(ing);
	ingest_committed(ing->pipeline, counts);
	return 0;
}

/* Deletes, inside sp's open transaction, the quarantine row the ingest's batch released. */
static int ingest_delete_released(struct gg_ingest *ing, struct gg_spool *sp,
				  struct gg_error *err)
{
	int r;

	if (ing->release_seq <= 0)
		return 0;
	if ((r = gg_spool_quarantine_delete(sp, ing->release_seq, err)) == 0)
		r = gg_error_set(err, -ENOENT, "quarantine row %lld is gone (released or purged "
				 "meanwhile)", (long long)ing->release_seq);
	return r < 0 ? r : 0;
}

int gg_ingest_commit(struct gg_ingest *ing, struct gg_error *err)
{
	return gg_ingest_commit_group(&ing, 1, ing->spool, err);
}

int gg_ingest_commit_group(struct gg_ingest *const *ings, size_t n, struct gg_spool *sp,
			   struct gg_error *err)
{
	uint64_t counts[3] = { 0, 0, 0 };
	size_t staged = 0;
	int r;

	for (size_t i = 0; i < n; i++)
		staged += ings[i]->n_staged;
	if (staged == 0)
		return 0;
	if ((r = gg_spool_begin(sp, err)) == 0) {
		for (size_t i = 0; i < n && r == 0; i++) {
			r = ingest_write_range(ings[i], sp, 0, ings[i]->n_staged, NULL, counts,
					       err);
			if (r == 0)
				r = ingest_delete_released(ings[i], sp, err);
		}
		if (r == 0)
			r = gg_spool_commit(sp, err);
		if (r != 0)
			gg_spool_rollback(sp);
	}
	for (size_t i = 0; i < n; i++)
		ingest_clear(ings[i]);
	if (r != 0)
		return r;
	ingest_committed(ings[0]->pipeline, counts);
	return 0;
}

/* Files read in several commits (in_filedrop). A file's records must reach the queue all at
 * once or not at all, yet a large file cannot wait in memory: its slices go to the spool's
 * staging rows, which the publisher never reads. Staged entries before `from` belong to files
 * whose outcome is already decided and go to the queue as gg_ingest_commit would send them. */

int gg_ingest_stage_init(struct gg_ingest *ing, int64_t *removed, struct gg_error *err)
{
	return gg_spool_stage_init(ing->spool, ing->input_name, removed, err);
}

int gg_ingest_commit_slice(struct gg_ingest *ing, size_t from, const char *file, int first,
			   struct gg_error *err)
{
	uint64_t counts[3] = { 0, 0, 0 };
	int r;

	if (from > ing->n_staged)
		from = ing->n_staged;
	if ((r = gg_spool_begin(ing->spool, err)) != 0) {
		ingest_clear(ing);
		return r;
	}
	/* Rows of an earlier, abandoned reading of the same file must not join this one. */
	if (first)
		r = gg_spool_stage_drop(ing->spool, ing->input_name, file, NULL, err);
	if (r == 0)
		r = ingest_write_range(ing, ing->spool, 0, from, NULL, counts, err);
	if (r == 0)
		r = ingest_write_range(ing, ing->spool, from, ing->n_staged, file, counts,
				       err);
	return ingest_finish(ing, r, counts, err);
}

int gg_ingest_commit_file(struct gg_ingest *ing, size_t from, const char *file,
			  struct gg_error *err)
{
	uint64_t counts[3] = { 0, 0, 0 };
	int64_t added = 0, duplicates = 0;
	int r;

	if (from > ing->n_staged)
		from = ing->n_staged;
	if ((r = gg_spool_begin(ing->spool, err)) != 0) {
		ingest_clear(ing);
		return r;
	}
	/* Queue order follows the files and, within the file, its lines: earlier files, the
	 * file's staged slices, then its last slice still in memory. */
	r = ingest_write_range(ing, ing->spool, 0, from, NULL, counts, err);
	if (r == 0)
		r = gg_spool_stage_publish(ing->spool, ing->input_name, file, &added, &duplicates,
					   err);
	counts[0] += (uint64_t)added;
	counts[1] += (uint64_t)duplicates;
	if (r == 0)
		r = ingest_write_range(ing, ing->spool, from, ing->n_staged, NULL, counts,
				       err);
	return ingest_finish(ing, r, counts, err);
}

size_t gg_ingest_drop_records(struct gg_ingest *ing, size_t from)
{
	size_t kept = from, dropped = 0;

	for (size_t i = from; i < ing->n_staged; i++) {
		struct staged *s = &ing->staged[i];

		if (s->quarantine) {
			if (kept != i)
				ing->staged[kept] = *s;
			kept++;
			continue;
		}
		free(s->payload);
		free(s->reason);
		dropped++;
	}
	if (kept < ing->n_staged)
		ing->n_staged = kept;
	return dropped;
}

int gg_ingest_discard_file(struct gg_ingest *ing, const char *file, struct gg_error *err)
{
	return gg_spool_stage_drop(ing->spool, ing->input_name, file, NULL, err);
}
