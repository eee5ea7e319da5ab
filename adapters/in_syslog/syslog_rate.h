/* syslog_rate.h: per-source message rate limits: a token bucket kept as one timestamp (GCRA),
 * and a bounded table of buckets keyed by source address. Pure: the caller passes the time. */
#ifndef GG_SYSLOG_RATE_H
#define GG_SYSLOG_RATE_H

#include <stddef.h>
#include <stdint.h>

/* rate messages per second on average, up to burst at once after a quiet spell. */
struct gg_rate_limit {
	uint64_t interval_ns;  /* between two messages at the steady rate; 0: unlimited */
	uint64_t tolerance_ns; /* how far ahead of the steady rate a burst may run */
};

/* A bucket is one "theoretical arrival time" (GCRA): start it at 0. */
typedef uint64_t gg_rate_bucket;

/* per_second 0 means unlimited; burst 0 means one second's worth (per_second). Returns 0 or
 * -EINVAL for a rate above one message per nanosecond. */
int gg_rate_limit_init(struct gg_rate_limit *rl, uint64_t per_second, uint64_t burst);
int gg_rate_unlimited(const struct gg_rate_limit *rl);

/* Nanoseconds from now until the bucket lets one message pass; 0: it may pass now. */
uint64_t gg_rate_wait(const struct gg_rate_limit *rl, gg_rate_bucket b, uint64_t now_ns);
/* Charges one message that passed (call after gg_rate_wait said 0). */
void gg_rate_spend(const struct gg_rate_limit *rl, gg_rate_bucket *b, uint64_t now_ns);
/* Both in one: 1 and charged when a message may pass now, 0 when it is over the limit. */
int gg_rate_take(const struct gg_rate_limit *rl, gg_rate_bucket *b, uint64_t now_ns);

/* Buckets of up to `slots` sources, in sets of a few ways: a new source takes the bucket of
 * its set that holds the least (an idle one first), so memory never grows and a flood of new
 * sources costs the others at most the memory of their past burst. Keys are address bytes
 * (at most GG_RATE_KEY_MAX); the seed keys the hash so that a sender cannot aim at one set. */
#define GG_RATE_KEY_MAX 17
struct gg_rate_table;
int gg_rate_table_new(size_t slots, uint64_t seed, struct gg_rate_table **out);
void gg_rate_table_free(struct gg_rate_table *t);
/* gg_rate_take on the source's bucket: 1 passed, 0 over the limit. */
int gg_rate_table_take(struct gg_rate_table *t, const struct gg_rate_limit *rl,
		       const void *key, size_t key_len, uint64_t now_ns);
/* Sources that took the bucket of another (for tests and counters). */
uint64_t gg_rate_table_evictions(const struct gg_rate_table *t);

#endif
