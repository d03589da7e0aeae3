/*
 * The driver interface every provider kind implements.  A driver is pure:
 * it turns (query, position) into an upstream request description and an
 * upstream response into normalized records.  It never touches sockets,
 * FastCGI or libcurl, so it is tested from fixtures and fuzzed.
 *
 * Adding a kind: one src/providers/<kind>.c exporting one
 * `const struct driver drv_<kind>` (built on providers/common.h), one
 * line in providers.c; docs/design.md lists the rest (simulator kind,
 * fixtures, docs page).
 */
#ifndef CN_PROVIDER_H
#define CN_PROVIDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "call.h"
#include "err.h"
#include "filter.h"
#include "query.h"

struct arena;
struct provider_conf;

#define DRIVER_ABI 1

enum paging {
	PAGING_TOKEN, /* opaque next-page token */
	PAGING_KEYSET, /* last id of the previous page, exclusive */
	PAGING_PAGE1, /* page numbers from 1 */
	PAGING_PAGE0, /* page numbers from 0 */
};

extern const char *const paging_names[];

/* Where a provider's walk stands: a token or key, or a page number. */
struct position {
	int64_t page;
	const char *token; /* NULL: first page */
};

/* What is sent for each requested filter (bits of enum filter). */
struct plan {
	unsigned requested; /* filters the query sets */
	unsigned pushed; /* sent upstream (exactly or as a superset) */
	unsigned exact; /* sent upstream with exactly the same meaning */
	unsigned local; /* re-checked here on each record */
	unsigned unsupported; /* neither: the request must fail */
	/* Requested filters that cannot exclude any record this kind lists
	 * (type=phone on phone-only APIs, include_test=false where records
	 * carry no test flag): they keep a provider's total exact. */
	unsigned noop;
	/* The provider is asked for nothing the query can match. */
	bool empty;
};

struct upreq {
	const char *method;
	char *url;
	const char *headers[4]; /* "Name: value", secrets included */
	size_t nheaders;
	char *body; /* JSON for POST, else NULL */
	size_t body_len;
};

struct upresp {
	long status;
	char *body; /* read by the decoder; freed once decoded */
	size_t len;
};

struct fetch {
	const struct provider_conf *pc;
	const struct query *q;
	const struct plan *plan;
	enum order order; /* the order asked of the provider */
	int page_size;
	struct position pos;
	/*
	 * The started_at range this fetch reads, [after, before): the
	 * query's bounds, narrowed by the engine when it serves ascending
	 * order from a newest-first-only kind by walking time windows
	 * upward (driver.windows).  Drivers of such kinds push these, not
	 * the query's own bounds, and the engine re-checks them.
	 */
	struct opt_i64 after, before;
	/* Which of the kind's walks this fetch belongs to (driver.walks). */
	int walk;
};

struct uppage {
	struct call *calls;
	size_t n;
	bool last; /* nothing after this page */
	struct position next; /* PAGING_TOKEN / PAGING_KEYSET */
	bool has_total;
	int64_t total; /* matching records upstream */
	int64_t last_page; /* page styles: highest page number, or -1 */
	int per_page; /* page styles: size the provider applied */
};

/*
 * One call in full (GET /calls/{id}): the same pure shape as the list.
 * A kind reads one to DETAIL_MAX_PARTS endpoints, all in parallel; part
 * 0 is the call itself, whose "no such call" answer is CALL_NOT_FOUND,
 * the others (OSVI's transcript and recording) add to it, and a 404
 * from one of them only leaves its fields null.  A kind sets
 * driver.detail in its own file; NULL answers DETAIL_UNSUPPORTED.
 */
#define DETAIL_MAX_PARTS 4

/* What the route asks: the provider and the call's native id, as the
 * client sent it (the driver percent-encodes it into its URLs). */
struct detail_req {
	const struct provider_conf *pc;
	const char *native_id;
	/* When the answers arrived (ms since the epoch): an expiry given
	 * relative to the answer counts from here. */
	int64_t now_ms;
};

/* One transcript turn; role is agent, user, system or tool. */
struct turn {
	const char *role;
	const char *text;
	struct opt_i64 offset_ms; /* from the call's start; unset: null */
};

struct detail {
	struct call call; /* mapped exactly as the list maps it */
	bool has_transcript; /* false: null (the provider keeps none) */
	struct turn *turns;
	size_t nturns;
	const char *summary;
	const char *recording_url;
	struct opt_i64 recording_expires_at;
	bool has_cost;
	double cost_amount; /* major unit, positive */
	const char *cost_currency; /* upper-case ISO 4217 */
	/* Each part's answer as sent (NULL: its body was no JSON). */
	const struct jv *raw[DETAIL_MAX_PARTS];
	/* The part whose answer failed the request, for provider_status. */
	size_t err_part;
};

struct detail_driver {
	size_t nparts;
	/* raw's member for each part: "call", "transcript", "recording" */
	const char *const *parts;
	/* For kinds whose one part is a GET of path + the id: the path
	 * (providers/common.h up_detail_prepare_bearer reads it). */
	const char *path;
	/* Builds part's upstream request; CN_INTERNAL only on exhaustion. */
	enum cn_err (*prepare)(const struct detail_req *, size_t part,
	    struct arena *, struct upreq *);
	/* Every part's answer (nparts of them, any status) into d; CN_OK,
	 * CN_CALL_NOT_FOUND, or a provider error with d->err_part set. */
	enum cn_err (*decode)(const struct detail_req *, const struct upresp *,
	    struct arena *, struct detail *d, char *err, size_t errsize);
};

/* A provider-section key only this kind takes (twilio's account_sid). */
struct driver_key {
	const char *name;
	bool required;
	bool secret; /* env:/file: like api_key; never printed */
	/* The value's syntax (after env:/file:): NULL when it is right,
	 * else why not (the config error names the key, not the value).
	 * NULL: any value. */
	const char *(*check)(const char *value);
};

struct driver {
	unsigned abi;
	const char *kind;
	enum paging paging;
	int max_page_size;
	unsigned native_orders; /* bit 0: desc, bit 1: asc */
	bool needs_secret; /* api_secret required */
	bool has_test_flag; /* records say whether they are test calls */
	/*
	 * The list is ordered by creation time, not start time: records
	 * fill call.created_at, and the engine reads start_lag_ms further
	 * before it emits (the config key is refused on other kinds).
	 */
	bool creation_order;
	/*
	 * Newest first only, but fetch.after/before are pushed down (at
	 * least as a superset): the engine serves order=asc by walking
	 * time windows upward from the lower bound.
	 */
	bool windows;
	/*
	 * How many walks a query needs: 1, or 2 when the filters pushed
	 * down cannot reach some records and a second walk fetches them
	 * (twilio: calls not yet dialed match no StartTime filter).  NULL
	 * means 1.  The engine merges the walks as one provider.
	 */
	int (*walks)(const struct query *, const struct plan *);
	/* Keys this kind adds to its provider section. */
	const struct driver_key *keys;
	size_t nkeys;
	/* Filters this kind can push down at all, and check locally. */
	unsigned can_push;
	unsigned can_check;
	/* Decides per query what is pushed down. */
	void (*plan)(const struct query *, struct plan *);
	/* Builds the upstream request; CN_INTERNAL only on exhaustion. */
	enum cn_err (*prepare)(
	    const struct fetch *, struct arena *, struct upreq *);
	/* Parses a 2xx body, or maps a non-2xx status to an error. */
	enum cn_err (*decode)(const struct fetch *, const struct upresp *,
	    struct arena *, struct uppage *, char *err, size_t errsize);
	/* One call in full; NULL: the API cannot fetch one call. */
	const struct detail_driver *detail;
};

const struct driver *driver_find(const char *kind);
/* The registered kinds, "verbex, voicy, ...", for messages. */
const char *driver_kind_list(void);
/* The registry, NULL-terminated. */
extern const struct driver *const drivers[];

#endif
