#include "buf.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "ascii.h"
#include "timefmt.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

void
buf_init(struct buf *b, size_t max)
{
	memset(b, 0, sizeof(*b));
	b->max = max;
}

void
buf_free(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->size = 0;
	b->failed = false;
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
	b->failed = false;
}

int
buf_reserve(struct buf *b, size_t more)
{
	size_t want, size;
	char *p;

	if (b->failed)
		return -1;
	if (more > b->max || b->len > b->max - more) {
		b->failed = true;
		return -1;
	}
	want = b->len + more + 1;
	if (want <= b->size)
		return 0;
	size = b->size ? b->size : 256;
	while (size < want)
		size *= 2;
	if (size > b->max + 1)
		size = b->max + 1;
	if (cn_alloc_should_fail() || (p = realloc(b->data, size)) == NULL) {
		b->failed = true;
		return -1;
	}
	b->data = p;
	b->size = size;
	return 0;
}

int
buf_add(struct buf *b, const void *p, size_t n)
{
	if (buf_reserve(b, n) < 0)
		return -1;
	if (n > 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	return 0;
}

int
buf_adds(struct buf *b, const char *s)
{
	return buf_add(b, s, strlen(s));
}

int
buf_addc(struct buf *b, char c)
{
	if (b->len + 1 < b->size && !b->failed) {
		b->data[b->len++] = c;
		return 0;
	}
	return buf_add(b, &c, 1);
}

int
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || buf_reserve(b, (size_t)n) < 0)
		return -1;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

const char *
buf_cstr(struct buf *b)
{
	if (buf_reserve(b, 0) < 0)
		return "";
	b->data[b->len] = '\0';
	return b->data;
}

/* Length of a valid UTF-8 sequence at s, or 0 when it is not one. */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	size_t len, i;
	unsigned cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		cp = c & 0x07;
	} else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return len;
}

/* The first index from i on whose byte a JSON string cannot carry as it
 * is: '"', '\\', a control character, or any byte from 0x80 (checked as
 * UTF-8 one sequence at a time).  Transcripts are mostly plain ASCII, so
 * the common case skips sixteen or eight bytes at a time. */
static size_t
plain_run(const unsigned char *p, size_t i, size_t n)
{
#if defined(__SSE2__)
	/* signed compare: bytes from 0x80 are negative, so "< 0x20" catches
	 * them along with the control characters */
	while (n - i >= 16) {
		__m128i x =
		    _mm_loadu_si128((const __m128i *)(const void *)(p + i));
		__m128i m = _mm_or_si128(
		    _mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('"')),
		        _mm_cmpeq_epi8(x, _mm_set1_epi8('\\'))),
		    _mm_cmplt_epi8(x, _mm_set1_epi8(0x20)));
		int bits = _mm_movemask_epi8(m);

		if (bits != 0)
			return i + (size_t)__builtin_ctz((unsigned)bits);
		i += 16;
	}
#endif
	/* and what is left of eight bytes, or all of it without SSE2 */
	const uint64_t ones = 0x0101010101010101ULL;
	const uint64_t highs = 0x8080808080808080ULL;
	uint64_t x, q, bs, m;

	/* high bit of each byte that needs a look; the lowest one is always
	 * real (borrows only run upwards) */
	while (n - i >= 8) {
		memcpy(&x, p + i, 8);
		q = x ^ (ones * '"');
		bs = x ^ (ones * '\\');
		m = (((q - ones) & ~q) | ((bs - ones) & ~bs) |
		        ((x - ones * 0x20) & ~x) | x) &
		    highs;
		if (m != 0) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
			i += (size_t)__builtin_ctzll(m) / 8;
#endif
			break;
		}
		i += 8;
	}
	while (
	    i < n && p[i] >= 0x20 && p[i] < 0x80 && p[i] != '"' && p[i] != '\\')
		i++;
	return i;
}

int
buf_json_str(struct buf *b, const char *s, size_t n)
{
	static const char hex[] = ASCII_HEX_LOWER;
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, run, l;

	/* Worst case grows 6x; reserve per run instead of per byte. */
	if (buf_addc(b, '"') < 0)
		return -1;
	while (i < n) {
		run = plain_run(p, i, n);
		if (run > i && buf_add(b, s + i, run - i) < 0)
			return -1;
		i = run;
		if (i >= n)
			break;
		if (p[i] >= 0x80) {
			l = utf8_len(p + i, n - i);
			if (l == 0) {
				if (buf_add(b, "\xef\xbf\xbd", 3) < 0)
					return -1;
				i++;
			} else {
				if (buf_add(b, s + i, l) < 0)
					return -1;
				i += l;
			}
			continue;
		}
		switch (p[i]) {
		case '"':
			buf_add(b, "\\\"", 2);
			break;
		case '\\':
			buf_add(b, "\\\\", 2);
			break;
		case '\n':
			buf_add(b, "\\n", 2);
			break;
		case '\r':
			buf_add(b, "\\r", 2);
			break;
		case '\t':
			buf_add(b, "\\t", 2);
			break;
		default: {
			char e[6] = { '\\', 'u', '0', '0', hex[p[i] >> 4],
				hex[p[i] & 15] };
			buf_add(b, e, 6);
		}
		}
		i++;
	}
	return buf_addc(b, '"');
}

int
buf_json_cstr(struct buf *b, const char *s)
{
	if (s == NULL)
		return buf_add(b, "null", 4);
	return buf_json_str(b, s, strlen(s));
}

int
buf_json_int(struct buf *b, int64_t v)
{
	char tmp[24];
	int n;

	n = snprintf(tmp, sizeof(tmp), "%lld", (long long)v);
	return buf_add(b, tmp, (size_t)n);
}

int
buf_json_time(struct buf *b, int64_t ms)
{
	char tmp[40];
	size_t n;

	n = time_format_ms(ms, tmp, sizeof(tmp));
	if (n == 0)
		return buf_add(b, "null", 4);
	buf_addc(b, '"');
	buf_add(b, tmp, n);
	return buf_addc(b, '"');
}
