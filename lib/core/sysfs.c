/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/* sysfs under the context's root, through the door: paths, device group, driver, cdev. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/*
 * Why the last failed vi_sysfs_* call of this thread failed, naming the file:
 * the door only returns an errno, and a message "reading its driver: ENOENT"
 * does not say which file of a (possibly captured, possibly hostile) tree was
 * at fault.  Cleared by every call, so it never describes an older failure.
 */
static _Thread_local int why_rc;
static _Thread_local char why_text[VI_MSG_MAX];

static void why(int rc, const char *path, const char *fmt, ...) VFIOIOMMU_PRINTF(3, 4);
static void why(int rc, const char *path, const char *fmt, ...)
{
	int len;

	why_rc = rc;
	len = snprintf(why_text, sizeof(why_text), "%s on %s", vi_errno_name(rc), path);
	if (fmt && len >= 0 && (size_t)len < sizeof(why_text)) {
		va_list ap;

		va_start(ap, fmt);
		vsnprintf(why_text + len, sizeof(why_text) - (size_t)len, fmt, ap);
		va_end(ap);
	}
}

const char *vi_sysfs_errstr(int rc)
{
	return rc < 0 && rc == why_rc ? why_text : vi_errno_name(rc);
}

static int sysfs_path(struct vfioiommu_ctx *c, char *path, size_t n, const char *fmt, va_list ap)
	__attribute__((format(printf, 4, 0)));
static int sysfs_path(struct vfioiommu_ctx *c, char *path, size_t n, const char *fmt, va_list ap)
{
	int len = snprintf(path, n, "%s/", c->sysfs_root);
	int more;

	why_rc = 0;
	if (c->no_sysfs) {
		why(-EOPNOTSUPP, c->sysfs_root, ": this context was built from handed-in fds without a sysfs root, "
		    "so the library reads nothing under /sys (set vfioiommu_ctx_opts.sysfs_root to allow it)");
		return -EOPNOTSUPP;
	}
	if (len < 0 || (size_t)len >= n)
		more = 0;
	else
		more = vsnprintf(path + len, n - (size_t)len, fmt, ap);
	if (len < 0 || more < 0 || (size_t)len + (size_t)more >= n) {
		why(-ENAMETOOLONG, path, ": the path is longer than %zu bytes", n - 1);
		return -ENAMETOOLONG;
	}
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
	ssize_t rc;

	SYSFS_PATH(c, fmt);
	rc = c->door->sysfs_read(c->door->priv, path, buf, n);
	if (rc == -EPROTO)
		why((int)rc, path, ": not a regular file (sysfs attributes are; a FIFO, device or directory is refused)");
	else if (rc == -EFBIG)
		why((int)rc, path, ": longer than %zu bytes", n ? n - 1 : 0);
	else if (rc < 0)
		why((int)rc, path, NULL);
	return rc;
}

int vi_sysfs_write(struct vfioiommu_ctx *c, const char *val, char *path, size_t n, const char *fmt, ...)
{
	va_list ap;
	ssize_t rc;

	va_start(ap, fmt);
	rc = sysfs_path(c, path, n, fmt, ap);
	va_end(ap);
	if (rc < 0)
		return (int)rc;
	rc = c->door->sysfs_write(c->door->priv, path, val, strlen(val));
	if (rc < 0)
		why((int)rc, path, NULL);
	return rc < 0 ? (int)rc : 0;
}

ssize_t vi_sysfs_readlink(struct vfioiommu_ctx *c, char *buf, size_t n, const char *fmt, ...)
{
	ssize_t rc;

	SYSFS_PATH(c, fmt);
	rc = c->door->readlink(c->door->priv, path, buf, n);
	if (rc == -ENAMETOOLONG)
		why((int)rc, path, ": the link's target is longer than %zu bytes", n ? n - 1 : 0);
	else if (rc == -EINVAL)
		why((int)rc, path, ": not a symbolic link");
	else if (rc < 0)
		why((int)rc, path, NULL);
	return rc;
}

int vi_sysfs_listdir(struct vfioiommu_ctx *c, vi_dirent_fn fn, void *arg, const char *fmt, ...)
{
	int rc;

	SYSFS_PATH(c, fmt);
	rc = c->door->listdir(c->door->priv, path, fn, arg);
	if (rc < 0)
		why(rc, path, NULL);
	return rc;
}

int vi_sysfs_exists(struct vfioiommu_ctx *c, const char *fmt, ...)
{
	int rc;

	SYSFS_PATH(c, fmt);
	rc = c->door->exists(c->door->priv, path);
	if (rc < 0)
		why(rc, path, NULL);
	return rc;
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
	ssize_t rc = vi_sysfs_readlink(c, link, sizeof(link), "bus/%s/devices/%s/iommu_group", vi_dev_bus(bdf), bdf);

	if (rc < 0)
		return (int)rc;
	b = basename_of(link);
	errno = 0;
	g = strtoul(b, &end, 10);
	if (!isdigit((unsigned char)*b) || *end || errno || g > 0xffffffffUL) {
		char path[VI_PATH_MAX + 64];

		snprintf(path, sizeof(path), "%s/bus/%s/devices/%s/iommu_group", c->sysfs_root, vi_dev_bus(bdf), bdf);
		why(-EPROTO, path, ": the link's target \"%s\" does not end in a group number", link);
		return -EPROTO;
	}
	*group = (unsigned int)g;
	return 0;
}

/* The last component of the link at fmt (a driver name) into buf; "" when there is no link. */
static int link_name(struct vfioiommu_ctx *c, char *buf, size_t n, const char *fmt, ...) VFIOIOMMU_PRINTF(4, 5);
static int link_name(struct vfioiommu_ctx *c, char *buf, size_t n, const char *fmt, ...)
{
	char link[VI_PATH_MAX];
	ssize_t rc;

	SYSFS_PATH(c, fmt);
	if (n == 0)
		return -EINVAL;
	rc = c->door->readlink(c->door->priv, path, link, sizeof(link));
	if (rc == -ENOENT) {
		buf[0] = '\0';
		return 0;
	}
	if (rc == -ENAMETOOLONG) {
		why((int)rc, path, ": the link's target is longer than %zu bytes", sizeof(link) - 1);
		return (int)rc;
	}
	if (rc < 0) {
		why((int)rc, path, rc == -EINVAL ? ": not a symbolic link" : NULL);
		return (int)rc;
	}
	/* a cut name would compare equal to the wrong driver (or to none): refuse it instead */
	if ((size_t)snprintf(buf, n, "%s", basename_of(link)) >= n) {
		buf[0] = '\0';
		why(-ENAMETOOLONG, path, ": the driver name at the end of \"%s\" is longer than %zu bytes", link, n - 1);
		return -ENAMETOOLONG;
	}
	return 0;
}

int vi_sysfs_device_driver(struct vfioiommu_ctx *c, const char *bdf, char *buf, size_t n)
{
	return link_name(c, buf, n, "bus/%s/devices/%s/driver", vi_dev_bus(bdf), bdf);
}

int vi_sysfs_group_member_driver(struct vfioiommu_ctx *c, unsigned int group, const char *name, char *buf,
				 size_t n)
{
	if (vi_bdf_check(name) == 0 || vi_uuid_check(name) == 0)
		return vi_sysfs_device_driver(c, name, buf, n);
	return link_name(c, buf, n, "kernel/iommu_groups/%u/devices/%s/driver", group, name);
}

bool vi_driver_is_vfio(const char *driver)
{
	/* vfio-pci itself and the variant drivers (mlx5_vfio_pci, virtio_vfio_pci, ...) */
	return driver && strstr(driver, "vfio") != NULL;
}

/* ---------------- the device's VFIO cdev ---------------- */

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
	int rc = vi_sysfs_listdir(c, take_vfio_entry, &fe, "bus/%s/devices/%s/vfio-dev", vi_dev_bus(bdf), bdf);

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

