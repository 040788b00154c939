/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/* IOVA allocator internals reachable from tests. */
#ifndef VI_ALLOC_H
#define VI_ALLOC_H

#include <stdbool.h>

#include <vfioiommu/alloc.h>

#include "core/internal.h"

/*
 * Debug check, O(n): both trees are valid AVL trees with correct
 * augmentation and counts; free extents and live blocks are min_align
 * granular, disjoint, and together tile the trimmed usable ranges exactly;
 * no two free extents touch (coalescing is complete); byte counters agree.
 * @return 0, -EUCLEAN with a message, -EINVAL NULL, -ENOMEM.
 */
int vi_iova_alloc_check(vfioiommu_iova_pool *a, struct vi_err *e);

/* Test hook: while on, every operation that may need a new tree node fails with -ENOMEM. */
void vi_iova_alloc_inject_enomem(vfioiommu_iova_pool *a, bool on);

#endif
