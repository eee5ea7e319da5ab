/* grid_window.c: the publisher's window and its reactions (see grid_window.h). */
#include "out_grid/grid_window.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

int gg_grid_window_init(struct gg_grid_window *w, size_t cap, int64_t backoff_min_ms,
			int64_t backoff_max_ms)
{
	memset(w, 0, sizeof(*w));
	w->cap = cap;
	w->backoff_min_ms = w->backoff_ms = backoff_min_ms;
	w->backoff_max_ms = backoff_max_ms;
	w->inflight = calloc(cap, sizeof(*w->inflight));
	/* Acks arrive only for what is in flight: the window bounds them. */
	w->acked = calloc(cap, sizeof(*w->acked));
	if (w->inflight == NULL || w->acked == NULL) {
		gg_grid_window_free(w);
		return -ENOMEM;
	}
	return 0;
}

void gg_grid_window_free(struct gg_grid_window *w)
{
	free(w->inflight);
	free(w->acked);
	w->inflight = NULL;
	w->acked = NULL;
}

static ssize_t find(const struct gg_grid_window *w, int64_t seq)
{
	for (size_t i = 0; i < w->n_inflight; i++)
		if (w->inflight[i].seq == seq)
			return (ssize_t)i;
	return -1;
}

size_t gg_grid_window_room(const struct gg_grid_window *w, int64_t now_ms)
{
	size_t window = gg_grid_isolate_window(&w->iso, w->cap);

	if (w->retry_at_ms != 0 && now_ms < w->retry_at_ms)
		return 0;
	return w->n_inflight < window ? window - w->n_inflight : 0;
}

int gg_grid_window_in_flight(const struct gg_grid_window *w, int64_t seq)
{
	return find(w, seq) >= 0;
}

void gg_grid_window_sent(struct gg_grid_window *w, int64_t seq, int64_t now_ms)
{
	if (w->n_inflight < w->cap) {
		w->inflight[w->n_inflight].seq = seq;
		w->inflight[w->n_inflight].sent_ms = now_ms;
		w->n_inflight++;
	}
	gg_grid_window_skip(w, seq);
}

void gg_grid_window_skip(struct gg_grid_window *w, int64_t seq)
{
	if (seq > w->cursor)
		w->cursor = seq;
}

enum gg_window_step gg_grid_window_answer(struct gg_grid_window *w, int64_t seq,
					  enum gg_grid_answer answer, int64_t now_ms)
{
	ssize_t i = find(w, seq);

	if (i < 0)
		return GG_STEP_STALE; /* its row is resent or done already */
	w->inflight[i] = w->inflight[--w->n_inflight];
	/* Answered at all: the stream survived this item. */
	gg_grid_isolate_answered(&w->iso, seq);
	switch (answer) {
	case GG_ANSWER_RESULT:
		w->acked[w->n_acked++] = seq;
		return GG_STEP_ACKED;
	case GG_ANSWER_REFUSED:
		return GG_STEP_REFUSE;
	case GG_ANSWER_TOPIC_GONE:
		return GG_STEP_TOPIC_GONE;
	case GG_ANSWER_RETRY:
		break;
	}
	/* One backoff for the window: the answers to the rest of it do not push it further. */
	if (w->retry_at_ms == 0) {
		w->retry_at_ms = now_ms + w->backoff_ms;
		w->backoff_ms = w->backoff_ms * 2 > w->backoff_max_ms ? w->backoff_max_ms
								     : w->backoff_ms * 2;
	}
	return GG_STEP_RETRY;
}

const int64_t *gg_grid_window_acks(const struct gg_grid_window *w, size_t *n)
{
	*n = w->n_acked;
	return w->acked;
}

void gg_grid_window_acks_flushed(struct gg_grid_window *w, int ok)
{
	if (ok && w->n_acked > 0)
		w->backoff_ms = w->backoff_min_ms;
	w->n_acked = 0;
}

int gg_grid_window_expired(const struct gg_grid_window *w, int64_t now_ms, int64_t timeout_ms)
{
	for (size_t i = 0; i < w->n_inflight; i++)
		if (now_ms - w->inflight[i].sent_ms > timeout_ms)
			return 1;
	return 0;
}

enum gg_isolate_action gg_grid_window_lost(struct gg_grid_window *w, enum gg_grid_drop_kind kind,
					   size_t *lost, int64_t *culprit)
{
	int64_t *seqs = malloc((w->n_inflight ? w->n_inflight : 1) * sizeof(*seqs));
	enum gg_isolate_action action = GG_ISOLATE_RESEND;

	*lost = w->n_inflight;
	*culprit = 0;
	/* Without memory to list them the drop is not charged: resent as before. */
	if (seqs != NULL) {
		for (size_t i = 0; i < w->n_inflight; i++)
			seqs[i] = w->inflight[i].seq;
		action = gg_grid_isolate_drop(&w->iso, kind, seqs, w->n_inflight, culprit);
		free(seqs);
	}
	w->n_inflight = 0;
	gg_grid_window_rewind(w);
	return action;
}

void gg_grid_window_rewind(struct gg_grid_window *w)
{
	w->cursor = 0;
}

int gg_grid_window_retry_due(struct gg_grid_window *w, int64_t now_ms)
{
	if (w->retry_at_ms == 0 || now_ms < w->retry_at_ms)
		return 0;
	w->retry_at_ms = 0;
	gg_grid_window_rewind(w);
	return 1;
}
