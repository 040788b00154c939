/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/**
 * @file vfioiommu/ring_view.h
 * The consumer side of a fault ring as a small, documented view with inline
 * peek and advance (the way liburing exposes its completion ring): a
 * consumer that handles a record in a few instructions pays no call per
 * record.  The view is frozen at version 1: its layout does not change
 * within VFIOIOMMU_RING_VIEW_VERSION 1, a new layout gets a new version.
 *
 * Use: vfioiommu_ring_view_get() takes over the ring's consumer state, the
 * inline functions consume, vfioiommu_ring_view_put() hands the state back
 * (and updates the ring's statistics).  While a view is held, do not call
 * the ring's own consumer functions (peek*, at, advance, copy, ready, wait).
 * The same distrust as the ring's: every re-read of prod is checked to lie
 * in [the last prod seen, cons + size] (and, in the compat layout, the size
 * word is re-checked); a bad value puts the ring in its error state through
 * vfioiommu_ring_view_fail() and the view returns nothing more.
 *
 * Records are first handed out (vfioiommu_ring_view_next(), _peek()) and
 * then consumed (vfioiommu_ring_view_release() consumes all handed out,
 * _advance() the oldest n), which gives their slots back to the producer.
 *
 * @code
 *   struct vfioiommu_ring_view v = { .size = sizeof(v), .version = VFIOIOMMU_RING_VIEW_VERSION };
 *   const struct vfioiommu_fault *rec;
 *   vfioiommu_ring_view_get(ring, &v);
 *   while ((rec = vfioiommu_ring_view_next(&v)))
 *       handle(rec);
 *   vfioiommu_ring_view_release(&v);
 *   vfioiommu_ring_view_put(ring, &v);
 * @endcode
 */
#ifndef VFIOIOMMU_RING_VIEW_H
#define VFIOIOMMU_RING_VIEW_H

#include <stdint.h>

#include <vfioiommu/common.h>
#include <vfioiommu/fault.h>

VFIOIOMMU_BEGIN_DECLS

/** The view layout this header describes. */
#define VFIOIOMMU_RING_VIEW_VERSION 1u

/** The consumer's view of a ring (version 1).  Fields are for the inline functions; treat them as read-only. */
struct vfioiommu_ring_view {
	uint32_t size;       /**< in: sizeof(struct vfioiommu_ring_view) */
	uint32_t version;    /**< in: VFIOIOMMU_RING_VIEW_VERSION */
	uint32_t nslots;     /**< records the ring holds (read once at attach) */
	uint32_t cons;       /**< the consumer's index (free-running u32) */
	uint32_t slot;       /**< cons % nslots, kept incrementally */
	uint32_t prod_seen;  /**< the last prod that passed the checks */
	uint32_t start;      /**< cons when the view was taken (statistics) */
	uint32_t failed;     /**< non-zero once the ring is in error */
	uint32_t pos;        /**< the next record to hand out (cons <= pos <= prod_seen) */
	uint32_t pslot;      /**< pos % nslots */
	const unsigned char *recs;         /**< slot 0 */
	const uint32_t *prod_p;            /**< the shared prod */
	uint32_t *cons_p;                  /**< the shared cons */
	const uint32_t *size_p;            /**< compat layout: the header's size word, re-checked; else NULL */
	vfioiommu_ring *ring;              /**< the ring the view belongs to */
	uint64_t lost;                     /**< LOST records' counts seen by advance */
};

/**
 * Take over the consumer side of @p ring.
 * @param ring the ring
 * @param v    in: v->size and v->version set; out: the view
 * @return 0; -EINVAL NULL argument, a size below version 1's or another
 * version; -EPROTO the ring is in error.
 */
VFIOIOMMU_API int vfioiommu_ring_view_get(vfioiommu_ring *ring, struct vfioiommu_ring_view *v);

/**
 * Hand the consumer side back to the ring (its own consumer functions work
 * again) and add what the view consumed to the ring's statistics.
 * @param ring the ring the view was taken from
 * @param v    the view
 * @return 0; -EINVAL NULL, or a view of another ring; -EPROTO the ring went
 * into error while the view was held.
 */
VFIOIOMMU_API int vfioiommu_ring_view_put(vfioiommu_ring *ring, struct vfioiommu_ring_view *v);

/**
 * Put the view's ring in its error state: a check of prod failed (called by
 * the inline functions; not needed otherwise).
 * @param v    the view
 * @param prod the value of prod that failed the checks
 */
VFIOIOMMU_API void vfioiommu_ring_view_fail(struct vfioiommu_ring_view *v, uint32_t prod);

/**
 * Internal to the inline functions, and the one range check of the ring's
 * shared indices (the library's own consumer and producer use it too):
 * whether index @p x lies in [@p lo, @p hi] on the free-running u32 indices,
 * i.e. at most @p hi - @p lo (taken modulo 2^32) past @p lo.  One compare.
 * @param x  the index read from the other side
 * @param lo the lowest value it may have
 * @param hi the highest value it may have
 * @return non-zero when it lies in the range.
 */
static inline int vfioiommu_ring_index_in_(uint32_t x, uint32_t lo, uint32_t hi)
{
	return (uint32_t)(x - lo) <= (uint32_t)(hi - lo);
}

/**
 * Records ready to hand out: re-reads prod only when the last one seen
 * shows none beyond those handed out.
 * @param v the view
 * @return records ready (0 when empty or after an error).
 */
static inline uint32_t vfioiommu_ring_view_ready(struct vfioiommu_ring_view *v)
{
	uint32_t avail = v->prod_seen - v->pos, p;

	if (avail || v->failed)
		return avail;
	/* acquire: pairs with the producer's release (or seq-cst) store of prod */
	p = __atomic_load_n(v->prod_p, __ATOMIC_ACQUIRE);
	/* prod in [pos, cons + nslots]: pos is the last prod seen here (none ready), cons + nslots the ring full */
	if (!vfioiommu_ring_index_in_(p, v->pos, v->cons + v->nslots) ||
	    (v->size_p && __atomic_load_n(v->size_p, __ATOMIC_RELAXED) != v->nslots)) {
		vfioiommu_ring_view_fail(v, p);
		return 0;
	}
	v->prod_seen = p;
	return p - v->pos;
}

/**
 * Internal to the inline functions: hand out the record at pos (one is ready).
 * @param v the view
 * @return the record.
 */
static inline const struct vfioiommu_fault *vfioiommu_ring_view_take_(struct vfioiommu_ring_view *v)
{
	const uint32_t s = v->pslot;
	const struct vfioiommu_fault *f = (const struct vfioiommu_fault *)(const void *)(v->recs + (size_t)s * 64u);

	/* slot = index % nslots on the u32 index: crossing 2^32 restarts at 0 */
	v->pslot = (++v->pos == 0 || s + 1 == v->nslots) ? 0 : s + 1;
	if (f->kind == VFIOIOMMU_FAULT_LOST)
		v->lost += f->lost;
	return f;
}

/**
 * Hand out the next record, in place.
 * @param v the view
 * @return the record (valid until it is consumed); NULL when none is ready.
 */
static inline const struct vfioiommu_fault *vfioiommu_ring_view_next(struct vfioiommu_ring_view *v)
{
	if (v->pos == v->prod_seen && !vfioiommu_ring_view_ready(v))
		return 0;
	return vfioiommu_ring_view_take_(v);
}

/**
 * Hand out up to @p max records, as pointers into the ring.
 * @param v    the view
 * @param recs receives the pointers (valid until consumed)
 * @param max  room in @p recs
 * @return the number stored.
 */
static inline unsigned int vfioiommu_ring_view_peek(struct vfioiommu_ring_view *v,
						     const struct vfioiommu_fault **recs, unsigned int max)
{
	uint32_t n = vfioiommu_ring_view_ready(v);

	if (n > max)
		n = max;
	for (uint32_t i = 0; i < n; i++)
		recs[i] = vfioiommu_ring_view_take_(v);
	return n;
}

/**
 * Internal to the inline functions: publish cons.
 * @param v    the view
 * @param idx  the new cons
 * @param slot its slot
 */
static inline void vfioiommu_ring_view_commit_(struct vfioiommu_ring_view *v, uint32_t idx, uint32_t slot)
{
	v->cons = idx;
	v->slot = slot;
	/* release: our reads of the slots are done before the producer may reuse them */
	__atomic_store_n(v->cons_p, idx, __ATOMIC_RELEASE);
}

/**
 * Consume every record handed out.
 * @param v the view
 */
static inline void vfioiommu_ring_view_release(struct vfioiommu_ring_view *v)
{
	if (v->pos != v->cons)
		vfioiommu_ring_view_commit_(v, v->pos, v->pslot);
}

/**
 * Consume the @p n oldest records handed out (at most as many as were).
 * @param v the view
 * @param n records to consume
 */
static inline void vfioiommu_ring_view_advance(struct vfioiommu_ring_view *v, unsigned int n)
{
	uint32_t idx = v->cons, s = v->slot;

	if (n >= v->pos - idx) {
		vfioiommu_ring_view_release(v);
		return;
	}
	for (uint32_t i = 0; i < n; i++)
		s = (++idx == 0 || s + 1 == v->nslots) ? 0 : s + 1;
	vfioiommu_ring_view_commit_(v, idx, s);
}

VFIOIOMMU_END_DECLS

#endif
