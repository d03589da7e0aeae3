/*
 * Each GET /calls parameter's value: checked, and stored in the typed
 * query.
 */
#include <string.h>

#include "arena.h"
#include "query_int.h"
#include "timefmt.h"

static bool
valid_provider_name(const char *s, size_t n)
{
	size_t i;

	if (n < 1 || n > 32)
		return false;
	for (i = 0; i < n; i++) {
		char c = s[i];
		bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
		if (!alnum && (i == 0 || (c != '_' && c != '-')))
			return false;
	}
	return true;
}

static bool
valid_phone(const char *s, size_t n)
{
	size_t i = 0;

	if (n > 0 && s[0] == '+')
		i = 1;
	if (n - i < 1 || n - i > 20)
		return false;
	for (; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* Non-negative decimal integer without sign or leading zeros beyond "0";
 * values past cap saturate to cap + 1 so "too large" is detectable. */
static int
parse_uint(const char *s, size_t n, int64_t cap, int64_t *out)
{
	int64_t v = 0;
	size_t i;

	if (n == 0 || (n > 1 && s[0] == '0'))
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		if (v <= cap)
			v = v * 10 + (s[i] - '0');
	}
	*out = v > cap ? cap + 1 : v;
	return 0;
}

/*
 * A space in a phone number or an instant is almost always a '+' sent
 * as it is: in a query string an unencoded '+' means a space, so
 * "+15550100" and "...T10:00:00+02:00" arrive with a blank instead.
 */
#define PLUS_HINT \
	"contains a space: a '+' must be sent as %2B (an unencoded + " \
	"means a space in a query string)"

/* The value of a parameter that may have many: a name or a word. */
static const char *
check_many(struct query *q, int p, const char *v, size_t n)
{
	int idx;

	switch (p) {
	case QP_PROVIDER:
		return valid_provider_name(v, n)
		    ? NULL
		    : "must be a provider name ([a-z0-9][a-z0-9_-]{0,31})";
	case QP_STATUS:
		idx = name_lookup(call_status_names, ST__MAX, v, n);
		if (idx < 0)
			return "must be one of scheduled, queued, ringing, "
			       "in_progress, completed, no_answer, busy, "
			       "voicemail, failed, canceled, unknown";
		q->statuses |= 1u << idx;
		return NULL;
	case QP_DIRECTION:
		idx = name_lookup(call_dir_names, DIR__MAX, v, n);
		if (idx < 0)
			return "must be inbound or outbound";
		q->directions |= 1u << idx;
		return NULL;
	case QP_TYPE:
		idx = name_lookup(call_type_names, TYPE__MAX, v, n);
		if (idx < 0)
			return "must be phone or web";
		q->types |= 1u << idx;
		return NULL;
	case QP_AGENT_ID:
	case QP_Q:
		return NULL;
	case QP_PHONE:
		if (memchr(v, ' ', n) != NULL)
			return PLUS_HINT;
		return valid_phone(v, n)
		    ? NULL
		    : "must be digits with an optional leading +";
	}
	return "unknown parameter";
}

/* The value of a parameter that takes one. */
static const char *
check_one(struct arena *a, struct query *q, int p, const char *v, size_t n)
{
	int64_t t;

	switch (p) {
	case QP_STARTED_AFTER:
	case QP_STARTED_BEFORE:
		if (time_parse_rfc3339(v, n, &t) < 0)
			return memchr(v, ' ', n) != NULL
			    ? PLUS_HINT
			    : "must be an RFC 3339 instant with Z or an "
			      "offset";
		if (p == QP_STARTED_AFTER)
			q->started_after = t;
		else
			q->started_before = t;
		return NULL;
	case QP_MIN_DURATION:
	case QP_MAX_DURATION:
		if (parse_uint(v, n, INT64_C(1) << 53, &t) < 0)
			return "must be an integer >= 0";
		if (t > (INT64_C(1) << 53))
			return "is too large";
		if (p == QP_MIN_DURATION)
			q->min_duration = t;
		else
			q->max_duration = t;
		return NULL;
	case QP_INCLUDE_TEST:
		if (n == 4 && memcmp(v, "true", 4) == 0)
			q->include_test = true;
		else if (n == 5 && memcmp(v, "false", 5) == 0)
			q->include_test = false;
		else
			return "must be true or false";
		return NULL;
	case QP_ORDER:
		if (n == 4 && memcmp(v, "desc", 4) == 0)
			q->order = ORDER_DESC;
		else if (n == 3 && memcmp(v, "asc", 3) == 0)
			q->order = ORDER_ASC;
		else
			return "must be asc or desc";
		return NULL;
	case QP_LIMIT:
		if (parse_uint(v, n, 1000, &t) < 0 || t < 1)
			return "must be an integer from 1 to 1000";
		q->limit = (int)(t > 1000 ? 1000 : t);
		return NULL;
	case QP_CURSOR:
		q->cursor = arena_strndup(a, v, n);
		return NULL;
	case QP_INCLUDE:
		if (n == 3 && memcmp(v, "raw", 3) == 0)
			q->include_raw = true;
		else
			return "must be raw";
		return NULL;
	case QP_PARTIAL:
		if (n == 4 && memcmp(v, "deny", 4) == 0)
			q->partial_allow = false;
		else if (n == 5 && memcmp(v, "allow", 5) == 0)
			q->partial_allow = true;
		else
			return "must be deny or allow";
		return NULL;
	}
	return "unknown parameter";
}

const char *
query_check_value(
    struct arena *a, struct query *q, int p, const char *v, size_t n)
{
	return (SINGLE & (1u << p)) ? check_one(a, q, p, v, n)
	                            : check_many(q, p, v, n);
}
