/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * iommufd/: the iommufd objects a VMM makes beyond the context's own IOAS
 * (more IOASes, page tables, fault queues), as handles the context owns.
 * Only context/ is above it.
 */
#ifndef VI_IOMMUFD_INTERNAL_H
#define VI_IOMMUFD_INTERNAL_H

#include "core/internal.h"

/* Destroy every object the caller left (devices are closed already; ctx->lock held). */
void vi_objs_destroy(struct vfioiommu_ctx *ctx);

#endif
