/* record_id.c: stable record ids from SHA-256 (OpenSSL EVP). */
#include "base/record_id.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#include "base/digest.h"
#include "base/log.h"

void gg_record_id(const char *input, const char *origin, uint64_t index, const void *bytes,
		  size_t len, char out[GG_RECORD_ID_LEN])
{
	const EVP_MD *md = gg_sha256_md();
	unsigned char digest[EVP_MAX_MD_SIZE];
	unsigned int digest_len = 0;
	char index_text[24];
	int n = snprintf(index_text, sizeof(index_text), "%llu", (unsigned long long)index);

	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	/* A digest that cannot be computed must not become a constant id: equal ids would make
	 * the spool drop distinct records as replays. Only allocation can fail here. */
	if (ctx == NULL || md == NULL || EVP_DigestInit_ex(ctx, md, NULL) != 1 ||
	    EVP_DigestUpdate(ctx, input, strlen(input) + 1) != 1 ||
	    EVP_DigestUpdate(ctx, origin, strlen(origin) + 1) != 1 ||
	    EVP_DigestUpdate(ctx, index_text, (size_t)n + 1) != 1 ||
	    EVP_DigestUpdate(ctx, bytes, len) != 1 ||
	    EVP_DigestFinal_ex(ctx, digest, &digest_len) != 1)
		gg_fatalx("record id: SHA-256 failed (out of memory)");
	EVP_MD_CTX_free(ctx);
	gg_hex(digest, 16, out);
}
