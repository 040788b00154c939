/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * The allocator's live-block hash table: random add/find/delete against a
 * reference array, with keys packed close together (long probe runs that wrap
 * around the end of the table) and keys at the edges of the 64-bit space.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "iova/alloc_live.h"

#define KEYS 4096

static uint64_t x_state;

static uint64_t rnd(void)
{
	x_state ^= x_state << 13;
	x_state ^= x_state >> 7;
	x_state ^= x_state << 17;
	return x_state;
}

/* A block end that varies with i and never wraps. */
static uint64_t last_of(size_t i, uint64_t key)
{
	return key <= UINT64_MAX - 6 ? key + i % 7 : key;
}

/* Every key present is found at a slot holding it; every absent one is not found; no strays. */
static void verify(const struct vi_live *t, const uint64_t *key, const bool *in, size_t n)
{
	size_t present = 0, occupied = 0;

	for (size_t i = 0; i < n; i++) {
		size_t s = vi_live_find(t, key[i]);

		if (in[i]) {
			present++;
			assert_true(s != SIZE_MAX);
			assert_true(t->s[s].iova == key[i] && t->s[s].last == last_of(i, key[i]));
		} else {
			assert_true(s == SIZE_MAX);
		}
	}
	for (size_t i = 0; i < t->cap; i++)
		occupied += !vi_live_empty(&t->s[i]);
	assert_int_equal(present, t->n);
	assert_int_equal(occupied, t->n);
	assert_true(t->n <= t->cap / 2);
}

static void run(uint64_t granule, uint64_t base, uint64_t seed)
{
	uint64_t *key = calloc(KEYS, sizeof(*key));
	bool *in = calloc(KEYS, sizeof(*in));
	struct vi_live t;

	assert_non_null(key);
	assert_non_null(in);
	x_state = seed;
	vi_live_init(&t, granule);
	assert_true(vi_live_find(&t, base) == SIZE_MAX);  /* empty, no storage */
	for (size_t i = 0; i < KEYS; i++)
		key[i] = base + i * granule;
	for (int op = 0; op < 40000; op++) {
		size_t i = rnd() % KEYS;

		if (!in[i]) {
			assert_int_equal(vi_live_reserve(&t, t.n + 1), 0);
			vi_live_add(&t, key[i], last_of(i, key[i]));
			in[i] = true;
		} else {
			size_t s = vi_live_find(&t, key[i]);

			assert_true(s != SIZE_MAX);
			vi_live_del(&t, s);
			in[i] = false;
		}
		if (op % 97 == 0)
			verify(&t, key, in, KEYS);
	}
	verify(&t, key, in, KEYS);
	vi_live_fini(&t);
	assert_int_equal(t.n, 0);
	free(key);
	free(in);
}

static void test_dense_pages(void **state)
{
	run(0x1000, 0, 1);
	run(0x1000, UINT64_MAX - KEYS * 0x1000ull + 1, 2);
}

static void test_bytes_and_huge_granules(void **state)
{
	run(1, 0, 3);
	run(1, UINT64_MAX - KEYS + 1, 4);
	run(1ull << 40, 0, 5);
}

static void test_reserve_limits(void **state)
{
	struct vi_live t;

	vi_live_init(&t, 0x1000);
	assert_int_equal(vi_live_reserve(&t, 0), 0);
	assert_int_equal(vi_live_reserve(&t, 8), 0);
	assert_int_equal(t.cap, 16);
	assert_int_equal(vi_live_reserve(&t, 9), 0);
	assert_int_equal(t.cap, 32);
	assert_int_equal(vi_live_reserve(&t, SIZE_MAX), -ENOMEM);
	assert_int_equal(t.cap, 32);   /* unchanged on failure */
	vi_live_fini(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dense_pages),
		cmocka_unit_test(test_bytes_and_huge_granules),
		cmocka_unit_test(test_reserve_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
