/* timestamp.h: log timestamps -> xs:dateTime (the formats docs/mappings.md lists), shared by
 * the mapping engine and the generic syslog incident so both place a stamp in the same year
 * and zone. Pure. */
#ifndef GG_TIMESTAMP_H
#define GG_TIMESTAMP_H

#include <stddef.h>
#include <time.h>

struct gg_syslog_time;

/* Longest xs:dateTime gg_time_to_xs writes, with its NUL: "YYYY-MM-DDThh:mm:ss.ffffff+hh:mm". */
#define GG_TIME_XS_MAX 48

/* Parses s into xs:dateTime (out: at least GG_TIME_XS_MAX bytes). tz_minutes (east of UTC)
 * applies to stamps written without an offset; a stamp without a year gets the latest of
 * next, this and last year (of now) that does not put it more than a day after now. Returns
 * 0, or -1 when s is no timestamp gridgate reads or not one xs:dateTime can hold. */
int gg_time_to_xs(const char *s, int tz_minutes, time_t now, char *out, size_t size);

/* A parsed syslog header's stamp as text gg_time_to_xs reads (a yearless RFC 3164 stamp stays
 * yearless, so the year rule above applies). Returns 0, or -1 when the header has none. */
int gg_syslog_time_text(const struct gg_syslog_time *t, char *out, size_t size);

/* Days in month m (1-12) of year y, Gregorian. */
int gg_days_in_month(int y, int m);

#endif
