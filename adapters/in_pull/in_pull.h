/* in_pull.h: [pull:NAME], an HTTPS API that reads a topic's items for consumers that cannot
 * take pushes. */
#ifndef GG_IN_PULL_H
#define GG_IN_PULL_H

#include "engine/adapter.h"

extern const struct gg_adapter gg_in_pull;

#endif
