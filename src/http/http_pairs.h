/* http_pairs.h: for a plugin whose listener serves several inputs of their own (webhook
 * routes, RID partners), the listeners by name and the members that may name one. Touched by
 * the main thread only (the instances' open, start, stop and free), so it takes no lock. */
#ifndef GG_HTTP_PAIRS_H
#define GG_HTTP_PAIRS_H

#include <stddef.h>

struct gg_http_pairs {
	void **members; /* in the order added */
	size_t n_members;
	struct gg_http_pair_listener {
		void *listener;
		const char *name; /* the listener's instance name, which outlives it here */
	} *listeners;
	size_t n_listeners;
};

/* 0, or -ENOMEM (nothing added). */
int gg_http_pairs_add_member(struct gg_http_pairs *t, void *member);
void gg_http_pairs_remove_member(struct gg_http_pairs *t, void *member);
/* Out of memory only hides the listener from its members: their start then fails. */
void gg_http_pairs_add_listener(struct gg_http_pairs *t, void *listener, const char *name);
void gg_http_pairs_remove_listener(struct gg_http_pairs *t, void *listener);
void *gg_http_pairs_find_listener(const struct gg_http_pairs *t, const char *name);

#endif
