/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * Guide, "The IOVA space and reserved regions" (docs/guide.md): before
 * opening anything, ask whether a device can be assigned and which IOVAs its
 * group's reserved regions leave usable; after opening it, compare that
 * prediction with the kernel's ranges, and carve IOVAs out of them with an
 * IOVA pool.
 *
 *   02_iova [--mock HOSTFILE] BDF
 */
#define _DEFAULT_SOURCE
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <vfioiommu.h>
#include <vfioiommu/mock.h>

static void print_list(const char *what, const vfioiommu_iova_list *l)
{
	printf("%s (%s, %zu range%s):\n", what, vfioiommu_iova_source_name(vfioiommu_iova_list_source(l)),
	       vfioiommu_iova_list_count(l), vfioiommu_iova_list_count(l) == 1 ? "" : "s");
	for (size_t i = 0; i < vfioiommu_iova_list_count(l); i++) {
		struct vfioiommu_iova_range r;

		if (vfioiommu_iova_list_get(l, i, &r) == 0)
			printf("  0x%016" PRIx64 " - 0x%016" PRIx64 "\n", r.start, r.last);
	}
}

int main(int argc, char **argv)
{
	struct vfioiommu_ctx_opts o = { .size = sizeof(o) };
	vfioiommu_mock *mock = NULL;
	vfioiommu_ctx *ctx = NULL;
	vfioiommu_device *dev;
	vfioiommu_resv_set *resv = NULL;
	vfioiommu_iova_list *predicted = NULL, *kernel = NULL, *only_p = NULL, *only_k = NULL;
	vfioiommu_iova_pool *pool = NULL;
	struct vfioiommu_verdict v;
	const char *bdf;
	char err[256] = "";
	uint64_t iova;
	int rc;

	if (argc == 4 && !strcmp(argv[1], "--mock")) {
		if (vfioiommu_mock_new(&mock) < 0 || vfioiommu_mock_load_file(mock, argv[2], err, sizeof(err)) < 0) {
			fprintf(stderr, "%s\n", err);
			vfioiommu_mock_destroy(mock);
			return 1;
		}
		o.door = vfioiommu_mock_door(mock);
		bdf = argv[3];
	} else if (argc == 2) {
		bdf = argv[1];
	} else {
		fprintf(stderr, "usage: %s [--mock HOSTFILE] BDF\n", argv[0]);
		return 2;
	}
	if ((rc = vfioiommu_ctx_new(&o, &ctx)) < 0)
		goto out;

	/* 1. From sysfs only: can the device be assigned at all? */
	rc = vfioiommu_verdict_device(ctx, bdf, &v);
	if (rc < 0) {
		fprintf(stderr, "%s: %s\n", bdf, vfioiommu_strerror(ctx));
		goto out;
	}
	printf("%s: %s\n  %s\n", bdf, vfioiommu_verdict_name(v.kind), v.reason);
	if (v.kind == VFIOIOMMU_VERDICT_NO_GROUP)
		goto out;

	/* 2. Its group's reserved regions, and the usable space they leave in a 39-bit aperture. */
	rc = vfioiommu_resv_read_group(ctx, v.group, &resv);
	if (rc < 0) {
		fprintf(stderr, "group %u: %s\n", v.group, vfioiommu_strerror(ctx));
		goto out;
	}
	printf("group %u reserved regions:\n", v.group);
	for (size_t i = 0; i < vfioiommu_resv_set_count(resv); i++) {
		struct vfioiommu_resv_region r;

		if (vfioiommu_resv_set_get(resv, i, &r) == 0)
			printf("  0x%016" PRIx64 " - 0x%016" PRIx64 " %s\n", r.start, r.last,
			       vfioiommu_resv_type_name(r.type));
	}
	if ((rc = vfioiommu_resv_usable(resv, 0, (UINT64_C(1) << 39) - 1, &predicted)) < 0)
		goto out;
	print_list("predicted from sysfs", predicted);
	if (v.kind != VFIOIOMMU_VERDICT_ASSIGNABLE && v.kind != VFIOIOMMU_VERDICT_ASSIGNABLE_WITH_WARNINGS)
		goto out; /* opening it would fail: the verdict said why */

	/* 3. After attach the kernel's own ranges are the truth. */
	rc = vfioiommu_device_open(ctx, bdf, &dev);
	if (rc == 0)
		rc = vfioiommu_ctx_iova_ranges(ctx, &kernel);
	if (rc < 0) {
		fprintf(stderr, "%s: %s\n", bdf, vfioiommu_strerror(ctx));
		goto out;
	}
	print_list("from the kernel", kernel);
	rc = vfioiommu_resv_compare(predicted, kernel, &only_p, &only_k);
	if (rc == 1) {
		print_list("  only in the prediction", only_p);
		print_list("  only in the kernel's ranges", only_k);
	} else if (rc == 0) {
		printf("the prediction was right\n");
	}

	/* 4. An IOVA pool over the kernel's ranges, for code that places its own mappings. */
	rc = vfioiommu_iova_pool_new(kernel, 4096, &pool);
	if (rc == 0)
		rc = vfioiommu_iova_pool_alloc(pool, 1 << 20, 2 << 20, 0, UINT64_MAX, &iova);
	if (rc < 0)
		goto out;
	printf("pool: 1 MiB at IOVA 0x%" PRIx64 " (2 MiB aligned), %" PRIu64 " bytes left\n", iova,
	       vfioiommu_iova_pool_bytes_available(pool));
	rc = vfioiommu_iova_pool_release(pool, iova, 1 << 20);
out:
	vfioiommu_iova_pool_free(pool);
	vfioiommu_iova_list_free(only_p);
	vfioiommu_iova_list_free(only_k);
	vfioiommu_iova_list_free(kernel);
	vfioiommu_iova_list_free(predicted);
	vfioiommu_resv_set_free(resv);
	vfioiommu_ctx_destroy(ctx);
	vfioiommu_mock_destroy(mock);
	return rc < 0 ? 1 : 0;
}
