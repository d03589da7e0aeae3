#include "arena.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Under AddressSanitizer the free part of every chunk is poisoned and each
 * allocation is followed by a poisoned gap, so an overrun of one arena block
 * is reported like an overrun of a malloc block instead of silently landing
 * in its neighbour.
 */
#if defined(__SANITIZE_ADDRESS__)
#define ARENA_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ARENA_ASAN 1
#endif
#endif
#ifdef ARENA_ASAN
#include <sanitizer/asan_interface.h>
#define ARENA_GAP 16
#define POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define ARENA_GAP 0
#define POISON(p, n) ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

struct chunk {
	struct chunk *next;
	size_t size;
	size_t used;
	max_align_t data[];
};

struct cleanup {
	struct cleanup *next;
	void (*fn)(void *);
	void *arg;
};

struct arena {
	struct chunk *head; /* current chunk; the first one is kept */
	struct chunk *first;
	struct cleanup *cleanups;
	size_t chunk_size;
	size_t cap;
	size_t total; /* bytes of chunks beyond the first */
	int failed; /* an allocation failed since the last reset */
};

static _Thread_local long fail_countdown;

void
cn_alloc_fail_after(long n)
{
	fail_countdown = n;
}

long
cn_alloc_fail_pending(void)
{
	return fail_countdown;
}

int
cn_alloc_should_fail(void)
{
	if (fail_countdown <= 0)
		return 0;
	return --fail_countdown == 0;
}

static struct chunk *
chunk_new(size_t size)
{
	struct chunk *c;

	c = malloc(sizeof(*c) + size);
	if (c == NULL)
		return NULL;
	c->next = NULL;
	c->size = size;
	c->used = 0;
	POISON(c->data, size);
	return c;
}

struct arena *
arena_new(size_t chunk, size_t cap)
{
	struct arena *a;

	a = calloc(1, sizeof(*a));
	if (a == NULL)
		return NULL;
	a->chunk_size = chunk;
	a->cap = cap;
	a->first = a->head = chunk_new(chunk);
	if (a->first == NULL) {
		free(a);
		return NULL;
	}
	return a;
}

void *
arena_alloc(struct arena *a, size_t n)
{
	struct chunk *c;
	size_t size, want = n;
	void *p;

	if (cn_alloc_should_fail())
		goto fail;
	if (n > SIZE_MAX - sizeof(max_align_t) - ARENA_GAP)
		goto fail;
	n = (n + ARENA_GAP + sizeof(max_align_t) - 1) &
	    ~(sizeof(max_align_t) - 1);
	if (n == 0)
		n = sizeof(max_align_t);
	c = a->head;
	if (c->size - c->used >= n) {
		p = (char *)c->data + c->used;
		c->used += n;
		UNPOISON(p, want);
		return p;
	}
	size = n > a->chunk_size / 4 ? n : a->chunk_size;
	if (a->total + size > a->cap)
		goto fail;
	c = chunk_new(size);
	if (c == NULL)
		goto fail;
	a->total += size;
	/* Big blocks go behind the head so the head keeps its free space. */
	if (size != a->chunk_size) {
		c->next = a->head->next;
		a->head->next = c;
	} else {
		c->next = a->head;
		a->head = c;
	}
	c->used = n;
	UNPOISON(c->data, want);
	return c->data;
fail:
	a->failed = 1;
	return NULL;
}

void *
arena_calloc(struct arena *a, size_t nmemb, size_t size)
{
	void *p;

	if (size != 0 && nmemb > SIZE_MAX / size)
		return NULL;
	p = arena_alloc(a, nmemb * size);
	if (p != NULL)
		memset(p, 0, nmemb * size);
	return p;
}

char *
arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *p;

	if (n == SIZE_MAX)
		return NULL;
	p = arena_alloc(a, n + 1);
	if (p == NULL)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
arena_strdup(struct arena *a, const char *s)
{
	return arena_strndup(a, s, strlen(s));
}

char *
arena_printf(struct arena *a, const char *fmt, ...)
{
	va_list ap;
	int n;
	char *p;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return NULL;
	p = arena_alloc(a, (size_t)n + 1);
	if (p == NULL)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

int
arena_cleanup(struct arena *a, void (*fn)(void *), void *arg)
{
	struct cleanup *c;

	c = arena_alloc(a, sizeof(*c));
	if (c == NULL)
		return -1;
	c->fn = fn;
	c->arg = arg;
	c->next = a->cleanups;
	a->cleanups = c;
	return 0;
}

int
arena_failed(const struct arena *a)
{
	return a->failed;
}

size_t
arena_used(const struct arena *a)
{
	return a->total + a->first->used;
}

void
arena_reset(struct arena *a)
{
	struct cleanup *cl;
	struct chunk *c, *next;

	/* Cleanups live in the arena: walk them before freeing chunks. */
	while ((cl = a->cleanups) != NULL) {
		a->cleanups = cl->next;
		cl->fn(cl->arg);
	}
	for (c = a->head; c != NULL; c = next) {
		next = c->next;
		if (c != a->first)
			free(c);
	}
	a->head = a->first;
	a->first->next = NULL;
	a->first->used = 0;
	POISON(a->first->data, a->first->size);
	a->total = 0;
	a->failed = 0;
}

void
arena_free(struct arena *a)
{
	if (a == NULL)
		return;
	arena_reset(a);
	free(a->first);
	free(a);
}
