/* in_rid.h: the RID input (RFC 6545 messages over RFC 6546 HTTP/TLS): [rid:NAME] listens,
 * [rid_partner:NAME] says who may send what. */
#ifndef GG_IN_RID_H
#define GG_IN_RID_H

#include "engine/adapter.h"

extern const struct gg_adapter gg_in_rid;
extern const struct gg_adapter gg_in_rid_partner;

#endif
