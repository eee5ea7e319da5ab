/* test_xmlsafe.c: the hardened parser refuses DTDs (XXE, billion laughs), oversize and
 * over-deep documents, NUL bytes and elements with too many attributes, reports errors by
 * line, reads bytes in the encoding they are labelled with (RFC 7303: a BOM, then the label,
 * over the declaration), and serializes stanza-ready XML. */
#include "test_util.h"

#include <errno.h>
#include <pthread.h>
#include <time.h>

#include "iodef/xmlsafe.h"

static int parse_str(const char *s, const struct gg_xml_limits *lim, xmlDocPtr *doc,
		     struct gg_error *err)
{
	return gg_xml_parse(s, strlen(s), lim, doc, err);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_minimal_parses(void **state)
{
	xmlDocPtr doc = gg_test_parse_data("iodef/rfc7970/rfc7970-s7.1-minimal.xml");

	assert_int_equal(gg_iodef_version_of(doc), GG_IODEF_V2);
	assert_string_equal((const char *)xmlDocGetRootElement(doc)->name, "IODEF-Document");
	xmlFreeDoc(doc);
}

/* /etc/passwd through an external entity, through an external DTD and through a parameter
 * entity: all refused at the DOCTYPE, none of its content anywhere. */
static void test_xxe_refused(void **state)
{
	static const char *const attacks[] = {
		"<?xml version=\"1.0\"?>\n"
		"<!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>\n"
		"<r>&x;</r>",
		"<!DOCTYPE r SYSTEM \"file:///etc/passwd\"><r/>",
		"<!DOCTYPE r [<!ENTITY % p SYSTEM \"file:///etc/passwd\"> %p;]><r/>",
		"<!DOCTYPE r [<!ENTITY x SYSTEM \"http://127.0.0.1:9/x\">]><r>&x;</r>",
	};

	for (size_t i = 0; i < sizeof(attacks) / sizeof(attacks[0]); i++) {
		struct gg_error err = { 0 };
		xmlDocPtr doc = (xmlDocPtr)1;

		assert_int_equal(parse_str(attacks[i], NULL, &doc, &err), -EINVAL);
		assert_null(doc);
		assert_non_null(strstr(err.msg, "DOCTYPE"));
		assert_null(strstr(err.msg, "root:"));
		assert_int_equal(err.line, i == 0 ? 2 : 1);
	}
}

static void test_billion_laughs_refused_quickly(void **state)
{
	static const char lol[] =
		"<?xml version=\"1.0\"?>\n"
		"<!DOCTYPE lolz [\n"
		" <!ENTITY lol \"lol\">\n"
		" <!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n"
		" <!ENTITY lol2 \"&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;\">\n"
		" <!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">\n"
		" <!ENTITY lol4 \"&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;\">\n"
		" <!ENTITY lol5 \"&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;\">\n"
		" <!ENTITY lol6 \"&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;\">\n"
		" <!ENTITY lol7 \"&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;\">\n"
		" <!ENTITY lol8 \"&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;\">\n"
		" <!ENTITY lol9 \"&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;\">\n"
		"]>\n"
		"<lolz>&lol9;</lolz>\n";
	struct gg_error err = { 0 };
	xmlDocPtr doc = NULL;
	double t0 = now_s();

	for (int i = 0; i < 100; i++)
		assert_int_equal(parse_str(lol, NULL, &doc, &err), -EINVAL);
	/* 100 refusals well under a second: nothing was expanded. */
	assert_true(now_s() - t0 < 1.0);
	assert_null(doc);
	assert_non_null(strstr(err.msg, "DOCTYPE"));
}

static void test_byte_limit(void **state)
{
	struct gg_xml_limits lim = { .max_bytes = 64, .max_depth = 0 };
	struct gg_error err = { 0 };
	xmlDocPtr doc = NULL;
	char *big;
	size_t n = GG_XML_DEFAULT_MAX_BYTES + 1;

	assert_int_equal(parse_str("<a>0123456789012345678901234567890123456789012345678901234567"
				   "89</a>",
				   &lim, &doc, &err),
			 -EFBIG);
	assert_null(doc);
	assert_non_null(strstr(err.msg, "limit"));
	assert_int_equal(parse_str("<a>0123456789</a>", &lim, &doc, &err), 0);
	xmlFreeDoc(doc);

	/* Default limit: refused by size alone, the bytes are not even looked at. */
	big = malloc(n);
	assert_non_null(big);
	memset(big, ' ', n);
	assert_int_equal(gg_xml_parse(big, n, NULL, &doc, &err), -EFBIG);
	free(big);
}

static char *nested(int depth)
{
	size_t n = (size_t)depth * 7 + 1;
	char *s = malloc(n), *p = s;

	assert_non_null(s);
	for (int i = 0; i < depth; i++)
		p += sprintf(p, "<a>");
	for (int i = 0; i < depth; i++)
		p += sprintf(p, "</a>");
	return s;
}

static void test_depth_limit(void **state)
{
	struct gg_error err = { 0 };
	xmlDocPtr doc = NULL;
	char *ok = nested(GG_XML_DEFAULT_MAX_DEPTH);
	char *over = nested(GG_XML_DEFAULT_MAX_DEPTH + 1);
	char *deep = nested(1000);
	struct gg_xml_limits lim = { .max_bytes = 0, .max_depth = 3 };

	assert_int_equal(parse_str(ok, NULL, &doc, &err), 0);
	xmlFreeDoc(doc);
	assert_int_equal(parse_str(over, NULL, &doc, &err), -EINVAL);
	assert_null(doc);
	assert_non_null(strstr(err.msg, "deeper than the limit of 64"));
	assert_int_equal(parse_str(deep, NULL, &doc, &err), -EINVAL);
	assert_null(doc);
	assert_int_equal(err.line, 1);
	assert_non_null(strstr(err.msg, "deeper"));
	assert_int_equal(parse_str("<a>\n<b>\n<c>\n<d/></c></b></a>", &lim, &doc, &err), -EINVAL);
	assert_int_equal(err.line, 4);
	assert_non_null(strstr(err.msg, "element 'd'"));
	free(ok);
	free(over);
	free(deep);
}

/* An element of n attributes: plain ones, or namespace declarations. */
static char *wide(int n, int xmlns)
{
	size_t cap = (size_t)n * 40 + 64, len = 0;
	char *s = malloc(cap);

	assert_non_null(s);
	len += (size_t)snprintf(s, cap, "<r\n");
	for (int i = 0; i < n; i++)
		len += (size_t)snprintf(s + len, cap - len, xmlns ? " xmlns:n%d=\"urn:n%d\"" :
							" a%d=\"v%d\"", i, i);
	snprintf(s + len, cap - len, "/>");
	return s;
}

/* libxml2 2.9 checks an element's attributes pairwise: 30,000 namespace declarations took it
 * 6 s. The limit refuses them before the parse; quotes, text, comments and CDATA do not
 * count toward it. */
static void test_attribute_limit(void **state)
{
	struct gg_error err = { 0 };
	xmlDocPtr doc = NULL;
	char *ok = wide(GG_XML_DEFAULT_MAX_ATTRIBUTES, 0);
	char *over = wide(GG_XML_DEFAULT_MAX_ATTRIBUTES + 1, 0);
	char *flood = wide(30000, 1);
	struct gg_xml_limits lim = { .max_attributes = 2 };
	double t;

	assert_int_equal(parse_str(ok, NULL, &doc, &err), 0);
	xmlFreeDoc(doc);
	assert_int_equal(parse_str(over, NULL, &doc, &err), -EINVAL);
	assert_null(doc);
	assert_non_null(strstr(err.msg, "more than 256 attributes"));
	t = now_s();
	assert_int_equal(parse_str(flood, NULL, &doc, &err), -EINVAL);
	assert_true(now_s() - t < 0.5);
	assert_int_equal(parse_str("<a x='1' y=\"2\"/>", &lim, &doc, &err), 0);
	xmlFreeDoc(doc);
	assert_int_equal(parse_str("<a>\n<b x='1' y='2' z='3'/></a>", &lim, &doc, &err), -EINVAL);
	assert_int_equal(err.line, 2);
	assert_non_null(strstr(err.msg, "line 2"));
	/* '=' in values, text, comments, CDATA and processing instructions */
	assert_int_equal(parse_str("<?pi a=1 b=2 c=3?><a x='a=b=c=d' y=\"=>=\">k=v=w=z"
				   "<!-- <b p=1 q=2 r=3> --><![CDATA[<c p=1 q=2 r=3>]]></a>",
				   &lim, &doc, &err), 0);
	xmlFreeDoc(doc);
	free(ok);
	free(over);
	free(flood);
}

/* XML has no NUL: libxml2 reads one as the end of the input, so what followed it was never
 * parsed. In UTF-16 a NUL byte is half of most characters: only a NUL unit counts. */
static void test_nul_refused(void **state)
{
	static const char after_root[] = "<a/>\0<b>not closed";
	static const char in_text[] = "<a>x\0y</a>";
	/* "<a>x</a>" in UTF-16LE with a byte order mark, then the same with a NUL unit after */
	static const char utf16[] = "\xff\xfe<\0a\0>\0x\0<\0/\0a\0>\0";
	static const char utf16_nul[] = "\xff\xfe<\0a\0/\0>\0\0\0<\0";
	struct gg_error err = { 0 };
	xmlDocPtr doc = NULL;

	assert_int_equal(gg_xml_parse(after_root, sizeof(after_root) - 1, NULL, &doc, &err),
			 -EINVAL);
	assert_null(doc);
	assert_non_null(strstr(err.msg, "NUL byte at offset 4"));
	assert_int_equal(gg_xml_parse(in_text, sizeof(in_text) - 1, NULL, &doc, &err), -EINVAL);
	assert_int_equal(gg_xml_parse(utf16, sizeof(utf16) - 1, NULL, &doc, &err), 0);
	assert_string_equal((const char *)xmlDocGetRootElement(doc)->name, "a");
	xmlFreeDoc(doc);
	assert_int_equal(gg_xml_parse(utf16_nul, sizeof(utf16_nul) - 1, NULL, &doc, &err),
			 -EINVAL);
	assert_non_null(strstr(err.msg, "NUL byte at offset 10"));
}

static void test_truncated_reports_line(void **state)
{
	struct gg_error err = { 0 };
	xmlDocPtr doc = NULL;
	size_t len;
	char *buf = gg_test_read_data("iodef/invalid/10-truncated.xml", &len);

	assert_int_equal(gg_xml_parse(buf, len, NULL, &doc, &err), -EINVAL);
	assert_null(doc);
	assert_int_equal(err.line, 4);
	assert_non_null(strstr(err.msg, "line 4"));
	assert_non_null(strstr(err.msg, "Incident"));
	free(buf);
}

static void test_malformed_line_column(void **state)
{
	struct gg_error err = { 0 };
	xmlDocPtr doc = NULL;

	assert_int_equal(parse_str("<a>\n  <b></a>", NULL, &doc, &err), -EINVAL);
	assert_int_equal(err.line, 2);
	assert_true(err.column > 0);
	assert_non_null(strstr(err.msg, "line 2, column"));
	assert_int_equal(parse_str("", NULL, &doc, &err), -EINVAL);
	/* Undeclared prefix: libxml2 keeps wellFormed set, we still refuse. */
	assert_int_equal(parse_str("<x:a/>", NULL, &doc, &err), -EINVAL);
	assert_null(doc);
	/* An undefined entity without any DTD. */
	assert_int_equal(parse_str("<a>&nope;</a>", NULL, &doc, &err), -EINVAL);
	assert_null(doc);
	/* Invalid UTF-8. */
	assert_int_equal(parse_str("<a>\xff\xfe</a>", NULL, &doc, &err), -EINVAL);
	assert_null(doc);
}

static void test_serialize(void **state)
{
	static const char in[] =
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<!-- top comment -->\n"
		"<a xmlns=\"urn:x\" xml:lang=\"fr\"><!-- inner --><b>  caf\xc3\xa9 &amp; &lt;x&gt;  "
		"</b><?pi data?><c/></a>";
	struct gg_error err = { 0 };
	xmlDocPtr doc = NULL;
	char *out = NULL;
	size_t len = 0;

	assert_int_equal(parse_str(in, NULL, &doc, &err), 0);
	assert_int_equal(gg_xml_serialize(doc, &out, &len), 0);
	/* No declaration, no comment or PI (RFC 6120 restricted XML), whitespace kept, UTF-8
	 * kept as bytes rather than character references. */
	assert_string_equal(out, "<a xmlns=\"urn:x\" xml:lang=\"fr\"><b>  caf\xc3\xa9 &amp; "
				 "&lt;x&gt;  </b><c/></a>");
	assert_int_equal(len, strlen(out));
	/* The caller's document keeps its comments. */
	assert_int_equal(xmlDocGetRootElement(doc)->children->type, XML_COMMENT_NODE);
	free(out);
	xmlFreeDoc(doc);
}

static void test_serialize_roundtrip_corpus(void **state)
{
	xmlDocPtr doc = gg_test_parse_data("iodef/rfc7970/rfc7970-s7.1-minimal.xml");
	xmlDocPtr again = NULL;
	struct gg_error err = { 0 };
	char *out = NULL, *out2 = NULL;
	size_t len = 0, len2 = 0;

	assert_int_equal(gg_xml_serialize(doc, &out, &len), 0);
	assert_null(strstr(out, "<?xml"));
	assert_null(strstr(out, "<!--"));
	assert_int_equal(gg_xml_parse(out, len, NULL, &again, &err), 0);
	assert_int_equal(gg_xml_serialize(again, &out2, &len2), 0);
	assert_string_equal(out, out2);
	free(out);
	free(out2);
	xmlFreeDoc(doc);
	xmlFreeDoc(again);
}

/* Errors are collected per parser context: threads parsing different bad documents at the
 * same time each get their own first error. */
struct thread_case {
	int depth_line;
	int ok;
};

static void *parse_thread(void *arg)
{
	struct thread_case *tc = arg;
	char buf[256];

	tc->ok = 1;
	for (int i = 0; i < 300; i++) {
		struct gg_error err = { 0 };
		xmlDocPtr doc = NULL;
		int n = 0;

		for (int l = 1; l < tc->depth_line; l++)
			n += snprintf(buf + n, sizeof(buf) - (size_t)n, "\n");
		snprintf(buf + n, sizeof(buf) - (size_t)n, "<a><b></a>");
		if (gg_xml_parse(buf, strlen(buf), NULL, &doc, &err) != -EINVAL ||
		    err.line != tc->depth_line)
			tc->ok = 0;
		xmlFreeDoc(doc);
	}
	return NULL;
}

static void test_errors_are_per_thread(void **state)
{
	pthread_t t[4];
	struct thread_case tc[4];

	for (int i = 0; i < 4; i++) {
		tc[i].depth_line = i + 1;
		assert_int_equal(pthread_create(&t[i], NULL, parse_thread, &tc[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		assert_true(tc[i].ok);
	}
}

/* The root element's text as UTF-8, after a parse of s in encoding; NULL when refused. */
static char *text_as(const char *s, size_t len, const char *encoding, int *rc)
{
	struct gg_error err = { 0 };
	xmlDocPtr doc = NULL;
	xmlChar *t;
	char *out;

	*rc = gg_xml_parse_as(s, len, NULL, encoding, &doc, &err);
	if (*rc != 0)
		return NULL;
	t = xmlNodeGetContent(xmlDocGetRootElement(doc));
	out = strdup((const char *)t);
	xmlFree(t);
	xmlFreeDoc(doc);
	return out;
}

static void expect_text(const char *s, const char *encoding, const char *want)
{
	int rc;
	char *got = text_as(s, strlen(s), encoding, &rc);

	assert_int_equal(rc, 0);
	assert_string_equal(got, want);
	free(got);
}

static void test_encoding_label(void **state)
{
	static const char latin1[] = "<a>caf\xe9</a>";
	static const char utf8[] = "<a>caf\xc3\xa9</a>";
	struct gg_error err = { 0 };
	xmlDocPtr doc = NULL;
	int rc;

	(void)state;
	/* Latin-1 without a declaration: not UTF-8 unless labelled. */
	assert_int_equal(gg_xml_parse(latin1, strlen(latin1), NULL, &doc, &err), -EINVAL);
	assert_null(text_as(latin1, strlen(latin1), NULL, &rc));
	expect_text(latin1, "iso-8859-1", "caf\xc3\xa9");
	expect_text(latin1, "ISO-8859-1", "caf\xc3\xa9");
	/* The label is authoritative: UTF-8 bytes labelled Latin-1 are read as Latin-1, and a
	 * declaration saying otherwise is not followed. */
	expect_text(utf8, "iso-8859-1", "caf\xc3\x83\xc2\xa9");
	expect_text("<?xml version=\"1.0\" encoding=\"UTF-8\"?><a>caf\xe9</a>", "iso-8859-1",
		    "caf\xc3\xa9");
	expect_text("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><a>caf\xc3\xa9</a>", "utf-8",
		    "caf\xc3\xa9");
	/* Past the first line: libxml2 converts a document's start before it reads the
	 * declaration, and a declaration followed would switch the rest. */
	{
		char *text = NULL, *want = NULL;
		size_t n = 8000;

		assert_true(asprintf(&text, "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><a>%0*d"
				     "caf\xc3\xa9</a>", (int)n, 0) > 0);
		assert_true(asprintf(&want, "%0*dcaf\xc3\xa9", (int)n, 0) > 0);
		expect_text(text, "utf-8", want);
		free(text);
		free(want);
	}
	/* Without a label the declaration still decides. */
	expect_text("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><a>caf\xe9</a>", NULL,
		    "caf\xc3\xa9");
	/* A byte order mark decides over the label. */
	expect_text("\xef\xbb\xbf<a>caf\xc3\xa9</a>", "iso-8859-1", "caf\xc3\xa9");
	/* An encoding libxml2 does not know. */
	assert_int_equal(gg_xml_parse_as(latin1, strlen(latin1), NULL, "x-no-such-charset", &doc,
					 &err), -EINVAL);
	assert_non_null(strstr(err.msg, "x-no-such-charset"));
	assert_null(doc);
	assert_true(gg_xml_encoding_known("utf-8"));
	assert_true(gg_xml_encoding_known("iso-8859-1"));
	assert_true(gg_xml_encoding_known("windows-1252"));
	assert_false(gg_xml_encoding_known("x-no-such-charset"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_minimal_parses),
		cmocka_unit_test(test_xxe_refused),
		cmocka_unit_test(test_billion_laughs_refused_quickly),
		cmocka_unit_test(test_byte_limit),
		cmocka_unit_test(test_depth_limit),
		cmocka_unit_test(test_attribute_limit),
		cmocka_unit_test(test_nul_refused),
		cmocka_unit_test(test_truncated_reports_line),
		cmocka_unit_test(test_malformed_line_column),
		cmocka_unit_test(test_serialize),
		cmocka_unit_test(test_serialize_roundtrip_corpus),
		cmocka_unit_test(test_errors_are_per_thread),
		cmocka_unit_test(test_encoding_label),
	};

	gg_xml_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
