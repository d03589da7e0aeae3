#include "front.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <fastcgi.h>
#include <fcgiapp.h>

#include "app.h"
#include "log.h"

/* Set by the process's main thread, read by every request thread. */
static volatile sig_atomic_t quit;

static int
quitting(void)
{
	return __atomic_load_n(&quit, __ATOMIC_SEQ_CST);
}

static const char *
reason_phrase(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 400:
		return "Bad Request";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 429:
		return "Too Many Requests";
	case 502:
		return "Bad Gateway";
	case 504:
		return "Gateway Timeout";
	default:
		return "Internal Server Error";
	}
}

/* Status line and headers in CGI response form (RFC 3875 6.2). */
static void
head(struct buf *out, struct request *rq, struct response *rs)
{
	buf_printf(out,
	    "Status: %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
	    "X-Request-Id: %s\r\nCache-Control: no-store\r\n"
	    "X-Content-Type-Options: nosniff\r\n",
	    rs->status, reason_phrase(rs->status),
	    rs->content_type ? rs->content_type : "application/json",
	    rs->body.len, rq->request_id);
	buf_add(out, rs->headers.data, rs->headers.len);
	buf_add(out, "\r\n", 2);
}

static int
is_head(const struct request *rq)
{
	return rq->method != NULL && strcmp(rq->method, "HEAD") == 0;
}

/*
 * When the head could not be built (out of memory), a fixed 500 from a
 * stack buffer takes the place of head and body.  Returns its length.
 */
static size_t
fallback(char *dst, size_t size, struct request *rq, struct response *rs)
{
	char body[320];
	int n, m;

	n = snprintf(body, sizeof(body),
	    "{\"type\":\"urn:callnorm:problem:internal\",\"title\":"
	    "\"Internal error\",\"status\":500,\"code\":\"INTERNAL\","
	    "\"detail\":\"the response could not be built\","
	    "\"request_id\":\"%s\"}",
	    rq->request_id);
	m = snprintf(dst, size,
	    "Status: 500 Internal Server Error\r\n"
	    "Content-Type: application/problem+json\r\n"
	    "Content-Length: %d\r\nX-Request-Id: %s\r\n"
	    "Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n"
	    "\r\n%s",
	    n, rq->request_id, is_head(rq) ? "" : body);
	rs->status = 500;
	return m > 0 && (size_t)m < size ? (size_t)m : 0;
}

/*
 * FastCGI output.  The answer is whole in memory before its first byte
 * goes out, so it leaves as FCGI_STDOUT records of up to 64 KiB in as few
 * sendmsg calls as the iovec limit allows, instead of libfcgi's 8 KiB
 * records with one write each: a 100-call page was seven system calls and
 * seven wake-ups of the web server, and is now one.  libfcgi still ends
 * the stream (its empty STDOUT record and FCGI_END_REQUEST, in one write)
 * in FCGX_Finish_r; nothing is left in its buffer to come before ours.
 */
void
front_batch_reset(struct front_batch *b)
{
	b->niov = b->nhdr = 0;
}

size_t
front_frame(struct front_batch *b, unsigned id, const char *p, size_t len)
{
	static const char zeros[8];
	unsigned char *h;
	size_t n, pad, done = 0;
	int need;

	while (done < len) {
		n = len - done < FRONT_REC_MAX ? len - done : FRONT_REC_MAX;
		pad = (8 - n % 8) % 8;
		need = pad > 0 ? 3 : 2;
		/* Both limits are checked: full records need no padding, so
		 * a batch can hold more records than iovecs / 3. */
		if (b->niov + need > FRONT_IOV_BATCH ||
		    b->nhdr >= FRONT_IOV_BATCH / 2)
			break;
		h = b->hdr[b->nhdr++];
		h[0] = FCGI_VERSION_1;
		h[1] = FCGI_STDOUT;
		h[2] = (unsigned char)((id >> 8) & 0xff);
		h[3] = (unsigned char)(id & 0xff);
		h[4] = (unsigned char)((n >> 8) & 0xff);
		h[5] = (unsigned char)(n & 0xff);
		h[6] = (unsigned char)pad;
		h[7] = 0;
		b->iov[b->niov].iov_base = h;
		b->iov[b->niov++].iov_len = FRONT_HDR_LEN;
		b->iov[b->niov].iov_base = (void *)(p + done);
		b->iov[b->niov++].iov_len = n;
		if (pad > 0) {
			b->iov[b->niov].iov_base = (void *)zeros;
			b->iov[b->niov++].iov_len = pad;
		}
		done += n;
	}
	return done;
}

struct rec_out {
	int fd;
	unsigned id;
	int failed;
	struct front_batch b;
};

static void
rec_flush(struct rec_out *o)
{
	struct iovec *iov = o->b.iov;
	struct msghdr mh;
	size_t left = 0;
	ssize_t n;
	int i, cnt = o->b.niov;

	for (i = 0; i < cnt; i++)
		left += iov[i].iov_len;
	while (left > 0 && !o->failed) {
		memset(&mh, 0, sizeof(mh));
		mh.msg_iov = iov;
		mh.msg_iovlen = (size_t)cnt;
		/* MSG_NOSIGNAL: a client gone is an error here, not a signal */
		n = sendmsg(o->fd, &mh, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno != EINTR)
				o->failed = 1;
			continue;
		}
		left -= (size_t)n;
		/* a signal can cut a write short: resume where it stopped */
		while (cnt > 0 && (size_t)n >= iov->iov_len) {
			n -= (ssize_t)iov->iov_len;
			iov++;
			cnt--;
		}
		if (cnt > 0) {
			iov->iov_base = (char *)iov->iov_base + n;
			iov->iov_len -= (size_t)n;
		}
	}
	front_batch_reset(&o->b);
}

static void
rec_add(struct rec_out *o, const char *p, size_t len)
{
	size_t n;

	while (len > 0 && !o->failed) {
		n = front_frame(&o->b, o->id, p, len);
		p += n;
		len -= n;
		if (len > 0)
			rec_flush(o); /* the batch is full */
	}
}

/* 0 when every byte went out; -1 when the web server is gone. */
static int
send_answer(FCGX_Request *fr, const struct buf *head, const struct buf *body)
{
	struct rec_out o;

	if (FCGX_FFlush(fr->out) < 0)
		return -1;
	o.fd = fr->ipcFd;
	o.id = (unsigned)fr->requestId;
	o.failed = 0;
	front_batch_reset(&o.b);
	rec_add(&o, head->data, head->len);
	if (body != NULL)
		rec_add(&o, body->data, body->len);
	rec_flush(&o);
	return o.failed ? -1 : 0;
}

int
front_cgi(struct app *app)
{
	struct worker *w;
	struct request rq;
	struct buf out;
	char fb[1024];
	size_t n;
	int rc = 0;

	w = worker_new(app);
	if (w == NULL) {
		log_warnx("out of memory");
		return 1;
	}
	memset(&rq, 0, sizeof(rq));
	rq.method = getenv("REQUEST_METHOD");
	rq.path_info = getenv("PATH_INFO");
	rq.script_name = getenv("SCRIPT_NAME");
	rq.query_string = getenv("QUERY_STRING");
	rq.remote_user = getenv("REMOTE_USER");
	rq.request_id_in = getenv("HTTP_X_REQUEST_ID");
	app_handle(w, &rq);
	buf_init(&out, 64 * 1024);
	head(&out, &rq, &w->rs);
	if (out.failed) {
		n = fallback(fb, sizeof(fb), &rq, &w->rs);
		if (fwrite(fb, 1, n, stdout) != n || fflush(stdout) != 0)
			rc = 1;
	} else if (fwrite(out.data, 1, out.len, stdout) != out.len ||
	    (!is_head(&rq) && w->rs.body.len > 0 &&
	        fwrite(w->rs.body.data, 1, w->rs.body.len, stdout) !=
	            w->rs.body.len) ||
	    fflush(stdout) != 0)
		rc = 1;
	rq.undelivered = rc;
	buf_free(&out);
	worker_end_request(w, &rq);
	worker_free(w);
	return rc;
}

int
front_is_fastcgi(void)
{
	return !FCGX_IsCGI();
}

/*
 * Connections the kernel queues while every thread is busy.  The web
 * server opens one per request, and a burst larger than the queue is
 * refused at once (nginx: 502): 128 was overrun by 256 clients whose
 * requests all finished together.  The kernel caps it at somaxconn.
 */
#define LISTEN_BACKLOG 4096

int
front_listen(const char *addr)
{
	const char *path;
	int fd;

	if (FCGX_Init() != 0) {
		fprintf(stderr, "callnorm: cannot initialise FastCGI\n");
		return -1;
	}
	if (strncmp(addr, "unix:", 5) == 0) {
		path = addr + 5;
		if (*path != '/') {
			fprintf(stderr,
			    "callnorm: --listen unix: needs an "
			    "absolute path\n");
			return -1;
		}
		/* A stale socket from a previous run would make bind fail. */
		unlink(path);
		fd = FCGX_OpenSocket(path, LISTEN_BACKLOG);
		if (fd >= 0 && chmod(path, 0660) < 0) {
			log_warn("chmod %s", path);
			close(fd);
			return -1;
		}
	} else {
		if (strchr(addr, ':') == NULL) {
			fprintf(stderr,
			    "callnorm: --listen takes unix:/path or "
			    "host:port\n");
			return -1;
		}
		fd = FCGX_OpenSocket(addr, LISTEN_BACKLOG);
	}
	if (fd < 0)
		fprintf(stderr, "callnorm: cannot listen on %s\n", addr);
	return fd;
}

struct thread_arg {
	struct app *app;
	int fd;
	pthread_t tid;
	int started;
	volatile int done;
	/* Set while the thread waits for a connection: only then may it be
	 * woken by a signal, which would otherwise interrupt the writing of
	 * an answer. */
	volatile sig_atomic_t in_accept;
};

/*
 * Request bodies are ignored, but must be read: a connection closed with
 * unread bytes is reset, and the web server may then lose the answer it
 * has not read yet (seen with mod_fcgid when a process exits after its
 * last request).
 */
static void
drain_input(FCGX_Stream *in)
{
	char tmp[4096];
	long total = 0;
	int n;

	while ((n = FCGX_GetStr(tmp, (int)sizeof(tmp), in)) > 0)
		if ((total += n) > 8L * 1024 * 1024)
			break;
}

/*
 * accept() errors.  Some say nothing about the listening socket: out of
 * descriptors (EMFILE, ENFILE) or kernel memory (ENOMEM, ENOBUFS) for a
 * while, a signal, a connection that died in the queue.  The thread
 * retries those after a back-off that doubles from 10 ms to 1 s (the
 * queued connection stays there; retrying at once would spin on it).
 * Anything else (EBADF, ENOTSOCK, EINVAL: the socket is gone or was never
 * listening) means the process can no longer accept: it stops, with
 * status 1, so that the --workers master or the service manager starts a
 * new one; a process that kept listening with no thread left to accept
 * would leave every request queued until the web server gave up.
 */
#define BACKOFF_MIN_MS 10
#define BACKOFF_MAX_MS 1000
#define ACCEPT_LOG_EVERY 10 /* seconds: a flood of failures, one line */

static int
accept_transient(int err)
{
	switch (err) {
	case 0: /* libfcgi's -9999: no errno to go by */
	case EINTR:
	case EAGAIN:
#if EWOULDBLOCK != EAGAIN
	case EWOULDBLOCK:
#endif
	case EMFILE:
	case ENFILE:
	case ENOMEM:
	case ENOBUFS:
	case ECONNABORTED:
	case ECONNRESET:
	case EPROTO:
	case EPERM: /* a firewall rule */
	case ETIMEDOUT:
	case ENETDOWN:
	case ENETUNREACH:
	case EHOSTUNREACH:
	case EHOSTDOWN:
	case ENONET:
	case ENOPROTOOPT:
	case EOPNOTSUPP:
		return 1;
	default:
		return 0;
	}
}

static pthread_mutex_t accept_log_mu = PTHREAD_MUTEX_INITIALIZER;
static struct timespec accept_logged;
static int accept_logged_once;
static unsigned long accept_unlogged;

/* At most one line per ACCEPT_LOG_EVERY seconds, with the failures since. */
static void
log_accept_error(int err)
{
	struct timespec now;
	unsigned long more;

	clock_gettime(CLOCK_MONOTONIC, &now);
	pthread_mutex_lock(&accept_log_mu);
	if (accept_logged_once &&
	    now.tv_sec - accept_logged.tv_sec < ACCEPT_LOG_EVERY) {
		accept_unlogged++;
		pthread_mutex_unlock(&accept_log_mu);
		return;
	}
	more = accept_unlogged;
	accept_unlogged = 0;
	accept_logged = now;
	accept_logged_once = 1;
	pthread_mutex_unlock(&accept_log_mu);
	if (more > 0)
		log_warnx("FastCGI accept failed: %s; retrying (%lu more "
		          "failures in the last %d s)",
		    err ? strerror(err) : "unknown error", more,
		    ACCEPT_LOG_EVERY);
	else
		log_warnx("FastCGI accept failed: %s; retrying",
		    err ? strerror(err) : "unknown error");
}

/*
 * After FCGX_Accept_r returned rc < 0: 0 when the thread should try
 * again (after waiting *backoff_ms, which grows), -1 when the error is
 * not one to retry.
 */
static int
accept_failed(int rc, long *backoff_ms)
{
	int err = rc < 0 && rc > -4096 ? -rc : 0;
	struct timespec ts;

	if (rc == -9998 || !accept_transient(err)) {
		log_warnx("FastCGI accept failed: %s; this process stops",
		    err ? strerror(err) : "library not initialised");
		return -1;
	}
	if (err == EINTR)
		return 0; /* a signal, not a failure */
	log_accept_error(err);
	*backoff_ms = *backoff_ms < BACKOFF_MIN_MS ? BACKOFF_MIN_MS
	    : *backoff_ms * 2 > BACKOFF_MAX_MS     ? BACKOFF_MAX_MS
	                                           : *backoff_ms * 2;
	ts.tv_sec = *backoff_ms / 1000;
	ts.tv_nsec = (*backoff_ms % 1000) * 1000000L;
	nanosleep(&ts, NULL); /* cut short by SIGUSR2 at shutdown */
	return 0;
}

/* Set when a thread can no longer serve; the process then exits 1. */
static volatile sig_atomic_t lost;
static pthread_t main_thread;

static void
lose_process(void)
{
	__atomic_store_n(&lost, 1, __ATOMIC_SEQ_CST);
	/* wakes serve_process's sigwait, which then shuts down */
	pthread_kill(main_thread, SIGHUP);
}

static void *
serve_thread(void *p)
{
	struct thread_arg *ta = p;
	struct worker *w;
	FCGX_Request fr;
	struct request rq;
	struct buf out;
	char fb[1024];
	long backoff_ms = 0;
	int rc;

	w = worker_new(ta->app);
	if (w == NULL) {
		log_warnx("out of memory starting a thread");
		lose_process();
		__atomic_store_n(&ta->done, 1, __ATOMIC_SEQ_CST);
		return NULL;
	}
	buf_init(&out, 64 * 1024);
	FCGX_InitRequest(&fr, ta->fd, FCGI_FAIL_ACCEPT_ON_INTR);
	while (!quitting()) {
		__atomic_store_n(&ta->in_accept, 1, __ATOMIC_SEQ_CST);
		rc = __atomic_load_n(&quit, __ATOMIC_SEQ_CST)
		    ? -1
		    : FCGX_Accept_r(&fr);
		if (rc < 0 && !quitting() &&
		    accept_failed(rc, &backoff_ms) == 0) {
			/* still in_accept: a shutdown's SIGUSR2 cuts the wait */
			__atomic_store_n(&ta->in_accept, 0, __ATOMIC_SEQ_CST);
			continue;
		}
		__atomic_store_n(&ta->in_accept, 0, __ATOMIC_SEQ_CST);
		if (rc < 0) {
			if (!quitting())
				lose_process();
			break;
		}
		backoff_ms = 0;
		memset(&rq, 0, sizeof(rq));
		if (fr.role != FCGI_RESPONDER) {
			/* authorizer and filter roles are not ours to play */
			static const char refuse[] =
			    "Status: 403 Forbidden\r\nContent-Type: "
			    "text/plain\r\n"
			    "Content-Length: 0\r\nCache-Control: "
			    "no-store\r\n\r\n";
			FCGX_PutStr(refuse, (int)sizeof(refuse) - 1, fr.out);
			FCGX_Finish_r(&fr);
			log_warnx(
			    "refused a FastCGI request in role %d", fr.role);
			continue;
		}
		rq.method = FCGX_GetParam("REQUEST_METHOD", fr.envp);
		rq.path_info = FCGX_GetParam("PATH_INFO", fr.envp);
		rq.script_name = FCGX_GetParam("SCRIPT_NAME", fr.envp);
		rq.query_string = FCGX_GetParam("QUERY_STRING", fr.envp);
		rq.remote_user = FCGX_GetParam("REMOTE_USER", fr.envp);
		rq.request_id_in = FCGX_GetParam("HTTP_X_REQUEST_ID", fr.envp);
		app_handle(w, &rq);
		buf_reset(&out);
		head(&out, &rq, &w->rs);
		if (out.failed)
			FCGX_PutStr(fb,
			    (int)fallback(fb, sizeof(fb), &rq, &w->rs), fr.out);
		else if (send_answer(
		             &fr, &out, is_head(&rq) ? NULL : &w->rs.body) < 0)
			rq.undelivered = 1;
		drain_input(fr.in);
		FCGX_Finish_r(&fr);
		worker_end_request(w, &rq);
	}
	FCGX_Free(&fr, 1);
	buf_free(&out);
	worker_free(w);
	__atomic_store_n(&ta->done, 1, __ATOMIC_SEQ_CST);
	return NULL;
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
		if (pthread_create(&ta[i].tid, NULL, serve_thread, &ta[i]) !=
		    0) {
			log_warnx("cannot start thread %d", i);
			__atomic_store_n(&ta[i].done, 1, __ATOMIC_SEQ_CST);
			lose_process();
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

static time_t
monotonic_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

static void
on_master_signal(int sig)
{
	(void)sig;
	master_quit = 1;
}

int
front_serve(struct app *app, int fd, int threads, int workers)
{
	pid_t *pids, pid;
	time_t *born;
	struct sigaction sa;
	sigset_t set, old;
	int i, status, rc = 0;

	if (workers <= 1)
		return serve_process(app, fd, threads);
	pids = calloc((size_t)workers, sizeof(*pids));
	born = calloc((size_t)workers, sizeof(*born));
	if (pids == NULL || born == NULL) {
		free(pids);
		free(born);
		return 1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_master_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGUSR1);
	while (!master_quit) {
		for (i = 0; i < workers && !master_quit; i++) {
			if (pids[i] > 0)
				continue;
			sigprocmask(SIG_BLOCK, &set, &old);
			pid = fork();
			if (pid == 0) {
				signal(SIGTERM, SIG_DFL);
				signal(SIGINT, SIG_DFL);
				signal(SIGUSR1, SIG_DFL);
				/* the master's tables: a valgrind-clean exit */
				free(pids);
				free(born);
				_exit(serve_process(app, fd, threads));
			}
			sigprocmask(SIG_SETMASK, &old, NULL);
			if (pid < 0) {
				log_warn("fork");
				sleep(1);
				continue;
			}
			pids[i] = pid;
			born[i] = monotonic_s();
		}
		pid = waitpid(-1, &status, 0);
		if (pid < 0) {
			if (errno != EINTR)
				sleep(1);
			continue;
		}
		for (i = 0; i < workers; i++)
			if (pids[i] == pid) {
				pids[i] = 0;
				if (master_quit)
					continue;
				log_warnx("worker %ld exited (status %d); "
				          "replacing it",
				    (long)pid, status);
				/* one that cannot even start (its socket is
				 * gone) is not forked again in a tight loop;
				 * a signal cuts the wait */
				if (monotonic_s() - born[i] < 1)
					sleep(1);
			}
	}
	for (i = 0; i < workers; i++)
		if (pids[i] > 0)
			kill(pids[i], SIGTERM);
	for (i = 0; i < workers; i++)
		if (pids[i] > 0) {
			while (
			    waitpid(pids[i], &status, 0) < 0 && errno == EINTR)
				;
			if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
				rc = 1;
		}
	free(pids);
	free(born);
	return rc;
}
