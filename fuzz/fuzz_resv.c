/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * libFuzzer target for the reserved_regions parser.  Besides "no crash, no
 * sanitizer report", every accepted input must give a set that keeps the
 * set's promises, survives a print/parse round trip unchanged, and leaves a
 * usable space that never touches an excluded region.
 *
 *   fuzz_resv -max_total_time=60 /tmp/resv-corpus fuzz/corpus/resv
 *   (new inputs go to the first directory; the seeds are files the kernel prints)
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vfioiommu/resv.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c) do { if (!(c)) __builtin_trap(); } while (0)

static void check_set(const vfioiommu_resv_set *s)
{
	struct vfioiommu_resv_region prev = { 0 }, r;
	size_t n = vfioiommu_resv_set_count(s);

	for (size_t i = 0; i < n; i++) {
		CHECK(vfioiommu_resv_set_get(s, i, &r) == 0);
		CHECK(r.start <= r.last);
		CHECK(r.group == 7);
		CHECK(r.type != VFIOIOMMU_RESV_SW_MSI); /* sysfs cannot say sw_msi */
		if (i)
			CHECK(prev.start < r.start || (prev.start == r.start && prev.type < r.type));
		prev = r;
	}
	/* same-type regions never overlap or touch (quadratic: inputs are small) */
	for (size_t i = 0; i < n && n < 2048; i++) {
		struct vfioiommu_resv_region a, b;

		vfioiommu_resv_set_get(s, i, &a);
		for (size_t j = i + 1; j < n; j++) {
			vfioiommu_resv_set_get(s, j, &b);
			if (a.type == b.type)
				CHECK(a.last != UINT64_MAX && b.start > a.last + 1);
		}
	}
}

static void check_round_trip(const vfioiommu_resv_set *s)
{
	size_t n = vfioiommu_resv_set_count(s), len = 0;
	char *text = malloc(n * 64 + 1);
	vfioiommu_resv_set *again = NULL;

	CHECK(text);
	for (size_t i = 0; i < n; i++) {
		struct vfioiommu_resv_region r;

		vfioiommu_resv_set_get(s, i, &r);
		len += (size_t)sprintf(text + len, "0x%016" PRIx64 " 0x%016" PRIx64 " %s\n", r.start, r.last,
				       vfioiommu_resv_type_name(r.type));
	}
	CHECK(vfioiommu_resv_parse(text, len, 7, "round-trip", &again, NULL, 0) == 0);
	CHECK(vfioiommu_resv_set_count(again) == n);
	for (size_t i = 0; i < n; i++) {
		struct vfioiommu_resv_region a, b;

		vfioiommu_resv_set_get(s, i, &a);
		vfioiommu_resv_set_get(again, i, &b);
		CHECK(a.start == b.start && a.last == b.last && a.type == b.type && a.group == b.group);
	}
	vfioiommu_resv_set_free(again);
	free(text);
}

static void check_usable(const vfioiommu_resv_set *s, uint64_t ap_start, uint64_t ap_last)
{
	vfioiommu_iova_list *u = NULL;
	size_t n = vfioiommu_resv_set_count(s);

	CHECK(vfioiommu_resv_usable(s, ap_start, ap_last, &u) == 0);
	for (size_t i = 0; i < n; i++) {
		struct vfioiommu_resv_region r;
		vfioiommu_iova_list *one = NULL, *both = NULL;
		struct vfioiommu_iova_range rr;

		vfioiommu_resv_set_get(s, i, &r);
		if (r.type == VFIOIOMMU_RESV_DIRECT_RELAXABLE)
			continue;
		rr.start = r.start;
		rr.last = r.last;
		CHECK(vfioiommu_iova_list_new(&rr, 1, VFIOIOMMU_IOVA_SRC_USER, &one) == 0);
		CHECK(vfioiommu_iova_list_intersect(u, one, &both) == 0);
		CHECK(vfioiommu_iova_list_count(both) == 0);
		vfioiommu_iova_list_free(both);
		vfioiommu_iova_list_free(one);
	}
	for (size_t i = 0; i < vfioiommu_iova_list_count(u); i++) {
		struct vfioiommu_iova_range rr;

		vfioiommu_iova_list_get(u, i, &rr);
		CHECK(rr.start >= ap_start && rr.last <= ap_last);
	}
	vfioiommu_iova_list_free(u);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	vfioiommu_resv_set *s = NULL;
	char err[256];
	int rc = vfioiommu_resv_parse((const char *)data, size, 7, "fuzz", &s, err, sizeof(err));

	if (rc < 0) {
		CHECK(rc == -EINVAL || rc == -ENOMEM);
		CHECK(s == NULL);
		CHECK(memchr(err, '\0', sizeof(err)) != NULL);
		CHECK(rc == -ENOMEM || !strncmp(err, "fuzz:", 5));
		return 0;
	}
	check_set(s);
	check_round_trip(s);
	check_usable(s, 0, UINT64_MAX);
	check_usable(s, 0x1000, (1ull << 39) - 1);
	vfioiommu_resv_set_free(s);
	return 0;
}
