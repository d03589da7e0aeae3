/*
 * The response side of the driver scaffold (providers/common.h): the
 * vocabularies, the decode preamble, typed fields, the record loop and
 * the page facts.
 */
#include "common.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* ---- vocabularies ---- */

const struct up_status *
up_status_find(const struct up_status *t, size_t n, const char *w)
{
	size_t i;

	for (i = 0; w != NULL && i < n; i++)
		if (word_eq(w, t[i].word))
			return &t[i];
	return NULL;
}

void
up_status_map(const struct up_status_table *t, const char *st, const char *why,
    struct call *c)
{
	const struct up_status *s = up_status_find(t->words, t->n, st), *r;

	c->status = s != NULL ? s->status : ST_UNKNOWN;
	c->end_reason = s != NULL ? s->reason : ER_NULL;
	if (s == NULL || s->refine == UP_FINAL || why == NULL)
		return;
	r = up_status_find(t->reasons, t->nreasons, why);
	if (r != NULL) {
		if (s->refine == UP_BY_REASON)
			c->status = r->status;
		c->end_reason = r->reason;
	} else if (s->refine == UP_BY_REASON) {
		/* a finish reason outside the table is a failure */
		c->status = ST_FAILED;
		c->end_reason = ER_ERROR;
	}
}

unsigned
up_status_outcomes(const struct up_status_table *t, size_t i)
{
	unsigned m = FBIT(t->words[i].status);
	size_t j;

	if (t->words[i].refine != UP_BY_REASON)
		return m;
	m |= FBIT(ST_FAILED);
	for (j = 0; j < t->nreasons; j++)
		m |= FBIT(t->reasons[j].status);
	return m;
}

unsigned
up_status_producible(const struct up_status_table *t)
{
	unsigned m = FBIT(ST_UNKNOWN);
	size_t i;

	for (i = 0; i < t->n; i++)
		m |= up_status_outcomes(t, i);
	return m;
}

unsigned
up_status_select(
    const struct up_status_table *t, unsigned wanted, unsigned *yield)
{
	unsigned m = 0, o;
	size_t i;

	*yield = 0;
	for (i = 0; i < t->n; i++)
		if ((o = up_status_outcomes(t, i)) & wanted) {
			m |= 1u << i;
			*yield |= o;
		}
	return m;
}

void
up_json_status_words(
    struct buf *b, const struct up_status_table *t, unsigned wanted)
{
	unsigned yield, m = up_status_select(t, wanted, &yield);
	bool first = true;
	size_t i;

	buf_addc(b, '[');
	for (i = 0; i < t->n; i++)
		if (m & (1u << i)) {
			if (!first)
				buf_addc(b, ',');
			first = false;
			buf_json_cstr(b, t->words[i].word);
		}
	buf_addc(b, ']');
}

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

enum cn_err
up_decode_begin(const struct fetch *f, const struct upresp *resp,
    struct arena *a, const char *path, const struct jv **root,
    const struct jv **records, char *err, size_t errsize)
{
	const struct jv *v;
	const char *dot;
	enum cn_err e;
	size_t cap;
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
	cap = (size_t)(f->page_size > f->pc->driver->max_page_size
	        ? f->page_size
	        : f->pc->driver->max_page_size);
	if (jv_len(v) > cap)
		return up_bad(err, errsize, "more records than the page size");
	*records = v;
	return CN_OK;
}

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
up_record_begin(
    const struct fetch *f, const struct jv *o, const char *key, struct call *c)
{
	const struct jv *id = jv_get(o, key);

	memset(c, 0, sizeof(*c));
	c->provider = f->pc->name;
	c->kind = f->pc->driver->kind;
	c->raw = o;
	c->is_test = -1;
	if (id == NULL || jv_type(id) != J_STR || jv_len(id) == 0 ||
	    jv_len(id) > MAX_NATIVE_ID)
		return -1;
	c->native_id = jv_str(id);
	return 0;
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

	pg->n = 0;
	pg->calls = NULL;
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
		if (fn(f, a, o, &pg->calls[i], &why) < 0) {
			snprintf(err, errsize, "record %zu: %s", i, why);
			/* our memory failed, not the provider's record */
			return arena_failed(a) ? CN_INTERNAL
			                       : CN_PROVIDER_BAD_RESPONSE;
		}
	}
	pg->n = jv_len(arr);
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
