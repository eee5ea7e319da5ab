/* rid_documents.h: the IODEF documents a RID message carries, as IODEF 2.0 with the RID
 * context: the part of gg_rid_parse after the envelope is known valid. */
#ifndef GG_RID_DOCUMENTS_H
#define GG_RID_DOCUMENTS_H

#include <libxml/tree.h>

#include "base/error.h"
#include "rid/rid_envelope.h"

/* Fills m->documents from policy's ReportSchema/XMLDocument (policy: of a schema-valid
 * envelope; m: type and policy fields already read). Errors as gg_rid_parse's. */
int gg_rid_documents(struct gg_rid_checker *c, xmlNodePtr policy, struct gg_rid_message *m,
		     const char *partner, struct gg_error *err);

/* Appends the RID context of m (partner, MsgType, IncidentID and its CSIRT, each policy
 * region) to an IODEF 2.0 document as IODEF-Document/AdditionalData, dtype="string", one
 * per fact, meaning "rid-partner", "rid-msgtype", "rid-incident-id", "rid-incident-csirt",
 * "rid-policy-region" (docs/rid.md). -ENOMEM on failure. */
int gg_rid_context_add(xmlDocPtr iodef2, const struct gg_rid_message *m, const char *partner);

#endif
