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
/* 0000-01-01 .. 9999-12-31, what our time format can print. */
#define MIN_MS (-62167219200000LL)
#define MAX_MS 253402300799999LL

#define ENDED_OUTCOMES \
	(FBIT(ST_COMPLETED) | FBIT(ST_NO_ANSWER) | FBIT(ST_BUSY) | \
	    FBIT(ST_VOICEMAIL) | FBIT(ST_FAILED))

/* Upstream statuses and every normalized status each can become. */
static const struct status {
	const char *word;
	unsigned outcomes;
} statuses[] = {
	{ "SCHEDULED", FBIT(ST_SCHEDULED) },
	{ "REGISTERED", FBIT(ST_QUEUED) },
	{ "ONGOING", FBIT(ST_IN_PROGRESS) },
	{ "ENDED", ENDED_OUTCOMES },
	{ "ERROR", FBIT(ST_FAILED) },
};
#define NSTATUSES (sizeof(statuses) / sizeof(statuses[0]))

/* disconnection_reason words of an ENDED call that the SPEC names. */
static const struct reason {
	const char *word;
	enum call_status st;
	enum end_reason er;
} reasons[] = {
	{ "dial_no_answer", ST_NO_ANSWER, ER_NO_ANSWER },
	{ "dial_busy", ST_BUSY, ER_BUSY },
	{ "voicemail_reached", ST_VOICEMAIL, ER_VOICEMAIL },
	{ "dial_failed", ST_FAILED, ER_ERROR },
	{ "user_hangup", ST_COMPLETED, ER_USER_HANGUP },
	{ "agent_hangup", ST_COMPLETED, ER_AGENT_HANGUP },
	{ "call_transfer", ST_COMPLETED, ER_TRANSFERRED },
	{ "inactivity", ST_COMPLETED, ER_INACTIVITY },
	{ "max_duration_reached", ST_COMPLETED, ER_MAX_DURATION },
};

/* Upstream statuses (bit i: statuses[i]) that can yield a wanted one. */
static unsigned
upstream_set(unsigned wanted, unsigned *yield)
{
	unsigned m = 0;
	size_t i;

	*yield = 0;
	for (i = 0; i < NSTATUSES; i++)
		if (statuses[i].outcomes & wanted) {
			m |= 1u << i;
			*yield |= statuses[i].outcomes;
		}
	return m;
}

static void
plan(const struct query *q, struct plan *p)
{
	unsigned up, yield;

	/*
	 * `unknown` is a word outside the table: no list can name it, and
	 * any record may turn out to be one.
	 */
	if (q->statuses && !(q->statuses & FBIT(ST_UNKNOWN))) {
		up = upstream_set(q->statuses, &yield);
		if (up == 0)
			p->empty = true;
		else {
			p->pushed |= FBIT(F_STATUS);
			/* exact unless a value sent also yields others */
			if ((yield & ~q->statuses) == 0)
				p->exact |= FBIT(F_STATUS);
		}
	}
	if (q->types) {
		p->pushed |= FBIT(F_TYPE);
		p->exact |= FBIT(F_TYPE);
	}
	if (q->agent_ids.n) {
		p->pushed |= FBIT(F_AGENT);
		p->exact |= FBIT(F_AGENT);
	}
	/*
	 * Threshold inclusivity is undocumented: both go out 1 ms wider and
	 * are re-checked here.  A zero minimum excludes nothing.
	 */
	if (query_has(q, QP_MIN_DURATION) && q->min_duration > 0)
		p->pushed |= FBIT(F_MIN_DURATION);
	if (query_has(q, QP_MAX_DURATION) && q->max_duration < INT64_MAX)
		p->pushed |= FBIT(F_MAX_DURATION);
	/*
	 * transcript_search takes one string; several `q` values are
	 * alternatives it cannot express.  Its matching rules are
	 * undocumented, so it is never exact.
	 */
	if (q->qs.n == 1)
		p->pushed |= FBIT(F_Q);
}

static enum cn_err
prepare(const struct fetch *f, struct arena *a, struct upreq *r)
{
	const struct query *q = f->q;
	unsigned pushed = f->plan->pushed, up, yield;
	enum cn_err e = CN_INTERNAL;
	bool first = true, any;
	struct buf b, u;
	char *h;
	size_t i;

	buf_init(&b, BODY_MAX);
	buf_init(&u, 4096);
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
		if (pushed & FBIT(F_STATUS)) {
			json_key(&b, &first, "call_status");
			up = upstream_set(q->statuses, &yield);
			buf_addc(&b, '[');
			for (any = false, i = 0; i < NSTATUSES; i++)
				if (up & (1u << i)) {
					if (any)
						buf_addc(&b, ',');
					any = true;
					buf_json_cstr(&b, statuses[i].word);
				}
			buf_addc(&b, ']');
		}
		if (pushed & FBIT(F_AGENT)) {
			json_key(&b, &first, "agent_id");
			buf_addc(&b, '[');
			for (i = 0; i < q->agent_ids.n; i++) {
				if (i > 0)
					buf_addc(&b, ',');
				buf_json_cstr(&b, q->agent_ids.v[i]);
			}
			buf_addc(&b, ']');
		}
		if (pushed & FBIT(F_TYPE)) {
			static const char *const words[TYPE__MAX] = { NULL,
				"PHONE_CALL", "WEB_CALL" };
			json_key(&b, &first, "call_type");
			json_words(&b, q->types, words, TYPE__MAX);
		}
		if (pushed & (FBIT(F_MIN_DURATION) | FBIT(F_MAX_DURATION))) {
			json_key(&b, &first, "duration_ms");
			json_threshold(&b, pushed & FBIT(F_MIN_DURATION),
			    q->min_duration - 1, pushed & FBIT(F_MAX_DURATION),
			    q->max_duration + 1);
		}
		if (pushed & FBIT(F_Q)) {
			json_key(&b, &first, "transcript_search");
			buf_json_cstr(&b, q->qs.v[0]);
		}
		buf_addc(&b, '}');
	}
	buf_addc(&b, '}');
	url_begin(&u, f->pc, "/api/calls");
	r->method = "POST";
	if ((r->url = buf_to_arena(a, &u, NULL)) == NULL ||
	    (r->body = buf_to_arena(a, &b, &r->body_len)) == NULL)
		goto out;
	if (add_header(a, r, "X-API-KEY", f->pc->api_key) < 0)
		goto out;
	h = f->pc->api_secret != NULL ? f->pc->api_secret : "";
	if (add_header(a, r, "X-API-SECRET", h) < 0)
		goto out;
	e = CN_OK;
out:
	buf_free(&b);
	buf_free(&u);
	return e;
}

static void
map_status(const char *st, const char *why, struct call *c)
{
	size_t i;

	c->status = ST_UNKNOWN;
	c->end_reason = ER_NULL;
	if (st == NULL)
		return;
	if (word_eq(st, "SCHEDULED"))
		c->status = ST_SCHEDULED;
	else if (word_eq(st, "REGISTERED"))
		c->status = ST_QUEUED;
	else if (word_eq(st, "ONGOING"))
		c->status = ST_IN_PROGRESS;
	else if (word_eq(st, "ERROR")) {
		c->status = ST_FAILED;
		c->end_reason = ER_ERROR;
	} else if (word_eq(st, "ENDED")) {
		c->status = ST_COMPLETED;
		if (why == NULL)
			return;
		for (i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
			if (word_eq(why, reasons[i].word)) {
				c->status = reasons[i].st;
				c->end_reason = reasons[i].er;
				return;
			}
		/* dial_failed aside, the rest are error_* and the like */
		c->status = ST_FAILED;
		c->end_reason = ER_ERROR;
	}
}

static int
record(const struct fetch *f, struct arena *a, const struct jv *o,
    struct call *c, const char **why)
{
	const struct jv *v;
	const char *type, *dir, *reason;

	(void)a; /* records keep pointers into the parsed body */
	*why = "bad call_id";
	if (record_begin(f, o, "call_id", c) < 0)
		return -1;
	*why = "a field has the wrong type";
	if (field_str(o, "call_type", &type) < 0 ||
	    field_str(o, "direction", &dir) < 0 ||
	    field_str(o, "call_status", &c->provider_status) < 0 ||
	    field_str(o, "disconnection_reason", &reason) < 0 ||
	    field_str(o, "from_number", &c->from) < 0 ||
	    field_str(o, "to_number", &c->to) < 0 ||
	    field_str(o, "agent_id", &c->agent_id) < 0 ||
	    field_int(o, "start_timestamp", &c->started_at) < 0 ||
	    field_int(o, "end_timestamp", &c->ended_at) < 0 ||
	    field_int(o, "call_duration", &c->duration_ms) < 0 ||
	    field_text(o, "transcript", &c->transcript) < 0)
		return -1;
	/* created_at: epoch ms in list answers, ISO in some examples */
	if (!c->started_at.set) {
		v = jv_get(o, "created_at");
		if (v != NULL && jv_type(v) == J_STR) {
			*why = "bad created_at";
			if (field_time_iso(o, "created_at", &c->started_at) < 0)
				return -1;
		} else if (field_int(o, "created_at", &c->started_at) < 0)
			return -1;
	}
	*why = "timestamp out of range";
	if ((c->started_at.set &&
	        (c->started_at.v < MIN_MS || c->started_at.v > MAX_MS)) ||
	    (c->ended_at.set &&
	        (c->ended_at.v < MIN_MS || c->ended_at.v > MAX_MS)))
		return -1;
	*why = "bad call_duration";
	if (c->duration_ms.set && c->duration_ms.v < 0)
		return -1;
	v = jv_get(o, "metadata");
	if (!jv_is_null(v)) {
		*why = "metadata is not an object";
		if (jv_type(v) != J_OBJ)
			return -1;
		c->metadata = v;
	}
	if (c->transcript != NULL)
		c->has_transcript_source = true;
	else if ((f->plan->requested & FBIT(F_Q)) &&
	    !(f->plan->pushed & FBIT(F_Q)))
		/*
		 * Nobody searched this call upstream, and a call the list
		 * gives no transcript for has none to match.
		 */
		c->transcript = "";
	if (type != NULL && word_eq(type, "PHONE_CALL"))
		c->type = TYPE_PHONE;
	else if (type != NULL && word_eq(type, "WEB_CALL"))
		c->type = TYPE_WEB;
	if (dir != NULL && word_eq(dir, "INBOUND"))
		c->direction = DIR_INBOUND;
	else if (dir != NULL && word_eq(dir, "OUTBOUND"))
		c->direction = DIR_OUTBOUND;
	map_status(c->provider_status, reason, c);
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
	const struct jv *root, *data, *calls, *pag;
	struct opt_i64 total, pages, limit;
	const char *st;
	int next;
	enum cn_err e;
	size_t cap;

	if (resp->status < 200 || resp->status > 299)
		return upstream_status_err(resp->status, err, errsize);
	if ((e = parse_body(resp, a, &root, err, errsize)) != CN_OK)
		return e;
	if (jv_type(root) != J_OBJ)
		return bad(err, errsize, "body is not an object");
	if (field_str(root, "status", &st) < 0)
		return bad(err, errsize, "status is not a string");
	if (st != NULL && word_eq(st, "error"))
		return bad(err, errsize, "status is error");
	data = jv_get(root, "data");
	if (data == NULL || jv_type(data) != J_OBJ)
		return bad(err, errsize, "data is missing or not an object");
	calls = jv_get(data, "calls");
	if (calls == NULL || jv_type(calls) != J_ARR)
		return bad(
		    err, errsize, "data.calls is missing or not an array");
	pag = jv_get(data, "pagination");
	if (pag == NULL || jv_type(pag) != J_OBJ)
		return bad(err, errsize,
		    "data.pagination is missing or not an object");
	/* The two documentation pages name the total differently. */
	if (field_int(pag, "total_count", &total) < 0 ||
	    (!total.set && field_int(pag, "total", &total) < 0) ||
	    field_int(pag, "total_pages", &pages) < 0 ||
	    field_int(pag, "limit", &limit) < 0 ||
	    field_bool(pag, "has_next_page", &next) < 0)
		return bad(
		    err, errsize, "a pagination field has the wrong type");
	if ((total.set && total.v < 0) || (pages.set && pages.v < 0) ||
	    (limit.set && limit.v <= 0))
		return bad(err, errsize, "negative pagination values");
	cap = (size_t)(f->page_size > f->pc->driver->max_page_size
	        ? f->page_size
	        : f->pc->driver->max_page_size);
	if (jv_len(calls) > cap)
		return bad(err, errsize, "more records than the page size");
	e = decode_records(f, a, calls, pg, record, err, errsize);
	if (e != CN_OK)
		return e;
	pg->next.page = 0;
	pg->next.token = NULL;
	/*
	 * Either signal ends the list; without both, only a short page
	 * does.
	 */
	pg->last = pg->n == 0 || next == 0 ||
	    (pages.set && f->pos.page + 1 >= pages.v) ||
	    (next < 0 && !pages.set && pg->n < (size_t)f->page_size);
	pg->has_total = total.set;
	pg->total = total.set ? total.v : 0;
	pg->last_page = pages.set && pages.v > 0 ? pages.v - 1 : -1;
	pg->per_page =
	    limit.set && limit.v <= INT32_MAX ? (int)limit.v : f->page_size;
	return CN_OK;
}

const struct driver drv_zudu = {
	.abi = DRIVER_ABI,
	.kind = "zudu",
	.paging = PAGING_PAGE0,
	.max_page_size = 100,
	.native_orders = DESC_BIT | ASC_BIT,
	.needs_secret = true,
	.has_test_flag = false,
	.can_push = FBIT(F_STATUS) | FBIT(F_TYPE) | FBIT(F_AGENT) |
	    FBIT(F_MIN_DURATION) | FBIT(F_MAX_DURATION) | FBIT(F_Q),
	.can_check = FBIT(F_STATUS) | FBIT(F_DIRECTION) | FBIT(F_TYPE) |
	    FBIT(F_AGENT) | FBIT(F_STARTED_AFTER) | FBIT(F_STARTED_BEFORE) |
	    FBIT(F_MIN_DURATION) | FBIT(F_MAX_DURATION) | FBIT(F_PHONE) |
	    FBIT(F_Q) | FBIT(F_INCLUDE_TEST),
	.plan = plan,
	.prepare = prepare,
	.decode = decode,
};
