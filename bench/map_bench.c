/* map_bench.c: records/s of the mapping path on one thread (syslog header parse + mapping +
 * IODEF build + schema check + serialization, as the daemon's ingest does them), beside the
 * raw libxml2 rate of parsing and validating the very documents it produced, in the same run.
 *   map_bench SCHEMA_DIR MAPPING_DIR REPEAT MAPPING... -- FILE...
 * Prints one line per phase and the ratio. */
#include <libxml/parser.h>
#include <libxml/xmlschemas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"
#include "iodef/iodef.h"
#include "map/map.h"
#include "iodef/xmlsafe.h"

struct line {
	char *text;
	size_t len;
	const char *file;
	unsigned long lineno;
};

/* What one pass does with each result: counts it, checks and serializes its document, and
 * on the first pass keeps the text (up to one per line) for the raw libxml2 comparison. */
struct bench_run {
	struct gg_validator *v;
	int first;
	unsigned long *mapped, *ignored, *other;
	char **docs;
	size_t *doc_lens, *n_docs, max_docs;
};

static int bench_result(void *arg, struct gg_map_result *res)
{
	struct bench_run *b = arg;
	struct gg_error err = { 0 };
	char *xml;
	size_t xml_len;

	if (res->verdict != GG_MAP_MAPPED) {
		(*(res->verdict == GG_MAP_IGNORED ? b->ignored : b->other))++;
		return 0;
	}
	if (gg_validator_check(b->v, res->doc, &err) != 0)
		bench_die("invalid document", err.msg);
	if (gg_xml_serialize(res->doc, &xml, &xml_len) != 0)
		bench_die("serialize", "failed");
	(*b->mapped)++;
	if (b->first && *b->n_docs < b->max_docs) {
		b->docs[*b->n_docs] = xml;
		b->doc_lens[(*b->n_docs)++] = xml_len;
	} else {
		free(xml);
	}
	return 0;
}

static struct line *read_lines(char **files, int n_files, size_t *n_out)
{
	struct line *lines = NULL;
	size_t n = 0, cap = 0;

	for (int f = 0; f < n_files; f++) {
		FILE *fp = fopen(files[f], "rb");
		char *buf = NULL;
		size_t bcap = 0;
		ssize_t len;
		unsigned long lineno = 0;

		if (fp == NULL)
			bench_die(files[f], "cannot open");
		while ((len = getline(&buf, &bcap, fp)) >= 0) {
			lineno++;
			while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
				len--;
			if (len == 0)
				continue;
			if (n == cap) {
				cap = cap ? cap * 2 : 1024;
				lines = realloc(lines, cap * sizeof(*lines));
				if (lines == NULL)
					bench_die("lines", "out of memory");
			}
			lines[n].text = strndup(buf, (size_t)len);
			lines[n].len = (size_t)len;
			lines[n].file = files[f];
			lines[n].lineno = lineno;
			n++;
		}
		free(buf);
		fclose(fp);
	}
	*n_out = n;
	return lines;
}

int main(int argc, char **argv)
{
	const struct gg_iodef_defaults defaults = { "csirt.example.org", NULL };
	struct gg_schema *schema = NULL;
	struct gg_validator *v = NULL;
	struct gg_mapset *set = NULL;
	struct gg_map_ctx *ctx = NULL;
	struct gg_error err = { 0 };
	const char **names;
	int sep, repeat;
	size_t n_lines, n_docs = 0;
	struct line *lines;
	char **docs;
	size_t *doc_lens;
	unsigned long mapped = 0, ignored = 0, other = 0;
	double t0, map_s, raw_s;
	xmlSchemaParserCtxtPtr pctx;
	xmlSchemaPtr raw_schema;
	xmlSchemaValidCtxtPtr raw_v;
	char xsd[4096];

	for (sep = 4; sep < argc && strcmp(argv[sep], "--") != 0; sep++)
		;
	if (argc < 7 || sep >= argc - 1 || sep == 4) {
		fprintf(stderr, "usage: map_bench SCHEMA_DIR MAPPING_DIR REPEAT MAPPING... -- FILE...\n");
		return 2;
	}
	repeat = atoi(argv[3]);
	names = (const char **)&argv[4];
	if (gg_schema_load(argv[1], &schema, &err) != 0 || gg_validator_new(schema, &v, &err) != 0 ||
	    gg_mapset_load(argv[2], names, (size_t)(sep - 4), NULL, &set, &err) != 0 ||
	    gg_map_ctx_new(NULL, &ctx, &err) != 0)
		bench_die("setup", err.msg);
	lines = read_lines(&argv[sep + 1], argc - sep - 1, &n_lines);
	docs = calloc(n_lines, sizeof(char *));
	doc_lens = calloc(n_lines, sizeof(size_t));
	if (docs == NULL || doc_lens == NULL)
		bench_die("docs", "out of memory");

	/* gridgate's path, as gg_ingest_document runs it after the input mapped the line. */
	t0 = bench_now_s();
	for (int r = 0; r < repeat; r++)
		for (size_t i = 0; i < n_lines; i++) {
			struct bench_run b = { v, r == 0, &mapped, &ignored, &other, docs,
					       doc_lens, &n_docs, n_lines };

			if (gg_map_line(ctx, set, "bench", lines[i].file, lines[i].lineno,
					lines[i].text, lines[i].len, 1768478400, &defaults,
					bench_result, &b, NULL, &err) != 0)
				other++;
		}
	map_s = bench_now_s() - t0;

	/* Raw libxml2: parse and validate the same documents with a plain schema context. */
	snprintf(xsd, sizeof(xsd), "%s/iodef-2.0.xsd", argv[1]);
	pctx = xmlSchemaNewParserCtxt(xsd);
	raw_schema = pctx != NULL ? xmlSchemaParse(pctx) : NULL;
	raw_v = raw_schema != NULL ? xmlSchemaNewValidCtxt(raw_schema) : NULL;
	if (raw_v == NULL)
		bench_die(xsd, "schema does not load");
	t0 = bench_now_s();
	for (int r = 0; r < repeat; r++)
		for (size_t i = 0; i < n_docs; i++) {
			xmlDocPtr doc = xmlReadMemory(docs[i], (int)doc_lens[i], NULL, NULL,
						      XML_PARSE_NONET);

			if (doc == NULL || xmlSchemaValidateDoc(raw_v, doc) != 0)
				bench_die("raw", "a mapped document does not parse or validate");
			xmlFreeDoc(doc);
		}
	raw_s = bench_now_s() - t0;

	printf("lines %zu x %d: mapped %lu, dropped on purpose %lu, unmatched %lu\n", n_lines,
	       repeat, mapped, ignored, other);
	/* Records are the corpus lines a mapping decided (mapped or dropped on purpose; an
	 * unmatched line is not counted, since its generic incident is not built here);
	 * documents the incidents made. Both are printed against the raw rate: a corpus with
	 * many lines dropped on purpose (EVE dns events) makes fewer documents per second, not
	 * slower mapping. */
	{
		double records = (double)(mapped + ignored) / map_s;
		double documents = (double)mapped / map_s;
		double raw = (double)(n_docs * (size_t)repeat) / raw_s;

		printf("gridgate parse+map+build+validate+serialize: %.0f records/s, %.0f "
		       "documents/s\n", records, documents);
		if (n_docs == 0) {
			printf("no documents: nothing to validate raw\n");
		} else {
			printf("raw libxml2 parse+validate of the same documents: %.0f documents/s\n",
			       raw);
			printf("ratio: records %.2f, documents %.2f of the raw validation rate\n",
			       records / raw, documents / raw);
		}
	}
	for (size_t i = 0; i < n_docs; i++)
		free(docs[i]);
	for (size_t i = 0; i < n_lines; i++)
		free(lines[i].text);
	free(docs);
	free(doc_lens);
	free(lines);
	xmlSchemaFreeValidCtxt(raw_v);
	xmlSchemaFree(raw_schema);
	xmlSchemaFreeParserCtxt(pctx);
	gg_map_ctx_free(ctx);
	gg_mapset_unref(set);
	gg_validator_free(v);
	gg_schema_free(schema);
	return 0;
}
