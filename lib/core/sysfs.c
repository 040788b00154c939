/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/* sysfs under the context's root, through the door: paths, device group, driver, cdev. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static int sysfs_path(struct vfioiommu_ctx *c, char *path, size_t n, const char *fmt, va_list ap)
	__attribute__((format(printf, 4, 0)));
static int sysfs_path(struct vfioiommu_ctx *c, char *path, size_t n, const char *fmt, va_list ap)
{
	int len = snprintf(path, n, "%s/", c->sysfs_root);
	int more;

	if (len < 0 || (size_t)len >= n)
		return -ENAMETOOLONG;
	more = vsnprintf(path + len, n - (size_t)len, fmt, ap);
	if (more < 0 || (size_t)(len + more) >= n)
		return -ENAMETOOLONG;
	return 0;
}

/* Declares char path[] holding sysfs_root + the formatted name; returns from the caller on error. */
#define SYSFS_PATH(c, fmt)                                                   \
	char path[VI_PATH_MAX];                                              \
	do {                                                                 \
		va_list ap_;                                                 \
		int rc_;                                                     \
		va_start(ap_, fmt);                                          \
		rc_ = sysfs_path(c, path, sizeof(path), fmt, ap_);           \
		va_end(ap_);                                                 \
		if (rc_ < 0)                                                 \
			return rc_;                                          \
	} while (0)

ssize_t vi_sysfs_read(struct vfioiommu_ctx *c, char *buf, size_t n, const char *fmt, ...)
{
	SYSFS_PATH(c, fmt);
	return c->door->sysfs_read(c->door->priv, path, buf, n);
}

ssize_t vi_sysfs_readlink(struct vfioiommu_ctx *c, char *buf, size_t n, const char *fmt, ...)
{
	SYSFS_PATH(c, fmt);
	return c->door->readlink(c->door->priv, path, buf, n);
}

int vi_sysfs_listdir(struct vfioiommu_ctx *c, vi_dirent_fn fn, void *arg, const char *fmt, ...)
{
	SYSFS_PATH(c, fmt);
	return c->door->listdir(c->door->priv, path, fn, arg);
}

int vi_sysfs_exists(struct vfioiommu_ctx *c, const char *fmt, ...)
{
	SYSFS_PATH(c, fmt);
	return c->door->exists(c->door->priv, path);
}

static const char *basename_of(const char *p)
{
	const char *s = strrchr(p, '/');

	return s ? s + 1 : p;
}

int vi_sysfs_device_group(struct vfioiommu_ctx *c, const char *bdf, unsigned int *group)
{
	char link[VI_PATH_MAX];
	const char *b;
	char *end;
	unsigned long g;
	ssize_t rc = vi_sysfs_readlink(c, link, sizeof(link), "bus/pci/devices/%s/iommu_group", bdf);

	if (rc < 0)
		return (int)rc;
	b = basename_of(link);
	g = strtoul(b, &end, 10);
	if (end == b || *end || g > 0xffffffffUL)
		return -EPROTO;
	*group = (unsigned int)g;
	return 0;
}

int vi_sysfs_device_driver(struct vfioiommu_ctx *c, const char *bdf, char *buf, size_t n)
{
	char link[VI_PATH_MAX];
	ssize_t rc = vi_sysfs_readlink(c, link, sizeof(link), "bus/pci/devices/%s/driver", bdf);

	if (rc == -ENOENT) {
		buf[0] = '\0';
		return 0;
	}
	if (rc < 0)
		return (int)rc;
	/* a cut driver name would compare equal to the wrong driver: refuse it instead */
	if ((size_t)snprintf(buf, n, "%s", basename_of(link)) >= n)
		return -ENAMETOOLONG;
	return 0;
}

bool vi_driver_is_vfio(const char *driver)
{
	/* vfio-pci itself and the variant drivers (mlx5_vfio_pci, virtio_vfio_pci, ...) */
	return driver && strstr(driver, "vfio") != NULL;
}

/* ---------------- backend choice ---------------- */

static int device_cdev_name(struct vfioiommu_ctx *c, const char *bdf, char *name, size_t n);

struct first_entry {
	char *name;
	size_t n;
	bool found;
};

static int take_vfio_entry(void *arg, const char *name)
{
	struct first_entry *fe = arg;

	if (strncmp(name, "vfio", 4) != 0)
		return 0;
	snprintf(fe->name, fe->n, "%s", name);
	fe->found = true;
	return 1;
}

static int device_cdev_name(struct vfioiommu_ctx *c, const char *bdf, char *name, size_t n)
{
	struct first_entry fe = { name, n, false };
	int rc = vi_sysfs_listdir(c, take_vfio_entry, &fe, "bus/pci/devices/%s/vfio-dev", bdf);

	if (rc < 0)
		return rc;
	return fe.found ? 0 : -ENOENT;
}

int vi_device_cdev_path(struct vfioiommu_ctx *c, const char *bdf, char *path, size_t n)
{
	char name[64];
	int rc = device_cdev_name(c, bdf, name, sizeof(name));

	if (rc < 0)
		return rc;
	snprintf(path, n, "/dev/vfio/devices/%s", name);
	return 0;
}

