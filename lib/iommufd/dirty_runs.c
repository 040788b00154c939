/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * Dirty bitmaps into runs of dirty pages (objs.h, vi_runs_feed()).  Reports
 * are mostly zero, so the loop looks at 512-byte blocks with 16-byte vector
 * ORs and skips zero blocks in a tight loop; a word of ones extends the open run by
 * 64 pages, and a mixed word is cut into runs with ctz on the word and on its
 * complement
 * (bench/bench_dirty_runs.c measures it against memcpy of the bitmap).
 */
#include <stdbool.h>
#include <stdint.h>

#include <vfioiommu/iova.h>

#include "objs.h"

static inline int close_run(struct vi_runs *r, uint64_t start, uint64_t len)
{
	int rc = 0;

	if (r->len && r->start + r->len == start) {
		r->len += len;
		return 0;
	}
	if (r->len)
		rc = r->emit(r->arg, r->start, r->len);
	r->start = start;
	r->len = len;
	return rc;
}

/* The runs of one non-zero word at page @base. */
static inline __attribute__((always_inline)) int word_runs(struct vi_runs *r, uint64_t bits, uint64_t base)
{
	int rc;

	if (bits == ~0ull)
		return close_run(r, base, 64);
	while (bits) {
		unsigned int s = (unsigned int)__builtin_ctzll(bits);
		/* bits >> s has zeros on top, so its complement has a set bit: ctz is defined */
		unsigned int len = (unsigned int)__builtin_ctzll(~(bits >> s));

		if ((rc = close_run(r, base + s, len)) != 0)
			return rc;
		bits = s + len >= 64 ? 0 : bits & (~0ull << (s + len));
	}
	return 0;
}

/* 16-byte vectors (SSE2 on x86-64, NEON on arm64), loaded unaligned */
typedef uint64_t vi_v2 __attribute__((vector_size(16), aligned(8), may_alias));
#define BLOCK 64u /* words looked at together: 512 bytes, 4096 pages */

static inline bool zero_block(const uint64_t *p)
{
	const vi_v2 *v = (const vi_v2 *)p;
	vi_v2 a = v[0], b = v[1], c = v[2], d = v[3];

#define VI_OR4(i) (a |= v[i], b |= v[(i) + 1], c |= v[(i) + 2], d |= v[(i) + 3])
	VI_OR4(4), VI_OR4(8), VI_OR4(12), VI_OR4(16), VI_OR4(20), VI_OR4(24), VI_OR4(28);
#undef VI_OR4
	a = (a | b) | (c | d);
	return !(a[0] | a[1]);
}

int vi_runs_feed(struct vi_runs *r, const uint64_t *words, uint64_t first, uint64_t n)
{
	uint64_t nw = n / 64, tail = n % 64, w = 0;
	int rc;

	/* zero blocks are skipped in a tight loop; the block after them goes word by word */
	while (w < nw) {
		uint64_t end;

		while (w + BLOCK <= nw && zero_block(words + w))
			w += BLOCK;
		end = w + BLOCK <= nw ? w + BLOCK : nw;
		for (; w < end; w++)
			if (words[w] && (rc = word_runs(r, words[w], first + w * 64)) != 0)
				return rc;
	}
	if (tail && (words[nw] & ((1ull << tail) - 1)))
		return word_runs(r, words[nw] & ((1ull << tail) - 1), first + nw * 64);
	return 0;
}

int vi_runs_end(struct vi_runs *r)
{
	uint64_t len = r->len;

	r->len = 0;
	return len ? r->emit(r->arg, r->start, len) : 0;
}
