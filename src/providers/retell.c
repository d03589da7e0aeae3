/*
 * retell: POST /v3/list-calls, an opaque pagination_key with has_more,
 * sorted by start_timestamp either way.  Filters are typed objects
 * ({"type":"enum","op":"in",...}, {"type":"number","op":"ge",...}), one
 * per field, all ANDed.  The status is coarse (ended, not_connected) and
 * the outcome lives in disconnection_reason, so a status filter goes out
 * as a superset and is refined here.  The v3 list carries no transcript.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "../cursor.h"
#include "common.h"

#define BODY_MAX (64 * 1024)

/* Upstream numbers are JSON doubles: larger bounds are checked here only. */
#define NUM_MAX (INT64_C(1) << 53)

/* call_status words in the order the status pushdown lists them; an ended
 * call's outcome lives in disconnection_reason: zudu's words, Retell's
 * own, every error_* a failure, any other reason an unexplained end. */
static struct up_status_table statuses =
    UP_STATUS_TABLE("registered=queued ongoing=in_progress error=failed/error "
                    "ended=completed+",
        "user_hangup=completed/user_hangup agent_hangup=completed/agent_hangup "
        "call_transfer=completed/transferred "
        "transfer_bridged=completed/transferred "
        "inactivity=completed/inactivity "
        "max_duration_reached=completed/max_duration "
        "manual_stopped=completed/agent_hangup "
        "call_take_over=completed/agent_hangup "
        "dial_no_answer=no_answer/no_answer dial_busy=busy/busy "
        "voicemail_reached=voicemail/voicemail dial_failed=failed/error "
        "concurrency_limit_reached=failed/error marked_as_spam=failed/error "
        "scam_detected=failed/error invalid_destination=failed/error "
        "error_*=failed/error *=completed/error");

/* A call that never connected: only three reasons say why; any other, or
 * none, is a failure.  Its own table, since its default differs. */
static struct up_status_table not_connected =
    UP_STATUS_TABLE("not_connected=failed/error+",
        "dial_no_answer=no_answer/no_answer dial_busy=busy/busy "
        "voicemail_reached=voicemail/voicemail");

/*
 * The call_status words a status query needs, into w: their number, 0
 * when nothing at Retell can match, -1 when no filter can be sent
 * (`unknown` stands for words outside the table; the call_status filter
 * has no `registered`, so `queued` cannot be asked for).
 */
static int
status_words(const struct query *q, const char **w)
{
	int n, k, i;

	n = up_status_pick(&statuses, q->statuses, w, UP_MAX_WORDS - 1);
	if (n < 0)
		return -1;
	k = up_status_pick(&not_connected, q->statuses, w + n, 1);
	if (k < 0)
		return -1;
	for (i = 0; i < n; i++)
		if (word_eq(w[i], "registered"))
			return -1;
	return n + k;
}

static bool
num_ok(const struct query *q, enum qparam qp, int64_t v)
{
	return query_has(q, qp) && v < NUM_MAX;
}

static void
plan(const struct query *q, struct plan *p)
{
	const char *w[UP_MAX_WORDS];
	unsigned y1, y2;
	int n = -1;
	bool lo, hi;

	if (q->statuses && (n = status_words(q, w)) == 0)
		p->empty = true;
	else if (q->statuses && n > 0) {
		/* exact unless a word sent also yields statuses not asked for */
		up_status_select(&statuses, q->statuses, &y1);
		up_status_select(&not_connected, q->statuses, &y2);
		up_push(p, FBIT(F_STATUS), ((y1 | y2) & ~q->statuses) == 0);
	}
	if (q->directions)
		up_push(p, FBIT(F_DIRECTION), true);
	if (q->types)
		up_push(p, FBIT(F_TYPE), true);
	if (q->agent_ids.n)
		up_push(p, FBIT(F_AGENT), true);
	/*
	 * One filter per field: a single bound is a documented comparison
	 * (ge, lt, le) and exact; two make a `bt` range whose inclusivity is
	 * undocumented, sent wider and re-checked.
	 */
	lo = query_has(q, QP_STARTED_AFTER);
	hi = query_has(q, QP_STARTED_BEFORE);
	if (lo)
		up_push(p, FBIT(F_STARTED_AFTER), !hi);
	if (hi)
		up_push(p, FBIT(F_STARTED_BEFORE), !lo);
	lo = num_ok(q, QP_MIN_DURATION, q->min_duration);
	hi = num_ok(q, QP_MAX_DURATION, q->max_duration);
	if (lo)
		up_push(p, FBIT(F_MIN_DURATION), !hi);
	if (hi)
		up_push(p, FBIT(F_MAX_DURATION), !lo);
}

/* "key":{"type":"enum","op":"in","value":[the words of mask]} */
static void
enum_filter(struct buf *b, bool *first, const char *key, unsigned mask,
    const char *const *words, int n)
{
	up_json_key(b, first, key);
	buf_adds(b, "{\"type\":\"enum\",\"op\":\"in\",\"value\":");
	up_json_words(b, mask, words, n);
	buf_addc(b, '}');
}

/* "key":{"type":"number","op":op,"value":v} for one bound, or a bt range
 * [lo - 1, hi + widen] for two. */
static void
num_filter(struct buf *b, bool *first, const char *key, unsigned pushed,
    unsigned lo_bit, int64_t lo, const char *lo_op, unsigned hi_bit, int64_t hi,
    const char *hi_op, int64_t widen)
{
	up_json_key(b, first, key);
	if ((pushed & lo_bit) && (pushed & hi_bit)) {
		buf_adds(b, "{\"type\":\"range\",\"op\":\"bt\",\"value\":[");
		buf_json_int(b, lo - 1);
		buf_addc(b, ',');
		buf_json_int(b, hi + widen);
		buf_adds(b, "]}");
		return;
	}
	buf_adds(b, "{\"type\":\"number\",\"op\":");
	buf_json_cstr(b, (pushed & lo_bit) ? lo_op : hi_op);
	buf_adds(b, ",\"value\":");
	buf_json_int(b, (pushed & lo_bit) ? lo : hi);
	buf_addc(b, '}');
}

/* filter_criteria's members, for the filters the plan pushes. */
static void
criteria(const struct query *q, unsigned pushed, struct buf *b)
{
	static const char *const types[TYPE__MAX] = { NULL, "phone_call",
		"web_call" };
	const char *w[UP_MAX_WORDS];
	bool first = true;
	int i, n;
	size_t k;

	if ((pushed & FBIT(F_STATUS)) && (n = status_words(q, w)) > 0) {
		up_json_key(b, &first, "call_status");
		buf_adds(b, "{\"type\":\"enum\",\"op\":\"in\",\"value\":[");
		for (i = 0; i < n; i++) {
			if (i > 0)
				buf_addc(b, ',');
			buf_json_cstr(b, w[i]);
		}
		buf_adds(b, "]}");
	}
	if (pushed & FBIT(F_DIRECTION))
		enum_filter(b, &first, "direction", q->directions,
		    call_dir_names, DIR__MAX);
	if (pushed & FBIT(F_TYPE))
		enum_filter(b, &first, "call_type", q->types, types, TYPE__MAX);
	if (pushed & FBIT(F_AGENT)) {
		/* agent filters are ORed; no version: every version */
		up_json_key(b, &first, "agent");
		buf_addc(b, '[');
		for (k = 0; k < q->agent_ids.n; k++) {
			buf_adds(
			    b, k > 0 ? ",{\"agent_id\":" : "{\"agent_id\":");
			buf_json_cstr(b, q->agent_ids.v[k]);
			buf_addc(b, '}');
		}
		buf_addc(b, ']');
	}
	if (pushed & UP_F_TIME)
		num_filter(b, &first, "start_timestamp", pushed,
		    FBIT(F_STARTED_AFTER), q->started_after, "ge",
		    FBIT(F_STARTED_BEFORE), q->started_before, "lt", 0);
	if (pushed & UP_F_DURATION)
		num_filter(b, &first, "duration_ms", pushed,
		    FBIT(F_MIN_DURATION), q->min_duration, "ge",
		    FBIT(F_MAX_DURATION), q->max_duration, "le", 1);
}

static enum cn_err
prepare(const struct fetch *f, struct arena *a, struct upreq *r)
{
	unsigned pushed = f->plan->pushed;
	bool first = true;
	struct buf b;

	buf_init(&b, BODY_MAX);
	buf_addc(&b, '{');
	/* skip is never sent: it cannot go with pagination_key, and offsets
	 * move while calls arrive */
	up_json_walk(&b, f, &first, "pagination_key");
	if (pushed) {
		up_json_key(&b, &first, "filter_criteria");
		buf_addc(&b, '{');
		criteria(f->q, pushed, &b);
		buf_addc(&b, '}');
	}
	buf_addc(&b, '}');
	return up_post_bearer(a, r, f->pc, "/v3/list-calls", &b);
}

static int
record(const struct fetch *f, struct arena *a, const struct jv *o,
    struct call *c, const char **why)
{
	const char *type, *dir, *reason;

	/* transcript fields, when an item has them, are not read: `q` is
	 * refused for every Retell call alike */
	if (up_record(f, a, o, "call_id", c, why,
	        "call_type:s direction:s call_status:s disconnection_reason:s "
	        "from_number:s to_number:s agent_id:s agent_name:s "
	        "agent_version:i start_timestamp:i end_timestamp:i "
	        "duration_ms:i batch_call_id:s metadata:o",
	        &type, &dir, &c->provider_status, &reason, &c->from, &c->to,
	        &c->agent_id, &c->agent_name, &c->agent_version, &c->started_at,
	        &c->ended_at, &c->duration_ms, &c->campaign_id,
	        &c->metadata) < 0)
		return -1;
	if (!up_time_ok(&c->started_at) || !up_time_ok(&c->ended_at))
		return up_why(why, "timestamp out of range");
	if (c->duration_ms.set &&
	    (c->duration_ms.v < 0 || c->duration_ms.v > TIME_MAX_MS))
		return up_why(why, "bad duration_ms");
	c->type = up_call_type(type);
	/* web calls carry no direction and no numbers */
	c->direction = up_direction(dir, UP_DIR_INOUT);
	up_status_map(c->provider_status != NULL &&
	            word_eq(c->provider_status, "not_connected")
	        ? &not_connected
	        : &statuses,
	    c->provider_status, reason, c);
	return 0;
}

static enum cn_err
decode(const struct fetch *f, const struct upresp *resp, struct arena *a,
    struct uppage *pg, char *err, size_t errsize)
{
	const struct jv *root, *items, *key = NULL;
	struct opt_i64 total;
	int more;
	enum cn_err e;

	if ((e = up_decode_begin(
	         f, resp, a, "items", &root, &items, err, errsize)) != CN_OK)
		return e;
	/* Only has_more ends a walk: without it a page cannot say. */
	if (up_field_bool(root, "has_more", &more) < 0 || more < 0)
		return up_bad(
		    err, errsize, "has_more is missing or not a boolean");
	/*
	 * The last page may still carry a (stale) key, even the one just
	 * sent: it is not read.  Any other page needs one to go on, and it
	 * travels in the cursor.
	 */
	if (more) {
		key = jv_get(root, "pagination_key");
		if (key == NULL || jv_type(key) != J_STR || jv_len(key) == 0)
			return up_bad(
			    err, errsize, "has_more without a pagination_key");
		if (jv_len(key) > CURSOR_MAX_TOKEN)
			return up_bad(
			    err, errsize, "pagination_key is too long");
	}
	if ((e = up_decode_count(root, "total", &total, err, errsize)) !=
	        CN_OK ||
	    (e = up_decode_records(f, a, items, pg, record, err, errsize)) !=
	        CN_OK)
		return e;
	if (more && (pg->next.token = arena_strdup(a, jv_str(key))) == NULL)
		return CN_INTERNAL;
	up_page_end(pg, !more, &total, -1, f->page_size);
	return CN_OK;
}

/* ---- one call in full: GET /v2/get-call/{call_id} ---- */

/*
 * The answer is the call object itself, with the list's members and
 * those the v3 list leaves out.  transfer_target speaks after a transfer
 * (the number the call was handed to): the caller's side, not the agent.
 */
static const struct up_role roles[] = {
	{ "agent", "agent" },
	{ "user", "user" },
	{ "transfer_target", "user" },
};

/* A turn starts with its first word: seconds from the call's start. */
static int
turn_offset(const struct jv *it, struct turn *tu, void *ctx)
{
	const struct jv *w0;
	int n;

	(void)ctx;
	tu->offset_ms.set = false;
	if ((n = up_first_word(it, &w0)) <= 0)
		return n;
	return up_offset_seconds(jv_get(w0, "start"), &tu->offset_ms);
}

static enum cn_err
detail_decode(const struct detail_req *rq, const struct upresp *resp,
    struct arena *a, struct detail *d, char *err, size_t errsize)
{
	const struct jv *root;
	enum cn_err e;

	if ((e = up_detail_bare_call(
	         rq, resp, a, record, d, &root, err, errsize)) != CN_OK)
		return e;
	/* combined_cost is in cents (Retell's documentation) */
	return up_detail_retell_model(a, root, roles, UP_NELEM(roles),
	    turn_offset, NULL, 100, d, err, errsize);
}

static const struct detail_driver detail =
    UP_DETAIL_BEARER_GET("/v2/get-call/");

const struct driver drv_retell = {
	UP_DRIVER("retell", PAGING_TOKEN, 1000, DESC_BIT | ASC_BIT),
	.can_push = FBIT(F_STATUS) | FBIT(F_DIRECTION) | FBIT(F_TYPE) |
	    FBIT(F_AGENT) | UP_F_TIME | UP_F_DURATION,
	.can_check = UP_F_RECORD | FBIT(F_AGENT),
	.detail = &detail,
};
