/* rid_envelope.h: RFC 6545 RID messages in: bytes -> a checked envelope (type, policy, digest)
 * and the IODEF 2.0 documents it carries, each tagged with its RID context. No I/O. */
#ifndef GG_RID_ENVELOPE_H
#define GG_RID_ENVELOPE_H

#include <libxml/tree.h>
#include <stddef.h>

#include "base/error.h"
#include "iodef/iodef.h"
#include "iodef/xmlsafe.h"

#define GG_RID_NS "urn:ietf:params:xml:ns:iodef-rid-2.0"

/* The six RFC 6545 message types (RIDPolicy@MsgType). */
enum gg_rid_msg_type {
	GG_RID_TRACE_REQUEST,
	GG_RID_INVESTIGATION_REQUEST,
	GG_RID_REPORT,
	GG_RID_QUERY,
	GG_RID_ACKNOWLEDGEMENT,
	GG_RID_RESULT,
};
#define GG_RID_MSG_TYPES 6

/* "TraceRequest"...; NULL for a value out of range. */
const char *gg_rid_msg_type_name(enum gg_rid_msg_type type);

/* The compiled RID schema (schemas/iodef-rid-2.0.xsd with IODEF 1.0 and xmldsig): compile once,
 * share read-only between threads, like gg_schema. */
struct gg_rid_schema;
int gg_rid_schema_load(const char *schema_dir, struct gg_rid_schema **out, struct gg_error *err);
void gg_rid_schema_free(struct gg_rid_schema *schema);

/* What one thread checks messages with: a RID validation context and an IODEF 2.0 validator
 * on the shared schemas (neither is owned). One per thread, like gg_validator. */
struct gg_rid_checker;
int gg_rid_checker_new(struct gg_rid_schema *rid, struct gg_schema *iodef2,
		       struct gg_rid_checker **out, struct gg_error *err);
void gg_rid_checker_free(struct gg_rid_checker *c);

/* A received RID message. Strings are the message's own values, whitespace-trimmed. */
struct gg_rid_message {
	/* The tree exactly as received: gg_rid_signature_verify checks it, and replies echo it.
	 * Nothing in this module modifies it. */
	xmlDocPtr doc;
	enum gg_rid_msg_type type;
	char *destination;      /* MsgDestination: RIDSystem, SourceOfIncident, or ext-* text */
	char **regions;         /* PolicyRegion@region (ext-region for ext-value), >= 1 */
	size_t n_regions;
	char **traffic_types;   /* TrafficType@type (ext-type for ext-value), >= 1 */
	size_t n_traffic_types;
	char *incident_id;      /* RIDPolicy/IncidentID text; NULL when the message has none */
	char *incident_name;    /* its @name, the CSIRT that issued it; NULL likewise */
	char *status;           /* RequestStatus@AuthorizationStatus; NULL when absent */
	char *justification;    /* RequestStatus@Justification; NULL when absent */
	/* SHA-256 (hex) of the message's exclusive XML canonical form without comments: equal
	 * for a retry that differs in what that form makes equal (quotes, attribute order, line
	 * ends, declaration, encoding, where namespaces are declared), not for whitespace
	 * between elements or another prefix (docs/rid.md). With incident_id it recognises a
	 * retry. */
	char digest[65];
	/* The IODEF documents of RIDPolicy/ReportSchema/XMLDocument, in order, each IODEF 2.0
	 * (1.0 upgraded), valid, with the RID context appended (docs/rid.md). The caller may take
	 * one by setting its slot to NULL; gg_rid_message_free frees the rest. */
	xmlDocPtr *documents;
	size_t n_documents;
};

/* Parses buf with the hardened parser (limits as gg_xml_parse; NULL: its defaults), checks
 * the envelope against the RID schema and each embedded IODEF document against its own,
 * and fills *out (free with gg_rid_message_free). partner names the sender in the RID
 * context of every document. Returns 0, or with nothing allocated and err saying what is
 * wrong:
 *   -EFBIG   over limits->max_bytes;
 *   -EINVAL  not well-formed, refused by the hardened parser (DTD, depth), not a RID
 *            message, not valid RID, or an embedded document that is not valid IODEF;
 *   -ENOTSUP valid RID that gridgate cannot take: an ext-value MsgType, IODEF of a version
 *            other than 1.0 and 2.0, a document an upgrade cannot make valid IODEF 2.0;
 *   -ENOMEM. */
int gg_rid_parse(struct gg_rid_checker *c, const char *buf, size_t len,
		 const struct gg_xml_limits *limits, const char *partner,
		 struct gg_rid_message **out, struct gg_error *err);
/* The same for a body labelled with a charset (the Content-Type's; NULL: none), which
 * decides its encoding as gg_xml_parse_as says. */
int gg_rid_parse_as(struct gg_rid_checker *c, const char *buf, size_t len,
		    const struct gg_xml_limits *limits, const char *charset, const char *partner,
		    struct gg_rid_message **out, struct gg_error *err);
void gg_rid_message_free(struct gg_rid_message *m);

#endif
