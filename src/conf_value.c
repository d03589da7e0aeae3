/* Value syntax in the configuration: names, integers, base_url. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "conf_int.h"

char *
conf_trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s &&
	    (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n'))
		*--e = '\0';
	return s;
}

bool
conf_valid_name(const char *s)
{
	size_t i, n = strlen(s);

	if (n < 1 || n > 32)
		return false;
	for (i = 0; i < n; i++) {
		char ch = s[i];
		bool alnum =
		    (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');
		if (!alnum && (i == 0 || (ch != '_' && ch != '-')))
			return false;
	}
	return true;
}

bool
conf_loopback_host(const char *h, size_t n)
{
	size_t i, dots = 0;

	if ((n == 9 && strncmp(h, "localhost", 9) == 0) ||
	    (n == 5 && strncmp(h, "[::1]", 5) == 0))
		return true;
	if (n < 7 || strncmp(h, "127.", 4) != 0)
		return false;
	for (i = 0; i < n; i++) {
		if (h[i] == '.')
			dots++;
		else if (h[i] < '0' || h[i] > '9')
			return false;
	}
	return dots == 3;
}

/* https://host[:port][/path] or loopback http; returns NULL or a reason */
const char *
conf_check_url(char *v)
{
	const char *host, *p;
	size_t hl, n;
	bool https;

	if (strncmp(v, "https://", 8) == 0) {
		https = true;
		host = v + 8;
	} else if (strncmp(v, "http://", 7) == 0) {
		https = false;
		host = v + 7;
	} else
		return "base_url must start with https:// (or http:// on a "
		       "loopback host)";
	for (p = v; *p != '\0'; p++)
		if ((unsigned char)*p <= 0x20 || *p == '?' || *p == '#' ||
		    *p == '\\' || (unsigned char)*p >= 0x7f)
			return "base_url must not contain spaces, '?', '#' or "
			       "non-ASCII bytes";
	hl = strcspn(host, "/");
	if (memchr(host, '@', hl) != NULL)
		return "base_url must not carry credentials; use api_key";
	if (hl == 0)
		return "base_url has no host";
	/* host part without the port */
	n = hl;
	if (host[0] == '[') {
		p = memchr(host, ']', hl);
		if (p == NULL)
			return "base_url has a malformed IPv6 host";
		n = (size_t)(p - host) + 1;
		if (n < hl && host[n] != ':')
			return "base_url has a malformed port";
	} else if ((p = memchr(host, ':', hl)) != NULL)
		n = (size_t)(p - host);
	if (n < hl) {
		const char *port = host + n + 1;
		size_t pl = hl - n - 1, i;
		long pv = 0;
		if (pl == 0 || pl > 5)
			return "base_url has a malformed port";
		for (i = 0; i < pl; i++) {
			if (port[i] < '0' || port[i] > '9')
				return "base_url has a malformed port";
			pv = pv * 10 + (port[i] - '0');
		}
		if (pv < 1 || pv > 65535)
			return "base_url has a malformed port";
	}
	if (!https && !conf_loopback_host(host, n))
		return "base_url must be https:// unless the host is loopback "
		       "(127.0.0.0/8, ::1, localhost)";
	/* strip trailing slashes so the endpoint path joins cleanly */
	n = strlen(v);
	while (n > 0 && v[n - 1] == '/' && v + n - 1 > host + hl - 1)
		v[--n] = '\0';
	return NULL;
}

int
conf_parse_int(const char *v, long lo, long hi, long *out)
{
	char *end;
	long n;

	if (*v < '0' || *v > '9')
		return -1;
	errno = 0;
	n = strtol(v, &end, 10);
	if (errno != 0 || *end != '\0' || n < lo || n > hi)
		return -1;
	*out = n;
	return 0;
}
