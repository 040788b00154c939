/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * Device reset (VFIO_DEVICE_RESET) and hot reset: the set of devices a slot
 * or bus reset would also reset, and the reset itself with the fds each
 * backend needs (the group fds of every affected group for a container, an
 * empty array for cdev-opened devices).  The kernel only says EINVAL when
 * the caller does not own every affected device; the library finds out which
 * ones first and names them.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/internal.h"
#include "device.h"
#include "kabi/kabi.h"

/* A bus rarely holds more than a handful of functions; grow on ENOSPC from here. */
#define VI_RESET_FIRST 8
#define VI_RESET_MAX 4096
#define VI_RESET_TRIES 4

VFIOIOMMU_API int vfioiommu_device_reset(vfioiommu_device *dev)
{
	const struct vi_device_info *info;
	int rc;

	if (!dev)
		return -EINVAL;
	pthread_mutex_lock(&dev->ctx->lock);
	rc = vi_dev_info_locked(dev, &info);
	if (rc == 0 && !(info->flags & KABI_VFIO_DEVICE_FLAGS_RESET))
		rc = vi_fail(dev->ctx, -EOPNOTSUPP, "%s cannot be reset on its own: the kernel does not set the RESET "
			     "flag (no function-level reset, PM reset or usable slot/bus reset); try "
			     "vfioiommu_device_hot_reset", dev->bdf);
	if (rc == 0) {
		rc = vi_kioctl(dev->ctx, dev->fd, KABI_VFIO_DEVICE_RESET, NULL);
		if (rc < 0)
			rc = vi_fail(dev->ctx, rc, "%s: VFIO_DEVICE_RESET failed: %s", dev->bdf, vi_errno_name(rc));
		else
			rc = 0;
	}
	pthread_mutex_unlock(&dev->ctx->lock);
	return rc;
}

/* The kernel's list, grown on ENOSPC.  *out is malloc'ed; *flags and *count from the header. */
static int query(struct vfioiommu_device *dev, uint32_t *flags, uint32_t *count,
		 struct kabi_vfio_pci_dependent_device **out)
{
	uint32_t room = VI_RESET_FIRST;

	for (int tries = 0; tries < VI_RESET_TRIES; tries++) {
		size_t sz = sizeof(struct kabi_vfio_pci_hot_reset_info) + (size_t)room * sizeof(**out);
		struct kabi_vfio_pci_hot_reset_info *h = calloc(1, sz);
		int rc;

		if (!h)
			return vi_fail(dev->ctx, -ENOMEM, "out of memory");
		h->argsz = (uint32_t)sz;
		rc = vi_kioctl(dev->ctx, dev->fd, KABI_VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, h);
		if (rc == -ENOSPC) {
			/* the kernel wrote the count it needs into the header */
			uint32_t need = h->count;

			free(h);
			if (need <= room || need > VI_RESET_MAX)
				return vi_fail(dev->ctx, -EPROTO, "%s: VFIO_DEVICE_GET_PCI_HOT_RESET_INFO: ENOSPC with room for %"
					       PRIu32 " devices but asks for %" PRIu32, dev->bdf, room, need);
			room = need;
			continue;
		}
		if (rc < 0) {
			free(h);
			if (rc == -ENODEV)
				return vi_fail(dev->ctx, -EOPNOTSUPP, "%s has no hot reset: no slot reset and its bus "
					       "cannot be reset (a device on a root bus, or behind a bridge without "
					       "secondary bus reset)", dev->bdf);
			return vi_fail(dev->ctx, rc, "%s: VFIO_DEVICE_GET_PCI_HOT_RESET_INFO failed: %s", dev->bdf,
				       vi_errno_name(rc));
		}
		if (h->count > room) {
			uint32_t got = h->count;

			free(h);
			return vi_fail(dev->ctx, -EPROTO, "%s: VFIO_DEVICE_GET_PCI_HOT_RESET_INFO returned %" PRIu32
				       " devices in room for %" PRIu32, dev->bdf, got, room);
		}
		*flags = h->flags;
		*count = h->count;
		*out = malloc(((size_t)h->count + 1) * sizeof(**out));
		if (!*out) {
			free(h);
			return vi_fail(dev->ctx, -ENOMEM, "out of memory");
		}
		memcpy(*out, h->devices, (size_t)h->count * sizeof(**out));
		free(h);
		return 0;
	}
	return vi_fail(dev->ctx, -EPROTO, "%s: VFIO_DEVICE_GET_PCI_HOT_RESET_INFO kept answering ENOSPC", dev->bdf);
}

static bool group_owned(struct vfioiommu_device *dev, uint32_t group)
{
	return vi_container_group_fd(dev->ctx, group) >= 0;
}

/* Build the public list (ctx->lock held). */
static int info_locked(struct vfioiommu_device *dev, struct vfioiommu_reset_info **out)
{
	struct kabi_vfio_pci_dependent_device *k = NULL;
	struct vfioiommu_reset_info *ri;
	uint32_t flags = 0, count = 0;
	int rc;

	/* a mediated device sits on no PCI bus: there is no bus or slot to reset */
	if (dev->mdev)
		return vi_fail(dev->ctx, -EOPNOTSUPP, "%s is a mediated device: it has no PCI bus or slot to hot "
			       "reset; use vfioiommu_device_reset()", dev->bdf);
	rc = query(dev, &flags, &count, &k);
	if (rc < 0)
		return rc;
	ri = calloc(1, sizeof(*ri) + (size_t)count * sizeof(ri->devs[0]));
	if (!ri) {
		free(k);
		return vi_fail(dev->ctx, -ENOMEM, "out of memory");
	}
	ri->devs = (struct vfioiommu_reset_dep *)(ri + 1);
	ri->count = count;
	ri->by_devid = flags & KABI_VFIO_PCI_HOT_RESET_FLAG_DEV_ID;
	ri->all_owned = true;
	for (uint32_t i = 0; i < count; i++) {
		struct vfioiommu_reset_dep *d = &ri->devs[i];

		snprintf(d->bdf, sizeof(d->bdf), "%04x:%02x:%02x.%x", k[i].segment, k[i].bus, k[i].devfn >> 3,
			 k[i].devfn & 7);
		if (ri->by_devid) {
			d->group = UINT32_MAX;
			d->devid = k[i].devid;
			d->owned = k[i].devid != KABI_VFIO_PCI_DEVID_NOT_OWNED;
		} else {
			d->group = k[i].group_id;
			d->devid = UINT32_MAX;
			d->owned = group_owned(dev, k[i].group_id);
		}
		if (!d->owned)
			ri->all_owned = false;
	}
	/* the kernel's own verdict for cdev users: DEV_ID_OWNED means an empty fd array is enough */
	if (ri->by_devid && !(flags & KABI_VFIO_PCI_HOT_RESET_FLAG_DEV_ID_OWNED))
		ri->all_owned = false;
	free(k);
	*out = ri;
	return 0;
}

VFIOIOMMU_API int vfioiommu_device_hot_reset_info(vfioiommu_device *dev, struct vfioiommu_reset_info **out)
{
	int rc;

	if (!dev)
		return -EINVAL;
	if (!out)
		return vi_fail(dev->ctx, -EINVAL, "vfioiommu_device_hot_reset_info: out is NULL");
	*out = NULL;
	pthread_mutex_lock(&dev->ctx->lock);
	rc = info_locked(dev, out);
	pthread_mutex_unlock(&dev->ctx->lock);
	return rc;
}

VFIOIOMMU_API void vfioiommu_reset_info_free(struct vfioiommu_reset_info *info)
{
	free(info);
}

/* "0000:03:00.1 (group 11, not in this context), ..." */
static int fail_blocked(struct vfioiommu_device *dev, const struct vfioiommu_reset_info *ri)
{
	char list[VI_MSG_MAX - 128];
	char drv[64];
	size_t used = 0;
	unsigned int n = 0;

	list[0] = '\0';
	for (uint32_t i = 0; i < ri->count && used < sizeof(list); i++) {
		const struct vfioiommu_reset_dep *d = &ri->devs[i];
		int k;

		if (d->owned)
			continue;
		n++;
		if (vi_sysfs_device_driver(dev->ctx, d->bdf, drv, sizeof(drv)) < 0)
			drv[0] = '\0';
		if (ri->by_devid)
			k = snprintf(list + used, sizeof(list) - used, "%s%s (%s%s)", n > 1 ? ", " : "", d->bdf,
				     drv[0] && !vi_driver_is_vfio(drv) ? "bound to " : "not bound to this iommufd",
				     drv[0] && !vi_driver_is_vfio(drv) ? drv : "");
		else
			k = snprintf(list + used, sizeof(list) - used, "%s%s (group %" PRIu32 "%s%s)", n > 1 ? ", " : "",
				     d->bdf, d->group, drv[0] && !vi_driver_is_vfio(drv) ? ", bound to " : ", not in this context",
				     drv[0] && !vi_driver_is_vfio(drv) ? drv : "");
		if (k < 0)
			break;
		used += (size_t)k;
	}
	if (!n)
		return vi_fail(dev->ctx, -EPERM, "%s: hot reset refused: the kernel does not report every affected "
			       "device as owned by this iommufd", dev->bdf);
	return vi_fail(dev->ctx, -EPERM, "%s: hot reset would also reset device%s this context does not own: %s",
		       dev->bdf, n > 1 ? "s" : "", list);
}

static int do_reset(struct vfioiommu_device *dev, const struct vfioiommu_reset_info *ri)
{
	struct kabi_vfio_pci_hot_reset *h;
	uint32_t n = 0;
	size_t sz;
	int rc;

	sz = sizeof(*h) + (ri->by_devid ? 0 : (size_t)ri->count * sizeof(int32_t));
	h = calloc(1, sz);
	if (!h)
		return vi_fail(dev->ctx, -ENOMEM, "out of memory");
	/* one fd per affected group, each once; cdev users send none */
	for (uint32_t i = 0; !ri->by_devid && i < ri->count; i++) {
		int fd = vi_container_group_fd(dev->ctx, ri->devs[i].group);
		bool dup = false;

		for (uint32_t j = 0; j < n; j++)
			dup = dup || h->group_fds[j] == fd;
		if (fd >= 0 && !dup)
			h->group_fds[n++] = fd;
	}
	h->argsz = (uint32_t)(sizeof(*h) + (size_t)n * sizeof(int32_t));
	h->count = n;
	rc = vi_kioctl(dev->ctx, dev->fd, KABI_VFIO_DEVICE_PCI_HOT_RESET, h);
	free(h);
	if (rc < 0)
		return vi_fail(dev->ctx, rc, "%s: VFIO_DEVICE_PCI_HOT_RESET (%" PRIu32 " group fd%s) failed: %s%s", dev->bdf,
			       n, n == 1 ? "" : "s", vi_errno_name(rc),
			       rc == -EBUSY ? " (another affected device is busy: mapped or in use)" : "");
	return 0;
}

VFIOIOMMU_API int vfioiommu_device_hot_reset(vfioiommu_device *dev)
{
	struct vfioiommu_reset_info *ri = NULL;
	int rc;

	if (!dev)
		return -EINVAL;
	pthread_mutex_lock(&dev->ctx->lock);
	rc = info_locked(dev, &ri);
	if (rc == 0 && !ri->all_owned)
		rc = fail_blocked(dev, ri);
	if (rc == 0)
		rc = do_reset(dev, ri);
	pthread_mutex_unlock(&dev->ctx->lock);
	free(ri);
	return rc;
}
