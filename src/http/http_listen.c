/* http_listen.c: what an HTTP input opens before privileges are dropped: its listening sockets
 * (a port below 1024) and its PEM files, handed to libmicrohttpd. */
#include "http/http_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Splits "host:port" or "[v6]:port" (host empty: every address). */
static int split_listen(const char *s, char *host, size_t host_size, char *port,
			size_t port_size)
{
	const char *colon = strrchr(s, ':');
	const char *h = s;
	size_t hlen;
	long p;
	char *end;

	if (colon == NULL || colon[1] == '\0' || strlen(colon + 1) >= port_size)
		return -EINVAL;
	hlen = (size_t)(colon - s);
	if (hlen >= 2 && s[0] == '[' && s[hlen - 1] == ']') {
		h = s + 1;
		hlen -= 2;
	} else if (memchr(s, ':', hlen) != NULL) {
		return -EINVAL; /* an IPv6 address must be in brackets */
	}
	if (hlen >= host_size)
		return -EINVAL;
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	p = strtol(colon + 1, &end, 10);
	if (*end != '\0' || p < 1 || p > 65535)
		return -EINVAL;
	strcpy(port, colon + 1);
	return 0;
}

int gg_http_listen_check(const char *addr, int *loopback, struct gg_error *err)
{
	char host[NI_MAXHOST], port[NI_MAXSERV];
	struct in_addr a4;
	struct in6_addr a6;

	if (split_listen(addr, host, sizeof(host), port, sizeof(port)) != 0)
		return gg_error_set(err, -EINVAL, "must be ADDRESS:PORT or [IPV6]:PORT with a port "
				    "of 1..65535 (ADDRESS empty: every address)");
	if (host[0] == '\0') {
		*loopback = 0;
		return 0;
	}
	if (inet_pton(AF_INET, host, &a4) == 1) {
		*loopback = (ntohl(a4.s_addr) >> 24) == 127;
		return 0;
	}
	if (inet_pton(AF_INET6, host, &a6) == 1) {
		*loopback = IN6_IS_ADDR_LOOPBACK(&a6);
		return 0;
	}
	return gg_error_set(err, -EINVAL, "%s is not a numeric IPv4 or IPv6 address", host);
}

/* One socket bound to ai and listening; SO_REUSEPORT with share, so that several can. */
static int listen_one(const struct addrinfo *ai, int share, int *fd)
{
	int one = 1;

	*fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
	if (*fd < 0)
		return -errno;
	setsockopt(*fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if ((share && setsockopt(*fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0) ||
	    bind(*fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(*fd, 128) != 0) {
		int saved = errno;

		close(*fd);
		*fd = -1;
		return -saved;
	}
	return 0;
}

int gg_http_listen(const char *addr, unsigned n, int *fds, struct gg_error *err)
{
	struct addrinfo hints = { .ai_flags = AI_PASSIVE | AI_NUMERICSERV | AI_NUMERICHOST,
				  .ai_socktype = SOCK_STREAM };
	struct addrinfo *res = NULL, *ai;
	struct sockaddr_storage bound;
	socklen_t bound_len = sizeof(bound);
	char host[NI_MAXHOST], port[NI_MAXSERV];
	int r, saved = EINVAL;

	for (unsigned i = 0; i < n; i++)
		fds[i] = -1;
	if (split_listen(addr, host, sizeof(host), port, sizeof(port)) != 0)
		return gg_error_set(err, -EINVAL, "listen %s: not ADDRESS:PORT", addr);
	r = getaddrinfo(host[0] ? host : NULL, port, &hints, &res);
	if (r != 0)
		return gg_error_set(err, -EINVAL, "listen %s: %s", addr, gai_strerror(r));
	for (ai = res; ai != NULL && fds[0] < 0; ai = ai->ai_next)
		saved = -listen_one(ai, n > 1, &fds[0]);
	/* The others on the address the first got (its port, when port 0 chose one). */
	if (fds[0] >= 0 && n > 1 &&
	    getsockname(fds[0], (struct sockaddr *)&bound, &bound_len) != 0) {
		saved = errno;
		close(fds[0]);
		fds[0] = -1;
	}
	for (unsigned i = 1; fds[0] >= 0 && i < n; i++) {
		struct addrinfo same = { .ai_family = bound.ss_family, .ai_socktype = SOCK_STREAM,
					 .ai_addr = (struct sockaddr *)&bound,
					 .ai_addrlen = bound_len };

		if ((r = listen_one(&same, 1, &fds[i])) != 0) {
			saved = -r;
			for (unsigned j = 0; j < i; j++) {
				close(fds[j]);
				fds[j] = -1;
			}
		}
	}
	freeaddrinfo(res);
	if (fds[0] < 0)
		return gg_error_set(err, -saved, "listen %s: %s", addr, strerror(saved));
	return 0;
}

/* A PEM file whole, as libmicrohttpd takes it (text with its NUL). */
int gg_http_read_pem(const char *path, char **out, size_t *len, struct gg_error *err)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t n = 0, cap = 0;

	*out = NULL;
	if (f == NULL)
		return gg_error_set(err, -errno, "%s: %s", path, strerror(errno));
	for (;;) {
		if (n + 4096 + 1 > cap) {
			char *p = cap >= (1u << 20) ? NULL : realloc(buf, cap += 8192);

			if (p == NULL) {
				fclose(f);
				free(buf);
				return gg_error_set(err, -EFBIG, "%s: over 1 MiB or out of memory",
						    path);
			}
			buf = p;
		}
		size_t got = fread(buf + n, 1, 4096, f);

		n += got;
		if (got < 4096)
			break;
	}
	fclose(f);
	buf[n] = '\0';
	*out = buf;
	if (len != NULL)
		*len = n;
	return 0;
}
