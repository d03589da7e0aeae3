/*
 * bland: GET /v1/calls with the raw key in `authorization`.  Index
 * offsets: `from` (inclusive) and `to` (exclusive) with `limit`, in
 * created_at order either way (`ascending`), and `total_count`.  The
 * offsets are walked as page numbers from 0 (from = page * size), which
 * is how the engine keeps a walk complete when newest-first offsets
 * shift under inserts (docs/providers-bland.md).
 *
 * The status is no single word: a row-ordered table over queue_status,
 * completed, answered_by and error_message, first matching row wins.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "common.h"

#define URL_MAX 16384
#define MS_PER_MIN INT64_C(60000)

/*
 * The rows that read queue_status alone (1, 4 and 5); rows 2 and 3,
 * on `completed`, come between row 1 and the others (see status()).
 */
static struct up_status_table words =
    UP_STATUS_TABLE("canceled=canceled error=failed/error failed=failed/error "
                    "queued=queued allocated=queued new=queued "
                    "started=in_progress in_progress=in_progress",
        NULL);

/* What `completed` true can become (rows 2 and 3): completed=true is a
 * superset of exactly these statuses. */
#define DONE_STATUSES (FBIT(ST_COMPLETED) | FBIT(ST_VOICEMAIL))

static void
status(struct call *c, int completed, const char *answered_by,
    const char *error_message)
{
	const struct up_status_table *t = up_vocab(&words);
	const struct up_status *w = c->provider_status == NULL
	    ? NULL
	    : up_status_find(t->words, t->n, c->provider_status);

	if (w != NULL && w->status == ST_CANCELED) {
		c->status = ST_CANCELED;
		c->end_reason = ER_NULL;
	} else if (completed == 1) {
		bool vm =
		    answered_by != NULL && word_eq(answered_by, "voicemail");
		c->status = vm ? ST_VOICEMAIL : ST_COMPLETED;
		c->end_reason = vm ? ER_VOICEMAIL : ER_NULL;
	} else if (error_message != NULL && error_message[0] != '\0') {
		c->status = ST_FAILED;
		c->end_reason = ER_ERROR;
	} else
		up_status_map(&words, c->provider_status, NULL, c);
}

/* start_date / end_date: whole UTC days, both inclusive, on creation
 * time.  started_before is exclusive: its last instant is 1 ms before. */
static bool
day_of(int64_t ms, char *out, size_t size)
{
	return time_format_date(ms, 0, out, size) > 0;
}

static void
plan(const struct query *q, struct plan *p)
{
	char day[16];
	unsigned can = up_status_producible(&words) | DONE_STATUSES;

	up_phone_only(q, p); /* Bland lists phone calls only */
	if (q->statuses && !(q->statuses & can))
		p->empty = true; /* busy, no_answer, ringing, scheduled */
	else if (q->statuses && !(q->statuses & ~DONE_STATUSES))
		up_push(p, FBIT(F_STATUS), false); /* completed=true */
	/* inbound=true|false; records without `inbound` are dropped here */
	if (up_single_bit(q->directions) > 0)
		up_push(p, FBIT(F_DIRECTION), false);
	if (query_has(q, QP_STARTED_AFTER) &&
	    day_of(q->started_after, day, sizeof(day)))
		up_push(p, FBIT(F_STARTED_AFTER), false);
	if (query_has(q, QP_STARTED_BEFORE) &&
	    day_of(q->started_before - 1, day, sizeof(day)))
		up_push(p, FBIT(F_STARTED_BEFORE), false);
	/* whole minutes with a minute of room: below one minute, a lower
	 * bound has nothing to send */
	if (query_has(q, QP_MIN_DURATION) && q->min_duration >= MS_PER_MIN)
		up_push(p, FBIT(F_MIN_DURATION), false);
	if (query_has(q, QP_MAX_DURATION) &&
	    q->max_duration / MS_PER_MIN < INT64_MAX - 1)
		up_push(p, FBIT(F_MAX_DURATION), false);
}

/* The offset of the fetch's page: from = page * size (clamped; the page
 * number comes from our own sealed cursor, the size from the plan). */
static int64_t
offset_of(const struct fetch *f)
{
	int64_t from;

	if (f->pos.page <= 0)
		return 0;
	if (__builtin_mul_overflow(f->pos.page, (int64_t)f->page_size, &from) ||
	    from > INT64_MAX - f->page_size)
		return INT64_MAX - f->page_size;
	return from;
}

static enum cn_err
prepare(const struct fetch *f, struct arena *a, struct upreq *r)
{
	const struct query *q = f->q;
	unsigned pushed = f->plan->pushed;
	int64_t from = offset_of(f);
	enum cn_err e;
	char day[16];
	struct buf b;
	int dir;

	buf_init(&b, URL_MAX);
	up_url_begin(&b, f->pc, "/v1/calls");
	up_url_param_int(&b, "from", from);
	up_url_param_int(&b, "to", from + f->page_size);
	up_url_param_int(&b, "limit", f->page_size);
	up_url_param(&b, "ascending", f->order == ORDER_ASC ? "true" : "false");
	if (pushed & FBIT(F_STATUS))
		up_url_param(&b, "completed", "true");
	if ((pushed & FBIT(F_DIRECTION)) &&
	    (dir = up_single_bit(q->directions)) > 0)
		up_url_param(
		    &b, "inbound", dir == DIR_INBOUND ? "true" : "false");
	if ((pushed & FBIT(F_STARTED_AFTER)) &&
	    day_of(q->started_after, day, sizeof(day)))
		up_url_param(&b, "start_date", day);
	if ((pushed & FBIT(F_STARTED_BEFORE)) &&
	    day_of(q->started_before - 1, day, sizeof(day)))
		up_url_param(&b, "end_date", day);
	if (pushed & FBIT(F_MIN_DURATION))
		up_url_param_int(
		    &b, "duration_gt", q->min_duration / MS_PER_MIN - 1);
	if (pushed & FBIT(F_MAX_DURATION))
		up_url_param_int(
		    &b, "duration_lt", q->max_duration / MS_PER_MIN + 1);
	if ((e = up_get(a, r, &b)) != CN_OK)
		return e;
	return up_add_header(a, r, "authorization", f->pc->api_key);
}

/*
 * call_length: minutes, a float, to the nearest millisecond.  A call
 * lasts no longer than the time range we print (nor less than nothing).
 */
static int
minutes(const struct jv *o, struct opt_i64 *ms)
{
	const struct jv *v = jv_get(o, "call_length");
	double m;

	ms->set = false;
	if (jv_is_null(v))
		return 0;
	if (jv_type(v) != J_NUM || jv_num(v, &m) != 0 || !(m >= 0) ||
	    m * (double)MS_PER_MIN > (double)TIME_MAX_MS)
		return -1;
	ms->set = true;
	/* half up; non-negative, so truncation is the floor */
	ms->v = (int64_t)(m * (double)MS_PER_MIN + 0.5);
	return 0;
}

static int
record(const struct fetch *f, struct arena *a, const struct jv *o,
    struct call *c, const char **why)
{
	const char *answered_by, *error_message, *campaign, *batch;
	int completed, inbound;

	if (up_record(f, a, o, "call_id", c, why,
	        "queue_status:s completed:b answered_by:s error_message:s "
	        "inbound:b from:s to:s created_at:T campaign_id:s batch_id:s",
	        &c->provider_status, &completed, &answered_by, &error_message,
	        &inbound, &c->from, &c->to, &c->started_at, &campaign,
	        &batch) < 0)
		return -1;
	if (minutes(o, &c->duration_ms) < 0)
		return up_why(why, "call_length is not a number of minutes");
	c->type = TYPE_PHONE;
	c->direction = inbound == 1 ? DIR_INBOUND
	    : inbound == 0          ? DIR_OUTBOUND
	                            : DIR_NULL;
	status(c, completed, answered_by, error_message);
	if (completed == 1)
		up_end_from(c, &c->started_at);
	if (!up_time_ok(&c->started_at) || !up_time_ok(&c->ended_at))
		return up_why(why, "created_at + call_length is out of range");
	c->campaign_id = campaign != NULL && campaign[0] != '\0' ? campaign
	    : batch != NULL && batch[0] != '\0'                  ? batch
	                                                         : NULL;
	return 0;
}

static enum cn_err
decode(const struct fetch *f, const struct upresp *resp, struct arena *a,
    struct uppage *pg, char *err, size_t errsize)
{
	struct opt_i64 total;
	int64_t from = offset_of(f);
	enum cn_err e;
	bool last;

	/* `count` is not read: Bland's example gives one larger than the page */
	if ((e = up_decode_list(f, resp, a, "calls", "total_count", record, pg,
	         &total, err, errsize)) != CN_OK)
		return e;
	if (pg->n > (size_t)f->page_size)
		return up_bad(err, errsize, "%zu calls for a limit of %d",
		    pg->n, f->page_size);
	/*
	 * Offsets move by whole pages, so a page shorter than the limit
	 * that does not reach total_count would leave a gap after it, and
	 * calls at or past total_count contradict it: either way the answer
	 * is not the list Bland documents (a provider repeating a page it
	 * gave for other offsets looks like this).
	 */
	if (total.set && pg->n > 0 && from + (int64_t)pg->n < total.v &&
	    pg->n < (size_t)f->page_size)
		return up_bad(err, errsize,
		    "%zu calls from offset %" PRId64 " for a limit of %d, "
		    "but total_count is %" PRId64,
		    pg->n, from, f->page_size, total.v);
	if (total.set && pg->n > 0 && from >= total.v)
		return up_bad(err, errsize,
		    "calls from offset %" PRId64 ", past total_count %" PRId64,
		    from, total.v);
	/* the end: total_count reached, or an empty page */
	last = pg->n == 0 || (total.set && from + (int64_t)pg->n >= total.v);
	up_page_end(pg, last, &total, -1, f->page_size);
	return CN_OK;
}

/* ---- one call in full: GET /v1/calls/{call_id} ---- */

/*
 * The answer is the call object: the list's members and the detail's
 * (transcripts, summary, recording_url, price, started_at).  Each
 * transcript item names its speaker in `user`; agent-action items are
 * the agent's actions (a tool, a transfer, an extraction).
 */
static const struct up_role roles[] = {
	{ "user", "user" },
	{ "assistant", "agent" },
	{ "robot", "agent" },
	{ "agent-action", "tool" },
};

static enum cn_err
detail_prepare(
    const struct detail_req *rq, size_t part, struct arena *a, struct upreq *r)
{
	enum cn_err e;

	(void)part;
	if ((e = up_detail_get(rq, a, r, rq->pc->driver->detail->path, "")) !=
	    CN_OK)
		return e;
	return up_add_header(a, r, "authorization", rq->pc->api_key);
}

#define US_PER_MS INT64_C(1000)

/*
 * An ISO 8601 time to the microsecond (Bland writes six fraction
 * digits; more are cut): 0 with *set false when absent or null, -1 when
 * not a time.
 */
static int
micros(const struct jv *o, const char *key, bool *set, int64_t *us)
{
	char whole[64];
	const char *s;
	size_t n, d = 0, k;
	int64_t ms, frac = 0;

	*set = false;
	if (up_field_str(o, key, &s) < 0)
		return -1;
	if (s == NULL)
		return 0;
	n = strlen(s);
	if (n < 19 || n >= sizeof(whole))
		return -1;
	if (n > 19 && s[19] == '.')
		for (d = 1; 19 + d < n && s[19 + d] >= '0' && s[19 + d] <= '9';)
			d++;
	for (k = 1; k <= 6; k++)
		frac = frac * 10 + (k < d ? s[19 + k] - '0' : 0);
	/* the whole seconds and the zone, without the fraction */
	memcpy(whole, s, 19);
	memcpy(whole + 19, s + 19 + d, n - 19 - d);
	if ((d == 1) || time_parse_iso(whole, n - d, 0, &ms) < 0)
		return -1;
	*us = ms * US_PER_MS + frac;
	*set = true;
	return 0;
}

/* A turn's offset: its created_at less the call's started_at, to the
 * nearest ms (half up); null when either is missing or the turn comes
 * before the start. */
static int
turn_offset(const struct jv *it, struct turn *tu, void *start)
{
	const int64_t *started = start;
	int64_t at;
	bool set;

	tu->offset_ms.set = false;
	if (micros(it, "created_at", &set, &at) < 0)
		return -1;
	if (set && started != NULL && at >= *started) {
		tu->offset_ms.v = (at - *started + US_PER_MS / 2) / US_PER_MS;
		tu->offset_ms.set = true;
	}
	return 0;
}

static enum cn_err
detail_decode(const struct detail_req *rq, const struct upresp *resp,
    struct arena *a, struct detail *d, char *err, size_t errsize)
{
	const struct jv *root, *price;
	const char *why = "";
	int64_t started;
	bool has_start;
	enum cn_err e;

	if ((e = up_detail_bare_call(
	         rq, resp, a, record, d, &root, err, errsize)) != CN_OK)
		return e;
	if (up_unpack(a, root, &why, "recording_url:s summary:t",
	        &d->recording_url, &d->summary) < 0)
		return up_bad_unless_oom(a, err, errsize, "%s", why);
	if (micros(root, "started_at", &has_start, &started) < 0)
		return up_bad(
		    err, errsize, "started_at is not an ISO 8601 time");
	if (up_decode_turns_keyed(a, root, "transcripts", "user", "text", roles,
	        UP_NELEM(roles), turn_offset, has_start ? &started : NULL,
	        d) < 0)
		return up_bad_unless_oom(a, err, errsize,
		    "transcripts entries are not user, text and created_at");
	/* price: US dollars (Bland's documentation) */
	price = jv_get(root, "price");
	if (up_cost(a, d, price, 1, "USD") < 0)
		return up_bad_unless_oom(
		    a, err, errsize, "price is not a number");
	return CN_OK;
}

static const struct detail_driver detail = UP_DETAIL_GET("/v1/calls/");

const struct driver drv_bland = {
	UP_DRIVER("bland", PAGING_PAGE0, 1000, DESC_BIT | ASC_BIT),
	.can_push =
	    FBIT(F_STATUS) | FBIT(F_DIRECTION) | UP_F_TIME | UP_F_DURATION,
	.can_check = UP_F_RECORD,
	.detail = &detail,
};
