/* in_syslog.c: listens for syslog over UDP (one datagram, one message), TCP (RFC 6587 octet
 * counting or LF framing) or TLS (RFC 5425) and turns each message into an IODEF 2.0 incident
 * (through the input's mappings, or the generic incident), with per-source rate limits: UDP
 * drops over the limit, TCP and TLS stop reading. */
#include "in_syslog.h"

#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "input_thread.h"
#include "log.h"
#include "map_input.h"
#include "pipeline.h"
#include "record_id.h"
#include "syslog/syslog_frame.h"
#include "syslog/syslog_parse.h"
#include "syslog/syslog_rate.h"
#include "syslog/syslog_tls.h"

struct syslog_conf {
	char *listen;
	char *protocol;
	int64_t max_message_size;
	int64_t max_connections;
	int64_t rate_limit;
	int64_t rate_burst;
	int64_t rate_sources;
	char *tls_cert;
	char *tls_key;
	char *tls_client_ca;
	int tls_require_client_cert;
	int64_t tls_handshake_timeout_ms;
};

static const struct gg_option syslog_options[] = {
	{ "listen", GG_OPT_STRING, "127.0.0.1:5514", offsetof(struct syslog_conf, listen),
	  "address and port to listen on: host:port, [ipv6]:port (RFC 5425's port for tls: 6514)" },
	{ "protocol", GG_OPT_STRING, "udp", offsetof(struct syslog_conf, protocol),
	  "udp (one datagram per message), tcp (RFC 6587 octet counting or LF framing) or tls "
	  "(RFC 5425: TLS 1.2 or later, then the same framing)" },
	{ "max_message_size", GG_OPT_SIZE, "64k", offsetof(struct syslog_conf, max_message_size),
	  "longer messages are counted and dropped" },
	{ "max_connections", GG_OPT_INT, "256", offsetof(struct syslog_conf, max_connections),
	  "tcp, tls: connections beyond this are closed at once (and counted)" },
	{ "rate_limit", GG_OPT_INT, "0", offsetof(struct syslog_conf, rate_limit),
	  "messages per second per source, 0: unlimited; udp: per address, datagrams over it are "
	  "dropped and counted; tcp, tls: per connection, reading pauses (backpressure)" },
	{ "rate_burst", GG_OPT_INT, "0", offsetof(struct syslog_conf, rate_burst),
	  "messages a quiet source may send at once beyond rate_limit; 0: one second's worth" },
	{ "rate_sources", GG_OPT_INT, "4096", offsetof(struct syslog_conf, rate_sources),
	  "udp: source addresses whose rate is tracked; a new one takes the idlest one's place" },
	{ "tls_cert", GG_OPT_STRING, NULL, offsetof(struct syslog_conf, tls_cert),
	  "tls: the server certificate (PEM, chain after it), required" },
	{ "tls_key", GG_OPT_STRING, NULL, offsetof(struct syslog_conf, tls_key),
	  "tls: the server certificate's private key (PEM), required" },
	{ "tls_client_ca", GG_OPT_STRING, NULL, offsetof(struct syslog_conf, tls_client_ca),
	  "tls: CA certificates (PEM) that client certificates must chain to; a client "
	  "certificate is asked for, and one that does not verify is refused" },
	{ "tls_require_client_cert", GG_OPT_BOOL, "no",
	  offsetof(struct syslog_conf, tls_require_client_cert),
	  "tls: refuse clients without a certificate (needs tls_client_ca)" },
	{ "tls_handshake_timeout", GG_OPT_DURATION, "10s",
	  offsetof(struct syslog_conf, tls_handshake_timeout_ms),
	  "tls: a handshake not done by then is dropped and counted, freeing its connection" },
	GG_OPTIONS_END,
};

/* Largest max_message_size: the framer's octet count and the base64 RecordItem stay far from
 * int limits, and a document must still fit max_document_size to be spooled anyway. */
#define SYSLOG_MAX_SIZE_LIMIT (16 * 1024 * 1024)
/* Datagrams or TCP reads handled before the batch is committed and the stop is checked. */
#define SYSLOG_BURST 64

/* One TCP or TLS connection: the framer's buffer follows the struct, so one allocation each. */
struct syslog_conn {
	int fd;
	struct gg_syslog_tls_session *tls; /* NULL for tcp */
	int handshaking;
	/* Bytes OpenSSL holds (or frames a pause left in the buffer): epoll cannot announce
	 * them, so the loop serves this connection again without waiting. */
	int more;
	uint32_t want;      /* epoll events to wait for when not paused */
	uint32_t watching;  /* events registered in the epoll set; 0: not in it */
	uint64_t deadline;  /* handshake deadline, monotonic ns */
	uint64_t resume_at; /* paused by the rate limit until then, monotonic ns; 0: not paused */
	gg_rate_bucket rate;
	char peer[NI_MAXHOST + NI_MAXSERV + 4];
	struct gg_syslog_framer framer;
	unsigned char buf[];
};

struct syslog_in {
	struct gg_input *input;
	const struct syslog_conf *conf;
	struct gg_ingest *ingest;
	struct gg_spool *spool; /* UDP only: asks whether the spool is full without blocking */
	struct gg_syslog_tls *tls; /* protocol tls */
	struct gg_rate_limit rate;
	struct gg_rate_table *sources; /* UDP with a rate limit */
	int tcp; /* a stream: tcp or tls */
	int sock_fd;
	int epoll_fd;
	struct gg_input_thread thread;
	char *scratch; /* unescaped SD values, max_message_size bytes */
	char *dgram;   /* UDP receive buffer, max_message_size bytes */
	/* The parsed message: 160 SD slots, too big for a thread's stack frame, reused. */
	struct gg_syslog_msg *msg;
	struct gg_map_ctx *map_ctx; /* when the input has mappings */
	struct syslog_conn **conns;
	size_t n_conns;
	/* Written by the input's thread, read by the main thread's counter log. */
	atomic_uint_fast64_t udp_dropped;  /* udp: spool full */
	atomic_uint_fast64_t rate_limited; /* udp: datagrams over rate_limit, dropped */
	atomic_uint_fast64_t rate_paused;  /* tcp, tls: times a connection was paused */
	atomic_uint_fast64_t oversized, malformed, protocol_errors;
	atomic_uint_fast64_t connections;
	atomic_uint_fast64_t connections_refused;  /* beyond max_connections */
	atomic_uint_fast64_t tls_handshake_failed; /* refused, failed or timed out */
};

/* Numbers the messages of this process: with the peer it makes each message's origin, so
 * two identical lines from one sender are two records, not a replay. */
static atomic_uint_fast64_t syslog_seq;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

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

static int syslog_tls_conf(const struct syslog_conf *conf, struct gg_syslog_tls_conf *out)
{
	*out = (struct gg_syslog_tls_conf){
		.cert = conf->tls_cert,
		.key = conf->tls_key,
		.client_ca = conf->tls_client_ca,
		.require_client_cert = conf->tls_require_client_cert,
	};
	return strcmp(conf->protocol, "tls") == 0;
}

static int syslog_check(const void *conf_ptr, struct gg_error *err)
{
	const struct syslog_conf *conf = conf_ptr;
	char host[NI_MAXHOST], port[NI_MAXSERV];
	struct gg_syslog_tls_conf tc;
	struct gg_syslog_tls *tls;

	if (conf->listen == NULL ||
	    split_listen(conf->listen, host, sizeof(host), port, sizeof(port)) != 0)
		return gg_error_set(err, -EINVAL,
				    "listen must be host:port or [ipv6]:port, port 1-65535");
	if (conf->protocol == NULL ||
	    (strcmp(conf->protocol, "udp") != 0 && strcmp(conf->protocol, "tcp") != 0 &&
	     strcmp(conf->protocol, "tls") != 0))
		return gg_error_set(err, -EINVAL, "protocol must be udp, tcp or tls");
	if (conf->max_message_size < 480 || conf->max_message_size > SYSLOG_MAX_SIZE_LIMIT)
		return gg_error_set(err, -EINVAL, "max_message_size must be from 480 (the "
				    "RFC 5424 minimum) to 16M");
	if (conf->max_connections < 1)
		return gg_error_set(err, -EINVAL, "max_connections must be positive");
	if (conf->rate_limit < 0 || conf->rate_limit > 1000000000 || conf->rate_burst < 0 ||
	    conf->rate_burst > 1000000000)
		return gg_error_set(err, -EINVAL, "rate_limit and rate_burst must be from 0 to 1e9");
	if (conf->rate_sources < 1 || conf->rate_sources > (1 << 24))
		return gg_error_set(err, -EINVAL, "rate_sources must be from 1 to 16777216");
	if (conf->tls_handshake_timeout_ms < 1)
		return gg_error_set(err, -EINVAL, "tls_handshake_timeout must be positive");
	if (!syslog_tls_conf(conf, &tc)) {
		if (tc.cert != NULL || tc.key != NULL || tc.client_ca != NULL ||
		    tc.require_client_cert)
			return gg_error_set(err, -EINVAL, "tls_* options need protocol = tls");
		return 0;
	}
	/* Loading them here makes check-config find a bad certificate or key, not the start. */
	if (gg_syslog_tls_new(&tc, &tls, err) != 0)
		return -EINVAL;
	gg_syslog_tls_free(tls);
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

/* The incident a parsed message becomes: its mapping's, or (unmatched under the generic
 * policy, or no mappings) the generic unclassified incident. *doc stays NULL when the message
 * is dropped on purpose or by the policy. */
static int syslog_incident(struct syslog_in *st, const char *peer, const char *data, size_t len,
			   const char *id, xmlDocPtr *doc, struct gg_error *why)
{
	struct gg_pipeline *p = st->input->pipeline;
	struct gg_mapper *mapper = st->input->mapper;
	time_t now = time(NULL);

	*doc = NULL;
	if (mapper != NULL) {
		struct gg_map_record rec = { .input = st->input->name, .peer = peer, .raw = data,
					     .raw_len = len, .syslog = st->msg, .record_id = id,
					     .now = now };
		struct gg_mapset *set = gg_mapper_acquire(mapper);
		enum gg_map_verdict verdict;
		struct gg_error map_err;
		int r;

		gg_error_clear(&map_err);
		r = gg_map_apply(st->map_ctx, set, &rec, &p->iodef_defaults, &verdict, doc, NULL,
				 NULL, &map_err);
		gg_mapset_unref(set);
		if (gg_mapper_outcome(mapper, st->input->name, r, verdict, &map_err) !=
		    GG_OUTCOME_GENERIC)
			return 0; /* the mapped incident, or dropped (*doc NULL) */
	}
	return gg_iodef_from_syslog(st->msg, data, len, id, &p->iodef_defaults, now, doc, why);
}

/* Parses, maps and stages one message; quarantines what cannot become an incident. Returns
 * <0 only for spool errors. */
static int syslog_message(struct syslog_in *st, const char *peer, const char *data, size_t len)
{
	struct gg_syslog_limits limits = {
		.max_size = (size_t)st->conf->max_message_size,
		.max_sd_elements = GG_SYSLOG_MAX_SD_ELEMENTS,
		.max_sd_params = GG_SYSLOG_MAX_SD_PARAMS,
	};
	char origin[sizeof(((struct syslog_conn *)0)->peer) + 24];
	char id[GG_RECORD_ID_LEN];
	struct gg_error why, err;
	xmlDocPtr doc = NULL;
	int r;

	snprintf(origin, sizeof(origin), "%s:%llu", peer,
		 (unsigned long long)atomic_fetch_add(&syslog_seq, 1));
	gg_record_id(st->input->name, origin, 0, data, len, id);
	gg_error_clear(&why);
	r = gg_syslog_parse(data, len, &limits, st->scratch, (size_t)st->conf->max_message_size,
			    st->msg, &why);
	if (r == 0) {
		r = syslog_incident(st, peer, data, len, id, &doc, &why);
		if (r == 0 && doc == NULL)
			return 0;
	}
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

/* The rate-limit key of a datagram's source: its address without the port, so that a sender
 * cannot earn a fresh bucket by changing ports. */
static size_t source_key(const struct sockaddr_storage *sa, unsigned char key[GG_RATE_KEY_MAX])
{
	if (sa->ss_family == AF_INET) {
		key[0] = 4;
		memcpy(key + 1, &((const struct sockaddr_in *)sa)->sin_addr, 4);
		return 5;
	}
	if (sa->ss_family == AF_INET6) {
		key[0] = 6;
		memcpy(key + 1, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
		return 17;
	}
	key[0] = 0;
	return 1;
}

/* Reads up to a burst of datagrams. UDP senders cannot be slowed down, so while the spool is
 * full, or a source is over its rate, datagrams are read and dropped (and counted) rather
 * than left to overflow the kernel buffer unseen. */
static void syslog_udp_burst(struct syslog_in *st)
{
	size_t cap = (size_t)st->conf->max_message_size;
	int full = gg_spool_is_full(st->spool), open = 0;

	for (int i = 0; i < SYSLOG_BURST; i++) {
		struct sockaddr_storage sa;
		socklen_t salen = sizeof(sa);
		char peer[sizeof(((struct syslog_conn *)0)->peer)];
		unsigned char key[GG_RATE_KEY_MAX];
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
		if (st->sources != NULL &&
		    !gg_rate_table_take(st->sources, &st->rate, key, source_key(&sa, key),
					now_ns())) {
			st->rate_limited++;
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
			{ .fd = st->thread.stop_fd, .events = POLLIN },
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

/* Puts c's socket in the epoll set for events, or takes it out (0): a paused connection is
 * out of the set, so neither its data nor its hang-up wakes the loop before its time. */
static int conn_watch(struct syslog_in *st, struct syslog_conn *c, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = c };
	int op;

	if (events == c->watching)
		return 0;
	op = c->watching == 0 ? EPOLL_CTL_ADD : events == 0 ? EPOLL_CTL_DEL : EPOLL_CTL_MOD;
	if (epoll_ctl(st->epoll_fd, op, c->fd, &ev) != 0) {
		int saved = errno;

		gg_log_warn("%s: %s: epoll_ctl", st->input->name, c->peer);
		return -saved;
	}
	c->watching = events;
	return 0;
}

static void conn_free(struct syslog_conn *c)
{
	if (c == NULL)
		return;
	gg_syslog_tls_session_free(c->tls); /* may send close_notify: before the close */
	if (c->fd >= 0)
		close(c->fd); /* also leaves the epoll set */
	free(c);
}

static void conn_close(struct syslog_in *st, size_t i)
{
	struct syslog_conn *c = st->conns[i];

	gg_log_debug("%s: %s: closed", st->input->name, c->peer);
	conn_free(c);
	st->conns[i] = st->conns[--st->n_conns];
}

static void syslog_accept(struct syslog_in *st)
{
	size_t max = (size_t)st->conf->max_message_size;

	for (;;) {
		struct sockaddr_storage sa;
		socklen_t salen = sizeof(sa);
		struct syslog_conn *c;
		struct gg_error err;
		int fd = accept4(st->sock_fd, (struct sockaddr *)&sa, &salen,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
			    errno != ECONNABORTED)
				gg_log_warn("%s: accept", st->input->name);
			return;
		}
		if (st->n_conns >= (size_t)st->conf->max_connections) {
			st->connections_refused++;
			close(fd);
			continue;
		}
		c = calloc(1, sizeof(*c) + GG_SYSLOG_FRAME_BUFSIZE(max));
		if (c == NULL) {
			close(fd);
			continue;
		}
		c->fd = fd;
		c->want = EPOLLIN;
		peer_name(&sa, salen, c->peer, sizeof(c->peer));
		gg_syslog_frame_init(&c->framer, c->buf, GG_SYSLOG_FRAME_BUFSIZE(max), max,
				     GG_SYSLOG_FRAME_AUTO);
		if (st->tls != NULL) {
			if (gg_syslog_tls_session_new(st->tls, fd, &c->tls, &err) != 0) {
				gg_log_warnx("%s: %s: %s", st->input->name, c->peer, err.msg);
				conn_free(c);
				continue;
			}
			c->handshaking = 1;
			c->deadline = now_ns() +
				      (uint64_t)st->conf->tls_handshake_timeout_ms * 1000000ull;
		}
		if (conn_watch(st, c, c->want) != 0) {
			conn_free(c);
			continue;
		}
		st->conns[st->n_conns++] = c;
		st->connections++;
		gg_log_debug("%s: %s: connected", st->input->name, c->peer);
	}
}

/* Stages every complete frame in c's buffer that c's rate allows. Returns 0 (wants more
 * bytes), 1 when the connection must close (unframeable stream), 2 when c is over its rate
 * and paused until c->resume_at (the frames wait in the buffer), <0 on spool errors. */
static int conn_frames(struct syslog_in *st, struct syslog_conn *c)
{
	int limited = !gg_rate_unlimited(&st->rate);

	for (;;) {
		const char *data;
		size_t len;
		struct gg_error err;
		int r;

		if (limited) {
			uint64_t now = now_ns(), wait = gg_rate_wait(&st->rate, c->rate, now);

			if (wait != 0) {
				c->resume_at = now + wait;
				st->rate_paused++;
				return 2;
			}
		}
		r = gg_syslog_frame_pop(&c->framer, &data, &len, &err);
		if (r == 0)
			return 0;
		if (r == -EMSGSIZE) {
			st->oversized++;
			gg_log_debug("%s: %s: %s", st->input->name, c->peer, err.msg);
			continue;
		}
		if (r < 0) {
			st->protocol_errors++;
			gg_log_info("%s: %s: %s; closing", st->input->name, c->peer, err.msg);
			return 1;
		}
		if (limited)
			gg_rate_spend(&st->rate, &c->rate, now_ns());
		if ((r = syslog_message(st, c->peer, data, len)) < 0)
			return r;
	}
}

/* Reads what c has (a bounded number of reads) and stages its messages in the open batch.
 * Returns 0, 1 when c is finished (closed by the peer, or unframeable), 2 when paused by the
 * rate limit, <0 on spool errors. */
static int conn_read(struct syslog_in *st, struct syslog_conn *c)
{
	for (int i = 0; i < SYSLOG_BURST; i++) {
		enum gg_syslog_tls_want want = GG_TLS_WANT_READ;
		struct gg_error err;
		size_t avail;
		void *space = gg_syslog_frame_space(&c->framer, &avail);
		ssize_t n;
		int r;

		if (avail == 0)
			return 1; /* cannot happen after every frame was popped; never spin on it */
		if (c->tls != NULL) {
			n = gg_syslog_tls_read(c->tls, space, avail, &want, &err);
		} else {
			n = recv(c->fd, space, avail, MSG_DONTWAIT);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0) {
				n = errno == EWOULDBLOCK ? -EAGAIN : -errno;
				gg_error_set(&err, (int)n, "recv: %s", strerror(errno));
			}
		}
		if (n == -EAGAIN) {
			/* TLS may need to write to go on reading (a key update): wait for that. */
			c->want = want == GG_TLS_WANT_WRITE ? EPOLLOUT : EPOLLIN;
			return 0;
		}
		if (n <= 0) {
			const char *data;
			size_t len;

			if (n < 0)
				gg_log_debug("%s: %s: %s", st->input->name, c->peer, err.msg);
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
		c->want = EPOLLIN;
		gg_syslog_frame_commit(&c->framer, (size_t)n);
		if ((r = conn_frames(st, c)) != 0)
			return r;
	}
	/* The burst is spent: what the kernel still holds wakes epoll again, what OpenSSL
	 * already decrypted does not. */
	c->more = c->tls != NULL && gg_syslog_tls_pending(c->tls);
	return 0;
}

/* Opens a batch for the pass if none is: waits while the spool is full (backpressure).
 * Returns 0, 1 when no batch could be begun (try later), -ECANCELED when stopping. */
static int batch_need(struct syslog_in *st, int *open)
{
	/* No read while the spool is full, so senders' TCP windows fill and they slow down.
	 * This blocks the whole thread (and the accepting of new connections and handshakes)
	 * until the publisher makes room; acceptable while one thread serves every
	 * connection, since none of them could be spooled. */
	if (*open)
		return 0;
	if (gg_ingest_wait_room(st->ingest) != 0)
		return -ECANCELED;
	if (syslog_begin(st) != 0)
		return 1;
	*open = 1;
	return 0;
}

/* Group commit: what a read pass staged is written before the next one, so staged records
 * stay bounded by one pass. */
static void batch_check(struct syslog_in *st, int *open)
{
	if (*open && gg_ingest_staged(st->ingest) >= (size_t)st->input->pipeline->cfg->spool.batch) {
		syslog_commit(st);
		*open = 0;
	}
}

/* One turn for conns[k]: a handshake step, or frames left by a pause then reads. Returns 1
 * when the connection was closed (conns[k] is another one now), 0, or -ECANCELED. */
static int conn_service(struct syslog_in *st, size_t k, int *open)
{
	struct syslog_conn *c = st->conns[k];
	int r;

	c->more = 0;
	if (c->resume_at != 0)
		return 0; /* paused: an event queued before it left the set */
	if (c->handshaking) {
		enum gg_syslog_tls_want want = GG_TLS_WANT_READ;
		struct gg_error err;
		char desc[512];

		r = gg_syslog_tls_handshake(c->tls, &want, &err);
		if (r < 0) {
			st->tls_handshake_failed++;
			gg_log_info("%s: %s: %s; closing", st->input->name, c->peer, err.msg);
			conn_close(st, k);
			return 1;
		}
		if (r == 0) {
			c->want = want == GG_TLS_WANT_WRITE ? EPOLLOUT : EPOLLIN;
			goto watch;
		}
		c->handshaking = 0;
		c->want = EPOLLIN;
		gg_syslog_tls_describe(c->tls, desc, sizeof(desc));
		gg_log_debug("%s: %s: %s", st->input->name, c->peer, desc);
		/* The first records may have come with the client's Finished: read on. */
	}
	if ((r = batch_need(st, open)) < 0)
		return r;
	if (r == 1)
		goto watch; /* no batch now: the bytes wait, epoll says when to try again */
	r = conn_frames(st, c); /* what a pause left in the buffer first */
	if (r == 0)
		r = conn_read(st, c);
	if (r < 0) {
		/* A spool error: the connection stays, its next bytes get a new batch. */
		gg_ingest_rollback(st->ingest);
		*open = 0;
	} else if (r == 1) {
		conn_close(st, k);
		return 1;
	} else if (r == 2) {
		c->more = 0;
		if (conn_watch(st, c, 0) != 0) {
			conn_close(st, k);
			return 1;
		}
		return 0;
	}
watch:
	if (conn_watch(st, c, c->want) != 0) {
		conn_close(st, k);
		return 1;
	}
	return 0;
}

/* How long epoll may sleep: not at all while a connection has bytes epoll cannot see, else
 * until the first handshake deadline or end of a pause. */
static int loop_timeout(const struct syslog_in *st)
{
	uint64_t now = now_ns(), next = UINT64_MAX;

	for (size_t k = 0; k < st->n_conns; k++) {
		const struct syslog_conn *c = st->conns[k];

		if (c->more)
			return 0;
		if (c->handshaking && c->deadline < next)
			next = c->deadline;
		if (c->resume_at != 0 && c->resume_at < next)
			next = c->resume_at;
	}
	if (next == UINT64_MAX)
		return -1;
	if (next <= now)
		return 0;
	/* Rounded up: waking a little late is free, waking early is a wasted turn. */
	return (next - now) / 1000000 >= INT_MAX ? INT_MAX : (int)((next - now + 999999) / 1000000);
}

/* Drops handshakes past their deadline, resumes paused connections whose time has come and
 * serves those with bytes epoll cannot announce. Returns 0 or -ECANCELED. */
static int conns_due(struct syslog_in *st, int *open)
{
	uint64_t now = now_ns();
	size_t k = 0;

	while (k < st->n_conns) {
		struct syslog_conn *c = st->conns[k];
		int r;

		if (c->handshaking && now >= c->deadline) {
			st->tls_handshake_failed++;
			gg_log_info("%s: %s: tls handshake not done within %lld ms; closing",
				    st->input->name, c->peer,
				    (long long)st->conf->tls_handshake_timeout_ms);
			conn_close(st, k);
			continue;
		}
		if (c->resume_at != 0 && now >= c->resume_at) {
			c->resume_at = 0;
			c->more = 1;
		}
		if (!c->more) {
			k++;
			continue;
		}
		r = conn_service(st, k, open);
		if (r < 0)
			return r;
		k += r == 0;
		batch_check(st, open);
	}
	return 0;
}

static void *syslog_tcp_main(void *arg)
{
	struct syslog_in *st = arg;
	struct epoll_event evs[SYSLOG_BURST];

	for (;;) {
		int n = epoll_wait(st->epoll_fd, evs, SYSLOG_BURST, loop_timeout(st));
		int stop = 0, open = 0;

		if (n < 0 && errno != EINTR) {
			gg_log_warn("%s: epoll_wait", st->input->name);
			break;
		}
		for (int i = 0; i < n; i++)
			if (evs[i].data.ptr == &st->thread.stop_fd)
				stop = 1;
		if (stop || atomic_load(&st->input->pipeline->stopping))
			break;
		for (int i = 0; i < n && !stop; i++) {
			struct syslog_conn *c = evs[i].data.ptr;
			size_t k;

			if (c == (void *)&st->sock_fd) {
				syslog_accept(st);
				continue;
			}
			for (k = 0; k < st->n_conns && st->conns[k] != c; k++)
				;
			if (k == st->n_conns)
				continue; /* closed earlier in this pass */
			stop = conn_service(st, k, &open) < 0;
			batch_check(st, &open);
		}
		if (!stop)
			stop = conns_due(st, &open) < 0;
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
	gg_input_thread_close(&st->thread);
	for (size_t i = 0; i < st->n_conns; i++)
		conn_free(st->conns[i]);
	free(st->conns);
	gg_ingest_free(st->ingest);
	if (st->spool != NULL)
		gg_spool_close(st->spool);
	gg_syslog_tls_free(st->tls);
	gg_rate_table_free(st->sources);
	int fds[] = { st->sock_fd, st->epoll_fd };

	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		if (fds[i] >= 0)
			close(fds[i]);
	free(st->scratch);
	free(st->dgram);
	free(st->msg);
	gg_map_ctx_free(st->map_ctx);
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

/* The rate limit and, for UDP, the table of sources it is kept for. */
static int syslog_rate_setup(struct syslog_in *st, struct gg_error *err)
{
	const struct syslog_conf *conf = st->conf;
	uint64_t seed = 0;

	if (gg_rate_limit_init(&st->rate, (uint64_t)conf->rate_limit,
			       (uint64_t)conf->rate_burst) != 0)
		return gg_error_set(err, -EINVAL, "rate_limit %lld with rate_burst %lld is out of "
				    "range", (long long)conf->rate_limit,
				    (long long)conf->rate_burst);
	if (st->tcp || gg_rate_unlimited(&st->rate))
		return 0;
	/* The hash seed only has to be unknown to senders; a weak one is no failure. */
	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) != sizeof(seed))
		seed = now_ns() ^ (uint64_t)getpid() << 32;
	if (gg_rate_table_new((size_t)conf->rate_sources, seed, &st->sources) != 0)
		return gg_error_set(err, -ENOMEM, "out of memory");
	return 0;
}

static int syslog_start(struct gg_input *in, struct gg_error *err)
{
	struct syslog_in *st = calloc(1, sizeof(*st));
	struct gg_syslog_tls_conf tc;
	size_t max;
	int r;

	if (st == NULL)
		return gg_error_set(err, -ENOMEM, "out of memory");
	st->sock_fd = st->epoll_fd = -1;
	if ((r = gg_input_thread_init(&st->thread, err)) != 0)
		goto fail;
	st->input = in;
	st->conf = in->conf;
	st->tcp = strcmp(st->conf->protocol, "udp") != 0;
	max = (size_t)st->conf->max_message_size;
	st->scratch = malloc(max);
	st->msg = malloc(sizeof(*st->msg));
	if (st->scratch == NULL || st->msg == NULL ||
	    (!st->tcp && (st->dgram = malloc(max)) == NULL) ||
	    (st->tcp && (st->conns = calloc((size_t)st->conf->max_connections,
					    sizeof(*st->conns))) == NULL)) {
		r = gg_error_set(err, -ENOMEM, "out of memory");
		goto fail;
	}
	if ((r = syslog_rate_setup(st, err)) != 0)
		goto fail;
	if (in->mapper != NULL && (r = gg_mapper_ctx_new(in->mapper, &st->map_ctx, err)) != 0)
		goto fail;
	/* Certificate and key are read before the socket opens (and any privilege drop). */
	if (syslog_tls_conf(st->conf, &tc) && (r = gg_syslog_tls_new(&tc, &st->tls, err)) != 0)
		goto fail;
	if ((r = syslog_socket(st, err)) != 0)
		goto fail;
	if (st->tcp) {
		struct epoll_event lev = { .events = EPOLLIN, .data.ptr = &st->sock_fd };
		struct epoll_event sev = { .events = EPOLLIN, .data.ptr = &st->thread.stop_fd };

		st->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
		if (st->epoll_fd < 0 ||
		    epoll_ctl(st->epoll_fd, EPOLL_CTL_ADD, st->sock_fd, &lev) != 0 ||
		    epoll_ctl(st->epoll_fd, EPOLL_CTL_ADD, st->thread.stop_fd, &sev) != 0) {
			r = gg_error_set(err, -errno, "epoll: %s", strerror(errno));
			goto fail;
		}
	} else if ((r = gg_pipeline_open_spool(in->pipeline, &st->spool, err)) != 0) {
		goto fail;
	}
	if ((r = gg_ingest_new(in->pipeline, in->name, &st->ingest, err)) != 0)
		goto fail;
	if ((r = gg_input_thread_start(&st->thread, st->tcp ? syslog_tcp_main : syslog_udp_main,
					st, err)) != 0)
		goto fail;
	in->state = st;
	gg_log_info("%s: listening on %s/%s", in->name, st->conf->listen, st->conf->protocol);
	return 0;
fail:
	syslog_free(st);
	return r;
}

/* One line of this instance's counters, those of its protocol only. */
static void syslog_counters(const struct syslog_in *st, char *out, size_t size)
{
	int n = snprintf(out, size, "oversized=%llu malformed=%llu",
			 (unsigned long long)st->oversized, (unsigned long long)st->malformed);

	if (n < 0 || (size_t)n >= size)
		return;
	if (!st->tcp) {
		snprintf(out + n, size - (size_t)n, " udp_dropped=%llu rate_limited=%llu",
			 (unsigned long long)st->udp_dropped, (unsigned long long)st->rate_limited);
		return;
	}
	n += snprintf(out + n, size - (size_t)n,
		      " protocol_errors=%llu rate_paused=%llu connections=%llu "
		      "connections_refused=%llu",
		      (unsigned long long)st->protocol_errors, (unsigned long long)st->rate_paused,
		      (unsigned long long)st->connections,
		      (unsigned long long)st->connections_refused);
	if (st->tls != NULL && n > 0 && (size_t)n < size)
		snprintf(out + n, size - (size_t)n, " tls_handshake_failed=%llu",
			 (unsigned long long)st->tls_handshake_failed);
}

static void syslog_log_counters(const struct gg_input *in)
{
	char line[512];

	if (in->state == NULL)
		return;
	syslog_counters(in->state, line, sizeof(line));
	gg_log_info("%s: counters: %s", in->name, line);
}

static void syslog_stop(struct gg_input *in)
{
	struct syslog_in *st = in->state;
	char line[512];

	if (st == NULL)
		return;
	gg_input_thread_stop(&st->thread);
	syslog_counters(st, line, sizeof(line));
	gg_log_info("%s: stopped: %s", in->name, line);
	syslog_free(st);
	in->state = NULL;
}

const struct gg_adapter gg_in_syslog = {
	.name = "syslog",
	.desc = "syslog listener: RFC 5424 / RFC 3164 over UDP, TCP with RFC 6587 framing, or "
		"TLS (RFC 5425)",
	.options = syslog_options,
	.conf_size = sizeof(struct syslog_conf),
	.check = syslog_check,
	.start = syslog_start,
	.stop = syslog_stop,
	.log_counters = syslog_log_counters,
};
