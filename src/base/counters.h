/* counters.h: counters as table rows (name, help, where the value lives), as options are: the
 * minute log, SIGUSR1 and later /metrics read the same rows, so a counter is declared once. */
#ifndef GG_COUNTERS_H
#define GG_COUNTERS_H

#include <stddef.h>

struct gg_counter {
	const char *name;
	const char *help;
	size_t offset; /* of an atomic_uint_fast64_t in the struct the table describes */
};

/* A table ends with a row whose name is NULL. */
#define GG_COUNTERS_END { NULL, NULL, 0 }

/* Writes "name=value name=value ..." of every row, the values read from base. */
void gg_counters_format(const struct gg_counter *rows, const void *base, char *out, size_t size);

#endif
