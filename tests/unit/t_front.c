/*
 * FastCGI STDOUT framing (front_frame): answers of every size, exact
 * multiples of the record size, one byte over and under, and answers of
 * 5 and 40 MiB, framed as the server sends them (head, then body), then
 * read back with an independent FastCGI 1.0 record parser.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "front.h"
#include "tap.h"

#define REC FRONT_REC_MAX

/* What went out: the bytes of every batch, in order. */
struct wire {
	unsigned char *data;
	size_t len, cap;
	int batches;
	int bad_batch; /* a batch over its limits, or pointing outside */
};

static void
wire_put(struct wire *w, const void *p, size_t n)
{
	if (w->len + n > w->cap) {
		while (w->len + n > w->cap)
			w->cap = w->cap ? w->cap * 2 : 1 << 16;
		w->data = realloc(w->data, w->cap);
		if (w->data == NULL) {
			fprintf(stderr, "out of memory\n");
			exit(1);
		}
	}
	memcpy(w->data + w->len, p, n);
	w->len += n;
}

/* Stands in for sendmsg: checks the batch, appends its bytes, empties it. */
static void
wire_send(struct wire *w, struct front_batch *b)
{
	const unsigned char *lo = &b->hdr[0][0];
	const unsigned char *hi = lo + sizeof(b->hdr);
	int i, headers = 0;

	if (b->niov < 0 || b->niov > FRONT_IOV_BATCH || b->nhdr < 0 ||
	    (size_t)b->nhdr > sizeof(b->hdr) / FRONT_HDR_LEN)
		w->bad_batch = 1;
	for (i = 0; i < b->niov && i < FRONT_IOV_BATCH; i++) {
		const unsigned char *p = b->iov[i].iov_base;
		if (p >= lo && p < hi) {
			headers++;
			if (b->iov[i].iov_len != FRONT_HDR_LEN ||
			    (size_t)(p - lo) % FRONT_HDR_LEN != 0)
				w->bad_batch = 1;
		}
		wire_put(w, b->iov[i].iov_base, b->iov[i].iov_len);
	}
	if (headers != b->nhdr)
		w->bad_batch = 1;
	w->batches++;
	front_batch_reset(b);
}

/* Frames one part as send_answer does: fill, send when full, go on. */
static void
frame_part(struct wire *w, struct front_batch *b, unsigned id, const char *p,
    size_t len)
{
	size_t n;

	while (len > 0) {
		n = front_frame(b, id, p, len);
		if (n > len) {
			w->bad_batch = 1;
			return;
		}
		/* a short count only when the next record does not fit */
		if (n < len && b->niov + 3 <= FRONT_IOV_BATCH &&
		    b->nhdr < FRONT_IOV_BATCH / 2)
			w->bad_batch = 1;
		p += n;
		len -= n;
		if (len > 0)
			wire_send(w, b);
	}
}

/*
 * FastCGI 1.0 section 3.3, read independently: version 1, type STDOUT (6),
 * the request id, a content length, padding of 0..7 zero bytes that makes
 * the record a multiple of 8.  Appends the content to *out and counts the
 * records and the ones shorter than REC.  Returns NULL or what was wrong.
 */
static const char *
parse(const unsigned char *s, size_t len, unsigned id, unsigned char *out,
    size_t *outlen, size_t *records)
{
	size_t i = 0, clen, plen, k;

	*outlen = 0;
	*records = 0;
	while (i < len) {
		if (len - i < 8)
			return "a header cut short";
		if (s[i] != 1)
			return "version is not 1";
		if (s[i + 1] != 6)
			return "type is not FCGI_STDOUT";
		if (((unsigned)s[i + 2] << 8 | s[i + 3]) != id)
			return "wrong request id";
		clen = (size_t)s[i + 4] << 8 | s[i + 5];
		plen = s[i + 6];
		if (s[i + 7] != 0)
			return "reserved byte is not 0";
		if (clen == 0)
			return "an empty record (it would end the stream)";
		if (clen > REC)
			return "a record longer than the largest";
		if (plen > 7 || (clen + plen) % 8 != 0)
			return "padding does not align to 8";
		if (len - i - 8 < clen + plen)
			return "a record cut short";
		memcpy(out + *outlen, s + i + 8, clen);
		*outlen += clen;
		for (k = 0; k < plen; k++)
			if (s[i + 8 + clen + k] != 0)
				return "padding is not zero";
		i += 8 + clen + plen;
		(*records)++;
	}
	return NULL;
}

static size_t
records_for(size_t n)
{
	return (n + REC - 1) / REC;
}

/* One answer: head of hlen bytes, body of blen, request id id. */
static void
check(size_t hlen, size_t blen, unsigned id)
{
	static struct front_batch b;
	struct wire w;
	size_t total = hlen + blen, got, nrec, i;
	unsigned char *src, *back;
	const char *why;
	char name[160];

	snprintf(name, sizeof(name), "head %zu + body %zu bytes, id %u", hlen,
	    blen, id);
	memset(&w, 0, sizeof(w));
	src = malloc(total + 1);
	back = malloc(total + 1);
	if (src == NULL || back == NULL) {
		fprintf(stderr, "out of memory\n");
		exit(1);
	}
	/* a pattern that shows a byte moved, lost or doubled */
	for (i = 0; i < total; i++)
		src[i] = (unsigned char)(i * 2654435761u >> 13);
	memset(&b, 0xa5, sizeof(b)); /* no reliance on zeroed memory */
	front_batch_reset(&b);
	frame_part(&w, &b, id, (const char *)src, hlen);
	frame_part(&w, &b, id, (const char *)src + hlen, blen);
	if (b.niov > 0)
		wire_send(&w, &b);
	ok(!w.bad_batch, "%s: every batch within its iovec and header arrays",
	    name);
	why = parse(w.data, w.len, id, back, &got, &nrec);
	if (!ok(why == NULL, "%s: framing is valid FastCGI", name))
		diag("%s", why);
	else {
		is_int((int64_t)got, (int64_t)total, "%s: every byte arrives",
		    name);
		ok(memcmp(back, src, total) == 0, "%s: in order, unchanged",
		    name);
		is_int((int64_t)nrec,
		    (int64_t)(records_for(hlen) + records_for(blen)),
		    "%s: full records but the last of each part", name);
	}
	free(w.data);
	free(src);
	free(back);
}

int
main(void)
{
	static const size_t sizes[] = { 1, 7, 8, 9, 4095, REC - 1, REC, REC + 1,
		65535, 65536, 2 * REC, 2 * REC + 1, 63 * REC, 64 * REC - 1,
		64 * REC, 64 * REC + 1, 65 * REC, 95 * REC, 96 * REC - 1,
		96 * REC, 96 * REC + 1, 97 * REC, 191 * REC, 192 * REC,
		192 * REC + 7, 5000000, 5 * 1024 * 1024, 40 * 1024 * 1024,
		40 * 1024 * 1024 + 1, 41943041 + 3 * REC };
	static struct front_batch b;
	static char one[REC * 2];
	size_t i, n;

	tap_plan_none();
	/* the answer in one part, and behind a head of a typical size, one
	 * that pads and one of exactly a record */
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		check(0, sizes[i], 1);
		check(213, sizes[i], 1);
	}
	check(REC, 96 * REC, 0xbeef);
	check(REC + 1, 95 * REC - 1, 0x0100);
	check(7, 7, 0xffff);
	check(0, 0, 1);

	/* a full batch takes nothing more until it is reset */
	memset(one, 'x', sizeof(one));
	front_batch_reset(&b);
	for (i = 0; i < FRONT_IOV_BATCH / 2; i++)
		if (front_frame(&b, 1, one, REC) != REC)
			break;
	is_int((int64_t)i, FRONT_IOV_BATCH / 2, "a batch holds %d full records",
	    FRONT_IOV_BATCH / 2);
	is_int(b.niov, FRONT_IOV_BATCH, "and uses every iovec");
	is_int((int64_t)front_frame(&b, 1, one, 1), 0,
	    "a full batch frames no more");
	front_batch_reset(&b);
	n = front_frame(&b, 1, one, 1);
	is_int((int64_t)n, 1, "after a reset it frames again");
	is_int(b.niov, 3, "a short record: header, data, padding");
	return done_testing();
}
