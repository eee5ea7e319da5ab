/* in_webhook.h: the webhook input: [webhook:NAME] listens (HTTPS), [webhook_route:NAME] says
 * what a path accepts (authentication, mappings). */
#ifndef GG_IN_WEBHOOK_H
#define GG_IN_WEBHOOK_H

#include "engine/adapter.h"

extern const struct gg_adapter gg_in_webhook;
extern const struct gg_adapter gg_in_webhook_route;

#endif
