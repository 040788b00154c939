/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * The consumer view of a ring (include/vfioiommu/ring_view.h): handing the
 * consumer state (cons, its slot, the last validated prod) to inline code
 * and back, and the error path the inline checks call.
 */
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <string.h>

#include <vfioiommu/ring_view.h>

#include "ring.h"

/* the view reads the ring's shared words through plain pointers with __atomic builtins */
_Static_assert(sizeof(_Atomic uint32_t) == sizeof(uint32_t), "shared indices are plain u32 in memory");

VFIOIOMMU_API int vfioiommu_ring_view_get(vfioiommu_ring *r, struct vfioiommu_ring_view *v)
{
	if (!r || !v || v->size < sizeof(*v) || v->version != VFIOIOMMU_RING_VIEW_VERSION)
		return -EINVAL;
	if (vi_ring_failed(r))
		return -EPROTO;
	memset((char *)v + 8, 0, sizeof(*v) - 8);
	v->nslots = r->c.size;
	v->cons = r->c.cons;
	v->slot = r->c.slot;
	v->prod_seen = r->c.prod_seen;
	v->start = r->c.cons;
	v->pos = r->c.cons;
	v->pslot = r->c.slot;
	v->recs = r->c.recs;
	v->prod_p = (const uint32_t *)(const void *)r->c.prod_p;
	v->cons_p = (uint32_t *)(void *)r->c.cons_p;
	v->size_p = r->c.size_p ? (const uint32_t *)(const void *)r->c.size_p : NULL;
	v->ring = r;
	return 0;
}

VFIOIOMMU_API void vfioiommu_ring_view_fail(struct vfioiommu_ring_view *v, uint32_t prod)
{
	struct vfioiommu_ring *r;

	if (!v || !v->ring)
		return;
	r = v->ring;
	v->failed = 1;
	if (v->size_p && __atomic_load_n(v->size_p, __ATOMIC_RELAXED) != v->nslots)
		vi_ring_fail(r, "ring view: the header's size changed from %" PRIu32 " to %" PRIu32 " records after "
			     "attach", v->nslots, __atomic_load_n(v->size_p, __ATOMIC_RELAXED));
	else if ((int32_t)(prod - v->prod_seen) < 0)
		vi_ring_fail(r, "ring view: prod moved backwards from %" PRIu32 " to %" PRIu32 " (cons %" PRIu32 ")",
			     v->prod_seen, prod, v->cons);
	else
		vi_ring_fail(r, "ring view: prod %" PRIu32 " is %" PRIu32 " records ahead of cons %" PRIu32 " but the "
			     "ring holds %" PRIu32, prod, prod - v->cons, v->cons, v->nslots);
}

VFIOIOMMU_API int vfioiommu_ring_view_put(vfioiommu_ring *r, struct vfioiommu_ring_view *v)
{
	uint32_t done;

	if (!r || !v || v->ring != r)
		return -EINVAL;
	done = v->cons - v->start;
	r->c.cons = v->cons;
	r->c.slot = v->slot;
	r->c.prod_seen = v->prod_seen;
	atomic_store_explicit(&r->c.consumed, atomic_load_explicit(&r->c.consumed, memory_order_relaxed) + done,
			      memory_order_relaxed);
	if (v->lost)
		atomic_store_explicit(&r->c.lost, atomic_load_explicit(&r->c.lost, memory_order_relaxed) + v->lost,
				      memory_order_relaxed);
	v->ring = NULL;
	return vi_ring_failed(r) ? -EPROTO : 0;
}
