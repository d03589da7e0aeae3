/*
 * The upstream request side of the driver scaffold (providers/common.h):
 * URLs and their parameters, headers, GET and POST, JSON bodies, and
 * the plan's pushdown bits.
 */
#include "common.h"

#include <stdio.h>
#include <string.h>

#include "../ascii.h"
#include "url.h"

void
up_url_begin(struct buf *b, const struct provider_conf *pc, const char *path)
{
	buf_adds(b, pc->base_url);
	buf_adds(b, path);
}

void
up_url_param(struct buf *b, const char *name, const char *value)
{
	/* data is NULL when the buffer's first allocation failed */
	buf_addc(b, b->len > 0 && memchr(b->data, '?', b->len) ? '&' : '?');
	buf_adds(b, name);
	buf_addc(b, '=');
	url_encode(b, value, URL_UNRESERVED);
}

void
up_url_param_int(struct buf *b, const char *name, int64_t value)
{
	char tmp[24];

	snprintf(tmp, sizeof(tmp), "%lld", (long long)value);
	up_url_param(b, name, tmp);
}

char *
up_buf_to_arena(struct arena *a, struct buf *b, size_t *len)
{
	char *s;

	if (b->failed)
		return NULL;
	s = arena_strndup(a, b->data ? b->data : "", b->len);
	if (s != NULL && len != NULL)
		*len = b->len;
	return s;
}

enum cn_err
up_add_header(
    struct arena *a, struct upreq *r, const char *name, const char *value)
{
	char *h;

	if (r->nheaders >= sizeof(r->headers) / sizeof(r->headers[0]))
		return CN_INTERNAL;
	h = arena_printf(a, "%s: %s", name, value);
	if (h == NULL)
		return CN_INTERNAL;
	r->headers[r->nheaders++] = h;
	return CN_OK;
}

enum cn_err
up_bearer(struct arena *a, struct upreq *r, const char *key)
{
	char *auth = arena_printf(a, "Bearer %s", key);

	if (auth == NULL)
		return CN_INTERNAL;
	return up_add_header(a, r, "Authorization", auth);
}

enum cn_err
up_basic(
    struct arena *a, struct upreq *r, const char *user, const char *password)
{
	static const char b64[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *p;
	char *plain, *out;
	size_t n, i, o = 0;
	unsigned v;
	enum cn_err e;

	plain = arena_printf(a, "%s:%s", user, password);
	if (plain == NULL)
		return CN_INTERNAL;
	p = (const unsigned char *)plain;
	n = strlen(plain);
	out = arena_alloc(a, 6 + (n + 2) / 3 * 4 + 1);
	if (out == NULL)
		return CN_INTERNAL;
	memcpy(out, "Basic ", 6);
	o = 6;
	for (i = 0; i + 2 < n; i += 3) {
		v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8 | p[i + 2];
		out[o++] = b64[v >> 18];
		out[o++] = b64[(v >> 12) & 63];
		out[o++] = b64[(v >> 6) & 63];
		out[o++] = b64[v & 63];
	}
	if (i < n) {
		v = (unsigned)p[i] << 16 |
		    (i + 1 < n ? (unsigned)p[i + 1] << 8 : 0);
		out[o++] = b64[v >> 18];
		out[o++] = b64[(v >> 12) & 63];
		out[o++] = i + 1 < n ? b64[(v >> 6) & 63] : '=';
		out[o++] = '=';
	}
	out[o] = '\0';
	e = up_add_header(a, r, "Authorization", out);
	/* the plain credentials do not outlive the header */
	memset(plain, 0, n);
	return e;
}

/* The first n bytes of a and b are equal but for ASCII case. */
static bool
same_nocase(const char *a, const char *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (ascii_lower((unsigned char)a[i]) !=
		    ascii_lower((unsigned char)b[i]))
			return false;
	return true;
}

/* Length of "scheme://authority" at the start of u, or 0. */
static size_t
origin_len(const char *u)
{
	const char *sep = strstr(u, "://");
	size_t i;

	if (sep == NULL || sep == u)
		return 0;
	for (i = 0; u + i < sep; i++)
		if (ascii_lower((unsigned char)u[i]) < 'a' ||
		    ascii_lower((unsigned char)u[i]) > 'z')
			return 0;
	return (size_t)(sep - u) + 3 + strcspn(sep + 3, "/?#");
}

/* A path and query we may request: from '/', printable ASCII, no
 * fragment, no backslash, no "." or ".." segment. */
static bool
link_tail_ok(const char *t)
{
	const char *seg;
	size_t i, len;

	if (t[0] != '/')
		return false;
	for (i = 0; t[i] != '\0'; i++)
		if ((unsigned char)t[i] <= 0x20 ||
		    (unsigned char)t[i] >= 0x7f || t[i] == '#' || t[i] == '\\')
			return false;
	len = strcspn(t, "?");
	for (seg = t; seg < t + len; seg += strcspn(seg + 1, "/") + 1) {
		size_t sl = strcspn(seg + 1, "/?");
		if ((sl == 1 && seg[1] == '.') ||
		    (sl == 2 && seg[1] == '.' && seg[2] == '.'))
			return false;
	}
	return true;
}

const char *
up_link_path(const struct provider_conf *pc, const char *link)
{
	const char *base = pc->base_url, *bauth, *lauth, *path, *prefix;
	size_t bo = origin_len(base), bal, lal, pl;

	if (link == NULL || bo == 0)
		return NULL;
	bauth = strstr(base, "://") + 3;
	bal = bo - (size_t)(bauth - base);
	prefix = base + bo;
	pl = strlen(prefix);
	if (link[0] == '/' && link[1] != '/')
		/* root-relative: under base_url's prefix, as Twilio's are */
		return link_tail_ok(link) ? link : NULL;
	if (link[0] == '/') {
		lauth = link + 2; /* network-path: base_url's scheme */
	} else {
		size_t lo = origin_len(link);
		size_t sl = (size_t)(bauth - base);
		if (lo == 0 || !same_nocase(link, base, sl))
			return NULL;
		lauth = link + sl;
	}
	lal = strcspn(lauth, "/?#");
	/* the same authority, byte for byte but the host's case: another
	 * host, port or any userinfo is another place */
	if (lal != bal || !same_nocase(lauth, bauth, bal) ||
	    memchr(lauth, '@', lal) != NULL)
		return NULL;
	path = lauth + lal;
	if (strncmp(path, prefix, pl) != 0 || path[pl] != '/')
		return NULL;
	return link_tail_ok(path + pl) ? path + pl : NULL;
}

int
up_query_param(
    struct arena *a, const char *qs, const char *name, const char **out)
{
	size_t nl = strlen(name), len, i;
	const char *p = qs, *eq;
	int found = 0;
	char *v;

	*out = NULL;
	while (p != NULL && *p != '\0') {
		len = strcspn(p, "&");
		eq = memchr(p, '=', len);
		if (eq != NULL && (size_t)(eq - p) == nl &&
		    memcmp(p, name, nl) == 0) {
			size_t vl = len - nl - 1, o = 0;
			if (found++)
				return -1;
			if ((v = arena_alloc(a, vl + 1)) == NULL)
				return -1;
			for (i = 0; i < vl; i++) {
				int hi, lo;
				if (eq[1 + i] != '%') {
					v[o++] = eq[1 + i];
					continue;
				}
				if (i + 2 >= vl ||
				    (hi = ascii_hexval(eq[2 + i])) < 0 ||
				    (lo = ascii_hexval(eq[3 + i])) < 0)
					return -1;
				v[o++] = (char)(hi << 4 | lo);
				i += 2;
			}
			v[o] = '\0';
			if (memchr(v, '\0', o) != NULL)
				return -1;
			*out = v;
		}
		p = p[len] == '&' ? p + len + 1 : NULL;
	}
	return found;
}

enum cn_err
up_get(struct arena *a, struct upreq *r, struct buf *url)
{
	r->method = "GET";
	r->body = NULL;
	r->body_len = 0;
	r->url = up_buf_to_arena(a, url, NULL);
	buf_free(url);
	return r->url != NULL ? CN_OK : CN_INTERNAL;
}

enum cn_err
up_post(struct arena *a, struct upreq *r, const struct provider_conf *pc,
    const char *path, struct buf *body)
{
	struct buf u;

	buf_init(&u, 4096);
	up_url_begin(&u, pc, path);
	r->method = "POST";
	r->url = up_buf_to_arena(a, &u, NULL);
	r->body = up_buf_to_arena(a, body, &r->body_len);
	buf_free(&u);
	buf_free(body);
	return r->url != NULL && r->body != NULL ? CN_OK : CN_INTERNAL;
}

void
up_json_key(struct buf *b, bool *first, const char *name)
{
	if (!*first)
		buf_addc(b, ',');
	*first = false;
	buf_json_cstr(b, name);
	buf_addc(b, ':');
}

void
up_json_walk(
    struct buf *b, const struct fetch *f, bool *first, const char *token_name)
{
	up_json_key(b, first, "sort_order");
	buf_json_cstr(b, f->order == ORDER_ASC ? "ascending" : "descending");
	up_json_key(b, first, "limit");
	buf_json_int(b, f->page_size);
	if (f->pos.token != NULL) {
		up_json_key(b, first, token_name);
		buf_json_cstr(b, f->pos.token);
	}
}

void
up_json_strset(struct buf *b, const struct strset *s)
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
up_json_words(struct buf *b, unsigned mask, const char *const *words, int n)
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
up_json_threshold(
    struct buf *b, bool has_lo, int64_t lo, bool has_hi, int64_t hi)
{
	bool first = true;

	buf_addc(b, '{');
	if (has_lo) {
		up_json_key(b, &first, "lower_threshold");
		buf_json_int(b, lo);
	}
	if (has_hi) {
		up_json_key(b, &first, "upper_threshold");
		buf_json_int(b, hi);
	}
	buf_addc(b, '}');
}

void
up_push(struct plan *p, unsigned bits, bool exact)
{
	p->pushed |= bits;
	if (exact)
		p->exact |= bits;
}

int
up_single_bit(unsigned mask)
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
up_phone_only(const struct query *q, struct plan *p)
{
	if (q->types) {
		p->noop |= FBIT(F_TYPE);
		if (!(q->types & (1u << TYPE_PHONE)))
			p->empty = true;
	}
}

void
up_plan_status(
    const struct query *q, struct plan *p, struct up_status_table *t, int max)
{
	const char *w[UP_MAX_WORDS];
	unsigned yield;
	int n;

	if (!q->statuses)
		return;
	n = up_status_pick(
	    t, q->statuses, w, max < UP_MAX_WORDS ? max : UP_MAX_WORDS);
	if (n == 0)
		p->empty = true;
	else if (n > 0) {
		up_status_select(t, q->statuses, &yield);
		up_push(p, FBIT(F_STATUS), (yield & ~q->statuses) == 0);
	}
}

void
up_plan_single(const struct query *q, struct plan *p)
{
	if (up_single_bit(q->directions) > 0)
		up_push(p, FBIT(F_DIRECTION), true);
	if (q->agent_ids.n == 1)
		up_push(p, FBIT(F_AGENT), true);
}

void
up_url_pages(struct buf *b, const struct fetch *f, const char *path)
{
	up_url_begin(b, f->pc, path);
	up_url_param_int(b, "page", f->pos.page < 1 ? 1 : f->pos.page);
	up_url_param_int(b, "per_page", f->page_size);
}

void
up_url_direction(struct buf *b, const struct fetch *f, const char *name)
{
	int dir = up_single_bit(f->q->directions);

	if ((f->plan->pushed & FBIT(F_DIRECTION)) && dir > 0)
		up_url_param(b, name, call_dir_names[dir]);
}

void
up_url_agent(struct buf *b, const struct fetch *f, const char *name)
{
	if ((f->plan->pushed & FBIT(F_AGENT)) && f->q->agent_ids.n == 1)
		up_url_param(b, name, f->q->agent_ids.v[0]);
}

void
up_plan_time_superset(const struct query *q, struct plan *p)
{
	if (query_has(q, QP_STARTED_AFTER))
		up_push(p, FBIT(F_STARTED_AFTER), false);
	if (query_has(q, QP_STARTED_BEFORE))
		up_push(p, FBIT(F_STARTED_BEFORE), false);
}

void
up_url_time(struct buf *b, const char *name, int64_t ms)
{
	char ts[40];

	if (time_format_ms(ms, ts, sizeof(ts)) > 0)
		up_url_param(b, name, ts);
}

enum cn_err
up_get_bearer(
    struct arena *a, struct upreq *r, struct buf *url, const char *key)
{
	enum cn_err e = up_get(a, r, url);

	return e != CN_OK ? e : up_bearer(a, r, key);
}

enum cn_err
up_post_bearer(struct arena *a, struct upreq *r, const struct provider_conf *pc,
    const char *path, struct buf *body)
{
	enum cn_err e = up_post(a, r, pc, path, body);

	return e != CN_OK ? e : up_bearer(a, r, pc->api_key);
}
