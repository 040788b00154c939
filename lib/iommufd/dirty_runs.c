/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * Dirty bitmaps into runs of dirty pages (objs.h, vi_runs_feed()).  Reports
 * are mostly zero or mostly one, so the loop looks at 64-byte blocks: a
 * zero block is skipped, an all-ones block extends the open run by 512
 * pages, and a mixed word is cut into runs with ctz on the word and on its
 * complement
 * (bench/bench_dirty_runs.c measures it against memcpy of the bitmap).
 */
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

/* The runs of one mixed word at page @base. */
static int word_runs(struct vi_runs *r, uint64_t bits, uint64_t base)
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

#define BLOCK 8u /* words looked at together: 64 bytes, 512 pages */

int vi_runs_feed(struct vi_runs *r, const uint64_t *words, uint64_t first, uint64_t n)
{
	uint64_t nw = n / 64, tail = n % 64, w = 0;
	int rc;

	/* a block of zero words is skipped, a block of ones is one piece of a run, else word by word */
	for (; w + BLOCK <= nw; w += BLOCK) {
		const uint64_t *p = words + w;
		uint64_t any = 0, all = ~0ull;

		for (unsigned int k = 0; k < BLOCK; k++) {
			any |= p[k];
			all &= p[k];
		}
		if (!any)
			continue;
		if (all == ~0ull) {
			if ((rc = close_run(r, first + w * 64, BLOCK * 64)) != 0)
				return rc;
			continue;
		}
		for (unsigned int k = 0; k < BLOCK; k++)
			if (p[k] && (rc = word_runs(r, p[k], first + (w + k) * 64)) != 0)
				return rc;
	}
	for (; w < nw; w++)
		if (words[w] && (rc = word_runs(r, words[w], first + w * 64)) != 0)
			return rc;
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
