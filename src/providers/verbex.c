/*
 * verbex: GET /v1/calls/ with an opaque page token.  The list carries the
 * transcript (messages[]), so `q` is checked here; the only filters the
 * API takes are agent ids and start-time bounds.
 */
#include <stdio.h>
#include <string.h>

#include "../cursor.h"
#include "common.h"

#define URL_MAX (64 * 1024)
/* 0000-01-01 .. 9999-12-31, what our time format can print. */
#define MIN_MS (-62167219200000LL)
#define MAX_MS 253402300799999LL

/* call_finish_reason words whose outcome the SPEC names. */
static const struct reason {
	const char *word;
	enum call_status st;
	enum end_reason er;
} reasons[] = {
	{ "user_ended_call", ST_COMPLETED, ER_USER_HANGUP },
	{ "agent_ended_call", ST_COMPLETED, ER_AGENT_HANGUP },
	{ "call_transferred", ST_COMPLETED, ER_TRANSFERRED },
	{ "inactivity_timeout", ST_COMPLETED, ER_INACTIVITY },
	{ "maximum_duration_exceeded", ST_COMPLETED, ER_MAX_DURATION },
	{ "no_answer", ST_NO_ANSWER, ER_NO_ANSWER },
	{ "line_busy", ST_BUSY, ER_BUSY },
	{ "voicemail_detected", ST_VOICEMAIL, ER_VOICEMAIL },
	{ "answering_machine_detected", ST_VOICEMAIL, ER_VOICEMAIL },
};

/* Statuses a Verbex record can map to; anything else makes a query empty. */
#define PRODUCIBLE \
	(FBIT(ST_QUEUED) | FBIT(ST_IN_PROGRESS) | FBIT(ST_COMPLETED) | \
	    FBIT(ST_NO_ANSWER) | FBIT(ST_BUSY) | FBIT(ST_VOICEMAIL) | \
	    FBIT(ST_FAILED) | FBIT(ST_UNKNOWN))

static const struct reason *
reason_find(const char *w)
{
	size_t i;

	for (i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (word_eq(w, reasons[i].word))
			return &reasons[i];
	return NULL;
}

static void
map_status(const char *st, const char *why, struct call *c)
{
	const struct reason *r = why != NULL ? reason_find(why) : NULL;

	c->end_reason = ER_NULL;
	if (st == NULL) {
		c->status = ST_UNKNOWN;
	} else if (word_eq(st, "registered")) {
		c->status = ST_QUEUED;
	} else if (word_eq(st, "ongoing")) {
		c->status = ST_IN_PROGRESS;
	} else if (word_eq(st, "error")) {
		c->status = ST_FAILED;
		c->end_reason = r != NULL ? r->er : ER_ERROR;
	} else if (word_eq(st, "ended")) {
		if (why == NULL) {
			c->status = ST_COMPLETED;
		} else if (r != NULL) {
			c->status = r->st;
			c->end_reason = r->er;
		} else {
			/* every other finish reason is a failure */
			c->status = ST_FAILED;
			c->end_reason = ER_ERROR;
		}
	} else
		c->status = ST_UNKNOWN;
}

static void
plan(const struct query *q, struct plan *p)
{
	if (q->statuses && !(q->statuses & PRODUCIBLE))
		p->empty = true;
	if (q->agent_ids.n) {
		p->pushed |= FBIT(F_AGENT);
		p->exact |= FBIT(F_AGENT);
	}
	/*
	 * Bound inclusivity is undocumented: the lower bound goes out 1 ms
	 * early, the upper one as given, and both are re-checked here.
	 */
	if (query_has(q, QP_STARTED_AFTER))
		p->pushed |= FBIT(F_STARTED_AFTER);
	if (query_has(q, QP_STARTED_BEFORE))
		p->pushed |= FBIT(F_STARTED_BEFORE);
}

static void
time_param(struct buf *b, const char *name, int64_t ms)
{
	char ts[40];

	/* Out of printable range: omitting the bound only widens it. */
	if (time_format_ms(ms, ts, sizeof(ts)) > 0)
		url_param(b, name, ts);
}

static enum cn_err
prepare(const struct fetch *f, struct arena *a, struct upreq *r)
{
	const struct query *q = f->q;
	unsigned pushed = f->plan->pushed;
	enum cn_err e = CN_INTERNAL;
	struct buf b;
	char *auth;
	size_t i;

	buf_init(&b, URL_MAX);
	url_begin(&b, f->pc, "/v1/calls/");
	url_param_int(&b, "page_size", f->page_size);
	url_param(&b, "sort_direction", f->order == ORDER_ASC ? "asc" : "desc");
	if (f->pos.token != NULL)
		url_param(&b, "page_token", f->pos.token);
	/* FastAPI list parameter: one repetition per value. */
	if (pushed & FBIT(F_AGENT))
		for (i = 0; i < q->agent_ids.n; i++)
			url_param(&b, "ai_agent_ids", q->agent_ids.v[i]);
	if (pushed & FBIT(F_STARTED_AFTER))
		time_param(&b, "start_time_after", q->started_after - 1);
	if (pushed & FBIT(F_STARTED_BEFORE))
		time_param(&b, "start_time_before", q->started_before);
	r->method = "GET";
	r->body = NULL;
	r->body_len = 0;
	if ((r->url = buf_to_arena(a, &b, NULL)) == NULL)
		goto out;
	if ((auth = arena_printf(a, "Bearer %s", f->pc->api_key)) == NULL ||
	    add_header(a, r, "Authorization", auth) < 0)
		goto out;
	e = CN_OK;
out:
	buf_free(&b);
	return e;
}

/* messages[].content joined by newlines; "" when there are none. */
static int
transcript(
    struct arena *a, const struct jv *o, const char **out, const char **why)
{
	const struct jv *m = jv_get(o, "messages"), *it, *content;
	struct buf b;
	size_t i;
	int rc = -1;

	*out = "";
	if (jv_is_null(m))
		return 0;
	if (jv_type(m) != J_ARR) {
		*why = "messages is not an array";
		return -1;
	}
	buf_init(&b, MAX_TEXT);
	for (i = 0; i < jv_len(m); i++) {
		it = jv_item(m, i);
		content = jv_get(it, "content");
		if (jv_type(it) != J_OBJ || content == NULL ||
		    jv_type(content) != J_STR) {
			*why = "a message has no string content";
			goto out;
		}
		if (i > 0)
			buf_addc(&b, '\n');
		buf_add(&b, jv_str(content), jv_len(content));
	}
	if (b.failed) {
		*why = "transcript too large";
		goto out;
	}
	if ((*out = buf_to_arena(a, &b, NULL)) == NULL) {
		*why = "out of memory";
		goto out;
	}
	rc = 0;
out:
	buf_free(&b);
	return rc;
}

static int
record(const struct fetch *f, struct arena *a, const struct jv *o,
    struct call *c, const char **why)
{
	const struct jv *md;
	const char *type, *dir, *st, *reason;
	struct opt_i64 secs;

	*why = "bad _id";
	if (record_begin(f, o, "_id", c) < 0)
		return -1;
	*why = "a field has the wrong type";
	if (field_str(o, "call_type", &type) < 0 ||
	    field_str(o, "direction", &dir) < 0 ||
	    field_str(o, "call_status", &st) < 0 ||
	    field_str(o, "call_finish_reason", &reason) < 0 ||
	    field_str(o, "from_number", &c->from) < 0 ||
	    field_str(o, "to_number", &c->to) < 0 ||
	    field_str(o, "ai_agent_id", &c->agent_id) < 0 ||
	    field_str(o, "ai_agent_name", &c->agent_name) < 0 ||
	    field_int(o, "call_duration_seconds", &secs) < 0)
		return -1;
	*why = "bad call_start_time or call_end_time";
	if (field_time_iso(o, "call_start_time", &c->started_at) < 0 ||
	    field_time_iso(o, "call_end_time", &c->ended_at) < 0)
		return -1;
	if (type != NULL && word_eq(type, "phone_call"))
		c->type = TYPE_PHONE;
	else if (type != NULL && word_eq(type, "web_call"))
		c->type = TYPE_WEB;
	if (dir != NULL && word_eq(dir, "inbound"))
		c->direction = DIR_INBOUND;
	else if (dir != NULL && word_eq(dir, "outbound"))
		c->direction = DIR_OUTBOUND;
	c->provider_status = st;
	map_status(st, reason, c);
	if (secs.set) {
		*why = "bad call_duration_seconds";
		if (secs.v < 0 || secs.v > MAX_MS / 1000)
			return -1;
		c->duration_ms.set = true;
		c->duration_ms.v = secs.v * 1000;
	}
	md = jv_get(o, "metadata");
	if (!jv_is_null(md)) {
		*why = "metadata is not an object";
		if (jv_type(md) != J_OBJ)
			return -1;
		c->metadata = md;
	}
	if (f->plan->requested & FBIT(F_Q)) {
		if (transcript(a, o, &c->transcript, why) < 0)
			return -1;
		c->has_transcript_source = true;
	}
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
	const struct jv *root, *calls, *tok;
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
	tok = jv_get(root, "next_page_token");
	if (!jv_is_null(tok) && jv_type(tok) != J_STR)
		return bad(err, errsize, "next_page_token is not a string");
	/* the token travels in the cursor, which has room for this much */
	if (!jv_is_null(tok) && jv_len(tok) > CURSOR_MAX_TOKEN)
		return bad(err, errsize, "next_page_token is too long");
	if (field_int(root, "total_count", &total) < 0 ||
	    (total.set && total.v < 0))
		return bad(err, errsize, "bad total_count");
	e = decode_records(f, a, calls, pg, record, err, errsize);
	if (e != CN_OK)
		return e;
	pg->next.page = 0;
	pg->next.token = NULL;
	/* An empty token could only restart the walk: treat it as the end. */
	if (!jv_is_null(tok) && jv_len(tok) > 0 &&
	    (pg->next.token = arena_strdup(a, jv_str(tok))) == NULL)
		return CN_INTERNAL;
	pg->last = pg->next.token == NULL || pg->n == 0;
	pg->has_total = total.set;
	pg->total = total.set ? total.v : 0;
	pg->last_page = -1;
	pg->per_page = f->page_size;
	return CN_OK;
}

const struct driver drv_verbex = {
	.abi = DRIVER_ABI,
	.kind = "verbex",
	.paging = PAGING_TOKEN,
	.max_page_size = 1000,
	.native_orders = DESC_BIT | ASC_BIT,
	.needs_secret = false,
	.has_test_flag = false,
	.can_push =
	    FBIT(F_AGENT) | FBIT(F_STARTED_AFTER) | FBIT(F_STARTED_BEFORE),
	.can_check = FBIT(F_STATUS) | FBIT(F_DIRECTION) | FBIT(F_TYPE) |
	    FBIT(F_AGENT) | FBIT(F_STARTED_AFTER) | FBIT(F_STARTED_BEFORE) |
	    FBIT(F_MIN_DURATION) | FBIT(F_MAX_DURATION) | FBIT(F_PHONE) |
	    FBIT(F_Q) | FBIT(F_INCLUDE_TEST),
	.plan = plan,
	.prepare = prepare,
	.decode = decode,
};
