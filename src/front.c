/*
 * The transport's entry points, and the FastCGI request loop of one
 * thread: accept, answer, and what to do when accept fails.
 */
#include "front.h"

#include <errno.h>
#include <grp.h>
#include <pthread.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <fastcgi.h>
#include <fcgiapp.h>

#include "app.h"
#include "front_int.h"
#include "log.h"
#include "timefmt.h"

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
	front_head(&out, &rq, &w->rs);
	if (out.failed) {
		n = front_fallback(fb, sizeof(fb), &rq, &w->rs);
		if (fwrite(fb, 1, n, stdout) != n || fflush(stdout) != 0)
			rc = 1;
	} else if (fwrite(out.data, 1, out.len, stdout) != out.len ||
	    (!front_is_head(&rq) && w->rs.body.len > 0 &&
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
front_init(void)
{
	/* FCGX_IsCGI would exit() on its own if this failed */
	if (FCGX_Init() != 0) {
		log_warnx("cannot initialise FastCGI (out of memory?)");
		return -1;
	}
	return 0;
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

/* A user or group name, or a numeric id; -1 when there is no such. */
static long
lookup_id(const char *s, bool group)
{
	struct passwd *pw;
	struct group *gr;
	char *end;
	long n;

	n = strtol(s, &end, 10);
	if (*s != '\0' && *end == '\0' && n >= 0)
		return n;
	if (group)
		return (gr = getgrnam(s)) != NULL ? (long)gr->gr_gid : -1;
	return (pw = getpwnam(s)) != NULL ? (long)pw->pw_uid : -1;
}

/* Gives the socket at path its owner, group and mode. */
static int
set_perm(const char *path, const struct front_sockperm *perm)
{
	long uid = -1, gid = -1;
	int mode = perm != NULL && perm->mode >= 0 ? perm->mode : 0660;

	if (perm != NULL && perm->owner != NULL &&
	    (uid = lookup_id(perm->owner, false)) < 0) {
		fprintf(stderr, "callnorm: --listen-owner: no user '%s'\n",
		    perm->owner);
		return -1;
	}
	if (perm != NULL && perm->group != NULL &&
	    (gid = lookup_id(perm->group, true)) < 0) {
		fprintf(stderr, "callnorm: --listen-group: no group '%s'\n",
		    perm->group);
		return -1;
	}
	if ((uid >= 0 || gid >= 0) && chown(path, (uid_t)uid, (gid_t)gid) < 0) {
		log_warn("chown %s", path);
		return -1;
	}
	if (chmod(path, (mode_t)mode) < 0) {
		log_warn("chmod %s", path);
		return -1;
	}
	return 0;
}

int
front_listen(const char *addr, const struct front_sockperm *perm)
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
		if (fd >= 0 && set_perm(path, perm) < 0) {
			close(fd);
			unlink(path);
			return -1;
		}
	} else {
		if (strchr(addr, ':') == NULL) {
			fprintf(stderr,
			    "callnorm: --listen takes unix:/path or "
			    "host:port\n");
			return -1;
		}
		if (perm != NULL &&
		    (perm->owner != NULL || perm->group != NULL ||
		        perm->mode >= 0)) {
			fprintf(stderr,
			    "callnorm: --listen-owner, --listen-group and "
			    "--listen-mode apply to unix: sockets only\n");
			return -1;
		}
		fd = FCGX_OpenSocket(addr, LISTEN_BACKLOG);
	}
	if (fd < 0)
		fprintf(stderr, "callnorm: cannot listen on %s\n", addr);
	return fd;
}

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
static int64_t accept_logged; /* monotonic ms */
static int accept_logged_once;
static unsigned long accept_unlogged;

/* At most one line per ACCEPT_LOG_EVERY seconds, with the failures since. */
static void
log_accept_error(int err)
{
	int64_t now = time_mono_ms();
	unsigned long more;

	pthread_mutex_lock(&accept_log_mu);
	if (accept_logged_once &&
	    now - accept_logged < ACCEPT_LOG_EVERY * 1000) {
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
 * After FCGX_Accept_r returned rc < 0: true when the thread should try
 * again (after waiting *backoff_ms, which grows), false when the error
 * is not one to retry.
 */
static bool
accept_retry(int rc, long *backoff_ms)
{
	int err = rc < 0 && rc > -4096 ? -rc : 0;
	struct timespec ts;

	if (rc == -9998 || !accept_transient(err)) {
		log_warnx("FastCGI accept failed: %s; this process stops",
		    err ? strerror(err) : "library not initialised");
		return false;
	}
	if (err == EINTR)
		return true; /* a signal, not a failure */
	log_accept_error(err);
	*backoff_ms = *backoff_ms < BACKOFF_MIN_MS ? BACKOFF_MIN_MS
	    : *backoff_ms * 2 > BACKOFF_MAX_MS     ? BACKOFF_MAX_MS
	                                           : *backoff_ms * 2;
	ts.tv_sec = *backoff_ms / 1000;
	ts.tv_nsec = (*backoff_ms % 1000) * 1000000L;
	nanosleep(&ts, NULL); /* cut short by SIGUSR2 at shutdown */
	return true;
}

/* 0 when every byte went out; -1 when the web server is gone. */
static int
send_answer(FCGX_Request *fr, const struct buf *head, const struct buf *body)
{
	if (FCGX_FFlush(fr->out) < 0)
		return -1;
	return front_send(fr->ipcFd, (unsigned)fr->requestId, head, body);
}

/* What one turn of accept_one got. */
enum accepted {
	ACC_REQUEST, /* a connection to answer */
	ACC_RETRY, /* nothing, but the thread goes on accepting */
	ACC_IDLE, /* nobody connected for the pool's idle time */
	ACC_STOP /* the thread stops */
};

/*
 * The listening socket's SO_RCVTIMEO (the pool's idle time) bounds
 * accept(); a connection accepted from it inherits that timeout, which
 * must not cut reading a slow request body or writing an answer.
 */
static void
clear_timeout(int fd)
{
	struct timeval none = { 0, 0 };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &none, sizeof(none));
}

static enum accepted
accept_one(struct thread_arg *ta, FCGX_Request *fr, long *backoff_ms)
{
	int rc, idle_ms = front_pool_idle_ms(ta->pool);

	__atomic_store_n(&ta->in_accept, 1, __ATOMIC_SEQ_CST);
	front_pool_waiting(ta->pool, 1);
	rc = front_quitting() ? -1 : FCGX_Accept_r(fr);
	front_pool_waiting(ta->pool, -1);
	if (rc == -EAGAIN && idle_ms > 0 && !front_quitting()) {
		__atomic_store_n(&ta->in_accept, 0, __ATOMIC_SEQ_CST);
		return ACC_IDLE;
	}
	if (rc < 0 && !front_quitting() && accept_retry(rc, backoff_ms)) {
		/* still in_accept: a shutdown's SIGUSR2 cuts the wait */
		__atomic_store_n(&ta->in_accept, 0, __ATOMIC_SEQ_CST);
		return ACC_RETRY;
	}
	__atomic_store_n(&ta->in_accept, 0, __ATOMIC_SEQ_CST);
	if (rc < 0) {
		if (!front_quitting())
			front_lose_process();
		return ACC_STOP;
	}
	if (idle_ms > 0)
		clear_timeout(fr->ipcFd);
	*backoff_ms = 0;
	return ACC_REQUEST;
}

/* Answers the accepted request fr, then ends it. */
static void
answer(struct worker *w, FCGX_Request *fr, struct buf *out)
{
	struct request rq;
	char fb[1024];

	memset(&rq, 0, sizeof(rq));
	if (fr->role != FCGI_RESPONDER) {
		/* authorizer and filter roles are not ours to play */
		static const char refuse[] =
		    "Status: 403 Forbidden\r\nContent-Type: text/plain\r\n"
		    "Content-Length: 0\r\nCache-Control: no-store\r\n\r\n";
		FCGX_PutStr(refuse, (int)sizeof(refuse) - 1, fr->out);
		FCGX_Finish_r(fr);
		log_warnx("refused a FastCGI request in role %d", fr->role);
		return;
	}
	rq.method = FCGX_GetParam("REQUEST_METHOD", fr->envp);
	rq.path_info = FCGX_GetParam("PATH_INFO", fr->envp);
	rq.script_name = FCGX_GetParam("SCRIPT_NAME", fr->envp);
	rq.query_string = FCGX_GetParam("QUERY_STRING", fr->envp);
	rq.remote_user = FCGX_GetParam("REMOTE_USER", fr->envp);
	rq.request_id_in = FCGX_GetParam("HTTP_X_REQUEST_ID", fr->envp);
	app_handle(w, &rq);
	buf_reset(out);
	front_head(out, &rq, &w->rs);
	if (out->failed)
		FCGX_PutStr(fb,
		    (int)front_fallback(fb, sizeof(fb), &rq, &w->rs), fr->out);
	else if (send_answer(fr, out, front_is_head(&rq) ? NULL : &w->rs.body) <
	    0)
		rq.undelivered = 1;
	drain_input(fr->in);
	FCGX_Finish_r(fr);
	worker_end_request(w, &rq);
}

/*
 * The configuration this request is served with, published in
 * ta->pinned before it is used (and checked again after, in case a
 * reload swapped it in between): the reloading thread frees an old
 * configuration only when no thread has it pinned.
 */
static struct config *
pin_conf(struct thread_arg *ta)
{
	struct config *c;

	for (;;) {
		c = __atomic_load_n(&ta->app->conf, __ATOMIC_SEQ_CST);
		__atomic_store_n(&ta->pinned, c, __ATOMIC_SEQ_CST);
		if (__atomic_load_n(&ta->app->conf, __ATOMIC_SEQ_CST) == c)
			return c;
	}
}

void *
front_thread(void *p)
{
	struct thread_arg *ta = p;
	struct app *view = &ta->view;
	struct worker *w;
	FCGX_Request fr;
	struct buf out;
	long backoff_ms = 0;
	enum accepted got;

	w = worker_new(view);
	if (w == NULL) {
		log_warnx("out of memory starting a thread");
		front_lose_process();
		__atomic_store_n(&ta->done, 1, __ATOMIC_SEQ_CST);
		return NULL;
	}
	buf_init(&out, 64 * 1024);
	FCGX_InitRequest(&fr, ta->fd, FCGI_FAIL_ACCEPT_ON_INTR);
	while (!front_quitting()) {
		got = accept_one(ta, &fr, &backoff_ms);
		if (got == ACC_STOP)
			break;
		if (got == ACC_IDLE && front_pool_may_retire(ta->pool))
			break; /* the pool shrinks */
		if (got == ACC_REQUEST) {
			front_pool_accepted(ta->pool);
			view->conf = pin_conf(ta);
			answer(w, &fr, &out);
			front_pool_answered(ta->pool);
			__atomic_store_n(&ta->pinned, NULL, __ATOMIC_SEQ_CST);
			__atomic_add_fetch(&ta->served, 1, __ATOMIC_RELAXED);
			if (front_pool_may_retire(ta->pool))
				break; /* the pool shrinks */
		}
	}
	FCGX_Free(&fr, 1);
	buf_free(&out);
	worker_free(w);
	__atomic_store_n(&ta->done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}
