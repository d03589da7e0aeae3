/*
 * Secrets in the configuration: "env:NAME", "file:PATH" (its first
 * line) or the value itself.  They are resolved at load time, wiped
 * when freed, and never appear in a message.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "conf_int.h"

/* env:NAME: set, not empty, at most SECRET_MAX_BYTES. */
static char *
secret_env(struct loader *ld, int line, const char *key, const char *var)
{
	const char *val = getenv(var);
	char *out;

	if (*var == '\0' || val == NULL) {
		conf_problem(ld, line, "%s: environment variable %s is not set",
		    key, var);
		return NULL;
	}
	if (*val == '\0') {
		conf_problem(
		    ld, line, "%s: environment variable %s is empty", key, var);
		return NULL;
	}
	if (strlen(val) > SECRET_MAX_BYTES) {
		conf_problem(ld, line,
		    "%s: environment variable %s is longer than %d bytes", key,
		    var, SECRET_MAX_BYTES);
		return NULL;
	}
	if ((out = strdup(val)) == NULL)
		conf_problem(ld, line, "%s: out of memory", key);
	return out;
}

/* Why the first line of a secret file was refused (err: its errno). */
static void
file_problem(struct loader *ld, int line, const char *key, const char *path,
    int err, size_t n)
{
	if (err == ENOMEM)
		conf_problem(ld, line, "%s: out of memory", key);
	else if (err != 0)
		conf_problem(ld, line, "%s: cannot read %s: %s", key, path,
		    strerror(err));
	else if (n == 0)
		conf_problem(ld, line, "%s: %s is empty", key, path);
	else if (n > SECRET_MAX_BYTES)
		conf_problem(ld, line,
		    "%s: the first line of %s is longer than %d bytes", key,
		    path, SECRET_MAX_BYTES);
	else
		conf_problem(ld, line,
		    "%s: the first line of %s has a NUL byte", key, path);
}

/* file:PATH: its first line, not empty, at most SECRET_MAX_BYTES. */
static char *
secret_file(struct loader *ld, int line, const char *key, const char *path)
{
	char *out = NULL;
	size_t n, cap = 0;
	ssize_t got;
	FILE *f;
	int err;

	f = fopen(path, "r");
	if (f == NULL) {
		conf_problem(ld, line, "%s: cannot read %s: %s", key, path,
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
		file_problem(ld, line, key, path, err, n);
		if (out != NULL)
			OPENSSL_cleanse(out, cap);
		free(out);
		return NULL;
	}
	/* out[n] ends the secret; wipe the rest of the line too */
	OPENSSL_cleanse(out + n, cap - n);
	return out;
}

char *
conf_secret(struct loader *ld, int line, const char *key, const char *v)
{
	char *out;
	size_t n;

	if (strncmp(v, "env:", 4) == 0)
		out = secret_env(ld, line, key, v + 4);
	else if (strncmp(v, "file:", 5) == 0)
		out = secret_file(ld, line, key, v + 5);
	else if ((out = strdup(v)) == NULL)
		conf_problem(ld, line, "%s: out of memory", key);
	/* Keys go into upstream request headers verbatim: no control
	 * bytes (an env: value could carry CR LF and add headers). */
	for (n = 0;
	     out != NULL && strcmp(key, "cursor_key") != 0 && out[n] != '\0';
	     n++)
		if ((unsigned char)out[n] < 0x20 || out[n] == 0x7f) {
			conf_problem(
			    ld, line, "%s: contains a control character", key);
			free(out);
			return NULL;
		}
	return out;
}

void
conf_wipe_free(char *s)
{
	if (s != NULL) {
		memset(s, 0, strlen(s));
		free(s);
	}
}
