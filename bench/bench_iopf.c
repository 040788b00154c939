/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * The IO page-fault round trip in the VM (bench/vm-iopf-insn.sh), counted in
 * exact guest instructions by the TCG plugin: the kernel's fault records
 * read from the fault fd, handed to a consumer, and each group answered,
 *
 *   lib: vfioiommu_fault_pump_run() (read into the ring), the consumer takes
 *        the records from the ring (vfioiommu_ring_view_next()) and answers
 *        each with vfioiommu_fault_pump_respond_record() (one write per group);
 *   raw: one read() of the batch from the same fault fd, then one write() of
 *        an 8-byte response per record (the same syscalls, no library),
 *
 * at batch 1 and 16.  The faults come from IOMMUFD_TEST (TRIGGER_IOPF on a
 * mock device whose page table sends its faults to a library fault queue)
 * and are triggered before each window opens, so only the round trip is
 * counted.  Each window prints "@@INSN-WINDOW bench_iopf.<lib|raw>-b<N>
 * iters=<faults> rc=<0|errno>".  77 without IOMMUFD_TEST.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <vfioiommu.h>

#include "insn_marker.h"
#include "kabi/kabi.h"

#define WINDOWS 20

static int tcmd(int fd, uint32_t op, uint32_t id, const void *arg, size_t len, struct kabi_iommu_test_cmd *out)
{
	struct kabi_iommu_test_cmd c;

	kabi_test_cmd_init(&c, op, id, arg, len);
	if (ioctl(fd, KABI_IOMMU_TEST_CMD, &c) < 0)
		return -errno;
	if (out)
		*out = c;
	return 0;
}

static int trigger(int fd, uint32_t idev, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		uint32_t t[6] = { idev, 0, i, 1, 0, 0 };
		uint64_t addr = 0x1000000 + 0x1000ull * i;
		int rc;

		memcpy(&t[4], &addr, sizeof(addr));
		if ((rc = tcmd(fd, 15 /* TRIGGER_IOPF */, 0, t, sizeof(t), NULL)) < 0)
			return rc;
	}
	return 0;
}

int main(void)
{
	struct vfioiommu_ctx_opts o = { .size = sizeof(o), .mode = VFIOIOMMU_MODE_IOMMUFD };
	static const unsigned int batches[] = { 1, 16 };
	const char *bdfs = getenv("VFIOIOMMU_VM_BDFS");
	char bdf[32] = "";
	vfioiommu_ctx *ctx = NULL;
	vfioiommu_device *dev = NULL;
	vfioiommu_ring *ring = NULL;
	vfioiommu_fault_queue *q = NULL;
	vfioiommu_pagetable *pt = NULL;
	struct kabi_iommu_test_cmd out = { 0 };
	uint32_t ioas = 0, m[3] = { 0, 0, 0 };
	int ifd, rc, ffd;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!bdfs || sscanf(bdfs, "%31s", bdf) != 1)
		return 1;
	rc = vfioiommu_ctx_new(&o, &ctx);
	if (rc == 0)
		rc = vfioiommu_device_open(ctx, bdf, &dev);
	ifd = rc == 0 ? vfioiommu_ctx_iommufd_fd(ctx) : rc;
	if (ifd < 0 || vfioiommu_ctx_ioas_id(ctx, &ioas) < 0) {
		fprintf(stderr, "bench_iopf: %s\n", vfioiommu_strerror(ctx));
		return 1;
	}
	rc = tcmd(ifd, 2 /* MOCK_DOMAIN */, ioas, NULL, 0, &out);
	if (rc == -ENOTTY) {
		printf("bench_iopf: no IOMMUFD_TEST\n");
		return 77;
	}
	memcpy(m, out.arg, sizeof(m)); /* stdev, hwpt, idev */
	if (rc == 0)
		rc = vfioiommu_ring_create(ctx, 64, &ring);
	if (rc == 0)
		rc = vfioiommu_fault_queue_new(ctx, ring, &q);
	if (rc == 0)
		rc = vfioiommu_pagetable_new(ctx, m[2], &(struct vfioiommu_pagetable_opts){
			.size = sizeof(struct vfioiommu_pagetable_opts), .fault = q }, &pt);
	if (rc == 0) {
		uint32_t id = vfioiommu_pagetable_id(pt);
		rc = tcmd(ifd, 10 /* MOCK_DOMAIN_REPLACE */, m[0], &id, sizeof(id), NULL);
	}
	if (rc < 0) {
		fprintf(stderr, "bench_iopf: setup %d (%s)\n", rc, vfioiommu_strerror(ctx));
		return 1;
	}
	ffd = vfioiommu_fault_queue_fd(q);
	for (size_t bi = 0; bi < sizeof(batches) / sizeof(batches[0]); bi++) {
		unsigned int b = batches[bi];

		for (int w = 0; w < WINDOWS; w++) {
			/* the library: pump, consume through the view, answer each group by its record */
			struct vfioiommu_ring_view v = { .size = sizeof(v), .version = VFIOIOMMU_RING_VIEW_VERSION };
			vfioiommu_fault_pump *pump = vfioiommu_fault_queue_pump(q);
			const struct vfioiommu_fault *f;
			int got, answered = 0;

			if ((rc = trigger(ifd, m[2], b)) < 0 || vfioiommu_ring_view_get(ring, &v) < 0)
				return 1;
			vfioiommu_bench_mark_start();
			got = vfioiommu_fault_pump_run(pump);
			while ((f = vfioiommu_ring_view_next(&v)))
				answered += vfioiommu_fault_pump_respond_record(pump, f, VFIOIOMMU_PAGE_RESP_SUCCESS) == 0;
			vfioiommu_ring_view_release(&v);
			vfioiommu_bench_mark_stop();
			vfioiommu_ring_view_put(ring, &v);
			printf("@@INSN-WINDOW bench_iopf.lib-b%u iters=%u rc=%d\n", b, b,
			       got == (int)b && answered == (int)b ? 0 : 1);
		}
		for (int w = 0; w < WINDOWS; w++) {
			/* raw: one read of the batch, one write per record */
			struct kabi_iommu_hwpt_pgfault recs[16];
			ssize_t n;
			int bad = 0;

			if ((rc = trigger(ifd, m[2], b)) < 0)
				return 1;
			vfioiommu_bench_mark_start();
			n = read(ffd, recs, b * sizeof(recs[0]));
			for (ssize_t i = 0; i < n / (ssize_t)sizeof(recs[0]); i++) {
				struct kabi_iommu_hwpt_page_response r = { .cookie = recs[i].cookie,
									   .code = KABI_IOMMUFD_PAGE_RESP_SUCCESS };
				bad |= write(ffd, &r, sizeof(r)) != (ssize_t)sizeof(r);
			}
			vfioiommu_bench_mark_stop();
			printf("@@INSN-WINDOW bench_iopf.raw-b%u iters=%u rc=%d\n", b, b,
			       n == (ssize_t)(b * sizeof(recs[0])) && !bad ? 0 : 1);
		}
	}
	{
		struct kabi_iommu_destroy d = { .size = sizeof(d), .id = m[0] };
		ioctl(ifd, KABI_IOMMU_DESTROY, &d);
	}
	vfioiommu_ring_destroy(ring);
	vfioiommu_ctx_destroy(ctx);
	return 0;
}
