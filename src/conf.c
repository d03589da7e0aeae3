#include "conf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "provider.h"

/* A longer line is refused, so no key or value is ever cut short. */
#define LINE_MAX_BYTES 4096
/* The same bound for a secret from env: or file: (a literal one is
 * bounded by its line); a longer one is refused, never cut. */
#define SECRET_MAX_BYTES 4096
/* [access] rules are matched in a linear scan per request. */
#define ACCESS_MAX_RULES 100000

/*
 * The keys of one section, for duplicates: an open-addressing hash set
 * of whole keys with the line each was first seen on.  Any number and
 * length of keys, linear time in all.
 */
struct keyset {
	struct keyslot {
		char *key; /* NULL: free */
		uint32_t hash;
		int line;
	} * slot;
	size_t cap, n; /* cap: a power of two, or 0 */
};

enum section { SEC_NONE, SEC_MAIN, SEC_PROVIDER, SEC_ACCESS };

struct loader {
	const char *path;
	FILE *errs;
	int nerr;
	struct config *c;
	enum section sec;
	int sec_line;
	struct provider_conf *prov;
	/* keys seen in the current section, for duplicates */
	struct keyset seen;
	int main_line; /* of [callnorm]; 0: none yet */
	int access_line; /* of [access]; 0: none yet */
	bool too_many_rules;
	/* [access] values are resolved after all providers are known */
	struct {
		int line;
		char *value;
	} * pending;
	size_t npending, pending_cap;
	size_t rules_cap; /* of c->rules */
};

static void problem(struct loader *ld, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
problem(struct loader *ld, int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(ld->errs, "%s:%d: ", ld->path, line);
	va_start(ap, fmt);
	vfprintf(ld->errs, fmt, ap);
	va_end(ap);
	fputc('\n', ld->errs);
	ld->nerr++;
}

static char *
trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s &&
	    (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n'))
		*--e = '\0';
	return s;
}

static bool
valid_name(const char *s)
{
	size_t i, n = strlen(s);

	if (n < 1 || n > 32)
		return false;
	for (i = 0; i < n; i++) {
		char ch = s[i];
		bool alnum =
		    (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');
		if (!alnum && (i == 0 || (ch != '_' && ch != '-')))
			return false;
	}
	return true;
}

bool
conf_loopback_host(const char *h, size_t n)
{
	size_t i, dots = 0;

	if ((n == 9 && strncmp(h, "localhost", 9) == 0) ||
	    (n == 5 && strncmp(h, "[::1]", 5) == 0))
		return true;
	if (n < 7 || strncmp(h, "127.", 4) != 0)
		return false;
	for (i = 0; i < n; i++) {
		if (h[i] == '.')
			dots++;
		else if (h[i] < '0' || h[i] > '9')
			return false;
	}
	return dots == 3;
}

/* https://host[:port][/path] or loopback http; returns NULL or a reason */
static const char *
check_url(char *v)
{
	const char *host, *p;
	size_t hl, n;
	bool https;

	if (strncmp(v, "https://", 8) == 0) {
		https = true;
		host = v + 8;
	} else if (strncmp(v, "http://", 7) == 0) {
		https = false;
		host = v + 7;
	} else
		return "base_url must start with https:// (or http:// on a "
		       "loopback host)";
	for (p = v; *p != '\0'; p++)
		if ((unsigned char)*p <= 0x20 || *p == '?' || *p == '#' ||
		    *p == '\\' || (unsigned char)*p >= 0x7f)
			return "base_url must not contain spaces, '?', '#' or "
			       "non-ASCII bytes";
	hl = strcspn(host, "/");
	if (memchr(host, '@', hl) != NULL)
		return "base_url must not carry credentials; use api_key";
	if (hl == 0)
		return "base_url has no host";
	/* host part without the port */
	n = hl;
	if (host[0] == '[') {
		p = memchr(host, ']', hl);
		if (p == NULL)
			return "base_url has a malformed IPv6 host";
		n = (size_t)(p - host) + 1;
		if (n < hl && host[n] != ':')
			return "base_url has a malformed port";
	} else if ((p = memchr(host, ':', hl)) != NULL)
		n = (size_t)(p - host);
	if (n < hl) {
		const char *port = host + n + 1;
		size_t pl = hl - n - 1, i;
		long pv = 0;
		if (pl == 0 || pl > 5)
			return "base_url has a malformed port";
		for (i = 0; i < pl; i++) {
			if (port[i] < '0' || port[i] > '9')
				return "base_url has a malformed port";
			pv = pv * 10 + (port[i] - '0');
		}
		if (pv < 1 || pv > 65535)
			return "base_url has a malformed port";
	}
	if (!https && !conf_loopback_host(host, n))
		return "base_url must be https:// unless the host is loopback "
		       "(127.0.0.0/8, ::1, localhost)";
	/* strip trailing slashes so the endpoint path joins cleanly */
	n = strlen(v);
	while (n > 0 && v[n - 1] == '/' && v + n - 1 > host + hl - 1)
		v[--n] = '\0';
	return NULL;
}

/* Resolves env:/file:/literal into a fresh string, or NULL + message. */
static char *
resolve_secret(struct loader *ld, int line, const char *key, const char *v)
{
	const char *name;
	char *out = NULL;
	FILE *f;
	size_t n, cap = 0;
	ssize_t got;
	int err;

	if (strncmp(v, "env:", 4) == 0) {
		name = getenv(v + 4);
		if (v[4] == '\0' || name == NULL) {
			problem(ld, line,
			    "%s: environment variable %s is not set", key,
			    v + 4);
			return NULL;
		}
		if (*name == '\0') {
			problem(ld, line,
			    "%s: environment variable %s is empty", key, v + 4);
			return NULL;
		}
		if (strlen(name) > SECRET_MAX_BYTES) {
			problem(ld, line,
			    "%s: environment variable %s is longer than %d "
			    "bytes",
			    key, v + 4, SECRET_MAX_BYTES);
			return NULL;
		}
		out = strdup(name);
	} else if (strncmp(v, "file:", 5) == 0) {
		f = fopen(v + 5, "r");
		if (f == NULL) {
			problem(ld, line, "%s: cannot read %s: %s", key, v + 5,
			    strerror(errno));
			return NULL;
		}
		/* the whole first line, however long, so that a long one is
		 * refused rather than cut */
		errno = 0;
		got = getline(&out, &cap, f);
		err = got < 0 && (ferror(f) || errno == ENOMEM) ? errno : 0;
		fclose(f);
		for (n = 0; got > 0 && n < (size_t)got; n++)
			if (out[n] == '\r' || out[n] == '\n')
				break;
		if (err != 0 || n == 0 || n > SECRET_MAX_BYTES ||
		    memchr(out, '\0', n) != NULL) {
			if (err == ENOMEM)
				problem(ld, line, "%s: out of memory", key);
			else if (err != 0)
				problem(ld, line, "%s: cannot read %s: %s", key,
				    v + 5, strerror(err));
			else if (n == 0)
				problem(
				    ld, line, "%s: %s is empty", key, v + 5);
			else if (n > SECRET_MAX_BYTES)
				problem(ld, line,
				    "%s: the first line of %s is longer than "
				    "%d bytes",
				    key, v + 5, SECRET_MAX_BYTES);
			else
				problem(ld, line,
				    "%s: the first line of %s has a NUL byte",
				    key, v + 5);
			if (out != NULL)
				OPENSSL_cleanse(out, cap);
			free(out);
			return NULL;
		}
		/* out[n] ends the secret; wipe the rest of the line too */
		OPENSSL_cleanse(out + n, cap - n);
	} else
		out = strdup(v);
	if (out == NULL)
		problem(ld, line, "%s: out of memory", key);
	/* Keys go into upstream request headers verbatim: no control
	 * bytes (an env: value could carry CR LF and add headers). */
	for (n = 0;
	     out != NULL && strcmp(key, "cursor_key") != 0 && out[n] != '\0';
	     n++)
		if ((unsigned char)out[n] < 0x20 || out[n] == 0x7f) {
			problem(
			    ld, line, "%s: contains a control character", key);
			free(out);
			return NULL;
		}
	return out;
}

static int
parse_int(const char *v, long lo, long hi, long *out)
{
	char *end;
	long n;

	if (*v < '0' || *v > '9')
		return -1;
	errno = 0;
	n = strtol(v, &end, 10);
	if (errno != 0 || *end != '\0' || n < lo || n > hi)
		return -1;
	*out = n;
	return 0;
}

static uint32_t
key_hash(const char *s)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

/* The slot holding key, or the free slot where it belongs. */
static struct keyslot *
keyset_slot(const struct keyset *ks, const char *key, uint32_t h)
{
	size_t i = h & (ks->cap - 1);

	while (ks->slot[i].key != NULL &&
	    (ks->slot[i].hash != h || strcmp(ks->slot[i].key, key) != 0))
		i = (i + 1) & (ks->cap - 1);
	return &ks->slot[i];
}

static const struct keyslot *
keyset_find(const struct keyset *ks, const char *key)
{
	const struct keyslot *sl;

	if (ks->cap == 0)
		return NULL;
	sl = keyset_slot(ks, key, key_hash(key));
	return sl->key != NULL ? sl : NULL;
}

/* Keeps the set at most half full; -1 when out of memory. */
static int
keyset_grow(struct keyset *ks)
{
	struct keyset big;
	size_t i;

	if (ks->cap != 0 && ks->n < ks->cap / 2)
		return 0;
	big.cap = ks->cap == 0 ? 16 : ks->cap * 2;
	big.n = ks->n;
	big.slot = calloc(big.cap, sizeof(*big.slot));
	if (big.slot == NULL)
		return -1;
	for (i = 0; i < ks->cap; i++)
		if (ks->slot[i].key != NULL)
			*keyset_slot(&big, ks->slot[i].key, ks->slot[i].hash) =
			    ks->slot[i];
	free(ks->slot);
	*ks = big;
	return 0;
}

static void
keyset_clear(struct keyset *ks)
{
	size_t i;

	for (i = 0; i < ks->cap; i++)
		free(ks->slot[i].key);
	free(ks->slot);
	memset(ks, 0, sizeof(*ks));
}

/* Records key at line; false (reported) for a duplicate or no memory. */
static bool
mark_seen(struct loader *ld, int line, const char *key)
{
	const struct keyslot *first = keyset_find(&ld->seen, key);
	struct keyslot *sl;
	uint32_t h = key_hash(key);

	if (first != NULL) {
		problem(ld, line, "duplicate key '%s' (first at line %d)", key,
		    first->line);
		return false;
	}
	if (keyset_grow(&ld->seen) < 0) {
		problem(ld, line, "out of memory");
		return false;
	}
	sl = keyset_slot(&ld->seen, key, h);
	if ((sl->key = strdup(key)) == NULL) {
		problem(ld, line, "out of memory");
		return false;
	}
	sl->hash = h;
	sl->line = line;
	ld->seen.n++;
	return true;
}

static void
main_key(struct loader *ld, int line, const char *k, const char *v)
{
	struct config *c = ld->c;
	char *secret;
	long n;

	if (strcmp(k, "cursor_key") == 0) {
		secret = resolve_secret(ld, line, k, v);
		if (secret == NULL)
			return;
		if (strlen(secret) < 32) {
			problem(
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
		if (parse_int(v, 1, 31536000, &n) < 0)
			problem(ld, line,
			    "cursor_ttl must be seconds from 1 to "
			    "31536000");
		else
			c->cursor_ttl = n;
	} else if (strcmp(k, "request_timeout_ms") == 0) {
		if (parse_int(v, 100, 600000, &n) < 0)
			problem(ld, line,
			    "request_timeout_ms must be from 100 to "
			    "600000");
		else
			c->request_timeout_ms = (int)n;
	} else if (strcmp(k, "max_upstream_requests") == 0) {
		/* one request could not look past the last page it read,
		 * and ties at that page's end would hold the walk forever */
		if (parse_int(v, 2, 1000, &n) < 0)
			problem(ld, line,
			    "max_upstream_requests must be from 2 "
			    "to 1000");
		else
			c->max_upstream_requests = (int)n;
	} else
		problem(ld, line, "unknown key '%s' in [callnorm]", k);
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
			problem(ld, line, "unknown kind '%s' (%s)", v,
			    driver_kind_list());
	} else if (strcmp(k, "base_url") == 0) {
		if ((why = check_url(v)) != NULL)
			problem(ld, line, "%s", why);
		else if ((p->base_url = strdup(v)) == NULL)
			problem(ld, line, "out of memory");
	} else if (strcmp(k, "api_key") == 0) {
		p->api_key = resolve_secret(ld, line, k, v);
	} else if (strcmp(k, "api_secret") == 0) {
		p->api_secret = resolve_secret(ld, line, k, v);
	} else if (strcmp(k, "timeout_ms") == 0) {
		if (parse_int(v, 100, 600000, &n) < 0)
			problem(
			    ld, line, "timeout_ms must be from 100 to 600000");
		else
			p->timeout_ms = (int)n;
	} else
		problem(
		    ld, line, "unknown key '%s' in [provider %s]", k, p->name);
}

static bool
seen_key(const struct loader *ld, const char *key)
{
	return keyset_find(&ld->seen, key) != NULL;
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
		if (!seen_key(ld, required[i]))
			problem(ld, ld->sec_line, "[provider %s] has no '%s'",
			    p->name, required[i]);
	if (p->driver == NULL)
		return;
	if (p->driver->needs_secret && !seen_key(ld, "api_secret"))
		problem(ld, ld->sec_line,
		    "[provider %s] of kind %s needs 'api_secret'", p->name,
		    p->driver->kind);
	if (!p->driver->needs_secret && seen_key(ld, "api_secret"))
		problem(ld, ld->sec_line,
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
	keyset_clear(&ld->seen);
	ld->prov = NULL;
	ld->sec_line = line;
	/* A repeated section is an error; its keys are still checked for
	 * duplicates among themselves. */
	if (strcmp(s, "callnorm") == 0) {
		ld->sec = SEC_MAIN;
		if (ld->main_line != 0)
			problem(ld, line,
			    "duplicate section [callnorm] (first at line %d)",
			    ld->main_line);
		else
			ld->main_line = line;
	} else if (strcmp(s, "access") == 0) {
		ld->sec = SEC_ACCESS;
		if (ld->access_line != 0)
			problem(ld, line,
			    "duplicate section [access] (first at line %d)",
			    ld->access_line);
		else
			ld->access_line = line;
		c->has_access = true;
	} else if (strncmp(s, "provider", 8) == 0 &&
	    (s[8] == ' ' || s[8] == '\t')) {
		ld->sec = SEC_PROVIDER;
		name = trim(s + 9);
		if (!valid_name(name)) {
			problem(ld, line,
			    "provider name must match "
			    "[a-z0-9][a-z0-9_-]{0,31}");
			return;
		}
		for (i = 0; i < c->nproviders; i++)
			if (strcmp(c->providers[i].name, name) == 0) {
				problem(ld, line,
				    "duplicate section [provider %s] (first at "
				    "line %d)",
				    name, c->providers[i].line);
				return;
			}
		if (c->nproviders == CONF_MAX_PROVIDERS) {
			problem(ld, line, "more than %d providers",
			    CONF_MAX_PROVIDERS);
			return;
		}
		ld->prov = &c->providers[c->nproviders++];
		strcpy(ld->prov->name, name);
		ld->prov->timeout_ms = 10000;
		ld->prov->line = line;
	} else {
		ld->sec = SEC_NONE;
		problem(ld, line, "unknown section [%s]", s);
	}
}

static void
access_key(struct loader *ld, int line, const char *k, const char *v)
{
	void *np;
	size_t n;

	if (ld->c->nrules == ACCESS_MAX_RULES) {
		if (!ld->too_many_rules)
			problem(ld, line, "more than %d [access] rules",
			    ACCESS_MAX_RULES);
		ld->too_many_rules = true;
		return;
	}
	/* both arrays grow by doubling: a long [access] loads in linear
	 * time */
	if (ld->npending == ld->pending_cap) {
		n = ld->pending_cap ? ld->pending_cap * 2 : 16;
		np = realloc(ld->pending, n * sizeof(*ld->pending));
		if (np == NULL) {
			problem(ld, line, "out of memory");
			return;
		}
		ld->pending = np;
		ld->pending_cap = n;
	}
	ld->pending[ld->npending].line = line;
	if ((ld->pending[ld->npending].value = strdup(v)) == NULL) {
		problem(ld, line, "out of memory");
		return;
	}
	ld->npending++;
	if (ld->c->nrules == ld->rules_cap) {
		n = ld->rules_cap ? ld->rules_cap * 2 : 16;
		np = realloc(ld->c->rules, n * sizeof(*ld->c->rules));
		if (np == NULL) {
			problem(ld, line, "out of memory");
			return;
		}
		ld->c->rules = np;
		ld->rules_cap = n;
	}
	if ((ld->c->rules[ld->c->nrules].user = strdup(k)) == NULL) {
		problem(ld, line, "out of memory");
		return;
	}
	ld->c->rules[ld->c->nrules].providers = 0;
	ld->c->nrules++;
}

static void
resolve_access(struct loader *ld)
{
	size_t r, idx;
	char *v, *tok, *save;

	for (r = 0; r < ld->npending && r < ld->c->nrules; r++) {
		v = ld->pending[r].value;
		if (v == NULL)
			continue;
		for (tok = strtok_r(v, ",", &save); tok != NULL;
		     tok = strtok_r(NULL, ",", &save)) {
			tok = trim(tok);
			if (*tok == '\0') {
				problem(ld, ld->pending[r].line,
				    "empty provider name in access list");
				continue;
			}
			if (conf_provider(ld->c, tok, &idx) == NULL)
				problem(ld, ld->pending[r].line,
				    "access list names unknown provider '%s'",
				    tok);
			else
				ld->c->rules[r].providers |= UINT64_C(1) << idx;
		}
	}
}

struct config *
conf_load(const char *path, FILE *errs)
{
	struct loader ld;
	struct config *c;
	FILE *f;
	char *line = NULL;
	size_t cap = 0;
	ssize_t got;
	char *s, *eq, *k, *v;
	int lineno = 0;
	size_t i;

	memset(&ld, 0, sizeof(ld));
	ld.path = path;
	ld.errs = errs;
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		fprintf(errs, "%s: out of memory\n", path);
		return NULL;
	}
	ld.c = c;
	c->cursor_ttl = 86400;
	c->request_timeout_ms = 20000;
	c->max_upstream_requests = 10;
	c->cursor_key_random = true;
	f = fopen(path, "r");
	if (f == NULL) {
		fprintf(errs, "%s:0: cannot open: %s\n", path, strerror(errno));
		free(c);
		return NULL;
	}
	while ((got = getline(&line, &cap, f)) != -1) {
		lineno++;
		if (got > LINE_MAX_BYTES) {
			problem(&ld, lineno, "line longer than %d bytes",
			    LINE_MAX_BYTES);
			continue;
		}
		if (strlen(line) != (size_t)got) {
			problem(&ld, lineno, "NUL byte in line");
			continue;
		}
		s = trim(line);
		if (*s == '\0' || *s == '#' || *s == ';')
			continue;
		if (*s == '[') {
			if (s[strlen(s) - 1] != ']') {
				problem(
				    &ld, lineno, "malformed section header");
				ld.sec = SEC_NONE;
				ld.prov = NULL;
				continue;
			}
			s[strlen(s) - 1] = '\0';
			section(&ld, lineno, trim(s + 1));
			continue;
		}
		eq = strchr(s, '=');
		if (eq == NULL) {
			problem(&ld, lineno, "expected 'key = value'");
			continue;
		}
		*eq = '\0';
		k = trim(s);
		v = trim(eq + 1);
		if (*k == '\0') {
			problem(&ld, lineno, "missing key before '='");
			continue;
		}
		if (ld.sec == SEC_NONE) {
			if (ld.sec_line == 0)
				problem(&ld, lineno,
				    "key '%s' outside any section", k);
			continue;
		}
		if (!mark_seen(&ld, lineno, k))
			continue;
		if (*v == '\0') {
			problem(&ld, lineno, "empty value for '%s'", k);
			continue;
		}
		switch (ld.sec) {
		case SEC_MAIN:
			main_key(&ld, lineno, k, v);
			break;
		case SEC_PROVIDER:
			provider_key(&ld, lineno, k, v);
			break;
		case SEC_ACCESS:
			access_key(&ld, lineno, k, v);
			break;
		case SEC_NONE:
			break;
		}
	}
	if (ferror(f))
		problem(&ld, lineno, "read error");
	free(line);
	fclose(f);
	end_section(&ld);
	keyset_clear(&ld.seen);
	resolve_access(&ld);
	if (c->nproviders == 0)
		problem(&ld, lineno, "no [provider NAME] section");
	for (i = 0; i < ld.npending; i++)
		free(ld.pending[i].value);
	free(ld.pending);
	if (ld.nerr > 0) {
		conf_free(c);
		return NULL;
	}
	if (c->cursor_key_random) {
		c->cursor_key = malloc(32);
		if (c->cursor_key == NULL) {
			fprintf(errs, "%s: out of memory\n", path);
			conf_free(c);
			return NULL;
		}
		c->cursor_key_len = 32;
		if (RAND_bytes(c->cursor_key, 32) != 1) {
			fprintf(errs, "%s: cannot draw a random cursor key\n",
			    path);
			conf_free(c);
			return NULL;
		}
	}
	return c;
}

static void
wipe_free(char *s)
{
	if (s != NULL) {
		memset(s, 0, strlen(s));
		free(s);
	}
}

void
conf_free(struct config *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->nproviders; i++) {
		free(c->providers[i].base_url);
		wipe_free(c->providers[i].api_key);
		wipe_free(c->providers[i].api_secret);
	}
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

int
conf_access(const struct config *c, const char *user, uint64_t *mask)
{
	size_t i;

	if (!c->has_access) {
		*mask = c->nproviders == 64
		    ? UINT64_MAX
		    : (UINT64_C(1) << c->nproviders) - 1;
		return 0;
	}
	if (user == NULL || *user == '\0')
		return -1;
	*mask = 0;
	for (i = 0; i < c->nrules; i++)
		if (strcmp(c->rules[i].user, user) == 0) {
			*mask = c->rules[i].providers;
			return 0;
		}
	for (i = 0; i < c->nrules; i++)
		if (strcmp(c->rules[i].user, "*") == 0)
			*mask = c->rules[i].providers;
	return 0;
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
	for (i = 0; i < c->nproviders; i++)
		fprintf(out, "  provider %s: kind %s, %s, timeout_ms %d\n",
		    c->providers[i].name, c->providers[i].driver->kind,
		    c->providers[i].base_url, c->providers[i].timeout_ms);
	if (c->has_access)
		fprintf(out, "  access: %zu rule(s)\n", c->nrules);
	else
		fprintf(
		    out, "  access: every caller may read every provider\n");
}
