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

/* call_status words; "ended" and "error" read call_finish_reason,
 * whose words are the second table. */
static struct up_status_table statuses =
    UP_STATUS_TABLE("registered=queued ongoing=in_progress error=failed/error~ "
                    "ended=completed+",
        "user_ended_call=completed/user_hangup "
        "agent_ended_call=completed/agent_hangup "
        "call_transferred=completed/transferred "
        "inactivity_timeout=completed/inactivity "
        "maximum_duration_exceeded=completed/max_duration "
        "no_answer=no_answer/no_answer line_busy=busy/busy "
        "voicemail_detected=voicemail/voicemail "
        "answering_machine_detected=voicemail/voicemail");

static void
plan(const struct query *q, struct plan *p)
{
	if (q->statuses && !(q->statuses & up_status_producible(&statuses)))
		p->empty = true;
	if (q->agent_ids.n)
		up_push(p, FBIT(F_AGENT), true);
	/*
	 * Bound inclusivity is undocumented: the lower bound goes out 1 ms
	 * early, the upper one as given, and both are re-checked here.
	 */
	up_plan_time_superset(q, p);
}

static void
time_param(struct buf *b, const char *name, int64_t ms)
{
	char ts[40];

	/* Out of printable range: omitting the bound only widens it. */
	if (time_format_ms(ms, ts, sizeof(ts)) > 0)
		up_url_param(b, name, ts);
}

static enum cn_err
prepare(const struct fetch *f, struct arena *a, struct upreq *r)
{
	const struct query *q = f->q;
	unsigned pushed = f->plan->pushed;
	struct buf b;
	size_t i;

	buf_init(&b, URL_MAX);
	up_url_begin(&b, f->pc, "/v1/calls/");
	up_url_param_int(&b, "page_size", f->page_size);
	up_url_param(
	    &b, "sort_direction", f->order == ORDER_ASC ? "asc" : "desc");
	if (f->pos.token != NULL)
		up_url_param(&b, "page_token", f->pos.token);
	/* FastAPI list parameter: one repetition per value. */
	if (pushed & FBIT(F_AGENT))
		for (i = 0; i < q->agent_ids.n; i++)
			up_url_param(&b, "ai_agent_ids", q->agent_ids.v[i]);
	if (pushed & FBIT(F_STARTED_AFTER))
		time_param(&b, "start_time_after", q->started_after - 1);
	if (pushed & FBIT(F_STARTED_BEFORE))
		time_param(&b, "start_time_before", q->started_before);
	return up_get_bearer(a, r, &b, f->pc->api_key);
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
	if ((*out = up_buf_to_arena(a, &b, NULL)) == NULL) {
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
	const char *type, *dir, *st, *reason;

	if (up_record(f, a, o, "_id", c, why,
	        "call_type:s direction:s call_status:s call_finish_reason:s "
	        "from_number:s to_number:s ai_agent_id:s ai_agent_name:s "
	        "call_duration_seconds:S call_start_time:T call_end_time:T "
	        "metadata:o",
	        &type, &dir, &st, &reason, &c->from, &c->to, &c->agent_id,
	        &c->agent_name, &c->duration_ms, &c->started_at, &c->ended_at,
	        &c->metadata) < 0)
		return -1;
	c->type = up_call_type(type);
	c->direction = up_direction(dir, UP_DIR_INOUT);
	c->provider_status = st;
	up_status_map(&statuses, st, reason, c);
	if (f->plan->requested & FBIT(F_Q)) {
		if (transcript(a, o, &c->transcript, why) < 0)
			return -1;
		c->has_transcript_source = true;
	}
	return 0;
}

static enum cn_err
decode(const struct fetch *f, const struct upresp *resp, struct arena *a,
    struct uppage *pg, char *err, size_t errsize)
{
	const struct jv *root, *calls, *tok;
	struct opt_i64 total;
	enum cn_err e;

	if ((e = up_decode_begin(
	         f, resp, a, "calls", &root, &calls, err, errsize)) != CN_OK)
		return e;
	tok = jv_get(root, "next_page_token");
	if (!jv_is_null(tok) && jv_type(tok) != J_STR)
		return up_bad(err, errsize, "next_page_token is not a string");
	/* the token travels in the cursor, which has room for this much */
	if (!jv_is_null(tok) && jv_len(tok) > CURSOR_MAX_TOKEN)
		return up_bad(err, errsize, "next_page_token is too long");
	if ((e = up_decode_count(root, "total_count", &total, err, errsize)) !=
	        CN_OK ||
	    (e = up_decode_records(f, a, calls, pg, record, err, errsize)) !=
	        CN_OK)
		return e;
	/* An empty token could only restart the walk: treat it as the end. */
	if (!jv_is_null(tok) && jv_len(tok) > 0 &&
	    (pg->next.token = arena_strdup(a, jv_str(tok))) == NULL)
		return CN_INTERNAL;
	up_page_end(
	    pg, pg->next.token == NULL || pg->n == 0, &total, -1, f->page_size);
	return CN_OK;
}

/* ---- one call in full: GET /v1/calls/{call_id} ---- */

static const struct up_role roles[] = {
	{ "agent", "agent" },
	{ "user", "user" },
};

/*
 * A message's content may open with its timing, "(12.3s - 15.8s) Hi":
 * the first number is the offset in seconds, and the text is what
 * follows the parenthesis.  Content without that prefix is all text.
 */
static void
timed_content(const char *content, struct turn *t)
{
	char num[32];
	const char *p = content, *close;
	size_t n = 0;

	t->text = content;
	t->offset_ms.set = false;
	if (*p++ != '(')
		return;
	while (((*p >= '0' && *p <= '9') || *p == '.') && n + 1 < sizeof(num))
		num[n++] = *p++;
	num[n] = '\0';
	if (n == 0 || *p != 's' || strncmp(p + 1, " - ", 3) != 0 ||
	    (close = strchr(p, ')')) == NULL ||
	    up_decimal_scaled(num, 3, &t->offset_ms.v) < 0)
		return;
	t->offset_ms.set = true;
	for (close++; *close == ' '; close++)
		;
	t->text = close;
}

static int
turn_timing(const struct jv *it, struct turn *tu, void *ctx)
{
	(void)it;
	(void)ctx;
	timed_content(tu->text, tu);
	return 0;
}

static enum cn_err
detail_decode(const struct detail_req *rq, const struct upresp *resp,
    struct arena *a, struct detail *d, char *err, size_t errsize)
{
	const struct jv *root;
	enum cn_err e;

	e = up_detail_bare_call(rq, resp, a, record, d, &root, err, errsize);
	if (e != CN_OK)
		return e;
	if (up_field_str(root, "recorded_call_audio_url", &d->recording_url) <
	    0)
		return up_bad(
		    err, errsize, "recorded_call_audio_url is not a string");
	if (up_decode_turns(a, root, "messages", roles, UP_NELEM(roles),
	        turn_timing, NULL, d) < 0)
		return up_bad_unless_oom(
		    a, err, errsize, "messages are not role and content");
	return CN_OK;
}

static const struct detail_driver detail = UP_DETAIL_BEARER_GET("/v1/calls/");

const struct driver drv_verbex = {
	UP_DRIVER("verbex", PAGING_TOKEN, 1000, DESC_BIT | ASC_BIT),
	.can_push = FBIT(F_AGENT) | UP_F_TIME,
	.can_check = UP_F_RECORD | FBIT(F_AGENT) | FBIT(F_Q),
	.detail = &detail,
};
