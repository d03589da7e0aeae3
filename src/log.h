#ifndef CN_LOG_H
#define CN_LOG_H

#include <stddef.h>

/* One line per event on stderr; never a secret, never client bytes raw. */
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* REMOTE_USER as the request line shows it (see log.c), into out. */
void log_user(const char *remote_user, char *out, size_t size);
/* user: as log_user made it. */
void log_request(const char *request_id, const char *method, const char *route,
    int status, long long duration_ms, const char *upstream, int delivered,
    const char *user, const char *problem);

#endif
