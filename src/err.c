#include "err.h"

static const struct {
	const char *code;
	const char *title;
	const char *type;
	int status;
	int retryable;
} table[CN_ERR__MAX] = {
	[CN_OK] = { "OK", "OK", "about:blank", 200, 0 },
	[CN_INVALID_ARGUMENT] = { "INVALID_ARGUMENT", "Invalid argument",
	    "urn:callnorm:problem:invalid-argument", 400, 0 },
	[CN_INVALID_CURSOR] = { "INVALID_CURSOR", "Invalid cursor",
	    "urn:callnorm:problem:invalid-cursor", 400, 0 },
	[CN_CURSOR_EXPIRED] = { "CURSOR_EXPIRED", "Cursor expired",
	    "urn:callnorm:problem:cursor-expired", 400, 0 },
	[CN_CURSOR_QUERY_MISMATCH] = { "CURSOR_QUERY_MISMATCH",
	    "Cursor query mismatch",
	    "urn:callnorm:problem:cursor-query-mismatch", 400, 0 },
	[CN_UNSUPPORTED_FILTER] = { "UNSUPPORTED_FILTER", "Unsupported filter",
	    "urn:callnorm:problem:unsupported-filter", 400, 0 },
	[CN_ACCESS_DENIED] = { "ACCESS_DENIED", "Access denied",
	    "urn:callnorm:problem:access-denied", 403, 0 },
	[CN_UNKNOWN_PROVIDER] = { "UNKNOWN_PROVIDER", "Unknown provider",
	    "urn:callnorm:problem:unknown-provider", 404, 0 },
	[CN_NOT_FOUND] = { "NOT_FOUND", "Not found",
	    "urn:callnorm:problem:not-found", 404, 0 },
	[CN_CALL_NOT_FOUND] = { "CALL_NOT_FOUND", "Call not found",
	    "urn:callnorm:problem:call-not-found", 404, 0 },
	[CN_DETAIL_UNSUPPORTED] = { "DETAIL_UNSUPPORTED", "Detail unsupported",
	    "urn:callnorm:problem:detail-unsupported", 501, 0 },
	[CN_METHOD_NOT_ALLOWED] = { "METHOD_NOT_ALLOWED", "Method not allowed",
	    "urn:callnorm:problem:method-not-allowed", 405, 0 },
	[CN_PROVIDER_RATE_LIMITED] = { "PROVIDER_RATE_LIMITED",
	    "Provider rate limited",
	    "urn:callnorm:problem:provider-rate-limited", 429, 1 },
	[CN_PROVIDER_AUTH_FAILED] = { "PROVIDER_AUTH_FAILED",
	    "Provider authentication failed",
	    "urn:callnorm:problem:provider-auth-failed", 502, 0 },
	[CN_PROVIDER_BAD_RESPONSE] = { "PROVIDER_BAD_RESPONSE",
	    "Provider bad response",
	    "urn:callnorm:problem:provider-bad-response", 502, 0 },
	[CN_PROVIDER_UNAVAILABLE] = { "PROVIDER_UNAVAILABLE",
	    "Provider unavailable", "urn:callnorm:problem:provider-unavailable",
	    502, 1 },
	[CN_PROVIDER_PAGINATION_STUCK] = { "PROVIDER_PAGINATION_STUCK",
	    "Provider pagination stuck",
	    "urn:callnorm:problem:provider-pagination-stuck", 502, 0 },
	[CN_PROVIDER_TIMEOUT] = { "PROVIDER_TIMEOUT", "Provider timeout",
	    "urn:callnorm:problem:provider-timeout", 504, 1 },
	[CN_INTERNAL] = { "INTERNAL", "Internal error",
	    "urn:callnorm:problem:internal", 500, 0 },
};

static int
valid(enum cn_err e)
{
	return (int)e >= 0 && e < CN_ERR__MAX;
}

const char *
cn_err_code(enum cn_err e)
{
	return valid(e) ? table[e].code : table[CN_INTERNAL].code;
}

const char *
cn_err_title(enum cn_err e)
{
	return valid(e) ? table[e].title : table[CN_INTERNAL].title;
}

const char *
cn_err_type(enum cn_err e)
{
	return valid(e) ? table[e].type : table[CN_INTERNAL].type;
}

int
cn_err_http_status(enum cn_err e)
{
	return valid(e) ? table[e].status : 500;
}

int
cn_err_retryable(enum cn_err e)
{
	return valid(e) ? table[e].retryable : 0;
}
