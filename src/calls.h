/*
 * GET /calls: one page of the merged list of calls across providers.
 */
#ifndef CN_CALLS_H
#define CN_CALLS_H

struct request;
struct response;
struct worker;

void handle_calls(struct worker *, struct request *, struct response *);

#endif
