/* digest.h: SHA-256 with the algorithm looked up once, and lowercase hex. */
#ifndef GG_DIGEST_H
#define GG_DIGEST_H

#include <stddef.h>

#include <openssl/evp.h>

#define GG_SHA256_LEN 32

/* OpenSSL's SHA-256, fetched once for the process. EVP_sha256() instead makes OpenSSL 3 look
 * the algorithm up in its provider tables (a lock and a hash lookup) at every digest: a
 * twentieth of a syslog worker's time when record ids used it. NULL if OpenSSL has none. */
const EVP_MD *gg_sha256_md(void);

/* out = SHA-256(data); 0, or -1 when the digest cannot be computed (allocation). */
int gg_sha256(const void *data, size_t len, unsigned char out[GG_SHA256_LEN]);

/* n bytes as 2n lowercase hex digits and a NUL (out holds 2n + 1). */
void gg_hex(const unsigned char *bytes, size_t n, char *out);

#endif
