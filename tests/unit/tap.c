#include "tap.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int n, failed;

void
tap_plan_none(void)
{
}

static void
vline(int cond, const char *fmt, va_list ap)
{
	n++;
	if (!cond)
		failed++;
	printf("%sok %d - ", cond ? "" : "not ", n);
	vprintf(fmt, ap);
	printf("\n");
	fflush(stdout);
}

int
ok(int cond, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vline(cond, fmt, ap);
	va_end(ap);
	return cond;
}

int
is_int(int64_t got, int64_t want, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vline(got == want, fmt, ap);
	va_end(ap);
	if (got != want)
		printf("#   got: %lld\n#   expected: %lld\n", (long long)got,
		    (long long)want);
	return got == want;
}

int
is_str(const char *got, const char *want, const char *fmt, ...)
{
	va_list ap;
	int cond;

	cond = (got == NULL && want == NULL) ||
	    (got != NULL && want != NULL && strcmp(got, want) == 0);
	va_start(ap, fmt);
	vline(cond, fmt, ap);
	va_end(ap);
	if (!cond)
		printf("#   got: %s\n#   expected: %s\n", got ? got : "(null)",
		    want ? want : "(null)");
	return cond;
}

void
diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

int
done_testing(void)
{
	printf("1..%d\n", n);
	return failed ? 1 : 0;
}

char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *p = NULL;
	long sz;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (sz = ftell(f)) >= 0 &&
	    fseek(f, 0, SEEK_SET) == 0 &&
	    (p = malloc((size_t)sz + 1)) != NULL) {
		if (fread(p, 1, (size_t)sz, f) != (size_t)sz) {
			free(p);
			p = NULL;
		} else {
			p[sz] = '\0';
			if (len)
				*len = (size_t)sz;
		}
	}
	fclose(f);
	return p;
}

const char *
srcpath(const char *rel)
{
	static char buf[4][4096];
	static int k;
	const char *top = getenv("top_srcdir");

	k = (k + 1) % 4;
	snprintf(buf[k], sizeof(buf[k]), "%s/%s", top ? top : ".", rel);
	return buf[k];
}
