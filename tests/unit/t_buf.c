#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "tap.h"

/* An independent, byte-at-a-time statement of what buf_json_str writes:
 * '"', '\\' and controls escaped, valid UTF-8 kept, each byte that does
 * not start a valid sequence replaced by U+FFFD. */
static size_t
ref_utf8(const unsigned char *s, size_t n)
{
	unsigned c = s[0], cp, min;
	size_t len, k;

	if (c < 0x80)
		return 1;
	if ((c & 0xe0) == 0xc0)
		len = 2, cp = c & 0x1f, min = 0x80;
	else if ((c & 0xf0) == 0xe0)
		len = 3, cp = c & 0x0f, min = 0x800;
	else if ((c & 0xf8) == 0xf0)
		len = 4, cp = c & 0x07, min = 0x10000;
	else
		return 0;
	if (n < len)
		return 0;
	for (k = 1; k < len; k++) {
		if ((s[k] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[k] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

static size_t
ref_escape(char *out, const unsigned char *s, size_t n)
{
	size_t i = 0, o = 0, l;

	out[o++] = '"';
	while (i < n) {
		unsigned c = s[i];
		if (c == '"' || c == '\\') {
			out[o++] = '\\';
			out[o++] = (char)c;
			i++;
		} else if (c == '\n' || c == '\r' || c == '\t') {
			out[o++] = '\\';
			out[o++] = c == '\n' ? 'n' : c == '\r' ? 'r' : 't';
			i++;
		} else if (c < 0x20) {
			o += (size_t)sprintf(out + o, "\\u%04x", c);
			i++;
		} else if ((l = ref_utf8(s + i, n - i)) == 0) {
			memcpy(out + o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
		} else {
			memcpy(out + o, s + i, l);
			o += l;
			i += l;
		}
	}
	out[o++] = '"';
	return o;
}

/* Random strings, mostly plain ASCII as transcripts are, with every kind
 * of byte that needs a look at every offset of the 16- and 8-byte scans. */
static void
escape_differential(void)
{
	static const char *odd[] = { "\"", "\\", "\n", "\x01", "\x1f", "\x7f",
		"\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x93\x9e", "\xff", "\x80",
		"\xc3", "\xe2\x82", "\xc0\x80", "\xed\xa0\x80",
		"\xf4\x90\x80\x80", " " };
	unsigned char in[200];
	char want[200 * 6 + 2];
	struct buf b;
	size_t n, len, k, bad = 0;
	int i;

	srand(7);
	buf_init(&b, 1 << 20);
	for (i = 0; i < 50000; i++) {
		len = (size_t)(rand() % 120);
		n = 0;
		while (n < len) {
			if (rand() % 12 == 0) {
				const char *o = odd[rand() %
				    (int)(sizeof(odd) / sizeof(*odd))];
				k = strlen(o);
				if (n + k > sizeof(in))
					break;
				memcpy(in + n, o, k);
				n += k;
			} else
				in[n++] = (unsigned char)(0x20 + rand() % 0x5f);
		}
		k = ref_escape(want, in, n);
		buf_reset(&b);
		if (buf_json_str(&b, (const char *)in, n) < 0 || b.len != k ||
		    memcmp(b.data, want, k) != 0) {
			if (bad++ == 0)
				diag("case %d: %zu bytes in, %zu out, %zu "
				     "expected",
				    i, n, b.len, k);
		}
	}
	ok(bad == 0,
	    "50000 random strings escape as byte-at-a-time does (%zu differ)",
	    bad);
	buf_free(&b);
}

int
main(void)
{
	struct buf b;

	buf_init(&b, 16);
	ok(buf_adds(&b, "0123456789") == 0, "fits");
	ok(buf_adds(&b, "0123456789") < 0 && b.failed, "over max fails");
	ok(buf_adds(&b, "x") < 0, "failure is sticky");
	buf_reset(&b);
	ok(!b.failed && b.len == 0, "reset clears");
	buf_free(&b);

	buf_init(&b, 1024);
	buf_json_str(&b, "a\"b\\c\n\x01\xff\xc3\xa9", 10);
	is_str(buf_cstr(&b), "\"a\\\"b\\\\c\\n\\u0001\xef\xbf\xbd\xc3\xa9\"",
	    "escapes, control bytes and invalid UTF-8");
	buf_reset(&b);
	buf_json_cstr(&b, NULL);
	is_str(buf_cstr(&b), "null", "NULL is null");
	buf_reset(&b);
	buf_json_time(&b, 0);
	is_str(buf_cstr(&b), "\"1970-01-01T00:00:00.000Z\"", "time");
	buf_free(&b);

	escape_differential();
	return done_testing();
}
