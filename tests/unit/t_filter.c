/*
 * The `q` matcher: agreement with a naive reference on small random
 * inputs, ASCII-only case folding, and a bound on the work on inputs
 * where a naive scan is quadratic.
 */
#include <stdlib.h>
#include <string.h>

#include "filter.h"
#include "tap.h"

static unsigned long rng_state = 12345;

static unsigned
rnd(unsigned n)
{
	rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
	return (unsigned)((rng_state >> 33) % n);
}

/* Comparisons allowed for one search: each text byte is read once, and
 * each fallback undoes one earlier advance. */
static size_t
linear_bound(size_t hay, size_t needle)
{
	return 2 * hay + needle;
}

int
main(void)
{
	/* bytes that exercise folding, borders and non-ASCII */
	static const char alpha[] = { 'a', 'b', 'A', 'B', 'z', (char)0xc3,
		(char)0xa9, (char)0x89 };
	char hay[64], needle[16];
	size_t steps, hn, nn, i, big = 4u << 20;
	int round, bad = 0, over = 0;
	char *text, *pat;

	/* folding: ASCII only, exactly as documented */
	ok(filter_icontains("Hello WORLD", "o wor", NULL), "ASCII folds");
	ok(filter_icontains("x\xc3\x89x", "\xc3\x89", NULL),
	    "non-ASCII bytes match themselves");
	ok(!filter_icontains("x\xc3\x89x", "\xc3\xa9", NULL),
	    "but are not folded: É does not match é");
	ok(filter_icontains("abc", "", NULL), "the empty needle matches");
	ok(!filter_icontains("", "a", NULL), "the empty text matches nothing");
	ok(!filter_icontains("ab", "abc", NULL), "a needle past the end");
	ok(filter_icontains("aab", "ab", NULL), "a restart inside a match");
	ok(filter_icontains("abaabab", "abab", NULL), "a border fallback");
	ok(!filter_icontains("[", "{", NULL), "'[' is not a folded '{'");
	ok(filter_icontains("@Z[", "z[", NULL), "only A-Z fold");

	/* against the naive reference */
	for (round = 0; round < 200000; round++) {
		hn = rnd(sizeof(hay));
		nn = 1 + rnd(sizeof(needle) - 1);
		for (i = 0; i < hn; i++)
			hay[i] = alpha[rnd(round % 3 == 0 ? 2 : sizeof(alpha))];
		hay[hn] = '\0';
		for (i = 0; i < nn; i++)
			needle[i] =
			    alpha[rnd(round % 3 == 0 ? 2 : sizeof(alpha))];
		needle[nn] = '\0';
		if (filter_icontains(hay, needle, &steps) !=
		    filter_icontains_naive(hay, needle)) {
			if (bad++ < 5)
				diag("differs: hay \"%s\" needle \"%s\"", hay,
				    needle);
		}
		if (steps > linear_bound(hn, nn))
			over++;
	}
	is_int(bad, 0, "200000 random cases agree with the naive search");
	is_int(over, 0, "and none took more than 2 x text + needle steps");

	/* adversarial: 4 MiB of 'a', needle 255 x 'a' then 'b' */
	text = malloc(big + 1);
	pat = malloc(FILTER_MAX_NEEDLE + 1);
	if (text == NULL || pat == NULL)
		return 1;
	memset(text, 'a', big);
	text[big] = '\0';
	memset(pat, 'a', FILTER_MAX_NEEDLE - 1);
	pat[FILTER_MAX_NEEDLE - 1] = 'b';
	pat[FILTER_MAX_NEEDLE] = '\0';
	ok(!filter_icontains(text, pat, &steps), "aaa...ab is not in aaa...a");
	diag("4 MiB text, 256-byte needle: %zu comparisons", steps);
	ok(steps <= linear_bound(big, FILTER_MAX_NEEDLE),
	    "at most 2 x text + needle comparisons (a naive scan needs ~256 x "
	    "text)");
	text[big - 1] = 'B';
	ok(filter_icontains(text, pat, &steps), "found at the very end");
	ok(steps <= linear_bound(big, FILTER_MAX_NEEDLE), "still linear");
	/* the same in upper case, and the needle longer than the table */
	memset(text, 'A', big);
	ok(!filter_icontains(text, pat, &steps) &&
	        steps <= linear_bound(big, FILTER_MAX_NEEDLE),
	    "upper-case text, linear too");
	free(pat);
	pat = malloc(4096 + 1);
	if (pat == NULL)
		return 1;
	memset(pat, 'a', 4095);
	pat[4095] = 'b';
	pat[4096] = '\0';
	ok(!filter_icontains(text, pat, &steps) &&
	        steps <= linear_bound(big, 4096),
	    "a needle longer than %d bytes, linear too", FILTER_MAX_NEEDLE);
	text[big - 1] = 'b';
	ok(filter_icontains(text, pat, NULL), "and found at the end");
	free(pat);
	free(text);
	return done_testing();
}
