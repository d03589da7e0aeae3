/*
 * Helpers shared by the provider drivers: building upstream URLs and JSON
 * bodies, reading typed fields, and the mapping of upstream HTTP statuses
 * every kind shares.  Everything allocates from the request arena.
 */
#ifndef CN_PROVIDERS_COMMON_H
#define CN_PROVIDERS_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../arena.h"
#include "../buf.h"
#include "../call.h"
#include "../conf.h"
#include "../json.h"
#include "../provider.h"
#include "../timefmt.h"

/* base_url + path, then url_param() for each query parameter. */
void url_begin(struct buf *, const struct provider_conf *, const char *path);
/* Appends ?name=value or &name=value, percent-encoding the value. */
void url_param(struct buf *, const char *name, const char *value);
void url_param_int(struct buf *, const char *name, int64_t value);
/* Copies a finished buffer into the arena; NULL on failure. */
char *buf_to_arena(struct arena *, struct buf *, size_t *len);

/* Authorization: Bearer <key> and similar, into r->headers. */
int add_header(
    struct arena *, struct upreq *, const char *name, const char *value);

/*
 * The status mapping every kind shares (SPEC 5): 401/403 auth, 429 rate
 * limited, 5xx unavailable, anything else unexpected.  Drivers special-
 * case what their API documents (OSVI's 404 agent_not_found) first.
 */
enum cn_err upstream_status_err(long status, char *err, size_t errsize);

/* Parses the body into the arena; PROVIDER_BAD_RESPONSE with a reason. */
enum cn_err parse_body(const struct upresp *, struct arena *,
    const struct jv **root, char *err, size_t errsize);

/*
 * Typed optional fields.  Each returns 0 when the field is absent or
 * null (output NULL / unset) or has the right type, and -1 when it has
 * the wrong type — which makes the record, and so the page, a
 * PROVIDER_BAD_RESPONSE.
 */
/*
 * Per-field caps (SPEC 6: a record that is not what the provider
 * documents).  Names, numbers, words and ids are short; a longer one is a
 * broken or hostile upstream, not a call.  Transcripts are text, and get
 * room for hours of speech, still well inside the 32 MiB body cap.
 */
#define MAX_FIELD 4096
#define MAX_TEXT (4 * 1024 * 1024)

int field_str(const struct jv *obj, const char *key, const char **out);
/* field_str for free text: up to MAX_TEXT bytes. */
int field_text(const struct jv *obj, const char *key, const char **out);
int field_int(const struct jv *obj, const char *key, struct opt_i64 *out);
int field_bool(const struct jv *obj, const char *key, int *out);
/* ISO 8601 / RFC 3339 string field; naive times are taken as UTC. */
int field_time_iso(const struct jv *obj, const char *key, struct opt_i64 *out);
/* String field whose value must be an integer-looking id or a number,
 * rendered as a decimal string (OSVI campaign_id). */
int field_id_string(
    struct arena *, const struct jv *obj, const char *key, const char **out);

/* JSON request bodies: `"name":` with a comma before all but the first
 * member; an array of strings; the words of the bits set in mask (bit i
 * is words[i]); a {lower_threshold, upper_threshold} object. */
void json_key(struct buf *, bool *first, const char *name);
void json_strset(struct buf *, const struct strset *);
void json_words(struct buf *, unsigned mask, const char *const *words, int n);
void json_threshold(
    struct buf *, bool has_lo, int64_t lo, bool has_hi, int64_t hi);

/* A provider's status vocabulary: its word, and what SPEC 4.3 maps it to. */
struct status_word {
	const char *word;
	enum call_status status;
	enum end_reason reason;
};

/* The entry whose word matches w (word_eq), or NULL. */
const struct status_word *status_word_find(
    const struct status_word *, size_t n, const char *w);

#define MAX_NATIVE_ID 256

/*
 * Starts c from record o: provider, kind, raw, no test flag (-1), and the
 * native id from the string member `key` (1 to 256 bytes).  -1 when that
 * id is missing or malformed: the record is not what the provider
 * documents.
 */
int record_begin(
    const struct fetch *, const struct jv *o, const char *key, struct call *c);

/*
 * Normalizes one upstream record into c; returns 0, or -1 with *why set
 * (the record is not what the provider documents).
 */
typedef int (*record_fn)(const struct fetch *, struct arena *,
    const struct jv *record, struct call *c, const char **why);

/* Fills pg->calls/pg->n from an array of record objects. */
enum cn_err decode_records(const struct fetch *, struct arena *,
    const struct jv *arr, struct uppage *pg, record_fn, char *err,
    size_t errsize);

/* Lowercased, '-' as '_' copy for table lookups. */
const char *word_fold(struct arena *, const char *);

/* Highest bit index set, for single-valued pushdowns. */
int single_bit(unsigned mask);

#define DESC_BIT 1u
#define ASC_BIT 2u
#define FBIT(f) (1u << (f))

#endif
