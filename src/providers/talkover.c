/* talkover: placeholder until the driver lands. */
#include <string.h>

#include "common.h"

static void
plan(const struct query *q, struct plan *p)
{
	(void)q;
	memset(p, 0, sizeof(*p));
}

static enum cn_err
prepare(const struct fetch *f, struct arena *a, struct upreq *r)
{
	(void)f;
	(void)a;
	(void)r;
	return CN_INTERNAL;
}

static enum cn_err
decode(const struct fetch *f, const struct upresp *r, struct arena *a,
    struct page *pg, char *err, size_t errsize)
{
	(void)f;
	(void)r;
	(void)a;
	(void)pg;
	(void)err;
	(void)errsize;
	return CN_INTERNAL;
}

const struct driver drv_talkover = {
    .abi = DRIVER_ABI,
    .kind = "talkover",
    .paging = PAGING_TOKEN,
    .max_page_size = 100,
    .native_orders = DESC_BIT,
    .needs_secret = false,
    .plan = plan,
    .prepare = prepare,
    .decode = decode,
};
