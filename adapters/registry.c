/* registry.c: the registration table of plugins. No dlopen: every plugin is linked in and
 * listed here once; the engine finds them through this table only. */
#include "engine/adapter.h"

#include <string.h>

#include "in_filedrop/in_filedrop.h"
#include "in_pull/in_pull.h"
#include "in_rid/in_rid.h"
#include "in_subscribe/in_subscribe.h"
#include "in_syslog/in_syslog.h"
#include "in_webhook/in_webhook.h"
#include "out_export/out_export.h"
#include "out_grid/out_grid.h"

const struct gg_adapter *const gg_adapters[] = {
	&gg_in_filedrop,
	&gg_in_syslog,
	&gg_in_subscribe,
	&gg_in_pull,
	&gg_in_webhook,
	&gg_in_webhook_route,
	&gg_in_rid,
	&gg_in_rid_partner,
	&gg_out_grid,
	&gg_out_export,
	NULL,
};

const struct gg_adapter *gg_adapter_find(enum gg_plugin_kind kind, const char *name)
{
	for (size_t i = 0; gg_adapters[i] != NULL; i++)
		if (gg_adapters[i]->kind == kind && strcmp(gg_adapters[i]->name, name) == 0)
			return gg_adapters[i];
	return NULL;
}
