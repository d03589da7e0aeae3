/*
 * twilio: GET /2010-04-01/Accounts/<account_sid>/Calls.json with HTTP
 * Basic auth (the API key SID when one is configured, else the account
 * SID; the password is api_key).  Newest created first, no sort option:
 * callnorm orders it by date_created and start_lag_ms, and serves
 * order=asc by windows.  Pages follow next_page_uri; only its PageToken
 * is kept.  StartTime takes whole GMT days, with the operator in the
 * parameter's name, and never matches a call not yet dialed: a second
 * walk lists those (Status=queued) when a time filter goes upstream.
 * Child legs (a parent_call_sid) are not calls of their own here.
 */
#include <stdio.h>
#include <string.h>

#include "../cursor.h"
#include "common.h"

#define MS_PER_DAY INT64_C(86400000)
#define URL_MAX 16384
#define LIST_PATH_MAX 96

static struct up_status_table statuses =
    UP_STATUS_TABLE("queued=queued ringing=ringing in-progress=in_progress "
                    "completed=completed busy=busy/busy "
                    "no-answer=no_answer/no_answer canceled=canceled "
                    "failed=failed/error",
        NULL);

/* A SID: its two letters, then 32 hex digits. */
static bool
sid_ok(const char *v, const char *prefix)
{
	size_t i;

	if (strlen(v) != 34 || strncmp(v, prefix, 2) != 0)
		return false;
	for (i = 2; i < 34; i++)
		if (!((v[i] >= '0' && v[i] <= '9') ||
		        (v[i] >= 'a' && v[i] <= 'f') ||
		        (v[i] >= 'A' && v[i] <= 'F')))
			return false;
	return true;
}

static const char *
account_sid_check(const char *v)
{
	return sid_ok(v, "AC") ? NULL : "must be AC followed by 32 hex digits";
}

static const char *
api_key_sid_check(const char *v)
{
	return sid_ok(v, "SK") ? NULL : "must be SK followed by 32 hex digits";
}

static const struct driver_key keys[] = {
	{ "account_sid", true, true, account_sid_check },
	{ "api_key_sid", false, true, api_key_sid_check },
};

/* The one status word the query's statuses need, or NULL. */
static const char *
status_word(const struct query *q, const struct plan *p)
{
	const char *w;

	if (!(p->pushed & FBIT(F_STATUS)) ||
	    up_status_pick(&statuses, q->statuses, &w, 1) != 1)
		return NULL;
	return w;
}

/* Time filters can go upstream unless the only status sent is queued,
 * whose calls match no StartTime filter. */
static bool
times_pushable(const struct query *q, const struct plan *p)
{
	const char *w = status_word(q, p);

	return w == NULL || strcmp(w, "queued") != 0;
}

static void
plan(const struct query *q, struct plan *p)
{
	up_phone_only(q, p); /* Twilio lists phone calls */
	up_plan_status(q, p, &statuses, 1); /* Status takes one value */
	/* no call carries an agent: agent_id matches none */
	if (q->agent_ids.n)
		p->empty = true;
	/* whole GMT days: pushed as a superset, re-checked here */
	if (times_pushable(q, p))
		up_plan_time_superset(q, p);
	/*
	 * direction (three native words, no filter), duration and phone
	 * (To/From are exact, ours is a substring of either) stay local;
	 * `q` cannot be served: the list carries no transcript.
	 */
}

/*
 * Calls not yet dialed have no start_time and so match no StartTime
 * filter.  When one may go upstream (the query's bounds, or the windows
 * of an ascending walk) and the query may want queued calls, they get a
 * walk of their own: walk 1 lists Status=queued without times, and walk
 * 0 leaves queued calls to it, so each call comes from one walk.
 */
static int
walks(const struct query *q, const struct plan *p)
{
	bool timed = query_has(q, QP_STARTED_AFTER) ||
	    query_has(q, QP_STARTED_BEFORE) || q->order == ORDER_ASC;

	if (!timed || (p->pushed & FBIT(F_STATUS)) || p->empty)
		return 1;
	return !q->statuses || (q->statuses & FBIT(ST_QUEUED)) ? 2 : 1;
}

static void
list_path(const struct provider_conf *pc, char *out, size_t size)
{
	const char *sid = conf_extra(pc, "account_sid");

	/* the configuration requires it; without one nothing matches */
	snprintf(out, size, "/2010-04-01/Accounts/%s/Calls.json",
	    sid != NULL ? sid : "");
}

/*
 * StartTime>=D: on or after D 00:00:00 GMT, so D is the day of `after`.
 * StartTime<=D: on or before D 00:00:00, so D is the day after the one
 * holding the last instant before `before`.  A day we cannot print is
 * left out: that only widens the request.
 */
static void
day_params(struct buf *b, const struct fetch *f)
{
	char day[16];

	if (f->after.set && time_format_date(f->after.v, 0, day, sizeof(day)))
		up_url_param(b, "StartTime%3E", day);
	if (f->before.set &&
	    time_format_date(f->before.v - 1 + MS_PER_DAY, 0, day, sizeof(day)))
		up_url_param(b, "StartTime%3C", day);
}

/* HTTP Basic: the API key SID when one is configured, else the account
 * SID; the password is api_key. */
static enum cn_err
basic(const struct provider_conf *pc, struct arena *a, struct upreq *r)
{
	const char *key;

	if ((key = conf_extra(pc, "api_key_sid")) == NULL &&
	    (key = conf_extra(pc, "account_sid")) == NULL)
		return CN_INTERNAL; /* the configuration requires it */
	return up_basic(a, r, key, pc->api_key);
}

static enum cn_err
prepare(const struct fetch *f, struct arena *a, struct upreq *r)
{
	const char *w = status_word(f->q, f->plan);
	char path[LIST_PATH_MAX];
	enum cn_err e;
	struct buf b;

	list_path(f->pc, path, sizeof(path));
	buf_init(&b, URL_MAX);
	up_url_begin(&b, f->pc, path);
	up_url_param_int(&b, "PageSize", f->page_size);
	if (f->walk == 1)
		up_url_param(&b, "Status", "queued");
	else {
		if (w != NULL)
			up_url_param(&b, "Status", w);
		/* the fetch's range: the query's bounds, or the window */
		if (times_pushable(f->q, f->plan))
			day_params(&b, f);
	}
	if (f->pos.token != NULL)
		up_url_param(&b, "PageToken", f->pos.token);
	if ((e = up_get(a, r, &b)) != CN_OK)
		return e;
	return basic(f->pc, a, r);
}

/* "" or null: no duration; else whole seconds as digits. */
static int
duration(const char *s, struct call *c)
{
	int64_t v = 0;

	if (s == NULL || *s == '\0')
		return 0;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9' || v > TIME_MAX_MS / 10000)
			return -1;
		v = v * 10 + (*s - '0');
	}
	c->duration_ms.set = true;
	c->duration_ms.v = v * 1000;
	return 0;
}

static int
record(const struct fetch *f, struct arena *a, const struct jv *o,
    struct call *c, const char **why)
{
	const char *dir, *dur, *parent;
	struct opt_i64 start;

	if (up_record(f, a, o, "sid", c, why,
	        "parent_call_sid:s status:s direction:s from:s to:s "
	        "date_created:R start_time:R end_time:R duration:s",
	        &parent, &c->provider_status, &dir, &c->from, &c->to,
	        &c->created_at, &start, &c->ended_at, &dur) < 0)
		return -1;
	/* a child leg belongs to its parent call */
	if (parent != NULL && *parent != '\0')
		return 1;
	/* with a second walk, queued calls are its own */
	if (f->walk == 0 && c->provider_status != NULL &&
	    word_eq(c->provider_status, "queued") && walks(f->q, f->plan) == 2)
		return 1;
	if (!c->created_at.set)
		return up_why(why, "date_created is missing");
	if (duration(dur, c) < 0)
		return up_why(why, "duration is not a string of seconds");
	c->started_at = start.set ? start : c->created_at;
	c->type = TYPE_PHONE;
	if (dir != NULL && word_eq(dir, "inbound"))
		c->direction = DIR_INBOUND;
	else if (dir != NULL &&
	    (word_eq(dir, "outbound-api") || word_eq(dir, "outbound-dial")))
		c->direction = DIR_OUTBOUND;
	up_status_map(&statuses, c->provider_status, NULL, c);
	return 0;
}

/*
 * next_page_uri: null or absent on the last page.  Otherwise it must
 * lead back to this account's list under base_url (up_link_path), and
 * only its PageToken is kept: the next request is built afresh, so no
 * other part of a provider's link is ever sent.
 */
static enum cn_err
next_token(const struct fetch *f, struct arena *a, const struct jv *root,
    struct uppage *pg, char *err, size_t errsize)
{
	const struct jv *v = jv_get(root, "next_page_uri");
	const char *tail, *tok;
	char path[LIST_PATH_MAX];
	size_t pl;

	if (jv_is_null(v))
		return CN_OK;
	if (jv_type(v) != J_STR)
		return up_bad(err, errsize, "next_page_uri is not a string");
	list_path(f->pc, path, sizeof(path));
	pl = strlen(path);
	tail = up_link_path(f->pc, jv_str(v));
	if (tail == NULL || strncmp(tail, path, pl) != 0 || tail[pl] != '?')
		return up_bad(err, errsize,
		    "next_page_uri does not lead to this account's calls");
	if (up_query_param(a, tail + pl + 1, "PageToken", &tok) != 1 ||
	    *tok == '\0')
		return up_bad(err, errsize, "next_page_uri has no PageToken");
	/* the token travels in the cursor, which has room for this much */
	if (strlen(tok) > CURSOR_MAX_TOKEN)
		return up_bad(err, errsize, "PageToken is too long");
	pg->next.token = tok;
	return CN_OK;
}

static enum cn_err
decode(const struct fetch *f, const struct upresp *resp, struct arena *a,
    struct uppage *pg, char *err, size_t errsize)
{
	const struct jv *root, *calls;
	struct opt_i64 none = { false, 0 };
	enum cn_err e;

	if ((e = up_decode_begin(
	         f, resp, a, "calls", &root, &calls, err, errsize)) != CN_OK ||
	    (e = up_decode_records(f, a, calls, pg, record, err, errsize)) !=
	        CN_OK ||
	    (e = next_token(f, a, root, pg, err, errsize)) != CN_OK)
		return e;
	/* only a null next_page_uri ends the list; Twilio gives no total */
	up_page_end(pg, pg->next.token == NULL, &none, -1, f->page_size);
	return CN_OK;
}

/*
 * ---- one call in full: GET .../Calls/{sid}.json and
 * .../Calls/{sid}/Recordings.json, in parallel ----
 */

enum { PART_CALL, PART_RECORDINGS };

static const char *const detail_parts[] = { "call", "recordings" };

/* Where a recording's audio is: Twilio forms the media URL on its own
 * host whatever base_url says, and it needs the account's credentials. */
#define MEDIA_HOST "https://api.twilio.com"

static enum cn_err
detail_prepare(
    const struct detail_req *rq, size_t part, struct arena *a, struct upreq *r)
{
	static const char *const suffix[] = { ".json", "/Recordings.json" };
	char prefix[LIST_PATH_MAX];
	enum cn_err e;
	const char *acct = conf_extra(rq->pc, "account_sid");

	snprintf(prefix, sizeof(prefix), "/2010-04-01/Accounts/%s/Calls/",
	    acct != NULL ? acct : "");
	if ((e = up_detail_get(rq, a, r, prefix, suffix[part])) != CN_OK)
		return e;
	return basic(rq->pc, a, r);
}

/*
 * price: a decimal string, negative for a charge ("-0.01750"), null
 * while Twilio has not priced the call; its unit in price_unit.
 */
static int
price(struct arena *a, const struct jv *o, struct detail *d)
{
	const char *p, *unit;
	int64_t v;

	if (up_field_str(o, "price", &p) < 0 ||
	    up_field_str(o, "price_unit", &unit) < 0)
		return -1;
	d->has_cost = false;
	if (p == NULL || *p == '\0')
		return 0;
	if (*p == '-' || *p == '+')
		p++;
	if (*p < '0' || *p > '9' || up_decimal_scaled(p, 9, &v) < 0)
		return -1;
	return up_cost_num(a, d, (double)v / 1e9, unit);
}

/* The first completed recording of recordings[], as its media URL. */
static int
recording(struct arena *a, const struct detail_req *rq, const struct jv *root,
    struct detail *d)
{
	const struct jv *list = jv_get(root, "recordings"), *o;
	const char *st, *sid, *acct = conf_extra(rq->pc, "account_sid");
	size_t i, n;

	if (jv_type(list) != J_ARR)
		return -1;
	n = jv_count(list);
	for (i = 0; i < n; i++) {
		o = jv_item(list, i);
		if (jv_type(o) != J_OBJ || up_field_str(o, "status", &st) < 0 ||
		    up_field_str(o, "sid", &sid) < 0)
			return -1;
		if (st == NULL || !word_eq(st, "completed"))
			continue;
		if (sid == NULL || !sid_ok(sid, "RE") || acct == NULL)
			return -1;
		d->recording_url = arena_printf(a,
		    MEDIA_HOST "/2010-04-01/Accounts/%s/Recordings/%s.mp3",
		    acct, sid);
		return d->recording_url != NULL ? 0 : -1;
	}
	return 0;
}

static enum cn_err
detail_decode(const struct detail_req *rq, const struct upresp *resp,
    struct arena *a, struct detail *d, char *err, size_t errsize)
{
	const struct jv *root[2];
	bool absent[2];
	enum cn_err e;

	/* the call first: its 404 (code 20404) is CALL_NOT_FOUND whatever
	 * the recordings said */
	e = up_detail_parts(resp, 2, a, d, root, absent, err, errsize);
	if (e != CN_OK)
		return e;
	d->err_part = PART_CALL;
	if ((e = up_detail_record(
	         rq, a, root[PART_CALL], record, d, err, errsize)) != CN_OK)
		return e;
	/* Twilio keeps no transcript and no summary */
	if (price(a, root[PART_CALL], d) < 0)
		return up_bad_unless_oom(a, err, errsize,
		    "price is not a decimal string with a unit");
	d->err_part = PART_RECORDINGS;
	if (!absent[PART_RECORDINGS] &&
	    recording(a, rq, root[PART_RECORDINGS], d) < 0)
		return up_bad_unless_oom(a, err, errsize,
		    "recordings is not a list of recordings with status and "
		    "sid");
	d->err_part = PART_CALL;
	return CN_OK;
}

static const struct detail_driver detail = UP_DETAIL(2);

const struct driver drv_twilio = {
	UP_DRIVER("twilio", PAGING_TOKEN, 1000, DESC_BIT),
	.creation_order = true, /* date_created, newest first */
	.windows = true, /* StartTime> / StartTime< */
	.walks = walks,
	.keys = keys,
	.nkeys = UP_NELEM(keys),
	.can_push = FBIT(F_STATUS) | UP_F_TIME,
	.can_check = UP_F_RECORD | FBIT(F_AGENT),
	.detail = &detail,
};
