/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * The mock kernel's fault region: the producer side of the ring that
 * vfioiommu_ring_attach_region() consumes.  A device may carry one
 * device-specific VFIO region, found by its TYPE capability,
 * READ|WRITE|MMAP, holding the COMPAT ring of
 * vfioiommu/fault.h ({u32 size, prod, cons, reserved}, then 64-byte records
 * from offset 16).  device.c serves REGION_INFO, pread/pwrite and mmap of it
 * through the door; this file owns the memory and plays the kernel that
 * produces into it.
 *
 * Upstream Linux has no such region (docs/kernel-abi.md §9), so the
 * producer follows the design the library consumes (lib/fault/ring.h names the
 * offsets and the record size; nothing is redefined here) the way a careful
 * kernel would: its size and prod are its own, never read back from memory
 * userspace can write; cons is read with ACQUIRE and checked against
 * [last cons seen, prod]; a record is written before prod is published with
 * RELEASE.  Full means the fault is not written (-ENOSPC): a kernel would
 * drop it (and answer a page request itself); the mock tells the test.
 *
 * The region's lifetime is the device model's: created on first use while a
 * device fd is open, the kernel's side released with the last device fd.
 * User mmaps keep the memfd's pages, as on Linux.  A device reset leaves the
 * ring alone: it belongs to the IOMMU side, not to the function's registers.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <vfioiommu/fault.h>

#include "kabi/kabi.h"
#include "fault/internal.h"
#include "mock.h"

#define FR_PAGE 4096ull
#define FR_MAX_BYTES (16ull << 20)

struct fr_state {
	int memfd;
	unsigned char *kva;  /* the kernel's own mapping of the region */
	size_t maplen;       /* page-rounded region size */
	uint32_t size;       /* records, the kernel's copy of the header's size */
	uint32_t prod;       /* the kernel's prod: published, never read back */
	uint32_t cons_seen;  /* last cons that passed the check */
	uint32_t wrap_r;     /* 2^32 % size: see vi_ring_room() */
};

_Static_assert(VFIOIOMMU_RING_COMPAT_HDR == 16 && VI_COMPAT_WAKE + 4 == VFIOIOMMU_RING_COMPAT_HDR,
	       "the header is four u32 words");

static _Atomic uint32_t *word(struct fr_state *s, size_t off)
{
	return (_Atomic uint32_t *)(void *)(s->kva + off);
}

uint32_t vm_fault_region_index(const struct vm_device *d)
{
	return d->fault_bytes ? vm_devmodel_nregions(d) : UINT32_MAX;
}

static void state_free(struct fr_state *s)
{
	if (s->kva)
		munmap(s->kva, s->maplen);
	if (s->memfd >= 0)
		close(s->memfd);
	free(s);
}

/* The kernel allocates and formats the ring the first time the region is used. */
static int state_get(struct vm_device *d, struct fr_state **out)
{
	struct fr_state *s = d->fault_state;
	uint64_t recs;
	int err;

	if (s) {
		*out = s;
		return 0;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->maplen = (size_t)((d->fault_bytes + FR_PAGE - 1) & ~(FR_PAGE - 1));
	s->memfd = memfd_create("vfioiommu-mock-fault-region", MFD_CLOEXEC);
	if (s->memfd < 0 || ftruncate(s->memfd, (off_t)s->maplen) < 0)
		goto fail;
	s->kva = mmap(NULL, s->maplen, PROT_READ | PROT_WRITE, MAP_SHARED, s->memfd, 0);
	if (s->kva == MAP_FAILED) {
		s->kva = NULL;
		goto fail;
	}
	recs = (d->fault_bytes - VFIOIOMMU_RING_COMPAT_HDR) / VI_RING_REC;
	s->size = recs > UINT32_MAX ? UINT32_MAX : (uint32_t)recs;
	s->wrap_r = s->size ? (uint32_t)((UINT64_C(1) << 32) % s->size) : 0;
	/* a fresh memfd reads as zeros: prod = cons = reserved = 0; nobody has mapped it yet */
	atomic_store_explicit(word(s, VI_COMPAT_SIZE), s->size, memory_order_relaxed);
	d->fault_state = s;
	*out = s;
	return 0;
fail:
	err = -errno;
	state_free(s);
	return err;
}

int vm_fault_region_fd(struct vm_device *d)
{
	struct fr_state *s = NULL;
	int rc = state_get(d, &s);

	return rc < 0 ? rc : s->memfd;
}

void vm_fault_region_release(struct vm_device *d)
{
	if (d->fault_state)
		state_free(d->fault_state);
	d->fault_state = NULL;
}

/* The device, its fault region and the kernel's state, under m->lock. */
static int find(struct vfioiommu_mock *m, const char *bdf, struct vm_device **d, struct fr_state **s)
{
	*d = vm_device_find(m, bdf);
	if (!*d || !(*d)->fault_bytes)
		return -ENOENT;
	if (!(*d)->open_count)
		return -ENODEV;
	return state_get(*d, s);
}

/* ---------------- public ---------------- */

VFIOIOMMU_API int vfioiommu_mock_device_add_fault_region(vfioiommu_mock *m, const char *bdf, uint32_t type,
							 uint32_t subtype, uint64_t size_bytes)
{
	struct vm_device *d;
	int rc = 0;

	if (!m || !bdf || size_bytes < VFIOIOMMU_RING_COMPAT_HDR || size_bytes > FR_MAX_BYTES)
		return -EINVAL;
	pthread_mutex_lock(&m->lock);
	d = vm_device_find(m, bdf);
	if (!d)
		rc = -ENOENT;
	else if (d->open_count || d->model_state || d->fault_state)
		rc = -EBUSY;
	else if (d->fault_bytes || vm_devmodel_typed(d, type, subtype))
		rc = -EEXIST;
	else {
		d->fault_bytes = size_bytes;
		d->fault_type = type;
		d->fault_subtype = subtype;
	}
	pthread_mutex_unlock(&m->lock);
	return rc;
}

VFIOIOMMU_API int vfioiommu_mock_device_push_fault(vfioiommu_mock *m, const char *bdf,
						   const struct vfioiommu_fault *rec)
{
	struct vm_device *d;
	struct fr_state *s = NULL;
	uint32_t cons, slot;
	int rc;

	if (!m || !bdf || !rec)
		return -EINVAL;
	pthread_mutex_lock(&m->lock);
	rc = find(m, bdf, &d, &s);
	if (rc < 0)
		goto out;
	/* ACQUIRE: pairs with the consumer's RELEASE store of cons (ring.c cons_commit): it is done with those slots */
	cons = atomic_load_explicit(word(s, VI_COMPAT_CONS), memory_order_acquire);
	if (cons - s->cons_seen > s->prod - s->cons_seen) {
		rc = -EPROTO; /* cons outside [last seen, prod]: userspace broke the ring; write nothing */
		goto out;
	}
	s->cons_seen = cons;
	{
		/* the library's room rule, including the 2^32 wrap of non-power-of-two sizes */
		struct vi_ring_prod v = { .prod = s->prod, .size = s->size, .wrap_r = s->wrap_r };
		if (!s->size || vi_ring_room(&v, cons) == 0) {
			rc = -ENOSPC;
			goto out;
		}
	}
	slot = s->prod % s->size;
	memcpy(s->kva + VFIOIOMMU_RING_COMPAT_HDR + (size_t)slot * VI_RING_REC, rec, VI_RING_REC);
	s->prod++;
	/* RELEASE: pairs with the consumer's ACQUIRE load of prod (ring.c vi_ring_cons_refresh): the record is visible */
	atomic_store_explicit(word(s, VI_COMPAT_PROD), s->prod, memory_order_release);
out:
	pthread_mutex_unlock(&m->lock);
	return rc;
}

VFIOIOMMU_API int vfioiommu_mock_device_poke_fault(vfioiommu_mock *m, const char *bdf, unsigned int which,
						   uint32_t value)
{
	static const size_t offs[] = { VI_COMPAT_SIZE, VI_COMPAT_PROD, VI_COMPAT_CONS, VI_COMPAT_WAKE };
	struct vm_device *d;
	struct fr_state *s = NULL;
	int rc;

	if (!m || !bdf || which >= sizeof(offs) / sizeof(offs[0]))
		return -EINVAL;
	pthread_mutex_lock(&m->lock);
	rc = find(m, bdf, &d, &s);
	/* every region holds the header (add_fault_region: at least 16 bytes).  RELEASE: a broken producer may still publish records it wrote before (pairs with the consumer's ACQUIRE) */
	if (rc == 0)
		atomic_store_explicit(word(s, offs[which]), value, memory_order_release);
	pthread_mutex_unlock(&m->lock);
	return rc;
}
