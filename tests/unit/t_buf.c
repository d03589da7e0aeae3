#include <string.h>

#include "buf.h"
#include "tap.h"

int
main(void)
{
	struct buf b;

	buf_init(&b, 16);
	ok(buf_adds(&b, "0123456789") == 0, "fits");
	ok(buf_adds(&b, "0123456789") < 0 && b.failed, "over max fails");
	ok(buf_adds(&b, "x") < 0, "failure is sticky");
	buf_reset(&b);
	ok(!b.failed && b.len == 0, "reset clears");
	buf_free(&b);

	buf_init(&b, 1024);
	buf_json_str(&b, "a\"b\\c\n\x01\xff\xc3\xa9", 10);
	is_str(buf_cstr(&b), "\"a\\\"b\\\\c\\n\\u0001\xef\xbf\xbd\xc3\xa9\"",
	    "escapes, control bytes and invalid UTF-8");
	buf_reset(&b);
	buf_json_cstr(&b, NULL);
	is_str(buf_cstr(&b), "null", "NULL is null");
	buf_reset(&b);
	buf_json_time(&b, 0);
	is_str(buf_cstr(&b), "\"1970-01-01T00:00:00.000Z\"", "time");
	buf_free(&b);
	return done_testing();
}
