#include "timefmt.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#define MS_PER_DAY 86400000LL
/* 0000-01-01 .. 9999-12-31: the range four-digit years can express. */
#define MIN_MS TIME_MIN_MS
#define MAX_MS TIME_MAX_MS

int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void
civil_from_days(int64_t z, int *y, unsigned *m, unsigned *d)
{
	int64_t era;
	unsigned doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

static int
digits(const char *s, size_t n, size_t at, size_t count, unsigned *out)
{
	unsigned v = 0;
	size_t i;

	if (at + count > n)
		return -1;
	for (i = 0; i < count; i++) {
		if (s[at + i] < '0' || s[at + i] > '9')
			return -1;
		v = v * 10 + (unsigned)(s[at + i] - '0');
	}
	*out = v;
	return 0;
}

static unsigned
month_days(unsigned y, unsigned m)
{
	static const unsigned char md[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30,
		31, 30, 31 };

	if (m == 2 && (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
		return 29;
	return md[m - 1];
}

/* Spaces (at least one when need) from *at; -1 when need finds none. */
static int
spaces(const char *s, size_t n, size_t *at, bool need)
{
	size_t from = *at;

	while (*at < n && s[*at] == ' ')
		(*at)++;
	return need && *at == from ? -1 : 0;
}

/* The 1 or 2 digits at *at. */
static int
digits12(const char *s, size_t n, size_t *at, unsigned *out)
{
	size_t k;

	if (*at >= n)
		return -1;
	k = *at + 1 < n && s[*at + 1] >= '0' && s[*at + 1] <= '9' ? 2 : 1;
	if (digits(s, n, *at, k, out))
		return -1;
	*at += k;
	return 0;
}

/* The index of the three letters at s in names (7 or 12 of them), or -1. */
static int
name3(const char *s, size_t n, size_t at, const char *names, int count)
{
	int i;

	for (i = 0; at + 3 <= n && i < count; i++)
		if (memcmp(s + at, names + 3 * i, 3) == 0)
			return i;
	return -1;
}

/*
 * RFC 2822 date-time, the form Twilio writes ("Tue, 31 Aug 2010
 * 20:36:28 +0000"): an optional day name and comma, a 1- or 2-digit
 * day, the English month abbreviation, a 4-digit year, hh:mm with
 * optional :ss, and a numeric zone or GMT/UT/UTC.  The day name is not
 * checked against the date.
 */
int
time_parse_rfc2822(const char *s, size_t n, int64_t *ms)
{
	unsigned d, y, h, mi, sec = 0, zh, zm;
	int mo, sign = 1;
	size_t at = 0;
	int64_t off = 0;

	if (name3(s, n, 0, "MonTueWedThuFriSatSun", 7) >= 0) {
		if (n < 4 || s[3] != ',')
			return -1;
		at = 4;
	}
	if (spaces(s, n, &at, false) || digits12(s, n, &at, &d) ||
	    spaces(s, n, &at, true) ||
	    (mo = name3(s, n, at, "JanFebMarAprMayJunJulAugSepOctNovDec", 12)) <
	        0)
		return -1;
	at += 3;
	if (spaces(s, n, &at, true) || digits(s, n, at, 4, &y))
		return -1;
	at += 4;
	if (spaces(s, n, &at, true) || digits(s, n, at, 2, &h) || at + 2 >= n ||
	    s[at + 2] != ':' || digits(s, n, at + 3, 2, &mi))
		return -1;
	at += 5;
	if (at < n && s[at] == ':') {
		if (digits(s, n, at + 1, 2, &sec))
			return -1;
		at += 3;
	}
	if (spaces(s, n, &at, true))
		return -1;
	if (at + 5 == n && (s[at] == '+' || s[at] == '-')) {
		if (digits(s, n, at + 1, 2, &zh) ||
		    digits(s, n, at + 3, 2, &zm) || zm > 59)
			return -1;
		sign = s[at] == '-' ? -1 : 1;
		off = sign * (int64_t)(zh * 60 + zm) * 60000;
	} else if (!((n - at == 3 && memcmp(s + at, "GMT", 3) == 0) ||
	               (n - at == 3 && memcmp(s + at, "UTC", 3) == 0) ||
	               (n - at == 2 && memcmp(s + at, "UT", 2) == 0)))
		return -1;
	if (d < 1 || d > month_days(y, (unsigned)mo + 1) || h > 23 || mi > 59 ||
	    sec > 60)
		return -1;
	/* a leap second is the last instant of its minute */
	*ms = days_from_civil(y, (unsigned)mo + 1, d) * MS_PER_DAY +
	    ((int64_t)h * 3600 + mi * 60 + (sec == 60 ? 59 : sec)) * 1000 +
	    (sec == 60 ? 999 : 0) - off;
	return 0;
}

int
time_parse_date(const char *s, size_t n, int64_t *ms)
{
	unsigned y, mo, d;

	if (n != 10 || digits(s, n, 0, 4, &y) || s[4] != '-' ||
	    digits(s, n, 5, 2, &mo) || s[7] != '-' || digits(s, n, 8, 2, &d))
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > month_days(y, mo))
		return -1;
	*ms = days_from_civil(y, mo, d) * MS_PER_DAY;
	return 0;
}

/* mode 0: zone required, fraction rounds up; mode 1: zone optional. */
static int
parse(const char *s, size_t n, int zone_required, int default_off, int64_t *ms)
{
	unsigned hh, mi, ss, oh, om;
	size_t i;
	int64_t t, frac_ms = 0;
	int off, ndig = 0, round_up = 0;

	if (n < 19 || time_parse_date(s, 10, &t) < 0)
		return -1;
	if (s[10] != 'T' && s[10] != 't' && (zone_required || s[10] != ' '))
		return -1;
	if (digits(s, n, 11, 2, &hh) || s[13] != ':' ||
	    digits(s, n, 14, 2, &mi) || s[16] != ':' ||
	    digits(s, n, 17, 2, &ss))
		return -1;
	if (hh > 23 || mi > 59 || ss > 59)
		return -1;
	i = 19;
	if (i < n && s[i] == '.') {
		i++;
		if (i >= n || s[i] < '0' || s[i] > '9')
			return -1;
		while (i < n && s[i] >= '0' && s[i] <= '9') {
			if (ndig < 3)
				frac_ms = frac_ms * 10 + (s[i] - '0');
			else if (s[i] != '0')
				round_up = 1;
			ndig++;
			i++;
		}
		for (; ndig < 3; ndig++)
			frac_ms *= 10;
	}
	if (i == n) {
		if (zone_required)
			return -1;
		off = default_off;
	} else if ((s[i] == 'Z' || s[i] == 'z') && i + 1 == n) {
		off = 0;
	} else if ((s[i] == '+' || s[i] == '-') && i + 6 == n &&
	    !digits(s, n, i + 1, 2, &oh) && s[i + 3] == ':' &&
	    !digits(s, n, i + 4, 2, &om)) {
		if (oh > 23 || om > 59)
			return -1;
		off = (int)(oh * 60 + om);
		if (s[i] == '-')
			off = -off;
	} else
		return -1;
	t += ((int64_t)hh * 3600 + mi * 60 + ss) * 1000 + frac_ms;
	if (round_up && zone_required)
		t++;
	t -= (int64_t)off * 60000;
	*ms = t;
	return 0;
}

int
time_parse_rfc3339(const char *s, size_t n, int64_t *ms)
{
	return parse(s, n, 1, 0, ms);
}

int
time_parse_iso(const char *s, size_t n, int default_offset_min, int64_t *ms)
{
	return parse(s, n, 0, default_offset_min, ms);
}

/* n decimal digits of v, zero-padded. */
static void
put_digits(char *out, int n, unsigned v)
{
	while (n-- > 0) {
		out[n] = (char)('0' + v % 10);
		v /= 10;
	}
}

size_t
time_format_ms(int64_t ms, char *out, size_t size)
{
	int64_t days, rem;
	int y;
	unsigned m, d;

	if (ms < MIN_MS || ms > MAX_MS || size < 25)
		return 0;
	days =
	    ms >= 0 ? ms / MS_PER_DAY : -((-ms + MS_PER_DAY - 1) / MS_PER_DAY);
	rem = ms - days * MS_PER_DAY;
	civil_from_days(days, &y, &m, &d);
	if (y < 0 || y > 9999)
		return 0;
	/* By hand: this runs twice per record written, and snprintf was a
	 * tenth of the time of a page. */
	put_digits(out, 4, (unsigned)y);
	out[4] = '-';
	put_digits(out + 5, 2, m);
	out[7] = '-';
	put_digits(out + 8, 2, d);
	out[10] = 'T';
	put_digits(out + 11, 2, (unsigned)(rem / 3600000));
	out[13] = ':';
	put_digits(out + 14, 2, (unsigned)(rem / 60000 % 60));
	out[16] = ':';
	put_digits(out + 17, 2, (unsigned)(rem / 1000 % 60));
	out[19] = '.';
	put_digits(out + 20, 3, (unsigned)(rem % 1000));
	out[23] = 'Z';
	out[24] = '\0';
	return 24;
}

size_t
time_format_date(int64_t ms, int offset_min, char *out, size_t size)
{
	int64_t days, t = ms + (int64_t)offset_min * 60000;
	int y;
	unsigned m, d;
	int n;

	if (t < MIN_MS || t > MAX_MS || size < 11)
		return 0;
	days = t >= 0 ? t / MS_PER_DAY : -((-t + MS_PER_DAY - 1) / MS_PER_DAY);
	civil_from_days(days, &y, &m, &d);
	n = snprintf(out, size, "%04d-%02u-%02u", y, m, d);
	return n > 0 && (size_t)n < size ? (size_t)n : 0;
}

size_t
time_format_offset(int64_t ms, int offset_min, char *out, size_t size)
{
	int64_t days, rem, t = ms + (int64_t)offset_min * 60000;
	int y, ao = offset_min < 0 ? -offset_min : offset_min;
	unsigned m, d;
	int n;

	if (t < MIN_MS || t > MAX_MS || size < 26)
		return 0;
	days = t >= 0 ? t / MS_PER_DAY : -((-t + MS_PER_DAY - 1) / MS_PER_DAY);
	rem = t - days * MS_PER_DAY;
	civil_from_days(days, &y, &m, &d);
	n = snprintf(out, size, "%04d-%02u-%02uT%02d:%02d:%02d%c%02d:%02d", y,
	    m, d, (int)(rem / 3600000), (int)(rem / 60000 % 60),
	    (int)(rem / 1000 % 60), offset_min < 0 ? '-' : '+', ao / 60,
	    ao % 60);
	return n > 0 && (size_t)n < size ? (size_t)n : 0;
}

/* The two clocks of the program: the wall clock for what is dated
 * (cursors, horizons, log lines), the monotonic one for what is timed
 * (deadlines, durations), which a clock step must not move. */
int64_t
time_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
time_mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t
time_mono_ms(void)
{
	return time_mono_us() / 1000;
}
