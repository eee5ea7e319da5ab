/* iodef.h: IODEF documents: the 2.0 schema check, the 1.0 -> 2.0 upgrade and the small
 * built-in mapping from a flat JSON object. Pure: no sockets, no spool. */
#ifndef GG_IODEF_H
#define GG_IODEF_H

#include <libxml/tree.h>
#include <libxml/xmlschemas.h>
#include <stddef.h>
#include <time.h>

#include "base/error.h"

#define GG_IODEF2_NS "urn:ietf:params:xml:ns:iodef-2.0"
#define GG_IODEF1_NS "urn:ietf:params:xml:ns:iodef-1.0"

/* The compiled IODEF 2.0 schema: compile once (5-7 ms), share between threads read-only. */
struct gg_schema;
/* schema_dir holds iodef-2.0.xsd and its local imports. */
int gg_schema_load(const char *schema_dir, struct gg_schema **out, struct gg_error *err);
/* Compiles schema_dir/file, its imports read through gg_xml_init's local-only loader; what
 * names it in errors ("schema", "RID schema"), and a compile error says file and line. */
int gg_xsd_compile(const char *schema_dir, const char *file, const char *what,
		   xmlSchemaPtr *out, struct gg_error *err);
void gg_schema_free(struct gg_schema *schema);

/* A validation context: one per thread. */
struct gg_validator;
int gg_validator_new(struct gg_schema *schema, struct gg_validator **out, struct gg_error *err);
void gg_validator_free(struct gg_validator *v);
/* 0 when doc is valid IODEF 2.0; -EINVAL otherwise with err naming line, column and element
 * of the first error. */
int gg_validator_check(struct gg_validator *v, xmlDocPtr doc, struct gg_error *err);

enum gg_iodef_version { GG_IODEF_UNKNOWN = 0, GG_IODEF_V1, GG_IODEF_V2 };
/* The version by the root element's namespace. */
enum gg_iodef_version gg_iodef_version_of(xmlDocPtr doc);

/* Rewrites an IODEF 1.0 (RFC 5070) document into a new IODEF 2.0 (RFC 7970) document.
 * docs/iodef-upgrade.md lists each element the upgrade changes. */
int gg_iodef_upgrade(xmlDocPtr v1, xmlDocPtr *v2_out, struct gg_error *err);
/* The same on doc itself, for a caller that has no use for the 1.0 document (a copy and a
 * free of every node less). On an error doc is left half rewritten: the caller frees it. */
int gg_iodef_upgrade_in_place(xmlDocPtr doc, struct gg_error *err);

/* The built-in flat-JSON mapping (one NDJSON line -> one Incident). */
struct gg_iodef_defaults {
	const char *csirt_name; /* IncidentID@name and the creator Contact */
	const char *contact_email; /* may be NULL */
};
int gg_iodef_from_json(const char *json, size_t len, const struct gg_iodef_defaults *defaults,
		       xmlDocPtr *out, struct gg_error *err);

/* The generic syslog mapping: one parsed message (raw: its bytes as received, kept in the
 * RecordItem) -> an "unclassified" incident with IncidentID record_id. now is the receive
 * time (UTC seconds), which places a yearless RFC 3164 stamp in a year. */
struct gg_syslog_msg;
int gg_iodef_from_syslog(const struct gg_syslog_msg *msg, const char *raw, size_t raw_len,
			 const char *record_id, const struct gg_iodef_defaults *defaults,
			 time_t now, xmlDocPtr *out, struct gg_error *err);

#endif
