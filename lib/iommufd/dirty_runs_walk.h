/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * The walk of dirty_runs.c, included once per instruction set.  The includer
 * defines WALK_NAME, WALK_ATTR (the function's attributes), WALK_FILL_T and
 * WALK_FILL(c) (a word of c repeated, in the form the tests want), and
 * WALK_SAME4(p, f) / WALK_SAME_BLOCK(p, f): true when the 4 / WALK_BLOCK words
 * at p all equal the fill f.
 *
 * The bitmap is read as a stream of changes: bit i of t = w ^ (w << 1 | carry)
 * is set where page i differs from page i - 1, so the change positions are
 * run start, run end, start, end...  A word equal to the fill (all zeros
 * outside a run, all ones inside one) has no change, which is why zero blocks
 * and all-ones blocks are skipped by the same test and never looked at bit
 * by bit.  Positions are written out without a branch per bit and runs are
 * handed to the callback from that array, so a word costs the same whatever
 * it holds and the loop that calls back is one predictable loop.
 */

static WALK_ATTR int WALK_NAME(struct vi_runs *r, const uint64_t *words, uint64_t first, uint64_t n)
{
	uint64_t pos[POS_CAP + POS_SLACK];
	uint64_t nw = n / 64, tail = n % 64, w = 0, c = 0;
	unsigned int k = 0;
	int rc;

	if ((rc = runs_begin(r, first, pos, &k, &c)) != 0)
		return rc;
	while (w < nw) {
		WALK_FILL_T f = WALK_FILL(c);
		uint64_t end;

		while (w + WALK_BLOCK <= nw && WALK_SAME_BLOCK(words + w, f))
			w += WALK_BLOCK;
		end = w + WALK_BLOCK <= nw ? w + WALK_BLOCK : nw;
		for (; w + 4 <= end; w += 4) {
			if (WALK_SAME4(words + w, f))
				continue;
			for (unsigned int j = 0; j < 4; j++) {
				uint64_t x = words[w + j];

				k += changes(pos + k, x ^ (x << 1 | c), first + (w + j) * 64);
				c = x >> 63;
			}
			f = WALK_FILL(c);
			if (k >= POS_CAP && (rc = runs_drain(r, pos, &k)) != 0)
				return rc;
		}
		for (; w < end; w++) {
			uint64_t x = words[w];

			k += changes(pos + k, x ^ (x << 1 | c), first + w * 64);
			c = x >> 63;
			if (k >= POS_CAP && (rc = runs_drain(r, pos, &k)) != 0)
				return rc;
		}
	}
	if (tail) {
		uint64_t x = words[nw] & ((1ull << tail) - 1);

		/* no change at bit tail: a run reaching the end stays open for the next feed */
		k += changes(pos + k, (x ^ (x << 1 | c)) & ((1ull << tail) - 1), first + nw * 64);
	}
	return runs_finish(r, pos, k, first + n);
}
