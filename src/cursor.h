/*
 * The paging cursor: the whole walk state, sealed with
 * AES-256-GCM under a key derived from cursor_key.  The caller
 * (REMOTE_USER) is authenticated data, so another caller's cursor does
 * not open; the query hash is inside, so a cursor replayed with other
 * parameters is told apart (CURSOR_QUERY_MISMATCH).  Nothing in it is a
 * URL or a secret.
 */
#ifndef CN_CURSOR_H
#define CN_CURSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct arena;

#define CURSOR_MAX_PROVIDERS 64
#define CURSOR_MAX_TOKEN 512
#define CURSOR_MAX_ID 256
/*
 * Room for the state: sealed and base64url-encoded it stays under 2 KB.
 * Tokens in base64url take three quarters of their length; the sum of
 * the positions of one request's providers must fit (cursor_size).
 */
#define CURSOR_MAX_PLAIN 1506

enum pstate { PS_ACTIVE, PS_DONE, PS_FAILED };

struct cursor_pos {
	uint8_t index; /* in the sorted list of the query's providers */
	uint8_t state; /* enum pstate */
	bool started; /* a position below is meaningful */
	int32_t per_page;
	int64_t offset; /* page styles: records consumed (from the start for
			   forward walks, from the end for backward ones) */
	int64_t total; /* page styles: list length when last seen */
	const char *token; /* token / keyset styles; NULL: from the start */
	/* A provider that missed pages (partial=allow) keeps its own
	 * watermark; the others follow the global one. */
	bool own_wm;
	bool own_wm_has_time;
	int64_t own_wm_time;
	const char *own_wm_id;
	/* A windowed walk's window (order times, ms): [win_lo, win_hi),
	 * win_lo unset while the walk looks for its oldest call, and the
	 * next window's width (0: not known yet). */
	bool win;
	bool win_lo_set;
	int64_t win_lo, win_hi, win_width;
};

struct cursor {
	int64_t issued_at; /* seconds */
	int64_t horizon; /* ms: the walk covers calls started up to here */
	unsigned char query_hash[16];
	bool has_wm;
	bool wm_has_time;
	int64_t wm_time;
	uint8_t wm_provider;
	const char *wm_id;
	size_t npos;
	struct cursor_pos pos[CURSOR_MAX_PROVIDERS];
};

/* Hash of the canonical query, bound into the cursor. */
/*
 * Sets libcrypto up and draws from its generator once; -1 when that
 * fails.  Called first thing at startup (see cursor.c).
 */
int cursor_crypto_init(void);

void cursor_query_hash(const char *canonical, unsigned char out[16]);
/* Bytes of c's sealed state; 0 when it exceeds CURSOR_MAX_PLAIN. */
size_t cursor_size(const struct cursor *c);
/* Seals c into base64url text (arena); NULL when it cannot. */
char *cursor_seal(struct arena *, const unsigned char *key, size_t keylen,
    const char *user, const struct cursor *c);
/*
 * Opens text into c (strings in the arena).  Returns CN_OK,
 * CN_INVALID_CURSOR, CN_CURSOR_EXPIRED or CN_CURSOR_QUERY_MISMATCH.
 */
enum cn_err cursor_open(struct arena *, const unsigned char *key, size_t keylen,
    const char *user, const char *text, const unsigned char query_hash[16],
    int64_t now, int64_t ttl, struct cursor *c);
/*
 * When text is not even the form of a cursor: why, for the client
 * ("malformed", "truncated"); NULL when it has the form, and so did not
 * open for another reason (altered, another caller's, another key).
 */
const char *cursor_form_problem(const char *text);

#endif
