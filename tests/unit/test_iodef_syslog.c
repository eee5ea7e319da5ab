/* test_iodef_syslog.c: the generic syslog mapping yields valid IODEF 2.0 for RFC 5424 and
 * RFC 3164 messages, bytes that are not text included, and places yearless stamps in a year. */
#include "test_util.h"

#include <errno.h>
#include <time.h>

#include <openssl/evp.h>

#include "formats/syslog_parse.h"

struct fixture {
	struct gg_schema *schema;
	struct gg_validator *v;
	struct gg_syslog_msg msg;
	char scratch[4096];
};

static const struct gg_iodef_defaults defaults = {
	.csirt_name = "csirt.example.org",
	.contact_email = NULL,
};

#define ID "0123456789abcdef0123456789abcdef"

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	if (gg_test_validator_open(&f->schema, &f->v) != 0) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	/* cmocka runs the group teardown after a failed setup too. */
	if (f == NULL)
		return 0;
	gg_test_validator_close(f->schema, f->v);
	free(f);
	return 0;
}

/* UTC seconds of the given date and time. */
static time_t utc(int y, int mo, int d, int h, int mi, int s)
{
	struct tm tm = { .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h,
			 .tm_min = mi, .tm_sec = s };

	return timegm(&tm);
}

/* Parses and maps len bytes received at now; requires a valid IODEF 2.0 document. */
static xmlDocPtr map_valid(struct fixture *f, const char *raw, size_t len, time_t now)
{
	struct gg_error err = { 0 };
	xmlDocPtr doc = NULL;

	if (gg_syslog_parse(raw, len, NULL, f->scratch, sizeof(f->scratch), &f->msg, &err) != 0)
		fail_msg("parse failed: %s", err.msg);
	if (gg_iodef_from_syslog(&f->msg, raw, len, ID, &defaults, now, &doc, &err) != 0)
		fail_msg("mapping failed: %s", err.msg);
	if (gg_validator_check(f->v, doc, &err) != 0) {
		char *xml = NULL;

		gg_xml_serialize(doc, &xml, NULL);
		print_error("%s\n", xml != NULL ? xml : "");
		free(xml);
		fail_msg("not valid IODEF 2.0: %s", err.msg);
	}
	return doc;
}

static void expect(xmlDocPtr doc, const char *expr, const char *want)
{
	char *got = gg_test_xpath(doc, expr);

	if (strcmp(got, want) != 0) {
		print_error("%s: got '%s', want '%s'\n", expr, got, want);
		xmlFree(got);
		fail();
	}
	xmlFree(got);
}

static void test_rfc5424(void **state)
{
	static const char raw[] = "<34>1 2026-11-24T10:00:00.123+01:00 host.example.org su - ID47 "
				  "[exampleSDID@32473 iut=\"3\"] \xEF\xBB\xBF'su root' failed";
	struct fixture *f = *state;
	xmlDocPtr doc = map_valid(f, raw, sizeof(raw) - 1, utc(2026, 11, 24, 12, 0, 0));

	expect(doc, "/i:IODEF-Document/@version", "2.00");
	expect(doc, "/i:IODEF-Document/@xml:lang", "en");
	expect(doc, "//i:Incident/@purpose", "reporting");
	expect(doc, "//i:IncidentID", ID);
	expect(doc, "//i:IncidentID/@name", "csirt.example.org");
	expect(doc, "//i:Incident/i:DetectTime", "2026-11-24T10:00:00.123+01:00");
	expect(doc, "//i:Incident/i:GenerationTime", "2026-11-24T12:00:00Z");
	expect(doc, "//i:Incident/i:Description", "'su root' failed");
	expect(doc, "//i:SystemImpact/@type", "unknown");
	expect(doc, "//i:SystemImpact/@severity", "high");
	expect(doc, "//i:Contact[@role='creator'][@type='organization']/i:ContactName",
	       "csirt.example.org");
	expect(doc, "//i:Flow/i:System[@category='sensor']/i:Node/i:DomainData/i:Name",
	       "host.example.org");
	expect(doc, "//i:RecordItem/@dtype", "string");
	expect(doc, "//i:RecordItem", raw);
	xmlFreeDoc(doc);
}

static void test_rfc5424_nil_fields(void **state)
{
	static const char raw[] = "<165>1 - - - - - -";
	struct fixture *f = *state;
	xmlDocPtr doc = map_valid(f, raw, sizeof(raw) - 1, utc(2026, 11, 24, 12, 0, 0));

	assert_int_equal(gg_test_xpath_count(doc, "//i:DetectTime"), 0);
	assert_int_equal(gg_test_xpath_count(doc, "//i:Flow"), 0);
	expect(doc, "//i:SystemImpact/@severity", "low");
	xmlFreeDoc(doc);
}

static void test_rfc3164(void **state)
{
	static const char raw[] = "<12>Nov 24 10:00:00 myhost app[42]: disk almost full";
	struct fixture *f = *state;
	xmlDocPtr doc = map_valid(f, raw, sizeof(raw) - 1, utc(2026, 11, 24, 12, 0, 0));

	expect(doc, "//i:Incident/i:DetectTime", "2026-11-24T10:00:00Z");
	expect(doc, "//i:Incident/i:Description", "disk almost full");
	expect(doc, "//i:SystemImpact/@severity", "medium");
	expect(doc, "//i:DomainData/i:Name", "myhost");
	expect(doc, "//i:RecordItem", raw);
	xmlFreeDoc(doc);
}

/* The host that logged is the sensor, never the source (which reads as the attacker), and an
 * address is an Address, as the rfc5424 catch-all mapping writes them. */
static void test_rfc3164_host_is_sensor(void **state)
{
	static const char named[] = "<13>Nov 24 10:00:00 myhost backupd: nightly backup finished";
	static const char v4[] = "<13>Nov 24 10:00:00 10.0.0.99 backupd: done";
	static const char v6[] = "<13>Nov 24 10:00:00 2001:db8::9 backupd: done";
	struct fixture *f = *state;
	xmlDocPtr doc = map_valid(f, named, sizeof(named) - 1, utc(2026, 11, 24, 12, 0, 0));

	assert_int_equal(gg_test_xpath_count(doc, "//i:System[@category='source']"), 0);
	expect(doc, "//i:System[@category='sensor']/i:Node/i:DomainData/i:Name", "myhost");
	xmlFreeDoc(doc);
	doc = map_valid(f, v4, sizeof(v4) - 1, utc(2026, 11, 24, 12, 0, 0));
	expect(doc, "//i:System[@category='sensor']/i:Node/i:Address", "10.0.0.99");
	expect(doc, "//i:System[@category='sensor']/i:Node/i:Address/@category", "ipv4-addr");
	xmlFreeDoc(doc);
	doc = map_valid(f, v6, sizeof(v6) - 1, utc(2026, 11, 24, 12, 0, 0));
	expect(doc, "//i:System[@category='sensor']/i:Node/i:Address/@category", "ipv6-addr");
	xmlFreeDoc(doc);
}

static void test_rfc3164_no_pri(void **state)
{
	static const char raw[] = "just some text";
	struct fixture *f = *state;
	xmlDocPtr doc = map_valid(f, raw, sizeof(raw) - 1, utc(2026, 11, 24, 12, 0, 0));

	expect(doc, "//i:Incident/i:Description", "just some text");
	expect(doc, "//i:SystemImpact/@severity", "low");
	assert_int_equal(gg_test_xpath_count(doc, "//i:DetectTime"), 0);
	xmlFreeDoc(doc);
}

/* A Dec 31 stamp received just after New Year belongs to the old year. */
static void test_year_dec31_received_jan1(void **state)
{
	static const char raw[] = "<13>Dec 31 23:59:58 h app: late";
	struct fixture *f = *state;
	xmlDocPtr doc = map_valid(f, raw, sizeof(raw) - 1, utc(2027, 1, 1, 0, 0, 5));

	expect(doc, "//i:Incident/i:DetectTime", "2026-12-31T23:59:58Z");
	xmlFreeDoc(doc);
}

/* A Jan 1 stamp from a clock running ahead, received on Dec 31, belongs to the new year. */
static void test_year_jan1_received_dec31(void **state)
{
	static const char raw[] = "<13>Jan  1 00:00:10 h app: early";
	struct fixture *f = *state;
	xmlDocPtr doc = map_valid(f, raw, sizeof(raw) - 1, utc(2026, 12, 31, 23, 59, 50));

	expect(doc, "//i:Incident/i:DetectTime", "2027-01-01T00:00:10Z");
	xmlFreeDoc(doc);
}

/* More than a day ahead of the receive time: last year's, not a future time. */
static void test_year_never_future(void **state)
{
	static const char raw[] = "<13>Nov 26 10:00:00 h app: ahead";
	struct fixture *f = *state;
	xmlDocPtr doc = map_valid(f, raw, sizeof(raw) - 1, utc(2026, 11, 24, 12, 0, 0));

	expect(doc, "//i:Incident/i:DetectTime", "2025-11-26T10:00:00Z");
	xmlFreeDoc(doc);
}

static void test_invalid_utf8(void **state)
{
	static const char raw[] = "<11>1 2026-11-24T10:00:00Z h app - - - bad \xff\xfe bytes";
	struct fixture *f = *state;
	xmlDocPtr doc = map_valid(f, raw, sizeof(raw) - 1, utc(2026, 11, 24, 12, 0, 0));
	char *item;
	unsigned char decoded[sizeof(raw) + 4];
	int n;

	expect(doc, "//i:RecordItem/@dtype", "bytes");
	assert_int_equal(gg_test_xpath_count(doc, "//i:Incident/i:Description"), 1);
	item = gg_test_xpath(doc, "//i:RecordItem");
	assert_int_equal(gg_test_xpath_count(doc, "//i:Incident/i:Description[contains(., "
						  "'not valid UTF-8')]"),
			 1);
	n = EVP_DecodeBlock(decoded, (const unsigned char *)item, (int)strlen(item));
	/* EVP_DecodeBlock counts the padding's zero bytes too. */
	assert_true(n >= (int)sizeof(raw) - 1);
	assert_memory_equal(decoded, raw, sizeof(raw) - 1);
	xmlFree(item);
	xmlFreeDoc(doc);
}

static void test_nul_byte(void **state)
{
	static const char raw[] = "<13>Nov 24 10:00:00 h app: before\0after";
	struct fixture *f = *state;
	xmlDocPtr doc = map_valid(f, raw, sizeof(raw) - 1, utc(2026, 11, 24, 12, 0, 0));

	expect(doc, "//i:RecordItem/@dtype", "bytes");
	assert_int_equal(gg_test_xpath_count(doc, "//i:Description[contains(., 'before')]"), 0);
	expect(doc, "//i:DomainData/i:Name", "h");
	xmlFreeDoc(doc);
}

static void test_refuses_bad_defaults(void **state)
{
	static const char raw[] = "<13>hello";
	static const struct gg_iodef_defaults none = { .csirt_name = "" };
	struct fixture *f = *state;
	struct gg_error err = { 0 };
	xmlDocPtr doc = (xmlDocPtr)1;

	assert_int_equal(gg_syslog_parse(raw, sizeof(raw) - 1, NULL, f->scratch,
					 sizeof(f->scratch), &f->msg, &err),
			 0);
	assert_int_equal(gg_iodef_from_syslog(&f->msg, raw, sizeof(raw) - 1, ID, &none, 0, &doc,
					      &err),
			 -EINVAL);
	assert_null(doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc5424),
		cmocka_unit_test(test_rfc5424_nil_fields),
		cmocka_unit_test(test_rfc3164),
		cmocka_unit_test(test_rfc3164_host_is_sensor),
		cmocka_unit_test(test_rfc3164_no_pri),
		cmocka_unit_test(test_year_dec31_received_jan1),
		cmocka_unit_test(test_year_jan1_received_dec31),
		cmocka_unit_test(test_year_never_future),
		cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_nul_byte),
		cmocka_unit_test(test_refuses_bad_defaults),
	};

	gg_xml_init();
	return cmocka_run_group_tests(tests, setup, teardown);
}
