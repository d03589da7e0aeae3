/*
 * vapi: GET /call answers a bare JSON array, newest created first, with
 * no paging fields at all.  The next page is asked with createdAtLe =
 * the oldest createdAt seen, and the calls already returned at that
 * millisecond are dropped (calls share milliseconds at page edges).  The
 * driver keeps that position in a token of its own, "MS,ID,ID...": the
 * createdAt bound and the percent-encoded ids returned at it.
 *
 * The list is in creation order and a call starts after it is created:
 * records fill created_at, and the time bounds go out on createdAt
 * (started_before=T -> createdAtLt=T; started_after=T -> createdAtGe = T
 * minus start_lag_ms), always re-checked on started_at here.
 *
 * One call in full is GET /call/{id}: the same call object, read for its
 * messages, analysis summary, recording URL and cost.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../cursor.h"
#include "../url.h"
#include "common.h"

#define URL_MAX (64 * 1024)

/* status words; "ended" reads endedReason, the second table.  Reasons
 * outside it are sorted into Vapi's families by reason_family(). */
static struct up_status_table statuses =
    UP_STATUS_TABLE("scheduled=scheduled queued=queued ringing=ringing "
                    "in-progress=in_progress forwarding=in_progress "
                    "ended=completed+",
        "customer-ended-call=completed/user_hangup "
        "assistant-ended-call=completed/agent_hangup "
        "assistant-said-end-call-phrase=completed/agent_hangup "
        "assistant-forwarded-call=completed/transferred "
        "silence-timed-out=completed/inactivity "
        "exceeded-max-duration=completed/max_duration "
        "voicemail=voicemail/voicemail "
        "customer-did-not-answer=no_answer/no_answer "
        "customer-busy=busy/busy manually-canceled=canceled "
        "*=completed/error");

/*
 * Of Vapi's ~570 endedReason values the table names a few; the rest
 * come in families: assistant-ended-call-* is the assistant hanging up,
 * anything naming an error or a failure failed, and the remainder
 * (completed/error, from the table's '*') ended some other way.
 */
static void
reason_family(const char *why, struct call *c)
{
	if (why == NULL || c->status != ST_COMPLETED ||
	    c->end_reason != ER_ERROR)
		return;
	if (up_word_prefix(why, "assistant-ended-call-"))
		c->end_reason = ER_AGENT_HANGUP;
	else if (up_word_contains(why, "error") ||
	    up_word_contains(why, "failed"))
		c->status = ST_FAILED;
}

static void
plan(const struct query *q, struct plan *p)
{
	/* assistantId takes one id; records carry it, so more are local */
	if (q->agent_ids.n == 1)
		up_push(p, FBIT(F_AGENT), true);
	/* on createdAt, which bounds started_at from one side only */
	up_plan_time_superset(q, p);
}

/* A position: the createdAt bound and the encoded ids returned at it. */
struct bound {
	bool set;
	int64_t ms;
	const char *ids; /* ",ID,ID..." or "" */
	int nids;
};

static int
bound_read(const char *tok, struct bound *b)
{
	char *end;
	const char *p;

	memset(b, 0, sizeof(*b));
	b->ids = "";
	if (tok == NULL)
		return 0;
	b->ms = strtoll(tok, &end, 10);
	if (end == tok || (*end != '\0' && *end != ','))
		return -1;
	b->set = true;
	b->ids = end;
	for (p = end; *p != '\0'; p++)
		b->nids += *p == ',';
	return 0;
}

/* ",ID" for one native id, as the token spells it. */
static void
token_id(struct buf *b, const char *id)
{
	buf_addc(b, ',');
	url_encode(b, id, URL_UNRESERVED);
}

/* True when the token part ids (",ID,ID...") holds the encoded id. */
static bool
ids_have(const char *ids, const char *enc, size_t len)
{
	const char *p = ids;

	while ((p = strstr(p, enc)) != NULL) {
		if (p[len] == '\0' || p[len] == ',')
			return true;
		p += len;
	}
	return false;
}

static bool
bound_has(const struct bound *b, const char *id)
{
	struct buf e;
	bool has;

	buf_init(&e, 4 * MAX_NATIVE_ID);
	token_id(&e, id);
	has = !e.failed && ids_have(b->ids, buf_cstr(&e), e.len);
	buf_free(&e);
	return has;
}

/* What a page asks for: the engine's page plus room for the calls it
 * will drop at the bound, so a page always has room for a new one. */
static int
ask_limit(const struct fetch *f, const struct bound *b)
{
	int64_t n = (int64_t)f->page_size + b->nids;
	int max = f->pc->driver->max_page_size;

	return n < max ? (int)n : max;
}

static enum cn_err
prepare(const struct fetch *f, struct arena *a, struct upreq *r)
{
	struct bound bd;
	struct buf b;

	/* the token comes from a sealed cursor: only ours parse */
	if (bound_read(f->pos.token, &bd) < 0)
		return CN_INTERNAL;
	buf_init(&b, URL_MAX);
	up_url_begin(&b, f->pc, "/call");
	up_url_param_int(&b, "limit", ask_limit(f, &bd));
	if (f->plan->pushed & FBIT(F_AGENT))
		up_url_param(&b, "assistantId", f->q->agent_ids.v[0]);
	/* the fetch's range, which a windowed walk narrows; a call is
	 * created at most start_lag_ms before it starts (assumed) */
	if (f->after.set)
		up_url_time(
		    &b, "createdAtGe", f->after.v - f->pc->start_lag_ms);
	if (f->before.set)
		up_url_time(&b, "createdAtLt", f->before.v);
	if (bd.set)
		up_url_time(&b, "createdAtLe", bd.ms);
	return up_get_bearer(a, r, &b, f->pc->api_key);
}

static int
record(const struct fetch *f, struct arena *a, const struct jv *o,
    struct call *c, const char **why)
{
	const char *type, *reason, *cust, *ours, *art, *top;

	if (up_record(f, a, o, "id", c, why,
	        "type:s status:s endedReason:s createdAt:T startedAt:T "
	        "endedAt:T assistantId:s assistant.name:s customer.number:s "
	        "phoneNumber.number:s campaignId:s artifact.transcript:t "
	        "transcript:t",
	        &type, &c->provider_status, &reason, &c->created_at,
	        &c->started_at, &c->ended_at, &c->agent_id, &c->agent_name,
	        &cust, &ours, &c->campaign_id, &art, &top) < 0)
		return -1;
	/* the list's order and the paging position stand on it */
	if (!c->created_at.set)
		return up_why(why, "createdAt is missing");
	if (word_eq(type ? type : "", "inboundPhoneCall")) {
		c->direction = DIR_INBOUND;
		c->from = cust;
		c->to = ours;
	} else if (word_eq(type ? type : "", "outboundPhoneCall")) {
		c->direction = DIR_OUTBOUND;
		c->from = ours;
		c->to = cust;
	}
	c->type = c->direction != DIR_NULL ? TYPE_PHONE
	    : type != NULL &&
	        (word_eq(type, "webCall") ||
	            word_eq(type, "vapi.websocketCall"))
	    ? TYPE_WEB
	    : TYPE_NULL;
	/* not started yet (or never answered): the creation time */
	if (c->started_at.set && c->ended_at.set &&
	    c->ended_at.v >= c->started_at.v) {
		c->duration_ms.set = true;
		c->duration_ms.v = c->ended_at.v - c->started_at.v;
	}
	if (!c->started_at.set)
		c->started_at = c->created_at;
	up_status_map(&statuses, c->provider_status, reason, c);
	reason_family(reason, c);
	c->transcript = art != NULL ? art : top != NULL ? top : "";
	c->has_transcript_source = true;
	return 0;
}

/*
 * The next position after a full page: its oldest createdAt and the ids
 * at that millisecond (those of the old position too, when the whole
 * page lies at its bound).  -1 when they do not fit in a cursor.
 */
static int
next_token(struct arena *a, const struct bound *bd, const struct uppage *pg,
    size_t raw, const char **out)
{
	int64_t oldest = pg->calls[raw - 1].created_at.v;
	struct buf b;
	size_t i;
	int rc = -1;

	buf_init(&b, 2 * CURSOR_MAX_TOKEN);
	buf_printf(&b, "%lld", (long long)oldest);
	if (bd->set && bd->ms == oldest)
		buf_adds(&b, bd->ids);
	for (i = 0; i < raw; i++) {
		const struct call *c = &pg->calls[i];
		if (c->created_at.v == oldest &&
		    !(bd->set && bd->ms == oldest &&
		        bound_has(bd, c->native_id)))
			token_id(&b, c->native_id);
	}
	if (!b.failed && b.len <= CURSOR_MAX_TOKEN &&
	    (*out = up_buf_to_arena(a, &b, NULL)) != NULL)
		rc = 0;
	buf_free(&b);
	return rc;
}

static enum cn_err
decode(const struct fetch *f, const struct upresp *resp, struct arena *a,
    struct uppage *pg, char *err, size_t errsize)
{
	const struct jv *arr;
	struct opt_i64 no_total = { false, 0 };
	struct bound bd;
	size_t raw, i, keep = 0;
	bool full;
	enum cn_err e;

	if (bound_read(f->pos.token, &bd) < 0)
		return up_bad(err, errsize, "not a vapi page position");
	if ((e = up_decode_bare(f, resp, a, &arr, err, errsize)) != CN_OK ||
	    (e = up_decode_records(f, a, arr, pg, record, err, errsize)) !=
	        CN_OK)
		return e;
	raw = pg->n;
	for (i = 1; i < raw; i++)
		if (pg->calls[i].created_at.v > pg->calls[i - 1].created_at.v)
			return up_bad(err, errsize,
			    "record %zu is newer than the one before it", i);
	/* fewer than asked for: the end of the list */
	full = raw >= (size_t)ask_limit(f, &bd);
	if (full && next_token(a, &bd, pg, raw, &pg->next.token) < 0) {
		snprintf(err, errsize,
		    "more calls share one createdAt millisecond than a "
		    "cursor holds");
		return arena_failed(a) ? CN_INTERNAL
		                       : CN_PROVIDER_PAGINATION_STUCK;
	}
	/*
	 * Calls above the bound came on earlier pages (or arrived since the
	 * walk began); those at it whose ids the position holds were
	 * returned already.
	 */
	for (i = 0; i < raw; i++) {
		const struct call *c = &pg->calls[i];
		if (bd.set &&
		    (c->created_at.v > bd.ms ||
		        (c->created_at.v == bd.ms &&
		            bound_has(&bd, c->native_id))))
			continue;
		pg->calls[keep++] = *c;
	}
	pg->n = keep;
	if (full && keep == 0) {
		snprintf(err, errsize, "a full page added no new call");
		return CN_PROVIDER_PAGINATION_STUCK;
	}
	if (!full)
		pg->next.token = NULL;
	up_page_end(pg, !full, &no_total, -1, f->page_size);
	return CN_OK;
}

/* ---- one call in full: GET /call/{id} ---- */

/*
 * artifact.messages roles.  `system` (the prompt) is no turn and is
 * skipped before this table; `assistant` is the OpenAI-shaped word.
 */
static const struct up_role roles[] = {
	{ "bot", "agent" },
	{ "assistant", "agent" },
	{ "user", "user" },
	{ "tool_calls", "tool" },
	{ "tool_call_result", "tool" },
};

/*
 * One message as a turn: the words in `message` (a tool result's in
 * `result`; an OpenAI-shaped message without `message` has `content`),
 * the offset in secondsFromStart.  -1 when a member has the wrong type.
 */
static int
message_turn(const struct jv *m, const char *role, struct turn *tu)
{
	const char *key = "message";

	if (role != NULL && word_eq(role, "tool_call_result"))
		key = "result";
	else if (jv_get(m, "message") == NULL && jv_get(m, "content") != NULL)
		key = "content";
	tu->role = up_role(roles, UP_NELEM(roles), role);
	if (up_turn_text(m, key, &tu->text) < 0)
		return -1;
	return up_offset_seconds(jv_get(m, "secondsFromStart"), &tu->offset_ms);
}

/*
 * The transcript: artifact.messages, else the older top-level messages
 * (*from names the one read); neither: the call keeps none.  -1 when it
 * is not an array of messages, or the arena failed.
 */
static int
transcript_turns(
    struct arena *a, const struct jv *root, struct detail *d, const char **from)
{
	const struct jv *art = jv_get(root, "artifact"), *ms = NULL, *m;
	const char *role;
	size_t i;

	*from = "artifact";
	if (!jv_is_null(art)) {
		if (jv_type(art) != J_OBJ)
			return -1;
		*from = "artifact.messages";
		ms = jv_get(art, "messages");
	}
	if (jv_is_null(ms)) {
		*from = "messages";
		ms = jv_get(root, "messages");
	}
	if (jv_is_null(ms))
		return 0;
	if (jv_type(ms) != J_ARR || up_turns_alloc(a, d, jv_len(ms)) < 0)
		return -1;
	for (i = 0; i < jv_len(ms); i++) {
		m = jv_item(ms, i);
		if (jv_type(m) != J_OBJ || up_field_str(m, "role", &role) < 0)
			return -1;
		if (role != NULL && word_eq(role, "system"))
			continue;
		if (message_turn(m, role, &d->turns[d->nturns]) < 0)
			return -1;
		d->nturns++;
	}
	return 0;
}

static enum cn_err
detail_decode(const struct detail_req *rq, const struct upresp *resp,
    struct arena *a, struct detail *d, char *err, size_t errsize)
{
	const struct jv *root;
	const char *art_url, *top_url, *from, *why = "";
	enum cn_err e;

	e = up_detail_bare_call(rq, resp, a, record, d, &root, err, errsize);
	if (e != CN_OK)
		return e;
	if (transcript_turns(a, root, d, &from) < 0)
		return up_bad_unless_oom(a, err, errsize,
		    "%s is not an array of role, message and "
		    "secondsFromStart",
		    from);
	if (up_unpack(a, root, &why,
	        "artifact.recordingUrl:s recordingUrl:s analysis.summary:t",
	        &art_url, &top_url, &d->summary) < 0)
		return up_bad_unless_oom(a, err, errsize, "%s", why);
	d->recording_url = art_url != NULL ? art_url : top_url;
	/* `cost` is in dollars (the API reference says "in USD") */
	if (up_cost(a, d, jv_get(root, "cost"), 1, "USD") < 0)
		return up_bad_unless_oom(
		    a, err, errsize, "cost is not a number");
	return CN_OK;
}

static const struct detail_driver detail = UP_DETAIL_BEARER_GET("/call/");

const struct driver drv_vapi = {
	UP_DRIVER("vapi", PAGING_TOKEN, 1000, DESC_BIT),
	.creation_order = true,
	.windows = true,
	.can_push = FBIT(F_AGENT) | UP_F_TIME,
	.can_check = UP_F_RECORD | FBIT(F_AGENT) | FBIT(F_Q),
	.detail = &detail,
};
