/* syslog_tls.c: OpenSSL for the syslog listener (RFC 5425): TLS 1.2 or later, a server
 * certificate, optional client certificates checked against a CA; non-blocking only. */
#include "in_syslog/syslog_tls.h"

#include <errno.h>
#include <limits.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct gg_syslog_tls {
	SSL_CTX *ctx;
};

struct gg_syslog_tls_session {
	SSL *ssl;
	int established;
	int failed; /* after a fatal error OpenSSL forbids SSL_shutdown */
};

/* OpenSSL's error queue is per thread and keeps stale entries: each call clears it first,
 * and a failure takes the earliest entry, which names the cause (later ones name callers). */
static void ssl_reason(char *out, size_t size)
{
	unsigned long e = ERR_get_error();

	if (e == 0)
		snprintf(out, size, "no reason given");
	else
		ERR_error_string_n(e, out, size);
	ERR_clear_error();
}

int gg_syslog_tls_new(const struct gg_syslog_tls_conf *conf, struct gg_syslog_tls **out,
		      struct gg_error *err)
{
	struct gg_syslog_tls *tls;
	char why[256];
	int r = -EINVAL;

	*out = NULL;
	if (conf->cert == NULL || conf->key == NULL)
		return gg_error_set(err, -EINVAL, "tls needs tls_cert and tls_key");
	if (conf->require_client_cert && conf->client_ca == NULL)
		return gg_error_set(err, -EINVAL,
				    "tls_require_client_cert needs tls_client_ca to verify them");
	tls = calloc(1, sizeof(*tls));
	if (tls == NULL)
		return gg_error_set(err, -ENOMEM, "out of memory");
	ERR_clear_error();
	tls->ctx = SSL_CTX_new(TLS_server_method());
	if (tls->ctx == NULL) {
		ssl_reason(why, sizeof(why));
		r = gg_error_set(err, -ENOMEM, "tls: %s", why);
		goto fail;
	}
	/* RFC 5425 allows TLS 1.0, but RFC 8996 retired 1.0 and 1.1. Renegotiation is a way for
	 * a client to make the server compute, not something syslog needs; tickets and a session
	 * cache would be state that a one-connection-per-sender protocol never uses. A peer that
	 * closes without close_notify (RFC 5425 section 4.4 says it MUST send one) is an
	 * abortive end: tls_read says -ECONNRESET, and the stream drops the frame it cut. */
	if (SSL_CTX_set_min_proto_version(tls->ctx, TLS1_2_VERSION) != 1) {
		ssl_reason(why, sizeof(why));
		r = gg_error_set(err, -EINVAL, "tls: minimum version: %s", why);
		goto fail;
	}
	SSL_CTX_set_options(tls->ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_TICKET |
				      SSL_OP_CIPHER_SERVER_PREFERENCE);
	SSL_CTX_set_num_tickets(tls->ctx, 0);
	SSL_CTX_set_session_cache_mode(tls->ctx, SSL_SESS_CACHE_OFF);
	/* Idle connections give their 34 KB of record buffers back. */
	SSL_CTX_set_mode(tls->ctx, SSL_MODE_RELEASE_BUFFERS);
	if (SSL_CTX_use_certificate_chain_file(tls->ctx, conf->cert) != 1) {
		ssl_reason(why, sizeof(why));
		r = gg_error_set(err, -EINVAL, "tls_cert %s: %s", conf->cert, why);
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey_file(tls->ctx, conf->key, SSL_FILETYPE_PEM) != 1) {
		ssl_reason(why, sizeof(why));
		r = gg_error_set(err, -EINVAL, "tls_key %s: %s", conf->key, why);
		goto fail;
	}
	if (SSL_CTX_check_private_key(tls->ctx) != 1) {
		ssl_reason(why, sizeof(why));
		r = gg_error_set(err, -EINVAL, "tls_key %s does not match tls_cert %s: %s",
				 conf->key, conf->cert, why);
		goto fail;
	}
	if (conf->client_ca != NULL) {
		STACK_OF(X509_NAME) *names;

		if (SSL_CTX_load_verify_locations(tls->ctx, conf->client_ca, NULL) != 1 ||
		    (names = SSL_load_client_CA_file(conf->client_ca)) == NULL) {
			ssl_reason(why, sizeof(why));
			r = gg_error_set(err, -EINVAL, "tls_client_ca %s: %s", conf->client_ca,
					 why);
			goto fail;
		}
		SSL_CTX_set_client_CA_list(tls->ctx, names); /* takes names */
		/* Asked for always; when not required, a client without one is let in, but a
		 * certificate that is presented must verify. */
		SSL_CTX_set_verify(tls->ctx,
				   SSL_VERIFY_PEER | (conf->require_client_cert ?
						      SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0),
				   NULL);
	}
	*out = tls;
	return 0;
fail:
	gg_syslog_tls_free(tls);
	return r;
}

void gg_syslog_tls_free(struct gg_syslog_tls *tls)
{
	if (tls == NULL)
		return;
	SSL_CTX_free(tls->ctx);
	free(tls);
}

int gg_syslog_tls_session_new(struct gg_syslog_tls *tls, int fd,
			      struct gg_syslog_tls_session **out, struct gg_error *err)
{
	struct gg_syslog_tls_session *s = calloc(1, sizeof(*s));
	char why[256];

	*out = NULL;
	if (s == NULL)
		return gg_error_set(err, -ENOMEM, "out of memory");
	ERR_clear_error();
	s->ssl = SSL_new(tls->ctx);
	if (s->ssl == NULL || SSL_set_fd(s->ssl, fd) != 1) {
		ssl_reason(why, sizeof(why));
		s->failed = 1;
		gg_syslog_tls_session_free(s);
		return gg_error_set(err, -ENOMEM, "tls: %s", why);
	}
	SSL_set_accept_state(s->ssl);
	*out = s;
	return 0;
}

void gg_syslog_tls_session_free(struct gg_syslog_tls_session *s)
{
	if (s == NULL)
		return;
	if (s->ssl != NULL && s->established && !s->failed) {
		/* One try: the socket is non-blocking and about to close, nobody waits for the
		 * peer's answer. */
		ERR_clear_error();
		(void)SSL_shutdown(s->ssl);
		ERR_clear_error();
	}
	SSL_free(s->ssl); /* SSL_set_fd's BIO does not close the fd: the caller does */
	free(s);
}

/* Turns SSL_get_error's answer into ours: 0 and *want, or <0 with a reason in err. */
static int ssl_outcome(struct gg_syslog_tls_session *s, int ret, const char *what,
		       enum gg_syslog_tls_want *want, struct gg_error *err)
{
	int saved = errno; /* before SSL_get_error, which may change it */
	int e = SSL_get_error(s->ssl, ret);
	char why[256];
	long vr;

	switch (e) {
	case SSL_ERROR_WANT_READ:
		*want = GG_TLS_WANT_READ;
		return -EAGAIN;
	case SSL_ERROR_WANT_WRITE:
		*want = GG_TLS_WANT_WRITE;
		return -EAGAIN;
	case SSL_ERROR_ZERO_RETURN:
		return 0;
	case SSL_ERROR_SYSCALL:
		s->failed = 1;
		if (ERR_peek_error() == 0) {
			ERR_clear_error();
			if (ret == 0 || saved == 0)
				return gg_error_set(err, -ECONNRESET, "%s: peer closed the "
						    "connection", what);
			return gg_error_set(err, -saved, "%s: %s", what, strerror(saved));
		}
		ssl_reason(why, sizeof(why));
		return gg_error_set(err, -EIO, "%s: %s", what, why);
	default:
		s->failed = 1;
		if (e == SSL_ERROR_SSL &&
		    ERR_GET_REASON(ERR_peek_error()) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
			ERR_clear_error();
			return gg_error_set(err, -ECONNRESET, "%s: peer closed the connection "
					    "without close_notify", what);
		}
		ssl_reason(why, sizeof(why));
		vr = SSL_get_verify_result(s->ssl);
		if (vr != X509_V_OK)
			return gg_error_set(err, -EPERM, "%s: client certificate: %s (%s)", what,
					    X509_verify_cert_error_string(vr), why);
		return gg_error_set(err, -EPROTO, "%s: %s", what, why);
	}
}

int gg_syslog_tls_handshake(struct gg_syslog_tls_session *s, enum gg_syslog_tls_want *want,
			    struct gg_error *err)
{
	int r;

	ERR_clear_error();
	r = SSL_do_handshake(s->ssl);
	if (r == 1) {
		s->established = 1;
		return 1;
	}
	r = ssl_outcome(s, r, "tls handshake", want, err);
	if (r == 0) /* a close_notify before the handshake ended */
		return gg_error_set(err, -ECONNRESET, "tls handshake: peer closed the "
				    "connection");
	return r == -EAGAIN ? 0 : r;
}

void gg_syslog_tls_describe(const struct gg_syslog_tls_session *s, char *out, size_t size)
{
	X509 *peer = SSL_get0_peer_certificate(s->ssl);
	char subject[256] = "none";

	if (peer != NULL)
		X509_NAME_oneline(X509_get_subject_name(peer), subject, sizeof(subject));
	snprintf(out, size, "%s %s, client certificate %s", SSL_get_version(s->ssl),
		 SSL_get_cipher_name(s->ssl), subject);
}

ssize_t gg_syslog_tls_read(struct gg_syslog_tls_session *s, void *buf, size_t len,
			   enum gg_syslog_tls_want *want, struct gg_error *err)
{
	int n;

	if (len > INT_MAX)
		len = INT_MAX;
	ERR_clear_error();
	n = SSL_read(s->ssl, buf, (int)len);
	if (n > 0)
		return n;
	return ssl_outcome(s, n, "tls read", want, err);
}

int gg_syslog_tls_pending(const struct gg_syslog_tls_session *s)
{
	return SSL_has_pending(s->ssl);
}
