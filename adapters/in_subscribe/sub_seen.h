/* sub_seen.h: the item ids a subscriber has committed to the spool, per topic, in a SQLite
 * file of its own. The spool forgets a record keep_done after delivery, but a topic keeps its
 * items far longer: without this, every catch-up would deliver the old ones again. Ids leave
 * it when they leave the topic. */
#ifndef GG_SUB_SEEN_H
#define GG_SUB_SEEN_H

#include <stddef.h>

#include "base/error.h"
#include "grid/grid_subscribe.h"

struct sub_seen;

int sub_seen_open(const char *path, struct sub_seen **out, struct gg_error *err);
void sub_seen_close(struct sub_seen *s);
/* 1 seen, 0 not, <0 error. */
int sub_seen_has(struct sub_seen *s, const char *topic, const char *id);
/* Adds n (topic, id) pairs in one transaction. */
int sub_seen_add(struct sub_seen *s, char *const *topics, char *const *ids, size_t n,
		 struct gg_error *err);
/* Forgets the ids of topic that are not in keep (the topic no longer holds them). */
int sub_seen_retain(struct sub_seen *s, const char *topic, const struct gg_grid_strv *keep,
		    struct gg_error *err);

#endif
