#include "url.h"

#include <string.h>

#include "ascii.h"

static bool
unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
	    c == '~';
}

bool
url_query_plain(unsigned char c)
{
	return unreserved(c) || (c != '\0' && strchr(":@!$'()*;/?", c));
}

void
url_encode(struct buf *b, const char *value, enum url_set set)
{
	static const char hex[] = ASCII_HEX_UPPER;
	const unsigned char *p;

	for (p = (const unsigned char *)value; *p != '\0'; p++) {
		if (set == URL_UNRESERVED ? unreserved(*p)
		                          : url_query_plain(*p))
			buf_addc(b, (char)*p);
		else if (set == URL_QUERY && *p == ' ')
			buf_addc(b, '+');
		else {
			char e[3] = { '%', hex[*p >> 4], hex[*p & 15] };
			buf_add(b, e, 3);
		}
	}
}
