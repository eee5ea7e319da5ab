/* config.c: reading gridgate.conf (INI, libinih) through option tables, with size and duration
 * parsing and file:line errors. A config is built whole or not at all. */
#include "engine/config.h"

#include <errno.h>
#include <ini.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engine/adapter.h"
#include "base/datadir.h"
#include "base/log.h"

#define OFF(type, field) offsetof(struct type, field)

const struct gg_option gg_global_options[] = {
	{ "state_dir", GG_OPT_STRING, "/var/lib/gridgate", OFF(gg_global_conf, state_dir),
	  "directory for the spool and other state" },
	{ "schema_dir", GG_OPT_STRING, GG_SCHEMA_DIR, OFF(gg_global_conf, schema_dir),
	  "directory holding iodef-2.0.xsd and its imports" },
	{ "log_level", GG_OPT_STRING, "info", OFF(gg_global_conf, log_level),
	  "error, warn, info or debug" },
	{ "csirt_name", GG_OPT_STRING, "gridgate.invalid", OFF(gg_global_conf, csirt_name),
	  "IncidentID@name and creator Contact of documents gridgate builds" },
	{ "contact_email", GG_OPT_STRING, NULL, OFF(gg_global_conf, contact_email),
	  "creator Contact e-mail of documents gridgate builds" },
	/* Below common controllers' stanza limits (Prosody closes the stream past 256 KB), so a
	 * document that passes here cannot wedge the publisher in a reconnect loop. */
	{ "max_document_size", GG_OPT_SIZE, "240k", OFF(gg_global_conf, max_document_size),
	  "larger documents are refused before parsing, larger built ones are cut or quarantined "
	  "(keep 16k below the controller's stanza limit)" },
	/* 32k of a record escaped at worst 5x ("&amp;") still fits the default document size. */
	{ "max_record_size", GG_OPT_SIZE, "32k", OFF(gg_global_conf, max_record_size),
	  "bytes of a raw record kept in a document that had to be cut to fit max_document_size" },
	{ "max_depth", GG_OPT_INT, "64", OFF(gg_global_conf, max_depth),
	  "deeper element nesting is refused" },
	{ "mapping_dir", GG_OPT_STRING, GG_MAPPING_DIR, OFF(gg_global_conf, mapping_dir),
	  "directory of the NAME.map files inputs name in 'mappings'" },
	/* A pathological pattern stops here with an error instead of stalling its input. */
	{ "regex_match_limit", GG_OPT_INT, "1000000", OFF(gg_global_conf, regex_match_limit),
	  "PCRE2 match limit of mapping regexes (backtracking steps per match)" },
	{ "regex_depth_limit", GG_OPT_INT, "10000", OFF(gg_global_conf, regex_depth_limit),
	  "PCRE2 depth limit of mapping regexes" },
	GG_OPTIONS_END,
};

const struct gg_option gg_spool_options[] = {
	{ "path", GG_OPT_STRING, NULL, OFF(gg_spool_conf, path),
	  "SQLite spool file (default: STATE_DIR/spool.db)" },
	{ "synchronous_full", GG_OPT_BOOL, "no", OFF(gg_spool_conf, synchronous_full),
	  "fsync every commit (survives power loss, not only crashes)" },
	{ "max_pending", GG_OPT_INT, "100000", OFF(gg_spool_conf, max_pending),
	  "unpublished records at which inputs stop taking more (backpressure)" },
	{ "batch", GG_OPT_INT, "64", OFF(gg_spool_conf, batch),
	  "records per spool transaction (group commit)" },
	{ "keep_done", GG_OPT_DURATION, "1h", OFF(gg_spool_conf, keep_done_ms),
	  "how long published records stay, so replays are recognised" },
	GG_OPTIONS_END,
};

const struct gg_option gg_xmpp_options[] = {
	{ "host", GG_OPT_STRING, NULL, OFF(gg_xmpp_conf, host),
	  "controller address (default: the JID's domain via DNS SRV)" },
	{ "port", GG_OPT_INT, "5222", OFF(gg_xmpp_conf, port), "controller c2s port" },
	{ "jid", GG_OPT_STRING, NULL, OFF(gg_xmpp_conf, jid), "the gateway's JID (required)" },
	{ "password", GG_OPT_STRING, NULL, OFF(gg_xmpp_conf, password),
	  "SCRAM password (prefer password_file)" },
	{ "password_file", GG_OPT_STRING, NULL, OFF(gg_xmpp_conf, password_file),
	  "file whose first line is the password" },
	{ "client_cert", GG_OPT_STRING, NULL, OFF(gg_xmpp_conf, client_cert),
	  "PEM client certificate for SASL EXTERNAL" },
	{ "client_key", GG_OPT_STRING, NULL, OFF(gg_xmpp_conf, client_key),
	  "PEM key of client_cert" },
	{ "ca_file", GG_OPT_STRING, NULL, OFF(gg_xmpp_conf, ca_file),
	  "CA bundle that verifies the controller (default: system store)" },
	{ "pubsub_service", GG_OPT_STRING, NULL, OFF(gg_xmpp_conf, pubsub_service),
	  "pubsub service JID (default: found by disco#items on the domain)" },
	{ "topic", GG_OPT_STRING, "iodef", OFF(gg_xmpp_conf, topic), "pubsub node to publish to" },
	{ "members", GG_OPT_STRING, NULL, OFF(gg_xmpp_conf, members),
	  "space-separated JIDs granted subscription to a topic gridgate creates" },
	{ "max_items", GG_OPT_INT, "100000", OFF(gg_xmpp_conf, max_items),
	  "pubsub#max_items of a topic gridgate creates" },
	{ "window", GG_OPT_INT, "64", OFF(gg_xmpp_conf, window),
	  "publish IQs in flight before waiting for results" },
	{ "reconnect_min", GG_OPT_DURATION, "500ms", OFF(gg_xmpp_conf, reconnect_min_ms),
	  "first reconnect delay (doubles, with jitter)" },
	{ "reconnect_max", GG_OPT_DURATION, "30s", OFF(gg_xmpp_conf, reconnect_max_ms),
	  "longest reconnect delay" },
	{ "iq_timeout", GG_OPT_DURATION, "30s", OFF(gg_xmpp_conf, iq_timeout_ms),
	  "an IQ without answer this long is treated as a lost connection" },
	GG_OPTIONS_END,
};

int gg_parse_size(const char *s, int64_t *out)
{
	char *end;
	long long v;
	int64_t mult = 1;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || v < 0)
		return -EINVAL;
	if (*end != '\0') {
		switch (*end) {
		case 'k': case 'K': mult = 1024; break;
		case 'm': case 'M': mult = 1024 * 1024; break;
		case 'g': case 'G': mult = 1024LL * 1024 * 1024; break;
		default: return -EINVAL;
		}
		end++;
		if (*end == 'b' || *end == 'B')
			end++;
		if (*end != '\0')
			return -EINVAL;
	}
	if (v > INT64_MAX / mult)
		return -ERANGE;
	*out = v * mult;
	return 0;
}

int gg_parse_duration_ms(const char *s, int64_t *out)
{
	static const struct { const char *unit; int64_t ms; } units[] = {
		{ "ms", 1 }, { "s", 1000 }, { "", 1000 }, { "m", 60000 },
		{ "h", 3600000 }, { "d", 86400000 },
	};
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || v < 0)
		return -EINVAL;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(end, units[i].unit) == 0) {
			if (v > INT64_MAX / units[i].ms)
				return -ERANGE;
			*out = v * units[i].ms;
			return 0;
		}
	}
	return -EINVAL;
}

int gg_parse_bool(const char *s, int *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };

	for (int i = 0; i < 4; i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = 1;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	return -EINVAL;
}

static const struct gg_option *option_find(const struct gg_option *table, const char *key)
{
	for (; table->key != NULL; table++)
		if (strcmp(table->key, key) == 0)
			return table;
	return NULL;
}

int gg_option_set(const struct gg_option *table, void *base, const char *key, const char *value,
		  struct gg_error *err)
{
	const struct gg_option *opt = option_find(table, key);
	char *field;
	int r = 0;

	if (opt == NULL)
		return gg_error_set(err, -ENOENT, "unknown key '%s'", key);
	field = (char *)base + opt->offset;
	switch (opt->type) {
	case GG_OPT_STRING: {
		char *copy = strdup(value);

		if (copy == NULL)
			return gg_error_set(err, -ENOMEM, "out of memory");
		free(*(char **)field);
		*(char **)field = copy;
		return 0;
	}
	case GG_OPT_INT: {
		char *end;
		long long v;

		errno = 0;
		v = strtoll(value, &end, 10);
		if (errno != 0 || end == value || *end != '\0')
			r = -EINVAL;
		else
			*(int64_t *)field = v;
		break;
	}
	case GG_OPT_SIZE:
		r = gg_parse_size(value, (int64_t *)field);
		break;
	case GG_OPT_DURATION:
		r = gg_parse_duration_ms(value, (int64_t *)field);
		break;
	case GG_OPT_BOOL:
		r = gg_parse_bool(value, (int *)field);
		break;
	}
	if (r != 0) {
		static const char *const what[] = { "a string", "an integer", "a size (e.g. 32k, 4M)",
			"a duration (e.g. 500ms, 30s, 5m)", "yes or no" };
		return gg_error_set(err, -EINVAL, "'%s': '%s' is not %s", key, value,
				    what[opt->type]);
	}
	return 0;
}

int gg_options_apply_defaults(const struct gg_option *table, void *base, struct gg_error *err)
{
	for (; table->key != NULL; table++) {
		int r;

		if (table->def == NULL)
			continue;
		r = gg_option_set(table, base, table->key, table->def, err);
		if (r != 0)
			return r;
	}
	return 0;
}

void gg_options_free(const struct gg_option *table, void *base)
{
	if (base == NULL)
		return;
	for (; table->key != NULL; table++) {
		if (table->type == GG_OPT_STRING) {
			char **field = (char **)((char *)base + table->offset);

			free(*field);
			*field = NULL;
		}
	}
}

const struct gg_option gg_input_common_options[] = {
	{ "mappings", GG_OPT_STRING, NULL, OFF(gg_input_common, mappings),
	  "mappings tried in order on each record (names in mapping_dir, or *)" },
	{ "unmatched", GG_OPT_STRING, "generic", OFF(gg_input_common, unmatched),
	  "records no mapping takes: generic (unclassified incident with the raw record) or drop" },
	{ "timezone", GG_OPT_STRING, NULL, OFF(gg_input_common, timezone),
	  "zone (UTC, +HH:MM) of the senders' stamps written without one; default: the mapping's" },
	GG_OPTIONS_END,
};

static int option_known(const struct gg_option *table, const char *key)
{
	for (; table->key != NULL; table++)
		if (strcmp(table->key, key) == 0)
			return 1;
	return 0;
}

struct config_loader {
	struct gg_config *cfg;
	struct gg_error *err;
};

static int config_add_input(struct gg_config *cfg, const struct gg_adapter *adapter,
			    const char *name, struct gg_error *err)
{
	struct gg_input_conf *grown, *in;

	for (size_t i = 0; i < cfg->n_inputs; i++)
		if (strcmp(cfg->inputs[i].name, name) == 0)
			return gg_error_set(err, -EEXIST, "input name '%s' used twice", name);
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
	cfg->n_inputs++;
	if (gg_options_apply_defaults(gg_input_common_options, &in->common, err) != 0)
		return -ENOMEM;
	return gg_options_apply_defaults(adapter->options, in->conf, err);
}

/* Finds (or creates, on its first key) the adapter instance of a [kind:name] section. */
static int config_input_section(struct gg_config *cfg, const char *section,
				struct gg_input_conf **out, struct gg_error *err)
{
	const char *colon = strchr(section, ':');
	const struct gg_adapter *adapter;
	char kind[64];
	int r;

	if (colon == NULL || colon == section || colon[1] == '\0' ||
	    (size_t)(colon - section) >= sizeof(kind))
		return gg_error_set(err, -ENOENT, "unknown section [%s]", section);
	memcpy(kind, section, (size_t)(colon - section));
	kind[colon - section] = '\0';
	adapter = gg_adapter_find(GG_PLUGIN_INPUT, kind);
	if (adapter == NULL)
		return gg_error_set(err, -ENOENT, "unknown input kind '%s' in [%s]", kind, section);
	for (size_t i = 0; i < cfg->n_inputs; i++) {
		if (cfg->inputs[i].adapter == adapter && strcmp(cfg->inputs[i].name, colon + 1) == 0) {
			*out = &cfg->inputs[i];
			return 0;
		}
	}
	r = config_add_input(cfg, adapter, colon + 1, err);
	if (r != 0)
		return r;
	*out = &cfg->inputs[cfg->n_inputs - 1];
	return 0;
}

/* inih calls this per key; returning 0 makes ini_parse return the line number. */
static int config_on_key(void *user, const char *section, const char *key, const char *value)
{
	struct config_loader *ld = user;
	struct gg_config *cfg = ld->cfg;
	struct gg_input_conf *in = NULL;

	if (strcmp(section, "gridgate") == 0)
		return gg_option_set(gg_global_options, &cfg->global, key, value, ld->err) == 0;
	if (strcmp(section, "spool") == 0)
		return gg_option_set(gg_spool_options, &cfg->spool, key, value, ld->err) == 0;
	if (strcmp(section, "xmpp") == 0)
		return gg_option_set(gg_xmpp_options, &cfg->xmpp, key, value, ld->err) == 0;
	if (config_input_section(cfg, section, &in, ld->err) != 0)
		return 0;
	if (option_known(gg_input_common_options, key)) {
		if (gg_option_set(gg_input_common_options, &in->common, key, value, ld->err) != 0) {
			gg_error_prefix(ld->err, "[%s]: ", section);
			return 0;
		}
		return 1;
	}
	if (gg_option_set(in->adapter->options, in->conf, key, value, ld->err) != 0) {
		gg_error_prefix(ld->err, "[%s]: ", section);
		return 0;
	}
	return 1;
}

/* Reads the first line of a file (a secret), wiping the read buffer afterwards. */
static int config_read_secret(const char *path, char **out, struct gg_error *err)
{
	char line[1024];
	FILE *fp = fopen(path, "re");
	size_t n;

	if (fp == NULL)
		return gg_error_set(err, -errno, "%s: %s", path, strerror(errno));
	if (fgets(line, sizeof(line), fp) == NULL) {
		fclose(fp);
		return gg_error_set(err, -EINVAL, "%s: empty", path);
	}
	fclose(fp);
	n = strcspn(line, "\r\n");
	line[n] = '\0';
	*out = strdup(line);
	explicit_bzero(line, sizeof(line));
	return *out == NULL ? gg_error_set(err, -ENOMEM, "out of memory") : 0;
}

static int config_finish(struct gg_config *cfg, struct gg_error *err)
{
	struct gg_xmpp_conf *x = &cfg->xmpp;
	enum gg_log_level level;

	if (gg_log_level_parse(cfg->global.log_level, &level) != 0)
		return gg_error_set(err, -EINVAL, "[gridgate] log_level: '%s' is not one of error, "
				    "warn, info, debug", cfg->global.log_level);
	if (cfg->spool.path == NULL) {
		if (asprintf(&cfg->spool.path, "%s/spool.db", cfg->global.state_dir) < 0) {
			cfg->spool.path = NULL;
			return gg_error_set(err, -ENOMEM, "out of memory");
		}
	}
	if (cfg->global.regex_match_limit < 1000 || cfg->global.regex_match_limit > 100000000 ||
	    cfg->global.regex_depth_limit < 100 || cfg->global.regex_depth_limit > 10000000)
		return gg_error_set(err, -EINVAL, "[gridgate] regex_match_limit must be within "
				    "1000..100000000 and regex_depth_limit within 100..10000000");
	if (cfg->global.max_document_size < 4096 || cfg->global.max_document_size > (64 << 20))
		return gg_error_set(err, -EINVAL, "[gridgate] max_document_size must be within "
				    "4k..64M");
	if (cfg->global.max_record_size < 256 ||
	    cfg->global.max_record_size > cfg->global.max_document_size / 2)
		return gg_error_set(err, -EINVAL, "[gridgate] max_record_size must be within "
				    "256..max_document_size/2 (%lld)",
				    (long long)cfg->global.max_document_size / 2);
	if (cfg->spool.batch < 1 || cfg->spool.batch > 10000)
		return gg_error_set(err, -EINVAL, "[spool] batch must be within 1..10000");
	if (x->jid == NULL || strchr(x->jid, '@') == NULL)
		return gg_error_set(err, -EINVAL, "[xmpp] jid is required (user@domain)");
	if (x->password_file != NULL && x->password == NULL) {
		int r = config_read_secret(x->password_file, &x->password, err);

		if (r != 0)
			return r;
	}
	if (x->password == NULL && x->client_cert == NULL)
		return gg_error_set(err, -EINVAL,
				    "[xmpp] needs password, password_file or client_cert");
	if ((x->client_cert == NULL) != (x->client_key == NULL))
		return gg_error_set(err, -EINVAL, "[xmpp] client_cert and client_key go together");
	if (x->domain == NULL) {
		x->domain = strdup(strchr(x->jid, '@') + 1);
		if (x->domain == NULL)
			return gg_error_set(err, -ENOMEM, "out of memory");
		x->domain[strcspn(x->domain, "/")] = '\0';
	}
	if (x->port < 1 || x->port > 65535)
		return gg_error_set(err, -EINVAL, "[xmpp] port must be within 1..65535");
	if (x->window < 1 || x->window > 4096)
		return gg_error_set(err, -EINVAL, "[xmpp] window must be within 1..4096");
	for (size_t i = 0; i < cfg->n_inputs; i++) {
		struct gg_input_conf *in = &cfg->inputs[i];

		if (strcmp(in->common.unmatched, "generic") != 0 &&
		    strcmp(in->common.unmatched, "drop") != 0)
			return gg_error_set(err, -EINVAL, "[%s:%s]: unmatched must be generic or drop",
					    in->adapter->name, in->name);
		if (in->adapter->check != NULL && in->adapter->check(in->conf, err) != 0) {
			gg_error_prefix(err, "[%s:%s]: ", in->adapter->name, in->name);
			return -EINVAL;
		}
	}
	return 0;
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
	struct config_loader ld = { cfg, err };
	int line, r;

	if (cfg == NULL)
		return gg_error_set(err, -ENOMEM, "out of memory");
	if ((cfg->path = strdup(path)) == NULL) {
		r = gg_error_set(err, -ENOMEM, "out of memory");
		goto fail;
	}
	if ((r = gg_options_apply_defaults(gg_global_options, &cfg->global, err)) != 0 ||
	    (r = gg_options_apply_defaults(gg_spool_options, &cfg->spool, err)) != 0 ||
	    (r = gg_options_apply_defaults(gg_xmpp_options, &cfg->xmpp, err)) != 0)
		goto fail;
	gg_error_clear(err);
	line = ini_parse(path, config_on_key, &ld);
	if (line < 0) {
		r = gg_error_set(err, -ENOENT, "%s: cannot open", path);
		goto fail;
	}
	if (line > 0) {
		r = -EINVAL;
		if (err != NULL && err->msg[0] == '\0')
			gg_error_set(err, r, "syntax error");
		gg_error_prefix(err, "%s:%d: ", path, line);
		if (err != NULL)
			err->line = line;
		goto fail;
	}
	if ((r = datadir_resolve(&cfg->global.schema_dir, err)) != 0 ||
	    (r = datadir_resolve(&cfg->global.mapping_dir, err)) != 0)
		goto fail;
	if ((r = config_finish(cfg, err)) != 0) {
		gg_error_prefix(err, "%s: ", path);
		goto fail;
	}
	*out = cfg;
	return 0;
fail:
	gg_config_free(cfg);
	return r;
}

void gg_config_free(struct gg_config *cfg)
{
	if (cfg == NULL)
		return;
	if (cfg->xmpp.password != NULL)
		explicit_bzero(cfg->xmpp.password, strlen(cfg->xmpp.password));
	gg_options_free(gg_global_options, &cfg->global);
	gg_options_free(gg_spool_options, &cfg->spool);
	gg_options_free(gg_xmpp_options, &cfg->xmpp);
	free(cfg->xmpp.domain);
	for (size_t i = 0; i < cfg->n_inputs; i++) {
		gg_options_free(cfg->inputs[i].adapter->options, cfg->inputs[i].conf);
		gg_options_free(gg_input_common_options, &cfg->inputs[i].common);
		free(cfg->inputs[i].conf);
		free(cfg->inputs[i].name);
	}
	free(cfg->inputs);
	free(cfg->path);
	free(cfg);
}
