/*
 * The bytes of an answer: its CGI head, the fixed 500 for when that
 * cannot be built, and the FastCGI STDOUT records it leaves in.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <fastcgi.h>

#include "app.h"
#include "front_int.h"

static const char *
reason_phrase(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 400:
		return "Bad Request";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 429:
		return "Too Many Requests";
	case 501:
		return "Not Implemented";
	case 502:
		return "Bad Gateway";
	case 504:
		return "Gateway Timeout";
	default:
		return "Internal Server Error";
	}
}

void
front_head(struct buf *out, struct request *rq, struct response *rs)
{
	buf_printf(out,
	    "Status: %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
	    "X-Request-Id: %s\r\nCache-Control: %s\r\n"
	    "X-Content-Type-Options: nosniff\r\n",
	    rs->status, reason_phrase(rs->status),
	    rs->content_type ? rs->content_type : "application/json",
	    rs->body.len, rq->request_id,
	    rs->cache_control ? rs->cache_control : "no-store");
	buf_add(out, rs->headers.data, rs->headers.len);
	buf_add(out, "\r\n", 2);
}

int
front_is_head(const struct request *rq)
{
	return rq->method != NULL && strcmp(rq->method, "HEAD") == 0;
}

size_t
front_fallback(char *dst, size_t size, struct request *rq, struct response *rs)
{
	char body[320];
	int n, m;

	n = snprintf(body, sizeof(body),
	    "{\"type\":\"urn:callnorm:problem:internal\",\"title\":"
	    "\"Internal error\",\"status\":500,\"code\":\"INTERNAL\","
	    "\"detail\":\"the response could not be built\","
	    "\"request_id\":\"%s\"}",
	    rq->request_id);
	m = snprintf(dst, size,
	    "Status: 500 Internal Server Error\r\n"
	    "Content-Type: application/problem+json\r\n"
	    "Content-Length: %d\r\nX-Request-Id: %s\r\n"
	    "Cache-Control: %s\r\nX-Content-Type-Options: nosniff\r\n"
	    "\r\n%s",
	    n, rq->request_id,
	    rs->cache_control ? rs->cache_control : "no-store",
	    front_is_head(rq) ? "" : body);
	rs->status = 500;
	return m > 0 && (size_t)m < size ? (size_t)m : 0;
}

/*
 * FastCGI output.  The answer is whole in memory before its first byte
 * goes out, so it leaves as FCGI_STDOUT records of up to 64 KiB in as few
 * sendmsg calls as the iovec limit allows, instead of libfcgi's 8 KiB
 * records with one write each: a 100-call page was seven system calls and
 * seven wake-ups of the web server, and is now one.  libfcgi still ends
 * the stream (its empty STDOUT record and FCGI_END_REQUEST, in one write)
 * in FCGX_Finish_r; nothing is left in its buffer to come before ours.
 */
void
front_batch_reset(struct front_batch *b)
{
	b->niov = b->nhdr = 0;
}

size_t
front_frame(struct front_batch *b, unsigned id, const char *p, size_t len)
{
	static const char zeros[8];
	unsigned char *h;
	size_t n, pad, done = 0;
	int need;

	while (done < len) {
		n = len - done < FRONT_REC_MAX ? len - done : FRONT_REC_MAX;
		pad = (8 - n % 8) % 8;
		need = pad > 0 ? 3 : 2;
		/* Both limits are checked: full records need no padding, so
		 * a batch can hold more records than iovecs / 3. */
		if (b->niov + need > FRONT_IOV_BATCH ||
		    b->nhdr >= FRONT_IOV_BATCH / 2)
			break;
		h = b->hdr[b->nhdr++];
		h[0] = FCGI_VERSION_1;
		h[1] = FCGI_STDOUT;
		h[2] = (unsigned char)((id >> 8) & 0xff);
		h[3] = (unsigned char)(id & 0xff);
		h[4] = (unsigned char)((n >> 8) & 0xff);
		h[5] = (unsigned char)(n & 0xff);
		h[6] = (unsigned char)pad;
		h[7] = 0;
		b->iov[b->niov].iov_base = h;
		b->iov[b->niov++].iov_len = FRONT_HDR_LEN;
		b->iov[b->niov].iov_base = (void *)(p + done);
		b->iov[b->niov++].iov_len = n;
		if (pad > 0) {
			b->iov[b->niov].iov_base = (void *)zeros;
			b->iov[b->niov++].iov_len = pad;
		}
		done += n;
	}
	return done;
}

struct rec_out {
	int fd;
	unsigned id;
	int failed;
	struct front_batch b;
};

static void
rec_flush(struct rec_out *o)
{
	struct iovec *iov = o->b.iov;
	struct msghdr mh;
	size_t left = 0;
	ssize_t n;
	int i, cnt = o->b.niov;

	for (i = 0; i < cnt; i++)
		left += iov[i].iov_len;
	while (left > 0 && !o->failed) {
		memset(&mh, 0, sizeof(mh));
		mh.msg_iov = iov;
		mh.msg_iovlen = (size_t)cnt;
		/* MSG_NOSIGNAL: a client gone is an error here, not a signal */
		n = sendmsg(o->fd, &mh, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno != EINTR)
				o->failed = 1;
			continue;
		}
		left -= (size_t)n;
		/* a signal can cut a write short: resume where it stopped */
		while (cnt > 0 && (size_t)n >= iov->iov_len) {
			n -= (ssize_t)iov->iov_len;
			iov++;
			cnt--;
		}
		if (cnt > 0) {
			iov->iov_base = (char *)iov->iov_base + n;
			iov->iov_len -= (size_t)n;
		}
	}
	front_batch_reset(&o->b);
}

static void
rec_add(struct rec_out *o, const char *p, size_t len)
{
	size_t n;

	while (len > 0 && !o->failed) {
		n = front_frame(&o->b, o->id, p, len);
		p += n;
		len -= n;
		if (len > 0)
			rec_flush(o); /* the batch is full */
	}
}

int
front_send(int fd, unsigned id, const struct buf *head, const struct buf *body)
{
	struct rec_out o;

	o.fd = fd;
	o.id = id;
	o.failed = 0;
	front_batch_reset(&o.b);
	rec_add(&o, head->data, head->len);
	if (body != NULL)
		rec_add(&o, body->data, body->len);
	rec_flush(&o);
	return o.failed ? -1 : 0;
}
