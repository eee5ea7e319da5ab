/* adapter.c: the registration table of inputs. No dlopen: every adapter is linked in and
 * listed here once. */
#include "adapter.h"

#include <string.h>

#include "in_filedrop.h"
#include "in_syslog.h"

const struct gg_adapter *const gg_adapters[] = {
	&gg_in_filedrop,
	&gg_in_syslog,
	NULL,
};

const struct gg_adapter *gg_adapter_find(const char *name)
{
	for (size_t i = 0; gg_adapters[i] != NULL; i++)
		if (strcmp(gg_adapters[i]->name, name) == 0)
			return gg_adapters[i];
	return NULL;
}
