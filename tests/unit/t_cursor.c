/* The cursor: sealing, tampering, binding, expiry, size. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arena.h"
#include "conf.h"
#include "cursor.h"
#include "tap.h"

static const unsigned char key[] = "0123456789abcdef0123456789abcdef";

/* A cursor_key of n bytes: a repeating pattern, then `last`. */
static char *
make_key(size_t n, char last)
{
	char *k = malloc(n + 1);
	size_t i;

	if (k == NULL || n == 0)
		abort();
	for (i = 0; i < n; i++)
		k[i] = "0123456789abcdefghijklmnopqrstuvwxyz"[i % 36];
	k[n - 1] = last;
	k[n] = '\0';
	return k;
}

/*
 * The key as the server holds it: written into a configuration file as
 * the literal `cursor_key = ...` (inline) or through `file:` (from_file),
 * then loaded.  NULL when loading fails.
 */
static struct config *
conf_with_key(const char *k, bool from_file)
{
	char path[64], kpath[64];
	struct config *c;
	FILE *f, *devnull;

	snprintf(path, sizeof(path), "/tmp/t_cursor.%ld.conf", (long)getpid());
	snprintf(kpath, sizeof(kpath), "/tmp/t_cursor.%ld.key", (long)getpid());
	if (from_file) {
		f = fopen(kpath, "w");
		fprintf(f, "%s\n", k);
		fclose(f);
	}
	f = fopen(path, "w");
	if (from_file)
		fprintf(f, "[callnorm]\ncursor_key = file:%s\n", kpath);
	else
		fprintf(f, "[callnorm]\ncursor_key = %s\n", k);
	fputs("[provider vx]\nkind = verbex\nbase_url = https://a.example\n"
	      "api_key = k\n",
	    f);
	fclose(f);
	devnull = fopen("/dev/null", "w");
	c = conf_load(path, devnull);
	fclose(devnull);
	unlink(path);
	unlink(kpath);
	return c;
}

/*
 * Keys a and b (different) must each open their own cursors and never
 * the other's, both as handed to the cursor code directly and as loaded
 * from a configuration file.
 */
static void
keys_apart(struct arena *a, const struct cursor *c, const unsigned char qh[16],
    const char *ka, const char *kb, const char *what)
{
	const unsigned char *ua = (const unsigned char *)ka;
	const unsigned char *ub = (const unsigned char *)kb;
	struct config *ca, *cb;
	struct cursor o;
	char *ta, *tb;
	int ok_direct, ok_conf = 0, ok_file = 0, pass;

	ta = cursor_seal(a, ua, strlen(ka), "alice", c);
	tb = cursor_seal(a, ub, strlen(kb), "alice", c);
	ok_direct = ta != NULL && tb != NULL &&
	    cursor_open(a, ua, strlen(ka), "alice", ta, qh, 1010, 86400, &o) ==
	        CN_OK &&
	    cursor_open(a, ub, strlen(kb), "alice", tb, qh, 1010, 86400, &o) ==
	        CN_OK &&
	    cursor_open(a, ub, strlen(kb), "alice", ta, qh, 1010, 86400, &o) ==
	        CN_INVALID_CURSOR &&
	    cursor_open(a, ua, strlen(ka), "alice", tb, qh, 1010, 86400, &o) ==
	        CN_INVALID_CURSOR;
	ok(ok_direct, "%s: each key opens its own cursor only", what);

	for (pass = 0; pass < 2; pass++) {
		bool from_file = pass == 1;
		int *res = from_file ? &ok_file : &ok_conf;

		ca = conf_with_key(ka, from_file);
		cb = conf_with_key(kb, from_file);
		if (ca != NULL && cb != NULL) {
			ta = cursor_seal(
			    a, ca->cursor_key, ca->cursor_key_len, "alice", c);
			tb = cursor_seal(
			    a, cb->cursor_key, cb->cursor_key_len, "alice", c);
			*res = ta != NULL && tb != NULL &&
			    cursor_open(a, ca->cursor_key, ca->cursor_key_len,
			        "alice", ta, qh, 1010, 86400, &o) == CN_OK &&
			    cursor_open(a, cb->cursor_key, cb->cursor_key_len,
			        "alice", tb, qh, 1010, 86400, &o) == CN_OK &&
			    cursor_open(a, cb->cursor_key, cb->cursor_key_len,
			        "alice", ta, qh, 1010, 86400,
			        &o) == CN_INVALID_CURSOR &&
			    cursor_open(a, ca->cursor_key, ca->cursor_key_len,
			        "alice", tb, qh, 1010, 86400,
			        &o) == CN_INVALID_CURSOR;
		}
		ok(*res, "%s, as cursor_key%s: each opens its own cursor only",
		    what, from_file ? " = file:" : "");
		conf_free(ca);
		conf_free(cb);
	}
}

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

	/* a windowed walk's window: below the epoch, unbounded below */
	{
		struct cursor wc = c;
		char *wt;
		wc.pos[0].win = true;
		wc.pos[0].win_lo_set = true;
		wc.pos[0].win_lo = -200001;
		wc.pos[0].win_hi = 399999;
		wc.pos[0].win_width = 600000;
		wc.pos[1].win = true;
		wc.pos[1].win_hi = 5;
		wt = cursor_seal(a, key, 32, "alice", &wc);
		e = cursor_open(a, key, 32, "alice", wt, qh, 1010, 86400, &o);
		ok(e == CN_OK && o.pos[0].win && o.pos[0].win_lo_set &&
		        o.pos[0].win_lo == -200001 &&
		        o.pos[0].win_hi == 399999 &&
		        o.pos[0].win_width == 600000 && o.pos[1].win &&
		        !o.pos[1].win_lo_set && o.pos[1].win_hi == 5 &&
		        o.pos[1].win_width == 0 &&
		        strcmp(o.pos[0].token, "tok-abc") == 0,
		    "windows round trip");
		/* sealed by us, but not a window the walk writes */
		wc.pos[0].win_hi = -200002;
		wt = cursor_seal(a, key, 32, "alice", &wc);
		is_str(cn_err_code(cursor_open(
		           a, key, 32, "alice", wt, qh, 1010, 86400, &o)),
		    "INVALID_CURSOR", "a window ending before it starts");
		wc.pos[0].win_hi = 399999;
		wc.pos[0].win_width = -1;
		wt = cursor_seal(a, key, 32, "alice", &wc);
		is_str(cn_err_code(cursor_open(
		           a, key, 32, "alice", wt, qh, 1010, 86400, &o)),
		    "INVALID_CURSOR", "a window of negative width");
	}

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

	/* the form tells a cut or foreign text from a cursor that does not
	 * open: every cut of 1 to 40 characters is named "truncated" */
	ok(cursor_form_problem(t) == NULL, "a whole cursor has the form");
	for (i = 1; i <= 40; i++) {
		const char *why;
		bad = arena_strndup(a, t, len - i);
		e = cursor_open(a, key, 32, "alice", bad, qh, 1010, 86400, &o);
		why = cursor_form_problem(bad);
		if (e != CN_INVALID_CURSOR || why == NULL ||
		    strstr(why, "truncated") == NULL)
			break;
	}
	ok(i == 41,
	    "cutting 1..40 characters: INVALID_CURSOR, truncated "
	    "(stopped at %zu)",
	    i);
	ok(strstr(cursor_form_problem("not a cursor!"), "malformed") != NULL,
	    "text outside base64url is malformed");
	ok(strstr(cursor_form_problem("AAAA"), "truncated") != NULL,
	    "four characters are too short for any cursor");
	bad = arena_strdup(a, t);
	/* 'B' is 000001: a first byte of 0x04 to 0x07, neither form */
	bad[0] = 'B';
	ok(cursor_form_problem(bad) != NULL &&
	        strstr(cursor_form_problem(bad), "malformed") != NULL,
	    "a foreign first byte is malformed");
	ok(cursor_form_problem(cursor_seal(a, key, 32, "bob", &c)) == NULL,
	    "another caller's cursor has the form (it just does not open)");
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

	/* every byte of cursor_key counts, however long the key */
	c.npos = 1;
	c.pos[0].token = "tok-abc";
	{
		static const size_t lens[] = { 32, 64, 65, 100, 1000, 4000 };
		char *ka, *kb, what[64];

		for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
			ka = make_key(lens[i], 'A');
			kb = make_key(lens[i], 'B');
			snprintf(what, sizeof(what),
			    "%zu-byte keys differing in the last byte",
			    lens[i]);
			keys_apart(a, &c, qh, ka, kb, what);
			free(ka);
			free(kb);
		}
		/* two 100-byte keys that share their first 64 bytes */
		ka = make_key(100, 'x');
		kb = make_key(100, 'x');
		memset(ka + 64, 'P', 36);
		memset(kb + 64, 'Q', 36);
		keys_apart(a, &c, qh, ka, kb,
		    "100-byte keys sharing the first 64 bytes");
		free(ka);
		free(kb);
	}
	arena_free(a);
	return done_testing();
}
