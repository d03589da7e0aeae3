/*
 * Private to the transport, shared by its files:
 *   front.c         entry points, and the FastCGI request loop of one
 *                   thread: accept, answer, accept failures (the only
 *                   file that includes fcgiapp.h)
 *   front_answer.c  the bytes of an answer: the CGI head, the fixed 500,
 *                   FastCGI STDOUT records and sendmsg
 *   front_serve.c   a process of threads, its signals, and the
 *                   --workers master
 */
#ifndef CN_FRONT_INT_H
#define CN_FRONT_INT_H

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#include "app.h"
#include "front.h"

struct app;
struct buf;
struct config;
struct request;
struct response;

struct pool;

/*
 * One slot of the request-thread pool, as front_serve.c starts and stops
 * it.  A slot is used again once its thread has retired and been joined.
 * The fields the process's main thread reads without the pool's lock
 * (done, in_accept, pinned, served) are read and written atomically.
 */
struct thread_arg {
	struct app *app;
	struct pool *pool;
	int fd;
	pthread_t tid;
	int started; /* a thread was created and is not joined yet */
	volatile int done;
	/* Set while the thread waits for a connection: only then may it be
	 * woken by a signal, which would otherwise interrupt the writing of
	 * an answer. */
	volatile sig_atomic_t in_accept;
	/* The configuration the thread's current request started with
	 * (NULL between requests): a reload frees the old one only once no
	 * thread holds it. */
	struct config *pinned;
	/* The thread's own copy of *app, made before it starts; its conf
	 * is the pinned one of the request at hand. */
	struct app view;
	unsigned long served; /* requests answered, for the stop line */
};

/* front.c: a request thread's body (arg: its struct thread_arg). */
void *front_thread(void *arg);

/*
 * front_serve.c: the pool, as a request thread sees it.
 * front_pool_idle_ms: how long an idle thread waits in accept before it
 * may retire (0: never; a fixed pool).
 * front_pool_accepted: the thread left accept with a connection; starts
 * another thread when too few are left free.  front_pool_answered: the
 * thread is done with it.
 * front_pool_may_retire: after a request, or an accept that timed out;
 * true when the thread should exit (the pool asked one to retire).
 * front_pool_waiting: the thread enters (1) or leaves (-1) accept.
 */
int front_pool_idle_ms(const struct pool *);
void front_pool_accepted(struct pool *);
void front_pool_answered(struct pool *);
bool front_pool_may_retire(struct pool *);
void front_pool_waiting(struct pool *, int delta);

/* front_answer.c */
/* Status line and headers in CGI response form (RFC 3875 6.2). */
void front_head(struct buf *out, struct request *, struct response *);
/* True for HEAD: the answer has no body. */
int front_is_head(const struct request *);
/*
 * When the head could not be built (out of memory), a fixed 500 from a
 * stack buffer takes the place of head and body.  Returns its length.
 */
size_t front_fallback(
    char *dst, size_t size, struct request *, struct response *);
/* Sends head, then body (NULL: none), as FastCGI STDOUT records of
 * request id on fd: 0 when every byte went out, -1 when the web server
 * is gone. */
int front_send(
    int fd, unsigned id, const struct buf *head, const struct buf *body);

/* front_serve.c: the process's state, as request threads see it */
int front_quitting(void); /* set once shutdown has begun */
/* A thread can no longer serve: the process shuts down and exits 1. */
void front_lose_process(void);

#endif
