/* grid_isolate.c: charges stream drops to the items in flight and names the one the controller
 * refuses (see grid_isolate.h). */
#include "out_grid/grid_isolate.h"

static int charged(enum gg_grid_drop_kind kind)
{
	return kind == GG_DROP_STANZA || kind == GG_DROP_TRANSPORT || kind == GG_DROP_TIMEOUT;
}

static void charge(struct gg_grid_isolate *iso, int64_t seq)
{
	if (iso->suspect == seq) {
		iso->strikes++;
	} else {
		iso->suspect = seq;
		iso->strikes = 1;
	}
}

enum gg_isolate_action gg_grid_isolate_drop(struct gg_grid_isolate *iso,
					    enum gg_grid_drop_kind kind, const int64_t *inflight,
					    size_t n, int64_t *culprit)
{
	int64_t head, last;

	*culprit = 0;
	if (n == 0 || !charged(kind))
		return GG_ISOLATE_RESEND;
	head = last = inflight[0];
	for (size_t i = 1; i < n; i++) {
		if (inflight[i] < head)
			head = inflight[i];
		if (inflight[i] > last)
			last = inflight[i];
	}
	if (iso->probe_until != 0 && n == 1) {
		int needed = kind == GG_DROP_STANZA ? GG_ISOLATE_PROBE_STRIKES_STANZA
						    : GG_ISOLATE_PROBE_STRIKES_OTHER;

		charge(iso, head);
		if (iso->strikes < needed)
			return GG_ISOLATE_RESEND;
		*culprit = head;
		iso->suspect = 0;
		iso->strikes = 0;
		/* Set aside, it is never answered: the probe ends with it when it was the last. */
		if (head >= iso->probe_until)
			iso->probe_until = 0;
		return GG_ISOLATE_REFUSE;
	}
	charge(iso, head);
	if (iso->strikes < GG_ISOLATE_STRIKES)
		return GG_ISOLATE_RESEND;
	/* The culprit is among what was in flight: probe up to the last of it. */
	if (last > iso->probe_until)
		iso->probe_until = last;
	iso->suspect = 0;
	iso->strikes = 0;
	return GG_ISOLATE_PROBE;
}

void gg_grid_isolate_answered(struct gg_grid_isolate *iso, int64_t seq)
{
	if (seq == iso->suspect) {
		iso->suspect = 0;
		iso->strikes = 0;
	}
	if (iso->probe_until != 0 && seq >= iso->probe_until)
		iso->probe_until = 0;
}

size_t gg_grid_isolate_window(const struct gg_grid_isolate *iso, size_t window)
{
	return iso->probe_until != 0 ? 1 : window;
}
