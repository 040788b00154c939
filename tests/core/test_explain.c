/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * lib/core/explain.c: the messages for failures whose remedy lies outside
 * the program, checked through the library calls that meet them on the mock:
 * each names what to change (a module parameter, a module to load, a node to
 * pass into a container, who may open a node, RLIMIT_MEMLOCK).
 */
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cmocka.h>

#include <vfioiommu/mock.h>
#include "helpers.h"
#include "core/door.h"
#include "kabi/kabi.h"

#define DEV "0000:00:03.0"

/* Open DEV on a fresh context; the errno it fails with, its message in msg. */
static int open_fails(vfioiommu_mock *m, const vfioiommu_door *door, enum vfioiommu_mode mode, char *msg,
		      size_t n)
{
	struct vfioiommu_ctx_opts o = { .size = sizeof(o), .mode = mode,
					.door = door ? door : vfioiommu_mock_door(m) };
	vfioiommu_device *dev = NULL;
	vfioiommu_ctx *ctx;
	int rc;

	assert_int_equal(vfioiommu_ctx_new(&o, &ctx), 0);
	rc = vfioiommu_device_open(ctx, DEV, &dev);
	snprintf(msg, n, "%s", vfioiommu_strerror(ctx));
	vfioiommu_ctx_destroy(ctx);
	assert_true(rc < 0);
	return rc;
}

/* ---------------- no interrupt remapping (FACTS.md, virtio column) ---------------- */

static void set_iommu_eperm_names_the_type1_parameter(void **state)
{
	vfioiommu_mock *m = th_mock(th_host_default);
	char msg[1024];

	/* what type1 answers a group without MSI isolation */
	vfioiommu_mock_fail_ioctl(m, KABI_VFIO_SET_IOMMU, 1, EPERM);
	assert_int_equal(open_fails(m, NULL, VFIOIOMMU_MODE_CONTAINER, msg, sizeof(msg)), -EPERM);
	th_assert_msg(msg, "VFIO_SET_IOMMU(type1v2) failed: EPERM", "interrupt remapping",
		      "vfio_iommu_type1.allow_unsafe_interrupts=1",
		      "/sys/module/vfio_iommu_type1/parameters/allow_unsafe_interrupts",
		      "vfio_iommu_type1.allow_unsafe_interrupts is N",
		      "iommufd's switch: iommufd.allow_unsafe_interrupts=1", NULL);
	th_mock_done(m);

	/* iommufd's emulation of the container has its own switch */
	m = th_mock("container-compat yes\ngroup 3\n  device " DEV " vfio-pci\n");
	vfioiommu_mock_fail_ioctl(m, KABI_VFIO_SET_IOMMU, 1, EPERM);
	assert_int_equal(open_fails(m, NULL, VFIOIOMMU_MODE_CONTAINER, msg, sizeof(msg)), -EPERM);
	th_assert_msg(msg, "iommufd.allow_unsafe_interrupts=1", NULL);
	assert_null(strstr(msg, "vfio_iommu_type1"));
	th_mock_done(m);

	/* no-IOMMU mode: EPERM is the missing capability */
	m = th_mock("noiommu yes\niommufd no\ngroup 3\n  device " DEV " vfio-pci\n");
	vfioiommu_mock_fail_ioctl(m, KABI_VFIO_SET_IOMMU, 1, EPERM);
	assert_int_equal(open_fails(m, NULL, VFIOIOMMU_MODE_NOIOMMU, msg, sizeof(msg)), -EPERM);
	th_assert_msg(msg, "CAP_SYS_RAWIO", NULL);
	th_mock_done(m);
}

static void bind_eperm_names_the_iommufd_parameter(void **state)
{
	vfioiommu_mock *m = th_mock(th_host_default);
	char msg[1024];

	vfioiommu_mock_fail_ioctl(m, KABI_VFIO_DEVICE_BIND_IOMMUFD, 1, EPERM);
	assert_int_equal(open_fails(m, NULL, VFIOIOMMU_MODE_IOMMUFD, msg, sizeof(msg)), -EPERM);
	th_assert_msg(msg, "VFIO_DEVICE_BIND_IOMMUFD for " DEV " failed: EPERM", "interrupt remapping",
		      "iommufd.allow_unsafe_interrupts=1", "/sys/module/iommufd/parameters/allow_unsafe_interrupts",
		      "another device of IOMMU group 3",
		      "type1's switch: vfio_iommu_type1.allow_unsafe_interrupts=1", NULL);
	th_mock_done(m);
}

/* ---------------- /dev/vfio/vfio and /dev/iommu missing ---------------- */

/* A door in front of the mock whose sysfs lacks one module (as if it were not loaded). */
static struct {
	const vfioiommu_door *inner;
	struct vfioiommu_door door;
	const char *hide;
} nomod;

static int nomod_exists(void *p, const char *path)
{
	if (nomod.hide && !strcmp(path, nomod.hide))
		return -ENOENT;
	return nomod.inner->exists(nomod.inner->priv, path);
}

static const vfioiommu_door *without(vfioiommu_mock *m, const char *sysfs_path)
{
	nomod.inner = vfioiommu_mock_door(m);
	nomod.door = *nomod.inner;
	nomod.door.exists = nomod_exists;
	nomod.hide = sysfs_path;
	return &nomod.door;
}

/* A door in front of the mock that refuses to open one node with an errno, as the kernel would. */
static struct {
	const vfioiommu_door *inner;
	struct vfioiommu_door door;
	const char *path;
	int err;
} refuse;

static int refuse_open(void *p, const char *path, int flags)
{
	if (path && !strcmp(path, refuse.path))
		return -refuse.err;
	return refuse.inner->open(refuse.inner->priv, path, flags);
}

static const vfioiommu_door *refusing(vfioiommu_mock *m, const char *path, int err)
{
	refuse.inner = vfioiommu_mock_door(m);
	refuse.door = *refuse.inner;
	refuse.door.open = refuse_open;
	refuse.path = path;
	refuse.err = err;
	return &refuse.door;
}

static void container_node_missing_says_why(void **state)
{
	vfioiommu_mock *m = th_mock("container no\ngroup 3\n  device " DEV " vfio-pci\n");
	char msg[1024];

	/* vfio loaded, no container misc device: the kernel option */
	assert_int_equal(open_fails(m, NULL, VFIOIOMMU_MODE_CONTAINER, msg, sizeof(msg)), -ENOENT);
	th_assert_msg(msg, "cannot open /dev/vfio/vfio: ENOENT", "CONFIG_VFIO_CONTAINER", "iommufd backend", NULL);
	/* vfio not loaded at all */
	assert_int_equal(open_fails(m, without(m, "/sys/module/vfio"), VFIOIOMMU_MODE_CONTAINER, msg, sizeof(msg)),
			 -ENOENT);
	th_assert_msg(msg, "vfio is not loaded", "modprobe vfio-pci", NULL);
	th_mock_done(m);

	/* the kernel has it, this /dev does not: a container started without the node */
	m = th_mock(th_host_default);
	assert_int_equal(open_fails(m, refusing(m, "/dev/vfio/vfio", ENOENT), VFIOIOMMU_MODE_CONTAINER, msg,
				    sizeof(msg)), -ENOENT);
	th_assert_msg(msg, "/sys/class/misc/vfio exists", "--device /dev/vfio/vfio", "mknod /dev/vfio/vfio", NULL);
	th_mock_done(m);
}

static void iommu_node_missing_says_why(void **state)
{
	vfioiommu_mock *m = th_mock("iommufd no\ngroup 3\n  device " DEV " vfio-pci\n");
	char msg[1024];

	assert_int_equal(open_fails(m, NULL, VFIOIOMMU_MODE_IOMMUFD, msg, sizeof(msg)), -ENOENT);
	th_assert_msg(msg, "cannot open /dev/iommu: ENOENT", "iommufd is not loaded", "modprobe iommufd",
		      "CONFIG_IOMMUFD", "VFIO container backend", NULL);
	th_mock_done(m);

	m = th_mock(th_host_default);
	assert_int_equal(open_fails(m, refusing(m, "/dev/iommu", ENOENT), VFIOIOMMU_MODE_IOMMUFD, msg, sizeof(msg)),
			 -ENOENT);
	th_assert_msg(msg, "--device /dev/iommu", "/sys/class/misc/iommu/dev", NULL);
	th_mock_done(m);
}

/* ---------------- permission denied on a node: owner and mode ---------------- */

static void check_remedy(const char *msg)
{
	/* root is refused only by a security module; anyone else is told how to get in */
	if (geteuid() == 0)
		th_assert_msg(msg, "security module", NULL);
	else
		th_assert_msg(msg, "run as root", NULL);
}

static void denied_node_shows_owner_and_mode(void **state)
{
	vfioiommu_mock *m = th_mock(th_host_default);
	char msg[1024], who[64];

	snprintf(who, sizeof(who), "(uid %u, gid %u)", (unsigned int)geteuid(), (unsigned int)getegid());
	/* the container node (FACTS: 0666) */
	assert_int_equal(open_fails(m, refusing(m, "/dev/vfio/vfio", EACCES), VFIOIOMMU_MODE_CONTAINER, msg,
				    sizeof(msg)), -EACCES);
	th_assert_msg(msg, "cannot open /dev/vfio/vfio: EACCES", "/dev/vfio/vfio is crw-rw-rw- root:", "mode 0666",
		      who, NULL);
	check_remedy(msg);
	/* a group node */
	assert_int_equal(open_fails(m, refusing(m, "/dev/vfio/3", EACCES), VFIOIOMMU_MODE_CONTAINER, msg,
				    sizeof(msg)), -EACCES);
	th_assert_msg(msg, "group 3: cannot open /dev/vfio/3: EACCES", "crw-------", "mode 0600", NULL);
	check_remedy(msg);
	/* /dev/iommu (FACTS: 0660) */
	assert_int_equal(open_fails(m, refusing(m, "/dev/iommu", EACCES), VFIOIOMMU_MODE_IOMMUFD, msg, sizeof(msg)),
			 -EACCES);
	th_assert_msg(msg, "cannot open /dev/iommu: EACCES", "mode 0660", NULL);
	/* EPERM on open is a device cgroup or a security module, not the mode */
	assert_int_equal(open_fails(m, refusing(m, "/dev/iommu", EPERM), VFIOIOMMU_MODE_IOMMUFD, msg, sizeof(msg)),
			 -EPERM);
	th_assert_msg(msg, "cannot open /dev/iommu: EPERM", "mode 0660", "device cgroup", "--device", NULL);
	/* a device's cdev */
	assert_int_equal(open_fails(m, refusing(m, "/dev/vfio/devices/vfio0", EACCES), VFIOIOMMU_MODE_IOMMUFD, msg,
				    sizeof(msg)), -EACCES);
	th_assert_msg(msg, "cannot open /dev/vfio/devices/vfio0 (VFIO cdev of " DEV "): EACCES", "mode 0600", NULL);
	check_remedy(msg);
	th_mock_done(m);
}

/* ---------------- pinning beyond RLIMIT_MEMLOCK ---------------- */

static void map_enomem_names_rlimit_memlock(void **state)
{
	static const struct {
		enum vfioiommu_mode mode;
		unsigned long req;
		int err;
	} cases[] = {
		{ VFIOIOMMU_MODE_CONTAINER, KABI_VFIO_IOMMU_MAP_DMA, ENOMEM },
		{ VFIOIOMMU_MODE_IOMMUFD, KABI_IOMMU_IOAS_MAP, ENOMEM },
		{ VFIOIOMMU_MODE_IOMMUFD, KABI_IOMMU_IOAS_MAP, EPERM },
	};
	struct rlimit r;
	char limit[64];
	void *buf = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	assert_true(buf != MAP_FAILED);
	assert_int_equal(getrlimit(RLIMIT_MEMLOCK, &r), 0);
	if (r.rlim_cur == RLIM_INFINITY)
		snprintf(limit, sizeof(limit), "RLIMIT_MEMLOCK, which is unlimited");
	else if (!(r.rlim_cur & ((1u << 20) - 1)) && r.rlim_cur)
		snprintf(limit, sizeof(limit), "RLIMIT_MEMLOCK, which is %llu MiB", (unsigned long long)r.rlim_cur >> 20);
	else
		snprintf(limit, sizeof(limit), "RLIMIT_MEMLOCK, which is ");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		vfioiommu_mock *m = th_mock(th_host_default);
		vfioiommu_ctx *ctx = th_ctx(m, cases[i].mode);
		vfioiommu_device *dev;
		uint64_t iova = 0;

		assert_int_equal(vfioiommu_device_open(ctx, DEV, &dev), 0);
		/* two mappings first (1 MiB + 256 KiB), so the message has something to count */
		assert_int_equal(vfioiommu_dma_map(ctx, buf, 1 << 20, VFIOIOMMU_DMA_READ, &iova), 0);
		assert_int_equal(vfioiommu_dma_map(ctx, buf, 1 << 18, VFIOIOMMU_DMA_READ, &iova), 0);
		vfioiommu_mock_fail_ioctl(m, cases[i].req, 1, cases[i].err);
		assert_int_equal(vfioiommu_dma_map(ctx, buf, 1 << 20, VFIOIOMMU_DMA_READ, &iova), -cases[i].err);
		th_assert_msg(vfioiommu_strerror(ctx), "the kernel refused to map IOVA", "+0x100000", limit,
			      "1 MiB asked for", "1280 KiB already pinned through this context (2 mappings)",
			      "hard limit", "ulimit -l", "LimitMEMLOCK=", "CAP_IPC_LOCK", NULL);
		if (cases[i].err == ENOMEM)
			th_assert_msg(vfioiommu_strerror(ctx), "short of memory", NULL);
		vfioiommu_ctx_destroy(ctx);
		th_mock_done(m);
	}
	munmap(buf, 1 << 20);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(set_iommu_eperm_names_the_type1_parameter),
		cmocka_unit_test(bind_eperm_names_the_iommufd_parameter),
		cmocka_unit_test(container_node_missing_says_why),
		cmocka_unit_test(iommu_node_missing_says_why),
		cmocka_unit_test(denied_node_shows_owner_and_mode),
		cmocka_unit_test(map_enomem_names_rlimit_memlock),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
