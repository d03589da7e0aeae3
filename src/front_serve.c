/*
 * A process of request threads and its signals, and the --workers
 * master that keeps N such processes running.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "app.h"
#include "conf.h"
#include "front_int.h"
#include "log.h"
#include "metrics.h"
#include "reload.h"
#include "timefmt.h"

/* Set by the process's main thread, read by every request thread. */
static volatile sig_atomic_t quit;

int
front_quitting(void)
{
	return __atomic_load_n(&quit, __ATOMIC_SEQ_CST);
}

/* Set when a thread can no longer serve; the process then exits 1. */
static volatile sig_atomic_t lost;
static pthread_t main_thread;

void
front_lose_process(void)
{
	__atomic_store_n(&lost, 1, __ATOMIC_SEQ_CST);
	/* wakes serve_process's sigwait, which then shuts down */
	pthread_kill(main_thread, SIGHUP);
}

static void
on_wake(int sig)
{
	(void)sig; /* only interrupts accept() */
}

/* Closes this process's reference to the listening socket (other worker
 * processes keep theirs); fd 0 is pointed at /dev/null so it stays
 * taken. */
static void
stop_listening(int fd)
{
	int null;

	if (fd != 0) {
		close(fd);
		return;
	}
	null = open("/dev/null", O_RDONLY);
	if (null >= 0) {
		dup2(null, 0);
		close(null);
	} else
		close(0);
}

/*
 * The request threads of one process.  A fixed pool (--threads N) starts
 * N threads and keeps them.  A dynamic one (the default) starts min and
 * starts one more whenever a thread takes a connection and fewer than
 * POOL_SPARE are left not answering one, up to max.  It shrinks from the
 * main thread: once a second it notes the fewest threads that waited in
 * accept or about to (not answering a request) at any moment, the
 * low-water mark the threads keep; when over a whole idle period that
 * never fell to POOL_SPARE, the surplus is
 * asked to retire, and threads leave one by one as each finishes a
 * request or wakes from an accept that timed out (SO_RCVTIMEO, the idle
 * period) -- accept() hands connections to the longest-waiting thread,
 * so under a light steady load every thread keeps getting one and none
 * would ever time out by itself.
 *
 * Slots live in one array of max entries that never moves: the main
 * thread's scans (pinned configurations, shutdown) read slots [0, hi)
 * with atomic loads; starting a thread into a slot and joining one
 * happen under mu.
 */
#define POOL_SPARE 4

struct pool {
	struct app *app;
	struct app tmpl; /* copied into a new thread's view */
	int fd;
	int min, max, idle_ms;
	pthread_mutex_t mu;
	pthread_attr_t attr;
	struct thread_arg *ta; /* max slots */
	int hi; /* slots [0, hi) have been used; atomic */
	int nthreads; /* started and not retired; atomic */
	int nwaiting; /* in accept; atomic */
	int nbusy; /* answering a request; atomic */
	int low; /* fewest not busy since the last tick; atomic */
	int retire; /* threads asked to retire; atomic */
	int window_low, ticks; /* the main thread's, over an idle period */
	int64_t last_tick; /* monotonic ms */
	unsigned long served; /* by threads already joined; under mu */
	int64_t warned; /* monotonic ms of the last "cannot start" line */
};

/*
 * Request threads' stack.  The deepest path (a request through curl,
 * OpenSSL and the JSON parser) uses well under 64 KiB (measured: see
 * docs/deploy.md); 256 KiB leaves room.  Sanitizer builds use several
 * times more stack per frame.
 */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define POOL_STACK (2048u * 1024)
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define POOL_STACK (2048u * 1024)
#endif
#endif
#ifndef POOL_STACK
#define POOL_STACK (256u * 1024)
#endif

int
front_pool_idle_ms(const struct pool *p)
{
	return p->idle_ms;
}

void
front_pool_waiting(struct pool *p, int delta)
{
	__atomic_add_fetch(&p->nwaiting, delta, __ATOMIC_SEQ_CST);
	metrics_threads(0, delta);
}

/* Starts a thread in a free slot (under mu); false when none could. */
static bool
pool_start_locked(struct pool *p)
{
	struct thread_arg *t = NULL;
	int i, hi = __atomic_load_n(&p->hi, __ATOMIC_SEQ_CST);

	for (i = 0; i < hi; i++)
		if (!p->ta[i].started ||
		    __atomic_load_n(&p->ta[i].done, __ATOMIC_SEQ_CST)) {
			t = &p->ta[i];
			break;
		}
	if (t == NULL) {
		if (hi == p->max)
			return false;
		t = &p->ta[hi];
		__atomic_store_n(&p->hi, hi + 1, __ATOMIC_SEQ_CST);
	}
	if (t->started) { /* a retired thread: its stack goes back */
		pthread_join(t->tid, NULL);
		t->started = 0;
		p->served += __atomic_load_n(&t->served, __ATOMIC_SEQ_CST);
	}
	t->app = p->app;
	t->pool = p;
	t->view = p->tmpl;
	/* the configuration of the start may be gone by now: each request
	 * pins the current one (pin_conf) before anything reads it */
	t->view.conf = NULL;
	t->fd = p->fd;
	__atomic_store_n(&t->served, 0, __ATOMIC_SEQ_CST);
	__atomic_store_n(&t->pinned, NULL, __ATOMIC_SEQ_CST);
	__atomic_store_n(&t->in_accept, 0, __ATOMIC_SEQ_CST);
	__atomic_store_n(&t->done, 0, __ATOMIC_SEQ_CST);
	__atomic_add_fetch(&p->nthreads, 1, __ATOMIC_SEQ_CST);
	if (pthread_create(&t->tid, &p->attr, front_thread, t) != 0) {
		__atomic_sub_fetch(&p->nthreads, 1, __ATOMIC_SEQ_CST);
		__atomic_store_n(&t->done, 1, __ATOMIC_SEQ_CST);
		return false;
	}
	t->started = 1;
	metrics_threads(1, 0);
	return true;
}

void
front_pool_accepted(struct pool *p)
{
	int busy = __atomic_add_fetch(&p->nbusy, 1, __ATOMIC_SEQ_CST);
	int n = __atomic_load_n(&p->nthreads, __ATOMIC_SEQ_CST);
	int low = __atomic_load_n(&p->low, __ATOMIC_RELAXED);
	int64_t now;
	bool ok;

	/* the fewest threads free to take a connection since the last tick */
	while (n - busy < low &&
	    !__atomic_compare_exchange_n(&p->low, &low, n - busy, false,
	        __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
	if (n - busy >= POOL_SPARE || n >= p->max)
		return;
	pthread_mutex_lock(&p->mu);
	n = __atomic_load_n(&p->nthreads, __ATOMIC_SEQ_CST);
	ok = front_quitting() || n >= p->max ||
	    n - __atomic_load_n(&p->nbusy, __ATOMIC_SEQ_CST) >= POOL_SPARE ||
	    pool_start_locked(p);
	if (!ok) {
		now = time_mono_ms();
		if (p->warned == 0 || now - p->warned >= 10000) {
			p->warned = now;
			log_warnx("cannot start another request thread "
			          "(%d running); requests queue",
			    __atomic_load_n(&p->nthreads, __ATOMIC_SEQ_CST));
		}
	}
	pthread_mutex_unlock(&p->mu);
}

void
front_pool_answered(struct pool *p)
{
	__atomic_sub_fetch(&p->nbusy, 1, __ATOMIC_SEQ_CST);
}

bool
front_pool_may_retire(struct pool *p)
{
	int n = __atomic_load_n(&p->retire, __ATOMIC_SEQ_CST);

	while (n > 0)
		if (__atomic_compare_exchange_n(&p->retire, &n, n - 1, false,
		        __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
			__atomic_sub_fetch(&p->nthreads, 1, __ATOMIC_SEQ_CST);
			metrics_threads(-1, 0);
			return true;
		}
	return false;
}

/* Joins the threads that retired: their stacks go back. */
static void
pool_join_retired(struct pool *p)
{
	int i, hi = __atomic_load_n(&p->hi, __ATOMIC_SEQ_CST);

	pthread_mutex_lock(&p->mu);
	for (i = 0; i < hi; i++)
		if (p->ta[i].started &&
		    __atomic_load_n(&p->ta[i].done, __ATOMIC_SEQ_CST)) {
			pthread_join(p->ta[i].tid, NULL);
			p->ta[i].started = 0;
			p->served +=
			    __atomic_load_n(&p->ta[i].served, __ATOMIC_SEQ_CST);
		}
	pthread_mutex_unlock(&p->mu);
}

/*
 * Once a second, from the main thread: the low-water mark of waiting
 * threads; at the end of each idle period, the surplus over POOL_SPARE
 * is asked to retire (never below min).
 */
static void
pool_tick(struct pool *p)
{
	int64_t now = time_mono_ms();
	int waiting, low, surplus, above;

	if (p->idle_ms == 0 || now - p->last_tick < 1000)
		return;
	p->last_tick = now;
	waiting = __atomic_load_n(&p->nthreads, __ATOMIC_SEQ_CST) -
	    __atomic_load_n(&p->nbusy, __ATOMIC_SEQ_CST);
	low = __atomic_exchange_n(&p->low, waiting, __ATOMIC_SEQ_CST);
	if (waiting < low)
		low = waiting;
	if (p->ticks == 0 || low < p->window_low)
		p->window_low = low;
	pool_join_retired(p);
	if (++p->ticks * 1000 < p->idle_ms)
		return;
	p->ticks = 0;
	surplus = p->window_low - POOL_SPARE;
	above = __atomic_load_n(&p->nthreads, __ATOMIC_SEQ_CST) - p->min;
	if (surplus > above)
		surplus = above;
	__atomic_store_n(
	    &p->retire, surplus > 0 ? surplus : 0, __ATOMIC_SEQ_CST);
}

/*
 * Configurations replaced by a reload in place, until no thread has one
 * pinned any more.
 */
#define MAX_RETIRED 16

struct retired {
	struct config *c[MAX_RETIRED];
	int n;
};

/* Every slot ever used is scanned: one that is free or whose thread
 * retired has pinned NULL. */
static bool
conf_pinned(const struct config *c, struct pool *p)
{
	int i, hi = __atomic_load_n(&p->hi, __ATOMIC_SEQ_CST);

	for (i = 0; i < hi; i++)
		if (__atomic_load_n(&p->ta[i].pinned, __ATOMIC_SEQ_CST) == c)
			return true;
	return false;
}

/* Frees the retired configurations no request uses any more. */
static void
reclaim(struct retired *r, struct pool *p)
{
	int i, k = 0;

	for (i = 0; i < r->n; i++)
		if (conf_pinned(r->c[i], p))
			r->c[k++] = r->c[i];
		else
			conf_free(r->c[i]);
	r->n = k;
}

/*
 * SIGHUP in a single process: the new configuration, once valid, takes
 * over for every request accepted from now on; a request already being
 * answered finishes with the one it started with, freed afterwards.
 */
static void
reload_in_place(struct app *app, struct pool *p, struct retired *r)
{
	struct config *c, *old = app->conf;
	struct timespec tick = { 0, 10 * 1000000 };

	log_warnx("SIGHUP: reloading %s", app->conf_path);
	c = reload_config(app);
	if (c == NULL)
		return;
	while (r->n == MAX_RETIRED) { /* a reload storm: wait a little */
		reclaim(r, p);
		if (r->n == MAX_RETIRED)
			nanosleep(&tick, NULL);
	}
	if (!reload_same_providers(old, c))
		metrics_forget_providers();
	__atomic_store_n(&app->conf, c, __ATOMIC_SEQ_CST);
	r->c[r->n++] = old;
	reclaim(r, p);
	reload_log_serving("reloaded", c, app->listen_desc, 1, p->min, p->max);
}

/* Threads answering a request (not waiting in accept, not stopped). */
static int
count_busy(struct pool *p)
{
	int i, n = 0, hi = __atomic_load_n(&p->hi, __ATOMIC_SEQ_CST);

	pthread_mutex_lock(&p->mu);
	for (i = 0; i < hi; i++)
		if (p->ta[i].started &&
		    !__atomic_load_n(&p->ta[i].done, __ATOMIC_SEQ_CST) &&
		    !__atomic_load_n(&p->ta[i].in_accept, __ATOMIC_SEQ_CST))
			n++;
	pthread_mutex_unlock(&p->mu);
	return n;
}

/* Waits for a signal of set; on the way, frees what a reload retired
 * and sizes the pool. */
static int
wait_signal(sigset_t *set, struct retired *r, struct pool *p)
{
	struct timespec poll = { 0, 50 * 1000000 }, tick = { 1, 0 };
	int sig;

	for (;;) {
		pool_tick(p);
		if (r->n == 0 && p->idle_ms > 0) {
			sig = sigtimedwait(set, NULL, &tick);
			if (sig > 0)
				return sig;
			continue;
		}
		if (r->n == 0) {
			if (sigwait(set, &sig) == 0)
				return sig;
			continue;
		}
		sig = sigtimedwait(set, NULL, &poll);
		if (sig > 0)
			return sig;
		reclaim(r, p);
	}
}

/* The listening socket's accept timeout: the pool's idle time (none for
 * a fixed pool: a timeout left by an earlier process is cleared). */
static void
set_accept_timeout(int fd, int ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 &&
	    ms > 0)
		log_warn("setsockopt(SO_RCVTIMEO) on the listening socket");
}

/* Threads blocked in accept() wake on SIGUSR2; those answering a
 * request are left alone to finish it.  Repeat: a signal may land just
 * before a thread enters accept().  FCGX_ShutdownPending is not called:
 * libfcgi 2.4's accept loop, once that flag is set after it dropped a
 * unix-socket connection that had sent nothing (the signal cuts its wait
 * for the first bytes), goes round for ever closing the stale descriptor
 * number, which another thread may have been given meanwhile. */
static void
drain(struct pool *p)
{
	struct timespec tick = { 0, 100 * 1000000 };
	int i, hi, alive, waiting, closed = 0;

	do {
		alive = 0;
		waiting = 0;
		pthread_mutex_lock(&p->mu); /* no thread starts meanwhile */
		hi = __atomic_load_n(&p->hi, __ATOMIC_SEQ_CST);
		for (i = 0; i < hi; i++) {
			struct thread_arg *t = &p->ta[i];

			if (!t->started ||
			    __atomic_load_n(&t->done, __ATOMIC_SEQ_CST))
				continue;
			alive++;
			if (__atomic_load_n(&t->in_accept, __ATOMIC_SEQ_CST)) {
				waiting++;
				pthread_kill(t->tid, SIGUSR2);
			}
		}
		pthread_mutex_unlock(&p->mu);
		/* Once no thread can accept again, stop listening: a web
		 * server that connects now is refused at once and can go
		 * elsewhere (mod_fcgid starts a new process), instead of
		 * queueing behind a process about to exit. */
		if (waiting == 0 && !closed) {
			stop_listening(p->fd);
			closed = 1;
		}
		if (alive)
			nanosleep(&tick, NULL);
	} while (alive);
}

/*
 * One process: its pool of threads in FCGX_Accept_r, this thread waits
 * on signals.  can_reload: SIGHUP reloads the configuration in place (a
 * process on its own); a worker of the --workers master leaves that to
 * the master.
 */
static int
serve_process(
    struct app *app, int fd, const struct front_pool *po, bool can_reload)
{
	struct pool p;
	sigset_t set;
	struct sigaction sa;
	struct retired retired = { { NULL }, 0 };
	int i, sig, busy, started = 0;
	unsigned long served;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_wake; /* no SA_RESTART: accept() returns EINTR */
	sigaction(SIGUSR2, &sa, NULL);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	main_thread = pthread_self();
	memset(&p, 0, sizeof(p));
	p.app = app;
	p.tmpl = *app; /* no reload yet: nothing else writes */
	p.fd = fd;
	p.min = po->min;
	p.max = po->max;
	p.idle_ms = po->min < po->max ? po->idle_ms : 0;
	p.ta = calloc((size_t)p.max, sizeof(*p.ta));
	if (p.ta == NULL || pthread_mutex_init(&p.mu, NULL) != 0) {
		free(p.ta);
		return 1;
	}
	pthread_attr_init(&p.attr);
	if (pthread_attr_setstacksize(&p.attr, POOL_STACK) != 0)
		log_warnx("cannot set the request threads' stack size");
	set_accept_timeout(fd, p.idle_ms);
	p.low = p.min;
	p.last_tick = time_mono_ms();
	pthread_mutex_lock(&p.mu);
	for (i = 0; i < p.min; i++)
		if (pool_start_locked(&p))
			started++;
	pthread_mutex_unlock(&p.mu);
	if (started < p.min) {
		log_warnx("cannot start thread %d", started);
		front_lose_process();
	}
	for (;;) {
		sig = wait_signal(&set, &retired, &p);
		if (sig == SIGHUP &&
		    !__atomic_load_n(&lost, __ATOMIC_SEQ_CST)) {
			if (can_reload)
				reload_in_place(app, &p, &retired);
			continue;
		}
		break;
	}
	__atomic_store_n(&quit, 1, __ATOMIC_SEQ_CST);
	busy = count_busy(&p);
	log_warnx("%s: stopping; %d request(s) in flight to finish",
	    sig == SIGTERM       ? "SIGTERM"
	        : sig == SIGINT  ? "SIGINT"
	        : sig == SIGUSR1 ? "SIGUSR1"
	                         : "a thread cannot serve",
	    busy);
	drain(&p);
	served = p.served;
	for (i = 0; i < p.hi; i++) {
		if (p.ta[i].started) {
			pthread_join(p.ta[i].tid, NULL);
			served += p.ta[i].served;
		}
	}
	metrics_threads(-__atomic_load_n(&p.nthreads, __ATOMIC_SEQ_CST), 0);
	pthread_attr_destroy(&p.attr);
	pthread_mutex_destroy(&p.mu);
	free(p.ta);
	for (i = 0; i < retired.n; i++)
		conf_free(retired.c[i]);
	log_warnx("stopped: %d request(s) in flight finished, %lu served in "
	          "all",
	    busy, served);
	return lost ? 1 : 0;
}

/* Set when the master is told to stop: no more workers are forked. */
static volatile sig_atomic_t master_quit;

/* The --workers master: its worker processes and when each started. */
struct master {
	struct app *app;
	int fd, workers;
	struct front_pool pool;
	pid_t self;
	pid_t *pids; /* 0: that slot has no process */
	int64_t *born; /* monotonic ms */
	/* Workers of an earlier configuration, finishing their requests
	 * after a reload; never replaced. */
	pid_t *old;
	size_t nold, oldcap;
	/* The signals the master handles, blocked and taken with
	 * sigtimedwait (SIGCHLD included), so none is missed between two
	 * checks. */
	sigset_t set;
};

/*
 * In a new worker: it must not outlive the master, whatever ends the
 * master (SIGKILL included).  The kernel sends SIGTERM, a graceful stop,
 * when the master dies; a master that died before the request was made
 * is seen in getppid().
 */
static void
tie_to_master(pid_t master)
{
	if (prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0) < 0)
		log_warn("prctl(PR_SET_PDEATHSIG)");
	if (getppid() != master)
		_exit(1);
}

/* Forks a process into every empty slot, until told to quit. */
static void
fork_missing(struct master *m)
{
	sigset_t old;
	pid_t pid;
	int i;

	for (i = 0; i < m->workers && !master_quit; i++) {
		if (m->pids[i] > 0)
			continue;
		sigprocmask(SIG_BLOCK, &m->set, &old);
		pid = fork();
		if (pid == 0) {
			tie_to_master(m->self);
			signal(SIGTERM, SIG_DFL);
			signal(SIGINT, SIG_DFL);
			signal(SIGUSR1, SIG_DFL);
			signal(SIGHUP, SIG_DFL);
			signal(SIGCHLD, SIG_DFL);
			/* the master's tables: a valgrind-clean exit */
			free(m->pids);
			free(m->born);
			free(m->old);
			_exit(serve_process(m->app, m->fd, &m->pool, false));
		}
		sigprocmask(SIG_SETMASK, &old, NULL);
		if (pid < 0) {
			log_warn("fork");
			sleep(1);
			continue;
		}
		m->pids[i] = pid;
		m->born[i] = time_mono_ms();
	}
}

/* Empties the slot of pid, which exited with status. */
static void
reap(struct master *m, pid_t pid, int status)
{
	size_t k;
	int i;

	for (k = 0; k < m->nold; k++)
		if (m->old[k] == pid) {
			m->old[k] = m->old[--m->nold];
			return; /* a worker of the old configuration is done */
		}
	for (i = 0; i < m->workers; i++)
		if (m->pids[i] == pid) {
			m->pids[i] = 0;
			if (master_quit)
				continue;
			log_warnx("worker %ld exited (status %d); replacing it",
			    (long)pid, status);
			/* one that cannot even start (its socket is gone) is
			 * not forked again in a tight loop */
			if (time_mono_ms() - m->born[i] < 1000)
				sleep(1);
		}
}

/*
 * SIGHUP in the master: once the new configuration is valid, a new
 * worker for every slot starts with it, then the old workers are told to
 * stop (SIGTERM): they stop accepting and finish what they are answering.
 * The listening socket stays open throughout, so no connection is
 * refused.
 */
static void
reload_workers(struct master *m)
{
	struct config *c, *prev = m->app->conf;
	pid_t *grown;
	size_t k, first;
	int i;

	log_warnx("SIGHUP: reloading %s", m->app->conf_path);
	c = reload_config(m->app);
	if (c == NULL)
		return;
	if (m->nold + (size_t)m->workers > m->oldcap) {
		grown = realloc(
		    m->old, (m->nold + (size_t)m->workers) * sizeof(*m->old));
		if (grown == NULL) {
			log_warnx("reload: out of memory; the configuration "
			          "in use stays");
			conf_free(c);
			return;
		}
		m->old = grown;
		m->oldcap = m->nold + (size_t)m->workers;
	}
	if (!reload_same_providers(prev, c))
		metrics_forget_providers();
	m->app->conf = c;
	conf_free(prev); /* the workers have their own copies */
	first = m->nold;
	for (i = 0; i < m->workers; i++)
		if (m->pids[i] > 0) {
			m->old[m->nold++] = m->pids[i];
			m->pids[i] = 0;
		}
	fork_missing(m);
	for (k = first; k < m->nold; k++)
		kill(m->old[k], SIGTERM);
	reload_log_serving("reloaded", c, m->app->listen_desc, m->workers,
	    m->pool.min, m->pool.max);
}

static int
wait_for(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return 0; /* not ours any more */
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}

/* Stops every worker, old ones too; 1 when one did not exit cleanly. */
static int
stop_workers(struct master *m)
{
	size_t k;
	int i, rc = 0;

	for (i = 0; i < m->workers; i++)
		if (m->pids[i] > 0)
			kill(m->pids[i], SIGTERM);
	for (k = 0; k < m->nold; k++)
		kill(m->old[k], SIGTERM);
	for (i = 0; i < m->workers; i++)
		if (m->pids[i] > 0)
			rc |= wait_for(m->pids[i]);
	for (k = 0; k < m->nold; k++)
		wait_for(m->old[k]); /* already told to stop: any status */
	return rc;
}

int
front_serve(struct app *app, int fd, const struct front_pool *pool, int workers)
{
	struct master m;
	struct timespec poll = { 1, 0 };
	pid_t pid;
	int status, rc, sig;

	reload_log_serving("serving", app->conf, app->listen_desc, workers,
	    pool->min, pool->max);
	if (workers <= 1)
		return serve_process(app, fd, pool, true);
	memset(&m, 0, sizeof(m));
	m.app = app;
	m.fd = fd;
	m.pool = *pool;
	m.workers = workers;
	m.self = getpid();
	m.pids = calloc((size_t)workers, sizeof(*m.pids));
	m.born = calloc((size_t)workers, sizeof(*m.born));
	if (m.pids == NULL || m.born == NULL) {
		free(m.pids);
		free(m.born);
		return 1;
	}
	sigemptyset(&m.set);
	sigaddset(&m.set, SIGTERM);
	sigaddset(&m.set, SIGINT);
	sigaddset(&m.set, SIGUSR1);
	sigaddset(&m.set, SIGHUP);
	sigaddset(&m.set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &m.set, NULL);
	while (!master_quit) {
		fork_missing(&m);
		while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
			reap(&m, pid, status);
		sig = sigtimedwait(&m.set, NULL, &poll);
		if (sig == SIGHUP)
			reload_workers(&m);
		else if (sig == SIGTERM || sig == SIGINT || sig == SIGUSR1)
			master_quit = 1;
	}
	log_warnx("stopping: %d worker(s) finish their requests", workers);
	rc = stop_workers(&m);
	log_warnx("stopped: every worker has exited");
	free(m.pids);
	free(m.born);
	free(m.old);
	return rc;
}
