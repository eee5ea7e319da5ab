/* in_syslog.c: listens for syslog over UDP (one datagram, one message) or TCP (RFC 6587 octet
 * counting or LF framing) and turns each message into a generic IODEF 2.0 incident. */
#include "in_syslog.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "pipeline.h"
#include "record_id.h"
#include "syslog/syslog_frame.h"
#include "syslog/syslog_parse.h"

struct syslog_conf {
	char *listen;
	char *protocol;
	int64_t max_message_size;
	int64_t max_connections;
};

static const struct gg_option syslog_options[] = {
	{ "listen", GG_OPT_STRING, "127.0.0.1:5514", offsetof(struct syslog_conf, listen),
	  "address and port to listen on: host:port, [ipv6]:port" },
	{ "protocol", GG_OPT_STRING, "udp", offsetof(struct syslog_conf, protocol),
	  "udp (one datagram per message) or tcp (RFC 6587 octet counting or LF framing)" },
	{ "max_message_size", GG_OPT_SIZE, "64k", offsetof(struct syslog_conf, max_message_size),
	  "longer messages are counted and dropped" },
	{ "max_connections", GG_OPT_INT, "256", offsetof(struct syslog_conf, max_connections),
	  "tcp: connections beyond this are closed at once" },
	GG_OPTIONS_END,
};

/* Largest max_message_size: the framer's octet count and the base64 RecordItem stay far from
 * int limits, and a document must still fit max_document_size to be spooled anyway. */
#define SYSLOG_MAX_SIZE_LIMIT (16 * 1024 * 1024)
/* Datagrams or TCP reads handled before the batch is committed and the stop is checked. */
#define SYSLOG_BURST 64

/* One TCP connection: the framer's buffer follows the struct, so one allocation each. */
struct syslog_conn {
	int fd;
	char peer[NI_MAXHOST + NI_MAXSERV + 4];
	struct gg_syslog_framer framer;
	unsigned char buf[];
};

struct syslog_in {
	struct gg_input *input;
	const struct syslog_conf *conf;
	struct gg_ingest *ingest;
	struct gg_spool *spool; /* UDP only: asks whether the spool is full without blocking */
	int tcp;
	int sock_fd;
	int stop_fd;
	int epoll_fd;
	pthread_t thread;
	int thread_started;
	char *scratch; /* unescaped SD values, max_message_size bytes */
	char *dgram;   /* UDP receive buffer, max_message_size bytes */
	struct syslog_conn **conns;
	size_t n_conns;
	uint64_t udp_dropped, oversized, malformed, refused_conns, protocol_errors;
};

/* Numbers the messages of this process: with the peer it makes each message's origin, so
 * two identical lines from one sender are two records, not a replay. */
static atomic_uint_fast64_t syslog_seq;

/* Splits "host:port" or "[v6]:port" into its parts (host may be empty: any address). */
static int split_listen(const char *s, char *host, size_t host_size, char *port,
			size_t port_size)
{
	const char *colon = strrchr(s, ':');
	const char *h = s;
	size_t hlen;

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
	strcpy(port, colon + 1);
	if (strspn(port, "0123456789") != strlen(port) || atoi(port) < 1 || atoi(port) > 65535)
		return -EINVAL;
	return 0;
}

static int syslog_check(const void *conf_ptr, struct gg_error *err)
{
	const struct syslog_conf *conf = conf_ptr;
	char host[NI_MAXHOST], port[NI_MAXSERV];

	if (conf->listen == NULL ||
	    split_listen(conf->listen, host, sizeof(host), port, sizeof(port)) != 0)
		return gg_error_set(err, -EINVAL,
				    "listen must be host:port or [ipv6]:port, port 1-65535");
	if (conf->protocol == NULL ||
	    (strcmp(conf->protocol, "udp") != 0 && strcmp(conf->protocol, "tcp") != 0))
		return gg_error_set(err, -EINVAL, "protocol must be udp or tcp");
	if (conf->max_message_size < 480 || conf->max_message_size > SYSLOG_MAX_SIZE_LIMIT)
		return gg_error_set(err, -EINVAL, "max_message_size must be from 480 (the "
				    "RFC 5424 minimum) to 16M");
	if (conf->max_connections < 1)
		return gg_error_set(err, -EINVAL, "max_connections must be positive");
	return 0;
}

static void peer_name(const struct sockaddr_storage *sa, socklen_t len, char *out, size_t size)
{
	char host[NI_MAXHOST], serv[NI_MAXSERV];

	if (getnameinfo((const struct sockaddr *)sa, len, host, sizeof(host), serv, sizeof(serv),
			NI_NUMERICHOST | NI_NUMERICSERV) != 0)
		snprintf(out, size, "unknown");
	else
		snprintf(out, size, "%s:%s", host, serv);
}

/* Parses, maps and stages one message; quarantines what cannot become an incident. Returns
 * <0 only for spool errors. */
static int syslog_message(struct syslog_in *st, const char *peer, const char *data, size_t len)
{
	struct gg_pipeline *p = st->input->pipeline;
	struct gg_syslog_limits limits = {
		.max_size = (size_t)st->conf->max_message_size,
		.max_sd_elements = GG_SYSLOG_MAX_SD_ELEMENTS,
		.max_sd_params = GG_SYSLOG_MAX_SD_PARAMS,
	};
	struct gg_syslog_msg *msg;
	char origin[sizeof(((struct syslog_conn *)0)->peer) + 24];
	char id[GG_RECORD_ID_LEN];
	struct gg_error why, err;
	xmlDocPtr doc = NULL;
	int r;

	snprintf(origin, sizeof(origin), "%s:%llu", peer,
		 (unsigned long long)atomic_fetch_add(&syslog_seq, 1));
	gg_record_id(st->input->name, origin, 0, data, len, id);
	/* The parsed message holds 160 SD slots: too big for a thread stack frame to be kind. */
	msg = malloc(sizeof(*msg));
	if (msg == NULL)
		return -ENOMEM;
	gg_error_clear(&why);
	r = gg_syslog_parse(data, len, &limits, st->scratch, (size_t)st->conf->max_message_size,
			    msg, &why);
	if (r == 0)
		r = gg_iodef_from_syslog(msg, data, len, id, &p->iodef_defaults, time(NULL), &doc,
					 &why);
	free(msg);
	if (r != 0) {
		st->malformed++;
		gg_log_debug("%s: %s: %s", st->input->name, peer, why.msg);
		if (gg_ingest_reject(st->ingest, id, data, len, &why, &err) != 0) {
			gg_log_warnx("%s: quarantine: %s", st->input->name, err.msg);
			return -EIO;
		}
		return 0;
	}
	r = gg_ingest_document(st->ingest, doc, id, &why);
	xmlFreeDoc(doc);
	if (r == -EINVAL)
		return 0; /* quarantined by gg_ingest_document */
	if (r < 0) {
		gg_log_warnx("%s: %s: %s", st->input->name, peer, why.msg);
		return r;
	}
	return 0;
}

static int syslog_begin(struct syslog_in *st)
{
	struct gg_error err;

	if (gg_ingest_begin(st->ingest, &err) != 0) {
		gg_log_warnx("%s: spool: %s", st->input->name, err.msg);
		/* The sockets stay readable: without a pause a broken spool spins the loop. */
		poll(NULL, 0, 1000);
		return -EIO;
	}
	return 0;
}

static void syslog_commit(struct syslog_in *st)
{
	struct gg_error err;

	if (gg_ingest_commit(st->ingest, &err) != 0) {
		/* Syslog has no acknowledgement and no retransmission: what was staged is lost. */
		gg_log_warnx("%s: spool commit: %s; %zu messages lost", st->input->name, err.msg,
			     gg_ingest_staged(st->ingest));
		gg_ingest_rollback(st->ingest);
	}
}

/* Reads up to a burst of datagrams. UDP senders cannot be slowed down, so while the spool is
 * full datagrams are read and dropped (and counted) rather than left to overflow the kernel
 * buffer unseen. */
static void syslog_udp_burst(struct syslog_in *st)
{
	size_t cap = (size_t)st->conf->max_message_size;
	int full = gg_spool_is_full(st->spool), open = 0;

	for (int i = 0; i < SYSLOG_BURST; i++) {
		struct sockaddr_storage sa;
		socklen_t salen = sizeof(sa);
		char peer[sizeof(((struct syslog_conn *)0)->peer)];
		ssize_t n = recvfrom(st->sock_fd, st->dgram, cap, MSG_TRUNC | MSG_DONTWAIT,
				     (struct sockaddr *)&sa, &salen);

		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				gg_log_warn("%s: recvfrom", st->input->name);
			break;
		}
		if (full) {
			st->udp_dropped++;
			continue;
		}
		if ((size_t)n > cap) {
			st->oversized++;
			continue;
		}
		if (!open) {
			if (syslog_begin(st) != 0)
				return;
			open = 1;
		}
		peer_name(&sa, salen, peer, sizeof(peer));
		if (syslog_message(st, peer, st->dgram, (size_t)n) < 0) {
			gg_ingest_rollback(st->ingest);
			return;
		}
	}
	if (open)
		syslog_commit(st);
}

static void *syslog_udp_main(void *arg)
{
	struct syslog_in *st = arg;

	for (;;) {
		struct pollfd pfd[2] = {
			{ .fd = st->sock_fd, .events = POLLIN },
			{ .fd = st->stop_fd, .events = POLLIN },
		};
		int r = poll(pfd, 2, -1);

		if (r < 0 && errno != EINTR) {
			gg_log_warn("%s: poll", st->input->name);
			break;
		}
		if (pfd[1].revents & POLLIN || atomic_load(&st->input->pipeline->stopping))
			break;
		if (pfd[0].revents & POLLIN)
			syslog_udp_burst(st);
	}
	return NULL;
}

static void conn_close(struct syslog_in *st, size_t i)
{
	struct syslog_conn *c = st->conns[i];

	gg_log_debug("%s: %s: closed", st->input->name, c->peer);
	close(c->fd); /* also leaves the epoll set */
	free(c);
	st->conns[i] = st->conns[--st->n_conns];
}

static void syslog_accept(struct syslog_in *st)
{
	size_t max = (size_t)st->conf->max_message_size;

	for (;;) {
		struct sockaddr_storage sa;
		socklen_t salen = sizeof(sa);
		struct epoll_event ev = { .events = EPOLLIN };
		struct syslog_conn *c;
		int fd = accept4(st->sock_fd, (struct sockaddr *)&sa, &salen,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
			    errno != ECONNABORTED)
				gg_log_warn("%s: accept", st->input->name);
			return;
		}
		if (st->n_conns >= (size_t)st->conf->max_connections) {
			st->refused_conns++;
			close(fd);
			continue;
		}
		c = malloc(sizeof(*c) + GG_SYSLOG_FRAME_BUFSIZE(max));
		if (c == NULL) {
			close(fd);
			continue;
		}
		c->fd = fd;
		peer_name(&sa, salen, c->peer, sizeof(c->peer));
		gg_syslog_frame_init(&c->framer, c->buf, GG_SYSLOG_FRAME_BUFSIZE(max), max,
				     GG_SYSLOG_FRAME_AUTO);
		ev.data.ptr = c;
		if (epoll_ctl(st->epoll_fd, EPOLL_CTL_ADD, fd, &ev) != 0) {
			gg_log_warn("%s: epoll_ctl", st->input->name);
			close(fd);
			free(c);
			continue;
		}
		st->conns[st->n_conns++] = c;
		gg_log_debug("%s: %s: connected", st->input->name, c->peer);
	}
}

/* Stages every complete frame in c's buffer. Returns 0, 1 when the connection must close
 * (unframeable stream), <0 on spool errors. */
static int conn_frames(struct syslog_in *st, struct syslog_conn *c)
{
	for (;;) {
		const char *data;
		size_t len;
		struct gg_error err;
		int r = gg_syslog_frame_pop(&c->framer, &data, &len, &err);

		if (r == 0)
			return 0;
		if (r == -EMSGSIZE) {
			st->oversized++;
			continue;
		}
		if (r < 0) {
			st->protocol_errors++;
			gg_log_info("%s: %s: %s; closing", st->input->name, c->peer, err.msg);
			return 1;
		}
		if ((r = syslog_message(st, c->peer, data, len)) < 0)
			return r;
	}
}

/* Reads what c has (a bounded number of reads) and stages its messages in the open batch.
 * Returns 0, 1 when c is finished (closed by the peer, or unframeable), <0 on spool errors. */
static int conn_read(struct syslog_in *st, struct syslog_conn *c)
{
	for (int i = 0; i < SYSLOG_BURST; i++) {
		size_t avail;
		void *space = gg_syslog_frame_space(&c->framer, &avail);
		ssize_t n;
		int r;

		n = recv(c->fd, space, avail, MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (n <= 0) {
			const char *data;
			size_t len;
			struct gg_error err;

			if (n < 0)
				gg_log_debug("%s: %s: recv: %s", st->input->name, c->peer,
					     strerror(errno));
			/* A last LF-framed message may have lost its trailer at the close. */
			r = gg_syslog_frame_finish(&c->framer, &data, &len, &err);
			if (r == 1) {
				r = syslog_message(st, c->peer, data, len);
				return r < 0 ? r : 1;
			}
			if (r < 0)
				st->protocol_errors++;
			return 1;
		}
		gg_syslog_frame_commit(&c->framer, (size_t)n);
		if ((r = conn_frames(st, c)) != 0)
			return r;
	}
	return 0;
}

static void *syslog_tcp_main(void *arg)
{
	struct syslog_in *st = arg;
	struct epoll_event evs[SYSLOG_BURST];
	size_t batch = (size_t)st->input->pipeline->cfg->spool.batch;

	for (;;) {
		int n = epoll_wait(st->epoll_fd, evs, SYSLOG_BURST, -1), stop = 0, open = 0;

		if (n < 0 && errno != EINTR) {
			gg_log_warn("%s: epoll_wait", st->input->name);
			break;
		}
		for (int i = 0; i < n; i++)
			if (evs[i].data.ptr == &st->stop_fd)
				stop = 1;
		if (stop || atomic_load(&st->input->pipeline->stopping))
			break;
		for (int i = 0; i < n; i++) {
			struct syslog_conn *c = evs[i].data.ptr;
			size_t k;
			int r;

			if (c == (void *)&st->sock_fd) {
				syslog_accept(st);
				continue;
			}
			/* Backpressure: no read while the spool is full, so senders' TCP windows
			 * fill and they slow down. This blocks the whole thread (and the accepting
			 * of new connections) until the publisher makes room; acceptable while one
			 * thread serves every connection, since none of them could be spooled. */
			if (!open) {
				if (gg_ingest_wait_room(st->ingest) != 0) {
					stop = 1;
					break;
				}
				if (syslog_begin(st) != 0)
					break;
				open = 1;
			}
			for (k = 0; k < st->n_conns && st->conns[k] != c; k++)
				;
			if (k == st->n_conns)
				continue; /* closed earlier in this pass */
			r = conn_read(st, c);
			if (r < 0) {
				/* A spool error: the connection stays, its next bytes get a
				 * new batch. */
				gg_ingest_rollback(st->ingest);
				open = 0;
			} else if (r == 1) {
				conn_close(st, k);
			}
			/* Group commit: what this read pass staged is written before the next one,
			 * so staged records stay bounded by one pass. */
			if (open && gg_ingest_staged(st->ingest) >= batch) {
				syslog_commit(st);
				open = 0;
			}
		}
		if (open)
			syslog_commit(st);
		if (stop)
			break;
	}
	return NULL;
}

static void syslog_free(struct syslog_in *st)
{
	if (st == NULL)
		return;
	for (size_t i = 0; i < st->n_conns; i++) {
		close(st->conns[i]->fd);
		free(st->conns[i]);
	}
	free(st->conns);
	gg_ingest_free(st->ingest);
	if (st->spool != NULL)
		gg_spool_close(st->spool);
	int fds[] = { st->sock_fd, st->stop_fd, st->epoll_fd };

	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		if (fds[i] >= 0)
			close(fds[i]);
	free(st->scratch);
	free(st->dgram);
	free(st);
}

static int syslog_socket(struct syslog_in *st, struct gg_error *err)
{
	struct addrinfo hints = { .ai_flags = AI_PASSIVE | AI_NUMERICSERV };
	struct addrinfo *res = NULL, *ai;
	char host[NI_MAXHOST], port[NI_MAXSERV];
	int one = 1, r, saved = 0;

	split_listen(st->conf->listen, host, sizeof(host), port, sizeof(port));
	hints.ai_socktype = st->tcp ? SOCK_STREAM : SOCK_DGRAM;
	r = getaddrinfo(host[0] ? host : NULL, port, &hints, &res);
	if (r != 0)
		return gg_error_set(err, -EINVAL, "listen %s: %s", st->conf->listen,
				    gai_strerror(r));
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		st->sock_fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
				     ai->ai_protocol);
		if (st->sock_fd < 0) {
			saved = errno;
			continue;
		}
		setsockopt(st->sock_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(st->sock_fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
		    (!st->tcp || listen(st->sock_fd, 128) == 0))
			break;
		saved = errno;
		close(st->sock_fd);
		st->sock_fd = -1;
	}
	freeaddrinfo(res);
	if (st->sock_fd < 0)
		return gg_error_set(err, -saved, "listen %s/%s: %s", st->conf->listen,
				    st->conf->protocol, strerror(saved));
	return 0;
}

static int syslog_start(struct gg_input *in, struct gg_error *err)
{
	struct syslog_in *st = calloc(1, sizeof(*st));
	size_t max;
	int r;

	if (st == NULL)
		return gg_error_set(err, -ENOMEM, "out of memory");
	st->sock_fd = st->stop_fd = st->epoll_fd = -1;
	st->input = in;
	st->conf = in->conf;
	st->tcp = strcmp(st->conf->protocol, "tcp") == 0;
	max = (size_t)st->conf->max_message_size;
	st->scratch = malloc(max);
	if (st->scratch == NULL || (!st->tcp && (st->dgram = malloc(max)) == NULL) ||
	    (st->tcp && (st->conns = calloc((size_t)st->conf->max_connections,
					    sizeof(*st->conns))) == NULL)) {
		r = gg_error_set(err, -ENOMEM, "out of memory");
		goto fail;
	}
	st->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (st->stop_fd < 0) {
		r = gg_error_set(err, -errno, "eventfd: %s", strerror(errno));
		goto fail;
	}
	if ((r = syslog_socket(st, err)) != 0)
		goto fail;
	if (st->tcp) {
		struct epoll_event lev = { .events = EPOLLIN, .data.ptr = &st->sock_fd };
		struct epoll_event sev = { .events = EPOLLIN, .data.ptr = &st->stop_fd };

		st->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
		if (st->epoll_fd < 0 ||
		    epoll_ctl(st->epoll_fd, EPOLL_CTL_ADD, st->sock_fd, &lev) != 0 ||
		    epoll_ctl(st->epoll_fd, EPOLL_CTL_ADD, st->stop_fd, &sev) != 0) {
			r = gg_error_set(err, -errno, "epoll: %s", strerror(errno));
			goto fail;
		}
	} else if ((r = gg_pipeline_open_spool(in->pipeline, &st->spool, err)) != 0) {
		goto fail;
	}
	if ((r = gg_ingest_new(in->pipeline, in->name, &st->ingest, err)) != 0)
		goto fail;
	if ((r = pthread_create(&st->thread, NULL, st->tcp ? syslog_tcp_main : syslog_udp_main,
				st)) != 0) {
		r = gg_error_set(err, -r, "pthread_create: %s", strerror(r));
		goto fail;
	}
	st->thread_started = 1;
	in->state = st;
	gg_log_info("%s: listening on %s/%s", in->name, st->conf->listen, st->conf->protocol);
	return 0;
fail:
	syslog_free(st);
	return r;
}

static void syslog_stop(struct gg_input *in)
{
	struct syslog_in *st = in->state;
	uint64_t one = 1;

	if (st == NULL)
		return;
	if (st->thread_started) {
		(void)!write(st->stop_fd, &one, sizeof(one));
		pthread_join(st->thread, NULL);
	}
	gg_log_info("%s: stopped: udp_dropped=%llu oversized=%llu malformed=%llu "
		    "protocol_errors=%llu refused_connections=%llu",
		    in->name, (unsigned long long)st->udp_dropped,
		    (unsigned long long)st->oversized, (unsigned long long)st->malformed,
		    (unsigned long long)st->protocol_errors,
		    (unsigned long long)st->refused_conns);
	syslog_free(st);
	in->state = NULL;
}

const struct gg_adapter gg_in_syslog = {
	.name = "syslog",
	.desc = "syslog listener: RFC 5424 / RFC 3164 over UDP, or TCP with RFC 6587 framing",
	.options = syslog_options,
	.conf_size = sizeof(struct syslog_conf),
	.check = syslog_check,
	.start = syslog_start,
	.stop = syslog_stop,
};
