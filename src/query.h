/*
 * GET /calls parameters: untrusted bytes in, a typed query or
 * a list of per-parameter errors out.  No I/O, so it is unit-tested and
 * fuzzed as it is.
 */
#ifndef CN_QUERY_H
#define CN_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "call.h"

struct arena;

#define QUERY_MAX_BYTES 8192
#define QUERY_MAX_VALUE 256

enum qparam {
	QP_PROVIDER,
	QP_STATUS,
	QP_DIRECTION,
	QP_TYPE,
	QP_AGENT_ID,
	QP_STARTED_AFTER,
	QP_STARTED_BEFORE,
	QP_MIN_DURATION,
	QP_MAX_DURATION,
	QP_PHONE,
	QP_Q,
	QP_INCLUDE_TEST,
	QP_ORDER,
	QP_LIMIT,
	QP_CURSOR,
	QP_INCLUDE,
	QP_PARTIAL,
	QP__MAX
};

extern const char *const qparam_names[QP__MAX];

struct strset {
	const char **v; /* sorted, distinct */
	size_t n;
};

enum order { ORDER_DESC, ORDER_ASC };

struct query {
	unsigned given; /* bit (1u << QP_x) for each parameter present */
	struct strset providers;
	unsigned statuses; /* bits of enum call_status; 0 = any */
	unsigned directions; /* bits of enum call_dir */
	unsigned types; /* bits of enum call_type */
	struct strset agent_ids;
	struct strset phones;
	struct strset qs; /* lowercased */
	int64_t started_after;
	int64_t started_before;
	int64_t min_duration;
	int64_t max_duration;
	bool include_test;
	enum order order;
	int limit;
	const char *cursor;
	bool include_raw;
	bool partial_allow;
};

struct qerror {
	const char *parameter;
	const char *detail;
};

struct qerrors {
	struct qerror *v;
	size_t n;
	const char *detail; /* set when the whole query is refused */
};

/* What query_parse made of the query string. */
enum query_result {
	QUERY_OK = 0, /* *q filled */
	QUERY_INVALID = -1, /* errs filled: the answer is INVALID_ARGUMENT */
	QUERY_NOMEM = -2 /* out of memory: the answer is INTERNAL */
};

enum query_result query_parse(struct arena *, const char *qs, size_t len,
    struct query *q, struct qerrors *errs);

static inline bool
query_has(const struct query *q, enum qparam p)
{
	return (q->given & (1u << p)) != 0;
}

/*
 * Canonical text of the query without limit and cursor: equal queries
 * give equal text whatever the parameter order or repetition.  The
 * cursor is bound to a hash of it.
 */
char *query_canonical(struct arena *, const struct query *);
#endif
