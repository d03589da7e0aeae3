/* A small TAP producer for the unit tests. */
#ifndef CN_TAP_H
#define CN_TAP_H

#include <stddef.h>
#include <stdint.h>

void tap_plan_none(void);
int ok(int cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int is_int(int64_t got, int64_t want, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int is_str(const char *got, const char *want, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints the plan and returns the exit status. */
int done_testing(void);
/* Reads a whole file into a malloc'd NUL-terminated buffer. */
char *slurp(const char *path, size_t *len);
/* $top_srcdir/rel, or rel when unset. */
const char *srcpath(const char *rel);

#endif
