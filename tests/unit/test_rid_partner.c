/* test_rid_partner.c: a partner's rules from its section: the MsgType list, fingerprints as
 * operators paste them (colons, capitals), which certificate identities match, and a
 * signature_trust file that does not load refused with the section (check-config, start and
 * SIGHUP alike), a readable one taken. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "in_rid/in_rid.h"
#include "in_rid/rid.h"
#include "test_dir.h"

#define FP "6e504553dc1713c4fe71023324897d805419f223e985900d156c87c1544ae0d5"

static void test_types(void **state)
{
	struct gg_error err;
	unsigned t;

	(void)state;
	assert_int_equal(rid_types_parse("Report, Query\tResult", &t, &err), 0);
	assert_int_equal(t, 1u << GG_RID_REPORT | 1u << GG_RID_QUERY | 1u << GG_RID_RESULT);
	assert_int_equal(rid_types_parse("Report Reports", &t, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "'Reports'"));
	assert_int_equal(rid_types_parse(" , ", &t, &err), -EINVAL);
}

static void test_match(void **state)
{
	struct rid_partner_conf c = { .rid = "rid", .message_types = "Report", .enabled = 1,
				      .cert_sha256 = "6E:50:45:53:DC:17:13:C4:FE:71:02:33:24:89:7D:80:"
						     "54:19:F2:23:E9:85:90:0D:15:6C:87:C1:54:4A:E0:D5",
				      .subject = "CN=gamma,O=Partner gamma",
				      .issuer = "CN=CA" };
	struct gg_http_cert_identity id = { .subject = "CN=other", .issuer = "CN=CA",
					    .sha256 = FP, .spki_sha256 = "00" };
	struct rid_rules *r;
	struct gg_error err;

	(void)state;
	assert_int_equal(rid_rules_new(&c, &r, &err), 0);
	assert_string_equal(r->cert_sha256, FP);
	assert_true(rid_rules_match(r, &id, RID_BY_CERT));
	assert_false(rid_rules_match(r, &id, RID_BY_SPKI));
	assert_false(rid_rules_match(r, &id, RID_BY_SUBJECT));
	/* Subject and issuer together, or not at all. */
	strcpy(id.sha256, "ff");
	assert_false(rid_rules_match(r, &id, RID_BY_CERT));
	strcpy(id.subject, "CN=gamma,O=Partner gamma");
	assert_true(rid_rules_match(r, &id, RID_BY_SUBJECT));
	assert_false(rid_rules_match(r, &id, RID_BY_CERT));
	strcpy(id.issuer, "CN=another CA");
	assert_false(rid_rules_match(r, &id, RID_BY_SUBJECT));
	rid_rules_free(r);
	c.cert_sha256 = "6E:50";
	assert_int_equal(rid_rules_new(&c, &r, &err), -EINVAL);
	assert_null(r);
}

/* The plugin's check, as the configuration loader calls it: 0, or <0 with the key. */
static int check(const struct rid_partner_conf *c, const char **key, struct gg_error *err)
{
	*key = NULL;
	return gg_in_rid_partner.check(c, key, err);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static void test_trust_must_load(void **state)
{
	struct rid_partner_conf c = { .rid = "rid", .message_types = "Report", .enabled = 1,
				      .cert_sha256 = FP, .require_signature = 1 };
	struct gg_test_dir tmp;
	char path[192], cmd[512];
	struct gg_error err;
	const char *key;

	(void)state;
	assert_int_equal(gg_test_dir_make(&tmp, "rid-trust"), 0);
	snprintf(path, sizeof(path), "%s/missing.pem", tmp.dir);
	c.signature_trust = path;
	assert_true(check(&c, &key, &err) < 0);
	assert_string_equal(key, "signature_trust");
	assert_non_null(strstr(err.msg, "cannot read: "));

	snprintf(path, sizeof(path), "%s/junk.pem", tmp.dir);
	write_file(path, "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n"
		   "-----END CERTIFICATE-----\n");
	assert_true(check(&c, &key, &err) < 0);
	assert_string_equal(key, "signature_trust");
	assert_non_null(strstr(err.msg, "junk.pem"));

	/* A certificate made here (never committed) loads, and the section passes. */
	snprintf(path, sizeof(path), "%s/trust.pem", tmp.dir);
	snprintf(cmd, sizeof(cmd), "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 "
		 "-nodes -days 2 -subj /CN=signer -keyout %s/key.pem -out %s >/dev/null 2>&1",
		 tmp.dir, path);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(check(&c, &key, &err), 0);
	assert_int_equal(gg_test_dir_remove(&tmp), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_types),
		cmocka_unit_test(test_match),
		cmocka_unit_test(test_trust_must_load),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
