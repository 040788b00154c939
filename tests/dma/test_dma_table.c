/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * The DMA mapping table (lib/dma_table.[ch]) against a brute-force model:
 * lookups, inserts and removals at any position (the tree checked whole:
 * order, balance, count), successor walks, clearing, growth (index arrays and slabs),
 * the process-address index built late and then kept, file mappings that
 * never enter it, and translate with one buffer mapped twice.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "dma/dma_table.h"

#define PG 4096ULL
#define SLOTS 512 /* IOVA grid of pages; mappings are 1-4 pages */

struct model {
	bool used;
	uint64_t iova, len, vaddr;
	bool file;
};

static struct model mod[SLOTS];

struct walk {
	const struct vi_mapping *prev;
	size_t n;
};

static void in_order(const struct vi_mapping *m, void *arg)
{
	struct walk *w = arg;

	if (w->prev)
		assert_true(w->prev->at.last < m->at.start);
	w->prev = m;
	w->n++;
}

static void check(const struct vi_dma_table *t)
{
	size_t n = 0, nv = 0, walked = 0;
	uint64_t bytes = 0, count;
	struct walk w = { NULL, 0 };

	for (size_t i = 0; i < SLOTS; i++) {
		if (!mod[i].used)
			continue;
		n++;
		nv += !mod[i].file;
		bytes += mod[i].len;
		assert_non_null(vi_tab_find(t, mod[i].iova));
		assert_int_equal(vi_map_len(vi_tab_find(t, mod[i].iova)), mod[i].len);
	}
	assert_int_equal(t->n, n);
	assert_int_equal(t->bytes, bytes);
	assert_true(t->n <= t->cap);
	assert_int_equal(vi_at_check(t->by_iova, &count, NULL), 0);
	assert_int_equal(count, n);
	vi_tab_each(t, in_order, &w);
	assert_int_equal(w.n, n);
	/* successor walk from the lowest mapping sees the same n, ending at vi_tab_last() */
	for (const struct vi_mapping *m = vi_tab_lower(t, 0); m; m = vi_tab_next(t, m)) {
		walked++;
		if (!vi_tab_next(t, m))
			assert_ptr_equal(m, vi_tab_last(t));
	}
	assert_int_equal(walked, n);
	if (!n)
		assert_null(vi_tab_last(t));
	if (t->vindex) {
		assert_int_equal(t->nv, nv);
		for (size_t i = 1; i < t->nv; i++)
			assert_true(t->by_vaddr[i - 1]->vaddr <= t->by_vaddr[i]->vaddr);
	}
}

/* Does the model hold [va, last] in one process mapping, at which IOVA(s)? */
static bool model_translate(uint64_t va, uint64_t last, uint64_t got)
{
	bool any = false;

	for (size_t i = 0; i < SLOTS; i++) {
		if (!mod[i].used || mod[i].file || va < mod[i].vaddr || last > mod[i].vaddr + mod[i].len - 1)
			continue;
		if (got == mod[i].iova + (va - mod[i].vaddr))
			return true;
		any = true;
	}
	return !any && got == UINT64_MAX;
}

/* The model's first used slot whose mapping ends at or after iova, or SLOTS. */
static size_t model_lower(uint64_t iova)
{
	for (size_t k = 0; k < SLOTS; k++)
		if (mod[k].used && mod[k].iova + mod[k].len - 1 >= iova)
			return k;
	return SLOTS;
}

static void random_ops(void **state)
{
	struct vi_dma_table t = { 0 };
	unsigned int seed = 4242;

	memset(mod, 0, sizeof(mod));
	assert_false(vi_tab_has_room(&t));
	for (int step = 0; step < 20000; step++) {
		unsigned int r = (unsigned int)rand_r(&seed);
		size_t slot = (size_t)rand_r(&seed) % SLOTS;
		uint64_t iova = slot * PG, len = (1 + (uint64_t)rand_r(&seed) % 4) * PG;

		if (step == 3000)
			vi_tab_vindex_build(&t); /* late, over whatever is there */
		if (r % 5 < 3) {
			/* insert if the range is free (the caller's overlap check, as dma/dma.c does it) */
			struct vi_mapping *lo = vi_tab_lower(&t, iova);
			size_t ml = model_lower(iova);
			bool overlaps = lo && lo->at.start <= iova + len - 1;
			bool model_overlaps = false;
			for (size_t k = 0; k < SLOTS; k++)
				if (mod[k].used && mod[k].iova < iova + len && iova < mod[k].iova + mod[k].len)
					model_overlaps = true;
			assert_int_equal(overlaps, model_overlaps);
			assert_int_equal(lo != NULL, ml < SLOTS);
			if (lo)
				assert_int_equal(lo->at.start, mod[ml].iova);
			if (overlaps || slot + len / PG > SLOTS)
				continue;
			if (!vi_tab_has_room(&t))
				assert_int_equal(vi_tab_grow(&t), 0);
			/* few distinct process addresses: the same buffer is often mapped twice */
			uint64_t vaddr = 0x7f0000000000ULL + ((uint64_t)rand_r(&seed) % 64) * PG;
			bool file = r % 17 == 0;
			struct vi_mapping *m = vi_tab_prepare(&t, iova, len, file ? 0 : vaddr, 3, file);
			vi_tab_commit(&t, m);
			mod[slot] = (struct model){ true, iova, len, file ? 0 : vaddr, file };
		} else if (r % 5 == 3) {
			/* remove the mapping that starts here, if any */
			struct vi_mapping *m = vi_tab_find(&t, iova);
			assert_int_equal(m != NULL, mod[slot].used);
			if (m) {
				vi_tab_remove(&t, m);
				mod[slot].used = false;
			}
		} else if (t.n > 2) {
			/* remove a run of consecutive mappings from the first one at or after a random address */
			struct vi_mapping *m = vi_tab_lower(&t, iova);
			size_t count = 1 + (size_t)rand_r(&seed) % 3;
			for (; m && count; count--) {
				struct vi_mapping *next = vi_tab_next(&t, m);
				assert_true(mod[m->at.start / PG].used);
				mod[m->at.start / PG].used = false;
				vi_tab_remove(&t, m);
				m = next;
			}
		}
		if (t.vindex) {
			uint64_t va = 0x7f0000000000ULL + (uint64_t)rand_r(&seed) % (68 * PG), got = UINT64_MAX;
			uint64_t last = va + (uint64_t)rand_r(&seed) % (2 * PG);
			vi_tab_translate(&t, va, last, &got);
			assert_true(model_translate(va, last, got));
		}
		if (step % 97 == 0)
			check(&t);
	}
	check(&t);
	vi_tab_clear(&t);
	memset(mod, 0, sizeof(mod));
	check(&t);
	assert_int_equal(t.n, 0);
	assert_int_equal(t.bytes, 0);
	assert_int_equal(t.nv, 0);
	vi_tab_free(&t);
}

static void growth_keeps_room_and_nodes(void **state)
{
	struct vi_dma_table t = { 0 };

	/* fill well past several doublings; a free node always means a free slot (n < cap) */
	for (uint64_t k = 0; k < 1000; k++) {
		if (!vi_tab_has_room(&t))
			assert_int_equal(vi_tab_grow(&t), 0);
		assert_true(t.n < t.cap);
		vi_tab_commit(&t, vi_tab_prepare(&t, k * PG, PG, k * PG, 1, false));
	}
	assert_int_equal(t.n, 1000);
	assert_true(t.cap >= 1000);
	/* removals give nodes back: as many inserts again need no growth */
	for (uint64_t k = 0; k < 500; k++)
		vi_tab_remove(&t, vi_tab_find(&t, k * PG));
	assert_int_equal(vi_tab_lower(&t, 0)->at.start, 500 * PG);
	for (uint64_t k = 0; k < 500; k++) {
		assert_true(vi_tab_has_room(&t));
		vi_tab_commit(&t, vi_tab_prepare(&t, k * PG, PG, k * PG, 1, false));
	}
	assert_int_equal(t.n, 1000);
	vi_tab_vindex_build(&t);
	for (uint64_t k = 0; k < 1000; k++) {
		uint64_t got;
		assert_true(vi_tab_translate(&t, k * PG + 7, k * PG + 7, &got));
		assert_int_equal(got, k * PG + 7);
	}
	assert_null(vi_tab_find(&t, 5));
	assert_int_equal(vi_tab_lower(&t, 5)->at.start, 0);
	assert_int_equal(vi_tab_lower(&t, PG + 5)->at.start, PG);
	assert_null(vi_tab_lower(&t, 1000 * PG));
	assert_int_equal(vi_tab_last(&t)->at.start, 999 * PG);
	/* clearing gives every node back: refilling needs no growth */
	vi_tab_clear(&t);
	assert_null(vi_tab_lower(&t, 0));
	for (uint64_t k = 0; k < 1000; k++) {
		assert_true(vi_tab_has_room(&t));
		vi_tab_commit(&t, vi_tab_prepare(&t, k * PG, PG, k * PG, 1, false));
	}
	assert_int_equal(t.nv, 1000);
	vi_tab_free(&t);
	/* freeing twice (or an empty table) is harmless */
	vi_tab_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(random_ops),
		cmocka_unit_test(growth_keeps_room_and_nodes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
