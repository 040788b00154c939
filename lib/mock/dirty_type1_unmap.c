/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * The mock's VFIO_IOMMU_UNMAP_DMA with GET_DIRTY_BITMAP, as
 * vfio_iommu_type1.c answered it on Linux 7.2 (tests/vm/FACTS.md, "type1
 * dirty pages"): not with ALL or VADDR; a struct vfio_bitmap after the unmap
 * struct whose size fits the range at its page size; tracking on and the
 * container's smallest page, else EINVAL; then the ordinary v2 unmap, each
 * mapping's bits written as it goes (every page with a group that pins
 * nothing, none otherwise: the mock models no pinning).
 */
#include <errno.h>

#include "kabi/kabi.h"
#include "mock.h"

int vm_type1_unmap_bitmap_check(const struct kabi_vfio_dma_unmap *u, bool on, uint64_t pgsize)
{
	const struct kabi_vfio_dma_unmap_bitmap *a = (const void *)u;
	uint64_t npages;

	if (u->flags & (KABI_VFIO_DMA_UNMAP_FLAG_ALL | KABI_VFIO_DMA_UNMAP_FLAG_VADDR))
		return -EINVAL;
	if (u->argsz < sizeof(*a) || !a->pgsize)
		return -EINVAL;
	/* verify_bitmap_size() with the caller's page size, before the unmap's own checks */
	npages = u->size >> __builtin_ctzll(a->pgsize);
	if (!npages || !a->bsize || npages > 0x7fffffffull || a->bsize < (npages + 63) / 64 * 8)
		return -EINVAL;
	if ((u->iova & (pgsize - 1)) || !u->size || (u->size & (pgsize - 1)))
		return -EINVAL;
	if (!on || a->pgsize != pgsize)
		return -EINVAL;
	return 0;
}

int vm_type1_unmap_bitmap_put(const struct kabi_vfio_dma_unmap *u, const struct vm_map *mp, uint64_t pgsize, bool full)
{
	const struct kabi_vfio_dma_unmap_bitmap *a = (const void *)u;
	uint64_t *bm = (uint64_t *)(uintptr_t)a->data;

	if (!bm)
		return -EFAULT;
	for (uint64_t at = mp->iova; at < mp->iova + mp->len; at += pgsize) {
		uint64_t bit = (at - u->iova) / pgsize;

		if (full)
			bm[bit / 64] |= 1ull << (bit % 64);
		else
			bm[bit / 64] &= ~(1ull << (bit % 64));
	}
	return 0;
}
