/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * The fault ring against Concurrency Kit's SPSC ring and against a pipe read
 * once per batch (what a reader of the iommufd fault fd does), moving 64-byte
 * records from a producer thread to a consumer thread at batch sizes 1, 16
 * and 256.
 *
 *  - ring/split:   vfioiommu ring, library layout (SPLIT), 1024 records, no
 *                  eventfd: prod published with a release store.  The
 *                  producer fills records in its own array and
 *                  vfioiommu_ring_push() copies them in (after
 *                  vfioiommu_ring_room(), so nothing is dropped).
 *  - ring/split+ev: the same created by vfioiommu_ring_create(): with an
 *                  eventfd, prod is published SEQ_CST (the wakeup protocol).
 *  - ring/compat:  the 64 KiB region layout, 1023 records (not a power of two).
 *  - ring/zc:      ring/split with the zero-copy producer: each record is
 *                  filled in place in a slot from vfioiommu_ring_reserve(),
 *                  then vfioiommu_ring_commit() publishes the batch.
 *  - ck_ring:      ck_ring typed for the 64-byte record, 1024 slots:
 *                  ck_ring_enqueue_spsc (copies in), dequeue_spsc (copies out).
 *  - ck_ring/zc:   the same with ck's own zero-copy producer,
 *                  ck_ring_enqueue_reserve_spsc + commit (fills in place):
 *                  the fair partner of ring/zc.
 *  - pipe:         write() of a batch, read() of up to a batch.
 *
 * Every variant fills each record once at the producer, with the same code;
 * the consumer checks each record's sequence number (the ring consumer reads
 * in place, ck_ring copies out, the pipe reads into a buffer).  Header
 * validation is always on in the ring: every re-read of prod (and of cons)
 * is checked.
 *
 * Which producer API is faster depends on the batch: a copy (push) of a
 * record the caller has just written has to wait until those writes leave
 * the store buffer, behind the ring stores of the record before, so at batch
 * 1 filling in place (zc) wins; at batch 16 and up that wait is paid once per
 * batch, and the copy's four 16-byte stores per record keep more records'
 * line transfers in flight than the fill's memset-and-fields does.
 *
 * A spinning thread that finds nothing to do backs off briefly before it
 * looks again (relax(), identical for the ring and ck_ring).
 *
 * Each cell is the best of ROUNDS short runs of RUN_SECONDS, interleaved
 * across the variants: a shared machine only ever slows a run down, and a
 * short run has the best chance of finding both CPUs free.  The median run
 * is printed too.  Total ~20 s.
 *
 * Usage: bench_ring [--check]  (--check: exit 1 when a target is missed:
 * ring/split >= 1.0x ck_ring at batch 16 and 256, ring/zc >= 20x the pipe at
 * batch 1)
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <vfioiommu.h>

#ifdef HAVE_CK
#include <ck_ring.h>
CK_RING_PROTOTYPE(vf, vfioiommu_fault)
#endif

#define RUN_SECONDS 0.05
#define ROUNDS 15
#define SLOTS 1024

enum variant { V_SPLIT, V_SPLIT_EV, V_COMPAT, V_ZC, V_CK, V_CKZC, V_PIPE, NV };
static const char *const vname[NV] = { "ring/split", "ring/split+ev", "ring/compat", "ring/zc", "ck_ring",
				       "ck_ring/zc", "pipe" };

/* Shared by both threads: read-mostly configuration, then the two one-shot flags. */
struct run {
	enum variant v;
	unsigned int batch;
	vfioiommu_ring *ring;
#ifdef HAVE_CK
	ck_ring_t *ck; /* its own allocation: ck pads the indices apart itself */
	struct vfioiommu_fault *ckbuf;
#endif
	int pfd[2];
	_Alignas(128) atomic_bool stop;          /* consumer -> producer, once */
	atomic_bool started;
	_Atomic uint64_t sent_final;             /* producer -> consumer, once; UINT64_MAX before */
	_Alignas(128) bool prod_bad;             /* producer only */
};

/* Consumer-only state, on the consumer's stack: nothing here is shared. */
struct cons {
	uint64_t got;
	bool bad, eof;
	size_t have; /* bytes of a partial record left from the last pipe read */
	struct vfioiommu_fault pbuf[256];
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void pin(int cpu)
{
	cpu_set_t set;
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	if (n < 2)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu % (int)n, &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ volatile("yield" ::: "memory");
#endif
}

/*
 * After an empty poll (consumer) or a full ring (producer): back off for
 * BACKOFF pauses before looking at the other side's index again, so a
 * spinning thread does not pull the shared line away on every iteration;
 * every 256th time let another thread have the CPU (a loaded machine).
 * The same for every spinning queue.
 */
#define BACKOFF 16
static void relax(unsigned int *spin)
{
	if (++*spin % 256 == 0) {
		sched_yield();
		return;
	}
	for (int i = 0; i < BACKOFF; i++)
		cpu_relax();
}

static void fill(struct vfioiommu_fault *f, uint64_t seq)
{
	memset(f, 0, sizeof(*f));
	f->kind = VFIOIOMMU_FAULT_PAGE_REQ;
	f->seq = (uint32_t)seq;
	f->addr = seq << 12;
	f->cookie = (uint32_t)seq | 1;
}

static void *producer(void *arg)
{
	struct run *r = arg;
	struct vfioiommu_fault recs[256];
	uint64_t seq = 0;
	unsigned int spin = 0;

	pin(0);
	while (!atomic_load_explicit(&r->started, memory_order_acquire))
		;
	while (!atomic_load_explicit(&r->stop, memory_order_relaxed)) {
		unsigned int k = r->batch;

		switch (r->v) {
		case V_ZC: {
			struct vfioiommu_fault *slot[256];
			int got = vfioiommu_ring_reserve(r->ring, slot, k);
			if (got <= 0) {
				if (got < 0) {
					r->prod_bad = true;
					goto out;
				}
				relax(&spin);
				continue;
			}
			for (int i = 0; i < got; i++)
				fill(slot[i], seq + (unsigned int)i);
			if (vfioiommu_ring_commit(r->ring, (unsigned int)got) != 0) {
				r->prod_bad = true;
				goto out;
			}
			seq += (unsigned int)got;
			break;
		}
		case V_SPLIT: case V_SPLIT_EV: case V_COMPAT: {
			int room = vfioiommu_ring_room(r->ring, k);
			if (room <= 0) {
				relax(&spin);
				continue;
			}
			if ((unsigned int)room < k)
				k = (unsigned int)room;
			for (unsigned int i = 0; i < k; i++)
				fill(&recs[i], seq + i);
			if (vfioiommu_ring_push(r->ring, recs, k) != (int)k) {
				r->prod_bad = true;
				goto out;
			}
			seq += k;
			break;
		}
#ifdef HAVE_CK
		case V_CK:
			for (unsigned int i = 0; i < k; i++) {
				fill(&recs[0], seq);
				while (!ck_ring_enqueue_spsc_vf(r->ck, r->ckbuf, &recs[0])) {
					relax(&spin);
					if (atomic_load_explicit(&r->stop, memory_order_relaxed))
						goto out;
				}
				seq++;
			}
			break;
		case V_CKZC:
			for (unsigned int i = 0; i < k; i++) {
				struct vfioiommu_fault *slot;
				while (!(slot = ck_ring_enqueue_reserve_spsc_vf(r->ck, r->ckbuf))) {
					relax(&spin);
					if (atomic_load_explicit(&r->stop, memory_order_relaxed))
						goto out;
				}
				fill(slot, seq);
				ck_ring_enqueue_commit_spsc(r->ck);
				seq++;
			}
			break;
#endif
		case V_PIPE:
			for (unsigned int i = 0; i < k; i++)
				fill(&recs[i], seq + i);
			if (write(r->pfd[1], recs, k * sizeof(recs[0])) != (ssize_t)(k * sizeof(recs[0]))) {
				r->prod_bad = true;
				goto out;
			}
			seq += k;
			break;
		default:
			goto out;
		}
	}
out:
	atomic_store_explicit(&r->sent_final, seq, memory_order_release);
	if (r->v == V_PIPE)
		close(r->pfd[1]);
	return NULL;
}

static inline void check(struct cons *c, const struct vfioiommu_fault *f)
{
	if (f->seq != (uint32_t)c->got || f->kind != VFIOIOMMU_FAULT_PAGE_REQ)
		c->bad = true;
	c->got++;
}

/* Take at most one batch; returns how many records it took. */
static unsigned int consume_step(const struct run *r, struct cons *c)
{
	unsigned int n = 0;

	switch (r->v) {
	case V_SPLIT: case V_SPLIT_EV: case V_COMPAT: case V_ZC: {
		const struct vfioiommu_fault *v[256];
		int got = vfioiommu_ring_peek_batch(r->ring, v, r->batch);
		if (got < 0) {
			c->bad = true;
			return 0;
		}
		n = (unsigned int)got;
		for (unsigned int i = 0; i < n; i++)
			check(c, v[i]);
		if (n)
			vfioiommu_ring_advance(r->ring, n);
		break;
	}
#ifdef HAVE_CK
	case V_CK: case V_CKZC: {
		struct vfioiommu_fault f;
		while (n < r->batch && ck_ring_dequeue_spsc_vf(r->ck, r->ckbuf, &f)) {
			check(c, &f);
			n++;
		}
		break;
	}
#endif
	case V_PIPE: {
		/* blocking read of up to one batch, like a read() of the fault fd per wakeup */
		ssize_t got = read(r->pfd[0], (char *)c->pbuf + c->have, r->batch * 64 - c->have);
		if (got <= 0) {
			if (got < 0 && errno != EINTR)
				c->bad = true;
			c->eof = got == 0;
			return 0;
		}
		c->have += (size_t)got;
		n = (unsigned int)(c->have / 64);
		for (unsigned int i = 0; i < n; i++)
			check(c, &c->pbuf[i]);
		c->have -= n * 64;
		if (c->have)
			memmove(c->pbuf, &c->pbuf[n], c->have);
		break;
	}
	default:
		c->bad = true;
	}
	return n;
}

/* One timed run: events per second; 0 when the variant is not built; -1 on failure. */
static double run_once(enum variant v, unsigned int batch, vfioiommu_ctx *ctx)
{
	static unsigned char mem[VFIOIOMMU_RING_SPLIT_HDR + SLOTS * 64] __attribute__((aligned(4096)));
	static unsigned char region[65536] __attribute__((aligned(4096)));
	struct run *r = aligned_alloc(128, (sizeof(struct run) + 127) / 128 * 128);
	static struct cons c;
	unsigned int spin = 0;
	pthread_t t;
	double t0, t1, rate;

	if (!r)
		return -1;
	memset(r, 0, sizeof(*r));
	memset(&c, 0, sizeof(c));
	r->v = v;
	r->batch = batch;
	r->pfd[0] = r->pfd[1] = -1;
	atomic_store(&r->sent_final, UINT64_MAX);
	switch (v) {
	case V_SPLIT: case V_ZC:
		if (vfioiommu_ring_attach(mem, sizeof(mem), VFIOIOMMU_RING_SPLIT | VFIOIOMMU_RING_INIT, &r->ring))
			goto fail;
		break;
	case V_SPLIT_EV:
		if (vfioiommu_ring_create(ctx, SLOTS, &r->ring))
			goto fail;
		break;
	case V_COMPAT:
		if (vfioiommu_ring_attach(region, sizeof(region), VFIOIOMMU_RING_INIT, &r->ring))
			goto fail;
		break;
	case V_CK: case V_CKZC:
#ifdef HAVE_CK
		r->ckbuf = aligned_alloc(64, SLOTS * sizeof(struct vfioiommu_fault));
		r->ck = aligned_alloc(128, (sizeof(ck_ring_t) + 127) / 128 * 128);
		if (!r->ckbuf || !r->ck)
			goto fail;
		ck_ring_init(r->ck, SLOTS);
		break;
#else
		free(r);
		return 0;
#endif
	case V_PIPE:
		if (pipe(r->pfd))
			goto fail;
		fcntl(r->pfd[1], F_SETPIPE_SZ, SLOTS * 64);
		break;
	default:
		goto fail;
	}
	if (pthread_create(&t, NULL, producer, r))
		goto fail;
	pin(1);
	t0 = now();
	atomic_store_explicit(&r->started, true, memory_order_release);
	for (;;) {
		uint64_t fin = atomic_load_explicit(&r->sent_final, memory_order_acquire);

		if (c.bad || r->prod_bad || (fin != UINT64_MAX && c.got >= fin) || c.eof)
			break;
		if ((++spin & 63) == 0 && !atomic_load_explicit(&r->stop, memory_order_relaxed) &&
		    now() - t0 >= RUN_SECONDS)
			atomic_store_explicit(&r->stop, true, memory_order_relaxed);
		if (!consume_step(r, &c) && v != V_PIPE)
			relax(&spin);
	}
	t1 = now();
	atomic_store_explicit(&r->stop, true, memory_order_relaxed);
	pthread_join(t, NULL);
	rate = c.bad || r->prod_bad ? -1 : (double)c.got / (t1 - t0);
	vfioiommu_ring_destroy(r->ring);
#ifdef HAVE_CK
	free(r->ckbuf);
	free(r->ck);
#endif
	if (r->pfd[0] >= 0)
		close(r->pfd[0]);
	free(r);
	return rate;
fail:
#ifdef HAVE_CK
	free(r->ckbuf);
	free(r->ck);
#endif
	free(r);
	return -1;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	static const unsigned int batches[] = { 1, 16, 256 };
	struct vfioiommu_ctx_opts o = { .size = sizeof(o) };
	double best[NV][3] = { { 0 } };
	static double rates[NV][3][ROUNDS];
	vfioiommu_ctx *ctx = NULL;
	vfioiommu_ring *show = NULL;
	static unsigned char demo[65536] __attribute__((aligned(4096)));
	int check = argc > 1 && strcmp(argv[1], "--check") == 0;
	int miss = 0;

	if (vfioiommu_ctx_new(&o, &ctx)) {
		fprintf(stderr, "bench_ring: no context\n");
		return 1;
	}
	printf("fault ring benchmark: 64-byte records, producer and consumer threads (pinned to CPUs 0 and 1 of %ld)\n",
	       sysconf(_SC_NPROCESSORS_ONLN));
	if (vfioiommu_ring_create(ctx, SLOTS, &show) == 0) {
		printf("  ring/split layout:  %s\n", vfioiommu_ring_layout(show));
		vfioiommu_ring_destroy(show);
	}
	if (vfioiommu_ring_attach(demo, sizeof(demo), VFIOIOMMU_RING_INIT, &show) == 0) {
		printf("  ring/compat layout: %s\n", vfioiommu_ring_layout(show));
		vfioiommu_ring_destroy(show);
	}
	printf("  ring header validation: on (always; every re-read of prod is checked)\n");
#ifndef HAVE_CK
	printf("  ck_ring: not built (Concurrency Kit not found)\n");
#endif
	printf("  best of %d runs of %.2f s per cell (and the median run: the two vCPUs' placement on the host\n"
	       "  changes the cost of moving a cache line between them several-fold from one moment to the next)\n\n",
	       ROUNDS, RUN_SECONDS);

	/* rounds interleave the variants so a burst of load elsewhere hits them all alike */
	for (int round = 0; round < ROUNDS; round++)
		for (int b = 0; b < 3; b++)
			for (int v = 0; v < NV; v++) {
				double rate = run_once((enum variant)v, batches[b], ctx);
				if (rate < 0) {
					fprintf(stderr, "bench_ring: %s batch %u failed (bad record or setup)\n",
						vname[v], batches[b]);
					return 1;
				}
				rates[v][b][round] = rate;
				if (rate > best[v][b])
					best[v][b] = rate;
			}

	printf("%-14s %6s %12s %14s %16s\n", "queue", "batch", "ns/event", "Mevents/s", "median ns/event");
	for (int b = 0; b < 3; b++)
		for (int v = 0; v < NV; v++)
			if (best[v][b] > 0) {
				qsort(rates[v][b], ROUNDS, sizeof(rates[v][b][0]), cmp_double);
				printf("%-14s %6u %12.2f %14.2f %16.2f\n", vname[v], batches[b], 1e9 / best[v][b],
				       best[v][b] / 1e6, 1e9 / rates[v][b][ROUNDS / 2]);
			}
	printf("\nratios (events/s):\n");
	for (int b = 0; b < 3; b++) {
		double ck = best[V_CK][b], ckzc = best[V_CKZC][b], pp = best[V_PIPE][b];
		printf("  batch %3u: split/ck %5.2fx  split+ev/ck %5.2fx  compat/ck %5.2fx  zc/ck_zc %5.2fx  "
		       "split/pipe %6.1fx  zc/pipe %6.1fx\n",
		       batches[b], ck > 0 ? best[V_SPLIT][b] / ck : 0, ck > 0 ? best[V_SPLIT_EV][b] / ck : 0,
		       ck > 0 ? best[V_COMPAT][b] / ck : 0, ckzc > 0 ? best[V_ZC][b] / ckzc : 0,
		       best[V_SPLIT][b] / pp, best[V_ZC][b] / pp);
		if (b > 0 && ck > 0 && best[V_SPLIT][b] < ck) {
			printf("    target missed: ring/split below ck_ring at batch %u\n", batches[b]);
			miss++;
		}
		/* one record at a time is what reserve/commit is for */
		if (b == 0 && best[V_ZC][b] < 20 * pp) {
			printf("    target missed: ring/zc below 20x the pipe at batch 1\n");
			miss++;
		}
	}
	printf("targets: ring/split >= 1.0x ck_ring at batch 16 and 256, ring/zc >= 20x pipe at batch 1: %s\n",
	       miss ? "MISSED" : "met");
	vfioiommu_ctx_destroy(ctx);
	return check && miss ? 1 : 0;
}
