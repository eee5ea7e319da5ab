/* rid_work.c: RID messages/s of the work gridgate does for each one, on one thread, with no
 * transport and no spool: read the message (parse, RID schema check, canonical digest, IODEF
 * 1.0 -> 2.0 upgrade, IODEF 2.0 check), serialize its documents as the spool stores them, and
 * build and serialize the Acknowledgement. bench/rid sets it beside the raw server's rate:
 * what a message costs before a byte of it is sent or stored bounds what the listener can
 * reach on the same cores.
 *   rid_work SCHEMA_DIR MESSAGE SECONDS
 * Prints "MESSAGES SECONDS". */
#include <libxml/parser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "iodef/iodef.h"
#include "iodef/xmlsafe.h"
#include "rid/rid_envelope.h"
#include "rid/rid_reply.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, const char *why)
{
	fprintf(stderr, "rid_work: %s: %s\n", what, why);
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

/* One message's work, as the listener does it; exits on a message gridgate would refuse. */
static void one_message(struct gg_rid_checker *checker, const char *buf, size_t len,
			const struct gg_xml_limits *limits)
{
	struct gg_rid_message *msg = NULL;
	struct gg_error err;
	xmlDocPtr reply = NULL;
	char *text;
	size_t text_len;

	if (gg_rid_parse(checker, buf, len, limits, "bench", &msg, &err) != 0)
		die("the message", err.msg);
	for (size_t i = 0; i < msg->n_documents; i++) {
		if (gg_xml_serialize(msg->documents[i], &text, &text_len) != 0)
			die("serialize", "failed");
		free(text);
	}
	if (gg_rid_reply_ack(msg, GG_RID_APPROVED, GG_RID_JUST_NONE, &reply, &err) != 0 ||
	    gg_xml_serialize(reply, &text, &text_len) != 0)
		die("reply", "failed");
	free(text);
	xmlFreeDoc(reply);
	gg_rid_message_free(msg);
}

int main(int argc, char **argv)
{
	/* The daemon's defaults: max_body_size 1M, max_depth 64. */
	const struct gg_xml_limits limits = { .max_bytes = 1u << 20, .max_depth = 64 };
	struct gg_rid_checker *checker = NULL;
	struct gg_rid_schema *rid = NULL;
	struct gg_schema *iodef = NULL;
	struct gg_error err;
	unsigned long long n = 0;
	double seconds, start, elapsed;
	size_t len;
	char *buf;

	if (argc != 4 || (seconds = atof(argv[3])) <= 0) {
		fprintf(stderr, "usage: rid_work SCHEMA_DIR MESSAGE SECONDS\n");
		return 2;
	}
	gg_xml_init();
	if (gg_schema_load(argv[1], &iodef, &err) != 0 ||
	    gg_rid_schema_load(argv[1], &rid, &err) != 0 ||
	    gg_rid_checker_new(rid, iodef, &checker, &err) != 0)
		die("schemas", err.msg);
	buf = read_file(argv[2], &len);
	start = now_s();
	do {
		/* 64 messages between clock reads: a read costs nothing beside a message. */
		for (int i = 0; i < 64; i++)
			one_message(checker, buf, len, &limits);
		n += 64;
	} while ((elapsed = now_s() - start) < seconds);
	printf("%llu %.3f\n", n, elapsed);
	free(buf);
	gg_rid_checker_free(checker);
	gg_rid_schema_free(rid);
	gg_schema_free(iodef);
	xmlCleanupParser();
	return 0;
}
