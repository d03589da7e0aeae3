/*
 * The configuration file: strict INI.  Every problem is reported
 * as FILE:LINE: message and loading fails as a whole; secrets are
 * resolved at load time and never appear in a message.
 */
#ifndef CN_CONF_H
#define CN_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define CONF_MAX_PROVIDERS 64
#define EX_CONFIG_ERROR 78

struct driver;

/* A key only some kinds take (struct driver_key), as configured. */
struct conf_extra {
	const char *name; /* the driver's spelling */
	char *value; /* secrets resolved, like api_key */
};

#define CONF_MAX_EXTRA 8

struct provider_conf {
	char name[33];
	const struct driver *driver;
	char *base_url; /* without a trailing slash */
	char *api_key;
	char *api_secret;
	int timeout_ms;
	/* Creation-order kinds: a call starts at most this long after it
	 * is created (start_lag_ms, default 300000). */
	int64_t start_lag_ms;
	/* rate_limit: at most rate_limit_n requests in any window of
	 * rate_limit_window_ms (1000 or 60000); 0: no limit of ours */
	int rate_limit_n;
	int rate_limit_window_ms;
	struct conf_extra extra[CONF_MAX_EXTRA];
	size_t nextra;
	int line;
};

/* The value of a kind's own key (struct driver_key), or NULL. */
const char *conf_extra(const struct provider_conf *, const char *name);

struct access_rule {
	char *user; /* "*" for every other authenticated user */
	uint64_t providers; /* bit i: providers[i] */
};

struct config {
	unsigned char *cursor_key; /* all of it: every byte counts */
	size_t cursor_key_len; /* 32 to 4096 */
	bool cursor_key_random;
	int64_t cursor_ttl; /* seconds */
	int request_timeout_ms;
	int max_upstream_requests;
	/* redis://HOST:PORT[/DB] or redis+unix:///PATH; NULL: none */
	char *shared_state;
	char *shared_state_password; /* a secret; NULL: none */
	int shared_state_line;
	struct provider_conf providers[CONF_MAX_PROVIDERS];
	size_t nproviders;
	bool has_access;
	struct access_rule *rules;
	size_t nrules;
};

/* Returns the config, or NULL after printing each problem to errs. */
struct config *conf_load(const char *path, FILE *errs);
void conf_free(struct config *);
/* One-paragraph summary for --check-config; never prints a secret. */
void conf_summary(const struct config *, const char *path, FILE *out);
/* "PATH:LINE: warning: ..." for settings that are valid but unwise
 * (--check-config, start and reload); returns how many. */
int conf_warnings(const struct config *, const char *path, FILE *out);
const struct provider_conf *conf_provider(
    const struct config *, const char *name, size_t *index);
/* Whether conf_access lets a caller in at all. */
enum conf_verdict {
	CONF_ALLOWED = 0, /* *mask says which providers (it may be 0) */
	CONF_DENIED = -1 /* access is configured and the caller is not
	                    authenticated: ACCESS_DENIED */
};

/* Providers a caller may read (bit i: providers[i]). */
enum conf_verdict conf_access(
    const struct config *, const char *remote_user, uint64_t *mask);
bool conf_loopback_host(const char *host, size_t len);

#endif
