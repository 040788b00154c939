/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/**
 * @file vfioiommu/alloc.h
 * An IOVA allocator over a list of usable ranges (see vfioiommu/iova.h):
 * hands out IOVA blocks for DMA mappings, never outside the usable ranges (so
 * never inside a reserved region), and recycles what is given back.
 *
 * Granularity: every block is a multiple of @p min_align bytes (the IOMMU
 * page size) and starts on a multiple of it.  The usable ranges are trimmed
 * inward to that granularity when the allocator is built, so a usable range
 * that starts or ends mid-page loses the partial page.
 *
 * Placement (vfioiommu_iova_pool_alloc()): with an alignment no larger than
 * @p min_align, the lowest free IOVA where the block fits.  With a larger
 * alignment A, the block goes into the lowest-addressed free extent of at
 * least size + A - min_align bytes (which is sure to hold it whatever its own
 * alignment), at the lowest aligned IOVA there; only when no extent that
 * large exists is the lowest aligned fit anywhere taken.  -ENOSPC therefore
 * means that no aligned fit exists at all.
 *
 * Cost: alloc, reserve and release are O(log n) in the number of free extents
 * (an AVL tree of free extents, each subtree augmented with its largest
 * extent) plus an expected O(1) hash lookup of live blocks.  The one
 * exception is the last-resort search of a large-alignment alloc described
 * above, which may visit every free extent shorter than size + A - min_align.
 * Memory: about 48 bytes per free extent and 32-64 per live block, kept at
 * the high-water mark until vfioiommu_iova_pool_free().
 *
 * Thread safety: every function may be called concurrently on the same
 * allocator (one mutex per allocator), except vfioiommu_iova_pool_free(),
 * which must be the last call.
 *
 * @code
 *   vfioiommu_iova_pool *a;
 *   uint64_t iova;
 *   if (vfioiommu_iova_pool_new(usable, 4096, &a) == 0) {
 *       if (vfioiommu_iova_pool_alloc(a, len, 0, 0, UINT64_MAX, &iova) == 0) {
 *           ... map [iova, iova + len) ...
 *           vfioiommu_iova_pool_release(a, iova, len);
 *       }
 *       vfioiommu_iova_pool_free(a);
 *   }
 * @endcode
 */
#ifndef VFIOIOMMU_ALLOC_H
#define VFIOIOMMU_ALLOC_H

#include <vfioiommu/common.h>
#include <vfioiommu/iova.h>

VFIOIOMMU_BEGIN_DECLS

/** An IOVA allocator: free extents and live blocks over a list of usable ranges. */
typedef struct vfioiommu_iova_pool vfioiommu_iova_pool;

/**
 * Build an allocator whose free space is @p usable, trimmed to
 * @p min_align granularity.
 * @param usable    the usable ranges (copied: the list may be freed afterwards)
 * @param min_align the IOMMU page size: a power of two (1 is allowed)
 * @param out       receives the allocator; NULL on failure.  Free it with
 *                  vfioiommu_iova_pool_free().
 * @return 0; -EINVAL (NULL @p out or @p usable, @p min_align 0 or not a power
 * of two); -ENOMEM.
 */
VFIOIOMMU_API int vfioiommu_iova_pool_new(const vfioiommu_iova_list *usable, uint64_t min_align,
	vfioiommu_iova_pool **out);

/**
 * Free an allocator and every block still allocated.
 * @param a the allocator; NULL is accepted
 */
VFIOIOMMU_API void vfioiommu_iova_pool_free(vfioiommu_iova_pool *a);

/**
 * Allocate a block of IOVA space (placement: see the top of this header).
 * @param a     the allocator
 * @param size  bytes, rounded up to min_align; not 0
 * @param align 0 or a power of two; values below min_align mean min_align
 * @param lo    the lowest IOVA the block may use (0 for no window)
 * @param hi    the highest IOVA the block may use, inclusive (UINT64_MAX for no window)
 * @param iova  receives the block's first IOVA
 * @return 0; -ENOSPC nothing fits; -EINVAL (NULL argument, @p size 0 or so
 * large that rounding it up overflows, @p align not a power of two, @p lo >
 * @p hi); -ENOMEM.
 */
VFIOIOMMU_API int vfioiommu_iova_pool_alloc(vfioiommu_iova_pool *a, uint64_t size, uint64_t align,
	uint64_t lo, uint64_t hi, uint64_t *iova);

/**
 * Claim the caller-chosen block [iova, iova + size), e.g. to mirror an
 * existing mapping.  It is then a live block like any other and is given back
 * with vfioiommu_iova_pool_release().
 * @param a    the allocator
 * @param iova the block's first IOVA, a multiple of min_align
 * @param size bytes, rounded up to min_align; not 0
 * @return 0; -EINVAL (NULL @p a, @p size 0 or overflowing, @p iova not a
 * multiple of min_align, the block wraps past 2^64-1); -ERANGE some of the
 * block is not in one usable range; -EEXIST it overlaps a live block; -ENOMEM.
 */
VFIOIOMMU_API int vfioiommu_iova_pool_reserve(vfioiommu_iova_pool *a, uint64_t iova, uint64_t size);

/**
 * Give back a live block exactly as it was allocated or reserved; the
 * space merges with free neighbours.  Never allocates memory, so it cannot
 * fail for a block that is live: undoing an alloc or reserve is always
 * possible.
 * @param a    the allocator
 * @param iova the block's first IOVA
 * @param size its size as given to alloc or reserve (rounded up to min_align)
 * @return 0; -EINVAL (NULL @p a, @p size 0 or overflowing); -ENOENT no live
 * block is exactly [iova, iova + size) (nothing is freed).
 */
VFIOIOMMU_API int vfioiommu_iova_pool_release(vfioiommu_iova_pool *a, uint64_t iova, uint64_t size);

/** Counters of an allocator, as of one instant. */
struct vfioiommu_iova_pool_stats {
	uint32_t size;          /**< in: sizeof(struct vfioiommu_iova_pool_stats) as the caller compiled it */
	uint32_t reserved;     /**< zero (keeps the counters 8-byte aligned) */
	uint64_t live;          /**< live blocks (allocated or reserved) */
	uint64_t bytes_live;    /**< bytes in live blocks (saturates at UINT64_MAX) */
	uint64_t bytes_free;    /**< bytes free (saturates at UINT64_MAX: only a 2^64-byte space) */
	uint64_t free_extents;  /**< maximal free extents: a fragmentation measure */
	uint64_t min_align;     /**< the granularity given to vfioiommu_iova_pool_new() */
};

/**
 * Read the counters.
 * @param a   the allocator
 * @param out in: out->size = sizeof(*out); out: the counters
 * @return 0; -EINVAL NULL argument or out->size below this version's struct.
 */
VFIOIOMMU_API int vfioiommu_iova_pool_stats(vfioiommu_iova_pool *a,
	struct vfioiommu_iova_pool_stats *out);
/**
 * Number of live blocks.
 * @param a the allocator
 * @return the count; 0 for NULL.
 */
VFIOIOMMU_API size_t vfioiommu_iova_pool_live(vfioiommu_iova_pool *a);
/**
 * Bytes free.
 * @param a the allocator
 * @return the free bytes, saturating at UINT64_MAX; 0 for NULL.
 */
VFIOIOMMU_API uint64_t vfioiommu_iova_pool_bytes_available(vfioiommu_iova_pool *a);

VFIOIOMMU_END_DECLS

#endif
