/*
 * Planning a /calls request: which providers the caller may read and
 * asked for, in name order, and per provider which filters go upstream,
 * which are checked here, and which it cannot honour at all (the request
 * is refused rather than answered wrong).  Writes no response: a refusal
 * comes back as the problem to answer.
 */
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "buf.h"
#include "calls_int.h"
#include "conf.h"
#include "cursor.h"
#include "filter.h"
#include "query.h"

static int
provider_cmp(const void *x, const void *y)
{
	const struct stream *a = x, *b = y;

	return strcmp(a->pc->name, b->pc->name);
}

/* The streams of the query's providers, or of every readable one. */
static enum step
pick_providers(
    struct walk *r, const struct config *c, uint64_t mask, struct problem *pb)
{
	const struct query *q = r->q;
	size_t i, idx;

	/* room for a second walk of each */
	r->s = arena_calloc(r->a, 2 * c->nproviders, sizeof(*r->s));
	if (r->s == NULL)
		return STEP_INTERNAL;
	if (q->providers.n == 0) {
		for (i = 0; i < c->nproviders; i++)
			if (mask & (UINT64_C(1) << i))
				r->s[r->ns++].cfg = i;
	} else {
		for (i = 0; i < q->providers.n; i++) {
			if (conf_provider(c, q->providers.v[i], &idx) == NULL ||
			    !(mask & (UINT64_C(1) << idx))) {
				pb->code = CN_UNKNOWN_PROVIDER;
				pb->detail = arena_printf(r->a,
				    "provider '%s' is not configured or not "
				    "readable",
				    q->providers.v[i]);
				return STEP_FAILED;
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
	return STEP_OK;
}

/*
 * A kind whose pushed-down filters cannot reach some records walks a
 * second time for them (driver.walks): one more stream per such
 * provider, after all the first ones, so that the first walks keep the
 * provider's index in the sorted list (the cursor's positions and its
 * watermark name streams by index).
 */
enum step
plan_second_walks(struct walk *r, struct problem *pb)
{
	size_t i, n = r->ns;

	for (i = 0; i < n; i++) {
		const struct stream *s = &r->s[i];
		struct stream *t;
		if (s->d->walks == NULL || s->d->walks(r->q, &s->plan) < 2)
			continue;
		/* the cursor and the merge hold 64 streams */
		if (r->ns == CURSOR_MAX_PROVIDERS) {
			pb->code = CN_INVALID_ARGUMENT;
			pb->detail = "these providers need more walks than one "
			             "request runs (64); narrow 'provider'";
			return STEP_FAILED;
		}
		t = &r->s[r->ns];
		*t = *s;
		t->walk = 1;
		t->qidx = (uint8_t)r->ns;
		t->first = i;
		r->ns++;
	}
	return STEP_OK;
}

const struct stream *
stream_second(const struct walk *r, const struct stream *s)
{
	size_t i;

	if (s->walk != 0)
		return NULL;
	for (i = 0; i < r->ns; i++)
		if (r->s[i].walk != 0 && &r->s[r->s[i].first] == s)
			return &r->s[i];
	return NULL;
}

enum step
plan_streams(struct walk *r, const struct config *c, const char *remote_user,
    struct problem *pb)
{
	uint64_t mask;
	size_t i;
	struct buf detail;
	bool refused = false;
	enum step st;

	if (conf_access(c, remote_user, &mask) < 0) {
		pb->code = CN_ACCESS_DENIED;
		pb->detail = "this server requires an authenticated user";
		return STEP_FAILED;
	}
	/* Not an empty page: that would read as "no calls". */
	if (c->has_access && mask == 0) {
		pb->code = CN_ACCESS_DENIED;
		pb->detail = "this user may read no provider (no [access] "
		             "line of its own and no '*' line)";
		return STEP_FAILED;
	}
	st = pick_providers(r, c, mask, pb);
	if (st != STEP_OK)
		return st;
	buf_init(&detail, 4096);
	buf_adds(&detail, "filters not supported:");
	for (i = 0; i < r->ns; i++) {
		struct stream *s = &r->s[i];
		s->qidx = (uint8_t)i;
		s->first = i;
		filter_plan(s->d, r->q, &s->plan);
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
	st = refused ? STEP_OK : plan_second_walks(r, pb);
	if (refused) {
		buf_adds(&detail, "; narrow 'provider' to the others");
		pb->code = CN_UNSUPPORTED_FILTER;
		pb->detail = arena_strdup(r->a, buf_cstr(&detail));
		st = STEP_FAILED;
	}
	buf_free(&detail);
	return st;
}
