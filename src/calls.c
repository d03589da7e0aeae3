/*
 * GET /calls: plan, fan out, merge, seal (SPEC 4).
 *
 * Every requested provider is a stream of records in the requested order.
 * Streams are fetched in parallel; a k-way merge emits the smallest head
 * whenever no stream could still produce something smaller (its lower
 * bound is the start time of the last record it returned).  A watermark —
 * the last emitted (started_at, provider, native_id) — makes re-fetched
 * or shifted pages harmless: anything at or before it is skipped.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "arena.h"
#include "conf.h"
#include "cursor.h"
#include "filter.h"
#include "http.h"
#include "log.h"
#include "metrics.h"
#include "page.h"
#include "provider.h"
#include "query.h"
#include "timefmt.h"

struct key {
	bool has_time;
	int64_t time;
	const char *provider;
	const char *id;
};

struct item {
	struct call *c;
	const char *src_token; /* token/keyset that fetched its page */
	int64_t src_offset; /* page styles: index (from start or end) */
	int seq; /* which fetch of this request brought it */
};

struct stream {
	size_t cfg; /* index in the configuration */
	uint8_t qidx; /* index among the query's providers */
	const struct provider_conf *pc;
	const struct driver *d;
	struct plan plan;
	enum order native; /* order asked upstream */
	bool backward; /* page walk from the last page */
	bool page_style;
	int base; /* first page number */
	int budget;
	int per_page;
	/*
	 * Token styles: the fewest records to ask for, and the last size
	 * asked.  Ties are emitted in id order, so a stream must see past
	 * every call sharing its frontier's start time; when such a group
	 * outlasts a request's budget, the next request asks for more.
	 */
	int min_page;
	const char *min_page_at; /* the position min_page was set for */
	int last_size;
	/* next fetch */
	const char *token;
	int64_t page;
	bool need_total; /* backward walk: learn the page count first */
	int64_t total; /* list length (page styles) or reported total */
	bool total_known;
	bool exhausted;
	bool failed;
	bool fetched_any;
	/* lower bound of records not yet fetched */
	bool has_frontier;
	bool frontier_has_time;
	int64_t frontier;
	/* fetched, kept, not yet emitted */
	struct item *items;
	size_t nitems, head, cap;
	/* watermark of this stream */
	bool own_wm;
	struct key wm;
	bool has_wm;
	bool emitted_any;
	struct key last_emit;
	int fetches;
	int looked; /* fetches whose records were taken (not a re-aim) */
	/* resume point when nothing is buffered */
	int64_t next_offset;
	/* stuck detection */
	const char *prev_first, *prev_last;
	size_t prev_n;
	/* accounting */
	int requests;
	int64_t upstream_ms;
	enum cn_err err;
	long err_status;
	int64_t retry_after_ms;
	char errmsg[200];
	bool skipped; /* not queried for this page */
	/* in flight */
	struct http_job job;
	struct upreq req;
	struct fetch f;
	bool in_flight;
};

struct run {
	struct worker *w;
	struct request *rq;
	const struct config *conf;
	struct query q;
	struct stream *s;
	size_t ns;
	int64_t deadline;
	int64_t horizon;
	bool has_wm;
	struct key wm;
	struct item *out;
	size_t nout;
	struct arena *a;
};

/* -1, 0, 1: a before, equal to, after b in the requested order.  Ties
 * on started_at go by provider then native id, ascending either way. */
static int
key_cmp(enum order o, const struct key *a, const struct key *b)
{
	int c;

	if (a->has_time != b->has_time) {
		/* no start time sorts as the earliest instant */
		c = a->has_time ? 1 : -1;
		return o == ORDER_ASC ? c : -c;
	}
	if (a->has_time && a->time != b->time) {
		c = a->time < b->time ? -1 : 1;
		return o == ORDER_ASC ? c : -c;
	}
	c = strcmp(a->provider, b->provider);
	if (c != 0)
		return c < 0 ? -1 : 1;
	c = strcmp(a->id, b->id);
	return c < 0 ? -1 : c > 0;
}

static struct key
call_key(const struct call *c)
{
	struct key k = { c->started_at.set, c->started_at.v, c->provider,
		c->native_id };
	return k;
}

/* qsort_r's context carries the order: requests on other threads sort
 * at the same time, in the other order. */
static int
item_cmp(const void *x, const void *y, void *order)
{
	struct key a = call_key(((const struct item *)x)->c);
	struct key b = call_key(((const struct item *)y)->c);

	return key_cmp(*(const enum order *)order, &a, &b);
}

/* ---- planning -------------------------------------------------------- */

static int
provider_cmp(const void *x, const void *y)
{
	const struct stream *a = x, *b = y;

	return strcmp(a->pc->name, b->pc->name);
}

static void
filter_names_json(struct buf *b, unsigned mask)
{
	int f, first = 1;

	buf_addc(b, '[');
	for (f = 0; f < F__MAX; f++)
		if (mask & (1u << f)) {
			if (!first)
				buf_addc(b, ',');
			buf_json_cstr(b, filter_names[f]);
			first = 0;
		}
	buf_addc(b, ']');
}

/* Picks the providers and plans each; a problem answer on refusal. */
static int
plan_streams(struct run *r)
{
	const struct config *c = r->conf;
	struct query *q = &r->q;
	uint64_t mask;
	size_t i, idx;
	struct buf detail;
	bool refused = false;

	if (conf_access(c, r->rq->remote_user, &mask) < 0) {
		problem_respond(r->rq, &r->w->rs, CN_ACCESS_DENIED,
		    "this server requires an authenticated user", NULL);
		return -1;
	}
	r->s = arena_calloc(r->a, c->nproviders, sizeof(*r->s));
	if (r->s == NULL)
		return -2;
	if (q->providers.n == 0) {
		for (i = 0; i < c->nproviders; i++)
			if (mask & (UINT64_C(1) << i))
				r->s[r->ns++].cfg = i;
	} else {
		for (i = 0; i < q->providers.n; i++) {
			if (conf_provider(c, q->providers.v[i], &idx) == NULL ||
			    !(mask & (UINT64_C(1) << idx))) {
				char *d = arena_printf(r->a,
				    "provider '%s' is not configured or not "
				    "readable",
				    q->providers.v[i]);
				problem_respond(r->rq, &r->w->rs,
				    CN_UNKNOWN_PROVIDER, d, NULL);
				return -1;
			}
			r->s[r->ns++].cfg = idx;
		}
	}
	for (i = 0; i < r->ns; i++) {
		struct stream *s = &r->s[i];
		s->pc = &c->providers[s->cfg];
		s->d = s->pc->driver;
	}
	qsort(r->s, r->ns, sizeof(*r->s), provider_cmp);
	buf_init(&detail, 4096);
	buf_adds(&detail, "filters not supported:");
	for (i = 0; i < r->ns; i++) {
		struct stream *s = &r->s[i];
		s->qidx = (uint8_t)i;
		filter_plan(s->d, q, &s->plan);
		if (s->plan.unsupported) {
			int f;
			refused = true;
			buf_printf(&detail, " %s (", s->pc->name);
			for (f = 0; f < F__MAX; f++)
				if (s->plan.unsupported & (1u << f))
					buf_printf(&detail, "%s%s",
					    detail.data[detail.len - 1] == '('
					        ? ""
					        : ", ",
					    filter_names[f]);
			buf_addc(&detail, ')');
		}
	}
	if (refused) {
		buf_adds(&detail, "; narrow 'provider' to the others");
		problem_respond(r->rq, &r->w->rs, CN_UNSUPPORTED_FILTER,
		    buf_cstr(&detail), NULL);
		buf_free(&detail);
		return -1;
	}
	buf_free(&detail);
	return 0;
}

static bool
discards_locally(const struct stream *s)
{
	return (s->plan.requested & ~(s->plan.exact | s->plan.noop)) != 0;
}

static void
init_stream(struct run *r, struct stream *s, const struct cursor_pos *cp)
{
	const struct driver *d = s->d;

	s->budget = r->conf->max_upstream_requests;
	s->page_style = d->paging == PAGING_PAGE1 || d->paging == PAGING_PAGE0;
	s->base = d->paging == PAGING_PAGE1 ? 1 : 0;
	s->native = r->q.order;
	if (!(d->native_orders & (r->q.order == ORDER_ASC ? 2u : 1u))) {
		s->native = r->q.order == ORDER_ASC ? ORDER_DESC : ORDER_ASC;
		s->backward = true;
	}
	s->per_page = discards_locally(s)       ? d->max_page_size
	    : r->q.limit + 1 < d->max_page_size ? r->q.limit + 1
	                                        : d->max_page_size;
	if (s->plan.empty) {
		s->exhausted = true;
		s->total = 0;
		s->total_known = true;
		return;
	}
	if (cp == NULL || !cp->started) {
		s->page = s->base;
		s->need_total = s->backward;
		s->total = -1;
		s->next_offset = 0;
		return;
	}
	if (cp->state == PS_DONE)
		s->exhausted = true;
	if (cp->per_page > 0 && s->page_style)
		s->per_page = cp->per_page;
	else if (cp->per_page > 0) {
		s->min_page = cp->per_page;
		s->min_page_at = cp->token;
	}
	s->token = cp->token;
	s->total = cp->total;
	s->total_known = cp->total >= 0;
	s->next_offset = cp->offset;
	if (s->page_style) {
		if (s->backward) {
			if (cp->total <= 0 || cp->offset >= cp->total)
				s->exhausted =
				    cp->total >= 0 && cp->offset >= cp->total;
			if (cp->total < 0) {
				s->need_total = true;
				s->page = s->base;
			} else
				s->page =
				    (cp->total - 1 - cp->offset) / s->per_page +
				    s->base;
		} else
			s->page = cp->offset / s->per_page + s->base;
	}
	if (cp->own_wm) {
		s->own_wm = true;
		s->has_wm =
		    cp->own_wm_id != NULL; /* NULL: nothing emitted yet */
		s->wm.has_time = cp->own_wm_has_time;
		s->wm.time = cp->own_wm_time;
		s->wm.provider = s->pc->name;
		s->wm.id = cp->own_wm_id;
	}
}

/* ---- fetching -------------------------------------------------------- */

static void
stream_fail(struct stream *s, enum cn_err e, long status, const char *msg)
{
	s->failed = true;
	s->err = e;
	s->err_status = status;
	snprintf(s->errmsg, sizeof(s->errmsg), "%s", msg ? msg : "");
}

static int
start_fetch(struct run *r, struct stream *s)
{
	enum cn_err e;

	if (s->budget <= 0)
		return 1; /* out of budget: the page ends short */
	/* Out of time (another provider used it up, say by hanging until
	 * its timeout_ms): this provider did not fail, it was not asked.
	 * The page ends short and the cursor resumes here. */
	if (http_now_ms() >= r->deadline)
		return 1;
	memset(&s->f, 0, sizeof(s->f));
	s->f.pc = s->pc;
	s->f.q = &r->q;
	s->f.plan = &s->plan;
	s->f.order = s->native;
	s->f.page_size = s->per_page;
	if (!s->page_style && !discards_locally(s)) {
		int want = r->q.limit - (int)r->nout + 1;
		/* a second fetch in one request: a tie or repeats ate the
		 * first; ask for twice as much rather than as little */
		if (s->fetches > 0 && want < 2 * s->last_size)
			want = 2 * s->last_size;
		if (want < s->min_page)
			want = s->min_page;
		s->f.page_size =
		    want < s->d->max_page_size ? want : s->d->max_page_size;
	}
	s->last_size = s->f.page_size;
	s->f.pos.page = s->page;
	s->f.pos.token = s->token;
	memset(&s->req, 0, sizeof(s->req));
	e = s->d->prepare(&s->f, r->a, &s->req);
	if (e != CN_OK) {
		stream_fail(s, e, 0, "could not build the upstream request");
		return -1;
	}
	memset(&s->job, 0, sizeof(s->job));
	s->job.req = &s->req;
	s->job.timeout_ms = s->pc->timeout_ms;
	s->job.allow_http = strncmp(s->pc->base_url, "http://", 7) == 0;
	s->job.budget = &s->budget;
	s->job.user = s;
	http_start(r->w->http, &s->job, r->deadline);
	s->in_flight = true;
	return 0;
}

static void
free_body(void *p)
{
	struct http_job *j = p;

	http_job_release(j);
}

/*
 * A record the stream already delivered: shifted pages repeat records
 * (page numbers move under inserts).  The stream is ordered by start
 * time, so only records at the latest time seen can be new ties.
 */
static bool
already_buffered(struct run *r, struct stream *s, const struct key *k)
{
	struct key last;
	size_t i;

	if (s->nitems == 0)
		return false;
	last = call_key(s->items[s->nitems - 1].c);
	for (i = s->nitems; i-- > 0;) {
		struct key o = call_key(s->items[i].c);
		if (o.has_time != k->has_time ||
		    (o.has_time && o.time != k->time))
			break;
		if (strcmp(o.id, k->id) == 0)
			return true;
	}
	/* earlier than the latest buffered time: a repeat */
	if (last.has_time != k->has_time ||
	    (last.has_time && last.time != k->time))
		return key_cmp(r->q.order, k, &last) < 0;
	return false;
}

static bool
key_after_wm(struct run *r, struct stream *s, const struct key *k)
{
	if (s->own_wm || s->has_wm)
		return !s->has_wm || key_cmp(r->q.order, k, &s->wm) > 0;
	return !r->has_wm || key_cmp(r->q.order, k, &r->wm) > 0;
}

static int
push_item(struct run *r, struct stream *s, struct call *c, const char *tok,
    int64_t off)
{
	struct item *ni;
	size_t ncap;

	if (s->nitems == s->cap) {
		ncap = s->cap ? s->cap * 2 : 128;
		ni = arena_calloc(r->a, ncap, sizeof(*ni));
		if (ni == NULL)
			return -1;
		if (s->nitems)
			memcpy(ni, s->items, s->nitems * sizeof(*ni));
		s->items = ni;
		s->cap = ncap;
	}
	s->items[s->nitems].c = c;
	s->items[s->nitems].src_token = tok;
	s->items[s->nitems].src_offset = off;
	s->items[s->nitems].seq = s->fetches;
	s->nitems++;
	return 0;
}

/*
 * Decoding and filtering a big page takes time of its own: the deadline
 * holds for it as for the transfer, so late work ends in a timeout,
 * never in a late answer.
 */
static bool
past_deadline(struct run *r, struct stream *s)
{
	if (http_now_ms() < r->deadline)
		return false;
	stream_fail(s, CN_PROVIDER_TIMEOUT, 0,
	    "deadline exceeded while decoding and filtering the answer");
	return true;
}

/* Takes one finished job: decode, filter, buffer, move the position. */
static int
take_result_inner(struct run *r, struct stream *s)
{
	struct http_job *j = &s->job, *kept;
	struct upresp resp;
	struct uppage pg;
	char err[200];
	enum cn_err e;
	size_t i, first_new;
	int64_t n_list, span;
	bool same, past_horizon = false;

	s->in_flight = false;
	s->fetches++;
	s->requests += j->attempts;
	s->upstream_ms += j->elapsed_ms;
	s->fetched_any = true;
	/* The finished transfer moves to a copy of the job, released at
	 * the latest when the request ends, because the stream reuses
	 * s->job for its next fetch. */
	kept = arena_alloc(r->a, sizeof(*kept));
	if (kept == NULL || arena_cleanup(r->a, free_body, kept) < 0) {
		http_job_release(j);
		return -2;
	}
	*kept = *j;
	j->easy = NULL;
	j->slist = NULL;
	memset(&j->body, 0, sizeof(j->body));
	j = kept;
	/* Out of memory (ours, or inside libcurl) is a 500, whatever the
	 * provider did. */
	if (j->err == CN_INTERNAL)
		return -2;
	if (j->err != CN_OK) {
		s->retry_after_ms = j->retry_after_ms;
		/* A 2xx status is not what failed (the body or the clock did),
		 * and whether curl saw it before the deadline is a race. */
		stream_fail(s, j->err,
		    j->status >= 200 && j->status < 300 ? 0 : j->status,
		    j->errmsg);
		return 0;
	}
	resp.status = j->status;
	resp.body = j->body.data ? j->body.data : (char *)"";
	resp.len = j->body.len;
	if (j->body.data == NULL) {
		resp.body = arena_strdup(r->a, "");
		if (resp.body == NULL)
			return -2;
	} else
		buf_cstr(&j->body);
	memset(&pg, 0, sizeof(pg));
	pg.last_page = -1;
	err[0] = '\0';
	e = s->d->decode(&s->f, &resp, r->a, &pg, err, sizeof(err));
	/* The parsed tree holds copies of what the records need: the body
	 * (up to 32 MiB) goes now, not when the request ends. */
	buf_free(&j->body);
	if (e == CN_INTERNAL || (e != CN_OK && arena_failed(r->a)))
		return -2;
	if (past_deadline(r, s))
		return 0;
	if (e != CN_OK) {
		stream_fail(s, e,
		    resp.status >= 200 && resp.status < 300 ? 0 : resp.status,
		    err);
		if (e == CN_PROVIDER_RATE_LIMITED)
			s->retry_after_ms = j->retry_after_ms;
		return 0;
	}
	/* Page styles compare the new total with the old one below. */
	if (pg.has_total && !s->page_style) {
		s->total = pg.total;
		s->total_known = true;
	}
	/* A provider that repeats itself would page forever. */
	if (!s->page_style && s->token != NULL && pg.next.token != NULL &&
	    strcmp(pg.next.token, s->token) == 0 && !pg.last) {
		stream_fail(s, CN_PROVIDER_PAGINATION_STUCK, 0,
		    "the provider returned the token it was given");
		return 0;
	}
	same = pg.n > 0 && pg.n == s->prev_n && s->prev_first != NULL &&
	    strcmp(pg.calls[0].native_id, s->prev_first) == 0 &&
	    strcmp(pg.calls[pg.n - 1].native_id, s->prev_last) == 0;
	if (same && !pg.last) {
		stream_fail(s, CN_PROVIDER_PAGINATION_STUCK, 0,
		    "the provider returned the same page twice");
		return 0;
	}
	if (pg.n > 0) {
		s->prev_first = pg.calls[0].native_id;
		s->prev_last = pg.calls[pg.n - 1].native_id;
	}
	s->prev_n = pg.n;

	if (s->page_style) {
		int64_t lp = pg.last_page;
		n_list = pg.has_total ? pg.total : -1;
		if (pg.per_page > 0 && pg.per_page != s->per_page) {
			/* The provider applied another page size (OSVI caps
			 * silently): page arithmetic follows what it did. */
			s->per_page = pg.per_page;
		}
		if (s->backward) {
			if (n_list < 0) {
				stream_fail(s, CN_PROVIDER_BAD_RESPONSE, 0,
				    "no total to walk the pages backwards");
				return 0;
			}
			if (s->need_total) {
				s->need_total = false;
				s->total = n_list;
				if (n_list == 0) {
					s->exhausted = true;
					return 0;
				}
				s->page = (n_list - 1) / s->per_page + s->base;
				if (s->page != s->f.pos.page)
					return 0; /* fetch the last page next */
			} else if (n_list != s->total && s->total >= 0) {
				/* The list grew or shrank: find the page that
				 * now holds the first unconsumed record. */
				int64_t want = s->next_offset >= n_list
				    ? -1
				    : (n_list - 1 - s->next_offset) /
				            s->per_page +
				        s->base;
				s->total = n_list;
				if (want < s->base) {
					s->exhausted = true;
					return 0;
				}
				if (want != s->f.pos.page) {
					s->page = want;
					return 0;
				}
			}
			s->total = n_list;
		} else if (n_list >= 0)
			s->total = n_list;
		s->total_known = n_list >= 0;
		(void)lp;
	}

	/* The list offsets below are (page - base) * per_page + up to pg.n,
	 * from a page number that a provider's total chose and a page size
	 * it reported: values past int64_t are not a list to walk. */
	if (s->page_style &&
	    (__builtin_mul_overflow(
	         s->f.pos.page - s->base, (int64_t)s->per_page, &span) ||
	        __builtin_add_overflow(span, (int64_t)pg.n, &span))) {
		stream_fail(s, CN_PROVIDER_BAD_RESPONSE, 0,
		    "the page number and page size are out of range");
		return 0;
	}

	s->looked++;
	/* Frontier: nothing later from this stream sorts before it. */
	for (i = 0; i < pg.n; i++) {
		const struct call *c = &pg.calls[i];
		bool beyond;
		if (!s->has_frontier) {
			beyond = true;
		} else if (c->started_at.set != s->frontier_has_time) {
			beyond = (r->q.order == ORDER_ASC) == c->started_at.set;
		} else
			beyond = c->started_at.set &&
			    (r->q.order == ORDER_ASC
			            ? c->started_at.v > s->frontier
			            : c->started_at.v < s->frontier);
		if (beyond) {
			s->has_frontier = true;
			s->frontier_has_time = c->started_at.set;
			s->frontier = c->started_at.v;
		}
	}

	first_new = s->nitems;
	for (i = 0; i < pg.n; i++) {
		size_t at = s->backward ? pg.n - 1 - i : i;
		struct call *c = &pg.calls[at];
		struct key k = call_key(c);
		int64_t off = 0;
		if (s->page_style) {
			int64_t idx = (s->f.pos.page - s->base) * s->per_page +
			    (int64_t)at;
			off = s->backward ? s->total - 1 - idx : idx;
		}
		if (c->started_at.set && c->started_at.v > r->horizon) {
			/* arrived after the walk began; ascending, nothing
			 * after it can be older */
			past_horizon = r->q.order == ORDER_ASC;
			continue;
		}
		if (past_deadline(r, s))
			return 0;
		if (!filter_match(&r->q, s->plan.local, c))
			continue;
		if (!key_after_wm(r, s, &k) || already_buffered(r, s, &k))
			continue;
		if (push_item(r, s, c, s->token, off) < 0)
			return -2;
	}
	/* Ties come in the provider's order, and a tie may straddle two
	 * pages: sort everything not yet emitted. */
	if (s->nitems > first_new && s->nitems - s->head > 1)
		qsort_r(s->items + s->head, s->nitems - s->head,
		    sizeof(struct item), item_cmp, &r->q.order);

	/* Advance. */
	if (s->page_style) {
		int64_t pos = s->f.pos.page;
		if (s->backward) {
			s->next_offset =
			    s->total - (pos - s->base) * s->per_page;
			if (s->next_offset > s->total)
				s->next_offset = s->total;
			if (pos <= s->base || pg.n == 0)
				s->exhausted = true;
			else
				s->page = pos - 1;
		} else {
			s->next_offset =
			    (pos - s->base) * s->per_page + (int64_t)pg.n;
			if (pg.last || pg.n == 0 ||
			    (pg.last_page >= 0 && pos >= pg.last_page))
				s->exhausted = true;
			else
				s->page = pos + 1;
		}
	} else {
		if (pg.last || pg.n == 0 || pg.next.token == NULL)
			s->exhausted = true;
		else
			s->token = pg.next.token;
	}
	if (past_horizon)
		s->exhausted = true;
	if (s->exhausted)
		s->has_frontier = false;
	return 0;
}

/* The outcome counted for metrics is the one the client sees: a 401 is
 * PROVIDER_AUTH_FAILED even though the transfer itself succeeded. */
static int
take_result(struct run *r, struct stream *s)
{
	bool failed_before = s->failed;
	int rc = take_result_inner(r, s);

	metrics_upstream(s->cfg, !failed_before && s->failed ? s->err : CN_OK,
	    (double)s->job.elapsed_ms / 1000.0);
	metrics_upstream_connections(s->cfg, s->job.connects);
	return rc;
}

/* ---- merging --------------------------------------------------------- */

/* The best head among streams, or NULL. */
static struct stream *
best_head(struct run *r)
{
	struct stream *best = NULL;
	struct key kb, k;
	size_t i;

	for (i = 0; i < r->ns; i++) {
		struct stream *s = &r->s[i];
		if (s->failed || s->head >= s->nitems)
			continue;
		k = call_key(s->items[s->head].c);
		if (best == NULL || key_cmp(r->q.order, &k, &kb) < 0) {
			best = s;
			kb = k;
		}
	}
	return best;
}

/* True when s may still produce a record sorting before k. */
static bool
blocks(struct run *r, struct stream *s, const struct key *k)
{
	struct key lb;

	if (s->failed || s->exhausted)
		return false;
	if (!s->has_frontier)
		return true;
	lb.has_time = s->frontier_has_time;
	lb.time = s->frontier;
	lb.provider = s->pc->name;
	lb.id = "";
	return key_cmp(r->q.order, k, &lb) >= 0;
}

static void
emit(struct run *r, struct stream *s)
{
	struct item *it = &s->items[s->head++];

	r->out[r->nout++] = *it;
	r->has_wm = true;
	r->wm = call_key(it->c);
	s->emitted_any = true;
	s->last_emit = r->wm;
	if (s->own_wm) {
		s->wm = r->wm;
		s->has_wm = true;
	}
}

/* Emits what no stream holds back any more. */
static void
emit_ready(struct run *r)
{
	struct stream *b;
	struct key k;
	size_t i;
	bool blocked;

	while (r->nout < (size_t)r->q.limit && (b = best_head(r)) != NULL) {
		k = call_key(b->items[b->head].c);
		for (i = 0, blocked = false; i < r->ns && !blocked; i++)
			blocked = blocks(r, &r->s[i], &k);
		if (blocked)
			return;
		emit(r, b);
	}
}

/* Fills r->out; returns 0, or -1 when the request must fail. */
static int
merge(struct run *r, bool *short_page)
{
	struct stream *b;
	struct http_job *j;
	struct key k;
	size_t i;
	int started, rc;
	size_t idle = 0;
	bool need[CONF_MAX_PROVIDERS];

	*short_page = false;
	for (;;) {
		while (r->nout < (size_t)r->q.limit) {
			b = best_head(r);
			bool blocked = false;
			if (b == NULL) {
				for (i = 0; i < r->ns; i++)
					if (!r->s[i].failed &&
					    !r->s[i].exhausted)
						blocked = true;
				if (!blocked)
					return 0; /* every stream is drained */
				break;
			}
			k = call_key(b->items[b->head].c);
			for (i = 0; i < r->ns && !blocked; i++)
				blocked = blocks(r, &r->s[i], &k);
			if (blocked)
				break;
			emit(r, b);
		}
		if (r->nout >= (size_t)r->q.limit)
			return 0;
		/* Fetch every stream that holds the merge back. */
		b = best_head(r);
		if (b != NULL)
			k = call_key(b->items[b->head].c);
		started = 0;
		for (i = 0; i < r->ns; i++) {
			struct stream *s = &r->s[i];
			need[i] = !s->failed && !s->exhausted &&
			    (b == NULL ? s->head >= s->nitems
			               : blocks(r, s, &k));
			if (!need[i])
				continue;
			rc = start_fetch(r, s);
			if (rc == 1) {
				*short_page = true;
				need[i] = false;
			} else if (rc == 0)
				started++;
		}
		if (*short_page) {
			/* Out of budget or time: drain what is running, then
			 * stop.  What drained may fail a stream (partial=deny
			 * fails the request) or free what it held back. */
			while ((j = http_wait(r->w->http, r->deadline)) != NULL)
				if (take_result(r, j->user) == -2)
					return -2;
			for (i = 0; i < r->ns; i++)
				if (r->s[i].failed && !r->q.partial_allow)
					return -1;
			emit_ready(r);
			return 0;
		}
		if (started == 0) {
			/* Only failures stop a fetch from starting; a failed
			 * stream no longer holds the merge back. */
			for (i = 0; i < r->ns; i++)
				if (r->s[i].failed && !r->q.partial_allow)
					return -1;
			if (++idle > 2 * r->ns + 2)
				return 0;
			continue;
		}
		while ((j = http_wait(r->w->http, r->deadline)) != NULL) {
			rc = take_result(r, j->user);
			if (rc == -2)
				return -2;
		}
		for (i = 0; i < r->ns; i++)
			if (r->s[i].failed && !r->q.partial_allow)
				return -1;
	}
}

/* ---- answering ------------------------------------------------------- */

static void
fail_response(struct run *r)
{
	struct response *rs = &r->w->rs;
	struct buf *b;
	size_t i, nfail = 0, ntimeout = 0, nrate = 0;
	struct stream *first = NULL;
	enum cn_err code;
	int status;
	int64_t retry = -1;
	char *detail;

	for (i = 0; i < r->ns; i++) {
		struct stream *s = &r->s[i];
		if (!s->failed)
			continue;
		nfail++;
		if (first == NULL)
			first = s;
		if (s->err == CN_PROVIDER_TIMEOUT)
			ntimeout++;
		if (s->err == CN_PROVIDER_RATE_LIMITED) {
			nrate++;
			if (s->retry_after_ms > retry)
				retry = s->retry_after_ms;
		}
	}
	if (first == NULL) {
		problem_respond(
		    r->rq, rs, CN_INTERNAL, "no provider answered", NULL);
		return;
	}
	code = first->err;
	if (nfail > 1) {
		if (ntimeout == nfail)
			code = CN_PROVIDER_TIMEOUT;
		else if (nrate == nfail)
			code = CN_PROVIDER_RATE_LIMITED;
		else if (cn_err_http_status(code) != 502)
			code = CN_PROVIDER_UNAVAILABLE;
	}
	status = cn_err_http_status(code);
	detail = nfail == 1
	    ? arena_printf(r->a, "provider %s: %s", first->pc->name,
	          first->errmsg[0] ? first->errmsg : cn_err_title(first->err))
	    : arena_printf(r->a, "%zu providers failed", nfail);
	problem_respond(r->rq, rs, code, detail, NULL);
	/* problem_respond wrote a complete object: reopen it for extras */
	b = &rs->body;
	if (b->len > 0 && b->data[b->len - 1] == '}')
		b->len--;
	if (nfail == 1) {
		buf_adds(b, ",\"provider\":");
		buf_json_cstr(b, first->pc->name);
		if (first->err_status > 0)
			buf_printf(
			    b, ",\"provider_status\":%ld", first->err_status);
	}
	buf_adds(b, ",\"providers\":[");
	for (i = 0, nfail = 0; i < r->ns; i++) {
		struct stream *s = &r->s[i];
		if (!s->failed)
			continue;
		if (nfail++)
			buf_addc(b, ',');
		buf_adds(b, "{\"provider\":");
		buf_json_cstr(b, s->pc->name);
		buf_adds(b, ",\"code\":");
		buf_json_cstr(b, cn_err_code(s->err));
		if (s->err_status > 0)
			buf_printf(
			    b, ",\"provider_status\":%ld", s->err_status);
		buf_adds(b, ",\"detail\":");
		buf_json_cstr(b, s->errmsg);
		buf_addc(b, '}');
	}
	buf_adds(b, "]}");
	rs->status = status;
	if (code == CN_PROVIDER_RATE_LIMITED) {
		char tmp[24];
		snprintf(tmp, sizeof(tmp), "%lld",
		    (long long)(retry > 0 ? (retry + 999) / 1000 : 1));
		response_header(rs, "Retry-After", tmp);
	}
}

/* Starts name=, or continues the values of the parameter just started:
 * the parser splits on commas, so one name carries every value. */
static void
append_name(struct buf *b, const char *name, bool more)
{
	if (more) {
		buf_addc(b, ',');
		return;
	}
	buf_addc(b, b->len && memchr(b->data, '?', b->len) ? '&' : '?');
	buf_adds(b, name);
	buf_addc(b, '=');
}

/* Only what a query value cannot carry is escaped, and a space is '+':
 * a value the client sent raw grows only where a URL requires it. */
static void
append_value(struct buf *b, const char *value)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p;

	for (p = (const unsigned char *)value; *p; p++) {
		if (query_byte_plain(*p))
			buf_addc(b, (char)*p);
		else if (*p == ' ')
			buf_addc(b, '+');
		else
			buf_printf(b, "%%%c%c", hex[*p >> 4], hex[*p & 15]);
	}
}

static void
append_param(struct buf *b, const char *name, const char *value)
{
	append_name(b, name, false);
	append_value(b, value);
}

static void
append_set(struct buf *b, const char *name, const struct strset *s)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		append_name(b, name, i > 0);
		append_value(b, s->v[i]);
	}
}

static void
append_mask(struct buf *b, const char *name, unsigned m,
    const char *const *names, int n)
{
	int i;
	bool more = false;

	for (i = 0; i < n; i++)
		if ((m & (1u << i)) && names[i] != NULL) {
			append_name(b, name, more);
			append_value(b, names[i]);
			more = true;
		}
}

/*
 * An instant as the query parser reads it back: UTC where four-digit
 * years reach, else with the offset that brings the wall-clock time
 * into 0000-9999 (a query may say 0000-01-01T00:00:00+01:00, an hour
 * before year 0 in UTC).  The cursor binds the instant, so any spelling
 * of it leads to the same page.  0 when it cannot be written.
 */
static size_t
format_instant(int64_t ms, char *out, size_t size)
{
	const int64_t lo = days_from_civil(0, 1, 1) * 86400000;
	const int64_t hi = days_from_civil(10000, 1, 1) * 86400000 - 1;
	int64_t off = 0; /* minutes east of UTC */
	size_t n;

	if (ms < lo)
		off = (lo - ms + 59999) / 60000;
	else if (ms > hi)
		off = -((ms - hi + 59999) / 60000);
	if (off > 23 * 60 + 59 || off < -(23 * 60 + 59) || size < 30)
		return 0;
	n = time_format_ms(ms + off * 60000, out, size);
	if (n == 0)
		return 0;
	/* no longer than the client's spelling: ".000" only when needed */
	if (ms % 1000 == 0) {
		out[19] = 'Z';
		out[20] = '\0';
		n = 20;
	}
	if (off == 0)
		return n;
	snprintf(out + n - 1, size - n + 1, "%c%02d:%02d", off < 0 ? '-' : '+',
	    (int)(off < 0 ? -off : off) / 60, (int)(off < 0 ? -off : off) % 60);
	return n + 5;
}

/* The next page's URL, rebuilt from the parsed query: no client bytes
 * reach a response header unvalidated. */
static char *
next_link(struct run *r, const char *cursor)
{
	struct buf b;
	const struct query *q = &r->q;
	char tmp[40];
	const unsigned char *p;
	char *out;

	/* The query part is at most QUERY_MAX_BYTES (see query_parse), the
	 * cursor under 2 KB, SCRIPT_NAME comes from the web server. */
	buf_init(&b, 16 * 1024);
	for (p = (const unsigned char *)(r->rq->script_name ? r->rq->script_name
	                                                    : "");
	     *p; p++)
		if (*p > 0x20 && *p < 0x7f && *p != '<' && *p != '>' &&
		    *p != '"' && *p != '\\')
			buf_addc(&b, (char)*p);
	buf_adds(&b, "/calls");
	append_set(&b, "provider", &q->providers);
	append_mask(&b, "status", q->statuses, call_status_names, ST__MAX);
	append_mask(&b, "direction", q->directions, call_dir_names, DIR__MAX);
	append_mask(&b, "type", q->types, call_type_names, TYPE__MAX);
	append_set(&b, "agent_id", &q->agent_ids);
	/* A bound that could not be written would widen the next page's
	 * query: no Link (so a 500) rather than a wrong one. */
	if (query_has(q, QP_STARTED_AFTER)) {
		if (format_instant(q->started_after, tmp, sizeof(tmp)) == 0)
			b.failed = true;
		else
			append_param(&b, "started_after", tmp);
	}
	if (query_has(q, QP_STARTED_BEFORE)) {
		if (format_instant(q->started_before, tmp, sizeof(tmp)) == 0)
			b.failed = true;
		else
			append_param(&b, "started_before", tmp);
	}
	if (query_has(q, QP_MIN_DURATION)) {
		snprintf(tmp, sizeof(tmp), "%lld", (long long)q->min_duration);
		append_param(&b, "min_duration_ms", tmp);
	}
	if (query_has(q, QP_MAX_DURATION)) {
		snprintf(tmp, sizeof(tmp), "%lld", (long long)q->max_duration);
		append_param(&b, "max_duration_ms", tmp);
	}
	append_set(&b, "phone", &q->phones);
	append_set(&b, "q", &q->qs);
	if (q->include_test)
		append_param(&b, "include_test", "true");
	/* defaults left out: the Link is never longer than the query it
	 * repeats (without its cursor), so it is never refused as too long */
	if (q->order == ORDER_ASC)
		append_param(&b, "order", "asc");
	if (q->limit != 50) {
		snprintf(tmp, sizeof(tmp), "%d", q->limit);
		append_param(&b, "limit", tmp);
	}
	if (q->include_raw)
		append_param(&b, "include", "raw");
	if (q->partial_allow)
		append_param(&b, "partial", "allow");
	append_param(&b, "cursor", cursor);
	out = b.failed ? NULL : arena_strndup(r->a, b.data, b.len);
	buf_free(&b);
	return out;
}

static void
stream_resume(const struct stream *s, struct cursor_pos *cp)
{
	memset(cp, 0, sizeof(*cp));
	cp->index = s->qidx;
	cp->started = true;
	cp->per_page = s->page_style ? s->per_page : 0;
	cp->total = s->page_style ? s->total : (s->total_known ? s->total : -1);
	if (s->head < s->nitems) {
		/* re-fetch from the earliest page holding an unemitted record */
		const struct item *it = &s->items[s->head];
		size_t i;
		for (i = s->head + 1; i < s->nitems; i++)
			if (s->page_style
			        ? s->items[i].src_offset < it->src_offset
			        : s->items[i].seq < it->seq)
				it = &s->items[i];
		cp->state = s->failed ? PS_FAILED : PS_ACTIVE;
		cp->token = it->src_token;
		cp->offset = it->src_offset;
	} else {
		cp->state = s->failed ? PS_FAILED
		    : s->exhausted    ? PS_DONE
		                      : PS_ACTIVE;
		cp->token = s->token;
		cp->offset = s->next_offset;
		if (!s->fetched_any && !s->page_style && s->token == NULL)
			cp->started = s->failed || s->exhausted;
	}
	if (s->backward && s->need_total)
		cp->total = -1;
	/* larger pages only until the stream moves past where it stalled */
	if (!s->page_style && s->min_page > 0 &&
	    (cp->token == NULL ? s->min_page_at == NULL
	                       : s->min_page_at != NULL &&
	                strcmp(cp->token, s->min_page_at) == 0))
		cp->per_page = s->min_page;
	if (s->own_wm) {
		cp->own_wm = true;
		cp->own_wm_has_time = s->has_wm && s->wm.has_time;
		cp->own_wm_time = s->has_wm ? s->wm.time : 0;
		cp->own_wm_id = s->has_wm ? s->wm.id : NULL;
	}
}

static void
write_page(struct run *r, const char *cursor, bool has_more)
{
	struct response *rs = &r->w->rs;
	struct buf *b = &rs->body;
	size_t i;
	int64_t total = 0;
	bool exact = true, complete = true;

	response_json(rs, 200);
	buf_reserve(b, r->nout * 700 + 1024);
	buf_adds(b, "{\"data\":[");
	for (i = 0; i < r->nout; i++) {
		if (i > 0)
			buf_addc(b, ',');
		page_write_call(b, r->out[i].c, r->q.include_raw);
	}
	for (i = 0; i < r->ns; i++) {
		const struct stream *s = &r->s[i];
		if (s->failed)
			complete = false;
		if (s->failed || !s->total_known || discards_locally(s) ||
		    s->total < 0)
			exact = false;
		else
			total += s->total;
	}
	buf_adds(b, "],\"page\":{\"next_cursor\":");
	buf_json_cstr(b, has_more ? cursor : NULL);
	buf_printf(b,
	    ",\"has_more\":%s,\"limit\":%d,\"returned\":%zu,"
	    "\"total_count\":",
	    has_more ? "true" : "false", r->q.limit, r->nout);
	if (exact)
		buf_json_int(b, total);
	else
		buf_adds(b, "null");
	buf_adds(b, "},\"meta\":{\"request_id\":");
	buf_json_cstr(b, r->rq->request_id);
	buf_printf(b, ",\"complete\":%s,\"unreachable\":[",
	    complete ? "true" : "false");
	for (i = 0, complete = true; i < r->ns; i++)
		if (r->s[i].failed) {
			if (!complete)
				buf_addc(b, ',');
			complete = false;
			buf_json_cstr(b, r->s[i].pc->name);
		}
	buf_adds(b, "],\"providers\":[");
	for (i = 0; i < r->ns; i++) {
		const struct stream *s = &r->s[i];
		if (i > 0)
			buf_addc(b, ',');
		buf_adds(b, "{\"name\":");
		buf_json_cstr(b, s->pc->name);
		buf_adds(b, ",\"kind\":");
		buf_json_cstr(b, s->d->kind);
		buf_adds(b, ",\"state\":");
		buf_json_cstr(b,
		    s->failed              ? "error"
		        : s->requests == 0 ? "skipped"
		                           : "ok");
		buf_printf(b,
		    ",\"upstream_requests\":%d,\"upstream_ms\":%lld,"
		    "\"filters_pushed_down\":",
		    s->requests, (long long)s->upstream_ms);
		filter_names_json(b, s->plan.pushed);
		buf_adds(b, ",\"filters_local\":");
		filter_names_json(b, s->plan.local);
		buf_adds(b, ",\"error\":");
		if (s->failed) {
			buf_adds(b, "{\"code\":");
			buf_json_cstr(b, cn_err_code(s->err));
			buf_adds(b, ",\"detail\":");
			buf_json_cstr(b, s->errmsg);
			if (s->err_status > 0)
				buf_printf(b, ",\"provider_status\":%ld",
				    s->err_status);
			buf_addc(b, '}');
		} else
			buf_adds(b, "null");
		buf_addc(b, '}');
	}
	buf_adds(b, "]}}");
	if (has_more) {
		char *link = next_link(r, cursor);
		char *h = link == NULL
		    ? NULL
		    : arena_printf(r->a, "<%s>; rel=\"next\"", link);
		/* A page without its Link would be wrong: make it a 500. */
		if (h == NULL || response_header(rs, "Link", h) < 0)
			rs->headers.failed = true;
	}
}

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
stalled(struct run *r, const struct cursor *cur, struct cursor *next)
{
	struct cursor_pos *np;
	struct stream *s;
	size_t i, k;
	bool grew = false;
	int size, max;

	if (r->q.cursor == NULL)
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
cursor_too_long(struct run *r, const struct cursor *next)
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

	for (i = 0; i < r->ns && n + 1 < cap; i++) {
		int k = snprintf(p + n, cap - n, "%s%s:%d", i ? "," : "",
		    r->s[i].pc->name, r->s[i].requests);
		if (k < 0 || (size_t)k >= cap - n)
			break;
		n += (size_t)k;
	}
}

void
handle_calls(struct worker *w, struct request *rq, struct response *rs)
{
	struct run r;
	struct qerrors qe;
	struct cursor cur, next;
	const struct cursor_pos *cp;
	unsigned char qhash[16];
	const char *canon, *qs = rq->query_string ? rq->query_string : "";
	char *token = NULL;
	enum cn_err e;
	bool short_page, has_more = false, any_ok;
	size_t i, k;
	int rc;
	int64_t now_s = time_now_ms() / 1000;

	memset(&r, 0, sizeof(r));
	r.w = w;
	r.rq = rq;
	r.conf = w->app->conf;
	r.a = w->arena;
	rc = query_parse(r.a, qs, strlen(qs), &r.q, &qe);
	if (rc == -1) {
		problem_respond(rq, rs, CN_INVALID_ARGUMENT,
		    qe.detail ? qe.detail : "some parameters are not valid",
		    &qe);
		return;
	}
	if (rc < 0)
		goto internal;
	rc = plan_streams(&r);
	if (rc == -1)
		return;
	if (rc < 0)
		goto internal;
	canon = query_canonical(r.a, &r.q);
	if (canon == NULL)
		goto internal;
	cursor_query_hash(canon, qhash);
	memset(&cur, 0, sizeof(cur));
	if (r.q.cursor != NULL) {
		e = cursor_open(r.a, r.conf->cursor_key, r.conf->cursor_key_len,
		    rq->remote_user, r.q.cursor, qhash, now_s,
		    r.conf->cursor_ttl, &cur);
		if (e != CN_OK) {
			problem_respond(rq, rs, e,
			    e == CN_INVALID_CURSOR
			        ? "the cursor is not valid for this caller"
			        : e == CN_CURSOR_EXPIRED
			        ? "the cursor is older than cursor_ttl"
			        : "the cursor was issued for other parameters",
			    NULL);
			return;
		}
		r.horizon = cur.horizon;
		r.has_wm = cur.has_wm;
		r.wm.has_time = cur.wm_has_time;
		r.wm.time = cur.wm_time;
		r.wm.id = cur.wm_id;
		r.wm.provider =
		    cur.wm_provider < r.ns ? r.s[cur.wm_provider].pc->name : "";
		if (r.has_wm && cur.wm_provider >= r.ns) {
			problem_respond(rq, rs, CN_INVALID_CURSOR,
			    "the cursor does not match the providers", NULL);
			return;
		}
	} else {
		/* The walk covers calls started before the current second:
		 * providers that keep whole seconds would otherwise date a
		 * call arriving a moment later inside the walk. */
		r.horizon = time_now_ms() / 1000 * 1000 - 1;
	}
	r.deadline = http_now_ms() + r.conf->request_timeout_ms;
	for (i = 0; i < r.ns; i++) {
		cp = NULL;
		for (k = 0; k < cur.npos; k++)
			if (cur.pos[k].index == i)
				cp = &cur.pos[k];
		init_stream(&r, &r.s[i], cp);
	}
	r.out = arena_calloc(r.a, (size_t)r.q.limit, sizeof(*r.out));
	if (r.out == NULL)
		goto internal;
	rc = merge(&r, &short_page);
	/* Whatever still runs after an early failure is abandoned. */
	http_cancel_all(w->http);
	{
		struct http_job *j;
		while ((j = http_wait(w->http, r.deadline)) != NULL)
			http_job_release(j);
	}
	summarize(&r);
	if (rc == -2)
		goto internal;
	any_ok = false;
	for (i = 0; i < r.ns; i++)
		if (!r.s[i].failed)
			any_ok = true;
	if (rc == -1 || (!any_ok && r.ns > 0)) {
		fail_response(&r);
		return;
	}
	for (i = 0; i < r.ns; i++) {
		const struct stream *s = &r.s[i];
		if (s->failed || s->head < s->nitems || !s->exhausted)
			has_more = true;
	}
	/* A failed provider under partial=allow keeps its place; it stops
	 * following the global watermark so no record of it is skipped. */
	if (has_more) {
		memset(&next, 0, sizeof(next));
		next.issued_at = now_s;
		next.horizon = r.horizon;
		memcpy(next.query_hash, qhash, 16);
		next.has_wm = r.has_wm;
		if (r.has_wm) {
			next.wm_has_time = r.wm.has_time;
			next.wm_time = r.wm.time;
			next.wm_id = r.wm.id;
			for (i = 0; i < r.ns; i++)
				if (strcmp(r.s[i].pc->name, r.wm.provider) == 0)
					next.wm_provider = (uint8_t)i;
		}
		for (i = 0; i < r.ns; i++) {
			struct stream *s = &r.s[i];
			if (s->failed && s->emitted_any) {
				s->own_wm = true;
				s->has_wm = true;
				s->wm = s->last_emit;
			} else if (s->failed && !s->own_wm) {
				/* it missed everything after the incoming
				 * watermark (or everything, on a first page) */
				s->own_wm = true;
				s->has_wm = cur.has_wm;
				s->wm.has_time = cur.wm_has_time;
				s->wm.time = cur.wm_time;
				s->wm.provider = s->pc->name;
				s->wm.id = cur.wm_id;
			}
			stream_resume(s, &next.pos[next.npos++]);
		}
		if (r.nout == 0 && stalled(&r, &cur, &next)) {
			fail_response(&r);
			return;
		}
		if (cursor_size(&next) == 0) {
			cursor_too_long(&r, &next);
			fail_response(&r);
			return;
		}
		token = cursor_seal(r.a, r.conf->cursor_key,
		    r.conf->cursor_key_len, rq->remote_user, &next);
		if (token == NULL)
			goto internal;
	}
	(void)short_page;
	write_page(&r, token, has_more);
	return;
internal:
	log_warnx("request %s: out of memory building /calls", rq->request_id);
	problem_respond(
	    rq, rs, CN_INTERNAL, "the request could not be served", NULL);
}
