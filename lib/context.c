/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/* Context lifetime, backend choice and its reason, device bookkeeping. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctx.h"

void vi_err_forget(const struct vfioiommu_ctx *ctx);

VFIOIOMMU_API const char *vfioiommu_version(void)
{
	return "0.1.0";
}

VFIOIOMMU_API int vfioiommu_ctx_new(vfioiommu_ctx **out, const struct vfioiommu_ctx_opts *opts)
{
	struct vfioiommu_ctx *ctx;
	const char *root = "/sys";

	if (!out)
		return -EINVAL;
	*out = NULL;
	/* size lets later versions append fields; a caller built against them still works here */
	if (opts && opts->size < offsetof(struct vfioiommu_ctx_opts, log_level) + sizeof(int))
		return -EINVAL;
	if (opts && opts->mode > VFIOIOMMU_MODE_TYPE1)
		return -EINVAL;
	if (opts && opts->sysfs_root) {
		if (!opts->sysfs_root[0] || strlen(opts->sysfs_root) >= VI_PATH_MAX - 128)
			return -EINVAL;
		root = opts->sysfs_root;
	}
	ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return -ENOMEM;
	ctx->door = (opts && opts->door) ? opts->door : vfioiommu_door_system();
	snprintf(ctx->sysfs_root, sizeof(ctx->sysfs_root), "%s", root);
	ctx->mode = opts ? (enum vfioiommu_mode)opts->mode : VFIOIOMMU_MODE_AUTO;
	ctx->log_fn = opts ? opts->log_fn : NULL;
	ctx->log_arg = opts ? opts->log_arg : NULL;
	ctx->log_level = (opts && opts->log_level) ? opts->log_level : VFIOIOMMU_LOG_INFO;
	ctx->container_is_iommufd = -ENODEV;
	snprintf(ctx->backend_reason, sizeof(ctx->backend_reason),
		 "no backend chosen yet: add a group or open a device");
	pthread_mutex_init(&ctx->lock, NULL);
	pthread_mutex_init(&ctx->msg_lock, NULL);
	*out = ctx;
	return 0;
}

static void device_free_locked(struct vfioiommu_ctx *ctx, struct vfioiommu_device *dev)
{
	struct vfioiommu_device **pp;

	for (pp = &ctx->devices; *pp; pp = &(*pp)->next) {
		if (*pp == dev) {
			*pp = dev->next;
			break;
		}
	}
	vi_ring_region_device_gone(dev);
	vi_device_state_free(dev);
	if (ctx->be && ctx->be->device_close)
		ctx->be->device_close(ctx, dev);
	free(dev);
	/* detaching can widen the usable ranges (type1 and iommufd both recompute) */
	vi_dma_ranges_changed(ctx);
}

VFIOIOMMU_API void vfioiommu_ctx_destroy(vfioiommu_ctx *ctx)
{
	if (!ctx)
		return;
	pthread_mutex_lock(&ctx->lock);
	/* The list is newest-first, so this closes in reverse order of opening. */
	while (ctx->devices)
		device_free_locked(ctx, ctx->devices);
	/* mappings die with the container or IOAS; only the library's table is left to free */
	vi_dma_destroy(ctx);
	if (ctx->be && ctx->be->close)
		ctx->be->close(ctx);
	pthread_mutex_unlock(&ctx->lock);
	pthread_mutex_destroy(&ctx->lock);
	pthread_mutex_destroy(&ctx->msg_lock);
	vi_err_forget(ctx);
	free(ctx);
}

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

VFIOIOMMU_API enum vfioiommu_backend vfioiommu_ctx_backend(const vfioiommu_ctx *ctx)
{
	return ctx ? ctx->backend : VFIOIOMMU_BACKEND_NONE;
}

VFIOIOMMU_API const char *vfioiommu_ctx_backend_reason(const vfioiommu_ctx *ctx)
{
	return ctx ? ctx->backend_reason : "no context";
}

VFIOIOMMU_API int vfioiommu_ctx_container_is_iommufd(const vfioiommu_ctx *ctx)
{
	return ctx ? ctx->container_is_iommufd : -EINVAL;
}

/* ---------------- sysfs helpers ---------------- */

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

int vi_bdf_check(const char *bdf)
{
	static const char shape[] = "xxxx:xx:xx.x";
	size_t i;

	if (!bdf || strlen(bdf) != sizeof(shape) - 1)
		return -EINVAL;
	for (i = 0; i < sizeof(shape) - 1; i++) {
		char c = bdf[i];
		if (shape[i] == 'x') {
			if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
				return -EINVAL;
		} else if (c != shape[i]) {
			return -EINVAL;
		}
	}
	/* device 0..31, function 0..7 */
	if (strtoul(bdf + 8, NULL, 16) > 0x1f || bdf[11] > '7')
		return -EINVAL;
	return 0;
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

static int choose_backend(struct vfioiommu_ctx *ctx, const char *bdf)
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
	vi_log(ctx, VFIOIOMMU_LOG_INFO, "backend %s: %s", vfioiommu_backend_name(ctx->backend),
	       ctx->backend_reason);
	return 0;
}

VFIOIOMMU_API int vfioiommu_ctx_add_group(vfioiommu_ctx *ctx, unsigned int group)
{
	int rc = 0;

	if (!ctx)
		return -EINVAL;
	pthread_mutex_lock(&ctx->lock);
	if (!ctx->be)
		rc = choose_backend(ctx, NULL);
	if (rc == 0 && !ctx->be->add_group)
		rc = vi_fail(ctx, -EOPNOTSUPP,
			     "cannot add group %u: this context uses %s, where devices are added one by one",
			     group, vfioiommu_backend_name(ctx->backend));
	if (rc == 0)
		rc = ctx->be->add_group(ctx, group);
	pthread_mutex_unlock(&ctx->lock);
	return rc;
}

static int device_check(struct vfioiommu_ctx *ctx, const char *bdf, unsigned int *group)
{
	char driver[128];
	struct vfioiommu_device *d;
	int rc;

	if (vi_bdf_check(bdf) < 0)
		return vi_fail(ctx, -EINVAL, "\"%s\" is not a PCI address of the form 0000:03:00.0",
			       bdf ? bdf : "(null)");
	for (d = ctx->devices; d; d = d->next)
		if (!strcmp(d->bdf, bdf))
			return vi_fail(ctx, -EBUSY, "device %s is already open in this context", bdf);
	rc = vi_sysfs_exists(ctx, "bus/pci/devices/%s", bdf);
	if (rc < 0)
		return vi_fail(ctx, rc == -ENOENT ? -ENOENT : rc, "device %s: not found in %s/bus/pci/devices (%s)",
			       bdf, ctx->sysfs_root, vi_errno_name(rc));
	rc = vi_sysfs_device_group(ctx, bdf, group);
	if (rc < 0)
		return vi_fail(ctx, rc == -ENOENT ? -ENODEV : rc,
			       "device %s has no IOMMU group (%s): is the IOMMU enabled?",
			       bdf, vi_errno_name(rc));
	rc = vi_sysfs_device_driver(ctx, bdf, driver, sizeof(driver));
	if (rc < 0)
		return vi_fail(ctx, rc, "device %s: cannot read its driver (%s)", bdf, vi_errno_name(rc));
	if (!driver[0])
		return vi_fail(ctx, -ENODEV, "device %s is not bound to any driver; bind it to vfio-pci", bdf);
	if (!vi_driver_is_vfio(driver))
		return vi_fail(ctx, -ENODEV, "device %s is bound to %s, not to vfio-pci", bdf, driver);
	return 0;
}

VFIOIOMMU_API int vfioiommu_device_open(vfioiommu_ctx *ctx, const char *bdf, vfioiommu_device **out)
{
	struct vfioiommu_device *dev;
	unsigned int group = 0;
	int rc;

	if (!ctx)
		return -EINVAL;
	if (!out)
		return vi_fail(ctx, -EINVAL, "vfioiommu_device_open: out is NULL");
	*out = NULL;
	pthread_mutex_lock(&ctx->lock);
	rc = device_check(ctx, bdf, &group);
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
	snprintf(dev->bdf, sizeof(dev->bdf), "%s", bdf);
	if (!ctx->be) {
		rc = choose_backend(ctx, bdf);
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
	vi_dma_ranges_changed(ctx);
out:
	pthread_mutex_unlock(&ctx->lock);
	return rc;
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
