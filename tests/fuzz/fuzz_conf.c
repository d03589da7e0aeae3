/* libFuzzer: the configuration parser, through a temporary file. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64];
	FILE *f, *devnull;
	struct config *c;

	snprintf(path, sizeof(path), "/tmp/fuzz_conf.%ld", (long)getpid());
	f = fopen(path, "wb");
	if (f == NULL)
		return 0;
	fwrite(data, 1, size, f);
	fclose(f);
	devnull = fopen("/dev/null", "w");
	c = conf_load(path, devnull);
	fclose(devnull);
	conf_free(c);
	unlink(path);
	return 0;
}
