/* test_grid_classify.c: publish errors from the controller: what is retried (the condition can
 * pass) and what is refused for good (the payload itself is bad). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "grid/grid.h"

static enum gg_grid_verdict classify(const char *text, char *why, size_t why_len)
{
	xmpp_ctx_t *ctx = xmpp_ctx_new(NULL, NULL);
	xmpp_stanza_t *st = xmpp_stanza_new_from_string(ctx, text);
	enum gg_grid_verdict v;

	assert_non_null(st);
	v = gg_grid_classify_error(st, why, why_len);
	xmpp_stanza_release(st);
	xmpp_ctx_free(ctx);
	return v;
}

#define ERR(type, cond, extra)                                                            \
	"<iq type='error' id='gg-p-1'><error type='" type "'><" cond                       \
	" xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>" extra "</error></iq>"

static void test_refused(void **state)
{
	char why[256];

	assert_int_equal(classify(ERR("modify", "bad-request", ""), why, sizeof(why)),
			 GG_GRID_REFUSED);
	assert_non_null(strstr(why, "bad-request (modify)"));
	assert_int_equal(classify(ERR("modify", "not-acceptable",
				      "<text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>too big"
				      "</text>"), why, sizeof(why)),
			 GG_GRID_REFUSED);
	assert_non_null(strstr(why, "too big"));
	/* The pubsub application condition decides over the general one. */
	assert_int_equal(classify(ERR("modify", "not-acceptable",
				      "<payload-too-big xmlns='http://jabber.org/protocol/"
				      "pubsub#errors'/>"), why, sizeof(why)),
			 GG_GRID_REFUSED);
	assert_non_null(strstr(why, "payload-too-big"));
}

static void test_retried(void **state)
{
	char why[256];

	/* type='wait' always means later, whatever the condition. */
	assert_int_equal(classify(ERR("wait", "resource-constraint", ""), why, sizeof(why)),
			 GG_GRID_RETRY);
	assert_int_equal(classify(ERR("wait", "not-acceptable", ""), why, sizeof(why)),
			 GG_GRID_RETRY);
	assert_int_equal(classify(ERR("cancel", "internal-server-error", ""), why, sizeof(why)),
			 GG_GRID_RETRY);
	/* An operator can fix permissions: never drop data over them. */
	assert_int_equal(classify(ERR("auth", "forbidden", ""), why, sizeof(why)), GG_GRID_RETRY);
	/* The node is gone: kept, and the topic prepared again before the retry. */
	assert_int_equal(classify(ERR("cancel", "item-not-found", ""), why, sizeof(why)),
			 GG_GRID_TOPIC_GONE);
	assert_int_equal(classify(ERR("wait", "item-not-found", ""), why, sizeof(why)),
			 GG_GRID_RETRY);
	/* No error element at all: unknown, so kept. */
	assert_int_equal(classify("<iq type='error' id='x'/>", why, sizeof(why)), GG_GRID_RETRY);
	assert_non_null(strstr(why, "undefined-condition"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_retried),
	};
	int r;

	xmpp_initialize();
	r = cmocka_run_group_tests(tests, NULL, NULL);
	xmpp_shutdown();
	return r;
}
