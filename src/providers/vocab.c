/*
 * Status vocabularies (providers/common.h).  A driver writes its table
 * as text, one "word=status[/reason][+|~]" entry per word, the way the
 * provider's documentation and callnorm's status tables are read, and
 * this file compiles it once into a lookup table.  Text keeps every
 * driver's table to the words that differ, and one parser checks them
 * all: a malformed table is a programming error that stops the first
 * request that reaches it (every table is exercised by the fixtures).
 */
#include "common.h"

#include "../ascii.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static pthread_mutex_t compile_mu = PTHREAD_MUTEX_INITIALIZER;

static void
broken(const char *spec, const char *at, const char *why)
{
	fprintf(stderr, "callnorm: status table \"%s\": %s at \"%.20s\"\n",
	    spec, why, at);
	abort();
}

/*
 * Parses spec into out[0..max), copying the words into the table's
 * text; returns the number of entries.  A "*" word is the outcome of any
 * reason the table does not list; it goes to *other instead.
 */
static size_t
compile(struct up_status_table *t, const char *spec, struct up_status *out,
    size_t max, struct up_status *other)
{
	const char *p = spec;
	size_t n = 0;

	while (spec != NULL && *p != '\0') {
		const char *w, *eq, *end, *slash;
		struct up_status e = { NULL, ST_UNKNOWN, ER_NULL, UP_FINAL };
		int st, er;

		while (*p == ' ')
			p++;
		if (*p == '\0')
			break;
		w = p;
		end = p + strcspn(p, " ");
		if ((eq = memchr(w, '=', (size_t)(end - w))) == NULL || eq == w)
			broken(spec, w, "no word=status");
		p = end;
		if (end[-1] == '+' || end[-1] == '~') {
			e.refine =
			    end[-1] == '+' ? UP_BY_REASON : UP_REASON_ONLY;
			end--;
		}
		slash = memchr(eq, '/', (size_t)(end - eq));
		st = name_lookup(call_status_names, ST__MAX, eq + 1,
		    (size_t)((slash ? slash : end) - eq - 1));
		if (st < 0)
			broken(spec, w, "unknown status");
		e.status = (enum call_status)st;
		if (slash != NULL) {
			er = name_lookup(end_reason_names, ER__MAX, slash + 1,
			    (size_t)(end - slash - 1));
			if (er < 0)
				broken(spec, w, "unknown end reason");
			e.reason = (enum end_reason)er;
		}
		if (t->textlen + (size_t)(eq - w) + 1 > sizeof(t->text))
			broken(spec, w, "table text too long");
		memcpy(t->text + t->textlen, w, (size_t)(eq - w));
		e.word = t->text + t->textlen;
		t->textlen += (size_t)(eq - w);
		t->text[t->textlen++] = '\0';
		if (strcmp(e.word, "*") == 0) {
			if (other == NULL)
				broken(spec, w, "'*' outside a reason table");
			*other = e;
			continue;
		}
		if (n == max)
			broken(spec, w, "too many words");
		out[n++] = e;
	}
	return n;
}

const struct up_status_table *
up_vocab(struct up_status_table *t)
{
	if (__atomic_load_n(&t->ready, __ATOMIC_ACQUIRE))
		return t;
	pthread_mutex_lock(&compile_mu);
	if (!t->ready) {
		t->other.status = ST_FAILED;
		t->other.reason = ER_ERROR;
		t->n = compile(t, t->spec_words, t->words, UP_MAX_WORDS, NULL);
		t->nreasons = compile(
		    t, t->spec_reasons, t->reasons, UP_MAX_REASONS, &t->other);
		__atomic_store_n(&t->ready, true, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&compile_mu);
	return t;
}

/*
 * A table word ending in '*' ("error_*") stands for every word that
 * begins with what precedes it, compared as word_eq compares (any case,
 * '-' = '_'): a provider whose reasons grow under one prefix.
 */
static bool
prefix_eq(const char *w, const char *pat)
{
	size_t n = strlen(pat);
	char head[64], want[64];

	if (n < 2 || pat[n - 1] != '*' || n > sizeof(head) || strlen(w) < n - 1)
		return false;
	memcpy(head, w, n - 1);
	head[n - 1] = '\0';
	memcpy(want, pat, n - 1);
	want[n - 1] = '\0';
	return word_eq(head, want);
}

const struct up_status *
up_status_find(const struct up_status *t, size_t n, const char *w)
{
	size_t i;

	for (i = 0; w != NULL && i < n; i++)
		if (word_eq(w, t[i].word) || prefix_eq(w, t[i].word))
			return &t[i];
	return NULL;
}

void
up_status_map(
    struct up_status_table *vt, const char *st, const char *why, struct call *c)
{
	const struct up_status_table *t = up_vocab(vt);
	const struct up_status *s = up_status_find(t->words, t->n, st), *r;

	c->status = s != NULL ? s->status : ST_UNKNOWN;
	c->end_reason = s != NULL ? s->reason : ER_NULL;
	if (s == NULL || s->refine == UP_FINAL || why == NULL)
		return;
	r = up_status_find(t->reasons, t->nreasons, why);
	if (r == NULL && s->refine == UP_BY_REASON)
		r = &t->other; /* a reason outside the table */
	if (r == NULL)
		return;
	if (s->refine == UP_BY_REASON)
		c->status = r->status;
	c->end_reason = r->reason;
}

unsigned
up_status_outcomes(struct up_status_table *vt, size_t i)
{
	const struct up_status_table *t = up_vocab(vt);
	unsigned m = FBIT(t->words[i].status);
	size_t j;

	if (t->words[i].refine != UP_BY_REASON)
		return m;
	m |= FBIT(t->other.status);
	for (j = 0; j < t->nreasons; j++)
		m |= FBIT(t->reasons[j].status);
	return m;
}

unsigned
up_status_producible(struct up_status_table *vt)
{
	const struct up_status_table *t = up_vocab(vt);
	unsigned m = FBIT(ST_UNKNOWN);
	size_t i;

	for (i = 0; i < t->n; i++)
		m |= up_status_outcomes(vt, i);
	return m;
}

unsigned
up_status_select(struct up_status_table *vt, unsigned wanted, unsigned *yield)
{
	const struct up_status_table *t = up_vocab(vt);
	unsigned m = 0, o;
	size_t i;

	*yield = 0;
	for (i = 0; i < t->n; i++)
		if ((o = up_status_outcomes(vt, i)) & wanted) {
			m |= 1u << i;
			*yield |= o;
		}
	return m;
}

void
up_json_status_words(struct buf *b, struct up_status_table *vt, unsigned wanted)
{
	const struct up_status_table *t = up_vocab(vt);
	unsigned yield, m = up_status_select(vt, wanted, &yield);
	bool first = true;
	size_t i;

	buf_addc(b, '[');
	for (i = 0; i < t->n; i++)
		if (m & (1u << i)) {
			if (!first)
				buf_addc(b, ',');
			first = false;
			buf_json_cstr(b, t->words[i].word);
		}
	buf_addc(b, ']');
}

int
up_status_pick(
    struct up_status_table *vt, unsigned wanted, const char **out, int max)
{
	const struct up_status_table *t = up_vocab(vt);
	unsigned yield, m;
	int n = 0;
	size_t i;

	if (wanted & FBIT(ST_UNKNOWN))
		return -1;
	m = up_status_select(vt, wanted, &yield);
	for (i = 0; i < t->n; i++)
		if (m & (1u << i)) {
			if (n == max)
				return -1;
			out[n++] = t->words[i].word;
		}
	return n;
}

/* word_eq's folding: ASCII case, and '_' read as '-'. */
static int
word_fold(unsigned char c)
{
	return c == '_' ? '-' : ascii_lower(c);
}

static bool
word_at(const char *w, const char *part)
{
	for (; *part != '\0'; w++, part++)
		if (*w == '\0' ||
		    word_fold((unsigned char)*w) !=
		        word_fold((unsigned char)*part))
			return false;
	return true;
}

bool
up_word_prefix(const char *w, const char *prefix)
{
	return w != NULL && word_at(w, prefix);
}

bool
up_word_contains(const char *w, const char *part)
{
	for (; w != NULL && *w != '\0'; w++)
		if (word_at(w, part))
			return true;
	return false;
}
