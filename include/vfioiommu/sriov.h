/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/**
 * @file vfioiommu/sriov.h
 * SR-IOV on vfio-pci: UUIDs, the VF token, creating VFs, opening a VF.
 *
 * When a PF is bound to vfio-pci, its VFs are handed out only to whoever
 * presents the PF's VF token, a UUID the PF's user (the process that has
 * the PF open) sets with vfioiommu_device_set_vf_token(): the PF's user
 * could otherwise disturb the VFs' users unnoticed.  Linux then refuses a
 * VF opened without the token or with another one (EACCES), and a token
 * given for a device that is no such VF (EINVAL).  The token stays with the
 * PF after its user closes it.  VFs are created by writing their number to
 * the PF's sriov_numvfs (vfioiommu_sriov_set_numvfs()); on vfio-pci that
 * needs the module parameter vfio_pci.enable_sriov=1.
 *
 * @code
 *   uint8_t tok[16];
 *   vfioiommu_uuid_parse("12345678-9abc-4def-8001-020304050607", tok);
 *   vfioiommu_device_open(ctx, "0000:03:00.0", &pf);         // the PF, on vfio-pci
 *   vfioiommu_device_set_vf_token(pf, tok);
 *   vfioiommu_sriov_set_numvfs(ctx, "0000:03:00.0", 2);       // VFs 0000:03:00.1 and .2
 *   struct vfioiommu_open_opts o = { .size = sizeof(o), .vf_token = tok };
 *   vfioiommu_device_open_with(ctx2, "0000:03:00.1", &o, &vf); // in any process that knows the token
 * @endcode
 */
#ifndef VFIOIOMMU_SRIOV_H
#define VFIOIOMMU_SRIOV_H

#include <vfioiommu/common.h>

VFIOIOMMU_BEGIN_DECLS

/** Room for a UUID's text form, NUL included. */
#define VFIOIOMMU_UUID_STRLEN 37

/**
 * Parse a UUID in its usual text form, "12345678-9abc-4def-8001-020304050607"
 * (36 characters, hex digits of either case, dashes after 8, 12, 16 and 20).
 * @param text the text, NUL-terminated, nothing before or after
 * @param uuid receives the 16 bytes (unchanged on failure)
 * @return 0; -EINVAL NULL argument or not that form.
 */
VFIOIOMMU_API int vfioiommu_uuid_parse(const char *text, uint8_t uuid[16]);

/**
 * Print a UUID in its usual text form, lower case.
 * @param uuid the 16 bytes
 * @param out  receives the text and its NUL
 * @param n    room in @p out, at least VFIOIOMMU_UUID_STRLEN
 * @return 0; -EINVAL NULL argument; -ENOSPC @p n below VFIOIOMMU_UUID_STRLEN.
 */
VFIOIOMMU_API int vfioiommu_uuid_format(const uint8_t uuid[16], char *out, size_t n);

/** Options for vfioiommu_device_open_with().  Zero-initialise, then set size. */
struct vfioiommu_open_opts {
	/** sizeof(struct vfioiommu_open_opts) as the caller compiled it. */
	uint32_t size;
	/** No flags are defined yet: 0. */
	uint32_t flags;
	/**
	 * The VF token (16 bytes) for a VF whose PF is on vfio-pci; NULL for
	 * none.  Given on the group path as the device name "BDF vf_token=UUID",
	 * on the cdev path with VFIO_DEVICE_BIND_FLAG_TOKEN (Linux 6.17+).
	 */
	const uint8_t *vf_token;
};

/**
 * vfioiommu_device_open() with options: a VF token.
 * @param ctx  the context
 * @param bdf  the PCI address
 * @param opts options; NULL: as vfioiommu_device_open()
 * @param out  receives the device; NULL on failure
 * @return as vfioiommu_device_open(), and: -EINVAL opts->size too small or
 * flags not 0; -EACCES the device is a VF whose PF is on vfio-pci and no
 * token or another one was given (the message says which); -EINVAL a token
 * for a device that needs none (not a VF, or its PF is not on vfio-pci).
 */
VFIOIOMMU_API int vfioiommu_device_open_with(vfioiommu_ctx *ctx, const char *bdf,
					     const struct vfioiommu_open_opts *opts, vfioiommu_device **out);

/**
 * Set the VF token of a PF on vfio-pci (VFIO_DEVICE_FEATURE with
 * SET | PCI_VF_TOKEN).  From then on its VFs open only with this token,
 * until it is set again; it outlives the PF's fd.
 * @param pf   the PF, opened through the library
 * @param uuid the token
 * @return 0; -EINVAL NULL argument, or the device is no PF with SR-IOV
 * (the kernel's answer); other -errno of the kernel.
 */
VFIOIOMMU_API int vfioiommu_device_set_vf_token(vfioiommu_device *pf, const uint8_t uuid[16]);

/**
 * Create or remove VFs: write @p n to the PF's sriov_numvfs.  Going from some
 * VFs to another non-zero number needs 0 first (Linux answers EBUSY).
 * Writing 0 while a process has a VF open makes Linux wait for that process
 * to close it (it asks through the VF's request interrupt): the call blocks
 * until then.
 * @param ctx    the context (its door and sysfs root)
 * @param pf_bdf the PF's PCI address
 * @param n      the number of VFs, up to the PF's sriov_totalvfs
 * @return 0; -EINVAL NULL or bad argument; -ENODEV the device has no SR-IOV
 * capability (no sriov_numvfs); -ERANGE @p n above sriov_totalvfs; -EBUSY
 * VFs exist (write 0 first); -EOPNOTSUPP a context built from handed-in fds
 * without a sysfs root; other -errno of the write (EACCES: needs root).
 */
VFIOIOMMU_API int vfioiommu_sriov_set_numvfs(vfioiommu_ctx *ctx, const char *pf_bdf, unsigned int n);

VFIOIOMMU_END_DECLS

#endif
