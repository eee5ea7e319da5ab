/* in_subscribe.h: the XMPP-Grid subscriber input ([subscribe:NAME]). */
#ifndef GG_IN_SUBSCRIBE_H
#define GG_IN_SUBSCRIBE_H

#include "engine/adapter.h"

extern const struct gg_adapter gg_in_subscribe;

#endif
