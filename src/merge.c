/*
 * The k-way merge: it emits the smallest head whenever no stream could
 * still produce something smaller.  A stream's lower bound is its
 * frontier, the start time of the last record it returned; a stream
 * with no frontier yet (nothing fetched) holds everything back.
 */
#include <stdlib.h>
#include <string.h>

#include "calls_int.h"
#include "conf.h"
#include "query.h"

/* -1, 0, 1: a before, equal to, after b in the requested order.  Ties
 * on started_at go by provider then native id, ascending either way. */
int
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

struct key
call_key(const struct call *c)
{
	struct key k = { c->started_at.set, c->started_at.v, c->provider,
		c->native_id };
	return k;
}

/*
 * A creation-order call that matches started_after but started more
 * than the lag after its creation, or one created after its start, can
 * have an order time outside the walk's range: it is kept inside, so it
 * sorts where both orders and every window find it (at the range's
 * end).  Monotonic, so the frontiers stay bounds.
 */
static struct key
clamp_key(const struct stream *s, struct key k)
{
	if (k.has_time && k.time < s->key_lo)
		k.time = s->key_lo;
	if (k.has_time && k.time > s->key_hi)
		k.time = s->key_hi;
	return k;
}

struct key
stream_key(const struct stream *s, const struct call *c)
{
	struct key k = call_key(c);
	int64_t lag = s->pc->start_lag_ms, t;

	if (!s->d->creation_order || !c->created_at.set || !k.has_time)
		return k;
	t = k.time > c->created_at.v ? k.time : c->created_at.v;
	/* the lag is at most a configured number of ms; a creation time
	 * near the end of int64_t keeps its own value */
	if (c->created_at.v <= INT64_MAX - lag && t > c->created_at.v + lag)
		t = c->created_at.v + lag;
	k.time = t;
	return clamp_key(s, k);
}

struct key
stream_bound(const struct stream *s, const struct call *c, enum order o)
{
	struct key k = stream_key(s, c);
	int64_t lag = s->pc->start_lag_ms;

	if (!s->d->creation_order || !c->created_at.set)
		return k;
	k.has_time = true;
	k.time = c->created_at.v;
	if (o == ORDER_DESC && c->created_at.v <= INT64_MAX - lag)
		k.time += lag;
	return clamp_key(s, k);
}

/* qsort_r's context carries the order: requests on other threads sort
 * at the same time, in the other order. */
static int
item_cmp(const void *x, const void *y, void *order)
{
	return key_cmp(*(const enum order *)order, &((const struct item *)x)->k,
	    &((const struct item *)y)->k);
}

void
items_sort(struct item *v, size_t n, enum order o)
{
	qsort_r(v, n, sizeof(*v), item_cmp, &o);
}

/* The best head among streams, or NULL. */
static struct stream *
best_head(const struct walk *r)
{
	struct stream *best = NULL;
	struct key kb, k;
	size_t i;

	for (i = 0; i < r->ns; i++) {
		struct stream *s = &r->s[i];
		if (s->failed || s->head >= s->nitems)
			continue;
		k = s->items[s->head].k;
		if (best == NULL || key_cmp(r->q->order, &k, &kb) < 0) {
			best = s;
			kb = k;
		}
	}
	return best;
}

/* True when s may still produce a record sorting before k. */
static bool
blocks(const struct walk *r, const struct stream *s, const struct key *k)
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
	return key_cmp(r->q->order, k, &lb) >= 0;
}

static void
emit(struct walk *r, struct stream *s)
{
	struct item *it = &s->items[s->head++];

	r->out[r->nout++] = *it;
	r->has_wm = true;
	r->wm = it->k;
	s->emitted_any = true;
	s->last_emit = r->wm;
	if (s->own_wm) {
		s->wm = r->wm;
		s->has_wm = true;
	}
}

/*
 * Emits heads until the page is full, every stream is drained, or some
 * stream may still hold something earlier than the best head: those
 * streams (or, with no head at all, every live stream) are set in
 * *need, to be fetched before the merge goes on.
 */
enum merge_state
merge_step(struct walk *r, uint64_t *need)
{
	struct stream *b;
	struct key k;
	size_t i;
	bool blocked;

	*need = 0;
	while (r->nout < (size_t)r->q->limit) {
		b = best_head(r);
		blocked = false;
		if (b == NULL) {
			for (i = 0; i < r->ns; i++)
				if (!r->s[i].failed && !r->s[i].exhausted)
					blocked = true;
			if (!blocked)
				return MERGE_DRAINED;
			break;
		}
		k = b->items[b->head].k;
		for (i = 0; i < r->ns && !blocked; i++)
			blocked = blocks(r, &r->s[i], &k);
		if (blocked)
			break;
		/* a provider's two walks can both hold one record */
		if (r->has_wm && key_cmp(r->q->order, &k, &r->wm) == 0) {
			b->head++;
			continue;
		}
		emit(r, b);
	}
	if (r->nout >= (size_t)r->q->limit)
		return MERGE_FULL;
	b = best_head(r);
	if (b != NULL)
		k = b->items[b->head].k;
	for (i = 0; i < r->ns; i++) {
		const struct stream *s = &r->s[i];
		if (!s->failed && !s->exhausted &&
		    (b == NULL ? s->head >= s->nitems : blocks(r, s, &k)))
			*need |= UINT64_C(1) << i;
	}
	return MERGE_NEED;
}
