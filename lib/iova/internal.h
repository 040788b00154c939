/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * iova/: the IOVA space as data: range lists, the VFIO *_INFO capability
 * chains, reserved regions (parsed from sysfs, merged, subtracted), and the
 * allocator with the range tree the DMA table also keys its mappings on.
 * Only core/ below it.
 */
#ifndef VI_IOVA_INTERNAL_H
#define VI_IOVA_INTERNAL_H

#include <stddef.h>

#include <vfioiommu/alloc.h>

#include "alloc_tree.h"
#include "caps.h"
#include "core/internal.h"

/*
 * aperture.c: the IOMMU's input address width from its sysfs attributes
 * (/sys/class/iommu/NAME), for predicting the usable IOVA space before an
 * attach.  vi_iommu_width: kind "intel" or "amd", or NULL when no attribute
 * says it (bits 0, and how says why); -ENOENT no such IOMMU, -EINVAL bad
 * name.  vi_device_iommu: the NAME behind a PCI device (its iommu link);
 * -ENOENT when it has none.  The decoders take the raw registers.
 */
struct vi_iommu_width {
	const char *kind;
	unsigned int bits;
	char how[128];
};
int vi_iommu_width(struct vfioiommu_ctx *ctx, const char *name, struct vi_iommu_width *out);
int vi_device_iommu(struct vfioiommu_ctx *ctx, const char *bdf, char *name, size_t n);
unsigned int vi_aperture_vtd_bits(uint64_t cap);
unsigned int vi_aperture_amd_bits(uint64_t efr);

/*
 * alloc.c: vfioiommu_iova_pool_alloc() with the block's first IOVA congruent
 * to @phase modulo @align (a superpage-friendly IOVA for a buffer whose
 * process address is @phase past an @align boundary).  @phase must be a
 * multiple of the pool's min_align below max(@align, min_align); -EINVAL
 * otherwise, else as vfioiommu_iova_pool_alloc().
 */
int vi_iova_pool_alloc_phase(vfioiommu_iova_pool *a, uint64_t size, uint64_t align, uint64_t phase,
			     uint64_t lo, uint64_t hi, uint64_t *iova);

/* resv_sysfs.c: first RESV_DIRECT region of a group as text for messages, "" if none. */
void vi_group_direct_region(struct vfioiommu_ctx *ctx, unsigned int group, char *out, size_t n);

#endif
