/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
#include <errno.h>
#include <stdlib.h>

#include "alloc_live.h"

#define MIN_CAP 16

static size_t home(const struct vi_live *t, uint64_t iova)
{
	/* Fibonacci hashing: consecutive granule numbers land far apart */
	uint64_t h = (iova >> t->gshift) * 0x9e3779b97f4a7c15ull;

	return (size_t)(h >> 32 ^ h) & (t->cap - 1);
}

void vi_live_init(struct vi_live *t, uint64_t granule)
{
	t->s = NULL;
	t->cap = 0;
	t->n = 0;
	t->gshift = 0;
	while (t->gshift < 63 && (1ull << (t->gshift + 1)) <= granule)
		t->gshift++;
}

void vi_live_fini(struct vi_live *t)
{
	free(t->s);
	t->s = NULL;
	t->cap = t->n = 0;
}

static void put_slot(struct vi_live *t, uint64_t iova, uint64_t last)
{
	size_t i = home(t, iova);

	while (!vi_live_empty(&t->s[i]))
		i = (i + 1) & (t->cap - 1);
	t->s[i].iova = iova;
	t->s[i].last = last;
}

int vi_live_reserve(struct vi_live *t, size_t n)
{
	struct vi_live_slot *old = t->s;
	size_t old_cap = t->cap, cap = t->cap ? t->cap : MIN_CAP;

	while (n > cap / 2) {
		if (cap > SIZE_MAX / 2 / sizeof(*old))
			return -ENOMEM;
		cap *= 2;
	}
	if (cap == t->cap)
		return 0;
	t->s = malloc(cap * sizeof(*t->s));
	if (!t->s) {
		t->s = old;
		return -ENOMEM;
	}
	t->cap = cap;
	for (size_t i = 0; i < cap; i++) {
		t->s[i].iova = 1;
		t->s[i].last = 0;
	}
	for (size_t i = 0; i < old_cap; i++)
		if (!vi_live_empty(&old[i]))
			put_slot(t, old[i].iova, old[i].last);
	free(old);
	return 0;
}

void vi_live_add(struct vi_live *t, uint64_t iova, uint64_t last)
{
	put_slot(t, iova, last);
	t->n++;
}

size_t vi_live_find(const struct vi_live *t, uint64_t iova)
{
	size_t i;

	if (!t->cap)
		return SIZE_MAX;
	for (i = home(t, iova); !vi_live_empty(&t->s[i]); i = (i + 1) & (t->cap - 1))
		if (t->s[i].iova == iova)
			return i;
	return SIZE_MAX;
}

void vi_live_del(struct vi_live *t, size_t slot)
{
	size_t mask = t->cap - 1, i = slot, j = slot;

	/* pull later entries of the probe run back over the hole, unless that would put them before their home */
	for (;;) {
		size_t k;

		j = (j + 1) & mask;
		if (vi_live_empty(&t->s[j]))
			break;
		k = home(t, t->s[j].iova);
		if (((j - k) & mask) >= ((j - i) & mask)) {
			t->s[i] = t->s[j];
			i = j;
		}
	}
	t->s[i].iova = 1;
	t->s[i].last = 0;
	t->n--;
}
