/*
 * The transport: FastCGI (libfcgi's FCGX_* API; the only file that
 * includes fcgiapp.h) or one CGI request.  Owns threads, worker
 * processes and signals.
 */
#ifndef CN_FRONT_H
#define CN_FRONT_H

struct app;

/* Opens "unix:/path" or "host:port"; returns the fd or -1. */
int front_listen(const char *addr);
/* True when fd 0 is a FastCGI listening socket. */
int front_is_fastcgi(void);
/* Serves until SIGTERM/SIGINT/SIGUSR1; returns the exit status. */
int front_serve(struct app *, int listen_fd, int threads, int workers);
int front_cgi(struct app *);

#endif
