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

/* option flags */
#define GG_OPT_REQUIRED 0x1u /* a section without it is refused (naming the section's line) */
/* STRING: a file's path, whose content is part of the setting: SIGHUP re-applies the option
 * when the file changed, even with the same path (config_files.h). */
#define GG_OPT_FILE 0x2u

/* One option: the only place its type, default, accepted values and help are written. The
 * loader checks the range and the words, `gridgate help SECTION` and gridgate.conf(5) print
 * them. Rows name .help and every field after it (designated initializers). */
struct gg_option {
	const char *key;
	enum gg_option_type type;
	const char *def; /* NULL: no default (string stays NULL, numbers 0) */
	size_t offset;   /* into the section's struct */
	const char *help;
	int64_t min, max;         /* INT, SIZE, DURATION: accepted values min..max (both set) */
	const char *const *words; /* STRING: the accepted words, NULL-terminated; NULL: any text */
	unsigned flags;           /* GG_OPT_REQUIRED, GG_OPT_FILE */
};

/* A table ends with a row whose key is NULL. */
#define GG_OPTIONS_END { .key = NULL }

struct gg_global_conf {
	char *state_dir;
	char *user; /* NULL: keep the user gridgate was started as */
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
struct gg_file_stamp;

/* Options every input section takes, whatever its kind: how its records are mapped. */
struct gg_input_common {
	char *mappings;  /* mapping names (or "*"), blank- or comma-separated; NULL: none */
	char *unmatched; /* "generic" or "drop" */
	char *timezone;  /* zone of the senders' stamps without one, NULL: each mapping's */
	char *outputs;   /* output names, blank- or comma-separated; NULL: every output */
};

/* One input [kind:name] section: an adapter instance and its own option struct. */
struct gg_input_conf {
	const struct gg_adapter *adapter;
	char *name;
	void *conf; /* adapter->conf_size bytes, filled from adapter->options */
	struct gg_input_common common;
	/* The outputs its records are delivered to: common.outputs resolved (every output
	 * when it names none), in the order of the file's output sections. */
	const char **routes;
	size_t n_routes;
	/* What its GG_OPT_FILE options' files held when the file was read. */
	struct gg_file_stamp *files;
	size_t n_files;
};

/* One output section: [out_grid:NAME], or the [xmpp] section, which is the output "grid"
 * (GG_CONFIG_XMPP_OUTPUT) of kind out_grid, as configs written before output sections say. */
struct gg_output_conf {
	const struct gg_adapter *adapter;
	char *name;
	void *conf;    /* adapter->conf_size bytes, filled from adapter->options */
	int is_alias;  /* conf is &cfg->xmpp, owned by the config itself */
	char *section; /* "out_grid:NAME" or "xmpp": where its keys are in the file */
	struct gg_file_stamp *files; /* as an input's */
	size_t n_files;
};
#define GG_CONFIG_XMPP_OUTPUT "grid"

/* Where the file set a key (key NULL: opened a section), so a message about a key found
 * after loading can name its line. */
struct gg_config_key {
	char *section; /* "xmpp", "filedrop:incoming" */
	char *key;
	char *value; /* as written */
	int line;
};

struct gg_config {
	char *path;
	struct gg_global_conf global;
	struct gg_spool_conf spool;
	struct gg_xmpp_conf xmpp;
	struct gg_input_conf *inputs;
	size_t n_inputs;
	struct gg_output_conf *outputs;
	size_t n_outputs;
	struct gg_config_key *keys;
	size_t n_keys;
};

/* A section of gridgate.conf for `gridgate help` and gridgate.conf(5); "input" stands for the
 * options every [KIND:NAME] takes. The table ends with a NULL name. */
struct gg_config_section {
	const char *name;
	const char *desc;
	const struct gg_option *options;
	/* Where its struct is in struct gg_config; GG_SECTION_PER_INPUT for the options every
	 * [KIND:NAME] input takes, whose struct is each input's. */
	ptrdiff_t offset;
};
#define GG_SECTION_PER_INPUT ((ptrdiff_t)-1)
extern const struct gg_config_section gg_config_sections[];
/* The struct of cfg a section with a fixed place fills, NULL for the per-input row. */
void *gg_config_section_base(const struct gg_config *cfg, const struct gg_config_section *s);

extern const struct gg_option gg_global_options[];
extern const struct gg_option gg_spool_options[];
extern const struct gg_option gg_xmpp_options[];
extern const struct gg_option gg_input_common_options[];

/* The first XMPP-Grid output's settings ([xmpp], else the first [out_grid:NAME]), for the
 * commands that talk to the grid; NULL when the file has none. */
const struct gg_xmpp_conf *gg_config_grid(const struct gg_config *cfg);

/* Loads path into a new config: unknown sections or keys, bad values and missing required
 * settings are errors naming file:line. Relative paths are resolved against state_dir. */
int gg_config_load(const char *path, struct gg_config **out, struct gg_error *err);
void gg_config_free(struct gg_config *cfg);

/* The line a key was set on, or of the section when key is NULL; 0: not in the file. */
int gg_config_key_line(const struct gg_config *cfg, const char *section, const char *key);
/* "FILE:LINE: [SECTION] KEY = VALUE" for a key the file set, else "FILE:LINE: [SECTION] KEY"
 * with the section's line (or no line without the section): the head of a message about a
 * key that only turns out wrong after loading (a mapping name, a certificate). */
void gg_config_where(const struct gg_config *cfg, const char *section, const char *key,
		     char *buf, size_t size);

/* Option-table primitives, shared with adapters and tests. */
int gg_option_set(const struct gg_option *table, void *base, const char *key, const char *value,
		  struct gg_error *err);
int gg_options_apply_defaults(const struct gg_option *table, void *base, struct gg_error *err);
void gg_options_free(const struct gg_option *table, void *base);
int gg_parse_size(const char *s, int64_t *out);
int gg_parse_duration_ms(const char *s, int64_t *out);
int gg_parse_bool(const char *s, int *out);
/* What a row accepts, for messages and help: "1..65535", "4k..64M", "udp, tcp, tls",
 * "yes or no"; "" for free text. */
void gg_option_accepts(const struct gg_option *opt, char *buf, size_t size);
/* The first option whose value differs between two structs the table fills, or NULL. */
const struct gg_option *gg_options_differ(const struct gg_option *table, const void *a,
					  const void *b);
/* The row of key, or NULL. */
const struct gg_option *gg_option_find(const struct gg_option *table, const char *key);
/* The closest key of up to two tables (did you mean...), or NULL when none is close. */
const char *gg_option_suggest(const struct gg_option *a, const struct gg_option *b,
			      const char *key);
/* A number as the row's type writes it: 65536 -> 64k, 30000 -> 30s. */
void gg_option_format_number(const struct gg_option *opt, int64_t v, char *buf, size_t size);
const char *gg_option_type_name(enum gg_option_type type);

#endif
