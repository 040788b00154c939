/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/**
 * @file vfioiommu/pasid.h
 * Host-owned PASID allocation with per-guest quotas, and attaching a PASID of
 * a device to an iommufd hardware page table.
 *
 * Upstream Linux has no PASID allocation call: userspace picks PASID values
 * itself, bounded by the width the IOMMU and the device report.  A VMM that
 * hands PASIDs to several guests needs one owner of the value space that
 * stops a guest from taking them all.  Here:
 *  - a *space* is the value range [0, 2^width) of one device (or of several
 *    devices sharing one PASID table), minus PASID 0 and one optional reserved
 *    range;
 *  - a *set* is one consumer's share of a space (one per guest) with a quota,
 *    1000 by default, the default of the 2020 VFIO PASID proposal;
 *  - a *handle* names one allocated PASID of one set.  It is a plain 64-bit
 *    value carrying a generation, so a handle kept after its PASID was freed
 *    is refused even when the same PASID has since been given out again.
 *
 * Every operation on a PASID takes the set it belongs to; a handle of another
 * set is refused with -EINVAL, and so is one of another space (told apart by
 * a 12-bit space tag and a 32-bit per-space generation offset, so a foreign
 * handle passes only if both collide).
 *
 * Cost: allocation and free are O(log64 n) (a four-level summary bitmap at
 * most, for 2^20 PASIDs), whatever the occupancy.  Freeing a set is O(k) in
 * the PASIDs it holds.  A space keeps 8 bytes per PASID (8 MiB of address
 * space for 2^20, of which only the pages of PASIDs ever used are touched),
 * and a set about 8 to 16 bytes per PASID it holds.
 *
 * Threads: each space has one mutex that every operation on it or its sets
 * holds for those few steps, so any thread may use any set at the same time.
 * Freeing a set (or the space) while another thread still uses that set is
 * the caller's error.
 *
 * Typical use:
 * @code
 *   vfioiommu_pasid_space *sp;
 *   vfioiommu_pasid_set *guest;
 *   vfioiommu_pasid_handle h;
 *   if (vfioiommu_pasid_space_new(20, NULL, &sp) == 0 &&
 *       vfioiommu_pasid_set_new(sp, 0, &guest) == 0 &&
 *       vfioiommu_pasid_alloc(guest, &h) == 0)
 *       printf("PASID %d", vfioiommu_pasid_value(guest, h));
 *   ...
 *   vfioiommu_pasid_space_free(sp);   // frees the sets and their PASIDs too
 * @endcode
 */
#ifndef VFIOIOMMU_PASID_H
#define VFIOIOMMU_PASID_H

#include <vfioiommu/common.h>
#include <vfioiommu/iommufd.h>

VFIOIOMMU_BEGIN_DECLS

/** The widest space: PCIe PASIDs are 20 bits. */
#define VFIOIOMMU_PASID_MAX_WIDTH 20
/** The quota a set gets when it asks for 0. */
#define VFIOIOMMU_PASID_DEFAULT_QUOTA 1000u

/** A PASID value space. */
typedef struct vfioiommu_pasid_space vfioiommu_pasid_space;
/** One consumer's (guest's) PASIDs in a space, under a quota. */
typedef struct vfioiommu_pasid_set vfioiommu_pasid_set;
/**
 * One allocated PASID.  An opaque value: compare it, copy it, store it; never
 * decode it.  0 is never a valid handle.
 */
typedef uint64_t vfioiommu_pasid_handle;
/** No PASID: what the allocation calls store on failure. */
#define VFIOIOMMU_PASID_HANDLE_NONE ((vfioiommu_pasid_handle)0)

/** opts.flags: PASID 0 may be allocated (by default it is kept for the no-PASID, RID path). */
#define VFIOIOMMU_PASID_SPACE_ALLOW_ZERO (1u << 0)
/** opts.flags: never hand out [reserved_lo, reserved_hi] (clipped to the space). */
#define VFIOIOMMU_PASID_SPACE_RESERVE    (1u << 1)

/** Options for a space.  Zero-initialise, then set size. */
struct vfioiommu_pasid_space_opts {
	/** sizeof(struct vfioiommu_pasid_space_opts) as the caller compiled it. */
	uint32_t size;
	/** VFIOIOMMU_PASID_SPACE_* bits. */
	uint32_t flags;
	/** With VFIOIOMMU_PASID_SPACE_RESERVE: the first PASID kept out. */
	uint32_t reserved_lo;
	/** With VFIOIOMMU_PASID_SPACE_RESERVE: the last PASID kept out (inclusive). */
	uint32_t reserved_hi;
};

/**
 * Create a space of the PASIDs [0, 2^width_bits).
 * @param width_bits 1 .. VFIOIOMMU_PASID_MAX_WIDTH
 * @param opts       options (struct vfioiommu_pasid_space_opts); NULL for none
 * @param out        receives the space; NULL on failure.  Free it with vfioiommu_pasid_space_free().
 * @return 0; -EINVAL (NULL @p out, @p width_bits 0 or > 20, bad opts->size,
 * unknown flag, reserved_lo > reserved_hi, or nothing left to allocate);
 * -ENOMEM.
 */
VFIOIOMMU_API int vfioiommu_pasid_space_new(unsigned int width_bits,
	const struct vfioiommu_pasid_space_opts *opts, vfioiommu_pasid_space **out);

/**
 * Create a space for @p dev: the width is the smaller of what the IOMMU and
 * the device support (IOMMU_GET_HW_INFO out_max_pasid_log2, Linux 6.15).
 * @param dev  the device, on an iommufd context
 * @param opts options; NULL for none
 * @param out  receives the space; NULL on failure
 * @return as vfioiommu_pasid_space_new(), and -EOPNOTSUPP when the context
 * is not iommufd, the kernel is too old to report PASID support, or the
 * device has no PASID (the message on the device's context says which);
 * -ENODEV no backend chosen yet; other errors of vfioiommu_device_hw_info().
 */
VFIOIOMMU_API int vfioiommu_pasid_space_for_device(vfioiommu_device *dev,
	const struct vfioiommu_pasid_space_opts *opts, vfioiommu_pasid_space **out);

/**
 * Free a space, every set in it and every PASID.
 * @param space the space; NULL is accepted
 */
VFIOIOMMU_API void vfioiommu_pasid_space_free(vfioiommu_pasid_space *space);

/**
 * The space's width in bits.
 * @param space the space
 * @return the width; 0 for NULL.
 */
VFIOIOMMU_API unsigned int vfioiommu_pasid_space_width(const vfioiommu_pasid_space *space);

/**
 * How many PASIDs are allocated and how many could still be.
 * @param space  the space
 * @param in_use if not NULL: receives the PASIDs allocated, over all sets
 * @param avail  if not NULL: receives the PASIDs still free (PASID 0 and the
 *               reserved range excluded)
 * @return 0; -EINVAL NULL @p space.
 */
VFIOIOMMU_API int vfioiommu_pasid_space_usage(vfioiommu_pasid_space *space,
	uint32_t *in_use, uint32_t *avail);

/**
 * Create a set in @p space with a quota.  A quota above what the space
 * holds is allowed: the space runs out first.
 * @param space the space
 * @param quota the most PASIDs the set may hold; 0 means VFIOIOMMU_PASID_DEFAULT_QUOTA
 * @param out   receives the set; NULL on failure
 * @return 0; -EINVAL NULL argument; -ENOMEM; -ENOSPC 2^32 - 2 sets were made
 * in this space.
 */
VFIOIOMMU_API int vfioiommu_pasid_set_new(vfioiommu_pasid_space *space, unsigned int quota,
	vfioiommu_pasid_set **out);

/**
 * Free every PASID of @p set and the set.  Its handles become invalid.
 * @param set the set; NULL is accepted
 */
VFIOIOMMU_API void vfioiommu_pasid_set_free(vfioiommu_pasid_set *set);

/**
 * The PASIDs a set holds and its quota.
 * @param set   the set
 * @param used  if not NULL: receives the PASIDs the set holds
 * @param quota if not NULL: receives its quota
 * @return 0; -EINVAL NULL @p set.
 */
VFIOIOMMU_API int vfioiommu_pasid_set_usage(vfioiommu_pasid_set *set, uint32_t *used, uint32_t *quota);

/**
 * Allocate any free PASID (the lowest one) to @p set.
 * @param set the set
 * @param out receives the handle; VFIOIOMMU_PASID_HANDLE_NONE on failure
 * @return 0; -EINVAL NULL argument; -EDQUOT the set holds its quota
 * (checked first); -ENOSPC the space has none left.
 */
VFIOIOMMU_API int vfioiommu_pasid_alloc(vfioiommu_pasid_set *set, vfioiommu_pasid_handle *out);

/**
 * Allocate a given PASID (say, a value a guest programmed) to @p set.
 * @param set   the set
 * @param pasid the PASID value
 * @param out   receives the handle; VFIOIOMMU_PASID_HANDLE_NONE on failure
 * @return 0; checked in this order: -EINVAL NULL argument; -ERANGE @p pasid
 * is outside the space, is PASID 0 of a space that keeps it, or lies in the
 * reserved range; -EBUSY it is allocated (to this set or another); -EDQUOT
 * the set holds its quota.
 */
VFIOIOMMU_API int vfioiommu_pasid_alloc_value(vfioiommu_pasid_set *set, uint32_t pasid,
	vfioiommu_pasid_handle *out);

/**
 * Free one PASID of @p set.
 * @param set the set it was allocated to
 * @param h   its handle
 * @return 0; -EINVAL NULL @p set, or @p h is not a live handle of @p set
 * (already freed, of another set or space, or never valid).
 */
VFIOIOMMU_API int vfioiommu_pasid_free(vfioiommu_pasid_set *set, vfioiommu_pasid_handle h);

/**
 * The PASID value a handle names.
 * @param set the set it was allocated to
 * @param h   its handle
 * @return the PASID (>= 0); -EINVAL as for vfioiommu_pasid_free().
 */
VFIOIOMMU_API int vfioiommu_pasid_value(vfioiommu_pasid_set *set, vfioiommu_pasid_handle h);

/* ---------------- iommufd: PASID-capable page tables and attachment ---------------- */
/*
 * The kernel attaches a PASID only to a page table (HWPT) allocated
 * PASID-capable, and only while the device's own DMA (its RID, "PASID 0")
 * is also on a PASID-capable HWPT.  The device starts on the IOAS's
 * automatic HWPT, which is not, so the sequence is:
 * @code
 *   uint32_t rid_pt, pt;
 *   vfioiommu_hwpt_alloc_pasid(dev, &rid_pt);
 *   vfioiommu_hwpt_attach_rid(dev, rid_pt);     // once per device
 *   vfioiommu_hwpt_alloc_pasid(dev, &pt);       // or reuse rid_pt
 *   vfioiommu_pasid_attach(dev, guest, h, pt);
 *   ...
 *   vfioiommu_pasid_detach(dev, guest, h);
 *   vfioiommu_pasid_free(guest, h);
 * @endcode
 * The library does not track which PASIDs are attached: detach a PASID from
 * every device before freeing it, or the next owner of the value inherits
 * the attachment.
 *
 * The page-table calls (vfioiommu_hwpt_*) are in <vfioiommu/iommufd.h>.
 * Without iommufd (container backends) every function here fails with
 * -EOPNOTSUPP.
 */

/**
 * Attach a PASID of @p dev to the page table @p hwpt_id.  When the PASID is
 * already attached this replaces the page table atomically (no window where
 * DMA with that PASID is blocked).
 * @param dev     the device, on an iommufd context
 * @param set     the set the PASID belongs to
 * @param h       the PASID's handle
 * @param hwpt_id a PASID-capable page table (vfioiommu_hwpt_alloc_pasid())
 * @return 0; -EINVAL NULL @p dev or @p set, a stale or foreign handle, or the
 * kernel's EINVAL (@p hwpt_id, or the RID's page table, is not
 * PASID-capable); -ERANGE PASID 0 (the RID: use vfioiommu_hwpt_attach_rid())
 * or a PASID beyond the device's width; -ENOENT no such HWPT; -EOPNOTSUPP
 * container backend, a kernel without PASID attach (before 6.15), a device
 * without PASID, or a VFIO driver without PASID attach (the message says
 * which); other -errno from the kernel.
 */
VFIOIOMMU_API int vfioiommu_pasid_attach(vfioiommu_device *dev, vfioiommu_pasid_set *set,
	vfioiommu_pasid_handle h, uint32_t hwpt_id);

/**
 * The same as vfioiommu_pasid_attach(): attaching again is the replace.
 * @param dev     the device
 * @param set     the set the PASID belongs to
 * @param h       the PASID's handle
 * @param hwpt_id the new page table
 * @return as vfioiommu_pasid_attach().
 */
VFIOIOMMU_API int vfioiommu_pasid_replace(vfioiommu_device *dev, vfioiommu_pasid_set *set,
	vfioiommu_pasid_handle h, uint32_t hwpt_id);

/**
 * Detach a PASID of @p dev; DMA tagged with it is then blocked.  Detaching
 * a PASID that is not attached succeeds, as in the kernel.
 * @param dev the device
 * @param set the set the PASID belongs to
 * @param h   the PASID's handle
 * @return 0; -EINVAL, -ERANGE as for vfioiommu_pasid_attach(); -EOPNOTSUPP
 * container backend or a kernel before 6.15; other -errno from the kernel.
 */
VFIOIOMMU_API int vfioiommu_pasid_detach(vfioiommu_device *dev, vfioiommu_pasid_set *set,
	vfioiommu_pasid_handle h);

VFIOIOMMU_END_DECLS

#endif
