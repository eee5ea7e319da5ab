/* http_pairs.c: the listener and member tables of http_pairs.h; an empty table frees its
 * arrays, so nothing is left once every instance is gone. */
#include "http/http_pairs.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int gg_http_pairs_add_member(struct gg_http_pairs *t, void *member)
{
	void **grown = realloc(t->members, (t->n_members + 1) * sizeof(*grown));

	if (grown == NULL)
		return -ENOMEM;
	t->members = grown;
	t->members[t->n_members++] = member;
	return 0;
}

void gg_http_pairs_remove_member(struct gg_http_pairs *t, void *member)
{
	for (size_t i = 0; i < t->n_members; i++) {
		if (t->members[i] == member) {
			memmove(&t->members[i], &t->members[i + 1],
				(t->n_members - i - 1) * sizeof(*t->members));
			t->n_members--;
			break;
		}
	}
	if (t->n_members == 0) {
		free(t->members);
		t->members = NULL;
	}
}

void gg_http_pairs_add_listener(struct gg_http_pairs *t, void *listener, const char *name)
{
	struct gg_http_pair_listener *p =
		realloc(t->listeners, (t->n_listeners + 1) * sizeof(*t->listeners));

	if (p == NULL)
		return;
	t->listeners = p;
	t->listeners[t->n_listeners++] = (struct gg_http_pair_listener){ listener, name };
}

void gg_http_pairs_remove_listener(struct gg_http_pairs *t, void *listener)
{
	for (size_t i = 0; i < t->n_listeners; i++) {
		if (t->listeners[i].listener == listener) {
			t->listeners[i] = t->listeners[--t->n_listeners];
			break;
		}
	}
	if (t->n_listeners == 0) {
		free(t->listeners);
		t->listeners = NULL;
	}
}

void *gg_http_pairs_find_listener(const struct gg_http_pairs *t, const char *name)
{
	for (size_t i = 0; i < t->n_listeners; i++)
		if (strcmp(t->listeners[i].name, name) == 0)
			return t->listeners[i].listener;
	return NULL;
}
