/*
 * Upstream HTTP: the only code that includes curl.h.  One http context
 * per worker thread keeps a curl multi handle (and so its connection
 * cache) for the thread's lifetime.  Jobs run concurrently; retries with
 * backoff happen here, inside the caller's deadline and request budget.
 */
#ifndef CN_HTTP_H
#define CN_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"

struct upreq;
struct provider_conf;
struct http;

#define HTTP_MAX_BODY (32u * 1024 * 1024)
/* Response headers, all lines of one attempt: providers send a few KiB. */
#define HTTP_MAX_HEADERS (64u * 1024)
#define HTTP_MAX_ATTEMPTS 3

/* A job's transfer state: only http.c reads or writes it. */
struct http_job_private {
	void *easy;
	void *slist;
	int64_t due_ms; /* retry time when waiting */
	bool reserved; /* the rate limiter gave this attempt a slot */
	bool active;
	bool over_cap;
	bool over_header_cap;
	size_t header_bytes;
	int64_t started_ms;
	struct http_job *next_wait;
	struct http_job *next_run;
};

struct http_job {
	/* in */
	const struct upreq *req;
	int timeout_ms; /* per attempt */
	bool allow_http; /* plain http (loopback simulators) */
	int *budget; /* requests left for this provider; decremented */
	void *user;
	/* the provider whose rate_limit and pauses apply (NULL: none),
	 * and its position (for the metrics) */
	const struct provider_conf *limit;
	size_t limit_index;
	/* out */
	enum cn_err err; /* CN_OK: a response arrived (any status) */
	long status;
	struct buf body;
	int64_t retry_after_ms; /* from the last 429/503, or -1 */
	int attempts;
	int64_t elapsed_ms;
	long connects; /* new connections opened */
	char errmsg[160];
	/* http.c's own; set by http_start, cleared by http_job_release */
	struct http_job_private priv;
};

struct http *http_new(void);
void http_free(struct http *);
/* Starts job now; CN_INTERNAL if curl cannot take it. */
enum cn_err http_start(struct http *, struct http_job *, int64_t deadline);
/*
 * Waits until a job finishes (including its retries) and returns it, or
 * returns NULL when nothing is running.  Jobs still running at the
 * deadline finish with CN_PROVIDER_TIMEOUT.
 */
struct http_job *http_wait(struct http *, int64_t deadline);
/* Abandons every running job (their results are discarded). */
void http_cancel_all(struct http *);
/* Releases a finished job's buffers. */
void http_job_release(struct http_job *);
/*
 * Moves a finished job into dst (its results, body and handles): src
 * can start another transfer while dst is released later.  src keeps
 * copies of its results but owns nothing.
 */
void http_job_move(struct http_job *dst, struct http_job *src);

/* libcurl's process-wide setup and teardown, before any thread starts
 * and after they all ended. */
int http_global_init(void);
void http_global_cleanup(void);

#endif
