/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/**
 * @file vfioiommu/iova.h
 * Typed IOVA-range lists: inclusive [start, last] ranges, sorted by start,
 * non-overlapping and non-adjacent (touching ranges are coalesced), each list
 * tagged with where it came from.  Lists are immutable once built; set
 * operations return new lists.  Building is O(n log n), queries O(log n).
 */
#ifndef VFIOIOMMU_IOVA_H
#define VFIOIOMMU_IOVA_H

#include <vfioiommu/common.h>

VFIOIOMMU_BEGIN_DECLS

/** One inclusive range: every IOVA a with start <= a <= last. */
struct vfioiommu_iova_range {
	uint64_t start; /**< the first IOVA */
	uint64_t last;  /**< the last IOVA (inclusive: a range can end at 2^64 - 1) */
};

/** Where a list came from. */
enum vfioiommu_iova_source {
	VFIOIOMMU_IOVA_SRC_USER = 0,        /**< built by the caller */
	VFIOIOMMU_IOVA_SRC_TYPE1_CAP = 1,   /**< VFIO_IOMMU_GET_INFO IOVA_RANGE capability */
	VFIOIOMMU_IOVA_SRC_IOAS_RANGES = 2, /**< IOMMU_IOAS_IOVA_RANGES */
	VFIOIOMMU_IOVA_SRC_SYSFS = 3,       /**< predicted: aperture minus sysfs reserved regions */
	VFIOIOMMU_IOVA_SRC_DERIVED = 4,     /**< result of a set operation */
};

/** An immutable, sorted list of IOVA ranges with a source tag. */
typedef struct vfioiommu_iova_list vfioiommu_iova_list;

/**
 * Build a list from @p n ranges in any order.  Overlapping or touching
 * ranges are coalesced.
 * @param ranges the ranges; may be NULL when @p n is 0 (an empty list)
 * @param n      how many
 * @param src    the source tag the list carries
 * @param out    receives the list; NULL on failure.  Free it with vfioiommu_iova_list_free().
 * @return 0; -EINVAL (NULL @p out, start > last, NULL @p ranges with n > 0); -ENOMEM.
 */
VFIOIOMMU_API int vfioiommu_iova_list_new(const struct vfioiommu_iova_range *ranges, size_t n,
	enum vfioiommu_iova_source src, vfioiommu_iova_list **out);
/**
 * Free a list.
 * @param list the list; NULL is accepted
 */
VFIOIOMMU_API void vfioiommu_iova_list_free(vfioiommu_iova_list *list);
/**
 * Number of ranges.
 * @param list the list
 * @return the count; 0 for NULL.
 */
VFIOIOMMU_API size_t vfioiommu_iova_list_count(const vfioiommu_iova_list *list);
/**
 * Range @p i, in sorted order.
 * @param list the list
 * @param i    0 .. vfioiommu_iova_list_count() - 1
 * @param out  receives the range
 * @return 0; -EINVAL NULL argument; -ERANGE @p i out of range.
 */
VFIOIOMMU_API int vfioiommu_iova_list_get(const vfioiommu_iova_list *list, size_t i,
	struct vfioiommu_iova_range *out);
/**
 * The list's source tag.
 * @param list the list
 * @return where the list came from; VFIOIOMMU_IOVA_SRC_USER for NULL.
 */
VFIOIOMMU_API enum vfioiommu_iova_source vfioiommu_iova_list_source(const vfioiommu_iova_list *list);
/**
 * A short name for a source tag.
 * @param src a source tag
 * @return "user", "type1-cap", "ioas-ranges", "sysfs", "derived"; "unknown" for other values.
 */
VFIOIOMMU_API const char *vfioiommu_iova_source_name(enum vfioiommu_iova_source src);

/**
 * a ∪ b as a new list tagged DERIVED.
 * @param a   a list
 * @param b   a list
 * @param out receives the result; NULL on failure
 * @return 0; -EINVAL NULL argument; -ENOMEM.
 */
VFIOIOMMU_API int vfioiommu_iova_list_union(const vfioiommu_iova_list *a,
	const vfioiommu_iova_list *b, vfioiommu_iova_list **out);
/**
 * a ∩ b as a new list tagged DERIVED.
 * @param a   a list
 * @param b   a list
 * @param out receives the result; NULL on failure
 * @return 0; -EINVAL NULL argument; -ENOMEM.
 */
VFIOIOMMU_API int vfioiommu_iova_list_intersect(const vfioiommu_iova_list *a,
	const vfioiommu_iova_list *b, vfioiommu_iova_list **out);
/**
 * a \\ b (the IOVAs of @p a that are not in @p b) as a new list tagged DERIVED.
 * @param a   a list
 * @param b   the list to take away
 * @param out receives the result; NULL on failure
 * @return 0; -EINVAL NULL argument; -ENOMEM.
 */
VFIOIOMMU_API int vfioiommu_iova_list_subtract(const vfioiommu_iova_list *a,
	const vfioiommu_iova_list *b, vfioiommu_iova_list **out);
/**
 * Whether two lists hold the same IOVAs (source tags are not compared).
 * @param a a list; NULL counts as the empty list
 * @param b a list; NULL counts as the empty list
 * @return 1 if @p a and @p b hold exactly the same IOVAs, 0 if not.
 */
VFIOIOMMU_API int vfioiommu_iova_list_equal(const vfioiommu_iova_list *a, const vfioiommu_iova_list *b);

/**
 * Whether [start, last] lies in ONE range of @p list.
 * @param list  the list
 * @param start the first IOVA
 * @param last  the last IOVA (inclusive)
 * @return 1 every IOVA of [start, last] lies in one range; 0 not; -EINVAL
 * NULL @p list or @p start > @p last.
 */
VFIOIOMMU_API int vfioiommu_iova_list_contains(const vfioiommu_iova_list *list,
	uint64_t start, uint64_t last);
/**
 * Find the range holding @p iova.
 * @param list    the list
 * @param iova    the IOVA
 * @param nearest if not NULL: receives the index of the range holding @p iova
 *                or, when none does, of the closest one; SIZE_MAX for an
 *                empty or NULL list
 * @return the index of the range (>= 0); -ENOENT no range holds @p iova;
 * -EINVAL NULL @p list.
 */
VFIOIOMMU_API long vfioiommu_iova_list_find(const vfioiommu_iova_list *list, uint64_t iova,
	size_t *nearest);
/**
 * Lowest IOVA a, aligned to @p align, such that [a, a + size - 1] lies in
 * one range and inside [lo, hi].
 * @param list  the list
 * @param size  bytes, not 0
 * @param align a power of two; 0 or 1 for none
 * @param lo    the lowest IOVA the block may use
 * @param hi    the highest IOVA the block may use (inclusive)
 * @param iova  receives a
 * @return 0; -ENOSPC nothing fits; -EINVAL NULL argument, @p size 0, @p lo >
 * @p hi, or @p align not a power of two.
 */
VFIOIOMMU_API int vfioiommu_iova_list_first_fit(const vfioiommu_iova_list *list,
	uint64_t size, uint64_t align, uint64_t lo, uint64_t hi, uint64_t *iova);

/**
 * The IOVA ranges the kernel allows now in the context's address space:
 * VFIO_IOMMU_GET_INFO's IOVA_RANGE capability on a container (tagged
 * VFIOIOMMU_IOVA_SRC_TYPE1_CAP) or IOMMU_IOAS_IOVA_RANGES on iommufd
 * (VFIOIOMMU_IOVA_SRC_IOAS_RANGES).  Ranges narrow when a device is attached
 * and widen when one leaves: ask again after either.
 * @param ctx the context
 * @param out receives the list; free it with vfioiommu_iova_list_free()
 * @return 0; -EINVAL NULL argument; -ENODEV no group or device yet;
 * -EOPNOTSUPP no-IOMMU container; -EPROTO a malformed answer; -ENOMEM; other
 * -errno from the kernel.
 */
VFIOIOMMU_API int vfioiommu_ctx_iova_ranges(vfioiommu_ctx *ctx, vfioiommu_iova_list **out);

VFIOIOMMU_END_DECLS

#endif
