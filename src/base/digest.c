/* digest.c: SHA-256 with the algorithm looked up once, and lowercase hex. */
#include "base/digest.h"

#include <pthread.h>

static EVP_MD *sha256_md;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

static void sha256_fetch(void)
{
	sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
}

const EVP_MD *gg_sha256_md(void)
{
	pthread_once(&sha256_once, sha256_fetch);
	return sha256_md;
}

int gg_sha256(const void *data, size_t len, unsigned char out[GG_SHA256_LEN])
{
	const EVP_MD *md = gg_sha256_md();
	unsigned int md_len = 0;

	if (md == NULL || EVP_Digest(data, len, out, &md_len, md, NULL) != 1 ||
	    md_len != GG_SHA256_LEN)
		return -1;
	return 0;
}

void gg_hex(const unsigned char *bytes, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[bytes[i] >> 4];
		out[2 * i + 1] = digits[bytes[i] & 0xf];
	}
	out[2 * n] = '\0';
}
