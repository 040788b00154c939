/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * Guide, "PASIDs" (docs/guide.md): a PASID space shared by two guests with
 * quotas, the refusals that keep them apart, and, on a device and kernel
 * with PASID support, a PASID attached to a PASID-capable page table.
 *
 *   07_pasid [--mock HOSTFILE] [BDF]
 */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <vfioiommu.h>
#include <vfioiommu/mock.h>

static void show(const char *what, int rc)
{
	printf("%-44s %s\n", what, rc < 0 ? strerror(-rc) : "ok");
}

/* Attach one PASID of @guest on the device to a page table, then take it down again. */
static int attach_one(vfioiommu_ctx *ctx, vfioiommu_device *dev)
{
	vfioiommu_pasid_space *sp;
	vfioiommu_pasid_set *guest = NULL;
	vfioiommu_pasid_handle h;
	uint32_t rid_pt = 0, pt = 0;
	int rc = vfioiommu_pasid_space_for_device(dev, NULL, &sp);

	if (rc < 0) {
		printf("no PASIDs on %s: %s\n", vfioiommu_device_name(dev), vfioiommu_strerror(ctx));
		return rc == -EOPNOTSUPP ? 0 : rc;
	}
	printf("%s: a %u-bit PASID space\n", vfioiommu_device_name(dev), vfioiommu_pasid_space_width(sp));
	/* The device's own DMA (its RID) must sit on a PASID-capable page table first. */
	if ((rc = vfioiommu_pasid_set_new(sp, 0, &guest)) < 0 || (rc = vfioiommu_pasid_alloc(guest, &h)) < 0 ||
	    (rc = vfioiommu_hwpt_alloc_pasid(dev, &rid_pt)) < 0 || (rc = vfioiommu_hwpt_attach_rid(dev, rid_pt)) < 0 ||
	    (rc = vfioiommu_hwpt_alloc_pasid(dev, &pt)) < 0 || (rc = vfioiommu_pasid_attach(dev, guest, h, pt)) < 0) {
		printf("PASID attach: %s\n", vfioiommu_strerror(ctx));
		vfioiommu_pasid_space_free(sp);
		return rc == -EOPNOTSUPP ? 0 : rc;
	}
	printf("PASID %d attached to page table %" PRIu32 "\n", vfioiommu_pasid_value(guest, h), pt);
	/* Detach before freeing: the library does not track attachments. */
	rc = vfioiommu_pasid_detach(dev, guest, h);
	if (rc == 0)
		rc = vfioiommu_pasid_free(guest, h);
	vfioiommu_pasid_space_free(sp);
	/* the RID stays on rid_pt; both page tables go with the context */
	return rc;
}

int main(int argc, char **argv)
{
	struct vfioiommu_pasid_space_opts so = { .size = sizeof(so), .flags = VFIOIOMMU_PASID_SPACE_RESERVE,
						 .reserved_lo = 1, .reserved_hi = 63 };
	struct vfioiommu_ctx_opts o = { .size = sizeof(o) };
	vfioiommu_pasid_space *sp = NULL;
	vfioiommu_pasid_set *a = NULL, *b = NULL;
	vfioiommu_pasid_handle h1, h2, h3, stale;
	vfioiommu_mock *mock = NULL;
	vfioiommu_ctx *ctx = NULL;
	vfioiommu_device *dev;
	const char *bdf = NULL;
	char err[256] = "";
	uint32_t in_use, avail;
	int i = 1, rc;

	if (argc >= 3 && !strcmp(argv[1], "--mock")) {
		if (vfioiommu_mock_new(&mock) < 0 || vfioiommu_mock_load_file(mock, argv[2], err, sizeof(err)) < 0) {
			fprintf(stderr, "%s\n", err);
			vfioiommu_mock_destroy(mock);
			return 1;
		}
		o.door = vfioiommu_mock_door(mock);
		i = 3;
	}
	if (argc > i + 1) {
		fprintf(stderr, "usage: %s [--mock HOSTFILE] [BDF]\n", argv[0]);
		vfioiommu_mock_destroy(mock);
		return 2;
	}
	if (argc == i + 1)
		bdf = argv[i];

	/* A 20-bit space, PASIDs 1..63 kept out (PASID 0 is the RID's); guest A may hold 2. */
	if ((rc = vfioiommu_pasid_space_new(20, &so, &sp)) < 0 || (rc = vfioiommu_pasid_set_new(sp, 2, &a)) < 0 ||
	    (rc = vfioiommu_pasid_set_new(sp, 0, &b)) < 0)
		goto out;
	show("guest A: any PASID", vfioiommu_pasid_alloc(a, &h1));
	printf("  got PASID %d\n", vfioiommu_pasid_value(a, h1));
	show("guest A: PASID 100 (a value it programmed)", vfioiommu_pasid_alloc_value(a, 100, &h2));
	show("guest A: a third one (quota 2)", vfioiommu_pasid_alloc(a, &h3));
	show("guest B: PASID 100 too", vfioiommu_pasid_alloc_value(b, 100, &h3));
	show("guest B: PASID 5 (reserved)", vfioiommu_pasid_alloc_value(b, 5, &h3));
	show("guest B: frees guest A's PASID", vfioiommu_pasid_free(b, h1));
	stale = h1;
	show("guest A: frees it", vfioiommu_pasid_free(a, h1));
	show("guest A: frees it again (stale handle)", vfioiommu_pasid_free(a, stale));
	if ((rc = vfioiommu_pasid_space_usage(sp, &in_use, &avail)) < 0)
		goto out;
	printf("space: %" PRIu32 " in use, %" PRIu32 " free\n", in_use, avail);

	if (bdf) {
		if ((rc = vfioiommu_ctx_new(&o, &ctx)) < 0)
			goto out;
		/* PASIDs need iommufd */
		rc = vfioiommu_device_open(ctx, bdf, &dev);
		if (rc == 0)
			rc = attach_one(ctx, dev);
		else
			fprintf(stderr, "%s: %s\n", bdf, vfioiommu_strerror(ctx));
	}
out:
	vfioiommu_pasid_space_free(sp); /* frees the sets and their PASIDs too */
	vfioiommu_ctx_destroy(ctx);
	vfioiommu_mock_destroy(mock);
	return rc < 0 ? 1 : 0;
}
