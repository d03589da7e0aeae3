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
struct http;

#define HTTP_MAX_BODY (32u * 1024 * 1024)
/* Response headers, all lines of one attempt: providers send a few KiB. */
#define HTTP_MAX_HEADERS (64u * 1024)
#define HTTP_MAX_ATTEMPTS 3

struct http_job {
	/* in */
	const struct upreq *req;
	int timeout_ms; /* per attempt */
	bool allow_http; /* plain http (loopback simulators) */
	int *budget; /* requests left for this provider; decremented */
	void *user;
	/* out */
	enum cn_err err; /* CN_OK: a response arrived (any status) */
	long status;
	struct buf body;
	int64_t retry_after_ms; /* from the last 429/503, or -1 */
	int attempts;
	int64_t elapsed_ms;
	long connects; /* new connections opened */
	char errmsg[160];
	/* private */
	void *easy;
	void *slist;
	int64_t due_ms; /* retry time when waiting */
	bool active;
	bool over_cap;
	bool over_header_cap;
	size_t header_bytes;
	int64_t started_ms;
	struct http_job *next_wait;
	struct http_job *next_run;
};

/* Sets libcurl up once per process, before any thread starts; -1 on failure. */
int http_global_init(void);
/* Undoes http_global_init at exit, once no thread uses libcurl. */
void http_global_cleanup(void);
struct http *http_new(void);
void http_free(struct http *);
int64_t http_now_ms(void); /* monotonic */
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

#endif
