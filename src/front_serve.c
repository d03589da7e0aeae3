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
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "front_int.h"
#include "log.h"
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

/* One process: N threads in FCGX_Accept_r, this thread waits on signals. */
static int
serve_process(struct app *app, int fd, int threads)
{
	struct thread_arg *ta;
	sigset_t set;
	struct sigaction sa;
	int i, sig, alive, waiting, closed = 0;
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
		if (sigwait(&set, &sig) != 0)
			continue;
		if (sig == SIGHUP && !__atomic_load_n(&lost, __ATOMIC_SEQ_CST))
			continue;
		break;
	}
	__atomic_store_n(&quit, 1, __ATOMIC_SEQ_CST);
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
	for (i = 0; i < threads; i++)
		if (ta[i].started)
			pthread_join(ta[i].tid, NULL);
	free(ta);
	return lost ? 1 : 0;
}

static volatile sig_atomic_t master_quit;

static void
on_master_signal(int sig)
{
	(void)sig;
	master_quit = 1;
}

/* The --workers master: its worker processes and when each started. */
struct master {
	struct app *app;
	int fd, threads, workers;
	pid_t *pids; /* 0: that slot has no process */
	int64_t *born; /* monotonic ms */
	sigset_t set; /* the signals that stop the master */
};

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
			signal(SIGTERM, SIG_DFL);
			signal(SIGINT, SIG_DFL);
			signal(SIGUSR1, SIG_DFL);
			/* the master's tables: a valgrind-clean exit */
			free(m->pids);
			free(m->born);
			_exit(serve_process(m->app, m->fd, m->threads));
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
	int i;

	for (i = 0; i < m->workers; i++)
		if (m->pids[i] == pid) {
			m->pids[i] = 0;
			if (master_quit)
				continue;
			log_warnx("worker %ld exited (status %d); replacing it",
			    (long)pid, status);
			/* one that cannot even start (its socket is gone) is
			 * not forked again in a tight loop; a signal cuts the
			 * wait */
			if (time_mono_ms() - m->born[i] < 1000)
				sleep(1);
		}
}

/* Stops every worker; 1 when one of them did not exit cleanly. */
static int
stop_workers(struct master *m)
{
	int i, status, rc = 0;

	for (i = 0; i < m->workers; i++)
		if (m->pids[i] > 0)
			kill(m->pids[i], SIGTERM);
	for (i = 0; i < m->workers; i++)
		if (m->pids[i] > 0) {
			while (waitpid(m->pids[i], &status, 0) < 0 &&
			    errno == EINTR)
				;
			if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
				rc = 1;
		}
	return rc;
}

int
front_serve(struct app *app, int fd, int threads, int workers)
{
	struct master m;
	struct sigaction sa;
	pid_t pid;
	int status, rc;

	if (workers <= 1)
		return serve_process(app, fd, threads);
	memset(&m, 0, sizeof(m));
	m.app = app;
	m.fd = fd;
	m.threads = threads;
	m.workers = workers;
	m.pids = calloc((size_t)workers, sizeof(*m.pids));
	m.born = calloc((size_t)workers, sizeof(*m.born));
	if (m.pids == NULL || m.born == NULL) {
		free(m.pids);
		free(m.born);
		return 1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_master_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	sigemptyset(&m.set);
	sigaddset(&m.set, SIGTERM);
	sigaddset(&m.set, SIGINT);
	sigaddset(&m.set, SIGUSR1);
	while (!master_quit) {
		fork_missing(&m);
		pid = waitpid(-1, &status, 0);
		if (pid < 0) {
			if (errno != EINTR)
				sleep(1);
			continue;
		}
		reap(&m, pid, status);
	}
	rc = stop_workers(&m);
	free(m.pids);
	free(m.born);
	return rc;
}
