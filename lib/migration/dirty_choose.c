/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * Which dirty tracker fits a context (dirty.h, vfioiommu_dirty_choose()):
 * device DMA logging when every open device offers it, else iommufd page
 * tables with DIRTY_TRACKING when every device's RID is on one (iommufd/
 * records it in dev->rid_on_dirty_pt), else the type1v2 container's, else
 * none.  A device is asked with a PROBE of
 * DMA_LOGGING_START (0: offered; ENOTTY: not; FACTS.md: mtty 0, e1000e ENOTTY).
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <vfioiommu/caps.h>
#include <vfioiommu/context.h>

#include "kabi/kabi.h"
#include "mig.h"

/* 1: the device logs its DMA; 0: it does not; -errno (ctx->lock held). */
static int logs_dma(struct vfioiommu_device *dev)
{
	struct { uint32_t argsz, flags; } p = {
		sizeof(p), KABI_VFIO_DEVICE_FEATURE_PROBE | KABI_VFIO_DEVICE_FEATURE_SET |
			   KABI_VFIO_DEVICE_FEATURE_DMA_LOGGING_START,
	};
	int rc = vi_kioctl(dev->ctx, dev->fd, KABI_VFIO_DEVICE_FEATURE, &p);

	if (rc == -ENOTTY || rc == -EINVAL)
		return 0;
	return rc < 0 ? vi_fail(dev->ctx, rc, "%s: probing DMA logging failed: %s", dev->bdf, vi_errno_name(rc)) : 1;
}

VFIOIOMMU_API int vfioiommu_dirty_choose(vfioiommu_ctx *ctx, struct vfioiommu_dirty_choice *choice)
{
	struct vfioiommu_dirty_choice c = { .size = sizeof(c), .tracker = VFIOIOMMU_DIRTY_NONE };
	struct vfioiommu_device *d, *without = NULL, *no_pt = NULL;
	struct vfioiommu_iommu_info info = { .size = sizeof(info) };
	unsigned int n = 0;
	int rc = 0;

	if (!ctx)
		return -EINVAL;
	if ((rc = vi_check_size(ctx, "vfioiommu_dirty_choose", choice, choice ? choice->size : 0,
				offsetof(struct vfioiommu_dirty_choice, reason) + sizeof(c.reason))) < 0)
		return rc;
	pthread_mutex_lock(&ctx->lock);
	for (d = ctx->devices; d && rc >= 0; d = d->next) {
		n++;
		rc = logs_dma(d);
		if (rc == 0 && !without)
			without = d;
		if (!d->rid_on_dirty_pt && !no_pt)
			no_pt = d;
	}
	pthread_mutex_unlock(&ctx->lock);
	if (rc < 0)
		return rc;
	rc = 0;
	if (!n)
		return vi_fail(ctx, -ENODEV, "vfioiommu_dirty_choose: no device is open in the context");
	if (!without) {
		c.tracker = VFIOIOMMU_DIRTY_DEVICE_LOG;
		snprintf(c.reason, sizeof(c.reason), "every device (%u) logs its own DMA: the reports say what they "
			 "wrote", n);
	} else if (ctx->backend == VFIOIOMMU_BACKEND_IOMMUFD && !no_pt) {
		c.tracker = VFIOIOMMU_DIRTY_HWPT;
		snprintf(c.reason, sizeof(c.reason), "device %s does not log its DMA; every device (%u) is on an iommufd "
			 "page table with DIRTY_TRACKING: the IOMMU reports what they wrote", without->bdf, n);
	} else if (ctx->backend == VFIOIOMMU_BACKEND_TYPE1V2 && vfioiommu_ctx_iommu_info(ctx, &info, NULL) == 0 &&
		   info.has_migration) {
		c.tracker = VFIOIOMMU_DIRTY_TYPE1;
		snprintf(c.reason, sizeof(c.reason), "device %s does not log its DMA; the type1v2 container tracks for "
			 "all (every mapped page of a device that pins nothing counts as dirty)", without->bdf);
	} else {
		snprintf(c.reason, sizeof(c.reason), "device %s does not log its DMA, and the context uses %s%s",
			 without->bdf, vfioiommu_backend_name(ctx->backend),
			 ctx->backend == VFIOIOMMU_BACKEND_TYPE1V2 ? " without the MIGRATION capability"
			 : ctx->backend == VFIOIOMMU_BACKEND_IOMMUFD ? ", and not every device is on an HWPT (page table) with "
								     "DIRTY_TRACKING (vfioiommu_pagetable_new())"
								   : ", which tracks nothing");
		rc = vi_fail(ctx, -EOPNOTSUPP, "vfioiommu_dirty_choose: no tracker fits: %s", c.reason);
	}
	vi_copy_sized(choice, &c, sizeof(c));
	return rc;
}
