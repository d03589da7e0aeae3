/*
 * The normalized call record ([api.md](api.md)) and its vocabularies.  Strings
 * live in the request arena; NULL means JSON null.
 */
#ifndef CN_CALL_H
#define CN_CALL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum call_status {
	ST_SCHEDULED,
	ST_QUEUED,
	ST_RINGING,
	ST_IN_PROGRESS,
	ST_COMPLETED,
	ST_NO_ANSWER,
	ST_BUSY,
	ST_VOICEMAIL,
	ST_FAILED,
	ST_CANCELED,
	ST_UNKNOWN,
	ST__MAX
};

enum end_reason {
	ER_NULL,
	ER_USER_HANGUP,
	ER_AGENT_HANGUP,
	ER_TRANSFERRED,
	ER_INACTIVITY,
	ER_MAX_DURATION,
	ER_VOICEMAIL,
	ER_NO_ANSWER,
	ER_BUSY,
	ER_ERROR,
	ER__MAX
};

enum call_dir { DIR_NULL, DIR_INBOUND, DIR_OUTBOUND, DIR__MAX };
enum call_type { TYPE_NULL, TYPE_PHONE, TYPE_WEB, TYPE__MAX };

/* A nullable integer: times in ms since the epoch, durations in ms. */
struct opt_i64 {
	bool set;
	int64_t v;
};

struct jv;

struct call {
	const char *provider; /* configured name */
	const char *kind;
	const char *native_id;
	enum call_type type;
	enum call_dir direction;
	enum call_status status;
	enum end_reason end_reason;
	const char *provider_status;
	const char *from;
	const char *to;
	const char *agent_id;
	const char *agent_name;
	struct opt_i64 agent_version;
	/* A version named by an id (ElevenLabs' version_id): written as
	 * agent.version instead of agent_version when set. */
	const char *agent_version_id;
	struct opt_i64 started_at;
	struct opt_i64 ended_at;
	struct opt_i64 duration_ms;
	/* Creation time, for kinds that list in creation order (not part
	 * of the record; the engine's order key comes from it). */
	struct opt_i64 created_at;
	int is_test; /* -1 unknown, 0, 1 */
	const char *campaign_id;
	const char **tags;
	size_t ntags;
	const struct jv *metadata; /* an object, or NULL for {} */
	/* What `q` searches; NULL when the list carries no transcript. */
	const char *transcript;
	bool has_transcript_source;
	const struct jv *raw; /* the provider's record */
};

extern const char *const call_status_names[ST__MAX];
extern const char *const end_reason_names[ER__MAX];
extern const char *const call_dir_names[DIR__MAX];
extern const char *const call_type_names[TYPE__MAX];

/* Index in names[0..n) of s, or -1. */
int name_lookup(const char *const *names, int n, const char *s, size_t len);
/*
 * Provider vocabularies are matched ignoring case and treating '-' and
 * '_' alike: true when a and b are the same word that way.
 */
bool word_eq(const char *a, const char *b);

#endif
