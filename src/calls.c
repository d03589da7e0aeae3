/*
 * GET /calls: the stages strung together (see calls_int.h).  Parse the
 * query, plan the streams, open the cursor, fan out and merge, then
 * seal the next cursor and write the page, or the problem.
 *
 * Every requested provider is a stream of records in the requested
 * order; the merge emits the smallest head whenever no stream could
 * still produce something smaller.  The next cursor carries the global
 * watermark (the last record emitted) and each provider's position.
 */
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "arena.h"
#include "calls.h"
#include "calls_int.h"
#include "conf.h"
#include "cursor.h"
#include "log.h"
#include "page.h"
#include "query.h"
#include "timefmt.h"

struct run {
	struct worker *w;
	struct request *rq;
	const struct config *conf;
	struct query q;
	struct walk walk;
	struct cursor cur; /* as it came; empty on a first page */
	unsigned char qhash[16];
	int64_t now_s;
};

static void
summarize(struct run *r)
{
	size_t i, n = 0;
	char *p = r->rq->upstream_summary;
	size_t cap = sizeof(r->rq->upstream_summary);

	for (i = 0; i < r->walk.ns && n + 1 < cap; i++) {
		const struct stream *s = &r->walk.s[i];
		const struct stream *two = stream_second(&r->walk, s);
		int k;
		if (s->walk != 0)
			continue; /* counted with its provider's first walk */
		k = snprintf(p + n, cap - n, "%s%s:%d", i ? "," : "",
		    s->pc->name, s->requests + (two ? two->requests : 0));
		if (k < 0 || (size_t)k >= cap - n)
			break;
		n += (size_t)k;
	}
}

/* Parses the query and plans the streams.  STEP_OK, STEP_FAILED (the
 * problem is answered) or STEP_INTERNAL. */
static enum step
parse_and_plan(struct run *r, struct response *rs)
{
	const char *qs = r->rq->query_string ? r->rq->query_string : "";
	struct qerrors qe;
	struct problem pb;
	const char *canon;
	enum step st;
	int rc;

	rc = query_parse(r->walk.a, qs, strlen(qs), &r->q, &qe);
	if (rc == -1) {
		problem_respond(r->rq, rs, CN_INVALID_ARGUMENT,
		    qe.detail ? qe.detail : "some parameters are not valid",
		    &qe);
		return STEP_FAILED;
	}
	if (rc < 0)
		return STEP_INTERNAL;
	st = plan_streams(&r->walk, r->conf, r->rq->remote_user, &pb);
	if (st == STEP_FAILED)
		problem_respond(r->rq, rs, pb.code, pb.detail, NULL);
	if (st != STEP_OK)
		return st;
	canon = query_canonical(r->walk.a, &r->q);
	if (canon == NULL)
		return STEP_INTERNAL;
	cursor_query_hash(canon, r->qhash);
	return STEP_OK;
}

/*
 * Why a cursor did not open, in words a client can act on.  The cursor
 * binds a hash of the whole query, not each parameter, so a mismatch
 * names the parameters that are bound rather than the one that differs.
 */
static const char *
cursor_problem(enum cn_err e, const char *text)
{
	const char *form;

	switch (e) {
	case CN_CURSOR_EXPIRED:
		return "the cursor is older than cursor_ttl: start again "
		       "from the first page";
	case CN_CURSOR_QUERY_MISMATCH:
		return "the cursor was issued for other parameters: send "
		       "provider, status, direction, type, agent_id, "
		       "started_after, started_before, min_duration_ms, "
		       "max_duration_ms, phone, q, include_test, order, "
		       "include and partial exactly as on the page it came "
		       "from (only limit may change)";
	default:
		form = cursor_form_problem(text);
		return form != NULL
		    ? form
		    : "the cursor does not open: it was altered, issued to "
		      "another caller, or sealed under another cursor_key";
	}
}

/* Opens the incoming cursor into r->cur and the walk's watermark and
 * horizon.  STEP_OK, or STEP_FAILED with the problem answered. */
static enum step
open_cursor(struct run *r, struct response *rs)
{
	struct walk *wk = &r->walk;
	struct cursor *cur = &r->cur;
	enum cn_err e;

	if (r->q.cursor == NULL) {
		/* The walk covers calls started before the current second:
		 * providers that keep whole seconds would otherwise date a
		 * call arriving a moment later inside the walk. */
		wk->horizon = time_now_ms() / 1000 * 1000 - 1;
		return STEP_OK;
	}
	e = cursor_open(wk->a, r->conf->cursor_key, r->conf->cursor_key_len,
	    r->rq->remote_user, r->q.cursor, r->qhash, r->now_s,
	    r->conf->cursor_ttl, cur);
	if (e != CN_OK) {
		problem_respond(
		    r->rq, rs, e, cursor_problem(e, r->q.cursor), NULL);
		return STEP_FAILED;
	}
	wk->horizon = cur->horizon;
	wk->has_wm = cur->has_wm;
	wk->wm.has_time = cur->wm_has_time;
	wk->wm.time = cur->wm_time;
	wk->wm.id = cur->wm_id;
	wk->wm.provider =
	    cur->wm_provider < wk->ns ? wk->s[cur->wm_provider].pc->name : "";
	if (wk->has_wm && cur->wm_provider >= wk->ns) {
		problem_respond(r->rq, rs, CN_INVALID_CURSOR,
		    "the cursor does not match the providers", NULL);
		return STEP_FAILED;
	}
	return STEP_OK;
}

static void
init_streams(struct run *r)
{
	const struct cursor_pos *cp;
	size_t i, k;

	for (i = 0; i < r->walk.ns; i++) {
		cp = NULL;
		for (k = 0; k < r->cur.npos; k++)
			if (r->cur.pos[k].index == i)
				cp = &r->cur.pos[k];
		stream_init(&r->walk, &r->walk.s[i],
		    r->conf->max_upstream_requests, cp);
	}
}

/* The sealed next cursor in *token.  STEP_OK, STEP_FAILED (a provider
 * failed after all: answer page_fail) or STEP_INTERNAL. */
static enum step
seal_next(struct run *r, char **token)
{
	struct cursor next;

	walk_resume(&r->walk, &r->cur, &next);
	next.issued_at = r->now_s;
	memcpy(next.query_hash, r->qhash, 16);
	if (r->walk.nout == 0 && walk_stalled(&r->walk, &r->cur, &next))
		return STEP_FAILED;
	if (cursor_size(&next) == 0) {
		walk_cursor_too_long(&r->walk, &next);
		return STEP_FAILED;
	}
	*token = cursor_seal(r->walk.a, r->conf->cursor_key,
	    r->conf->cursor_key_len, r->rq->remote_user, &next);
	return *token != NULL ? STEP_OK : STEP_INTERNAL;
}

/* After the fan-out: the page, or the problem.  STEP_OK (answered) or
 * STEP_INTERNAL. */
static enum step
answer(struct run *r, struct response *rs, enum step st)
{
	struct walk *wk = &r->walk;
	char *token = NULL;
	bool has_more = false, any_ok = false;
	size_t i;

	for (i = 0; i < wk->ns; i++)
		if (!wk->s[i].failed)
			any_ok = true;
	if (st == STEP_FAILED || (!any_ok && wk->ns > 0)) {
		page_fail(rs, r->rq, wk);
		return STEP_OK;
	}
	for (i = 0; i < wk->ns; i++) {
		const struct stream *s = &wk->s[i];
		if (s->failed || s->head < s->nitems || !s->exhausted)
			has_more = true;
	}
	if (has_more) {
		st = seal_next(r, &token);
		if (st == STEP_FAILED)
			page_fail(rs, r->rq, wk);
		if (st != STEP_OK)
			return st == STEP_FAILED ? STEP_OK : st;
	}
	page_write(rs, r->rq, wk, token, has_more);
	return STEP_OK;
}

static enum step
serve(struct run *r, struct response *rs)
{
	enum step st;

	st = parse_and_plan(r, rs);
	if (st == STEP_OK)
		st = open_cursor(r, rs);
	if (st != STEP_OK)
		return st == STEP_FAILED ? STEP_OK : st;
	init_streams(r);
	r->walk.out =
	    arena_calloc(r->walk.a, (size_t)r->q.limit, sizeof(*r->walk.out));
	if (r->walk.out == NULL)
		return STEP_INTERNAL;
	st = fanout_run(&r->walk, r->w->http, r->conf->request_timeout_ms);
	summarize(r);
	if (st == STEP_INTERNAL)
		return st;
	return answer(r, rs, st);
}

void
handle_calls(struct worker *w, struct request *rq, struct response *rs)
{
	struct run r;

	memset(&r, 0, sizeof(r));
	r.w = w;
	r.rq = rq;
	r.conf = w->app->conf;
	r.walk.a = w->arena;
	r.walk.q = &r.q;
	r.now_s = time_now_ms() / 1000;
	if (serve(&r, rs) == STEP_OK)
		return;
	log_warnx("request %s: out of memory building /calls", rq->request_id);
	problem_respond(
	    rq, rs, CN_INTERNAL, "the request could not be served", NULL);
}
