/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * The allocator's augmented AVL tree on its own: random inserts, removals and
 * in-place edits checked against a sorted array, with the tree's invariants
 * (order, balance, heights, augmentation) checked after every step, and the
 * height bound on adversarial (sorted) insertion orders.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "iova/alloc_tree.h"

static void tchk(const struct vi_at_node *t, uint64_t want_count)
{
	struct vi_err e = { "" };
	uint64_t n = 0;

	if (vi_at_check(t, &n, &e))
		fail_msg("tree check: %s", e.msg);
	assert_int_equal(n, want_count);
}

static uint64_t x_state;

static uint64_t rnd(void)
{
	x_state ^= x_state << 13;
	x_state ^= x_state >> 7;
	x_state ^= x_state << 17;
	return x_state;
}

/* Slots of 16 addresses; slot i may hold a range inside [16 i, 16 i + 15]. */
#define SLOTS 2048

struct ref {
	struct vi_at_node node[SLOTS];
	bool used[SLOTS];
	size_t n;
};

static uint64_t ref_max_m1(const struct ref *r)
{
	uint64_t m = 0;

	for (size_t i = 0; i < SLOTS; i++)
		if (r->used[i] && r->node[i].last - r->node[i].start > m)
			m = r->node[i].last - r->node[i].start;
	return m;
}

static void test_random_ops(void **state)
{
	struct ref *r = calloc(1, sizeof(*r));
	struct vi_at_node *root = NULL, *out, *le, *gt;

	assert_non_null(r);
	x_state = 0x243f6a8885a308d3ull;
	for (int op = 0; op < 60000; op++) {
		size_t i = rnd() % SLOTS;
		uint64_t key = rnd() % (SLOTS * 16);
		struct vi_at_node *want = NULL;

		if (!r->used[i]) {
			uint64_t a = rnd() % 16, b = rnd() % 16;

			r->node[i].start = 16 * i + (a < b ? a : b);
			r->node[i].last = 16 * i + (a < b ? b : a);
			root = vi_at_insert(root, &r->node[i]);
			r->used[i] = true;
			r->n++;
		} else if (rnd() % 3) {
			root = vi_at_remove(root, r->node[i].start, &out);
			assert_ptr_equal(out, &r->node[i]);
			r->used[i] = false;
			r->n--;
		} else {
			/* grow or shrink in place, keeping the slot */
			r->node[i].start = 16 * i + rnd() % 4;
			r->node[i].last = 16 * i + 4 + rnd() % 12;
			vi_at_touch(root, r->node[i].start);
		}
		tchk(root, r->n);
		assert_true(vi_at_max_m1(root) == ref_max_m1(r));
		/* lookups against the array */
		for (size_t j = key / 16 + 1; j-- > 0;)
			if (r->used[j] && r->node[j].start <= key) {
				want = &r->node[j];
				break;
			}
		assert_ptr_equal(vi_at_floor(root, key), want);
		vi_at_around(root, key, &le, &gt);
		assert_ptr_equal(le, want);
		want = NULL;
		for (size_t j = key / 16; j < SLOTS; j++)
			if (r->used[j] && r->node[j].start > key) {
				want = &r->node[j];
				break;
			}
		assert_ptr_equal(gt, want);
	}
	root = vi_at_remove(root, 0xffffffffull, &out);
	assert_null(out);
	free(r);
}

static int count_fn(struct vi_at_node *n, void *arg)
{
	uint64_t *prev = arg;

	if (*prev != UINT64_MAX && n->start <= *prev)
		return -1;
	*prev = n->start;
	return 0;
}

static int stop_fn(struct vi_at_node *n, void *arg)
{
	return n->start == *(uint64_t *)arg ? 7 : 0;
}

/* 1.45 log2(n + 2), rounded down, without libm. */
static int avl_bound(size_t n)
{
	int lg = 0;

	while (((size_t)1 << (lg + 1)) <= n + 2)
		lg++;
	/* log2 rounded down is at most one below the real value */
	return (int)(1.45 * (lg + 1));
}

/* Sorted insertion would make a plain BST a list; AVL stays within 1.45 log2(n + 2). */
static void test_height_bound(void **state)
{
	const size_t n = 200000;
	struct vi_at_node *nodes = calloc(n, sizeof(*nodes)), *root = NULL, *out;
	uint64_t prev = UINT64_MAX, key = 123456;

	assert_non_null(nodes);
	for (size_t i = 0; i < n; i++) {
		nodes[i].start = 2 * i;
		nodes[i].last = 2 * i + (i == n / 2 ? 1 : 0);
		root = vi_at_insert(root, &nodes[i]);
	}
	tchk(root, n);
	assert_true(root->height <= avl_bound(n));
	assert_int_equal(vi_at_max_m1(root), 1);
	assert_int_equal(vi_at_walk(root, count_fn, &prev), 0);
	assert_int_equal(vi_at_walk(root, stop_fn, &key), 7);
	/* remove from one end: still balanced */
	for (size_t i = 0; i < n / 2; i++) {
		root = vi_at_remove(root, 2 * i, &out);
		assert_ptr_equal(out, &nodes[i]);
	}
	tchk(root, n - n / 2);
	assert_true(root->height <= avl_bound(n - n / 2));
	free(nodes);
}

/* Ranges reaching 2^64-1 and spanning everything keep exact augmentation. */
static void test_extremes(void **state)
{
	struct vi_at_node a = { .start = 0, .last = UINT64_MAX }, b = { .start = UINT64_MAX, .last = UINT64_MAX };
	struct vi_at_node c = { .start = 0, .last = 0 }, *root = NULL, *out, *le, *gt;
	struct vi_err e;
	uint64_t n;

	root = vi_at_insert(root, &a);
	tchk(root, 1);
	assert_true(vi_at_max_m1(root) == UINT64_MAX);
	root = vi_at_remove(root, 0, &out);
	assert_null(root);
	root = vi_at_insert(root, &b);
	root = vi_at_insert(root, &c);
	tchk(root, 2);
	assert_true(vi_at_max_m1(root) == 0);
	assert_ptr_equal(vi_at_floor(root, UINT64_MAX), &b);
	vi_at_around(root, 1, &le, &gt);
	assert_ptr_equal(le, &c);
	assert_ptr_equal(gt, &b);
	vi_at_around(root, UINT64_MAX, &le, &gt);
	assert_ptr_equal(le, &b);
	assert_null(gt);
	vi_at_around(NULL, 0, &le, &gt);
	assert_null(le);
	assert_null(gt);
	/* corruption is reported, not crashed on */
	c.max_m1 = 5;
	assert_int_equal(vi_at_check(root, &n, &e), -EUCLEAN);
	c.max_m1 = 0;
	c.last = 0xff;
	c.start = 0x100;
	assert_int_equal(vi_at_check(root, &n, &e), -EUCLEAN);
	c.start = 0;
	c.height = 3;
	assert_int_equal(vi_at_check(root, &n, &e), -EUCLEAN);
	c.height = 1;
	c.last = 0;
	assert_int_equal(vi_at_check(root, NULL, NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_ops),
		cmocka_unit_test(test_height_bound),
		cmocka_unit_test(test_extremes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
