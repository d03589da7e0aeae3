/*
 * libFuzzer: provider drivers' decode on arbitrary bodies.  The first
 * byte picks the HTTP status, the order, the filters, whether a page
 * position is given, and the driver unless one is fixed; the rest is the
 * body.
 *
 * One binary serves every kind in the registry.  Run as fuzz_adapters it
 * fuzzes them all; run through a link named fuzz_<kind> (scripts/test
 * makes one per kind), or with FUZZ_KIND=<kind> in the environment, it
 * fuzzes that kind alone.  With the first byte's top bit set, a kind with
 * details decodes them instead: the body is split at 0x1e bytes into one
 * answer per part (each with its own status), the detail is written as
 * the route writes it, and the body also goes through the route's id and
 * query parsers.  FUZZ_LIST_KINDS=1 prints the registered kinds,
 * one a line, and exits: the fuzz loop reads its list of targets from it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "buf.h"
#include "conf.h"
#include "detail.h"
#include "page.h"
#include "filter.h"
#include "provider.h"
#include "query.h"

int LLVMFuzzerInitialize(int *, char ***);
int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* The kind fixed by the program name or FUZZ_KIND, or NULL: all kinds. */
static const struct driver *fixed;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *name, *kind = getenv("FUZZ_KIND");
	size_t i;

	(void)argc;
	if (getenv("FUZZ_LIST_KINDS") != NULL) {
		for (i = 0; drivers[i] != NULL; i++)
			printf("%s\n", drivers[i]->kind);
		exit(0);
	}
	name = strrchr((*argv)[0], '/');
	name = name != NULL ? name + 1 : (*argv)[0];
	if (kind == NULL && strncmp(name, "fuzz_", 5) == 0 &&
	    strcmp(name, "fuzz_adapters") != 0)
		kind = name + 5;
	if (kind != NULL && (fixed = driver_find(kind)) == NULL) {
		fprintf(stderr, "fuzz_adapters: no kind '%s'\n", kind);
		exit(2);
	}
	return 0;
}

static const long statuses[] = { 200, 200, 200, 404, 401, 429, 500, 302 };

/* GET /calls/{id}'s pure parts on the input. */
static void
fuzz_detail(struct arena *a, const struct provider_conf *pc,
    const uint8_t *data, size_t size)
{
	const struct detail_driver *dd = pc->driver->detail;
	struct upresp r[DETAIL_MAX_PARTS];
	struct detail_req rq;
	struct detail det;
	const char *p = (const char *)data + 1,
	           *end = (const char *)data + size;
	const char *prov, *native, *why, *param;
	char *text, err[200];
	struct buf b;
	size_t i;
	bool raw;

	text = arena_strndup(a, p, (size_t)(end - p));
	if (text == NULL)
		return;
	(void)detail_parse_id(a, text, &prov, &native, &why);
	(void)detail_parse_query(a, text, &raw, &param);
	memset(&rq, 0, sizeof(rq));
	rq.pc = pc;
	rq.native_id = "call-1";
	rq.now_ms = 1781237400000;
	for (i = 0; i < dd->nparts; i++) {
		const char *sep = memchr(p, 0x1e, (size_t)(end - p));
		const char *stop =
		    i + 1 < dd->nparts && sep != NULL ? sep : end;
		r[i].status = statuses[(data[0] >> i) & 7];
		r[i].body = arena_strndup(a, p, (size_t)(stop - p));
		r[i].len = (size_t)(stop - p);
		if (r[i].body == NULL)
			return;
		p = stop < end ? stop + 1 : end;
	}
	memset(&det, 0, sizeof(det));
	if (dd->decode(&rq, r, a, &det, err, sizeof(err)) != CN_OK)
		return;
	buf_init(&b, 64u * 1024 * 1024);
	page_write_call(&b, &det.call, false);
	detail_write(&b, &det, dd, true);
	buf_free(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
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
	for (nd = 0; drivers[nd] != NULL; nd++)
		;
	d = fixed != NULL ? fixed : drivers[data[0] % nd];
	memset(&pc, 0, sizeof(pc));
	strcpy(pc.name, "p");
	pc.driver = d;
	pc.base_url = "http://127.0.0.1:9/p";
	pc.api_key = "k";
	pc.api_secret = "s";
	/* every key of the kind (twilio's account_sid, api_key_sid) gets a
	 * SID-shaped value, the one the corpus's links carry */
	for (pc.nextra = 0; pc.nextra < d->nkeys && pc.nextra < CONF_MAX_EXTRA;
	     pc.nextra++) {
		pc.extra[pc.nextra].name = d->keys[pc.nextra].name;
		pc.extra[pc.nextra].value =
		    (char *)"AC0123456789abcdef0123456789abcdef";
	}
	if ((data[0] & 0x80) && d->detail != NULL) {
		fuzz_detail(a, &pc, data, size);
		goto out;
	}
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
	/* a later page: decoders that read their own position (vapi's
	 * createdAt bound and the ids at it) see one */
	if (data[0] & 0x80)
		f.pos.token = "1781236740000,a,b%2Cc";
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
