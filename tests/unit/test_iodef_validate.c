/* test_iodef_validate.c: which corpus documents are valid IODEF 2.0 against the RFC 7970
 * schema, and that every rejection names the line and element of its first error. */
#include "test_util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <libxml/xmlschemas.h>

static int check_file(struct gg_test_schema *f, const char *rel, struct gg_error *err)
{
	xmlDocPtr doc = gg_test_parse_data(rel);
	int rc = gg_validator_check(f->v, doc, err);

	xmlFreeDoc(doc);
	return rc;
}

static void test_valid_corpus(void **state)
{
	static const char *const valid[] = {
		"iodef/rfc7970/rfc7970-s7.1-minimal.xml",
		"iodef/realworld/milewg-iodef2stix/GuidanceDraft_DDoS.xml",
		"iodef/realworld/milewg-iodef2stix/GuidanceDraft_IoTMalware.xml",
		"iodef/realworld/milewg-iodef2stix/GuidanceDraft_Malware.xml",
		"iodef/realworld/milewg-iodef2stix/GuidanceDraft_MalwareDeliverURL.xml",
		"iodef/realworld/milewg-iodef2stix/GuidanceDraft_SpearPhishing.xml",
		"iodef/realworld/milewg-iodef2stix/RFC7970_MinimalIODEF.xml",
	};

	for (size_t i = 0; i < sizeof(valid) / sizeof(valid[0]); i++) {
		struct gg_error err = { 0 };

		if (check_file(*state, valid[i], &err) != 0)
			fail_msg("%s: %s", valid[i], err.msg);
	}
}

/* RFC 7970's own section 7.2 example breaks the RFC's schema: ThreatActor declares URL with
 * minOccurs 1 (the text says zero or more), and "fqdn" is not a BulkObservable type. The
 * first error is the missing URL, seen when ThreatActor's Description arrives. */
static void test_rfc7970_s72_invalid_against_own_schema(void **state)
{
	struct gg_error err = { 0 };

	assert_int_equal(check_file(*state, "iodef/rfc7970/rfc7970-s7.2-campaign-indicators.xml",
				    &err),
			 -EINVAL);
	assert_int_equal(err.line, 16);
	assert_non_null(strstr(err.msg, "line 16: element 'Description'"));
	assert_non_null(strstr(err.msg, "Expected is one of ( ThreatActorID, URL )"));

	/* The MILE WG copy of the same example fails the same way, two lines further down. */
	assert_int_equal(check_file(*state,
				    "iodef/realworld/milewg-iodef2stix/RFC7970_CampaignIndicator.xml",
				    &err),
			 -EINVAL);
	assert_int_equal(err.line, 18);
	assert_non_null(strstr(err.msg, "element 'Description'"));
}

/* With ThreatActor fixed, the second defect of the example shows: BulkObservable type. */
static void test_rfc7970_s72_second_defect(void **state)
{
	struct gg_test_schema *f = *state;
	struct gg_error err = { 0 };
	xmlDocPtr doc = gg_test_parse_data("iodef/rfc7970/rfc7970-s7.2-campaign-indicators.xml");
	xmlXPathObjectPtr obj = gg_test_xpath_eval(doc, "//i:ThreatActor/i:Description");
	xmlNodePtr desc = obj->nodesetval->nodeTab[0];
	xmlNodePtr url = xmlNewDocNode(doc, desc->ns, BAD_CAST "URL", BAD_CAST "https://example.com/ta");

	assert_non_null(url);
	assert_non_null(xmlAddPrevSibling(desc, url));
	xmlXPathFreeObject(obj);
	assert_int_equal(gg_validator_check(f->v, doc, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "element 'BulkObservable'"));
	assert_non_null(strstr(err.msg, "'fqdn'"));
	xmlFreeDoc(doc);
}

static void test_invalid_corpus(void **state)
{
	static const struct {
		const char *file;
		int line;
		const char *element;
		const char *detail;
	} cases[] = {
		{ "iodef/invalid/01-wrong-namespace.xml", 2, "element 'IODEF-Document'",
		  "urn:ietf:params:xml:ns:iodef-2.1" },
		{ "iodef/invalid/02-missing-incidentid.xml", 4, "element 'GenerationTime'",
		  "Expected is ( IncidentID )" },
		{ "iodef/invalid/03-bad-enum-purpose.xml", 3, "element 'Incident'",
		  "attribute 'purpose'" },
		{ "iodef/invalid/04-bad-datetime.xml", 5, "element 'GenerationTime'",
		  "'2015-13-45 25:61:00' is not a valid value" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct gg_error err = { 0 };
		char want_line[32];

		assert_int_equal(check_file(*state, cases[i].file, &err), -EINVAL);
		snprintf(want_line, sizeof(want_line), "line %d", cases[i].line);
		if (err.line != cases[i].line || strstr(err.msg, want_line) != err.msg ||
		    strstr(err.msg, cases[i].element) == NULL ||
		    strstr(err.msg, cases[i].detail) == NULL)
			fail_msg("%s: line %d: %s", cases[i].file, err.line, err.msg);
	}
}

/* 10-truncated.xml never reaches the validator: the parser rejects it with its line. */
static void test_truncated_rejected_by_parser(void **state)
{
	struct gg_error err = { 0 };
	xmlDocPtr doc = NULL;
	size_t len;
	char *buf = gg_test_read_data("iodef/invalid/10-truncated.xml", &len);

	assert_int_equal(gg_xml_parse(buf, len, NULL, &doc, &err), -EINVAL);
	assert_int_equal(err.line, 4);
	assert_non_null(strstr(err.msg, "Incident"));
	free(buf);
}

/* libxml2 happily validates an RFC 5070 document against iodef-2.0.xsd, because the schema
 * set imports IODEF 1.0 through sci-1.0. gg_validator_check must not. */
static void test_iodef1_is_not_iodef2(void **state)
{
	struct gg_test_schema *f = *state;
	struct gg_error err = { 0 };
	xmlDocPtr doc = gg_test_parse_data("iodef/rfc5070/rfc5070-s7.1-worm.xml");
	xmlSchemaParserCtxtPtr pctxt;
	xmlSchemaPtr xsd;
	xmlSchemaValidCtxtPtr vctxt;
	char path[4096];

	assert_int_equal(gg_iodef_version_of(doc), GG_IODEF_V1);
	assert_int_equal(gg_validator_check(f->v, doc, &err), -EINVAL);
	/* libxml2 dates an element by the line its start tag ends on (attributes span 4-7). */
	assert_int_equal(err.line, 7);
	assert_non_null(strstr(err.msg, "IODEF 1.0: upgrade it first"));

	/* The libxml2 behaviour that makes the root check necessary. */
	snprintf(path, sizeof(path), "%s/iodef-2.0.xsd", gg_test_schema_dir());
	pctxt = xmlSchemaNewParserCtxt(path);
	xsd = xmlSchemaParse(pctxt);
	xmlSchemaFreeParserCtxt(pctxt);
	assert_non_null(xsd);
	vctxt = xmlSchemaNewValidCtxt(xsd);
	assert_int_equal(xmlSchemaValidateDoc(vctxt, doc), 0);
	xmlSchemaFreeValidCtxt(vctxt);
	xmlSchemaFree(xsd);
	xmlFreeDoc(doc);
}

static void test_version_of(void **state)
{
	struct gg_error err = { 0 };
	xmlDocPtr doc = NULL;

	assert_int_equal(gg_iodef_version_of(NULL), GG_IODEF_UNKNOWN);
	assert_int_equal(gg_xml_parse("<IODEF-Document/>", 17, NULL, &doc, &err), 0);
	assert_int_equal(gg_iodef_version_of(doc), GG_IODEF_UNKNOWN);
	xmlFreeDoc(doc);
	doc = gg_test_parse_data("iodef/invalid/01-wrong-namespace.xml");
	assert_int_equal(gg_iodef_version_of(doc), GG_IODEF_UNKNOWN);
	xmlFreeDoc(doc);
	doc = gg_test_parse_data("iodef/rfc7970/rfc7970-s7.1-minimal.xml");
	assert_int_equal(gg_iodef_version_of(doc), GG_IODEF_V2);
	xmlFreeDoc(doc);
}

/* One validator serves many documents: an error must not stick to the next one. */
static void test_validator_reuse(void **state)
{
	struct gg_error err = { 0 };

	assert_int_equal(check_file(*state, "iodef/invalid/03-bad-enum-purpose.xml", &err),
			 -EINVAL);
	assert_int_equal(check_file(*state, "iodef/rfc7970/rfc7970-s7.1-minimal.xml", &err), 0);
	assert_int_equal(check_file(*state, "iodef/invalid/04-bad-datetime.xml", &err), -EINVAL);
	assert_int_equal(err.line, 5);
}

static void test_schema_load_errors(void **state)
{
	struct gg_schema *schema = (struct gg_schema *)1;
	struct gg_error err = { 0 };

	char dir[] = "/tmp/gg-xsd-XXXXXX", path[128];
	FILE *f;

	assert_int_equal(gg_schema_load("/nonexistent-gridgate-dir", &schema, &err), -ENOENT);
	assert_null(schema);
	assert_non_null(strstr(err.msg, "/nonexistent-gridgate-dir/iodef-2.0.xsd"));
	gg_schema_free(NULL);
	gg_validator_free(NULL);

	/* A schema that does not compile: the first error, with its file and line. */
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/iodef-2.0.xsd", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("<xs:schema xmlns:xs=\"http://www.w3.org/2001/XMLSchema\">\n"
	      "<xs:element name=\"e\" type=\"xs:nosuchtype\"/>\n</xs:schema>\n",
	      f);
	fclose(f);
	schema = (struct gg_schema *)1;
	assert_int_equal(gg_schema_load(dir, &schema, &err), -EINVAL);
	assert_null(schema);
	assert_int_equal(err.line, 2);
	assert_non_null(strstr(err.msg, "nosuchtype"));
	unlink(path);
	rmdir(dir);
}

/* A schema whose import points at a URL: compiling it must not open a connection. The
 * listener is ours, so "no connection" is observed, not assumed. */
static void test_schema_import_never_uses_network(void **state)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t salen = sizeof(sa);
	struct gg_schema *schema = NULL;
	struct gg_error err = { 0 };
	char dir[] = "/tmp/gg-xsd-XXXXXX", path[128], xsd[512];
	int lfd, fd;
	FILE *f;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(lfd >= 0);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(lfd, 4), 0);
	assert_int_equal(getsockname(lfd, (struct sockaddr *)&sa, &salen), 0);
	assert_int_equal(fcntl(lfd, F_SETFL, O_NONBLOCK), 0);

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/iodef-2.0.xsd", dir);
	snprintf(xsd, sizeof(xsd),
		 "<xs:schema xmlns:xs=\"http://www.w3.org/2001/XMLSchema\" "
		 "targetNamespace=\"urn:t\">"
		 "<xs:import namespace=\"urn:x\" schemaLocation=\"http://127.0.0.1:%d/x.xsd\"/>"
		 "<xs:element name=\"e\" type=\"xs:string\"/></xs:schema>",
		 ntohs(sa.sin_port));
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(xsd, f);
	fclose(f);

	/* libxml2 treats a failed import as a warning and compiles the rest. */
	(void)gg_schema_load(dir, &schema, &err);
	gg_schema_free(schema);
	fd = accept(lfd, NULL, NULL);
	assert_int_equal(fd, -1);
	assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
	close(lfd);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_corpus),
		cmocka_unit_test(test_rfc7970_s72_invalid_against_own_schema),
		cmocka_unit_test(test_rfc7970_s72_second_defect),
		cmocka_unit_test(test_invalid_corpus),
		cmocka_unit_test(test_truncated_rejected_by_parser),
		cmocka_unit_test(test_iodef1_is_not_iodef2),
		cmocka_unit_test(test_version_of),
		cmocka_unit_test(test_validator_reuse),
		cmocka_unit_test(test_schema_load_errors),
		cmocka_unit_test(test_schema_import_never_uses_network),
	};

	gg_xml_init();
	return cmocka_run_group_tests(tests, gg_test_schema_setup, gg_test_schema_teardown);
}
