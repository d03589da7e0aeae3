/*
 * Windowed walks: order=asc from a kind that lists newest first only
 * but takes time bounds (driver.windows).
 *
 * The walk reads one time window [lo, hi) at a time, newest first,
 * until the provider says the window has no more pages; only then is
 * every record that sorts inside it known, and the window is emitted in
 * ascending order (the stream's frontier moves to hi) and the next one
 * starts at hi.  Drivers push the bounds as supersets (whole seconds,
 * whole days): each record is re-checked against the window here, and
 * what falls outside is read again in its own window.
 *
 * The size of a window adapts: a window whose first page does not end
 * it holds more than a page and is narrowed (the page is dropped), an
 * empty or half-empty one makes the next twice as wide.  A window of
 * a second or less is not narrowed, nor one whose first page holds
 * nothing of it (only what a superset adds around it): those are read
 * page by page.  Without
 * started_after the walk first looks for the bottom of the history: the
 * window (-inf, hi) moves twice as far below the top each time its
 * first page is full, until one holds less than a page.
 *
 * The cursor keeps the window (lo, hi, the next width) and, inside a
 * window with nothing buffered, the provider's token.  Times here are
 * order times (stream_key): for creation-order kinds the windows are
 * started_at windows in that sense, which their drivers translate into
 * creation-time bounds.  Pure, like stream.c.
 */
#include <stdint.h>
#include <string.h>

#include "calls_int.h"
#include "conf.h"
#include "cursor.h"
#include "query.h"

/* 0000-01-01T00:00:00Z: the search for the oldest call stops there. */
#define WINDOW_FLOOR (-62167219200000LL)
/* The narrowest a window is narrowed to, ms. */
#define WINDOW_MIN 1000

static int64_t
sat_add(int64_t a, int64_t b)
{
	int64_t v;

	if (!__builtin_add_overflow(a, b, &v))
		return v;
	return b > 0 ? INT64_MAX : INT64_MIN;
}

static int64_t
sat_sub(int64_t a, int64_t b)
{
	int64_t v;

	if (!__builtin_sub_overflow(a, b, &v))
		return v;
	return b < 0 ? INT64_MAX : INT64_MIN;
}

/*
 * The walk's end, exclusive: started_before, or just past the horizon.
 * A creation-order call created by the horizon can have an order time
 * up to the lag later (one that started before it was created): those
 * few windows are read too, and the horizon check drops what started
 * after it.
 */
static int64_t
walk_top(const struct walk *r, const struct stream *s)
{
	int64_t top = r->horizon;

	if (s->d->creation_order)
		top = sat_add(top, s->pc->start_lag_ms);
	top = sat_add(top, 1);
	if (query_has(r->q, QP_STARTED_BEFORE) && r->q->started_before < top)
		top = r->q->started_before;
	return top;
}

/* Nothing this stream returns later sorts before the window's start. */
static void
set_frontier(struct stream *s)
{
	s->has_frontier = s->win.lo_set;
	s->frontier_has_time = true;
	s->frontier = s->win.lo;
}

void
window_init(const struct walk *r, struct stream *s, const struct cursor_pos *cp)
{
	struct window *w = &s->win;

	if (!w->on)
		return;
	/* a provider's total counts one window, not the query */
	s->total_known = false;
	s->total = -1;
	w->top = walk_top(r, s);
	if (cp != NULL && cp->started && cp->win) {
		w->lo_set = cp->win_lo_set;
		w->lo = cp->win_lo;
		w->hi = cp->win_hi < w->top ? cp->win_hi : w->top;
		w->width = cp->win_width;
	} else {
		/* a cursor without a window (none is written) starts over;
		 * the watermark skips what was emitted */
		s->token = NULL;
		w->lo_set = query_has(r->q, QP_STARTED_AFTER);
		w->lo = w->lo_set ? r->q->started_after : 0;
		w->hi = w->top;
		w->width = w->lo_set ? sat_sub(w->top, w->lo) : 0;
	}
	w->init_lo_set = w->lo_set;
	w->init_lo = w->lo;
	w->seen = 0;
	if (w->lo_set && w->lo >= w->hi)
		s->exhausted = true;
	if (!s->exhausted)
		set_frontier(s);
}

void
window_aim(const struct walk *r, struct stream *s)
{
	int size = s->per_page;

	(void)r;
	if (size < s->min_page)
		size = s->min_page;
	if (size > s->d->max_page_size)
		size = s->d->max_page_size;
	s->f.page_size = size;
	s->last_size = size;
	s->f.after.set = s->win.lo_set;
	s->f.after.v = s->win.lo_set ? s->win.lo : 0;
	s->f.before.set = true;
	s->f.before.v = s->win.hi;
}

bool
window_holds(const struct stream *s, const struct key *k)
{
	return k->has_time && (!s->win.lo_set || k->time >= s->win.lo) &&
	    k->time < s->win.hi;
}

/*
 * The first page of a window did not end it: the window holds more than
 * a page.  True when it was narrowed (the page is not taken); false when
 * it cannot be and is read page by page.
 */
static bool
narrow(struct stream *s, const struct uppage *pg)
{
	struct window *w = &s->win;
	int64_t t = INT64_MAX, span, est, width;
	size_t i;

	/* the oldest order time the page reached inside the window: the
	 * page holds every record of the window above it */
	for (i = 0; i < pg->n; i++) {
		struct key k = stream_key(s, &pg->calls[i]);
		if (window_holds(s, &k) && k.time < t)
			t = k.time;
	}
	/* Nothing of the window on the page: what fills it lies outside
	 * (the superset of a coarse bound, or a walk whose filters cannot
	 * bound time at all), and a narrower window would bring the same
	 * page back.  Read on through the window instead. */
	if (t == INT64_MAX)
		return false;
	if (!w->lo_set) {
		int64_t d;
		/* twice as far below the top as this page reached */
		d = sat_sub(w->top, t);
		if (d <= 0 || sat_sub(t, d) <= WINDOW_FLOOR)
			return false;
		w->width =
		    sat_sub(w->hi, t) / 2 > 0 ? sat_sub(w->hi, t) / 2 : 1;
		w->hi = t - d;
		return true;
	}
	/* Not below a second: kinds with whole-second bounds ask for the
	 * same seconds whatever happens inside one */
	span = sat_sub(w->hi, w->lo);
	if (span <= WINDOW_MIN)
		return false;
	/* as wide as held half a page up there, but at least a sixteenth
	 * and at most half of the window */
	est = t > w->lo ? sat_sub(w->hi, t) / 2 : span / 2;
	width = est > span / 2 ? span / 2 : est;
	if (width < span / 16)
		width = span / 16;
	if (width < WINDOW_MIN)
		width = WINDOW_MIN;
	w->hi = w->lo + width;
	w->width = width;
	return true;
}

/* The window is read to its end: the next one starts at its end. */
static void
next_window(struct stream *s)
{
	struct window *w = &s->win;

	w->lo_set = true;
	w->lo = w->hi;
	s->token = NULL;
	if (w->width <= 0)
		w->width = sat_sub(w->top, w->lo);
	/* empty or half empty: twice as wide */
	if (w->seen <= s->last_size / 2)
		w->width = sat_add(w->width, w->width);
	w->hi = sat_add(w->lo, w->width) < w->top ? w->lo + w->width : w->top;
	w->seen = 0;
	if (w->lo >= w->top) {
		s->exhausted = true;
		s->has_frontier = false;
		return;
	}
	set_frontier(s);
}

enum step
window_take(struct walk *r, struct stream *s, struct uppage *pg)
{
	bool complete = pg->last || pg->n == 0 || pg->next.token == NULL;
	bool past = false;
	size_t i;

	if (s->token != NULL && pg->next.token != NULL && !pg->last &&
	    strcmp(pg->next.token, s->token) == 0) {
		stream_fail(s, CN_PROVIDER_PAGINATION_STUCK, 0,
		    "the provider returned the token it was given");
		return STEP_OK;
	}
	if (!complete && s->token == NULL && narrow(s, pg))
		return STEP_OK;
	s->looked++;
	for (i = 0; i < pg->n; i++) {
		struct key k = stream_key(s, &pg->calls[i]);
		if (window_holds(s, &k))
			s->win.seen++;
	}
	if (stream_buffer(r, s, pg, &past) != STEP_OK)
		return STEP_INTERNAL;
	if (s->failed)
		return STEP_OK; /* past the deadline */
	if (!complete) {
		s->token = pg->next.token;
		return STEP_OK;
	}
	next_window(s);
	return STEP_OK;
}

void
window_resume(const struct stream *s, struct cursor_pos *cp)
{
	const struct window *w = &s->win;

	cp->win = true;
	cp->total = -1;
	cp->win_width = w->width;
	if (s->head < s->nitems) {
		/* the buffer is in order, so its head came from the lowest
		 * window not yet emitted in full: read it again */
		const struct item *it = &s->items[s->head];
		cp->state = s->failed ? PS_FAILED : PS_ACTIVE;
		cp->win_lo_set = it->src_lo_set;
		cp->win_lo = it->src_lo_set ? it->src_lo : 0;
		cp->win_hi = it->src_hi;
		cp->token = NULL;
	} else {
		cp->state = s->failed ? PS_FAILED
		    : s->exhausted    ? PS_DONE
		                      : PS_ACTIVE;
		cp->win_lo_set = w->lo_set;
		cp->win_lo = w->lo_set ? w->lo : 0;
		cp->win_hi = w->hi;
		cp->token = s->token;
	}
	/* larger pages only until the walk moves past where it stalled */
	if (s->min_page > 0 && cp->win_lo_set == w->init_lo_set &&
	    cp->win_lo == (w->init_lo_set ? w->init_lo : 0))
		cp->per_page = s->min_page;
}
