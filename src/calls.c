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

static bool
same_pos(const struct cursor_pos *a, const struct cursor_pos *b)
{
	return a->state == b->state && a->offset == b->offset &&
	    a->per_page == b->per_page &&
	    (a->token == NULL
	            ? b->token == NULL
	            : b->token != NULL && strcmp(a->token, b->token) == 0);
}

/*
 * An empty page whose cursor would be the one it came with: the client
 * would follow it forever.  That happens when more calls of one provider
 * share a start time than the budget can read (ties go out in id order,
 * so the whole group must be seen first).  The stream then asks for
 * pages twice as large next time; at the provider's largest page it is
 * PROVIDER_PAGINATION_STUCK, which says what to raise.  Returns true
 * when the request must fail.
 */
static bool
stalled(struct walk *r, const struct cursor *cur, struct cursor *next)
{
	struct cursor_pos *np;
	struct stream *s;
	size_t i, k;
	bool grew = false;
	int size, max;

	if (r->q->cursor == NULL)
		return false; /* a first page: let a cursor show the stall */
	for (i = 0; i < next->npos; i++) {
		const struct cursor_pos *cp = NULL;
		np = &next->pos[i];
		for (k = 0; k < cur->npos; k++)
			if (cur->pos[k].index == np->index)
				cp = &cur->pos[k];
		s = &r->s[np->index];
		/* a failed provider retries later: that is not a stall */
		if (cp == NULL || s->failed || !same_pos(cp, np))
			return false;
	}
	for (i = 0; i < next->npos; i++) {
		np = &next->pos[i];
		s = &r->s[np->index];
		if (s->exhausted || s->budget > 0)
			continue;
		max = s->d->max_page_size;
		size = s->page_style ? s->per_page : s->last_size;
		if (size >= max)
			continue;
		np->per_page = size > max / 2 ? max : 2 * size;
		grew = true;
	}
	if (grew)
		return false;
	for (i = 0, k = 0; i < r->ns; i++) {
		s = &r->s[i];
		/*
		 * Retries, or a backward walk re-aiming at a list that grew,
		 * can eat the budget: only two pages read in full prove a tie
		 * longer than they are.  Otherwise the page stays empty and
		 * the next one tries again.
		 */
		if (s->exhausted || s->budget > 0 || s->looked < 2)
			continue;
		stream_fail(s, CN_PROVIDER_PAGINATION_STUCK, 0,
		    "more calls share one start time than "
		    "max_upstream_requests pages of the largest size hold; "
		    "raise max_upstream_requests");
		k++;
	}
	return k > 0;
}

/*
 * The positions of every provider must fit in the cursor (under 2 KB
 * sealed).  Tokens up to CURSOR_MAX_TOKEN are accepted from each, but
 * several providers with long tokens may not fit together: the one with
 * the longest position is named (502), rather than a cursor that drops
 * one or a 500.
 */
static void
cursor_too_long(struct walk *r, const struct cursor *next)
{
	const struct cursor_pos *worst = NULL;
	size_t i, n, most = 0;
	char msg[200];

	for (i = 0; i < next->npos; i++) {
		const struct cursor_pos *p = &next->pos[i];
		n = (p->token ? strlen(p->token) : 0) +
		    (p->own_wm_id ? strlen(p->own_wm_id) : 0);
		if (worst == NULL || n > most) {
			worst = p;
			most = n;
		}
	}
	if (worst == NULL)
		return;
	snprintf(msg, sizeof(msg),
	    "its page token (%zu bytes) and the positions of the other "
	    "providers do not fit in one cursor; ask for fewer providers",
	    worst->token ? strlen(worst->token) : (size_t)0);
	stream_fail(&r->s[worst->index], CN_PROVIDER_BAD_RESPONSE, 0, msg);
}

static void
summarize(struct run *r)
{
	size_t i, n = 0;
	char *p = r->rq->upstream_summary;
	size_t cap = sizeof(r->rq->upstream_summary);

	for (i = 0; i < r->walk.ns && n + 1 < cap; i++) {
		int k = snprintf(p + n, cap - n, "%s%s:%d", i ? "," : "",
		    r->walk.s[i].pc->name, r->walk.s[i].requests);
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
		problem_respond(r->rq, rs, e,
		    e == CN_INVALID_CURSOR
		        ? "the cursor is not valid for this caller"
		        : e == CN_CURSOR_EXPIRED
		        ? "the cursor is older than cursor_ttl"
		        : "the cursor was issued for other parameters",
		    NULL);
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

/*
 * A failed provider under partial=allow keeps its place; it stops
 * following the global watermark so no record of it is skipped.
 */
static void
keep_failed_place(struct stream *s, const struct cursor *cur)
{
	if (s->failed && s->emitted_any) {
		s->own_wm = true;
		s->has_wm = true;
		s->wm = s->last_emit;
	} else if (s->failed && !s->own_wm) {
		/* it missed everything after the incoming watermark (or
		 * everything, on a first page) */
		s->own_wm = true;
		s->has_wm = cur->has_wm;
		s->wm.has_time = cur->wm_has_time;
		s->wm.time = cur->wm_time;
		s->wm.provider = s->pc->name;
		s->wm.id = cur->wm_id;
	}
}

/* Fills next with where the next page starts. */
static void
next_cursor(struct run *r, struct cursor *next)
{
	struct walk *wk = &r->walk;
	size_t i;

	memset(next, 0, sizeof(*next));
	next->issued_at = r->now_s;
	next->horizon = wk->horizon;
	memcpy(next->query_hash, r->qhash, 16);
	next->has_wm = wk->has_wm;
	if (wk->has_wm) {
		next->wm_has_time = wk->wm.has_time;
		next->wm_time = wk->wm.time;
		next->wm_id = wk->wm.id;
		for (i = 0; i < wk->ns; i++)
			if (strcmp(wk->s[i].pc->name, wk->wm.provider) == 0)
				next->wm_provider = (uint8_t)i;
	}
	for (i = 0; i < wk->ns; i++) {
		keep_failed_place(&wk->s[i], &r->cur);
		stream_resume(&wk->s[i], &next->pos[next->npos++]);
	}
}

/* The sealed next cursor in *token.  STEP_OK, STEP_FAILED (a provider
 * failed after all: answer page_fail) or STEP_INTERNAL. */
static enum step
seal_next(struct run *r, char **token)
{
	struct cursor next;

	next_cursor(r, &next);
	if (r->walk.nout == 0 && stalled(&r->walk, &r->cur, &next))
		return STEP_FAILED;
	if (cursor_size(&next) == 0) {
		cursor_too_long(&r->walk, &next);
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
