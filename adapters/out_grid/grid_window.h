/* grid_window.h: the publisher's decisions without its I/O: the window of publishes in flight,
 * what each answer does to its row (acknowledged, refused, retried later, topic gone), the IQ
 * timeout, the backoff of retryable refusals, the rewind after a reconnect, and the search for
 * an item the controller refuses by closing the stream (grid_isolate.h). Pure: no libstrophe,
 * no spool, no clock (times are passed in), so every reaction has a unit test. */
#ifndef GG_GRID_WINDOW_H
#define GG_GRID_WINDOW_H

#include <stddef.h>
#include <stdint.h>

#include "out_grid/grid_isolate.h"

/* How the controller answered one publish IQ (grid.h's classifier gives the error verdicts). */
enum gg_grid_answer {
	GG_ANSWER_RESULT,     /* IQ result: the item is stored */
	GG_ANSWER_REFUSED,    /* error about the payload itself: never accepted as it is */
	GG_ANSWER_RETRY,      /* error that can pass (wait, resource-constraint, auth...) */
	GG_ANSWER_TOPIC_GONE, /* item-not-found: the topic was deleted */
};

/* What the publisher must do with the row. */
enum gg_window_step {
	GG_STEP_STALE,      /* not in flight (an answer from before a reconnect): nothing */
	GG_STEP_ACKED,      /* queued for mark-done (gg_grid_window_acks) */
	GG_STEP_REFUSE,     /* mark the row refused with the controller's reason */
	GG_STEP_RETRY,      /* resend from the oldest pending row once the backoff passes */
	GG_STEP_TOPIC_GONE, /* drop the session: the next one prepares (re-creates) the topic */
};

struct gg_grid_inflight {
	int64_t seq;
	int64_t sent_ms;
};

struct gg_grid_window {
	struct gg_grid_inflight *inflight;
	size_t n_inflight, cap;
	int64_t *acked; /* acknowledged, not yet marked done; bounded by the window */
	size_t n_acked;
	int64_t cursor; /* highest seq sent since the last rewind */
	int64_t retry_at_ms;
	int64_t backoff_ms, backoff_min_ms, backoff_max_ms;
	struct gg_grid_isolate iso;
};

/* cap is the configured window; backoff bounds the retries of retryable refusals. */
int gg_grid_window_init(struct gg_grid_window *w, size_t cap, int64_t backoff_min_ms,
			int64_t backoff_max_ms);
void gg_grid_window_free(struct gg_grid_window *w);

/* How many more may be sent now (one at a time while a culprit is looked for; none while a
 * retry waits for its time). */
size_t gg_grid_window_room(const struct gg_grid_window *w, int64_t now_ms);
int gg_grid_window_in_flight(const struct gg_grid_window *w, int64_t seq);
/* seq was sent at now_ms; the cursor moves past it. */
void gg_grid_window_sent(struct gg_grid_window *w, int64_t seq, int64_t now_ms);
/* The cursor moves past a row that was not sent (set aside before sending). */
void gg_grid_window_skip(struct gg_grid_window *w, int64_t seq);
enum gg_window_step gg_grid_window_answer(struct gg_grid_window *w, int64_t seq,
					  enum gg_grid_answer answer, int64_t now_ms);
/* The acknowledged seqs to mark done; after the spool took them (ok) the retry backoff starts
 * over, and either way the list is emptied (rows left pending are resent: same ids). */
const int64_t *gg_grid_window_acks(const struct gg_grid_window *w, size_t *n);
void gg_grid_window_acks_flushed(struct gg_grid_window *w, int ok);
/* 1 when a publish has waited longer than timeout_ms for its answer. */
int gg_grid_window_expired(const struct gg_grid_window *w, int64_t now_ms, int64_t timeout_ms);
/* The session ended: charges the drop to what was in flight (see grid_isolate.h), forgets it
 * and rewinds. *lost gets how many were in flight (they are resent). */
enum gg_isolate_action gg_grid_window_lost(struct gg_grid_window *w, enum gg_grid_drop_kind kind,
					   size_t *lost, int64_t *culprit);
/* Starts over from the oldest pending row (a new session, or a retry whose time came). */
void gg_grid_window_rewind(struct gg_grid_window *w);
/* 1 (and rewinds) when a retry was waiting and its time has come. */
int gg_grid_window_retry_due(struct gg_grid_window *w, int64_t now_ms);

#endif
