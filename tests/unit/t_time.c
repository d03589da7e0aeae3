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
	return done_testing();
}
