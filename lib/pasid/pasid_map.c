/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pasid_map.h"

int vi_pmap_init(struct vi_pmap *m, uint32_t nbits)
{
	uint32_t n = nbits, total = 0;
	uint64_t *words;
	unsigned int k;

	memset(m, 0, sizeof(*m));
	if (nbits == 0 || nbits > (1u << 24))
		return -EINVAL;
	/* Level sizes: each level has one bit per word of the level below, up to a single word. */
	for (k = 0; k < VI_PMAP_MAX_LEVELS; k++) {
		m->nwords[k] = (n + 63) / 64;
		total += m->nwords[k];
		m->levels = k + 1;
		if (m->nwords[k] == 1)
			break;
		n = m->nwords[k];
	}
	words = calloc(total, sizeof(*words));
	if (!words)
		return -ENOMEM;
	m->nbits = nbits;
	for (k = 0; k < m->levels; k++) {
		m->lvl[k] = words;
		words += m->nwords[k];
	}
	/* All free: the full words, then the partial last word of each level (bits past the end stay 0). */
	n = nbits;
	for (k = 0; k < m->levels; k++) {
		memset(m->lvl[k], 0xff, (n / 64) * sizeof(uint64_t));
		if (n % 64)
			m->lvl[k][n / 64] = (UINT64_C(1) << (n % 64)) - 1;
		n = m->nwords[k];
	}
	return 0;
}

void vi_pmap_fini(struct vi_pmap *m)
{
	free(m->lvl[0]);
	memset(m, 0, sizeof(*m));
}

void vi_pmap_take(struct vi_pmap *m, uint32_t i)
{
	for (unsigned int k = 0; k < m->levels; k++) {
		uint64_t *w = &m->lvl[k][i / 64];

		*w &= ~(UINT64_C(1) << (i % 64));
		if (*w)
			return; /* the word still has a free bit: the summary above is unchanged */
		i /= 64;
	}
}

void vi_pmap_give(struct vi_pmap *m, uint32_t i)
{
	for (unsigned int k = 0; k < m->levels; k++) {
		uint64_t *w = &m->lvl[k][i / 64];
		bool was_empty = *w == 0;

		*w |= UINT64_C(1) << (i % 64);
		if (!was_empty)
			return;
		i /= 64;
	}
}

int64_t vi_pmap_first_free(const struct vi_pmap *m)
{
	uint64_t i = 0;

	if (!m->lvl[m->levels - 1][0])
		return -1;
	for (unsigned int k = m->levels; k-- > 0;)
		i = i * 64 + (uint64_t)__builtin_ctzll(m->lvl[k][i]);
	return (int64_t)i;
}
