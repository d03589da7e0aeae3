/*
 * Allocation-failure loop at unit level: the JSON parser and the buffer
 * writers fail cleanly at every allocation (cn_alloc_fail_after), the
 * failure is reported as out of memory (never as bad input), and the
 * arena says it failed.  The whole-request loop is in
 * tests/integration/hardening.test.mjs (CALLNORM_FAIL_ALLOC).
 */
#include <stdio.h>
#include <string.h>

#include "arena.h"
#include "buf.h"
#include "json.h"
#include "tap.h"

static const char doc[] =
    "{\"calls\":[{\"id\":\"a\\u00e9\",\"n\":[1,2,3,{\"x\":null}],"
    "\"t\":true},{\"id\":\"b\",\"n\":[],\"deep\":[[[[[[[[1]]]]]]]]}],"
    "\"next\":\"tok\",\"total\":2}";

int
main(void)
{
	struct arena *a = arena_new(256, 1024 * 1024);
	struct buf want, got;
	char text[sizeof(doc)], why[96];
	struct jv *v;
	long n;
	int bad = 0, oom = 0, flagged = 0;

	/* the reference serialisation, without failures */
	memcpy(text, doc, sizeof(doc));
	buf_init(&want, 1 << 20);
	v = json_parse(a, text, sizeof(doc) - 1, 64, why, sizeof(why));
	ok(v != NULL && jv_write(&want, v) == 0, "reference parse");
	ok(!arena_failed(a), "no failure without injection");
	arena_reset(a);

	for (n = 1; n < 100000; n++) {
		memcpy(text, doc, sizeof(doc));
		cn_alloc_fail_after(n);
		v = json_parse(a, text, sizeof(doc) - 1, 64, why, sizeof(why));
		if (cn_alloc_fail_pending() > 0) {
			/* past the last allocation: the normal result */
			cn_alloc_fail_after(0);
			buf_init(&got, 1 << 20);
			ok(v != NULL && jv_write(&got, v) == 0 &&
			        got.len == want.len &&
			        memcmp(got.data, want.data, got.len) == 0,
			    "N=%ld: not reached, normal parse", n);
			buf_free(&got);
			break;
		}
		if (v == NULL && strncmp(why, "out of memory", 13) == 0)
			oom++;
		else if (v == NULL)
			bad++;
		else {
			/* a failure that changed nothing must be invisible */
			buf_init(&got, 1 << 20);
			if (jv_write(&got, v) != 0 || got.len != want.len ||
			    memcmp(got.data, want.data, got.len) != 0)
				bad++;
			buf_free(&got);
		}
		if (v == NULL && !arena_failed(a) &&
		    strncmp(why, "out of memory", 13) != 0)
			flagged++;
		arena_reset(a);
	}
	ok(n > 1 && n < 100000, "the parser stops allocating (%ld sites)", n);
	ok(oom > 0, "failures were reported (%d)", oom);
	is_int(bad, 0, "no failure reported as bad JSON or a wrong tree");
	is_int(flagged, 0, "every failure is visible as out of memory");
	ok(!arena_failed(a), "reset clears the failure");

	/* buffers: a failure is sticky until reset, and cstr stays safe */
	buf_init(&got, 1 << 20);
	cn_alloc_fail_after(1);
	ok(buf_adds(&got, "abc") < 0 && got.failed, "first growth fails");
	ok(buf_adds(&got, "def") < 0, "and stays failed");
	is_str(buf_cstr(&got), "", "cstr of a failed empty buffer is \"\"");
	buf_reset(&got);
	ok(buf_adds(&got, "ghi") == 0, "reset clears it");
	is_str(buf_cstr(&got), "ghi", "and the buffer works again");
	buf_free(&got);
	ok(cn_alloc_fail_pending() == 0, "nothing armed at the end");

	buf_free(&want);
	arena_free(a);
	return done_testing();
}
