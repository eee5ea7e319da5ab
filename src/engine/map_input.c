/* map_input.c: an input's mapping set at run time (see map_input.h). */
#include "engine/map_input.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "engine/adapter.h"

/* Splits "a, b c" into names. */
static int split_names(const char *spec, char ***out, size_t *n, struct gg_error *err)
{
	char *copy = strdup(spec), *save = NULL, *w;
	char **names = NULL;

	*n = 0;
	if (copy == NULL)
		return gg_error_set(err, -ENOMEM, "out of memory");
	for (w = strtok_r(copy, ", \t", &save); w != NULL; w = strtok_r(NULL, ", \t", &save)) {
		char **grown = realloc(names, (*n + 1) * sizeof(char *));

		if (grown == NULL || (grown[*n] = strdup(w)) == NULL) {
			names = grown != NULL ? grown : names;
			while (*n > 0)
				free(names[--*n]);
			free(names);
			free(copy);
			return gg_error_set(err, -ENOMEM, "out of memory");
		}
		names = grown;
		(*n)++;
	}
	free(copy);
	*out = names;
	return 0;
}

void gg_mapper_free(struct gg_mapper *m)
{
	if (m == NULL)
		return;
	gg_mapset_unref(m->set);
	pthread_mutex_destroy(&m->lock);
	for (size_t i = 0; i < m->n_names; i++)
		free(m->names[i]);
	free(m->names);
	free(m->dir);
	free(m);
}

/* Puts "FILE:LINE: [KIND:NAME] KEY = VALUE: " (where the config set key) before err. */
static int mapper_fail(const struct gg_config *cfg, const struct gg_input_conf *in,
		       const char *key, int r, struct gg_error *err)
{
	char section[128], where[512];

	snprintf(section, sizeof(section), "%s:%s", in->adapter->name, in->name);
	gg_config_where(cfg, section, key, where, sizeof(where));
	gg_error_prefix(err, "%s: ", where);
	return r;
}

int gg_mapper_new(const struct gg_config *cfg, const struct gg_input_conf *in,
		  struct gg_mapper **out, struct gg_error *err)
{
	struct gg_mapper *m;
	int r;

	*out = NULL;
	if (in->common.mappings == NULL)
		return 0;
	m = calloc(1, sizeof(*m));
	if (m == NULL || (m->dir = strdup(cfg->global.mapping_dir)) == NULL) {
		free(m);
		return gg_error_set(err, -ENOMEM, "out of memory");
	}
	pthread_mutex_init(&m->lock, NULL);
	m->drop_unmatched = strcmp(in->common.unmatched, "drop") == 0;
	if (in->common.timezone != NULL) {
		if (gg_timezone_parse(in->common.timezone, &m->tz_minutes) != 0) {
			gg_mapper_free(m);
			return mapper_fail(cfg, in, "timezone", gg_error_set(err, -EINVAL,
					   "only UTC, Z, +HH:MM and -HH:MM are supported"), err);
		}
		m->has_tz = true;
	}
	m->limits.regex_match_limit = (unsigned long)cfg->global.regex_match_limit;
	m->limits.regex_depth_limit = (unsigned long)cfg->global.regex_depth_limit;
	if ((r = split_names(in->common.mappings, &m->names, &m->n_names, err)) != 0 ||
	    (r = gg_mapset_load(m->dir, (const char *const *)m->names, m->n_names, &m->limits,
				&m->set, err)) != 0) {
		gg_mapper_free(m);
		return mapper_fail(cfg, in, "mappings", r, err);
	}
	if (m->n_names == 0) {
		gg_mapper_free(m);
		return mapper_fail(cfg, in, "mappings", gg_error_set(err, -EINVAL,
				   "names no mapping (NAME..., or * for every one in mapping_dir)"),
				   err);
	}
	*out = m;
	return 0;
}

int gg_mapper_ctx_new(const struct gg_mapper *m, struct gg_map_ctx **out, struct gg_error *err)
{
	int r = gg_map_ctx_new(NULL, out, err);

	if (r == 0 && m->has_tz)
		gg_map_ctx_set_timezone(*out, m->tz_minutes);
	return r;
}

int gg_mapper_reload(struct gg_mapper *m, size_t *loaded, struct gg_error *err)
{
	struct gg_mapset *fresh, *old;
	int r = gg_mapset_load(m->dir, (const char *const *)m->names, m->n_names, &m->limits,
			       &fresh, err);

	if (r != 0)
		return r;
	*loaded = gg_mapset_count(fresh);
	pthread_mutex_lock(&m->lock);
	old = m->set;
	m->set = fresh;
	pthread_mutex_unlock(&m->lock);
	/* Records being mapped with the old set hold their own references. */
	gg_mapset_unref(old);
	return 0;
}

struct gg_mapset *gg_mapper_acquire(struct gg_mapper *m)
{
	struct gg_mapset *set;

	pthread_mutex_lock(&m->lock);
	set = gg_mapset_ref(m->set);
	pthread_mutex_unlock(&m->lock);
	return set;
}

enum gg_map_outcome gg_mapper_outcome(struct gg_mapper *m, const char *input_name, int r,
				      enum gg_map_verdict verdict, const struct gg_error *err)
{
	if (r == 0 && verdict == GG_MAP_MAPPED) {
		atomic_fetch_add(&m->counters.mapped, 1);
		return GG_OUTCOME_DOCUMENT;
	}
	if (r == 0 && verdict == GG_MAP_IGNORED) {
		atomic_fetch_add(&m->counters.ignored, 1);
		return GG_OUTCOME_IGNORED;
	}
	if (r != 0) {
		atomic_fetch_add(&m->counters.failed, 1);
		gg_log_debug("%s: mapping failed: %s", input_name, err->msg);
	} else {
		atomic_fetch_add(&m->counters.unmatched, 1);
	}
	if (m->drop_unmatched) {
		atomic_fetch_add(&m->counters.dropped, 1);
		return GG_OUTCOME_DROPPED;
	}
	return GG_OUTCOME_GENERIC;
}

#define MC(field) offsetof(struct gg_mapper_counters, field)
const struct gg_counter gg_mapper_counter_rows[] = {
	{ "mapped", "records a mapping rule made a document of", MC(mapped) },
	{ "ignored", "records a rule dropped on purpose", MC(ignored) },
	{ "unmatched", "records no mapping took", MC(unmatched) },
	{ "failed", "records a mapping failed on (regex limit, field too long...)", MC(failed) },
	{ "dropped", "unmatched or failed records dropped by `unmatched = drop`", MC(dropped) },
	GG_COUNTERS_END,
};
#undef MC
