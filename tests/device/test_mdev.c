/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * Mediated devices on the mock (lib/device/mdev.c, open.c by UUID, the
 * container's IOVA ranges with only mdevs): the mtty host as Linux 7.2 shows
 * it (tests/vm/FACTS.md, "mdev"), bad input, and the fail-Nth sweep over
 * create, open on both backends, DMA, close and remove.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <cmocka.h>

#include <vfioiommu.h>
#include <vfioiommu/mock.h>
#include "core/door.h"
#include "helpers.h"

#define U1 "8c3e2a10-0000-4000-8000-000000000001"
#define U2 "8c3e2a10-0000-4000-8000-000000000002"

static const char host[] =
	"iommu intel\n"
	"address-width 39\n"
	"group 2\n"
	"  resv 0xfee00000 0xfeefffff msi\n"
	"  device 0000:00:02.0 vfio-pci\n"
	"mdev-parent mtty 24 0x4348 0x3253\n"
	"mdev-type mtty mtty-1 1 Single port serial\n"
	"mdev-type mtty mtty-2 2 Dual port serial\n";

static uint32_t avail(vfioiommu_ctx *ctx, const char *type)
{
	uint32_t n = 0;

	assert_int_equal(vfioiommu_mdev_available(ctx, "mtty", type, &n), 0);
	return n;
}

static void create_and_remove(void **state)
{
	vfioiommu_mock *m = th_mock(host);
	vfioiommu_ctx *ctx = th_ctx(m, VFIOIOMMU_MODE_AUTO);
	const vfioiommu_door *d = vfioiommu_mock_door(m);
	char buf[128];

	(void)state;
	assert_int_equal(avail(ctx, "mtty-2"), 12);
	assert_int_equal(vfioiommu_mdev_create(ctx, "mtty", "mtty-2", U1), 0);
	assert_int_equal(vfioiommu_mdev_create(ctx, "mtty", "mtty-1", U2), 0);
	/* FACTS: one pool of 24 ports */
	assert_int_equal(avail(ctx, "mtty-1"), 21);
	assert_int_equal(avail(ctx, "mtty-2"), 10);
	/* its group: the lowest free number, type "unknown", no reserved region */
	assert_true(d->readlink(d->priv, "/sys/bus/mdev/devices/" U1 "/iommu_group", buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "../../../../../kernel/iommu_groups/0");
	assert_int_equal(d->sysfs_read(d->priv, "/sys/kernel/iommu_groups/0/type", buf, sizeof(buf)), 8);
	assert_string_equal(buf, "unknown\n");
	assert_int_equal(d->sysfs_read(d->priv, "/sys/kernel/iommu_groups/0/reserved_regions", buf, sizeof(buf)), 0);
	assert_true(d->readlink(d->priv, "/sys/bus/mdev/devices/" U1 "/driver", buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "../../../../../bus/mdev/drivers/mtty");
	/* on the mdev bus only: not a PCI device */
	assert_int_equal(d->exists(d->priv, "/sys/bus/pci/devices/" U1), -ENOENT);
	assert_int_equal(d->exists(d->priv, "/sys/bus/mdev/devices/" U1), 0);
	assert_int_equal(vfioiommu_mdev_create(ctx, "mtty", "mtty-2", U1), -EEXIST);
	th_assert_msg(vfioiommu_strerror(ctx), "exists", U1, NULL);
	assert_int_equal(vfioiommu_mdev_create(ctx, "mtty", "mtty-3", "8c3e2a10-0000-4000-8000-000000000003"), -ENOENT);
	th_assert_msg(vfioiommu_strerror(ctx), "no type", "mtty-3", NULL);
	assert_int_equal(vfioiommu_mdev_create(ctx, "mdpy", "mtty-2", "8c3e2a10-0000-4000-8000-000000000003"), -ENOENT);
	th_assert_msg(vfioiommu_strerror(ctx), "no mdev parent", "mdpy", NULL);
	/* "0" is accepted and removes nothing (FACTS) */
	assert_int_equal(d->sysfs_write(d->priv, "/sys/bus/mdev/devices/" U2 "/remove", "0", 1), 1);
	assert_int_equal(vfioiommu_mdev_remove(ctx, U2), 0);
	assert_int_equal(vfioiommu_mdev_remove(ctx, U2), -ENOENT);
	assert_int_equal(avail(ctx, "mtty-1"), 22);
	assert_int_equal(vfioiommu_mdev_remove(ctx, U1), 0);
	assert_int_equal(avail(ctx, "mtty-2"), 12);
	/* the groups went with the devices */
	assert_int_equal(d->exists(d->priv, "/sys/kernel/iommu_groups/0"), -ENOENT);
	vfioiommu_ctx_destroy(ctx);
	th_mock_done(m);
}

static void pool_runs_out(void **state)
{
	vfioiommu_mock *m = th_mock(host);
	vfioiommu_ctx *ctx = th_ctx(m, VFIOIOMMU_MODE_AUTO);
	char u[40];

	(void)state;
	for (unsigned int i = 0; i < 12; i++) {
		snprintf(u, sizeof(u), "8c3e2a10-0000-4000-8000-0000000001%02x", i);
		assert_int_equal(vfioiommu_mdev_create(ctx, "mtty", "mtty-2", u), 0);
	}
	assert_int_equal(avail(ctx, "mtty-2"), 0);
	/* FACTS: mtty answers ENOSPC */
	assert_int_equal(vfioiommu_mdev_create(ctx, "mtty", "mtty-1", U1), -ENOSPC);
	th_assert_msg(vfioiommu_strerror(ctx), "no room", "mtty-1", NULL);
	vfioiommu_ctx_destroy(ctx);
	th_mock_done(m);
}

static void open_both_backends(void **state)
{
	static const enum vfioiommu_mode modes[] = { VFIOIOMMU_MODE_CONTAINER, VFIOIOMMU_MODE_IOMMUFD,
						     VFIOIOMMU_MODE_AUTO };
	vfioiommu_mock *m = th_mock(host);

	(void)state;
	{
		vfioiommu_ctx *c = th_ctx(m, VFIOIOMMU_MODE_AUTO);
		assert_int_equal(vfioiommu_mdev_create(c, "mtty", "mtty-2", U1), 0);
		vfioiommu_ctx_destroy(c);
	}
	for (size_t i = 0; i < 3; i++) {
		vfioiommu_ctx *ctx = th_ctx(m, modes[i]);
		vfioiommu_device *dev = NULL;
		vfioiommu_iova_list *l = NULL;
		struct vfioiommu_iova_range r;
		struct vfioiommu_pci_ids ids;
		struct vfioiommu_reset_info *ri = NULL;
		uint64_t iova = 0;
		void *buf = mmap(NULL, 1 << 16, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		assert_int_equal(vfioiommu_device_open(ctx, U1, &dev), 0);
		assert_true(vfioiommu_device_is_mdev(dev));
		assert_string_equal(vfioiommu_device_name(dev), U1);
		assert_int_equal(vfioiommu_device_group(dev), 0);
		assert_int_equal(vfioiommu_pci_ids(dev, &ids), 0);
		assert_int_equal(ids.vendor, 0x4348);
		assert_int_equal(ids.device, 0x3253);
		/* no PCI topology: no hot reset; mtty sets no RESET flag either */
		assert_int_equal(vfioiommu_device_hot_reset_info(dev, &ri), -EOPNOTSUPP);
		th_assert_msg(vfioiommu_strerror(ctx), "mediated device", NULL);
		assert_int_equal(vfioiommu_device_hot_reset(dev), -EOPNOTSUPP);
		assert_int_equal(vfioiommu_device_reset(dev), -EOPNOTSUPP);
		/* FACTS: only emulated groups: any IOVA on type1 (no IOVA_RANGE cap), the whole IOAS on iommufd */
		assert_int_equal(vfioiommu_ctx_iova_ranges(ctx, &l), 0);
		assert_int_equal(vfioiommu_iova_list_count(l), 1);
		assert_int_equal(vfioiommu_iova_list_get(l, 0, &r), 0);
		assert_true(r.start == 0 && r.last == UINT64_MAX);
		vfioiommu_iova_list_free(l);
		assert_int_equal(vfioiommu_dma_map(ctx, buf, 1 << 16, VFIOIOMMU_DMA_READ | VFIOIOMMU_DMA_WRITE, &iova), 0);
		assert_int_equal(vfioiommu_mdev_remove(ctx, U1), -EBUSY);
		th_assert_msg(vfioiommu_strerror(ctx), "open in this context", NULL);
		assert_int_equal(vfioiommu_dma_unmap_at(ctx, iova), 0);
		vfioiommu_device_close(dev);
		vfioiommu_ctx_destroy(ctx);
		munmap(buf, 1 << 16);
	}
	th_mock_done(m);
}

static void mixed_container_keeps_the_nic_ranges(void **state)
{
	vfioiommu_mock *m = th_mock(host);
	vfioiommu_ctx *ctx = th_ctx(m, VFIOIOMMU_MODE_CONTAINER);
	vfioiommu_device *a = NULL, *b = NULL;
	vfioiommu_iova_list *l = NULL;

	(void)state;
	assert_int_equal(vfioiommu_mdev_create(ctx, "mtty", "mtty-2", U1), 0);
	assert_int_equal(vfioiommu_device_open(ctx, U1, &a), 0);
	assert_int_equal(vfioiommu_device_open(ctx, "0000:00:02.0", &b), 0);
	/* the NIC's domain brings its aperture and MSI hole; the mdev adds nothing */
	assert_int_equal(vfioiommu_ctx_iova_ranges(ctx, &l), 0);
	assert_int_equal(vfioiommu_iova_list_count(l), 2);
	vfioiommu_iova_list_free(l);
	vfioiommu_device_close(b);
	vfioiommu_device_close(a);
	vfioiommu_ctx_destroy(ctx);
	th_mock_done(m);
}

static void bad_names(void **state)
{
	vfioiommu_mock *m = th_mock(host);
	vfioiommu_ctx *ctx = th_ctx(m, VFIOIOMMU_MODE_AUTO);
	vfioiommu_device *dev = NULL;

	(void)state;
	assert_int_equal(vfioiommu_device_open(ctx, "8c3e2a10-0000-4000-8000-00000000000", &dev), -EINVAL);
	th_assert_msg(vfioiommu_strerror(ctx), "not a PCI address", "UUID", NULL);
	assert_int_equal(vfioiommu_device_open(ctx, "8c3e2a10-0000-4000-8000-0000000000zz", &dev), -EINVAL);
	assert_int_equal(vfioiommu_device_open(ctx, U1, &dev), -ENOENT);
	th_assert_msg(vfioiommu_strerror(ctx), "bus/mdev/devices", "vfioiommu_mdev_create", NULL);
	assert_null(dev);
	vfioiommu_ctx_destroy(ctx);
	th_mock_done(m);
}

/* A host file that gets mdev lines wrong is refused with the line and why. */
static void host_lines(void **state)
{
	static const struct { const char *text, *word; } bad[] = {
		{ "mdev-parent mtty\n", "mdev-parent" },
		{ "mdev-parent mtty 0 1 2\n", "mdev-parent" },
		{ "mdev-parent mtty 24 0x10000 2\n", "mdev-parent" },
		{ "mdev-type mtty mtty-1 1 x\n", "PARENT listed before" },
		{ "mdev-parent mtty 2 1 2\nmdev-type mtty mtty-1 3 x\n", "COST" },
		{ "mdev-parent mtty 2 1 2\nmdev-parent mtty 2 1 2\n", "twice" },
		{ "mdev-parent p 2 1 2\nmdev-type p t 1 x\nmdev ABC p t\n", "UUID" },
		{ "mdev-parent p 2 1 2\nmdev-type p t 2 x\nmdev " U1 " p t\nmdev " U2 " p t\n", "no units" },
		{ "mdev-parent p 2 1 2\nmdev-type p t 1 x\nmdev " U1 " p t\nmdev " U1 " p t\n", "twice" },
		{ "mdev " U1 " p t\n", "listed before" },
	};
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		vfioiommu_mock *m = NULL;
		assert_int_equal(vfioiommu_mock_new(&m), 0);
		err[0] = '\0';
		assert_int_equal(vfioiommu_mock_load_string(m, bad[i].text, err, sizeof(err)), -EINVAL);
		if (!strstr(err, bad[i].word))
			fail_msg("host %zu: \"%s\" lacks \"%s\"", i, err, bad[i].word);
		vfioiommu_mock_destroy(m);
	}
}

/* A parent driver that answers garbage in available_instances. */
static const vfioiommu_door *inner;
static ssize_t hostile_read(void *p, const char *path, char *buf, size_t n)
{
	if (strstr(path, "available_instances"))
		return snprintf(buf, n, "%s", strstr(path, "mtty-1") ? "-3\n" : "99999999999\n");
	return inner->sysfs_read(p, path, buf, n);
}

static void hostile_available(void **state)
{
	vfioiommu_mock *m = th_mock(host);
	vfioiommu_door door;
	struct vfioiommu_ctx_opts o = { .size = sizeof(o), .door = &door };
	vfioiommu_ctx *ctx = NULL;
	uint32_t n = 7;

	(void)state;
	inner = vfioiommu_mock_door(m);
	door = *inner;
	door.sysfs_read = hostile_read;
	assert_int_equal(vfioiommu_ctx_new(&o, &ctx), 0);
	assert_int_equal(vfioiommu_mdev_available(ctx, "mtty", "mtty-1", &n), -EPROTO);
	th_assert_msg(vfioiommu_strerror(ctx), "available_instances", "-3", NULL);
	assert_int_equal(vfioiommu_mdev_available(ctx, "mtty", "mtty-2", &n), -EPROTO);
	assert_int_equal(n, 7);
	vfioiommu_ctx_destroy(ctx);
	th_mock_done(m);
}

/* ---- fail-Nth: every door call of create, open (both backends), map, close, remove ---- */

static vfioiommu_mock *sweep_setup(void *arg)
{
	(void)arg;
	return th_mock(host);
}

static int sweep_body(vfioiommu_mock *m, void *arg)
{
	enum vfioiommu_mode mode = *(enum vfioiommu_mode *)arg;
	struct vfioiommu_ctx_opts o = { .size = sizeof(o), .mode = mode, .door = vfioiommu_mock_door(m) };
	vfioiommu_ctx *ctx = NULL;
	vfioiommu_device *dev = NULL;
	uint32_t n = 0;
	uint64_t iova = 0;
	static char buf[1 << 16] __attribute__((aligned(4096)));
	int rc;

	rc = vfioiommu_ctx_new(&o, &ctx);
	if (rc < 0)
		return rc;
	rc = vfioiommu_mdev_available(ctx, "mtty", "mtty-2", &n);
	if (rc == 0)
		rc = vfioiommu_mdev_create(ctx, "mtty", "mtty-2", U1);
	if (rc == 0)
		rc = vfioiommu_device_open(ctx, U1, &dev);
	if (rc == 0)
		rc = vfioiommu_dma_map(ctx, buf, sizeof(buf), VFIOIOMMU_DMA_READ, &iova);
	if (rc == 0)
		rc = vfioiommu_dma_unmap_at(ctx, iova);
	if (dev)
		vfioiommu_device_close(dev);
	if (rc == 0)
		rc = vfioiommu_mdev_remove(ctx, U1);
	if (rc < 0 && !vfioiommu_strerror(ctx)[0])
		fail_msg("rc %d without a message", rc);
	vfioiommu_ctx_destroy(ctx);
	return rc;
}

static void sweep(void **state)
{
	enum vfioiommu_mode modes[] = { VFIOIOMMU_MODE_CONTAINER, VFIOIOMMU_MODE_IOMMUFD };

	(void)state;
	for (size_t i = 0; i < 2; i++)
		assert_true(th_sweep(sweep_setup, sweep_body, &modes[i], 400) > 10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(create_and_remove),
		cmocka_unit_test(pool_runs_out),
		cmocka_unit_test(open_both_backends),
		cmocka_unit_test(mixed_container_keeps_the_nic_ranges),
		cmocka_unit_test(bad_names),
		cmocka_unit_test(host_lines),
		cmocka_unit_test(hostile_available),
		cmocka_unit_test(sweep),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
