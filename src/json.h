/*
 * Strict JSON (RFC 8259) parsed into a read-only tree that lives in the
 * request arena.  Upstream bodies are parsed in place: string escapes are
 * decoded inside the caller's buffer, so the buffer must be writable and
 * must outlive the tree.  Limits: nesting depth, and the arena's cap on
 * memory.  Anything else — trailing bytes, bad escapes, control
 * characters in strings, leading zeros, lone surrogates aside — is an
 * error, so a provider that sends garbage gets PROVIDER_BAD_RESPONSE.
 */
#ifndef CN_JSON_H
#define CN_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct arena;
struct buf;

enum jtype { J_NULL, J_FALSE, J_TRUE, J_NUM, J_STR, J_ARR, J_OBJ };

struct jv {
	enum jtype t;
	uint32_t n; /* string bytes, array items, object members */
	union {
		const char *s; /* J_STR (NUL-terminated), J_NUM (raw text) */
		struct jv
		    *items; /* J_ARR: n items; J_OBJ: 2n, key then value */
	} u;
};

#define JSON_MAX_DEPTH 64

struct jv *json_parse(struct arena *, char *text, size_t len, int max_depth,
    char *err, size_t errsize);

const struct jv *jv_get(const struct jv *obj, const char *key);
const char *jv_str(const struct jv *); /* NULL unless a string */
bool jv_is_null(const struct jv *); /* absent or null */
/* 0 when v is an integer number that fits; -1 otherwise. */
int jv_int(const struct jv *, int64_t *);
/* 0 when v is any number that fits a double. */
int jv_num(const struct jv *, double *);
/* 1 true, 0 false, -1 not a boolean */
int jv_bool(const struct jv *);
size_t jv_count(const struct jv *); /* items of an array, else 0 */
const struct jv *jv_item(const struct jv *arr, size_t i);
/* Serialises v compactly; numbers keep their original text. */
int jv_write(struct buf *, const struct jv *);

#endif
