/*
 * Typed fields of a provider's record (providers/common.h): each one
 * checked against what the provider documents, and up_unpack/up_record,
 * which read a record's fields from one format string.
 */
#include "common.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int
field_capped(const struct jv *o, const char *key, size_t max, const char **out)
{
	const struct jv *v = jv_get(o, key);

	*out = NULL;
	if (jv_is_null(v))
		return 0;
	if (jv_type(v) != J_STR || jv_len(v) > max)
		return -1;
	*out = jv_str(v);
	return 0;
}

int
up_field_str(const struct jv *o, const char *key, const char **out)
{
	return field_capped(o, key, MAX_FIELD, out);
}

int
up_field_text(const struct jv *o, const char *key, const char **out)
{
	return field_capped(o, key, MAX_TEXT, out);
}

int
up_field_int(const struct jv *o, const char *key, struct opt_i64 *out)
{
	const struct jv *v = jv_get(o, key);

	out->set = false;
	out->v = 0;
	if (jv_is_null(v))
		return 0;
	if (jv_int(v, &out->v) < 0)
		return -1;
	out->set = true;
	return 0;
}

int
up_field_bool(const struct jv *o, const char *key, int *out)
{
	const struct jv *v = jv_get(o, key);

	*out = -1;
	if (jv_is_null(v))
		return 0;
	if ((*out = jv_bool(v)) < 0)
		return -1;
	return 0;
}

int
up_field_obj(const struct jv *o, const char *key, const struct jv **out)
{
	const struct jv *v = jv_get(o, key);

	*out = NULL;
	if (jv_is_null(v))
		return 0;
	if (jv_type(v) != J_OBJ)
		return -1;
	*out = v;
	return 0;
}

int
up_field_time_iso(const struct jv *o, const char *key, struct opt_i64 *out)
{
	const char *s;

	out->set = false;
	if (up_field_str(o, key, &s) < 0)
		return -1;
	if (s == NULL)
		return 0;
	if (time_parse_iso(s, strlen(s), 0, &out->v) < 0)
		return -1;
	out->set = true;
	return 0;
}

int
up_field_time_rfc2822(const struct jv *o, const char *key, struct opt_i64 *out)
{
	const char *s;

	out->set = false;
	if (up_field_str(o, key, &s) < 0)
		return -1;
	/* "Empty if the call has not yet been dialed": "" or null */
	if (s == NULL || *s == '\0')
		return 0;
	if (time_parse_rfc2822(s, strlen(s), &out->v) < 0)
		return -1;
	out->set = true;
	return up_time_ok(out) ? 0 : -1;
}

int
up_field_seconds(const struct jv *o, const char *key, struct opt_i64 *ms)
{
	if (up_field_int(o, key, ms) < 0)
		return -1;
	if (!ms->set)
		return 0;
	/* no call lasts past the last instant we print, and the end time
	 * (start + duration) stays far from int64_t's limit */
	if (ms->v < 0 || ms->v > TIME_MAX_MS / 1000)
		return -1;
	ms->v *= 1000;
	return 0;
}

int
up_field_id_string(
    struct arena *a, const struct jv *o, const char *key, const char **out)
{
	const struct jv *v = jv_get(o, key);
	int64_t n;

	*out = NULL;
	if (jv_is_null(v))
		return 0;
	if (jv_type(v) == J_STR) {
		*out = jv_str(v);
		return 0;
	}
	if (jv_int(v, &n) < 0)
		return -1;
	*out = arena_printf(a, "%lld", (long long)n);
	return *out == NULL ? -1 : 0;
}

bool
up_time_ok(const struct opt_i64 *t)
{
	return !t->set || (t->v >= TIME_MIN_MS && t->v <= TIME_MAX_MS);
}

void
up_end_from(struct call *c, const struct opt_i64 *from)
{
	if (from->set && c->duration_ms.set) {
		c->ended_at.set = true;
		c->ended_at.v = from->v + c->duration_ms.v;
	}
}

int
up_record_begin(const struct fetch *f, const struct jv *o, const char *key,
    struct call *c, const char **why)
{
	const struct jv *id = jv_get(o, key);

	memset(c, 0, sizeof(*c));
	c->provider = f->pc->name;
	c->kind = f->pc->driver->kind;
	c->raw = o;
	c->is_test = -1;
	if (id == NULL || jv_type(id) != J_STR || jv_len(id) == 0 ||
	    jv_len(id) > MAX_NATIVE_ID)
		return up_why(why,
		    "the call's id is missing or not a string of 1 to 256 "
		    "bytes");
	c->native_id = jv_str(id);
	return 0;
}

static const char *
unpack_type_name(char t)
{
	switch (t) {
	case 's':
		return "a short string";
	case 't':
		return "a string";
	case 'i':
		return "an integer";
	case 'b':
		return "a boolean";
	case 'o':
		return "an object";
	case 'T':
		return "an ISO 8601 time";
	case 'S':
		return "a number of seconds";
	case 'R':
		return "an RFC 2822 time";
	default:
		return "of a known type";
	}
}

/* One member of an up_unpack format: "path:T" into out. */
static int
unpack_one(
    const struct jv *o, const char *path, size_t len, char type, va_list *ap)
{
	char key[64];
	const char *dot;

	/* every segment but the last names an object (absent: all absent) */
	while ((dot = memchr(path, '.', len)) != NULL) {
		if ((size_t)(dot - path) >= sizeof(key))
			return -1;
		memcpy(key, path, (size_t)(dot - path));
		key[dot - path] = '\0';
		if (up_field_obj(o, key, &o) < 0)
			return -1;
		len -= (size_t)(dot - path) + 1;
		path = dot + 1;
	}
	if (len >= sizeof(key))
		return -1;
	memcpy(key, path, len);
	key[len] = '\0';
	switch (type) {
	case 's':
		return up_field_str(o, key, va_arg(*ap, const char **));
	case 't':
		return up_field_text(o, key, va_arg(*ap, const char **));
	case 'i':
		return up_field_int(o, key, va_arg(*ap, struct opt_i64 *));
	case 'b':
		return up_field_bool(o, key, va_arg(*ap, int *));
	case 'o':
		return up_field_obj(o, key, va_arg(*ap, const struct jv **));
	case 'T':
		return up_field_time_iso(o, key, va_arg(*ap, struct opt_i64 *));
	case 'S':
		return up_field_seconds(o, key, va_arg(*ap, struct opt_i64 *));
	case 'R':
		return up_field_time_rfc2822(
		    o, key, va_arg(*ap, struct opt_i64 *));
	default:
		return -1;
	}
}

static int
vunpack(struct arena *a, const struct jv *o, const char **why, const char *fmt,
    va_list *ap)
{
	const char *p = fmt, *end, *colon;
	int rc = 0;

	while (rc == 0 && *p != '\0') {
		while (*p == ' ')
			p++;
		if (*p == '\0')
			break;
		end = p + strcspn(p, " ");
		colon = end - 2;
		if (end - p < 3 || *colon != ':' ||
		    unpack_one(o, p, (size_t)(colon - p), colon[1], ap) < 0) {
			/* a format item the table of types does not know
			 * fails the same way: the driver's fixtures find it */
			*why = arena_printf(a, "%.*s is not %s",
			    (int)(colon - p), p, unpack_type_name(colon[1]));
			if (*why == NULL)
				*why = "out of memory";
			rc = -1;
		}
		p = end;
	}
	return rc;
}

int
up_unpack(
    struct arena *a, const struct jv *o, const char **why, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vunpack(a, o, why, fmt, &ap);
	va_end(ap);
	return rc;
}

int
up_record(const struct fetch *f, struct arena *a, const struct jv *o,
    const char *id, struct call *c, const char **why, const char *fmt, ...)
{
	va_list ap;
	int rc;

	if (up_record_begin(f, o, id, c, why) < 0)
		return -1;
	va_start(ap, fmt);
	rc = vunpack(a, o, why, fmt, &ap);
	va_end(ap);
	return rc;
}
