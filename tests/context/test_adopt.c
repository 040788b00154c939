/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * Adopting handed-in fds (lib/context/adopt.c, lib/device/adopt.c, the
 * backends' adopt paths) and KVM's fds (lib/backend/kvm.c) on the mock: the
 * mock's answers to the probe ioctls for every kind of fd against what Linux
 * 7.2 answered (tests/vm/FACTS.md section k), both backends from fds only,
 * every wrong kind refused with the fd left open, the ownership rule, no
 * sysfs read, and the fail-Nth sweep.
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
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include <vfioiommu/adopt.h>
#include <vfioiommu/dma.h>
#include <vfioiommu/mock.h>

#include "core/internal.h"
#include "helpers.h"
#include "kabi/kabi.h"
#include "mock/mock.h"

#define DEV3 "0000:00:03.0"
#define DEV4A "0000:00:04.0"
#define DEV4B "0000:00:04.1"
#define RW (VFIOIOMMU_DMA_READ | VFIOIOMMU_DMA_WRITE)

static int raw_open(vfioiommu_mock *m, const char *path)
{
	const vfioiommu_door *d = vfioiommu_mock_door(m);

	return d->open(d->priv, path, O_RDWR | O_CLOEXEC);
}

static void raw_close(vfioiommu_mock *m, int fd)
{
	const vfioiommu_door *d = vfioiommu_mock_door(m);

	d->close(d->priv, fd);
}

static int raw_ioctl(vfioiommu_mock *m, int fd, unsigned long req, void *arg)
{
	return vfioiommu_door_ioctl(vfioiommu_mock_door(m), fd, req, arg);
}

struct first_name {
	char name[64];
};

static int take_first(void *arg, const char *name)
{
	snprintf(((struct first_name *)arg)->name, sizeof(((struct first_name *)arg)->name), "%s", name);
	return 1;
}

/* /dev/vfio/devices/vfioN of bdf, opened raw (what a launcher hands over); -errno */
static int cdev_open(vfioiommu_mock *m, const char *bdf)
{
	const vfioiommu_door *d = vfioiommu_mock_door(m);
	struct first_name f = { "" };
	char path[128];
	int rc;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/vfio-dev", bdf);
	rc = d->listdir(d->priv, path, take_first, &f);
	if (rc < 0)
		return rc;
	if (!f.name[0])
		return -ENOENT;
	snprintf(path, sizeof(path), "/dev/vfio/devices/%s", f.name);
	return raw_open(m, path);
}

/* Is fd still open?  Mock fds in the mock's table, real fds for the kernel. */
static bool fd_open(vfioiommu_mock *m, int fd)
{
	if (fd >= VFIOIOMMU_MOCK_FD_BASE)
		return vm_fd_get(m, fd) != NULL;
	return fcntl(fd, F_GETFD) >= 0;
}

static vfioiommu_ctx *bare_ctx(vfioiommu_mock *m, const char *sysfs_root)
{
	struct vfioiommu_ctx_opts o = { .size = sizeof(o), .door = vfioiommu_mock_door(m),
					.sysfs_root = sysfs_root };
	vfioiommu_ctx *ctx = NULL;

	assert_int_equal(vfioiommu_ctx_new(&o, &ctx), 0);
	return ctx;
}

/* ------------------------------------------------ the mock answers like Linux (FACTS k) */

enum { P_IOAS_ALLOC, P_API_VERSION, P_GROUP_STATUS, P_DEVICE_INFO, P_BIND, NPROBES };
#define OK 0
#define NA 1 /* not probed on Linux for this kind */

static int probe(vfioiommu_mock *m, int fd, int which, int iommufd)
{
	struct kabi_iommu_ioas_alloc a = { .size = sizeof(a) };
	struct kabi_vfio_group_status gs = { .argsz = sizeof(gs) };
	struct kabi_vfio_device_info di = { .argsz = sizeof(di) };
	struct kabi_vfio_device_bind_iommufd b = { .argsz = KABI_BIND_IOMMUFD_MIN, .iommufd = iommufd };
	int rc;

	switch (which) {
	case P_IOAS_ALLOC: rc = raw_ioctl(m, fd, KABI_IOMMU_IOAS_ALLOC, &a); break;
	case P_API_VERSION: rc = raw_ioctl(m, fd, KABI_VFIO_GET_API_VERSION, NULL); break;
	case P_GROUP_STATUS: rc = raw_ioctl(m, fd, KABI_VFIO_GROUP_GET_STATUS, &gs); break;
	case P_DEVICE_INFO: rc = raw_ioctl(m, fd, KABI_VFIO_DEVICE_GET_INFO, &di); break;
	default: rc = raw_ioctl(m, fd, KABI_VFIO_DEVICE_BIND_IOMMUFD, &b); break;
	}
	return rc > 0 ? 0 : rc;
}

static void expect_row(vfioiommu_mock *m, const char *kind, int fd, int iommufd, const int want[NPROBES])
{
	static const char *const names[] = { "IOMMU_IOAS_ALLOC", "VFIO_GET_API_VERSION", "VFIO_GROUP_GET_STATUS",
					     "VFIO_DEVICE_GET_INFO", "VFIO_DEVICE_BIND_IOMMUFD" };

	for (int p = 0; p < NPROBES; p++) {
		int rc;

		if (want[p] == NA)
			continue;
		rc = probe(m, fd, p, iommufd);
		if (rc != want[p])
			fail_msg("FACTS k: %s on a %s: the mock says %d, Linux said %d", names[p], kind, rc, want[p]);
	}
}

static void kinds_answer_like_linux(void **state)
{
	/* tests/vm/FACTS.md section k, intel column (amd the same) */
	static const int reg[] = { -ENOTTY, -ENOTTY, -ENOTTY, -ENOTTY, -ENOTTY };
	static const int closed[] = { -EBADF, -EBADF, -EBADF, -EBADF, -EBADF };
	static const int iommufd[] = { OK, OK, -ENOTTY, -ENOTTY, -ENOTTY };
	static const int container[] = { -EINVAL, OK, -EINVAL, -EINVAL, -EINVAL };
	static const int group[] = { -ENOTTY, -ENOTTY, OK, -ENOTTY, -ENOTTY };
	static const int gdev[] = { -ENOTTY, -ENOTTY, -ENOTTY, OK, -EINVAL };
	static const int cont_iommu[] = { -ENOTTY, OK, -ENOTTY, -ENOTTY, NA };
	static const int cdev_unbound[] = { -EINVAL, -EINVAL, -EINVAL, -EINVAL, NA };
	static const int cdev_bound[] = { -ENOTTY, -ENOTTY, -ENOTTY, OK, -EINVAL };
	vfioiommu_mock *m = th_mock(th_host_default);
	char tmpl[] = "/tmp/test_adopt.XXXXXX";
	int reg_fd = mkstemp(tmpl), sv[2], ev = eventfd(0, EFD_CLOEXEC);
	int ifd = raw_open(m, "/dev/iommu"), ifd2 = raw_open(m, "/dev/iommu");
	int cfd, gfd, dfd, cd;
	int32_t c;
	struct kabi_vfio_device_bind_iommufd b = { .argsz = KABI_BIND_IOMMUFD_MIN };

	(void)state;
	assert_true(reg_fd >= 0);
	unlink(tmpl);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	assert_true(ev >= 0 && ifd >= 0 && ifd2 >= 0);
	expect_row(m, "regular file", reg_fd, ifd, reg);
	expect_row(m, "socket", sv[0], ifd, reg);
	expect_row(m, "eventfd", ev, ifd, reg);
	expect_row(m, "closed fd", 1000, ifd, closed);
	expect_row(m, "closed mock fd", VFIOIOMMU_MOCK_FD_BASE + 4000, ifd, closed);
	expect_row(m, "iommufd", ifd2, ifd, iommufd);
	cfd = raw_open(m, "/dev/vfio/vfio");
	expect_row(m, "container", cfd, ifd, container);
	{
		/* what tells a fresh container from one with an IOMMU: EINVAL (VFIO's), ENODEV (iommufd's) */
		struct kabi_vfio_iommu_type1_info info = { .argsz = sizeof(info) };

		assert_int_equal(raw_ioctl(m, cfd, KABI_VFIO_IOMMU_GET_INFO, &info), -EINVAL);
		assert_int_equal(raw_ioctl(m, ifd2, KABI_VFIO_IOMMU_GET_INFO, &info), -ENODEV);
	}
	gfd = raw_open(m, "/dev/vfio/3");
	expect_row(m, "group", gfd, ifd, group);
	c = cfd;
	assert_int_equal(raw_ioctl(m, gfd, KABI_VFIO_GROUP_SET_CONTAINER, &c), 0);
	assert_int_equal(raw_ioctl(m, cfd, KABI_VFIO_SET_IOMMU, (void *)(uintptr_t)KABI_VFIO_TYPE1v2_IOMMU), 0);
	dfd = raw_ioctl(m, gfd, KABI_VFIO_GROUP_GET_DEVICE_FD, (void *)DEV3);
	assert_true(dfd >= 0);
	expect_row(m, "group-path device fd", dfd, ifd, gdev);
	expect_row(m, "container with an IOMMU", cfd, ifd, cont_iommu);
	raw_close(m, dfd);
	raw_close(m, gfd);
	raw_close(m, cfd);
	cd = cdev_open(m, DEV3);
	assert_true(cd >= 0);
	expect_row(m, "unbound cdev", cd, ifd, cdev_unbound);
	b.iommufd = ifd;
	assert_int_equal(raw_ioctl(m, cd, KABI_VFIO_DEVICE_BIND_IOMMUFD, &b), 0);
	/* bound to ifd; BIND to the other iommufd (and again to the same) is EINVAL */
	expect_row(m, "cdev bound to another iommufd", cd, ifd2, cdev_bound);
	expect_row(m, "cdev bound to this iommufd", cd, ifd, cdev_bound);
	raw_close(m, cd);
	raw_close(m, ifd);
	raw_close(m, ifd2);
	close(ev);
	close(sv[0]);
	close(sv[1]);
	close(reg_fd);
	th_mock_done(m);
}

/* ------------------------------------------------ both backends from fds only */

static void iommufd_from_fds(void **state)
{
	vfioiommu_mock *m = th_mock(th_host_default);
	vfioiommu_ctx *ctx = bare_ctx(m, NULL);
	struct vfioiommu_adopt_opts a = { .size = sizeof(a), .name = DEV3 };
	struct vfioiommu_verdict v;
	vfioiommu_resv_set *set = NULL;
	vfioiommu_device *dev = NULL, *dev2 = NULL;
	int ifd = raw_open(m, "/dev/iommu"), cd = cdev_open(m, DEV3), cd2 = cdev_open(m, DEV4A);
	uint32_t devid = 0, ioas = 0;
	void *buf = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t iova = 0;
	uint32_t cfg;

	(void)state;
	assert_true(ifd >= 0 && cd >= 0 && cd2 >= 0);
	assert_int_equal(vfioiommu_ctx_adopt(ctx, VFIOIOMMU_FD_IOMMUFD, ifd, NULL), 0);
	assert_int_equal(vfioiommu_ctx_backend(ctx), VFIOIOMMU_BACKEND_IOMMUFD);
	assert_int_equal(vfioiommu_ctx_iommufd_fd(ctx), ifd);
	th_assert_msg(vfioiommu_ctx_backend_reason(ctx), "handed in", NULL);
	assert_int_equal(vfioiommu_device_adopt(ctx, VFIOIOMMU_FD_CDEV, cd, &a, &dev), 0);
	assert_string_equal(vfioiommu_device_name(dev), DEV3);
	assert_int_equal(vfioiommu_device_fd(dev), cd);
	assert_int_equal(vfioiommu_device_kvm_fd(dev), cd);
	assert_int_equal(vfioiommu_device_iommufd_id(dev, &devid), 0);
	assert_true(devid != 0);

	/* a cdev the caller bound itself: BIND by hand, then VFIOIOMMU_FD_CDEV_BOUND with its id */
	{
		struct kabi_vfio_device_bind_iommufd b = { .argsz = KABI_BIND_IOMMUFD_MIN, .iommufd = ifd };

		assert_int_equal(raw_ioctl(m, cd2, KABI_VFIO_DEVICE_BIND_IOMMUFD, &b), 0);
		a.name = NULL;
		a.devid = b.out_devid + 100;
		assert_int_equal(vfioiommu_device_adopt(ctx, VFIOIOMMU_FD_CDEV_BOUND, cd2, &a, &dev2), -ENOENT);
		th_assert_msg(vfioiommu_strerror(ctx), "IOMMU_GET_HW_INFO", "left open", NULL);
		assert_true(fd_open(m, cd2));
		a.devid = b.out_devid;
		assert_int_equal(vfioiommu_device_adopt(ctx, VFIOIOMMU_FD_CDEV_BOUND, cd2, &a, &dev2), 0);
		assert_true(strstr(vfioiommu_device_name(dev2), "fd ") != NULL);
	}

	/* DMA and config space through the adopted objects */
	assert_int_equal(vfioiommu_dma_map(ctx, buf, 8192, RW, &iova), 0);
	assert_int_equal(vfioiommu_pci_config_read(dev, 0, 4, &cfg), 0);
	assert_int_equal(cfg & 0xffff, 0x8086);
	assert_int_equal(vfioiommu_dma_unmap(ctx, iova, 8192), 0);

	/* no sysfs without a root: the calls that need it say so */
	assert_int_equal(vfioiommu_verdict_device(ctx, DEV3, &v), -EOPNOTSUPP);
	th_assert_msg(vfioiommu_strerror(ctx), "handed-in fds", "sysfs_root", NULL);
	assert_int_equal(vfioiommu_resv_read_group(ctx, 3, &set), -EOPNOTSUPP);
	assert_null(set);
	th_assert_msg(vfioiommu_strerror(ctx), "sysfs_root", NULL);
	{
		vfioiommu_device *d3 = NULL;

		assert_int_equal(vfioiommu_device_open(ctx, DEV4B, &d3), -EOPNOTSUPP);
		assert_null(d3);
	}
	assert_int_equal(vfioiommu_ctx_group_fd(ctx, 3), -EOPNOTSUPP);
	assert_int_equal(vfioiommu_ctx_container_fd(ctx), -EOPNOTSUPP);
	th_assert_msg(vfioiommu_strerror(ctx), "vfioiommu_device_kvm_fd", NULL);

	assert_int_equal(vfioiommu_ctx_ioas_id(ctx, &ioas), 0);
	assert_true(ioas != 0);

	/* ownership: on success the library closes what it adopted; the caller closes nothing */
	vfioiommu_device_close(dev);
	assert_false(fd_open(m, cd));
	vfioiommu_ctx_destroy(ctx);
	munmap(buf, 8192);
	th_mock_done(m);
}

static void iommufd_existing_ioas(void **state)
{
	vfioiommu_mock *m = th_mock(th_host_default);
	vfioiommu_ctx *ctx = bare_ctx(m, NULL);
	struct vfioiommu_adopt_opts a = { .size = sizeof(a) };
	struct kabi_iommu_ioas_alloc al = { .size = sizeof(al) };
	int ifd = raw_open(m, "/dev/iommu");
	uint32_t id = 0;

	(void)state;
	assert_int_equal(raw_ioctl(m, ifd, KABI_IOMMU_IOAS_ALLOC, &al), 0);
	a.ioas_id = al.out_ioas_id + 7;
	assert_int_equal(vfioiommu_ctx_adopt(ctx, VFIOIOMMU_FD_IOMMUFD, ifd, &a), -ENOENT);
	th_assert_msg(vfioiommu_strerror(ctx), "no IOAS", NULL);
	assert_int_equal(vfioiommu_ctx_backend(ctx), VFIOIOMMU_BACKEND_NONE);
	assert_true(fd_open(m, ifd));
	a.ioas_id = al.out_ioas_id;
	assert_int_equal(vfioiommu_ctx_adopt(ctx, VFIOIOMMU_FD_IOMMUFD, ifd, &a), 0);
	assert_int_equal(vfioiommu_ctx_ioas_id(ctx, &id), 0);
	assert_int_equal(id, al.out_ioas_id);
	vfioiommu_ctx_destroy(ctx);
	assert_false(fd_open(m, ifd));
	th_mock_done(m);
}

static void container_from_fds(void **state)
{
	vfioiommu_mock *m = th_mock(th_host_default);
	vfioiommu_ctx *ctx = bare_ctx(m, NULL);
	struct vfioiommu_adopt_opts a = { .size = sizeof(a), .group = 3, .name = DEV3 };
	vfioiommu_device *dev = NULL, *dev2 = NULL;
	int cfd = raw_open(m, "/dev/vfio/vfio"), g3 = raw_open(m, "/dev/vfio/3"), g4 = raw_open(m, "/dev/vfio/4");
	int dfd;
	void *buf = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t iova = 0;
	uint32_t cfg;

	(void)state;
	assert_true(cfd >= 0 && g3 >= 0 && g4 >= 0);
	assert_int_equal(vfioiommu_ctx_container_fd(ctx), -ENODEV);
	assert_int_equal(vfioiommu_ctx_adopt(ctx, VFIOIOMMU_FD_GROUP, g3, &a), -ENODEV);
	assert_int_equal(vfioiommu_ctx_adopt(ctx, VFIOIOMMU_FD_CONTAINER, cfd, NULL), 0);
	assert_int_equal(vfioiommu_ctx_container_fd(ctx), cfd);
	/* a group fd, and the device taken from it by name */
	assert_int_equal(vfioiommu_device_adopt(ctx, VFIOIOMMU_FD_GROUP, g3, &a, &dev), 0);
	assert_int_equal(vfioiommu_ctx_backend(ctx), VFIOIOMMU_BACKEND_TYPE1V2);
	assert_int_equal(vfioiommu_ctx_group_fd(ctx, 3), g3);
	assert_int_equal(vfioiommu_device_kvm_fd(dev), g3);
	assert_int_equal(vfioiommu_device_group(dev), 3);
	/* the same group again by fd: refused, nothing changes */
	assert_int_equal(vfioiommu_ctx_adopt(ctx, VFIOIOMMU_FD_GROUP, g3, &a), -EBUSY);
	/* group 4 by ctx_adopt; then a device fd the caller got from it itself */
	a.group = 4;
	assert_int_equal(vfioiommu_ctx_adopt(ctx, VFIOIOMMU_FD_GROUP, g4, &a), 0);
	dfd = raw_ioctl(m, g4, KABI_VFIO_GROUP_GET_DEVICE_FD, (void *)DEV4B);
	assert_true(dfd >= 0);
	a.name = DEV4B;
	assert_int_equal(vfioiommu_device_adopt(ctx, VFIOIOMMU_FD_DEVICE, dfd, &a, &dev2), 0);
	assert_int_equal(vfioiommu_device_fd(dev2), dfd);
	assert_int_equal(vfioiommu_device_kvm_fd(dev2), g4);

	assert_int_equal(vfioiommu_dma_map(ctx, buf, 8192, RW, &iova), 0);
	assert_int_equal(vfioiommu_pci_config_read(dev, 0, 4, &cfg), 0);
	assert_int_equal(cfg & 0xffff, 0x8086);
	assert_int_equal(vfioiommu_dma_unmap(ctx, iova, 8192), 0);

	/* ownership: closing the device closes its fd; the groups go with the context */
	vfioiommu_device_close(dev2);
	assert_false(fd_open(m, dfd));
	assert_true(fd_open(m, g4));
	vfioiommu_ctx_destroy(ctx);
	munmap(buf, 8192);
	th_mock_done(m);
}

/* With a sysfs root the caller allows sysfs again: the verdict works on an adopted context. */
static void sysfs_root_given(void **state)
{
	vfioiommu_mock *m = th_mock(th_host_default);
	vfioiommu_ctx *ctx = bare_ctx(m, "/sys");
	struct vfioiommu_verdict v;
	int ifd = raw_open(m, "/dev/iommu");

	(void)state;
	assert_int_equal(vfioiommu_ctx_adopt(ctx, VFIOIOMMU_FD_IOMMUFD, ifd, NULL), 0);
	assert_int_equal(vfioiommu_verdict_device(ctx, DEV3, &v), 0);
	vfioiommu_ctx_destroy(ctx);
	th_mock_done(m);
}

/* ------------------------------------------------ wrong kinds */

struct wrong {
	vfioiommu_mock *m;
	int reg, sv[2], ev, ifd, ifd_other, cfd, gfd, cdev_other;
};

static void wrong_open(struct wrong *w)
{
	char tmpl[] = "/tmp/test_adopt.XXXXXX";
	struct kabi_vfio_device_bind_iommufd b = { .argsz = KABI_BIND_IOMMUFD_MIN };

	w->m = th_mock(th_host_default);
	w->reg = mkstemp(tmpl);
	unlink(tmpl);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, w->sv), 0);
	w->ev = eventfd(0, EFD_CLOEXEC);
	w->ifd = raw_open(w->m, "/dev/iommu");
	w->ifd_other = raw_open(w->m, "/dev/iommu");
	w->cfd = raw_open(w->m, "/dev/vfio/vfio");
	w->gfd = raw_open(w->m, "/dev/vfio/7");
	w->cdev_other = cdev_open(w->m, DEV3);
	b.iommufd = w->ifd_other;
	assert_int_equal(raw_ioctl(w->m, w->cdev_other, KABI_VFIO_DEVICE_BIND_IOMMUFD, &b), 0);
}

static void wrong_close(struct wrong *w)
{
	/* every fd is still open: the library closed none of them */
	int mine[] = { w->ifd, w->ifd_other, w->cfd, w->gfd, w->cdev_other };

	for (size_t i = 0; i < sizeof(mine) / sizeof(mine[0]); i++) {
		if (!fd_open(w->m, mine[i]))
			fail_msg("fd %zu (%d) of the caller was closed", i, mine[i]);
		raw_close(w->m, mine[i]);
	}
	assert_true(fd_open(w->m, w->reg) && fd_open(w->m, w->ev) && fd_open(w->m, w->sv[0]));
	close(w->reg);
	close(w->ev);
	close(w->sv[0]);
	close(w->sv[1]);
	th_mock_done(w->m);
}

static void refused(vfioiommu_ctx *ctx, int rc, int want, const char *word)
{
	if (rc != want)
		fail_msg("got %d, want %d: %s", rc, want, vfioiommu_strerror(ctx));
	th_assert_msg(vfioiommu_strerror(ctx), word, NULL);
}

static void wrong_kinds_for_a_context(void **state)
{
	struct wrong w;
	vfioiommu_ctx *ctx;
	unsigned int fds;

	(void)state;
	wrong_open(&w);
	fds = vfioiommu_mock_open_fds(w.m);
	ctx = bare_ctx(w.m, NULL);
	refused(ctx, vfioiommu_ctx_adopt(ctx, VFIOIOMMU_FD_IOMMUFD, w.reg, NULL), -ENOTTY, "regular file");
	refused(ctx, vfioiommu_ctx_adopt(ctx, VFIOIOMMU_FD_IOMMUFD, w.sv[0], NULL), -ENOTTY, "socket");
	refused(ctx, vfioiommu_ctx_adopt(ctx, VFIOIOMMU_FD_IOMMUFD, w.ev, NULL), -ENOTTY, "eventfd");
	refused(ctx, vfioiommu_ctx_adopt(ctx, VFIOIOMMU_FD_IOMMUFD, 1000, NULL), -EBADF, "not open");
	refused(ctx, vfioiommu_ctx_adopt(ctx, VFIOIOMMU_FD_IOMMUFD, w.gfd, NULL), -ENOTTY, "IOMMU_IOAS_ALLOC");
	refused(ctx, vfioiommu_ctx_adopt(ctx, VFIOIOMMU_FD_IOMMUFD, w.cfd, NULL), -EINVAL, "container");
	refused(ctx, vfioiommu_ctx_adopt(ctx, VFIOIOMMU_FD_CONTAINER, w.reg, NULL), -ENOTTY,
		"VFIO_GET_API_VERSION");
	refused(ctx, vfioiommu_ctx_adopt(ctx, VFIOIOMMU_FD_CONTAINER, w.gfd, NULL), -ENOTTY, "left open");
	refused(ctx, vfioiommu_ctx_adopt(ctx, VFIOIOMMU_FD_CONTAINER, w.cdev_other, NULL), -ENOTTY, "left open");
	refused(ctx, vfioiommu_ctx_adopt(ctx, VFIOIOMMU_FD_CONTAINER, 1000, NULL), -EBADF, "EBADF");
	assert_int_equal(vfioiommu_ctx_backend(ctx), VFIOIOMMU_BACKEND_NONE);
	/* nothing adopted: sysfs is still allowed */
	assert_false(ctx->no_sysfs);
	/* a group where a container is wanted, then the real container, then wrong group fds */
	assert_int_equal(vfioiommu_ctx_adopt(ctx, VFIOIOMMU_FD_CONTAINER, w.cfd, NULL), 0);
	{
		struct vfioiommu_adopt_opts a = { .size = sizeof(a), .group = 7 };

		refused(ctx, vfioiommu_ctx_adopt(ctx, VFIOIOMMU_FD_GROUP, w.ev, &a), -ENOTTY, "VFIO_GROUP_GET_STATUS");
		refused(ctx, vfioiommu_ctx_adopt(ctx, VFIOIOMMU_FD_GROUP, w.ifd, &a), -ENOTTY, "a VFIO group");
		refused(ctx, vfioiommu_ctx_adopt(ctx, VFIOIOMMU_FD_GROUP, w.cfd, &a), -EINVAL, "VFIO fd of another");
	}
	/* the adopted container is the library's now: take it back by destroying the context */
	vfioiommu_ctx_destroy(ctx);
	assert_false(fd_open(w.m, w.cfd));
	assert_int_equal(vfioiommu_mock_open_fds(w.m), fds - 1);
	w.cfd = raw_open(w.m, "/dev/vfio/vfio");
	assert_true(w.cfd >= 0);

	/* a container that already has an IOMMU (a group attached) */
	{
		/* group 4: group 3's device is bound through its cdev, which keeps the group node closed */
		int g3 = raw_open(w.m, "/dev/vfio/4");
		int32_t c = w.cfd;

		assert_int_equal(raw_ioctl(w.m, g3, KABI_VFIO_GROUP_SET_CONTAINER, &c), 0);
		assert_int_equal(raw_ioctl(w.m, w.cfd, KABI_VFIO_SET_IOMMU,
					   (void *)(uintptr_t)KABI_VFIO_TYPE1v2_IOMMU), 0);
		ctx = bare_ctx(w.m, NULL);
		refused(ctx, vfioiommu_ctx_adopt(ctx, VFIOIOMMU_FD_CONTAINER, w.cfd, NULL), -EBUSY, "no group attached");
		vfioiommu_ctx_destroy(ctx);
		raw_close(w.m, g3);
	}
	wrong_close(&w);
}

static void wrong_kinds_for_a_device(void **state)
{
	struct vfioiommu_adopt_opts a = { .size = sizeof(a), .name = DEV4A };
	vfioiommu_device *dev = (vfioiommu_device *)&a;
	struct wrong w;
	vfioiommu_ctx *ctx;
	int cd;

	(void)state;
	wrong_open(&w);
	ctx = bare_ctx(w.m, NULL);
	assert_int_equal(vfioiommu_ctx_adopt(ctx, VFIOIOMMU_FD_IOMMUFD, w.ifd, NULL), 0);
	refused(ctx, vfioiommu_device_adopt(ctx, VFIOIOMMU_FD_CDEV, w.reg, &a, &dev), -ENOTTY, "regular file");
	assert_null(dev);
	refused(ctx, vfioiommu_device_adopt(ctx, VFIOIOMMU_FD_CDEV, w.sv[0], &a, &dev), -ENOTTY, "socket");
	refused(ctx, vfioiommu_device_adopt(ctx, VFIOIOMMU_FD_CDEV, w.ev, &a, &dev), -ENOTTY, "eventfd");
	refused(ctx, vfioiommu_device_adopt(ctx, VFIOIOMMU_FD_CDEV, 1000, &a, &dev), -EBADF, "not open");
	/* a group fd where a cdev is expected */
	refused(ctx, vfioiommu_device_adopt(ctx, VFIOIOMMU_FD_CDEV, w.gfd, &a, &dev), -ENOTTY,
		"VFIO_DEVICE_BIND_IOMMUFD");
	/* a cdev bound to another iommufd */
	refused(ctx, vfioiommu_device_adopt(ctx, VFIOIOMMU_FD_CDEV, w.cdev_other, &a, &dev), -EINVAL,
		"already bound");
	/* ...and passed as bound to this one: its id is not a device of this iommufd */
	a.devid = 1;
	refused(ctx, vfioiommu_device_adopt(ctx, VFIOIOMMU_FD_CDEV_BOUND, w.cdev_other, &a, &dev), -ENOENT,
		"this context's iommufd");
	/* an unbound cdev passed as bound */
	cd = cdev_open(w.m, DEV4A);
	refused(ctx, vfioiommu_device_adopt(ctx, VFIOIOMMU_FD_CDEV_BOUND, cd, &a, &dev), -EINVAL, "not bound");
	a.devid = 0;
	/* the right one works, and then belongs to the library */
	assert_int_equal(vfioiommu_device_adopt(ctx, VFIOIOMMU_FD_CDEV, cd, &a, &dev), 0);
	refused(ctx, vfioiommu_device_adopt(ctx, VFIOIOMMU_FD_CDEV, cd, &a, &dev), -EBUSY, "already");
	assert_null(dev);
	vfioiommu_ctx_destroy(ctx);
	assert_false(fd_open(w.m, cd));
	assert_false(fd_open(w.m, w.ifd));
	w.ifd = raw_open(w.m, "/dev/iommu");

	/* on a container context: a cdev is refused, and wrong device fds too */
	ctx = bare_ctx(w.m, NULL);
	assert_int_equal(vfioiommu_ctx_adopt(ctx, VFIOIOMMU_FD_CONTAINER, w.cfd, NULL), 0);
	a.group = 7;
	refused(ctx, vfioiommu_device_adopt(ctx, VFIOIOMMU_FD_DEVICE, w.gfd, &a, &dev), -ENOENT, "not in this context");
	refused(ctx, vfioiommu_device_adopt(ctx, VFIOIOMMU_FD_CDEV, w.cdev_other, &a, &dev), -EOPNOTSUPP, "cdev");
	assert_int_equal(vfioiommu_ctx_adopt(ctx, VFIOIOMMU_FD_GROUP, w.gfd, &a), 0);
	refused(ctx, vfioiommu_device_adopt(ctx, VFIOIOMMU_FD_DEVICE, w.ev, &a, &dev), -ENOTTY, "VFIO_DEVICE_GET_INFO");
	refused(ctx, vfioiommu_device_adopt(ctx, VFIOIOMMU_FD_DEVICE, w.ifd_other, &a, &dev), -ENOTTY,
		"a VFIO device fd");
	/* a group fd naming a device the group does not have: the group fd stays */
	a.name = "0000:00:09.0";
	refused(ctx, vfioiommu_device_adopt(ctx, VFIOIOMMU_FD_GROUP, -1, &a, &dev), -ENODEV,
		"VFIO_GROUP_GET_DEVICE_FD");
	assert_true(fd_open(w.m, w.gfd));
	vfioiommu_ctx_destroy(ctx);
	w.cfd = raw_open(w.m, "/dev/vfio/vfio");
	w.gfd = raw_open(w.m, "/dev/vfio/7");
	/* a group adopted by device_adopt whose device cannot be had is given back, detached and open */
	ctx = bare_ctx(w.m, NULL);
	assert_int_equal(vfioiommu_ctx_adopt(ctx, VFIOIOMMU_FD_CONTAINER, w.cfd, NULL), 0);
	refused(ctx, vfioiommu_device_adopt(ctx, VFIOIOMMU_FD_GROUP, w.gfd, &a, &dev), -ENODEV, "group 7");
	assert_int_equal(vfioiommu_ctx_group_fd(ctx, 7), -ENOENT);
	{
		struct kabi_vfio_group_status st = { .argsz = sizeof(st) };

		assert_int_equal(raw_ioctl(w.m, w.gfd, KABI_VFIO_GROUP_GET_STATUS, &st), 0);
		assert_false(st.flags & KABI_VFIO_GROUP_FLAGS_CONTAINER_SET);
	}
	vfioiommu_ctx_destroy(ctx);
	w.cfd = raw_open(w.m, "/dev/vfio/vfio");
	wrong_close(&w);
}

/* ------------------------------------------------ fail-Nth */

struct sweep_arg {
	bool iommufd;
};

static vfioiommu_mock *sweep_setup(void *arg)
{
	(void)arg;
	return th_mock(th_host_default);
}

static int sweep_body(vfioiommu_mock *m, void *arg)
{
	struct sweep_arg *s = arg;
	struct vfioiommu_ctx_opts o = { .size = sizeof(o), .door = vfioiommu_mock_door(m) };
	struct vfioiommu_adopt_opts a = { .size = sizeof(a), .group = 4, .name = DEV4A };
	vfioiommu_ctx *ctx = NULL;
	vfioiommu_device *dev = NULL;
	static char buf[8192] __attribute__((aligned(4096)));
	uint64_t iova;
	int top, fd, rc;
	bool fired;

	top = raw_open(m, s->iommufd ? "/dev/iommu" : "/dev/vfio/vfio");
	if (top < 0)
		return top;
	fd = s->iommufd ? cdev_open(m, DEV4A) : raw_open(m, "/dev/vfio/4");
	if (fd < 0) {
		raw_close(m, top);
		return fd;
	}
	rc = vfioiommu_ctx_new(&o, &ctx);
	if (rc == 0)
		rc = vfioiommu_ctx_adopt(ctx, s->iommufd ? VFIOIOMMU_FD_IOMMUFD : VFIOIOMMU_FD_CONTAINER, top, NULL);
	if (rc < 0) {
		/* refused: both fds are still the caller's */
		vfioiommu_ctx_destroy(ctx);
		raw_close(m, top);
		raw_close(m, fd);
		return rc;
	}
	rc = vfioiommu_device_adopt(ctx, s->iommufd ? VFIOIOMMU_FD_CDEV : VFIOIOMMU_FD_GROUP, fd, &a, &dev);
	if (rc < 0)
		raw_close(m, fd);
	if (rc == 0)
		rc = vfioiommu_dma_map(ctx, buf, sizeof(buf), RW, &iova);
	if (rc == 0)
		rc = vfioiommu_dma_unmap(ctx, iova, sizeof(buf));
	fired = vfioiommu_mock_fault_fired(m);
	vfioiommu_ctx_destroy(ctx);
	/* teardown steps return nothing; th_sweep still checks no fd is left */
	if (rc == 0 && !fired && vfioiommu_mock_fault_fired(m))
		rc = -EIO;
	return rc;
}

static void fail_nth_iommufd(void **state)
{
	struct sweep_arg a = { true };

	(void)state;
	assert_true(th_sweep(sweep_setup, sweep_body, &a, 400) >= 8);
}

static void fail_nth_container(void **state)
{
	struct sweep_arg a = { false };

	(void)state;
	assert_true(th_sweep(sweep_setup, sweep_body, &a, 400) >= 10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(kinds_answer_like_linux),
		cmocka_unit_test(iommufd_from_fds),
		cmocka_unit_test(iommufd_existing_ioas),
		cmocka_unit_test(container_from_fds),
		cmocka_unit_test(sysfs_root_given),
		cmocka_unit_test(wrong_kinds_for_a_context),
		cmocka_unit_test(wrong_kinds_for_a_device),
		cmocka_unit_test(fail_nth_iommufd),
		cmocka_unit_test(fail_nth_container),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
