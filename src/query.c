#include "query.h"

#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "ascii.h"
#include "buf.h"
#include "query_int.h"
#include "url.h"

const char *const qparam_names[QP__MAX] = { "provider", "status", "direction",
	"type", "agent_id", "started_after", "started_before",
	"min_duration_ms", "max_duration_ms", "phone", "q", "include_test",
	"order", "limit", "cursor", "include", "partial" };

#define MAX_VALUES 100

struct item {
	int param;
	const char *v;
	size_t len;
};

/* application/x-www-form-urlencoded decoding; QUERY_INVALID on a bad
 * escape. */
static enum query_result
urldecode(struct arena *a, const char *s, size_t n, char **out, size_t *olen)
{
	char *d;
	size_t i, j = 0;
	int h, l;

	d = arena_alloc(a, n + 1);
	if (d == NULL)
		return QUERY_NOMEM;
	for (i = 0; i < n; i++) {
		if (s[i] == '+') {
			d[j++] = ' ';
		} else if (s[i] == '%') {
			if (i + 2 >= n)
				return QUERY_INVALID;
			h = ascii_hexval((unsigned char)s[i + 1]);
			l = ascii_hexval((unsigned char)s[i + 2]);
			if (h < 0 || l < 0)
				return QUERY_INVALID;
			d[j++] = (char)(h * 16 + l);
			i += 2;
		} else
			d[j++] = s[i];
	}
	d[j] = '\0';
	*out = d;
	*olen = j;
	return QUERY_OK;
}

static bool
valid_utf8(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, len, k;

	while (i < n) {
		if (p[i] < 0x80) {
			if (p[i] < 0x20 || p[i] == 0x7f)
				return false; /* no control characters */
			i++;
			continue;
		}
		if (p[i] >= 0xc2 && p[i] <= 0xdf)
			len = 2;
		else if (p[i] >= 0xe0 && p[i] <= 0xef)
			len = 3;
		else if (p[i] >= 0xf0 && p[i] <= 0xf4)
			len = 4;
		else
			return false;
		if (i + len > n)
			return false;
		for (k = 1; k < len; k++)
			if ((p[i + k] & 0xc0) != 0x80)
				return false;
		if ((len == 3 && p[i] == 0xe0 && p[i + 1] < 0xa0) ||
		    (len == 3 && p[i] == 0xed && p[i + 1] >= 0xa0) ||
		    (len == 4 && p[i] == 0xf0 && p[i + 1] < 0x90) ||
		    (len == 4 && p[i] == 0xf4 && p[i + 1] >= 0x90))
			return false;
		i += len;
	}
	return true;
}

static int
add_error(struct arena *a, struct qerrors *errs, const char *param,
    const char *detail)
{
	size_t i;

	for (i = 0; i < errs->n; i++)
		if (strcmp(errs->v[i].parameter, param) == 0)
			return 0; /* one entry per parameter */
	errs->v[errs->n].parameter = arena_strdup(a, param);
	errs->v[errs->n].detail = detail;
	if (errs->v[errs->n].parameter == NULL)
		return -1;
	errs->n++;
	return 0;
}

static int
cmpstr(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static const char *
lowercase(struct arena *a, const char *s, size_t n)
{
	char *d = arena_strndup(a, s, n);
	size_t i;

	if (d == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		d[i] = (char)ascii_lower((unsigned char)d[i]);
	return d;
}

static int
collect_set(struct arena *a, struct item *items, size_t nitems, int p,
    bool lower, struct strset *out)
{
	size_t i, n = 0, k;

	for (i = 0; i < nitems; i++)
		if (items[i].param == p)
			n++;
	out->v = arena_calloc(a, n ? n : 1, sizeof(char *));
	if (out->v == NULL)
		return -1;
	for (i = 0; i < nitems; i++) {
		if (items[i].param != p)
			continue;
		out->v[out->n] =
		    lower ? lowercase(a, items[i].v, items[i].len) : items[i].v;
		if (out->v[out->n] == NULL)
			return -1;
		out->n++;
	}
	qsort(out->v, out->n, sizeof(char *), cmpstr);
	/* United: duplicates collapse. */
	for (i = 0, k = 0; i < out->n; i++)
		if (k == 0 || strcmp(out->v[k - 1], out->v[i]) != 0)
			out->v[k++] = out->v[i];
	out->n = k;
	return 0;
}

/*
 * The query's length as a URL carries it: a byte a web server passed
 * raw that a URL must escape (UTF-8, '"', a control) counts as its %XX,
 * and the cursor does not count (it has room of its own).  The Link
 * header spells a query no longer than this, so following it is never
 * refused as too long.
 */
static size_t
url_length(const char *qs, size_t len)
{
	size_t i, n = 0;
	bool cursor = false;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)qs[i];
		if (i == 0 || qs[i - 1] == '&')
			cursor =
			    len - i >= 7 && memcmp(qs + i, "cursor=", 7) == 0;
		if (cursor)
			continue;
		n += url_query_plain(c) || (c && strchr("&=+%,", c)) ? 1 : 3;
	}
	return n;
}

/*
 * One query string being parsed: its values in order, and for each
 * parameter how many it had and the first (a single-valued parameter's
 * repeats must agree with it).
 */
struct scan {
	struct arena *a;
	struct query *q;
	struct qerrors *errs;
	struct item *items;
	size_t nitems;
	size_t count[QP__MAX];
	const char *first[QP__MAX];
};

/* Reports detail for param; QUERY_NOMEM when even that fails. */
static enum query_result
refuse(struct scan *sc, const char *param, const char *detail)
{
	return add_error(sc->a, sc->errs, param, detail) < 0 ? QUERY_NOMEM
	                                                     : QUERY_OK;
}

/*
 * At most how many values qs holds: one per value, and values end at '&'
 * and at commas, which clients such as URLSearchParams send as "%2C" and
 * which split all the same.
 */
static size_t
max_values(const char *qs, size_t len)
{
	size_t i, bound = 1;

	for (i = 0; i < len; i++)
		if (qs[i] == '&' || qs[i] == ',' ||
		    (qs[i] == '%' && len - i > 2 && qs[i + 1] == '2' &&
		        (qs[i + 2] == 'C' || qs[i + 2] == 'c')))
			bound++;
	return bound;
}

/* Adds the values of parameter p, val[0..vlen) split at commas, up to
 * the first one refused. */
static enum query_result
add_values(struct scan *sc, int p, const char *key, char *val, size_t vlen)
{
	const char *why;
	size_t vs, ve;

	/* Comma-separated values unite with repeated ones. */
	for (vs = 0; vs <= vlen; vs = ve + 1) {
		for (ve = vs; ve < vlen && val[ve] != ','; ve++)
			;
		why = NULL;
		if (ve == vs)
			why = "must not contain an empty value";
		else if (ve - vs >
		    (p == QP_CURSOR ? QUERY_MAX_BYTES : QUERY_MAX_VALUE))
			why = "has a value longer than 256 bytes";
		else if (++sc->count[p] > MAX_VALUES)
			why = "has more than 100 values";
		else if ((SINGLE & (1u << p)) && sc->first[p] != NULL &&
		    (strlen(sc->first[p]) != ve - vs ||
		        memcmp(sc->first[p], val + vs, ve - vs) != 0))
			why = "takes one value";
		if (why != NULL)
			return refuse(sc, key, why);
		val[ve] = '\0';
		if (sc->first[p] == NULL)
			sc->first[p] = val + vs;
		sc->items[sc->nitems].param = p;
		sc->items[sc->nitems].v = val + vs;
		sc->items[sc->nitems].len = ve - vs;
		sc->nitems++;
	}
	return QUERY_OK;
}

/* One "key=value" (or bare "key") between two '&'. */
static enum query_result
add_pair(struct scan *sc, const char *s, size_t n)
{
	enum query_result rc;
	size_t eq, klen, vlen;
	char *key, *val;
	int p;

	for (eq = 0; eq < n && s[eq] != '='; eq++)
		;
	rc = urldecode(sc->a, s, eq, &key, &klen);
	if (rc == QUERY_NOMEM)
		return rc;
	if (rc != QUERY_OK || !valid_utf8(key, klen) || klen == 0)
		return refuse(sc, rc != QUERY_OK || klen == 0 ? "" : key,
		    "is not a valid parameter name");
	for (p = 0; p < QP__MAX; p++)
		if (strcmp(key, qparam_names[p]) == 0)
			break;
	if (p == QP__MAX)
		return refuse(sc, key, "is not a known parameter");
	sc->q->given |= 1u << p;
	val = (char *)"";
	vlen = 0;
	rc = eq < n ? urldecode(sc->a, s + eq + 1, n - eq - 1, &val, &vlen)
	            : QUERY_OK;
	if (rc == QUERY_NOMEM)
		return rc;
	if (rc != QUERY_OK || !valid_utf8(val, vlen))
		return refuse(sc, key, "is not valid percent-encoded UTF-8");
	if (vlen == 0)
		return refuse(sc, key, "must not be empty");
	return add_values(sc, p, key, val, vlen);
}

/* Checks every value; when all are valid, gathers the sets. */
static enum query_result
check_values(struct scan *sc)
{
	struct query *q = sc->q;
	const char *why;
	size_t i;

	for (i = 0; i < sc->nitems; i++) {
		why = query_check_value(sc->a, q, sc->items[i].param,
		    sc->items[i].v, sc->items[i].len);
		if (why != NULL &&
		    refuse(sc, qparam_names[sc->items[i].param], why) !=
		        QUERY_OK)
			return QUERY_NOMEM;
	}
	if (query_has(q, QP_CURSOR) && q->cursor == NULL && sc->errs->n == 0)
		return QUERY_NOMEM;
	if (sc->errs->n > 0)
		return QUERY_INVALID;
	if (collect_set(sc->a, sc->items, sc->nitems, QP_PROVIDER, false,
	        &q->providers) ||
	    collect_set(sc->a, sc->items, sc->nitems, QP_AGENT_ID, false,
	        &q->agent_ids) ||
	    collect_set(
	        sc->a, sc->items, sc->nitems, QP_PHONE, false, &q->phones) ||
	    collect_set(sc->a, sc->items, sc->nitems, QP_Q, true, &q->qs))
		return QUERY_NOMEM;
	return QUERY_OK;
}

enum query_result
query_parse(struct arena *a, const char *qs, size_t len, struct query *q,
    struct qerrors *errs)
{
	enum query_result rc = QUERY_NOMEM;
	struct scan sc;
	size_t bound, start, end;

	memset(q, 0, sizeof(*q));
	memset(errs, 0, sizeof(*errs));
	q->limit = 50;
	q->order = ORDER_DESC;
	if (len > 2 * QUERY_MAX_BYTES ||
	    url_length(qs, len) > QUERY_MAX_BYTES) {
		errs->detail = "the query string is longer than 8192 bytes";
		return QUERY_INVALID;
	}
	memset(&sc, 0, sizeof(sc));
	sc.a = a;
	sc.q = q;
	sc.errs = errs;
	bound = max_values(qs, len);
	sc.items = arena_calloc(a, bound, sizeof(*sc.items));
	errs->v = arena_calloc(a, bound + QP__MAX, sizeof(*errs->v));
	if (sc.items == NULL || errs->v == NULL)
		goto nomem;
	for (start = 0; start <= len; start = end + 1) {
		for (end = start; end < len && qs[end] != '&'; end++)
			;
		if (end == start)
			continue; /* "a=1&&b=2" or a trailing '&' */
		if (add_pair(&sc, qs + start, end - start) != QUERY_OK)
			goto nomem;
	}
	rc = check_values(&sc);
	if (rc != QUERY_NOMEM)
		return rc;
nomem:
	errs->n = 0;
	errs->detail = NULL;
	return QUERY_NOMEM;
}

static void
canon_set(struct buf *b, const char *name, const struct strset *s)
{
	size_t i;

	if (s->n == 0)
		return;
	buf_printf(b, "%s=", name);
	for (i = 0; i < s->n; i++) {
		if (i > 0)
			buf_addc(b, ',');
		/* Length-prefixed, so a comma inside a value cannot collide. */
		buf_printf(b, "%zu:%s", strlen(s->v[i]), s->v[i]);
	}
	buf_addc(b, '&');
}

char *
query_canonical(struct arena *a, const struct query *q)
{
	struct buf b;
	char *out = NULL;

	buf_init(&b, 64 * 1024);
	canon_set(&b, "provider", &q->providers);
	buf_printf(&b, "status=%x&direction=%x&type=%x&", q->statuses,
	    q->directions, q->types);
	canon_set(&b, "agent_id", &q->agent_ids);
	if (query_has(q, QP_STARTED_AFTER))
		buf_printf(&b, "after=%lld&", (long long)q->started_after);
	if (query_has(q, QP_STARTED_BEFORE))
		buf_printf(&b, "before=%lld&", (long long)q->started_before);
	if (query_has(q, QP_MIN_DURATION))
		buf_printf(&b, "min=%lld&", (long long)q->min_duration);
	if (query_has(q, QP_MAX_DURATION))
		buf_printf(&b, "max=%lld&", (long long)q->max_duration);
	canon_set(&b, "phone", &q->phones);
	canon_set(&b, "q", &q->qs);
	buf_printf(&b, "test=%d&order=%d&raw=%d&partial=%d", q->include_test,
	    (int)q->order, q->include_raw, q->partial_allow);
	if (!b.failed)
		out = arena_strndup(a, b.data, b.len);
	buf_free(&b);
	return out;
}
