#include "call.h"

#include <string.h>

#include "ascii.h"

const char *const call_status_names[ST__MAX] = { "scheduled", "queued",
	"ringing", "in_progress", "completed", "no_answer", "busy", "voicemail",
	"failed", "canceled", "unknown" };

const char *const end_reason_names[ER__MAX] = { NULL, "user_hangup",
	"agent_hangup", "transferred", "inactivity", "max_duration",
	"voicemail", "no_answer", "busy", "error" };

const char *const call_dir_names[DIR__MAX] = { NULL, "inbound", "outbound" };
const char *const call_type_names[TYPE__MAX] = { NULL, "phone", "web" };

int
name_lookup(const char *const *names, int n, const char *s, size_t len)
{
	int i;

	for (i = 0; i < n; i++)
		if (names[i] != NULL && strlen(names[i]) == len &&
		    memcmp(names[i], s, len) == 0)
			return i;
	return -1;
}

/* Provider words compare case-insensitively, with '-' and '_' equal. */
static int
fold(unsigned char c)
{
	c = ascii_lower(c);
	return c == '-' ? '_' : c;
}

bool
word_eq(const char *a, const char *b)
{
	while (*a != '\0' && *b != '\0') {
		if (fold((unsigned char)*a) != fold((unsigned char)*b))
			return false;
		a++;
		b++;
	}
	return *a == *b;
}
