/* syslog_stream.c: the syslog input's TCP and TLS connections: accepting them (up to
 * max_connections), the TLS handshake under its deadline, reads through the RFC 6587 framer,
 * per-connection rate pauses (the connection leaves the epoll set, so its sender's window
 * fills) and closing, all on one epoll loop. */
#include "in_syslog/syslog_stream.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "formats/syslog_frame.h"

/* Reads of one connection in one turn, and epoll events taken in one wait: a busy
 * connection cannot starve the others, nor a burst of events the stop. */
#define STREAM_BURST 64

uint64_t gg_syslog_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

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
	struct gg_syslog_peer peer;
	struct gg_syslog_framer framer;
	unsigned char buf[];
};

/* Notices about single connections (refused handshakes, framing errors, timeouts) are
 * caused by remote peers, so a scanner could write the log full: at most this many a minute
 * are logged per input, the rest only counted (log_suppressed). */
#define CONN_NOTICES_PER_MINUTE 20

struct gg_syslog_stream {
	struct gg_syslog_stream_conf conf;
	struct gg_syslog_stream_sink sink;
	struct gg_syslog_stream_counters *counters; /* conf->counters */
	uint64_t notice_window; /* start of the current minute of notices, ns */
	unsigned notices;       /* logged in it */
	int epoll_fd;
	struct syslog_conn **conns; /* max_connections slots, the first n_conns in use */
	size_t n_conns;
	struct pollfd *pfds; /* max_connections, for conns_reap */
};

/* Puts c's socket in the epoll set for events, or takes it out (0): a paused connection is
 * out of the set, so neither its data nor its hang-up wakes the loop before its time. */
static int conn_watch(struct gg_syslog_stream *s, struct syslog_conn *c, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = c };
	int op;

	if (events == c->watching)
		return 0;
	op = c->watching == 0 ? EPOLL_CTL_ADD : events == 0 ? EPOLL_CTL_DEL : EPOLL_CTL_MOD;
	if (epoll_ctl(s->epoll_fd, op, c->fd, &ev) != 0) {
		int saved = errno;

		gg_log_warn("%s: %s: epoll_ctl", s->conf.name, c->peer.name);
		return -saved;
	}
	c->watching = events;
	return 0;
}

/* Whether one more connection notice may be logged now (see CONN_NOTICES_PER_MINUTE). */
static bool conn_notice_allowed(struct gg_syslog_stream *s)
{
	uint64_t now = gg_syslog_now_ns();

	if (now - s->notice_window >= 60ull * 1000000000ull) {
		if (s->notices > CONN_NOTICES_PER_MINUTE)
			gg_log_info("%s: %u connection notices in the last minute, %u not logged",
				    s->conf.name, s->notices,
				    s->notices - CONN_NOTICES_PER_MINUTE);
		s->notice_window = now;
		s->notices = 0;
	}
	if (s->notices++ < CONN_NOTICES_PER_MINUTE)
		return true;
	s->counters->log_suppressed++;
	return false;
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

static void conn_close(struct gg_syslog_stream *s, size_t i)
{
	struct syslog_conn *c = s->conns[i];

	gg_log_debug("%s: %s: closed", s->conf.name, c->peer.name);
	conn_free(c);
	s->conns[i] = s->conns[--s->n_conns];
}

/* Stages every complete frame in c's buffer that c's rate allows. Returns 0 (wants more
 * bytes), 1 when the connection must close (unframeable stream), 2 when c is over its rate
 * and paused until c->resume_at (the frames wait in the buffer), <0 on spool errors. */
static int conn_frames(struct gg_syslog_stream *s, struct syslog_conn *c)
{
	int limited = !gg_rate_unlimited(s->conf.rate);

	for (;;) {
		const char *data;
		size_t len;
		struct gg_error err;
		int r;

		if (limited) {
			uint64_t now = gg_syslog_now_ns();
			uint64_t wait = gg_rate_wait(s->conf.rate, c->rate, now);

			if (wait != 0) {
				c->resume_at = now + wait;
				s->counters->rate_paused++;
				return 2;
			}
		}
		r = gg_syslog_frame_pop(&c->framer, &data, &len, &err);
		if (r == 0)
			return 0;
		if (r == -EMSGSIZE) {
			s->counters->oversized++;
			gg_log_debug("%s: %s: %s", s->conf.name, c->peer.name, err.msg);
			continue;
		}
		if (r < 0) {
			s->counters->protocol_errors++;
			if (conn_notice_allowed(s))
				gg_log_info("%s: %s: %s; closing", s->conf.name, c->peer.name, err.msg);
			return 1;
		}
		if (limited)
			gg_rate_spend(s->conf.rate, &c->rate, gg_syslog_now_ns());
		if ((r = s->sink.message(s->sink.ctx, &c->peer, data, len)) < 0)
			return r;
	}
}

/* An orderly end (FIN, or TLS close_notify): a last LF-framed message that lost its
 * trailer is still delivered, an octet-counted frame shorter than its count is dropped.
 * Returns 1 (c is finished) or <0 on spool errors. */
static int conn_finish(struct gg_syslog_stream *s, struct syslog_conn *c)
{
	const char *data;
	size_t len;
	struct gg_error err;
	int r = gg_syslog_frame_finish(&c->framer, &data, &len, &err);

	if (r == 1) {
		r = s->sink.message(s->sink.ctx, &c->peer, data, len);
		return r < 0 ? r : 1;
	}
	if (r < 0)
		gg_log_debug("%s: %s: %s", s->conf.name, c->peer.name, err.msg);
	if (r == -EPIPE)
		s->counters->truncated++;
	else if (r == -EMSGSIZE)
		s->counters->oversized++;
	else if (r < 0)
		s->counters->protocol_errors++;
	return 1;
}

/* Reads what c has (a bounded number of reads) and stages its messages in the open batch.
 * Returns 0, 1 when c is finished (closed by the peer, or unframeable), 2 when paused by the
 * rate limit, <0 on spool errors. */
static int conn_read(struct gg_syslog_stream *s, struct syslog_conn *c)
{
	for (int i = 0; i < STREAM_BURST; i++) {
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
		if (n < 0) {
			/* An abortive end (a reset, a read error, TLS without close_notify):
			 * the unfinished frame was cut by it, whatever its framing. */
			gg_log_debug("%s: %s: %s", s->conf.name, c->peer.name, err.msg);
			if (gg_syslog_frame_abort(&c->framer))
				s->counters->truncated++;
			return 1;
		}
		if (n == 0)
			return conn_finish(s, c);
		c->want = EPOLLIN;
		gg_syslog_frame_commit(&c->framer, (size_t)n);
		if ((r = conn_frames(s, c)) != 0)
			return r;
		/* A full batch ends the turn: it is committed, and the next turn waits for room
		 * in the spool first. Reading on would stage a whole burst (64 reads, thousands
		 * of small messages) past max_pending, held in memory until the pass ends. */
		if (s->sink.full(s->sink.ctx)) {
			c->more = 1;
			return 0;
		}
	}
	/* The burst is spent: what the kernel still holds wakes epoll again, what OpenSSL
	 * already decrypted does not. */
	c->more = c->tls != NULL && gg_syslog_tls_pending(c->tls);
	return 0;
}

/* Opens a batch for the pass if none is: the sink waits while the spool is full
 * (backpressure). Returns 0, 1 when no batch could be begun (try later), -ECANCELED when
 * stopping. */
static int batch_need(struct gg_syslog_stream *s, int *open)
{
	/* No read while the spool is full, so senders' TCP windows fill and they slow down.
	 * This blocks the whole thread (and the accepting of new connections and handshakes)
	 * until the publisher makes room; acceptable while one thread serves every
	 * connection, since none of them could be spooled. */
	int r;

	if (*open)
		return 0;
	if ((r = s->sink.begin(s->sink.ctx)) != 0)
		return r;
	*open = 1;
	return 0;
}

/* Group commit: a batch is written when it is full (a turn ends there) and at the end of a
 * pass, so staged records stay bounded by a batch and what one read brought. */
static void batch_check(struct gg_syslog_stream *s, int *open)
{
	if (*open && s->sink.full(s->sink.ctx)) {
		s->sink.end(s->sink.ctx, 1);
		*open = 0;
	}
}

/* One turn for conns[k]: a handshake step, or frames left by a pause then reads. Returns 1
 * when the connection was closed (conns[k] is another one now), 0, or -ECANCELED. */
static int conn_service(struct gg_syslog_stream *s, size_t k, int *open)
{
	struct syslog_conn *c = s->conns[k];
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
			s->counters->tls_handshake_failed++;
			if (conn_notice_allowed(s))
				gg_log_info("%s: %s: %s; closing", s->conf.name, c->peer.name, err.msg);
			conn_close(s, k);
			return 1;
		}
		if (r == 0) {
			c->want = want == GG_TLS_WANT_WRITE ? EPOLLOUT : EPOLLIN;
			goto watch;
		}
		c->handshaking = 0;
		c->want = EPOLLIN;
		gg_syslog_tls_describe(c->tls, desc, sizeof(desc));
		gg_log_debug("%s: %s: %s", s->conf.name, c->peer.name, desc);
		/* The first records may have come with the client's Finished: read on. */
	}
	if ((r = batch_need(s, open)) < 0)
		return r;
	if (r == 1)
		goto watch; /* no batch now: the bytes wait, epoll says when to try again */
	r = conn_frames(s, c); /* what a pause left in the buffer first */
	if (r == 0)
		r = conn_read(s, c);
	if (r < 0) {
		/* A spool error: the connection stays, its next bytes get a new batch. */
		s->sink.end(s->sink.ctx, 0);
		*open = 0;
	} else if (r == 1) {
		conn_close(s, k);
		return 1;
	} else if (r == 2) {
		c->more = 0;
		if (conn_watch(s, c, 0) != 0) {
			conn_close(s, k);
			return 1;
		}
		return 0;
	}
watch:
	if (conn_watch(s, c, c->want) != 0) {
		conn_close(s, k);
		return 1;
	}
	return 0;
}

/* How long epoll may sleep: not at all while a connection has bytes epoll cannot see, else
 * until the first handshake deadline or end of a pause. */
static int loop_timeout(const struct gg_syslog_stream *s)
{
	uint64_t now = gg_syslog_now_ns(), next = UINT64_MAX;

	for (size_t k = 0; k < s->n_conns; k++) {
		const struct syslog_conn *c = s->conns[k];

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
static int conns_due(struct gg_syslog_stream *s, int *open)
{
	uint64_t now = gg_syslog_now_ns();
	size_t k = 0;

	while (k < s->n_conns) {
		struct syslog_conn *c = s->conns[k];
		int r;

		if (c->handshaking && now >= c->deadline) {
			s->counters->tls_handshake_failed++;
			if (conn_notice_allowed(s))
				gg_log_info("%s: %s: tls handshake not done within %lld ms; closing",
					    s->conf.name, c->peer.name,
					    (long long)s->conf.handshake_timeout_ms);
			conn_close(s, k);
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
		r = conn_service(s, k, open);
		if (r < 0)
			return r;
		k += r == 0;
		batch_check(s, open);
	}
	return 0;
}

/* At max_connections with a client waiting: connections whose peer has gone (FIN or reset)
 * but whose hang-up no turn has reached yet are served now, so that they read their last
 * bytes, leave and free their slots; max_connections counts live peers only, and a flood of
 * connect-and-close does not lock out the client after it. A paused connection stays: its
 * frames wait for its rate. Costs one poll() over the slots. Returns 0 or -ECANCELED. */
static int conns_reap(struct gg_syslog_stream *s, int *open)
{
	size_t n = s->n_conns;

	for (size_t k = 0; k < n; k++) {
		const struct syslog_conn *c = s->conns[k];

		s->pfds[k] = (struct pollfd){ .fd = c->resume_at != 0 ? -1 : c->fd,
					      .events = POLLRDHUP };
	}
	if (poll(s->pfds, n, 0) <= 0)
		return 0;
	/* Downwards: closing conns[k] moves the last one, already looked at, into its slot. */
	for (size_t k = n; k-- > 0;) {
		int r;

		if ((s->pfds[k].revents & (POLLRDHUP | POLLHUP | POLLERR)) == 0)
			continue;
		if ((r = conn_service(s, k, open)) < 0)
			return r;
		batch_check(s, open);
	}
	return 0;
}

/* Accepts every waiting client while there are slots. Returns 0 or -ECANCELED. */
static int conn_accept(struct gg_syslog_stream *s, int *open)
{
	size_t max = s->conf.max_message_size;
	int reap = 1;

	for (;;) {
		struct sockaddr_storage sa;
		socklen_t salen = sizeof(sa);
		struct syslog_conn *c;
		struct gg_error err;
		int fd = accept4(s->conf.listen_fd, (struct sockaddr *)&sa, &salen,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
			    errno != ECONNABORTED)
				gg_log_warn("%s: accept", s->conf.name);
			return 0;
		}
		if (s->n_conns >= s->conf.max_connections && reap) {
			size_t before = s->n_conns;
			int r = conns_reap(s, open);

			if (r < 0) {
				close(fd);
				return r;
			}
			/* One reap that freed nothing is enough for this turn: the
			 * slots are held by live peers. */
			reap = s->n_conns < before;
		}
		if (s->n_conns >= s->conf.max_connections) {
			s->counters->connections_refused++;
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
		gg_syslog_peer_of(&sa, salen, &c->peer);
		gg_syslog_frame_init(&c->framer, c->buf, GG_SYSLOG_FRAME_BUFSIZE(max), max,
				     GG_SYSLOG_FRAME_AUTO);
		if (s->conf.tls != NULL) {
			if (gg_syslog_tls_session_new(s->conf.tls, fd, &c->tls, &err) != 0) {
				gg_log_warnx("%s: %s: %s", s->conf.name, c->peer.name, err.msg);
				conn_free(c);
				continue;
			}
			c->handshaking = 1;
			c->deadline = gg_syslog_now_ns() +
				      (uint64_t)s->conf.handshake_timeout_ms * 1000000ull;
		}
		if (conn_watch(s, c, c->want) != 0) {
			conn_free(c);
			continue;
		}
		s->conns[s->n_conns++] = c;
		s->counters->connections++;
		gg_log_debug("%s: %s: connected", s->conf.name, c->peer.name);
	}
}

/* The loop ends (a stop): what the connections still hold is lost, since syslog has no
 * acknowledgement to withhold. A frame cut short, and whole frames a rate pause left unread,
 * are counted as truncated, so that a stop never drops messages unseen. */
static void conns_abandon(struct gg_syslog_stream *s)
{
	for (size_t k = 0; k < s->n_conns; k++) {
		struct gg_syslog_framer *f = &s->conns[k]->framer;
		struct gg_error err;
		const char *data;
		size_t len;
		int r;

		while ((r = gg_syslog_frame_pop(f, &data, &len, &err)) != 0 && r != -EPROTO)
			s->counters->truncated += r == 1;
		s->counters->truncated += gg_syslog_frame_abort(f);
	}
}

void gg_syslog_stream_run(struct gg_syslog_stream *s)
{
	struct epoll_event evs[STREAM_BURST];

	for (;;) {
		int n = epoll_wait(s->epoll_fd, evs, STREAM_BURST, loop_timeout(s));
		int stop = 0, open = 0, accept = 0;

		if (n < 0 && errno != EINTR) {
			gg_log_warn("%s: epoll_wait", s->conf.name);
			break;
		}
		for (int i = 0; i < n; i++)
			if (evs[i].data.ptr == &s->conf.stop_fd)
				stop = 1;
		if (stop || atomic_load(s->conf.stopping))
			break;
		for (int i = 0; i < n && !stop; i++) {
			struct syslog_conn *c = evs[i].data.ptr;
			size_t k;

			if (c == (void *)&s->conf.listen_fd) {
				accept = 1;
				continue;
			}
			for (k = 0; k < s->n_conns && s->conns[k] != c; k++)
				;
			if (k == s->n_conns)
				continue; /* closed earlier in this pass */
			stop = conn_service(s, k, &open) < 0;
			batch_check(s, &open);
		}
		if (!stop)
			stop = conns_due(s, &open) < 0;
		/* New clients last: the hang-ups of this pass have freed their slots by now. */
		if (!stop && accept)
			stop = conn_accept(s, &open) < 0;
		if (open)
			s->sink.end(s->sink.ctx, 1);
		if (stop)
			break;
	}
	conns_abandon(s);
}

int gg_syslog_stream_new(const struct gg_syslog_stream_conf *conf,
			 const struct gg_syslog_stream_sink *sink, struct gg_syslog_stream **out,
			 struct gg_error *err)
{
	struct gg_syslog_stream *s = calloc(1, sizeof(*s));
	struct epoll_event lev = { .events = EPOLLIN }, sev = { .events = EPOLLIN };

	*out = NULL;
	if (s == NULL)
		return gg_error_set(err, -ENOMEM, "out of memory");
	s->conf = *conf;
	s->counters = conf->counters;
	s->sink = *sink;
	s->epoll_fd = -1;
	s->conns = calloc(conf->max_connections, sizeof(*s->conns));
	s->pfds = calloc(conf->max_connections, sizeof(*s->pfds));
	if (s->conns == NULL || s->pfds == NULL) {
		gg_syslog_stream_free(s);
		return gg_error_set(err, -ENOMEM, "out of memory");
	}
	/* The two fds are told from connections by their address in s, as ->data.ptr. */
	lev.data.ptr = &s->conf.listen_fd;
	sev.data.ptr = &s->conf.stop_fd;
	s->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (s->epoll_fd < 0 ||
	    epoll_ctl(s->epoll_fd, EPOLL_CTL_ADD, s->conf.listen_fd, &lev) != 0 ||
	    epoll_ctl(s->epoll_fd, EPOLL_CTL_ADD, s->conf.stop_fd, &sev) != 0) {
		int r = gg_error_set(err, -errno, "epoll: %s", strerror(errno));

		gg_syslog_stream_free(s);
		return r;
	}
	*out = s;
	return 0;
}

void gg_syslog_stream_free(struct gg_syslog_stream *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->n_conns; i++)
		conn_free(s->conns[i]);
	free(s->conns);
	free(s->pfds);
	if (s->epoll_fd >= 0)
		close(s->epoll_fd);
	free(s);
}

