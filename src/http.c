#include "http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/rand.h>

#include "provider.h"
#include "ratelimit.h"
#include "timefmt.h"

struct http {
	CURLM *multi;
	CURLSH *share;
	struct http_job *waiting; /* jobs sleeping before a retry */
	int running; /* jobs inside curl */
	struct http_job *runlist; /* the same jobs, linked */
	struct http_job *done; /* finished, not yet returned */
};

struct http *
http_new(void)
{
	struct http *h;

	h = calloc(1, sizeof(*h));
	if (h == NULL)
		return NULL;
	h->multi = curl_multi_init();
	h->share = curl_share_init();
	if (h->multi == NULL || h->share == NULL) {
		http_free(h);
		return NULL;
	}
	/* One thread owns this context, so the share needs no locks. */
	curl_share_setopt(h->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
	curl_share_setopt(
	    h->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
	curl_multi_setopt(h->multi, CURLMOPT_MAXCONNECTS, 64L);
	return h;
}

void
http_free(struct http *h)
{
	if (h == NULL)
		return;
	http_cancel_all(h);
	if (h->multi != NULL)
		curl_multi_cleanup(h->multi);
	if (h->share != NULL)
		curl_share_cleanup(h->share);
	free(h);
}

static size_t
on_body(char *p, size_t size, size_t n, void *arg)
{
	struct http_job *j = arg;
	size_t len = size * n;

	/* The cap is enforced here: chunked bodies carry no length. */
	if (j->body.len + len > HTTP_MAX_BODY) {
		j->priv.over_cap = true;
		return 0;
	}
	if (buf_add(&j->body, p, len) < 0)
		return 0;
	return len;
}

static int64_t
parse_retry_after(const char *v, size_t n)
{
	char tmp[64];
	time_t t;
	long secs;
	char *end;

	if (n >= sizeof(tmp))
		return -1;
	memcpy(tmp, v, n);
	tmp[n] = '\0';
	if (tmp[0] >= '0' && tmp[0] <= '9') {
		secs = strtol(tmp, &end, 10);
		if (*end != '\0' || secs < 0 || secs > 86400)
			return -1;
		return (int64_t)secs * 1000;
	}
	t = curl_getdate(tmp, NULL);
	if (t < 0)
		return -1;
	t -= time(NULL);
	return t > 0 ? (int64_t)t * 1000 : 0;
}

static size_t
on_header(char *p, size_t size, size_t n, void *arg)
{
	struct http_job *j = arg;
	size_t len = size * n, k;

	/* libcurl bounds one header line, not how many come */
	j->priv.header_bytes += len;
	if (j->priv.header_bytes > HTTP_MAX_HEADERS) {
		j->priv.over_header_cap = true;
		return 0;
	}
	/* A known length is reserved at once instead of growing by
	 * doubling; the cap still applies as the body arrives. */
	if (len > 15 && strncasecmp(p, "content-length:", 15) == 0) {
		char tmp[24];
		unsigned long long cl;

		k = len - 15 < sizeof(tmp) - 1 ? len - 15 : sizeof(tmp) - 1;
		memcpy(tmp, p + 15, k);
		tmp[k] = '\0';
		cl = strtoull(tmp, NULL, 10);
		if (cl > 0 && cl <= HTTP_MAX_BODY && j->body.len == 0)
			buf_reserve(&j->body, (size_t)cl);
		return size * n;
	}
	if (len > 12 && strncasecmp(p, "retry-after:", 12) == 0) {
		k = 12;
		while (k < len && (p[k] == ' ' || p[k] == '\t'))
			k++;
		while (len > k &&
		    (p[len - 1] == '\r' || p[len - 1] == '\n' ||
		        p[len - 1] == ' '))
			len--;
		j->retry_after_ms = parse_retry_after(p + k, len - k);
	}
	return size * n;
}

/* The request's headers as a libcurl list, or NULL out of memory. */
static struct curl_slist *
header_list(const struct upreq *r)
{
	struct curl_slist *sl = NULL, *t;
	size_t i;

	for (i = 0; i < r->nheaders; i++) {
		if ((t = curl_slist_append(sl, r->headers[i])) == NULL)
			goto nomem;
		sl = t;
	}
	/* libcurl would send "Expect: 100-continue" on larger POSTs. */
	if ((t = curl_slist_append(sl, "Expect:")) == NULL)
		goto nomem;
	sl = t;
	if (r->body != NULL) {
		t = curl_slist_append(sl, "Content-Type: application/json");
		if (t == NULL)
			goto nomem;
		sl = t;
	}
	return sl;
nomem:
	curl_slist_free_all(sl);
	return NULL;
}

/*
 * Every option is checked: a libcurl that refused one of the safety
 * settings (protocols, proxy, TLS) must not send the request.  -1 when
 * one was refused.
 */
static int
set_options(struct http *h, struct http_job *j, CURL *e, struct curl_slist *sl,
    long timeout)
{
	const struct upreq *r = j->req;

#define SET(opt, val) \
	do { \
		if (curl_easy_setopt(e, opt, val) != CURLE_OK) \
			return -1; \
	} while (0)
	SET(CURLOPT_URL, r->url);
	SET(CURLOPT_PROTOCOLS_STR, j->allow_http ? "http,https" : "https");
	SET(CURLOPT_FOLLOWLOCATION, 0L);
	/* moot while redirects are not followed; kept for defence in depth */
	SET(CURLOPT_REDIR_PROTOCOLS_STR, "https");
	SET(CURLOPT_PROXY, "");
	SET(CURLOPT_NOPROXY, "*");
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_SSL_VERIFYPEER, 1L);
	SET(CURLOPT_SSL_VERIFYHOST, 2L);
	SET(CURLOPT_CONNECTTIMEOUT_MS, timeout);
	SET(CURLOPT_TIMEOUT_MS, timeout);
	SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)HTTP_MAX_BODY);
	SET(CURLOPT_ACCEPT_ENCODING, "");
	SET(CURLOPT_HTTPHEADER, sl);
	SET(CURLOPT_WRITEFUNCTION, on_body);
	SET(CURLOPT_WRITEDATA, j);
	SET(CURLOPT_HEADERFUNCTION, on_header);
	SET(CURLOPT_HEADERDATA, j);
	SET(CURLOPT_PRIVATE, j);
	SET(CURLOPT_SHARE, h->share);
	SET(CURLOPT_USERAGENT, "callnorm/" PACKAGE_VERSION);
	SET(CURLOPT_TCP_KEEPALIVE, 1L);
	/* Fewer, larger reads: pages are tens to hundreds of KiB. */
	SET(CURLOPT_BUFFERSIZE, 128L * 1024);
	if (r->body != NULL) {
		SET(CURLOPT_POST, 1L);
		SET(CURLOPT_POSTFIELDSIZE, (long)r->body_len);
		SET(CURLOPT_POSTFIELDS, r->body);
	} else
		SET(CURLOPT_HTTPGET, 1L);
#undef SET
	return 0;
}

/* One try of a job: a fresh (or reset) easy handle, added to the multi. */
static enum cn_err
attempt(struct http *h, struct http_job *j, int64_t deadline)
{
	CURL *e = j->priv.easy;
	struct curl_slist *sl;
	int64_t left = deadline - time_mono_ms();
	long timeout;

	if (left <= 0)
		return CN_PROVIDER_TIMEOUT;
	/* Every request sent takes a slot (retries included).  A slot
	 * later than now parks the job like a retry, so the other jobs'
	 * transfers go on meanwhile. */
	if (j->limit != NULL && !j->priv.reserved) {
		int64_t wait;
		if (j->budget != NULL && *j->budget <= 0)
			return CN_PROVIDER_UNAVAILABLE;
		/* a slot later than this leaves the request no time */
		int64_t margin = j->timeout_ms / 2 < RL_SEND_MARGIN_MS
		    ? j->timeout_ms / 2
		    : RL_SEND_MARGIN_MS;
		if (rl_acquire(j->limit, j->limit_index, left - margin,
		        &wait) != CN_OK) {
			j->retry_after_ms = rl_retry_after_s(wait) * 1000;
			snprintf(j->errmsg, sizeof(j->errmsg),
			    "rate_limit: the next slot is %lld ms away, after "
			    "the deadline",
			    (long long)wait);
			return CN_PROVIDER_RATE_LIMITED;
		}
		if (wait > 0) {
			j->priv.reserved = true;
			j->priv.due_ms = time_mono_ms() + wait;
			j->priv.next_wait = h->waiting;
			h->waiting = j;
			return CN_OK;
		}
	}
	j->priv.reserved = false;
	timeout = j->timeout_ms < left ? j->timeout_ms : (long)left;
	if (e == NULL) {
		e = curl_easy_init();
		if (e == NULL)
			return CN_INTERNAL;
		j->priv.easy = e;
	} else
		curl_easy_reset(e);
	if ((sl = header_list(j->req)) == NULL)
		return CN_INTERNAL;
	if (j->priv.slist != NULL)
		curl_slist_free_all(j->priv.slist);
	/* the list now belongs to the job and is freed with it */
	j->priv.slist = sl;
	buf_reset(&j->body);
	j->priv.over_cap = false;
	j->priv.over_header_cap = false;
	j->priv.header_bytes = 0;
	j->retry_after_ms = -1;
	j->errmsg[0] = '\0';
	if (set_options(h, j, e, sl, timeout) < 0) {
		snprintf(
		    j->errmsg, sizeof(j->errmsg), "libcurl refused an option");
		return CN_INTERNAL;
	}
	if (j->budget != NULL) {
		if (*j->budget <= 0)
			return CN_PROVIDER_UNAVAILABLE;
		(*j->budget)--;
	}
	j->attempts++;
	j->priv.started_ms = time_mono_ms();
	if (curl_multi_add_handle(h->multi, e) != CURLM_OK)
		return CN_INTERNAL;
	j->priv.active = true;
	j->priv.next_run = h->runlist;
	h->runlist = j;
	h->running++;
	return CN_OK;
}

enum cn_err
http_start(struct http *h, struct http_job *j, int64_t deadline)
{
	enum cn_err e;

	buf_init(&j->body, HTTP_MAX_BODY);
	j->err = CN_OK;
	j->status = 0;
	j->attempts = 0;
	j->elapsed_ms = 0;
	j->connects = 0;
	j->priv.active = false;
	j->priv.reserved = false;
	j->priv.next_wait = NULL;
	j->errmsg[0] = '\0';
	e = attempt(h, j, deadline);
	if (e != CN_OK) {
		j->err = e;
		if (j->errmsg[0] == '\0')
			snprintf(
			    j->errmsg, sizeof(j->errmsg), "request not sent");
		j->priv.next_wait = h->done;
		h->done = j;
	}
	return CN_OK;
}

/* Maps a finished transfer; sets *retry when another attempt may help. */
static enum cn_err
classify(struct http_job *j, CURLcode rc, bool *retry)
{
	*retry = false;
	switch (rc) {
	case CURLE_OK:
		if (j->status == 429 ||
		    (j->status >= 500 && j->status <= 599)) {
			*retry = true;
			return j->status == 429 ? CN_PROVIDER_RATE_LIMITED
			                        : CN_PROVIDER_UNAVAILABLE;
		}
		return CN_OK;
	case CURLE_WRITE_ERROR:
	case CURLE_FILESIZE_EXCEEDED:
		snprintf(j->errmsg, sizeof(j->errmsg), "%s",
		    j->priv.over_header_cap ? "headers over 64 KiB"
		        : j->priv.over_cap || rc == CURLE_FILESIZE_EXCEEDED
		        ? "body over 32 MiB"
		        : "body could not be stored");
		return j->priv.over_cap || j->priv.over_header_cap ||
		        rc == CURLE_FILESIZE_EXCEEDED
		    ? CN_PROVIDER_BAD_RESPONSE
		    : CN_INTERNAL;
	case CURLE_OPERATION_TIMEDOUT:
		/* Not retried: a provider that let timeout_ms pass would most
		 * likely let it pass again, and each attempt would hold the
		 * page (and the other providers' answers) for another
		 * timeout_ms.  A hang costs timeout_ms once. */
		return CN_PROVIDER_TIMEOUT;
	case CURLE_PARTIAL_FILE:
	case CURLE_BAD_CONTENT_ENCODING:
	case CURLE_WEIRD_SERVER_REPLY:
		return CN_PROVIDER_BAD_RESPONSE;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		*retry = true;
		return CN_PROVIDER_UNAVAILABLE;
	case CURLE_OUT_OF_MEMORY:
		return CN_INTERNAL;
	default:
		return CN_PROVIDER_UNAVAILABLE;
	}
}

static void
unlink_running(struct http *h, struct http_job *j)
{
	struct http_job **pp;

	for (pp = &h->runlist; *pp != NULL; pp = &(*pp)->priv.next_run)
		if (*pp == j) {
			*pp = j->priv.next_run;
			break;
		}
	j->priv.next_run = NULL;
	j->priv.active = false;
	h->running--;
}

static int64_t
backoff_ms(int attempts)
{
	unsigned char r;
	int64_t base = 100LL << (attempts > 6 ? 6 : attempts - 1);

	if (RAND_bytes(&r, 1) != 1)
		r = 128;
	/* full jitter in [base/2, 3*base/2) */
	return base / 2 + base * r / 256;
}

static void
finish_transfer(struct http *h, CURL *e, CURLcode rc, int64_t deadline)
{
	struct http_job *j = NULL;
	long connects = 0;
	bool retry;
	int64_t wait, now;

	curl_easy_getinfo(e, CURLINFO_PRIVATE, (char **)&j);
	curl_multi_remove_handle(h->multi, e);
	unlink_running(h, j);
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &j->status);
	curl_easy_getinfo(e, CURLINFO_NUM_CONNECTS, &connects);
	j->connects += connects;
	now = time_mono_ms();
	j->elapsed_ms += now - j->priv.started_ms;
	if (rc != CURLE_OK && j->errmsg[0] == '\0')
		snprintf(
		    j->errmsg, sizeof(j->errmsg), "%s", curl_easy_strerror(rc));
	j->err = classify(j, rc, &retry);
	/* the provider's own 429 pauses it for every worker and host */
	if (rc == CURLE_OK && j->status == 429 && j->limit != NULL)
		rl_provider_429(j->limit, j->retry_after_ms);
	if (j->err != CN_OK && rc == CURLE_OK)
		snprintf(j->errmsg, sizeof(j->errmsg), "upstream status %ld",
		    j->status);
	if (retry && j->attempts < HTTP_MAX_ATTEMPTS &&
	    (j->budget == NULL || *j->budget > 0)) {
		wait = j->retry_after_ms >= 0 ? j->retry_after_ms
		                              : backoff_ms(j->attempts);
		if (now + wait + 50 < deadline) {
			j->priv.due_ms = now + wait;
			j->priv.next_wait = h->waiting;
			h->waiting = j;
			return;
		}
	}
	j->priv.next_wait = h->done;
	h->done = j;
}

struct http_job *
http_wait(struct http *h, int64_t deadline)
{
	struct http_job *j, **pp;
	CURLMsg *msg;
	int still, left, numfds;
	int64_t now, wait;

	for (;;) {
		if (h->done != NULL) {
			j = h->done;
			h->done = j->priv.next_wait;
			j->priv.next_wait = NULL;
			return j;
		}
		if (h->running == 0 && h->waiting == NULL)
			return NULL;
		now = time_mono_ms();
		/* retries that are due */
		for (pp = &h->waiting; (j = *pp) != NULL;) {
			if (j->priv.due_ms <= now || now >= deadline) {
				*pp = j->priv.next_wait;
				j->priv.next_wait = NULL;
				enum cn_err e = now >= deadline
				    ? CN_PROVIDER_TIMEOUT
				    : attempt(h, j, deadline);
				if (e != CN_OK) {
					/* keep the last upstream error if out of time;
					 * a job never sent (parked for its rate-limit
					 * slot) has none */
					if (now < deadline || j->err == CN_OK) {
						j->err = e;
						if (now >= deadline)
							snprintf(j->errmsg,
							    sizeof(j->errmsg),
							    "deadline "
							    "exceeded");
					}
					j->priv.next_wait = h->done;
					h->done = j;
				}
				continue;
			}
			pp = &j->priv.next_wait;
		}
		if (h->done != NULL)
			continue;
		if (now >= deadline) {
			http_cancel_all(h);
			continue;
		}
		curl_multi_perform(h->multi, &still);
		while ((msg = curl_multi_info_read(h->multi, &left)) != NULL)
			if (msg->msg == CURLMSG_DONE)
				finish_transfer(h, msg->easy_handle,
				    msg->data.result, deadline);
		if (h->done != NULL)
			continue;
		wait = deadline - time_mono_ms();
		for (j = h->waiting; j != NULL; j = j->priv.next_wait)
			if (j->priv.due_ms - time_mono_ms() < wait)
				wait = j->priv.due_ms - time_mono_ms();
		if (wait > 1000)
			wait = 1000;
		if (wait < 0)
			wait = 0;
		if (h->running > 0)
			curl_multi_poll(h->multi, NULL, 0, (int)wait, &numfds);
		else if (wait > 0) {
			struct timespec ts = { wait / 1000,
				(wait % 1000) * 1000000 };
			nanosleep(&ts, NULL);
		}
	}
}

void
http_cancel_all(struct http *h)
{
	CURLMsg *msg;
	struct http_job *j;
	int left;

	/* Running transfers end as timeouts and are reported as done. */
	while ((j = h->runlist) != NULL) {
		curl_multi_remove_handle(h->multi, j->priv.easy);
		unlink_running(h, j);
		j->err = CN_PROVIDER_TIMEOUT;
		snprintf(j->errmsg, sizeof(j->errmsg), "deadline exceeded");
		j->priv.next_wait = h->done;
		h->done = j;
	}
	while ((msg = curl_multi_info_read(h->multi, &left)) != NULL)
		;
	while ((j = h->waiting) != NULL) {
		h->waiting = j->priv.next_wait;
		j->err = CN_PROVIDER_TIMEOUT;
		snprintf(j->errmsg, sizeof(j->errmsg), "deadline exceeded");
		j->priv.next_wait = h->done;
		h->done = j;
	}
}

void
http_job_release(struct http_job *j)
{
	if (j->priv.easy != NULL)
		curl_easy_cleanup(j->priv.easy);
	if (j->priv.slist != NULL)
		curl_slist_free_all(j->priv.slist);
	j->priv.easy = NULL;
	j->priv.slist = NULL;
	buf_free(&j->body);
}

void
http_job_move(struct http_job *dst, struct http_job *src)
{
	*dst = *src;
	src->priv.easy = NULL;
	src->priv.slist = NULL;
	memset(&src->body, 0, sizeof(src->body));
}

int
http_global_init(void)
{
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

void
http_global_cleanup(void)
{
	curl_global_cleanup();
}
