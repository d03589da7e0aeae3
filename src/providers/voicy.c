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
/* 0000-01-01 .. 9999-12-31, what our time format can print. */
#define MIN_MS (-62167219200000LL)
#define MAX_MS 253402300799999LL

/* SPEC 4.3, in the provider's own order; also the status pushdown. */
static const struct status_word statuses[] = {
	{ "initiated", ST_QUEUED, ER_NULL },
	{ "ringing", ST_RINGING, ER_NULL },
	{ "ongoing", ST_IN_PROGRESS, ER_NULL },
	{ "user_hangup", ST_COMPLETED, ER_USER_HANGUP },
	{ "agent_hangup", ST_COMPLETED, ER_AGENT_HANGUP },
	{ "inactivity", ST_COMPLETED, ER_INACTIVITY },
	{ "error_inactivity", ST_FAILED, ER_INACTIVITY },
	{ "error", ST_FAILED, ER_ERROR },
	{ "busy", ST_BUSY, ER_BUSY },
	{ "no_answer", ST_NO_ANSWER, ER_NO_ANSWER },
	{ "canceled", ST_CANCELED, ER_NULL },
};
#define NSTATUSES (sizeof(statuses) / sizeof(statuses[0]))

/* Statuses the table above can produce, plus unknown. */
static unsigned
producible(void)
{
	unsigned m = FBIT(ST_UNKNOWN);
	size_t i;

	for (i = 0; i < NSTATUSES; i++)
		m |= FBIT(statuses[i].status);
	return m;
}

static void
plan(const struct query *q, struct plan *p)
{
	if (q->statuses && !(q->statuses & producible()))
		p->empty = true;
	/*
	 * `unknown` means a word outside the table: no list can name it.
	 * An empty plan sends nothing, and an empty call_status list would
	 * mean "any status" upstream.
	 */
	if (q->statuses && !(q->statuses & FBIT(ST_UNKNOWN)) && !p->empty) {
		p->pushed |= FBIT(F_STATUS);
		p->exact |= FBIT(F_STATUS);
	}
	if (q->directions) {
		p->pushed |= FBIT(F_DIRECTION);
		p->exact |= FBIT(F_DIRECTION);
	}
	/* Records carry no agent id: the provider's filter is the only one. */
	if (q->agent_ids.n) {
		p->pushed |= FBIT(F_AGENT);
		p->exact |= FBIT(F_AGENT);
	}
	/* Threshold inclusivity is undocumented: widened, re-checked here. */
	if (query_has(q, QP_STARTED_AFTER))
		p->pushed |= FBIT(F_STARTED_AFTER);
	if (query_has(q, QP_STARTED_BEFORE))
		p->pushed |= FBIT(F_STARTED_BEFORE);
	if (!q->include_test) {
		p->pushed |= FBIT(F_INCLUDE_TEST);
		p->exact |= FBIT(F_INCLUDE_TEST);
	}
}

static enum cn_err
prepare(const struct fetch *f, struct arena *a, struct upreq *r)
{
	const struct query *q = f->q;
	unsigned pushed = f->plan->pushed;
	enum cn_err e = CN_INTERNAL;
	bool first = true, any;
	struct buf b, u;
	char *auth;
	size_t i;

	buf_init(&b, BODY_MAX);
	buf_init(&u, 4096);
	buf_adds(&b, "{\"filter_criteria\":{");
	if (pushed & FBIT(F_AGENT)) {
		json_key(&b, &first, "agent_id");
		json_strset(&b, &q->agent_ids);
	}
	if (pushed & FBIT(F_STATUS)) {
		json_key(&b, &first, "call_status");
		buf_addc(&b, '[');
		for (any = false, i = 0; i < NSTATUSES; i++)
			if (q->statuses & FBIT(statuses[i].status)) {
				if (any)
					buf_addc(&b, ',');
				any = true;
				buf_json_cstr(&b, statuses[i].word);
			}
		buf_addc(&b, ']');
	}
	if (pushed & FBIT(F_DIRECTION)) {
		static const char *const words[DIR__MAX] = { NULL, "incoming",
			"outgoing" };
		json_key(&b, &first, "direction");
		json_words(&b, q->directions, words, DIR__MAX);
	}
	if (pushed & (FBIT(F_STARTED_AFTER) | FBIT(F_STARTED_BEFORE))) {
		json_key(&b, &first, "start_timestamp");
		json_threshold(&b, pushed & FBIT(F_STARTED_AFTER),
		    q->started_after - 1, pushed & FBIT(F_STARTED_BEFORE),
		    q->started_before);
	}
	/* Test calls are hidden unless asked for, so always say which. */
	json_key(&b, &first, "include_test_calls");
	buf_adds(&b, q->include_test ? "true" : "false");
	buf_adds(&b, "},\"sort_order\":");
	buf_json_cstr(&b, f->order == ORDER_ASC ? "ascending" : "descending");
	buf_adds(&b, ",\"limit\":");
	buf_json_int(&b, f->page_size);
	if (f->pos.token != NULL) {
		buf_adds(&b, ",\"pagination_key\":");
		buf_json_cstr(&b, f->pos.token);
	}
	buf_addc(&b, '}');
	url_begin(&u, f->pc, "/functions/v1/call-list");
	r->method = "POST";
	if ((r->url = buf_to_arena(a, &u, NULL)) == NULL ||
	    (r->body = buf_to_arena(a, &b, &r->body_len)) == NULL)
		goto out;
	if ((auth = arena_printf(a, "Bearer %s", f->pc->api_key)) == NULL ||
	    add_header(a, r, "Authorization", auth) < 0)
		goto out;
	e = CN_OK;
out:
	buf_free(&b);
	buf_free(&u);
	return e;
}

static void
map_status(const char *st, struct call *c)
{
	const struct status_word *sw =
	    status_word_find(statuses, NSTATUSES, st);

	c->status = sw != NULL ? sw->status : ST_UNKNOWN;
	c->end_reason = sw != NULL ? sw->reason : ER_NULL;
}

static int
record(const struct fetch *f, struct arena *a, const struct jv *o,
    struct call *c, const char **why)
{
	const struct jv *agent;
	const char *type, *dir;

	(void)a; /* records keep pointers into the parsed body */
	*why = "bad call_id";
	if (record_begin(f, o, "call_id", c) < 0)
		return -1;
	*why = "a field has the wrong type";
	if (field_str(o, "call_type", &type) < 0 ||
	    field_str(o, "direction", &dir) < 0 ||
	    field_str(o, "call_status", &c->provider_status) < 0 ||
	    field_str(o, "from_number", &c->from) < 0 ||
	    field_str(o, "to_number", &c->to) < 0 ||
	    field_int(o, "start_timestamp", &c->started_at) < 0 ||
	    field_int(o, "duration_ms", &c->duration_ms) < 0 ||
	    field_bool(o, "is_test_call", &c->is_test) < 0)
		return -1;
	agent = jv_get(o, "agent");
	if (!jv_is_null(agent)) {
		*why = "bad agent";
		if (jv_type(agent) != J_OBJ ||
		    field_str(agent, "name", &c->agent_name) < 0 ||
		    field_int(agent, "version", &c->agent_version) < 0)
			return -1;
	}
	*why = "start_timestamp out of range";
	if (c->started_at.set &&
	    (c->started_at.v < MIN_MS || c->started_at.v > MAX_MS))
		return -1;
	*why = "bad duration_ms";
	if (c->duration_ms.set &&
	    (c->duration_ms.v < 0 || c->duration_ms.v > MAX_MS))
		return -1;
	if (c->started_at.set && c->duration_ms.set) {
		c->ended_at.set = true;
		c->ended_at.v = c->started_at.v + c->duration_ms.v;
	}
	if (type != NULL && word_eq(type, "phone_call"))
		c->type = TYPE_PHONE;
	else if (type != NULL && word_eq(type, "web_call"))
		c->type = TYPE_WEB;
	/* inbound/outbound: the older documentation's words */
	if (dir != NULL &&
	    (word_eq(dir, "incoming") || word_eq(dir, "inbound")))
		c->direction = DIR_INBOUND;
	else if (dir != NULL &&
	    (word_eq(dir, "outgoing") || word_eq(dir, "outbound")))
		c->direction = DIR_OUTBOUND;
	map_status(c->provider_status, c);
	return 0;
}

static enum cn_err
bad(char *err, size_t errsize, const char *why)
{
	snprintf(err, errsize, "%s", why);
	return CN_PROVIDER_BAD_RESPONSE;
}

static enum cn_err
decode(const struct fetch *f, const struct upresp *resp, struct arena *a,
    struct uppage *pg, char *err, size_t errsize)
{
	const struct jv *root, *calls;
	struct opt_i64 total;
	enum cn_err e;
	size_t cap;

	if (resp->status < 200 || resp->status > 299)
		return upstream_status_err(resp->status, err, errsize);
	if ((e = parse_body(resp, a, &root, err, errsize)) != CN_OK)
		return e;
	if (jv_type(root) != J_OBJ)
		return bad(err, errsize, "body is not an object");
	calls = jv_get(root, "calls");
	if (calls == NULL || jv_type(calls) != J_ARR)
		return bad(err, errsize, "calls is missing or not an array");
	cap = (size_t)(f->page_size > f->pc->driver->max_page_size
	        ? f->page_size
	        : f->pc->driver->max_page_size);
	if (jv_len(calls) > cap)
		return bad(err, errsize, "more records than the page size");
	if (field_int(root, "total_count", &total) < 0 ||
	    (total.set && total.v < 0))
		return bad(err, errsize, "bad total_count");
	e = decode_records(f, a, calls, pg, record, err, errsize);
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
	pg->last = pg->n < (size_t)f->page_size;
	pg->has_total = total.set;
	pg->total = total.set ? total.v : 0;
	pg->last_page = -1;
	pg->per_page = f->page_size;
	return CN_OK;
}

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
};
