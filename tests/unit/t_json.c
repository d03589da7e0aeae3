/* The strict JSON parser, checked against json-c, the reference parser. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "arena.h"
#include "buf.h"
#include "json.h"
#include "tap.h"

static struct arena *a;

static const struct jv *
parse(const char *s)
{
	char *copy = arena_strdup(a, s);

	return json_parse(a, copy, strlen(copy), JSON_MAX_DEPTH, NULL, 0);
}

/* Our parse, written back out, equals json-c's reading of the input. */
static void
same_as_jsonc(const char *s)
{
	const struct jv *v = parse(s);
	json_object *ref = json_tokener_parse(s), *back = NULL;
	struct buf b;

	buf_init(&b, 1 << 20);
	if (v != NULL)
		jv_write(&b, v);
	if (v != NULL)
		back = json_tokener_parse(buf_cstr(&b));
	ok(v != NULL && ref != NULL && back != NULL &&
	        json_object_equal(ref, back),
	    "round trip equals json-c: %s", s);
	json_object_put(ref);
	json_object_put(back);
	buf_free(&b);
}

static void
rejects(const char *s, const char *why)
{
	ok(parse(s) == NULL, "rejects %s", why);
}

/* The error and its place, as the single-pass parser reported them:
 * strings are checked in the last pass, which must find the same. */
static void
error_is(const char *s, const char *want)
{
	char *copy = arena_strdup(a, s), why[96];

	why[0] = '\0';
	ok(json_parse(a, copy, strlen(copy), JSON_MAX_DEPTH, why,
	       sizeof(why)) == NULL &&
	        strcmp(why, want) == 0,
	    "error \"%s\" (got \"%s\")", want, why);
}

static void checks(void);

int
main(void)
{
	a = arena_new(4096, 1 << 26);
	checks();
	/* again, with every item count found by the parser's counting pass
	 * (what documents of more than 4096 containers use) */
	json_test_early_counts(0);
	checks();
	arena_free(a);
	return done_testing();
}

static void
checks(void)
{
	const struct jv *v;
	int64_t n;
	char deep[300];
	int i;

	same_as_jsonc("{\"a\":1,\"b\":[true,false,null],\"c\":\"x\\ny\"}");
	same_as_jsonc("[1.5e3,-0,0.25,123456789012]");
	same_as_jsonc("\"\\u00e9\\ud83d\\ude00\\/\"");
	same_as_jsonc("{\"nested\":{\"k\":[{\"x\":[]}]}}");
	same_as_jsonc("  [ ]  ");
	/* one-item arrays, short (packed) and long (pooled) numbers */
	same_as_jsonc("[[[1]],[[]],[{}],[\"\"],{\"a\":[0]}]");
	same_as_jsonc("[1234567,12345678,-1.5e+10,0.0000001,-0,9E9]");
	same_as_jsonc("{\"k\":{\"k\":{\"k\":[1,[2,[3,[4]]]]}}}");
	v = parse("[[7],\"h\\u00e9llo\",{\"a\":1,\"b\":2},[],12345678]");
	ok(v != NULL && jv_type(v) == J_ARR && jv_len(v) == 5, "array of 5");
	ok(jv_type(jv_item(v, 0)) == J_ARR && jv_len(jv_item(v, 0)) == 1 &&
	        jv_int(jv_item(jv_item(v, 0), 0), &n) == 0 && n == 7,
	    "a one-item array");
	ok(jv_item(jv_item(v, 0), 1) == NULL, "and nothing past its item");
	is_int((int64_t)jv_len(jv_item(v, 1)), 6, "string length, decoded");
	is_int((int64_t)jv_len(jv_item(v, 2)), 2, "object members");
	ok(jv_len(jv_item(v, 3)) == 0 && jv_item(jv_item(v, 3), 0) == NULL,
	    "an empty array");
	ok(jv_int(jv_item(v, 4), &n) == 0 && n == 12345678,
	    "an 8-character number");
	ok(jv_type(NULL) == J_NULL && jv_len(NULL) == 0 &&
	        jv_item(v, 5) == NULL,
	    "absent values");

	error_is("[\"ok\",\"a\nb\",]", "control character in string at byte 8");
	error_is("[\"\\u12\"]", "bad \\u escape at byte 4");
	error_is("[1,\"\\ud800\\u12\"]", "bad \\u escape at byte 12");
	error_is("{\"a\":[1,2,{\"b\":\"\\q\"}]}", "bad escape at byte 18");
	error_is("[\"a\\", "unterminated string at byte 4");
	error_is("{\"k\":\"v\" \"x\"}", "expected , or } at byte 9");
	rejects("", "empty input");
	rejects("{", "an unterminated object");
	rejects("[1,]", "a trailing comma");
	rejects("{\"a\" 1}", "a missing colon");
	rejects("01", "a leading zero");
	rejects("1.", "a bare decimal point");
	rejects("-", "a lone minus");
	rejects("\"a\tb\"", "a raw tab in a string");
	rejects("\"\\x\"", "a bad escape");
	rejects("\"\\u12G4\"", "a bad \\u escape");
	rejects("[1] 2", "trailing bytes");
	rejects("tru", "a truncated literal");
	rejects("{'a':1}", "single quotes");
	rejects("NaN", "NaN");
	for (i = 0; i < 65; i++)
		deep[i] = '[';
	for (i = 0; i < 65; i++)
		deep[65 + i] = ']';
	deep[130] = '\0';
	rejects(deep, "nesting deeper than 64");
	deep[64] = '\0';
	memset(deep + 64, ']', 64);
	deep[64] = '[';
	deep[63] = '[';
	for (i = 0; i < 64; i++)
		deep[i] = '[';
	for (i = 0; i < 64; i++)
		deep[64 + i] = ']';
	deep[128] = '\0';
	ok(parse(deep) != NULL, "accepts nesting of exactly 64");

	v = parse("{\"id\":\"x\",\"n\":42,\"f\":1.5,\"big\":1e3,\"b\":true,"
	          "\"z\":null,\"a\":[1,2,3],\"dup\":1,\"dup\":2}");
	ok(v != NULL, "parses an object");
	is_str(jv_str(jv_get(v, "id")), "x", "string member");
	ok(jv_int(jv_get(v, "n"), &n) == 0 && n == 42, "integer member");
	ok(jv_int(jv_get(v, "f"), &n) < 0, "1.5 is not an integer");
	ok(jv_int(jv_get(v, "big"), &n) == 0 && n == 1000, "1e3 is 1000");
	is_int(jv_bool(jv_get(v, "b")), 1, "boolean");
	ok(jv_is_null(jv_get(v, "z")) && jv_is_null(jv_get(v, "missing")),
	    "null and missing");
	is_int((int64_t)jv_count(jv_get(v, "a")), 3, "array length");
	ok(jv_int(jv_item(jv_get(v, "a"), 2), &n) == 0 && n == 3, "array item");
	ok(jv_int(jv_get(v, "dup"), &n) == 0 && n == 2, "last duplicate wins");
	ok(jv_str(jv_get(v, "n")) == NULL, "a number is not a string");
	v = parse("{\"n\":99999999999999999999}");
	ok(v != NULL && jv_int(jv_get(v, "n"), &n) < 0,
	    "an integer past int64 is refused");
	v = parse("\"a\\u0000b\"");
	ok(v != NULL && strlen(jv_str(v)) == 5,
	    "NUL escapes become U+FFFD, keeping strings C-safe");
	v = parse("\"\\ud800x\"");
	ok(v != NULL && strcmp(jv_str(v), "\xef\xbf\xbdx") == 0,
	    "a lone surrogate becomes U+FFFD");
}
