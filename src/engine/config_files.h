/* config_files.h: what the files a configuration names held when it was read, so that a
 * SIGHUP that changes only a file (a token rotated, a certificate renewed) reaches the
 * instance as a change of its options would. */
#ifndef GG_CONFIG_FILES_H
#define GG_CONFIG_FILES_H

#include <stddef.h>

#include "base/digest.h"
#include "base/error.h"
#include "engine/config.h"

enum gg_file_state {
	GG_FILE_READ,       /* digest holds its content's SHA-256 */
	GG_FILE_MISSING,    /* no such file (or a directory in the path is not one) */
	GG_FILE_UNREADABLE, /* there, but not for this process (a root-only key after the
			     * privileges went): compared with nothing */
};

struct gg_file_stamp {
	const char *key; /* the option's, from its table */
	enum gg_file_state state;
	unsigned char digest[GG_SHA256_LEN];
};

/* Stamps every GG_OPT_FILE option of table that conf sets; *out is NULL when there is none
 * (caller frees it). Fails only for want of memory or on a read error other than a missing or
 * forbidden file (a directory), setting *key to the option. */
int gg_file_stamps_take(const struct gg_option *table, const void *conf,
			struct gg_file_stamp **out, size_t *n, const char **key,
			struct gg_error *err);

/* The key of the first file whose content differs between two stamps of one table, or NULL.
 * A file unreadable on either side is taken as unchanged: a process that cannot read it now
 * could not apply it either. */
const char *gg_file_stamps_differ(const struct gg_file_stamp *a, size_t n_a,
				  const struct gg_file_stamp *b, size_t n_b);

#endif
