#include <string.h>

#include <openssl/rand.h>

#include "ascii.h"
#include "query.h"
#include "request.h"
#include "response.h"

#define BODY_MAX (256u * 1024 * 1024)

void
response_init(struct response *rs)
{
	memset(rs, 0, sizeof(*rs));
	buf_init(&rs->headers, 16 * 1024);
	buf_init(&rs->body, BODY_MAX);
}

void
response_reset(struct response *rs)
{
	rs->status = 0;
	rs->content_type = NULL;
	rs->problem = CN_OK;
	rs->cache_control = NULL;
	buf_reset(&rs->headers);
	buf_reset(&rs->body);
}

void
response_free(struct response *rs)
{
	buf_free(&rs->headers);
	buf_free(&rs->body);
}

int
response_header(struct response *rs, const char *name, const char *value)
{
	const char *p;

	/* Header values are ours, but never let a CR or LF through. */
	for (p = value; *p != '\0'; p++)
		if (*p == '\r' || *p == '\n')
			return -1;
	buf_adds(&rs->headers, name);
	buf_add(&rs->headers, ": ", 2);
	buf_adds(&rs->headers, value);
	return buf_add(&rs->headers, "\r\n", 2);
}

void
response_json(struct response *rs, int status)
{
	rs->status = status;
	rs->content_type = "application/json; charset=utf-8";
}

void
problem_respond(struct request *rq, struct response *rs, enum cn_err e,
    const char *detail, const struct qerrors *errs)
{
	problem_respond_with(rq, rs, e, detail, errs, NULL, NULL);
}

void
problem_respond_with(struct request *rq, struct response *rs, enum cn_err e,
    const char *detail, const struct qerrors *errs, problem_extras_fn *extras,
    void *ctx)
{
	struct buf *b = &rs->body;
	size_t i;

	buf_reset(b);
	buf_reset(&rs->headers);
	rs->status = cn_err_http_status(e);
	rs->content_type = "application/problem+json";
	rs->problem = e;
	buf_adds(b, "{\"type\":");
	buf_json_cstr(b, cn_err_type(e));
	buf_adds(b, ",\"title\":");
	buf_json_cstr(b, cn_err_title(e));
	buf_printf(b, ",\"status\":%d,\"code\":", rs->status);
	buf_json_cstr(b, cn_err_code(e));
	buf_adds(b, ",\"detail\":");
	buf_json_cstr(b, detail != NULL ? detail : cn_err_title(e));
	buf_adds(b, ",\"request_id\":");
	buf_json_cstr(b, rq->request_id);
	if (errs != NULL && errs->n > 0) {
		buf_adds(b, ",\"errors\":[");
		for (i = 0; i < errs->n; i++) {
			if (i > 0)
				buf_addc(b, ',');
			buf_adds(b, "{\"parameter\":");
			buf_json_cstr(b, errs->v[i].parameter);
			buf_adds(b, ",\"detail\":");
			buf_json_cstr(b, errs->v[i].detail);
			buf_addc(b, '}');
		}
		buf_addc(b, ']');
	}
	if (extras != NULL)
		extras(b, ctx);
	buf_addc(b, '}');
	if (e == CN_METHOD_NOT_ALLOWED)
		response_header(rs, "Allow", "GET, HEAD");
}

void
request_id_init(struct request *rq)
{
	static const char hex[] = ASCII_HEX_LOWER;
	const char *in = rq->request_id_in;
	unsigned char rnd[16];
	size_t n, i;

	if (in != NULL) {
		n = strlen(in);
		if (n >= 1 && n <= 64 &&
		    strspn(in,
		        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		        "0123456789._-") == n) {
			memcpy(rq->request_id, in, n + 1);
			return;
		}
	}
	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		memset(rnd, 0, sizeof(rnd));
	for (i = 0; i < sizeof(rnd); i++) {
		rq->request_id[2 * i] = hex[rnd[i] >> 4];
		rq->request_id[2 * i + 1] = hex[rnd[i] & 15];
	}
	rq->request_id[32] = '\0';
}
