/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * Many threads against ONE context on the mock kernel, all at once: DMA
 * map/unmap/translate both ways (allocated and fixed IOVAs), redundant
 * unmaps (UNMAP_ABSENT_OK), PASID alloc/free on sets
 * of one space, a fault ring with a producer and a consumer, and readers of
 * the context's state.  What is checked:
 *  - no IOVA is handed out twice: every live mapping is entered in a shared
 *    page map that refuses a page already taken; translate answers for the
 *    caller's own live mappings exactly;
 *  - threads racing for the same fixed IOVA: exactly one wins each round;
 *  - no PASID is live twice (a shared bitmap), quotas and counters add up;
 *  - the ring delivers every record once and in order (sequence numbers);
 *  - at the end the library's counters are back to zero and no mock fd leaks.
 * Run it under TSan too (meson -Db_sanitize=thread); cmocka asserts only in
 * the main thread, workers count failures and keep the first message.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include <cmocka.h>

#include "helpers.h"
#include <vfioiommu/dma.h>
#include <vfioiommu/fault.h>
#include <vfioiommu/ring.h>
#include <vfioiommu/pasid.h>
#include <vfioiommu/mock.h>
#include <vfioiommu/p2p.h>

#define PG ((uint64_t)4096)
#define RW (VFIOIOMMU_DMA_READ | VFIOIOMMU_DMA_WRITE)
#define DMA_THREADS 4
#define PASID_THREADS 3
#define RACE_THREADS 3
#define PEER_THREADS 2

/* Fewer rounds under valgrind (it runs threads one at a time): VFIOIOMMU_STRESS_SCALE=percent. */
static unsigned int scaled(unsigned int n)
{
	const char *s = getenv("VFIOIOMMU_STRESS_SCALE");
	unsigned long pct = s ? strtoul(s, NULL, 10) : 100;

	if (pct == 0)
		pct = 1;
	n = (unsigned int)((unsigned long)n * pct / 100);
	return n ? n : 1;
}

/* Back off without burning a shared CPU: yield first, then sleep a little. */
static void backoff(unsigned int *spins)
{
	if (++*spins < 64) {
		sched_yield();
	} else {
		struct timespec ts = { 0, 20000 };
		nanosleep(&ts, NULL);
	}
}

/* ---- failures seen by workers, reported by the main thread ---- */
static atomic_uint g_failures;
static pthread_mutex_t g_msg_lock = PTHREAD_MUTEX_INITIALIZER;
static char g_msg[512];

static void wfail(const char *fmt, ...) VFIOIOMMU_PRINTF(1, 2);
static void wfail(const char *fmt, ...)
{
	va_list ap;

	if (atomic_fetch_add(&g_failures, 1) == 0) {
		pthread_mutex_lock(&g_msg_lock);
		va_start(ap, fmt);
		vsnprintf(g_msg, sizeof(g_msg), fmt, ap);
		va_end(ap);
		pthread_mutex_unlock(&g_msg_lock);
	}
}

static void assert_no_worker_failure(void)
{
	if (atomic_load(&g_failures))
		fail_msg("%u worker failures; first: %s", atomic_load(&g_failures), g_msg);
}

/* ---- the shared page map: one byte per IOVA page below 2^32 (the mappings stay low) ---- */
#define TRACK_PAGES (1u << 20)
static atomic_uchar *g_pages;

static bool pages_take(uint64_t iova, uint64_t len)
{
	uint64_t first = iova / PG, n = len / PG;

	if (iova % PG || first + n > TRACK_PAGES) {
		wfail("IOVA 0x%" PRIx64 "+0x%" PRIx64 " is misaligned or outside the tracked space", iova, len);
		return false;
	}
	for (uint64_t i = 0; i < n; i++) {
		if (atomic_exchange(&g_pages[first + i], 1)) {
			wfail("IOVA page 0x%" PRIx64 " handed out while still mapped", (first + i) * PG);
			return false;
		}
	}
	return true;
}

static void pages_give(uint64_t iova, uint64_t len)
{
	for (uint64_t i = 0; i < len / PG; i++)
		if (!atomic_exchange(&g_pages[iova / PG + i], 0))
			wfail("IOVA page 0x%" PRIx64 " unmapped twice", iova + i * PG);
}

/* ---- DMA workers: allocated IOVAs ---- */
struct dma_work {
	vfioiommu_ctx *ctx;
	char *buf;        /* this thread's 64 pages */
	unsigned int rounds;
	unsigned int id;
};

#define SLOTS 8

static void *dma_worker(void *arg)
{
	struct dma_work *w = arg;
	uint64_t iova[SLOTS] = { 0 }, len[SLOTS] = { 0 };
	unsigned int seed = w->id * 7919u + 1;

	for (unsigned int r = 0; r < w->rounds; r++) {
		unsigned int s = (unsigned int)rand_r(&seed) % SLOTS;
		char *va = w->buf + (size_t)s * 8 * PG;
		uint64_t got;
		int rc;

		if (len[s]) {
			/* translate a byte in the middle, then unmap (by handle or by range) */
			rc = vfioiommu_dma_translate(w->ctx, va + PG + 3, 1, &got);
			if (rc != 0 || got != iova[s] + PG + 3)
				wfail("thread %u: translate gave %d / 0x%" PRIx64 ", want 0x%" PRIx64, w->id, rc, got,
				      iova[s] + PG + 3);
			/* and back: the reverse lookup reads the IOVA tree other threads are changing */
			{
				void *back = NULL;

				rc = vfioiommu_dma_translate_iova(w->ctx, iova[s] + PG + 3, 1, &back);
				if (rc != 0 || back != va + PG + 3)
					wfail("thread %u: reverse translate gave %d / %p, want %p", w->id, rc, back,
					      (void *)(va + PG + 3));
			}
			/* a vIOMMU's redundant unmap where nobody maps (allocations stay below 4 GiB) */
			rc = vfioiommu_dma_unmap_flags(w->ctx, 0x7f00000000ULL + (uint64_t)w->id * PG, PG,
						       VFIOIOMMU_DMA_UNMAP_ABSENT_OK);
			if (rc != 0)
				wfail("thread %u: redundant unmap gave %d", w->id, rc);
			pages_give(iova[s], len[s]);
			rc = (r & 1) ? vfioiommu_dma_unmap_at(w->ctx, iova[s]) : vfioiommu_dma_unmap(w->ctx, iova[s], len[s]);
			if (rc != 0)
				wfail("thread %u: unmap 0x%" PRIx64 " failed: %d", w->id, iova[s], rc);
			len[s] = 0;
			continue;
		}
		len[s] = (2 + (uint64_t)(rand_r(&seed) % 6)) * PG;
		rc = (r % 3 == 0) ? vfioiommu_dma_map_in(w->ctx, va, len[s], RW, 4 * PG, 0, 0xffffffffULL, &iova[s])
				  : vfioiommu_dma_map(w->ctx, va, len[s], RW, &iova[s]);
		if (rc != 0) {
			wfail("thread %u: map of %" PRIu64 " bytes failed: %d", w->id, len[s], rc);
			len[s] = 0;
			continue;
		}
		if (!pages_take(iova[s], len[s])) {
			len[s] = 0;
			continue;
		}
	}
	for (unsigned int s = 0; s < SLOTS; s++) {
		if (!len[s])
			continue;
		pages_give(iova[s], len[s]);
		if (vfioiommu_dma_unmap_at(w->ctx, iova[s]) != 0)
			wfail("thread %u: final unmap failed", w->id);
	}
	return NULL;
}

/* ---- peer to peer: slices of the device's BAR0 mapped and unmapped (dma-buf, or the BAR's mmap) ---- */
struct peer_work {
	vfioiommu_ctx *ctx;
	vfioiommu_device *dev;
	unsigned int rounds;
	unsigned int id;
};

static void *peer_worker(void *arg)
{
	struct peer_work *w = arg;
	unsigned int seed = w->id * 104729u + 3;

	for (unsigned int r = 0; r < w->rounds; r++) {
		uint64_t iova = 0, off = (uint64_t)(rand_r(&seed) % 16) * PG;
		int rc = vfioiommu_dma_map_region(w->ctx, w->dev, 0, off, PG, RW, &iova);

		if (rc != 0) {
			wfail("peer thread %u: map_region of BAR0 +0x%" PRIx64 " failed: %d", w->id, off, rc);
			continue;
		}
		if (pages_take(iova, PG))
			pages_give(iova, PG);
		if (vfioiommu_dma_unmap_at(w->ctx, iova) != 0)
			wfail("peer thread %u: unmap of 0x%" PRIx64 " failed", w->id, iova);
	}
	return NULL;
}

/* ---- fixed-IOVA races: each round every thread asks for the same IOVA; one wins ---- */
struct race {
	vfioiommu_ctx *ctx;
	char *buf;
	unsigned int rounds;
	pthread_barrier_t go, done;
	atomic_uint winners;
	atomic_uint losers;
};

struct race_arg {
	struct race *race;
	unsigned int id;
};

#define RACE_BASE 0xc0000000ULL

static void *race_worker(void *arg)
{
	struct race_arg *a = arg;
	struct race *rc_ = a->race;

	for (unsigned int r = 0; r < rc_->rounds; r++) {
		uint64_t iova = RACE_BASE + (uint64_t)(r % 16) * 4 * PG;
		int rc;

		pthread_barrier_wait(&rc_->go);
		rc = vfioiommu_dma_map(rc_->ctx, rc_->buf + (size_t)a->id * 4 * PG, 2 * PG,
				       RW | VFIOIOMMU_DMA_FIXED_IOVA, &iova);
		if (rc == 0) {
			atomic_fetch_add(&rc_->winners, 1);
			if (pages_take(iova, 2 * PG)) {
				pages_give(iova, 2 * PG);
			}
		} else if (rc == -EEXIST) {
			atomic_fetch_add(&rc_->losers, 1);
		} else {
			wfail("race thread %u: fixed map gave %d, want 0 or -EEXIST", a->id, rc);
		}
		pthread_barrier_wait(&rc_->done);
		/* the winner unmaps before the next round starts */
		if (rc == 0 && vfioiommu_dma_unmap(rc_->ctx, iova, 2 * PG) != 0)
			wfail("race thread %u: unmap of the won IOVA failed", a->id);
		pthread_barrier_wait(&rc_->done);
	}
	return NULL;
}

/* ---- PASID workers ---- */
#define PASID_WIDTH 10
static atomic_uchar g_pasid_live[1u << PASID_WIDTH];

struct pasid_work {
	vfioiommu_pasid_set *set;
	unsigned int rounds, id, quota;
};

static void *pasid_worker(void *arg)
{
	struct pasid_work *w = arg;
	vfioiommu_pasid_handle h[32];
	int val[32];
	unsigned int n = 0, seed = w->id + 99;

	for (unsigned int r = 0; r < w->rounds; r++) {
		bool alloc = n == 0 || (n < 32 && rand_r(&seed) % 3 != 0);

		if (alloc) {
			int rc = vfioiommu_pasid_alloc(w->set, &h[n]);
			if (rc == -EDQUOT || rc == -ENOSPC)
				continue;
			if (rc != 0) {
				wfail("pasid thread %u: alloc gave %d", w->id, rc);
				continue;
			}
			val[n] = vfioiommu_pasid_value(w->set, h[n]);
			if (val[n] <= 0 || val[n] >= (1 << PASID_WIDTH)) {
				wfail("pasid thread %u: value %d out of the space", w->id, val[n]);
				continue;
			}
			if (atomic_exchange(&g_pasid_live[val[n]], 1))
				wfail("PASID %d handed out twice", val[n]);
			n++;
		} else {
			unsigned int k = (unsigned int)rand_r(&seed) % n;
			if (vfioiommu_pasid_value(w->set, h[k]) != val[k])
				wfail("pasid thread %u: handle no longer names PASID %d", w->id, val[k]);
			atomic_store(&g_pasid_live[val[k]], 0);
			if (vfioiommu_pasid_free(w->set, h[k]) != 0)
				wfail("pasid thread %u: free of PASID %d failed", w->id, val[k]);
			/* the stale handle must now be refused, even if the value is reused at once */
			if (vfioiommu_pasid_free(w->set, h[k]) != -EINVAL)
				wfail("pasid thread %u: stale handle of PASID %d accepted", w->id, val[k]);
			h[k] = h[n - 1];
			val[k] = val[n - 1];
			n--;
		}
	}
	{
		uint32_t used = 0, quota = 0;
		if (vfioiommu_pasid_set_usage(w->set, &used, &quota) != 0 || used != n || quota != w->quota)
			wfail("pasid thread %u: set usage %u/%u, want %u/%u", w->id, used, quota, n, w->quota);
	}
	for (unsigned int k = 0; k < n; k++) {
		atomic_store(&g_pasid_live[val[k]], 0);
		if (vfioiommu_pasid_free(w->set, h[k]) != 0)
			wfail("pasid thread %u: final free failed", w->id);
	}
	return NULL;
}

/* ---- the fault ring: one producer, one consumer ---- */
struct ring_work {
	vfioiommu_ring *ring;
	unsigned int total;
	atomic_uint consumed;
};

static void *ring_producer(void *arg)
{
	struct ring_work *w = arg;
	unsigned int next = 0, spins = 0;

	while (next < w->total) {
		struct vfioiommu_fault recs[16];
		int room = vfioiommu_ring_room(w->ring, 16);
		unsigned int n;
		int rc;

		if (room < 0) {
			wfail("ring room: %d (%s)", room, vfioiommu_ring_strerror(w->ring));
			return NULL;
		}
		n = (unsigned int)room < 16 ? (unsigned int)room : 16;
		if (n > w->total - next)
			n = w->total - next;
		if (n == 0) {
			backoff(&spins);
			continue;
		}
		spins = 0;
		memset(recs, 0, sizeof(recs));
		for (unsigned int i = 0; i < n; i++) {
			recs[i].kind = VFIOIOMMU_FAULT_UNRECOV;
			recs[i].seq = next + i;
			recs[i].addr = (uint64_t)(next + i) * PG;
		}
		rc = vfioiommu_ring_push(w->ring, recs, n);
		if (rc != (int)n) {
			wfail("ring push stored %d of %u with room %d", rc, n, room);
			return NULL;
		}
		next += n;
	}
	return NULL;
}

static void *ring_consumer(void *arg)
{
	struct ring_work *w = arg;
	unsigned int want = 0, spins = 0, idle = 0;

	while (want < w->total) {
		const struct vfioiommu_fault *v[32];
		int n = vfioiommu_ring_peek_batch(w->ring, v, 32);

		if (n < 0) {
			wfail("ring peek: %d (%s)", n, vfioiommu_ring_strerror(w->ring));
			return NULL;
		}
		if (n == 0) {
			if (++idle > 5000000u) {
				wfail("ring consumer starved at record %u", want);
				return NULL;
			}
			backoff(&spins);
			continue;
		}
		spins = 0;
		for (int i = 0; i < n; i++, want++) {
			if (v[i]->kind != VFIOIOMMU_FAULT_UNRECOV || v[i]->seq != want || v[i]->addr != (uint64_t)want * PG) {
				wfail("ring record %u: kind %u seq %u (lost or duplicated)", want, v[i]->kind, v[i]->seq);
				return NULL;
			}
		}
		if (vfioiommu_ring_advance(w->ring, (unsigned int)n) != 0) {
			wfail("ring advance failed");
			return NULL;
		}
		atomic_store(&w->consumed, want);
	}
	return NULL;
}

/* ---- readers of the context's state while everything else runs ---- */
struct reader {
	vfioiommu_ctx *ctx;
	atomic_bool stop;
	unsigned int reads;
};

static void *state_reader(void *arg)
{
	struct reader *rd = arg;

	while (!atomic_load(&rd->stop)) {
		vfioiommu_iova_list *l = NULL;
		struct vfioiommu_dma_stats st = { .size = sizeof(st) };
		const char *msg;

		if (vfioiommu_ctx_iova_ranges(rd->ctx, &l) != 0 || vfioiommu_iova_list_count(l) == 0)
			wfail("reader: iova ranges failed");
		vfioiommu_iova_list_free(l);
		if (vfioiommu_dma_stats(rd->ctx, &st) != 0)
			wfail("reader: dma stats failed");
		msg = vfioiommu_strerror(rd->ctx);
		if (!msg)
			wfail("reader: strerror NULL");
		if (vfioiommu_ctx_backend(rd->ctx) != VFIOIOMMU_BACKEND_IOMMUFD &&
		    vfioiommu_ctx_backend(rd->ctx) != VFIOIOMMU_BACKEND_TYPE1V2)
			wfail("reader: backend changed");
		rd->reads++;
		{
			/* a reader among writers, not a spinner: leave the CPUs to the workers */
			struct timespec ts = { 0, 50000 };
			nanosleep(&ts, NULL);
		}
	}
	return NULL;
}

static void run_stress(enum vfioiommu_mode mode)
{
	vfioiommu_mock *m = th_mock(th_host_default);
	vfioiommu_ctx *ctx = th_ctx(m, mode);
	vfioiommu_device *dev = NULL;
	vfioiommu_pasid_space *space = NULL;
	vfioiommu_ring *ring = NULL;
	struct dma_work dw[DMA_THREADS];
	struct pasid_work pw[PASID_THREADS];
	vfioiommu_pasid_set *sets[PASID_THREADS];
	struct race race = { .ctx = ctx };
	struct race_arg ra[RACE_THREADS];
	struct ring_work rw = { .total = scaled(200000) };
	struct reader rd = { .ctx = ctx };
	struct peer_work pe[PEER_THREADS];
	pthread_t t[DMA_THREADS + PASID_THREADS + RACE_THREADS + PEER_THREADS + 3];
	unsigned int nt = 0;
	struct vfioiommu_dma_stats st = { .size = sizeof(st) };
	char *buf;
	size_t buflen = (size_t)(DMA_THREADS + 1) * 64 * PG;
	uint32_t in_use = 1, avail = 0;

	atomic_store(&g_failures, 0);
	g_pages = calloc(TRACK_PAGES, 1);
	assert_non_null(g_pages);
	memset(g_pasid_live, 0, sizeof(g_pasid_live));
	buf = mmap(NULL, buflen, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(buf != MAP_FAILED);

	if (vfioiommu_device_open(ctx, "0000:00:03.0", &dev) < 0)
		fail_msg("%s", vfioiommu_strerror(ctx));
	assert_int_equal(vfioiommu_pasid_space_new(PASID_WIDTH, NULL, &space), 0);
	assert_int_equal(vfioiommu_ring_create(ctx, 64, &ring), 0);
	rw.ring = ring;

	for (unsigned int i = 0; i < DMA_THREADS; i++) {
		dw[i] = (struct dma_work){ .ctx = ctx, .buf = buf + (size_t)i * 64 * PG, .rounds = scaled(3000), .id = i };
		assert_int_equal(pthread_create(&t[nt++], NULL, dma_worker, &dw[i]), 0);
	}
	race.buf = buf + (size_t)DMA_THREADS * 64 * PG;
	race.rounds = scaled(400);
	pthread_barrier_init(&race.go, NULL, RACE_THREADS);
	pthread_barrier_init(&race.done, NULL, RACE_THREADS);
	for (unsigned int i = 0; i < RACE_THREADS; i++) {
		ra[i] = (struct race_arg){ .race = &race, .id = i };
		assert_int_equal(pthread_create(&t[nt++], NULL, race_worker, &ra[i]), 0);
	}
	for (unsigned int i = 0; i < PASID_THREADS; i++) {
		/* quotas that add up to more than the space: the space runs out first for someone */
		assert_int_equal(vfioiommu_pasid_set_new(space, 400 + 100 * i, &sets[i]), 0);
		pw[i] = (struct pasid_work){ .set = sets[i], .rounds = scaled(20000), .id = i, .quota = 400 + 100 * i };
		assert_int_equal(pthread_create(&t[nt++], NULL, pasid_worker, &pw[i]), 0);
	}
	for (unsigned int i = 0; i < PEER_THREADS; i++) {
		pe[i] = (struct peer_work){ .ctx = ctx, .dev = dev, .rounds = scaled(1500), .id = i };
		assert_int_equal(pthread_create(&t[nt++], NULL, peer_worker, &pe[i]), 0);
	}
	assert_int_equal(pthread_create(&t[nt++], NULL, ring_producer, &rw), 0);
	assert_int_equal(pthread_create(&t[nt++], NULL, ring_consumer, &rw), 0);
	assert_int_equal(pthread_create(&t[nt++], NULL, state_reader, &rd), 0);

	for (unsigned int i = 0; i < nt - 1; i++)
		pthread_join(t[i], NULL);
	atomic_store(&rd.stop, true);
	pthread_join(t[nt - 1], NULL);
	assert_no_worker_failure();

	/* every round of the race had exactly one winner */
	assert_int_equal(atomic_load(&race.winners), race.rounds);
	assert_int_equal(atomic_load(&race.losers), race.rounds * (RACE_THREADS - 1));
	/* everything came back */
	assert_int_equal(vfioiommu_dma_stats(ctx, &st), 0);
	assert_int_equal(st.mappings, 0);
	assert_int_equal(st.mapped_bytes, 0);
	for (size_t i = 0; i < TRACK_PAGES; i++)
		if (g_pages[i])
			fail_msg("IOVA page 0x%zx still marked mapped", i * (size_t)PG);
	assert_int_equal(vfioiommu_pasid_space_usage(space, &in_use, &avail), 0);
	assert_int_equal(in_use, 0);
	assert_int_equal(avail, (1u << PASID_WIDTH) - 1);
	assert_int_equal(atomic_load(&rw.consumed), rw.total);
	{
		struct vfioiommu_ring_stats rs = { .size = sizeof(rs) };
		assert_int_equal(vfioiommu_ring_stats(ring, &rs), 0);
		assert_int_equal(rs.produced, rw.total);
		assert_int_equal(rs.consumed, rw.total);
		assert_int_equal(rs.overflow, 0);
	}
	print_message("%s: %u DMA rounds x %d threads, %u fixed-IOVA races, %u PASID rounds x %d, "
		      "%u ring records, %u state reads, %u BAR map_region rounds x %d\n",
		      mode == VFIOIOMMU_MODE_IOMMUFD ? "iommufd" : "container", dw[0].rounds, DMA_THREADS,
		      race.rounds, pw[0].rounds, PASID_THREADS, rw.total, rd.reads, pe[0].rounds, PEER_THREADS);

	pthread_barrier_destroy(&race.go);
	pthread_barrier_destroy(&race.done);
	vfioiommu_ring_destroy(ring);
	vfioiommu_pasid_space_free(space);
	vfioiommu_ctx_destroy(ctx);
	th_mock_done(m);
	munmap(buf, buflen);
	free(g_pages);
	g_pages = NULL;
}

static void stress_iommufd(void **state)
{
	run_stress(VFIOIOMMU_MODE_IOMMUFD);
}

static void stress_container(void **state)
{
	run_stress(VFIOIOMMU_MODE_CONTAINER);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(stress_iommufd),
		cmocka_unit_test(stress_container),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
