/* log.h: the one logging interface (OpenBSD style): *_warn appends strerror(errno),
 * *_warnx does not; fatal is for start-up and broken invariants only, never for peer input. */
#ifndef GG_LOG_H
#define GG_LOG_H

enum gg_log_level { GG_LOG_ERROR = 0, GG_LOG_WARN, GG_LOG_INFO, GG_LOG_DEBUG };

void gg_log_init(enum gg_log_level level);
void gg_log_set_level(enum gg_log_level level);
int gg_log_level_parse(const char *name, enum gg_log_level *out);
void gg_log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void gg_log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void gg_log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void gg_log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void gg_fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void gg_fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
