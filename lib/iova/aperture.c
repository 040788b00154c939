/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * The IOMMU's input address width as its sysfs attributes give it, before
 * any attach: the aperture the reserved regions are subtracted from when the
 * usable IOVA space is predicted (resv.h).  After an attach the kernel's own
 * IOVA ranges (vfioiommu_ctx_iova_ranges()) are the truth.
 *
 * Where a PCI device's IOMMU is: /sys/bus/pci/devices/BDF/iommu, a link to
 * /sys/class/iommu/NAME.  What NAME offers depends on the driver
 * (Documentation/ABI/testing/sysfs-class-iommu-*; cap, ecap and features are
 * hex without 0x):
 *   intel-iommu/cap   the VT-d capability register.  MGAW (bits 21:16) is the
 *                     width - 1; SAGAW (bits 12:8) the page-table depths, of
 *                     which Linux uses the deepest up to 57 bits (30 + 9 per
 *                     level).  The domain gets the smaller of the two.
 *   amd-iommu/features  "EFR[:EFR2]", the extended feature register.  HATS
 *                     (bits 11:10) bounds the host (v1) table at 4 + HATS
 *                     levels (48, 57, 64 bits; 3: no host table), GATS
 *                     (bits 13:12) the guest (v2) table at 4 levels, 5 when
 *                     GATS is 1 (48 or 57 bits).  Which one a VFIO domain gets
 *                     depends on the kernel and its command line, so the
 *                     narrower of the two is taken: what it predicts is usable
 *                     under either.  (QEMU's amd-iommu shows HATS 2 and GATS 2;
 *                     Linux 7.2 gives its VFIO domains 48 bits, tests/vm/FACTS.md.)
 *   SMMUv3, virtio-iommu and others register no attribute that says it.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

unsigned int vi_aperture_vtd_bits(uint64_t cap)
{
	unsigned int mgaw = (unsigned int)((cap >> 16) & 0x3f) + 1, sagaw = (unsigned int)((cap >> 8) & 0x1f);
	unsigned int table = 0;

	/* the deepest supported table up to 57 bits (agaw 3); agaw a covers 30 + 9a bits */
	for (unsigned int a = 0; a <= 3; a++)
		if (sagaw & (1u << a))
			table = 30 + 9 * a;
	if (!table)
		return mgaw;
	return mgaw < table ? mgaw : table;
}

unsigned int vi_aperture_amd_bits(uint64_t efr)
{
	unsigned int hats = (unsigned int)((efr >> 10) & 3), gats = (unsigned int)((efr >> 12) & 3);
	unsigned int v1 = hats == 3 ? 0 : (hats + 4 - 1) * 9 + 21, v2 = gats == 1 ? 57 : 48;

	if (v1 > 64)
		v1 = 64;
	if (!v1)
		return v2;
	return v1 < v2 ? v1 : v2;
}

/* A hex attribute ("d2008c22260286\n", "29d3:0\n"): the first number. */
static int read_hex(struct vfioiommu_ctx *ctx, uint64_t *out, const char *name, const char *attr)
{
	char buf[64], *end;
	ssize_t rc;

	*out = 0;
	rc = vi_sysfs_read(ctx, buf, sizeof(buf), "class/iommu/%s/%s", name, attr);
	if (rc < 0)
		return (int)rc;
	errno = 0;
	*out = strtoull(buf, &end, 16);
	if (errno || end == buf || (*end && *end != '\n' && *end != ':'))
		return -EPROTO;
	return 0;
}

int vi_iommu_width(struct vfioiommu_ctx *ctx, const char *name, struct vi_iommu_width *out)
{
	uint64_t reg;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!name || !*name || strchr(name, '/'))
		return -EINVAL;
	rc = vi_sysfs_exists(ctx, "class/iommu/%s", name);
	if (rc < 0)
		return rc;
	if ((rc = read_hex(ctx, &reg, name, "intel-iommu/cap")) == 0) {
		out->kind = "intel";
		out->bits = vi_aperture_vtd_bits(reg);
		snprintf(out->how, sizeof(out->how), "intel-iommu/cap %" PRIx64 ": MGAW %u, SAGAW 0x%x", reg,
			 (unsigned int)((reg >> 16) & 0x3f) + 1, (unsigned int)((reg >> 8) & 0x1f));
		return 0;
	}
	if (rc != -ENOENT)
		goto bad;
	if ((rc = read_hex(ctx, &reg, name, "amd-iommu/features")) == 0) {
		out->kind = "amd";
		out->bits = vi_aperture_amd_bits(reg);
		snprintf(out->how, sizeof(out->how), "amd-iommu/features %" PRIx64 ": HATS %u, GATS %u", reg,
			 (unsigned int)((reg >> 10) & 3), (unsigned int)((reg >> 12) & 3));
		return 0;
	}
	if (rc != -ENOENT)
		goto bad;
	snprintf(out->how, sizeof(out->how), "no attribute gives its address width (SMMUv3, virtio-iommu, ...)");
	return 0;
bad:
	snprintf(out->how, sizeof(out->how), "its attributes cannot be read: %s", vi_errno_name(rc));
	return 0;
}

int vi_device_iommu(struct vfioiommu_ctx *ctx, const char *bdf, char *name, size_t n)
{
	char link[VI_PATH_MAX];
	const char *base;
	ssize_t rc;

	if (n)
		name[0] = '\0';
	rc = vi_sysfs_readlink(ctx, link, sizeof(link), "bus/pci/devices/%s/iommu", bdf);
	if (rc < 0)
		return (int)rc;
	base = strrchr(link, '/');
	base = base ? base + 1 : link;
	if (!*base || strlen(base) >= n)
		return -EPROTO;
	snprintf(name, n, "%s", base);
	return 0;
}
