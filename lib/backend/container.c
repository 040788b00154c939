/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * The VFIO container backend: /dev/vfio/vfio, groups by number, device fds
 * through GROUP_GET_DEVICE_FD, and the IOMMU type (type1v2, type1, noiommu).
 *
 * Groups are kept in the order they were added and released in reverse.  A
 * group added only because a device of it was opened is released with its
 * last device; a group added by vfioiommu_ctx_add_group() stays until the
 * context goes.  When the last group leaves, the kernel drops the IOMMU of
 * the container, so the next group sets it again.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iova/internal.h"
#include "core/internal.h"
#include "internal.h"
#include "kabi/kabi.h"

struct vi_cgroup {
	unsigned int num;
	int fd;
	unsigned int devices; /* device fds open through this group */
	bool explicit_add;    /* added by vfioiommu_ctx_add_group() */
};

struct vi_container {
	int fd;
	bool iommu_set;
	bool unmap_all;       /* VFIO_UNMAP_ALL (5.12+) */
	bool live;            /* taken over from another process: IOMMU set, groups attached already */
	bool handed_over;     /* process addresses dropped for another process: never detach the groups */
	size_t reason_base;   /* backend_reason length before the IOMMU type was appended */
	struct vi_cgroup *groups;
	size_t ngroups, cap;
};

static struct vi_container *cont(struct vfioiommu_ctx *ctx)
{
	return ctx->be_priv;
}

static void reason_append(struct vfioiommu_ctx *ctx, const char *fmt, ...) VFIOIOMMU_PRINTF(2, 3);
static void reason_append(struct vfioiommu_ctx *ctx, const char *fmt, ...)
{
	size_t len = strlen(ctx->backend_reason);
	va_list ap;

	if (len >= sizeof(ctx->backend_reason) - 1)
		return;
	va_start(ap, fmt);
	vsnprintf(ctx->backend_reason + len, sizeof(ctx->backend_reason) - len, fmt, ap);
	va_end(ap);
}

static int kcheck_ext(struct vfioiommu_ctx *ctx, int fd, unsigned long ext)
{
	/* CHECK_EXTENSION and SET_IOMMU take their argument by value */
	return vi_kioctl(ctx, fd, KABI_VFIO_CHECK_EXTENSION, (void *)(uintptr_t)ext);
}

/*
 * iommufd's emulation of /dev/vfio/vfio is an iommufd, so it knows
 * IOMMU_VFIO_IOAS (ENODEV before a group created the compat IOAS, success
 * after).  VFIO's own container rejects it: EINVAL before SET_IOMMU (no
 * driver to pass it to), ENOTTY from type1 after.
 */
static int detect_iommufd(struct vfioiommu_ctx *ctx, int fd)
{
	struct kabi_iommu_vfio_ioas q = { .size = sizeof(q), .op = KABI_IOMMU_VFIO_IOAS_GET };
	int rc = vi_kioctl(ctx, fd, KABI_IOMMU_VFIO_IOAS, &q);

	if (rc >= 0 || rc == -ENODEV)
		return 1;
	if (rc == -ENOTTY || rc == -EINVAL)
		return 0;
	return vi_fail(ctx, rc, "cannot tell who serves /dev/vfio/vfio: IOMMU_VFIO_IOAS failed with %s",
		       vi_errno_name(rc));
}

/*
 * Check an open container fd and make it the context's; the fd is left open
 * on failure.  @handed: it came from the caller (vfioiommu_ctx_adopt), so it
 * may be of another kind, or a container that already has an IOMMU.
 */
static int c_setup(struct vfioiommu_ctx *ctx, int fd, bool handed, bool live)
{
	struct vi_container *c = calloc(1, sizeof(*c));
	int ver, is_fd;

	if (!c)
		return vi_fail(ctx, -ENOMEM, "out of memory");
	ver = vi_kioctl(ctx, fd, KABI_VFIO_GET_API_VERSION, NULL);
	if (ver < 0 || ver != KABI_VFIO_API_VERSION) {
		free(c);
		if (ver < 0 && handed)
			return vi_fail_fd_kind(ctx, ver, fd, "a VFIO container", "VFIO_GET_API_VERSION");
		if (ver < 0)
			return vi_fail(ctx, ver, "VFIO_GET_API_VERSION failed: %s", vi_errno_name(ver));
		return vi_fail(ctx, -EPROTO, "/dev/vfio/vfio speaks VFIO API version %d, this library knows %d",
			       ver, KABI_VFIO_API_VERSION);
	}
	if (handed) {
		struct kabi_vfio_iommu_type1_info info = { .argsz = sizeof(info) };

		/*
		 * FACTS k: GET_INFO answers only once SET_IOMMU ran, i.e. a group is
		 * attached; before, VFIO's container says EINVAL and iommufd's ENODEV.
		 */
		int rc = vi_kioctl(ctx, fd, KABI_VFIO_IOMMU_GET_INFO, &info);

		if (live && rc < 0) {
			free(c);
			if (rc != -EINVAL && rc != -ENODEV)
				return vi_fail_fd_kind(ctx, rc, fd, "a VFIO container", "VFIO_IOMMU_GET_INFO");
			return vi_fail(ctx, -EINVAL, "container fd %d has no IOMMU set (no group attached): there is "
				       "nothing to take over; adopt it without VFIOIOMMU_ADOPT_LIVE", fd);
		}
		if (!live && (rc >= 0 || (rc != -EINVAL && rc != -ENODEV))) {
			free(c);
			if (rc < 0)
				return vi_fail(ctx, rc, "container fd %d: VFIO_IOMMU_GET_INFO failed with %s", fd,
					       vi_errno_name(rc));
			return vi_fail(ctx, -EBUSY, "container fd %d already has an IOMMU type set (a group is "
				       "attached to it): hand over a container with no group attached, and the "
				       "group fds to adopt with VFIOIOMMU_FD_GROUP", fd);
		}
	}
	is_fd = detect_iommufd(ctx, fd);
	if (is_fd < 0) {
		free(c);
		return is_fd;
	}
	c->fd = fd;
	ctx->be_priv = c;
	ctx->container_is_iommufd = is_fd;
	if (is_fd)
		reason_append(ctx, "; /dev/vfio/vfio is iommufd's emulation of the container");
	c->reason_base = strlen(ctx->backend_reason);
	if (live) {
		/*
		 * type1 answers CHECK_EXTENSION(TYPE1v2) with 1 on a v1 container
		 * too: the kernel does not tell the type, the caller's mode does.
		 */
		bool v1 = ctx->mode == VFIOIOMMU_MODE_TYPE1;
		int rc = kcheck_ext(ctx, fd, KABI_VFIO_UNMAP_ALL);

		if (rc < 0) {
			ctx->be_priv = NULL;
			free(c);
			return vi_fail(ctx, rc, "VFIO_CHECK_EXTENSION(UNMAP_ALL) failed: %s", vi_errno_name(rc));
		}
		c->unmap_all = rc > 0;
		c->live = c->iommu_set = true;
		ctx->backend = v1 ? VFIOIOMMU_BACKEND_TYPE1 : VFIOIOMMU_BACKEND_TYPE1V2;
		reason_append(ctx, "; %s taken over from another process (%s)", vfioiommu_backend_name(ctx->backend),
			      v1 ? "VFIOIOMMU_MODE_TYPE1" : "the kernel does not say which type1: v2 assumed");
	}
	return 0;
}

static int c_open(struct vfioiommu_ctx *ctx)
{
	int fd = vi_kopen(ctx, "/dev/vfio/vfio", O_RDWR | O_CLOEXEC), rc;

	if (fd < 0)
		return vi_fail_node(ctx, fd, "/dev/vfio/vfio", "cannot open /dev/vfio/vfio");
	rc = c_setup(ctx, fd, false, false);
	if (rc < 0)
		vi_kclose(ctx, fd);
	return rc;
}

static long group_find(struct vi_container *c, unsigned int num)
{
	for (size_t i = 0; i < c->ngroups; i++)
		if (c->groups[i].num == num)
			return (long)i;
	return -1;
}

/* ---------------- explaining refusals ---------------- */

#define VI_GROUP_NAMES_MAX 64

struct names {
	char v[VI_GROUP_NAMES_MAX][VI_BDF_MAX];
	unsigned int n;
};

/* Only collects: a door may hold its own lock while it calls back, so no door call here. */
static int collect_name(void *arg, const char *name)
{
	struct names *nm = arg;

	if (nm->n < VI_GROUP_NAMES_MAX)
		snprintf(nm->v[nm->n++], VI_BDF_MAX, "%s", name);
	return 0;
}

static int fail_not_viable(struct vfioiommu_ctx *ctx, unsigned int group)
{
	struct names *nm = calloc(1, sizeof(*nm));
	char drv[128], culprit[VI_BDF_MAX] = "", cdrv[128] = "";
	unsigned int others = 0;

	if (nm && vi_sysfs_listdir(ctx, collect_name, nm, "kernel/iommu_groups/%u/devices", group) >= 0) {
		for (unsigned int i = 0; i < nm->n; i++) {
			if (vi_sysfs_device_driver(ctx, nm->v[i], drv, sizeof(drv)) < 0 || !drv[0] ||
			    vi_driver_is_vfio(drv))
				continue;
			if (culprit[0]) {
				others++;
				continue;
			}
			snprintf(culprit, sizeof(culprit), "%s", nm->v[i]);
			snprintf(cdrv, sizeof(cdrv), "%s", drv);
		}
	}
	free(nm);
	if (!culprit[0])
		return vi_fail(ctx, -EINVAL,
			       "group %u is not viable: a device of the group is bound to a driver other than "
			       "vfio-pci (see %s/kernel/iommu_groups/%u/devices)", group, ctx->sysfs_root, group);
	return vi_fail(ctx, -EINVAL,
		       "group %u is not viable: device %s is bound to %s%s; every device of the group must be "
		       "bound to vfio-pci or to no driver", group, culprit, cdrv,
		       others ? " (and more devices to other drivers)" : "");
}

static int fail_set_container(struct vfioiommu_ctx *ctx, unsigned int group, int rc)
{
	char direct[80];

	if (rc == -EINVAL) {
		vi_group_direct_region(ctx, group, direct, sizeof(direct));
		if (direct[0])
			return vi_fail(ctx, -EINVAL,
				       "group %u needs a firmware 1:1 mapping (RESV_DIRECT region %s in its "
				       "reserved_regions): Linux 6.6+ refuses to hand such a device to VFIO",
				       group, direct);
		return vi_fail(ctx, -EINVAL,
			       "VFIO_GROUP_SET_CONTAINER on group %u failed: EINVAL (the group is already in a "
			       "container, leaves no usable IOVA space with the groups already added, or its "
			       "reserved regions clash with existing DMA mappings)", group);
	}
	if (rc == -EPERM)
		return vi_fail(ctx, -EPERM,
			       "VFIO_GROUP_SET_CONTAINER on group %u failed: EPERM (a device of the group is "
			       "in use by a kernel driver, or no-IOMMU and IOMMU groups were mixed)", group);
	return vi_fail(ctx, rc, "VFIO_GROUP_SET_CONTAINER on group %u failed: %s", group, vi_errno_name(rc));
}

/* ---------------- the IOMMU type ---------------- */

static int set_type(struct vfioiommu_ctx *ctx, unsigned long type, enum vfioiommu_backend b,
		    const char *why)
{
	struct vi_container *c = cont(ctx);
	int rc = vi_kioctl(ctx, c->fd, KABI_VFIO_SET_IOMMU, (void *)(uintptr_t)type);

	if (rc == -EPERM && b == VFIOIOMMU_BACKEND_NOIOMMU)
		return vi_fail(ctx, rc, "VFIO_SET_IOMMU(noiommu) failed: EPERM: no-IOMMU mode needs CAP_SYS_RAWIO "
			       "(run as root)");
	if (rc == -EPERM) {
		char what[64];

		snprintf(what, sizeof(what), "VFIO_SET_IOMMU(%s)", vfioiommu_backend_name(b));
		/* type1 refuses groups without MSI isolation; iommufd's container emulation has its own switch */
		return vi_fail_unsafe_interrupts(ctx, rc, what,
						 ctx->container_is_iommufd ? "iommufd" : "vfio_iommu_type1",
						 ctx->container_is_iommufd ? NULL :
						 "; iommufd's switch: iommufd.allow_unsafe_interrupts=1");
	}
	if (rc < 0)
		return vi_fail(ctx, rc, "VFIO_SET_IOMMU(%s) failed: %s%s", vfioiommu_backend_name(b),
			       vi_errno_name(rc),
			       rc == -EINVAL ? " (the groups leave no usable IOVA space?)" : "");
	c->iommu_set = true;
	ctx->backend = b;
	ctx->backend_reason[c->reason_base] = '\0';
	reason_append(ctx, "; %s: %s", vfioiommu_backend_name(b), why);
	vi_log(ctx, VFIOIOMMU_LOG_INFO, "container IOMMU type %s: %s", vfioiommu_backend_name(b), why);
	return 0;
}

static int set_iommu(struct vfioiommu_ctx *ctx)
{
	struct vi_container *c = cont(ctx);
	int rc;

	if (ctx->mode == VFIOIOMMU_MODE_NOIOMMU) {
		rc = kcheck_ext(ctx, c->fd, KABI_VFIO_NOIOMMU_IOMMU);
		if (rc < 0)
			return vi_fail(ctx, rc, "VFIO_CHECK_EXTENSION(NOIOMMU) failed: %s", vi_errno_name(rc));
		if (rc == 0)
			return vi_fail(ctx, -EOPNOTSUPP,
				       "no-IOMMU mode was requested but the kernel does not offer it "
				       "(vfio needs enable_unsafe_noiommu_mode=1 and CONFIG_VFIO_NOIOMMU)");
		return set_type(ctx, KABI_VFIO_NOIOMMU_IOMMU, VFIOIOMMU_BACKEND_NOIOMMU,
				"requested by the caller (unsafe: no DMA isolation)");
	}
	/* asked before SET_IOMMU, where type1 answers for itself; before 5.12 unmap_all spans the space */
	rc = kcheck_ext(ctx, c->fd, KABI_VFIO_UNMAP_ALL);
	if (rc < 0)
		return vi_fail(ctx, rc, "VFIO_CHECK_EXTENSION(UNMAP_ALL) failed: %s", vi_errno_name(rc));
	c->unmap_all = rc > 0;
	if (ctx->mode == VFIOIOMMU_MODE_TYPE1)
		rc = 0; /* the caller wants v1 unmap semantics: do not even ask for v2 */
	else
		rc = kcheck_ext(ctx, c->fd, KABI_VFIO_TYPE1v2_IOMMU);
	if (rc < 0)
		return vi_fail(ctx, rc, "VFIO_CHECK_EXTENSION(TYPE1v2) failed: %s", vi_errno_name(rc));
	if (rc > 0)
		return set_type(ctx, KABI_VFIO_TYPE1v2_IOMMU, VFIOIOMMU_BACKEND_TYPE1V2,
				"the kernel offers VFIO_TYPE1v2_IOMMU");
	rc = kcheck_ext(ctx, c->fd, KABI_VFIO_TYPE1_IOMMU);
	if (rc < 0)
		return vi_fail(ctx, rc, "VFIO_CHECK_EXTENSION(TYPE1) failed: %s", vi_errno_name(rc));
	if (rc == 0)
		return vi_fail(ctx, -EOPNOTSUPP, "the kernel offers %s (vfio_iommu_type1 not loaded, or a "
			       "platform without type1)", ctx->mode == VFIOIOMMU_MODE_TYPE1 ?
			       "no VFIO_TYPE1_IOMMU, which VFIOIOMMU_MODE_TYPE1 asks for" :
			       "neither VFIO_TYPE1v2_IOMMU nor VFIO_TYPE1_IOMMU");
	return set_type(ctx, KABI_VFIO_TYPE1_IOMMU, VFIOIOMMU_BACKEND_TYPE1,
			ctx->mode == VFIOIOMMU_MODE_TYPE1 ?
			"VFIOIOMMU_MODE_TYPE1 asks for it (an unmap covering part of a mapping is refused, "
			"as on every backend)" :
			"the kernel does not offer VFIO_TYPE1v2_IOMMU, so type1 (an unmap covering part of a "
			"mapping is refused, as on every backend)");
}

/* ---------------- groups ---------------- */

static int group_open(struct vfioiommu_ctx *ctx, unsigned int group)
{
	char path[64];
	int fd = -ENOENT;

	/* no-IOMMU groups have their own node name */
	if (ctx->mode == VFIOIOMMU_MODE_NOIOMMU) {
		snprintf(path, sizeof(path), "/dev/vfio/noiommu-%u", group);
		fd = vi_kopen(ctx, path, O_RDWR | O_CLOEXEC);
	}
	if (fd == -ENOENT) {
		snprintf(path, sizeof(path), "/dev/vfio/%u", group);
		fd = vi_kopen(ctx, path, O_RDWR | O_CLOEXEC);
	}
	if (fd == -ENOENT)
		return vi_fail(ctx, -ENOENT,
			       "group %u: %s does not exist: the group has no device bound to vfio-pci, "
			       "or there is no such group", group, path);
	if (fd == -EBUSY)
		return vi_fail(ctx, -EBUSY,
			       "group %u is already open (by another context or process, or a device of it "
			       "is in use through its VFIO cdev)", group);
	if (fd == -EACCES || fd == -EPERM) {
		char what[96];

		snprintf(what, sizeof(what), "group %u: cannot open %s", group, path);
		return vi_fail_node(ctx, fd, path, what);
	}
	if (fd < 0)
		return vi_fail(ctx, fd, "cannot open %s: %s", path, vi_errno_name(fd));
	return fd;
}

/*
 * Check, attach and (first group) set the IOMMU on an open group fd; the fd
 * is left open on failure.  @handed: the fd came from the caller, so a probe
 * failure means "not a group fd" rather than a broken group.
 */
static int group_attach_fd(struct vfioiommu_ctx *ctx, unsigned int group, int fd, bool handed)
{
	struct vi_container *c = cont(ctx);
	struct kabi_vfio_group_status st = { .argsz = sizeof(st) };
	int32_t cfd = c->fd;
	int rc;

	rc = vi_kioctl(ctx, fd, KABI_VFIO_GROUP_GET_STATUS, &st);
	if (rc < 0 && handed)
		return vi_fail_fd_kind(ctx, rc, fd, "a VFIO group", "VFIO_GROUP_GET_STATUS");
	if (rc < 0)
		return vi_fail(ctx, rc, "VFIO_GROUP_GET_STATUS on group %u failed: %s", group, vi_errno_name(rc));
	if (!(st.flags & KABI_VFIO_GROUP_FLAGS_VIABLE))
		return fail_not_viable(ctx, group);
	/* taken over: the kernel cannot say which container; the caller vouches it is this one */
	if ((st.flags & KABI_VFIO_GROUP_FLAGS_CONTAINER_SET) && handed && c->live)
		return 0;
	if (st.flags & KABI_VFIO_GROUP_FLAGS_CONTAINER_SET)
		return vi_fail(ctx, -EBUSY, "group %u is already attached to a container", group);
	rc = vi_kioctl(ctx, fd, KABI_VFIO_GROUP_SET_CONTAINER, &cfd);
	if (rc < 0)
		return fail_set_container(ctx, group, rc);
	if (!c->iommu_set) {
		rc = set_iommu(ctx);
		if (rc < 0) {
			vi_kioctl(ctx, fd, KABI_VFIO_GROUP_UNSET_CONTAINER, NULL);
			return rc;
		}
	}
	return 0;
}

/* Open, check, attach and (first group) set the IOMMU; returns the group fd. */
static int group_attach(struct vfioiommu_ctx *ctx, unsigned int group)
{
	int fd = group_open(ctx, group), rc;

	if (fd < 0)
		return fd;
	rc = group_attach_fd(ctx, group, fd, false);
	if (rc < 0) {
		vi_kclose(ctx, fd);
		return rc;
	}
	return fd;
}

/* Detach group idx and forget it; its fd is closed unless it goes back to a caller (@close_fd false). */
static void group_drop(struct vfioiommu_ctx *ctx, size_t idx, bool close_fd)
{
	struct vi_container *c = cont(ctx);
	struct vi_cgroup *g = &c->groups[idx];
	/*
	 * A group's container is the group's, not the fd's: detaching it here
	 * would take the mappings from the process the container went to.
	 */
	int rc = c->handed_over ? 0 : vi_kioctl(ctx, g->fd, KABI_VFIO_GROUP_UNSET_CONTAINER, NULL);

	/* closing the group fd detaches it anyway; the log says why the explicit step failed */
	if (rc < 0)
		vi_log(ctx, VFIOIOMMU_LOG_WARNING, "VFIO_GROUP_UNSET_CONTAINER on group %u failed: %s",
		       g->num, vi_errno_name(rc));
	if (close_fd)
		vi_kclose(ctx, g->fd);
	memmove(&c->groups[idx], &c->groups[idx + 1], (c->ngroups - idx - 1) * sizeof(*g));
	c->ngroups--;
	/*
	 * The kernel drops an empty container's IOMMU, and every mapping with it
	 * (FACTS: MAP and GET_INFO then fail EINVAL): the next group must set the
	 * IOMMU again, and the library's table of mappings must forget them.
	 */
	if (c->ngroups == 0) {
		c->iommu_set = false;
		/* dirty tracking goes with the IOMMU (FACTS: the next SET_IOMMU starts untracked) */
		ctx->dirty_type1 = false;
		vi_space_changed(ctx, true);
	}
}

static void group_release(struct vfioiommu_ctx *ctx, size_t idx)
{
	group_drop(ctx, idx, true);
}

/*
 * A group at @idx has no device open and was not added explicitly.  The last
 * group of a container takes the IOMMU and every mapping with it when it
 * leaves (FACTS: MAP and GET_INFO then EINVAL), while an IOAS keeps its
 * mappings without any device.  So that a mapping means the same on both,
 * the last group stays attached while the library holds mappings: until a
 * device of it opens again, vfioiommu_dma_unmap_all(), or the context ends.
 */
static void group_idle(struct vfioiommu_ctx *ctx, size_t idx)
{
	struct vi_container *c = cont(ctx);

	if (c->ngroups == 1 && vi_dma_holds(ctx)) {
		vi_log(ctx, VFIOIOMMU_LOG_INFO, "group %u stays in the container after its last device closed: "
		       "it keeps the IOMMU and the library's DMA mappings alive (released by "
		       "vfioiommu_dma_unmap_all() or vfioiommu_ctx_destroy())", c->groups[idx].num);
		return;
	}
	group_release(ctx, idx);
}

static void c_release_idle(struct vfioiommu_ctx *ctx)
{
	struct vi_container *c = cont(ctx);

	for (size_t i = c ? c->ngroups : 0; i-- > 0;)
		if (c->groups[i].devices == 0 && !c->groups[i].explicit_add)
			group_release(ctx, i);
}

static int groups_grow(struct vfioiommu_ctx *ctx)
{
	struct vi_container *c = cont(ctx);
	size_t ncap;
	struct vi_cgroup *ng;

	if (c->ngroups < c->cap)
		return 0;
	ncap = c->cap ? c->cap * 2 : 4;
	ng = realloc(c->groups, ncap * sizeof(*ng));
	if (!ng)
		return vi_fail(ctx, -ENOMEM, "out of memory");
	c->groups = ng;
	c->cap = ncap;
	return 0;
}

/* Add @group (or find it) and return its index. */
static long group_get(struct vfioiommu_ctx *ctx, unsigned int group, bool explicit_add)
{
	struct vi_container *c = cont(ctx);
	long idx = group_find(c, group);
	int fd;

	if (idx >= 0) {
		if (explicit_add && c->groups[idx].explicit_add)
			return vi_fail(ctx, -EBUSY, "group %u is already in this context", group);
		if (explicit_add)
			c->groups[idx].explicit_add = true;
		return idx;
	}
	if (groups_grow(ctx) < 0)
		return -ENOMEM;
	fd = group_attach(ctx, group);
	if (fd < 0)
		return fd;
	c->groups[c->ngroups] = (struct vi_cgroup){ .num = group, .fd = fd, .explicit_add = explicit_add };
	return (long)c->ngroups++;
}

static int c_add_group(struct vfioiommu_ctx *ctx, unsigned int group)
{
	long idx = group_get(ctx, group, true);

	if (idx < 0)
		return (int)idx;
	/* a new group narrows the container's ranges */
	vi_space_changed(ctx, false);
	return 0;
}

static int c_device_open(struct vfioiommu_ctx *ctx, struct vfioiommu_device *dev)
{
	struct vi_container *c = cont(ctx);
	long idx = group_get(ctx, dev->group, false);
	struct vi_cgroup *g;
	char name[VI_BDF_MAX + 48];
	int fd;

	if (idx < 0)
		return (int)idx;
	g = &c->groups[idx];
	if (dev->has_vf_token) {
		char tok[37];

		/* FACTS l: the kernel's match takes "BDF vf_token=UUID" (extra spaces are fine) */
		vi_uuid_text(dev->vf_token, tok);
		snprintf(name, sizeof(name), "%s vf_token=%s", dev->bdf, tok);
	} else {
		snprintf(name, sizeof(name), "%s", dev->bdf);
	}
	fd = vi_kioctl(ctx, g->fd, KABI_VFIO_GROUP_GET_DEVICE_FD, name);
	if (fd < 0) {
		char direct[80] = "";
		int rc;

		/* iommufd's emulated container claims the device here, not at SET_CONTAINER */
		if (fd == -EINVAL && ctx->container_is_iommufd == 1)
			vi_group_direct_region(ctx, dev->group, direct, sizeof(direct));
		if (direct[0])
			rc = vi_fail(ctx, -EINVAL, "device %s: group %u needs a firmware 1:1 mapping (RESV_DIRECT "
				     "region %s in its reserved_regions): Linux 6.6+ refuses to hand such a device "
				     "to VFIO", dev->bdf, dev->group, direct);
		else if (fd == -EACCES)
			rc = vi_fail(ctx, fd, "VFIO_GROUP_GET_DEVICE_FD for %s failed: EACCES: %s", dev->bdf,
				     dev->has_vf_token ? "the VF token given is not the one its PF's user set "
				     "(VFIO_DEVICE_FEATURE PCI_VF_TOKEN on the PF)" : "it is a VF whose PF is on "
				     "vfio-pci: open it with the PF's VF token (vfioiommu_device_open_with)");
		else if (fd == -EINVAL && dev->has_vf_token)
			rc = vi_fail(ctx, fd, "VFIO_GROUP_GET_DEVICE_FD for \"%s\" failed: EINVAL: a VF token was given "
				     "but %s needs none (it is not a VF, or its PF is not on vfio-pci); open it without",
				     name, dev->bdf);
		else
			rc = vi_fail(ctx, fd, "VFIO_GROUP_GET_DEVICE_FD for %s in group %u failed: %s%s", dev->bdf,
				     dev->group, vi_errno_name(fd),
				     fd == -ENODEV ? " (the device is not bound to vfio-pci)" :
				     fd == -EBUSY ? " (the device is open through its VFIO cdev)" : "");
		if (g->devices == 0 && !g->explicit_add)
			group_idle(ctx, (size_t)idx);
		return rc;
	}
	dev->fd = fd;
	g->devices++;
	return 0;
}

static void c_device_close(struct vfioiommu_ctx *ctx, struct vfioiommu_device *dev)
{
	struct vi_container *c = cont(ctx);
	long idx;

	if (dev->fd >= 0) {
		vi_kclose(ctx, dev->fd);
		dev->fd = -1;
	}
	if (!c || (idx = group_find(c, dev->group)) < 0)
		return;
	if (c->groups[idx].devices)
		c->groups[idx].devices--;
	if (c->groups[idx].devices == 0 && !c->groups[idx].explicit_add)
		group_idle(ctx, (size_t)idx);
}

/* Every device of the context is a mediated device (and there is one). */
static bool only_mdevs(const struct vfioiommu_ctx *ctx)
{
	const struct vfioiommu_device *d;

	for (d = ctx->devices; d; d = d->next)
		if (!d->mdev)
			return false;
	return ctx->devices != NULL;
}

static int c_iova_ranges(struct vfioiommu_ctx *ctx, vfioiommu_iova_list **out)
{
	struct vi_container *c = cont(ctx);
	struct vfioiommu_iommu_info info = { .size = sizeof(info) };
	int rc;

	*out = NULL;
	if (!c || !c->iommu_set)
		return vi_fail(ctx, -ENODEV, "no IOVA ranges yet: add a group or open a device first");
	if (ctx->backend == VFIOIOMMU_BACKEND_NOIOMMU)
		return vi_fail(ctx, -EOPNOTSUPP, "a no-IOMMU container has no IOVA ranges (no translation)");
	rc = vi_type1_info(ctx, c->fd, &info, out);
	if (rc < 0)
		return rc;
	if (!*out && only_mdevs(ctx)) {
		/*
		 * type1 builds its IOVA list from IOMMU domains; mediated devices
		 * (emulated IOMMU groups) bring none, so with only them the list is
		 * empty, the capability missing, and MAP_DMA takes any IOVA
		 * (FACTS.md: mtty on Linux 7.2).
		 */
		static const struct vfioiommu_iova_range all = { 0, UINT64_MAX };

		rc = vfioiommu_iova_list_new(&all, 1, VFIOIOMMU_IOVA_SRC_TYPE1_CAP, out);
		return rc < 0 ? vi_fail(ctx, rc, "out of memory") : 0;
	}
	if (!*out)
		return vi_fail(ctx, -ENODATA,
			       "VFIO_IOMMU_GET_INFO has no IOVA_RANGE capability (kernel before 5.4, or only "
			       "mdevs in the container): the kernel accepts any IOVA");
	return 0;
}

/* ---------------- DMA: the kernel's errno, unchanged (dma/dma.c explains) ---------------- */

static int dma_ready(struct vfioiommu_ctx *ctx)
{
	struct vi_container *c = cont(ctx);

	if (!c || !c->iommu_set)
		return vi_fail(ctx, -ENODEV, "no group is attached: the container has no IOMMU yet");
	if (ctx->backend == VFIOIOMMU_BACKEND_NOIOMMU)
		return vi_fail(ctx, -EOPNOTSUPP, "a no-IOMMU container cannot map DMA (no translation: use "
			       "physical addresses)");
	return c->fd;
}

/*
 * map and unmap run under dma/'s lock, not ctx->lock (backend/internal.h),
 * after the IOMMU was found set: they read only the container fd.  Should the
 * last group leave meanwhile, the kernel answers EINVAL and dma/ says so.
 */
static int c_map(struct vfioiommu_ctx *ctx, uint64_t vaddr, uint64_t iova, uint64_t len, uint32_t prot)
{
	struct kabi_vfio_dma_map m = {
		.argsz = sizeof(m), .vaddr = vaddr, .iova = iova, .size = len,
		.flags = ((prot & VI_PROT_READ) ? KABI_VFIO_DMA_MAP_FLAG_READ : 0) |
			 ((prot & VI_PROT_WRITE) ? KABI_VFIO_DMA_MAP_FLAG_WRITE : 0),
	};
	int rc = vi_kioctl(ctx, cont(ctx)->fd, KABI_VFIO_IOMMU_MAP_DMA, &m);

	return rc < 0 ? rc : 0;
}

static int unmap_flags(struct vfioiommu_ctx *ctx, uint32_t flags, uint64_t iova, uint64_t len,
		       uint64_t *unmapped)
{
	struct kabi_vfio_dma_unmap u = { .argsz = sizeof(u), .flags = flags, .iova = iova, .size = len };
	int rc = vi_kioctl(ctx, cont(ctx)->fd, KABI_VFIO_IOMMU_UNMAP_DMA, &u);

	/* the kernel writes size back only on success */
	*unmapped = rc < 0 ? 0 : u.size;
	return rc < 0 ? rc : 0;
}

static int c_unmap_dirty(struct vfioiommu_ctx *ctx, uint64_t iova, uint64_t len, uint64_t pgsize, uint64_t *bitmap,
			 uint64_t bitmap_bytes, uint64_t *unmapped)
{
	struct kabi_vfio_dma_unmap_bitmap a = {
		.u = { .argsz = sizeof(a), .flags = KABI_VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP, .iova = iova, .size = len },
		.pgsize = pgsize, .bsize = bitmap_bytes, .data = (uint64_t)(uintptr_t)bitmap,
	};
	int rc = vi_kioctl(ctx, cont(ctx)->fd, KABI_VFIO_IOMMU_UNMAP_DMA, &a);

	*unmapped = rc < 0 ? 0 : a.u.size;
	return rc < 0 ? rc : 0;
}

static int c_unmap(struct vfioiommu_ctx *ctx, uint64_t iova, uint64_t len, uint64_t *unmapped)
{
	return unmap_flags(ctx, 0, iova, len, unmapped);
}

/* ctx->lock held (backend/internal.h): the IOMMU type and UNMAP_ALL support may be read. */
static int c_unmap_all(struct vfioiommu_ctx *ctx, uint64_t *unmapped)
{
	struct vi_container *c = cont(ctx);
	struct vfioiommu_iommu_info info = { .size = sizeof(info) };
	uint64_t pg;
	int rc;

	*unmapped = 0;
	rc = dma_ready(ctx);
	if (rc < 0)
		return rc;
	if (c->unmap_all)
		return unmap_flags(ctx, KABI_VFIO_DMA_UNMAP_FLAG_ALL, 0, 0, unmapped);
	/* before 5.12: one range from 0 to the last whole page (size must not wrap) */
	rc = vi_type1_info(ctx, c->fd, &info, NULL);
	if (rc < 0)
		return rc;
	pg = info.pgsizes ? info.pgsizes & (~info.pgsizes + 1) : 4096;
	return unmap_flags(ctx, 0, 0, UINT64_MAX - pg + 1, unmapped);
}

static int c_dma_limits(struct vfioiommu_ctx *ctx, uint64_t *pgsizes, int64_t *avail)
{
	struct vfioiommu_iommu_info info = { .size = sizeof(info) };
	int fd = dma_ready(ctx);
	int rc;

	if (fd < 0)
		return fd;
	rc = vi_type1_info(ctx, fd, &info, NULL);
	if (rc < 0)
		return rc;
	*pgsizes = info.pgsizes;
	*avail = info.has_dma_avail ? (int64_t)info.dma_avail : -1;
	return 0;
}

static void c_close(struct vfioiommu_ctx *ctx)
{
	struct vi_container *c = cont(ctx);

	if (!c)
		return;
	while (c->ngroups)
		group_release(ctx, c->ngroups - 1);
	vi_kclose(ctx, c->fd);
	free(c->groups);
	free(c);
	ctx->be_priv = NULL;
	ctx->container_is_iommufd = -ENODEV;
}

const struct vi_backend_ops vi_container_ops = {
	/* the container family; ctx->backend says which type was set */
	.kind = VFIOIOMMU_BACKEND_TYPE1V2,
	.open = c_open,
	.add_group = c_add_group,
	.device_open = c_device_open,
	.device_close = c_device_close,
	.iova_ranges = c_iova_ranges,
	.close = c_close,
	.release_idle = c_release_idle,
	.map = c_map,
	.unmap = c_unmap,
	.unmap_all = c_unmap_all,
	.dma_limits = c_dma_limits,
	.unmap_dirty = c_unmap_dirty,
};

VFIOIOMMU_API int vfioiommu_ctx_iommu_info(vfioiommu_ctx *ctx, struct vfioiommu_iommu_info *info,
					   vfioiommu_iova_list **ranges)
{
	struct vfioiommu_iommu_info full = { .size = sizeof(full) };
	struct vi_container *c;
	uint32_t size;
	int rc;

	if (!ctx)
		return -EINVAL;
	if (ranges)
		*ranges = NULL;
	if (!info)
		return vi_fail(ctx, -EINVAL, "vfioiommu_ctx_iommu_info: info is NULL");
	size = info->size;
	if (size < offsetof(struct vfioiommu_iommu_info, pgsizes) + sizeof(info->pgsizes))
		return vi_fail(ctx, -EINVAL, "vfioiommu_ctx_iommu_info: info->size %u is too small (set it to "
			       "sizeof(struct vfioiommu_iommu_info))", size);
	pthread_mutex_lock(&ctx->lock);
	c = ctx->be == &vi_container_ops ? cont(ctx) : NULL;
	if (ctx->be && ctx->be != &vi_container_ops)
		rc = vi_fail(ctx, -EOPNOTSUPP, "VFIO_IOMMU_GET_INFO is a container ioctl; this context uses %s",
			     vfioiommu_backend_name(ctx->backend));
	else if (!c || !c->iommu_set)
		rc = vi_fail(ctx, -ENODEV, "no IOMMU yet: add a group or open a device first");
	else if (ctx->backend == VFIOIOMMU_BACKEND_NOIOMMU)
		rc = vi_fail(ctx, -EOPNOTSUPP, "a no-IOMMU container has no IOMMU to describe");
	else
		rc = vi_type1_info(ctx, c->fd, &full, ranges);
	pthread_mutex_unlock(&ctx->lock);
	if (rc < 0)
		return rc;
	if (size > sizeof(full))
		size = sizeof(full);
	full.size = size;
	memcpy(info, &full, size);
	return 0;
}

int vi_container_fd(struct vfioiommu_ctx *ctx)
{
	struct vi_container *c = ctx->be == &vi_container_ops ? cont(ctx) : NULL;

	return c ? c->fd : -ENODEV;
}

void vi_container_set_handed_over(struct vfioiommu_ctx *ctx, bool on)
{
	if (ctx->be == &vi_container_ops)
		cont(ctx)->handed_over = on;
}

int vi_container_group_fd(struct vfioiommu_ctx *ctx, unsigned int group)
{
	struct vi_container *c = ctx->be == &vi_container_ops ? cont(ctx) : NULL;
	long idx = c ? group_find(c, group) : -1;

	return idx < 0 ? -ENOENT : c->groups[idx].fd;
}

/* ---------------- handed-in fds (vfioiommu_ctx_adopt / vfioiommu_device_adopt) ---------------- */

int vi_container_adopt(struct vfioiommu_ctx *ctx, int fd, bool live)
{
	int rc;

	snprintf(ctx->backend_reason, sizeof(ctx->backend_reason), "container: fd %d handed in", fd);
	ctx->be = &vi_container_ops;
	rc = c_setup(ctx, fd, true, live);
	if (rc < 0) {
		ctx->be = NULL;
		ctx->be_priv = NULL;
		ctx->container_is_iommufd = -ENODEV;
		snprintf(ctx->backend_reason, sizeof(ctx->backend_reason),
			 "no backend chosen yet: add a group or open a device");
	}
	return rc;
}

int vi_container_adopt_group(struct vfioiommu_ctx *ctx, int fd, unsigned int group)
{
	struct vi_container *c = cont(ctx);
	int rc;

	if (group_find(c, group) >= 0)
		return vi_fail(ctx, -EBUSY, "group %u is already in this context", group);
	for (size_t i = 0; i < c->ngroups; i++)
		if (c->groups[i].fd == fd)
			return vi_fail(ctx, -EBUSY, "fd %d is already group %u of this context", fd,
				       c->groups[i].num);
	rc = groups_grow(ctx);
	if (rc < 0)
		return rc;
	rc = group_attach_fd(ctx, group, fd, true);
	if (rc < 0)
		return rc;
	c->groups[c->ngroups++] = (struct vi_cgroup){ .num = group, .fd = fd, .explicit_add = true };
	vi_space_changed(ctx, false);
	return 0;
}

void vi_container_unadopt_group(struct vfioiommu_ctx *ctx, unsigned int group)
{
	long idx = group_find(cont(ctx), group);

	if (idx >= 0)
		group_drop(ctx, (size_t)idx, false);
}

int vi_container_device_adopt(struct vfioiommu_ctx *ctx, struct vfioiommu_device *dev, int fd)
{
	struct vi_container *c = cont(ctx);
	struct kabi_vfio_device_info info = { .argsz = KABI_DEVICE_INFO_MIN };
	long idx = group_find(c, dev->group);
	int rc;

	if (idx < 0)
		return vi_fail(ctx, -ENOENT, "device fd %d: group %u is not in this context; adopt its group fd "
			       "(VFIOIOMMU_FD_GROUP) or add the group first", fd, dev->group);
	/* FACTS k: only a device fd answers GET_INFO (a bound cdev too, but a cdev is not a group's) */
	rc = vi_kioctl(ctx, fd, KABI_VFIO_DEVICE_GET_INFO, &info);
	if (rc < 0)
		return vi_fail_fd_kind(ctx, rc, fd, "a VFIO device fd", "VFIO_DEVICE_GET_INFO");
	dev->fd = fd;
	c->groups[idx].devices++;
	return 0;
}

int vi_container_device_from_group(struct vfioiommu_ctx *ctx, struct vfioiommu_device *dev)
{
	return c_device_open(ctx, dev);
}
