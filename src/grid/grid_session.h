/* grid_session.h: one XMPP client session to the controller (libstrophe, one context per
 * thread): STARTTLS with CA verification, SCRAM or SASL EXTERNAL, reconnect with backoff. */
#ifndef GG_GRID_SESSION_H
#define GG_GRID_SESSION_H

#include <stddef.h>
#include <stdint.h>
#include <strophe.h>

#include "grid/grid_conf.h"
#include "base/error.h"

struct gg_grid_session;

/* Why the session ended, as far as it tells what was sent. */
enum gg_grid_drop_kind {
	GG_DROP_NONE,      /* no drop seen yet */
	GG_DROP_STANZA,    /* a stream error about what we sent: policy-violation, not-well-formed,
			    * restricted-xml, invalid-xml... (Prosody: "XML stanza is too big") */
	GG_DROP_TRANSPORT, /* closed or reset without a stream error */
	GG_DROP_TIMEOUT,   /* we closed it: an IQ sent on it was never answered */
	GG_DROP_SERVER,    /* the server's own reason: system-shutdown, see-other-host, conflict,
			    * connection-timeout...: says nothing about the items */
	GG_DROP_SELF,      /* we closed it for a reason of ours (topic gone): not charged */
};


/* Called for every IQ result or error whose id starts with the prefix given to
 * gg_grid_session_new; the stanza is borrowed. */
typedef void (*gg_grid_iq_fn)(void *arg, const char *id, xmpp_stanza_t *stanza);

struct gg_grid_identity {
	const char *jid;
	const char *password;    /* NULL with a client certificate: SASL EXTERNAL */
	const char *client_cert;
	const char *client_key;
};

int gg_grid_session_new(const struct gg_xmpp_conf *conf, const struct gg_grid_identity *who,
			const char *async_id_prefix, gg_grid_iq_fn on_iq, void *arg,
			struct gg_grid_session **out, struct gg_error *err);
void gg_grid_session_free(struct gg_grid_session *s);

/* Runs libstrophe's loop once (at most timeout_ms), connecting when the backoff allows. */
void gg_grid_session_pump(struct gg_grid_session *s, unsigned long timeout_ms);
/* One turn of the session's loop that also sleeps on wake_fd (an eventfd, read here when it
 * fires): at most timeout_ms (-1: until the socket or wake_fd has something). Returns 1 when
 * wake_fd fired. */
int gg_grid_session_wait(struct gg_grid_session *s, int wake_fd, int64_t timeout_ms);
int gg_grid_session_is_up(const struct gg_grid_session *s);
/* Bumped at every established connection, so callers notice a reconnect in between. */
uint64_t gg_grid_session_epoch(const struct gg_grid_session *s);
/* Closes the connection; the backoff then reconnects. kind is what the drop says about what
 * was in flight: GG_DROP_TIMEOUT for an IQ that timed out, GG_DROP_SELF otherwise. A second
 * call before the connection is down does nothing (the first one's close is under way). */
void gg_grid_session_drop(struct gg_grid_session *s, enum gg_grid_drop_kind kind,
			  const char *why);
/* What a stream error condition ("policy-violation", "system-shutdown") ending an established
 * session says about what was sent; GG_DROP_TRANSPORT for an unknown condition or NULL. */
enum gg_grid_drop_kind gg_grid_stream_condition_kind(const char *condition);
/* Why the last established connection ended: its kind, and a text such as
 * "stream error policy-violation: XML stanza is too big" (valid until the next drop). */
enum gg_grid_drop_kind gg_grid_session_last_drop(const struct gg_grid_session *s,
						 const char **why);
/* Why the last connection attempt failed before its session was up. */
enum gg_grid_fail {
	GG_FAIL_NONE,
	GG_FAIL_DNS,     /* the host name does not resolve */
	GG_FAIL_REFUSED, /* TCP connection refused: nothing listens on host:port */
	GG_FAIL_CONNECT, /* TCP connect failed otherwise: timed out, unreachable */
	GG_FAIL_TLS,     /* TLS handshake failed or the certificate did not verify */
	GG_FAIL_NO_TLS,  /* the server offers no STARTTLS (TLS is mandatory) */
	GG_FAIL_AUTH,    /* SASL refused, or no mechanism in common */
	GG_FAIL_STREAM,  /* the server ended the stream with a stream error */
	GG_FAIL_TIMEOUT, /* no session iq_timeout after connecting (the connect watchdog) */
	GG_FAIL_CLOSED,  /* closed or reset before the session was up, without a reason */
};

/* The last failed attempt's kind and its text, which says what to check, e.g. "SASL
 * SCRAM-SHA-1 login as gw@example.org refused: not-authorized: check the password
 * (password_file)" (valid until the next attempt fails). *final is 1 when retrying at once
 * cannot help (wrong password, certificate, port...). GG_FAIL_NONE: no attempt failed yet. */
enum gg_grid_fail gg_grid_session_last_failure(const struct gg_grid_session *s,
					       const char **why, int *final);
/* Waits (pumping) up to timeout_ms for the session to come up: 0 when up. Gives up early,
 * with -ECONNABORTED, when an attempt fails for a final cause; -ETIMEDOUT otherwise.
 * gg_grid_session_last_failure then says why (at the deadline: the last failure, or the
 * attempt still under way as GG_FAIL_TIMEOUT). */
int gg_grid_session_wait_up(struct gg_grid_session *s, int64_t timeout_ms);

xmpp_ctx_t *gg_grid_session_ctx(struct gg_grid_session *s);
void gg_grid_send_raw(struct gg_grid_session *s, const char *data, size_t len);

/* Sends iq (consumed) with a fresh id and pumps until its answer. 0 with *result (release
 * with xmpp_stanza_release) for a result; -EPROTO with *result for an error reply;
 * -ETIMEDOUT; -ENOTCONN when the session went down meanwhile. */
int gg_grid_iq_sync(struct gg_grid_session *s, xmpp_stanza_t *iq, int64_t timeout_ms,
		    xmpp_stanza_t **result);

/* The first line of a password file (password_file of a session's own section), malloc'd:
 * wipe it before freeing. 0, or <0 with err naming the file (an empty first line too). */
int gg_grid_password_read(const char *path, char **out, struct gg_error *err);

/* Milliseconds on a monotonic clock. */
int64_t gg_now_ms(void);

#endif
