/* map_input.h: an input's mappings at run time: the set named by its `mappings` option, swapped
 * whole on SIGHUP, its `unmatched` policy, and the counters of what mapping decided. */
#ifndef GG_MAP_INPUT_H
#define GG_MAP_INPUT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "base/counters.h"
#include "engine/config.h"
#include "map/map.h"

struct gg_mapper_counters {
	atomic_uint_fast64_t mapped;    /* a rule made a document */
	atomic_uint_fast64_t ignored;   /* a rule dropped it on purpose */
	atomic_uint_fast64_t unmatched; /* no mapping took it */
	atomic_uint_fast64_t failed;    /* mapping failed (regex limit, field too long...) */
	atomic_uint_fast64_t dropped;   /* unmatched or failed, dropped by `unmatched = drop` */
};

struct gg_mapper {
	char *dir;
	char **names;
	size_t n_names;
	struct gg_map_limits limits;
	bool drop_unmatched;
	bool has_tz; /* the input's timezone option, for gg_map_ctx_set_timezone */
	int tz_minutes;
	pthread_mutex_t lock; /* guards set: readers take a reference under it */
	struct gg_mapset *set;
	struct gg_mapper_counters counters;
};

/* The mapper of an input, loading its mappings now; *out is NULL (and 0 returned) when the
 * input names none. Errors name the mapping file and line. */
int gg_mapper_new(const struct gg_config *cfg, const struct gg_input_conf *in,
		  struct gg_mapper **out, struct gg_error *err);
void gg_mapper_free(struct gg_mapper *m);
/* A new evaluation context for an input thread, with the input's zone. */
int gg_mapper_ctx_new(const struct gg_mapper *m, struct gg_map_ctx **out, struct gg_error *err);
/* Loads the mappings again, *loaded their number (what `mappings = *` found); on error the
 * running set stays and err says why. */
int gg_mapper_reload(struct gg_mapper *m, size_t *loaded, struct gg_error *err);
/* The current set with a reference the caller drops with gg_mapset_unref. */
struct gg_mapset *gg_mapper_acquire(struct gg_mapper *m);

/* What became of a record. */
enum gg_map_outcome {
	GG_OUTCOME_DOCUMENT, /* *doc is the mapped incident */
	GG_OUTCOME_IGNORED,  /* dropped on purpose by a rule */
	GG_OUTCOME_GENERIC,  /* unmatched (or failed): the caller builds the generic incident */
	GG_OUTCOME_DROPPED,  /* unmatched (or failed) and the policy drops it */
};

/* Applies the policy and counts: turns gg_map_apply's or gg_map_line's result (r, verdict)
 * into an outcome. Failures are logged at debug with err, and counted. */
enum gg_map_outcome gg_mapper_outcome(struct gg_mapper *m, const char *input_name, int r,
				      enum gg_map_verdict verdict, const struct gg_error *err);

/* The rows of struct gg_mapper_counters. */
extern const struct gg_counter gg_mapper_counter_rows[];

#endif
