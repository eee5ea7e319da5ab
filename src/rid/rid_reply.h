/* rid_reply.h: the RID messages gridgate answers with (RFC 6545, RFC 6546): an
 * Acknowledgement, the Acknowledgement that refuses, and the Report a Query asks for. */
#ifndef GG_RID_REPLY_H
#define GG_RID_REPLY_H

#include <libxml/tree.h>
#include <stddef.h>

#include "base/error.h"
#include "rid/rid_envelope.h"

/* RequestStatus@AuthorizationStatus. */
enum gg_rid_status { GG_RID_APPROVED, GG_RID_DENIED, GG_RID_PENDING };

/* RequestStatus@Justification: why a request is denied; NONE leaves the attribute out. */
enum gg_rid_justification {
	GG_RID_JUST_NONE,
	GG_RID_JUST_SYSTEM_RESOURCE,
	GG_RID_JUST_AUTHENTICATION,
	GG_RID_JUST_AUTHENTICATION_ORIGIN,
	GG_RID_JUST_ENCRYPTION,
	GG_RID_JUST_UNRECOGNIZED_FORMAT,
	GG_RID_JUST_CANNOT_PROCESS,
	GG_RID_JUST_OTHER,
};

/* The Justification for a gg_rid_parse failure: -EINVAL, -EFBIG UnrecognizedFormat;
 * -ENOTSUP CannotProcess; -ENOMEM and anything else SystemResource. */
enum gg_rid_justification gg_rid_justification_of(int parse_rc);

/* An Acknowledgement of req: its RIDPolicy echoed (PolicyRegion, Node, TrafficType and
 * IncidentID, so the sender can match it to its request) with MsgType Acknowledgement, and
 * a RequestStatus. req may be NULL for a message that could not be read: the reply is then a
 * RequestStatus alone, which the RID schema allows, since there is no policy to echo.
 * *out is freed by the caller (xmlFreeDoc). */
int gg_rid_reply_ack(const struct gg_rid_message *req, enum gg_rid_status status,
		     enum gg_rid_justification why, xmlDocPtr *out, struct gg_error *err);

/* The Report answering a Query (RFC 6545 answers a Query with a Report, not a Result,
 * which answers TraceRequest and InvestigationRequest): the Query's policy echoed with MsgType Report, and one IODEF 2.0
 * document in ReportSchema/XMLDocument holding every Incident of docs[0..n) (IODEF 2.0
 * documents, at least one). ReportSchema names IODEF 2.0 through its ext-value attributes. */
int gg_rid_reply_report(const struct gg_rid_message *query, xmlDocPtr const *docs, size_t n,
			xmlDocPtr *out, struct gg_error *err);

#endif
