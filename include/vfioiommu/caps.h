/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/**
 * @file vfioiommu/caps.h
 * What the kernel says about a container's IOMMU (VFIO_IOMMU_GET_INFO and
 * its capability chain), as the library's own types.
 *
 * The kernel's answer arrives as a fixed struct followed by a chain of
 * capabilities.  The library walks that chain with bounds, alignment and
 * cycle checks, so a malformed answer is reported as -EPROTO with a message
 * naming the offset, never read out of bounds.  Capabilities the library
 * does not know are skipped and counted.
 */
#ifndef VFIOIOMMU_CAPS_H
#define VFIOIOMMU_CAPS_H

#include <vfioiommu/common.h>
#include <vfioiommu/iova.h>

VFIOIOMMU_BEGIN_DECLS

/** vfioiommu_iommu_info.flags */
enum vfioiommu_iommu_info_flags {
	VFIOIOMMU_IOMMU_INFO_PGSIZES = 1u << 0, /**< pgsizes is valid (always, on type1) */
	VFIOIOMMU_IOMMU_INFO_CAPS = 1u << 1,    /**< the kernel returned capabilities */
};

/**
 * A container's IOMMU.  Zero-initialise, set size = sizeof(struct
 * vfioiommu_iommu_info), then call vfioiommu_ctx_iommu_info().  Fields added
 * later go at the end; a caller built against this version gets only the
 * fields it knows (the first @p size bytes are written).
 */
struct vfioiommu_iommu_info {
	/** in: sizeof(struct vfioiommu_iommu_info) as the caller compiled it */
	uint32_t size;
	/** enum vfioiommu_iommu_info_flags */
	uint32_t flags;
	/** Bitmap of IOMMU page sizes; the lowest set bit is the mapping granule. */
	uint64_t pgsizes;

	/** The kernel supports dirty page logging (MIGRATION capability). */
	bool has_migration;
	/** The MIGRATION capability's flags word, as the kernel gave it (0 today). */
	uint32_t migration_flags;
	/** Page sizes dirty logging works at (the kernel reports the smallest). */
	uint64_t migration_pgsizes;
	/** Largest dirty bitmap one call may ask for, in bytes. */
	uint64_t max_dirty_bitmap_size;

	/** dma_avail is valid (DMA_AVAIL capability). */
	bool has_dma_avail;
	/** Mappings that may still be created (type1's dma_entry_limit minus live ones). */
	uint32_t dma_avail;

	/**
	 * The kernel reported its IOVA ranges (IOVA_RANGE capability).  When
	 * false (kernels before 5.4, or a container with only mdevs) any IOVA
	 * is accepted by the kernel and no range list is returned.
	 */
	bool has_iova_ranges;
	/** Ranges in that capability. */
	uint32_t nr_iova_ranges;

	/** Capabilities with an id this library does not know (skipped). */
	unsigned int unknown_caps;
	/** Known capabilities with a version newer than 1 (their version-1 part was read). */
	unsigned int newer_caps;
};

/**
 * Ask the kernel about the context's IOMMU.
 *
 * @param ctx    a context with a container backend and a group added
 * @param info   out; info->size must be set (at least 16)
 * @param ranges out, may be NULL: the usable IOVA ranges as a list tagged
 *               VFIOIOMMU_IOVA_SRC_TYPE1_CAP, or NULL when the kernel reported
 *               none (info->has_iova_ranges false).  Free with
 *               vfioiommu_iova_list_free().
 * @return 0; -EINVAL NULL @p info or too small a size; -ENODEV no group added
 * yet (no IOMMU type set); -EOPNOTSUPP the context uses iommufd, or a
 * no-IOMMU container; -EPROTO the kernel's answer is malformed (the message
 * names the offset); -ENOMEM; other -errno from the kernel.
 */
VFIOIOMMU_API int vfioiommu_ctx_iommu_info(vfioiommu_ctx *ctx, struct vfioiommu_iommu_info *info,
	vfioiommu_iova_list **ranges);

VFIOIOMMU_END_DECLS

#endif
