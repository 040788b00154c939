/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * Fault ring internals: the handle, the two shared layouts and the inline
 * index arithmetic the public entry points (ring.c) and the pump share.
 *
 * The handle keeps one 128-byte block per side.  Only the consumer thread
 * writes `c`, only the producer thread writes `p`; each side copies what it
 * needs (size, pointers) into its own block so neither ever reads a line the
 * other writes, except the shared index it must read.
 */
#ifndef VI_RING_H
#define VI_RING_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <vfioiommu/fault.h>
#include <vfioiommu/ring.h>
#include <vfioiommu/ring_view.h> /* vfioiommu_ring_index_in_(): one range check for both sides */

#include "core/internal.h"

#define VI_RING_REC 64u
#define VI_RING_MAX_CREATE (1u << 24)

/* compat layout: { u32 size; u32 prod; u32 cons; u32 wake; } records at 16 */
#define VI_COMPAT_SIZE 0
#define VI_COMPAT_PROD 4
#define VI_COMPAT_CONS 8
#define VI_COMPAT_WAKE 12

/* split layout: header line, then each index alone in a 128-byte block */
#define VI_SPLIT_MAGIC 0x676e5276u /* "vRng" */
#define VI_SPLIT_VERSION 1u
#define VI_SPLIT_OFF_MAGIC 0
#define VI_SPLIT_OFF_VERSION 4
#define VI_SPLIT_OFF_SIZE 8
#define VI_SPLIT_OFF_RECOFF 12
#define VI_SPLIT_OFF_RECSIZE 16
#define VI_SPLIT_PROD 128
#define VI_SPLIT_OVERFLOW 136 /* u64, producer-published drop count (informational) */
#define VI_SPLIT_CONS 256
#define VI_SPLIT_WAKE 384

_Static_assert(VFIOIOMMU_RING_SPLIT_HDR == 512, "split records start after the wake block");
_Static_assert(VFIOIOMMU_RING_REC_SIZE == VI_RING_REC, "record size");

struct vi_ring_cons {
	uint32_t cons;      /* the consumer's own cons: the shared one is never read back */
	uint32_t prod_seen; /* last prod that passed validation */
	uint32_t slot;      /* cons % size, kept incrementally */
	uint32_t size;      /* read once at attach */
	unsigned char *recs;
	_Atomic uint32_t *prod_p;
	_Atomic uint32_t *cons_p;
	_Atomic uint32_t *wake_p;
	_Atomic uint32_t *size_p; /* compat: the size word, on prod's line, re-checked with prod; else NULL */
	_Atomic uint64_t consumed;
	_Atomic uint64_t lost;
};

struct vi_ring_prod {
	uint32_t prod;      /* the producer's own prod */
	uint32_t limit;     /* first index it may not write: prod + vi_ring_room() at the last cons_seen */
	uint32_t cons_seen; /* last cons that passed validation */
	uint32_t slot;      /* prod % size */
	uint32_t size;
	uint32_t wrap_r;    /* 2^32 % size: slots reused across the 2^32 wrap */
	uint32_t pending_lost;
	uint32_t resv_end;  /* slots [prod, resv_end) are reserved (vfioiommu_ring_reserve()); == prod: none */
	int evfd;           /* signalled when the consumer armed wake; -1 none */
	unsigned char *recs;
	_Atomic uint32_t *prod_p;
	_Atomic uint32_t *cons_p;
	_Atomic uint32_t *wake_p;
	_Atomic uint64_t *overflow_p; /* split layout only, else NULL */
	const struct vfioiommu_door *door;
	_Atomic uint64_t produced;
	_Atomic uint64_t overflow;
};

_Static_assert(sizeof(struct vi_ring_cons) <= 128 && sizeof(struct vi_ring_prod) <= 128,
	       "each side's block fits the 128 bytes it is aligned to");

struct vfioiommu_ring {
	_Alignas(128) struct vi_ring_cons c;
	_Alignas(128) struct vi_ring_prod p;
	/* cold: written at setup and once on error */
	_Alignas(128) _Atomic int err;
	atomic_flag err_claimed;
	char msg[VI_MSG_MAX];
	unsigned int flags;
	void *mem;
	size_t len;
	struct vfioiommu_ctx *ctx;          /* created rings */
	const struct vfioiommu_door *door;  /* for the eventfd and, when owned, the mapping */
	int memfd;                          /* owned; -1 for attached rings */
	int evfd;
	bool evfd_owned;
	/*
	 * Set by the source that owns the mapping (ring_region.c) so this module
	 * does not depend on the device modules: called at destroy.
	 */
	void (*release)(struct vfioiommu_ring *r);
	struct vfioiommu_device *region_dev; /* vfioiommu_ring_attach_region(): unmapped at destroy */
	struct vfioiommu_ring *region_next;  /* the device's list of such rings (ctx->lock) */
	char layout[256];
};

/* ---- index arithmetic ---- */

/*
 * Slot of idx + n given the slot of idx (n <= size).  By the layout's rule a
 * slot is index % size on the u32 index, so crossing 2^32 restarts at the
 * remainder rather than continuing: that is the rare path.
 */
static inline uint32_t vi_ring_slot_add(uint32_t idx, uint32_t slot, uint32_t n, uint32_t size)
{
	uint32_t to = idx + n;
	uint64_t s;

	if (to < idx)
		return to % size;
	s = (uint64_t)slot + n;
	return (uint32_t)(s >= size ? s - size : s);
}

static inline uint32_t vi_ring_slot_next(uint32_t idx, uint32_t slot, uint32_t size)
{
	if (idx + 1 == 0)
		return 0;
	return slot + 1 == size ? 0 : slot + 1;
}

static inline const struct vfioiommu_fault *vi_ring_rec(const unsigned char *recs, uint32_t slot)
{
	return (const struct vfioiommu_fault *)(const void *)(recs + (size_t)slot * VI_RING_REC);
}

/*
 * Records the producer may write now, given cons.  Besides the usual
 * size - in_flight: when size is not a power of two, the first r = 2^32 % size
 * indices after the wrap (the "zone" [0, r)) reuse the slots of the r indices
 * just before it, so writing index j < r needs index j - r consumed, i.e.
 * fewer than r records in flight at that point.
 * The result is the distance from prod to the first index that may not be
 * written yet, which does not move while prod does: the producer caches
 * prod + room as its limit and re-reads cons only when it runs into it.
 */
static inline uint32_t vi_ring_room(const struct vi_ring_prod *p, uint32_t cons)
{
	uint32_t r = p->wrap_r, d0 = p->prod - cons, k = p->size - d0, t0;

	if (r == 0)
		return k;
	if (p->prod < r) {
		/* inside the zone: only records still in flight from before the wrap matter */
		if (d0 <= p->prod)
			return k;
		return d0 >= r ? 0 : (r - d0 < k ? r - d0 : k);
	}
	t0 = 0u - p->prod; /* records that still fit before index 0 */
	if (t0 >= k)
		return k;
	if ((uint64_t)d0 + t0 >= r)
		return t0;
	return r - d0 < k ? r - d0 : k;
}

/* ---- consumer fast path ---- */

/* Re-read and validate prod.  Returns records ready (>= 0) or -EPROTO. */
int64_t vi_ring_cons_refresh(struct vfioiommu_ring *r);

/* Records ready; reads the shared prod only when fewer than want are known. */
static inline int64_t vi_ring_cons_ready(struct vfioiommu_ring *r, uint32_t want)
{
	uint32_t avail = r->c.prod_seen - r->c.cons;

	if (avail >= want && avail)
		return avail;
	return vi_ring_cons_refresh(r);
}

static inline bool vi_ring_failed(const struct vfioiommu_ring *r)
{
	return atomic_load_explicit(&r->err, memory_order_relaxed) != 0;
}

/* ---- producer (the pump uses these) ---- */

/* push without argument checks; returns stored count or -EPROTO */
int vi_ring_push(struct vfioiommu_ring *r, const struct vfioiommu_fault *recs, unsigned int n);
/* reserve with a LOST record owed, too little cached room, or across 2^32 */
int vi_ring_reserve_general(struct vfioiommu_ring *r, struct vfioiommu_fault **slots, unsigned int max);
/* write to the consumer's eventfd when it armed the wakeup */
void vi_ring_signal_consumer(struct vi_ring_prod *p);

/* Count `wrote` records as produced and make everything up to p->prod visible. */
static inline void vi_ring_publish(struct vi_ring_prod *p, uint32_t wrote)
{
	/* read once, before the stores below (the build has -fno-strict-aliasing: they would force a reload) */
	const uint32_t prod = p->prod;

	atomic_store_explicit(&p->produced, atomic_load_explicit(&p->produced, memory_order_relaxed) + wrote,
			      memory_order_relaxed);
	if (p->evfd < 0) {
		/* RELEASE: pairs with the consumer's ACQUIRE load of prod in vi_ring_cons_refresh(); the
		 * records (copied by push, or written by the caller into reserved slots) are visible first */
		atomic_store_explicit(p->prod_p, prod, memory_order_release);
		return;
	}
	/* SEQ_CST (also a release for the records): pairs with prepare_wait's
	 * SEQ_CST store of wake and load of prod, and with the ACQUIRE in refresh */
	atomic_store_explicit(p->prod_p, prod, memory_order_seq_cst);
	/* SEQ_CST: pairs with prepare_wait's SEQ_CST store of wake (the other half of the Dekker pair) */
	if (atomic_load_explicit(p->wake_p, memory_order_seq_cst))
		vi_ring_signal_consumer(p);
}


/*
 * vfioiommu_ring_reserve() without the argument checks (the ring not in
 * error): inline for the pump, which reserves on every run.  Common case:
 * nothing owed, the cached limit has room for all of max, no 2^32 crossing;
 * free of calls, so with a record or two the producer's own bookkeeping
 * stays a few stores.
 */
static inline int vi_ring_reserve(struct vfioiommu_ring *r, struct vfioiommu_fault **slots, unsigned int max)
{
	struct vi_ring_prod *p = &r->p;
	uint32_t slot, size;
	unsigned char *base;

	if (p->pending_lost || p->limit - p->prod < max || (uint32_t)(p->prod + max) <= p->prod)
		return vi_ring_reserve_general(r, slots, max);
	slot = p->slot;
	size = p->size;
	base = p->recs;
	for (uint32_t i = 0; i < max; i++) {
		slots[i] = (struct vfioiommu_fault *)(void *)(base + (size_t)slot * VI_RING_REC);
		if (++slot == size)
			slot = 0;
	}
	p->resv_end = p->prod + max;
	return (int)max;
}

/* vfioiommu_ring_commit() of 0 < n <= reserved slots, without the checks */
static inline void vi_ring_commit(struct vfioiommu_ring *r, uint32_t n)
{
	struct vi_ring_prod *p = &r->p;

	p->slot = vi_ring_slot_add(p->prod, p->slot, n, p->size);
	p->prod += n;
	vi_ring_publish(p, n);
}

/*
 * The pump's producer path, without a pointer per slot.  Slots it may fill
 * from the cached limit alone: > 0 when the ring is not in error, nothing is
 * owed and the cached room does not reach across 2^32, *slot then the first
 * of them (the others follow it modulo the size); fill any k of them, then
 * vi_ring_commit_run().  0: use vfioiommu_ring_room() (which re-reads cons)
 * and vi_ring_reserve_general().  The cached room can be less than the real
 * one (the consumer may have moved on since): a caller that found nothing
 * fitting asks vfioiommu_ring_room() for a fresh figure.
 */
static inline uint32_t vi_ring_prod_run(struct vfioiommu_ring *r, uint32_t *slot)
{
	struct vi_ring_prod *p = &r->p;
	uint32_t room = p->limit - p->prod;

	if (vi_ring_failed(r) || p->pending_lost || (uint32_t)(p->prod + room) <= p->prod)
		return 0;
	*slot = p->slot;
	return room;
}

static inline struct vfioiommu_fault *vi_ring_slot_ptr(const struct vfioiommu_ring *r, uint32_t slot)
{
	return (struct vfioiommu_fault *)(void *)(r->p.recs + (size_t)slot * VI_RING_REC);
}

/* Publish n slots filled after vi_ring_prod_run(); next: the slot after the last one written. */
static inline void vi_ring_commit_run(struct vfioiommu_ring *r, uint32_t n, uint32_t next)
{
	struct vi_ring_prod *p = &r->p;
	const uint32_t prod = p->prod + n;

	p->slot = next;
	p->prod = prod;
	/* the slots of an uncommitted reservation were written over: it ends (as push does) */
	p->resv_end = prod;
	vi_ring_publish(p, n);
}

/* Enter the error state (first error wins); returns -EPROTO. */
int vi_ring_fail(struct vfioiommu_ring *r, const char *fmt, ...) VFIOIOMMU_PRINTF(2, 3);

#endif
