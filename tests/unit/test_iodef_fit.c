/* test_iodef_fit.c: a built document over max_document_size is cut to fit, stays valid, and
 * says what was cut (length and SHA-256 of the whole record); one that cannot fit is refused. */
#include "test_util.h"

#include <errno.h>

#include <openssl/evp.h>

#include "iodef/iodef_fit.h"
#include "formats/syslog_parse.h"

static const struct gg_iodef_defaults defaults = { .csirt_name = "csirt.example.org" };
static const struct gg_fit_limits limits = {
	.max_bytes = 240 * 1024,
	.max_record_item = 32 * 1024,
	.max_text = GG_FIT_MAX_TEXT,
};

#define ID "0123456789abcdef0123456789abcdef"

/* The generic incident of one syslog message of len bytes: header, then body. */
static xmlDocPtr generic(const char *raw, size_t len)
{
	static struct gg_syslog_msg msg;
	static char scratch[4096];
	/* Bigger than the syslog input allows: the fitter must not rely on the input's bound. */
	static const struct gg_syslog_limits big = { .max_size = 1 << 20, .max_sd_elements = 8,
						      .max_sd_params = 8 };
	struct gg_error err = { 0 };
	xmlDocPtr doc = NULL;

	if (gg_syslog_parse(raw, len, &big, scratch, sizeof(scratch), &msg, &err) != 0)
		fail_msg("parse: %s", err.msg);
	if (gg_iodef_from_syslog(&msg, raw, len, ID, &defaults, 1700000000, &doc, &err) != 0)
		fail_msg("build: %s", err.msg);
	return doc;
}

/* "<13>Dec  6 10:00:00 host app: " then n copies of fill (fill_len bytes each). */
static char *message(const char *fill, size_t fill_len, size_t n, size_t *len)
{
	static const char head[] = "<13>Dec  6 10:00:00 host app: ";
	char *s = malloc(sizeof(head) + fill_len * n);

	assert_non_null(s);
	memcpy(s, head, sizeof(head) - 1);
	for (size_t i = 0; i < n; i++)
		memcpy(s + sizeof(head) - 1 + i * fill_len, fill, fill_len);
	*len = sizeof(head) - 1 + fill_len * n;
	s[*len] = '\0';
	return s;
}

static void sha256_hex(const void *data, size_t len, char out[65])
{
	unsigned char md[32];
	unsigned int md_len;

	EVP_Digest(data, len, md, &md_len, EVP_sha256(), NULL);
	for (unsigned int i = 0; i < md_len; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

/* Fits doc, requires it cut and valid, and checks the record's length and hash notes. */
static char *fit_cut_valid(struct gg_test_schema *f, xmlDocPtr doc, const char *raw, size_t len)
{
	struct gg_error err = { 0 };
	char *text = NULL, hex[65], want_len[32];
	size_t text_len = 0;
	int cut = -1;

	if (gg_iodef_fit(doc, &limits, &text, &text_len, &cut, &err) != 0)
		fail_msg("fit: %s", err.msg);
	assert_int_equal(cut, 1);
	assert_true(text_len <= limits.max_bytes);
	assert_int_equal(strlen(text), text_len);
	if (gg_validator_check(f->v, doc, &err) != 0)
		fail_msg("cut document not valid: %s", err.msg);
	sha256_hex(raw, len, hex);
	snprintf(want_len, sizeof(want_len), "%zu", len);
	gg_assert_xpath(doc, "//i:RecordData/i:AdditionalData[@meaning='record-original-length']",
			want_len);
	gg_assert_xpath(doc,
			"//i:RecordData/i:AdditionalData[@meaning='record-original-length']/@dtype",
			"integer");
	gg_assert_xpath(doc, "//i:RecordData/i:AdditionalData[@meaning='record-original-sha256']",
			hex);
	assert_int_equal(gg_test_xpath_count(doc, "//i:RecordItem[starts-with(@meaning, "
					     "'record cut to its first ')]"), 1);
	return text;
}

/* The report's case: 60,000 '<' escape to 240 KB, carried twice: 480 KB. */
static void test_escaped_text_cut_once(void **state)
{
	struct gg_test_schema *f = *state;
	size_t len;
	char *raw = message("<", 1, 60000, &len);
	xmlDocPtr doc = generic(raw, len);
	char *text = NULL, *item, *desc;
	size_t full_len = 0;

	assert_int_equal(gg_xml_serialize(doc, &text, &full_len), 0);
	assert_true(full_len > 480000);
	free(text);
	text = fit_cut_valid(f, doc, raw, len);
	item = gg_test_xpath(doc, "//i:RecordItem");
	assert_int_equal(strlen(item), limits.max_record_item);
	assert_memory_equal(item, raw, limits.max_record_item);
	desc = gg_test_xpath(doc, "//i:Incident/i:Description");
	assert_true(strlen(desc) < limits.max_text + 64);
	assert_non_null(strstr(desc, "[cut: 60000 bytes in all]"));
	xmlFree(desc);
	xmlFree(item);
	free(text);
	xmlFreeDoc(doc);
	free(raw);
}

/* Bytes that are not XML text travel in base64: the cut keeps a prefix of the bytes, not of
 * their encoding, and hashes the bytes. */
static void test_base64_record_cut_on_bytes(void **state)
{
	struct gg_test_schema *f = *state;
	size_t len, got_len;
	char *raw = message("\x01\xff", 2, 100000, &len);
	xmlDocPtr doc = generic(raw, len);
	char *text = fit_cut_valid(f, doc, raw, len);
	char *item = gg_test_xpath(doc, "//i:RecordItem");
	unsigned char *bytes = malloc(strlen(item));

	gg_assert_xpath(doc, "//i:RecordItem/@dtype", "bytes");
	assert_non_null(bytes);
	got_len = (size_t)EVP_DecodeBlock(bytes, (const unsigned char *)item, (int)strlen(item));
	/* EVP_DecodeBlock counts padding as bytes; 32768 is not a multiple of 3. */
	assert_int_equal(got_len - (limits.max_record_item % 3 ? 3 - limits.max_record_item % 3 : 0),
			 limits.max_record_item);
	assert_memory_equal(bytes, raw, limits.max_record_item);
	free(bytes);
	xmlFree(item);
	free(text);
	xmlFreeDoc(doc);
	free(raw);
}

/* A cut never splits a character: 2-byte characters cut at an odd limit lose the half. */
static void test_cut_on_character_boundary(void **state)
{
	struct gg_test_schema *f = *state;
	size_t len;
	char *raw = message("\xc3\xa9", 2, 130000, &len);
	xmlDocPtr doc = generic(raw, len);
	char *text = fit_cut_valid(f, doc, raw, len);
	char *item = gg_test_xpath(doc, "//i:RecordItem");
	size_t n = strlen(item);

	assert_true(n <= limits.max_record_item);
	assert_true(n >= limits.max_record_item - 1);
	/* the header is 30 bytes (even), so the characters start on even offsets */
	assert_int_equal(n % 2, 0);
	assert_memory_equal(item, raw, n);
	xmlFree(item);
	free(text);
	xmlFreeDoc(doc);
	free(raw);
}

static void test_small_document_untouched(void **state)
{
	static const char raw[] = "<13>Dec  6 10:00:00 host app: a short one";
	struct gg_error err = { 0 };
	xmlDocPtr doc = generic(raw, sizeof(raw) - 1);
	char *fitted = NULL, *plain = NULL;
	size_t fitted_len, plain_len;
	int cut = -1;

	(void)state;
	assert_int_equal(gg_xml_serialize(doc, &plain, &plain_len), 0);
	assert_int_equal(gg_iodef_fit(doc, &limits, &fitted, &fitted_len, &cut, &err), 0);
	assert_int_equal(cut, 0);
	assert_int_equal(fitted_len, plain_len);
	assert_string_equal(fitted, plain);
	free(fitted);
	free(plain);
	xmlFreeDoc(doc);
}

/* Nothing to cut, still too big: refused with both sizes, nothing returned. */
static void test_cannot_fit(void **state)
{
	static const char raw[] = "<13>Dec  6 10:00:00 host app: a short one";
	struct gg_fit_limits tiny = limits;
	struct gg_error err = { 0 };
	xmlDocPtr doc = generic(raw, sizeof(raw) - 1);
	char *text = (char *)"unset";
	size_t len = 0;
	int cut = -1;

	(void)state;
	tiny.max_bytes = 300;
	assert_int_equal(gg_iodef_fit(doc, &tiny, &text, &len, &cut, &err), -E2BIG);
	assert_null(text);
	assert_non_null(strstr(err.msg, "over max_document_size 300"));
	xmlFreeDoc(doc);
}

/* Cut, still too big (the limit leaves no room even for the cut record): refused. */
static void test_cut_still_too_big(void **state)
{
	struct gg_fit_limits tight = limits;
	struct gg_error err = { 0 };
	size_t len;
	char *raw = message("x", 1, 50000, &len);
	xmlDocPtr doc = generic(raw, len);
	char *text = NULL;
	size_t text_len = 0;
	int cut = -1;

	(void)state;
	tight.max_bytes = 20000;
	tight.max_record_item = 30000;
	assert_int_equal(gg_iodef_fit(doc, &tight, &text, &text_len, &cut, &err), -E2BIG);
	assert_null(text);
	assert_non_null(strstr(err.msg, "after cutting"));
	xmlFreeDoc(doc);
	free(raw);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escaped_text_cut_once),
		cmocka_unit_test(test_base64_record_cut_on_bytes),
		cmocka_unit_test(test_cut_on_character_boundary),
		cmocka_unit_test(test_small_document_untouched),
		cmocka_unit_test(test_cannot_fit),
		cmocka_unit_test(test_cut_still_too_big),
	};

	gg_xml_init();
	return cmocka_run_group_tests(tests, gg_test_schema_setup, gg_test_schema_teardown);
}
