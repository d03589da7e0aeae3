#include "reload.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "app.h"
#include "buf.h"
#include "conf.h"
#include "log.h"
#include "provider.h"

/* Problems go to the log as whole lines, FILE:LINE first. */
static void
log_lines(char *text, size_t len)
{
	char *p = text, *nl;

	while (p < text + len) {
		nl = memchr(p, '\n', (size_t)(text + len - p));
		if (nl != NULL)
			*nl = '\0';
		if (*p != '\0')
			log_warnx("%s", p);
		if (nl == NULL)
			break;
		p = nl + 1;
	}
}

struct config *
reload_config(const struct app *app)
{
	const struct config *old = app->conf;
	struct config *c;
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	f = open_memstream(&text, &len);
	if (f == NULL) {
		log_warn("reload: cannot report problems");
		return NULL;
	}
	c = conf_load(app->conf_path, f);
	if (c != NULL)
		conf_warnings(c, app->conf_path, f);
	fclose(f);
	log_lines(text, len);
	free(text);
	if (c == NULL) {
		log_warnx("reload: %s is not valid; the configuration in use "
		          "stays",
		    app->conf_path);
		return NULL;
	}
	/* the limiter's Redis connection is set up once, at startup */
	if (old != NULL &&
	    ((old->shared_state == NULL) != (c->shared_state == NULL) ||
	        (c->shared_state != NULL &&
	            strcmp(old->shared_state, c->shared_state) != 0)))
		log_warnx("reload: shared_state changes take effect at the "
		          "next restart; the rate limits keep the Redis server "
		          "in use");
	if (c->cursor_key_random && old != NULL && old->cursor_key_random &&
	    old->cursor_key_len == c->cursor_key_len)
		memcpy(c->cursor_key, old->cursor_key, c->cursor_key_len);
	return c;
}

void
reload_log_serving(const char *what, const struct config *c,
    const char *listen_desc, int workers, int min_threads, int max_threads)
{
	struct buf b;
	char threads[32];
	size_t i;

	buf_init(&b, 16 * 1024);
	for (i = 0; i < c->nproviders; i++)
		buf_printf(&b, "%s%s (%s)", i ? ", " : "", c->providers[i].name,
		    c->providers[i].driver->kind);
	if (min_threads == max_threads)
		snprintf(threads, sizeof(threads), "%d", max_threads);
	else
		snprintf(threads, sizeof(threads), "%d..%d", min_threads,
		    max_threads);
	log_warnx("%s: callnorm %s, mode fastcgi, listen %s, %d worker(s) x "
	          "%s thread(s), providers: %s",
	    what, PACKAGE_VERSION, listen_desc, workers, threads,
	    b.failed ? "(too many to list)" : buf_cstr(&b));
	buf_free(&b);
}

bool
reload_same_providers(const struct config *a, const struct config *b)
{
	size_t i;

	if (a->nproviders != b->nproviders)
		return false;
	for (i = 0; i < a->nproviders; i++)
		if (strcmp(a->providers[i].name, b->providers[i].name) != 0)
			return false;
	return true;
}
