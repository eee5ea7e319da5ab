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
#include "engine/map_input.h"
#include "engine/pipeline.h"

/* The core's counters, then each running input's: its mappings', and its plugin's own. */
static void daemon_log_counters(struct gg_pipeline *p, struct gg_spool *spool,
				const struct gg_input *inputs, size_t n_inputs)
{
	struct gg_spool_stats st = { 0 };
	struct gg_error err;
	char line[1024];

	if (gg_spool_stats(spool, &st, &err) != 0)
		gg_log_warnx("spool: %s", err.msg);
	gg_counters_format(gg_core_counters, &p->counters, line, sizeof(line));
	gg_log_info("counters: %s spool_pending=%lld", line, (long long)st.pending);
	for (size_t i = 0; i < n_inputs; i++) {
		if (inputs[i].mapper != NULL) {
			gg_counters_format(gg_mapper_counter_rows, &inputs[i].mapper->counters, line,
					   sizeof(line));
			gg_log_info("%s: mapping: %s", inputs[i].name, line);
		}
		if (inputs[i].adapter->counters != NULL) {
			gg_counters_format(inputs[i].adapter->counters,
					   inputs[i].adapter->counters_of(&inputs[i]), line,
					   sizeof(line));
			gg_log_info("%s: counters: %s", inputs[i].name, line);
		}
	}
}

/* SIGHUP: every input's mappings are read again. A set that does not load leaves the running
 * one in place; records in flight finish with the set they started with. */
static void daemon_reload_mappings(struct gg_input *inputs, size_t n_inputs)
{
	for (size_t i = 0; i < n_inputs; i++) {
		struct gg_error err;

		if (inputs[i].mapper == NULL)
			continue;
		if (gg_mapper_reload(inputs[i].mapper, &err) != 0)
			gg_log_warnx("%s: SIGHUP: mappings not reloaded, the running ones stay: %s",
				     inputs[i].name, err.msg);
		else
			gg_log_info("%s: SIGHUP: %zu mapping(s) reloaded", inputs[i].name,
				    inputs[i].mapper->n_names);
	}
}

/* A changed instance whose plugin applies its own options in place (its reload): 1 when it
 * took them, 0 when they wait for a restart (said in the log). */
static int daemon_reload_instance(struct gg_input *inputs, size_t n_inputs,
				  const struct gg_input_conf *in)
{
	struct gg_error err;

	for (size_t i = 0; i < n_inputs; i++) {
		if (inputs[i].adapter != in->adapter || strcmp(inputs[i].name, in->name) != 0)
			continue;
		if (in->adapter->reload(&inputs[i], in->conf, &err) != 0) {
			gg_log_warnx("SIGHUP: [%s:%s]: %s; the running settings stay",
				     in->adapter->name, in->name, err.msg);
			return 0;
		}
		gg_log_info("SIGHUP: [%s:%s] reloaded", in->adapter->name, in->name);
		return 1;
	}
	return 0;
}

/* Says what in the file differs from the running configuration: those changes wait for a
 * restart (only mappings, and the instances whose plugin reloads itself, change in place). */
static void daemon_report_changes(const struct gg_config *run, const struct gg_config *fresh,
				  struct gg_input *inputs, size_t n_inputs)
{
	const struct gg_option *o;
	size_t changed = 0;

	for (const struct gg_config_section *s = gg_config_sections; s->name != NULL; s++) {
		if (s->offset == GG_SECTION_PER_INPUT)
			continue; /* compared input by input below */
		o = gg_options_differ(s->options, gg_config_section_base(run, s),
				      gg_config_section_base(fresh, s));
		if (o != NULL) {
			changed++;
			gg_log_warnx("SIGHUP: [%s] %s changed: it takes effect at the next restart",
				     s->name, o->key);
		}
	}
	for (size_t i = 0; i < fresh->n_inputs; i++) {
		const struct gg_input_conf *in = &fresh->inputs[i], *was = NULL;

		for (size_t j = 0; j < run->n_inputs; j++)
			if (run->inputs[j].adapter == in->adapter &&
			    strcmp(run->inputs[j].name, in->name) == 0)
				was = &run->inputs[j];
		if (was == NULL) {
			changed++;
			gg_log_warnx("SIGHUP: [%s:%s] is new: it starts at the next restart",
				     in->adapter->name, in->name);
		} else if ((o = gg_options_differ(gg_input_common_options, &was->common,
						  &in->common)) == NULL &&
			   gg_options_differ(in->adapter->options, was->conf, in->conf) != NULL &&
			   in->adapter->reload != NULL &&
			   daemon_reload_instance(inputs, n_inputs, in)) {
			changed++;
		} else if (o != NULL ||
			   (o = gg_options_differ(in->adapter->options, was->conf, in->conf)) !=
				   NULL) {
			changed++;
			gg_log_warnx("SIGHUP: [%s:%s] %s changed: it takes effect at the next restart",
				     in->adapter->name, in->name, o->key);
		}
	}
	for (size_t j = 0; j < run->n_inputs; j++) {
		int kept = 0;

		for (size_t i = 0; i < fresh->n_inputs; i++)
			kept |= run->inputs[j].adapter == fresh->inputs[i].adapter &&
				strcmp(run->inputs[j].name, fresh->inputs[i].name) == 0;
		if (!kept) {
			changed++;
			gg_log_warnx("SIGHUP: [%s:%s] is gone from the file: it stops at the next "
				     "restart", run->inputs[j].adapter->name, run->inputs[j].name);
		}
	}
	if (changed == 0)
		gg_log_info("SIGHUP: %s unchanged apart from mappings", fresh->path);
}

/* SIGHUP: the configuration file is read and checked whole; a bad one is refused with
 * file:line and the running one stays. Mappings are reloaded in place; other changes are
 * named and wait for a restart. */
static void daemon_reload(const struct gg_config *cfg, struct gg_input *inputs, size_t n_inputs)
{
	struct gg_config *fresh = NULL;
	struct gg_error err;

	if (gg_config_load(cfg->path, &fresh, &err) != 0) {
		gg_log_warnx("SIGHUP: %s; the running configuration stays", err.msg);
		return;
	}
	daemon_report_changes(cfg, fresh, inputs, n_inputs);
	gg_config_free(fresh);
	daemon_reload_mappings(inputs, n_inputs);
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
	struct gg_input output = { 0 };
	struct gg_spool *spool = NULL;
	struct gg_input *inputs = NULL;
	size_t opened = 0, started = 0;
	int output_started = 0;
	struct gg_error err;
	sigset_t sigs;
	int code = 3;

	/* Blocked before any thread exists, so every thread inherits the mask and only the
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
	if (gg_pipeline_open_spool(pipeline, &spool, &err) != 0) {
		gg_log_warnx("spool: %s", err.msg);
		goto out;
	}
	if (gg_pipeline_start_checkpoints(pipeline, &err) != 0) {
		gg_log_warnx("spool: %s", err.msg);
		goto out;
	}
	output.adapter = gg_adapter_find(GG_PLUGIN_OUTPUT, "out_grid");
	output.name = "publisher";
	output.conf = &cfg->xmpp;
	output.pipeline = pipeline;
	if (output.adapter == NULL || output.adapter->open(&output, &err) != 0) {
		gg_log_warnx("publisher: %s", output.adapter ? err.msg : "no out_grid plugin");
		goto out;
	}
	inputs = calloc(cfg->n_inputs ? cfg->n_inputs : 1, sizeof(*inputs));
	if (inputs == NULL)
		goto out;
	/* Everything that needs root is opened first, for every instance; then root goes; only
	 * then does anything start reading. */
	for (; opened < cfg->n_inputs; opened++) {
		struct gg_input *in = &inputs[opened];

		in->adapter = cfg->inputs[opened].adapter;
		in->name = cfg->inputs[opened].name;
		in->conf = cfg->inputs[opened].conf;
		in->pipeline = pipeline;
		if (gg_mapper_new(cfg, &cfg->inputs[opened], &in->mapper, &err) != 0 ||
		    in->adapter->open(in, &err) != 0) {
			gg_log_warnx("%s: %s", in->name, err.msg);
			opened++; /* its half-open state is released below */
			goto out;
		}
	}
	if (daemon_drop_privileges(cfg, &err) != 0) {
		gg_log_warnx("user = %s: %s", cfg->global.user, err.msg);
		goto out;
	}
	if (output.adapter->start(&output, &err) != 0) {
		gg_log_warnx("publisher: %s", err.msg);
		goto out;
	}
	output_started = 1;
	for (; started < opened; started++) {
		if (inputs[started].adapter->start(&inputs[started], &err) != 0) {
			gg_log_warnx("%s: %s", inputs[started].name, err.msg);
			goto out;
		}
	}
	gg_log_info("gridgate running: %zu input(s), topic %s", cfg->n_inputs, cfg->xmpp.topic);
	for (;;) {
		struct timespec period = { 60, 0 };
		int sig = sigtimedwait(&sigs, NULL, &period);

		if (sig == SIGTERM || sig == SIGINT) {
			gg_log_info("signal %d: stopping", sig);
			break;
		}
		if (sig == SIGHUP)
			daemon_reload(cfg, inputs, started);
		if (sig == SIGUSR1 || sig < 0)
			daemon_log_counters(pipeline, spool, inputs, started);
	}
	code = 0;
out:
	gg_pipeline_stop(pipeline);
	while (opened > 0) {
		struct gg_input *in = &inputs[--opened];

		if (opened < started)
			in->adapter->stop(in);
		in->adapter->free(in);
		if (in->mapper != NULL) {
			char line[512];

			gg_counters_format(gg_mapper_counter_rows, &in->mapper->counters, line,
					   sizeof(line));
			gg_log_info("%s: stopped: mapping: %s", in->name, line);
			gg_mapper_free(in->mapper);
		}
	}
	free(inputs);
	if (output_started)
		output.adapter->stop(&output);
	if (output.adapter != NULL)
		output.adapter->free(&output);
	/* The inputs are stopped: each logged its counters as it stopped. */
	if (spool != NULL)
		daemon_log_counters(pipeline, spool, NULL, 0);
	gg_spool_close(spool);
	gg_pipeline_free(pipeline);
	return code;
}
