/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * Dirty bitmaps into runs of dirty pages (objs.h, vi_runs_feed()).  The walk
 * (dirty_runs_walk.h) finds where the bitmap changes between clean and dirty;
 * blocks with no change (all clean, or all dirty inside a run) are skipped
 * with vector compares, 32-byte ones where the CPU has AVX2 (chosen at run
 * time: the library is built for baseline x86-64), 16-byte ones elsewhere.
 * bench/bench_dirty_runs.c times it beside memcpy of the same bitmap.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <vfioiommu/iova.h>

#include "dirty_runs.h"
#include "internal.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define VI_RUNS_AVX2 1
#endif

#define POS_CAP 512u /* change positions gathered before the runs are handed out (4 KiB of stack) */
#define POS_SLACK 68u /* one word adds at most 64, and WALK_CHANGES() writes 4 */
#define WALK_BLOCK 64u /* words a skip test covers: 512 bytes, 32768 pages */

/* One run to whichever consumer the caller set. */
static int emit_one(struct vi_runs *r, uint64_t first, uint64_t n)
{
	uint64_t pair[2] = { first, first + n };

	return r->batch ? r->batch(r->arg, pair, 1) : r->emit(r->arg, first, n);
}

/*
 * The open run from the last feed: it goes on if it ends where this feed
 * starts (its start is the first position, the page before is dirty);
 * otherwise it is complete.
 */
static int runs_begin(struct vi_runs *r, uint64_t first, uint64_t *pos, unsigned int *k, uint64_t *c)
{
	uint64_t len = r->len;

	r->len = 0;
	if (!len)
		return 0;
	if (r->start + len == first) {
		pos[0] = r->start;
		*k = 1;
		*c = 1;
		return 0;
	}
	return emit_one(r, r->start, len);
}

/* Hand out the complete runs; an open one (odd count) stays as the first position. */
static int runs_drain(struct vi_runs *r, uint64_t *pos, unsigned int *k)
{
	vi_run_emit emit = r->emit;
	void *arg = r->arg;
	unsigned int i, n = *k;
	int rc;

	if (r->batch) {
		i = n & ~1u;
		if (i && (rc = r->batch(arg, pos, i / 2)) != 0)
			return rc;
	} else {
		for (i = 0; i + 1 < n; i += 2)
			if ((rc = emit(arg, pos[i], pos[i + 1] - pos[i])) != 0)
				return rc;
	}
	pos[0] = pos[i];
	*k = n - i;
	return 0;
}

/* End of a feed at page @end: a run still open is kept for the next feed or vi_runs_end(). */
static int runs_finish(struct vi_runs *r, uint64_t *pos, unsigned int k, uint64_t end)
{
	int rc = runs_drain(r, pos, &k);

	if (rc == 0 && k) {
		r->start = pos[0];
		r->len = end - pos[0];
	}
	return rc;
}

/* Baseline: 16-byte vectors (SSE2 on x86-64, NEON on arm64), loaded unaligned. */
typedef uint64_t vi_v2 __attribute__((vector_size(16), aligned(8), may_alias));

static inline __attribute__((always_inline)) bool same_block_v2(const uint64_t *p, uint64_t f)
{
	const vi_v2 *v = (const vi_v2 *)p;
	vi_v2 fv = { f, f }, a = v[0] ^ fv, b = v[1] ^ fv, c = v[2] ^ fv, d = v[3] ^ fv;

	for (unsigned int i = 4; i < WALK_BLOCK / 2; i += 4) {
		a |= v[i] ^ fv;
		b |= v[i + 1] ^ fv;
		c |= v[i + 2] ^ fv;
		d |= v[i + 3] ^ fv;
	}
	a = (a | b) | (c | d);
	return !(a[0] | a[1]);
}

static inline __attribute__((always_inline)) uint64_t block_changes_v2(const uint64_t *p, uint64_t *tv)
{
	uint64_t m = 0;

	for (unsigned int j = 0; j < WALK_BLOCK; j++) {
		tv[j] = p[j] ^ (p[j] << 1 | p[(int)j - 1] >> 63);
		m |= (uint64_t)(tv[j] != 0) << j;
	}
	return m;
}

#define WALK_NAME feed_base
#define WALK_CHANGES changes_base
#define WALK_WORDS words_base
#define WALK_ATTR
/* any value below 64 when t is 0 (then the caller ignores it) */
#define WALK_CTZ(t) ((uint64_t)(unsigned int)__builtin_ctzll((t) | (1ull << 63)))
#define WALK_FILL_T uint64_t
#define WALK_FILL(c) (0 - (c))
#define WALK_SAME_BLOCK(p, f) same_block_v2(p, f)
#define WALK_BLOCK_CHANGES(p, tv) block_changes_v2(p, tv)
#include "dirty_runs_walk.h"
#undef WALK_NAME
#undef WALK_CHANGES
#undef WALK_WORDS
#undef WALK_ATTR
#undef WALK_CTZ
#undef WALK_FILL_T
#undef WALK_FILL
#undef WALK_SAME_BLOCK
#undef WALK_BLOCK_CHANGES

#ifdef VI_RUNS_AVX2
#define VI_AVX2_ATTR __attribute__((target("avx2,bmi,popcnt")))

static inline __attribute__((always_inline)) VI_AVX2_ATTR bool same_block_avx2(const uint64_t *p, __m256i f)
{
	const __m256i_u *v = (const __m256i_u *)p;
	__m256i a = _mm256_xor_si256(_mm256_loadu_si256(v), f), b = _mm256_xor_si256(_mm256_loadu_si256(v + 1), f);
	__m256i c = _mm256_xor_si256(_mm256_loadu_si256(v + 2), f), d = _mm256_xor_si256(_mm256_loadu_si256(v + 3), f);

	for (unsigned int i = 4; i < WALK_BLOCK / 4; i += 4) {
		a = _mm256_or_si256(a, _mm256_xor_si256(_mm256_loadu_si256(v + i), f));
		b = _mm256_or_si256(b, _mm256_xor_si256(_mm256_loadu_si256(v + i + 1), f));
		c = _mm256_or_si256(c, _mm256_xor_si256(_mm256_loadu_si256(v + i + 2), f));
		d = _mm256_or_si256(d, _mm256_xor_si256(_mm256_loadu_si256(v + i + 3), f));
	}
	a = _mm256_or_si256(_mm256_or_si256(a, b), _mm256_or_si256(c, d));
	return _mm256_testz_si256(a, a);
}

static inline __attribute__((always_inline)) VI_AVX2_ATTR uint64_t block_changes_avx2(const uint64_t *p, uint64_t *tv)
{
	__m256i zero = _mm256_setzero_si256();
	uint64_t m = 0;

	for (unsigned int j = 0; j < WALK_BLOCK; j += 4) {
		/* the words before, as 4 lanes: their top bits are the carries */
		__m256i x = _mm256_loadu_si256((const __m256i_u *)(p + j));
		__m256i xp = _mm256_loadu_si256((const __m256i_u *)(p + (int)j - 1));
		__m256i t = _mm256_xor_si256(x, _mm256_or_si256(_mm256_slli_epi64(x, 1), _mm256_srli_epi64(xp, 63)));

		_mm256_storeu_si256((__m256i_u *)(tv + j), t);
		m |= (uint64_t)(unsigned int)_mm256_movemask_pd(_mm256_castsi256_pd(_mm256_cmpeq_epi64(t, zero))) << j;
	}
	return ~m;
}

#define WALK_NAME feed_avx2
#define WALK_CHANGES changes_avx2
#define WALK_WORDS words_avx2
#define WALK_ATTR VI_AVX2_ATTR
/* BMI1's tzcnt: 64 for 0 */
#define WALK_CTZ(t) ((uint64_t)_tzcnt_u64(t))
#define WALK_FILL_T __m256i
#define WALK_FILL(c) _mm256_set1_epi64x((long long)(0 - (c)))
#define WALK_SAME_BLOCK(p, f) same_block_avx2(p, f)
#define WALK_BLOCK_CHANGES(p, tv) block_changes_avx2(p, tv)
#include "dirty_runs_walk.h"

static bool have_avx2(void)
{
	__builtin_cpu_init();
	return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("bmi") && __builtin_cpu_supports("popcnt");
}
#endif

#ifdef VI_RUNS_AVX2
/*
 * 0 not asked yet, 1 no, 2 yes.  Relaxed load and store: the value orders
 * nothing else, pairs with no other store, and a race only asks the CPU twice.
 */
static _Atomic int avx2_state;

static bool use_avx2(void)
{
	int s = atomic_load_explicit(&avx2_state, memory_order_relaxed);

	if (__builtin_expect(!s, 0)) {
		s = have_avx2() ? 2 : 1;
		atomic_store_explicit(&avx2_state, s, memory_order_relaxed);
	}
	return s == 2;
}
#endif

int vi_runs_feed(struct vi_runs *r, const uint64_t *words, uint64_t first, uint64_t n)
{
#ifdef VI_RUNS_AVX2
	if (use_avx2())
		return feed_avx2(r, words, first, n);
#endif
	return feed_base(r, words, first, n);
}

int vi_runs_feed_isa(struct vi_runs *r, const uint64_t *words, uint64_t first, uint64_t n, int isa)
{
	switch (isa) {
	case VI_RUNS_ISA_BASE:
		return feed_base(r, words, first, n);
#ifdef VI_RUNS_AVX2
	case VI_RUNS_ISA_AVX2:
		return use_avx2() ? feed_avx2(r, words, first, n) : -EOPNOTSUPP;
#endif
	default:
		return -EOPNOTSUPP;
	}
}

int vi_runs_end(struct vi_runs *r)
{
	uint64_t len = r->len;

	r->len = 0;
	return len ? emit_one(r, r->start, len) : 0;
}
