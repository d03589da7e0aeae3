/*
 * Counters for /metrics.  They live in one shared anonymous mapping made
 * before workers fork, so every worker answers with the same totals.
 */
#ifndef CN_METRICS_H
#define CN_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct buf;
struct config;

enum route_id {
	R_CALLS,
	R_PROVIDERS,
	R_HEALTHZ,
	R_METRICS,
	R_CALL,
	R_OPENAPI,
	R_OTHER,
	R__MAX
};

int metrics_init(size_t nproviders);
void metrics_request_start(void);
/* Request threads started (+) or retired (-), and entering (+) or
 * leaving (-) accept: the callnorm_threads and _idle gauges. */
void metrics_threads(int threads, int waiting);
void metrics_request_end(enum route_id, int status);
void metrics_upstream(size_t provider, enum cn_err outcome, double seconds);
/* New upstream connections opened (the rest of the requests reused one). */
void metrics_upstream_connections(size_t provider, long n);
/* A request the rate limiter held back (refused: false) or refused. */
void metrics_rate_limit(size_t provider, bool refused);
/*
 * The text exposition: the process-wide series (requests by route and
 * status, requests in flight), and the per-provider series of the
 * providers in READABLE only (bit i: providers[i]), so that a caller never
 * learns the name of a provider it may not read.
 */
/* The per-provider series start again from zero: they are kept by
 * position, and a reload changed which provider is where. */
void metrics_forget_providers(void);
void metrics_write(struct buf *, const struct config *, uint64_t readable);

#endif
