/* rid_report.h: the RID side of gridgate as a sender (RFC 6545, RFC 6546): an IODEF 2.0
 * document wrapped as a RID Report for a partner, and the partner's answer read back. No I/O. */
#ifndef GG_RID_REPORT_H
#define GG_RID_REPORT_H

#include <libxml/tree.h>
#include <stddef.h>

#include "base/error.h"
#include "iodef/xmlsafe.h"
#include "rid/rid_envelope.h"

/* The RIDPolicy of the Reports one sender makes; every string is borrowed. */
struct gg_rid_report_policy {
	const char *destination;           /* MsgDestination: RIDSystem or SourceOfIncident */
	const char *const *regions;        /* PolicyRegion@region, at least one */
	size_t n_regions;
	const char *const *traffic_types;  /* TrafficType@type, at least one */
	size_t n_traffic_types;
	const char *node;                  /* Node/NodeName: the sending RID system */
};

/* 0 when every value is one of the RID schema's enumerations (ext-value excepted: gridgate
 * has no ext- text to give it) and node is a non-empty name; -EINVAL naming the field and
 * the words it takes otherwise. */
int gg_rid_report_policy_check(const struct gg_rid_report_policy *p, struct gg_error *err);

/* A RID message of MsgType Report carrying iodef2 (an IODEF 2.0 document, copied whole into
 * RIDPolicy/ReportSchema/XMLDocument), with the policy p and, as RFC 6545 asks of a Report,
 * the IncidentID of its first Incident (text, name and instance) in RIDPolicy. Nothing in it
 * depends on the time or on chance, so the same document gives the same message: a resend
 * has the same canonical digest, which the receiving gridgate recognises as a retry.
 * -EINVAL (not IODEF 2.0, no Incident), -ENOMEM; *out freed by the caller (xmlFreeDoc). */
int gg_rid_report_build(const struct gg_rid_report_policy *p, xmlDocPtr iodef2, xmlDocPtr *out,
			struct gg_error *err);

/* The same from the document's bytes (the hardened parser, limits as gg_xml_parse; NULL: its
 * defaults) to the message's bytes (UTF-8, no XML declaration, as gg_xml_serialize writes;
 * free()). Errors as gg_xml_parse and gg_rid_report_build. */
int gg_rid_report_text(const struct gg_rid_report_policy *p, const char *buf, size_t len,
		       const struct gg_xml_limits *limits, char **out, size_t *out_len,
		       struct gg_error *err);

/* What a partner answered, read from the body of its HTTP reply. Strings are the message's
 * own values, trimmed (an ext-value reads as its ext- attribute), "" when absent. */
struct gg_rid_answer {
	char msg_type[32];      /* RIDPolicy@MsgType; "" for a RequestStatus alone */
	char status[64];        /* RequestStatus@AuthorizationStatus: Approved, Denied, Pending */
	char justification[64]; /* RequestStatus@Justification */
	char incident_id[128];  /* RIDPolicy/IncidentID */
};

/* Reads buf as a RID message (the hardened parser with small limits, then the RID schema
 * when c is not NULL) that has a RIDPolicy or a RequestStatus: 0 with *out filled, or
 * -EINVAL / -EFBIG (with err) when it is none. */
int gg_rid_answer_read(struct gg_rid_checker *c, const char *buf, size_t len,
		       struct gg_rid_answer *out, struct gg_error *err);

#endif
