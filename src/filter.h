/*
 * Filters on normalized records.  Every requested filter is re-checked
 * here on every record whose kind can carry what it tests, whatever was
 * pushed down, so a provider that ignores or widens a filter cannot
 * change the answer.
 */
#ifndef CN_FILTER_H
#define CN_FILTER_H

#include <stdbool.h>
#include <stddef.h>

#include "call.h"
#include "query.h"

struct buf;
struct driver;
struct plan;

/* Filters, as bits, for capability tables and plans. */
enum filter {
	F_STATUS,
	F_DIRECTION,
	F_TYPE,
	F_AGENT,
	F_STARTED_AFTER,
	F_STARTED_BEFORE,
	F_MIN_DURATION,
	F_MAX_DURATION,
	F_PHONE,
	F_Q,
	F_INCLUDE_TEST,
	F__MAX
};

/* The query parameter each filter tests, as the API names it. */
extern const char *const filter_names[F__MAX];

/* The names of the filters in mask, as a JSON array. */
void filter_names_json(struct buf *, unsigned mask);

/* Bits of enum filter the query sets (include_test=false counts). */
unsigned filter_requested(const struct query *);
/*
 * Fills the plan from the driver's own choice of pushdowns: local is
 * requested & can_check, unsupported is what is neither pushed nor
 * checkable.
 */
void filter_plan(const struct driver *, const struct query *, struct plan *);
/*
 * `q`: true when needle occurs in hay, bytes compared after folding ASCII
 * A-Z to a-z.  Other bytes, UTF-8 included, must match exactly: "É" does
 * not match "é".  Linear in hay plus needle; *steps (when not NULL) gets
 * the number of byte comparisons, for tests.
 */
#define FILTER_MAX_NEEDLE 256 /* longer needles cost a malloc */
bool filter_icontains(const char *hay, const char *needle, size_t *steps);
bool filter_icontains_naive(const char *hay, const char *needle);
/* True when c satisfies every filter in mask. */
bool filter_match(const struct query *, unsigned mask, const struct call *);

#endif
