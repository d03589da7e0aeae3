/*
 * osvi: GET /v1/calls.  Page numbers from 1, always newest first, at most
 * 100 calls a page (larger per_page values are capped silently, so the
 * size it applied is read back from meta.per_page).  Times come with a
 * +05:30 offset.  An unknown agent_uuid is a 404, not an empty list.
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "common.h"

#define MAX_PAGE 100
#define URL_MAX 16384
/* 9999-12-31T23:59:59.999Z, the last instant our time format prints: no
 * call lasts longer, and the end time (start + duration) stays far from
 * int64_t's limit. */
#define MAX_MS INT64_C(253402300799999)

static const char oom[] = "out of memory";

/*
 * SPEC 4.3: OSVI's outcomes.  "picked" takes its end reason from
 * call_ended_by instead (see call_end_reason()).
 */
static const struct status_word statuses[] = {
	{ "in_progress", ST_IN_PROGRESS, ER_NULL },
	{ "picked", ST_COMPLETED, ER_NULL },
	{ "not_picked", ST_NO_ANSWER, ER_NO_ANSWER },
	{ "busy", ST_BUSY, ER_BUSY },
	{ "voicemail", ST_VOICEMAIL, ER_VOICEMAIL },
	{ "failed", ST_FAILED, ER_ERROR },
};

#define NSTATUSES (sizeof(statuses) / sizeof(statuses[0]))

/*
 * The upstream list for the query's statuses, comma-separated, into out:
 * the number of values; 0 when none exists at OSVI (nothing can match);
 * -1 when `unknown` is asked for, which stands for values outside the
 * table and so has no upstream spelling.
 */
static int
status_list(const struct query *q, char *out, size_t size)
{
	size_t i, len = 0;
	int n = 0;

	out[0] = '\0';
	if (q->statuses & (1u << ST_UNKNOWN))
		return -1;
	for (i = 0; i < NSTATUSES; i++) {
		size_t wl = strlen(statuses[i].word);
		if (!(q->statuses & (1u << statuses[i].status)))
			continue;
		if (len + wl + 2 > size)
			return -1;
		if (n++ > 0)
			out[len++] = ',';
		memcpy(out + len, statuses[i].word, wl + 1);
		len += wl;
	}
	return n;
}

static void
plan(const struct query *q, struct plan *p)
{
	char list[96];

	/* OSVI lists phone calls only: type=phone excludes nothing and
	 * type=web can hold nowhere. */
	if (q->types) {
		p->noop |= FBIT(F_TYPE);
		if (!(q->types & (1u << TYPE_PHONE)))
			p->empty = true;
	}
	if (q->statuses) {
		switch (status_list(q, list, sizeof(list))) {
		case -1:
			break;
		case 0:
			p->empty = true;
			break;
		default:
			p->pushed |= FBIT(F_STATUS);
			p->exact |= FBIT(F_STATUS);
			break;
		}
	}
	/* call_type may be null, which both directions together exclude
	 * here but not upstream: only a single direction goes up. */
	if (single_bit(q->directions) > 0) {
		p->pushed |= FBIT(F_DIRECTION);
		p->exact |= FBIT(F_DIRECTION);
	}
	if (q->agent_ids.n == 1) {
		p->pushed |= FBIT(F_AGENT);
		p->exact |= FBIT(F_AGENT);
	}
	/*
	 * Not pushed, on purpose:
	 * - start_date/end_date bound call_picked_at, which unanswered calls
	 *   lack, so they would drop calls that started inside the window;
	 * - phone_number matches the other party only, while `phone` matches
	 *   from or to, which includes our own line (from_number): a call
	 *   found by its line number would be lost, so it is not a superset;
	 * - OSVI has no duration filter and no test flag.
	 */
}

static enum cn_err
prepare(const struct fetch *f, struct arena *a, struct upreq *r)
{
	const struct query *q = f->q;
	unsigned pushed = f->plan->pushed;
	enum cn_err e = CN_INTERNAL;
	char list[96];
	struct buf b;
	int dir;

	buf_init(&b, URL_MAX);
	url_begin(&b, f->pc, "/v1/calls");
	url_param_int(&b, "page", f->pos.page < 1 ? 1 : f->pos.page);
	url_param_int(&b, "per_page", f->page_size);
	if ((pushed & FBIT(F_STATUS)) && status_list(q, list, sizeof(list)) > 0)
		url_param(&b, "status", list);
	if ((pushed & FBIT(F_AGENT)) && q->agent_ids.n == 1)
		url_param(&b, "agent_uuid", q->agent_ids.v[0]);
	if ((pushed & FBIT(F_DIRECTION)) &&
	    (dir = single_bit(q->directions)) > 0)
		url_param(&b, "call_type", call_dir_names[dir]);
	r->method = "GET";
	r->body = NULL;
	r->body_len = 0;
	if ((r->url = buf_to_arena(a, &b, NULL)) == NULL)
		goto out;
	if (add_header(a, r, "API-Token", f->pc->api_key) < 0)
		goto out;
	e = CN_OK;
out:
	buf_free(&b);
	return e;
}

static enum cn_err
bad(char *err, size_t errsize, const char *why)
{
	snprintf(err, errsize, "%s", why);
	return CN_PROVIDER_BAD_RESPONSE;
}

/*
 * A picked call ended normally; who hung up is call_ended_by.  A value
 * outside the documented agent/user is still an ending, but of an
 * unknown kind: error, as for any unmapped non-null reason.
 */
static enum end_reason
call_end_reason(const char *by)
{
	if (by == NULL)
		return ER_NULL;
	if (word_eq(by, "user"))
		return ER_USER_HANGUP;
	if (word_eq(by, "agent"))
		return ER_AGENT_HANGUP;
	return ER_ERROR;
}

/* Fills c from one list item; NULL, or why the item is unusable. */
static const char *
normalize(
    const struct fetch *f, struct arena *a, const struct jv *o, struct call *c)
{
	const char *dir, *other, *line, *by, *name;
	struct opt_i64 dur, picked;
	const struct jv *v;
	const struct status_word *sw;

	if (jv_type(o) != J_OBJ)
		return "not an object";
	if (record_begin(f, o, "call_id", c) < 0)
		return "call_id is missing or not a string of 1 to 256 bytes";
	c->type = TYPE_PHONE;
	if (field_str(o, "status", &c->provider_status) < 0)
		return "status is not a string";
	if (field_str(o, "call_ended_by", &by) < 0)
		return "call_ended_by is not a string";
	c->status = ST_UNKNOWN;
	c->end_reason = ER_NULL;
	sw = status_word_find(statuses, NSTATUSES, c->provider_status);
	if (sw != NULL) {
		c->status = sw->status;
		c->end_reason = sw->reason;
	}
	if (c->status == ST_COMPLETED)
		c->end_reason = call_end_reason(by);
	if (field_str(o, "call_type", &dir) < 0)
		return "call_type is not a string";
	if (field_str(o, "phone_number", &other) < 0)
		return "phone_number is not a string";
	if (field_str(o, "from_number", &line) < 0)
		return "from_number is not a string";
	/* phone_number is the other party and from_number our line; which
	 * is from and which is to follows the direction, and without one
	 * neither is known. */
	c->direction = DIR_NULL;
	if (dir != NULL && word_eq(dir, "inbound")) {
		c->direction = DIR_INBOUND;
		c->from = other;
		c->to = line;
	} else if (dir != NULL && word_eq(dir, "outbound")) {
		c->direction = DIR_OUTBOUND;
		c->from = line;
		c->to = other;
	}
	if (field_str(o, "agent_uuid", &c->agent_id) < 0)
		return "agent_uuid is not a string";
	if (field_str(o, "agent_name", &c->agent_name) < 0)
		return "agent_name is not a string";
	if (field_time_iso(o, "created_at", &c->started_at) < 0)
		return "created_at is not an ISO 8601 time";
	if (field_time_iso(o, "call_picked_at", &picked) < 0)
		return "call_picked_at is not an ISO 8601 time";
	if (field_int(o, "duration_seconds", &dur) < 0 ||
	    (dur.set && (dur.v < 0 || dur.v > MAX_MS / 1000)))
		return "duration_seconds is not a number of seconds";
	if (dur.set) {
		c->duration_ms.set = true;
		c->duration_ms.v = dur.v * 1000;
		/* talk time runs from the pickup, not from created_at */
		if (picked.set) {
			c->ended_at.set = true;
			c->ended_at.v = picked.v + c->duration_ms.v;
		}
	}
	if (field_id_string(a, o, "campaign_id", &c->campaign_id) < 0)
		return "campaign_id is not an id";
	v = jv_get(o, "tag");
	if (!jv_is_null(v)) {
		if (jv_type(v) != J_OBJ)
			return "tag is not an object";
		if (field_str(v, "name", &name) < 0)
			return "tag.name is not a string";
		if (name != NULL) {
			if ((c->tags = arena_alloc(a, sizeof(*c->tags))) ==
			    NULL)
				return oom;
			c->tags[0] = name;
			c->ntags = 1;
		}
	}
	return NULL;
}

/* OSVI's documented 404 for an agent_uuid that is not on the account. */
static bool
agent_not_found(const struct upresp *resp, struct arena *a)
{
	const struct jv *root;
	const char *why;
	char scratch[128];

	if (parse_body(resp, a, &root, scratch, sizeof(scratch)) != CN_OK ||
	    jv_type(root) != J_OBJ || field_str(root, "error", &why) < 0 ||
	    why == NULL)
		return false;
	return strcmp(why, "agent_not_found") == 0;
}

static enum cn_err
decode(const struct fetch *f, const struct upresp *resp, struct arena *a,
    struct uppage *pg, char *err, size_t errsize)
{
	const struct jv *root, *data, *meta, *v;
	struct opt_i64 cur, pages, total, per;
	const char *why;
	size_t i, n, cap;
	enum cn_err e;

	/*
	 * The agent asked for does not exist there, so it has no calls: an
	 * empty list, not a failure.  Only when we sent agent_uuid; a 404
	 * to anything else is not the documented case.
	 */
	if (resp->status == 404 && (f->plan->pushed & FBIT(F_AGENT)) &&
	    agent_not_found(resp, a)) {
		pg->n = 0;
		pg->calls = NULL;
		pg->last = true;
		pg->next.token = NULL;
		pg->has_total = true;
		pg->total = 0;
		pg->last_page = 0;
		pg->per_page = f->page_size;
		return CN_OK;
	}
	if (resp->status < 200 || resp->status > 299)
		return upstream_status_err(resp->status, err, errsize);
	if ((e = parse_body(resp, a, &root, err, errsize)) != CN_OK)
		return e;
	if (jv_type(root) != J_OBJ)
		return bad(err, errsize, "body is not an object");
	/* the schema does not require success; when sent it must hold */
	v = jv_get(root, "success");
	if (v != NULL && jv_bool(v) != 1)
		return bad(err, errsize, "success is not true");
	data = jv_get(root, "data");
	if (data == NULL || jv_type(data) != J_ARR)
		return bad(err, errsize, "data is not an array");
	meta = jv_get(root, "meta");
	if (meta == NULL || jv_type(meta) != J_OBJ)
		return bad(err, errsize, "meta is not an object");
	if (field_int(meta, "current_page", &cur) < 0 || !cur.set)
		return bad(err, errsize, "meta.current_page is missing");
	if (field_int(meta, "total_pages", &pages) < 0 || !pages.set ||
	    pages.v < 0)
		return bad(err, errsize, "meta.total_pages is missing");
	if (field_int(meta, "total_count", &total) < 0 ||
	    (total.set && total.v < 0))
		return bad(err, errsize, "meta.total_count is not a count");
	if (field_int(meta, "per_page", &per) < 0 ||
	    (per.set && (per.v < 1 || per.v > INT_MAX)))
		return bad(err, errsize, "meta.per_page is not a size");
	n = jv_count(data);
	cap = (size_t)(f->page_size > MAX_PAGE ? f->page_size : MAX_PAGE);
	if (n > cap)
		return bad(err, errsize, "more calls than the page size");
	if (n > 0 &&
	    (pg->calls = arena_calloc(a, n, sizeof(*pg->calls))) == NULL) {
		snprintf(err, errsize, "out of memory");
		return CN_INTERNAL;
	}
	for (i = 0; i < n; i++) {
		if ((why = normalize(f, a, jv_item(data, i), &pg->calls[i])) !=
		    NULL) {
			snprintf(err, errsize, "call %zu: %s", i, why);
			return why == oom ? CN_INTERNAL
			                  : CN_PROVIDER_BAD_RESPONSE;
		}
	}
	pg->n = n;
	pg->last = n == 0 || cur.v >= pages.v;
	pg->next.token = NULL;
	pg->has_total = total.set;
	pg->total = total.set ? total.v : 0;
	pg->last_page = pages.v;
	pg->per_page = per.set ? (int)per.v : f->page_size;
	return CN_OK;
}

const struct driver drv_osvi = {
	.abi = DRIVER_ABI,
	.kind = "osvi",
	.paging = PAGING_PAGE1,
	.max_page_size = MAX_PAGE,
	.native_orders = DESC_BIT,
	.needs_secret = false,
	.has_test_flag = false,
	.can_push = FBIT(F_STATUS) | FBIT(F_DIRECTION) | FBIT(F_AGENT),
	.can_check = FBIT(F_STATUS) | FBIT(F_DIRECTION) | FBIT(F_TYPE) |
	    FBIT(F_AGENT) | FBIT(F_STARTED_AFTER) | FBIT(F_STARTED_BEFORE) |
	    FBIT(F_MIN_DURATION) | FBIT(F_MAX_DURATION) | FBIT(F_PHONE) |
	    FBIT(F_INCLUDE_TEST),
	.plan = plan,
	.prepare = prepare,
	.decode = decode,
};
