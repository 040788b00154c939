/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * A type1 container's dirty tracking ioctl, for migration/: the container's
 * address-space ioctls stay in this area (the unmap that also returns the
 * bits is container.c's unmap_dirty operation).
 */
#include <errno.h>

#include "core/internal.h"
#include "internal.h"
#include "kabi/kabi.h"

int vi_container_dirty_pages(struct vfioiommu_ctx *ctx, struct kabi_vfio_dirty_bitmap_get *g)
{
	int fd = vi_container_fd(ctx);
	int rc;

	if (fd < 0)
		return fd;
	rc = vi_kioctl(ctx, fd, KABI_VFIO_IOMMU_DIRTY_PAGES, g);
	return rc < 0 ? rc : 0;
}
