/* record_id.c: stable record ids from SHA-256 (OpenSSL EVP). */
#include "base/record_id.h"

#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "base/log.h"

/* EVP_sha256() makes OpenSSL 3 look the algorithm up in its provider tables at every
 * EVP_DigestInit_ex: a twentieth of a syslog worker's time. Fetched once instead; it lives as
 * long as the process. */
static EVP_MD *record_md;
static pthread_once_t record_md_once = PTHREAD_ONCE_INIT;

static void record_md_fetch(void)
{
	record_md = EVP_MD_fetch(NULL, "SHA256", NULL);
}

void gg_record_id(const char *input, const char *origin, uint64_t index, const void *bytes,
		  size_t len, char out[GG_RECORD_ID_LEN])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char digest[EVP_MAX_MD_SIZE];
	unsigned int digest_len = 0;
	char index_text[24];
	int n = snprintf(index_text, sizeof(index_text), "%llu", (unsigned long long)index);

	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	pthread_once(&record_md_once, record_md_fetch);
	/* A digest that cannot be computed must not become a constant id: equal ids would make
	 * the spool drop distinct records as replays. Only allocation can fail here. */
	if (ctx == NULL || record_md == NULL || EVP_DigestInit_ex(ctx, record_md, NULL) != 1 ||
	    EVP_DigestUpdate(ctx, input, strlen(input) + 1) != 1 ||
	    EVP_DigestUpdate(ctx, origin, strlen(origin) + 1) != 1 ||
	    EVP_DigestUpdate(ctx, index_text, (size_t)n + 1) != 1 ||
	    EVP_DigestUpdate(ctx, bytes, len) != 1 ||
	    EVP_DigestFinal_ex(ctx, digest, &digest_len) != 1)
		gg_fatalx("record id: SHA-256 failed (out of memory)");
	EVP_MD_CTX_free(ctx);
	for (int i = 0; i < 16; i++) {
		out[2 * i] = hex[digest[i] >> 4];
		out[2 * i + 1] = hex[digest[i] & 0xf];
	}
	out[32] = '\0';
}
