/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/* iommufd backend internals shared with the modules above it (pasid, fault). */
#ifndef VI_IOMMUFD_H
#define VI_IOMMUFD_H

#include <stddef.h>
#include <stdint.h>

struct vfioiommu_ctx;

/* context.c: "/dev/vfio/devices/vfioN" for a device (-ENOENT when it has no cdev). */

/*
 * The /dev/iommu fd and IOAS id of a context on the iommufd backend.  Caller
 * holds ctx->lock.  0, or -ENODEV (no backend yet) / -EOPNOTSUPP (container),
 * with the context's message set.
 */
int vi_iommufd_get(struct vfioiommu_ctx *ctx, int *fd, uint32_t *ioas);

#endif
