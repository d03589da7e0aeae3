/*
 * GET /calls/{id}: one call in full.  detail.c is the route and its only
 * I/O (every part's request in parallel); detail_id.c holds the pure
 * parts, tested and fuzzed on their own: the id, the query, the answer.
 */
#ifndef CN_DETAIL_H
#define CN_DETAIL_H

#include <stdbool.h>
#include <stddef.h>

#include "provider.h"

struct buf;
struct request;
struct response;
struct worker;

/* Longest id accepted, in bytes (as PATH_INFO carries it, decoded). */
#define DETAIL_ID_MAX 300

/*
 * Splits "PROVIDER:NATIVE_ID" at its first ':' into the arena: 0, or -1
 * (malformed: no ':', an empty part, over DETAIL_ID_MAX bytes, a control
 * byte or a byte >= 0x80) with *why set.
 */
int detail_parse_id(struct arena *, const char *id, const char **provider,
    const char **native_id, const char **why);

/* include=raw, repeated or not, is the only parameter: 0 with *raw set,
 * or -1 with the offending parameter's name in *param (arena); a query
 * string over QUERY_MAX_BYTES is refused whole. */
int detail_parse_query(
    struct arena *, const char *qs, bool *raw, const char **param);

/* The detail's members after the call record's own: transcript, summary,
 * recording_url, recording_expires_at, cost, and raw (one member per
 * part, credentials dropped) when include_raw. */
void detail_write(struct buf *, const struct detail *,
    const struct detail_driver *, bool include_raw);

void handle_call(struct worker *, struct request *, struct response *);

#endif
