/* libFuzzer: opening cursors — arbitrary text, and sealed garbage. */
#include <string.h>

#include "arena.h"
#include "cursor.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned char key[] = "fuzz-key-0123456789abcdef01234567";
	static struct arena *a;
	unsigned char qh[16] = { 0 };
	struct cursor c;
	char *text;

	if (a == NULL)
		a = arena_new(16 * 1024, 16u * 1024 * 1024);
	text = arena_strndup(a, (const char *)data, size);
	if (text != NULL)
		(void)cursor_open(
		    a, key, 32, "user", text, qh, 1000, 86400, &c);
	arena_reset(a);
	return 0;
}
