/*
 * JSON strings.  SCAN and COUNT skim a string (SCAN counts its raw
 * length into the pool: the decoded text is never longer); CHECK checks
 * it; FILL checks it and decodes it into the pool.
 */
#include <string.h>

#include "ascii.h"
#include "json_int.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

static int
read_hex4(struct parser *ps, unsigned *out)
{
	unsigned v = 0;
	int i, h;

	if (ps->end - ps->p < 4)
		return json_fail(ps, "truncated \\u escape");
	for (i = 0; i < 4; i++) {
		if ((h = ascii_hexval((unsigned char)ps->p[i])) < 0)
			return json_fail(ps, "bad \\u escape");
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

/* SCAN and COUNT: only where the string ends, and its raw length; FILL
 * (or CHECK, on an error) looks at what is inside. */
static int
skim(struct parser *ps)
{
	const char *start = ps->p;

	for (;;) {
#if defined(__SSE2__)
		while (ps->end - ps->p >= 16 && special16(ps->p) == 16)
			ps->p += 16;
#endif
		while (ps->p < ps->end && *ps->p != '"' && *ps->p != '\\')
			ps->p++;
		if (ps->p >= ps->end)
			return json_fail(ps, "unterminated string");
		if (*ps->p == '"')
			break;
		ps->p += 2;
		if (ps->p > ps->end)
			return json_fail(ps, "unterminated string");
	}
	if (ps->pass == SCAN) {
		if (ps->p - start > UINT32_MAX)
			return json_fail(ps, "string too long");
		ps->pool += (size_t)(ps->p - start) + 1;
	}
	ps->p++;
	return 0;
}

/* Past the plain bytes at ps->p: finds where they end, sixteen or eight
 * at a time, then byte by byte. */
static inline void
skip_plain(struct parser *ps)
{
	unsigned char c;

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
}

/* \uXXXX (ps->p past the 'u'), a surrogate pair taken whole; written at
 * *w when it is not NULL. */
static int
unicode_escape(struct parser *ps, char **w)
{
	unsigned cp, lo;

	if (read_hex4(ps, &cp) < 0)
		return -1;
	if (cp >= 0xd800 && cp <= 0xdbff && ps->end - ps->p >= 6 &&
	    ps->p[0] == '\\' && ps->p[1] == 'u') {
		ps->p += 2;
		if (read_hex4(ps, &lo) < 0)
			return -1;
		if (lo >= 0xdc00 && lo <= 0xdfff)
			cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
		else {
			/* lone high surrogate: replace, keep lo */
			if (*w != NULL)
				*w = put_utf8(*w, 0xfffd);
			cp = (lo >= 0xd800 && lo <= 0xdfff) ? 0xfffd : lo;
		}
	} else if (cp >= 0xd800 && cp <= 0xdfff)
		cp = 0xfffd;
	if (cp == 0)
		cp = 0xfffd; /* keep strings NUL-free */
	if (*w != NULL)
		*w = put_utf8(*w, cp);
	return 0;
}

/* The escape at ps->p (its backslash); written at *w when not NULL. */
static int
unescape(struct parser *ps, char **w)
{
	unsigned char c;

	ps->p++; /* backslash */
	if (ps->p >= ps->end)
		return json_fail(ps, "unterminated string");
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
		return unicode_escape(ps, w);
	default:
		return json_fail(ps, "bad escape");
	}
	if (*w != NULL)
		*(*w)++ = (char)c;
	return 0;
}

int
json_string(struct parser *ps, struct jv *v)
{
	const char *run;
	char *w = NULL, *first = NULL;
	unsigned char c;

	ps->p++; /* opening quote */
	if (ps->pass == SCAN || ps->pass == COUNT)
		return skim(ps);
	if (ps->pass == FILL)
		first = w = ps->pooltop;
	for (;;) {
		/* plain bytes are copied at once */
		run = ps->p;
		skip_plain(ps);
		if (w != NULL && ps->p > run) {
			memcpy(w, run, (size_t)(ps->p - run));
			w += ps->p - run;
		}
		if (ps->p >= ps->end)
			return json_fail(ps, "unterminated string");
		c = (unsigned char)*ps->p;
		if (c == '"')
			break;
		if (c < 0x20)
			return json_fail(ps, "control character in string");
		if (unescape(ps, &w) < 0)
			return -1;
	}
	if (ps->pass == FILL) {
		*w++ = '\0';
		ps->pooltop = w;
		v->w = json_entry(J_STR, v, first, 1);
	}
	ps->p++; /* closing quote */
	return 0;
}
