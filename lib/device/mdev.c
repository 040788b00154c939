/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * Mediated devices: creating and removing them through sysfs.  Opening is
 * open.c's (a UUID instead of a PCI address), the sysfs helpers of core/
 * look on the mdev bus for a UUID.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vfioiommu/mdev.h>

#include "device.h"
#include "internal.h"

/* A single path component: no '/', not "." or "..", not empty. */
static bool name_ok(const char *s)
{
	return s && *s && !strchr(s, '/') && strcmp(s, ".") && strcmp(s, "..") && strlen(s) < 128;
}

static int check_names(struct vfioiommu_ctx *ctx, const char *fn, const char *parent, const char *type)
{
	if (!name_ok(parent))
		return vi_fail(ctx, -EINVAL, "%s: parent \"%s\" is not a name under /sys/class/mdev_bus", fn,
			       parent ? parent : "(null)");
	if (!name_ok(type))
		return vi_fail(ctx, -EINVAL, "%s: type \"%s\" is not a name under mdev_supported_types", fn,
			       type ? type : "(null)");
	return 0;
}

static int check_uuid(struct vfioiommu_ctx *ctx, const char *fn, const char *uuid)
{
	if (vi_uuid_check(uuid) < 0)
		return vi_fail(ctx, -EINVAL, "%s: \"%s\" is not a UUID in lower case (8-4-4-4-12 hex digits)", fn,
			       uuid ? uuid : "(null)");
	return 0;
}

static const char *root_hint(int rc)
{
	return rc == -EACCES || rc == -EPERM ? ": creating and removing mediated devices needs root" : "";
}

VFIOIOMMU_API int vfioiommu_mdev_create(vfioiommu_ctx *ctx, const char *parent, const char *type, const char *uuid)
{
	char path[VI_PATH_MAX + 256];
	int rc;

	if (!ctx)
		return -EINVAL;
	rc = check_names(ctx, "vfioiommu_mdev_create", parent, type);
	if (rc == 0)
		rc = check_uuid(ctx, "vfioiommu_mdev_create", uuid);
	if (rc < 0)
		return rc;
	rc = vi_sysfs_exists(ctx, "class/mdev_bus/%s/mdev_supported_types/%s", parent, type);
	if (rc == -ENOENT) {
		if (vi_sysfs_exists(ctx, "class/mdev_bus/%s", parent) == -ENOENT)
			return vi_fail(ctx, -ENOENT, "no mdev parent \"%s\" in %s/class/mdev_bus (is its driver loaded?)",
				       parent, ctx->sysfs_root);
		return vi_fail(ctx, -ENOENT, "mdev parent %s offers no type \"%s\" (see %s/class/mdev_bus/%s/"
			       "mdev_supported_types)", parent, type, ctx->sysfs_root, parent);
	}
	if (rc < 0)
		return vi_fail(ctx, rc, "mdev parent %s, type %s: %s", parent, type, vi_sysfs_errstr(rc));
	rc = vi_sysfs_write(ctx, uuid, path, sizeof(path), "class/mdev_bus/%s/mdev_supported_types/%s/create", parent, type);
	if (rc == -EEXIST)
		return vi_fail(ctx, rc, "creating mdev %s: a device with that UUID exists (%s/bus/mdev/devices/%s)", uuid,
			       ctx->sysfs_root, uuid);
	if (rc == -ENOSPC)
		return vi_fail(ctx, rc, "creating mdev %s: parent %s has no room for another %s (available_instances "
			       "is 0): remove one first", uuid, parent, type);
	if (rc < 0)
		return vi_fail(ctx, rc, "creating mdev %s: writing it to %s: %s%s", uuid, path, vi_errno_name(rc),
			       root_hint(rc));
	return 0;
}

VFIOIOMMU_API int vfioiommu_mdev_remove(vfioiommu_ctx *ctx, const char *uuid)
{
	char path[VI_PATH_MAX + 128];
	struct vfioiommu_device *d;
	int rc;

	if (!ctx)
		return -EINVAL;
	rc = check_uuid(ctx, "vfioiommu_mdev_remove", uuid);
	if (rc < 0)
		return rc;
	pthread_mutex_lock(&ctx->lock);
	for (d = ctx->devices; d; d = d->next)
		if (!strcmp(d->bdf, uuid))
			break;
	pthread_mutex_unlock(&ctx->lock);
	if (d)
		return vi_fail(ctx, -EBUSY, "removing mdev %s: it is open in this context; close it first", uuid);
	rc = vi_sysfs_exists(ctx, "bus/mdev/devices/%s", uuid);
	if (rc < 0)
		return vi_fail(ctx, rc, "removing mdev %s: %s", uuid,
			       rc == -ENOENT ? "no such device in /sys/bus/mdev/devices" : vi_sysfs_errstr(rc));
	rc = vi_sysfs_write(ctx, "1", path, sizeof(path), "bus/mdev/devices/%s/remove", uuid);
	if (rc < 0)
		return vi_fail(ctx, rc, "removing mdev %s: writing 1 to %s: %s%s", uuid, path, vi_errno_name(rc),
			       root_hint(rc));
	return 0;
}

VFIOIOMMU_API int vfioiommu_mdev_available(vfioiommu_ctx *ctx, const char *parent, const char *type,
					   uint32_t *count)
{
	char buf[32], *end;
	unsigned long v;
	ssize_t n;
	int rc;

	if (!ctx)
		return -EINVAL;
	rc = check_names(ctx, "vfioiommu_mdev_available", parent, type);
	if (rc < 0)
		return rc;
	if (!count)
		return vi_fail(ctx, -EINVAL, "vfioiommu_mdev_available: count is NULL");
	n = vi_sysfs_read(ctx, buf, sizeof(buf) - 1, "class/mdev_bus/%s/mdev_supported_types/%s/available_instances",
			  parent, type);
	if (n < 0)
		return vi_fail(ctx, (int)n, "mdev parent %s, type %s: %s", parent, type, vi_sysfs_errstr((int)n));
	buf[n] = '\0';
	errno = 0;
	v = strtoul(buf, &end, 10);
	if (buf[0] < '0' || buf[0] > '9' || errno || v > UINT32_MAX || (*end && strcmp(end, "\n")))
		return vi_fail(ctx, -EPROTO, "mdev parent %s, type %s: available_instances reads \"%.20s\", not a "
			       "number", parent, type, buf);
	*count = (uint32_t)v;
	return 0;
}

VFIOIOMMU_API bool vfioiommu_device_is_mdev(const vfioiommu_device *dev)
{
	return dev && dev->mdev;
}
