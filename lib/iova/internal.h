/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * iova/: the IOVA space as data: range lists, the VFIO *_INFO capability
 * chains, reserved regions (parsed from sysfs, merged, subtracted), and the
 * allocator with the range tree the DMA table also keys its mappings on.
 * Only core/ below it.
 */
#ifndef VI_IOVA_INTERNAL_H
#define VI_IOVA_INTERNAL_H

#include <stddef.h>

#include "alloc_tree.h"
#include "caps.h"
#include "core/internal.h"

/* resv_sysfs.c: first RESV_DIRECT region of a group as text for messages, "" if none. */
void vi_group_direct_region(struct vfioiommu_ctx *ctx, unsigned int group, char *out, size_t n);

#endif
