/*
 * elevenlabs: GET /v1/convai/conversations, an opaque cursor with
 * has_more, newest first by start time only (the engine walks time
 * windows for ascending order).  Start times and durations are whole
 * seconds, so time and duration bounds go out one second wider on each
 * side and are re-checked here.  The list has no phone numbers and no
 * transcript: `phone` and `q` cannot be served.  The detail,
 * GET /v1/convai/conversations/{id}, has both.
 */
#include <stdio.h>
#include <string.h>

#include "common.h"

#define URL_MAX (64 * 1024)

/* The status table, in the provider's order; also the words
 * exclude_statuses sends. */
static struct up_status_table statuses =
    UP_STATUS_TABLE("initiated=queued in-progress=in_progress "
                    "processing=completed done=completed "
                    "failed=failed/error",
        NULL);

/* conversation_initiation_source words by call type; others are null. */
static const char *const phone_sources[] = { "twilio", "sip_trunk", "exotel",
	"genesys", "vonage", "plivo", "telnyx" };
static const char *const web_sources[] = { "widget", "react_sdk", "js_sdk",
	"swift_sdk", "android_sdk", "flutter_sdk", "web" };

static bool
listed(const char *w, const char *const *words, size_t n)
{
	size_t i;

	for (i = 0; w != NULL && i < n; i++)
		if (word_eq(w, words[i]))
			return true;
	return false;
}

/* The table's words a status filter keeps (bit i: words[i]). */
static unsigned
kept_words(const struct query *q)
{
	unsigned yield;

	return up_status_select(&statuses, q->statuses, &yield);
}

static unsigned
all_words(void)
{
	return (1u << up_vocab(&statuses)->n) - 1;
}

static void
plan(const struct query *q, struct plan *p)
{
	if (q->statuses && !(q->statuses & up_status_producible(&statuses)))
		p->empty = true;
	/*
	 * The API excludes statuses rather than selecting them.  A word
	 * outside the table passes its filter, so this is never exact.
	 */
	if (q->statuses && !p->empty && kept_words(q) != all_words())
		up_push(p, FBIT(F_STATUS), false);
	if (q->agent_ids.n == 1)
		up_push(p, FBIT(F_AGENT), true);
	up_plan_time_superset(q, p);
	/* A lower bound of 0 excludes nothing: nothing is sent for it. */
	if (query_has(q, QP_MIN_DURATION) && q->min_duration > 0)
		up_push(p, FBIT(F_MIN_DURATION), false);
	if (query_has(q, QP_MAX_DURATION))
		up_push(p, FBIT(F_MAX_DURATION), false);
}

/* Floor and ceiling of ms / 1000, for any sign. */
static int64_t
floor_s(int64_t ms)
{
	return ms / 1000 - (ms % 1000 < 0);
}

static int64_t
ceil_s(int64_t ms)
{
	return ms / 1000 + (ms % 1000 > 0);
}

static enum cn_err
prepare(const struct fetch *f, struct arena *a, struct upreq *r)
{
	const struct query *q = f->q;
	unsigned pushed = f->plan->pushed, keep;
	const struct up_status_table *t;
	enum cn_err e;
	struct buf b;
	size_t i;

	buf_init(&b, URL_MAX);
	up_url_begin(&b, f->pc, "/v1/convai/conversations");
	up_url_param_int(&b, "page_size", f->page_size);
	if (f->pos.token != NULL)
		up_url_param(&b, "cursor", f->pos.token);
	if (pushed & FBIT(F_AGENT))
		up_url_param(&b, "agent_id", q->agent_ids.v[0]);
	/*
	 * Whole seconds, inclusivity undocumented: one second wider on each
	 * side is a superset under either reading.  The fetch's own range
	 * (a window of an ascending walk) is what is read.  No conversation
	 * starts before 1970.
	 */
	if (f->after.set && floor_s(f->after.v) - 1 >= 0)
		up_url_param_int(
		    &b, "call_start_after_unix", floor_s(f->after.v) - 1);
	if (f->before.set)
		up_url_param_int(&b, "call_start_before_unix",
		    ceil_s(f->before.v) + 1 > 0 ? ceil_s(f->before.v) + 1 : 0);
	if (pushed & FBIT(F_MIN_DURATION))
		up_url_param_int(
		    &b, "call_duration_min_secs", ceil_s(q->min_duration) - 1);
	if (pushed & FBIT(F_MAX_DURATION))
		up_url_param_int(
		    &b, "call_duration_max_secs", floor_s(q->max_duration) + 1);
	if (pushed & FBIT(F_STATUS)) {
		keep = kept_words(q);
		t = up_vocab(&statuses);
		for (i = 0; i < t->n; i++)
			if (!(keep & (1u << i)))
				up_url_param(
				    &b, "exclude_statuses", t->words[i].word);
	}
	if ((e = up_get(a, r, &b)) != CN_OK)
		return e;
	return up_add_header(a, r, "xi-api-key", f->pc->api_key);
}

/*
 * Status, end, type and direction from the fields read: the list's
 * mapping, which the detail shares.
 */
static int
map_call(struct call *c, const char *src, const char *dir, const char **why)
{
	/* required: a conversation without a start fits no time window */
	if (!c->started_at.set)
		return up_why(why, "no start_time_unix_secs");
	up_status_map(&statuses, c->provider_status, NULL, c);
	/* processing, done and failed: the conversation is over */
	if (c->status == ST_COMPLETED || c->status == ST_FAILED)
		up_end_from(c, &c->started_at);
	c->type = listed(src, phone_sources, UP_NELEM(phone_sources))
	    ? TYPE_PHONE
	    : listed(src, web_sources, UP_NELEM(web_sources)) ? TYPE_WEB
	                                                      : TYPE_NULL;
	c->direction = up_direction(dir, UP_DIR_INOUT);
	return 0;
}

static int
record(const struct fetch *f, struct arena *a, const struct jv *o,
    struct call *c, const char **why)
{
	const char *src, *dir;

	if (up_record(f, a, o, "conversation_id", c, why,
	        "status:s conversation_initiation_source:s direction:s "
	        "agent_id:s agent_name:s version_id:s "
	        "start_time_unix_secs:S call_duration_secs:S",
	        &c->provider_status, &src, &dir, &c->agent_id, &c->agent_name,
	        &c->agent_version_id, &c->started_at, &c->duration_ms) < 0)
		return -1;
	return map_call(c, src, dir, why);
}

static enum cn_err
decode(const struct fetch *f, const struct upresp *resp, struct arena *a,
    struct uppage *pg, char *err, size_t errsize)
{
	const struct jv *root, *convs, *more;
	const struct opt_i64 no_total = { false, 0 };
	const char *tok;
	enum cn_err e;

	if ((e = up_decode_begin(f, resp, a, "conversations", &root, &convs,
	         err, errsize)) != CN_OK)
		return e;
	more = jv_get(root, "has_more");
	if (jv_type(more) != J_TRUE && jv_type(more) != J_FALSE)
		return up_bad(
		    err, errsize, "has_more is missing or not a boolean");
	if ((e = up_decode_token(a, root, "next_cursor", &tok, err, errsize)) !=
	        CN_OK ||
	    (e = up_decode_records(f, a, convs, pg, record, err, errsize)) !=
	        CN_OK)
		return e;
	/*
	 * Only has_more ends the list: the last page carries a stale
	 * cursor, which is not followed.
	 */
	if (jv_type(more) == J_TRUE) {
		if (tok == NULL || *tok == '\0')
			return up_bad(
			    err, errsize, "has_more without a cursor");
		if (f->pos.token != NULL && strcmp(tok, f->pos.token) == 0) {
			snprintf(
			    err, errsize, "the cursor came back unchanged");
			return CN_PROVIDER_PAGINATION_STUCK;
		}
		pg->next.token = tok;
	}
	up_page_end(pg, jv_type(more) == J_FALSE, &no_total, -1, f->page_size);
	return CN_OK;
}

/* ---- one call in full: GET /v1/convai/conversations/{id} ---- */

/* Roles other than these two are system turns (up_role). */
static const struct up_role roles[] = { { "agent", "agent" },
	{ "user", "user" } };

/* A GET of the detail path and the id, with the list's key header. */
static enum cn_err
detail_prepare(
    const struct detail_req *rq, size_t part, struct arena *a, struct upreq *r)
{
	enum cn_err e =
	    up_detail_get(rq, a, r, rq->pc->driver->detail->path, "");

	(void)part;
	return e != CN_OK ? e
	                  : up_add_header(a, r, "xi-api-key", rq->pc->api_key);
}

/*
 * The detail moves the start, the duration and the initiation source
 * into `metadata` (the list's top-level members are read when it does
 * not), and carries what the list lacks: the phone numbers, in
 * metadata.phone_call, ours as agent_number and the other party's as
 * external_number, so `from` and `to` follow the direction.
 */
static int
detail_record(const struct fetch *f, struct arena *a, const struct jv *o,
    struct call *c, const char **why)
{
	const char *src, *msrc, *dir, *pdir, *ours, *theirs;
	struct opt_i64 start, dur;

	if (up_record(f, a, o, "conversation_id", c, why,
	        "status:s conversation_initiation_source:s direction:s "
	        "agent_id:s agent_name:s version_id:s "
	        "start_time_unix_secs:S call_duration_secs:S "
	        "metadata.conversation_initiation_source:s "
	        "metadata.start_time_unix_secs:S metadata.call_duration_secs:S "
	        "metadata.phone_call.direction:s "
	        "metadata.phone_call.agent_number:s "
	        "metadata.phone_call.external_number:s",
	        &c->provider_status, &src, &dir, &c->agent_id, &c->agent_name,
	        &c->agent_version_id, &c->started_at, &c->duration_ms, &msrc,
	        &start, &dur, &pdir, &ours, &theirs) < 0)
		return -1;
	if (start.set)
		c->started_at = start;
	if (dur.set)
		c->duration_ms = dur;
	if (msrc != NULL)
		src = msrc;
	if (dir == NULL)
		dir = pdir;
	if (map_call(c, src, dir, why) < 0)
		return -1;
	c->from = c->direction == DIR_INBOUND ? theirs
	    : c->direction == DIR_OUTBOUND    ? ours
	                                      : NULL;
	c->to = c->direction == DIR_INBOUND ? ours
	    : c->direction == DIR_OUTBOUND  ? theirs
	                                    : NULL;
	return 0;
}

/* time_in_call_secs: seconds from the call's start */
static int
turn_fill(const struct jv *it, struct turn *tu, void *ctx)
{
	(void)ctx;
	if (up_turn_text(it, "message", &tu->text) < 0)
		return -1;
	return up_offset_seconds(
	    jv_get(it, "time_in_call_secs"), &tu->offset_ms);
}

static enum cn_err
detail_decode(const struct detail_req *rq, const struct upresp *resp,
    struct arena *a, struct detail *d, char *err, size_t errsize)
{
	const struct jv *root;
	const char *why = "";
	enum cn_err e;

	if ((e = up_detail_bare_call(
	         rq, resp, a, detail_record, d, &root, err, errsize)) != CN_OK)
		return e;
	if (up_unpack(a, root, &why, "analysis.transcript_summary:t",
	        &d->summary) < 0)
		return up_bad_unless_oom(a, err, errsize, "%s", why);
	/* the audio is another endpoint, which is not read */
	d->recording_url = NULL;
	if (up_decode_turns(a, root, "transcript", roles, UP_NELEM(roles),
	        turn_fill, NULL, d) < 0)
		return up_bad_unless_oom(a, err, errsize,
		    "transcript entries are not role, message and "
		    "time_in_call_secs");
	/* cost_fiat is documented in dollars; metadata.cost (credits) is
	 * not a currency */
	if (up_cost(a, d, jv_get(jv_get(root, "metadata"), "cost_fiat"), 1,
	        "USD") < 0)
		return up_bad_unless_oom(
		    a, err, errsize, "metadata.cost_fiat is not a number");
	return CN_OK;
}

static const struct detail_driver detail =
    UP_DETAIL_GET("/v1/convai/conversations/");

const struct driver drv_elevenlabs = {
	UP_DRIVER("elevenlabs", PAGING_TOKEN, 100, DESC_BIT),
	.windows = true,
	.can_push = FBIT(F_STATUS) | FBIT(F_AGENT) | UP_F_TIME | UP_F_DURATION,
	.can_check = (UP_F_RECORD & ~FBIT(F_PHONE)) | FBIT(F_AGENT),
	.detail = &detail,
};
