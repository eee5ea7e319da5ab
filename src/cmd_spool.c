/* cmd_spool.c: `gridgate spool stats`: the spool's own counts, the durable truth about what was
 * accepted, published, refused and quarantined (they survive restarts; counters do not). */
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "config.h"
#include "spool.h"

int gg_cmd_spool(const char *config_path, int argc, char **argv)
{
	struct gg_spool_options opts = { 0 };
	struct gg_config *cfg = NULL;
	struct gg_spool *spool = NULL;
	struct gg_spool_stats st;
	struct gg_error err;
	int code = GG_EXIT_RUNTIME;

	if (argc != 2 || strcmp(argv[1], "stats") != 0) {
		fprintf(stderr, "usage: gridgate [-c FILE] spool stats\n");
		return GG_EXIT_USAGE;
	}
	if (gg_config_load(config_path, &cfg, &err) != 0) {
		fprintf(stderr, "gridgate: %s\n", err.msg);
		return GG_EXIT_USAGE;
	}
	opts.path = cfg->spool.path;
	opts.busy_timeout_ms = 10000;
	if (gg_spool_open(&opts, &spool, &err) != 0 || gg_spool_stats(spool, &st, &err) != 0) {
		fprintf(stderr, "gridgate: spool %s: %s\n", cfg->spool.path, err.msg);
		goto out;
	}
	printf("pending=%lld published=%lld refused=%lld quarantined=%lld\n",
	       (long long)st.pending, (long long)st.done, (long long)st.failed,
	       (long long)st.quarantined);
	code = GG_EXIT_OK;
out:
	gg_spool_close(spool);
	gg_config_free(cfg);
	return code;
}
