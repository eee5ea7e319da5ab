/* test_grid_session.c: what a stream error that ends an established session says about what
 * was sent (RFC 6120 4.9.3): a condition about our stanza charges the items in flight, the
 * server's own reason does not, and an unknown or missing condition counts as the transport. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "grid/grid_session.h"

static void test_stanza_conditions(void **state)
{
	static const char *const stanza[] = { "policy-violation", "not-well-formed",
					      "xml-not-well-formed", "restricted-xml",
					      "invalid-xml", "bad-format",
					      "unsupported-stanza-type" };

	(void)state;
	for (size_t i = 0; i < sizeof(stanza) / sizeof(stanza[0]); i++)
		if (gg_grid_stream_condition_kind(stanza[i]) != GG_DROP_STANZA)
			fail_msg("%s: not GG_DROP_STANZA", stanza[i]);
}

static void test_server_conditions(void **state)
{
	static const char *const server[] = { "system-shutdown", "see-other-host", "conflict",
					      "connection-timeout", "reset", "host-unknown",
					      "resource-constraint", "not-authorized" };

	(void)state;
	for (size_t i = 0; i < sizeof(server) / sizeof(server[0]); i++)
		if (gg_grid_stream_condition_kind(server[i]) != GG_DROP_SERVER)
			fail_msg("%s: not GG_DROP_SERVER", server[i]);
}

static void test_transport_and_unknown(void **state)
{
	(void)state;
	/* A module that crashed on an item looks like this: charged as the transport. */
	assert_int_equal(gg_grid_stream_condition_kind("internal-server-error"), GG_DROP_TRANSPORT);
	assert_int_equal(gg_grid_stream_condition_kind("undefined-condition"), GG_DROP_TRANSPORT);
	assert_int_equal(gg_grid_stream_condition_kind("no-such-condition"), GG_DROP_TRANSPORT);
	assert_int_equal(gg_grid_stream_condition_kind("Policy-Violation"), GG_DROP_TRANSPORT);
	assert_int_equal(gg_grid_stream_condition_kind(""), GG_DROP_TRANSPORT);
	assert_int_equal(gg_grid_stream_condition_kind(NULL), GG_DROP_TRANSPORT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stanza_conditions),
		cmocka_unit_test(test_server_conditions),
		cmocka_unit_test(test_transport_and_unknown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
