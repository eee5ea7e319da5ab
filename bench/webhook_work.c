/* webhook_work.c: webhook requests/s of the work gridgate does for each one, on one thread, with
 * no transport and no spool: split the body into its objects (jansson, with the depth check),
 * make each object an incident with the built-in flat JSON mapping, check it against IODEF 2.0
 * and serialize it as the spool stores it. bench/webhook sets it beside the raw server's rate:
 * what a request costs before a byte of it is sent or stored bounds what the listener can
 * reach on the same cores.
 *   webhook_work SCHEMA_DIR BODY SECONDS
 * Prints "REQUESTS SECONDS", then "RECORDS BYTES": what one request leaves for the spool (the
 * spool's own cost is bench/spool_commit's). */
#include <libxml/parser.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench_util.h"
#include "http/http_body.h"
#include "iodef/iodef.h"
#include "iodef/xmlsafe.h"

/* What every run reads. */
struct work {
	struct gg_validator *v;
	const char *body;
	size_t len;
	size_t records, bytes; /* what the last request serialized */
};

/* One request's work, as the listener and its route's workers do it; exits on a body
 * gridgate would refuse. */
static void one_request(void *arg)
{
	/* The webhook defaults: max_depth 64, max_objects 10000. */
	const struct gg_http_body_limits limits = { .max_depth = 64, .max_objects = 10000 };
	const struct gg_iodef_defaults defaults = { .csirt_name = "gridgate.invalid" };
	struct work *w = arg;
	struct gg_http_objects objs = { 0 };
	struct gg_http_body_error berr;
	struct gg_error err;

	if (gg_http_body_split(w->body, w->len, GG_HTTP_BODY_JSON, &limits, &objs, &berr) != 0)
		bench_die("the body", berr.msg);
	w->records = objs.n;
	w->bytes = 0;
	for (size_t i = 0; i < objs.n; i++) {
		xmlDocPtr doc = NULL;
		char *text;
		size_t text_len;

		if (gg_iodef_from_json(objs.items[i], objs.lens[i], &defaults, &doc, &err) != 0 ||
		    gg_validator_check(w->v, doc, &err) != 0)
			bench_die("an object", err.msg);
		if (gg_xml_serialize(doc, &text, &text_len) != 0)
			bench_die("serialize", "failed");
		w->bytes += text_len;
		free(text);
		xmlFreeDoc(doc);
	}
	gg_http_objects_free(&objs);
}

int main(int argc, char **argv)
{
	struct gg_schema *schema = NULL;
	struct work w = { 0 };
	struct gg_error err;
	double seconds;
	char *body;

	if (argc != 4 || (seconds = atof(argv[3])) <= 0) {
		fprintf(stderr, "usage: webhook_work SCHEMA_DIR BODY SECONDS\n");
		return 2;
	}
	gg_xml_init();
	if (gg_schema_load(argv[1], &schema, &err) != 0 ||
	    gg_validator_new(schema, &w.v, &err) != 0)
		bench_die("schema", err.msg);
	w.body = body = bench_read_file(argv[2], &w.len);
	bench_run_for(seconds, one_request, &w);
	printf("%zu %zu\n", w.records, w.bytes);
	free(body);
	gg_validator_free(w.v);
	gg_schema_free(schema);
	xmlCleanupParser();
	return 0;
}
