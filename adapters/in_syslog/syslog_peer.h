/* syslog_peer.h: how the syslog input names a sender. Two names, for two jobs: the address
 * with its port names the record's origin and the log lines (two senders behind one address
 * stay apart, and record ids are made from it), the address alone is what the mappings see as
 * $peer, since an IODEF Address holds an address and no port. */
#ifndef GG_SYSLOG_PEER_H
#define GG_SYSLOG_PEER_H

#include <netdb.h>
#include <sys/socket.h>

/* name: "host:port" (numeric; an IPv6 host without brackets, as origins have always been
 * written), or "unknown". */
#define GG_SYSLOG_PEER_MAX (NI_MAXHOST + NI_MAXSERV + 4)

struct gg_syslog_peer {
	char name[GG_SYSLOG_PEER_MAX];
	/* The numeric address, an IPv4-mapped IPv6 one as plain IPv4 (a dual-stack listener
	 * sees IPv4 senders so); empty when the address cannot be written. */
	char addr[NI_MAXHOST];
};

/* Fills *out from a socket address as recvfrom or accept returned it. */
void gg_syslog_peer_of(const struct sockaddr_storage *sa, socklen_t len,
		       struct gg_syslog_peer *out);

/* The address for the mappings ($peer): NULL when it is unknown. */
const char *gg_syslog_peer_addr(const struct gg_syslog_peer *p);

#endif
