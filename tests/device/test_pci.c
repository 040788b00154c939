/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * PCI helpers (lib/device/pci.c): ids, typed config access, standard and
 * extended capability lists on the mock's config spaces and on hand-built
 * hostile ones (loops, pointers into the header, all-ones), mapping a BAR by
 * number, and the fail-Nth sweep.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "device_fixture.h"
#include "helpers.h"
#include "device/device.h"

static void ids_and_config(void **state)
{
	struct vfioiommu_pci_ids ids;
	uint32_t v;
	struct df_env e;

	(void)state;
	df_open(&e, df_host, VFIOIOMMU_MODE_CONTAINER, "0000:00:03.0");
	assert_int_equal(vfioiommu_pci_ids(e.dev, &ids), 0);
	assert_int_equal(ids.vendor, 0x8086);
	assert_int_equal(ids.device, 0x10d3);
	assert_int_equal(ids.class_code, 0x020000);
	assert_int_equal(ids.header_type, 0);
	assert_int_equal(ids.subsystem_vendor, 0x8086);
	assert_int_equal(vfioiommu_pci_config_read(e.dev, 0, 4, &v), 0);
	assert_int_equal(v, 0x10d38086);
	assert_int_equal(vfioiommu_pci_config_read(e.dev, 2, 2, &v), 0);
	assert_int_equal(v, 0x10d3);
	assert_int_equal(vfioiommu_pci_config_read(e.dev, 0x34, 1, &v), 0);
	assert_int_equal(v, 0xc8);
	/* the command register takes writes (bus master + memory) */
	assert_int_equal(vfioiommu_pci_config_write(e.dev, 4, 2, 0x0006), 0);
	assert_int_equal(vfioiommu_pci_config_read(e.dev, 4, 2, &v), 0);
	assert_int_equal(v, 0x0006);
	assert_int_equal(vfioiommu_pci_config_read(e.dev, 0, 3, &v), -EINVAL);
	assert_int_equal(vfioiommu_pci_config_read(e.dev, 0, 4, NULL), -EINVAL);
	assert_int_equal(vfioiommu_pci_config_write(e.dev, 0, 8, 0), -EINVAL);
	assert_int_equal(vfioiommu_pci_config_read(e.dev, 0xffe, 4, &v), -EINVAL);
	assert_int_equal(vfioiommu_pci_config_read(NULL, 0, 4, &v), -EINVAL);
	assert_int_equal(vfioiommu_pci_ids(e.dev, NULL), -EINVAL);
	assert_int_equal(vfioiommu_pci_ids(NULL, &ids), -EINVAL);
	df_close(&e);

	df_open(&e, df_host, VFIOIOMMU_MODE_IOMMUFD, "0000:03:00.0");
	assert_int_equal(vfioiommu_pci_ids(e.dev, &ids), 0);
	assert_int_equal(ids.vendor, 0x1b36);
	assert_int_equal(ids.class_code, 0x010802);
	df_close(&e);
}

static void capabilities(void **state)
{
	uint32_t off = 0, next = 0;
	struct df_env e;

	(void)state;
	df_open(&e, df_host, VFIOIOMMU_MODE_IOMMUFD, "0000:00:03.0");
	assert_int_equal(vfioiommu_pci_find_cap(e.dev, 0x11, 0, &off), 0);
	assert_int_equal(off, 0xa0);
	assert_int_equal(vfioiommu_pci_find_cap(e.dev, 0x01, 0, &off), 0);
	assert_int_equal(off, 0xc8);
	assert_int_equal(vfioiommu_pci_find_cap(e.dev, 0x10, 0, &off), 0);
	assert_int_equal(off, 0xe0);
	/* the MSI-X capability describes 5 vectors in BAR3, the PBA at 0x2000 */
	assert_int_equal(vfioiommu_pci_config_read(e.dev, 0xa2, 2, &next), 0);
	assert_int_equal((next & 0x7ff) + 1, 5);
	assert_int_equal(vfioiommu_pci_config_read(e.dev, 0xa4, 4, &next), 0);
	assert_int_equal(next & 7, 3);
	/* there is one PM capability: none after it */
	assert_int_equal(vfioiommu_pci_find_cap(e.dev, 0x01, 0xc8, &next), -ENOENT);
	assert_int_equal(vfioiommu_pci_find_cap(e.dev, 0x09, 0, &off), -ENOENT);
	th_assert_msg(vfioiommu_strerror(e.ctx), "capability 0x09 not found", NULL);
	assert_int_equal(vfioiommu_pci_find_ext_cap(e.dev, 0x0001, 0, &off), 0);
	assert_int_equal(off, 0x100);
	assert_int_equal(vfioiommu_pci_find_ext_cap(e.dev, 0x0003, 0, &off), 0);
	assert_int_equal(off, 0x140);
	assert_int_equal(vfioiommu_pci_find_ext_cap(e.dev, 0x0003, 0x140, &off), -ENOENT);
	assert_int_equal(vfioiommu_pci_find_ext_cap(e.dev, 0x000b, 0, &off), -ENOENT);
	assert_int_equal(vfioiommu_pci_find_cap(e.dev, 0x11, 0, NULL), -EINVAL);
	assert_int_equal(vfioiommu_pci_find_cap(NULL, 0x11, 0, &off), -EINVAL);
	df_close(&e);

	/* 256-byte config space: no extended part */
	df_open(&e, df_host, VFIOIOMMU_MODE_CONTAINER, "0000:00:02.0");
	assert_int_equal(vfioiommu_pci_find_cap(e.dev, 0x05, 0, &off), 0);
	assert_int_equal(off, 0xac);
	assert_int_equal(vfioiommu_pci_find_cap(e.dev, 0x11, 0, &off), -ENOENT);
	assert_int_equal(vfioiommu_pci_find_ext_cap(e.dev, 0x0001, 0, &off), -ENOENT);
	th_assert_msg(vfioiommu_strerror(e.ctx), "no extended part", NULL);
	df_close(&e);

	/* nvme: no extended capabilities (the list at 0x100 is empty) */
	df_open(&e, df_host, VFIOIOMMU_MODE_CONTAINER, "0000:03:00.0");
	assert_int_equal(vfioiommu_pci_find_cap(e.dev, 0x11, 0, &off), 0);
	assert_int_equal(off, 0x40);
	assert_int_equal(vfioiommu_pci_find_ext_cap(e.dev, 0x0001, 0, &off), -ENOENT);
	df_close(&e);
}

static void hostile_config(void **state)
{
	uint8_t c[4096];
	struct vi_err err = { "" };
	uint32_t off;

	(void)state;
	memset(c, 0, sizeof(c));
	c[0x06] = 0x10;
	c[0x34] = 0x40;
	c[0x40] = 0x05;
	c[0x41] = 0x50;
	c[0x50] = 0x01;
	c[0x51] = 0x40;        /* back to 0x40: a loop */
	assert_int_equal(vi_pci_walk_std(c, 256, 0x11, 0, &off, &err), -EPROTO);
	th_assert_msg(err.msg, "loops", NULL);
	assert_int_equal(vi_pci_walk_std(c, 256, 0x01, 0, &off, &err), 0);
	assert_int_equal(off, 0x50);
	c[0x51] = 0x10;        /* into the header */
	assert_int_equal(vi_pci_walk_std(c, 256, 0x11, 0, &off, &err), -EPROTO);
	th_assert_msg(err.msg, "into the header", NULL);
	c[0x51] = 0x00;
	c[0x41] = 0xff;        /* 0xfc: last two bytes of config; reads 0 id, next 0 */
	assert_int_equal(vi_pci_walk_std(c, 256, 0x11, 0, &off, &err), -ENOENT);
	memset(c + 0x40, 0xff, 0xc0); /* a device that fell off the bus */
	assert_int_equal(vi_pci_walk_std(c, 256, 0x11, 0, &off, &err), -EPROTO);
	c[0x06] = 0;           /* no capability list */
	assert_int_equal(vi_pci_walk_std(c, 256, 0x11, 0, &off, &err), -ENOENT);
	assert_int_equal(vi_pci_walk_std(c, 32, 0x11, 0, &off, &err), -EINVAL);
	assert_int_equal(vi_pci_walk_std(NULL, 256, 0x11, 0, &off, &err), -EINVAL);

	memset(c, 0, sizeof(c));
	/* 0x100 -> 0x200 -> 0x100 */
	c[0x100] = 0x01;
	c[0x102] = 0x01;
	c[0x103] = 0x20;
	c[0x200] = 0x02;
	c[0x202] = 0x01;
	c[0x203] = 0x10;
	assert_int_equal(vi_pci_walk_ext(c, 4096, 0x0b, 0, &off, &err), -EPROTO);
	th_assert_msg(err.msg, "loops", NULL);
	assert_int_equal(vi_pci_walk_ext(c, 4096, 0x02, 0, &off, &err), 0);
	assert_int_equal(off, 0x200);
	assert_int_equal(vi_pci_walk_ext(c, 4096, 0x02, 0x200, &off, &err), -EPROTO); /* the loop again */
	c[0x203] = 0x00;
	c[0x202] = 0x81;       /* next 0x008: below 0x100 */
	assert_int_equal(vi_pci_walk_ext(c, 4096, 0x0b, 0, &off, &err), -EPROTO);
	th_assert_msg(err.msg, "outside", NULL);
	c[0x202] = 0x01;
	assert_int_equal(vi_pci_walk_ext(c, 4096, 0x0b, 0, &off, &err), -ENOENT);
	memset(c + 0x100, 0xff, 4);
	assert_int_equal(vi_pci_walk_ext(c, 4096, 0x01, 0, &off, &err), -ENOENT);
	assert_int_equal(vi_pci_walk_ext(c, 256, 0x01, 0, &off, &err), -ENOENT);
	assert_int_equal(vi_pci_walk_ext(NULL, 4096, 0x01, 0, &off, &err), -EINVAL);
}

static void map_bar(void **state)
{
	void *p = NULL;
	uint64_t len = 0;
	struct df_env e;

	(void)state;
	df_open(&e, df_host, VFIOIOMMU_MODE_CONTAINER, "0000:00:03.0");
	assert_int_equal(vfioiommu_pci_map_bar(e.dev, 0, &p, &len), 0);
	assert_int_equal(len, 0x20000);
	assert_int_equal(((volatile uint32_t *)p)[2], 0x00000283); /* STATUS */
	assert_int_equal(vfioiommu_region_munmap(e.dev, p), 0);
	assert_int_equal(vfioiommu_pci_map_bar(e.dev, 2, &p, &len), -EOPNOTSUPP);
	assert_int_equal(vfioiommu_pci_map_bar(e.dev, 4, &p, &len), -ENOENT);
	th_assert_msg(vfioiommu_strerror(e.ctx), "BAR4 is not implemented", NULL);
	assert_int_equal(vfioiommu_pci_map_bar(e.dev, 6, &p, &len), -EINVAL);
	assert_int_equal(vfioiommu_pci_map_bar(e.dev, 0, NULL, &len), -EINVAL);
	assert_int_equal(vfioiommu_pci_map_bar(e.dev, 0, &p, NULL), -EINVAL);
	assert_int_equal(vfioiommu_pci_map_bar(NULL, 0, &p, &len), -EINVAL);
	/* left mapped: the context teardown unmaps it */
	assert_int_equal(vfioiommu_pci_map_bar(e.dev, 3, &p, &len), 0);
	df_close(&e);

	/* a BAR with SPARSE_MMAP areas cannot be mapped whole: the message names the areas */
	df_open(&e, df_host, VFIOIOMMU_MODE_IOMMUFD, "0000:03:00.0");
	assert_int_equal(vfioiommu_pci_map_bar(e.dev, 0, &p, &len), -ERANGE);
	th_assert_msg(vfioiommu_strerror(e.ctx), "[0x0, 0x2000) [0x3000, 0x4000)", NULL);
	df_close(&e);
}

static int sweep_body(vfioiommu_ctx *ctx)
{
	struct vfioiommu_pci_ids ids;
	vfioiommu_device *dev;
	uint32_t off;
	uint64_t len;
	void *p;
	int rc;

	rc = vfioiommu_device_open(ctx, "0000:00:03.0", &dev);
	if (rc == 0)
		rc = vfioiommu_pci_ids(dev, &ids);
	if (rc == 0)
		rc = vfioiommu_pci_find_cap(dev, 0x11, 0, &off);
	if (rc == 0)
		rc = vfioiommu_pci_find_ext_cap(dev, 0x3, 0, &off);
	if (rc == 0)
		rc = vfioiommu_pci_config_write(dev, 4, 2, 6);
	if (rc == 0)
		rc = vfioiommu_pci_map_bar(dev, 0, &p, &len);
	return rc;
}

int main(void)
{
	static struct df_sweep_spec sweep = { df_host, sweep_body };
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ids_and_config),
		cmocka_unit_test(capabilities),
		cmocka_unit_test(hostile_config),
		cmocka_unit_test(map_bar),
		cmocka_unit_test_prestate(df_fail_nth, &sweep),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
