/* http_auth.h: the checks a webhook route authenticates a request with, pure functions over
 * headers and body: a bearer token, Standard Webhooks signatures (webhook-id,
 * webhook-timestamp, webhook-signature: v1,BASE64 of HMAC-SHA256 over "id.timestamp.body")
 * and GitHub's X-Hub-Signature-256 (sha256=HEX of HMAC-SHA256 over the body). Every
 * comparison of secret material takes constant time. */
#ifndef GG_HTTP_AUTH_H
#define GG_HTTP_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

enum gg_http_sig {
	GG_HTTP_SIG_OK,
	GG_HTTP_SIG_MISSING, /* no signature header (or a part of one missing) */
	GG_HTTP_SIG_BAD,     /* wrong signature, or a header that does not parse */
	GG_HTTP_SIG_STALE,   /* right signature, timestamp outside the replay window */
};

/* A secret as written in a secret file: "whsec_BASE64" (Standard Webhooks) is decoded, any
 * other text is used as its bytes (GitHub); a trailing newline is not part of it. 0, or
 * -EINVAL (empty, bad base64) or -ENOMEM. *key is freed with gg_http_secret_free. */
int gg_http_secret_parse(const char *text, size_t len, unsigned char **key, size_t *key_len);
/* Reads a secret file whole (4 KiB at most): raw = 1 takes its bytes without the trailing
 * newline as a bearer token, which must be one RFC 6750 b64token (letters, digits, -._~+/
 * then '=' padding: no blank, no second line, which no Authorization header could carry);
 * raw = 0 parses them as gg_http_secret_parse does, on one line. 0 or <0 with err naming
 * the file; the buffer read is wiped. */
int gg_http_secret_read(const char *path, int raw, unsigned char **out, size_t *out_len,
			struct gg_error *err);
/* Wipes and frees. */
void gg_http_secret_free(unsigned char *key, size_t key_len);

/* A SHA-256 fingerprint as an operator writes it (hex, any case, colons allowed, as `openssl
 * x509 -noout -fingerprint -sha256` prints it) -> 64 lowercase hex digits in out. 0 or
 * -EINVAL. RID partners are known by these on both sides: [rid_partner] and [export]. */
int gg_http_fingerprint_parse(const char *s, char out[65]);

/* 1 when the Authorization header value is "Bearer TOKEN" with exactly this token. */
int gg_http_bearer_ok(const char *authorization, const unsigned char *token, size_t token_len);
/* 1 when the Authorization header value presents a bearer token at all ("Bearer" and a
 * token): a request without one is told how to authenticate (401), one with a wrong one is
 * refused (403). */
int gg_http_bearer_presented(const char *authorization);

/* Standard Webhooks: the signature header may list several "v1,BASE64" (key rotation); one
 * match is enough. now and window in seconds; the timestamp is checked only once the
 * signature matched, so a stale answer says nothing to a sender without the key. */
enum gg_http_sig gg_http_sig_standard(const unsigned char *key, size_t key_len, const char *id,
				      const char *timestamp, const char *signature,
				      const void *body, size_t len, int64_t now, int64_t window);
/* The webhook-signature value a sender puts on a request ("v1," and 44 base64 characters,
 * NUL-terminated), the same a receiver checks with gg_http_sig_standard. 0, -EINVAL (an id
 * holding '.') or <0. */
#define GG_HTTP_SIG_STANDARD_SIZE 48
int gg_http_sign_standard(const unsigned char *key, size_t key_len, const char *id,
			  const char *timestamp, const void *body, size_t len,
			  char out[GG_HTTP_SIG_STANDARD_SIZE]);
/* GitHub: X-Hub-Signature-256: sha256=HEX. */
enum gg_http_sig gg_http_sig_github(const unsigned char *key, size_t key_len,
				    const char *signature, const void *body, size_t len);

#endif
