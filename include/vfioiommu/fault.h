/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/**
 * @file vfioiommu/fault.h
 * IO page faults and IOMMU events as the library's own 64-byte records, and
 * the fault ring: one lock-free single-producer / single-consumer ring with a
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
#ifndef VFIOIOMMU_FAULT_H
#define VFIOIOMMU_FAULT_H

#include <vfioiommu/common.h>

VFIOIOMMU_BEGIN_DECLS

/** What a record reports. */
enum vfioiommu_fault_kind {
	/** A PRI page request (iommufd fault queue): answer it with its cookie. */
	VFIOIOMMU_FAULT_PAGE_REQ = 1,
	/** An unrecoverable DMA fault: nothing to answer. */
	VFIOIOMMU_FAULT_UNRECOV = 2,
	/** A vIOMMU event (vEVENTQ). */
	VFIOIOMMU_FAULT_VEVENT = 3,
	/** Events were dropped before this record: @c lost says how many. */
	VFIOIOMMU_FAULT_LOST = 4,
};

/** vfioiommu_fault.flags (same bit values as the kernel's page-request flags). */
#define VFIOIOMMU_FAULT_F_PASID_VALID (1u << 0) /**< pasid is meaningful */
#define VFIOIOMMU_FAULT_F_LAST_PAGE   (1u << 1) /**< the last page of a page-request group */

/** vfioiommu_fault.perm. */
#define VFIOIOMMU_FAULT_PERM_READ  (1u << 0)
#define VFIOIOMMU_FAULT_PERM_WRITE (1u << 1)
#define VFIOIOMMU_FAULT_PERM_EXEC  (1u << 2)
#define VFIOIOMMU_FAULT_PERM_PRIV  (1u << 3)

/**
 * One fault or event: 64 bytes, the library's own layout (no kernel struct),
 * 8-byte aligned.  Unused fields are 0.
 */
struct vfioiommu_fault {
	uint32_t kind;     /**< enum vfioiommu_fault_kind */
	uint32_t flags;    /**< VFIOIOMMU_FAULT_F_* */
	uint32_t dev_id;   /**< iommufd device object id */
	uint32_t pasid;    /**< valid with VFIOIOMMU_FAULT_F_PASID_VALID */
	uint32_t grpid;    /**< page-request group index */
	uint32_t perm;     /**< VFIOIOMMU_FAULT_PERM_* */
	uint64_t addr;     /**< faulting address */
	uint32_t cookie;   /**< page requests: what the response quotes */
	uint32_t seq;      /**< producer's sequence number (vEVENTQ sequence, pump counter) */
	uint32_t length;   /**< page requests: the kernel's length field (0 today) */
	uint32_t reason;   /**< unrecoverable faults: the reason code */
	uint32_t lost;     /**< VFIOIOMMU_FAULT_LOST: records dropped before this one */
	uint32_t reserved0;
	uint64_t reserved1;
};
#ifdef __cplusplus
static_assert(sizeof(struct vfioiommu_fault) == 64, "struct vfioiommu_fault is 64 bytes");
#else
_Static_assert(sizeof(struct vfioiommu_fault) == 64, "struct vfioiommu_fault is 64 bytes");
#endif

/**
 * The view of a VFIOIOMMU_FAULT_VEVENT record (same 64 bytes; cast with
 * vfioiommu_fault_vevent()).  @c seq stays where struct vfioiommu_fault has
 * it; the event data takes the 32 bytes from offset 4, so VEVENT records
 * have no @c flags and no @c dev_id.  The data is copied as the kernel gave
 * it (little-endian words, not 8-byte aligned here: memcpy before reading
 * them): ARM SMMUv3 events (32 bytes) fit whole, Tegra241 CMDQV (16) too;
 * @c data_len says how many bytes the event had, at most 32 were kept.
 */
struct vfioiommu_vevent {
	uint32_t kind;      /**< VFIOIOMMU_FAULT_VEVENT */
	uint8_t data[32];   /**< offset 4: the first min(data_len, 32) bytes of the event data, rest 0 */
	uint32_t seq;       /**< offset 36: the kernel's sequence number (0 .. INT_MAX, then 0) */
	uint32_t data_len;  /**< offset 40: bytes of event data in the stream */
	uint32_t type;      /**< offset 44: the vEVENTQ type (1 ARM SMMUv3, 2 Tegra241 CMDQV) */
	uint32_t missing;   /**< offset 48 (@c lost): sequence numbers skipped just before this event */
	uint32_t reserved0;
	uint64_t reserved1;
};
#ifdef __cplusplus
static_assert(sizeof(struct vfioiommu_vevent) == 64, "struct vfioiommu_vevent is 64 bytes");
#else
_Static_assert(sizeof(struct vfioiommu_vevent) == 64, "struct vfioiommu_vevent is 64 bytes");
_Static_assert(__builtin_offsetof(struct vfioiommu_vevent, seq) == __builtin_offsetof(struct vfioiommu_fault, seq),
	       "seq at the same offset");
_Static_assert(__builtin_offsetof(struct vfioiommu_vevent, missing) == __builtin_offsetof(struct vfioiommu_fault, lost),
	       "missing overlays lost");
#endif

/** A VEVENT record seen through struct vfioiommu_vevent (NULL for other kinds or NULL). */
static inline const struct vfioiommu_vevent *vfioiommu_fault_vevent(const struct vfioiommu_fault *f)
{
	return f && f->kind == VFIOIOMMU_FAULT_VEVENT ? (const struct vfioiommu_vevent *)(const void *)f : 0;
}

/** A short name for a kind ("page-req", "unrecov", "vevent", "lost", "unknown"). */
VFIOIOMMU_API const char *vfioiommu_fault_kind_name(uint32_t kind);

/** The ring handle (layout hidden). */
typedef struct vfioiommu_ring vfioiommu_ring;

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

/** Bytes before the first record in each layout, and the record size. */
#define VFIOIOMMU_RING_COMPAT_HDR 16u
#define VFIOIOMMU_RING_SPLIT_HDR 512u
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
 * @return 0; -EINVAL NULL @mem or @out, misaligned @mem, @len shorter than the
 * header plus one record, unknown flags; -EPROTO the header is invalid
 * (message from vfioiommu_ring_strerror(NULL) in this thread); -ENOMEM.
 * On failure *@out is NULL.
 */
VFIOIOMMU_API int vfioiommu_ring_attach(void *mem, size_t len, unsigned int flags, vfioiommu_ring **out);

/**
 * Attach to the fault ring in a device region: the region whose TYPE
 * capability says @type / @subtype, 64 KiB, mmappable whole, readable and
 * writable, holding the COMPAT layout.  Upstream Linux defines no such region
 * (the posted nested-fault series used type 2, which is CCW upstream, then
 * 4): the library never assumes a number, the caller gives the one its driver
 * uses.  The region is mapped through vfioiommu_region_mmap() and unmapped by
 * vfioiommu_ring_destroy().  Closing the device (or destroying its context)
 * first unmaps it under the ring: the ring then fails (-EPROTO, "device ...
 * was closed") and destroy only frees it; a consumer must not be running in
 * another thread across that close.  The size word is checked at every look
 * at prod: no producer rewrites it, so a change fails the ring.
 * @return 0; -EINVAL NULL argument; -ENOENT no region with that type (the
 * message lists the typed regions seen); -EOPNOTSUPP not mmappable whole;
 * -EACCES not read-write; -EPROTO the region is not 64 KiB or its header is
 * invalid; -errno from the region API.  Messages on the device's context.
 */
VFIOIOMMU_API int vfioiommu_ring_attach_region(vfioiommu_device *dev, uint32_t type, uint32_t subtype,
	vfioiommu_ring **out);

/**
 * Create a library-owned ring of @nrecords records (SPLIT layout) in a memfd
 * mapped through the context's door, plus a non-blocking eventfd for wakeups.
 * Another process may map vfioiommu_ring_fd() (vfioiommu_ring_map_size()
 * bytes, MAP_SHARED) and attach with VFIOIOMMU_RING_SPLIT.  The context must
 * outlive the ring.
 *
 * @return 0; -EINVAL NULL argument, @nrecords 0 or above 2^24; -errno from
 * memfd, mmap or eventfd (message on @ctx).  On failure *@out is NULL.
 */
VFIOIOMMU_API int vfioiommu_ring_create(vfioiommu_ctx *ctx, unsigned int nrecords, vfioiommu_ring **out);

/** Detach (and for created rings unmap and close everything).  NULL is accepted. */
VFIOIOMMU_API void vfioiommu_ring_destroy(vfioiommu_ring *ring);

/** The memfd of a created ring (owned by the ring), -ENOENT for attached rings, -EINVAL for NULL. */
VFIOIOMMU_API int vfioiommu_ring_fd(const vfioiommu_ring *ring);
/** Bytes to map from vfioiommu_ring_fd() (or the length given to attach); 0 for NULL. */
VFIOIOMMU_API size_t vfioiommu_ring_map_size(const vfioiommu_ring *ring);
/** Records the ring holds; 0 for NULL. */
VFIOIOMMU_API unsigned int vfioiommu_ring_capacity(const vfioiommu_ring *ring);
/** The layout in words: offsets of header, prod, cons, wake and records.  Never NULL. */
VFIOIOMMU_API const char *vfioiommu_ring_layout(const vfioiommu_ring *ring);

/** The eventfd the producer signals (owned by the ring unless set by the caller), or -ENOENT / -EINVAL. */
VFIOIOMMU_API int vfioiommu_ring_eventfd(const vfioiommu_ring *ring);
/**
 * Give an attached ring an eventfd (for example one passed from the process
 * that created the ring).  Both sides need it: the producer handle signals
 * it, the consumer handle waits on it.  The caller keeps ownership; -1
 * removes it.  Calls on the fd go through the system door.  Not while either
 * side is running.
 * @return 0; -EINVAL NULL ring, or the ring owns an eventfd already.
 */
VFIOIOMMU_API int vfioiommu_ring_set_eventfd(vfioiommu_ring *ring, int fd);

/* ---- consumer ---- */

/**
 * The oldest unconsumed record, in place.
 * @return 0 with *@rec set; -EAGAIN empty; -EPROTO ring in error; -EINVAL NULL.
 */
VFIOIOMMU_API int vfioiommu_ring_peek(vfioiommu_ring *ring, const struct vfioiommu_fault **rec);

/**
 * Up to @max of the oldest unconsumed records, as pointers into the ring (in
 * order).  Re-reads prod only when fewer than @max are known to be ready.
 * @return the number stored (0 when empty); -EPROTO; -EINVAL NULL.
 */
VFIOIOMMU_API int vfioiommu_ring_peek_batch(vfioiommu_ring *ring, const struct vfioiommu_fault **recs,
	unsigned int max);

/**
 * The @i-th unconsumed record (0 = oldest), in place.
 * @return 0; -EAGAIN fewer than @i + 1 ready; -EPROTO; -EINVAL NULL.
 */
VFIOIOMMU_API int vfioiommu_ring_at(vfioiommu_ring *ring, unsigned int i, const struct vfioiommu_fault **rec);

/**
 * Visit every ready record; @n (unsigned int) counts them.  Follow with
 * vfioiommu_ring_advance(ring, n).  Ends early on an error: check
 * vfioiommu_ring_error().
 */
#define VFIOIOMMU_RING_FOR_EACH(ring, rec, n) \
	for ((n) = 0; vfioiommu_ring_at((ring), (n), &(rec)) == 0; (n)++)

/**
 * Consume @n records (hand their slots back to the producer).  Pointers to
 * them become invalid.  @n may not exceed what peek/at have shown ready.
 * @return 0; -EINVAL NULL or @n too large; -EPROTO.
 */
VFIOIOMMU_API int vfioiommu_ring_advance(vfioiommu_ring *ring, unsigned int n);

/** Copy up to @max ready records into @out and consume them.  @return the number copied, -EPROTO, -EINVAL. */
VFIOIOMMU_API int vfioiommu_ring_copy(vfioiommu_ring *ring, struct vfioiommu_fault *out, unsigned int max);

/** Records ready now (re-reads prod).  @return >= 0, -EPROTO, -EINVAL. */
VFIOIOMMU_API int vfioiommu_ring_ready(vfioiommu_ring *ring);

/**
 * Step 1 of a blocking wait driven by the caller's own poll/epoll loop: arm
 * the wakeup and re-check.  @return > 0 records are ready (the wakeup is not
 * left armed: do not sleep); 0 armed: sleep until the eventfd is readable,
 * then call vfioiommu_ring_finish_wait(); -EPROTO; -EINVAL NULL ring;
 * -ENOENT no eventfd.
 */
VFIOIOMMU_API int vfioiommu_ring_prepare_wait(vfioiommu_ring *ring);
/** Step 2: disarm, and drain the eventfd when it is the ring's own (non-blocking).  @return 0 or -errno. */
VFIOIOMMU_API int vfioiommu_ring_finish_wait(vfioiommu_ring *ring);
/**
 * Wait until a record is ready, the timeout expires (@timeout_ms < 0: never)
 * or a signal arrives.  @return records ready (> 0); 0 on timeout or a
 * spurious wakeup; -EINTR; -EPROTO; -ENOENT no eventfd; -errno from poll.
 */
VFIOIOMMU_API int vfioiommu_ring_wait(vfioiommu_ring *ring, int timeout_ms);

/* ---- producer ---- */

/**
 * Copy up to @n records into the ring and publish them; signals the eventfd
 * when a consumer is waiting.  Records that do not fit are dropped and
 * counted; the next push that has room first inserts one
 * VFIOIOMMU_FAULT_LOST record carrying the count (push(ring, NULL, 0) inserts
 * just that).  Lossless producers size their pushes with vfioiommu_ring_room().
 * @return how many of @recs were stored (0 .. @n); -EPROTO ring in error
 * (for example cons moved outside [its last value, prod]); -EINVAL NULL.
 */
VFIOIOMMU_API int vfioiommu_ring_push(vfioiommu_ring *ring, const struct vfioiommu_fault *recs, unsigned int n);

/**
 * Zero-copy producing, step 1: hand out up to @max free slots to write records
 * into in place, as pointers into the ring (in order; they may wrap around its
 * end).  Nothing is visible to the consumer until vfioiommu_ring_commit().
 * Write every byte of each record you commit: a slot still holds an older
 * record.  Never drops anything: fewer slots (0 when full) means no room.  A
 * LOST record still owed by an earlier push that dropped records is stored
 * and published first (0 slots if even that does not fit).  A new reserve or
 * a push ends an uncommitted reservation (its slots are reused).  Re-reads
 * and checks cons only when the cached view has fewer than @max free.
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
 * @return the number of slots handed out (0 .. @max); -EPROTO ring in error;
 * -EINVAL NULL @ring, or NULL @slots with @max > 0.
 */
VFIOIOMMU_API int vfioiommu_ring_reserve(vfioiommu_ring *ring, struct vfioiommu_fault **slots,
	unsigned int max);

/**
 * Zero-copy producing, step 2: publish the first @n reserved slots (release
 * ordering: what you wrote into them is visible before the new prod), with
 * the same eventfd wakeup as vfioiommu_ring_push().  The rest of the
 * reservation stays reserved, for a later commit.  commit(ring, 0) does
 * nothing.
 * @return 0; -EINVAL NULL @ring or @n above what is reserved; -EPROTO.
 */
VFIOIOMMU_API int vfioiommu_ring_commit(vfioiommu_ring *ring, unsigned int n);

/**
 * Records vfioiommu_ring_push() can store now without dropping any (a pending
 * LOST record already subtracted).  Re-reads and checks cons only when the
 * producer's cached view has fewer than @want free, so a result below @want is
 * exact and one at or above it is a lower bound.  Producers that can hold
 * events back (the pump) use it to stay lossless.
 * @return >= 0; -EPROTO; -EINVAL NULL.
 */
VFIOIOMMU_API int vfioiommu_ring_room(vfioiommu_ring *ring, unsigned int want);

/* ---- state ---- */

/** 0, or -EPROTO once the ring is in the error state (it stays there).  -EINVAL for NULL. */
VFIOIOMMU_API int vfioiommu_ring_error(const vfioiommu_ring *ring);
/**
 * Why the ring is in the error state ("" if it is not).  With NULL: the
 * message of this thread's last failed vfioiommu_ring_attach().
 */
VFIOIOMMU_API const char *vfioiommu_ring_strerror(const vfioiommu_ring *ring);

/** Counters (vfioiommu_ring_stats()). */
struct vfioiommu_ring_stats {
	uint64_t produced; /**< records this handle pushed (LOST records included) */
	uint64_t consumed; /**< records this handle advanced past */
	uint64_t overflow; /**< records dropped because the ring was full (SPLIT: as the producer published it) */
	uint64_t lost;     /**< sum of @c lost over the LOST records this handle consumed */
};
/** Fill @st.  @return 0 or -EINVAL. */
VFIOIOMMU_API int vfioiommu_ring_stats(const vfioiommu_ring *ring, struct vfioiommu_ring_stats *st);

/* ---- the pump: an iommufd fault fd into a ring ---- */

/**
 * Moves page requests from an iommufd fault fd (IOMMU_FAULT_QUEUE_ALLOC) into
 * a ring as VFIOIOMMU_FAULT_PAGE_REQ records, and writes the page responses
 * back.  The pump is the ring's only producer: run it from one thread (the
 * one that polls the fault fd); responses may come from another thread.
 */
typedef struct vfioiommu_fault_pump vfioiommu_fault_pump;

/** Page response codes (IOMMUFD_PAGE_RESP_*). */
enum vfioiommu_page_resp {
	VFIOIOMMU_PAGE_RESP_SUCCESS = 0,
	VFIOIOMMU_PAGE_RESP_INVALID = 1,
};

/** Page-request groups larger than this cannot be read (the kernel delivers a group whole). */
#define VFIOIOMMU_PUMP_MAX_GROUP 256u

/**
 * A pump from @fault_fd (not owned: the caller closes it after destroying the
 * pump) into @ring.  The context supplies the door; @ring must outlive the pump.
 * @return 0; -EINVAL NULL argument or negative fd; -ENOMEM.  On failure *@out is NULL.
 */
VFIOIOMMU_API int vfioiommu_fault_pump_new(vfioiommu_ctx *ctx, int fault_fd, vfioiommu_ring *ring,
	vfioiommu_fault_pump **out);
/** Free the pump (the fd and the ring stay).  NULL is accepted. */
VFIOIOMMU_API void vfioiommu_fault_pump_destroy(vfioiommu_fault_pump *pump);

/**
 * Read whole groups of 40-byte records from the fault fd, in batches sized to
 * the ring's free room, convert them and publish them, until the fd has
 * nothing more or the ring is full (the rest waits in the kernel: nothing is
 * dropped).  Records get seq = a running count.  Never blocks.
 * @return records moved (>= 0); -EPROTO the kernel returned a size that is not
 * a multiple of 40, a record with cookie 0, or the ring is in error; -EMSGSIZE
 * a pending group larger than VFIOIOMMU_PUMP_MAX_GROUP; -ESPIPE and other
 * -errno from read().  The message is on the context.
 */
VFIOIOMMU_API int vfioiommu_fault_pump_run(vfioiommu_fault_pump *pump);

/**
 * Answer the page-request group that carried @cookie (one answer completes the
 * whole group).
 * @return 0; -EINVAL bad @code, a cookie this pump never delivered, or one
 * already answered (the message says which; nothing is written to the
 * kernel); -errno from write() (the kernel may have answered the group itself,
 * for example after a detach: the cookie is forgotten).
 */
VFIOIOMMU_API int vfioiommu_fault_pump_respond(vfioiommu_fault_pump *pump, uint32_t cookie, uint32_t code);

/**
 * Answer the group that @rec (any record of it, as the ring delivered it)
 * belongs to.  Prefer this to vfioiommu_fault_pump_respond(): the kernel
 * reuses a cookie as soon as a group is answered, also when it answers a
 * group itself (after a detach or replace), so a late answer by cookie alone
 * could complete a newer group with the wrong code.  Here the record's @c seq
 * identifies the group.
 * @return as vfioiommu_fault_pump_respond(), and -ESTALE when the kernel
 * already answered @rec's group and its cookie names a newer one (nothing is
 * written); -EINVAL for a record that is not a page request.
 */
VFIOIOMMU_API int vfioiommu_fault_pump_respond_record(vfioiommu_fault_pump *pump,
						      const struct vfioiommu_fault *rec, uint32_t code);

/** Groups delivered and not yet answered (0 for NULL). */
VFIOIOMMU_API unsigned int vfioiommu_fault_pump_outstanding(const vfioiommu_fault_pump *pump);

/* ---- the vEVENTQ pump: an IOMMU_VEVENTQ_ALLOC fd into a ring ---- */

/** vEVENTQ types the pump can parse (IOMMU_VEVENTQ_TYPE_*). */
enum vfioiommu_veventq_type {
	VFIOIOMMU_VEVENTQ_ARM_SMMUV3 = 1,     /**< 32 bytes of data per event */
	VFIOIOMMU_VEVENTQ_TEGRA241_CMDQV = 2, /**< 16 bytes of data per event */
};

/**
 * A pump from a vEVENTQ fd (not owned) into @ring, using the run/destroy API
 * of vfioiommu_fault_pump.  vfioiommu_fault_pump_run() reads whole events
 * ({u32 flags; u32 sequence} plus the type's data), in reads sized to the
 * ring's room, and publishes:
 *  - a VFIOIOMMU_FAULT_VEVENT record per event (layout: struct
 *    vfioiommu_vevent), @c seq the kernel's sequence and @c missing (the
 *    record's @c lost field) the sequence numbers skipped before it: 0
 *    normally, n after a gap of n + 1 (INT_MAX is followed by 0);
 *  - a VFIOIOMMU_FAULT_LOST record for a LOST_EVENTS header (the kernel
 *    overflowed the queue): @c seq its sequence, @c lost 1, meaning "at least
 *    one"; the kernel does not say how many.
 * The run fails with -EPROTO (message on the context) when a read returns a
 * cut event, a header with an unknown flag, or a sequence above INT_MAX;
 * nothing of that read reaches the ring.  vfioiommu_fault_pump_respond() is
 * -EOPNOTSUPP (vEVENTQ events are not answered).
 * @return 0; -EINVAL NULL argument, negative fd; -EOPNOTSUPP an unknown @type; -ENOMEM.
 */
VFIOIOMMU_API int vfioiommu_vevent_pump_new(vfioiommu_ctx *ctx, int veventq_fd, uint32_t type,
	vfioiommu_ring *ring, vfioiommu_fault_pump **out);

/** vfioiommu_vevent_pump_stats(). */
struct vfioiommu_vevent_stats {
	uint64_t events;       /**< VEVENT records published */
	uint64_t lost_headers; /**< LOST_EVENTS headers seen (each: at least one event dropped by the kernel) */
	uint64_t gaps;         /**< sequence gaps seen */
	uint64_t missing;      /**< sequence numbers skipped over all gaps */
};
/** Counters of a vEVENTQ pump.  @return 0; -EINVAL NULL or a fault-fd pump. */
VFIOIOMMU_API int vfioiommu_vevent_pump_stats(const vfioiommu_fault_pump *pump, struct vfioiommu_vevent_stats *st);

VFIOIOMMU_END_DECLS

#endif
