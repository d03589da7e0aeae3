#include <string.h>

#include "arena.h"
#include "tap.h"

static int cleaned;

static void
bump(void *p)
{
	(void)p;
	cleaned++;
}

int
main(void)
{
	struct arena *a = arena_new(1024, 64 * 1024);
	char *s;
	void *big;
	int i;

	s = arena_strdup(a, "hello");
	is_str(s, "hello", "strdup");
	big = arena_alloc(a, 10000);
	ok(big != NULL, "a block larger than a chunk");
	memset(big, 1, 10000);
	ok(arena_alloc(a, 100000) == NULL, "the cap refuses a runaway");
	ok(arena_calloc(a, SIZE_MAX / 2, 4) == NULL, "calloc overflow refused");
	for (i = 0; i < 3; i++)
		arena_cleanup(a, bump, NULL);
	arena_reset(a);
	is_int(cleaned, 3, "cleanups run at reset");
	ok(arena_used(a) == 0, "reset returns to empty");
	s = arena_printf(a, "%d-%s", 7, "x");
	is_str(s, "7-x", "printf");
	cn_alloc_fail_after(2);
	ok(arena_alloc(a, 8) != NULL, "first allocation succeeds");
	ok(arena_alloc(a, 8) == NULL, "the injected failure hits the 2nd");
	ok(arena_alloc(a, 8) != NULL, "and only that one");
	arena_free(a);
	return done_testing();
}
