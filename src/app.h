/*
 * The responder proper: routes one request to its handler.  The front
 * (FastCGI or CGI) owns the transport; a worker is one thread's reusable
 * state (arena, response buffers, upstream connections).
 */
#ifndef CN_APP_H
#define CN_APP_H

#include "request.h"
#include "response.h"

struct config;
struct http;

struct app {
	/* Read with an atomic load: a reload (SIGHUP) swaps it while
	 * threads serve; each request pins the one it started with. */
	struct config *conf;
	const char *conf_path; /* for reloads */
	const char *listen_desc; /* for the log: "unix:/path", "fd 0" */
};

struct worker {
	struct app *app;
	struct arena *arena;
	struct response rs;
	struct http *http; /* upstream connections, kept across requests */
};

struct worker *worker_new(struct app *);
void worker_free(struct worker *);
/* Handles rq into w->rs; the front writes it out, then calls
 * worker_end_request(). */
void app_handle(struct worker *, struct request *);
void worker_end_request(struct worker *, struct request *);

/* Handlers */
void handle_providers(struct worker *, struct request *, struct response *);

#endif
