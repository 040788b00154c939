/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/* Devices from handed-in fds: a group-path device fd, a group fd, a cdev (bound or not).  No sysfs. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vfioiommu/adopt.h>

#include "backend/internal.h"
#include "device.h"
#include "internal.h"

static int check_args(struct vfioiommu_ctx *ctx, enum vfioiommu_fd_kind kind, int fd,
		      const struct vfioiommu_adopt_opts *o)
{
	bool container = ctx->be == &vi_container_ops;

	if (o->flags || o->reserved)
		return vi_fail(ctx, -EINVAL, "vfioiommu_device_adopt: opts->flags 0x%x and opts->reserved %u must "
			       "be 0", o->flags, o->reserved);
	if (kind != VFIOIOMMU_FD_DEVICE && kind != VFIOIOMMU_FD_GROUP && kind != VFIOIOMMU_FD_CDEV &&
	    kind != VFIOIOMMU_FD_CDEV_BOUND)
		return vi_fail(ctx, -EINVAL, "vfioiommu_device_adopt: kind %d (%s) is not a device, group or cdev; "
			       "an iommufd or container fd makes a context (vfioiommu_ctx_adopt())", (int)kind,
			       vfioiommu_fd_kind_name(kind));
	if (fd < 0 && !(kind == VFIOIOMMU_FD_GROUP && fd == -1))
		return vi_fail(ctx, -EINVAL, "vfioiommu_device_adopt: fd %d is not an fd", fd);
	if (kind == VFIOIOMMU_FD_GROUP && (!o->name || vi_bdf_check(o->name) < 0))
		return vi_fail(ctx, -EINVAL, "vfioiommu_device_adopt: a group fd needs opts->name, the PCI address "
			       "of the device to take from it (\"%s\" is none)", o->name ? o->name : "(null)");
	if (o->name && strlen(o->name) >= VI_BDF_MAX)
		return vi_fail(ctx, -EINVAL, "vfioiommu_device_adopt: opts->name is longer than %d bytes",
			       VI_BDF_MAX - 1);
	if (kind == VFIOIOMMU_FD_CDEV_BOUND && !o->devid)
		return vi_fail(ctx, -EINVAL, "vfioiommu_device_adopt: a bound cdev needs opts->devid, the id "
			       "VFIO_DEVICE_BIND_IOMMUFD returned");
	if (!ctx->be)
		return vi_fail(ctx, -ENODEV, "vfioiommu_device_adopt: the context has no backend yet: adopt its "
			       "iommufd or container fd first (vfioiommu_ctx_adopt())");
	if (container && (kind == VFIOIOMMU_FD_CDEV || kind == VFIOIOMMU_FD_CDEV_BOUND))
		return vi_fail(ctx, -EOPNOTSUPP, "vfioiommu_device_adopt: a cdev fd on a container context: cdevs "
			       "are bound to an iommufd (adopt one into another context)");
	if (!container && (kind == VFIOIOMMU_FD_DEVICE || kind == VFIOIOMMU_FD_GROUP))
		return vi_fail(ctx, -EOPNOTSUPP, "vfioiommu_device_adopt: a %s fd on a context that uses %s, "
			       "where devices come as cdev fds", vfioiommu_fd_kind_name(kind),
			       vfioiommu_backend_name(ctx->backend));
	for (struct vfioiommu_device *d = ctx->devices; d; d = d->next) {
		if (fd >= 0 && d->fd == fd)
			return vi_fail(ctx, -EBUSY, "vfioiommu_device_adopt: fd %d is already device %s of this "
				       "context", fd, d->bdf);
		if (o->name && !strcmp(d->bdf, o->name))
			return vi_fail(ctx, -EBUSY, "device %s is already open in this context", o->name);
	}
	return 0;
}

/* A group fd: adopt the group unless it is there, then take the device; undo the adoption on failure. */
static int from_group(struct vfioiommu_ctx *ctx, struct vfioiommu_device *dev, int fd)
{
	int gfd = vi_container_group_fd(ctx, dev->group), rc;
	bool adopted = false;

	if (gfd < 0) {
		if (fd < 0)
			return vi_fail(ctx, -ENOENT, "vfioiommu_device_adopt: group %u is not in this context and no "
				       "group fd was given", dev->group);
		rc = vi_container_adopt_group(ctx, fd, dev->group);
		if (rc < 0)
			return rc;
		adopted = true;
	} else if (fd >= 0 && fd != gfd) {
		return vi_fail(ctx, -EBUSY, "vfioiommu_device_adopt: group %u is already in this context with fd "
			       "%d; pass -1 or that fd, not %d", dev->group, gfd, fd);
	}
	rc = vi_container_device_from_group(ctx, dev);
	if (rc < 0 && adopted)
		vi_container_unadopt_group(ctx, dev->group);
	return rc;
}

VFIOIOMMU_API int vfioiommu_device_adopt(vfioiommu_ctx *ctx, enum vfioiommu_fd_kind kind, int fd,
					 const struct vfioiommu_adopt_opts *opts, vfioiommu_device **out)
{
	struct vfioiommu_adopt_opts o = { 0 };
	struct vfioiommu_device *dev;
	int rc;

	if (!ctx)
		return -EINVAL;
	if (!out)
		return vi_fail(ctx, -EINVAL, "vfioiommu_device_adopt: out is NULL");
	*out = NULL;
	rc = vi_read_sized(ctx, "vfioiommu_device_adopt", &o, sizeof(o), opts,
			   offsetof(struct vfioiommu_adopt_opts, name) + sizeof(opts->name));
	if (rc < 0)
		return rc;
	pthread_mutex_lock(&ctx->lock);
	rc = check_args(ctx, kind, fd, &o);
	if (rc < 0)
		goto out;
	dev = calloc(1, sizeof(*dev));
	if (!dev) {
		rc = vi_fail(ctx, -ENOMEM, "out of memory");
		goto out;
	}
	dev->ctx = ctx;
	dev->fd = -1;
	dev->group = o.group;
	dev->adopted = true;
	if (o.name)
		snprintf(dev->bdf, sizeof(dev->bdf), "%s", o.name);
	else
		snprintf(dev->bdf, sizeof(dev->bdf), "fd %d", fd);
	switch (kind) {
	case VFIOIOMMU_FD_DEVICE:
		rc = vi_container_device_adopt(ctx, dev, fd);
		break;
	case VFIOIOMMU_FD_GROUP:
		rc = from_group(ctx, dev, fd);
		break;
	default:
		rc = vi_iommufd_device_adopt(ctx, dev, fd, kind == VFIOIOMMU_FD_CDEV_BOUND ? o.devid : 0);
	}
	if (rc < 0) {
		free(dev);
		goto out;
	}
	dev->next = ctx->devices;
	ctx->devices = dev;
	if (!ctx->sysfs_given)
		ctx->no_sysfs = true;
	*out = dev;
	vi_space_changed(ctx, false);
	vi_log(ctx, VFIOIOMMU_LOG_INFO, "adopted %s fd %d as device %s", vfioiommu_fd_kind_name(kind), fd, dev->bdf);
out:
	pthread_mutex_unlock(&ctx->lock);
	return rc;
}
