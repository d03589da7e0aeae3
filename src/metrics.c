#include "metrics.h"

#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include "buf.h"
#include "conf.h"
#include "ratelimit.h"

static const int statuses[] = { 200, 400, 403, 404, 405, 429, 500, 501, 502,
	504 };
#define NSTATUS (sizeof(statuses) / sizeof(statuses[0]) + 1)

static const double buckets[] = { 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
	2.5, 5, 10 };
#define NBUCKET (sizeof(buckets) / sizeof(buckets[0]))

static const char *const route_names[R__MAX] = { "calls", "providers",
	"healthz", "metrics", "call", "openapi", "other" };

struct upstream_stats {
	uint64_t outcome[CN_ERR__MAX];
	uint64_t bucket[NBUCKET + 1];
	uint64_t count;
	uint64_t sum_us;
	uint64_t connections;
	uint64_t rl_delayed;
	uint64_t rl_refused;
};

struct shared {
	int64_t in_flight;
	int64_t threads, threads_waiting;
	uint64_t requests[R__MAX][NSTATUS];
	struct upstream_stats up[CONF_MAX_PROVIDERS];
};

static struct shared *m;

int
metrics_init(size_t nproviders)
{
	(void)nproviders;
	if (m != NULL)
		return 0;
	m = mmap(NULL, sizeof(*m), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED) {
		m = NULL;
		return -1;
	}
	return 0;
}

#define ADD(p, v) __atomic_fetch_add((p), (v), __ATOMIC_RELAXED)
#define LOAD(p) __atomic_load_n((p), __ATOMIC_RELAXED)

void
metrics_threads(int threads, int waiting)
{
	if (m == NULL)
		return;
	if (threads != 0)
		ADD(&m->threads, threads);
	if (waiting != 0)
		ADD(&m->threads_waiting, waiting);
}

void
metrics_request_start(void)
{
	if (m != NULL)
		ADD(&m->in_flight, 1);
}

void
metrics_request_end(enum route_id r, int status)
{
	size_t i;

	if (m == NULL)
		return;
	ADD(&m->in_flight, -1);
	for (i = 0; i < NSTATUS - 1; i++)
		if (statuses[i] == status)
			break;
	ADD(&m->requests[r][i], 1);
}

void
metrics_upstream(size_t provider, enum cn_err outcome, double seconds)
{
	struct upstream_stats *u;
	size_t i;

	if (m == NULL || provider >= CONF_MAX_PROVIDERS || (int)outcome < 0 ||
	    outcome >= CN_ERR__MAX)
		return;
	u = &m->up[provider];
	ADD(&u->outcome[outcome], 1);
	for (i = 0; i < NBUCKET; i++)
		if (seconds <= buckets[i])
			break;
	ADD(&u->bucket[i], 1);
	ADD(&u->count, 1);
	ADD(&u->sum_us, (uint64_t)(seconds * 1e6));
}

void
metrics_upstream_connections(size_t provider, long n)
{
	if (m == NULL || provider >= CONF_MAX_PROVIDERS || n <= 0)
		return;
	ADD(&m->up[provider].connections, (uint64_t)n);
}

void
metrics_rate_limit(size_t provider, bool refused)
{
	if (m == NULL || provider >= CONF_MAX_PROVIDERS)
		return;
	if (refused)
		ADD(&m->up[provider].rl_refused, 1);
	else
		ADD(&m->up[provider].rl_delayed, 1);
}

#define READABLE(p) ((readable & (UINT64_C(1) << (p))) != 0)

void
metrics_write(struct buf *b, const struct config *c, uint64_t readable)
{
	size_t r, s, p, e, i;
	uint64_t cum;
	struct upstream_stats *u;
	int up;

	if (m == NULL)
		return;
	buf_adds(b,
	    "# HELP callnorm_requests_total Requests answered, by route "
	    "and HTTP status.\n# TYPE callnorm_requests_total counter\n");
	for (r = 0; r < R__MAX; r++)
		for (s = 0; s < NSTATUS; s++) {
			uint64_t v = LOAD(&m->requests[r][s]);
			if (v == 0 && !(r == R_HEALTHZ && s == 0))
				continue;
			if (s < NSTATUS - 1)
				buf_printf(b,
				    "callnorm_requests_total{route=\"%s\","
				    "status=\"%d\"} %llu\n",
				    route_names[r], statuses[s],
				    (unsigned long long)v);
			else
				buf_printf(b,
				    "callnorm_requests_total{route=\"%s\","
				    "status=\"other\"} %llu\n",
				    route_names[r], (unsigned long long)v);
		}
	buf_adds(b,
	    "# HELP callnorm_requests_in_flight Requests being "
	    "answered now.\n# TYPE callnorm_requests_in_flight gauge\n");
	buf_printf(b, "callnorm_requests_in_flight %lld\n",
	    (long long)LOAD(&m->in_flight));
	buf_printf(b,
	    "# HELP callnorm_threads Request threads running, in every "
	    "worker process.\n# TYPE callnorm_threads gauge\n"
	    "callnorm_threads %lld\n"
	    "# HELP callnorm_threads_idle Request threads waiting for a "
	    "connection.\n# TYPE callnorm_threads_idle gauge\n"
	    "callnorm_threads_idle %lld\n",
	    (long long)LOAD(&m->threads), (long long)LOAD(&m->threads_waiting));
	buf_adds(b,
	    "# HELP callnorm_upstream_requests_total Upstream requests, "
	    "by provider and outcome.\n# TYPE "
	    "callnorm_upstream_requests_total counter\n");
	for (p = 0; p < c->nproviders; p++)
		for (e = 0; e < CN_ERR__MAX && READABLE(p); e++) {
			uint64_t v = LOAD(&m->up[p].outcome[e]);
			if (v == 0 && e != CN_OK)
				continue;
			buf_printf(b,
			    "callnorm_upstream_requests_total{provider="
			    "\"%s\",outcome=\"%s\"} %llu\n",
			    c->providers[p].name,
			    e == CN_OK ? "ok" : cn_err_code((enum cn_err)e),
			    (unsigned long long)v);
		}
	buf_adds(b,
	    "# HELP callnorm_upstream_connections_total Upstream "
	    "connections opened, by provider; requests beyond this "
	    "count reused a kept-alive connection.\n# TYPE "
	    "callnorm_upstream_connections_total counter\n");
	for (p = 0; p < c->nproviders; p++)
		if (READABLE(p))
			buf_printf(b,
			    "callnorm_upstream_connections_total{"
			    "provider=\"%s\"} %llu\n",
			    c->providers[p].name,
			    (unsigned long long)LOAD(&m->up[p].connections));
	buf_adds(b,
	    "# HELP callnorm_rate_limit_delayed_total Upstream requests "
	    "that waited for a rate_limit slot or a provider's pause, by "
	    "provider.\n# TYPE callnorm_rate_limit_delayed_total "
	    "counter\n");
	for (p = 0; p < c->nproviders; p++)
		if (READABLE(p))
			buf_printf(b,
			    "callnorm_rate_limit_delayed_total{provider="
			    "\"%s\"} %llu\n",
			    c->providers[p].name,
			    (unsigned long long)LOAD(&m->up[p].rl_delayed));
	buf_adds(b,
	    "# HELP callnorm_rate_limit_refused_total Upstream requests "
	    "not sent because the slot came after the request's deadline, "
	    "by provider.\n# TYPE callnorm_rate_limit_refused_total "
	    "counter\n");
	for (p = 0; p < c->nproviders; p++)
		if (READABLE(p))
			buf_printf(b,
			    "callnorm_rate_limit_refused_total{provider="
			    "\"%s\"} %llu\n",
			    c->providers[p].name,
			    (unsigned long long)LOAD(&m->up[p].rl_refused));
	if ((up = rl_shared_state_up()) >= 0)
		buf_printf(b,
		    "# HELP callnorm_shared_state_up Whether Redis "
		    "(shared_state) answers.\n# TYPE callnorm_shared_state_up "
		    "gauge\ncallnorm_shared_state_up %d\n",
		    up);
	buf_adds(b,
	    "# HELP callnorm_upstream_duration_seconds Upstream request "
	    "latency.\n# TYPE callnorm_upstream_duration_seconds "
	    "histogram\n");
	for (p = 0; p < c->nproviders; p++) {
		if (!READABLE(p))
			continue;
		u = &m->up[p];
		cum = 0;
		for (i = 0; i <= NBUCKET; i++) {
			cum += LOAD(&u->bucket[i]);
			if (i < NBUCKET)
				buf_printf(b,
				    "callnorm_upstream_duration_seconds_"
				    "bucket{provider=\"%s\",le=\"%g\"} "
				    "%llu\n",
				    c->providers[p].name, buckets[i],
				    (unsigned long long)cum);
			else
				buf_printf(b,
				    "callnorm_upstream_duration_seconds_"
				    "bucket{provider=\"%s\",le=\"+Inf\"} "
				    "%llu\n",
				    c->providers[p].name,
				    (unsigned long long)cum);
		}
		buf_printf(b,
		    "callnorm_upstream_duration_seconds_sum{provider="
		    "\"%s\"} %.6f\n",
		    c->providers[p].name, (double)LOAD(&u->sum_us) / 1e6);
		buf_printf(b,
		    "callnorm_upstream_duration_seconds_count{"
		    "provider=\"%s\"} %llu\n",
		    c->providers[p].name, (unsigned long long)LOAD(&u->count));
	}
}

void
metrics_forget_providers(void)
{
	if (m != NULL)
		memset(m->up, 0, sizeof(m->up));
}
