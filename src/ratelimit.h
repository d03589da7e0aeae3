/*
 * Provider rate limits: at most N requests to a provider in any
 * half-open window [t, t + W).  The send times of the last N requests
 * are kept in order; a request may start at
 *   max(now, last reserved time, N-th most recent time + W, pause end)
 * and is refused at once when that lies beyond its deadline.
 *
 *   ratelimit.c      the arithmetic (no clock, no locks) and the syntax
 *                    of rate_limit and shared_state
 *   ratelimit_shm.c  the host-wide state: a shared mapping made before
 *                    workers fork, one ring per limited provider,
 *                    guarded by a robust process-shared mutex; it asks
 *                    Redis (redis.c) first when shared_state is set
 */
#ifndef CN_RATELIMIT_H
#define CN_RATELIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define RL_MAX_N 100000
/* A provider's 429 pauses it at most this long; 1 s without Retry-After. */
#define RL_PAUSE_MAX_MS 3600000
#define RL_PAUSE_DEFAULT_MS 1000
/* A slot is granted only if it leaves the request this much of its
 * deadline (or half its timeout_ms, if less) to be answered. */
#define RL_SEND_MARGIN_MS 500
/* Slots are spaced one window plus this apart, for the time between a
 * reserved send time and the request reaching the provider (which
 * counts on arrival). */
#define RL_SEND_GUARD_MS 50

struct config;
struct provider_conf;

/* One provider's ring of reserved send times (ms, any clock). */
struct rl_ring {
	int64_t last; /* the latest reserved time; 0: none */
	int64_t pause_until; /* no send before this */
	uint32_t cap; /* slots in times[] */
	uint32_t count; /* used, up to cap */
	uint32_t head; /* next slot written */
};

/*
 * Reserves a send time for a limit of n per window_ms (n is held to the
 * ring's capacity).  1: granted, the time recorded and *wait_ms its
 * distance from now (>= 0).  0: refused because the wait exceeds
 * remaining_ms; nothing recorded, *wait_ms the wait it would have been.
 */
int rl_take(struct rl_ring *, int64_t *times, uint32_t n, int64_t window_ms,
    int64_t now, int64_t remaining_ms, int64_t *wait_ms);
/* Records a send granted elsewhere (by Redis) at `at`, or at the last
 * reserved time if that is later, so the ring stays in order. */
void rl_record(struct rl_ring *, int64_t *times, int64_t at);
/* Extends the pause to until (never shortens it). */
void rl_pause(struct rl_ring *, int64_t until);
/* The pause a provider's 429 asks for: retry_after_ms (or -1 for none)
 * held to 1 ms .. RL_PAUSE_MAX_MS, RL_PAUSE_DEFAULT_MS without. */
int64_t rl_pause_ms(int64_t retry_after_ms);
/* Retry-After seconds for a wait: rounded up, at least 1. */
int64_t rl_retry_after_s(int64_t wait_ms);

/* "N/s" or "N/min", N from 1 to 100000: 0, or -1. */
int rl_parse_limit(const char *v, int *n, int *window_ms);

struct rl_url {
	bool unix_socket;
	char host[256];
	int port;
	int db;
	char path[108];
};
/* redis://HOST:PORT[/DB] or redis+unix:///abs/path.sock: NULL, or why
 * not. */
const char *rl_parse_url(const char *v, struct rl_url *);

/* ratelimit_shm.c.  Before workers fork; sized for the limits configured
 * now (see docs/design.md for reloads). */
int rl_init(const struct config *);
/*
 * Before each upstream request of provider pc (index: its position, for
 * the metrics).  CN_OK: send after *wait_ms (>= 0).
 * CN_PROVIDER_RATE_LIMITED: do not send; *wait_ms is the wait.
 */
enum cn_err rl_acquire(const struct provider_conf *pc, size_t index,
    int64_t remaining_ms, int64_t *wait_ms);
/* A provider answered 429: pause it host-wide and in Redis. */
void rl_provider_429(const struct provider_conf *pc, int64_t retry_after_ms);
/* 1 or 0 while shared_state is configured, -1 without. */
int rl_shared_state_up(void);

#endif
