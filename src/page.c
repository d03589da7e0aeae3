#include "page.h"

#include <string.h>

#include "buf.h"
#include "call.h"
#include "json.h"

static void
opt_int(struct buf *b, const struct opt_i64 *v)
{
	if (v->set)
		buf_json_int(b, v->v);
	else
		buf_add(b, "null", 4);
}

static void
opt_time(struct buf *b, const struct opt_i64 *v)
{
	if (v->set)
		buf_json_time(b, v->v);
	else
		buf_add(b, "null", 4);
}

int
page_write_call(struct buf *b, const struct call *c, bool include_raw)
{
	size_t i;

	buf_adds(b, "{\"id\":\"");
	/* provider names are [a-z0-9_-]: no escaping needed */
	buf_adds(b, c->provider);
	buf_addc(b, ':');
	/* the native id is provider text: escape it, minus the quotes */
	{
		size_t start = b->len;
		buf_json_cstr(b, c->native_id);
		if (!b->failed && b->len >= start + 2) {
			memmove(b->data + start, b->data + start + 1,
			    b->len - start - 2);
			b->len -= 2;
		}
	}
	buf_adds(b, "\",\"provider\":");
	buf_json_cstr(b, c->provider);
	buf_adds(b, ",\"provider_kind\":");
	buf_json_cstr(b, c->kind);
	buf_adds(b, ",\"native_id\":");
	buf_json_cstr(b, c->native_id);
	buf_adds(b, ",\"type\":");
	buf_json_cstr(b, call_type_names[c->type]);
	buf_adds(b, ",\"direction\":");
	buf_json_cstr(b, call_dir_names[c->direction]);
	buf_adds(b, ",\"status\":");
	buf_json_cstr(b, call_status_names[c->status]);
	buf_adds(b, ",\"end_reason\":");
	buf_json_cstr(b, end_reason_names[c->end_reason]);
	buf_adds(b, ",\"provider_status\":");
	buf_json_cstr(b, c->provider_status);
	buf_adds(b, ",\"from\":");
	buf_json_cstr(b, c->from);
	buf_adds(b, ",\"to\":");
	buf_json_cstr(b, c->to);
	buf_adds(b, ",\"agent\":{\"id\":");
	buf_json_cstr(b, c->agent_id);
	buf_adds(b, ",\"name\":");
	buf_json_cstr(b, c->agent_name);
	buf_adds(b, ",\"version\":");
	opt_int(b, &c->agent_version);
	buf_adds(b, "},\"started_at\":");
	opt_time(b, &c->started_at);
	buf_adds(b, ",\"ended_at\":");
	opt_time(b, &c->ended_at);
	buf_adds(b, ",\"duration_ms\":");
	opt_int(b, &c->duration_ms);
	buf_adds(b, ",\"is_test\":");
	buf_adds(b, c->is_test < 0 ? "null" : c->is_test ? "true" : "false");
	buf_adds(b, ",\"campaign_id\":");
	buf_json_cstr(b, c->campaign_id);
	buf_adds(b, ",\"tags\":[");
	for (i = 0; i < c->ntags; i++) {
		if (i > 0)
			buf_addc(b, ',');
		buf_json_cstr(b, c->tags[i]);
	}
	buf_adds(b, "],\"metadata\":");
	if (c->metadata != NULL && jv_type(c->metadata) == J_OBJ)
		jv_write(b, c->metadata);
	else
		buf_adds(b, "{}");
	if (include_raw) {
		buf_adds(b, ",\"raw\":");
		if (c->raw != NULL)
			jv_write(b, c->raw);
		else
			buf_adds(b, "null");
	}
	return buf_addc(b, '}');
}
