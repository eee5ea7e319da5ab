/* cmd_spool.c: `gridgate spool stats|refused|requeue`: the spool's own counts, the durable
 * truth about what was accepted, published, refused and quarantined (they survive restarts;
 * counters do not), the records set aside as refused with the reason for each, and putting one
 * back in the queue once its cause is fixed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cmd.h"
#include "engine/config.h"
#include "engine/spool.h"

#define REFUSED_DEFAULT_MAX 20

static int usage(void)
{
	fprintf(stderr, "usage: gridgate [-c FILE] spool stats\n"
			"       gridgate [-c FILE] spool refused [MAX]   (newest first, default %d)\n"
			"       gridgate [-c FILE] spool requeue SEQ     (a refused record, again)\n",
		REFUSED_DEFAULT_MAX);
	return GG_EXIT_USAGE;
}

static void print_refused(void *arg, const struct gg_spool_failed *row)
{
	time_t when = (time_t)row->updated;
	char stamp[32];
	struct tm tm;

	(void)arg;
	gmtime_r(&when, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	printf("seq=%lld id=%s source=%s output=%s attempts=%d refused=%s reason=%s\n",
	       (long long)row->seq, row->id ? row->id : "", row->source ? row->source : "",
	       row->output ? row->output : "", row->attempts, stamp,
	       row->reason ? row->reason : "");
}

#define STATS_MAX_OUTPUTS 64

struct output_list {
	struct gg_spool_output_stats o[STATS_MAX_OUTPUTS];
	size_t n;
};

static void collect_output(void *arg, const struct gg_spool_output_stats *o)
{
	struct output_list *list = arg;

	if (list->n < STATS_MAX_OUTPUTS)
		list->o[list->n++] = *o;
}

/* The totals, then one line per output, all from one snapshot; the output lines' keys differ
 * from the totals' so that a script reading "pending=" finds the total. */
static int spool_stats(struct gg_spool *spool, struct gg_error *err)
{
	static struct output_list list;
	struct gg_spool_stats st;
	time_t now = time(NULL);

	list.n = 0;
	if (gg_spool_stats_outputs(spool, &st, collect_output, &list, err) != 0)
		return -1;
	printf("pending=%lld published=%lld refused=%lld quarantined=%lld\n",
	       (long long)st.pending, (long long)st.done, (long long)st.failed,
	       (long long)st.quarantined);
	for (size_t i = 0; i < list.n; i++) {
		const struct gg_spool_output_stats *o = &list.o[i];
		int64_t age = o->oldest_pending > 0 && now > o->oldest_pending
				      ? (int64_t)now - o->oldest_pending : 0;

		printf("output %s: depth=%lld oldest_age=%llds delivered=%lld dead=%lld\n",
		       o->output, (long long)o->pending, (long long)age, (long long)o->done,
		       (long long)o->failed);
	}
	return 0;
}

int gg_cmd_spool(const char *config_path, int argc, char **argv)
{
	struct gg_spool_options opts = { 0 };
	struct gg_config *cfg = NULL;
	struct gg_spool *spool = NULL;
	struct gg_error err;
	int code = GG_EXIT_RUNTIME, max = REFUSED_DEFAULT_MAX, stats, requeue, r;
	long long seq = 0;
	char *end;

	if (argc < 2 || argc > 3)
		return usage();
	stats = strcmp(argv[1], "stats") == 0;
	requeue = strcmp(argv[1], "requeue") == 0;
	if ((stats && argc != 2) || (requeue && argc != 3) ||
	    (!stats && !requeue && strcmp(argv[1], "refused") != 0))
		return usage();
	if (argc == 3) {
		seq = strtoll(argv[2], &end, 10);
		if (*end != '\0' || seq < 1 || (!requeue && seq > 1000000))
			return usage();
		max = (int)(requeue ? 0 : seq);
	}
	if (gg_config_load(config_path, &cfg, &err) != 0) {
		fprintf(stderr, "gridgate: %s\n", err.msg);
		return GG_EXIT_USAGE;
	}
	opts.path = cfg->spool.path;
	opts.busy_timeout_ms = 10000;
	if (gg_spool_open(&opts, &spool, &err) != 0 ||
	    (r = stats ? spool_stats(spool, &err)
	     : requeue ? gg_spool_requeue(spool, (int64_t)seq, &err)
		       : gg_spool_list_failed(spool, max, print_refused, NULL, &err)) < 0) {
		fprintf(stderr, "gridgate: spool %s: %s\n", cfg->spool.path, err.msg);
		goto out;
	}
	if (requeue && r == 0) {
		fprintf(stderr, "gridgate: spool: record seq %lld is not refused by any output\n",
			seq);
		code = GG_EXIT_INVALID;
		goto out;
	}
	if (requeue)
		printf("record seq %lld queued again for %d output(s)\n", seq, r);
	code = GG_EXIT_OK;
out:
	gg_spool_close(spool);
	gg_config_free(cfg);
	return code;
}
