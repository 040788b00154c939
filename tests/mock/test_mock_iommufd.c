/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * The mock's /dev/iommu through the door, against the contracts in
 * docs/kernel-abi.md §6 and what tests/vm/FACTS.md measured on 7.2.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include <vfioiommu/mock.h>
#include "helpers.h"
#include "core/door.h"
#include "kabi/kabi.h"
#include "mock/mock.h"

#define U64_MAX UINT64_MAX
#define RW (KABI_IOMMU_IOAS_MAP_READABLE | KABI_IOMMU_IOAS_MAP_WRITEABLE)
#define FIX (KABI_IOMMU_IOAS_MAP_FIXED_IOVA | RW)
#define MEMSZ (4u << 20)

/* cdev indexes in th_host_default: order of the device lines */
/* the kernel numbers cdevs among vfio-bound devices only: 0000:00:05.1 (e1000e) has none */
enum { CDEV_G3 = 0, CDEV_G4A = 1, CDEV_G4B = 2, CDEV_G5 = 3, CDEV_G6 = 4, CDEV_G7 = 5 };

struct env {
	vfioiommu_mock *m;
	const vfioiommu_door *d;
	int ifd;
	uint8_t *mem; /* 2 MiB aligned, MEMSZ bytes */
	void *raw;
};

static int kio(struct env *e, int fd, unsigned long req, void *arg)
{
	return e->d->ioctl(e->d->priv, fd, req, arg);
}

static void env_up(struct env *e, const char *host)
{
	memset(e, 0, sizeof(*e));
	e->m = th_mock(host ? host : th_host_default);
	e->d = vfioiommu_mock_door(e->m);
	e->ifd = e->d->open(e->d->priv, "/dev/iommu", O_RDWR);
	assert_true(e->ifd >= VFIOIOMMU_MOCK_FD_BASE);
	e->raw = mmap(NULL, MEMSZ + (2u << 20), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(e->raw != MAP_FAILED);
	e->mem = (uint8_t *)(((uintptr_t)e->raw + (2u << 20) - 1) & ~(uintptr_t)((2u << 20) - 1));
}

static void env_down(struct env *e)
{
	if (e->ifd >= 0)
		assert_int_equal(e->d->close(e->d->priv, e->ifd), 0);
	th_mock_done(e->m);
	munmap(e->raw, MEMSZ + (2u << 20));
}

static uint32_t ioas_new(struct env *e)
{
	struct kabi_iommu_ioas_alloc a = { .size = sizeof(a) };

	assert_int_equal(kio(e, e->ifd, KABI_IOMMU_IOAS_ALLOC, &a), 0);
	assert_true(a.out_ioas_id > 0);
	return a.out_ioas_id;
}

static int destroy(struct env *e, uint32_t id)
{
	struct kabi_iommu_destroy d = { .size = sizeof(d), .id = id };

	return kio(e, e->ifd, KABI_IOMMU_DESTROY, &d);
}

static int cdev_open(struct env *e, unsigned int idx)
{
	char p[64];

	snprintf(p, sizeof(p), "/dev/vfio/devices/vfio%u", idx);
	return e->d->open(e->d->priv, p, O_RDWR);
}

static int bind_fd(struct env *e, int dfd, int ifd, uint32_t *devid)
{
	struct kabi_vfio_device_bind_iommufd b = { .argsz = KABI_BIND_IOMMUFD_MIN, .iommufd = ifd };
	int rc = kio(e, dfd, KABI_VFIO_DEVICE_BIND_IOMMUFD, &b);

	if (devid)
		*devid = b.out_devid;
	return rc;
}

/* open + bind a cdev; returns the fd */
static int dev_bound(struct env *e, unsigned int idx, uint32_t *devid)
{
	int dfd = cdev_open(e, idx);

	assert_true(dfd >= VFIOIOMMU_MOCK_FD_BASE);
	assert_int_equal(bind_fd(e, dfd, e->ifd, devid), 0);
	return dfd;
}

static int attach(struct env *e, int dfd, uint32_t pt, uint32_t *out)
{
	struct kabi_vfio_device_attach_iommufd_pt a = { .argsz = KABI_ATTACH_PT_MIN, .pt_id = pt };
	int rc = kio(e, dfd, KABI_VFIO_DEVICE_ATTACH_IOMMUFD_PT, &a);

	if (out)
		*out = a.pt_id;
	return rc;
}

static int attach_pasid(struct env *e, int dfd, uint32_t pt, uint32_t pasid)
{
	struct kabi_vfio_device_attach_iommufd_pt a = {
		.argsz = sizeof(a), .flags = KABI_VFIO_DEVICE_ATTACH_PASID, .pt_id = pt, .pasid = pasid,
	};

	return kio(e, dfd, KABI_VFIO_DEVICE_ATTACH_IOMMUFD_PT, &a);
}

static int detach(struct env *e, int dfd)
{
	struct kabi_vfio_device_detach_iommufd_pt d = { .argsz = KABI_DETACH_PT_MIN };

	return kio(e, dfd, KABI_VFIO_DEVICE_DETACH_IOMMUFD_PT, &d);
}

static void dclose(struct env *e, int fd)
{
	assert_int_equal(e->d->close(e->d->priv, fd), 0);
}

static int ranges(struct env *e, uint32_t ioas, struct kabi_iommu_iova_range *r, uint32_t cap, uint32_t *n,
		  uint64_t *align)
{
	struct kabi_iommu_ioas_iova_ranges q = {
		.size = sizeof(q), .ioas_id = ioas, .num_iovas = cap, .allowed_iovas = (uintptr_t)r,
	};
	int rc = kio(e, e->ifd, KABI_IOMMU_IOAS_IOVA_RANGES, &q);

	if (n)
		*n = q.num_iovas;
	if (align)
		*align = q.out_iova_alignment;
	return rc;
}

static int map(struct env *e, uint32_t ioas, uint32_t flags, uint64_t va, uint64_t iova, uint64_t len,
	       uint64_t *out)
{
	struct kabi_iommu_ioas_map m = {
		.size = sizeof(m), .flags = flags, .ioas_id = ioas, .user_va = va, .length = len, .iova = iova,
	};
	int rc = kio(e, e->ifd, KABI_IOMMU_IOAS_MAP, &m);

	if (out)
		*out = m.iova;
	return rc;
}

static int unmap(struct env *e, uint32_t ioas, uint64_t iova, uint64_t len, uint64_t *out)
{
	struct kabi_iommu_ioas_unmap u = { .size = sizeof(u), .ioas_id = ioas, .iova = iova, .length = len };
	int rc = kio(e, e->ifd, KABI_IOMMU_IOAS_UNMAP, &u);

	if (out)
		*out = u.length;
	return rc;
}

static uint64_t va(struct env *e, uint64_t off)
{
	return (uint64_t)(uintptr_t)e->mem + off;
}

/* ---------------------------------------------------------------- size contracts */

struct cmdsz {
	unsigned long req;
	uint32_t min, ksize;
};

static const struct cmdsz sizes[] = {
	{ KABI_IOMMU_DESTROY, 8, 8 },
	{ KABI_IOMMU_IOAS_ALLOC, 12, 12 },
	{ KABI_IOMMU_IOAS_ALLOW_IOVAS, 24, 24 },
	{ KABI_IOMMU_IOAS_IOVA_RANGES, 32, 32 },
	{ KABI_IOMMU_IOAS_MAP, 40, 40 },
	{ KABI_IOMMU_IOAS_UNMAP, 24, 24 },
	{ KABI_IOMMU_OPTION, 24, 24 },
	{ KABI_IOMMU_VFIO_IOAS, 12, 12 },
	{ KABI_IOMMU_HWPT_ALLOC, 24, 48 },
	{ KABI_IOMMU_GET_HW_INFO, 32, 40 },
	{ KABI_IOMMU_FAULT_QUEUE_ALLOC, 16, 16 },
	{ KABI_IOMMU_IOAS_MAP_FILE, 40, 40 },
};

static void size_contracts(void **state)
{
	struct env e;
	uint8_t buf[8192];

	env_up(&e, NULL);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		uint32_t sz;
		/* below the op's minimum: EINVAL, whatever follows */
		memset(buf, 0, sizeof(buf));
		sz = sizes[i].min - 1;
		memcpy(buf, &sz, 4);
		assert_int_equal(kio(&e, e.ifd, sizes[i].req, buf), -EINVAL);
		sz = 4;
		memcpy(buf, &sz, 4);
		assert_int_equal(kio(&e, e.ifd, sizes[i].req, buf), -EINVAL);
		/* past the kernel's struct: a non-zero byte anywhere in the tail is E2BIG */
		sz = sizes[i].ksize + 8;
		memcpy(buf, &sz, 4);
		buf[sizes[i].ksize + 7] = 1;
		assert_int_equal(kio(&e, e.ifd, sizes[i].req, buf), -E2BIG);
		buf[sizes[i].ksize + 7] = 0;
		buf[sizes[i].ksize] = 0x80;
		assert_int_equal(kio(&e, e.ifd, sizes[i].req, buf), -E2BIG);
		/* no argument at all */
		assert_int_equal(kio(&e, e.ifd, sizes[i].req, NULL), -EFAULT);
	}
	/* FACTS: IOAS_ALLOC size 8/11 EINVAL, 16/4096/8192 zero tail ok, ids from 1 */
	{
		struct kabi_iommu_ioas_alloc *a = (void *)buf;
		memset(buf, 0, sizeof(buf));
		a->size = 16;
		buf[12] = 0; /* the 4 tail bytes must stay as they were: output is min(16, 12) bytes */
		assert_int_equal(kio(&e, e.ifd, KABI_IOMMU_IOAS_ALLOC, buf), 0);
		assert_int_equal(a->out_ioas_id, 1);
		assert_int_equal(buf[12] | buf[13] | buf[14] | buf[15], 0);
		memset(buf, 0, sizeof(buf));
		a->size = 4096;
		assert_int_equal(kio(&e, e.ifd, KABI_IOMMU_IOAS_ALLOC, buf), 0);
		assert_int_equal(a->out_ioas_id, 2);
		memset(buf, 0, sizeof(buf));
		a->size = 8192;
		assert_int_equal(kio(&e, e.ifd, KABI_IOMMU_IOAS_ALLOC, buf), 0);
		assert_int_equal(a->out_ioas_id, 3);
		memset(buf, 0, sizeof(buf));
		a->size = 12;
		a->flags = 1;
		assert_int_equal(kio(&e, e.ifd, KABI_IOMMU_IOAS_ALLOC, buf), -EOPNOTSUPP);
	}
	/* FACTS: unknown nr / right nr with a sized encoding -> ENOTTY */
	assert_int_equal(kio(&e, e.ifd, KABI_IO(0xa1), buf), -ENOTTY);
	assert_int_equal(kio(&e, e.ifd, KABI_IO(0x95), buf), -ENOTTY);
	assert_int_equal(kio(&e, e.ifd, 0xC0003B81ul, buf), -ENOTTY);
	assert_int_equal(kio(&e, e.ifd, 0x1234, buf), -ENOTTY);
	/* FACTS: the VFIO compat forwarder answers on /dev/iommu */
	assert_int_equal(kio(&e, e.ifd, KABI_VFIO_GET_API_VERSION, NULL), 0);
	assert_int_equal(kio(&e, e.ifd, KABI_VFIO_CHECK_EXTENSION, (void *)(uintptr_t)KABI_VFIO_TYPE1v2_IOMMU), 1);
	assert_int_equal(kio(&e, e.ifd, KABI_VFIO_CHECK_EXTENSION, (void *)(uintptr_t)KABI_VFIO_NOIOMMU_IOMMU), 0);
	assert_int_equal(kio(&e, e.ifd, KABI_VFIO_SET_IOMMU, NULL), -ENOTTY);
	env_down(&e);
}

/* ---------------------------------------------------------------- objects */

static void destroy_and_ids(void **state)
{
	struct env e;
	uint32_t a, b, devid, hwpt;
	int dfd;

	env_up(&e, NULL);
	assert_int_equal(destroy(&e, 0xdead), -ENOENT);
	assert_int_equal(destroy(&e, 0), -ENOENT);
	a = ioas_new(&e);
	b = ioas_new(&e);
	assert_int_equal(a, 1);
	assert_int_equal(b, 2);
	assert_int_equal(destroy(&e, a), 0);
	assert_int_equal(destroy(&e, a), -ENOENT);
	/* ids are reused, lowest first */
	assert_int_equal(ioas_new(&e), 1);
	dfd = dev_bound(&e, CDEV_G3, &devid);
	assert_int_equal(devid, 3);
	assert_int_equal(attach(&e, dfd, a, &hwpt), 0);
	assert_int_equal(hwpt, 4);
	/* FACTS: DESTROY attached IOAS / in-use HWPT / bound device -> EBUSY */
	assert_int_equal(destroy(&e, a), -EBUSY);
	assert_int_equal(destroy(&e, hwpt), -EBUSY);
	assert_int_equal(destroy(&e, devid), -EBUSY);
	/* FACTS: attaching the same IOAS again: ok, same HWPT */
	assert_int_equal(attach(&e, dfd, a, &hwpt), 0);
	assert_int_equal(hwpt, 4);
	/* replace onto another IOAS: the new auto HWPT is made first, then the old one dies */
	assert_int_equal(attach(&e, dfd, b, &hwpt), 0);
	assert_int_equal(hwpt, 5);
	assert_int_equal(destroy(&e, 4), -ENOENT);
	assert_int_equal(destroy(&e, a), 0);
	/* FACTS: DETACH, DETACH again -> ok; the auto HWPT is gone */
	assert_int_equal(detach(&e, dfd), 0);
	assert_int_equal(detach(&e, dfd), 0);
	assert_int_equal(destroy(&e, hwpt), -ENOENT);
	assert_int_equal(destroy(&e, b), 0);
	dclose(&e, dfd);
	/* closing the cdev unbound the device: its id is free */
	assert_int_equal(destroy(&e, devid), -ENOENT);
	env_down(&e);
}

static void two_devices_share_auto_hwpt(void **state)
{
	struct env e;
	uint32_t ioas, h1, h2, h3;
	int d1, d2, d3;

	env_up(&e, NULL);
	ioas = ioas_new(&e);
	d1 = dev_bound(&e, CDEV_G3, NULL);
	d2 = dev_bound(&e, CDEV_G4A, NULL);
	d3 = dev_bound(&e, CDEV_G4B, NULL);
	assert_int_equal(attach(&e, d1, ioas, &h1), 0);
	assert_int_equal(attach(&e, d2, ioas, &h2), 0);
	assert_int_equal(attach(&e, d3, ioas, &h3), 0);
	assert_int_equal(h1, h2);
	assert_int_equal(h1, h3);
	dclose(&e, d1);
	assert_int_equal(destroy(&e, h1), -EBUSY);
	dclose(&e, d2);
	dclose(&e, d3);
	assert_int_equal(destroy(&e, h1), -ENOENT);
	assert_int_equal(destroy(&e, ioas), 0);
	env_down(&e);
}

/* ---------------------------------------------------------------- bind */

static void bind_rules(void **state)
{
	struct env e;
	uint32_t devid;
	int d1, d2, gfd, ifd2, nfd;

	env_up(&e, NULL);
	d1 = cdev_open(&e, CDEV_G3);
	/* FACTS: BIND with an fd that is not an iommufd -> EBADFD; a closed fd -> EBADF */
	nfd = e.d->open(e.d->priv, "/dev/vfio/vfio", O_RDWR);
	assert_int_equal(bind_fd(&e, d1, nfd, NULL), -EBADFD);
	dclose(&e, nfd);
	assert_int_equal(bind_fd(&e, d1, VFIOIOMMU_MOCK_FD_BASE + 4000, NULL), -EBADF);
	assert_int_equal(bind_fd(&e, d1, e.ifd, &devid), 0);
	/* FACTS: second BIND -> EINVAL */
	assert_int_equal(bind_fd(&e, d1, e.ifd, NULL), -EINVAL);
	/* FACTS: the group node cannot be opened while the cdev is bound */
	assert_int_equal(e.d->open(e.d->priv, "/dev/vfio/3", O_RDWR), -EBUSY);
	dclose(&e, d1);
	/* FACTS: BIND while the group is open through the container API -> EBUSY */
	gfd = e.d->open(e.d->priv, "/dev/vfio/3", O_RDWR);
	assert_true(gfd >= 0);
	d1 = cdev_open(&e, CDEV_G3);
	assert_int_equal(bind_fd(&e, d1, e.ifd, NULL), -EBUSY);
	dclose(&e, gfd);
	assert_int_equal(bind_fd(&e, d1, e.ifd, NULL), 0);
	dclose(&e, d1);
	/* Linux 6.6: a RESV_DIRECT device cannot be owned (docs/kernel-abi.md §7) */
	d1 = cdev_open(&e, CDEV_G6);
	assert_int_equal(bind_fd(&e, d1, e.ifd, NULL), -EINVAL);
	dclose(&e, d1);
	/* direct-relaxable does not block */
	d1 = cdev_open(&e, CDEV_G7);
	assert_int_equal(bind_fd(&e, d1, e.ifd, NULL), 0);
	dclose(&e, d1);
	/* a group with a device on a kernel driver is not claimable */
	d1 = cdev_open(&e, CDEV_G5);
	assert_int_equal(bind_fd(&e, d1, e.ifd, NULL), -EPERM);
	dclose(&e, d1);
	/* one group, two iommufds: the second is refused; the same iommufd is fine */
	ifd2 = e.d->open(e.d->priv, "/dev/iommu", O_RDWR);
	d1 = dev_bound(&e, CDEV_G4A, NULL);
	d2 = cdev_open(&e, CDEV_G4B);
	assert_int_equal(bind_fd(&e, d2, ifd2, NULL), -EPERM);
	assert_int_equal(bind_fd(&e, d2, e.ifd, NULL), 0);
	dclose(&e, d1);
	dclose(&e, d2);
	dclose(&e, ifd2);
	env_down(&e);
}

/* Closing /dev/iommu while a device is bound keeps the context until the device unbinds. */
static void iommufd_outlives_its_fd(void **state)
{
	struct env e;
	uint32_t ioas;
	int dfd;

	env_up(&e, NULL);
	ioas = ioas_new(&e);
	dfd = dev_bound(&e, CDEV_G3, NULL);
	assert_int_equal(attach(&e, dfd, ioas, NULL), 0);
	dclose(&e, e.ifd);
	e.ifd = -1;
	assert_int_equal(detach(&e, dfd), 0);
	assert_int_equal(attach(&e, dfd, ioas, NULL), 0);
	dclose(&e, dfd);
	env_down(&e);
	/* and a mock destroyed with everything still open frees it too (ASan checks) */
	env_up(&e, NULL);
	ioas = ioas_new(&e);
	dfd = dev_bound(&e, CDEV_G3, NULL);
	assert_int_equal(attach(&e, dfd, ioas, NULL), 0);
	assert_int_equal(map(&e, ioas, FIX, va(&e, 0), 0x100000, 0x1000, NULL), 0);
	vfioiommu_mock_destroy(e.m);
	munmap(e.raw, MEMSZ + (2u << 20));
}

/* ---------------------------------------------------------------- IOVA ranges */

static void ranges_fresh_and_emsgsize(void **state)
{
	struct env e;
	struct kabi_iommu_iova_range r[4];
	struct kabi_iommu_ioas_iova_ranges q;
	uint32_t ioas, n;
	uint64_t align;
	int dfd;

	env_up(&e, NULL);
	ioas = ioas_new(&e);
	/* FACTS: a fresh IOAS: one range [0, 2^64-1], alignment 1 */
	assert_int_equal(ranges(&e, ioas, r, 4, &n, &align), 0);
	assert_int_equal(n, 1);
	assert_int_equal(align, 1);
	assert_true(r[0].start == 0 && r[0].last == U64_MAX);
	/* FACTS: num_iovas 0 -> EMSGSIZE, total and alignment copied back, array untouched */
	r[0] = (struct kabi_iommu_iova_range){ 0xaa, 0xbb };
	q = (struct kabi_iommu_ioas_iova_ranges){ .size = sizeof(q), .ioas_id = ioas, .allowed_iovas = (uintptr_t)r,
						  .out_iova_alignment = 0x1234 };
	assert_int_equal(kio(&e, e.ifd, KABI_IOMMU_IOAS_IOVA_RANGES, &q), -EMSGSIZE);
	assert_int_equal(q.num_iovas, 1);
	assert_int_equal(q.out_iova_alignment, 1);
	assert_true(r[0].start == 0xaa && r[0].last == 0xbb);
	/* FACTS: reserved -> EOPNOTSUPP, unknown ioas -> ENOENT, size 24 -> EINVAL */
	q.num_iovas = 4;
	q.__reserved = 1;
	assert_int_equal(kio(&e, e.ifd, KABI_IOMMU_IOAS_IOVA_RANGES, &q), -EOPNOTSUPP);
	assert_int_equal(ranges(&e, 0xdead, r, 4, NULL, NULL), -ENOENT);
	q = (struct kabi_iommu_ioas_iova_ranges){ .size = 24, .ioas_id = ioas, .num_iovas = 1 };
	assert_int_equal(kio(&e, e.ifd, KABI_IOMMU_IOAS_IOVA_RANGES, &q), -EINVAL);
	/* an array pointer of NULL with room claimed faults */
	assert_int_equal(ranges(&e, ioas, NULL, 4, NULL, NULL), -EFAULT);
	/* FACTS: bound but not attached changes nothing */
	dfd = dev_bound(&e, CDEV_G3, NULL);
	assert_int_equal(ranges(&e, ioas, r, 4, &n, &align), 0);
	assert_int_equal(n, 1);
	/* FACTS: attached: [0,0xfedfffff] [0xfef00000,2^39-1], alignment 0x1000 */
	assert_int_equal(attach(&e, dfd, ioas, NULL), 0);
	memset(r, 0xee, sizeof(r));
	assert_int_equal(ranges(&e, ioas, r, 1, &n, &align), -EMSGSIZE);
	assert_int_equal(n, 2);
	assert_int_equal(align, 0x1000);
	assert_true(r[0].start == 0 && r[0].last == 0xfedfffffull);
	assert_true(r[1].start == 0xeeeeeeeeeeeeeeeeull); /* past the capacity: untouched */
	assert_int_equal(ranges(&e, ioas, r, 4, &n, &align), 0);
	assert_int_equal(n, 2);
	assert_true(r[1].start == 0xfef00000ull && r[1].last == (1ull << 39) - 1);
	/* FACTS: after DETACH back to [0, 2^64-1], alignment 1 */
	assert_int_equal(detach(&e, dfd), 0);
	assert_int_equal(ranges(&e, ioas, r, 4, &n, &align), 0);
	assert_int_equal(n, 1);
	assert_int_equal(align, 1);
	/* a hostile kernel claims an absurd count */
	vfioiommu_mock_set_hostile(e.m, VFIOIOMMU_MOCK_HOSTILE_HUGE_COUNTS);
	assert_int_equal(ranges(&e, ioas, r, 4, &n, NULL), -EMSGSIZE);
	assert_int_equal(n, 0xffffffffu);
	vfioiommu_mock_set_hostile(e.m, 0);
	dclose(&e, dfd);
	env_down(&e);
}

static const char host_narrow[] =
	"address-width 40\n"
	"group 1\n"
	"  resv 0x10000 0x1ffff reserved\n"
	"  device 0000:00:01.0 vfio-pci\n"
	"group 2\n"
	"  resv 0x40000 0x4ffff msi\n"
	"  resv 0x80000 0x8ffff direct-relaxable\n"
	"  device 0000:00:02.0 vfio-pci\n";

static void attach_narrows_detach_widens(void **state)
{
	struct env e;
	struct kabi_iommu_iova_range r[8];
	uint32_t ioas, ioas2, n, hwpt, devid1;
	int d1, d2;
	const uint64_t top = (1ull << 40) - 1;

	env_up(&e, host_narrow);
	ioas = ioas_new(&e);
	ioas2 = ioas_new(&e);
	d1 = dev_bound(&e, 0, &devid1);
	d2 = dev_bound(&e, 1, NULL);
	assert_int_equal(attach(&e, d1, ioas, NULL), 0);
	assert_int_equal(ranges(&e, ioas, r, 8, &n, NULL), 0);
	assert_int_equal(n, 2);
	assert_true(r[0].start == 0 && r[0].last == 0xffff && r[1].start == 0x20000 && r[1].last == top);
	/* the second device's regions come on top; direct-relaxable stays usable */
	assert_int_equal(attach(&e, d2, ioas, NULL), 0);
	assert_int_equal(ranges(&e, ioas, r, 8, &n, NULL), 0);
	assert_int_equal(n, 3);
	assert_true(r[1].start == 0x20000 && r[1].last == 0x3ffff && r[2].start == 0x50000 && r[2].last == top);
	/* replace d1 onto another IOAS: the first widens, the second narrows */
	assert_int_equal(attach(&e, d1, ioas2, NULL), 0);
	assert_int_equal(ranges(&e, ioas, r, 8, &n, NULL), 0);
	assert_int_equal(n, 2);
	assert_true(r[0].start == 0 && r[0].last == 0x3ffff);
	assert_int_equal(ranges(&e, ioas2, r, 8, &n, NULL), 0);
	assert_int_equal(n, 2);
	/* a HWPT alone (no device) still limits the IOAS to the aperture */
	assert_int_equal(detach(&e, d1), 0);
	{
		struct kabi_iommu_hwpt_alloc h = { .size = sizeof(h), .dev_id = devid1, .pt_id = ioas2 };
		assert_int_equal(kio(&e, e.ifd, KABI_IOMMU_HWPT_ALLOC, &h), 0);
		hwpt = h.out_hwpt_id;
		assert_int_equal(ranges(&e, ioas2, r, 8, &n, NULL), 0);
		assert_int_equal(n, 1);
		assert_true(r[0].start == 0 && r[0].last == top);
		assert_int_equal(destroy(&e, ioas2), -EBUSY);
		assert_int_equal(destroy(&e, hwpt), 0);
		assert_int_equal(ranges(&e, ioas2, r, 8, &n, NULL), 0);
		assert_true(n == 1 && r[0].last == U64_MAX);
	}
	dclose(&e, d1);
	dclose(&e, d2);
	assert_int_equal(ranges(&e, ioas, r, 8, &n, NULL), 0);
	assert_true(n == 1 && r[0].start == 0 && r[0].last == U64_MAX);
	env_down(&e);
}

/* ---------------------------------------------------------------- MAP / UNMAP */

static void map_errno_table(void **state)
{
	struct env e;
	uint32_t ioas;
	uint64_t io;
	int dfd;
	struct kabi_iommu_ioas_map mm;
	uint8_t big[64];

	env_up(&e, NULL);
	ioas = ioas_new(&e);
	/*
	 * FACTS: MAP without FIXED_IOVA aligns to the smaller of the length and
	 * the buffer's own alignment (2 MiB here, THP kernel): 0x10000 then
	 * 0x20000; a 4 KiB-aligned address fills the lowest 4 KiB hole.
	 */
	assert_int_equal(map(&e, ioas, RW, va(&e, 0), 0, 0x10000, &io), 0);
	assert_int_equal(io, 0x10000);
	assert_int_equal(map(&e, ioas, RW, va(&e, 0), 0, 0x10000, &io), 0);
	assert_int_equal(io, 0x20000);
	assert_int_equal(map(&e, ioas, RW, va(&e, 0x1000), 0, 0x1000, &io), 0);
	assert_int_equal(io, 0x1000);
	assert_int_equal(unmap(&e, ioas, io, 0x1000, NULL), 0);
	/* FACTS: UNMAP all on an IOAS with maps: ok, length = bytes; when empty: ok, 0 */
	assert_int_equal(unmap(&e, ioas, 0, U64_MAX, &io), 0);
	assert_int_equal(io, 0x20000);
	assert_int_equal(unmap(&e, ioas, 0, U64_MAX, &io), 0);
	assert_int_equal(io, 0);
	/* FACTS: a FIXED map in the MSI window before attach is fine; ATTACH then EADDRINUSE */
	dfd = dev_bound(&e, CDEV_G3, NULL);
	assert_int_equal(map(&e, ioas, FIX, va(&e, 0), 0xfee00000, 0x1000, NULL), 0);
	assert_int_equal(attach(&e, dfd, ioas, NULL), -EADDRINUSE);
	assert_int_equal(unmap(&e, ioas, 0, U64_MAX, NULL), 0);
	/* an unmapped user address is only noticed when a domain pins it */
	assert_int_equal(map(&e, ioas, FIX, 0x1000, 0x100000, 0x1000, NULL), 0);
	assert_int_equal(attach(&e, dfd, ioas, NULL), -EFAULT);
	assert_int_equal(unmap(&e, ioas, 0, U64_MAX, NULL), 0);
	assert_int_equal(attach(&e, dfd, ioas, NULL), 0);

	assert_int_equal(map(&e, ioas, FIX, va(&e, 0), 0x100000, 0x10000, &io), 0);
	assert_int_equal(io, 0x100000);
	/* FACTS: overlap (exact, tail, head, inside) -> EEXIST */
	assert_int_equal(map(&e, ioas, FIX, va(&e, 0), 0x100000, 0x10000, NULL), -EEXIST);
	assert_int_equal(map(&e, ioas, FIX, va(&e, 0), 0x108000, 0x10000, NULL), -EEXIST);
	assert_int_equal(map(&e, ioas, FIX, va(&e, 0), 0xf8000, 0x10000, NULL), -EEXIST);
	assert_int_equal(map(&e, ioas, FIX, va(&e, 0), 0x104000, 0x1000, NULL), -EEXIST);
	/* FACTS: MSI window, straddle, past the 39-bit aperture, 2^48, AMD hole, top page -> EINVAL */
	assert_int_equal(map(&e, ioas, FIX, va(&e, 0), 0xfee00000, 0x1000, NULL), -EINVAL);
	assert_int_equal(map(&e, ioas, FIX, va(&e, 0), 0xfedff000, 0x2000, NULL), -EINVAL);
	assert_int_equal(map(&e, ioas, FIX, va(&e, 0), (1ull << 39) - 0x1000, 0x1000, NULL), 0);
	assert_int_equal(map(&e, ioas, FIX, va(&e, 0), 1ull << 39, 0x1000, NULL), -EINVAL);
	assert_int_equal(map(&e, ioas, FIX, va(&e, 0), 1ull << 48, 0x1000, NULL), -EINVAL);
	assert_int_equal(map(&e, ioas, FIX, va(&e, 0), 0xfd00000000ull, 0x1000, NULL), -EINVAL);
	assert_int_equal(map(&e, ioas, FIX, va(&e, 0), 0xfffffffffffff000ull, 0x1000, NULL), -EINVAL);
	/* FACTS: iova + len wraps / length U64_MAX -> EOVERFLOW */
	assert_int_equal(map(&e, ioas, FIX, va(&e, 0), 0xfffffffffffff000ull, 0x2000, NULL), -EOVERFLOW);
	assert_int_equal(map(&e, ioas, FIX, va(&e, 0), 0x200000, U64_MAX, NULL), -EOVERFLOW);
	assert_int_equal(map(&e, ioas, FIX, va(&e, 0), U64_MAX, 0x1000, NULL), -EOVERFLOW);
	/* FACTS: misaligned iova / len / vaddr / both with the same offset; len 0; no R/W -> EINVAL */
	assert_int_equal(map(&e, ioas, FIX, va(&e, 0), 0x200800, 0x1000, NULL), -EINVAL);
	assert_int_equal(map(&e, ioas, FIX, va(&e, 0), 0x200000, 0x800, NULL), -EINVAL);
	assert_int_equal(map(&e, ioas, FIX, va(&e, 0x800), 0x200000, 0x1000, NULL), -EINVAL);
	assert_int_equal(map(&e, ioas, FIX, va(&e, 0x800), 0x200800, 0x1000, NULL), -EINVAL);
	assert_int_equal(map(&e, ioas, FIX, va(&e, 0), 0x200000, 0, NULL), -EINVAL);
	assert_int_equal(map(&e, ioas, KABI_IOMMU_IOAS_MAP_FIXED_IOVA, va(&e, 0), 0x200000, 0x1000, NULL), -EINVAL);
	/* FACTS: read-only, write-only, iova 0 -> ok */
	assert_int_equal(map(&e, ioas, KABI_IOMMU_IOAS_MAP_FIXED_IOVA | KABI_IOMMU_IOAS_MAP_READABLE, va(&e, 0),
			     0x280000, 0x1000, NULL), 0);
	assert_int_equal(map(&e, ioas, KABI_IOMMU_IOAS_MAP_FIXED_IOVA | KABI_IOMMU_IOAS_MAP_WRITEABLE, va(&e, 0),
			     0x290000, 0x1000, NULL), 0);
	/* FACTS: unknown flag -> EOPNOTSUPP (type1 says EINVAL); bad vaddr -> EFAULT; unknown ioas -> ENOENT */
	assert_int_equal(map(&e, ioas, FIX | (1u << 3), va(&e, 0), 0x200000, 0x1000, NULL), -EOPNOTSUPP);
	assert_int_equal(map(&e, ioas, FIX, 0x1000, 0x200000, 0x1000, NULL), -EFAULT);
	assert_int_equal(map(&e, 0xdead, FIX, va(&e, 0), 0x200000, 0x1000, NULL), -ENOENT);
	assert_int_equal(map(&e, ioas, FIX, va(&e, 0), 0, 0x1000, &io), 0);
	assert_int_equal(io, 0);
	/*
	 * FACTS: not FIXED after attach, 2 MiB-aligned buffer: 64 KiB-aligned
	 * 0x10000; a 2 MiB map is 2 MiB-aligned, past the maps at 0x280000 and
	 * 0x290000 (a kernel without THP caps the alignment at 4 KiB: 0x1000, 0x291000).
	 */
	assert_int_equal(map(&e, ioas, RW, va(&e, 0), 0, 0x10000, &io), 0);
	assert_int_equal(io, 0x10000);
	assert_int_equal(map(&e, ioas, RW, va(&e, 0), 0, 0x200000, &io), 0);
	assert_int_equal(io, 0x400000);
	/*
	 * FACTS: reserved -> EOPNOTSUPP; size 32 -> EINVAL; size 48 non-zero tail -> E2BIG; a zero tail is
	 * accepted and the map goes on as usual (FACTS c.iommufd.MAP.size48_zero_tail: ok at the free 0x300000
	 * on the THP kernel, EEXIST before, when the 2 MiB auto map covered it): here 0x100000 is mapped, EEXIST.
	 */
	mm = (struct kabi_iommu_ioas_map){ .size = sizeof(mm), .flags = FIX, .ioas_id = ioas, .__reserved = 1,
					   .user_va = va(&e, 0), .length = 0x1000, .iova = 0x300000 };
	assert_int_equal(kio(&e, e.ifd, KABI_IOMMU_IOAS_MAP, &mm), -EOPNOTSUPP);
	mm.__reserved = 0;
	mm.size = 32;
	assert_int_equal(kio(&e, e.ifd, KABI_IOMMU_IOAS_MAP, &mm), -EINVAL);
	memset(big, 0, sizeof(big));
	mm = (struct kabi_iommu_ioas_map){ .size = 48, .flags = FIX, .ioas_id = ioas, .user_va = va(&e, 0),
					   .length = 0x1000, .iova = 0x100000 };
	memcpy(big, &mm, sizeof(mm));
	big[47] = 1;
	assert_int_equal(kio(&e, e.ifd, KABI_IOMMU_IOAS_MAP, big), -E2BIG);
	big[47] = 0;
	assert_int_equal(kio(&e, e.ifd, KABI_IOMMU_IOAS_MAP, big), -EEXIST);
	assert_int_equal(unmap(&e, ioas, 0, U64_MAX, NULL), 0);
	dclose(&e, dfd);
	env_down(&e);
}

static void unmap_errno_table(void **state)
{
	struct env e;
	uint32_t ioas;
	uint64_t len;
	int dfd;

	env_up(&e, NULL);
	ioas = ioas_new(&e);
	dfd = dev_bound(&e, CDEV_G3, NULL);
	assert_int_equal(attach(&e, dfd, ioas, NULL), 0);
	assert_int_equal(map(&e, ioas, FIX, va(&e, 0), 0x100000, 0x10000, NULL), 0);
	/* FACTS: nothing mapped at a range -> ENOENT; len 0 -> EINVAL; misaligned -> ENOENT */
	assert_int_equal(unmap(&e, ioas, 0x40000000, 0x1000, NULL), -ENOENT);
	assert_int_equal(unmap(&e, ioas, 0x100000, 0, NULL), -EINVAL);
	assert_int_equal(unmap(&e, ioas, 0x100800, 0x1000, NULL), -ENOENT);
	assert_int_equal(unmap(&e, ioas, 0x100000, 0x800, NULL), -ENOENT);
	/* FACTS: splitting (middle, head, tail) -> ENOENT; whole -> ok */
	assert_int_equal(map(&e, ioas, FIX, va(&e, 0), 0x600000, 0x10000, NULL), 0);
	assert_int_equal(unmap(&e, ioas, 0x604000, 0x4000, NULL), -ENOENT);
	assert_int_equal(unmap(&e, ioas, 0x600000, 0x4000, NULL), -ENOENT);
	assert_int_equal(unmap(&e, ioas, 0x60c000, 0x4000, NULL), -ENOENT);
	assert_int_equal(unmap(&e, ioas, 0x600000, 0x10000, &len), 0);
	assert_int_equal(len, 0x10000);
	/* FACTS: two whole adjacent -> sum; with gaps -> only mapped bytes */
	assert_int_equal(map(&e, ioas, FIX, va(&e, 0), 0x800000, 0x10000, NULL), 0);
	assert_int_equal(map(&e, ioas, FIX, va(&e, 0x10000), 0x810000, 0x10000, NULL), 0);
	assert_int_equal(unmap(&e, ioas, 0x800000, 0x20000, &len), 0);
	assert_int_equal(len, 0x20000);
	assert_int_equal(map(&e, ioas, FIX, va(&e, 0), 0x900000, 0x1000, NULL), 0);
	assert_int_equal(map(&e, ioas, FIX, va(&e, 0x1000), 0x980000, 0x1000, NULL), 0);
	assert_int_equal(unmap(&e, ioas, 0x8f0000, 0x100000, &len), 0);
	assert_int_equal(len, 0x2000);
	/* FACTS: covering A whole and splitting B -> ENOENT, A already gone (not atomic) */
	assert_int_equal(map(&e, ioas, FIX, va(&e, 0), 0xa00000, 0x2000, NULL), 0);
	assert_int_equal(map(&e, ioas, FIX, va(&e, 0), 0xa10000, 0x2000, NULL), 0);
	assert_int_equal(unmap(&e, ioas, 0xa00000, 0x11000, NULL), -ENOENT);
	assert_int_equal(map(&e, ioas, FIX, va(&e, 0), 0xa00000, 0x2000, NULL), 0);
	assert_int_equal(map(&e, ioas, FIX, va(&e, 0), 0xa10000, 0x2000, NULL), -EEXIST);
	/* FACTS: iova 1 + U64_MAX -> EOVERFLOW; unknown ioas -> ENOENT */
	assert_int_equal(unmap(&e, ioas, 1, U64_MAX, NULL), -EOVERFLOW);
	assert_int_equal(unmap(&e, 0xdead, 0, U64_MAX, NULL), -ENOENT);
	assert_int_equal(unmap(&e, ioas, 0, U64_MAX, &len), 0);
	assert_int_equal(len, 0x10000 + 0x2000 + 0x2000);
	dclose(&e, dfd);
	env_down(&e);
}

static void map_file(void **state)
{
	struct env e;
	struct kabi_iommu_ioas_map_file mf;
	uint32_t ioas;
	int memfd;

	env_up(&e, NULL);
	ioas = ioas_new(&e);
	memfd = e.d->memfd(e.d->priv, "t", 0, 0x10000);
	assert_true(memfd >= 0);
	mf = (struct kabi_iommu_ioas_map_file){ .size = sizeof(mf), .flags = FIX, .ioas_id = ioas, .fd = memfd,
						.start = 0x1000, .length = 0x4000, .iova = 0x200000 };
	assert_int_equal(kio(&e, e.ifd, KABI_IOMMU_IOAS_MAP_FILE, &mf), 0);
	assert_int_equal(kio(&e, e.ifd, KABI_IOMMU_IOAS_MAP_FILE, &mf), -EEXIST);
	mf.iova = 0x300000;
	mf.length = 0x10000; /* past the end of the file */
	assert_int_equal(kio(&e, e.ifd, KABI_IOMMU_IOAS_MAP_FILE, &mf), -EINVAL);
	mf.length = 0x1000;
	mf.flags = KABI_IOMMU_IOAS_MAP_FIXED_IOVA;
	assert_int_equal(kio(&e, e.ifd, KABI_IOMMU_IOAS_MAP_FILE, &mf), -EINVAL);
	mf.flags = FIX | (1u << 5);
	assert_int_equal(kio(&e, e.ifd, KABI_IOMMU_IOAS_MAP_FILE, &mf), -EOPNOTSUPP);
	mf.flags = FIX;
	mf.fd = -1;
	assert_int_equal(kio(&e, e.ifd, KABI_IOMMU_IOAS_MAP_FILE, &mf), -EBADF);
	mf.fd = e.ifd; /* a mock fd that is not a memfd */
	assert_int_equal(kio(&e, e.ifd, KABI_IOMMU_IOAS_MAP_FILE, &mf), -EINVAL);
	mf.fd = memfd;
	mf.flags = RW;
	assert_int_equal(kio(&e, e.ifd, KABI_IOMMU_IOAS_MAP_FILE, &mf), 0);
	assert_int_equal(mf.iova, 0x1000);
	assert_int_equal(unmap(&e, ioas, 0, U64_MAX, NULL), 0);
	assert_int_equal(e.d->close(e.d->priv, memfd), 0);
	env_down(&e);
}

static void allow_iovas(void **state)
{
	struct env e;
	struct kabi_iommu_iova_range r[2], out[4];
	struct kabi_iommu_ioas_allow_iovas a;
	uint32_t ioas, n;
	uint64_t io;
	int dfd;

	env_up(&e, NULL);
	ioas = ioas_new(&e);
	dfd = dev_bound(&e, CDEV_G3, NULL);
	assert_int_equal(attach(&e, dfd, ioas, NULL), 0);
	a = (struct kabi_iommu_ioas_allow_iovas){ .size = sizeof(a), .ioas_id = ioas, .num_iovas = 1,
						  .allowed_iovas = (uintptr_t)r };
	/* FACTS: over the MSI window while attached -> EADDRINUSE; start > last -> EINVAL */
	r[0] = (struct kabi_iommu_iova_range){ 0xfee00000, 0xfeefffff };
	assert_int_equal(kio(&e, e.ifd, KABI_IOMMU_IOAS_ALLOW_IOVAS, &a), -EADDRINUSE);
	r[0] = (struct kabi_iommu_iova_range){ 0x2000, 0x1000 };
	assert_int_equal(kio(&e, e.ifd, KABI_IOMMU_IOAS_ALLOW_IOVAS, &a), -EINVAL);
	r[0] = (struct kabi_iommu_iova_range){ 0x1000000, 0x1ffffff };
	r[1] = (struct kabi_iommu_iova_range){ 0x1800000, 0x2ffffff };
	a.num_iovas = 2;
	assert_int_equal(kio(&e, e.ifd, KABI_IOMMU_IOAS_ALLOW_IOVAS, &a), -EINVAL); /* overlapping */
	a.num_iovas = 1;
	assert_int_equal(kio(&e, e.ifd, KABI_IOMMU_IOAS_ALLOW_IOVAS, &a), 0);
	/* FACTS: IOVA_RANGES unchanged; non-FIXED maps go inside; FIXED outside still ok */
	assert_int_equal(ranges(&e, ioas, out, 4, &n, NULL), 0);
	assert_int_equal(n, 2);
	assert_int_equal(map(&e, ioas, RW, va(&e, 0), 0, 0x1000, &io), 0);
	assert_int_equal(io, 0x1000000);
	assert_int_equal(map(&e, ioas, FIX, va(&e, 0), 0x100000, 0x1000, NULL), 0);
	/* a device whose regions fall in an allowed range cannot join */
	{
		int d2 = dev_bound(&e, CDEV_G4A, NULL);
		r[0] = (struct kabi_iommu_iova_range){ 0xfe000000, 0xfe0fffff };
		assert_int_equal(kio(&e, e.ifd, KABI_IOMMU_IOAS_ALLOW_IOVAS, &a), 0);
		assert_int_equal(attach(&e, d2, ioas, NULL), 0); /* its msi window is not inside */
		assert_int_equal(detach(&e, d2), 0);
		r[0] = (struct kabi_iommu_iova_range){ 0x1000000, 0x1ffffff };
		dclose(&e, d2);
	}
	/* FACTS: num 0 clears */
	a.num_iovas = 0;
	assert_int_equal(kio(&e, e.ifd, KABI_IOMMU_IOAS_ALLOW_IOVAS, &a), 0);
	a.num_iovas = 1;
	a.allowed_iovas = 0;
	assert_int_equal(kio(&e, e.ifd, KABI_IOMMU_IOAS_ALLOW_IOVAS, &a), -EFAULT);
	a.__reserved = 1;
	assert_int_equal(kio(&e, e.ifd, KABI_IOMMU_IOAS_ALLOW_IOVAS, &a), -EOPNOTSUPP);
	assert_int_equal(unmap(&e, ioas, 0, U64_MAX, NULL), 0);
	dclose(&e, dfd);
	env_down(&e);
}

/* ---------------------------------------------------------------- HWPT, HW info, options */

static void hwpt_alloc_rules(void **state)
{
	struct env e;
	struct kabi_iommu_hwpt_alloc h;
	struct kabi_iommu_fault_alloc fa = { .size = sizeof(fa) };
	uint32_t ioas, devid;
	int dfd;

	env_up(&e, NULL);
	ioas = ioas_new(&e);
	dfd = dev_bound(&e, CDEV_G3, &devid);
#define HW(...) (h = (struct kabi_iommu_hwpt_alloc){ .size = sizeof(h), .dev_id = devid, .pt_id = ioas, __VA_ARGS__ })
	/* FACTS: plain ok; DIRTY_TRACKING / NEST_PARENT / unknown flag -> EOPNOTSUPP */
	HW(.flags = 0);
	assert_int_equal(kio(&e, e.ifd, KABI_IOMMU_HWPT_ALLOC, &h), 0);
	assert_int_equal(h.out_hwpt_id, 3);
	assert_int_equal(destroy(&e, 3), 0);
	HW(.flags = KABI_IOMMU_HWPT_ALLOC_DIRTY_TRACKING);
	assert_int_equal(kio(&e, e.ifd, KABI_IOMMU_HWPT_ALLOC, &h), -EOPNOTSUPP);
	HW(.flags = KABI_IOMMU_HWPT_ALLOC_NEST_PARENT);
	assert_int_equal(kio(&e, e.ifd, KABI_IOMMU_HWPT_ALLOC, &h), -EOPNOTSUPP);
	HW(.flags = 1u << 10);
	assert_int_equal(kio(&e, e.ifd, KABI_IOMMU_HWPT_ALLOC, &h), -EOPNOTSUPP);
	/* FACTS: __reserved -> EOPNOTSUPP, __reserved2 ignored; VTD_S1 with data_len 0 -> EINVAL */
	HW(.__reserved = 1);
	assert_int_equal(kio(&e, e.ifd, KABI_IOMMU_HWPT_ALLOC, &h), -EOPNOTSUPP);
	HW(.__reserved2 = 1);
	assert_int_equal(kio(&e, e.ifd, KABI_IOMMU_HWPT_ALLOC, &h), 0);
	assert_int_equal(destroy(&e, h.out_hwpt_id), 0);
	HW(.data_type = 1);
	assert_int_equal(kio(&e, e.ifd, KABI_IOMMU_HWPT_ALLOC, &h), -EINVAL);
	HW(.data_len = 8);
	assert_int_equal(kio(&e, e.ifd, KABI_IOMMU_HWPT_ALLOC, &h), -EINVAL);
	/* FACTS (intel): the PASID flag is accepted even without PASID */
	HW(.flags = KABI_IOMMU_HWPT_ALLOC_PASID);
	assert_int_equal(kio(&e, e.ifd, KABI_IOMMU_HWPT_ALLOC, &h), 0);
	assert_int_equal(destroy(&e, h.out_hwpt_id), 0);
	/* unknown dev -> ENOENT; unknown pt -> EINVAL; pt is a device -> EINVAL */
	HW(.flags = 0);
	h.dev_id = 0xdead;
	assert_int_equal(kio(&e, e.ifd, KABI_IOMMU_HWPT_ALLOC, &h), -ENOENT);
	HW(.flags = 0);
	h.pt_id = 0xdead;
	assert_int_equal(kio(&e, e.ifd, KABI_IOMMU_HWPT_ALLOC, &h), -EINVAL);
	HW(.flags = 0);
	h.pt_id = devid;
	assert_int_equal(kio(&e, e.ifd, KABI_IOMMU_HWPT_ALLOC, &h), -EINVAL);
	/* FACTS: FAULT_ID_VALID with an unknown fault -> ENOENT, also when size 40 zero-extends it */
	HW(.flags = KABI_IOMMU_HWPT_FAULT_ID_VALID, .fault_id = 0xdead);
	assert_int_equal(kio(&e, e.ifd, KABI_IOMMU_HWPT_ALLOC, &h), -ENOENT);
	assert_int_equal(kio(&e, e.ifd, KABI_IOMMU_FAULT_QUEUE_ALLOC, &fa), 0);
	HW(.flags = KABI_IOMMU_HWPT_FAULT_ID_VALID, .fault_id = fa.out_fault_id);
	h.size = 40;
	assert_int_equal(kio(&e, e.ifd, KABI_IOMMU_HWPT_ALLOC, &h), -ENOENT);
	h.size = sizeof(h);
	assert_int_equal(kio(&e, e.ifd, KABI_IOMMU_HWPT_ALLOC, &h), 0);
	/* FACTS: the fault object cannot go while a HWPT uses it, nor while its fd is open */
	assert_int_equal(destroy(&e, fa.out_fault_id), -EBUSY);
	assert_int_equal(destroy(&e, h.out_hwpt_id), 0);
	assert_int_equal(destroy(&e, fa.out_fault_id), -EBUSY);
	dclose(&e, (int)fa.out_fault_fd);
	assert_int_equal(destroy(&e, fa.out_fault_id), 0);
	/* FACTS: size 24 works and returns the id; size 20 -> EINVAL */
	HW(.flags = 0);
	h.size = 24;
	assert_int_equal(kio(&e, e.ifd, KABI_IOMMU_HWPT_ALLOC, &h), 0);
	assert_true(h.out_hwpt_id > 0);
	/* attach to it, replace back to the IOAS: the explicit HWPT survives the replace */
	{
		uint32_t pt;
		assert_int_equal(attach(&e, dfd, h.out_hwpt_id, &pt), 0);
		assert_int_equal(pt, h.out_hwpt_id);
		assert_int_equal(destroy(&e, h.out_hwpt_id), -EBUSY);
		assert_int_equal(attach(&e, dfd, ioas, &pt), 0);
		assert_true(pt != h.out_hwpt_id);
		assert_int_equal(destroy(&e, h.out_hwpt_id), 0);
	}
	h.size = 20;
	assert_int_equal(kio(&e, e.ifd, KABI_IOMMU_HWPT_ALLOC, &h), -EINVAL);
#undef HW
	dclose(&e, dfd);
	env_down(&e);
}

static void hw_info(void **state)
{
	struct env e;
	uint8_t buf[64], data[256];
	struct kabi_iommu_hw_info *hi = (void *)buf;
	uint32_t devid, devid2;
	int dfd, d2;
	uint64_t u;

	env_up(&e, "pasid-width 20\n"
		   "group 3\n  resv 0xfee00000 0xfeefffff msi\n  device 0000:00:03.0 vfio-pci\n"
		   "group 4\n  device 0000:00:04.0 vfio-pci pasid=8 iopf\n");
	dfd = dev_bound(&e, 0, &devid);
	d2 = dev_bound(&e, 1, &devid2);
#define HI(sz, dl) do { memset(buf, 0xee, sizeof(buf)); memset(buf, 0, sz); memset(data, 0xcc, sizeof(data)); \
	hi->size = sz; hi->dev_id = devid; hi->data_len = dl; hi->data_uptr = (uintptr_t)data; } while (0)
	/* FACTS: size 24 / 28 -> EINVAL, nothing written */
	HI(24, sizeof(data));
	assert_int_equal(kio(&e, e.ifd, KABI_IOMMU_GET_HW_INFO, buf), -EINVAL);
	assert_int_equal(data[0], 0xcc);
	HI(28, sizeof(data));
	assert_int_equal(kio(&e, e.ifd, KABI_IOMMU_GET_HW_INFO, buf), -EINVAL);
	/* FACTS: size 32: ok, type 1, data_len 24, capabilities not written, the rest of data zeroed */
	HI(32, sizeof(data));
	assert_int_equal(kio(&e, e.ifd, KABI_IOMMU_GET_HW_INFO, buf), 0);
	assert_int_equal(hi->out_data_type, KABI_IOMMU_HW_INFO_TYPE_INTEL_VTD);
	assert_int_equal(hi->data_len, 24);
	assert_int_equal(hi->out_max_pasid_log2, 0);
	assert_true(hi->out_capabilities == 0xeeeeeeeeeeeeeeeeull);
	memcpy(&u, data, 8);
	assert_true(u == 1);
	memcpy(&u, data + 8, 8);
	assert_true(u == 0x00d2008c22260286ull);
	memcpy(&u, data + 16, 8);
	assert_true(u == 0xf00f4aull);
	assert_int_equal(data[24], 0);
	assert_int_equal(data[255], 0);
	/* FACTS: size 40: capabilities 0x8 (no ATS) */
	HI(40, sizeof(data));
	assert_int_equal(kio(&e, e.ifd, KABI_IOMMU_GET_HW_INFO, buf), 0);
	assert_true(hi->out_capabilities == KABI_IOMMU_HW_CAP_PCI_ATS_NOT_SUPPORTED);
	HI(48, 0);
	assert_int_equal(kio(&e, e.ifd, KABI_IOMMU_GET_HW_INFO, buf), 0);
	assert_int_equal(hi->data_len, 24);
	assert_int_equal(data[0], 0xcc);
	/* FACTS: data_len 4: 4 bytes written, the rest untouched, data_len = 24 */
	HI(40, 4);
	assert_int_equal(kio(&e, e.ifd, KABI_IOMMU_GET_HW_INFO, buf), 0);
	assert_int_equal(hi->data_len, 24);
	assert_int_equal(data[0], 1);
	assert_int_equal(data[4], 0xcc);
	/* FACTS: reserved / flags bit 1 / INPUT_TYPE 0xff -> EOPNOTSUPP; unknown dev -> ENOENT */
	HI(40, 0);
	hi->__reserved[1] = 1;
	assert_int_equal(kio(&e, e.ifd, KABI_IOMMU_GET_HW_INFO, buf), -EOPNOTSUPP);
	HI(40, 0);
	hi->flags = 2;
	assert_int_equal(kio(&e, e.ifd, KABI_IOMMU_GET_HW_INFO, buf), -EOPNOTSUPP);
	HI(40, 0);
	hi->flags = KABI_IOMMU_HW_INFO_FLAG_INPUT_TYPE;
	hi->out_data_type = 0xff;
	assert_int_equal(kio(&e, e.ifd, KABI_IOMMU_GET_HW_INFO, buf), -EOPNOTSUPP);
	hi->out_data_type = KABI_IOMMU_HW_INFO_TYPE_INTEL_VTD;
	assert_int_equal(kio(&e, e.ifd, KABI_IOMMU_GET_HW_INFO, buf), 0);
	HI(40, 0);
	hi->dev_id = 0xdead;
	assert_int_equal(kio(&e, e.ifd, KABI_IOMMU_GET_HW_INFO, buf), -ENOENT);
	HI(40, 16);
	hi->data_uptr = 0;
	assert_int_equal(kio(&e, e.ifd, KABI_IOMMU_GET_HW_INFO, buf), -EFAULT);
	/* max_pasid_log2 = min(IOMMU 20, device 8); a PASID/PRI device is taken to have ATS */
	HI(40, 0);
	hi->dev_id = devid2;
	assert_int_equal(kio(&e, e.ifd, KABI_IOMMU_GET_HW_INFO, buf), 0);
	assert_int_equal(hi->out_max_pasid_log2, 8);
	assert_true(hi->out_capabilities == 0);
#undef HI
	dclose(&e, dfd);
	dclose(&e, d2);
	env_down(&e);
}

/* GET_HW_INFO answers as the host's IOMMU driver does: its own type, data and INPUT_TYPE rule. */
static void hw_info_per_model(void **state)
{
	static const struct {
		const char *host;
		uint32_t type, data_len;
		int input_ff;
	} models[] = {
		{ "iommu intel\n", KABI_IOMMU_HW_INFO_TYPE_INTEL_VTD, 24, -EOPNOTSUPP },
		/* FACTS §2.6: QEMU's amd-iommu and virtio-iommu: type 0, no data, any INPUT_TYPE */
		{ "iommu amd\n", KABI_IOMMU_HW_INFO_TYPE_NONE, 0, 0 },
		{ "iommu virtio\n", KABI_IOMMU_HW_INFO_TYPE_NONE, 0, 0 },
		/* arm_smmu_hw_info(): type ARM_SMMUV3, struct iommu_hw_info_arm_smmuv3 (40 bytes) */
		{ "iommu smmuv3\naddress-width 48\n", KABI_IOMMU_HW_INFO_TYPE_ARM_SMMUV3, 40, -EOPNOTSUPP },
	};
	char host[256];

	for (size_t i = 0; i < sizeof(models) / sizeof(models[0]); i++) {
		struct kabi_iommu_hw_info hi = { .size = sizeof(hi) };
		uint8_t data[64];
		uint32_t devid;
		struct env e;
		int dfd;

		snprintf(host, sizeof(host), "%spasid-width 20\ngroup 3\n  device 0000:00:03.0 vfio-pci\n",
			 models[i].host);
		env_up(&e, host);
		dfd = dev_bound(&e, 0, &devid);
		memset(data, 0xcc, sizeof(data));
		hi.dev_id = devid;
		hi.data_len = sizeof(data);
		hi.data_uptr = (uintptr_t)data;
		assert_int_equal(kio(&e, e.ifd, KABI_IOMMU_GET_HW_INFO, &hi), 0);
		assert_int_equal(hi.out_data_type, models[i].type);
		assert_int_equal(hi.data_len, models[i].data_len);
		assert_int_equal(data[models[i].data_len], 0); /* the rest of the buffer zeroed */
		if (models[i].type == KABI_IOMMU_HW_INFO_TYPE_ARM_SMMUV3) {
			struct kabi_iommu_hw_info_arm_smmuv3 smmu;

			memcpy(&smmu, data, sizeof(smmu));
			assert_int_equal(smmu.flags, 0);
			assert_int_equal(smmu.idr[5] & 7, 5);              /* OAS: 48 bits */
			assert_int_equal((smmu.idr[1] >> 6) & 0x1f, 20);  /* SSIDSIZE: the PASID width */
			assert_int_equal(smmu.idr[0] & 3, 3);              /* S1P and S2P */
			/* its own type as INPUT_TYPE is fine, another driver's is not */
			hi = (struct kabi_iommu_hw_info){ .size = sizeof(hi), .dev_id = devid,
				.flags = KABI_IOMMU_HW_INFO_FLAG_INPUT_TYPE,
				.out_data_type = KABI_IOMMU_HW_INFO_TYPE_ARM_SMMUV3 };
			assert_int_equal(kio(&e, e.ifd, KABI_IOMMU_GET_HW_INFO, &hi), 0);
			hi.out_data_type = KABI_IOMMU_HW_INFO_TYPE_INTEL_VTD;
			assert_int_equal(kio(&e, e.ifd, KABI_IOMMU_GET_HW_INFO, &hi), -EOPNOTSUPP);
		}
		hi = (struct kabi_iommu_hw_info){ .size = sizeof(hi), .dev_id = devid,
			.flags = KABI_IOMMU_HW_INFO_FLAG_INPUT_TYPE, .out_data_type = 0xff };
		assert_int_equal(kio(&e, e.ifd, KABI_IOMMU_GET_HW_INFO, &hi), models[i].input_ff);
		dclose(&e, dfd);
		env_down(&e);
	}
}

static void options_and_vfio_ioas(void **state)
{
	struct env e;
	struct kabi_iommu_option o;
	struct kabi_iommu_vfio_ioas v;
	uint32_t ioas;

	env_up(&e, NULL);
	/* RLIMIT_MODE: GET 0; SET on an empty context; then objects make it EBUSY */
	o = (struct kabi_iommu_option){ .size = sizeof(o), .option_id = KABI_IOMMU_OPTION_RLIMIT_MODE,
					.op = KABI_IOMMU_OPTION_OP_GET, .val64 = 7 };
	assert_int_equal(kio(&e, e.ifd, KABI_IOMMU_OPTION, &o), 0);
	assert_true(o.val64 == 0);
	o.op = KABI_IOMMU_OPTION_OP_SET;
	o.val64 = 2;
	assert_int_equal(kio(&e, e.ifd, KABI_IOMMU_OPTION, &o), -EINVAL);
	o.val64 = 1;
	assert_int_equal(kio(&e, e.ifd, KABI_IOMMU_OPTION, &o), 0);
	o.op = KABI_IOMMU_OPTION_OP_GET;
	assert_int_equal(kio(&e, e.ifd, KABI_IOMMU_OPTION, &o), 0);
	assert_true(o.val64 == 1);
	o.object_id = 1;
	assert_int_equal(kio(&e, e.ifd, KABI_IOMMU_OPTION, &o), -EOPNOTSUPP);
	ioas = ioas_new(&e);
	o = (struct kabi_iommu_option){ .size = sizeof(o), .option_id = KABI_IOMMU_OPTION_RLIMIT_MODE,
					.op = KABI_IOMMU_OPTION_OP_SET, .val64 = 0 };
	assert_int_equal(kio(&e, e.ifd, KABI_IOMMU_OPTION, &o), -EBUSY);
	/* FACTS: HUGE_PAGES GET -> 1 */
	o = (struct kabi_iommu_option){ .size = sizeof(o), .option_id = KABI_IOMMU_OPTION_HUGE_PAGES,
					.op = KABI_IOMMU_OPTION_OP_GET, .object_id = ioas };
	assert_int_equal(kio(&e, e.ifd, KABI_IOMMU_OPTION, &o), 0);
	assert_true(o.val64 == 1);
	o.op = KABI_IOMMU_OPTION_OP_SET;
	o.val64 = 0;
	assert_int_equal(kio(&e, e.ifd, KABI_IOMMU_OPTION, &o), 0);
	o.op = KABI_IOMMU_OPTION_OP_GET;
	assert_int_equal(kio(&e, e.ifd, KABI_IOMMU_OPTION, &o), 0);
	assert_true(o.val64 == 0);
	o.op = 9;
	assert_int_equal(kio(&e, e.ifd, KABI_IOMMU_OPTION, &o), -EOPNOTSUPP);
	o.op = KABI_IOMMU_OPTION_OP_GET;
	o.object_id = 0xdead;
	assert_int_equal(kio(&e, e.ifd, KABI_IOMMU_OPTION, &o), -ENOENT);
	o.option_id = 9;
	assert_int_equal(kio(&e, e.ifd, KABI_IOMMU_OPTION, &o), -EOPNOTSUPP);
	o.option_id = KABI_IOMMU_OPTION_HUGE_PAGES;
	o.__reserved = 1;
	assert_int_equal(kio(&e, e.ifd, KABI_IOMMU_OPTION, &o), -EOPNOTSUPP);
	/* FACTS: VFIO_IOAS GET with none set -> ENODEV */
	v = (struct kabi_iommu_vfio_ioas){ .size = sizeof(v), .op = KABI_IOMMU_VFIO_IOAS_GET };
	assert_int_equal(kio(&e, e.ifd, KABI_IOMMU_VFIO_IOAS, &v), -ENODEV);
	v = (struct kabi_iommu_vfio_ioas){ .size = sizeof(v), .op = KABI_IOMMU_VFIO_IOAS_SET, .ioas_id = 0xdead };
	assert_int_equal(kio(&e, e.ifd, KABI_IOMMU_VFIO_IOAS, &v), -ENOENT);
	v.ioas_id = ioas;
	assert_int_equal(kio(&e, e.ifd, KABI_IOMMU_VFIO_IOAS, &v), 0);
	v = (struct kabi_iommu_vfio_ioas){ .size = sizeof(v), .op = KABI_IOMMU_VFIO_IOAS_GET };
	assert_int_equal(kio(&e, e.ifd, KABI_IOMMU_VFIO_IOAS, &v), 0);
	assert_int_equal(v.ioas_id, ioas);
	v.op = KABI_IOMMU_VFIO_IOAS_CLEAR;
	assert_int_equal(kio(&e, e.ifd, KABI_IOMMU_VFIO_IOAS, &v), 0);
	v.op = KABI_IOMMU_VFIO_IOAS_GET;
	assert_int_equal(kio(&e, e.ifd, KABI_IOMMU_VFIO_IOAS, &v), -ENODEV);
	v.op = 7;
	assert_int_equal(kio(&e, e.ifd, KABI_IOMMU_VFIO_IOAS, &v), -EOPNOTSUPP);
	v.op = 0;
	v.__reserved = 1;
	assert_int_equal(kio(&e, e.ifd, KABI_IOMMU_VFIO_IOAS, &v), -EOPNOTSUPP);
	env_down(&e);
}

/* ---------------------------------------------------------------- PASID attach */

static const char host_pasid[] =
	"pasid-width 20\n"
	"group 1\n  device 0000:00:01.0 vfio-pci pasid=20 iopf\n"
	"group 2\n  device 0000:00:02.0 vfio-pci\n";

static uint32_t hwpt_new(struct env *e, uint32_t devid, uint32_t ioas, uint32_t flags, uint32_t fault)
{
	struct kabi_iommu_hwpt_alloc h = { .size = sizeof(h), .flags = flags, .dev_id = devid, .pt_id = ioas,
					   .fault_id = fault };

	assert_int_equal(kio(e, e->ifd, KABI_IOMMU_HWPT_ALLOC, &h), 0);
	return h.out_hwpt_id;
}

static void pasid_attach_rules(void **state)
{
	struct env e;
	uint32_t ioas, devid, dev2, hp, hplain, pt;
	int dfd, d2;

	env_up(&e, host_pasid);
	ioas = ioas_new(&e);
	dfd = dev_bound(&e, 0, &devid);
	d2 = dev_bound(&e, 1, &dev2);
	hp = hwpt_new(&e, devid, ioas, KABI_IOMMU_HWPT_ALLOC_PASID, 0);
	hplain = hwpt_new(&e, devid, ioas, 0, 0);
	/* FACTS: ATTACH with the PASID flag and argsz 12 -> EINVAL */
	{
		struct kabi_vfio_device_attach_iommufd_pt a = { .argsz = 12, .flags = KABI_VFIO_DEVICE_ATTACH_PASID,
								.pt_id = hp };
		assert_int_equal(kio(&e, dfd, KABI_VFIO_DEVICE_ATTACH_IOMMUFD_PT, &a), -EINVAL);
	}
	/* FACTS: onto an IOAS (auto domains are not PASID-compatible) / a non-PASID HWPT -> EINVAL */
	assert_int_equal(attach_pasid(&e, dfd, ioas, 100), -EINVAL);
	assert_int_equal(attach_pasid(&e, dfd, hplain, 100), -EINVAL);
	assert_int_equal(attach_pasid(&e, dfd, 0xdead, 100), -ENOENT);
	/* FACTS: the RID on a non-PASID HWPT blocks PASID attach */
	assert_int_equal(attach(&e, dfd, hplain, &pt), 0);
	assert_int_equal(attach_pasid(&e, dfd, hp, 100), -EINVAL);
	assert_int_equal(attach(&e, dfd, hp, &pt), 0);
	assert_int_equal(pt, hp);
	assert_int_equal(attach_pasid(&e, dfd, hp, 100), 0);
	/* a second attach of the same pasid is a replace (vfio), same HWPT is a no-op */
	assert_int_equal(attach_pasid(&e, dfd, hp, 100), 0);
	/* FACTS: pasid 1<<20 -> EINVAL, (1<<20)-1 ok; pasid 0 is the RID: EBUSY while attached */
	assert_int_equal(attach_pasid(&e, dfd, hp, 1u << 20), -EINVAL);
	assert_int_equal(attach_pasid(&e, dfd, hp, (1u << 20) - 1), 0);
	assert_int_equal(attach_pasid(&e, dfd, hp, 0), -EBUSY);
	/* with PASIDs in use the RID cannot move to a non-PASID domain */
	assert_int_equal(attach(&e, dfd, hplain, NULL), -EINVAL);
	assert_int_equal(attach(&e, dfd, ioas, NULL), -EINVAL);
	assert_int_equal(destroy(&e, hp), -EBUSY);
	/* a device without PASID support */
	assert_int_equal(attach_pasid(&e, d2, hp, 5), -EOPNOTSUPP);
	/* FACTS: DETACH of a pasid, again, of one never attached -> ok */
	{
		struct kabi_vfio_device_detach_iommufd_pt dt = { .argsz = sizeof(dt),
								 .flags = KABI_VFIO_DEVICE_DETACH_PASID, .pasid = 100 };
		assert_int_equal(kio(&e, dfd, KABI_VFIO_DEVICE_DETACH_IOMMUFD_PT, &dt), 0);
		assert_int_equal(kio(&e, dfd, KABI_VFIO_DEVICE_DETACH_IOMMUFD_PT, &dt), 0);
		assert_int_equal(kio(&e, d2, KABI_VFIO_DEVICE_DETACH_IOMMUFD_PT, &dt), 0);
		dt.pasid = (1u << 20) - 1;
		assert_int_equal(kio(&e, dfd, KABI_VFIO_DEVICE_DETACH_IOMMUFD_PT, &dt), 0);
		dt.argsz = 8;
		assert_int_equal(kio(&e, dfd, KABI_VFIO_DEVICE_DETACH_IOMMUFD_PT, &dt), -EINVAL);
	}
	/* PASIDs gone: the RID may go back to a plain domain */
	assert_int_equal(attach(&e, dfd, ioas, NULL), 0);
	/* pre-6.15 kernel: any flag is EINVAL */
	vfioiommu_mock_set_feature(e.m, VFIOIOMMU_MOCK_PASID_ATTACH, false);
	assert_int_equal(attach_pasid(&e, dfd, hp, 100), -EINVAL);
	dclose(&e, dfd);
	dclose(&e, d2);
	assert_int_equal(destroy(&e, hp), 0);
	assert_int_equal(destroy(&e, hplain), 0);
	env_down(&e);
}

/* ---------------------------------------------------------------- fault queue */

static void fault_queue(void **state)
{
	struct env e;
	struct kabi_iommu_fault_alloc fa = { .size = sizeof(fa) };
	struct kabi_iommu_hwpt_pgfault rec[4];
	struct kabi_iommu_hwpt_page_response resp[2];
	struct vm_fault_page pg[2] = { { 1, 0x1234000 }, { 2, 0x1235000 } };
	struct vm_device *vd;
	struct pollfd pfd;
	uint32_t ioas, devid, h, hp;
	int dfd, ffd;

	env_up(&e, host_pasid);
	vd = vm_device_find(e.m, "0000:00:01.0");
	ioas = ioas_new(&e);
	dfd = dev_bound(&e, 0, &devid);
	/* FACTS: flags != 0 -> EOPNOTSUPP */
	fa.flags = 1;
	assert_int_equal(kio(&e, e.ifd, KABI_IOMMU_FAULT_QUEUE_ALLOC, &fa), -EOPNOTSUPP);
	fa.flags = 0;
	assert_int_equal(kio(&e, e.ifd, KABI_IOMMU_FAULT_QUEUE_ALLOC, &fa), 0);
	ffd = (int)fa.out_fault_fd;
	assert_true(ffd >= VFIOIOMMU_MOCK_FD_BASE);
	h = hwpt_new(&e, devid, ioas, KABI_IOMMU_HWPT_FAULT_ID_VALID, fa.out_fault_id);
	assert_int_equal(attach(&e, dfd, h, NULL), 0);
	/* FACTS: read 40 with nothing pending -> 0; read 0 -> EINVAL; read 39 / 41 -> ESPIPE */
	assert_int_equal(e.d->read(e.d->priv, ffd, rec, 40), 0);
	assert_int_equal(e.d->read(e.d->priv, ffd, rec, 0), -EINVAL);
	assert_int_equal(e.d->read(e.d->priv, ffd, rec, 39), -ESPIPE);
	assert_int_equal(e.d->read(e.d->priv, ffd, rec, 41), -ESPIPE);
	pfd = (struct pollfd){ .fd = ffd, .events = POLLIN | POLLOUT };
	assert_int_equal(e.d->poll(e.d->priv, &pfd, 1, 0), 1);
	assert_int_equal(pfd.revents, POLLOUT);
	/* the hook, as the IOMMU core would report two single-page groups */
	pthread_mutex_lock(&e.m->lock);
	assert_int_equal(vm_iommufd_inject_fault(e.m, vd, false, 0, 0x11, &pg[0], 1), 0);
	assert_int_equal(vm_iommufd_inject_fault(e.m, vd, false, 0, 0x22, &pg[1], 1), 0);
	/* dropped by the kernel: no PASID attachment there; not a device; no pages */
	assert_int_equal(vm_iommufd_inject_fault(e.m, vd, true, 5, 1, pg, 1), -ENOENT);
	assert_int_equal(vm_iommufd_inject_fault(e.m, vm_device_find(e.m, "0000:00:02.0"), false, 0, 1, pg, 1),
			 -ENODEV);
	assert_int_equal(vm_iommufd_inject_fault(e.m, vd, false, 0, 1, pg, 0), -EINVAL);
	pthread_mutex_unlock(&e.m->lock);
	assert_int_equal(e.d->poll(e.d->priv, &pfd, 1, 0), 1);
	assert_true(pfd.revents & POLLIN);
	/* FACTS: read 80 with 2 pending: flags LAST_PAGE, cookies 1 and 2 */
	memset(rec, 0xee, sizeof(rec));
	assert_int_equal(e.d->read(e.d->priv, ffd, rec, 160), 80);
	assert_int_equal(rec[0].flags, KABI_PGFAULT_FLAGS_LAST_PAGE);
	assert_int_equal(rec[0].dev_id, devid);
	assert_int_equal(rec[0].pasid, 0);
	assert_int_equal(rec[0].grpid, 0x11);
	assert_int_equal(rec[0].perm, 1);
	assert_int_equal(rec[0].__reserved, 0);
	assert_true(rec[0].addr == 0x1234000);
	assert_int_equal(rec[0].length, 0);
	assert_int_equal(rec[0].cookie, 1);
	assert_int_equal(rec[1].cookie, 2);
	assert_int_equal(rec[1].grpid, 0x22);
	assert_int_equal(e.d->read(e.d->priv, ffd, rec, 40), 0);
	/* FACTS: write 7 -> ESPIPE; SUCCESS -> 8; same cookie again / unknown / code 7 -> EINVAL */
	resp[0] = (struct kabi_iommu_hwpt_page_response){ 1, KABI_IOMMUFD_PAGE_RESP_SUCCESS };
	assert_int_equal(e.d->write(e.d->priv, ffd, resp, 7), -ESPIPE);
	assert_int_equal(e.d->write(e.d->priv, ffd, resp, 8), 8);
	assert_int_equal(e.d->write(e.d->priv, ffd, resp, 8), -EINVAL);
	resp[0].cookie = 99;
	assert_int_equal(e.d->write(e.d->priv, ffd, resp, 8), -EINVAL);
	resp[0] = (struct kabi_iommu_hwpt_page_response){ 2, 7 };
	assert_int_equal(e.d->write(e.d->priv, ffd, resp, 8), -EINVAL);
	/* FACTS: two responses, the second bad -> 8 */
	resp[0] = (struct kabi_iommu_hwpt_page_response){ 2, KABI_IOMMUFD_PAGE_RESP_INVALID };
	resp[1] = (struct kabi_iommu_hwpt_page_response){ 2, KABI_IOMMUFD_PAGE_RESP_SUCCESS };
	assert_int_equal(e.d->write(e.d->priv, ffd, resp, 16), 8);
	/* FACTS: cookies are reused; a group is delivered whole or not at all */
	pthread_mutex_lock(&e.m->lock);
	assert_int_equal(vm_iommufd_inject_fault(e.m, vd, false, 0, 0x33, pg, 2), 0);
	pthread_mutex_unlock(&e.m->lock);
	assert_int_equal(e.d->read(e.d->priv, ffd, rec, 40), 0);
	assert_int_equal(e.d->read(e.d->priv, ffd, rec, 80), 80);
	assert_int_equal(rec[0].cookie, 1);
	assert_int_equal(rec[1].cookie, 1);
	assert_int_equal(rec[0].flags, 0);
	assert_int_equal(rec[1].flags, KABI_PGFAULT_FLAGS_LAST_PAGE);
	/* FACTS: replace away with one read-unanswered and one unread group: both vanish */
	pthread_mutex_lock(&e.m->lock);
	assert_int_equal(vm_iommufd_inject_fault(e.m, vd, false, 0, 0x44, pg, 1), 0);
	pthread_mutex_unlock(&e.m->lock);
	assert_int_equal(attach(&e, dfd, ioas, NULL), 0);
	assert_int_equal(e.d->read(e.d->priv, ffd, rec, 40), 0);
	resp[0] = (struct kabi_iommu_hwpt_page_response){ 1, KABI_IOMMUFD_PAGE_RESP_SUCCESS };
	assert_int_equal(e.d->write(e.d->priv, ffd, resp, 8), -EINVAL);
	/* the RID is now on a HWPT without a fault object */
	pthread_mutex_lock(&e.m->lock);
	assert_int_equal(vm_iommufd_inject_fault(e.m, vd, false, 0, 1, pg, 1), -EOPNOTSUPP);
	pthread_mutex_unlock(&e.m->lock);
	/* FACTS: PASID | FAULT_ID_VALID HWPT on pasid 200: flags PASID_VALID | LAST_PAGE, pasid 200 */
	assert_int_equal(attach(&e, dfd, hwpt_new(&e, devid, ioas, KABI_IOMMU_HWPT_ALLOC_PASID, 0), NULL), 0);
	hp = hwpt_new(&e, devid, ioas, KABI_IOMMU_HWPT_ALLOC_PASID | KABI_IOMMU_HWPT_FAULT_ID_VALID,
		      fa.out_fault_id);
	assert_int_equal(attach_pasid(&e, dfd, hp, 200), 0);
	pthread_mutex_lock(&e.m->lock);
	assert_int_equal(vm_iommufd_inject_fault(e.m, vd, true, 200, 7, pg, 1), 0);
	pthread_mutex_unlock(&e.m->lock);
	assert_int_equal(e.d->read(e.d->priv, ffd, rec, 40), 40);
	assert_int_equal(rec[0].flags, KABI_PGFAULT_FLAGS_PASID_VALID | KABI_PGFAULT_FLAGS_LAST_PAGE);
	assert_int_equal(rec[0].pasid, 200);
	assert_int_equal(rec[0].cookie, 1);
	assert_int_equal(destroy(&e, h), 0);
	/* closing everything with an answered-never group outstanding is fine */
	dclose(&e, dfd);
	assert_int_equal(destroy(&e, fa.out_fault_id), -EBUSY);
	dclose(&e, ffd);
	env_down(&e);
}

/* ---------------------------------------------------------------- fail-Nth */

static vfioiommu_mock *sweep_setup(void *arg)
{
	return th_mock(th_host_default);
}

/* The whole life of an iommufd user through the door: every failure must leave no fd behind. */
static int sweep_body(vfioiommu_mock *m, void *arg)
{
	const vfioiommu_door *d = vfioiommu_mock_door(m);
	struct kabi_iommu_ioas_alloc a = { .size = sizeof(a) };
	struct kabi_vfio_device_bind_iommufd b = { .argsz = 16 };
	struct kabi_vfio_device_attach_iommufd_pt at = { .argsz = 12 };
	struct kabi_vfio_device_detach_iommufd_pt dt = { .argsz = 8 };
	struct kabi_iommu_iova_range r[4];
	struct kabi_iommu_ioas_iova_ranges q = { .size = sizeof(q), .num_iovas = 4, .allowed_iovas = (uintptr_t)r };
	struct kabi_iommu_ioas_unmap u = { .size = sizeof(u), .length = U64_MAX };
	struct kabi_iommu_destroy ds = { .size = sizeof(ds) };
	static uint8_t page[8192] __attribute__((aligned(4096)));
	struct kabi_iommu_ioas_map mp = { .size = sizeof(mp), .flags = FIX, .user_va = (uintptr_t)page,
					  .length = 4096, .iova = 0x100000 };
	int ifd, dfd = -1, rc, rc2;

	ifd = d->open(d->priv, "/dev/iommu", O_RDWR);
	if (ifd < 0)
		return ifd;
	rc = d->ioctl(d->priv, ifd, KABI_IOMMU_IOAS_ALLOC, &a);
	if (rc == 0)
		rc = dfd = d->open(d->priv, "/dev/vfio/devices/vfio0", O_RDWR);
	if (rc >= 0) {
		b.iommufd = ifd;
		rc = d->ioctl(d->priv, dfd, KABI_VFIO_DEVICE_BIND_IOMMUFD, &b);
	}
	if (rc == 0) {
		at.pt_id = a.out_ioas_id;
		rc = d->ioctl(d->priv, dfd, KABI_VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at);
	}
	if (rc == 0) {
		q.ioas_id = a.out_ioas_id;
		rc = d->ioctl(d->priv, ifd, KABI_IOMMU_IOAS_IOVA_RANGES, &q);
		if (rc == 0 && q.num_iovas != 2)
			rc = -EPROTO;
	}
	if (rc == 0) {
		mp.ioas_id = a.out_ioas_id;
		rc = d->ioctl(d->priv, ifd, KABI_IOMMU_IOAS_MAP, &mp);
	}
	if (rc == 0) {
		u.ioas_id = a.out_ioas_id;
		rc = d->ioctl(d->priv, ifd, KABI_IOMMU_IOAS_UNMAP, &u);
	}
	if (rc == 0)
		rc = d->ioctl(d->priv, dfd, KABI_VFIO_DEVICE_DETACH_IOMMUFD_PT, &dt);
	if (rc == 0) {
		ds.id = a.out_ioas_id;
		rc = d->ioctl(d->priv, ifd, KABI_IOMMU_DESTROY, &ds);
	}
	if (dfd >= 0 && (rc2 = d->close(d->priv, dfd)) < 0 && rc == 0)
		rc = rc2;
	if ((rc2 = d->close(d->priv, ifd)) < 0 && rc == 0)
		rc = rc2;
	return rc < 0 ? rc : 0;
}

static void fail_nth_sweep(void **state)
{
	unsigned long n = th_sweep(sweep_setup, sweep_body, NULL, 200);

	assert_true(n >= 10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(size_contracts),
		cmocka_unit_test(destroy_and_ids),
		cmocka_unit_test(two_devices_share_auto_hwpt),
		cmocka_unit_test(bind_rules),
		cmocka_unit_test(iommufd_outlives_its_fd),
		cmocka_unit_test(ranges_fresh_and_emsgsize),
		cmocka_unit_test(attach_narrows_detach_widens),
		cmocka_unit_test(map_errno_table),
		cmocka_unit_test(unmap_errno_table),
		cmocka_unit_test(map_file),
		cmocka_unit_test(allow_iovas),
		cmocka_unit_test(hwpt_alloc_rules),
		cmocka_unit_test(hw_info),
		cmocka_unit_test(hw_info_per_model),
		cmocka_unit_test(options_and_vfio_ioas),
		cmocka_unit_test(pasid_attach_rules),
		cmocka_unit_test(fault_queue),
		cmocka_unit_test(fail_nth_sweep),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
