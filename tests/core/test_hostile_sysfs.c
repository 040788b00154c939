/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * A hostile sysfs tree (issue #20): what a crafted sysfs_root, or a mock door
 * used the same way, must not make the library believe or wait for.
 *
 *  - a link target longer than the buffer is -ENAMETOOLONG naming the link,
 *    never the cut text: "iommu_groups/1234" cut to "iommu_groups/12" is not
 *    group 12, "drivers/<long>/e1000e" cut after a '/' is not "unbound";
 *  - an attribute that is not a regular file (a FIFO, a directory, a device)
 *    is -EPROTO naming the file, never a read that blocks forever.
 *
 * The tree is on disk under /tmp and read through the system door; the doors'
 * own contracts are checked on the system door and on the mock's.
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
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include <vfioiommu/mock.h>
#include "helpers.h"
#include "sysfs_tree.h"
#include "core/door.h"
#include "core/internal.h"

/* a FIFO test that regresses must fail, not hang the suite until meson's timeout */
#define HANG_GUARD_S 20

/*
 * head + padding + tail where the first `cut` bytes end exactly at
 * head + padding + tail[0..keep): what a readlink into a buffer of cut + 1
 * bytes used to return.
 */
static char *long_target(const char *head, const char *tail, size_t keep, size_t cut)
{
	size_t hl = strlen(head), pad = cut - hl - keep;
	char *t = malloc(hl + pad + strlen(tail) + 1);
	char *p;

	assert_non_null(t);
	assert_true(cut > hl + keep + 2);
	memcpy(t, head, hl);
	p = t + hl;
	/* components of "x" with '/' between: a plausible long path */
	for (size_t i = 0; i < pad; i++)
		p[i] = (i % 16 == 15) ? '/' : 'x';
	if (pad)
		p[pad - 1] = '/';
	strcpy(p + pad, tail);
	assert_int_equal(strncmp(t + cut - keep, tail, keep), 0);
	return t;
}

static void group_dir(unsigned int g, const char *resv)
{
	char rel[128];

	snprintf(rel, sizeof(rel), "kernel/iommu_groups/%u", g);
	st_dir(rel);
	snprintf(rel, sizeof(rel), "kernel/iommu_groups/%u/devices", g);
	st_dir(rel);
	if (resv) {
		snprintf(rel, sizeof(rel), "kernel/iommu_groups/%u/reserved_regions", g);
		st_file(rel, resv);
	}
}

/* a PCI device in group g (by a normal link unless group_link) bound to driver (NULL: unbound) */
static void pci_dev(const char *bdf, unsigned int g, const char *group_link, const char *driver_link)
{
	char rel[128], target[128];

	snprintf(rel, sizeof(rel), "bus/pci/devices/%s", bdf);
	st_dir(rel);
	snprintf(rel, sizeof(rel), "bus/pci/devices/%s/iommu_group", bdf);
	snprintf(target, sizeof(target), "../../../../kernel/iommu_groups/%u", g);
	st_link(rel, group_link ? group_link : target);
	if (driver_link) {
		snprintf(rel, sizeof(rel), "bus/pci/devices/%s/driver", bdf);
		st_link(rel, driver_link);
	}
	snprintf(rel, sizeof(rel), "kernel/iommu_groups/%u/devices/%s", g, bdf);
	st_dir(rel);
}

#define VFIO_PCI "../../../../bus/pci/drivers/vfio-pci"

static int tree_setup(void **state)
{
	char *t;

	if (st_make("hostile") < 0)
		return -1;
	st_dir("bus");
	st_dir("bus/pci");
	st_dir("bus/pci/devices");
	st_dir("kernel");
	st_dir("kernel/iommu_groups");

	/* group 12: a viable group the cut link of 0000:00:06.0 would name */
	group_dir(12, "");
	pci_dev("0000:00:12.0", 12, NULL, VFIO_PCI);
	/* 0000:00:06.0 is in group 1234; its link is 525 bytes, 511 of them say ".../iommu_groups/12" */
	group_dir(1234, "");
	t = long_target("../../../../", "kernel/iommu_groups/1234", strlen("kernel/iommu_groups/12"), VI_PATH_MAX - 1);
	pci_dev("0000:00:06.0", 1234, t, VFIO_PCI);
	free(t);
	/* 0000:00:08.0: a link of exactly 511 bytes (the most that fits) to group 12 is read whole */
	t = long_target("../../../../", "kernel/iommu_groups/12", strlen("kernel/iommu_groups/12"), VI_PATH_MAX - 1);
	assert_int_equal(strlen(t), VI_PATH_MAX - 1);
	st_dir("bus/pci/devices/0000:00:08.0");
	st_link("bus/pci/devices/0000:00:08.0/iommu_group", t);
	st_link("bus/pci/devices/0000:00:08.0/driver", VFIO_PCI);
	st_dir("kernel/iommu_groups/12/devices/0000:00:08.0");
	free(t);

	/* group 13: 0000:00:07.0 on vfio-pci, 0000:00:07.1 on e1000e behind a link cut right after a '/' */
	group_dir(13, "");
	pci_dev("0000:00:07.0", 13, NULL, VFIO_PCI);
	t = long_target("../../../../bus/pci/drivers/", "/e1000e", 1, VI_PATH_MAX - 1);
	pci_dev("0000:00:07.1", 13, NULL, t);
	free(t);

	/* group 14: a platform member on a driver behind a long link, same cut */
	group_dir(14, "");
	pci_dev("0000:00:0e.0", 14, NULL, VFIO_PCI);
	st_dir("kernel/iommu_groups/14/devices/fe300000.dma");
	t = long_target("../../../../bus/platform/drivers/", "/bcm2835-dma", 1, VI_PATH_MAX - 1);
	st_link("kernel/iommu_groups/14/devices/fe300000.dma/driver", t);
	free(t);
	/* group 18: a platform member whose driver name alone is longer than a driver name may be */
	group_dir(18, "");
	pci_dev("0000:00:18.0", 18, NULL, VFIO_PCI);
	st_dir("kernel/iommu_groups/18/devices/fe400000.dma");
	st_link("kernel/iommu_groups/18/devices/fe400000.dma/driver",
		 "../../../../bus/platform/drivers/"
		 "a-driver-name-of-one-hundred-characters-which-no-real-driver-has-but-a-tree-may-hold-xxxxxxxxxxxxxx");

	/* group 15: reserved_regions is a FIFO nobody writes */
	group_dir(15, NULL);
	st_fifo("kernel/iommu_groups/15/reserved_regions");
	pci_dev("0000:00:0f.0", 15, NULL, VFIO_PCI);
	/* group 16: reserved_regions is a directory */
	group_dir(16, NULL);
	st_dir("kernel/iommu_groups/16/reserved_regions");
	/* group 17: reserved_regions is an endless character device */
	group_dir(17, NULL);
	st_link("kernel/iommu_groups/17/reserved_regions", "/dev/zero");
	/* the uevent sequence number as a FIFO; a driver_override that is one */
	st_fifo("kernel/uevent_seqnum");
	group_dir(19, "");
	pci_dev("0000:00:09.0", 19, NULL, "../../../../bus/pci/drivers/e1000e");
	st_fifo("bus/pci/devices/0000:00:09.0/driver_override");
	return 0;
}

static int tree_teardown(void **state)
{
	return st_remove();
}

/* ---------------- item 1: a cut link is an error, never data ---------------- */

static void test_group_link_cut(void **state)
{
	vfioiommu_ctx *ctx = st_ctx();
	struct vfioiommu_verdict v;
	unsigned int g = 0;
	char link[256];

	/* the control: group 12 is a good group */
	assert_int_equal(vfioiommu_verdict_device(ctx, "0000:00:12.0", &v), 0);
	assert_int_equal(v.kind, VFIOIOMMU_VERDICT_ASSIGNABLE);
	/* 0000:00:06.0 is not in group 12 */
	assert_int_equal(vi_sysfs_device_group(ctx, "0000:00:06.0", &g), -ENAMETOOLONG);
	assert_int_equal(vfioiommu_verdict_device(ctx, "0000:00:06.0", &v), -ENAMETOOLONG);
	snprintf(link, sizeof(link), "%s/bus/pci/devices/0000:00:06.0/iommu_group", st_root);
	th_assert_msg(vfioiommu_strerror(ctx), "0000:00:06.0", "ENAMETOOLONG", link, "longer than 511 bytes", NULL);
	assert_null(strstr(vfioiommu_strerror(ctx), ": errno"));
	vfioiommu_ctx_destroy(ctx);
}

static void test_group_link_longest(void **state)
{
	vfioiommu_ctx *ctx = st_ctx();
	struct vfioiommu_verdict v;
	unsigned int g = 0;

	/* 511 bytes fit a 512-byte buffer: read whole, not refused */
	assert_int_equal(vi_sysfs_device_group(ctx, "0000:00:08.0", &g), 0);
	assert_int_equal(g, 12);
	assert_int_equal(vfioiommu_verdict_device(ctx, "0000:00:08.0", &v), 0);
	assert_int_equal(v.group, 12);
	vfioiommu_ctx_destroy(ctx);
}

static void test_driver_link_cut(void **state)
{
	vfioiommu_ctx *ctx = st_ctx();
	struct vfioiommu_verdict v;
	char drv[64] = "x", link[256];

	/* e1000e holds 0000:00:07.1: never "unbound", so never an assignable group */
	assert_int_equal(vi_sysfs_device_driver(ctx, "0000:00:07.1", drv, sizeof(drv)), -ENAMETOOLONG);
	assert_int_equal(vfioiommu_verdict_group(ctx, 13, &v), -ENAMETOOLONG);
	snprintf(link, sizeof(link), "%s/bus/pci/devices/0000:00:07.1/driver", st_root);
	th_assert_msg(vfioiommu_strerror(ctx), "group 13", "ENAMETOOLONG", link, NULL);
	assert_int_equal(vfioiommu_verdict_device(ctx, "0000:00:07.0", &v), -ENAMETOOLONG);
	assert_int_equal(vfioiommu_verdict_device(ctx, "0000:00:07.1", &v), -ENAMETOOLONG);
	th_assert_msg(vfioiommu_strerror(ctx), "0000:00:07.1", link, NULL);
	vfioiommu_ctx_destroy(ctx);
}

static void test_member_link_cut(void **state)
{
	vfioiommu_ctx *ctx = st_ctx();
	struct vfioiommu_verdict v;
	char link[256];

	/* a platform member, through the group's own link */
	assert_int_equal(vfioiommu_verdict_group(ctx, 14, &v), -ENAMETOOLONG);
	snprintf(link, sizeof(link), "%s/kernel/iommu_groups/14/devices/fe300000.dma/driver", st_root);
	th_assert_msg(vfioiommu_strerror(ctx), "fe300000.dma", link, "longer than 511", NULL);
	/* a whole link, but a driver name longer than any: refused, not cut to 63 characters */
	assert_int_equal(vfioiommu_verdict_group(ctx, 18, &v), -ENAMETOOLONG);
	th_assert_msg(vfioiommu_strerror(ctx), "fe400000.dma", "driver name", NULL);
	vfioiommu_ctx_destroy(ctx);
}

/* ---------------- item 2: no hang on a FIFO, nothing but regular files ---------------- */

static void test_resv_fifo(void **state)
{
	vfioiommu_ctx *ctx = st_ctx();
	vfioiommu_resv_set *s = (void *)1;
	struct vfioiommu_verdict v;
	char file[256];

	alarm(HANG_GUARD_S);
	assert_int_equal(vfioiommu_resv_read_group(ctx, 15, &s), -EPROTO);
	assert_null(s);
	snprintf(file, sizeof(file), "%s/kernel/iommu_groups/15/reserved_regions", st_root);
	th_assert_msg(vfioiommu_strerror(ctx), "group 15", "EPROTO", file, "not a regular file", NULL);
	assert_int_equal(vfioiommu_verdict_device(ctx, "0000:00:0f.0", &v), -EPROTO);
	assert_int_equal(vfioiommu_verdict_group(ctx, 15, &v), -EPROTO);
	alarm(0);
	vfioiommu_ctx_destroy(ctx);
}

static void test_resv_not_regular(void **state)
{
	vfioiommu_ctx *ctx = st_ctx();
	vfioiommu_resv_set *s = (void *)1;
	char file[256];

	alarm(HANG_GUARD_S);
	assert_int_equal(vfioiommu_resv_read_group(ctx, 16, &s), -EPROTO);
	snprintf(file, sizeof(file), "%s/kernel/iommu_groups/16/reserved_regions", st_root);
	th_assert_msg(vfioiommu_strerror(ctx), file, "not a regular file", NULL);
	/* /dev/zero would fill every buffer up to the 16 MiB cap */
	assert_int_equal(vfioiommu_resv_read_group(ctx, 17, &s), -EPROTO);
	assert_null(s);
	alarm(0);
	vfioiommu_ctx_destroy(ctx);
}

static void test_attr_fifo(void **state)
{
	vfioiommu_ctx *ctx = st_ctx();
	const vfioiommu_door *sys = vfioiommu_door_system();
	char buf[64], path[256];
	int reader;

	alarm(HANG_GUARD_S);
	assert_int_equal(vi_sysfs_read(ctx, buf, sizeof(buf), "kernel/uevent_seqnum"), -EPROTO);
	/* a write to a FIFO nobody reads does not wait for a reader either */
	st_path(path, sizeof(path), "bus/pci/devices/0000:00:09.0/driver_override");
	assert_true(sys->sysfs_write(sys->priv, path, "vfio-pci", 8) < 0);
	/* and with a reader it is still no attribute */
	reader = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	assert_true(reader >= 0);
	assert_int_equal(sys->sysfs_write(sys->priv, path, "vfio-pci", 8), -EPROTO);
	assert_int_equal(sys->sysfs_read(sys->priv, path, buf, sizeof(buf)), -EPROTO);
	close(reader);
	/* binding goes no further than the FIFO, and says so */
	assert_true(vfioiommu_bind_vfio(ctx, "0000:00:09.0", 100) < 0);
	th_assert_msg(vfioiommu_strerror(ctx), "0000:00:09.0", "driver_override", NULL);
	alarm(0);
	vfioiommu_ctx_destroy(ctx);
}

/* ---------------- the doors' contracts ---------------- */

static void test_system_readlink_contract(void **state)
{
	const vfioiommu_door *sys = vfioiommu_door_system();
	char path[256], buf[64];
	const char *target = "../../../../kernel/iommu_groups/12"; /* 34 bytes */
	size_t len = strlen(target);

	st_path(path, sizeof(path), "bus/pci/devices/0000:00:12.0/iommu_group");
	assert_int_equal(sys->readlink(sys->priv, path, buf, len + 1), (ssize_t)len);
	assert_string_equal(buf, target);
	assert_int_equal(sys->readlink(sys->priv, path, buf, len), -ENAMETOOLONG);
	assert_int_equal(sys->readlink(sys->priv, path, buf, 2), -ENAMETOOLONG);
	assert_int_equal(sys->readlink(sys->priv, path, buf, 0), -EINVAL);
}

static void test_mock_readlink_contract(void **state)
{
	vfioiommu_mock *m = th_mock(th_host_default);
	const vfioiommu_door *d = vfioiommu_mock_door(m);
	const char *link = "/sys/bus/pci/devices/0000:00:04.0/iommu_group";
	char buf[128];
	ssize_t len = d->readlink(d->priv, link, buf, sizeof(buf));

	assert_true(len > 0);
	/* the same contract as the system door: the whole target or -ENAMETOOLONG */
	assert_int_equal(d->readlink(d->priv, link, buf, (size_t)len + 1), len);
	assert_int_equal(d->readlink(d->priv, link, buf, (size_t)len), -ENAMETOOLONG);
	assert_int_equal(d->readlink(d->priv, "/sys/bus/pci/devices/0000:00:04.0/driver", buf, 8), -ENAMETOOLONG);
	/* as on Linux: a directory or a link is no attribute to read */
	assert_int_equal(d->sysfs_read(d->priv, "/sys/bus/pci/devices/0000:00:04.0", buf, sizeof(buf)), -EPROTO);
	assert_int_equal(d->sysfs_read(d->priv, "/sys/bus/pci/devices/0000:00:04.0/driver", buf, sizeof(buf)), -EPROTO);
	assert_int_equal(d->sysfs_read(d->priv, "/sys/kernel/iommu_groups/3", buf, sizeof(buf)), -EPROTO);
	assert_int_equal(d->sysfs_read(d->priv, "/sys/bus/pci/devices/0000:00:04.0/nothing", buf, sizeof(buf)),
			 -ENOENT);
	vfioiommu_mock_destroy(m);
}

int main(void)
{
	const struct CMUnitTest tree_tests[] = {
		cmocka_unit_test(test_group_link_cut),
		cmocka_unit_test(test_group_link_longest),
		cmocka_unit_test(test_driver_link_cut),
		cmocka_unit_test(test_member_link_cut),
		cmocka_unit_test(test_resv_fifo),
		cmocka_unit_test(test_resv_not_regular),
		cmocka_unit_test(test_attr_fifo),
		cmocka_unit_test(test_system_readlink_contract),
	};
	const struct CMUnitTest door_tests[] = {
		cmocka_unit_test(test_mock_readlink_contract),
	};
	int rc = cmocka_run_group_tests(tree_tests, tree_setup, tree_teardown);

	return rc | cmocka_run_group_tests(door_tests, NULL, NULL);
}
