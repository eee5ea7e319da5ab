/* webhook_work.c: webhook requests/s of the work gridgate does for each one, on one thread, with
 * no transport and no spool: split the body into its objects (jansson, with the depth check),
 * make each object an incident with the built-in flat JSON mapping, check it against IODEF 2.0
 * and serialize it as the spool stores it. bench/webhook sets it beside the raw server's rate:
 * what a request costs before a byte of it is sent or stored bounds what the listener can
 * reach on the same cores.
 *   webhook_work SCHEMA_DIR BODY SECONDS
 * Prints "REQUESTS SECONDS". */
#include <libxml/parser.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "http/http_body.h"
#include "iodef/iodef.h"
#include "iodef/xmlsafe.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, const char *why)
{
	fprintf(stderr, "webhook_work: %s: %s\n", what, why);
	exit(2);
}

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0 || (buf = malloc((size_t)n + 1)) == NULL ||
	    fread(buf, 1, (size_t)n, f) != (size_t)n)
		die(path, "cannot read");
	fclose(f);
	buf[n] = '\0';
	*len = (size_t)n;
	return buf;
}

/* One request's work, as the listener and its route's workers do it; exits on a body
 * gridgate would refuse. */
static void one_request(struct gg_validator *v, const char *body, size_t len)
{
	/* The webhook defaults: max_depth 64, max_objects 10000. */
	const struct gg_http_body_limits limits = { .max_depth = 64, .max_objects = 10000 };
	const struct gg_iodef_defaults defaults = { .csirt_name = "gridgate.invalid" };
	struct gg_http_objects objs = { 0 };
	struct gg_http_body_error berr;
	struct gg_error err;

	if (gg_http_body_split(body, len, GG_HTTP_BODY_JSON, &limits, &objs, &berr) != 0)
		die("the body", berr.msg);
	for (size_t i = 0; i < objs.n; i++) {
		xmlDocPtr doc = NULL;
		char *text;
		size_t text_len;

		if (gg_iodef_from_json(objs.items[i], objs.lens[i], &defaults, &doc, &err) != 0 ||
		    gg_validator_check(v, doc, &err) != 0)
			die("an object", err.msg);
		if (gg_xml_serialize(doc, &text, &text_len) != 0)
			die("serialize", "failed");
		free(text);
		xmlFreeDoc(doc);
	}
	gg_http_objects_free(&objs);
}

int main(int argc, char **argv)
{
	struct gg_schema *schema = NULL;
	struct gg_validator *v = NULL;
	struct gg_error err;
	unsigned long long n = 0;
	double seconds, start, elapsed;
	size_t len;
	char *body;

	if (argc != 4 || (seconds = atof(argv[3])) <= 0) {
		fprintf(stderr, "usage: webhook_work SCHEMA_DIR BODY SECONDS\n");
		return 2;
	}
	gg_xml_init();
	if (gg_schema_load(argv[1], &schema, &err) != 0 || gg_validator_new(schema, &v, &err) != 0)
		die("schema", err.msg);
	body = read_file(argv[2], &len);
	start = now_s();
	do {
		/* 64 requests between clock reads: a read costs nothing beside a request. */
		for (int i = 0; i < 64; i++)
			one_request(v, body, len);
		n += 64;
	} while ((elapsed = now_s() - start) < seconds);
	printf("%llu %.3f\n", n, elapsed);
	free(body);
	gg_validator_free(v);
	gg_schema_free(schema);
	xmlCleanupParser();
	return 0;
}
