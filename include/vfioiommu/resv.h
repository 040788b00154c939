/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/**
 * @file vfioiommu/resv.h
 * IOMMU reserved regions (/sys/kernel/iommu_groups/N/reserved_regions), the
 * IOVA space they leave usable, and whether a device or group can be assigned
 * to VFIO at all, all answered from sysfs before anything is opened.
 *
 * What sysfs gives is a prediction.  Once a group is attached, the kernel's
 * own IOVA ranges (VFIO_IOMMU_GET_INFO or IOMMU_IOAS_IOVA_RANGES) are the
 * truth; compare the two with vfioiommu_resv_compare().
 *
 * Typical use:
 * @code
 *   unsigned int groups[] = { 3, 4 };
 *   vfioiommu_resv_set *set;
 *   vfioiommu_iova_list *usable;
 *   if (vfioiommu_resv_read_groups(ctx, groups, 2, &set) == 0 &&
 *       vfioiommu_resv_usable(set, 0, (1ull << 39) - 1, &usable) == 0) {
 *       ...
 *       vfioiommu_iova_list_free(usable);
 *   }
 *   vfioiommu_resv_set_free(set);
 * @endcode
 */
#ifndef VFIOIOMMU_RESV_H
#define VFIOIOMMU_RESV_H

#include <vfioiommu/common.h>
#include <vfioiommu/iova.h>

VFIOIOMMU_BEGIN_DECLS

/**
 * Reserved-region types.  sysfs prints MSI and SW_MSI both as "msi", so a
 * region read from sysfs is VFIOIOMMU_RESV_MSI whichever it was.
 */
enum vfioiommu_resv_type {
	VFIOIOMMU_RESV_DIRECT = 0,           /**< "direct": firmware 1:1 map (RMRR/IVMD/RMR) */
	VFIOIOMMU_RESV_DIRECT_RELAXABLE = 1, /**< "direct-relaxable": 1:1 that assignment may drop */
	VFIOIOMMU_RESV_RESERVED = 2,         /**< "reserved": never map */
	VFIOIOMMU_RESV_MSI = 3,              /**< "msi": hardware MSI doorbell window */
	VFIOIOMMU_RESV_SW_MSI = 4,           /**< software-managed MSI window (printed "msi") */
};

/** One reserved region: the inclusive range [start, last], its type and the group it came from. */
struct vfioiommu_resv_region {
	uint64_t start;               /**< the first IOVA */
	uint64_t last;                /**< the last IOVA (inclusive) */
	enum vfioiommu_resv_type type; /**< what the region is */
	unsigned int group;           /**< the IOMMU group it was read from (or given for) */
};

/**
 * An immutable set of reserved regions from one or many groups.  Regions are
 * sorted by start (then type, then group).  Regions with the same type AND the
 * same group are merged when they overlap or touch, as the kernel merges them
 * inside a group; regions of different types or groups are kept apart even
 * when they overlap, so every region still says where it came from.
 */
typedef struct vfioiommu_resv_set vfioiommu_resv_set;

/**
 * The sysfs word of a type.
 * @param type a region type
 * @return "direct", "direct-relaxable", "reserved", "msi"; "sw_msi" for
 * VFIOIOMMU_RESV_SW_MSI (sysfs itself prints "msi"); "unknown" for other values.
 */
VFIOIOMMU_API const char *vfioiommu_resv_type_name(enum vfioiommu_resv_type type);

/**
 * Build a set from @p n regions in any order (merged as described at
 * vfioiommu_resv_set).
 * @param regions the regions; may be NULL when @p n is 0
 * @param n       how many
 * @param out     receives the set; NULL on failure.  Free it with vfioiommu_resv_set_free().
 * @return 0; -EINVAL (NULL @p out, NULL @p regions with n > 0, start > last,
 * unknown type); -ENOMEM.
 */
VFIOIOMMU_API int vfioiommu_resv_set_new(const struct vfioiommu_resv_region *regions, size_t n,
	vfioiommu_resv_set **out);
/**
 * Free a set.
 * @param set the set; NULL is accepted
 */
VFIOIOMMU_API void vfioiommu_resv_set_free(vfioiommu_resv_set *set);
/**
 * Number of regions.
 * @param set the set
 * @return the count; 0 for NULL.
 */
VFIOIOMMU_API size_t vfioiommu_resv_set_count(const vfioiommu_resv_set *set);
/**
 * Region @p i in sorted order.
 * @param set the set
 * @param i   0 .. vfioiommu_resv_set_count() - 1
 * @param out receives the region
 * @return 0; -EINVAL NULL argument; -ERANGE @p i out of range.
 */
VFIOIOMMU_API int vfioiommu_resv_set_get(const vfioiommu_resv_set *set, size_t i,
	struct vfioiommu_resv_region *out);
/**
 * The union of @p n sets (e.g. one per group) as one new set, merged by
 * the same rule.  O(N log N) in the total count.
 * @param sets the sets; NULL entries count as empty
 * @param n    how many
 * @param out  receives the set; NULL on failure
 * @return 0; -EINVAL (NULL @p out, NULL @p sets with n > 0); -ENOMEM.
 */
VFIOIOMMU_API int vfioiommu_resv_set_merge(const vfioiommu_resv_set *const *sets, size_t n,
	vfioiommu_resv_set **out);

/**
 * Parse the text of one group's reserved_regions file.  The kernel's format is
 * one line per region, "0x\%016llx 0x\%016llx \%s\\n": start, inclusive end, type
 * word (direct, direct-relaxable, reserved, msi).  Accepted: 1 to 16 hex
 * digits after "0x" (either case), runs of spaces or tabs between and after
 * the fields, and a last line without its newline.  Rejected, with a message
 * "FILE:LINE: what is wrong": a missing field, a value that is not "0x" and
 * hex or does not fit 64 bits, start > end, an unknown type word, anything
 * after the type, an empty line, a NUL byte.  Empty text is an empty set.
 *
 * @param text     the file contents (need not be NUL-terminated; NULL if @p len is 0)
 * @param len      bytes of @p text
 * @param group    the group number recorded in every region
 * @param filename named in error messages (NULL: "reserved_regions")
 * @param out      receives the set; NULL on failure
 * @param err      if not NULL, receives the message on failure (@p errlen bytes)
 * @param errlen   size of @p err
 * @return 0; -EINVAL malformed text or NULL @p out; -ENOMEM.
 */
VFIOIOMMU_API int vfioiommu_resv_parse(const char *text, size_t len, unsigned int group,
	const char *filename, vfioiommu_resv_set **out, char *err, size_t errlen);

/**
 * Read and parse /sys/kernel/iommu_groups/N/reserved_regions through the
 * context's door (and its sysfs_root).  Opens nothing in /dev.
 * @param ctx   the context (its door and sysfs root; no backend needed)
 * @param group the group number N
 * @param out   receives the set; NULL on failure
 * @return 0; -EINVAL NULL argument; -ENOENT no such group; -EPROTO the
 * kernel's text is malformed (the message names the file and line); -ENOMEM;
 * other -errno from the read.
 */
VFIOIOMMU_API int vfioiommu_resv_read_group(vfioiommu_ctx *ctx, unsigned int group,
	vfioiommu_resv_set **out);
/**
 * The same for @p n groups, merged into one set (each region keeps its group).
 * @param ctx    the context
 * @param groups the group numbers
 * @param n      how many
 * @param out    receives the set; NULL on failure
 * @return as vfioiommu_resv_read_group(); the first group that fails decides.
 */
VFIOIOMMU_API int vfioiommu_resv_read_groups(vfioiommu_ctx *ctx, const unsigned int *groups, size_t n,
	vfioiommu_resv_set **out);

/**
 * The IOVA space VFIO type1 and iommufd would leave usable: the aperture
 * minus every region of @p set except direct-relaxable ones (the kernel does
 * not carve those out; it lets assignment drop their 1:1 mappings).  The
 * result is tagged VFIOIOMMU_IOVA_SRC_SYSFS and may be empty (the kernel then
 * refuses the attach).  O(N log N) in the number of regions.
 * @param set            the reserved regions
 * @param aperture_start the first IOVA the IOMMU translates
 * @param aperture_last  the last one (inclusive), e.g. 2^39 - 1 for 39 bits
 * @param out            receives the list; NULL on failure
 * @return 0; -EINVAL (NULL argument, @p aperture_start > @p aperture_last); -ENOMEM.
 */
VFIOIOMMU_API int vfioiommu_resv_usable(const vfioiommu_resv_set *set, uint64_t aperture_start,
	uint64_t aperture_last, vfioiommu_iova_list **out);

/**
 * Compare a prediction (usually vfioiommu_resv_usable()) with the kernel's
 * ranges after attach, which are the truth.  Expect differences when the
 * aperture guess was wrong, when regions changed (hotplug), or when the
 * prediction wrongly excluded direct-relaxable regions: the kernel keeps them
 * usable.
 *
 * @param predicted      the prediction
 * @param kernel         the kernel's ranges (vfioiommu_ctx_iova_ranges())
 * @param only_predicted if not NULL: IOVAs the prediction has and the kernel does not
 * @param only_kernel    if not NULL: IOVAs the kernel has and the prediction does not
 * @return 0 identical, 1 different, -EINVAL NULL list, -ENOMEM.  Output lists
 * are set (possibly empty) on 0 and 1, NULL on failure.
 */
VFIOIOMMU_API int vfioiommu_resv_compare(const vfioiommu_iova_list *predicted,
	const vfioiommu_iova_list *kernel, vfioiommu_iova_list **only_predicted,
	vfioiommu_iova_list **only_kernel);

/** Can a device or group be handed to VFIO? */
enum vfioiommu_verdict_kind {
	/** Nothing found in the way. */
	VFIOIOMMU_VERDICT_ASSIGNABLE = 0,
	/** Assignable, but a direct-relaxable region's 1:1 mapping will be dropped. */
	VFIOIOMMU_VERDICT_ASSIGNABLE_WITH_WARNINGS = 1,
	/** A firmware 1:1 region (direct: RMRR/IVMD/RMR): Linux >= 6.6 refuses VFIO/iommufd ownership. */
	VFIOIOMMU_VERDICT_REFUSED_RESV_DIRECT = 2,
	/** Another device of the group is bound to a driver that is not VFIO-compatible. */
	VFIOIOMMU_VERDICT_NOT_VIABLE = 3,
	/** The device has no IOMMU group: the IOMMU is off or absent. */
	VFIOIOMMU_VERDICT_NO_GROUP = 4,
	/** The device is not bound to vfio-pci (or a variant); for a group: no device of it is. */
	VFIOIOMMU_VERDICT_NOT_VFIO = 5,
	/**
	 * Assignable, but a VF whose PF (culprit) is on vfio-pci: it opens only
	 * with the PF's VF token (vfioiommu/sriov.h).  Device verdicts only.
	 */
	VFIOIOMMU_VERDICT_NEEDS_VF_TOKEN = 6,
};

/** A verdict and what a person can do about it. */
struct vfioiommu_verdict {
	/** The verdict. */
	enum vfioiommu_verdict_kind kind;
	/** The group (meaningless for NO_GROUP). */
	unsigned int group;
	/** The device asked about ("" for a group verdict). */
	char device[32];
	/** NOT_VIABLE / NOT_VFIO: the device to act on; NEEDS_VF_TOKEN: the PF. */
	char culprit[32];
	/** NOT_VIABLE / NOT_VFIO: the culprit's driver ("" when unbound). */
	char culprit_driver[64];
	/** REFUSED_RESV_DIRECT / ASSIGNABLE_WITH_WARNINGS: the first region concerned. */
	struct vfioiommu_resv_region region;
	/** One or two sentences: what is wrong and what to do. */
	char reason[512];
	/** Room to grow without changing the size; zero. */
	uint64_t reserved[8];
};

/**
 * A name for a verdict.
 * @param kind a verdict
 * @return "assignable", "assignable-with-warnings", "refused-resv-direct",
 * "not-viable", "no-group", "not-vfio", "needs-vf-token"; "unknown" for other values.
 */
VFIOIOMMU_API const char *vfioiommu_verdict_name(enum vfioiommu_verdict_kind kind);

/**
 * The verdict for one PCI device, from sysfs only.  Checked in this order:
 * no group; a direct region in its group; the device not on vfio-pci;
 * another device of the group on a driver that blocks ownership (anything
 * but VFIO drivers, pci-stub and pcieport; unbound is fine); a
 * direct-relaxable region; then, for an otherwise assignable device, a VF
 * whose PF is on vfio-pci (NEEDS_VF_TOKEN).
 * @param ctx the context (its door and sysfs root; no backend needed)
 * @param bdf the PCI address, "0000:03:00.0"
 * @param out receives the verdict, whatever it is
 * @return 0 with *@p out filled; -EINVAL NULL argument or a bad address;
 * -ENOENT no such device; -EPROTO malformed sysfs data; -ENOMEM; other
 * -errno from sysfs.
 */
VFIOIOMMU_API int vfioiommu_verdict_device(vfioiommu_ctx *ctx, const char *bdf,
	struct vfioiommu_verdict *out);
/**
 * The verdict for a whole group: as vfioiommu_verdict_device() for its
 * devices, and NOT_VFIO when none of them is bound to VFIO.
 * @param ctx   the context
 * @param group the group number
 * @param out   receives the verdict, whatever it is
 * @return 0 with *@p out filled; -EINVAL NULL argument; -ENOENT no such
 * group; -EPROTO malformed sysfs data; -ENOMEM; other -errno from sysfs.
 */
VFIOIOMMU_API int vfioiommu_verdict_group(vfioiommu_ctx *ctx, unsigned int group,
	struct vfioiommu_verdict *out);

VFIOIOMMU_END_DECLS

#endif
