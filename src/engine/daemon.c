/* daemon.c: the `run` command's lifecycle: signals are taken synchronously (sigtimedwait) by the
 * main thread, which also logs the counters; worker threads never see a signal. */
#include "engine/daemon.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/privdrop.h"
#include "engine/adapter.h"
#include "base/log.h"
#include "engine/instances.h"
#include "engine/map_input.h"
#include "engine/pipeline.h"

/* The core's counters, then each running instance's. */
static void daemon_log_counters(struct gg_pipeline *p, struct gg_spool *spool,
				const struct gg_instances *set)
{
	struct gg_spool_stats st = { 0 };
	struct gg_error err;
	char line[1024];

	if (gg_spool_stats(spool, &st, &err) != 0)
		gg_log_warnx("spool: %s", err.msg);
	gg_counters_format(gg_core_counters, &p->counters, line, sizeof(line));
	gg_log_info("counters: %s spool_pending=%lld", line, (long long)st.pending);
	if (set != NULL)
		gg_instances_log_counters(set);
}

/* SIGHUP: the configuration file is read and checked whole; a bad one is refused with
 * file:line and the running one stays. Else instances whose options changed restart, new
 * ones start, removed ones stop, the others keep running (instances.h). */
static void daemon_reload(const struct gg_config *cfg, struct gg_instances *set)
{
	struct gg_config *fresh = NULL;
	struct gg_error err;

	if (gg_config_load(cfg->path, &fresh, &err) != 0) {
		gg_log_warnx("SIGHUP: %s; the running configuration stays", err.msg);
		return;
	}
	gg_instances_reload(set, fresh);
}

/* Started as root with `user` set: the state directory and spool files go to that user, then
 * the whole process becomes it. What was opened stays open; nothing has been read yet. */
static int daemon_drop_privileges(const struct gg_config *cfg, struct gg_error *err)
{
	char wal[4096], shm[4096];
	const char *paths[] = { cfg->global.state_dir, cfg->spool.path, wal, shm, NULL };

	if (cfg->global.user == NULL)
		return 0;
	if (geteuid() != 0) {
		gg_log_warnx("user = %s: not started as root, running as uid %u", cfg->global.user,
			     (unsigned)geteuid());
		return 0;
	}
	snprintf(wal, sizeof(wal), "%s-wal", cfg->spool.path);
	snprintf(shm, sizeof(shm), "%s-shm", cfg->spool.path);
	if (gg_drop_privileges(cfg->global.user, paths, err) != 0)
		return -EPERM;
	gg_log_info("running as %s (uid %u)", cfg->global.user, (unsigned)geteuid());
	return 0;
}

int gg_daemon_run(const struct gg_config *cfg)
{
	struct gg_pipeline *pipeline = NULL;
	struct gg_instances *set = NULL;
	struct gg_spool *spool = NULL;
	struct gg_error err;
	sigset_t sigs;
	int code = 3;

	/* Blocked before any thread starts, so every thread inherits the mask and only the
	 * main thread's sigtimedwait takes them. SIGPIPE is ignored: a closed socket is an
	 * error return, not a death. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	sigaddset(&sigs, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (mkdir(cfg->global.state_dir, 0750) != 0 && errno != EEXIST) {
		gg_log_warn("state_dir %s", cfg->global.state_dir);
		return 3;
	}
	if (gg_pipeline_new(cfg, &pipeline, &err) != 0) {
		gg_log_warnx("%s", err.msg);
		return 3;
	}
	/* The main thread's own handle creates the spool schema before anyone else uses it. */
	if (gg_pipeline_open_spool(pipeline, &spool, &err) != 0 ||
	    gg_pipeline_start_checkpoints(pipeline, &err) != 0) {
		gg_log_warnx("spool: %s", err.msg);
		goto out;
	}
	/* Everything that needs root is opened first, for every instance; then root goes; only
	 * then does anything start reading. */
	if (gg_instances_open(pipeline, cfg, &set, &err) != 0) {
		gg_log_warnx("%s", err.msg);
		goto out;
	}
	if (daemon_drop_privileges(cfg, &err) != 0) {
		gg_log_warnx("user = %s: %s", cfg->global.user, err.msg);
		goto out;
	}
	if (gg_instances_start(set, &err) != 0) {
		gg_log_warnx("%s", err.msg);
		goto out;
	}
	gg_log_info("gridgate running: %zu input(s), %zu output(s)", gg_instances_count(set, 0),
		    gg_instances_count(set, 1));
	for (;;) {
		struct timespec period = { 60, 0 };
		int sig = sigtimedwait(&sigs, NULL, &period);

		if (sig == SIGTERM || sig == SIGINT) {
			gg_log_info("signal %d: stopping", sig);
			break;
		}
		if (sig == SIGHUP)
			daemon_reload(cfg, set);
		if (sig == SIGUSR1 || sig < 0)
			daemon_log_counters(pipeline, spool, set);
	}
	code = 0;
out:
	gg_pipeline_stop(pipeline);
	/* Inputs stop first: each logs its counters as it stops. */
	gg_instances_free(set);
	if (spool != NULL)
		daemon_log_counters(pipeline, spool, NULL);
	gg_spool_close(spool);
	gg_pipeline_free(pipeline);
	return code;
}
