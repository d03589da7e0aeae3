/*
 * One result type for the whole responder.  Each value names what the
 * caller must do with the request: answer the client with that problem.
 * The human-readable detail travels separately (an errbuf or a problem).
 */
#ifndef CN_ERR_H
#define CN_ERR_H

enum cn_err {
	CN_OK = 0,
	CN_INVALID_ARGUMENT, /* 400: the client fixes its query */
	CN_INVALID_CURSOR, /* 400: the client drops the cursor */
	CN_CURSOR_EXPIRED, /* 400: the client starts over */
	CN_CURSOR_QUERY_MISMATCH, /* 400: the client resends the query */
	CN_UNSUPPORTED_FILTER, /* 400: the client narrows `provider` */
	CN_ACCESS_DENIED, /* 403: the web server must authenticate */
	CN_UNKNOWN_PROVIDER, /* 404 */
	CN_NOT_FOUND, /* 404: unknown route */
	CN_CALL_NOT_FOUND, /* 404: the provider has no such call */
	CN_METHOD_NOT_ALLOWED, /* 405 */
	CN_DETAIL_UNSUPPORTED, /* 501: the kind cannot fetch one call */
	CN_PROVIDER_RATE_LIMITED, /* 429: retry after Retry-After */
	CN_PROVIDER_AUTH_FAILED, /* 502: the operator fixes the key */
	CN_PROVIDER_BAD_RESPONSE, /* 502: not retryable */
	CN_PROVIDER_UNAVAILABLE, /* 502: retryable upstream failure */
	CN_PROVIDER_PAGINATION_STUCK, /* 502 */
	CN_PROVIDER_TIMEOUT, /* 504: retryable */
	CN_INTERNAL, /* 500: a bug or exhausted memory */
	CN_ERR__MAX
};

const char *cn_err_code(enum cn_err); /* "INVALID_ARGUMENT" */
const char *cn_err_title(enum cn_err); /* "Invalid argument" */
const char *cn_err_type(enum cn_err); /* "urn:callnorm:problem:..." */
int cn_err_http_status(enum cn_err);
/* Upstream failures that a later attempt may cure. */
int cn_err_retryable(enum cn_err);

#endif
