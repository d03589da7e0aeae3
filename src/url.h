/*
 * Percent-encoding: the one encoder for every URL callnorm writes, the
 * upstream requests' query strings and the Link header's.  Pure.
 */
#ifndef CN_URL_H
#define CN_URL_H

#include <stdbool.h>

#include "buf.h"

enum url_set {
	/* RFC 3986 unreserved bytes plain, every other byte %XX: values
	 * sent to a provider, whose parser may be strict */
	URL_UNRESERVED,
	/* what a query value of ours may carry plain (url_query_plain),
	 * a space as '+', anything else %XX: the Link repeats a client's
	 * query and grows only where a URL requires it */
	URL_QUERY,
};

/* Appends value, percent-encoded for set, to b. */
void url_encode(struct buf *b, const char *value, enum url_set set);

/*
 * Bytes a query value may carry unescaped in a URL we write: unreserved,
 * sub-delims other than those the query parser reads ('&', '=', '+',
 * ','), ':', '@', '/' and '?'.
 */
bool url_query_plain(unsigned char c);

#endif
