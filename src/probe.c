/*
 * The probe behind --check-config --probe.  Providers are asked one
 * after another, each within its own timeout_ms: the point is a clear
 * line per provider, not speed.
 */
#include "probe.h"

#include <string.h>

#include "arena.h"
#include "conf.h"
#include "http.h"
#include "provider.h"
#include "query.h"
#include "timefmt.h"

/* What one provider's probe found. */
enum verdict { V_OK, V_SLOW, V_AUTH, V_UNREACHABLE, V_TIMEOUT, V_BAD };

static const char *const verdict_words[] = { "OK", "slow", "auth failed",
	"unreachable", "unreachable (timed out)", "bad answer" };

/* Asks pc for one record; *ms is how long the answer took. */
static enum verdict
probe_one(struct http *h, struct arena *a, const struct provider_conf *pc,
    long *ms, long *status, char *why, size_t whysize)
{
	const struct driver *d = pc->driver;
	struct query q;
	struct qerrors qe;
	struct plan plan;
	struct fetch f;
	struct upreq req;
	struct http_job job, *done;
	struct upresp resp;
	struct uppage pg;
	int budget = 1;
	enum cn_err e;
	enum verdict v;

	*ms = 0;
	*status = 0;
	why[0] = '\0';
	if (query_parse(a, "", 0, &q, &qe) != QUERY_OK)
		return V_BAD;
	memset(&plan, 0, sizeof(plan));
	d->plan(&q, &plan);
	memset(&f, 0, sizeof(f));
	f.pc = pc;
	f.q = &q;
	f.plan = &plan;
	f.order = (d->native_orders & 1u) ? ORDER_DESC : ORDER_ASC;
	f.page_size = 1;
	f.pos.page = d->paging == PAGING_PAGE1 ? 1 : 0;
	memset(&req, 0, sizeof(req));
	if (d->prepare(&f, a, &req) != CN_OK) {
		snprintf(why, whysize, "could not build the request");
		return V_BAD;
	}
	memset(&job, 0, sizeof(job));
	job.req = &req;
	job.timeout_ms = pc->timeout_ms;
	job.allow_http = strncmp(pc->base_url, "http://", 7) == 0;
	job.budget = &budget; /* one request: no retries */
	if (http_start(h, &job, time_mono_ms() + pc->timeout_ms) != CN_OK)
		return V_BAD;
	done = http_wait(h, time_mono_ms() + pc->timeout_ms + 1000);
	if (done == NULL) {
		http_cancel_all(h);
		return V_TIMEOUT;
	}
	*ms = (long)job.elapsed_ms;
	*status = job.status;
	if (job.err == CN_PROVIDER_TIMEOUT)
		v = V_TIMEOUT;
	else if (job.err != CN_OK) {
		snprintf(why, whysize, "%s", job.errmsg);
		v = V_UNREACHABLE;
	} else if (job.status == 401 || job.status == 403)
		v = V_AUTH;
	else {
		resp.status = job.status;
		resp.len = job.body.len;
		resp.body = job.body.data != NULL ? (char *)buf_cstr(&job.body)
		                                  : arena_strdup(a, "");
		memset(&pg, 0, sizeof(pg));
		pg.last_page = -1;
		e = resp.body == NULL
		    ? CN_INTERNAL
		    : d->decode(&f, &resp, a, &pg, why, whysize);
		v = e == CN_OK                     ? V_OK
		    : e == CN_PROVIDER_AUTH_FAILED ? V_AUTH
		    : e == CN_PROVIDER_UNAVAILABLE ? V_UNREACHABLE
		                                   : V_BAD;
		if (v == V_OK &&
		    *ms * 100 >= (long)pc->timeout_ms * PROBE_SLOW_PERCENT)
			v = V_SLOW;
	}
	http_job_release(&job);
	return v;
}

int
probe_providers(const struct config *c, FILE *out)
{
	struct http *h = http_new();
	struct arena *a = arena_new(64 * 1024, 64u * 1024 * 1024);
	char why[200];
	long ms, status;
	size_t i;
	int failed = 0;
	enum verdict v;

	if (h == NULL || a == NULL) {
		http_free(h);
		arena_free(a);
		return -1;
	}
	for (i = 0; i < c->nproviders; i++) {
		const struct provider_conf *pc = &c->providers[i];

		arena_reset(a);
		v = probe_one(h, a, pc, &ms, &status, why, sizeof(why));
		fprintf(out, "  probe %s (%s): %s", pc->name, pc->driver->kind,
		    verdict_words[v]);
		if (v == V_TIMEOUT)
			fprintf(out, " after %d ms", pc->timeout_ms);
		else
			fprintf(out, " in %ld ms", ms);
		if (v == V_SLOW)
			fprintf(out, " (timeout_ms %d)", pc->timeout_ms);
		if (status > 0 && v != V_OK && v != V_SLOW)
			fprintf(out, ", HTTP %ld", status);
		/* the driver's or curl's words: never a key, never a body */
		if (why[0] != '\0' && v != V_OK && v != V_SLOW)
			fprintf(out, ": %s", why);
		fputc('\n', out);
		if (v != V_OK && v != V_SLOW)
			failed++;
	}
	http_free(h);
	arena_free(a);
	return failed;
}
