/* SPEC 4.5: sealing, tampering, binding, expiry, size. */
#include <string.h>

#include "arena.h"
#include "cursor.h"
#include "tap.h"

static const unsigned char key[] = "0123456789abcdef0123456789abcdef";

int
main(void)
{
	struct arena *a = arena_new(4096, 1 << 22);
	struct cursor c, o;
	unsigned char qh[16], other[16];
	char *t, *bad;
	size_t i, len;
	enum cn_err e;
	char tok[CURSOR_MAX_TOKEN + 1];

	memset(&c, 0, sizeof(c));
	cursor_query_hash("provider=a&status=1", qh);
	cursor_query_hash("provider=a&status=2", other);
	c.issued_at = 1000;
	c.horizon = 123456789;
	memcpy(c.query_hash, qh, 16);
	c.has_wm = true;
	c.wm_has_time = true;
	c.wm_time = 1781236800123LL;
	c.wm_provider = 2;
	c.wm_id = "6650f0c2a1b2c3d4e5f60718";
	c.npos = 2;
	c.pos[0].index = 0;
	c.pos[0].started = true;
	c.pos[0].token = "tok-abc";
	c.pos[1].index = 1;
	c.pos[1].state = PS_DONE;
	c.pos[1].per_page = 100;
	c.pos[1].offset = 250;
	c.pos[1].total = 900;

	t = cursor_seal(a, key, 32, "alice", &c);
	ok(t != NULL, "seals");
	ok(strspn(t,
	       "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	       "0123456789-_") == strlen(t),
	    "base64url text");
	ok(strstr(t, "tok-abc") == NULL, "contents are not readable");
	e = cursor_open(a, key, 32, "alice", t, qh, 1010, 86400, &o);
	is_str(cn_err_code(e), "OK", "opens for the same caller and query");
	ok(o.wm_time == c.wm_time && strcmp(o.wm_id, c.wm_id) == 0 &&
	        o.wm_provider == 2 && o.horizon == c.horizon,
	    "watermark round trip");
	ok(o.npos == 2 && strcmp(o.pos[0].token, "tok-abc") == 0 &&
	        o.pos[1].offset == 250 && o.pos[1].total == 900 &&
	        o.pos[1].state == PS_DONE && o.pos[0].started,
	    "positions round trip");

	/* every single-bit change is refused */
	len = strlen(t);
	bad = arena_strdup(a, t);
	for (i = 0; i < len; i++) {
		char saved = bad[i];
		bad[i] = bad[i] == 'A' ? 'B' : 'A';
		e = cursor_open(a, key, 32, "alice", bad, qh, 1010, 86400, &o);
		bad[i] = saved;
		if (e != CN_INVALID_CURSOR)
			break;
	}
	ok(i == len, "altering any character gives INVALID_CURSOR");
	is_str(cn_err_code(cursor_open(
	           a, key, 32, "alice", "not-a-cursor!", qh, 1010, 86400, &o)),
	    "INVALID_CURSOR", "garbage is INVALID_CURSOR");
	is_str(cn_err_code(
	           cursor_open(a, key, 32, "alice", "", qh, 1010, 86400, &o)),
	    "INVALID_CURSOR", "empty is INVALID_CURSOR");
	is_str(
	    cn_err_code(cursor_open(a, key, 32, "bob", t, qh, 1010, 86400, &o)),
	    "INVALID_CURSOR", "another caller's cursor is INVALID_CURSOR");
	is_str(
	    cn_err_code(cursor_open(a, key, 32, NULL, t, qh, 1010, 86400, &o)),
	    "INVALID_CURSOR", "an anonymous caller cannot use alice's cursor");
	is_str(cn_err_code(cursor_open(a,
	           (const unsigned char *)"another key another key another k",
	           32, "alice", t, qh, 1010, 86400, &o)),
	    "INVALID_CURSOR", "another server key is INVALID_CURSOR");
	is_str(cn_err_code(
	           cursor_open(a, key, 32, "alice", t, other, 1010, 86400, &o)),
	    "CURSOR_QUERY_MISMATCH", "other parameters: CURSOR_QUERY_MISMATCH");
	is_str(cn_err_code(cursor_open(
	           a, key, 32, "alice", t, qh, 1000 + 86401, 86400, &o)),
	    "CURSOR_EXPIRED", "older than the ttl: CURSOR_EXPIRED");
	is_str(cn_err_code(cursor_open(
	           a, key, 32, "alice", t, qh, 1000 + 86400, 86400, &o)),
	    "OK", "exactly at the ttl it still opens");

	/* five providers in flight with long tokens stay under 2 KB */
	memset(tok, 'x', 200);
	tok[200] = '\0';
	c.npos = 5;
	for (i = 0; i < 5; i++) {
		c.pos[i].index = (uint8_t)i;
		c.pos[i].started = true;
		c.pos[i].token = tok;
		c.pos[i].offset = 123456789;
		c.pos[i].total = 987654321;
		c.pos[i].own_wm = true;
		c.pos[i].own_wm_has_time = true;
		c.pos[i].own_wm_time = 1781236800123LL;
		c.pos[i].own_wm_id = "550e8400-e29b-41d4-a716-446655440000";
	}
	t = cursor_seal(a, key, 32, "alice", &c);
	ok(t != NULL && strlen(t) < 2048, "five providers in flight: %zu bytes",
	    t ? strlen(t) : 0);
	memset(tok, 'x', CURSOR_MAX_TOKEN);
	tok[CURSOR_MAX_TOKEN] = '\0';
	for (i = 0; i < 5; i++)
		c.pos[i].token = tok;
	ok(cursor_seal(a, key, 32, "alice", &c) == NULL,
	    "a state too large to seal is refused, not truncated");
	ok(cursor_size(&c) == 0, "cursor_size says it does not fit");

	/* three providers with 500-byte base64url tokens (Verbex's kind):
	 * they fit, and come back exactly */
	{
		static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghij"
		                          "klmnopqrstuvwxyz0123456789-_";
		char t3[3][501];
		size_t k;

		for (k = 0; k < 3; k++) {
			for (i = 0; i < 500; i++)
				t3[k][i] = b64[(i * 7 + k * 13) % 64];
			t3[k][500] = '\0';
		}
		/* 500 % 4 == 0: canonical; a 499-character one would end in
		 * bits that must be zero */
		memset(&c, 0, sizeof(c));
		memcpy(c.query_hash, qh, 16);
		c.issued_at = 1000;
		c.has_wm = true;
		c.wm_has_time = true;
		c.wm_time = 1781236800123LL;
		c.wm_id = "6650f0c2a1b2c3d4e5f60718";
		c.npos = 3;
		for (k = 0; k < 3; k++) {
			c.pos[k].index = (uint8_t)k;
			c.pos[k].started = true;
			c.pos[k].token = t3[k];
		}
		ok(cursor_size(&c) > 0, "three 500-byte tokens fit: %zu bytes",
		    cursor_size(&c));
		t = cursor_seal(a, key, 32, "alice", &c);
		ok(t != NULL && strlen(t) < 2048,
		    "sealed under 2 KB: %zu characters", t ? strlen(t) : 0);
		e = cursor_open(
		    a, key, 32, "alice", t ? t : "", qh, 1010, 86400, &o);
		ok(e == CN_OK && o.npos == 3 &&
		        strcmp(o.pos[0].token, t3[0]) == 0 &&
		        strcmp(o.pos[1].token, t3[1]) == 0 &&
		        strcmp(o.pos[2].token, t3[2]) == 0,
		    "the tokens come back exactly");
		/* tokens that are not canonical base64url are kept as text */
		c.pos[0].token = "QR"; /* leftover bits set */
		c.pos[1].token = "";
		c.pos[2].token = "eyJ0Ijox.fQ~x";
		t = cursor_seal(a, key, 32, "alice", &c);
		e = cursor_open(
		    a, key, 32, "alice", t ? t : "", qh, 1010, 86400, &o);
		ok(e == CN_OK && strcmp(o.pos[0].token, "QR") == 0 &&
		        strcmp(o.pos[1].token, "") == 0 &&
		        strcmp(o.pos[2].token, "eyJ0Ijox.fQ~x") == 0,
		    "other tokens round trip as text");
		/* 500 bytes that are not base64url: three do not fit */
		for (k = 0; k < 3; k++) {
			t3[k][10] = '.';
			c.pos[k].token = t3[k];
		}
		ok(cursor_size(&c) == 0,
		    "three 500-byte opaque tokens do not fit");
	}
	arena_free(a);
	return done_testing();
}
