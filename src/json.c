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

struct parser {
	struct arena *a;
	char *p;
	char *end;
	int depth;
	int max_depth;
	const char *err;
	/* Items of open containers wait here until their container closes. */
	struct jv *stack;
	size_t top;
	size_t cap;
};

static int parse_value(struct parser *, struct jv *);

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
push(struct parser *ps, const struct jv *v)
{
	struct jv *ns;
	size_t ncap;

	if (ps->top == ps->cap) {
		ncap = ps->cap ? ps->cap * 2 : 256;
		if (cn_alloc_should_fail() ||
		    (ns = realloc(ps->stack, ncap * sizeof(*ns))) == NULL)
			return fail(ps, "out of memory");
		ps->stack = ns;
		ps->cap = ncap;
	}
	ps->stack[ps->top++] = *v;
	return 0;
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

/* Decodes in place: the output never outgrows the escaped input. */
static int
parse_string(struct parser *ps, struct jv *v)
{
	char *start, *w;
	unsigned cp, lo;
	unsigned char c;

	ps->p++; /* opening quote */
	start = w = ps->p;
	/* Until the first escape nothing moves: skip plain bytes sixteen or
	 * eight at a time, up to the first one that needs a look. */
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
	w = ps->p;
	for (;;) {
		/* Fast path: plain bytes need no copying until an escape. */
		while (ps->p < ps->end) {
			c = (unsigned char)*ps->p;
			if (c == '"' || c == '\\' || c < 0x20)
				break;
			if (w != ps->p)
				*w = (char)c;
			w++;
			ps->p++;
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
			*w++ = (char)c;
			break;
		case 'b':
			*w++ = '\b';
			break;
		case 'f':
			*w++ = '\f';
			break;
		case 'n':
			*w++ = '\n';
			break;
		case 'r':
			*w++ = '\r';
			break;
		case 't':
			*w++ = '\t';
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
					w = put_utf8(w, 0xfffd);
					cp = (lo >= 0xd800 && lo <= 0xdfff)
					    ? 0xfffd
					    : lo;
				}
			} else if (cp >= 0xd800 && cp <= 0xdfff)
				cp = 0xfffd;
			if (cp == 0)
				cp = 0xfffd; /* keep strings NUL-free */
			w = put_utf8(w, cp);
			break;
		default:
			return fail(ps, "bad escape");
		}
	}
	*w = '\0'; /* lands at or before the closing quote */
	ps->p++;
	v->t = J_STR;
	v->n = (uint32_t)(w - start);
	v->u.s = start;
	return 0;
}

static int
parse_number(struct parser *ps, struct jv *v)
{
	char *s = ps->p;

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
	if (ps->p - s > 64)
		return fail(ps, "number too long");
	v->t = J_NUM;
	v->n = (uint32_t)(ps->p - s);
	v->u.s = s;
	return 0;
}

static int
literal(struct parser *ps, const char *word, size_t n)
{
	if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0)
		return fail(ps, "unexpected character");
	ps->p += n;
	return 0;
}

static int
close_container(struct parser *ps, struct jv *v, size_t base, enum jtype t)
{
	size_t count = ps->top - base;

	v->t = t;
	v->n = (uint32_t)(t == J_OBJ ? count / 2 : count);
	v->u.items = NULL;
	if (count > 0) {
		v->u.items = arena_alloc(ps->a, count * sizeof(struct jv));
		if (v->u.items == NULL)
			return fail(ps, "out of memory");
		memcpy(v->u.items, ps->stack + base, count * sizeof(struct jv));
	}
	ps->top = base;
	return 0;
}

static int
parse_array(struct parser *ps, struct jv *v)
{
	size_t base = ps->top;
	struct jv item;

	ps->p++;
	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == ']') {
		ps->p++;
		return close_container(ps, v, base, J_ARR);
	}
	for (;;) {
		if (parse_value(ps, &item) < 0 || push(ps, &item) < 0)
			return -1;
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
	if (ps->top - base > UINT32_MAX / 2)
		return fail(ps, "array too long");
	return close_container(ps, v, base, J_ARR);
}

static int
parse_object(struct parser *ps, struct jv *v)
{
	size_t base = ps->top;
	struct jv key, val;

	ps->p++;
	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == '}') {
		ps->p++;
		return close_container(ps, v, base, J_OBJ);
	}
	for (;;) {
		skip_ws(ps);
		if (ps->p >= ps->end || *ps->p != '"')
			return fail(ps, "expected object key");
		if (parse_string(ps, &key) < 0)
			return -1;
		skip_ws(ps);
		if (ps->p >= ps->end || *ps->p != ':')
			return fail(ps, "expected :");
		ps->p++;
		if (parse_value(ps, &val) < 0 || push(ps, &key) < 0 ||
		    push(ps, &val) < 0)
			return -1;
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
	if (ps->top - base > UINT32_MAX / 2)
		return fail(ps, "object too large");
	return close_container(ps, v, base, J_OBJ);
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
		v->t = J_TRUE;
		v->n = 0;
		return literal(ps, "true", 4);
	case 'f':
		v->t = J_FALSE;
		v->n = 0;
		return literal(ps, "false", 5);
	case 'n':
		v->t = J_NULL;
		v->n = 0;
		return literal(ps, "null", 4);
	default:
		return parse_number(ps, v);
	}
}

struct jv *
json_parse(struct arena *a, char *text, size_t len, int max_depth, char *err,
    size_t errsize)
{
	struct parser ps;
	struct jv *root = NULL;

	memset(&ps, 0, sizeof(ps));
	ps.a = a;
	ps.p = text;
	ps.end = text + len;
	ps.max_depth = max_depth;
	root = arena_alloc(a, sizeof(*root));
	if (root == NULL) {
		fail(&ps, "out of memory");
		goto out;
	}
	if (parse_value(&ps, root) < 0) {
		root = NULL;
		goto out;
	}
	skip_ws(&ps);
	if (ps.p != ps.end) {
		fail(&ps, "trailing bytes after the JSON value");
		root = NULL;
	}
out:
	if (root == NULL && err != NULL && errsize > 0)
		snprintf(err, errsize, "%s at byte %zu",
		    ps.err ? ps.err : "error", (size_t)(ps.p - text));
	free(ps.stack);
	return root;
}

const struct jv *
jv_get(const struct jv *o, const char *key)
{
	uint32_t i;
	size_t kl;

	if (o == NULL || o->t != J_OBJ)
		return NULL;
	kl = strlen(key);
	/* Last duplicate wins, as in most parsers providers are built on. */
	for (i = o->n; i-- > 0;) {
		const struct jv *k = &o->u.items[2 * i];
		if (k->n == kl && memcmp(k->u.s, key, kl) == 0)
			return &o->u.items[2 * i + 1];
	}
	return NULL;
}

const char *
jv_str(const struct jv *v)
{
	return v != NULL && v->t == J_STR ? v->u.s : NULL;
}

bool
jv_is_null(const struct jv *v)
{
	return v == NULL || v->t == J_NULL;
}

int
jv_int(const struct jv *v, int64_t *out)
{
	char tmp[72];
	char *end;
	long long r;
	double d;

	if (v == NULL || v->t != J_NUM)
		return -1;
	memcpy(tmp, v->u.s, v->n);
	tmp[v->n] = '\0';
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
	char tmp[72];
	char *end;
	double d;

	if (v == NULL || v->t != J_NUM)
		return -1;
	memcpy(tmp, v->u.s, v->n);
	tmp[v->n] = '\0';
	d = strtod(tmp, &end);
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
	if (v->t == J_TRUE)
		return 1;
	if (v->t == J_FALSE)
		return 0;
	return -1;
}

size_t
jv_count(const struct jv *v)
{
	return v != NULL && v->t == J_ARR ? v->n : 0;
}

const struct jv *
jv_item(const struct jv *v, size_t i)
{
	if (v == NULL || v->t != J_ARR || i >= v->n)
		return NULL;
	return &v->u.items[i];
}

int
jv_write(struct buf *b, const struct jv *v)
{
	uint32_t i;

	switch (v->t) {
	case J_NULL:
		return buf_add(b, "null", 4);
	case J_TRUE:
		return buf_add(b, "true", 4);
	case J_FALSE:
		return buf_add(b, "false", 5);
	case J_NUM:
		return buf_add(b, v->u.s, v->n);
	case J_STR:
		return buf_json_str(b, v->u.s, v->n);
	case J_ARR:
		buf_addc(b, '[');
		for (i = 0; i < v->n; i++) {
			if (i > 0)
				buf_addc(b, ',');
			jv_write(b, &v->u.items[i]);
		}
		return buf_addc(b, ']');
	case J_OBJ:
		buf_addc(b, '{');
		for (i = 0; i < v->n; i++) {
			if (i > 0)
				buf_addc(b, ',');
			jv_write(b, &v->u.items[2 * i]);
			buf_addc(b, ':');
			jv_write(b, &v->u.items[2 * i + 1]);
		}
		return buf_addc(b, '}');
	}
	return -1;
}
