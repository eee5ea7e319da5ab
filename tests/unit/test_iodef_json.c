/* test_iodef_json.c: the flat-JSON mapping yields valid IODEF 2.0 with the values in the
 * right places, and refuses lines it cannot map faithfully with a reason. */
#include "test_util.h"

#include <errno.h>

#include <openssl/evp.h>

static const struct gg_iodef_defaults defaults = {
	.csirt_name = "csirt.example.org",
	.contact_email = "soc@example.org",
};

/* Maps line and requires a document that is valid IODEF 2.0. */
static xmlDocPtr map_valid(struct gg_test_schema *f, const char *line,
			   const struct gg_iodef_defaults *d)
{
	struct gg_error err = { 0 };
	xmlDocPtr doc = NULL;

	if (gg_iodef_from_json(line, strlen(line), d, &doc, &err) != 0)
		fail_msg("mapping failed: %s\n  line: %s", err.msg, line);
	if (gg_validator_check(f->v, doc, &err) != 0) {
		char *xml = NULL;

		gg_xml_serialize(doc, &xml, NULL);
		print_error("%s\n", xml != NULL ? xml : "");
		free(xml);
		fail_msg("not valid IODEF 2.0: %s", err.msg);
	}
	return doc;
}

/* Maps line, which must be refused with -EINVAL and a message containing want. */
static void map_refused(const char *line, size_t len, const char *want)
{
	struct gg_error err = { 0 };
	xmlDocPtr doc = (xmlDocPtr)1;

	if (gg_iodef_from_json(line, len, &defaults, &doc, &err) != -EINVAL)
		fail_msg("accepted: %s", line);
	assert_null(doc);
	if (strstr(err.msg, want) == NULL)
		fail_msg("message '%s' lacks '%s'", err.msg, want);
}

static void test_full_line(void **state)
{
	static const char line[] =
		"{\"id\":\"ssh-4711\",\"time\":\"2024-05-01T12:00:00.250Z\","
		"\"generated\":\"2024-05-01t12:00:05+02:00\",\"description\":\"SSH brute force\","
		"\"severity\":\"High\",\"category\":\"takeover-account\",\"src_ip\":\"192.0.2.10\","
		"\"dst_ip\":\"198.51.100.7\",\"src_port\":51515,\"dst_port\":\"22\","
		"\"protocol\":\"TCP\",\"purpose\":\"mitigation\",\"restriction\":\"TLP:AMBER\","
		"\"vendor_field\":{\"nested\":[1,2]}}\n";
	xmlDocPtr d = map_valid(*state, line, &defaults);
	char want_item[sizeof(line)];

	gg_assert_xpath(d, "/i:IODEF-Document/@version", "2.00");
	gg_assert_xpath(d, "/i:IODEF-Document/@xml:lang", "en");
	gg_assert_xpath(d, "//i:Incident/@purpose", "mitigation");
	gg_assert_xpath(d, "//i:Incident/@restriction", "amber");
	gg_assert_xpath(d, "//i:Incident/i:IncidentID", "ssh-4711");
	gg_assert_xpath(d, "//i:Incident/i:IncidentID/@name", "csirt.example.org");
	gg_assert_xpath(d, "//i:Incident/i:DetectTime", "2024-05-01T12:00:00.250Z");
	gg_assert_xpath(d, "//i:Incident/i:GenerationTime", "2024-05-01T12:00:05+02:00");
	gg_assert_xpath(d, "//i:Incident/i:Description", "SSH brute force");
	gg_assert_xpath(d, "//i:Assessment/i:SystemImpact/@severity", "high");
	gg_assert_xpath(d, "//i:Assessment/i:SystemImpact/@type", "takeover-account");
	gg_assert_xpath(d, "//i:Contact[@role='creator' and @type='organization']/i:ContactName",
			"csirt.example.org");
	gg_assert_xpath(d, "//i:Contact/i:Email/i:EmailTo", "soc@example.org");
	gg_assert_xpath(d, "//i:System[@category='source']/i:Node/i:Address", "192.0.2.10");
	gg_assert_xpath(d, "//i:System[@category='source']/i:Node/i:Address/@category",
			"ipv4-addr");
	gg_assert_xpath(d, "//i:System[@category='source']/i:Service/i:Port", "51515");
	gg_assert_xpath(d, "//i:System[@category='source']/i:Service/@ip-protocol", "6");
	gg_assert_xpath(d, "//i:System[@category='target']/i:Node/i:Address", "198.51.100.7");
	gg_assert_xpath(d, "//i:System[@category='target']/i:Service/i:Port", "22");
	gg_assert_xpath(d, "//i:System[@category='target']/i:Service/@ip-protocol", "6");
	/* the original line, without its newline, is the evidence */
	memcpy(want_item, line, sizeof(line) - 2);
	want_item[sizeof(line) - 2] = '\0';
	gg_assert_xpath(d, "//i:EventData/i:Record/i:RecordData/i:RecordItem[@dtype='string']",
			want_item);
	xmlFreeDoc(d);
}

static void test_ipv6_and_numbers(void **state)
{
	xmlDocPtr d = map_valid(*state,
				"{\"src_ip\":\"2001:DB8:0:0:0:0:0:1\",\"dst_ip\":\"::ffff:192.0.2.1\","
				"\"dst_port\":0,\"protocol\":17,\"id\":42,\"type\":\"scan\","
				"\"severity\":\"low\",\"restriction\":\"green\"}",
				&defaults);

	/* RFC 5952 canonical form */
	gg_assert_xpath(d, "//i:System[@category='source']/i:Node/i:Address", "2001:db8::1");
	gg_assert_xpath(d, "//i:System[@category='source']/i:Node/i:Address/@category",
			"ipv6-addr");
	gg_assert_xpath(d, "//i:System[@category='target']/i:Node/i:Address",
			"::ffff:192.0.2.1");
	gg_assert_xpath(d, "//i:System[@category='target']/i:Service/i:Port", "0");
	gg_assert_xpath(d, "//i:System[@category='source']/i:Service/@ip-protocol", "17");
	assert_int_equal(gg_test_xpath_count(d, "//i:System[@category='source']/i:Service/i:Port"),
			 0);
	gg_assert_xpath(d, "//i:IncidentID", "42");
	/* "type" when there is no "category"; not an RFC 7970 value -> ext-value */
	gg_assert_xpath(d, "//i:SystemImpact/@type", "ext-value");
	gg_assert_xpath(d, "//i:SystemImpact/@ext-type", "scan");
	xmlFreeDoc(d);
}

static void sha_id(const char *line, char out[36])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	assert_int_equal(EVP_Digest(line, strlen(line), md, &n, EVP_sha256(), NULL), 1);
	strcpy(out, "gg-");
	for (int i = 0; i < 16; i++)
		sprintf(out + 3 + 2 * i, "%02x", md[i]);
}

static void test_missing_optional_keys(void **state)
{
	struct gg_iodef_defaults no_mail = { .csirt_name = "csirt.example.org" };
	xmlDocPtr d = map_valid(*state, "{}", &no_mail), d2;
	char id[36];
	char *gen;

	sha_id("{}", id);
	gg_assert_xpath(d, "//i:IncidentID", id);
	gg_assert_xpath(d, "//i:Incident/@purpose", "reporting");
	gg_assert_xpath(d, "//i:Incident/@restriction", "private");
	gen = gg_test_xpath(d, "//i:GenerationTime");
	assert_int_equal(strlen(gen), 20);
	assert_int_equal(gen[19], 'Z');
	xmlFree(gen);
	assert_int_equal(gg_test_xpath_count(d, "//i:DetectTime"), 0);
	assert_int_equal(gg_test_xpath_count(d, "//i:Assessment"), 0);
	assert_int_equal(gg_test_xpath_count(d, "//i:Flow"), 0);
	assert_int_equal(gg_test_xpath_count(d, "//i:Email"), 0);
	gg_assert_xpath(d, "//i:RecordItem", "{}");

	/* nulls are absent keys; the same line (line ending aside) gives the same id */
	d2 = map_valid(*state, "{}\r\n", &no_mail);
	gg_assert_xpath(d2, "//i:IncidentID", id);
	xmlFreeDoc(d2);
	d2 = map_valid(*state, "{\"src_ip\":null,\"severity\":\"info\",\"id\":null}", &defaults);
	assert_int_equal(gg_test_xpath_count(d2, "//i:Flow"), 0);
	assert_int_equal(gg_test_xpath_count(d2, "//i:Assessment"), 0);
	sha_id("{\"src_ip\":null,\"severity\":\"info\",\"id\":null}", id);
	gg_assert_xpath(d2, "//i:IncidentID", id);
	xmlFreeDoc(d2);
	xmlFreeDoc(d);
}

static void test_only_one_side(void **state)
{
	xmlDocPtr d = map_valid(*state, "{\"dst_ip\":\"203.0.113.5\",\"dst_port\":443}", &defaults);

	assert_int_equal(gg_test_xpath_count(d, "//i:System"), 1);
	gg_assert_xpath(d, "//i:System/@category", "target");
	assert_int_equal(gg_test_xpath_count(d, "//i:Service/@ip-protocol"), 0);
	xmlFreeDoc(d);
}

/* Markup in values is text, escaped on output and equal to the input when read back. */
static void test_markup_is_text(void **state)
{
	struct gg_test_schema *f = *state;
	struct gg_error err = { 0 };
	xmlDocPtr d = map_valid(f, "{\"description\":\"<script>&amp; ]]> \\\"x\\\" caf\\u00e9\"}",
				&defaults),
		  again = NULL;
	char *xml = NULL;
	size_t len = 0;

	gg_assert_xpath(d, "//i:Incident/i:Description", "<script>&amp; ]]> \"x\" caf\xc3\xa9");
	assert_int_equal(gg_xml_serialize(d, &xml, &len), 0);
	assert_null(strstr(xml, "<script>"));
	assert_int_equal(gg_xml_parse(xml, len, NULL, &again, &err), 0);
	assert_int_equal(gg_validator_check(f->v, again, &err), 0);
	gg_assert_xpath(again, "//i:Incident/i:Description", "<script>&amp; ]]> \"x\" caf\xc3\xa9");
	free(xml);
	xmlFreeDoc(again);
	xmlFreeDoc(d);
}

static void test_refusals(void **state)
{
	static const struct {
		const char *line;
		const char *want;
	} cases[] = {
		{ "[1,2]", "expected an object, got an array" },
		{ "42", "expected an object, got an integer" },
		{ "\"x\"", "expected an object, got a string" },
		{ "{\"id\":\"a\",\"id\":\"b\"}", "duplicate" },
		{ "{} {}", "line 1" },
		{ "{\"src_ip\":\"192.0.2.300\"}", "'src_ip': '192.0.2.300' is not an IPv4 or IPv6" },
		{ "{\"dst_ip\":\"fe80::1%eth0\"}", "dst_ip" },
		{ "{\"src_ip\":\"10.0.0.1\",\"src_port\":70000}", "70000 is not within 0-65535" },
		{ "{\"src_ip\":\"10.0.0.1\",\"src_port\":-1}", "src_port" },
		{ "{\"src_ip\":\"10.0.0.1\",\"src_port\":22.0}", "must be an integer or a decimal" },
		{ "{\"src_ip\":\"10.0.0.1\",\"src_port\":\"ssh\"}", "not a number" },
		{ "{\"src_ip\":\"10.0.0.1\",\"src_port\":{\"n\":1}}", "got an object" },
		{ "{\"dst_port\":22}", "'dst_port' given without 'dst_ip'" },
		{ "{\"protocol\":\"tcp\"}", "'protocol' given without" },
		{ "{\"dst_ip\":\"10.0.0.1\",\"protocol\":\"quic\"}", "not a known protocol" },
		{ "{\"dst_ip\":\"10.0.0.1\",\"protocol\":256}", "256 is not within 0-255" },
		{ "{\"severity\":3}", "'severity' must be a string, got an integer" },
		{ "{\"severity\":\"critical\"}", "not one of low, medium, high, info" },
		{ "{\"description\":[\"a\"]}", "'description' must be a string, got an array" },
		{ "{\"description\":\"\"}", "must not be empty" },
		{ "{\"id\":true}", "'id' must be a string or an integer, got a boolean" },
		{ "{\"purpose\":\"exfiltration\"}", "'purpose'" },
		{ "{\"restriction\":\"TLP:PUBLIC\"}", "'restriction'" },
		{ "{\"restriction\":\"secret\"}", "'restriction'" },
		{ "{\"time\":\"2024-13-01T00:00:00Z\"}", "not a real date" },
		{ "{\"time\":\"2023-02-29T00:00:00Z\"}", "not a real date" },
		{ "{\"time\":\"2016-12-31T23:59:60Z\"}", "not a real date" },
		{ "{\"time\":\"2024-05-01T12:00:00\"}", "not an RFC 3339 date-time" },
		{ "{\"time\":\"2024-05-01\"}", "not an RFC 3339 date-time" },
		{ "{\"time\":\"2024-05-01T12:00:00+15:00\"}", "beyond +-14:00" },
		{ "{\"time\":\"2024-05-01T12:00:00.Z\"}", "not an RFC 3339" },
		{ "{\"generated\":\"yesterday\"}", "'generated'" },
		{ "{\"description\":\"bell\\u0007\"}", "control character" },
		{ "{\"description\":\"\\uffff\"}", "control character or not valid UTF-8" },
		{ "{\"category\":\"x\\u0000y\"}", "line 1" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		map_refused(cases[i].line, strlen(cases[i].line), cases[i].want);
}

static void test_invalid_utf8_refused(void **state)
{
	static const char overlong[] = "{\"description\":\"\xc0\xaf\"}";
	static const char truncated[] = "{\"description\":\"\xe2\x82\"}";
	static const char latin1[] = "{\"description\":\"caf\xe9\"}";
	/* U+FFFE written raw (not escaped) is valid JSON and valid UTF-8, but not XML. */
	static const char nonchar_raw[] = "{\"x\":\"\xef\xbf\xbe\"}";
	static const char nul[] = "{\"a\":1}\0{}";

	map_refused(overlong, strlen(overlong), "json");
	map_refused(truncated, strlen(truncated), "json");
	map_refused(latin1, strlen(latin1), "json");
	map_refused(nonchar_raw, strlen(nonchar_raw), "(line)");
	map_refused(nul, sizeof(nul) - 1, "json");
}

static void test_defaults_checked(void **state)
{
	struct gg_iodef_defaults none = { 0 };
	struct gg_iodef_defaults bad = { .csirt_name = "a\x01" };
	struct gg_error err = { 0 };
	xmlDocPtr doc = NULL;

	assert_int_equal(gg_iodef_from_json("{}", 2, NULL, &doc, &err), -EINVAL);
	assert_int_equal(gg_iodef_from_json("{}", 2, &none, &doc, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "CSIRT name"));
	assert_int_equal(gg_iodef_from_json("{}", 2, &bad, &doc, &err), -EINVAL);
	assert_null(doc);
}

/* Every line of a small NDJSON batch maps to a valid document. */
static void test_batch_all_valid(void **state)
{
	static const char *const lines[] = {
		"{\"time\":\"2024-02-29T23:59:59-14:00\",\"src_ip\":\"0.0.0.0\",\"dst_ip\":"
		"\"255.255.255.255\",\"src_port\":65535,\"protocol\":\"icmp\"}",
		"{\"category\":\"policy\",\"purpose\":\"watch\",\"restriction\":\"need-to-know\"}",
		"{\"category\":\"Breach-Privacy\",\"severity\":\"medium\"}",
		"{\"time\":\"1999-12-31 23:59:59.123456789+05:30\",\"generated\":"
		"\"2000-01-01T00:00:00z\"}",
		"{\"dst_ip\":\"::\",\"protocol\":\"0\",\"description\":\"\xf0\x9f\x94\xa5 \\t tab\"}",
	};

	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		xmlFreeDoc(map_valid(*state, lines[i], &defaults));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_line),
		cmocka_unit_test(test_ipv6_and_numbers),
		cmocka_unit_test(test_missing_optional_keys),
		cmocka_unit_test(test_only_one_side),
		cmocka_unit_test(test_markup_is_text),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_invalid_utf8_refused),
		cmocka_unit_test(test_defaults_checked),
		cmocka_unit_test(test_batch_all_valid),
	};

	gg_xml_init();
	return cmocka_run_group_tests(tests, gg_test_schema_setup, gg_test_schema_teardown);
}
