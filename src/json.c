/*
 * The JSON parser's passes over the text: values, numbers, containers,
 * and json_parse, which runs them (the layout is in json_int.h).
 */
#include "json.h"

#include <stdio.h>
#include <string.h>

#include "arena.h"
#include "json_int.h"

/* offsets fit 29 signed bits: the block stays under 256 MiB */
#define BLOCK_MAX ((size_t)1 << 28)

static size_t early_limit = JSON_EARLY_COUNTS;

void
json_test_early_counts(size_t n)
{
	early_limit = n < JSON_EARLY_COUNTS ? n : JSON_EARLY_COUNTS;
}

static int parse_value(struct parser *, struct jv *);

static void
skip_ws(struct parser *ps)
{
	while (ps->p < ps->end &&
	    (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' ||
	        *ps->p == '\r'))
		ps->p++;
}

/* The 4-bit code of a number character: its place in NUM_CHARS. */
static uint32_t
num_code(char c)
{
	switch (c) {
	case '-':
		return 10;
	case '+':
		return 11;
	case '.':
		return 12;
	case 'e':
		return 13;
	case 'E':
		return 14;
	default:
		return (uint32_t)(c - '0');
	}
}

static int
parse_number(struct parser *ps, struct jv *v)
{
	const char *s = ps->p;
	size_t n;

	if (ps->p < ps->end && *ps->p == '-')
		ps->p++;
	if (ps->p >= ps->end)
		return json_fail(ps, "bad number");
	if (*ps->p == '0') {
		ps->p++;
	} else if (*ps->p >= '1' && *ps->p <= '9') {
		while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
			ps->p++;
	} else
		return json_fail(ps, "bad number");
	if (ps->p < ps->end && *ps->p == '.') {
		ps->p++;
		if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9')
			return json_fail(ps, "bad number");
		while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
			ps->p++;
	}
	if (ps->p < ps->end && (*ps->p == 'e' || *ps->p == 'E')) {
		ps->p++;
		if (ps->p < ps->end && (*ps->p == '+' || *ps->p == '-'))
			ps->p++;
		if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9')
			return json_fail(ps, "bad number");
		while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
			ps->p++;
	}
	n = (size_t)(ps->p - s);
	if (n > 64)
		return json_fail(ps, "number too long");
	if (ps->pass == SCAN)
		ps->pool += n <= NUM_INLINE ? 0 : n + 2;
	else if (ps->pass == FILL && n <= NUM_INLINE) {
		uint32_t code = 0;
		size_t i;
		for (i = NUM_INLINE; i-- > 0;)
			code = code << 4 | (i < n ? num_code(s[i]) : 15u);
		v->w = code << 4 | 1u << 3 | J_NUM;
	} else if (ps->pass == FILL) {
		/* an even offset tells a pooled number from an inline one */
		if ((uintptr_t)ps->pooltop & 1)
			*ps->pooltop++ = '\0';
		memcpy(ps->pooltop, s, n);
		ps->pooltop[n] = '\0';
		v->w = json_entry(J_NUM, v, ps->pooltop, 1);
		ps->pooltop += n + 1;
	}
	return 0;
}

static int
literal(struct parser *ps, const char *word, size_t n)
{
	if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0)
		return json_fail(ps, "unexpected character");
	ps->p += n;
	return 0;
}

/* Block entries a container of n items (members) takes. */
static size_t
block_words(enum jtype t, size_t n)
{
	if (n == 0)
		return 0;
	if (t == J_ARR)
		return n == 1 ? 1 : 1 + n;
	return 1 + 2 * n;
}

/*
 * Opens a non-empty container: its number in document order, and in
 * FILL its block, reserved where the items will stay.
 */
static size_t
open_container(struct parser *ps, struct jv *v, enum jtype t, struct jv **items)
{
	size_t id = ps->next_container++, n, nw;
	struct jv *b;

	*items = NULL;
	if (ps->pass != FILL)
		return id;
	n = ps->counts[id]; /* read before the reservation may cover it */
	nw = block_words(t, n);
	b = ps->tape + ps->wtop;
	ps->wtop += nw;
	if (t == J_ARR && n == 1) {
		v->w = json_entry(T_ARR1, v, b, sizeof(*b));
		*items = b;
	} else {
		b->w = (uint32_t)n;
		v->w = json_entry(t, v, b, sizeof(*b));
		*items = b + 1;
	}
	return id;
}

static int
close_container(struct parser *ps, size_t id, enum jtype t, size_t n)
{
	if (n > UINT32_MAX / 2)
		return json_fail(
		    ps, t == J_ARR ? "array too long" : "object too large");
	if (ps->pass == SCAN) {
		ps->containers++;
		ps->words += block_words(t, n);
		if (id < ps->nearly)
			ps->early[id] = (uint32_t)n;
	} else if (ps->pass == COUNT)
		ps->counts[id] = (uint32_t)n;
	return 0;
}

static int
parse_array(struct parser *ps, struct jv *v)
{
	struct jv *items = NULL;
	size_t n = 0, id;

	ps->p++;
	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == ']') {
		ps->p++;
		if (v != NULL)
			v->w = J_ARR;
		return 0;
	}
	id = open_container(ps, v, J_ARR, &items);
	for (;;) {
		if (parse_value(ps, items != NULL ? &items[n] : NULL) < 0)
			return -1;
		n++;
		skip_ws(ps);
		if (ps->p >= ps->end)
			return json_fail(ps, "unterminated array");
		if (*ps->p == ',') {
			ps->p++;
			continue;
		}
		if (*ps->p == ']') {
			ps->p++;
			break;
		}
		return json_fail(ps, "expected , or ]");
	}
	return close_container(ps, id, J_ARR, n);
}

static int
parse_object(struct parser *ps, struct jv *v)
{
	struct jv *items = NULL;
	size_t n = 0, id;

	ps->p++;
	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == '}') {
		ps->p++;
		if (v != NULL)
			v->w = J_OBJ;
		return 0;
	}
	id = open_container(ps, v, J_OBJ, &items);
	for (;;) {
		skip_ws(ps);
		if (ps->p >= ps->end || *ps->p != '"')
			return json_fail(ps, "expected object key");
		if (json_string(ps, items != NULL ? &items[2 * n] : NULL) < 0)
			return -1;
		skip_ws(ps);
		if (ps->p >= ps->end || *ps->p != ':')
			return json_fail(ps, "expected :");
		ps->p++;
		if (parse_value(ps, items != NULL ? &items[2 * n + 1] : NULL) <
		    0)
			return -1;
		n++;
		skip_ws(ps);
		if (ps->p >= ps->end)
			return json_fail(ps, "unterminated object");
		if (*ps->p == ',') {
			ps->p++;
			continue;
		}
		if (*ps->p == '}') {
			ps->p++;
			break;
		}
		return json_fail(ps, "expected , or }");
	}
	return close_container(ps, id, J_OBJ, n);
}

static int
parse_value(struct parser *ps, struct jv *v)
{
	int rc;

	skip_ws(ps);
	if (ps->p >= ps->end)
		return json_fail(ps, "unexpected end of input");
	switch (*ps->p) {
	case '{':
	case '[':
		if (++ps->depth > ps->max_depth)
			return json_fail(ps, "nesting too deep");
		rc = *ps->p == '{' ? parse_object(ps, v) : parse_array(ps, v);
		ps->depth--;
		return rc;
	case '"':
		return json_string(ps, v);
	case 't':
		if (v != NULL)
			v->w = J_TRUE;
		return literal(ps, "true", 4);
	case 'f':
		if (v != NULL)
			v->w = J_FALSE;
		return literal(ps, "false", 5);
	case 'n':
		if (v != NULL)
			v->w = J_NULL;
		return literal(ps, "null", 4);
	default:
		return parse_number(ps, v);
	}
}

static int
run_pass(struct parser *ps, enum pass pass, const char *text, struct jv *root)
{
	ps->pass = pass;
	ps->p = text;
	ps->depth = 0;
	ps->next_container = 0;
	if (parse_value(ps, root) < 0)
		return -1;
	skip_ws(ps);
	if (ps->p != ps->end)
		return json_fail(ps, "trailing bytes after the JSON value");
	return 0;
}

struct jv *
json_parse(struct arena *a, const char *text, size_t len, int max_depth,
    char *err, size_t errsize)
{
	struct parser ps;
	struct jv *root = NULL;
	size_t tape_bytes, total;

	memset(&ps, 0, sizeof(ps));
	ps.end = text + len;
	ps.max_depth = max_depth;
	ps.words = 1;
	ps.nearly = early_limit;
	if (run_pass(&ps, SCAN, text, NULL) < 0) {
		/* SCAN skims strings: say what a full reading finds first */
		ps.err = NULL;
		if (run_pass(&ps, CHECK, text, NULL) == 0)
			json_fail(&ps, "bad string");
		goto out;
	}
	tape_bytes = ps.words * sizeof(struct jv);
	total = tape_bytes + ps.pool;
	if (total >= BLOCK_MAX) {
		json_fail(&ps, "document too large");
		goto out;
	}
	root = arena_alloc(a, total);
	if (root == NULL) {
		json_fail(&ps, "out of memory");
		ps.p = text;
		goto out;
	}
	ps.tape = root;
	ps.counts = (uint32_t *)(void *)(root + ps.words - ps.containers);
	ps.pooltop = (char *)root + tape_bytes;
	ps.wtop = 1;
	/* The text passed SCAN, so the other passes cannot fail. */
	if (ps.containers <= ps.nearly)
		memcpy(ps.counts, ps.early, ps.containers * sizeof(uint32_t));
	else if (run_pass(&ps, COUNT, text, NULL) < 0) {
		root = NULL;
		goto out;
	}
	if (run_pass(&ps, FILL, text, root) < 0) {
		root = NULL;
		goto out;
	}
out:
	if (root == NULL && err != NULL && errsize > 0)
		snprintf(err, errsize, "%s at byte %zu",
		    ps.err ? ps.err : "error", (size_t)(ps.p - text));
	return root;
}
