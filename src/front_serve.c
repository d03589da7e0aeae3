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
 * Configurations replaced by a reload in place, until no thread has one
 * pinned any more.
 */
#define MAX_RETIRED 16

struct retired {
	struct config *c[MAX_RETIRED];
	int n;
};

static bool
conf_pinned(const struct config *c, struct thread_arg *ta, int threads)
{
	int i;

	for (i = 0; i < threads; i++)
		if (__atomic_load_n(&ta[i].pinned, __ATOMIC_SEQ_CST) == c)
			return true;
	return false;
}

/* Frees the retired configurations no request uses any more. */
static void
reclaim(struct retired *r, struct thread_arg *ta, int threads)
{
	int i, k = 0;

	for (i = 0; i < r->n; i++)
		if (conf_pinned(r->c[i], ta, threads))
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
reload_in_place(struct app *app, struct thread_arg *ta, int threads,
    struct retired *r, int workers)
{
	struct config *c, *old = app->conf;
	struct timespec tick = { 0, 10 * 1000000 };

	log_warnx("SIGHUP: reloading %s", app->conf_path);
	c = reload_config(app);
	if (c == NULL)
		return;
	while (r->n == MAX_RETIRED) { /* a reload storm: wait a little */
		reclaim(r, ta, threads);
		if (r->n == MAX_RETIRED)
			nanosleep(&tick, NULL);
	}
	if (!reload_same_providers(old, c))
		metrics_forget_providers();
	__atomic_store_n(&app->conf, c, __ATOMIC_SEQ_CST);
	r->c[r->n++] = old;
	reclaim(r, ta, threads);
	reload_log_serving("reloaded", c, app->listen_desc, workers, threads);
}

/* Threads answering a request (not waiting in accept, not stopped). */
static int
count_busy(struct thread_arg *ta, int threads)
{
	int i, n = 0;

	for (i = 0; i < threads; i++)
		if (!__atomic_load_n(&ta[i].done, __ATOMIC_SEQ_CST) &&
		    !__atomic_load_n(&ta[i].in_accept, __ATOMIC_SEQ_CST))
			n++;
	return n;
}

/* Waits for a signal of set; on the way, frees what a reload retired. */
static int
wait_signal(
    sigset_t *set, struct retired *r, struct thread_arg *ta, int threads)
{
	struct timespec poll = { 0, 50 * 1000000 };
	int sig;

	for (;;) {
		if (r->n == 0) {
			if (sigwait(set, &sig) == 0)
				return sig;
			continue;
		}
		sig = sigtimedwait(set, NULL, &poll);
		if (sig > 0)
			return sig;
		reclaim(r, ta, threads);
	}
}

/*
 * One process: N threads in FCGX_Accept_r, this thread waits on signals.
 * can_reload: SIGHUP reloads the configuration in place (a process on
 * its own); a worker of the --workers master leaves that to the master.
 */
static int
serve_process(struct app *app, int fd, int threads, bool can_reload)
{
	struct thread_arg *ta;
	sigset_t set;
	struct sigaction sa;
	struct retired retired = { { NULL }, 0 };
	int i, sig, alive, waiting, busy, closed = 0;
	unsigned long served = 0;
	struct timespec tick = { 0, 100 * 1000000 };

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
	ta = calloc((size_t)threads, sizeof(*ta));
	if (ta == NULL)
		return 1;
	for (i = 0; i < threads; i++) {
		ta[i].app = app;
		ta[i].view = *app; /* no reload yet: nothing else writes */
		ta[i].fd = fd;
		if (pthread_create(&ta[i].tid, NULL, front_thread, &ta[i]) !=
		    0) {
			log_warnx("cannot start thread %d", i);
			__atomic_store_n(&ta[i].done, 1, __ATOMIC_SEQ_CST);
			front_lose_process();
		} else
			ta[i].started = 1;
	}
	for (;;) {
		sig = wait_signal(&set, &retired, ta, threads);
		if (sig == SIGHUP &&
		    !__atomic_load_n(&lost, __ATOMIC_SEQ_CST)) {
			if (can_reload)
				reload_in_place(app, ta, threads, &retired, 1);
			continue;
		}
		break;
	}
	__atomic_store_n(&quit, 1, __ATOMIC_SEQ_CST);
	busy = count_busy(ta, threads);
	log_warnx("%s: stopping; %d request(s) in flight to finish",
	    sig == SIGTERM       ? "SIGTERM"
	        : sig == SIGINT  ? "SIGINT"
	        : sig == SIGUSR1 ? "SIGUSR1"
	                         : "a thread cannot serve",
	    busy);
	/* Threads blocked in accept() wake on SIGUSR2; those answering a
	 * request are left alone to finish it.  Repeat: a signal may land
	 * just before a thread enters accept().  FCGX_ShutdownPending is
	 * not called: libfcgi 2.4's accept loop, once that flag is set after
	 * it dropped a unix-socket connection that had sent nothing (the
	 * signal cuts its wait for the first bytes), goes round for ever
	 * closing the stale descriptor number, which another thread may
	 * have been given meanwhile. */
	do {
		alive = 0;
		waiting = 0;
		for (i = 0; i < threads; i++)
			if (!__atomic_load_n(&ta[i].done, __ATOMIC_SEQ_CST)) {
				alive++;
				if (__atomic_load_n(
				        &ta[i].in_accept, __ATOMIC_SEQ_CST)) {
					waiting++;
					pthread_kill(ta[i].tid, SIGUSR2);
				}
			}
		/* Once no thread can accept again, stop listening: a web
		 * server that connects now is refused at once and can go
		 * elsewhere (mod_fcgid starts a new process), instead of
		 * queueing behind a process about to exit. */
		if (waiting == 0 && !closed) {
			stop_listening(fd);
			closed = 1;
		}
		if (alive)
			nanosleep(&tick, NULL);
	} while (alive);
	for (i = 0; i < threads; i++) {
		if (ta[i].started)
			pthread_join(ta[i].tid, NULL);
		served += ta[i].served;
	}
	free(ta);
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
	int fd, threads, workers;
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
			_exit(serve_process(m->app, m->fd, m->threads, false));
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
	reload_log_serving(
	    "reloaded", c, m->app->listen_desc, m->workers, m->threads);
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
front_serve(struct app *app, int fd, int threads, int workers)
{
	struct master m;
	struct timespec poll = { 1, 0 };
	pid_t pid;
	int status, rc, sig;

	reload_log_serving(
	    "serving", app->conf, app->listen_desc, workers, threads);
	if (workers <= 1)
		return serve_process(app, fd, threads, true);
	memset(&m, 0, sizeof(m));
	m.app = app;
	m.fd = fd;
	m.threads = threads;
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
