/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * The augmented AVL tree.  Recursive on purpose: AVL height is below
 * 1.45 log2(n + 2), under 64 frames even for 2^40 nodes, and recursion lets
 * every update recompute heights and augmentation on the way back up without
 * parent pointers.
 */
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>

#include "alloc_tree.h"

static inline int ht(const struct vi_at_node *t)
{
	return t ? t->height : 0;
}

static inline uint64_t max3(uint64_t a, uint64_t b, uint64_t c)
{
	uint64_t m = a > b ? a : b;

	return m > c ? m : c;
}

static void pull(struct vi_at_node *t)
{
	int hl = ht(t->left), hr = ht(t->right);

	t->height = 1 + (hl > hr ? hl : hr);
	t->max_m1 = max3(t->last - t->start, vi_at_max_m1(t->left), vi_at_max_m1(t->right));
}

static struct vi_at_node *rot_right(struct vi_at_node *y)
{
	struct vi_at_node *x = y->left;

	y->left = x->right;
	x->right = y;
	pull(y);
	pull(x);
	return x;
}

static struct vi_at_node *rot_left(struct vi_at_node *x)
{
	struct vi_at_node *y = x->right;

	x->right = y->left;
	y->left = x;
	pull(x);
	pull(y);
	return y;
}

/* Children are balanced and differ in height by at most 2. */
static struct vi_at_node *rebalance(struct vi_at_node *t)
{
	int bal = ht(t->left) - ht(t->right);

	if (bal > 1) {
		if (ht(t->left->left) < ht(t->left->right))
			t->left = rot_left(t->left);
		return rot_right(t);
	}
	if (bal < -1) {
		if (ht(t->right->right) < ht(t->right->left))
			t->right = rot_right(t->right);
		return rot_left(t);
	}
	pull(t);
	return t;
}

struct vi_at_node *vi_at_insert(struct vi_at_node *t, struct vi_at_node *n)
{
	if (!t) {
		n->left = n->right = NULL;
		pull(n);
		return n;
	}
	if (n->start < t->start)
		t->left = vi_at_insert(t->left, n);
	else
		t->right = vi_at_insert(t->right, n);
	return rebalance(t);
}

static struct vi_at_node *remove_min(struct vi_at_node *t, struct vi_at_node **min)
{
	if (!t->left) {
		*min = t;
		return t->right;
	}
	t->left = remove_min(t->left, min);
	return rebalance(t);
}

struct vi_at_node *vi_at_remove(struct vi_at_node *t, uint64_t key, struct vi_at_node **out)
{
	struct vi_at_node *m, *r;

	if (!t) {
		*out = NULL;
		return NULL;
	}
	if (key < t->start) {
		t->left = vi_at_remove(t->left, key, out);
		return rebalance(t);
	}
	if (key > t->start) {
		t->right = vi_at_remove(t->right, key, out);
		return rebalance(t);
	}
	*out = t;
	if (!t->left)
		return t->right;
	if (!t->right)
		return t->left;
	r = remove_min(t->right, &m);
	m->left = t->left;
	m->right = r;
	return rebalance(m);
}

void vi_at_touch(struct vi_at_node *t, uint64_t key)
{
	if (!t)
		return;
	if (key < t->start)
		vi_at_touch(t->left, key);
	else if (key > t->start)
		vi_at_touch(t->right, key);
	pull(t);
}

struct vi_at_node *vi_at_floor(struct vi_at_node *t, uint64_t key)
{
	struct vi_at_node *best = NULL;

	while (t) {
		if (t->start <= key) {
			best = t;
			t = t->right;
		} else {
			t = t->left;
		}
	}
	return best;
}

void vi_at_around(struct vi_at_node *t, uint64_t key, struct vi_at_node **le, struct vi_at_node **gt)
{
	*le = *gt = NULL;
	while (t) {
		if (t->start <= key) {
			*le = t;
			t = t->right;
		} else {
			*gt = t;
			t = t->left;
		}
	}
}

int vi_at_walk(struct vi_at_node *t, vi_at_walk_fn fn, void *arg)
{
	int r;

	if (!t)
		return 0;
	r = vi_at_walk(t->left, fn, arg);
	if (r)
		return r;
	r = fn(t, arg);
	if (r)
		return r;
	return vi_at_walk(t->right, fn, arg);
}

/* In-order state of the check: the previous node, to test order and disjointness. */
struct check {
	const struct vi_at_node *prev;
	uint64_t count;
	struct vi_err *e;
};

static int check_rec(const struct vi_at_node *t, struct check *c, int depth)
{
	int hl, hr, h;
	uint64_t m;

	if (!t)
		return 0;
	if (depth > 128)
		return vi_errf(c->e, -EUCLEAN, "tree deeper than 128 (a cycle?) at [%#" PRIx64 ", %#" PRIx64 "]",
			       t->start, t->last);
	hl = check_rec(t->left, c, depth + 1);
	if (hl < 0)
		return hl;
	if (t->start > t->last)
		return vi_errf(c->e, -EUCLEAN, "node [%#" PRIx64 ", %#" PRIx64 "] has start > last",
			       t->start, t->last);
	if (c->prev && c->prev->last >= t->start)
		return vi_errf(c->e, -EUCLEAN, "node [%#" PRIx64 ", %#" PRIx64 "] is not above [%#" PRIx64
			       ", %#" PRIx64 "] in order", t->start, t->last, c->prev->start, c->prev->last);
	c->prev = t;
	c->count++;
	hr = check_rec(t->right, c, depth + 1);
	if (hr < 0)
		return hr;
	h = 1 + (hl > hr ? hl : hr);
	if (t->height != h)
		return vi_errf(c->e, -EUCLEAN, "node [%#" PRIx64 ", %#" PRIx64 "] stores height %d, real %d",
			       t->start, t->last, t->height, h);
	if (hl - hr > 1 || hr - hl > 1)
		return vi_errf(c->e, -EUCLEAN, "node [%#" PRIx64 ", %#" PRIx64 "] unbalanced: %d vs %d",
			       t->start, t->last, hl, hr);
	m = max3(t->last - t->start, vi_at_max_m1(t->left), vi_at_max_m1(t->right));
	if (t->max_m1 != m)
		return vi_errf(c->e, -EUCLEAN, "node [%#" PRIx64 ", %#" PRIx64 "] stores max %#" PRIx64
			       ", real %#" PRIx64, t->start, t->last, t->max_m1, m);
	return h;
}

int vi_at_check(const struct vi_at_node *t, uint64_t *count, struct vi_err *e)
{
	struct check c = { .prev = NULL, .count = 0, .e = e };
	int r = check_rec(t, &c, 0);

	if (count)
		*count = c.count;
	return r < 0 ? r : 0;
}
