/* map.h: the mapping engine: declarative mapping files (NAME.map in mappings/, docs/mappings.md)
 * turn one log record (a syslog message, a line of a log file) into an IODEF 2.0 incident.
 *
 * Life cycle: gg_mapset_load reads and compiles mapping files once; the set is immutable and
 * shared by every input thread (reference counted, so a SIGHUP reload swaps sets while records
 * in flight finish with the old one). Each thread evaluates with its own gg_map_ctx (PCRE2
 * match data and JIT stack are per thread). */
#ifndef GG_MAP_H
#define GG_MAP_H

#include <libxml/tree.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "base/error.h"
#include "iodef/iodef.h"

struct gg_syslog_msg;

/* Limits that protect the daemon from a pathological pattern or record. Zero means the
 * default. */
struct gg_map_limits {
	unsigned long regex_match_limit; /* PCRE2 match limit (backtracking steps), 1000000 */
	unsigned long regex_depth_limit; /* PCRE2 depth (heap) limit, 10000 */
	size_t max_field_len;            /* longest input field a regex is run on, 64 KiB */
	size_t max_elements;             /* most elements `each` makes of one record, 1000 */
};

/* A compiled set of mappings, in the order they are tried. */
struct gg_mapset;

/* Loads the named mappings: each name is a path (contains '/' or ends in ".map") or a file
 * NAME.map in dir. "*" loads every *.map in dir in name order. On error err names the file,
 * the line and the reason ("mappings/openssh.map:12: unknown slot 'sevrity'"). */
int gg_mapset_load(const char *dir, const char *const *names, size_t n_names,
		   const struct gg_map_limits *limits, struct gg_mapset **out,
		   struct gg_error *err);
/* Reference counting: the loader's reference is the first; the set is freed with the last. */
struct gg_mapset *gg_mapset_ref(struct gg_mapset *set);
void gg_mapset_unref(struct gg_mapset *set);
size_t gg_mapset_count(const struct gg_mapset *set);
const char *gg_mapset_name(const struct gg_mapset *set, size_t i);

/* One record to map. */
struct gg_map_record {
	const char *input;  /* the input's name (selectable as field "input") */
	const char *peer;   /* sender address, or NULL */
	const char *raw;    /* the bytes as received; kept in the RecordItem */
	size_t raw_len;
	/* The parsed syslog message when the record has one (its slices point into raw or the
	 * parser's scratch). NULL: msg is the whole raw record. */
	const struct gg_syslog_msg *syslog;
	const char *record_id; /* IncidentID */
	time_t now;            /* receive time: GenerationTime, year of yearless stamps */
};

enum gg_map_verdict {
	GG_MAP_MAPPED,    /* doc is the incident */
	GG_MAP_IGNORED,   /* a rule with "drop" matched: not an incident, on purpose */
	GG_MAP_UNMATCHED, /* no mapping selected it or no rule matched */
};

/* Room for a result's id: a record id (the spool takes up to 64 bytes), '-', an index. */
#define GG_MAP_ID_LEN 96

/* What became of a record, or of one element of it: a mapping with `each` (docs/mappings.md)
 * makes one result per element of a JSON array, every other record makes one result. */
struct gg_map_result {
	enum gg_map_verdict verdict;
	/* An element whose rules failed (a regex over its limits): <0, why says why, verdict
	 * UNMATCHED; the other elements are mapped all the same. 0 otherwise. */
	int error;
	const struct gg_error *why;
	/* MAPPED: the incident, built to the schema but not validated (the ingest path does).
	 * A sink that keeps it sets doc to NULL; otherwise it is freed when the sink returns. */
	xmlDocPtr doc;
	/* Its IncidentID: the record's id, or "ID-N" for element N, so a record sent twice
	 * gives the same ids and the spool recognizes the second. */
	const char *id;
	long element; /* -1: the record itself; else the index among the elements */
	/* What the result is made of: the record as received, or the element as compact JSON
	 * (what a generic incident of an unmatched element carries). */
	const char *raw;
	size_t raw_len;
	const char *mapping, *rule; /* what decided, NULL when unmatched; valid while set lives */
};

/* Receives each result of a record, in element order; returns 0, or <0 to stop mapping the
 * record (gg_map_apply returns that code). */
typedef int (*gg_map_sink)(void *arg, struct gg_map_result *res);

/* Per-thread evaluation state. explain, when not NULL, receives a readable trace of the
 * mappings and rules tried and the fields each extracted (gridgate map --explain). */
struct gg_map_ctx;
int gg_map_ctx_new(FILE *explain, struct gg_map_ctx **out, struct gg_error *err);
void gg_map_ctx_free(struct gg_map_ctx *ctx);
/* The zone of stamps written without one for records mapped with ctx, overriding each
 * mapping's `timezone` (an input's `timezone` option: the zone is the sender's, which the
 * mapping of its format cannot know). */
void gg_map_ctx_set_timezone(struct gg_map_ctx *ctx, int minutes_east);
/* "UTC", "Z", "+HH:MM" or "-HH:MM" -> minutes east of UTC; -1 when s is none of them. */
int gg_timezone_parse(const char *s, int *minutes_east);

/* Maps rec with the first mapping and rule that select it and hands sink each result (one,
 * or one per element of an `each` mapping). Returns 0, the sink's code when it stopped, or a
 * negative errno when the record cannot be mapped at all (err says why: a regex over its
 * limits in a selection condition, more elements than max_elements, out of memory); then no
 * result was handed over, except with -ENOMEM or a sink's code. */
int gg_map_apply(struct gg_map_ctx *ctx, const struct gg_mapset *set,
		 const struct gg_map_record *rec, const struct gg_iodef_defaults *defaults,
		 gg_map_sink sink, void *arg, struct gg_error *err);

/* Maps one line of a log file (no line terminator): its BSD or RFC 5424 header is read when it
 * has one (a BSD header needs no PRI), otherwise the whole line is the message. The record id is
 * derived from input, origin (the file's name) and lineno, so a file read twice gives the same
 * ids. *header_out (when not NULL) is the parsed header, or NULL when the line has none it
 * could read; it lives in ctx until the next call. */
int gg_map_line(struct gg_map_ctx *ctx, const struct gg_mapset *set, const char *input,
		const char *origin, uint64_t lineno, const char *line, size_t len, time_t now,
		const struct gg_iodef_defaults *defaults, gg_map_sink sink, void *arg,
		const struct gg_syslog_msg **header_out, struct gg_error *err);

#endif
