/*
 * Writing the response body: call records (SPEC 4.3) and the page
 * envelope (SPEC 4.4), straight into the response buffer.
 */
#ifndef CN_PAGE_H
#define CN_PAGE_H

#include <stdbool.h>

struct buf;
struct call;

/* One call record as SPEC 4.3 JSON; with raw, the provider's record too. */
int page_write_call(struct buf *, const struct call *, bool include_raw);

#endif
