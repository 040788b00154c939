/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * unprivileged_vmm: the unprivileged half of privilege separation.  Drops
 * to an unprivileged uid first, then receives the fds examples/launcher.c
 * opened, builds a context and a device from them without opening any
 * /dev node or reading /sys, and does what a VMM does with a device: maps
 * DMA memory, reads a BAR through an mmap and takes an interrupt.
 *
 *   unprivileged_vmm --sock FD [--uid UID]
 *
 * Prints "ok - STEP" or "not ok - STEP: why" per step; exits 0 when every
 * step worked.  Written for an Intel NIC (BAR0 STATUS at 0x8, MSI-X), as in
 * the VM suite; another device needs another register and interrupt.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* setresuid, dirname, socketpair flags under -std=c11 */
#endif
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <vfioiommu.h>

static int failed;

static void step(int ok, const char *what, const char *why)
{
	if (ok) {
		printf("ok - %s\n", what);
	} else {
		printf("not ok - %s: %s\n", what, why);
		failed = 1;
	}
}

static int drop_to(uid_t uid)
{
	if (setgroups(0, NULL) < 0 && errno != EPERM)
		return -errno;
	if (setresgid(uid, uid, uid) < 0 || setresuid(uid, uid, uid) < 0)
		return -errno;
	/* no way back */
	return setuid(0) == 0 ? -EPERM : 0;
}

/* Every received entry to the context: the iommufd or container first (the launcher sends it first). */
static int adopt_all(vfioiommu_ctx *ctx, struct vfioiommu_fd_entry *r, unsigned int n, vfioiommu_device **dev)
{
	unsigned int i;
	int rc = 0;

	for (i = 0; i < n && rc == 0; i++) {
		struct vfioiommu_adopt_opts a = { .size = sizeof(a), .ioas_id = r[i].ioas_id, .group = r[i].group,
						  .devid = r[i].devid, .name = r[i].name[0] ? r[i].name : NULL };

		if (r[i].kind == VFIOIOMMU_FD_IOMMUFD || r[i].kind == VFIOIOMMU_FD_CONTAINER)
			rc = vfioiommu_ctx_adopt(ctx, (enum vfioiommu_fd_kind)r[i].kind, r[i].fd, &a);
		else
			rc = vfioiommu_device_adopt(ctx, (enum vfioiommu_fd_kind)r[i].kind, r[i].fd, &a, dev);
	}
	/* an entry the library refused, and those after it, are still ours */
	for (i = rc < 0 ? i - 1 : n; i < n; i++)
		close(r[i].fd);
	return rc;
}

int main(int argc, char **argv)
{
	struct vfioiommu_ctx_opts o = { .size = sizeof(o) };
	struct vfioiommu_fd_entry r[VFIOIOMMU_FDPASS_MAX];
	vfioiommu_ctx *ctx = NULL;
	vfioiommu_device *dev = NULL;
	unsigned long uid = 1000;
	unsigned int n = 0;
	int sock = -1, rc, fd;
	size_t len = 1 << 20;
	void *buf, *bar = NULL;
	uint64_t iova = 0, cnt;
	uint32_t st_mmio = 0, st_read = 0;
	char why[600];

	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--sock"))
			sock = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--uid"))
			uid = strtoul(argv[i + 1], NULL, 0);
	}
	if (sock < 0) {
		fprintf(stderr, "usage: %s --sock FD [--uid UID] (started by launcher)\n", argv[0]);
		return 2;
	}
	rc = drop_to((uid_t)uid);
	snprintf(why, sizeof(why), "%s", strerror(-rc));
	step(rc == 0 && getuid() == uid && geteuid() == uid, "dropped to an unprivileged uid", why);
	fd = open("/dev/iommu", O_RDWR);
	step(fd < 0, "/dev/iommu cannot be opened any more", "it still opens: the uid is privileged");
	if (fd >= 0)
		close(fd);

	rc = vfioiommu_ctx_new(&o, &ctx);
	if (rc == 0)
		rc = vfioiommu_fds_recv(ctx, sock, r, VFIOIOMMU_FDPASS_MAX, &n);
	if (rc == 0)
		rc = adopt_all(ctx, r, n, &dev);
	snprintf(why, sizeof(why), "%s", ctx ? vfioiommu_strerror(ctx) : strerror(-rc));
	step(rc == 0 && dev, "received and adopted the fds", why);
	close(sock);
	if (rc < 0 || !dev) {
		vfioiommu_ctx_destroy(ctx);
		return 1;
	}
	printf("# backend %s (%s), device %s\n", vfioiommu_backend_name(vfioiommu_ctx_backend(ctx)),
	       vfioiommu_ctx_backend_reason(ctx), vfioiommu_device_name(dev));

	/* DMA: pinned against the RLIMIT_MEMLOCK the launcher raised */
	buf = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	rc = buf == MAP_FAILED ? -ENOMEM : vfioiommu_dma_map(ctx, buf, len, VFIOIOMMU_DMA_READ | VFIOIOMMU_DMA_WRITE,
								&iova);
	snprintf(why, sizeof(why), "%s", vfioiommu_strerror(ctx));
	step(rc == 0, "mapped 1 MiB for DMA", why);
	if (rc == 0)
		printf("# IOVA 0x%llx\n", (unsigned long long)iova);

	/* a BAR through an mmap, checked against a read through the fd */
	rc = vfioiommu_region_mmap(dev, VFIOIOMMU_PCI_BAR0, 0, 4096, 0, &bar);
	if (rc == 0) {
		/* bar is page aligned, so the register at 0x8 is 4-byte aligned */
		st_mmio = ((volatile uint32_t *)bar)[0x8 / 4];
		rc = vfioiommu_region_read(dev, VFIOIOMMU_PCI_BAR0, 0x8, &st_read, 4);
	}
	snprintf(why, sizeof(why), "rc %d, mmio 0x%x read 0x%x: %s", rc, st_mmio, st_read, vfioiommu_strerror(ctx));
	step(rc == 0 && st_mmio == st_read, "read BAR0 STATUS through an mmap", why);
	if (bar)
		vfioiommu_region_munmap(dev, bar);

	/* an interrupt: MSI-X vector 0 to an eventfd, fired from software */
	rc = vfioiommu_irq_enable(dev, VFIOIOMMU_PCI_IRQ_MSIX, 0, 1, NULL);
	if (rc == 0)
		rc = vfioiommu_irq_trigger(dev, VFIOIOMMU_PCI_IRQ_MSIX, 0, 1);
	if (rc == 0) {
		struct pollfd p = { .fd = vfioiommu_irq_eventfd(dev, VFIOIOMMU_PCI_IRQ_MSIX, 0), .events = POLLIN };

		rc = poll(&p, 1, 2000) == 1 && read(p.fd, &cnt, sizeof(cnt)) == (ssize_t)sizeof(cnt) ? 0 : -ETIMEDOUT;
	}
	snprintf(why, sizeof(why), "%s", rc == -ETIMEDOUT ? "no interrupt within 2 s" : vfioiommu_strerror(ctx));
	step(rc == 0, "took an MSI-X interrupt", why);

	if (iova)
		vfioiommu_dma_unmap(ctx, iova, len);
	vfioiommu_ctx_destroy(ctx);
	if (buf != MAP_FAILED)
		munmap(buf, len);
	return failed;
}
