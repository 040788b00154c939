/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * vfioiommu_bind_vfio(): what guest-init scripts and DPDK's dpdk-devbind do
 * (driver_override, unbind, drivers_probe), then a wait that ends when VFIO
 * can open the device, not merely when sysfs says "vfio-pci": the driver
 * link appears before vfio-pci's probe has created /dev/vfio/N and the cdev.
 *
 * The uevent socket is opened before the first write so that no uevent
 * between the write and the wait is missed; it only wakes the wait early.
 * sysfs is the judge, re-read after every wake-up and at a bounded backoff.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <vfioiommu/device.h>
#include <vfioiommu/hotplug.h>

#include "core/internal.h"
#include "hotplug/internal.h"

#define BACKOFF_MAX_MS 100

static int write_failed(struct vfioiommu_ctx *ctx, int rc, const char *bdf, const char *path, const char *val)
{
	if (rc == -EACCES || rc == -EPERM)
		return vi_fail(ctx, rc,
			       "binding %s to vfio-pci: writing \"%s\" to %s: %s: changing a device's driver "
			       "needs root (CAP_SYS_ADMIN and a writable /sys)",
			       bdf, val, path, vi_errno_name(rc));
	if (rc == -EBUSY)
		return vi_fail(ctx, rc, "binding %s to vfio-pci: writing \"%s\" to %s: the device is in use (%s)",
			       bdf, val, path, vi_errno_name(rc));
	return vi_fail(ctx, rc, "binding %s to vfio-pci: writing \"%s\" to %s: %s", bdf, val, path,
		       vi_errno_name(rc));
}

/*
 * driver_override as it is before we write ours, to put back if we give up:
 * "" for none ("(null)") and for contents that are no driver name (too long,
 * control characters, spaces: a hostile or broken tree), which we do not
 * write back.  <0 when it cannot be read at all.
 */
static int override_before(struct vfioiommu_ctx *ctx, const char *bdf, char *old, size_t n)
{
	ssize_t rc = vi_sysfs_read(ctx, old, n, "bus/pci/devices/%s/driver_override", bdf);
	size_t len;

	if (rc == -ENOENT || rc == -EFBIG) {
		/* no such attribute (the write will say so) or longer than any driver name */
		old[0] = '\0';
		return 0;
	}
	if (rc < 0)
		return vi_fail(ctx, (int)rc, "binding %s to vfio-pci: reading its driver_override: %s", bdf,
			       vi_sysfs_errstr((int)rc));
	len = strnlen(old, (size_t)rc < n ? (size_t)rc : n - 1);
	old[len] = '\0';
	if (len && old[len - 1] == '\n')
		old[--len] = '\0';
	for (size_t i = 0; i < len; i++)
		if (old[i] <= ' ' || old[i] > '~')
			len = 0;
	if (!len || !strcmp(old, "(null)"))
		old[0] = '\0';
	return 0;
}

/*
 * The current driver refused the unbind with -ENOENT: its directory went
 * away (the module is being unloaded).  0 when it let go of the device
 * meanwhile (sysfs decides from here, as for -ENODEV); rc otherwise.
 */
static int unbind_gone(struct vfioiommu_ctx *ctx, const char *bdf, const char *cur, int rc)
{
	char now[VI_UEVENT_DRIVER_MAX];

	if (rc != -ENOENT || vi_sysfs_device_driver(ctx, bdf, now, sizeof(now)) < 0)
		return rc;
	return strcmp(now, cur) ? 0 : rc;
}

/* driver_override, unbind from the current driver, drivers_probe */
static int steer(struct vfioiommu_ctx *ctx, const char *bdf, const char *cur)
{
	char path[VI_PATH_MAX], old[VI_UEVENT_DRIVER_MAX] = "";
	int rc = cur[0] ? override_before(ctx, bdf, old, sizeof(old)) : 0;

	if (rc < 0)
		return rc;
	rc = vi_sysfs_write(ctx, "vfio-pci", path, sizeof(path), "bus/pci/devices/%s/driver_override", bdf);
	if (rc < 0)
		return write_failed(ctx, rc, bdf, path, "vfio-pci");
	if (cur[0]) {
		rc = vi_sysfs_write(ctx, bdf, path, sizeof(path), "bus/pci/drivers/%s/unbind", cur);
		/* -ENODEV: it let go of the device meanwhile, which is what we wanted */
		if (rc == -ENOENT)
			rc = unbind_gone(ctx, bdf, cur, rc);
		if (rc < 0 && rc != -ENODEV) {
			char op[VI_PATH_MAX];
			/* still bound to cur: put its override back, no surprise for its next reprobe */
			vi_sysfs_write(ctx, old[0] ? old : "\n", op, sizeof(op), "bus/pci/devices/%s/driver_override", bdf);
			return write_failed(ctx, rc, bdf, path, bdf);
		}
	}
	rc = vi_sysfs_write(ctx, bdf, path, sizeof(path), "bus/pci/drivers_probe");
	return rc < 0 ? write_failed(ctx, rc, bdf, path, bdf) : 0;
}

/*
 * 1 when VFIO can open the device the way ctx will: bound to a VFIO driver and
 * its group node (container, no-IOMMU) or cdev (iommufd) exists, either for
 * AUTO.  0 with why filled when not yet; <0 on a failed read.
 */
static int ready(struct vfioiommu_ctx *ctx, const char *bdf, char *why, size_t n)
{
	char drv[VI_UEVENT_DRIVER_MAX], node[VI_PATH_MAX] = "", cdev[VI_PATH_MAX] = "";
	bool want_group = ctx->mode != VFIOIOMMU_MODE_IOMMUFD, want_cdev = ctx->mode == VFIOIOMMU_MODE_IOMMUFD;
	unsigned int group;
	int rc = vi_sysfs_device_driver(ctx, bdf, drv, sizeof(drv));

	if (rc < 0)
		return vi_fail(ctx, rc, "binding %s to vfio-pci: reading its driver: %s", bdf, vi_sysfs_errstr(rc));
	if (!drv[0]) {
		snprintf(why, n, "it is bound to no driver (is vfio-pci loaded? did its probe fail? see dmesg)");
		return 0;
	}
	if (!vi_driver_is_vfio(drv)) {
		snprintf(why, n, "it is still bound to %s, not to vfio-pci", drv);
		return 0;
	}
	if (ctx->mode == VFIOIOMMU_MODE_AUTO)
		want_group = want_cdev = true;
	if (want_group) {
		rc = vi_sysfs_device_group(ctx, bdf, &group);
		if (rc == 0) {
			snprintf(node, sizeof(node), "/dev/vfio/%s%u", ctx->mode == VFIOIOMMU_MODE_NOIOMMU ? "noiommu-" : "",
				 group);
			rc = vi_kexists(ctx, node);
			if (rc == 0)
				return 1;
		}
		if (rc < 0 && rc != -ENOENT)
			return vi_fail(ctx, rc, "binding %s to vfio-pci: checking its group node: %s", bdf,
				       vi_errno_name(rc));
	}
	if (want_cdev) {
		rc = vi_device_cdev_path(ctx, bdf, cdev, sizeof(cdev));
		if (rc == 0) {
			rc = vi_kexists(ctx, cdev);
			if (rc == 0)
				return 1;
		}
		if (rc < 0 && rc != -ENOENT)
			return vi_fail(ctx, rc, "binding %s to vfio-pci: checking its VFIO cdev: %s", bdf,
				       vi_errno_name(rc));
	}
	snprintf(why, n, "it is bound to %s but %s%s%s did not appear", drv,
		 want_group ? (node[0] ? node : "its group node (no iommu_group link)") : "",
		 want_group && want_cdev ? " and " : "",
		 want_cdev ? (cdev[0] ? cdev : "its cdev /dev/vfio/devices/vfioN (no vfio-dev entry in sysfs)") : "");
	return 0;
}

static long long now_ns(void)
{
	struct timespec ts;

	/* the vDSO clock: time is no kernel resource the door needs to model */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Sleep up to ms, woken early by a uevent; the uevents themselves are dropped (sysfs decides). */
static int nap(struct vfioiommu_ctx *ctx, int fd, int ms)
{
	struct pollfd pfd = { fd, POLLIN, 0 };
	unsigned char buf[VI_UEVENT_MAX];
	int rc = vi_kpoll(ctx, fd >= 0 ? &pfd : NULL, fd >= 0 ? 1 : 0, ms);

	if (rc < 0)
		return vi_fail(ctx, rc, "binding to vfio-pci: waiting: %s", vi_errno_name(rc));
	for (int i = 0; rc > 0 && i < 256; i++) {
		ssize_t n = ctx->door->uevent_recv(ctx->door->priv, fd, buf, sizeof(buf));
		if (n == -EAGAIN)
			break;
		if (n < 0 && n != -ENOBUFS && n != -EMSGSIZE)
			return vi_fail(ctx, (int)n, "binding to vfio-pci: reading uevents: %s", vi_errno_name((int)n));
	}
	return 0;
}

static int wait_usable(struct vfioiommu_ctx *ctx, const char *bdf, int fd, int timeout_ms)
{
	long long deadline = now_ns() + timeout_ms * 1000000LL;
	int backoff = 1;
	char why[2 * VI_PATH_MAX];

	for (;;) {
		long long left;
		int rc = ready(ctx, bdf, why, sizeof(why));

		if (rc != 0)
			return rc < 0 ? rc : 0;
		left = deadline - now_ns();
		if (left <= 0)
			return vi_fail(ctx, -ETIMEDOUT, "binding %s to vfio-pci: timed out after %d ms: %s", bdf,
				       timeout_ms, why);
		/* rounded up: never wake before the deadline just to find it not passed */
		left = (left + 999999) / 1000000;
		rc = nap(ctx, fd, left < backoff ? (int)left : backoff);
		if (rc < 0)
			return rc;
		backoff = backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff * 2;
	}
}

/* A uevent socket when the door has one; -1 (and go by sysfs alone) when it has none. */
static int open_watch(struct vfioiommu_ctx *ctx, const char *bdf, int *fd)
{
	const struct vfioiommu_door *d = ctx->door;
	int rc;

	*fd = -1;
	if (!d->uevent_open || !d->uevent_recv || !d->uevent_close)
		return 0;
	rc = d->uevent_open(d->priv);
	if (rc == -EOPNOTSUPP || rc == -EPROTONOSUPPORT || rc == -EAFNOSUPPORT)
		return 0;
	if (rc < 0)
		return vi_fail(ctx, rc, "binding %s to vfio-pci: opening a uevent socket: %s", bdf, vi_errno_name(rc));
	*fd = rc;
	return 0;
}

static int pre_check(struct vfioiommu_ctx *ctx, const char *bdf, char *drv, size_t n)
{
	unsigned int group;
	int rc = vi_sysfs_exists(ctx, "bus/pci/devices/%s", bdf);

	if (rc < 0)
		return vi_fail(ctx, rc, "binding %s to vfio-pci: no such device in %s/bus/pci/devices (%s)", bdf,
			       ctx->sysfs_root, vi_errno_name(rc));
	/* no-IOMMU mode: vfio-pci makes the group when it binds */
	if (ctx->mode != VFIOIOMMU_MODE_NOIOMMU) {
		rc = vi_sysfs_device_group(ctx, bdf, &group);
		if (rc == -ENOENT)
			return vi_fail(ctx, -ENODEV,
				       "binding %s to vfio-pci: it has no IOMMU group: is the IOMMU enabled "
				       "(intel_iommu=on, amd_iommu=on)?", bdf);
		if (rc < 0)
			return vi_fail(ctx, rc, "binding %s to vfio-pci: reading its IOMMU group: %s", bdf,
				       vi_sysfs_errstr(rc));
	}
	rc = vi_sysfs_device_driver(ctx, bdf, drv, n);
	if (rc < 0)
		return vi_fail(ctx, rc, "binding %s to vfio-pci: reading its driver: %s", bdf, vi_sysfs_errstr(rc));
	return 0;
}

VFIOIOMMU_API int vfioiommu_bind_vfio(vfioiommu_ctx *ctx, const char *bdf, int timeout_ms)
{
	char drv[VI_UEVENT_DRIVER_MAX];
	int fd, rc;

	if (!ctx)
		return -EINVAL;
	if (vi_bdf_check(bdf) < 0)
		return vi_fail(ctx, -EINVAL, "binding to vfio-pci: \"%s\" is not a PCI address of the form 0000:03:00.0",
			       bdf ? bdf : "(null)");
	if (timeout_ms < 0)
		return vi_fail(ctx, -EINVAL, "binding %s to vfio-pci: timeout %d ms is negative", bdf, timeout_ms);
	rc = pre_check(ctx, bdf, drv, sizeof(drv));
	if (rc < 0)
		return rc;
	rc = open_watch(ctx, bdf, &fd);
	if (rc < 0)
		return rc;
	/* already with vfio-pci or a variant driver (mlx5_vfio_pci, ...): leave it, only wait */
	if (!vi_driver_is_vfio(drv))
		rc = steer(ctx, bdf, drv);
	if (rc == 0)
		rc = wait_usable(ctx, bdf, fd, timeout_ms);
	if (fd >= 0)
		ctx->door->uevent_close(ctx->door->priv, fd);
	if (rc == 0)
		vi_log(ctx, VFIOIOMMU_LOG_INFO, "%s is bound to vfio-pci and usable", bdf);
	return rc;
}
