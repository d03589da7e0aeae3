/*
 * Writing the /calls answer: call records, the page envelope
 * with meta.providers[] and the Link to the next page, and
 * the problem answered when providers failed; straight into the
 * response buffer.
 */
#ifndef CN_PAGE_H
#define CN_PAGE_H

#include <stdbool.h>

struct buf;
struct call;
struct request;
struct response;
struct walk;

/* One call record as JSON; with raw, the provider's record too. */
int page_write_call(struct buf *, const struct call *, bool include_raw);

/* The page of r's emitted records; cursor is the next page's (with
 * has_more), also sent as a Link header. */
void page_write(struct response *, const struct request *, const struct walk *r,
    const char *cursor, bool has_more);

/* The problem for r's failed providers, with each one's error. */
void page_fail(struct response *, struct request *, const struct walk *r);

#endif
