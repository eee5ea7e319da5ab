/* syslog_stream.h: the stream side of the syslog input: TCP (RFC 6587 framing) and TLS
 * (RFC 5425) connections accepted on one listening socket and served by one epoll loop, each
 * read through the framer and paced by its rate limit, every message handed to the input's
 * message path in batches. The listening socket, the TLS context and the message path stay
 * the input's: this module only moves bytes between them. */
#ifndef GG_SYSLOG_STREAM_H
#define GG_SYSLOG_STREAM_H

#include <netdb.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "base/error.h"
#include "in_syslog/syslog_peer.h"
#include "in_syslog/syslog_rate.h"
#include "in_syslog/syslog_tls.h"

struct gg_syslog_stream_counters;

struct gg_syslog_stream_conf {
	const char *name;                 /* the input instance, for log lines */
	int listen_fd;                    /* listening, non-blocking */
	int stop_fd;                      /* readable when the loop must return */
	const atomic_int *stopping;       /* the pipeline's stop flag */
	struct gg_syslog_tls *tls;        /* NULL: plain TCP */
	const struct gg_rate_limit *rate; /* applied per connection */
	size_t max_message_size;
	size_t max_connections;
	int64_t handshake_timeout_ms;
	struct gg_syslog_stream_counters *counters; /* the input's, outliving the stream */
};

/* The input's message path. Messages go in batches (spool transactions): the loop opens one
 * when a pass has bytes to read and closes it at the end of the pass or when it is full. */
struct gg_syslog_stream_sink {
	void *ctx;
	/* Opens a batch, waiting while the spool is full. Returns 0, 1 when none could be opened
	 * (the loop tries again later), -ECANCELED when stopping. */
	int (*begin)(void *ctx);
	/* Stages one message in the open batch: 0, or <0 on a spool error (then the loop ends
	 * the batch with commit 0). */
	int (*message)(void *ctx, const struct gg_syslog_peer *peer, const char *data,
		       size_t len);
	/* Non-zero when the open batch should be committed before the next read. */
	int (*full)(void *ctx);
	/* Commits the open batch, or (commit 0) rolls it back after a spool error. */
	void (*end)(void *ctx, int commit);
};

/* Written by the loop's thread, read by the main thread's counter log. */
struct gg_syslog_stream_counters {
	atomic_uint_fast64_t oversized, protocol_errors;
	/* Frames cut by the end of their connection, dropped: any unfinished frame at a reset or
	 * read error, an octet-counted one shorter than its count at an orderly close, and what
	 * the connections still hold when the input stops. */
	atomic_uint_fast64_t truncated;
	atomic_uint_fast64_t rate_paused; /* times a connection was paused */
	atomic_uint_fast64_t connections;
	atomic_uint_fast64_t connections_refused;  /* beyond max_connections live ones */
	atomic_uint_fast64_t tls_handshake_failed; /* refused, failed or timed out */
	atomic_uint_fast64_t log_suppressed;       /* connection notices over the log budget */
};

struct gg_syslog_stream;

/* Watches conf->listen_fd and conf->stop_fd; both, conf->tls and conf->rate must outlive the
 * stream. */
int gg_syslog_stream_new(const struct gg_syslog_stream_conf *conf,
			 const struct gg_syslog_stream_sink *sink, struct gg_syslog_stream **out,
			 struct gg_error *err);
/* Closes every connection (TLS ones with a close_notify where it can). Takes NULL. */
void gg_syslog_stream_free(struct gg_syslog_stream *s);
/* Accepts and serves connections until stop_fd is readable, the stopping flag is set or the
 * sink's begin says -ECANCELED. Runs on the input's thread. */
void gg_syslog_stream_run(struct gg_syslog_stream *s);

/* The monotonic clock in nanoseconds, as deadlines and rate limits count it. */
uint64_t gg_syslog_now_ns(void);

#endif
