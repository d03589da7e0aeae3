#include "app.h"
#include "calls.h"

#include <stdio.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "arena.h"
#include "conf.h"
#include "detail.h"
#include "filter.h"
#include "http.h"
#include "log.h"
#include "metrics.h"
#include "openapi.h"
#include "provider.h"
#include "timefmt.h"

#define ARENA_CHUNK (64 * 1024)
#define ARENA_CAP (512u * 1024 * 1024)
#define BODY_KEEP (256u * 1024)

struct worker *
worker_new(struct app *app)
{
	struct worker *w;

	w = calloc(1, sizeof(*w));
	if (w == NULL)
		return NULL;
	w->app = app;
	w->arena = arena_new(ARENA_CHUNK, ARENA_CAP);
	w->http = http_new();
	if (w->arena == NULL || w->http == NULL) {
		worker_free(w);
		return NULL;
	}
	response_init(&w->rs);
	return w;
}

void
worker_free(struct worker *w)
{
	if (w == NULL)
		return;
	arena_free(w->arena);
	http_free(w->http);
	response_free(&w->rs);
	free(w);
}

static const char *const route_names[R__MAX] = { "/calls", "/providers",
	"/healthz", "/metrics", "/calls/{id}", "/openapi.json", "-" };

static enum route_id
route_of(const char *path)
{
	if (strcmp(path, "/calls") == 0)
		return R_CALLS;
	if (strcmp(path, "/providers") == 0)
		return R_PROVIDERS;
	if (strcmp(path, "/healthz") == 0)
		return R_HEALTHZ;
	if (strcmp(path, "/metrics") == 0)
		return R_METRICS;
	if (strcmp(path, "/openapi.json") == 0)
		return R_OPENAPI;
	/* "/calls/" alone names no call: an unknown route, as before */
	if (strncmp(path, "/calls/", 7) == 0 && path[7] != '\0')
		return R_CALL;
	return R_OTHER;
}

static void handle_metrics(
    struct worker *, struct request *, struct response *);

void
app_handle(struct worker *w, struct request *rq)
{
	struct response *rs = &w->rs;
	enum route_id r;
	const char *path = rq->path_info;

	rq->start_us = time_mono_us();
	rq->arena = w->arena;
	rq->worker = w;
	request_id_init(rq);
	response_reset(rs);
	metrics_request_start();
	if (path == NULL || *path == '\0')
		path = "/";
	r = route_of(path);
	rq->route = route_names[r];
	if (rq->method != NULL && strlen(rq->method) < sizeof(rq->method_copy))
		memcpy(rq->method_copy, rq->method, strlen(rq->method) + 1);
	log_user(rq->remote_user, rq->user_log, sizeof(rq->user_log));
	if (r == R_OTHER) {
		problem_respond(rq, rs, CN_NOT_FOUND, "no such route", NULL);
		goto out;
	}
	if (rq->method == NULL ||
	    (strcmp(rq->method, "GET") != 0 &&
	        strcmp(rq->method, "HEAD") != 0)) {
		problem_respond(rq, rs, CN_METHOD_NOT_ALLOWED,
		    "only GET and HEAD are allowed", NULL);
		goto out;
	}
	switch (r) {
	case R_CALLS:
		handle_calls(w, rq, rs);
		break;
	case R_PROVIDERS:
		handle_providers(w, rq, rs);
		break;
	case R_HEALTHZ:
		response_json(rs, 200);
		buf_adds(&rs->body, "{\"status\":\"ok\"}");
		break;
	case R_METRICS:
		handle_metrics(w, rq, rs);
		break;
	case R_CALL:
		handle_call(w, rq, rs);
		break;
	case R_OPENAPI:
		/* docs/openapi.json, compiled in: the description of exactly
		 * this binary, wherever (or whether) its docs are installed */
		response_json(rs, 200);
		buf_add(&rs->body, openapi_json, openapi_json_len);
		break;
	case R_OTHER:
	case R__MAX:
		break;
	}
	if (rs->body.failed || rs->headers.failed) {
		log_warnx("request %s: response too large or out of memory",
		    rq->request_id);
		problem_respond(rq, rs, CN_INTERNAL,
		    "the response could not be built", NULL);
	}
out:
	/* A detail carries recording URLs (bearer secrets): no cache may
	 * keep any answer of its route, errors included. */
	if (r == R_CALL)
		rs->cache_control = "private, no-store";
	metrics_request_end(r, rs->status);
}

void
worker_end_request(struct worker *w, struct request *rq)
{
	log_request(rq->request_id, rq->method_copy, rq->route, w->rs.status,
	    (time_mono_us() - rq->start_us) / 1000, rq->upstream_summary,
	    !rq->undelivered, rq->user_log,
	    w->rs.problem != CN_OK ? cn_err_code(w->rs.problem) : NULL);
	arena_reset(w->arena);
	/* A thread keeps a small answer's buffer for the next request; a
	 * big one (a 1,000-call page is about a megabyte) goes back at once,
	 * so that memory does not grow with the number of threads that once
	 * answered a big page. */
	if (w->rs.body.size > BODY_KEEP) {
		buf_free(&w->rs.body);
		/* and the free pages such a request left inside malloc's heaps */
		malloc_trim(0);
	}
}

/*
 * /metrics names providers, so with [access] it follows the rules of
 * /providers: no REMOTE_USER, no answer, and only the series of the
 * providers the caller may read.  A user who may read none gets 403 too:
 * the process-wide series (request counts by route and status) are for
 * callers who may read something, such as a scraper given a line of its
 * own.
 */
static void
handle_metrics(struct worker *w, struct request *rq, struct response *rs)
{
	const struct config *c = w->app->conf;
	uint64_t mask;

	if (conf_access(c, rq->remote_user, &mask) < 0) {
		problem_respond(rq, rs, CN_ACCESS_DENIED,
		    "this server requires an authenticated user", NULL);
		return;
	}
	if (c->has_access && mask == 0) {
		problem_respond(rq, rs, CN_ACCESS_DENIED,
		    "this user may read no provider", NULL);
		return;
	}
	rs->status = 200;
	rs->content_type = "text/plain; version=0.0.4; charset=utf-8";
	metrics_write(&rs->body, c, mask);
}

void
handle_providers(struct worker *w, struct request *rq, struct response *rs)
{
	const struct config *c = w->app->conf;
	const struct driver *d;
	struct buf *b = &rs->body;
	uint64_t mask;
	size_t i;
	int first = 1;
	unsigned all = (1u << F__MAX) - 1;

	if (conf_access(c, rq->remote_user, &mask) < 0) {
		problem_respond(rq, rs, CN_ACCESS_DENIED,
		    "this server requires an authenticated user", NULL);
		return;
	}
	if (c->has_access && mask == 0) {
		problem_respond(rq, rs, CN_ACCESS_DENIED,
		    "this user may read no provider", NULL);
		return;
	}
	response_json(rs, 200);
	buf_adds(b, "{\"data\":[");
	for (i = 0; i < c->nproviders; i++) {
		if (!(mask & (UINT64_C(1) << i)))
			continue;
		d = c->providers[i].driver;
		if (!first)
			buf_addc(b, ',');
		first = 0;
		buf_adds(b, "{\"name\":");
		buf_json_cstr(b, c->providers[i].name);
		buf_adds(b, ",\"kind\":");
		buf_json_cstr(b, d->kind);
		buf_adds(b, ",\"capabilities\":{\"filters_pushed_down\":");
		filter_names_json(b, d->can_push);
		buf_adds(b, ",\"filters_local\":");
		filter_names_json(b, d->can_check);
		buf_adds(b, ",\"filters_unsupported\":");
		filter_names_json(b, all & ~(d->can_push | d->can_check));
		buf_adds(
		    b, ",\"orders\":[\"desc\",\"asc\"],\"native_orders\":[");
		if (d->native_orders & 1)
			buf_adds(b, "\"desc\"");
		if ((d->native_orders & 3) == 3)
			buf_addc(b, ',');
		if (d->native_orders & 2)
			buf_adds(b, "\"asc\"");
		buf_printf(b,
		    "],\"max_page_size\":%d,\"pagination\":", d->max_page_size);
		buf_json_cstr(b, paging_names[d->paging]);
		buf_adds(b, "}}");
	}
	buf_adds(b, "]}");
}
