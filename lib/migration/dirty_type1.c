/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * The type1v2 container's dirty tracking (VFIO_IOMMU_DIRTY_PAGES): start,
 * stop, reports into a bitmap or a walk over runs (dirty.h).
 *
 * The kernel reports at the container's smallest page only, refuses a range
 * that cuts a mapping, and takes at most 2^31 - 1 pages per call
 * (tests/vm/FACTS.md, "type1 dirty pages"); the library checks what it can
 * before asking and names the rule when the kernel says EINVAL.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include <vfioiommu/caps.h>
#include <vfioiommu/context.h>

#include "backend/internal.h"
#include "dma/internal.h"
#include "kabi/kabi.h"
#include "mig.h"

#define MAX_PAGES (0x7fffffffull & ~63ull)

/* The container fd of a type1v2 context (ctx->lock held), or a message and -errno. */
static int t1_fd(struct vfioiommu_ctx *ctx, const char *fn)
{
	int fd;

	switch (ctx->backend) {
	case VFIOIOMMU_BACKEND_TYPE1V2:
		break;
	case VFIOIOMMU_BACKEND_NONE:
		return vi_fail(ctx, -ENODEV, "%s: no group or device yet: the container has no IOMMU", fn);
	case VFIOIOMMU_BACKEND_TYPE1:
		return vi_fail(ctx, -EOPNOTSUPP, "%s: a type1 (v1) container has no dirty tracking (the kernel says "
			       "EACCES); use VFIOIOMMU_MODE_CONTAINER, which picks type1v2", fn);
	default:
		return vi_fail(ctx, -EOPNOTSUPP, "%s: the context uses %s, not a type1v2 container", fn,
			       vfioiommu_backend_name(ctx->backend));
	}
	fd = vi_container_fd(ctx);
	return fd < 0 ? vi_fail(ctx, -ENODEV, "%s: the container is not open", fn) : fd;
}

static int t1_cmd(struct vfioiommu_ctx *ctx, uint32_t flag, const char *fn)
{
	struct kabi_vfio_dirty_bitmap_get g = { .argsz = KABI_DIRTY_PAGES_MIN, .flags = flag };
	int fd, rc;

	pthread_mutex_lock(&ctx->lock);
	fd = t1_fd(ctx, fn);
	if (fd < 0) {
		rc = fd;
	} else if (flag == KABI_VFIO_IOMMU_DIRTY_PAGES_FLAG_START && ctx->dirty_type1) {
		rc = vi_fail(ctx, -EBUSY, "%s: dirty tracking already runs on this container", fn);
	} else {
		rc = vi_kioctl(ctx, fd, KABI_VFIO_IOMMU_DIRTY_PAGES, &g);
		if (rc == -EACCES || rc == -ENOTTY)
			rc = vi_fail(ctx, -EOPNOTSUPP, "%s: the container has no dirty tracking (%s)", fn, vi_errno_name(rc));
		else if (rc < 0)
			rc = vi_fail(ctx, rc, "%s: VFIO_IOMMU_DIRTY_PAGES failed: %s", fn, vi_errno_name(rc));
		else
			ctx->dirty_type1 = flag == KABI_VFIO_IOMMU_DIRTY_PAGES_FLAG_START;
	}
	pthread_mutex_unlock(&ctx->lock);
	return rc;
}

VFIOIOMMU_API int vfioiommu_dirty_type1_start(vfioiommu_ctx *ctx)
{
	return ctx ? t1_cmd(ctx, KABI_VFIO_IOMMU_DIRTY_PAGES_FLAG_START, "vfioiommu_dirty_type1_start") : -EINVAL;
}

VFIOIOMMU_API int vfioiommu_dirty_type1_stop(vfioiommu_ctx *ctx)
{
	return ctx ? t1_cmd(ctx, KABI_VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP, "vfioiommu_dirty_type1_stop") : -EINVAL;
}

struct t1_report {
	struct vfioiommu_ctx *ctx;
	int fd;
};

static int t1_report(void *obj, uint64_t iova, uint64_t n, uint64_t ps, uint64_t *words)
{
	struct t1_report *t = obj;
	struct kabi_vfio_dirty_bitmap_get g = {
		.argsz = sizeof(g), .flags = KABI_VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP, .iova = iova, .size = n * ps,
		.pgsize = ps, .bsize = (n + 63) / 64 * 8, .data = (uint64_t)(uintptr_t)words,
	};
	int rc;

	memset(words, 0, (size_t)g.bsize);
	rc = vi_kioctl(t->ctx, t->fd, KABI_VFIO_IOMMU_DIRTY_PAGES, &g);
	if (rc == -EINVAL)
		return vi_fail(t->ctx, rc, "VFIO_IOMMU_DIRTY_PAGES(GET_BITMAP) of [0x%" PRIx64 ", +0x%" PRIx64 ") failed: "
			       "EINVAL (the range cuts a DMA mapping: type1 reports whole mappings only)", iova, n * ps);
	if (rc < 0)
		return vi_fail(t->ctx, rc, "VFIO_IOMMU_DIRTY_PAGES(GET_BITMAP) failed: %s", vi_errno_name(rc));
	return 0;
}

/* Checks and the container fd (ctx->lock held); 0 or a message and -errno. */
static int t1_check(struct vfioiommu_ctx *ctx, const char *fn, uint64_t iova, uint64_t length, uint64_t ps, int *fd)
{
	struct vfioiommu_iommu_info info = { .size = sizeof(info) };
	uint64_t want;
	int rc;

	if ((*fd = t1_fd(ctx, fn)) < 0)
		return *fd;
	if (!ctx->dirty_type1)
		return vi_fail(ctx, -EINVAL, "%s: dirty tracking is not running: vfioiommu_dirty_type1_start() first", fn);
	pthread_mutex_unlock(&ctx->lock);
	rc = vfioiommu_ctx_iommu_info(ctx, &info, NULL);
	pthread_mutex_lock(&ctx->lock);
	if (rc < 0)
		return rc;
	if (!info.has_migration || !info.migration_pgsizes)
		return vi_fail(ctx, -EOPNOTSUPP, "%s: the container reports no MIGRATION capability (no dirty tracking)", fn);
	want = info.migration_pgsizes & -info.migration_pgsizes;
	if (ps != want)
		return vi_fail(ctx, -EINVAL, "%s: the container reports dirty pages at 0x%" PRIx64 " bytes only, not 0x%" PRIx64,
			       fn, want, ps);
	if (!length || (iova & (ps - 1)) || (length & (ps - 1)) || iova + length < iova)
		return vi_fail(ctx, -EINVAL, "%s: [0x%" PRIx64 ", +0x%" PRIx64 ") is %s", fn, iova, length,
			       !length ? "empty" : iova + length < iova ? "wrapping past 2^64" : "not aligned to the page size");
	return 0;
}

VFIOIOMMU_API int vfioiommu_dirty_type1_bitmap(vfioiommu_ctx *ctx, uint64_t iova, uint64_t length, uint64_t page_size,
					       uint64_t *bitmap, size_t bitmap_bytes)
{
	struct t1_report t = { .ctx = ctx, .fd = -1 };
	uint64_t npages, done = 0;
	int rc;

	if (!ctx)
		return -EINVAL;
	if (!bitmap)
		return vi_fail(ctx, -EINVAL, "vfioiommu_dirty_type1_bitmap: bitmap is NULL");
	pthread_mutex_lock(&ctx->lock);
	rc = t1_check(ctx, "vfioiommu_dirty_type1_bitmap", iova, length, page_size, &t.fd);
	npages = rc == 0 ? length / page_size : 0;
	if (rc == 0 && bitmap_bytes < (npages + 63) / 64 * 8)
		rc = vi_fail(ctx, -ENOSPC, "vfioiommu_dirty_type1_bitmap: %" PRIu64 " pages need a bitmap of %" PRIu64
			     " bytes, not %zu", npages, (npages + 63) / 64 * 8, bitmap_bytes);
	while (rc == 0 && done < npages) {
		uint64_t n = npages - done < MAX_PAGES ? npages - done : MAX_PAGES;
		rc = t1_report(&t, iova + done * page_size, n, page_size, bitmap + done / 64);
		done += n;
	}
	pthread_mutex_unlock(&ctx->lock);
	return rc;
}

VFIOIOMMU_API int vfioiommu_dirty_type1_ranges(vfioiommu_ctx *ctx, uint64_t iova, uint64_t length, uint64_t page_size,
					       vfioiommu_dirty_fn fn, void *arg)
{
	struct t1_report t = { .ctx = ctx, .fd = -1 };
	int rc;

	if (!ctx)
		return -EINVAL;
	if (!fn)
		return vi_fail(ctx, -EINVAL, "vfioiommu_dirty_type1_ranges: fn is NULL");
	pthread_mutex_lock(&ctx->lock);
	rc = t1_check(ctx, "vfioiommu_dirty_type1_ranges", iova, length, page_size, &t.fd);
	if (rc == 0)
		rc = vi_dirty_walk(ctx, t1_report, &t, iova, length / page_size, page_size, fn, arg);
	pthread_mutex_unlock(&ctx->lock);
	return rc;
}

/*
 * Unmap with the dirty bitmap: the checks of a report under ctx->lock, then
 * dma/'s unmap (its own lock), which refuses what an ordinary unmap refuses
 * and updates the table the same way; only the ioctl differs (the backend's
 * unmap_dirty).  iommufd has no such ioctl: see dirty.h for why the library
 * does not fake one.
 */
VFIOIOMMU_API int vfioiommu_dirty_type1_unmap(vfioiommu_ctx *ctx, uint64_t iova, uint64_t length, uint64_t page_size,
					      uint64_t *bitmap, size_t bitmap_bytes)
{
	static const char fn[] = "vfioiommu_dirty_type1_unmap";
	uint64_t npages = 0, need = 0;
	int fd, rc;

	if (!ctx)
		return -EINVAL;
	if (!bitmap)
		return vi_fail(ctx, -EINVAL, "%s: bitmap is NULL", fn);
	pthread_mutex_lock(&ctx->lock);
	if (ctx->backend == VFIOIOMMU_BACKEND_IOMMUFD)
		rc = vi_fail(ctx, -EOPNOTSUPP, "%s: iommufd has no unmap that returns dirty bits: read them with "
			     "vfioiommu_dirty_hwpt_bitmap(), then vfioiommu_dma_unmap(), with the devices quiesced (a "
			     "write between the two would be lost)", fn);
	else
		rc = t1_check(ctx, fn, iova, length, page_size, &fd);
	if (rc == 0) {
		npages = length / page_size;
		need = (npages + 63) / 64 * 8;
		if (npages > MAX_PAGES)
			rc = vi_fail(ctx, -EINVAL, "%s: %" PRIu64 " pages in one unmap, the kernel's bitmap takes at most "
				     "%llu: unmap in pieces of whole mappings", fn, npages, MAX_PAGES);
		else if (bitmap_bytes < need)
			rc = vi_fail(ctx, -ENOSPC, "%s: %" PRIu64 " pages need a bitmap of %" PRIu64 " bytes, not %zu", fn,
				     npages, need, bitmap_bytes);
	}
	pthread_mutex_unlock(&ctx->lock);
	if (rc < 0)
		return rc;
	/* the kernel writes only the words of the mappings: the gaps between them must read clean */
	memset(bitmap, 0, (size_t)need);
	return vi_dma_unmap_dirty(ctx, iova, length, page_size, bitmap, need);
}
