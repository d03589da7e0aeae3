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
static const struct up_status words[] = {
	{ "initiated", ST_QUEUED, ER_NULL, UP_FINAL },
	{ "ringing", ST_RINGING, ER_NULL, UP_FINAL },
	{ "ongoing", ST_IN_PROGRESS, ER_NULL, UP_FINAL },
	{ "user_hangup", ST_COMPLETED, ER_USER_HANGUP, UP_FINAL },
	{ "agent_hangup", ST_COMPLETED, ER_AGENT_HANGUP, UP_FINAL },
	{ "inactivity", ST_COMPLETED, ER_INACTIVITY, UP_FINAL },
	{ "error_inactivity", ST_FAILED, ER_INACTIVITY, UP_FINAL },
	{ "error", ST_FAILED, ER_ERROR, UP_FINAL },
	{ "busy", ST_BUSY, ER_BUSY, UP_FINAL },
	{ "no_answer", ST_NO_ANSWER, ER_NO_ANSWER, UP_FINAL },
	{ "canceled", ST_CANCELED, ER_NULL, UP_FINAL },
};

static const struct up_status_table statuses = { words, UP_NELEM(words), NULL,
	0 };

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
	if (query_has(q, QP_STARTED_AFTER))
		up_push(p, FBIT(F_STARTED_AFTER), false);
	if (query_has(q, QP_STARTED_BEFORE))
		up_push(p, FBIT(F_STARTED_BEFORE), false);
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
	enum cn_err e;
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
	if ((e = up_post(a, r, f->pc, "/functions/v1/call-list", &b)) != CN_OK)
		return e;
	return up_bearer(a, r, f->pc->api_key);
}

static int
record(const struct fetch *f, struct arena *a, const struct jv *o,
    struct call *c, const char **why)
{
	const struct jv *agent;
	const char *type, *dir;

	(void)a; /* records keep pointers into the parsed body */
	if (up_record_begin(f, o, "call_id", c) < 0)
		return up_why(why, "bad call_id");
	if (up_field_str(o, "call_type", &type) < 0 ||
	    up_field_str(o, "direction", &dir) < 0 ||
	    up_field_str(o, "call_status", &c->provider_status) < 0 ||
	    up_field_str(o, "from_number", &c->from) < 0 ||
	    up_field_str(o, "to_number", &c->to) < 0 ||
	    up_field_int(o, "start_timestamp", &c->started_at) < 0 ||
	    up_field_int(o, "duration_ms", &c->duration_ms) < 0 ||
	    up_field_bool(o, "is_test_call", &c->is_test) < 0)
		return up_why(why, "a field has the wrong type");
	if (up_field_obj(o, "agent", &agent) < 0 ||
	    (agent != NULL &&
	        (up_field_str(agent, "name", &c->agent_name) < 0 ||
	            up_field_int(agent, "version", &c->agent_version) < 0)))
		return up_why(why, "bad agent");
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

	e = up_decode_begin(f, resp, a, "calls", &root, &calls, err, errsize);
	if (e != CN_OK)
		return e;
	if (up_field_int(root, "total_count", &total) < 0 ||
	    (total.set && total.v < 0))
		return up_bad(err, errsize, "bad total_count");
	e = up_decode_records(f, a, calls, pg, record, err, errsize);
	if (e != CN_OK)
		return e;
	pg->next.page = 0;
	pg->next.token = NULL;
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

static const char *const detail_parts[] = { "call" };

static const struct up_role roles[] = {
	{ "agent", "agent" },
	{ "caller", "user" },
	{ "user", "user" }, /* the older documentation's word */
	{ "system", "system" },
};

static enum cn_err
detail_prepare(
    const struct detail_req *rq, size_t part, struct arena *a, struct upreq *r)
{
	enum cn_err e;

	(void)part;
	e = up_detail_get(rq, a, r, "/functions/v1/call-get/", "");
	if (e != CN_OK)
		return e;
	return up_bearer(a, r, rq->pc->api_key);
}

/* transcript[]: an entry that invokes a function, or carries its
 * result, is the tool's turn whatever its role says. */
static int
detail_turns(struct arena *a, const struct jv *o, struct detail *d)
{
	const struct jv *t = jv_get(o, "transcript"), *it;
	const char *role;
	size_t i;

	if (jv_is_null(t))
		return 0;
	if (jv_type(t) != J_ARR || up_turns_alloc(a, d, jv_len(t)) < 0)
		return -1;
	for (i = 0; i < jv_len(t); i++) {
		struct turn *tu = &d->turns[i];
		it = jv_item(t, i);
		if (jv_type(it) != J_OBJ ||
		    up_field_str(it, "role", &role) < 0 ||
		    up_turn_text(it, "content", &tu->text) < 0 ||
		    up_offset_ms(jv_get(it, "timestamp_ms"), &tu->offset_ms) <
		        0)
			return -1;
		tu->role = up_role(roles, UP_NELEM(roles), role);
		if (!jv_is_null(jv_get(it, "function_invocation")) ||
		    !jv_is_null(jv_get(it, "function_result")))
			tu->role = "tool";
	}
	d->nturns = i;
	return 0;
}

static enum cn_err
detail_decode(const struct detail_req *rq, const struct upresp *resp,
    struct arena *a, struct detail *d, char *err, size_t errsize)
{
	const struct jv *root, *cost;
	const char *currency, *why = "";
	struct fetch f;
	struct plan p;
	struct query q;
	bool absent;
	enum cn_err e;

	e = up_detail_part(resp, 0, a, d, &root, &absent, err, errsize);
	if (e != CN_OK)
		return e;
	up_detail_fetch(rq, &f, &p, &q);
	if (record(&f, a, root, &d->call, &why) < 0)
		return arena_failed(a) ? CN_INTERNAL
		                       : up_bad(err, errsize, "%s", why);
	if (up_field_str(root, "recording_url", &d->recording_url) < 0 ||
	    up_field_text(root, "summary", &d->summary) < 0)
		return up_bad(
		    err, errsize, "recording_url or summary is not a string");
	if (detail_turns(a, root, d) < 0)
		return arena_failed(a) ? CN_INTERNAL
		                       : up_bad(err, errsize,
		                             "transcript entries are not role, "
		                             "content and timestamp_ms");
	if (up_field_obj(root, "call_cost", &cost) < 0 ||
	    (cost != NULL &&
	        (up_field_str(cost, "currency", &currency) < 0 ||
	            up_cost(a, d, jv_get(cost, "combined_cost"), 1, currency) <
	                0)))
		return arena_failed(a)
		    ? CN_INTERNAL
		    : up_bad(err, errsize,
		          "call_cost is not a combined_cost and a currency");
	return CN_OK;
}

static const struct detail_driver detail = {
	.nparts = 1,
	.parts = detail_parts,
	.prepare = detail_prepare,
	.decode = detail_decode,
};

const struct driver drv_voicy = {
	.abi = DRIVER_ABI,
	.kind = "voicy",
	.paging = PAGING_KEYSET,
	.max_page_size = 1000,
	.native_orders = DESC_BIT | ASC_BIT,
	.needs_secret = false,
	.has_test_flag = true,
	.can_push = FBIT(F_STATUS) | FBIT(F_DIRECTION) | FBIT(F_AGENT) |
	    FBIT(F_STARTED_AFTER) | FBIT(F_STARTED_BEFORE) |
	    FBIT(F_INCLUDE_TEST),
	.can_check = FBIT(F_STATUS) | FBIT(F_DIRECTION) | FBIT(F_TYPE) |
	    FBIT(F_STARTED_AFTER) | FBIT(F_STARTED_BEFORE) |
	    FBIT(F_MIN_DURATION) | FBIT(F_MAX_DURATION) | FBIT(F_PHONE) |
	    FBIT(F_INCLUDE_TEST),
	.plan = plan,
	.prepare = prepare,
	.decode = decode,
	.detail = &detail,
};
