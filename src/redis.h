/*
 * The Redis client for shared_state: the only code that includes
 * hiredis.h.  One connection per thread (hiredis contexts are not
 * thread-safe), made on first use; connect and command timeouts 50 ms.
 * A failure closes the thread's connection and returns -1: the caller
 * (ratelimit_shm.c) decides that Redis is down.
 */
#ifndef CN_REDIS_H
#define CN_REDIS_H

#include <stddef.h>
#include <stdint.h>

struct rl_url;

/* Once, before threads start; the password is copied (NULL: none). */
int redis_configure(const struct rl_url *, const char *password);
/*
 * The limiter's atomic check-and-take on the server's clock: 0 and
 * *granted, *wait_ms; -1 when Redis did not answer.  epoch: a connection
 * made under another epoch is replaced first (the caller bumps it each
 * time Redis goes down, so no thread keeps a dead connection).
 */
int redis_take(unsigned epoch, const char *provider, int n, int window_ms,
    int64_t remaining_ms, int *granted, int64_t *wait_ms);
/* Pauses the provider for ms on every host: 0, or -1. */
int redis_pause(unsigned epoch, const char *provider, int64_t ms);
/* PING on this thread's connection: 0, or -1. */
int redis_alive(unsigned epoch);
/* PING on a fresh connection: 0, or -1 with why in errbuf. */
int redis_ping(char *errbuf, size_t n);
/* Closes this thread's connection. */
void redis_close(void);

#endif
