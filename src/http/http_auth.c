/* http_auth.c: bearer tokens and HMAC-SHA256 webhook signatures (OpenSSL), compared in
 * constant time. */
#include "http/http_auth.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#define SHA256_LEN 32
/* Base64 of 32 bytes: 44 characters. */
#define SHA256_B64_LEN 44

int gg_http_secret_parse(const char *text, size_t len, unsigned char **key, size_t *key_len)
{
	unsigned char *k;
	int n;

	while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r'))
		len--;
	*key = NULL;
	*key_len = 0;
	if (len == 0)
		return -EINVAL;
	if (len > 6 && strncmp(text, "whsec_", 6) == 0) {
		size_t b64 = len - 6, size = b64 / 4 * 3 + 1;

		if (b64 % 4 != 0)
			return -EINVAL;
		if ((k = malloc(size)) == NULL)
			return -ENOMEM;
		n = EVP_DecodeBlock(k, (const unsigned char *)text + 6, (int)b64);
		/* EVP_DecodeBlock counts the padding as zero bytes. */
		if (n > 0)
			n -= (text[len - 1] == '=') + (text[len - 2] == '=');
		if (n <= 0) {
			gg_http_secret_free(k, size);
			return -EINVAL;
		}
		*key = k;
		*key_len = (size_t)n;
		return 0;
	}
	if ((k = malloc(len)) == NULL)
		return -ENOMEM;
	memcpy(k, text, len);
	*key = k;
	*key_len = len;
	return 0;
}

/* Why text is not an RFC 6750 b64token (1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" /
 * "/" ) *"="), or NULL when it is. */
static const char *token_why(const char *text, size_t n)
{
	size_t i = 0;

	while (i < n && (isalnum((unsigned char)text[i]) || strchr("-._~+/", text[i]) != NULL))
		i++;
	if (i == 0)
		return "not a bearer token: it must start with a letter, a digit or one of -._~+/";
	while (i < n && text[i] == '=')
		i++;
	if (i == n)
		return NULL;
	return text[i] == ' ' || text[i] == '\t'
		       ? "a blank in the token (no Authorization header could carry it)"
		       : "not a bearer token: letters, digits and -._~+/ only, then = padding";
}

int gg_http_secret_read(const char *path, int raw, unsigned char **out, size_t *out_len,
			struct gg_error *err)
{
	char buf[4097];
	FILE *f = fopen(path, "re");
	size_t n;
	int r;

	*out = NULL;
	*out_len = 0;
	if (f == NULL)
		return gg_error_set(err, -errno, "%s: %s", path, strerror(errno));
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	if (n == sizeof(buf)) {
		OPENSSL_cleanse(buf, sizeof(buf));
		return gg_error_set(err, -EINVAL, "%s: longer than 4 KiB", path);
	}
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	if (memchr(buf, '\n', n) != NULL || memchr(buf, '\r', n) != NULL) {
		OPENSSL_cleanse(buf, sizeof(buf));
		return gg_error_set(err, -EINVAL, "%s: more than one line: the file holds the "
				    "secret alone", path);
	}
	if (raw) {
		const char *why = n == 0 ? "empty" : token_why(buf, n);

		if (why != NULL || (*out = malloc(n)) == NULL) {
			r = why != NULL ? gg_error_set(err, -EINVAL, "%s: %s", path, why)
					: gg_error_set(err, -ENOMEM, "out of memory");
			OPENSSL_cleanse(buf, sizeof(buf));
			return r;
		}
		memcpy(*out, buf, n);
		*out_len = n;
		OPENSSL_cleanse(buf, sizeof(buf));
		return 0;
	}
	r = gg_http_secret_parse(buf, n, out, out_len);
	OPENSSL_cleanse(buf, sizeof(buf));
	if (r != 0)
		return gg_error_set(err, r, "%s: %s", path, r == -ENOMEM ? "out of memory" :
				    "empty, or whsec_ followed by no valid base64");
	return 0;
}

void gg_http_secret_free(unsigned char *key, size_t key_len)
{
	if (key == NULL)
		return;
	OPENSSL_cleanse(key, key_len);
	free(key);
}

int gg_http_bearer_presented(const char *authorization)
{
	if (authorization == NULL || strncasecmp(authorization, "Bearer", 6) != 0 ||
	    (authorization[6] != ' ' && authorization[6] != '\t'))
		return 0;
	authorization += 6;
	while (*authorization == ' ' || *authorization == '\t')
		authorization++;
	return *authorization != '\0';
}

int gg_http_bearer_ok(const char *authorization, const unsigned char *token, size_t token_len)
{
	size_t len;

	if (authorization == NULL || strncasecmp(authorization, "Bearer ", 7) != 0)
		return 0;
	authorization += 7;
	while (*authorization == ' ')
		authorization++;
	len = strlen(authorization);
	while (len > 0 && authorization[len - 1] == ' ')
		len--;
	/* The length of a token is no secret worth a timing channel; its bytes are. */
	return len == token_len && CRYPTO_memcmp(authorization, token, len) == 0;
}

static int hmac256(const unsigned char *key, size_t key_len, const void *a, size_t alen,
		   const void *b, size_t blen, unsigned char out[SHA256_LEN])
{
	OSSL_PARAM params[] = { OSSL_PARAM_construct_utf8_string("digest", (char *)"SHA256", 0),
				OSSL_PARAM_construct_end() };
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *ctx = mac != NULL ? EVP_MAC_CTX_new(mac) : NULL;
	size_t n = 0;
	int ok = ctx != NULL && EVP_MAC_init(ctx, key, key_len, params) &&
		 EVP_MAC_update(ctx, a, alen) && EVP_MAC_update(ctx, b, blen) &&
		 EVP_MAC_final(ctx, out, &n, SHA256_LEN) && n == SHA256_LEN;

	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	return ok ? 0 : -EIO;
}

static int parse_i64(const char *s, int64_t *out)
{
	char *end;
	long long v;

	if (s == NULL || !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return -EINVAL;
	*out = v;
	return 0;
}

/* Standard Webhooks: BASE64 of HMAC-SHA256 over "id.timestamp.body", into out (45 bytes). */
static int standard_mac(const unsigned char *key, size_t key_len, const char *id,
			const char *timestamp, const void *body, size_t len,
			char out[SHA256_B64_LEN + 1])
{
	unsigned char mac[SHA256_LEN];
	size_t id_len = strlen(id), ts_len = strlen(timestamp);
	char *head;
	int r;

	/* "id.timestamp." then the body: one buffer for the head, the body signed in place. */
	if ((head = malloc(id_len + ts_len + 3)) == NULL)
		return -ENOMEM;
	memcpy(head, id, id_len);
	head[id_len] = '.';
	memcpy(head + id_len + 1, timestamp, ts_len);
	head[id_len + 1 + ts_len] = '.';
	r = hmac256(key, key_len, head, id_len + ts_len + 2, body, len, mac);
	free(head);
	if (r == 0)
		EVP_EncodeBlock((unsigned char *)out, mac, SHA256_LEN);
	OPENSSL_cleanse(mac, sizeof(mac));
	return r;
}

int gg_http_sign_standard(const unsigned char *key, size_t key_len, const char *id,
			  const char *timestamp, const void *body, size_t len,
			  char out[GG_HTTP_SIG_STANDARD_SIZE])
{
	if (strchr(id, '.') != NULL)
		return -EINVAL;
	memcpy(out, "v1,", 3);
	return standard_mac(key, key_len, id, timestamp, body, len, out + 3);
}

enum gg_http_sig gg_http_sig_standard(const unsigned char *key, size_t key_len, const char *id,
				      const char *timestamp, const char *signature,
				      const void *body, size_t len, int64_t now, int64_t window)
{
	char want[SHA256_B64_LEN + 1];
	int64_t ts;
	int match = 0;

	if (id == NULL || timestamp == NULL || signature == NULL)
		return GG_HTTP_SIG_MISSING;
	if (parse_i64(timestamp, &ts) != 0 || strchr(id, '.') != NULL)
		return GG_HTTP_SIG_BAD;
	if (standard_mac(key, key_len, id, timestamp, body, len, want) != 0)
		return GG_HTTP_SIG_BAD;
	/* Space-separated "v1,SIG" entries; other versions are skipped. */
	for (const char *p = signature; *p != '\0';) {
		size_t n;

		while (*p == ' ')
			p++;
		n = strcspn(p, " ");
		if (n == 3 + SHA256_B64_LEN && strncmp(p, "v1,", 3) == 0)
			match |= CRYPTO_memcmp(p + 3, want, SHA256_B64_LEN) == 0;
		p += n;
	}
	if (!match)
		return GG_HTTP_SIG_BAD;
	if (ts < now - window || ts > now + window)
		return GG_HTTP_SIG_STALE;
	return GG_HTTP_SIG_OK;
}

enum gg_http_sig gg_http_sig_github(const unsigned char *key, size_t key_len,
				    const char *signature, const void *body, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char mac[SHA256_LEN];
	char want[2 * SHA256_LEN];
	char given[2 * SHA256_LEN];

	if (signature == NULL)
		return GG_HTTP_SIG_MISSING;
	if (strncmp(signature, "sha256=", 7) != 0 || strlen(signature + 7) != 2 * SHA256_LEN)
		return GG_HTTP_SIG_BAD;
	if (hmac256(key, key_len, "", 0, body, len, mac) != 0)
		return GG_HTTP_SIG_BAD;
	for (size_t i = 0; i < SHA256_LEN; i++) {
		want[2 * i] = hex[mac[i] >> 4];
		want[2 * i + 1] = hex[mac[i] & 15];
	}
	for (size_t i = 0; i < sizeof(given); i++)
		given[i] = (char)tolower((unsigned char)signature[7 + i]);
	OPENSSL_cleanse(mac, sizeof(mac));
	return CRYPTO_memcmp(given, want, sizeof(want)) == 0 ? GG_HTTP_SIG_OK : GG_HTTP_SIG_BAD;
}

int gg_http_fingerprint_parse(const char *s, char out[65])
{
	size_t n = 0;

	for (; *s != '\0'; s++) {
		if (*s == ':')
			continue;
		if (!isxdigit((unsigned char)*s) || n == 64)
			return -EINVAL;
		out[n++] = (char)tolower((unsigned char)*s);
	}
	out[n] = '\0';
	return n == 64 ? 0 : -EINVAL;
}
