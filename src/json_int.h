/*
 * Private to the JSON parser, shared by its files:
 *   json.c         the passes over the text: values, numbers, containers,
 *                  json_parse
 *   json_string.c  strings: skimmed, checked, or decoded into the pool
 *   json_tree.c    reading the tree (jv_*) and writing it back (jv_write)
 */
#ifndef CN_JSON_INT_H
#define CN_JSON_INT_H

#include <stddef.h>
#include <stdint.h>

#include "json.h"

/*
 * The tree is one arena block: a tape of 32-bit entries, then a pool of
 * NUL-terminated strings and number texts.  An entry holds its type in
 * the low 3 bits and, above them, a signed offset from the entry itself:
 * in words to a container's block, in bytes to a pool string.  Offsets
 * are relative, so a `struct jv *` is just the entry's address and needs
 * no document beside it.  A block is a count, then the items (arrays) or
 * key and value entries (objects); an array of one item is an entry of
 * type T_ARR1 pointing at that item, and an empty container has offset 0.
 * Short numbers live in their entry.
 *
 * Whatever the shape, the block is at most 3 bytes per byte of input
 * (the worst is a binary tree of arrays, "[[0,0],[0,0]]": one entry and
 * half a count per 2 bytes), all of it in the arena.  To lay every block
 * out once, where it stays, the parser reads the text two or three
 * times.  SCAN checks the structure, skimming strings, and sizes the
 * block; it keeps the item counts of the first 4096 containers.  For a
 * document with more, COUNT writes every container's item count at the
 * tape's tail (FILL consumes them in the same order, always ahead of the
 * blocks it reserves).  FILL checks and decodes the strings and writes
 * the entries.  When SCAN fails, CHECK reads the text fully to report
 * the first error, as one careful pass would.
 */
struct jv {
	uint32_t w;
};

#define T_ARR1 7u
/*
 * A number of up to 7 characters is packed into its entry, 4 bits a
 * character (15 ends it), with bit 3 set; longer ones are in the pool.
 */
#define NUM_INLINE 7
#define NUM_CHARS "0123456789-+.eE"
#define T_MASK 7u

enum pass { SCAN, CHECK, COUNT, FILL };

/* Counts SCAN can keep (16 KiB of stack), enough for a page of records. */
#define JSON_EARLY_COUNTS 4096

struct parser {
	const char *p;
	const char *end;
	int depth;
	int max_depth;
	const char *err;
	enum pass pass;
	/* SCAN: sizes */
	size_t words; /* tape entries, root included */
	size_t pool; /* pool bytes */
	size_t containers; /* non-empty containers */
	/* COUNT and FILL */
	struct jv *tape;
	uint32_t *counts; /* the tape's tail, one per non-empty container */
	size_t next_container;
	/* SCAN keeps the first counts here; COUNT runs only for more */
	size_t nearly;
	uint32_t early[JSON_EARLY_COUNTS];
	size_t wtop; /* FILL: next free tape entry */
	char *pooltop; /* FILL: next free pool byte */
};

/* An entry of type t pointing from `from` to `to`, in units of unit. */
static inline uint32_t
json_entry(unsigned t, const void *from, const void *to, size_t unit)
{
	ptrdiff_t d = ((const char *)to - (const char *)from) / (ptrdiff_t)unit;

	return ((uint32_t)(int32_t)d << 3) | t;
}

static inline unsigned
etype(const struct jv *v)
{
	return v->w & T_MASK;
}

static inline ptrdiff_t
eoff(const struct jv *v)
{
	/* exact division: the low bits are cleared first */
	return (ptrdiff_t)((int32_t)(v->w & ~T_MASK) / 8);
}

static inline const struct jv *
eblock(const struct jv *v)
{
	return v + eoff(v);
}

static inline const char *
etext(const struct jv *v)
{
	return (const char *)v + eoff(v);
}

/* Keeps the first error; returns -1 for the caller to pass up. */
static inline int
json_fail(struct parser *ps, const char *msg)
{
	if (ps->err == NULL)
		ps->err = msg;
	return -1;
}

/* json_string.c: the string at ps->p (on its quote), as the pass wants
 * it; 0, or -1 after json_fail. */
int json_string(struct parser *, struct jv *);

/* json_tree.c: the text of a number, in the pool or unpacked into tmp. */
const char *json_num_text(const struct jv *, char tmp[NUM_INLINE + 1]);

#endif
