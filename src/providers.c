#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "provider.h"

/*
 * The registry: one line per provider kind.  Everything that lists the
 * kinds (the configuration's error message, the fuzz targets) reads this
 * array, so adding a kind adds its line here and nowhere else.
 */
extern const struct driver drv_verbex, drv_voicy, drv_talkover, drv_osvi,
    drv_zudu;
extern const struct driver drv_bland;
extern const struct driver drv_retell;
extern const struct driver drv_twilio;
extern const struct driver drv_vapi;
extern const struct driver drv_elevenlabs;

const struct driver *const drivers[] = {
	&drv_verbex,
	&drv_voicy,
	&drv_talkover,
	&drv_osvi,
	&drv_zudu,
	&drv_bland,
	&drv_retell,
	&drv_twilio,
	&drv_vapi,
	&drv_elevenlabs,
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

static char kind_list[256];
static pthread_once_t kind_list_once = PTHREAD_ONCE_INIT;

static void
kind_list_build(void)
{
	size_t i, len = 0;
	int n;

	for (i = 0; drivers[i] != NULL; i++) {
		n = snprintf(kind_list + len, sizeof(kind_list) - len, "%s%s",
		    i > 0 ? ", " : "", drivers[i]->kind);
		if (n < 0 || (size_t)n >= sizeof(kind_list) - len)
			break;
		len += (size_t)n;
	}
}

const char *
driver_kind_list(void)
{
	/* once: a configuration may be loaded while workers run */
	pthread_once(&kind_list_once, kind_list_build);
	return kind_list;
}
