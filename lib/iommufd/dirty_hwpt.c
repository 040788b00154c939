/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * iommufd's HWPT dirty tracking (dirty.h): IOMMU_HWPT_SET_DIRTY_TRACKING on
 * a page table allocated with DIRTY_TRACKING, and IOMMU_HWPT_GET_DIRTY_BITMAP
 * in pieces into a caller's bitmap or a walk over dirty runs.
 *
 * The kernel checks alignment to the page size and to the IOAS's alignment,
 * answers EOPNOTSUPP on a page table without dirty tracking, and only sets
 * bits (tests/vm/FACTS.md, "iommufd HWPT dirty tracking"): the library
 * checks what it can with a message, and zeroes the bitmap before a report.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <vfioiommu/dirty.h>

#include "backend/internal.h"
#include "migration/internal.h"
#include "kabi/kabi.h"
#include "objs.h"

/* Pages per GET_DIRTY_BITMAP into the caller's bitmap: 2^31 (a 256 MiB bitmap, 8 TiB at 4 KiB). */
#define PIECE_PAGES (1ull << 31)

static int hwpt_check(struct vfioiommu_pagetable *pt, const char *fn)
{
	struct vi_objs *o = NULL;
	int rc = vi_objs_get(pt->h.ctx, fn, &o);

	if (rc == 0 && !(pt->flags & VFIOIOMMU_PT_DIRTY_TRACKING))
		rc = vi_fail(pt->h.ctx, -EOPNOTSUPP, "%s: page table %u was not allocated with "
			     "VFIOIOMMU_PT_DIRTY_TRACKING (the kernel says EOPNOTSUPP)", fn, pt->h.id);
	return rc;
}

static int set_tracking(vfioiommu_pagetable *pt, bool on, const char *fn)
{
	struct kabi_iommu_hwpt_set_dirty s = { .size = sizeof(s), .flags = on ? KABI_IOMMU_HWPT_DIRTY_TRACKING_ENABLE : 0 };
	struct vfioiommu_ctx *ctx;
	int rc;

	if (!pt)
		return -EINVAL;
	ctx = pt->h.ctx;
	s.hwpt_id = pt->h.id;
	pthread_mutex_lock(&ctx->lock);
	rc = hwpt_check(pt, fn);
	if (rc == 0 && on && pt->dirty)
		rc = vi_fail(ctx, -EBUSY, "%s: dirty tracking already runs on page table %u", fn, pt->h.id);
	if (rc == 0) {
		rc = vi_iommufd_ioctl(ctx, KABI_IOMMU_HWPT_SET_DIRTY_TRACKING, &s);
		if (rc == -ENOTTY)
			rc = vi_fail(ctx, -EOPNOTSUPP, "%s: the kernel has no IOMMU_HWPT_SET_DIRTY_TRACKING (Linux 6.7)", fn);
		else if (rc < 0)
			rc = vi_fail(ctx, rc, "%s: IOMMU_HWPT_SET_DIRTY_TRACKING of page table %u failed: %s", fn,
				     pt->h.id, vi_errno_name(rc));
		else
			pt->dirty = on;
	}
	pthread_mutex_unlock(&ctx->lock);
	return rc;
}

VFIOIOMMU_API int vfioiommu_dirty_hwpt_start(vfioiommu_pagetable *pt)
{
	return set_tracking(pt, true, "vfioiommu_dirty_hwpt_start");
}

VFIOIOMMU_API int vfioiommu_dirty_hwpt_stop(vfioiommu_pagetable *pt)
{
	return set_tracking(pt, false, "vfioiommu_dirty_hwpt_stop");
}

/* Checks of the caller's arguments (ctx->lock held); 0 or a message and -errno. */
static int get_check(vfioiommu_pagetable *pt, const char *fn, uint64_t iova, uint64_t length, uint64_t ps,
		     uint32_t flags)
{
	struct vfioiommu_ctx *ctx = pt->h.ctx;
	int rc = hwpt_check(pt, fn);

	if (rc < 0)
		return rc;
	if (flags & ~VFIOIOMMU_DIRTY_NO_CLEAR)
		return vi_fail(ctx, -EINVAL, "%s: unknown flags 0x%x (only VFIOIOMMU_DIRTY_NO_CLEAR)", fn,
			       flags & ~VFIOIOMMU_DIRTY_NO_CLEAR);
	if (!pt->dirty)
		return vi_fail(ctx, -EINVAL, "%s: dirty tracking is not running on page table %u: "
			       "vfioiommu_dirty_hwpt_start() first", fn, pt->h.id);
	if (ps < 4096 || (ps & (ps - 1)))
		return vi_fail(ctx, -EINVAL, "%s: page size 0x%" PRIx64 " is not a power of two of at least 4096", fn, ps);
	if (!length || (iova & (ps - 1)) || (length & (ps - 1)) || iova + (length - 1) < iova)
		return vi_fail(ctx, -EINVAL, "%s: [0x%" PRIx64 ", +0x%" PRIx64 ") is %s", fn, iova, length,
			       !length ? "empty" : iova + (length - 1) < iova ? "wrapping past 2^64"
								     : "not aligned to the page size");
	return 0;
}

struct hwpt_report {
	struct vfioiommu_pagetable *pt;
	uint32_t flags;
};

/* One GET_DIRTY_BITMAP of n pages at iova into words (zeroed here); ctx->lock held. */
static int report(struct hwpt_report *t, uint64_t iova, uint64_t n, uint64_t ps, uint64_t *words)
{
	struct kabi_iommu_hwpt_get_dirty g = {
		.size = sizeof(g), .hwpt_id = t->pt->h.id, .iova = iova, .length = n * ps, .page_size = ps,
		.data = (uint64_t)(uintptr_t)words,
		.flags = (t->flags & VFIOIOMMU_DIRTY_NO_CLEAR) ? KABI_IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR : 0,
	};
	int rc;

	memset(words, 0, (size_t)((n + 63) / 64 * 8));
	rc = vi_iommufd_ioctl(t->pt->h.ctx, KABI_IOMMU_HWPT_GET_DIRTY_BITMAP, &g);
	if (rc == -ENOTTY)
		return vi_fail(t->pt->h.ctx, -EOPNOTSUPP, "the kernel has no IOMMU_HWPT_GET_DIRTY_BITMAP (Linux 6.7)");
	if (rc < 0)
		return vi_fail(t->pt->h.ctx, rc, "IOMMU_HWPT_GET_DIRTY_BITMAP of page table %u, [0x%" PRIx64 ", +0x%"
			       PRIx64 ") at 0x%" PRIx64 " failed: %s%s", t->pt->h.id, iova, n * ps, ps, vi_errno_name(rc),
			       rc == -EINVAL ? " (the range is not aligned to the IOAS's IOVA alignment)"
			       : rc == -EOVERFLOW ? " (the range ends past the kernel's addresses)" : "");
	return 0;
}

VFIOIOMMU_API int vfioiommu_dirty_hwpt_bitmap(vfioiommu_pagetable *pt, uint64_t iova, uint64_t length,
					      uint64_t page_size, uint32_t flags, uint64_t *bitmap, size_t bitmap_bytes)
{
	struct hwpt_report t = { .pt = pt, .flags = flags };
	struct vfioiommu_ctx *ctx;
	uint64_t npages, done = 0;
	int rc;

	if (!pt)
		return -EINVAL;
	ctx = pt->h.ctx;
	if (!bitmap)
		return vi_fail(ctx, -EINVAL, "vfioiommu_dirty_hwpt_bitmap: bitmap is NULL");
	pthread_mutex_lock(&ctx->lock);
	rc = get_check(pt, "vfioiommu_dirty_hwpt_bitmap", iova, length, page_size, flags);
	npages = rc == 0 ? length / page_size : 0;
	if (rc == 0 && bitmap_bytes < (npages + 63) / 64 * 8)
		rc = vi_fail(ctx, -ENOSPC, "vfioiommu_dirty_hwpt_bitmap: %" PRIu64 " pages need a bitmap of %" PRIu64
			     " bytes, not %zu", npages, (npages + 63) / 64 * 8, bitmap_bytes);
	while (rc == 0 && done < npages) {
		uint64_t n = npages - done < PIECE_PAGES ? npages - done : PIECE_PAGES;

		rc = report(&t, iova + done * page_size, n, page_size, bitmap + done / 64);
		done += n;
	}
	pthread_mutex_unlock(&ctx->lock);
	return rc;
}

/* One piece of a walk (migration/'s vi_dirty_walk()): a report into its buffer. */
static int walk_report(void *obj, uint64_t iova, uint64_t n, uint64_t ps, uint64_t *words)
{
	return report(obj, iova, n, ps, words);
}

VFIOIOMMU_API int vfioiommu_dirty_hwpt_ranges(vfioiommu_pagetable *pt, uint64_t iova, uint64_t length,
					      uint64_t page_size, uint32_t flags, vfioiommu_dirty_fn fn, void *arg)
{
	struct hwpt_report t = { .pt = pt, .flags = flags };
	struct vfioiommu_ctx *ctx;
	int rc;

	if (!pt)
		return -EINVAL;
	ctx = pt->h.ctx;
	if (!fn)
		return vi_fail(ctx, -EINVAL, "vfioiommu_dirty_hwpt_ranges: fn is NULL");
	pthread_mutex_lock(&ctx->lock);
	rc = get_check(pt, "vfioiommu_dirty_hwpt_ranges", iova, length, page_size, flags);
	if (rc == 0)
		rc = vi_dirty_walk(ctx, walk_report, &t, iova, length / page_size, page_size, fn, arg);
	pthread_mutex_unlock(&ctx->lock);
	return rc;
}
