/*
 * SIGHUP: the configuration is read and checked again, and replaces the
 * one in use only when it is valid (an invalid one is reported as
 * FILE:LINE and the old one keeps serving).  front_serve.c decides how
 * the new one takes over (new worker processes, or in place between
 * requests); this file loads it and says so in the log.
 */
#ifndef CN_RELOAD_H
#define CN_RELOAD_H

#include <stdbool.h>

struct app;
struct config;

/*
 * The configuration at app->conf_path, checked and with its warnings
 * logged, or NULL (each problem logged as FILE:LINE) to keep the old
 * one.  A random cursor key is carried over from the old configuration
 * when neither names one, so that cursors survive the reload.
 */
struct config *reload_config(const struct app *);

/* The line logged when serving starts (and after a reload): version,
 * mode, address, workers x threads, providers by name and kind. */
void reload_log_serving(const char *what, const struct config *,
    const char *listen_desc, int workers, int min_threads, int max_threads);

/* Whether the two configurations list the same providers in the same
 * order (the per-provider metrics are kept by position). */
bool reload_same_providers(const struct config *, const struct config *);

#endif
