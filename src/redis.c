#include "redis.h"

#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include "ratelimit.h"

#define REDIS_TIMEOUT_MS 50

/*
 * KEYS[1] callnorm:rl:NAME (a list of reserved ms times, oldest first,
 * trimmed to the last N), KEYS[2] callnorm:pause:NAME (exists while the
 * provider is paused).  ARGV: N, window ms, remaining deadline ms.
 * Returns {granted, wait_ms}; the clock is the server's.
 */
static const char script[] =
    "local t = redis.call('TIME')\n"
    "local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / "
    "1000)\n"
    "local n = tonumber(ARGV[1])\n"
    "local w = tonumber(ARGV[2])\n"
    "local at = now\n"
    "local last = redis.call('LINDEX', KEYS[1], -1)\n"
    "if last and tonumber(last) > at then at = tonumber(last) end\n"
    "if n > 0 and redis.call('LLEN', KEYS[1]) >= n then\n"
    "  local old = tonumber(redis.call('LINDEX', KEYS[1], -n))\n"
    "  if old + w > at then at = old + w end\n"
    "end\n"
    "local p = redis.call('PTTL', KEYS[2])\n"
    "if p > 0 and now + p > at then at = now + p end\n"
    "if at - now > tonumber(ARGV[3]) then return {0, at - now} end\n"
    "if n > 0 then\n"
    "  redis.call('RPUSH', KEYS[1], at)\n"
    "  redis.call('LTRIM', KEYS[1], -n, -1)\n"
    "  redis.call('PEXPIRE', KEYS[1], at - now + w + 1000)\n"
    "end\n"
    "return {1, at - now}\n";

static struct rl_url url;
static char *password;
static int configured;

static __thread redisContext *ctx;
/* frees a thread's connection when the thread ends */
static pthread_key_t key;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;

static void
free_ctx(void *p)
{
	redisFree(p);
}

static void
make_key(void)
{
	pthread_key_create(&key, free_ctx);
}
static __thread char sha[41];
static __thread pid_t owner; /* a forked child makes its own */
static __thread unsigned ctx_epoch;

int
redis_configure(const struct rl_url *u, const char *pw)
{
	url = *u;
	if (pw != NULL && (password = strdup(pw)) == NULL)
		return -1;
	configured = 1;
	return 0;
}

void
redis_close(void)
{
	if (ctx != NULL) {
		pthread_setspecific(key, NULL);
		redisFree(ctx);
	}
	ctx = NULL;
	sha[0] = '\0';
}

static redisReply *
command(const char *fmt, ...)
{
	va_list ap;
	void *r;

	va_start(ap, fmt);
	r = redisvCommand(ctx, fmt, ap);
	va_end(ap);
	return r;
}

/* 0 with a connection that passed AUTH and SELECT, or -1. */
static int
connect_ctx(char *errbuf, size_t n, unsigned epoch)
{
	struct timeval tv = { 0, REDIS_TIMEOUT_MS * 1000 };
	redisReply *r;

	if (ctx != NULL && owner == getpid() && ctx_epoch == epoch)
		return 0;
	redis_close();
	if (!configured) {
		snprintf(errbuf, n, "shared_state is not configured");
		return -1;
	}
	ctx = url.unix_socket ? redisConnectUnixWithTimeout(url.path, tv)
	                      : redisConnectWithTimeout(url.host, url.port, tv);
	if (ctx == NULL || ctx->err) {
		snprintf(errbuf, n, "%s",
		    ctx != NULL ? ctx->errstr : "out of memory");
		redis_close();
		return -1;
	}
	owner = getpid();
	pthread_once(&key_once, make_key);
	pthread_setspecific(key, ctx);
	ctx_epoch = epoch;
	if (redisSetTimeout(ctx, tv) != REDIS_OK) {
		snprintf(errbuf, n, "could not set the command timeout");
		redis_close();
		return -1;
	}
	if (password != NULL) {
		r = command("AUTH %s", password);
		if (r == NULL || r->type == REDIS_REPLY_ERROR) {
			/* the server's message never holds the password */
			snprintf(errbuf, n, "AUTH refused: %s",
			    r != NULL ? r->str : ctx->errstr);
			freeReplyObject(r);
			redis_close();
			return -1;
		}
		freeReplyObject(r);
	}
	if (url.db != 0) {
		r = command("SELECT %d", url.db);
		if (r == NULL || r->type == REDIS_REPLY_ERROR) {
			snprintf(errbuf, n, "SELECT %d refused: %s", url.db,
			    r != NULL ? r->str : ctx->errstr);
			freeReplyObject(r);
			redis_close();
			return -1;
		}
		freeReplyObject(r);
	}
	r = command("SCRIPT LOAD %s", script);
	if (r != NULL && r->type == REDIS_REPLY_STRING && r->len == 40)
		memcpy(sha, r->str, 41);
	else
		sha[0] = '\0';
	if (r == NULL) {
		snprintf(errbuf, n, "%s", ctx->errstr);
		redis_close();
		return -1;
	}
	freeReplyObject(r);
	return 0;
}

int
redis_take(unsigned epoch, const char *provider, int n, int window_ms,
    int64_t remaining_ms, int *granted, int64_t *wait_ms)
{
	char err[128];
	redisReply *r = NULL;

	if (connect_ctx(err, sizeof(err), epoch) < 0)
		return -1;
	if (remaining_ms < 0)
		remaining_ms = 0;
	if (sha[0] != '\0') {
		r = command("EVALSHA %s 2 callnorm:rl:%s callnorm:pause:%s %d "
		            "%d %lld",
		    sha, provider, provider, n, window_ms,
		    (long long)remaining_ms);
		if (r != NULL && r->type == REDIS_REPLY_ERROR &&
		    strncmp(r->str, "NOSCRIPT", 8) == 0) {
			freeReplyObject(r);
			r = NULL;
			sha[0] = '\0';
		} else if (r == NULL)
			goto down;
	}
	if (r == NULL)
		r = command("EVAL %s 2 callnorm:rl:%s callnorm:pause:%s %d %d "
		            "%lld",
		    script, provider, provider, n, window_ms,
		    (long long)remaining_ms);
	if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
	    r->element[0]->type != REDIS_REPLY_INTEGER ||
	    r->element[1]->type != REDIS_REPLY_INTEGER)
		goto down;
	*granted = r->element[0]->integer == 1;
	*wait_ms = r->element[1]->integer;
	freeReplyObject(r);
	return 0;
down:
	freeReplyObject(r);
	redis_close();
	return -1;
}

/* 0 when a command was answered without an error; else the connection
 * is dropped (the next call reconnects) and -1. */
static int
answered(redisReply *r)
{
	int ok = r != NULL && r->type != REDIS_REPLY_ERROR;

	freeReplyObject(r);
	if (!ok)
		redis_close();
	return ok ? 0 : -1;
}

int
redis_pause(unsigned epoch, const char *provider, int64_t ms)
{
	char err[128];

	if (connect_ctx(err, sizeof(err), epoch) < 0)
		return -1;
	return answered(command(
	    "SET callnorm:pause:%s 1 PX %lld", provider, (long long)ms));
}

int
redis_alive(unsigned epoch)
{
	char err[128];

	if (connect_ctx(err, sizeof(err), epoch) < 0)
		return -1;
	return answered(command("PING"));
}

int
redis_ping(char *errbuf, size_t n)
{
	redisReply *r;

	redis_close();
	if (connect_ctx(errbuf, n, 0) < 0)
		return -1;
	r = command("PING");
	if (r == NULL || r->type == REDIS_REPLY_ERROR) {
		snprintf(errbuf, n, "%s", r != NULL ? r->str : ctx->errstr);
		freeReplyObject(r);
		redis_close();
		return -1;
	}
	freeReplyObject(r);
	redis_close();
	return 0;
}
