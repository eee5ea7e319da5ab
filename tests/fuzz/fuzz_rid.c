/* fuzz_rid.c: libFuzzer target for the RID envelope parser: bytes -> hardened parse -> RID
 * schema -> policy -> embedded IODEF upgraded and tagged, and the Acknowledgement built for
 * whatever was accepted, with the promises of rid_envelope.h and rid_reply.h checked. The same
 * bytes go through the exporter's reader of a partner's answer, and each accepted document
 * through the Report the exporter sends (rid_report.h), which must read back as one. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/tree.h>
#include <libxml/xmlerror.h>

#include "base/error.h"
#include "base/log.h"
#include "iodef/iodef.h"
#include "iodef/xmlsafe.h"
#include "rid/rid_envelope.h"
#include "rid/rid_internal.h"
#include "rid/rid_reply.h"
#include "rid/rid_report.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Compiled once, as the input does. */
static struct gg_schema *iodef2;
static struct gg_rid_schema *rid;
static struct gg_rid_checker *checker;
static struct gg_validator *validator;

static void finding(const char *what, const struct gg_error *err)
{
	fprintf(stderr, "fuzz_rid: %s%s%s\n", what, err != NULL ? ": " : "",
		err != NULL ? err->msg : "");
	abort();
}

static void quiet_generic(void *data, const char *fmt, ...)
{
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *dir = getenv("GG_SCHEMA_DIR");
	struct gg_error err = { 0 };

	(void)argc;
	(void)argv;
	if (dir == NULL || *dir == '\0') {
		fprintf(stderr, "fuzz_rid: set GG_SCHEMA_DIR to the schemas/ directory\n");
		exit(2);
	}
	gg_log_init(GG_LOG_ERROR);
	gg_xml_init();
	xmlSetGenericErrorFunc(NULL, quiet_generic);
	if (gg_schema_load(dir, &iodef2, &err) != 0 ||
	    gg_rid_schema_load(dir, &rid, &err) != 0 ||
	    gg_rid_checker_new(rid, iodef2, &checker, &err) != 0 ||
	    gg_validator_new(iodef2, &validator, &err) != 0) {
		fprintf(stderr, "fuzz_rid: %s\n", err.msg);
		exit(2);
	}
	return 0;
}

/* What is staged must be valid IODEF 2.0 after the serialization the spool stores. */
static void check_document(xmlDocPtr doc)
{
	static const struct gg_xml_limits reader = { .max_bytes = 16 * 1024 * 1024,
						     .max_depth = 256 };
	struct gg_error err = { 0 };
	xmlDocPtr again = NULL;
	char *text = NULL;
	size_t len = 0;

	if (gg_validator_check(validator, doc, &err) != 0)
		finding("a handed-out document is not valid IODEF 2.0", &err);
	if (gg_xml_serialize(doc, &text, &len) != 0)
		finding("a handed-out document does not serialize", NULL);
	if (gg_xml_parse(text, len, &reader, &again, &err) != 0)
		finding("a handed-out document does not parse back", &err);
	if (gg_validator_check(validator, again, &err) != 0)
		finding("a handed-out document is not valid after parsing back", &err);
	xmlFreeDoc(again);
	free(text);
}

/* The reply to an accepted message must be valid RID. */
static void check_ack(const struct gg_rid_message *m)
{
	struct gg_error err = { 0 };
	xmlDocPtr reply = NULL;

	if (gg_rid_reply_ack(m, GG_RID_APPROVED, GG_RID_JUST_NONE, &reply, &err) != 0)
		finding("no Acknowledgement for an accepted message", &err);
	if (gg_rid_schema_check(checker, reply, &err) != 0)
		finding("the Acknowledgement of an accepted message is not valid RID", &err);
	xmlFreeDoc(reply);
}

/* A Report built from a handed-out document is valid RID that gg_rid_parse reads back as a
 * Report about the document's first incident, and the same bytes every time. */
static void check_report(xmlDocPtr doc)
{
	static const char *const regions[] = { "PeerToPeer" };
	static const char *const traffic[] = { "Other" };
	static const struct gg_rid_report_policy policy = { "RIDSystem", regions, 1, traffic, 1,
							    "fuzz" };
	/* The envelope adds four levels to the document's depth. */
	static const struct gg_xml_limits reader = { .max_bytes = 16 * 1024 * 1024,
						     .max_depth = 256 };
	struct gg_error err = { 0 };
	struct gg_rid_message *back = NULL;
	xmlDocPtr a = NULL, b = NULL;
	char *ta = NULL, *tb = NULL;
	size_t la = 0, lb = 0;
	int rc = gg_rid_report_build(&policy, doc, &a, &err);

	if (rc == -EINVAL)
		return; /* an IncidentID without text or name: no Report names it */
	if (rc != 0)
		finding("no Report for a handed-out document", &err);
	if (gg_rid_report_build(&policy, doc, &b, &err) != 0 || gg_xml_serialize(a, &ta, &la) != 0 ||
	    gg_xml_serialize(b, &tb, &lb) != 0)
		finding("a Report does not build twice or serialize", &err);
	if (la != lb || memcmp(ta, tb, la) != 0)
		finding("two Reports of one document differ", NULL);
	if (gg_rid_parse(checker, ta, la, &reader, "fuzz", &back, &err) != 0)
		finding("a built Report does not read back", &err);
	if (back->type != GG_RID_REPORT || back->incident_id == NULL || back->n_documents != 1)
		finding("a built Report reads back as something else", NULL);
	gg_rid_message_free(back);
	xmlFreeDoc(a);
	xmlFreeDoc(b);
	free(ta);
	free(tb);
}

/* The exporter's reader of an answer: 0 or a documented refusal with a reason. */
static void check_answer(const uint8_t *data, size_t size)
{
	struct gg_error err = { 0 };
	struct gg_rid_answer a;
	int rc = gg_rid_answer_read(checker, (const char *)data, size, &a, &err);

	if (rc == 0)
		return;
	if (rc != -EINVAL && rc != -EFBIG && rc != -ENOMEM)
		finding("an answer refused with a code rid_report.h does not list", &err);
	if (err.msg[0] == '\0')
		finding("an answer refused without a reason", NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gg_error err = { 0 };
	struct gg_rid_message *m = NULL;
	int rc;

	check_answer(data, size);
	rc = gg_rid_parse(checker, (const char *)data, size, NULL, "fuzz", &m, &err);
	if (rc != 0) {
		if (m != NULL)
			finding("a refused message returned a result", &err);
		if (rc != -EINVAL && rc != -ENOTSUP && rc != -EFBIG)
			finding("a refusal with a code rid_envelope.h does not list", &err);
		if (err.msg[0] == '\0')
			finding("a refusal without a reason", NULL);
		return 0;
	}
	if (m == NULL || m->doc == NULL || m->destination == NULL || m->n_regions == 0 ||
	    m->n_traffic_types == 0 || strlen(m->digest) != 64)
		finding("an accepted message lacks a field rid_envelope.h promises", NULL);
	for (size_t i = 0; i < m->n_documents; i++) {
		check_document(m->documents[i]);
		check_report(m->documents[i]);
	}
	check_ack(m);
	gg_rid_message_free(m);
	return 0;
}
