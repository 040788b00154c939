/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/* Which backend a context uses, and the sentence that says why. */
#include <errno.h>
#include <stdio.h>

#include "internal.h"

VFIOIOMMU_API const char *vfioiommu_backend_name(enum vfioiommu_backend b)
{
	switch (b) {
	case VFIOIOMMU_BACKEND_NONE: return "none";
	case VFIOIOMMU_BACKEND_TYPE1V2: return "type1v2";
	case VFIOIOMMU_BACKEND_TYPE1: return "type1";
	case VFIOIOMMU_BACKEND_NOIOMMU: return "noiommu";
	case VFIOIOMMU_BACKEND_IOMMUFD: return "iommufd";
	}
	return "unknown";
}

/*
 * AUTO: iommufd when /dev/iommu and the device's cdev exist.  Only -ENOENT
 * means "absent"; any other error (EACCES, EIO) is reported rather than
 * silently steering the choice to the container.
 */
static int choose_auto(struct vfioiommu_ctx *ctx, const char *bdf, const struct vi_backend_ops **be)
{
	char cdev[VI_PATH_MAX] = "";
	int rc;

	*be = &vi_container_ops;
	if (!bdf) {
		snprintf(ctx->backend_reason, sizeof(ctx->backend_reason),
			 "container: a group was added by number (groups are a container concept)");
		return 0;
	}
	rc = vi_kexists(ctx, "/dev/iommu");
	if (rc == -ENOENT) {
		snprintf(ctx->backend_reason, sizeof(ctx->backend_reason),
			 "container: /dev/iommu does not exist (kernel without CONFIG_IOMMUFD)");
		return 0;
	}
	if (rc < 0)
		return vi_fail(ctx, rc, "choosing a backend: cannot check /dev/iommu (%s)", vi_errno_name(rc));
	rc = vi_device_cdev_path(ctx, bdf, cdev, sizeof(cdev));
	if (rc == 0)
		rc = vi_kexists(ctx, cdev);
	if (rc == -ENOENT) {
		snprintf(ctx->backend_reason, sizeof(ctx->backend_reason),
			 "container: /dev/iommu exists but device %s has no VFIO cdev%s%s "
			 "(kernel older than 6.6 or without CONFIG_VFIO_DEVICE_CDEV)",
			 bdf, cdev[0] ? " " : "", cdev);
		return 0;
	}
	if (rc < 0)
		return vi_fail(ctx, rc, "choosing a backend: cannot look up the VFIO cdev of %s (%s)", bdf,
			       vi_errno_name(rc));
	*be = &vi_iommufd_ops;
	snprintf(ctx->backend_reason, sizeof(ctx->backend_reason), "iommufd: /dev/iommu and %s exist", cdev);
	return 0;
}

int vi_backend_select(struct vfioiommu_ctx *ctx, const char *bdf)
{
	const struct vi_backend_ops *be;
	int rc;

	switch (ctx->mode) {
	case VFIOIOMMU_MODE_IOMMUFD:
		be = &vi_iommufd_ops;
		snprintf(ctx->backend_reason, sizeof(ctx->backend_reason), "iommufd: requested by the caller");
		break;
	case VFIOIOMMU_MODE_CONTAINER:
	case VFIOIOMMU_MODE_NOIOMMU:
	case VFIOIOMMU_MODE_TYPE1:
		be = &vi_container_ops;
		snprintf(ctx->backend_reason, sizeof(ctx->backend_reason), "container: requested by the caller%s",
			 ctx->mode == VFIOIOMMU_MODE_NOIOMMU ? " (no-IOMMU mode)" :
			 ctx->mode == VFIOIOMMU_MODE_TYPE1 ? " (type1 asked for)" : "");
		break;
	default:
		rc = choose_auto(ctx, bdf, &be);
		if (rc < 0)
			return rc;
	}
	ctx->be = be;
	rc = be->open(ctx);
	if (rc < 0) {
		ctx->be = NULL;
		ctx->be_priv = NULL;
		ctx->backend = VFIOIOMMU_BACKEND_NONE;
		return rc;
	}
	/* the reason starts with the family ("container: ...", "iommufd: ..."); a container's IOMMU type
	   is chosen with its first group, and set_type() says which */
	vi_log(ctx, VFIOIOMMU_LOG_INFO, "backend %s", ctx->backend_reason);
	return 0;
}

