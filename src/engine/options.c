/* options.c: option tables: parsing a value by its row (sizes, durations, booleans, words,
 * ranges), defaults, freeing, and the texts that say what a row accepts. */
#include "engine/config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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

const struct gg_option *gg_option_find(const struct gg_option *table, const char *key)
{
	for (; table->key != NULL; table++)
		if (strcmp(table->key, key) == 0)
			return table;
	return NULL;
}

/* A number as the table's type writes it: 65536 -> 64k, 30000 -> 30s. */
void gg_option_format_number(const struct gg_option *opt, int64_t v, char *buf, size_t size)
{
	static const struct { const char *unit; int64_t n; } sizes[] = {
		{ "G", 1024LL * 1024 * 1024 }, { "M", 1024 * 1024 }, { "k", 1024 },
	}, durations[] = {
		{ "d", 86400000 }, { "h", 3600000 }, { "m", 60000 }, { "s", 1000 },
	};

	if ((opt->type == GG_OPT_SIZE || opt->type == GG_OPT_DURATION) && v != 0) {
		size_t n = opt->type == GG_OPT_SIZE ? 3 : 4;

		for (size_t i = 0; i < n && v != 0; i++) {
			const char *unit = opt->type == GG_OPT_SIZE ? sizes[i].unit : durations[i].unit;
			int64_t mult = opt->type == GG_OPT_SIZE ? sizes[i].n : durations[i].n;

			if (v % mult == 0) {
				snprintf(buf, size, "%" PRId64 "%s", v / mult, unit);
				return;
			}
		}
		snprintf(buf, size, "%" PRId64 "%s", v, opt->type == GG_OPT_DURATION ? "ms" : "");
		return;
	}
	snprintf(buf, size, "%" PRId64, v);
}

void gg_option_accepts(const struct gg_option *opt, char *buf, size_t size)
{
	char lo[32], hi[32];
	size_t len = 0;

	buf[0] = '\0';
	switch (opt->type) {
	case GG_OPT_STRING:
		for (size_t i = 0; opt->words != NULL && opt->words[i] != NULL && len < size; i++)
			len += (size_t)snprintf(buf + len, size - len, "%s%s", i == 0 ? "" : ", ",
						opt->words[i]);
		return;
	case GG_OPT_BOOL:
		snprintf(buf, size, "yes or no");
		return;
	case GG_OPT_INT:
	case GG_OPT_SIZE:
	case GG_OPT_DURATION:
		if (opt->min == 0 && opt->max == 0)
			return;
		gg_option_format_number(opt, opt->min, lo, sizeof(lo));
		gg_option_format_number(opt, opt->max, hi, sizeof(hi));
		snprintf(buf, size, "%s..%s", lo, hi);
		return;
	}
}

const char *gg_option_type_name(enum gg_option_type type)
{
	static const char *const names[] = { "string", "integer", "size", "duration", "boolean" };

	return names[type];
}

/* Edit distance of two short keys, for "did you mean". */
static size_t key_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), row[64];

	if (la >= 63 || lb >= 63)
		return 99;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];

		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t best = diag + (a[i - 1] != b[j - 1]);

			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

const char *gg_option_suggest(const struct gg_option *a, const struct gg_option *b,
			      const char *key)
{
	const struct gg_option *tables[] = { a, b };
	const char *best = NULL;
	size_t best_d = 3;

	for (int t = 0; t < 2; t++)
		for (const struct gg_option *o = tables[t]; o != NULL && o->key != NULL; o++) {
			size_t d = key_distance(o->key, key);

			if (d < best_d) {
				best_d = d;
				best = o->key;
			}
		}
	return best;
}

static int option_parse(const struct gg_option *opt, void *field, const char *value)
{
	char *end;
	long long v;

	switch (opt->type) {
	case GG_OPT_STRING:
		return 0;
	case GG_OPT_INT:
		errno = 0;
		v = strtoll(value, &end, 10);
		if (errno != 0 || end == value || *end != '\0')
			return -EINVAL;
		*(int64_t *)field = v;
		return 0;
	case GG_OPT_SIZE:
		return gg_parse_size(value, (int64_t *)field);
	case GG_OPT_DURATION:
		return gg_parse_duration_ms(value, (int64_t *)field);
	case GG_OPT_BOOL:
		return gg_parse_bool(value, (int *)field);
	}
	return -EINVAL;
}

int gg_option_set(const struct gg_option *table, void *base, const char *key, const char *value,
		  struct gg_error *err)
{
	static const char *const what[] = { "text", "an integer", "a size (512, 32k, 4M, 1G)",
		"a duration (250ms, 30s, 5m, 1h, 1d)", "yes or no (or true/false, on/off, 1/0)" };
	const struct gg_option *opt = gg_option_find(table, key);
	char accepts[256];
	int64_t number = 0;
	const char *word = value;
	char *field;

	if (opt == NULL)
		return gg_error_set(err, -ENOENT, "unknown key");
	field = (char *)base + opt->offset;
	gg_option_accepts(opt, accepts, sizeof(accepts));
	if (opt->type == GG_OPT_BOOL) {
		if (option_parse(opt, field, value) != 0)
			return gg_error_set(err, -EINVAL, "not %s", what[opt->type]);
		return 0;
	}
	if (opt->type != GG_OPT_STRING) {
		if (option_parse(opt, &number, value) != 0)
			return gg_error_set(err, -EINVAL, "not %s%s%s", what[opt->type],
					    accepts[0] ? "; must be within " : "", accepts);
		if ((opt->min != 0 || opt->max != 0) && (number < opt->min || number > opt->max))
			return gg_error_set(err, -ERANGE, "must be within %s", accepts);
		*(int64_t *)field = number;
		return 0;
	}
	if (opt->words != NULL) {
		size_t i;

		/* Any case is accepted; the table's spelling is kept, so code compares exactly. */
		for (i = 0; opt->words[i] != NULL; i++)
			if (strcasecmp(opt->words[i], value) == 0)
				break;
		if (opt->words[i] == NULL)
			return gg_error_set(err, -EINVAL, "must be one of %s", accepts);
		word = opt->words[i];
	}
	char *copy = strdup(word);

	if (copy == NULL)
		return gg_error_set(err, -ENOMEM, "out of memory");
	free(*(char **)field);
	*(char **)field = copy;
	return 0;
}

int gg_options_apply_defaults(const struct gg_option *table, void *base, struct gg_error *err)
{
	for (; table->key != NULL; table++) {
		int r;

		if (table->def == NULL)
			continue;
		r = gg_option_set(table, base, table->key, table->def, err);
		if (r != 0) {
			gg_error_prefix(err, "%s's default '%s': ", table->key, table->def);
			return r;
		}
	}
	return 0;
}

const struct gg_option *gg_options_differ(const struct gg_option *table, const void *a,
					  const void *b)
{
	for (; table->key != NULL; table++) {
		const char *pa = (const char *)a + table->offset, *pb = (const char *)b + table->offset;
		int same;

		switch (table->type) {
		case GG_OPT_STRING: {
			const char *sa = *(char *const *)pa, *sb = *(char *const *)pb;

			same = (sa == NULL && sb == NULL) ||
			       (sa != NULL && sb != NULL && strcmp(sa, sb) == 0);
			break;
		}
		case GG_OPT_BOOL:
			same = *(const int *)pa == *(const int *)pb;
			break;
		default:
			same = *(const int64_t *)pa == *(const int64_t *)pb;
			break;
		}
		if (!same)
			return table;
	}
	return NULL;
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
