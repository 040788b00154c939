/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * The fault ring: attach/create, the validated consumer, the producer and the
 * eventfd wakeup protocol.  Orderings, each paired with its partner:
 *   producer: records written (copied by push, or by the caller into the
 *             slots reserve handed out), then prod stored RELEASE (publish)
 *             -> consumer loads prod ACQUIRE (refresh), then reads records;
 *   consumer: records read, then cons stored RELEASE (advance)
 *             -> producer loads cons ACQUIRE (refresh), then reuses slots;
 *   wakeup:   consumer stores wake=1 SEQ_CST then loads prod SEQ_CST;
 *             producer stores prod SEQ_CST then loads wake SEQ_CST.
 *             In the single total order one store precedes the other's load,
 *             so one side always sees the other (no lost wakeup).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include <vfioiommu/context.h>
#include <vfioiommu/device.h>

#include "core/internal.h"
#include "ring.h"

static _Thread_local char tls_attach_msg[VI_MSG_MAX];

static int attach_fail(int err, const char *fmt, ...) VFIOIOMMU_PRINTF(2, 3);
static int attach_fail(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(tls_attach_msg, sizeof(tls_attach_msg), fmt, ap);
	va_end(ap);
	return err;
}

int vi_ring_fail(struct vfioiommu_ring *r, const char *fmt, ...)
{
	va_list ap;

	/* Either side may fail at once; the first message stays. */
	if (atomic_flag_test_and_set_explicit(&r->err_claimed, memory_order_relaxed))
		return -EPROTO;
	va_start(ap, fmt);
	vsnprintf(r->msg, sizeof(r->msg), fmt, ap);
	va_end(ap);
	/* RELEASE: pairs with the ACQUIRE load in vfioiommu_ring_strerror(), so msg is complete */
	atomic_store_explicit(&r->err, -EPROTO, memory_order_release);
	if (r->ctx)
		vi_fail(r->ctx, -EPROTO, "%s", r->msg);
	return -EPROTO;
}

static inline _Atomic uint32_t *at32(void *mem, size_t off)
{
	return (_Atomic uint32_t *)(void *)((unsigned char *)mem + off);
}

static uint32_t peek32(void *mem, size_t off)
{
	/* Other writers may be live: read each header word once, atomically. */
	return atomic_load_explicit(at32(mem, off), memory_order_relaxed);
}

static void format_header(void *mem, size_t len, unsigned int flags, uint32_t size)
{
	if (flags & VFIOIOMMU_RING_SPLIT) {
		memset(mem, 0, VFIOIOMMU_RING_SPLIT_HDR);
		atomic_store_explicit(at32(mem, VI_SPLIT_OFF_MAGIC), VI_SPLIT_MAGIC, memory_order_relaxed);
		atomic_store_explicit(at32(mem, VI_SPLIT_OFF_VERSION), VI_SPLIT_VERSION, memory_order_relaxed);
		atomic_store_explicit(at32(mem, VI_SPLIT_OFF_SIZE), size, memory_order_relaxed);
		atomic_store_explicit(at32(mem, VI_SPLIT_OFF_RECOFF), VFIOIOMMU_RING_SPLIT_HDR, memory_order_relaxed);
		atomic_store_explicit(at32(mem, VI_SPLIT_OFF_RECSIZE), VI_RING_REC, memory_order_relaxed);
	} else {
		atomic_store_explicit(at32(mem, VI_COMPAT_SIZE), size, memory_order_relaxed);
		atomic_store_explicit(at32(mem, VI_COMPAT_PROD), 0, memory_order_relaxed);
		atomic_store_explicit(at32(mem, VI_COMPAT_CONS), 0, memory_order_relaxed);
		atomic_store_explicit(at32(mem, VI_COMPAT_WAKE), 0, memory_order_relaxed);
	}
	(void)len;
}

static size_t hdr_len(unsigned int flags)
{
	return (flags & VFIOIOMMU_RING_SPLIT) ? VFIOIOMMU_RING_SPLIT_HDR : VFIOIOMMU_RING_COMPAT_HDR;
}

static void describe(struct vfioiommu_ring *r, uint32_t size)
{
	char slots[96];

	if (r->p.wrap_r)
		snprintf(slots, sizeof(slots), "slot = index %% %" PRIu32 " kept incrementally, at most %" PRIu32
			 " in flight across the 2^32 wrap", size, r->p.wrap_r);
	else
		snprintf(slots, sizeof(slots), "slot = index & %" PRIu32, size - 1);
	if (r->flags & VFIOIOMMU_RING_SPLIT)
		snprintf(r->layout, sizeof(r->layout),
			 "split: header@0 prod@%d cons@%d wake@%d (each alone in a 128-byte block), "
			 "%" PRIu32 " records x 64 B @%u (64-byte aligned); %s",
			 VI_SPLIT_PROD, VI_SPLIT_CONS, VI_SPLIT_WAKE, size, VFIOIOMMU_RING_SPLIT_HDR, slots);
	else
		snprintf(r->layout, sizeof(r->layout),
			 "compat: size@0 prod@4 cons@8 wake@12 on one cache line, "
			 "%" PRIu32 " records x 64 B @16 (each straddles two lines); %s", size, slots);
}

/* Validate the header and build the handle.  Messages go to the thread's attach slot. */
static int setup(void *mem, size_t len, unsigned int flags, uint32_t init_size, struct vfioiommu_ring **out)
{
	struct vfioiommu_ring *r;
	size_t hl = hdr_len(flags);
	uint32_t size, prod, cons;
	size_t prod_off, cons_off, wake_off;

	if (flags & VFIOIOMMU_RING_INIT) {
		uint64_t fit = (len - hl) / VI_RING_REC;
		if (!init_size)
			init_size = fit > UINT32_MAX ? UINT32_MAX : (uint32_t)fit;
		format_header(mem, len, flags, init_size);
	}
	if (flags & VFIOIOMMU_RING_SPLIT) {
		uint32_t magic = peek32(mem, VI_SPLIT_OFF_MAGIC), ver = peek32(mem, VI_SPLIT_OFF_VERSION);
		uint32_t off = peek32(mem, VI_SPLIT_OFF_RECOFF), rs = peek32(mem, VI_SPLIT_OFF_RECSIZE);
		if (magic != VI_SPLIT_MAGIC || ver != VI_SPLIT_VERSION)
			return attach_fail(-EPROTO, "ring: not a split-layout ring (magic 0x%08" PRIx32
					   ", version %" PRIu32 "; want 0x%08x, %u)", magic, ver,
					   VI_SPLIT_MAGIC, VI_SPLIT_VERSION);
		if (off != VFIOIOMMU_RING_SPLIT_HDR || rs != VI_RING_REC)
			return attach_fail(-EPROTO, "ring: split header says records of %" PRIu32 " bytes at offset %"
					   PRIu32 "; want %u at %u", rs, off, VI_RING_REC, VFIOIOMMU_RING_SPLIT_HDR);
		size = peek32(mem, VI_SPLIT_OFF_SIZE);
		prod_off = VI_SPLIT_PROD;
		cons_off = VI_SPLIT_CONS;
		wake_off = VI_SPLIT_WAKE;
	} else {
		size = peek32(mem, VI_COMPAT_SIZE);
		prod_off = VI_COMPAT_PROD;
		cons_off = VI_COMPAT_CONS;
		wake_off = VI_COMPAT_WAKE;
	}
	if (size == 0)
		return attach_fail(-EPROTO, "ring: header size is 0 records");
	if ((uint64_t)size > (len - hl) / VI_RING_REC)
		return attach_fail(-EPROTO, "ring: header size %" PRIu32 " needs %" PRIu64
				   " bytes but the mapping has %zu", size, (uint64_t)size * VI_RING_REC + hl, len);
	/* ACQUIRE: pairs with the RELEASE stores of prod in vi_ring_push() and of cons in
	 * cons_commit() by whoever used the ring before: records up to prod are visible */
	prod = atomic_load_explicit(at32(mem, prod_off), memory_order_acquire);
	cons = atomic_load_explicit(at32(mem, cons_off), memory_order_acquire);
	if (prod - cons > size)
		return attach_fail(-EPROTO, "ring: prod %" PRIu32 " is %" PRIu32 " records ahead of cons %" PRIu32
				   " but the ring holds %" PRIu32, prod, prod - cons, cons, size);

	r = aligned_alloc(_Alignof(struct vfioiommu_ring), sizeof(*r));
	if (!r)
		return attach_fail(-ENOMEM, "ring: out of memory");
	memset(r, 0, sizeof(*r));
	atomic_flag_clear(&r->err_claimed);
	r->flags = flags & VFIOIOMMU_RING_SPLIT;
	r->mem = mem;
	r->len = len;
	r->memfd = -1;
	r->evfd = -1;
	r->door = vfioiommu_door_system();

	r->c.cons = cons;
	r->c.prod_seen = prod;
	r->c.slot = cons % size;
	r->c.size = size;
	r->c.recs = (unsigned char *)mem + hl;
	r->c.prod_p = at32(mem, prod_off);
	r->c.cons_p = at32(mem, cons_off);
	r->c.wake_p = at32(mem, wake_off);
	/* split rings are ours (the size sits on a line of its own, not worth a miss per refresh) */
	r->c.size_p = (flags & VFIOIOMMU_RING_SPLIT) ? NULL : at32(mem, VI_COMPAT_SIZE);

	r->p.prod = prod;
	r->p.cons_seen = cons;
	r->p.slot = prod % size;
	r->p.size = size;
	r->p.wrap_r = (uint32_t)((UINT64_C(1) << 32) % size);
	r->p.limit = prod + vi_ring_room(&r->p, cons);
	r->p.resv_end = prod;
	r->p.evfd = -1;
	r->p.recs = r->c.recs;
	r->p.prod_p = r->c.prod_p;
	r->p.cons_p = r->c.cons_p;
	r->p.wake_p = r->c.wake_p;
	r->p.overflow_p = (flags & VFIOIOMMU_RING_SPLIT) ?
		(_Atomic uint64_t *)(void *)((unsigned char *)mem + VI_SPLIT_OVERFLOW) : NULL;
	r->p.door = r->door;
	describe(r, size);
	*out = r;
	return 0;
}

VFIOIOMMU_API int vfioiommu_ring_attach(void *mem, size_t len, unsigned int flags, vfioiommu_ring **out)
{
	if (out)
		*out = NULL;
	if (!mem || !out)
		return attach_fail(-EINVAL, "ring: NULL %s", mem ? "out" : "mem");
	if (flags & ~(unsigned int)(VFIOIOMMU_RING_SPLIT | VFIOIOMMU_RING_INIT))
		return attach_fail(-EINVAL, "ring: unknown flags 0x%x", flags);
	if ((uintptr_t)mem % 8)
		return attach_fail(-EINVAL, "ring: mapping %p is not 8-byte aligned", mem);
	if (len < hdr_len(flags) + VI_RING_REC)
		return attach_fail(-EINVAL, "ring: mapping of %zu bytes cannot hold the %zu-byte header and one record",
				   len, hdr_len(flags));
	return setup(mem, len, flags, 0, out);
}

VFIOIOMMU_API int vfioiommu_ring_create(vfioiommu_ctx *ctx, unsigned int nrecords, vfioiommu_ring **out)
{
	long pg = sysconf(_SC_PAGESIZE);
	size_t len;
	void *mem;
	int fd, evfd, rc;

	if (out)
		*out = NULL;
	if (!ctx || !out)
		return ctx ? vi_fail(ctx, -EINVAL, "ring: NULL out") : -EINVAL;
	if (nrecords == 0 || nrecords > VI_RING_MAX_CREATE)
		return vi_fail(ctx, -EINVAL, "ring: %u records requested; 1 to %u allowed", nrecords,
			       VI_RING_MAX_CREATE);
	if (pg <= 0)
		pg = 4096;
	len = VFIOIOMMU_RING_SPLIT_HDR + (size_t)nrecords * VI_RING_REC;
	len = (len + (size_t)pg - 1) / (size_t)pg * (size_t)pg;

	fd = ctx->door->memfd(ctx->door->priv, "vfioiommu-ring", 0, len);
	if (fd < 0)
		return vi_fail(ctx, fd, "ring: creating a %zu-byte memfd failed: %s", len, vi_errno_name(fd));
	mem = vi_kmmap(ctx, NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0, &rc);
	if (!mem) {
		vi_kclose(ctx, fd);
		return vi_fail(ctx, rc, "ring: mapping the %zu-byte memfd failed: %s", len, vi_errno_name(rc));
	}
	evfd = vi_keventfd(ctx, 0, EFD_NONBLOCK);
	if (evfd < 0) {
		rc = evfd;
		vi_kmunmap(ctx, mem, len);
		vi_kclose(ctx, fd);
		return vi_fail(ctx, rc, "ring: creating the wakeup eventfd failed: %s", vi_errno_name(rc));
	}
	rc = setup(mem, len, VFIOIOMMU_RING_SPLIT | VFIOIOMMU_RING_INIT, nrecords, out);
	if (rc < 0) {
		vi_kclose(ctx, evfd);
		vi_kmunmap(ctx, mem, len);
		vi_kclose(ctx, fd);
		return vi_fail(ctx, rc, "%s", tls_attach_msg);
	}
	(*out)->ctx = ctx;
	(*out)->door = ctx->door;
	(*out)->p.door = ctx->door;
	(*out)->memfd = fd;
	(*out)->evfd = evfd;
	(*out)->p.evfd = evfd;
	(*out)->evfd_owned = true;
	return 0;
}

VFIOIOMMU_API void vfioiommu_ring_destroy(vfioiommu_ring *r)
{
	if (!r)
		return;
	if (r->ctx) {
		/* teardown ignores close/munmap errors: nothing useful can be done with them */
		if (r->evfd_owned)
			vi_kclose(r->ctx, r->evfd);
		/* munmap of a whole mapping we made releases it even when it reports an error */
		vi_kmunmap(r->ctx, r->mem, r->len);
		vi_kclose(r->ctx, r->memfd);
	}
	if (r->release)
		r->release(r);
	free(r);
}

VFIOIOMMU_API int vfioiommu_ring_fd(const vfioiommu_ring *r)
{
	if (!r)
		return -EINVAL;
	return r->memfd >= 0 ? r->memfd : -ENOENT;
}

VFIOIOMMU_API size_t vfioiommu_ring_map_size(const vfioiommu_ring *r)
{
	return r ? r->len : 0;
}

VFIOIOMMU_API unsigned int vfioiommu_ring_capacity(const vfioiommu_ring *r)
{
	return r ? r->c.size : 0;
}

VFIOIOMMU_API const char *vfioiommu_ring_layout(const vfioiommu_ring *r)
{
	return r ? r->layout : "";
}

VFIOIOMMU_API int vfioiommu_ring_eventfd(const vfioiommu_ring *r)
{
	if (!r)
		return -EINVAL;
	return r->evfd >= 0 ? r->evfd : -ENOENT;
}

VFIOIOMMU_API int vfioiommu_ring_set_eventfd(vfioiommu_ring *r, int fd)
{
	if (!r || r->evfd_owned)
		return -EINVAL;
	r->evfd = fd < 0 ? -1 : fd;
	r->p.evfd = r->evfd;
	return 0;
}

/* ---- consumer ---- */

static int64_t cons_check(struct vfioiommu_ring *r, uint32_t p)
{
	uint32_t ahead = p - r->c.cons;

	/* prod in [the last prod seen, cons + size], the same check as the inline view's */
	if (VI_UNLIKELY(!vfioiommu_ring_index_in_(p, r->c.prod_seen, r->c.cons + r->c.size))) {
		if (ahead <= r->c.size || (int32_t)(p - r->c.prod_seen) < 0)
			return vi_ring_fail(r, "ring: prod moved backwards from %" PRIu32 " to %" PRIu32
					    " (cons %" PRIu32 ")", r->c.prod_seen, p, r->c.cons);
		return vi_ring_fail(r, "ring: prod %" PRIu32 " is %" PRIu32 " records ahead of cons %" PRIu32
				    " but the ring holds %" PRIu32, p, ahead, r->c.cons, r->c.size);
	}
	r->c.prod_seen = p;
	return ahead;
}

int64_t vi_ring_cons_refresh(struct vfioiommu_ring *r)
{
	uint32_t p;

	if (vi_ring_failed(r))
		return -EPROTO;
	/* ACQUIRE: pairs with the producer's RELEASE (or SEQ_CST) store of prod in vi_ring_push() */
	p = atomic_load_explicit(r->c.prod_p, memory_order_acquire);
	/*
	 * RELAXED: a producer never rewrites size, so there is no store to pair
	 * with; any change is a broken producer.  Reads stay inside the mapping
	 * either way (the size read at attach bounds them).
	 */
	if (r->c.size_p && VI_UNLIKELY(atomic_load_explicit(r->c.size_p, memory_order_relaxed) != r->c.size))
		return vi_ring_fail(r, "ring: the header's size changed from %" PRIu32 " to %" PRIu32
				    " records after attach", r->c.size,
				    atomic_load_explicit(r->c.size_p, memory_order_relaxed));
	return cons_check(r, p);
}

VFIOIOMMU_API int vfioiommu_ring_peek(vfioiommu_ring *r, const struct vfioiommu_fault **rec)
{
	int64_t n;

	if (!r || !rec)
		return -EINVAL;
	if (vi_ring_failed(r))
		return -EPROTO;
	n = vi_ring_cons_ready(r, 1);
	if (n <= 0)
		return n < 0 ? (int)n : -EAGAIN;
	*rec = vi_ring_rec(r->c.recs, r->c.slot);
	return 0;
}

/* Pointers to the n records from cons on (n <= ready). */
static inline void peek_fill(const struct vfioiommu_ring *r, const struct vfioiommu_fault **recs, uint32_t n)
{
	uint32_t idx = r->c.cons, slot = r->c.slot, size = r->c.size;
	const unsigned char *base = r->c.recs;

	if ((uint32_t)(idx + n) > idx) {
		/* not crossing 2^32 (all but once in 2^32 records): slots simply wrap at size */
		for (uint32_t i = 0; i < n; i++) {
			recs[i] = vi_ring_rec(base, slot);
			if (++slot == size)
				slot = 0;
		}
		return;
	}
	for (uint32_t i = 0; i < n; i++) {
		recs[i] = vi_ring_rec(base, slot);
		slot = vi_ring_slot_next(idx++, slot, size);
	}
}

/* peek_batch when fewer than max are known ready: re-read prod (out of line, as for the producer) */
VI_NOINLINE static int peek_batch_general(vfioiommu_ring *r, const struct vfioiommu_fault **recs,
							 unsigned int max)
{
	int64_t avail = vi_ring_cons_refresh(r);
	uint32_t n;

	if (avail < 0)
		return (int)avail;
	n = (uint64_t)avail < max ? (uint32_t)avail : max;
	if (n > INT32_MAX)
		n = INT32_MAX;
	peek_fill(r, recs, n);
	return (int)n;
}

VFIOIOMMU_API int vfioiommu_ring_peek_batch(vfioiommu_ring *r, const struct vfioiommu_fault **recs,
					    unsigned int max)
{
	uint32_t avail;

	if (!r || (!recs && max))
		return -EINVAL;
	if (vi_ring_failed(r))
		return -EPROTO;
	/* reads the shared prod only when fewer than max are known to be ready */
	avail = r->c.prod_seen - r->c.cons;
	if (avail < max || !avail || max > INT32_MAX)
		return peek_batch_general(r, recs, max);
	peek_fill(r, recs, max);
	return (int)max;
}

VFIOIOMMU_API int vfioiommu_ring_at(vfioiommu_ring *r, unsigned int i, const struct vfioiommu_fault **rec)
{
	int64_t avail;

	if (!r || !rec)
		return -EINVAL;
	if (vi_ring_failed(r))
		return -EPROTO;
	if (i < r->c.prod_seen - r->c.cons) {
		*rec = vi_ring_rec(r->c.recs, vi_ring_slot_add(r->c.cons, r->c.slot, i, r->c.size));
		return 0;
	}
	avail = vi_ring_cons_refresh(r);
	if (avail < 0)
		return (int)avail;
	if ((uint64_t)i >= (uint64_t)avail)
		return -EAGAIN;
	*rec = vi_ring_rec(r->c.recs, vi_ring_slot_add(r->c.cons, r->c.slot, i, r->c.size));
	return 0;
}

static void cons_commit(struct vfioiommu_ring *r, uint32_t n, uint32_t slot, uint64_t lost)
{
	r->c.cons += n;
	r->c.slot = slot;
	atomic_store_explicit(&r->c.consumed, atomic_load_explicit(&r->c.consumed, memory_order_relaxed) + n,
			      memory_order_relaxed);
	if (lost)
		atomic_store_explicit(&r->c.lost, atomic_load_explicit(&r->c.lost, memory_order_relaxed) + lost,
				      memory_order_relaxed);
	/* RELEASE: pairs with the producer's ACQUIRE load of cons in prod_refresh(); our reads of the slots are done */
	atomic_store_explicit(r->c.cons_p, r->c.cons, memory_order_release);
}

VFIOIOMMU_API int vfioiommu_ring_advance(vfioiommu_ring *r, unsigned int n)
{
	uint32_t idx, slot, size;
	uint64_t lost = 0;

	if (!r)
		return -EINVAL;
	if (vi_ring_failed(r))
		return -EPROTO;
	if (n > r->c.prod_seen - r->c.cons)
		return -EINVAL;
	idx = r->c.cons;
	slot = r->c.slot;
	size = r->c.size;
	if ((uint32_t)(idx + n) > idx) {
		for (uint32_t i = 0; i < n; i++) {
			const struct vfioiommu_fault *f = vi_ring_rec(r->c.recs, slot);
			if (f->kind == VFIOIOMMU_FAULT_LOST)
				lost += f->lost;
			if (++slot == size)
				slot = 0;
		}
	} else {
		for (uint32_t i = 0; i < n; i++) {
			const struct vfioiommu_fault *f = vi_ring_rec(r->c.recs, slot);
			if (f->kind == VFIOIOMMU_FAULT_LOST)
				lost += f->lost;
			slot = vi_ring_slot_next(idx++, slot, size);
		}
	}
	cons_commit(r, n, slot, lost);
	return 0;
}

VFIOIOMMU_API int vfioiommu_ring_copy(vfioiommu_ring *r, struct vfioiommu_fault *out, unsigned int max)
{
	uint32_t idx, slot, size, n;
	uint64_t lost = 0;
	int64_t avail;

	if (!r || (!out && max))
		return -EINVAL;
	if (vi_ring_failed(r))
		return -EPROTO;
	avail = vi_ring_cons_ready(r, max);
	if (avail < 0)
		return (int)avail;
	n = (uint64_t)avail < max ? (uint32_t)avail : max;
	if (n > INT32_MAX)
		n = INT32_MAX;
	idx = r->c.cons;
	slot = r->c.slot;
	size = r->c.size;
	for (uint32_t i = 0; i < n; i++) {
		memcpy(&out[i], vi_ring_rec(r->c.recs, slot), sizeof(out[i]));
		/* count from the copy: the ring's bytes may change under us */
		if (out[i].kind == VFIOIOMMU_FAULT_LOST)
			lost += out[i].lost;
		slot = vi_ring_slot_next(idx++, slot, size);
	}
	cons_commit(r, n, slot, lost);
	return (int)n;
}

VFIOIOMMU_API int vfioiommu_ring_ready(vfioiommu_ring *r)
{
	int64_t n;

	if (!r)
		return -EINVAL;
	n = vi_ring_cons_refresh(r);
	return n > INT32_MAX ? INT32_MAX : (int)n;
}

VFIOIOMMU_API int vfioiommu_ring_prepare_wait(vfioiommu_ring *r)
{
	int64_t n;
	uint32_t p;

	if (!r)
		return -EINVAL;
	if (r->evfd < 0)
		return -ENOENT;
	n = vi_ring_cons_refresh(r);
	if (n != 0)
		return n > INT32_MAX ? INT32_MAX : (int)n;
	/* SEQ_CST: pairs with the producer's SEQ_CST load of wake in vi_ring_push() */
	atomic_store_explicit(r->c.wake_p, 1, memory_order_seq_cst);
	/* SEQ_CST: pairs with the producer's SEQ_CST store of prod (and, being an acquire, makes the records visible) */
	p = atomic_load_explicit(r->c.prod_p, memory_order_seq_cst);
	n = cons_check(r, p);
	if (n != 0) {
		atomic_store_explicit(r->c.wake_p, 0, memory_order_relaxed);
		return n > INT32_MAX ? INT32_MAX : (int)n;
	}
	return 0;
}

/* Disarm, then drain the eventfd.  known_readable: poll already said so. */
static int disarm(struct vfioiommu_ring *r, bool known_readable)
{
	uint64_t v;
	ssize_t got;

	/* relaxed: a signal that races with this only leaves a count behind: one spurious wakeup */
	atomic_store_explicit(r->c.wake_p, 0, memory_order_relaxed);
	if (!known_readable && !r->evfd_owned) {
		/* the caller's fd may be blocking: read only what poll says is there */
		struct pollfd pfd = { .fd = r->evfd, .events = POLLIN };
		int prc = r->door->poll(r->door->priv, &pfd, 1, 0);
		if (prc <= 0 || !(pfd.revents & POLLIN))
			return prc < 0 ? prc : 0;
	}
	got = r->door->read(r->door->priv, r->evfd, &v, sizeof(v));
	return got < 0 && got != -EAGAIN ? (int)got : 0;
}

VFIOIOMMU_API int vfioiommu_ring_finish_wait(vfioiommu_ring *r)
{
	if (!r)
		return -EINVAL;
	if (r->evfd < 0)
		return -ENOENT;
	return disarm(r, false);
}

VFIOIOMMU_API int vfioiommu_ring_wait(vfioiommu_ring *r, int timeout_ms)
{
	struct pollfd pfd;
	int rc, prc;

	rc = vfioiommu_ring_prepare_wait(r);
	if (rc != 0)
		return rc;
	pfd.fd = r->evfd;
	pfd.events = POLLIN;
	pfd.revents = 0;
	prc = r->door->poll(r->door->priv, &pfd, 1, timeout_ms);
	if (prc < 0) {
		atomic_store_explicit(r->c.wake_p, 0, memory_order_relaxed);
		return prc;
	}
	if (prc > 0 && (pfd.revents & POLLIN))
		rc = disarm(r, true);
	else
		atomic_store_explicit(r->c.wake_p, 0, memory_order_relaxed);
	if (rc < 0)
		return rc;
	return vfioiommu_ring_ready(r);
}

/* ---- producer ---- */

static int prod_refresh(struct vfioiommu_ring *r)
{
	struct vi_ring_prod *p = &r->p;
	/* ACQUIRE: pairs with the consumer's RELEASE store of cons in cons_commit(); it is done with those slots */
	uint32_t c = atomic_load_explicit(p->cons_p, memory_order_acquire);

	if (!vfioiommu_ring_index_in_(c, p->cons_seen, p->prod))
		return vi_ring_fail(r, "ring: cons %" PRIu32 " is outside [%" PRIu32 ", %" PRIu32
				    "] (last cons seen, prod)", c, p->cons_seen, p->prod);
	p->cons_seen = c;
	p->limit = p->prod + vi_ring_room(p, c);
	return 0;
}

/*
 * Free slots from prod on, re-reading cons only when the cached limit leaves
 * fewer than want (or none): as long as the consumer keeps up, the producer
 * reads the consumer's line once per lap rather than once per push.
 */
static int64_t prod_room(struct vfioiommu_ring *r, uint32_t want)
{
	struct vi_ring_prod *p = &r->p;
	uint32_t room = p->limit - p->prod;

	if (room >= want && room)
		return room;
	if (prod_refresh(r) < 0)
		return -EPROTO;
	return p->limit - p->prod;
}

/* One record at prod, the slow way: right across the 2^32 wrap too. */
static void put(struct vi_ring_prod *p, const struct vfioiommu_fault *f)
{
	memcpy(p->recs + (size_t)p->slot * VI_RING_REC, f, VI_RING_REC);
	p->slot = vi_ring_slot_next(p->prod++, p->slot, p->size);
}

void vi_ring_signal_consumer(struct vi_ring_prod *p)
{
	uint64_t one = 1;

	/* exchange so that one arming gets one write; a failed write (the fd is
	 * full or gone) cannot be reported from here, and the counter being full
	 * already means the consumer will wake */
	if (atomic_exchange_explicit(p->wake_p, 0, memory_order_relaxed))
		(void)p->door->write(p->door->priv, p->evfd, &one, sizeof(one));
}

/* Everything but the common case: a LOST record owed, too little room (drops), the 2^32 wrap, n = 0. */
VI_NOINLINE static int push_general(struct vfioiommu_ring *r, const struct vfioiommu_fault *recs, unsigned int n)
{
	struct vi_ring_prod *p = &r->p;
	uint32_t need = n, room, fit, drop, wrote = 0;
	int64_t got;

	if (p->pending_lost)
		need = n + 1u < n ? UINT32_MAX : n + 1u;
	got = prod_room(r, need);
	if (got < 0)
		return -EPROTO;
	room = (uint32_t)got;
	if (p->pending_lost && room) {
		struct vfioiommu_fault lost = { .kind = VFIOIOMMU_FAULT_LOST, .lost = p->pending_lost };
		put(p, &lost);
		p->pending_lost = 0;
		room--;
		wrote++;
	}
	/* still owing a LOST record: nothing may overtake it */
	fit = p->pending_lost ? 0 : (room < n ? room : n);
	for (uint32_t i = 0; i < fit; i++)
		put(p, &recs[i]);
	wrote += fit;
	drop = n - fit;
	if (drop) {
		uint64_t pl = (uint64_t)p->pending_lost + drop;
		uint64_t ov = atomic_load_explicit(&p->overflow, memory_order_relaxed) + drop;
		p->pending_lost = pl > UINT32_MAX ? UINT32_MAX : (uint32_t)pl;
		atomic_store_explicit(&p->overflow, ov, memory_order_relaxed);
		if (p->overflow_p)
			atomic_store_explicit(p->overflow_p, ov, memory_order_relaxed);
	}
	/* the slots of an uncommitted reservation may have been written over: it ends */
	p->resv_end = p->prod;
	if (wrote)
		vi_ring_publish(p, wrote);
	return (int)fit;
}

int vi_ring_push(struct vfioiommu_ring *r, const struct vfioiommu_fault *recs, unsigned int n)
{
	struct vi_ring_prod *p = &r->p;
	uint32_t slot, size;
	unsigned char *base;

	if (vi_ring_failed(r))
		return -EPROTO;
	/* common case: nothing owed, room known without reading cons, no 2^32 crossing, n > 0 */
	if (p->pending_lost || p->limit - p->prod < n || (uint32_t)(p->prod + n) <= p->prod)
		return push_general(r, recs, n);
	slot = p->slot;
	size = p->size;
	base = p->recs;
	for (uint32_t i = 0; i < n; i++) {
		memcpy(base + (size_t)slot * VI_RING_REC, &recs[i], VI_RING_REC);
		if (++slot == size)
			slot = 0;
	}
	p->slot = slot;
	p->prod += n;
	/* push wrote the slots an uncommitted reservation handed out: it ends */
	p->resv_end = p->prod;
	vi_ring_publish(p, n);
	return (int)n;
}

VFIOIOMMU_API int vfioiommu_ring_push(vfioiommu_ring *r, const struct vfioiommu_fault *recs, unsigned int n)
{
	if (!r || (!recs && n))
		return -EINVAL;
	if (n > INT32_MAX)
		n = INT32_MAX;
	return vi_ring_push(r, recs, n);
}

/* reserve with a LOST record owed, too little cached room, or across 2^32
 * (out of line: the common path then needs no registers saved) */
VI_NOINLINE int vi_ring_reserve_general(struct vfioiommu_ring *r, struct vfioiommu_fault **slots, unsigned int max)
{
	struct vi_ring_prod *p = &r->p;
	uint32_t n, idx, slot;
	int64_t room;

	if (p->pending_lost) {
		/* the LOST record goes (and is published) first: nothing may overtake it */
		int rc = push_general(r, NULL, 0);
		if (rc < 0)
			return rc;
		if (p->pending_lost)
			return 0; /* push_general ended any reservation */
	}
	if (max > INT32_MAX)
		max = INT32_MAX;
	room = prod_room(r, max);
	if (room < 0)
		return (int)room;
	n = (uint64_t)room < max ? (uint32_t)room : max;
	idx = p->prod;
	slot = p->slot;
	for (uint32_t i = 0; i < n; i++) {
		slots[i] = (struct vfioiommu_fault *)(void *)(p->recs + (size_t)slot * VI_RING_REC);
		slot = vi_ring_slot_next(idx++, slot, p->size);
	}
	p->resv_end = p->prod + n;
	return (int)n;
}

VFIOIOMMU_API int vfioiommu_ring_reserve(vfioiommu_ring *r, struct vfioiommu_fault **slots, unsigned int max)
{
	if (!r || (!slots && max))
		return -EINVAL;
	if (vi_ring_failed(r))
		return -EPROTO;
	return vi_ring_reserve(r, slots, max);
}

VFIOIOMMU_API int vfioiommu_ring_commit(vfioiommu_ring *r, unsigned int n)
{
	struct vi_ring_prod *p;

	if (!r)
		return -EINVAL;
	if (vi_ring_failed(r))
		return -EPROTO;
	p = &r->p;
	if (n > p->resv_end - p->prod)
		return -EINVAL;
	if (!n)
		return 0;
	vi_ring_commit(r, n);
	return 0;
}

VFIOIOMMU_API int vfioiommu_ring_room(vfioiommu_ring *r, unsigned int want)
{
	struct vi_ring_prod *p;
	uint32_t owed, room;

	if (!r)
		return -EINVAL;
	if (vi_ring_failed(r))
		return -EPROTO;
	p = &r->p;
	/* a pending LOST record takes a slot before anything else */
	owed = p->pending_lost ? 1 : 0;
	room = p->limit - p->prod;
	if (room < (uint64_t)want + owed || room == owed) {
		if (prod_refresh(r) < 0)
			return -EPROTO;
		room = p->limit - p->prod;
	}
	room = room > owed ? room - owed : 0;
	return room > INT32_MAX ? INT32_MAX : (int)room;
}

/* ---- state ---- */

VFIOIOMMU_API int vfioiommu_ring_error(const vfioiommu_ring *r)
{
	if (!r)
		return -EINVAL;
	return atomic_load_explicit(&r->err, memory_order_relaxed);
}

VFIOIOMMU_API const char *vfioiommu_ring_strerror(const vfioiommu_ring *r)
{
	if (!r)
		return tls_attach_msg;
	/* ACQUIRE: pairs with the RELEASE in vi_ring_fail(), so the message is complete */
	return atomic_load_explicit(&r->err, memory_order_acquire) ? r->msg : "";
}

VFIOIOMMU_API int vfioiommu_ring_stats(const vfioiommu_ring *r, struct vfioiommu_ring_stats *st)
{
	struct vfioiommu_ring_stats full = { .size = sizeof(full) };

	if (!r || !st || st->size < sizeof(full))
		return -EINVAL;
	/* relaxed: counters for reporting, ordered with nothing else */
	full.produced = atomic_load_explicit(&r->p.produced, memory_order_relaxed);
	full.consumed = atomic_load_explicit(&r->c.consumed, memory_order_relaxed);
	full.overflow = r->p.overflow_p ? atomic_load_explicit(r->p.overflow_p, memory_order_relaxed) :
		atomic_load_explicit(&r->p.overflow, memory_order_relaxed);
	full.lost = atomic_load_explicit(&r->c.lost, memory_order_relaxed);
	vi_copy_sized(st, &full, sizeof(full));
	return 0;
}

VFIOIOMMU_API const char *vfioiommu_fault_kind_name(uint32_t kind)
{
	switch (kind) {
	case VFIOIOMMU_FAULT_PAGE_REQ: return "page-req";
	case VFIOIOMMU_FAULT_UNRECOV: return "unrecov";
	case VFIOIOMMU_FAULT_VEVENT: return "vevent";
	case VFIOIOMMU_FAULT_LOST: return "lost";
	default: return "unknown";
	}
}
