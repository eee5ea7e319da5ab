/* grid_isolate.h: finding the item a controller refuses by closing the stream. A controller
 * that cannot take a stanza (too big, not well-formed, refused by a policy module) ends the
 * session instead of answering the IQ; resending the same window after each reconnect would
 * loop for ever. Drops that follow sends are charged to what was in flight; when the same
 * head is charged again the publisher sends one item at a time until the one that kills the
 * stream is found. Pure state machine: no sockets, no spool, no clock. */
#ifndef GG_GRID_ISOLATE_H
#define GG_GRID_ISOLATE_H

#include <stddef.h>
#include <stdint.h>

#include "grid/grid_session.h"


/* Same-head charges, outside probing, before the publisher probes one item at a time. */
#define GG_ISOLATE_STRIKES 2
/* Charges of an item alone in flight before it is refused: a stanza verdict names it at
 * once; a bare close or an IQ timeout might be the network, so it must happen twice. */
#define GG_ISOLATE_PROBE_STRIKES_STANZA 1
#define GG_ISOLATE_PROBE_STRIKES_OTHER 2

struct gg_grid_isolate {
	int64_t suspect;     /* the head charged last (0: none) */
	int strikes;         /* charges of suspect */
	int64_t probe_until; /* probing (window 1) until this seq is acknowledged; 0: not */
};

enum gg_isolate_action {
	GG_ISOLATE_RESEND, /* resend as usual (window as configured or probing) */
	GG_ISOLATE_PROBE,  /* start sending one item at a time */
	GG_ISOLATE_REFUSE, /* *culprit is the item the controller refuses: set it aside */
};

/* A drop of kind with the n seqs in flight (any order). */
enum gg_isolate_action gg_grid_isolate_drop(struct gg_grid_isolate *iso,
					    enum gg_grid_drop_kind kind, const int64_t *inflight,
					    size_t n, int64_t *culprit);
/* seq was acknowledged (or answered with an error: the stream survived it). */
void gg_grid_isolate_answered(struct gg_grid_isolate *iso, int64_t seq);
/* How many items may be in flight now. */
size_t gg_grid_isolate_window(const struct gg_grid_isolate *iso, size_t window);

#endif
