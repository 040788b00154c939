/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/* Opening and closing devices: checks from sysfs first, then the backend's own open. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vfioiommu/sriov.h>

#include "backend/internal.h"
#include "device.h"
#include "internal.h"

static void device_free_locked(struct vfioiommu_ctx *ctx, struct vfioiommu_device *dev)
{
	struct vfioiommu_device **pp;

	for (pp = &ctx->devices; *pp; pp = &(*pp)->next) {
		if (*pp == dev) {
			*pp = dev->next;
			break;
		}
	}
	if (dev->rings_gone)
		dev->rings_gone(dev);
	if (ctx->objs_dev_gone)
		ctx->objs_dev_gone(ctx, dev);
	if (dev->mig_gone)
		dev->mig_gone(dev);
	vi_device_state_free(dev);
	if (ctx->be && ctx->be->device_close)
		ctx->be->device_close(ctx, dev);
	free(dev);
	/* detaching can widen the usable ranges (type1 and iommufd both recompute) */
	vi_space_changed(ctx, false);
}

void vi_devices_close_all(struct vfioiommu_ctx *ctx)
{
	/* The list is newest-first, so this closes in reverse order of opening. */
	while (ctx->devices)
		device_free_locked(ctx, ctx->devices);
}

static int device_check(struct vfioiommu_ctx *ctx, const char *bdf, unsigned int *group, bool *mdev)
{
	char driver[128];
	struct vfioiommu_device *d;
	const char *bus;
	int rc;

	*mdev = vi_uuid_check(bdf) == 0;
	if (!*mdev && vi_bdf_check(bdf) < 0)
		return vi_fail(ctx, -EINVAL, "\"%s\" is not a PCI address of the form 0000:03:00.0 nor a "
			       "mediated device's UUID (lower-case 8-4-4-4-12 hex digits)", bdf ? bdf : "(null)");
	bus = vi_dev_bus(bdf);
	for (d = ctx->devices; d; d = d->next)
		if (!strcmp(d->bdf, bdf))
			return vi_fail(ctx, -EBUSY, "device %s is already open in this context", bdf);
	rc = vi_sysfs_refused(ctx, "vfioiommu_device_open (it finds the device, its group and driver in sysfs; "
			      "vfioiommu_device_adopt() takes a device fd instead)");
	if (rc < 0)
		return rc;
	rc = vi_sysfs_exists(ctx, "bus/%s/devices/%s", bus, bdf);
	if (rc < 0)
		return vi_fail(ctx, rc == -ENOENT ? -ENOENT : rc, "device %s: not found in %s/bus/%s/devices (%s)%s",
			       bdf, ctx->sysfs_root, bus, vi_errno_name(rc),
			       *mdev && rc == -ENOENT ? ": create it first (vfioiommu_mdev_create)" : "");
	rc = vi_sysfs_device_group(ctx, bdf, group);
	if (rc < 0)
		return vi_fail(ctx, rc == -ENOENT ? -ENODEV : rc,
			       "device %s has no IOMMU group (%s): %s", bdf, vi_sysfs_errstr(rc),
			       *mdev ? "its parent driver did not register it with VFIO" : "is the IOMMU enabled?");
	rc = vi_sysfs_device_driver(ctx, bdf, driver, sizeof(driver));
	if (rc < 0)
		return vi_fail(ctx, rc, "device %s: cannot read its driver (%s)", bdf, vi_sysfs_errstr(rc));
	if (!driver[0])
		return vi_fail(ctx, -ENODEV, "device %s is not bound to any driver; %s", bdf,
			       *mdev ? "bind it to its parent's mdev driver (/sys/bus/mdev/drivers)" : "bind it to vfio-pci");
	/* every driver on the mdev bus is a VFIO driver (mtty, mdpy, kvmgt, ...) */
	if (!*mdev && !vi_driver_is_vfio(driver))
		return vi_fail(ctx, -ENODEV, "device %s is bound to %s, not to vfio-pci", bdf, driver);
	return 0;
}

static int open_dev(vfioiommu_ctx *ctx, const char *bdf, const uint8_t *vf_token, vfioiommu_device **out)
{
	struct vfioiommu_device *dev;
	unsigned int group = 0;
	bool mdev = false;
	int rc;

	pthread_mutex_lock(&ctx->lock);
	rc = device_check(ctx, bdf, &group, &mdev);
	if (rc < 0)
		goto out;
	dev = calloc(1, sizeof(*dev));
	if (!dev) {
		rc = vi_fail(ctx, -ENOMEM, "out of memory");
		goto out;
	}
	dev->ctx = ctx;
	dev->fd = -1;
	dev->group = group;
	dev->mdev = mdev;
	snprintf(dev->bdf, sizeof(dev->bdf), "%s", bdf);
	if (vf_token) {
		dev->has_vf_token = true;
		memcpy(dev->vf_token, vf_token, sizeof(dev->vf_token));
	}
	if (!ctx->be) {
		rc = vi_backend_select(ctx, bdf);
		if (rc < 0) {
			free(dev);
			goto out;
		}
	}
	rc = ctx->be->device_open(ctx, dev);
	if (rc < 0) {
		free(dev);
		goto out;
	}
	dev->next = ctx->devices;
	ctx->devices = dev;
	*out = dev;
	vi_space_changed(ctx, false);
out:
	pthread_mutex_unlock(&ctx->lock);
	return rc;
}

VFIOIOMMU_API int vfioiommu_device_open(vfioiommu_ctx *ctx, const char *bdf, vfioiommu_device **out)
{
	if (!ctx)
		return -EINVAL;
	if (!out)
		return vi_fail(ctx, -EINVAL, "vfioiommu_device_open: out is NULL");
	*out = NULL;
	return open_dev(ctx, bdf, NULL, out);
}

VFIOIOMMU_API int vfioiommu_device_open_with(vfioiommu_ctx *ctx, const char *bdf,
					     const struct vfioiommu_open_opts *opts, vfioiommu_device **out)
{
	struct vfioiommu_open_opts o = { 0 };
	int rc;

	if (!ctx)
		return -EINVAL;
	if (!out)
		return vi_fail(ctx, -EINVAL, "vfioiommu_device_open_with: out is NULL");
	*out = NULL;
	rc = vi_read_sized(ctx, "vfioiommu_device_open_with", &o, sizeof(o), opts,
			   offsetof(struct vfioiommu_open_opts, vf_token) + sizeof(opts->vf_token));
	if (rc < 0)
		return rc;
	if (o.flags)
		return vi_fail(ctx, -EINVAL, "vfioiommu_device_open_with: opts->flags 0x%x must be 0", o.flags);
	return open_dev(ctx, bdf, o.vf_token, out);
}

VFIOIOMMU_API void vfioiommu_device_close(vfioiommu_device *dev)
{
	struct vfioiommu_ctx *ctx;

	if (!dev)
		return;
	ctx = dev->ctx;
	pthread_mutex_lock(&ctx->lock);
	device_free_locked(ctx, dev);
	pthread_mutex_unlock(&ctx->lock);
}

VFIOIOMMU_API const char *vfioiommu_device_name(const vfioiommu_device *dev)
{
	return dev ? dev->bdf : "";
}

VFIOIOMMU_API unsigned int vfioiommu_device_group(const vfioiommu_device *dev)
{
	return dev ? dev->group : 0;
}

VFIOIOMMU_API int vfioiommu_device_fd(const vfioiommu_device *dev)
{
	return dev ? dev->fd : -EINVAL;
}

