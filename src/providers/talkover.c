/*
 * talkover: GET /api/v1/calls.  Laravel-style page numbers from 1, newest
 * first, at most 100 calls a page.  Every filter it takes is single-
 * valued, and its date filters take whole days in a time zone the docs
 * do not name, so times are only ever pushed down as a padded superset
 * and re-checked here.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "common.h"

#define MS_PER_DAY INT64_C(86400000)
#define URL_MAX 16384

/* Talkover's status vocabulary (Twilio-like, "no-answer"). */
static struct up_status_table statuses =
    UP_STATUS_TABLE("initiated=queued ringing=ringing answered=in_progress "
                    "completed=completed failed=failed/error busy=busy/busy "
                    "no-answer=no_answer/no_answer",
        NULL);

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
	char day[16];

	up_phone_only(q, p); /* Talkover lists phone calls only */
	up_plan_status(q, p, &statuses, 1); /* one value at most */
	up_plan_single(q, p);
	if (query_has(q, QP_STARTED_AFTER) && date_from(q, day, sizeof(day)))
		up_push(p, FBIT(F_STARTED_AFTER), false);
	if (query_has(q, QP_STARTED_BEFORE) && date_to(q, day, sizeof(day)))
		up_push(p, FBIT(F_STARTED_BEFORE), false);
	/*
	 * `search` is a partial match on the E.164 numbers or the call SID:
	 * a superset of ours (from or to contains the value), for one value.
	 */
	if (q->phones.n == 1)
		up_push(p, FBIT(F_PHONE), false);
}

static enum cn_err
prepare(const struct fetch *f, struct arena *a, struct upreq *r)
{
	const struct query *q = f->q;
	unsigned pushed = f->plan->pushed;
	const char *w;
	char day[16];
	struct buf b;

	buf_init(&b, URL_MAX);
	up_url_pages(&b, f, "/api/v1/calls");
	if ((pushed & FBIT(F_STATUS)) &&
	    up_status_pick(&statuses, q->statuses, &w, 1) == 1)
		up_url_param(&b, "status", w);
	up_url_direction(&b, f, "direction");
	up_url_agent(&b, f, "agent_id");
	if ((pushed & FBIT(F_STARTED_AFTER)) && date_from(q, day, sizeof(day)))
		up_url_param(&b, "date_from", day);
	if ((pushed & FBIT(F_STARTED_BEFORE)) && date_to(q, day, sizeof(day)))
		up_url_param(&b, "date_to", day);
	if ((pushed & FBIT(F_PHONE)) && q->phones.n == 1)
		up_url_param(&b, "search", q->phones.v[0]);
	return up_get_bearer(a, r, &b, f->pc->api_key);
}

/* Fills c from one list item. */
static int
record(const struct fetch *f, struct arena *a, const struct jv *o,
    struct call *c, const char **why)
{
	struct opt_i64 dur;
	const char *dir;

	if (up_record(f, a, o, "id", c, why,
	        "status:s direction:s from:s to:s agent.id:s agent.name:s "
	        "created_at:T duration:S is_testing:b",
	        &c->provider_status, &dir, &c->from, &c->to, &c->agent_id,
	        &c->agent_name, &c->started_at, &dur, &c->is_test) < 0)
		return -1;
	c->type = TYPE_PHONE;
	up_status_map(&statuses, c->provider_status, NULL, c);
	c->direction = up_direction(dir, UP_DIR_INOUT);
	/* Talkover reports 0 until a call completes: only then is it real. */
	if (c->status == ST_COMPLETED && dur.set) {
		c->duration_ms = dur;
		up_end_from(c, &c->started_at);
	}
	return 0;
}

/* Laravel-style pagination: last_page may take any value. */
static const struct up_pages_names pages = { "pagination", "current_page",
	"last_page", "total", "per_page", INT64_MIN };

static enum cn_err
decode(const struct fetch *f, const struct upresp *resp, struct arena *a,
    struct uppage *pg, char *err, size_t errsize)
{
	return up_decode_pages(
	    f, resp, a, &pages, record, false, pg, err, errsize);
}

const struct driver drv_talkover = {
	UP_DRIVER("talkover", PAGING_PAGE1, 100, DESC_BIT),
	.has_test_flag = true,
	.can_push = FBIT(F_STATUS) | FBIT(F_DIRECTION) | FBIT(F_AGENT) |
	    UP_F_TIME | FBIT(F_PHONE),
	.can_check = UP_F_RECORD | FBIT(F_AGENT),
};
