/*
 * Private to the query parser, shared by its files:
 *   query.c        the query string: split, percent-decoded, checked as
 *                  UTF-8, values gathered; query_parse, query_canonical
 *   query_value.c  each parameter's value: checked and stored
 */
#ifndef CN_QUERY_INT_H
#define CN_QUERY_INT_H

#include <stddef.h>

#include "query.h"

struct arena;

/* Parameters that take one value (repeats must agree). */
#define SINGLE \
	((1u << QP_STARTED_AFTER) | (1u << QP_STARTED_BEFORE) | \
	    (1u << QP_MIN_DURATION) | (1u << QP_MAX_DURATION) | \
	    (1u << QP_INCLUDE_TEST) | (1u << QP_ORDER) | (1u << QP_LIMIT) | \
	    (1u << QP_CURSOR) | (1u << QP_INCLUDE) | (1u << QP_PARTIAL))

/* Checks value v[0..n) of parameter p and stores it in q; NULL, or what
 * is wrong with it (the detail of its error). */
const char *query_check_value(
    struct arena *, struct query *q, int p, const char *v, size_t n);

#endif
