/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/* Building an IOVA list in place, for producers whose output is already sorted. */
#ifndef VI_IOVA_BUILD_H
#define VI_IOVA_BUILD_H

#include <vfioiommu/iova.h>

/* An empty list with room for @cap ranges, or NULL. */
struct vfioiommu_iova_list *vi_iova_list_alloc(size_t cap, enum vfioiommu_iova_source src);
/* Append [start, last] (start >= every earlier start; start <= last), coalescing; needs room. */
void vi_iova_list_push(struct vfioiommu_iova_list *l, uint64_t start, uint64_t last);

#endif
