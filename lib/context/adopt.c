/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/* A context's address space from a handed-in iommufd or container fd, and groups from group fds. */
#include <errno.h>
#include <stddef.h>

#include <vfioiommu/adopt.h>

#include "backend/internal.h"
#include "core/internal.h"

VFIOIOMMU_API int vfioiommu_ctx_adopt(vfioiommu_ctx *ctx, enum vfioiommu_fd_kind kind, int fd,
				      const struct vfioiommu_adopt_opts *opts)
{
	struct vfioiommu_adopt_opts o = { 0 };
	int rc;

	if (!ctx)
		return -EINVAL;
	rc = vi_read_sized(ctx, "vfioiommu_ctx_adopt", &o, sizeof(o), opts,
			   offsetof(struct vfioiommu_adopt_opts, name) + sizeof(opts->name));
	if (rc < 0)
		return rc;
	{
		if ((o.flags & ~(uint32_t)VFIOIOMMU_ADOPT_LIVE) || o.reserved)
			return vi_fail(ctx, -EINVAL, "vfioiommu_ctx_adopt: opts->flags 0x%x (only VFIOIOMMU_ADOPT_LIVE "
				       "is defined) and opts->reserved %u must be 0", o.flags, o.reserved);
	}
	if (fd < 0)
		return vi_fail(ctx, -EINVAL, "vfioiommu_ctx_adopt: fd %d is not an fd", fd);
	pthread_mutex_lock(&ctx->lock);
	switch (kind) {
	case VFIOIOMMU_FD_IOMMUFD:
	case VFIOIOMMU_FD_CONTAINER:
		if (ctx->be) {
			rc = vi_fail(ctx, -EBUSY, "vfioiommu_ctx_adopt: this context already has a backend (%s); "
				     "adopt its iommufd or container fd into a new context",
				     vfioiommu_backend_name(ctx->backend));
			break;
		}
		rc = kind == VFIOIOMMU_FD_IOMMUFD ? vi_iommufd_adopt(ctx, fd, o.ioas_id) :
		     vi_container_adopt(ctx, fd, o.flags & VFIOIOMMU_ADOPT_LIVE);
		break;
	case VFIOIOMMU_FD_GROUP:
		if (!ctx->be)
			rc = vi_fail(ctx, -ENODEV, "vfioiommu_ctx_adopt: group fd %d before any container: adopt the "
				     "container fd (VFIOIOMMU_FD_CONTAINER) first", fd);
		else if (ctx->be != &vi_container_ops)
			rc = vi_fail(ctx, -EOPNOTSUPP, "vfioiommu_ctx_adopt: group fd %d on a context that uses %s, "
				     "where devices come as cdev fds", fd, vfioiommu_backend_name(ctx->backend));
		else
			rc = vi_container_adopt_group(ctx, fd, o.group);
		break;
	default:
		rc = vi_fail(ctx, -EINVAL, "vfioiommu_ctx_adopt: kind %d (%s) is not an iommufd, container or "
			     "group; devices are adopted with vfioiommu_device_adopt()", (int)kind,
			     vfioiommu_fd_kind_name(kind));
	}
	if (rc == 0) {
		/* from now on nothing is read under /sys unless the caller pointed at a tree */
		if (!ctx->sysfs_given)
			ctx->no_sysfs = true;
		vi_log(ctx, VFIOIOMMU_LOG_INFO, "adopted %s fd %d", vfioiommu_fd_kind_name(kind), fd);
	}
	pthread_mutex_unlock(&ctx->lock);
	return rc;
}
