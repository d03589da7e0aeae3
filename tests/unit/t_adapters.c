/*
 * Data-driven driver tests: every tests/data/adapters/<kind>/<case>.json
 * describes a unified query, what the driver must send upstream, an
 * upstream answer, and the records or error it must produce.
 * Expectations are compared as JSON values with json-c, the reference
 * parser, independent of our own.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "arena.h"
#include "buf.h"
#include "conf.h"
#include "filter.h"
#include "page.h"
#include "provider.h"
#include "query.h"
#include "tap.h"
#include "timefmt.h"

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
jint(json_object *o, const char *k, int def)
{
	json_object *v;

	if (!json_object_object_get_ex(o, k, &v))
		return def;
	return json_object_get_int(v);
}

/*
 * "fill": {"mark": "@@", "char": "a", "count": N} replaces every mark in
 * the body with N copies of char, so a fixture can hold a field of
 * megabytes without being one.
 */
static char *
fill(struct arena *a, json_object *tc, const char *text)
{
	json_object *f;
	const char *mark, *ch, *at;
	size_t count, ml, n = 0;
	struct buf b;
	char *out;

	if (!json_object_object_get_ex(tc, "fill", &f))
		return arena_strdup(a, text);
	mark = jstr(f, "mark");
	ch = jstr(f, "char");
	count = (size_t)jint(f, "count", 0);
	if (mark == NULL || *mark == '\0' || ch == NULL || *ch == '\0')
		return arena_strdup(a, text);
	ml = strlen(mark);
	buf_init(&b, 256u * 1024 * 1024);
	while ((at = strstr(text, mark)) != NULL) {
		buf_add(&b, text, (size_t)(at - text));
		for (n = 0; n < count; n++)
			buf_addc(&b, *ch);
		text = at + ml;
	}
	buf_add(&b, text, strlen(text));
	out = arena_strdup(a, buf_cstr(&b));
	buf_free(&b);
	return out;
}

static json_object *
filters_json(unsigned mask)
{
	json_object *a = json_object_new_array();
	int f;

	for (f = 0; f < F__MAX; f++)
		if (mask & (1u << f))
			json_object_array_add(
			    a, json_object_new_string(filter_names[f]));
	return a;
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
	json_object *tc, *v, *exp;
	struct provider_conf pc;
	const struct driver *d;
	struct query q;
	struct qerrors qe;
	struct plan plan;
	struct fetch f;
	struct upreq r;
	struct upresp resp;
	struct uppage pg;
	const char *kind, *qs, *s;
	char err[256];
	enum cn_err e;
	size_t i;

	tc = json_object_from_file(path);
	if (!ok(tc != NULL, "%s: fixture parses", name))
		goto out;
	kind = jstr(tc, "kind");
	d = kind ? driver_find(kind) : NULL;
	if (!ok(d != NULL, "%s: kind %s is registered", name, kind))
		goto out;
	memset(&pc, 0, sizeof(pc));
	s = jstr(tc, "provider");
	snprintf(pc.name, sizeof(pc.name), "%s", s ? s : kind);
	pc.driver = d;
	pc.base_url = arena_printf(a, "http://127.0.0.1:9/%s", pc.name);
	pc.api_key = arena_printf(a, "k-%s", pc.name);
	pc.api_secret =
	    d->needs_secret ? arena_printf(a, "s-%s", pc.name) : NULL;
	pc.timeout_ms = 1000;
	pc.start_lag_ms = jint(tc, "start_lag_ms", 300000);
	/* "extra": {"name": "value"}: the kind's own keys (driver.keys) */
	if (json_object_object_get_ex(tc, "extra", &v)) {
		json_object_object_foreach(v, xk, xv)
		{
			if (pc.nextra == CONF_MAX_EXTRA)
				break;
			pc.extra[pc.nextra].name = arena_strdup(a, xk);
			pc.extra[pc.nextra++].value =
			    arena_strdup(a, json_object_get_string(xv));
		}
	}
	qs = jstr(tc, "query");
	if (qs == NULL)
		qs = "";
	if (!ok(query_parse(a, qs, strlen(qs), &q, &qe) == 0,
	        "%s: query parses", name))
		goto out;
	filter_plan(d, &q, &plan);
	if (json_object_object_get_ex(tc, "expect_plan", &exp)) {
		json_object *got = json_object_new_object();
		json_object_object_add(
		    got, "pushed", filters_json(plan.pushed));
		json_object_object_add(got, "exact", filters_json(plan.exact));
		json_object_object_add(got, "local", filters_json(plan.local));
		json_object_object_add(
		    got, "unsupported", filters_json(plan.unsupported));
		json_object_object_add(
		    got, "empty", json_object_new_boolean(plan.empty));
		same_json(got, exp, "plan", name);
		json_object_put(got);
	}
	memset(&f, 0, sizeof(f));
	f.pc = &pc;
	f.q = &q;
	f.plan = &plan;
	s = jstr(tc, "order");
	f.order =
	    s ? (strcmp(s, "asc") == 0 ? ORDER_ASC : ORDER_DESC) : q.order;
	f.page_size = jint(tc, "page_size", 100);
	/* the query's bounds, as the engine gives them; "window" narrows
	 * them as a windowed walk does, and "walk" picks a second walk */
	f.after.set = query_has(&q, QP_STARTED_AFTER);
	f.after.v = q.started_after;
	f.before.set = query_has(&q, QP_STARTED_BEFORE);
	f.before.v = q.started_before;
	if (json_object_object_get_ex(tc, "window", &v)) {
		s = jstr(v, "after");
		f.after.set = s != NULL &&
		    time_parse_rfc3339(s, strlen(s), &f.after.v) == 0;
		s = jstr(v, "before");
		f.before.set = s != NULL &&
		    time_parse_rfc3339(s, strlen(s), &f.before.v) == 0;
	}
	f.walk = jint(tc, "walk", 0);
	if (json_object_object_get_ex(tc, "expect_walks", &v))
		is_int(d->walks ? d->walks(&q, &plan) : 1,
		    json_object_get_int(v), "%s: walks", name);
	if (json_object_object_get_ex(tc, "position", &v)) {
		f.pos.page = jint(v, "page", 0);
		s = jstr(v, "token");
		f.pos.token = s ? arena_strdup(a, s) : NULL;
	}
	if (json_object_object_get_ex(tc, "expect_request", &exp)) {
		json_object *got = json_object_new_object(), *h;
		memset(&r, 0, sizeof(r));
		e = d->prepare(&f, a, &r);
		if (ok(e == CN_OK, "%s: prepare succeeds", name)) {
			json_object_object_add(
			    got, "method", json_object_new_string(r.method));
			json_object_object_add(
			    got, "url", json_object_new_string(r.url));
			h = json_object_new_array();
			for (i = 0; i < r.nheaders; i++)
				json_object_array_add(
				    h, json_object_new_string(r.headers[i]));
			json_object_object_add(got, "headers", h);
			json_object_object_add(got, "body",
			    r.body ? json_tokener_parse(r.body) : NULL);
			same_json(got, exp, "upstream request", name);
		}
		json_object_put(got);
	}
	if (json_object_object_get_ex(tc, "response", &v)) {
		json_object *body;
		const char *text;
		memset(&resp, 0, sizeof(resp));
		memset(&pg, 0, sizeof(pg));
		resp.status = jint(v, "status", 200);
		json_object_object_get_ex(v, "body", &body);
		text = json_object_is_type(body, json_type_string)
		    ? json_object_get_string(body)
		    : json_object_to_json_string_ext(
		          body, JSON_C_TO_STRING_PLAIN);
		resp.body = fill(a, tc, text);
		resp.len = strlen(resp.body);
		e = d->decode(&f, &resp, a, &pg, err, sizeof(err));
		s = jstr(tc, "expect_error");
		if (s != NULL) {
			is_str(e == CN_OK ? "OK" : cn_err_code(e), s,
			    "%s: decode error code", name);
		} else if (ok(e == CN_OK, "%s: decode succeeds (%s)", name,
		               e == CN_OK ? "" : err)) {
			if (json_object_object_get_ex(
			        tc, "expect_page", &exp)) {
				json_object *got = json_object_new_object();
				json_object_object_add(got, "last",
				    json_object_new_boolean(pg.last));
				json_object_object_add(got, "next_token",
				    pg.next.token
				        ? json_object_new_string(pg.next.token)
				        : NULL);
				json_object_object_add(got, "has_total",
				    json_object_new_boolean(pg.has_total));
				json_object_object_add(got, "total",
				    json_object_new_int64(
				        pg.has_total ? pg.total : -1));
				json_object_object_add(got, "last_page",
				    json_object_new_int64(pg.last_page));
				/* only the keys the fixture names are compared */
				json_object_object_foreach(got, key, val)
				{
					json_object *w;
					(void)val;
					if (!json_object_object_get_ex(
					        exp, key, &w))
						json_object_object_del(
						    got, key);
				}
				same_json(got, exp, "page facts", name);
				json_object_put(got);
			}
			if (json_object_object_get_ex(
			        tc, "expect_records", &exp)) {
				struct buf b;
				json_object *got;
				int raw = jint(tc, "include_raw", 0);
				buf_init(&b, 64u * 1024 * 1024);
				buf_addc(&b, '[');
				for (i = 0; i < pg.n; i++) {
					if (i > 0)
						buf_addc(&b, ',');
					page_write_call(&b, &pg.calls[i], raw);
				}
				buf_addc(&b, ']');
				got = json_tokener_parse(buf_cstr(&b));
				ok(got != NULL, "%s: records serialise to JSON",
				    name);
				if (got != NULL) {
					size_t ng =
					    json_object_array_length(got);
					size_t nw =
					    json_object_array_length(exp);
					is_int((int64_t)ng, (int64_t)nw,
					    "%s: record count", name);
					for (i = 0; i < ng && i < nw; i++) {
						char what[64];
						snprintf(what, sizeof(what),
						    "record %zu", i);
						same_json(
						    json_object_array_get_idx(
						        got, i),
						    json_object_array_get_idx(
						        exp, i),
						    what, name);
					}
				}
				json_object_put(got);
				buf_free(&b);
			}
			if (json_object_object_get_ex(
			        tc, "expect_created", &exp)) {
				char ts[40];
				for (i = 0; i < pg.n &&
				     i < json_object_array_length(exp);
				     i++) {
					const struct opt_i64 *t =
					    &pg.calls[i].created_at;
					if (!t->set ||
					    time_format_ms(
					        t->v, ts, sizeof(ts)) == 0)
						snprintf(
						    ts, sizeof(ts), "null");
					is_str(ts,
					    json_object_get_string(
					        json_object_array_get_idx(
					            exp, i)),
					    "%s: created_at %zu", name, i);
				}
			}
			if (json_object_object_get_ex(
			        tc, "expect_transcripts", &exp)) {
				for (i = 0; i < pg.n &&
				     i < json_object_array_length(exp);
				     i++)
					is_str(pg.calls[i].transcript,
					    json_object_get_string(
					        json_object_array_get_idx(
					            exp, i)),
					    "%s: transcript %zu", name, i);
			}
		}
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

int
main(void)
{
	char path[4096], *names[1024];
	struct dirent *de;
	size_t k, n, i;
	DIR *dir;

	/* every registered kind, so a new kind cannot land untested */
	for (k = 0; drivers[k] != NULL; k++) {
		const char *kind = drivers[k]->kind;
		snprintf(
		    path, sizeof(path), "%s", srcpath("tests/data/adapters"));
		strncat(path, "/", sizeof(path) - strlen(path) - 1);
		strncat(path, kind, sizeof(path) - strlen(path) - 1);
		dir = opendir(path);
		if (!ok(dir != NULL, "kind %s has fixtures", kind))
			continue;
		n = 0;
		while ((de = readdir(dir)) != NULL && n < 1024)
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
	return done_testing();
}
