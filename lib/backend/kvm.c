/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/* The fds KVM's VFIO device (KVM_DEV_VFIO_FILE_ADD) and a hand-over to another process need. */
#include <errno.h>

#include <vfioiommu/adopt.h>

#include "core/internal.h"
#include "internal.h"

static int no_container(struct vfioiommu_ctx *ctx, const char *fn)
{
	if (!ctx->be)
		return vi_fail(ctx, -ENODEV, "%s: no backend yet: add a group or open a device first", fn);
	return vi_fail(ctx, -EOPNOTSUPP, "%s: this context uses %s, which has no container or groups (KVM takes "
		       "each device's cdev fd: vfioiommu_device_kvm_fd())", fn, vfioiommu_backend_name(ctx->backend));
}

VFIOIOMMU_API int vfioiommu_ctx_container_fd(vfioiommu_ctx *ctx)
{
	int rc;

	if (!ctx)
		return -EINVAL;
	pthread_mutex_lock(&ctx->lock);
	rc = ctx->be == &vi_container_ops ? vi_container_fd(ctx) : no_container(ctx, "vfioiommu_ctx_container_fd");
	pthread_mutex_unlock(&ctx->lock);
	return rc;
}

VFIOIOMMU_API int vfioiommu_ctx_group_fd(vfioiommu_ctx *ctx, unsigned int group)
{
	int rc;

	if (!ctx)
		return -EINVAL;
	pthread_mutex_lock(&ctx->lock);
	if (ctx->be != &vi_container_ops)
		rc = no_container(ctx, "vfioiommu_ctx_group_fd");
	else if ((rc = vi_container_group_fd(ctx, group)) < 0)
		rc = vi_fail(ctx, rc, "vfioiommu_ctx_group_fd: group %u is not in this context", group);
	pthread_mutex_unlock(&ctx->lock);
	return rc;
}

VFIOIOMMU_API int vfioiommu_device_kvm_fd(vfioiommu_device *dev)
{
	struct vfioiommu_ctx *ctx;
	int rc;

	if (!dev)
		return -EINVAL;
	ctx = dev->ctx;
	pthread_mutex_lock(&ctx->lock);
	if (ctx->be == &vi_container_ops) {
		rc = vi_container_group_fd(ctx, dev->group);
		if (rc < 0)
			rc = vi_fail(ctx, rc, "vfioiommu_device_kvm_fd: the group %u of %s is gone", dev->group,
				     dev->bdf);
	} else {
		rc = dev->fd;
	}
	pthread_mutex_unlock(&ctx->lock);
	return rc;
}
