/* export_filter.h: which IODEF documents an endpoint gets: a minimum severity, purposes,
 * categories, and the restriction (RFC 7970 3.3.1) no unmarked endpoint may see. Pure: a
 * payload in, a decision out. */
#ifndef GG_EXPORT_FILTER_H
#define GG_EXPORT_FILTER_H

#include <stddef.h>

#include "base/error.h"

struct export_filter;

enum export_pass {
	EXPORT_PASS,       /* send it */
	EXPORT_FILTERED,   /* no Incident matches the endpoint's filters */
	EXPORT_RESTRICTED, /* an Incident is need-to-know, private or red */
	EXPORT_UNREADABLE, /* not an IODEF 2.0 document: cannot be judged */
};

/* severity: NULL, or low/medium/high (the least an Incident's Assessment must reach);
 * purposes, categories, topics: NULL, or words separated by blanks or commas. allow_restricted:
 * the endpoint may receive restricted Incidents. Returns 0, or -EINVAL naming the bad word. */
int export_filter_new(const char *severity, const char *purposes, const char *categories,
		      const char *topics, int allow_restricted, struct export_filter **out,
		      struct gg_error *err);
void export_filter_free(struct export_filter *f);
/* 1 when every document passes without being read (no filter, restricted allowed). */
int export_filter_is_open(const struct export_filter *f);
/* 1 when the record's meta (gg_spool_row.meta: a JSON object, or NULL) names one of the
 * endpoint's topics, or when it asked for none; else 0 with why (may be NULL). */
int export_filter_topic(const struct export_filter *f, const char *meta, char *why,
			size_t why_len);
/* Decides for one document; why (may be NULL) says what made it fail. */
enum export_pass export_filter_check(const struct export_filter *f, const char *doc, size_t len,
				     char *why, size_t why_len);

#endif
