/*
 * Growable byte buffer with a hard maximum (every buffer has one), plus
 * the JSON writing helpers used for every response body.
 */
#ifndef CN_BUF_H
#define CN_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct buf {
	char *data;
	size_t len;
	size_t size;
	size_t max;
	bool failed; /* sticky: an append went over max or out of memory */
};

void buf_init(struct buf *, size_t max);
void buf_free(struct buf *);
void buf_reset(struct buf *); /* keeps the allocation */
int buf_reserve(struct buf *, size_t more);
int buf_add(struct buf *, const void *, size_t);
int buf_adds(struct buf *, const char *);
int buf_addc(struct buf *, char);
int buf_printf(struct buf *, const char *, ...)
    __attribute__((format(printf, 2, 3)));
/* NUL-terminates without counting the terminator in len. */
const char *buf_cstr(struct buf *);

/* JSON output.  Strings are escaped; invalid UTF-8 becomes U+FFFD. */
int buf_json_str(struct buf *, const char *, size_t);
int buf_json_cstr(struct buf *, const char *); /* NULL writes null */
int buf_json_int(struct buf *, int64_t);
/* RFC 3339 UTC with milliseconds, quoted. */
int buf_json_time(struct buf *, int64_t ms);

#endif
