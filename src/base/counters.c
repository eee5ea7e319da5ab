/* counters.c: formatting a counters table (see counters.h). */
#include "base/counters.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>

void gg_counters_format(const struct gg_counter *rows, const void *base, char *out, size_t size)
{
	size_t used = 0;

	if (size > 0)
		out[0] = '\0';
	for (; rows->name != NULL && used < size; rows++) {
		const atomic_uint_fast64_t *v =
			(const atomic_uint_fast64_t *)((const char *)base + rows->offset);
		int n = snprintf(out + used, size - used, "%s%s=%llu", used > 0 ? " " : "",
				 rows->name, (unsigned long long)atomic_load(v));

		if (n < 0)
			break;
		used += (size_t)n;
	}
}
