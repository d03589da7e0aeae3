#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "timefmt.h"

static void
stamp(char *out, size_t size)
{
	if (time_format_ms(time_now_ms(), out, size) == 0)
		snprintf(out, size, "-");
}

/* One line: time, pid, the message and, when err is not NULL, ": err". */
static void emit(const char *err, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

static void
emit(const char *err, const char *fmt, va_list ap)
{
	char ts[32], msg[1024];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	stamp(ts, sizeof(ts));
	fprintf(stderr, "%s callnorm[%ld]: %s%s%s\n", ts, (long)getpid(), msg,
	    err != NULL ? ": " : "", err != NULL ? err : "");
}

void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit(NULL, fmt, ap);
	va_end(ap);
}

void
log_warn(const char *fmt, ...)
{
	const char *err = strerror(errno);
	va_list ap;

	va_start(ap, fmt);
	emit(err, fmt, ap);
	va_end(ap);
}

/*
 * REMOTE_USER as the log shows it: "-" when there is none, and at most
 * 64 bytes of [A-Za-z0-9._@+-] with anything else as '?', so that a
 * name from a client's Authorization header cannot forge a log line.
 */
#define USER_CHARS \
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._@+-"

void
log_user(const char *u, char *out, size_t size)
{
	size_t i;

	if (u == NULL || *u == '\0') {
		snprintf(out, size, "-");
		return;
	}
	for (i = 0; u[i] != '\0' && i + 1 < size; i++)
		out[i] = strchr(USER_CHARS, u[i]) != NULL ? u[i] : '?';
	out[i] = '\0';
}

void
log_request(const char *request_id, const char *method, const char *route,
    int status, long long duration_ms, const char *upstream, int delivered,
    const char *user, const char *problem)
{
	char ts[32];
	const char *m = method;

	/* The method is client text: log it only when it is a plain token. */
	if (m == NULL || strlen(m) > 16 ||
	    strspn(m, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != strlen(m))
		m = "-";
	stamp(ts, sizeof(ts));
	fprintf(stderr,
	    "%s callnorm[%ld]: request id=%s method=%s route=%s status=%d "
	    "ms=%lld upstream=%s user=%s%s%s%s\n",
	    ts, (long)getpid(), request_id, *m ? m : "-", route, status,
	    duration_ms, upstream != NULL && *upstream ? upstream : "-",
	    user != NULL && *user ? user : "-",
	    problem != NULL ? " problem=" : "", problem != NULL ? problem : "",
	    delivered ? "" : " undelivered");
}
