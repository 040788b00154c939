/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * Guide, "Faults and the ring" (docs/guide.md): a fault ring the library
 * creates, a producer that pushes page-request records into it (as the
 * iommufd fault pump does), and a consumer that waits, visits the records in
 * place and hands their slots back.
 *
 *   06_ring [--mock HOSTFILE]
 */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <vfioiommu.h>
#include <vfioiommu/mock.h>

int main(int argc, char **argv)
{
	struct vfioiommu_ctx_opts o = { .size = sizeof(o) };
	struct vfioiommu_ring_stats st = { .size = sizeof(st) };
	struct vfioiommu_fault recs[3];
	const struct vfioiommu_fault *rec;
	vfioiommu_mock *mock = NULL;
	vfioiommu_ctx *ctx = NULL;
	vfioiommu_ring *ring = NULL;
	char err[256] = "";
	unsigned int n;
	int rc;

	if (argc == 3 && !strcmp(argv[1], "--mock")) {
		if (vfioiommu_mock_new(&mock) < 0 || vfioiommu_mock_load_file(mock, argv[2], err, sizeof(err)) < 0) {
			fprintf(stderr, "%s\n", err);
			vfioiommu_mock_destroy(mock);
			return 1;
		}
		o.door = vfioiommu_mock_door(mock);
	} else if (argc != 1) {
		fprintf(stderr, "usage: %s [--mock HOSTFILE]\n", argv[0]);
		return 2;
	}
	if ((rc = vfioiommu_ctx_new(&o, &ctx)) < 0)
		goto out;

	/* A ring of 256 records in a memfd (another process could map vfioiommu_ring_fd()). */
	rc = vfioiommu_ring_create(ctx, 256, &ring);
	if (rc < 0) {
		fprintf(stderr, "ring: %s\n", vfioiommu_strerror(ctx));
		goto out;
	}
	printf("ring of %u records: %s\n", vfioiommu_ring_capacity(ring), vfioiommu_ring_layout(ring));

	/* Nothing there yet: a wait with timeout 0 returns 0. */
	printf("ready before the producer: %d\n", vfioiommu_ring_wait(ring, 0));

	/* The producer side: three page requests of one group, as the pump would publish them. */
	memset(recs, 0, sizeof(recs));
	for (unsigned int i = 0; i < 3; i++) {
		recs[i].kind = VFIOIOMMU_FAULT_PAGE_REQ;
		recs[i].flags = VFIOIOMMU_FAULT_F_PASID_VALID | (i == 2 ? VFIOIOMMU_FAULT_F_LAST_PAGE : 0);
		recs[i].dev_id = 1;
		recs[i].pasid = 5;
		recs[i].grpid = 7;
		recs[i].perm = VFIOIOMMU_FAULT_PERM_READ;
		recs[i].addr = 0x10000 + i * 4096;
		recs[i].cookie = 42;
		recs[i].seq = i;
	}
	rc = vfioiommu_ring_push(ring, recs, 3);
	printf("pushed %d\n", rc);

	/* The consumer side: wait (the producer signalled the eventfd), visit in place, advance. */
	rc = vfioiommu_ring_wait(ring, 1000);
	if (rc < 0)
		goto fail;
	printf("ready: %d\n", rc);
	VFIOIOMMU_RING_FOR_EACH(ring, rec, n)
		printf("  %s addr 0x%" PRIx64 " pasid %" PRIu32 " group %" PRIu32 " cookie %" PRIu32 "%s\n",
		       vfioiommu_fault_kind_name(rec->kind), rec->addr, rec->pasid, rec->grpid, rec->cookie,
		       (rec->flags & VFIOIOMMU_FAULT_F_LAST_PAGE) ? " (last of the group)" : "");
	if ((rc = vfioiommu_ring_error(ring)) < 0)
		goto fail;
	rc = vfioiommu_ring_advance(ring, n);
	if (rc < 0)
		goto fail;
	if (vfioiommu_ring_stats(ring, &st) == 0)
		printf("produced %" PRIu64 ", consumed %" PRIu64 ", dropped %" PRIu64 "\n", st.produced, st.consumed,
		       st.overflow);
	goto out;
fail:
	fprintf(stderr, "ring: %s (%s)\n", vfioiommu_ring_strerror(ring), strerror(-rc));
out:
	vfioiommu_ring_destroy(ring);
	vfioiommu_ctx_destroy(ctx);
	vfioiommu_mock_destroy(mock);
	return rc < 0 ? 1 : 0;
}
