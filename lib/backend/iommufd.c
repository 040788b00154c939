/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * The iommufd backend: /dev/iommu with one IOAS; each device opened through
 * its cdev, bound to the iommufd and attached to the IOAS (the kernel makes
 * and frees the HWPT).  Sizes are the oldest ones that work (BIND 16 and
 * ATTACH 12 since 6.6, DETACH 8) so one binary runs on 6.6 through 7.x.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vfioiommu/iommufd.h>

#include "core/internal.h"
#include "internal.h"
#include "iommufd_priv.h"
#include "iova/internal.h"
#include "kabi/kabi.h"

/* MAP needs out_iova_alignment, but a mapping below page granularity would block later attaches. */
#define VI_MIN_ALIGN 4096u

static struct vi_iommufd *priv(struct vfioiommu_ctx *ctx)
{
	return ctx->be_priv;
}

static int fail_open(struct vfioiommu_ctx *ctx, int rc)
{
	if (rc == -ENODEV || rc == -ENXIO)
		return vi_fail(ctx, rc, "cannot open /dev/iommu: %s (kernel without CONFIG_IOMMUFD; "
			       "use the VFIO container backend)", vi_errno_name(rc));
	return vi_fail_node(ctx, rc, "/dev/iommu", "cannot open /dev/iommu");
}

static int i_open(struct vfioiommu_ctx *ctx)
{
	struct vi_iommufd *p = calloc(1, sizeof(*p));
	uint32_t ioas;
	int fd, rc;

	if (!p)
		return vi_fail(ctx, -ENOMEM, "out of memory");
	fd = vi_kopen(ctx, "/dev/iommu", O_RDWR);
	if (fd < 0) {
		free(p);
		return fail_open(ctx, fd);
	}
	rc = vi_iommufd_ioas_alloc_fd(ctx, fd, &ioas);
	if (rc < 0) {
		vi_kclose(ctx, fd);
		free(p);
		if (rc == -EPROTO)
			return vi_fail(ctx, rc, "IOMMU_IOAS_ALLOC returned IOAS id 0, which the kernel never hands out");
		return vi_fail(ctx, rc, "IOMMU_IOAS_ALLOC on /dev/iommu failed: %s", vi_errno_name(rc));
	}
	p->fd = fd;
	p->ioas = ioas;
	ctx->be_priv = p;
	ctx->backend = VFIOIOMMU_BACKEND_IOMMUFD;
	return 0;
}

static int fail_bind(struct vfioiommu_ctx *ctx, struct vfioiommu_device *dev, const char *cdev, int rc)
{
	char direct[80];

	switch (rc) {
	case -EBUSY:
		return vi_fail(ctx, rc, "VFIO_DEVICE_BIND_IOMMUFD for %s (%s) failed: EBUSY: its IOMMU group %u "
			       "is open through the VFIO group/container API (/dev/vfio/%u, in this or another "
			       "process); close it there, or use the container backend",
			       dev->bdf, cdev, dev->group, dev->group);
	case -EINVAL:
		if (dev->has_vf_token)
			return vi_fail(ctx, rc, "VFIO_DEVICE_BIND_IOMMUFD for %s with a VF token failed: EINVAL: %s needs "
				       "no token (it is not a VF, or its PF is not on vfio-pci), or the kernel "
				       "predates 6.17 (no token on the cdev path: use the container backend)",
				       dev->bdf, dev->bdf);
		vi_group_direct_region(ctx, dev->group, direct, sizeof(direct));
		if (direct[0])
			return vi_fail(ctx, rc, "VFIO_DEVICE_BIND_IOMMUFD for %s failed: EINVAL: group %u needs a "
				       "firmware 1:1 mapping (RESV_DIRECT region %s in its reserved_regions): "
				       "Linux 6.6+ refuses to hand such a device to userspace",
				       dev->bdf, dev->group, direct);
		return vi_fail(ctx, rc, "VFIO_DEVICE_BIND_IOMMUFD for %s (%s) failed: EINVAL (the device is "
			       "already bound, e.g. open in another context)", dev->bdf, cdev);
	case -EPERM: {
		char what[96], also[256];

		snprintf(what, sizeof(what), "VFIO_DEVICE_BIND_IOMMUFD for %s", dev->bdf);
		snprintf(also, sizeof(also), "; else another device of IOMMU group %u is bound to a kernel driver "
			 "or owned by another iommufd; type1's switch: vfio_iommu_type1.allow_unsafe_interrupts=1",
			 dev->group);
		return vi_fail_unsafe_interrupts(ctx, rc, what, "iommufd", also);
	}
	case -EACCES:
		if (dev->has_vf_token)
			return vi_fail(ctx, rc, "VFIO_DEVICE_BIND_IOMMUFD for %s failed: EACCES: the VF token given is "
				       "not the one its PF's user set (VFIO_DEVICE_FEATURE PCI_VF_TOKEN on the PF)",
				       dev->bdf);
		return vi_fail(ctx, rc, "VFIO_DEVICE_BIND_IOMMUFD for %s failed: EACCES: it is a VF whose PF is "
			       "on vfio-pci: open it with the PF's VF token (vfioiommu_device_open_with)", dev->bdf);
	case -ENOTTY:
		return vi_fail(ctx, rc, "VFIO_DEVICE_BIND_IOMMUFD for %s failed: ENOTTY (kernel before 6.6 "
			       "has no cdev binding)", dev->bdf);
	}
	return vi_fail(ctx, rc, "VFIO_DEVICE_BIND_IOMMUFD for %s (%s) failed: %s", dev->bdf, cdev,
		       vi_errno_name(rc));
}

static int fail_attach(struct vfioiommu_ctx *ctx, struct vfioiommu_device *dev, uint32_t ioas, int rc)
{
	if (rc == -EADDRINUSE)
		return vi_fail(ctx, rc, "VFIO_DEVICE_ATTACH_IOMMUFD_PT of %s to IOAS %u failed: EADDRINUSE: "
			       "existing DMA mappings overlap the device's reserved regions or lie outside "
			       "its IOMMU aperture; unmap them first", dev->bdf, ioas);
	if (rc == -EINVAL)
		return vi_fail(ctx, rc, "VFIO_DEVICE_ATTACH_IOMMUFD_PT of %s to IOAS %u failed: EINVAL (the "
			       "device's IOMMU cannot join this address space, or its reserved regions leave "
			       "no usable IOVA)", dev->bdf, ioas);
	return vi_fail(ctx, rc, "VFIO_DEVICE_ATTACH_IOMMUFD_PT of %s to IOAS %u failed: %s", dev->bdf, ioas,
		       vi_errno_name(rc));
}

/* Attach a bound cdev to the IOAS; on success the device keeps fd and devid. */
static int attach(struct vfioiommu_ctx *ctx, struct vfioiommu_device *dev, int fd, uint32_t devid)
{
	struct vi_iommufd *p = priv(ctx);
	int rc;

	dev->fd = fd;
	dev->devid = devid;
	rc = vi_iommufd_attach(ctx, dev, p->ioas, NULL, NULL);
	if (rc == 0)
		return 0;
	dev->fd = -1;
	dev->devid = 0;
	if (rc == -EPROTO)
		return vi_fail(ctx, rc, "VFIO_DEVICE_ATTACH_IOMMUFD_PT of %s returned HWPT id 0", dev->bdf);
	return fail_attach(ctx, dev, p->ioas, rc);
}

/* BIND of cdev @fd to the context's iommufd, with dev's VF token if it has one; 0, -EPROTO (id 0) or -errno. */
static int bind_cdev(struct vfioiommu_ctx *ctx, struct vfioiommu_device *dev, int fd, uint32_t *devid)
{
	struct kabi_vfio_device_bind_iommufd bind = { .argsz = KABI_BIND_IOMMUFD_MIN, .iommufd = priv(ctx)->fd };
	int rc;

	if (dev->has_vf_token) {
		/* 6.17+: argsz 24 with the flag; FACTS l: the flag with argsz 16 reads no pointer (EFAULT) */
		bind.argsz = KABI_BIND_IOMMUFD_TOKEN_SIZE;
		bind.flags = KABI_VFIO_DEVICE_BIND_FLAG_TOKEN;
		bind.token_uuid_ptr = (uint64_t)(uintptr_t)dev->vf_token;
	}
	rc = vi_kioctl(ctx, fd, KABI_VFIO_DEVICE_BIND_IOMMUFD, &bind);
	if (rc < 0)
		return rc;
	*devid = bind.out_devid;
	return bind.out_devid ? 0 : -EPROTO;
}

static int i_device_open(struct vfioiommu_ctx *ctx, struct vfioiommu_device *dev)
{
	struct vi_iommufd *p = priv(ctx);
	char cdev[VI_PATH_MAX];
	uint32_t devid;
	int fd, rc;

	rc = vi_device_cdev_path(ctx, dev->bdf, cdev, sizeof(cdev));
	if (rc == -ENOENT)
		return vi_fail(ctx, -ENODEV, "device %s has no VFIO cdev (no %s/bus/%s/devices/%s/vfio-dev/vfioN): "
			       "kernel older than 6.6 or without CONFIG_VFIO_DEVICE_CDEV; use the container "
			       "backend", dev->bdf, ctx->sysfs_root, vi_dev_bus(dev->bdf), dev->bdf);
	if (rc < 0)
		return vi_fail(ctx, rc, "device %s: cannot list its vfio-dev directory in sysfs: %s", dev->bdf,
			       vi_errno_name(rc));
	fd = vi_kopen(ctx, cdev, O_RDWR);
	if (fd == -EACCES || fd == -EPERM) {
		char what[VI_PATH_MAX + 96];

		snprintf(what, sizeof(what), "cannot open %s (VFIO cdev of %s)", cdev, dev->bdf);
		return vi_fail_node(ctx, fd, cdev, what);
	}
	if (fd < 0)
		return vi_fail(ctx, fd, "cannot open %s (VFIO cdev of %s): %s%s", cdev, dev->bdf, vi_errno_name(fd),
			       fd == -ENOENT ? " (sysfs lists it but /dev has no node: is devtmpfs mounted, or is "
			       "this a container without it?)" : "");
	rc = bind_cdev(ctx, dev, fd, &devid);
	if (rc == -EPROTO) {
		vi_kclose(ctx, fd);
		return vi_fail(ctx, -EPROTO, "VFIO_DEVICE_BIND_IOMMUFD for %s returned device id 0, which the "
			       "kernel never hands out", dev->bdf);
	}
	if (rc < 0) {
		rc = fail_bind(ctx, dev, cdev, rc);
		vi_kclose(ctx, fd);
		return rc;
	}
	rc = attach(ctx, dev, fd, devid);
	if (rc < 0) {
		/* closing the cdev unbinds (and detaches) */
		vi_kclose(ctx, fd);
		return rc;
	}
	vi_log(ctx, VFIOIOMMU_LOG_DEBUG, "%s: %s bound as device %u, attached to IOAS %u through HWPT %u",
	       dev->bdf, cdev, dev->devid, p->ioas, dev->pt_id);
	return 0;
}

static void i_device_close(struct vfioiommu_ctx *ctx, struct vfioiommu_device *dev)
{
	int rc;

	if (dev->fd < 0)
		return;
	if (dev->pt_id) {
		rc = vi_iommufd_detach(ctx, dev, NULL);
		/* closing the cdev detaches anyway; only worth a note */
		if (rc < 0)
			vi_log(ctx, VFIOIOMMU_LOG_WARNING, "VFIO_DEVICE_DETACH_IOMMUFD_PT of %s failed (%s); "
			       "closing its cdev detaches it", dev->bdf, vi_errno_name(rc));
	}
	vi_kclose(ctx, dev->fd);
	dev->fd = -1;
	dev->devid = 0;
	dev->pt_id = 0;
	/* attach and detach move the IOVA ranges; dma/ re-reads them lazily */
	vi_space_changed(ctx, false);
}

/* The context's own IOAS's ranges (vi_iommufd_ioas_ranges: the kernel's, checked). */
static int query_ranges(struct vfioiommu_ctx *ctx, struct kabi_iommu_iova_range **out, uint32_t *n,
			uint64_t *align)
{
	return vi_iommufd_ioas_ranges(ctx, priv(ctx)->ioas, out, n, align);
}

static int i_iova_ranges(struct vfioiommu_ctx *ctx, vfioiommu_iova_list **out)
{
	struct kabi_iommu_iova_range *kr = NULL;
	struct vfioiommu_iova_range *r;
	uint32_t n = 0;
	uint64_t align;
	int rc;

	*out = NULL;
	rc = query_ranges(ctx, &kr, &n, &align);
	if (rc < 0)
		return rc;
	r = calloc(n ? n : 1, sizeof(*r));
	if (!r) {
		free(kr);
		return vi_fail(ctx, -ENOMEM, "out of memory");
	}
	for (uint32_t i = 0; i < n; i++)
		r[i] = (struct vfioiommu_iova_range){ kr[i].start, kr[i].last };
	free(kr);
	rc = vfioiommu_iova_list_new(r, n, VFIOIOMMU_IOVA_SRC_IOAS_RANGES, out);
	if (rc < 0)
		rc = vi_fail(ctx, rc, "cannot build the IOVA range list (%s)", vi_errno_name(rc));
	free(r);
	return rc;
}

/*
 * The IOMMU page sizes above the base page, where the hardware's registers
 * say them: iommufd has no page-size query, but IOMMU_GET_HW_INFO returns
 * the VT-d capability registers.  Linux 7.2's intel driver builds a paging
 * domain on the first stage when the unit runs in scalable mode with
 * first-stage support (2 MiB always, 1 GiB with FL1GP), else on the second
 * stage, whose sizes are SLLPS (2 MiB, 1 GiB, 512 GiB, 1 TiB).  AMD and
 * virtio-iommu give no driver data (tests/vm/FACTS.md): 0, "not told", as
 * on a kernel without the ioctl (before 6.6: ENOTTY).  ctx->lock held.
 */
uint64_t vi_vtd_pgsizes(uint64_t cap, uint64_t ecap)
{
	static const unsigned int sllps_shift[4] = { 21, 30, 39, 40 };
	uint64_t sizes = 0;

	/* ecap SMTS (43) and FLTS (47): a scalable-mode unit the driver pages on the first stage */
	if (((ecap >> 43) & 1) && ((ecap >> 47) & 1))
		return (1ull << 21) | (((cap >> 56) & 1) ? 1ull << 30 : 0);
	for (unsigned int b = 0; b < 4; b++)
		if ((cap >> (34 + b)) & 1)
			sizes |= 1ull << sllps_shift[b];
	return sizes;
}

static int hw_superpages(struct vfioiommu_ctx *ctx, uint64_t *out)
{
	*out = 0;
	/* the first attached device with an IOMMU behind it speaks for the IOAS */
	for (struct vfioiommu_device *dev = ctx->devices; dev; dev = dev->next) {
		struct kabi_iommu_hw_info_vtd vtd = { 0 };
		struct kabi_iommu_hw_info q = { .size = sizeof(q), .data_len = sizeof(vtd),
						.data_uptr = (uint64_t)(uintptr_t)&vtd };
		int rc;

		if (dev->fd < 0 || !dev->devid || !dev->pt_id)
			continue;
		q.dev_id = dev->devid;
		rc = vi_iommufd_hw_info(ctx, dev, &q);
		if (rc == -ENODEV)
			continue;
		if (rc == -ENOTTY || rc == -EOPNOTSUPP)
			return 0;
		if (rc < 0)
			return vi_fail(ctx, rc, "IOMMU_GET_HW_INFO on device %s failed (%s): cannot tell the IOMMU's "
				       "page sizes", dev->bdf, vi_errno_name(rc));
		if (q.out_data_type == KABI_IOMMU_HW_INFO_TYPE_INTEL_VTD && q.data_len >= sizeof(vtd))
			*out = vi_vtd_pgsizes(vtd.cap_reg, vtd.ecap_reg);
		return 0;
	}
	return 0;
}

static int i_dma_limits(struct vfioiommu_ctx *ctx, uint64_t *pgsizes, int64_t *avail)
{
	struct kabi_iommu_iova_range *kr = NULL;
	uint32_t n;
	uint64_t align, hw;
	int rc = query_ranges(ctx, &kr, &n, &align);

	if (rc < 0)
		return rc;
	free(kr);
	rc = hw_superpages(ctx, &hw);
	if (rc < 0)
		return rc;
	if (align == 0 || (align & (align - 1)))
		return vi_fail(ctx, -EPROTO, "IOMMU_IOAS_IOVA_RANGES reports IOVA alignment 0x%" PRIx64
			       ", not a power of two", align);
	/* the alignment MAP needs (an IOAS without a device says 1), then what the hardware adds */
	if (align < VI_MIN_ALIGN)
		align = VI_MIN_ALIGN;
	*pgsizes = align | (hw & ~(align - 1));
	*avail = -1;
	return 0;
}

static uint32_t map_flags(uint32_t prot)
{
	return KABI_IOMMU_IOAS_MAP_FIXED_IOVA | ((prot & VI_PROT_READ) ? KABI_IOMMU_IOAS_MAP_READABLE : 0) |
	       ((prot & VI_PROT_WRITE) ? KABI_IOMMU_IOAS_MAP_WRITEABLE : 0);
}

/*
 * map, map_file and unmap run without ctx->lock (backend/internal.h): they
 * read only the fd and IOAS id.
 */
static int i_map(struct vfioiommu_ctx *ctx, uint64_t vaddr, uint64_t iova, uint64_t len, uint32_t prot)
{
	return vi_iommufd_ioas_map(ctx, priv(ctx)->ioas, map_flags(prot), vaddr, len, &iova);
}

static int i_map_file(struct vfioiommu_ctx *ctx, int fd, uint64_t start, uint64_t iova, uint64_t len,
		      uint32_t prot)
{
	return vi_iommufd_ioas_map_file(ctx, priv(ctx)->ioas, map_flags(prot), fd, start, len, &iova);
}

static int i_unmap(struct vfioiommu_ctx *ctx, uint64_t iova, uint64_t len, uint64_t *unmapped)
{
	return vi_iommufd_ioas_unmap(ctx, priv(ctx)->ioas, iova, len, unmapped);
}

static int i_unmap_all(struct vfioiommu_ctx *ctx, uint64_t *unmapped)
{
	/* iova 0 with length U64_MAX is iommufd's "everything" */
	return i_unmap(ctx, 0, UINT64_MAX, unmapped);
}

static void i_close(struct vfioiommu_ctx *ctx)
{
	struct vi_iommufd *p = priv(ctx);
	int rc;

	if (!p)
		return;
	/* HWPTs were auto domains, gone with their devices; the IOAS is the only object left */
	rc = p->ioas_handed ? 0 : vi_iommufd_destroy(ctx, p->ioas);
	if (rc < 0)
		vi_log(ctx, VFIOIOMMU_LOG_WARNING, "IOMMU_DESTROY of IOAS %u failed (%s); closing /dev/iommu "
		       "frees it", p->ioas, vi_errno_name(rc));
	vi_kclose(ctx, p->fd);
	free(p);
	ctx->be_priv = NULL;
}

const struct vi_backend_ops vi_iommufd_ops = {
	.kind = VFIOIOMMU_BACKEND_IOMMUFD,
	.open = i_open,
	.device_open = i_device_open,
	.device_close = i_device_close,
	.iova_ranges = i_iova_ranges,
	.close = i_close,
	.map = i_map,
	.unmap = i_unmap,
	.unmap_all = i_unmap_all,
	.map_file = i_map_file,
	.dma_limits = i_dma_limits,
};

/* ---------------- handed-in fds ---------------- */

/* Make an adopted fd the context's iommufd: a new IOAS on it, or check that @ioas is one. */
static int i_setup(struct vfioiommu_ctx *ctx, int fd, uint32_t ioas)
{
	struct vi_iommufd *p = calloc(1, sizeof(*p));
	int rc;

	if (!p)
		return vi_fail(ctx, -ENOMEM, "out of memory");
	p->fd = fd;
	ctx->be_priv = p;
	if (ioas == 0) {
		rc = vi_iommufd_ioas_alloc(ctx, &p->ioas);
		if (rc == -EPROTO)
			rc = vi_fail(ctx, rc, "IOMMU_IOAS_ALLOC returned IOAS id 0, which the kernel never hands out");
		else if (rc < 0)
			rc = vi_fail_fd_kind(ctx, rc, fd, "an iommufd", "IOMMU_IOAS_ALLOC");
	} else {
		struct kabi_iommu_iova_range *kr = NULL;
		uint32_t n;
		uint64_t align;

		/* the ranges prove the IOAS exists (ENOENT) and the fd is an iommufd */
		rc = vi_iommufd_ioas_ranges(ctx, ioas, &kr, &n, &align);
		free(kr);
		if (rc == -ENOENT)
			rc = vi_fail(ctx, rc, "iommufd fd %d has no IOAS %u (IOMMU_IOAS_IOVA_RANGES: ENOENT)", fd, ioas);
		else if (rc < 0 && rc != -EPROTO && rc != -ENOMEM)
			rc = vi_fail_fd_kind(ctx, rc, fd, "an iommufd", "IOMMU_IOAS_IOVA_RANGES");
		p->ioas = ioas;
		p->ioas_handed = true;
	}
	if (rc < 0) {
		ctx->be_priv = NULL;
		free(p);
		return rc;
	}
	ctx->backend = VFIOIOMMU_BACKEND_IOMMUFD;
	return 0;
}

int vi_iommufd_adopt(struct vfioiommu_ctx *ctx, int fd, uint32_t ioas)
{
	int rc;

	ctx->be = &vi_iommufd_ops;
	rc = i_setup(ctx, fd, ioas);
	if (rc < 0) {
		ctx->be = NULL;
		return rc;
	}
	snprintf(ctx->backend_reason, sizeof(ctx->backend_reason), "iommufd: fd %d handed in, %s IOAS %u", fd,
		 ioas ? "its" : "a new", priv(ctx)->ioas);
	return 0;
}

int vi_iommufd_device_adopt(struct vfioiommu_ctx *ctx, struct vfioiommu_device *dev, int fd, uint32_t devid)
{
	int rc;

	if (devid == 0) {
		rc = bind_cdev(ctx, dev, fd, &devid);
		if (rc == -EINVAL)
			/* FACTS k: a bound cdev (to any iommufd), a group-path device fd and a container all say EINVAL */
			return vi_fail(ctx, rc, "fd %d (%s) cannot be bound: VFIO_DEVICE_BIND_IOMMUFD answered EINVAL, "
				       "as a cdev already bound (to this or another iommufd; a cdev is bound once: "
				       "pass one bound to this context's iommufd as VFIOIOMMU_FD_CDEV_BOUND with its "
				       "device id), a device fd from a VFIO group or a container does; the fd is left "
				       "open and the caller's", fd, dev->bdf);
		if (rc < 0 && (rc == -ENOTTY || rc == -EBADF))
			return vi_fail_fd_kind(ctx, rc, fd, "a VFIO cdev", "VFIO_DEVICE_BIND_IOMMUFD");
		if (rc == -EPROTO)
			return vi_fail(ctx, -EPROTO, "VFIO_DEVICE_BIND_IOMMUFD for %s returned device id 0, which the "
				       "kernel never hands out; the fd stays bound: close it", dev->bdf);
		if (rc < 0)
			return fail_bind(ctx, dev, "handed-in cdev", rc);
	} else {
		struct kabi_vfio_device_info info = { .argsz = KABI_DEVICE_INFO_MIN };
		struct kabi_iommu_hw_info h = { .size = KABI_HW_INFO_MIN };

		/* FACTS k: an unbound cdev answers GET_INFO with EINVAL, a bound one answers */
		rc = vi_kioctl(ctx, fd, KABI_VFIO_DEVICE_GET_INFO, &info);
		if (rc == -EINVAL)
			return vi_fail(ctx, rc, "fd %d (%s) handed in as a bound cdev is not bound (VFIO_DEVICE_GET_INFO: "
				       "EINVAL): pass it as VFIOIOMMU_FD_CDEV; the fd is left open and the caller's",
				       fd, dev->bdf);
		if (rc < 0)
			return vi_fail_fd_kind(ctx, rc, fd, "a bound VFIO cdev", "VFIO_DEVICE_GET_INFO");
		h.dev_id = devid;
		rc = vi_iommufd_hw_info(ctx, dev, &h);
		if (rc < 0 && rc != -ENODEV)
			return vi_fail(ctx, rc, "device id %u (%s): IOMMU_GET_HW_INFO on this context's iommufd failed "
				       "with %s: the cdev must be bound to this context's iommufd and devid be the id "
				       "VFIO_DEVICE_BIND_IOMMUFD returned; the fd is left open and the caller's",
				       devid, dev->bdf, vi_errno_name(rc));
	}
	rc = attach(ctx, dev, fd, devid);
	if (rc < 0) {
		char why[VI_MSG_MAX];

		snprintf(why, sizeof(why), "%s", vfioiommu_strerror(ctx));
		return vi_fail(ctx, rc, "%s; fd %d stays bound to this context's iommufd as device %u (the kernel "
			       "has no unbind: close it)", why, fd, devid);
	}
	return 0;
}

/* ---------------- public queries ---------------- */

int vi_iommufd_get(struct vfioiommu_ctx *ctx, int *fd, uint32_t *ioas)
{
	struct vi_iommufd *p;

	if (!ctx->be)
		return vi_fail(ctx, -ENODEV, "no backend yet: open a device first (iommufd is chosen then)");
	if (ctx->be != &vi_iommufd_ops || !(p = priv(ctx)))
		return vi_fail(ctx, -EOPNOTSUPP, "this context uses the %s backend, not iommufd",
			       vfioiommu_backend_name(ctx->backend));
	if (fd)
		*fd = p->fd;
	if (ioas)
		*ioas = p->ioas;
	return 0;
}

VFIOIOMMU_API int vfioiommu_ctx_iommufd_fd(vfioiommu_ctx *ctx)
{
	int fd = -1, rc;

	if (!ctx)
		return -EINVAL;
	pthread_mutex_lock(&ctx->lock);
	rc = vi_iommufd_get(ctx, &fd, NULL);
	pthread_mutex_unlock(&ctx->lock);
	return rc < 0 ? rc : fd;
}

VFIOIOMMU_API int vfioiommu_ctx_ioas_id(vfioiommu_ctx *ctx, uint32_t *id)
{
	int rc;

	if (!ctx)
		return -EINVAL;
	if (!id)
		return vi_fail(ctx, -EINVAL, "vfioiommu_ctx_ioas_id: id is NULL");
	pthread_mutex_lock(&ctx->lock);
	rc = vi_iommufd_get(ctx, NULL, id);
	pthread_mutex_unlock(&ctx->lock);
	return rc;
}

VFIOIOMMU_API int vfioiommu_device_iommufd_id(vfioiommu_device *dev, uint32_t *devid)
{
	struct vfioiommu_ctx *ctx;
	int rc;

	if (!dev)
		return -EINVAL;
	ctx = dev->ctx;
	if (!devid)
		return vi_fail(ctx, -EINVAL, "vfioiommu_device_iommufd_id: devid is NULL");
	pthread_mutex_lock(&ctx->lock);
	rc = vi_iommufd_get(ctx, NULL, NULL);
	if (rc == 0)
		*devid = dev->devid;
	pthread_mutex_unlock(&ctx->lock);
	return rc;
}

VFIOIOMMU_API int vfioiommu_device_hw_info(vfioiommu_device *dev, struct vfioiommu_hw_info *out)
{
	struct vfioiommu_hw_info full = { .size = sizeof(full) };
	struct kabi_iommu_hw_info h = { .size = sizeof(h) };
	struct vfioiommu_ctx *ctx;
	uint32_t size;
	int rc;

	if (!dev)
		return -EINVAL;
	ctx = dev->ctx;
	if (!out)
		return vi_fail(ctx, -EINVAL, "vfioiommu_device_hw_info: out is NULL");
	size = out->size;
	if (size < offsetof(struct vfioiommu_hw_info, type) + sizeof(out->type))
		return vi_fail(ctx, -EINVAL, "vfioiommu_device_hw_info: out->size %u is too small (set it to "
			       "sizeof(struct vfioiommu_hw_info))", size);
	pthread_mutex_lock(&ctx->lock);
	rc = vi_iommufd_get(ctx, NULL, NULL);
	if (rc == 0) {
		/* data_len 0: only the common fields are wanted, not the driver's register dump */
		h.dev_id = dev->devid;
		rc = vi_iommufd_hw_info(ctx, dev, &h);
		if (rc == -ENODEV)
			rc = vi_fail(ctx, rc, "IOMMU_GET_HW_INFO for %s: it is a mediated device, with no IOMMU "
				     "behind it", dev->bdf);
		else if (rc == -ENOTTY)
			rc = vi_fail(ctx, -EOPNOTSUPP, "IOMMU_GET_HW_INFO for %s: ENOTTY (kernel before 6.6)",
				     dev->bdf);
		else if (rc < 0)
			rc = vi_fail(ctx, rc, "IOMMU_GET_HW_INFO for %s (device id %u) failed: %s", dev->bdf,
				     dev->devid, vi_errno_name(rc));
		else
			rc = 0;
	}
	pthread_mutex_unlock(&ctx->lock);
	if (rc < 0)
		return rc;
	full.type = h.out_data_type;
	full.max_pasid_log2 = h.out_max_pasid_log2;
	full.capabilities = h.out_capabilities;
	if (size > sizeof(full))
		size = sizeof(full);
	full.size = size;
	memcpy(out, &full, size);
	return 0;
}
