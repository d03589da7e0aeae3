/*
 * The paging core without sockets: every tests/data/merge/<case>.json
 * gives a query, its providers (paging style, native orders, largest
 * page), an incoming cursor's positions if any, and each provider's
 * upstream pages in the order they arrive, already decoded.  The test
 * drives stream and merge as the fan-out does, serving the next page of
 * a provider whenever the merge asks for it, then checks the emitted
 * records, has_more, each provider's resume position and failures.
 *
 * A provider may instead hold "records" (its whole list, [id, started_at,
 * created_at] in seconds): the fake then answers every fetch from them
 * as a newest-first API with time bounds would (kinds with "windows"),
 * by start time or, with "creation_order", by creation time with the
 * bounds translated as such drivers do (after - lag, before).  With
 * "granularity" the bounds are widened to whole units and one more on
 * each side.  "arrive" adds records after a given fetch.  With "follow"
 * the case keeps requesting with each next cursor until has_more is
 * false and checks every id the walk returned ("walk_ids").
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "arena.h"
#include "calls_int.h"
#include "conf.h"
#include "cursor.h"
#include "filter.h"
#include "provider.h"
#include "query.h"
#include "tap.h"

#define MAX_STREAMS 8

struct fake {
	struct driver d;
	struct provider_conf pc;
	json_object *pages;
	size_t next; /* the next page to serve */
	/* "walks": 2, the second walk's pages */
	json_object *pages2;
	size_t next2;
	/* a list answered from its records (see the top) */
	json_object *records, *arrive;
	/* "records2": a second walk's list, asked with no time bounds (as
	 * twilio's calls not yet dialed) */
	json_object *records2;
	int64_t granularity; /* ms */
	/* creation order with "bounds": "start": the kind filters on start
	 * times (twilio's StartTime), not on creation times (vapi's) */
	bool bounds_start;
	int nfetch;
	/* every fetch's bounds in seconds, for "fetch_log" and "never_below" */
	json_object *log;
};

static const char *
jstr(json_object *o, const char *k)
{
	json_object *v;

	if (o == NULL || !json_object_object_get_ex(o, k, &v) ||
	    json_object_is_type(v, json_type_null))
		return NULL;
	return json_object_get_string(v);
}

static int64_t
jint(json_object *o, const char *k, int64_t def)
{
	json_object *v;

	if (o == NULL || !json_object_object_get_ex(o, k, &v) ||
	    json_object_is_type(v, json_type_null))
		return def;
	return json_object_get_int64(v);
}

static bool
jbool(json_object *o, const char *k)
{
	json_object *v;

	return o != NULL && json_object_object_get_ex(o, k, &v) &&
	    json_object_get_boolean(v);
}

/* Seconds (fractions allowed) as ms. */
static int64_t
secs_ms(json_object *v)
{
	double d = json_object_get_double(v) * 1000.0;

	return (int64_t)(d < 0 ? d - 0.5 : d + 0.5);
}

/* ms as seconds: an integer when whole. */
static json_object *
ms_json(bool set, int64_t ms)
{
	if (!set)
		return NULL;
	if (ms % 1000 == 0)
		return json_object_new_int64(ms / 1000);
	return json_object_new_double((double)ms / 1000.0);
}

static enum cn_err
err_named(const char *code)
{
	int e;

	for (e = 0; e < CN_ERR__MAX && code != NULL; e++)
		if (strcmp(cn_err_code((enum cn_err)e), code) == 0)
			return (enum cn_err)e;
	return CN_INTERNAL;
}

/* Nothing is pushed down: every record the pages hold is a match. */
static void
plan_none(const struct query *q, struct plan *p)
{
	(void)q;
	(void)p;
}

static int
two_walks(const struct query *q, const struct plan *p)
{
	(void)q;
	(void)p;
	return 2;
}

static void
fake_init(struct fake *fk, json_object *pj)
{
	const char *paging = jstr(pj, "paging");
	json_object *nat;
	size_t i;

	memset(fk, 0, sizeof(*fk));
	snprintf(fk->pc.name, sizeof(fk->pc.name), "%s", jstr(pj, "name"));
	fk->d.abi = DRIVER_ABI;
	fk->d.kind = "fake";
	fk->d.paging = paging == NULL       ? PAGING_TOKEN
	    : strcmp(paging, "keyset") == 0 ? PAGING_KEYSET
	    : strcmp(paging, "page1") == 0  ? PAGING_PAGE1
	    : strcmp(paging, "page0") == 0  ? PAGING_PAGE0
	                                    : PAGING_TOKEN;
	fk->d.max_page_size = (int)jint(pj, "max_page_size", 100);
	fk->d.native_orders = 3;
	if (json_object_object_get_ex(pj, "native", &nat)) {
		fk->d.native_orders = 0;
		for (i = 0; i < json_object_array_length(nat); i++)
			fk->d.native_orders |=
			    strcmp(json_object_get_string(
			               json_object_array_get_idx(nat, i)),
			        "asc") == 0
			    ? 2u
			    : 1u;
	}
	fk->d.plan = plan_none;
	/* every filter is checked here, none pushed down */
	fk->d.can_check = ~0u;
	fk->d.windows = jbool(pj, "windows");
	if (jint(pj, "walks", 1) == 2)
		fk->d.walks = two_walks;
	json_object_object_get_ex(pj, "pages2", &fk->pages2);
	fk->d.creation_order = jbool(pj, "creation_order");
	fk->pc.start_lag_ms = jint(pj, "lag", 300) * 1000;
	fk->pc.driver = &fk->d;
	json_object_object_get_ex(pj, "pages", &fk->pages);
	json_object_object_get_ex(pj, "records", &fk->records);
	if (json_object_object_get_ex(pj, "records2", &fk->records2))
		fk->d.walks = two_walks;
	json_object_object_get_ex(pj, "arrive", &fk->arrive);
	fk->granularity = jint(pj, "granularity", 0) * 1000;
	fk->bounds_start = jstr(pj, "bounds") != NULL &&
	    strcmp(jstr(pj, "bounds"), "start") == 0;
	fk->log = json_object_new_array();
}

/* A position of the incoming cursor, from its JSON. */
static void
pos_from_json(
    struct arena *a, json_object *pj, uint8_t index, struct cursor_pos *cp)
{
	const char *st = jstr(pj, "state"), *tok = jstr(pj, "token");
	json_object *own;

	memset(cp, 0, sizeof(*cp));
	cp->index = index;
	cp->started = true;
	cp->state = st == NULL          ? PS_ACTIVE
	    : strcmp(st, "done") == 0   ? PS_DONE
	    : strcmp(st, "failed") == 0 ? PS_FAILED
	                                : PS_ACTIVE;
	cp->token = tok ? arena_strdup(a, tok) : NULL;
	cp->offset = jint(pj, "offset", 0);
	cp->total = jint(pj, "total", -1);
	cp->per_page = (int32_t)jint(pj, "per_page", 0);
	if (json_object_object_get_ex(pj, "win", &own)) {
		json_object *v;
		cp->win = true;
		cp->win_lo_set = json_object_object_get_ex(own, "lo", &v) &&
		    !json_object_is_type(v, json_type_null);
		cp->win_lo = cp->win_lo_set ? secs_ms(v) : 0;
		json_object_object_get_ex(own, "hi", &v);
		cp->win_hi = secs_ms(v);
		v = NULL;
		json_object_object_get_ex(own, "width", &v);
		cp->win_width = v ? secs_ms(v) : 0;
	}
	if (json_object_object_get_ex(pj, "own_wm", &own)) {
		const char *id = jstr(own, "id");
		cp->own_wm = true;
		cp->own_wm_has_time = jint(own, "at", -1) >= 0;
		cp->own_wm_time = jint(own, "at", 0) * 1000;
		cp->own_wm_id = id ? arena_strdup(a, id) : NULL;
	}
}

static void
cursor_from_json(struct arena *a, json_object *cj, struct fake *fk, size_t nf,
    struct cursor *cur)
{
	json_object *wm, *pos;
	size_t i, k;

	memset(cur, 0, sizeof(*cur));
	if (json_object_object_get_ex(cj, "wm", &wm)) {
		const char *p = jstr(wm, "provider");
		cur->has_wm = true;
		cur->wm_has_time = jint(wm, "at", -1) >= 0;
		cur->wm_time = jint(wm, "at", 0) * 1000;
		cur->wm_id = arena_strdup(a, jstr(wm, "id"));
		for (k = 0; k < nf; k++)
			if (p != NULL && strcmp(fk[k].pc.name, p) == 0)
				cur->wm_provider = (uint8_t)k;
	}
	if (!json_object_object_get_ex(cj, "pos", &pos))
		return;
	for (i = 0; i < json_object_array_length(pos); i++) {
		json_object *pj = json_object_array_get_idx(pos, i);
		const char *p = jstr(pj, "provider");
		/* a second walk's stream comes after every first one */
		size_t second = nf;
		for (k = 0; k < nf; k++) {
			if (p != NULL && strcmp(fk[k].pc.name, p) == 0)
				pos_from_json(a, pj,
				    (uint8_t)(jint(pj, "walk", 1) == 2 ? second
				                                       : k),
				    &cur->pos[cur->npos++]);
			if (fk[k].d.walks != NULL)
				second++;
		}
	}
}

/* The records of one page: [id, started_at seconds or null]. */
static void
page_from_json(
    struct arena *a, const struct fake *fk, json_object *pj, struct uppage *pg)
{
	json_object *ids;
	const char *next = jstr(pj, "next");
	size_t i, n = 0;

	memset(pg, 0, sizeof(*pg));
	pg->last_page = jint(pj, "last_page", -1);
	pg->per_page = (int)jint(pj, "per_page", 0);
	pg->last = jbool(pj, "last");
	pg->next.token = next ? arena_strdup(a, next) : NULL;
	pg->has_total = jint(pj, "total", -1) >= 0;
	pg->total = jint(pj, "total", 0);
	if (json_object_object_get_ex(pj, "calls", &ids))
		n = json_object_array_length(ids);
	pg->calls = arena_calloc(a, n ? n : 1, sizeof(*pg->calls));
	for (i = 0; i < n; i++) {
		json_object *r = json_object_array_get_idx(ids, i);
		json_object *t = json_object_array_get_idx(r, 1);
		struct call *c = &pg->calls[i];
		c->provider = fk->pc.name;
		c->native_id = arena_strdup(
		    a, json_object_get_string(json_object_array_get_idx(r, 0)));
		c->started_at.set =
		    t != NULL && !json_object_is_type(t, json_type_null);
		c->started_at.v = c->started_at.set ? secs_ms(t) : 0;
		t = json_object_array_get_idx(r, 2);
		c->created_at.set =
		    t != NULL && !json_object_is_type(t, json_type_null);
		c->created_at.v = c->created_at.set ? secs_ms(t) : 0;
	}
	pg->n = n;
}

/* A record's time in the fake list's order (creation or start), ms. */
static bool
rec_time(const struct fake *fk, json_object *r, int64_t *t)
{
	json_object *v =
	    json_object_array_get_idx(r, fk->d.creation_order ? 2 : 1);

	if (v == NULL || json_object_is_type(v, json_type_null))
		return false;
	*t = secs_ms(v);
	return true;
}

static int64_t
floor_to(int64_t v, int64_t g)
{
	int64_t q = v / g;

	return (v % g != 0 && v < 0 ? q - 1 : q) * g;
}

/* Whether a record comes after (time, id) newest first. */
static bool
rec_after(const struct fake *fk, json_object *r, int64_t t, const char *id)
{
	int64_t rt;
	const char *rid =
	    json_object_get_string(json_object_array_get_idx(r, 0));

	if (!rec_time(fk, r, &rt))
		return true; /* no time: the end of the list */
	return rt < t || (rt == t && strcmp(rid, id) < 0);
}

static int
rec_cmp_desc(const void *x, const void *y, void *ctx)
{
	const struct fake *fk = ctx;
	json_object *a = *(json_object *const *)x;
	json_object *b = *(json_object *const *)y;
	int64_t ta = 0, tb = 0;
	bool ha = rec_time(fk, a, &ta), hb = rec_time(fk, b, &tb);

	if (ha != hb)
		return ha ? -1 : 1;
	if (ta != tb)
		return ta > tb ? -1 : 1;
	return -strcmp(json_object_get_string(json_object_array_get_idx(a, 0)),
	    json_object_get_string(json_object_array_get_idx(b, 0)));
}

/*
 * The page a newest-first API with time bounds answers to f: the records
 * (and those arrived by now) inside the bounds, as the fixture's kind
 * pushes them, from the token ("time:id" of the last one given) on.
 */
static void
records_page(
    struct arena *a, struct fake *fk, const struct fetch *f, struct uppage *pg)
{
	json_object *all[1024], *out = json_object_new_array(), *pj;
	json_object *list = f->walk ? fk->records2 : fk->records;
	size_t n = 0, i, k;
	int64_t lo = f->after.v, hi = f->before.v, g = fk->granularity, t = 0;
	int64_t tok_t = 0;
	const char *tok_id = NULL;
	bool after = f->after.set && !f->walk,
	     before = f->before.set && !f->walk;

	if (fk->d.creation_order && !fk->bounds_start) {
		lo -= fk->pc.start_lag_ms;
	} else if (g > 0) {
		lo = floor_to(lo, g) - g;
		hi = -floor_to(-hi, g) + g;
	}
	for (i = 0; i < json_object_array_length(list) && n < 1024; i++)
		all[n++] = json_object_array_get_idx(list, i);
	for (i = 0;
	     !f->walk && fk->arrive && i < json_object_array_length(fk->arrive);
	     i++) {
		json_object *ar = json_object_array_get_idx(fk->arrive, i), *cs;
		if (jint(ar, "after_fetch", 0) >= fk->nfetch)
			continue;
		json_object_object_get_ex(ar, "calls", &cs);
		for (k = 0; k < json_object_array_length(cs) && n < 1024; k++)
			all[n++] = json_object_array_get_idx(cs, k);
	}
	qsort_r(all, n, sizeof(all[0]), rec_cmp_desc, fk);
	if (f->pos.token != NULL) {
		const char *colon = strchr(f->pos.token, ':');
		tok_t = strtoll(f->pos.token, NULL, 10);
		tok_id = colon ? colon + 1 : "";
	}
	for (i = 0, k = 0; i < n; i++) {
		bool has = rec_time(fk, all[i], &t);
		json_object *st = json_object_array_get_idx(all[i], 1);
		if (fk->bounds_start) {
			has = st != NULL &&
			    !json_object_is_type(st, json_type_null);
			t = has ? secs_ms(st) : 0;
		}
		if ((after || before) && !has)
			continue;
		if ((after && t < lo) || (before && t >= hi))
			continue;
		if (tok_id != NULL && !rec_after(fk, all[i], tok_t, tok_id))
			continue;
		if (k == (size_t)f->page_size) {
			k++; /* one more: the page is not the last */
			break;
		}
		json_object_array_add(out, json_object_get(all[i]));
		k++;
	}
	pj = json_object_new_object();
	json_object_object_add(pj, "calls", out);
	if (k > (size_t)f->page_size) {
		json_object *lr = json_object_array_get_idx(
		    out, json_object_array_length(out) - 1);
		char tok[300];
		int64_t lt = 0;
		rec_time(fk, lr, &lt);
		snprintf(tok, sizeof(tok), "%lld:%s", (long long)lt,
		    json_object_get_string(json_object_array_get_idx(lr, 0)));
		json_object_object_add(pj, "next", json_object_new_string(tok));
	} else
		json_object_object_add(pj, "last", json_object_new_boolean(1));
	page_from_json(a, fk, pj, pg);
	json_object_put(pj);
}

static int64_t
clock_zero(void)
{
	return 0;
}

/* What the stream asked for, against the page's "expect". */
static void
check_asked(
    const char *name, const struct stream *s, json_object *pj, size_t nth)
{
	json_object *exp, *v;

	if (!json_object_object_get_ex(pj, "expect", &exp))
		return;
	if (json_object_object_get_ex(exp, "token", &v))
		is_str(s->f.pos.token, jstr(exp, "token"),
		    "%s: %s fetch %zu asks token", name, s->pc->name, nth);
	if (json_object_object_get_ex(exp, "page", &v))
		is_int(s->f.pos.page, json_object_get_int64(v),
		    "%s: %s fetch %zu asks page", name, s->pc->name, nth);
	if (json_object_object_get_ex(exp, "size", &v))
		is_int(s->f.page_size, json_object_get_int64(v),
		    "%s: %s fetch %zu asks size", name, s->pc->name, nth);
	if (json_object_object_get_ex(exp, "after", &v))
		is_int(s->f.after.set ? s->f.after.v : INT64_MIN,
		    v ? secs_ms(v) : INT64_MIN, "%s: %s fetch %zu asks after",
		    name, s->pc->name, nth);
	if (json_object_object_get_ex(exp, "before", &v))
		is_int(s->f.before.set ? s->f.before.v : INT64_MIN,
		    v ? secs_ms(v) : INT64_MIN, "%s: %s fetch %zu asks before",
		    name, s->pc->name, nth);
}

/* Every fetch's bounds, [after, before] in seconds (null: unset). */
static void
log_fetch(struct fake *fk, const struct fetch *f)
{
	json_object *e = json_object_new_array();

	json_object_array_add(e, ms_json(f->after.set, f->after.v));
	json_object_array_add(e, ms_json(f->before.set, f->before.v));
	json_object_array_add(fk->log, e);
}

/* Serves the next page to s, as the fan-out does with a transfer. */
static enum step
serve_page(struct walk *w, struct fake *fk, struct stream *s, const char *name)
{
	json_object *pj, *pages = s->walk ? fk->pages2 : fk->pages;
	size_t *next = s->walk ? &fk->next2 : &fk->next;
	struct uppage pg;
	const char *e;

	s->fetches++;
	s->requests++;
	s->budget--;
	s->fetched_any = true;
	fk->nfetch++;
	log_fetch(fk, &s->f);
	if (fk->records != NULL) {
		if (getenv("T_MERGE_TRACE") != NULL)
			json_object_array_add(
			    json_object_array_get_idx(
			        fk->log, json_object_array_length(fk->log) - 1),
			    json_object_new_int(s->walk));
		records_page(w->a, fk, &s->f, &pg);
		if (getenv("T_MERGE_TRACE") != NULL)
			json_object_array_add(
			    json_object_array_get_idx(
			        fk->log, json_object_array_length(fk->log) - 1),
			    json_object_new_int((int)pg.n));
		return stream_take(w, s, &pg);
	}
	pj = *next < json_object_array_length(pages)
	    ? json_object_array_get_idx(pages, *next)
	    : NULL;
	if (!ok(pj != NULL, "%s: %s walk %d asks no more than its %zu pages",
	        name, s->pc->name, s->walk + 1,
	        json_object_array_length(pages))) {
		stream_fail(s, CN_INTERNAL, 0, "no page left");
		return STEP_OK;
	}
	check_asked(name, s, pj, ++*next);
	if ((e = jstr(pj, "error")) != NULL) {
		stream_fail(s, err_named(e), 0, "upstream failed");
		return STEP_OK;
	}
	page_from_json(w->a, fk, pj, &pg);
	return stream_take(w, s, &pg);
}

static bool
must_fail(const struct walk *w)
{
	size_t i;

	for (i = 0; i < w->ns; i++)
		if (w->s[i].failed && !w->q->partial_allow)
			return true;
	return false;
}

/* The fan-out's loop, with pages from the fixture for transfers. */
static enum step
drive(struct walk *w, struct fake *fk, const char *name)
{
	uint64_t need;
	size_t i, idle = 0;
	int started;
	bool short_page;

	for (;;) {
		if (merge_step(w, &need) != MERGE_NEED)
			return STEP_OK;
		started = 0;
		short_page = false;
		for (i = 0; i < w->ns; i++) {
			if (!(need & (UINT64_C(1) << i)))
				continue;
			if (stream_aim(w, &w->s[i]) == STEP_SHORT) {
				short_page = true;
				continue;
			}
			started++;
			if (serve_page(w, &fk[w->s[i].first], &w->s[i], name) !=
			    STEP_OK)
				return STEP_INTERNAL;
		}
		if (must_fail(w))
			return STEP_FAILED;
		if (short_page) {
			(void)merge_step(w, &need);
			return STEP_OK;
		}
		if (started == 0 && ++idle > 2 * w->ns + 2)
			return STEP_OK;
	}
}

static json_object *
pos_json(const struct cursor_pos *cp)
{
	static const char *const states[] = { "active", "done", "failed" };
	json_object *o = json_object_new_object();

	json_object_object_add(
	    o, "state", json_object_new_string(states[cp->state]));
	json_object_object_add(
	    o, "started", json_object_new_boolean(cp->started));
	json_object_object_add(
	    o, "token", cp->token ? json_object_new_string(cp->token) : NULL);
	json_object_object_add(o, "offset", json_object_new_int64(cp->offset));
	json_object_object_add(o, "total", json_object_new_int64(cp->total));
	json_object_object_add(
	    o, "per_page", json_object_new_int64(cp->per_page));
	if (cp->own_wm)
		json_object_object_add(o, "own_wm_id",
		    cp->own_wm_id ? json_object_new_string(cp->own_wm_id)
		                  : NULL);
	if (cp->win) {
		json_object *wj = json_object_new_object();
		json_object_object_add(
		    wj, "lo", ms_json(cp->win_lo_set, cp->win_lo));
		json_object_object_add(wj, "hi", ms_json(true, cp->win_hi));
		json_object_object_add(
		    wj, "width", ms_json(true, cp->win_width));
		json_object_object_add(o, "win", wj);
	}
	return o;
}

/* Only the members the fixture names are compared. */
static void
same_subset(
    json_object *got, json_object *want, const char *what, const char *name)
{
	json_object *sub = json_object_new_object(), *v;
	int eq;

	json_object_object_foreach(want, k, wv)
	{
		(void)wv;
		v = NULL;
		json_object_object_get_ex(got, k, &v);
		json_object_object_add(sub, k, json_object_get(v));
	}
	eq = json_object_equal(sub, want);
	ok(eq, "%s: %s", name, what);
	if (!eq) {
		diag("got:      %s", json_object_to_json_string(sub));
		diag("expected: %s", json_object_to_json_string(want));
	}
	json_object_put(sub);
}

/* Each provider's position in the next cursor, against "resume". */
static void
check_resume(const char *name, const struct walk *w, const struct cursor *next,
    json_object *want)
{
	char what[200];
	size_t i;

	json_object_object_foreach(want, prov, wp)
	{
		json_object *got = NULL;
		/* "a" is a's first walk, "a/2" its second */
		for (i = 0; i < next->npos; i++) {
			const struct stream *s = &w->s[next->pos[i].index];
			char key[64];
			snprintf(key, sizeof(key), "%s%s", s->pc->name,
			    s->walk ? "/2" : "");
			if (strcmp(key, prov) == 0)
				got = pos_json(&next->pos[i]);
		}
		if (!ok(got != NULL, "%s: %s resumes", name, prov))
			continue;
		snprintf(what, sizeof(what), "%s resume position", prov);
		same_subset(got, wp, what, name);
		json_object_put(got);
	}
}

/* The ids a walk emitted, "provider:id". */
static void
add_ids(json_object *ids, const struct walk *w)
{
	size_t i;

	for (i = 0; i < w->nout; i++) {
		char id[300];
		snprintf(id, sizeof(id), "%s:%s", w->out[i].c->provider,
		    w->out[i].c->native_id);
		json_object_array_add(ids, json_object_new_string(id));
	}
}

/* has_more, and the next cursor in *next; *st becomes STEP_FAILED when
 * an empty page would stall. */
static bool
next_cursor(struct walk *w, const struct cursor *cur, struct cursor *next,
    enum step *st)
{
	bool has_more = false;
	size_t i;

	for (i = 0; i < w->ns; i++)
		if (w->s[i].failed || w->s[i].head < w->s[i].nitems ||
		    !w->s[i].exhausted)
			has_more = true;
	memset(next, 0, sizeof(*next));
	if (*st == STEP_OK && has_more) {
		walk_resume(w, cur, next);
		if (w->nout == 0 && walk_stalled(w, cur, next))
			*st = STEP_FAILED;
	}
	return has_more;
}

static bool
check_outcome(const char *name, struct walk *w, struct cursor *cur,
    json_object *exp, enum step st, struct cursor *next)
{
	json_object *ids = json_object_new_array(), *errs, *v, *want;
	bool has_more;
	size_t i;

	add_ids(ids, w);
	has_more = next_cursor(w, cur, next, &st);
	errs = json_object_new_object();
	for (i = 0; i < w->ns; i++)
		if (w->s[i].failed)
			json_object_object_add(errs, w->s[i].pc->name,
			    json_object_new_string(cn_err_code(w->s[i].err)));
	if (json_object_object_get_ex(exp, "errors", &want))
		same_subset(errs, want, "errors", name);
	else
		is_int(
		    json_object_object_length(errs), 0, "%s: no errors", name);
	is_int(st == STEP_FAILED, jbool(exp, "fails"), "%s: fails", name);
	if (json_object_object_get_ex(exp, "ids", &want)) {
		ok(json_object_equal(ids, want), "%s: emitted ids", name);
		if (!json_object_equal(ids, want))
			diag("got: %s", json_object_to_json_string(ids));
	}
	if (json_object_object_get_ex(exp, "has_more", &v))
		is_int(
		    has_more, json_object_get_boolean(v), "%s: has_more", name);
	if (json_object_object_get_ex(exp, "resume", &want))
		check_resume(name, w, next, want);
	json_object_put(ids);
	json_object_put(errs);
	return has_more && st == STEP_OK;
}

/* One request from cur (zeroed: a first page), as calls.c runs it. */
static enum step
one_request(struct arena *a, struct query *q, struct fake *fk, size_t nf,
    int budget, int64_t horizon, const struct cursor *cur, struct walk *w,
    struct stream *s, const char *name)
{
	struct problem pb;
	size_t i, k;

	memset(w, 0, sizeof(*w));
	memset(s, 0, MAX_STREAMS * sizeof(*s));
	w->q = q;
	w->a = a;
	w->s = s;
	w->now = clock_zero;
	w->deadline = INT64_MAX;
	w->horizon = horizon;
	w->out = arena_calloc(a, (size_t)q->limit, sizeof(*w->out));
	for (i = 0; i < nf; i++) {
		s[i].pc = &fk[i].pc;
		s[i].d = &fk[i].d;
		s[i].qidx = (uint8_t)i;
		s[i].cfg = i;
		s[i].first = i;
		filter_plan(&fk[i].d, q, &s[i].plan);
		w->ns++;
	}
	if (plan_second_walks(w, &pb) != STEP_OK)
		return STEP_FAILED;
	w->has_wm = cur->has_wm;
	w->wm.has_time = cur->wm_has_time;
	w->wm.time = cur->wm_time;
	w->wm.id = cur->wm_id;
	/* the cursor names the watermark's stream, as calls.c reads it */
	w->wm.provider = cur->has_wm && cur->wm_provider < w->ns
	    ? w->s[cur->wm_provider].pc->name
	    : "";
	for (i = 0; i < w->ns; i++) {
		const struct cursor_pos *cp = NULL;
		for (k = 0; k < cur->npos; k++)
			if (cur->pos[k].index == i)
				cp = &cur->pos[k];
		stream_init(w, &s[i], budget, cp);
	}
	return drive(w, fk, name);
}

/* Per provider: how many fetches, never one below a time, the bounds
 * of each. */
static void
check_fetches(const char *name, struct fake *fk, size_t nf, json_object *tc)
{
	json_object *want, *v;
	size_t i, k;

	for (i = 0; i < nf; i++) {
		const char *p = fk[i].pc.name;
		if (json_object_object_get_ex(tc, "fetches", &want) &&
		    json_object_object_get_ex(want, p, &v))
			is_int(fk[i].nfetch, json_object_get_int64(v),
			    "%s: %s fetches", name, p);
		if (json_object_object_get_ex(tc, "never_below", &want) &&
		    json_object_object_get_ex(want, p, &v)) {
			bool below = false;
			for (k = 0; k < json_object_array_length(fk[i].log);
			     k++) {
				json_object *e = json_object_array_get_idx(
				    json_object_array_get_idx(fk[i].log, k), 0);
				if (e == NULL || secs_ms(e) < secs_ms(v))
					below = true;
			}
			ok(!below, "%s: %s never asks below %s", name, p,
			    json_object_get_string(v));
		}
		if (json_object_object_get_ex(tc, "fetch_log", &want) &&
		    json_object_object_get_ex(want, p, &v)) {
			ok(json_object_equal(fk[i].log, v),
			    "%s: %s fetch bounds", name, p);
			if (!json_object_equal(fk[i].log, v))
				diag("got: %s",
				    json_object_to_json_string(fk[i].log));
		}
	}
}

/* One case, from its fixture (taken over). */
static void
run_tc(json_object *tc, const char *name)
{
	struct arena *a = arena_new(64 * 1024, 64u * 1024 * 1024);
	struct fake fk[MAX_STREAMS];
	struct stream s[MAX_STREAMS];
	struct cursor cur, next;
	struct query q;
	struct qerrors qe;
	struct walk w;
	json_object *provs, *cj, *exp, *want;
	const char *qs;
	size_t i, nf = 0;
	int budget, rounds = 0;
	int64_t horizon;
	enum step st;
	bool more;

	memset(fk, 0, sizeof(fk));
	if (!ok(tc != NULL, "%s: fixture parses", name))
		goto out;
	qs = jstr(tc, "query");
	if (qs == NULL)
		qs = "";
	if (!ok(query_parse(a, qs, strlen(qs), &q, &qe) == 0,
	        "%s: query parses", name))
		goto out;
	horizon = jint(tc, "horizon", INT64_MAX / 1000) * 1000;
	budget = (int)jint(tc, "max_upstream_requests", 10);
	json_object_object_get_ex(tc, "providers", &provs);
	for (i = 0; i < json_object_array_length(provs) && i < MAX_STREAMS; i++)
		fake_init(&fk[nf++], json_object_array_get_idx(provs, i));
	memset(&cur, 0, sizeof(cur));
	if (json_object_object_get_ex(tc, "cursor", &cj)) {
		q.cursor = "incoming";
		cursor_from_json(a, cj, fk, nf, &cur);
		horizon = jint(cj, "horizon", INT64_MAX / 1000) * 1000;
	}
	if (!json_object_object_get_ex(tc, "expect", &exp))
		exp = NULL;
	st = one_request(a, &q, fk, nf, budget, horizon, &cur, &w, s, name);
	if (exp != NULL)
		more = check_outcome(name, &w, &cur, exp, st, &next);
	else
		more = next_cursor(&w, &cur, &next, &st) && st == STEP_OK;
	if (json_object_object_get_ex(tc, "walk_ids", &want)) {
		json_object *ids = json_object_new_array();
		add_ids(ids, &w);
		/* the client follows next_cursor to the end */
		while (more && ++rounds < 1000) {
			cur = next;
			q.cursor = "incoming";
			st = one_request(
			    a, &q, fk, nf, budget, horizon, &cur, &w, s, name);
			add_ids(ids, &w);
			more = next_cursor(&w, &cur, &next, &st);
			if (getenv("T_MERGE_TRACE") != NULL) {
				json_object *one = json_object_new_array();
				size_t m;
				add_ids(one, &w);
				diag("page %d: %s", rounds + 1,
				    json_object_to_json_string(one));
				for (m = 0; m < nf; m++)
					diag("  %s fetched %s", fk[m].pc.name,
					    json_object_to_json_string(
					        fk[m].log));
				json_object_put(one);
				for (m = 0; m < next.npos; m++) {
					json_object *pj =
					    pos_json(&next.pos[m]);
					diag("  %s%s %s",
					    w.s[next.pos[m].index].pc->name,
					    w.s[next.pos[m].index].walk ? "/2"
					                                : "",
					    json_object_to_json_string(pj));
					json_object_put(pj);
				}
			}
			if (!ok(st == STEP_OK, "%s: page %d answers", name,
			        rounds + 1)) {
				for (i = 0; i < w.ns; i++)
					if (w.s[i].failed)
						diag("%s: %s", w.s[i].pc->name,
						    w.s[i].errmsg);
				break;
			}
		}
		ok(!more, "%s: the walk ends", name);
		ok(json_object_equal(ids, want), "%s: every id once, in order",
		    name);
		if (!json_object_equal(ids, want))
			diag("got: %s", json_object_to_json_string(ids));
		json_object_put(ids);
	}
	check_fetches(name, fk, nf, tc);
	for (i = 0; i < nf; i++) {
		if (fk[i].pages != NULL)
			is_int((int64_t)fk[i].next,
			    (int64_t)json_object_array_length(fk[i].pages),
			    "%s: %s served every page", name, fk[i].pc.name);
		if (fk[i].pages2 != NULL)
			is_int((int64_t)fk[i].next2,
			    (int64_t)json_object_array_length(fk[i].pages2),
			    "%s: %s served every page of its second walk", name,
			    fk[i].pc.name);
	}
out:
	for (i = 0; i < nf; i++)
		json_object_put(fk[i].log);
	json_object_put(tc);
	arena_free(a);
}

static void
run_case(const char *path, const char *name)
{
	run_tc(json_object_from_file(path), name);
}

/* ---- property: random lists, walked to the end ---- */

static uint64_t rng = 88172645463325252ULL;

static uint32_t
rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return n ? (uint32_t)(rng % n) : 0;
}

struct orec {
	char prov[2];
	char id[8];
	int64_t s, c, t;
};

static enum order prop_order;

/* The contract's order: time in the requested direction, then provider
 * and id. */
static int
orec_cmp(const void *x, const void *y)
{
	const struct orec *a = x, *b = y;
	int c;

	if (a->t != b->t)
		return (a->t < b->t) == (prop_order == ORDER_ASC) ? -1 : 1;
	c = strcmp(a->prov, b->prov);
	return c != 0 ? c : strcmp(a->id, b->id);
}

static json_object *
rec_json(const struct orec *r, bool created)
{
	json_object *a = json_object_new_array();

	json_object_array_add(a, json_object_new_string(r->id));
	json_object_array_add(a, json_object_new_int64(r->s));
	if (created)
		json_object_array_add(a, json_object_new_int64(r->c));
	return a;
}

/* A random call of provider p: creation up to twice the lag before. */
static void
rand_rec(struct orec *r, const char *p, const char *id, bool co, int64_t lag)
{
	snprintf(r->prov, sizeof(r->prov), "%s", p);
	snprintf(r->id, sizeof(r->id), "%s", id);
	r->s = rnd(460);
	r->c = co ? r->s - (int64_t)rnd((uint32_t)(2 * lag + 1)) : r->s;
	r->t = !co ? r->s : r->s > r->c + lag ? r->c + lag : r->s;
}

/*
 * One random provider of a property case: a newest-first list with time
 * bounds (whole-second bounds or not; creation order, calls starting up
 * to twice the lag after creation, or not), sometimes with a second walk
 * asked with no bounds that holds calls of its own (not started: their
 * start is their creation) and copies of some of the first's, and calls
 * arriving after the horizon.  A creation-order kind bounds creation
 * times (vapi: created from after - lag, before before) or, with
 * "bounds": "start", start times in whole units (twilio's days).
 * Appends what the walk must return to keep[]: with started_after, a
 * creation-order call created more than the lag before it is not asked
 * for by a kind that bounds creation times; order times are kept within
 * [started_after, horizon].
 */
static json_object *
property_provider(const char *p, int64_t horizon, int64_t after,
    struct orec *keep, int *nkeep)
{
	json_object *pv = json_object_new_object(), *list, *list2, *arr, *ar;
	bool co = rnd(2), two = rnd(4) == 0;
	bool start = co && rnd(2), gran = (!co || start) && rnd(2);
	int64_t lag = co ? 5 + rnd(40) : 0;
	int n = (int)rnd(two ? 25 : 40), n2 = two ? (int)rnd(8) : 0, i;
	struct orec recs[40], r;
	char id[8];

	list = json_object_new_array();
	list2 = json_object_new_array();
	for (i = 0; i < n + n2; i++) {
		bool second = i >= n;
		bool copy = second && n > 0 && rnd(3) == 0;
		snprintf(id, sizeof(id), "%s%02d", second ? "q" : "r", i);
		if (copy)
			r = recs[rnd((uint32_t)n)];
		else
			rand_rec(&r, p, id, co, lag);
		/* what only a second walk finds has not started (twilio's
		 * calls not yet dialed): its start is its creation; copies
		 * are of calls the first walk asks for */
		if (second && !copy)
			r.s = r.t = r.c;
		if (copy && co && !start && after >= 0 && r.c < after - lag) {
			copy = false;
			rand_rec(&r, p, id, co, lag);
			r.s = r.t = r.c;
		}
		if (!second)
			recs[i] = r;
		json_object_array_add(second ? list2 : list, rec_json(&r, co));
		if (copy || r.s > horizon || (after >= 0 && r.s < after) ||
		    (!second && co && !start && after >= 0 &&
		        r.c < after - lag))
			continue;
		/* the order time stays within the walk's range */
		if (after >= 0 && r.t < after)
			r.t = after;
		if (r.t > horizon)
			r.t = horizon;
		keep[(*nkeep)++] = r;
	}
	json_object_object_add(pv, "name", json_object_new_string(p));
	json_object_object_add(pv, "windows", json_object_new_boolean(1));
	json_object_object_add(
	    pv, "creation_order", json_object_new_boolean(co));
	json_object_object_add(pv, "lag", json_object_new_int64(lag));
	/* start-time bounds come in whole days, far longer than the lag
	 * (twilio): a call that starts after the lag is in a window's
	 * superset; finer ones would lose it (docs/design.md) */
	json_object_object_add(pv, "granularity",
	    json_object_new_int64(start ? 2 * lag + 1 + rnd(100)
	            : gran              ? 1
	                                : 0));
	if (start)
		json_object_object_add(
		    pv, "bounds", json_object_new_string("start"));
	/* creation order reads the lag further before anything goes out,
	 * and a second walk reads its whole list for each window: the
	 * budget's pages must hold them, or the walk stops
	 * (PROVIDER_PAGINATION_STUCK, case 37) */
	json_object_object_add(pv, "max_page_size",
	    json_object_new_int64(co || two ? 5 + rnd(5) : 2 + rnd(8)));
	arr = json_object_new_array();
	json_object_array_add(arr, json_object_new_string("desc"));
	json_object_object_add(pv, "native", arr);
	json_object_object_add(pv, "records", list);
	if (two)
		json_object_object_add(pv, "records2", list2);
	else
		json_object_put(list2);
	/* new calls start after the horizon while the walk goes on */
	arr = json_object_new_array();
	for (i = 0; i < 3; i++) {
		snprintf(r.id, sizeof(r.id), "n%d", i);
		r.s = horizon + 1 + rnd(60);
		r.c = r.s;
		json_object_array_add(arr, rec_json(&r, co));
	}
	ar = json_object_new_object();
	json_object_object_add(
	    ar, "after_fetch", json_object_new_int64(1 + rnd(4)));
	json_object_object_add(ar, "calls", arr);
	arr = json_object_new_array();
	json_object_array_add(arr, ar);
	json_object_object_add(pv, "arrive", arr);
	return pv;
}

/*
 * Random providers (one to three), a random limit, order, budget and
 * started_after: following the cursors must give exactly the matching
 * calls, each once, in the order computed here from the lists (the
 * order time is the start clamped to [created, created + lag]).
 */
static void
property_case(int nth)
{
	static const char *const names[] = { "p", "q", "r" };
	struct orec keep[3 * 48];
	json_object *tc = json_object_new_object(), *ids, *provs;
	int64_t horizon = 400;
	int64_t after = rnd(3) == 0 ? (int64_t)rnd(350) : -1;
	int limit = 1 + (int)rnd(6), np = 1 + (int)rnd(3), i, k = 0;
	char q[200], name[80], kinds[16] = "";

	prop_order = rnd(4) == 0 ? ORDER_DESC : ORDER_ASC;
	provs = json_object_new_array();
	for (i = 0; i < np; i++) {
		json_object *pv =
		    property_provider(names[i], horizon, after, keep, &k);
		json_object *v;
		json_object_object_get_ex(pv, "creation_order", &v);
		strcat(kinds, json_object_get_boolean(v) ? "c" : "s");
		if (json_object_object_get_ex(pv, "records2", &v))
			strcat(kinds, "2");
		json_object_array_add(provs, pv);
	}
	qsort(keep, (size_t)k, sizeof(keep[0]), orec_cmp);
	ids = json_object_new_array();
	for (i = 0; i < k; i++) {
		char id[16];
		snprintf(id, sizeof(id), "%.1s:%.7s", keep[i].prov, keep[i].id);
		json_object_array_add(ids, json_object_new_string(id));
	}
	snprintf(q, sizeof(q), "order=%s&limit=%d",
	    prop_order == ORDER_ASC ? "asc" : "desc", limit);
	if (after >= 0)
		snprintf(q + strlen(q), sizeof(q) - strlen(q),
		    "&started_after=1970-01-01T00:%02d:%02dZ",
		    (int)(after / 60), (int)(after % 60));
	json_object_object_add(tc, "query", json_object_new_string(q));
	json_object_object_add(tc, "horizon", json_object_new_int64(horizon));
	json_object_object_add(tc, "max_upstream_requests",
	    json_object_new_int64(
	        strchr(kinds, 'c') || strchr(kinds, '2') ? 10 : 2 + rnd(9)));
	json_object_object_add(tc, "providers", provs);
	json_object_object_add(tc, "walk_ids", ids);
	snprintf(name, sizeof(name), "property %d (%s, %s)", nth, kinds, q);
	if (getenv("T_MERGE_DUMP") != NULL &&
	    atoi(getenv("T_MERGE_DUMP")) == nth)
		diag("%s", json_object_to_json_string(tc));
	run_tc(tc, name);
}

static int
cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
main(void)
{
	const char *dirpath = srcpath("tests/data/merge");
	char *names[512];
	struct dirent *de;
	size_t n = 0, i;
	DIR *dir;

	dir = opendir(dirpath);
	if (!ok(dir != NULL, "fixtures in %s", dirpath))
		return done_testing();
	while ((de = readdir(dir)) != NULL && n < 512)
		if (strlen(de->d_name) > 5 &&
		    strcmp(de->d_name + strlen(de->d_name) - 5, ".json") == 0)
			names[n++] = strdup(de->d_name);
	closedir(dir);
	qsort(names, n, sizeof(char *), cmp);
	ok(n >= 15, "at least 15 cases (%zu)", n);
	/* every kind serves both orders: natively, walking its pages
	 * backwards, or (newest first with time bounds) by windows; a
	 * token list read newest first cannot be turned around */
	for (i = 0; drivers[i] != NULL; i++) {
		const struct driver *d = drivers[i];
		bool pages =
		    d->paging == PAGING_PAGE1 || d->paging == PAGING_PAGE0;
		ok((d->native_orders & 2u) || pages ||
		        (d->windows && (d->native_orders & 1u)),
		    "kind %s serves order=asc", d->kind);
		ok((d->native_orders & 1u) || pages,
		    "kind %s serves order=desc", d->kind);
	}
	for (i = 0; i < n; i++) {
		char full[4096];
		snprintf(full, sizeof(full), "%s/%s", dirpath, names[i]);
		run_case(full, names[i]);
		free(names[i]);
	}
	for (i = 0; i < (getenv("T_MERGE_CASES")
	                        ? (size_t)atoi(getenv("T_MERGE_CASES"))
	                        : 1000);
	     i++)
		property_case((int)i);
	return done_testing();
}
