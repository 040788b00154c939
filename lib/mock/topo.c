/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/* The mock host: groups, devices, reserved regions, limits; and the map table. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"
#include "mock.h"

/*
 * ---------------- indexes ----------------
 * Loading a host must be linear in its devices (issue #20: it was cubic).
 * Groups and devices live in arrays that grow geometrically; hash tables map
 * a group number, and a BDF packed into 32 bits, to 1 + the array index; cdev
 * indexes come from a min-heap of freed ones below cdev_next (see struct
 * vfioiommu_mock).
 *
 * Each slot holds the whole 32-bit key, so a lookup never touches the arrays
 * to compare.  The slot of a key is a mixed hash of key >> 6 with the low 6
 * bits kept: the 64 keys of one run (a group number's neighbours; the 8
 * functions of 8 consecutive devices) sit in one 64-slot block in order, so
 * a host listed in order fills its tables in order, cache line after cache
 * line, while keys of other runs are spread by the mix.
 */
#define RUN_BITS 6

static uint32_t hash_u32(uint32_t x)
{
	x ^= x >> 16;
	x *= 0x7feb352du;
	x ^= x >> 15;
	x *= 0x846ca68bu;
	x ^= x >> 16;
	return x;
}

static size_t home(uint32_t key, size_t n)
{
	return (((size_t)hash_u32(key >> RUN_BITS) << RUN_BITS) | (key & ((1u << RUN_BITS) - 1))) & (n - 1);
}

/* "DDDD:BB:DD.F" as domain << 16 | bus << 8 | device << 3 | function; false when not a BDF. */
static bool bdf_key(const char *bdf, uint32_t *key)
{
	if (vi_bdf_check(bdf) < 0)
		return false;
	*key = (uint32_t)strtoul(bdf, NULL, 16) << 16 | (uint32_t)strtoul(bdf + 5, NULL, 16) << 8 |
	       (uint32_t)strtoul(bdf + 8, NULL, 16) << 3 | (uint32_t)(bdf[11] - '0');
	return true;
}

/* The slot holding key, or the empty slot where it would go; n > 0 and the table has room. */
static struct vm_slot *slot_of(struct vm_slot *tab, size_t n, uint32_t key)
{
	size_t i = home(key, n);

	while (tab[i].idx1 && tab[i].key != key)
		i = (i + 1) & (n - 1);
	return &tab[i];
}

/* A table for at least `want` entries, at most half full; NULL when out of memory (or too many). */
static struct vm_slot *table_for(size_t want, size_t *n)
{
	size_t sz = 1u << RUN_BITS;

	if (want > UINT32_MAX - 1)
		return NULL;
	while (sz < 2 * want)
		sz *= 2;
	*n = sz;
	return calloc(sz, sizeof(struct vm_slot));
}

/* Move every entry of the old table into a new one of n slots. */
static void table_move(struct vm_slot *to, size_t n, const struct vm_slot *from, size_t from_n)
{
	for (size_t i = 0; i < from_n; i++)
		if (from[i].idx1)
			*slot_of(to, n, from[i].key) = from[i];
}

struct vm_group *vm_group_find(struct vfioiommu_mock *m, unsigned int num)
{
	const struct vm_slot *sl;

	if (!m->group_hash_n)
		return NULL;
	sl = slot_of(m->group_hash, m->group_hash_n, num);
	return sl->idx1 ? &m->groups[sl->idx1 - 1] : NULL;
}

struct vm_device *vm_device_find(struct vfioiommu_mock *m, const char *bdf)
{
	const struct vm_slot *sl;
	uint32_t key;

	/* mediated devices (by UUID) are few and outside the BDF index */
	if (vi_uuid_check(bdf) == 0) {
		for (size_t i = 0; i < m->ndevs; i++)
			if (m->devs[i].mdev && !strcmp(m->devs[i].bdf, bdf))
				return &m->devs[i];
		return NULL;
	}
	if (!m->dev_hash_n || !bdf_key(bdf, &key))
		return NULL;
	sl = slot_of(m->dev_hash, m->dev_hash_n, key);
	return sl->idx1 ? &m->devs[sl->idx1 - 1] : NULL;
}

/* Room for one more group (array and index); nothing changes on failure. */
static int group_room(struct vfioiommu_mock *m)
{
	if (m->ngroups == m->groups_cap) {
		size_t cap = m->groups_cap ? m->groups_cap * 2 : 16;
		struct vm_group *g = cap < SIZE_MAX / sizeof(*g) ? realloc(m->groups, cap * sizeof(*g)) : NULL;

		if (!g)
			return -ENOMEM;
		m->groups = g;
		m->groups_cap = cap;
	}
	if (2 * (m->ngroups + 1) > m->group_hash_n) {
		size_t n;
		struct vm_slot *tab = table_for(m->ngroups + 1, &n);

		if (!tab)
			return -ENOMEM;
		table_move(tab, n, m->group_hash, m->group_hash_n);
		free(m->group_hash);
		m->group_hash = tab;
		m->group_hash_n = n;
	}
	return 0;
}

static int device_room(struct vfioiommu_mock *m)
{
	if (m->ndevs == m->devs_cap) {
		size_t cap = m->devs_cap ? m->devs_cap * 2 : 16;
		struct vm_device *d = cap < SIZE_MAX / sizeof(*d) ? realloc(m->devs, cap * sizeof(*d)) : NULL;

		if (!d)
			return -ENOMEM;
		m->devs = d;
		m->devs_cap = cap;
	}
	if (2 * (m->ndevs + 1) > m->dev_hash_n) {
		size_t n;
		struct vm_slot *tab = table_for(m->ndevs + 1, &n);

		if (!tab)
			return -ENOMEM;
		table_move(tab, n, m->dev_hash, m->dev_hash_n);
		free(m->dev_hash);
		m->dev_hash = tab;
		m->dev_hash_n = n;
	}
	return 0;
}

void vm_device_index_rebuild(struct vfioiommu_mock *m)
{
	/* fewer devices than when the table was sized: it still has room, no allocation */
	if (!m->dev_hash_n)
		return;
	memset(m->dev_hash, 0, m->dev_hash_n * sizeof(*m->dev_hash));
	for (size_t i = 0; i < m->ndevs; i++) {
		uint32_t key = 0;

		if (m->devs[i].mdev)
			continue;
		bdf_key(m->devs[i].bdf, &key); /* checked when the device was added */
		*slot_of(m->dev_hash, m->dev_hash_n, key) = (struct vm_slot){ key, (uint32_t)(i + 1) };
	}
}

/* Room to hand out cdev_next (and to take back every index below it later). */
static int cdev_room(struct vfioiommu_mock *m)
{
	if (m->cdev_next == UINT_MAX)
		return -ENOSPC;
	if (m->cdev_free_cap <= m->cdev_next) {
		size_t cap = m->cdev_free_cap ? m->cdev_free_cap * 2 : 16;
		unsigned int *h = cap < SIZE_MAX / sizeof(*h) ? realloc(m->cdev_free, cap * sizeof(*h)) : NULL;

		if (!h)
			return -ENOMEM;
		m->cdev_free = h;
		m->cdev_free_cap = cap;
	}
	return 0;
}

/*
 * FACTS.md §3 g device[0..2]: the three NICs bound to vfio-pci are vfio0..vfio2
 * although four other PCI devices come before them.  The kernel creates the
 * cdev when a VFIO driver binds (vfio_device_set_name: lowest free ida index)
 * and frees the index when it unbinds.  Call cdev_room() first.
 */
static unsigned int cdev_take(struct vfioiommu_mock *m)
{
	unsigned int *h = m->cdev_free, top, last;
	size_t n = m->ncdev_free, i = 0;

	if (n == 0)
		return m->cdev_next++;
	top = h[0];
	last = h[--n];
	m->ncdev_free = n;
	/* sift last down from the root */
	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= n)
			break;
		if (c + 1 < n && h[c + 1] < h[c])
			c++;
		if (h[c] >= last)
			break;
		h[i] = h[c];
		i = c;
	}
	if (n)
		h[i] = last;
	return top;
}

/* d leaves the VFIO drivers: its cdev index is free again. */
static void cdev_release(struct vfioiommu_mock *m, const struct vm_device *d)
{
	unsigned int *h = m->cdev_free, idx = d->cdev_index;
	size_t i;

	/* room is guaranteed: fewer free indexes than cdev_next <= capacity */
	if (idx >= m->cdev_next || m->ncdev_free >= m->cdev_free_cap)
		return;
	i = m->ncdev_free++;
	while (i > 0 && h[(i - 1) / 2] > idx) {
		h[i] = h[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	h[i] = idx;
}

void vm_topo_free(struct vfioiommu_mock *m)
{
	free(m->group_hash);
	free(m->dev_hash);
	free(m->cdev_free);
	m->group_hash = m->dev_hash = NULL;
	m->cdev_free = NULL;
	m->group_hash_n = m->dev_hash_n = m->ncdev_free = m->cdev_free_cap = 0;
}

struct vm_device *vm_device_by_cdev(struct vfioiommu_mock *m, unsigned int idx)
{
	/* only a device bound to a VFIO driver has a cdev; an unbound one's old index is free */
	for (size_t i = 0; i < m->ndevs; i++)
		if (m->devs[i].cdev_index == idx && vm_driver_is_vfio(m->devs[i].driver))
			return &m->devs[i];
	return NULL;
}

bool vm_driver_is_vfio(const char *driver)
{
	return driver && strstr(driver, "vfio") != NULL;
}

/* Drivers the kernel lets share a group with VFIO (vfio_device_driver_allowed()). */
static bool driver_allowed(const char *driver)
{
	return !strcmp(driver, "pci-stub") || !strcmp(driver, "pcieport");
}

bool vm_group_viable(struct vfioiommu_mock *m, const struct vm_group *g, const struct vm_device **culprit)
{
	for (size_t i = 0; i < m->ndevs; i++) {
		const struct vm_device *d = &m->devs[i];
		if (d->group == g->num && d->driver[0] && !vm_driver_is_vfio(d->driver) &&
		    !driver_allowed(d->driver)) {
			if (culprit)
				*culprit = d;
			return false;
		}
	}
	return true;
}

bool vm_group_has_vfio(struct vfioiommu_mock *m, const struct vm_group *g)
{
	for (size_t i = 0; i < m->ndevs; i++)
		if (m->devs[i].group == g->num && vm_driver_is_vfio(m->devs[i].driver))
			return true;
	return false;
}

bool vm_group_has_direct(const struct vm_group *g)
{
	for (size_t i = 0; i < g->nresv; i++)
		if (g->resv[i].type == VFIOIOMMU_RESV_DIRECT)
			return true;
	return false;
}

static int resv_cmp(const void *a, const void *b)
{
	const struct vm_resv *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return (int)x->type - (int)y->type;
}

int vm_group_resv_merged(const struct vm_group *g, struct vm_resv **out, size_t *n)
{
	struct vm_resv *r;
	size_t k = 0;

	*out = NULL;
	*n = 0;
	if (!g->nresv)
		return 0;
	r = malloc(g->nresv * sizeof(*r));
	if (!r)
		return -ENOMEM;
	memcpy(r, g->resv, g->nresv * sizeof(*r));
	qsort(r, g->nresv, sizeof(*r), resv_cmp);
	/*
	 * As iommu_insert_resv_region(): only same-type neighbours that overlap
	 * or touch merge; a region of another type in between does not stop the
	 * merge, so look back for the last region of the same type.
	 */
	for (size_t i = 0; i < g->nresv; i++) {
		size_t j;
		bool merged = false;
		for (j = k; j-- > 0;) {
			if (r[j].type != r[i].type)
				continue;
			if (r[j].last == UINT64_MAX || r[i].start <= r[j].last + 1) {
				if (r[i].last > r[j].last)
					r[j].last = r[i].last;
				merged = true;
			}
			break;
		}
		if (!merged)
			r[k++] = r[i];
	}
	*out = r;
	*n = k;
	return 0;
}

int vm_ranges_subtract(struct vm_range **rp, size_t *np, uint64_t start, uint64_t last)
{
	struct vm_range *r = *rp;
	size_t n = *np;

	for (size_t i = 0; i < n; i++) {
		struct vm_range cur = r[i];
		if (cur.last < start || cur.start > last)
			continue;
		if (cur.start < start && cur.last > last) {
			/* split in two: grow by one */
			struct vm_range *nr = realloc(r, (n + 1) * sizeof(*r));
			if (!nr)
				return -ENOMEM;
			r = nr;
			memmove(&r[i + 2], &r[i + 1], (n - i - 1) * sizeof(*r));
			r[i].last = start - 1;
			r[i + 1].start = last + 1;
			r[i + 1].last = cur.last;
			n++;
			i++;
		} else if (cur.start < start) {
			r[i].last = start - 1;
		} else if (cur.last > last) {
			r[i].start = last + 1;
		} else {
			memmove(&r[i], &r[i + 1], (n - i - 1) * sizeof(*r));
			n--;
			i--;
		}
	}
	*rp = r;
	*np = n;
	return 0;
}

int vm_usable_ranges(struct vfioiommu_mock *m, const unsigned int *groups, size_t ngroups,
		     struct vm_range **out, size_t *n)
{
	struct vm_range *r = malloc(sizeof(*r));
	size_t cnt = 1;

	if (!r)
		return -ENOMEM;
	r[0].start = m->aper_start;
	r[0].last = m->aper_last;
	for (size_t gi = 0; gi < ngroups; gi++) {
		struct vm_group *g = vm_group_find(m, groups[gi]);
		for (size_t i = 0; g && i < g->nresv; i++) {
			/* the kernel keeps direct-relaxable regions mappable for assignment */
			if (g->resv[i].type == VFIOIOMMU_RESV_DIRECT_RELAXABLE)
				continue;
			if (vm_ranges_subtract(&r, &cnt, g->resv[i].start, g->resv[i].last) < 0) {
				free(r);
				return -ENOMEM;
			}
		}
	}
	*out = r;
	*n = cnt;
	return 0;
}

/* ---------------- map table ---------------- */

size_t vm_maps_lower(const struct vm_maptab *t, uint64_t iova)
{
	size_t lo = 0, hi = t->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (t->v[mid].iova + (t->v[mid].len - 1) < iova)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

bool vm_maps_overlaps(const struct vm_maptab *t, uint64_t iova, uint64_t len)
{
	size_t i = vm_maps_lower(t, iova);

	return i < t->n && t->v[i].iova <= iova + (len - 1);
}

int vm_maps_insert(struct vm_maptab *t, uint64_t iova, uint64_t len, uint64_t vaddr, uint32_t prot)
{
	size_t i;

	if (vm_maps_overlaps(t, iova, len))
		return -EEXIST;
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		struct vm_map *v = realloc(t->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		t->v = v;
		t->cap = cap;
	}
	i = vm_maps_lower(t, iova);
	memmove(&t->v[i + 1], &t->v[i], (t->n - i) * sizeof(*t->v));
	t->v[i] = (struct vm_map){ iova, len, vaddr, prot };
	t->n++;
	return 0;
}

void vm_maps_remove_at(struct vm_maptab *t, size_t idx)
{
	memmove(&t->v[idx], &t->v[idx + 1], (t->n - idx - 1) * sizeof(*t->v));
	t->n--;
}

void vm_maps_free(struct vm_maptab *t)
{
	free(t->v);
	t->v = NULL;
	t->n = t->cap = 0;
}

/* ---------------- public topology API ---------------- */

VFIOIOMMU_API int vfioiommu_mock_set_aperture(vfioiommu_mock *m, uint64_t start, uint64_t last)
{
	if (!m || start > last)
		return -EINVAL;
	m->aper_start = start;
	m->aper_last = last;
	return 0;
}

VFIOIOMMU_API int vfioiommu_mock_set_pgsizes(vfioiommu_mock *m, uint64_t bitmap)
{
	/* the smallest page must be at least 512 bytes and the bitmap non-empty */
	if (!m || !bitmap || (bitmap & 0x1ffu))
		return -EINVAL;
	m->pgsizes = bitmap;
	return 0;
}

VFIOIOMMU_API int vfioiommu_mock_set_dma_limit(vfioiommu_mock *m, uint32_t limit)
{
	if (!m)
		return -EINVAL;
	m->dma_limit = limit;
	return 0;
}

VFIOIOMMU_API int vfioiommu_mock_set_pasid_width(vfioiommu_mock *m, unsigned int bits)
{
	if (!m || bits > 20)
		return -EINVAL;
	m->pasid_bits = bits;
	return 0;
}

VFIOIOMMU_API int vfioiommu_mock_set_feature(vfioiommu_mock *m, unsigned int features, bool on)
{
	if (!m || (features & ~0xffu))
		return -EINVAL;
	if (on)
		m->features |= features;
	else
		m->features &= ~features;
	return 0;
}

VFIOIOMMU_API int vfioiommu_mock_set_iommu(vfioiommu_mock *m, enum vfioiommu_mock_iommu model)
{
	if (!m || (unsigned int)model > VFIOIOMMU_MOCK_IOMMU_SMMUV3)
		return -EINVAL;
	m->iommu_model = model;
	return 0;
}

VFIOIOMMU_API int vfioiommu_mock_add_group(vfioiommu_mock *m, unsigned int group)
{
	int rc;

	if (!m)
		return -EINVAL;
	if (vm_group_find(m, group))
		return -EEXIST;
	rc = group_room(m);
	if (rc < 0)
		return rc;
	memset(&m->groups[m->ngroups], 0, sizeof(m->groups[0]));
	m->groups[m->ngroups].num = group;
	*slot_of(m->group_hash, m->group_hash_n, group) = (struct vm_slot){ group, (uint32_t)(m->ngroups + 1) };
	m->ngroups++;
	return 0;
}

void vm_group_remove(struct vfioiommu_mock *m, unsigned int num)
{
	struct vm_group *g = vm_group_find(m, num);
	size_t idx;

	if (!g)
		return;
	idx = (size_t)(g - m->groups);
	free(g->resv);
	free(g->priv); /* vfio.c's group state: no fd is open on the group (the caller checked) */
	memmove(g, g + 1, (m->ngroups - idx - 1) * sizeof(*g));
	m->ngroups--;
	/* fewer groups than the table was sized for: rebuild in place */
	memset(m->group_hash, 0, m->group_hash_n * sizeof(*m->group_hash));
	for (size_t i = 0; i < m->ngroups; i++)
		*slot_of(m->group_hash, m->group_hash_n, m->groups[i].num) =
			(struct vm_slot){ m->groups[i].num, (uint32_t)(i + 1) };
}

VFIOIOMMU_API int vfioiommu_mock_add_resv(vfioiommu_mock *m, unsigned int group, uint64_t start,
					 uint64_t last, enum vfioiommu_resv_type type)
{
	struct vm_group *g;
	struct vm_resv *r;

	if (!m || start > last || (unsigned int)type > VFIOIOMMU_RESV_SW_MSI)
		return -EINVAL;
	g = vm_group_find(m, group);
	if (!g)
		return -ENOENT;
	r = realloc(g->resv, (g->nresv + 1) * sizeof(*r));
	if (!r)
		return -ENOMEM;
	g->resv = r;
	r[g->nresv++] = (struct vm_resv){ start, last, type };
	return 0;
}

VFIOIOMMU_API int vfioiommu_mock_add_device(vfioiommu_mock *m, unsigned int group, const char *bdf,
					   const char *driver)
{
	struct vm_device *d;
	struct vm_slot *sl;
	uint32_t key;
	bool vfio;
	int rc;

	if (!m || !bdf_key(bdf, &key))
		return -EINVAL;
	if (driver && strlen(driver) >= VM_DRIVER_MAX)
		return -EINVAL;
	if (!vm_group_find(m, group))
		return -ENOENT;
	vfio = driver && strcmp(driver, "-") && vm_driver_is_vfio(driver);
	/* room first (a refused device may leave some spare), then one probe finds a twin or the free slot */
	rc = device_room(m);
	if (rc == 0 && vfio)
		rc = cdev_room(m);
	if (rc < 0)
		return rc;
	sl = slot_of(m->dev_hash, m->dev_hash_n, key);
	if (sl->idx1)
		return -EEXIST;
	d = &m->devs[m->ndevs];
	memset(d, 0, sizeof(*d));
	strcpy(d->bdf, bdf);
	if (driver && strcmp(driver, "-"))
		strcpy(d->driver, driver);
	d->group = group;
	d->cdev_index = vfio ? cdev_take(m) : UINT_MAX;
	d->vendor = 0x8086;
	d->device = 0x10d3;
	d->class_code = 0x020000;
	*sl = (struct vm_slot){ key, (uint32_t)(m->ndevs + 1) };
	m->ndevs++;
	return 0;
}

int vm_device_add_mdev(struct vfioiommu_mock *m, unsigned int group, const char *uuid, const char *driver)
{
	struct vm_device *d;
	int rc;

	if (vi_uuid_check(uuid) < 0 || strlen(driver) >= VM_DRIVER_MAX)
		return -EINVAL;
	if (vm_device_find(m, uuid))
		return -EEXIST;
	if (!vm_group_find(m, group))
		return -ENOENT;
	rc = device_room(m);
	if (rc == 0)
		rc = cdev_room(m);
	if (rc < 0)
		return rc;
	d = &m->devs[m->ndevs];
	memset(d, 0, sizeof(*d));
	strcpy(d->bdf, uuid);
	strcpy(d->driver, driver);
	d->mdev = true;
	d->group = group;
	d->cdev_index = cdev_take(m);
	m->ndevs++;
	return 0;
}

VFIOIOMMU_API int vfioiommu_mock_set_driver(vfioiommu_mock *m, const char *bdf, const char *driver)
{
	struct vm_device *d = m ? vm_device_find(m, bdf) : NULL;
	const char *now = (driver && strcmp(driver, "-")) ? driver : "";
	bool was_vfio;

	if (!m || (driver && strlen(driver) >= VM_DRIVER_MAX))
		return -EINVAL;
	if (!d)
		return -ENOENT;
	if (d->open_count)
		return -EBUSY;
	was_vfio = vm_driver_is_vfio(d->driver);
	if (!was_vfio && vm_driver_is_vfio(now)) {
		int rc = cdev_room(m);

		if (rc < 0)
			return rc;
		d->cdev_index = cdev_take(m);
	} else if (was_vfio && !vm_driver_is_vfio(now)) {
		/* the kernel frees the index when the VFIO driver lets go */
		cdev_release(m, d);
	}
	strcpy(d->driver, now);
	return 0;
}

VFIOIOMMU_API int vfioiommu_mock_device_set_ids(vfioiommu_mock *m, const char *bdf, uint16_t vendor,
					       uint16_t device, uint32_t class_code)
{
	struct vm_device *d = m ? vm_device_find(m, bdf) : NULL;

	if (!m || class_code > 0xffffff)
		return -EINVAL;
	if (!d)
		return -ENOENT;
	d->vendor = vendor;
	d->device = device;
	d->class_code = class_code;
	return 0;
}

VFIOIOMMU_API int vfioiommu_mock_device_set_pasid(vfioiommu_mock *m, const char *bdf, unsigned int bits,
						 bool iopf)
{
	struct vm_device *d = m ? vm_device_find(m, bdf) : NULL;

	if (!m || bits > 20)
		return -EINVAL;
	if (!d)
		return -ENOENT;
	d->pasid_bits = bits;
	d->iopf = iopf;
	return 0;
}

/* ---------------- the IOMMU's registers (sysfs /sys/class/iommu, GET_HW_INFO) ---------------- */

unsigned int vm_address_bits(const struct vfioiommu_mock *m)
{
	unsigned int bits = 64;

	while (bits > 1 && !(m->aper_last >> (bits - 1)))
		bits--;
	return bits;
}

/* FACTS: QEMU's intel-iommu: cap_reg 0x00d2008c22260286 (MGAW 38, SAGAW 0x2), ecap_reg 0xf00f4a */
#define VM_VTD_CAP  0x00d2008c22260286ull
#define VM_VTD_ECAP 0xf00f4aull

uint64_t vm_vtd_cap(const struct vfioiommu_mock *m)
{
	unsigned int bits = vm_address_bits(m);
	/* SAGAW: the page-table depths offered, 39-bit (bit 1), 48-bit (bit 2), 57-bit (bit 3), up to the width */
	uint64_t sagaw = bits <= 39 ? 0x2 : bits <= 48 ? 0x6 : 0xe;

	/* SLLPS (bits 34-37: 2 MiB, 1 GiB, 512 GiB, 1 TiB) from the host's page sizes, as type1 reports them */
	uint64_t sllps = 0;
	static const unsigned int sllps_size[4] = { 21, 30, 39, 40 };

	for (unsigned int b = 0; b < 4; b++)
		if (m->pgsizes & (1ull << sllps_size[b]))
			sllps |= 1ull << (34 + b);
	return (VM_VTD_CAP & ~(0x3full << 16) & ~(0x1full << 8) & ~(0xfull << 34)) | ((uint64_t)(bits - 1) << 16) |
	       (sagaw << 8) | sllps;
}

uint64_t vm_vtd_ecap(const struct vfioiommu_mock *m)
{
	(void)m;
	return VM_VTD_ECAP;
}

/*
 * FACTS (tests/vm, Linux 7.2): QEMU's amd-iommu shows features "29d3:0", HATS 2
 * and GATS 2.  The mock keeps its other bits and sets HATS (host table: 4 +
 * HATS levels) and GATS (guest table: 4 or 5 levels) to the narrowest that
 * cover the address width: 48 bits (0, 0), 57 (1, 1), wider (2, 1).
 */
#define VM_AMD_EFR 0x29d3ull

uint64_t vm_amd_efr(const struct vfioiommu_mock *m)
{
	unsigned int bits = vm_address_bits(m);
	uint64_t hats = bits <= 48 ? 0 : bits <= 57 ? 1 : 2, gats = bits <= 48 ? 0 : 1;

	return (VM_AMD_EFR & ~(0xfull << 10)) | (hats << 10) | (gats << 12);
}

/*
 * An SMMUv3 with stage 1 and 2 (IDR0: S2P S1P TTF=AArch64 COHACC ASID16 VMID16
 * TTENDIAN=LE STALL_MODEL=no-stall ST_LEVEL=2-level), 16-bit StreamIDs and
 * SSIDSIZE = the PASID width (IDR1), RIL and BBML2 (IDR3), 4K/16K/64K
 * granules and OAS covering the address width (IDR5), SMMUv3.1 (AIDR).
 */
void vm_smmuv3_idr(const struct vfioiommu_mock *m, uint32_t idr[6], uint32_t *iidr, uint32_t *aidr)
{
	unsigned int bits = vm_address_bits(m);
	uint32_t oas = bits <= 32 ? 0 : bits <= 36 ? 1 : bits <= 40 ? 2 : bits <= 42 ? 3 : bits <= 44 ? 4 : bits <= 48 ? 5 : 6;

	idr[0] = 0x944101bu;
	idr[1] = 16u | (m->pasid_bits << 6) | (19u << 16) | (19u << 21);
	idr[2] = 0;
	idr[3] = (1u << 10) | (2u << 11);
	idr[4] = 0;
	idr[5] = oas | 0x70u | (bits > 48 ? 1u << 10 : 0);
	*iidr = 0;
	*aidr = 1;
}

const char *vm_iommu_sysfs_name(const struct vfioiommu_mock *m)
{
	switch (m->iommu_model) {
	case VFIOIOMMU_MOCK_IOMMU_AMD: return "ivhd0";
	case VFIOIOMMU_MOCK_IOMMU_SMMUV3: return "smmu3.0x0000000009050000";
	/* Linux 7.2 names a virtio-iommu after its PCI function (tests/vm: QEMU's is 00:02.0) */
	case VFIOIOMMU_MOCK_IOMMU_VIRTIO: return "0000:00:02.0";
	default: return "dmar0";
	}
}
