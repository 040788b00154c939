/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <vfioiommu/mock.h>
#include "helpers.h"
#include "mock/mock.h"

static void parses_default_host(void **state)
{
	vfioiommu_mock *m = th_mock(th_host_default);
	struct vm_device *d = vm_device_find(m, "0000:00:03.0");

	assert_non_null(d);
	assert_string_equal(d->driver, "vfio-pci");
	assert_int_equal(d->group, 3);
	assert_int_equal(m->aper_last, (1ULL << 39) - 1);
	assert_int_equal(m->pgsizes, 0x40201000ULL);
	assert_int_equal(vm_group_find(m, 6)->nresv, 2);
	assert_true(vm_group_has_direct(vm_group_find(m, 6)));
	assert_string_equal(vm_device_find(m, "0000:00:05.1")->driver, "e1000e");
	vfioiommu_mock_destroy(m);
}

static void attributes_and_features(void **state)
{
	vfioiommu_mock *m = th_mock("aperture 0x1000 0xffffffff\n"
				    "dma-limit 10\npasid-width 16\niommufd no\ncdev no\ncontainer-compat yes\n"
				    "group 1 # trailing comment\n"
				    "\tdevice 0000:01:00.0 - vendor=0x144d device=0xa808 class=0x010802 pasid=8 iopf\n");
	struct vm_device *d = vm_device_find(m, "0000:01:00.0");

	assert_int_equal(m->aper_start, 0x1000);
	assert_int_equal(m->dma_limit, 10);
	assert_int_equal(m->pasid_bits, 16);
	assert_false(m->features & VFIOIOMMU_MOCK_IOMMUFD);
	assert_false(m->features & VFIOIOMMU_MOCK_CDEV);
	assert_true(m->features & VFIOIOMMU_MOCK_CONTAINER_COMPAT);
	assert_string_equal(d->driver, "");
	assert_int_equal(d->vendor, 0x144d);
	assert_int_equal(d->device, 0xa808);
	assert_int_equal(d->class_code, 0x010802);
	assert_int_equal(d->pasid_bits, 8);
	assert_true(d->iopf);
	vfioiommu_mock_destroy(m);
}

static void bad(const char *text, unsigned int line, const char *word)
{
	vfioiommu_mock *m;
	char err[256], want[32];

	assert_int_equal(vfioiommu_mock_new(&m), 0);
	assert_int_equal(vfioiommu_mock_load_string(m, text, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "line %u:", line);
	th_assert_msg(err, want, word, NULL);
	vfioiommu_mock_destroy(m);
}

static void rejects_malformed(void **state)
{
	bad("frobnicate 1\n", 1, "unknown keyword");
	bad("\n\ndevice 0000:00:01.0 vfio-pci\n", 3, "outside a 'group'");
	bad("group 1\nresv 0x2000 0x1000 msi\n", 2, "START <= LAST");
	bad("group 1\nresv 0x1000 0x2000 bogus\n", 2, "unknown reserved-region type");
	bad("group 1\ndevice 0000:00:1.0 vfio-pci\n", 2, "bad device");
	bad("group 1\ndevice 0000:00:01.0\n", 2, "needs a PCI address");
	bad("group 1\ngroup 1\n", 2, "listed twice");
	bad("group 1\ndevice 0000:00:01.0 x\ndevice 0000:00:01.0 y\n", 3, "listed twice");
	bad("group 1\ndevice 0000:00:01.0 x pasid=21\n", 2, "bad device attribute");
	bad("group 1\ndevice 0000:00:01.0 x nonsense\n", 2, "unknown device attribute");
	bad("aperture 5 4\n", 1, "aperture");
	bad("address-width 65\n", 1, "address-width");
	bad("pgsizes 0x100\n", 1, "pgsizes");
	bad("iommufd maybe\n", 1, "yes or no");
	bad("group -1\n", 1, "group number");
	bad("dma-limit 0x100000000\n", 1, "dma-limit");
}

static void fault_region_attribute(void **state)
{
	vfioiommu_mock *m = th_mock("group 1\n"
				    "  device 0000:01:00.0 vfio-pci faultregion=0x80001234:1\n"
				    "  device 0000:01:00.1 vfio-pci faultregion=7:0x2:4096 iopf\n"
				    "  device 0000:01:00.2 vfio-pci model=igd faultregion=4294967295:4294967295:0x1000000\n"
				    "  device 0000:01:00.3 vfio-pci\n");
	struct vm_device *d = vm_device_find(m, "0000:01:00.0");

	(void)state;
	assert_int_equal(d->fault_bytes, VFIOIOMMU_MOCK_FAULT_REGION_BYTES);
	assert_int_equal(d->fault_type, 0x80001234u);
	assert_int_equal(d->fault_subtype, 1);
	d = vm_device_find(m, "0000:01:00.1");
	assert_int_equal(d->fault_bytes, 4096);
	assert_int_equal(d->fault_type, 7);
	assert_int_equal(d->fault_subtype, 2);
	assert_true(d->iopf);
	d = vm_device_find(m, "0000:01:00.2");
	assert_int_equal(d->fault_bytes, 16u << 20);
	assert_int_equal(d->fault_type, UINT32_MAX);
	assert_int_equal(vm_fault_region_index(d), 12);
	assert_int_equal(vm_fault_region_index(vm_device_find(m, "0000:01:00.0")), 9);
	assert_int_equal(vm_device_find(m, "0000:01:00.3")->fault_bytes, 0);
	assert_int_equal(vm_fault_region_index(vm_device_find(m, "0000:01:00.3")), UINT32_MAX);
	vfioiommu_mock_destroy(m);
}

static void fault_region_malformed(void **state)
{
	(void)state;
	bad("group 1\ndevice 0000:00:01.0 x faultregion=\n", 2, "TYPE:SUBTYPE");
	bad("group 1\ndevice 0000:00:01.0 x faultregion=5\n", 2, "TYPE:SUBTYPE");
	bad("group 1\ndevice 0000:00:01.0 x faultregion=5:\n", 2, "TYPE:SUBTYPE");
	bad("group 1\ndevice 0000:00:01.0 x faultregion=:1\n", 2, "TYPE:SUBTYPE");
	bad("group 1\ndevice 0000:00:01.0 x faultregion=1:2:3:4\n", 2, "TYPE:SUBTYPE");
	bad("group 1\ndevice 0000:00:01.0 x faultregion=1:2:\n", 2, "TYPE:SUBTYPE");
	bad("group 1\ndevice 0000:00:01.0 x faultregion=nvme:1\n", 2, "TYPE:SUBTYPE");
	bad("group 1\ndevice 0000:00:01.0 x faultregion=-1:1\n", 2, "TYPE:SUBTYPE");
	bad("group 1\ndevice 0000:00:01.0 x faultregion=0x100000000:1\n", 2, "TYPE:SUBTYPE");
	bad("group 1\ndevice 0000:00:01.0 x faultregion=1:0x100000000\n", 2, "TYPE:SUBTYPE");
	bad("group 1\ndevice 0000:00:01.0 x faultregion=1:1:64k\n", 2, "TYPE:SUBTYPE");
	bad("group 1\ndevice 0000:00:01.0 x faultregion=1:1:99999999999999999999999\n", 2, "TYPE:SUBTYPE");
	bad("group 1\ndevice 0000:00:01.0 x faultregion=1:1:15\n", 2, "outside 16 bytes to 16 MiB");
	bad("group 1\ndevice 0000:00:01.0 x faultregion=1:1:0\n", 2, "outside 16 bytes to 16 MiB");
	bad("group 1\ndevice 0000:00:01.0 x faultregion=1:1:0x1000001\n", 2, "outside 16 bytes to 16 MiB");
	bad("group 1\ndevice 0000:00:01.0 x faultregion=1:1 faultregion=1:2\n", 2, "has a fault region already");
	/* the igd's own OpRegion type, either order */
	bad("group 1\ndevice 0000:00:01.0 x model=igd faultregion=0x80008086:1\n", 2, "0x80008086:1");
	bad("group 1\ndevice 0000:00:01.0 x faultregion=0x80008086:1 model=igd\n", 2, "model igd");
	bad("group 1\ndevice 0000:00:01.0 x faultregion 1:1\n", 2, "unknown device attribute");
}

static void null_and_file(void **state)
{
	vfioiommu_mock *m;
	char err[256], path[] = "/tmp/vfioiommu-hostXXXXXX";
	int fd;

	assert_int_equal(vfioiommu_mock_new(NULL), -EINVAL);
	assert_int_equal(vfioiommu_mock_new(&m), 0);
	assert_int_equal(vfioiommu_mock_load_string(NULL, "", err, sizeof(err)), -EINVAL);
	assert_int_equal(vfioiommu_mock_load_string(m, NULL, err, sizeof(err)), -EINVAL);
	assert_int_equal(vfioiommu_mock_load_file(m, "/nonexistent/host", err, sizeof(err)), -ENOENT);
	th_assert_msg(err, "/nonexistent/host", NULL);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "group 9\nbogus\n", 14), 14);
	close(fd);
	assert_int_equal(vfioiommu_mock_load_file(m, path, err, sizeof(err)), -EINVAL);
	th_assert_msg(err, path, "line 2", NULL);
	unlink(path);
	vfioiommu_mock_destroy(m);
	vfioiommu_mock_destroy(NULL);
}

static void temp_file(char *path, const void *data, size_t len)
{
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
}

/* #20 item 4: load_file() reads to EOF and takes no more than load_string() would */
static void file_embedded_nul(void **state)
{
	static const char text[] = "group 3\n  device 0000:00:03.0 vfio-pci\n  \0device 0000:00:03.1 e1000e\ngroup 4\n";
	vfioiommu_mock *m;
	char err[256], path[] = "/tmp/vfioiommu-hostXXXXXX";

	temp_file(path, text, sizeof(text) - 1);
	assert_int_equal(vfioiommu_mock_new(&m), 0);
	/* not a host with one device that stops at the NUL: refused, naming the line */
	assert_int_equal(vfioiommu_mock_load_file(m, path, err, sizeof(err)), -EINVAL);
	th_assert_msg(err, path, "line 3", "NUL", NULL);
	assert_int_equal(m->ngroups, 0);
	assert_int_equal(m->ndevs, 0);
	unlink(path);
	vfioiommu_mock_destroy(m);
}

static void file_without_size(void **state)
{
	static const char host[] = "group 3\n  device 0000:00:03.0 vfio-pci\ngroup 4\n  device 0000:00:04.0 -\n";
	vfioiommu_mock *m;
	char err[256], path[64];
	int p[2];

	/* /proc and /sys files say size 0: read to EOF, and /proc/cpuinfo is no host */
	assert_int_equal(vfioiommu_mock_new(&m), 0);
	if (access("/proc/cpuinfo", R_OK) == 0) {
		assert_int_equal(vfioiommu_mock_load_file(m, "/proc/cpuinfo", err, sizeof(err)), -EINVAL);
		th_assert_msg(err, "/proc/cpuinfo", "line 1", NULL);
	}
	/* a pipe has no size at all (a shell's <(...)): still a host */
	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], host, sizeof(host) - 1), (ssize_t)(sizeof(host) - 1));
	close(p[1]);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", p[0]);
	if (vfioiommu_mock_load_file(m, path, err, sizeof(err)) < 0)
		fail_msg("%s", err);
	close(p[0]);
	assert_int_equal(m->ngroups, 2);
	assert_int_equal(m->ndevs, 2);
	vfioiommu_mock_destroy(m);
}

static void file_too_large(void **state)
{
	vfioiommu_mock *m;
	char err[256], path[] = "/tmp/vfioiommu-hostXXXXXX";
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	/* one byte past the documented cap, sparse */
	assert_int_equal(ftruncate(fd, (16 << 20) + 1), 0);
	close(fd);
	assert_int_equal(vfioiommu_mock_new(&m), 0);
	assert_int_equal(vfioiommu_mock_load_file(m, path, err, sizeof(err)), -EINVAL);
	th_assert_msg(err, path, "16 MiB", NULL);
	unlink(path);
	/* no size to go by: read up to the cap, then refuse */
	assert_int_equal(vfioiommu_mock_load_file(m, "/dev/zero", err, sizeof(err)), -EINVAL);
	th_assert_msg(err, "/dev/zero", "16 MiB", NULL);
	vfioiommu_mock_destroy(m);
}

/*
 * #20 item 3: a host of 40k devices loads (it took hours when each vfio-pci
 * device scanned every device for every candidate cdev index), and the
 * indexes behind it answer like the arrays: every BDF and group found, cdev
 * indexes the lowest free ones as the kernel's ida hands them out, also after
 * unbinds, rebinds and a removal.  Speed itself: bench/bench_mock_load.
 */
#define BIG_DEVS 40000u

static void bdf_of(unsigned int i, char *bdf, size_t n)
{
	snprintf(bdf, n, "%04x:%02x:%02x.%x", i >> 16, (i >> 8) & 0xff, (i >> 3) & 0x1f, i & 7);
}

static void large_host(void **state)
{
	size_t cap = (size_t)BIG_DEVS * 64, len = 0;
	char *text = malloc(cap), bdf[32], err[256], path[96], buf[64];
	unsigned int vfio = 0;
	vfioiommu_mock *m;
	const vfioiommu_door *door;
	struct vm_device *d;

	assert_non_null(text);
	for (unsigned int i = 0; i < BIG_DEVS; i++) {
		bdf_of(i, bdf, sizeof(bdf));
		if (i % 4 == 0)
			len += (size_t)snprintf(text + len, cap - len, "group %u\n", 7 * i + 3); /* 3, 31, 59, ... */
		len += (size_t)snprintf(text + len, cap - len, "device %s %s vendor=0x8086\n", bdf,
					i % 4 == 3 ? "e1000e" : i % 4 == 2 ? "-" : "vfio-pci");
	}
	assert_int_equal(vfioiommu_mock_new(&m), 0);
	if (vfioiommu_mock_load_string(m, text, err, sizeof(err)) < 0)
		fail_msg("%s", err);
	free(text);
	assert_int_equal(m->ndevs, BIG_DEVS);
	assert_int_equal(m->ngroups, BIG_DEVS / 4);
	for (unsigned int i = 0; i < BIG_DEVS; i++) {
		bdf_of(i, bdf, sizeof(bdf));
		d = vm_device_find(m, bdf);
		assert_non_null(d);
		assert_string_equal(d->bdf, bdf);
		assert_int_equal(d->group, 28 * (i / 4) + 3);
		assert_non_null(vm_group_find(m, 28 * (i / 4) + 3));
		/* vfio-pci devices in order take vfio0, vfio1, ... */
		if (i % 4 < 2)
			assert_int_equal(d->cdev_index, vfio++);
	}
	assert_null(vm_group_find(m, 4));
	assert_null(vm_device_find(m, "0000:ff:1f.7"));
	assert_int_equal(vfioiommu_mock_add_device(m, 3, "0000:00:00.1", "-"), -EEXIST);
	assert_int_equal(vfioiommu_mock_add_group(m, 31), -EEXIST);

	/* unbind the devices holding vfio5 and vfio2: the next binds take 2, then 5, then a new one */
	assert_int_equal(vfioiommu_mock_set_driver(m, "0000:00:01.1", NULL), 0); /* i = 9: vfio5 */
	assert_int_equal(vfioiommu_mock_set_driver(m, "0000:00:00.4", "-"), 0);  /* i = 4: vfio2 */
	assert_int_equal(vfioiommu_mock_set_driver(m, "0000:00:00.2", "vfio-pci"), 0);
	assert_int_equal(vm_device_find(m, "0000:00:00.2")->cdev_index, 2);
	/* a variant driver keeps its index; leaving VFIO for another driver frees it */
	assert_int_equal(vfioiommu_mock_set_driver(m, "0000:00:00.2", "mlx5_vfio_pci"), 0);
	assert_int_equal(vm_device_find(m, "0000:00:00.2")->cdev_index, 2);
	assert_int_equal(vfioiommu_mock_set_driver(m, "0000:00:00.3", "vfio-pci"), 0);
	assert_int_equal(vm_device_find(m, "0000:00:00.3")->cdev_index, 5);
	assert_int_equal(vfioiommu_mock_set_driver(m, "0000:00:00.6", "vfio-pci"), 0);
	assert_int_equal(vm_device_find(m, "0000:00:00.6")->cdev_index, vfio);

	/* a removal shifts the array: every device is still found, through the door too */
	assert_int_equal(vfioiommu_mock_remove_device(m, "0000:00:00.1"), 0);
	assert_null(vm_device_find(m, "0000:00:00.1"));
	assert_int_equal(m->ndevs, BIG_DEVS - 1);
	for (unsigned int i = 2; i < BIG_DEVS; i += 997) {
		bdf_of(i, bdf, sizeof(bdf));
		assert_non_null(vm_device_find(m, bdf));
	}
	/* 0000:00:00.1 held vfio1: free again */
	assert_int_equal(vfioiommu_mock_set_driver(m, "0000:00:01.2", "vfio-pci"), 0);
	assert_int_equal(vm_device_find(m, "0000:00:01.2")->cdev_index, 1);
	/* keys that differ only in the domain, or only in the bus: all apart, all found */
	assert_int_equal(vfioiommu_mock_add_group(m, 1), 0);
	for (unsigned int i = 1; i <= 300; i++) {
		snprintf(bdf, sizeof(bdf), "%04x:00:00.0", i * 211);
		assert_int_equal(vfioiommu_mock_add_device(m, 1, bdf, "vfio-pci"), 0);
		snprintf(bdf, sizeof(bdf), "ffff:%02x:1f.7", i & 0xff);
		if (i <= 0xff) {
			assert_int_equal(vfioiommu_mock_add_device(m, 1, bdf, "-"), 0);
		}
	}
	for (unsigned int i = 1; i <= 300; i++) {
		snprintf(bdf, sizeof(bdf), "%04x:00:00.0", i * 211);
		assert_non_null(vm_device_find(m, bdf));
		assert_string_equal(vm_device_find(m, bdf)->bdf, bdf);
	}
	/* what is no BDF is never found */
	assert_null(vm_device_find(m, NULL));
	assert_null(vm_device_find(m, "0000:00:00.8"));
	assert_null(vm_device_find(m, "0000:00:00.0/"));
	assert_null(vm_device_find(m, "0000:0A:00.0"));
	door = vfioiommu_mock_door(m);
	bdf_of(BIG_DEVS - 1, bdf, sizeof(bdf));
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/vendor", bdf);
	assert_int_equal(door->sysfs_read(door->priv, path, buf, sizeof(buf)), 7);
	assert_string_equal(buf, "0x8086\n");
	assert_int_equal(door->exists(door->priv, "/dev/vfio/devices/vfio1"), 0);
	vfioiommu_mock_destroy(m);
}

static void shipped_host_files_load(void **state)
{
	static const char *const files[] = { "intel-rmrr", "amd-ht-hole", "arm-smmuv3", "qemu-q35-intel-iommu", "qemu-q35-amd-iommu",
					     "qemu-q35-virtio-iommu" };

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char path[512], err[256];
		vfioiommu_mock *m;

		snprintf(path, sizeof(path), "%s/examples/hosts/%s.host", TH_SRCDIR, files[i]);
		assert_int_equal(vfioiommu_mock_new(&m), 0);
		if (vfioiommu_mock_load_file(m, path, err, sizeof(err)) < 0)
			fail_msg("%s", err);
		assert_true(m->ngroups >= 2);
		vfioiommu_mock_destroy(m);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parses_default_host),
		cmocka_unit_test(attributes_and_features),
		cmocka_unit_test(rejects_malformed),
		cmocka_unit_test(fault_region_attribute),
		cmocka_unit_test(fault_region_malformed),
		cmocka_unit_test(null_and_file),
		cmocka_unit_test(file_embedded_nul),
		cmocka_unit_test(file_without_size),
		cmocka_unit_test(file_too_large),
		cmocka_unit_test(large_host),
		cmocka_unit_test(shipped_host_files_load),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
