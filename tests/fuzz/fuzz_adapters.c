/*
 * libFuzzer: provider drivers' decode on arbitrary bodies.  The first
 * byte picks the driver (unless FUZZ_KIND fixes it: one target per
 * driver), the HTTP status, the order and the filters; the rest is the
 * body.
 */
#include <string.h>

#include "arena.h"
#include "conf.h"
#include "filter.h"
#include "provider.h"
#include "query.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const long statuses[] = { 200, 200, 200, 404, 401, 429, 500,
		302 };
	static struct arena *a;
	static const char qs[] = "q=refund&status=completed";
	const struct driver *d;
	struct provider_conf pc;
	struct query q;
	struct qerrors qe;
	struct plan plan;
	struct fetch f;
	struct upresp r;
	struct uppage pg;
	size_t nd;
	char err[200];

	if (size < 1)
		return 0;
	if (a == NULL)
		a = arena_new(64 * 1024, 256u * 1024 * 1024);
#ifdef FUZZ_KIND
	(void)nd;
	d = driver_find(FUZZ_KIND);
#else
	for (nd = 0; drivers[nd] != NULL; nd++)
		;
	d = drivers[data[0] % nd];
#endif
	memset(&pc, 0, sizeof(pc));
	strcpy(pc.name, "p");
	pc.driver = d;
	pc.base_url = "http://127.0.0.1:9/p";
	pc.api_key = "k";
	pc.api_secret = "s";
	if (query_parse(
	        a, qs, (data[0] & 0x20) ? sizeof(qs) - 1 : 0, &q, &qe) != 0)
		goto out;
	filter_plan(d, &q, &plan);
	memset(&f, 0, sizeof(f));
	f.pc = &pc;
	f.q = &q;
	f.plan = &plan;
	f.order = (data[0] & 0x40) ? ORDER_ASC : ORDER_DESC;
	f.page_size = 100;
	f.pos.page = 1;
	r.status = statuses[(data[0] >> 3) & 7];
	r.body = arena_strndup(a, (const char *)data + 1, size - 1);
	r.len = size - 1;
	if (r.body == NULL)
		goto out;
	memset(&pg, 0, sizeof(pg));
	(void)d->decode(&f, &r, a, &pg, err, sizeof(err));
out:
	arena_reset(a);
	return 0;
}
