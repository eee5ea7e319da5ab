/* grid_session.c: the libstrophe connection: flags (mandatory TLS, no stream management: the
 * spool, not XEP-0198, is our source of truth), credentials, backoff with jitter, sync IQs. */
#include "grid/grid_session.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"

enum session_state { SESSION_DOWN, SESSION_CONNECTING, SESSION_UP };

struct gg_grid_session {
	const struct gg_xmpp_conf *conf;
	struct gg_grid_identity who;
	xmpp_log_t logger;
	xmpp_ctx_t *ctx;
	xmpp_conn_t *conn;
	enum session_state state;
	uint64_t epoch;
	int64_t next_connect_ms;
	int64_t backoff_ms;
	unsigned int seed;
	uint64_t id_counter;
	char *async_prefix;
	size_t async_prefix_len;
	gg_grid_iq_fn on_iq;
	void *on_iq_arg;
	/* The one synchronous IQ being waited for. */
	char wait_id[32];
	xmpp_stanza_t *wait_result;
	int wait_done;
	int closing; /* a disconnect we asked for: no warning, no reconnect */
	int fd;      /* the connection's socket, from libstrophe's sockopt callback; -1: none */
	int64_t connect_started_ms;
	int drop_requested; /* gg_grid_session_drop set drop_kind: the handler keeps it */
	enum gg_grid_drop_kind drop_kind;
	char drop_why[256];
};

/* RFC 6120 4.9.3 conditions, and whether each speaks of the stanza we sent or of the server.
 * Read from the stanza by name: libstrophe 0.12 knows "not-well-formed" only by its RFC 3920
 * name (xml-not-well-formed) and reports Prosody's as undefined-condition. */
static const struct {
	const char *name;
	enum gg_grid_drop_kind kind;
} stream_conditions[] = {
	{ "bad-format", GG_DROP_STANZA },
	{ "bad-namespace-prefix", GG_DROP_STANZA },
	{ "conflict", GG_DROP_SERVER },
	{ "connection-timeout", GG_DROP_SERVER },
	{ "host-gone", GG_DROP_SERVER },
	{ "host-unknown", GG_DROP_SERVER },
	{ "improper-addressing", GG_DROP_STANZA },
	/* A module that crashed on an item looks like this too: charged, twice to convict. */
	{ "internal-server-error", GG_DROP_TRANSPORT },
	{ "invalid-from", GG_DROP_STANZA },
	{ "invalid-id", GG_DROP_STANZA },
	{ "invalid-namespace", GG_DROP_STANZA },
	{ "invalid-xml", GG_DROP_STANZA },
	{ "not-authorized", GG_DROP_SERVER },
	{ "not-well-formed", GG_DROP_STANZA },
	{ "xml-not-well-formed", GG_DROP_STANZA },
	{ "policy-violation", GG_DROP_STANZA },
	{ "remote-connection-failed", GG_DROP_SERVER },
	{ "reset", GG_DROP_SERVER },
	{ "resource-constraint", GG_DROP_SERVER },
	{ "restricted-xml", GG_DROP_STANZA },
	{ "see-other-host", GG_DROP_SERVER },
	{ "system-shutdown", GG_DROP_SERVER },
	{ "undefined-condition", GG_DROP_TRANSPORT },
	{ "unsupported-encoding", GG_DROP_STANZA },
	{ "unsupported-stanza-type", GG_DROP_STANZA },
	{ "unsupported-version", GG_DROP_SERVER },
};

/* The condition element's name of a <stream:error/>, or NULL. */
static const char *stream_condition(xmpp_stanza_t *error)
{
	for (xmpp_stanza_t *c = error ? xmpp_stanza_get_children(error) : NULL; c != NULL;
	     c = xmpp_stanza_get_next(c)) {
		const char *name = xmpp_stanza_get_name(c);

		if (xmpp_stanza_is_tag(c) && name != NULL && strcmp(name, "text") != 0)
			return name;
	}
	return NULL;
}

/* Notes why an established session ended, unless we ended it and said why already. */
static void session_note_drop(struct gg_grid_session *s, int error,
			      const xmpp_stream_error_t *stream_error)
{
	const char *condition;

	if (s->drop_requested)
		return;
	s->drop_kind = GG_DROP_TRANSPORT;
	if (stream_error == NULL) {
		snprintf(s->drop_why, sizeof(s->drop_why), "connection closed%s%s",
			 error ? ": " : " by the controller", error ? strerror(error) : "");
		return;
	}
	condition = stream_condition(stream_error->stanza);
	snprintf(s->drop_why, sizeof(s->drop_why), "stream error %s%s%s",
		 condition ? condition : "(no condition)", stream_error->text ? ": " : "",
		 stream_error->text ? stream_error->text : "");
	for (size_t i = 0; condition != NULL && i < sizeof(stream_conditions) /
						    sizeof(stream_conditions[0]); i++) {
		if (strcmp(stream_conditions[i].name, condition) == 0) {
			s->drop_kind = stream_conditions[i].kind;
			break;
		}
	}
}

int64_t gg_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* libstrophe's own log goes to ours at debug level: it is chatty and quotes stanzas. Its
 * errors are real errors. */
static void session_log(void *arg, xmpp_log_level_t level, const char *area, const char *msg)
{
	if (level == XMPP_LEVEL_ERROR)
		gg_log_warnx("xmpp: %s: %s", area, msg);
	else if (level >= XMPP_LEVEL_WARN)
		gg_log_info("xmpp: %s: %s", area, msg);
	else
		gg_log_debug("xmpp: %s: %s", area, msg);
}

/* Called by libstrophe only when verification failed: say why, and refuse (no pinning or
 * trust-on-first-use: a controller must present a certificate from the configured CA). */
static int session_certfail(const xmpp_tlscert_t *cert, const char *const errormsg)
{
	const char *subject = xmpp_tlscert_get_string(cert, XMPP_CERT_SUBJECT);

	gg_log_warnx("xmpp: controller certificate rejected: %s (subject %s)", errormsg,
		     subject ? subject : "unknown");
	return 0;
}

static int session_iq_handler(xmpp_conn_t *conn, xmpp_stanza_t *stanza, void *arg)
{
	struct gg_grid_session *s = arg;
	const char *id = xmpp_stanza_get_id(stanza);
	const char *type = xmpp_stanza_get_type(stanza);

	if (id == NULL || type == NULL ||
	    (strcmp(type, "result") != 0 && strcmp(type, "error") != 0))
		return 1;
	if (s->wait_id[0] && strcmp(id, s->wait_id) == 0) {
		s->wait_result = xmpp_stanza_clone(stanza);
		s->wait_done = 1;
	} else if (s->on_iq && strncmp(id, s->async_prefix, s->async_prefix_len) == 0) {
		s->on_iq(s->on_iq_arg, id, stanza);
	}
	return 1;
}

static void session_schedule_reconnect(struct gg_grid_session *s)
{
	int64_t delay = s->backoff_ms;

	/* Full jitter over the upper half: a fleet of gateways restarted together does not
	 * reconnect in lockstep. */
	delay = delay / 2 + (int64_t)(rand_r(&s->seed) % (unsigned int)(delay / 2 + 1));
	s->next_connect_ms = gg_now_ms() + delay;
	s->backoff_ms *= 2;
	if (s->backoff_ms > s->conf->reconnect_max_ms)
		s->backoff_ms = s->conf->reconnect_max_ms;
	gg_log_info("xmpp: reconnecting in %lld ms", (long long)delay);
}

static void session_conn_handler(xmpp_conn_t *conn, xmpp_conn_event_t event, int error,
				 xmpp_stream_error_t *stream_error, void *arg)
{
	struct gg_grid_session *s = arg;

	if (event == XMPP_CONN_CONNECT) {
		if (!xmpp_conn_is_secured(conn)) {
			/* MANDATORY_TLS should make this impossible; never publish in clear. */
			gg_log_warnx("xmpp: connection not encrypted, dropping it");
			xmpp_disconnect(conn);
			return;
		}
		s->state = SESSION_UP;
		s->epoch++;
		s->drop_requested = 0;
		s->backoff_ms = s->conf->reconnect_min_ms;
		xmpp_handler_add(conn, session_iq_handler, NULL, "iq", NULL, s);
		gg_log_info("xmpp: connected to %s as %s", s->conf->host ? s->conf->host
			    : s->conf->domain, xmpp_conn_get_bound_jid(conn));
		return;
	}
	if (s->closing) {
		s->state = SESSION_DOWN;
		return;
	}
	if (s->state == SESSION_UP) {
		session_note_drop(s, error, stream_error);
		gg_log_warnx("xmpp: disconnected: %s", s->drop_why);
	} else {
		/* libstrophe reports failed authentication as a disconnect with error 0. */
		gg_log_warnx("xmpp: connection failed%s%s", error ? ": " : " (authentication?)",
			     error ? strerror(error) : "");
		if (stream_error != NULL && stream_error->text != NULL)
			gg_log_warnx("xmpp: stream error: %s", stream_error->text);
	}
	s->state = SESSION_DOWN;
	session_schedule_reconnect(s);
}

/* The session whose connection libstrophe is creating a socket for: the sockopt callback has
 * no user data, and a session (one per thread, libstrophe contexts are not thread-safe) sets
 * this around xmpp_connect_client, which creates the socket. */
static _Thread_local struct gg_grid_session *session_connecting;

static int session_sockopt(xmpp_conn_t *conn, void *sock)
{
	if (session_connecting != NULL)
		session_connecting->fd = *(int *)sock;
	return xmpp_sockopt_cb_keepalive(conn, sock);
}

static void session_release_conn(struct gg_grid_session *s)
{
	if (s->conn != NULL) {
		xmpp_conn_release(s->conn);
		s->conn = NULL;
	}
}

static int session_connect(struct gg_grid_session *s)
{
	const struct gg_xmpp_conf *c = s->conf;
	long flags = XMPP_CONN_FLAG_MANDATORY_TLS | XMPP_CONN_FLAG_DISABLE_SM;
	int r;

	session_release_conn(s);
	s->conn = xmpp_conn_new(s->ctx);
	if (s->conn == NULL)
		return -ENOMEM;
	xmpp_conn_set_flags(s->conn, flags);
	xmpp_conn_set_jid(s->conn, s->who.jid);
	if (s->who.client_cert != NULL)
		xmpp_conn_set_client_cert(s->conn, s->who.client_cert, s->who.client_key);
	if (s->who.password != NULL)
		xmpp_conn_set_pass(s->conn, s->who.password);
	if (c->ca_file != NULL)
		xmpp_conn_set_cafile(s->conn, c->ca_file);
	xmpp_conn_set_certfail_handler(s->conn, session_certfail);
	xmpp_conn_set_sockopt_callback(s->conn, session_sockopt);
	s->state = SESSION_CONNECTING;
	s->connect_started_ms = gg_now_ms();
	s->fd = -1;
	session_connecting = s;
	r = xmpp_connect_client(s->conn, c->host, (unsigned short)c->port, session_conn_handler, s);
	session_connecting = NULL;
	if (r != XMPP_EOK) {
		s->state = SESSION_DOWN;
		session_schedule_reconnect(s);
		return -ECONNREFUSED;
	}
	return 0;
}

int gg_grid_session_new(const struct gg_xmpp_conf *conf, const struct gg_grid_identity *who,
			const char *async_id_prefix, gg_grid_iq_fn on_iq, void *arg,
			struct gg_grid_session **out, struct gg_error *err)
{
	struct gg_grid_session *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return gg_error_set(err, -ENOMEM, "out of memory");
	s->conf = conf;
	s->who = *who;
	s->logger.handler = session_log;
	s->on_iq = on_iq;
	s->on_iq_arg = arg;
	s->async_prefix = strdup(async_id_prefix ? async_id_prefix : "");
	s->async_prefix_len = s->async_prefix ? strlen(s->async_prefix) : 0;
	s->backoff_ms = conf->reconnect_min_ms > 0 ? conf->reconnect_min_ms : 100;
	s->fd = -1;
	s->seed = (unsigned int)(gg_now_ms() ^ (intptr_t)s);
	s->ctx = xmpp_ctx_new(NULL, &s->logger);
	if (s->ctx == NULL || s->async_prefix == NULL) {
		gg_grid_session_free(s);
		return gg_error_set(err, -ENOMEM, "out of memory");
	}
	*out = s;
	return 0;
}

void gg_grid_session_free(struct gg_grid_session *s)
{
	if (s == NULL)
		return;
	if (s->conn != NULL && s->state != SESSION_DOWN) {
		int64_t until = gg_now_ms() + 1000;

		s->closing = 1;
		xmpp_disconnect(s->conn);
		while (s->state != SESSION_DOWN && gg_now_ms() < until)
			xmpp_run_once(s->ctx, 50);
	}
	session_release_conn(s);
	if (s->wait_result)
		xmpp_stanza_release(s->wait_result);
	if (s->ctx)
		xmpp_ctx_free(s->ctx);
	free(s->async_prefix);
	free(s);
}

void gg_grid_session_pump(struct gg_grid_session *s, unsigned long timeout_ms)
{
	/* libstrophe times out the TCP connect only: a controller that accepts and then never
	 * answers the stream header (a stopped process) would hold the attempt for ever. */
	if (s->state == SESSION_CONNECTING &&
	    gg_now_ms() - s->connect_started_ms > s->conf->iq_timeout_ms) {
		gg_log_warnx("xmpp: no session %lld ms after connecting (stream, TLS or "
			     "authentication did not finish); trying again",
			     (long long)s->conf->iq_timeout_ms);
		s->connect_started_ms = gg_now_ms();
		xmpp_disconnect(s->conn);
	}
	if (s->state == SESSION_DOWN && gg_now_ms() >= s->next_connect_ms) {
		if (session_connect(s) != 0)
			gg_log_warnx("xmpp: cannot start a connection to %s:%lld",
				     s->conf->host ? s->conf->host : s->conf->domain,
				     (long long)s->conf->port);
	}
	xmpp_run_once(s->ctx, timeout_ms);
}

/* Connecting, and while down the wait for the backoff, go through libstrophe's own loop; an
 * established session sleeps in poll() on its socket and wake_fd, so that work arriving
 * (wake_fd readable) starts at once and an idle session costs nothing. */
int gg_grid_session_wait(struct gg_grid_session *s, int wake_fd, int64_t timeout_ms)
{
	struct pollfd fds[2] = { { .fd = wake_fd, .events = POLLIN }, { .fd = -1 } };
	int64_t now = gg_now_ms(), woken = 0;
	uint64_t count;

	if (s->state != SESSION_UP || s->fd < 0) {
		int64_t until = s->state == SESSION_DOWN ? s->next_connect_ms - now : 20;

		if (timeout_ms >= 0 && timeout_ms < until)
			until = timeout_ms;
		if (s->state != SESSION_DOWN || until <= 0) {
			gg_grid_session_pump(s, (unsigned long)(until > 0 ? until : 0));
			return 0;
		}
		/* Down, waiting for the backoff: only a wake-up (a stop) cuts it short. */
		if (poll(fds, 1, (int)until) > 0 && read(wake_fd, &count, sizeof(count)) > 0)
			woken = 1;
		return (int)woken;
	}
	fds[1].fd = s->fd;
	fds[1].events = POLLIN | (xmpp_conn_send_queue_len(s->conn) > 0 ? POLLOUT : 0);
	if (poll(fds, 2, timeout_ms > INT32_MAX ? INT32_MAX : (int)timeout_ms) > 0 &&
	    (fds[0].revents & POLLIN) && read(wake_fd, &count, sizeof(count)) > 0)
		woken = 1;
	/* Timeout 0: libstrophe only writes, reads and parses what poll found ready. */
	xmpp_run_once(s->ctx, 0);
	return (int)woken;
}

int gg_grid_session_is_up(const struct gg_grid_session *s)
{
	return s->state == SESSION_UP;
}

uint64_t gg_grid_session_epoch(const struct gg_grid_session *s)
{
	return s->epoch;
}

void gg_grid_session_drop(struct gg_grid_session *s, enum gg_grid_drop_kind kind,
			  const char *why)
{
	if (s->conn == NULL || s->state == SESSION_DOWN || s->drop_requested)
		return;
	gg_log_warnx("xmpp: dropping the connection: %s", why);
	s->drop_requested = 1;
	s->drop_kind = kind;
	snprintf(s->drop_why, sizeof(s->drop_why), "%s", why);
	xmpp_disconnect(s->conn);
}

enum gg_grid_drop_kind gg_grid_session_last_drop(const struct gg_grid_session *s,
						 const char **why)
{
	*why = s->drop_why;
	return s->drop_kind;
}

int gg_grid_session_wait_up(struct gg_grid_session *s, int64_t timeout_ms)
{
	int64_t until = gg_now_ms() + timeout_ms;

	while (s->state != SESSION_UP && gg_now_ms() < until)
		gg_grid_session_pump(s, 20);
	return s->state == SESSION_UP ? 0 : -ETIMEDOUT;
}

xmpp_ctx_t *gg_grid_session_ctx(struct gg_grid_session *s)
{
	return s->ctx;
}

void gg_grid_send_raw(struct gg_grid_session *s, const char *data, size_t len)
{
	xmpp_send_raw(s->conn, data, len);
}

int gg_grid_iq_sync(struct gg_grid_session *s, xmpp_stanza_t *iq, int64_t timeout_ms,
		    xmpp_stanza_t **result)
{
	int64_t until = gg_now_ms() + timeout_ms;
	uint64_t epoch = s->epoch;
	const char *type;

	*result = NULL;
	if (s->state != SESSION_UP) {
		xmpp_stanza_release(iq);
		return -ENOTCONN;
	}
	snprintf(s->wait_id, sizeof(s->wait_id), "gg-s-%llu", (unsigned long long)++s->id_counter);
	xmpp_stanza_set_id(iq, s->wait_id);
	s->wait_done = 0;
	xmpp_send(s->conn, iq);
	xmpp_stanza_release(iq);
	while (!s->wait_done && s->state == SESSION_UP && s->epoch == epoch &&
	       gg_now_ms() < until)
		xmpp_run_once(s->ctx, 20);
	s->wait_id[0] = '\0';
	if (!s->wait_done)
		return s->state == SESSION_UP && s->epoch == epoch ? -ETIMEDOUT : -ENOTCONN;
	*result = s->wait_result;
	s->wait_result = NULL;
	type = xmpp_stanza_get_type(*result);
	return type != NULL && strcmp(type, "result") == 0 ? 0 : -EPROTO;
}
