/*
 * The rate limiter's cost per upstream request: rl_acquire() timed in a
 * loop, host-local (one process, then two processes sharing the mapping)
 * and through Redis.  Built and run by bench/ratelimit-cost.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "ratelimit.h"

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ns per call of n calls, all granted without a wait */
static double
loop(const struct provider_conf *p, long n)
{
	int64_t wait;
	double t0 = now_s();
	long i, refused = 0;

	for (i = 0; i < n; i++)
		if (rl_acquire(p, 0, 0, &wait) != CN_OK || wait != 0)
			refused++;
	if (refused != 0)
		fprintf(stderr, "%ld of %ld not granted at once\n", refused, n);
	return (now_s() - t0) * 1e9 / (double)n;
}

int
main(int argc, char **argv)
{
	static struct config c;
	long n = 50000;
	int procs = 2, i, st;

	strcpy(c.providers[0].name, "bench");
	c.providers[0].rate_limit_n = 100000;
	c.providers[0].rate_limit_window_ms = 60000;
	c.nproviders = 1;
	if (argc > 1) {
		c.shared_state = argv[1];
		n = 5000;
	}
	if (rl_init(&c) < 0) {
		fprintf(stderr, "rl_init failed\n");
		return 1;
	}
	printf("%s, 1 process: %.0f ns per request\n",
	    argc > 1 ? "redis" : "host-local", loop(&c.providers[0], n));
	fflush(stdout);
	for (i = 0; i < procs; i++)
		if (fork() == 0) {
			printf("%s, %d processes at once: %.0f ns per request "
			       "(process %d)\n",
			    argc > 1 ? "redis" : "host-local", procs,
			    loop(&c.providers[0], n / 2), i);
			fflush(stdout);
			_exit(0);
		}
	for (i = 0; i < procs; i++)
		wait(&st);
	if (argc > 1 && rl_shared_state_up() != 1)
		printf("(Redis did not answer: the figures are host-local)\n");
	return 0;
}
