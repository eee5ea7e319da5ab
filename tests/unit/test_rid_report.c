/* test_rid_report.c: the Report gridgate sends a RID partner is valid RID, reads back through
 * gridgate's own envelope parser as a Report about the document's incident with the document's
 * Incidents unchanged, and is the same message every time; the partner's answers read back. */
#include "test_rid_fixture.h"

#include <errno.h>

#include <libxml/c14n.h>

#include "iodef/iodef_build.h"
#include "rid/rid_envelope.h"
#include "rid/rid_internal.h"
#include "rid/rid_reply.h"
#include "rid/rid_report.h"

static const char *const regions[] = { "PeerToPeer", "IntraConsortium" };
static const char *const traffic[] = { "Attack" };
static const struct gg_rid_report_policy policy = {
	.destination = "RIDSystem",
	.regions = regions,
	.n_regions = 2,
	.traffic_types = traffic,
	.n_traffic_types = 1,
	.node = "gridgate-a.example",
};

/* The receiving parser collapses the whitespace of xs:dateTime values, as XML Schema reads
 * them (docs/rid.md): the original is compared in that form. */
static void collapse_times(xmlNodePtr el)
{
	for (; el != NULL; el = el->next) {
		const char *name = (const char *)el->name;
		size_t n;

		if (el->type != XML_ELEMENT_NODE)
			continue;
		n = strlen(name);
		if (el->children != NULL && el->children == el->last &&
		    el->children->type == XML_TEXT_NODE &&
		    ((n > 4 && strcmp(name + n - 4, "Time") == 0) ||
		     strcmp(name, "DateDomainWasChecked") == 0 ||
		     strcmp(name, "RegistrationDate") == 0 || strcmp(name, "ExpirationDate") == 0)) {
			xmlChar *v = xmlNodeGetContent(el);
			char *p = (char *)v, *end;

			while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r')
				p++;
			end = p + strlen(p);
			while (end > p && (end[-1] == ' ' || end[-1] == '\n' || end[-1] == '\t' ||
					   end[-1] == '\r'))
				*--end = '\0';
			xmlNodeSetContent(el, NULL);
			xmlNodeAddContent(el, BAD_CAST p);
			xmlFree(v);
			continue;
		}
		collapse_times(el->children);
	}
}

/* Exclusive canonical form of the index-th Incident of doc, as a document of its own (the
 * namespaces it uses declared on it, whatever its ancestors declared). */
static char *incident_c14n(xmlDocPtr doc, int index)
{
	xmlNodePtr root = xmlDocGetRootElement(doc);
	xmlChar *text = NULL;
	xmlDocPtr one;
	int i = 0;

	for (xmlNodePtr c = root->children; c != NULL; c = c->next) {
		if (!gg_xml_is_element(c, GG_IODEF2_NS, "Incident") || i++ != index)
			continue;
		one = xmlNewDoc(BAD_CAST "1.0");
		xmlDocSetRootElement(one, xmlDocCopyNode(c, one, 1));
		assert_true(xmlC14NDocDumpMemory(one, NULL, XML_C14N_EXCLUSIVE_1_0, NULL, 0,
						 &text) > 0);
		xmlFreeDoc(one);
		return (char *)text;
	}
	return NULL;
}

static int count_incidents(xmlDocPtr doc)
{
	int n = 0;

	for (xmlNodePtr c = xmlDocGetRootElement(doc)->children; c != NULL; c = c->next)
		n += gg_xml_is_element(c, GG_IODEF2_NS, "Incident");
	return n;
}

/* The built text, its RID schema check, and gridgate's own parse of it. */
static struct gg_rid_message *send_and_read(struct fixture *f, const char *rel, char **text_out)
{
	struct gg_error err = { 0 };
	struct gg_rid_message *m = NULL;
	size_t len, tlen = 0;
	char *buf = gg_test_read_data(rel, &len), *text = NULL;
	xmlDocPtr back = NULL;

	if (gg_rid_report_text(&policy, buf, len, NULL, &text, &tlen, &err) != 0)
		fail_msg("%s: %s", rel, err.msg);
	assert_int_equal(strlen(text), tlen);
	assert_int_equal(gg_xml_parse(text, tlen, NULL, &back, &err), 0);
	if (gg_rid_schema_check(f->c, back, &err) != 0)
		fail_msg("%s: not valid RID: %s\n%s", rel, err.msg, text);
	xmlFreeDoc(back);
	if (gg_rid_parse(f->c, text, tlen, NULL, "a", &m, &err) != 0)
		fail_msg("%s: gg_rid_parse: %s\n%s", rel, err.msg, text);
	free(buf);
	*text_out = text;
	return m;
}

static void test_report_reads_back(void **state)
{
	static const char *const files[] = {
		"iodef/rfc7970/rfc7970-s7.1-minimal.xml",
		"iodef/realworld/milewg-iodef2stix/GuidanceDraft_DDoS.xml",
		"iodef/realworld/milewg-iodef2stix/GuidanceDraft_SpearPhishing.xml",
	};
	struct fixture *f = *state;

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		xmlDocPtr orig = gg_test_parse_data(files[i]);
		char *text = NULL;
		struct gg_rid_message *m;
		int n;

		m = send_and_read(f, files[i], &text);
		n = count_incidents(orig);
		collapse_times(xmlDocGetRootElement(orig));

		assert_int_equal(m->type, GG_RID_REPORT);
		assert_string_equal(m->destination, "RIDSystem");
		assert_int_equal(m->n_regions, 2);
		assert_string_equal(m->regions[0], "PeerToPeer");
		assert_string_equal(m->regions[1], "IntraConsortium");
		assert_int_equal(m->n_traffic_types, 1);
		assert_string_equal(m->traffic_types[0], "Attack");
		/* The Report names the incident it carries (RFC 6545's IncidentID). */
		assert_non_null(m->incident_id);
		gg_assert_xpath(orig, "normalize-space(/i:IODEF-Document/i:Incident[1]/i:IncidentID)",
				m->incident_id);
		gg_assert_xpath(orig, "normalize-space(/i:IODEF-Document/i:Incident[1]/i:IncidentID/@name)",
				m->incident_name);
		/* One document, valid IODEF 2.0, every Incident as it was sent. */
		assert_int_equal(m->n_documents, 1);
		assert_int_equal(gg_validator_check(f->v, m->documents[0], NULL), 0);
		assert_true(n >= 1);
		assert_int_equal(count_incidents(m->documents[0]), n);
		for (int k = 0; k < n; k++) {
			char *want = incident_c14n(orig, k), *got = incident_c14n(m->documents[0], k);

			assert_non_null(want);
			assert_string_equal(got, want);
			xmlFree(want);
			xmlFree(got);
		}
		gg_rid_message_free(m);
		free(text);
		xmlFreeDoc(orig);
	}
}

/* A resend is the same message: the receiver's digest (with the IncidentID, its retry key)
 * does not change. */
static void test_report_is_deterministic(void **state)
{
	struct fixture *f = *state;
	char *t1 = NULL, *t2 = NULL;
	struct gg_rid_message *a = send_and_read(f, "iodef/rfc7970/rfc7970-s7.1-minimal.xml", &t1);
	struct gg_rid_message *b = send_and_read(f, "iodef/rfc7970/rfc7970-s7.1-minimal.xml", &t2);

	assert_string_equal(t1, t2);
	assert_string_equal(a->digest, b->digest);
	gg_rid_message_free(a);
	gg_rid_message_free(b);
	free(t1);
	free(t2);
}

static void test_report_refuses(void **state)
{
	static const char *const bad_region[] = { "Everywhere" };
	static const char v2_no_id[] =
		"<IODEF-Document version=\"2.00\" xmlns=\"urn:ietf:params:xml:ns:iodef-2.0\">"
		"<Incident purpose=\"reporting\"><GenerationTime>2015-07-18T09:00:00Z"
		"</GenerationTime></Incident></IODEF-Document>";
	static const char no_incident[] =
		"<IODEF-Document version=\"2.00\" xmlns=\"urn:ietf:params:xml:ns:iodef-2.0\"/>";
	struct gg_rid_report_policy p = policy;
	struct gg_error err = { 0 };
	xmlDocPtr v1 = gg_test_parse_data("iodef/rfc5070/rfc5070-s7.1-worm.xml"), out = NULL;
	char *text = NULL;
	size_t len = 0;

	(void)state;
	assert_int_equal(gg_rid_report_build(&policy, v1, &out, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "not IODEF 2.0"));
	assert_null(out);
	assert_int_equal(gg_rid_report_text(&policy, v2_no_id, strlen(v2_no_id), NULL, &text, &len,
					    &err),
			 -EINVAL);
	assert_non_null(strstr(err.msg, "no IncidentID"));
	assert_int_equal(gg_rid_report_text(&policy, no_incident, strlen(no_incident), NULL, &text,
					    &len, &err),
			 -EINVAL);
	assert_non_null(strstr(err.msg, "no Incident"));
	assert_int_equal(gg_rid_report_text(&policy, "<a>", 3, NULL, &text, &len, &err), -EINVAL);
	assert_null(text);

	p.regions = bad_region;
	p.n_regions = 1;
	assert_int_equal(gg_rid_report_policy_check(&p, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "PolicyRegion 'Everywhere' is not one of ClientToSP"));
	p = policy;
	p.n_traffic_types = 0;
	assert_int_equal(gg_rid_report_policy_check(&p, &err), -EINVAL);
	p = policy;
	p.destination = "ext-value";
	assert_int_equal(gg_rid_report_policy_check(&p, &err), -EINVAL);
	p = policy;
	p.node = "";
	assert_int_equal(gg_rid_report_policy_check(&p, &err), -EINVAL);
	xmlFreeDoc(v1);
}

static void read_reply(struct fixture *f, xmlDocPtr reply, struct gg_rid_answer *a)
{
	struct gg_error err = { 0 };
	char *text = NULL;
	size_t len = 0;

	assert_int_equal(gg_xml_serialize(reply, &text, &len), 0);
	if (gg_rid_answer_read(f->c, text, len, a, &err) != 0)
		fail_msg("%s\n%s", err.msg, text);
	free(text);
}

/* What the RID input answers reads back: an Acknowledgement of the Report, a refusal, and a
 * RequestStatus alone; anything else is no RID answer. */
static void test_answers(void **state)
{
	static const char bad_status[] =
		"<RID xmlns=\"urn:ietf:params:xml:ns:iodef-rid-2.0\" lang=\"en\">"
		"<RequestStatus AuthorizationStatus=\"Maybe\"/></RID>";
	static const char empty_rid[] =
		"<RID xmlns=\"urn:ietf:params:xml:ns:iodef-rid-2.0\" lang=\"en\"/>";
	struct fixture *f = *state;
	struct gg_error err = { 0 };
	struct gg_rid_answer a;
	char *text = NULL;
	struct gg_rid_message *m = send_and_read(f, "iodef/rfc7970/rfc7970-s7.1-minimal.xml", &text);
	xmlDocPtr reply = NULL;

	assert_int_equal(gg_rid_reply_ack(m, GG_RID_APPROVED, GG_RID_JUST_NONE, &reply, &err), 0);
	read_reply(f, reply, &a);
	xmlFreeDoc(reply);
	assert_string_equal(a.msg_type, "Acknowledgement");
	assert_string_equal(a.status, "Approved");
	assert_string_equal(a.justification, "");
	assert_string_equal(a.incident_id, m->incident_id);

	assert_int_equal(gg_rid_reply_ack(m, GG_RID_DENIED, GG_RID_JUST_CANNOT_PROCESS, &reply, &err),
			 0);
	read_reply(f, reply, &a);
	xmlFreeDoc(reply);
	assert_string_equal(a.status, "Denied");
	assert_string_equal(a.justification, "CannotProcess");

	assert_int_equal(gg_rid_reply_ack(NULL, GG_RID_DENIED, GG_RID_JUST_OTHER, &reply, &err), 0);
	read_reply(f, reply, &a);
	xmlFreeDoc(reply);
	assert_string_equal(a.msg_type, "");
	assert_string_equal(a.status, "Denied");
	assert_string_equal(a.justification, "Other");

	assert_int_equal(gg_rid_answer_read(f->c, bad_status, strlen(bad_status), &a, &err), -EINVAL);
	/* Without the schema only the shape is read. */
	assert_int_equal(gg_rid_answer_read(NULL, bad_status, strlen(bad_status), &a, &err), 0);
	assert_int_equal(gg_rid_answer_read(f->c, empty_rid, strlen(empty_rid), &a, &err), -EINVAL);
	assert_int_equal(gg_rid_answer_read(f->c, "{\"ok\":1}", 8, &a, &err), -EINVAL);
	assert_int_equal(gg_rid_answer_read(f->c, "", 0, &a, &err), -EINVAL);
	gg_rid_message_free(m);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_report_reads_back),
		cmocka_unit_test(test_report_is_deterministic),
		cmocka_unit_test(test_report_refuses),
		cmocka_unit_test(test_answers),
	};

	gg_xml_init();
	return cmocka_run_group_tests(tests, gg_test_rid_setup, gg_test_rid_teardown);
}
