/*
 * The scaffold every provider driver stands on, so that a driver file
 * holds only what its API does differently:
 * - the request side: URL and query parameters, JSON bodies, GET/POST
 *   and the Authorization header;
 * - the response side: the decode preamble (status, JSON, root object,
 *   record array, page-size cap), the record loop, typed fields, the
 *   page facts, and the error message;
 * - the vocabularies: one status-table type with a two-level (status,
 *   then finish reason) lookup, the direction and call-type words.
 * Everything allocates from the request arena.  Library-global names
 * carry the up_ prefix (upstream), like struct upreq and upresp.
 */
#ifndef CN_PROVIDERS_COMMON_H
#define CN_PROVIDERS_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "buf.h"
#include "call.h"
#include "conf.h"
#include "json.h"
#include "provider.h"
#include "timefmt.h"

#define DESC_BIT 1u
#define ASC_BIT 2u
#define FBIT(f) (1u << (f))

/*
 * What every driver descriptor starts with: the kind's name, paging
 * style, largest page and native orders, and its entry points, which
 * each driver file names plan, prepare and decode.
 */
#define UP_DRIVER(name, style, max_page, orders) \
	.abi = DRIVER_ABI, .kind = (name), .paging = (style), \
	.max_page_size = (max_page), .native_orders = (orders), .plan = plan, \
	.prepare = prepare, .decode = decode

/* Filter sets descriptors name often. */
#define UP_F_TIME (FBIT(F_STARTED_AFTER) | FBIT(F_STARTED_BEFORE))
#define UP_F_DURATION (FBIT(F_MIN_DURATION) | FBIT(F_MAX_DURATION))
/* What every normalized record lets callnorm check (a kind without a
 * test flag checks include_test trivially: nothing is a test call). */
#define UP_F_RECORD \
	(FBIT(F_STATUS) | FBIT(F_DIRECTION) | FBIT(F_TYPE) | UP_F_TIME | \
	    UP_F_DURATION | FBIT(F_PHONE) | FBIT(F_INCLUDE_TEST))

/* ---- the upstream request ---- */

/* base_url + path, then up_url_param() for each query parameter. */
void up_url_begin(struct buf *, const struct provider_conf *, const char *path);
/* Appends ?name=value or &name=value, percent-encoding the value. */
void up_url_param(struct buf *, const char *name, const char *value);
void up_url_param_int(struct buf *, const char *name, int64_t value);
/* Copies a finished buffer into the arena; NULL on failure. */
char *up_buf_to_arena(struct arena *, struct buf *, size_t *len);

/* "Name: value" into r->headers; CN_INTERNAL when full or exhausted. */
enum cn_err up_add_header(
    struct arena *, struct upreq *, const char *name, const char *value);
/* Authorization: Bearer <key>. */
enum cn_err up_bearer(struct arena *, struct upreq *, const char *key);
/* A GET of the URL built in url, which it frees. */
enum cn_err up_get(struct arena *, struct upreq *, struct buf *url);
/* Authorization: Basic base64(user:password). */
enum cn_err up_basic(
    struct arena *, struct upreq *, const char *user, const char *password);
/*
 * A link the provider handed out (a next-page URI), as the path and
 * query under base_url: a root-relative link ("/x?y") is taken as under
 * base_url's path prefix; an absolute one ("scheme://host[:port]/...")
 * or a network-path one ("//host[:port]/...") only when scheme, host
 * and port are base_url's and its path continues base_url's prefix at a
 * '/'.  NULL for anything else (another origin, userinfo, a relative
 * path, "." or ".." segments, a fragment): such a link is never
 * requested, so credentials never follow it.
 */
const char *up_link_path(const struct provider_conf *, const char *link);
/*
 * The value of query parameter name in the query string qs (no '?'),
 * percent-decoded into the arena: 1 with *out set when it occurs once,
 * 0 when it does not occur, -1 when it occurs twice or is malformed.
 */
int up_query_param(
    struct arena *, const char *qs, const char *name, const char **out);
/* up_get / up_post, then Authorization: Bearer <key> (pc->api_key). */
enum cn_err up_get_bearer(
    struct arena *, struct upreq *, struct buf *url, const char *key);
enum cn_err up_post_bearer(struct arena *, struct upreq *,
    const struct provider_conf *, const char *path, struct buf *body);
/* A POST of the JSON in body (which it frees) to base_url + path. */
enum cn_err up_post(struct arena *, struct upreq *,
    const struct provider_conf *, const char *path, struct buf *body);

/* JSON request bodies: `"name":` with a comma before all but the first
 * member; an array of strings; the words of the bits set in mask (bit i
 * is words[i]); a {lower_threshold, upper_threshold} object. */
void up_json_key(struct buf *, bool *first, const char *name);
void up_json_strset(struct buf *, const struct strset *);
void up_json_words(
    struct buf *, unsigned mask, const char *const *words, int n);
void up_json_threshold(
    struct buf *, bool has_lo, int64_t lo, bool has_hi, int64_t hi);

/* A JSON body's walk members: "sort_order":"ascending"|"descending",
 * "limit":page_size and, after the first page, "<token_name>":token. */
void up_json_walk(
    struct buf *, const struct fetch *, bool *first, const char *token_name);

/* Marks the filters in bits as pushed down, and exact when so. */
void up_push(struct plan *, unsigned bits, bool exact);

/* Highest bit index set, for single-valued pushdowns; -1 if not one. */
int up_single_bit(unsigned mask);

/* started_after/started_before, when given, pushed as a superset (the
 * provider's bound inclusivity or precision differs) and re-checked. */
void up_plan_time_superset(const struct query *, struct plan *);

/* For a provider that lists phone calls only: type=phone excludes
 * nothing, and type=web can hold nowhere. */
void up_phone_only(const struct query *, struct plan *);

/* Status pushdown as up_status_pick finds it, at most max words (1 for
 * single-valued APIs): none -> nothing can match; exact when no word
 * sent can also yield a status not asked for. */
struct up_status_table;
void up_plan_status(
    const struct query *, struct plan *, struct up_status_table *, int max);
/* Pushes a single direction and a single agent id (single-valued APIs). */
void up_plan_single(const struct query *, struct plan *);

/* name=ms as "2026-06-12T04:00:04.000Z"; nothing when ms is outside
 * the printable range (omitting a bound only widens it). */
void up_url_time(struct buf *, const char *name, int64_t ms);

/* Page-number lists: base_url + path, page (from 1) and per_page. */
void up_url_pages(struct buf *, const struct fetch *, const char *path);
/* name=the direction / agent id, when the plan pushed a single one. */
void up_url_direction(struct buf *, const struct fetch *, const char *name);
void up_url_agent(struct buf *, const struct fetch *, const char *name);

/* ---- vocabularies ---- */

/*
 * What a status word's outcome depends on.  Most words are final.  A
 * coarse "ended" word leaves the outcome to the finish-reason table: a
 * listed reason gives status and end reason, any other non-null reason
 * is a failure.  An "error" word may take only its end reason from it.
 */
enum up_refine {
	UP_FINAL,
	UP_BY_REASON,
	UP_REASON_ONLY,
};

/* A provider's word, and what the normalized status table maps it to. */
struct up_status {
	const char *word;
	enum call_status status;
	enum end_reason reason;
	enum up_refine refine;
};

#define UP_MAX_WORDS 24
#define UP_MAX_REASONS 40

/*
 * A provider's status vocabulary, written as text and compiled on first
 * use (vocab.c).  Entries are separated by spaces:
 *
 *   word=status            a final word (end reason null)
 *   word=status/reason     a final word with its end reason
 *   word=status+           UP_BY_REASON: the reason table decides
 *   word=status/reason~    UP_REASON_ONLY: the reason table may name
 *                          the end reason
 *
 * status and reason are the normalized names (in_progress, no_answer,
 * user_hangup...).  In the reason table, "*=status/reason" is what any
 * reason it does not list means for an UP_BY_REASON word (default
 * failed/error), and a word ending in '*' ("error_*=failed/error")
 * stands for every word with that prefix (entries are tried in order).
 * Declare one with UP_STATUS_TABLE(words, reasons).
 */
struct up_status_table {
	const char *spec_words, *spec_reasons;
	bool ready;
	struct up_status words[UP_MAX_WORDS];
	size_t n;
	struct up_status reasons[UP_MAX_REASONS];
	size_t nreasons;
	struct up_status other;
	char text[1024];
	size_t textlen;
};

#define UP_STATUS_TABLE(words, reasons) \
	{ \
		.spec_words = (words), .spec_reasons = (reasons) \
	}

#define UP_NELEM(t) (sizeof(t) / sizeof((t)[0]))

/* The compiled table (compiling it the first time). */
const struct up_status_table *up_vocab(struct up_status_table *);
/* The entry whose word matches w (word_eq), or NULL. */
const struct up_status *up_status_find(
    const struct up_status *, size_t n, const char *w);
/* c->status and c->end_reason from the status word and finish reason
 * (either may be NULL); a word outside the table is unknown. */
void up_status_map(struct up_status_table *, const char *status,
    const char *reason, struct call *c);
/* The normalized statuses (FBIT) words[i] can become. */
unsigned up_status_outcomes(struct up_status_table *, size_t i);
/* Every status a record can map to, unknown included. */
unsigned up_status_producible(struct up_status_table *);
/* The entries (bit i: words[i]) that can yield a wanted status; *yield
 * gets everything those entries can become. */
unsigned up_status_select(
    struct up_status_table *, unsigned wanted, unsigned *yield);
/*
 * The words of the entries up_status_select picks, into out[0..max):
 * their number (0: nothing upstream can match), or -1 when `unknown` is
 * wanted (it stands for words outside the table, which have no upstream
 * spelling) or more than max words would be needed.
 */
int up_status_pick(
    struct up_status_table *, unsigned wanted, const char **out, int max);
/* A JSON array of the words of the entries up_status_select picks. */
void up_json_status_words(
    struct buf *, struct up_status_table *, unsigned wanted);

/* Direction vocabularies: inbound/outbound, incoming/outgoing. */
#define UP_DIR_INOUT 1u
#define UP_DIR_INCOMING 2u
extern const char *const up_dir_incoming_words[DIR__MAX];
/* The direction a word of the vocabularies in vocab names, or DIR_NULL. */
enum call_dir up_direction(const char *word, unsigned vocab);
/* phone_call / web_call in any case, or TYPE_NULL. */
enum call_type up_call_type(const char *word);
/* Word matching as word_eq (case, '-' = '_') for a reason family: w
 * starts with prefix; w contains part. */
bool up_word_prefix(const char *w, const char *prefix);
bool up_word_contains(const char *w, const char *part);

/* ---- the upstream response ---- */

/* PROVIDER_BAD_RESPONSE, with the formatted reason in err. */
enum cn_err up_bad(char *err, size_t errsize, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* CN_INTERNAL when the arena failed (our memory, not the provider's
 * answer), else up_bad: how a decode step that may do either fails. */
enum cn_err up_bad_unless_oom(struct arena *, char *err, size_t errsize,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/*
 * The status mapping every kind shares: 401/403 auth, 429 rate limited,
 * 5xx unavailable, anything else unexpected.  Drivers special-case what
 * their API documents (OSVI's 404 agent_not_found) first.
 */
enum cn_err upstream_status_err(long status, char *err, size_t errsize);

/* Parses the body into the arena; PROVIDER_BAD_RESPONSE with a reason,
 * CN_INTERNAL when our memory failed. */
enum cn_err up_parse_body(const struct upresp *, struct arena *,
    const struct jv **root, char *err, size_t errsize);

/*
 * The preamble of every decode: a 2xx status (else upstream_status_err),
 * a JSON body whose root is an object, and at `path` (members joined by
 * '.', each but the last an object) an array of at most
 * max(page_size, max_page_size) records.
 */
enum cn_err up_decode_begin(const struct fetch *, const struct upresp *,
    struct arena *, const char *path, const struct jv **root,
    const struct jv **records, char *err, size_t errsize);

/* The preamble for a body that is a bare array of records (vapi): a 2xx
 * status, JSON, an array root, the same page-size cap. */
enum cn_err up_decode_bare(const struct fetch *, const struct upresp *,
    struct arena *, const struct jv **records, char *err, size_t errsize);

/*
 * Per-field caps (a record that is not what the provider documents).
 * Names, numbers, words and ids are short; a longer one is a broken or
 * hostile upstream, not a call.  Transcripts are text, and get room for
 * hours of speech, still well inside the 32 MiB body cap.
 */
#define MAX_FIELD 4096
#define MAX_TEXT (4 * 1024 * 1024)
#define MAX_NATIVE_ID 256

/*
 * Typed optional fields.  Each returns 0 when the field is absent or
 * null (output NULL / unset) or has the right type, and -1 when it has
 * the wrong type — which makes the record, and so the page, a
 * PROVIDER_BAD_RESPONSE.
 */
int up_field_str(const struct jv *obj, const char *key, const char **out);
/* up_field_str for free text: up to MAX_TEXT bytes. */
int up_field_text(const struct jv *obj, const char *key, const char **out);
int up_field_int(const struct jv *obj, const char *key, struct opt_i64 *out);
int up_field_bool(const struct jv *obj, const char *key, int *out);
int up_field_obj(const struct jv *obj, const char *key, const struct jv **out);
/* ISO 8601 / RFC 3339 string field; naive times are taken as UTC. */
int up_field_time_iso(
    const struct jv *obj, const char *key, struct opt_i64 *out);
/* RFC 2822 string field (Twilio's dates); "" is absent, like null. */
int up_field_time_rfc2822(
    const struct jv *obj, const char *key, struct opt_i64 *out);
/* Whole seconds, 0 .. TIME_MAX_MS / 1000, as milliseconds. */
int up_field_seconds(const struct jv *obj, const char *key, struct opt_i64 *ms);
/* String field whose value must be an integer-looking id or a number,
 * rendered as a decimal string (OSVI campaign_id). */
int up_field_id_string(
    struct arena *, const struct jv *obj, const char *key, const char **out);
/*
 * Several typed fields in one call: fmt lists "path:T" items separated
 * by spaces, each with its output pointer in the same order.  path is a
 * member name, or names joined by '.' through nested objects (an absent
 * object leaves its fields absent).  T is s (up_field_str, const char
 * **), t (up_field_text), i (up_field_int, struct opt_i64 *), b
 * (up_field_bool, int *), o (up_field_obj, const struct jv **), T
 * (up_field_time_iso), R (up_field_time_rfc2822) or S
 * (up_field_seconds).  0, or -1 with *why
 * naming the first field of the wrong type (arena text).
 */
int up_unpack(struct arena *, const struct jv *obj, const char **why,
    const char *fmt, ...);
/* Unset, or an instant our time format can print. */
bool up_time_ok(const struct opt_i64 *);
/* ended_at = from + duration_ms, when both are known. */
void up_end_from(struct call *c, const struct opt_i64 *from);

/*
 * Starts c from record o: provider, kind, raw, no test flag (-1), and the
 * native id from the string member `key` (1 to 256 bytes).  -1 when that
 * id is missing or malformed (*why says so): the record is not what the
 * provider documents.
 */
int up_record_begin(const struct fetch *, const struct jv *o, const char *key,
    struct call *c, const char **why);

/* up_record_begin with the id member `id`, then up_unpack(fmt, ...): a
 * record function's first statement. */
int up_record(const struct fetch *, struct arena *, const struct jv *o,
    const char *id, struct call *c, const char **why, const char *fmt, ...);

/*
 * Normalizes one upstream record into c; returns 0, 1 when the kind
 * leaves this record out of its list (twilio's child legs), or -1 with
 * *why set (the record is not what the provider documents, or the arena
 * failed).
 */
typedef int (*up_record_fn)(const struct fetch *, struct arena *,
    const struct jv *record, struct call *c, const char **why);

/* *why = msg, and -1: a record function's failure in one statement. */
int up_why(const char **why, const char *msg);

/* Fills pg->calls/pg->n from an array of record objects and clears
 * pg->next; CN_INTERNAL when a record failed because the arena did. */
enum cn_err up_decode_records(const struct fetch *, struct arena *,
    const struct jv *arr, struct uppage *pg, up_record_fn, char *err,
    size_t errsize);

/* The optional count `key` of obj (a total of records): absent, or an
 * integer >= 0, else PROVIDER_BAD_RESPONSE. */
enum cn_err up_decode_count(const struct jv *obj, const char *key,
    struct opt_i64 *out, char *err, size_t errsize);

/*
 * A plain list answer: up_decode_begin at path, the optional count
 * count_key of the root object (NULL: none) into *total, then the
 * records.  The page facts are the caller's.
 */
enum cn_err up_decode_list(const struct fetch *, const struct upresp *,
    struct arena *, const char *path, const char *count_key, up_record_fn,
    struct uppage *, struct opt_i64 *total, char *err, size_t errsize);

/* The optional next-page token `key` of obj, copied into the arena: NULL
 * when absent or null, else a string of at most CURSOR_MAX_TOKEN bytes
 * (it travels in the cursor), else PROVIDER_BAD_RESPONSE. */
enum cn_err up_decode_token(struct arena *, const struct jv *obj,
    const char *key, const char **out, char *err, size_t errsize);

/* The page facts every decode ends with. */
void up_page_end(struct uppage *, bool last, const struct opt_i64 *total,
    int64_t last_page, int per_page);

/*
 * Page-number lists (Laravel style) keep their facts in one object: the
 * current page, the last page (at least last_min), an optional total
 * and the page size applied.  up_pages_read checks them before the
 * records are decoded, up_pages_end writes the page facts after.
 */
struct up_pages_names {
	const char *obj, *current, *last, *total, *per_page;
	int64_t last_min;
};
struct up_pages {
	struct opt_i64 cur, last, total, per;
};
enum cn_err up_pages_read(const struct jv *root, const struct up_pages_names *,
    struct up_pages *, char *err, size_t errsize);
void up_pages_end(
    const struct fetch *, const struct up_pages *, struct uppage *);

/*
 * A whole Laravel-style answer: the records in `data`, a `success` that
 * must be true (when the provider documents it as optional and it is
 * absent, success_optional lets that pass), then the page facts.
 */
enum cn_err up_decode_pages(const struct fetch *, const struct upresp *,
    struct arena *, const struct up_pages_names *, up_record_fn,
    bool success_optional, struct uppage *, char *err, size_t errsize);

/* ---- one call in full (detail.c) ---- */

/*
 * base_url + prefix + the native id as one path segment + suffix.  Every
 * byte of the id but A-Z a-z 0-9 - _ ~ is percent-encoded, '.' too, so
 * "..", "/" or "?" in an id never reach another endpoint.
 */
void up_detail_url(struct buf *, const struct provider_conf *,
    const char *prefix, const char *id, const char *suffix);
/* A GET of up_detail_url(), for drivers that need nothing else. */
enum cn_err up_detail_get(const struct detail_req *, struct arena *,
    struct upreq *, const char *prefix, const char *suffix);

/* The fetch a kind's list record function takes, standing for a detail
 * (no filter requested): the detail maps the call as the list does. */
void up_detail_fetch(
    const struct detail_req *, struct fetch *, struct plan *, struct query *);

/* d->call from the call object o by the kind's list record function
 * (through up_detail_fetch); PROVIDER_BAD_RESPONSE or CN_INTERNAL. */
enum cn_err up_detail_record(const struct detail_req *, struct arena *,
    const struct jv *o, up_record_fn, struct detail *, char *err,
    size_t errsize);
/* A detail prepare for one part: a GET of the driver's detail path and
 * the id, with Authorization: Bearer <api_key>. */
enum cn_err up_detail_prepare_bearer(
    const struct detail_req *, size_t part, struct arena *, struct upreq *);
/* For kinds whose one answer is the call object itself: part 0 into
 * *root (up_detail_part), then d->call by fn (up_detail_record). */
enum cn_err up_detail_bare_call(const struct detail_req *,
    const struct upresp *, struct arena *, up_record_fn, struct detail *,
    const struct jv **root, char *err, size_t errsize);
/* up_detail_get, then Authorization: Bearer <api_key>. */
enum cn_err up_detail_get_bearer(const struct detail_req *, struct arena *,
    struct upreq *, const char *prefix, const char *suffix);

/*
 * One part's answer: d->raw[part] gets its JSON (NULL when it is none).
 * A 404 is CALL_NOT_FOUND for part 0 and *absent for the others; another
 * non-2xx status, or a 2xx body that is not a JSON object, fails with
 * d->err_part = part.  *root is the object on CN_OK without *absent.
 */
enum cn_err up_detail_part(const struct upresp *, size_t part, struct arena *,
    struct detail *, const struct jv **root, bool *absent, char *err,
    size_t errsize);

/* up_detail_part for parts 0 .. n-1 in order, so the call's 404 answers
 * CALL_NOT_FOUND whatever the other parts said; the first error. */
enum cn_err up_detail_parts(const struct upresp *, size_t n, struct arena *,
    struct detail *, const struct jv **root, bool *absent, char *err,
    size_t errsize);

/* Room for n turns in d; -1 when the arena failed. */
int up_turns_alloc(struct arena *, struct detail *, size_t n);
/*
 * Offsets.  up_offset_seconds reads a number of seconds, up_offset_ms a
 * number of milliseconds; both round to whole ms half up, exactly (from
 * the number's decimal text, not through binary floating point).  0
 * when absent or null (unset), -1 when not a number >= 0 that fits.
 */
int up_offset_seconds(const struct jv *, struct opt_i64 *ms);
int up_offset_ms(const struct jv *, struct opt_i64 *ms);
/* The same over a decimal number's text ("12.3"; shift 3: seconds to
 * ms); -1 unless it is all a number >= 0 of at most 17 digits. */
int up_decimal_scaled(const char *text, int shift, int64_t *out);

/* A provider's transcript role word and the normalized role. */
struct up_role {
	const char *word;
	const char *role; /* agent, user, system, tool */
};
/* The role word maps to (word_eq); a word the provider does not
 * document is "system": a turn, but nobody's words. */
const char *up_role(const struct up_role *, size_t n, const char *word);
/* A turn's text: a string of up to MAX_TEXT bytes, or "" when absent or
 * null; -1 when of another type. */
int up_turn_text(const struct jv *o, const char *key, const char **text);

/*
 * The transcript in the array `key` of o (absent or null: the provider
 * keeps none): each item an object with a string `role`, mapped by roles,
 * and its text in `content` (up_turn_text); then fn, when given, fills
 * what the kind adds (the offset, a role from other members) from the
 * item.  0, or -1 when an item is not what the provider documents or the
 * arena failed.
 */
/* A detail driver whose functions are named detail_parts,
 * detail_prepare and detail_decode, with n parts. */
/* One part, "call": a GET of path + the id, with a Bearer key. */
extern const char *const up_detail_call_part[1];
#define UP_DETAIL_BEARER_GET(get_path) \
	{ \
		.nparts = 1, .parts = up_detail_call_part, .path = (get_path), \
		.prepare = up_detail_prepare_bearer, .decode = detail_decode \
	}
/* One part, "call": the driver's own detail_prepare, for a GET of path
 * + the id with the kind's own key header. */
#define UP_DETAIL_GET(get_path) \
	{ \
		.nparts = 1, .parts = up_detail_call_part, .path = (get_path), \
		.prepare = detail_prepare, .decode = detail_decode \
	}
#define UP_DETAIL(n) \
	{ \
		.nparts = (n), .parts = detail_parts, \
		.prepare = detail_prepare, .decode = detail_decode \
	}

typedef int (*up_turn_fn)(const struct jv *item, struct turn *, void *ctx);
int up_decode_turns(struct arena *, const struct jv *o, const char *key,
    const struct up_role *roles, size_t nroles, up_turn_fn fn, void *ctx,
    struct detail *d);
/* The same with the role and the text in the members role_key and
 * text_key of each item. */
int up_decode_turns_keyed(struct arena *, const struct jv *o, const char *key,
    const char *role_key, const char *text_key, const struct up_role *roles,
    size_t nroles, up_turn_fn fn, void *ctx, struct detail *d);

/* The first of a transcript item's `words`: 1 with *w0 that object, 0
 * when words is absent, null or empty, -1 when it is not an array of
 * objects there. */
int up_first_word(const struct jv *item, const struct jv **w0);
/*
 * The Retell call model's detail members of the call object o (zudu's
 * get-call copies it): recording_url, call_analysis.call_summary, the
 * turns of transcript_object (fn gives each offset, from its words) and
 * call_cost.combined_cost / cost_divisor in USD; PROVIDER_BAD_RESPONSE
 * naming the field, or CN_INTERNAL.
 */
enum cn_err up_detail_retell_model(struct arena *, const struct jv *o,
    const struct up_role *roles, size_t nroles, up_turn_fn fn, void *ctx,
    double cost_divisor, struct detail *d, char *err, size_t errsize);

/* A cost: amount / divisor (its magnitude when negative), the currency
 * upper-cased; -1 unless amount is a number and the currency three
 * ASCII letters.  A null amount or currency leaves the cost null. */
int up_cost(struct arena *, struct detail *, const struct jv *amount,
    double divisor, const char *currency);
/* The same for an amount already read (in the major unit). */
int up_cost_num(
    struct arena *, struct detail *, double amount, const char *currency);

#endif
