/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * DMA map/unmap/translate with one errno meaning on every backend.  The
 * library's own table of mappings is what lets it tell an overlap from an
 * out-of-range IOVA, catch partial unmaps before type1 v1 silently performs
 * them, and answer translate without a syscall.  The kernel is reached only
 * through the backend's operations (ctx->be, backend/internal.h), which
 * return its errno unchanged; what this file adds is the table, the IOVA
 * allocator and the errno normalisation.
 *
 * Map and unmap are a hot path (a VMM maps and unmaps per I/O, a userspace
 * driver per buffer; bench/vm-insn.sh counts what the library adds to the
 * kernel's own work).  So the path takes one lock, touches no malloc, checks
 * only what the kernel would not refuse by itself, and leaves every
 * explanation (nearest range, which mapping overlaps, which argument) to the
 * functions that run once something was refused.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vfioiommu/alloc.h>
#include <vfioiommu/dma.h>

#include "backend/internal.h"
#include "core/internal.h"
#include "internal.h"
#include "dma_table.h"
#include "dma_lu.h"

#define VI_DMA_RW (VFIOIOMMU_DMA_READ | VFIOIOMMU_DMA_WRITE)
#define VI_DMA_ALL (VI_DMA_RW | VFIOIOMMU_DMA_FIXED_IOVA)

/*
 * Locking.  d->mu is the one lock of map, unmap and stats: held for the whole
 * operation, kernel call included, so two threads cannot both get a fixed
 * IOVA the kernel gives only one of them and the table always says what the
 * kernel holds.  It guards everything in struct vi_dma but vindexed.  A plain
 * mutex: waiters must sleep, as the holder may be pinning pages for a long
 * time.  ctx->lock is not taken on that path: the backend's map and unmap
 * read only what lives from its open() to its close() (backend/internal.h),
 * and device open/close (under ctx->lock) only mark the ranges stale, under
 * d->mu; the next map then re-reads them under ctx->lock, then d->mu (the
 * order everywhere), as do the first operation (which creates this state),
 * stats and unmap_all.
 *
 * translate does not take d->mu: it must run concurrently with itself
 * (vfioiommu/dma.h), and it should not wait for a map's kernel call.  So it
 * reads the process-address index under d->index_lock, shared.  Writers,
 * holding d->mu, take index_lock exclusively only while they change the
 * index, which exists only from the first translate on; before that, map and
 * unmap pay nothing for it.  Order: ctx->lock, d->mu, d->index_lock.
 */
struct vi_dma {
	pthread_mutex_t mu;
	struct vi_dma_table t;
	/*
	 * The kernel's mapping limit as a table size: SIZE_MAX when unlimited,
	 * else the live mappings at the last refresh plus the DMA_AVAIL it read
	 * (type1 counts mappings made before we looked).
	 */
	size_t nmax;
	bool stale;                 /* ranges and limits must be re-read (a device came or went) */
	uint64_t pgmask;            /* smallest IOMMU page - 1 */
	uint64_t pgsizes;
	uint64_t prefer;            /* superpage sizes a library-chosen IOVA should suit, largest first */
	uint64_t unaligned;         /* library-chosen IOVAs that missed the preferred superpage phase */
	vfioiommu_iova_list *ranges;
	vfioiommu_iova_pool *alloc;
	pthread_rwlock_t index_lock;
	/* t.vindex for translate, which reads it without d->mu */
	atomic_bool vindexed;
	/*
	 * Set (under d->mu) by the first reverse translation, which reads the
	 * IOVA tree under index_lock, shared: from then on writers change the
	 * tree under index_lock too.  riova mirrors it for the lock-free check.
	 */
	bool rlookup;
	atomic_bool riova;
};

static uint64_t lowest_page(uint64_t pgsizes)
{
	return pgsizes ? pgsizes & (~pgsizes + 1) : 4096;
}

/*
 * The page sizes above the base page a library-chosen IOVA should be able to
 * use.  When the kernel names none (iommufd on AMD or virtio-iommu, which
 * give no page sizes at all), 2 MiB and 1 GiB: x86's and arm64's common
 * superpages.  A congruent IOVA costs only IOVA space, never a failed map.
 */
static uint64_t superpages(uint64_t pgsizes, uint64_t pgmask)
{
	uint64_t above = pgsizes & ~(pgmask | (pgmask + 1));

	return above ? above : ((1ull << 21) | (1ull << 30)) & ~pgmask;
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

struct reserve_arg {
	struct vfioiommu_ctx *ctx;
	vfioiommu_iova_pool *alloc;
};

static void reserve_one(const struct vi_mapping *m, void *arg)
{
	struct reserve_arg *r = arg;

	/* a live mapping outside new ranges means the kernel narrowed under us; keep going */
	if (vfioiommu_iova_pool_reserve(r->alloc, m->at.start, vi_map_len(m)) < 0)
		vi_log(r->ctx, VFIOIOMMU_LOG_WARNING, "mapping at 0x%" PRIx64 " is outside the usable ranges",
		       m->at.start);
}

/*
 * The allocator exists only once someone asks the library to choose an IOVA:
 * a VMM that maps guest RAM at fixed IOVAs never pays for it.  Built from the
 * current ranges around every live mapping.
 */
static int ensure_alloc(struct vfioiommu_ctx *ctx, struct vi_dma *d)
{
	vfioiommu_iova_pool *alloc = NULL;
	int rc;

	if (d->alloc)
		return 0;
	rc = vfioiommu_iova_pool_new(d->ranges, d->pgmask + 1, &alloc);
	if (rc < 0)
		return vi_fail(ctx, rc, "cannot build the IOVA allocator (%s)", vi_errno_name(rc));
	vi_tab_each(&d->t, reserve_one, &(struct reserve_arg){ ctx, alloc });
	d->alloc = alloc;
	return 0;
}

static void put_one(const struct vi_mapping *m, void *alloc)
{
	vfioiommu_iova_pool_release(alloc, m->at.start, vi_map_len(m));
}

/* Re-read ranges and limits from the kernel (ctx->lock and d->mu held); the allocator is rebuilt on its next use. */
static int refresh(struct vfioiommu_ctx *ctx, struct vi_dma *d)
{
	vfioiommu_iova_list *ranges = NULL;
	uint64_t pgsizes = 0;
	int64_t avail = -1;
	int rc;

	rc = ctx->be->iova_ranges(ctx, &ranges);
	if (rc < 0)
		return rc;
	if (ctx->be->dma_limits && (rc = ctx->be->dma_limits(ctx, &pgsizes, &avail)) < 0) {
		vfioiommu_iova_list_free(ranges);
		return rc;
	}
	vfioiommu_iova_list_free(d->ranges);
	vfioiommu_iova_pool_free(d->alloc);
	d->ranges = ranges;
	d->alloc = NULL;
	d->pgsizes = pgsizes;
	d->pgmask = lowest_page(pgsizes) - 1;
	d->prefer = superpages(pgsizes, d->pgmask);
	d->nmax = avail < 0 || (uint64_t)avail >= SIZE_MAX - d->t.n ? SIZE_MAX : d->t.n + (size_t)avail;
	d->stale = false;
	return 0;
}

static struct vi_dma *dma_new(void)
{
	struct vi_dma *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	if (pthread_mutex_init(&d->mu, NULL) != 0) {
		free(d);
		return NULL;
	}
	if (pthread_rwlock_init(&d->index_lock, NULL) != 0) {
		pthread_mutex_destroy(&d->mu);
		free(d);
		return NULL;
	}
	atomic_init(&d->vindexed, false);
	atomic_init(&d->riova, false);
	d->stale = true;
	d->nmax = SIZE_MAX;
	d->pgmask = 4095;
	return d;
}

static void dma_space_changed(struct vfioiommu_ctx *ctx, bool mappings_dropped);
static bool dma_holds(struct vfioiommu_ctx *ctx);

/*
 * The slow start: create the state on the first call, re-read the ranges
 * after a device came or went.  Returns the state with ctx->lock and d->mu
 * held, or NULL with *err set and nothing held.  Until the backend exists
 * there is nothing to map into; once it does it never changes.
 */
static struct vi_dma *dma_lock_both(struct vfioiommu_ctx *ctx, int *err)
{
	struct vi_dma *d;
	int rc = 0;

	pthread_mutex_lock(&ctx->lock);
	/* relaxed: only ever stored under ctx->lock, which is held */
	d = atomic_load_explicit(&ctx->dma, memory_order_relaxed);
	if (!d) {
		if (!ctx->be)
			rc = vi_fail(ctx, -ENODEV, "no group or device is attached yet: nothing to map into");
		else if (!ctx->be->map)
			rc = vi_fail(ctx, -EOPNOTSUPP, "the %s backend cannot map DMA (no-IOMMU mode?)",
				     vfioiommu_backend_name(ctx->backend));
		else if (!(d = dma_new()))
			rc = vi_fail(ctx, -ENOMEM, "out of memory");
		if (rc < 0)
			goto fail;
		ctx->space_changed = dma_space_changed;
		ctx->dma_holds = dma_holds;
		/* release: pairs with the acquire in dma_lock(); ctx->be and the backend's fds come with it */
		atomic_store_explicit(&ctx->dma, d, memory_order_release);
	}
	pthread_mutex_lock(&d->mu);
	if (d->stale && (rc = refresh(ctx, d)) < 0) {
		pthread_mutex_unlock(&d->mu);
		goto fail;
	}
	return d;
fail:
	pthread_mutex_unlock(&ctx->lock);
	*err = rc;
	return NULL;
}

/*
 * The context's DMA state with d->mu held, or NULL with *err set and nothing
 * held.  Once the state exists, ctx->lock is not needed: the ranges and
 * limits may be stale, which map checks (refresh_relock()) and unmap does
 * not care about (it checks against the table, and the allocator it gives
 * IOVAs back to is rebuilt at the next refresh anyway).
 */
static struct vi_dma *dma_lock(struct vfioiommu_ctx *ctx, int *err)
{
	/* acquire: pairs with the release in dma_lock_both() (ctx->be, the backend's fds) */
	struct vi_dma *d = atomic_load_explicit(&ctx->dma, memory_order_acquire);

	if (d) {
		pthread_mutex_lock(&d->mu);
		return d;
	}
	d = dma_lock_both(ctx, err);
	/* d->mu alone protects the operation; releasing the outer lock first cannot deadlock */
	if (d)
		pthread_mutex_unlock(&ctx->lock);
	return d;
}

/*
 * Re-read stale ranges and limits for a map (d->mu held, and held again on
 * return).  ctx->lock comes before d->mu, so d->mu is let go meanwhile; a
 * refresh made by another thread in that window is fine.
 */
static int refresh_relock(struct vfioiommu_ctx *ctx, struct vi_dma *d)
{
	int rc = 0;

	pthread_mutex_unlock(&d->mu);
	pthread_mutex_lock(&ctx->lock);
	pthread_mutex_lock(&d->mu);
	if (d->stale)
		rc = refresh(ctx, d);
	pthread_mutex_unlock(&ctx->lock);
	return rc;
}

/*
 * Around a change of the process-address index (d->mu held): translate reads
 * it under index_lock.  Before the first translate there is no index, and
 * t.vindex cannot change between the two calls (it is set under d->mu).
 */
static void index_write_lock(struct vi_dma *d)
{
	if (d->t.vindex || d->rlookup)
		pthread_rwlock_wrlock(&d->index_lock);
}

static void index_write_unlock(struct vi_dma *d)
{
	if (d->t.vindex || d->rlookup)
		pthread_rwlock_unlock(&d->index_lock);
}

static void track(struct vi_dma *d, struct vi_mapping *m)
{
	index_write_lock(d);
	vi_tab_commit(&d->t, m);
	index_write_unlock(d);
}

static void untrack(struct vi_dma *d, struct vi_mapping *m)
{
	index_write_lock(d);
	vi_tab_remove(&d->t, m);
	index_write_unlock(d);
}

static void untrack_all(struct vi_dma *d)
{
	index_write_lock(d);
	vi_tab_clear(&d->t);
	index_write_unlock(d);
}

/* ctx->space_changed: a device or group came or went (ctx->lock held) */
static void dma_space_changed(struct vfioiommu_ctx *ctx, bool mappings_dropped)
{
	/* ctx->lock held: ctx->dma cannot change under us (relaxed) */
	struct vi_dma *d = atomic_load_explicit(&ctx->dma, memory_order_relaxed);

	if (!d)
		return;
	/* d->mu after ctx->lock, the usual order: this waits for a map in flight */
	pthread_mutex_lock(&d->mu);
	/* the kernel forgot every mapping: so does the table */
	if (mappings_dropped)
		untrack_all(d);
	d->stale = true;
	pthread_mutex_unlock(&d->mu);
}

/* ctx->dma_holds: does the table hold mappings?  (ctx->lock held) */
static bool dma_holds(struct vfioiommu_ctx *ctx)
{
	/* ctx->lock held: ctx->dma cannot change under us (relaxed) */
	struct vi_dma *d = atomic_load_explicit(&ctx->dma, memory_order_relaxed);
	bool held;

	if (!d)
		return false;
	pthread_mutex_lock(&d->mu);
	held = d->t.n > 0;
	pthread_mutex_unlock(&d->mu);
	return held;
}

void vi_dma_destroy(struct vfioiommu_ctx *ctx)
{
	/* teardown: no other thread may use the context any more */
	struct vi_dma *d = atomic_load_explicit(&ctx->dma, memory_order_relaxed);

	if (!d)
		return;
	vi_tab_free(&d->t);
	vfioiommu_iova_list_free(d->ranges);
	vfioiommu_iova_pool_free(d->alloc);
	pthread_rwlock_destroy(&d->index_lock);
	pthread_mutex_destroy(&d->mu);
	free(d);
	atomic_store_explicit(&ctx->dma, NULL, memory_order_relaxed);
}

/* ---------------- map ---------------- */

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

static bool in_ranges(const struct vi_dma *d, uint64_t iova, uint64_t last)
{
	return vfioiommu_iova_list_contains(d->ranges, iova, last) == 1;
}

/* iova is 0 when the library allocates it: the IOVA terms then hold whatever the length. */
static bool args_ok(const struct vi_dma *d, uint64_t vaddr, uint64_t len, uint32_t flags, uint64_t iova)
{
	return !(flags & ~(uint32_t)VI_DMA_ALL) && (flags & VI_DMA_RW) && len != 0 &&
	       vaddr + (len - 1) >= vaddr && iova + (len - 1) >= iova && !((vaddr | len | iova) & d->pgmask);
}

/* @what (an address or IOVA) and @len are not both multiples of the IOMMU page size: say which sizes are. */
static int misaligned_error(struct vfioiommu_ctx *ctx, struct vi_dma *d, const char *what, uint64_t at,
			    uint64_t len)
{
	uint64_t pg = d->pgmask + 1;
	char sizes[128];

	pgsizes_text(d->pgsizes ? d->pgsizes : pg, sizes, sizeof(sizes));
	return vi_fail(ctx, -EINVAL, "%s 0x%" PRIx64 " and length 0x%" PRIx64 " must be multiples of the IOMMU "
		       "page size %" PRIu64 " (supported page sizes: %s)", what, at, len, pg, sizes);
}

/* Which argument is wrong, once args_ok() said one is. */
static int args_error(struct vfioiommu_ctx *ctx, struct vi_dma *d, uint64_t vaddr, uint64_t len,
		      uint32_t flags, uint64_t iova)
{
	bool fixed = flags & VFIOIOMMU_DMA_FIXED_IOVA;
	uint64_t pg = d->pgmask + 1;
	char sizes[128];

	if (flags & ~(uint32_t)VI_DMA_ALL)
		return vi_fail(ctx, -EINVAL, "unknown DMA flags 0x%x", flags);
	if (!(flags & VI_DMA_RW))
		return vi_fail(ctx, -EINVAL, "a DMA mapping needs VFIOIOMMU_DMA_READ and/or VFIOIOMMU_DMA_WRITE");
	if (len == 0)
		return vi_fail(ctx, -EINVAL, "cannot map 0 bytes");
	if (vaddr + (len - 1) < vaddr || iova + (len - 1) < iova)
		return vi_fail(ctx, -EINVAL, "address + length overflows 64 bits");
	if (!fixed)
		return misaligned_error(ctx, d, "address", vaddr, len);
	pgsizes_text(d->pgsizes ? d->pgsizes : pg, sizes, sizeof(sizes));
	return vi_fail(ctx, -EINVAL, "address 0x%" PRIx64 ", length 0x%" PRIx64 " and IOVA 0x%" PRIx64
		       " must be multiples of the IOMMU page size %" PRIu64 " (supported page sizes: %s)",
		       vaddr, len, iova, pg, sizes);
}

/*
 * Room in the table for one more mapping, reserved before the kernel is asked
 * so that recording what it accepted cannot fail (d->mu held).  0, or -ENOSPC
 * when the kernel's limit is reached, -ENOMEM when the table cannot grow.
 */
static int make_room(struct vfioiommu_ctx *ctx, struct vi_dma *d)
{
	int rc;

	if (d->t.n >= d->nmax)
		return vi_fail(ctx, -ENOSPC, "the kernel allows no more DMA mappings (type1 dma_entry_limit: "
			       "DMA_AVAIL is 0 with %zu live mappings)", d->t.n);
	if (vi_tab_has_room(&d->t))
		return 0;
	/* the index arrays move: translate must not be reading them */
	index_write_lock(d);
	rc = vi_tab_grow(&d->t);
	index_write_unlock(d);
	return rc < 0 ? vi_fail(ctx, rc, "out of memory") : 0;
}

/*
 * A fixed IOVA that overlaps a mapping of the table.  An out-of-range request
 * gets -ERANGE first, as the kernel would have been told nothing either way.
 */
static int overlap_error(struct vfioiommu_ctx *ctx, struct vi_dma *d, uint64_t iova, uint64_t last,
			 const struct vi_mapping *m)
{
	if (!in_ranges(d, iova, last))
		return out_of_range(ctx, d, iova, last);
	return vi_fail(ctx, -EEXIST, "IOVA range [0x%" PRIx64 ", 0x%" PRIx64 "] overlaps the mapping "
		       "[0x%" PRIx64 ", 0x%" PRIx64 "]", iova, last, m->at.start, m->at.last);
}

/*
 * A fixed IOVA: free in the table, and taken out of the allocator's free
 * space when there is an allocator.  Overlaps are checked here, not left to
 * the kernel: the table has to find the slot anyway, and the message names
 * the mapping.  Usable ranges are not: the kernel refuses those (map_error()).
 */
static int claim_fixed(struct vfioiommu_ctx *ctx, struct vi_dma *d, uint64_t iova, uint64_t len)
{
	uint64_t last = iova + (len - 1);
	struct vi_mapping *next = vi_tab_lower(&d->t, iova);
	int rc;

	if (next && next->at.start <= last)
		return overlap_error(ctx, d, iova, last, next);
	if (!d->alloc)
		return 0;
	rc = vfioiommu_iova_pool_reserve(d->alloc, iova, len);
	if (rc == 0)
		return 0;
	if (!in_ranges(d, iova, last))
		return out_of_range(ctx, d, iova, last);
	return vi_fail(ctx, rc == -ERANGE ? -ERANGE : -EEXIST, "IOVA 0x%" PRIx64 "+0x%" PRIx64
		       " cannot be claimed (%s)", iova, len, vi_errno_name(rc));
}

/*
 * The largest preferred page size P of which a whole, P-aligned page lies
 * inside [vaddr, vaddr + len): only then can an IOVA congruent to vaddr
 * modulo P let the IOMMU use a P page.  0 when no superpage can fit.
 */
static uint64_t best_page(uint64_t prefer, uint64_t vaddr, uint64_t len)
{
	for (int b = 63; b >= 0; b--) {
		uint64_t p = 1ull << b, first;

		if (!(prefer & p) || p > len)
			continue;
		first = (vaddr + (p - 1)) & ~(p - 1);
		if (first >= vaddr && first - vaddr <= len - p)
			return p;
	}
	return 0;
}

/*
 * A library-chosen IOVA congruent to vaddr modulo the largest page size that
 * can serve the buffer, then modulo each smaller preferred size in turn when
 * the free space is too fragmented; the plain lowest-fit IOVA last.  Every
 * fallback below the first choice is counted (vfioiommu_dma_stats).
 */
static int alloc_superpage(struct vi_dma *d, uint64_t vaddr, uint64_t len, uint64_t lo, uint64_t hi,
			   uint64_t *iova)
{
	uint64_t pg = d->pgmask + 1, want = best_page(d->prefer, vaddr, len);
	int rc = -ENOSPC;

	for (uint64_t p = want; p > pg; p >>= 1) {
		if (!(d->prefer & p))
			continue;
		rc = vi_iova_pool_alloc_phase(d->alloc, len, p, vaddr & (p - 1), lo, hi, iova);
		if (rc != -ENOSPC)
			break;
	}
	if (rc == -ENOSPC)
		rc = vfioiommu_iova_pool_alloc(d->alloc, len, pg, lo, hi, iova);
	if (rc == 0 && want > pg && (*iova & (want - 1)) != (vaddr & (want - 1)))
		d->unaligned++;
	return rc;
}

static int alloc_iova(struct vfioiommu_ctx *ctx, struct vi_dma *d, uint64_t vaddr, uint64_t len, uint64_t align,
		      uint64_t lo, uint64_t hi, uint64_t *iova)
{
	uint64_t pg = d->pgmask + 1;
	int rc;

	if (align && (align & (align - 1)))
		return vi_fail(ctx, -EINVAL, "alignment 0x%" PRIx64 " is not a power of two", align);
	if (lo > hi)
		return vi_fail(ctx, -EINVAL, "empty IOVA window [0x%" PRIx64 ", 0x%" PRIx64 "]", lo, hi);
	rc = ensure_alloc(ctx, d);
	if (rc < 0)
		return rc;
	/* never hand out IOVA 0: a NULL DMA address is a sentinel to many drivers (iommufd avoids it too) */
	if (lo < pg)
		lo = pg;
	if (align)
		rc = vfioiommu_iova_pool_alloc(d->alloc, len, align > pg ? align : pg, lo, hi, iova);
	else
		rc = alloc_superpage(d, vaddr, len, lo, hi, iova);
	if (rc < 0)
		return vi_fail(ctx, rc == -ENOSPC ? -ENOSPC : rc, "no free IOVA range of 0x%" PRIx64
			       " bytes in [0x%" PRIx64 ", 0x%" PRIx64 "] (%s)", len, lo, hi, vi_errno_name(rc));
	return 0;
}

/*
 * The kernel refused a map.  The library does not check usable ranges before
 * asking: both backends refuse an IOVA outside them with EINVAL (type1
 * vfio_iommu_iova_dma_valid, iommufd iopt_check_iova; tests/vm/FACTS.md), so
 * only an EINVAL pays for finding out whether that was the reason.  Any other
 * errno is the kernel's own answer and is passed on.
 */
static int map_error(struct vfioiommu_ctx *ctx, struct vi_dma *d, int rc, const struct vi_mapping *m)
{
	uint64_t iova = m->at.start, len = vi_map_len(m), last = m->at.last;

	if (d->alloc)
		vfioiommu_iova_pool_release(d->alloc, iova, len);
	if (rc == -ENOTTY && m->file)
		return vi_fail(ctx, -EOPNOTSUPP, "IOMMU_IOAS_MAP_FILE is not supported by this kernel "
			       "(needs Linux 6.13)");
	/* an allocated IOVA is always inside the ranges, so this finds only fixed ones */
	if (rc == -EINVAL && !in_ranges(d, iova, last))
		return out_of_range(ctx, d, iova, last);
	switch (rc) {
	case -EEXIST:
		return vi_fail(ctx, -EEXIST, "IOVA 0x%" PRIx64 "+0x%" PRIx64 " overlaps a mapping made outside "
			       "the library", iova, len);
	case -ENOSPC:
		return vi_fail(ctx, -ENOSPC, "the kernel allows no more DMA mappings (type1 dma_entry_limit "
			       "reached with %zu live mappings)", d->t.n);
	case -ENOMEM:
	case -EPERM:
		return vi_fail_pinning(ctx, rc, iova, len, d->t.bytes, d->t.n);
	case -EFAULT:
		/* FACTS: both kernels pin at MAP and say EFAULT for addresses with no (accessible) memory */
		if (!m->file)
			return vi_fail(ctx, -EFAULT, "the kernel refused to map IOVA 0x%" PRIx64 "+0x%" PRIx64 " (EFAULT): "
				       "the buffer [0x%" PRIx64 ", 0x%" PRIx64 "] is not wholly mapped readable memory "
				       "of this process, so its pages cannot be pinned; map memory there first "
				       "(mmap, malloc) and keep it mapped while the device may use it",
				       iova, len, m->vaddr, m->vaddr + (len - 1));
		break;
	case -ENODEV:
		/* FACTS section 7: MAP_FILE of a dma-buf whose exporter revoked it (device closed, reset) */
		if (m->file)
			return vi_fail(ctx, -ENODEV, "the kernel refused to map IOVA 0x%" PRIx64 "+0x%" PRIx64 " (ENODEV): "
				       "the file is a dma-buf its exporter has revoked (the exporting device was closed, "
				       "reset or its BAR disabled); export the region again and map the new dma-buf",
				       iova, len);
		break;
	default:
		break;
	}
	return vi_fail(ctx, rc, "the kernel refused to map IOVA 0x%" PRIx64 "+0x%" PRIx64 " (%s)", iova, len,
		       vi_errno_name(rc));
}

/* What the three map calls differ in. */
struct map_how {
	int fd;                 /* the file to map (vaddr is then its offset), or -1: process memory */
	uint64_t align, lo, hi; /* where an allocated IOVA may lie (align 0: the IOMMU page) */
};

static const struct map_how anywhere = { .fd = -1, .hi = UINT64_MAX };

/* d->mu held */
static int map_locked(struct vfioiommu_ctx *ctx, struct vi_dma *d, uint64_t vaddr, uint64_t len, uint32_t flags,
		      const struct map_how *how, uint64_t *iova)
{
	bool fixed = flags & VFIOIOMMU_DMA_FIXED_IOVA, file = how->fd >= 0;
	uint32_t prot = ((flags & VFIOIOMMU_DMA_READ) ? VI_PROT_READ : 0) |
			((flags & VFIOIOMMU_DMA_WRITE) ? VI_PROT_WRITE : 0);
	uint64_t at = fixed ? *iova : 0;
	struct vi_mapping *m;
	int rc;

	if (file && !ctx->be->map_file)
		/* not ctx->backend: device open may be rewriting it (ctx->be never changes) */
		return vi_fail(ctx, -EOPNOTSUPP, "mapping a file needs the iommufd backend (IOMMU_IOAS_MAP_FILE); "
			       "this context uses a VFIO container");
	/* the checks below need the current page size, ranges and limits */
	if (d->stale && (rc = refresh_relock(ctx, d)) < 0)
		return rc;
	if (!args_ok(d, vaddr, len, flags, at))
		return args_error(ctx, d, vaddr, len, flags, at);
	if ((d->t.n >= d->nmax || !vi_tab_has_room(&d->t)) && (rc = make_room(ctx, d)) < 0)
		return rc;
	if (fixed) {
		rc = claim_fixed(ctx, d, at, len);
	} else {
		rc = alloc_iova(ctx, d, vaddr, len, how->align, how->lo, how->hi, &at);
		if (rc == 0)
			*iova = at;
	}
	if (rc < 0)
		return rc;
	m = vi_tab_prepare(&d->t, at, len, file ? 0 : vaddr, prot, file);
	if (file)
		rc = ctx->be->map_file(ctx, how->fd, vaddr, at, len, prot);
	else
		rc = ctx->be->map(ctx, vaddr, at, len, prot);
	if (rc < 0)
		return map_error(ctx, d, rc, m);
	track(d, m);
	return 0;
}

static int do_map(struct vfioiommu_ctx *ctx, uint64_t vaddr, uint64_t len, uint32_t flags,
		  const struct map_how *how, uint64_t *iova)
{
	struct vi_dma *d;
	int rc;

	if (!ctx)
		return -EINVAL;
	if (!iova)
		return vi_fail(ctx, -EINVAL, "iova is NULL");
	d = dma_lock(ctx, &rc);
	if (!d)
		return rc;
	rc = map_locked(ctx, d, vaddr, len, flags, how, iova);
	pthread_mutex_unlock(&d->mu);
	return rc;
}

VFIOIOMMU_API int vfioiommu_dma_map(vfioiommu_ctx *ctx, void *vaddr, uint64_t len, uint32_t flags,
				    uint64_t *iova)
{
	return do_map(ctx, (uint64_t)(uintptr_t)vaddr, len, flags, &anywhere, iova);
}

VFIOIOMMU_API int vfioiommu_dma_map_in(vfioiommu_ctx *ctx, void *vaddr, uint64_t len, uint32_t flags,
				       uint64_t align, uint64_t lo, uint64_t hi, uint64_t *iova)
{
	if (ctx && (flags & VFIOIOMMU_DMA_FIXED_IOVA))
		return vi_fail(ctx, -EINVAL, "vfioiommu_dma_map_in allocates the IOVA: FIXED_IOVA makes no sense");
	return do_map(ctx, (uint64_t)(uintptr_t)vaddr, len, flags,
		      &(struct map_how){ .fd = -1, .align = align, .lo = lo, .hi = hi }, iova);
}

VFIOIOMMU_API int vfioiommu_dma_map_file(vfioiommu_ctx *ctx, int fd, uint64_t offset, uint64_t len,
					 uint32_t flags, uint64_t *iova)
{
	if (!ctx)
		return -EINVAL;
	if (fd < 0)
		return vi_fail(ctx, -EBADF, "vfioiommu_dma_map_file: bad fd %d", fd);
	return do_map(ctx, offset, len, flags, &(struct map_how){ .fd = fd, .hi = UINT64_MAX }, iova);
}

/* ---------------- unmap ---------------- */

static int unmap_error(struct vfioiommu_ctx *ctx, int rc, uint64_t iova, uint64_t len, uint64_t got,
		       uint64_t want)
{
	uint64_t last = iova + (len - 1);

	if (rc < 0)
		return vi_fail(ctx, rc, "the kernel refused to unmap [0x%" PRIx64 ", 0x%" PRIx64 "] (%s)",
			       iova, last, vi_errno_name(rc));
	return vi_fail(ctx, -EIO, "the kernel unmapped 0x%" PRIx64 " bytes of [0x%" PRIx64 ", 0x%" PRIx64
		       "], the library expected 0x%" PRIx64 ": mappings were changed behind its back",
		       got, iova, last, want);
}

/* Unmap m, one whole mapping of the table (d->mu held). */
static int unmap_one(struct vfioiommu_ctx *ctx, struct vi_dma *d, struct vi_mapping *m)
{
	uint64_t iova = m->at.start, len = vi_map_len(m), got;
	int rc = ctx->be->unmap(ctx, iova, len, &got);

	if (rc < 0 || got != len)
		return unmap_error(ctx, rc, iova, len, got, len);
	if (d->alloc)
		vfioiommu_iova_pool_release(d->alloc, iova, len);
	untrack(d, m);
	return 0;
}

/*
 * Unmap the whole mappings [iova, iova + len) covers (d->mu held).
 * A range that covers nothing or would split a mapping is refused here, never
 * sent: type1 v1 would split silently, iommufd would unmap the whole mappings
 * before failing on the cut.
 */
/* The bitmap of an unmap that asks the kernel for the range's dirty pages (vi_dma_unmap_dirty()). */
struct unmap_dirty {
	uint64_t pgsize, bytes, *bitmap;
};

static int unmap_span_dirty(struct vfioiommu_ctx *ctx, struct vi_dma *d, uint64_t iova, uint64_t len,
			    const struct unmap_dirty *dirty);

static int unmap_span(struct vfioiommu_ctx *ctx, struct vi_dma *d, uint64_t iova, uint64_t len)
{
	return unmap_span_dirty(ctx, d, iova, len, NULL);
}

static int unmap_span_dirty(struct vfioiommu_ctx *ctx, struct vi_dma *d, uint64_t iova, uint64_t len,
			    const struct unmap_dirty *dirty)
{
	uint64_t last = iova + (len - 1), want = 0, got = 0;
	struct vi_mapping *first, *end = NULL, *m, *next;
	const struct vi_mapping *cut;
	int rc;

	if (len == 0 || last < iova)
		return vi_fail(ctx, -EINVAL, "bad unmap range 0x%" PRIx64 "+0x%" PRIx64, iova, len);
	/*
	 * As on map, and before the kernel: type1 refuses a misaligned range,
	 * iommufd rounds it to the mappings it touches and unmaps them.
	 */
	if ((iova | len) & d->pgmask)
		return misaligned_error(ctx, d, "IOVA", iova, len);
	first = vi_tab_lower(&d->t, iova);
	for (m = first; m && m->at.start <= last; m = vi_tab_next(&d->t, m)) {
		want += vi_map_len(m);
		end = m;
	}
	if (!end)
		return vi_fail(ctx, -ENOENT, "nothing is mapped in [0x%" PRIx64 ", 0x%" PRIx64 "]", iova, last);
	if (first->at.start < iova || end->at.last > last) {
		cut = first->at.start < iova ? first : end;
		/* FACTS: type1v2 refuses a split (EINVAL), iommufd too (ENOENT, after unmapping what it covered) */
		return vi_fail(ctx, -EINVAL, "partial unmap refused: [0x%" PRIx64 ", 0x%" PRIx64 "] would split "
			       "the mapping [0x%" PRIx64 ", 0x%" PRIx64 "]; unmap whole mappings (neither type1v2 "
			       "nor iommufd unmaps part of a mapping: to unplug blocks of memory later, as virtio-mem "
			       "does, map it in blocks of the unplug size)",
			       iova, last, cut->at.start, cut->at.last);
	}
	rc = dirty ? ctx->be->unmap_dirty(ctx, iova, len, dirty->pgsize, dirty->bitmap, dirty->bytes, &got)
		   : ctx->be->unmap(ctx, iova, len, &got);
	if (rc < 0 || got != want)
		return unmap_error(ctx, rc, iova, len, got, want);
	index_write_lock(d);
	for (m = first; m && m->at.start <= last; m = next) {
		next = vi_tab_next(&d->t, m);
		if (d->alloc)
			put_one(m, d->alloc);
		vi_tab_remove(&d->t, m);
	}
	index_write_unlock(d);
	return 0;
}

#define VI_UNMAP_ALL_FLAGS VFIOIOMMU_DMA_UNMAP_ABSENT_OK

VFIOIOMMU_API int vfioiommu_dma_unmap_flags(vfioiommu_ctx *ctx, uint64_t iova, uint64_t len, uint32_t flags)
{
	struct vi_dma *d;
	struct vi_mapping *m;
	int rc;

	if (!ctx)
		return -EINVAL;
	if (flags & ~(uint32_t)VI_UNMAP_ALL_FLAGS)
		return vi_fail(ctx, -EINVAL, "unknown unmap flags 0x%x", flags);
	/*
	 * The whole space, (0, UINT64_MAX), iommufd's own spelling of "all":
	 * one meaning on every backend, the kernel's unmap-all (0 also when
	 * nothing was mapped, as both kernels answer).
	 */
	if (iova == 0 && len == UINT64_MAX)
		return vfioiommu_dma_unmap_all(ctx);
	d = dma_lock(ctx, &rc);
	if (!d)
		return rc;
	/* the common case, exactly one whole mapping, is one exact lookup */
	m = vi_tab_find(&d->t, iova);
	if (m && vi_map_len(m) == len)
		rc = unmap_one(ctx, d, m);
	else
		rc = unmap_span(ctx, d, iova, len);
	/* a vIOMMU's redundant unmap: nothing there is what it wanted */
	if (rc == -ENOENT && (flags & VFIOIOMMU_DMA_UNMAP_ABSENT_OK))
		rc = 0;
	pthread_mutex_unlock(&d->mu);
	return rc;
}

VFIOIOMMU_API int vfioiommu_dma_unmap(vfioiommu_ctx *ctx, uint64_t iova, uint64_t len)
{
	return vfioiommu_dma_unmap_flags(ctx, iova, len, 0);
}

int vi_dma_unmap_dirty(struct vfioiommu_ctx *ctx, uint64_t iova, uint64_t len, uint64_t pgsize, uint64_t *bitmap,
		       uint64_t bitmap_bytes)
{
	const struct unmap_dirty dirty = { .pgsize = pgsize, .bytes = bitmap_bytes, .bitmap = bitmap };
	struct vi_dma *d;
	int rc;

	d = dma_lock(ctx, &rc);
	if (!d)
		return rc;
	if (!ctx->be->unmap_dirty)
		rc = vi_fail(ctx, -EOPNOTSUPP, "the %s backend cannot unmap with a dirty bitmap",
			     vfioiommu_backend_name(ctx->backend));
	else
		rc = unmap_span_dirty(ctx, d, iova, len, &dirty);
	pthread_mutex_unlock(&d->mu);
	return rc;
}

VFIOIOMMU_API int vfioiommu_dma_unmap_at(vfioiommu_ctx *ctx, uint64_t iova)
{
	struct vi_dma *d;
	struct vi_mapping *m;
	int rc;

	if (!ctx)
		return -EINVAL;
	d = dma_lock(ctx, &rc);
	if (!d)
		return rc;
	m = vi_tab_find(&d->t, iova);
	if (!m)
		rc = vi_fail(ctx, -ENOENT, "no mapping starts at IOVA 0x%" PRIx64, iova);
	else
		rc = unmap_span(ctx, d, iova, vi_map_len(m));
	pthread_mutex_unlock(&d->mu);
	return rc;
}

VFIOIOMMU_API int vfioiommu_dma_unmap_all(vfioiommu_ctx *ctx)
{
	struct vi_dma *d;
	uint64_t got = 0;
	int rc = 0;

	if (!ctx)
		return -EINVAL;
	/* the backend's unmap_all may read state that device open/close change (backend/internal.h) */
	d = dma_lock_both(ctx, &rc);
	if (!d)
		return rc;
	if (!ctx->be->unmap_all)
		rc = vi_fail(ctx, -EOPNOTSUPP, "the %s backend cannot unmap everything at once",
			     vfioiommu_backend_name(ctx->backend));
	else if ((rc = ctx->be->unmap_all(ctx, &got)) < 0)
		rc = vi_fail(ctx, rc, "the kernel refused to unmap everything (%s)", vi_errno_name(rc));
	if (rc == 0) {
		if (d->alloc)
			vi_tab_each(&d->t, put_one, d->alloc);
		untrack_all(d);
	}
	pthread_mutex_unlock(&d->mu);
	/* nothing left to keep: a container lets go of a group kept only for its mappings (d->mu is free) */
	if (rc == 0 && ctx->be->release_idle)
		ctx->be->release_idle(ctx);
	pthread_mutex_unlock(&ctx->lock);
	return rc;
}

/* ---------------- translate, stats ---------------- */

VFIOIOMMU_API int vfioiommu_dma_translate(vfioiommu_ctx *ctx, const void *vaddr, uint64_t len,
					  uint64_t *iova)
{
	struct vi_dma *d;
	uint64_t va = (uint64_t)(uintptr_t)vaddr, last = va + (len ? len - 1 : 0);
	bool found;

	if (!ctx || !iova || last < va)
		return ctx ? vi_fail(ctx, -EINVAL, "bad translate arguments") : -EINVAL;
	/* acquire: pairs with the release in dma_lock_both() */
	d = atomic_load_explicit(&ctx->dma, memory_order_acquire);
	if (!d)
		return vi_fail(ctx, -ENOENT, "address %p is not mapped (nothing is)", vaddr);
	/*
	 * The first translate builds the index; from then on every writer keeps
	 * it up to date.  No reader is inside it before vindexed is set.
	 * Acquire: pairs with the release below, so a reader sees the built index.
	 */
	if (!atomic_load_explicit(&d->vindexed, memory_order_acquire)) {
		pthread_mutex_lock(&d->mu);
		if (!d->t.vindex) {
			vi_tab_vindex_build(&d->t);
			atomic_store_explicit(&d->vindexed, true, memory_order_release);
		}
		pthread_mutex_unlock(&d->mu);
	}
	pthread_rwlock_rdlock(&d->index_lock);
	found = vi_tab_translate(&d->t, va, last, iova);
	pthread_rwlock_unlock(&d->index_lock);
	return found ? 0 : vi_fail(ctx, -ENOENT, "address %p (+%" PRIu64 ") is not inside one DMA mapping",
				   vaddr, len);
}

VFIOIOMMU_API int vfioiommu_dma_translate_iova(vfioiommu_ctx *ctx, uint64_t iova, uint64_t len, void **vaddr)
{
	uint64_t last = iova + (len ? len - 1 : 0), va = 0;
	const struct vi_mapping *m;
	struct vi_dma *d;
	int rc = -ENOENT;

	if (!ctx || !vaddr || last < iova)
		return ctx ? vi_fail(ctx, -EINVAL, "bad reverse translate arguments (NULL vaddr, or IOVA 0x%" PRIx64
				     " + 0x%" PRIx64 " wraps past 2^64)", iova, len) : -EINVAL;
	/* acquire: pairs with the release in dma_lock_both() */
	d = atomic_load_explicit(&ctx->dma, memory_order_acquire);
	if (!d)
		return vi_fail(ctx, -ENOENT, "IOVA 0x%" PRIx64 " is not mapped (nothing is)", iova);
	/* the first reverse lookup makes writers lock the tree; acquire pairs with the release below */
	if (!atomic_load_explicit(&d->riova, memory_order_acquire)) {
		pthread_mutex_lock(&d->mu);
		d->rlookup = true;
		atomic_store_explicit(&d->riova, true, memory_order_release);
		pthread_mutex_unlock(&d->mu);
	}
	pthread_rwlock_rdlock(&d->index_lock);
	/* disjoint ranges: only the last mapping starting at or below iova can hold it */
	m = vi_tab_lower(&d->t, iova);
	if (m && m->at.start <= iova && m->at.last >= last) {
		rc = m->file ? -ENXIO : 0;
		va = m->vaddr + (iova - m->at.start);
	}
	pthread_rwlock_unlock(&d->index_lock);
	if (rc == 0) {
		*vaddr = (void *)(uintptr_t)va;
		return 0;
	}
	if (rc == -ENXIO)
		return vi_fail(ctx, -ENXIO, "IOVA 0x%" PRIx64 " is mapped from a file (vfioiommu_dma_map_file): it "
			       "has no process address", iova);
	return vi_fail(ctx, -ENOENT, "IOVA 0x%" PRIx64 " (+0x%" PRIx64 ") is not inside one DMA mapping made "
		       "through the library", iova, len);
}

VFIOIOMMU_API int vfioiommu_dma_stats(vfioiommu_ctx *ctx, struct vfioiommu_dma_stats *out)
{
	struct vfioiommu_dma_stats full = { .size = sizeof(full) };
	struct vi_dma *d;
	int rc;

	if (!ctx)
		return -EINVAL;
	/* the first version ended at pgsizes: a caller built against it still gets what it knows */
	rc = vi_check_size(ctx, "vfioiommu_dma_stats", out, out ? out->size : 0,
			   offsetof(struct vfioiommu_dma_stats, pgsizes) + sizeof(out->pgsizes));
	if (rc < 0)
		return rc;
	/* fresh limits: through ctx->lock, like every call that may re-read them */
	d = dma_lock_both(ctx, &rc);
	if (!d)
		return rc;
	full.mappings = d->t.n;
	full.mapped_bytes = d->t.bytes;
	full.dma_avail = d->nmax == SIZE_MAX ? -1 : d->t.n >= d->nmax ? 0 : (int64_t)(d->nmax - d->t.n);
	full.pgsizes = d->pgsizes;
	full.unaligned_maps = d->unaligned;
	vi_copy_sized(out, &full, sizeof(full));
	pthread_mutex_unlock(&d->mu);
	pthread_mutex_unlock(&ctx->lock);
	return 0;
}

/* ---------------- for liveupdate.c (dma_lu.h) ---------------- */

struct vi_dma_table *vi_dma_begin(struct vfioiommu_ctx *ctx, bool both, int *err)
{
	struct vi_dma *d = both ? dma_lock_both(ctx, err) : dma_lock(ctx, err);

	return d ? &d->t : NULL;
}

void vi_dma_end(struct vfioiommu_ctx *ctx, bool both)
{
	struct vi_dma *d = atomic_load_explicit(&ctx->dma, memory_order_relaxed);

	pthread_mutex_unlock(&d->mu);
	if (both)
		pthread_mutex_unlock(&ctx->lock);
}

void vi_dma_set_vaddr(struct vfioiommu_ctx *ctx, struct vi_mapping *m, uint64_t vaddr)
{
	struct vi_dma *d = atomic_load_explicit(&ctx->dma, memory_order_relaxed);

	index_write_lock(d);
	if (d->t.vindex && !m->file)
		vi_tab_vremove(&d->t, m);
	m->vaddr = vaddr;
	if (d->t.vindex && !m->file)
		vi_tab_vinsert(&d->t, m);
	index_write_unlock(d);
}

int vi_dma_reserve(struct vfioiommu_ctx *ctx, size_t more)
{
	struct vi_dma *d = atomic_load_explicit(&ctx->dma, memory_order_relaxed);
	int rc = 0;

	index_write_lock(d);
	while (rc == 0 && d->t.cap - d->t.n < more)
		rc = vi_tab_grow(&d->t);
	index_write_unlock(d);
	return rc < 0 ? vi_fail(ctx, rc, "out of memory") : 0;
}

void vi_dma_add(struct vfioiommu_ctx *ctx, uint64_t iova, uint64_t len, uint64_t vaddr, uint32_t prot, bool file,
		bool va_invalid)
{
	struct vi_dma *d = atomic_load_explicit(&ctx->dma, memory_order_relaxed);
	struct vi_mapping *m = vi_tab_prepare(&d->t, iova, len, vaddr, prot, file);

	m->va_invalid = va_invalid;
	track(d, m);
	/* the allocator is rebuilt from the table, and the kernel's DMA_AVAIL re-read, at the next map */
	d->stale = true;
}
