/* ratelimit.c: the sliding window's arithmetic, pauses, the syntax of
 * rate_limit and shared_state; ratelimit_shm.c across processes. */
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "conf.h"
#include "ratelimit.h"
#include "tap.h"

static int64_t times[200];

static void
ring(struct rl_ring *r, uint32_t cap)
{
	memset(r, 0, sizeof(*r));
	r->cap = cap;
}

/* Whether a sorted list of send times keeps to n per window: any n+1
 * consecutive ones span at least w. */
static int
within(const int64_t *t, size_t k, uint32_t n, int64_t w)
{
	size_t i;

	for (i = 0; i + n < k; i++)
		if (t[i + n] - t[i] < w)
			return 0;
	for (i = 1; i < k; i++)
		if (t[i] < t[i - 1])
			return 0;
	return 1;
}

static void
windows(void)
{
	struct rl_ring r;
	int64_t wait, sent[64];
	int i, g;

	ring(&r, 3);
	for (i = 0; i < 3; i++) {
		g = rl_take(&r, times, 3, 1000, 5000, 10000, &wait);
		ok(g == 1 && wait == 0, "send %d of 3 at once", i + 1);
	}
	g = rl_take(&r, times, 3, 1000, 5000, 10000, &wait);
	is_int(wait, 1000, "the 4th waits for the 1st to leave [t, t+1s)");
	g = rl_take(&r, times, 3, 1000, 5999, 10000, &wait);
	is_int(wait, 1, "at t+999 the next slot after the 4th is 1 ms on");
	/* half-open: a send exactly W after the oldest is allowed */
	ring(&r, 1);
	rl_take(&r, times, 1, 1000, 0 + 100, 0, &wait);
	g = rl_take(&r, times, 1, 1000, 1100, 0, &wait);
	ok(g == 1 && wait == 0, "a send exactly one window later is granted");
	g = rl_take(&r, times, 1, 1000, 2099, 0, &wait);
	ok(g == 0 && wait == 1, "1 ms early is refused with 0 ms left");
	is_int(r.count, 1, "a refusal records nothing");

	/* 40 callers arriving together against 5/s, each may wait 10 s */
	ring(&r, 5);
	for (i = 0; i < 40; i++) {
		g = rl_take(&r, times, 5, 1000, 1000, 10000, &wait);
		sent[i] = 1000 + wait;
		if (!g)
			break;
	}
	is_int(i, 40, "all 40 fit within a 10 s deadline");
	ok(within(sent, 40, 5, 1000), "no window holds more than 5");
	is_int(sent[39], 1000 + 7000, "the 40th goes 7 s later");
}

static void
refusal(void)
{
	struct rl_ring r;
	int64_t wait;
	int g;

	ring(&r, 2);
	rl_take(&r, times, 2, 60000, 0, 0, &wait);
	rl_take(&r, times, 2, 60000, 10, 0, &wait);
	g = rl_take(&r, times, 2, 60000, 20, 59979, &wait);
	ok(g == 0 && wait == 59980,
	    "refused when the wait exceeds the "
	    "deadline by 1 ms");
	is_int(rl_retry_after_s(wait), 60, "Retry-After rounds up");
	is_int(rl_retry_after_s(1), 1, "Retry-After is at least 1");
	is_int(rl_retry_after_s(0), 1, "Retry-After is at least 1 at 0");
	is_int(rl_retry_after_s(2000), 2, "2000 ms is 2 s");
	g = rl_take(&r, times, 2, 60000, 20, 59980, &wait);
	ok(g == 1 && wait == 59980, "granted when the wait equals it");
}

static void
clock_edges(void)
{
	struct rl_ring r;
	int64_t wait;
	int g;

	/* the clock steps back: reservations stay in order */
	ring(&r, 2);
	rl_take(&r, times, 2, 1000, 10000, 0, &wait);
	g = rl_take(&r, times, 2, 1000, 9000, 5000, &wait);
	ok(g == 1 && wait == 1000, "after a step back, not before the last");
	/* a jump forward frees the window */
	g = rl_take(&r, times, 2, 1000, 50000, 0, &wait);
	ok(g == 1 && wait == 0, "after a jump forward, at once");
	/* the ring wraps many times */
	ring(&r, 3);
	{
		int64_t sent[150];
		int i;
		for (i = 0; i < 150; i++) {
			rl_take(
			    &r, times, 3, 1000, (int64_t)i * 7, 1 << 30, &wait);
			sent[i] = (int64_t)i * 7 + wait;
		}
		ok(within(sent, 150, 3, 1000), "wrapping: 3 per window");
		/* sends 0, 1, 2 at 0, 7, 14 ms, then each 1 s after the
		 * one 3 before it: the 150th (third of group 49) at
		 * 49 s + 14 ms */
		is_int(sent[149], 49014, "wrapping: the 150th at 49.014 s");
	}
	/* a limit lowered by a reload below the ring, and raised above it */
	ring(&r, 4);
	rl_take(&r, times, 2, 1000, 0, 0, &wait);
	rl_take(&r, times, 2, 1000, 0, 0, &wait);
	g = rl_take(&r, times, 2, 1000, 0, 0, &wait);
	ok(g == 0 && wait == 1000, "a lower limit holds in a larger ring");
	g = rl_take(&r, times, 9, 1000, 0, 0, &wait);
	g = rl_take(&r, times, 9, 1000, 0, 0, &wait);
	g = rl_take(&r, times, 9, 1000, 0, 0, &wait);
	ok(g == 0, "a limit above the ring holds at the ring's size");
	/* no limit (ring of 0): only the pause holds */
	ring(&r, 0);
	g = rl_take(&r, times, 0, 0, 100, 0, &wait);
	ok(g == 1 && wait == 0, "no limit: at once");
}

static void
pauses(void)
{
	struct rl_ring r;
	int64_t wait;
	int g;

	ring(&r, 5);
	rl_pause(&r, 3000);
	rl_pause(&r, 2000);
	is_int(r.pause_until, 3000, "a shorter pause does not shorten one");
	g = rl_take(&r, times, 5, 1000, 1000, 5000, &wait);
	ok(g == 1 && wait == 2000, "paused: the send waits for the end");
	g = rl_take(&r, times, 5, 1000, 1000, 1999, &wait);
	ok(g == 0 && wait == 2000, "paused past the deadline: refused");
	/* sends granted by Redis, recorded in the host's ring */
	ring(&r, 2);
	rl_record(&r, times, 100);
	rl_record(&r, times, 50);
	g = rl_take(&r, times, 2, 1000, 200, 5000, &wait);
	ok(g == 1 && wait == 900,
	    "recorded sends count; one out of order is kept at the last");
	is_int(rl_pause_ms(-1), 1000, "no Retry-After: 1 s");
	is_int(rl_pause_ms(3000), 3000, "Retry-After: 3 is 3 s");
	is_int(rl_pause_ms(86400000), 3600000, "at most 3600 s");
	is_int(rl_pause_ms(0), 1, "Retry-After: 0 still pauses 1 ms");
}

static void
syntax(void)
{
	static const char *const bad[] = { "0/s", "100001/s", "5/h", "5",
		"five/s", "-1/min", "1.5/s", "", "/s", "5/", "5/S", " 5/s",
		"5/s ", "+5/s", "1000000000000/s" };
	static const char *const bad_url[] = { "http://h:1", "redis://",
		"redis://h:0", "redis://h:99999", "redis://h:6379/x",
		"redis+unix://relative.sock", "redis://h:6379/-1", "redis://h",
		"redis://:6379", "redis://h:6379/", "redis://us:er@h:1",
		"redis+unix://" };
	struct rl_url u;
	size_t i;
	int n = 0, w = 0;

	ok(rl_parse_limit("60/min", &n, &w) == 0 && n == 60 && w == 60000,
	    "60/min");
	ok(rl_parse_limit("100000/s", &n, &w) == 0 && n == 100000 && w == 1000,
	    "100000/s");
	ok(rl_parse_limit("1/s", &n, &w) == 0 && n == 1, "1/s");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ok(rl_parse_limit(bad[i], &n, &w) < 0, "'%s' refused", bad[i]);
	ok(rl_parse_url("redis://127.0.0.1:6379", &u) == NULL &&
	        !u.unix_socket && strcmp(u.host, "127.0.0.1") == 0 &&
	        u.port == 6379 && u.db == 0,
	    "redis://127.0.0.1:6379");
	ok(rl_parse_url("redis://cache.internal:7000/3", &u) == NULL &&
	        u.port == 7000 && u.db == 3,
	    "a host name and a database");
	ok(rl_parse_url("redis+unix:///run/redis/redis.sock", &u) == NULL &&
	        u.unix_socket && strcmp(u.path, "/run/redis/redis.sock") == 0,
	    "a Unix socket");
	for (i = 0; i < sizeof(bad_url) / sizeof(bad_url[0]); i++)
		ok(rl_parse_url(bad_url[i], &u) != NULL, "'%s' refused",
		    bad_url[i]);
}

/* Four processes race for the slots of one host-wide limit. */
static void
processes(void)
{
	struct config *c = calloc(1, sizeof(*c));
	int fds[2], i, st;
	long total = 0, got;
	pid_t pid[4];

	strcpy(c->providers[0].name, "voicy");
	c->providers[0].rate_limit_n = 20000;
	c->providers[0].rate_limit_window_ms = 60000;
	c->nproviders = 1;
	ok(rl_init(c) == 0, "rl_init");
	ok(pipe(fds) == 0, "pipe");
	for (i = 0; i < 4; i++)
		if ((pid[i] = fork()) == 0) {
			int64_t wait;
			long n = 0;
			int k;
			for (k = 0; k < 10000; k++)
				if (rl_acquire(&c->providers[0], 0, 0, &wait) ==
				    CN_OK)
					n++;
			if (write(fds[1], &n, sizeof(n)) != sizeof(n))
				_exit(1);
			_exit(0);
		}
	for (i = 0; i < 4; i++) {
		waitpid(pid[i], &st, 0);
		if (read(fds[0], &got, sizeof(got)) == sizeof(got))
			total += got;
	}
	is_int(total, 20000,
	    "40000 tries from 4 processes: exactly 20000 granted");
	free(c);
}

int
main(void)
{
	windows();
	refusal();
	clock_edges();
	pauses();
	syntax();
	processes();
	return done_testing();
}
