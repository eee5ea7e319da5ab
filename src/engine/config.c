/* config.c: reading gridgate.conf (INI, libinih) through the option tables (options.c), with
 * file:line errors. A config is built whole or not at all. */
#include "engine/config.h"

#include <errno.h>
#include <ini.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <stdarg.h>
#include <sys/stat.h>

#include "base/privdrop.h"
#include "engine/adapter.h"
#include "engine/config_files.h"
#include "base/datadir.h"
#include "base/log.h"
#include "map/map.h"

#define OFF(type, field) offsetof(struct type, field)
#define KIB(n) ((int64_t)(n) * 1024)
#define MIB(n) ((int64_t)(n) * 1024 * 1024)
#define SECS(n) ((int64_t)(n) * 1000)

static const char *const log_levels[] = { "error", "warn", "info", "debug", NULL };
static const char *const unmatched_words[] = { "generic", "drop", NULL };

const struct gg_option gg_global_options[] = {
	{ "state_dir", GG_OPT_STRING, "/var/lib/gridgate", OFF(gg_global_conf, state_dir),
	  .help = "directory for the spool and other state" },
	{ "schema_dir", GG_OPT_STRING, GG_SCHEMA_DIR, OFF(gg_global_conf, schema_dir),
	  .help = "directory holding iodef-2.0.xsd and its imports" },
	{ "log_level", GG_OPT_STRING, "info", OFF(gg_global_conf, log_level),
	  .help = "messages below this level are not logged", .words = log_levels },
	{ "user", GG_OPT_STRING, NULL, OFF(gg_global_conf, user),
	  .help = "started as root: the user gridgate switches to once its sockets and keys are "
	  "open, before it reads any input (the state directory is handed to it)" },
	{ "csirt_name", GG_OPT_STRING, "gridgate.invalid", OFF(gg_global_conf, csirt_name),
	  .help = "IncidentID@name and creator Contact of documents gridgate builds" },
	{ "contact_email", GG_OPT_STRING, NULL, OFF(gg_global_conf, contact_email),
	  .help = "creator Contact e-mail of documents gridgate builds" },
	/* Below common controllers' stanza limits (Prosody closes the stream past 256 KB), so a
	 * document that passes here cannot wedge the publisher in a reconnect loop. */
	{ "max_document_size", GG_OPT_SIZE, "240k", OFF(gg_global_conf, max_document_size),
	  .help = "larger documents are refused before parsing, larger built ones are cut or quarantined "
	  "(keep 16k below the controller's stanza limit)", .min = KIB(4), .max = MIB(64) },
	/* 32k of a record escaped at worst 5x ("&amp;") still fits the default document size. */
	{ "max_record_size", GG_OPT_SIZE, "32k", OFF(gg_global_conf, max_record_size),
	  .help = "bytes of a raw record kept in a document that had to be cut to fit max_document_size "
	  "(at most max_document_size/2)", .min = 256, .max = MIB(32) },
	{ "max_depth", GG_OPT_INT, "64", OFF(gg_global_conf, max_depth),
	  .help = "deeper element nesting is refused", .min = 8, .max = 1000 },
	{ "mapping_dir", GG_OPT_STRING, GG_MAPPING_DIR, OFF(gg_global_conf, mapping_dir),
	  .help = "directory of the NAME.map files inputs name in 'mappings'" },
	/* A pathological pattern stops here with an error instead of stalling its input. */
	{ "regex_match_limit", GG_OPT_INT, "1000000", OFF(gg_global_conf, regex_match_limit),
	  .help = "PCRE2 match limit of mapping regexes (backtracking steps per match)",
	  .min = 1000, .max = 100000000 },
	{ "regex_depth_limit", GG_OPT_INT, "10000", OFF(gg_global_conf, regex_depth_limit),
	  .help = "PCRE2 depth limit of mapping regexes", .min = 100, .max = 10000000 },
	GG_OPTIONS_END,
};

const struct gg_option gg_spool_options[] = {
	{ "path", GG_OPT_STRING, NULL, OFF(gg_spool_conf, path),
	  .help = "SQLite spool file (default: STATE_DIR/spool.db)" },
	{ "synchronous_full", GG_OPT_BOOL, "no", OFF(gg_spool_conf, synchronous_full),
	  .help = "fsync every commit (survives power loss, not only crashes)" },
	{ "max_pending", GG_OPT_INT, "100000", OFF(gg_spool_conf, max_pending),
	  .help = "unpublished records at which inputs stop taking more (backpressure)",
	  .min = 1, .max = 1000000000 },
	{ "batch", GG_OPT_INT, "64", OFF(gg_spool_conf, batch),
	  .help = "records per spool transaction (group commit)", .min = 1, .max = 10000 },
	{ "keep_done", GG_OPT_DURATION, "1h", OFF(gg_spool_conf, keep_done_ms),
	  .help = "how long published records stay, so replays are recognised", .min = 0,
	  .max = SECS(366 * 86400) },
	GG_OPTIONS_END,
};

const struct gg_option gg_xmpp_options[] = {
	{ "host", GG_OPT_STRING, NULL, OFF(gg_xmpp_conf, host),
	  .help = "controller address (default: the JID's domain via DNS SRV)" },
	{ "port", GG_OPT_INT, "5222", OFF(gg_xmpp_conf, port), .help = "controller c2s port",
	  .min = 1, .max = 65535 },
	{ "jid", GG_OPT_STRING, NULL, OFF(gg_xmpp_conf, jid), .help = "the gateway's JID: user@domain, or user@domain/resource",
	  .flags = GG_OPT_REQUIRED },
	{ "password", GG_OPT_STRING, NULL, OFF(gg_xmpp_conf, password),
	  .help = "SCRAM password (prefer password_file)" },
	{ "password_file", GG_OPT_STRING, NULL, OFF(gg_xmpp_conf, password_file),
	  .help = "file whose first line is the password", .flags = GG_OPT_FILE },
	{ "client_cert", GG_OPT_STRING, NULL, OFF(gg_xmpp_conf, client_cert),
	  .help = "PEM client certificate for SASL EXTERNAL", .flags = GG_OPT_FILE },
	{ "client_key", GG_OPT_STRING, NULL, OFF(gg_xmpp_conf, client_key),
	  .help = "PEM key of client_cert", .flags = GG_OPT_FILE },
	{ "ca_file", GG_OPT_STRING, NULL, OFF(gg_xmpp_conf, ca_file),
	  .help = "CA bundle that verifies the controller (default: system store)",
	  .flags = GG_OPT_FILE },
	{ "pubsub_service", GG_OPT_STRING, NULL, OFF(gg_xmpp_conf, pubsub_service),
	  .help = "pubsub service JID (default: found by disco#items on the domain)" },
	{ "topic", GG_OPT_STRING, "iodef", OFF(gg_xmpp_conf, topic), .help = "pubsub node to publish to" },
	{ "members", GG_OPT_STRING, NULL, OFF(gg_xmpp_conf, members),
	  .help = "space-separated JIDs granted subscription to a topic gridgate creates (whitelist: "
	  "members; authorize: subscribed in advance, others wait for the owner)" },
	{ "max_items", GG_OPT_INT, "100000", OFF(gg_xmpp_conf, max_items),
	  .help = "pubsub#max_items of a topic gridgate creates", .min = 1, .max = 2147483647 },
	{ "window", GG_OPT_INT, "64", OFF(gg_xmpp_conf, window),
	  .help = "publish IQs in flight before waiting for results", .min = 1, .max = 4096 },
	{ "reconnect_min", GG_OPT_DURATION, "500ms", OFF(gg_xmpp_conf, reconnect_min_ms),
	  .help = "first reconnect delay (doubles, with jitter, up to reconnect_max)", .min = 10,
	  .max = SECS(3600) },
	{ "reconnect_max", GG_OPT_DURATION, "30s", OFF(gg_xmpp_conf, reconnect_max_ms),
	  .help = "longest reconnect delay (at least reconnect_min)", .min = 10, .max = SECS(86400) },
	{ "iq_timeout", GG_OPT_DURATION, "30s", OFF(gg_xmpp_conf, iq_timeout_ms),
	  .help = "an IQ without answer this long is treated as a lost connection", .min = SECS(1),
	  .max = SECS(3600) },
	GG_OPTIONS_END,
};

const struct gg_option gg_input_common_options[] = {
	{ "mappings", GG_OPT_STRING, NULL, OFF(gg_input_common, mappings),
	  .help = "mappings tried in order on each record (names in mapping_dir, or *)" },
	{ "unmatched", GG_OPT_STRING, "generic", OFF(gg_input_common, unmatched),
	  .help = "records no mapping takes: generic (unclassified incident with the raw record) or drop",
	  .words = unmatched_words },
	{ "timezone", GG_OPT_STRING, NULL, OFF(gg_input_common, timezone),
	  .help = "zone of the senders' stamps written without one: UTC, Z, +HH:MM or -HH:MM (no named "
	  "zones: their offset moves with daylight saving); default: each mapping's, else UTC" },
	{ "outputs", GG_OPT_STRING, NULL, OFF(gg_input_common, outputs),
	  .help = "outputs its records are delivered to (names of output sections; the [xmpp] "
	  "section is 'grid'); default: every output" },
	GG_OPTIONS_END,
};

const struct gg_config_section gg_config_sections[] = {
	{ "gridgate", "global settings: state, schemas, document limits, mappings, logging",
	  gg_global_options, offsetof(struct gg_config, global) },
	{ "spool", "the SQLite spool every record passes through", gg_spool_options,
	  offsetof(struct gg_config, spool) },
	{ "xmpp", "the session to the XMPP-Grid controller and the topic gridgate publishes to",
	  gg_xmpp_options, offsetof(struct gg_config, xmpp) },
	{ "input", "options every input section ([KIND:NAME]) takes, whatever its kind",
	  gg_input_common_options, GG_SECTION_PER_INPUT },
	{ NULL, NULL, NULL, 0 },
};

void *gg_config_section_base(const struct gg_config *cfg, const struct gg_config_section *s)
{
	return s->offset == GG_SECTION_PER_INPUT ? NULL : (char *)cfg + s->offset;
}

struct config_loader {
	struct gg_config *cfg;
	struct gg_error *err;
	FILE *fp;
	char *buf;
	size_t cap;
	int line;         /* the line inih handles now */
	int continuation; /* it is indented: inih would continue the previous value with it */
	int failed;       /* err holds the first error; reading stops */
};

/* Fails the load with "FILE:LINE: " and the message; only the first failure counts. */
static int config_fail(struct config_loader *ld, int line, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int config_fail(struct config_loader *ld, int line, int code, const char *fmt, ...)
{
	char msg[sizeof(ld->err->msg)];
	va_list ap;

	if (ld->failed)
		return 0;
	ld->failed = code;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	gg_error_set_at(ld->err, code, line, 0, "%s:%d: %s", ld->cfg->path, line, msg);
	return 0;
}

static const struct gg_config_key *config_key_find(const struct gg_config *cfg,
						   const char *section, const char *key)
{
	for (size_t i = 0; i < cfg->n_keys; i++) {
		const struct gg_config_key *k = &cfg->keys[i];

		if (strcmp(k->section, section) == 0 &&
		    (key == NULL ? k->key == NULL : k->key != NULL && strcmp(k->key, key) == 0))
			return k;
	}
	return NULL;
}

int gg_config_key_line(const struct gg_config *cfg, const char *section, const char *key)
{
	const struct gg_config_key *k = config_key_find(cfg, section, key);

	return k != NULL ? k->line : 0;
}

void gg_config_where(const struct gg_config *cfg, const char *section, const char *key,
		     char *buf, size_t size)
{
	const struct gg_config_key *k = key != NULL ? config_key_find(cfg, section, key) : NULL;
	const struct gg_config_key *s = config_key_find(cfg, section, NULL);

	if (k != NULL)
		snprintf(buf, size, "%s:%d: [%s] %s = %s", cfg->path, k->line, section, key,
			 k->value);
	else if (s != NULL)
		snprintf(buf, size, "%s:%d: [%s]%s%s", cfg->path, s->line, section,
			 key != NULL ? " " : "", key != NULL ? key : "");
	else
		snprintf(buf, size, "%s: [%s]%s%s", cfg->path, section, key != NULL ? " " : "",
			 key != NULL ? key : "");
}

/* An error about a key found after parsing: "FILE:LINE: [SECTION] KEY = VALUE: what". */
static int config_key_error(const struct gg_config *cfg, struct gg_error *err, int code,
			    const char *section, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));
static int config_key_error(const struct gg_config *cfg, struct gg_error *err, int code,
			    const char *section, const char *key, const char *fmt, ...)
{
	char where[512], msg[512];
	const struct gg_config_key *k = key != NULL ? config_key_find(cfg, section, key) : NULL;
	va_list ap;

	if (k == NULL)
		k = config_key_find(cfg, section, NULL);
	gg_config_where(cfg, section, key, where, sizeof(where));
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return gg_error_set_at(err, code, k != NULL ? k->line : 0, 0, "%s: %s", where, msg);
}

static int config_key_add(struct gg_config *cfg, const char *section, const char *key,
			  const char *value, int line)
{
	struct gg_config_key *grown = realloc(cfg->keys, (cfg->n_keys + 1) * sizeof(*grown));
	struct gg_config_key *k;

	if (grown == NULL)
		return -ENOMEM;
	cfg->keys = grown;
	k = &cfg->keys[cfg->n_keys];
	k->line = line;
	k->section = strdup(section);
	k->key = key != NULL ? strdup(key) : NULL;
	k->value = value != NULL ? strdup(value) : NULL;
	if (k->section == NULL || (key != NULL && k->key == NULL) ||
	    (value != NULL && k->value == NULL)) {
		free(k->section);
		free(k->key);
		free(k->value);
		return -ENOMEM;
	}
	cfg->n_keys++;
	return 0;
}

static int config_add_input(struct gg_config *cfg, const struct gg_adapter *adapter,
			    const char *name, struct gg_error *err)
{
	struct gg_input_conf *grown, *in;

	grown = realloc(cfg->inputs, (cfg->n_inputs + 1) * sizeof(*grown));
	if (grown == NULL)
		return gg_error_set(err, -ENOMEM, "out of memory");
	cfg->inputs = grown;
	in = &cfg->inputs[cfg->n_inputs];
	in->adapter = adapter;
	in->name = strdup(name);
	in->conf = calloc(1, adapter->conf_size);
	if (in->name == NULL || in->conf == NULL) {
		free(in->name);
		free(in->conf);
		return gg_error_set(err, -ENOMEM, "out of memory");
	}
	memset(&in->common, 0, sizeof(in->common));
	in->routes = NULL;
	in->n_routes = 0;
	in->files = NULL;
	in->n_files = 0;
	cfg->n_inputs++;
	if (gg_options_apply_defaults(gg_input_common_options, &in->common, err) != 0)
		return -ENOMEM;
	return gg_options_apply_defaults(adapter->options, in->conf, err);
}

static int config_add_output(struct gg_config *cfg, const struct gg_adapter *adapter,
			     const char *name, void *alias, struct gg_error *err)
{
	struct gg_output_conf *grown, *out;

	grown = realloc(cfg->outputs, (cfg->n_outputs + 1) * sizeof(*grown));
	if (grown == NULL)
		return gg_error_set(err, -ENOMEM, "out of memory");
	cfg->outputs = grown;
	out = &cfg->outputs[cfg->n_outputs];
	memset(out, 0, sizeof(*out));
	out->adapter = adapter;
	out->is_alias = alias != NULL;
	out->name = strdup(name);
	out->conf = alias != NULL ? alias : calloc(1, adapter->conf_size);
	if (alias != NULL)
		out->section = strdup("xmpp");
	else if (asprintf(&out->section, "%s:%s", adapter->name, name) < 0)
		out->section = NULL;
	if (out->name == NULL || out->conf == NULL || out->section == NULL) {
		free(out->name);
		free(out->section);
		if (alias == NULL)
			free(out->conf);
		return gg_error_set(err, -ENOMEM, "out of memory");
	}
	cfg->n_outputs++;
	return alias != NULL ? 0 : gg_options_apply_defaults(adapter->options, out->conf, err);
}

static struct gg_output_conf *config_output(struct gg_config *cfg, const char *section)
{
	for (size_t i = 0; i < cfg->n_outputs; i++)
		if (strcmp(section, cfg->outputs[i].section) == 0)
			return &cfg->outputs[i];
	return NULL;
}

static struct gg_input_conf *config_input(struct gg_config *cfg, const char *section)
{
	for (size_t i = 0; i < cfg->n_inputs; i++) {
		const char *kind = cfg->inputs[i].adapter->name;
		size_t n = strlen(kind);

		if (strncmp(section, kind, n) == 0 && section[n] == ':' &&
		    strcmp(section + n + 1, cfg->inputs[i].name) == 0)
			return &cfg->inputs[i];
	}
	return NULL;
}

/* The section already using name (inputs and outputs share one namespace: a name says which
 * instance a log line, a counter or a route means), written into buf; NULL when free. */
static const char *config_name_taken(const struct gg_config *cfg, const char *name, char *buf,
				     size_t size)
{
	for (size_t i = 0; i < cfg->n_inputs; i++)
		if (strcmp(cfg->inputs[i].name, name) == 0) {
			snprintf(buf, size, "%s:%s", cfg->inputs[i].adapter->name, name);
			return buf;
		}
	for (size_t i = 0; i < cfg->n_outputs; i++)
		if (strcmp(cfg->outputs[i].name, name) == 0) {
			snprintf(buf, size, "%s", cfg->outputs[i].section);
			return buf;
		}
	return NULL;
}

/* A section header: [gridgate], [spool], [xmpp] or [KIND:NAME] (which creates the input or
 * output instance), each at most once. */
static void config_section(struct config_loader *ld, const char *section)
{
	struct gg_config *cfg = ld->cfg;
	const struct gg_config_key *seen = config_key_find(cfg, section, NULL);
	const char *colon = strchr(section, ':');
	const struct gg_adapter *adapter;
	char kinds[256] = "", kind[64], other[128];
	size_t len = 0;
	int r;

	/* [gridgate], [spool] and [xmpp] may be reopened (each key still once); an instance
	 * section twice is two instances meant, or a copy that silently merges. */
	if (seen != NULL && colon != NULL) {
		config_fail(ld, ld->line, -EEXIST, "[%s] appears twice (first at line %d); each "
			    "instance needs a NAME of its own", section, seen->line);
		return;
	}
	if (seen != NULL)
		return;
	for (size_t i = 0; gg_adapters[i] != NULL; i++)
		if (len < sizeof(kinds))
			len += (size_t)snprintf(kinds + len, sizeof(kinds) - len, "%s%s",
						len ? ", " : "", gg_adapters[i]->name);
	if (strcmp(section, "gridgate") != 0 && strcmp(section, "spool") != 0 &&
	    strcmp(section, "xmpp") != 0) {
		if (colon == NULL || colon == section || colon[1] == '\0' ||
		    (size_t)(colon - section) >= sizeof(kind)) {
			config_fail(ld, ld->line, -ENOENT, "[%s]: unknown section (sections: "
				    "[gridgate], [spool], [xmpp], [KIND:NAME] with KIND one of %s)",
				    section, kinds);
			return;
		}
		memcpy(kind, section, (size_t)(colon - section));
		kind[colon - section] = '\0';
		adapter = gg_adapter_find(GG_PLUGIN_INPUT, kind);
		if (adapter == NULL)
			adapter = gg_adapter_find(GG_PLUGIN_OUTPUT, kind);
		if (adapter == NULL) {
			config_fail(ld, ld->line, -ENOENT, "[%s]: unknown kind '%s' (kinds: %s)",
				    section, kind, kinds);
			return;
		}
		if (config_name_taken(cfg, colon + 1, other, sizeof(other)) != NULL) {
			config_fail(ld, ld->line, -EEXIST, "[%s]: name '%s' is taken by [%s] (line "
				    "%d); names are unique across kinds", section, colon + 1, other,
				    gg_config_key_line(cfg, other, NULL));
			return;
		}
		r = adapter->kind == GG_PLUGIN_INPUT
			    ? config_add_input(cfg, adapter, colon + 1, ld->err)
			    : config_add_output(cfg, adapter, colon + 1, NULL, ld->err);
		if (r != 0) {
			ld->failed = -ENOMEM;
			return;
		}
	}
	if (config_key_add(cfg, section, NULL, NULL, ld->line) != 0)
		config_fail(ld, ld->line, -ENOMEM, "out of memory");
}

/* inih's reader: one whole line per call, so ld->line is the line inih hands the handler;
 * section headers are seen here, where an empty or repeated one is still visible. */
static char *config_read_line(char *str, int num, void *stream)
{
	struct config_loader *ld = stream;
	ssize_t n;
	char *p;

	if (ld->failed)
		return NULL;
	errno = 0;
	n = getline(&ld->buf, &ld->cap, ld->fp);
	if (n < 0) {
		if (errno != 0)
			config_fail(ld, ld->line + 1, -errno, "cannot read: %s", strerror(errno));
		return NULL;
	}
	ld->line++;
	/* A longer line would reach the handler in pieces, a value cut in two. */
	if (n > num - 1) {
		config_fail(ld, ld->line, -E2BIG, "line longer than %d characters", num - 2);
		return NULL;
	}
	if (strlen(ld->buf) != (size_t)n) {
		config_fail(ld, ld->line, -EINVAL, "NUL byte in line");
		return NULL;
	}
	memcpy(str, ld->buf, (size_t)n + 1);
	p = ld->buf;
	if (ld->line == 1 && strncmp(p, "\xEF\xBB\xBF", 3) == 0)
		p += 3;
	ld->continuation = p[0] == ' ' || p[0] == '\t';
	p += strspn(p, " \t");
	if (*p == '[') {
		char *end = strchr(p + 1, ']');

		if (end != NULL) {
			*end = '\0';
			config_section(ld, p + 1);
		}
		ld->continuation = 0;
	} else if (*p == ';' || *p == '#' || *p == '\r' || *p == '\n' || *p == '\0') {
		ld->continuation = 0;
	}
	return ld->failed ? NULL : str;
}

/* The tables of a section: its own, and for inputs the common ones first. */
static void config_tables(struct gg_config *cfg, const char *section,
			  const struct gg_option **common, void **common_base,
			  const struct gg_option **own, void **own_base)
{
	struct gg_output_conf *out;
	struct gg_input_conf *in;

	*common = NULL;
	*common_base = NULL;
	for (const struct gg_config_section *s = gg_config_sections; s->name != NULL; s++) {
		if (s->offset != GG_SECTION_PER_INPUT && strcmp(section, s->name) == 0) {
			*own = s->options;
			*own_base = gg_config_section_base(cfg, s);
			return;
		}
	}
	if ((in = config_input(cfg, section)) != NULL) {
		*common = gg_input_common_options;
		*common_base = &in->common;
		*own = in->adapter->options;
		*own_base = in->conf;
	} else if ((out = config_output(cfg, section)) != NULL) {
		*own = out->adapter->options;
		*own_base = out->conf;
	} else {
		*own = NULL;
		*own_base = NULL;
	}
}

/* inih calls this per key; the first failure stops the reader, so it is the one reported. */
static int config_on_key(void *user, const char *section, const char *key, const char *value)
{
	struct config_loader *ld = user;
	struct gg_config *cfg = ld->cfg;
	const struct gg_option *common, *own, *table;
	const struct gg_config_key *seen;
	void *common_base, *own_base;
	struct gg_error why;

	if (ld->failed)
		return 1;
	if (ld->continuation)
		return config_fail(ld, ld->line, -EINVAL, "[%s]: indented line continues %s's value; "
				   "write KEY = VALUE at the start of the line", section, key);
	config_tables(cfg, section, &common, &common_base, &own, &own_base);
	if (own == NULL) /* keys before any section */
		return config_fail(ld, ld->line, -ENOENT, "%s = %s: outside any section", key,
				   value);
	if ((seen = config_key_find(cfg, section, key)) != NULL)
		return config_fail(ld, ld->line, -EEXIST, "[%s] %s set twice (first at line %d)",
				   section, key, seen->line);
	table = common != NULL && gg_option_find(common, key) != NULL ? common : own;
	if (gg_option_set(table, table == common ? common_base : own_base, key, value, &why) != 0) {
		const char *like = gg_option_suggest(common, own, key);
		char name[64];

		snprintf(name, sizeof(name), "%s", section);
		name[strcspn(name, ":")] = '\0';
		if (gg_option_find(table, key) == NULL && like != NULL)
			return config_fail(ld, ld->line, -ENOENT, "[%s] %s = %s: unknown key (did you "
					   "mean %s?)", section, key, value, like);
		if (gg_option_find(table, key) == NULL)
			return config_fail(ld, ld->line, -ENOENT, "[%s] %s = %s: unknown key "
					   "(`gridgate help %s` lists the keys)", section, key,
					   value, name);
		return config_fail(ld, ld->line, -EINVAL, "[%s] %s = %s: %s", section, key, value,
				   why.msg);
	}
	if (table == common && strcmp(key, "timezone") == 0) {
		int minutes;

		if (gg_timezone_parse(value, &minutes) != 0)
			return config_fail(ld, ld->line, -EINVAL, "[%s] %s = %s: only UTC, Z, +HH:MM "
					   "and -HH:MM are supported (up to 14:00; a named zone's "
					   "offset moves with daylight saving)", section, key, value);
	}
	if (config_key_add(cfg, section, key, value, ld->line) != 0)
		return config_fail(ld, ld->line, -ENOMEM, "out of memory");
	return 1;
}

/* Reads the first line of a file (a secret), wiping the read buffer afterwards. */
static int config_read_secret(const struct gg_config *cfg, const char *section,
			      const char *path, char **out, struct gg_error *err)
{
	char line[1024];
	FILE *fp = fopen(path, "re");
	size_t n;

	if (fp == NULL)
		return config_key_error(cfg, err, -errno, section, "password_file",
					"cannot read: %s", strerror(errno));
	if (fgets(line, sizeof(line), fp) == NULL) {
		int e = ferror(fp) ? errno : 0;

		fclose(fp);
		return config_key_error(cfg, err, -EINVAL, section, "password_file", "%s%s",
					e ? "cannot read: " : "empty: the first line is the password",
					e ? strerror(e) : "");
	}
	fclose(fp);
	n = strcspn(line, "\r\n");
	line[n] = '\0';
	if (n == 0) {
		explicit_bzero(line, sizeof(line));
		return config_key_error(cfg, err, -EINVAL, section, "password_file",
					"its first line (the password) is empty");
	}
	*out = strdup(line);
	explicit_bzero(line, sizeof(line));
	return *out == NULL ? gg_error_set(err, -ENOMEM, "out of memory") : 0;
}

/* Required keys of one section the file left out: named with the section's line. */
static int config_required(const struct gg_config *cfg, const char *section,
			   const struct gg_option *table, const void *base, struct gg_error *err)
{
	for (; table->key != NULL; table++) {
		if (!(table->flags & GG_OPT_REQUIRED) || table->type != GG_OPT_STRING ||
		    *(char *const *)((const char *)base + table->offset) != NULL)
			continue;
		char where[512];

		gg_config_where(cfg, section, table->key, where, sizeof(where));
		return gg_error_set_at(err, -EINVAL, gg_config_key_line(cfg, section, NULL), 0,
				       "%s is required (%s)%s%s%s", where, table->help,
				       config_key_find(cfg, section, NULL) ? "" : "; the file has no [",
				       config_key_find(cfg, section, NULL) ? "" : section,
				       config_key_find(cfg, section, NULL) ? "" : "] section");
	}
	return 0;
}

/* A JID as RFC 7622 shapes it, roughly: local@domain[/resource], no blanks. */
static int jid_ok(const char *jid)
{
	const char *at = strchr(jid, '@');
	const char *slash = strchr(jid, '/');

	return at != NULL && at != jid && at[1] != '\0' && at[1] != '/' &&
	       strchr(at + 1, '@') == NULL && (slash == NULL || (slash > at && slash[1] != '\0')) &&
	       strpbrk(jid, " \t\"'<>&") == NULL;
}

/* The settings of one XMPP-Grid output ([xmpp] or [out_grid:NAME], named section). */
static int config_check_grid(const struct gg_config *cfg, const char *section,
			     struct gg_xmpp_conf *x, struct gg_error *err)
{
	char a[32];
	int r;

	if ((r = config_required(cfg, section, gg_xmpp_options, x, err)) != 0)
		return r;
	if (!jid_ok(x->jid))
		return config_key_error(cfg, err, -EINVAL, section, "jid",
					"malformed: must be user@domain or user@domain/resource");
	if (x->reconnect_min_ms > x->reconnect_max_ms) {
		const struct gg_option *o = gg_option_find(gg_xmpp_options, "reconnect_max");
		int min_set = config_key_find(cfg, section, "reconnect_min") != NULL;
		int other = gg_config_key_line(cfg, section,
					       min_set ? "reconnect_max" : "reconnect_min");
		char at[32] = "the default";

		gg_option_format_number(o, min_set ? x->reconnect_max_ms : x->reconnect_min_ms, a,
					sizeof(a));
		if (other > 0)
			snprintf(at, sizeof(at), "line %d", other);
		return config_key_error(cfg, err, -EINVAL, section,
					min_set ? "reconnect_min" : "reconnect_max",
					min_set ? "must not exceed reconnect_max (%s, %s)"
						: "must be at least reconnect_min (%s, %s)", a, at);
	}
	if (x->password_file != NULL && x->password != NULL)
		return config_key_error(cfg, err, -EINVAL, section, "password_file",
					"set password or password_file, not both");
	if (x->password_file != NULL &&
	    (r = config_read_secret(cfg, section, x->password_file, &x->password, err)) != 0)
		return r;
	if ((x->client_cert == NULL) != (x->client_key == NULL))
		return config_key_error(cfg, err, -EINVAL, section,
					x->client_cert != NULL ? "client_cert" : "client_key",
					"client_cert and client_key go together: set %s too",
					x->client_cert != NULL ? "client_key" : "client_cert");
	if (x->password == NULL && x->client_cert == NULL)
		return config_key_error(cfg, err, -EINVAL, section, NULL, "needs password, "
					"password_file, or client_cert with client_key");
	if (x->domain == NULL) {
		x->domain = strdup(strchr(x->jid, '@') + 1);
		if (x->domain == NULL)
			return gg_error_set(err, -ENOMEM, "out of memory");
		x->domain[strcspn(x->domain, "/")] = '\0';
	}
	return 0;
}

/* An instance's own options beyond the table (required keys, the plugin's check). */
static int config_check_instance(const struct gg_config *cfg, const char *section,
				 const struct gg_adapter *adapter, void *conf, struct gg_error *err)
{
	const char *key = NULL;
	char msg[sizeof(err->msg)];
	int r;

	if (adapter->options == gg_xmpp_options)
		return config_check_grid(cfg, section, conf, err);
	if ((r = config_required(cfg, section, adapter->options, conf, err)) != 0)
		return r;
	if (adapter->check == NULL || adapter->check(conf, &key, err) == 0)
		return 0;
	snprintf(msg, sizeof(msg), "%s", err->msg);
	return config_key_error(cfg, err, -EINVAL, section, key, "%s", msg);
}

/* What the files an instance names hold now, for SIGHUP to compare (config_files.h). */
static int config_stamp_files(const struct gg_config *cfg, const char *section,
			      const struct gg_option *table, const void *conf,
			      struct gg_file_stamp **files, size_t *n, struct gg_error *err)
{
	char msg[sizeof(err->msg)];
	const char *key;
	int r = gg_file_stamps_take(table, conf, files, n, &key, err);

	if (r == 0)
		return 0;
	snprintf(msg, sizeof(msg), "%s", err->msg);
	return config_key_error(cfg, err, r, section, key, "%s", msg);
}

/* Every input against the earlier ones of its kind (gg_adapter.check_pair). */
static int config_check_pairs(const struct gg_config *cfg, struct gg_error *err)
{
	for (size_t i = 0; i < cfg->n_inputs; i++) {
		const struct gg_input_conf *in = &cfg->inputs[i];

		if (in->adapter->check_pair == NULL)
			continue;
		for (size_t j = 0; j < i; j++) {
			const struct gg_input_conf *earlier = &cfg->inputs[j];
			const char *key = NULL;
			char section[128], msg[sizeof(err->msg)];

			if (earlier->adapter != in->adapter ||
			    in->adapter->check_pair(in->conf, earlier->conf, earlier->name, &key,
						    err) == 0)
				continue;
			snprintf(section, sizeof(section), "%s:%s", in->adapter->name, in->name);
			snprintf(msg, sizeof(msg), "%s", err->msg);
			return config_key_error(cfg, err, -EINVAL, section, key, "%s", msg);
		}
	}
	return 0;
}

/* An input's outputs: the names it lists, each an output section, else every output. */
static int config_routes(const struct gg_config *cfg, const char *section,
			 struct gg_input_conf *in, struct gg_error *err)
{
	char list[512], *save = NULL, *name;
	size_t n = 0;

	in->routes = calloc(cfg->n_outputs ? cfg->n_outputs : 1, sizeof(*in->routes));
	if (in->routes == NULL)
		return gg_error_set(err, -ENOMEM, "out of memory");
	if (in->common.outputs == NULL) {
		for (size_t i = 0; i < cfg->n_outputs; i++)
			in->routes[n++] = cfg->outputs[i].name;
		in->n_routes = n;
		return 0;
	}
	snprintf(list, sizeof(list), "%s", in->common.outputs);
	for (name = strtok_r(list, " ,\t", &save); name != NULL; name = strtok_r(NULL, " ,\t", &save)) {
		size_t i = 0;

		while (i < cfg->n_outputs && strcmp(cfg->outputs[i].name, name) != 0)
			i++;
		if (i == cfg->n_outputs) {
			char known[256] = "";
			size_t len = 0;

			for (size_t j = 0; j < cfg->n_outputs && len < sizeof(known); j++)
				len += (size_t)snprintf(known + len, sizeof(known) - len, "%s%s",
							j ? ", " : "", cfg->outputs[j].name);
			return config_key_error(cfg, err, -ENOENT, section, "outputs",
						"no output named '%s' (outputs: %s)", name, known);
		}
		for (size_t j = 0; j < n; j++)
			if (in->routes[j] == cfg->outputs[i].name)
				return config_key_error(cfg, err, -EINVAL, section, "outputs",
							"'%s' is named twice", name);
		in->routes[n++] = cfg->outputs[i].name;
	}
	if (n == 0)
		return config_key_error(cfg, err, -EINVAL, section, "outputs",
					"names no output (leave it out to deliver to every output)");
	in->n_routes = n;
	return 0;
}

static int config_finish(struct gg_config *cfg, struct gg_error *err)
{
	char a[32], b[32];
	int r;

	if (cfg->spool.path == NULL) {
		if (asprintf(&cfg->spool.path, "%s/spool.db", cfg->global.state_dir) < 0) {
			cfg->spool.path = NULL;
			return gg_error_set(err, -ENOMEM, "out of memory");
		}
	}
	if (cfg->global.max_record_size > cfg->global.max_document_size / 2) {
		const struct gg_option *doc = gg_option_find(gg_global_options, "max_document_size");

		gg_option_format_number(doc, cfg->global.max_record_size, a, sizeof(a));
		gg_option_format_number(doc, cfg->global.max_document_size / 2, b, sizeof(b));
		if (config_key_find(cfg, "gridgate", "max_record_size") != NULL)
			return config_key_error(cfg, err, -EINVAL, "gridgate", "max_record_size",
						"must be at most max_document_size/2 (%s)", b);
		return config_key_error(cfg, err, -EINVAL, "gridgate", "max_document_size",
					"must be at least twice max_record_size (%s, the default)",
					a);
	}
	if (cfg->global.user != NULL) {
		uid_t uid;
		gid_t gid;
		struct gg_error why;

		if (gg_user_lookup(cfg->global.user, &uid, &gid, &why) != 0)
			return config_key_error(cfg, err, -EINVAL, "gridgate", "user", "%s",
						why.msg);
		if (uid == 0)
			return config_key_error(cfg, err, -EINVAL, "gridgate", "user",
						"is root: name an unprivileged user");
	}
	/* [xmpp] is the output "grid", first: the name configs written before output sections
	 * have in their spool's deliveries. */
	if (config_key_find(cfg, "xmpp", NULL) != NULL) {
		size_t n = cfg->n_outputs;
		char other[128];

		if (config_name_taken(cfg, GG_CONFIG_XMPP_OUTPUT, other, sizeof(other)) != NULL)
			return config_key_error(cfg, err, -EEXIST, other, NULL, "the name '%s' is the "
						"[xmpp] section's output; name this one otherwise",
						GG_CONFIG_XMPP_OUTPUT);
		if ((r = config_add_output(cfg, gg_adapter_find(GG_PLUGIN_OUTPUT, "out_grid"),
					   GG_CONFIG_XMPP_OUTPUT, &cfg->xmpp, err)) != 0)
			return r;
		struct gg_output_conf xmpp = cfg->outputs[n];

		memmove(&cfg->outputs[1], &cfg->outputs[0], n * sizeof(cfg->outputs[0]));
		cfg->outputs[0] = xmpp;
	}
	if (cfg->n_outputs == 0)
		return gg_error_set(err, -EINVAL, "%s: no output: records need somewhere to go "
				    "(an [xmpp] section, the XMPP-Grid publisher, or an output "
				    "section such as [out_grid:NAME])", cfg->path);
	for (size_t i = 0; i < cfg->n_outputs; i++) {
		struct gg_output_conf *out = &cfg->outputs[i];

		if ((r = config_check_instance(cfg, out->section, out->adapter, out->conf,
					       err)) != 0 ||
		    (r = config_stamp_files(cfg, out->section, out->adapter->options, out->conf,
					    &out->files, &out->n_files, err)) != 0)
			return r;
	}
	for (size_t i = 0; i < cfg->n_inputs; i++) {
		struct gg_input_conf *in = &cfg->inputs[i];
		char section[128];

		snprintf(section, sizeof(section), "%s:%s", in->adapter->name, in->name);
		if ((r = config_check_instance(cfg, section, in->adapter, in->conf, err)) != 0 ||
		    (r = config_routes(cfg, section, in, err)) != 0 ||
		    (r = config_stamp_files(cfg, section, in->adapter->options, in->conf,
					    &in->files, &in->n_files, err)) != 0)
			return r;
	}
	return config_check_pairs(cfg, err);
}

const struct gg_xmpp_conf *gg_config_grid(const struct gg_config *cfg)
{
	for (size_t i = 0; i < cfg->n_outputs; i++)
		if (cfg->outputs[i].adapter->options == gg_xmpp_options)
			return cfg->outputs[i].conf;
	return NULL;
}

/* schema_dir and mapping_dir under the installed data dir are read from gg_datadir(): the
 * GRIDGATE_DATADIR override, or the source tree of a build that was never installed. */
static int datadir_resolve(char **dir, struct gg_error *err)
{
	char buf[4096];
	const char *path = gg_datadir_path(*dir, buf, sizeof(buf));
	char *copy;

	if (path == *dir)
		return 0;
	if ((copy = strdup(path)) == NULL)
		return gg_error_set(err, -ENOMEM, "out of memory");
	free(*dir);
	*dir = copy;
	return 0;
}

int gg_config_load(const char *path, struct gg_config **out, struct gg_error *err)
{
	struct gg_config *cfg = calloc(1, sizeof(*cfg));
	struct config_loader ld = { .cfg = cfg, .err = err };
	struct stat st;
	int line, r;

	if (cfg == NULL)
		return gg_error_set(err, -ENOMEM, "out of memory");
	if ((cfg->path = strdup(path)) == NULL) {
		r = gg_error_set(err, -ENOMEM, "out of memory");
		goto fail;
	}
	for (const struct gg_config_section *s = gg_config_sections; s->name != NULL; s++)
		if (s->offset != GG_SECTION_PER_INPUT &&
		    (r = gg_options_apply_defaults(s->options, gg_config_section_base(cfg, s),
						   err)) != 0)
			goto fail;
	gg_error_clear(err);
	ld.fp = fopen(path, "re");
	if (ld.fp == NULL) {
		r = gg_error_set(err, -errno, "%s: cannot open: %s", path, strerror(errno));
		goto fail;
	}
	if (fstat(fileno(ld.fp), &st) == 0 && S_ISDIR(st.st_mode)) {
		r = gg_error_set(err, -EISDIR, "%s: is a directory, not a configuration file", path);
		goto fail;
	}
	line = ini_parse_stream(config_read_line, &ld, config_on_key, &ld);
	if (ld.failed) {
		r = ld.failed;
		goto fail;
	}
	if (line != 0) {
		r = gg_error_set_at(err, -EINVAL, line, 0, "%s:%d: syntax error: a line is [SECTION], "
				    "KEY = VALUE or a ; comment", path, line);
		goto fail;
	}
	if ((r = datadir_resolve(&cfg->global.schema_dir, err)) != 0 ||
	    (r = datadir_resolve(&cfg->global.mapping_dir, err)) != 0)
		goto fail;
	if ((r = config_finish(cfg, err)) != 0)
		goto fail;
	fclose(ld.fp);
	free(ld.buf);
	*out = cfg;
	return 0;
fail:
	if (ld.fp != NULL)
		fclose(ld.fp);
	free(ld.buf);
	gg_config_free(cfg);
	return r;
}

/* An out_grid instance's password is wiped like [xmpp]'s, and its derived domain freed. */
static void config_free_instance_secrets(const struct gg_adapter *adapter, void *conf)
{
	struct gg_xmpp_conf *x = conf;

	if (adapter->options != gg_xmpp_options)
		return;
	if (x->password != NULL)
		explicit_bzero(x->password, strlen(x->password));
	free(x->domain);
}

void gg_config_free(struct gg_config *cfg)
{
	if (cfg == NULL)
		return;
	if (cfg->xmpp.password != NULL)
		explicit_bzero(cfg->xmpp.password, strlen(cfg->xmpp.password));
	for (const struct gg_config_section *s = gg_config_sections; s->name != NULL; s++)
		if (s->offset != GG_SECTION_PER_INPUT)
			gg_options_free(s->options, gg_config_section_base(cfg, s));
	free(cfg->xmpp.domain);
	for (size_t i = 0; i < cfg->n_inputs; i++) {
		gg_options_free(cfg->inputs[i].adapter->options, cfg->inputs[i].conf);
		gg_options_free(gg_input_common_options, &cfg->inputs[i].common);
		free(cfg->inputs[i].routes);
		free(cfg->inputs[i].files);
		free(cfg->inputs[i].conf);
		free(cfg->inputs[i].name);
	}
	free(cfg->inputs);
	for (size_t i = 0; i < cfg->n_outputs; i++) {
		struct gg_output_conf *out = &cfg->outputs[i];

		if (!out->is_alias) {
			config_free_instance_secrets(out->adapter, out->conf);
			gg_options_free(out->adapter->options, out->conf);
			free(out->conf);
		}
		free(out->files);
		free(out->section);
		free(out->name);
	}
	free(cfg->outputs);
	for (size_t i = 0; i < cfg->n_keys; i++) {
		free(cfg->keys[i].section);
		free(cfg->keys[i].key);
		free(cfg->keys[i].value);
	}
	free(cfg->keys);
	free(cfg->path);
	free(cfg);
}
