/* Problem details, codes, statuses, request ids. */
#include <string.h>

#include <json-c/json.h>

#include "err.h"
#include "query.h"
#include "request.h"
#include "response.h"
#include "tap.h"

static const char *
field(json_object *o, const char *k)
{
	json_object *v;

	return json_object_object_get_ex(o, k, &v) ? json_object_get_string(v)
	                                           : NULL;
}

int
main(void)
{
	static const struct {
		enum cn_err e;
		const char *code;
		int status;
	} table[] = {
		{ CN_INVALID_ARGUMENT, "INVALID_ARGUMENT", 400 },
		{ CN_INVALID_CURSOR, "INVALID_CURSOR", 400 },
		{ CN_CURSOR_EXPIRED, "CURSOR_EXPIRED", 400 },
		{ CN_CURSOR_QUERY_MISMATCH, "CURSOR_QUERY_MISMATCH", 400 },
		{ CN_UNSUPPORTED_FILTER, "UNSUPPORTED_FILTER", 400 },
		{ CN_ACCESS_DENIED, "ACCESS_DENIED", 403 },
		{ CN_UNKNOWN_PROVIDER, "UNKNOWN_PROVIDER", 404 },
		{ CN_NOT_FOUND, "NOT_FOUND", 404 },
		{ CN_METHOD_NOT_ALLOWED, "METHOD_NOT_ALLOWED", 405 },
		{ CN_CALL_NOT_FOUND, "CALL_NOT_FOUND", 404 },
		{ CN_DETAIL_UNSUPPORTED, "DETAIL_UNSUPPORTED", 501 },
		{ CN_PROVIDER_RATE_LIMITED, "PROVIDER_RATE_LIMITED", 429 },
		{ CN_PROVIDER_AUTH_FAILED, "PROVIDER_AUTH_FAILED", 502 },
		{ CN_PROVIDER_BAD_RESPONSE, "PROVIDER_BAD_RESPONSE", 502 },
		{ CN_PROVIDER_UNAVAILABLE, "PROVIDER_UNAVAILABLE", 502 },
		{ CN_PROVIDER_PAGINATION_STUCK, "PROVIDER_PAGINATION_STUCK",
		    502 },
		{ CN_PROVIDER_TIMEOUT, "PROVIDER_TIMEOUT", 504 },
		{ CN_INTERNAL, "INTERNAL", 500 },
	};
	struct request rq;
	struct response rs;
	struct qerror ev[2] = { { "limit",
		                    "must be an integer from 1 to 1000" },
		{ "fo\"o", "is not a known parameter" } };
	struct qerrors qe = { ev, 2, NULL };
	json_object *o, *arr;
	size_t i;

	memset(&rq, 0, sizeof(rq));
	response_init(&rs);
	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		is_str(cn_err_code(table[i].e), table[i].code, "code %s",
		    table[i].code);
		is_int(cn_err_http_status(table[i].e), table[i].status,
		    "HTTP status of %s", table[i].code);
	}

	rq.request_id_in = "abc.DEF_123-x";
	request_id_init(&rq);
	is_str(rq.request_id, "abc.DEF_123-x", "a valid X-Request-Id is kept");
	rq.request_id_in = "bad id\r\nX-Evil: 1";
	request_id_init(&rq);
	ok(strlen(rq.request_id) == 32 &&
	        strspn(rq.request_id, "0123456789abcdef") == 32,
	    "an invalid one is replaced");
	rq.request_id_in = "012345678901234567890123456789012345678901234567890"
	                   "1234567890123456";
	request_id_init(&rq);
	ok(strlen(rq.request_id) == 32, "a 67-byte id is replaced");

	problem_respond(&rq, &rs, CN_INVALID_ARGUMENT, "bad \"query\"", &qe);
	is_int(rs.status, 400, "status");
	is_str(rs.content_type, "application/problem+json", "content type");
	o = json_tokener_parse(buf_cstr(&rs.body));
	ok(o != NULL, "the body is JSON");
	is_str(
	    field(o, "type"), "urn:callnorm:problem:invalid-argument", "type");
	is_str(field(o, "title"), "Invalid argument", "title");
	is_str(field(o, "status"), "400", "status member");
	is_str(field(o, "code"), "INVALID_ARGUMENT", "code member");
	is_str(field(o, "detail"), "bad \"query\"", "detail, escaped");
	is_str(field(o, "request_id"), rq.request_id, "request_id member");
	ok(json_object_object_get_ex(o, "errors", &arr) &&
	        json_object_array_length(arr) == 2,
	    "errors[] has both entries");
	is_str(field(json_object_array_get_idx(arr, 1), "parameter"), "fo\"o",
	    "client text is escaped in the body");
	json_object_put(o);

	problem_respond(&rq, &rs, CN_METHOD_NOT_ALLOWED, NULL, NULL);
	ok(strstr(buf_cstr(&rs.headers), "Allow: GET, HEAD\r\n") != NULL,
	    "405 carries Allow");
	o = json_tokener_parse(buf_cstr(&rs.body));
	ok(o != NULL && !json_object_object_get_ex(o, "errors", NULL),
	    "no errors[] when there are none");
	json_object_put(o);
	ok(response_header(&rs, "X-Test", "a\r\nb") < 0,
	    "header values with CR/LF are refused");
	response_free(&rs);
	return done_testing();
}
