#include "cursor.h"

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "arena.h"

/*
 * The first byte, authenticated with the rest: 1 in the first form;
 * now 0x80 | (sealed length % 128), so that a cursor cut short (by a
 * terminal, a URL length limit, a copy) is told from a forged one
 * without opening it.  Both forms open.
 */
#define CURSOR_VERSION_1 1
#define CURSOR_LENGTH_MARK 0x80
#define NONCE 12
#define TAG 16
/* Sealed (1 + NONCE + MAX_PLAIN + TAG = 1535 bytes) and base64url
 * encoded (2047 characters), this stays under 2 KB. */
#define MAX_PLAIN CURSOR_MAX_PLAIN

/* Little helpers writing and reading the compact binary form. */
struct wr {
	unsigned char *p;
	size_t n, cap;
	bool bad;
};

static void
put(struct wr *w, const void *p, size_t n)
{
	if (w->bad || n > w->cap - w->n) {
		w->bad = true;
		return;
	}
	memcpy(w->p + w->n, p, n);
	w->n += n;
}

static void
put_u8(struct wr *w, unsigned v)
{
	unsigned char c = (unsigned char)v;
	put(w, &c, 1);
}

/* zigzag varint */
static void
put_int(struct wr *w, int64_t v)
{
	uint64_t u = ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);

	while (u >= 0x80) {
		put_u8(w, (unsigned)(u & 0x7f) | 0x80);
		u >>= 7;
	}
	put_u8(w, (unsigned)u);
}

static void
put_str(struct wr *w, const char *s, size_t max)
{
	size_t n = s ? strlen(s) : 0;

	if (n > max) {
		w->bad = true;
		return;
	}
	put_int(w, s ? (int64_t)n : -1);
	if (s)
		put(w, s, n);
}

static int unb64url(const char *, unsigned char *, size_t, size_t *);

/*
 * A provider token.  Many are base64url already (Verbex's are); those
 * are kept as the bytes they encode, a quarter smaller, and marked by a
 * length below -1 (-2 - bytes).  -1 is no token, n >= 0 the text.
 */
static void
put_token(struct wr *w, const char *s)
{
	unsigned char raw[CURSOR_MAX_TOKEN];
	size_t n = s ? strlen(s) : 0, k;

	if (n > CURSOR_MAX_TOKEN) {
		w->bad = true;
		return;
	}
	/* unb64url takes only the canonical form, which b64url gives back */
	if (s != NULL && unb64url(s, raw, sizeof(raw), &k) == 0) {
		put_int(w, -2 - (int64_t)k);
		put(w, raw, k);
		return;
	}
	put_str(w, s, CURSOR_MAX_TOKEN);
}

struct rd {
	const unsigned char *p;
	size_t n, at;
	bool bad;
};

static unsigned
get_u8(struct rd *r)
{
	if (r->at >= r->n) {
		r->bad = true;
		return 0;
	}
	return r->p[r->at++];
}

static int64_t
get_int(struct rd *r)
{
	uint64_t u = 0;
	unsigned c, shift = 0;

	do {
		c = get_u8(r);
		if (shift > 63) {
			r->bad = true;
			return 0;
		}
		u |= (uint64_t)(c & 0x7f) << shift;
		shift += 7;
	} while ((c & 0x80) && !r->bad);
	return (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
}

static const char *
get_str(struct rd *r, struct arena *a, size_t max)
{
	int64_t n = get_int(r);
	const char *s;

	if (r->bad || n < -1 || n > (int64_t)max || (size_t)n > r->n - r->at) {
		if (n != -1)
			r->bad = true;
		return NULL;
	}
	if (n == -1)
		return NULL;
	s = arena_strndup(a, (const char *)r->p + r->at, (size_t)n);
	if (s == NULL)
		r->bad = true;
	r->at += (size_t)n;
	return s;
}

static char *b64url(struct arena *, const unsigned char *, size_t);

static const char *
get_token(struct rd *r, struct arena *a)
{
	size_t at = r->at;
	int64_t n = get_int(r);
	const char *s;

	if (r->bad || n >= -1) {
		r->at = at;
		return get_str(r, a, CURSOR_MAX_TOKEN);
	}
	n = -2 - n;
	if (n > (int64_t)(CURSOR_MAX_TOKEN * 3 / 4) ||
	    (size_t)n > r->n - r->at) {
		r->bad = true;
		return NULL;
	}
	s = b64url(a, r->p + r->at, (size_t)n);
	if (s == NULL)
		r->bad = true;
	r->at += (size_t)n;
	return s;
}

/* The plaintext of c; w->bad when it does not fit. */
static void
encode(struct wr *w, const struct cursor *c)
{
	size_t i;

	put_int(w, c->issued_at);
	put_int(w, c->horizon);
	put(w, c->query_hash, 16);
	put_u8(w, (c->has_wm ? 1u : 0u) | (c->wm_has_time ? 2u : 0u));
	if (c->has_wm) {
		put_int(w, c->wm_time);
		put_u8(w, c->wm_provider);
		put_str(w, c->wm_id, CURSOR_MAX_ID);
	}
	put_u8(w, (unsigned)c->npos);
	for (i = 0; i < c->npos; i++) {
		const struct cursor_pos *p = &c->pos[i];
		put_u8(w, p->index);
		put_u8(w, p->state | (p->started ? 4u : 0u));
		put_int(w, p->per_page);
		put_int(w, p->offset);
		put_int(w, p->total);
		put_token(w, p->token);
		put_u8(w,
		    (p->own_wm ? 1u : 0u) | (p->own_wm_has_time ? 2u : 0u) |
		        (p->win ? 4u : 0u) | (p->win_lo_set ? 8u : 0u));
		if (p->own_wm) {
			put_int(w, p->own_wm_time);
			put_str(w, p->own_wm_id, CURSOR_MAX_ID);
		}
		/* a window: three or four small integers */
		if (p->win) {
			if (p->win_lo_set)
				put_int(w, p->win_lo);
			put_int(w, p->win_hi);
			put_int(w, p->win_width);
		}
	}
}

size_t
cursor_size(const struct cursor *c)
{
	unsigned char plain[MAX_PLAIN];
	struct wr w = { plain, 0, sizeof(plain), false };

	encode(&w, c);
	return w.bad ? 0 : w.n;
}

/*
 * libcrypto sets itself up on first use, and an allocation that fails
 * there is not reported to whoever triggered it: the half-made default
 * context crashes a later call (seen as curl_global_init, then RAND_bytes
 * in the first request).  Setting it up here, before anything else uses
 * it, turns that into a failed start.
 */
int
cursor_crypto_init(void)
{
	unsigned char b[16];

	if (OPENSSL_init_crypto(0, NULL) != 1 ||
	    OSSL_LIB_CTX_get0_global_default() == NULL)
		return -1;
	return RAND_bytes(b, sizeof(b)) == 1 ? 0 : -1;
}

void
cursor_query_hash(const char *canonical, unsigned char out[16])
{
	unsigned char h[SHA256_DIGEST_LENGTH];

	SHA256((const unsigned char *)canonical, strlen(canonical), h);
	memcpy(out, h, 16);
}

/*
 * The sealing key is derived, so cursor_key is never used directly.
 * Every byte of the key counts: HMAC-SHA256 takes a key of any length
 * (one longer than its 64-byte block is hashed whole first, RFC 2104),
 * and the configuration keeps cursor_key whole (conf.c).
 */
static void
derive(const unsigned char *key, size_t keylen, unsigned char out[32])
{
	unsigned int n = 32;

	HMAC(EVP_sha256(), key, (int)keylen,
	    (const unsigned char *)"callnorm cursor v1", 18, out, &n);
}

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static char *
b64url(struct arena *a, const unsigned char *p, size_t n)
{
	char *out = arena_alloc(a, (n + 2) / 3 * 4 + 1);
	size_t i, o = 0;
	uint32_t v;

	if (out == NULL)
		return NULL;
	for (i = 0; i + 2 < n; i += 3) {
		v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		out[o++] = b64[v >> 18];
		out[o++] = b64[(v >> 12) & 63];
		out[o++] = b64[(v >> 6) & 63];
		out[o++] = b64[v & 63];
	}
	if (n - i == 1) {
		v = (uint32_t)p[i] << 16;
		out[o++] = b64[v >> 18];
		out[o++] = b64[(v >> 12) & 63];
	} else if (n - i == 2) {
		v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;
		out[o++] = b64[v >> 18];
		out[o++] = b64[(v >> 12) & 63];
		out[o++] = b64[(v >> 6) & 63];
	}
	out[o] = '\0';
	return out;
}

static int
unb64url(const char *s, unsigned char *out, size_t cap, size_t *outlen)
{
	size_t n = strlen(s), i, o = 0;
	uint32_t v = 0;
	int bits = 0;
	const char *q;

	if (n % 4 == 1)
		return -1;
	for (i = 0; i < n; i++) {
		q = memchr(b64, s[i], 64);
		if (q == NULL || s[i] == '\0')
			return -1;
		v = (v << 6) | (uint32_t)(q - b64);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o >= cap)
				return -1;
			out[o++] = (unsigned char)(v >> bits);
			v &= (1u << bits) - 1;
		}
	}
	/* canonical form only: leftover bits must be zero */
	if (v != 0)
		return -1;
	*outlen = o;
	return 0;
}

char *
cursor_seal(struct arena *a, const unsigned char *key, size_t keylen,
    const char *user, const struct cursor *c)
{
	unsigned char plain[MAX_PLAIN], sealed[1 + NONCE + MAX_PLAIN + TAG];
	unsigned char k[32];
	struct wr w = { plain, 0, sizeof(plain), false };
	EVP_CIPHER_CTX *ctx = NULL;
	char *out = NULL;
	int len, fin;

	encode(&w, c);
	if (w.bad)
		goto out;
	sealed[0] = (unsigned char)(CURSOR_LENGTH_MARK |
	    ((1 + NONCE + w.n + TAG) % 128));
	if (RAND_bytes(sealed + 1, NONCE) != 1)
		goto out;
	derive(key, keylen, k);
	ctx = EVP_CIPHER_CTX_new();
	if (ctx == NULL ||
	    EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, k, sealed + 1) !=
	        1)
		goto out;
	/* The version byte and the caller are authenticated, not secret. */
	if (EVP_EncryptUpdate(ctx, NULL, &len, sealed, 1) != 1 ||
	    EVP_EncryptUpdate(ctx, NULL, &len,
	        (const unsigned char *)(user ? user : ""),
	        (int)strlen(user ? user : "")) != 1 ||
	    EVP_EncryptUpdate(ctx, sealed + 1 + NONCE, &len, plain, (int)w.n) !=
	        1 ||
	    EVP_EncryptFinal_ex(ctx, sealed + 1 + NONCE + len, &fin) != 1 ||
	    EVP_CIPHER_CTX_ctrl(
	        ctx, EVP_CTRL_GCM_GET_TAG, TAG, sealed + 1 + NONCE + w.n) != 1)
		goto out;
	out = b64url(a, sealed, 1 + NONCE + w.n + TAG);
out:
	EVP_CIPHER_CTX_free(ctx);
	OPENSSL_cleanse(k, sizeof(k));
	OPENSSL_cleanse(plain, sizeof(plain));
	return out;
}

/* One provider's position from the plaintext; r->bad when malformed. */
static void
decode_pos(struct rd *r, struct arena *a, struct cursor_pos *p)
{
	unsigned flags;

	p->index = (uint8_t)get_u8(r);
	flags = get_u8(r);
	p->state = flags & 3;
	p->started = (flags & 4) != 0;
	p->per_page = (int32_t)get_int(r);
	p->offset = get_int(r);
	p->total = get_int(r);
	p->token = get_token(r, a);
	flags = get_u8(r);
	p->own_wm = flags & 1;
	p->own_wm_has_time = (flags & 2) != 0;
	if (p->own_wm) {
		p->own_wm_time = get_int(r);
		/* NULL: the provider has emitted nothing yet */
		p->own_wm_id = get_str(r, a, CURSOR_MAX_ID);
	}
	p->win = (flags & 4) != 0;
	p->win_lo_set = (flags & 8) != 0;
	if (p->win) {
		if (p->win_lo_set)
			p->win_lo = get_int(r);
		p->win_hi = get_int(r);
		p->win_width = get_int(r);
		if (p->win_width < 0 ||
		    (p->win_lo_set && p->win_hi < p->win_lo))
			r->bad = true;
	}
	if ((flags & ~15u) != 0 || (p->win_lo_set && !p->win))
		r->bad = true;
	if (p->state > PS_FAILED || p->offset < 0 || p->per_page < 0)
		r->bad = true;
}

/* The inverse of encode (strings in the arena); false when the
 * plaintext is not one that encode writes. */
static bool
decode(struct rd *r, struct arena *a, struct cursor *c)
{
	unsigned flags;
	size_t i;

	c->issued_at = get_int(r);
	c->horizon = get_int(r);
	if (r->n - r->at < 16)
		return false;
	memcpy(c->query_hash, r->p + r->at, 16);
	r->at += 16;
	flags = get_u8(r);
	c->has_wm = flags & 1;
	c->wm_has_time = (flags & 2) != 0;
	if (c->has_wm) {
		c->wm_time = get_int(r);
		c->wm_provider = (uint8_t)get_u8(r);
		c->wm_id = get_str(r, a, CURSOR_MAX_ID);
		if (c->wm_id == NULL)
			r->bad = true;
	}
	c->npos = get_u8(r);
	if (c->npos > CURSOR_MAX_PROVIDERS)
		return false;
	for (i = 0; i < c->npos && !r->bad; i++)
		decode_pos(r, a, &c->pos[i]);
	return !r->bad && r->at == r->n;
}

/*
 * Decrypts the clen bytes after sealed's version and nonce into plain;
 * false when they do not open: forged, cut, sealed under another key or
 * for another caller.
 */
static bool
unseal(const unsigned char *key, size_t keylen, const char *user,
    const unsigned char *sealed, size_t clen, unsigned char *plain)
{
	unsigned char k[32];
	EVP_CIPHER_CTX *ctx;
	int len, fin;
	bool ok;

	derive(key, keylen, k);
	ctx = EVP_CIPHER_CTX_new();
	ok = ctx != NULL &&
	    EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, k, sealed + 1) ==
	        1 &&
	    EVP_DecryptUpdate(ctx, NULL, &len, sealed, 1) == 1 &&
	    EVP_DecryptUpdate(ctx, NULL, &len,
	        (const unsigned char *)(user ? user : ""),
	        (int)strlen(user ? user : "")) == 1 &&
	    EVP_DecryptUpdate(
	        ctx, plain, &len, sealed + 1 + NONCE, (int)clen) == 1 &&
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, TAG,
	        (void *)(sealed + 1 + NONCE + clen)) == 1 &&
	    EVP_DecryptFinal_ex(ctx, plain + len, &fin) == 1;
	EVP_CIPHER_CTX_free(ctx);
	OPENSSL_cleanse(k, sizeof(k));
	return ok;
}

enum cn_err
cursor_open(struct arena *a, const unsigned char *key, size_t keylen,
    const char *user, const char *text, const unsigned char query_hash[16],
    int64_t now, int64_t ttl, struct cursor *c)
{
	unsigned char sealed[1 + NONCE + MAX_PLAIN + TAG], plain[MAX_PLAIN];
	enum cn_err rc = CN_INVALID_CURSOR;
	struct rd r;
	size_t n, clen;

	memset(c, 0, sizeof(*c));
	if (strlen(text) > 4 * sizeof(sealed) / 3 + 4 ||
	    unb64url(text, sealed, sizeof(sealed), &n) < 0 ||
	    n < 1 + NONCE + TAG ||
	    (sealed[0] != CURSOR_VERSION_1 &&
	        sealed[0] != (CURSOR_LENGTH_MARK | (n % 128))))
		return CN_INVALID_CURSOR;
	clen = n - 1 - NONCE - TAG;
	if (!unseal(key, keylen, user, sealed, clen, plain))
		goto out;
	r.p = plain;
	r.n = clen;
	r.at = 0;
	r.bad = false;
	if (!decode(&r, a, c))
		goto out;
	/* Sealed by us: the checks below are about time and reuse. */
	if (now - c->issued_at > ttl || c->issued_at > now + 300) {
		rc = CN_CURSOR_EXPIRED;
		goto out;
	}
	if (memcmp(c->query_hash, query_hash, 16) != 0) {
		rc = CN_CURSOR_QUERY_MISMATCH;
		goto out;
	}
	rc = CN_OK;
out:
	OPENSSL_cleanse(plain, sizeof(plain));
	return rc;
}

#define TRUNCATED \
	"the cursor is truncated: it is shorter than the next_cursor it " \
	"came from (was it cut when copied?)"

const char *
cursor_form_problem(const char *text)
{
	unsigned char sealed[1 + NONCE + MAX_PLAIN + TAG];
	size_t n, len = strlen(text);

	if (strspn(text,
	        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	        "0123456789-_") != len)
		return "the cursor is malformed: a next_cursor has only "
		       "A-Z, a-z, 0-9, '-' and '_' (send it exactly as it "
		       "came)";
	if (len > 4 * sizeof(sealed) / 3 + 4)
		return "the cursor is malformed: it is longer than any "
		       "next_cursor";
	/* The right alphabet but no whole bytes: cut mid-character. */
	if (unb64url(text, sealed, sizeof(sealed), &n) < 0 ||
	    n < 1 + NONCE + TAG)
		return TRUNCATED;
	if ((sealed[0] & CURSOR_LENGTH_MARK) == CURSOR_LENGTH_MARK)
		return sealed[0] != (CURSOR_LENGTH_MARK | (n % 128)) ? TRUNCATED
		                                                     : NULL;
	if (sealed[0] != CURSOR_VERSION_1)
		return "the cursor is malformed: it is not a next_cursor "
		       "this server issued";
	return NULL;
}
