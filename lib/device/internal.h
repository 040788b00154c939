/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * device/: opening devices and what a device fd offers (regions, IRQs,
 * reset, PCI helpers, binding to vfio-pci).  Built on core/, iova/ (the INFO
 * chains), backend/ (the device's own open) and hotplug/ (bind waits for
 * the kernel's uevents).
 */
#ifndef VI_DEVICE_INTERNAL_H
#define VI_DEVICE_INTERNAL_H

#include "core/internal.h"

/* Close every device of the context, newest first (ctx->lock held; at teardown). */
void vi_devices_close_all(struct vfioiommu_ctx *ctx);
/*
 * Where a live vfioiommu_region_mmap() of @dev already shows [off, off + len)
 * of region @index, or NULL: callers that need the bytes in the process
 * (peer/ on a container) reuse it instead of mapping the region again.
 */
void *vi_region_mapped(struct vfioiommu_device *dev, uint32_t index, uint64_t off, uint64_t len);

#endif
