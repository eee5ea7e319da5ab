/* test_iodef_upgrade.c: RFC 5070 documents upgraded to IODEF 2.0 validate against the RFC
 * 7970 schema, and each documented rewrite shows up in the result where it should. */
#include "test_util.h"

#include <errno.h>
#include <unistd.h>

#include <libxml/xmlschemas.h>

#include "engine/config.h"
#include "engine/pipeline.h"

struct fixture {
	struct gg_schema *schema;
	struct gg_validator *v;
	xmlSchemaPtr xsd1; /* RFC 5070 schema: proves the synthetic input is valid 1.0 */
	xmlSchemaValidCtxtPtr v1;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	xmlSchemaParserCtxtPtr pctxt;
	char path[4096];

	if (f == NULL)
		return -1;
	if (gg_test_validator_open(&f->schema, &f->v) != 0) {
		free(f);
		return -1;
	}
	snprintf(path, sizeof(path), "%s/iodef-1.0.xsd", gg_test_schema_dir());
	pctxt = xmlSchemaNewParserCtxt(path);
	f->xsd1 = xmlSchemaParse(pctxt);
	xmlSchemaFreeParserCtxt(pctxt);
	if (f->xsd1 == NULL)
		return -1;
	f->v1 = xmlSchemaNewValidCtxt(f->xsd1);
	*state = f;
	return f->v1 != NULL ? 0 : -1;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	/* cmocka runs the group teardown after a failed setup too. */
	if (f == NULL)
		return 0;
	xmlSchemaFreeValidCtxt(f->v1);
	xmlSchemaFree(f->xsd1);
	gg_test_validator_close(f->schema, f->v);
	free(f);
	return 0;
}

/* Parses, upgrades and validates; the 2.0 document is returned for inspection. */
static xmlDocPtr upgrade_valid(struct fixture *f, xmlDocPtr v1, const char *what)
{
	struct gg_error err = { 0 };
	xmlDocPtr v2 = NULL;

	if (gg_iodef_upgrade(v1, &v2, &err) != 0)
		fail_msg("%s: upgrade: %s", what, err.msg);
	assert_int_equal(gg_iodef_version_of(v2), GG_IODEF_V2);
	if (gg_validator_check(f->v, v2, &err) != 0)
		fail_msg("%s: not valid IODEF 2.0: %s", what, err.msg);
	/* The input is a copy's source, not touched. */
	assert_int_equal(gg_iodef_version_of(v1), GG_IODEF_V1);
	return v2;
}

static xmlDocPtr upgrade_file(struct fixture *f, const char *rel)
{
	xmlDocPtr v1 = gg_test_parse_data(rel);
	xmlDocPtr v2;

	/* Each RFC 5070 example is valid 1.0 to begin with. */
	assert_int_equal(xmlSchemaValidateDoc(f->v1, v1), 0);
	v2 = upgrade_valid(f, v1, rel);
	xmlFreeDoc(v1);
	return v2;
}

static void test_worm(void **state)
{
	xmlDocPtr d = upgrade_file(*state, "iodef/rfc5070/rfc5070-s7.1-worm.xml");

	gg_assert_xpath(d, "/i:IODEF-Document/@version", "2.00");
	gg_assert_xpath(d, "/i:IODEF-Document/@xml:lang", "en");
	assert_int_equal(gg_test_xpath_count(d, "//@lang"), 0);
	/* ip_protocol -> ip-protocol */
	assert_int_equal(gg_test_xpath_count(d, "//i:Service/@ip_protocol"), 0);
	gg_assert_xpath(d, "//i:System[@category='target']/i:Service/@ip-protocol", "6");
	gg_assert_xpath(d, "//i:System[@category='target']/i:Service/i:Port", "80");
	/* ReportTime kept, GenerationTime added right after it */
	gg_assert_xpath(d, "//i:Incident/i:ReportTime/following-sibling::*[1][self::i:GenerationTime]",
			"2001-09-13T23:19:24+00:00");
	/* Impact admin/failed -> SystemImpact takeover-system/failed */
	assert_int_equal(gg_test_xpath_count(d, "//i:Impact"), 0);
	gg_assert_xpath(d, "//i:SystemImpact/@type", "takeover-system");
	gg_assert_xpath(d, "//i:SystemImpact/@completion", "failed");
	/* Email became a class */
	gg_assert_xpath(d, "//i:Contact/i:Email/i:EmailTo", "contact@csirt.example.com");
	/* Counter type=event -> unit=event, type=counter */
	gg_assert_xpath(d, "//i:Node/i:Counter/@unit", "event");
	gg_assert_xpath(d, "//i:Node/i:Counter/@type", "counter");
	/* 1.0 schema defaults made explicit */
	gg_assert_xpath(d, "//i:Incident/i:IncidentID/@restriction", "public");
	gg_assert_xpath(d, "//i:EventData/@restriction", "default");
	gg_assert_xpath(d, "//i:History/@restriction", "default");
	/* extension content untouched */
	gg_assert_xpath(d, "//i:RecordItem[@dtype='url']",
			"\n             http://mylogs.example.com/logs/httpd_access");
	assert_int_equal(gg_test_xpath_count(d, "//v1:*"), 0);
	xmlFreeDoc(d);
}

static void test_reconnaissance(void **state)
{
	xmlDocPtr d = upgrade_file(*state, "iodef/rfc5070/rfc5070-s7.2-reconnaissance.xml");

	/* ReferenceName (free text) -> first Description of the Reference; URL kept */
	assert_int_equal(gg_test_xpath_count(d, "//i:ReferenceName"), 0);
	gg_assert_xpath(d, "//i:Method/i:Reference/i:Description", "nmap");
	gg_assert_xpath(d, "//i:Method/i:Reference/i:URL", "http://nmap.toolsite.example.com");
	/* recon has no SystemImpact equivalent */
	gg_assert_xpath(d, "//i:SystemImpact/@type", "ext-value");
	gg_assert_xpath(d, "//i:SystemImpact/@ext-type", "recon");
	/* Telephone became a class; the nested Contact kept its restriction */
	gg_assert_xpath(d, "//i:Telephone/i:TelephoneNumber", "+1 412 555 12345");
	gg_assert_xpath(d, "//i:Contact/i:Contact[@role='tech']/@restriction", "need-to-know");
	gg_assert_xpath(d, "//i:Contact/i:Contact/i:Email/i:EmailTo", "smith@csirt.example.com");
	gg_assert_xpath(d, "//i:System[@category='target']/i:Service/i:Portlist", "137-139,445");
	assert_int_equal(gg_test_xpath_count(d, "//i:Service[@ip-protocol='6']"), 3);
	xmlFreeDoc(d);
}

static void test_botnet(void **state)
{
	xmlDocPtr d = upgrade_file(*state, "iodef/rfc5070/rfc5070-s7.3-botnet.xml");

	/* NodeName + DateTime -> DomainData/Name + DateDomainWasChecked */
	assert_int_equal(gg_test_xpath_count(d, "//i:NodeName"), 0);
	assert_int_equal(gg_test_xpath_count(d, "//i:Node/i:DateTime"), 0);
	gg_assert_xpath(d, "//i:Node/i:DomainData/i:Name", "irc.example.com");
	gg_assert_xpath(d, "//i:Node/i:DomainData/i:DateDomainWasChecked",
			"2006-06-08T01:01:03-05:00");
	/* a Counter with a duration is a rate */
	assert_int_equal(gg_test_xpath_count(d, "//i:System/i:Counter[@type='rate' and "
						"@unit='byte' and @duration='second']"),
			 2);
	gg_assert_xpath(d, "//i:SystemImpact/@type", "availability-service");
	gg_assert_xpath(d, "//i:SystemImpact/@severity", "high");
	/* two References, names as first Descriptions */
	gg_assert_xpath(d, "//i:Method/i:Reference[1]/i:Description", "GT Bot");
	gg_assert_xpath(d, "//i:Method/i:Reference[2]/i:Description[1]", "CA-2003-22");
	gg_assert_xpath(d, "//i:Method/i:Reference[2]/i:URL",
			"http://www.cert.org/advisories/CA-2003-22.html");
	gg_assert_xpath(d, "//i:Expectation/@restriction", "default");
	xmlFreeDoc(d);
}

static void test_watchlist(void **state)
{
	xmlDocPtr d = upgrade_file(*state, "iodef/rfc5070/rfc5070-s7.4-watchlist.xml");

	/* formatid -> format-id */
	assert_int_equal(gg_test_xpath_count(d, "/i:IODEF-Document/@formatid"), 0);
	gg_assert_xpath(d, "/i:IODEF-Document/@format-id", "watch-list-043");
	gg_assert_xpath(d, "//i:Incident/@restriction", "private");
	assert_int_equal(gg_test_xpath_count(d, "//i:SystemImpact[@type='takeover-system']"), 1);
	assert_int_equal(gg_test_xpath_count(d, "//i:SystemImpact[@type='ext-value' and "
						"@ext-type='recon']"),
			 1);
	assert_int_equal(gg_test_xpath_count(d, "//i:EventData"), 2);
	xmlFreeDoc(d);
}

/* Every rewrite the RFC examples do not exercise, in one valid RFC 5070 document. */
static const char synthetic[] =
	"<iodef:IODEF-Document version=\"1.00\" lang=\"en\" formatid=\"fmt-1\"\n"
	"  xmlns:iodef=\"urn:ietf:params:xml:ns:iodef-1.0\">\n"
	" <iodef:Incident purpose=\"traceback\" lang=\"de\" restriction=\"need-to-know\">\n"
	"  <iodef:IncidentID name=\"csirt.example.org\" instance=\"2\">IR-1</iodef:IncidentID>\n"
	"  <iodef:AlternativeID><iodef:IncidentID name=\"other.example.net\" "
	"restriction=\"private\">X-9</iodef:IncidentID></iodef:AlternativeID>\n"
	"  <iodef:RelatedActivity><iodef:URL>http://example.com/related</iodef:URL>"
	"</iodef:RelatedActivity>\n"
	"  <iodef:DetectTime>2007-01-01T00:00:00Z</iodef:DetectTime>\n"
	"  <iodef:ReportTime>2007-01-02T00:00:00Z</iodef:ReportTime>\n"
	"  <iodef:Description lang=\"de\">Ein Vorfall</iodef:Description>\n"
	"  <iodef:Assessment occurrence=\"actual\">\n"
	"   <iodef:Impact type=\"social-engineering\" severity=\"low\" lang=\"en\">phishing "
	"call</iodef:Impact>\n"
	"   <iodef:Impact type=\"info-leak\"/>\n"
	"   <iodef:TimeImpact metric=\"downtime\" duration=\"hour\">4</iodef:TimeImpact>\n"
	"   <iodef:MonetaryImpact currency=\"EUR\">1000</iodef:MonetaryImpact>\n"
	"   <iodef:Counter type=\"host\">3</iodef:Counter>\n"
	"   <iodef:Confidence rating=\"numeric\">0.75</iodef:Confidence>\n"
	"   <iodef:AdditionalData dtype=\"string\" meaning=\"note\">kept</iodef:AdditionalData>\n"
	"  </iodef:Assessment>\n"
	"  <iodef:Method>\n"
	"   <iodef:Description>first a description</iodef:Description>\n"
	"   <iodef:Reference><iodef:ReferenceName lang=\"en\">CVE-2006-0001</iodef:ReferenceName>"
	"<iodef:URL>http://cve.example/2006-0001</iodef:URL></iodef:Reference>\n"
	"   <iodef:Description>then another</iodef:Description>\n"
	"   <iodef:Reference><iodef:ReferenceName>Second</iodef:ReferenceName>"
	"<iodef:Description>about it</iodef:Description></iodef:Reference>\n"
	"  </iodef:Method>\n"
	"  <iodef:Contact role=\"admin\" type=\"person\">\n"
	"   <iodef:ContactName lang=\"en\">Ann</iodef:ContactName>\n"
	"   <iodef:PostalAddress meaning=\"office\" lang=\"en\">1 Main St</iodef:PostalAddress>\n"
	"   <iodef:Email meaning=\"work\">ann@example.org</iodef:Email>\n"
	"   <iodef:Telephone>+1 555 0100</iodef:Telephone>\n"
	"   <iodef:Fax meaning=\"office fax\">+1 555 0101</iodef:Fax>\n"
	"   <iodef:Timezone>Z</iodef:Timezone>\n"
	"  </iodef:Contact>\n"
	"  <iodef:EventData restriction=\"public\">\n"
	"   <iodef:Flow>\n"
	"    <iodef:System category=\"source\" spoofed=\"no\">\n"
	"     <iodef:Node>\n"
	"      <iodef:Address>192.0.2.9</iodef:Address>\n"
	"      <iodef:Address category=\"ipv6-net-mask\">2001:db8::/ffff:ffff::</iodef:Address>\n"
	"      <iodef:Location lang=\"en\">rack 4</iodef:Location>\n"
	"      <iodef:DateTime>2007-01-01T01:00:00Z</iodef:DateTime>\n"
	"      <iodef:NodeRole category=\"www\" lang=\"en\">public web</iodef:NodeRole>\n"
	"      <iodef:NodeRole category=\"mail\"/>\n"
	"      <iodef:Counter type=\"packet\" duration=\"minute\">5</iodef:Counter>\n"
	"     </iodef:Node>\n"
	"     <iodef:Service ip_protocol=\"17\"><iodef:Port>53</iodef:Port>"
	"<iodef:Application vendor=\"ISC\" name=\"BIND\" version=\"9\">"
	"<iodef:URL>http://isc.example/bind</iodef:URL></iodef:Application></iodef:Service>\n"
	"     <iodef:OperatingSystem family=\"Linux\"/>\n"
	"     <iodef:Counter type=\"ext-value\" ext-type=\"widgets\">7</iodef:Counter>\n"
	"    </iodef:System>\n"
	"   </iodef:Flow>\n"
	"   <iodef:Record>\n"
	"    <iodef:RecordData>\n"
	"     <iodef:Application/>\n"
	"     <iodef:RecordItem dtype=\"xml\"><iodef:Foo>v1 payload</iodef:Foo>"
	"<x:Bar xmlns:x=\"urn:x\"/></iodef:RecordItem>\n"
	"    </iodef:RecordData>\n"
	"   </iodef:Record>\n"
	"  </iodef:EventData>\n"
	"  <iodef:AdditionalData dtype=\"xml\"><Thing xmlns=\"urn:ietf:params:xml:ns:iodef-1.0\">"
	"t</Thing></iodef:AdditionalData>\n"
	" </iodef:Incident>\n"
	"</iodef:IODEF-Document>\n";

static void test_synthetic_every_rewrite(void **state)
{
	struct fixture *f = *state;
	struct gg_error err = { 0 };
	xmlDocPtr v1 = NULL, d;

	assert_int_equal(gg_xml_parse(synthetic, sizeof(synthetic) - 1, NULL, &v1, &err), 0);
	assert_int_equal(xmlSchemaValidateDoc(f->v1, v1), 0);
	d = upgrade_valid(f, v1, "synthetic");

	/* the iodef: prefix is kept, now bound to 2.0 */
	assert_string_equal((const char *)xmlDocGetRootElement(d)->ns->prefix, "iodef");
	gg_assert_xpath(d, "/i:IODEF-Document/@format-id", "fmt-1");
	gg_assert_xpath(d, "//i:Incident/@xml:lang", "de");
	gg_assert_xpath(d, "//i:Incident/i:GenerationTime", "2007-01-02T00:00:00Z");
	/* explicit restrictions are left alone; the missing one gets the 1.0 default */
	gg_assert_xpath(d, "//i:AlternativeID/i:IncidentID/@restriction", "private");
	gg_assert_xpath(d, "//i:Incident/i:IncidentID/@restriction", "public");
	gg_assert_xpath(d, "//i:EventData/@restriction", "public");
	/* Impact text and lang -> Description */
	gg_assert_xpath(d, "//i:SystemImpact[1]/@ext-type", "social-engineering");
	gg_assert_xpath(d, "//i:SystemImpact[1]/i:Description", "phishing call");
	gg_assert_xpath(d, "//i:SystemImpact[1]/i:Description/@xml:lang", "en");
	assert_int_equal(gg_test_xpath_count(d, "//i:SystemImpact/@xml:lang"), 0);
	gg_assert_xpath(d, "//i:SystemImpact[2]/@type", "breach-proprietary");
	gg_assert_xpath(d, "//i:TimeImpact", "4");
	gg_assert_xpath(d, "//i:Assessment/i:Counter/@unit", "host");
	/* Confidence content -> AdditionalData right after it */
	assert_int_equal(gg_test_xpath_count(d, "//i:Confidence/node()"), 0);
	gg_assert_xpath(d, "//i:Confidence/following-sibling::*[1][self::i:AdditionalData and "
			   "@dtype='real' and @meaning='Confidence']",
			"0.75");
	/* Method: References first, in order, then the Descriptions, in order */
	gg_assert_xpath(d, "local-name(//i:Method/*[1])", "Reference");
	gg_assert_xpath(d, "local-name(//i:Method/*[2])", "Reference");
	gg_assert_xpath(d, "//i:Method/i:Reference[1]/i:Description", "CVE-2006-0001");
	gg_assert_xpath(d, "//i:Method/i:Reference[1]/i:Description/@xml:lang", "en");
	gg_assert_xpath(d, "//i:Method/i:Reference[2]/i:Description[1]", "Second");
	gg_assert_xpath(d, "//i:Method/i:Reference[2]/i:Description[2]", "about it");
	gg_assert_xpath(d, "//i:Method/i:Description[1]", "first a description");
	gg_assert_xpath(d, "//i:Method/i:Description[2]", "then another");
	/* Contact means */
	gg_assert_xpath(d, "//i:PostalAddress/i:PAddress", "1 Main St");
	gg_assert_xpath(d, "//i:PostalAddress/i:PAddress/@xml:lang", "en");
	gg_assert_xpath(d, "//i:PostalAddress/i:Description", "office");
	gg_assert_xpath(d, "//i:Email/i:EmailTo", "ann@example.org");
	gg_assert_xpath(d, "//i:Email/i:Description", "work");
	assert_int_equal(gg_test_xpath_count(d, "//i:Fax"), 0);
	gg_assert_xpath(d, "//i:Telephone[@type='fax']/i:TelephoneNumber", "+1 555 0101");
	gg_assert_xpath(d, "//i:Telephone[@type='fax']/i:Description", "office fax");
	gg_assert_xpath(d, "//i:Telephone[not(@type)]/i:TelephoneNumber", "+1 555 0100");
	/* Node */
	gg_assert_xpath(d, "//i:Node/i:Address[1]/@category", "ipv4-addr");
	gg_assert_xpath(d, "//i:Node/i:Address[2]/@category", "ext-value");
	gg_assert_xpath(d, "//i:Node/i:Address[2]/@ext-category", "ipv6-net-mask");
	gg_assert_xpath(d, "//i:Node/i:Location/@xml:lang", "en");
	assert_int_equal(gg_test_xpath_count(d, "//i:Node/i:NodeRole"), 0);
	gg_assert_xpath(d, "//i:System/i:Node/following-sibling::*[1][self::i:NodeRole]/@category",
			"www");
	gg_assert_xpath(d, "//i:System/i:NodeRole[@category='www']/i:Description", "public web");
	gg_assert_xpath(d, "//i:System/i:NodeRole[2]/@category", "mail");
	gg_assert_xpath(d, "//i:System/i:AdditionalData[@dtype='date-time']",
			"2007-01-01T01:00:00Z");
	gg_assert_xpath(d, "//i:Node/i:Counter/@type", "rate");
	gg_assert_xpath(d, "//i:System/i:Counter/@ext-unit", "widgets");
	gg_assert_xpath(d, "//i:System/i:Counter/@unit", "ext-value");
	/* Service and software */
	gg_assert_xpath(d, "//i:Service/@ip-protocol", "17");
	gg_assert_xpath(d, "//i:Service/i:Application/i:SoftwareReference/@spec-name", "custom");
	gg_assert_xpath(d, "//i:Service/i:Application/i:SoftwareReference/v1:Application/@vendor",
			"ISC");
	gg_assert_xpath(d, "//i:Service/i:Application/i:SoftwareReference/v1:Application/@version",
			"9");
	gg_assert_xpath(d, "//i:Service/i:Application/i:URL", "http://isc.example/bind");
	assert_int_equal(gg_test_xpath_count(d, "//i:Application/@vendor"), 0);
	gg_assert_xpath(d, "//i:OperatingSystem/i:SoftwareReference/v1:OperatingSystem/@family",
			"Linux");
	assert_int_equal(gg_test_xpath_count(d, "//i:RecordData/i:Application/*"), 0);
	/* extension content stays in the namespace it was written in */
	gg_assert_xpath(d, "//i:RecordItem/v1:Foo", "v1 payload");
	gg_assert_xpath(d, "namespace-uri(//i:RecordItem/*[local-name()='Bar'])", "urn:x");
	gg_assert_xpath(d, "//i:Incident/i:AdditionalData/v1:Thing", "t");
	assert_int_equal(gg_test_xpath_count(d, "//i:AdditionalData[@meaning='note']"), 1);
	xmlFreeDoc(v1);
	xmlFreeDoc(d);
}

static void test_refuses_non_v1(void **state)
{
	static const char incident[] = "<Incident xmlns=\"urn:ietf:params:xml:ns:iodef-1.0\"/>";
	struct gg_error err = { 0 };
	xmlDocPtr v2in = gg_test_parse_data("iodef/rfc7970/rfc7970-s7.1-minimal.xml");
	xmlDocPtr out = (xmlDocPtr)1, other = NULL;

	assert_int_equal(gg_iodef_upgrade(v2in, &out, &err), -EINVAL);
	assert_null(out);
	assert_non_null(strstr(err.msg, "not an IODEF 1.0 document"));
	assert_non_null(strstr(err.msg, GG_IODEF2_NS));
	assert_int_equal(gg_xml_parse(incident, strlen(incident), NULL, &other, &err), 0);
	assert_int_equal(gg_iodef_upgrade(other, &out, &err), -EINVAL);
	assert_int_equal(gg_iodef_upgrade(NULL, &out, &err), -EINVAL);
	xmlFreeDoc(v2in);
	xmlFreeDoc(other);
}

/* The upgraded document serializes and reparses to the same valid 2.0 document. */
static void test_serialize_roundtrip(void **state)
{
	struct fixture *f = *state;
	struct gg_error err = { 0 };
	xmlDocPtr d = upgrade_file(f, "iodef/rfc5070/rfc5070-s7.3-botnet.xml"), again = NULL;
	char *out = NULL;
	size_t len = 0;

	assert_int_equal(gg_xml_serialize(d, &out, &len), 0);
	assert_int_equal(gg_xml_parse(out, len, NULL, &again, &err), 0);
	assert_int_equal(gg_validator_check(f->v, again, &err), 0);
	free(out);
	xmlFreeDoc(d);
	xmlFreeDoc(again);
}

/* Two inputs the fuzz target found (docs/fuzzing.md): a NodeName declaring its own default
 * namespace (freed while the new DomainData/Name still used it: a use-after-free), and
 * prefixed elements whose declarations do not reach where the upgrade moves things (the tree
 * validated, its text had undeclared prefixes). Upgrade, serialize, parse back, validate. */
/* Through the ingest path: a 1.0 document that fits max_document_size (4k) on the way in but
 * not once upgraded (every Email becomes Email/EmailTo) is quarantined, never staged. */
static void test_ingest_quarantines_grown_document(void **state)
{
	char dir[] = "/tmp/gg-upgrade-XXXXXX", conf[128], text[1024], *doc_text;
	struct gg_config *cfg = NULL;
	struct gg_pipeline *p = NULL;
	struct gg_ingest *ing = NULL;
	struct gg_spool *sp = NULL;
	struct gg_spool_stats st;
	struct gg_error err = { 0 }, why = { 0 };
	xmlDocPtr doc;
	size_t len = 0, cap = 8192;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(conf, sizeof(conf), "%s/gridgate.conf", dir);
	snprintf(text, sizeof(text),
		 "[gridgate]\nstate_dir = %s\nschema_dir = %s\nmax_document_size = 4k\n"
		 "max_record_size = 1k\n[spool]\npath = %s/spool.db\n"
		 "[xmpp]\njid = gateway@example.org\npassword = secret\n",
		 dir, gg_test_schema_dir(), dir);
	f = fopen(conf, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
	if (gg_config_load(conf, &cfg, &err) != 0)
		fail_msg("gg_config_load: %s", err.msg);
	if (gg_pipeline_new(cfg, &p, &err) != 0)
		fail_msg("gg_pipeline_new: %s", err.msg);
	if (gg_ingest_new(p, "test", NULL, 0, &ing, &err) != 0)
		fail_msg("gg_ingest_new: %s", err.msg);

	doc_text = malloc(cap);
	assert_non_null(doc_text);
	len += (size_t)snprintf(doc_text + len, cap - len,
		"<IODEF-Document version=\"1.00\" lang=\"en\""
		" xmlns=\"urn:ietf:params:xml:ns:iodef-1.0\">"
		"<Incident purpose=\"reporting\"><IncidentID name=\"csirt.example.org\">big-1"
		"</IncidentID><ReportTime>2007-01-02T00:00:00Z</ReportTime>"
		"<Assessment><Impact type=\"unknown\"/></Assessment>"
		"<Contact role=\"creator\" type=\"organization\"><ContactName>CSIRT</ContactName>");
	for (int i = 0; i < 100; i++)
		len += (size_t)snprintf(doc_text + len, cap - len,
					"<Email>a%02d@example.org</Email>", i);
	len += (size_t)snprintf(doc_text + len, cap - len,
				"</Contact></Incident></IODEF-Document>");
	assert_true(len < 4096);
	doc = xmlReadMemory(doc_text, (int)len, "big.xml", NULL, XML_PARSE_NONET);
	assert_non_null(doc);
	assert_int_equal(xmlSchemaValidateDoc(((struct fixture *)*state)->v1, doc), 0);

	assert_int_equal(gg_ingest_begin(ing, &err), 0);
	assert_int_equal(gg_ingest_document(ing, doc, 0, "big-1", &why), -EINVAL);
	if (strstr(why.msg, "max_document_size") == NULL)
		fail_msg("quarantined for another reason: %s", why.msg);
	if (gg_ingest_commit(ing, &err) != 0)
		fail_msg("gg_ingest_commit: %s", err.msg);
	xmlFreeDoc(doc);
	free(doc_text);

	assert_int_equal(gg_pipeline_open_spool(p, &sp, &err), 0);
	assert_int_equal(gg_spool_stats(sp, &st, &err), 0);
	assert_int_equal(st.pending, 0);
	assert_int_equal(st.quarantined, 1);
	gg_spool_close(sp);
	gg_ingest_free(ing);
	gg_pipeline_free(p);
	gg_config_free(cfg);
	unlink(conf);
	for (const char *suffix = ""; suffix != NULL;
	     suffix = suffix[0] == '\0' ? "-wal" : suffix[1] == 'w' ? "-shm" : NULL) {
		snprintf(text, sizeof(text), "%s/spool.db%s", dir, suffix);
		unlink(text);
	}
	assert_int_equal(rmdir(dir), 0);
}

static void test_fuzz_regressions(void **state)
{
	static const char *const files[] = {
		"iodef/regress/regress-v1-nodename-own-ns-uaf.xml",
		"iodef/regress/regress-v1-ns-declared-on-moved-elements.xml",
	};
	struct fixture *f = *state;

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		struct gg_error err = { 0 };
		xmlDocPtr v1 = gg_test_parse_data(files[i]), again = NULL;
		xmlDocPtr v2 = upgrade_valid(f, v1, files[i]);
		char *out = NULL;
		size_t len = 0;

		assert_int_equal(gg_xml_serialize(v2, &out, &len), 0);
		if (gg_xml_parse(out, len, NULL, &again, &err) != 0)
			fail_msg("%s: upgraded text does not parse: %s", files[i], err.msg);
		assert_int_equal(gg_validator_check(f->v, again, &err), 0);
		free(out);
		xmlFreeDoc(again);
		xmlFreeDoc(v2);
		xmlFreeDoc(v1);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_worm),
		cmocka_unit_test(test_reconnaissance),
		cmocka_unit_test(test_botnet),
		cmocka_unit_test(test_watchlist),
		cmocka_unit_test(test_synthetic_every_rewrite),
		cmocka_unit_test(test_refuses_non_v1),
		cmocka_unit_test(test_serialize_roundtrip),
		cmocka_unit_test(test_fuzz_regressions),
		cmocka_unit_test(test_ingest_quarantines_grown_document),
	};

	gg_xml_init();
	return cmocka_run_group_tests(tests, setup, teardown);
}
