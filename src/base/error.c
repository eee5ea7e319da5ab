/* error.c: filling struct gg_error. */
#include "base/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void error_vfill(struct gg_error *err, int line, int column, const char *fmt,
			va_list ap)
{
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	err->line = line;
	err->column = column;
}

int gg_error_set(struct gg_error *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return code;
	va_start(ap, fmt);
	error_vfill(err, 0, 0, fmt, ap);
	va_end(ap);
	return code;
}

int gg_error_set_at(struct gg_error *err, int code, int line, int column, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return code;
	va_start(ap, fmt);
	error_vfill(err, line, column, fmt, ap);
	va_end(ap);
	return code;
}

void gg_error_clear(struct gg_error *err)
{
	if (err != NULL)
		memset(err, 0, sizeof(*err));
}

void gg_error_prefix(struct gg_error *err, const char *fmt, ...)
{
	char prefix[256], saved[sizeof(err->msg)];
	size_t plen, slen;
	va_list ap;

	if (err == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(saved, err->msg, sizeof(saved));
	plen = strnlen(prefix, sizeof(prefix));
	slen = strnlen(saved, sizeof(saved) - 1);
	/* The detail is kept whole where it fits; the message is cut at the end, never mid-prefix. */
	if (plen > sizeof(err->msg) - 1)
		plen = sizeof(err->msg) - 1;
	memcpy(err->msg, prefix, plen);
	if (slen > sizeof(err->msg) - 1 - plen)
		slen = sizeof(err->msg) - 1 - plen;
	memcpy(err->msg + plen, saved, slen);
	err->msg[plen + slen] = '\0';
}
