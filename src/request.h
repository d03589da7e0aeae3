/*
 * One HTTP request as the web server handed it over.  Independent of
 * FastCGI/CGI: front.c fills it; the response is in response.h.
 */
#ifndef CN_REQUEST_H
#define CN_REQUEST_H

#include <stdint.h>

struct arena;
struct worker;

struct request {
	const char *method;
	const char *path_info;
	const char *script_name;
	const char *query_string;
	const char *remote_user;
	const char *request_id_in; /* X-Request-Id from the client */
	char request_id[65];
	int64_t start_us;
	struct arena *arena;
	struct worker *worker;
	const char *route; /* for the log and metrics; a static string */
	char method_copy[16]; /* the method outlives the transport's params */
	char user_log[65]; /* REMOTE_USER as logged (log_user), likewise */
	/* per-provider upstream counts for the log line */
	char upstream_summary[256];
	int undelivered; /* the web server closed before the answer went out */
};

/* Keeps the caller's X-Request-Id when it is 1-64 of [A-Za-z0-9._-]. */
void request_id_init(struct request *);

#endif
