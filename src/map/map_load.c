/* map_load.c: reads mapping files (docs/mappings.md) into the compiled form of
 * map_internal.h. Every mistake is refused here with "file:line: reason", so a mapping that
 * loads cannot fail for reasons of its own text while records flow. */
#include "map/map_internal.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LINE 8192

static const char *const builtin_names[GG_B_COUNT] = {
	[GG_B_INPUT] = "input",		  [GG_B_PEER] = "peer",
	[GG_B_RAW] = "raw",		  [GG_B_MSG] = "msg",
	[GG_B_HOST] = "host",		  [GG_B_APP] = "app",
	[GG_B_PID] = "pid",		  [GG_B_MSGID] = "msgid",
	[GG_B_FACILITY] = "facility",	  [GG_B_SEVERITY] = "severity",
	[GG_B_TIME] = "time",		  [GG_B_FORMAT] = "format",
	[GG_B_CEF_VENDOR] = "cef.vendor", [GG_B_CEF_PRODUCT] = "cef.product",
	[GG_B_CEF_VERSION] = "cef.version", [GG_B_CEF_CLASS] = "cef.class",
	[GG_B_CEF_NAME] = "cef.name",	  [GG_B_CEF_SEVERITY] = "cef.severity",
	[GG_B_LEEF_VENDOR] = "leef.vendor", [GG_B_LEEF_PRODUCT] = "leef.product",
	[GG_B_LEEF_VERSION] = "leef.version", [GG_B_LEEF_EVENT] = "leef.event",
};

static const char *const slot_names[GG_S_COUNT] = {
	[GG_S_PURPOSE] = "purpose",
	[GG_S_DESCRIPTION] = "description",
	[GG_S_DETECT_TIME] = "detect-time",
	[GG_S_START_TIME] = "start-time",
	[GG_S_END_TIME] = "end-time",
	[GG_S_SEVERITY] = "severity",
	[GG_S_IMPACT] = "impact",
	[GG_S_COMPLETION] = "completion",
	[GG_S_CONFIDENCE] = "confidence",
	[GG_S_METHOD] = "method",
	[GG_S_REFERENCE] = "reference",
	[GG_S_REFERENCE_URL] = "reference.url",
	[GG_S_CVE] = "cve",
	[GG_S_SRC_ADDRESS] = "source.address",
	[GG_S_SRC_PORT] = "source.port",
	[GG_S_SRC_HOST] = "source.host",
	[GG_S_SRC_USER] = "source.user",
	[GG_S_DST_ADDRESS] = "target.address",
	[GG_S_DST_PORT] = "target.port",
	[GG_S_DST_HOST] = "target.host",
	[GG_S_DST_USER] = "target.user",
	[GG_S_DST_SERVICE] = "target.service",
	[GG_S_PROTOCOL] = "protocol",
	[GG_S_SENSOR] = "sensor.host",
	[GG_S_INDICATOR_ID] = "indicator.id",
	[GG_S_INDICATOR_VERSION] = "indicator.version",
	[GG_S_INDICATOR_DESCRIPTION] = "indicator.description",
	[GG_S_INDICATOR_ADDRESS] = "indicator.address",
	[GG_S_INDICATOR_DOMAIN] = "indicator.domain",
	[GG_S_INDICATOR_URL] = "indicator.url",
	[GG_S_INDICATOR_FILENAME] = "indicator.filename",
	[GG_S_INDICATOR_MD5] = "indicator.md5",
	[GG_S_INDICATOR_SHA1] = "indicator.sha1",
	[GG_S_INDICATOR_SHA256] = "indicator.sha256",
	[GG_S_INDICATOR_SHA512] = "indicator.sha512",
};

const char *gg_builtin_name(enum gg_builtin b)
{
	return builtin_names[b];
}

const char *gg_slot_name(enum gg_slot s)
{
	return slot_names[s];
}

/* A capture variable as the loader tracks it: defined by some regex, or only used so far. */
struct var_use {
	int defined_line, first_use_line;
};

struct loader {
	const char *path;
	int line;
	int including; /* reading an include file (tables only) */
	struct gg_map *map;
	struct gg_map_rule *rule; /* the rule being read, NULL before the first */
	struct gg_map_table *table; /* the table being read until "end" */
	struct var_use *uses;
	bool selecting; /* reading a condition before the first rule */
	struct gg_error *err;
};

static int fail(struct loader *ld, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(struct loader *ld, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return gg_error_set_at(ld->err, -EINVAL, ld->line, 0, "%s:%d: %s", ld->path, ld->line,
			       msg);
}

static int oom(struct loader *ld)
{
	return gg_error_set(ld->err, -ENOMEM, "%s:%d: out of memory", ld->path, ld->line);
}

/* Grows *arr (of *n elements of size) by one zeroed element; NULL on OOM. */
static void *push(void *arr_ptr, size_t *n, size_t size)
{
	void **arr = arr_ptr;
	char *grown = realloc(*arr, (*n + 1) * size);

	if (grown == NULL)
		return NULL;
	*arr = grown;
	memset(grown + *n * size, 0, size);
	return grown + (*n)++ * size;
}

/* Splits off the next blank-separated word of *s (NUL-terminating it); NULL at the end. */
static char *word(char **s)
{
	char *p = *s, *start;

	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '\0')
		return NULL;
	start = p;
	while (*p != '\0' && *p != ' ' && *p != '\t')
		p++;
	if (*p != '\0')
		*p++ = '\0';
	*s = p;
	return start;
}

static char *rest(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

/* ------------------------------------------------------------------ fields */

static int var_index(struct loader *ld, const char *name, bool defining)
{
	struct gg_map *m = ld->map;
	size_t i;

	for (i = 0; i < m->n_vars; i++)
		if (strcmp(m->vars[i], name) == 0)
			break;
	if (i == m->n_vars) {
		char **slot = push(&m->vars, &m->n_vars, sizeof(char *));
		struct var_use *u;
		size_t n_uses = i;

		if (slot == NULL || (*slot = strdup(name)) == NULL)
			return -1;
		u = push(&ld->uses, &n_uses, sizeof(*u));
		if (u == NULL)
			return -1;
	}
	if (defining && ld->uses[i].defined_line == 0)
		ld->uses[i].defined_line = ld->line;
	if (!defining && ld->uses[i].first_use_line == 0)
		ld->uses[i].first_use_line = ld->line;
	return (int)i;
}

static bool ident(const char *s)
{
	if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || *s == '_'))
		return false;
	for (s++; *s != '\0'; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		      (*s >= '0' && *s <= '9') || *s == '_'))
			return false;
	return true;
}

/* Resolves a field name (docs/mappings.md, "Fields") into f. */
static int parse_field(struct loader *ld, const char *name, struct gg_field *f)
{
	enum gg_map_payload pl = ld->map->payload;

	memset(f, 0, sizeof(*f));
	for (int b = 0; b < GG_B_COUNT; b++)
		if (strcmp(builtin_names[b], name) == 0) {
			if ((b >= GG_B_CEF_VENDOR && b <= GG_B_CEF_SEVERITY && pl != GG_PAYLOAD_CEF) ||
			    (b >= GG_B_LEEF_VENDOR && b <= GG_B_LEEF_EVENT &&
			     pl != GG_PAYLOAD_LEEF))
				return fail(ld, "field '%s' needs 'payload %.4s'", name, name);
			f->kind = GG_FIELD_BUILTIN;
			f->index = b;
			return 0;
		}
	if (name[0] == '/' || (name[0] == '^' && name[1] == '/')) {
		if (pl != GG_PAYLOAD_JSON)
			return fail(ld, "JSON pointer '%s' needs 'payload json'", name);
		f->kind = GG_FIELD_JSON;
		f->outer = name[0] == '^';
		if (f->outer && ld->map->n_each == 0)
			return fail(ld, "'%s' reads the record around an element: it needs 'each'",
				    name);
		/* Selection decides about the whole record before it is split: an element's
		 * field there would be a mistake that silently never matches. */
		if (!f->outer && ld->map->n_each > 0 && ld->selecting)
			return fail(ld, "a condition before the first rule selects the record, not "
				    "an element: write '^%s'", name);
		return (f->key = strdup(name + f->outer)) != NULL ? 0 : oom(ld);
	}
	if (strncmp(name, "sd.", 3) == 0) {
		const char *dot = strchr(name + 3, '.');

		if (dot == NULL || dot == name + 3 || dot[1] == '\0')
			return fail(ld, "structured data field '%s' is not sd.ID.PARAM", name);
		f->kind = GG_FIELD_SD;
		f->key = strndup(name + 3, (size_t)(dot - name - 3));
		f->key2 = strdup(dot + 1);
		return f->key != NULL && f->key2 != NULL ? 0 : oom(ld);
	}
	{
		static const struct {
			const char *prefix;
			enum gg_map_payload payload;
		} payload_prefixes[] = { { "cef.", GG_PAYLOAD_CEF },
					 { "leef.", GG_PAYLOAD_LEEF },
					 { "kv.", GG_PAYLOAD_KV } };

		for (size_t i = 0; i < 3; i++) {
			size_t n = strlen(payload_prefixes[i].prefix);

			if (strncmp(name, payload_prefixes[i].prefix, n) != 0)
				continue;
			if (pl != payload_prefixes[i].payload)
				return fail(ld, "field '%s' needs 'payload %.*s'", name,
					    (int)n - 1, name);
			if (name[n] == '\0')
				return fail(ld, "field '%s' has no key", name);
			f->kind = GG_FIELD_PAYLOAD;
			f->index = (int)payload_prefixes[i].payload;
			return (f->key = strdup(name + n)) != NULL ? 0 : oom(ld);
		}
	}
	if (!ident(name))
		return fail(ld, "unknown field '%s'", name);
	f->kind = GG_FIELD_CAPTURE;
	f->index = var_index(ld, name, false);
	return f->index >= 0 ? 0 : oom(ld);
}

/* ------------------------------------------------------------------ templates */

static int add_literal(struct loader *ld, struct gg_map_set_stmt *st, const char *s, size_t n)
{
	struct gg_tpl_part *p;

	if (n == 0)
		return 0;
	p = push(&st->parts, &st->n_parts, sizeof(*p));
	if (p == NULL || (p->text = strndup(s, n)) == NULL)
		return oom(ld);
	return 0;
}

static bool short_name_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '.';
}

/* The template text (quotes and escapes already removed): literal runs and $name / ${name}
 * references; "$$" is a literal "$". */
static int parse_template(struct loader *ld, struct gg_map_set_stmt *st, const char *t)
{
	char lit[MAX_LINE];
	size_t n = 0;

	while (*t != '\0') {
		char name[256];
		size_t k = 0;
		struct gg_tpl_part *p;
		bool optional = false;
		int r;

		if (*t != '$') {
			lit[n++] = *t++;
			continue;
		}
		if (t[1] == '$') {
			lit[n++] = '$';
			t += 2;
			continue;
		}
		if (t[1] == '{') {
			const char *end = strchr(t + 2, '}');

			if (end == NULL || end == t + 2 || (size_t)(end - t - 2) >= sizeof(name))
				return fail(ld, "unterminated or empty ${...} in template");
			k = (size_t)(end - t - 2);
			memcpy(name, t + 2, k);
			t = end + 1;
			if (k > 1 && name[k - 1] == '?') {
				optional = true;
				k--;
			}
		} else {
			while (short_name_char(t[1 + k]) && k < sizeof(name) - 1)
				k++;
			/* A trailing dot ends a sentence, not a name. */
			while (k > 0 && t[k] == '.')
				k--;
			if (k == 0)
				return fail(ld, "'$' not followed by a field name (write $$ for '$')");
			memcpy(name, t + 1, k);
			t += 1 + k;
		}
		name[k] = '\0';
		if ((r = add_literal(ld, st, lit, n)) != 0)
			return r;
		n = 0;
		p = push(&st->parts, &st->n_parts, sizeof(*p));
		if (p == NULL)
			return oom(ld);
		p->optional = optional;
		if ((r = parse_field(ld, name, &p->field)) != 0)
			return r;
	}
	return add_literal(ld, st, lit, n);
}

static struct gg_map_table *find_table(struct gg_map *m, const char *name)
{
	for (size_t i = 0; i < m->n_tables; i++)
		if (strcmp(m->tables[i]->name, name) == 0)
			return m->tables[i];
	return NULL;
}

static int parse_xform(struct loader *ld, struct gg_map_set_stmt *st, char *text)
{
	struct gg_xform *x = push(&st->xforms, &st->n_xforms, sizeof(*x));
	char *name = word(&text), *arg;

	if (x == NULL)
		return oom(ld);
	if (name == NULL)
		return fail(ld, "empty transform after '|'");
	arg = rest(text);
	if (strcmp(name, "lower") == 0 || strcmp(name, "upper") == 0 ||
	    strcmp(name, "trim") == 0 || strcmp(name, "protocol") == 0) {
		x->kind = name[0] == 'l' ? GG_X_LOWER : name[0] == 'u' ? GG_X_UPPER
			: name[0] == 't' ? GG_X_TRIM : GG_X_PROTOCOL;
		if (*arg != '\0')
			return fail(ld, "transform '%s' takes no argument", name);
		return 0;
	}
	if (strcmp(name, "default") == 0) {
		x->kind = GG_X_DEFAULT;
		return (x->arg = strdup(arg)) != NULL ? 0 : oom(ld);
	}
	if (strcmp(name, "lookup") == 0) {
		x->kind = GG_X_LOOKUP;
		x->table = find_table(ld->map, arg);
		if (x->table == NULL)
			return fail(ld, "no table '%s' (a table is defined before its use)", arg);
		return 0;
	}
	if (strcmp(name, "scale") == 0) {
		x->kind = GG_X_SCALE;
		x->scale = gg_scale_index(arg);
		if (x->scale < 0)
			return fail(ld, "unknown scale '%s' (syslog, cef, leef, priority, asa)", arg);
		return 0;
	}
	return fail(ld, "unknown transform '%s'", name);
}

/* Fixed vocabularies, checked at load when the value is a plain literal. */
static const char *const purposes[] = { "traceback", "mitigation", "reporting", "watch",
					"other", NULL };
static const char *const severities[] = { "low", "medium", "high", NULL };
static const char *const completions[] = { "failed", "succeeded", NULL };
static const char *const confidences[] = { "low", "medium", "high", "unknown", NULL };
/* RFC 7970 section 3.12.2 SystemImpact type. */
static const char *const impacts[] = {
	"takeover-account", "takeover-service", "takeover-system", "cps-manipulation",
	"cps-damage", "availability-data", "availability-account", "availability-service",
	"availability-system", "damaged-system", "damaged-data", "breach-proprietary",
	"breach-privacy", "breach-credential", "breach-configuration", "integrity-data",
	"integrity-configuration", "integrity-hardware", "traffic-redirection",
	"monitoring-traffic", "monitoring-host", "policy", "unknown", NULL
};

const char *const *gg_slot_vocabulary(enum gg_slot s)
{
	switch (s) {
	case GG_S_PURPOSE:
		return purposes;
	case GG_S_SEVERITY:
		return severities;
	case GG_S_COMPLETION:
		return completions;
	case GG_S_CONFIDENCE:
		return confidences;
	case GG_S_IMPACT:
		return impacts;
	default:
		return NULL;
	}
}

bool gg_in_vocabulary(const char *const *vocab, const char *v)
{
	for (; *vocab != NULL; vocab++)
		if (strcmp(*vocab, v) == 0)
			return true;
	return false;
}

/* set SLOT TEMPLATE [| transform [arg]]... */
static int parse_set(struct loader *ld, char *text)
{
	char *slot_name = word(&text), *t = rest(text), tpl[MAX_LINE];
	struct gg_map_set_stmt *st;
	size_t n = 0;
	int slot = -1, r;

	if (slot_name == NULL)
		return fail(ld, "'set' needs a slot and a value");
	for (int s = 0; s < GG_S_COUNT; s++)
		if (strcmp(slot_names[s], slot_name) == 0)
			slot = s;
	if (slot < 0)
		return fail(ld, "unknown slot '%s'", slot_name);
	if (ld->rule != NULL)
		st = push(&ld->rule->sets, &ld->rule->n_sets, sizeof(*st));
	else
		st = push(&ld->map->sets, &ld->map->n_sets, sizeof(*st));
	if (st == NULL)
		return oom(ld);
	st->slot = (enum gg_slot)slot;
	st->line = ld->line;
	if (*t == '\0')
		return fail(ld, "'set %s' needs a value", slot_name);
	if (*t == '"') {
		for (t++; *t != '"'; t++) {
			if (*t == '\0')
				return fail(ld, "unterminated quoted value");
			if (*t == '\\' && (t[1] == '"' || t[1] == '\\'))
				t++;
			tpl[n++] = *t;
		}
		t = rest(t + 1);
		if (*t != '\0' && *t != '|')
			return fail(ld, "text after the quoted value");
	} else {
		char *bar = strstr(t, " |");
		size_t len = bar != NULL ? (size_t)(bar - t) : strlen(t);

		memcpy(tpl, t, len);
		n = len;
		t = rest(t + len);
	}
	tpl[n] = '\0';
	if ((r = parse_template(ld, st, tpl)) != 0)
		return r;
	while (*t == '|') {
		char *next = strstr(t + 1, " |");

		if (next != NULL)
			*next = '\0';
		if ((r = parse_xform(ld, st, t + 1)) != 0)
			return r;
		t = next != NULL ? rest(next + 1) : t + strlen(t);
	}
	/* A literal value with no transform is checked now rather than at every record. */
	if (st->n_xforms == 0 && st->n_parts == 1 && st->parts[0].text != NULL) {
		const char *const *vocab = gg_slot_vocabulary(st->slot);
		const char *v = st->parts[0].text;

		if (vocab != NULL && !gg_in_vocabulary(vocab, v))
			return fail(ld, "'%s' is not a value of %s", v, slot_name);
		if (st->slot == GG_S_PROTOCOL && gg_protocol_number(v) < 0)
			return fail(ld, "'%s' is not a protocol name or number", v);
	}
	return 0;
}

/* ------------------------------------------------------------------ conditions */

static int compile_regex(struct loader *ld, struct gg_map_cond *c, const char *pattern)
{
	int code;
	PCRE2_SIZE off;
	uint32_t n_names, entry_size;
	PCRE2_SPTR table;

	/* UTF semantics, but a message with invalid UTF-8 still matches where it is valid
	 * instead of failing (PCRE2_MATCH_INVALID_UTF, 10.34+). Alternatives may name their
	 * groups alike (DUPNAMES): the one that took part gives the value. */
	c->re = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED,
			      PCRE2_UTF | PCRE2_MATCH_INVALID_UTF | PCRE2_DUPNAMES, &code, &off, NULL);
	if (c->re == NULL) {
		PCRE2_UCHAR msg[256];

		pcre2_get_error_message(code, msg, sizeof(msg));
		return fail(ld, "regex: %s at offset %zu", (const char *)msg, (size_t)off);
	}
	/* JIT is an optimisation: where the platform has none, the interpreter runs, with
	 * the same limits. */
	(void)pcre2_jit_compile(c->re, PCRE2_JIT_COMPLETE);
	pcre2_pattern_info(c->re, PCRE2_INFO_CAPTURECOUNT, &c->n_groups);
	pcre2_pattern_info(c->re, PCRE2_INFO_NAMECOUNT, &n_names);
	pcre2_pattern_info(c->re, PCRE2_INFO_NAMEENTRYSIZE, &entry_size);
	pcre2_pattern_info(c->re, PCRE2_INFO_NAMETABLE, &table);
	c->group_var = malloc((c->n_groups + 1) * sizeof(int));
	if (c->group_var == NULL)
		return oom(ld);
	for (uint32_t g = 0; g <= c->n_groups; g++)
		c->group_var[g] = -1;
	for (uint32_t i = 0; i < n_names; i++) {
		const unsigned char *e = table + i * entry_size;
		int group = (e[0] << 8) | e[1];
		const char *name = (const char *)e + 2;
		int v;

		for (int b = 0; b < GG_B_COUNT; b++)
			if (strcmp(builtin_names[b], name) == 0)
				return fail(ld, "group name '%s' is a built-in field", name);
		if ((v = var_index(ld, name, true)) < 0)
			return oom(ld);
		c->group_var[group] = v;
	}
	if (c->n_groups + 1 > ld->map->max_groups)
		ld->map->max_groups = c->n_groups + 1;
	return 0;
}

/* when FIELD (= V | != V | in V... | exists | absent), or match FIELD REGEX */
static int parse_cond(struct loader *ld, char *text, bool is_match)
{
	struct gg_map_cond *c;
	char *name, *op;
	int r;

	if (ld->rule != NULL)
		c = push(&ld->rule->conds, &ld->rule->n_conds, sizeof(*c));
	else
		c = push(&ld->map->conds, &ld->map->n_conds, sizeof(*c));
	if (c == NULL)
		return oom(ld);
	c->line = ld->line;
	/* Kept as written before word() cuts it up: --explain shows it. */
	if (asprintf(&c->text, "%s %s", is_match ? "match" : "when", rest(text)) < 0) {
		c->text = NULL;
		return oom(ld);
	}
	name = word(&text);
	if (name == NULL)
		return fail(ld, "'%s' needs a field", is_match ? "match" : "when");
	ld->selecting = ld->rule == NULL;
	r = parse_field(ld, name, &c->field);
	ld->selecting = false;
	if (r != 0)
		return r;
	if (is_match) {
		char *pattern = rest(text);

		if (*pattern == '\0')
			return fail(ld, "'match %s' needs a regular expression", name);
		c->op = GG_OP_MATCH;
		return compile_regex(ld, c, pattern);
	}
	op = word(&text);
	if (op == NULL)
		return fail(ld, "'when %s' needs =, !=, in, exists or absent", name);
	if (strcmp(op, "exists") == 0 || strcmp(op, "absent") == 0) {
		c->op = op[0] == 'e' ? GG_OP_EXISTS : GG_OP_ABSENT;
		return *rest(text) == '\0' ? 0 : fail(ld, "text after '%s'", op);
	}
	if (strcmp(op, "=") == 0 || strcmp(op, "!=") == 0) {
		char **v = push(&c->values, &c->n_values, sizeof(char *));

		c->op = op[0] == '=' ? GG_OP_EQ : GG_OP_NE;
		if (v == NULL || (*v = strdup(rest(text))) == NULL)
			return oom(ld);
		return 0;
	}
	if (strcmp(op, "in") == 0) {
		char *w;

		c->op = GG_OP_IN;
		while ((w = word(&text)) != NULL) {
			char **v = push(&c->values, &c->n_values, sizeof(char *));

			if (v == NULL || (*v = strdup(w)) == NULL)
				return oom(ld);
		}
		return c->n_values > 0 ? 0 : fail(ld, "'in' needs at least one value");
	}
	return fail(ld, "unknown comparison '%s' (=, !=, in, exists, absent)", op);
}

/* ------------------------------------------------------------------ lines */

int gg_timezone_parse(const char *v, int *minutes)
{
	int h, m, n = 0;

	if (strcmp(v, "UTC") == 0 || strcmp(v, "Z") == 0) {
		*minutes = 0;
		return 0;
	}
	/* xs:dateTime zones reach +/-14:00, no further. */
	if ((v[0] != '+' && v[0] != '-') || sscanf(v + 1, "%2d:%2d%n", &h, &m, &n) != 2 ||
	    v[1 + n] != '\0' || m > 59 || h * 60 + m > 14 * 60)
		return -1;
	*minutes = (v[0] == '-' ? -1 : 1) * (h * 60 + m);
	return 0;
}

static int parse_tz(struct loader *ld, const char *v)
{
	if (gg_timezone_parse(v, &ld->map->tz_minutes) != 0)
		return fail(ld, "timezone must be UTC or +HH:MM / -HH:MM, not '%s'", v);
	return 0;
}

static int parse_table_row(struct loader *ld, char *text)
{
	struct gg_map_table *t = ld->table;
	char *key, *value;
	size_t n = t->n;

	if (*text == '"') {
		/* A key with blanks is quoted: "Attempted Administrator Privilege Gain". */
		char *close = strchr(text + 1, '"');

		if (close == NULL || close == text + 1)
			return fail(ld, "unterminated or empty quoted key");
		*close = '\0';
		key = text + 1;
		value = rest(close + 1);
	} else {
		key = word(&text);
		value = rest(text);
	}
	if (strcmp(key, "end") == 0 && *value == '\0') {
		ld->table = NULL;
		return 0;
	}
	if (*value == '\0')
		return fail(ld, "table row '%s' has no value", key);
	if (strcmp(key, "*") == 0) {
		if (t->fallback != NULL)
			return fail(ld, "table '%s' has two '*' rows", t->name);
		return (t->fallback = strdup(value)) != NULL ? 0 : oom(ld);
	}
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->keys[i], key) == 0)
			return fail(ld, "table '%s' has key '%s' twice", t->name, key);
	if (push(&t->keys, &n, sizeof(char *)) == NULL)
		return oom(ld);
	n = t->n;
	if (push(&t->values, &t->n, sizeof(char *)) == NULL)
		return oom(ld);
	t->keys[n] = strdup(key);
	t->values[n] = strdup(value);
	return t->keys[n] != NULL && t->values[n] != NULL ? 0 : oom(ld);
}

static int parse_include(struct loader *ld, const char *name);

/* each POINTER...: the JSON arrays whose elements are mapped one by one. */
static int parse_each(struct loader *ld, char *text)
{
	struct gg_map *m = ld->map;
	char *w;

	if (m->payload != GG_PAYLOAD_JSON)
		return fail(ld, "'each' needs 'payload json' before it");
	if (m->n_each > 0)
		return fail(ld, "a mapping has one 'each' (it takes several pointers)");
	/* Fields read an element or the record by what follows 'each': it comes first. */
	if (m->n_conds > 0 || m->n_sets > 0)
		return fail(ld, "'each' comes before every 'when', 'match' and 'set'");
	while ((w = word(&text)) != NULL) {
		char **slot;

		if (w[0] != '/')
			return fail(ld, "'each' takes JSON pointers (/a/b), not '%s'", w);
		slot = push(&m->each, &m->n_each, sizeof(char *));
		if (slot == NULL || (*slot = strdup(w)) == NULL)
			return oom(ld);
	}
	return m->n_each > 0 ? 0 : fail(ld, "'each' needs a JSON pointer to an array");
}

static int parse_line(struct loader *ld, char *line)
{
	struct gg_map *m = ld->map;
	char *kw, *text = line;

	if (ld->table != NULL) {
		char *row = rest(line);

		return *row == '\0' || *row == '#' ? 0 : parse_table_row(ld, row);
	}
	kw = word(&text);
	if (kw == NULL || kw[0] == '#')
		return 0;
	if (ld->including && strcmp(kw, "table") != 0)
		return fail(ld, "an include file holds tables only, not '%s'", kw);
	if (strcmp(kw, "include") == 0) {
		char *name = word(&text);

		if (*rest(text) != '\0')
			return fail(ld, "'include' takes one name");
		return parse_include(ld, name);
	}
	if (strcmp(kw, "when") == 0 || strcmp(kw, "match") == 0)
		return parse_cond(ld, text, kw[0] == 'm');
	if (strcmp(kw, "set") == 0)
		return parse_set(ld, text);
	if (strcmp(kw, "rule") == 0) {
		char *name = word(&text);

		if (name == NULL || *rest(text) != '\0')
			return fail(ld, "'rule' takes one name");
		for (size_t i = 0; i < m->n_rules; i++)
			if (strcmp(m->rules[i].name, name) == 0)
				return fail(ld, "rule '%s' is already defined on line %d", name,
					    m->rules[i].line);
		ld->rule = push(&m->rules, &m->n_rules, sizeof(*ld->rule));
		if (ld->rule == NULL || (ld->rule->name = strdup(name)) == NULL)
			return oom(ld);
		ld->rule->line = ld->line;
		return 0;
	}
	if (strcmp(kw, "drop") == 0) {
		if (ld->rule == NULL)
			return fail(ld, "'drop' belongs in a rule");
		ld->rule->drop = true;
		return *rest(text) == '\0' ? 0 : fail(ld, "'drop' takes no argument");
	}
	if (strcmp(kw, "table") == 0) {
		struct gg_map_table **slot;
		char *name = word(&text);

		if (name == NULL || *rest(text) != '\0')
			return fail(ld, "'table' takes one name");
		if (find_table(m, name) != NULL)
			return fail(ld, "table '%s' is already defined", name);
		/* Each table is allocated on its own: transforms point at it, and the array
		 * of tables may move as it grows. */
		slot = push(&m->tables, &m->n_tables, sizeof(*slot));
		if (slot == NULL || (*slot = calloc(1, sizeof(**slot))) == NULL ||
		    ((*slot)->name = strdup(name)) == NULL)
			return oom(ld);
		ld->table = *slot;
		return 0;
	}
	if (ld->rule != NULL)
		return fail(ld, "'%s' is not allowed in a rule (when, match, set, drop)", kw);
	if (strcmp(kw, "mapping") == 0) {
		char *name = word(&text);

		if (name == NULL || *rest(text) != '\0')
			return fail(ld, "'mapping' takes one name");
		free(m->name);
		return (m->name = strdup(name)) != NULL ? 0 : oom(ld);
	}
	if (strcmp(kw, "payload") == 0) {
		static const char *const names[] = { "text", "cef", "leef", "kv", "json" };
		char *v = word(&text);

		if (m->n_conds > 0 || m->n_sets > 0 || m->n_each > 0)
			return fail(ld, "'payload' comes before every 'each', 'when', 'match' and "
				    "'set'");
		for (int i = 0; v != NULL && i < 5; i++)
			if (strcmp(names[i], v) == 0) {
				m->payload = (enum gg_map_payload)i;
				return 0;
			}
		return fail(ld, "payload must be text, cef, leef, kv or json");
	}
	if (strcmp(kw, "each") == 0)
		return parse_each(ld, text);
	if (strcmp(kw, "fallback") == 0) {
		m->fallback = true;
		return *rest(text) == '\0' ? 0 : fail(ld, "'fallback' takes no argument");
	}
	if (strcmp(kw, "timezone") == 0) {
		char *v = word(&text);

		return v != NULL ? parse_tz(ld, v) : fail(ld, "'timezone' needs a value");
	}
	return fail(ld, "unknown keyword '%s'", kw);
}

/* ------------------------------------------------------------------ files */

static void free_field(struct gg_field *f)
{
	free(f->key);
	free(f->key2);
}

static void free_conds(struct gg_map_cond *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free_field(&c[i].field);
		for (size_t v = 0; v < c[i].n_values; v++)
			free(c[i].values[v]);
		free(c[i].values);
		pcre2_code_free(c[i].re);
		free(c[i].group_var);
		free(c[i].text);
	}
	free(c);
}

static void free_sets(struct gg_map_set_stmt *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		for (size_t p = 0; p < s[i].n_parts; p++) {
			free(s[i].parts[p].text);
			free_field(&s[i].parts[p].field);
		}
		free(s[i].parts);
		for (size_t x = 0; x < s[i].n_xforms; x++)
			free(s[i].xforms[x].arg);
		free(s[i].xforms);
	}
	free(s);
}

static void free_map(struct gg_map *m)
{
	free(m->name);
	free(m->path);
	free_conds(m->conds, m->n_conds);
	free_sets(m->sets, m->n_sets);
	for (size_t i = 0; i < m->n_rules; i++) {
		free(m->rules[i].name);
		free_conds(m->rules[i].conds, m->rules[i].n_conds);
		free_sets(m->rules[i].sets, m->rules[i].n_sets);
	}
	free(m->rules);
	for (size_t i = 0; i < m->n_each; i++)
		free(m->each[i]);
	free(m->each);
	for (size_t i = 0; i < m->n_tables; i++) {
		struct gg_map_table *t = m->tables[i];

		if (t == NULL)
			continue;
		for (size_t k = 0; k < t->n; k++) {
			free(t->keys[k]);
			free(t->values[k]);
		}
		free(t->keys);
		free(t->values);
		free(t->fallback);
		free(t->name);
		free(t);
	}
	free(m->tables);
	for (size_t i = 0; i < m->n_vars; i++)
		free(m->vars[i]);
	free(m->vars);
}

/* The file's base name without ".map": the mapping's default name. */
static char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/'), *b = slash != NULL ? slash + 1 : path;
	size_t n = strlen(b);

	if (n > 4 && strcmp(b + n - 4, ".map") == 0)
		n -= 4;
	return strndup(b, n);
}

/* Parses every line of the file at ld->path. */
static int read_lines(struct loader *ld)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	FILE *f = fopen(ld->path, "r");
	int r = 0;

	if (f == NULL)
		return gg_error_set(ld->err, -errno, "%s: %s", ld->path, strerror(errno));
	while (r == 0 && (len = getline(&line, &cap, f)) >= 0) {
		ld->line++;
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r' ||
				   line[len - 1] == ' ' || line[len - 1] == '\t'))
			line[--len] = '\0';
		if ((size_t)len >= MAX_LINE)
			r = fail(ld, "line longer than %d bytes", MAX_LINE - 1);
		else if (memchr(line, '\0', (size_t)len) != NULL)
			r = fail(ld, "NUL byte in the line");
		else
			r = parse_line(ld, line);
	}
	if (r == 0 && ferror(f))
		r = gg_error_set(ld->err, -EIO, "%s: read error", ld->path);
	fclose(f);
	free(line);
	if (r == 0 && ld->table != NULL)
		r = fail(ld, "table '%s' has no 'end'", ld->table->name);
	return r;
}

/* include NAME: the lookup tables of NAME.inc, next to the including file, shared by several
 * mappings (the IDS classtypes). An include holds tables and comments only, and includes
 * nothing, so what a mapping means stays in the mapping. */
static int parse_include(struct loader *ld, const char *name)
{
	const char *slash = strrchr(ld->path, '/');
	const char *outer_path = ld->path;
	int outer_line = ld->line, r;
	char *path;

	if (ld->including)
		return fail(ld, "an include file cannot include");
	if (name == NULL || strchr(name, '/') != NULL || name[0] == '.')
		return fail(ld, "'include' takes one name (NAME.inc next to this file)");
	if (asprintf(&path, "%.*s%s.inc", slash != NULL ? (int)(slash - ld->path + 1) : 0,
		     ld->path, name) < 0)
		return oom(ld);
	ld->path = path;
	ld->line = 0;
	ld->including = 1;
	r = read_lines(ld);
	ld->including = 0;
	ld->path = outer_path;
	ld->line = outer_line;
	if (r != 0)
		gg_error_prefix(ld->err, "(included from %s:%d) ", outer_path, outer_line);
	free(path);
	return r;
}

static int load_file(const char *path, struct gg_map *m, struct gg_error *err)
{
	struct loader ld = { .path = path, .map = m, .err = err };
	int r;

	memset(m, 0, sizeof(*m));
	m->path = strdup(path);
	m->name = base_name(path);
	if (m->path == NULL || m->name == NULL)
		return gg_error_set(err, -ENOMEM, "%s: out of memory", path);
	r = read_lines(&ld);
	for (size_t i = 0; r == 0 && i < m->n_vars; i++)
		if (ld.uses[i].defined_line == 0) {
			ld.line = ld.uses[i].first_use_line;
			r = fail(&ld, "unknown field '%s' (no built-in field and no regex group "
				 "of this mapping has that name)", m->vars[i]);
		}
	if (r == 0 && m->n_rules == 0 && m->n_sets == 0)
		r = gg_error_set(err, -EINVAL, "%s: no 'set' and no 'rule': it would map nothing",
				 path);
	free(ld.uses);
	return r;
}

static int is_path(const char *name)
{
	size_t n = strlen(name);

	return strchr(name, '/') != NULL || (n > 4 && strcmp(name + n - 4, ".map") == 0);
}

static int add_map(struct gg_mapset *set, const char *path, struct gg_error *err)
{
	struct gg_map *m = push(&set->maps, &set->n_maps, sizeof(*m));
	int r;

	if (m == NULL)
		return gg_error_set(err, -ENOMEM, "out of memory");
	r = load_file(path, m, err);
	if (r != 0)
		return r;
	for (size_t i = 0; i + 1 < set->n_maps; i++)
		if (strcmp(set->maps[i].name, m->name) == 0)
			return gg_error_set(err, -EINVAL, "%s: mapping '%s' is also loaded from %s",
					    path, m->name, set->maps[i].path);
	if (m->max_groups > set->max_groups)
		set->max_groups = m->max_groups;
	if (m->n_vars > set->max_vars)
		set->max_vars = m->n_vars;
	return 0;
}

static int name_order(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every *.map in dir, in name order. */
static int add_dir(struct gg_mapset *set, const char *dir, struct gg_error *err)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = NULL;
	size_t n = 0, first = set->n_maps;
	int r = 0;

	if (d == NULL)
		return gg_error_set(err, -errno, "mapping directory %s: %s", dir, strerror(errno));
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);
		char **slot;

		if (len <= 4 || strcmp(e->d_name + len - 4, ".map") != 0 || e->d_name[0] == '.')
			continue;
		slot = push(&names, &n, sizeof(char *));
		if (slot == NULL || asprintf(slot, "%s/%s", dir, e->d_name) < 0) {
			if (slot != NULL)
				*slot = NULL;
			r = gg_error_set(err, -ENOMEM, "out of memory");
			break;
		}
	}
	closedir(d);
	if (n > 0)
		qsort(names, n, sizeof(char *), name_order);
	for (size_t i = 0; r == 0 && i < n; i++)
		r = add_map(set, names[i], err);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	/* Name order, except that catch-alls (`fallback`) go after the specific mappings, or
	 * they would take records a later mapping is for. A stable pass keeps name order. */
	for (size_t pass = 0, done = first; r == 0 && pass < 2; pass++)
		for (size_t i = done; i < set->n_maps; i++)
			if (set->maps[i].fallback == (pass == 1)) {
				struct gg_map m = set->maps[i];

				memmove(&set->maps[done + 1], &set->maps[done],
					(i - done) * sizeof(m));
				set->maps[done++] = m;
			}
	return r;
}

int gg_mapset_load(const char *dir, const char *const *names, size_t n_names,
		   const struct gg_map_limits *limits, struct gg_mapset **out,
		   struct gg_error *err)
{
	struct gg_mapset *set = calloc(1, sizeof(*set));
	int r = 0;

	*out = NULL;
	if (set == NULL)
		return gg_error_set(err, -ENOMEM, "out of memory");
	set->refs = 1;
	if (limits != NULL)
		set->limits = *limits;
	if (set->limits.regex_match_limit == 0)
		set->limits.regex_match_limit = 1000000;
	if (set->limits.regex_depth_limit == 0)
		set->limits.regex_depth_limit = 10000;
	if (set->limits.max_field_len == 0)
		set->limits.max_field_len = 64 * 1024;
	if (set->limits.max_elements == 0)
		set->limits.max_elements = GG_MAP_MAX_ELEMENTS;
	for (size_t i = 0; r == 0 && i < n_names; i++) {
		char *path;

		if (strcmp(names[i], "*") == 0) {
			r = add_dir(set, dir, err);
			continue;
		}
		if (is_path(names[i]) || dir == NULL)
			path = strdup(names[i]);
		else if (asprintf(&path, "%s/%s.map", dir, names[i]) < 0)
			path = NULL;
		if (path == NULL) {
			r = gg_error_set(err, -ENOMEM, "out of memory");
			break;
		}
		r = add_map(set, path, err);
		free(path);
	}
	if (r != 0) {
		gg_mapset_unref(set);
		return r;
	}
	*out = set;
	return 0;
}

struct gg_mapset *gg_mapset_ref(struct gg_mapset *set)
{
	__atomic_add_fetch(&set->refs, 1, __ATOMIC_RELAXED);
	return set;
}

void gg_mapset_unref(struct gg_mapset *set)
{
	if (set == NULL || __atomic_sub_fetch(&set->refs, 1, __ATOMIC_ACQ_REL) > 0)
		return;
	for (size_t i = 0; i < set->n_maps; i++)
		free_map(&set->maps[i]);
	free(set->maps);
	free(set);
}

size_t gg_mapset_count(const struct gg_mapset *set)
{
	return set->n_maps;
}

const char *gg_mapset_name(const struct gg_mapset *set, size_t i)
{
	return set->maps[i].name;
}
