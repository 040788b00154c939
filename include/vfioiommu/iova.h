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
	uint64_t start;
	uint64_t last;
};

/** Where a list came from. */
enum vfioiommu_iova_source {
	VFIOIOMMU_IOVA_SRC_USER = 0,        /**< built by the caller */
	VFIOIOMMU_IOVA_SRC_TYPE1_CAP = 1,   /**< VFIO_IOMMU_GET_INFO IOVA_RANGE capability */
	VFIOIOMMU_IOVA_SRC_IOAS_RANGES = 2, /**< IOMMU_IOAS_IOVA_RANGES */
	VFIOIOMMU_IOVA_SRC_SYSFS = 3,       /**< predicted: aperture minus sysfs reserved regions */
	VFIOIOMMU_IOVA_SRC_DERIVED = 4,     /**< result of a set operation */
};

typedef struct vfioiommu_iova_list vfioiommu_iova_list;

/**
 * Build a list from @n ranges in any order.  Overlapping or touching ranges
 * are coalesced.  @ranges may be NULL when @n is 0 (an empty list).
 * @return 0; -EINVAL (NULL @out, start > last, NULL @ranges with n > 0); -ENOMEM.
 */
VFIOIOMMU_API int vfioiommu_iova_list_new(const struct vfioiommu_iova_range *ranges, size_t n,
	enum vfioiommu_iova_source src, vfioiommu_iova_list **out);
/** Free a list.  NULL is accepted. */
VFIOIOMMU_API void vfioiommu_iova_list_free(vfioiommu_iova_list *list);
/** Number of ranges (0 for NULL). */
VFIOIOMMU_API size_t vfioiommu_iova_list_count(const vfioiommu_iova_list *list);
/** Range @i (sorted order).  @return 0, -EINVAL NULL argument, -ERANGE @i out of range. */
VFIOIOMMU_API int vfioiommu_iova_list_get(const vfioiommu_iova_list *list, size_t i,
	struct vfioiommu_iova_range *out);
/** The list's source tag; VFIOIOMMU_IOVA_SRC_USER for NULL. */
VFIOIOMMU_API enum vfioiommu_iova_source vfioiommu_iova_list_source(const vfioiommu_iova_list *list);
/** A short name for a source tag ("type1-cap", "ioas-ranges", "sysfs", ...). */
VFIOIOMMU_API const char *vfioiommu_iova_source_name(enum vfioiommu_iova_source src);

/** a ∪ b, a ∩ b, a \ b as new lists tagged DERIVED.  @return 0, -EINVAL, -ENOMEM. */
VFIOIOMMU_API int vfioiommu_iova_list_union(const vfioiommu_iova_list *a,
	const vfioiommu_iova_list *b, vfioiommu_iova_list **out);
VFIOIOMMU_API int vfioiommu_iova_list_intersect(const vfioiommu_iova_list *a,
	const vfioiommu_iova_list *b, vfioiommu_iova_list **out);
VFIOIOMMU_API int vfioiommu_iova_list_subtract(const vfioiommu_iova_list *a,
	const vfioiommu_iova_list *b, vfioiommu_iova_list **out);
/** 1 if a and b hold exactly the same IOVAs, 0 if not.  NULL counts as the empty list. */
VFIOIOMMU_API int vfioiommu_iova_list_equal(const vfioiommu_iova_list *a, const vfioiommu_iova_list *b);

/**
 * 1 when every IOVA of [start, last] lies in ONE range of @list, 0 when not,
 * -EINVAL for NULL or start > last.
 */
VFIOIOMMU_API int vfioiommu_iova_list_contains(const vfioiommu_iova_list *list,
	uint64_t start, uint64_t last);
/**
 * Find the range holding @iova.  @return its index (>= 0), or -ENOENT, with
 * *@nearest (if not NULL) set to the index of the closest range (-ENOENT with
 * *nearest = SIZE_MAX when the list is empty); -EINVAL for a NULL @list
 * (*@nearest = SIZE_MAX too).
 */
VFIOIOMMU_API long vfioiommu_iova_list_find(const vfioiommu_iova_list *list, uint64_t iova,
	size_t *nearest);
/**
 * Lowest IOVA a, aligned to @align (a power of two, 0 or 1 = none), such that
 * [a, a + size - 1] lies in one range and inside [lo, hi].
 * @return 0 with *@iova set, -ENOSPC none fits, -EINVAL bad arguments.
 */
VFIOIOMMU_API int vfioiommu_iova_list_first_fit(const vfioiommu_iova_list *list,
	uint64_t size, uint64_t align, uint64_t lo, uint64_t hi, uint64_t *iova);

/**
 * The IOVA ranges the kernel allows now in the context's address space:
 * VFIO_IOMMU_GET_INFO's IOVA_RANGE capability on a container (tagged
 * VFIOIOMMU_IOVA_SRC_TYPE1_CAP) or IOMMU_IOAS_IOVA_RANGES on iommufd
 * (VFIOIOMMU_IOVA_SRC_IOAS_RANGES).  Ranges narrow when a device is attached
 * and widen when one leaves: ask again after either.  Free with
 * vfioiommu_iova_list_free().
 * @return 0; -EINVAL NULL argument; -ENODEV no group or device yet;
 * -EOPNOTSUPP no-IOMMU container; other -errno from the kernel.
 */
VFIOIOMMU_API int vfioiommu_ctx_iova_ranges(vfioiommu_ctx *ctx, vfioiommu_iova_list **out);

VFIOIOMMU_END_DECLS

#endif
