/* test_syslog_peer.c: a syslog sender's two names: the address with its port for the origin
 * (and so the record id), the address alone for the mappings' $peer. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "in_syslog/syslog_peer.h"

static void v4(const char *addr, uint16_t port, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	s4->sin_family = AF_INET;
	s4->sin_port = htons(port);
	assert_int_equal(inet_pton(AF_INET, addr, &s4->sin_addr), 1);
	*len = sizeof(*s4);
}

static void v6(const char *addr, uint16_t port, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	s6->sin6_family = AF_INET6;
	s6->sin6_port = htons(port);
	assert_int_equal(inet_pton(AF_INET6, addr, &s6->sin6_addr), 1);
	*len = sizeof(*s6);
}

static void test_ipv4(void **state)
{
	struct sockaddr_storage ss;
	struct gg_syslog_peer p;
	socklen_t len;

	(void)state;
	v4("127.0.0.1", 50684, &ss, &len);
	gg_syslog_peer_of(&ss, len, &p);
	assert_string_equal(p.name, "127.0.0.1:50684");
	assert_string_equal(gg_syslog_peer_addr(&p), "127.0.0.1");
}

/* "::1:43668" could be an address of its own: the mappings get "::1". The name keeps the
 * form origins were always written in, so record ids do not change. */
static void test_ipv6(void **state)
{
	struct sockaddr_storage ss;
	struct gg_syslog_peer p;
	socklen_t len;

	(void)state;
	v6("::1", 43668, &ss, &len);
	gg_syslog_peer_of(&ss, len, &p);
	assert_string_equal(p.name, "::1:43668");
	assert_string_equal(gg_syslog_peer_addr(&p), "::1");
	v6("2001:db8::5", 514, &ss, &len);
	gg_syslog_peer_of(&ss, len, &p);
	assert_string_equal(gg_syslog_peer_addr(&p), "2001:db8::5");
}

/* An IPv4 sender on a dual-stack listener is an IPv4 address to the mappings. */
static void test_v4_mapped(void **state)
{
	struct sockaddr_storage ss;
	struct gg_syslog_peer p;
	socklen_t len;

	(void)state;
	v6("::ffff:192.0.2.7", 1514, &ss, &len);
	gg_syslog_peer_of(&ss, len, &p);
	assert_string_equal(p.name, "::ffff:192.0.2.7:1514");
	assert_string_equal(gg_syslog_peer_addr(&p), "192.0.2.7");
}

static void test_unknown(void **state)
{
	struct sockaddr_storage ss = { .ss_family = AF_UNIX };
	struct gg_syslog_peer p;

	(void)state;
	gg_syslog_peer_of(&ss, sizeof(sa_family_t), &p);
	assert_string_equal(p.name, "unknown");
	assert_null(gg_syslog_peer_addr(&p));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipv4),
		cmocka_unit_test(test_ipv6),
		cmocka_unit_test(test_v4_mapped),
		cmocka_unit_test(test_unknown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
