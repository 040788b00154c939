/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * PASID spaces, sets and handles.
 *
 * A handle is  generation(32) | space tag(12) | PASID(20).  The generation is
 * the slot's allocation count, so a handle outlives its PASID harmlessly: once
 * the PASID is freed (and maybe reallocated) the generations differ.  The
 * owner check catches a handle of another set of the same space; the tag
 * catches most handles of other spaces before the slot is even looked at.
 *
 * A set finds its PASIDs through an allocation log (PASID, generation) that
 * free() never touches: an entry is live while the slot still has that owner
 * and generation.  So free() writes one 8-byte slot and a bitmap word and
 * nothing else, which is what keeps it fast in a big, mostly full space where
 * every slot is a cache miss.  The log is compacted when half of it is dead,
 * so it stays within about twice what the set holds.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>

#include "core/internal.h"
#include "pasid.h"
#include "pasid_map.h"

#define OWNER_FREE 0u
#define OWNER_RESERVED UINT32_MAX
#define LOG_MIN 16

#define H_SLOT_BITS 20
#define H_TAG_BITS 12
#define H_SLOT_MASK ((UINT64_C(1) << H_SLOT_BITS) - 1)
#define H_TAG_MASK ((UINT64_C(1) << H_TAG_BITS) - 1)

struct slot {
	uint32_t owner; /* set id, OWNER_FREE or OWNER_RESERVED */
	uint32_t gen;   /* allocations so far (wraps after 2^32 reuses of one PASID) */
};

struct vfioiommu_pasid_space {
	pthread_mutex_t lock; /* everything below and every set of the space */
	unsigned int width;
	uint32_t size;
	uint32_t tag;
	uint32_t seed;
	uint32_t in_use;
	uint32_t avail;
	uint32_t next_set_id;
	struct vi_pmap map;   /* 1 = may be allocated */
	struct slot *slots;
	struct vfioiommu_pasid_set *sets;
};

struct vfioiommu_pasid_set {
	struct vfioiommu_pasid_space *space;
	struct vfioiommu_pasid_set *prev, *next;
	uint32_t id;
	uint32_t quota;
	uint32_t used;
	uint64_t *log;  /* gen << 32 | PASID of each allocation, some of them dead */
	uint32_t nlog, caplog;
};

/*
 * The tag differs for any 4095 spaces made in a row; the seed offsets every
 * generation of the space, so that even a tag that repeats (one space in 4095)
 * lets a foreign handle through only if its generation also lines up.
 */
static void space_ident(struct vfioiommu_pasid_space *sp)
{
	static atomic_uint_fast64_t counter;
	uint64_t n = atomic_fetch_add_explicit(&counter, 1, memory_order_relaxed);
	uint64_t z = n + UINT64_C(0x9e3779b97f4a7c15);

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	sp->tag = (uint32_t)(n % H_TAG_MASK) + 1; /* 1..4095: with it no handle is ever 0 */
	sp->seed = (uint32_t)(z ^ (z >> 31));
}

static vfioiommu_pasid_handle mk_handle(const struct vfioiommu_pasid_space *sp, uint32_t pasid)
{
	uint32_t gen = sp->slots[pasid].gen + sp->seed;

	return (uint64_t)gen << 32 | (uint64_t)sp->tag << H_SLOT_BITS | pasid;
}

static int opts_check(const struct vfioiommu_pasid_space_opts *o)
{
	if (!o)
		return 0;
	/* size lets later versions append fields; one built against them still works here */
	if (o->size < offsetof(struct vfioiommu_pasid_space_opts, reserved_hi) + sizeof(o->reserved_hi))
		return -EINVAL;
	if (o->flags & ~(VFIOIOMMU_PASID_SPACE_ALLOW_ZERO | VFIOIOMMU_PASID_SPACE_RESERVE))
		return -EINVAL;
	if ((o->flags & VFIOIOMMU_PASID_SPACE_RESERVE) && o->reserved_lo > o->reserved_hi)
		return -EINVAL;
	return 0;
}

static void reserve(struct vfioiommu_pasid_space *sp, uint32_t p)
{
	if (sp->slots[p].owner == OWNER_RESERVED)
		return;
	sp->slots[p].owner = OWNER_RESERVED;
	vi_pmap_take(&sp->map, p);
	sp->avail--;
}

VFIOIOMMU_API int vfioiommu_pasid_space_new(unsigned int width_bits,
	const struct vfioiommu_pasid_space_opts *opts, vfioiommu_pasid_space **out)
{
	struct vfioiommu_pasid_space *sp;
	uint32_t size;
	int rc;

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (width_bits == 0 || width_bits > VFIOIOMMU_PASID_MAX_WIDTH)
		return -EINVAL;
	size = UINT32_C(1) << width_bits;
	rc = opts_check(opts);
	if (rc < 0)
		return rc;

	sp = calloc(1, sizeof(*sp));
	if (!sp)
		return -ENOMEM;
	/* calloc: a 2^20 table is 8 MiB of which only the pages of used PASIDs are ever touched */
	sp->slots = calloc(size, sizeof(*sp->slots));
	rc = sp->slots ? vi_pmap_init(&sp->map, size) : -ENOMEM;
	if (rc < 0) {
		free(sp->slots);
		free(sp);
		return rc;
	}
	pthread_mutex_init(&sp->lock, NULL);
	sp->width = width_bits;
	sp->size = size;
	sp->avail = size;
	space_ident(sp);
	sp->next_set_id = 1;

	if (!opts || !(opts->flags & VFIOIOMMU_PASID_SPACE_ALLOW_ZERO))
		reserve(sp, 0);
	if (opts && (opts->flags & VFIOIOMMU_PASID_SPACE_RESERVE) && opts->reserved_lo < size) {
		uint32_t hi = opts->reserved_hi < size ? opts->reserved_hi : size - 1;

		for (uint32_t p = opts->reserved_lo; p <= hi; p++)
			reserve(sp, p);
	}
	if (sp->avail == 0) {
		vfioiommu_pasid_space_free(sp);
		return -EINVAL;
	}
	*out = sp;
	return 0;
}

VFIOIOMMU_API void vfioiommu_pasid_space_free(vfioiommu_pasid_space *space)
{
	if (!space)
		return;
	while (space->sets) {
		struct vfioiommu_pasid_set *s = space->sets;

		space->sets = s->next;
		free(s->log);
		free(s);
	}
	vi_pmap_fini(&space->map);
	free(space->slots);
	pthread_mutex_destroy(&space->lock);
	free(space);
}

VFIOIOMMU_API unsigned int vfioiommu_pasid_space_width(const vfioiommu_pasid_space *space)
{
	/* fixed at creation: no lock needed */
	return space ? space->width : 0;
}

VFIOIOMMU_API int vfioiommu_pasid_space_usage(vfioiommu_pasid_space *space, uint32_t *in_use, uint32_t *avail)
{
	if (!space)
		return -EINVAL;
	pthread_mutex_lock(&space->lock);
	if (in_use)
		*in_use = space->in_use;
	if (avail)
		*avail = space->avail;
	pthread_mutex_unlock(&space->lock);
	return 0;
}

VFIOIOMMU_API int vfioiommu_pasid_set_new(vfioiommu_pasid_space *space, unsigned int quota,
	vfioiommu_pasid_set **out)
{
	struct vfioiommu_pasid_set *s;

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (!space)
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->space = space;
	s->quota = quota ? quota : VFIOIOMMU_PASID_DEFAULT_QUOTA;
	pthread_mutex_lock(&space->lock);
	if (space->next_set_id == OWNER_RESERVED) {
		/* 2^32 - 2 sets made in one space: ids would repeat, so stop */
		pthread_mutex_unlock(&space->lock);
		free(s);
		return -ENOSPC;
	}
	s->id = space->next_set_id++;
	s->next = space->sets;
	if (space->sets)
		space->sets->prev = s;
	space->sets = s;
	pthread_mutex_unlock(&space->lock);
	*out = s;
	return 0;
}

static bool log_live(const struct vfioiommu_pasid_set *set, uint64_t e)
{
	const struct slot *sl = &set->space->slots[e & H_SLOT_MASK];

	return sl->owner == set->id && sl->gen == (uint32_t)(e >> 32);
}

/* Under the lock: room for one more log entry.  0 or -ENOMEM. */
static int log_reserve(struct vfioiommu_pasid_set *set)
{
	uint64_t *n;
	uint32_t cap;

	if (set->nlog < set->caplog)
		return 0;
	if (set->nlog >= 2 * set->used + LOG_MIN) {
		/* at least half dead: squeeze instead of growing (amortised over as many frees) */
		uint32_t j = 0;

		for (uint32_t i = 0; i < set->nlog; i++)
			if (log_live(set, set->log[i]))
				set->log[j++] = set->log[i];
		set->nlog = j;
		return 0;
	}
	cap = set->caplog ? set->caplog * 2 : LOG_MIN;
	n = realloc(set->log, (size_t)cap * sizeof(*n));
	if (!n)
		return -ENOMEM;
	set->log = n;
	set->caplog = cap;
	return 0;
}

/* Under the lock. */
static void slot_release(struct vfioiommu_pasid_set *set, uint32_t p)
{
	struct vfioiommu_pasid_space *sp = set->space;

	sp->slots[p].owner = OWNER_FREE;
	vi_pmap_give(&sp->map, p);
	set->used--;
	sp->in_use--;
	sp->avail++;
}

/* Under the lock; p is free and log_reserve() succeeded. */
static vfioiommu_pasid_handle slot_claim(struct vfioiommu_pasid_set *set, uint32_t p)
{
	struct vfioiommu_pasid_space *sp = set->space;
	struct slot *sl = &sp->slots[p];

	vi_pmap_take(&sp->map, p);
	sl->owner = set->id;
	sl->gen++;
	set->log[set->nlog++] = (uint64_t)sl->gen << 32 | p;
	set->used++;
	sp->in_use++;
	sp->avail--;
	return mk_handle(sp, p);
}

VFIOIOMMU_API void vfioiommu_pasid_set_free(vfioiommu_pasid_set *set)
{
	struct vfioiommu_pasid_space *sp;

	if (!set)
		return;
	sp = set->space;
	pthread_mutex_lock(&sp->lock);
	/* a PASID freed and reallocated to this set is in the log twice: only its last entry is live */
	for (uint32_t i = 0; i < set->nlog; i++)
		if (log_live(set, set->log[i]))
			slot_release(set, (uint32_t)(set->log[i] & H_SLOT_MASK));
	if (set->prev)
		set->prev->next = set->next;
	else
		sp->sets = set->next;
	if (set->next)
		set->next->prev = set->prev;
	pthread_mutex_unlock(&sp->lock);
	free(set->log);
	free(set);
}

VFIOIOMMU_API int vfioiommu_pasid_set_usage(vfioiommu_pasid_set *set, uint32_t *used, uint32_t *quota)
{
	if (!set)
		return -EINVAL;
	pthread_mutex_lock(&set->space->lock);
	if (used)
		*used = set->used;
	if (quota)
		*quota = set->quota;
	pthread_mutex_unlock(&set->space->lock);
	return 0;
}

VFIOIOMMU_API int vfioiommu_pasid_alloc(vfioiommu_pasid_set *set, vfioiommu_pasid_handle *out)
{
	struct vfioiommu_pasid_space *sp;
	int64_t p;
	int rc = 0;

	if (!out)
		return -EINVAL;
	*out = VFIOIOMMU_PASID_HANDLE_NONE;
	if (!set)
		return -EINVAL;
	sp = set->space;
	pthread_mutex_lock(&sp->lock);
	if (set->used >= set->quota)
		rc = -EDQUOT;
	else if ((p = vi_pmap_first_free(&sp->map)) < 0)
		rc = -ENOSPC;
	else if ((rc = log_reserve(set)) == 0)
		*out = slot_claim(set, (uint32_t)p);
	pthread_mutex_unlock(&sp->lock);
	return rc;
}

VFIOIOMMU_API int vfioiommu_pasid_alloc_value(vfioiommu_pasid_set *set, uint32_t pasid,
	vfioiommu_pasid_handle *out)
{
	struct vfioiommu_pasid_space *sp;
	int rc = 0;

	if (!out)
		return -EINVAL;
	*out = VFIOIOMMU_PASID_HANDLE_NONE;
	if (!set)
		return -EINVAL;
	sp = set->space;
	if (pasid >= sp->size)
		return -ERANGE;
	pthread_mutex_lock(&sp->lock);
	if (sp->slots[pasid].owner == OWNER_RESERVED)
		rc = -ERANGE;
	else if (sp->slots[pasid].owner != OWNER_FREE)
		rc = -EBUSY;
	else if (set->used >= set->quota)
		rc = -EDQUOT;
	else if ((rc = log_reserve(set)) == 0)
		*out = slot_claim(set, pasid);
	pthread_mutex_unlock(&sp->lock);
	return rc;
}

/* Under the lock.  The PASID of a live handle of set, or -EINVAL. */
static int64_t handle_check(const struct vfioiommu_pasid_set *set, vfioiommu_pasid_handle h, struct vi_err *e)
{
	const struct vfioiommu_pasid_space *sp = set->space;
	uint32_t p = (uint32_t)(h & H_SLOT_MASK);
	uint32_t tag = (uint32_t)(h >> H_SLOT_BITS & H_TAG_MASK);
	uint32_t gen = (uint32_t)(h >> 32) - sp->seed;

	if (h == VFIOIOMMU_PASID_HANDLE_NONE)
		return vi_errf(e, -EINVAL, "PASID handle is empty");
	if (tag != sp->tag || p >= sp->size)
		return vi_errf(e, -EINVAL, "PASID handle %#llx belongs to another PASID space",
			       (unsigned long long)h);
	if (sp->slots[p].owner != set->id) {
		if (sp->slots[p].owner == OWNER_FREE || sp->slots[p].gen != gen)
			return vi_errf(e, -EINVAL, "PASID handle %#llx is stale: PASID %u was freed",
				       (unsigned long long)h, p);
		return vi_errf(e, -EINVAL, "PASID handle %#llx belongs to another PASID set",
			       (unsigned long long)h);
	}
	if (sp->slots[p].gen != gen)
		return vi_errf(e, -EINVAL, "PASID handle %#llx is stale: PASID %u was freed and reallocated",
			       (unsigned long long)h, p);
	return p;
}

VFIOIOMMU_API int vfioiommu_pasid_free(vfioiommu_pasid_set *set, vfioiommu_pasid_handle h)
{
	int64_t p;

	if (!set)
		return -EINVAL;
	/*
	 * The slot is most likely a cache miss in a big space; start it now so
	 * it overlaps taking the lock (slots and size never change).
	 */
	if ((h & H_SLOT_MASK) < set->space->size)
		__builtin_prefetch(&set->space->slots[h & H_SLOT_MASK], 1);
	pthread_mutex_lock(&set->space->lock);
	p = handle_check(set, h, NULL);
	if (p >= 0)
		slot_release(set, (uint32_t)p);
	pthread_mutex_unlock(&set->space->lock);
	return p < 0 ? (int)p : 0;
}

int vi_pasid_lookup(vfioiommu_pasid_set *set, vfioiommu_pasid_handle h, uint32_t *pasid, struct vi_err *e)
{
	int64_t p;

	if (!set)
		return vi_errf(e, -EINVAL, "no PASID set given");
	pthread_mutex_lock(&set->space->lock);
	p = handle_check(set, h, e);
	pthread_mutex_unlock(&set->space->lock);
	if (p < 0)
		return (int)p;
	*pasid = (uint32_t)p;
	return 0;
}

VFIOIOMMU_API int vfioiommu_pasid_value(vfioiommu_pasid_set *set, vfioiommu_pasid_handle h)
{
	uint32_t p = 0;
	int rc = vi_pasid_lookup(set, h, &p, NULL);

	return rc < 0 ? rc : (int)p;
}

uint32_t vi_pasid_set_log_len(vfioiommu_pasid_set *set)
{
	uint32_t n;

	pthread_mutex_lock(&set->space->lock);
	n = set->nlog;
	pthread_mutex_unlock(&set->space->lock);
	return n;
}
