/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * The mock's device model (lib/mock/device.c), driven with raw ioctls,
 * pread/pwrite and mmap through the door on device fds the library opened.
 * Expected values for the e1000e are tests/vm/FACTS.md's (§1 "VFIO device
 * fd", §3 e); the rest follows the kernel sources cited in device.c.  The
 * fault region (fault_region.c) has no upstream counterpart: its tests check
 * the contract mock.h documents.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "backend/internal.h"
#include "device_fixture.h"
#include "helpers.h"
#include "core/internal.h"
#include "core/door.h"
#include "kabi/kabi.h"
#include "kabi/kabi.h"
#include <vfioiommu/fault.h>
#include <vfioiommu/mock.h>

static const char host[] =
	"group 3\n"
	"  device 0000:00:03.0 vfio-pci\n"
	"group 10\n"
	"  device 0000:03:00.0 vfio-pci model=nvme\n"
	"  device 0000:03:00.1 vfio-pci model=nvme reset=no\n"
	"group 11\n"
	"  device 0000:03:01.0 vfio-pci\n"
	"group 12\n"
	"  device 0000:00:02.0 vfio-pci model=igd\n"
	"group 13\n"
	"  device 0000:04:00.0 vfio-pci\n"
	"group 14\n"
	"  device 0000:04:01.0 e1000e\n"
	"group 15\n"
	"  device 0000:06:00.0 vfio-pci faultregion=0x80001234:1\n"
	"group 16\n"
	"  device 0000:07:00.0 vfio-pci model=igd faultregion=0x80001234:2:4096\n";

#define FR_DEV "0000:06:00.0"
#define FR_IGD "0000:07:00.0"
#define FR_TYPE 0x80001234u

static int xio(struct df_env *e, unsigned long req, void *arg)
{
	return e->d->ioctl(e->d->priv, e->fd, req, arg);
}

static uint64_t off_of(uint32_t index)
{
	return (uint64_t)index << 40;
}

/* REGION_INFO with a given argsz into a zeroed 256-byte buffer. */
static int region(struct df_env *e, uint32_t index, uint32_t argsz, uint8_t *buf)
{
	struct kabi_vfio_region_info ri = { .argsz = argsz, .index = index };

	memset(buf, 0, 256);
	memcpy(buf, &ri, sizeof(ri));
	return xio(e, KABI_VFIO_DEVICE_GET_REGION_INFO, buf);
}

static struct kabi_vfio_region_info ri_of(const uint8_t *buf)
{
	struct kabi_vfio_region_info ri;

	memcpy(&ri, buf, sizeof(ri));
	return ri;
}

/* ---------------- GET_INFO ---------------- */

static void device_info(void **state)
{
	struct kabi_vfio_device_info di;
	struct df_env e;

	(void)state;
	df_open(&e, host, VFIOIOMMU_MODE_CONTAINER, "0000:00:03.0");
	di = (struct kabi_vfio_device_info){ .argsz = 12 };
	assert_int_equal(xio(&e, KABI_VFIO_DEVICE_GET_INFO, &di), -EINVAL);
	di = (struct kabi_vfio_device_info){ .argsz = 24 };
	assert_int_equal(xio(&e, KABI_VFIO_DEVICE_GET_INFO, &di), 0);
	assert_int_equal(di.argsz, 24);
	assert_int_equal(di.flags, KABI_VFIO_DEVICE_FLAGS_PCI | KABI_VFIO_DEVICE_FLAGS_RESET);
	assert_int_equal(di.num_regions, 9);
	assert_int_equal(di.num_irqs, 5);
	assert_int_equal(xio(&e, KABI_VFIO_DEVICE_GET_INFO, NULL), -EFAULT);
	df_close(&e);

	/* reset=no clears RESET; the igd has three device-specific regions */
	df_open(&e, host, VFIOIOMMU_MODE_CONTAINER, "0000:03:00.1");
	di = (struct kabi_vfio_device_info){ .argsz = 24 };
	assert_int_equal(xio(&e, KABI_VFIO_DEVICE_GET_INFO, &di), 0);
	assert_int_equal(di.flags, KABI_VFIO_DEVICE_FLAGS_PCI);
	df_close(&e);
	df_open(&e, host, VFIOIOMMU_MODE_IOMMUFD, "0000:00:02.0");
	di = (struct kabi_vfio_device_info){ .argsz = 24 };
	assert_int_equal(xio(&e, KABI_VFIO_DEVICE_GET_INFO, &di), 0);
	assert_int_equal(di.num_regions, 12);
	df_close(&e);
}

/* ---------------- REGION_INFO ---------------- */

static void region_info_e1000e(void **state)
{
	static const struct { uint64_t size; uint32_t flags; } want[8] = {
		{ 0x20000, 0x7 }, { 0x20000, 0x7 }, { 0x20, 0x3 }, { 0x4000, 0xf },
		{ 0, 0 }, { 0, 0 }, { 0, 0 }, { 0x1000, 0x3 },
	};
	enum vfioiommu_mode modes[] = { VFIOIOMMU_MODE_CONTAINER, VFIOIOMMU_MODE_IOMMUFD };
	struct kabi_vfio_region_info ri;
	struct kabi_vfio_info_cap_header h;
	uint8_t buf[256];
	struct df_env e;

	(void)state;
	for (unsigned int mi = 0; mi < 2; mi++) {
		df_open(&e, host, modes[mi], "0000:00:03.0");
		for (uint32_t i = 0; i < 8; i++) {
			assert_int_equal(region(&e, i, 32, buf), 0);
			ri = ri_of(buf);
			assert_int_equal(ri.size, want[i].size);
			assert_int_equal(ri.flags, want[i].flags);
			assert_int_equal(ri.offset, off_of(i));
			/* FACTS: BAR3 with argsz 32 -> argsz 40 and cap_offset 0; others keep 32 */
			assert_int_equal(ri.argsz, i == 3 ? 40 : 32);
			assert_int_equal(ri.cap_offset, 0);
		}
		assert_int_equal(region(&e, 3, 40, buf), 0);
		ri = ri_of(buf);
		assert_int_equal(ri.argsz, 40);
		assert_int_equal(ri.cap_offset, 32);
		memcpy(&h, buf + 32, sizeof(h));
		assert_int_equal(h.id, KABI_REGION_CAP_MSIX_MAPPABLE);
		assert_int_equal(h.version, 1);
		assert_int_equal(h.next, 0);
		/* a bigger argsz is left as passed */
		assert_int_equal(region(&e, 3, 200, buf), 0);
		assert_int_equal(ri_of(buf).argsz, 200);
		assert_int_equal(region(&e, 0, 16, buf), -EINVAL);
		assert_int_equal(region(&e, 8, 32, buf), -EINVAL);
		assert_int_equal(region(&e, 9, 32, buf), -EINVAL);
		assert_int_equal(xio(&e, KABI_VFIO_DEVICE_GET_REGION_INFO, NULL), -EFAULT);
		df_close(&e);
	}
}

static void region_info_nvme_igd(void **state)
{
	struct kabi_vfio_region_info ri;
	uint8_t buf[256];
	uint32_t v32;
	uint64_t v64;
	struct df_env e;

	(void)state;
	df_open(&e, host, VFIOIOMMU_MODE_CONTAINER, "0000:03:00.0");
	assert_int_equal(region(&e, 0, 32, buf), 0);
	ri = ri_of(buf);
	assert_int_equal(ri.argsz, 32 + 16 + 32);
	assert_int_equal(region(&e, 0, ri.argsz, buf), 0);
	assert_int_equal(ri_of(buf).cap_offset, 32);
	assert_int_equal(buf[32], KABI_REGION_CAP_SPARSE_MMAP);
	memcpy(&v32, buf + 40, 4);
	assert_int_equal(v32, 2);
	memcpy(&v64, buf + 48, 8);
	assert_int_equal(v64, 0);
	memcpy(&v64, buf + 56, 8);
	assert_int_equal(v64, 0x2000);
	memcpy(&v64, buf + 64, 8);
	assert_int_equal(v64, 0x3000);
	memcpy(&v64, buf + 72, 8);
	assert_int_equal(v64, 0x1000);
	df_close(&e);

	df_open(&e, host, VFIOIOMMU_MODE_CONTAINER, "0000:00:02.0");
	assert_int_equal(region(&e, 8, 32, buf), 0); /* a VGA device has the VGA region */
	assert_int_equal(ri_of(buf).size, 0xc0000);
	for (uint32_t i = 9; i < 12; i++) {
		assert_int_equal(region(&e, i, 48, buf), 0);
		ri = ri_of(buf);
		assert_int_equal(ri.flags, KABI_VFIO_REGION_INFO_FLAG_READ | KABI_VFIO_REGION_INFO_FLAG_CAPS);
		assert_int_equal(ri.cap_offset, 32);
		assert_int_equal(buf[32], KABI_REGION_CAP_TYPE);
		memcpy(&v32, buf + 40, 4);
		assert_int_equal(v32, KABI_REGION_TYPE_PCI_VENDOR_TYPE | 0x8086);
		memcpy(&v32, buf + 44, 4);
		assert_int_equal(v32, i - 8);
	}
	assert_int_equal(region(&e, 12, 32, buf), -EINVAL);
	df_close(&e);
}

/* ---------------- IRQ_INFO ---------------- */

static void irq_info(void **state)
{
	static const uint32_t flags[5] = { 0x7, 0x9, 0x1, 0x9, 0x9 }, count[5] = { 1, 1, 5, 1, 1 };
	struct kabi_vfio_irq_info ii;
	struct df_env e;

	(void)state;
	df_open(&e, host, VFIOIOMMU_MODE_CONTAINER, "0000:00:03.0");
	for (uint32_t i = 0; i < 5; i++) {
		ii = (struct kabi_vfio_irq_info){ .argsz = 16, .index = i };
		assert_int_equal(xio(&e, KABI_VFIO_DEVICE_GET_IRQ_INFO, &ii), 0);
		assert_int_equal(ii.flags, flags[i]);
		assert_int_equal(ii.count, count[i]);
	}
	ii = (struct kabi_vfio_irq_info){ .argsz = 16, .index = 5 };
	assert_int_equal(xio(&e, KABI_VFIO_DEVICE_GET_IRQ_INFO, &ii), -EINVAL);
	ii = (struct kabi_vfio_irq_info){ .argsz = 12, .index = 0 };
	assert_int_equal(xio(&e, KABI_VFIO_DEVICE_GET_IRQ_INFO, &ii), -EINVAL);
	df_close(&e);
	/* conventional PCI: no ERR index at all */
	df_open(&e, host, VFIOIOMMU_MODE_CONTAINER, "0000:00:02.0");
	ii = (struct kabi_vfio_irq_info){ .argsz = 16, .index = KABI_PCI_ERR_IRQ };
	assert_int_equal(xio(&e, KABI_VFIO_DEVICE_GET_IRQ_INFO, &ii), -EINVAL);
	df_close(&e);
}

/* ---------------- SET_IRQS ---------------- */

/* SET_IRQS: the 20-byte header then up to 8 s32 (or u8) payload entries */
static int setirq_raw(struct df_env *e, uint32_t argsz, uint32_t flags, uint32_t index, uint32_t start, uint32_t count,
		      const void *data, size_t dlen)
{
	struct kabi_vfio_irq_set h = { .argsz = argsz, .flags = flags, .index = index, .start = start, .count = count };
	uint8_t buf[sizeof(h) + 32] = { 0 };

	memcpy(buf, &h, sizeof(h));
	if (data)
		memcpy(buf + sizeof(h), data, dlen);
	return xio(e, KABI_VFIO_DEVICE_SET_IRQS, buf);
}

static int setirq(struct df_env *e, uint32_t flags, uint32_t index, uint32_t start, uint32_t count, const int *fds)
{
	int32_t v[8] = { 0 };

	for (uint32_t i = 0; fds && i < count && i < 8; i++)
		v[i] = fds[i];
	return setirq_raw(e, (uint32_t)(sizeof(struct kabi_vfio_irq_set) + (fds ? count * 4 : 0)), flags, index, start,
			  count, fds ? v : NULL, sizeof(v));
}

#define EVT (KABI_VFIO_IRQ_SET_DATA_EVENTFD | KABI_VFIO_IRQ_SET_ACTION_TRIGGER)
#define NONE_TRIG (KABI_VFIO_IRQ_SET_DATA_NONE | KABI_VFIO_IRQ_SET_ACTION_TRIGGER)

static void set_irqs_contract(void **state)
{
	int fds[8] = { -1, -1, -1, -1, -1, -1, -1, -1 }, bad[1] = { 1 };
	struct df_env e;

	(void)state;
	for (int i = 0; i < 5; i++)
		fds[i] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	df_open(&e, host, VFIOIOMMU_MODE_CONTAINER, "0000:00:03.0");
	assert_int_equal(setirq_raw(&e, 16, EVT, 2, 0, 1, NULL, 0), -EINVAL);
	assert_int_equal(setirq(&e, EVT, 2, 0, 6, fds), -EINVAL);              /* past the 5 vectors */
	assert_int_equal(setirq(&e, EVT, 2, 5, 1, fds), -EINVAL);
	assert_int_equal(setirq(&e, EVT | KABI_VFIO_IRQ_SET_DATA_NONE, 2, 0, 1, fds), -EINVAL); /* two data types */
	assert_int_equal(setirq(&e, KABI_VFIO_IRQ_SET_DATA_NONE, 2, 0, 1, NULL), -ENOTTY);  /* no action */
	assert_int_equal(setirq(&e, KABI_VFIO_IRQ_SET_DATA_NONE | KABI_VFIO_IRQ_SET_ACTION_MASK, 2, 0, 1, NULL), -ENOTTY);
	assert_int_equal(setirq(&e, 1u << 6 | EVT, 2, 0, 1, fds), -EINVAL);     /* unknown flag */
	assert_int_equal(setirq_raw(&e, 20, EVT, 2, 0, 1, fds, 4), -EINVAL);    /* no room for the fd */
	/* the kernel refuses to disable or trigger what is off */
	assert_int_equal(setirq(&e, NONE_TRIG, 2, 0, 0, NULL), -EINVAL);
	assert_int_equal(setirq(&e, NONE_TRIG, 2, 0, 1, NULL), -EINVAL);
	/* not eventfds */
	assert_int_equal(setirq(&e, EVT, 2, 0, 1, bad), -EINVAL);
	bad[0] = e.fd;
	assert_int_equal(setirq(&e, EVT, 2, 0, 1, bad), -EINVAL);
	bad[0] = 987654;
	assert_int_equal(setirq(&e, EVT, 2, 0, 1, bad), -EBADF);
	/* MSI-X on, loopback trigger, device-side vector, then MSI is refused */
	assert_int_equal(setirq(&e, EVT, 2, 0, 5, fds), 0);
	assert_int_equal(setirq(&e, NONE_TRIG, 2, 1, 2, NULL), 0);
	assert_false(th_fired(fds[0]));
	assert_true(th_fired(fds[1]));
	assert_true(th_fired(fds[2]));
	assert_int_equal(vfioiommu_mock_device_irq(e.m, "0000:00:03.0", 2, 4), 0);
	assert_true(th_fired(fds[4]));
	assert_int_equal(setirq(&e, EVT, 1, 0, 1, fds), -EINVAL);
	assert_int_equal(setirq(&e, EVT, 0, 0, 1, fds), -EINVAL);
	/* detach one vector with -1 */
	bad[0] = -1;
	assert_int_equal(setirq(&e, EVT, 2, 4, 1, bad), 0);
	assert_int_equal(vfioiommu_mock_device_irq(e.m, "0000:00:03.0", 2, 4), -ENOENT);
	assert_int_equal(setirq(&e, NONE_TRIG, 2, 0, 0, NULL), 0);
	assert_int_equal(vfioiommu_mock_device_irq(e.m, "0000:00:03.0", 2, 0), -ENOENT);
	assert_int_equal(vfioiommu_mock_device_irq(e.m, "0000:00:03.0", 2, 9), -EINVAL);
	assert_int_equal(vfioiommu_mock_device_irq(e.m, "0000:09:00.0", 2, 0), -ENODEV);
	df_close(&e);
	for (int i = 0; i < 5; i++)
		close(fds[i]);
}

static void set_irqs_intx_single(void **state)
{
	int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	uint8_t yes = 1;
	struct df_env e;

	(void)state;
	df_open(&e, host, VFIOIOMMU_MODE_CONTAINER, "0000:00:03.0");
	/* mask before INTx is on: EINVAL */
	assert_int_equal(setirq(&e, KABI_VFIO_IRQ_SET_DATA_NONE | KABI_VFIO_IRQ_SET_ACTION_MASK, 0, 0, 1, NULL), -EINVAL);
	assert_int_equal(setirq(&e, EVT, 0, 0, 1, &fd), 0);
	/* level triggered: the first interrupt automasks, the next waits for the unmask */
	assert_int_equal(vfioiommu_mock_device_irq(e.m, "0000:00:03.0", 0, 0), 0);
	assert_true(th_fired(fd));
	assert_int_equal(vfioiommu_mock_device_irq(e.m, "0000:00:03.0", 0, 0), 0);
	assert_false(th_fired(fd));
	assert_int_equal(setirq(&e, KABI_VFIO_IRQ_SET_DATA_NONE | KABI_VFIO_IRQ_SET_ACTION_UNMASK, 0, 0, 1, NULL), 0);
	assert_true(th_fired(fd));
	assert_int_equal(setirq(&e, KABI_VFIO_IRQ_SET_DATA_EVENTFD | KABI_VFIO_IRQ_SET_ACTION_MASK, 0, 0, 1, &fd), -ENOTTY);
	assert_int_equal(setirq(&e, NONE_TRIG, 0, 0, 1, NULL), 0);
	assert_true(th_fired(fd));
	assert_int_equal(setirq(&e, NONE_TRIG, 0, 0, 0, NULL), 0);

	/* REQ: DATA_NONE without an eventfd is EINVAL; with one it signals; count > 1 EINVAL */
	assert_int_equal(setirq(&e, NONE_TRIG, 4, 0, 1, NULL), -EINVAL);
	assert_int_equal(setirq(&e, EVT, 4, 0, 1, &fd), 0);
	assert_int_equal(vfioiommu_mock_device_request(e.m, "0000:00:03.0"), 0);
	assert_true(th_fired(fd));
	assert_int_equal(setirq_raw(&e, 21, KABI_VFIO_IRQ_SET_DATA_BOOL | KABI_VFIO_IRQ_SET_ACTION_TRIGGER, 4, 0, 1,
				    &yes, 1), 0);
	assert_true(th_fired(fd));
	assert_int_equal(setirq(&e, NONE_TRIG, 4, 0, 0, NULL), 0);
	assert_int_equal(vfioiommu_mock_device_request(e.m, "0000:00:03.0"), -ENOENT);
	/* the device keeps its own reference: closing ours later does not matter */
	assert_int_equal(setirq(&e, EVT, 3, 0, 1, &fd), 0);
	df_close(&e);
	close(fd);
}

static void set_irqs_msi_noresize(void **state)
{
	int fds[4];
	struct df_env e;

	(void)state;
	for (int i = 0; i < 4; i++)
		fds[i] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	df_open(&e, host, VFIOIOMMU_MODE_CONTAINER, "0000:03:00.0");
	assert_int_equal(setirq(&e, EVT, 1, 0, 2, fds), 0);
	assert_int_equal(setirq(&e, EVT, 1, 2, 2, fds + 2), -EINVAL);  /* MSI does not grow */
	assert_int_equal(setirq(&e, EVT, 1, 1, 1, fds + 3), 0);        /* inside what was allocated */
	assert_int_equal(setirq(&e, NONE_TRIG, 1, 0, 0, NULL), 0);
	assert_int_equal(setirq(&e, EVT, 1, 0, 4, fds), 0);
	/* MSI-X grows vector by vector (dynamic MSI-X) */
	assert_int_equal(setirq(&e, NONE_TRIG, 1, 0, 0, NULL), 0);
	assert_int_equal(setirq(&e, EVT, 2, 0, 1, fds), 0);
	assert_int_equal(setirq(&e, EVT, 2, 60, 2, fds), 0);
	assert_int_equal(vfioiommu_mock_device_irq(e.m, "0000:03:00.0", 2, 61), 0);
	assert_true(th_fired(fds[1]));
	df_close(&e);
	for (int i = 0; i < 4; i++)
		close(fds[i]);
}

/* ---------------- I/O and mmap ---------------- */

static ssize_t xpread(struct df_env *e, void *buf, size_t n, uint64_t off)
{
	return e->d->pread(e->d->priv, e->fd, buf, n, (int64_t)off);
}

static ssize_t xpwrite(struct df_env *e, const void *buf, size_t n, uint64_t off)
{
	return e->d->pwrite(e->d->priv, e->fd, buf, n, (int64_t)off);
}

static void *xmmap(struct df_env *e, size_t len, uint64_t off, int *err)
{
	return e->d->mmap(e->d->priv, NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, e->fd, (int64_t)off, err);
}

static void io_and_mmap(void **state)
{
	uint8_t b[16];
	uint32_t v;
	volatile uint32_t *bar;
	int err = 0;
	struct df_env e;

	(void)state;
	df_open(&e, host, VFIOIOMMU_MODE_IOMMUFD, "0000:00:03.0");
	assert_int_equal(xpread(&e, b, 4, off_of(7)), 4);
	assert_int_equal(b[0] | b[1] << 8, 0x8086);
	assert_int_equal(b[2] | b[3] << 8, 0x10d3);
	assert_int_equal(xpread(&e, b, 4, off_of(0) + 8), 4);
	memcpy(&v, b, 4);
	assert_int_equal(v, 0x00000283);
	/* at the end a read is cut short; past it EINVAL; unknown or empty regions EINVAL */
	assert_int_equal(xpread(&e, b, 16, off_of(2) + 0x18), 8);
	assert_int_equal(xpread(&e, b, 4, off_of(2) + 0x20), -EINVAL);
	assert_int_equal(xpread(&e, b, 4, off_of(4)), -EINVAL);
	assert_int_equal(xpread(&e, b, 4, off_of(8)), -EINVAL);
	assert_int_equal(xpread(&e, b, 4, off_of(12)), -EINVAL);
	/* config: only the command register takes writes */
	v = 0xffffffff;
	assert_int_equal(xpwrite(&e, &v, 4, off_of(7)), 4);
	assert_int_equal(xpwrite(&e, &v, 2, off_of(7) + 4), 2);
	assert_int_equal(xpread(&e, b, 6, off_of(7)), 6);
	assert_int_equal(b[0] | b[1] << 8, 0x8086);
	assert_int_equal(b[4] | b[5] << 8, 0xffff);
	/* mmap: BAR0 is shared memory with pread/pwrite */
	bar = xmmap(&e, 0x20000, off_of(0), &err);
	assert_non_null(bar);
	assert_int_equal(vfioiommu_mock_live_mmaps(e.m), 1);
	assert_int_equal(bar[2], 0x00000283);
	v = 0x1234;
	assert_int_equal(xpwrite(&e, &v, 4, off_of(0) + 0x100), 4);
	assert_int_equal(bar[0x40], 0x1234);
	bar[0x41] = 0x5678;
	assert_int_equal(xpread(&e, &v, 4, off_of(0) + 0x104), 4);
	assert_int_equal(v, 0x5678);
	/* a reset puts registers back, visibly through the mapping */
	assert_int_equal(xio(&e, KABI_VFIO_DEVICE_RESET, NULL), 0);
	assert_int_equal(bar[0x40], 0);
	assert_int_equal(bar[2], 0x00000283);
	assert_int_equal(vfioiommu_mock_device_resets(e.m, "0000:00:03.0"), 1);
	/* not mappable: I/O BAR, config, past the BAR, misaligned */
	assert_null(xmmap(&e, 4096, off_of(2), &err));
	assert_int_equal(err, -EINVAL);
	assert_null(xmmap(&e, 4096, off_of(7), &err));
	assert_int_equal(err, -EINVAL);
	assert_null(xmmap(&e, 0x21000, off_of(0), &err));
	assert_int_equal(err, -EINVAL);
	assert_null(xmmap(&e, 4096, off_of(0) + 0x10, &err));
	assert_int_equal(err, -EINVAL);
	assert_int_equal(e.d->munmap(e.d->priv, (void *)bar, 0x20000), 0);
	assert_int_equal(vfioiommu_mock_live_mmaps(e.m), 0);
	df_close(&e);

	/* before 4.16 the kernel refused mmaps over the MSI-X table */
	df_open(&e, host, VFIOIOMMU_MODE_CONTAINER, "0000:03:00.0");
	assert_null(xmmap(&e, 0x4000, off_of(0), &err));
	assert_int_equal(err, -EINVAL);
	bar = xmmap(&e, 0x1000, off_of(0) + 0x3000, &err);
	assert_non_null(bar);
	assert_int_equal(e.d->munmap(e.d->priv, (void *)bar, 0x1000), 0);
	/* the device without FLR */
	df_close(&e);
	df_open(&e, host, VFIOIOMMU_MODE_CONTAINER, "0000:03:00.1");
	assert_int_equal(xio(&e, KABI_VFIO_DEVICE_RESET, NULL), -EINVAL);
	df_close(&e);
}

static void short_io(void **state)
{
	uint8_t b[8];
	struct df_env e;

	(void)state;
	df_open(&e, host, VFIOIOMMU_MODE_CONTAINER, "0000:00:03.0");
	vfioiommu_mock_set_hostile(e.m, VFIOIOMMU_MOCK_HOSTILE_SHORT_IO);
	assert_int_equal(xpread(&e, b, 8, off_of(7)), 3);
	assert_int_equal(xpwrite(&e, b, 8, off_of(0)), 3);
	df_close(&e);
}

/* ---------------- hot reset ---------------- */

static int hr_info(struct df_env *e, uint32_t argsz, uint8_t *buf)
{
	struct kabi_vfio_pci_hot_reset_info h = { .argsz = argsz };

	memset(buf, 0, 128);
	memcpy(buf, &h, sizeof(h));
	return xio(e, KABI_VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, buf);
}

static int hr(struct df_env *e, uint32_t count, const int *fds)
{
	struct kabi_vfio_pci_hot_reset h = { .argsz = (uint32_t)(12 + count * 4), .count = count };
	uint8_t buf[sizeof(h) + 16] = { 0 };

	memcpy(buf, &h, sizeof(h));
	for (uint32_t i = 0; i < count && i < 4; i++) {
		int32_t v = fds[i];
		memcpy(buf + sizeof(h) + i * 4, &v, 4);
	}
	return xio(e, KABI_VFIO_DEVICE_PCI_HOT_RESET, buf);
}

static void hot_reset_group(void **state)
{
	struct kabi_vfio_pci_hot_reset_info h;
	struct kabi_vfio_pci_dependent_device dd;
	uint8_t buf[128];
	int gfd[2];
	struct df_env e;

	(void)state;
	df_open(&e, host, VFIOIOMMU_MODE_CONTAINER, "0000:00:03.0");
	assert_int_equal(hr_info(&e, 128, buf), -ENODEV); /* root bus */
	df_close(&e);

	df_open(&e, host, VFIOIOMMU_MODE_CONTAINER, "0000:03:00.0");
	assert_int_equal(hr_info(&e, 8, buf), -EINVAL);
	assert_int_equal(hr_info(&e, 12, buf), -ENOSPC);
	memcpy(&h, buf, sizeof(h));
	assert_int_equal(h.count, 3);
	assert_int_equal(hr_info(&e, 12 + 3 * 8, buf), 0);
	memcpy(&h, buf, sizeof(h));
	assert_int_equal(h.flags, 0);
	assert_int_equal(h.count, 3);
	memcpy(&dd, buf + 12 + 8, sizeof(dd));
	assert_int_equal(dd.group_id, 10);
	assert_int_equal(dd.bus, 3);
	assert_int_equal(dd.devfn, 1);
	memcpy(&dd, buf + 12 + 16, sizeof(dd));
	assert_int_equal(dd.group_id, 11);
	assert_int_equal(dd.devfn, 1 << 3);
	/* group fds: count 0 is for cdev users; group 11 missing; a non-group fd */
	assert_int_equal(hr(&e, 0, NULL), -EINVAL);
	assert_int_equal(vfioiommu_ctx_add_group(e.ctx, 11), 0);
	gfd[0] = vi_container_group_fd(e.ctx, 10);
	gfd[1] = vi_container_group_fd(e.ctx, 11);
	assert_true(gfd[0] >= 0 && gfd[1] >= 0);
	assert_int_equal(hr(&e, 1, gfd), -EINVAL);
	assert_int_equal(hr(&e, 2, (int[]){ gfd[0], e.fd }), -EINVAL);
	assert_int_equal(hr(&e, 2, (int[]){ gfd[0], 987654 }), -EBADF);
	assert_int_equal(hr(&e, 2, gfd), 0);
	assert_int_equal(vfioiommu_mock_device_resets(e.m, "0000:03:00.0"), 1);
	assert_int_equal(vfioiommu_mock_device_resets(e.m, "0000:03:00.1"), 1);
	assert_int_equal(vfioiommu_mock_device_resets(e.m, "0000:03:01.0"), 1);
	assert_int_equal(vfioiommu_mock_device_resets(e.m, "0000:00:03.0"), 0);
	df_close(&e);

	/* a kernel driver on the bus makes it not resettable */
	df_open(&e, host, VFIOIOMMU_MODE_CONTAINER, "0000:04:00.0");
	gfd[0] = vi_container_group_fd(e.ctx, 13);
	assert_int_equal(hr(&e, 1, gfd), -EINVAL);
	df_close(&e);
}

static void hot_reset_cdev(void **state)
{
	struct kabi_vfio_pci_hot_reset_info h;
	struct kabi_vfio_pci_dependent_device dd[3];
	vfioiommu_device *other;
	uint8_t buf[128];
	int gfd[1] = { 0 };
	struct df_env e;

	(void)state;
	df_open(&e, host, VFIOIOMMU_MODE_IOMMUFD, "0000:03:00.0");
	assert_int_equal(hr_info(&e, 128, buf), 0);
	memcpy(&h, buf, sizeof(h));
	memcpy(dd, buf + 12, sizeof(dd));
	assert_int_equal(h.count, 3);
	/* not everything is owned: DEV_ID without DEV_ID_OWNED */
	assert_int_equal(h.flags, KABI_VFIO_PCI_HOT_RESET_FLAG_DEV_ID);
	assert_true(dd[0].devid > 0 && dd[0].devid != KABI_VFIO_PCI_DEVID_NOT_OWNED);
	assert_int_equal(dd[1].devid, KABI_VFIO_PCI_DEVID_OWNED);     /* unopened, in an owned group */
	assert_int_equal(dd[2].devid, KABI_VFIO_PCI_DEVID_NOT_OWNED); /* group 11: nobody's */
	assert_int_equal(hr(&e, 0, NULL), -EINVAL);
	gfd[0] = 3;
	assert_int_equal(hr(&e, 1, gfd), -EINVAL); /* cdev users pass no fds */
	assert_int_equal(vfioiommu_device_open(e.ctx, "0000:03:01.0", &other), 0);
	assert_int_equal(hr_info(&e, 128, buf), 0);
	memcpy(&h, buf, sizeof(h));
	assert_int_equal(h.flags, KABI_VFIO_PCI_HOT_RESET_FLAG_DEV_ID | KABI_VFIO_PCI_HOT_RESET_FLAG_DEV_ID_OWNED);
	assert_int_equal(hr(&e, 0, NULL), 0);
	assert_int_equal(vfioiommu_mock_device_resets(e.m, "0000:03:01.0"), 1);
	df_close(&e);
}

/* ---------------- the fault region ---------------- */

static uint32_t hdr_word(struct df_env *e, uint32_t index, unsigned int w)
{
	uint32_t v = 0xdeadbeef;

	assert_int_equal(xpread(e, &v, 4, off_of(index) + 4 * w), 4);
	return v;
}

static void fault_region_info(void **state)
{
	enum vfioiommu_mode modes[] = { VFIOIOMMU_MODE_CONTAINER, VFIOIOMMU_MODE_IOMMUFD };
	struct kabi_vfio_device_info di;
	struct kabi_vfio_region_info ri;
	struct kabi_vfio_info_cap_header h;
	uint8_t buf[256];
	uint32_t v32;
	struct df_env e;

	(void)state;
	for (unsigned int mi = 0; mi < 2; mi++) {
		df_open(&e, host, modes[mi], FR_DEV);
		di = (struct kabi_vfio_device_info){ .argsz = 24 };
		assert_int_equal(xio(&e, KABI_VFIO_DEVICE_GET_INFO, &di), 0);
		assert_int_equal(di.num_regions, 10); /* the e1000e's 9, then the fault region */
		/* argsz 32: the TYPE cap does not fit, argsz grows to 48, cap_offset stays 0 */
		assert_int_equal(region(&e, 9, 32, buf), 0);
		ri = ri_of(buf);
		assert_int_equal(ri.argsz, 48);
		assert_int_equal(ri.cap_offset, 0);
		assert_int_equal(ri.size, VFIOIOMMU_MOCK_FAULT_REGION_BYTES);
		assert_int_equal(ri.offset, off_of(9));
		assert_int_equal(ri.flags, KABI_VFIO_REGION_INFO_FLAG_READ | KABI_VFIO_REGION_INFO_FLAG_WRITE |
				 KABI_VFIO_REGION_INFO_FLAG_MMAP | KABI_VFIO_REGION_INFO_FLAG_CAPS);
		assert_int_equal(region(&e, 9, 48, buf), 0);
		ri = ri_of(buf);
		assert_int_equal(ri.argsz, 48);
		assert_int_equal(ri.cap_offset, 32);
		memcpy(&h, buf + 32, sizeof(h));
		assert_int_equal(h.id, KABI_REGION_CAP_TYPE);
		assert_int_equal(h.version, 1);
		assert_int_equal(h.next, 0);
		memcpy(&v32, buf + 40, 4);
		assert_int_equal(v32, FR_TYPE);
		memcpy(&v32, buf + 44, 4);
		assert_int_equal(v32, 1);
		assert_int_equal(region(&e, 10, 48, buf), -EINVAL);
		assert_int_equal(region(&e, 9, 16, buf), -EINVAL);
		/* the header as the kernel formatted it: 1023 records, indices 0 */
		assert_int_equal(hdr_word(&e, 9, 0), 1023);
		assert_int_equal(hdr_word(&e, 9, 1), 0);
		assert_int_equal(hdr_word(&e, 9, 2), 0);
		assert_int_equal(hdr_word(&e, 9, 3), 0);
		/* hostile cap chains reach it like any region */
		vfioiommu_mock_set_hostile(e.m, VFIOIOMMU_MOCK_HOSTILE_CAP_OOB);
		assert_int_equal(region(&e, 9, 48, buf), 0);
		memcpy(&h, buf + 32, sizeof(h));
		assert_int_equal(h.next, 48 + 64);
		vfioiommu_mock_set_hostile(e.m, 0);
		df_close(&e);
	}

	/* after the igd's twelve regions: index 12, 4 KiB, 63 records */
	df_open(&e, host, VFIOIOMMU_MODE_IOMMUFD, FR_IGD);
	di = (struct kabi_vfio_device_info){ .argsz = 24 };
	assert_int_equal(xio(&e, KABI_VFIO_DEVICE_GET_INFO, &di), 0);
	assert_int_equal(di.num_regions, 13);
	assert_int_equal(region(&e, 12, 48, buf), 0);
	assert_int_equal(ri_of(buf).size, 4096);
	memcpy(&v32, buf + 44, 4);
	assert_int_equal(v32, 2);
	assert_int_equal(hdr_word(&e, 12, 0), (4096 - 16) / 64);
	df_close(&e);
}

static struct vfioiommu_fault rec_n(uint32_t n)
{
	return (struct vfioiommu_fault){ .kind = VFIOIOMMU_FAULT_PAGE_REQ, .seq = n, .addr = 0x1000ull * n,
					 .cookie = n + 1, .pasid = 7, .flags = VFIOIOMMU_FAULT_F_PASID_VALID };
}

static void fault_region_push(void **state)
{
	struct vfioiommu_fault f = rec_n(0), got;
	volatile uint32_t *hdr;
	unsigned char *map;
	uint32_t v;
	int err = 0;
	struct df_env e;

	(void)state;
	df_open(&e, host, VFIOIOMMU_MODE_IOMMUFD, FR_DEV);
	/* not mappable: misaligned, past the end; the whole region is */
	assert_null(xmmap(&e, 4096, off_of(9) + 16, &err));
	assert_int_equal(err, -EINVAL);
	assert_null(xmmap(&e, 0x11000, off_of(9), &err));
	assert_int_equal(err, -EINVAL);
	map = xmmap(&e, 0x10000, off_of(9), &err);
	assert_non_null(map);
	assert_int_equal(vfioiommu_mock_live_mmaps(e.m), 1);
	hdr = (volatile uint32_t *)(void *)map;

	assert_int_equal(vfioiommu_mock_device_push_fault(e.m, FR_DEV, &f), 0);
	assert_int_equal(hdr[1], 1);
	memcpy(&got, map + 16, sizeof(got));
	assert_memory_equal(&got, &f, sizeof(f));
	/* pread sees the same bytes */
	assert_int_equal(xpread(&e, &got, sizeof(got), off_of(9) + 16), sizeof(got));
	assert_int_equal(got.seq, 0);
	assert_int_equal(got.cookie, 1);
	/* fill it: 1023 records, then ENOSPC with nothing written */
	for (uint32_t i = 1; i < 1023; i++) {
		f = rec_n(i);
		assert_int_equal(vfioiommu_mock_device_push_fault(e.m, FR_DEV, &f), 0);
	}
	f = rec_n(1023);
	assert_int_equal(vfioiommu_mock_device_push_fault(e.m, FR_DEV, &f), -ENOSPC);
	assert_int_equal(hdr[1], 1023);
	/* the consumer hands two slots back (through pwrite, as another process could) */
	v = 2;
	assert_int_equal(xpwrite(&e, &v, 4, off_of(9) + 8), 4);
	assert_int_equal(vfioiommu_mock_device_push_fault(e.m, FR_DEV, &f), 0);
	memcpy(&got, map + 16, sizeof(got)); /* slot 1023 % 1023 = 0 */
	assert_int_equal(got.seq, 1023);
	f = rec_n(1024);
	assert_int_equal(vfioiommu_mock_device_push_fault(e.m, FR_DEV, &f), 0);
	assert_int_equal(vfioiommu_mock_device_push_fault(e.m, FR_DEV, &f), -ENOSPC);
	assert_int_equal(hdr[1], 1025);

	/* a consumer that moves cons backwards, or past prod: the kernel writes nothing */
	hdr[2] = 1;
	assert_int_equal(vfioiommu_mock_device_push_fault(e.m, FR_DEV, &f), -EPROTO);
	hdr[2] = 2000;
	assert_int_equal(vfioiommu_mock_device_push_fault(e.m, FR_DEV, &f), -EPROTO);
	assert_int_equal(hdr[1], 1025);
	hdr[2] = 1025; /* all consumed: fine again */
	assert_int_equal(vfioiommu_mock_device_push_fault(e.m, FR_DEV, &f), 0);
	assert_int_equal(hdr[1], 1026);

	/* the broken producer's hook writes raw words; the kernel's own prod wins at the next push */
	assert_int_equal(vfioiommu_mock_device_poke_fault(e.m, FR_DEV, VFIOIOMMU_MOCK_FAULT_PROD, 7), 0);
	assert_int_equal(hdr[1], 7);
	assert_int_equal(vfioiommu_mock_device_poke_fault(e.m, FR_DEV, VFIOIOMMU_MOCK_FAULT_SIZE, 99999), 0);
	assert_int_equal(hdr[0], 99999);
	assert_int_equal(vfioiommu_mock_device_poke_fault(e.m, FR_DEV, VFIOIOMMU_MOCK_FAULT_RESERVED, 1), 0);
	assert_int_equal(hdr[3], 1);
	assert_int_equal(vfioiommu_mock_device_poke_fault(e.m, FR_DEV, VFIOIOMMU_MOCK_FAULT_CONS, 1026), 0);
	assert_int_equal(vfioiommu_mock_device_push_fault(e.m, FR_DEV, &f), 0);
	assert_int_equal(hdr[1], 1027);
	assert_int_equal(hdr[0], 99999); /* the kernel's size is its own; it never rewrites the header's */
	assert_int_equal(vfioiommu_mock_device_poke_fault(e.m, FR_DEV, 4, 0), -EINVAL);

	/* a reset leaves the ring alone */
	assert_int_equal(xio(&e, KABI_VFIO_DEVICE_RESET, NULL), 0);
	assert_int_equal(hdr[1], 1027);
	assert_int_equal(e.d->munmap(e.d->priv, map, 0x10000), 0);
	assert_int_equal(vfioiommu_mock_live_mmaps(e.m), 0);
	/* closed: the kernel's side is gone */
	df_close(&e);

	/* reopened: formatted afresh */
	df_open(&e, host, VFIOIOMMU_MODE_CONTAINER, FR_DEV);
	assert_int_equal(hdr_word(&e, 9, 1), 0);
	assert_int_equal(hdr_word(&e, 9, 0), 1023);
	/* a mapping outlives the device fd (the pages stay), and munmap still releases it */
	map = xmmap(&e, 0x10000, off_of(9), &err);
	assert_non_null(map);
	assert_int_equal(vfioiommu_mock_device_push_fault(e.m, FR_DEV, &f), 0);
	vfioiommu_ctx_destroy(e.ctx);
	assert_int_equal(((volatile uint32_t *)(void *)map)[1], 1);
	assert_int_equal(vfioiommu_mock_device_push_fault(e.m, FR_DEV, &f), -ENODEV);
	assert_int_equal(vfioiommu_mock_device_poke_fault(e.m, FR_DEV, 0, 0), -ENODEV);
	assert_int_equal(vfioiommu_mock_live_mmaps(e.m), 1);
	assert_int_equal(e.d->munmap(e.d->priv, map, 0x10000), 0);
	th_mock_done(e.m);
}

static void fault_region_knobs(void **state)
{
	struct vfioiommu_fault f = rec_n(0);
	struct df_env e;

	(void)state;
	df_open(&e, host, VFIOIOMMU_MODE_IOMMUFD, FR_DEV);
	assert_int_equal(vfioiommu_mock_device_push_fault(NULL, FR_DEV, &f), -EINVAL);
	assert_int_equal(vfioiommu_mock_device_push_fault(e.m, NULL, &f), -EINVAL);
	assert_int_equal(vfioiommu_mock_device_push_fault(e.m, FR_DEV, NULL), -EINVAL);
	assert_int_equal(vfioiommu_mock_device_push_fault(e.m, "0000:09:00.0", &f), -ENOENT);
	assert_int_equal(vfioiommu_mock_device_push_fault(e.m, "0000:00:03.0", &f), -ENOENT); /* no fault region */
	assert_int_equal(vfioiommu_mock_device_poke_fault(NULL, FR_DEV, 0, 0), -EINVAL);
	assert_int_equal(vfioiommu_mock_device_poke_fault(e.m, NULL, 0, 0), -EINVAL);
	assert_int_equal(vfioiommu_mock_device_poke_fault(e.m, "0000:00:03.0", 0, 0), -ENOENT);
	/* an open device cannot grow a region; nor can one that has one */
	assert_int_equal(vfioiommu_mock_device_add_fault_region(e.m, FR_DEV, 1, 1, 0x10000), -EBUSY);
	assert_int_equal(vfioiommu_mock_device_add_fault_region(e.m, "0000:04:00.0", 1, 1, 0x10000), 0);
	assert_int_equal(vfioiommu_mock_device_add_fault_region(e.m, "0000:04:00.0", 1, 2, 0x10000), -EEXIST);
	/* the igd's OpRegion type is taken; a model with it cannot replace one that has the fault region */
	assert_int_equal(vfioiommu_mock_device_add_fault_region(e.m, "0000:00:02.0", 0x80008086u, 1, 0x10000),
			 -EEXIST);
	assert_int_equal(vfioiommu_mock_device_add_fault_region(e.m, "0000:03:01.0", 0x80008086u, 3, 0x10000), 0);
	assert_int_equal(vfioiommu_mock_device_set_model(e.m, "0000:03:01.0", VFIOIOMMU_MOCK_MODEL_IGD), -EEXIST);
	assert_int_equal(vfioiommu_mock_device_set_model(e.m, "0000:03:01.0", VFIOIOMMU_MOCK_MODEL_NVME), 0);
	assert_int_equal(vfioiommu_mock_device_add_fault_region(e.m, "0000:09:00.0", 1, 1, 0x10000), -ENOENT);
	assert_int_equal(vfioiommu_mock_device_add_fault_region(NULL, FR_DEV, 1, 1, 0x10000), -EINVAL);
	assert_int_equal(vfioiommu_mock_device_add_fault_region(e.m, NULL, 1, 1, 0x10000), -EINVAL);
	assert_int_equal(vfioiommu_mock_device_add_fault_region(e.m, "0000:04:01.0", 1, 1, 15), -EINVAL);
	assert_int_equal(vfioiommu_mock_device_add_fault_region(e.m, "0000:04:01.0", 1, 1, (16u << 20) + 1), -EINVAL);
	assert_int_equal(vfioiommu_mock_device_add_fault_region(e.m, "0000:04:01.0", 1, 1, 16), 0);
	df_close(&e);

	/* a 16-byte region: a header and no room; pushes find it full */
	{
		vfioiommu_mock *m = th_mock(host);
		vfioiommu_ctx *ctx = th_ctx(m, VFIOIOMMU_MODE_IOMMUFD);
		vfioiommu_device *dev;

		assert_int_equal(vfioiommu_mock_device_add_fault_region(m, "0000:04:00.0", 1, 1, 16), 0);
		assert_int_equal(vfioiommu_device_open(ctx, "0000:04:00.0", &dev), 0);
		assert_int_equal(vfioiommu_mock_device_push_fault(m, "0000:04:00.0", &f), -ENOSPC);
		assert_int_equal(vfioiommu_mock_device_poke_fault(m, "0000:04:00.0", VFIOIOMMU_MOCK_FAULT_RESERVED, 5), 0);
		vfioiommu_ctx_destroy(ctx);
		vfioiommu_mock_destroy(m);
	}
}

/* ---------------- host files and knobs ---------------- */

static void host_attributes(void **state)
{
	vfioiommu_mock *m;
	char err[256];

	(void)state;
	assert_int_equal(vfioiommu_mock_new(&m), 0);
	assert_int_equal(vfioiommu_mock_load_string(m, "group 1\n device 0000:01:00.0 vfio-pci model=gpu\n",
						    err, sizeof(err)), -EINVAL);
	th_assert_msg(err, "line 2", "model", NULL);
	assert_int_equal(vfioiommu_mock_load_string(m, "group 2\n device 0000:02:00.0 vfio-pci reset=maybe\n",
						    err, sizeof(err)), -EINVAL);
	assert_int_equal(vfioiommu_mock_load_string(m, "group 3\n device 0000:03:00.0 vfio-pci model=nvme vendor=0x144d\n",
						    err, sizeof(err)), 0);
	assert_int_equal(vfioiommu_mock_device_set_model(m, "0000:03:00.0", VFIOIOMMU_MOCK_MODEL_IGD), 0);
	assert_int_equal(vfioiommu_mock_device_set_model(m, "0000:03:00.0", (enum vfioiommu_mock_model)7), -EINVAL);
	assert_int_equal(vfioiommu_mock_device_set_model(m, "0000:09:00.0", VFIOIOMMU_MOCK_MODEL_IGD), -ENOENT);
	assert_int_equal(vfioiommu_mock_device_set_reset(m, "0000:09:00.0", false), -ENOENT);
	assert_int_equal(vfioiommu_mock_device_set_reset(NULL, "0000:03:00.0", false), -EINVAL);
	assert_int_equal(vfioiommu_mock_device_resets(m, "0000:09:00.0"), 0);
	assert_int_equal(vfioiommu_mock_device_irq(NULL, "0000:03:00.0", 0, 0), -EINVAL);
	assert_int_equal(vfioiommu_mock_device_irq(m, "0000:03:00.0", 0, 0), -ENOENT); /* never opened */
	vfioiommu_mock_destroy(m);
}

/* The whole raw session under the fail-Nth sweep: clean errors, no fd or mmap left. */
static vfioiommu_mock *sweep_setup(void *arg)
{
	(void)arg;
	return th_mock(host);
}

static int sweep_body(vfioiommu_mock *m, void *arg)
{
	const vfioiommu_door *d = vfioiommu_mock_door(m);
	struct kabi_vfio_region_info ri = { .argsz = 32, .index = 3 };
	vfioiommu_ctx *ctx = th_ctx(m, *(enum vfioiommu_mode *)arg);
	vfioiommu_device *dev;
	uint8_t b[4];
	void *p = NULL;
	int rc, fd, err = 0;

	rc = vfioiommu_device_open(ctx, "0000:00:03.0", &dev);
	if (rc == 0) {
		fd = vfioiommu_device_fd(dev);
		rc = d->ioctl(d->priv, fd, KABI_VFIO_DEVICE_GET_REGION_INFO, &ri);
		if (rc == 0)
			rc = (int)d->pread(d->priv, fd, b, 4, 7ll << 40);
		if (rc >= 0)
			p = d->mmap(d->priv, NULL, 4096, PROT_READ, MAP_SHARED, fd, 0, &err);
		if (rc >= 0 && !p)
			rc = err;
		/* a failed munmap leaves the mapping: unmap it again */
		if (p && d->munmap(d->priv, p, 4096) < 0)
			d->munmap(d->priv, p, 4096);
		if (rc > 0)
			rc = 0;
	}
	vfioiommu_ctx_destroy(ctx);
	return rc;
}

/* The fault region through the door: REGION_INFO twice (argsz grows), mmap, a record, pread, munmap. */
static int sweep_fault_body(vfioiommu_mock *m, void *arg)
{
	const vfioiommu_door *d = vfioiommu_mock_door(m);
	uint8_t buf[64] = { 0 };
	struct kabi_vfio_region_info ri = { .argsz = 32, .index = 9 };
	struct vfioiommu_fault f = rec_n(5), got;
	vfioiommu_ctx *ctx = th_ctx(m, *(enum vfioiommu_mode *)arg);
	vfioiommu_device *dev;
	unsigned char *p = NULL;
	int rc, fd, err = 0;

	rc = vfioiommu_device_open(ctx, FR_DEV, &dev);
	if (rc == 0) {
		fd = vfioiommu_device_fd(dev);
		memcpy(buf, &ri, sizeof(ri));
		rc = d->ioctl(d->priv, fd, KABI_VFIO_DEVICE_GET_REGION_INFO, buf);
		if (rc == 0) {
			memcpy(&ri, buf, sizeof(ri));
			assert_int_equal(ri.argsz, 48);
			rc = d->ioctl(d->priv, fd, KABI_VFIO_DEVICE_GET_REGION_INFO, buf);
		}
		if (rc == 0)
			p = d->mmap(d->priv, NULL, 0x10000, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 9ll << 40, &err);
		if (rc == 0 && !p)
			rc = err;
		if (rc == 0)
			assert_int_equal(vfioiommu_mock_device_push_fault(m, FR_DEV, &f), 0);
		if (rc == 0)
			rc = (int)d->pread(d->priv, fd, &got, sizeof(got), (9ll << 40) + 16);
		if (rc > 0) {
			assert_int_equal(rc, (int)sizeof(got));
			assert_memory_equal(&got, p + 16, sizeof(got));
			assert_int_equal(got.seq, 5);
			rc = 0;
		}
		/* munmap releases even when it "fails" */
		if (p)
			d->munmap(d->priv, p, 0x10000);
	}
	vfioiommu_ctx_destroy(ctx);
	return rc;
}

static void fail_nth(void **state)
{
	enum vfioiommu_mode modes[] = { VFIOIOMMU_MODE_CONTAINER, VFIOIOMMU_MODE_IOMMUFD };

	(void)state;
	for (unsigned int i = 0; i < 2; i++) {
		assert_true(th_sweep(sweep_setup, sweep_body, &modes[i], 200) > 5);
		assert_true(th_sweep(sweep_setup, sweep_fault_body, &modes[i], 200) > 5);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(device_info),
		cmocka_unit_test(region_info_e1000e),
		cmocka_unit_test(region_info_nvme_igd),
		cmocka_unit_test(irq_info),
		cmocka_unit_test(set_irqs_contract),
		cmocka_unit_test(set_irqs_intx_single),
		cmocka_unit_test(set_irqs_msi_noresize),
		cmocka_unit_test(io_and_mmap),
		cmocka_unit_test(short_io),
		cmocka_unit_test(hot_reset_group),
		cmocka_unit_test(hot_reset_cdev),
		cmocka_unit_test(fault_region_info),
		cmocka_unit_test(fault_region_push),
		cmocka_unit_test(fault_region_knobs),
		cmocka_unit_test(host_attributes),
		cmocka_unit_test(fail_nth),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
