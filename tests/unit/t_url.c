/* url.c: the one percent-encoder, over every byte, in both sets. */
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "tap.h"
#include "url.h"

/* RFC 3986 section 2.3, spelled out rather than computed. */
static const char unreserved[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                 "abcdefghijklmnopqrstuvwxyz0123456789-._~";
/* what a Link may repeat raw: unreserved, and the characters of
 * RFC 3986's pchar and query that our parser does not read */
static const char query_extra[] = ":@!$'()*;/?";

static void
expect(unsigned c, enum url_set set, char *out)
{
	bool plain = c != 0 &&
	    (strchr(unreserved, (int)c) != NULL ||
	        (set == URL_QUERY && strchr(query_extra, (int)c) != NULL));

	if (plain)
		snprintf(out, 4, "%c", (char)c);
	else if (set == URL_QUERY && c == ' ')
		snprintf(out, 4, "+");
	else
		snprintf(out, 4, "%%%02X", c);
}

int
main(void)
{
	struct buf b;
	char in[2] = { 0, 0 }, want[4];
	unsigned c;
	int set, bad;

	for (set = URL_UNRESERVED; set <= URL_QUERY; set++) {
		bad = 0;
		for (c = 1; c < 256; c++) {
			buf_init(&b, 64);
			in[0] = (char)c;
			url_encode(&b, in, (enum url_set)set);
			expect(c, (enum url_set)set, want);
			if (strcmp(buf_cstr(&b), want) != 0) {
				diag("byte %u: got '%s', want '%s'", c,
				    buf_cstr(&b), want);
				bad++;
			}
			buf_free(&b);
		}
		ok(bad == 0, "set %d: every byte as RFC 3986 and the Link ask",
		    set);
	}
	buf_init(&b, 64);
	url_encode(&b, "a b&c=d,e+f%\xc3\xa9", URL_QUERY);
	is_str(buf_cstr(&b), "a+b%26c%3Dd%2Ce%2Bf%25%C3%A9",
	    "the bytes the query parser reads are escaped");
	buf_free(&b);
	buf_init(&b, 64);
	url_encode(&b, "2026-06-01T00:00:00Z", URL_UNRESERVED);
	is_str(buf_cstr(&b), "2026-06-01T00%3A00%3A00Z",
	    "upstream values escape ':'");
	buf_free(&b);
	ok(url_query_plain('~') && !url_query_plain(',') &&
	        !url_query_plain('\0'),
	    "url_query_plain");
	return done_testing();
}
