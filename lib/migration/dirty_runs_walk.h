/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * The walk of dirty_runs.c, included once per instruction set.  The includer
 * defines WALK_NAME, WALK_CHANGES and WALK_WORDS (the names of the walk and
 * its helpers), WALK_ATTR (their attributes), WALK_CTZ(t) (count trailing
 * zeros, any value for 0), WALK_FILL_T and
 * WALK_FILL(c) (a word of c repeated, in the form the tests want),
 * WALK_SAME_BLOCK(p, f) (true when the WALK_BLOCK words at p all equal the
 * fill f) and WALK_BLOCK_CHANGES(p, tv) (the change words of the WALK_BLOCK
 * words at p into tv, p[-1] giving the carry; returns the mask of nonzero ones).
 *
 * The bitmap is read as a stream of changes: bit i of t = w ^ (w << 1 | carry)
 * is set where page i differs from page i - 1, so the change positions are
 * run start, run end, start, end...  A word equal to the fill (all zeros
 * outside a run, all ones inside one) has no change, which is why zero blocks
 * and all-ones blocks are skipped by the same test and never looked at bit
 * by bit.  In a block with changes, the words that have some are found with
 * vector compares and visited through a mask, their positions written out
 * without a branch per bit, and the runs handed to the callback from that
 * array, so the loop that calls back is one predictable loop.
 */

/*
 * The positions of the set bits of @t (changes at page @base + bit) into @p;
 * returns how many.  Four are written whether or not they exist (the array
 * has room), so a word with up to four changes costs no branch.
 */
static inline __attribute__((always_inline)) WALK_ATTR unsigned int WALK_CHANGES(uint64_t *p, uint64_t t, uint64_t base)
{
	unsigned int cnt = (unsigned int)__builtin_popcountll(t);

	for (unsigned int i = 0; i < 4; i++) {
		uint64_t at = base + WALK_CTZ(t);

		/*
		 * Opaque to the optimiser: gcc otherwise packs the four into a
		 * vector (inserts, sign extension, a 32-byte store), twice the
		 * instructions of four scalar stores.
		 */
		__asm__("" : "+r"(at));
		p[i] = at;
		t &= t - 1;
	}
	if (__builtin_expect(cnt > 4, 0))
		for (p += 4; t; t &= t - 1)
			*p++ = base + WALK_CTZ(t);
	return cnt;
}

/* Words [@w, @end) one at a time, @c the carry in and out (the first block, and the last short one). */
static inline __attribute__((always_inline)) WALK_ATTR int WALK_WORDS(struct vi_runs *r, const uint64_t *words, uint64_t w,
								       uint64_t end, uint64_t first, uint64_t *pos,
								       unsigned int *k, uint64_t *c)
{
	int rc;

	for (; w < end; w++) {
		uint64_t x = words[w], t = x ^ (x << 1 | *c);

		*c = x >> 63;
		if (!t)
			continue;
		*k += WALK_CHANGES(pos + *k, t, first + w * 64);
		if (*k >= POS_CAP && (rc = runs_drain(r, pos, k)) != 0)
			return rc;
	}
	return 0;
}

static WALK_ATTR int WALK_NAME(struct vi_runs *r, const uint64_t *words, uint64_t first, uint64_t n)
{
	uint64_t pos[POS_CAP + POS_SLACK], tv[WALK_BLOCK];
	uint64_t nw = n / 64, tail = n % 64, w, c = 0;
	unsigned int k = 0;
	bool busy = false;
	int rc;

	if ((rc = runs_begin(r, first, pos, &k, &c)) != 0)
		return rc;
	/* the first block word by word: its carry comes from the last feed, not from words[-1] */
	w = nw < WALK_BLOCK ? nw : WALK_BLOCK;
	if ((rc = WALK_WORDS(r, words, 0, w, first, pos, &k, &c)) != 0)
		return rc;
	while (w < nw) {
		uint64_t m, base;

		/* after a block with changes the next likely has some too: no skip test then */
		if (!busy) {
			WALK_FILL_T f = WALK_FILL(c);

			while (w + WALK_BLOCK <= nw && WALK_SAME_BLOCK(words + w, f))
				w += WALK_BLOCK;
		}
		if (w + WALK_BLOCK > nw) {
			if ((rc = WALK_WORDS(r, words, w, nw, first, pos, &k, &c)) != 0)
				return rc;
			break;
		}
		base = first + w * 64;
		m = WALK_BLOCK_CHANGES(words + w, tv);
		busy = m != 0;
		for (; m; m &= m - 1) {
			unsigned int j = (unsigned int)__builtin_ctzll(m);

			k += WALK_CHANGES(pos + k, tv[j], base + j * 64);
			if (k >= POS_CAP && (rc = runs_drain(r, pos, &k)) != 0)
				return rc;
		}
		w += WALK_BLOCK;
		c = words[w - 1] >> 63;
	}
	if (tail) {
		uint64_t x = words[nw] & ((1ull << tail) - 1);

		/* no change at bit tail: a run reaching the end stays open for the next feed */
		k += WALK_CHANGES(pos + k, (x ^ (x << 1 | c)) & ((1ull << tail) - 1), first + nw * 64);
	}
	return runs_finish(r, pos, k, first + n);
}
