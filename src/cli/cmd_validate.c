/* cmd_validate.c: `gridgate validate FILE...`: each document checked as the daemon would (IODEF
 * 1.0 upgraded first); messages name file, line and element. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/datadir.h"
#include "cli/cmd.h"
#include "engine/config.h"
#include "iodef/iodef.h"
#include "iodef/xmlsafe.h"

static int validate_read(const char *path, char **out, size_t *len, size_t max)
{
	FILE *fp = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0;

	if (fp == NULL)
		return -errno;
	for (;;) {
		size_t got;

		if (n == cap) {
			char *grown;

			/* One byte past the limit is enough to know the file is over it. */
			if (cap > max)
				break;
			cap = cap ? cap * 2 : 65536;
			if ((grown = realloc(buf, cap + 1)) == NULL) {
				free(buf);
				if (fp != stdin)
					fclose(fp);
				return -ENOMEM;
			}
			buf = grown;
		}
		got = fread(buf + n, 1, cap - n, fp);
		n += got;
		if (got == 0)
			break;
	}
	if (fp != stdin)
		fclose(fp);
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
}

/* Prints "FILE:LINE:COLUMN: ELEMENT: REASON" once: the parser's and the validator's messages
 * start with "line N[, column M]: " and "element 'X': " (they are read without the file's name
 * in logs and quarantine reasons), which move into the prefix here. A column libxml2 does not
 * know (most schema errors) is left out rather than printed as 0. */
static void print_invalid(const char *path, const struct gg_error *err)
{
	const char *msg = err->msg, *q;
	char where[64] = "";
	int element_len = 0;
	const char *element = NULL;

	if (strncmp(msg, "xml: ", 5) == 0)
		msg += 5;
	if (err->line > 0 && strncmp(msg, "line ", 5) == 0) {
		q = msg + 5 + strspn(msg + 5, "0123456789");
		if (strncmp(q, ", column ", 9) == 0)
			q += 9 + strspn(q + 9, "0123456789");
		if (strncmp(q, ": ", 2) == 0)
			msg = q + 2;
	}
	if (strncmp(msg, "element '", 9) == 0 && (q = strchr(msg + 9, '\'')) != NULL &&
	    strncmp(q, "': ", 3) == 0) {
		element = msg + 9;
		element_len = (int)(q - element);
		msg = q + 3;
	}
	if (err->line > 0 && err->column > 0)
		snprintf(where, sizeof(where), ":%d:%d", err->line, err->column);
	else if (err->line > 0)
		snprintf(where, sizeof(where), ":%d", err->line);
	if (element != NULL && element_len > 0)
		fprintf(stderr, "%s%s: %.*s: %s\n", path, where, element_len, element, msg);
	else
		fprintf(stderr, "%s%s: %s\n", path, where, msg);
}

static int validate_one(struct gg_validator *v, const char *path,
			const struct gg_xml_limits *limits)
{
	char *buf = NULL;
	size_t len = 0;
	xmlDocPtr doc = NULL, v2 = NULL;
	struct gg_error err;
	enum gg_iodef_version version;
	int r;

	gg_error_clear(&err);
	r = validate_read(path, &buf, &len, limits->max_bytes);
	if (r != 0) {
		fprintf(stderr, "%s: %s\n", path, strerror(-r));
		return GG_EXIT_RUNTIME;
	}
	r = gg_xml_parse(buf, len, limits, &doc, &err);
	free(buf);
	if (r != 0)
		goto invalid;
	version = gg_iodef_version_of(doc);
	if (version == GG_IODEF_V1) {
		if ((r = gg_iodef_upgrade(doc, &v2, &err)) != 0)
			goto invalid;
		r = gg_validator_check(v, v2, &err);
	} else if (version == GG_IODEF_V2) {
		r = gg_validator_check(v, doc, &err);
	} else {
		r = gg_error_set_at(&err, -EINVAL, 1, 0, "not an IODEF 1.0 or 2.0 document");
	}
	if (r != 0)
		goto invalid;
	printf("%s: valid IODEF 2.0%s\n", path, version == GG_IODEF_V1
						   ? " (after upgrade from IODEF 1.0)" : "");
	xmlFreeDoc(v2);
	xmlFreeDoc(doc);
	return GG_EXIT_OK;
invalid:
	print_invalid(path, &err);
	xmlFreeDoc(v2);
	xmlFreeDoc(doc);
	return GG_EXIT_INVALID;
}

int gg_cmd_validate(const char *config_path, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "schema-dir", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	const char *schema_dir = getenv("GRIDGATE_SCHEMA_DIR");
	char dirbuf[4096];
	struct gg_xml_limits limits = { .max_bytes = GG_XML_DEFAULT_MAX_BYTES,
				       .max_depth = GG_XML_DEFAULT_MAX_DEPTH };
	struct gg_schema *schema = NULL;
	struct gg_validator *v = NULL;
	struct gg_error err;
	int opt, code = GG_EXIT_OK;

	/* 0, not 1: glibc then also resets its permutation state left by main's getopt. */
	optind = 0;
	while ((opt = getopt_long(argc, argv, "s:", longopts, NULL)) != -1) {
		if (opt != 's') {
			fprintf(stderr, "usage: gridgate validate [--schema-dir DIR] FILE...\n");
			return GG_EXIT_USAGE;
		}
		schema_dir = optarg;
	}
	if (optind >= argc) {
		fprintf(stderr, "usage: gridgate validate [--schema-dir DIR] FILE...\n");
		return GG_EXIT_USAGE;
	}
	if (schema_dir == NULL)
		schema_dir = gg_datadir_path(GG_SCHEMA_DIR, dirbuf, sizeof(dirbuf));
	if (gg_schema_load(schema_dir, &schema, &err) != 0 ||
	    gg_validator_new(schema, &v, &err) != 0) {
		fprintf(stderr, "gridgate: %s\n", err.msg);
		gg_schema_free(schema);
		return GG_EXIT_RUNTIME;
	}
	for (int i = optind; i < argc; i++) {
		int r = validate_one(v, argv[i], &limits);

		if (r > code)
			code = r;
	}
	gg_validator_free(v);
	gg_schema_free(schema);
	return code;
}
