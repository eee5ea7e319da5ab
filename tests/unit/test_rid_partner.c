/* test_rid_partner.c: a partner's rules from its section: the MsgType list, fingerprints as
 * operators paste them (colons, capitals), and which certificate identities match. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "in_rid/rid.h"

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_types),
		cmocka_unit_test(test_match),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
