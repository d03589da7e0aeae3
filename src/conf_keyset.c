/* The keys seen in one section of the configuration, for duplicates. */
#include <stdlib.h>
#include <string.h>

#include "conf_int.h"

static uint32_t
key_hash(const char *s)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

/* The slot holding key, or the free slot where it belongs. */
static struct keyslot *
keyset_slot(const struct keyset *ks, const char *key, uint32_t h)
{
	size_t i = h & (ks->cap - 1);

	while (ks->slot[i].key != NULL &&
	    (ks->slot[i].hash != h || strcmp(ks->slot[i].key, key) != 0))
		i = (i + 1) & (ks->cap - 1);
	return &ks->slot[i];
}

static const struct keyslot *
keyset_find(const struct keyset *ks, const char *key)
{
	const struct keyslot *sl;

	if (ks->cap == 0)
		return NULL;
	sl = keyset_slot(ks, key, key_hash(key));
	return sl->key != NULL ? sl : NULL;
}

/* Keeps the set at most half full; -1 when out of memory. */
static int
keyset_grow(struct keyset *ks)
{
	struct keyset big;
	size_t i;

	if (ks->cap != 0 && ks->n < ks->cap / 2)
		return 0;
	big.cap = ks->cap == 0 ? 16 : ks->cap * 2;
	big.n = ks->n;
	big.slot = calloc(big.cap, sizeof(*big.slot));
	if (big.slot == NULL)
		return -1;
	for (i = 0; i < ks->cap; i++)
		if (ks->slot[i].key != NULL)
			*keyset_slot(&big, ks->slot[i].key, ks->slot[i].hash) =
			    ks->slot[i];
	free(ks->slot);
	*ks = big;
	return 0;
}

void
conf_keyset_clear(struct keyset *ks)
{
	size_t i;

	for (i = 0; i < ks->cap; i++)
		free(ks->slot[i].key);
	free(ks->slot);
	memset(ks, 0, sizeof(*ks));
}

/* Records key at line; false (reported) for a duplicate or no memory. */
bool
conf_mark_seen(struct loader *ld, int line, const char *key)
{
	const struct keyslot *first = keyset_find(&ld->seen, key);
	struct keyslot *sl;
	uint32_t h = key_hash(key);

	if (first != NULL) {
		conf_problem(ld, line, "duplicate key '%s' (first at line %d)",
		    key, first->line);
		return false;
	}
	if (keyset_grow(&ld->seen) < 0) {
		conf_problem(ld, line, "out of memory");
		return false;
	}
	sl = keyset_slot(&ld->seen, key, h);
	if ((sl->key = strdup(key)) == NULL) {
		conf_problem(ld, line, "out of memory");
		return false;
	}
	sl->hash = h;
	sl->line = line;
	ld->seen.n++;
	return true;
}

bool
conf_seen(const struct loader *ld, const char *key)
{
	return keyset_find(&ld->seen, key) != NULL;
}
