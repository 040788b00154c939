/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * The mock kernel's VFIO: the container (/dev/vfio/vfio, VFIO's own or
 * iommufd's emulation), group fds (/dev/vfio/N) and device fds (through
 * GROUP_GET_DEVICE_FD or the cdev /dev/vfio/devices/vfioN).
 *
 * Behaviour follows the kernel sources (drivers/vfio/container.c, group.c,
 * vfio_iommu_type1.c, drivers/iommu/iommufd/vfio_compat.c; 6.x) as summed
 * up in docs/kernel-abi.md §1-§5, and made to match what tests/vm/FACTS.md
 * measured on a real kernel (7.2, intel column: the mock's default host is
 * VT-d-like).  "FACTS" below cites that file;
 * "UNVERIFIED" marks what nobody measured (mostly the iommufd compat
 * container, which the VM kernel was built without).
 *
 * Simplification: with the NOIOMMU feature every group may join a no-IOMMU
 * container (the kernel would need a separate noiommu group for that).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kabi/kabi.h"
#include "mock.h"

#define VM_VADDR_INVALID (1u << 31) /* in vm_map.prot: UNMAP|VADDR done, MAP|VADDR pending */
#define VM_COMPAT_IOAS_ID 1         /* iommufd object ids start at 1 */
#define VM_BIND_FLAG_TOKEN (1u << 0)    /* VFIO_DEVICE_BIND_FLAG_TOKEN (6.17), not in kabi.h yet */
#define VM_HUGE_ARGSZ 0x4000000u    /* 64 MiB: what HOSTILE_HUGE_ARGSZ asks for */
#define VM_MIGRATION_DIRTY_MAX (1ull << 28) /* DIRTY_BITMAP_BYTES(INT_MAX pages) */

struct vm_container {
	struct vm_container *next;  /* in vm_vfio.containers */
	int refs;                   /* the file + each attached group */
	bool compat;                /* iommufd's emulation of /dev/vfio/vfio */
	bool compat_ioas;           /* compat: the IOAS exists (made by the first SET_CONTAINER) */
	unsigned long type;         /* 0 until SET_IOMMU: TYPE1, TYPE1v2 or NOIOMMU */
	unsigned int *groups;
	size_t ngroups;
	struct vm_range *ranges;    /* usable IOVA, valid while type1 is set */
	size_t nranges;
	struct vm_maptab maps;
	uint32_t dma_avail;
	bool dirty_on;              /* dirty_type1.c: VFIO_IOMMU_DIRTY_PAGES started */
};

struct vm_gstate {
	unsigned int num;
	bool file_open;
	struct vm_container *c;
	int users;                  /* device fds opened through the group */
};

struct vm_devfile {
	char bdf[VM_BDF_MAX];
	unsigned int group;
	bool cdev;
	bool bound;
};

struct vm_vfio {
	struct vm_container *containers;
};

static const struct vm_file_ops container_ops, group_ops, device_ops;

static struct vm_vfio *vfio_state(struct vfioiommu_mock *m)
{
	if (!m->vfio)
		m->vfio = calloc(1, sizeof(struct vm_vfio));
	return m->vfio;
}

static struct vm_gstate *gstate(struct vm_group *g)
{
	if (!g->priv) {
		struct vm_gstate *gs = calloc(1, sizeof(*gs));
		if (gs)
			gs->num = g->num;
		g->priv = gs;
	}
	return g->priv;
}

static uint64_t min_pgsize(const struct vfioiommu_mock *m)
{
	return m->pgsizes ? m->pgsizes & (~m->pgsizes + 1) : 4096;
}

static int install(struct vfioiommu_mock *m, const struct vm_file_ops *ops, void *obj)
{
	struct vm_file *f = vm_file_new(ops, obj);
	int fd;

	if (!f)
		return -ENOMEM;
	fd = vm_fd_install(m, f);
	if (fd < 0)
		free(f);
	return fd;
}

/* ---------------- containers ---------------- */

static void container_put(struct vfioiommu_mock *m, struct vm_container *c)
{
	struct vm_vfio *v = m->vfio;
	struct vm_container **pp;

	if (--c->refs > 0)
		return;
	for (pp = &v->containers; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	free(c->groups);
	free(c->ranges);
	vm_maps_free(&c->maps);
	free(c);
}

int vm_vfio_open_container(struct vfioiommu_mock *m)
{
	struct vm_vfio *v = vfio_state(m);
	struct vm_container *c;
	int fd;

	if (!v || !(c = calloc(1, sizeof(*c))))
		return -ENOMEM;
	c->refs = 1;
	c->compat = m->features & VFIOIOMMU_MOCK_CONTAINER_COMPAT;
	c->next = v->containers;
	v->containers = c;
	fd = install(m, &container_ops, c);
	if (fd < 0)
		container_put(m, c);
	return fd;
}

/* Usable ranges for the container's groups, plus group @extra when has_extra. */
static int ranges_for(struct vfioiommu_mock *m, const struct vm_container *c, bool has_extra,
		      unsigned int extra, struct vm_range **r, size_t *n)
{
	unsigned int *gs = malloc((c->ngroups + 1) * sizeof(*gs));
	int rc;

	size_t ng = 0;

	if (!gs)
		return -ENOMEM;
	/*
	 * type1 takes its ranges from IOMMU domains; a mediated device's group
	 * brings none.  With only such groups the list is empty: no IOVA_RANGE
	 * cap, any IOVA maps (FACTS.md, mdev).  Returns 1 then.
	 */
	for (size_t i = 0; i < c->ngroups + (has_extra ? 1 : 0); i++) {
		unsigned int g = i < c->ngroups ? c->groups[i] : extra;
		if (!vm_group_is_mdev(m, g))
			gs[ng++] = g;
	}
	if (ng == 0 && c->ngroups + (has_extra ? 1 : 0) > 0) {
		free(gs);
		*r = NULL;
		*n = 0;
		return 1;
	}
	rc = vm_usable_ranges(m, gs, ng, r, n);
	free(gs);
	return rc;
}

static bool in_one_range(const struct vm_range *r, size_t n, uint64_t start, uint64_t last)
{
	for (size_t i = 0; i < n; i++)
		if (start >= r[i].start && last <= r[i].last)
			return true;
	/* type1: an empty list (mdev-only container) accepts any IOVA */
	return n == 0;
}

/* type1 attach: the ranges narrow; empty or clashing with live mappings is EINVAL. */
static int t1_attach(struct vfioiommu_mock *m, struct vm_container *c, bool has_extra, unsigned int extra)
{
	struct vm_range *r;
	size_t n;
	int rc = ranges_for(m, c, has_extra, extra, &r, &n);

	if (rc < 0)
		return rc;
	if (n == 0 && rc != 1) {
		free(r);
		return -EINVAL;
	}
	/* vfio_iommu_aper_conflict / vfio_iommu_resv_conflict (errno UNVERIFIED) */
	for (size_t i = 0; i < c->maps.n; i++) {
		const struct vm_map *mp = &c->maps.v[i];
		if (!in_one_range(r, n, mp->iova, mp->iova + mp->len - 1)) {
			free(r);
			return -EINVAL;
		}
	}
	free(c->ranges);
	c->ranges = r;
	c->nranges = n;
	return 0;
}

static void group_detach(struct vfioiommu_mock *m, struct vm_gstate *gs)
{
	struct vm_container *c = gs->c;
	struct vm_range *r;
	size_t n;

	for (size_t i = 0; i < c->ngroups; i++) {
		if (c->groups[i] == gs->num) {
			memmove(&c->groups[i], &c->groups[i + 1], (c->ngroups - i - 1) * sizeof(*c->groups));
			c->ngroups--;
			break;
		}
	}
	gs->c = NULL;
	if (c->ngroups == 0) {
		/* the last group takes the IOMMU driver with it: mappings go, SET_IOMMU is needed again */
		c->type = 0;
		c->dirty_on = false;
		vm_maps_free(&c->maps);
		free(c->ranges);
		c->ranges = NULL;
		c->nranges = 0;
	} else if (ranges_for(m, c, false, 0, &r, &n) >= 0) {
		/* the remaining groups widen the ranges again; on ENOMEM keep the narrower ones */
		free(c->ranges);
		c->ranges = r;
		c->nranges = n;
	}
	container_put(m, c);
}

static int check_extension(struct vfioiommu_mock *m, struct vm_container *c, unsigned long ext)
{
	bool noiommu = m->features & VFIOIOMMU_MOCK_NOIOMMU;

	if (c->compat) {
		switch (ext) {
		case KABI_VFIO_TYPE1_IOMMU:
		case KABI_VFIO_TYPE1v2_IOMMU:
		case KABI_VFIO_UNMAP_ALL:
			return 1;
		case KABI_VFIO_DMA_CC_IOMMU:
			return c->compat_ioas ? 1 : -ENODEV;
		case KABI_VFIO_NOIOMMU_IOMMU:
			return noiommu;
		default: /* NESTING, UPDATE_VADDR ("hard to see how ... safely") */
			return 0;
		}
	}
	if (c->type == KABI_VFIO_NOIOMMU_IOMMU)
		return ext == KABI_VFIO_NOIOMMU_IOMMU;
	switch (ext) {
	case KABI_VFIO_TYPE1v2_IOMMU:
		/* a host without v2 (pre-3.15 kernels) tests the library's type1 fallback */
		return !!(m->features & VFIOIOMMU_MOCK_TYPE1V2);
	case KABI_VFIO_TYPE1_IOMMU:
	case KABI_VFIO_UNMAP_ALL:
		return 1;
	case KABI_VFIO_NOIOMMU_IOMMU:
		/* before SET_IOMMU every driver is polled; after, only type1 answers */
		return c->type == 0 && noiommu;
	case KABI_VFIO_UPDATE_VADDR:
		/* "iommu && !vfio_iommu_has_emulated(iommu)": FACTS 0 until SET_IOMMU, then 1 */
		return c->type != 0;
	case KABI_VFIO_DMA_CC_IOMMU:
		/*
		 * FACTS.md §2.16, §3 d type1v2_set.CHECK_EXTENSION[4]: 0 before SET_IOMMU everywhere;
		 * after it 1 on amd (the domain enforces cache coherency), 0 on intel (QEMU VT-d has
		 * no snoop control).
		 */
		return c->type != 0 && m->iommu_model == VFIOIOMMU_MOCK_IOMMU_AMD;
	default:
		return 0;
	}
}

static int set_iommu(struct vfioiommu_mock *m, struct vm_container *c, unsigned long type)
{
	int rc;

	if (c->compat) {
		if (type == KABI_VFIO_NOIOMMU_IOMMU && (m->features & VFIOIOMMU_MOCK_NOIOMMU))
			return 0;
		if (type != KABI_VFIO_TYPE1_IOMMU && type != KABI_VFIO_TYPE1v2_IOMMU)
			return -EINVAL;
		if (!c->compat_ioas)
			return -ENODEV;
		/* iommufd has no "already set": TYPE1 only disables large pages */
		c->type = type;
		return 0;
	}
	if (c->ngroups == 0 || c->type)
		return -EINVAL;
	if (type == KABI_VFIO_TYPE1v2_IOMMU && !(m->features & VFIOIOMMU_MOCK_TYPE1V2))
		return -ENODEV; /* FACTS: an extension no driver claims is ENODEV */
	switch (type) {
	case KABI_VFIO_TYPE1_IOMMU:
	case KABI_VFIO_TYPE1v2_IOMMU:
		rc = t1_attach(m, c, false, 0);
		if (rc < 0)
			return rc;
		c->type = type;
		c->dma_avail = m->dma_limit;
		return 0;
	case KABI_VFIO_NOIOMMU_IOMMU:
		if (!(m->features & VFIOIOMMU_MOCK_NOIOMMU))
			return -ENODEV;
		c->type = type;
		return 0;
	default:
		/* no registered driver claims the extension */
		return -ENODEV;
	}
}

/* ---------------- VFIO_IOMMU_GET_INFO ---------------- */

struct capb {
	uint8_t *buf;   /* laid out as the user buffer: caps from offset 24 */
	size_t size;
	size_t first, last;
	size_t iova_at; /* 0: no IOVA_RANGE cap */
	bool any;
};

static void *capb_add(struct capb *b, size_t size, uint16_t id, size_t align)
{
	size_t at = b->size;
	size_t sz = (size + align - 1) & ~(align - 1);
	uint8_t *nb = realloc(b->buf, at + sz);
	struct kabi_vfio_info_cap_header h = { .id = id, .version = 1 };

	if (!nb)
		return NULL;
	b->buf = nb;
	memset(nb + at, 0, sz);
	memcpy(nb + at, &h, sizeof(h));
	if (b->any) {
		uint32_t next = (uint32_t)at;
		memcpy(nb + b->last + 4, &next, sizeof(next));
	} else {
		b->first = at;
	}
	b->any = true;
	b->last = at;
	b->size = at + sz;
	return nb + at;
}

static void put_u32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, sizeof(v));
}

static void put_u64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, sizeof(v));
}

/*
 * type1 since 6.6 (vfio_info_cap_add rounds each cap to 8 bytes): MIGRATION,
 * DMA_AVAIL, IOVA_RANGE (left out when there are no ranges).  The compat
 * container writes DMA_AVAIL (12 bytes, unrounded) then IOVA_RANGE (always).
 */
static int build_caps(struct vfioiommu_mock *m, const struct vm_container *c, struct capb *b)
{
	uint8_t *p;
	bool iova = c->compat || c->nranges;

	b->size = sizeof(struct kabi_vfio_iommu_type1_info);
	if (!c->compat) {
		if (!(p = capb_add(b, sizeof(struct kabi_type1_cap_migration), KABI_TYPE1_CAP_MIGRATION, 8)))
			return -ENOMEM;
		put_u64(p + 16, min_pgsize(m));
		put_u64(p + 24, VM_MIGRATION_DIRTY_MAX);
	}
	if (!(p = capb_add(b, 12, KABI_TYPE1_CAP_DMA_AVAIL, c->compat ? 4 : 8)))
		return -ENOMEM;
	put_u32(p + 8, c->compat ? UINT32_MAX : c->dma_avail);
	if (iova) {
		size_t n = c->nranges;
		if (!(p = capb_add(b, 16 + n * 16, KABI_TYPE1_CAP_IOVA_RANGE, c->compat ? 4 : 8)))
			return -ENOMEM;
		b->iova_at = (size_t)(p - b->buf);
		put_u32(p + 8, (uint32_t)n);
		for (size_t i = 0; i < n; i++) {
			put_u64(p + 16 + i * 16, c->ranges[i].start);
			put_u64(p + 24 + i * 16, c->ranges[i].last);
		}
	}
	return 0;
}

/* Break the chain the way m->hostile asks; returns the size to report. */
static size_t make_hostile(const struct vfioiommu_mock *m, struct capb *b)
{
	unsigned int h = m->hostile;
	size_t size = b->size;

	if (h & VFIOIOMMU_MOCK_HOSTILE_HUGE_COUNTS && b->iova_at)
		put_u32(b->buf + b->iova_at + 8, UINT32_MAX);
	if (h & VFIOIOMMU_MOCK_HOSTILE_CAP_LOOP)
		put_u32(b->buf + b->last + 4, (uint32_t)b->first);
	if (h & VFIOIOMMU_MOCK_HOSTILE_CAP_OOB)
		put_u32(b->buf + b->last + 4, (uint32_t)b->size + 64);
	if (h & VFIOIOMMU_MOCK_HOSTILE_CAP_MISALIGN && b->first != b->last) {
		uint32_t next;
		memcpy(&next, b->buf + b->first + 4, sizeof(next));
		put_u32(b->buf + b->first + 4, next + 2);
	}
	if (h & VFIOIOMMU_MOCK_HOSTILE_CAP_TRUNCATE)
		size -= 8;
	return size;
}

static int get_info(struct vfioiommu_mock *m, struct vm_container *c, void *arg)
{
	struct kabi_vfio_iommu_type1_info info = { 0 };
	struct capb b = { 0 };
	size_t total, minsz;
	int rc;

	/* the kernel copies 16 bytes first; reading argsz alone keeps a short test buffer in bounds */
	memcpy(&info.argsz, arg, sizeof(info.argsz));
	if (info.argsz < KABI_TYPE1_INFO_MIN)
		return -EINVAL;
	memcpy(&info, arg, KABI_TYPE1_INFO_MIN);
	if (c->compat && !c->compat_ioas)
		return -ENODEV;
	minsz = info.argsz < sizeof(info) ? info.argsz : sizeof(info);
	info.flags = KABI_VFIO_IOMMU_INFO_PGSIZES;
	info.iova_pgsizes = m->pgsizes;
	info.cap_offset = 0;
	rc = build_caps(m, c, &b);
	if (rc < 0) {
		free(b.buf);
		return rc;
	}
	total = make_hostile(m, &b);
	info.flags |= KABI_VFIO_IOMMU_INFO_CAPS;
	if (c->compat) {
		/* iommufd writes each cap (and each range) that fits, and always reports the total */
		uint8_t *u = arg;
		size_t dma = b.first, iov = b.iova_at;
		if (info.argsz >= iov)
			memcpy(u + dma, b.buf + dma, iov - dma);
		for (size_t i = 0; iov + 16 + (i + 1) * 16 <= total; i++)
			if (info.argsz >= iov + 16 + (i + 1) * 16)
				memcpy(u + iov + 16 + i * 16, b.buf + iov + 16 + i * 16, 16);
		if (info.argsz >= total)
			memcpy(u + iov, b.buf + iov, 16);
		if (info.argsz >= total)
			info.cap_offset = sizeof(info);
		info.argsz = (uint32_t)total;
	} else if (info.argsz < total) {
		info.argsz = (m->hostile & VFIOIOMMU_MOCK_HOSTILE_HUGE_ARGSZ) ? VM_HUGE_ARGSZ : (uint32_t)total;
	} else {
		memcpy((uint8_t *)arg + sizeof(info), b.buf + sizeof(info), total - sizeof(info));
		info.cap_offset = sizeof(info);
	}
	free(b.buf);
	memcpy(arg, &info, minsz);
	return 0;
}

/* ---------------- MAP_DMA / UNMAP_DMA ---------------- */

static int map_dma(struct vfioiommu_mock *m, struct vm_container *c, struct kabi_vfio_dma_map *map)
{
	uint32_t mask = KABI_VFIO_DMA_MAP_FLAG_READ | KABI_VFIO_DMA_MAP_FLAG_WRITE;
	uint32_t prot;
	bool set_vaddr;
	uint64_t pg = min_pgsize(m), iova, size, vaddr;
	size_t i;

	/* vfio_iommu_type1_map_dma / vfio_dma_do_map, in their order of checks */
	if (map->argsz < sizeof(*map))
		return -EINVAL;
	prot = map->flags & mask;
	set_vaddr = map->flags & KABI_VFIO_DMA_MAP_FLAG_VADDR;
	iova = map->iova;
	size = map->size;
	vaddr = map->vaddr;
	if (!c->compat)
		mask |= KABI_VFIO_DMA_MAP_FLAG_VADDR;
	if (map->flags & ~mask)
		return -EINVAL;
	if (c->compat && !c->compat_ioas)
		return -ENODEV;
	if (!c->compat && ((prot && set_vaddr) || (!prot && !set_vaddr)))
		return -EINVAL;
	if (!size || ((size | iova | vaddr) & (pg - 1)))
		return -EINVAL;
	/* FACTS: iova+size wrapping is EOVERFLOW on both backends */
	if (iova + size - 1 < iova || vaddr + size - 1 < vaddr)
		return -EOVERFLOW;
	i = vm_maps_lower(&c->maps, iova);
	if (c->compat) {
		/* iopt_check_iova: reserved before overlap (UNVERIFIED for the compat path) */
		if (!in_one_range(c->ranges, c->nranges, iova, iova + size - 1))
			return -EINVAL;
		if (i < c->maps.n && c->maps.v[i].iova <= iova + size - 1)
			return -EEXIST;
		return vm_maps_insert(&c->maps, iova, size, vaddr, prot);
	}
	if (set_vaddr) {
		struct vm_map *mp;
		if (i >= c->maps.n || c->maps.v[i].iova > iova + size - 1)
			return -ENOENT;
		mp = &c->maps.v[i];
		if (!(mp->prot & VM_VADDR_INVALID) || mp->iova != iova || mp->len != size)
			return -EINVAL;
		mp->vaddr = vaddr;
		mp->prot &= ~VM_VADDR_INVALID;
		return 0;
	}
	if (i < c->maps.n && c->maps.v[i].iova <= iova + size - 1)
		return -EEXIST;
	if (!c->dma_avail)
		return -ENOSPC;
	if (!in_one_range(c->ranges, c->nranges, iova, iova + size - 1))
		return -EINVAL;
	if (vm_maps_insert(&c->maps, iova, size, vaddr, prot) < 0)
		return -ENOMEM;
	c->dma_avail--;
	return 0;
}

/* vfio_dma_do_unmap: v1 keeps the old "unmap whole mappings that start in the range" rule. */
static int t1_unmap(struct vfioiommu_mock *m, struct vm_container *c, struct kabi_vfio_dma_unmap *u)
{
	uint32_t mask = KABI_VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP | KABI_VFIO_DMA_UNMAP_FLAG_ALL |
			KABI_VFIO_DMA_UNMAP_FLAG_VADDR;
	bool all, vaddr, v2 = c->type == KABI_VFIO_TYPE1v2_IOMMU;
	uint64_t pg = min_pgsize(m), iova, size, last, unmapped = 0;
	size_t i, first;

	if (u->argsz < sizeof(*u) || (u->flags & ~mask))
		return -EINVAL;
	all = u->flags & KABI_VFIO_DMA_UNMAP_FLAG_ALL;
	vaddr = u->flags & KABI_VFIO_DMA_UNMAP_FLAG_VADDR;
	iova = u->iova;
	size = u->size;
	bool bitmap = u->flags & KABI_VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP, full = false;
	int rc = 0;

	if (bitmap) {
		if ((rc = vm_type1_unmap_bitmap_check(u, c->dirty_on, pg)) < 0)
			return rc;
		for (size_t k = 0; k < c->ngroups; k++)
			full = full || !vm_group_is_mdev(m, c->groups[k]);
	}
	if (iova & (pg - 1))
		return -EINVAL;
	if (all) {
		if (iova || size)
			return -EINVAL;
		last = UINT64_MAX;
	} else {
		if (!size || (size & (pg - 1)) || iova + size - 1 < iova)
			return -EINVAL;
		last = iova + size - 1;
	}
	first = vm_maps_lower(&c->maps, iova);
	if (v2 && !all) {
		/* v2 never splits: a mapping may not straddle either end of the range */
		size_t j = vm_maps_lower(&c->maps, last);
		if (first < c->maps.n && c->maps.v[first].iova < iova)
			return -EINVAL;
		if (j < c->maps.n && c->maps.v[j].iova < last && c->maps.v[j].iova + c->maps.v[j].len - 1 > last)
			return -EINVAL;
	}
	i = first;
	while (i < c->maps.n && c->maps.v[i].iova <= last) {
		struct vm_map *mp = &c->maps.v[i];
		/* v1: a mapping that starts before the range stops the unmap, with success */
		if (!v2 && iova > mp->iova)
			break;
		if (vaddr) {
			if (mp->prot & VM_VADDR_INVALID) {
				for (size_t k = first; k < i; k++)
					c->maps.v[k].prot &= ~VM_VADDR_INVALID;
				return -EINVAL;
			}
			mp->prot |= VM_VADDR_INVALID;
			unmapped += mp->len;
			i++;
			continue;
		}
		if (bitmap && (rc = vm_type1_unmap_bitmap_put(u, mp, pg, full)) < 0)
			break;
		unmapped += mp->len;
		vm_maps_remove_at(&c->maps, i);
		c->dma_avail++;
	}
	u->size = unmapped;
	/* a bitmap the kernel could not write stops the walk: what went before stays unmapped */
	return bitmap && rc < 0 ? rc : 0;
}

/* iommufd_vfio_unmap_dma + iopt_unmap_iova (errnos UNVERIFIED for the compat path). */
static int compat_unmap(struct vfioiommu_mock *m, struct vm_container *c, struct kabi_vfio_dma_unmap *u)
{
	uint64_t last, unmapped = 0;
	size_t i, j;

	if (u->argsz < sizeof(*u) || (u->flags & ~KABI_VFIO_DMA_UNMAP_FLAG_ALL))
		return -EINVAL;
	if (!c->compat_ioas)
		return -ENODEV;
	if (u->flags & KABI_VFIO_DMA_UNMAP_FLAG_ALL) {
		if (u->iova || u->size)
			return -EINVAL;
		for (i = 0; i < c->maps.n; i++)
			unmapped += c->maps.v[i].len;
		vm_maps_free(&c->maps);
		u->size = unmapped;
		return 0;
	}
	if (!u->size)
		return -EINVAL;
	if (u->iova + u->size - 1 < u->iova)
		return -EOVERFLOW;
	last = u->iova + u->size - 1;
	i = vm_maps_lower(&c->maps, u->iova);
	j = vm_maps_lower(&c->maps, last);
	/* TYPE1 on iommufd disables large pages so any sub-range can be cut out; v2 cannot */
	if (c->type == KABI_VFIO_TYPE1_IOMMU) {
		if (i < c->maps.n && c->maps.v[i].iova < u->iova) {
			struct vm_map head = c->maps.v[i];
			uint64_t keep = u->iova - head.iova;
			c->maps.v[i].len = keep;
			if (vm_maps_insert(&c->maps, u->iova, head.len - keep, head.vaddr + keep, head.prot) < 0) {
				c->maps.v[i].len = head.len;
				return -ENOMEM;
			}
		}
		j = vm_maps_lower(&c->maps, last);
		if (j < c->maps.n && c->maps.v[j].iova <= last && c->maps.v[j].iova + c->maps.v[j].len - 1 > last) {
			struct vm_map tail = c->maps.v[j];
			uint64_t keep = last - tail.iova + 1;
			c->maps.v[j].len = keep;
			if (vm_maps_insert(&c->maps, last + 1, tail.len - keep, tail.vaddr + keep, tail.prot) < 0) {
				c->maps.v[j].len = tail.len;
				return -ENOMEM;
			}
		}
		i = vm_maps_lower(&c->maps, u->iova);
	} else {
		if ((i < c->maps.n && c->maps.v[i].iova < u->iova && c->maps.v[i].iova <= last) ||
		    (j < c->maps.n && c->maps.v[j].iova <= last && c->maps.v[j].iova + c->maps.v[j].len - 1 > last))
			return -ENOENT;
	}
	while (i < c->maps.n && c->maps.v[i].iova <= last) {
		unmapped += c->maps.v[i].len;
		vm_maps_remove_at(&c->maps, i);
	}
	if (!unmapped)
		return -ENOENT;
	u->size = unmapped;
	return 0;
}

/* ---------------- the container fd ---------------- */

static int compat_vfio_ioas(struct vm_container *c, struct kabi_iommu_vfio_ioas *q)
{
	if (q->size < sizeof(*q))
		return -EINVAL;
	if (q->__reserved)
		return -EOPNOTSUPP;
	if (q->op != KABI_IOMMU_VFIO_IOAS_GET)
		return -EOPNOTSUPP; /* SET / CLEAR: not modelled */
	if (!c->compat_ioas)
		return -ENODEV;
	q->ioas_id = VM_COMPAT_IOAS_ID;
	return 0;
}

static int container_ioctl(struct vfioiommu_mock *m, struct vm_file *f, unsigned long req, void *arg)
{
	struct vm_container *c = f->obj;

	switch (req) {
	case KABI_VFIO_GET_API_VERSION:
		return KABI_VFIO_API_VERSION;
	case KABI_VFIO_CHECK_EXTENSION:
		return check_extension(m, c, (unsigned long)(uintptr_t)arg);
	case KABI_VFIO_SET_IOMMU:
		return set_iommu(m, c, (unsigned long)(uintptr_t)arg);
	}
	if (!arg && (req == KABI_VFIO_IOMMU_GET_INFO || req == KABI_VFIO_IOMMU_MAP_DMA ||
		     req == KABI_VFIO_IOMMU_UNMAP_DMA || req == KABI_IOMMU_VFIO_IOAS))
		return -EFAULT;
	if (c->compat) {
		switch (req) {
		case KABI_IOMMU_VFIO_IOAS:
			return compat_vfio_ioas(c, arg);
		case KABI_VFIO_IOMMU_GET_INFO:
			return get_info(m, c, arg);
		case KABI_VFIO_IOMMU_MAP_DMA:
			return map_dma(m, c, arg);
		case KABI_VFIO_IOMMU_UNMAP_DMA:
			return compat_unmap(m, c, arg);
		default:
			/* the IOAS ioctls of a real iommufd are not modelled on the compat fd */
			return -ENOTTY;
		}
	}
	/* container.c: with no driver set there is nobody to pass the ioctl to */
	if (c->type == 0)
		return -EINVAL;
	if (c->type == KABI_VFIO_NOIOMMU_IOMMU)
		return -ENOTTY;
	switch (req) {
	case KABI_VFIO_IOMMU_GET_INFO:
		return get_info(m, c, arg);
	case KABI_VFIO_IOMMU_MAP_DMA:
		return map_dma(m, c, arg);
	case KABI_VFIO_IOMMU_UNMAP_DMA:
		return t1_unmap(m, c, arg);
	case KABI_VFIO_IOMMU_DIRTY_PAGES: {
		bool pci = false;
		for (size_t i = 0; i < c->ngroups; i++)
			pci = pci || !vm_group_is_mdev(m, c->groups[i]);
		return arg ? vm_type1_dirty(&c->maps, &c->dirty_on, c->type == KABI_VFIO_TYPE1v2_IOMMU, min_pgsize(m), pci,
					    arg) : -EFAULT;
	}
	default:
		return -ENOTTY;
	}
}

static void container_release(struct vfioiommu_mock *m, struct vm_file *f)
{
	container_put(m, f->obj);
}

static const struct vm_file_ops container_ops = {
	.name = "vfio-container",
	.ioctl = container_ioctl,
	.release = container_release,
};

/* ---------------- group fds ---------------- */

int vm_vfio_open_group(struct vfioiommu_mock *m, unsigned int num)
{
	struct vm_group *g = vm_group_find(m, num);
	struct vm_gstate *gs;
	int fd;

	if (!g)
		return -ENOENT;
	if (!(gs = gstate(g)))
		return -ENOMEM;
	/* one opener at a time; device fds keep the group open after its fd closed */
	if (gs->file_open || gs->users)
		return -EBUSY;
	/* vfio_group_fops_open: a device of the group bound through its cdev blocks the group */
	for (size_t i = 0; i < m->ndevs; i++)
		if (m->devs[i].group == num && m->devs[i].via_cdev && m->devs[i].open_count)
			return -EBUSY;
	fd = install(m, &group_ops, gs);
	if (fd < 0)
		return fd;
	gs->file_open = true;
	g->open_count = 1;
	return fd;
}

static int group_set_container(struct vfioiommu_mock *m, struct vm_gstate *gs, const int32_t *arg)
{
	struct vm_group *g = vm_group_find(m, gs->num);
	struct vm_file *cf;
	struct vm_container *c;
	unsigned int *ng;
	int rc;

	if (!arg)
		return -EFAULT;
	cf = *arg >= 0 ? vm_fd_get(m, *arg) : NULL;
	if (!cf)
		return -EBADF;
	if (gs->c)
		return -EINVAL; /* vfio_group_has_iommu() */
	if (cf->ops != &container_ops)
		return -EBADFD; /* an iommufd here binds the group to it: not modelled */
	c = cf->obj;
	if (!g)
		return -ENODEV;
	if (!c->compat) {
		/* iommu_group_claim_dma_owner: a kernel driver holds the group */
		if (!vm_group_viable(m, g, NULL))
			return -EPERM;
		/* the blocking domain is refused for RESV_DIRECT devices (6.6+) */
		if (vm_group_has_direct(g))
			return -EINVAL;
		if (c->type == KABI_VFIO_TYPE1_IOMMU || c->type == KABI_VFIO_TYPE1v2_IOMMU) {
			rc = t1_attach(m, c, true, gs->num);
			if (rc < 0)
				return rc;
		}
	}
	ng = realloc(c->groups, (c->ngroups + 1) * sizeof(*ng));
	if (!ng)
		return -ENOMEM;
	c->groups = ng;
	c->groups[c->ngroups++] = gs->num;
	if (c->compat) {
		struct vm_range *r;
		size_t n;
		/* the compat IOAS appears with the first group; its ranges follow the groups */
		c->compat_ioas = true;
		if (ranges_for(m, c, false, 0, &r, &n) >= 0) {
			free(c->ranges);
			c->ranges = r;
			c->nranges = n;
		}
	}
	c->refs++;
	gs->c = c;
	return 0;
}

/* The group's device called @name ("BDF" optionally followed by " options"). */
static struct vm_device *group_device(struct vfioiommu_mock *m, unsigned int group, const char *name,
				      bool *options)
{
	size_t len = strnlen(name, VM_BDF_MAX + 1);

	for (size_t i = 0; i < m->ndevs; i++) {
		struct vm_device *d = &m->devs[i];
		size_t bl = strlen(d->bdf);
		if (d->group != group || !vm_driver_is_vfio(d->driver) || len < bl || strncmp(name, d->bdf, bl))
			continue;
		if (name[bl] != '\0' && name[bl] != ' ')
			continue;
		*options = name[bl] == ' ';
		return d;
	}
	return NULL;
}

static int group_get_device_fd(struct vfioiommu_mock *m, struct vm_gstate *gs, const char *name)
{
	struct vm_group *g = vm_group_find(m, gs->num);
	struct vm_devfile *df;
	struct vm_device *d;
	bool options = false;
	int fd;

	if (!name)
		return -EFAULT;
	if (strnlen(name, 4096) == 4096)
		return -EINVAL;
	d = group_device(m, gs->num, name, &options);
	if (!d)
		return -ENODEV;
	if (!gs->c)
		return -EINVAL;
	if (gs->c->compat) {
		/* with iommufd the DMA ownership is claimed here, not at SET_CONTAINER */
		if (!g || !vm_group_viable(m, g, NULL))
			return -EPERM;
		if (vm_group_has_direct(g))
			return -EINVAL;
	} else if (!gs->c->type) {
		return -EINVAL; /* vfio_group_use_container: SET_IOMMU not done */
	}
	if (d->via_cdev && d->open_count)
		return -EBUSY;
	{
		/* FACTS l: "BDF vf_token=UUID", extra spaces allowed; anything else after the address EINVAL */
		uint8_t tok[16];
		int rc = options ? vm_sriov_name_token(name + strlen(d->bdf), tok) : 0;

		if (rc == 0)
			rc = vm_sriov_check_token(m, d, options ? tok : NULL);
		if (rc < 0)
			return rc;
	}
	if (!(df = calloc(1, sizeof(*df))))
		return -ENOMEM;
	snprintf(df->bdf, sizeof(df->bdf), "%s", d->bdf);
	df->group = gs->num;
	fd = install(m, &device_ops, df);
	if (fd < 0) {
		free(df);
		return fd;
	}
	d->open_count++;
	gs->users++;
	return fd;
}

static int group_ioctl(struct vfioiommu_mock *m, struct vm_file *f, unsigned long req, void *arg)
{
	struct vm_gstate *gs = f->obj;
	struct vm_group *g;

	switch (req) {
	case KABI_VFIO_GROUP_GET_STATUS: {
		struct kabi_vfio_group_status *st = arg;
		if (!st)
			return -EFAULT;
		if (st->argsz < sizeof(*st))
			return -EINVAL;
		g = vm_group_find(m, gs->num);
		if (!g)
			return -ENODEV;
		st->flags = 0;
		if (gs->c)
			st->flags = KABI_VFIO_GROUP_FLAGS_CONTAINER_SET | KABI_VFIO_GROUP_FLAGS_VIABLE;
		else if (vm_group_viable(m, g, NULL))
			st->flags = KABI_VFIO_GROUP_FLAGS_VIABLE;
		return 0;
	}
	case KABI_VFIO_GROUP_SET_CONTAINER:
		return group_set_container(m, gs, arg);
	case KABI_VFIO_GROUP_UNSET_CONTAINER:
		if (!gs->c)
			return -EINVAL;
		if (gs->users)
			return -EBUSY; /* container_users != 1 (UNVERIFIED errno) */
		group_detach(m, gs);
		return 0;
	case KABI_VFIO_GROUP_GET_DEVICE_FD:
		return group_get_device_fd(m, gs, arg);
	default:
		return -ENOTTY;
	}
}

static void group_release(struct vfioiommu_mock *m, struct vm_file *f)
{
	struct vm_gstate *gs = f->obj;
	struct vm_group *g = vm_group_find(m, gs->num);

	gs->file_open = false;
	if (g)
		g->open_count = 0;
	if (!gs->users && gs->c)
		group_detach(m, gs);
}

static const struct vm_file_ops group_ops = {
	.name = "vfio-group",
	.ioctl = group_ioctl,
	.release = group_release,
};

/* ---------------- device fds ---------------- */

int vm_vfio_open_cdev(struct vfioiommu_mock *m, struct vm_device *d)
{
	struct vm_devfile *df = calloc(1, sizeof(*df));
	int fd;

	if (!df)
		return -ENOMEM;
	snprintf(df->bdf, sizeof(df->bdf), "%s", d->bdf);
	df->group = d->group;
	df->cdev = true;
	fd = install(m, &device_ops, df);
	if (fd < 0)
		free(df);
	return fd;
}

static int cdev_bind(struct vfioiommu_mock *m, struct vm_devfile *df, struct vm_device *d,
		     struct kabi_vfio_device_bind_iommufd *b)
{
	struct vm_group *g = vm_group_find(m, df->group);
	struct vm_gstate *gs = g ? g->priv : NULL;
	uint32_t devid = 0;
	int rc;

	if (!b)
		return -EFAULT;
	/*
	 * FACTS (7.2, with the 6.19 ksize fix): argsz 12 EINVAL, a non-zero tail
	 * past 24 bytes E2BIG, argsz 24 with a zero token pointer ok.
	 */
	if (b->argsz < KABI_BIND_IOMMUFD_MIN)
		return -EINVAL;
	rc = vm_check_size(b, b->argsz, KABI_BIND_IOMMUFD_MIN, sizeof(*b));
	if (rc < 0)
		return rc;
	if ((b->flags & ~VM_BIND_FLAG_TOKEN) || b->iommufd < 0)
		return -EINVAL;
	if (df->bound)
		return -EINVAL;
	/* FACTS: EBUSY while the group is open, with or without device fds */
	if (gs && (gs->file_open || gs->users))
		return -EBUSY;
	if (d->open_count)
		return -EINVAL; /* the cdev path opens a device once */
	{
		/* FACTS l: a pointer cut off by argsz 16 reads as NULL (EFAULT); without the flag no token */
		uint64_t ptr = b->argsz >= sizeof(*b) ? b->token_uuid_ptr : 0;
		uint8_t tok[16];

		if ((b->flags & VM_BIND_FLAG_TOKEN) && !ptr)
			return -EFAULT;
		if (b->flags & VM_BIND_FLAG_TOKEN)
			memcpy(tok, (const void *)(uintptr_t)ptr, sizeof(tok)); /* copy_from_user: same process */
		rc = vm_sriov_check_token(m, d, (b->flags & VM_BIND_FLAG_TOKEN) ? tok : NULL);
		if (rc < 0)
			return rc;
	}
	/* DMA ownership, RESV_DIRECT and viability are iommufd_device_bind's business */
	rc = vm_iommufd_bind(m, b->iommufd, d, &devid);
	if (rc < 0)
		return rc;
	b->out_devid = devid;
	df->bound = true;
	d->open_count++;
	d->via_cdev = true;
	/* device.c: the hot-reset ownership checks compare bindings */
	d->cdev_devid = devid;
	d->cdev_ictx = vm_fd_get(m, b->iommufd)->obj;
	return 0;
}

static int cdev_attach(struct vfioiommu_mock *m, struct vm_device *d, struct kabi_vfio_device_attach_iommufd_pt *a)
{
	uint32_t pasid = 0, pt_id;
	int rc;

	if (!a)
		return -EFAULT;
	if (a->argsz < KABI_ATTACH_PT_MIN)
		return -EINVAL;
	/* before 6.15 any flag is EINVAL */
	if (!(m->features & VFIOIOMMU_MOCK_PASID_ATTACH) && a->flags)
		return -EINVAL;
	if (a->flags & ~KABI_VFIO_DEVICE_ATTACH_PASID)
		return -EINVAL;
	if (a->flags & KABI_VFIO_DEVICE_ATTACH_PASID) {
		if (a->argsz < sizeof(*a))
			return -EINVAL;
		pasid = a->pasid;
	}
	pt_id = a->pt_id;
	rc = vm_iommufd_attach(m, d, a->flags, pasid, &pt_id);
	if (rc < 0)
		return rc;
	a->pt_id = pt_id;
	return 0;
}

static int cdev_detach(struct vfioiommu_mock *m, struct vm_device *d, struct kabi_vfio_device_detach_iommufd_pt *a)
{
	uint32_t pasid = 0;

	if (!a)
		return -EFAULT;
	if (a->argsz < KABI_DETACH_PT_MIN)
		return -EINVAL;
	if (!(m->features & VFIOIOMMU_MOCK_PASID_ATTACH) && a->flags)
		return -EINVAL;
	if (a->flags & ~KABI_VFIO_DEVICE_DETACH_PASID)
		return -EINVAL;
	if (a->flags & KABI_VFIO_DEVICE_DETACH_PASID) {
		if (a->argsz < sizeof(*a))
			return -EINVAL;
		pasid = a->pasid;
	}
	return vm_iommufd_detach(m, d, a->flags, pasid);
}

static int device_ioctl(struct vfioiommu_mock *m, struct vm_file *f, unsigned long req, void *arg)
{
	struct vm_devfile *df = f->obj;
	struct vm_device *d = vm_device_find(m, df->bdf);
	int rc;

	if (!d)
		return -ENODEV;
	if (df->cdev) {
		if (req == KABI_VFIO_DEVICE_BIND_IOMMUFD)
			return cdev_bind(m, df, d, arg);
		/* access is granted by BIND only */
		if (!df->bound)
			return -EINVAL;
		if (req == KABI_VFIO_DEVICE_ATTACH_IOMMUFD_PT)
			return cdev_attach(m, d, arg);
		if (req == KABI_VFIO_DEVICE_DETACH_IOMMUFD_PT)
			return cdev_detach(m, d, arg);
	}
	/* regions, IRQs, reset: the device model (device.c) */
	rc = vm_devmodel_ioctl(m, d, df->cdev, req, arg);
	if (rc != VM_DEVMODEL_NOT_MINE)
		return rc;
	switch (req) {
	case KABI_VFIO_DEVICE_BIND_IOMMUFD:
		return -EINVAL; /* BIND on a group-opened fd */
	default:
		return -ENOTTY; /* vfio-pci's default */
	}
}

static void device_release(struct vfioiommu_mock *m, struct vm_file *f)
{
	struct vm_devfile *df = f->obj;
	struct vm_device *d = vm_device_find(m, df->bdf);
	struct vm_group *g = vm_group_find(m, df->group);
	struct vm_gstate *gs = g ? g->priv : NULL;

	if (df->cdev) {
		if (df->bound && d) {
			vm_iommufd_unbind(m, d);
			d->open_count--;
			if (!d->open_count)
				d->via_cdev = false;
			d->cdev_devid = 0;
			d->cdev_ictx = NULL;
		}
	} else {
		if (d && d->open_count)
			d->open_count--;
		if (gs && gs->users && --gs->users == 0 && !gs->file_open && gs->c)
			group_detach(m, gs);
	}
	if (d && !d->open_count) {
		vm_devmodel_release(m, d);
		vm_mig_release(d);
	}
	free(df);
}

/* read/write/mmap are gated on BIND like the ioctls (vfio_device_fops: access_granted), then device.c */
static struct vm_device *device_granted(struct vfioiommu_mock *m, struct vm_file *f)
{
	struct vm_devfile *df = f->obj;

	return df->cdev && !df->bound ? NULL : vm_device_find(m, df->bdf);
}

static ssize_t device_pread(struct vfioiommu_mock *m, struct vm_file *f, void *buf, size_t n, int64_t off)
{
	struct vm_device *d = device_granted(m, f);

	return d ? vm_devmodel_pread(m, d, buf, n, off) : -EINVAL;
}

static ssize_t device_pwrite(struct vfioiommu_mock *m, struct vm_file *f, const void *buf, size_t n, int64_t off)
{
	struct vm_device *d = device_granted(m, f);

	return d ? vm_devmodel_pwrite(m, d, buf, n, off) : -EINVAL;
}

static int device_mmap(struct vfioiommu_mock *m, struct vm_file *f, size_t len, int prot, int64_t off, void **out)
{
	struct vm_device *d = device_granted(m, f);

	return d ? vm_devmodel_mmap(m, d, len, prot, off, out) : -EINVAL;
}

static const struct vm_file_ops device_ops = {
	.name = "vfio-device",
	.ioctl = device_ioctl,
	.pread = device_pread,
	.pwrite = device_pwrite,
	.mmap = device_mmap,
	.release = device_release,
};

void vm_vfio_destroy(struct vfioiommu_mock *m)
{
	struct vm_vfio *v = m->vfio;

	/* the door released every fd first, so containers are normally gone already */
	while (v && v->containers) {
		struct vm_container *c = v->containers;
		v->containers = c->next;
		free(c->groups);
		free(c->ranges);
		vm_maps_free(&c->maps);
		free(c);
	}
	for (size_t i = 0; i < m->ngroups; i++) {
		free(m->groups[i].priv);
		m->groups[i].priv = NULL;
	}
	free(v);
	m->vfio = NULL;
}
