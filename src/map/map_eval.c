/* map_eval.c: runs a compiled mapping set on one record: selects the mapping and rule, reads
 * the fields (syslog header, payload keys, JSON pointers, regex groups), fills the slots and
 * hands them to map_build.c. */
#include "map/map_internal.h"

#include <errno.h>
#include <jansson.h>
#include <libxml/uri.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "iodef/iodef_build.h"
#include "base/record_id.h"
#include "formats/cef.h"
#include "formats/kv.h"
#include "formats/leef.h"
#include "formats/syslog_parse.h"

struct slice {
	const char *p; /* NULL: missing */
	size_t len;
};

enum { PAYLOAD_UNTRIED = 0, PAYLOAD_OK, PAYLOAD_FAILED };

struct gg_map_ctx {
	FILE *explain;
	pcre2_match_data *md;
	uint32_t md_pairs;
	pcre2_match_context *mctx;
	pcre2_jit_stack *jit;
	unsigned long match_limit, depth_limit;
	bool has_tz; /* the input's zone overrides the mapping's */
	int tz_minutes;

	/* Per record. */
	const struct gg_map_record *rec;
	struct slice msg;
	struct slice *caps;
	struct slice *caps_selected; /* caps after the mapping's own conditions */
	size_t caps_cap;
	struct gg_cef *cef;
	struct gg_leef *leef;
	struct gg_kv_list *kv;
	json_t *json;
	/* The element of an `each` mapping being mapped (NULL: the record is), its compact JSON
	 * for the RecordItem, and its id. */
	json_t *elem;
	struct slice item;
	char id[GG_MAP_ID_LEN];
	bool sink_stopped; /* the sink's code is being returned: err is not ours to prefix */
	int payload_state[GG_PAYLOAD_JSON + 1];
	char payload_error[sizeof(((struct gg_error *)0)->msg)];
	char **strs; /* strings made for this record (numbers, templates), freed after it */
	size_t n_strs, cap_strs;

	/* gg_map_line's parse of a line's syslog header. */
	struct gg_syslog_msg *line_msg;
	char *line_scratch;
	size_t line_scratch_size;
};

static const char *const facilities[24] = {
	"kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news",
	"uucp", "cron", "authpriv", "ftp", "ntp", "security", "console", "solaris-cron",
	"local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7",
};

int gg_map_ctx_new(FILE *explain, struct gg_map_ctx **out, struct gg_error *err)
{
	struct gg_map_ctx *ctx = calloc(1, sizeof(*ctx));

	*out = NULL;
	if (ctx == NULL)
		return gg_error_set(err, -ENOMEM, "out of memory");
	ctx->explain = explain;
	ctx->mctx = pcre2_match_context_create(NULL);
	/* 32 KiB .. 512 KiB: JIT's own stack bounds recursion the way the depth limit bounds
	 * the interpreter's. */
	ctx->jit = pcre2_jit_stack_create(32 * 1024, 512 * 1024, NULL);
	if (ctx->mctx == NULL || ctx->jit == NULL) {
		gg_map_ctx_free(ctx);
		return gg_error_set(err, -ENOMEM, "out of memory");
	}
	pcre2_jit_stack_assign(ctx->mctx, NULL, ctx->jit);
	*out = ctx;
	return 0;
}

/* Frees the strings kept since there were mark of them: an element's, when it is done. */
static void release_strs(struct gg_map_ctx *ctx, size_t mark)
{
	while (ctx->n_strs > mark)
		free(ctx->strs[--ctx->n_strs]);
}

static void record_done(struct gg_map_ctx *ctx)
{
	gg_cef_free(ctx->cef);
	gg_leef_free(ctx->leef);
	gg_kv_list_free(ctx->kv);
	json_decref(ctx->json);
	ctx->cef = NULL;
	ctx->leef = NULL;
	ctx->kv = NULL;
	ctx->json = NULL;
	memset(ctx->payload_state, 0, sizeof(ctx->payload_state));
	release_strs(ctx, 0);
}

void gg_map_ctx_set_timezone(struct gg_map_ctx *ctx, int minutes_east)
{
	ctx->has_tz = true;
	ctx->tz_minutes = minutes_east;
}

static int zone_of(const struct gg_map_ctx *ctx, const struct gg_map *m)
{
	return ctx->has_tz ? ctx->tz_minutes : m->tz_minutes;
}

void gg_map_ctx_free(struct gg_map_ctx *ctx)
{
	if (ctx == NULL)
		return;
	record_done(ctx);
	free(ctx->strs);
	free(ctx->line_msg);
	free(ctx->line_scratch);
	free(ctx->caps);
	free(ctx->caps_selected);
	pcre2_match_data_free(ctx->md);
	pcre2_match_context_free(ctx->mctx);
	pcre2_jit_stack_free(ctx->jit);
	free(ctx);
}

/* Keeps s (malloc'd) until the record is done; NULL on OOM (s is freed). */
static char *keep(struct gg_map_ctx *ctx, char *s)
{
	if (s == NULL)
		return NULL;
	if (ctx->n_strs == ctx->cap_strs) {
		size_t cap = ctx->cap_strs ? ctx->cap_strs * 2 : 16;
		char **grown = realloc(ctx->strs, cap * sizeof(char *));

		if (grown == NULL) {
			free(s);
			return NULL;
		}
		ctx->strs = grown;
		ctx->cap_strs = cap;
	}
	ctx->strs[ctx->n_strs++] = s;
	return s;
}

static struct slice cstr(const char *s)
{
	return (struct slice){ s, s != NULL ? strlen(s) : 0 };
}

static struct slice syslog_str(const struct gg_syslog_str *s)
{
	return (struct slice){ s->ptr, s->len };
}

/* The syslog stamp as text gg_time_to_xs reads (yearless stays yearless: the slot infers the
 * year with the mapping's zone). */
static struct slice time_field(struct gg_map_ctx *ctx)
{
	char buf[GG_TIME_XS_MAX];

	if (gg_syslog_time_text(&ctx->rec->syslog->ts, buf, sizeof(buf)) != 0)
		return (struct slice){ NULL, 0 };
	return cstr(keep(ctx, strdup(buf)));
}

/* ------------------------------------------------------------------ payloads */

/* Parses the message as the mapping's payload once per record; later mappings of the same
 * payload reuse it. Returns false when it does not parse (the mapping does not apply). */
static bool payload_ready(struct gg_map_ctx *ctx, enum gg_map_payload pl)
{
	struct gg_kv_limits lim = { .flags = GG_KV_ALLOW_BAD_UTF8 };
	struct gg_error err;
	const char *p = ctx->msg.p;
	size_t len = ctx->msg.len;
	int r = -EINVAL;

	if (pl == GG_PAYLOAD_TEXT || (unsigned)pl > GG_PAYLOAD_JSON)
		return pl == GG_PAYLOAD_TEXT;
	if (ctx->payload_state[pl] != PAYLOAD_UNTRIED)
		return ctx->payload_state[pl] == PAYLOAD_OK;
	gg_error_clear(&err);
	lim.max_len = len + 1;
	switch (pl) {
	case GG_PAYLOAD_CEF:
	case GG_PAYLOAD_LEEF: {
		/* Devices put a host name or a stamp before the marker; the payload starts there.
		 * An RFC 3164 parse may have taken "CEF" for the TAG, so the raw record is the
		 * second place to look. */
		const char *marker = pl == GG_PAYLOAD_CEF ? "CEF:" : "LEEF:";
		const char *at = memmem(p, len, marker, strlen(marker));

		if (at == NULL) {
			p = ctx->rec->raw;
			len = ctx->rec->raw_len;
			at = memmem(p, len, marker, strlen(marker));
		}
		if (at == NULL) {
			snprintf(err.msg, sizeof(err.msg), "no '%s' in the message", marker);
			break;
		}
		len -= (size_t)(at - p);
		lim.max_len = len + 1;
		r = pl == GG_PAYLOAD_CEF ? gg_cef_parse(at, len, &lim, &ctx->cef, &err)
					 : gg_leef_parse(at, len, &lim, &ctx->leef, &err);
		break;
	}
	case GG_PAYLOAD_KV:
		r = gg_kv_parse(p, len, &lim, &ctx->kv, &err);
		break;
	case GG_PAYLOAD_JSON: {
		const char *brace = memchr(p, '{', len);
		json_error_t jerr;

		if (brace == NULL) {
			snprintf(err.msg, sizeof(err.msg), "no JSON object in the message");
			break;
		}
		ctx->json = json_loadb(brace, len - (size_t)(brace - p),
				       JSON_REJECT_DUPLICATES | JSON_DISABLE_EOF_CHECK, &jerr);
		if (ctx->json == NULL || !json_is_object(ctx->json))
			snprintf(err.msg, sizeof(err.msg), "json: %s", jerr.text);
		else
			r = 0;
		break;
	}
	case GG_PAYLOAD_TEXT:
		break;
	}
	ctx->payload_state[pl] = r == 0 ? PAYLOAD_OK : PAYLOAD_FAILED;
	if (r != 0)
		snprintf(ctx->payload_error, sizeof(ctx->payload_error), "%s", err.msg);
	return r == 0;
}

/* Whether the message could be the payload at all, by its marker: a memmem instead of a
 * mapping's selection regexes on every record that is plainly something else. */
static bool payload_possible(const struct gg_map_ctx *ctx, enum gg_map_payload pl)
{
	const struct gg_map_record *rec = ctx->rec;

	switch (pl) {
	case GG_PAYLOAD_CEF:
		return memmem(rec->raw, rec->raw_len, "CEF:", 4) != NULL;
	case GG_PAYLOAD_LEEF:
		return memmem(rec->raw, rec->raw_len, "LEEF:", 5) != NULL;
	case GG_PAYLOAD_JSON:
		return memchr(ctx->msg.p, '{', ctx->msg.len) != NULL;
	case GG_PAYLOAD_KV:
	case GG_PAYLOAD_TEXT:
		break;
	}
	return true;
}

/* Reads the reference token of a JSON pointer that starts at p (after its '/') into token,
 * unescaping ~0 and ~1; returns where the next '/' or the end is. */
static const char *pointer_token(const char *p, char token[256], size_t *len)
{
	size_t n = 0;

	for (; *p != '\0' && *p != '/'; p++) {
		char c = *p;

		if (c == '~' && (p[1] == '0' || p[1] == '1'))
			c = *++p == '0' ? '~' : '/';
		if (n + 1 < 256)
			token[n++] = c;
	}
	token[n] = '\0';
	*len = n;
	return p;
}

/* The member of an object or the element of an array that token names, or NULL. */
static json_t *json_step(json_t *v, const char *token, size_t len)
{
	if (json_is_object(v))
		return json_object_get(v, token);
	if (json_is_array(v)) {
		char *end;
		unsigned long i = strtoul(token, &end, 10);

		return len > 0 && *end == '\0' ? json_array_get(v, i) : NULL;
	}
	return NULL;
}

/* RFC 6901 JSON pointer, from the element being mapped, or from the record (outer, or when no
 * element is). */
static struct slice json_field(struct gg_map_ctx *ctx, const struct gg_field *f)
{
	json_t *v = f->outer || ctx->elem == NULL ? ctx->json : ctx->elem;
	const char *p = f->key;
	char token[256];

	while (v != NULL && *p == '/') {
		size_t n;

		p = pointer_token(p + 1, token, &n);
		v = json_step(v, token, n);
	}
	if (v == NULL)
		return (struct slice){ NULL, 0 };
	if (json_is_string(v))
		return (struct slice){ json_string_value(v), json_string_length(v) };
	if (json_is_integer(v)) {
		char *s;

		if (asprintf(&s, "%" JSON_INTEGER_FORMAT, json_integer_value(v)) < 0)
			s = NULL;
		return cstr(keep(ctx, s));
	}
	if (json_is_real(v)) {
		char *s;

		if (asprintf(&s, "%.17g", json_real_value(v)) < 0)
			s = NULL;
		return cstr(keep(ctx, s));
	}
	if (json_is_boolean(v))
		return cstr(json_is_true(v) ? "true" : "false");
	return (struct slice){ NULL, 0 };
}

static struct slice kv_field(const struct gg_kv_list *list, const char *key)
{
	const struct gg_kv *kv = list != NULL ? gg_kv_find(list, key) : NULL;

	return kv != NULL ? (struct slice){ kv->value, kv->value_len } : (struct slice){ NULL, 0 };
}

static struct slice sd_field(const struct gg_syslog_msg *m, const char *id, const char *param)
{
	size_t id_len = strlen(id), param_len = strlen(param);

	for (size_t e = 0; e < m->n_sd; e++) {
		const struct gg_syslog_sd_element *el = &m->sd[e];

		if (el->id.len != id_len || memcmp(el->id.ptr, id, id_len) != 0)
			continue;
		for (size_t i = el->first_param; i < el->first_param + el->n_params; i++)
			if (m->params[i].name.len == param_len &&
			    memcmp(m->params[i].name.ptr, param, param_len) == 0)
				return syslog_str(&m->params[i].value);
	}
	return (struct slice){ NULL, 0 };
}

static struct slice builtin_field(struct gg_map_ctx *ctx, enum gg_builtin b)
{
	const struct gg_map_record *rec = ctx->rec;
	const struct gg_syslog_msg *m = rec->syslog;
	char *s;

	switch (b) {
	case GG_B_INPUT:
		return cstr(rec->input);
	case GG_B_PEER:
		return cstr(rec->peer);
	case GG_B_RAW:
		return (struct slice){ rec->raw, rec->raw_len };
	case GG_B_MSG:
		return ctx->msg;
	case GG_B_FORMAT:
		return cstr(m == NULL ? "none" : m->format == GG_SYSLOG_5424 ? "rfc5424" : "rfc3164");
	default:
		break;
	}
	if (b >= GG_B_CEF_VENDOR && b <= GG_B_CEF_SEVERITY) {
		const struct gg_cef *c = payload_ready(ctx, GG_PAYLOAD_CEF) ? ctx->cef : NULL;

		if (c == NULL)
			return (struct slice){ NULL, 0 };
		switch (b) {
		case GG_B_CEF_VENDOR: return cstr(c->device_vendor);
		case GG_B_CEF_PRODUCT: return cstr(c->device_product);
		case GG_B_CEF_VERSION: return cstr(c->device_version);
		case GG_B_CEF_CLASS: return cstr(c->signature_id);
		case GG_B_CEF_NAME: return cstr(c->name);
		default:
			if (c->severity == GG_CEF_SEVERITY_UNKNOWN)
				return (struct slice){ NULL, 0 };
			if (asprintf(&s, "%d", c->severity) < 0)
				s = NULL;
			return cstr(keep(ctx, s));
		}
	}
	if (b >= GG_B_LEEF_VENDOR && b <= GG_B_LEEF_EVENT) {
		const struct gg_leef *l = payload_ready(ctx, GG_PAYLOAD_LEEF) ? ctx->leef : NULL;

		if (l == NULL)
			return (struct slice){ NULL, 0 };
		return cstr(b == GG_B_LEEF_VENDOR ? l->vendor : b == GG_B_LEEF_PRODUCT ? l->product
			    : b == GG_B_LEEF_VERSION ? l->product_version : l->event_id);
	}
	if (m == NULL)
		return (struct slice){ NULL, 0 };
	switch (b) {
	case GG_B_HOST: return syslog_str(&m->hostname);
	case GG_B_APP: return syslog_str(&m->app_name);
	case GG_B_PID: return syslog_str(&m->procid);
	case GG_B_MSGID: return syslog_str(&m->msgid);
	case GG_B_FACILITY:
		return cstr(m->facility >= 0 && m->facility < 24 ? facilities[m->facility] : NULL);
	case GG_B_SEVERITY:
		if (asprintf(&s, "%d", m->severity) < 0)
			s = NULL;
		return cstr(keep(ctx, s));
	case GG_B_TIME:
		return time_field(ctx);
	default:
		return (struct slice){ NULL, 0 };
	}
}

static struct slice field_value(struct gg_map_ctx *ctx, const struct gg_field *f)
{
	switch (f->kind) {
	case GG_FIELD_BUILTIN:
		return builtin_field(ctx, (enum gg_builtin)f->index);
	case GG_FIELD_CAPTURE:
		return ctx->caps[f->index];
	case GG_FIELD_SD:
		return ctx->rec->syslog != NULL ? sd_field(ctx->rec->syslog, f->key, f->key2)
						: (struct slice){ NULL, 0 };
	case GG_FIELD_PAYLOAD:
		/* Parsed on first use: a mapping whose header conditions fail never pays for it. */
		if (!payload_ready(ctx, (enum gg_map_payload)f->index))
			return (struct slice){ NULL, 0 };
		return kv_field(f->index == GG_PAYLOAD_CEF ? ctx->cef->ext
				: f->index == GG_PAYLOAD_LEEF ? ctx->leef->attrs : ctx->kv, f->key);
	case GG_FIELD_JSON:
		if (!payload_ready(ctx, GG_PAYLOAD_JSON))
			return (struct slice){ NULL, 0 };
		return json_field(ctx, f);
	}
	return (struct slice){ NULL, 0 };
}

/* ------------------------------------------------------------------ conditions */

static void explain(struct gg_map_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void explain(struct gg_map_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	if (ctx->explain == NULL)
		return;
	va_start(ap, fmt);
	vfprintf(ctx->explain, fmt, ap);
	va_end(ap);
}

static bool equals(struct slice v, const char *s)
{
	size_t n = strlen(s);

	return v.p != NULL && v.len == n && memcmp(v.p, s, n) == 0;
}

/* 1 true, 0 false, <0 error (err filled). */
static int regex_match(struct gg_map_ctx *ctx, const struct gg_mapset *set,
		       const struct gg_map_cond *c, struct slice v, struct gg_error *err)
{
	int rc;
	PCRE2_SIZE *ov;

	if (v.len > set->limits.max_field_len)
		return gg_error_set(err, -E2BIG, "line %d: field of %zu bytes is longer than the "
				    "%zu a regex may read", c->line, v.len,
				    set->limits.max_field_len);
	rc = pcre2_match(c->re, (PCRE2_SPTR)v.p, v.len, 0, 0, ctx->md, ctx->mctx);
	if (rc == PCRE2_ERROR_NOMATCH)
		return 0;
	if (rc < 0) {
		PCRE2_UCHAR msg[128];

		pcre2_get_error_message(rc, msg, sizeof(msg));
		return gg_error_set(err, -ERANGE, "line %d: regex: %s", c->line,
				    (const char *)msg);
	}
	ov = pcre2_get_ovector_pointer(ctx->md);
	/* A group that did not take part is empty, not missing: an optional part of a line
	 * must not blank a whole template ("failed ${invalid}${user}"). Two passes, because
	 * alternatives may share a name (PCRE2_DUPNAMES) and the one that took part wins. */
	for (int pass = 0; pass < 2; pass++)
		for (uint32_t g = 1; g <= c->n_groups; g++) {
			int var = c->group_var[g];
			bool unset = ov[2 * g] == PCRE2_UNSET;

			if (var < 0 || unset != (pass == 0))
				continue;
			ctx->caps[var] = unset ? (struct slice){ "", 0 }
				: (struct slice){ v.p + ov[2 * g], ov[2 * g + 1] - ov[2 * g] };
		}
	return 1;
}

static int cond_true(struct gg_map_ctx *ctx, const struct gg_mapset *set,
		     const struct gg_map_cond *c, struct gg_error *err)
{
	struct slice v = field_value(ctx, &c->field);

	switch (c->op) {
	case GG_OP_EXISTS:
		return v.p != NULL;
	case GG_OP_ABSENT:
		return v.p == NULL;
	case GG_OP_EQ:
		return equals(v, c->values[0]);
	case GG_OP_NE:
		return !equals(v, c->values[0]);
	case GG_OP_IN:
		for (size_t i = 0; i < c->n_values; i++)
			if (equals(v, c->values[i]))
				return 1;
		return 0;
	case GG_OP_MATCH:
		return v.p != NULL ? regex_match(ctx, set, c, v, err) : 0;
	}
	return 0;
}

/* The trace stays readable on long lines and patterns: each is cut to this many bytes. */
#define EXPLAIN_TEXT_MAX 72

/* Writes s (at most max bytes of it, then "...") with bytes that are not printable ASCII
 * escaped, and in a quoted value (quoted) quotes and backslashes too: one line of trace,
 * whatever the record holds. A mapping's own text keeps its backslashes: it is a regex. */
static void explain_text(FILE *fp, const char *s, size_t len, size_t max, bool quoted)
{
	for (size_t i = 0; i < len && i < max; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (quoted && (ch == '"' || ch == '\\'))
			fprintf(fp, "\\%c", ch);
		else if (ch < 0x20 || ch >= 0x7f)
			fprintf(fp, "\\x%02x", ch);
		else
			fputc(ch, fp);
	}
	if (len > max)
		fputs("...", fp);
}

/* Why condition c is false for this record: the condition as written, then the value it
 * looked at ("no match on \"...\"") or that there was none. */
static void explain_no(struct gg_map_ctx *ctx, const struct gg_map_cond *c)
{
	FILE *fp = ctx->explain;
	const char *text = c->text != NULL ? c->text : "";
	/* The field is the condition's second word: "match msg ^x", "when app in sshd". */
	const char *field = strchr(text, ' ') != NULL ? strchr(text, ' ') + 1 : "";
	int field_len = (int)strcspn(field, " \t");
	struct slice v;

	if (fp == NULL)
		return;
	v = field_value(ctx, &c->field);
	fprintf(fp, "    line %d: ", c->line);
	explain_text(fp, text, strlen(text), EXPLAIN_TEXT_MAX, false);
	if (v.p == NULL) {
		fprintf(fp, ": no: %.*s is missing\n", field_len, field);
		return;
	}
	if (c->op == GG_OP_MATCH)
		fputs(": no match on \"", fp);
	else
		fprintf(fp, ": no: %.*s is \"", field_len, field);
	explain_text(fp, v.p, v.len, EXPLAIN_TEXT_MAX, true);
	fputs("\"\n", fp);
}

static int all_true(struct gg_map_ctx *ctx, const struct gg_mapset *set,
		    const struct gg_map_cond *conds, size_t n, struct gg_error *err)
{
	for (size_t i = 0; i < n; i++) {
		int r = cond_true(ctx, set, &conds[i], err);

		if (r <= 0) {
			if (r == 0)
				explain_no(ctx, &conds[i]);
			return r;
		}
	}
	return 1;
}

/* ------------------------------------------------------------------ slots */

/* The template's text, or NULL when a field it names is missing. */
static char *render(struct gg_map_ctx *ctx, const struct gg_map_set_stmt *st, bool *oom)
{
	size_t len = 0, pos = 0;
	struct slice *vals = NULL;
	char *out;

	if (st->n_parts > 0 && (vals = malloc(st->n_parts * sizeof(*vals))) == NULL) {
		*oom = true;
		return NULL;
	}
	for (size_t i = 0; i < st->n_parts; i++) {
		const struct gg_tpl_part *p = &st->parts[i];

		vals[i] = p->text != NULL ? cstr(p->text) : field_value(ctx, &p->field);
		if (vals[i].p == NULL && p->optional)
			vals[i] = cstr("");
		/* A NUL inside a field would silently cut the text at it: such a value is no
		 * text at all, so the slot is left out like other non-XML text. */
		if (vals[i].p != NULL && memchr(vals[i].p, '\0', vals[i].len) != NULL) {
			explain(ctx, "    line %d: %s: a field holds a NUL byte: left out\n",
				st->line, gg_slot_name(st->slot));
			vals[i].p = NULL;
		}
		if (vals[i].p == NULL) {
			free(vals);
			return NULL;
		}
		len += vals[i].len;
	}
	out = malloc(len + 1);
	if (out == NULL) {
		*oom = true;
		free(vals);
		return NULL;
	}
	for (size_t i = 0; i < st->n_parts; i++) {
		memcpy(out + pos, vals[i].p, vals[i].len);
		pos += vals[i].len;
	}
	out[pos] = '\0';
	free(vals);
	return out;
}

static const char *eval_set(struct gg_map_ctx *ctx, const struct gg_map_set_stmt *st, bool *oom)
{
	char *v = render(ctx, st, oom);

	for (size_t i = 0; i < st->n_xforms && !*oom; i++) {
		const char *why = NULL;
		char *next = gg_xform_apply(&st->xforms[i], v, &why);

		if (next == NULL && why == NULL)
			*oom = true;
		else if (next == NULL && v != NULL)
			explain(ctx, "    line %d: %s: '%s' %s\n", st->line,
				gg_slot_name(st->slot), v, why);
		free(v);
		v = next;
	}
	return keep(ctx, v);
}

/* A Port (0-65535) or an IODEF Portlist: \d+(-\d+)?(,\d+(-\d+)?)* */
static bool port_text(const char *s)
{
	const char *p = s;
	bool list = strpbrk(s, ",-") != NULL;

	for (;;) {
		size_t n = strspn(p, "0123456789");

		if (n == 0 || n > 5)
			return false;
		p += n;
		if (*p == '-') {
			n = strspn(++p, "0123456789");
			if (n == 0 || n > 5)
				return false;
			p += n;
		}
		if (*p == '\0')
			break;
		if (*p++ != ',')
			return false;
	}
	return list || strtol(s, NULL, 10) <= 65535;
}

/* Exactly len hex digits (a digest of the slot's algorithm). */
static bool hex_text(const char *s, size_t len)
{
	return strlen(s) == len && strspn(s, "0123456789abcdefABCDEF") == len;
}

/* Whether the schema takes v as an xs:anyURI: libxml2 reads one as a URI once the characters
 * RFC 3986 does not allow (blanks, quotes, <>{}|\^`, non-ASCII) are replaced, as it does here
 * (a webhook's "http://host:port" with a bad port is no URI). -1 when out of memory. */
static int uri_text(const char *v)
{
	char *tmp = strdup(v);
	xmlURIPtr uri;

	if (tmp == NULL)
		return -1;
	for (unsigned char *c = (unsigned char *)tmp; *c != '\0'; c++)
		if (*c < 32 || *c >= 127 || strchr(" <>\"{}|\\^`'", *c) != NULL)
			*c = '_';
	uri = xmlParseURI(tmp);
	free(tmp);
	if (uri == NULL)
		return 0;
	xmlFreeURI(uri);
	return 1;
}

/* Checks one slot value against what its IODEF element accepts; false drops it. */
static bool slot_ok(struct gg_map_ctx *ctx, const struct gg_map *m, enum gg_slot s, const char *v,
		    struct gg_map_out *o, char times[3][GG_TIME_XS_MAX])
{
	const char *const *vocab = gg_slot_vocabulary(s);
	const char *why = NULL;

	if (v[0] == '\0')
		return false; /* an optional group that matched nothing: nothing to say */
	if (gg_xml_text_prefix(v, strlen(v)) != strlen(v))
		why = "is not XML text";
	else if (vocab != NULL && !gg_in_vocabulary(vocab, v))
		why = "is not one of the slot's values";
	else if (s == GG_S_DETECT_TIME || s == GG_S_START_TIME || s == GG_S_END_TIME) {
		int i = s == GG_S_DETECT_TIME ? 0 : s == GG_S_START_TIME ? 1 : 2;

		if (gg_time_to_xs(v, zone_of(ctx, m), ctx->rec->now, times[i], GG_TIME_XS_MAX) != 0)
			why = "is not a timestamp in a known format";
		else if (i == 0)
			o->detect_time = times[0];
		else if (i == 1)
			o->start_time = times[1];
		else
			o->end_time = times[2];
	} else if ((s == GG_S_SRC_ADDRESS || s == GG_S_DST_ADDRESS ||
		    s == GG_S_INDICATOR_ADDRESS) && gg_address_category(v) == NULL) {
		why = "is not an IPv4 or IPv6 address or network (a name goes in a .host slot)";
	} else if (gg_hash_slot_length(s) > 0 && !hex_text(v, gg_hash_slot_length(s))) {
		why = "is not a hash of the slot's length in hex";
	} else if (s == GG_S_REFERENCE_URL && uri_text(v) != 1) {
		why = "is not a URI";
	} else if (s == GG_S_INDICATOR_DOMAIN && strpbrk(v, " \t/:@") != NULL) {
		why = "is not a domain name";
	} else if ((s == GG_S_SRC_PORT || s == GG_S_DST_PORT) && !port_text(v))
		why = "is not a port, range or list";
	else if (s == GG_S_PROTOCOL) {
		o->ip_protocol = gg_protocol_number(v);
		if (o->ip_protocol < 0)
			why = "is not a protocol name or number";
	}
	if (why != NULL) {
		explain(ctx, "    %s: '%s' %s: left out\n", gg_slot_name(s), v, why);
		return false;
	}
	return true;
}

static int fill_slots(struct gg_map_ctx *ctx, const struct gg_map *m, const struct gg_map_rule *r,
		      struct gg_map_out *o, char times[3][GG_TIME_XS_MAX])
{
	bool oom = false;
	const struct gg_map_set_stmt *lists[2] = { m->sets, r != NULL ? r->sets : NULL };
	size_t counts[2] = { m->n_sets, r != NULL ? r->n_sets : 0 };

	/* Mapping-wide sets first, the rule's after them: the rule's value wins. */
	for (int l = 0; l < 2; l++)
		for (size_t i = 0; i < counts[l]; i++) {
			const struct gg_map_set_stmt *st = &lists[l][i];
			const char *v = eval_set(ctx, st, &oom);

			if (oom)
				return -ENOMEM;
			if (v == NULL)
				continue;
			if (slot_ok(ctx, m, st->slot, v, o, times)) {
				o->slot[st->slot] = v;
				explain(ctx, "    %s = %s\n", gg_slot_name(st->slot), v);
			}
		}
	/* Without a mapped time, the syslog header's stamp is the detection time. */
	if (o->detect_time == NULL && ctx->rec->syslog != NULL) {
		char stamp[GG_TIME_XS_MAX];

		if (gg_syslog_time_text(&ctx->rec->syslog->ts, stamp, sizeof(stamp)) == 0 &&
		    gg_time_to_xs(stamp, zone_of(ctx, m), ctx->rec->now, times[0],
				  GG_TIME_XS_MAX) == 0)
			o->detect_time = times[0];
	}
	return 0;
}

static void explain_captures(struct gg_map_ctx *ctx, const struct gg_map *m)
{
	for (size_t i = 0; i < m->n_vars && ctx->explain != NULL; i++)
		if (ctx->caps[i].p != NULL)
			explain(ctx, "    %s = %.*s\n", m->vars[i], (int)ctx->caps[i].len,
				ctx->caps[i].p);
}

/* ------------------------------------------------------------------ apply */

static int ensure_capacity(struct gg_map_ctx *ctx, const struct gg_mapset *set,
			   struct gg_error *err)
{
	if (ctx->md == NULL || ctx->md_pairs < set->max_groups) {
		pcre2_match_data_free(ctx->md);
		ctx->md_pairs = set->max_groups > 1 ? set->max_groups : 1;
		ctx->md = pcre2_match_data_create(ctx->md_pairs, NULL);
		if (ctx->md == NULL)
			return gg_error_set(err, -ENOMEM, "out of memory");
	}
	if (ctx->caps_cap < set->max_vars) {
		struct slice *grown = realloc(ctx->caps, set->max_vars * sizeof(*grown));

		if (grown == NULL)
			return gg_error_set(err, -ENOMEM, "out of memory");
		ctx->caps = grown;
		grown = realloc(ctx->caps_selected, set->max_vars * sizeof(*grown));
		if (grown == NULL)
			return gg_error_set(err, -ENOMEM, "out of memory");
		ctx->caps_selected = grown;
		ctx->caps_cap = set->max_vars;
	}
	if (ctx->match_limit != set->limits.regex_match_limit ||
	    ctx->depth_limit != set->limits.regex_depth_limit) {
		pcre2_set_match_limit(ctx->mctx, (uint32_t)set->limits.regex_match_limit);
		pcre2_set_depth_limit(ctx->mctx, (uint32_t)set->limits.regex_depth_limit);
		ctx->match_limit = set->limits.regex_match_limit;
		ctx->depth_limit = set->limits.regex_depth_limit;
	}
	return 0;
}

static void clear_caps(struct gg_map_ctx *ctx, const struct gg_map *m)
{
	for (size_t i = 0; i < m->n_vars; i++)
		ctx->caps[i] = (struct slice){ NULL, 0 };
}

/* The RecordItem: the record's bytes (or the element's JSON) as text, or in base64 when they
 * are not XML text. */
static int raw_item(struct gg_map_ctx *ctx, struct gg_map_out *o)
{
	/* An element's document carries the element, not the whole record again. */
	struct slice raw = ctx->elem != NULL ? ctx->item
			   : (struct slice){ ctx->rec->raw, ctx->rec->raw_len };
	char *item;

	o->raw_is_text = gg_xml_text_prefix(raw.p, raw.len) == raw.len;
	if (o->raw_is_text) {
		item = strndup(raw.p, raw.len);
	} else {
		item = malloc(4 * ((raw.len + 2) / 3) + 1);
		if (item != NULL)
			EVP_EncodeBlock((unsigned char *)item, (const unsigned char *)raw.p,
					(int)raw.len);
	}
	o->raw_item = keep(ctx, item);
	return o->raw_item != NULL ? 0 : -ENOMEM;
}

/* Hands res to the sink and frees the document it left. */
static int hand(struct gg_map_ctx *ctx, struct gg_map_result *res, gg_map_sink sink, void *arg)
{
	int r = sink(arg, res);

	xmlFreeDoc(res->doc);
	res->doc = NULL;
	if (r < 0)
		ctx->sink_stopped = true;
	return r < 0 ? r : 0;
}

/* The rule of m that takes the record or the element: 1 with *rule (NULL for a mapping
 * without rules), 0 when none does, <0 on error. */
static int pick_rule(struct gg_map_ctx *ctx, const struct gg_mapset *set, const struct gg_map *m,
		     const struct gg_map_rule **rule, struct gg_error *err)
{
	*rule = NULL;
	for (size_t i = 0; i < m->n_rules; i++) {
		int r;

		/* Groups a rule that failed half-way captured must not leak into the next. */
		if (m->n_vars > 0)
			memcpy(ctx->caps, ctx->caps_selected, m->n_vars * sizeof(*ctx->caps));
		explain(ctx, "  rule %s (line %d)\n", m->rules[i].name, m->rules[i].line);
		r = all_true(ctx, set, m->rules[i].conds, m->rules[i].n_conds, err);
		if (r != 0) {
			*rule = r > 0 ? &m->rules[i] : NULL;
			return r;
		}
	}
	return m->n_rules == 0;
}

/* Builds the incident of the record or element rule took (its payload parsed) into res. */
static int build_result(struct gg_map_ctx *ctx, const struct gg_map *m,
			const struct gg_map_rule *rule, const struct gg_iodef_defaults *defaults,
			struct gg_map_result *res, struct gg_error *err)
{
	struct gg_map_out o = { .ip_protocol = -1 };
	char times[3][GG_TIME_XS_MAX];
	int r;

	if ((r = fill_slots(ctx, m, rule, &o, times)) != 0 || (r = raw_item(ctx, &o)) != 0)
		return gg_error_set(err, r, "out of memory");
	r = gg_map_build(&o, res->id, defaults, ctx->rec->now, &res->doc, err);
	if (r == 0)
		res->verdict = GG_MAP_MAPPED;
	return r;
}

/* Maps the element ctx->elem (number i) with m's rules and hands its result over. Only a
 * failure to go on (out of memory, the sink's code) is returned: an element whose rules
 * fail is a failed result and the next elements are mapped all the same. */
static int map_element(struct gg_map_ctx *ctx, const struct gg_mapset *set,
		       const struct gg_map *m, const struct gg_iodef_defaults *defaults, size_t i,
		       gg_map_sink sink, void *arg, struct gg_error *err)
{
	struct gg_map_result res = { .verdict = GG_MAP_UNMATCHED, .element = (long)i,
				     .mapping = m->name };
	const struct gg_map_rule *rule;
	struct gg_error elem_err;
	char *item = json_dumps(ctx->elem, JSON_COMPACT | JSON_ENCODE_ANY);
	int r;

	if (keep(ctx, item) == NULL)
		return gg_error_set(err, -ENOMEM, "out of memory");
	ctx->item = cstr(item);
	snprintf(ctx->id, sizeof(ctx->id), "%s-%zu", ctx->rec->record_id, i);
	res.id = ctx->id;
	res.raw = ctx->item.p;
	res.raw_len = ctx->item.len;
	explain(ctx, "  element %zu (%s)\n", i, ctx->id);
	gg_error_clear(&elem_err);
	r = pick_rule(ctx, set, m, &rule, &elem_err);
	if (r > 0) {
		res.rule = rule != NULL ? rule->name : "(mapping)";
		explain_captures(ctx, m);
		if (rule != NULL && rule->drop) {
			explain(ctx, "  drop: ignored on purpose\n");
			res.verdict = GG_MAP_IGNORED;
		} else {
			explain(ctx, "  matched\n");
			r = build_result(ctx, m, rule, defaults, &res, &elem_err);
		}
	}
	if (r == -ENOMEM)
		return gg_error_set(err, r, "%s", elem_err.msg);
	if (r < 0) {
		gg_error_prefix(&elem_err, "mapping %s: element %zu: ", m->name, i);
		res.error = r;
		res.why = &elem_err;
		res.rule = NULL;
	} else if (r == 0) {
		explain(ctx, "  element unmatched\n");
	}
	return hand(ctx, &res, sink, arg);
}

/* Counts the elements of the arrays at pointer p under v (a segment "*" walks every element
 * of an array there) and, when elems is not NULL, collects them. *found: an array was there. */
static void each_walk(json_t *v, const char *p, json_t **elems, size_t *n, bool *found)
{
	char token[256];
	size_t len;

	if (*p == '\0') {
		if (!json_is_array(v))
			return;
		*found = true;
		for (size_t i = 0; i < json_array_size(v); i++, (*n)++)
			if (elems != NULL)
				elems[*n] = json_array_get(v, i);
		return;
	}
	p = pointer_token(p + 1, token, &len);
	if (strcmp(token, "*") == 0) {
		for (size_t i = 0; i < json_array_size(v); i++)
			each_walk(json_array_get(v, i), p, elems, n, found);
		return;
	}
	if ((v = json_step(v, token, len)) != NULL)
		each_walk(v, p, elems, n, found);
}

/* An `each` mapping that selected the record: one result per element. 1 done, 0 when the
 * record has none of the arrays (the mapping is not for it), <0 on error. */
static int explode(struct gg_map_ctx *ctx, const struct gg_mapset *set, const struct gg_map *m,
		   const struct gg_iodef_defaults *defaults, gg_map_sink sink, void *arg,
		   struct gg_error *err)
{
	size_t n = 0, mark;
	json_t **elems;
	bool found = false;
	int r = 0;

	if (!payload_ready(ctx, GG_PAYLOAD_JSON)) {
		explain(ctx, "  payload: %s\n", ctx->payload_error);
		return 0;
	}
	for (size_t k = 0; k < m->n_each; k++)
		each_walk(ctx->json, m->each[k], NULL, &n, &found);
	if (!found) {
		explain(ctx, "  each: no array at %s%s\n", m->each[0], m->n_each > 1 ? "..." : "");
		return 0;
	}
	/* Refused before anything is handed over: a record is mapped whole or not at all. */
	if (n > set->limits.max_elements)
		return gg_error_set(err, -E2BIG, "each: %zu elements, more than the %zu a record "
				    "may have", n, set->limits.max_elements);
	explain(ctx, "  each: %zu elements\n", n);
	if (n == 0) {
		/* A bundle or event with nothing in it: nothing to report, on purpose. */
		struct gg_map_result res = { .verdict = GG_MAP_IGNORED, .id = ctx->rec->record_id,
					     .element = -1, .raw = ctx->rec->raw,
					     .raw_len = ctx->rec->raw_len, .mapping = m->name,
					     .rule = "(no elements)" };

		r = hand(ctx, &res, sink, arg);
		return r < 0 ? r : 1;
	}
	if ((elems = malloc(n * sizeof(*elems))) == NULL)
		return gg_error_set(err, -ENOMEM, "out of memory");
	n = 0;
	for (size_t k = 0; k < m->n_each; k++)
		each_walk(ctx->json, m->each[k], elems, &n, &found);
	mark = ctx->n_strs;
	for (size_t i = 0; i < n && r == 0; i++) {
		ctx->elem = elems[i];
		r = map_element(ctx, set, m, defaults, i, sink, arg, err);
		ctx->elem = NULL;
		/* An element's strings go with it: a big record's stay bounded by one. */
		release_strs(ctx, mark);
	}
	free(elems);
	return r < 0 ? r : 1;
}

/* Tries one mapping: 1 decided (its results handed over), 0 not selected or no rule
 * matched, <0 error. */
static int try_map(struct gg_map_ctx *ctx, const struct gg_mapset *set, const struct gg_map *m,
		   const struct gg_iodef_defaults *defaults, gg_map_sink sink, void *arg,
		   struct gg_error *err)
{
	struct gg_map_result res = { .verdict = GG_MAP_UNMATCHED, .id = ctx->rec->record_id,
				     .element = -1, .raw = ctx->rec->raw,
				     .raw_len = ctx->rec->raw_len, .mapping = m->name };
	const struct gg_map_rule *rule;
	int r;

	explain(ctx, "mapping %s (%s)\n", m->name, m->path);
	if (!payload_possible(ctx, m->payload)) {
		explain(ctx, "  payload: no marker of it in the record\n");
		return 0;
	}
	clear_caps(ctx, m);
	if ((r = all_true(ctx, set, m->conds, m->n_conds, err)) <= 0)
		return r;
	if (m->n_vars > 0)
		memcpy(ctx->caps_selected, ctx->caps, m->n_vars * sizeof(*ctx->caps));
	if (m->n_each > 0)
		return explode(ctx, set, m, defaults, sink, arg, err);
	if ((r = pick_rule(ctx, set, m, &rule, err)) <= 0)
		return r;
	res.rule = rule != NULL ? rule->name : "(mapping)";
	explain(ctx, "  matched\n");
	explain_captures(ctx, m);
	/* A drop needs no payload its conditions did not read: a cheap text test can discard
	 * a record without parsing its JSON. */
	if (rule != NULL && rule->drop) {
		explain(ctx, "  drop: ignored on purpose\n");
		res.verdict = GG_MAP_IGNORED;
	} else if (!payload_ready(ctx, m->payload)) {
		/* A mapping makes documents only of records whose message is its payload. */
		explain(ctx, "  payload: %s\n", ctx->payload_error);
		return 0;
	} else if ((r = build_result(ctx, m, rule, defaults, &res, err)) != 0) {
		return r;
	}
	r = hand(ctx, &res, sink, arg);
	return r < 0 ? r : 1;
}

int gg_map_apply(struct gg_map_ctx *ctx, const struct gg_mapset *set,
		 const struct gg_map_record *rec, const struct gg_iodef_defaults *defaults,
		 gg_map_sink sink, void *arg, struct gg_error *err)
{
	int r;

	if ((r = ensure_capacity(ctx, set, err)) != 0)
		return r;
	ctx->rec = rec;
	ctx->sink_stopped = false;
	if (rec->syslog != NULL)
		ctx->msg = syslog_str(&rec->syslog->msg);
	else
		ctx->msg = (struct slice){ rec->raw, rec->raw_len };
	if (ctx->msg.p == NULL)
		ctx->msg = (struct slice){ "", 0 };
	/* A line end left in a message (a sender's template, a CRLF file read by logger -f) is
	 * framing, not content: regexes anchored with $ must not trip over it. raw keeps it. */
	while (ctx->msg.len > 0 &&
	       (ctx->msg.p[ctx->msg.len - 1] == '\n' || ctx->msg.p[ctx->msg.len - 1] == '\r'))
		ctx->msg.len--;
	/* So are blanks before it: rsyslog relaying in RFC 5424 keeps the SP that followed the
	 * 3164 TAG ("sshd 18872 - -  Failed password"), and regexes anchored with ^ must not
	 * trip over that either. */
	while (ctx->msg.len > 0 && (ctx->msg.p[0] == ' ' || ctx->msg.p[0] == '\t')) {
		ctx->msg.p++;
		ctx->msg.len--;
	}
	for (size_t i = 0; i < set->n_maps; i++) {
		r = try_map(ctx, set, &set->maps[i], defaults, sink, arg, err);
		if (r < 0 && !ctx->sink_stopped)
			gg_error_prefix(err, "mapping %s: ", set->maps[i].name);
		if (r != 0)
			break;
	}
	if (r == 0) {
		struct gg_map_result res = { .verdict = GG_MAP_UNMATCHED, .id = rec->record_id,
					     .element = -1, .raw = rec->raw,
					     .raw_len = rec->raw_len };

		explain(ctx, "unmatched\n");
		r = hand(ctx, &res, sink, arg);
	}
	record_done(ctx);
	return r < 0 ? r : 0;
}

int gg_map_line(struct gg_map_ctx *ctx, const struct gg_mapset *set, const char *input,
		const char *origin, uint64_t lineno, const char *line, size_t len, time_t now,
		const struct gg_iodef_defaults *defaults, gg_map_sink sink, void *arg,
		const struct gg_syslog_msg **header_out, struct gg_error *err)
{
	struct gg_syslog_limits limits = { .max_size = len,
					   .max_sd_elements = GG_SYSLOG_MAX_SD_ELEMENTS,
					   .max_sd_params = GG_SYSLOG_MAX_SD_PARAMS };
	struct gg_map_record rec = { .input = input, .raw = line, .raw_len = len, .now = now };
	char id[GG_RECORD_ID_LEN];
	struct gg_error parse_err;

	if (header_out != NULL)
		*header_out = NULL;
	if (ctx->line_msg == NULL && (ctx->line_msg = malloc(sizeof(*ctx->line_msg))) == NULL)
		return gg_error_set(err, -ENOMEM, "out of memory");
	/* Unescaped structured data is never longer than the line. */
	if (ctx->line_scratch_size < len) {
		char *grown = realloc(ctx->line_scratch, len);

		if (grown == NULL)
			return gg_error_set(err, -ENOMEM, "out of memory");
		ctx->line_scratch = grown;
		ctx->line_scratch_size = len;
	}
	gg_record_id(input, origin, lineno, line, len, id);
	rec.record_id = id;
	/* A line that is no syslog message (a JSON object, a fast.log alert) is all message. */
	if (gg_syslog_parse(line, len, &limits, ctx->line_scratch, ctx->line_scratch_size,
			    ctx->line_msg, &parse_err) == 0)
		rec.syslog = ctx->line_msg;
	if (header_out != NULL)
		*header_out = rec.syslog;
	return gg_map_apply(ctx, set, &rec, defaults, sink, arg, err);
}
