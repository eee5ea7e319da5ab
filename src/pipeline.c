/* pipeline.c: the ingest path shared by every input: version check, 1.0 upgrade, XSD check,
 * then spool or quarantine, with counters. Each input thread owns one gg_ingest. */
#include "pipeline.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"

struct gg_ingest {
	struct gg_pipeline *pipeline;
	char *input_name;
	struct gg_spool *spool;
	struct gg_validator *validator;
	int added_in_tx;
};

int gg_pipeline_new(const struct gg_config *cfg, struct gg_pipeline **out, struct gg_error *err)
{
	struct gg_pipeline *p = calloc(1, sizeof(*p));
	int r;

	if (p == NULL)
		return gg_error_set(err, -ENOMEM, "out of memory");
	p->cfg = cfg;
	p->xml_limits.max_bytes = (size_t)cfg->global.max_document_size;
	p->xml_limits.max_depth = (int)cfg->global.max_depth;
	p->iodef_defaults.csirt_name = cfg->global.csirt_name;
	p->iodef_defaults.contact_email = cfg->global.contact_email;
	pthread_mutex_init(&p->room_lock, NULL);
	pthread_cond_init(&p->room_cond, NULL);
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
	gg_schema_free(p->schema);
	pthread_mutex_destroy(&p->room_lock);
	pthread_cond_destroy(&p->room_cond);
	free(p);
}

void gg_pipeline_notify_room(struct gg_pipeline *p)
{
	pthread_mutex_lock(&p->room_lock);
	pthread_cond_broadcast(&p->room_cond);
	pthread_mutex_unlock(&p->room_lock);
}

void gg_pipeline_stop(struct gg_pipeline *p)
{
	atomic_store(&p->stopping, 1);
	gg_pipeline_notify_room(p);
}

int gg_pipeline_open_spool(const struct gg_pipeline *p, struct gg_spool **out,
			   struct gg_error *err)
{
	struct gg_spool_options opts = {
		.path = p->cfg->spool.path,
		.synchronous_full = p->cfg->spool.synchronous_full,
		.max_pending = p->cfg->spool.max_pending,
		.busy_timeout_ms = 10000,
	};

	return gg_spool_open(&opts, out, err);
}

int gg_ingest_new(struct gg_pipeline *p, const char *input_name, struct gg_ingest **out,
		  struct gg_error *err)
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
	if ((r = gg_pipeline_open_spool(p, &ing->spool, err)) != 0 ||
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
	gg_validator_free(ing->validator);
	gg_spool_close(ing->spool);
	free(ing->input_name);
	free(ing);
}

int gg_ingest_wait_room(struct gg_ingest *ing)
{
	struct gg_pipeline *p = ing->pipeline;
	int counted = 0;

	while (gg_spool_is_full(ing->spool)) {
		struct timespec until;

		if (atomic_load(&p->stopping))
			return -ECANCELED;
		if (!counted) {
			atomic_fetch_add(&p->counters.backpressure_waits, 1);
			counted = 1;
		}
		/* The publisher signals after every acknowledged batch; the timeout only bounds
		 * how long a missed signal or a stop request can go unnoticed. */
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += 200 * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_mutex_lock(&p->room_lock);
		pthread_cond_timedwait(&p->room_cond, &p->room_lock, &until);
		pthread_mutex_unlock(&p->room_lock);
	}
	return atomic_load(&p->stopping) ? -ECANCELED : 0;
}

int gg_ingest_begin(struct gg_ingest *ing, struct gg_error *err)
{
	ing->added_in_tx = 0;
	return gg_spool_begin(ing->spool, err);
}

int gg_ingest_commit(struct gg_ingest *ing, struct gg_error *err)
{
	int r = gg_spool_commit(ing->spool, err);

	if (r == 0 && ing->added_in_tx > 0)
		atomic_fetch_add(&ing->pipeline->spool_generation, 1);
	ing->added_in_tx = 0;
	return r;
}

void gg_ingest_rollback(struct gg_ingest *ing)
{
	gg_spool_rollback(ing->spool);
	ing->added_in_tx = 0;
}

static int ingest_quarantine(struct gg_ingest *ing, const char *id, const char *bytes,
			     size_t len, const struct gg_error *why, struct gg_error *err)
{
	int r = gg_spool_quarantine(ing->spool, id, ing->input_name, why->msg, why->line,
				    why->column, bytes, len, err);

	if (r == 0)
		atomic_fetch_add(&ing->pipeline->counters.quarantined, 1);
	return r;
}

int gg_ingest_reject(struct gg_ingest *ing, const char *id, const char *bytes, size_t len,
		     const struct gg_error *why, struct gg_error *err)
{
	gg_log_warnx("%s: %s: quarantined: %s", ing->input_name, id, why->msg);
	return ingest_quarantine(ing, id, bytes, len, why, err);
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

int gg_ingest_document(struct gg_ingest *ing, xmlDocPtr doc, const char *id,
		       struct gg_error *why)
{
	struct gg_pipeline *p = ing->pipeline;
	xmlDocPtr checked = NULL;
	char *text = NULL;
	size_t len = 0;
	struct gg_error err;
	int r;

	r = ingest_check(ing, doc, &checked, why);
	if (r != 0) {
		char *orig = NULL;
		size_t orig_len = 0;

		if (gg_xml_serialize(doc, &orig, &orig_len) != 0)
			orig_len = 0;
		gg_log_warnx("%s: %s: quarantined: %s", ing->input_name, id, why->msg);
		r = ingest_quarantine(ing, id, orig ? orig : "", orig_len, why, &err);
		free(orig);
		if (checked != doc)
			xmlFreeDoc(checked);
		if (r != 0) {
			*why = err;
			return r;
		}
		return -EINVAL;
	}
	r = gg_xml_serialize(checked, &text, &len);
	if (checked != doc)
		xmlFreeDoc(checked);
	if (r != 0)
		return gg_error_set(why, r, "cannot serialize document");
	r = gg_spool_put(ing->spool, id, p->cfg->xmpp.topic, ing->input_name, text, len, why);
	free(text);
	if (r == 0) {
		atomic_fetch_add(&p->counters.accepted, 1);
		ing->added_in_tx++;
	} else if (r == 1) {
		atomic_fetch_add(&p->counters.duplicates, 1);
	}
	return r;
}
