/* http_deadline.h: a deadline per connection for the request it is waiting for, kept by a
 * thread of its own. libmicrohttpd's timeout is an idle timeout: a sender that trickles a
 * byte of its headers (or body) now and then is never idle and holds its slot for ever
 * (slowloris). Here a connection gets limit_ms from when it starts waiting for a request
 * until that request is all in; past it, its socket is shut down (not closed: the fd stays
 * libmicrohttpd's, which sees the end of the stream and closes the connection itself). */
#ifndef GG_HTTP_DEADLINE_H
#define GG_HTTP_DEADLINE_H

#include <stdatomic.h>
#include <stdint.h>

#include "base/error.h"

struct gg_http_deadlines;
struct gg_http_deadline;

/* Starts the thread; cut counts the connections it shuts down. */
int gg_http_deadlines_new(uint64_t limit_ms, atomic_uint_fast64_t *cut,
			  struct gg_http_deadlines **out, struct gg_error *err);
/* Stops the thread; every connection must be removed before. Takes NULL. */
void gg_http_deadlines_free(struct gg_http_deadlines *d);

/* A new connection on fd, waiting for its first request: armed. NULL when out of memory
 * (the connection then has only the idle timeout). */
struct gg_http_deadline *gg_http_deadline_add(struct gg_http_deadlines *d, int fd);
/* The connection is closing: forgets it (and frees c). Takes NULL. */
void gg_http_deadline_remove(struct gg_http_deadlines *d, struct gg_http_deadline *c);
/* The connection waits for a request again (the last one was answered): armed anew. */
void gg_http_deadline_arm(struct gg_http_deadlines *d, struct gg_http_deadline *c);
/* The request is all in: what follows (the answer) is not the sender's to hurry. */
void gg_http_deadline_disarm(struct gg_http_deadlines *d, struct gg_http_deadline *c);

#endif
