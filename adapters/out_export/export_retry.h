/* export_retry.h: what an HTTP answer means for a delivery, and when to try again: pure
 * functions of the status, the Retry-After value, the attempts and a random number. */
#ifndef GG_EXPORT_RETRY_H
#define GG_EXPORT_RETRY_H

#include <stdint.h>

enum export_verdict {
	EXPORT_DONE,  /* 2xx: delivered */
	EXPORT_RETRY, /* 408, 425, 429, 5xx, or no answer: try again later */
	EXPORT_DEAD,  /* any other status: the endpoint refuses it for good (dead letter) */
};

/* status is the HTTP status, 0 when no answer came (connection, TLS, timeout). */
enum export_verdict export_classify(long status);

/* Retry-After as RFC 9110 10.2.3 writes it: delay-seconds, or an HTTP-date (now is UTC
 * seconds). Returns 0 with *delay_s (0 for a date already past), -EINVAL for anything else. */
int export_retry_after(const char *value, int64_t now_s, int64_t *delay_s);

/* The wait before attempt number attempts + 1 (attempts >= 1 made): min_ms doubled per
 * attempt up to max_ms, then "equal jitter" (half fixed, half random from rnd), so endpoints
 * that failed together are not retried in lockstep. */
int64_t export_backoff_ms(int attempts, int64_t min_ms, int64_t max_ms, uint64_t rnd);

/* The wait for an answer: Retry-After when the endpoint sent a valid one (capped at max_ms, so
 * a far date cannot park a delivery beyond the operator's bound), else the backoff. */
int64_t export_retry_delay_ms(const char *retry_after, int64_t now_s, int attempts,
			      int64_t min_ms, int64_t max_ms, uint64_t rnd);

#endif
