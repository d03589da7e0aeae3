/*
 * Per-request arena: every allocation made while answering one request
 * lives until arena_reset(), so request code never frees and never leaks.
 * The cap turns a runaway upstream into an error instead of an OOM kill.
 */
#ifndef CN_ARENA_H
#define CN_ARENA_H

#include <stddef.h>

struct arena;

struct arena *arena_new(size_t chunk, size_t cap);
void *arena_alloc(struct arena *, size_t);
void *arena_calloc(struct arena *, size_t, size_t);
char *arena_strndup(struct arena *, const char *, size_t);
char *arena_strdup(struct arena *, const char *);
char *arena_printf(struct arena *, const char *, ...)
    __attribute__((format(printf, 2, 3)));
/* Runs fn(arg) at the next reset, last registered first. */
int arena_cleanup(struct arena *, void (*fn)(void *), void *arg);
size_t arena_used(const struct arena *);
/* Nonzero when an allocation failed (cap or out of memory) since the
 * last reset: callers that turned NULL into another error can tell. */
int arena_failed(const struct arena *);
void arena_reset(struct arena *);
void arena_free(struct arena *);

/*
 * Fault injection for tests: when set to N > 0, the Nth allocation
 * from now (arena or buf) fails.  Zero disables it.  Thread-local so a
 * test drives one request without disturbing other threads.
 */
void cn_alloc_fail_after(long n);
int cn_alloc_should_fail(void);
/* Allocations left before the armed failure; 0 once it happened (or
 * when nothing is armed). */
long cn_alloc_fail_pending(void);

#endif
