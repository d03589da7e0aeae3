/*
 * The fan-out: the only part of /calls that does I/O.  It asks the merge
 * which streams hold it back, starts their fetches in parallel (prepare
 * -> http), takes each finished transfer (decode -> stream_take), counts
 * it for the metrics, and loops until the page is full, every stream is
 * drained, the budget or the deadline runs out, or a failure fails the
 * request.  Whatever still runs at the end is cancelled and drained.
 */
#include <string.h>

#include "arena.h"
#include "calls_int.h"
#include "conf.h"
#include "http.h"
#include "metrics.h"
#include "query.h"
#include "timefmt.h"

/* One stream's transfer in flight. */
struct slot {
	struct stream *s;
	struct http_job job;
	struct upreq req;
};

struct fanout {
	struct walk *r;
	struct http *http;
	struct slot *slots;
};

/* STEP_OK (started), STEP_SHORT (out of budget or time), STEP_FAILED
 * (the stream failed). */
static enum step
start_fetch(struct fanout *fo, struct slot *sl)
{
	struct walk *r = fo->r;
	struct stream *s = sl->s;
	enum cn_err e;

	if (stream_aim(r, s) == STEP_SHORT)
		return STEP_SHORT;
	/* Out of time (another provider used it up, say by hanging until
	 * its timeout_ms): this provider did not fail, it was not asked.
	 * The page ends short and the cursor resumes here. */
	if (r->now() >= r->deadline)
		return STEP_SHORT;
	memset(&sl->req, 0, sizeof(sl->req));
	e = s->d->prepare(&s->f, r->a, &sl->req);
	if (e != CN_OK) {
		stream_fail(s, e, 0, "could not build the upstream request");
		return STEP_FAILED;
	}
	memset(&sl->job, 0, sizeof(sl->job));
	sl->job.req = &sl->req;
	sl->job.timeout_ms = s->pc->timeout_ms;
	sl->job.allow_http = strncmp(s->pc->base_url, "http://", 7) == 0;
	sl->job.budget = &s->budget;
	sl->job.user = sl;
	sl->job.limit = s->pc;
	sl->job.limit_index = s->cfg;
	http_start(fo->http, &sl->job, r->deadline);
	s->in_flight = true;
	return STEP_OK;
}

static void
release_job(void *p)
{
	http_job_release(p);
}

/* A 2xx status is not what failed (the body or the clock did), and
 * whether curl saw it before the deadline is a race. */
static long
failed_status(long status)
{
	return status >= 200 && status < 300 ? 0 : status;
}

/* Decodes a finished transfer into pg.  STEP_OK, STEP_FAILED (the
 * stream failed) or STEP_INTERNAL. */
static enum step
decode(struct walk *r, struct stream *s, struct http_job *j, struct uppage *pg)
{
	struct upresp resp;
	char err[200];
	enum cn_err e;

	resp.status = j->status;
	resp.len = j->body.len;
	if (j->body.data == NULL) {
		resp.body = arena_strdup(r->a, "");
		if (resp.body == NULL)
			return STEP_INTERNAL;
	} else {
		buf_cstr(&j->body); /* terminates it */
		resp.body = j->body.data;
	}
	memset(pg, 0, sizeof(*pg));
	pg->last_page = -1;
	err[0] = '\0';
	e = s->d->decode(&s->f, &resp, r->a, pg, err, sizeof(err));
	/* The parsed tree holds copies of what the records need: the body
	 * (up to 32 MiB) goes now, not when the request ends. */
	buf_free(&j->body);
	if (e == CN_INTERNAL || (e != CN_OK && arena_failed(r->a)))
		return STEP_INTERNAL;
	/* What the provider said (a 429 and its Retry-After, a 401) comes
	 * before how long it took us to read it. */
	if (e != CN_OK) {
		stream_fail(s, e, failed_status(resp.status), err);
		if (e == CN_PROVIDER_RATE_LIMITED)
			s->retry_after_ms = j->retry_after_ms;
		return STEP_FAILED;
	}
	if (r->now() >= r->deadline) {
		stream_fail(s, CN_PROVIDER_TIMEOUT, 0,
		    "deadline exceeded while decoding and filtering the "
		    "answer");
		return STEP_FAILED;
	}
	return STEP_OK;
}

/* Takes one finished job: decode, then the stream takes the page.
 * STEP_OK (the stream may have failed) or STEP_INTERNAL. */
static enum step
take_result_inner(struct walk *r, struct slot *sl)
{
	struct stream *s = sl->s;
	struct http_job *j;
	struct uppage pg;
	enum step st;

	s->in_flight = false;
	s->fetches++;
	s->requests += sl->job.attempts;
	s->upstream_ms += sl->job.elapsed_ms;
	s->fetched_any = true;
	/* The finished transfer moves to a copy of the job, released at
	 * the latest when the request ends, because the stream reuses its
	 * slot for the next fetch. */
	j = arena_alloc(r->a, sizeof(*j));
	if (j == NULL || arena_cleanup(r->a, release_job, j) < 0) {
		http_job_release(&sl->job);
		return STEP_INTERNAL;
	}
	http_job_move(j, &sl->job);
	/* Out of memory (ours, or inside libcurl) is a 500, whatever the
	 * provider did. */
	if (j->err == CN_INTERNAL)
		return STEP_INTERNAL;
	if (j->err != CN_OK) {
		s->retry_after_ms = j->retry_after_ms;
		stream_fail(s, j->err, failed_status(j->status), j->errmsg);
		return STEP_OK;
	}
	st = decode(r, s, j, &pg);
	if (st != STEP_OK)
		return st == STEP_INTERNAL ? STEP_INTERNAL : STEP_OK;
	return stream_take(r, s, &pg);
}

/* The outcome counted for metrics is the one the client sees: a 401 is
 * PROVIDER_AUTH_FAILED even though the transfer itself succeeded. */
static enum step
take_result(struct walk *r, struct slot *sl)
{
	struct stream *s = sl->s;
	bool failed_before = s->failed;
	enum step st = take_result_inner(r, sl);

	metrics_upstream(s->cfg, !failed_before && s->failed ? s->err : CN_OK,
	    (double)sl->job.elapsed_ms / 1000.0);
	metrics_upstream_connections(s->cfg, sl->job.connects);
	return st;
}

/* Takes every finished transfer until none runs. */
static enum step
take_all(struct fanout *fo)
{
	struct http_job *j;

	while ((j = http_wait(fo->http, fo->r->deadline)) != NULL)
		if (take_result(fo->r, j->user) == STEP_INTERNAL)
			return STEP_INTERNAL;
	return STEP_OK;
}

/* Under partial=deny one failed provider fails the request. */
static bool
must_fail(const struct walk *r)
{
	size_t i;

	for (i = 0; i < r->ns; i++)
		if (r->s[i].failed && !r->q->partial_allow)
			return true;
	return false;
}

/* Fills r->out: STEP_OK, STEP_FAILED or STEP_INTERNAL. */
static enum step
run(struct fanout *fo)
{
	struct walk *r = fo->r;
	uint64_t need;
	size_t i, idle = 0;
	int started;
	bool short_page;
	enum step st;

	for (;;) {
		if (merge_step(r, &need) != MERGE_NEED)
			return STEP_OK;
		/* Fetch every stream that holds the merge back. */
		started = 0;
		short_page = false;
		for (i = 0; i < r->ns; i++) {
			if (!(need & (UINT64_C(1) << i)))
				continue;
			st = start_fetch(fo, &fo->slots[i]);
			if (st == STEP_SHORT)
				short_page = true;
			else if (st == STEP_OK)
				started++;
		}
		if (short_page) {
			/* Out of budget or time: drain what is running, then
			 * stop.  What drained may fail a stream (partial=deny
			 * fails the request) or free what it held back. */
			if (take_all(fo) == STEP_INTERNAL)
				return STEP_INTERNAL;
			if (must_fail(r))
				return STEP_FAILED;
			(void)merge_step(r, &need);
			return STEP_OK;
		}
		if (started == 0) {
			/* Only failures stop a fetch from starting; a failed
			 * stream no longer holds the merge back. */
			if (must_fail(r))
				return STEP_FAILED;
			if (++idle > 2 * r->ns + 2)
				return STEP_OK;
			continue;
		}
		if (take_all(fo) == STEP_INTERNAL)
			return STEP_INTERNAL;
		if (must_fail(r))
			return STEP_FAILED;
	}
}

static int64_t
mono_ms(void)
{
	return time_mono_ms();
}

enum step
fanout_run(struct walk *r, struct http *h, int timeout_ms)
{
	struct fanout fo = { r, h, NULL };
	struct http_job *j;
	enum step st = STEP_INTERNAL;
	size_t i;

	r->now = mono_ms;
	r->deadline = mono_ms() + timeout_ms;
	fo.slots = arena_calloc(r->a, r->ns ? r->ns : 1, sizeof(*fo.slots));
	if (fo.slots != NULL) {
		for (i = 0; i < r->ns; i++)
			fo.slots[i].s = &r->s[i];
		st = run(&fo);
	}
	/* Whatever still runs after an early failure is abandoned. */
	http_cancel_all(h);
	while ((j = http_wait(h, r->deadline)) != NULL)
		http_job_release(j);
	return st;
}
