/* config_files.c: what the files a configuration names held when it was read. */
#include "engine/config_files.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

/* Reads path whole into s's digest; errno's value on failure, 0 on success. */
static int stamp_file(const char *path, struct gg_file_stamp *s)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	const EVP_MD *md = gg_sha256_md();
	unsigned char buf[16384];
	FILE *f;
	size_t n;
	int r = 0;

	if (ctx == NULL || md == NULL || EVP_DigestInit_ex(ctx, md, NULL) != 1) {
		EVP_MD_CTX_free(ctx);
		return ENOMEM;
	}
	if ((f = fopen(path, "re")) == NULL) {
		r = errno;
		EVP_MD_CTX_free(ctx);
		return r;
	}
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		if (EVP_DigestUpdate(ctx, buf, n) != 1)
			r = ENOMEM;
	if (ferror(f))
		r = errno != 0 ? errno : EIO;
	fclose(f);
	if (r == 0 && EVP_DigestFinal_ex(ctx, s->digest, NULL) != 1)
		r = ENOMEM;
	EVP_MD_CTX_free(ctx);
	return r;
}

int gg_file_stamps_take(const struct gg_option *table, const void *conf,
			struct gg_file_stamp **out, size_t *n, const char **key,
			struct gg_error *err)
{
	struct gg_file_stamp *stamps = NULL;
	size_t count = 0;

	*out = NULL;
	*n = 0;
	*key = NULL;
	for (const struct gg_option *o = table; o->key != NULL; o++) {
		const char *path;
		struct gg_file_stamp *s, *p;
		int r;

		/* Only a GG_OPT_FILE row's field is a string: read no other as one. */
		if (!(o->flags & GG_OPT_FILE))
			continue;
		if ((path = *(char *const *)((const char *)conf + o->offset)) == NULL)
			continue;
		if ((p = realloc(stamps, (count + 1) * sizeof(*stamps))) == NULL) {
			free(stamps);
			return gg_error_set(err, -ENOMEM, "out of memory");
		}
		stamps = p;
		s = &stamps[count++];
		*s = (struct gg_file_stamp){ .key = o->key, .state = GG_FILE_READ };
		r = stamp_file(path, s);
		if (r == ENOENT || r == ENOTDIR) {
			s->state = GG_FILE_MISSING;
		} else if (r == EACCES || r == EPERM) {
			s->state = GG_FILE_UNREADABLE;
		} else if (r != 0) {
			free(stamps);
			*key = o->key;
			return gg_error_set(err, -r, "cannot read: %s", strerror(r));
		}
	}
	*out = stamps;
	*n = count;
	return 0;
}

/* The stamp of key in a list, or NULL. */
static const struct gg_file_stamp *stamp_of(const struct gg_file_stamp *s, size_t n,
					    const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(s[i].key, key) == 0)
			return &s[i];
	return NULL;
}

const char *gg_file_stamps_differ(const struct gg_file_stamp *a, size_t n_a,
				  const struct gg_file_stamp *b, size_t n_b)
{
	for (size_t i = 0; i < n_a; i++) {
		const struct gg_file_stamp *x = &a[i], *y = stamp_of(b, n_b, x->key);

		/* An option set on one side only is an option change: reported as such. */
		if (y == NULL || x->state == GG_FILE_UNREADABLE || y->state == GG_FILE_UNREADABLE)
			continue;
		if (x->state != y->state ||
		    (x->state == GG_FILE_READ && memcmp(x->digest, y->digest, sizeof(x->digest)) != 0))
			return x->key;
	}
	return NULL;
}
