/* test_rid_reply.c: every reply gridgate builds is valid RID, echoes the request's policy so
 * the sender can match it, and a Report built for a Query reads back as one. */
#include "test_rid_fixture.h"

#include <errno.h>

#include "rid/rid_envelope.h"
#include "rid/rid_internal.h"
#include "rid/rid_reply.h"

static struct gg_rid_message *parse(struct fixture *f, const char *rel)
{
	struct gg_error err = { 0 };
	struct gg_rid_message *m = NULL;
	size_t len;
	char *buf = gg_test_read_data(rel, &len);

	if (gg_rid_parse(f->c, buf, len, NULL, "partner-a", &m, &err) != 0)
		fail_msg("%s: %s", rel, err.msg);
	free(buf);
	return m;
}

/* A built reply goes out as text: what counts is that the text parses back as valid RID. */
static struct gg_rid_message *round_trip(struct fixture *f, xmlDocPtr reply)
{
	struct gg_error err = { 0 };
	struct gg_rid_message *m = NULL;
	xmlDocPtr back = NULL;
	char *text = NULL;
	size_t len = 0;

	assert_int_equal(gg_xml_serialize(reply, &text, &len), 0);
	assert_int_equal(gg_xml_parse(text, len, NULL, &back, &err), 0);
	if (gg_rid_schema_check(f->c, back, &err) != 0)
		fail_msg("%s\n%s", err.msg, text);
	xmlFreeDoc(back);
	if (gg_rid_parse(f->c, text, len, NULL, "self", &m, &err) != 0)
		fail_msg("%s\n%s", err.msg, text);
	free(text);
	return m;
}

#define RID "urn:ietf:params:xml:ns:iodef-rid-2.0"

static char *rid_xpath(xmlDocPtr doc, const char *expr)
{
	xmlXPathContextPtr ctx = xmlXPathNewContext(doc);
	xmlXPathObjectPtr obj;
	xmlChar *s;

	assert_non_null(ctx);
	xmlXPathRegisterNs(ctx, BAD_CAST "r", BAD_CAST RID);
	xmlXPathRegisterNs(ctx, BAD_CAST "v1", BAD_CAST GG_IODEF1_NS);
	obj = xmlXPathEvalExpression(BAD_CAST expr, ctx);
	xmlXPathFreeContext(ctx);
	assert_non_null(obj);
	s = xmlXPathCastToString(obj);
	xmlXPathFreeObject(obj);
	return (char *)s;
}

static void assert_rid_xpath(xmlDocPtr doc, const char *expr, const char *want)
{
	char *got = rid_xpath(doc, expr);

	if (strcmp(got, want) != 0)
		fail_msg("%s: got '%s', want '%s'", expr, got, want);
	xmlFree(got);
}

/* Every message type of the corpus gets an Acknowledgement that names its incident. */
static void test_ack_each_message(void **state)
{
	static const char *const files[] = {
		"rid/rfc6545/rfc6545-s7.1.1-TraceRequest.xml",
		"rid/rfc6545/rfc6545-s7.3.1-Report.xml",
		"rid/gridgate/investigation-request-iodef2.xml",
		"rid/gridgate/query.xml",
		"rid/gridgate/result.xml",
	};
	struct fixture *f = *state;

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		struct gg_rid_message *req = parse(f, files[i]), *ack;
		struct gg_error err = { 0 };
		xmlDocPtr reply = NULL;

		assert_int_equal(gg_rid_reply_ack(req, GG_RID_APPROVED, GG_RID_JUST_NONE, &reply,
						  &err),
				 0);
		ack = round_trip(f, reply);
		assert_int_equal(ack->type, GG_RID_ACKNOWLEDGEMENT);
		assert_string_equal(ack->status, "Approved");
		assert_null(ack->justification);
		assert_int_equal(ack->n_documents, 0);
		if (req->incident_id != NULL)
			assert_string_equal(ack->incident_id, req->incident_id);
		assert_int_equal(ack->n_regions, req->n_regions);
		assert_string_equal(ack->regions[0], req->regions[0]);
		assert_rid_xpath(reply, "count(//r:ReportSchema)", "0");
		assert_rid_xpath(reply, "string(/r:RID/r:RIDPolicy/@MsgDestination)", "RIDSystem");
		gg_rid_message_free(ack);
		xmlFreeDoc(reply);
		gg_rid_message_free(req);
	}
}

/* The RFC's section 7.1.2 answer to its 7.1.1 TraceRequest, built. */
static void test_ack_matches_rfc_example(void **state)
{
	struct fixture *f = *state;
	struct gg_rid_message *req = parse(f, "rid/rfc6545/rfc6545-s7.1.1-TraceRequest.xml");
	struct gg_rid_message *rfc = parse(f, "rid/rfc6545/rfc6545-s7.1.2-Acknowledgement.xml");
	struct gg_error err = { 0 };
	xmlDocPtr reply = NULL;
	struct gg_rid_message *ours;

	assert_int_equal(gg_rid_reply_ack(req, GG_RID_APPROVED, GG_RID_JUST_NONE, &reply, &err), 0);
	ours = round_trip(f, reply);
	assert_int_equal(ours->type, rfc->type);
	assert_string_equal(ours->status, rfc->status);
	assert_string_equal(ours->incident_id, rfc->incident_id);
	assert_string_equal(ours->incident_name, rfc->incident_name);
	assert_string_equal(ours->regions[0], rfc->regions[0]);
	assert_string_equal(ours->traffic_types[0], rfc->traffic_types[0]);
	gg_rid_message_free(ours);
	gg_rid_message_free(rfc);
	gg_rid_message_free(req);
	xmlFreeDoc(reply);
}

static void test_denied(void **state)
{
	struct fixture *f = *state;
	struct gg_rid_message *req = parse(f, "rid/gridgate/query.xml"), *back;
	struct gg_error err = { 0 };
	xmlDocPtr reply = NULL;

	assert_int_equal(gg_rid_reply_ack(req, GG_RID_DENIED, GG_RID_JUST_AUTHENTICATION, &reply,
					  &err),
			 0);
	back = round_trip(f, reply);
	assert_string_equal(back->status, "Denied");
	assert_string_equal(back->justification, "Authentication");
	gg_rid_message_free(back);
	xmlFreeDoc(reply);
	gg_rid_message_free(req);
}

/* For a message that could not be read there is no policy to echo: RequestStatus alone, which
 * the schema allows (and gridgate's own parser refuses, having no MsgType to act on). */
static void test_error_without_request(void **state)
{
	static const int codes[] = { -EINVAL, -EFBIG, -ENOTSUP, -ENOMEM };
	static const char *const want[] = { "UnrecognizedFormat", "UnrecognizedFormat",
					    "CannotProcess", "SystemResource" };
	struct fixture *f = *state;

	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		struct gg_error err = { 0 };
		xmlDocPtr reply = NULL;

		assert_int_equal(gg_rid_reply_ack(NULL, GG_RID_DENIED,
						  gg_rid_justification_of(codes[i]), &reply, &err),
				 0);
		assert_int_equal(gg_rid_schema_check(f->c, reply, &err), 0);
		assert_rid_xpath(reply, "string(/r:RID/r:RequestStatus/@AuthorizationStatus)",
				 "Denied");
		assert_rid_xpath(reply, "string(/r:RID/r:RequestStatus/@Justification)", want[i]);
		assert_rid_xpath(reply, "count(/r:RID/*)", "1");
		xmlFreeDoc(reply);
	}
}

/* A Query answered with a Report holding the Incidents of two documents. */
static void test_report_for_query(void **state)
{
	struct fixture *f = *state;
	struct gg_rid_message *q = parse(f, "rid/gridgate/query.xml");
	struct gg_rid_message *a = parse(f, "rid/rfc6545/rfc6545-s7.3.1-Report.xml");
	struct gg_rid_message *b = parse(f, "rid/gridgate/investigation-request-iodef2.xml");
	struct gg_rid_message *back;
	xmlDocPtr docs[2] = { a->documents[0], b->documents[0] };
	struct gg_error err = { 0 };
	xmlDocPtr reply = NULL;

	assert_int_equal(gg_rid_reply_report(q, docs, 2, &reply, &err), 0);
	assert_rid_xpath(reply, "string(//r:ReportSchema/@ext-XMLSchemaID)", GG_IODEF2_NS);
	back = round_trip(f, reply);
	assert_int_equal(back->type, GG_RID_REPORT);
	assert_string_equal(back->incident_id, q->incident_id);
	assert_int_equal(back->n_documents, 1);
	assert_int_equal(gg_test_xpath_count(back->documents[0], "/i:IODEF-Document/i:Incident"),
			 2);
	assert_int_equal(gg_validator_check(f->v, back->documents[0], &err), 0);
	/* gridgate's own context of the published documents is not sent back out. */
	assert_int_equal(gg_test_xpath_count(back->documents[0],
					     "//i:AdditionalData[@meaning='rid-partner']"),
			 1);
	gg_assert_xpath(back->documents[0], "string(//i:AdditionalData[@meaning='rid-partner'])",
			"self");
	gg_rid_message_free(back);
	xmlFreeDoc(reply);
	gg_rid_message_free(a);
	gg_rid_message_free(b);
	gg_rid_message_free(q);
}

static void test_report_refuses(void **state)
{
	struct fixture *f = *state;
	struct gg_rid_message *q = parse(f, "rid/gridgate/query.xml");
	xmlDocPtr v1 = gg_test_parse_data("iodef/rfc5070/rfc5070-s7.1-worm.xml");
	struct gg_error err = { 0 };
	xmlDocPtr reply = NULL;

	assert_int_equal(gg_rid_reply_report(q, NULL, 0, &reply, &err), -EINVAL);
	assert_int_equal(gg_rid_reply_report(q, &v1, 1, &reply, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "document 1 is not IODEF 2.0"));
	assert_null(reply);
	xmlFreeDoc(v1);
	gg_rid_message_free(q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ack_each_message),
		cmocka_unit_test(test_ack_matches_rfc_example),
		cmocka_unit_test(test_denied),
		cmocka_unit_test(test_error_without_request),
		cmocka_unit_test(test_report_for_query),
		cmocka_unit_test(test_report_refuses),
	};

	gg_xml_init();
	return cmocka_run_group_tests(tests, gg_test_rid_setup, gg_test_rid_teardown);
}
