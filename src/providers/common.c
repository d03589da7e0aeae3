#include "common.h"

#include <stdio.h>
#include <string.h>

void
url_begin(struct buf *b, const struct provider_conf *pc, const char *path)
{
	buf_adds(b, pc->base_url);
	buf_adds(b, path);
}

void
url_param(struct buf *b, const char *name, const char *value)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p;

	/* data is NULL when the buffer's first allocation failed */
	buf_addc(b, b->len > 0 && memchr(b->data, '?', b->len) ? '&' : '?');
	buf_adds(b, name);
	buf_addc(b, '=');
	for (p = (const unsigned char *)value; *p != '\0'; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' ||
		    *p == '.' || *p == '~')
			buf_addc(b, (char)*p);
		else {
			buf_addc(b, '%');
			buf_addc(b, hex[*p >> 4]);
			buf_addc(b, hex[*p & 15]);
		}
	}
}

void
url_param_int(struct buf *b, const char *name, int64_t value)
{
	char tmp[24];

	snprintf(tmp, sizeof(tmp), "%lld", (long long)value);
	url_param(b, name, tmp);
}

char *
buf_to_arena(struct arena *a, struct buf *b, size_t *len)
{
	char *s;

	if (b->failed)
		return NULL;
	s = arena_strndup(a, b->data ? b->data : "", b->len);
	if (s != NULL && len != NULL)
		*len = b->len;
	return s;
}

int
add_header(
    struct arena *a, struct upreq *r, const char *name, const char *value)
{
	char *h;

	if (r->nheaders >= sizeof(r->headers) / sizeof(r->headers[0]))
		return -1;
	h = arena_printf(a, "%s: %s", name, value);
	if (h == NULL)
		return -1;
	r->headers[r->nheaders++] = h;
	return 0;
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
parse_body(const struct upresp *r, struct arena *a, const struct jv **root,
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
field_str(const struct jv *o, const char *key, const char **out)
{
	return field_capped(o, key, MAX_FIELD, out);
}

int
field_text(const struct jv *o, const char *key, const char **out)
{
	return field_capped(o, key, MAX_TEXT, out);
}

int
field_int(const struct jv *o, const char *key, struct opt_i64 *out)
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
field_bool(const struct jv *o, const char *key, int *out)
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
field_time_iso(const struct jv *o, const char *key, struct opt_i64 *out)
{
	const char *s;

	out->set = false;
	if (field_str(o, key, &s) < 0)
		return -1;
	if (s == NULL)
		return 0;
	if (time_parse_iso(s, strlen(s), 0, &out->v) < 0)
		return -1;
	out->set = true;
	return 0;
}

int
field_id_string(
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

const char *
word_fold(struct arena *a, const char *s)
{
	char *d = arena_strdup(a, s);
	char *p;

	if (d == NULL)
		return NULL;
	for (p = d; *p != '\0'; p++) {
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
		else if (*p == '-')
			*p = '_';
	}
	return d;
}

int
single_bit(unsigned mask)
{
	int i, found = -1;

	for (i = 0; i < 32; i++)
		if (mask & (1u << i)) {
			if (found >= 0)
				return -1;
			found = i;
		}
	return found;
}

void
json_key(struct buf *b, bool *first, const char *name)
{
	if (!*first)
		buf_addc(b, ',');
	*first = false;
	buf_json_cstr(b, name);
	buf_addc(b, ':');
}

void
json_strset(struct buf *b, const struct strset *s)
{
	size_t i;

	buf_addc(b, '[');
	for (i = 0; i < s->n; i++) {
		if (i > 0)
			buf_addc(b, ',');
		buf_json_cstr(b, s->v[i]);
	}
	buf_addc(b, ']');
}

void
json_words(struct buf *b, unsigned mask, const char *const *words, int n)
{
	bool first = true;
	int i;

	buf_addc(b, '[');
	for (i = 0; i < n; i++)
		if ((mask & (1u << i)) && words[i] != NULL) {
			if (!first)
				buf_addc(b, ',');
			first = false;
			buf_json_cstr(b, words[i]);
		}
	buf_addc(b, ']');
}

void
json_threshold(struct buf *b, bool has_lo, int64_t lo, bool has_hi, int64_t hi)
{
	bool first = true;

	buf_addc(b, '{');
	if (has_lo) {
		json_key(b, &first, "lower_threshold");
		buf_json_int(b, lo);
	}
	if (has_hi) {
		json_key(b, &first, "upper_threshold");
		buf_json_int(b, hi);
	}
	buf_addc(b, '}');
}

const struct status_word *
status_word_find(const struct status_word *t, size_t n, const char *w)
{
	size_t i;

	for (i = 0; w != NULL && i < n; i++)
		if (word_eq(w, t[i].word))
			return &t[i];
	return NULL;
}

enum cn_err
decode_records(const struct fetch *f, struct arena *a, const struct jv *arr,
    struct uppage *pg, record_fn fn, char *err, size_t errsize)
{
	const char *why = "";
	size_t i;

	pg->n = 0;
	pg->calls = NULL;
	if (jv_len(arr) > 0 &&
	    (pg->calls = arena_calloc(a, jv_len(arr), sizeof(*pg->calls))) ==
	        NULL)
		return CN_INTERNAL;
	for (i = 0; i < jv_len(arr); i++) {
		const struct jv *o = jv_item(arr, i);
		if (jv_type(o) != J_OBJ) {
			snprintf(
			    err, errsize, "record %zu is not an object", i);
			return CN_PROVIDER_BAD_RESPONSE;
		}
		if (fn(f, a, o, &pg->calls[i], &why) < 0) {
			snprintf(err, errsize, "record %zu: %s", i, why);
			return CN_PROVIDER_BAD_RESPONSE;
		}
	}
	pg->n = jv_len(arr);
	return CN_OK;
}

int
record_begin(
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
