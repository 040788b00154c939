/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * Dirty bitmaps into runs of dirty pages (objs.h, vi_runs_feed()).  Reports
 * are mostly zero or mostly one, so the loop works a 64-bit word at a time:
 * zero words are skipped, all-ones words extend the open run by 64, and a
 * mixed word is cut into runs with ctz on the word and on its complement
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

int vi_runs_feed(struct vi_runs *r, const uint64_t *words, uint64_t first, uint64_t n)
{
	uint64_t nw = n / 64, tail = n % 64;
	int rc;

	for (uint64_t w = 0; w <= nw; w++) {
		uint64_t bits, base = first + w * 64;

		if (w == nw) {
			if (!tail)
				break;
			bits = words[w] & ((1ull << tail) - 1);
		} else {
			bits = words[w];
		}
		if (!bits)
			continue;
		if (bits == ~0ull) {
			if ((rc = close_run(r, base, 64)) != 0)
				return rc;
			continue;
		}
		while (bits) {
			unsigned int s = (unsigned int)__builtin_ctzll(bits);
			uint64_t rest = bits >> s;
			unsigned int len = ~rest ? (unsigned int)__builtin_ctzll(~rest) : 64 - s;

			if ((rc = close_run(r, base + s, len)) != 0)
				return rc;
			bits = s + len >= 64 ? 0 : bits & (~0ull << (s + len));
		}
	}
	return 0;
}

int vi_runs_end(struct vi_runs *r)
{
	uint64_t len = r->len;

	r->len = 0;
	return len ? r->emit(r->arg, r->start, len) : 0;
}
