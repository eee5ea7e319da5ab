/* grid_history.h: the items a topic holds, as copies, and the choice a directed or bulk query
 * makes among them (`gridgate topics items --since ID|TIME --max N`). Pure: no session. */
#ifndef GG_GRID_HISTORY_H
#define GG_GRID_HISTORY_H

#include <libxml/tree.h>
#include <stddef.h>
#include <stdint.h>

/* No time: a document without ReportTime or GenerationTime, or --since given as an id. */
#define GG_TIME_NONE INT64_MIN

struct gg_topic_item {
	char *id;
	char *text; /* the payload as the controller sent it, standing alone (grid_stream.h) */
	size_t len;
	int64_t doc_us; /* gg_iodef_doc_time of the payload */
};

/* In the order the controller listed them (Prosody: publish order, oldest first). */
struct gg_topic_items {
	struct gg_topic_item *v;
	size_t n, cap;
};

/* Appends a copy of id and takes text (malloc'd; freed here on failure). 0 or -ENOMEM. */
int gg_topic_items_add(struct gg_topic_items *l, const char *id, char *text, size_t len,
		       int64_t doc_us);
void gg_topic_items_free(struct gg_topic_items *l);

/* Where the item with this id is in l (*at), or -ENOENT. */
int gg_topic_items_find(const struct gg_topic_items *l, const char *id, size_t *at);

/* Keeps, in order, the items after since_id (those listed after it: published later), or
 * with since_us != GG_TIME_NONE those whose document time is later than since_us, then the
 * first max of them (0: all). -ENOENT when since_id is not among the items. */
int gg_topic_items_select(struct gg_topic_items *l, const char *since_id, int64_t since_us,
			  size_t max);

/* An RFC 3339 date-time, "2026-12-06T19:02:05Z" or "2026-12-06T20:02:05.25+01:00", in
 * microseconds since the epoch (UTC). An xs:dateTime without a zone is read as UTC (the form
 * IODEF allows). 0, or -EINVAL for anything else. */
int gg_rfc3339_us(const char *s, int64_t *out);

/* The time of an IODEF 2.0 document: the latest ReportTime or GenerationTime (mandatory) of
 * its Incidents, or GG_TIME_NONE. */
int64_t gg_iodef_doc_time(xmlNodePtr root);

#endif
