/* test_rid_signature.c: a RID message signed at run time by the xmlsec1 command with a key
 * openssl made a moment before verifies; tampered, unsigned, signed by a key the partner is
 * not trusted by, or signed only in part (RFC 6545's own example) does not. */
#include "test_util.h"

#include <errno.h>
#include <unistd.h>

#include "rid/rid_envelope.h"
#include "rid/rid_signature.h"

struct fixture {
	char dir[64];
	struct gg_schema *iodef2;
	struct gg_validator *v;
	struct gg_rid_schema *rid;
	struct gg_rid_checker *c;
	struct gg_rid_trust *trust;  /* the signer's own certificate */
	struct gg_rid_trust *other;  /* a certificate that signed nothing */
	char *signed_text;
	size_t signed_len;
};

static const char *const scratch[] = { "key.pem", "cert.pem", "key2.pem", "cert2.pem",
				       "signed.xml", "log" };

static int run(const char *cmd)
{
	int rc = system(cmd);

	if (rc != 0)
		print_error("setup: '%s' failed (%d); openssl and xmlsec1 come with scripts/deps\n",
			    cmd, rc);
	return rc == 0 ? 0 : -1;
}

/* Keys and certificates are made here, never committed. */
static int make_signed(struct fixture *f)
{
	char cmd[2048];
	const char *data = gg_test_dir("GG_TEST_DATA_DIR");

	for (int i = 1; i <= 2; i++) {
		snprintf(cmd, sizeof(cmd),
			 "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=partner-%d "
			 "-keyout %s/key%s.pem -out %s/cert%s.pem >%s/log 2>&1",
			 i, f->dir, i == 1 ? "" : "2", f->dir, i == 1 ? "" : "2", f->dir);
		if (run(cmd) != 0)
			return -1;
	}
	snprintf(cmd, sizeof(cmd),
		 "xmlsec1 --sign --privkey-pem %s/key.pem,%s/cert.pem --output %s/signed.xml "
		 "%s/rid/sign/report-template.xml >%s/log 2>&1",
		 f->dir, f->dir, f->dir, data, f->dir);
	return run(cmd);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct gg_error err = { 0 };
	char path[128];

	if (f == NULL)
		return -1;
	*state = f;
	snprintf(f->dir, sizeof(f->dir), "/tmp/gg-rid-sig-XXXXXX");
	if (mkdtemp(f->dir) == NULL || make_signed(f) != 0)
		return -1;
	f->signed_text = gg_test_read_in(f->dir, "signed.xml", &f->signed_len);
	if (gg_test_validator_open(&f->iodef2, &f->v) != 0)
		return -1;
	if (gg_rid_signature_init(&err) != 0 ||
	    gg_rid_schema_load(gg_test_schema_dir(), &f->rid, &err) != 0 ||
	    gg_rid_checker_new(f->rid, f->iodef2, &f->c, &err) != 0)
		goto fail;
	snprintf(path, sizeof(path), "%s/cert.pem", f->dir);
	if (gg_rid_trust_load(path, &f->trust, &err) != 0)
		goto fail;
	snprintf(path, sizeof(path), "%s/cert2.pem", f->dir);
	if (gg_rid_trust_load(path, &f->other, &err) != 0)
		goto fail;
	return 0;
fail:
	print_error("setup: %s\n", err.msg);
	return -1;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char path[128];

	if (f == NULL)
		return 0;
	gg_rid_trust_free(f->trust);
	gg_rid_trust_free(f->other);
	gg_rid_checker_free(f->c);
	gg_rid_schema_free(f->rid);
	gg_test_validator_close(f->iodef2, f->v);
	free(f->signed_text);
	for (size_t i = 0; i < sizeof(scratch) / sizeof(scratch[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", f->dir, scratch[i]);
		unlink(path);
	}
	if (f->dir[0] != '\0')
		rmdir(f->dir);
	free(f);
	return 0;
}

/* The message goes through the envelope parser first, as the input does: a signed message
 * is still a valid RID message, and the signature is checked on the tree as received. */
static enum gg_rid_sig check(struct fixture *f, const char *text, size_t len,
			     struct gg_rid_trust *trust, struct gg_error *why)
{
	struct gg_error err = { 0 };
	struct gg_rid_message *m = NULL;
	enum gg_rid_sig res;

	if (gg_rid_parse(f->c, text, len, NULL, "partner-1", &m, &err) != 0)
		fail_msg("%s", err.msg);
	res = gg_rid_signature_verify(trust, m->doc, why);
	gg_rid_message_free(m);
	return res;
}

static void test_good(void **state)
{
	struct fixture *f = *state;
	struct gg_error why = { 0 };

	assert_int_equal(check(f, f->signed_text, f->signed_len, f->trust, &why),
			 GG_RID_SIG_VALID);
}

static void test_tampered(void **state)
{
	struct fixture *f = *state;
	struct gg_error why = { 0 };
	char *copy = strdup(f->signed_text);
	char *at = strstr(copy, "192.0.2.130");

	assert_non_null(at);
	at[10] = '1';
	assert_int_equal(check(f, copy, f->signed_len, f->trust, &why), GG_RID_SIG_INVALID);
	assert_non_null(strstr(why.msg, "signature 1: the digest of the signed message does not "
					"match"));
	free(copy);
}

static void test_tampered_value(void **state)
{
	struct fixture *f = *state;
	struct gg_error why = { 0 };
	char *copy = strdup(f->signed_text);
	char *at = strstr(copy, "<ds:SignatureValue>");

	assert_non_null(at);
	at += strlen("<ds:SignatureValue>");
	at[5] = at[5] == 'A' ? 'B' : 'A';
	assert_int_equal(check(f, copy, f->signed_len, f->trust, &why), GG_RID_SIG_INVALID);
	assert_non_null(strstr(why.msg, "SignatureValue does not verify"));
	free(copy);
}

static void test_absent(void **state)
{
	struct fixture *f = *state;
	struct gg_error why = { 0 };
	size_t len;
	char *text = gg_test_read_data("rid/rfc6545/rfc6545-s7.3.1-Report.xml", &len);

	assert_int_equal(check(f, text, len, f->trust, &why), GG_RID_SIG_ABSENT);
	free(text);
}

static void test_wrong_key(void **state)
{
	struct fixture *f = *state;
	struct gg_error why = { 0 };

	assert_int_equal(check(f, f->signed_text, f->signed_len, f->other, &why),
			 GG_RID_SIG_INVALID);
	assert_non_null(strstr(why.msg, "signature 1: cannot be verified"));
}

/* RFC 6545 section 7.1.1 signs one RecordItem through an XPath filter with a bare RSA
 * KeyValue: neither covers the message nor names a trusted signer. */
static void test_rfc_example_partial(void **state)
{
	struct fixture *f = *state;
	struct gg_error why = { 0 };
	size_t len;
	char *text = gg_test_read_data("rid/rfc6545/rfc6545-s7.1.1-TraceRequest.xml", &len);

	assert_int_equal(check(f, text, len, f->trust, &why), GG_RID_SIG_INVALID);
	assert_non_null(strstr(why.msg, "signature 1: cannot be verified"));
	free(text);
}

static void test_bad_trust_file(void **state)
{
	struct gg_error err = { 0 };
	struct gg_rid_trust *t = NULL;
	char path[4096];

	snprintf(path, sizeof(path), "%s/rid/SOURCES.md", gg_test_dir("GG_TEST_DATA_DIR"));
	assert_int_equal(gg_rid_trust_load(path, &t, &err), -EINVAL);
	assert_null(t);
	assert_non_null(strstr(err.msg, "cannot load certificates from"));
	assert_int_equal(gg_rid_trust_load("/nonexistent.pem", &t, &err), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_tampered),
		cmocka_unit_test(test_tampered_value),
		cmocka_unit_test(test_absent),
		cmocka_unit_test(test_wrong_key),
		cmocka_unit_test(test_rfc_example_partial),
		cmocka_unit_test(test_bad_trust_file),
	};

	gg_xml_init();
	return cmocka_run_group_tests(tests, setup, teardown);
}
