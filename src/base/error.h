/* error.h: one error record filled at the place a failure is understood best.
 * Functions return 0 or a negative errno-style code and describe it here; callers log once. */
#ifndef GG_ERROR_H
#define GG_ERROR_H

#include <stddef.h>

struct gg_error {
	char msg[512];
	int line;   /* 1-based position in the input the error is about, 0 when unknown */
	int column;
};

/* Fills err (which may be NULL) and returns code, so callers can write
 * `return gg_error_set(err, -EINVAL, "...")`. */
int gg_error_set(struct gg_error *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int gg_error_set_at(struct gg_error *err, int code, int line, int column,
		    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void gg_error_clear(struct gg_error *err);
/* Puts context in front of an existing message ("file:12: " + msg), keeping line/column. */
void gg_error_prefix(struct gg_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
