/*
 * The host-wide limiter state: one MAP_SHARED anonymous mapping made
 * before workers fork, holding a slot per provider that had a rate_limit
 * at startup (found by name, since a reload may reorder providers), each
 * with a ring of N send times, all guarded by one robust process-shared
 * mutex.  The mapping also holds whether Redis answers, shared by every
 * worker of the host.
 */
#include "ratelimit.h"
#include "timefmt.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "conf.h"
#include "log.h"
#include "metrics.h"
#include "redis.h"

/* Redis is asked again at most this often while it is down. */
#define RL_RETRY_MS 1000

struct slot {
	char name[33];
	int used;
	struct rl_ring ring;
	size_t off; /* into times[] */
};

struct shared {
	pthread_mutex_t mu;
	int configured; /* shared_state set at startup */
	int up; /* Redis answered the last command */
	unsigned epoch; /* one more each time Redis goes down */
	int64_t last_try; /* ms, CLOCK_REALTIME: the last probe while down */
	struct slot slot[CONF_MAX_PROVIDERS];
	int64_t times[];
};

static struct shared *sh;

int
rl_init(const struct config *c)
{
	pthread_mutexattr_t a;
	size_t total = 0, i, off = 0;
	struct rl_url u;

	if (sh != NULL)
		return 0;
	for (i = 0; i < c->nproviders; i++)
		if (c->providers[i].rate_limit_n > 0)
			total += (size_t)c->providers[i].rate_limit_n;
	sh = mmap(NULL, sizeof(*sh) + total * sizeof(int64_t),
	    PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED) {
		sh = NULL;
		return -1;
	}
	if (pthread_mutexattr_init(&a) != 0 ||
	    pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED) != 0 ||
	    pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST) != 0 ||
	    pthread_mutex_init(&sh->mu, &a) != 0)
		return -1;
	pthread_mutexattr_destroy(&a);
	for (i = 0; i < c->nproviders; i++) {
		const struct provider_conf *p = &c->providers[i];
		/* every provider: a 429 pauses one without a limit too */
		memcpy(sh->slot[i].name, p->name, sizeof(p->name));
		sh->slot[i].used = 1;
		sh->slot[i].ring.cap =
		    (uint32_t)(p->rate_limit_n > 0 ? p->rate_limit_n : 0);
		sh->slot[i].off = off;
		off += sh->slot[i].ring.cap;
	}
	if (c->shared_state != NULL) {
		if (rl_parse_url(c->shared_state, &u) != NULL ||
		    redis_configure(&u, c->shared_state_password) < 0)
			return -1;
		sh->configured = 1;
		sh->up = 1; /* until a command fails */
	}
	return 0;
}

static void
lock(void)
{
	if (pthread_mutex_lock(&sh->mu) == EOWNERDEAD)
		pthread_mutex_consistent(&sh->mu);
}

static void
unlock(void)
{
	pthread_mutex_unlock(&sh->mu);
}

static struct slot *
find(const char *name)
{
	size_t i;

	for (i = 0; i < CONF_MAX_PROVIDERS; i++)
		if (sh->slot[i].used && strcmp(sh->slot[i].name, name) == 0)
			return &sh->slot[i];
	return NULL;
}

static void
mark(int up)
{
	if (__atomic_exchange_n(&sh->up, up, __ATOMIC_ACQ_REL) == up)
		return;
	if (!up)
		__atomic_fetch_add(&sh->epoch, 1, __ATOMIC_ACQ_REL);
	if (up)
		log_warnx("shared_state: Redis answers again; the rate "
		          "limits are shared across hosts");
	else
		log_warnx("shared_state: Redis does not answer; each host "
		          "enforces the rate limits on its own until it does");
}

/* Whether this thread may use Redis now: while it is up, or as the one
 * thread that probes it, once a second, while it is down. */
static int
redis_usable(void)
{
	int64_t now, last;

	if (!sh->configured)
		return 0;
	if (__atomic_load_n(&sh->up, __ATOMIC_ACQUIRE))
		return 1;
	now = time_now_ms();
	last = __atomic_load_n(&sh->last_try, __ATOMIC_ACQUIRE);
	if (now - last < RL_RETRY_MS)
		return 0;
	return __atomic_compare_exchange_n(
	    &sh->last_try, &last, now, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}

static void
redis_failed(void)
{
	__atomic_store_n(&sh->last_try, time_now_ms(), __ATOMIC_RELEASE);
	mark(0);
}

enum cn_err
rl_acquire(const struct provider_conf *pc, size_t index, int64_t remaining_ms,
    int64_t *wait_ms)
{
	struct slot *s;
	int granted = 1;

	*wait_ms = 0;
	if (sh == NULL)
		return CN_OK;
	/* Without a limit only a pause holds a request back, and only
	 * Redis or a 429 seen on this host can set one. */
	if (pc->rate_limit_n <= 0 && !sh->configured &&
	    ((s = find(pc->name)) == NULL ||
	        __atomic_load_n(&s->ring.pause_until, __ATOMIC_RELAXED) <= 0))
		return CN_OK;
	if (redis_usable()) {
		if (redis_take(__atomic_load_n(&sh->epoch, __ATOMIC_ACQUIRE),
		        pc->name, pc->rate_limit_n,
		        pc->rate_limit_window_ms + RL_SEND_GUARD_MS,
		        remaining_ms, &granted, wait_ms) == 0) {
			mark(1);
			/* the host's ring holds its own sends either way, so
			 * a fallback to it starts from what was sent */
			if (granted && (s = find(pc->name)) != NULL) {
				lock();
				rl_record(&s->ring, sh->times + s->off,
				    time_now_ms() + *wait_ms);
				unlock();
			}
			goto out;
		}
		redis_failed();
		granted = 1;
	}
	if ((s = find(pc->name)) == NULL)
		return CN_OK; /* a provider new since startup: Redis only */
	lock();
	granted = rl_take(&s->ring, sh->times + s->off,
	    (uint32_t)(pc->rate_limit_n > 0 ? pc->rate_limit_n : 0),
	    pc->rate_limit_window_ms + RL_SEND_GUARD_MS, time_now_ms(),
	    remaining_ms, wait_ms);
	unlock();
out:
	if (!granted) {
		metrics_rate_limit(index, true);
		return CN_PROVIDER_RATE_LIMITED;
	}
	if (*wait_ms > 0)
		metrics_rate_limit(index, false);
	return CN_OK;
}

void
rl_provider_429(const struct provider_conf *pc, int64_t retry_after_ms)
{
	int64_t ms = rl_pause_ms(retry_after_ms);
	struct slot *s;

	if (sh == NULL)
		return;
	/* Kept locally too, for the time Redis may be down. */
	if ((s = find(pc->name)) != NULL) {
		lock();
		rl_pause(&s->ring, time_now_ms() + ms);
		unlock();
	}
	if (redis_usable()) {
		if (redis_pause(__atomic_load_n(&sh->epoch, __ATOMIC_ACQUIRE),
		        pc->name, ms) == 0)
			mark(1);
		else
			redis_failed();
	}
}

int
rl_shared_state_up(void)
{
	if (sh == NULL || !sh->configured)
		return -1;
	/* /metrics tries Redis too, so the gauge recovers without
	 * traffic to a limited provider */
	if (!__atomic_load_n(&sh->up, __ATOMIC_ACQUIRE) && redis_usable()) {
		if (redis_alive(
		        __atomic_load_n(&sh->epoch, __ATOMIC_ACQUIRE)) == 0)
			mark(1);
		else
			redis_failed();
	}
	return __atomic_load_n(&sh->up, __ATOMIC_ACQUIRE);
}
