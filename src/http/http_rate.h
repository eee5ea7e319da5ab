/* http_rate.h: a per-peer request rate limit (GCRA token bucket, one timestamp per peer) in a
 * bounded table: a new peer takes the idlest slot of its set, so a flood of addresses cannot
 * grow memory. Thread-safe (libmicrohttpd may serve from several threads). */
#ifndef GG_HTTP_RATE_H
#define GG_HTTP_RATE_H

#include <stddef.h>
#include <stdint.h>

/* A key: the peer's address bytes (4 or 16) with its family in front. */
#define GG_HTTP_RATE_KEY_MAX 17

struct gg_http_rate;

/* rate requests per second per peer (>0), burst: how many a quiet peer may send at once
 * (0: one second's worth); slots: peers tracked. -EINVAL or -ENOMEM. */
int gg_http_rate_new(uint64_t rate, uint64_t burst, size_t slots, uint64_t seed,
		     struct gg_http_rate **out);
void gg_http_rate_free(struct gg_http_rate *r);
/* 0 when the request may pass (and it is counted), else the seconds until it would (>= 1),
 * for Retry-After. now_ns: a monotonic clock. */
unsigned gg_http_rate_take(struct gg_http_rate *r, const unsigned char *key, size_t key_len,
			   uint64_t now_ns);

#endif
