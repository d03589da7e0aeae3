/*
 * zudu: POST /api/calls with 0-based page numbers.  The status is coarse
 * (ENDED) and the outcome lives in disconnection_reason (Retell words),
 * so a status filter goes out as a superset and is refined here.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "common.h"

#define BODY_MAX (64 * 1024)

/* call_status words, in the order the status pushdown lists them; an
 * ENDED call's outcome lives in disconnection_reason, whose words the
 * normalized table names are the second table (dial_failed aside, the
 * rest are error_* and the like). */
static struct up_status_table statuses =
    UP_STATUS_TABLE("SCHEDULED=scheduled REGISTERED=queued ONGOING=in_progress "
                    "ENDED=completed+ ERROR=failed/error",
        "dial_no_answer=no_answer/no_answer dial_busy=busy/busy "
        "voicemail_reached=voicemail/voicemail "
        "dial_failed=failed/error user_hangup=completed/user_hangup "
        "agent_hangup=completed/agent_hangup "
        "call_transfer=completed/transferred "
        "inactivity=completed/inactivity "
        "max_duration_reached=completed/max_duration");

static void
plan(const struct query *q, struct plan *p)
{
	unsigned up, yield;

	/*
	 * `unknown` is a word outside the table: no list can name it, and
	 * any record may turn out to be one.
	 */
	if (q->statuses && !(q->statuses & FBIT(ST_UNKNOWN))) {
		up = up_status_select(&statuses, q->statuses, &yield);
		if (up == 0)
			p->empty = true;
		else /* exact unless a value sent also yields others */
			up_push(p, FBIT(F_STATUS), (yield & ~q->statuses) == 0);
	}
	if (q->types)
		up_push(p, FBIT(F_TYPE), true);
	if (q->agent_ids.n)
		up_push(p, FBIT(F_AGENT), true);
	/*
	 * Threshold inclusivity is undocumented: both go out 1 ms wider and
	 * are re-checked here.  A zero minimum excludes nothing.
	 */
	if (query_has(q, QP_MIN_DURATION) && q->min_duration > 0)
		up_push(p, FBIT(F_MIN_DURATION), false);
	if (query_has(q, QP_MAX_DURATION) && q->max_duration < INT64_MAX)
		up_push(p, FBIT(F_MAX_DURATION), false);
	/*
	 * transcript_search takes one string; several `q` values are
	 * alternatives it cannot express.  Its matching rules are
	 * undocumented, so it is never exact.
	 */
	if (q->qs.n == 1)
		up_push(p, FBIT(F_Q), false);
}

/* filter_criteria's members, for the filters the plan pushes. */
static void
criteria(const struct query *q, unsigned pushed, struct buf *b)
{
	static const char *const types[TYPE__MAX] = { NULL, "PHONE_CALL",
		"WEB_CALL" };
	bool first = true;

	if (pushed & FBIT(F_STATUS)) {
		up_json_key(b, &first, "call_status");
		up_json_status_words(b, &statuses, q->statuses);
	}
	if (pushed & FBIT(F_AGENT)) {
		up_json_key(b, &first, "agent_id");
		up_json_strset(b, &q->agent_ids);
	}
	if (pushed & FBIT(F_TYPE)) {
		up_json_key(b, &first, "call_type");
		up_json_words(b, q->types, types, TYPE__MAX);
	}
	if (pushed & (FBIT(F_MIN_DURATION) | FBIT(F_MAX_DURATION))) {
		up_json_key(b, &first, "duration_ms");
		up_json_threshold(b, pushed & FBIT(F_MIN_DURATION),
		    q->min_duration - 1, pushed & FBIT(F_MAX_DURATION),
		    q->max_duration + 1);
	}
	if (pushed & FBIT(F_Q)) {
		up_json_key(b, &first, "transcript_search");
		buf_json_cstr(b, q->qs.v[0]);
	}
}

static enum cn_err
prepare(const struct fetch *f, struct arena *a, struct upreq *r)
{
	unsigned pushed = f->plan->pushed;
	enum cn_err e;
	struct buf b;

	buf_init(&b, BODY_MAX);
	buf_adds(&b, "{\"page\":");
	buf_json_int(&b, f->pos.page);
	buf_adds(&b, ",\"limit\":");
	buf_json_int(&b, f->page_size);
	/*
	 * The merge needs the list in started_at order, and started_at is
	 * start_timestamp.  Zudu's docs do not say where calls that have not
	 * started (null start_timestamp) sort; callnorm assumes by their
	 * created_at, which is their started_at (docs/providers-zudu.md).
	 * created_at itself is not an option: it precedes the start by a
	 * varying gap, so its order is not the start order.
	 */
	buf_adds(&b, ",\"sort_by\":\"start_timestamp\",\"sort_order\":");
	buf_json_cstr(&b, f->order == ORDER_ASC ? "ascending" : "descending");
	if (pushed &
	    (FBIT(F_STATUS) | FBIT(F_TYPE) | FBIT(F_AGENT) |
	        FBIT(F_MIN_DURATION) | FBIT(F_MAX_DURATION) | FBIT(F_Q))) {
		buf_adds(&b, ",\"filter_criteria\":{");
		criteria(f->q, pushed, &b);
		buf_addc(&b, '}');
	}
	buf_addc(&b, '}');
	if ((e = up_post(a, r, f->pc, "/api/calls", &b)) != CN_OK ||
	    (e = up_add_header(a, r, "X-API-KEY", f->pc->api_key)) != CN_OK)
		return e;
	return up_add_header(a, r, "X-API-SECRET",
	    f->pc->api_secret != NULL ? f->pc->api_secret : "");
}

static int
record(const struct fetch *f, struct arena *a, const struct jv *o,
    struct call *c, const char **why)
{
	const struct jv *v;
	const char *type, *dir, *reason;

	if (up_record(f, a, o, "call_id", c, why,
	        "call_type:s direction:s call_status:s disconnection_reason:s "
	        "from_number:s to_number:s agent_id:s start_timestamp:i "
	        "end_timestamp:i call_duration:i transcript:t metadata:o",
	        &type, &dir, &c->provider_status, &reason, &c->from, &c->to,
	        &c->agent_id, &c->started_at, &c->ended_at, &c->duration_ms,
	        &c->transcript, &c->metadata) < 0)
		return -1;
	/* created_at: epoch ms in list answers, ISO in some examples */
	if (!c->started_at.set) {
		v = jv_get(o, "created_at");
		if (v != NULL && jv_type(v) == J_STR) {
			if (up_field_time_iso(o, "created_at", &c->started_at) <
			    0)
				return up_why(why, "bad created_at");
		} else if (up_field_int(o, "created_at", &c->started_at) < 0)
			return up_why(why, "a field has the wrong type");
	}
	if (!up_time_ok(&c->started_at) || !up_time_ok(&c->ended_at))
		return up_why(why, "timestamp out of range");
	if (c->duration_ms.set && c->duration_ms.v < 0)
		return up_why(why, "bad call_duration");
	if (c->transcript != NULL)
		c->has_transcript_source = true;
	else if ((f->plan->requested & FBIT(F_Q)) &&
	    !(f->plan->pushed & FBIT(F_Q)))
		/*
		 * Nobody searched this call upstream, and a call the list
		 * gives no transcript for has none to match.
		 */
		c->transcript = "";
	c->type = up_call_type(type);
	c->direction = up_direction(dir, UP_DIR_INOUT);
	up_status_map(&statuses, c->provider_status, reason, c);
	return 0;
}

static enum cn_err
decode(const struct fetch *f, const struct upresp *resp, struct arena *a,
    struct uppage *pg, char *err, size_t errsize)
{
	const struct jv *root, *calls, *pag;
	struct opt_i64 total, pages, limit;
	const char *st;
	int next;
	enum cn_err e;

	if ((e = up_decode_begin(f, resp, a, "data.calls", &root, &calls, err,
	         errsize)) != CN_OK)
		return e;
	if (up_field_str(root, "status", &st) < 0)
		return up_bad(err, errsize, "status is not a string");
	if (st != NULL && word_eq(st, "error"))
		return up_bad(err, errsize, "status is error");
	pag = jv_get(jv_get(root, "data"), "pagination");
	if (pag == NULL || jv_type(pag) != J_OBJ)
		return up_bad(err, errsize,
		    "data.pagination is missing or not an object");
	/* The two documentation pages name the total differently. */
	if (up_field_int(pag, "total_count", &total) < 0 ||
	    (!total.set && up_field_int(pag, "total", &total) < 0) ||
	    up_field_int(pag, "total_pages", &pages) < 0 ||
	    up_field_int(pag, "limit", &limit) < 0 ||
	    up_field_bool(pag, "has_next_page", &next) < 0)
		return up_bad(
		    err, errsize, "a pagination field has the wrong type");
	if ((total.set && total.v < 0) || (pages.set && pages.v < 0) ||
	    (limit.set && limit.v <= 0))
		return up_bad(err, errsize, "negative pagination values");
	if ((e = up_decode_records(f, a, calls, pg, record, err, errsize)) !=
	    CN_OK)
		return e;
	/*
	 * Either signal ends the list; without both, only a short page
	 * does.
	 */
	up_page_end(pg,
	    pg->n == 0 || next == 0 ||
	        (pages.set && f->pos.page + 1 >= pages.v) ||
	        (next < 0 && !pages.set && pg->n < (size_t)f->page_size),
	    &total, pages.set && pages.v > 0 ? pages.v - 1 : -1,
	    limit.set && limit.v <= INT32_MAX ? (int)limit.v : f->page_size);
	return CN_OK;
}

/* ---- one call in full: GET /api/calls/{callId} ---- */

static const char *const detail_parts[] = { "call" };

static const struct up_role roles[] = {
	{ "agent", "agent" },
	{ "assistant", "agent" }, /* the get-call page's example */
	{ "user", "user" },
};

static enum cn_err
detail_prepare(
    const struct detail_req *rq, size_t part, struct arena *a, struct upreq *r)
{
	enum cn_err e;

	(void)part;
	if ((e = up_detail_get(rq, a, r, "/api/calls/", "")) != CN_OK ||
	    (e = up_add_header(a, r, "X-API-KEY", rq->pc->api_key)) != CN_OK)
		return e;
	return up_add_header(a, r, "X-API-SECRET",
	    rq->pc->api_secret != NULL ? rq->pc->api_secret : "");
}

/*
 * A word's start is seconds from the call's start (the Retell model);
 * the get-call page's example gives epoch milliseconds instead.  No
 * call lasts 10^9 seconds, so a start that large is an instant, and the
 * offset is counted from start_timestamp (null without one).
 */
#define START_IS_INSTANT 1000000000LL

static int
turn_offset(const struct jv *it, struct turn *tu, void *call)
{
	const struct call *c = call;
	const struct jv *w0;
	int64_t at;
	int n;

	tu->offset_ms.set = false;
	if ((n = up_first_word(it, &w0)) <= 0)
		return n;
	if (jv_int(jv_get(w0, "start"), &at) == 0 && at >= START_IS_INSTANT) {
		if (c->started_at.set && at >= c->started_at.v) {
			tu->offset_ms.v = at - c->started_at.v;
			tu->offset_ms.set = true;
		}
		return 0;
	}
	return up_offset_seconds(jv_get(w0, "start"), &tu->offset_ms);
}

static enum cn_err
detail_decode(const struct detail_req *rq, const struct upresp *resp,
    struct arena *a, struct detail *d, char *err, size_t errsize)
{
	const struct jv *root, *data;
	const char *st;
	bool absent;
	enum cn_err e;

	e = up_detail_part(resp, 0, a, d, &root, &absent, err, errsize);
	if (e != CN_OK)
		return e;
	if (up_field_str(root, "status", &st) < 0 ||
	    (st != NULL && !word_eq(st, "success")))
		return up_bad(err, errsize, "status is not success");
	data = jv_get(root, "data");
	if (jv_type(data) != J_OBJ)
		return up_bad(err, errsize, "data is missing or not an object");
	if ((e = up_detail_record(rq, a, data, record, d, err, errsize)) !=
	    CN_OK)
		return e;
	/* combined_cost in dollars: the documentation's example prices
	 * (0.02 a minute) are dollar amounts, not Retell's cents */
	return up_detail_retell_model(a, data, roles, UP_NELEM(roles),
	    turn_offset, &d->call, 1, d, err, errsize);
}

static const struct detail_driver detail = UP_DETAIL(1);

const struct driver drv_zudu = {
	UP_DRIVER("zudu", PAGING_PAGE0, 100, DESC_BIT | ASC_BIT),
	.needs_secret = true,
	.can_push = FBIT(F_STATUS) | FBIT(F_TYPE) | FBIT(F_AGENT) |
	    UP_F_DURATION | FBIT(F_Q),
	.can_check = UP_F_RECORD | FBIT(F_AGENT) | FBIT(F_Q),
	.detail = &detail,
};
