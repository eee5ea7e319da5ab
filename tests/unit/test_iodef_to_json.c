/* test_iodef_to_json.c: the IODEF-JSON converter (RFC 8727) on RFC 7970's two examples
 * compared with RFC 8727's JSON of them, on a document with every class RFC 8727 treats
 * specially, on every mapping vector's published document, and on what it must refuse. */
#include <errno.h>
#include <glob.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "iodef/iodef_to_json.h"
#include "test_util.h"

/* A topic reader's limits. */
static const struct gg_xml_limits reader_limits = { .max_bytes = 1 << 20, .max_depth = 64 };

/* The value at "Incident/0/EventData/0" (object keys and array indexes), NULL if none. */
static json_t *at(json_t *j, const char *path)
{
	char buf[256], *save = NULL, *seg;

	snprintf(buf, sizeof(buf), "%s", path);
	for (seg = strtok_r(buf, "/", &save); seg != NULL && j != NULL;
	     seg = strtok_r(NULL, "/", &save))
		j = json_is_array(j) ? json_array_get(j, strtoul(seg, NULL, 10))
				     : json_object_get(j, seg);
	return j;
}

static const char *str_at(json_t *j, const char *path)
{
	json_t *v = at(j, path);

	if (!json_is_string(v))
		fail_msg("%s: no string there", path);
	return json_string_value(v);
}

static json_t *convert_text(const char *xml, int expect, struct gg_error *err)
{
	xmlDocPtr doc = NULL;
	json_t *j = NULL;
	int r;

	assert_int_equal(gg_xml_parse(xml, strlen(xml), &reader_limits, &doc, err), 0);
	r = gg_iodef_to_json(doc, &j, err);
	xmlFreeDoc(doc);
	if (r != expect)
		fail_msg("converter returned %d, expected %d (%s)", r, expect, err->msg);
	return j;
}

static json_t *convert_file(const char *dir, const char *rel)
{
	struct gg_error err = { 0 };
	char *xml = gg_test_read_in(dir, rel, NULL);
	json_t *j = convert_text(xml, 0, &err);

	free(xml);
	return j;
}

static json_t *load_json(const char *rel)
{
	json_error_t e;
	char path[4096];
	json_t *j;

	snprintf(path, sizeof(path), "%s/iodef-json/%s", gg_test_dir("GG_TEST_DATA_DIR"), rel);
	if ((j = json_load_file(path, 0, &e)) == NULL)
		fail_msg("%s: %s", path, e.text);
	return j;
}

/* RFC 7970 7.1 is RFC 8727 Figure 4, exactly (as parsed JSON). */
static void test_rfc_minimal(void **state)
{
	json_t *ours = convert_file(gg_test_dir("GG_TEST_DATA_DIR"),
				    "iodef/rfc7970/rfc7970-s7.1-minimal.xml");
	json_t *rfc = load_json("rfc8727-fig4-minimal.json");

	(void)state;
	assert_true(json_equal(ours, rfc));
	json_decref(ours);
	json_decref(rfc);
}

/* RFC 7970 7.2 against RFC 8727 Figure 6: equal but where the figure departs from its own
 * rules (SOURCES.md lists each); every such place is checked to hold what we say it holds,
 * then our value is put in the figure and the two must be equal. */
static void test_rfc_campaign(void **state)
{
	static const struct {
		const char *path, *rfc, *ours;
	} diffs[] = {
		/* xs:string keeps its whitespace; the figure trims it. */
		{ "Incident/0/RelatedActivity/0/ThreatActor/0/ThreatActorID/0",
		  "TA-12-AGGRESSIVE-BUTTERFLY", "\n          TA-12-AGGRESSIVE-BUTTERFLY\n          " },
		{ "Incident/0/Description/0",
		  "Summarizes the Indicators of Compromise for the Orange Giraffe campaign of the "
		  "Aggressive Butterfly crime gang.",
		  "Summarizes the Indicators of Compromise\n        for the Orange Giraffe campaign "
		  "of the Aggressive\n        Butterfly crime gang.\n      " },
		/* The XML says "fqdn" (not in RFC 7970's list); the figure writes "domain-name". */
		{ "Incident/0/Indicator/0/Observable/BulkObservable/type", "domain-name", "fqdn" },
		/* The figure keeps the first of the four domains only. */
		{ "Incident/0/Indicator/0/Observable/BulkObservable/BulkObservableList",
		  "kj290023j09r34.example.com",
		  "\n              kj290023j09r34.example.com\n              09ijk23jfj0k8.example.net\n"
		  "              klknjwfjiowjefr923.example.org\n              oimireik79msd.example.org\n"
		  "            " },
	};
	json_t *ours = convert_file(gg_test_dir("GG_TEST_DATA_DIR"),
				    "iodef/rfc7970/rfc7970-s7.2-campaign-indicators.xml");
	json_t *rfc = load_json("rfc8727-fig6-campaign.json");

	(void)state;
	assert_false(json_equal(ours, rfc));
	for (size_t i = 0; i < sizeof(diffs) / sizeof(diffs[0]); i++) {
		json_t *parent;
		char ppath[256], *slash;

		assert_string_equal(str_at(rfc, diffs[i].path), diffs[i].rfc);
		assert_string_equal(str_at(ours, diffs[i].path), diffs[i].ours);
		snprintf(ppath, sizeof(ppath), "%s", diffs[i].path);
		slash = strrchr(ppath, '/');
		*slash = '\0';
		parent = at(rfc, ppath);
		if (json_is_array(parent))
			json_array_set_new(parent, strtoul(slash + 1, NULL, 10),
					   json_string(diffs[i].ours));
		else
			json_object_set_new(parent, slash + 1, json_string(diffs[i].ours));
	}
	assert_true(json_equal(ours, rfc));
	json_decref(ours);
	json_decref(rfc);
}

/* The classes RFC 8727 section 3.2 deletes or renames, the types, the XML it carries. */
static void test_every_element(void **state)
{
	json_t *j = convert_file(gg_test_dir("GG_TEST_DATA_DIR"), "iodef-json/every-element.xml");
	json_t *sys = at(j, "Incident/0/EventData/0/System"), *v;
	const char *b64;

	(void)state;
	assert_string_equal(str_at(j, "version"), "2.0");
	assert_string_equal(str_at(j, "lang"), "en");
	assert_null(at(j, "schemaLocation")); /* xsi: attributes describe, they are no data */
	/* Two Flows, one System each: one array on EventData (Flow deleted). */
	assert_int_equal(json_array_size(sys), 2);
	assert_string_equal(str_at(sys, "1/category"), "target");
	/* Record deleted: RecordData on EventData. */
	assert_string_equal(str_at(j, "Incident/0/EventData/0/RecordData/0/RecordPattern/0/value"),
			    "Failed password");
	/* IndicatorData deleted; ObservableReference is uid-ref, one or a list. */
	assert_int_equal(json_array_size(at(j, "Incident/0/Indicator")), 3);
	assert_string_equal(str_at(j, "Incident/0/Indicator/1/uid-ref"), "sys1");
	assert_string_equal(str_at(j, "Incident/0/Indicator/2/IndicatorExpression/uid-ref/1"),
			    "svc1");
	/* ApplicationHeader deleted. */
	assert_string_equal(str_at(sys, "0/Service/0/ApplicationHeaderField/1/meaning"), "Host");
	/* Impacts in document order under Impact. */
	assert_int_equal(json_array_size(at(j, "Incident/0/Assessment/0/Impact")), 6);
	assert_string_equal(str_at(j, "Incident/0/Assessment/0/Impact/4/IntendedImpact/type"),
			    "extortion");
	assert_string_equal(str_at(j, "Incident/0/Assessment/0/Impact/5/SystemImpact/type"),
			    "unknown");
	/* Types: integers, reals, a whitespace-collapsed integer, a 64-bit integer. */
	assert_int_equal(json_integer_value(at(sys, "0/Service/0/Port")), 80);
	assert_int_equal(json_integer_value(at(sys, "0/Node/Address/0/vlan-num")), 12);
	v = at(j, "Incident/0/EventData/0/RecordData/0/FileData/0/File/0/FileSize");
	assert_true(json_is_integer(v));
	assert_true(json_integer_value(v) == 123456789012LL);
	assert_true(json_is_real(at(sys, "0/Counter/0/value")));
	assert_true(json_real_value(at(sys, "0/Counter/0/value")) == 1500.0);
	assert_true(json_real_value(at(j, "Incident/0/Assessment/0/Impact/2/TimeImpact/value")) ==
		    2.5);
	assert_int_equal(json_integer_value(at(j, "Incident/0/Method/0/Reference/0/ReferenceName/"
						  "specIndex")), 1);
	/* ML_STRING: a string, or an object when it says its language. */
	assert_string_equal(str_at(j, "Incident/0/Description/0"), "plain");
	assert_string_equal(str_at(j, "Incident/0/Description/1/lang"), "de");
	assert_string_equal(str_at(j, "Incident/0/Description/1/translation-id"), "t1");
	/* Renamed keys. */
	assert_string_equal(str_at(sys, "0/Node/DomainData/0/NameServers/0/Server"), "ns1.example");
	assert_string_equal(str_at(j, "Incident/0/EventData/0/RecordData/0/"
				      "WindowsRegistryKeysModified/0/Key/0/KeyValue"), "dropper.exe");
	/* xmldsig: the algorithm; the digest without its whitespace; a Signature as base64 of
	 * standalone XML (its namespace declared on it). */
	assert_string_equal(str_at(j, "Incident/0/EventData/0/RecordData/0/FileData/0/File/0/"
				      "HashData/Hash/0/DigestMethod"),
			    "http://www.w3.org/2001/04/xmlenc#sha256");
	assert_string_equal(str_at(j, "Incident/0/EventData/0/RecordData/0/FileData/0/File/0/"
				      "HashData/Hash/0/DigestValue"),
			    "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
	b64 = str_at(sys, "0/Service/0/EmailData/Signature/0");
	/* "<ds:Signature xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\">" */
	assert_memory_equal(b64, "PGRzOlNpZ25hdHVyZSB4bWxuczpkcz0iaHR0cDovL3d3dy53My5vcmcvMjAwMC8w"
				 "OS94bWxkc2lnIyI+", 80);
	/* XML content of an ExtensionType, as XML text. */
	assert_string_equal(str_at(j, "Incident/0/AdditionalData/0/value"),
			    "<x:note xmlns:x=\"urn:example:note\">a &amp; b</x:note>");
	assert_string_equal(str_at(j, "Incident/0/AdditionalData/0/dtype"), "xml");
	/* sci: attributes and RawData as base64 of its XML. */
	assert_string_equal(str_at(j, "Incident/0/Method/0/AttackPattern/0/ContentID"), "CAPEC-112");
	assert_string_equal(str_at(j, "Incident/0/Method/0/AttackPattern/0/RawData/0"),
			    "PGNhcGVjIHhtbG5zPSJ1cm46ZXhhbXBsZTpjYXBlYyIgaWQ9IjExMiI+QnJ1dGUgRm9yY2U8L2NhcGVjPg==");
	/* Confidence carries no number in a valid 2.0 document: no "value". */
	assert_null(at(j, "Incident/0/Assessment/0/Confidence/value"));
	json_decref(j);
}

/* Every document the mappings publish (the vectors' expected outputs) converts, and keeps
 * its Incidents' ids. A vector may hold several documents, one after another. */
static void test_mapping_vectors(void **state)
{
	char pattern[4096];
	glob_t g;
	size_t docs = 0;

	(void)state;
	snprintf(pattern, sizeof(pattern), "%s/*/*.xml", gg_test_dir("GG_TEST_VECTOR_DIR"));
	assert_int_equal(glob(pattern, 0, NULL, &g), 0);
	assert_true(g.gl_pathc > 100);
	for (size_t i = 0; i < g.gl_pathc; i++) {
		char *all = gg_test_read_in("/", g.gl_pathv[i], NULL), *p = all;

		while (p != NULL && *p != '\0') {
			char *next = strstr(p + 1, "<?xml");
			struct gg_error err = { 0 };
			xmlDocPtr doc = NULL;
			json_t *j = NULL;
			size_t len = next != NULL ? (size_t)(next - p) : strlen(p);
			xmlNodePtr inc;
			size_t n = 0;

			if (gg_xml_parse(p, len, &reader_limits, &doc, &err) != 0)
				fail_msg("%s: %s", g.gl_pathv[i], err.msg);
			if (gg_iodef_to_json(doc, &j, &err) != 0)
				fail_msg("%s: %s", g.gl_pathv[i], err.msg);
			for (inc = xmlDocGetRootElement(doc)->children; inc != NULL; inc = inc->next) {
				xmlChar *id;

				if (inc->type != XML_ELEMENT_NODE ||
				    strcmp((const char *)inc->name, "Incident") != 0)
					continue;
				for (xmlNodePtr c = inc->children; c != NULL; c = c->next)
					if (c->type == XML_ELEMENT_NODE &&
					    strcmp((const char *)c->name, "IncidentID") == 0) {
						char path[64];

						id = xmlNodeGetContent(c);
						snprintf(path, sizeof(path), "Incident/%zu/IncidentID/id", n);
						assert_string_equal(str_at(j, path), (const char *)id);
						xmlFree(id);
					}
				n++;
			}
			assert_int_equal(json_array_size(at(j, "Incident")), n);
			json_decref(j);
			xmlFreeDoc(doc);
			docs++;
			p = next;
		}
		free(all);
	}
	globfree(&g);
	assert_true(docs >= g.gl_pathc);
}

#define DOC_HEAD \
	"<IODEF-Document version=\"2.00\" xmlns=\"urn:ietf:params:xml:ns:iodef-2.0\">" \
	"<Incident purpose=\"reporting\"><IncidentID name=\"x\">1</IncidentID>" \
	"<GenerationTime>2015-07-18T09:00:00Z</GenerationTime>"
#define DOC_TAIL \
	"<Contact type=\"organization\" role=\"creator\"/></Incident></IODEF-Document>"

/* What JSON cannot carry, and what is not IODEF 2.0: -EINVAL, saying what. */
static void test_refusals(void **state)
{
	static const struct {
		const char *xml, *msg;
	} cases[] = {
		{ DOC_HEAD "<Assessment><SystemImpact type=\"unknown\"/><Counter type=\"counter\" "
			   "unit=\"byte\">INF</Counter></Assessment>" DOC_TAIL, "no JSON number" },
		{ DOC_HEAD "<Assessment><SystemImpact type=\"unknown\"/><Counter type=\"counter\" "
			   "unit=\"byte\">NaN</Counter></Assessment>" DOC_TAIL, "no JSON number" },
		{ DOC_HEAD "<EventData><Flow><System><Node><Address>a</Address></Node><Service>"
			   "<Port>99999999999999999999</Port></Service></System></Flow></EventData>"
			   DOC_TAIL, "no integer" },
		{ DOC_HEAD "<Bogus/>" DOC_TAIL, "<Bogus> in Incident" },
		{ DOC_HEAD "<EventData><Description>x</Description><Flow><System><Node/>"
			   "<Bogus xmlns=\"urn:example\"/></System></Flow></EventData>" DOC_TAIL,
		  "<Bogus> in System" },
		{ DOC_HEAD "<IndicatorData><Indicator><IndicatorID name=\"x\" version=\"1\">i"
			   "</IndicatorID><IndicatorExpression><ObservableReference uid-ref=\"a\"/>"
			   "<Confidence rating=\"low\"/><ObservableReference uid-ref=\"b\"/>"
			   "<Confidence rating=\"high\"/></IndicatorExpression></Indicator>"
			   "</IndicatorData>" DOC_TAIL, "a second Confidence" },
		{ DOC_HEAD "stray text" DOC_TAIL, "text inside Incident" },
		{ DOC_HEAD "<Description bogus=\"1\">x</Description>" DOC_TAIL, "attribute bogus" },
		{ "<IODEF-Document xmlns=\"urn:ietf:params:xml:ns:iodef-1.0\"/>", "not an IODEF 2.0" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct gg_error err = { 0 };
		json_t *j = convert_text(cases[i].xml, -EINVAL, &err);

		assert_null(j);
		if (strstr(err.msg, cases[i].msg) == NULL)
			fail_msg("case %zu: \"%s\" does not say \"%s\"", i, err.msg, cases[i].msg);
	}
}

/* The text form: compact, numbers as written (15 significant digits), xml:lang as lang. */
static void test_text(void **state)
{
	static const char xml[] =
		DOC_HEAD "<Assessment><MonetaryImpact>0.85</MonetaryImpact><Counter "
		"type=\"counter\" unit=\"byte\">3</Counter></Assessment>" DOC_TAIL;
	struct gg_error err = { 0 };
	char *out = NULL;
	size_t len = 0;

	(void)state;
	assert_int_equal(gg_iodef_to_json_text(xml, strlen(xml), NULL, &out, &len, &err), 0);
	assert_int_equal(len, strlen(out));
	assert_non_null(strstr(out, "\"Impact\":[{\"MonetaryImpact\":{\"value\":0.85}}]"));
	assert_non_null(strstr(out, "\"value\":3.0"));
	assert_null(strchr(out, '\n'));
	free(out);
	assert_int_equal(gg_iodef_to_json_text("<a", 2, NULL, &out, &len, &err), -EINVAL);
	assert_null(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc_minimal),     cmocka_unit_test(test_rfc_campaign),
		cmocka_unit_test(test_every_element),   cmocka_unit_test(test_mapping_vectors),
		cmocka_unit_test(test_refusals),        cmocka_unit_test(test_text),
	};

	gg_xml_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
