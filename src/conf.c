/*
 * The configuration loader: lines, sections, and the keys of [callnorm]
 * and [provider NAME].  Values are checked in conf_value.c, secrets
 * resolved in conf_secret.c, [access] handled in conf_access.c.
 */
#include "conf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "conf_int.h"
#include "provider.h"
#include "ratelimit.h"

void
conf_problem(struct loader *ld, int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(ld->errs, "%s:%d: ", ld->path, line);
	va_start(ap, fmt);
	vfprintf(ld->errs, fmt, ap);
	va_end(ap);
	if (line > 0 && line == ld->comment_line)
		fputs(" (a '#' or ';' after a value is part of the value: "
		      "comments take a line of their own)",
		    ld->errs);
	fputc('\n', ld->errs);
	ld->nerr++;
}

static void
main_key(struct loader *ld, int line, const char *k, const char *v)
{
	struct config *c = ld->c;
	char *secret;
	long n;

	if (strcmp(k, "cursor_key") == 0) {
		secret = conf_secret(ld, line, k, v);
		if (secret == NULL)
			return;
		if (strlen(secret) < 32) {
			conf_problem(
			    ld, line, "cursor_key must be at least 32 bytes");
			OPENSSL_cleanse(secret, strlen(secret));
			free(secret);
			return;
		}
		/* Every byte counts: the whole key goes to the cursor KDF.
		 * (A repeated [callnorm] may have set one already.) */
		if (c->cursor_key != NULL) {
			OPENSSL_cleanse(c->cursor_key, c->cursor_key_len);
			free(c->cursor_key);
		}
		c->cursor_key = (unsigned char *)secret;
		c->cursor_key_len = strlen(secret);
		c->cursor_key_random = false;
	} else if (strcmp(k, "cursor_ttl") == 0) {
		if (conf_parse_int(v, 1, 31536000, &n) < 0)
			conf_problem(ld, line,
			    "cursor_ttl must be seconds from 1 to "
			    "31536000");
		else
			c->cursor_ttl = n;
	} else if (strcmp(k, "request_timeout_ms") == 0) {
		if (conf_parse_int(v, 100, 600000, &n) < 0)
			conf_problem(ld, line,
			    "request_timeout_ms must be from 100 to "
			    "600000");
		else
			c->request_timeout_ms = (int)n;
	} else if (strcmp(k, "max_upstream_requests") == 0) {
		/* one request could not look past the last page it read,
		 * and ties at that page's end would hold the walk forever */
		if (conf_parse_int(v, 2, 1000, &n) < 0)
			conf_problem(ld, line,
			    "max_upstream_requests must be from 2 "
			    "to 1000");
		else
			c->max_upstream_requests = (int)n;
	} else if (strcmp(k, "shared_state") == 0) {
		struct rl_url u;
		const char *why = rl_parse_url(v, &u);
		if (why != NULL)
			conf_problem(ld, line, "%s", why);
		else {
			free(c->shared_state);
			if ((c->shared_state = strdup(v)) == NULL)
				conf_problem(ld, line, "out of memory");
			c->shared_state_line = line;
		}
	} else if (strcmp(k, "shared_state_password") == 0) {
		secret = conf_secret(ld, line, k, v);
		if (secret == NULL)
			return;
		if (secret[0] == '\0') {
			conf_problem(
			    ld, line, "shared_state_password is empty");
			free(secret);
			return;
		}
		conf_wipe_free(c->shared_state_password);
		c->shared_state_password = secret;
	} else
		conf_problem(ld, line, "unknown key '%s' in [callnorm]", k);
}

/*
 * A key the common set does not name may be one the provider's kind
 * adds (struct driver_key).  The kind may be named later in the
 * section, so the value is kept as written, with its line, and checked
 * when the section ends (extra_check).
 */
static void
extra_key(struct loader *ld, int line, const char *k, const char *v)
{
	struct provider_conf *p = ld->prov;
	struct conf_extra *x;

	if (p->nextra == CONF_MAX_EXTRA) {
		conf_problem(
		    ld, line, "unknown key '%s' in [provider %s]", k, p->name);
		return;
	}
	x = &p->extra[p->nextra];
	if ((x->value = strdup(v)) == NULL ||
	    (ld->extra_key[p->nextra] = strdup(k)) == NULL) {
		free(x->value);
		x->value = NULL;
		conf_problem(ld, line, "out of memory");
		return;
	}
	ld->extra_line[p->nextra++] = line;
}

/* The kept names, and the values extra_check did not take. */
static void
extra_free(struct loader *ld)
{
	struct provider_conf *p = ld->prov;
	size_t i;

	for (i = 0; i < CONF_MAX_EXTRA; i++) {
		free(ld->extra_key[i]);
		ld->extra_key[i] = NULL;
	}
	if (p->driver != NULL)
		return;
	for (i = 0; i < p->nextra; i++)
		conf_wipe_free(p->extra[i].value);
	p->nextra = 0;
}

/* The kept keys against the kind's own: unknown ones are errors, secret
 * ones are resolved like api_key, required ones must be there. */
static void
extra_check(struct loader *ld)
{
	struct provider_conf *p = ld->prov;
	const struct driver *d = p->driver;
	size_t i, j, n = 0;
	const char *why;
	char *v;

	for (i = 0; i < p->nextra; i++) {
		const char *k = ld->extra_key[i];
		for (j = 0; j < d->nkeys; j++)
			if (strcmp(k, d->keys[j].name) == 0)
				break;
		v = p->extra[i].value;
		p->extra[i].value = NULL;
		if (j == d->nkeys) {
			conf_problem(ld, ld->extra_line[i],
			    "unknown key '%s' in [provider %s]", k, p->name);
			conf_wipe_free(v);
			continue;
		}
		p->extra[n].name = d->keys[j].name;
		if (d->keys[j].secret) {
			p->extra[n].value =
			    conf_secret(ld, ld->extra_line[i], k, v);
			conf_wipe_free(v);
		} else
			p->extra[n].value = v;
		if (p->extra[n].value != NULL && d->keys[j].check != NULL &&
		    (why = d->keys[j].check(p->extra[n].value)) != NULL) {
			conf_problem(ld, ld->extra_line[i], "%s: %s", k, why);
			conf_wipe_free(p->extra[n].value);
			p->extra[n].value = NULL;
		}
		if (p->extra[n].value != NULL)
			n++;
	}
	p->nextra = n;
	for (j = 0; j < d->nkeys; j++)
		if (d->keys[j].required && !conf_seen(ld, d->keys[j].name))
			conf_problem(ld, ld->sec_line,
			    "[provider %s] of kind %s needs '%s'", p->name,
			    d->kind, d->keys[j].name);
}

static void
provider_key(struct loader *ld, int line, const char *k, char *v)
{
	struct provider_conf *p = ld->prov;
	const char *why;
	long n;

	if (p == NULL)
		return;
	if (strcmp(k, "kind") == 0) {
		p->driver = driver_find(v);
		if (p->driver == NULL)
			conf_problem(ld, line, "unknown kind '%s' (%s)", v,
			    driver_kind_list());
	} else if (strcmp(k, "base_url") == 0) {
		if ((why = conf_check_url(v)) != NULL)
			conf_problem(ld, line, "%s", why);
		else if ((p->base_url = strdup(v)) == NULL)
			conf_problem(ld, line, "out of memory");
	} else if (strcmp(k, "api_key") == 0) {
		p->api_key = conf_secret(ld, line, k, v);
	} else if (strcmp(k, "api_secret") == 0) {
		p->api_secret = conf_secret(ld, line, k, v);
	} else if (strcmp(k, "timeout_ms") == 0) {
		if (conf_parse_int(v, 100, 600000, &n) < 0)
			conf_problem(
			    ld, line, "timeout_ms must be from 100 to 600000");
		else
			p->timeout_ms = (int)n;
	} else if (strcmp(k, "rate_limit") == 0) {
		if (rl_parse_limit(
		        v, &p->rate_limit_n, &p->rate_limit_window_ms) < 0)
			conf_problem(ld, line,
			    "rate_limit must be N/s or N/min with N from 1 to "
			    "100000");
	} else if (strcmp(k, "start_lag_ms") == 0) {
		/* Whether the kind takes it is known when the section ends. */
		if (conf_parse_int(v, 0, 86400000, &n) < 0)
			conf_problem(ld, line,
			    "start_lag_ms must be from 0 to 86400000");
		else
			p->start_lag_ms = n;
	} else
		extra_key(ld, line, k, v);
}

/* Required keys are checked when their section ends; a key that was
 * present but invalid has been reported already. */
static void
end_section(struct loader *ld)
{
	struct provider_conf *p = ld->prov;
	static const char *const required[] = { "kind", "base_url", "api_key" };
	size_t i;

	if (ld->sec != SEC_PROVIDER || p == NULL)
		return;

	for (i = 0; i < sizeof(required) / sizeof(required[0]); i++)
		if (!conf_seen(ld, required[i]))
			conf_problem(ld, ld->sec_line,
			    "[provider %s] has no '%s'", p->name, required[i]);
	if (p->driver != NULL)
		extra_check(ld);
	extra_free(ld);
	if (p->driver == NULL)
		return;
	if (!p->driver->creation_order && conf_seen(ld, "start_lag_ms"))
		conf_problem(ld, ld->sec_line,
		    "[provider %s]: kind %s lists by start time and takes no "
		    "'start_lag_ms'",
		    p->name, p->driver->kind);
	if (p->driver->needs_secret && !conf_seen(ld, "api_secret"))
		conf_problem(ld, ld->sec_line,
		    "[provider %s] of kind %s needs 'api_secret'", p->name,
		    p->driver->kind);
	if (!p->driver->needs_secret && conf_seen(ld, "api_secret"))
		conf_problem(ld, ld->sec_line,
		    "[provider %s]: kind %s takes no 'api_secret'", p->name,
		    p->driver->kind);
}

static void
section(struct loader *ld, int line, char *s)
{
	struct config *c = ld->c;
	char *name;
	size_t i;

	end_section(ld);
	conf_keyset_clear(&ld->seen);
	ld->prov = NULL;
	ld->sec_line = line;
	/* A repeated section is an error; its keys are still checked for
	 * duplicates among themselves. */
	if (strcmp(s, "callnorm") == 0) {
		ld->sec = SEC_MAIN;
		if (ld->main_line != 0)
			conf_problem(ld, line,
			    "duplicate section [callnorm] (first at line %d)",
			    ld->main_line);
		else
			ld->main_line = line;
	} else if (strcmp(s, "access") == 0) {
		ld->sec = SEC_ACCESS;
		if (ld->access_line != 0)
			conf_problem(ld, line,
			    "duplicate section [access] (first at line %d)",
			    ld->access_line);
		else
			ld->access_line = line;
		c->has_access = true;
	} else if (strncmp(s, "provider", 8) == 0 &&
	    (s[8] == ' ' || s[8] == '\t')) {
		ld->sec = SEC_PROVIDER;
		name = conf_trim(s + 9);
		if (!conf_valid_name(name)) {
			conf_problem(ld, line,
			    "provider name must match "
			    "[a-z0-9][a-z0-9_-]{0,31}");
			return;
		}
		for (i = 0; i < c->nproviders; i++)
			if (strcmp(c->providers[i].name, name) == 0) {
				conf_problem(ld, line,
				    "duplicate section [provider %s] (first at "
				    "line %d)",
				    name, c->providers[i].line);
				return;
			}
		if (c->nproviders == CONF_MAX_PROVIDERS) {
			conf_problem(ld, line, "more than %d providers",
			    CONF_MAX_PROVIDERS);
			return;
		}
		ld->prov = &c->providers[c->nproviders++];
		strcpy(ld->prov->name, name);
		ld->prov->timeout_ms = 10000;
		ld->prov->start_lag_ms = 300000;
		ld->prov->line = line;
	} else {
		ld->sec = SEC_NONE;
		conf_problem(ld, line, "unknown section [%s]", s);
	}
}

/* A fresh configuration holding the defaults; NULL when out of memory. */
static struct config *
config_new(void)
{
	struct config *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->cursor_ttl = 86400;
	c->request_timeout_ms = 20000;
	c->max_upstream_requests = 10;
	c->cursor_key_random = true;
	return c;
}

/* "key = value", for the section it is in. */
static void
key_value(struct loader *ld, int line, char *s)
{
	char *eq = strchr(s, '='), *k, *v;

	if (eq == NULL) {
		conf_problem(ld, line, "expected 'key = value'");
		return;
	}
	*eq = '\0';
	k = conf_trim(s);
	v = conf_trim(eq + 1);
	if (*k == '\0') {
		conf_problem(ld, line, "missing key before '='");
		return;
	}
	if (ld->sec == SEC_NONE) {
		if (ld->sec_line == 0)
			conf_problem(
			    ld, line, "key '%s' outside any section", k);
		return;
	}
	if (!conf_mark_seen(ld, line, k))
		return;
	if (*v == '\0') {
		conf_problem(ld, line, "empty value for '%s'", k);
		return;
	}
	if (strstr(v, " #") != NULL || strstr(v, "\t#") != NULL ||
	    strstr(v, " ;") != NULL || strstr(v, "\t;") != NULL)
		ld->comment_line = line;
	switch (ld->sec) {
	case SEC_MAIN:
		main_key(ld, line, k, v);
		break;
	case SEC_PROVIDER:
		provider_key(ld, line, k, v);
		break;
	case SEC_ACCESS:
		conf_access_key(ld, line, k, v);
		break;
	case SEC_NONE:
		break;
	}
}

/* One line of the file as read: got bytes, its newline included. */
static void
read_line(struct loader *ld, int line, char *text, ssize_t got)
{
	char *s;

	if (got > LINE_MAX_BYTES) {
		conf_problem(
		    ld, line, "line longer than %d bytes", LINE_MAX_BYTES);
		return;
	}
	if (strlen(text) != (size_t)got) {
		conf_problem(ld, line, "NUL byte in line");
		return;
	}
	s = conf_trim(text);
	if (*s == '\0' || *s == '#' || *s == ';')
		return;
	if (*s != '[') {
		key_value(ld, line, s);
		return;
	}
	if (s[strlen(s) - 1] != ']') {
		conf_problem(ld, line, "malformed section header");
		/* the section before it still ends here: its kept keys
		 * are checked and released */
		end_section(ld);
		ld->sec = SEC_NONE;
		ld->prov = NULL;
		return;
	}
	s[strlen(s) - 1] = '\0';
	section(ld, line, conf_trim(s + 1));
}

/* Reads every line of f; returns the number of the last one. */
static int
read_file(struct loader *ld, FILE *f)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t got;
	int lineno = 0;

	/* getline's -1 is the end of the file or a failure: errno (set to
	 * 0 before each call) tells them apart */
	while ((errno = 0, got = getline(&line, &cap, f)) != -1)
		read_line(ld, ++lineno, line, got);
	if (errno == ENOMEM)
		conf_problem(ld, lineno, "out of memory");
	else if (ferror(f))
		conf_problem(ld, lineno, "read error");
	free(line);
	return lineno;
}

/* With no cursor_key, one drawn at random: cursors then last as long as
 * the process.  False, after saying why, when that fails. */
static bool
random_cursor_key(struct config *c, const char *path, FILE *errs)
{
	c->cursor_key = malloc(32);
	if (c->cursor_key == NULL) {
		fprintf(errs, "%s: out of memory\n", path);
		return false;
	}
	c->cursor_key_len = 32;
	if (RAND_bytes(c->cursor_key, 32) != 1) {
		fprintf(errs, "%s: cannot draw a random cursor key\n", path);
		return false;
	}
	return true;
}

struct config *
conf_load(const char *path, FILE *errs)
{
	struct loader ld;
	struct config *c;
	FILE *f;
	int last;

	memset(&ld, 0, sizeof(ld));
	ld.path = path;
	ld.errs = errs;
	c = config_new();
	if (c == NULL) {
		fprintf(errs, "%s: out of memory\n", path);
		return NULL;
	}
	ld.c = c;
	f = fopen(path, "r");
	if (f == NULL) {
		fprintf(errs, "%s:0: cannot open: %s\n", path,
		    errno == ENOMEM ? "out of memory" : strerror(errno));
		free(c);
		return NULL;
	}
	last = read_file(&ld, f);
	fclose(f);
	end_section(&ld);
	conf_keyset_clear(&ld.seen);
	conf_access_resolve(&ld);
	if (c->nproviders == 0)
		conf_problem(&ld, last, "no [provider NAME] section");
	if (ld.nerr > 0 ||
	    (c->cursor_key_random && !random_cursor_key(c, path, errs))) {
		conf_free(c);
		return NULL;
	}
	return c;
}

void
conf_free(struct config *c)
{
	size_t i, j;

	if (c == NULL)
		return;
	for (i = 0; i < c->nproviders; i++) {
		free(c->providers[i].base_url);
		conf_wipe_free(c->providers[i].api_key);
		conf_wipe_free(c->providers[i].api_secret);
		for (j = 0; j < c->providers[i].nextra; j++)
			conf_wipe_free(c->providers[i].extra[j].value);
	}
	free(c->shared_state);
	conf_wipe_free(c->shared_state_password);
	for (i = 0; i < c->nrules; i++)
		free(c->rules[i].user);
	free(c->rules);
	if (c->cursor_key != NULL) {
		OPENSSL_cleanse(c->cursor_key, c->cursor_key_len);
		free(c->cursor_key);
	}
	free(c);
}

const struct provider_conf *
conf_provider(const struct config *c, const char *name, size_t *index)
{
	size_t i;

	for (i = 0; i < c->nproviders; i++)
		if (strcmp(c->providers[i].name, name) == 0) {
			if (index != NULL)
				*index = i;
			return &c->providers[i];
		}
	return NULL;
}

void
conf_summary(const struct config *c, const char *path, FILE *out)
{
	size_t i;

	fprintf(out, "%s: OK\n", path);
	fprintf(out, "  cursor_key: %s\n",
	    c->cursor_key_random ? "random (cursors do not survive a restart)"
	                         : "set");
	fprintf(out,
	    "  cursor_ttl: %lld s, request_timeout_ms: %d, "
	    "max_upstream_requests: %d\n",
	    (long long)c->cursor_ttl, c->request_timeout_ms,
	    c->max_upstream_requests);
	for (i = 0; i < c->nproviders; i++) {
		fprintf(out, "  provider %s: kind %s, %s, timeout_ms %d",
		    c->providers[i].name, c->providers[i].driver->kind,
		    c->providers[i].base_url, c->providers[i].timeout_ms);
		if (c->providers[i].rate_limit_n > 0)
			fprintf(out, ", rate_limit %d/%s",
			    c->providers[i].rate_limit_n,
			    c->providers[i].rate_limit_window_ms == 1000
			        ? "s"
			        : "min");
		fputc('\n', out);
	}
	if (c->shared_state != NULL)
		fprintf(out, "  shared_state: %s%s\n", c->shared_state,
		    c->shared_state_password != NULL ? " (with a password)"
		                                     : "");
	if (c->has_access)
		fprintf(out, "  access: %zu rule(s)\n", c->nrules);
	else
		fprintf(
		    out, "  access: every caller may read every provider\n");
}

int
conf_warnings(const struct config *c, const char *path, FILE *out)
{
	const struct provider_conf *p;
	size_t i;
	int n = 0;

	for (i = 0; i < c->nproviders; i++) {
		p = &c->providers[i];
		if (p->timeout_ms < c->request_timeout_ms)
			continue;
		fprintf(out,
		    "%s:%d: warning: [provider %s] timeout_ms (%d) is not "
		    "below request_timeout_ms (%d): the whole request's "
		    "deadline always ends an upstream request first, so "
		    "timeout_ms never applies\n",
		    path, p->line, p->name, p->timeout_ms,
		    c->request_timeout_ms);
		n++;
	}
	return n;
}

const char *
conf_extra(const struct provider_conf *p, const char *name)
{
	size_t i;

	for (i = 0; i < p->nextra; i++)
		if (strcmp(p->extra[i].name, name) == 0)
			return p->extra[i].value;
	return NULL;
}
