/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * DMA map/unmap/translate with one errno meaning on every backend.  The
 * library's own table of mappings is what lets it tell an overlap from an
 * out-of-range IOVA, catch partial unmaps before type1 v1 silently performs
 * them, and answer translate without a syscall.
 */
#include <errno.h>
#include <stdatomic.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vfioiommu/alloc.h>
#include <vfioiommu/dma.h>

#include "ctx.h"

struct vi_mapping {
	uint64_t iova, len, vaddr;
	uint32_t prot;
	bool file; /* MAP_FILE: no process address */
};

struct vi_dma {
	pthread_rwlock_t lock;
	/*
	 * Set by device open/close under ctx->lock, which must not wait for
	 * this struct's lock (map holds it while asking the backend): an atomic
	 * flag keeps the two locks unordered.  Relaxed is enough: the flag only
	 * asks for a re-read, and the re-read itself goes to the kernel.
	 */
	atomic_bool stale;
	vfioiommu_iova_list *ranges;
	vfioiommu_iova_alloc *alloc;
	uint64_t pgsizes;
	int64_t avail;              /* -1: unlimited */
	/*
	 * Mappings live in their own allocations; two sorted pointer arrays index
	 * them (by IOVA for map/unmap, by process address for translate), so an
	 * insert moves pointers, never mappings, and neither index goes stale.
	 */
	struct vi_mapping **by_iova;
	size_t n, cap;
	struct vi_mapping **by_vaddr; /* process mappings only */
	uint64_t *vend_max;           /* vend_max[i]: highest last byte among by_vaddr[0..i] */
	size_t nv;
	uint64_t bytes;
};

static void untrack(struct vi_dma *d, size_t i, size_t count);

static uint64_t lowest_page(uint64_t pgsizes)
{
	return pgsizes ? pgsizes & (~pgsizes + 1) : 4096;
}

static void pgsizes_text(uint64_t pgsizes, char *buf, size_t n)
{
	size_t len = 0;

	buf[0] = '\0';
	for (unsigned int b = 0; b < 64 && len < n; b++) {
		static const char units[] = "KMGTPE";
		uint64_t sz;
		unsigned int u;
		int w;

		if (!(pgsizes & (1ULL << b)))
			continue;
		sz = 1ULL << b;
		for (u = 0; sz >= 1024 && u < 6; u++)
			sz >>= 10;
		w = snprintf(buf + len, n - len, "%s%" PRIu64 "%s", len ? " " : "", sz,
			     u ? (const char[]){ units[u - 1], 0 } : "B");
		if (w < 0)
			break;
		len += (size_t)w;
		if (len > n / 2) { /* long bitmaps (AMD) print as a mask */
			snprintf(buf, n, "bitmap 0x%" PRIx64, pgsizes);
			return;
		}
	}
}

static int dma_get(struct vfioiommu_ctx *ctx, struct vi_dma **out)
{
	struct vi_dma *d;

	if (!ctx->be)
		return vi_fail(ctx, -ENODEV, "no group or device is attached yet: nothing to map into");
	if (!ctx->be->map)
		return vi_fail(ctx, -EOPNOTSUPP, "the %s backend cannot map DMA (no-IOMMU mode?)",
			       vfioiommu_backend_name(ctx->backend));
	if (ctx->dma) {
		*out = ctx->dma;
		return 0;
	}
	d = calloc(1, sizeof(*d));
	if (!d)
		return vi_fail(ctx, -ENOMEM, "out of memory");
	pthread_rwlock_init(&d->lock, NULL);
	atomic_init(&d->stale, true);
	d->avail = -1;
	ctx->dma = d;
	*out = d;
	return 0;
}

/*
 * The allocator exists only once someone asks the library to choose an IOVA:
 * a VMM that maps guest RAM at fixed IOVAs never pays for it.  Built from the
 * current ranges around every live mapping.
 */
static int ensure_alloc(struct vfioiommu_ctx *ctx, struct vi_dma *d)
{
	vfioiommu_iova_alloc *alloc = NULL;
	int rc;

	if (d->alloc)
		return 0;
	rc = vfioiommu_iova_alloc_new(&alloc, d->ranges, lowest_page(d->pgsizes));
	if (rc < 0)
		return vi_fail(ctx, rc, "cannot build the IOVA allocator (%s)", vi_errno_name(rc));
	for (size_t i = 0; i < d->n; i++) {
		/* a live mapping outside new ranges means the kernel narrowed under us; keep going */
		if (vfioiommu_iova_alloc_reserve(alloc, d->by_iova[i]->iova, d->by_iova[i]->len) < 0)
			vi_log(ctx, VFIOIOMMU_LOG_WARNING, "mapping at 0x%" PRIx64 " is outside the usable ranges",
			       d->by_iova[i]->iova);
	}
	d->alloc = alloc;
	return 0;
}

/* Re-read ranges and limits from the kernel; the allocator is rebuilt on its next use. */
static int refresh_locked(struct vfioiommu_ctx *ctx, struct vi_dma *d)
{
	vfioiommu_iova_list *ranges = NULL;
	uint64_t pgsizes = 0;
	int64_t avail = -1;
	int rc;

	if (!atomic_exchange_explicit(&d->stale, false, memory_order_relaxed))
		return 0;
	rc = ctx->be->iova_ranges(ctx, &ranges);
	if (rc < 0)
		goto retry_later;
	if (ctx->be->dma_limits && (rc = ctx->be->dma_limits(ctx, &pgsizes, &avail)) < 0) {
		vfioiommu_iova_list_free(ranges);
		goto retry_later;
	}
	vfioiommu_iova_list_free(d->ranges);
	vfioiommu_iova_alloc_free(d->alloc);
	d->ranges = ranges;
	d->alloc = NULL;
	d->pgsizes = pgsizes;
	/* type1 counts mappings made before we looked; keep our own bookkeeping from here */
	d->avail = avail;
	return 0;
retry_later:
	atomic_store_explicit(&d->stale, true, memory_order_relaxed);
	return rc;
}

void vi_dma_ranges_changed(struct vfioiommu_ctx *ctx)
{
	/* called with ctx->lock held, which also guards ctx->dma itself */
	if (ctx->dma)
		atomic_store_explicit(&ctx->dma->stale, true, memory_order_relaxed);
}

void vi_dma_forget(struct vfioiommu_ctx *ctx)
{
	struct vi_dma *d = ctx->dma;

	/* called with ctx->lock held; the allocator is rebuilt from fresh ranges next time */
	if (!d)
		return;
	pthread_rwlock_wrlock(&d->lock);
	untrack(d, 0, d->n);
	atomic_store_explicit(&d->stale, true, memory_order_relaxed);
	pthread_rwlock_unlock(&d->lock);
}

void vi_dma_destroy(struct vfioiommu_ctx *ctx)
{
	struct vi_dma *d = ctx->dma;

	if (!d)
		return;
	untrack(d, 0, d->n);
	vfioiommu_iova_list_free(d->ranges);
	vfioiommu_iova_alloc_free(d->alloc);
	free(d->by_iova);
	free(d->by_vaddr);
	free(d->vend_max);
	pthread_rwlock_destroy(&d->lock);
	free(d);
	ctx->dma = NULL;
}

/* First mapping whose last byte is >= iova. */
static size_t lower_iova(const struct vi_dma *d, uint64_t iova)
{
	size_t lo = 0, hi = d->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (d->by_iova[mid]->iova + (d->by_iova[mid]->len - 1) < iova)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* First process mapping whose vaddr is >= va. */
static size_t lower_vaddr(const struct vi_dma *d, uint64_t va)
{
	size_t lo = 0, hi = d->nv;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (d->by_vaddr[mid]->vaddr < va)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Recompute the running maximum from index i on (inserts and removals shift everything after i). */
static void vend_fix(struct vi_dma *d, size_t i)
{
	uint64_t run = i ? d->vend_max[i - 1] : 0;

	for (; i < d->nv; i++) {
		uint64_t last = d->by_vaddr[i]->vaddr + (d->by_vaddr[i]->len - 1);
		run = last > run ? last : run;
		d->vend_max[i] = run;
	}
}

static int track(struct vi_dma *d, const struct vi_mapping *m)
{
	struct vi_mapping *node;
	size_t i;

	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 64;
		struct vi_mapping **v = realloc(d->by_iova, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		d->by_iova = v;
		v = realloc(d->by_vaddr, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		d->by_vaddr = v;
		uint64_t *e = realloc(d->vend_max, cap * sizeof(*e));
		if (!e)
			return -ENOMEM;
		d->vend_max = e;
		d->cap = cap;
	}
	node = malloc(sizeof(*node));
	if (!node)
		return -ENOMEM;
	*node = *m;
	i = lower_iova(d, m->iova);
	memmove(&d->by_iova[i + 1], &d->by_iova[i], (d->n - i) * sizeof(*d->by_iova));
	d->by_iova[i] = node;
	d->n++;
	if (!m->file) {
		i = lower_vaddr(d, m->vaddr);
		memmove(&d->by_vaddr[i + 1], &d->by_vaddr[i], (d->nv - i) * sizeof(*d->by_vaddr));
		d->by_vaddr[i] = node;
		d->nv++;
		vend_fix(d, i);
	}
	d->bytes += m->len;
	return 0;
}

static void untrack(struct vi_dma *d, size_t i, size_t count)
{
	if (count == 0) /* also keeps memmove away from a never-allocated (NULL) table */
		return;
	for (size_t k = i; k < i + count; k++) {
		struct vi_mapping *node = d->by_iova[k];
		d->bytes -= node->len;
		if (!node->file) {
			/* equal vaddrs are possible (one buffer mapped twice): find this node */
			size_t v = lower_vaddr(d, node->vaddr);
			while (d->by_vaddr[v] != node)
				v++;
			memmove(&d->by_vaddr[v], &d->by_vaddr[v + 1], (d->nv - v - 1) * sizeof(*d->by_vaddr));
			d->nv--;
			vend_fix(d, v);
		}
		free(node);
	}
	memmove(&d->by_iova[i], &d->by_iova[i + count], (d->n - i - count) * sizeof(*d->by_iova));
	d->n -= count;
}

static int out_of_range(struct vfioiommu_ctx *ctx, struct vi_dma *d, uint64_t iova, uint64_t last)
{
	struct vfioiommu_iova_range r;
	size_t near = SIZE_MAX;

	vfioiommu_iova_list_find(d->ranges, iova, &near);
	if (near != SIZE_MAX && vfioiommu_iova_list_get(d->ranges, near, &r) == 0)
		return vi_fail(ctx, -ERANGE,
			       "IOVA range [0x%" PRIx64 ", 0x%" PRIx64 "] is not inside one usable range; "
			       "the nearest usable range is [0x%" PRIx64 ", 0x%" PRIx64 "]",
			       iova, last, r.start, r.last);
	return vi_fail(ctx, -ERANGE, "IOVA range [0x%" PRIx64 ", 0x%" PRIx64 "]: the address space has no "
		       "usable range at all", iova, last);
}

static int check_args(struct vfioiommu_ctx *ctx, struct vi_dma *d, uint64_t vaddr, uint64_t len,
		      uint32_t flags, bool fixed, uint64_t iova)
{
	uint64_t pg = lowest_page(d->pgsizes);
	char sizes[128];

	if (flags & ~(uint32_t)(VFIOIOMMU_DMA_READ | VFIOIOMMU_DMA_WRITE | VFIOIOMMU_DMA_FIXED_IOVA))
		return vi_fail(ctx, -EINVAL, "unknown DMA flags 0x%x", flags);
	if (!(flags & (VFIOIOMMU_DMA_READ | VFIOIOMMU_DMA_WRITE)))
		return vi_fail(ctx, -EINVAL, "a DMA mapping needs VFIOIOMMU_DMA_READ and/or VFIOIOMMU_DMA_WRITE");
	if (len == 0)
		return vi_fail(ctx, -EINVAL, "cannot map 0 bytes");
	if (vaddr + (len - 1) < vaddr || (fixed && iova + (len - 1) < iova))
		return vi_fail(ctx, -EINVAL, "address + length overflows 64 bits");
	if ((vaddr | len | (fixed ? iova : 0)) & (pg - 1)) {
		pgsizes_text(d->pgsizes, sizes, sizeof(sizes));
		if (fixed)
			return vi_fail(ctx, -EINVAL, "address 0x%" PRIx64 ", length 0x%" PRIx64 " and IOVA 0x%" PRIx64
				       " must be multiples of the IOMMU page size %" PRIu64 " (supported page sizes: %s)",
				       vaddr, len, iova, pg, sizes);
		return vi_fail(ctx, -EINVAL, "address 0x%" PRIx64 " and length 0x%" PRIx64 " must be multiples of "
			       "the IOMMU page size %" PRIu64 " (supported page sizes: %s)", vaddr, len, pg, sizes);
	}
	return 0;
}

/*
 * Lock order: ctx->lock, then d->lock.  Map and unmap hold ctx->lock for the
 * whole operation so the backend state they use (container fd, IOAS id)
 * cannot change under them; device open/close take the same order when they
 * tell this module the address space changed.  translate takes only d->lock.
 */
static int with_dma(struct vfioiommu_ctx *ctx, struct vi_dma **d)
{
	int rc;

	if (!ctx)
		return -EINVAL;
	pthread_mutex_lock(&ctx->lock);
	rc = dma_get(ctx, d);
	if (rc < 0) {
		pthread_mutex_unlock(&ctx->lock);
		return rc;
	}
	pthread_rwlock_wrlock(&(*d)->lock);
	rc = refresh_locked(ctx, *d);
	if (rc < 0) {
		pthread_rwlock_unlock(&(*d)->lock);
		pthread_mutex_unlock(&ctx->lock);
	}
	return rc;
}

static void dma_done(struct vfioiommu_ctx *ctx, struct vi_dma *d)
{
	pthread_rwlock_unlock(&d->lock);
	pthread_mutex_unlock(&ctx->lock);
}

static int kernel_map_error(struct vfioiommu_ctx *ctx, struct vi_dma *d, int rc, uint64_t iova, uint64_t len)
{
	switch (rc) {
	case -EEXIST:
		return vi_fail(ctx, -EEXIST, "IOVA 0x%" PRIx64 "+0x%" PRIx64 " overlaps a mapping made outside "
			       "the library", iova, len);
	case -ENOSPC:
		return vi_fail(ctx, -ENOSPC, "the kernel allows no more DMA mappings (type1 dma_entry_limit "
			       "reached with %zu live mappings)", d->n);
	default:
		return vi_fail(ctx, rc, "the kernel refused to map IOVA 0x%" PRIx64 "+0x%" PRIx64 " (%s)",
			       iova, len, vi_errno_name(rc));
	}
}

static int do_map(struct vfioiommu_ctx *ctx, uint64_t vaddr, int fd, uint64_t len, uint32_t flags,
		  uint64_t align, uint64_t lo, uint64_t hi, uint64_t *iova)
{
	struct vi_dma *d;
	bool fixed = flags & VFIOIOMMU_DMA_FIXED_IOVA;
	uint32_t prot = ((flags & VFIOIOMMU_DMA_READ) ? VI_PROT_READ : 0) |
			((flags & VFIOIOMMU_DMA_WRITE) ? VI_PROT_WRITE : 0);
	struct vi_mapping m;
	int rc;

	if (!ctx)
		return -EINVAL;
	if (!iova)
		return vi_fail(ctx, -EINVAL, "iova is NULL");
	rc = with_dma(ctx, &d);
	if (rc < 0)
		return rc;
	rc = check_args(ctx, d, vaddr, len, flags, fixed, *iova);
	if (rc < 0)
		goto out;
	if (d->avail == 0) {
		rc = vi_fail(ctx, -ENOSPC, "the kernel allows no more DMA mappings (type1 dma_entry_limit: "
			     "DMA_AVAIL is 0 with %zu live mappings)", d->n);
		goto out;
	}
	if (fixed) {
		size_t i = lower_iova(d, *iova);
		uint64_t last = *iova + (len - 1);
		if (vfioiommu_iova_list_contains(d->ranges, *iova, last) != 1) {
			rc = out_of_range(ctx, d, *iova, last);
			goto out;
		}
		if (i < d->n && d->by_iova[i]->iova <= last) {
			rc = vi_fail(ctx, -EEXIST, "IOVA range [0x%" PRIx64 ", 0x%" PRIx64 "] overlaps the mapping "
				     "[0x%" PRIx64 ", 0x%" PRIx64 "]", *iova, last, d->by_iova[i]->iova,
				     d->by_iova[i]->iova + d->by_iova[i]->len - 1);
			goto out;
		}
		rc = d->alloc ? vfioiommu_iova_alloc_reserve(d->alloc, *iova, len) : 0;
		if (rc < 0) {
			rc = vi_fail(ctx, rc == -ERANGE ? -ERANGE : -EEXIST, "IOVA 0x%" PRIx64 "+0x%" PRIx64
				     " cannot be claimed (%s)", *iova, len, vi_errno_name(rc));
			goto out;
		}
	} else {
		uint64_t pg = lowest_page(d->pgsizes);
		if (align && (align & (align - 1))) {
			rc = vi_fail(ctx, -EINVAL, "alignment 0x%" PRIx64 " is not a power of two", align);
			goto out;
		}
		if (lo > hi) {
			rc = vi_fail(ctx, -EINVAL, "empty IOVA window [0x%" PRIx64 ", 0x%" PRIx64 "]", lo, hi);
			goto out;
		}
		rc = ensure_alloc(ctx, d);
		if (rc < 0)
			goto out;
		/* never hand out IOVA 0: a NULL DMA address is a sentinel to many drivers (iommufd avoids it too) */
		if (lo < pg)
			lo = pg;
		rc = vfioiommu_iova_alloc_get(d->alloc, len, align > pg ? align : pg, lo, hi, iova);
		if (rc < 0) {
			rc = vi_fail(ctx, rc == -ENOSPC ? -ENOSPC : rc, "no free IOVA range of 0x%" PRIx64
				     " bytes in [0x%" PRIx64 ", 0x%" PRIx64 "] (%s)", len, lo, hi, vi_errno_name(rc));
			goto out;
		}
	}
	if (fd >= 0)
		rc = ctx->be->map_file(ctx, fd, vaddr, *iova, len, prot);
	else
		rc = ctx->be->map(ctx, vaddr, *iova, len, prot);
	if (rc < 0) {
		if (d->alloc)
			vfioiommu_iova_alloc_put(d->alloc, *iova, len);
		if (rc == -ENOTTY && fd >= 0)
			rc = vi_fail(ctx, -EOPNOTSUPP, "IOMMU_IOAS_MAP_FILE is not supported by this kernel "
				     "(needs Linux 6.13)");
		else
			rc = kernel_map_error(ctx, d, rc, *iova, len);
		goto out;
	}
	m = (struct vi_mapping){ *iova, len, fd >= 0 ? 0 : vaddr, prot, fd >= 0 };
	rc = track(d, &m);
	if (rc < 0) {
		uint64_t gone;
		ctx->be->unmap(ctx, *iova, len, &gone);
		if (d->alloc)
			vfioiommu_iova_alloc_put(d->alloc, *iova, len);
		rc = vi_fail(ctx, -ENOMEM, "out of memory");
		goto out;
	}
	if (d->avail > 0)
		d->avail--;
out:
	dma_done(ctx, d);
	return rc;
}

VFIOIOMMU_API int vfioiommu_dma_map(vfioiommu_ctx *ctx, void *vaddr, uint64_t len, uint32_t flags,
				    uint64_t *iova)
{
	return do_map(ctx, (uint64_t)(uintptr_t)vaddr, -1, len, flags, 0, 0, UINT64_MAX, iova);
}

VFIOIOMMU_API int vfioiommu_dma_map_in(vfioiommu_ctx *ctx, void *vaddr, uint64_t len, uint32_t flags,
				       uint64_t align, uint64_t lo, uint64_t hi, uint64_t *iova)
{
	if (ctx && (flags & VFIOIOMMU_DMA_FIXED_IOVA))
		return vi_fail(ctx, -EINVAL, "vfioiommu_dma_map_in allocates the IOVA: FIXED_IOVA makes no sense");
	return do_map(ctx, (uint64_t)(uintptr_t)vaddr, -1, len, flags, align, lo, hi, iova);
}

VFIOIOMMU_API int vfioiommu_dma_map_file(vfioiommu_ctx *ctx, int fd, uint64_t offset, uint64_t len,
					 uint32_t flags, uint64_t *iova)
{
	if (!ctx)
		return -EINVAL;
	if (fd < 0)
		return vi_fail(ctx, -EBADF, "vfioiommu_dma_map_file: bad fd %d", fd);
	if (ctx->be && !ctx->be->map_file)
		return vi_fail(ctx, -EOPNOTSUPP, "mapping a file needs the iommufd backend "
			       "(IOMMU_IOAS_MAP_FILE); this context uses %s", vfioiommu_backend_name(ctx->backend));
	return do_map(ctx, offset, fd, len, flags, 0, 0, UINT64_MAX, iova);
}

static int unmap_locked(struct vfioiommu_ctx *ctx, struct vi_dma *d, uint64_t iova, uint64_t len)
{
	uint64_t last = iova + (len - 1), want = 0, got = 0;
	size_t i = lower_iova(d, iova), j;
	int rc;

	if (len == 0 || last < iova)
		return vi_fail(ctx, -EINVAL, "bad unmap range 0x%" PRIx64 "+0x%" PRIx64, iova, len);
	for (j = i; j < d->n && d->by_iova[j]->iova <= last; j++)
		want += d->by_iova[j]->len;
	if (j == i)
		return vi_fail(ctx, -ENOENT, "nothing is mapped in [0x%" PRIx64 ", 0x%" PRIx64 "]", iova, last);
	if (d->by_iova[i]->iova < iova || d->by_iova[j - 1]->iova + (d->by_iova[j - 1]->len - 1) > last) {
		const struct vi_mapping *cut = d->by_iova[i]->iova < iova ? d->by_iova[i] : d->by_iova[j - 1];
		return vi_fail(ctx, -EINVAL, "partial unmap refused: [0x%" PRIx64 ", 0x%" PRIx64 "] would split "
			       "the mapping [0x%" PRIx64 ", 0x%" PRIx64 "]; unmap whole mappings",
			       iova, last, cut->iova, cut->iova + cut->len - 1);
	}
	rc = ctx->be->unmap(ctx, iova, len, &got);
	if (rc < 0)
		return vi_fail(ctx, rc, "the kernel refused to unmap [0x%" PRIx64 ", 0x%" PRIx64 "] (%s)",
			       iova, last, vi_errno_name(rc));
	if (got != want)
		return vi_fail(ctx, -EIO, "the kernel unmapped 0x%" PRIx64 " bytes of [0x%" PRIx64 ", 0x%" PRIx64
			       "], the library expected 0x%" PRIx64 ": mappings were changed behind its back",
			       got, iova, last, want);
	for (size_t k = i; d->alloc && k < j; k++)
		vfioiommu_iova_alloc_put(d->alloc, d->by_iova[k]->iova, d->by_iova[k]->len);
	if (d->avail >= 0)
		d->avail += (int64_t)(j - i);
	untrack(d, i, j - i);
	return 0;
}

VFIOIOMMU_API int vfioiommu_dma_unmap(vfioiommu_ctx *ctx, uint64_t iova, uint64_t len)
{
	struct vi_dma *d;
	int rc = with_dma(ctx, &d);

	if (rc < 0)
		return rc;
	rc = unmap_locked(ctx, d, iova, len);
	dma_done(ctx, d);
	return rc;
}

VFIOIOMMU_API int vfioiommu_dma_unmap_at(vfioiommu_ctx *ctx, uint64_t iova)
{
	struct vi_dma *d;
	size_t i;
	int rc = with_dma(ctx, &d);

	if (rc < 0)
		return rc;
	i = lower_iova(d, iova);
	if (i == d->n || d->by_iova[i]->iova != iova)
		rc = vi_fail(ctx, -ENOENT, "no mapping starts at IOVA 0x%" PRIx64, iova);
	else
		rc = unmap_locked(ctx, d, iova, d->by_iova[i]->len);
	dma_done(ctx, d);
	return rc;
}

VFIOIOMMU_API int vfioiommu_dma_unmap_all(vfioiommu_ctx *ctx)
{
	struct vi_dma *d;
	uint64_t got = 0;
	int rc = with_dma(ctx, &d);

	if (rc < 0)
		return rc;
	if (ctx->be->unmap_all) {
		rc = ctx->be->unmap_all(ctx, &got);
		if (rc < 0)
			rc = vi_fail(ctx, rc, "the kernel refused to unmap everything (%s)", vi_errno_name(rc));
	} else {
		while (d->n && rc == 0)
			rc = unmap_locked(ctx, d, d->by_iova[d->n - 1]->iova, d->by_iova[d->n - 1]->len);
	}
	if (rc == 0) {
		for (size_t k = 0; d->alloc && k < d->n; k++)
			vfioiommu_iova_alloc_put(d->alloc, d->by_iova[k]->iova, d->by_iova[k]->len);
		if (d->avail >= 0)
			d->avail += (int64_t)d->n;
		untrack(d, 0, d->n);
	}
	dma_done(ctx, d);
	return rc;
}

VFIOIOMMU_API int vfioiommu_dma_translate(vfioiommu_ctx *ctx, const void *vaddr, uint64_t len,
					  uint64_t *iova)
{
	struct vi_dma *d;
	uint64_t va = (uint64_t)(uintptr_t)vaddr, last = va + (len ? len - 1 : 0);
	size_t lo = 0, hi;
	int rc = -ENOENT;

	if (!ctx || !iova || last < va)
		return ctx ? vi_fail(ctx, -EINVAL, "bad translate arguments") : -EINVAL;
	pthread_mutex_lock(&ctx->lock);
	d = ctx->dma;
	pthread_mutex_unlock(&ctx->lock);
	if (!d)
		return vi_fail(ctx, -ENOENT, "address %p is not mapped (nothing is)", vaddr);
	pthread_rwlock_rdlock(&d->lock);
	/*
	 * Last mapping whose vaddr <= va, then back over earlier ones (a buffer
	 * mapped twice, or a large mapping enclosing later small ones) only while
	 * some earlier mapping still reaches far enough: misses stay cheap.
	 */
	hi = d->nv;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (d->by_vaddr[mid]->vaddr <= va)
			lo = mid + 1;
		else
			hi = mid;
	}
	while (lo-- > 0 && d->vend_max[lo] >= last) {
		const struct vi_mapping *m = d->by_vaddr[lo];
		if (m->vaddr + (m->len - 1) >= last) {
			*iova = m->iova + (va - m->vaddr);
			rc = 0;
			break;
		}
	}
	pthread_rwlock_unlock(&d->lock);
	return rc ? vi_fail(ctx, -ENOENT, "address %p (+%" PRIu64 ") is not inside one DMA mapping", vaddr, len)
		  : 0;
}

VFIOIOMMU_API int vfioiommu_dma_stats(vfioiommu_ctx *ctx, struct vfioiommu_dma_stats *out)
{
	struct vi_dma *d;
	int rc;

	if (!ctx)
		return -EINVAL;
	if (!out)
		return vi_fail(ctx, -EINVAL, "out is NULL");
	rc = with_dma(ctx, &d);
	if (rc < 0)
		return rc;
	out->mappings = d->n;
	out->mapped_bytes = d->bytes;
	out->dma_avail = d->avail;
	out->pgsizes = d->pgsizes;
	dma_done(ctx, d);
	return 0;
}
