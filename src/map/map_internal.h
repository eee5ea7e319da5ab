/* map_internal.h: the compiled form of a mapping file, shared by the loader (map_load.c), the
 * evaluator (map_eval.c), the value transforms (map_transform.c) and the IODEF builder
 * (map_build.c). Not for other callers: they use map.h. */
#ifndef GG_MAP_INTERNAL_H
#define GG_MAP_INTERNAL_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdbool.h>
#include <stddef.h>

#include "map/map.h"
#include "formats/timestamp.h"

/* What a mapping parses the message as before its rules run. */
enum gg_map_payload {
	GG_PAYLOAD_TEXT, /* the message as it is */
	GG_PAYLOAD_CEF,
	GG_PAYLOAD_LEEF,
	GG_PAYLOAD_KV,
	GG_PAYLOAD_JSON,
};

/* Where a field's value comes from. */
enum gg_field_kind {
	GG_FIELD_BUILTIN,  /* record and syslog header fields: builtin */
	GG_FIELD_CAPTURE,  /* a named group of one of the mapping's regexes: var */
	GG_FIELD_SD,       /* RFC 5424 structured data "sd.ID.PARAM": key = "ID", key2 = "PARAM" */
	GG_FIELD_PAYLOAD,  /* cef.NAME, leef.NAME, kv.NAME: key, index = the payload */
	GG_FIELD_JSON,     /* a JSON pointer "/a/b" into a JSON payload: key (outer: "^/a/b") */
};

enum gg_builtin {
	GG_B_INPUT, GG_B_PEER, GG_B_RAW, GG_B_MSG, GG_B_HOST, GG_B_APP, GG_B_PID, GG_B_MSGID,
	GG_B_FACILITY, GG_B_SEVERITY, GG_B_TIME, GG_B_FORMAT,
	/* CEF and LEEF headers */
	GG_B_CEF_VENDOR, GG_B_CEF_PRODUCT, GG_B_CEF_VERSION, GG_B_CEF_CLASS, GG_B_CEF_NAME,
	GG_B_CEF_SEVERITY,
	GG_B_LEEF_VENDOR, GG_B_LEEF_PRODUCT, GG_B_LEEF_VERSION, GG_B_LEEF_EVENT,
	GG_B_COUNT
};

struct gg_field {
	enum gg_field_kind kind;
	int index;  /* builtin or capture variable */
	char *key;  /* payload key, SD id, JSON pointer */
	char *key2; /* SD param */
	bool outer; /* JSON: "^/a/b", the record around the element of an `each` mapping */
};

/* A template: literal text and field references, in order. */
struct gg_tpl_part {
	char *text;            /* literal when not NULL */
	struct gg_field field; /* otherwise */
	bool optional;         /* ${name?}: a missing field is empty text, not a missing value */
};

enum gg_xform_kind {
	GG_X_LOWER, GG_X_UPPER, GG_X_DEFAULT, GG_X_LOOKUP, GG_X_SCALE, GG_X_PROTOCOL,
	GG_X_TRIM,
};

struct gg_map_table;

struct gg_xform {
	enum gg_xform_kind kind;
	char *arg;                   /* DEFAULT text */
	int scale;                   /* SCALE: index into the scale table of map_transform.c */
	const struct gg_map_table *table; /* LOOKUP */
};

/* The output slots a mapping fills; map_build.c places each one in the IODEF document. */
enum gg_slot {
	GG_S_PURPOSE, GG_S_DESCRIPTION, GG_S_DETECT_TIME, GG_S_START_TIME, GG_S_END_TIME,
	GG_S_SEVERITY, GG_S_IMPACT, GG_S_COMPLETION, GG_S_CONFIDENCE,
	GG_S_METHOD, GG_S_REFERENCE, GG_S_REFERENCE_URL, GG_S_CVE,
	GG_S_SRC_ADDRESS, GG_S_SRC_PORT, GG_S_SRC_HOST, GG_S_SRC_USER,
	GG_S_DST_ADDRESS, GG_S_DST_PORT, GG_S_DST_HOST, GG_S_DST_USER, GG_S_DST_SERVICE,
	GG_S_PROTOCOL, GG_S_SENSOR, GG_S_INDICATOR_ID, GG_S_INDICATOR_VERSION,
	GG_S_INDICATOR_DESCRIPTION, GG_S_INDICATOR_ADDRESS, GG_S_INDICATOR_DOMAIN,
	GG_S_INDICATOR_URL, GG_S_INDICATOR_FILENAME, GG_S_INDICATOR_MD5, GG_S_INDICATOR_SHA1,
	GG_S_INDICATOR_SHA256, GG_S_INDICATOR_SHA512,
	GG_S_COUNT
};

struct gg_map_set_stmt {
	enum gg_slot slot;
	struct gg_tpl_part *parts;
	size_t n_parts;
	struct gg_xform *xforms;
	size_t n_xforms;
	int line;
};

enum gg_cond_op { GG_OP_EQ, GG_OP_NE, GG_OP_IN, GG_OP_MATCH, GG_OP_EXISTS, GG_OP_ABSENT };

struct gg_map_cond {
	struct gg_field field;
	enum gg_cond_op op;
	char **values; /* EQ, NE: one; IN: n_values */
	size_t n_values;
	pcre2_code *re; /* MATCH */
	/* Capture group number -> capture variable (-1 for unnamed groups). */
	int *group_var;
	uint32_t n_groups;
	int line;
	char *text; /* as written ("match msg ^Failed"), for --explain */
};

struct gg_map_rule {
	char *name;
	int line;
	struct gg_map_cond *conds;
	size_t n_conds;
	struct gg_map_set_stmt *sets;
	size_t n_sets;
	bool drop;
};

struct gg_map_table {
	char *name;
	char **keys, **values;
	size_t n;
	char *fallback; /* "*" row, or NULL */
};

struct gg_map {
	char *name;
	char *path;
	enum gg_map_payload payload;
	int tz_minutes;              /* offset east of UTC for stamps written without one */
	bool fallback;               /* a catch-all: `mappings = *` tries it after the others */
	/* `each POINTER...`: the arrays whose elements become one result each (a segment "*"
	 * walks every element of an array); none: the record is one result. */
	char **each;
	size_t n_each;
	struct gg_map_cond *conds;   /* "when"/"match" before the first rule: select records */
	size_t n_conds;
	struct gg_map_set_stmt *sets; /* defaults for every rule */
	size_t n_sets;
	struct gg_map_rule *rules;
	size_t n_rules;
	struct gg_map_table **tables; /* each allocated alone: transforms point at them */
	size_t n_tables;
	char **vars; /* capture variable names */
	size_t n_vars;
	uint32_t max_groups; /* largest capture group count of any regex */
};

struct gg_mapset {
	int refs; /* atomic: see gg_mapset_ref */
	struct gg_map_limits limits;
	struct gg_map *maps;
	size_t n_maps;
	uint32_t max_groups;
	size_t max_vars;
};

/* The default bound of struct gg_map_limits' max_elements: an Alertmanager group, a STIX bundle
 * or a MISP event of this size is already unusual. */
#define GG_MAP_MAX_ELEMENTS 1000

/* map_load.c */
const char *gg_builtin_name(enum gg_builtin b);
const char *gg_slot_name(enum gg_slot s);
/* The values a slot with a fixed vocabulary takes (NULL-terminated), or NULL. */
const char *const *gg_slot_vocabulary(enum gg_slot s);
bool gg_in_vocabulary(const char *const *vocab, const char *v);

/* map_transform.c: value transforms and the slot checks. A transform returns a new malloc'd
 * string, or NULL with *why set when the value does not transform (missing stays missing). */
int gg_scale_index(const char *name);
char *gg_xform_apply(const struct gg_xform *x, const char *in, const char **why);
/* The IANA protocol number of a name or number ("tcp", "6"), or -1. */
int gg_protocol_number(const char *s);
/* The IODEF Address category of an IP address or network ("ipv4-addr", "ipv6-net"...), or
 * NULL when s is none of them. */
const char *gg_address_category(const char *s);

/* map_build.c: the slot values (NULL when unset; checked already) -> an IODEF 2.0 document. */
struct gg_map_out {
	const char *slot[GG_S_COUNT];
	const char *detect_time; /* final xs:dateTime or NULL */
	const char *start_time;
	const char *end_time;
	int ip_protocol; /* -1 when unset */
	const char *raw_item;  /* XML-safe text, or base64 when raw_is_text is false */
	bool raw_is_text;
};
/* The length in hex digits of the digest a hash slot (indicator.md5...) holds, 0 for a slot
 * that is no hash. */
size_t gg_hash_slot_length(enum gg_slot s);
int gg_map_build(const struct gg_map_out *o, const char *record_id,
		 const struct gg_iodef_defaults *defaults, time_t now, xmlDocPtr *out,
		 struct gg_error *err);

#endif
