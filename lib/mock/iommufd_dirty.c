/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * The mock's iommufd HWPT dirty tracking, with the answers Linux 7.2 gave
 * on IOMMUFD_TEST's mock domain (tests/vm/FACTS.md, "iommufd HWPT dirty
 * tracking"): HWPT_ALLOC(DIRTY_TRACKING) only when the host's IOMMU tracks
 * (VFIOIOMMU_MOCK_HWPT_DIRTY); SET_DIRTY_TRACKING on a page table without it
 * is EOPNOTSUPP, unknown flags EOPNOTSUPP, enabling or disabling twice 0,
 * enabling forgets what was dirty; GET_DIRTY_BITMAP with unknown flags is
 * EOPNOTSUPP, an empty or wrapping range EOVERFLOW, page size 0 or a range
 * not aligned to it EINVAL, reads while tracking is off 0, and only sets
 * bits.  What the device wrote comes from the test:
 * vfioiommu_mock_hwpt_dirty(), as IOMMU_TEST_OP_DIRTY (EINVAL while tracking
 * is off; mapped pages only).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "iommufd_obj.h"

#define HD_PAGE 4096ull
#define HD_MAX (1u << 20)

static struct io_obj *hwpt_of(struct io_ctx *c, uint32_t id, int *rc)
{
	struct io_obj *h = obj_get(c, id, IO_HWPT);

	*rc = !h ? -ENOENT : !(h->hwpt.flags & KABI_IOMMU_HWPT_ALLOC_DIRTY_TRACKING) ? -EOPNOTSUPP : 0;
	return *rc ? NULL : h;
}

static bool mapped(struct io_ctx *c, const struct io_obj *h, uint64_t iova)
{
	struct io_obj *ioas = obj_get(c, h->hwpt.ioas, IO_IOAS);
	size_t i;

	if (!ioas)
		return false;
	i = vm_maps_lower(&ioas->ioas.maps, iova);
	return i < ioas->ioas.maps.n && ioas->ioas.maps.v[i].iova <= iova;
}

int cmd_hwpt_set_dirty(struct vfioiommu_mock *m, struct io_ctx *c, void *arg)
{
	struct kabi_iommu_hwpt_set_dirty *s = arg;
	struct io_obj *h;
	int rc;

	if ((s->flags & ~KABI_IOMMU_HWPT_DIRTY_TRACKING_ENABLE) || s->reserved)
		return -EOPNOTSUPP;
	if (!(h = hwpt_of(c, s->hwpt_id, &rc)))
		return rc;
	if (s->flags && !h->hwpt.dirty_on)
		h->hwpt.ndirty = 0; /* enabling starts from clean */
	h->hwpt.dirty_on = s->flags != 0;
	return 0;
}

int cmd_hwpt_get_dirty(struct vfioiommu_mock *m, struct io_ctx *c, void *arg)
{
	struct kabi_iommu_hwpt_get_dirty *g = arg;
	uint64_t *bm = (uint64_t *)(uintptr_t)g->data;
	struct io_obj *h;
	size_t keep = 0;
	int rc;

	if ((g->flags & ~KABI_IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR) || g->reserved)
		return -EOPNOTSUPP;
	if (!(h = hwpt_of(c, g->hwpt_id, &rc)))
		return rc;
	if (!g->length || g->iova + (g->length - 1) < g->iova)
		return -EOVERFLOW;
	if (!g->page_size || g->iova % g->page_size || g->length % g->page_size || g->iova % 2048 || g->length % 2048)
		return -EINVAL;
	for (size_t i = 0; i < h->hwpt.ndirty; i++) {
		uint64_t a = h->hwpt.dirty[i];
		bool in = a >= g->iova && a - g->iova < g->length && mapped(c, h, a);

		if (in) {
			uint64_t bit = (a - g->iova) / g->page_size;
			if (!bm)
				return -EFAULT;
			bm[bit / 64] |= 1ull << (bit % 64);
		}
		if (!in || (g->flags & KABI_IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR))
			h->hwpt.dirty[keep++] = a;
	}
	h->hwpt.ndirty = keep;
	return 0;
}

/*
 * An IOAS range was unmapped: the page tables on it lose the bits of those
 * pages (Linux: the IOMMU entries go, a new mapping there reads clean;
 * FACTS "iommufd HWPT dirty tracking").
 */
void vm_hwpt_dirty_unmapped(struct io_ctx *c, uint32_t ioas, uint64_t iova, uint64_t last)
{
	for (uint32_t id = 1; id < c->nobj; id++) {
		struct io_obj *h = c->obj[id];
		size_t keep = 0;

		if (!h || h->type != IO_HWPT || h->hwpt.ioas != ioas)
			continue;
		for (size_t i = 0; i < h->hwpt.ndirty; i++)
			if (h->hwpt.dirty[i] < iova || h->hwpt.dirty[i] > last)
				h->hwpt.dirty[keep++] = h->hwpt.dirty[i];
		h->hwpt.ndirty = keep;
	}
}

VFIOIOMMU_API int vfioiommu_mock_hwpt_dirty(vfioiommu_mock *m, int iommufd, uint32_t hwpt_id, uint64_t iova,
					    uint64_t length)
{
	struct vm_file *f;
	struct io_obj *h = NULL;
	int rc = 0;

	if (!m || !length || iova + (length - 1) < iova)
		return -EINVAL;
	pthread_mutex_lock(&m->lock);
	f = vm_fd_get(m, iommufd);
	if (!f || !f->ops->name || strcmp(f->ops->name, "iommufd"))
		rc = -EBADF;
	else if (!(h = hwpt_of(f->obj, hwpt_id, &rc)))
		;
	else if (!h->hwpt.dirty_on)
		rc = -EINVAL;
	for (uint64_t pg = iova & ~(HD_PAGE - 1); rc >= 0; pg += HD_PAGE) {
		bool dup = false;

		for (size_t i = 0; i < h->hwpt.ndirty && !dup; i++)
			dup = h->hwpt.dirty[i] == pg;
		if (!dup && mapped(f->obj, h, pg)) {
			if (h->hwpt.ndirty == h->hwpt.capdirty) {
				size_t cap = h->hwpt.capdirty ? h->hwpt.capdirty * 2 : 64;
				uint64_t *n = cap <= HD_MAX ? realloc(h->hwpt.dirty, cap * sizeof(*n)) : NULL;
				if (!n) {
					rc = cap <= HD_MAX ? -ENOMEM : -E2BIG;
					break;
				}
				h->hwpt.dirty = n;
				h->hwpt.capdirty = cap;
			}
			h->hwpt.dirty[h->hwpt.ndirty++] = pg;
			rc++;
		}
		if (pg == ((iova + length - 1) & ~(HD_PAGE - 1)))
			break;
	}
	pthread_mutex_unlock(&m->lock);
	return rc;
}
