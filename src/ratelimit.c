#include "ratelimit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
rl_take(struct rl_ring *r, int64_t *times, uint32_t n, int64_t window_ms,
    int64_t now, int64_t remaining_ms, int64_t *wait_ms)
{
	int64_t at = now;

	if (n > r->cap)
		n = r->cap;
	if (r->last > at)
		at = r->last;
	if (n > 0 && r->count >= n) {
		int64_t old = times[(r->head + r->cap - n) % r->cap];
		if (old + window_ms > at)
			at = old + window_ms;
	}
	if (r->pause_until > at)
		at = r->pause_until;
	*wait_ms = at - now;
	if (at - now > remaining_ms)
		return 0;
	rl_record(r, times, at);
	return 1;
}

void
rl_record(struct rl_ring *r, int64_t *times, int64_t at)
{
	if (at < r->last)
		at = r->last;
	if (r->cap > 0) {
		times[r->head] = at;
		r->head = (r->head + 1) % r->cap;
		if (r->count < r->cap)
			r->count++;
	}
	r->last = at;
}

void
rl_pause(struct rl_ring *r, int64_t until)
{
	if (until > r->pause_until)
		r->pause_until = until;
}

int64_t
rl_pause_ms(int64_t retry_after_ms)
{
	if (retry_after_ms < 0)
		return RL_PAUSE_DEFAULT_MS;
	if (retry_after_ms == 0)
		return 1;
	return retry_after_ms > RL_PAUSE_MAX_MS ? RL_PAUSE_MAX_MS
	                                        : retry_after_ms;
}

int64_t
rl_retry_after_s(int64_t wait_ms)
{
	int64_t s = (wait_ms + 999) / 1000;

	return s < 1 ? 1 : s;
}

static int
parse_uint(const char *s, size_t len, long lo, long hi, long *out)
{
	long v = 0;
	size_t i;

	if (len == 0 || len > 9)
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	if (v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

int
rl_parse_limit(const char *v, int *n, int *window_ms)
{
	const char *slash = strchr(v, '/');
	long x;

	if (slash == NULL ||
	    parse_uint(v, (size_t)(slash - v), 1, RL_MAX_N, &x) < 0)
		return -1;
	if (strcmp(slash + 1, "s") == 0)
		*window_ms = 1000;
	else if (strcmp(slash + 1, "min") == 0)
		*window_ms = 60000;
	else
		return -1;
	*n = (int)x;
	return 0;
}

const char *
rl_parse_url(const char *v, struct rl_url *u)
{
	const char *p, *colon, *slash, *end;
	long x;

	memset(u, 0, sizeof(*u));
	if (strncmp(v, "redis+unix://", 13) == 0) {
		p = v + 13;
		if (p[0] != '/')
			return "shared_state: redis+unix:// needs an absolute "
			       "socket "
			       "path "
			       "(redis+unix:///run/redis/redis.sock)";
		if (strlen(p) >= sizeof(u->path))
			return "shared_state: the socket path is too long";
		u->unix_socket = true;
		memcpy(u->path, p, strlen(p) + 1);
		return NULL;
	}
	if (strncmp(v, "redis://", 8) != 0)
		return "shared_state must be redis://HOST:PORT[/DB] or "
		       "redis+unix:///PATH";
	p = v + 8;
	end = p + strlen(p);
	slash = strchr(p, '/');
	if (slash == NULL)
		slash = end;
	colon = memchr(p, ':', (size_t)(slash - p));
	if (colon == NULL || colon == p)
		return "shared_state needs a host and a port "
		       "(redis://HOST:PORT[/DB])";
	if ((size_t)(colon - p) >= sizeof(u->host))
		return "shared_state: the host is too long";
	for (const char *c = p; c < colon; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		        (*c >= '0' && *c <= '9') || *c == '.' || *c == '-'))
			return "the shared_state host must be a name or an "
			       "IPv4 address";
	memcpy(u->host, p, (size_t)(colon - p));
	if (parse_uint(colon + 1, (size_t)(slash - colon - 1), 1, 65535, &x) <
	    0)
		return "the shared_state port must be from 1 to 65535";
	u->port = (int)x;
	if (slash < end) {
		if (parse_uint(slash + 1, (size_t)(end - slash - 1), 0, 1000000,
		        &x) < 0)
			return "the shared_state database must be a number "
			       "from 0 (redis://HOST:PORT/DB)";
		u->db = (int)x;
	}
	return NULL;
}
