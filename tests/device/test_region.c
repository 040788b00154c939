/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * Region I/O and mmap (lib/device/region.c): reads and writes through the
 * device fd (config space and BARs, bounds, permissions, short transfers),
 * mmaps only where the kernel allows them (MMAP flag, sparse areas), the
 * mock's live-mmap count back to zero after every path, and the fail-Nth
 * sweep.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <vfioiommu/mock.h>
#include "device_fixture.h"
#include "helpers.h"

static void read_write(void **state)
{
	uint8_t b[64];
	uint32_t v = 0;
	struct df_env e;

	(void)state;
	df_open(&e, df_host, VFIOIOMMU_MODE_CONTAINER, "0000:00:03.0");
	assert_int_equal(vfioiommu_region_read(e.dev, VFIOIOMMU_PCI_CONFIG, 0, b, 4), 0);
	assert_int_equal(b[0] | b[1] << 8, 0x8086);
	assert_int_equal(b[2] | b[3] << 8, 0x10d3);
	assert_int_equal(vfioiommu_region_read(e.dev, VFIOIOMMU_PCI_BAR0, 8, &v, 4), 0);
	assert_int_equal(v, 0x00000283);
	v = 0xabcd;
	assert_int_equal(vfioiommu_region_write(e.dev, VFIOIOMMU_PCI_BAR0, 0x1fffc, &v, 4), 0);
	v = 0;
	assert_int_equal(vfioiommu_region_read(e.dev, VFIOIOMMU_PCI_BAR0, 0x1fffc, &v, 4), 0);
	assert_int_equal(v, 0xabcd);
	/* the whole I/O BAR, then one byte too many */
	assert_int_equal(vfioiommu_region_read(e.dev, VFIOIOMMU_PCI_BAR2, 0, b, 0x20), 0);
	assert_int_equal(vfioiommu_region_read(e.dev, VFIOIOMMU_PCI_BAR2, 0, b, 0x21), -EINVAL);
	th_assert_msg(vfioiommu_strerror(e.ctx), "runs past the end", "0x20-byte region", NULL);
	assert_int_equal(vfioiommu_region_read(e.dev, VFIOIOMMU_PCI_BAR2, UINT64_MAX, b, 2), -EINVAL);
	assert_int_equal(vfioiommu_region_read(e.dev, VFIOIOMMU_PCI_BAR2, 0x20, b, 0), 0);
	/* empty and absent regions, bad index, NULLs */
	assert_int_equal(vfioiommu_region_read(e.dev, VFIOIOMMU_PCI_BAR4, 0, b, 4), -EACCES);
	assert_int_equal(vfioiommu_region_read(e.dev, VFIOIOMMU_PCI_VGA, 0, b, 4), -ENOENT);
	assert_int_equal(vfioiommu_region_read(e.dev, 9, 0, b, 4), -EINVAL);
	assert_int_equal(vfioiommu_region_read(e.dev, 0, 0, NULL, 4), -EINVAL);
	assert_int_equal(vfioiommu_region_read(NULL, 0, 0, b, 4), -EINVAL);
	assert_int_equal(vfioiommu_region_write(e.dev, 0, 0, NULL, 4), -EINVAL);
	df_close(&e);

	/* read-only regions refuse writes before the kernel sees them */
	df_open(&e, df_host, VFIOIOMMU_MODE_IOMMUFD, "0000:00:02.0");
	assert_int_equal(vfioiommu_region_read(e.dev, 9, 0, b, 16), 0);
	assert_memory_equal(b, "IntelGraphicsMem", 16);
	assert_int_equal(vfioiommu_region_write(e.dev, 9, 0, b, 16), -EACCES);
	th_assert_msg(vfioiommu_strerror(e.ctx), "not writable", NULL);
	assert_int_equal(vfioiommu_region_write(e.dev, VFIOIOMMU_PCI_ROM, 0, b, 4), -EACCES);
	df_close(&e);
}

/* The kernel may move fewer bytes than asked: the library carries on until all are moved. */
static void short_transfers(void **state)
{
	uint8_t in[64], out[64];
	struct df_env e;

	(void)state;
	df_open(&e, df_host, VFIOIOMMU_MODE_CONTAINER, "0000:00:03.0");
	vfioiommu_mock_set_hostile(e.m, VFIOIOMMU_MOCK_HOSTILE_SHORT_IO);
	for (unsigned int i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)(i * 7 + 1);
	assert_int_equal(vfioiommu_region_write(e.dev, VFIOIOMMU_PCI_BAR1, 0x100, in, sizeof(in)), 0);
	assert_int_equal(vfioiommu_region_read(e.dev, VFIOIOMMU_PCI_BAR1, 0x100, out, sizeof(out)), 0);
	assert_memory_equal(in, out, sizeof(in));
	assert_int_equal(vfioiommu_region_read(e.dev, VFIOIOMMU_PCI_CONFIG, 0, out, 0x40), 0);
	assert_int_equal(out[0], 0x86);
	df_close(&e);
}

static void mmap_whole(void **state)
{
	volatile uint32_t *bar;
	void *p, *p2;
	uint32_t v;
	struct df_env e;

	(void)state;
	df_open(&e, df_host, VFIOIOMMU_MODE_IOMMUFD, "0000:00:03.0");
	assert_int_equal(vfioiommu_region_mmap(e.dev, VFIOIOMMU_PCI_BAR0, 0, 0x20000, 0, &p), 0);
	bar = p;
	assert_int_equal(bar[2], 0x00000283);
	bar[0x10] = 0x55aa;
	assert_int_equal(vfioiommu_region_read(e.dev, VFIOIOMMU_PCI_BAR0, 0x40, &v, 4), 0);
	assert_int_equal(v, 0x55aa);
	/* a page inside; the MSI-X BAR (MSIX_MAPPABLE) whole; a length rounded up to a page */
	assert_int_equal(vfioiommu_region_mmap(e.dev, VFIOIOMMU_PCI_BAR0, 0x1f000, 0x1000, VFIOIOMMU_MAP_READ, &p2), 0);
	assert_int_equal(vfioiommu_region_munmap(e.dev, p2), 0);
	assert_int_equal(vfioiommu_region_mmap(e.dev, VFIOIOMMU_PCI_BAR3, 0, 0x4000, 0, &p2), 0);
	assert_int_equal(vfioiommu_region_munmap(e.dev, p2), 0);
	assert_int_equal(vfioiommu_region_mmap(e.dev, VFIOIOMMU_PCI_BAR0, 0x1f000, 10, 0, &p2), 0);
	assert_int_equal(vfioiommu_mock_live_mmaps(e.m), 2);
	assert_int_equal(vfioiommu_region_munmap(e.dev, p2), 0);
	assert_int_equal(vfioiommu_region_munmap(e.dev, p2), -ENOENT);
	assert_int_equal(vfioiommu_region_munmap(e.dev, NULL), -ENOENT);
	assert_int_equal(vfioiommu_region_munmap(NULL, p), -EINVAL);
	assert_int_equal(vfioiommu_region_munmap(e.dev, p), 0);
	assert_int_equal(vfioiommu_mock_live_mmaps(e.m), 0);
	df_close(&e);
}

static void mmap_refused(void **state)
{
	void *p = (void *)1;
	struct df_env e;

	(void)state;
	df_open(&e, df_host, VFIOIOMMU_MODE_CONTAINER, "0000:00:03.0");
	assert_int_equal(vfioiommu_region_mmap(e.dev, VFIOIOMMU_PCI_BAR2, 0, 0x1000, 0, &p), -EOPNOTSUPP);
	assert_null(p);
	th_assert_msg(vfioiommu_strerror(e.ctx), "BAR2", "cannot be mmapped", "vfioiommu_region_read", NULL);
	assert_int_equal(vfioiommu_region_mmap(e.dev, VFIOIOMMU_PCI_CONFIG, 0, 0x1000, 0, &p), -EOPNOTSUPP);
	assert_int_equal(vfioiommu_region_mmap(e.dev, VFIOIOMMU_PCI_BAR4, 0, 0x1000, 0, &p), -EOPNOTSUPP);
	th_assert_msg(vfioiommu_strerror(e.ctx), "empty", NULL);
	assert_int_equal(vfioiommu_region_mmap(e.dev, VFIOIOMMU_PCI_BAR0, 0x1000, 0x20000, 0, &p), -ERANGE);
	th_assert_msg(vfioiommu_strerror(e.ctx), "allowed: [0x0, 0x20000)", NULL);
	assert_int_equal(vfioiommu_region_mmap(e.dev, VFIOIOMMU_PCI_BAR0, 0x20000, 0x1000, 0, &p), -ERANGE);
	assert_int_equal(vfioiommu_region_mmap(e.dev, VFIOIOMMU_PCI_BAR0, 0, UINT64_MAX, 0, &p), -ERANGE);
	assert_int_equal(vfioiommu_region_mmap(e.dev, VFIOIOMMU_PCI_BAR0, 0x10, 0x1000, 0, &p), -EINVAL);
	assert_int_equal(vfioiommu_region_mmap(e.dev, VFIOIOMMU_PCI_BAR0, 0, 0, 0, &p), -EINVAL);
	assert_int_equal(vfioiommu_region_mmap(e.dev, VFIOIOMMU_PCI_BAR0, 0, 0x1000, 4, &p), -EINVAL);
	assert_int_equal(vfioiommu_region_mmap(e.dev, VFIOIOMMU_PCI_BAR0, 0, 0x1000, 0, NULL), -EINVAL);
	assert_int_equal(vfioiommu_region_mmap(e.dev, 9, 0, 0x1000, 0, &p), -EINVAL);
	assert_int_equal(vfioiommu_region_mmap(NULL, 0, 0, 0x1000, 0, &p), -EINVAL);
	assert_int_equal(vfioiommu_mock_live_mmaps(e.m), 0);
	df_close(&e);
}

/* SPARSE_MMAP: only the areas, and the message names them. */
static void mmap_sparse(void **state)
{
	void *a, *b;
	struct df_env e;

	(void)state;
	df_open(&e, df_host, VFIOIOMMU_MODE_CONTAINER, "0000:03:00.0");
	assert_int_equal(vfioiommu_region_mmap(e.dev, VFIOIOMMU_PCI_BAR0, 0, 0x4000, 0, &a), -ERANGE);
	th_assert_msg(vfioiommu_strerror(e.ctx), "SPARSE_MMAP", "[0x0, 0x2000) [0x3000, 0x4000)", NULL);
	assert_int_equal(vfioiommu_region_mmap(e.dev, VFIOIOMMU_PCI_BAR0, 0x1000, 0x2000, 0, &a), -ERANGE);
	assert_int_equal(vfioiommu_region_mmap(e.dev, VFIOIOMMU_PCI_BAR0, 0x2000, 0x1000, 0, &a), -ERANGE);
	assert_int_equal(vfioiommu_region_mmap(e.dev, VFIOIOMMU_PCI_BAR0, 0, 0x2000, 0, &a), 0);
	assert_int_equal(vfioiommu_region_mmap(e.dev, VFIOIOMMU_PCI_BAR0, 0x3000, 0x1000, 0, &b), 0);
	assert_int_equal(vfioiommu_mock_live_mmaps(e.m), 2);
	/* left mapped: closing the device unmaps them (df_close checks the count) */
	df_close(&e);
}

static void mmap_released_at_close(void **state)
{
	vfioiommu_device *dev2;
	void *p;
	struct df_env e;

	(void)state;
	df_open(&e, df_host, VFIOIOMMU_MODE_IOMMUFD, "0000:00:03.0");
	assert_int_equal(vfioiommu_device_open(e.ctx, "0000:03:00.0", &dev2), 0);
	assert_int_equal(vfioiommu_region_mmap(e.dev, 0, 0, 0x1000, 0, &p), 0);
	/* a mapping of one device is not the other's */
	assert_int_equal(vfioiommu_region_munmap(dev2, p), -ENOENT);
	assert_int_equal(vfioiommu_region_mmap(dev2, 0, 0, 0x1000, 0, &p), 0);
	assert_int_equal(vfioiommu_mock_live_mmaps(e.m), 2);
	vfioiommu_device_close(dev2);
	assert_int_equal(vfioiommu_mock_live_mmaps(e.m), 1);
	df_close(&e);
}

/* Region I/O runs unlocked next to mmap bookkeeping in other threads (TSan stage checks the locking). */
static void *worker(void *arg)
{
	vfioiommu_device *dev = arg;
	uint32_t v;
	void *p;

	for (int i = 0; i < 200; i++) {
		if (vfioiommu_region_read(dev, VFIOIOMMU_PCI_BAR0, 8, &v, 4) < 0 || v != 0x00000283)
			return (void *)1;
		if (vfioiommu_region_mmap(dev, VFIOIOMMU_PCI_BAR0, 0, 0x1000, 0, &p) < 0)
			return (void *)2;
		if (((volatile uint32_t *)p)[2] != 0x00000283 || vfioiommu_region_munmap(dev, p) < 0)
			return (void *)3;
	}
	return NULL;
}

static void threads(void **state)
{
	pthread_t t[4];
	struct df_env e;

	(void)state;
	df_open(&e, df_host, VFIOIOMMU_MODE_IOMMUFD, "0000:00:03.0");
	for (int i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&t[i], NULL, worker, e.dev), 0);
	for (int i = 0; i < 4; i++) {
		void *r;
		assert_int_equal(pthread_join(t[i], &r), 0);
		assert_null(r);
	}
	df_close(&e);
}

/*
 * Hostile REGION_INFO answers (the mock's HOSTILE_REGION_* and SPARSE_OUTSIDE bits): the spoiled
 * region is -EPROTO for info, I/O, areas and mmap, with a message that names what was wrong and
 * nothing mapped; the other regions stay usable.
 */
static void hostile_wrap(void **state)
{
	struct vfioiommu_region_info ri = { .size = sizeof(ri) };
	struct vfioiommu_region_area a[2];
	uint32_t v = 0, n;
	struct df_env e;
	void *p;

	(void)state;
	df_open_hostile(&e, df_host, VFIOIOMMU_MODE_CONTAINER, "0000:00:03.0", VFIOIOMMU_MOCK_HOSTILE_REGION_WRAP);
	assert_int_equal(vfioiommu_region_info(e.dev, VFIOIOMMU_PCI_BAR0, &ri), -EPROTO);
	th_assert_msg(vfioiommu_strerror(e.ctx), "VFIO_DEVICE_GET_REGION_INFO (region 0)",
		      "offset 0xfffffffffffff000 + size 0x20000 wraps past 2^64", NULL);
	assert_int_equal(vfioiommu_region_read(e.dev, VFIOIOMMU_PCI_BAR0, 0, &v, 4), -EPROTO);
	assert_int_equal(vfioiommu_region_areas(e.dev, VFIOIOMMU_PCI_BAR0, a, 2, &n), -EPROTO);
	assert_int_equal(vfioiommu_region_mmap(e.dev, VFIOIOMMU_PCI_BAR0, 0, 0x1000, 0, &p), -EPROTO);
	assert_null(p);
	assert_int_equal(vfioiommu_mock_live_mmaps(e.m), 0);
	/* BAR1 and config space are untouched */
	assert_int_equal(vfioiommu_region_read(e.dev, VFIOIOMMU_PCI_CONFIG, 0, &v, 4), 0);
	assert_int_equal(v & 0xffff, 0x8086);
	assert_int_equal(vfioiommu_region_mmap(e.dev, VFIOIOMMU_PCI_BAR1, 0, 0x1000, 0, &p), 0);
	assert_int_equal(vfioiommu_region_munmap(e.dev, p), 0);
	df_close(&e);
}

static void hostile_mmap_empty(void **state)
{
	struct vfioiommu_region_info ri = { .size = sizeof(ri) };
	struct vfioiommu_region_area a[2];
	struct df_env e;
	uint32_t n = 7;
	void *p;

	(void)state;
	df_open_hostile(&e, df_host, VFIOIOMMU_MODE_IOMMUFD, "0000:00:03.0",
			VFIOIOMMU_MOCK_HOSTILE_REGION_MMAP_EMPTY);
	assert_int_equal(vfioiommu_region_info(e.dev, VFIOIOMMU_PCI_BAR4, &ri), -EPROTO);
	th_assert_msg(vfioiommu_strerror(e.ctx), "VFIO_DEVICE_GET_REGION_INFO (region 4)",
		      "flags 0x7 say MMAP but the size is 0", NULL);
	assert_int_equal(vfioiommu_region_areas(e.dev, VFIOIOMMU_PCI_BAR4, a, 2, &n), -EPROTO);
	assert_int_equal(n, 0);
	assert_int_equal(vfioiommu_region_mmap(e.dev, VFIOIOMMU_PCI_BAR4, 0, 0x1000, 0, &p), -EPROTO);
	assert_int_equal(vfioiommu_mock_live_mmaps(e.m), 0);
	/* regions with a size are untouched */
	assert_int_equal(vfioiommu_region_info(e.dev, VFIOIOMMU_PCI_BAR0, &ri), 0);
	assert_int_equal(ri.region_size, 0x20000);
	assert_int_equal(vfioiommu_region_mmap(e.dev, VFIOIOMMU_PCI_BAR0, 0, 0x20000, 0, &p), 0);
	assert_int_equal(vfioiommu_region_munmap(e.dev, p), 0);
	df_close(&e);
}

static void hostile_sparse_outside(void **state)
{
	struct vfioiommu_region_info ri = { .size = sizeof(ri) };
	struct df_env e;
	uint32_t v = 0;
	void *p;

	(void)state;
	df_open_hostile(&e, df_host, VFIOIOMMU_MODE_CONTAINER, "0000:03:00.0", VFIOIOMMU_MOCK_HOSTILE_SPARSE_OUTSIDE);
	assert_int_equal(vfioiommu_region_info(e.dev, VFIOIOMMU_PCI_BAR0, &ri), -EPROTO);
	th_assert_msg(vfioiommu_strerror(e.ctx), "VFIO_DEVICE_GET_REGION_INFO (region 0)",
		      "sparse area 1 [0x3000, +0x2000) lies outside the 0x4000-byte region", NULL);
	assert_int_equal(vfioiommu_region_mmap(e.dev, VFIOIOMMU_PCI_BAR0, 0x3000, 0x1000, 0, &p), -EPROTO);
	assert_int_equal(vfioiommu_mock_live_mmaps(e.m), 0);
	assert_int_equal(vfioiommu_region_read(e.dev, VFIOIOMMU_PCI_CONFIG, 0, &v, 4), 0);
	assert_int_equal(v & 0xffff, 0x1b36);
	df_close(&e);
}

static int sweep_body(vfioiommu_ctx *ctx)
{
	vfioiommu_device *dev;
	uint32_t v = 0;
	void *p = NULL, *q = NULL;
	int rc;

	rc = vfioiommu_device_open(ctx, "0000:03:00.0", &dev);
	if (rc == 0)
		rc = vfioiommu_region_read(dev, VFIOIOMMU_PCI_CONFIG, 0, &v, 4);
	if (rc == 0)
		rc = vfioiommu_region_write(dev, VFIOIOMMU_PCI_BAR0, 0x10, &v, 4);
	if (rc == 0)
		rc = vfioiommu_region_mmap(dev, VFIOIOMMU_PCI_BAR0, 0, 0x2000, 0, &p);
	if (rc == 0)
		rc = vfioiommu_region_mmap(dev, VFIOIOMMU_PCI_BAR0, 0x3000, 0x1000, 0, &q);
	if (rc == 0)
		rc = vfioiommu_region_munmap(dev, p);
	/* q stays mapped on purpose: the context teardown must unmap it */
	return rc;
}

int main(void)
{
	static struct df_sweep_spec sweep = { df_host, sweep_body };
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(read_write),
		cmocka_unit_test(short_transfers),
		cmocka_unit_test(mmap_whole),
		cmocka_unit_test(mmap_refused),
		cmocka_unit_test(mmap_sparse),
		cmocka_unit_test(mmap_released_at_close),
		cmocka_unit_test(threads),
		cmocka_unit_test(hostile_wrap),
		cmocka_unit_test(hostile_mmap_empty),
		cmocka_unit_test(hostile_sparse_outside),
		cmocka_unit_test_prestate(df_fail_nth, &sweep),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
