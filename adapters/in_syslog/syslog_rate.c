/* syslog_rate.c: GCRA token buckets and a set-associative table of them per source address;
 * integer time only, no clock and no I/O, so the unit tests drive time themselves. */
#include "in_syslog/syslog_rate.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define NS_PER_S 1000000000ull
/* Ways per set: a new source looks at this many buckets to find one to take. */
#define WAYS 4

int gg_rate_limit_init(struct gg_rate_limit *rl, uint64_t per_second, uint64_t burst)
{
	memset(rl, 0, sizeof(*rl));
	if (per_second == 0)
		return 0;
	if (per_second > NS_PER_S)
		return -EINVAL;
	if (burst == 0)
		burst = per_second;
	rl->interval_ns = NS_PER_S / per_second;
	/* burst messages at once: the first is on time, the other burst-1 run ahead. */
	if (burst - 1 > UINT64_MAX / rl->interval_ns)
		return -EINVAL;
	rl->tolerance_ns = (burst - 1) * rl->interval_ns;
	return 0;
}

int gg_rate_unlimited(const struct gg_rate_limit *rl)
{
	return rl->interval_ns == 0;
}

uint64_t gg_rate_wait(const struct gg_rate_limit *rl, gg_rate_bucket b, uint64_t now_ns)
{
	if (rl->interval_ns == 0 || b <= now_ns + rl->tolerance_ns)
		return 0;
	return b - rl->tolerance_ns - now_ns;
}

void gg_rate_spend(const struct gg_rate_limit *rl, gg_rate_bucket *b, uint64_t now_ns)
{
	/* An idle bucket restarts from now: past quiet time earns no more than the burst. */
	*b = (*b > now_ns ? *b : now_ns) + rl->interval_ns;
}

int gg_rate_take(const struct gg_rate_limit *rl, gg_rate_bucket *b, uint64_t now_ns)
{
	if (gg_rate_wait(rl, *b, now_ns) != 0)
		return 0;
	gg_rate_spend(rl, b, now_ns);
	return 1;
}

struct rate_slot {
	unsigned char key[GG_RATE_KEY_MAX];
	unsigned char key_len; /* 0: free */
	gg_rate_bucket bucket;
};

struct gg_rate_table {
	size_t sets; /* a power of two */
	uint64_t seed;
	uint64_t evictions;
	struct rate_slot slots[];
};

int gg_rate_table_new(size_t slots, uint64_t seed, struct gg_rate_table **out)
{
	size_t sets = 1;
	struct gg_rate_table *t;

	*out = NULL;
	if (slots == 0 || slots > (1u << 24))
		return -EINVAL;
	while (sets * WAYS < slots)
		sets <<= 1;
	t = calloc(1, sizeof(*t) + sets * WAYS * sizeof(t->slots[0]));
	if (t == NULL)
		return -ENOMEM;
	t->sets = sets;
	t->seed = seed;
	*out = t;
	return 0;
}

void gg_rate_table_free(struct gg_rate_table *t)
{
	free(t);
}

uint64_t gg_rate_table_evictions(const struct gg_rate_table *t)
{
	return t->evictions;
}

/* A seeded mix of the key bytes (splitmix64's finaliser per byte group): enough to spread
 * addresses that differ in one byte, and unpredictable without the seed. */
static uint64_t key_hash(uint64_t seed, const unsigned char *key, size_t len)
{
	uint64_t h = seed ^ (len * 0x9e3779b97f4a7c15ull);

	for (size_t i = 0; i < len; i += 8) {
		uint64_t w = 0;

		memcpy(&w, key + i, len - i < 8 ? len - i : 8);
		h ^= w;
		h ^= h >> 30;
		h *= 0xbf58476d1ce4e5b9ull;
		h ^= h >> 27;
		h *= 0x94d049bb133111ebull;
		h ^= h >> 31;
	}
	return h;
}

int gg_rate_table_take(struct gg_rate_table *t, const struct gg_rate_limit *rl,
		       const void *key, size_t key_len, uint64_t now_ns)
{
	struct rate_slot *set, *victim = NULL;

	if (gg_rate_unlimited(rl))
		return 1;
	if (key_len == 0 || key_len > GG_RATE_KEY_MAX)
		return 1; /* a caller's bug, not a sender's doing: never drop for it */
	set = &t->slots[(key_hash(t->seed, key, key_len) & (t->sets - 1)) * WAYS];
	for (int i = 0; i < WAYS; i++) {
		struct rate_slot *s = &set[i];

		if (s->key_len == key_len && memcmp(s->key, key, key_len) == 0)
			return gg_rate_take(rl, &s->bucket, now_ns);
		/* The bucket furthest behind holds the least: an idle one (bucket <= now) is
		 * as good as new, so taking it loses nothing. */
		if (victim == NULL || s->key_len == 0 ||
		    (victim->key_len != 0 && s->bucket < victim->bucket))
			victim = s;
	}
	if (victim->key_len != 0 && victim->bucket > now_ns)
		t->evictions++;
	memcpy(victim->key, key, key_len);
	victim->key_len = (unsigned char)key_len;
	victim->bucket = 0;
	return gg_rate_take(rl, &victim->bucket, now_ns);
}
