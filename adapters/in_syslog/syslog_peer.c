/* syslog_peer.c: a sender's two names (syslog_peer.h). */
#include "in_syslog/syslog_peer.h"

#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

/* An IPv4 sender on a dual-stack socket arrives as ::ffff:a.b.c.d; the mappings see a.b.c.d,
 * the address the sender has, and an ipv4-addr rather than an ipv6-addr. */
static void peer_addr(const struct sockaddr_storage *sa, socklen_t len, char *out, size_t size)
{
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;

	if (sa->ss_family == AF_INET6 && IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
		struct sockaddr_in s4 = { .sin_family = AF_INET, .sin_port = s6->sin6_port };

		memcpy(&s4.sin_addr, &s6->sin6_addr.s6_addr[12], 4);
		if (getnameinfo((const struct sockaddr *)&s4, sizeof(s4), out, (socklen_t)size, NULL,
				0, NI_NUMERICHOST) != 0)
			out[0] = '\0';
		return;
	}
	if (getnameinfo((const struct sockaddr *)sa, len, out, (socklen_t)size, NULL, 0,
			NI_NUMERICHOST) != 0)
		out[0] = '\0';
}

void gg_syslog_peer_of(const struct sockaddr_storage *sa, socklen_t len,
		       struct gg_syslog_peer *out)
{
	char host[NI_MAXHOST], serv[NI_MAXSERV];

	snprintf(out->name, sizeof(out->name), "unknown");
	out->addr[0] = '\0';
	/* Only IP senders reach a syslog socket; anything else keeps no address. */
	if (sa->ss_family != AF_INET && sa->ss_family != AF_INET6)
		return;
	if (getnameinfo((const struct sockaddr *)sa, len, host, sizeof(host), serv, sizeof(serv),
			NI_NUMERICHOST | NI_NUMERICSERV) != 0)
		return;
	snprintf(out->name, sizeof(out->name), "%s:%s", host, serv);
	peer_addr(sa, len, out->addr, sizeof(out->addr));
}

const char *gg_syslog_peer_addr(const struct gg_syslog_peer *p)
{
	return p->addr[0] != '\0' ? p->addr : NULL;
}
