/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * A free-bit map with summary levels: bit i of level k+1 is set when word i
 * of level k has any bit set.  Finding the lowest free bit, taking a bit and
 * giving one back each touch one word per level, so 2^20 bits cost four word
 * operations whatever the occupancy.  Not locked: the owner locks.
 */
#ifndef VI_PASID_MAP_H
#define VI_PASID_MAP_H

#include <stdbool.h>
#include <stdint.h>

#define VI_PMAP_MAX_LEVELS 4 /* 64^4 = 2^24 >= 2^20 */

struct vi_pmap {
	uint32_t nbits;
	unsigned int levels;
	uint32_t nwords[VI_PMAP_MAX_LEVELS];
	uint64_t *lvl[VI_PMAP_MAX_LEVELS]; /* lvl[0] is the leaf level; one allocation */
};

/* Every bit below nbits starts free.  0 or -EINVAL (nbits 0 or > 2^24), -ENOMEM. */
int vi_pmap_init(struct vi_pmap *m, uint32_t nbits);
void vi_pmap_fini(struct vi_pmap *m);

static inline bool vi_pmap_is_free(const struct vi_pmap *m, uint32_t i)
{
	return (m->lvl[0][i / 64] >> (i % 64)) & 1;
}

/* Mark bit i used (it must be free). */
void vi_pmap_take(struct vi_pmap *m, uint32_t i);
/* Mark bit i free (it must be used). */
void vi_pmap_give(struct vi_pmap *m, uint32_t i);
/* The lowest free bit, or -1 when none is. */
int64_t vi_pmap_first_free(const struct vi_pmap *m);

#endif
