/*
 * The response being built for one request: status, extra headers and
 * body, and the RFC 9457 problem answers.  The front writes it out.
 */
#ifndef CN_RESPONSE_H
#define CN_RESPONSE_H

#include "buf.h"
#include "err.h"

struct qerrors;
struct request;

struct response {
	int status;
	const char *content_type;
	/* Cache-Control; NULL is no-store (a route may need more) */
	const char *cache_control;
	struct buf headers; /* extra "Name: value\r\n" lines */
	struct buf body;
	enum cn_err problem; /* the problem answered, for the log; CN_OK */
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

/*
 * The same, with members of the caller's own: extras (when not NULL)
 * writes them into the object before it is closed, each starting with
 * a comma.
 */
typedef void problem_extras_fn(struct buf *, void *ctx);
void problem_respond_with(struct request *, struct response *, enum cn_err,
    const char *detail, const struct qerrors *errs, problem_extras_fn *extras,
    void *ctx);

#endif
