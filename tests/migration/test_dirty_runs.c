/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * The dirty-run walk (lib/iommufd/dirty_runs.c) through each instruction set
 * it has (vi_runs_feed_isa()), against runs found page by page: blocks of
 * zeros, of ones and mixed; runs across word and 512-byte block edges; a
 * bitmap whose end is not a whole block or word; the first and last page;
 * feeds split anywhere, runs joining across them; more changes than the walk
 * gathers at once; a callback that stops the walk at each place it is called.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "migration/dirty_runs.h"

#define MAXW 1100u /* words: 17 blocks and a bit */
#define MAXRUNS (MAXW * 32 + 2)

static unsigned char page[MAXW * 64];
static uint64_t want_first[MAXRUNS], want_n[MAXRUNS];
static uint64_t got_first[MAXRUNS], got_n[MAXRUNS];

struct got {
	unsigned int k, stop_at; /* stop_at: the callback returns -EIO on that run (0: never) */
};

static int take(void *arg, uint64_t first, uint64_t n)
{
	struct got *g = arg;

	assert_true(g->k < MAXRUNS);
	got_first[g->k] = first;
	got_n[g->k] = n;
	g->k++;
	return g->stop_at && g->k == g->stop_at ? -EIO : 0;
}

/* The batch consumer (vi_runs.batch): each pair through take(), stopping where it stops. */
static unsigned int max_batch;

static int take_batch(void *arg, const uint64_t *pairs, unsigned int npairs)
{
	int rc = 0;

	if (npairs > max_batch)
		max_batch = npairs;
	for (unsigned int i = 0; i < npairs && rc == 0; i++) {
		assert_true(pairs[2 * i + 1] > pairs[2 * i]);
		rc = take(arg, pairs[2 * i], pairs[2 * i + 1] - pairs[2 * i]);
	}
	return rc;
}

/* A walk handing runs one at a time (@batched false) or in batches to take(). */
static struct vi_runs walk_to(struct got *g, bool batched)
{
	struct vi_runs r = { .arg = g };

	if (batched)
		r.batch = take_batch;
	else
		r.emit = take;
	return r;
}

/* runs of page[0..n) page by page */
static unsigned int ref_runs(uint64_t n)
{
	unsigned int k = 0;

	for (uint64_t i = 0; i < n; i++) {
		if (!page[i])
			continue;
		want_first[k] = i;
		while (i < n && page[i])
			i++;
		want_n[k] = i - want_first[k];
		k++;
	}
	return k;
}

/* page[first..first+n) packed into words from bit 0, bits past n set (the walk ignores them) */
static void pack(uint64_t *w, uint64_t first, uint64_t n)
{
	memset(w, 0xff, (n + 63) / 64 * 8);
	for (uint64_t i = 0; i < n; i++)
		if (!page[first + i])
			w[i / 64] &= ~(1ull << (i % 64));
}

static uint64_t rng = 88172645463325252ull;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* fill page[0..n) with pieces of the kinds a walk treats differently */
static void make_pattern(uint64_t n)
{
	for (uint64_t i = 0; i < n;) {
		uint64_t len = 1 + rnd() % (rnd() % 2 ? 64 : 8192);
		unsigned int kind = (unsigned int)(rnd() % 6);

		for (uint64_t j = i; j < i + len && j < n; j++) {
			switch (kind) {
			case 0: page[j] = 0; break;                           /* clean (zero blocks) */
			case 1: page[j] = 1; break;                           /* dirty (all-ones blocks) */
			case 2: page[j] = rnd() % 100 == 0; break;            /* sparse */
			case 3: page[j] = rnd() % 2; break;                   /* dense */
			case 4: page[j] = (j & 1) != 0; break;                /* every other page: 64 changes a word */
			default: page[j] = (j / (1 + len % 97)) % 2; break;   /* short runs */
			}
		}
		i += len;
	}
}

static int isa_ok(int isa)
{
	uint64_t z = 0;
	struct got g = { 0 };
	struct vi_runs r = { .emit = take, .arg = &g };
	int rc = vi_runs_feed_isa(&r, &z, 0, 1, isa);

	assert_true(rc == 0 || (isa != VI_RUNS_ISA_BASE && rc == -EOPNOTSUPP));
	if (rc)
		print_message("walk %d: not on this CPU or build, not tested here\n", isa);
	return rc == 0;
}

/* Feed page[0..n) in pieces cut at @cuts (sorted, < n), through @isa (-1: vi_runs_feed()), and compare. */
static void check_as(uint64_t n, const uint64_t *cuts, unsigned int ncuts, int isa, bool batched)
{
	static uint64_t w[MAXW + 1];
	struct got g = { 0 };
	struct vi_runs r = walk_to(&g, batched);
	unsigned int want = ref_runs(n);
	uint64_t at = 0;

	for (unsigned int i = 0; i <= ncuts; i++) {
		uint64_t end = i < ncuts ? cuts[i] : n;

		pack(w, at, end - at);
		if (isa < 0)
			assert_int_equal(vi_runs_feed(&r, w, at, end - at), 0);
		else
			assert_int_equal(vi_runs_feed_isa(&r, w, at, end - at, isa), 0);
		at = end;
	}
	assert_int_equal(vi_runs_end(&r), 0);
	assert_int_equal(g.k, want);
	for (unsigned int i = 0; i < want; i++) {
		if (got_first[i] != want_first[i] || got_n[i] != want_n[i])
			fail_msg("isa %d n %llu: run %u is %llu+%llu, want %llu+%llu", isa, (unsigned long long)n, i,
				 (unsigned long long)got_first[i], (unsigned long long)got_n[i],
				 (unsigned long long)want_first[i], (unsigned long long)want_n[i]);
	}
}

/* Both ways of handing the runs out must give the same runs. */
static void check(uint64_t n, const uint64_t *cuts, unsigned int ncuts, int isa)
{
	check_as(n, cuts, ncuts, isa, false);
	check_as(n, cuts, ncuts, isa, true);
}

static const int isas[] = { -1, VI_RUNS_ISA_BASE, VI_RUNS_ISA_AVX2 };

static void runs_random_patterns(void **state)
{
	(void)state;
	for (unsigned int round = 0; round < 300; round++) {
		uint64_t n = 1 + rnd() % (MAXW * 64), cuts[3];
		unsigned int ncuts = (unsigned int)(rnd() % 4);

		make_pattern(n);
		for (unsigned int i = 0; i < ncuts; i++)
			cuts[i] = 1 + rnd() % n;
		/* sorted, strictly inside (0, n) and distinct, or dropped */
		for (unsigned int i = 0; i < ncuts; i++)
			for (unsigned int j = i + 1; j < ncuts; j++)
				if (cuts[j] < cuts[i]) {
					uint64_t x = cuts[i];

					cuts[i] = cuts[j];
					cuts[j] = x;
				}
		while (ncuts && cuts[ncuts - 1] >= n)
			ncuts--;
		for (unsigned int i = 1; i < ncuts; i++)
			if (cuts[i] == cuts[i - 1])
				ncuts = i;
		for (unsigned int i = 0; i < sizeof(isas) / sizeof(isas[0]); i++)
			if (isas[i] < 0 || isa_ok(isas[i]))
				check(n, cuts, ncuts, isas[i]);
	}
}

static void runs_edges(void **state)
{
	static const uint64_t sizes[] = { 1, 63, 64, 65, 127, 128, 64 * 64 - 1, 64 * 64, 64 * 64 + 1, 64 * 65,
					  64 * 128, 64 * 128 + 64 * 3 + 17, MAXW * 64 };
	uint64_t cut;

	(void)state;
	for (unsigned int s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		uint64_t n = sizes[s];

		for (unsigned int i = 0; i < sizeof(isas) / sizeof(isas[0]); i++) {
			if (isas[i] >= 0 && !isa_ok(isas[i]))
				continue;
			/* all dirty: one run, however many all-ones blocks */
			memset(page, 1, n);
			check(n, NULL, 0, isas[i]);
			/* first and last page only */
			memset(page, 0, n);
			page[0] = page[n - 1] = 1;
			check(n, NULL, 0, isas[i]);
			/* runs across word and block edges: pages 63..64, 4095..4096, 4096*2-1..4096*2+70 */
			memset(page, 0, n);
			for (uint64_t e = 64; e < n; e *= 64)
				for (uint64_t j = e - 1; j < e + 70 && j < n; j++)
					page[j] = 1;
			if (n > 8192)
				page[8191] = page[8192] = 1;
			check(n, NULL, 0, isas[i]);
			/* all dirty but a hole in the middle of a block, fed in two pieces cut in a run */
			memset(page, 1, n);
			page[n / 2] = 0;
			cut = n / 3;
			check(n, n > 1 ? &cut : NULL, n > 1, isas[i]);
			/* all clean */
			memset(page, 0, n);
			check(n, NULL, 0, isas[i]);
		}
	}
}

/* A callback's error stops the walk and is returned, from each place the walk calls back. */
static void runs_stop(void **state)
{
	static uint64_t w[MAXW];

	(void)state;
	for (unsigned int i = 0; i < sizeof(isas) / sizeof(isas[0]); i++) {
		int isa = isas[i] < 0 ? VI_RUNS_ISA_BASE : isas[i];

		if (!isa_ok(isa))
			continue;
		/* every other page over many words: thousands of changes, runs handed out in batches */
		for (unsigned int stop = 1; stop < 20000; stop = stop * 3 + 1) {
			for (int batched = 0; batched < 2; batched++) {
				struct got g = { .stop_at = stop };
				struct vi_runs r = walk_to(&g, batched);

				memset(w, 0x55, sizeof(w));
				assert_int_equal(vi_runs_feed_isa(&r, w, 0, MAXW * 64, isa), -EIO);
				assert_int_equal(g.k, stop);
				assert_int_equal(got_first[stop - 1], 2 * (stop - 1));
			}
		}
		/* the batches are batches: many runs at once, not one call per run */
		assert_true(max_batch > 64);
		/* the open run of the last feed, complete when the next one does not follow it */
		{
			struct got g = { .stop_at = 1 };
			struct vi_runs r = { .emit = take, .arg = &g };

			w[0] = 1ull << 63;
			assert_int_equal(vi_runs_feed_isa(&r, w, 0, 64, isa), 0);
			assert_int_equal(g.k, 0);
			w[0] = 1;
			assert_int_equal(vi_runs_feed_isa(&r, w, 1000, 64, isa), -EIO);
			assert_int_equal(g.k, 1);
			assert_int_equal(got_first[0], 63);
			assert_int_equal(got_n[0], 1);
			/* and at the end: a run reaching the end of the feed stays open */
			g.k = 0;
			w[0] = 3ull << 62;
			assert_int_equal(vi_runs_feed_isa(&r, w, 0, 64, isa), 0);
			assert_int_equal(g.k, 0);
			assert_int_equal(vi_runs_end(&r), -EIO);
			assert_int_equal(g.k, 1);
			assert_int_equal(vi_runs_end(&r), 0);
		}
	}
	{
		uint64_t z = 0;
		struct got g = { 0 };
		struct vi_runs r = { .emit = take, .arg = &g };

		assert_int_equal(vi_runs_feed_isa(&r, &z, 0, 64, 99), -EOPNOTSUPP);
	}
}

/* the run extraction alone: pieces join, all-ones words, tails, a stop */
struct rr { uint64_t first[64], n[64]; unsigned int k; };

static int rr_emit(void *arg, uint64_t first, uint64_t n)
{
	struct rr *r = arg;

	if (r->k < 64) {
		r->first[r->k] = first;
		r->n[r->k] = n;
	}
	r->k++;
	return 0;
}

static void runs_extraction(void **state)
{
	struct rr out = { .k = 0 };
	struct vi_runs r = { .emit = rr_emit, .arg = &out };
	uint64_t w[3] = { 0x8000000000000000ull, ~0ull, 0x0000000000000f0full };

	(void)state;
	/* bits 63..(64+63) and 64*2+0..3: one run of 69 pages; then 136..139 */
	assert_int_equal(vi_runs_feed(&r, w, 0, 3 * 64), 0);
	assert_int_equal(vi_runs_end(&r), 0);
	assert_int_equal(out.k, 2);
	assert_int_equal(out.first[0], 63);
	assert_int_equal(out.n[0], 1 + 64 + 4);
	assert_int_equal(out.first[1], 136);
	assert_int_equal(out.n[1], 4);
	/* a run that crosses two feeds, and a tail past n ignored */
	out.k = 0;
	w[0] = 1ull << 63;
	assert_int_equal(vi_runs_feed(&r, w, 0, 64), 0);
	w[0] = 0x3 | (1ull << 40);
	assert_int_equal(vi_runs_feed(&r, w, 64, 10), 0);
	assert_int_equal(vi_runs_end(&r), 0);
	assert_int_equal(out.k, 1);
	assert_int_equal(out.first[0], 63);
	assert_int_equal(out.n[0], 3);
	/* alternating bits: every one a run */
	out.k = 0;
	w[0] = 0x5555555555555555ull;
	assert_int_equal(vi_runs_feed(&r, w, 0, 64), 0);
	assert_int_equal(vi_runs_end(&r), 0);
	assert_int_equal(out.k, 32);
	assert_int_equal(out.first[31], 62);
	/* top bit only, then all-ones then nothing */
	out.k = 0;
	w[0] = ~0ull;
	w[1] = 0;
	assert_int_equal(vi_runs_feed(&r, w, 0, 128), 0);
	assert_int_equal(vi_runs_end(&r), 0);
	assert_int_equal(out.k, 1);
	assert_int_equal(out.n[0], 64);
}

/* blocks of zeros, ones and mixed words against a bit-by-bit reference */
struct chk { const uint64_t *w; uint64_t next, n; unsigned int runs; };

static int chk_emit(void *arg, uint64_t first, uint64_t n)
{
	struct chk *c = arg;

	/* the pages since the last run are clean, the run's are dirty, and it ends before a clean page */
	for (uint64_t i = c->next; i < first; i++)
		assert_false(c->w[i / 64] >> (i % 64) & 1);
	for (uint64_t i = first; i < first + n; i++)
		assert_true(c->w[i / 64] >> (i % 64) & 1);
	assert_true(first + n == c->n || !(c->w[(first + n) / 64] >> ((first + n) % 64) & 1));
	c->next = first + n;
	c->runs++;
	return 0;
}

static void runs_blocks_reference(void **state)
{
	enum { NW = 1024 };
	static uint64_t w[NW];
	uint64_t x = 12345;

	(void)state;
	for (unsigned int i = 0; i < NW; i++) {
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		/* blocks of 8 words: zero, ones, mixed, sparse */
		switch ((i / 8) % 4) {
		case 0: w[i] = 0; break;
		case 1: w[i] = ~0ull; break;
		case 2: w[i] = x; break;
		default: w[i] = (x >> 60) == 0 ? 1ull << (x % 64) : 0; break;
		}
		/* and whole zero blocks (256 bytes and more) */
		if ((i >= 512 && i < 640) || (i >= 700 && i < 733))
			w[i] = 0;
	}
	for (uint64_t n = NW * 64; n > NW * 64 - 130; n -= 43) {
		struct chk c = { .w = w, .n = n };
		struct vi_runs r = { .emit = chk_emit, .arg = &c };

		assert_int_equal(vi_runs_feed(&r, w, 0, n), 0);
		assert_int_equal(vi_runs_end(&r), 0);
		for (uint64_t i = c.next; i < n; i++)
			assert_false(w[i / 64] >> (i % 64) & 1);
		assert_true(c.runs > 100);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(runs_random_patterns),
		cmocka_unit_test(runs_edges),
		cmocka_unit_test(runs_stop),
		cmocka_unit_test(runs_extraction),
		cmocka_unit_test(runs_blocks_reference),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
