/* cmd_map.c: `gridgate map -m MAPPING [FILE...]`: runs mappings on log lines (a file or stdin)
 * the way the daemon does, prints each IODEF document (checked against the schema), and with
 * --explain shows which mapping and rule decided and what they extracted. */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <libxml/tree.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/datadir.h"
#include "cli/cmd.h"
#include "iodef/iodef.h"
#include "map/map.h"

#define USAGE "usage: gridgate map -m MAPPING [-m MAPPING]... [--explain] [--quiet] " \
	      "[--stats] [--now TIME] [--timezone ZONE] [--csirt NAME] [--input NAME] [--mapping-dir DIR] " \
	      "[--schema-dir DIR] [FILE...]\n"

#define EXPLAIN_LINE_MAX 200

struct map_run {
	struct gg_mapset *set;
	struct gg_map_ctx *ctx;
	struct gg_validator *validator;
	struct gg_iodef_defaults defaults;
	const char *input;
	time_t now;
	int explain, quiet;
	unsigned long lines, mapped, ignored, unmatched, invalid, failed;
};

/* One result of a line: counted, and its document checked and printed. */
struct map_where {
	struct map_run *run;
	const char *file;
	unsigned long lineno;
};

static int map_result(void *arg, struct gg_map_result *res)
{
	struct map_where *w = arg;
	struct map_run *run = w->run;
	struct gg_error err;
	char elem[32] = "";

	gg_error_clear(&err);
	if (res->element >= 0)
		snprintf(elem, sizeof(elem), " element %ld", res->element);
	if (res->error != 0) {
		run->failed++;
		fprintf(stderr, "%s:%lu: not mapped: %s\n", w->file, w->lineno, res->why->msg);
		return 0;
	}
	if (res->verdict == GG_MAP_UNMATCHED) {
		run->unmatched++;
		if (!run->quiet)
			fprintf(stderr, "%s:%lu:%s unmatched\n", w->file, w->lineno, elem);
		return 0;
	}
	if (res->verdict == GG_MAP_IGNORED) {
		run->ignored++;
		if (run->explain)
			printf("ignored by %s/%s\n", res->mapping, res->rule);
		return 0;
	}
	if (gg_validator_check(run->validator, res->doc, &err) != 0) {
		run->invalid++;
		fprintf(stderr, "%s:%lu:%s %s/%s made an invalid document: line %d: %s\n", w->file,
			w->lineno, elem, res->mapping, res->rule, err.line, err.msg);
	} else {
		run->mapped++;
	}
	if (!run->quiet) {
		xmlChar *xml;
		int size;

		if (run->explain)
			printf("mapped by %s/%s\n", res->mapping, res->rule);
		xmlDocDumpFormatMemoryEnc(res->doc, &xml, &size, "UTF-8", 1);
		if (xml != NULL)
			fwrite(xml, 1, (size_t)size, stdout);
		xmlFree(xml);
	}
	return 0;
}

static int map_line(struct map_run *run, const char *file, unsigned long lineno, const char *line,
		    size_t len)
{
	struct map_where where = { run, file, lineno };
	struct gg_error err;

	gg_error_clear(&err);
	run->lines++;
	/* The line as read, cut like the values in the trace: a 60 KB line must not bury it. */
	if (run->explain && len > EXPLAIN_LINE_MAX)
		printf("%s:%lu: %.*s... (%zu bytes)\n", file, lineno, EXPLAIN_LINE_MAX, line, len);
	else if (run->explain)
		printf("%s:%lu: %.*s\n", file, lineno, (int)len, line);
	/* A line with an `each` mapping gives one result per element, each printed. */
	if (gg_map_line(run->ctx, run->set, run->input, file, lineno, line, len, run->now,
			&run->defaults, map_result, &where, NULL, &err) != 0) {
		run->failed++;
		fprintf(stderr, "%s:%lu: not mapped: %s\n", file, lineno, err.msg);
	}
	return 0;
}

static int map_file(struct map_run *run, const char *path)
{
	FILE *fp = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	unsigned long lineno = 0;
	int r = 0;

	if (fp == NULL) {
		fprintf(stderr, "gridgate: %s: %s\n", path, strerror(errno));
		return -errno;
	}
	while (r == 0 && (len = getline(&line, &cap, fp)) >= 0) {
		lineno++;
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			len--;
		if (len == 0)
			continue;
		r = map_line(run, strcmp(path, "-") == 0 ? "stdin" : path, lineno, line, (size_t)len);
	}
	free(line);
	if (fp != stdin)
		fclose(fp);
	return r;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Prints the mappings of dir (its *.map files, by name) for a name that is none of them. */
static void list_mappings(FILE *fp, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **names = NULL;
	size_t n = 0;

	if (d == NULL) {
		fprintf(fp, "gridgate map: mapping directory %s: %s\n", dir, strerror(errno));
		return;
	}
	while ((de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);
		char **grown;

		if (len <= 4 || de->d_name[0] == '.' || strcmp(de->d_name + len - 4, ".map") != 0)
			continue;
		if ((grown = realloc(names, (n + 1) * sizeof(*names))) == NULL)
			break;
		names = grown;
		if ((names[n] = strndup(de->d_name, len - 4)) != NULL)
			n++;
	}
	closedir(d);
	qsort(names, n, sizeof(*names), name_cmp);
	fprintf(fp, "mappings in %s:%s", dir, n == 0 ? " none\n" : "\n");
	for (size_t i = 0; i < n; i++) {
		fprintf(fp, "  %s\n", names[i]);
		free(names[i]);
	}
	free(names);
}

/* A name (not a path, not "*") with no NAME.map in dir: the caller lists what there is. */
static const char *unknown_mapping(const char *dir, const char *const *names, size_t n)
{
	char path[4096];

	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(names[i]);

		if (strcmp(names[i], "*") == 0 || strchr(names[i], '/') != NULL ||
		    (len > 4 && strcmp(names[i] + len - 4, ".map") == 0))
			continue;
		snprintf(path, sizeof(path), "%s/%s.map", dir, names[i]);
		if (access(path, F_OK) != 0 && errno == ENOENT)
			return names[i];
	}
	return NULL;
}

static int parse_now(const char *s, time_t *out)
{
	struct tm tm = { 0 };
	const char *end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm);

	if (end == NULL || *end != '\0')
		return -1;
	*out = timegm(&tm);
	return 0;
}

int gg_cmd_map(const char *config_path, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "mapping", required_argument, NULL, 'm' },
		{ "explain", no_argument, NULL, 'e' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "stats", no_argument, NULL, 'S' },
		{ "now", required_argument, NULL, 'n' },
		{ "timezone", required_argument, NULL, 'z' },
		{ "csirt", required_argument, NULL, 'C' },
		{ "input", required_argument, NULL, 'i' },
		{ "mapping-dir", required_argument, NULL, 'M' },
		{ "schema-dir", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	const char *schema_dir = getenv("GRIDGATE_SCHEMA_DIR");
	const char *mapping_dir = getenv("GRIDGATE_MAPPING_DIR");
	char schema_buf[4096], mapping_buf[4096];
	const char **names = NULL, *unknown;
	size_t n_names = 0;
	struct map_run run = { .input = "map", .defaults = { "gridgate.invalid", NULL } };
	struct gg_schema *schema = NULL;
	struct gg_error err;
	int opt, stats = 0, code = GG_EXIT_OK, has_tz = 0, tz = 0;

	(void)config_path;
	run.now = time(NULL);
	optind = 0;
	while ((opt = getopt_long(argc, argv, "m:eqSn:z:C:i:M:s:", longopts, NULL)) != -1) {
		switch (opt) {
		case 'm': {
			const char **grown = realloc(names, (n_names + 1) * sizeof(*names));

			if (grown == NULL) {
				free(names);
				return GG_EXIT_RUNTIME;
			}
			names = grown;
			names[n_names++] = optarg;
			break;
		}
		case 'e': run.explain = 1; break;
		case 'q': run.quiet = 1; break;
		case 'S': stats = 1; break;
		case 'n':
			if (parse_now(optarg, &run.now) != 0) {
				fprintf(stderr, "gridgate map: --now takes YYYY-MM-DDTHH:MM:SSZ\n");
				free(names);
				return GG_EXIT_USAGE;
			}
			break;
		case 'z':
			if (gg_timezone_parse(optarg, &tz) != 0) {
				fprintf(stderr, "gridgate map: --timezone takes UTC or +HH:MM\n");
				free(names);
				return GG_EXIT_USAGE;
			}
			has_tz = 1;
			break;
		case 'C': run.defaults.csirt_name = optarg; break;
		case 'i': run.input = optarg; break;
		case 'M': mapping_dir = optarg; break;
		case 's': schema_dir = optarg; break;
		default:
			fprintf(stderr, USAGE);
			free(names);
			return GG_EXIT_USAGE;
		}
	}
	if (n_names == 0) {
		fprintf(stderr, USAGE);
		return GG_EXIT_USAGE;
	}
	if (schema_dir == NULL)
		schema_dir = gg_datadir_path(GG_SCHEMA_DIR, schema_buf, sizeof(schema_buf));
	if (mapping_dir == NULL)
		mapping_dir = gg_datadir_path(GG_MAPPING_DIR, mapping_buf, sizeof(mapping_buf));
	gg_error_clear(&err);
	if ((unknown = unknown_mapping(mapping_dir, names, n_names)) != NULL) {
		fprintf(stderr, "gridgate map: no mapping '%s' in %s\n", unknown, mapping_dir);
		list_mappings(stderr, mapping_dir);
		free(names);
		return GG_EXIT_USAGE;
	}
	if (gg_mapset_load(mapping_dir, names, n_names, NULL, &run.set, &err) != 0) {
		fprintf(stderr, "gridgate: %s\n", err.msg);
		free(names);
		return GG_EXIT_USAGE;
	}
	free(names);
	if (gg_schema_load(schema_dir, &schema, &err) != 0 ||
	    gg_validator_new(schema, &run.validator, &err) != 0 ||
	    gg_map_ctx_new(run.explain ? stdout : NULL, &run.ctx, &err) != 0) {
		fprintf(stderr, "gridgate: %s\n", err.msg);
		code = GG_EXIT_RUNTIME;
		goto out;
	}
	if (has_tz)
		gg_map_ctx_set_timezone(run.ctx, tz);
	if (optind >= argc) {
		if (map_file(&run, "-") != 0)
			code = GG_EXIT_RUNTIME;
	}
	for (int i = optind; i < argc && code == GG_EXIT_OK; i++)
		if (map_file(&run, argv[i]) != 0)
			code = GG_EXIT_RUNTIME;
	if (stats)
		fprintf(stderr, "lines %lu mapped %lu ignored %lu unmatched %lu invalid %lu "
			"failed %lu\n", run.lines, run.mapped, run.ignored, run.unmatched,
			run.invalid, run.failed);
	if (code == GG_EXIT_OK && (run.invalid > 0 || run.failed > 0))
		code = GG_EXIT_INVALID;
out:
	gg_map_ctx_free(run.ctx);
	gg_validator_free(run.validator);
	gg_schema_free(schema);
	gg_mapset_unref(run.set);
	return code;
}
