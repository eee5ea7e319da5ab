/* instances.c: opening, starting, stopping the plugin instances of a configuration, and
 * SIGHUP's reconciliation of the running set with a new configuration. */
#include "engine/instances.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "engine/adapter.h"
#include "engine/config_files.h"
#include "engine/map_input.h"
#include "engine/pipeline.h"

/* A configuration instances were made from, alive while one of them runs. */
struct generation {
	struct gg_config *cfg;
	int owned; /* loaded by SIGHUP: freed here once unused (the first is the caller's) */
	size_t users;
	struct generation *next;
};

struct instance {
	struct gg_input in; /* adapters keep pointers to it: an instance never moves */
	struct generation *gen; /* made from: in.conf points into it */
	/* Its section as it runs, which SIGHUP compares with: in gen, or in a later generation
	 * whose options the plugin took in place (.reload); seen holds that one alive. */
	struct generation *seen;
	const struct gg_input_conf *input;   /* for an input */
	const struct gg_output_conf *output; /* for an output */
	int started;
	int replace; /* SIGHUP: stops now (changed, gone, or in a changed group) */
};

struct gg_instances {
	struct gg_pipeline *pipeline;
	struct generation *gens;
	struct instance **items; /* outputs first, then inputs, each in file order */
	size_t n;
};

static const char *instance_kind(const struct instance *it)
{
	return it->in.adapter->name;
}

static const char *instance_group(const struct gg_adapter *a, const void *conf,
				  const char *name)
{
	return a->group != NULL ? a->group(conf, name) : NULL;
}

static void instance_log_mapping(const struct instance *it, const char *when)
{
	char line[1024];

	gg_counters_format(gg_mapper_counter_rows, &it->in.mapper->counters, line, sizeof(line));
	gg_log_info("%s: %smapping: %s", it->in.name, when, line);
}

/* Its plugin's own counters, from the plugin's table ("NAME: WHEN: a=1 b=2"). */
static void instance_log_plugin(const struct instance *it, const char *when)
{
	char line[1024];

	if (it->in.adapter->counters != NULL && it->in.state != NULL) {
		gg_counters_format(it->in.adapter->counters,
				   it->in.adapter->counters_of(&it->in), line, sizeof(line));
		gg_log_info("%s: %s: %s", it->in.name, when, line);
	}
}

/* Its mappings' counters and its plugin's own. */
static void instance_log_counters(const struct instance *it)
{
	if (it->in.mapper != NULL)
		instance_log_mapping(it, "");
	instance_log_plugin(it, "counters");
}

/* Stops (when started) and releases one instance; its generation loses a user. */
static void instance_close(struct instance *it)
{
	if (it->started) {
		it->in.adapter->stop(&it->in);
		/* The last counters, once the plugin's threads are joined: final. */
		instance_log_plugin(it, "stopped");
		if (it->in.mapper != NULL)
			instance_log_mapping(it, "stopped: ");
	}
	it->in.adapter->free(&it->in);
	gg_mapper_free(it->in.mapper);
	it->gen->users--;
	if (it->seen != it->gen)
		it->seen->users--;
	free(it);
}

/* Opens the instance of one section: an output (in != NULL is an input). */
static int instance_open(struct gg_instances *set, struct generation *gen,
			 const struct gg_input_conf *input, const struct gg_output_conf *output,
			 struct instance **out, struct gg_error *err)
{
	struct instance *it = calloc(1, sizeof(*it));
	int r;

	*out = NULL;
	if (it == NULL)
		return gg_error_set(err, -ENOMEM, "out of memory");
	it->gen = gen;
	it->seen = gen;
	it->input = input;
	it->output = output;
	it->in.pipeline = set->pipeline;
	if (input != NULL) {
		it->in.adapter = input->adapter;
		it->in.name = input->name;
		it->in.conf = input->conf;
		it->in.routes = input->routes;
		it->in.n_routes = input->n_routes;
		if ((r = gg_mapper_new(gen->cfg, input, &it->in.mapper, err)) != 0) {
			free(it);
			return r;
		}
	} else {
		it->in.adapter = output->adapter;
		it->in.name = output->name;
		it->in.conf = output->conf;
	}
	gen->users++;
	if ((r = it->in.adapter->open(&it->in, err)) != 0) {
		instance_close(it);
		return r;
	}
	*out = it;
	return 0;
}

const char *gg_plugin_group_self(const void *conf, const char *name)
{
	(void)conf;
	return name;
}

static int set_add(struct gg_instances *set, struct instance *it, struct gg_error *err)
{
	struct instance **grown = realloc(set->items, (set->n + 1) * sizeof(*grown));

	if (grown == NULL) {
		instance_close(it);
		return gg_error_set(err, -ENOMEM, "out of memory");
	}
	set->items = grown;
	set->items[set->n++] = it;
	return 0;
}

/* Opens gen's sections that have no running instance yet (all of them at the first
 * start): outputs first, so that inputs find where their records go. With `keep_going`
 * (SIGHUP) a section that fails is logged and skipped; else the first failure is returned. */
static int open_missing(struct gg_instances *set, struct generation *gen, int keep_going,
			struct gg_error *err)
{
	const struct gg_config *cfg = gen->cfg;
	size_t total = cfg->n_outputs + cfg->n_inputs;
	int r;

	for (size_t k = 0; k < total; k++) {
		const struct gg_output_conf *o = k < cfg->n_outputs ? &cfg->outputs[k] : NULL;
		const struct gg_input_conf *i = o == NULL ? &cfg->inputs[k - cfg->n_outputs] : NULL;
		const char *name = o != NULL ? o->name : i->name;
		struct instance *it;
		int running = 0;

		for (size_t j = 0; j < set->n; j++)
			running |= strcmp(set->items[j]->in.name, name) == 0;
		if (running)
			continue;
		if ((r = instance_open(set, gen, i, o, &it, err)) != 0 ||
		    (r = set_add(set, it, err)) != 0) {
			char msg[sizeof(err->msg)];

			snprintf(msg, sizeof(msg), "[%.40s:%.40s]: %.400s",
				 o != NULL ? o->adapter->name : i->adapter->name, name, err->msg);
			snprintf(err->msg, sizeof(err->msg), "%s", msg);
			if (!keep_going)
				return r;
			gg_log_warnx("SIGHUP: %s; it stays stopped until the next SIGHUP or restart",
				     msg);
		}
	}
	return 0;
}

/* Starts what is opened and not started: outputs first. */
static int start_pending(struct gg_instances *set, int keep_going, struct gg_error *err)
{
	for (int outputs = 1; outputs >= 0; outputs--)
		for (size_t j = 0; j < set->n; j++) {
			struct instance *it = set->items[j];

			if (it->started || (it->output != NULL) != outputs)
				continue;
			if (it->in.adapter->start(&it->in, err) != 0) {
				char msg[sizeof(err->msg)];

				snprintf(msg, sizeof(msg), "%.60s: %.400s", it->in.name, err->msg);
				snprintf(err->msg, sizeof(err->msg), "%s", msg);
				if (!keep_going)
					return -1;
				gg_log_warnx("SIGHUP: %s", msg);
				continue;
			}
			it->started = 1;
		}
	return 0;
}

int gg_instances_open(struct gg_pipeline *p, const struct gg_config *cfg,
		      struct gg_instances **out, struct gg_error *err)
{
	struct gg_instances *set = calloc(1, sizeof(*set));
	int r;

	*out = NULL;
	if (set == NULL || (set->gens = calloc(1, sizeof(*set->gens))) == NULL) {
		free(set);
		return gg_error_set(err, -ENOMEM, "out of memory");
	}
	set->pipeline = p;
	/* The caller's: it outlives the set. */
	set->gens->cfg = (struct gg_config *)cfg;
	if ((r = open_missing(set, set->gens, 0, err)) != 0) {
		gg_instances_free(set);
		return r;
	}
	*out = set;
	return 0;
}

int gg_instances_start(struct gg_instances *set, struct gg_error *err)
{
	return start_pending(set, 0, err) != 0 ? -1 : 0;
}

/* Stops and removes the instances marked for replacement: inputs first (newest first), so
 * that nothing is taken in that its outputs cannot take. */
static void stop_replaced(struct gg_instances *set)
{
	for (int outputs = 0; outputs <= 1; outputs++)
		for (size_t j = set->n; j-- > 0;) {
			struct instance *it = set->items[j];

			if (!it->replace || (it->output != NULL) != outputs)
				continue;
			instance_close(it);
			memmove(&set->items[j], &set->items[j + 1],
				(set->n - j - 1) * sizeof(set->items[0]));
			set->n--;
		}
}

static int same_routes(const struct gg_input_conf *a, const struct gg_input_conf *b)
{
	if (a->n_routes != b->n_routes)
		return 0;
	for (size_t i = 0; i < a->n_routes; i++)
		if (strcmp(a->routes[i], b->routes[i]) != 0)
			return 0;
	return 1;
}

enum change { CHANGE_NONE, CHANGE_OWN, CHANGE_OTHER, CHANGE_GONE };

/* Appends to why (holding *len bytes) every key of table whose value differs between a and
 * b, comma-separated; returns how many differ. Every key, not the first: an operator who
 * changed two reads both in the SIGHUP line. */
static size_t keys_changed(const struct gg_option *table, const void *a, const void *b,
			   char *why, size_t size, size_t *len)
{
	size_t n = 0;

	for (const struct gg_option *o = gg_options_differ(table, a, b); o != NULL;
	     o = gg_options_differ(o + 1, a, b), n++) {
		int r = snprintf(why + *len, size - *len, "%s%s", *len > 0 ? ", " : "", o->key);

		/* Cut at size: the keys that fit are named. */
		*len += (size_t)r < size - *len ? (size_t)r : size - 1 - *len;
	}
	return n;
}

/* Appends to why the option whose file's content changed ("token_file's file"), if one did
 * (config_files.h); returns 1 then. */
static size_t file_changed(const struct gg_file_stamp *a, size_t n_a,
			   const struct gg_file_stamp *b, size_t n_b, char *why, size_t size,
			   size_t *len)
{
	const char *key = gg_file_stamps_differ(a, n_a, b, n_b);
	int r;

	if (key == NULL)
		return 0;
	r = snprintf(why + *len, size - *len, "%s%s's file", *len > 0 ? ", " : "", key);
	*len += (size_t)r < size - *len ? (size_t)r : size - 1 - *len;
	return 1;
}

/* What in fresh differs for a running instance: only its plugin's own options (*section is
 * the fresh one), something else (its common options, its outputs), or it is gone; why says
 * it in a few words, naming every changed key. */
static enum change instance_change(const struct instance *it, const struct gg_config *fresh,
				   const void **section, char *why, size_t size)
{
	size_t len = 0, common, own;
	int routes;

	*section = NULL;
	why[0] = '\0';
	if (it->input != NULL) {
		for (size_t i = 0; i < fresh->n_inputs; i++) {
			const struct gg_input_conf *f = &fresh->inputs[i];

			if (f->adapter != it->input->adapter || strcmp(f->name, it->input->name) != 0)
				continue;
			*section = f;
			common = keys_changed(gg_input_common_options, &it->input->common,
					      &f->common, why, size, &len);
			own = keys_changed(f->adapter->options, it->input->conf, f->conf, why, size,
					   &len) +
			      file_changed(it->input->files, it->input->n_files, f->files,
					   f->n_files, why, size, &len);
			/* The outputs it resolves to change without a key of its own when an
			 * output section comes or goes. */
			routes = common > 0 || same_routes(f, it->input);
			if (common + own == 0 && routes)
				return CHANGE_NONE;
			snprintf(why + len, size - len, "%s changed",
				 routes ? "" : len > 0 ? ", its outputs" : "its outputs");
			return common > 0 || !routes ? CHANGE_OTHER : CHANGE_OWN;
		}
	} else {
		for (size_t i = 0; i < fresh->n_outputs; i++) {
			const struct gg_output_conf *f = &fresh->outputs[i];

			if (f->adapter != it->output->adapter ||
			    strcmp(f->name, it->output->name) != 0)
				continue;
			*section = f;
			own = keys_changed(f->adapter->options, it->output->conf, f->conf, why, size,
					   &len) +
			      file_changed(it->output->files, it->output->n_files, f->files,
					   f->n_files, why, size, &len);
			if (own == 0)
				return CHANGE_NONE;
			snprintf(why + len, size - len, " changed");
			return CHANGE_OWN;
		}
	}
	snprintf(why, size, "gone from the file");
	return CHANGE_GONE;
}

/* A change of the plugin's own options applied in place (.reload): the instance now runs
 * with fresh's section, which it is compared with from now on. */
static int instance_reload(struct instance *it, struct generation *fresh, const void *section)
{
	const void *conf = it->input != NULL ? ((const struct gg_input_conf *)section)->conf
					     : ((const struct gg_output_conf *)section)->conf;
	struct gg_error err;

	if (it->in.adapter->reload == NULL || !it->started)
		return -1;
	if (it->in.adapter->reload(&it->in, conf, &err) != 0) {
		gg_log_warnx("SIGHUP: [%s:%s]: %s; restarting it", instance_kind(it), it->in.name,
			     err.msg);
		return -1;
	}
	if (it->seen != it->gen)
		it->seen->users--;
	it->seen = fresh;
	fresh->users++;
	if (it->input != NULL)
		it->input = section;
	else
		it->output = section;
	return 0;
}

static int group_touched(const char *const *groups, size_t n, const char *group)
{
	for (size_t i = 0; group != NULL && i < n; i++)
		if (strcmp(groups[i], group) == 0)
			return 1;
	return 0;
}

/* Applies in place what plugins can take (.reload); marks the instances fresh otherwise
 * changes or removes, those in a group with one of them, and those of a group a new section
 * joins. */
static size_t mark_replaced(struct gg_instances *set, struct generation *fresh_gen)
{
	size_t changed = 0;
	const struct gg_config *fresh = fresh_gen->cfg;
	size_t max = set->n + fresh->n_inputs + fresh->n_outputs, n = 0;
	const char **groups = calloc(max ? max : 1, sizeof(*groups));

	for (size_t j = 0; j < set->n; j++) {
		struct instance *it = set->items[j];
		const void *section;
		char why[256];
		enum change c = instance_change(it, fresh, &section, why, sizeof(why));

		it->replace = c != CHANGE_NONE;
		changed += it->replace;
		if (c == CHANGE_OWN && instance_reload(it, fresh_gen, section) == 0) {
			gg_log_info("SIGHUP: [%s:%s] %s: applied in place", instance_kind(it),
				    it->in.name, why);
			it->replace = 0;
		}
		if (!it->replace)
			continue;
		gg_log_info("SIGHUP: [%s:%s] %s: %s", instance_kind(it), it->in.name, why,
			    c == CHANGE_GONE ? "stopping it" : "restarting it");
		if (groups != NULL && instance_group(it->in.adapter, it->in.conf, it->in.name))
			groups[n++] = instance_group(it->in.adapter, it->in.conf, it->in.name);
	}
	/* A new section in a running group (a route added to a listener) restarts it. */
	for (size_t k = 0; groups != NULL && k < fresh->n_inputs; k++) {
		const struct gg_input_conf *f = &fresh->inputs[k];
		const char *g = instance_group(f->adapter, f->conf, f->name);
		int running = 0;

		for (size_t j = 0; j < set->n; j++)
			running |= strcmp(set->items[j]->in.name, f->name) == 0;
		if (!running && g != NULL)
			groups[n++] = g;
	}
	for (size_t j = 0; groups != NULL && j < set->n; j++) {
		struct instance *it = set->items[j];

		if (!it->replace &&
		    group_touched(groups, n, instance_group(it->in.adapter, it->in.conf, it->in.name))) {
			it->replace = 1;
			changed++;
			gg_log_info("SIGHUP: [%s:%s] restarts with its group", instance_kind(it),
				    it->in.name);
		}
	}
	free(groups);
	return changed;
}

/* [gridgate] and [spool] are the pipeline's: a change waits for a restart. */
static void report_fixed(const struct gg_config *run, const struct gg_config *fresh)
{
	for (const struct gg_config_section *s = gg_config_sections; s->name != NULL; s++) {
		char keys[256];
		size_t len = 0;

		/* Per-input options, and [xmpp], are compared instance by instance. */
		if (s->offset == GG_SECTION_PER_INPUT || s->options == gg_xmpp_options)
			continue;
		keys[0] = '\0';
		if (keys_changed(s->options, gg_config_section_base(run, s),
				 gg_config_section_base(fresh, s), keys, sizeof(keys), &len) > 0)
			gg_log_warnx("SIGHUP: [%s] %s changed: it takes effect at the next restart",
				     s->name, keys);
	}
}

static void free_unused_generations(struct gg_instances *set)
{
	for (struct generation **g = &set->gens; *g != NULL;) {
		struct generation *gen = *g;

		if (gen->owned && gen->users == 0) {
			*g = gen->next;
			gg_config_free(gen->cfg);
			free(gen);
		} else {
			g = &gen->next;
		}
	}
}

void gg_instances_reload(struct gg_instances *set, struct gg_config *fresh)
{
	struct generation *gen = calloc(1, sizeof(*gen));
	size_t before = set->n, changed;
	struct gg_error err;

	if (gen == NULL) {
		gg_log_warnx("SIGHUP: out of memory; the running configuration stays");
		gg_config_free(fresh);
		return;
	}
	gen->cfg = fresh;
	gen->owned = 1;
	gen->next = set->gens;
	set->gens = gen;
	report_fixed(set->pipeline->cfg, fresh);
	changed = mark_replaced(set, gen);
	stop_replaced(set);
	/* Mappings of the inputs that keep running: read again, as before output sections. */
	for (size_t j = 0; j < set->n; j++) {
		struct instance *it = set->items[j];
		size_t loaded;

		if (it->in.mapper == NULL)
			continue;
		/* What was loaded, not what was named: `mappings = *` is one name. */
		if (gg_mapper_reload(it->in.mapper, &loaded, &err) != 0)
			gg_log_warnx("%s: SIGHUP: mappings not reloaded, the running ones stay: %s",
				     it->in.name, err.msg);
		else
			gg_log_info("%s: SIGHUP: %zu mapping(s) reloaded", it->in.name, loaded);
	}
	open_missing(set, gen, 1, &err);
	start_pending(set, 1, &err);
	if (changed == 0 && set->n == before)
		gg_log_info("SIGHUP: %s: every input and output unchanged", fresh->path);
	free_unused_generations(set);
}

void gg_instances_log_counters(const struct gg_instances *set)
{
	for (size_t j = 0; j < set->n; j++)
		if (set->items[j]->started)
			instance_log_counters(set->items[j]);
}

size_t gg_instances_count(const struct gg_instances *set, int outputs)
{
	size_t n = 0;

	for (size_t j = 0; j < set->n; j++)
		n += (set->items[j]->output != NULL) == (outputs != 0);
	return n;
}

void gg_instances_free(struct gg_instances *set)
{
	if (set == NULL)
		return;
	for (size_t j = 0; j < set->n; j++)
		set->items[j]->replace = 1;
	stop_replaced(set);
	free(set->items);
	while (set->gens != NULL) {
		struct generation *gen = set->gens;

		set->gens = gen->next;
		if (gen->owned)
			gg_config_free(gen->cfg);
		free(gen);
	}
	free(set);
}
