/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/**
 * @file vfioiommu/objects.h
 * iommufd objects for VMMs: more address spaces (IOAS) in one context,
 * hardware page tables (HWPT) made on an IOAS or a nesting parent, moving a
 * device (or one of its PASIDs) between them, and IO page-fault queues
 * wired to a ring and a pump.
 *
 * The context's own IOAS (the one vfioiommu_dma_map() fills) stays the
 * simple path; everything here is for a caller that needs more than one
 * translation.  Handles are owned by the context: the context's end
 * destroys whatever is left, children before parents.  All calls are
 * thread-safe (they take the context's lock), need a context on the
 * iommufd backend (-EOPNOTSUPP on a VFIO container, -ENODEV before the
 * first device is opened) and leave a message on the context when they fail.
 *
 * A destroy the kernel refuses with EBUSY keeps the handle usable and says,
 * in the message, which of the library's objects and attachments still hold
 * the object.  A kernel without the ioctl or flag gives -EOPNOTSUPP naming the
 * Linux version that brought it, never a bare -ENOTTY.
 */
#ifndef VFIOIOMMU_OBJECTS_H
#define VFIOIOMMU_OBJECTS_H

#include <vfioiommu/common.h>
#include <vfioiommu/fault.h>
#include <vfioiommu/iova.h>

VFIOIOMMU_BEGIN_DECLS

/** An I/O address space (IOMMU_IOAS_ALLOC) in the context's iommufd. */
typedef struct vfioiommu_ioas vfioiommu_ioas;
/** A hardware page table (IOMMU_HWPT_ALLOC). */
typedef struct vfioiommu_pagetable vfioiommu_pagetable;
/** An IO page-fault queue (IOMMU_FAULT_QUEUE_ALLOC) with its pump into a ring. */
typedef struct vfioiommu_fault_queue vfioiommu_fault_queue;
/** A virtual IOMMU (IOMMU_VIOMMU_ALLOC): a VM's slice of an IOMMU, over a nesting parent. */
typedef struct vfioiommu_viommu vfioiommu_viommu;
/** A device's virtual id on a vIOMMU (IOMMU_VDEVICE_ALLOC). */
typedef struct vfioiommu_vdevice vfioiommu_vdevice;
/** A vIOMMU event queue (IOMMU_VEVENTQ_ALLOC) with its pump into a ring. */
typedef struct vfioiommu_veventq vfioiommu_veventq;
/** A hardware-accelerated queue of a vIOMMU in guest memory (IOMMU_HW_QUEUE_ALLOC). */
typedef struct vfioiommu_hw_queue vfioiommu_hw_queue;

/* ---------------- address spaces ---------------- */

/**
 * Allocate a new, empty IOAS in the context's iommufd.
 * @param ctx the context (iommufd backend, a device opened)
 * @param out receives the handle; NULL on failure
 * @return 0; -EINVAL NULL argument; -EOPNOTSUPP container backend; -ENODEV
 * no backend chosen yet; -EPROTO the kernel returned id 0; -ENOMEM; other
 * -errno from the kernel.
 */
VFIOIOMMU_API int vfioiommu_ioas_new(vfioiommu_ctx *ctx, vfioiommu_ioas **out);

/**
 * The context's own IOAS (the one vfioiommu_dma_map() maps into), as a
 * handle to make page tables on or to attach a device back to.  The handle
 * is borrowed: vfioiommu_ioas_destroy() refuses it, and
 * vfioiommu_ioas_map() / _unmap() refuse it too (use vfioiommu_dma_map(),
 * which keeps the context's table of mappings).
 * @param ctx the context
 * @param out receives the handle; NULL on failure
 * @return 0; -EINVAL NULL argument; -EOPNOTSUPP container backend; -ENODEV
 * no backend chosen yet; -ENOMEM.
 */
VFIOIOMMU_API int vfioiommu_ctx_ioas(vfioiommu_ctx *ctx, vfioiommu_ioas **out);

/**
 * Destroy an IOAS made by vfioiommu_ioas_new() (IOMMU_DESTROY).  Its
 * mappings go with it.
 * @param ioas the IOAS; NULL gives -EINVAL
 * @return 0 (the handle is freed); -EBUSY a page table is made on it or a
 * device is attached to it: the message names those the library knows of,
 * and the handle stays usable; -EINVAL NULL or the context's own IOAS;
 * other -errno from the kernel (the handle stays).
 */
VFIOIOMMU_API int vfioiommu_ioas_destroy(vfioiommu_ioas *ioas);

/**
 * The iommufd object id of an IOAS.
 * @param ioas the IOAS
 * @return the id; 0 for NULL.
 */
VFIOIOMMU_API uint32_t vfioiommu_ioas_id(const vfioiommu_ioas *ioas);

/**
 * The IOVA ranges the IOAS can map today (IOMMU_IOAS_IOVA_RANGES): all of
 * them on an IOAS no device uses, narrowed by each attached device's
 * aperture and reserved regions.
 * @param ioas the IOAS
 * @param out  receives a list to free with vfioiommu_iova_list_free(); NULL on failure
 * @return 0; -EINVAL NULL argument; -EPROTO a kernel answer that makes no
 * sense (start after last, an absurd count); -ENOMEM; other -errno from the kernel.
 */
VFIOIOMMU_API int vfioiommu_ioas_iova_ranges(vfioiommu_ioas *ioas, vfioiommu_iova_list **out);

/**
 * Map [vaddr, vaddr + len) into an IOAS made by vfioiommu_ioas_new(), with
 * the errno meanings of vfioiommu_dma_map(): the library keeps a table of the
 * mappings of each IOAS.
 * @param ioas  the IOAS (not the context's own)
 * @param vaddr the buffer, aligned to the IOAS's IOVA alignment (at least 4 KiB)
 * @param len   bytes, a multiple of that alignment, not 0
 * @param flags VFIOIOMMU_DMA_READ and/or VFIOIOMMU_DMA_WRITE, optionally
 *              VFIOIOMMU_DMA_FIXED_IOVA (enum vfioiommu_dma_flags)
 * @param iova  with FIXED_IOVA in: where to map; out: where it was mapped
 *              (without FIXED_IOVA the kernel chooses)
 * @return 0; -EINVAL NULL argument, the context's own IOAS, unknown flags,
 * neither READ nor WRITE, @p len 0, unaligned, overflowing; -ERANGE a
 * FIXED_IOVA range not inside one usable range; -EEXIST it overlaps a
 * mapping; -ENOSPC no room for a kernel-chosen IOVA; -ENOMEM / -EPERM the
 * pages cannot be pinned (the message names RLIMIT_MEMLOCK); other -errno
 * from the kernel.
 */
VFIOIOMMU_API int vfioiommu_ioas_map(vfioiommu_ioas *ioas, void *vaddr, uint64_t len, uint32_t flags,
				     uint64_t *iova);

/**
 * Unmap whole mappings of an IOAS made by vfioiommu_ioas_new().
 * @param ioas the IOAS (not the context's own)
 * @param iova start of the range
 * @param len  bytes; the range must cover whole mappings
 * @return 0; -EINVAL NULL, the context's own IOAS, @p len 0 or an
 * overflowing range, or the range would split a mapping (nothing is sent to
 * the kernel); -ENOENT nothing is mapped in the range; -EIO the kernel
 * unmapped another byte count than the table expects; other -errno from the kernel.
 */
VFIOIOMMU_API int vfioiommu_ioas_unmap(vfioiommu_ioas *ioas, uint64_t iova, uint64_t len);

/* ---------------- page tables ---------------- */

/** Flags of struct vfioiommu_pagetable_opts (the kernel's IOMMU_HWPT_ALLOC_* / FAULT_ID_VALID bits). */
enum vfioiommu_pagetable_flags {
	/** May be the parent (stage 2) of nested page tables (Linux 6.7). */
	VFIOIOMMU_PT_NEST_PARENT = 1u << 0,
	/** The IOMMU tracks written pages (Linux 6.7; needs VFIOIOMMU_HW_CAP_DIRTY_TRACKING). */
	VFIOIOMMU_PT_DIRTY_TRACKING = 1u << 1,
	/** IO page faults go to opts.fault (Linux 6.11); set by itself when opts.fault is set. */
	VFIOIOMMU_PT_FAULT = 1u << 2,
	/** May be attached to PASIDs, and be the RID's page table while PASIDs are attached (Linux 6.15). */
	VFIOIOMMU_PT_PASID = 1u << 3,
};

/** How to make a page table: set size, then the fields needed. */
struct vfioiommu_pagetable_opts {
	/** sizeof(struct vfioiommu_pagetable_opts) as the caller compiled it. */
	uint32_t size;
	/** enum vfioiommu_pagetable_flags. */
	uint32_t flags;
	/** The IOAS it translates; NULL (with @c parent NULL) means the context's own. */
	vfioiommu_ioas *ioas;
	/** A nested page table: its stage-2 parent (made with VFIOIOMMU_PT_NEST_PARENT); @c ioas must be NULL. */
	vfioiommu_pagetable *parent;
	/** Where IO page faults go; implies VFIOIOMMU_PT_FAULT. */
	vfioiommu_fault_queue *fault;
	/** The vendor data type of @c data (the kernel's enum iommu_hwpt_data_type); 0 = none. */
	uint32_t data_type;
	/** Bytes at @c data; 0 exactly when @c data_type is 0. */
	uint32_t data_len;
	/** Vendor data (a nested page table's stage-1 description), copied by the kernel. */
	const void *data;
	/**
	 * A nested page table on a vIOMMU (Linux 6.13; its parent is the
	 * vIOMMU's); @c ioas and @c parent must be NULL, vendor data is needed.
	 */
	vfioiommu_viommu *viommu;
};

/**
 * Allocate a page table for the device @p dev_id (the IOMMU it sits
 * behind decides what is possible), on an IOAS or a nesting parent.
 * @param ctx    the context
 * @param dev_id an iommufd device id: vfioiommu_device_iommufd_id(), or one
 *               made outside the library on the same iommufd
 * @param opts   what to make; NULL = a plain page table on the context's IOAS
 * @param out    receives the handle; NULL on failure
 * @return 0; -EINVAL NULL @p ctx or @p out, a bad opts->size, unknown flags,
 * both @c ioas and @c parent, a @c parent without NEST_PARENT, FAULT without
 * a queue, @c data_len and @c data_type not both 0 or both set, or handles
 * of another context; -EOPNOTSUPP container backend, or the IOMMU or kernel
 * cannot make this page table (the message names the flag and the Linux
 * version that brought it); -ENOENT no device @p dev_id; -ENODEV no backend
 * chosen yet; -EPROTO id 0 from the kernel; -ENOMEM; other -errno from the kernel.
 */
VFIOIOMMU_API int vfioiommu_pagetable_new(vfioiommu_ctx *ctx, uint32_t dev_id,
	const struct vfioiommu_pagetable_opts *opts, vfioiommu_pagetable **out);

/**
 * Destroy a page table (IOMMU_DESTROY).
 * @param pt the page table; NULL gives -EINVAL
 * @return 0 (the handle is freed); -EBUSY a device, PASID or nested page
 * table still uses it: the message names those the library knows of, and
 * the handle stays usable; other -errno from the kernel (the handle stays).
 */
VFIOIOMMU_API int vfioiommu_pagetable_destroy(vfioiommu_pagetable *pt);

/**
 * The iommufd object id of a page table.
 * @param pt the page table
 * @return the id; 0 for NULL.
 */
VFIOIOMMU_API uint32_t vfioiommu_pagetable_id(const vfioiommu_pagetable *pt);

/* ---------------- attaching devices ---------------- */

/**
 * Put the device's own DMA (its RID) on @p ioas: attach, or replace what it
 * is on without a blocking window (the kernel makes or reuses a page table
 * on the IOAS).
 * @param dev  a device of the context
 * @param ioas an IOAS of the same context (vfioiommu_ctx_ioas() for the context's own)
 * @return 0; -EINVAL NULL argument, another context's IOAS, or the device's
 * IOMMU cannot join the IOAS (PASIDs attached and the IOAS's page table is
 * not PASID-capable); -EADDRINUSE mappings of the IOAS overlap the device's
 * reserved regions or lie outside its aperture; -EOPNOTSUPP container
 * backend; other -errno from the kernel.
 */
VFIOIOMMU_API int vfioiommu_device_attach_ioas(vfioiommu_device *dev, vfioiommu_ioas *ioas);

/**
 * Put the device's RID on the page table @p pt (attach or replace).
 * @param dev a device of the context
 * @param pt  a page table of the same context
 * @return as vfioiommu_device_attach_ioas(); -ENODEV also when @p pt has a
 * fault queue and the device cannot fault (no PRI).
 */
VFIOIOMMU_API int vfioiommu_device_attach_pagetable(vfioiommu_device *dev, vfioiommu_pagetable *pt);

/**
 * Attach PASID @p pasid of the device to @p pt, or move it there from the
 * page table it is on (Linux 6.15).
 * @param dev   a device of the context
 * @param pasid the PASID, 1 .. 2^max_pasid_log2 - 1 (0 is the RID: use
 *              vfioiommu_device_attach_pagetable())
 * @param pt    a page table made with VFIOIOMMU_PT_PASID
 * @return 0; -EINVAL NULL argument, another context's page table, PASID 0,
 * a page table (or the RID's) that is not PASID-capable, a PASID out of the
 * device's range, or a kernel before 6.15; -EOPNOTSUPP container backend or
 * a VFIO driver without PASID attach; other -errno from the kernel.
 */
VFIOIOMMU_API int vfioiommu_device_pasid_attach(vfioiommu_device *dev, uint32_t pasid, vfioiommu_pagetable *pt);

/**
 * Detach PASID @p pasid of the device from the page table it is on.
 * @param dev   a device of the context
 * @param pasid the PASID (not 0)
 * @return 0 (also when the PASID was not attached); -EINVAL NULL @p dev or
 * PASID 0; -EOPNOTSUPP container backend or a kernel before 6.15; other
 * -errno from the kernel.
 */
VFIOIOMMU_API int vfioiommu_device_pasid_detach(vfioiommu_device *dev, uint32_t pasid);

/* ---------------- fault queues ---------------- */

/**
 * Allocate an IO page-fault queue (IOMMU_FAULT_QUEUE_ALLOC, Linux 6.11) and
 * a pump from it into @p ring, in one call.  Page tables made with
 * opts.fault = the queue send their faults here; vfioiommu_fault_pump_run()
 * on vfioiommu_fault_queue_pump() moves them into the ring, and
 * vfioiommu_fault_pump_respond_record() answers them.
 * @param ctx  the context
 * @param ring the ring the page requests go to; it must outlive every run of
 *             the queue's pump (a ring made on @p ctx goes before the context)
 * @param out  receives the queue; NULL on failure
 * @return 0; -EINVAL NULL argument; -EOPNOTSUPP container backend, or a
 * kernel before 6.11; -ENODEV no backend chosen yet; -ENOMEM; other -errno
 * from the kernel.
 */
VFIOIOMMU_API int vfioiommu_fault_queue_new(vfioiommu_ctx *ctx, vfioiommu_ring *ring,
	vfioiommu_fault_queue **out);

/**
 * Destroy a fault queue: its pump, its fd, and (with the fd) the kernel
 * object.  Groups still unanswered are answered by the kernel.
 * @param q the queue; NULL gives -EINVAL
 * @return 0 (the handle is freed); -EBUSY a page table of the library still
 * sends faults to it (the message names it; the queue stays usable).
 */
VFIOIOMMU_API int vfioiommu_fault_queue_destroy(vfioiommu_fault_queue *q);

/**
 * The pump of a fault queue (owned by the queue: do not destroy it).
 * @param q the queue
 * @return the pump; NULL for NULL.
 */
VFIOIOMMU_API vfioiommu_fault_pump *vfioiommu_fault_queue_pump(vfioiommu_fault_queue *q);

/**
 * The queue's fault fd, to poll for POLLIN before vfioiommu_fault_pump_run()
 * (owned by the queue).
 * @param q the queue
 * @return the fd; -EINVAL for NULL.
 */
VFIOIOMMU_API int vfioiommu_fault_queue_fd(const vfioiommu_fault_queue *q);

/**
 * The iommufd object id of a fault queue.
 * @param q the queue
 * @return the id; 0 for NULL.
 */
VFIOIOMMU_API uint32_t vfioiommu_fault_queue_id(const vfioiommu_fault_queue *q);

/* ---------------- vIOMMU, vDEVICE, vEVENTQ ---------------- */

/** vIOMMU types (the kernel's enum iommu_viommu_type). */
enum vfioiommu_viommu_type {
	VFIOIOMMU_VIOMMU_ARM_SMMUV3 = 1,     /**< Arm SMMUv3 (Linux 6.13) */
	VFIOIOMMU_VIOMMU_TEGRA241_CMDQV = 2, /**< NVIDIA Tegra241 CMDQV (Linux 6.17) */
};
/** vIOMMU type of IOMMUFD_TEST's mock driver (kernels built with CONFIG_IOMMUFD_TEST). */
#define VFIOIOMMU_VIOMMU_SELFTEST 0xdeadbeefu

/**
 * Allocate a vIOMMU on a nesting parent page table (IOMMU_VIOMMU_ALLOC,
 * Linux 6.13).  Nested page tables (opts.viommu), vDEVICEs and vEVENTQs are
 * then made on it.
 * @param ctx    the context
 * @param dev_id the iommufd device id of a device behind the IOMMU to virtualise
 * @param parent a page table made with VFIOIOMMU_PT_NEST_PARENT (the stage 2)
 * @param type   enum vfioiommu_viommu_type, or VFIOIOMMU_VIOMMU_SELFTEST
 * @param out    receives the handle; NULL on failure
 * @return 0; -EINVAL NULL argument, a @p parent of another context or without
 * NEST_PARENT; -EOPNOTSUPP container backend, the IOMMU has no vIOMMU of
 * @p type, or a kernel before 6.13 (the message says which); -ENOENT no
 * device @p dev_id; -ENODEV no backend chosen yet; -ENOMEM; other -errno
 * from the kernel.
 */
VFIOIOMMU_API int vfioiommu_viommu_new(vfioiommu_ctx *ctx, uint32_t dev_id, vfioiommu_pagetable *parent,
	uint32_t type, vfioiommu_viommu **out);

/**
 * Destroy a vIOMMU.
 * @param v the vIOMMU; NULL gives -EINVAL
 * @return 0 (the handle is freed); -EBUSY vDEVICEs, vEVENTQs or nested
 * page tables are still on it (the message names those of the library; the
 * handle stays usable); other -errno from the kernel.
 */
VFIOIOMMU_API int vfioiommu_viommu_destroy(vfioiommu_viommu *v);

/**
 * The iommufd object id of a vIOMMU.
 * @param v the vIOMMU
 * @return the id; 0 for NULL.
 */
VFIOIOMMU_API uint32_t vfioiommu_viommu_id(const vfioiommu_viommu *v);

/**
 * Give a device its virtual id on a vIOMMU (IOMMU_VDEVICE_ALLOC, Linux
 * 6.13): the vSID of an SMMUv3, the vDeviceID of an AMD IOMMU, the vRID of
 * VT-d.  Events the vIOMMU reports for the device carry this id.
 * @param v       the vIOMMU
 * @param dev_id  the device's iommufd id
 * @param virt_id its virtual id; unique per vIOMMU
 * @param out     receives the handle; NULL on failure
 * @return 0; -EINVAL NULL argument; -EEXIST @p virt_id is taken on @p v, or
 * the device already has a vDEVICE (the message names the one that has
 * it); -EOPNOTSUPP a kernel before 6.13; -ENOENT no device @p dev_id; other
 * -errno from the kernel.
 */
VFIOIOMMU_API int vfioiommu_vdevice_new(vfioiommu_viommu *v, uint32_t dev_id, uint64_t virt_id,
	vfioiommu_vdevice **out);

/**
 * Destroy a vDEVICE (before closing its device: the kernel otherwise
 * retires the virtual id until /dev/iommu closes).
 * @param vd the vDEVICE; NULL gives -EINVAL
 * @return 0 (the handle is freed); other -errno from the kernel (the handle stays).
 */
VFIOIOMMU_API int vfioiommu_vdevice_destroy(vfioiommu_vdevice *vd);

/**
 * The iommufd object id of a vDEVICE.
 * @param vd the vDEVICE
 * @return the id; 0 for NULL.
 */
VFIOIOMMU_API uint32_t vfioiommu_vdevice_id(const vfioiommu_vdevice *vd);

/**
 * Allocate a vIOMMU event queue (IOMMU_VEVENTQ_ALLOC, Linux 6.15) and a pump
 * from it into @p ring, in one call: vfioiommu_fault_pump_run() on
 * vfioiommu_veventq_pump() publishes VFIOIOMMU_FAULT_VEVENT records.
 * @param v     the vIOMMU
 * @param type  enum vfioiommu_veventq_type, or VFIOIOMMU_VEVENTQ_SELFTEST
 * @param depth events the kernel queues before it drops (1 .. 2^19)
 * @param ring  the ring the records go to; it must outlive every run of the pump
 * @param out   receives the handle; NULL on failure
 * @return 0; -EINVAL NULL argument, @p depth 0 or above 2^19; -EOPNOTSUPP a
 * type the pump cannot parse or the vIOMMU does not report, or a kernel
 * before 6.15; -EEXIST the vIOMMU has a queue of this type; other -errno
 * from the kernel.
 */
VFIOIOMMU_API int vfioiommu_veventq_new(vfioiommu_viommu *v, uint32_t type, uint32_t depth, vfioiommu_ring *ring,
	vfioiommu_veventq **out);

/**
 * Destroy a vEVENTQ: its pump, its fd and the kernel object.
 * @param q the queue; NULL gives -EINVAL
 * @return 0 (the handle is freed).
 */
VFIOIOMMU_API int vfioiommu_veventq_destroy(vfioiommu_veventq *q);

/**
 * The pump of a vEVENTQ (owned by the queue).
 * @param q the queue
 * @return the pump; NULL for NULL.
 */
VFIOIOMMU_API vfioiommu_fault_pump *vfioiommu_veventq_pump(vfioiommu_veventq *q);

/**
 * The vEVENTQ's fd, to poll for POLLIN (owned by the queue).
 * @param q the queue
 * @return the fd; -EINVAL for NULL.
 */
VFIOIOMMU_API int vfioiommu_veventq_fd(const vfioiommu_veventq *q);

/**
 * The iommufd object id of a vEVENTQ.
 * @param q the queue
 * @return the id; 0 for NULL.
 */
VFIOIOMMU_API uint32_t vfioiommu_veventq_id(const vfioiommu_veventq *q);

/* ---------------- nesting: vendor data, invalidation, hardware info ---------------- */

/** Nested page-table data types (vfioiommu_pagetable_opts.data_type; the kernel's enum iommu_hwpt_data_type). */
#define VFIOIOMMU_HWPT_DATA_VTD_S1 1u       /**< struct vfioiommu_hwpt_vtd_s1 (Linux 6.8) */
#define VFIOIOMMU_HWPT_DATA_ARM_SMMUV3 2u   /**< struct vfioiommu_hwpt_arm_smmuv3 (Linux 6.14) */
#define VFIOIOMMU_HWPT_DATA_AMD_GUEST 3u    /**< struct vfioiommu_hwpt_amd_guest (Linux 6.19) */
#define VFIOIOMMU_HWPT_DATA_SELFTEST 0xdeadu /**< struct vfioiommu_hwpt_selftest (CONFIG_IOMMUFD_TEST) */

/** Intel VT-d stage-1 page table (VFIOIOMMU_HWPT_DATA_VTD_S1). */
struct vfioiommu_hwpt_vtd_s1 {
	uint64_t flags;      /**< VFIOIOMMU_VTD_S1_* */
	uint64_t pgtbl_addr; /**< guest-physical base of the stage-1 table */
	uint32_t addr_width; /**< its address width (48 or 57) */
	uint32_t reserved;   /**< zero */
};
#define VFIOIOMMU_VTD_S1_SRE (1ull << 0)  /**< supervisor requests */
#define VFIOIOMMU_VTD_S1_EAFE (1ull << 1) /**< extended access flag */
#define VFIOIOMMU_VTD_S1_WPE (1ull << 2)  /**< write protect */

/** Arm SMMUv3 guest stream table entry, little-endian words (VFIOIOMMU_HWPT_DATA_ARM_SMMUV3). */
struct vfioiommu_hwpt_arm_smmuv3 {
	uint64_t ste[2]; /**< STE words 0 and 1: V, Config (abort, bypass, S1), S1ContextPtr, ... */
};

/** AMD guest device table entry (VFIOIOMMU_HWPT_DATA_AMD_GUEST). */
struct vfioiommu_hwpt_amd_guest {
	uint64_t dte[4]; /**< the guest's DTE */
};

/** IOMMUFD_TEST's nested data (VFIOIOMMU_HWPT_DATA_SELFTEST). */
struct vfioiommu_hwpt_selftest {
	uint32_t iotlb; /**< the mock IOTLB's initial value */
};

/** Invalidation entry types (the kernel's enum iommu_hwpt_invalidate_data_type). */
#define VFIOIOMMU_INVALIDATE_VTD_S1 0u           /**< struct vfioiommu_invalidate_vtd_s1, on a nested page table */
#define VFIOIOMMU_INVALIDATE_ARM_SMMUV3 1u       /**< struct vfioiommu_invalidate_arm_smmuv3, on a vIOMMU */
#define VFIOIOMMU_INVALIDATE_SELFTEST 0xdeadbeefu /**< IOMMUFD_TEST: struct vfioiommu_invalidate_selftest on a nested page table, struct vfioiommu_viommu_invalidate_selftest on a vIOMMU */

/** A VT-d stage-1 IOTLB invalidation. */
struct vfioiommu_invalidate_vtd_s1 {
	uint64_t addr;   /**< start, 4 KiB aligned */
	uint64_t npages; /**< pages; U64_MAX with addr 0: everything */
	uint32_t flags;  /**< VFIOIOMMU_VTD_INV_LEAF */
	uint32_t reserved; /**< zero */
};
#define VFIOIOMMU_VTD_INV_LEAF (1u << 0) /**< only leaf entries changed */

/** An SMMUv3 command (TLBI_NH_*, TLBI_S12_VMALL, ATC_INV, CFGI_CD*), little-endian words. */
struct vfioiommu_invalidate_arm_smmuv3 {
	uint64_t cmd[2]; /**< the command as the guest queued it */
};

/** IOMMUFD_TEST's nested-page-table invalidation. */
struct vfioiommu_invalidate_selftest {
	uint32_t flags;    /**< VFIOIOMMU_INVALIDATE_SELFTEST_ALL or 0 */
	uint32_t iotlb_id; /**< entry 0..3 (ignored with ALL) */
};
/** IOMMUFD_TEST's vIOMMU invalidation. */
struct vfioiommu_viommu_invalidate_selftest {
	uint32_t flags;    /**< VFIOIOMMU_INVALIDATE_SELFTEST_ALL or 0 */
	uint32_t vdev_id;  /**< the vDEVICE's virtual id */
	uint32_t cache_id; /**< entry 0..3 (ignored with ALL) */
};
#define VFIOIOMMU_INVALIDATE_SELFTEST_ALL (1u << 0) /**< every entry */

/**
 * Invalidate the IOMMU's caches of a nested page table after the guest
 * changed its stage 1 (IOMMU_HWPT_INVALIDATE, Linux 6.8): an array of
 * entries of one type, handled in order.  @p n in: entries; out: how many
 * the kernel handled, also on failure, so a failure at entry k leaves *@p n
 * = k and the message says "entry k".  *@p n = 0 asks whether the type is
 * supported.
 * @param pt        a nested page table (made with a parent or a vIOMMU)
 * @param type      VFIOIOMMU_INVALIDATE_*
 * @param entries   @p *n entries of @p entry_len bytes
 * @param entry_len bytes per entry (the struct of @p type, or larger with zeroed tails)
 * @param n         in: entries; out: entries handled
 * @return 0; -EINVAL NULL @p pt or @p n, entries NULL with *@p n > 0, not a
 * nested page table, a type the page table does not take, or a malformed
 * entry; -EOPNOTSUPP unknown flags in an entry, an IOMMU without user
 * invalidation, or a kernel before 6.8; -EIO an entry the IOMMU rejects;
 * other -errno from the kernel.
 */
VFIOIOMMU_API int vfioiommu_pagetable_invalidate(vfioiommu_pagetable *pt, uint32_t type, const void *entries,
	uint32_t entry_len, uint32_t *n);

/**
 * The same on a vIOMMU (its commands name vDEVICEs by virtual id: SMMUv3
 * TLBI and CFGI commands; Linux 6.14).
 * @param v         the vIOMMU
 * @param type      VFIOIOMMU_INVALIDATE_*
 * @param entries   @p *n entries of @p entry_len bytes
 * @param entry_len bytes per entry
 * @param n         in: entries; out: entries handled
 * @return as vfioiommu_pagetable_invalidate().
 */
VFIOIOMMU_API int vfioiommu_viommu_invalidate(vfioiommu_viommu *v, uint32_t type, const void *entries,
	uint32_t entry_len, uint32_t *n);

/** VT-d register dump of IOMMU_GET_HW_INFO (type VFIOIOMMU_HW_INTEL_VTD). */
struct vfioiommu_hw_info_vtd {
	uint32_t flags;    /**< bit 0: erratum 772415 (no read-only mappings on a nesting parent) */
	uint32_t reserved; /**< zero */
	uint64_t cap_reg;  /**< the capability register */
	uint64_t ecap_reg; /**< the extended capability register */
};
/** SMMUv3 register dump (type VFIOIOMMU_HW_ARM_SMMUV3). */
struct vfioiommu_hw_info_arm_smmuv3 {
	uint32_t flags;    /**< zero today */
	uint32_t reserved; /**< zero */
	uint32_t idr[6];   /**< SMMU_IDR0..5 */
	uint32_t iidr;     /**< SMMU_IIDR */
	uint32_t aidr;     /**< SMMU_AIDR */
};
/** AMD IOMMU feature registers (type VFIOIOMMU_HW_AMD). */
struct vfioiommu_hw_info_amd {
	uint64_t efr;  /**< extended feature register */
	uint64_t efr2; /**< extended feature register 2 */
};

/**
 * IOMMU_GET_HW_INFO with the driver's register dump, the kernel's size
 * contract passed through: the first min(*@p len, the driver's size) bytes
 * are copied into @p data, the rest of @p data is zeroed, and *@p len
 * becomes the driver's size (larger than what was passed: the dump was cut).
 * @param dev  the device
 * @param type out: the dump's type (enum vfioiommu_hw_type); 0 with no dump
 * @param data where the dump goes (struct vfioiommu_hw_info_vtd, _arm_smmuv3, _amd)
 * @param len  in: bytes at @p data; out: the driver's size
 * @return 0; -EINVAL NULL argument or *@p len 0; -EOPNOTSUPP container
 * backend or a kernel before 6.6; -ENODEV no backend yet, or a mediated
 * device (no IOMMU behind it); other -errno from the kernel.
 */
VFIOIOMMU_API int vfioiommu_device_hw_info_data(vfioiommu_device *dev, uint32_t *type, void *data, uint32_t *len);

/* ---------------- the rest of the IOAS uAPI ---------------- */

/** iommufd options (IOMMU_OPTION, Linux 6.2). */
enum vfioiommu_option {
	/**
	 * How pinned pages are charged: 0 to the user (RLIMIT_MEMLOCK of the
	 * user), 1 to the process (its mm).  Global; setting it needs
	 * CAP_SYS_RESOURCE and an iommufd without objects.
	 */
	VFIOIOMMU_OPTION_RLIMIT_MODE = 0,
	/** 1 (default): map contiguous memory with large IOMMU pages; 0: 4 KiB only.  Per IOAS. */
	VFIOIOMMU_OPTION_HUGE_PAGES = 1,
};

/**
 * Set an iommufd option.
 * @param ctx    the context
 * @param ioas   VFIOIOMMU_OPTION_HUGE_PAGES: the IOAS (NULL: the context's
 *               own); VFIOIOMMU_OPTION_RLIMIT_MODE: must be NULL
 * @param option enum vfioiommu_option
 * @param val    0 or 1
 * @return 0; -EINVAL NULL @p ctx, a value other than 0 and 1, an IOAS with
 * RLIMIT_MODE, an IOAS of another context, or HUGE_PAGES off on an IOAS
 * with a device and mappings (the message says which); -EBUSY RLIMIT_MODE
 * once the iommufd has objects (a context always has its IOAS);
 * -EPERM RLIMIT_MODE without CAP_SYS_RESOURCE; -EOPNOTSUPP an unknown
 * option, a container backend or a kernel before 6.2; other -errno from the kernel.
 */
VFIOIOMMU_API int vfioiommu_option_set(vfioiommu_ctx *ctx, vfioiommu_ioas *ioas, uint32_t option, uint64_t val);

/**
 * Read an iommufd option.
 * @param ctx    the context
 * @param ioas   as vfioiommu_option_set()
 * @param option enum vfioiommu_option
 * @param val    receives the value
 * @return 0; -EINVAL NULL @p ctx or @p val, an IOAS with RLIMIT_MODE;
 * -EOPNOTSUPP as vfioiommu_option_set(); other -errno from the kernel.
 */
VFIOIOMMU_API int vfioiommu_option_get(vfioiommu_ctx *ctx, vfioiommu_ioas *ioas, uint32_t option, uint64_t *val);

/**
 * Promise the IOVA ranges a VMM will need (IOMMU_IOAS_ALLOW_IOVAS): a device
 * whose reserved regions or aperture would take any of them can no longer
 * be attached, and kernel-chosen IOVAs come from them.  The call replaces
 * the previous list; @p n 0 clears it.  It does not change what
 * vfioiommu_ioas_iova_ranges() reports.
 * @param ioas   the IOAS (the context's own too)
 * @param ranges @p n ranges, not overlapping (any order)
 * @param n      their count
 * @return 0; -EINVAL NULL @p ioas, @p ranges NULL with @p n > 0, a range
 * with start after last, overlapping ranges; -EADDRINUSE a range covers
 * what an attached device already reserves; other -errno from the kernel.
 */
VFIOIOMMU_API int vfioiommu_ioas_allow_iovas(vfioiommu_ioas *ioas, const struct vfioiommu_iova_range *ranges,
	uint32_t n);

/**
 * Map in @p dst what a mapping of @p src maps (IOMMU_IOAS_COPY): the same
 * pages, pinned once.  The source range must be one whole mapping.
 * @param dst      the IOAS to map into (not the context's own: use vfioiommu_dma_map())
 * @param src      the IOAS to copy from (the context's own too)
 * @param src_iova start of the source mapping
 * @param len      its length
 * @param flags    VFIOIOMMU_DMA_READ and/or _WRITE, optionally _FIXED_IOVA
 * @param dst_iova with FIXED_IOVA in: where; out: where it was mapped
 * @return 0; as vfioiommu_ioas_map() for @p dst; -ENOENT the source range
 * is not one whole mapping of @p src; -EOPNOTSUPP a kernel before 6.2;
 * other -errno from the kernel.
 */
VFIOIOMMU_API int vfioiommu_ioas_copy(vfioiommu_ioas *dst, vfioiommu_ioas *src, uint64_t src_iova, uint64_t len,
	uint32_t flags, uint64_t *dst_iova);

/**
 * Charge the context's pinned pages to the calling process
 * (IOMMU_IOAS_CHANGE_PROCESS, Linux 6.13), after the iommufd was handed to
 * it (live update).  Only file mappings (vfioiommu_dma_map_file()) can move.
 * @param ctx the context
 * @return 0; -EINVAL NULL @p ctx, or a mapping of process memory exists
 * (the message says so); -EOPNOTSUPP container backend or a kernel before
 * 6.13; other -errno from the kernel.
 */
VFIOIOMMU_API int vfioiommu_ctx_change_process(vfioiommu_ctx *ctx);

/** HW queue types (the kernel's enum iommu_hw_queue_type). */
#define VFIOIOMMU_HW_QUEUE_TEGRA241_CMDQV 1u     /**< a Tegra241 CMDQV virtual command queue (Linux 6.17) */
#define VFIOIOMMU_HW_QUEUE_SELFTEST 0xdeadbeefu  /**< IOMMUFD_TEST's mock driver */

/**
 * Give the vIOMMU's hardware a queue in guest memory (IOMMU_HW_QUEUE_ALLOC,
 * Linux 6.17): the IOMMU reads the guest's commands there directly.  The
 * memory is an IOVA range of the vIOMMU's nesting parent (its IOAS); the
 * kernel pins it while the queue lives.
 * @param v     the vIOMMU
 * @param type  VFIOIOMMU_HW_QUEUE_*
 * @param index the queue's index among the vIOMMU's queues of @p type
 * @param iova  start of the queue in the nesting parent's IOAS (mapped)
 * @param len   its length in bytes
 * @param out   receives the handle; NULL on failure
 * @return 0; -EINVAL NULL argument, @p len 0, or a range, index or type
 * the driver refuses; -EOPNOTSUPP the vIOMMU has no HW queues, or a kernel
 * before 6.17; -EEXIST the index is taken; other -errno from the kernel.
 */
VFIOIOMMU_API int vfioiommu_hw_queue_new(vfioiommu_viommu *v, uint32_t type, uint32_t index, uint64_t iova,
	uint64_t len, vfioiommu_hw_queue **out);

/**
 * Destroy a HW queue.
 * @param q the queue; NULL gives -EINVAL
 * @return 0 (the handle is freed); -EBUSY the queue of the next index of
 * the same type still lives (the kernel frees queues from the highest index
 * down; the message names it); other -errno from the kernel (the handle stays).
 */
VFIOIOMMU_API int vfioiommu_hw_queue_destroy(vfioiommu_hw_queue *q);

/**
 * The iommufd object id of a HW queue.
 * @param q the queue
 * @return the id; 0 for NULL.
 */
VFIOIOMMU_API uint32_t vfioiommu_hw_queue_id(const vfioiommu_hw_queue *q);

VFIOIOMMU_END_DECLS

#endif
