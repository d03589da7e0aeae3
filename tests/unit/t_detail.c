/*
 * GET /calls/{id} without I/O: the id and query parsers, the credential
 * filter every raw record goes through, exact offsets, and every kind's
 * detail entry points from tests/data/details/<kind>/<case>.json: the
 * upstream requests each part sends, the answers, and the detail (or
 * error) they make.  Expectations were derived by hand from the
 * providers' documentation; they are compared as JSON values with json-c.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "arena.h"
#include "buf.h"
#include "conf.h"
#include "detail.h"
#include "json.h"
#include "page.h"
#include "provider.h"
#include "providers/common.h"
#include "raw.h"
#include "tap.h"

static void
test_credentials(void)
{
	static const struct {
		const char *key;
		int drop;
	} t[] = {
		{ "credentials", 1 },
		{ "Credentials", 1 },
		{ "headers", 1 },
		{ "HEADERS", 1 },
		{ "access_token", 1 },
		{ "Access_Token", 1 },
		{ "client_secret", 1 },
		{ "SECRET", 1 },
		{ "x-api-secret", 1 },
		{ "db_password", 1 },
		{ "apiKey", 1 },
		{ "crm_api_key", 1 },
		{ "twilioAuthToken", 1 },
		{ "auth_token", 1 },
		{ "x_AUTH_TOKEN_y", 1 },
		/* near misses stay */
		{ "header", 0 },
		{ "request_headers", 0 },
		{ "access_tokens", 0 },
		{ "token", 0 },
		{ "token_count", 0 },
		{ "api", 0 },
		{ "api-key", 0 },
		{ "auth", 0 },
		{ "authorization", 0 },
		{ "secre", 0 },
		{ "passwd", 0 },
		{ "", 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		is_int(raw_key_is_credential(t[i].key), t[i].drop,
		    "credential key '%s'", t[i].key);
}

static void
test_raw_write(void)
{
	struct arena *a = arena_new(4096, 1 << 20);
	static const char in[] =
	    "{\"id\":\"1\",\"ACCESS_TOKEN\":\"x\",\"a\":[{\"headers\":{}},"
	    "{\"ok\":true,\"MyPassword\":1}],\"o\":{\"apikey\":null,"
	    "\"n\":{\"credentials\":[1],\"k\":2}},\"s\":\"headers\"}";
	const char *want = "{\"id\":\"1\",\"a\":[{},{\"ok\":true}],"
	                   "\"o\":{\"n\":{\"k\":2}},\"s\":\"headers\"}";
	char err[64];
	const struct jv *v =
	    json_parse(a, in, strlen(in), 64, err, sizeof(err));
	struct buf b;

	buf_init(&b, 1 << 16);
	ok(v != NULL, "raw fixture parses");
	raw_write(&b, v);
	is_str(buf_cstr(&b), want, "credentials leave raw at any depth");
	buf_reset(&b);
	raw_write(&b, NULL);
	is_str(buf_cstr(&b), "null", "no record is null");
	buf_free(&b);
	arena_free(a);
}

static void
test_ids(void)
{
	static const struct {
		const char *id;
		const char *provider, *native; /* NULL: malformed */
	} t[] = {
		{ "verbex-main:6650f0c2", "verbex-main", "6650f0c2" },
		{ "p:a:b", "p", "a:b" },
		{ "p:..", "p", ".." },
		{ "p:a/b", "p", "a/b" },
		{ "p:%2F", "p", "%2F" },
		{ "p:a b", "p", "a b" },
		{ "nocolon", NULL, NULL },
		{ ":x", NULL, NULL },
		{ "p:", NULL, NULL },
		{ ":", NULL, NULL },
		{ "", NULL, NULL },
		{ "p:a\tb", NULL, NULL },
		{ "p:a\x7f", NULL, NULL },
		{ "p:caf\xc3\xa9", NULL, NULL },
		{ "p:\x01", NULL, NULL },
	};
	struct arena *a = arena_new(4096, 1 << 20);
	const char *p, *n, *why;
	char longid[400];
	size_t i;
	int rc;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		p = n = why = NULL;
		rc = detail_parse_id(a, t[i].id, &p, &n, &why);
		if (t[i].provider == NULL) {
			ok(rc == -1 && why != NULL, "id '%s' is malformed",
			    t[i].id);
			continue;
		}
		if (ok(rc == 0, "id '%s' parses", t[i].id)) {
			is_str(p, t[i].provider, "id '%s': provider", t[i].id);
			is_str(n, t[i].native, "id '%s': native id", t[i].id);
		}
	}
	memset(longid, 'x', sizeof(longid));
	longid[0] = 'p';
	longid[1] = ':';
	longid[300] = '\0';
	ok(detail_parse_id(a, longid, &p, &n, &why) == 0, "300 bytes parse");
	longid[300] = 'x';
	longid[301] = '\0';
	ok(detail_parse_id(a, longid, &p, &n, &why) == -1, "301 bytes do not");
	arena_free(a);
}

static void
test_query(void)
{
	static const struct {
		const char *qs;
		int rc, raw;
		const char *param;
	} t[] = {
		{ "", 0, 0, NULL },
		{ "include=raw", 0, 1, NULL },
		{ "include=raw&include=raw", 0, 1, NULL },
		{ "include=r%61w", 0, 1, NULL },
		{ "include=", -1, 0, "include" },
		{ "include", -1, 0, "include" },
		{ "include=transcript", -1, 0, "include" },
		{ "limit=5", -1, 0, "limit" },
		{ "include=raw&provider=x", -1, 0, "provider" },
		{ "&", -1, 0, "" },
		{ "include=raw%", -1, 0, "include" },
	};
	struct arena *a = arena_new(4096, 1 << 20);
	const char *param;
	bool raw;
	size_t i;
	int rc;

	{
		/* "include=raw" k times, '&'-joined, is 12k - 1 bytes: 682 of
		 * them fit 8 KiB, 683 do not */
		static char big[8300];
		size_t n = 0, k;
		for (k = 0; k < 683; k++) {
			memcpy(big + n, k ? "&include=raw" : "include=raw",
			    k ? 12 : 11);
			n += k ? 12 : 11;
			big[n] = '\0';
			if (k == 681)
				ok(detail_parse_query(a, big, &raw, &param) ==
				            0 &&
				        n == 8183,
				    "682 include=raw (8183 bytes) are a query");
		}
		ok(n == 8195 && detail_parse_query(a, big, &raw, &param) == -1,
		    "683 (8195 bytes) are over 8 KiB");
	}
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		param = NULL;
		rc = detail_parse_query(a, t[i].qs, &raw, &param);
		is_int(rc, t[i].rc, "query '%s'", t[i].qs);
		if (rc == 0)
			is_int(raw, t[i].raw, "query '%s': raw", t[i].qs);
		else
			is_str(param, t[i].param, "query '%s': names %s",
			    t[i].qs, t[i].param);
	}
	arena_free(a);
}

static void
test_decimal(void)
{
	static const struct {
		const char *text;
		int shift;
		int rc;
		int64_t want;
	} t[] = {
		{ "12.3", 3, 0, 12300 },
		{ "0", 3, 0, 0 },
		{ "-0", 3, 0, 0 },
		{ "-0.0", 3, 0, 0 },
		{ "1.0005", 3, 0, 1001 }, /* half up, exactly */
		{ "1.00049", 3, 0, 1000 },
		{ "2.0285", 3, 0, 2029 }, /* 2028.4999... in binary */
		{ "0.0004", 3, 0, 0 },
		{ "0.0005", 3, 0, 1 },
		{ "1e3", 0, 0, 1000 },
		{ "1.5e1", 3, 0, 15000 },
		{ "25E-1", 3, 0, 2500 },
		{ "1e-99999", 3, 0, 0 },
		{ "120", 0, 0, 120 },
		{ "3342.5", 0, 0, 3343 },
		{ "00012.5000", 3, 0, 12500 },
		{ "12.30000000000000000000000000001", 3, 0, 12300 },
		{ "-1", 3, -1, 0 },
		{ "-0.5", 3, -1, 0 },
		{ "1e99999", 3, -1, 0 },
		{ "99999999999999999", 0, 0, 99999999999999999LL },
		{ "999999999999999999", 0, -1, 0 },
		{ "12.3s", 3, -1, 0 },
		{ "", 3, -1, 0 },
		{ ".", 3, -1, 0 },
	};
	size_t i;
	int64_t v;
	int rc;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		v = -7;
		rc = up_decimal_scaled(t[i].text, t[i].shift, &v);
		is_int(
		    rc, t[i].rc, "decimal '%s' x 10^%d", t[i].text, t[i].shift);
		if (rc == 0 && t[i].rc == 0)
			is_int(v, t[i].want, "decimal '%s' x 10^%d = %lld",
			    t[i].text, t[i].shift, (long long)t[i].want);
	}
}

/* ---- the kinds' entry points, from fixtures ---- */

static const char *
jstr(json_object *o, const char *k)
{
	json_object *v;

	if (!json_object_object_get_ex(o, k, &v) ||
	    json_object_is_type(v, json_type_null))
		return NULL;
	return json_object_get_string(v);
}

static int
same_json(
    json_object *got, json_object *want, const char *what, const char *name)
{
	int eq = json_object_equal(got, want);

	ok(eq, "%s: %s", name, what);
	if (!eq) {
		diag("got:      %s",
		    json_object_to_json_string_ext(
		        got, JSON_C_TO_STRING_PLAIN));
		diag("expected: %s",
		    json_object_to_json_string_ext(
		        want, JSON_C_TO_STRING_PLAIN));
	}
	return eq;
}

static void
run_case(const char *path, const char *name)
{
	struct arena *a = arena_new(64 * 1024, 256u * 1024 * 1024);
	json_object *tc, *v, *exp, *resps;
	struct upresp resp[DETAIL_MAX_PARTS];
	struct provider_conf pc;
	const struct driver *d;
	const struct detail_driver *dd;
	struct detail_req rq;
	struct detail det;
	const char *kind, *s;
	char err[256];
	enum cn_err e;
	size_t i, k;

	memset(resp, 0, sizeof(resp));
	tc = json_object_from_file(path);
	if (!ok(tc != NULL, "%s: fixture parses", name))
		goto out;
	kind = jstr(tc, "kind");
	d = kind ? driver_find(kind) : NULL;
	if (!ok(d != NULL && d->detail != NULL, "%s: kind %s has details", name,
	        kind))
		goto out;
	dd = d->detail;
	memset(&pc, 0, sizeof(pc));
	s = jstr(tc, "provider");
	snprintf(pc.name, sizeof(pc.name), "%s", s ? s : kind);
	pc.driver = d;
	pc.base_url = arena_printf(a, "http://127.0.0.1:9/%s", pc.name);
	pc.api_key = arena_printf(a, "k-%s", pc.name);
	pc.api_secret =
	    d->needs_secret ? arena_printf(a, "s-%s", pc.name) : NULL;
	pc.timeout_ms = 1000;
	/* the kind's own keys (twilio's account_sid), as configured */
	if (json_object_object_get_ex(tc, "extra", &v)) {
		json_object_object_foreach(v, xk, xv)
		{
			if (pc.nextra == CONF_MAX_EXTRA)
				break;
			pc.extra[pc.nextra].name = arena_strdup(a, xk);
			pc.extra[pc.nextra].value =
			    arena_strdup(a, json_object_get_string(xv));
			pc.nextra++;
		}
	}
	memset(&rq, 0, sizeof(rq));
	rq.pc = &pc;
	rq.native_id = jstr(tc, "native_id");
	rq.now_ms = json_object_object_get_ex(tc, "now_ms", &v)
	    ? json_object_get_int64(v)
	    : 0;
	if (json_object_object_get_ex(tc, "expect_requests", &exp)) {
		json_object *got = json_object_new_array(), *h, *one;
		for (i = 0; i < dd->nparts; i++) {
			struct upreq r;
			memset(&r, 0, sizeof(r));
			if (!ok(dd->prepare(&rq, i, a, &r) == CN_OK,
			        "%s: prepare part %zu", name, i))
				break;
			one = json_object_new_object();
			json_object_object_add(
			    one, "method", json_object_new_string(r.method));
			json_object_object_add(
			    one, "url", json_object_new_string(r.url));
			h = json_object_new_array();
			for (k = 0; k < r.nheaders; k++)
				json_object_array_add(
				    h, json_object_new_string(r.headers[k]));
			json_object_object_add(one, "headers", h);
			json_object_array_add(got, one);
		}
		same_json(got, exp, "upstream requests", name);
		json_object_put(got);
	}
	if (!json_object_object_get_ex(tc, "responses", &resps) ||
	    !ok(json_object_array_length(resps) == dd->nparts,
	        "%s: one answer per part", name))
		goto out;
	for (i = 0; i < dd->nparts; i++) {
		json_object *r = json_object_array_get_idx(resps, i), *body;
		const char *text;
		resp[i].status = json_object_object_get_ex(r, "status", &v)
		    ? json_object_get_int(v)
		    : 200;
		json_object_object_get_ex(r, "body", &body);
		text = json_object_is_type(body, json_type_string)
		    ? json_object_get_string(body)
		    : json_object_to_json_string_ext(
		          body, JSON_C_TO_STRING_PLAIN);
		resp[i].body = arena_strdup(a, text);
		resp[i].len = strlen(resp[i].body);
	}
	memset(&det, 0, sizeof(det));
	err[0] = '\0';
	e = dd->decode(&rq, resp, a, &det, err, sizeof(err));
	s = jstr(tc, "expect_error");
	if (s != NULL) {
		is_str(e == CN_OK ? "OK" : cn_err_code(e), s,
		    "%s: decode error code (%s)", name, err);
		if (json_object_object_get_ex(tc, "expect_err_part", &v))
			is_int((int64_t)det.err_part, json_object_get_int(v),
			    "%s: the failed part", name);
		goto out;
	}
	if (!ok(e == CN_OK, "%s: decode succeeds (%s)", name, err))
		goto out;
	if (json_object_object_get_ex(tc, "expect", &exp)) {
		struct buf b;
		json_object *got;
		int raw = json_object_object_get_ex(tc, "include_raw", &v) &&
		    json_object_get_boolean(v);
		buf_init(&b, 64u * 1024 * 1024);
		page_write_call(&b, &det.call, false);
		b.len--;
		detail_write(&b, &det, dd, raw);
		buf_addc(&b, '}');
		got = json_tokener_parse(buf_cstr(&b));
		if (ok(got != NULL, "%s: the detail is JSON", name)) {
			/* only the keys the fixture names are compared */
			json_object_object_foreach(exp, key, want)
			{
				json_object *g = NULL;
				char what[80];
				snprintf(what, sizeof(what), "%s", key);
				if (!ok(json_object_object_get_ex(got, key, &g),
				        "%s: has %s", name, key))
					continue;
				same_json(g, want, what, name);
			}
			/* and every key of the schema is there */
			{
				static const char *const keys[] = { "id",
					"provider", "provider_kind",
					"native_id", "type", "direction",
					"status", "end_reason",
					"provider_status", "from", "to",
					"agent", "started_at", "ended_at",
					"duration_ms", "is_test", "campaign_id",
					"tags", "metadata", "transcript",
					"summary", "recording_url",
					"recording_expires_at", "cost" };
				size_t n = 0;
				for (k = 0; k < sizeof(keys) / sizeof(keys[0]);
				     k++)
					n += json_object_object_get_ex(
					    got, keys[k], NULL);
				is_int((int64_t)n,
				    (int64_t)(sizeof(keys) / sizeof(keys[0])),
				    "%s: every key is present", name);
			}
		}
		json_object_put(got);
		buf_free(&b);
	}
out:
	json_object_put(tc);
	arena_free(a);
}

static int
cmp(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

static void
test_fixtures(void)
{
	char path[4096], *names[512];
	struct dirent *de;
	size_t k, n, i;
	DIR *dir;

	for (k = 0; drivers[k] != NULL; k++) {
		const char *kind = drivers[k]->kind;
		snprintf(path, sizeof(path), "%s/%s",
		    srcpath("tests/data/details"), kind);
		dir = opendir(path);
		/* a kind with details cannot land untested; one without has
		 * no fixtures to run */
		if (drivers[k]->detail == NULL) {
			ok(dir == NULL, "kind %s: no details, no fixtures",
			    kind);
			if (dir != NULL)
				closedir(dir);
			continue;
		}
		if (!ok(dir != NULL, "kind %s has detail fixtures", kind))
			continue;
		n = 0;
		while ((de = readdir(dir)) != NULL && n < 512)
			if (strlen(de->d_name) > 5 &&
			    strcmp(de->d_name + strlen(de->d_name) - 5,
			        ".json") == 0)
				names[n++] = strdup(de->d_name);
		closedir(dir);
		qsort(names, n, sizeof(char *), cmp);
		for (i = 0; i < n; i++) {
			char full[8192], label[512];
			snprintf(full, sizeof(full), "%s/%s", path, names[i]);
			snprintf(label, sizeof(label), "%s/%s", kind, names[i]);
			run_case(full, label);
			free(names[i]);
		}
	}
	ok(driver_find("talkover") != NULL &&
	        driver_find("talkover")->detail == NULL,
	    "talkover has no way to fetch one call");
}

int
main(void)
{
	test_credentials();
	test_raw_write();
	test_ids();
	test_query();
	test_decimal();
	test_fixtures();
	return done_testing();
}
