/*
 * libFuzzer: our strict JSON parser, differentially against json-c.
 * Whatever we accept, json-c must accept too and read the same value.
 */
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "arena.h"
#include "buf.h"
#include "json.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int
ascii(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (p[i] == 0 || p[i] >= 0x80)
			return 0;
		/* \u0000 and surrogates: we write U+FFFD where json-c keeps
		 * what it was given; by design, so not compared. */
		if (p[i] == '\\' && i + 5 < n && (p[i + 1] == 'u') &&
		    ((p[i + 2] == '0' && p[i + 3] == '0' && p[i + 4] == '0' &&
		         p[i + 5] == '0') ||
		        ((p[i + 2] == 'd' || p[i + 2] == 'D') &&
		            strchr("89abcdefABCDEF", p[i + 3]) != NULL)))
			return 0;
	}
	return 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct arena *a;
	struct json_tokener *tok;
	json_object *ref = NULL, *back = NULL;
	const struct jv *v;
	struct buf b;
	char *copy;

	if (a == NULL)
		a = arena_new(64 * 1024, 256u * 1024 * 1024);
	copy = malloc(size + 1);
	memcpy(copy, data, size);
	copy[size] = '\0';
	/* both ways of counting items: kept by the first pass, or by the
	 * counting pass large documents need */
	json_test_early_counts(size % 2 ? 0 : 4096);
	v = json_parse(a, copy, size, JSON_MAX_DEPTH, NULL, 0);
	/* Only ASCII inputs compare (escapes still reach every code point):
	 * json-c stops at NUL, and its UTF-8 checks differ from ours on
	 * bytes we replace with U+FFFD when writing. */
	if (v != NULL && ascii(data, size)) {
		tok = json_tokener_new_ex(JSON_MAX_DEPTH + 1);
		json_tokener_set_flags(
		    tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
		ref = json_tokener_parse_ex(tok, (const char *)data, (int)size);
		if (ref != NULL ||
		    json_tokener_get_error(tok) == json_tokener_success) {
			buf_init(&b, 512u * 1024 * 1024);
			jv_write(&b, v);
			/* not json_tokener_parse: its depth limit is 32; the
			 * NUL is passed so a bare number ends */
			json_tokener_reset(tok);
			back = json_tokener_parse_ex(
			    tok, buf_cstr(&b), (int)b.len + 1);
			/* json-c reads "null" as a NULL object */
			if (jv_type(v) == J_NULL
			        ? ref != NULL
			        : back == NULL || !json_object_equal(ref, back))
				abort();
			buf_free(&b);
		}
		json_object_put(ref);
		json_object_put(back);
		json_tokener_free(tok);
	}
	free(copy);
	arena_reset(a);
	return 0;
}
