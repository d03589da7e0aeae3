/* libFuzzer: the /calls query parser and the canonical form. */
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "query.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct arena *a;
	struct query q;
	struct qerrors e;

	if (a == NULL)
		a = arena_new(64 * 1024, 64u * 1024 * 1024);
	if (query_parse(a, (const char *)data, size, &q, &e) == 0)
		(void)query_canonical(a, &q);
	arena_reset(a);
	return 0;
}
