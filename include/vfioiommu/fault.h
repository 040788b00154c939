/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/**
 * @file vfioiommu/fault.h
 * IO page faults and IOMMU events as the library's own 64-byte records, and
 * the pumps that turn an iommufd fault fd or vEVENTQ fd into records on a
 * fault ring (<vfioiommu/ring.h>) and carry page responses back.
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

/* vfioiommu_fault.perm: the access that faulted (the kernel's IOMMU_PGFAULT_PERM_* values). */
#define VFIOIOMMU_FAULT_PERM_READ  (1u << 0) /**< vfioiommu_fault.perm: a read */
#define VFIOIOMMU_FAULT_PERM_WRITE (1u << 1) /**< vfioiommu_fault.perm: a write */
#define VFIOIOMMU_FAULT_PERM_EXEC  (1u << 2) /**< vfioiommu_fault.perm: an instruction fetch */
#define VFIOIOMMU_FAULT_PERM_PRIV  (1u << 3) /**< vfioiommu_fault.perm: a privileged-mode access */

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
	uint32_t reserved0; /**< zero */
	uint64_t reserved1; /**< zero */
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
	uint32_t reserved0; /**< zero */
	uint64_t reserved1; /**< zero */
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

/**
 * A VEVENT record seen through struct vfioiommu_vevent.
 * @param f a record
 * @return @p f as a struct vfioiommu_vevent; NULL when @p f is NULL or not a
 * VFIOIOMMU_FAULT_VEVENT record.
 */
static inline const struct vfioiommu_vevent *vfioiommu_fault_vevent(const struct vfioiommu_fault *f)
{
	return f && f->kind == VFIOIOMMU_FAULT_VEVENT ? (const struct vfioiommu_vevent *)(const void *)f : 0;
}

/**
 * A short name for a record kind.
 * @param kind an enum vfioiommu_fault_kind value
 * @return "page-req", "unrecov", "vevent", "lost"; "unknown" for other values.
 */
VFIOIOMMU_API const char *vfioiommu_fault_kind_name(uint32_t kind);

/* ---- the pump: an iommufd fault fd into a ring ---- */

/**
 * Moves page requests from an iommufd fault fd (IOMMU_FAULT_QUEUE_ALLOC) into
 * a ring as VFIOIOMMU_FAULT_PAGE_REQ records, and writes the page responses
 * back.  The pump is the ring's only producer: run it from one thread (the
 * one that polls the fault fd); responses may come from other threads, also
 * at the same time: when two answer one group, one answer is written and the
 * other is refused (already answered, or -ESTALE by record once the kernel
 * has reused the cookie), so a group is never answered twice.
 */
typedef struct vfioiommu_fault_pump vfioiommu_fault_pump;

/** Page response codes (IOMMUFD_PAGE_RESP_*). */
enum vfioiommu_page_resp {
	VFIOIOMMU_PAGE_RESP_SUCCESS = 0, /**< the pages are mapped now: the device retries the access */
	VFIOIOMMU_PAGE_RESP_INVALID = 1, /**< the request cannot be served: the device's access fails */
};

/** Page-request groups larger than this cannot be read (the kernel delivers a group whole). */
#define VFIOIOMMU_PUMP_MAX_GROUP 256u

/**
 * A pump from an iommufd fault fd into a ring.
 * @param ctx      the context: its door, and where messages go
 * @param fault_fd the fault fd (IOMMU_FAULT_QUEUE_ALLOC); not owned: the
 *                 caller closes it after destroying the pump
 * @param ring     the ring the records go to; it must outlive the pump
 * @param out      receives the pump; NULL on failure
 * @return 0; -EINVAL NULL argument or negative fd; -ENOMEM.
 */
VFIOIOMMU_API int vfioiommu_fault_pump_new(vfioiommu_ctx *ctx, int fault_fd, vfioiommu_ring *ring,
	vfioiommu_fault_pump **out);
/**
 * Free a pump (of either kind); the fd and the ring stay.
 * @param pump the pump; NULL is accepted
 */
VFIOIOMMU_API void vfioiommu_fault_pump_destroy(vfioiommu_fault_pump *pump);

/**
 * Move what the fd holds into the ring.  For a fault-fd pump: read whole
 * groups of 40-byte records, in batches sized to the ring's free room,
 * convert them and publish them, until a read comes back short (the kernel
 * had nothing more that fitted: anything queued meanwhile keeps the fd
 * readable, so poll again), the fd has nothing more, or the ring is full
 * (the rest waits in the kernel: nothing is dropped).  Records get seq = a
 * running count.  Never blocks.  For a vEVENTQ pump see
 * vfioiommu_vevent_pump_new().
 * @param pump the pump
 * @return records moved (>= 0); -EINVAL NULL @p pump; -EPROTO the kernel
 * returned a size that is not a multiple of 40, a record with cookie 0, or
 * the ring is in error; -EMSGSIZE a pending group larger than
 * VFIOIOMMU_PUMP_MAX_GROUP (reported by the run whose read finds it first,
 * which after a short read is the next run); -ESPIPE and other -errno from read().  The
 * message is on the context.
 */
VFIOIOMMU_API int vfioiommu_fault_pump_run(vfioiommu_fault_pump *pump);

/**
 * Answer the page-request group that carried @p cookie (one answer
 * completes the whole group).
 * @param pump   the pump that delivered the group
 * @param cookie the cookie of any record of the group
 * @param code   enum vfioiommu_page_resp
 * @return 0; -EINVAL NULL @p pump, bad @p code, a cookie this pump never
 * delivered, or one already answered (the message says which; nothing is
 * written to the kernel), or the kernel no longer knows the cookie (it
 * answered the group itself, for example after a detach: the cookie is
 * forgotten); -EOPNOTSUPP a vEVENTQ pump; other -errno from write().
 */
VFIOIOMMU_API int vfioiommu_fault_pump_respond(vfioiommu_fault_pump *pump, uint32_t cookie, uint32_t code);

/**
 * Answer the group that @p rec belongs to.  Prefer this to
 * vfioiommu_fault_pump_respond(): the kernel reuses a cookie as soon as a
 * group is answered, also when it answers a group itself (after a detach or
 * replace), so a late answer by cookie alone could complete a newer group
 * with the wrong code.  Here the record's @c seq identifies the group.
 * @param pump the pump that delivered the record
 * @param rec  any record of the group, as the ring delivered it
 * @param code enum vfioiommu_page_resp
 * @return as vfioiommu_fault_pump_respond(), and -ESTALE when the kernel
 * already answered @p rec's group and its cookie names a newer one (nothing
 * is written); -EINVAL for a NULL record or one that is not a page request.
 */
VFIOIOMMU_API int vfioiommu_fault_pump_respond_record(vfioiommu_fault_pump *pump,
						      const struct vfioiommu_fault *rec, uint32_t code);

/**
 * Groups delivered and not yet answered.
 * @param pump the pump
 * @return the count; 0 for NULL.
 */
VFIOIOMMU_API unsigned int vfioiommu_fault_pump_outstanding(const vfioiommu_fault_pump *pump);

/* ---- the vEVENTQ pump: an IOMMU_VEVENTQ_ALLOC fd into a ring ---- */

/** vEVENTQ types the pump can parse (IOMMU_VEVENTQ_TYPE_*). */
enum vfioiommu_veventq_type {
	VFIOIOMMU_VEVENTQ_ARM_SMMUV3 = 1,     /**< 32 bytes of data per event */
	VFIOIOMMU_VEVENTQ_TEGRA241_CMDQV = 2, /**< 16 bytes of data per event */
};
/**
 * vEVENTQ type of IOMMUFD_TEST's mock vIOMMU (kernels built with
 * CONFIG_IOMMUFD_TEST): 4 bytes of data per event, the virtual device id.
 * A macro: the value does not fit an enum constant in ISO C.
 */
#define VFIOIOMMU_VEVENTQ_SELFTEST 0xbeefbeefu

/**
 * A pump from a vEVENTQ fd into @p ring, using the run/destroy API of
 * vfioiommu_fault_pump.  vfioiommu_fault_pump_run() reads whole events
 * ({u32 flags; u32 sequence} plus the type's data), in reads sized to the
 * ring's room, and publishes:
 *  - a VFIOIOMMU_FAULT_VEVENT record per event (layout: struct
 *    vfioiommu_vevent), @c seq the kernel's sequence and @c missing (the
 *    record's @c lost field) the sequence numbers skipped before it: 0
 *    normally, n after a gap of n + 1 (INT_MAX is followed by 0);
 *  - a VFIOIOMMU_FAULT_LOST record for a LOST_EVENTS header (the kernel
 *    overflowed the queue): @c seq its sequence, @c lost 1, meaning "at least
 *    one"; the kernel does not say how many.
 *
 * The run fails with -EPROTO (message on the context) when a read returns a
 * cut event, a header with an unknown flag, or a sequence above INT_MAX;
 * nothing of that read reaches the ring.  vfioiommu_fault_pump_respond() is
 * -EOPNOTSUPP (vEVENTQ events are not answered).
 * @param ctx        the context: its door, and where messages go
 * @param veventq_fd the vEVENTQ fd (IOMMU_VEVENTQ_ALLOC); not owned
 * @param type       enum vfioiommu_veventq_type: the queue's event format
 * @param ring       the ring the records go to; it must outlive the pump
 * @param out        receives the pump; NULL on failure
 * @return 0; -EINVAL NULL argument, negative fd; -EOPNOTSUPP an unknown @p type; -ENOMEM.
 */
VFIOIOMMU_API int vfioiommu_vevent_pump_new(vfioiommu_ctx *ctx, int veventq_fd, uint32_t type,
	vfioiommu_ring *ring, vfioiommu_fault_pump **out);

/** vfioiommu_vevent_pump_stats(). */
struct vfioiommu_vevent_stats {
	uint32_t size;         /**< in: sizeof(struct vfioiommu_vevent_stats) as the caller compiled it */
	uint32_t reserved;     /**< zero (keeps the counters 8-byte aligned) */
	uint64_t events;       /**< VEVENT records published */
	uint64_t lost_headers; /**< LOST_EVENTS headers seen (each: at least one event dropped by the kernel) */
	uint64_t gaps;         /**< sequence gaps seen */
	uint64_t missing;      /**< sequence numbers skipped over all gaps */
};
/**
 * Counters of a vEVENTQ pump.
 * @param pump the pump
 * @param st   in: st->size = sizeof(*st); out: the counters
 * @return 0; -EINVAL NULL, a size below this version's struct, or a fault-fd pump.
 */
VFIOIOMMU_API int vfioiommu_vevent_pump_stats(const vfioiommu_fault_pump *pump,
	struct vfioiommu_vevent_stats *st);

VFIOIOMMU_END_DECLS

#endif
