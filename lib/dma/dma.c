/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * DMA map/unmap/translate with one errno meaning on every backend.  The
 * library's own table of mappings is what lets it tell an overlap from an
 * out-of-range IOVA, catch partial unmaps before type1 v1 silently performs
 * them, and answer translate without a syscall.
 *
 * Map and unmap are a hot path (a VMM maps and unmaps per I/O, a userspace
 * driver per buffer): bench/bench_dma.c counts what the library adds to the
 * two ioctls.  So the path takes one lock, touches no malloc, checks only
 * what the kernel would not refuse by itself, and leaves every explanation
 * (nearest range, which mapping overlaps, which argument) to the cold
 * functions that run once something was refused.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vfioiommu/alloc.h>
#include <vfioiommu/dma.h>

#include "backend/internal.h"
#include "core/internal.h"
#include "internal.h"
#include "dma_lock.h"
#include "dma_table.h"
#include "kabi/kabi.h"

#define VI_COLD __attribute__((cold, noinline))

#define VI_DMA_RW (VFIOIOMMU_DMA_READ | VFIOIOMMU_DMA_WRITE)
#define VI_DMA_ALL (VI_DMA_RW | VFIOIOMMU_DMA_FIXED_IOVA)

/*
 * Locking.  d->mu is the one lock of map, unmap and stats: held for the whole
 * operation, kernel call included, so two threads cannot both get a fixed
 * IOVA the kernel gives only one of them and the table always says what the
 * kernel holds.  It guards everything in struct vi_dma but vindexed.
 * ctx->lock is not taken on that path: the backend's map and unmap read only
 * what lives from its open() to its close() (backend/internal.h), and device open/close
 * (under ctx->lock) only mark the ranges stale, under d->mu; the next map
 * then re-reads them under ctx->lock, then d->mu (the order everywhere), as
 * do the first operation (which creates this state), stats and unmap_all.
 *
 * translate must run concurrently with itself and must not wait for a map's
 * kernel call, so it reads the process-address index under d->lock (shared).
 * Writers, holding d->mu, take d->lock exclusively only while they change the
 * index, which exists only from the first translate on.  Order: ctx->lock,
 * d->mu, d->lock.
 */
struct vi_dma {
	struct vi_dma_lock mu;
	struct vi_dma_table t;
	/* the owner, for the error paths: the hot paths keep fewer values alive across the kernel call */
	struct vfioiommu_ctx *ctx;
	/*
	 * The kernel's mapping limit as a table size: SIZE_MAX when unlimited,
	 * else the live mappings at the last refresh plus the DMA_AVAIL it read
	 * (type1 counts mappings made before we looked).  nroom is
	 * min(nmax, t.cap), or 0 while stale: one compare tells a map it may go
	 * ahead, and no_room() finds out why not.
	 */
	size_t nmax, nroom;
	bool stale;                 /* ranges and limits must be re-read (a device came or went) */
	/*
	 * How map and unmap reach the kernel: the backend's ioctl inlined
	 * (below) with the fd and IOAS id, which live as long as the
	 * backend, or its ops for a backend without an inlined form.
	 */
	enum { VI_KOPS, VI_KTYPE1, VI_KIOAS } kind;
	int kfd;
	uint32_t kioas;
	uint64_t pgmask;            /* smallest IOMMU page - 1 */
	uint64_t pgsizes;
	vfioiommu_iova_list *ranges;
	vfioiommu_iova_pool *alloc;
	pthread_rwlock_t lock;
	/* t.vindex for translate, which reads it without d->mu */
	atomic_bool vindexed;
};

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

static void set_room(struct vi_dma *d)
{
	d->nroom = d->stale ? 0 : d->nmax < d->t.cap ? d->nmax : d->t.cap;
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
	d->nmax = avail < 0 || (uint64_t)avail >= SIZE_MAX - d->t.n ? SIZE_MAX : d->t.n + (size_t)avail;
	d->stale = false;
	set_room(d);
	d->kind = VI_KOPS;
	if (ctx->be == &vi_container_ops && (d->kfd = vi_container_fd(ctx)) >= 0)
		d->kind = VI_KTYPE1;
	else if (ctx->be == &vi_iommufd_ops && vi_iommufd_get(ctx, &d->kfd, &d->kioas) == 0)
		d->kind = VI_KIOAS;
	return 0;
}

static struct vi_dma *dma_new(void)
{
	struct vi_dma *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	if (vi_dma_lock_init(&d->mu) != 0) {
		free(d);
		return NULL;
	}
	if (pthread_rwlock_init(&d->lock, NULL) != 0) {
		vi_dma_lock_destroy(&d->mu);
		free(d);
		return NULL;
	}
	atomic_init(&d->vindexed, false);
	d->stale = true;
	d->nmax = SIZE_MAX;
	d->pgmask = 4095;
	return d;
}

static void dma_space_changed(struct vfioiommu_ctx *ctx, bool mappings_dropped);

/*
 * The slow start: create the state on the first call, re-read the ranges
 * after a device came or went.  Returns the state with ctx->lock and d->mu
 * held, or NULL with *err set and nothing held.  Until the backend exists
 * there is nothing to map into; once it does it never changes, so the fast
 * path needs only the state.
 */
static VI_COLD struct vi_dma *dma_lock_both(struct vfioiommu_ctx *ctx, int *err)
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
		d->ctx = ctx;
		ctx->space_changed = dma_space_changed;
		/* release: pairs with the acquire in dma_lock(); ctx->be and the backend's fds come with it */
		atomic_store_explicit(&ctx->dma, d, memory_order_release);
	}
	vi_dma_lock(&d->mu);
	if (d->stale && (rc = refresh(ctx, d)) < 0) {
		vi_dma_unlock(&d->mu);
		goto fail;
	}
	return d;
fail:
	pthread_mutex_unlock(&ctx->lock);
	*err = rc;
	return NULL;
}

static VI_COLD struct vi_dma *dma_lock_slow(struct vfioiommu_ctx *ctx, int *err)
{
	struct vi_dma *d = dma_lock_both(ctx, err);

	/* d->mu alone protects the operation; releasing the outer lock first cannot deadlock */
	if (d)
		pthread_mutex_unlock(&ctx->lock);
	return d;
}

/*
 * The context's DMA state, locked (d->mu); on failure, return the -errno from
 * the calling function with nothing held.  A macro so that the fast path is
 * one load, one test and the lock, with no second test of the result.  The
 * ranges and limits may be stale: map finds out through nroom, and unmap
 * does not need them (it checks against the table, and the allocator it
 * gives IOVAs back to is rebuilt at the next refresh anyway).
 */
#define DMA_LOCK_OR_RETURN(ctx, d)                                                                  \
	do {                                                                                        \
		int lock_err_;                                                                      \
		/* acquire: pairs with the release in dma_lock_both() (ctx->be, the backend's fds) */ \
		(d) = atomic_load_explicit(&(ctx)->dma, memory_order_acquire);                      \
		if (VI_LIKELY((d) != NULL))                                                         \
			vi_dma_lock(&(d)->mu);                                                      \
		else if (!((d) = dma_lock_slow((ctx), &lock_err_)))                                 \
			return lock_err_;                                                           \
	} while (0)

static void ranges_changed(struct vfioiommu_ctx *ctx)
{
	/* ctx->lock held: ctx->dma cannot change under us (relaxed) */
	struct vi_dma *d = atomic_load_explicit(&ctx->dma, memory_order_relaxed);

	/* d->mu after ctx->lock, the usual order: this waits for a map in flight, as it always did */
	if (d) {
		vi_dma_lock(&d->mu);
		d->stale = true;
		set_room(d);
		vi_dma_unlock(&d->mu);
	}
}

/* Record a prepared mapping; translate readers are kept out while the index changes. */
VI_ALWAYS_INLINE void track(struct vi_dma *d, struct vi_mapping *m)
{
	if (VI_UNLIKELY(d->t.vindex)) {
		pthread_rwlock_wrlock(&d->lock);
		vi_tab_commit(&d->t, m, true);
		pthread_rwlock_unlock(&d->lock);
	} else {
		vi_tab_commit(&d->t, m, false);
	}
}

/* Forget the mapping m, as track(). */
VI_ALWAYS_INLINE void untrack(struct vi_dma *d, struct vi_mapping *m)
{
	if (VI_UNLIKELY(d->t.vindex)) {
		pthread_rwlock_wrlock(&d->lock);
		vi_tab_remove(&d->t, m, true);
		pthread_rwlock_unlock(&d->lock);
	} else {
		vi_tab_remove(&d->t, m, false);
	}
}

/* Forget every mapping from m up to the one that holds last (d->mu held; one index lock for all). */
static void untrack_span(struct vi_dma *d, struct vi_mapping *m, uint64_t last)
{
	if (d->t.vindex)
		pthread_rwlock_wrlock(&d->lock);
	while (m && m->at.start <= last) {
		struct vi_mapping *next = vi_tab_next(&d->t, m);
		vi_tab_remove(&d->t, m, d->t.vindex);
		m = next;
	}
	if (d->t.vindex)
		pthread_rwlock_unlock(&d->lock);
}

/* Forget every mapping, as track(). */
static void untrack_all(struct vi_dma *d)
{
	if (d->t.vindex)
		pthread_rwlock_wrlock(&d->lock);
	vi_tab_clear(&d->t);
	if (d->t.vindex)
		pthread_rwlock_unlock(&d->lock);
}

static void forget(struct vfioiommu_ctx *ctx)
{
	/* ctx->lock held: ctx->dma cannot change under us (relaxed) */
	struct vi_dma *d = atomic_load_explicit(&ctx->dma, memory_order_relaxed);

	/* the allocator is rebuilt from fresh ranges next time */
	if (!d)
		return;
	vi_dma_lock(&d->mu);
	untrack_all(d);
	d->stale = true;
	set_room(d);
	vi_dma_unlock(&d->mu);
}

/* ctx->space_changed: a device or group came or went (ctx->lock held) */
static void dma_space_changed(struct vfioiommu_ctx *ctx, bool mappings_dropped)
{
	if (mappings_dropped)
		forget(ctx);
	else
		ranges_changed(ctx);
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
	pthread_rwlock_destroy(&d->lock);
	vi_dma_lock_destroy(&d->mu);
	free(d);
	atomic_store_explicit(&ctx->dma, NULL, memory_order_relaxed);
}

static VI_COLD int out_of_range(struct vfioiommu_ctx *ctx, struct vi_dma *d, uint64_t iova, uint64_t last)
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

/* Which argument is wrong, once the fast check said one is. */
static VI_COLD int args_error(struct vfioiommu_ctx *ctx, struct vi_dma *d, uint64_t vaddr, uint64_t len,
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
	pgsizes_text(d->pgsizes ? d->pgsizes : pg, sizes, sizeof(sizes));
	if (fixed)
		return vi_fail(ctx, -EINVAL, "address 0x%" PRIx64 ", length 0x%" PRIx64 " and IOVA 0x%" PRIx64
			       " must be multiples of the IOMMU page size %" PRIu64 " (supported page sizes: %s)",
			       vaddr, len, iova, pg, sizes);
	return vi_fail(ctx, -EINVAL, "address 0x%" PRIx64 " and length 0x%" PRIx64 " must be multiples of "
		       "the IOMMU page size %" PRIu64 " (supported page sizes: %s)", vaddr, len, pg, sizes);
}

/* Every argument check of a map in one expression; args_error() tells which failed. */
VI_ALWAYS_INLINE bool args_bad(const struct vi_dma *d, uint64_t vaddr, uint64_t len, uint32_t flags, uint64_t iova)
{
	uint64_t lm1 = len - 1;

	/*
	 * 0xee: the flag values with READ and/or WRITE and nothing unknown (1-3, 5-7).
	 * iova is 0 when the library allocates it, so the last two terms hold for both kinds.
	 */
	return flags > VI_DMA_ALL || !((0xeeu >> flags) & 1) || len == 0 || vaddr + lm1 < vaddr ||
	       iova + lm1 < iova || ((vaddr | len | iova) & d->pgmask);
}

/*
 * nroom said no (d->mu held; released and retaken when the ranges are
 * re-read).  0 when the caller should look at nroom again, or -errno: the
 * ranges are stale, the arguments are bad (said first, as before any other
 * refusal), the kernel's limit is reached, or the table cannot grow.
 */
static VI_COLD int no_room(struct vfioiommu_ctx *ctx, struct vi_dma *d, uint64_t vaddr, uint64_t len,
			   uint32_t flags, uint64_t iova)
{
	int rc;

	if (d->stale) {
		/* ctx->lock comes before d->mu; a refresh made meanwhile by another thread is fine */
		vi_dma_unlock(&d->mu);
		pthread_mutex_lock(&ctx->lock);
		vi_dma_lock(&d->mu);
		rc = d->stale ? refresh(ctx, d) : 0;
		pthread_mutex_unlock(&ctx->lock);
		return rc;
	}
	if (args_bad(d, vaddr, len, flags, iova))
		return args_error(ctx, d, vaddr, len, flags, iova);
	if (d->t.n >= d->nmax)
		return vi_fail(ctx, -ENOSPC, "the kernel allows no more DMA mappings (type1 dma_entry_limit: "
			       "DMA_AVAIL is 0 with %zu live mappings)", d->t.n);
	/* the index arrays move: translate must not be reading them */
	if (d->t.vindex)
		pthread_rwlock_wrlock(&d->lock);
	rc = vi_tab_grow(&d->t);
	if (d->t.vindex)
		pthread_rwlock_unlock(&d->lock);
	set_room(d);
	return rc < 0 ? vi_fail(ctx, rc, "out of memory") : 0;
}

/*
 * A fixed IOVA that overlaps a mapping of the table.  An out-of-range request
 * gets -ERANGE first, as the kernel would have been told nothing either way.
 */
static VI_COLD int overlap_error(struct vfioiommu_ctx *ctx, struct vi_dma *d, uint64_t iova, uint64_t last,
				 const struct vi_mapping *m)
{
	if (!in_ranges(d, iova, last))
		return out_of_range(ctx, d, iova, last);
	return vi_fail(ctx, -EEXIST, "IOVA range [0x%" PRIx64 ", 0x%" PRIx64 "] overlaps the mapping "
		       "[0x%" PRIx64 ", 0x%" PRIx64 "]", iova, last, m->at.start, m->at.last);
}

/* A fixed IOVA must also leave the allocator's free space, when there is an allocator. */
static VI_COLD int claim_fixed(struct vfioiommu_ctx *ctx, struct vi_dma *d, uint64_t iova, uint64_t len)
{
	int rc = vfioiommu_iova_pool_reserve(d->alloc, iova, len);

	if (rc == 0)
		return 0;
	if (!in_ranges(d, iova, iova + (len - 1)))
		return out_of_range(ctx, d, iova, iova + (len - 1));
	return vi_fail(ctx, rc == -ERANGE ? -ERANGE : -EEXIST, "IOVA 0x%" PRIx64 "+0x%" PRIx64
		       " cannot be claimed (%s)", iova, len, vi_errno_name(rc));
}

/* Out of line (not cold: allocated IOVAs are a common case, but not the fixed-IOVA fast path). */
static __attribute__((noinline)) int alloc_iova(struct vfioiommu_ctx *ctx, struct vi_dma *d, uint64_t len,
						uint64_t align, uint64_t lo, uint64_t hi, uint64_t *iova)
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
	rc = vfioiommu_iova_pool_alloc(d->alloc, len, align > pg ? align : pg, lo, hi, iova);
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
static VI_COLD int map_error(struct vfioiommu_ctx *ctx, struct vi_dma *d, int rc, const struct vi_mapping *m)
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
		return vi_fail_pinning(ctx, rc, iova, len);
	default:
		return vi_fail(ctx, rc, "the kernel refused to map IOVA 0x%" PRIx64 "+0x%" PRIx64 " (%s)",
			       iova, len, vi_errno_name(rc));
	}
}

/*
 * The MAP and UNMAP ioctls of both backends, inlined here on the hot path
 * with the fd and IOAS id cached at the last refresh (both live from the
 * backend's open() to its close()): that saves an indirect call and a stack
 * frame per operation.  They are the same calls as the backends' map and
 * unmap ops (container.c, iommufd.c), which other backends and map_file
 * still go through.  Each returns the ioctl's result: negative errno, or 0
 * (or more, which the kernel never returns for these) on success.
 */
VI_ALWAYS_INLINE int type1_kmap(struct vfioiommu_ctx *ctx, int fd, uint64_t vaddr, uint64_t iova, uint64_t len,
			     uint32_t prot)
{
	struct kabi_vfio_dma_map m = {
		.argsz = sizeof(m), .vaddr = vaddr, .iova = iova, .size = len,
		.flags = ((prot & VI_PROT_READ) ? KABI_VFIO_DMA_MAP_FLAG_READ : 0) |
			 ((prot & VI_PROT_WRITE) ? KABI_VFIO_DMA_MAP_FLAG_WRITE : 0),
	};
	return vi_kioctl(ctx, fd, KABI_VFIO_IOMMU_MAP_DMA, &m);
}

/* *unmapped: the bytes the kernel says it unmapped, set only on success (the kernel writes it back only then) */
VI_ALWAYS_INLINE int type1_kunmap(struct vfioiommu_ctx *ctx, int fd, uint64_t iova, uint64_t len, uint64_t *unmapped)
{
	struct kabi_vfio_dma_unmap u = { .argsz = sizeof(u), .iova = iova, .size = len };
	int rc = vi_kioctl(ctx, fd, KABI_VFIO_IOMMU_UNMAP_DMA, &u);

	if (rc >= 0)
		*unmapped = u.size;
	return rc;
}

/*
 * The library always names the IOVA (FIXED_IOVA): allocation is its own, on
 * both backends.  Written as shifts (the uAPI bits are fixed) because one
 * compiler turned the two conditionals into eight instructions.
 */
_Static_assert(VI_PROT_READ == 1 && VI_PROT_WRITE == 2 && KABI_IOMMU_IOAS_MAP_READABLE == 4 &&
	       KABI_IOMMU_IOAS_MAP_WRITEABLE == 2, "ioas_map_flags() maps the bits by shifting");
VI_ALWAYS_INLINE uint32_t ioas_map_flags(uint32_t prot)
{
	return KABI_IOMMU_IOAS_MAP_FIXED_IOVA | ((prot & VI_PROT_READ) << 2) | (prot & VI_PROT_WRITE);
}

VI_ALWAYS_INLINE int ioas_kmap(struct vfioiommu_ctx *ctx, int fd, uint32_t ioas, uint64_t vaddr, uint64_t iova,
			    uint64_t len, uint32_t prot)
{
	struct kabi_iommu_ioas_map m = {
		.size = sizeof(m), .flags = ioas_map_flags(prot), .ioas_id = ioas,
		.user_va = vaddr, .length = len, .iova = iova,
	};
	return vi_kioctl(ctx, fd, KABI_IOMMU_IOAS_MAP, &m);
}

VI_ALWAYS_INLINE int ioas_kunmap(struct vfioiommu_ctx *ctx, int fd, uint32_t ioas, uint64_t iova, uint64_t len,
			      uint64_t *unmapped)
{
	struct kabi_iommu_ioas_unmap u = { .size = sizeof(u), .ioas_id = ioas, .iova = iova, .length = len };
	int rc = vi_kioctl(ctx, fd, KABI_IOMMU_IOAS_UNMAP, &u);

	if (rc >= 0)
		*unmapped = u.length;
	return rc;
}

/* The backend's MAP, inlined where it can be (d->mu held, not ctx->lock: see backend/internal.h). */
VI_ALWAYS_INLINE int kmap(struct vfioiommu_ctx *ctx, const struct vi_dma *d, uint64_t vaddr, uint64_t iova,
		       uint64_t len, uint32_t prot)
{
	if (d->kind == VI_KIOAS)
		return ioas_kmap(ctx, d->kfd, d->kioas, vaddr, iova, len, prot);
	if (d->kind == VI_KTYPE1)
		return type1_kmap(ctx, d->kfd, vaddr, iova, len, prot);
	return ctx->be->map(ctx, vaddr, iova, len, prot);
}

VI_ALWAYS_INLINE int kunmap(struct vfioiommu_ctx *ctx, const struct vi_dma *d, uint64_t iova, uint64_t len,
			 uint64_t *unmapped)
{
	if (d->kind == VI_KIOAS)
		return ioas_kunmap(ctx, d->kfd, d->kioas, iova, len, unmapped);
	if (d->kind == VI_KTYPE1)
		return type1_kunmap(ctx, d->kfd, iova, len, unmapped);
	/* a local of its own: the caller's count then never has its address taken and stays in a register */
	uint64_t got = 0;
	int rc = ctx->be->unmap(ctx, iova, len, &got);

	*unmapped = got;
	return rc;
}

VI_ALWAYS_INLINE int do_map(struct vfioiommu_ctx *ctx, uint64_t vaddr, int fd, uint64_t len, uint32_t flags,
			 uint64_t align, uint64_t lo, uint64_t hi, uint64_t *iova)
{
	bool fixed = flags & VFIOIOMMU_DMA_FIXED_IOVA;
	uint32_t prot = ((flags & VFIOIOMMU_DMA_READ) ? VI_PROT_READ : 0) |
			((flags & VFIOIOMMU_DMA_WRITE) ? VI_PROT_WRITE : 0);
	struct vi_dma *d;
	struct vi_mapping *next;
	uint64_t at;
	int rc;

	if (!ctx)
		return -EINVAL;
	if (!iova)
		return vi_fail(ctx, -EINVAL, "iova is NULL");
	DMA_LOCK_OR_RETURN(ctx, d);
	if (fd >= 0 && !ctx->be->map_file) {
		/* not ctx->backend: device open may be rewriting it (ctx->be never changes) */
		rc = vi_fail(ctx, -EOPNOTSUPP, "mapping a file needs the iommufd backend (IOMMU_IOAS_MAP_FILE); "
			     "this context uses a VFIO container");
		goto out;
	}
	/*
	 * Room in the table before the kernel is asked, so recording what it
	 * accepted cannot fail; and fresh ranges, which nroom also stands for.
	 */
	while (VI_UNLIKELY(d->t.n >= d->nroom))
		if ((rc = no_room(ctx, d, vaddr, len, flags, fixed ? *iova : 0)) < 0)
			goto out;
	/* the allocator writes *iova itself: keeping at out of memory keeps it in a register */
	if (!fixed) {
		if (VI_UNLIKELY(args_bad(d, vaddr, len, flags, 0))) {
			rc = args_error(ctx, d, vaddr, len, flags, 0);
			goto out;
		}
		rc = alloc_iova(ctx, d, len, align, lo, hi, iova);
		if (rc < 0)
			goto out;
		at = *iova;
	} else {
		at = *iova;
		if (VI_UNLIKELY(args_bad(d, vaddr, len, flags, at))) {
			rc = args_error(ctx, d, vaddr, len, flags, at);
			goto out;
		}
		/*
		 * Overlaps are checked here, not left to the kernel: the table has
		 * to find the slot anyway, and the message names the mapping.
		 * Usable ranges are not: the kernel refuses those (map_error()).
		 */
		next = vi_tab_lower(&d->t, at);
		if (VI_UNLIKELY(next && next->at.start <= at + (len - 1))) {
			rc = overlap_error(ctx, d, at, at + (len - 1), next);
			goto out;
		}
		if (VI_UNLIKELY(d->alloc != NULL) && (rc = claim_fixed(ctx, d, at, len)) < 0)
			goto out;
	}
	vi_tab_prepare(&d->t, at, len, fd >= 0 ? 0 : vaddr, prot, fd >= 0);
	if (fd >= 0)
		rc = ctx->be->map_file(ctx, fd, vaddr, at, len, prot);
	else
		rc = kmap(ctx, d, vaddr, at, len, prot);
	/* the prepared node is still t.free: naming it again keeps it out of a register across the call */
	if (VI_UNLIKELY(rc < 0)) {
		rc = map_error(d->ctx, d, rc, d->t.free);
		goto out;
	}
	track(d, d->t.free);
	rc = 0;
out:
	vi_dma_unlock(&d->mu);
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
	return do_map(ctx, offset, fd, len, flags, 0, 0, UINT64_MAX, iova);
}

/*
 * Which mappings [iova, iova + len) covers, when it is not exactly one
 * (d->mu held): *first and those after it up to last, *want bytes.  A range
 * that covers nothing or would split a mapping is refused here, never sent:
 * type1 v1 would split silently, iommufd would unmap the whole mappings
 * before failing on the cut.
 */
static __attribute__((noinline)) int unmap_span(struct vfioiommu_ctx *ctx, struct vi_dma *d, uint64_t iova,
						uint64_t len, struct vi_mapping **first, uint64_t *want)
{
	uint64_t last = iova + (len - 1);
	const struct vi_mapping *end = NULL, *cut;

	if (len == 0 || last < iova)
		return vi_fail(ctx, -EINVAL, "bad unmap range 0x%" PRIx64 "+0x%" PRIx64, iova, len);
	*want = 0;
	*first = vi_tab_lower(&d->t, iova);
	for (struct vi_mapping *m = *first; m && m->at.start <= last; m = vi_tab_next(&d->t, m)) {
		*want += vi_map_len(m);
		end = m;
	}
	if (!end)
		return vi_fail(ctx, -ENOENT, "nothing is mapped in [0x%" PRIx64 ", 0x%" PRIx64 "]", iova, last);
	if ((*first)->at.start >= iova && end->at.last <= last)
		return 0;
	cut = (*first)->at.start < iova ? *first : end;
	return vi_fail(ctx, -EINVAL, "partial unmap refused: [0x%" PRIx64 ", 0x%" PRIx64 "] would split "
		       "the mapping [0x%" PRIx64 ", 0x%" PRIx64 "]; unmap whole mappings",
		       iova, last, cut->at.start, cut->at.last);
}

static VI_COLD int unmap_error(struct vfioiommu_ctx *ctx, int rc, uint64_t iova, uint64_t len, uint64_t got,
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

/* Unmap m, one whole mapping of len bytes at iova (d->mu held). */
VI_ALWAYS_INLINE int unmap_one(struct vfioiommu_ctx *ctx, struct vi_dma *d, struct vi_mapping *m, uint64_t iova,
			    uint64_t len)
{
	uint64_t got = 0;
	int rc = kunmap(ctx, d, iova, len, &got);

	if (VI_UNLIKELY(rc < 0))
		return unmap_error(ctx, rc, iova, len, 0, len);
	if (VI_UNLIKELY(got != len))
		return unmap_error(ctx, 0, iova, len, got, len);
	if (VI_UNLIKELY(d->alloc != NULL))
		vfioiommu_iova_pool_release(d->alloc, iova, len);
	untrack(d, m);
	return 0;
}

/* Anything but one whole mapping (d->mu held). */
static __attribute__((noinline)) int unmap_span_of(struct vfioiommu_ctx *ctx, struct vi_dma *d, uint64_t iova,
						   uint64_t len)
{
	struct vi_mapping *first;
	uint64_t want, got = 0, last = iova + (len - 1);
	int rc = unmap_span(ctx, d, iova, len, &first, &want);

	if (rc < 0)
		return rc;
	rc = kunmap(ctx, d, iova, len, &got);
	if (rc < 0 || got != want)
		return unmap_error(ctx, rc < 0 ? rc : 0, iova, len, got, want);
	for (struct vi_mapping *m = first; d->alloc && m && m->at.start <= last; m = vi_tab_next(&d->t, m))
		put_one(m, d->alloc);
	untrack_span(d, first, last);
	return 0;
}

VFIOIOMMU_API int vfioiommu_dma_unmap(vfioiommu_ctx *ctx, uint64_t iova, uint64_t len)
{
	struct vi_dma *d;
	struct vi_mapping *m;
	int rc;

	if (!ctx)
		return -EINVAL;
	DMA_LOCK_OR_RETURN(ctx, d);
	/* the common case, exactly one whole mapping, is one exact lookup and no other check */
	m = vi_tab_find(&d->t, iova);
	if (VI_LIKELY(m && m->at.last - iova == len - 1))
		rc = unmap_one(ctx, d, m, iova, len);
	else
		rc = unmap_span_of(ctx, d, iova, len);
	vi_dma_unlock(&d->mu);
	return rc;
}

VFIOIOMMU_API int vfioiommu_dma_unmap_at(vfioiommu_ctx *ctx, uint64_t iova)
{
	struct vi_dma *d;
	struct vi_mapping *m;
	int rc;

	if (!ctx)
		return -EINVAL;
	DMA_LOCK_OR_RETURN(ctx, d);
	m = vi_tab_find(&d->t, iova);
	if (!m)
		rc = vi_fail(ctx, -ENOENT, "no mapping starts at IOVA 0x%" PRIx64, iova);
	else
		rc = unmap_one(ctx, d, m, iova, vi_map_len(m));
	vi_dma_unlock(&d->mu);
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
	if (ctx->be->unmap_all) {
		rc = ctx->be->unmap_all(ctx, &got);
		if (rc < 0)
			rc = vi_fail(ctx, rc, "the kernel refused to unmap everything (%s)", vi_errno_name(rc));
	} else {
		struct vi_mapping *m;
		while (rc == 0 && (m = vi_tab_last(&d->t)))
			rc = unmap_one(ctx, d, m, m->at.start, vi_map_len(m));
	}
	if (rc == 0) {
		if (d->alloc)
			vi_tab_each(&d->t, put_one, d->alloc);
		untrack_all(d);
	}
	vi_dma_unlock(&d->mu);
	pthread_mutex_unlock(&ctx->lock);
	return rc;
}

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
		vi_dma_lock(&d->mu);
		if (!d->t.vindex) {
			vi_tab_vindex_build(&d->t);
			atomic_store_explicit(&d->vindexed, true, memory_order_release);
		}
		vi_dma_unlock(&d->mu);
	}
	pthread_rwlock_rdlock(&d->lock);
	found = vi_tab_translate(&d->t, va, last, iova);
	pthread_rwlock_unlock(&d->lock);
	return found ? 0 : vi_fail(ctx, -ENOENT, "address %p (+%" PRIu64 ") is not inside one DMA mapping",
				   vaddr, len);
}

VFIOIOMMU_API int vfioiommu_dma_stats(vfioiommu_ctx *ctx, struct vfioiommu_dma_stats *out)
{
	struct vfioiommu_dma_stats full = { .size = sizeof(full) };
	struct vi_dma *d;
	int rc;

	if (!ctx)
		return -EINVAL;
	rc = vi_check_size(ctx, "vfioiommu_dma_stats", out, out ? out->size : 0, sizeof(struct vfioiommu_dma_stats));
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
	vi_copy_sized(out, &full, sizeof(full));
	vi_dma_unlock(&d->mu);
	pthread_mutex_unlock(&ctx->lock);
	return 0;
}
