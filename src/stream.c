/*
 * One provider's walk, as a stream of records in the requested order.
 *
 * A stream knows where it stands (a token, a key or a page number, from
 * the cursor or from the start), how much to ask for next, and what to
 * do with a decoded page: refuse a provider that repeats itself, re-aim
 * a backward page walk when the list changed length, move the frontier
 * (nothing later from this stream sorts before it), buffer what is new
 * and after the watermark, and advance.  A watermark, the last emitted
 * (started_at, provider, native_id), makes re-fetched or shifted pages
 * harmless: anything at or before it is skipped.
 *
 * Pure: no I/O, and the clock only through walk.now.
 */
#include <stdio.h>
#include <string.h>

#include "arena.h"
#include "calls_int.h"
#include "conf.h"
#include "cursor.h"
#include "filter.h"
#include "query.h"

bool
stream_discards_locally(const struct stream *s)
{
	return (s->plan.requested & ~(s->plan.exact | s->plan.noop)) != 0;
}

/* Page styles: the page that holds the record at offset (from the end
 * for backward walks). */
static void
init_page_position(struct stream *s, const struct cursor_pos *cp)
{
	if (!s->backward) {
		s->page = cp->offset / s->per_page + s->base;
		return;
	}
	if (cp->total <= 0 || cp->offset >= cp->total)
		s->exhausted = cp->total >= 0 && cp->offset >= cp->total;
	if (cp->total < 0) {
		s->need_total = true;
		s->page = s->base;
	} else
		s->page = (cp->total - 1 - cp->offset) / s->per_page + s->base;
}

void
stream_init(const struct walk *r, struct stream *s, int max_upstream_requests,
    const struct cursor_pos *cp)
{
	const struct driver *d = s->d;
	const struct query *q = r->q;

	s->budget = max_upstream_requests;
	s->key_lo =
	    query_has(q, QP_STARTED_AFTER) ? q->started_after : INT64_MIN;
	s->key_hi = r->horizon;
	if (query_has(q, QP_STARTED_BEFORE) &&
	    q->started_before - 1 < s->key_hi)
		s->key_hi = q->started_before - 1;
	s->page_style = d->paging == PAGING_PAGE1 || d->paging == PAGING_PAGE0;
	s->base = d->paging == PAGING_PAGE1 ? 1 : 0;
	s->native = q->order;
	if (!(d->native_orders & (q->order == ORDER_ASC ? 2u : 1u))) {
		s->native = q->order == ORDER_ASC ? ORDER_DESC : ORDER_ASC;
		s->backward = true;
	}
	/* newest first only, with time filters: windows instead of a
	 * backward walk (window.c) */
	if (s->backward && d->windows && !s->page_style) {
		s->backward = false;
		s->win.on = true;
	}
	s->per_page = stream_discards_locally(s) ? d->max_page_size
	    : q->limit + 1 < d->max_page_size    ? q->limit + 1
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
		window_init(r, s, NULL);
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
	if (s->page_style)
		init_page_position(s, cp);
	if (cp->own_wm) {
		s->own_wm = true;
		/* NULL: nothing emitted yet */
		s->has_wm = cp->own_wm_id != NULL;
		s->wm.has_time = cp->own_wm_has_time;
		s->wm.time = cp->own_wm_time;
		s->wm.provider = s->pc->name;
		s->wm.id = cp->own_wm_id;
	}
	window_init(r, s, cp);
}

void
stream_fail(struct stream *s, enum cn_err e, long status, const char *msg)
{
	s->failed = true;
	s->err = e;
	s->err_status = status;
	snprintf(s->errmsg, sizeof(s->errmsg), "%s", msg ? msg : "");
}

enum step
stream_aim(const struct walk *r, struct stream *s)
{
	if (s->budget <= 0)
		return STEP_SHORT;
	memset(&s->f, 0, sizeof(s->f));
	s->f.pc = s->pc;
	s->f.q = r->q;
	s->f.plan = &s->plan;
	s->f.walk = s->walk;
	s->f.order = s->native;
	s->f.page_size = s->per_page;
	if (!s->page_style && !stream_discards_locally(s)) {
		int want = r->q->limit - (int)r->nout + 1;
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
	/* the query's own bounds; windowed walks narrow them */
	s->f.after.set = (r->q->given & (1u << QP_STARTED_AFTER)) != 0;
	s->f.after.v = r->q->started_after;
	s->f.before.set = (r->q->given & (1u << QP_STARTED_BEFORE)) != 0;
	s->f.before.v = r->q->started_before;
	if (s->win.on)
		window_aim(r, s);
	return STEP_OK;
}

/* A provider that repeats itself would page forever: true when s failed
 * for it. */
static bool
check_stuck(struct stream *s, const struct uppage *pg)
{
	bool same;

	if (!s->page_style && s->token != NULL && pg->next.token != NULL &&
	    strcmp(pg->next.token, s->token) == 0 && !pg->last) {
		stream_fail(s, CN_PROVIDER_PAGINATION_STUCK, 0,
		    "the provider returned the token it was given");
		return true;
	}
	same = pg->n > 0 && pg->n == s->prev_n && s->prev_first != NULL &&
	    strcmp(pg->calls[0].native_id, s->prev_first) == 0 &&
	    strcmp(pg->calls[pg->n - 1].native_id, s->prev_last) == 0;
	if (same && !pg->last) {
		stream_fail(s, CN_PROVIDER_PAGINATION_STUCK, 0,
		    "the provider returned the same page twice");
		return true;
	}
	if (pg->n > 0) {
		s->prev_first = pg->calls[0].native_id;
		s->prev_last = pg->calls[pg->n - 1].native_id;
	}
	s->prev_n = pg->n;
	return false;
}

/*
 * A backward page walk needs the list's length: the first page fetched
 * only tells it, and a list that grew or shrank moves the page holding
 * the first unconsumed record.  True when this page's records are not
 * to be taken (s re-aimed, is exhausted, or failed).
 */
static bool
reaim_backward(struct stream *s, int64_t n_list)
{
	int64_t want;

	if (n_list < 0) {
		stream_fail(s, CN_PROVIDER_BAD_RESPONSE, 0,
		    "no total to walk the pages backwards");
		return true;
	}
	if (s->need_total) {
		s->need_total = false;
		s->total = n_list;
		if (n_list == 0) {
			s->exhausted = true;
			return true;
		}
		s->page = (n_list - 1) / s->per_page + s->base;
		return s->page != s->f.pos.page; /* fetch the last page next */
	}
	if (n_list != s->total && s->total >= 0) {
		want = s->next_offset >= n_list
		    ? -1
		    : (n_list - 1 - s->next_offset) / s->per_page + s->base;
		s->total = n_list;
		if (want < s->base) {
			s->exhausted = true;
			return true;
		}
		if (want != s->f.pos.page) {
			s->page = want;
			return true;
		}
	}
	s->total = n_list;
	return false;
}

/* Page styles: totals and the page size the provider applied.  True
 * when this page's records are not to be taken. */
static bool
take_page_totals(struct stream *s, const struct uppage *pg)
{
	int64_t n_list = pg->has_total ? pg->total : -1, span;

	/* The provider applied another page size (OSVI caps silently):
	 * page arithmetic follows what it did. */
	if (pg->per_page > 0 && pg->per_page != s->per_page)
		s->per_page = pg->per_page;
	if (s->backward) {
		if (reaim_backward(s, n_list))
			return true;
	} else if (n_list >= 0)
		s->total = n_list;
	s->total_known = n_list >= 0;
	/* The list offsets are (page - base) * per_page + up to pg->n, from
	 * a page number that a provider's total chose and a page size it
	 * reported: values past int64_t are not a list to walk. */
	if (__builtin_mul_overflow(
	        s->f.pos.page - s->base, (int64_t)s->per_page, &span) ||
	    __builtin_add_overflow(span, (int64_t)pg->n, &span)) {
		stream_fail(s, CN_PROVIDER_BAD_RESPONSE, 0,
		    "the page number and page size are out of range");
		return true;
	}
	return false;
}

/* Frontier: nothing later from this stream sorts before it. */
static void
move_frontier(struct stream *s, enum order o, const struct uppage *pg)
{
	size_t i;

	for (i = 0; i < pg->n; i++) {
		/* creation order: what the rest of the list can reach */
		struct key b = stream_bound(s, &pg->calls[i], o);
		bool beyond;
		if (!s->has_frontier) {
			beyond = true;
		} else if (b.has_time != s->frontier_has_time) {
			beyond = (o == ORDER_ASC) == b.has_time;
		} else
			beyond = b.has_time &&
			    (o == ORDER_ASC ? b.time > s->frontier
			                    : b.time < s->frontier);
		if (beyond) {
			s->has_frontier = true;
			s->frontier_has_time = b.has_time;
			s->frontier = b.time;
		}
	}
}

/*
 * A record the stream already delivered: shifted pages repeat records
 * (page numbers move under inserts).  The stream is ordered by start
 * time, so only records at the latest time seen can be new ties.
 */
static bool
already_buffered(
    const struct walk *r, const struct stream *s, const struct key *k)
{
	struct key last;
	size_t i;

	if (s->nitems == 0)
		return false;
	last = s->items[s->nitems - 1].k;
	for (i = s->nitems; i-- > 0;) {
		struct key o = s->items[i].k;
		if (o.has_time != k->has_time ||
		    (o.has_time && o.time != k->time))
			break;
		if (strcmp(o.id, k->id) == 0)
			return true;
	}
	/* earlier than the latest buffered time: a repeat */
	if (last.has_time != k->has_time ||
	    (last.has_time && last.time != k->time))
		return key_cmp(r->q->order, k, &last) < 0;
	return false;
}

/*
 * The same for streams whose records do not come in key order
 * (creation order, windows read newest first): the buffered records
 * not yet emitted are sorted up to first_new (a binary search), the
 * ones this page added are not.  Emitted ones are behind the watermark.
 */
static bool
already_buffered_unordered(const struct walk *r, const struct stream *s,
    size_t first_new, const struct key *k)
{
	size_t lo = s->head, hi = first_new, i;
	int c;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		c = key_cmp(r->q->order, &s->items[mid].k, k);
		if (c == 0)
			return true;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (i = first_new; i < s->nitems; i++)
		if (key_cmp(r->q->order, &s->items[i].k, k) == 0)
			return true;
	return false;
}

static bool
key_after_wm(const struct walk *r, const struct stream *s, const struct key *k)
{
	if (s->own_wm || s->has_wm)
		return !s->has_wm || key_cmp(r->q->order, k, &s->wm) > 0;
	return !r->has_wm || key_cmp(r->q->order, k, &r->wm) > 0;
}

static enum step
push_item(struct walk *r, struct stream *s, struct call *c, const struct key *k,
    int64_t off)
{
	struct item *ni;
	size_t ncap;

	if (s->nitems == s->cap) {
		ncap = s->cap ? s->cap * 2 : 128;
		ni = arena_calloc(r->a, ncap, sizeof(*ni));
		if (ni == NULL)
			return STEP_INTERNAL;
		if (s->nitems)
			memcpy(ni, s->items, s->nitems * sizeof(*ni));
		s->items = ni;
		s->cap = ncap;
	}
	s->items[s->nitems].c = c;
	s->items[s->nitems].k = *k;
	s->items[s->nitems].src_lo_set = s->win.lo_set;
	s->items[s->nitems].src_lo = s->win.lo;
	s->items[s->nitems].src_hi = s->win.hi;
	s->items[s->nitems].src_token = s->token;
	s->items[s->nitems].src_offset = off;
	s->items[s->nitems].seq = s->fetches;
	s->nitems++;
	return STEP_OK;
}

/*
 * Decoding and filtering a big page takes time of its own: the deadline
 * holds for it as for the transfer, so late work ends in a timeout,
 * never in a late answer.
 */
static bool
past_deadline(const struct walk *r, struct stream *s)
{
	if (r->now() < r->deadline)
		return false;
	stream_fail(s, CN_PROVIDER_TIMEOUT, 0,
	    "deadline exceeded while decoding and filtering the answer");
	return true;
}

/*
 * Buffers the page's records that are new, match the local filters and
 * come after the watermark, in the requested order.  *past_horizon: an
 * ascending walk reached calls started after it began.
 */
enum step
stream_buffer(
    struct walk *r, struct stream *s, struct uppage *pg, bool *past_horizon)
{
	size_t i, first_new = s->nitems;
	bool unordered = s->d->creation_order || s->win.on;

	for (i = 0; i < pg->n; i++) {
		size_t at = s->backward ? pg->n - 1 - i : i;
		struct call *c = &pg->calls[at];
		struct key k = stream_key(s, c);
		int64_t off = 0;
		if (s->page_style) {
			int64_t idx = (s->f.pos.page - s->base) * s->per_page +
			    (int64_t)at;
			off = s->backward ? s->total - 1 - idx : idx;
		}
		/* created after the walk began: so did everything after it
		 * in an ascending creation-order list */
		if (s->d->creation_order && r->q->order == ORDER_ASC &&
		    !s->win.on && c->created_at.set &&
		    c->created_at.v > r->horizon)
			*past_horizon = true;
		if (c->started_at.set && c->started_at.v > r->horizon) {
			/* arrived after the walk began; ascending, nothing
			 * after it can be older (windows end at the horizon
			 * themselves) */
			*past_horizon |= r->q->order == ORDER_ASC && !unordered;
			continue;
		}
		/* windows: what the superset the provider was asked for
		 * holds outside the window is read again in its own */
		if (s->win.on && !window_holds(s, c))
			continue;
		if (past_deadline(r, s))
			return STEP_OK;
		if (!filter_match(r->q, s->plan.local, c))
			continue;
		if (!key_after_wm(r, s, &k) ||
		    (unordered ? already_buffered_unordered(r, s, first_new, &k)
		               : already_buffered(r, s, &k)))
			continue;
		if (push_item(r, s, c, &k, off) != STEP_OK)
			return STEP_INTERNAL;
	}
	/* Ties come in the provider's order, and a tie may straddle two
	 * pages: sort everything not yet emitted. */
	if (s->nitems > first_new && s->nitems - s->head > 1)
		items_sort(
		    s->items + s->head, s->nitems - s->head, r->q->order);
	return STEP_OK;
}

/* Moves the position past the page just taken. */
static void
advance(struct stream *s, const struct uppage *pg)
{
	int64_t pos = s->f.pos.page;

	if (!s->page_style) {
		if (pg->last || pg->n == 0 || pg->next.token == NULL)
			s->exhausted = true;
		else
			s->token = pg->next.token;
	} else if (s->backward) {
		s->next_offset = s->total - (pos - s->base) * s->per_page;
		if (s->next_offset > s->total)
			s->next_offset = s->total;
		if (pos <= s->base || pg->n == 0)
			s->exhausted = true;
		else
			s->page = pos - 1;
	} else {
		s->next_offset = (pos - s->base) * s->per_page + (int64_t)pg->n;
		if (pg->last || pg->n == 0 ||
		    (pg->last_page >= 0 && pos >= pg->last_page))
			s->exhausted = true;
		else
			s->page = pos + 1;
	}
}

enum step
stream_take(struct walk *r, struct stream *s, struct uppage *pg)
{
	bool past_horizon = false;

	if (s->win.on)
		return window_take(r, s, pg);
	/* Page styles compare the new total with the old one. */
	if (pg->has_total && !s->page_style) {
		s->total = pg->total;
		s->total_known = true;
	}
	if (check_stuck(s, pg))
		return STEP_OK;
	if (s->page_style && take_page_totals(s, pg))
		return STEP_OK;
	s->looked++;
	move_frontier(s, r->q->order, pg);
	if (stream_buffer(r, s, pg, &past_horizon) != STEP_OK)
		return STEP_INTERNAL;
	if (s->failed)
		return STEP_OK; /* past the deadline */
	advance(s, pg);
	if (past_horizon)
		s->exhausted = true;
	if (s->exhausted)
		s->has_frontier = false;
	return STEP_OK;
}

/* Token, keyset and page styles: the earliest page holding an unemitted
 * record, or the next one. */
static void
resume_position(const struct stream *s, struct cursor_pos *cp)
{
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
}

void
stream_resume(const struct stream *s, struct cursor_pos *cp)
{
	memset(cp, 0, sizeof(*cp));
	cp->index = s->qidx;
	cp->started = true;
	if (s->win.on)
		window_resume(s, cp);
	else
		resume_position(s, cp);
	if (s->own_wm) {
		cp->own_wm = true;
		cp->own_wm_has_time = s->has_wm && s->wm.has_time;
		cp->own_wm_time = s->has_wm ? s->wm.time : 0;
		cp->own_wm_id = s->has_wm ? s->wm.id : NULL;
	}
}
