/*
 * voicy: POST /functions/v1/call-list, keyset paging on the last call_id
 * (exclusive).  The status doubles as the end reason; list records carry
 * no agent id and no transcript, so agent_id is trusted to the provider
 * and `q` cannot be served.
 */
#include <stdio.h>
#include <string.h>

#include "common.h"

#define BODY_MAX (64 * 1024)

/* The normalized status table, in the provider's own order; also the
 * status pushdown.  The status doubles as the end reason. */
static struct up_status_table statuses =
    UP_STATUS_TABLE("initiated=queued ringing=ringing ongoing=in_progress "
                    "user_hangup=completed/user_hangup "
                    "agent_hangup=completed/agent_hangup "
                    "inactivity=completed/inactivity "
                    "error_inactivity=failed/inactivity error=failed/error "
                    "busy=busy/busy no_answer=no_answer/no_answer "
                    "canceled=canceled",
        NULL);

static void
plan(const struct query *q, struct plan *p)
{
	if (q->statuses && !(q->statuses & up_status_producible(&statuses)))
		p->empty = true;
	/*
	 * `unknown` means a word outside the table: no list can name it.
	 * An empty plan sends nothing, and an empty call_status list would
	 * mean "any status" upstream.
	 */
	if (q->statuses && !(q->statuses & FBIT(ST_UNKNOWN)) && !p->empty)
		up_push(p, FBIT(F_STATUS), true);
	if (q->directions)
		up_push(p, FBIT(F_DIRECTION), true);
	/* Records carry no agent id: the provider's filter is the only one. */
	if (q->agent_ids.n)
		up_push(p, FBIT(F_AGENT), true);
	/* Threshold inclusivity is undocumented: widened, re-checked here. */
	up_plan_time_superset(q, p);
	if (!q->include_test)
		up_push(p, FBIT(F_INCLUDE_TEST), true);
}

/* filter_criteria's members, for the filters the plan pushes. */
static void
criteria(const struct query *q, unsigned pushed, struct buf *b)
{
	bool first = true;

	if (pushed & FBIT(F_AGENT)) {
		up_json_key(b, &first, "agent_id");
		up_json_strset(b, &q->agent_ids);
	}
	if (pushed & FBIT(F_STATUS)) {
		up_json_key(b, &first, "call_status");
		up_json_status_words(b, &statuses, q->statuses);
	}
	if (pushed & FBIT(F_DIRECTION)) {
		up_json_key(b, &first, "direction");
		up_json_words(
		    b, q->directions, up_dir_incoming_words, DIR__MAX);
	}
	if (pushed & (FBIT(F_STARTED_AFTER) | FBIT(F_STARTED_BEFORE))) {
		up_json_key(b, &first, "start_timestamp");
		up_json_threshold(b, pushed & FBIT(F_STARTED_AFTER),
		    q->started_after - 1, pushed & FBIT(F_STARTED_BEFORE),
		    q->started_before);
	}
	/* Test calls are hidden unless asked for, so always say which. */
	up_json_key(b, &first, "include_test_calls");
	buf_adds(b, q->include_test ? "true" : "false");
}

static enum cn_err
prepare(const struct fetch *f, struct arena *a, struct upreq *r)
{
	struct buf b;

	buf_init(&b, BODY_MAX);
	buf_adds(&b, "{\"filter_criteria\":{");
	criteria(f->q, f->plan->pushed, &b);
	buf_adds(&b, "},\"sort_order\":");
	buf_json_cstr(&b, f->order == ORDER_ASC ? "ascending" : "descending");
	buf_adds(&b, ",\"limit\":");
	buf_json_int(&b, f->page_size);
	if (f->pos.token != NULL) {
		buf_adds(&b, ",\"pagination_key\":");
		buf_json_cstr(&b, f->pos.token);
	}
	buf_addc(&b, '}');
	return up_post_bearer(a, r, f->pc, "/functions/v1/call-list", &b);
}

static int
record(const struct fetch *f, struct arena *a, const struct jv *o,
    struct call *c, const char **why)
{
	const char *type, *dir;

	if (up_record(f, a, o, "call_id", c, why,
	        "call_type:s direction:s call_status:s from_number:s "
	        "to_number:s start_timestamp:i duration_ms:i is_test_call:b "
	        "agent.name:s agent.version:i",
	        &type, &dir, &c->provider_status, &c->from, &c->to,
	        &c->started_at, &c->duration_ms, &c->is_test, &c->agent_name,
	        &c->agent_version) < 0)
		return -1;
	if (!up_time_ok(&c->started_at))
		return up_why(why, "start_timestamp out of range");
	if (c->duration_ms.set &&
	    (c->duration_ms.v < 0 || c->duration_ms.v > TIME_MAX_MS))
		return up_why(why, "bad duration_ms");
	up_end_from(c, &c->started_at);
	c->type = up_call_type(type);
	/* inbound/outbound: the older documentation's words */
	c->direction = up_direction(dir, UP_DIR_INCOMING | UP_DIR_INOUT);
	up_status_map(&statuses, c->provider_status, NULL, c);
	return 0;
}

static enum cn_err
decode(const struct fetch *f, const struct upresp *resp, struct arena *a,
    struct uppage *pg, char *err, size_t errsize)
{
	const struct jv *root, *calls;
	struct opt_i64 total;
	enum cn_err e;

	if ((e = up_decode_begin(
	         f, resp, a, "calls", &root, &calls, err, errsize)) != CN_OK)
		return e;
	if ((e = up_decode_count(root, "total_count", &total, err, errsize)) !=
	        CN_OK ||
	    (e = up_decode_records(f, a, calls, pg, record, err, errsize)) !=
	        CN_OK)
		return e;
	if (pg->n > 0 &&
	    (pg->next.token =
	            arena_strdup(a, pg->calls[pg->n - 1].native_id)) == NULL)
		return CN_INTERNAL;
	/*
	 * No next key and no has_more: only a short page ends the list.
	 * total_count is not used for that, since it moves while calls
	 * arrive.
	 */
	up_page_end(pg, pg->n < (size_t)f->page_size, &total, -1, f->page_size);
	return CN_OK;
}

/* ---- one call in full: GET /functions/v1/call-get/{call_id} ---- */

static const struct up_role roles[] = {
	{ "agent", "agent" },
	{ "caller", "user" },
	{ "user", "user" }, /* the older documentation's word */
	{ "system", "system" },
};

/* transcript[]: an entry that invokes a function, or carries its
 * result, is the tool's turn whatever its role says. */
static int
turn_extra(const struct jv *it, struct turn *tu, void *ctx)
{
	(void)ctx;
	if (!jv_is_null(jv_get(it, "function_invocation")) ||
	    !jv_is_null(jv_get(it, "function_result")))
		tu->role = "tool";
	return up_offset_ms(jv_get(it, "timestamp_ms"), &tu->offset_ms);
}

static enum cn_err
detail_decode(const struct detail_req *rq, const struct upresp *resp,
    struct arena *a, struct detail *d, char *err, size_t errsize)
{
	const struct jv *root, *cost;
	const char *currency;
	enum cn_err e;

	e = up_detail_bare_call(rq, resp, a, record, d, &root, err, errsize);
	if (e != CN_OK)
		return e;
	if (up_field_str(root, "recording_url", &d->recording_url) < 0 ||
	    up_field_text(root, "summary", &d->summary) < 0)
		return up_bad(
		    err, errsize, "recording_url or summary is not a string");
	if (up_decode_turns(a, root, "transcript", roles, UP_NELEM(roles),
	        turn_extra, NULL, d) < 0)
		return up_bad_unless_oom(a, err, errsize,
		    "transcript entries are not role, "
		    "content and timestamp_ms");
	if (up_field_obj(root, "call_cost", &cost) < 0 ||
	    (cost != NULL &&
	        (up_field_str(cost, "currency", &currency) < 0 ||
	            up_cost(a, d, jv_get(cost, "combined_cost"), 1, currency) <
	                0)))
		return up_bad_unless_oom(a, err, errsize,
		    "call_cost is not a combined_cost and a currency");
	return CN_OK;
}

static const struct detail_driver detail =
    UP_DETAIL_BEARER_GET("/functions/v1/call-get/");

const struct driver drv_voicy = {
	UP_DRIVER("voicy", PAGING_KEYSET, 1000, DESC_BIT | ASC_BIT),
	.can_push = FBIT(F_STATUS) | FBIT(F_DIRECTION) | FBIT(F_AGENT) |
	    UP_F_TIME | FBIT(F_INCLUDE_TEST),
	.can_check = UP_F_RECORD,
	.has_test_flag = true, /* is_test_call */
	.detail = &detail,
};
