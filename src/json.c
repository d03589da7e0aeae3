#include "json.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "buf.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

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
/* offsets fit 29 signed bits: the block stays under 256 MiB */
#define BLOCK_MAX ((size_t)1 << 28)

enum pass { SCAN, CHECK, COUNT, FILL };

/* Counts SCAN can keep (16 KiB of stack), enough for a page of records. */
#define JSON_EARLY_COUNTS 4096
static size_t early_limit = JSON_EARLY_COUNTS;

void
json_test_early_counts(size_t n)
{
	early_limit = n < JSON_EARLY_COUNTS ? n : JSON_EARLY_COUNTS;
}

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

static int parse_value(struct parser *, struct jv *);

static uint32_t
entry(unsigned t, const void *from, const void *to, size_t unit)
{
	ptrdiff_t d = ((const char *)to - (const char *)from) / (ptrdiff_t)unit;

	return ((uint32_t)(int32_t)d << 3) | t;
}

static unsigned
etype(const struct jv *v)
{
	return v->w & T_MASK;
}

static ptrdiff_t
eoff(const struct jv *v)
{
	/* exact division: the low bits are cleared first */
	return (ptrdiff_t)((int32_t)(v->w & ~T_MASK) / 8);
}

static const struct jv *
eblock(const struct jv *v)
{
	return v + eoff(v);
}

static const char *
etext(const struct jv *v)
{
	return (const char *)v + eoff(v);
}

static void
skip_ws(struct parser *ps)
{
	while (ps->p < ps->end &&
	    (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' ||
	        *ps->p == '\r'))
		ps->p++;
}

static int
fail(struct parser *ps, const char *msg)
{
	if (ps->err == NULL)
		ps->err = msg;
	return -1;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int
read_hex4(struct parser *ps, unsigned *out)
{
	unsigned v = 0;
	int i, h;

	if (ps->end - ps->p < 4)
		return fail(ps, "truncated \\u escape");
	for (i = 0; i < 4; i++) {
		if ((h = hexval((unsigned char)ps->p[i])) < 0)
			return fail(ps, "bad \\u escape");
		v = (v << 4) | (unsigned)h;
	}
	ps->p += 4;
	*out = v;
	return 0;
}

static char *
put_utf8(char *w, unsigned cp)
{
	if (cp < 0x80) {
		*w++ = (char)cp;
	} else if (cp < 0x800) {
		*w++ = (char)(0xc0 | (cp >> 6));
		*w++ = (char)(0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		*w++ = (char)(0xe0 | (cp >> 12));
		*w++ = (char)(0x80 | ((cp >> 6) & 0x3f));
		*w++ = (char)(0x80 | (cp & 0x3f));
	} else {
		*w++ = (char)(0xf0 | (cp >> 18));
		*w++ = (char)(0x80 | ((cp >> 12) & 0x3f));
		*w++ = (char)(0x80 | ((cp >> 6) & 0x3f));
		*w++ = (char)(0x80 | (cp & 0x3f));
	}
	return w;
}

#if defined(__SSE2__)
/* Where the first '"', '\\' or control byte is among the 16 at p; 16 if
 * none (x86-64 always has SSE2).  Bytes from 0x80 up are plain. */
static inline int
special16(const char *p)
{
	__m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
	__m128i m =
	    _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('"')),
	                     _mm_cmpeq_epi8(x, _mm_set1_epi8('\\'))),
	        _mm_cmpeq_epi8(_mm_subs_epu8(x, _mm_set1_epi8(0x1f)),
	            _mm_setzero_si128()));
	int bits = _mm_movemask_epi8(m);

	return bits != 0 ? __builtin_ctz((unsigned)bits) : 16;
}
#endif

/* The bytes at p, eight at a time, that are '"', '\\' or a control
 * character: a byte's high bit is set in the result.  The lowest set
 * byte is always a real one (borrows only run upwards). */
static inline uint64_t
special8(const char *p)
{
	const uint64_t ones = 0x0101010101010101ULL;
	const uint64_t highs = 0x8080808080808080ULL;
	uint64_t x, q, bs;

	memcpy(&x, p, 8);
	q = x ^ (ones * '"');
	bs = x ^ (ones * '\\');
	return (((q - ones) & ~q) | ((bs - ones) & ~bs) |
	           ((x - ones * 0x20) & ~x)) &
	    highs;
}

/*
 * SCAN and COUNT skim a string (SCAN counts its raw length into the
 * pool: the decoded text is never longer); CHECK checks it; FILL checks
 * it and decodes it into the pool.
 */
static int
parse_string(struct parser *ps, struct jv *v)
{
	const char *start, *run;
	char *w = NULL, *first = NULL;
	unsigned cp, lo;
	unsigned char c;

	ps->p++; /* opening quote */
	if (ps->pass == SCAN || ps->pass == COUNT) {
		/* Only where the string ends, and its raw length: FILL (or
		 * CHECK, on an error) looks at what is inside. */
		start = ps->p;
		for (;;) {
#if defined(__SSE2__)
			while (ps->end - ps->p >= 16 && special16(ps->p) == 16)
				ps->p += 16;
#endif
			while (
			    ps->p < ps->end && *ps->p != '"' && *ps->p != '\\')
				ps->p++;
			if (ps->p >= ps->end)
				return fail(ps, "unterminated string");
			if (*ps->p == '"')
				break;
			ps->p += 2;
			if (ps->p > ps->end)
				return fail(ps, "unterminated string");
		}
		if (ps->pass == SCAN) {
			if (ps->p - start > UINT32_MAX)
				return fail(ps, "string too long");
			ps->pool += (size_t)(ps->p - start) + 1;
		}
		ps->p++;
		return 0;
	}
	start = ps->p;
	if (ps->pass == FILL)
		first = w = ps->pooltop;
	for (;;) {
		/* plain bytes: find where they end, sixteen or eight at a
		 * time, then copy them at once */
		run = ps->p;
#if defined(__SSE2__)
		while (ps->end - ps->p >= 16) {
			int k = special16(ps->p);
			ps->p += k;
			if (k < 16)
				goto look;
		}
#endif
		while (ps->end - ps->p >= 8) {
			uint64_t m = special8(ps->p);
			if (m != 0) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
				ps->p += __builtin_ctzll(m) / 8;
#endif
				break;
			}
			ps->p += 8;
		}
#if defined(__SSE2__)
	look:
#endif
		while (ps->p < ps->end) {
			c = (unsigned char)*ps->p;
			if (c == '"' || c == '\\' || c < 0x20)
				break;
			ps->p++;
		}
		if (w != NULL && ps->p > run) {
			memcpy(w, run, (size_t)(ps->p - run));
			w += ps->p - run;
		}
		if (ps->p >= ps->end)
			return fail(ps, "unterminated string");
		c = (unsigned char)*ps->p;
		if (c == '"')
			break;
		if (c < 0x20)
			return fail(ps, "control character in string");
		ps->p++; /* backslash */
		if (ps->p >= ps->end)
			return fail(ps, "unterminated string");
		c = (unsigned char)*ps->p++;
		switch (c) {
		case '"':
		case '\\':
		case '/':
			break;
		case 'b':
			c = '\b';
			break;
		case 'f':
			c = '\f';
			break;
		case 'n':
			c = '\n';
			break;
		case 'r':
			c = '\r';
			break;
		case 't':
			c = '\t';
			break;
		case 'u':
			if (read_hex4(ps, &cp) < 0)
				return -1;
			if (cp >= 0xd800 && cp <= 0xdbff &&
			    ps->end - ps->p >= 6 && ps->p[0] == '\\' &&
			    ps->p[1] == 'u') {
				ps->p += 2;
				if (read_hex4(ps, &lo) < 0)
					return -1;
				if (lo >= 0xdc00 && lo <= 0xdfff)
					cp = 0x10000 + ((cp - 0xd800) << 10) +
					    (lo - 0xdc00);
				else {
					/* lone high surrogate: replace, keep lo */
					if (w != NULL)
						w = put_utf8(w, 0xfffd);
					cp = (lo >= 0xd800 && lo <= 0xdfff)
					    ? 0xfffd
					    : lo;
				}
			} else if (cp >= 0xd800 && cp <= 0xdfff)
				cp = 0xfffd;
			if (cp == 0)
				cp = 0xfffd; /* keep strings NUL-free */
			if (w != NULL)
				w = put_utf8(w, cp);
			continue;
		default:
			return fail(ps, "bad escape");
		}
		if (w != NULL)
			*w++ = (char)c;
	}
	if (ps->pass == FILL) {
		*w++ = '\0';
		ps->pooltop = w;
		v->w = entry(J_STR, v, first, 1);
	}
	ps->p++; /* closing quote */
	return 0;
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
		return fail(ps, "bad number");
	if (*ps->p == '0') {
		ps->p++;
	} else if (*ps->p >= '1' && *ps->p <= '9') {
		while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
			ps->p++;
	} else
		return fail(ps, "bad number");
	if (ps->p < ps->end && *ps->p == '.') {
		ps->p++;
		if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9')
			return fail(ps, "bad number");
		while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
			ps->p++;
	}
	if (ps->p < ps->end && (*ps->p == 'e' || *ps->p == 'E')) {
		ps->p++;
		if (ps->p < ps->end && (*ps->p == '+' || *ps->p == '-'))
			ps->p++;
		if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9')
			return fail(ps, "bad number");
		while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
			ps->p++;
	}
	n = (size_t)(ps->p - s);
	if (n > 64)
		return fail(ps, "number too long");
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
		v->w = entry(J_NUM, v, ps->pooltop, 1);
		ps->pooltop += n + 1;
	}
	return 0;
}

/* The text of a number: in the pool, or unpacked into tmp. */
static const char *
num_text(const struct jv *v, char tmp[NUM_INLINE + 1])
{
	uint32_t code = v->w >> 4;
	size_t i;

	if (!(v->w & 1u << 3))
		return etext(v);
	for (i = 0; i < NUM_INLINE && (code & 15) != 15; i++, code >>= 4)
		tmp[i] = NUM_CHARS[code & 15];
	tmp[i] = '\0';
	return tmp;
}

static int
literal(struct parser *ps, const char *word, size_t n)
{
	if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0)
		return fail(ps, "unexpected character");
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
		v->w = entry(T_ARR1, v, b, sizeof(*b));
		*items = b;
	} else {
		b->w = (uint32_t)n;
		v->w = entry(t, v, b, sizeof(*b));
		*items = b + 1;
	}
	return id;
}

static int
close_container(struct parser *ps, size_t id, enum jtype t, size_t n)
{
	if (n > UINT32_MAX / 2)
		return fail(
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
			return fail(ps, "unterminated array");
		if (*ps->p == ',') {
			ps->p++;
			continue;
		}
		if (*ps->p == ']') {
			ps->p++;
			break;
		}
		return fail(ps, "expected , or ]");
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
			return fail(ps, "expected object key");
		if (parse_string(ps, items != NULL ? &items[2 * n] : NULL) < 0)
			return -1;
		skip_ws(ps);
		if (ps->p >= ps->end || *ps->p != ':')
			return fail(ps, "expected :");
		ps->p++;
		if (parse_value(ps, items != NULL ? &items[2 * n + 1] : NULL) <
		    0)
			return -1;
		n++;
		skip_ws(ps);
		if (ps->p >= ps->end)
			return fail(ps, "unterminated object");
		if (*ps->p == ',') {
			ps->p++;
			continue;
		}
		if (*ps->p == '}') {
			ps->p++;
			break;
		}
		return fail(ps, "expected , or }");
	}
	return close_container(ps, id, J_OBJ, n);
}

static int
parse_value(struct parser *ps, struct jv *v)
{
	int rc;

	skip_ws(ps);
	if (ps->p >= ps->end)
		return fail(ps, "unexpected end of input");
	switch (*ps->p) {
	case '{':
	case '[':
		if (++ps->depth > ps->max_depth)
			return fail(ps, "nesting too deep");
		rc = *ps->p == '{' ? parse_object(ps, v) : parse_array(ps, v);
		ps->depth--;
		return rc;
	case '"':
		return parse_string(ps, v);
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
		return fail(ps, "trailing bytes after the JSON value");
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
			fail(&ps, "bad string");
		goto out;
	}
	tape_bytes = ps.words * sizeof(struct jv);
	total = tape_bytes + ps.pool;
	if (total >= BLOCK_MAX) {
		fail(&ps, "document too large");
		goto out;
	}
	root = arena_alloc(a, total);
	if (root == NULL) {
		fail(&ps, "out of memory");
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

enum jtype
jv_type(const struct jv *v)
{
	if (v == NULL)
		return J_NULL;
	return etype(v) == T_ARR1 ? J_ARR : (enum jtype)etype(v);
}

size_t
jv_len(const struct jv *v)
{
	if (v == NULL)
		return 0;
	switch (etype(v)) {
	case J_STR:
		return strlen(etext(v));
	case J_ARR:
	case J_OBJ:
		return eoff(v) == 0 ? 0 : eblock(v)->w;
	case T_ARR1:
		return 1;
	default:
		return 0;
	}
}

const struct jv *
jv_get(const struct jv *o, const char *key)
{
	const struct jv *m;
	uint32_t i;

	if (o == NULL || etype(o) != J_OBJ || eoff(o) == 0)
		return NULL;
	m = eblock(o);
	/* Last duplicate wins, as in most parsers providers are built on. */
	for (i = m->w; i-- > 0;)
		if (strcmp(etext(&m[1 + 2 * i]), key) == 0)
			return &m[2 + 2 * i];
	return NULL;
}

const char *
jv_str(const struct jv *v)
{
	return v != NULL && etype(v) == J_STR ? etext(v) : NULL;
}

bool
jv_is_null(const struct jv *v)
{
	return v == NULL || etype(v) == J_NULL;
}

int
jv_int(const struct jv *v, int64_t *out)
{
	char buf[NUM_INLINE + 1];
	const char *tmp;
	char *end;
	long long r;
	double d;

	if (v == NULL || etype(v) != J_NUM)
		return -1;
	tmp = num_text(v, buf);
	if (strpbrk(tmp, ".eE") == NULL) {
		errno = 0;
		r = strtoll(tmp, &end, 10);
		if (errno != 0 || *end != '\0')
			return -1;
		*out = r;
		return 0;
	}
	/* 1.0 or 1e3 are integers too, when exact. */
	d = strtod(tmp, &end);
	if (*end != '\0' || !isfinite(d) || d != floor(d) || d > 9.0e15 ||
	    d < -9.0e15)
		return -1;
	*out = (int64_t)d;
	return 0;
}

int
jv_num(const struct jv *v, double *out)
{
	char buf[NUM_INLINE + 1];
	char *end;
	double d;

	if (v == NULL || etype(v) != J_NUM)
		return -1;
	d = strtod(num_text(v, buf), &end);
	if (*end != '\0' || !isfinite(d))
		return -1;
	*out = d;
	return 0;
}

int
jv_bool(const struct jv *v)
{
	if (v == NULL)
		return -1;
	if (etype(v) == J_TRUE)
		return 1;
	if (etype(v) == J_FALSE)
		return 0;
	return -1;
}

size_t
jv_count(const struct jv *v)
{
	return jv_type(v) == J_ARR ? jv_len(v) : 0;
}

const struct jv *
jv_item(const struct jv *v, size_t i)
{
	if (v == NULL || i >= jv_count(v))
		return NULL;
	if (etype(v) == T_ARR1)
		return eblock(v);
	return eblock(v) + 1 + i;
}

int
jv_write(struct buf *b, const struct jv *v)
{
	char buf[NUM_INLINE + 1];
	const struct jv *m;
	uint32_t i, n;
	const char *s;

	switch (etype(v)) {
	case J_NULL:
		return buf_add(b, "null", 4);
	case J_TRUE:
		return buf_add(b, "true", 4);
	case J_FALSE:
		return buf_add(b, "false", 5);
	case J_NUM:
		return buf_adds(b, num_text(v, buf));
	case J_STR:
		s = etext(v);
		return buf_json_str(b, s, strlen(s));
	case T_ARR1:
		buf_addc(b, '[');
		jv_write(b, eblock(v));
		return buf_addc(b, ']');
	case J_ARR:
		buf_addc(b, '[');
		n = (uint32_t)jv_len(v);
		for (i = 0; i < n; i++) {
			if (i > 0)
				buf_addc(b, ',');
			jv_write(b, eblock(v) + 1 + i);
		}
		return buf_addc(b, ']');
	case J_OBJ:
		buf_addc(b, '{');
		n = (uint32_t)jv_len(v);
		m = n > 0 ? eblock(v) + 1 : NULL;
		for (i = 0; i < n; i++) {
			if (i > 0)
				buf_addc(b, ',');
			jv_write(b, &m[2 * i]);
			buf_addc(b, ':');
			jv_write(b, &m[2 * i + 1]);
		}
		return buf_addc(b, '}');
	}
	return -1;
}
