/*
 * The pure parts of GET /calls/{id}: reading the id and the query, and
 * writing the detail's own members.  No I/O.
 */
#include "detail.h"

#include <stdio.h>
#include <string.h>

#include "arena.h"
#include "ascii.h"
#include "buf.h"
#include "json.h"
#include "page.h"
#include "query.h"
#include "raw.h"

int
detail_parse_id(struct arena *a, const char *id, const char **provider,
    const char **native_id, const char **why)
{
	const unsigned char *p;
	const char *colon;
	size_t len = strlen(id);

	if (len > DETAIL_ID_MAX) {
		*why = "the call id is longer than 300 bytes";
		return -1;
	}
	/* PATH_INFO comes decoded once; it is not decoded again, so a
	 * '%' here is the id's own.  What reaches an upstream URL is
	 * printable ASCII, escaped there. */
	for (p = (const unsigned char *)id; *p; p++)
		if (*p < 0x20 || *p >= 0x7f) {
			*why = "the call id holds a control byte or a byte "
			       "outside ASCII";
			return -1;
		}
	colon = strchr(id, ':');
	if (colon == NULL || colon == id || colon[1] == '\0') {
		*why = "the call id is not PROVIDER:NATIVE_ID";
		return -1;
	}
	*provider = arena_strndup(a, id, (size_t)(colon - id));
	*native_id = arena_strdup(a, colon + 1);
	if (*provider == NULL || *native_id == NULL) {
		*why = "out of memory";
		return -2;
	}
	return 0;
}

/* One name or value of the query, %XX and '+' decoded; NULL on a bad
 * escape or exhaustion. */
static char *
decode(struct arena *a, const char *s, size_t n)
{
	char *out = arena_alloc(a, n + 1), *o = out;
	size_t i;
	int hi, lo;

	if (out == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		if (s[i] == '+')
			*o++ = ' ';
		else if (s[i] != '%')
			*o++ = s[i];
		else {
			if (i + 2 >= n)
				return NULL;
			hi = ascii_hexval((unsigned char)s[i + 1]);
			lo = ascii_hexval((unsigned char)s[i + 2]);
			if (hi < 0 || lo < 0)
				return NULL;
			*o++ = (char)(hi * 16 + lo);
			i += 2;
		}
	}
	*o = '\0';
	return out;
}

int
detail_parse_query(
    struct arena *a, const char *qs, bool *raw, const char **param)
{
	const char *p = qs, *end, *eq;
	char *name, *value;

	*raw = false;
	/* the limit every query string has (8 KiB), repeated include=raw too */
	if (strlen(qs) > QUERY_MAX_BYTES) {
		*param = "include";
		return -1;
	}
	while (*p != '\0') {
		end = strchr(p, '&');
		if (end == NULL)
			end = p + strlen(p);
		eq = memchr(p, '=', (size_t)(end - p));
		name = decode(a, p, (size_t)((eq ? eq : end) - p));
		value = eq ? decode(a, eq + 1, (size_t)(end - eq - 1)) : NULL;
		if (name == NULL || strcmp(name, "include") != 0 ||
		    value == NULL || strcmp(value, "raw") != 0) {
			*param = name != NULL && *name != '\0'
			    ? name
			    : arena_strndup(a, p, (size_t)(end - p));
			if (*param == NULL)
				*param = "";
			return -1;
		}
		*raw = true;
		p = *end ? end + 1 : end;
	}
	return 0;
}

static void
opt_time(struct buf *b, const struct opt_i64 *v)
{
	if (v->set)
		buf_json_time(b, v->v);
	else
		buf_adds(b, "null");
}

void
detail_write(struct buf *b, const struct detail *d,
    const struct detail_driver *dd, bool include_raw)
{
	size_t i;

	buf_adds(b, ",\"transcript\":");
	if (!d->has_transcript)
		buf_adds(b, "null");
	else {
		buf_addc(b, '[');
		for (i = 0; i < d->nturns; i++) {
			const struct turn *t = &d->turns[i];
			if (i > 0)
				buf_addc(b, ',');
			buf_adds(b, "{\"role\":");
			buf_json_cstr(b, t->role);
			buf_adds(b, ",\"text\":");
			buf_json_cstr(b, t->text);
			buf_adds(b, ",\"offset_ms\":");
			if (t->offset_ms.set)
				buf_json_int(b, t->offset_ms.v);
			else
				buf_adds(b, "null");
			buf_addc(b, '}');
		}
		buf_addc(b, ']');
	}
	buf_adds(b, ",\"summary\":");
	buf_json_cstr(b, d->summary);
	buf_adds(b, ",\"recording_url\":");
	buf_json_cstr(b, d->recording_url);
	buf_adds(b, ",\"recording_expires_at\":");
	opt_time(b, &d->recording_expires_at);
	buf_adds(b, ",\"cost\":");
	if (!d->has_cost)
		buf_adds(b, "null");
	else {
		/* the shortest text that reads back as the same double */
		char num[40];
		int prec;
		for (prec = 1; prec <= 17; prec++) {
			double back;
			snprintf(
			    num, sizeof(num), "%.*g", prec, d->cost_amount);
			if (sscanf(num, "%lf", &back) == 1 &&
			    back == d->cost_amount)
				break;
		}
		buf_adds(b, "{\"amount\":");
		buf_adds(b, num);
		buf_adds(b, ",\"currency\":");
		buf_json_cstr(b, d->cost_currency);
		buf_addc(b, '}');
	}
	if (include_raw) {
		buf_adds(b, ",\"raw\":{");
		for (i = 0; i < dd->nparts; i++) {
			if (i > 0)
				buf_addc(b, ',');
			buf_json_cstr(b, dd->parts[i]);
			buf_addc(b, ':');
			raw_write(b, d->raw[i]);
		}
		buf_addc(b, '}');
	}
}
