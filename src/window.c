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
 * The size of a window adapts: a window whose page does not end it
 * holds more than the pages read so far and is narrowed (what it read
 * is dropped), an empty or half-empty one makes the next twice as wide.
 * A window of a second or less is not narrowed, nor while its pages
 * reach no lower than its end (they hold what a superset adds above
 * it): those are read on, page by page.  A page that reaches below the
 * window's start ends it.  Without
 * started_after the walk first looks for the bottom of the history: the
 * window (-inf, hi) moves twice as far below the top each time its
 * first page is full, until one holds less than a page.
 *
 * The cursor keeps the window (lo, hi, the next width); a window is
 * always read again from its first page.
 *
 * Windows are of order times (stream_key), handed to the driver as the
 * started_at range it pushes as a superset.  For a creation-order kind
 * the order time is started_at for every call that keeps the lag, and
 * its driver asks what can start in the window (created up to the lag
 * before it, or its own start-time filter); a page's calls created
 * earlier than the lag below the window's start end it.  Pure, like
 * stream.c.
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

/* A record's place in the windows: its order time; false when it has
 * none. */
static bool
coord(const struct stream *s, const struct call *c, int64_t *t)
{
	struct key k = stream_key(s, c);

	*t = k.time;
	return k.has_time;
}

/*
 * The walk's end, exclusive: started_before, or just past the horizon.
 * Calls that started later are not walked, and a creation-order call
 * sorts no later than it started: nothing above the horizon is asked
 * for (calls created while the walk goes on would fill those pages).
 */
static int64_t
walk_top(const struct walk *r, const struct stream *s)
{
	int64_t top = sat_add(r->horizon, 1);

	(void)s;
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
	/* a creation-order kind's windows bring back calls created up to
	 * the lag below them, dropped here: the largest pages */
	if (size > s->d->max_page_size || s->d->creation_order)
		size = s->d->max_page_size;
	s->f.page_size = size;
	s->last_size = size;
	s->f.after.set = s->win.lo_set;
	s->f.after.v = s->win.lo_set ? s->win.lo : 0;
	s->f.before.set = true;
	s->f.before.v = s->win.hi;
}

bool
window_holds(const struct stream *s, const struct call *c)
{
	int64_t t;

	return coord(s, c, &t) && (!s->win.lo_set || t >= s->win.lo) &&
	    t < s->win.hi;
}

/*
 * How far down the list a page reached: nothing the provider lists
 * after it sorts above the returned bound (the oldest start time on the
 * page; creation order: the oldest creation time plus the lag).  False
 * when the page holds no dated record.
 */
static bool
page_bound(const struct stream *s, const struct uppage *pg, int64_t *b)
{
	bool any = false;
	size_t i;

	for (i = 0; i < pg->n; i++) {
		struct key k = stream_bound(s, &pg->calls[i], ORDER_DESC);
		if (k.has_time && (!any || k.time < *b)) {
			*b = k.time;
			any = true;
		}
	}
	return any;
}

/*
 * A page of the window did not end it, and every record of the window
 * above b was on it: the window holds more than the pages read so far.
 * True when it was narrowed below b's neighbourhood (the page is not
 * taken); false when it cannot be and is read on, page by page.
 */
static bool
narrow(struct stream *s, int64_t b)
{
	struct window *w = &s->win;
	int64_t span, est, width;

	/* Nothing of the window below what the page shows is known yet
	 * when the page reached no lower than the window's end: what fills
	 * it lies above (the superset of a coarse bound, or a walk whose
	 * filters cannot bound time at all), and a narrower window would
	 * bring the same page back.  Read on through the window instead. */
	if (b >= w->hi)
		return false;
	if (!w->lo_set) {
		/* twice as far below the top as this page reached */
		int64_t d = sat_sub(w->top, b);
		if (d <= 0 || sat_sub(b, d) <= WINDOW_FLOOR)
			return false;
		w->width =
		    sat_sub(w->hi, b) / 2 > 0 ? sat_sub(w->hi, b) / 2 : 1;
		w->hi = b - d;
		return true;
	}
	/* Not below a second: kinds with whole-second bounds ask for the
	 * same seconds whatever happens inside one */
	span = sat_sub(w->hi, w->lo);
	if (span <= WINDOW_MIN)
		return false;
	/* as wide as held half a page up there, but at least a sixteenth
	 * and at most half of the window */
	est = b > w->lo ? sat_sub(w->hi, b) / 2 : span / 2;
	width = est > span / 2 ? span / 2 : est;
	if (width < span / 16)
		width = span / 16;
	if (width < WINDOW_MIN)
		width = WINDOW_MIN;
	w->hi = w->lo + width;
	w->width = width;
	return true;
}

/* The records of the window being read are dropped when it narrows
 * (they are read again in the narrower one); the others keep their
 * order. */
static void
drop_window_items(struct stream *s)
{
	size_t i, n = s->head;
	int64_t t;

	for (i = s->head; i < s->nitems; i++)
		if (!coord(s, s->items[i].c, &t) ||
		    (s->win.lo_set && t < s->win.lo))
			s->items[n++] = s->items[i];
	s->nitems = n;
}

/* The window is read to its end: the next one starts at its end. */
static void
next_window(struct stream *s)
{
	struct window *w = &s->win;

	w->lo_set = true;
	w->lo = w->hi;
	w->narrowed_by = NULL;
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
	bool past = false, reached, inside = false;
	int64_t b = 0;
	size_t i;

	if (s->token != NULL && pg->next.token != NULL && !pg->last &&
	    strcmp(pg->next.token, s->token) == 0) {
		stream_fail(s, CN_PROVIDER_PAGINATION_STUCK, 0,
		    "the provider returned the token it was given");
		return STEP_OK;
	}
	reached = page_bound(s, pg, &b);
	for (i = 0; i < pg->n; i++)
		if (window_holds(s, &pg->calls[i]))
			inside = true;
	/* the page reached below the window: every record of it was read */
	if (reached && s->win.lo_set && b < s->win.lo)
		complete = true;
	/* a narrower window whose page starts with the same record did not
	 * narrow what the provider was asked (a walk whose filters cannot
	 * bound time): read on instead of narrowing again */
	if (!complete && reached && s->win.narrowed_by != NULL && pg->n > 0 &&
	    strcmp(pg->calls[0].native_id, s->win.narrowed_by) == 0)
		reached = false;
	/* a page with nothing of the window (a creation-order kind's pages
	 * reach the lag below it; a superset's spill) is no sign that the
	 * window is too wide: a narrower one brings the same calls back */
	if (!complete && !inside)
		reached = false;
	if (!complete && reached && narrow(s, b)) {
		s->win.narrowed_by = pg->calls[0].native_id;
		drop_window_items(s);
		s->token = NULL;
		s->win.seen = 0;
		return STEP_OK;
	}
	s->looked++;
	for (i = 0; i < pg->n; i++)
		if (window_holds(s, &pg->calls[i]))
			s->win.seen++;
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
		/* read again from the lowest window a buffered record came
		 * from (creation order: not always the head's) */
		const struct item *it = &s->items[s->head];
		size_t i;
		for (i = s->head + 1; i < s->nitems; i++)
			if (it->src_lo_set &&
			    (!s->items[i].src_lo_set ||
			        s->items[i].src_lo < it->src_lo))
				it = &s->items[i];
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
		/* A window is always read again from its start: a request
		 * that ends inside one leaves the same cursor whatever page
		 * it reached, so a window that outlasts the budget is seen
		 * as a stall (larger pages, then the loud stop) rather than
		 * a walk that moves between two pages of it for ever. */
		cp->token = NULL;
	}
	/* larger pages only until the walk moves past where it stalled */
	if (s->min_page > 0 && cp->win_lo_set == w->init_lo_set &&
	    cp->win_lo == (w->init_lo_set ? w->init_lo : 0))
		cp->per_page = s->min_page;
}
