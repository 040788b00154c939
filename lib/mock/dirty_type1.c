/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * The mock's type1 dirty page tracking (VFIO_IOMMU_DIRTY_PAGES on a
 * container), with vfio_iommu_type1.c's checks as Linux 7.2 answered them
 * on the e1000e container (tests/vm/FACTS.md, "type1 dirty pages"):
 * type1 (v1) is EACCES; one flag at a time; START and STOP twice are fine;
 * GET_BITMAP needs tracking on, the container's smallest page size, an
 * aligned non-empty range that cuts no mapping, and a bitmap big enough,
 * else EINVAL; an unmapped range is fine.  With a group whose device does
 * not pin its pages (any PCI device) every mapped page is dirty at every
 * report, as Linux reports it; with only mediated devices, none (the mock
 * models no pinning).
 */
#include <errno.h>
#include <string.h>

#include "kabi/kabi.h"
#include "mock.h"

int vm_type1_dirty(const struct vm_maptab *maps, bool *on, bool v2, uint64_t pgsize, bool full, void *arg)
{
	struct kabi_vfio_dirty_bitmap_get *g = arg;
	uint32_t f;
	uint64_t npages, *bm;
	size_t i;

	if (!v2)
		return -EACCES;
	if (g->argsz < KABI_DIRTY_PAGES_MIN)
		return -EINVAL;
	f = g->flags;
	if (f & ~(KABI_VFIO_IOMMU_DIRTY_PAGES_FLAG_START | KABI_VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP |
		  KABI_VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP) || !f || (f & (f - 1)))
		return -EINVAL;
	if (f == KABI_VFIO_IOMMU_DIRTY_PAGES_FLAG_START) {
		*on = true;
		return 0;
	}
	if (f == KABI_VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP) {
		*on = false;
		return 0;
	}
	if (g->argsz < sizeof(*g) || g->iova + g->size < g->iova || !g->pgsize)
		return -EINVAL;
	/* verify_bitmap_size() with the caller's page size, then the container's own checks */
	/* the limit is the bitmap's 256 MiB (2^31 pages), not a page count */
	npages = g->size >> __builtin_ctzll(g->pgsize);
	if (!npages || !g->bsize || g->bsize > 0x10000000ull || g->bsize < (npages + 63) / 64 * 8)
		return -EINVAL;
	if (g->pgsize != pgsize || (g->iova & (pgsize - 1)) || !g->size || (g->size & (pgsize - 1)) || !*on)
		return -EINVAL;
	/* a report covers whole mappings: none may start before iova or end after iova + size */
	i = vm_maps_lower(maps, g->iova);
	if (i < maps->n && maps->v[i].iova < g->iova)
		return -EINVAL;
	for (; i < maps->n && maps->v[i].iova <= g->iova + g->size - 1; i++)
		if (maps->v[i].iova + maps->v[i].len > g->iova + g->size)
			return -EINVAL;
	bm = (uint64_t *)(uintptr_t)g->data;
	if (!bm)
		return -EFAULT;
	/*
	 * As update_user_bitmap(): each mapping writes its own words (the bits
	 * below it in its first word kept, the ones past it in its last word
	 * zero); the words between mappings are left as the caller had them.
	 */
	for (i = vm_maps_lower(maps, g->iova); i < maps->n && maps->v[i].iova <= g->iova + g->size - 1; i++) {
		uint64_t first = (maps->v[i].iova - g->iova) / pgsize, n = maps->v[i].len / pgsize;
		uint64_t w0 = first / 64, w1 = (first + n - 1) / 64, keep = bm[w0] & ((1ull << (first % 64)) - 1);

		memset(bm + w0, 0, (size_t)(w1 - w0 + 1) * 8);
		bm[w0] = keep;
		for (uint64_t bit = first; full && bit < first + n; bit++)
			bm[bit / 64] |= 1ull << (bit % 64);
	}
	return 0;
}
