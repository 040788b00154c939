/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * An AVL tree of disjoint inclusive ranges keyed by start, each subtree
 * augmented with its largest (last - start), so "lowest range at least this
 * long" searches can skip whole subtrees.  The IOVA allocator keeps its free
 * extents in one.  Callers own the nodes; the tree only links them.  Lengths are kept as last - start so a range may span all 2^64.
 */
#ifndef VI_ALLOC_TREE_H
#define VI_ALLOC_TREE_H

#include <stdint.h>

#include "core/internal.h"

struct vi_at_node {
	struct vi_at_node *left, *right;
	uint64_t start, last;
	uint64_t max_m1;    /* max (last - start) over this subtree */
	int height;         /* leaves are 1 */
};

static inline uint64_t vi_at_max_m1(const struct vi_at_node *t)
{
	return t ? t->max_m1 : 0;
}

/* Link n (start, last set; disjoint from every range in t); return the new root. */
struct vi_at_node *vi_at_insert(struct vi_at_node *t, struct vi_at_node *n);
/* Unlink the node whose start is key (*out = it, or NULL); return the new root. */
struct vi_at_node *vi_at_remove(struct vi_at_node *t, uint64_t key, struct vi_at_node **out);
/*
 * Recompute the augmentation on the path to the node whose start is key,
 * after its start or last changed without changing its place in the order.
 */
void vi_at_touch(struct vi_at_node *t, uint64_t key);
/* The last node with start <= key, or NULL. */
struct vi_at_node *vi_at_floor(struct vi_at_node *t, uint64_t key);
/* In one descent: *le = the last node with start <= key, *gt = the first with start > key (or NULL). */
void vi_at_around(struct vi_at_node *t, uint64_t key, struct vi_at_node **le, struct vi_at_node **gt);

/* Call fn on every node in start order; stops at and returns fn's first non-zero. */
typedef int (*vi_at_walk_fn)(struct vi_at_node *n, void *arg);
int vi_at_walk(struct vi_at_node *t, vi_at_walk_fn fn, void *arg);

/*
 * Debug check of the whole tree: search order, disjoint ranges, start <= last,
 * AVL balance, stored heights and augmentation.  O(n).  Sets *count to the
 * number of nodes.  @return 0, or -EUCLEAN with a message naming the node.
 */
int vi_at_check(const struct vi_at_node *t, uint64_t *count, struct vi_err *e);

#endif
