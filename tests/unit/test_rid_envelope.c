/* test_rid_envelope.c: RID messages in: every MsgType parsed from the RFC 6545 examples and
 * gridgate's own, the IODEF they carry upgraded and tagged with the RID context, and every
 * kind of bad input refused with a message that names what is wrong. */
#include "test_rid_fixture.h"

#include <errno.h>

#include "rid/rid_envelope.h"

static struct gg_rid_message *parse_ok(struct fixture *f, const char *rel)
{
	struct gg_error err = { 0 };
	struct gg_rid_message *m = NULL;
	size_t len;
	char *buf = gg_test_read_data(rel, &len);
	int rc = gg_rid_parse(f->c, buf, len, NULL, "partner-a", &m, &err);

	free(buf);
	if (rc != 0)
		fail_msg("%s: %s", rel, err.msg);
	assert_non_null(m);
	/* Every document handed out is valid IODEF 2.0 on its own. */
	for (size_t i = 0; i < m->n_documents; i++)
		if (gg_validator_check(f->v, m->documents[i], &err) != 0)
			fail_msg("%s: document %zu: %s", rel, i + 1, err.msg);
	return m;
}

/* Parses text that must be refused with code and a message containing want. */
static void refused_text(struct fixture *f, const char *text, size_t len,
			 const struct gg_xml_limits *limits, int code, const char *want)
{
	struct gg_error err = { 0 };
	struct gg_rid_message *m = NULL;
	int rc = gg_rid_parse(f->c, text, len, limits, "partner-a", &m, &err);

	assert_null(m);
	if (rc != code || strstr(err.msg, want) == NULL)
		fail_msg("got %d '%s', want %d and '%s'", rc, err.msg, code, want);
}

static void refused(struct fixture *f, const char *rel, int code, const char *want)
{
	size_t len;
	char *buf = gg_test_read_data(rel, &len);

	refused_text(f, buf, len, NULL, code, want);
	free(buf);
}

static void test_trace_request_rfc(void **state)
{
	struct gg_rid_message *m = parse_ok(*state, "rid/rfc6545/rfc6545-s7.1.1-TraceRequest.xml");

	assert_int_equal(m->type, GG_RID_TRACE_REQUEST);
	assert_string_equal(m->destination, "RIDSystem");
	assert_int_equal(m->n_regions, 1);
	assert_string_equal(m->regions[0], "IntraConsortium");
	assert_int_equal(m->n_traffic_types, 1);
	assert_string_equal(m->traffic_types[0], "Attack");
	assert_string_equal(m->incident_id, "CERT-FOR-OUR-DOMAIN#207-1");
	assert_string_equal(m->incident_name, "CERT-FOR-OUR-DOMAIN");
	assert_null(m->status);
	assert_int_equal(strlen(m->digest), 64);
	/* The unqualified IODEF-Document of the example is taken as the 1.0 it means, and its
	 * line-wrapped DateTime as the value xs:dateTime collapses it to. */
	assert_int_equal(m->n_documents, 1);
	gg_assert_xpath(m->documents[0], "string(/i:IODEF-Document/@version)", "2.00");
	gg_assert_xpath(m->documents[0], "string(//i:HistoryItem/i:DateTime)",
			"2001-09-14T08:19:01+00:00");
	gg_assert_xpath(m->documents[0], "string(//i:Incident/@purpose)", "traceback");
	gg_rid_message_free(m);
}

static void test_acknowledgement_rfc(void **state)
{
	struct gg_rid_message *m =
		parse_ok(*state, "rid/rfc6545/rfc6545-s7.1.2-Acknowledgement.xml");

	assert_int_equal(m->type, GG_RID_ACKNOWLEDGEMENT);
	assert_string_equal(m->status, "Approved");
	assert_null(m->justification);
	assert_string_equal(m->incident_id, "CERT-FOR-OUR-DOMAIN#207-1");
	assert_int_equal(m->n_documents, 0);
	gg_rid_message_free(m);
}

/* The context rides along as IODEF-Document/AdditionalData, one fact each. */
static void test_report_rfc_context(void **state)
{
	struct gg_rid_message *m = parse_ok(*state, "rid/rfc6545/rfc6545-s7.3.1-Report.xml");
	xmlDocPtr d;

	assert_int_equal(m->type, GG_RID_REPORT);
	assert_string_equal(m->regions[0], "PeerToPeer");
	assert_int_equal(m->n_documents, 1);
	d = m->documents[0];
	gg_assert_xpath(d, "string(/i:IODEF-Document/i:AdditionalData[@meaning='rid-partner'])",
			"partner-a");
	gg_assert_xpath(d, "string(/i:IODEF-Document/i:AdditionalData[@meaning='rid-msgtype'])",
			"Report");
	gg_assert_xpath(d,
			"string(/i:IODEF-Document/i:AdditionalData[@meaning='rid-incident-id'])",
			"CERT-FOR-OUR-DOMAIN#209-1");
	gg_assert_xpath(
		d, "string(/i:IODEF-Document/i:AdditionalData[@meaning='rid-incident-csirt'])",
		"CERT-FOR-OUR-DOMAIN");
	gg_assert_xpath(
		d, "string(/i:IODEF-Document/i:AdditionalData[@meaning='rid-policy-region'])",
		"PeerToPeer");
	gg_assert_xpath(d, "string(/i:IODEF-Document/i:AdditionalData[1]/@dtype)", "string");
	/* Upgraded: Impact type admin became SystemImpact takeover-system. */
	gg_assert_xpath(d, "string(//i:SystemImpact/@type)", "takeover-system");
	gg_rid_message_free(m);
}

static void test_investigation_request_iodef2(void **state)
{
	struct gg_rid_message *m =
		parse_ok(*state, "rid/gridgate/investigation-request-iodef2.xml");

	assert_int_equal(m->type, GG_RID_INVESTIGATION_REQUEST);
	assert_string_equal(m->destination, "SourceOfIncident");
	/* ext-value reads as the ext- attribute's text. */
	assert_int_equal(m->n_regions, 2);
	assert_string_equal(m->regions[1], "EU-CSIRTs");
	assert_int_equal(m->n_documents, 1);
	assert_int_equal(gg_test_xpath_count(m->documents[0],
					     "/i:IODEF-Document/i:AdditionalData"
					     "[@meaning='rid-policy-region']"),
			 2);
	gg_assert_xpath(m->documents[0], "string(//i:EmailTo)", "contact@csirt.example.com");
	gg_rid_message_free(m);
}

static void test_query(void **state)
{
	struct gg_rid_message *m = parse_ok(*state, "rid/gridgate/query.xml");

	assert_int_equal(m->type, GG_RID_QUERY);
	assert_string_equal(m->incident_id, "CERT-FOR-OUR-DOMAIN#209-1");
	assert_int_equal(m->n_documents, 0);
	gg_rid_message_free(m);
}

static void test_result(void **state)
{
	struct gg_rid_message *m = parse_ok(*state, "rid/gridgate/result.xml");

	assert_int_equal(m->type, GG_RID_RESULT);
	assert_int_equal(m->n_documents, 1);
	gg_assert_xpath(m->documents[0], "string(/i:IODEF-Document/i:AdditionalData"
					 "[@meaning='rid-msgtype'])",
			"Result");
	gg_rid_message_free(m);
}

/* The caller may keep a document past the message. */
static void test_take_document(void **state)
{
	struct gg_rid_message *m = parse_ok(*state, "rid/rfc6545/rfc6545-s7.3.1-Report.xml");
	xmlDocPtr d = m->documents[0];

	m->documents[0] = NULL;
	gg_rid_message_free(m);
	gg_assert_xpath(d, "normalize-space(//i:IncidentID)", "CERT-FOR-OUR-DOMAIN#209-1");
	xmlFreeDoc(d);
}

/* A dateTime written with space around it (xs:dateTime collapses it; libxml2 2.9's check
 * does not) in a message that needs no other fix: checked on a working copy all the same,
 * and the document handed out carries the collapsed value. */
static void test_spaced_datetime(void **state)
{
	struct fixture *f = *state;
	struct gg_error err = { 0 };
	struct gg_rid_message *m = NULL;
	size_t len;
	char *buf = gg_test_read_data("rid/rfc6545/rfc6545-s7.3.1-Report.xml", &len);
	const char *at = strstr(buf, "<iodef:DetectTime>2004");
	char *spaced = malloc(len + 8);

	assert_non_null(at);
	assert_non_null(spaced);
	at += strlen("<iodef:DetectTime>");
	memcpy(spaced, buf, (size_t)(at - buf));
	memcpy(spaced + (at - buf), "\n       ", 8);
	memcpy(spaced + (at - buf) + 8, at, len - (size_t)(at - buf));
	assert_int_equal(gg_rid_parse(f->c, spaced, len + 8, NULL, "partner-a", &m, &err), 0);
	gg_assert_xpath(m->documents[0], "string(//i:DetectTime)", "2004-02-05T10:21:08+00:00");
	gg_rid_message_free(m);
	free(spaced);
	free(buf);
}

/* The digest is SHA-256 over the exclusive canonical form without comments: what
 * `xmllint --exc-c14n FILE | sed 's/<!--[^>]*-->//g' | sha256sum` prints for the example
 * (xmllint keeps comments). A digest that changed would give a retry across an upgrade new
 * ids, and the spool would keep it twice. */
static void test_digest_is_exc_c14n(void **state)
{
	struct gg_rid_message *m = parse_ok(*state, "rid/rfc6545/rfc6545-s7.3.1-Report.xml");

	assert_string_equal(m->digest,
			    "b1d8c416d6a43e7423cbfe4bff3f6dc361b1ec8e6e9b3eb3deda96d69375d2a9");
	gg_rid_message_free(m);
}

/* A retry recognised by its digest: the same message laid out differently digests the same;
 * a changed value does not. */
static void test_digest(void **state)
{
	struct fixture *f = *state;
	static const char a[] =
		"<r:RID xmlns:r='urn:ietf:params:xml:ns:iodef-rid-2.0' "
		"xmlns:i='urn:ietf:params:xml:ns:iodef-1.0' lang='en'><r:RIDPolicy "
		"MsgType='Query' MsgDestination='RIDSystem'><r:PolicyRegion region='PeerToPeer'/>"
		"<i:Node><i:Address>192.0.2.1</i:Address></i:Node><r:TrafficType type='Attack'/>"
		"</r:RIDPolicy></r:RID>";
	static const char b[] =
		"<?xml version=\"1.0\"?>\n<r:RID lang=\"en\" "
		"xmlns:i=\"urn:ietf:params:xml:ns:iodef-1.0\" "
		"xmlns:r=\"urn:ietf:params:xml:ns:iodef-rid-2.0\"><r:RIDPolicy "
		"MsgDestination=\"RIDSystem\" MsgType=\"Query\"><r:PolicyRegion region=\"PeerToPeer\""
		"></r:PolicyRegion><i:Node><i:Address>192.0.2.1</i:Address></i:Node><!-- c -->"
		"<r:TrafficType type=\"Attack\"/></r:RIDPolicy></r:RID>";
	struct gg_error err = { 0 };
	struct gg_rid_message *ma = NULL, *mb = NULL, *mc = NULL;
	char *c = strdup(a);

	assert_non_null(c);
	*strstr(c, "192.0.2.1") = '9';
	assert_int_equal(gg_rid_parse(f->c, a, strlen(a), NULL, NULL, &ma, &err), 0);
	assert_int_equal(gg_rid_parse(f->c, b, strlen(b), NULL, NULL, &mb, &err), 0);
	assert_int_equal(gg_rid_parse(f->c, c, strlen(c), NULL, NULL, &mc, &err), 0);
	assert_string_equal(ma->digest, mb->digest);
	assert_string_not_equal(ma->digest, mc->digest);
	assert_null(ma->incident_id);
	gg_rid_message_free(ma);
	gg_rid_message_free(mb);
	gg_rid_message_free(mc);
	free(c);
}

/* The digest of text, parsed as charset (NULL: none) into out. */
static void digest_of_text(struct fixture *f, const char *text, size_t len, const char *charset,
			   char out[65])
{
	struct gg_error err = { 0 };
	struct gg_rid_message *m = NULL;

	if (gg_rid_parse_as(f->c, text, len, NULL, charset, NULL, &m, &err) != 0)
		fail_msg("%s\n%s", err.msg, text);
	memcpy(out, m->digest, 65);
	gg_rid_message_free(m);
}

/* Exactly what a retry may change and still be recognised (docs/rid.md): what exclusive
 * canonicalization makes equal (quotes, attribute order, whitespace inside tags, line ends,
 * the XML declaration, the encoding, a byte order mark, character references, CDATA, empty
 * element form, comments, where a namespace is declared), and what it does not (whitespace
 * between elements, another namespace prefix). */
static void test_digest_what_a_retry_may_change(void **state)
{
	struct fixture *f = *state;
	static const char *const same[] = {
		"<r:RID\r\n  lang='en' xmlns:r='urn:ietf:params:xml:ns:iodef-rid-2.0'><r:RIDPolicy "
		"MsgType='Query' MsgDestination='RIDSystem'><r:PolicyRegion region='PeerToPeer'/>"
		"<i:Node xmlns:i='urn:ietf:params:xml:ns:iodef-1.0'><i:Address>&#49;92.0.2.1"
		"</i:Address></i:Node><r:TrafficType type='Attack'/></r:RIDPolicy></r:RID>",
		"\xef\xbb\xbf<r:RID xmlns:r='urn:ietf:params:xml:ns:iodef-rid-2.0' "
		"xmlns:unused='urn:example' "
		"xmlns:i='urn:ietf:params:xml:ns:iodef-1.0' lang='en'><r:RIDPolicy "
		"MsgType='Query' MsgDestination='RIDSystem'><r:PolicyRegion region='PeerToPeer'>"
		"</r:PolicyRegion><i:Node><i:Address><![CDATA[192.0.2.1]]></i:Address></i:Node>"
		"<r:TrafficType type='Attack'/></r:RIDPolicy></r:RID>",
	};
	static const char *const other[] = {
		"<r:RID xmlns:r='urn:ietf:params:xml:ns:iodef-rid-2.0' "
		"xmlns:i='urn:ietf:params:xml:ns:iodef-1.0' lang='en'>\n  <r:RIDPolicy "
		"MsgType='Query' MsgDestination='RIDSystem'><r:PolicyRegion region='PeerToPeer'/>"
		"<i:Node><i:Address>192.0.2.1</i:Address></i:Node><r:TrafficType type='Attack'/>"
		"</r:RIDPolicy></r:RID>",
		"<rid:RID xmlns:rid='urn:ietf:params:xml:ns:iodef-rid-2.0' "
		"xmlns:i='urn:ietf:params:xml:ns:iodef-1.0' lang='en'><rid:RIDPolicy "
		"MsgType='Query' MsgDestination='RIDSystem'><rid:PolicyRegion region='PeerToPeer'/>"
		"<i:Node><i:Address>192.0.2.1</i:Address></i:Node><rid:TrafficType type='Attack'/>"
		"</rid:RIDPolicy></rid:RID>",
	};
	static const char base[] =
		"<r:RID xmlns:r='urn:ietf:params:xml:ns:iodef-rid-2.0' "
		"xmlns:i='urn:ietf:params:xml:ns:iodef-1.0' lang='en'><r:RIDPolicy "
		"MsgType='Query' MsgDestination='RIDSystem'><r:PolicyRegion region='PeerToPeer'/>"
		"<i:Node><i:Address>192.0.2.1</i:Address></i:Node><r:TrafficType type='Attack'/>"
		"</r:RIDPolicy></r:RID>";
	/* Latin-1, declared; the same bytes labelled instead; and UTF-8 (an é in a node's
	 * name, which is free text). */
	static const char latin1_declared[] =
		"<?xml version='1.0' encoding='ISO-8859-1'?><r:RID "
		"xmlns:r='urn:ietf:params:xml:ns:iodef-rid-2.0' "
		"xmlns:i='urn:ietf:params:xml:ns:iodef-1.0' lang='en'><r:RIDPolicy "
		"MsgType='Query' MsgDestination='RIDSystem'><r:PolicyRegion region='PeerToPeer'/>"
		"<i:Node><i:NodeName>h\xe9te</i:NodeName></i:Node><r:TrafficType type='Attack'/>"
		"</r:RIDPolicy></r:RID>";
	static const char utf8[] =
		"<r:RID xmlns:r='urn:ietf:params:xml:ns:iodef-rid-2.0' "
		"xmlns:i='urn:ietf:params:xml:ns:iodef-1.0' lang='en'><r:RIDPolicy "
		"MsgType='Query' MsgDestination='RIDSystem'><r:PolicyRegion region='PeerToPeer'/>"
		"<i:Node><i:NodeName>h\xc3\xa9te</i:NodeName></i:Node><r:TrafficType type='Attack'/>"
		"</r:RIDPolicy></r:RID>";
	const char *latin1 = strchr(latin1_declared, '>') + 1;
	char want[65], got[65];

	digest_of_text(f, base, strlen(base), NULL, want);
	for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
		digest_of_text(f, same[i], strlen(same[i]), NULL, got);
		assert_string_equal(got, want);
	}
	for (size_t i = 0; i < sizeof(other) / sizeof(other[0]); i++) {
		digest_of_text(f, other[i], strlen(other[i]), NULL, got);
		assert_string_not_equal(got, want);
	}
	digest_of_text(f, utf8, strlen(utf8), NULL, want);
	digest_of_text(f, latin1_declared, strlen(latin1_declared), NULL, got);
	assert_string_equal(got, want);
	digest_of_text(f, latin1, strlen(latin1), "iso-8859-1", got);
	assert_string_equal(got, want);
}

static void test_msgtype_foo(void **state)
{
	refused(*state, "rid/gridgate/msgtype-foo.xml", -EINVAL,
		"RID: MsgType 'Foo' is not a RID message type");
}

static void test_not_valid_rid(void **state)
{
	refused(*state, "rid/gridgate/not-rid-schema.xml", -EINVAL,
		"RID envelope: line 6: element 'TrafficType': This element is not expected. "
		"Expected is one of ( PolicyRegion, Node )");
}

/* Well-formed XML of another kind: an IODEF document posted without its envelope. */
static void test_not_rid_root(void **state)
{
	refused(*state, "iodef/rfc7970/rfc7970-s7.1-minimal.xml", -EINVAL,
		"not {urn:ietf:params:xml:ns:iodef-rid-2.0}RID: not a RID message");
}

static void test_no_policy(void **state)
{
	static const char t[] = "<RID xmlns='urn:ietf:params:xml:ns:iodef-rid-2.0' lang='en'>"
				"<RequestStatus AuthorizationStatus='Approved'/></RID>";

	refused_text(*state, t, strlen(t), NULL, -EINVAL, "no RIDPolicy");
}

static void test_ext_msgtype(void **state)
{
	static const char t[] =
		"<r:RID xmlns:r='urn:ietf:params:xml:ns:iodef-rid-2.0' lang='en'><r:RIDPolicy "
		"MsgType='ext-value' ext-MsgType='Gossip' MsgDestination='RIDSystem'/></r:RID>";

	refused_text(*state, t, strlen(t), NULL, -ENOTSUP, "ext-MsgType 'Gossip'");
}

static void test_unknown_iodef_version(void **state)
{
	refused(*state, "rid/gridgate/unknown-iodef-version.xml", -ENOTSUP,
		"RID: IODEF document 1: line 10: IODEF-Document in namespace "
		"'urn:ietf:params:xml:ns:iodef-3.0' is IODEF of an unknown version");
}

/* A Report must carry its incident: the Query example, retyped. */
static void test_report_without_document(void **state)
{
	static const char from[] = "MsgType=\"Query\"", to[] = "MsgType=\"Report\"";
	size_t len;
	char *buf = gg_test_read_data("rid/gridgate/query.xml", &len);
	char *at = strstr(buf, from);
	char *copy = malloc(len + sizeof(to));

	assert_non_null(at);
	assert_non_null(copy);
	memcpy(copy, buf, (size_t)(at - buf));
	strcpy(copy + (at - buf), to);
	strcat(copy, at + strlen(from));
	refused_text(*state, copy, strlen(copy), NULL, -EINVAL,
		     "a Report carries its incident as an IODEF-Document");
	free(copy);
	free(buf);
}

/* An IODEF 2.0 document that is not valid 2.0 is the sender's error. */
static void test_invalid_iodef2(void **state)
{
	size_t len;
	char *buf = gg_test_read_data("rid/gridgate/investigation-request-iodef2.xml", &len);

	memcpy(strstr(buf, "purpose=\"reporting\""), "purpose=\"reportinG\"", 19);
	refused_text(*state, buf, len, NULL, -EINVAL,
		     "RID: IODEF document 1 (IODEF 2.0): line 17: element 'Incident'");
	free(buf);
}

/* An embedded IODEF 1.0 document is checked against IODEF 1.0 by the envelope's schema. */
static void test_invalid_iodef1(void **state)
{
	size_t len;
	char *buf = gg_test_read_data("rid/gridgate/result.xml", &len);

	memcpy(strstr(buf, "severity=\"low\""), "severity=\"lOw\"", 14);
	refused_text(*state, buf, len, NULL, -EINVAL, "element 'Impact'");
	free(buf);
}

static void test_hostile_xml(void **state)
{
	static const char *const dtd[] = {
		"<!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
		"<RID xmlns='urn:ietf:params:xml:ns:iodef-rid-2.0' lang='en'>&x;</RID>",
		"<?xml version='1.0'?><!DOCTYPE lolz [<!ENTITY lol 'lol'>"
		"<!ENTITY lol2 '&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;'>"
		"<!ENTITY lol3 '&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;'>]>"
		"<RID xmlns='urn:ietf:params:xml:ns:iodef-rid-2.0' lang='en'>&lol3;</RID>",
	};

	for (size_t i = 0; i < sizeof(dtd) / sizeof(dtd[0]); i++)
		refused_text(*state, dtd[i], strlen(dtd[i]), NULL, -EINVAL, "RID: xml: ");
	refused_text(*state, "<RID", 4, NULL, -EINVAL, "RID: xml: line 1");
}

/* Found by fuzz_rid: a relative namespace URI parses (with a warning) and passes the
 * schema inside XMLDocument's lax content, but has no canonical form, so no digest. */
static void test_relative_namespace(void **state)
{
	static const char end[] = "</iodef:IODEF-Document>";
	static const char with[] = "</iodef:IODEF-Document><z xmlns='a/b'/>";
	size_t len;
	char *buf = gg_test_read_data("rid/rfc6545/rfc6545-s7.3.1-Report.xml", &len);
	char *at = strstr(buf, end);
	char *copy = malloc(len + sizeof(with));

	assert_non_null(at);
	assert_non_null(copy);
	memcpy(copy, buf, (size_t)(at - buf));
	strcpy(copy + (at - buf), with);
	strcat(copy, at + strlen(end));
	refused_text(*state, copy, strlen(copy), NULL, -EINVAL, "no XML canonical form");
	free(copy);
	free(buf);
}

static void test_deep_and_big(void **state)
{
	struct gg_xml_limits lim = { .max_bytes = 4096, .max_depth = 16 };
	char buf[8192];
	size_t n = 0;

	n += (size_t)snprintf(buf, sizeof(buf),
			      "<RID xmlns='urn:ietf:params:xml:ns:iodef-rid-2.0' lang='en'>");
	for (int i = 0; i < 40; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "<a>");
	refused_text(*state, buf, n, &lim, -EINVAL, "nests deeper than the limit of 16");
	memset(buf + n, ' ', sizeof(buf) - n);
	refused_text(*state, buf, sizeof(buf), &lim, -EFBIG, "the limit is 4096");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_trace_request_rfc),
		cmocka_unit_test(test_acknowledgement_rfc),
		cmocka_unit_test(test_report_rfc_context),
		cmocka_unit_test(test_investigation_request_iodef2),
		cmocka_unit_test(test_query),
		cmocka_unit_test(test_result),
		cmocka_unit_test(test_take_document),
		cmocka_unit_test(test_spaced_datetime),
		cmocka_unit_test(test_digest_is_exc_c14n),
		cmocka_unit_test(test_digest),
		cmocka_unit_test(test_digest_what_a_retry_may_change),
		cmocka_unit_test(test_msgtype_foo),
		cmocka_unit_test(test_not_valid_rid),
		cmocka_unit_test(test_not_rid_root),
		cmocka_unit_test(test_no_policy),
		cmocka_unit_test(test_ext_msgtype),
		cmocka_unit_test(test_unknown_iodef_version),
		cmocka_unit_test(test_report_without_document),
		cmocka_unit_test(test_invalid_iodef2),
		cmocka_unit_test(test_invalid_iodef1),
		cmocka_unit_test(test_hostile_xml),
		cmocka_unit_test(test_relative_namespace),
		cmocka_unit_test(test_deep_and_big),
	};

	gg_xml_init();
	return cmocka_run_group_tests(tests, gg_test_rid_setup, gg_test_rid_teardown);
}
