#include <string.h>

#include "tap.h"
#include "timefmt.h"

int
main(void)
{
	int64_t t;
	char out[40];

	ok(time_parse_rfc3339("1970-01-01T00:00:00Z", 20, &t) == 0 && t == 0,
	    "epoch");
	ok(time_parse_rfc3339("2024-02-29T12:00:00.123Z", 24, &t) == 0 &&
	        t == 1709208000123LL,
	    "leap day with ms");
	ok(time_parse_rfc3339("2023-02-29T12:00:00Z", 20, &t) < 0,
	    "no Feb 29 in 2023");
	ok(time_parse_rfc3339("2026-06-12T09:30:00+05:30", 25, &t) == 0 &&
	        t == 1781236800000LL,
	    "+05:30");
	ok(time_parse_rfc3339("2026-06-11T22:00:00-06:00", 25, &t) == 0 &&
	        t == 1781236800000LL,
	    "-06:00");
	ok(time_parse_rfc3339("2026-06-12t04:00:00z", 20, &t) == 0,
	    "lowercase t and z");
	ok(time_parse_rfc3339("2026-06-12 04:00:00Z", 20, &t) < 0,
	    "space separator refused in queries");
	ok(time_parse_iso("2026-06-12 04:00:00", 19, 0, &t) == 0 &&
	        t == 1781236800000LL,
	    "naive time from a provider is UTC");
	ok(time_parse_iso("2026-06-12T04:00:00.123456", 26, 0, &t) == 0 &&
	        t == 1781236800123LL,
	    "microseconds truncate to ms");
	ok(time_parse_rfc3339("2026-06-12T04:00:00+24:00", 25, &t) < 0,
	    "offset hour 24 refused");
	ok(time_parse_date("2026-06-12", 10, &t) == 0 && t == 1781222400000LL,
	    "a date");
	time_format_ms(1781236800123LL, out, sizeof(out));
	is_str(out, "2026-06-12T04:00:00.123Z", "format ms");
	time_format_ms(-1, out, sizeof(out));
	is_str(out, "1969-12-31T23:59:59.999Z", "before the epoch");
	time_format_offset(1781236800000LL, 330, out, sizeof(out));
	is_str(out, "2026-06-12T09:30:00+05:30", "format with an offset");
	time_format_date(1781290800000LL, 0, out, sizeof(out));
	is_str(out, "2026-06-12", "format a date");
	ok(time_format_ms(253402300800000LL, out, sizeof(out)) == 0,
	    "past year 9999 is not formatted");
	/* RFC 2822, as Twilio writes its dates */
#define R2822(str) time_parse_rfc2822(str, strlen(str), &t)
	ok(R2822("Tue, 31 Aug 2010 20:36:28 +0000") == 0 &&
	        t == 1283286988000LL,
	    "rfc2822: Twilio's form");
	ok(R2822("31 Aug 2010 20:36:28 +0000") == 0 && t == 1283286988000LL,
	    "rfc2822: no day name");
	ok(R2822("Fri, 18 Oct 2019 18:32:00 +0130") == 0 &&
	        t == 1571418120000LL,
	    "rfc2822: east of GMT");
	ok(R2822("Fri, 18 Oct 2019 12:02:00 -0500") == 0 &&
	        t == 1571418120000LL,
	    "rfc2822: west of GMT");
	ok(R2822("Fri, 18 Oct 2019 17:02:00 GMT") == 0 && t == 1571418120000LL,
	    "rfc2822: GMT");
	ok(R2822("Fri, 18 Oct 2019 17:02 UT") == 0 && t == 1571418120000LL,
	    "rfc2822: no seconds, UT");
	ok(R2822("Fri, 8 Nov 2019 07:02:09 +0000") == 0 && t == 1573196529000LL,
	    "rfc2822: one-digit day");
	ok(R2822("Sat, 29 Feb 2020 23:59:59 +0000") == 0 &&
	        t == 1583020799000LL,
	    "rfc2822: leap day");
	ok(R2822("Sun, 29 Feb 2019 00:00:00 +0000") < 0,
	    "rfc2822: no such day");
	ok(R2822("Fri, 18 Okt 2019 17:02:00 +0000") < 0, "rfc2822: bad month");
	ok(R2822("Fri, 18 Oct 2019 17:02:00") < 0, "rfc2822: zone required");
	ok(R2822("Fri, 18 Oct 2019 17:02:00 +0000x") < 0,
	    "rfc2822: trailing bytes");
	ok(R2822("Fri 18 Oct 2019 17:02:00 +0000") < 0,
	    "rfc2822: day name without comma");
	ok(R2822("Fri, 18 Oct 19 17:02:00 +0000") < 0, "rfc2822: 2-digit year");
	ok(R2822("Fri, 18 Oct 2019 24:00:00 +0000") < 0, "rfc2822: hour 24");
	ok(R2822("Fri, 18 Oct 2019 17:02:00 +0060") < 0,
	    "rfc2822: zone minutes");
	ok(R2822("2019-10-18T17:02:00Z") < 0, "rfc2822: not ISO 8601");
	ok(R2822("") < 0 && R2822("Fri,") < 0 && R2822("1") < 0,
	    "rfc2822: short strings");
#undef R2822
	return done_testing();
}
