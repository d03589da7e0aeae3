/*
 * One HTTP request as the web server handed it over, and the response
 * being built for it.  Independent of FastCGI/CGI: front.c fills these.
 */
#ifndef CN_REQUEST_H
#define CN_REQUEST_H

#include <stdint.h>

#include "buf.h"
#include "err.h"

struct arena;
struct qerrors;

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
	/* per-provider upstream counts for the log line */
	char upstream_summary[256];
	int undelivered; /* the web server closed before the answer went out */
};

struct response {
	int status;
	const char *content_type;
	struct buf headers; /* extra "Name: value\r\n" lines */
	struct buf body;
};

void response_init(struct response *);
void response_reset(struct response *);
void response_free(struct response *);
int response_header(struct response *, const char *name, const char *value);
void response_json(struct response *, int status);

/*
 * Writes an RFC 9457 problem as the response.  detail and the entries in
 * errs may hold client text: they only ever go into the JSON body.
 */
void problem_respond(struct request *, struct response *, enum cn_err,
    const char *detail, const struct qerrors *errs);

/* Keeps the caller's X-Request-Id when it is 1-64 of [A-Za-z0-9._-]. */
void request_id_init(struct request *);

#endif
