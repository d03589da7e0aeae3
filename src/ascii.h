/*
 * ASCII byte helpers, the same in every locale: the protocols callnorm
 * speaks (URLs, JSON, HTTP, its configuration) are defined over ASCII,
 * and <ctype.h> follows the locale and is undefined for negative chars.
 * One hex-digit decoder and one case-folder for the whole tree.
 */
#ifndef CN_ASCII_H
#define CN_ASCII_H

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
