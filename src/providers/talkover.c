/*
 * talkover: GET /api/v1/calls.  Laravel-style page numbers from 1, newest
 * first, at most 100 calls a page.  Every filter it takes is single-
 * valued, and its date filters take whole days in a time zone the docs
 * do not name, so times are only ever pushed down as a padded superset
 * and re-checked here.
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "common.h"

#define MS_PER_DAY INT64_C(86400000)
#define MAX_PAGE 100
#define URL_MAX 16384
/* 9999-12-31T23:59:59.999Z, the last instant our time format prints: no
 * call lasts longer, and the end time (start + duration) stays far from
 * int64_t's limit. */
#define MAX_MS INT64_C(253402300799999)

/* SPEC 4.3: Talkover's status vocabulary (Twilio-like, "no-answer"). */
static const struct status_word statuses[] = {
	{ "initiated", ST_QUEUED, ER_NULL },
	{ "ringing", ST_RINGING, ER_NULL },
	{ "answered", ST_IN_PROGRESS, ER_NULL },
	{ "completed", ST_COMPLETED, ER_NULL },
	{ "failed", ST_FAILED, ER_ERROR },
	{ "busy", ST_BUSY, ER_BUSY },
	{ "no-answer", ST_NO_ANSWER, ER_NO_ANSWER },
};

#define NSTATUSES (sizeof(statuses) / sizeof(statuses[0]))

/*
 * The one upstream status the query's statuses translate to: 1 with
 * *word set; 0 when none of them exists at Talkover (nothing can match);
 * -1 when several do, or when `unknown` is asked for, which stands for
 * values outside the table and so has no upstream spelling.
 */
static int
status_push(const struct query *q, const char **word)
{
	size_t i;
	int found = 0;

	*word = NULL;
	if (q->statuses & (1u << ST_UNKNOWN))
		return -1;
	for (i = 0; i < NSTATUSES; i++) {
		if (!(q->statuses & (1u << statuses[i].status)))
			continue;
		if (found++)
			return -1;
		*word = statuses[i].word;
	}
	return found;
}

/*
 * date_from/date_to are whole days in an unnamed zone.  Every zone is
 * less than a day from UTC, so one day of padding on each side of the
 * UTC days holding the bounds never loses a call; the exact bounds are
 * applied locally.  started_before is exclusive, so its last relevant
 * instant is one millisecond earlier.
 */
static bool
date_from(const struct query *q, char *out, size_t size)
{
	return time_format_date(q->started_after - MS_PER_DAY, 0, out, size) >
	    0;
}

static bool
date_to(const struct query *q, char *out, size_t size)
{
	return time_format_date(
	           q->started_before - 1 + MS_PER_DAY, 0, out, size) > 0;
}

static void
plan(const struct query *q, struct plan *p)
{
	const char *w;
	char day[16];

	/* Talkover lists phone calls only: type=phone excludes nothing
	 * and type=web can hold nowhere. */
	if (q->types) {
		p->noop |= FBIT(F_TYPE);
		if (!(q->types & (1u << TYPE_PHONE)))
			p->empty = true;
	}
	if (q->statuses) {
		switch (status_push(q, &w)) {
		case 0:
			p->empty = true;
			break;
		case 1:
			p->pushed |= FBIT(F_STATUS);
			p->exact |= FBIT(F_STATUS);
			break;
		}
	}
	if (single_bit(q->directions) > 0) {
		p->pushed |= FBIT(F_DIRECTION);
		p->exact |= FBIT(F_DIRECTION);
	}
	if (q->agent_ids.n == 1) {
		p->pushed |= FBIT(F_AGENT);
		p->exact |= FBIT(F_AGENT);
	}
	if (query_has(q, QP_STARTED_AFTER) && date_from(q, day, sizeof(day)))
		p->pushed |= FBIT(F_STARTED_AFTER);
	if (query_has(q, QP_STARTED_BEFORE) && date_to(q, day, sizeof(day)))
		p->pushed |= FBIT(F_STARTED_BEFORE);
	/*
	 * `search` is a partial match on the E.164 numbers or the call SID:
	 * a superset of ours (from or to contains the value), for one value.
	 */
	if (q->phones.n == 1)
		p->pushed |= FBIT(F_PHONE);
}

static enum cn_err
prepare(const struct fetch *f, struct arena *a, struct upreq *r)
{
	const struct query *q = f->q;
	unsigned pushed = f->plan->pushed;
	enum cn_err e = CN_INTERNAL;
	const char *w;
	char day[16], *auth;
	struct buf b;
	int dir;

	buf_init(&b, URL_MAX);
	url_begin(&b, f->pc, "/api/v1/calls");
	url_param_int(&b, "page", f->pos.page < 1 ? 1 : f->pos.page);
	url_param_int(&b, "per_page", f->page_size);
	if ((pushed & FBIT(F_STATUS)) && status_push(q, &w) == 1)
		url_param(&b, "status", w);
	if ((pushed & FBIT(F_DIRECTION)) &&
	    (dir = single_bit(q->directions)) > 0)
		url_param(&b, "direction", call_dir_names[dir]);
	if ((pushed & FBIT(F_AGENT)) && q->agent_ids.n == 1)
		url_param(&b, "agent_id", q->agent_ids.v[0]);
	if ((pushed & FBIT(F_STARTED_AFTER)) && date_from(q, day, sizeof(day)))
		url_param(&b, "date_from", day);
	if ((pushed & FBIT(F_STARTED_BEFORE)) && date_to(q, day, sizeof(day)))
		url_param(&b, "date_to", day);
	if ((pushed & FBIT(F_PHONE)) && q->phones.n == 1)
		url_param(&b, "search", q->phones.v[0]);
	r->method = "GET";
	r->body = NULL;
	r->body_len = 0;
	if ((r->url = buf_to_arena(a, &b, NULL)) == NULL)
		goto out;
	auth = arena_printf(a, "Bearer %s", f->pc->api_key);
	if (auth == NULL || add_header(a, r, "Authorization", auth) < 0)
		goto out;
	e = CN_OK;
out:
	buf_free(&b);
	return e;
}

static enum cn_err
bad(char *err, size_t errsize, const char *why)
{
	snprintf(err, errsize, "%s", why);
	return CN_PROVIDER_BAD_RESPONSE;
}

/* Fills c from one list item; NULL, or why the item is unusable. */
static const char *
normalize(const struct fetch *f, const struct jv *o, struct call *c)
{
	const struct jv *v;
	struct opt_i64 dur;
	const char *dir;
	const struct status_word *sw;

	if (jv_type(o) != J_OBJ)
		return "not an object";
	if (record_begin(f, o, "id", c) < 0)
		return "id is missing or not a string of 1 to 256 bytes";
	c->type = TYPE_PHONE;
	if (field_str(o, "status", &c->provider_status) < 0)
		return "status is not a string";
	c->status = ST_UNKNOWN;
	c->end_reason = ER_NULL;
	sw = status_word_find(statuses, NSTATUSES, c->provider_status);
	if (sw != NULL) {
		c->status = sw->status;
		c->end_reason = sw->reason;
	}
	if (field_str(o, "direction", &dir) < 0)
		return "direction is not a string";
	c->direction = DIR_NULL;
	if (dir != NULL && word_eq(dir, "inbound"))
		c->direction = DIR_INBOUND;
	else if (dir != NULL && word_eq(dir, "outbound"))
		c->direction = DIR_OUTBOUND;
	if (field_str(o, "from", &c->from) < 0)
		return "from is not a string";
	if (field_str(o, "to", &c->to) < 0)
		return "to is not a string";
	v = jv_get(o, "agent");
	if (!jv_is_null(v)) {
		if (jv_type(v) != J_OBJ)
			return "agent is not an object";
		if (field_str(v, "id", &c->agent_id) < 0)
			return "agent.id is not a string";
		if (field_str(v, "name", &c->agent_name) < 0)
			return "agent.name is not a string";
	}
	if (field_time_iso(o, "created_at", &c->started_at) < 0)
		return "created_at is not an ISO 8601 time";
	if (field_int(o, "duration", &dur) < 0 ||
	    (dur.set && (dur.v < 0 || dur.v > MAX_MS / 1000)))
		return "duration is not a number of seconds";
	/* Talkover reports 0 until a call completes: only then is it real. */
	if (c->status == ST_COMPLETED && dur.set) {
		c->duration_ms.set = true;
		c->duration_ms.v = dur.v * 1000;
		if (c->started_at.set) {
			c->ended_at.set = true;
			c->ended_at.v = c->started_at.v + c->duration_ms.v;
		}
	}
	if (field_bool(o, "is_testing", &c->is_test) < 0)
		return "is_testing is not a boolean";
	return NULL;
}

static enum cn_err
decode(const struct fetch *f, const struct upresp *resp, struct arena *a,
    struct uppage *pg, char *err, size_t errsize)
{
	const struct jv *root, *data, *pag, *v;
	struct opt_i64 cur, last, total, per;
	const char *why;
	size_t i, n, cap;
	enum cn_err e;

	if (resp->status < 200 || resp->status > 299)
		return upstream_status_err(resp->status, err, errsize);
	if ((e = parse_body(resp, a, &root, err, errsize)) != CN_OK)
		return e;
	if (jv_type(root) != J_OBJ)
		return bad(err, errsize, "body is not an object");
	v = jv_get(root, "success");
	if (v == NULL || jv_bool(v) != 1)
		return bad(err, errsize, "success is not true");
	data = jv_get(root, "data");
	if (data == NULL || jv_type(data) != J_ARR)
		return bad(err, errsize, "data is not an array");
	pag = jv_get(root, "pagination");
	if (pag == NULL || jv_type(pag) != J_OBJ)
		return bad(err, errsize, "pagination is not an object");
	if (field_int(pag, "current_page", &cur) < 0 || !cur.set)
		return bad(err, errsize, "pagination.current_page is missing");
	if (field_int(pag, "last_page", &last) < 0 || !last.set)
		return bad(err, errsize, "pagination.last_page is missing");
	if (field_int(pag, "total", &total) < 0 || (total.set && total.v < 0))
		return bad(err, errsize, "pagination.total is not a count");
	if (field_int(pag, "per_page", &per) < 0 ||
	    (per.set && (per.v < 1 || per.v > INT_MAX)))
		return bad(err, errsize, "pagination.per_page is not a size");
	n = jv_count(data);
	cap = (size_t)(f->page_size > MAX_PAGE ? f->page_size : MAX_PAGE);
	if (n > cap)
		return bad(err, errsize, "more calls than the page size");
	if (n > 0 &&
	    (pg->calls = arena_calloc(a, n, sizeof(*pg->calls))) == NULL) {
		snprintf(err, errsize, "out of memory");
		return CN_INTERNAL;
	}
	for (i = 0; i < n; i++) {
		if ((why = normalize(f, jv_item(data, i), &pg->calls[i])) !=
		    NULL) {
			snprintf(err, errsize, "call %zu: %s", i, why);
			return CN_PROVIDER_BAD_RESPONSE;
		}
	}
	pg->n = n;
	pg->last = n == 0 || cur.v >= last.v;
	pg->next.token = NULL;
	pg->has_total = total.set;
	pg->total = total.set ? total.v : 0;
	pg->last_page = last.v;
	pg->per_page = per.set ? (int)per.v : f->page_size;
	return CN_OK;
}

const struct driver drv_talkover = {
	.abi = DRIVER_ABI,
	.kind = "talkover",
	.paging = PAGING_PAGE1,
	.max_page_size = MAX_PAGE,
	.native_orders = DESC_BIT,
	.needs_secret = false,
	.has_test_flag = true,
	.can_push = FBIT(F_STATUS) | FBIT(F_DIRECTION) | FBIT(F_AGENT) |
	    FBIT(F_STARTED_AFTER) | FBIT(F_STARTED_BEFORE) | FBIT(F_PHONE),
	.can_check = FBIT(F_STATUS) | FBIT(F_DIRECTION) | FBIT(F_TYPE) |
	    FBIT(F_AGENT) | FBIT(F_STARTED_AFTER) | FBIT(F_STARTED_BEFORE) |
	    FBIT(F_MIN_DURATION) | FBIT(F_MAX_DURATION) | FBIT(F_PHONE) |
	    FBIT(F_INCLUDE_TEST),
	.plan = plan,
	.prepare = prepare,
	.decode = decode,
};
