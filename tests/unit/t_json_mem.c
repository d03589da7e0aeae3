/*
 * What a large valid body costs to parse.  Each shape is about 32 MiB
 * (the upstream body cap) and is parsed in a child process, which
 * reports the growth of its peak RSS (getrusage) and the request arena's
 * use.  Every byte the parser keeps must be in the arena, and the peak
 * of the whole parse, the body included, must stay within 4 x the body.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "arena.h"
#include "buf.h"
#include "json.h"
#include "tap.h"

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

#define BODY (32u << 20)
#define CAP (512u << 20)

struct shape {
	const char *name;
	const char *head, *item, *sep, *tail;
};

/* Repeats item until the body is close to BODY. */
static size_t
repeat(char *out, const struct shape *s)
{
	size_t n = 0, il = strlen(s->item), sl = strlen(s->sep),
	       tl = strlen(s->tail), first = 1;

	n += (size_t)sprintf(out, "%s", s->head);
	while (n + il + sl + tl < BODY - 1024) {
		if (!first) {
			memcpy(out + n, s->sep, sl);
			n += sl;
		}
		first = 0;
		memcpy(out + n, s->item, il);
		n += il;
	}
	memcpy(out + n, s->tail, tl);
	n += tl;
	out[n] = '\0';
	return n;
}

/* A full binary tree of two-element arrays, leaves 0: [[0,0],[0,0]]. */
static size_t
tree(char *out, size_t at, int depth)
{
	if (depth == 0) {
		out[at] = '0';
		return at + 1;
	}
	out[at++] = '[';
	at = tree(out, at, depth - 1);
	out[at++] = ',';
	at = tree(out, at, depth - 1);
	out[at++] = ']';
	return at;
}

static long
maxrss_kb(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

/* In a child: parse, and write back {rss growth, arena use} in bytes. */
static int
measure(const struct shape *s, int treedepth, size_t out[3])
{
	int fd[2], st;
	pid_t pid;

	if (pipe(fd) < 0)
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		struct arena *a = arena_new(64 * 1024, CAP);
		char *body = malloc(BODY + 1);
		size_t r[3] = { 0, 0, 0 }, len;
		long before;
		const struct jv *v;

		if (a == NULL || body == NULL)
			_exit(2);
		if (treedepth > 0) {
			len = tree(body, 0, treedepth);
			body[len] = '\0';
		} else
			len = repeat(body, s);
		memset(body + len, 0, BODY + 1 - len); /* all resident */
		before = maxrss_kb();
		v = json_parse(a, body, len, JSON_MAX_DEPTH, NULL, 0);
		r[0] = (size_t)(maxrss_kb() - before) * 1024;
		r[1] = arena_used(a);
		r[2] = v != NULL ? len : 0;
		if (write(fd[1], r, sizeof(r)) != (ssize_t)sizeof(r))
			_exit(3);
		_exit(0);
	}
	close(fd[1]);
	st = (int)read(fd[0], out, 3 * sizeof(size_t));
	close(fd[0]);
	waitpid(pid, NULL, 0);
	return st == (int)(3 * sizeof(size_t)) ? 0 : -1;
}

int
main(void)
{
	static const struct shape shapes[] = {
		{ "numbers [0,0,...]", "[", "0", ",", "]" },
		{ "empty arrays [[],...]", "[", "[]", ",", "]" },
		{ "empty objects [{},...]", "[", "{}", ",", "]" },
		{ "one-item arrays [[0],...]", "[", "[0]", ",", "]" },
		{ "pairs [[0,0],...]", "[", "[0,0]", ",", "]" },
		{ "tiny objects [{\"\":0},...]", "[", "{\"\":0}", ",", "]" },
		{ "empty strings [\"\",...]", "[", "\"\"", ",", "]" },
		{ "literals [true,null,...]", "[", "true,null,false", ",",
		    "]" },
		{ "members {\"a\":0,...}", "{", "\"a\":0", ",", "}" },
		{ "records", "{\"data\":{\"calls\":[",
		    "{\"call_id\":\"c-1\",\"call_status\":\"ENDED\","
		    "\"start_timestamp\":1703097600000,\"tags\":[\"a\",\"b\"],"
		    "\"metadata\":{\"k\":\"v\",\"n\":1}}",
		    ",", "]}}" },
		{ "deep [[[[0]]]] chains", "[",
		    "[[[[[[[[[[[[[[[[0]]]]]]]]]]]]]]]]", ",", "]" },
	};
	struct shape treeshape = { "binary tree [[0,0],[0,0]]", "", "", "",
		"" };
	size_t r[3], i, worst_rss = 0, worst_arena = 0;
#ifndef UNDER_ASAN
	double ratio;
#endif

	for (i = 0; i <= sizeof(shapes) / sizeof(shapes[0]); i++) {
		const struct shape *s = i < sizeof(shapes) / sizeof(shapes[0])
		    ? &shapes[i]
		    : &treeshape;
		if (measure(s, s == &treeshape ? 23 : 0, r) < 0 || r[2] == 0) {
			ok(0, "%s: parsed", s->name);
			continue;
		}
		diag("%-28s body %5.1f MiB: RSS +%6.1f MiB (%.2fx), "
		     "arena %6.1f MiB (%.2fx)",
		    s->name, (double)r[2] / 1048576, (double)r[0] / 1048576,
		    (double)r[0] / (double)r[2], (double)r[1] / 1048576,
		    (double)r[1] / (double)r[2]);
		/* the binary tree is the worst shape: 3 x, and one entry */
		ok(r[1] <= 3 * r[2] + 64 * 1024,
		    "%s: the tree takes at most 3 x the body in the arena",
		    s->name);
#ifndef UNDER_ASAN
		/* ASan's shadow and quarantine inflate RSS; its arena numbers
		 * above still hold. */
		ratio = (double)(r[0] + r[2]) / (double)r[2];
		ok(r[0] + r[2] <= 4 * r[2] + (1u << 20),
		    "%s: peak memory, body included, %.2f x the body (<= 4)",
		    s->name, ratio);
		/* nothing but the arena grows: the parser mallocs nothing */
		ok(r[0] <= r[1] + (4u << 20),
		    "%s: RSS grows by the arena's use and no more", s->name);
#endif
		if (r[0] > worst_rss)
			worst_rss = r[0];
		if (r[1] > worst_arena)
			worst_arena = r[1];
	}
	diag("worst: RSS +%.1f MiB, arena %.1f MiB",
	    (double)worst_rss / 1048576, (double)worst_arena / 1048576);
	return done_testing();
}
