/* ascii.h: the hex decoder and the case-folder, over every byte. */
#include "ascii.h"
#include "tap.h"

int
main(void)
{
	static const char lower[] = "0123456789abcdef";
	static const char upper[] = "0123456789ABCDEF";
	int want[256], c, i, bad_hex = 0, bad_lower = 0;

	/* the expected values from the two spellings of the digits */
	for (c = 0; c < 256; c++)
		want[c] = -1;
	for (i = 0; i < 16; i++)
		want[(unsigned char)lower[i]] = want[(unsigned char)upper[i]] =
		    i;
	for (c = 0; c < 256; c++) {
		if (ascii_hexval(c) != want[c]) {
			diag("ascii_hexval(%d) = %d, want %d", c,
			    ascii_hexval(c), want[c]);
			bad_hex++;
		}
		if (ascii_lower((unsigned char)c) !=
		    (c >= 'A' && c <= 'Z' ? c + 32 : c))
			bad_lower++;
	}
	ok(bad_hex == 0, "ascii_hexval: 0-9, a-f and A-F, -1 for the rest");
	ok(bad_lower == 0, "ascii_lower folds A-Z only");
	is_int(ascii_hexval('F'), 15, "F is 15");
	is_int(ascii_hexval('G'), -1, "G is no digit");
	is_int(ascii_hexval(0xc6), -1, "a byte above 0x7f is no digit");
	is_int(ascii_lower(0xc4), 0xc4, "a UTF-8 byte is left as is");
	return done_testing();
}
