/*
 * The answer to /calls: call records, the page envelope with
 * meta.providers[], the Link to the next page, and the problem answered
 * when providers failed.
 */
#include "page.h"

#include <stdio.h>
#include <string.h>

#include "arena.h"
#include "buf.h"
#include "call.h"
#include "calls_int.h"
#include "conf.h"
#include "filter.h"
#include "json.h"
#include "query.h"
#include "raw.h"
#include "request.h"
#include "response.h"
#include "timefmt.h"
#include "url.h"

static void
opt_int(struct buf *b, const struct opt_i64 *v)
{
	if (v->set)
		buf_json_int(b, v->v);
	else
		buf_add(b, "null", 4);
}

static void
opt_time(struct buf *b, const struct opt_i64 *v)
{
	if (v->set)
		buf_json_time(b, v->v);
	else
		buf_add(b, "null", 4);
}

int
page_write_call(struct buf *b, const struct call *c, bool include_raw)
{
	size_t i;

	buf_adds(b, "{\"id\":\"");
	/* provider names are [a-z0-9_-]: no escaping needed */
	buf_adds(b, c->provider);
	buf_addc(b, ':');
	/* the native id is provider text: escape it, minus the quotes */
	{
		size_t start = b->len;
		buf_json_cstr(b, c->native_id);
		if (!b->failed && b->len >= start + 2) {
			memmove(b->data + start, b->data + start + 1,
			    b->len - start - 2);
			b->len -= 2;
		}
	}
	buf_adds(b, "\",\"provider\":");
	buf_json_cstr(b, c->provider);
	buf_adds(b, ",\"provider_kind\":");
	buf_json_cstr(b, c->kind);
	buf_adds(b, ",\"native_id\":");
	buf_json_cstr(b, c->native_id);
	buf_adds(b, ",\"type\":");
	buf_json_cstr(b, call_type_names[c->type]);
	buf_adds(b, ",\"direction\":");
	buf_json_cstr(b, call_dir_names[c->direction]);
	buf_adds(b, ",\"status\":");
	buf_json_cstr(b, call_status_names[c->status]);
	buf_adds(b, ",\"end_reason\":");
	buf_json_cstr(b, end_reason_names[c->end_reason]);
	buf_adds(b, ",\"provider_status\":");
	buf_json_cstr(b, c->provider_status);
	buf_adds(b, ",\"from\":");
	buf_json_cstr(b, c->from);
	buf_adds(b, ",\"to\":");
	buf_json_cstr(b, c->to);
	buf_adds(b, ",\"agent\":{\"id\":");
	buf_json_cstr(b, c->agent_id);
	buf_adds(b, ",\"name\":");
	buf_json_cstr(b, c->agent_name);
	buf_adds(b, ",\"version\":");
	if (c->agent_version_id != NULL)
		buf_json_cstr(b, c->agent_version_id);
	else
		opt_int(b, &c->agent_version);
	buf_adds(b, "},\"started_at\":");
	opt_time(b, &c->started_at);
	buf_adds(b, ",\"ended_at\":");
	opt_time(b, &c->ended_at);
	buf_adds(b, ",\"duration_ms\":");
	opt_int(b, &c->duration_ms);
	buf_adds(b, ",\"is_test\":");
	buf_adds(b, c->is_test < 0 ? "null" : c->is_test ? "true" : "false");
	buf_adds(b, ",\"campaign_id\":");
	buf_json_cstr(b, c->campaign_id);
	buf_adds(b, ",\"tags\":[");
	for (i = 0; i < c->ntags; i++) {
		if (i > 0)
			buf_addc(b, ',');
		buf_json_cstr(b, c->tags[i]);
	}
	buf_adds(b, "],\"metadata\":");
	if (c->metadata != NULL && jv_type(c->metadata) == J_OBJ)
		jv_write(b, c->metadata);
	else
		buf_adds(b, "{}");
	if (include_raw) {
		/* never the credentials a provider's record may carry */
		buf_adds(b, ",\"raw\":");
		raw_write(b, c->raw);
	}
	return buf_addc(b, '}');
}

/* ---- problems ---- */

/* A failure to report: a provider's second walk only when its first
 * walk did not fail too (one provider, one entry). */
static bool
reported(const struct walk *r, const struct stream *s)
{
	return s->failed && (s->walk == 0 || !r->s[s->first].failed);
}

/* The problem's members naming what failed: the provider (when one
 * did) and each failed provider's error. */
static void
failed_providers(struct buf *b, void *ctx)
{
	const struct walk *r = ctx;
	const struct stream *first = NULL;
	size_t i, nfail = 0;

	for (i = 0; i < r->ns; i++)
		if (reported(r, &r->s[i]) && nfail++ == 0)
			first = &r->s[i];
	if (nfail == 1) {
		buf_adds(b, ",\"provider\":");
		buf_json_cstr(b, first->pc->name);
		if (first->err_status > 0)
			buf_printf(
			    b, ",\"provider_status\":%ld", first->err_status);
	}
	buf_adds(b, ",\"providers\":[");
	for (i = 0, nfail = 0; i < r->ns; i++) {
		const struct stream *s = &r->s[i];
		if (!reported(r, s))
			continue;
		if (nfail++)
			buf_addc(b, ',');
		buf_adds(b, "{\"provider\":");
		buf_json_cstr(b, s->pc->name);
		buf_adds(b, ",\"code\":");
		buf_json_cstr(b, cn_err_code(s->err));
		if (s->err_status > 0)
			buf_printf(
			    b, ",\"provider_status\":%ld", s->err_status);
		buf_adds(b, ",\"detail\":");
		buf_json_cstr(b, s->errmsg);
		buf_addc(b, '}');
	}
	buf_addc(b, ']');
}

void
page_fail(struct response *rs, struct request *rq, const struct walk *r)
{
	size_t i, nfail = 0, ntimeout = 0, nrate = 0;
	const struct stream *first = NULL;
	enum cn_err code;
	int status;
	int64_t retry = -1;
	char *detail;

	for (i = 0; i < r->ns; i++) {
		const struct stream *s = &r->s[i];
		if (!reported(r, s))
			continue;
		nfail++;
		if (first == NULL)
			first = s;
		if (s->err == CN_PROVIDER_TIMEOUT)
			ntimeout++;
		if (s->err == CN_PROVIDER_RATE_LIMITED) {
			nrate++;
			if (s->retry_after_ms > retry)
				retry = s->retry_after_ms;
		}
	}
	if (first == NULL) {
		problem_respond(
		    rq, rs, CN_INTERNAL, "no provider answered", NULL);
		return;
	}
	code = first->err;
	if (nfail > 1) {
		if (ntimeout == nfail)
			code = CN_PROVIDER_TIMEOUT;
		else if (nrate == nfail)
			code = CN_PROVIDER_RATE_LIMITED;
		else if (cn_err_http_status(code) != 502)
			code = CN_PROVIDER_UNAVAILABLE;
	}
	status = cn_err_http_status(code);
	detail = nfail == 1
	    ? arena_printf(r->a, "provider %s: %s", first->pc->name,
	          first->errmsg[0] ? first->errmsg : cn_err_title(first->err))
	    : arena_printf(r->a, "%zu providers failed", nfail);
	problem_respond_with(
	    rq, rs, code, detail, NULL, failed_providers, (void *)r);
	rs->status = status;
	if (code == CN_PROVIDER_RATE_LIMITED) {
		char tmp[24];
		snprintf(tmp, sizeof(tmp), "%lld",
		    (long long)(retry > 0 ? (retry + 999) / 1000 : 1));
		response_header(rs, "Retry-After", tmp);
	}
}

/* ---- the Link ---- */

/* Starts name=, or continues the values of the parameter just started:
 * the parser splits on commas, so one name carries every value. */
static void
append_name(struct buf *b, const char *name, bool more)
{
	if (more) {
		buf_addc(b, ',');
		return;
	}
	buf_addc(b, b->len && memchr(b->data, '?', b->len) ? '&' : '?');
	buf_adds(b, name);
	buf_addc(b, '=');
}

/* Only what a query value cannot carry is escaped, and a space is '+':
 * a value the client sent raw grows only where a URL requires it. */
static void
append_value(struct buf *b, const char *value)
{
	url_encode(b, value, URL_QUERY);
}

static void
append_param(struct buf *b, const char *name, const char *value)
{
	append_name(b, name, false);
	append_value(b, value);
}

static void
append_set(struct buf *b, const char *name, const struct strset *s)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		append_name(b, name, i > 0);
		append_value(b, s->v[i]);
	}
}

static void
append_mask(struct buf *b, const char *name, unsigned m,
    const char *const *names, int n)
{
	int i;
	bool more = false;

	for (i = 0; i < n; i++)
		if ((m & (1u << i)) && names[i] != NULL) {
			append_name(b, name, more);
			append_value(b, names[i]);
			more = true;
		}
}

/*
 * An instant as the query parser reads it back: UTC where four-digit
 * years reach, else with the offset that brings the wall-clock time
 * into 0000-9999 (a query may say 0000-01-01T00:00:00+01:00, an hour
 * before year 0 in UTC).  The cursor binds the instant, so any spelling
 * of it leads to the same page.  0 when it cannot be written.
 */
static size_t
format_instant(int64_t ms, char *out, size_t size)
{
	const int64_t lo = days_from_civil(0, 1, 1) * 86400000;
	const int64_t hi = days_from_civil(10000, 1, 1) * 86400000 - 1;
	int64_t off = 0; /* minutes east of UTC */
	size_t n;

	if (ms < lo)
		off = (lo - ms + 59999) / 60000;
	else if (ms > hi)
		off = -((ms - hi + 59999) / 60000);
	if (off > 23 * 60 + 59 || off < -(23 * 60 + 59) || size < 30)
		return 0;
	n = time_format_ms(ms + off * 60000, out, size);
	if (n == 0)
		return 0;
	/* no longer than the client's spelling: ".000" only when needed */
	if (ms % 1000 == 0) {
		out[19] = 'Z';
		out[20] = '\0';
		n = 20;
	}
	if (off == 0)
		return n;
	snprintf(out + n - 1, size - n + 1, "%c%02d:%02d", off < 0 ? '-' : '+',
	    (int)(off < 0 ? -off : off) / 60, (int)(off < 0 ? -off : off) % 60);
	return n + 5;
}

/* The next page's URL, rebuilt from the parsed query: no client bytes
 * reach a response header unvalidated. */
static char *
next_link(struct arena *a, const struct request *rq, const struct query *q,
    const char *cursor)
{
	struct buf b;
	char tmp[40];
	const unsigned char *p;
	char *out;

	/* The query part is at most QUERY_MAX_BYTES (see query_parse), the
	 * cursor under 2 KB, SCRIPT_NAME comes from the web server. */
	buf_init(&b, 16 * 1024);
	for (p = (const unsigned char *)(rq->script_name ? rq->script_name
	                                                 : "");
	     *p; p++)
		if (*p > 0x20 && *p < 0x7f && *p != '<' && *p != '>' &&
		    *p != '"' && *p != '\\')
			buf_addc(&b, (char)*p);
	buf_adds(&b, "/calls");
	append_set(&b, "provider", &q->providers);
	append_mask(&b, "status", q->statuses, call_status_names, ST__MAX);
	append_mask(&b, "direction", q->directions, call_dir_names, DIR__MAX);
	append_mask(&b, "type", q->types, call_type_names, TYPE__MAX);
	append_set(&b, "agent_id", &q->agent_ids);
	/* A bound that could not be written would widen the next page's
	 * query: no Link (so a 500) rather than a wrong one. */
	if (query_has(q, QP_STARTED_AFTER)) {
		if (format_instant(q->started_after, tmp, sizeof(tmp)) == 0)
			b.failed = true;
		else
			append_param(&b, "started_after", tmp);
	}
	if (query_has(q, QP_STARTED_BEFORE)) {
		if (format_instant(q->started_before, tmp, sizeof(tmp)) == 0)
			b.failed = true;
		else
			append_param(&b, "started_before", tmp);
	}
	if (query_has(q, QP_MIN_DURATION)) {
		snprintf(tmp, sizeof(tmp), "%lld", (long long)q->min_duration);
		append_param(&b, "min_duration_ms", tmp);
	}
	if (query_has(q, QP_MAX_DURATION)) {
		snprintf(tmp, sizeof(tmp), "%lld", (long long)q->max_duration);
		append_param(&b, "max_duration_ms", tmp);
	}
	append_set(&b, "phone", &q->phones);
	append_set(&b, "q", &q->qs);
	if (q->include_test)
		append_param(&b, "include_test", "true");
	/* defaults left out: the Link is never longer than the query it
	 * repeats (without its cursor), so it is never refused as too long */
	if (q->order == ORDER_ASC)
		append_param(&b, "order", "asc");
	if (q->limit != 50) {
		snprintf(tmp, sizeof(tmp), "%d", q->limit);
		append_param(&b, "limit", tmp);
	}
	if (q->include_raw)
		append_param(&b, "include", "raw");
	if (q->partial_allow)
		append_param(&b, "partial", "allow");
	append_param(&b, "cursor", cursor);
	out = b.failed ? NULL : arena_strndup(a, b.data, b.len);
	buf_free(&b);
	return out;
}

/* ---- the page ---- */

/*
 * Requests that are valid but cannot match anything, said in
 * meta.warnings (left out when there is nothing to say): the page is
 * empty because of the query, not because the providers have no calls.
 */
static void
page_write_warnings(struct buf *b, const struct query *q)
{
	if (!query_has(q, QP_STARTED_AFTER) ||
	    !query_has(q, QP_STARTED_BEFORE) ||
	    q->started_after < q->started_before)
		return;
	buf_adds(b,
	    ",\"warnings\":[\"started_after is not before "
	    "started_before: no call can match (the range is empty "
	    "or inverted)\"]");
}

/* One provider's entry of meta.providers[]: its stream s and, when it has
 * one, its second walk (the requests added up, the failure of either). */
static void
write_provider(struct buf *b, const struct walk *r, const struct stream *s)
{
	const struct stream *two = stream_second(r, s);
	int requests = s->requests + (two ? two->requests : 0);
	bool failed = s->failed || (two && two->failed);

	buf_adds(b, "{\"name\":");
	buf_json_cstr(b, s->pc->name);
	buf_adds(b, ",\"kind\":");
	buf_json_cstr(b, s->d->kind);
	buf_adds(b, ",\"state\":");
	buf_json_cstr(b, failed ? "error" : requests == 0 ? "skipped" : "ok");
	buf_printf(b,
	    ",\"upstream_requests\":%d,\"upstream_ms\":%lld,"
	    "\"filters_pushed_down\":",
	    requests,
	    (long long)(s->upstream_ms + (two ? two->upstream_ms : 0)));
	filter_names_json(b, s->plan.pushed);
	buf_adds(b, ",\"filters_local\":");
	filter_names_json(b, s->plan.local);
	buf_adds(b, ",\"error\":");
	if (failed && !s->failed)
		s = two; /* the walk that failed */
	if (s->failed) {
		buf_adds(b, "{\"code\":");
		buf_json_cstr(b, cn_err_code(s->err));
		buf_adds(b, ",\"detail\":");
		buf_json_cstr(b, s->errmsg);
		if (s->err_status > 0)
			buf_printf(
			    b, ",\"provider_status\":%ld", s->err_status);
		buf_addc(b, '}');
	} else
		buf_adds(b, "null");
	buf_addc(b, '}');
}

void
page_write(struct response *rs, const struct request *rq, const struct walk *r,
    const char *cursor, bool has_more)
{
	struct buf *b = &rs->body;
	size_t i;
	int64_t total = 0;
	bool exact = true, complete = true;

	response_json(rs, 200);
	buf_reserve(b, r->nout * 700 + 1024);
	buf_adds(b, "{\"data\":[");
	for (i = 0; i < r->nout; i++) {
		if (i > 0)
			buf_addc(b, ',');
		page_write_call(b, r->out[i].c, r->q->include_raw);
	}
	for (i = 0; i < r->ns; i++) {
		const struct stream *s = &r->s[i];
		if (s->failed)
			complete = false;
		if (s->failed || !s->total_known ||
		    stream_discards_locally(s) || s->total < 0)
			exact = false;
		else
			total += s->total;
	}
	buf_adds(b, "],\"page\":{\"next_cursor\":");
	buf_json_cstr(b, has_more ? cursor : NULL);
	buf_printf(b,
	    ",\"has_more\":%s,\"limit\":%d,\"returned\":%zu,"
	    "\"total_count\":",
	    has_more ? "true" : "false", r->q->limit, r->nout);
	if (exact)
		buf_json_int(b, total);
	else
		buf_adds(b, "null");
	buf_adds(b, "},\"meta\":{\"request_id\":");
	buf_json_cstr(b, rq->request_id);
	buf_printf(b, ",\"complete\":%s,\"unreachable\":[",
	    complete ? "true" : "false");
	for (i = 0, complete = true; i < r->ns; i++)
		if (reported(r, &r->s[i])) {
			if (!complete)
				buf_addc(b, ',');
			complete = false;
			buf_json_cstr(b, r->s[i].pc->name);
		}
	buf_adds(b, "]");
	page_write_warnings(b, r->q);
	buf_adds(b, ",\"providers\":[");
	for (i = 0; i < r->ns; i++) {
		/* a second walk is part of its provider's entry */
		if (r->s[i].walk != 0)
			continue;
		if (i > 0)
			buf_addc(b, ',');
		write_provider(b, r, &r->s[i]);
	}
	buf_adds(b, "]}}");
	if (has_more) {
		char *link = next_link(r->a, rq, r->q, cursor);
		char *h = link == NULL
		    ? NULL
		    : arena_printf(r->a, "<%s>; rel=\"next\"", link);
		/* A page without its Link would be wrong: make it a 500. */
		if (h == NULL || response_header(rs, "Link", h) < 0)
			rs->headers.failed = true;
	}
}
