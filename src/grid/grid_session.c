/* grid_session.c: the libstrophe connection: flags (mandatory TLS, no stream management: the
 * spool, not XEP-0198, is our source of truth), credentials, backoff with jitter, sync IQs. */
#include "grid/grid_session.h"

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "grid/grid_tap.h"

enum session_state { SESSION_DOWN, SESSION_CONNECTING, SESSION_UP };

/* What the connection attempt under way got to, read from libstrophe's log lines and its
 * certificate callback: libstrophe 0.12 reports a refused TCP connect, a failed TLS handshake
 * and a refused login all as a DISCONNECT with error 0 (or an OpenSSL code posing as errno),
 * and it fires no user handler before authentication, so the SASL <failure/> is read from
 * the "RECV:" line it logs. */
struct session_attempt {
	int connect_errno;     /* "connection failed, error N": the TCP connect's errno */
	int tcp_up;            /* "connection successful" */
	int heard;             /* the server sent something: a stream header at least */
	int tls_started;       /* the server said <proceed/> to our STARTTLS */
	int tls_failed;        /* the handshake failed */
	int secured;           /* the server spoke over TLS */
	int authed;            /* SASL success */
	int no_tls;            /* no STARTTLS offered, and TLS is mandatory */
	int no_mech;           /* libstrophe gave up authenticating: no (more) mechanism */
	int said;              /* its failure is recorded already (the watchdog, no TLS) */
	char tls_verify[256];  /* the certificate failure: OpenSSL's reason and the subject */
	char tls_error[160];   /* OpenSSL's last error reason during the handshake */
	char sasl_mech[32];    /* the mechanism the server refused */
	char sasl_cond[48];    /* its RFC 6120 6.5 condition: not-authorized... */
	char sasl_text[192];   /* the server's <text/>, if any */
	char mechs[128];       /* the mechanisms offered */
};

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
	struct session_attempt att;
	uint64_t fail_count;   /* attempts that failed: wait_up notices a new one */
	enum gg_grid_fail fail_kind;
	int fail_final;
	char fail_why[640];
};

/* The session whose libstrophe calls are running on this thread: the sockopt and certificate
 * callbacks have no user data. Set around xmpp_connect_client and xmpp_run_once (one session
 * per thread at a time: libstrophe contexts are not thread-safe). */
static _Thread_local struct gg_grid_session *session_current;

static void session_run_once(struct gg_grid_session *s, unsigned long timeout_ms)
{
	struct gg_grid_session *outer = session_current;

	session_current = s;
	xmpp_run_once(s->ctx, timeout_ms);
	session_current = outer;
}

static const char *session_host(const struct gg_grid_session *s)
{
	return s->conf->host ? s->conf->host : s->conf->domain;
}

/* RFC 6120 4.9.3 conditions, and whether each speaks of the stanza we sent or of the server.
 * Read from the stanza by name: libstrophe 0.12 knows "not-well-formed" only by its RFC 3920
 * name (xml-not-well-formed) and reports Prosody's as undefined-condition. The last two
 * columns serve an error before the session is up. */
static const struct stream_condition_row {
	const char *name;
	enum gg_grid_drop_kind kind;
	int final;        /* before a session: the next attempt would get the same */
	const char *hint; /* what to check, for an error before the session */
} stream_conditions[] = {
	{ "bad-format", GG_DROP_STANZA, 1, NULL },
	{ "bad-namespace-prefix", GG_DROP_STANZA, 1, NULL },
	{ "conflict", GG_DROP_SERVER, 0, NULL },
	{ "connection-timeout", GG_DROP_SERVER, 0, NULL },
	{ "host-gone", GG_DROP_SERVER, 1,
	  "the controller no longer serves the JID's domain: check jid" },
	{ "host-unknown", GG_DROP_SERVER, 1,
	  "the controller does not serve the JID's domain: check jid" },
	{ "improper-addressing", GG_DROP_STANZA, 1, NULL },
	/* A module that crashed on an item looks like this too: charged, twice to convict. */
	{ "internal-server-error", GG_DROP_TRANSPORT, 0, NULL },
	{ "invalid-from", GG_DROP_STANZA, 1, NULL },
	{ "invalid-id", GG_DROP_STANZA, 0, NULL },
	{ "invalid-namespace", GG_DROP_STANZA, 1, NULL },
	{ "invalid-xml", GG_DROP_STANZA, 1, NULL },
	{ "not-authorized", GG_DROP_SERVER, 1,
	  "check jid and the credentials (password_file, or client_cert and client_key)" },
	{ "not-well-formed", GG_DROP_STANZA, 1, NULL },
	{ "xml-not-well-formed", GG_DROP_STANZA, 1, NULL },
	{ "policy-violation", GG_DROP_STANZA, 1,
	  "the controller's policy refused the stream (connection limits, blocked address?)" },
	{ "remote-connection-failed", GG_DROP_SERVER, 0, NULL },
	{ "reset", GG_DROP_SERVER, 0, NULL },
	{ "resource-constraint", GG_DROP_SERVER, 0, NULL },
	{ "restricted-xml", GG_DROP_STANZA, 1, NULL },
	{ "see-other-host", GG_DROP_SERVER, 1,
	  "the controller sends its clients to another address: set host to it" },
	{ "system-shutdown", GG_DROP_SERVER, 0, "the controller is shutting down" },
	{ "undefined-condition", GG_DROP_TRANSPORT, 0, NULL },
	{ "unsupported-encoding", GG_DROP_STANZA, 1, NULL },
	{ "unsupported-stanza-type", GG_DROP_STANZA, 1, NULL },
	{ "unsupported-version", GG_DROP_SERVER, 1,
	  "the controller does not speak XMPP 1.0 on this port: check host and port" },
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

/* The row of a stream error condition, or NULL. */
static const struct stream_condition_row *stream_condition_find(const char *condition)
{
	for (size_t i = 0; condition != NULL && i < sizeof(stream_conditions) /
						    sizeof(stream_conditions[0]); i++)
		if (strcmp(stream_conditions[i].name, condition) == 0)
			return &stream_conditions[i];
	return NULL;
}

enum gg_grid_drop_kind gg_grid_stream_condition_kind(const char *condition)
{
	const struct stream_condition_row *row = stream_condition_find(condition);

	return row != NULL ? row->kind : GG_DROP_TRANSPORT;
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
	s->drop_kind = gg_grid_stream_condition_kind(condition);
}

int gg_grid_password_read(const char *path, char **out, struct gg_error *err)
{
	char line[1024];
	FILE *f = fopen(path, "re");
	size_t n;

	if (f == NULL)
		return gg_error_set(err, -errno, "password_file %s: %s", path, strerror(errno));
	if (fgets(line, sizeof(line), f) == NULL)
		line[0] = '\0';
	fclose(f);
	n = strcspn(line, "\r\n");
	line[n] = '\0';
	if (n == 0)
		return gg_error_set(err, -EINVAL, "password_file %s: its first line is empty", path);
	*out = strdup(line);
	explicit_bzero(line, sizeof(line));
	return *out ? 0 : gg_error_set(err, -ENOMEM, "out of memory");
}

int64_t gg_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void session_fail(struct gg_grid_session *s, enum gg_grid_fail kind, int final,
			 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Records why the attempt failed, and says so. */
static void session_fail(struct gg_grid_session *s, enum gg_grid_fail kind, int final,
			 const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->fail_why, sizeof(s->fail_why), fmt, ap);
	va_end(ap);
	s->fail_kind = kind;
	s->fail_final = final;
	s->fail_count++;
	gg_log_warnx("xmpp: connection failed: %s", s->fail_why);
}

/* Copies XML character data into dst (truncated), the predefined entities resolved. */
static void session_unescape(char *dst, size_t size, const char *src, size_t len)
{
	static const struct {
		const char *entity;
		char c;
	} entities[] = { { "&amp;", '&' }, { "&lt;", '<' }, { "&gt;", '>' }, { "&quot;", '"' },
			 { "&apos;", '\'' } };
	size_t o = 0;

	for (size_t i = 0; i < len && o + 1 < size; i++) {
		char c = src[i];

		for (size_t e = 0; c == '&' && e < sizeof(entities) / sizeof(entities[0]); e++) {
			size_t n = strlen(entities[e].entity);

			if (len - i >= n && strncmp(src + i, entities[e].entity, n) == 0) {
				c = entities[e].c;
				i += n - 1;
			}
		}
		dst[o++] = c;
	}
	dst[o] = '\0';
}

/* Reads a SASL <failure/> as libstrophe logs it: its condition (RFC 6120 6.5) and text. */
static void session_sasl_failure(struct session_attempt *a, const char *xml)
{
	a->sasl_cond[0] = a->sasl_text[0] = '\0';
	for (const char *p = strchr(xml + 1, '<'); p != NULL; p = strchr(p + 1, '<')) {
		size_t n = strcspn(p + 1, " />");
		const char *body, *end;

		if (p[1] == '/')
			continue;
		if (n == 4 && strncmp(p + 1, "text", 4) == 0) {
			body = strchr(p, '>');
			if (body != NULL && body[-1] != '/' && (end = strstr(body, "</text>")))
				session_unescape(a->sasl_text, sizeof(a->sasl_text), body + 1,
						 (size_t)(end - body - 1));
		} else if (a->sasl_cond[0] == '\0') {
			snprintf(a->sasl_cond, sizeof(a->sasl_cond), "%.*s", (int)n, p + 1);
		}
	}
	if (a->sasl_cond[0] == '\0')
		snprintf(a->sasl_cond, sizeof(a->sasl_cond), "no condition");
}

/* Notes the SASL mechanisms a <stream:features/> offers. */
static void session_mechanisms(struct session_attempt *a, const char *xml)
{
	size_t o = 0;

	a->mechs[0] = '\0';
	for (const char *p = strstr(xml, "<mechanism>"); p != NULL;
	     p = strstr(p, "<mechanism>")) {
		const char *end = strstr(p += strlen("<mechanism>"), "</mechanism>");
		int n;

		if (end == NULL)
			break;
		n = snprintf(a->mechs + o, sizeof(a->mechs) - o, "%s%.*s", o ? " " : "",
			     (int)(end - p), p);
		if (n < 0 || (o += (size_t)n) >= sizeof(a->mechs))
			break;
	}
}

static int session_has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Follows the attempt under way through libstrophe's log lines. Returns 1 for a line the
 * failure message will say better (it is logged at debug level then). */
static int session_observe(struct gg_grid_session *s, xmpp_log_level_t level, const char *area,
			   const char *msg)
{
	struct session_attempt *a = &s->att;
	int n;

	if (s->state != SESSION_CONNECTING)
		return 0;
	if (strcmp(area, "xmpp") == 0) {
		if (strncmp(msg, "RECV: ", 6) == 0) {
			a->heard = 1;
			a->secured = a->tls_started && !a->tls_failed;
			if (strncmp(msg + 6, "<failure", 8) == 0 && strstr(msg, XMPP_NS_SASL))
				session_sasl_failure(a, msg + 6);
			else if (strstr(msg, "<mechanisms") != NULL)
				session_mechanisms(a, msg);
		} else if (sscanf(msg, "connection failed, error %d", &n) == 1) {
			a->connect_errno = n;
		} else if (strcmp(msg, "connection successful") == 0) {
			a->tcp_up = 1;
		} else if (strcmp(msg, "proceeding with TLS") == 0) {
			a->tls_started = 1;
		} else if (strncmp(msg, "SASL ", 5) == 0 && session_has_suffix(msg, " auth failed")) {
			snprintf(a->sasl_mech, sizeof(a->sasl_mech), "%.*s",
				 (int)strcspn(msg + 5, " "), msg + 5);
		} else if (strncmp(msg, "SASL ", 5) == 0 &&
			   session_has_suffix(msg, " auth successful")) {
			a->authed = 1;
		} else if (strncmp(msg, "TLS is not supported", 20) == 0) {
			a->no_tls = 1;
			return 1;
		}
	} else if (strcmp(area, "conn") == 0 && strncmp(msg, "Couldn't start TLS", 18) == 0) {
		a->tls_failed = 1;
	} else if (strcmp(area, "tls") == 0 && strncmp(msg, "error:", 6) == 0) {
		/* error:CODE:library:function:reason, one line per queued OpenSSL error */
		snprintf(a->tls_error, sizeof(a->tls_error), "%s", strrchr(msg, ':') + 1);
	} else if (strcmp(area, "auth") == 0 && level == XMPP_LEVEL_ERROR) {
		/* "Cannot authenticate with known methods", "Password hasn't been set..." */
		a->no_mech = 1;
		return 1;
	}
	return 0;
}

/* libstrophe's own log goes to ours at debug level: it is chatty and quotes stanzas. Its
 * errors are real errors, except those the failure message says better. */
static void session_log(void *arg, xmpp_log_level_t level, const char *area, const char *msg)
{
	struct gg_grid_session *s = arg;

	if (s != NULL && session_observe(s, level, area, msg))
		level = XMPP_LEVEL_DEBUG;
	if (level == XMPP_LEVEL_ERROR)
		gg_log_warnx("xmpp: %s: %s", area, msg);
	else if (level >= XMPP_LEVEL_WARN)
		gg_log_info("xmpp: %s: %s", area, msg);
	else
		gg_log_debug("xmpp: %s: %s", area, msg);
}

/* Called by libstrophe only when verification failed: note why, and refuse (no pinning or
 * trust-on-first-use: a controller must present a certificate from the configured CA). The
 * failure is said when the attempt ends. */
static int session_certfail(const xmpp_tlscert_t *cert, const char *const errormsg)
{
	struct gg_grid_session *s = session_current;
	const char *subject = xmpp_tlscert_get_string(cert, XMPP_CERT_SUBJECT);

	/* xmpp_tlscert_get_conn is NULL here: libstrophe 0.12 builds the certificate from the
	 * context only. The handshake runs inside this thread's session_run_once. */
	if (s != NULL && s->state == SESSION_CONNECTING) {
		if (s->att.tls_verify[0] == '\0')
			snprintf(s->att.tls_verify, sizeof(s->att.tls_verify), "%s (subject %s)",
				 errormsg, subject ? subject : "unknown");
	} else {
		gg_log_warnx("xmpp: controller certificate rejected: %s (subject %s)", errormsg,
			     subject ? subject : "unknown");
	}
	return 0;
}

/* The step the attempt was at, for a timeout or a close. */
static const char *session_stage(const struct session_attempt *a)
{
	if (!a->tcp_up)
		return "the TCP connection";
	if (!a->heard)
		return "the stream header";
	if (!a->tls_started)
		return "stream negotiation (before STARTTLS)";
	if (!a->secured)
		return "the TLS handshake";
	if (!a->authed)
		return "authentication";
	return "resource binding";
}

static void session_fail_refused(struct gg_grid_session *s)
{
	session_fail(s, GG_FAIL_REFUSED, 1,
		     "connection to %s:%lld refused: nothing listens there: check host and port "
		     "(the controller's client-to-server port, 5222 by default) and that the "
		     "controller runs", session_host(s), (long long)s->conf->port);
}

/* The connect watchdog: the attempt is closed after this. */
static void session_fail_timeout(struct gg_grid_session *s)
{
	const struct session_attempt *a = &s->att;
	const char *host = session_host(s);
	long long port = (long long)s->conf->port;
	long long ms = (long long)(gg_now_ms() - s->connect_started_ms);

	s->att.said = 1;
	if (!a->tcp_up)
		session_fail(s, GG_FAIL_TIMEOUT, 0, "TCP connection to %s:%lld not established "
			     "after %lld ms: check host and port, and firewalls on the way", host,
			     port, ms);
	else if (!a->heard)
		session_fail(s, GG_FAIL_TIMEOUT, 0, "%s:%lld accepted the TCP connection but sent "
			     "no XMPP stream header in %lld ms: check that port is the controller's "
			     "client-to-server port (STARTTLS, 5222 by default), not direct TLS or "
			     "another service", host, port, ms);
	else
		session_fail(s, GG_FAIL_TIMEOUT, 0, "no session with %s:%lld after %lld ms, "
			     "stuck in %s: see the controller's log", host, port, ms,
			     session_stage(a));
}

static void session_fail_auth(struct gg_grid_session *s)
{
	const struct session_attempt *a = &s->att;
	const char *cond = a->sasl_cond, *check;

	/* Prosody refuses a certificate from an untrusted CA with account-disabled. */
	if (strcmp(cond, "temporary-auth-failure") == 0)
		check = "the controller could not check the credentials now";
	else if (strcmp(a->sasl_mech, "EXTERNAL") == 0 && strcmp(cond, "not-authorized") == 0)
		check = "check client_cert and client_key: the controller must trust their CA "
			"and the certificate must name the JID";
	else if (strcmp(a->sasl_mech, "EXTERNAL") == 0 && strcmp(cond, "account-disabled") == 0)
		check = "check client_cert and client_key: the controller must trust their CA "
			"and the certificate must name the JID (or the account is disabled)";
	else if (strcmp(cond, "not-authorized") == 0)
		check = "check jid and the password (password_file)";
	else if (strcmp(cond, "account-disabled") == 0)
		check = "the account is disabled on the controller";
	else if (strcmp(cond, "credentials-expired") == 0)
		check = "the credentials have expired on the controller";
	else
		check = "see the controller's SASL settings and log";
	session_fail(s, GG_FAIL_AUTH, strcmp(cond, "temporary-auth-failure") != 0,
		     "SASL %s login as %s refused: %s%s%s%s: %s",
		     a->sasl_mech[0] ? a->sasl_mech : "(unknown mechanism)", s->who.jid, cond,
		     a->sasl_text[0] ? " (\"" : "", a->sasl_text, a->sasl_text[0] ? "\")" : "",
		     check);
}

static void session_fail_stream(struct gg_grid_session *s, const xmpp_stream_error_t *error)
{
	const char *condition = stream_condition(error->stanza);
	const struct stream_condition_row *row = stream_condition_find(condition);

	session_fail(s, GG_FAIL_STREAM, row ? row->final : 0,
		     "the controller ended the stream: stream error %s%s%s: %s",
		     condition ? condition : "(no condition)", error->text ? ": " : "",
		     error->text ? error->text : "",
		     row && row->hint ? row->hint : "see the controller's log");
}

/* An attempt ended before its session was up: says why, from what it got to. */
static void session_attempt_failed(struct gg_grid_session *s, int error,
				   const xmpp_stream_error_t *stream_error)
{
	const struct session_attempt *a = &s->att;
	const char *host = session_host(s);
	long long port = (long long)s->conf->port;
	int connect_error = a->connect_errno ? a->connect_errno : a->tcp_up ? 0 : error;

	if (a->said)
		return;
	if (a->tls_verify[0] != '\0')
		session_fail(s, GG_FAIL_TLS, 1, "TLS: controller certificate rejected: %s: check "
			     "that ca_file (%s) holds the CA that signed the controller's "
			     "certificate, and that the certificate names %s", a->tls_verify,
			     s->conf->ca_file ? s->conf->ca_file : "unset: the system's CAs",
			     s->conf->domain);
	else if (a->tls_failed)
		/* error is OpenSSL's SSL_ERROR_* code here, not an errno. */
		session_fail(s, GG_FAIL_TLS, a->tls_error[0] != '\0',
			     "TLS handshake with %s:%lld failed: %s: check the controller's TLS "
			     "settings%s", host, port,
			     a->tls_error[0] ? a->tls_error : "closed during the handshake",
			     s->who.client_cert ? ", client_cert and client_key" : "");
	else if (a->no_tls)
		session_fail(s, GG_FAIL_NO_TLS, 1, "%s:%lld offers no STARTTLS, and gridgate never "
			     "talks to a controller in clear: enable TLS on the controller, or "
			     "check host and port", host, port);
	else if (a->sasl_cond[0] != '\0')
		session_fail_auth(s);
	else if (a->no_mech)
		session_fail(s, GG_FAIL_AUTH, 1, "no SASL mechanism in common to log in as %s: "
			     "the controller offers %s; gridgate uses SCRAM-SHA-1/256/512 or PLAIN "
			     "with a password (password_file), EXTERNAL with a client certificate "
			     "(client_cert)", s->who.jid, a->mechs[0] ? a->mechs : "none");
	else if (stream_error != NULL)
		session_fail_stream(s, stream_error);
	else if (connect_error == ECONNREFUSED)
		session_fail_refused(s);
	else if (connect_error != 0)
		session_fail(s, GG_FAIL_CONNECT, 0, "cannot connect to %s:%lld: %s: check host "
			     "and port, and firewalls on the way", host, port,
			     strerror(connect_error));
	else
		session_fail(s, GG_FAIL_CLOSED, 0, "%s:%lld closed the connection during %s%s%s",
			     host, port, session_stage(a), error && !a->tls_started ? ": " : "",
			     error && !a->tls_started ? strerror(error) : "");
}

/* xmpp_connect_client failed at once: libstrophe's sock_connect says nothing about why
 * (it returns -1 for a name that does not resolve as for a socket error). */
static void session_connect_failed(struct gg_grid_session *s, int saved_errno)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res = NULL;
	const char *host = session_host(s);
	int r = getaddrinfo(host, NULL, &hints, &res);

	if (r != 0) {
		session_fail(s, GG_FAIL_DNS, r != EAI_AGAIN, "cannot resolve %s: %s: check host "
			     "(without host: the JID's domain)", host,
			     r == EAI_SYSTEM ? strerror(errno) : gai_strerror(r));
		return;
	}
	freeaddrinfo(res);
	if (saved_errno == ECONNREFUSED)
		session_fail_refused(s);
	else
		session_fail(s, GG_FAIL_CONNECT, 0, "cannot connect to %s:%lld: %s: check host "
			     "and port", host, (long long)s->conf->port,
			     saved_errno ? strerror(saved_errno) : "no address to connect to");
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
			session_fail(s, GG_FAIL_NO_TLS, 1, "session with %s:%lld not encrypted, "
				     "dropping it", session_host(s), (long long)s->conf->port);
			s->att.said = 1;
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
		session_attempt_failed(s, error, stream_error);
	}
	s->state = SESSION_DOWN;
	session_schedule_reconnect(s);
}

/* Called from xmpp_connect_client, which creates the socket. */
static int session_sockopt(xmpp_conn_t *conn, void *sock)
{
	if (session_current != NULL)
		session_current->fd = *(int *)sock;
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
	struct gg_grid_session *outer = session_current;
	int r, saved_errno;

	session_release_conn(s);
	memset(&s->att, 0, sizeof(s->att));
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
	session_current = s;
	r = xmpp_connect_client(s->conn, c->host, (unsigned short)c->port, session_conn_handler, s);
	saved_errno = errno;
	session_current = outer;
	if (r != XMPP_EOK) {
		s->state = SESSION_DOWN;
		session_connect_failed(s, saved_errno);
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
	s->logger.userdata = s;
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
	/* libstrophe 0.12 leaks its SCRAM state when a login is cut short: a session stopped
	 * while connecting is let finish (or fail) first, for a second at most. */
	for (int64_t until = gg_now_ms() + 1000;
	     s->conn != NULL && s->state == SESSION_CONNECTING && gg_now_ms() < until;)
		session_run_once(s, 50);
	if (s->conn != NULL && s->state != SESSION_DOWN) {
		int64_t until = gg_now_ms() + 1000;

		s->closing = 1;
		xmpp_disconnect(s->conn);
		while (s->state != SESSION_DOWN && gg_now_ms() < until)
			session_run_once(s, 50);
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
	if (s->state == SESSION_CONNECTING && !s->att.said &&
	    gg_now_ms() - s->connect_started_ms > s->conf->iq_timeout_ms) {
		session_fail_timeout(s);
		xmpp_disconnect(s->conn);
	}
	if (s->state == SESSION_DOWN && gg_now_ms() >= s->next_connect_ms &&
	    session_connect(s) == -ENOMEM)
		gg_log_warnx("xmpp: out of memory for a connection");
	session_run_once(s, timeout_ms);
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
	/* Bytes OpenSSL holds already are read now: waiting on the socket for them stalled
	 * the subscriber's last events of a burst until its next check (60 s). */
	if (gg_grid_tap_take_pending())
		timeout_ms = 0;
	if (poll(fds, 2, timeout_ms > INT32_MAX ? INT32_MAX : (int)timeout_ms) > 0 &&
	    (fds[0].revents & POLLIN) && read(wake_fd, &count, sizeof(count)) > 0)
		woken = 1;
	/* Timeout 0: libstrophe only writes, reads and parses what poll found ready. */
	session_run_once(s, 0);
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

enum gg_grid_fail gg_grid_session_last_failure(const struct gg_grid_session *s,
					       const char **why, int *final)
{
	*why = s->fail_why;
	*final = s->fail_final;
	return s->fail_kind;
}

int gg_grid_session_wait_up(struct gg_grid_session *s, int64_t timeout_ms)
{
	int64_t until = gg_now_ms() + timeout_ms;
	uint64_t failed = s->fail_count;

	while (s->state != SESSION_UP) {
		if (s->fail_count != failed && s->fail_final)
			return -ECONNABORTED;
		if (gg_now_ms() >= until) {
			if (s->state == SESSION_CONNECTING && !s->att.said)
				session_fail_timeout(s);
			return -ETIMEDOUT;
		}
		gg_grid_session_pump(s, 20);
	}
	return 0;
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
		session_run_once(s, 20);
	s->wait_id[0] = '\0';
	if (!s->wait_done)
		return s->state == SESSION_UP && s->epoch == epoch ? -ETIMEDOUT : -ENOTCONN;
	*result = s->wait_result;
	s->wait_result = NULL;
	type = xmpp_stanza_get_type(*result);
	return type != NULL && strcmp(type, "result") == 0 ? 0 : -EPROTO;
}
