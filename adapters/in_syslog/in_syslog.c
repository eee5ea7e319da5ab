/* in_syslog.c: listens for syslog over UDP (one datagram, one message), TCP (RFC 6587 octet
 * counting or LF framing) or TLS (RFC 5425) and turns each message into an IODEF 2.0 incident
 * (through the input's mappings, or the generic incident), with per-source rate limits: UDP
 * drops over the limit, TCP and TLS stop reading. This file holds the options, the lifecycle,
 * the message path and the UDP loop; syslog/syslog_stream.c serves TCP and TLS connections. */
#include "in_syslog/in_syslog.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "base/counters.h"
#include "base/input_thread.h"
#include "base/log.h"
#include "engine/emit.h"
#include "engine/emit_pool.h"
#include "engine/pipeline.h"
#include "formats/syslog_frame.h"
#include "formats/syslog_parse.h"
#include "in_syslog/syslog_peer.h"
#include "in_syslog/syslog_rate.h"
#include "in_syslog/syslog_stream.h"
#include "in_syslog/syslog_tls.h"

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
	int64_t workers;
	int64_t receive_buffer;
};

/* Largest max_message_size: the framer's octet count and the base64 RecordItem stay far from
 * int limits; a document over max_document_size is cut to fit by the ingest path. */
#define SYSLOG_MAX_SIZE_LIMIT (16 * 1024 * 1024)

static const char *const syslog_protocols[] = { "udp", "tcp", "tls", NULL };

static const struct gg_option syslog_options[] = {
	{ "listen", GG_OPT_STRING, "127.0.0.1:5514", offsetof(struct syslog_conf, listen),
	  .help = "numeric address and port to listen on: 192.0.2.1:514, [2001:db8::1]:514, :514 (every "
	  "address); RFC 5425's port for tls is 6514" },
	{ "protocol", GG_OPT_STRING, "udp", offsetof(struct syslog_conf, protocol),
	  .help = "udp (one datagram per message), tcp (RFC 6587 octet counting or LF framing) or tls "
	  "(RFC 5425: TLS 1.2 or later, then the same framing)", .words = syslog_protocols },
	{ "max_message_size", GG_OPT_SIZE, "64k", offsetof(struct syslog_conf, max_message_size),
	  .help = "longer messages are counted and dropped (480: the RFC 5424 minimum)", .min = 480,
	  .max = SYSLOG_MAX_SIZE_LIMIT },
	{ "max_connections", GG_OPT_INT, "256", offsetof(struct syslog_conf, max_connections),
	  .help = "tcp, tls: connections beyond this are closed at once (and counted)", .min = 1,
	  .max = 1000000 },
	{ "rate_limit", GG_OPT_INT, "0", offsetof(struct syslog_conf, rate_limit),
	  .help = "messages per second per source, 0: unlimited; udp: per address, datagrams over it are "
	  "dropped and counted; tcp, tls: per connection, reading pauses (backpressure)",
	  .min = 0, .max = 1000000000 },
	{ "rate_burst", GG_OPT_INT, "0", offsetof(struct syslog_conf, rate_burst),
	  .help = "messages a quiet source may send at once beyond rate_limit; 0: one second's worth",
	  .min = 0, .max = 1000000000 },
	{ "rate_sources", GG_OPT_INT, "4096", offsetof(struct syslog_conf, rate_sources),
	  .help = "udp: source addresses whose rate is tracked; a new one takes the idlest one's place",
	  .min = 1, .max = 1 << 24 },
	{ "tls_cert", GG_OPT_STRING, NULL, offsetof(struct syslog_conf, tls_cert),
	  .help = "tls: the server certificate (PEM, chain after it), required",
	  .flags = GG_OPT_FILE },
	{ "tls_key", GG_OPT_STRING, NULL, offsetof(struct syslog_conf, tls_key),
	  .help = "tls: the server certificate's private key (PEM), required",
	  .flags = GG_OPT_FILE },
	{ "tls_client_ca", GG_OPT_STRING, NULL, offsetof(struct syslog_conf, tls_client_ca),
	  .help = "tls: CA certificates (PEM) that client certificates must chain to; a client "
	  "certificate is asked for, and one that does not verify is refused",
	  .flags = GG_OPT_FILE },
	{ "tls_require_client_cert", GG_OPT_BOOL, "no",
	  offsetof(struct syslog_conf, tls_require_client_cert),
	  .help = "tls: refuse clients without a certificate (needs tls_client_ca)" },
	{ "tls_handshake_timeout", GG_OPT_DURATION, "10s",
	  offsetof(struct syslog_conf, tls_handshake_timeout_ms),
	  .help = "tls: a handshake not done by then is dropped and counted, freeing its connection",
	  .min = 1, .max = 3600 * 1000 },
	{ "workers", GG_OPT_INT, "2", offsetof(struct syslog_conf, workers),
	  .help = "tcp, tls: threads that parse, map and check the messages while the input's "
	  "thread reads on and one more writes their batches to the spool; more than the cores "
	  "gains nothing", .min = 1,
	  .max = GG_EMIT_POOL_MAX_WORKERS },
	{ "receive_buffer", GG_OPT_SIZE, "4M", offsetof(struct syslog_conf, receive_buffer),
	  .help = "udp: the socket's receive buffer (SO_RCVBUF), what a burst may queue while the "
	  "input is busy; the kernel drops the rest (counted in udp_overflow). Past "
	  "net.core.rmem_max only as root (SO_RCVBUFFORCE); a capped buffer is logged at start",
	  .min = 4096, .max = 1 << 30 },
	GG_OPTIONS_END,
};

/* Datagrams handled before the batch is committed and the stop is checked. */
#define SYSLOG_BURST 64

/* Written by the input's threads, read by the main thread's counter log: one struct, so one
 * table describes them all; the stream (tcp, tls) counts in its part. */
struct syslog_counters {
	atomic_uint_fast64_t udp_dropped;  /* udp: spool full */
	atomic_uint_fast64_t udp_overflow; /* udp: dropped by the kernel, receive buffer full */
	atomic_uint_fast64_t rate_limited; /* udp: datagrams over rate_limit, dropped */
	atomic_uint_fast64_t malformed;
	atomic_uint_fast64_t bad_pri; /* no valid PRI: read as <13> */
	atomic_uint_fast64_t empty;   /* nothing in them: dropped */
	struct gg_syslog_stream_counters stream;
};

#define SC(field) offsetof(struct syslog_counters, field)
static const struct gg_counter syslog_counter_rows[] = {
	{ "oversized", "messages over max_message_size, dropped", SC(stream.oversized) },
	{ "truncated", "tcp, tls: frames cut by the end of their connection, or left unread when "
	  "the input stopped, dropped",
	  SC(stream.truncated) },
	{ "malformed", "messages that never became a document, quarantined", SC(malformed) },
	{ "bad_pri", "messages without a valid PRI (none, out of range or malformed), read as "
	  "<13> user.notice and kept", SC(bad_pri) },
	{ "empty", "messages with nothing in them (no text, no structured data: a blank line, a "
	  "PRI alone), dropped", SC(empty) },
	{ "protocol_errors", "tcp, tls: connections whose framing broke, closed",
	  SC(stream.protocol_errors) },
	{ "udp_dropped", "udp: datagrams dropped while the spool was full", SC(udp_dropped) },
	{ "udp_overflow", "udp: datagrams the kernel dropped, the receive buffer full (counted when "
	  "the next datagram is read)", SC(udp_overflow) },
	{ "rate_limited", "udp: datagrams over rate_limit, dropped", SC(rate_limited) },
	{ "rate_paused", "tcp, tls: times a connection's reading paused for rate_limit",
	  SC(stream.rate_paused) },
	{ "connections", "tcp, tls: connections accepted", SC(stream.connections) },
	{ "connections_refused", "tcp, tls: connections closed at once, beyond max_connections",
	  SC(stream.connections_refused) },
	{ "tls_handshake_failed", "tls: handshakes refused, failed or timed out",
	  SC(stream.tls_handshake_failed) },
	{ "log_suppressed", "tcp, tls: connection notices over the log budget, counted only",
	  SC(stream.log_suppressed) },
	GG_COUNTERS_END,
};
#undef SC

struct syslog_in {
	struct gg_input *input;
	const struct syslog_conf *conf;
	struct gg_emitter *emitter; /* udp */
	struct gg_emit_pool *pool;  /* tcp, tls: messages are mapped and spooled by its workers */
	struct gg_syslog_tls *tls; /* protocol tls */
	struct gg_rate_limit rate;
	struct gg_rate_table *sources; /* UDP with a rate limit */
	int tcp; /* a stream: tcp or tls */
	struct gg_syslog_stream *stream; /* tcp, tls */
	int sock_fd;
	struct gg_input_thread thread;
	char *dgram; /* UDP receive buffer, max_message_size bytes */
	uint32_t kernel_drops; /* UDP: the socket's drop count as last reported (SO_RXQ_OVFL) */
	int receive_buffer;    /* UDP: the bytes the kernel granted, for the start's log line */
	/* Written by the input's thread, read by the main thread's counter log; tcp and tls
	 * count the rest in the stream. */
	struct syslog_counters counters;
};

/* Numbers the messages of this process: with the peer it makes each message's origin, so
 * two identical lines from one sender are two records, not a replay. It starts at the time
 * the first input opened, in nanoseconds: a sender meeting the next run from the same port
 * does not meet the same numbers again, since its records' ids are not checked (stream). */
static atomic_uint_fast64_t syslog_seq;

static void syslog_seq_init(void)
{
	uint_fast64_t unset = 0;
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	atomic_compare_exchange_strong(&syslog_seq, &unset,
				       (uint_fast64_t)now.tv_sec * 1000000000u + (uint_fast64_t)now.tv_nsec);
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

/* What the table cannot say: a numeric listen address, tls_* only with tls, and (for tls) a
 * certificate and key that load, so check-config finds them rather than the start. */
static int syslog_check(const void *conf_ptr, const char **key, struct gg_error *err)
{
	static const char *const tls_keys[] = { "tls_cert", "tls_key", "tls_client_ca",
						"tls_require_client_cert" };
	const struct syslog_conf *conf = conf_ptr;
	char host[NI_MAXHOST], port[NI_MAXSERV];
	struct addrinfo hints = { .ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV,
				  .ai_socktype = SOCK_DGRAM };
	struct addrinfo *res = NULL;
	struct gg_syslog_tls_conf tc;
	struct gg_syslog_tls *tls;
	int r;

	*key = "listen";
	if (split_listen(conf->listen, host, sizeof(host), port, sizeof(port)) != 0)
		return gg_error_set(err, -EINVAL, "must be ADDRESS:PORT or [IPV6]:PORT with a port "
				    "of 1..65535 (ADDRESS empty: every address)");
	if (host[0] != '\0' && (r = getaddrinfo(host, port, &hints, &res)) != 0)
		return gg_error_set(err, -EINVAL, "%s is not a numeric IPv4 or IPv6 address (%s); "
				    "write 127.0.0.1, [::1] or the address of an interface",
				    host, gai_strerror(r));
	freeaddrinfo(res);
	const void *set[] = { conf->tls_cert, conf->tls_key, conf->tls_client_ca,
			      conf->tls_require_client_cert ? conf : NULL };

	if (!syslog_tls_conf(conf, &tc)) {
		for (size_t i = 0; i < 4; i++) {
			if (set[i] != NULL) {
				*key = tls_keys[i];
				return gg_error_set(err, -EINVAL, "needs protocol = tls (protocol "
						    "is %s)", conf->protocol);
			}
		}
		*key = NULL;
		return 0;
	}
	*key = conf->tls_cert == NULL ? "tls_cert" : conf->tls_key == NULL ? "tls_key" : NULL;
	if (*key != NULL)
		return gg_error_set(err, -EINVAL, "protocol = tls needs tls_cert and tls_key");
	*key = conf->tls_require_client_cert ? "tls_require_client_cert" : "tls_cert";
	/* Loading them here makes check-config find a bad certificate or key, not the start. */
	if (gg_syslog_tls_new(&tc, &tls, err) != 0)
		return -EINVAL;
	gg_syslog_tls_free(tls);
	*key = NULL;
	return 0;
}

#define SYSLOG_ORIGIN_MAX (GG_SYSLOG_PEER_MAX + 24)

/* One message as a record, its origin "host:port:seq" numbered as it is read, on the input's
 * thread, without the line end a datagram or an octet-counted frame may carry. The origin (and
 * so the id) keeps the sender's port, the mappings get its address alone (syslog_peer.h). A
 * message without a valid PRI is kept (RFC 3164 section 4.3.3: the engine reads it as <13>)
 * and counted, so that its sender can be found and fixed. */
static struct gg_record syslog_record(struct syslog_in *st, const struct gg_syslog_peer *peer,
				      char origin[SYSLOG_ORIGIN_MAX], const char *data, size_t len)
{
	size_t n = gg_syslog_frame_trim(data, len), pri_len;
	int prival;

	/* Nothing at all is no message without a PRI: the engine counts it as empty. */
	if (n > 0 && gg_syslog_pri(data, n, &prival, &pri_len) != GG_SYSLOG_PRI_VALID)
		atomic_fetch_add(&st->counters.bad_pri, 1);
	snprintf(origin, SYSLOG_ORIGIN_MAX, "%s:%llu", peer->name,
		 (unsigned long long)atomic_fetch_add(&syslog_seq, 1));
	return (struct gg_record){ .kind = GG_RECORD_SYSLOG, .origin = origin,
				   .peer = gg_syslog_peer_addr(peer), .bytes = data, .len = n };
}

/* Counts what the engine refused or found empty, on whichever thread emitted it. */
static void syslog_outcome(void *ctx, enum gg_emit_outcome outcome)
{
	struct syslog_in *st = ctx;

	if (outcome == GG_EMIT_REFUSED)
		atomic_fetch_add(&st->counters.malformed, 1);
	else if (outcome == GG_EMIT_EMPTY)
		atomic_fetch_add(&st->counters.empty, 1);
}

/* Hands one message to the engine. Returns <0 only when the batch cannot go on. */
static int syslog_message(struct syslog_in *st, const struct gg_syslog_peer *peer,
			  const char *data, size_t len)
{
	char origin[SYSLOG_ORIGIN_MAX];
	struct gg_record rec = syslog_record(st, peer, origin, data, len);
	enum gg_emit_outcome outcome;
	struct gg_error why;
	int r;

	r = gg_emit(st->emitter, &rec, &outcome, &why);
	if (r < 0) {
		gg_log_warnx("%s: %s: %s", st->input->name, peer->name, why.msg);
		return r;
	}
	syslog_outcome(st, outcome);
	return 0;
}

/* Opens a batch; the stream waits for room (its senders wait with it), UDP does not. */
static int syslog_begin(struct syslog_in *st)
{
	struct gg_error err;
	int r = gg_batch_begin(st->emitter, st->tcp, &err);

	if (r == 0 || r == -ECANCELED)
		return r;
	gg_log_warnx("%s: spool: %s", st->input->name, err.msg);
	/* The sockets stay readable: without a pause a broken spool spins the loop. A stop
	 * ends the pause at once. */
	if (gg_input_thread_wait(&st->thread, -1, 1000) == -ECANCELED)
		return -ECANCELED;
	return -EIO;
}

static void syslog_commit(struct syslog_in *st)
{
	struct gg_error err;

	if (gg_batch_commit(st->emitter, &err) != 0) {
		/* Syslog has no acknowledgement and no retransmission: what was staged is lost. */
		gg_log_warnx("%s: spool commit: %s; %zu messages lost", st->input->name, err.msg,
			     gg_batch_staged(st->emitter));
		gg_batch_rollback(st->emitter);
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

/* One datagram into st->dgram, as recvfrom reads it (MSG_TRUNC: its whole length, to find
 * the oversized). With SO_RXQ_OVFL the kernel puts the socket's cumulative count of drops
 * (receive buffer full) on each datagram queued after one: what it grew by since the last
 * one read is added to udp_overflow, so a flood past the buffer is seen, not just lost. */
static ssize_t syslog_recv(struct syslog_in *st, struct sockaddr_storage *sa, socklen_t *salen)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(uint32_t))];
	} control;
	struct iovec iov = { st->dgram, (size_t)st->conf->max_message_size };
	struct msghdr mh = { .msg_name = sa, .msg_namelen = *salen, .msg_iov = &iov,
			     .msg_iovlen = 1, .msg_control = control.buf,
			     .msg_controllen = sizeof(control.buf) };
	ssize_t n = recvmsg(st->sock_fd, &mh, MSG_TRUNC | MSG_DONTWAIT);

	if (n < 0)
		return n;
	*salen = mh.msg_namelen;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c != NULL; c = CMSG_NXTHDR(&mh, c)) {
		uint32_t drops;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SO_RXQ_OVFL)
			continue;
		memcpy(&drops, CMSG_DATA(c), sizeof(drops));
		/* The count wraps at 2^32; the unsigned difference does not mind. */
		st->counters.udp_overflow += (uint32_t)(drops - st->kernel_drops);
		st->kernel_drops = drops;
	}
	return n;
}

/* Reads up to a burst of datagrams. UDP senders cannot be slowed down, so while the spool is
 * full, or a source is over its rate, datagrams are read and dropped (and counted) rather
 * than left to overflow the kernel buffer unseen. A burst stages no more than the room the
 * spool has left: checking "full" once per burst let a flood pass max_pending by a burst. */
static void syslog_udp_burst(struct syslog_in *st)
{
	size_t cap = (size_t)st->conf->max_message_size;
	int64_t room = gg_batch_room(st->emitter);
	int open = 0;

	for (int i = 0; i < SYSLOG_BURST; i++) {
		struct sockaddr_storage sa;
		socklen_t salen = sizeof(sa);
		struct gg_syslog_peer peer;
		unsigned char key[GG_RATE_KEY_MAX];
		ssize_t n = syslog_recv(st, &sa, &salen);

		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				gg_log_warn("%s: recvmsg", st->input->name);
			break;
		}
		if (room <= 0) {
			st->counters.udp_dropped++;
			continue;
		}
		if (st->sources != NULL &&
		    !gg_rate_table_take(st->sources, &st->rate, key, source_key(&sa, key),
					gg_syslog_now_ns())) {
			st->counters.rate_limited++;
			continue;
		}
		if ((size_t)n > cap) {
			st->counters.stream.oversized++;
			continue;
		}
		if (!open) {
			if (syslog_begin(st) != 0)
				return;
			open = 1;
		}
		gg_syslog_peer_of(&sa, salen, &peer);
		if (syslog_message(st, &peer, st->dgram, (size_t)n) < 0) {
			gg_batch_rollback(st->emitter);
			return;
		}
		room--;
	}
	if (open)
		syslog_commit(st);
}

static void *syslog_udp_main(void *arg)
{
	struct syslog_in *st = arg;

	for (;;) {
		int r = gg_input_thread_wait(&st->thread, st->sock_fd, -1);

		if (r < 0 && r != -ECANCELED)
			gg_log_warnx("%s: poll: %s", st->input->name, strerror(-r));
		if (r < 0 || atomic_load(&st->input->pipeline->stopping))
			break;
		if (r == 1)
			syslog_udp_burst(st);
	}
	return NULL;
}

/* The stream hands its messages to the pool's queue; the workers map, check and commit them
 * in spool batches while the stream reads on. A stream "batch" is a stretch of reading while
 * the queue has room: it begins by waiting for room (the pool's workers wait for room in the
 * spool, so a full spool stops the reading too) and ends when the queue is over its bound. */
static int stream_begin(void *ctx)
{
	struct syslog_in *st = ctx;

	return gg_emit_pool_wait(st->pool);
}

static int stream_message(void *ctx, const struct gg_syslog_peer *peer, const char *data,
			  size_t len)
{
	struct syslog_in *st = ctx;
	char origin[SYSLOG_ORIGIN_MAX];
	struct gg_record rec = syslog_record(st, peer, origin, data, len);
	struct gg_error err;
	int r;

	if ((r = gg_emit_pool_put(st->pool, &rec, &err)) < 0)
		gg_log_warnx("%s: %s: %s", st->input->name, peer->name, err.msg);
	return r;
}

/* The queue's bound ends a turn: one pass over many connections can read far more than the
 * workers keep up with. */
static int stream_full(void *ctx)
{
	struct syslog_in *st = ctx;

	return gg_emit_pool_full(st->pool);
}

/* The pass ended: idle workers take what is queued (group commit at the pass's end). */
static void stream_end(void *ctx, int commit)
{
	struct syslog_in *st = ctx;

	(void)commit; /* nothing is staged here: a failed put lost only its own message */
	gg_emit_pool_flush(st->pool);
}

static void *syslog_tcp_main(void *arg)
{
	struct syslog_in *st = arg;

	gg_syslog_stream_run(st->stream);
	return NULL;
}

static void syslog_free(struct syslog_in *st)
{
	if (st == NULL)
		return;
	if (st->pool != NULL)
		gg_emit_pool_cancel(st->pool); /* the stream may wait for room in its queue */
	gg_input_thread_close(&st->thread);
	gg_emit_pool_free(st->pool); /* drains: what was read is committed */
	gg_syslog_stream_free(st->stream);
	gg_emitter_free(st->emitter);
	gg_syslog_tls_free(st->tls);
	gg_rate_table_free(st->sources);
	if (st->sock_fd >= 0)
		close(st->sock_fd);
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
		/* TCP: a restart rebinds while the last run's connections sit in TIME_WAIT. Not
		 * UDP, where it lets a second process bind the same port and take its share of
		 * the datagrams without a word: a second listener must fail to start instead. */
		if (st->tcp)
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

/* A UDP socket's receive buffer: what a burst may queue while the input maps and commits.
 * Linux caps SO_RCVBUF at net.core.rmem_max (212992 by default: a few hundred datagrams);
 * SO_RCVBUFFORCE passes it for root, which the input still is here. A capped buffer is
 * logged, since it is lost datagrams later. SO_RXQ_OVFL makes the kernel's drops countable
 * (syslog_recv). Neither failing stops the input. */
static void syslog_udp_buffer(struct syslog_in *st)
{
	int want = (int)st->conf->receive_buffer, got = 0, one = 1;
	socklen_t len = sizeof(got);

	if (setsockopt(st->sock_fd, SOL_SOCKET, SO_RCVBUFFORCE, &want, sizeof(want)) != 0 &&
	    setsockopt(st->sock_fd, SOL_SOCKET, SO_RCVBUF, &want, sizeof(want)) != 0)
		gg_log_warn("%s: receive_buffer %d", st->input->name, want);
	/* Linux reports twice what it grants: the other half is its bookkeeping. */
	if (getsockopt(st->sock_fd, SOL_SOCKET, SO_RCVBUF, &got, &len) == 0)
		st->receive_buffer = got / 2;
	if (st->receive_buffer > 0 && st->receive_buffer < want)
		gg_log_warnx("%s: receive_buffer %d capped by the kernel at %d bytes "
			     "(net.core.rmem_max); a burst past it is dropped, counted in "
			     "udp_overflow", st->input->name, want, st->receive_buffer);
	if (setsockopt(st->sock_fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof(one)) != 0)
		gg_log_warn("%s: SO_RXQ_OVFL: datagrams the kernel drops are not counted",
			    st->input->name);
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
		seed = gg_syslog_now_ns() ^ (uint64_t)getpid() << 32;
	if (gg_rate_table_new((size_t)conf->rate_sources, seed, &st->sources) != 0)
		return gg_error_set(err, -ENOMEM, "out of memory");
	return 0;
}

/* The certificate and key, the listening socket (a port below 1024 needs root), the stream,
 * the emitters: all before privileges go; reading starts in syslog_start. */
static int syslog_open(struct gg_input *in, struct gg_error *err)
{
	struct syslog_in *st = calloc(1, sizeof(*st));
	struct gg_syslog_tls_conf tc;
	size_t max;
	int r;

	if (st == NULL)
		return gg_error_set(err, -ENOMEM, "out of memory");
	syslog_seq_init();
	st->sock_fd = -1;
	if ((r = gg_input_thread_init(&st->thread, err)) != 0)
		goto fail;
	st->input = in;
	st->conf = in->conf;
	st->tcp = strcmp(st->conf->protocol, "udp") != 0;
	max = (size_t)st->conf->max_message_size;
	if (!st->tcp && (st->dgram = malloc(max)) == NULL) {
		r = gg_error_set(err, -ENOMEM, "out of memory");
		goto fail;
	}
	if ((r = syslog_rate_setup(st, err)) != 0)
		goto fail;
	/* Certificate and key are read before the socket opens (and any privilege drop). */
	if (syslog_tls_conf(st->conf, &tc) && (r = gg_syslog_tls_new(&tc, &st->tls, err)) != 0)
		goto fail;
	if ((r = syslog_socket(st, err)) != 0)
		goto fail;
	if (!st->tcp)
		syslog_udp_buffer(st);
	if (st->tcp) {
		struct gg_syslog_stream_conf sc = {
			.name = in->name,
			.listen_fd = st->sock_fd,
			.stop_fd = st->thread.stop_fd,
			.stopping = &in->pipeline->stopping,
			.tls = st->tls,
			.rate = &st->rate,
			.max_message_size = max,
			.max_connections = (size_t)st->conf->max_connections,
			.handshake_timeout_ms = st->conf->tls_handshake_timeout_ms,
			.counters = &st->counters.stream,
		};
		struct gg_syslog_stream_sink sink = { .ctx = st,
						      .begin = stream_begin,
						      .message = stream_message,
						      .full = stream_full,
						      .end = stream_end };

		if ((r = gg_syslog_stream_new(&sc, &sink, &st->stream, err)) != 0)
			goto fail;
	}
	if (st->tcp) {
		struct gg_emit_pool_opts po = { .workers = (unsigned)st->conf->workers,
						.emitter = { .max_syslog = max, .stream = 1 },
						.outcome = syslog_outcome,
						.ctx = st };

		if ((r = gg_emit_pool_new(in, &po, &st->pool, err)) != 0)
			goto fail;
	} else if ((r = gg_emitter_new(in, &(struct gg_emitter_opts){ .max_syslog = max,
									.stream = 1 },
				       &st->emitter, err)) != 0) {
		goto fail;
	}
	in->state = st;
	return 0;
fail:
	syslog_free(st);
	return r;
}

static int syslog_start(struct gg_input *in, struct gg_error *err)
{
	struct syslog_in *st = in->state;
	int r = gg_input_thread_start(&st->thread, st->tcp ? syslog_tcp_main : syslog_udp_main,
				      st, err);

	if (r == 0 && st->receive_buffer > 0)
		gg_log_info("%s: listening on %s/%s (receive buffer %d bytes)", in->name,
			    st->conf->listen, st->conf->protocol, st->receive_buffer);
	else if (r == 0)
		gg_log_info("%s: listening on %s/%s", in->name, st->conf->listen,
			    st->conf->protocol);
	return r;
}

static const void *syslog_counters_of(const struct gg_input *in)
{
	const struct syslog_in *st = in->state;

	return &st->counters;
}

static void syslog_stop(struct gg_input *in)
{
	struct syslog_in *st = in->state;

	if (st == NULL)
		return;
	if (st->pool != NULL)
		gg_emit_pool_cancel(st->pool); /* the stream may wait for room in its queue */
	gg_input_thread_stop(&st->thread);
	/* Drains the queue before the last counters: every message read is committed. */
	gg_emit_pool_free(st->pool);
	st->pool = NULL;
}

static void syslog_release(struct gg_input *in)
{
	syslog_free(in->state);
	in->state = NULL;
}

const struct gg_adapter gg_in_syslog = {
	.name = "syslog",
	.desc = "syslog listener: RFC 5424 / RFC 3164 over UDP, TCP with RFC 6587 framing, or "
		"TLS (RFC 5425)",
	.options = syslog_options,
	.conf_size = sizeof(struct syslog_conf),
	.check = syslog_check,
	.open = syslog_open,
	.start = syslog_start,
	.stop = syslog_stop,
	.free = syslog_release,
	.counters = syslog_counter_rows,
	.counters_of = syslog_counters_of,
};
