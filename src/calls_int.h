/*
 * The /calls engine's private interface: the stages a request flows
 * through, in order, and the state they share.
 *
 *   plan    query x access x capabilities -> streams and plans, or the
 *           problem to answer (plan.c)
 *   stream  one provider's walk: position from the cursor, next fetch
 *           size, taking a decoded page, frontier, watermark, resume
 *           position (stream.c)
 *   merge   order keys and the k-way merge (merge.c)
 *   fanout  prepare -> http -> decode, budget, deadline, retries,
 *           metrics, cancel and drain (fanout.c: the only one with I/O)
 *   page    the answer: envelope, meta.providers[], Link (page.c)
 *
 * plan, stream and merge are pure: no I/O, no response, and the clock
 * only through walk.now, so tests drive them with fake pages.
 */
#ifndef CN_CALLS_INT_H
#define CN_CALLS_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "provider.h"

struct arena;
struct buf;
struct config;
struct cursor;
struct cursor_pos;
struct http;
struct query;

/*
 * What a stage tells its caller.  Functions returning enum step say
 * which of these they can return.
 */
enum step {
	STEP_OK, /* done; go on */
	STEP_FAILED, /* the request must fail with its providers' errors */
	STEP_INTERNAL, /* out of memory: a 500 */
	STEP_SHORT, /* out of budget or time: the page ends short */
};

/* A record's place in the answer's order. */
struct key {
	bool has_time;
	int64_t time;
	const char *provider;
	const char *id;
};

struct item {
	struct call *c;
	/* its place in the order: started_at, or the creation-order time
	 * (stream_key) */
	struct key k;
	const char *src_token; /* token/keyset that fetched its page */
	int64_t src_offset; /* page styles: index (from start or end) */
	int seq; /* which fetch of this request brought it */
	/* windowed walks: the window that read it */
	bool src_lo_set;
	int64_t src_lo, src_hi;
};

/*
 * A windowed walk (driver.windows, order=asc on a newest-first kind):
 * the stream reads the time window [lo, hi) newest first, page by page,
 * and only when the window is read to its end does it know every
 * record below hi; then the next window starts at hi.  Times are what
 * the list is ordered by: start times, or creation times for
 * creation-order kinds (window.c).
 */
struct window {
	bool on;
	bool lo_set; /* unset: the walk looks for its oldest call */
	int64_t lo, hi; /* [lo, hi) */
	int64_t width; /* the next window's width; 0: not known yet */
	int64_t top; /* the walk's end, exclusive */
	int64_t seen; /* records of this window read so far */
	int64_t init_lo; /* where this request started (stall growth) */
	/* the newest record of the page that last narrowed this window: a
	 * narrower window that brings it back was not asked narrower */
	const char *narrowed_by;
	bool init_lo_set;
};

struct stream {
	size_t cfg; /* index in the configuration */
	uint8_t qidx; /* index among the query's providers */
	const struct provider_conf *pc;
	const struct driver *d;
	struct plan plan;
	enum order native; /* order asked upstream */
	bool backward; /* page walk from the last page */
	bool page_style;
	int base; /* first page number */
	int budget;
	int per_page;
	/*
	 * Token styles: the fewest records to ask for, and the last size
	 * asked.  Ties are emitted in id order, so a stream must see past
	 * every call sharing its frontier's start time; when such a group
	 * outlasts a request's budget, the next request asks for more.
	 */
	int min_page;
	const char *min_page_at; /* the position min_page was set for */
	int last_size;
	/* next fetch */
	const char *token;
	int64_t page;
	bool need_total; /* backward walk: learn the page count first */
	int64_t total; /* list length (page styles) or reported total */
	bool total_known;
	bool exhausted;
	bool failed;
	bool fetched_any;
	/* lower bound of records not yet fetched */
	bool has_frontier;
	bool frontier_has_time;
	int64_t frontier;
	/* fetched, kept, not yet emitted */
	struct item *items;
	size_t nitems, head, cap;
	/* watermark of this stream */
	bool own_wm;
	struct key wm;
	bool has_wm;
	bool emitted_any;
	struct key last_emit;
	int fetches;
	int looked; /* fetches whose records were taken (not a re-aim) */
	/* resume point when nothing is buffered */
	int64_t next_offset;
	/* stuck detection */
	const char *prev_first, *prev_last;
	size_t prev_n;
	/* accounting */
	int requests;
	int64_t upstream_ms;
	enum cn_err err;
	long err_status;
	int64_t retry_after_ms;
	char errmsg[200];
	struct window win;
	/* Creation order: order times are kept within the walk's range,
	 * [started_after, min(started_before - 1, horizon)] (stream_key). */
	int64_t key_lo, key_hi;
	/* Which of the provider's walks (driver.walks): a second walk is a
	 * stream of its own, after every provider's first, and is reported
	 * as part of its first, the stream at index `first`. */
	int walk;
	size_t first;
	/* the fetch in flight, or the last one */
	struct fetch f;
	bool in_flight;
};

/* The walk of one request: its streams and what they emitted. */
struct walk {
	const struct query *q;
	struct stream *s;
	size_t ns;
	int64_t horizon; /* ms: calls started later are not walked */
	bool has_wm; /* the last emitted record (or the cursor's) */
	struct key wm;
	struct item *out; /* q->limit slots */
	size_t nout;
	struct arena *a;
	/* Local work (decoding, filtering a big page) ends at the deadline
	 * too; now is the monotonic clock, injected so tests need none. */
	int64_t (*now)(void);
	int64_t deadline;
};

/* ---- plan.c ---- */

/* What a refused request answers. */
struct problem {
	enum cn_err code;
	const char *detail;
};

/*
 * Picks the providers the query names (or every readable one), sorts
 * them by name and plans each.  STEP_OK, STEP_FAILED with *pb set, or
 * STEP_INTERNAL.
 */
enum step plan_streams(struct walk *, const struct config *,
    const char *remote_user, struct problem *pb);

/* Adds a stream for each provider whose kind walks twice for the query
 * (driver.walks), after all the first walks: STEP_OK, or STEP_FAILED
 * with *pb set when they do not fit in one request. */
enum step plan_second_walks(struct walk *, struct problem *pb);
/* The streams reported as one provider: s and, for a first walk, its
 * second; NULL when there is none. */
const struct stream *stream_second(const struct walk *, const struct stream *);

/* ---- stream.c ---- */

/* True when the plan re-checks a filter here that upstream did not
 * apply exactly: upstream totals and page sizes say less then. */
bool stream_discards_locally(const struct stream *);
/* Sets the walk's start from the cursor's position (NULL: first page). */
void stream_init(const struct walk *, struct stream *,
    int max_upstream_requests, const struct cursor_pos *);
void stream_fail(struct stream *, enum cn_err, long status, const char *msg);
/* Describes the next fetch in s->f: STEP_OK, or STEP_SHORT when the
 * budget is spent. */
enum step stream_aim(const struct walk *, struct stream *);
/* Takes a decoded page of s->f: STEP_OK (s may have failed) or
 * STEP_INTERNAL. */
enum step stream_take(struct walk *, struct stream *, struct uppage *);
/* Buffers a page's records that are new, match and come after the
 * watermark (windows: inside the window); *past_horizon: an ascending
 * walk reached calls started after it began.  STEP_OK or
 * STEP_INTERNAL. */
enum step stream_buffer(
    struct walk *, struct stream *, struct uppage *, bool *past_horizon);
/* Where the next request resumes s. */
void stream_resume(const struct stream *, struct cursor_pos *);

/* ---- window.c ---- */

/* Whether s walks time windows (sets s->win); from stream_init. */
void window_init(
    const struct walk *, struct stream *, const struct cursor_pos *);
/* The window's bounds and page size into s->f. */
void window_aim(const struct walk *, struct stream *);
/* Takes a decoded page of a windowed walk: STEP_OK or STEP_INTERNAL. */
enum step window_take(struct walk *, struct stream *, struct uppage *);
/* The window to resume at into cp. */
void window_resume(const struct stream *, struct cursor_pos *);
/* Whether a record lies in the current window. */
bool window_holds(const struct stream *, const struct call *);

/* ---- resume.c ---- */

/* Fills next with where the next page starts: the watermark and every
 * stream's position (not the issue time nor the query hash).  cur is the
 * incoming cursor (zeroed on a first page). */
void walk_resume(struct walk *, const struct cursor *cur, struct cursor *next);
/* True when an empty page would lead back to cur: streams then ask for
 * larger pages in next, or, at their largest, fail (then true). */
bool walk_stalled(struct walk *, const struct cursor *cur, struct cursor *next);
/* Fails the stream with the longest position when next does not fit. */
void walk_cursor_too_long(struct walk *, const struct cursor *next);

/* ---- merge.c ---- */

int key_cmp(enum order, const struct key *, const struct key *);
struct key call_key(const struct call *);
/*
 * A record's key in its stream.  Creation-order kinds (driver.
 * creation_order) list by creation time, and a call starts within
 * start_lag_ms of it (assumed): the order time is started_at clamped to
 * [created_at, created_at + lag].  It is started_at for every call that
 * keeps the assumption, and never more than the lag past its creation,
 * which bounds what the rest of the list can hold.
 */
struct key stream_key(const struct stream *, const struct call *);
/* The order time a creation-order stream's unread records can reach
 * (desc: created_at + lag, asc: created_at); started_at elsewhere. */
struct key stream_bound(const struct stream *, const struct call *, enum order);
/* Sorts items in o's order (qsort_r: the order is not a global). */
void items_sort(struct item *, size_t n, enum order o);

enum merge_state {
	MERGE_FULL, /* the page holds limit records */
	MERGE_DRAINED, /* every stream is done or failed */
	MERGE_NEED, /* the streams in *need must fetch before more goes out */
};

/* Emits what no stream holds back any more. */
enum merge_state merge_step(struct walk *, uint64_t *need);

/* ---- fanout.c ---- */

/*
 * Fetches and merges until r->out is full, every stream is drained, or
 * the budget or timeout_ms ran out; sets r->now and r->deadline.
 * STEP_OK, STEP_FAILED (a provider failed under partial=deny) or
 * STEP_INTERNAL.
 */
enum step fanout_run(struct walk *r, struct http *, int timeout_ms);

#endif
