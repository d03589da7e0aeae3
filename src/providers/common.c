/*
 * The response side of the driver scaffold (providers/common.h): the
 * vocabularies, the decode preamble, the record loop and the page facts
 * (typed fields and up_record are in fields.c).
 */
#include "common.h"
#include "../cursor.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *const up_dir_incoming_words[DIR__MAX] = { NULL, "incoming",
	"outgoing" };

enum call_dir
up_direction(const char *w, unsigned vocab)
{
	enum call_dir d;

	if (w == NULL)
		return DIR_NULL;
	for (d = DIR_INBOUND; d < DIR__MAX; d++)
		if (((vocab & UP_DIR_INOUT) && word_eq(w, call_dir_names[d])) ||
		    ((vocab & UP_DIR_INCOMING) &&
		        word_eq(w, up_dir_incoming_words[d])))
			return d;
	return DIR_NULL;
}

enum call_type
up_call_type(const char *w)
{
	if (w != NULL && word_eq(w, "phone_call"))
		return TYPE_PHONE;
	if (w != NULL && word_eq(w, "web_call"))
		return TYPE_WEB;
	return TYPE_NULL;
}

/* ---- the upstream response ---- */

enum cn_err
up_bad(char *err, size_t errsize, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errsize, fmt, ap);
	va_end(ap);
	return CN_PROVIDER_BAD_RESPONSE;
}

enum cn_err
upstream_status_err(long status, char *err, size_t errsize)
{
	snprintf(err, errsize, "upstream answered HTTP %ld", status);
	if (status == 401 || status == 403)
		return CN_PROVIDER_AUTH_FAILED;
	if (status == 429)
		return CN_PROVIDER_RATE_LIMITED;
	if (status >= 500 && status <= 599)
		return CN_PROVIDER_UNAVAILABLE;
	if (status >= 300 && status <= 399)
		snprintf(err, errsize,
		    "upstream answered HTTP %ld (redirects are not followed)",
		    status);
	return CN_PROVIDER_BAD_RESPONSE;
}

enum cn_err
up_parse_body(const struct upresp *r, struct arena *a, const struct jv **root,
    char *err, size_t errsize)
{
	char why[96];

	*root =
	    json_parse(a, r->body, r->len, JSON_MAX_DEPTH, why, sizeof(why));
	if (*root == NULL) {
		snprintf(err, errsize, "invalid JSON: %s", why);
		/* Our memory, not the provider's body, failed. */
		if (strncmp(why, "out of memory", 13) == 0)
			return CN_INTERNAL;
		return CN_PROVIDER_BAD_RESPONSE;
	}
	return CN_OK;
}

/* At most max(page_size, max_page_size) records: more is not a page of
 * what was asked. */
static enum cn_err
records_capped(const struct fetch *f, const struct jv *v,
    const struct jv **records, char *err, size_t errsize)
{
	size_t cap = (size_t)(f->page_size > f->pc->driver->max_page_size
	        ? f->page_size
	        : f->pc->driver->max_page_size);

	if (jv_len(v) > cap)
		return up_bad(err, errsize, "more records than the page size");
	*records = v;
	return CN_OK;
}

enum cn_err
up_decode_begin(const struct fetch *f, const struct upresp *resp,
    struct arena *a, const char *path, const struct jv **root,
    const struct jv **records, char *err, size_t errsize)
{
	const struct jv *v;
	const char *dot;
	enum cn_err e;
	char key[64];

	if (resp->status < 200 || resp->status > 299)
		return upstream_status_err(resp->status, err, errsize);
	if ((e = up_parse_body(resp, a, root, err, errsize)) != CN_OK)
		return e;
	if (jv_type(*root) != J_OBJ)
		return up_bad(err, errsize, "body is not an object");
	/* each member on the way to the array is an object */
	for (v = *root, dot = path; (dot = strchr(dot, '.')) != NULL; dot++) {
		snprintf(key, sizeof(key), "%.*s", (int)(dot - path), path);
		v = jv_get(v, strrchr(key, '.') ? strrchr(key, '.') + 1 : key);
		if (v == NULL || jv_type(v) != J_OBJ)
			return up_bad(err, errsize,
			    "%s is missing or not an object", key);
	}
	dot = strrchr(path, '.');
	v = jv_get(v, dot != NULL ? dot + 1 : path);
	if (v == NULL || jv_type(v) != J_ARR)
		return up_bad(
		    err, errsize, "%s is missing or not an array", path);
	return records_capped(f, v, records, err, errsize);
}

enum cn_err
up_decode_bare(const struct fetch *f, const struct upresp *resp,
    struct arena *a, const struct jv **records, char *err, size_t errsize)
{
	const struct jv *root;
	enum cn_err e;

	if (resp->status < 200 || resp->status > 299)
		return upstream_status_err(resp->status, err, errsize);
	if ((e = up_parse_body(resp, a, &root, err, errsize)) != CN_OK)
		return e;
	if (jv_type(root) != J_ARR)
		return up_bad(err, errsize, "body is not an array");
	return records_capped(f, root, records, err, errsize);
}

int
up_why(const char **why, const char *msg)
{
	*why = msg;
	return -1;
}

enum cn_err
up_decode_records(const struct fetch *f, struct arena *a, const struct jv *arr,
    struct uppage *pg, up_record_fn fn, char *err, size_t errsize)
{
	const char *why = "";
	size_t i;
	int rc;

	pg->n = 0;
	pg->calls = NULL;
	pg->next.page = 0;
	pg->next.token = NULL;
	if (jv_len(arr) > 0 &&
	    (pg->calls = arena_calloc(a, jv_len(arr), sizeof(*pg->calls))) ==
	        NULL) {
		snprintf(err, errsize, "out of memory");
		return CN_INTERNAL;
	}
	for (i = 0; i < jv_len(arr); i++) {
		const struct jv *o = jv_item(arr, i);
		if (jv_type(o) != J_OBJ)
			return up_bad(
			    err, errsize, "record %zu is not an object", i);
		if ((rc = fn(f, a, o, &pg->calls[pg->n], &why)) < 0) {
			snprintf(err, errsize, "record %zu: %s", i, why);
			/* our memory failed, not the provider's record */
			return arena_failed(a) ? CN_INTERNAL
			                       : CN_PROVIDER_BAD_RESPONSE;
		}
		/* 1: a record the kind does not list (twilio's child legs) */
		if (rc == 0)
			pg->n++;
	}
	return CN_OK;
}

void
up_page_end(struct uppage *pg, bool last, const struct opt_i64 *total,
    int64_t last_page, int per_page)
{
	pg->last = last;
	pg->has_total = total->set;
	pg->total = total->set ? total->v : 0;
	pg->last_page = last_page;
	pg->per_page = per_page;
}

enum cn_err
up_pages_read(const struct jv *root, const struct up_pages_names *nm,
    struct up_pages *p, char *err, size_t errsize)
{
	const struct jv *o = jv_get(root, nm->obj);

	if (o == NULL || jv_type(o) != J_OBJ)
		return up_bad(err, errsize, "%s is not an object", nm->obj);
	if (up_field_int(o, nm->current, &p->cur) < 0 || !p->cur.set)
		return up_bad(
		    err, errsize, "%s.%s is missing", nm->obj, nm->current);
	if (up_field_int(o, nm->last, &p->last) < 0 || !p->last.set ||
	    p->last.v < nm->last_min)
		return up_bad(
		    err, errsize, "%s.%s is missing", nm->obj, nm->last);
	if (up_field_int(o, nm->total, &p->total) < 0 ||
	    (p->total.set && p->total.v < 0))
		return up_bad(
		    err, errsize, "%s.%s is not a count", nm->obj, nm->total);
	if (up_field_int(o, nm->per_page, &p->per) < 0 ||
	    (p->per.set && (p->per.v < 1 || p->per.v > INT_MAX)))
		return up_bad(
		    err, errsize, "%s.%s is not a size", nm->obj, nm->per_page);
	return CN_OK;
}

void
up_pages_end(const struct fetch *f, const struct up_pages *p, struct uppage *pg)
{
	pg->next.token = NULL;
	up_page_end(pg, pg->n == 0 || p->cur.v >= p->last.v, &p->total,
	    p->last.v, p->per.set ? (int)p->per.v : f->page_size);
}

enum cn_err
up_decode_pages(const struct fetch *f, const struct upresp *resp,
    struct arena *a, const struct up_pages_names *names, up_record_fn fn,
    bool success_optional, struct uppage *pg, char *err, size_t errsize)
{
	const struct jv *root, *data, *v;
	struct up_pages pp;
	enum cn_err e;

	e = up_decode_begin(f, resp, a, "data", &root, &data, err, errsize);
	if (e != CN_OK)
		return e;
	v = jv_get(root, "success");
	if ((v != NULL || !success_optional) && (v == NULL || jv_bool(v) != 1))
		return up_bad(err, errsize, "success is not true");
	if ((e = up_pages_read(root, names, &pp, err, errsize)) != CN_OK ||
	    (e = up_decode_records(f, a, data, pg, fn, err, errsize)) != CN_OK)
		return e;
	up_pages_end(f, &pp, pg);
	return CN_OK;
}

enum cn_err
up_decode_count(const struct jv *o, const char *key, struct opt_i64 *out,
    char *err, size_t errsize)
{
	if (up_field_int(o, key, out) < 0 || (out->set && out->v < 0))
		return up_bad(err, errsize, "bad %s", key);
	return CN_OK;
}

enum cn_err
up_decode_list(const struct fetch *f, const struct upresp *resp,
    struct arena *a, const char *path, const char *count_key,
    up_record_fn record, struct uppage *pg, struct opt_i64 *total, char *err,
    size_t errsize)
{
	const struct jv *root, *records;
	enum cn_err e;

	total->set = false;
	if ((e = up_decode_begin(
	         f, resp, a, path, &root, &records, err, errsize)) != CN_OK)
		return e;
	if (count_key != NULL &&
	    (e = up_decode_count(root, count_key, total, err, errsize)) !=
	        CN_OK)
		return e;
	return up_decode_records(f, a, records, pg, record, err, errsize);
}

enum cn_err
up_bad_unless_oom(
    struct arena *a, char *err, size_t errsize, const char *fmt, ...)
{
	va_list ap;

	if (arena_failed(a)) {
		snprintf(err, errsize, "out of memory");
		return CN_INTERNAL;
	}
	va_start(ap, fmt);
	vsnprintf(err, errsize, fmt, ap);
	va_end(ap);
	return CN_PROVIDER_BAD_RESPONSE;
}

enum cn_err
up_decode_token(struct arena *a, const struct jv *o, const char *key,
    const char **out, char *err, size_t errsize)
{
	const struct jv *t = jv_get(o, key);

	*out = NULL;
	if (jv_is_null(t))
		return CN_OK;
	if (jv_type(t) != J_STR)
		return up_bad(err, errsize, "%s is not a string", key);
	/* the token travels in the cursor, which has room for this much */
	if (jv_len(t) > CURSOR_MAX_TOKEN)
		return up_bad(err, errsize, "%s is too long", key);
	if ((*out = arena_strdup(a, jv_str(t))) == NULL)
		return CN_INTERNAL;
	return CN_OK;
}
