/* GET /calls parameters: one test per rule. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "query.h"
#include "tap.h"

static struct arena *a;
static struct query q;
static struct qerrors e;

static int
parse(const char *s)
{
	arena_reset(a);
	return query_parse(a, s, strlen(s), &q, &e);
}

/* The query is refused with exactly one error, for param. */
static void
bad(const char *s, const char *param)
{
	int rc = parse(s);

	if (!ok(rc == -1 && e.n == 1 && strcmp(e.v[0].parameter, param) == 0,
	        "refused: %s (error on %s)", s, param) &&
	    rc == -1 && e.n > 0)
		diag("first error: %s %s", e.v[0].parameter, e.v[0].detail);
}

static void
good(const char *s)
{
	int rc = parse(s);

	ok(rc == 0, "accepted: %s", s);
	if (rc != 0 && e.n > 0)
		diag("error: %s %s", e.v[0].parameter, e.v[0].detail);
}

int
main(void)
{
	char big[9000];

	a = arena_new(4096, 1 << 24);

	/* defaults */
	good("");
	is_int(q.limit, 50, "limit defaults to 50");
	is_int(q.order, ORDER_DESC, "order defaults to desc");
	ok(!q.include_test, "include_test defaults to false");
	ok(!q.partial_allow, "partial defaults to deny");
	ok(!q.include_raw, "no raw by default");

	/* unknown, empty, malformed: one entry per bad parameter */
	bad("foo=1", "foo");
	bad("status=", "status");
	bad("status", "status");
	parse("foo=1&limit=0&status=bogus&status=completed");
	is_int((int64_t)e.n, 3, "three bad parameters, three errors");
	parse("limit=0&limit=-1");
	is_int((int64_t)e.n, 1, "a parameter bad twice is one error");
	bad("%zz=1", "");

	/* repeated and comma-separated values are united */
	good("status=completed,failed&status=busy");
	is_int(q.statuses,
	    (1 << ST_COMPLETED) | (1 << ST_FAILED) | (1 << ST_BUSY),
	    "status values united");
	good("provider=b,a&provider=a");
	ok(q.providers.n == 2 && strcmp(q.providers.v[0], "a") == 0 &&
	        strcmp(q.providers.v[1], "b") == 0,
	    "providers united and sorted");
	bad("status=completed,,failed", "status");
	bad("status=completed,", "status");
	/* URLSearchParams and most HTTP clients send a comma as %2C */
	good("status=completed%2Cfailed%2cbusy");
	is_int(q.statuses,
	    (1 << ST_COMPLETED) | (1 << ST_FAILED) | (1 << ST_BUSY),
	    "encoded commas split values too");
	good("q=a%2Cb%2Cc%2Cd%2Ce%2Cf%2Cg%2Ch");
	is_int((int64_t)q.qs.n, 8, "eight values from one encoded list");
	/* every value from encoded commas gets a slot, then one error each */
	bad("limit=1%2C2%2C3%2C4%2C5%2C6%2C7%2C8%2C9", "limit");
	bad("status=x%2Cy%2Cz%2Cw%2Cv%2Cu%2Ct%2Cs", "status");

	/* provider */
	bad("provider=Bad", "provider");
	bad("provider=-x", "provider");
	good("provider=verbex-main_2");
	/* status */
	for (int s = 0; s < ST__MAX; s++) {
		char tmp[64];
		snprintf(tmp, sizeof(tmp), "status=%s", call_status_names[s]);
		good(tmp);
	}
	bad("status=Completed", "status");
	bad("status=ended", "status");
	/* direction, type */
	good("direction=inbound,outbound");
	is_int(q.directions, (1 << DIR_INBOUND) | (1 << DIR_OUTBOUND),
	    "both directions");
	bad("direction=incoming", "direction");
	good("type=phone&type=web");
	bad("type=sip", "type");
	/* agent_id */
	good("agent_id=agent-1,agent-2");
	is_int((int64_t)q.agent_ids.n, 2, "two agent ids");
	memset(big, 'a', 300);
	memcpy(big, "agent_id=", 9);
	big[300] = '\0';
	bad(big, "agent_id");

	/* timestamps: RFC 3339 with a zone, inclusive after, exclusive before */
	good("started_after=2026-06-12T04:00:04Z");
	is_int(q.started_after, 1781236804000LL, "Z parsed");
	good("started_after=2026-06-12T09:30:04%2B05:30");
	is_int(q.started_after, 1781236804000LL, "offset converted to UTC");
	good("started_before=2026-06-12T04:00:04.5Z");
	is_int(q.started_before, 1781236804500LL, "fraction kept to ms");
	good("started_after=2026-06-12T04:00:04.0001Z");
	is_int(q.started_after, 1781236804001LL,
	    "sub-millisecond fraction rounds up");
	bad("started_after=2026-06-12T04:00:04", "started_after");
	/* an unencoded '+' arrives as a space: the detail says to send %2B */
	bad("started_after=2026-06-12T09:30:04+05:30", "started_after");
	ok(e.n == 1 && strstr(e.v[0].detail, "%2B") != NULL,
	    "started_after with a bare +: the detail names %%2B (%s)",
	    e.n ? e.v[0].detail : "");
	bad("phone=+15550100", "phone");
	ok(e.n == 1 && strstr(e.v[0].detail, "%2B") != NULL,
	    "phone with a bare +: the detail names %%2B (%s)",
	    e.n ? e.v[0].detail : "");
	bad("phone=1555x", "phone");
	ok(e.n == 1 && strstr(e.v[0].detail, "%2B") == NULL,
	    "a phone without a space gets the usual detail");
	bad("started_after=2026-06-12", "started_after");
	bad("started_before=2026-02-30T00:00:00Z", "started_before");
	bad("started_before=2026-06-12T24:00:00Z", "started_before");
	bad("started_before=yesterday", "started_before");
	bad("started_after=2026-06-12T04:00:04Z&started_after="
	    "2026-06-13T04:00:04Z",
	    "started_after");
	good("started_after=2026-06-12T04:00:04Z&started_after="
	     "2026-06-12T04:00:04Z");

	/* durations */
	good("min_duration_ms=0&max_duration_ms=60000");
	is_int(q.min_duration, 0, "min 0");
	is_int(q.max_duration, 60000, "max 60000");
	bad("min_duration_ms=-1", "min_duration_ms");
	bad("max_duration_ms=1.5", "max_duration_ms");
	bad("max_duration_ms=99999999999999999999", "max_duration_ms");
	bad("min_duration_ms=%2B5", "min_duration_ms");

	/* phone */
	good("phone=%2B15551234567");
	good("phone=555,666");
	bad("phone=555-1234", "phone");
	bad("phone=%2B", "phone");

	/* q */
	good("q=Refund%20Please");
	is_str(q.qs.v[0], "refund please", "q is lowercased for matching");

	/* include_test */
	good("include_test=true");
	ok(q.include_test, "include_test=true");
	good("include_test=false");
	bad("include_test=yes", "include_test");

	/* order */
	good("order=asc");
	is_int(q.order, ORDER_ASC, "asc");
	bad("order=ascending", "order");
	bad("order=asc,desc", "order");

	/* limit: 1..1000, larger lowered */
	good("limit=1");
	is_int(q.limit, 1, "limit 1");
	good("limit=1000");
	is_int(q.limit, 1000, "limit 1000");
	good("limit=5000");
	is_int(q.limit, 1000, "limit 5000 lowered to 1000");
	good("limit=999999999999999999999999");
	is_int(q.limit, 1000, "a huge limit is lowered too");
	bad("limit=0", "limit");
	bad("limit=-5", "limit");
	bad("limit=ten", "limit");
	bad("limit=010", "limit");

	/* cursor, include, partial */
	good("cursor=abc");
	is_str(q.cursor, "abc", "cursor kept for the cursor module");
	good("include=raw");
	ok(q.include_raw, "include=raw");
	bad("include=transcript", "include");
	good("partial=allow");
	ok(q.partial_allow, "partial=allow");
	bad("partial=maybe", "partial");

	/* the 8 KiB cap */
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, "q=", 2);
	ok(parse(big) == -1 && e.detail != NULL && e.n == 0,
	    "a query string over 8 KiB is refused whole");
	memset(big, 0, sizeof(big));
	strcpy(big, "q=");
	memset(big + 2, 'y', 200);
	ok(parse(big) == 0, "a 202-byte query string is fine");

	/* form decoding */
	good("q=a+b");
	is_str(q.qs.v[0], "a b", "+ is a space");
	bad("q=%C3%28", "q");
	bad("q=%0a", "q");
	good("&&limit=5&");
	is_int(q.limit, 5, "empty segments are ignored");

	/* canonical form: order and repetition do not matter */
	{
		char *c1, *c2, *c3;
		parse("status=busy,completed&provider=b&provider=a&limit=5");
		c1 = strdup(query_canonical(a, &q));
		parse("provider=a,b&status=completed&status=busy&limit=7&"
		      "cursor=zzz");
		c2 = query_canonical(a, &q);
		ok(c1 && c2 && strcmp(c1, c2) == 0,
		    "canonical form ignores order, repeats, limit and cursor");
		parse("provider=a,b&status=completed&limit=7");
		c3 = query_canonical(a, &q);
		ok(c3 && strcmp(c1, c3) != 0, "a different filter changes it");
		free(c1);
	}
	arena_free(a);
	return done_testing();
}
