/* syslog_tls.h: the server side of RFC 5425 (syslog over TLS) with OpenSSL, on non-blocking
 * sockets: a context per listener, a session per connection, and no event loop of its own. */
#ifndef GG_SYSLOG_TLS_H
#define GG_SYSLOG_TLS_H

#include <stddef.h>
#include <sys/types.h>

#include "base/error.h"

struct gg_syslog_tls_conf {
	const char *cert;      /* PEM server certificate (chain), required */
	const char *key;       /* PEM private key, required */
	const char *client_ca; /* PEM CAs that client certificates must chain to, or NULL */
	int require_client_cert;
};

struct gg_syslog_tls;         /* one per listener */
struct gg_syslog_tls_session; /* one per connection */

/* Loads certificate, key and CAs (TLS 1.2 at least). Errors name the file and OpenSSL's
 * reason. */
int gg_syslog_tls_new(const struct gg_syslog_tls_conf *conf, struct gg_syslog_tls **out,
		      struct gg_error *err);
void gg_syslog_tls_free(struct gg_syslog_tls *tls);

/* The epoll events a session waits for: what OpenSSL asked for last. */
enum gg_syslog_tls_want { GG_TLS_WANT_READ = 1, GG_TLS_WANT_WRITE = 2 };

int gg_syslog_tls_session_new(struct gg_syslog_tls *tls, int fd,
			      struct gg_syslog_tls_session **out, struct gg_error *err);
/* Sends a close_notify if it can without blocking, and frees. Takes NULL. */
void gg_syslog_tls_session_free(struct gg_syslog_tls_session *s);

/* Advances the handshake. Returns 1 done, 0 in progress (*want says on what), <0 refused or
 * failed (err says why: the peer's certificate, protocol version, ...). */
int gg_syslog_tls_handshake(struct gg_syslog_tls_session *s, enum gg_syslog_tls_want *want,
			    struct gg_error *err);
/* After the handshake: one line on the protocol, cipher and the client's certificate. */
void gg_syslog_tls_describe(const struct gg_syslog_tls_session *s, char *out, size_t size);

/* Like recv(): >0 bytes, 0 at the end of the stream (close_notify), -EAGAIN
 * with *want set when nothing can be read now, other <0 for errors (err says which):
 * -ECONNRESET for a close without close_notify, which may have cut the stream. */
ssize_t gg_syslog_tls_read(struct gg_syslog_tls_session *s, void *buf, size_t len,
			   enum gg_syslog_tls_want *want, struct gg_error *err);
/* Bytes OpenSSL holds that the socket no longer shows: epoll does not wake for them, so the
 * caller must read again while this says so. */
int gg_syslog_tls_pending(const struct gg_syslog_tls_session *s);

#endif
