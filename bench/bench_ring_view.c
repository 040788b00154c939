/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * The ring consumer's instructions per record, counted by callgrind
 * (deterministic): the inline view of <vfioiommu/ring_view.h> (next +
 * release, the loop a consumer writes), the ring's
 * call API (peek_batch + advance), and Concurrency Kit's SPSC ring with its
 * zero-copy producer (ck_ring/zc: the consumer dequeues, copying each record
 * out), at batch 1, 16 and 256.  Only the consumer is counted: the producer
 * fills a batch (in place, both rings), then collection is switched on for
 * the consumer's turn and off again.  The consumer's work per record is the
 * same everywhere: check the record's sequence number.  Header validation
 * stays on in the ring (every re-read of prod is checked).
 *
 * Usage: bench_ring_view [--check]  (--check: exit 1 when view > 2.0 x ck_ring/zc at any batch)
 * It runs itself under valgrind --tool=callgrind once per variant and batch.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <fcntl.h>

#include <valgrind/callgrind.h>

#include <vfioiommu.h>

#ifdef HAVE_CK
#include <ck_ring.h>
#include "callgrind_run.h"
CK_RING_PROTOTYPE(vf, vfioiommu_fault)
#endif

#define SLOTS 1024u
#define RECORDS 65536u

static bool bad;

static inline void check(const struct vfioiommu_fault *f, uint32_t *want)
{
	if (f->seq != (*want)++)
		bad = true;
}

static int child(const char *variant, unsigned int batch)
{
	size_t len = VFIOIOMMU_RING_SPLIT_HDR + (size_t)SLOTS * 64;
	void *mem = aligned_alloc(4096, len);
	vfioiommu_ring *ring = NULL;
	uint32_t seq = 0, want = 0;
	bool view = !strcmp(variant, "view"), api = !strcmp(variant, "ring");

	if (!mem)
		return 1;
	memset(mem, 0, len);
	if (view || api) {
		struct vfioiommu_ring_view v = { .size = sizeof(v), .version = VFIOIOMMU_RING_VIEW_VERSION };
		const struct vfioiommu_fault *recs[256];
		vfioiommu_ring *prod = NULL;

		if (vfioiommu_ring_attach(mem, len, VFIOIOMMU_RING_SPLIT | VFIOIOMMU_RING_INIT, &ring) ||
		    vfioiommu_ring_attach(mem, len, VFIOIOMMU_RING_SPLIT, &prod))
			return 1;
		if (view && vfioiommu_ring_view_get(ring, &v))
			return 1;
		for (uint32_t done = 0; done < RECORDS; done += batch) {
			struct vfioiommu_fault *slots[256];
			int got = vfioiommu_ring_reserve(prod, slots, batch);

			if (got != (int)batch)
				return 1;
			for (unsigned int i = 0; i < batch; i++) {
				memset(slots[i], 0, sizeof(*slots[i]));
				slots[i]->kind = VFIOIOMMU_FAULT_UNRECOV;
				slots[i]->seq = seq++;
			}
			vfioiommu_ring_commit(prod, batch);
			CALLGRIND_TOGGLE_COLLECT;
			if (view) {
				const struct vfioiommu_fault *f;
				unsigned int n = 0;

				while (n < batch && (f = vfioiommu_ring_view_next(&v))) {
					check(f, &want);
					n++;
				}
				vfioiommu_ring_view_release(&v);
			} else {
				int n = vfioiommu_ring_peek_batch(ring, recs, batch);

				for (int i = 0; i < n; i++)
					check(recs[i], &want);
				vfioiommu_ring_advance(ring, n > 0 ? (unsigned int)n : 0);
			}
			CALLGRIND_TOGGLE_COLLECT;
		}
		if (view)
			vfioiommu_ring_view_put(ring, &v);
		vfioiommu_ring_destroy(prod);
		vfioiommu_ring_destroy(ring);
	} else {
#ifdef HAVE_CK
		ck_ring_t *ck = aligned_alloc(128, (sizeof(ck_ring_t) + 127) / 128 * 128);
		struct vfioiommu_fault *buf = aligned_alloc(64, SLOTS * sizeof(*buf));

		if (!ck || !buf)
			return 1;
		ck_ring_init(ck, SLOTS);
		for (uint32_t done = 0; done < RECORDS; done += batch) {
			for (unsigned int i = 0; i < batch; i++) {
				struct vfioiommu_fault *s = ck_ring_enqueue_reserve_spsc_vf(ck, (void *)buf);

				if (!s)
					return 1;
				memset(s, 0, sizeof(*s));
				s->kind = VFIOIOMMU_FAULT_UNRECOV;
				s->seq = seq++;
				ck_ring_enqueue_commit_spsc(ck);
			}
			CALLGRIND_TOGGLE_COLLECT;
			{
				struct vfioiommu_fault f;
				unsigned int n = 0;

				while (n < batch && ck_ring_dequeue_spsc_vf(ck, (void *)buf, &f)) {
					check(&f, &want);
					n++;
				}
			}
			CALLGRIND_TOGGLE_COLLECT;
		}
		free(buf);
		free(ck);
#else
		return 2;
#endif
	}
	free(mem);
	return bad || want != RECORDS ? 1 : 0;
}

/* Instructions per record of @variant at @batch, -1 failed, -2 no valgrind. */
static double measure(const char *self, const char *variant, unsigned int batch)
{
	char b[16];
	double t;

	snprintf(b, sizeof(b), "%u", batch);
	{
		char *const child[] = { (char *)self, (char *)"--child", (char *)variant, b, NULL };

		t = bench_callgrind_toggled(child);
	}
	return t < 0 ? t : t / RECORDS;
}

int main(int argc, char **argv)
{
	static const unsigned int batches[] = { 1, 16, 256 };
	bool check_mode = argc > 1 && !strcmp(argv[1], "--check"), ok = true;

	if (argc == 4 && !strcmp(argv[1], "--child"))
		return child(argv[2], (unsigned int)atoi(argv[3]));
	printf("ring consumer, instructions per record (callgrind, %u records, consumer only)\n", RECORDS);
	printf("%-6s %10s %10s %12s %10s\n", "batch", "view", "ring API", "ck_ring/zc", "view/ck");
	for (size_t i = 0; i < sizeof(batches) / sizeof(batches[0]); i++) {
		double v = measure(argv[0], "view", batches[i]), a = measure(argv[0], "ring", batches[i]);
		double c = measure(argv[0], "ck", batches[i]);

		if (v == -2) {
			printf("valgrind not found: not measured\n");
			return 77;
		}
		printf("%-6u %10.2f %10.2f %12.2f %10.2f\n", batches[i], v, a, c, c > 0 ? v / c : -1.0);
		if (v < 0 || a < 0)
			ok = false;
		if (c > 0 && v / c > 2.0)
			ok = false;
	}
	return check_mode && !ok ? 1 : 0;
}
