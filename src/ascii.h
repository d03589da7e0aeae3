/*
 * ASCII byte helpers, the same in every locale: the protocols callnorm
 * speaks (URLs, JSON, HTTP, its configuration) are defined over ASCII,
 * and <ctype.h> follows the locale and is undefined for negative chars.
 * One hex alphabet, one hex-digit decoder and one case-folder for the
 * whole tree.
 */
#ifndef CN_ASCII_H
#define CN_ASCII_H

/* Hex digits for writing: lower case in JSON's \u00XX escapes, upper
 * case in percent-encoding (RFC 3986 2.1 asks for it). */
#define ASCII_HEX_LOWER "0123456789abcdef"
#define ASCII_HEX_UPPER "0123456789ABCDEF"

/* The value of a hex digit (either case), or -1 for any other byte. */
static inline int
ascii_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* c with A-Z folded to a-z; every other byte (UTF-8 included) as is. */
static inline unsigned char
ascii_lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
}

#endif
