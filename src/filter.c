#include "filter.h"

#include <stdlib.h>
#include <string.h>

#include "ascii.h"
#include "buf.h"
#include "provider.h"

const char *const filter_names[F__MAX] = { "status", "direction", "type",
	"agent_id", "started_after", "started_before", "min_duration_ms",
	"max_duration_ms", "phone", "q", "include_test" };

void
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

unsigned
filter_requested(const struct query *q)
{
	unsigned m = 0;

	if (q->statuses)
		m |= 1u << F_STATUS;
	if (q->directions)
		m |= 1u << F_DIRECTION;
	if (q->types)
		m |= 1u << F_TYPE;
	if (q->agent_ids.n)
		m |= 1u << F_AGENT;
	if (query_has(q, QP_STARTED_AFTER))
		m |= 1u << F_STARTED_AFTER;
	if (query_has(q, QP_STARTED_BEFORE))
		m |= 1u << F_STARTED_BEFORE;
	if (query_has(q, QP_MIN_DURATION))
		m |= 1u << F_MIN_DURATION;
	if (query_has(q, QP_MAX_DURATION))
		m |= 1u << F_MAX_DURATION;
	if (q->phones.n)
		m |= 1u << F_PHONE;
	if (q->qs.n)
		m |= 1u << F_Q;
	if (!q->include_test)
		m |= 1u << F_INCLUDE_TEST;
	return m;
}

void
filter_plan(const struct driver *d, const struct query *q, struct plan *p)
{
	memset(p, 0, sizeof(*p));
	d->plan(q, p);
	/* Contradictory bounds match nothing, at any provider: ask none. */
	if ((query_has(q, QP_STARTED_AFTER) &&
	        query_has(q, QP_STARTED_BEFORE) &&
	        q->started_after >= q->started_before) ||
	    (query_has(q, QP_MIN_DURATION) && query_has(q, QP_MAX_DURATION) &&
	        q->min_duration > q->max_duration))
		p->empty = true;
	p->requested = filter_requested(q);
	p->pushed &= p->requested;
	p->exact &= p->pushed;
	if (!d->has_test_flag)
		p->noop |= 1u << F_INCLUDE_TEST;
	p->noop &= p->requested;
	/* what cannot exclude anything is not checked, nor reported */
	p->local = p->requested & d->can_check & ~p->noop;
	p->unsupported = p->requested & ~(p->pushed | p->local | p->noop);
}

static bool
set_has(const struct strset *s, const char *v)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (strcmp(s->v[i], v) == 0)
			return true;
	return false;
}

static bool
contains_any(const struct strset *s, const char *hay)
{
	size_t i;

	if (hay == NULL)
		return false;
	for (i = 0; i < s->n; i++)
		if (strstr(hay, s->v[i]) != NULL)
			return true;
	return false;
}

/*
 * Knuth-Morris-Pratt over ASCII-folded bytes: the text is read once,
 * never backed up, so a transcript costs O(text + needle) comparisons
 * whatever the needle is (a naive scan costs text x needle on "aaa...ab").
 */
bool
filter_icontains(const char *hay, const char *needle, size_t *steps)
{
	const unsigned char *h = (const unsigned char *)hay;
	unsigned char nd_small[FILTER_MAX_NEEDLE], *nd = nd_small;
	size_t next_small[FILTER_MAX_NEEDLE], *next = next_small;
	size_t n, i, k, st = 0;
	bool hit = false;

	if (steps != NULL)
		*steps = 0;
	n = strlen(needle);
	if (n == 0)
		return true;
	if (n > FILTER_MAX_NEEDLE) {
		/* Query values are shorter; only other callers get here. */
		nd = malloc(n);
		next = malloc(n * sizeof(*next));
		if (nd == NULL || next == NULL) {
			free(nd);
			free(next);
			return filter_icontains_naive(hay, needle);
		}
	}
	for (i = 0; i < n; i++)
		nd[i] = ascii_lower((unsigned char)needle[i]);
	/* next[i]: length of the longest proper border of nd[0..i]. */
	next[0] = 0;
	for (i = 1, k = 0; i < n; i++) {
		while (k > 0 && nd[i] != nd[k])
			k = next[k - 1];
		if (nd[i] == nd[k])
			k++;
		next[i] = k;
	}
	/* Each step either reads a new text byte or shortens the match,
	 * which only ever grew one per byte: at most 2 x strlen(hay). */
	for (k = 0; *h != '\0'; h++) {
		unsigned char c = ascii_lower(*h);
		st++;
		while (k > 0 && c != nd[k]) {
			k = next[k - 1];
			st++;
		}
		if (c == nd[k] && ++k == n) {
			hit = true;
			break;
		}
	}
	if (nd != nd_small) {
		free(nd);
		free(next);
	}
	if (steps != NULL)
		*steps = st;
	return hit;
}

/* The obvious quadratic search: the reference the tests compare with. */
bool
filter_icontains_naive(const char *hay, const char *needle)
{
	size_t n = strlen(needle), i;
	const char *h;

	if (n == 0)
		return true;
	for (h = hay; *h != '\0'; h++) {
		for (i = 0; i < n && h[i] != '\0'; i++)
			if (ascii_lower((unsigned char)h[i]) !=
			    ascii_lower((unsigned char)needle[i]))
				break;
		if (i == n)
			return true;
	}
	return false;
}

bool
filter_match(const struct query *q, unsigned m, const struct call *c)
{
	size_t i;
	bool hit;

	if ((m & (1u << F_STATUS)) && !(q->statuses & (1u << c->status)))
		return false;
	if ((m & (1u << F_DIRECTION)) &&
	    (c->direction == DIR_NULL ||
	        !(q->directions & (1u << c->direction))))
		return false;
	if ((m & (1u << F_TYPE)) &&
	    (c->type == TYPE_NULL || !(q->types & (1u << c->type))))
		return false;
	if ((m & (1u << F_AGENT)) &&
	    (c->agent_id == NULL || !set_has(&q->agent_ids, c->agent_id)))
		return false;
	/* A call with no known start matches no time bound. */
	if ((m & (1u << F_STARTED_AFTER)) &&
	    (!c->started_at.set || c->started_at.v < q->started_after))
		return false;
	if ((m & (1u << F_STARTED_BEFORE)) &&
	    (!c->started_at.set || c->started_at.v >= q->started_before))
		return false;
	if ((m & (1u << F_MIN_DURATION)) &&
	    (!c->duration_ms.set || c->duration_ms.v < q->min_duration))
		return false;
	if ((m & (1u << F_MAX_DURATION)) &&
	    (!c->duration_ms.set || c->duration_ms.v > q->max_duration))
		return false;
	if ((m & (1u << F_PHONE)) && !contains_any(&q->phones, c->from) &&
	    !contains_any(&q->phones, c->to))
		return false;
	if ((m & (1u << F_Q)) && c->transcript != NULL) {
		for (hit = false, i = 0; i < q->qs.n && !hit; i++)
			hit = filter_icontains(c->transcript, q->qs.v[i], NULL);
		if (!hit)
			return false;
	}
	if ((m & (1u << F_INCLUDE_TEST)) && c->is_test == 1)
		return false;
	return true;
}
