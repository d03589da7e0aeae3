/*
 * LD_PRELOAD shim for the library-level allocation-failure test
 * (tests/integration/hardening.test.mjs): fails the Nth call
 * (CALLNORM_FAILMALLOC_AT=N) of malloc, calloc or realloc in the whole
 * process, libcurl, libcrypto and libfcgi included, which callnorm's own
 * hook (CALLNORM_FAIL_ALLOC) cannot reach.  CALLNORM_FAILMALLOC_COUNT
 * prints the number of calls at exit; CALLNORM_FAILMALLOC_TRACE prints a
 * backtrace of the failed one.  Built by the test with cc.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <execinfo.h>
#include <unistd.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);

static long at = -2, calls;
static int count;

static int
fail_now(void)
{
	if (at == -2) {
		const char *s = getenv("CALLNORM_FAILMALLOC_AT");
		at = s ? atol(s) : -1;
		count = getenv("CALLNORM_FAILMALLOC_COUNT") != NULL;
	}
	calls++;
	if (at > 0 && calls == at && getenv("CALLNORM_FAILMALLOC_TRACE")) {
		void *bt[32];
		int n;
		at = -at; /* backtrace may allocate */
		n = backtrace(bt, 32);
		backtrace_symbols_fd(bt, n, 2);
		at = -at;
		return 1;
	}
	return at > 0 && calls == at;
}

void *
malloc(size_t n)
{
	if (fail_now()) {
		errno = ENOMEM;
		return NULL;
	}
	return __libc_malloc(n);
}

void *
calloc(size_t a, size_t b)
{
	if (fail_now()) {
		errno = ENOMEM;
		return NULL;
	}
	return __libc_calloc(a, b);
}

void *
realloc(void *p, size_t n)
{
	if (fail_now()) {
		errno = ENOMEM;
		return NULL;
	}
	return __libc_realloc(p, n);
}

__attribute__((destructor)) static void
report(void)
{
	if (count)
		fprintf(stderr, "failmalloc: %ld calls\n", calls);
}
