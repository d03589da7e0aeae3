/*
 * What every kind's detail entry points share: the id in the URL, the
 * status of each part's answer, transcript turns, offsets and costs.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../ascii.h"
#include "common.h"

#define URL_MAX (8 * 1024)

void
up_detail_url(struct buf *b, const struct provider_conf *pc, const char *prefix,
    const char *id, const char *suffix)
{
	const unsigned char *p;

	up_url_begin(b, pc, prefix);
	/* '.' is unreserved in RFC 3986, but "." and ".." segments are
	 * resolved by servers and proxies on the way: escaped, they stay
	 * one opaque segment of the provider's path. */
	for (p = (const unsigned char *)id; *p; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' ||
		    *p == '~') {
			buf_addc(b, (char)*p);
			continue;
		}
		buf_addc(b, '%');
		buf_addc(b, ASCII_HEX_UPPER[*p >> 4]);
		buf_addc(b, ASCII_HEX_UPPER[*p & 15]);
	}
	buf_adds(b, suffix);
}

enum cn_err
up_detail_get(const struct detail_req *rq, struct arena *a, struct upreq *r,
    const char *prefix, const char *suffix)
{
	struct buf b;

	buf_init(&b, URL_MAX);
	up_detail_url(&b, rq->pc, prefix, rq->native_id, suffix);
	return up_get(a, r, &b);
}

void
up_detail_fetch(const struct detail_req *rq, struct fetch *f, struct plan *p,
    struct query *q)
{
	memset(f, 0, sizeof(*f));
	memset(p, 0, sizeof(*p));
	memset(q, 0, sizeof(*q));
	f->pc = rq->pc;
	f->q = q;
	f->plan = p;
	f->page_size = 1;
}

enum cn_err
up_detail_part(const struct upresp *resp, size_t part, struct arena *a,
    struct detail *d, const struct jv **root, bool *absent, char *err,
    size_t errsize)
{
	char why[96];

	*absent = false;
	*root = json_parse(
	    a, resp->body, resp->len, JSON_MAX_DEPTH, why, sizeof(why));
	if (*root == NULL && arena_failed(a))
		return CN_INTERNAL;
	d->raw[part] = *root;
	if (resp->status == 404) {
		if (part == 0) {
			snprintf(err, errsize, "the provider has no such call");
			return CN_CALL_NOT_FOUND;
		}
		*absent = true;
		return CN_OK;
	}
	d->err_part = part;
	if (resp->status < 200 || resp->status > 299)
		return upstream_status_err(resp->status, err, errsize);
	if (*root == NULL) {
		snprintf(err, errsize, "invalid JSON: %s", why);
		return CN_PROVIDER_BAD_RESPONSE;
	}
	if (jv_type(*root) != J_OBJ)
		return up_bad(err, errsize, "the answer is not a JSON object");
	return CN_OK;
}

enum cn_err
up_detail_parts(const struct upresp *resp, size_t n, struct arena *a,
    struct detail *d, const struct jv **root, bool *absent, char *err,
    size_t errsize)
{
	enum cn_err e;
	size_t i;

	for (i = 0; i < n; i++) {
		e = up_detail_part(
		    &resp[i], i, a, d, &root[i], &absent[i], err, errsize);
		if (e != CN_OK)
			return e;
	}
	return CN_OK;
}

int
up_turns_alloc(struct arena *a, struct detail *d, size_t n)
{
	d->has_transcript = true;
	d->nturns = 0;
	d->turns = arena_calloc(a, n ? n : 1, sizeof(*d->turns));
	return d->turns != NULL ? 0 : -1;
}

/*
 * value x 10^shift, rounded half up to an integer, from the decimal text
 * of a JSON number: -1 when negative or too large.  Only the first
 * MAX_DIGITS significant digits count: the result has at most 17, and
 * half up looks at the first digit dropped only.
 */
#define MAX_DIGITS 24
int
up_decimal_scaled(const char *p, int shift, int64_t *out)
{
	char digits[MAX_DIGITS];
	size_t nd = 0, i, keep;
	int exp10 = 0, e = 0, esign = 1, edigits = 0;
	int64_t r = 0;
	bool frac = false, any = false;

	if (*p == '-') {
		/* -0 is zero; anything else before the start is no offset */
		for (p++; *p == '0' || *p == '.'; p++)
			;
		if (*p != '\0' && *p != 'e' && *p != 'E')
			return -1;
		*out = 0;
		return 0;
	}
	for (; (*p >= '0' && *p <= '9') || (*p == '.' && !frac); p++) {
		if (*p == '.') {
			frac = true;
			continue;
		}
		any = true;
		if (nd == 0 && *p == '0') {
			if (frac)
				exp10--;
			continue;
		}
		if (nd < MAX_DIGITS) {
			digits[nd++] = *p;
			if (frac)
				exp10--;
		} else if (!frac)
			exp10++; /* an integer digit past the kept ones */
	}
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '-' || *p == '+')
			esign = *p++ == '-' ? -1 : 1;
		for (; *p >= '0' && *p <= '9'; p++)
			if (++edigits <= 5)
				e = e * 10 + (*p - '0');
		if (edigits > 5) {
			/* vanishingly small: 0; enormous: refused */
			if (nd == 0 || esign < 0) {
				*out = 0;
				return 0;
			}
			return -1;
		}
	}
	if (*p != '\0' || !any)
		return -1;
	if (nd == 0) {
		*out = 0;
		return 0;
	}
	exp10 += esign * e + shift;
	/* the value is digits x 10^exp10 */
	if (exp10 >= 0) {
		if ((int)nd + exp10 > 17)
			return -1;
		for (i = 0; i < nd; i++)
			r = r * 10 + (digits[i] - '0');
		for (; exp10 > 0; exp10--)
			r *= 10;
		*out = r;
		return 0;
	}
	if ((size_t)-exp10 > nd) {
		*out = 0;
		return 0;
	}
	keep = nd - (size_t)-exp10;
	if (keep > 17)
		return -1;
	for (i = 0; i < keep; i++)
		r = r * 10 + (digits[i] - '0');
	*out = r + (digits[keep] >= '5' ? 1 : 0);
	return 0;
}

/* A JSON number's text as it came (numbers keep it in the tree). */
static int
decimal_scaled(const struct jv *v, int shift, int64_t *out)
{
	char text[512];
	struct buf b;
	int rc = -1;

	buf_init(&b, sizeof(text));
	if (jv_write(&b, v) == 0 && !b.failed && b.len < sizeof(text)) {
		memcpy(text, b.data, b.len);
		text[b.len] = '\0';
		rc = up_decimal_scaled(text, shift, out);
	}
	buf_free(&b);
	return rc;
}

static int
offset_scaled(const struct jv *v, int shift, struct opt_i64 *ms)
{
	ms->set = false;
	if (jv_is_null(v))
		return 0;
	if (jv_type(v) != J_NUM || decimal_scaled(v, shift, &ms->v) < 0 ||
	    ms->v > TIME_MAX_MS)
		return -1;
	ms->set = true;
	return 0;
}

int
up_offset_seconds(const struct jv *v, struct opt_i64 *ms)
{
	return offset_scaled(v, 3, ms);
}

int
up_offset_ms(const struct jv *v, struct opt_i64 *ms)
{
	return offset_scaled(v, 0, ms);
}

int
up_cost(struct arena *a, struct detail *d, const struct jv *amount,
    double divisor, const char *currency)
{
	double x;

	d->has_cost = false;
	if (jv_is_null(amount))
		return 0;
	if (jv_num(amount, &x) < 0)
		return -1;
	return up_cost_num(a, d, x / divisor, currency);
}

int
up_cost_num(struct arena *a, struct detail *d, double x, const char *currency)
{
	char cur[4];
	size_t i;

	d->has_cost = false;
	/* an amount in a currency nobody named is no cost we can state */
	if (currency == NULL)
		return 0;
	if (strlen(currency) != 3)
		return -1;
	for (i = 0; i < 3; i++) {
		unsigned char c = (unsigned char)currency[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')))
			return -1;
		cur[i] = (char)(c >= 'a' ? c - 'a' + 'A' : c);
	}
	cur[3] = '\0';
	if ((d->cost_currency = arena_strdup(a, cur)) == NULL)
		return -1;
	d->cost_amount = fabs(x);
	d->has_cost = true;
	return 0;
}

const char *
up_role(const struct up_role *t, size_t n, const char *word)
{
	size_t i;

	for (i = 0; word != NULL && i < n; i++)
		if (word_eq(t[i].word, word))
			return t[i].role;
	return "system";
}

int
up_turn_text(const struct jv *o, const char *key, const char **text)
{
	if (up_field_text(o, key, text) < 0)
		return -1;
	if (*text == NULL)
		*text = "";
	return 0;
}

int
up_decode_turns(struct arena *a, const struct jv *o, const char *key,
    const struct up_role *roles, size_t nroles, up_turn_fn fn, void *ctx,
    struct detail *d)
{
	return up_decode_turns_keyed(
	    a, o, key, "role", "content", roles, nroles, fn, ctx, d);
}

int
up_decode_turns_keyed(struct arena *a, const struct jv *o, const char *key,
    const char *role_key, const char *text_key, const struct up_role *roles,
    size_t nroles, up_turn_fn fn, void *ctx, struct detail *d)
{
	const struct jv *t = jv_get(o, key), *it;
	const char *role;
	size_t i;

	if (jv_is_null(t))
		return 0;
	if (jv_type(t) != J_ARR || up_turns_alloc(a, d, jv_len(t)) < 0)
		return -1;
	for (i = 0; i < jv_len(t); i++) {
		struct turn *tu = &d->turns[i];
		it = jv_item(t, i);
		if (jv_type(it) != J_OBJ ||
		    up_field_str(it, role_key, &role) < 0 ||
		    up_turn_text(it, text_key, &tu->text) < 0)
			return -1;
		tu->role = up_role(roles, nroles, role);
		if (fn != NULL && fn(it, tu, ctx) < 0)
			return -1;
	}
	d->nturns = i;
	return 0;
}

int
up_first_word(const struct jv *item, const struct jv **w0)
{
	const struct jv *ws = jv_get(item, "words");

	*w0 = NULL;
	if (jv_is_null(ws))
		return 0;
	if (jv_type(ws) != J_ARR)
		return -1;
	if (jv_len(ws) == 0)
		return 0;
	*w0 = jv_item(ws, 0);
	return jv_type(*w0) == J_OBJ ? 1 : -1;
}

enum cn_err
up_detail_retell_model(struct arena *a, const struct jv *o,
    const struct up_role *roles, size_t nroles, up_turn_fn fn, void *ctx,
    double cost_divisor, struct detail *d, char *err, size_t errsize)
{
	const struct jv *cost;
	const char *why = "";

	if (up_unpack(a, o, &why,
	        "recording_url:s call_analysis.call_summary:t",
	        &d->recording_url, &d->summary) < 0)
		return up_bad_unless_oom(a, err, errsize, "%s", why);
	if (up_decode_turns(
	        a, o, "transcript_object", roles, nroles, fn, ctx, d) < 0)
		return up_bad_unless_oom(a, err, errsize,
		    "transcript_object entries are not "
		    "role, content and words");
	if (up_field_obj(o, "call_cost", &cost) < 0 ||
	    (cost != NULL &&
	        up_cost(a, d, jv_get(cost, "combined_cost"), cost_divisor,
	            "USD") < 0))
		return up_bad_unless_oom(
		    a, err, errsize, "call_cost.combined_cost is not a number");
	return CN_OK;
}

enum cn_err
up_detail_record(const struct detail_req *rq, struct arena *a,
    const struct jv *o, up_record_fn fn, struct detail *d, char *err,
    size_t errsize)
{
	const char *why = "";
	struct fetch f;
	struct plan p;
	struct query q;

	up_detail_fetch(rq, &f, &p, &q);
	if (fn(&f, a, o, &d->call, &why) < 0)
		return up_bad_unless_oom(a, err, errsize, "%s", why);
	return CN_OK;
}

enum cn_err
up_detail_get_bearer(const struct detail_req *rq, struct arena *a,
    struct upreq *r, const char *prefix, const char *suffix)
{
	enum cn_err e = up_detail_get(rq, a, r, prefix, suffix);

	return e != CN_OK ? e : up_bearer(a, r, rq->pc->api_key);
}

enum cn_err
up_detail_prepare_bearer(
    const struct detail_req *rq, size_t part, struct arena *a, struct upreq *r)
{
	(void)part;
	return up_detail_get_bearer(rq, a, r, rq->pc->driver->detail->path, "");
}

const char *const up_detail_call_part[1] = { "call" };

enum cn_err
up_detail_bare_call(const struct detail_req *rq, const struct upresp *resp,
    struct arena *a, up_record_fn fn, struct detail *d, const struct jv **root,
    char *err, size_t errsize)
{
	bool absent;
	enum cn_err e;

	e = up_detail_part(resp, 0, a, d, root, &absent, err, errsize);
	if (e != CN_OK)
		return e;
	return up_detail_record(rq, a, *root, fn, d, err, errsize);
}
