/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/**
 * @file vfioiommu/ring.h
 * The fault ring: one lock-free single-producer / single-consumer ring with a
 * liburing-shaped consumer API (peek, peek_batch, for-each, advance).
 *
 * A ring lives either in memory the caller maps (vfioiommu_ring_attach(): a
 * device fault region, another process's ring, a test buffer) or in a memfd
 * the library creates (vfioiommu_ring_create()), which another process can map
 * through vfioiommu_ring_fd() and attach to.
 *
 * Typical consumer:
 * @code
 *   const struct vfioiommu_fault *rec;
 *   unsigned int n;
 *   for (;;) {
 *       int rc = vfioiommu_ring_wait(ring, -1);      // or epoll on vfioiommu_ring_eventfd()
 *       if (rc < 0 && rc != -EINTR)
 *           break;                                   // -EPROTO: vfioiommu_ring_strerror(ring)
 *       VFIOIOMMU_RING_FOR_EACH(ring, rec, n)
 *           handle(rec);
 *       vfioiommu_ring_advance(ring, n);
 *   }
 * @endcode
 *
 * Layouts.  Indices are free-running u32 counters (they wrap at 2^32); record
 * i lives in slot i % size.  Two layouts share that rule:
 *  - VFIOIOMMU_RING_COMPAT, the shared-region layout: a 16-byte header
 *    { u32 size; u32 prod; u32 cons; u32 wake; } then size records of 64 bytes
 *    from offset 16.  A 64 KiB region holds 1023 records.  "wake" is the
 *    header's reserved word; the library uses it for the wakeup protocol below.
 *  - VFIOIOMMU_RING_SPLIT, the layout of library-owned rings: the header on
 *    its own cache line, prod at offset 128, cons at 256, wake at 384, records
 *    from offset 512, 64-byte aligned.  Each index is alone in a 128-byte block
 *    (the unit the adjacent-line prefetcher pulls), so the producer and the
 *    consumer never write the same line, and records never straddle lines.
 *  The consumer API is the same for both.  vfioiommu_ring_layout() describes
 *  the one in use.
 *
 * Distrust.  The consumer never trusts the shared memory: the size is read
 * once at attach and checked against the mapping length; the consumer keeps
 * its own copies of size and cons; each refresh of prod is checked to lie in
 * [last prod seen, cons + size].  Anything else puts the ring in an error
 * state (-EPROTO with a message); no access ever leaves the mapping.  The
 * producer side checks cons the same way.  Records themselves can still be
 * rewritten by whoever else can write the memory while you read them: use
 * vfioiommu_ring_copy() to get a stable copy before validating one.
 *
 * Threads.  One thread at a time may call the consumer functions (peek*, at,
 * advance, copy, ready, *wait) and one thread at a time the producer functions
 * (push, reserve, commit, room);
 * the two sides may run at once, on one handle or on handles in different
 * processes mapping the same memory.  Everything else: no concurrent calls.
 *
 * Wakeups.  A consumer that wants to sleep arms "wake" and re-checks prod
 * (vfioiommu_ring_prepare_wait()); a producer publishes prod and then reads
 * "wake", and if it is set, clears it and adds 1 to the ring's eventfd.  Both
 * pairs are sequentially consistent, so either the consumer sees the new prod
 * or the producer sees the armed flag: no wakeup is lost.  A foreign producer
 * that does not follow this may instead signal the eventfd after every
 * publication (extra wakeups are harmless).  Spurious wakeups can happen.
 *
 * Wraparound of non-power-of-two rings.  2^32 is not a multiple of such a
 * size, so across the 2^32 wrap the slots of indices 2^32-r .. 2^32-1 (r =
 * 2^32 % size; 4 for 1023) are reused by indices 0 .. r-1.  The library's
 * producer therefore lets at most r records be in flight while it crosses
 * that point (a brief stall once every 2^32 records); the consumer needs
 * nothing special.
 */
#ifndef VFIOIOMMU_RING_H
#define VFIOIOMMU_RING_H

#include <stddef.h>
#include <stdint.h>

#include <vfioiommu/common.h>
#include <vfioiommu/fault.h>

VFIOIOMMU_BEGIN_DECLS

/** vfioiommu_ring_attach() flags. */
enum vfioiommu_ring_flags {
	/** The 16-byte-header layout (the default: 0). */
	VFIOIOMMU_RING_COMPAT = 0,
	/** The split layout of library-owned rings (a memfd from vfioiommu_ring_fd()). */
	VFIOIOMMU_RING_SPLIT = 1u << 0,
	/**
	 * Format the memory first: the largest size that fits, indices 0.  Only
	 * for memory nobody else uses yet.
	 */
	VFIOIOMMU_RING_INIT = 1u << 1,
};

/** Bytes before the first record in the COMPAT layout. */
#define VFIOIOMMU_RING_COMPAT_HDR 16u
/** Bytes before the first record in the SPLIT layout. */
#define VFIOIOMMU_RING_SPLIT_HDR 512u
/** The size of one record (struct vfioiommu_fault). */
#define VFIOIOMMU_RING_REC_SIZE 64u

/**
 * Attach to a ring in memory mapped by the caller (read-write; it must stay
 * mapped until vfioiommu_ring_destroy()).  Validates the header once: size
 * must be > 0 and fit the mapping, prod must be within size of cons (and, for
 * SPLIT, the magic and version must match).  The handle starts at the
 * header's cons (consumer) and prod (producer).  No syscall is made.
 *
 * @param mem   the mapping, 8-byte aligned
 * @param len   its length in bytes
 * @param flags enum vfioiommu_ring_flags
 * @param out   receives the ring; NULL on failure
 * @return 0; -EINVAL NULL @p mem or @p out, misaligned @p mem, @p len shorter
 * than the header plus one record, unknown flags; -EPROTO the header is
 * invalid (message from vfioiommu_ring_strerror(NULL) in this thread); -ENOMEM.
 */
VFIOIOMMU_API int vfioiommu_ring_attach(void *mem, size_t len, unsigned int flags, vfioiommu_ring **out);

/**
 * Attach to the fault ring in a device region: the region whose TYPE
 * capability says @p type / @p subtype, 64 KiB, mmappable whole, readable and
 * writable, holding the COMPAT layout.  Upstream Linux defines no such region
 * (the posted nested-fault series used type 2, which is CCW upstream, then
 * 4): the library never assumes a number, the caller gives the one its driver
 * uses.  The region is mapped through vfioiommu_region_mmap() and unmapped by
 * vfioiommu_ring_destroy().  Closing the device (or destroying its context)
 * first unmaps it under the ring: the ring then fails (-EPROTO, "device ...
 * was closed") and destroy only frees it; a consumer must not be running in
 * another thread across that close.  The size word is checked at every look
 * at prod: no producer rewrites it, so a change fails the ring.
 * @param dev     the device
 * @param type    the region's TYPE number (for a vendor type, 0x80000000 | PCI vendor id)
 * @param subtype the region's subtype
 * @param out     receives the ring; NULL on failure
 * @return 0; -EINVAL NULL argument; -ENOENT no region with that type (the
 * message lists the typed regions seen); -EOPNOTSUPP not mmappable whole;
 * -EACCES not read-write; -EPROTO the region is not 64 KiB or its header is
 * invalid; -ENOMEM; -errno from the region API.  Messages on the device's
 * context.
 */
VFIOIOMMU_API int vfioiommu_ring_attach_region(vfioiommu_device *dev, uint32_t type, uint32_t subtype,
	vfioiommu_ring **out);

/**
 * Create a library-owned ring (SPLIT layout) in a memfd mapped through the
 * context's door, plus a non-blocking eventfd for wakeups.  Another process
 * may map vfioiommu_ring_fd() (vfioiommu_ring_map_size() bytes, MAP_SHARED)
 * and attach with VFIOIOMMU_RING_SPLIT.  The context must outlive the ring.
 * @param ctx      the context: its door, and where messages go
 * @param nrecords records the ring holds, 1 .. 2^24
 * @param out      receives the ring; NULL on failure
 * @return 0; -EINVAL NULL argument, @p nrecords 0 or above 2^24; -ENOMEM;
 * -errno from memfd, mmap or eventfd (message on @p ctx).
 */
VFIOIOMMU_API int vfioiommu_ring_create(vfioiommu_ctx *ctx, unsigned int nrecords, vfioiommu_ring **out);

/**
 * Detach from a ring; for created rings also unmap the memory and close the
 * memfd and the eventfd the ring owns.
 * @param ring the ring; NULL is accepted
 */
VFIOIOMMU_API void vfioiommu_ring_destroy(vfioiommu_ring *ring);

/**
 * The memfd of a created ring, for another process to map.
 * @param ring the ring
 * @return the fd (owned by the ring); -ENOENT for attached rings; -EINVAL for NULL.
 */
VFIOIOMMU_API int vfioiommu_ring_fd(const vfioiommu_ring *ring);
/**
 * Bytes to map from vfioiommu_ring_fd() (or the length given to attach).
 * @param ring the ring
 * @return the length; 0 for NULL.
 */
VFIOIOMMU_API size_t vfioiommu_ring_map_size(const vfioiommu_ring *ring);
/**
 * Records the ring holds.
 * @param ring the ring
 * @return the ring's size in records; 0 for NULL.
 */
VFIOIOMMU_API unsigned int vfioiommu_ring_capacity(const vfioiommu_ring *ring);
/**
 * The layout in words: offsets of header, prod, cons, wake and records.
 * @param ring the ring
 * @return a description, never NULL ("" for NULL), valid while the ring lives.
 */
VFIOIOMMU_API const char *vfioiommu_ring_layout(const vfioiommu_ring *ring);

/**
 * The eventfd the producer signals and the consumer waits on.
 * @param ring the ring
 * @return the fd (owned by the ring unless set by the caller with
 * vfioiommu_ring_set_eventfd()); -ENOENT none; -EINVAL for NULL.
 */
VFIOIOMMU_API int vfioiommu_ring_eventfd(const vfioiommu_ring *ring);
/**
 * Give an attached ring an eventfd (for example one passed from the process
 * that created the ring).  Both sides need it: the producer handle signals
 * it, the consumer handle waits on it.  The caller keeps ownership.  Calls on
 * the fd go through the system door.  Not while either side is running.
 * @param ring the ring
 * @param fd   an eventfd; -1 removes it
 * @return 0; -EINVAL NULL ring, or the ring owns an eventfd already.
 */
VFIOIOMMU_API int vfioiommu_ring_set_eventfd(vfioiommu_ring *ring, int fd);

/* ---- consumer ---- */

/**
 * The oldest unconsumed record, in place.
 * @param ring the ring (consumer side)
 * @param rec  receives a pointer into the ring, valid until vfioiommu_ring_advance() passes it
 * @return 0; -EAGAIN empty; -EPROTO ring in error; -EINVAL NULL.
 */
VFIOIOMMU_API int vfioiommu_ring_peek(vfioiommu_ring *ring, const struct vfioiommu_fault **rec);

/**
 * Up to @p max of the oldest unconsumed records, as pointers into the ring
 * (in order).  Re-reads prod only when fewer than @p max are known to be ready.
 * @param ring the ring (consumer side)
 * @param recs receives the pointers
 * @param max  room in @p recs
 * @return the number stored (0 when empty); -EPROTO; -EINVAL NULL.
 */
VFIOIOMMU_API int vfioiommu_ring_peek_batch(vfioiommu_ring *ring, const struct vfioiommu_fault **recs,
	unsigned int max);

/**
 * The @p i-th unconsumed record, in place.
 * @param ring the ring (consumer side)
 * @param i    0 = the oldest
 * @param rec  receives a pointer into the ring
 * @return 0; -EAGAIN fewer than @p i + 1 ready; -EPROTO; -EINVAL NULL.
 */
VFIOIOMMU_API int vfioiommu_ring_at(vfioiommu_ring *ring, unsigned int i, const struct vfioiommu_fault **rec);

/**
 * Visit every ready record; @p n (unsigned int) counts them.  Follow with
 * vfioiommu_ring_advance(ring, n).  Ends early on an error: check
 * vfioiommu_ring_error().
 */
#define VFIOIOMMU_RING_FOR_EACH(ring, rec, n) \
	for ((n) = 0; vfioiommu_ring_at((ring), (n), &(rec)) == 0; (n)++)

/**
 * Consume records (hand their slots back to the producer).  Pointers to
 * them become invalid.
 * @param ring the ring (consumer side)
 * @param n    records to consume; not more than peek/at have shown ready
 * @return 0; -EINVAL NULL or @p n too large; -EPROTO.
 */
VFIOIOMMU_API int vfioiommu_ring_advance(vfioiommu_ring *ring, unsigned int n);

/**
 * Copy ready records out and consume them.
 * @param ring the ring (consumer side)
 * @param out  receives the records
 * @param max  room in @p out
 * @return the number copied (>= 0); -EPROTO; -EINVAL NULL.
 */
VFIOIOMMU_API int vfioiommu_ring_copy(vfioiommu_ring *ring, struct vfioiommu_fault *out, unsigned int max);

/**
 * Records ready now (re-reads prod).
 * @param ring the ring (consumer side)
 * @return >= 0; -EPROTO; -EINVAL NULL.
 */
VFIOIOMMU_API int vfioiommu_ring_ready(vfioiommu_ring *ring);

/**
 * Step 1 of a blocking wait driven by the caller's own poll/epoll loop: arm
 * the wakeup and re-check.
 * @param ring the ring (consumer side), with an eventfd
 * @return > 0 records are ready (the wakeup is not left armed: do not
 * sleep); 0 armed: sleep until the eventfd is readable, then call
 * vfioiommu_ring_finish_wait(); -EPROTO; -EINVAL NULL ring; -ENOENT no eventfd.
 */
VFIOIOMMU_API int vfioiommu_ring_prepare_wait(vfioiommu_ring *ring);
/**
 * Step 2: disarm, and drain the eventfd when it is the ring's own
 * (non-blocking).
 * @param ring the ring (consumer side)
 * @return 0; -EINVAL NULL; -ENOENT no eventfd; -errno from reading the eventfd.
 */
VFIOIOMMU_API int vfioiommu_ring_finish_wait(vfioiommu_ring *ring);
/**
 * Wait until a record is ready, the timeout expires or a signal arrives
 * (prepare, poll, finish).
 * @param ring       the ring (consumer side), with an eventfd
 * @param timeout_ms milliseconds; < 0 waits without a timeout
 * @return records ready (> 0); 0 on timeout or a spurious wakeup; -EINTR;
 * -EPROTO; -EINVAL NULL; -ENOENT no eventfd; -errno from poll.
 */
VFIOIOMMU_API int vfioiommu_ring_wait(vfioiommu_ring *ring, int timeout_ms);

/* ---- producer ---- */

/**
 * Copy records into the ring and publish them; signals the eventfd when a
 * consumer is waiting.  Records that do not fit are dropped and counted; the
 * next push that has room first inserts one VFIOIOMMU_FAULT_LOST record
 * carrying the count (push(ring, NULL, 0) inserts just that).  Lossless
 * producers size their pushes with vfioiommu_ring_room().
 * @param ring the ring (producer side)
 * @param recs the records; may be NULL when @p n is 0
 * @param n    how many
 * @return how many of @p recs were stored (0 .. @p n); -EPROTO ring in error
 * (for example cons moved outside [its last value, prod]); -EINVAL NULL.
 */
VFIOIOMMU_API int vfioiommu_ring_push(vfioiommu_ring *ring, const struct vfioiommu_fault *recs, unsigned int n);

/**
 * Zero-copy producing, step 1: hand out up to @p max free slots to write
 * records into in place, as pointers into the ring (in order; they may wrap
 * around its end).  Nothing is visible to the consumer until
 * vfioiommu_ring_commit().  Write every byte of each record you commit: a
 * slot still holds an older record.  Never drops anything: fewer slots (0
 * when full) means no room.  A LOST record still owed by an earlier push that
 * dropped records is stored and published first (0 slots if even that does
 * not fit).  A new reserve or a push ends an uncommitted reservation (its
 * slots are reused).  Re-reads and checks cons only when the cached view has
 * fewer than @p max free.
 *
 * Use it to hand over records one or two at a time: it saves push()'s copy
 * and, with it, the wait of that copy's loads on the caller's just-made
 * stores (on x86 they sit in the store buffer behind the ring stores of the
 * record before, which wait for the cache line to come back from the
 * consumer's CPU).  For batches, push() of records built in an array is as
 * fast or faster: that wait is paid once per batch, and its wide copy needs
 * fewer stores per record than filling fields in place.
 * @code
 *   struct vfioiommu_fault *slot;
 *   if (vfioiommu_ring_reserve(ring, &slot, 1) == 1) {
 *       memset(slot, 0, sizeof(*slot));
 *       slot->kind = VFIOIOMMU_FAULT_PAGE_REQ;  ...
 *       vfioiommu_ring_commit(ring, 1);
 *   }
 * @endcode
 * @param ring  the ring (producer side)
 * @param slots receives up to @p max pointers to free slots
 * @param max   slots wanted
 * @return the number of slots handed out (0 .. @p max); -EPROTO ring in
 * error; -EINVAL NULL @p ring, or NULL @p slots with @p max > 0.
 */
VFIOIOMMU_API int vfioiommu_ring_reserve(vfioiommu_ring *ring, struct vfioiommu_fault **slots,
	unsigned int max);

/**
 * Zero-copy producing, step 2: publish the first @p n reserved slots
 * (release ordering: what you wrote into them is visible before the new
 * prod), with the same eventfd wakeup as vfioiommu_ring_push().  The rest of
 * the reservation stays reserved, for a later commit.  commit(ring, 0) does
 * nothing.
 * @param ring the ring (producer side)
 * @param n    slots to publish, at most what vfioiommu_ring_reserve() handed out
 * @return 0; -EINVAL NULL @p ring or @p n above what is reserved; -EPROTO.
 */
VFIOIOMMU_API int vfioiommu_ring_commit(vfioiommu_ring *ring, unsigned int n);

/**
 * Records vfioiommu_ring_push() can store now without dropping any (a
 * pending LOST record already subtracted).  Re-reads and checks cons only
 * when the producer's cached view has fewer than @p want free, so a result
 * below @p want is exact and one at or above it is a lower bound.  Producers
 * that can hold events back (the pump) use it to stay lossless.
 * @param ring the ring (producer side)
 * @param want the room the caller needs
 * @return >= 0; -EPROTO; -EINVAL NULL.
 */
VFIOIOMMU_API int vfioiommu_ring_room(vfioiommu_ring *ring, unsigned int want);

/* ---- state ---- */

/**
 * Whether the ring is in the error state (it stays there).
 * @param ring the ring
 * @return 0; -EPROTO once the ring is in the error state; -EINVAL for NULL.
 */
VFIOIOMMU_API int vfioiommu_ring_error(const vfioiommu_ring *ring);
/**
 * Why the ring is in the error state.
 * @param ring the ring; NULL for the message of this thread's last failed
 *             vfioiommu_ring_attach()
 * @return the message, never NULL ("" if the ring is not in error).
 */
VFIOIOMMU_API const char *vfioiommu_ring_strerror(const vfioiommu_ring *ring);

/** Counters (vfioiommu_ring_stats()). */
struct vfioiommu_ring_stats {
	uint32_t size;     /**< in: sizeof(struct vfioiommu_ring_stats) as the caller compiled it */
	uint32_t reserved;     /**< zero (keeps the counters 8-byte aligned) */
	uint64_t produced; /**< records this handle pushed (LOST records included) */
	uint64_t consumed; /**< records this handle advanced past */
	uint64_t overflow; /**< records dropped because the ring was full (SPLIT: as the producer published it) */
	uint64_t lost;     /**< sum of @c lost over the LOST records this handle consumed */
};
/**
 * Fill the ring's counters.
 * @param ring the ring
 * @param st   in: st->size = sizeof(*st); out: the counters
 * @return 0; -EINVAL NULL or a size below this version's struct.
 */
VFIOIOMMU_API int vfioiommu_ring_stats(const vfioiommu_ring *ring, struct vfioiommu_ring_stats *st);

VFIOIOMMU_END_DECLS

#endif
