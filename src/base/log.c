/* log.c: timestamped lines on stderr (journald adds its own metadata under systemd).
 * One write(2) per line so lines from several threads never interleave. */
#include "base/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

static enum gg_log_level log_level = GG_LOG_INFO;

void gg_log_init(enum gg_log_level level)
{
	log_level = level;
}

void gg_log_set_level(enum gg_log_level level)
{
	log_level = level;
}

int gg_log_level_parse(const char *name, enum gg_log_level *out)
{
	static const char *const names[] = { "error", "warn", "info", "debug" };

	for (int i = 0; i < 4; i++) {
		if (strcasecmp(name, names[i]) == 0) {
			*out = (enum gg_log_level)i;
			return 0;
		}
	}
	return -1;
}

static void log_vemit(enum gg_log_level level, const char *tag, int errnum, const char *fmt,
		      va_list ap)
{
	char line[2048];
	struct timespec ts;
	struct tm tm;
	size_t n;
	int r;

	if (level > log_level)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%S", &tm);
	r = snprintf(line + n, sizeof(line) - n, ".%03ldZ %s: ", ts.tv_nsec / 1000000, tag);
	n += (size_t)r;
	r = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	n = r < 0 ? n : n + (size_t)r;
	if (n > sizeof(line) - 2)
		n = sizeof(line) - 2;
	if (errnum != 0) {
		r = snprintf(line + n, sizeof(line) - n, ": %s", strerror(errnum));
		n = r < 0 ? n : n + (size_t)r;
		if (n > sizeof(line) - 2)
			n = sizeof(line) - 2;
	}
	line[n++] = '\n';
	(void)!write(STDERR_FILENO, line, n);
}

#define GG_LOG_FN(fname, level, tag, with_errno)        \
	void fname(const char *fmt, ...)                \
	{                                               \
		int saved = with_errno ? errno : 0;     \
		va_list ap;                             \
		va_start(ap, fmt);                      \
		log_vemit(level, tag, saved, fmt, ap);  \
		va_end(ap);                             \
	}

GG_LOG_FN(gg_log_warn, GG_LOG_WARN, "warning", 1)
GG_LOG_FN(gg_log_warnx, GG_LOG_WARN, "warning", 0)
GG_LOG_FN(gg_log_info, GG_LOG_INFO, "info", 0)
GG_LOG_FN(gg_log_debug, GG_LOG_DEBUG, "debug", 0)

void gg_fatal(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	log_vemit(GG_LOG_ERROR, "fatal", saved, fmt, ap);
	va_end(ap);
	exit(3);
}

void gg_fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vemit(GG_LOG_ERROR, "fatal", 0, fmt, ap);
	va_end(ap);
	exit(3);
}
