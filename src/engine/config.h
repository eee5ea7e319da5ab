/* config.h: the INI configuration (read with libinih) and the option tables that describe it.
 * Every option is one table row (type, key, default, offset, help): defaults live only there. */
#ifndef GG_CONFIG_H
#define GG_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "grid/grid_conf.h"

enum gg_option_type {
	GG_OPT_STRING,   /* char *, strdup'd */
	GG_OPT_INT,      /* int64_t */
	GG_OPT_SIZE,     /* int64_t bytes: 512, 32k, 4M, 1G */
	GG_OPT_DURATION, /* int64_t milliseconds: 250ms, 30s, 5m, 1h, 1d (bare number = seconds) */
	GG_OPT_BOOL,     /* int: yes/no, true/false, on/off, 1/0 */
};

struct gg_option {
	const char *key;
	enum gg_option_type type;
	const char *def; /* NULL: no default (string stays NULL, numbers 0) */
	size_t offset;   /* into the section's struct */
	const char *help;
};

/* A table ends with a row whose key is NULL. */
#define GG_OPTIONS_END { NULL, 0, NULL, 0, NULL }

struct gg_global_conf {
	char *state_dir;
	char *schema_dir;
	char *log_level;
	char *csirt_name;
	char *contact_email;
	int64_t max_document_size;
	int64_t max_record_size;
	int64_t max_depth;
	char *mapping_dir;
	int64_t regex_match_limit;
	int64_t regex_depth_limit;
};

struct gg_spool_conf {
	char *path;
	int synchronous_full;
	int64_t max_pending;
	int64_t batch;
	int64_t keep_done_ms;
};


struct gg_adapter;

/* Options every input section takes, whatever its kind: how its records are mapped. */
struct gg_input_common {
	char *mappings;  /* mapping names (or "*"), blank- or comma-separated; NULL: none */
	char *unmatched; /* "generic" or "drop" */
	char *timezone;  /* zone of the senders' stamps without one, NULL: each mapping's */
};

/* One [kind:name] section: an adapter instance and its own option struct. */
struct gg_input_conf {
	const struct gg_adapter *adapter;
	char *name;
	void *conf; /* adapter->conf_size bytes, filled from adapter->options */
	struct gg_input_common common;
};

struct gg_config {
	char *path;
	struct gg_global_conf global;
	struct gg_spool_conf spool;
	struct gg_xmpp_conf xmpp;
	struct gg_input_conf *inputs;
	size_t n_inputs;
};

extern const struct gg_option gg_global_options[];
extern const struct gg_option gg_spool_options[];
extern const struct gg_option gg_xmpp_options[];
extern const struct gg_option gg_input_common_options[];

/* Loads path into a new config: unknown sections or keys, bad values and missing required
 * settings are errors naming file:line. Relative paths are resolved against state_dir. */
int gg_config_load(const char *path, struct gg_config **out, struct gg_error *err);
void gg_config_free(struct gg_config *cfg);

/* Option-table primitives, shared with adapters and tests. */
int gg_option_set(const struct gg_option *table, void *base, const char *key, const char *value,
		  struct gg_error *err);
int gg_options_apply_defaults(const struct gg_option *table, void *base, struct gg_error *err);
void gg_options_free(const struct gg_option *table, void *base);
int gg_parse_size(const char *s, int64_t *out);
int gg_parse_duration_ms(const char *s, int64_t *out);
int gg_parse_bool(const char *s, int *out);

#endif
