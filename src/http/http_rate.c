/* http_rate.c: GCRA per peer. A peer's state is its theoretical arrival time (TAT): a request
 * passes when now >= TAT - tolerance, and moves TAT one interval on. */
#include "http/http_rate.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define NS 1000000000ull
/* Slots a key may live in: a set; the idlest of them makes way for a new peer. */
#define RATE_WAYS 8

struct rate_slot {
	unsigned char key[GG_HTTP_RATE_KEY_MAX];
	unsigned char key_len; /* 0: free */
	uint64_t tat;
};

struct gg_http_rate {
	uint64_t interval_ns;  /* between two requests at the steady rate */
	uint64_t tolerance_ns; /* burst - 1 intervals */
	uint64_t seed;
	size_t n_sets;
	pthread_mutex_t lock;
	struct rate_slot *slots;
};

int gg_http_rate_new(uint64_t rate, uint64_t burst, size_t slots, uint64_t seed,
		     struct gg_http_rate **out)
{
	struct gg_http_rate *r;

	*out = NULL;
	if (rate == 0 || rate > NS || slots == 0)
		return -EINVAL;
	if (burst == 0)
		burst = rate;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return -ENOMEM;
	r->interval_ns = NS / rate;
	r->tolerance_ns = r->interval_ns * (burst - 1);
	r->seed = seed;
	r->n_sets = (slots + RATE_WAYS - 1) / RATE_WAYS;
	if ((r->slots = calloc(r->n_sets * RATE_WAYS, sizeof(*r->slots))) == NULL) {
		free(r);
		return -ENOMEM;
	}
	pthread_mutex_init(&r->lock, NULL);
	*out = r;
	return 0;
}

void gg_http_rate_free(struct gg_http_rate *r)
{
	if (r == NULL)
		return;
	pthread_mutex_destroy(&r->lock);
	free(r->slots);
	free(r);
}

/* FNV-1a with a seed: peers cannot aim at one set without knowing it. */
static size_t rate_set(const struct gg_http_rate *r, const unsigned char *key, size_t len)
{
	uint64_t h = 1469598103934665603ull ^ r->seed;

	for (size_t i = 0; i < len; i++)
		h = (h ^ key[i]) * 1099511628211ull;
	return (size_t)(h % r->n_sets);
}

unsigned gg_http_rate_take(struct gg_http_rate *r, const unsigned char *key, size_t key_len,
			   uint64_t now_ns)
{
	struct rate_slot *set, *slot = NULL, *idlest;
	unsigned wait = 0;
	uint64_t tat;

	if (key_len > GG_HTTP_RATE_KEY_MAX)
		key_len = GG_HTTP_RATE_KEY_MAX;
	pthread_mutex_lock(&r->lock);
	set = &r->slots[rate_set(r, key, key_len) * RATE_WAYS];
	idlest = set;
	for (size_t i = 0; i < RATE_WAYS && slot == NULL; i++) {
		if (set[i].key_len == key_len && memcmp(set[i].key, key, key_len) == 0)
			slot = &set[i];
		else if (set[i].tat < idlest->tat)
			idlest = &set[i];
	}
	if (slot == NULL) {
		/* A new peer starts with a full bucket: the idlest one's state is dropped. */
		slot = idlest;
		memcpy(slot->key, key, key_len);
		slot->key_len = (unsigned char)key_len;
		slot->tat = 0;
	}
	tat = slot->tat > now_ns ? slot->tat : now_ns;
	if (tat - now_ns > r->tolerance_ns)
		wait = (unsigned)((tat - now_ns - r->tolerance_ns + NS - 1) / NS);
	else
		slot->tat = tat + r->interval_ns;
	pthread_mutex_unlock(&r->lock);
	return wait;
}
