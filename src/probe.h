/*
 * --check-config --probe: one small authenticated request per provider,
 * the first page of its list with a page size of 1, built by the
 * provider's own driver, so that a wrong key, a closed port or a slow
 * link shows before the first client does.
 */
#ifndef CN_PROBE_H
#define CN_PROBE_H

#include <stdio.h>

struct config;

/* An answer slower than this share of timeout_ms is reported slow. */
#define PROBE_SLOW_PERCENT 50

/* One line per provider on out; the number of providers that failed
 * (auth failed, unreachable, timed out, bad answer), or -1 when the
 * probe itself could not run (out of memory). */
int probe_providers(const struct config *, FILE *out);

#endif
