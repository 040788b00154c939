/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * Device DMA logging (dirty.h): START with the caller's ranges made into
 * what the kernel takes, REPORT in pieces into a caller's bitmap or a walk
 * over the dirty runs, STOP.
 *
 * The kernel refuses overlapping ranges (EINVAL) and more than 256 of them
 * (E2BIG); it aligns nothing and zeroes no bitmap (tests/vm/FACTS.md,
 * "device DMA logging").  So the library sorts and merges, joins the
 * closest ranges past 256, checks alignment itself with a message, and
 * zeroes the bitmap before each report.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <vfioiommu/dirty.h>

#include "kabi/kabi.h"
#include "internal.h"
#include "mig.h"

/* Pages per REPORT: a 1 MiB bitmap (8 Mi pages, 32 GiB at 4 KiB), a multiple of 64. */
#define PIECE_PAGES (8ull << 20)
/* The walk's own bitmap: 64 KiB (512 Ki pages). */
#define WALK_PAGES (512ull << 10)

static bool pow2_ok(uint64_t ps)
{
	return ps >= 4096 && !(ps & (ps - 1));
}

static int feature_failed(struct vfioiommu_device *dev, int rc, const char *what)
{
	if (rc == -ENOTTY)
		return vi_fail(dev->ctx, -EOPNOTSUPP, "%s: the device has no DMA logging (%s: ENOTTY)", dev->bdf, what);
	return vi_fail(dev->ctx, rc, "%s: %s failed: %s%s", dev->bdf, what, vi_errno_name(rc),
		       rc == -EOVERFLOW ? " (a range ends past the kernel's addresses)" : "");
}

static int cmp_range(const void *a, const void *b)
{
	const struct kabi_vfio_dma_logging_range *x = a, *y = b;

	return x->iova < y->iova ? -1 : x->iova > y->iova;
}

/* Join the two neighbours with the smallest gap until at most max remain (n >= 1, sorted, disjoint). */
static size_t join_closest(struct kabi_vfio_dma_logging_range *r, size_t n, size_t max)
{
	while (n > max) {
		size_t best = 0;
		uint64_t gap = UINT64_MAX;

		for (size_t i = 0; i + 1 < n; i++) {
			uint64_t g = r[i + 1].iova - (r[i].iova + r[i].length);
			if (g < gap) {
				gap = g;
				best = i;
			}
		}
		r[best].length = r[best + 1].iova + r[best + 1].length - r[best].iova;
		memmove(&r[best + 1], &r[best + 2], (n - best - 2) * sizeof(*r));
		n--;
	}
	return n;
}

VFIOIOMMU_API int vfioiommu_dirty_log_start(vfioiommu_device *dev, const struct vfioiommu_iova_range *ranges,
					    size_t n, uint64_t page_size, uint64_t *page_size_out)
{
	struct kabi_vfio_feature_dma_logging_control c = {
		.argsz = sizeof(c), .flags = KABI_VFIO_DEVICE_FEATURE_SET | KABI_VFIO_DEVICE_FEATURE_DMA_LOGGING_START,
	};
	struct kabi_vfio_dma_logging_range *r;
	struct vi_mig *mg;
	size_t k = 0;
	int rc;

	if (!dev)
		return -EINVAL;
	if (!ranges || n == 0)
		return vi_fail(dev->ctx, -EINVAL, "vfioiommu_dirty_log_start: %s", ranges ? "no range" : "ranges is NULL");
	if (!pow2_ok(page_size))
		return vi_fail(dev->ctx, -EINVAL, "vfioiommu_dirty_log_start: page size %" PRIu64 " is not a power of two "
			       "of at least 4096 (the kernel reports nothing finer)", page_size);
	for (size_t i = 0; i < n; i++)
		if (ranges[i].start > ranges[i].last || (ranges[i].start & (page_size - 1)) ||
		    ((ranges[i].last + 1) & (page_size - 1)) || ranges[i].last == UINT64_MAX)
			return vi_fail(dev->ctx, -EINVAL, "vfioiommu_dirty_log_start: range %zu [0x%" PRIx64 ", 0x%" PRIx64
				       "] is %s", i, ranges[i].start, ranges[i].last,
				       ranges[i].start > ranges[i].last ? "reversed"
				       : ranges[i].last == UINT64_MAX ? "too long (it ends at 2^64 - 1)"
								       : "not aligned to the page size");
	r = malloc(n * sizeof(*r));
	if (!r)
		return vi_fail(dev->ctx, -ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++)
		r[i] = (struct kabi_vfio_dma_logging_range){ ranges[i].start, ranges[i].last - ranges[i].start + 1 };
	qsort(r, n, sizeof(*r), cmp_range);
	/* the kernel refuses overlaps: merge overlapping and touching ranges */
	for (size_t i = 1; i < n; i++) {
		uint64_t end = r[k].iova + r[k].length;
		if (r[i].iova <= end) {
			if (r[i].iova + r[i].length > end)
				r[k].length = r[i].iova + r[i].length - r[k].iova;
		} else {
			r[++k] = r[i];
		}
	}
	k = join_closest(r, k + 1, KABI_DMA_LOGGING_MAX_RANGES);
	c.page_size = page_size;
	c.num_ranges = (uint32_t)k;
	c.ranges = (uint64_t)(uintptr_t)r;
	pthread_mutex_lock(&dev->ctx->lock);
	mg = vi_mig_get(dev);
	if (!mg)
		rc = -ENOMEM;
	else if (mg->logging)
		rc = vi_fail(dev->ctx, -EBUSY, "%s: DMA logging already runs; vfioiommu_dirty_log_stop() first", dev->bdf);
	else if ((rc = vi_kioctl(dev->ctx, dev->fd, KABI_VFIO_DEVICE_FEATURE, &c)) < 0)
		rc = feature_failed(dev, rc, "VFIO_DEVICE_FEATURE(DMA_LOGGING_START)");
	else
		mg->logging = true;
	pthread_mutex_unlock(&dev->ctx->lock);
	free(r);
	if (rc == 0 && page_size_out)
		*page_size_out = c.page_size;
	return rc;
}

VFIOIOMMU_API int vfioiommu_dirty_log_stop(vfioiommu_device *dev)
{
	struct { uint32_t argsz, flags; } s = {
		sizeof(s), KABI_VFIO_DEVICE_FEATURE_SET | KABI_VFIO_DEVICE_FEATURE_DMA_LOGGING_STOP,
	};
	int rc;

	if (!dev)
		return -EINVAL;
	pthread_mutex_lock(&dev->ctx->lock);
	rc = vi_kioctl(dev->ctx, dev->fd, KABI_VFIO_DEVICE_FEATURE, &s);
	if (rc < 0)
		rc = feature_failed(dev, rc, "VFIO_DEVICE_FEATURE(DMA_LOGGING_STOP)");
	else if (dev->mig)
		dev->mig->logging = false;
	pthread_mutex_unlock(&dev->ctx->lock);
	return rc;
}

static int check_report(struct vfioiommu_device *dev, const char *fn, uint64_t iova, uint64_t length, uint64_t ps)
{
	if (!pow2_ok(ps))
		return vi_fail(dev->ctx, -EINVAL, "%s: page size %" PRIu64 " is not a power of two of at least 4096", fn, ps);
	if (!length || (iova & (ps - 1)) || (length & (ps - 1)) || iova + length < iova)
		return vi_fail(dev->ctx, -EINVAL, "%s: [0x%" PRIx64 ", +0x%" PRIx64 ") is %s", fn, iova, length,
			       !length ? "empty" : iova + length < iova ? "wrapping past 2^64" : "not aligned to the page size");
	if (!dev->mig || !dev->mig->logging)
		return vi_fail(dev->ctx, -EINVAL, "%s: DMA logging is not running on %s: vfioiommu_dirty_log_start() first",
			       fn, dev->bdf);
	return 0;
}

/* One REPORT of npages (a multiple of 64, or the tail) at iova into words (zeroed here). ctx->lock held. */
static int report(struct vfioiommu_device *dev, uint64_t iova, uint64_t npages, uint64_t ps, uint64_t *words)
{
	struct kabi_vfio_feature_dma_logging_report r = {
		.argsz = sizeof(r), .flags = KABI_VFIO_DEVICE_FEATURE_GET | KABI_VFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT,
		.iova = iova, .length = npages * ps, .page_size = ps, .bitmap = (uint64_t)(uintptr_t)words,
	};
	int rc;

	memset(words, 0, (size_t)((npages + 63) / 64) * 8);
	rc = vi_kioctl(dev->ctx, dev->fd, KABI_VFIO_DEVICE_FEATURE, &r);
	return rc < 0 ? feature_failed(dev, rc, "VFIO_DEVICE_FEATURE(DMA_LOGGING_REPORT)") : 0;
}

VFIOIOMMU_API int vfioiommu_dirty_log_bitmap(vfioiommu_device *dev, uint64_t iova, uint64_t length,
					     uint64_t page_size, uint64_t *bitmap, size_t bitmap_bytes)
{
	uint64_t npages, need, done = 0;
	int rc;

	if (!dev)
		return -EINVAL;
	if (!bitmap)
		return vi_fail(dev->ctx, -EINVAL, "vfioiommu_dirty_log_bitmap: bitmap is NULL");
	pthread_mutex_lock(&dev->ctx->lock);
	rc = check_report(dev, "vfioiommu_dirty_log_bitmap", iova, length, page_size);
	npages = rc == 0 ? length / page_size : 0;
	need = (npages + 63) / 64 * 8;
	if (rc == 0 && bitmap_bytes < need)
		rc = vi_fail(dev->ctx, -ENOSPC, "vfioiommu_dirty_log_bitmap: %" PRIu64 " pages need a bitmap of %" PRIu64
			     " bytes, not %zu", npages, need, bitmap_bytes);
	while (rc == 0 && done < npages) {
		uint64_t n = npages - done < PIECE_PAGES ? npages - done : PIECE_PAGES;
		rc = report(dev, iova + done * page_size, n, page_size, bitmap + done / 64);
		done += n;
	}
	pthread_mutex_unlock(&dev->ctx->lock);
	return rc;
}

/*
 * The walk over dirty runs for both trackers: rep() fills words for n pages
 * at iova (ctx->lock held); fn() runs with the lock dropped.
 */
struct walk {
	struct vfioiommu_ctx *ctx;
	uint64_t iova, ps;
	vfioiommu_dirty_fn fn;
	void *arg;
};

/* A batch of runs found by the walk, to the caller without the context lock (dropped once a batch). */
static int walk_batch(void *arg, const uint64_t *pairs, unsigned int npairs)
{
	struct walk *w = arg;
	int rc = 0;

	pthread_mutex_unlock(&w->ctx->lock);
	for (unsigned int i = 0; i < npairs && rc == 0; i++)
		rc = w->fn(w->arg, w->iova + pairs[2 * i] * w->ps, (pairs[2 * i + 1] - pairs[2 * i]) * w->ps);
	pthread_mutex_lock(&w->ctx->lock);
	return rc;
}

int vi_dirty_walk(struct vfioiommu_ctx *ctx, vi_report_fn rep, void *obj, uint64_t iova, uint64_t npages, uint64_t ps,
		  vfioiommu_dirty_fn fn, void *arg)
{
	struct walk w = { .ctx = ctx, .iova = iova, .ps = ps, .fn = fn, .arg = arg };
	struct vi_runs r = { .batch = walk_batch, .arg = &w };
	uint64_t *words = malloc(WALK_PAGES / 8), done = 0;
	int rc = 0;

	if (!words)
		return vi_fail(ctx, -ENOMEM, "out of memory");
	while (rc == 0 && done < npages) {
		uint64_t n = npages - done < WALK_PAGES ? npages - done : WALK_PAGES;

		rc = rep(obj, iova + done * ps, n, ps, words);
		if (rc == 0)
			rc = vi_runs_feed(&r, words, done, n);
		done += n;
	}
	if (rc == 0)
		rc = vi_runs_end(&r);
	free(words);
	return rc;
}

static int log_report(void *obj, uint64_t iova, uint64_t n, uint64_t ps, uint64_t *words)
{
	return report(obj, iova, n, ps, words);
}

VFIOIOMMU_API int vfioiommu_dirty_log_ranges(vfioiommu_device *dev, uint64_t iova, uint64_t length,
					     uint64_t page_size, vfioiommu_dirty_fn fn, void *arg)
{
	int rc;

	if (!dev)
		return -EINVAL;
	if (!fn)
		return vi_fail(dev->ctx, -EINVAL, "vfioiommu_dirty_log_ranges: fn is NULL");
	pthread_mutex_lock(&dev->ctx->lock);
	rc = check_report(dev, "vfioiommu_dirty_log_ranges", iova, length, page_size);
	if (rc == 0)
		rc = vi_dirty_walk(dev->ctx, log_report, dev, iova, length / page_size, page_size, fn, arg);
	pthread_mutex_unlock(&dev->ctx->lock);
	return rc;
}
