/*
 * LD_PRELOAD shim for the accept() failure tests
 * (tests/integration/front.test.mjs): makes accept() fail as it does when
 * a process runs out of descriptors or memory.
 *
 * CALLNORM_FAILACCEPT=NAME:N[,NAME:N...] (NAME an errno name such as
 * EMFILE, ENFILE, ENOMEM, ENOBUFS, EINTR, EBADF) makes the process's
 * first accepts fail in that order: N times with the first error, then
 * the next.  Each failure waits until a connection is queued and leaves
 * it there, as a real EMFILE does.  With CALLNORM_FAILACCEPT_FLAG=PATH, a
 * failure is taken only by the call that removes the file PATH, so a test
 * decides when (and, across worker processes, how often) accept fails.
 * Built by the test with cc.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAXSTEP 16

static struct {
	int err, times;
} step[MAXSTEP];
static int nstep;
static int taken; /* failures so far */
static const char *flag;
static int (*real_accept)(int, struct sockaddr *, socklen_t *);

static int
errno_of(const char *s, size_t n)
{
	static const struct {
		const char *name;
		int err;
	} names[] = {
		{ "EMFILE", EMFILE },
		{ "ENFILE", ENFILE },
		{ "ENOMEM", ENOMEM },
		{ "ENOBUFS", ENOBUFS },
		{ "EINTR", EINTR },
		{ "EAGAIN", EAGAIN },
		{ "EPERM", EPERM },
		{ "ECONNABORTED", ECONNABORTED },
		{ "EBADF", EBADF },
		{ "ENOTSOCK", ENOTSOCK },
		{ "EINVAL", EINVAL },
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i].name) == n &&
		    strncmp(names[i].name, s, n) == 0)
			return names[i].err;
	return 0;
}

__attribute__((constructor)) static void
init(void)
{
	const char *s = getenv("CALLNORM_FAILACCEPT");
	const char *c, *e;

	real_accept = (int (*)(int, struct sockaddr *, socklen_t *))dlsym(
	    RTLD_NEXT, "accept");
	flag = getenv("CALLNORM_FAILACCEPT_FLAG");
	while (s != NULL && *s != '\0' && nstep < MAXSTEP) {
		c = strchr(s, ':');
		if (c == NULL)
			break;
		step[nstep].err = errno_of(s, (size_t)(c - s));
		step[nstep].times = atoi(c + 1);
		if (step[nstep].err != 0 && step[nstep].times > 0)
			nstep++;
		e = strchr(c, ',');
		s = e != NULL ? e + 1 : "";
	}
}

/* The error the next failure is to have, or 0 when none is left. */
static int
next_error(void)
{
	int k = __atomic_fetch_add(&taken, 1, __ATOMIC_SEQ_CST), i;

	for (i = 0; i < nstep; i++) {
		if (k < step[i].times)
			return step[i].err;
		k -= step[i].times;
	}
	return 0;
}

static int
left(void)
{
	int i, total = 0;

	for (i = 0; i < nstep; i++)
		total += step[i].times;
	return __atomic_load_n(&taken, __ATOMIC_SEQ_CST) < total;
}

int
accept(int fd, struct sockaddr *sa, socklen_t *len)
{
	struct pollfd p;
	int err;

	if (left() && (flag == NULL || access(flag, F_OK) == 0)) {
		p.fd = fd;
		p.events = POLLIN;
		p.revents = 0;
		/* a blocking accept waits for a connection; so does this */
		if (poll(&p, 1, -1) < 0)
			return -1; /* EINTR from a signal, as accept would */
		if (flag == NULL || unlink(flag) == 0) {
			err = next_error();
			if (err != 0) {
				errno = err;
				return -1;
			}
		}
	}
	return real_accept(fd, sa, len);
}
