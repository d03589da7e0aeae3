/*
 * Strict JSON (RFC 8259) parsed into a read-only tree that lives in the
 * request arena, in one block: 4 bytes per value plus the strings and
 * number texts, at most 3 bytes per byte of input whatever its shape.
 * The input is only read; the tree keeps copies of its strings, so the
 * caller may free the text once parsed.  Limits: nesting depth, the
 * arena's cap, and a tree under 256 MiB (a 32 MiB body needs at most
 * 96 MiB).  Anything else — trailing bytes, bad escapes, control
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

/* A value of the tree; read it with the functions below. */
struct jv;

#define JSON_MAX_DEPTH 64

struct jv *json_parse(struct arena *, const char *text, size_t len,
    int max_depth, char *err, size_t errsize);

enum jtype jv_type(const struct jv *); /* J_NULL for NULL (absent) */
/* Bytes of a string, items of an array, members of an object; else 0. */
size_t jv_len(const struct jv *);

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
/* The same, leaving out every object member (at any depth) whose key
 * drop() names. */
int jv_write_except(
    struct buf *, const struct jv *, bool (*drop)(const char *key));
/*
 * For tests: how many containers' item counts the first pass keeps
 * before the parser needs its counting pass (default 4096).
 */
void json_test_early_counts(size_t n);

#endif
