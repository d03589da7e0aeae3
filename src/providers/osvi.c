/*
 * osvi: GET /v1/calls.  Page numbers from 1, always newest first, at most
 * 100 calls a page (larger per_page values are capped silently, so the
 * size it applied is read back from meta.per_page).  Times come with a
 * +05:30 offset.  An unknown agent_uuid is a 404, not an empty list.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "common.h"

#define URL_MAX 16384

/*
 * OSVI's outcomes.  "picked" takes its end reason from call_ended_by
 * instead (see call_end_reason()).
 */
static struct up_status_table statuses =
    UP_STATUS_TABLE("in_progress=in_progress picked=completed "
                    "not_picked=no_answer/no_answer busy=busy/busy "
                    "voicemail=voicemail/voicemail failed=failed/error",
        NULL);

/* The page facts live in meta; a page count is never negative. */
static const struct up_pages_names pages = { "meta", "current_page",
	"total_pages", "total_count", "per_page", 0 };

/*
 * The upstream list for the query's statuses, comma-separated, into out
 * (room for every word): the number of values, as up_status_pick.
 */
static int
status_list(const struct query *q, char *out, size_t size)
{
	const char *w[UP_MAX_WORDS];
	int i, n = up_status_pick(&statuses, q->statuses, w, UP_MAX_WORDS);
	size_t len = 0;

	out[0] = '\0';
	for (i = 0; i < n && len < size; i++)
		len += (size_t)snprintf(
		    out + len, size - len, "%s%s", i > 0 ? "," : "", w[i]);
	return len < size ? n : -1;
}

static void
plan(const struct query *q, struct plan *p)
{
	up_phone_only(q, p); /* OSVI lists phone calls only */
	up_plan_status(q, p, &statuses, UP_MAX_WORDS);
	/* call_type may be null, which both directions together exclude
	 * here but not upstream: only a single direction goes up. */
	up_plan_single(q, p);
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
	enum cn_err e;
	char list[512];
	struct buf b;

	buf_init(&b, URL_MAX);
	up_url_pages(&b, f, "/v1/calls");
	if ((f->plan->pushed & FBIT(F_STATUS)) &&
	    status_list(f->q, list, sizeof(list)) > 0)
		up_url_param(&b, "status", list);
	up_url_agent(&b, f, "agent_uuid");
	up_url_direction(&b, f, "call_type");
	if ((e = up_get(a, r, &b)) != CN_OK)
		return e;
	return up_add_header(a, r, "API-Token", f->pc->api_key);
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

/* The parties: phone_number is the other party and from_number our
 * line; which is from and which is to follows the direction, and without
 * one neither is known. */
static void
parties(struct call *c, const char *other, const char *line)
{
	if (c->direction == DIR_INBOUND) {
		c->from = other;
		c->to = line;
	} else if (c->direction == DIR_OUTBOUND) {
		c->from = line;
		c->to = other;
	}
}

/* tag.name, when there is one, as the call's one tag. */
static int
tag(struct arena *a, const struct jv *o, struct call *c, const char **why)
{
	const struct jv *v;
	const char *name;

	if (up_field_obj(o, "tag", &v) < 0)
		return up_why(why, "tag is not an object");
	if (v == NULL)
		return 0;
	if (up_field_str(v, "name", &name) < 0)
		return up_why(why, "tag.name is not a string");
	if (name == NULL)
		return 0;
	if ((c->tags = arena_alloc(a, sizeof(*c->tags))) == NULL)
		return up_why(why, "out of memory");
	c->tags[0] = name;
	c->ntags = 1;
	return 0;
}

/* Fills c from one list item. */
static int
record(const struct fetch *f, struct arena *a, const struct jv *o,
    struct call *c, const char **why)
{
	const char *dir, *other, *line, *by;
	struct opt_i64 picked;

	if (up_record(f, a, o, "call_id", c, why,
	        "status:s call_ended_by:s call_type:s phone_number:s "
	        "from_number:s agent_uuid:s agent_name:s created_at:T "
	        "call_picked_at:T duration_seconds:S",
	        &c->provider_status, &by, &dir, &other, &line, &c->agent_id,
	        &c->agent_name, &c->started_at, &picked, &c->duration_ms) < 0)
		return -1;
	c->type = TYPE_PHONE;
	up_status_map(&statuses, c->provider_status, NULL, c);
	if (c->status == ST_COMPLETED)
		c->end_reason = call_end_reason(by);
	c->direction = up_direction(dir, UP_DIR_INOUT);
	parties(c, other, line);
	/* talk time runs from the pickup, not from created_at */
	up_end_from(c, &picked);
	if (up_field_id_string(a, o, "campaign_id", &c->campaign_id) < 0)
		return up_why(why, "campaign_id is not an id");
	return tag(a, o, c, why);
}

/* OSVI's documented 404 for an agent_uuid that is not on the account. */
static bool
agent_not_found(const struct upresp *resp, struct arena *a)
{
	const struct jv *root;
	const char *why;
	char scratch[128];

	if (up_parse_body(resp, a, &root, scratch, sizeof(scratch)) != CN_OK ||
	    jv_type(root) != J_OBJ || up_field_str(root, "error", &why) < 0 ||
	    why == NULL)
		return false;
	return strcmp(why, "agent_not_found") == 0;
}

static enum cn_err
decode(const struct fetch *f, const struct upresp *resp, struct arena *a,
    struct uppage *pg, char *err, size_t errsize)
{
	/*
	 * The agent asked for does not exist there, so it has no calls: an
	 * empty list, not a failure.  Only when we sent agent_uuid; a 404
	 * to anything else is not the documented case.
	 */
	if (resp->status == 404 && (f->plan->pushed & FBIT(F_AGENT)) &&
	    agent_not_found(resp, a)) {
		struct opt_i64 zero = { true, 0 };
		pg->n = 0;
		pg->calls = NULL;
		pg->next.token = NULL;
		up_page_end(pg, true, &zero, 0, f->page_size);
		return CN_OK;
	}
	/* the schema does not require success; when sent it must hold */
	return up_decode_pages(
	    f, resp, a, &pages, record, true, pg, err, errsize);
}

/*
 * ---- one call in full: GET /v1/call/{id}, /v1/call/{id}/transcript and
 * /v1/call/{id}/recording, in parallel ----
 */

enum { PART_CALL, PART_TRANSCRIPT, PART_RECORDING };

static const char *const detail_parts[] = { "call", "transcript", "recording" };

/* The transcript endpoint's roles; its turns carry no timing. */
static const struct up_role roles[] = {
	{ "agent", "agent" },
	{ "assistant", "agent" },
	{ "bot", "agent" },
	{ "user", "user" },
	{ "customer", "user" },
	{ "system", "system" },
	{ "tool", "tool" },
};

static enum cn_err
detail_prepare(
    const struct detail_req *rq, size_t part, struct arena *a, struct upreq *r)
{
	static const char *const suffix[] = { "", "/transcript", "/recording" };
	enum cn_err e;

	if ((e = up_detail_get(rq, a, r, "/v1/call/", suffix[part])) != CN_OK)
		return e;
	return up_add_header(a, r, "API-Token", rq->pc->api_key);
}

/* success, when sent, must hold; data must be an object. */
static const struct jv *
envelope_data(const struct jv *root)
{
	int ok = 1;

	if (up_field_bool(root, "success", &ok) < 0 || !ok)
		return NULL;
	return jv_type(jv_get(root, "data")) == J_OBJ ? jv_get(root, "data")
	                                              : NULL;
}

static enum cn_err
detail_recording(const struct detail_req *rq, const struct jv *data,
    struct detail *d, char *err, size_t errsize)
{
	struct opt_i64 secs;

	if (up_field_str(data, "recording_url", &d->recording_url) < 0 ||
	    up_field_int(data, "expires_in_seconds", &secs) < 0 ||
	    (secs.set && (secs.v < 0 || secs.v > TIME_MAX_MS / 1000)))
		return up_bad(err, errsize,
		    "recording is not a recording_url and expires_in_seconds");
	/* counted from when the answer arrived; no URL, no expiry */
	if (secs.set && d->recording_url != NULL &&
	    rq->now_ms + secs.v * 1000 <= TIME_MAX_MS) {
		d->recording_expires_at.set = true;
		d->recording_expires_at.v = rq->now_ms + secs.v * 1000;
	}
	return CN_OK;
}

static enum cn_err
detail_decode(const struct detail_req *rq, const struct upresp *resp,
    struct arena *a, struct detail *d, char *err, size_t errsize)
{
	const struct jv *root[3], *data;
	const char *why = "";
	bool absent[3];
	enum cn_err e;

	e = up_detail_parts(resp, 3, a, d, root, absent, err, errsize);
	if (e != CN_OK)
		return e;
	if ((data = envelope_data(root[PART_CALL])) == NULL) {
		d->err_part = PART_CALL;
		return up_bad(err, errsize, "the call is not success and data");
	}
	if ((e = up_detail_record(rq, a, data, record, d, err, errsize)) !=
	    CN_OK)
		return e;
	if (up_unpack(a, data, &why, "summary:t", &d->summary) < 0)
		return up_bad_unless_oom(a, err, errsize, "%s", why);
	d->err_part = PART_TRANSCRIPT;
	if (!absent[PART_TRANSCRIPT]) {
		data = envelope_data(root[PART_TRANSCRIPT]);
		if (data == NULL ||
		    up_decode_turns(a, data, "transcript", roles,
		        UP_NELEM(roles), NULL, NULL, d) < 0)
			return up_bad_unless_oom(a, err, errsize,
			    "the transcript is not success and turns");
	}
	d->err_part = PART_RECORDING;
	if (!absent[PART_RECORDING]) {
		data = envelope_data(root[PART_RECORDING]);
		if (data == NULL)
			return up_bad(err, errsize,
			    "the recording is not success and data");
		if ((e = detail_recording(rq, data, d, err, errsize)) != CN_OK)
			return e;
	}
	d->err_part = PART_CALL;
	return CN_OK;
}

static const struct detail_driver detail = UP_DETAIL(3);

const struct driver drv_osvi = {
	UP_DRIVER("osvi", PAGING_PAGE1, 100, DESC_BIT),
	.can_push = FBIT(F_STATUS) | FBIT(F_DIRECTION) | FBIT(F_AGENT),
	.can_check = UP_F_RECORD | FBIT(F_AGENT),
	.detail = &detail,
};
