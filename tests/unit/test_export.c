/* test_export.c: the HTTPS exporter's pure parts: which documents an endpoint gets (filters
 * and restriction over real IODEF 2.0 documents), what an answer means (status classes,
 * Retry-After in seconds and as an HTTP date, backoff with jitter), the JSON envelope, and
 * the Standard Webhooks signature a sender makes, checked by the receiver's own function. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "http/http_auth.h"
#include "iodef/xmlsafe.h"
#include "out_export/export_body.h"
#include "out_export/export_filter.h"
#include "out_export/export_retry.h"
#include "out_export/export_rid.h"

/* An IODEF 2.0 document with one Incident; assessment is the inside of its Assessment (""
 * leaves Assessment out), restriction NULL leaves the attribute out. */
static char *doc(const char *purpose, const char *restriction, const char *assessment)
{
	char *d = NULL;
	char restr[64] = "";

	if (restriction != NULL)
		snprintf(restr, sizeof(restr), " restriction=\"%s\"", restriction);
	if (asprintf(&d,
		     "<IODEF-Document version=\"2.00\" xmlns=\"urn:ietf:params:xml:ns:iodef-2.0\">"
		     "<Incident purpose=\"%s\"%s><IncidentID name=\"x\">1</IncidentID>"
		     "<GenerationTime>2015-07-18T09:00:00-05:00</GenerationTime>"
		     "%s%s%s"
		     "<Contact type=\"organization\" role=\"creator\"><Email><EmailTo>a@b</EmailTo>"
		     "</Email></Contact></Incident></IODEF-Document>",
		     purpose, restr, assessment[0] ? "<Assessment>" : "", assessment,
		     assessment[0] ? "</Assessment>" : "") < 0)
		fail_msg("asprintf");
	return d;
}

static enum export_pass check(const char *severity, const char *purposes, const char *categories,
			      int allow_restricted, const char *document)
{
	struct export_filter *f = NULL;
	struct gg_error err;
	char why[128];
	enum export_pass p;

	if (export_filter_new(severity, purposes, categories, NULL, allow_restricted, &f, &err) != 0)
		fail_msg("filter: %s", err.msg);
	p = export_filter_check(f, document, strlen(document), why, sizeof(why));
	export_filter_free(f);
	return p;
}

static void test_restriction(void **state)
{
	char *pub = doc("reporting", "public", ""), *priv = doc("reporting", "private", "");
	char *ntk = doc("reporting", "need-to-know", ""), *none = doc("reporting", NULL, "");
	char *red = doc("reporting", "red", ""), *green = doc("reporting", "green", "");

	(void)state;
	assert_int_equal(check(NULL, NULL, NULL, 0, pub), EXPORT_PASS);
	assert_int_equal(check(NULL, NULL, NULL, 0, green), EXPORT_PASS);
	assert_int_equal(check(NULL, NULL, NULL, 0, priv), EXPORT_RESTRICTED);
	assert_int_equal(check(NULL, NULL, NULL, 0, ntk), EXPORT_RESTRICTED);
	assert_int_equal(check(NULL, NULL, NULL, 0, red), EXPORT_RESTRICTED);
	/* RFC 7970: an Incident without restriction is private. */
	assert_int_equal(check(NULL, NULL, NULL, 0, none), EXPORT_RESTRICTED);
	assert_int_equal(check(NULL, NULL, NULL, 1, priv), EXPORT_PASS);
	assert_int_equal(check(NULL, NULL, NULL, 1, none), EXPORT_PASS);
	free(pub), free(priv), free(ntk), free(none), free(red), free(green);
}

/* One restricted Incident keeps the whole document away: the payload goes whole or not. */
static void test_restriction_any_incident(void **state)
{
	const char *two =
		"<IODEF-Document version=\"2.00\" xmlns=\"urn:ietf:params:xml:ns:iodef-2.0\">"
		"<Incident purpose=\"reporting\" restriction=\"public\"/>"
		"<Incident purpose=\"reporting\" restriction=\"need-to-know\"/></IODEF-Document>";

	(void)state;
	assert_int_equal(check(NULL, NULL, NULL, 0, two), EXPORT_RESTRICTED);
	assert_int_equal(check(NULL, NULL, NULL, 1, two), EXPORT_PASS);
}

static void test_severity(void **state)
{
	char *high = doc("reporting", "public", "<SystemImpact severity=\"high\"/>");
	char *low = doc("reporting", "public", "<SystemImpact severity=\"low\"/>"
						"<TimeImpact severity=\"medium\" metric=\"labor\">"
						"1</TimeImpact>");
	char *bare = doc("reporting", "public", "<SystemImpact/>");
	char *none = doc("reporting", "public", "");

	(void)state;
	assert_int_equal(check("medium", NULL, NULL, 0, high), EXPORT_PASS);
	/* the highest impact counts */
	assert_int_equal(check("medium", NULL, NULL, 0, low), EXPORT_PASS);
	assert_int_equal(check("high", NULL, NULL, 0, low), EXPORT_FILTERED);
	assert_int_equal(check("low", NULL, NULL, 0, bare), EXPORT_FILTERED);
	assert_int_equal(check("low", NULL, NULL, 0, none), EXPORT_FILTERED);
	assert_int_equal(check(NULL, NULL, NULL, 0, none), EXPORT_PASS);
	free(high), free(low), free(bare), free(none);
}

static void test_purpose_category(void **state)
{
	char *d = doc("mitigation", "public",
		      "<IncidentCategory> Phishing\n</IncidentCategory>"
		      "<SystemImpact type=\"takeover-account\"/>");
	char *plain = doc("watch", "public", "<SystemImpact/>");
	struct export_filter *f = NULL;
	struct gg_error err;

	(void)state;
	assert_int_equal(check(NULL, "reporting, mitigation", NULL, 0, d), EXPORT_PASS);
	assert_int_equal(check(NULL, "reporting watch", NULL, 0, d), EXPORT_FILTERED);
	assert_int_equal(check(NULL, NULL, "phishing", 0, d), EXPORT_PASS);
	assert_int_equal(check(NULL, NULL, "takeover-account", 0, d), EXPORT_PASS);
	assert_int_equal(check(NULL, NULL, "malware", 0, d), EXPORT_FILTERED);
	/* SystemImpact@type's default is unknown */
	assert_int_equal(check(NULL, NULL, "unknown", 0, plain), EXPORT_PASS);
	assert_int_equal(check("low", "mitigation", "phishing", 0, d), EXPORT_FILTERED);
	assert_int_equal(export_filter_new(NULL, "reporting, spam", NULL, NULL, 0, &f, &err),
			 -EINVAL);
	assert_non_null(strstr(err.msg, "spam"));
	assert_int_equal(export_filter_new("urgent", NULL, NULL, NULL, 0, &f, &err), -EINVAL);
	free(d), free(plain);
}

/* topics = ...: a grid event passes by the topic its meta names; a record with no topic (not
 * from a [subscribe] input) does not. */
static void test_topics(void **state)
{
	struct export_filter *f = NULL;
	struct gg_error err;
	char why[128];

	(void)state;
	assert_int_equal(export_filter_new(NULL, NULL, NULL, "alerts, soc-b", 1, &f, &err), 0);
	assert_false(export_filter_is_open(f));
	assert_true(export_filter_topic(f, "{\"topic\":\"soc-b\",\"item\":\"1\"}", why,
					sizeof(why)));
	assert_false(export_filter_topic(f, "{\"topic\":\"soc\"}", why, sizeof(why)));
	assert_non_null(strstr(why, "soc"));
	assert_false(export_filter_topic(f, NULL, why, sizeof(why)));
	assert_non_null(strstr(why, "no topic"));
	assert_false(export_filter_topic(f, "not json", why, sizeof(why)));
	export_filter_free(f);
	assert_int_equal(export_filter_new(NULL, NULL, NULL, NULL, 1, &f, &err), 0);
	assert_true(export_filter_topic(f, NULL, why, sizeof(why)));
	export_filter_free(f);
}

static void test_unreadable(void **state)
{
	(void)state;
	assert_int_equal(check(NULL, NULL, NULL, 0, "<a>"), EXPORT_UNREADABLE);
	assert_int_equal(check(NULL, NULL, NULL, 0, "<IODEF-Document/>"), EXPORT_UNREADABLE);
	/* an open filter reads nothing */
	assert_int_equal(check(NULL, NULL, NULL, 1, "<a>"), EXPORT_PASS);
}

static void test_classify(void **state)
{
	(void)state;
	assert_int_equal(export_classify(200), EXPORT_DONE);
	assert_int_equal(export_classify(204), EXPORT_DONE);
	assert_int_equal(export_classify(0), EXPORT_RETRY);
	assert_int_equal(export_classify(408), EXPORT_RETRY);
	assert_int_equal(export_classify(425), EXPORT_RETRY);
	assert_int_equal(export_classify(429), EXPORT_RETRY);
	assert_int_equal(export_classify(500), EXPORT_RETRY);
	assert_int_equal(export_classify(503), EXPORT_RETRY);
	assert_int_equal(export_classify(400), EXPORT_DEAD);
	assert_int_equal(export_classify(401), EXPORT_DEAD);
	assert_int_equal(export_classify(404), EXPORT_DEAD);
	assert_int_equal(export_classify(413), EXPORT_DEAD);
	assert_int_equal(export_classify(301), EXPORT_DEAD);
}

static void test_retry_after(void **state)
{
	int64_t d = -1;
	/* Sun, 06 Nov 1994 08:49:37 GMT (RFC 9110's example) = 784111777 */
	const int64_t when = 784111777;

	(void)state;
	assert_int_equal(export_retry_after("120", 0, &d), 0);
	assert_int_equal(d, 120);
	assert_int_equal(export_retry_after(" 0 ", 0, &d), 0);
	assert_int_equal(d, 0);
	assert_int_equal(export_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", when - 30, &d), 0);
	assert_int_equal(d, 30);
	assert_int_equal(export_retry_after("Sunday, 06-Nov-94 08:49:37 GMT", when - 5, &d), 0);
	assert_int_equal(d, 5);
	assert_int_equal(export_retry_after("Sun Nov  6 08:49:37 1994", when - 1, &d), 0);
	assert_int_equal(d, 1);
	/* a date gone by: now */
	assert_int_equal(export_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", when + 60, &d), 0);
	assert_int_equal(d, 0);
	assert_int_equal(export_retry_after("soon", 0, &d), -EINVAL);
	assert_int_equal(export_retry_after("12s", 0, &d), -EINVAL);
	assert_int_equal(export_retry_after("-5", 0, &d), -EINVAL);
	assert_int_equal(export_retry_after("99999999999999999999999", 0, &d), -EINVAL);
	assert_int_equal(export_retry_after(NULL, 0, &d), -EINVAL);
}

static void test_backoff(void **state)
{
	(void)state;
	/* half fixed, half random: 1000 -> [500, 1000] */
	assert_int_equal(export_backoff_ms(1, 1000, 60000, 0), 500);
	assert_int_equal(export_backoff_ms(1, 1000, 60000, 500), 1000);
	assert_int_equal(export_backoff_ms(1, 1000, 60000, 501), 500);
	assert_int_equal(export_backoff_ms(3, 1000, 60000, 0), 2000);
	assert_int_equal(export_backoff_ms(3, 1000, 60000, 2000), 4000);
	/* capped, whatever the attempts */
	assert_int_equal(export_backoff_ms(40, 1000, 60000, 30000), 60000);
	assert_int_equal(export_backoff_ms(1000000, 1000, 60000, 0), 30000);
	for (uint64_t r = 0; r < 5000; r += 7) {
		int64_t v = export_backoff_ms(5, 1000, 300000, r * 2654435761u);

		assert_true(v >= 8000 && v <= 16000);
	}
	/* Retry-After wins over the backoff, capped at the maximum */
	assert_int_equal(export_retry_delay_ms("3", 0, 9, 1000, 60000, 0), 3000);
	assert_int_equal(export_retry_delay_ms("86400", 0, 1, 1000, 60000, 0), 60000);
	assert_int_equal(export_retry_delay_ms("later", 0, 1, 1000, 60000, 0), 500);
	assert_int_equal(export_retry_delay_ms(NULL, 0, 2, 1000, 60000, 1000), 2000);
}

static void test_envelope(void **state)
{
	const char payload[] = "<IODEF-Document xml:lang=\"en\">\"q\" & \\ \xc3\xa9</IODEF-Document>";
	json_error_t jerr;
	json_t *o;
	char *out = NULL;
	size_t len = 0;

	(void)state;
	assert_int_equal(export_envelope("abc", "sub", 1700000000, NULL, payload,
					 sizeof(payload) - 1, &out, &len), 0);
	assert_int_equal(strlen(out), len);
	assert_non_null(strstr(out, "{\"id\":\"abc\",\"source\":\"sub\",\"received\":"
				    "\"2023-11-14T22:13:20Z\",\"payload\":"));
	o = json_loads(out, 0, &jerr);
	assert_non_null(o);
	assert_string_equal(json_string_value(json_object_get(o, "payload")), payload);
	json_decref(o);
	free(out);
	assert_int_equal(export_envelope("abc", "sub", 0, NULL, "\xff\xfe", 2, &out, &len),
			 -EINVAL);
	assert_null(out);
	/* a grid event's topic, item and publish time, and nothing else of its meta */
	assert_int_equal(export_envelope("abc", "sub", 1700000000,
					 "{\"topic\":\"t\",\"item\":\"i-1\",\"published\":"
					 "\"2023-11-14T22:13:19Z\",\"other\":\"x\"}", "<a/>", 4,
					 &out, &len), 0);
	assert_string_equal(out, "{\"id\":\"abc\",\"source\":\"sub\",\"received\":"
			    "\"2023-11-14T22:13:20Z\",\"topic\":\"t\",\"item\":\"i-1\","
			    "\"published\":\"2023-11-14T22:13:19Z\",\"payload\":\"<a/>\"}");
	free(out);
}

/* What the exporter sends, the webhook input accepts: the same function checks it. */
static void test_sign(void **state)
{
	const unsigned char key[] = "0123456789abcdef";
	char sig[GG_HTTP_SIG_STANDARD_SIZE];
	const char body[] = "<IODEF-Document/>";

	(void)state;
	assert_int_equal(gg_http_sign_standard(key, 16, "id1", "1700000000", body,
					       sizeof(body) - 1, sig), 0);
	assert_int_equal(strlen(sig), 47);
	assert_memory_equal(sig, "v1,", 3);
	assert_int_equal(gg_http_sig_standard(key, 16, "id1", "1700000000", sig, body,
					      sizeof(body) - 1, 1700000010, 300), GG_HTTP_SIG_OK);
	assert_int_equal(gg_http_sig_standard(key, 16, "id2", "1700000000", sig, body,
					      sizeof(body) - 1, 1700000010, 300), GG_HTTP_SIG_BAD);
	assert_int_equal(gg_http_sign_standard(key, 16, "a.b", "1", body, 1, sig), -EINVAL);
}

/* format = rid-report: the partner's RID answer decides before the status; without one the
 * status rules stand. */
static struct gg_rid_answer answer(const char *status, const char *justification)
{
	struct gg_rid_answer a;

	memset(&a, 0, sizeof(a));
	snprintf(a.msg_type, sizeof(a.msg_type), "Acknowledgement");
	snprintf(a.status, sizeof(a.status), "%s", status);
	snprintf(a.justification, sizeof(a.justification), "%s", justification);
	return a;
}

static void test_rid_verdict(void **state)
{
	struct gg_rid_answer ok = answer("Approved", ""), pending = answer("Pending", "");
	struct gg_rid_answer cannot = answer("Denied", "CannotProcess");
	struct gg_rid_answer format = answer("Denied", "UnrecognizedFormat");
	struct gg_rid_answer other = answer("Denied", "Other");
	struct gg_rid_answer busy = answer("Denied", "SystemResource");
	struct gg_rid_answer auth = answer("Denied", "Authentication");
	char why[256];

	(void)state;
	assert_int_equal(export_rid_verdict(200, &ok, why, sizeof(why)), EXPORT_DONE);
	assert_int_equal(export_rid_verdict(200, &pending, why, sizeof(why)), EXPORT_DONE);
	assert_int_equal(export_rid_verdict(202, NULL, why, sizeof(why)), EXPORT_DONE);
	assert_int_equal(export_rid_verdict(200, NULL, why, sizeof(why)), EXPORT_DONE);
	/* gridgate's RID input: 200 and Denied, CannotProcess, for a quarantined document. */
	assert_int_equal(export_rid_verdict(200, &cannot, why, sizeof(why)), EXPORT_DEAD);
	assert_non_null(strstr(why, "CannotProcess"));
	assert_int_equal(export_rid_verdict(400, &format, why, sizeof(why)), EXPORT_DEAD);
	assert_non_null(strstr(why, "UnrecognizedFormat, HTTP 400"));
	/* Not (yet) a partner, disabled, a signature required, the partner busy: again later. */
	assert_int_equal(export_rid_verdict(403, &other, why, sizeof(why)), EXPORT_RETRY);
	assert_non_null(strstr(why, "denied the Report (Other, HTTP 403)"));
	assert_int_equal(export_rid_verdict(403, &auth, why, sizeof(why)), EXPORT_RETRY);
	assert_int_equal(export_rid_verdict(503, &busy, why, sizeof(why)), EXPORT_RETRY);
	/* No RID body: the HTTP rules. */
	assert_int_equal(export_rid_verdict(503, NULL, why, sizeof(why)), EXPORT_RETRY);
	assert_int_equal(export_rid_verdict(0, NULL, why, sizeof(why)), EXPORT_RETRY);
	assert_int_equal(export_rid_verdict(404, NULL, why, sizeof(why)), EXPORT_DEAD);
	assert_int_equal(export_rid_verdict(403, &ok, why, sizeof(why)), EXPORT_DEAD);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_restriction),
		cmocka_unit_test(test_rid_verdict),
		cmocka_unit_test(test_restriction_any_incident),
		cmocka_unit_test(test_severity),
		cmocka_unit_test(test_purpose_category),
		cmocka_unit_test(test_topics),
		cmocka_unit_test(test_unreadable),
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_retry_after),
		cmocka_unit_test(test_backoff),
		cmocka_unit_test(test_envelope),
		cmocka_unit_test(test_sign),
	};

	gg_xml_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
