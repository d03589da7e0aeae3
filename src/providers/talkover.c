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
static const struct up_status words[] = {
	{ "initiated", ST_QUEUED, ER_NULL, UP_FINAL },
	{ "ringing", ST_RINGING, ER_NULL, UP_FINAL },
	{ "answered", ST_IN_PROGRESS, ER_NULL, UP_FINAL },
	{ "completed", ST_COMPLETED, ER_NULL, UP_FINAL },
	{ "failed", ST_FAILED, ER_ERROR, UP_FINAL },
	{ "busy", ST_BUSY, ER_BUSY, UP_FINAL },
	{ "no-answer", ST_NO_ANSWER, ER_NO_ANSWER, UP_FINAL },
};

static const struct up_status_table statuses = { words, UP_NELEM(words), NULL,
	0 };

/* Laravel-style pagination: last_page may take any value. */
static const struct up_pages_names pages = { "pagination", "current_page",
	"last_page", "total", "per_page", INT64_MIN };

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
	for (i = 0; i < statuses.n; i++) {
		if (!(q->statuses & (1u << words[i].status)))
			continue;
		if (found++)
			return -1;
		*word = words[i].word;
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

	up_phone_only(q, p); /* Talkover lists phone calls only */
	if (q->statuses) {
		switch (status_push(q, &w)) {
		case 0:
			p->empty = true;
			break;
		case 1:
			up_push(p, FBIT(F_STATUS), true);
			break;
		}
	}
	if (up_single_bit(q->directions) > 0)
		up_push(p, FBIT(F_DIRECTION), true);
	if (q->agent_ids.n == 1)
		up_push(p, FBIT(F_AGENT), true);
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
	enum cn_err e;
	const char *w;
	char day[16];
	struct buf b;
	int dir;

	buf_init(&b, URL_MAX);
	up_url_begin(&b, f->pc, "/api/v1/calls");
	up_url_param_int(&b, "page", f->pos.page < 1 ? 1 : f->pos.page);
	up_url_param_int(&b, "per_page", f->page_size);
	if ((pushed & FBIT(F_STATUS)) && status_push(q, &w) == 1)
		up_url_param(&b, "status", w);
	if ((pushed & FBIT(F_DIRECTION)) &&
	    (dir = up_single_bit(q->directions)) > 0)
		up_url_param(&b, "direction", call_dir_names[dir]);
	if ((pushed & FBIT(F_AGENT)) && q->agent_ids.n == 1)
		up_url_param(&b, "agent_id", q->agent_ids.v[0]);
	if ((pushed & FBIT(F_STARTED_AFTER)) && date_from(q, day, sizeof(day)))
		up_url_param(&b, "date_from", day);
	if ((pushed & FBIT(F_STARTED_BEFORE)) && date_to(q, day, sizeof(day)))
		up_url_param(&b, "date_to", day);
	if ((pushed & FBIT(F_PHONE)) && q->phones.n == 1)
		up_url_param(&b, "search", q->phones.v[0]);
	if ((e = up_get(a, r, &b)) != CN_OK)
		return e;
	return up_bearer(a, r, f->pc->api_key);
}

/* Fills c from one list item. */
static int
record(const struct fetch *f, struct arena *a, const struct jv *o,
    struct call *c, const char **why)
{
	const struct jv *v;
	struct opt_i64 dur;
	const char *dir;

	(void)a; /* records keep pointers into the parsed body */
	if (up_record_begin(f, o, "id", c) < 0)
		return up_why(
		    why, "id is missing or not a string of 1 to 256 bytes");
	c->type = TYPE_PHONE;
	if (up_field_str(o, "status", &c->provider_status) < 0)
		return up_why(why, "status is not a string");
	up_status_map(&statuses, c->provider_status, NULL, c);
	if (up_field_str(o, "direction", &dir) < 0)
		return up_why(why, "direction is not a string");
	c->direction = up_direction(dir, UP_DIR_INOUT);
	if (up_field_str(o, "from", &c->from) < 0)
		return up_why(why, "from is not a string");
	if (up_field_str(o, "to", &c->to) < 0)
		return up_why(why, "to is not a string");
	if (up_field_obj(o, "agent", &v) < 0)
		return up_why(why, "agent is not an object");
	if (v != NULL && up_field_str(v, "id", &c->agent_id) < 0)
		return up_why(why, "agent.id is not a string");
	if (v != NULL && up_field_str(v, "name", &c->agent_name) < 0)
		return up_why(why, "agent.name is not a string");
	if (up_field_time_iso(o, "created_at", &c->started_at) < 0)
		return up_why(why, "created_at is not an ISO 8601 time");
	if (up_field_seconds(o, "duration", &dur) < 0)
		return up_why(why, "duration is not a number of seconds");
	/* Talkover reports 0 until a call completes: only then is it real. */
	if (c->status == ST_COMPLETED && dur.set) {
		c->duration_ms = dur;
		up_end_from(c, &c->started_at);
	}
	if (up_field_bool(o, "is_testing", &c->is_test) < 0)
		return up_why(why, "is_testing is not a boolean");
	return 0;
}

static enum cn_err
decode(const struct fetch *f, const struct upresp *resp, struct arena *a,
    struct uppage *pg, char *err, size_t errsize)
{
	return up_decode_pages(
	    f, resp, a, &pages, record, false, pg, err, errsize);
}

const struct driver drv_talkover = {
	.abi = DRIVER_ABI,
	.kind = "talkover",
	.paging = PAGING_PAGE1,
	.max_page_size = 100,
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
