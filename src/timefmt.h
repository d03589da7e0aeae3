/*
 * Instants are int64 milliseconds since the Unix epoch, UTC.  Parsing
 * never consults the local time zone.
 */
#ifndef CN_TIMEFMT_H
#define CN_TIMEFMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* 0000-01-01T00:00:00.000Z .. 9999-12-31T23:59:59.999Z: the instants the
 * formats below can print, and so the range a provider's time may take. */
#define TIME_MIN_MS (-62167219200000LL)
#define TIME_MAX_MS (253402300799999LL)

/* Parses RFC 3339 (zone required).  Sub-millisecond fractions round up,
 * which keeps both inclusive-after and exclusive-before bounds exact for
 * millisecond records.  Returns 0, or -1 on any deviation. */
int time_parse_rfc3339(const char *s, size_t n, int64_t *ms);
/* Like time_parse_rfc3339, but a string without a zone is taken to be at
 * default_offset_min east of UTC (providers that document "UTC" but send
 * naive times).  Fractions are truncated to milliseconds. */
int time_parse_iso(
    const char *s, size_t n, int default_offset_min, int64_t *ms);
/* RFC 2822 ("Tue, 31 Aug 2010 20:36:28 +0000"; zones +hhmm, GMT, UT,
 * UTC).  Returns 0, or -1 on any deviation. */
int time_parse_rfc2822(const char *s, size_t n, int64_t *ms);
/* YYYY-MM-DD -> ms at 00:00 UTC of that day. */
int time_parse_date(const char *s, size_t n, int64_t *ms);
/* "2026-06-12T04:00:04.000Z" into out (>= 25 bytes); 0 if out of range. */
size_t time_format_ms(int64_t ms, char *out, size_t size);
/* "2026-06-12" for the UTC day containing ms shifted by offset_min. */
size_t time_format_date(int64_t ms, int offset_min, char *out, size_t size);
/* ISO 8601 with an explicit offset, seconds precision rounded down. */
size_t time_format_offset(int64_t ms, int offset_min, char *out, size_t size);
/* Wall clock (dates) and monotonic clock (deadlines, durations). */
int64_t time_now_ms(void);
int64_t time_mono_ms(void);
int64_t time_mono_us(void);
int64_t days_from_civil(int64_t y, unsigned m, unsigned d);

#endif
