/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * The iommufd calls on any object of a context's /dev/iommu: the backend's
 * own operations use them with the context's IOAS, iommufd/ and pasid/ with
 * the objects they made.  They are the only places the library issues these
 * ioctls, so the size each uses (the oldest that works: ATTACH 12 since 6.6,
 * DETACH 8) and the checks on what the kernel hands back live once.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>

#include "core/internal.h"
#include "internal.h"
#include "iommufd_priv.h"
#include "kabi/kabi.h"

/* First request for IOVA_RANGES: real IOMMUs leave a handful of holes. */
#define RANGES_FIRST 16
/* A count above this is a kernel (or mock) we refuse to believe: no IOMMU has that many holes. */
#define RANGES_MAX 65536
/* The count can only change if the IOAS changes between calls; a few tries is plenty. */
#define RANGES_TRIES 4

/* The ioctls whose absence is remembered (one bit each in vi_iommufd.missing). */
static uint32_t missing_bit(unsigned long req)
{
	static const unsigned long reqs[] = {
		KABI_IOMMU_HWPT_ALLOC, KABI_IOMMU_FAULT_QUEUE_ALLOC, KABI_IOMMU_VIOMMU_ALLOC, KABI_IOMMU_VDEVICE_ALLOC,
		KABI_IOMMU_VEVENTQ_ALLOC, KABI_IOMMU_HWPT_INVALIDATE, KABI_IOMMU_OPTION, KABI_IOMMU_IOAS_COPY,
		KABI_IOMMU_IOAS_CHANGE_PROCESS, KABI_IOMMU_IOAS_ALLOW_IOVAS,
		KABI_IOMMU_HW_QUEUE_ALLOC, KABI_IOMMU_HWPT_SET_DIRTY_TRACKING, KABI_IOMMU_HWPT_GET_DIRTY_BITMAP,
	};

	for (size_t i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++)
		if (reqs[i] == req)
			return 1u << i;
	return 0;
}

int vi_iommufd_ioctl(struct vfioiommu_ctx *ctx, unsigned long req, void *arg)
{
	struct vi_iommufd *p = vi_iommufd_priv(ctx);
	uint32_t bit = missing_bit(req);
	int rc;

	if (!p)
		return -EOPNOTSUPP;
	/* relaxed: see vi_iommufd.missing */
	if (atomic_load_explicit(&p->missing, memory_order_relaxed) & bit)
		return -ENOTTY;
	rc = vi_kioctl(ctx, p->fd, req, arg);
	if (rc == -ENOTTY && bit)
		atomic_fetch_or_explicit(&p->missing, bit, memory_order_relaxed);
	return rc;
}

int vi_iommufd_ioas_alloc(struct vfioiommu_ctx *ctx, uint32_t *id)
{
	struct vi_iommufd *p = vi_iommufd_priv(ctx);

	return p ? vi_iommufd_ioas_alloc_fd(ctx, p->fd, id) : -EOPNOTSUPP;
}

int vi_iommufd_ioas_alloc_fd(struct vfioiommu_ctx *ctx, int fd, uint32_t *id)
{
	struct kabi_iommu_ioas_alloc a = { .size = sizeof(a) };
	int rc = vi_kioctl(ctx, fd, KABI_IOMMU_IOAS_ALLOC, &a);

	*id = 0;
	if (rc < 0)
		return rc;
	if (a.out_ioas_id == 0)
		return -EPROTO;
	*id = a.out_ioas_id;
	return 0;
}

int vi_iommufd_destroy(struct vfioiommu_ctx *ctx, uint32_t id)
{
	struct vi_iommufd *p = vi_iommufd_priv(ctx);
	struct kabi_iommu_destroy d = { .size = sizeof(d), .id = id };
	int rc;

	if (!p)
		return -EOPNOTSUPP;
	rc = vi_kioctl(ctx, p->fd, KABI_IOMMU_DESTROY, &d);
	return rc < 0 ? rc : 0;
}

int vi_iommufd_obj_release(struct vfioiommu_ctx *ctx, int fd, uint32_t id)
{
	if (fd >= 0)
		vi_kclose(ctx, fd);
	return id ? vi_iommufd_destroy(ctx, id) : 0;
}

int vi_iommufd_ioas_ranges(struct vfioiommu_ctx *ctx, uint32_t ioas, struct kabi_iommu_iova_range **out,
			   uint32_t *n, uint64_t *align)
{
	struct vi_iommufd *p = vi_iommufd_priv(ctx);
	uint32_t cap = RANGES_FIRST;

	*out = NULL;
	if (!p)
		return vi_fail(ctx, -EOPNOTSUPP, "IOVA ranges of IOAS %u: the context is not on iommufd", ioas);
	for (int tries = 0; tries < RANGES_TRIES; tries++) {
		struct kabi_iommu_iova_range *r = calloc(cap, sizeof(*r));
		struct kabi_iommu_ioas_iova_ranges q = {
			.size = sizeof(q), .ioas_id = ioas, .num_iovas = cap, .allowed_iovas = (uint64_t)(uintptr_t)r,
		};
		int rc;

		if (!r)
			return vi_fail(ctx, -ENOMEM, "IOVA ranges of IOAS %u: out of memory", ioas);
		rc = vi_kioctl(ctx, p->fd, KABI_IOMMU_IOAS_IOVA_RANGES, &q);
		if (rc >= 0 && q.num_iovas <= cap) {
			for (uint32_t i = 0; i < q.num_iovas; i++) {
				if (r[i].start > r[i].last) {
					free(r);
					return vi_fail(ctx, -EPROTO, "IOMMU_IOAS_IOVA_RANGES on IOAS %u returned range "
						       "%u as [0x%" PRIx64 ", 0x%" PRIx64 "]: start after last", ioas, i,
						       r[i].start, r[i].last);
				}
			}
			*out = r;
			*n = q.num_iovas;
			*align = q.out_iova_alignment;
			return 0;
		}
		free(r);
		if (rc < 0 && rc != -EMSGSIZE)
			return vi_fail(ctx, rc, "IOMMU_IOAS_IOVA_RANGES on IOAS %u failed: %s", ioas, vi_errno_name(rc));
		if (q.num_iovas <= cap)
			return vi_fail(ctx, -EPROTO, "IOMMU_IOAS_IOVA_RANGES on IOAS %u said EMSGSIZE but needs only "
				       "%u ranges (room for %u)", ioas, q.num_iovas, cap);
		if (q.num_iovas > RANGES_MAX)
			return vi_fail(ctx, -EPROTO, "IOMMU_IOAS_IOVA_RANGES on IOAS %u reports %u ranges, more than "
				       "the %u the library accepts: not trusting that count", ioas, q.num_iovas,
				       RANGES_MAX);
		cap = q.num_iovas;
	}
	return vi_fail(ctx, -EPROTO, "IOMMU_IOAS_IOVA_RANGES on IOAS %u: the number of ranges kept growing over "
		       "%d tries", ioas, RANGES_TRIES);
}

int vi_iommufd_ioas_map(struct vfioiommu_ctx *ctx, uint32_t ioas, uint32_t kflags, uint64_t vaddr, uint64_t len,
			uint64_t *iova)
{
	struct vi_iommufd *p = vi_iommufd_priv(ctx);
	struct kabi_iommu_ioas_map m = {
		.size = sizeof(m), .flags = kflags, .ioas_id = ioas, .user_va = vaddr, .length = len, .iova = *iova,
	};
	int rc;

	if (!p)
		return -EOPNOTSUPP;
	rc = vi_kioctl(ctx, p->fd, KABI_IOMMU_IOAS_MAP, &m);
	if (rc < 0)
		return rc;
	*iova = m.iova;
	return 0;
}

int vi_iommufd_ioas_map_file(struct vfioiommu_ctx *ctx, uint32_t ioas, uint32_t kflags, int fd, uint64_t start,
			     uint64_t len, uint64_t *iova)
{
	struct vi_iommufd *p = vi_iommufd_priv(ctx);
	struct kabi_iommu_ioas_map_file m = {
		.size = sizeof(m), .flags = kflags, .ioas_id = ioas, .fd = fd, .start = start, .length = len,
		.iova = *iova,
	};
	int rc;

	if (!p)
		return -EOPNOTSUPP;
	rc = vi_kioctl(ctx, p->fd, KABI_IOMMU_IOAS_MAP_FILE, &m);
	if (rc < 0)
		return rc;
	*iova = m.iova;
	return 0;
}

int vi_iommufd_ioas_unmap(struct vfioiommu_ctx *ctx, uint32_t ioas, uint64_t iova, uint64_t len, uint64_t *unmapped)
{
	struct vi_iommufd *p = vi_iommufd_priv(ctx);
	struct kabi_iommu_ioas_unmap u = { .size = sizeof(u), .ioas_id = ioas, .iova = iova, .length = len };
	int rc;

	*unmapped = 0;
	if (!p)
		return -EOPNOTSUPP;
	rc = vi_kioctl(ctx, p->fd, KABI_IOMMU_IOAS_UNMAP, &u);
	if (rc < 0)
		return rc;
	*unmapped = u.length;
	return 0;
}

int vi_iommufd_attach(struct vfioiommu_ctx *ctx, struct vfioiommu_device *dev, uint32_t pt, const uint32_t *pasid,
		      uint32_t *out_pt)
{
	/* argsz 12 and no flags for the RID: every kernel since 6.6 takes it (6.15 added the pasid field) */
	struct kabi_vfio_device_attach_iommufd_pt at = { .argsz = KABI_ATTACH_PT_MIN, .pt_id = pt };
	int rc;

	if (out_pt)
		*out_pt = 0;
	if (!vi_iommufd_priv(ctx))
		return -EOPNOTSUPP;
	if (pasid) {
		at.argsz = sizeof(at);
		at.flags = KABI_VFIO_DEVICE_ATTACH_PASID;
		at.pasid = *pasid;
	}
	rc = vi_kioctl(ctx, dev->fd, KABI_VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at);
	if (rc < 0)
		return rc;
	if (!pasid) {
		/* the kernel names the page table the RID landed on (an IOAS gets an automatic one) */
		if (at.pt_id == 0)
			return -EPROTO;
		dev->pt_id = at.pt_id;
		/* attach and replace move the IOVA ranges of the context's IOAS; dma/ re-reads them lazily */
		vi_space_changed(ctx, false);
	}
	if (out_pt)
		*out_pt = at.pt_id;
	return 0;
}

int vi_iommufd_detach(struct vfioiommu_ctx *ctx, struct vfioiommu_device *dev, const uint32_t *pasid)
{
	struct kabi_vfio_device_detach_iommufd_pt dt = { .argsz = KABI_DETACH_PT_MIN };
	int rc;

	if (!vi_iommufd_priv(ctx))
		return -EOPNOTSUPP;
	if (pasid) {
		dt.argsz = sizeof(dt);
		dt.flags = KABI_VFIO_DEVICE_DETACH_PASID;
		dt.pasid = *pasid;
	}
	rc = vi_kioctl(ctx, dev->fd, KABI_VFIO_DEVICE_DETACH_IOMMUFD_PT, &dt);
	if (rc < 0)
		return rc;
	if (!pasid) {
		dev->pt_id = 0;
		vi_space_changed(ctx, false);
	}
	return 0;
}

int vi_iommufd_hw_info(struct vfioiommu_ctx *ctx, struct vfioiommu_device *dev, struct kabi_iommu_hw_info *h)
{
	struct vi_iommufd *p = vi_iommufd_priv(ctx);
	int rc;

	if (!p)
		return -EOPNOTSUPP;
	rc = vi_kioctl(ctx, p->fd, KABI_IOMMU_GET_HW_INFO, h);
	/*
	 * A mediated device is bound as an iommufd access, not a device: its id
	 * names no IOMMU, and the kernel looks only for devices (ENOENT).
	 */
	if (rc == -ENOENT && dev->mdev)
		return -ENODEV;
	return rc < 0 ? rc : 0;
}
