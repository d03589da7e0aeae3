/* The configuration file, its errors and its secrets. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "provider.h"
#include "tap.h"

static char path[64];
static char *errs;

static struct config *
load(const char *text)
{
	FILE *f, *e;
	size_t n;
	struct config *c;

	f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
	free(errs);
	errs = NULL;
	e = open_memstream(&errs, &n);
	c = conf_load(path, e);
	fclose(e);
	return c;
}

/* Loading fails with a message at the given line mentioning `what`. */
static void
fails_at(const char *text, int line, const char *what, const char *name)
{
	struct config *c = load(text);
	char want[128];

	snprintf(want, sizeof(want), "%s:%d: ", path, line);
	ok(c == NULL && errs != NULL && strstr(errs, want) != NULL &&
	        strstr(errs, what) != NULL,
	    "%s", name);
	if (c != NULL || errs == NULL || strstr(errs, want) == NULL ||
	    strstr(errs, what) == NULL)
		diag("errors were: %s", errs ? errs : "(none)");
	conf_free(c);
}

/* A growing string, for files too long to write out literally. */
struct text {
	char *s;
	size_t len, cap;
};

static void add(struct text *, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
add(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (t->len + (size_t)n + 1 > t->cap) {
		while (t->len + (size_t)n + 1 > t->cap)
			t->cap = t->cap ? t->cap * 2 : 4096;
		t->s = realloc(t->s, t->cap);
		if (t->s == NULL)
			abort();
	}
	va_start(ap, fmt);
	vsnprintf(t->s + t->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	t->len += (size_t)n;
}

static void
text_reset(struct text *t)
{
	free(t->s);
	memset(t, 0, sizeof(*t));
}

#define PROV \
	"[provider vx]\nkind = verbex\nbase_url = " \
	"https://api.verbex.ai\napi_key = k1\n"

int
main(void)
{
	struct config *c;
	uint64_t mask;
	FILE *f;

	snprintf(path, sizeof(path), "/tmp/t_conf.%ld.conf", (long)getpid());
	setenv("T_CONF_KEY", "env-secret-value-1234", 1);
	setenv("T_CURSOR_KEY", "0123456789abcdef0123456789abcdef-x", 1);
	unsetenv("T_MISSING");

	c = load(
	    "# comment\n; another\n[callnorm]\ncursor_key = env:T_CURSOR_KEY\n"
	    "cursor_ttl = 60\nrequest_timeout_ms = 5000\n"
	    "max_upstream_requests = 3\n\n"
	    "[provider verbex-main]\nkind = verbex\n"
	    "base_url = http://127.0.0.1:8700/verbex/\n"
	    "api_key = env:T_CONF_KEY\ntimeout_ms = 700\n"
	    "[provider z]\nkind = zudu\nbase_url = https://api.zudu.ai\n"
	    "api_key = literal#with-hash\napi_secret = s\n"
	    "[access]\nalice = verbex-main, z\n* = z\n");
	ok(c != NULL, "a valid file loads");
	if (c == NULL)
		diag("%s", errs);
	if (c != NULL) {
		is_int(c->cursor_ttl, 60, "cursor_ttl");
		is_int(c->request_timeout_ms, 5000, "request_timeout_ms");
		is_int(c->max_upstream_requests, 3, "max_upstream_requests");
		ok(!c->cursor_key_random, "cursor_key from env");
		is_int((int64_t)c->nproviders, 2, "two providers");
		is_str(c->providers[0].base_url, "http://127.0.0.1:8700/verbex",
		    "trailing slash stripped from base_url");
		is_str(c->providers[0].api_key, "env-secret-value-1234",
		    "env: secret resolved");
		is_str(c->providers[1].api_key, "literal#with-hash",
		    "a value may contain #");
		is_int(c->providers[0].timeout_ms, 700, "timeout_ms");
		ok(conf_access(c, "alice", &mask) == 0 && mask == 3,
		    "alice reads both");
		ok(conf_access(c, "bob", &mask) == 0 && mask == 2,
		    "* covers other users");
		ok(conf_access(c, NULL, &mask) < 0,
		    "no REMOTE_USER with [access] is refused");
	}
	conf_free(c);

	c = load(PROV);
	ok(c != NULL && c->cursor_key_random && c->cursor_ttl == 86400 &&
	        c->request_timeout_ms == 20000 &&
	        c->max_upstream_requests == 10 &&
	        c->providers[0].timeout_ms == 10000,
	    "defaults");
	ok(c != NULL && conf_access(c, NULL, &mask) == 0 && mask == 1,
	    "without [access] everyone reads everything");
	conf_free(c);

	/* the error cases of the acceptance list */
	fails_at(
	    PROV "colour = blue\n", 5, "unknown key 'colour'", "unknown key");
	fails_at("[provider vx]\ncolour = blue\nkind = verbex\n"
	         "base_url = https://api.verbex.ai\napi_key = k1\n",
	    2, "unknown key 'colour'",
	    "an unknown key before the kind is named: its own line");
	fails_at(PROV "colour = blue\n[provider vx]x\n", 6,
	    "malformed section header",
	    "a malformed header ends the section before it (its kept keys "
	    "released)");
	fails_at("[provider vx]\ncolour = blue\n", 1, "has no 'kind'",
	    "a section without a kind: its kept keys are dropped");
	fails_at(PROV "start_lag_ms = 1000\n", 1, "takes no 'start_lag_ms'",
	    "start_lag_ms on a kind that lists by start time");
	fails_at(PROV "start_lag_ms = -1\n", 5, "start_lag_ms must be",
	    "start_lag_ms out of range");
	fails_at(
	    PROV "[extras]\nx = 1\n", 5, "unknown section", "unknown section");
	fails_at(PROV "api_key = k2\n", 5, "duplicate key 'api_key'",
	    "duplicate key");
	fails_at("[provider vx]\nbase_url = https://a.example\napi_key = k\n",
	    1, "has no 'kind'", "missing kind");
	fails_at(
	    "[provider vx]\nkind = verbex\nbase_url = http://api.example.com\n"
	    "api_key = k\n",
	    3, "must be https://", "http to a non-loopback host");
	fails_at("[provider vx]\nkind = verbex\nbase_url = https://a.example\n"
	         "api_key = env:T_MISSING\n",
	    4, "T_MISSING is not set", "missing env secret");
	/* more */
	fails_at(PROV PROV, 5, "duplicate section [provider vx]",
	    "duplicate provider section");
	fails_at("[callnorm]\n[callnorm]\n" PROV, 2, "duplicate section",
	    "duplicate [callnorm]");
	fails_at("[provider Vx]\nkind = verbex\n", 1, "provider name",
	    "bad provider name");
	fails_at("[provider vx]\nkind = nosuchkind\nbase_url = "
	         "https://a\napi_key = k\n",
	    2, "unknown kind", "unknown kind");
	fails_at("[callnorm]\ncursor_key = short\n" PROV, 2,
	    "at least 32 bytes", "cursor_key too short");
	fails_at("[callnorm]\ncursor_ttl = 0\n" PROV, 2, "cursor_ttl",
	    "cursor_ttl out of range");
	fails_at("[callnorm]\nmax_upstream_requests = many\n" PROV, 2,
	    "max_upstream_requests", "malformed integer");
	fails_at("[callnorm]\nmax_upstream_requests = 1\n" PROV, 2,
	    "max_upstream_requests must be from 2", "a budget of one request");
	fails_at(
	    "[provider z]\nkind = zudu\nbase_url = https://a\napi_key = k\n", 1,
	    "needs 'api_secret'", "zudu without api_secret");
	fails_at(PROV "api_secret = s\n", 1, "takes no 'api_secret'",
	    "api_secret on a kind without one");
	fails_at(
	    "[provider vx]\nkind = verbex\nbase_url = https://u:p@a.example\n"
	    "api_key = k\n",
	    3, "credentials", "credentials in base_url");
	fails_at("[provider vx]\nkind = verbex\nbase_url = ftp://a.example\n"
	         "api_key = k\n",
	    3, "https://", "other schemes");
	fails_at(
	    "[provider vx]\nkind = verbex\nbase_url = https://a.example?x=1\n"
	    "api_key = k\n",
	    3, "'?'", "query in base_url");
	fails_at(PROV "[access]\nbob = nope\n", 6, "unknown provider 'nope'",
	    "access names an unknown provider");
	fails_at(
	    PROV "timeout_ms\n", 5, "expected 'key = value'", "no equals sign");
	fails_at(PROV "timeout_ms =\n", 5, "empty value", "empty value");
	fails_at(
	    "x = 1\n" PROV, 1, "outside any section", "key before a section");
	fails_at("[provider vx\n", 1, "malformed section", "malformed header");
	fails_at("[callnorm]\n", 1, "no [provider", "no provider");
	fails_at(PROV "api_key = file:/nonexistent/key\n", 5, "duplicate",
	    "dup file");
	fails_at("[provider vx]\nkind = verbex\nbase_url = https://a\n"
	         "api_key = file:/nonexistent/key\n",
	    4, "cannot read /nonexistent/key", "unreadable secret file");

	/* Duplicates: every key of every section, however many keys came
	 * before and however long the key; the message names both lines. */
	{
		struct text t = { NULL, 0, 0 };
		char key[4001], want[64];
		int i;

		/* [access] with 40 users (lines 6-45), then the 33rd again */
		add(&t, PROV "[access]\n");
		for (i = 1; i <= 40; i++)
			add(&t, "user%02d = vx\n", i);
		add(&t, "user33 = vx\n");
		fails_at(t.s, 46, "duplicate key 'user33' (first at line 38)",
		    "a duplicate of the 33rd user");
		text_reset(&t);

		/* a 60-byte user name, twice */
		memset(key, 'u', 60);
		key[60] = '\0';
		add(&t, PROV "[access]\n%s = vx\nbob = vx\n%s = vx\n", key,
		    key);
		snprintf(want, sizeof(want), "duplicate key '%.20s", key);
		fails_at(t.s, 8, want, "a duplicate 60-byte user name");
		fails_at(t.s, 8, "(first at line 6)",
		    "the 60-byte duplicate names the first line");
		text_reset(&t);

		/* two users that differ only past byte 48 are not duplicates */
		memset(key, 'u', 60);
		key[60] = '\0';
		add(&t, PROV "[access]\n%s = vx\n", key);
		key[59] = 'v';
		add(&t, "%s = vx\n", key);
		c = load(t.s);
		ok(c != NULL && c->nrules == 2,
		    "users differing only in byte 60 are two users");
		if (c == NULL)
			diag("%s", errs);
		conf_free(c);
		text_reset(&t);

		/* a 4000-byte user name, twice (the line limit is 4096) */
		memset(key, 'w', 4000);
		key[4000] = '\0';
		add(&t, PROV "[access]\n%s = vx\n%s = vx\n", key, key);
		fails_at(t.s, 7, "(first at line 6)",
		    "a duplicate 4000-byte user name");
		text_reset(&t);

		/* a longer line is refused, not cut */
		memset(key, 'w', 4000);
		key[4000] = '\0';
		add(&t, PROV "[access]\n%s%s = vx\n", key,
		    "wwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwww"
		    "wwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwww");
		fails_at(t.s, 6, "line longer than 4096 bytes",
		    "a user name past the line limit is refused");
		text_reset(&t);

		/* 20000 users load; one repeated at the end is found */
		add(&t, PROV "[access]\n");
		for (i = 0; i < 20000; i++)
			add(&t, "user-%d = vx\n", i);
		c = load(t.s);
		ok(c != NULL && c->nrules == 20000,
		    "20000 distinct users load");
		if (c == NULL)
			diag("%.300s", errs);
		conf_free(c);
		add(&t, "user-12345 = vx\n");
		fails_at(t.s, 20006,
		    "duplicate key 'user-12345' (first at line 12351)",
		    "a duplicate among 20000 users");
		text_reset(&t);

		/* at most 100000 rules: lines 6 to 100005 load, the next two
		 * are refused with one message at the first of them */
		add(&t, PROV "[access]\n");
		for (i = 0; i < 100000; i++)
			add(&t, "u%d = vx\n", i);
		c = load(t.s);
		ok(c != NULL && c->nrules == 100000, "100000 rules load");
		conf_free(c);
		add(&t, "one-more = vx\nand-another = vx\n");
		fails_at(t.s, 100006, "more than 100000 [access] rules",
		    "the 100001st rule is refused");
		ok(errs != NULL && strstr(errs, ":100007:") == NULL,
		    "the limit is reported once");
		text_reset(&t);

		/* each section kind */
		fails_at("[callnorm]\ncursor_ttl = 60\nrequest_timeout_ms = "
		         "5000\ncursor_ttl = 60\n" PROV,
		    4, "duplicate key 'cursor_ttl' (first at line 2)",
		    "duplicate key in [callnorm]");
		fails_at("[callnorm]\ncursor_key = "
		         "0123456789abcdef0123456789abcdef\n"
		         "cursor_key = 0123456789abcdef0123456789abcdef\n" PROV,
		    3, "duplicate key 'cursor_key' (first at line 2)",
		    "duplicate cursor_key");
		fails_at(PROV "timeout_ms = 100\ntimeout_ms = 100\n", 6,
		    "duplicate key 'timeout_ms' (first at line 5)",
		    "duplicate key in [provider]");
		fails_at(PROV "api_key = k2\n", 5,
		    "duplicate key 'api_key' (first at line 4)",
		    "duplicate api_key names the first line");
		fails_at(PROV "[access]\n* = vx\nalice = vx\n* = vx\n", 8,
		    "duplicate key '*' (first at line 6)",
		    "duplicate key in [access]");
		/* the same key in two different sections is no duplicate */
		c = load("[provider a]\nkind = verbex\nbase_url = https://a\n"
		         "api_key = k\n[provider b]\nkind = verbex\n"
		         "base_url = https://b\napi_key = k\n");
		ok(c != NULL && c->nproviders == 2,
		    "the same keys in two provider sections");
		conf_free(c);

		/* duplicate section headers */
		fails_at(PROV PROV, 5,
		    "duplicate section [provider vx] (first at line 1)",
		    "duplicate [provider] names the first line");
		fails_at("[callnorm]\ncursor_ttl = 5\n[callnorm]\n" PROV, 3,
		    "duplicate section [callnorm] (first at line 1)",
		    "duplicate [callnorm] names the first line");
		fails_at(PROV "[access]\nalice = vx\n[access]\nbob = vx\n", 7,
		    "duplicate section [access] (first at line 5)",
		    "duplicate [access] names the first line");
		fails_at(PROV "[provider  vx ]\nkind = verbex\n", 5,
		    "duplicate section [provider vx] (first at line 1)",
		    "a duplicate [provider] spelt with other spaces");
	}

	/* secrets past 4096 bytes are refused, never cut */
	{
		char *big = malloc(5001);

		memset(big, 's', 5000);
		big[5000] = '\0';
		f = fopen("/tmp/t_conf.secret", "w");
		fprintf(f, "%s\n", big);
		fclose(f);
		fails_at("[provider vx]\nkind = verbex\nbase_url = https://a\n"
		         "api_key = file:/tmp/t_conf.secret\n",
		    4, "longer than 4096 bytes",
		    "a file: secret over 4096 bytes");
		setenv("T_BIG_KEY", big, 1);
		fails_at("[callnorm]\ncursor_key = env:T_BIG_KEY\n" PROV, 2,
		    "longer than 4096 bytes", "an env: secret over 4096 bytes");
		unsetenv("T_BIG_KEY");
		big[4096] = '\0';
		f = fopen("/tmp/t_conf.secret", "w");
		fprintf(f, "%s\n", big);
		fclose(f);
		c = load(
		    "[callnorm]\ncursor_key = file:/tmp/t_conf.secret\n" PROV);
		ok(c != NULL && c->cursor_key_len == 4096 &&
		        memcmp(c->cursor_key, big, 4096) == 0,
		    "a 4096-byte file: cursor_key is kept whole");
		if (c == NULL)
			diag("%s", errs);
		conf_free(c);
		/* a NUL byte would cut the key where it stands */
		f = fopen("/tmp/t_conf.secret", "w");
		fwrite("0123456789abcdef\0"
		       "0123456789abcdef0123\n",
		    1, 38, f);
		fclose(f);
		fails_at(
		    "[callnorm]\ncursor_key = file:/tmp/t_conf.secret\n" PROV,
		    2, "has a NUL byte", "a file: secret with a NUL byte");
		unlink("/tmp/t_conf.secret");
		free(big);
	}
	fails_at("[provider vx]\nkind = verbex\nbase_url = https://a\n"
	         "api_key = file:/tmp\n",
	    4, "cannot read /tmp", "a file: secret naming a directory");

	/* the secret never appears in a message */
	c = load("[provider vx]\nkind = verbex\nbase_url = http://example.com\n"
	         "api_key = env:T_CONF_KEY\nbogus = 1\n");
	ok(c == NULL && strstr(errs, "env-secret-value-1234") == NULL,
	    "secrets are never echoed");
	conf_free(c);

	/* file: takes the first line without its newline */
	f = fopen("/tmp/t_conf.secret", "w");
	fputs("file-secret\nsecond line\n", f);
	fclose(f);
	c = load(
	    "[provider vx]\nkind = verbex\nbase_url = https://[::1]:8443/x\n"
	    "api_key = file:/tmp/t_conf.secret\n");
	ok(c != NULL && strcmp(c->providers[0].api_key, "file-secret") == 0,
	    "file: secret, first line");
	conf_free(c);
	unlink("/tmp/t_conf.secret");

	/* loopback hosts */
	ok(conf_loopback_host("127.0.0.1", 9), "127.0.0.1 is loopback");
	ok(conf_loopback_host("127.9.8.7", 9), "127.0.0.0/8 is loopback");
	ok(conf_loopback_host("localhost", 9), "localhost is loopback");
	ok(conf_loopback_host("[::1]", 5), "::1 is loopback");
	ok(!conf_loopback_host("127.0.0.1.evil.com", 18), "a lookalike is not");
	ok(!conf_loopback_host("128.0.0.1", 9), "128.0.0.1 is not");

	/* rate_limit, shared_state and its password */
	c = load("[callnorm]\nshared_state = redis://10.0.0.5:6380/2\n"
	         "shared_state_password = env:T_CONF_KEY\n"
	         "[provider v]\nkind = voicy\nbase_url = http://127.0.0.1:1/v\n"
	         "api_key = k\nrate_limit = 60/min\n"
	         "[provider t]\nkind = talkover\n"
	         "base_url = http://127.0.0.1:1/t\napi_key = k\n");
	ok(c != NULL, "rate_limit and shared_state load");
	if (c != NULL) {
		char *sum = NULL;
		size_t n;
		is_int(c->providers[0].rate_limit_n, 60, "rate_limit N");
		is_int(c->providers[0].rate_limit_window_ms, 60000,
		    "rate_limit per minute");
		is_int(c->providers[1].rate_limit_n, 0, "no rate_limit: none");
		is_str(c->shared_state, "redis://10.0.0.5:6380/2",
		    "shared_state kept");
		is_str(c->shared_state_password, "env-secret-value-1234",
		    "shared_state_password resolved like a secret");
		f = open_memstream(&sum, &n);
		conf_summary(c, path, f);
		fclose(f);
		ok(strstr(sum, "rate_limit 60/min") != NULL &&
		        strstr(sum, "redis://10.0.0.5:6380/2") != NULL,
		    "the summary shows the limit and the server");
		ok(strstr(sum, "env-secret-value") == NULL,
		    "the summary never shows the password");
		free(sum);
	}
	conf_free(c);
	fails_at("[callnorm]\nshared_state = redis://h:0\n", 2, "shared_state",
	    "a bad shared_state port names the key");
	fails_at("[callnorm]\nshared_state_password = env:T_MISSING\n", 2,
	    "T_MISSING", "a missing password variable");
	fails_at("[provider v]\nkind = voicy\nbase_url = http://127.0.0.1:1/v\n"
	         "api_key = k\nrate_limit = 5/h\n",
	    5, "rate_limit", "a bad rate_limit names the key");

	unlink(path);
	free(errs);
	return done_testing();
}
