/*
 * GET /calls/{id}: the route, and the only part of it that does I/O.
 * The id, the query and access are checked first (detail_id.c), then
 * every endpoint of the kind is fetched at once (prepare -> http), the
 * answers are decoded together, and the detail or the problem written.
 * Recording URLs and transcripts are bearer secrets and private words:
 * nothing here logs them (the log line names the route, not the path).
 */
#include "detail.h"

#include <stdio.h>
#include <string.h>

#include "app.h"
#include "arena.h"
#include "calls_int.h"
#include "conf.h"
#include "http.h"
#include "log.h"
#include "metrics.h"
#include "page.h"
#include "query.h"
#include "request.h"
#include "response.h"
#include "timefmt.h"

#define ROUTE_PREFIX "/calls/"

struct part {
	struct upreq req;
	struct http_job job;
	bool started;
};

struct run {
	struct worker *w;
	struct request *rq;
	struct response *rs;
	const struct config *conf;
	const struct provider_conf *pc;
	size_t cfg;
	const struct detail_driver *dd;
	struct part parts[DETAIL_MAX_PARTS];
	int requests;
	int64_t upstream_ms;
};

static void
provider_member(struct buf *b, void *ctx)
{
	const struct provider_conf *pc = ctx;

	buf_adds(b, ",\"provider\":");
	buf_json_cstr(b, pc->name);
}

/*
 * A provider's failure, answered exactly as /calls answers one (4.6's
 * shape: provider, provider_status, providers[], Retry-After): the
 * problem writer takes a walk, so the detail stands as a walk of one.
 */
static void
fail(struct run *r, enum cn_err e, long status, int64_t retry_after_ms,
    const char *msg)
{
	struct stream s;
	struct walk wk;

	memset(&s, 0, sizeof(s));
	memset(&wk, 0, sizeof(wk));
	s.pc = r->pc;
	s.d = r->pc->driver;
	s.failed = true;
	s.err = e;
	s.err_status = status >= 200 && status < 300 ? 0 : status;
	s.retry_after_ms = retry_after_ms;
	snprintf(s.errmsg, sizeof(s.errmsg), "%s", msg);
	wk.s = &s;
	wk.ns = 1;
	wk.a = r->rq->arena;
	page_fail(r->rs, r->rq, &wk);
}

/* The id, the query and access; false when the problem is answered. */
static bool
admit(struct run *r, const char **native, bool *raw)
{
	struct request *rq = r->rq;
	const char *provider, *why, *param;
	const char *path = rq->path_info + strlen(ROUTE_PREFIX);
	struct qerror qerr;
	struct qerrors qe;
	uint64_t mask;
	int rc;

	rc = detail_parse_id(rq->arena, path, &provider, native, &why);
	if (rc == -2) {
		problem_respond(r->rq, r->rs, CN_INTERNAL,
		    "the request could not be served", NULL);
		return false;
	}
	if (rc < 0) {
		qerr.parameter = "id";
		qerr.detail = why;
		qe.v = &qerr;
		qe.n = 1;
		qe.detail = NULL;
		problem_respond(rq, r->rs, CN_INVALID_ARGUMENT, why, &qe);
		return false;
	}
	if (detail_parse_query(rq->arena,
	        rq->query_string ? rq->query_string : "", raw, &param) < 0) {
		qerr.parameter = param;
		qerr.detail = "the only parameter is include=raw";
		qe.v = &qerr;
		qe.n = 1;
		qe.detail = NULL;
		problem_respond(rq, r->rs, CN_INVALID_ARGUMENT,
		    "the only parameter is include=raw", &qe);
		return false;
	}
	/* access exactly as for lists: no REMOTE_USER under [access] is
	 * refused, a provider the caller may not read does not exist */
	if (conf_access(r->conf, rq->remote_user, &mask) < 0) {
		problem_respond(rq, r->rs, CN_ACCESS_DENIED,
		    "this server requires an authenticated user", NULL);
		return false;
	}
	r->pc = conf_provider(r->conf, provider, &r->cfg);
	if (r->pc == NULL || !(mask & (UINT64_C(1) << r->cfg))) {
		problem_respond(rq, r->rs, CN_UNKNOWN_PROVIDER,
		    arena_printf(rq->arena,
		        "provider '%s' is not configured or not readable",
		        provider),
		    NULL);
		return false;
	}
	r->dd = r->pc->driver->detail;
	if (r->dd == NULL) {
		problem_respond_with(rq, r->rs, CN_DETAIL_UNSUPPORTED,
		    arena_printf(rq->arena,
		        "provider '%s' (%s) has no way to fetch one call",
		        r->pc->name, r->pc->driver->kind),
		    NULL, provider_member, (void *)r->pc);
		return false;
	}
	return true;
}

/*
 * Every part at once, each with the provider's timeout per attempt, all
 * within the request's deadline.  The budget is max_upstream_requests,
 * but never less than one request per part.  false when a part could
 * not be prepared (memory: the problem is answered).
 */
static bool
fetch_all(struct run *r, const struct detail_req *dq)
{
	struct http *h = r->w->http;
	int64_t deadline = time_mono_ms() + r->conf->request_timeout_ms;
	int budget = r->conf->max_upstream_requests;
	struct http_job *j;
	size_t i;

	if (budget < (int)r->dd->nparts)
		budget = (int)r->dd->nparts;
	for (i = 0; i < r->dd->nparts; i++) {
		struct part *pt = &r->parts[i];
		if (r->dd->prepare(dq, i, r->rq->arena, &pt->req) != CN_OK) {
			http_cancel_all(h);
			while ((j = http_wait(h, deadline)) != NULL)
				;
			return false;
		}
		pt->job.req = &pt->req;
		pt->job.timeout_ms = r->pc->timeout_ms;
		pt->job.allow_http =
		    strncmp(r->pc->base_url, "http://", 7) == 0;
		pt->job.budget = &budget;
		pt->job.user = pt;
		pt->job.limit = r->pc;
		pt->job.limit_index = r->cfg;
		http_start(h, &pt->job, deadline);
		pt->started = true;
	}
	while ((j = http_wait(h, deadline)) != NULL) {
		r->requests += j->attempts;
		if (j->elapsed_ms > r->upstream_ms)
			r->upstream_ms = j->elapsed_ms;
		metrics_upstream_connections(r->cfg, j->connects);
	}
	return true;
}

static void
release_all(struct run *r)
{
	size_t i;

	for (i = 0; i < DETAIL_MAX_PARTS; i++)
		if (r->parts[i].started)
			http_job_release(&r->parts[i].job);
}

static void
write_detail(struct run *r, const struct detail *d, bool raw)
{
	struct buf *b = &r->rs->body;

	response_json(r->rs, 200);
	buf_adds(b, "{\"data\":");
	page_write_call(b, &d->call, false);
	/* the record's closing brace gives way to the detail's members */
	if (!b->failed && b->len > 0 && b->data[b->len - 1] == '}')
		b->len--;
	detail_write(b, d, r->dd, raw);
	buf_adds(b, "},\"meta\":{\"request_id\":");
	buf_json_cstr(b, r->rq->request_id);
	buf_adds(b, ",\"providers\":[{\"name\":");
	buf_json_cstr(b, r->pc->name);
	buf_adds(b, ",\"kind\":");
	buf_json_cstr(b, r->pc->driver->kind);
	buf_printf(b,
	    ",\"state\":\"ok\",\"upstream_requests\":%d,\"upstream_ms\":%lld,"
	    "\"filters_pushed_down\":[],\"filters_local\":[],\"error\":null}]}"
	    "}",
	    r->requests, (long long)r->upstream_ms);
}

/* Counts every part for the metrics, once: the failed one as e, the
 * others (all of them when e is CN_OK) as answered. */
static void
count_parts(const struct run *r, size_t failed, enum cn_err e)
{
	size_t i;

	for (i = 0; i < r->dd->nparts; i++)
		metrics_upstream(r->cfg, i == failed ? e : CN_OK,
		    (double)r->parts[i].job.elapsed_ms / 1000.0);
}

/* Decodes the finished parts and answers. */
static void
answer(struct run *r, const struct detail_req *dq, bool raw)
{
	struct upresp resp[DETAIL_MAX_PARTS];
	struct detail d;
	char err[200];
	enum cn_err e;
	size_t i;

	/* a part that got no answer (connection, deadline, budget) fails
	 * the request: there is no partial detail */
	for (i = 0; i < r->dd->nparts; i++) {
		struct http_job *j = &r->parts[i].job;
		if (j->err == CN_INTERNAL) {
			problem_respond(r->rq, r->rs, CN_INTERNAL,
			    "the request could not be served", NULL);
			return;
		}
		if (j->err != CN_OK) {
			count_parts(r, i, j->err);
			fail(
			    r, j->err, j->status, j->retry_after_ms, j->errmsg);
			return;
		}
		resp[i].status = j->status;
		resp[i].body = (char *)buf_cstr(&j->body);
		resp[i].len = j->body.len;
		if (resp[i].body == NULL) {
			resp[i].body = "";
			resp[i].len = 0;
		}
	}
	memset(&d, 0, sizeof(d));
	err[0] = '\0';
	e = r->dd->decode(dq, resp, r->rq->arena, &d, err, sizeof(err));
	count_parts(r, d.err_part,
	    e == CN_OK || e == CN_CALL_NOT_FOUND || e == CN_INTERNAL ? CN_OK
	                                                             : e);
	if (e == CN_INTERNAL || (e != CN_OK && arena_failed(r->rq->arena))) {
		problem_respond(r->rq, r->rs, CN_INTERNAL,
		    "the request could not be served", NULL);
		return;
	}
	if (e == CN_CALL_NOT_FOUND) {
		problem_respond_with(r->rq, r->rs, CN_CALL_NOT_FOUND,
		    arena_printf(r->rq->arena, "provider %s has no call '%s'",
		        r->pc->name, dq->native_id),
		    NULL, provider_member, (void *)r->pc);
		return;
	}
	if (e != CN_OK) {
		struct http_job *j = &r->parts[d.err_part].job;
		fail(r, e, j->status,
		    e == CN_PROVIDER_RATE_LIMITED ? j->retry_after_ms : -1,
		    err);
		return;
	}
	write_detail(r, &d, raw);
}

void
handle_call(struct worker *w, struct request *rq, struct response *rs)
{
	struct detail_req dq;
	struct run r;
	bool raw = false;

	memset(&r, 0, sizeof(r));
	r.w = w;
	r.rq = rq;
	r.rs = rs;
	r.conf = w->app->conf;
	memset(&dq, 0, sizeof(dq));
	if (!admit(&r, &dq.native_id, &raw))
		return;
	dq.pc = r.pc;
	if (!fetch_all(&r, &dq)) {
		release_all(&r);
		problem_respond(rq, rs, CN_INTERNAL,
		    "the request could not be served", NULL);
		return;
	}
	dq.now_ms = time_now_ms();
	snprintf(rq->upstream_summary, sizeof(rq->upstream_summary), "%s:%d",
	    r.pc->name, r.requests);
	answer(&r, &dq, raw);
	release_all(&r);
}
