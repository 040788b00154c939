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

#endif
