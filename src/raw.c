#include "raw.h"

#include <string.h>

#include "ascii.h"
#include "buf.h"
#include "json.h"

/* a equals the lower-case word b, ignoring a's case (ASCII only: a
 * key in another script names no credential we know). */
static bool
ieq(const char *a, const char *b)
{
	for (; *a && *b; a++, b++)
		if (ascii_lower((unsigned char)*a) != *b)
			return false;
	return *a == *b;
}

/* hay contains the lower-case word needle, ignoring hay's case. */
static bool
icontains(const char *hay, const char *needle)
{
	size_t n = strlen(needle), i;
	const char *p;

	for (p = hay; *p; p++) {
		for (i = 0; i < n && p[i]; i++)
			if (ascii_lower((unsigned char)p[i]) != needle[i])
				break;
		if (i == n)
			return true;
	}
	return false;
}

bool
raw_key_is_credential(const char *key)
{
	static const char *const exact[] = { "credentials", "headers",
		"access_token" };
	static const char *const part[] = { "secret", "password", "apikey",
		"api_key", "authtoken", "auth_token" };
	size_t i;

	for (i = 0; i < sizeof(exact) / sizeof(exact[0]); i++)
		if (ieq(key, exact[i]))
			return true;
	for (i = 0; i < sizeof(part) / sizeof(part[0]); i++)
		if (icontains(key, part[i]))
			return true;
	return false;
}

int
raw_write(struct buf *b, const struct jv *v)
{
	if (v == NULL)
		return buf_add(b, "null", 4);
	return jv_write_except(b, v, raw_key_is_credential);
}
