/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * Nesting: cache invalidation of nested page tables and vIOMMUs with the
 * kernel's done count surfaced exactly, and IOMMU_GET_HW_INFO with the
 * driver's register dump under the kernel's size contract.
 *
 * IOMMU_HWPT_INVALIDATE writes entry_num back also when it fails, so the
 * count of handled entries is the index of the entry that failed.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <vfioiommu/iommufd.h>

#include "backend/internal.h"
#include "core/internal.h"
#include "kabi/kabi.h"
#include "objs.h"

/* the public vendor structs are the kernel's, byte for byte */
_Static_assert(sizeof(struct vfioiommu_hwpt_vtd_s1) == 24, "iommu_hwpt_vtd_s1");
_Static_assert(sizeof(struct vfioiommu_hwpt_arm_smmuv3) == 16, "iommu_hwpt_arm_smmuv3");
_Static_assert(sizeof(struct vfioiommu_hwpt_amd_guest) == 32, "iommu_hwpt_amd_guest");
_Static_assert(sizeof(struct vfioiommu_hwpt_selftest) == 4, "iommu_hwpt_selftest");
_Static_assert(sizeof(struct vfioiommu_invalidate_vtd_s1) == 24, "iommu_hwpt_vtd_s1_invalidate");
_Static_assert(sizeof(struct vfioiommu_invalidate_arm_smmuv3) == 16, "iommu_viommu_arm_smmuv3_invalidate");
_Static_assert(sizeof(struct vfioiommu_invalidate_selftest) == 8, "iommu_hwpt_invalidate_selftest");
_Static_assert(sizeof(struct vfioiommu_viommu_invalidate_selftest) == 12, "iommu_viommu_invalidate_selftest");
_Static_assert(sizeof(struct vfioiommu_hw_info_vtd) == sizeof(struct kabi_iommu_hw_info_vtd), "hw_info_vtd");
_Static_assert(sizeof(struct vfioiommu_hw_info_arm_smmuv3) == sizeof(struct kabi_iommu_hw_info_arm_smmuv3),
	       "hw_info_arm_smmuv3");
_Static_assert(sizeof(struct vfioiommu_hw_info_amd) == 16, "iommu_hw_info_amd");

/* The entry_num the kernel reports beyond what was asked: a kernel not to believe. */
static int invalidate(struct vi_obj *h, const char *what, uint32_t type, const void *entries, uint32_t entry_len,
		      uint32_t *n)
{
	struct vfioiommu_ctx *ctx = h->ctx;
	struct kabi_iommu_hwpt_invalidate c = {
		.size = sizeof(c), .hwpt_id = h->id, .data_uptr = (uint64_t)(uintptr_t)entries, .data_type = type,
		.entry_len = entry_len,
	};
	uint32_t asked;
	int rc;

	if (!n)
		return vi_fail(ctx, -EINVAL, "invalidating %s %u: n is NULL", what, h->id);
	asked = *n;
	if (asked && (!entries || !entry_len))
		return vi_fail(ctx, -EINVAL, "invalidating %s %u: %u entries but %s", what, h->id, asked,
			       !entries ? "entries is NULL" : "entry_len is 0");
	c.entry_num = asked;
	pthread_mutex_lock(&ctx->lock);
	rc = vi_objs_get(ctx, "invalidating", NULL);
	if (rc < 0) {
		pthread_mutex_unlock(&ctx->lock);
		*n = 0;
		return rc;
	}
	rc = vi_iommufd_ioctl(ctx, KABI_IOMMU_HWPT_INVALIDATE, &c);
	pthread_mutex_unlock(&ctx->lock);
	if (c.entry_num > asked) {
		*n = 0;
		return vi_fail(ctx, -EPROTO, "IOMMU_HWPT_INVALIDATE on %s %u says %u entries were handled of %u", what,
			       h->id, c.entry_num, asked);
	}
	*n = c.entry_num;
	if (rc >= 0) {
		if (c.entry_num != asked)
			return vi_fail(ctx, -EPROTO, "IOMMU_HWPT_INVALIDATE on %s %u succeeded but handled %u of %u "
				       "entries", what, h->id, c.entry_num, asked);
		return 0;
	}
	if (rc == -ENOTTY) {
		*n = 0;
		return vi_fail_missing(ctx, "IOMMU_HWPT_INVALIDATE", "Linux 6.8 brought it; vIOMMU invalidation came "
				       "with 6.14");
	}
	if (asked == 0)
		return vi_fail(ctx, rc, "IOMMU_HWPT_INVALIDATE on %s %u: entry type 0x%x is not supported there (%s)",
			       what, h->id, type, vi_errno_name(rc));
	if (c.entry_num < asked)
		return vi_fail(ctx, rc, "IOMMU_HWPT_INVALIDATE on %s %u: entry %u of %u (type 0x%x) failed: %s; "
			       "entries 0..%u were handled%s", what, h->id, c.entry_num, asked, type, vi_errno_name(rc),
			       c.entry_num ? c.entry_num - 1 : 0, c.entry_num ? "" : " (none)");
	return vi_fail(ctx, rc, "IOMMU_HWPT_INVALIDATE on %s %u (type 0x%x, %u entries) failed: %s", what, h->id, type,
		       asked, vi_errno_name(rc));
}

VFIOIOMMU_API int vfioiommu_pagetable_invalidate(vfioiommu_pagetable *pt, uint32_t type, const void *entries,
						 uint32_t entry_len, uint32_t *n)
{
	if (!pt)
		return -EINVAL;
	if (!pt->parent && !(pt->h.holds[0] && pt->h.holds[0]->kind == VI_OBJ_VIOMMU)) {
		if (n)
			*n = 0;
		return vi_fail(pt->h.ctx, -EINVAL, "invalidating page table %u: it is not nested (the kernel "
			       "invalidates its own page tables itself)", pt->h.id);
	}
	return invalidate(&pt->h, "nested page table", type, entries, entry_len, n);
}

VFIOIOMMU_API int vfioiommu_viommu_invalidate(vfioiommu_viommu *v, uint32_t type, const void *entries,
					      uint32_t entry_len, uint32_t *n)
{
	if (!v)
		return -EINVAL;
	return invalidate(&v->h, "vIOMMU", type, entries, entry_len, n);
}

VFIOIOMMU_API int vfioiommu_device_hw_info_data(vfioiommu_device *dev, uint32_t *type, void *data, uint32_t *len)
{
	struct kabi_iommu_hw_info h = { .size = sizeof(h) };
	struct vfioiommu_ctx *ctx;
	int rc;

	if (!dev)
		return -EINVAL;
	ctx = dev->ctx;
	if (!type || !data || !len || !*len)
		return vi_fail(ctx, -EINVAL, "vfioiommu_device_hw_info_data: %s", !type ? "type is NULL" :
			       !data ? "data is NULL" : !len ? "len is NULL" : "*len is 0");
	h.data_len = *len;
	h.data_uptr = (uint64_t)(uintptr_t)data;
	pthread_mutex_lock(&ctx->lock);
	rc = vi_iommufd_get(ctx, NULL, NULL);
	if (rc == 0) {
		h.dev_id = dev->devid;
		rc = vi_iommufd_hw_info(ctx, dev, &h);
		if (rc == -ENOTTY)
			rc = vi_fail(ctx, -EOPNOTSUPP, "IOMMU_GET_HW_INFO for %s: ENOTTY (Linux 6.6 brought it)", dev->bdf);
		else if (rc == -ENODEV)
			rc = vi_fail(ctx, rc, "IOMMU_GET_HW_INFO for %s: it is a mediated device, with no IOMMU behind "
				     "it", dev->bdf);
		else if (rc < 0)
			rc = vi_fail(ctx, rc, "IOMMU_GET_HW_INFO for %s (device %u) failed: %s", dev->bdf, dev->devid,
				     vi_errno_name(rc));
	}
	pthread_mutex_unlock(&ctx->lock);
	if (rc < 0)
		return rc;
	*type = h.out_data_type;
	*len = h.data_len;
	return 0;
}
