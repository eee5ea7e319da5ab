/* rid_work.c: RID messages/s of the work gridgate does for each one, on one thread, with no
 * transport and no spool: read the message (parse, RID schema check, canonical digest, IODEF
 * 1.0 -> 2.0 upgrade, IODEF 2.0 check), serialize its documents as the spool stores them, and
 * build and serialize the Acknowledgement. bench/rid sets it beside the raw server's rate:
 * what a message costs before a byte of it is sent or stored bounds what the listener can
 * reach on the same cores.
 *   rid_work SCHEMA_DIR MESSAGE SECONDS
 * Prints "MESSAGES SECONDS", then "RECORDS BYTES": what one message leaves for the spool (the
 * spool's own cost is bench/spool_commit's). */
#include <libxml/parser.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench_util.h"
#include "iodef/iodef.h"
#include "iodef/xmlsafe.h"
#include "rid/rid_envelope.h"
#include "rid/rid_reply.h"

/* What every run reads. */
struct work {
	struct gg_rid_checker *checker;
	struct gg_xml_limits limits;
	const char *buf;
	size_t len;
	size_t records, bytes; /* what the last message serialized for the spool */
};

/* One message's work, as the listener does it; exits on a message gridgate would refuse. */
static void one_message(void *arg)
{
	struct work *w = arg;
	struct gg_rid_message *msg = NULL;
	struct gg_error err;
	xmlDocPtr reply = NULL;
	char *text;
	size_t text_len;

	if (gg_rid_parse(w->checker, w->buf, w->len, &w->limits, "bench", &msg, &err) != 0)
		bench_die("the message", err.msg);
	w->records = msg->n_documents;
	w->bytes = 0;
	for (size_t i = 0; i < msg->n_documents; i++) {
		if (gg_xml_serialize(msg->documents[i], &text, &text_len) != 0)
			bench_die("serialize", "failed");
		w->bytes += text_len;
		free(text);
	}
	if (gg_rid_reply_ack(msg, GG_RID_APPROVED, GG_RID_JUST_NONE, &reply, &err) != 0 ||
	    gg_xml_serialize(reply, &text, &text_len) != 0)
		bench_die("reply", "failed");
	free(text);
	xmlFreeDoc(reply);
	gg_rid_message_free(msg);
}

int main(int argc, char **argv)
{
	/* The daemon's defaults: max_body_size 1M, max_depth 64. */
	struct work w = { .limits = { .max_bytes = 1u << 20, .max_depth = 64 } };
	struct gg_rid_schema *rid = NULL;
	struct gg_schema *iodef = NULL;
	struct gg_error err;
	double seconds;
	char *buf;

	if (argc != 4 || (seconds = atof(argv[3])) <= 0) {
		fprintf(stderr, "usage: rid_work SCHEMA_DIR MESSAGE SECONDS\n");
		return 2;
	}
	gg_xml_init();
	if (gg_schema_load(argv[1], &iodef, &err) != 0 ||
	    gg_rid_schema_load(argv[1], &rid, &err) != 0 ||
	    gg_rid_checker_new(rid, iodef, &w.checker, &err) != 0)
		bench_die("schemas", err.msg);
	w.buf = buf = bench_read_file(argv[2], &w.len);
	bench_run_for(seconds, one_message, &w);
	printf("%zu %zu\n", w.records, w.bytes);
	free(buf);
	gg_rid_checker_free(w.checker);
	gg_rid_schema_free(rid);
	gg_schema_free(iodef);
	xmlCleanupParser();
	return 0;
}
