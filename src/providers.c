#include <string.h>

#include "provider.h"

/* The registry: one line per provider kind. */
extern const struct driver drv_verbex, drv_voicy, drv_talkover, drv_osvi,
    drv_zudu;

const struct driver *const drivers[] = {
	&drv_verbex,
	&drv_voicy,
	&drv_talkover,
	&drv_osvi,
	&drv_zudu,
	NULL,
};

const char *const paging_names[] = { "token", "keyset", "page", "page0" };

const struct driver *
driver_find(const char *kind)
{
	size_t i;

	for (i = 0; drivers[i] != NULL; i++)
		if (drivers[i]->abi == DRIVER_ABI &&
		    strcmp(drivers[i]->kind, kind) == 0)
			return drivers[i];
	return NULL;
}
