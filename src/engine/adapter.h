/* adapter.h: the one interface every plugin (input or output) implements, and the table that
 * registers them. Adding one is a directory under adapters/ and one line in registry.c. */
#ifndef GG_ADAPTER_H
#define GG_ADAPTER_H

#include <stddef.h>

#include "base/counters.h"
#include "base/error.h"
#include "engine/config.h"

struct gg_pipeline;

/* A running instance (input or output): the core owns it; the adapter keeps its own state in
 * ->state. */
struct gg_input {
	const struct gg_adapter *adapter;
	const char *name;           /* instance name from [kind:name] */
	const void *conf;           /* the adapter's option struct, read-only */
	struct gg_pipeline *pipeline;
	/* The input's mappings (map_input.h), or NULL when its section names none. Created and
	 * reloaded (SIGHUP) by the core; the adapter only maps with it. */
	struct gg_mapper *mapper;
	/* An input's outputs (struct gg_input_conf's routes): each record it commits gets a
	 * delivery for each. NULL: the default output alone (a command-line tool's emitter). */
	const char *const *routes;
	size_t n_routes;
	void *state;
};

enum gg_plugin_kind {
	GG_PLUGIN_INPUT,  /* reads records in: [KIND:NAME] sections */
	GG_PLUGIN_OUTPUT, /* drains its deliveries from the spool: [out_grid:NAME] ([xmpp]) */
};

struct gg_adapter {
	const char *name; /* the section kind: [filedrop:NAME] */
	enum gg_plugin_kind kind;
	const char *desc;
	const struct gg_option *options;
	size_t conf_size;
	/* Checks a filled option struct beyond what the table says (ranges and words are the
	 * table's): keys that go together, addresses, files (optional). On an error it sets
	 * *key to the option it is about (NULL: the section), so the core names its line. */
	int (*check)(const void *conf, const char **key, struct gg_error *err);
	/* Checks an input against an earlier one of the same kind in the file (optional): what
	 * no section shows alone, as two RID partners known by one certificate. Run for every
	 * pair once the sections passed check, so `check-config`, the start and SIGHUP refuse
	 * alike; *key and err as for check, about conf (the later of the two). */
	int (*check_pair)(const void *conf, const void *earlier, const char *earlier_name,
			  const char **key, struct gg_error *err);
	/* Takes what needs privileges or may fail at start: listening sockets, key files,
	 * directories, its state (in->state). Runs before the daemon drops root; reads no input. */
	int (*open)(struct gg_input *in, struct gg_error *err);
	/* Starts the instance's thread(s); returns once it is running. */
	int (*start)(struct gg_input *in, struct gg_error *err);
	/* Asks it to stop and joins its thread(s): after stop, nothing of it runs. */
	void (*stop)(struct gg_input *in);
	/* Releases what open took; takes an instance whose open failed half-way (in->state may
	 * be NULL) or whose start never ran. */
	void (*free)(struct gg_input *in);
	/* Its counters (optional): the rows, and the struct of atomics they point into. The core
	 * logs them with its own every minute, on SIGUSR1 and at the stop, from the main thread
	 * while the instance runs. */
	const struct gg_counter *counters;
	const void *(*counters_of)(const struct gg_input *in);
	/* Instances that only work together (optional): the name of the instance whose group
	 * this one is in (an HTTP route: its listener's; the listener: its own). When SIGHUP
	 * changes one of a group, the whole group restarts. NULL: the instance alone. */
	const char *(*group)(const void *conf, const char *name);
	/* SIGHUP, when only the instance's own options changed (optional): applies the new
	 * option struct (conf_size bytes, kept only until the next SIGHUP: copy what is kept) to
	 * the running instance and returns 0 (it keeps running, its group is not restarted), or
	 * returns <0 with err saying why, and the instance restarts. Main thread, instance
	 * started. */
	int (*reload)(struct gg_input *in, const void *conf, struct gg_error *err);
};

/* A `group` for the instance the others of its group name (an HTTP listener): its own name. */
const char *gg_plugin_group_self(const void *conf, const char *name);

/* The plugin of that kind and name, or NULL. */
const struct gg_adapter *gg_adapter_find(enum gg_plugin_kind kind, const char *name);
/* The NULL-terminated registration table. */
extern const struct gg_adapter *const gg_adapters[];

#endif
