/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * The user-space half of the IO page-fault round trip (bench/bench_iopf.c),
 * counted by callgrind (deterministic), for quick iteration without the VM:
 * the same two loops, over a socketpair instead of the fault fd.  A round
 * writes b 40-byte fault records (cookies 1..b, one group each) into the
 * socketpair's far end, uncounted; then, counted,
 *
 *   lib: vfioiommu_fault_pump_run() on the near end (the system door),
 *        vfioiommu_ring_view_next() per record, one
 *        vfioiommu_fault_pump_respond_record() per record, _release();
 *   raw: one read() of the batch, one 8-byte write() per record;
 *
 * and the far end drains the responses, uncounted.  The kernel's share of
 * read() and write() differs from the fault fd's, so only the difference
 * lib - raw (the library's own instructions per fault) carries over to the
 * VM figure; bench/vm-iopf-insn.sh gives the ratio.
 *
 * Usage: bench_iopf_user  (runs itself under valgrind --tool=callgrind once per loop and batch)
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <valgrind/callgrind.h>

#include <vfioiommu.h>

#include "kabi/kabi.h"
#include "callgrind_run.h"

#define ROUNDS 2000u

static int child(bool lib, unsigned int b)
{
	struct vfioiommu_ctx_opts o = { .size = sizeof(o), .mode = VFIOIOMMU_MODE_IOMMUFD };
	vfioiommu_ctx *ctx = NULL;
	vfioiommu_ring *ring = NULL;
	vfioiommu_fault_pump *pump = NULL;
	unsigned long bad = 0;
	int sv[2];

	if (b > 16 || vfioiommu_ctx_new(&o, &ctx) < 0 || socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) < 0)
		return 1;
	/* as bench_iopf: a 64-record ring */
	if (vfioiommu_ring_create(ctx, 64, &ring) < 0 || vfioiommu_fault_pump_new(ctx, sv[0], ring, &pump) < 0)
		return 1;
	for (unsigned int r = 0; r < ROUNDS; r++) {
		struct kabi_iommu_hwpt_pgfault recs[16];
		char sink[16 * sizeof(struct kabi_iommu_hwpt_page_response)];

		memset(recs, 0, sizeof(recs));
		for (unsigned int i = 0; i < b; i++)
			recs[i] = (struct kabi_iommu_hwpt_pgfault){ .flags = KABI_PGFAULT_FLAGS_LAST_PAGE, .grpid = i,
								     .perm = 1, .addr = 0x1000000 + 0x1000ull * i,
								     .cookie = i + 1 };
		if (write(sv[1], recs, b * sizeof(recs[0])) != (ssize_t)(b * sizeof(recs[0])))
			return 1;
		if (lib) {
			struct vfioiommu_ring_view v = { .size = sizeof(v), .version = VFIOIOMMU_RING_VIEW_VERSION };
			const struct vfioiommu_fault *f;
			int got, answered = 0;

			if (vfioiommu_ring_view_get(ring, &v) < 0)
				return 1;
			CALLGRIND_TOGGLE_COLLECT;
			got = vfioiommu_fault_pump_run(pump);
			while ((f = vfioiommu_ring_view_next(&v)))
				answered += vfioiommu_fault_pump_respond_record(pump, f, VFIOIOMMU_PAGE_RESP_SUCCESS) == 0;
			vfioiommu_ring_view_release(&v);
			CALLGRIND_TOGGLE_COLLECT;
			vfioiommu_ring_view_put(ring, &v);
			bad += got != (int)b || answered != (int)b;
		} else {
			struct kabi_iommu_hwpt_pgfault in[16];
			ssize_t n;
			int wbad = 0;

			CALLGRIND_TOGGLE_COLLECT;
			n = read(sv[0], in, b * sizeof(in[0]));
			for (ssize_t i = 0; i < n / (ssize_t)sizeof(in[0]); i++) {
				struct kabi_iommu_hwpt_page_response resp = { .cookie = in[i].cookie,
									      .code = KABI_IOMMUFD_PAGE_RESP_SUCCESS };
				wbad |= write(sv[0], &resp, sizeof(resp)) != (ssize_t)sizeof(resp);
			}
			CALLGRIND_TOGGLE_COLLECT;
			bad += wbad || n != (ssize_t)(b * sizeof(in[0]));
		}
		/* the far end takes the responses: one per record, each naming its record's cookie */
		if (read(sv[1], sink, b * sizeof(struct kabi_iommu_hwpt_page_response)) !=
		    (ssize_t)(b * sizeof(struct kabi_iommu_hwpt_page_response)))
			return 1;
		for (unsigned int i = 0; i < b; i++) {
			struct kabi_iommu_hwpt_page_response resp;

			memcpy(&resp, sink + i * sizeof(resp), sizeof(resp));
			bad += resp.cookie != i + 1 || resp.code != KABI_IOMMUFD_PAGE_RESP_SUCCESS;
		}
	}
	vfioiommu_fault_pump_destroy(pump);
	vfioiommu_ring_destroy(ring);
	vfioiommu_ctx_destroy(ctx);
	close(sv[0]);
	close(sv[1]);
	return bad ? 1 : 0;
}

/* Instructions per fault of one loop at batch b; -1 failed, -2 no valgrind. */
static double measure(const char *self, const char *loop, unsigned int b)
{
	char bs[16];
	double t;

	snprintf(bs, sizeof(bs), "%u", b);
	{
		char *const child[] = { (char *)self, (char *)"--child", (char *)loop, bs, NULL };

		t = bench_callgrind_toggled(child);
	}
	return t < 0 ? t : t / ((double)ROUNDS * b);
}

int main(int argc, char **argv)
{
	static const unsigned int batches[] = { 1, 16 };

	if (argc == 4 && !strcmp(argv[1], "--child"))
		return child(!strcmp(argv[2], "lib"), (unsigned int)atoi(argv[3]));
	printf("IO page-fault round trip over a socketpair, user-space instructions per fault (callgrind, %u rounds)\n",
	       ROUNDS);
	printf("%-6s %10s %10s %12s\n", "batch", "lib", "raw", "lib - raw");
	for (size_t i = 0; i < sizeof(batches) / sizeof(batches[0]); i++) {
		double l = measure(argv[0], "lib", batches[i]), r = measure(argv[0], "raw", batches[i]);

		if (l == -2 || r == -2) {
			printf("valgrind not found: not measured\n");
			return 77;
		}
		if (l < 0 || r < 0) {
			printf("batch %u: a round trip failed\n", batches[i]);
			return 1;
		}
		printf("%-6u %10.1f %10.1f %12.1f\n", batches[i], l, r, l - r);
	}
	return 0;
}
