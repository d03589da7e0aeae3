/*
 * The driver scaffold's own rules, apart from any driver: status
 * vocabularies written as text, typed field unpacking, and status
 * pushdown picks.  The expected values come from the table text in each
 * case.
 */
#include <string.h>

#include "arena.h"
#include "conf.h"
#include "json.h"
#include "providers/common.h"
#include "tap.h"

static struct up_status_table ended = UP_STATUS_TABLE(
    "queued=queued ended=completed+ error=failed/error~ no-answer=no_answer/"
    "no_answer",
    "hangup=completed/user_hangup busy=busy/busy");

static struct up_status_table other =
    UP_STATUS_TABLE("ended=completed+", "busy=busy/busy *=completed/error");

static struct up_status_table prefixed = UP_STATUS_TABLE("ended=completed+",
    "error_busy=busy/busy error_*=failed/error *=completed/error");

static void
map(struct up_status_table *t, const char *st, const char *why,
    enum call_status want, enum end_reason want_r, const char *name)
{
	struct call c;

	memset(&c, 0, sizeof(c));
	up_status_map(t, st, why, &c);
	ok(c.status == want && c.end_reason == want_r, "%s", name);
	if (c.status != want || c.end_reason != want_r)
		diag("got %s/%s", call_status_names[c.status],
		    end_reason_names[c.end_reason]
		        ? end_reason_names[c.end_reason]
		        : "null");
}

static const struct jv *
parse(struct arena *a, const char *text)
{
	char err[64];

	return json_parse(
	    a, text, strlen(text), JSON_MAX_DEPTH, err, sizeof(err));
}

/* up_link_path against base_url b: the tail it gives, or NULL. */
static void
link(const char *b, const char *l, const char *want)
{
	struct provider_conf pc;
	const char *got;

	memset(&pc, 0, sizeof(pc));
	pc.base_url = (char *)b;
	got = up_link_path(&pc, l);
	if (want == NULL)
		ok(got == NULL, "link %s under %s: refused", l, b);
	else
		ok(got != NULL && strcmp(got, want) == 0,
		    "link %s under %s: %s", l, b, want);
}

int
main(void)
{
	struct arena *a = arena_new(4096, 1 << 20);
	const struct jv *o, *meta;
	const char *s, *t, *why, *w[4];
	struct opt_i64 i, tm, secs;
	struct query q;
	struct plan p;
	unsigned yield;
	int b;

	/* vocabularies */
	map(&ended, "queued", NULL, ST_QUEUED, ER_NULL, "a final word");
	map(&ended, "No_Answer", NULL, ST_NO_ANSWER, ER_NO_ANSWER,
	    "words match ignoring case, '-' and '_' alike");
	map(&ended, "ended", NULL, ST_COMPLETED, ER_NULL,
	    "a refined word without a reason keeps its own outcome");
	map(&ended, "ended", "busy", ST_BUSY, ER_BUSY,
	    "a refined word takes a listed reason's outcome");
	map(&ended, "ended", "exploded", ST_FAILED, ER_ERROR,
	    "an unlisted reason of a refined word is failed/error by default");
	map(&ended, "error", "hangup", ST_FAILED, ER_USER_HANGUP,
	    "a reason-only word keeps its status, takes the reason");
	map(&ended, "error", "exploded", ST_FAILED, ER_ERROR,
	    "a reason-only word keeps its own reason for an unlisted one");
	map(&ended, "mystery", NULL, ST_UNKNOWN, ER_NULL,
	    "a word outside the table is unknown");
	map(&other, "ended", "exploded", ST_COMPLETED, ER_ERROR,
	    "'*' in the reason table names the unlisted reasons' outcome");
	map(&prefixed, "ended", "error_llm", ST_FAILED, ER_ERROR,
	    "a reason ending in '*' matches every reason with that prefix");
	map(&prefixed, "ended", "ERROR-ASR", ST_FAILED, ER_ERROR,
	    "a prefix matches ignoring case, '-' and '_' alike");
	map(&prefixed, "ended", "error_busy", ST_BUSY, ER_BUSY,
	    "entries are tried in order: a listed word before the prefix");
	map(&prefixed, "ended", "error", ST_COMPLETED, ER_ERROR,
	    "a word shorter than the prefix does not match it");
	map(&prefixed, "ended", "errors", ST_COMPLETED, ER_ERROR,
	    "the prefix is compared in full");
	map(&prefixed, "error_x", NULL, ST_UNKNOWN, ER_NULL,
	    "a prefix in the reason table is not a status word");
	ok(up_status_producible(&other) ==
	        (FBIT(ST_UNKNOWN) | FBIT(ST_COMPLETED) | FBIT(ST_BUSY)),
	    "producible statuses follow the '*' entry");
	ok(up_status_select(&ended, FBIT(ST_BUSY), &yield) == 2u &&
	        yield == (FBIT(ST_COMPLETED) | FBIT(ST_BUSY) | FBIT(ST_FAILED)),
	    "busy is reachable only through the refined word");
	is_int(
	    up_status_pick(&ended, FBIT(ST_QUEUED) | FBIT(ST_NO_ANSWER), w, 4),
	    2, "pick: two words");
	ok(strcmp(w[0], "queued") == 0 && strcmp(w[1], "no-answer") == 0,
	    "pick: the provider's spelling, in table order");
	is_int(
	    up_status_pick(&ended, FBIT(ST_QUEUED) | FBIT(ST_NO_ANSWER), w, 1),
	    -1, "pick: more words than allowed");
	is_int(up_status_pick(&ended, FBIT(ST_UNKNOWN), w, 4), -1,
	    "pick: unknown has no upstream spelling");
	is_int(up_status_pick(&ended, FBIT(ST_CANCELED), w, 4), 0,
	    "pick: nothing upstream can match");
	memset(&q, 0, sizeof(q));
	memset(&p, 0, sizeof(p));
	q.statuses = FBIT(ST_BUSY);
	up_plan_status(&q, &p, &ended, UP_MAX_WORDS);
	ok((p.pushed & FBIT(F_STATUS)) && !(p.exact & FBIT(F_STATUS)),
	    "a word that yields more than asked is a superset pushdown");

	/* a JSON body's walk members */
	{
		struct fetch f;
		struct buf jb;
		bool first = true;

		memset(&f, 0, sizeof(f));
		f.order = ORDER_ASC;
		f.page_size = 7;
		buf_init(&jb, 1024);
		up_json_walk(&jb, &f, &first, "cursor");
		is_str(buf_cstr(&jb),
		    "\"sort_order\":\"ascending\",\"limit\":7",
		    "walk members of a first page");
		buf_free(&jb);
		buf_init(&jb, 1024);
		f.order = ORDER_DESC;
		f.pos.token = "k\"1";
		first = false;
		up_json_walk(&jb, &f, &first, "pagination_key");
		is_str(buf_cstr(&jb),
		    ",\"sort_order\":\"descending\",\"limit\":7,"
		    "\"pagination_key\":\"k\\\"1\"",
		    "walk members with a token, after other members");
		buf_free(&jb);
	}
	/* unpacking */
	o = parse(a,
	    "{\"s\":\"x\",\"t\":\"long text\",\"i\":42,\"b\":true,"
	    "\"m\":{\"k\":\"v\",\"n\":{\"deep\":7}},\"iso\":"
	    "\"2026-01-02T03:04:05Z\",\"secs\":90,\"nul\":null}");
	ok(o != NULL, "fixture parses");
	ok(up_unpack(a, o, &why,
	       "s:s t:t i:i b:b m:o iso:T secs:S m.k:s m.n.deep:i nul:s", &s,
	       &t, &i, &b, &meta, &tm, &secs, &w[0], &i, &w[1]) == 0,
	    "every type unpacks");
	ok(strcmp(s, "x") == 0 && strcmp(t, "long text") == 0 && b == 1 &&
	        meta != NULL && tm.set && tm.v == INT64_C(1767323045000) &&
	        secs.set && secs.v == 90000 && strcmp(w[0], "v") == 0 &&
	        i.set && i.v == 7 && w[1] == NULL,
	    "values, nested paths included");
	w[1] = "stale";
	ok(up_unpack(a, o, &why, "absent:s missing.x:s", &w[1], &w[2]) == 0 &&
	        w[1] == NULL && w[2] == NULL,
	    "absent members and members of absent objects are null");
	ok(up_unpack(a, o, &why, "s:s i:s", &s, &t) < 0 &&
	        strcmp(why, "i is not a short string") == 0,
	    "a wrong type names the field");
	ok(up_unpack(a, o, &why, "s.x:s", &t) < 0 &&
	        strcmp(why, "s.x is not a short string") == 0,
	    "a path through a non-object fails");
	ok(up_unpack(a, o, &why, "s:q", &t) < 0,
	    "an unknown type letter fails");
	arena_free(a);
	/* provider-supplied links (next_page_uri): only back under base_url */
	link(
	    "https://api.twilio.com", "/2010-04-01/x?a=1", "/2010-04-01/x?a=1");
	link("https://api.twilio.com", "https://api.twilio.com/y", "/y");
	link("https://api.twilio.com", "HTTPS://API.Twilio.com/y", "/y");
	link("https://api.twilio.com", "//api.twilio.com/y?z", "/y?z");
	link("https://api.twilio.com", "http://api.twilio.com/y", NULL);
	link("https://api.twilio.com", "https://api.twilio.com:443/y", NULL);
	link("https://api.twilio.com", "https://evil.example/y", NULL);
	link("https://api.twilio.com", "https://api.twilio.com.evil/y", NULL);
	link("https://api.twilio.com", "https://u@api.twilio.com/y", NULL);
	link("https://api.twilio.com", "//evil.example/y", NULL);
	link("https://api.twilio.com", "y/z", NULL);
	link("https://api.twilio.com", "", NULL);
	link("https://api.twilio.com", "/a/../b", NULL);
	link("https://api.twilio.com", "/a/./b", NULL);
	link("https://api.twilio.com", "/a/b#f", NULL);
	link("https://api.twilio.com", "/a b", NULL);
	link("https://api.twilio.com", "/a\\b", NULL);
	link("http://127.0.0.1:9/tw", "http://127.0.0.1:9/tw/a?b", "/a?b");
	link("http://127.0.0.1:9/tw", "http://127.0.0.1:9/tw", NULL);
	link("http://127.0.0.1:9/tw", "http://127.0.0.1:9/twx/a", NULL);
	link("http://127.0.0.1:9/tw", "http://127.0.0.1:10/tw/a", NULL);
	link("http://127.0.0.1:9/tw", "http://127.0.0.1/tw/a", NULL);
	link("http://[::1]:9/tw", "//[::1]:9/tw/a..b", "/a..b");
	{
		struct arena *qa = arena_new(4096, 1 << 20);
		const char *v;
		ok(up_query_param(
		       qa, "A=1&PageToken=PA%2Bx&B=", "PageToken", &v) == 1 &&
		        strcmp(v, "PA+x") == 0,
		    "query param: decoded");
		ok(up_query_param(qa, "PageTokens=1&Page=2", "PageToken", &v) ==
		        0,
		    "query param: absent");
		ok(up_query_param(
		       qa, "PageToken=1&PageToken=2", "PageToken", &v) == -1,
		    "query param: twice");
		ok(up_query_param(qa, "PageToken=%4", "PageToken", &v) == -1 &&
		        up_query_param(qa, "PageToken=%zz", "PageToken", &v) ==
		            -1 &&
		        up_query_param(
		            qa, "PageToken=qa%00b", "PageToken", &v) == -1,
		    "query param: bad escapes");
		ok(up_query_param(qa, "PageToken=", "PageToken", &v) == 1 &&
		        *v == '\0',
		    "query param: empty");
		arena_free(qa);
	}
	return done_testing();
}
