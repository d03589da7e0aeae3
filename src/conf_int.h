/*
 * Private to the configuration loader, shared by its files:
 *   conf.c         lines, sections, the [callnorm] and [provider] keys,
 *                  conf_load, conf_free, conf_provider, conf_summary
 *   conf_value.c   value syntax: names, integers, base_url, loopback hosts
 *   conf_keyset.c  the keys seen in a section, for duplicates
 *   conf_secret.c  env:, file: and literal secrets
 *   conf_access.c  the [access] section and conf_access
 */
#ifndef CN_CONF_INT_H
#define CN_CONF_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "conf.h"

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
	/* a provider's keys of its kind's own, until the section ends */
	char *extra_key[CONF_MAX_EXTRA];
	int extra_line[CONF_MAX_EXTRA];
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
	/* the line whose value holds " #" or " ;": its problems say that
	 * comments take a line of their own */
	int comment_line;
};

/* conf.c: reports "PATH:LINE: message" and counts it. */
void conf_problem(struct loader *, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* conf_value.c */
char *conf_trim(char *s); /* strips blanks at both ends, in place */
bool conf_valid_name(const char *s); /* [a-z0-9][a-z0-9_-]{0,31} */
/* 0 and *out for a decimal integer in [lo, hi]; -1 otherwise. */
int conf_parse_int(const char *v, long lo, long hi, long *out);
/* Checks base_url and strips its trailing slashes; NULL or a reason. */
const char *conf_check_url(char *v);

/* conf_keyset.c */
/* Records key at line; false (reported) for a duplicate or no memory. */
bool conf_mark_seen(struct loader *, int line, const char *key);
bool conf_seen(const struct loader *, const char *key);
void conf_keyset_clear(struct keyset *);

/* conf_secret.c: env:/file:/literal into a fresh string, or NULL after
 * reporting why (never the secret). */
char *conf_secret(struct loader *, int line, const char *key, const char *v);
/* Zeroes and frees a secret string; NULL is fine. */
void conf_wipe_free(char *s);

/* conf_access.c */
/* A "user = provider, ..." line, kept until every provider is known. */
void conf_access_key(struct loader *, int line, const char *k, const char *v);
/* Turns the kept lines into provider masks, then frees them. */
void conf_access_resolve(struct loader *);

#endif
