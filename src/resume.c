/*
 * Where the next page starts: each provider's position in the cursor,
 * the stall that makes a cursor lead back to itself, and positions too
 * long for one cursor.  Pure, like the stream it reads.
 */
#include <stdio.h>
#include <string.h>

#include "calls_int.h"
#include "conf.h"
#include "cursor.h"
#include "query.h"

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

/* Fills next with where the next page starts (but its issue time and
 * query hash). */
void
walk_resume(struct walk *wk, const struct cursor *cur, struct cursor *next)
{
	size_t i;

	memset(next, 0, sizeof(*next));
	next->horizon = wk->horizon;
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
		keep_failed_place(&wk->s[i], cur);
		stream_resume(&wk->s[i], &next->pos[next->npos++]);
	}
}

static bool
same_pos(const struct cursor_pos *a, const struct cursor_pos *b)
{
	return a->state == b->state && a->offset == b->offset &&
	    a->per_page == b->per_page && a->win == b->win &&
	    a->win_lo_set == b->win_lo_set && a->win_lo == b->win_lo &&
	    a->win_hi == b->win_hi &&
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
bool
walk_stalled(struct walk *r, const struct cursor *cur, struct cursor *next)
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
		    s->d->creation_order
		        ? "more calls share one start time, or were created "
		          "within start_lag_ms, than max_upstream_requests "
		          "pages of the largest size hold; raise "
		          "max_upstream_requests"
		        : "more calls share one start time than "
		          "max_upstream_requests pages of the largest size "
		          "hold; raise max_upstream_requests");
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
void
walk_cursor_too_long(struct walk *r, const struct cursor *next)
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
