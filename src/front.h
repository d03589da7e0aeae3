/*
 * The transport: FastCGI (libfcgi's FCGX_* API; the only file that
 * includes fcgiapp.h) or one CGI request.  Owns threads, worker
 * processes and signals.
 */
#ifndef CN_FRONT_H
#define CN_FRONT_H

#include <stddef.h>
#include <sys/uio.h>

struct app;

/*
 * Who may connect to a unix: socket, like php-fpm's listen.owner,
 * listen.group and listen.mode.  NULL owner or group: the process's own;
 * mode < 0: 0660.
 */
struct front_sockperm {
	const char *owner, *group; /* names or numeric ids */
	int mode;
};

/* Opens "unix:/path" or "host:port"; returns the fd or -1.  perm: for
 * unix: sockets only (NULL: the defaults). */
int front_listen(const char *addr, const struct front_sockperm *perm);
/* libfcgi's set-up, before front_is_fastcgi; -1 (logged) when it fails. */
int front_init(void);
/* True when fd 0 is a FastCGI listening socket. */
int front_is_fastcgi(void);
/*
 * Request threads per process: min are started and always kept; more
 * start while requests keep every thread busy, up to max, and retire
 * after idle_ms without a connection.  min == max: a fixed pool.
 */
struct front_pool {
	int min, max, idle_ms;
};

/* Serves until SIGTERM/SIGINT/SIGUSR1; returns the exit status. */
/* SIGHUP reloads the configuration (see reload.h). */
int front_serve(
    struct app *, int listen_fd, const struct front_pool *, int workers);
int front_cgi(struct app *);

/*
 * FastCGI STDOUT framing, apart from the socket so that it can be tested.
 * An answer leaves as records of at most FRONT_REC_MAX bytes, each an
 * 8-byte header, the data (pointed to, not copied) and up to 7 bytes of
 * padding, gathered into batches of FRONT_IOV_BATCH iovecs for sendmsg.
 * A record takes two iovecs, or three when it needs padding, so a batch
 * holds at most FRONT_IOV_BATCH / 2 headers.
 */
#define FRONT_REC_MAX 65528 /* largest multiple of 8 a length can hold */
#define FRONT_IOV_BATCH 192
#define FRONT_HDR_LEN 8

struct front_batch {
	struct iovec iov[FRONT_IOV_BATCH];
	unsigned char hdr[FRONT_IOV_BATCH / 2][FRONT_HDR_LEN];
	int niov, nhdr;
};

/* Empties the batch (after it was sent). */
void front_batch_reset(struct front_batch *);
/*
 * Frames the first bytes of p[0..len) as STDOUT records of request id
 * into the batch, as many as fit; returns how many bytes it framed.  Less
 * than len means the batch is full: send it, reset it and call again.
 */
size_t front_frame(
    struct front_batch *, unsigned id, const char *p, size_t len);

#endif
