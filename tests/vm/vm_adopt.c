/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * Guest program: adopting fds (include/vfioiommu/adopt.h) on the real kernel.
 *
 * Part 1 ("FACT adopt.*" lines, recorded in tests/vm/FACTS.md section k):
 * what Linux answers when each probe the library uses to recognise an fd
 * (IOMMU_IOAS_ALLOC, VFIO_GET_API_VERSION, VFIO_GROUP_GET_STATUS,
 * VFIO_DEVICE_GET_INFO, VFIO_DEVICE_BIND_IOMMUFD) meets an fd of every kind:
 * a regular file, a socket, an eventfd, a closed fd, /dev/iommu,
 * /dev/vfio/vfio, a group, a group-path device fd, an unbound cdev and a cdev
 * bound to another iommufd.  The mock's answers are checked against these
 * rows by tests/context/test_adopt.c.
 *
 * Part 2 ("ok - adopt.*"): the library adopting fds this program opened
 * itself, on both backends, with DMA mapped and a BAR read through the
 * adopted objects, every wrong kind refused, and the ownership rule of the
 * header (the library closes what it adopted, never what it refused).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <vfioiommu.h>

#include "vmtest.h"

/* Every probe on one fd; the BIND probe last (it may bind an unbound cdev). */
static void probe(const char *kind, int fd, int iommufd, int do_bind)
{
	struct kabi_iommu_ioas_alloc a = { .size = sizeof(a) };
	struct kabi_vfio_group_status gs = { .argsz = sizeof(gs) };
	struct kabi_vfio_device_info di = { .argsz = sizeof(di) };
	struct kabi_vfio_device_bind_iommufd b = { .argsz = KABI_BIND_IOMMUFD_MIN, .iommufd = iommufd };
	struct stat st;
	int rc;

	rc = fstat(fd, &st) < 0 ? -errno : 0;
	if (rc == 0)
		printf("FACT adopt.%s.fstat=%s rdev=%u:%u\n", kind,
		       S_ISCHR(st.st_mode) ? "chr" : S_ISREG(st.st_mode) ? "reg" : S_ISSOCK(st.st_mode) ? "sock" :
		       (st.st_mode & S_IFMT) == 0 ? "none" : "other", major(st.st_rdev), minor(st.st_rdev));
	else
		printf("FACT adopt.%s.fstat=%s\n", kind, vt_errname(rc));
	printf("FACT adopt.%s.IOMMU_IOAS_ALLOC=%s\n", kind, vt_errname(vt_ioctl_val(fd, KABI_IOMMU_IOAS_ALLOC, &a)));
	printf("FACT adopt.%s.VFIO_GET_API_VERSION=%s\n", kind, vt_errname(vt_ioctl_val(fd, KABI_VFIO_GET_API_VERSION, NULL)));
	printf("FACT adopt.%s.VFIO_GROUP_GET_STATUS=%s\n", kind, vt_errname(vt_ioctl_val(fd, KABI_VFIO_GROUP_GET_STATUS, &gs)));
	printf("FACT adopt.%s.VFIO_DEVICE_GET_INFO=%s\n", kind, vt_errname(vt_ioctl_val(fd, KABI_VFIO_DEVICE_GET_INFO, &di)));
	if (do_bind)
		printf("FACT adopt.%s.VFIO_DEVICE_BIND_IOMMUFD=%s\n", kind,
		       vt_errname(vt_ioctl_val(fd, KABI_VFIO_DEVICE_BIND_IOMMUFD, &b)));
}

static void facts(const char *bdf)
{
	char tmpl[] = "/tmp/adoptXXXXXX";
	int grp = vt_group_of(bdf), reg, sv[2], ev, ifd, ifd2, cfd, gfd, dfd, cd, cd2;
	char gpath[64];

	reg = mkstemp(tmpl);
	unlink(tmpl);
	socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv);
	ev = eventfd(0, EFD_CLOEXEC);
	ifd = open("/dev/iommu", O_RDWR | O_CLOEXEC);
	ifd2 = open("/dev/iommu", O_RDWR | O_CLOEXEC);
	probe("regular_file", reg, ifd, 1);
	probe("socket", sv[0], ifd, 1);
	probe("eventfd", ev, ifd, 1);
	probe("closed_fd", 1000, ifd, 1);
	probe("iommufd", ifd2, ifd, 1);
	{
		struct kabi_vfio_iommu_type1_info info = { .argsz = sizeof(info) };
		int f = open("/dev/iommu", O_RDWR | O_CLOEXEC);

		printf("FACT adopt.iommufd.VFIO_IOMMU_GET_INFO=%s\n", vt_errname(vt_ioctl_val(f, KABI_VFIO_IOMMU_GET_INFO, &info)));
		close(f);
	}
	cfd = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	probe("container", cfd, ifd, 1);
	{
		struct kabi_vfio_iommu_type1_info info = { .argsz = sizeof(info) };

		printf("FACT adopt.container.VFIO_IOMMU_GET_INFO=%s\n", vt_errname(vt_ioctl_val(cfd, KABI_VFIO_IOMMU_GET_INFO, &info)));
	}
	snprintf(gpath, sizeof(gpath), "/dev/vfio/%d", grp);
	gfd = open(gpath, O_RDWR | O_CLOEXEC);
	probe("group", gfd, ifd, 1);
	{
		int32_t c = cfd;
		uint32_t type = 3; /* VFIO_TYPE1v2_IOMMU */

		printf("FACT adopt.group.SET_CONTAINER=%s\n", vt_errname(vt_ioctl_val(gfd, KABI_VFIO_GROUP_SET_CONTAINER, &c)));
		printf("FACT adopt.container.SET_IOMMU=%s\n",
		       vt_errname(vt_ioctl_val(cfd, KABI_VFIO_SET_IOMMU, (void *)(uintptr_t)type)));
		dfd = vt_ioctl_val(gfd, KABI_VFIO_GROUP_GET_DEVICE_FD, (void *)bdf);
		if (dfd >= 0) {
			probe("group_device", dfd, ifd, 1);
			printf("FACT adopt.cdev_while_group_device_open=%s\n", vt_errname(cd = vt_cdev_open(bdf)));
			if (cd >= 0)
				close(cd);
			close(dfd);
		} else {
			printf("FACT adopt.group_device=GET_DEVICE_FD %s\n", vt_errname(dfd));
		}
		probe("container_with_iommu", cfd, ifd, 0);
	}
	close(gfd);
	close(cfd);
	cd = vt_cdev_open(bdf);
	probe("cdev_unbound", cd, ifd, 0);
	{
		struct kabi_vfio_device_bind_iommufd b = { .argsz = KABI_BIND_IOMMUFD_MIN, .iommufd = ifd };
		struct kabi_vfio_device_attach_iommufd_pt at = { .argsz = KABI_ATTACH_PT_MIN };
		struct kabi_iommu_ioas_alloc a = { .size = sizeof(a) };

		printf("FACT adopt.cdev_unbound.BIND=%s\n", vt_errname(vt_ioctl_val(cd, KABI_VFIO_DEVICE_BIND_IOMMUFD, &b)));
		b.iommufd = ifd2;
		probe("cdev_bound", cd, ifd2, 1);
		b.iommufd = ifd;
		printf("FACT adopt.cdev_bound.BIND_same_iommufd=%s\n",
		       vt_errname(vt_ioctl_val(cd, KABI_VFIO_DEVICE_BIND_IOMMUFD, &b)));
		vt_ioctl_val(ifd, KABI_IOMMU_IOAS_ALLOC, &a);
		at.pt_id = a.out_ioas_id;
		printf("FACT adopt.cdev_bound.ATTACH=%s\n", vt_errname(vt_ioctl_val(cd, KABI_VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at)));
		at.pt_id = a.out_ioas_id;
		printf("FACT adopt.cdev_bound.ATTACH_again_same_ioas=%s\n",
		       vt_errname(vt_ioctl_val(cd, KABI_VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at)));
		cd2 = vt_cdev_open(bdf);
		printf("FACT adopt.cdev_second_open_while_bound=%s\n", vt_errname(cd2));
		if (cd2 >= 0) {
			b.iommufd = ifd2;
			printf("FACT adopt.cdev_second_open.BIND_other_iommufd=%s\n",
			       vt_errname(vt_ioctl_val(cd2, KABI_VFIO_DEVICE_BIND_IOMMUFD, &b)));
			close(cd2);
		}
	}
	close(cd);
	close(ifd);
	close(ifd2);
	close(ev);
	close(sv[0]);
	close(sv[1]);
	close(reg);
}

/* ---------------------------------------------------------------- the library on handed-in fds */

static bool is_open(int fd)
{
	return fcntl(fd, F_GETFD) >= 0;
}

static vfioiommu_ctx *bare(void)
{
	struct vfioiommu_ctx_opts o = { .size = sizeof(o) };
	vfioiommu_ctx *ctx = NULL;

	return vfioiommu_ctx_new(&o, &ctx) == 0 ? ctx : NULL;
}

/* DMA, config space and a BAR0 read on an adopted device */
static void use(vfioiommu_ctx *ctx, vfioiommu_device *dev, const char *tag)
{
	char name[96];
	void *buf = mmap(NULL, 1 << 16, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	uint64_t iova = 0;
	uint32_t v = 0, st = 0;
	int rc;

	rc = vfioiommu_dma_map(ctx, buf, 1 << 16, VFIOIOMMU_DMA_READ | VFIOIOMMU_DMA_WRITE, &iova);
	if (rc == 0)
		rc = vfioiommu_dma_unmap(ctx, iova, 1 << 16);
	snprintf(name, sizeof(name), "adopt.%s.dma_map", tag);
	vt_result(rc == 0, name, "rc %d: %s", rc, vfioiommu_strerror(ctx));
	rc = vfioiommu_pci_config_read(dev, 0, 4, &v);
	snprintf(name, sizeof(name), "adopt.%s.config_read", tag);
	vt_result(rc == 0 && (v & 0xffff) == 0x8086, name, "rc %d id 0x%x: %s", rc, v, vfioiommu_strerror(ctx));
	rc = vfioiommu_region_read(dev, 0, 8, &st, 4);
	snprintf(name, sizeof(name), "adopt.%s.bar0_read", tag);
	vt_result(rc == 0, name, "rc %d: %s", rc, vfioiommu_strerror(ctx));
	munmap(buf, 1 << 16);
}

static void lib_iommufd(const char *bdf)
{
	unsigned int fds0 = vt_open_fds();
	vfioiommu_ctx *ctx = bare();
	struct vfioiommu_adopt_opts a = { .size = sizeof(a), .name = bdf };
	struct vfioiommu_verdict v;
	vfioiommu_device *dev = NULL;
	int ifd = open("/dev/iommu", O_RDWR | O_CLOEXEC), cd = vt_cdev_open(bdf), rc;

	rc = vfioiommu_ctx_adopt(ctx, VFIOIOMMU_FD_IOMMUFD, ifd, NULL);
	vt_result(rc == 0, "adopt.iommufd.ctx", "rc %d: %s", rc, vfioiommu_strerror(ctx));
	rc = vfioiommu_device_adopt(ctx, VFIOIOMMU_FD_CDEV, cd, &a, &dev);
	vt_result(rc == 0 && vfioiommu_device_kvm_fd(dev) == cd, "adopt.iommufd.cdev", "rc %d: %s", rc,
		  vfioiommu_strerror(ctx));
	if (rc == 0)
		use(ctx, dev, "iommufd");
	rc = vfioiommu_verdict_device(ctx, bdf, &v);
	vt_result(rc == -EOPNOTSUPP && strstr(vfioiommu_strerror(ctx), "sysfs_root"), "adopt.iommufd.no_sysfs",
		  "rc %d: %s", rc, vfioiommu_strerror(ctx));
	vfioiommu_ctx_destroy(ctx);
	vt_result(!is_open(ifd) && !is_open(cd) && vt_open_fds() == fds0, "adopt.iommufd.owned_fds_closed",
		  "iommufd %s, cdev %s, fds %u -> %u", is_open(ifd) ? "open" : "closed", is_open(cd) ? "open" : "closed",
		  fds0, vt_open_fds());

	/* a cdev bound by the caller, then adopted with its device id */
	ctx = bare();
	ifd = open("/dev/iommu", O_RDWR | O_CLOEXEC);
	cd = vt_cdev_open(bdf);
	{
		struct kabi_vfio_device_bind_iommufd b = { .argsz = KABI_BIND_IOMMUFD_MIN, .iommufd = ifd };

		vfioiommu_ctx_adopt(ctx, VFIOIOMMU_FD_IOMMUFD, ifd, NULL);
		rc = vt_ioctl_val(cd, KABI_VFIO_DEVICE_BIND_IOMMUFD, &b);
		a.devid = b.out_devid;
		if (rc == 0)
			rc = vfioiommu_device_adopt(ctx, VFIOIOMMU_FD_CDEV_BOUND, cd, &a, &dev);
		vt_result(rc == 0, "adopt.iommufd.bound_cdev", "rc %d: %s", rc, vfioiommu_strerror(ctx));
		if (rc == 0)
			use(ctx, dev, "bound_cdev");
		a.devid = 0;
	}
	vfioiommu_ctx_destroy(ctx);
	vt_result(vt_open_fds() == fds0, "adopt.iommufd.bound_cdev_no_leak", "fds %u -> %u", fds0, vt_open_fds());
}

static void lib_wrong(const char *bdf)
{
	unsigned int fds0 = vt_open_fds();
	char tmpl[] = "/tmp/adoptXXXXXX";
	int reg = mkstemp(tmpl), sv[2], ev = eventfd(0, EFD_CLOEXEC), rc;
	int ifd = open("/dev/iommu", O_RDWR | O_CLOEXEC), other = open("/dev/iommu", O_RDWR | O_CLOEXEC);
	int gfd, cd = vt_cdev_open(bdf);
	char gpath[64];
	struct vfioiommu_adopt_opts a = { .size = sizeof(a), .name = bdf };
	struct kabi_vfio_device_bind_iommufd b = { .argsz = KABI_BIND_IOMMUFD_MIN, .iommufd = other };
	vfioiommu_device *dev = NULL;
	vfioiommu_ctx *ctx = bare();
	const struct { const char *name; int fd; int want; } rows[] = {
		{ "regular_file", reg, -ENOTTY }, { "socket", -1, -ENOTTY }, { "eventfd", ev, -ENOTTY },
		{ "closed_fd", 1000, -EBADF },
	};

	unlink(tmpl);
	socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv);
	snprintf(gpath, sizeof(gpath), "/dev/vfio/%d", vt_group_of(bdf));
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		int fd = rows[i].fd < 0 ? sv[0] : rows[i].fd;
		char name[96];

		rc = vfioiommu_ctx_adopt(ctx, VFIOIOMMU_FD_IOMMUFD, fd, NULL);
		snprintf(name, sizeof(name), "adopt.wrong.%s_as_iommufd", rows[i].name);
		vt_result(rc == rows[i].want && (fd == 1000 || is_open(fd)), name, "rc %d want %d: %s", rc,
			  rows[i].want, vfioiommu_strerror(ctx));
		rc = vfioiommu_ctx_adopt(ctx, VFIOIOMMU_FD_CONTAINER, fd, NULL);
		snprintf(name, sizeof(name), "adopt.wrong.%s_as_container", rows[i].name);
		vt_result(rc == rows[i].want && (fd == 1000 || is_open(fd)), name, "rc %d want %d: %s", rc,
			  rows[i].want, vfioiommu_strerror(ctx));
	}
	vfioiommu_ctx_adopt(ctx, VFIOIOMMU_FD_IOMMUFD, ifd, NULL);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		int fd = rows[i].fd < 0 ? sv[0] : rows[i].fd;
		char name[96];

		rc = vfioiommu_device_adopt(ctx, VFIOIOMMU_FD_CDEV, fd, &a, &dev);
		snprintf(name, sizeof(name), "adopt.wrong.%s_as_cdev", rows[i].name);
		vt_result(rc == rows[i].want && (fd == 1000 || is_open(fd)), name, "rc %d want %d: %s", rc,
			  rows[i].want, vfioiommu_strerror(ctx));
	}
	gfd = open(gpath, O_RDWR | O_CLOEXEC);
	rc = vfioiommu_device_adopt(ctx, VFIOIOMMU_FD_CDEV, gfd, &a, &dev);
	vt_result(rc == -ENOTTY && is_open(gfd), "adopt.wrong.group_as_cdev", "rc %d: %s", rc, vfioiommu_strerror(ctx));
	close(gfd);
	vt_ioctl_val(cd, KABI_VFIO_DEVICE_BIND_IOMMUFD, &b);
	rc = vfioiommu_device_adopt(ctx, VFIOIOMMU_FD_CDEV, cd, &a, &dev);
	vt_result(rc == -EINVAL && is_open(cd) && strstr(vfioiommu_strerror(ctx), "already bound"),
		  "adopt.wrong.cdev_bound_elsewhere", "rc %d: %s", rc, vfioiommu_strerror(ctx));
	a.devid = b.out_devid;
	rc = vfioiommu_device_adopt(ctx, VFIOIOMMU_FD_CDEV_BOUND, cd, &a, &dev);
	vt_result(rc < 0 && is_open(cd), "adopt.wrong.cdev_bound_elsewhere_as_bound", "rc %d: %s", rc,
		  vfioiommu_strerror(ctx));
	vfioiommu_ctx_destroy(ctx);
	close(cd);
	close(other);
	close(reg);
	close(ev);
	close(sv[0]);
	close(sv[1]);
	vt_result(vt_open_fds() == fds0, "adopt.wrong.no_leak", "fds %u -> %u", fds0, vt_open_fds());
}

static void lib_container(const char *bdf)
{
	unsigned int fds0 = vt_open_fds();
	vfioiommu_ctx *ctx = bare();
	int grp = vt_group_of(bdf);
	struct vfioiommu_adopt_opts a = { .size = sizeof(a), .group = (uint32_t)grp, .name = bdf };
	vfioiommu_device *dev = NULL;
	char gpath[64];
	int cfd = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC), gfd, rc;

	snprintf(gpath, sizeof(gpath), "/dev/vfio/%d", grp);
	gfd = open(gpath, O_RDWR | O_CLOEXEC);
	rc = vfioiommu_ctx_adopt(ctx, VFIOIOMMU_FD_CONTAINER, cfd, NULL);
	vt_result(rc == 0 && vfioiommu_ctx_container_fd(ctx) == cfd, "adopt.container.ctx", "rc %d: %s", rc,
		  vfioiommu_strerror(ctx));
	rc = vfioiommu_device_adopt(ctx, VFIOIOMMU_FD_GROUP, gfd, &a, &dev);
	vt_result(rc == 0 && vfioiommu_device_kvm_fd(dev) == gfd && vfioiommu_ctx_group_fd(ctx, (unsigned)grp) == gfd,
		  "adopt.container.group_device", "rc %d: %s", rc, vfioiommu_strerror(ctx));
	if (rc == 0)
		use(ctx, dev, "container");
	vfioiommu_ctx_destroy(ctx);
	vt_result(!is_open(cfd) && !is_open(gfd) && vt_open_fds() == fds0, "adopt.container.owned_fds_closed",
		  "fds %u -> %u", fds0, vt_open_fds());

	/* a container with a group attached already: refused, left as it was */
	ctx = bare();
	cfd = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	gfd = open(gpath, O_RDWR | O_CLOEXEC);
	{
		int32_t c = cfd;

		vt_ioctl_val(gfd, KABI_VFIO_GROUP_SET_CONTAINER, &c);
		vt_ioctl_val(cfd, KABI_VFIO_SET_IOMMU, (void *)(uintptr_t)3);
	}
	rc = vfioiommu_ctx_adopt(ctx, VFIOIOMMU_FD_CONTAINER, cfd, NULL);
	vt_result(rc == -EBUSY && is_open(cfd), "adopt.container.iommu_already_set", "rc %d: %s", rc,
		  vfioiommu_strerror(ctx));
	vfioiommu_ctx_destroy(ctx);
	close(gfd);
	close(cfd);
	vt_result(vt_open_fds() == fds0, "adopt.container.no_leak", "fds %u -> %u", fds0, vt_open_fds());
}

int main(void)
{
	const char *b = getenv("VFIOIOMMU_VM_BDFS");
	char bdf[32] = "";

	if (!b || sscanf(b, "%31s", bdf) != 1) {
		printf("no device\n");
		return 77;
	}
	facts(bdf);
	lib_iommufd(bdf);
	lib_wrong(bdf);
	lib_container(bdf);
	printf("%u passed, %u failed\n", vt_npass, vt_nfail);
	return vt_nfail ? 1 : 0;
}
