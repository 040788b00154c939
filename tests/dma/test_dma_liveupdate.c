/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * Live update (lib/dma/liveupdate.c, lib/backend/container_vaddr.c, the
 * VFIOIOMMU_ADOPT_LIVE adopt path) on the mock: a container and an IOAS
 * handed from one context to another with their mappings, the blob's checks,
 * the type1 VADDR rules the kernel applies (tests/vm/FACTS.md), and the
 * fail-Nth sweep over the hand-over.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include <vfioiommu/adopt.h>
#include <vfioiommu/device.h>
#include <vfioiommu/dma.h>
#include <vfioiommu/fdpass.h>
#include <vfioiommu/iommufd.h>
#include <vfioiommu/liveupdate.h>
#include <vfioiommu/mock.h>
#include <vfioiommu/objects.h>

#include "helpers.h"
#include "core/door.h"
#include "kabi/kabi.h"

#define RW (VFIOIOMMU_DMA_READ | VFIOIOMMU_DMA_WRITE)
#define PG 4096u

static int raw_ioctl(vfioiommu_mock *m, int fd, unsigned long req, void *arg)
{
	return vfioiommu_door_ioctl(vfioiommu_mock_door(m), fd, req, arg);
}

static void raw_close(vfioiommu_mock *m, int fd)
{
	const vfioiommu_door *d = vfioiommu_mock_door(m);

	d->close(d->priv, fd);
}

/*
 * Send the context's container fd and group 3's fd to a new context adopting
 * them live; the fds a refused adopt leaves to the caller are closed.
 */
static int hand_over(vfioiommu_mock *m, vfioiommu_ctx *old, vfioiommu_ctx *nu, bool live)
{
	struct vfioiommu_fd_entry e[2] = {
		{ .kind = VFIOIOMMU_FD_CONTAINER, .fd = vfioiommu_ctx_container_fd(old) },
		{ .kind = VFIOIOMMU_FD_GROUP, .group = 3, .fd = vfioiommu_ctx_group_fd(old, 3) },
	}, r[2];
	struct vfioiommu_adopt_opts a = { .size = sizeof(a), .flags = live ? VFIOIOMMU_ADOPT_LIVE : 0 };
	unsigned int n = 0;
	int sv[2], rc;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	rc = vfioiommu_fds_send(old, sv[0], e, 2);
	if (rc == 0)
		rc = vfioiommu_fds_recv(nu, sv[1], r, 2, &n);
	close(sv[0]);
	close(sv[1]);
	if (rc < 0)
		return rc;
	assert_int_equal(n, 2);
	rc = vfioiommu_ctx_adopt(nu, VFIOIOMMU_FD_CONTAINER, r[0].fd, &a);
	if (rc < 0) {
		raw_close(m, r[0].fd);
		raw_close(m, r[1].fd);
		return rc;
	}
	a.group = 3;
	rc = vfioiommu_ctx_adopt(nu, VFIOIOMMU_FD_GROUP, r[1].fd, &a);
	if (rc < 0)
		raw_close(m, r[1].fd);
	return rc;
}

static void container_handover(void **state)
{
	vfioiommu_mock *m = th_mock(th_host_default);
	vfioiommu_ctx *old = th_ctx(m, VFIOIOMMU_MODE_CONTAINER), *nu = th_ctx(m, VFIOIOMMU_MODE_CONTAINER);
	char *buf = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	char *buf2 = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	uint64_t a = 0, b = 0, iova = 0;
	unsigned char blob[256];
	size_t need = 0, cnt = 0;
	struct kabi_vfio_dma_unmap u = { .argsz = sizeof(u) };
	void *va = NULL;

	(void)state;
	assert_int_equal(vfioiommu_ctx_add_group(old, 3), 0);
	assert_int_equal(vfioiommu_dma_map(old, buf, 2 * PG, RW, &a), 0);
	assert_int_equal(vfioiommu_dma_map(old, buf + 2 * PG, PG, VFIOIOMMU_DMA_READ, &b), 0);
	/* the table goes only once the addresses are dropped */
	assert_int_equal(vfioiommu_dma_export(old, blob, sizeof(blob), &need), -EBUSY);
	th_assert_msg(vfioiommu_strerror(old), "vfioiommu_dma_vaddr_invalidate", NULL);
	assert_int_equal(vfioiommu_dma_vaddr_invalidate(old), 0);
	assert_int_equal(vfioiommu_dma_vaddr_invalidate(old), -EBUSY);
	assert_int_equal(vfioiommu_dma_export(old, NULL, 0, &need), -ENOSPC);
	assert_int_equal(need, 32 + 2 * 32);
	assert_int_equal(vfioiommu_dma_export(old, blob, sizeof(blob), &need), 0);

	/* a fresh container has nothing to take over: LIVE refuses it, the fd stays the caller's */
	{
		vfioiommu_ctx *f = th_ctx(m, VFIOIOMMU_MODE_CONTAINER);
		struct vfioiommu_adopt_opts lo = { .size = sizeof(lo), .flags = VFIOIOMMU_ADOPT_LIVE };
		const vfioiommu_door *d = vfioiommu_mock_door(m);
		int cfd = d->open(d->priv, "/dev/vfio/vfio", O_RDWR);

		assert_true(cfd >= 0);
		assert_int_equal(vfioiommu_ctx_adopt(f, VFIOIOMMU_FD_CONTAINER, cfd, &lo), -EINVAL);
		th_assert_msg(vfioiommu_strerror(f), "nothing to take over", NULL);
		assert_int_equal(vfioiommu_ctx_backend(f), VFIOIOMMU_BACKEND_NONE);
		raw_close(m, cfd);
		vfioiommu_ctx_destroy(f);
	}
	/* a live container refuses a plain adopt (its IOMMU is set) */
	assert_int_equal(hand_over(m, old, nu, false), -EBUSY);
	vfioiommu_ctx_destroy(nu);
	nu = th_ctx(m, VFIOIOMMU_MODE_CONTAINER);
	assert_int_equal(hand_over(m, old, nu, true), 0);
	assert_int_equal(vfioiommu_ctx_backend(nu), VFIOIOMMU_BACKEND_TYPE1V2);
	/* the old process goes; its groups stay attached to the container */
	vfioiommu_ctx_destroy(old);

	assert_int_equal(vfioiommu_dma_import(nu, blob, need), 0);
	assert_int_equal(vfioiommu_dma_import(nu, blob, need), -EBUSY);
	/* the same pages elsewhere in this process */
	assert_int_equal(vfioiommu_dma_vaddr_rebase(nu, (uint64_t)(uintptr_t)buf, 4 * PG, buf2, &cnt), 0);
	assert_int_equal(cnt, 2);
	assert_int_equal(vfioiommu_dma_translate(nu, buf2 + PG, 8, &iova), 0);
	assert_int_equal(iova, a + PG);
	assert_int_equal(vfioiommu_dma_translate_iova(nu, b, PG, &va), 0);
	assert_ptr_equal(va, buf2 + 2 * PG);
	assert_int_equal(vfioiommu_dma_vaddr_rebase(nu, (uint64_t)(uintptr_t)buf, 4 * PG, buf2, &cnt), -ENOENT);
	/* the kernel kept both mappings: a new map may not land on them, unmap returns their size */
	assert_int_equal(vfioiommu_dma_map(nu, buf2 + 3 * PG, PG, RW, &iova), 0);
	assert_true(iova + PG <= a || iova >= b + PG || (iova >= a + 2 * PG && iova < b));
	assert_int_equal(vfioiommu_dma_unmap(nu, a, 2 * PG), 0);
	u.iova = b;
	u.size = PG;
	assert_int_equal(raw_ioctl(m, vfioiommu_ctx_container_fd(nu), KABI_VFIO_IOMMU_UNMAP_DMA, &u), 0);
	assert_int_equal(u.size, PG);
	vfioiommu_ctx_destroy(nu);
	munmap(buf, 4 * PG);
	munmap(buf2, 4 * PG);
	th_mock_done(m);
}

/*
 * A table that does not describe the container it is imported into (here the
 * kernel's mapping went behind the library's back, as with another context's
 * blob): the rebase meets the kernel's ENOENT and says so.
 */
static void foreign_blob(void **state)
{
	vfioiommu_mock *m = th_mock(th_host_default);
	vfioiommu_ctx *old = th_ctx(m, VFIOIOMMU_MODE_CONTAINER), *nu = th_ctx(m, VFIOIOMMU_MODE_CONTAINER);
	char *buf = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	struct kabi_vfio_dma_unmap u = { .argsz = sizeof(u), .size = 2 * PG };
	unsigned char blob[128];
	size_t need = 0, cnt = 7;
	uint64_t a = 0;

	(void)state;
	assert_int_equal(vfioiommu_ctx_add_group(old, 3), 0);
	assert_int_equal(vfioiommu_dma_map(old, buf, 2 * PG, RW, &a), 0);
	assert_int_equal(vfioiommu_dma_vaddr_invalidate(old), 0);
	assert_int_equal(vfioiommu_dma_export(old, blob, sizeof(blob), &need), 0);
	u.iova = a;
	assert_int_equal(raw_ioctl(m, vfioiommu_ctx_container_fd(old), KABI_VFIO_IOMMU_UNMAP_DMA, &u), 0);
	assert_int_equal(hand_over(m, old, nu, true), 0);
	vfioiommu_ctx_destroy(old);
	assert_int_equal(vfioiommu_dma_import(nu, blob, need), 0);
	assert_int_equal(vfioiommu_dma_vaddr_rebase(nu, (uint64_t)(uintptr_t)buf, 2 * PG, buf, &cnt), -ENOENT);
	th_assert_msg(vfioiommu_strerror(nu), "has no mapping", "does not describe this container", NULL);
	assert_int_equal(cnt, 0); /* none rebased: the count says how far it got */
	vfioiommu_ctx_destroy(nu);
	munmap(buf, 2 * PG);
	th_mock_done(m);
}

static void rebase_rules(void **state)
{
	vfioiommu_mock *m = th_mock(th_host_default);
	vfioiommu_ctx *ctx = th_ctx(m, VFIOIOMMU_MODE_CONTAINER);
	char *buf = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	vfioiommu_device *dev = NULL;
	uint64_t a = 0;
	size_t cnt = 9;

	(void)state;
	assert_int_equal(vfioiommu_dma_vaddr_invalidate(ctx), -ENODEV);
	assert_int_equal(vfioiommu_ctx_add_group(ctx, 3), 0);
	assert_int_equal(vfioiommu_dma_map(ctx, buf, 2 * PG, RW, &a), 0);
	/* nothing invalidated: nothing to rebase */
	assert_int_equal(vfioiommu_dma_vaddr_rebase(ctx, (uint64_t)(uintptr_t)buf, 2 * PG, buf, &cnt), -ENOENT);
	assert_int_equal(cnt, 0);
	assert_int_equal(vfioiommu_dma_vaddr_invalidate(ctx), 0);
	/* a range that cuts the mapping: refused before the kernel */
	assert_int_equal(vfioiommu_dma_vaddr_rebase(ctx, (uint64_t)(uintptr_t)buf, PG, buf, &cnt), -EINVAL);
	th_assert_msg(vfioiommu_strerror(ctx), "straddles", NULL);
	assert_int_equal(vfioiommu_dma_vaddr_rebase(ctx, 0, 0, buf, NULL), -EINVAL);
	assert_int_equal(vfioiommu_dma_vaddr_rebase(ctx, UINT64_MAX - PG, 2 * PG, buf, NULL), -EINVAL);
	/* the same process takes its addresses back: translate works, closing detaches as usual */
	assert_int_equal(vfioiommu_dma_vaddr_rebase(ctx, (uint64_t)(uintptr_t)buf, 2 * PG, buf, &cnt), 0);
	assert_int_equal(cnt, 1);
	assert_int_equal(vfioiommu_dma_unmap(ctx, a, 2 * PG), 0);
	vfioiommu_ctx_destroy(ctx);

	/* iommufd: nothing to invalidate or rebase */
	ctx = th_ctx(m, VFIOIOMMU_MODE_IOMMUFD);
	assert_int_equal(vfioiommu_device_open(ctx, "0000:00:03.0", &dev), 0);
	assert_int_equal(vfioiommu_dma_vaddr_invalidate(ctx), -EOPNOTSUPP);
	th_assert_msg(vfioiommu_strerror(ctx), "vfioiommu_ctx_change_process", NULL);
	assert_int_equal(vfioiommu_dma_vaddr_rebase(ctx, 4096, 4096, buf, NULL), -EOPNOTSUPP);
	vfioiommu_device_close(dev);
	vfioiommu_ctx_destroy(ctx);
	munmap(buf, 4 * PG);
	th_mock_done(m);
}

/* A blob from an iommufd context with a file mapping, and every way to spoil it. */
static void blob_checks(void **state)
{
	vfioiommu_mock *m = th_mock(th_host_default);
	vfioiommu_ctx *src = th_ctx(m, VFIOIOMMU_MODE_IOMMUFD), *dst;
	int mfd = memfd_create("lu", MFD_CLOEXEC);
	unsigned char blob[128], bad[160];
	size_t need = 0;
	uint64_t iova = 0;
	uint32_t ioas = 0;
	int ifd = -1;
	void *va = (void *)1;
	vfioiommu_device *sdev = NULL, *ddev = NULL;

	(void)state;
	assert_true(mfd >= 0 && ftruncate(mfd, 2 * PG) == 0);
	assert_int_equal(vfioiommu_device_open(src, "0000:00:03.0", &sdev), 0);
	assert_int_equal(vfioiommu_dma_map_file(src, mfd, 0, 2 * PG, RW, &iova), 0);
	/* iommufd needs no invalidate */
	assert_int_equal(vfioiommu_dma_export(src, blob, sizeof(blob), &need), 0);
	assert_int_equal(need, 64);
	assert_int_equal(vfioiommu_dma_export(src, NULL, 5, &need), -EINVAL);
	assert_int_equal(vfioiommu_dma_export(src, blob, sizeof(blob), NULL), -EINVAL);
	ifd = vfioiommu_ctx_iommufd_fd(src);
	assert_true(ifd >= 0);
	assert_int_equal(vfioiommu_ctx_ioas_id(src, &ioas), 0);

	dst = th_ctx(m, VFIOIOMMU_MODE_CONTAINER);
	assert_int_equal(vfioiommu_dma_import(dst, blob, need), -ENODEV);
	assert_int_equal(vfioiommu_ctx_add_group(dst, 4), 0);
	/* another backend's blob */
	assert_int_equal(vfioiommu_dma_import(dst, blob, need), -EINVAL);
	th_assert_msg(vfioiommu_strerror(dst), "iommufd", "VFIO container", NULL);
	vfioiommu_ctx_destroy(dst);

	dst = th_ctx(m, VFIOIOMMU_MODE_IOMMUFD);
	assert_int_equal(vfioiommu_device_open(dst, "0000:00:04.0", &ddev), 0);
	/* truncated: inside the header, inside the entries */
	assert_int_equal(vfioiommu_dma_import(dst, blob, 10), -EINVAL);
	th_assert_msg(vfioiommu_strerror(dst), "truncated", NULL);
	assert_int_equal(vfioiommu_dma_import(dst, blob, need - 1), -EINVAL);
	th_assert_msg(vfioiommu_strerror(dst), "truncated", NULL);
	/* longer than it says */
	memcpy(bad, blob, need);
	assert_int_equal(vfioiommu_dma_import(dst, bad, need + 32), -EINVAL);
	/* another version */
	bad[4] = 2;
	assert_int_equal(vfioiommu_dma_import(dst, bad, need), -EINVAL);
	th_assert_msg(vfioiommu_strerror(dst), "version 2", NULL);
	/* not a blob */
	memcpy(bad, blob, need);
	bad[0] ^= 1;
	assert_int_equal(vfioiommu_dma_import(dst, bad, need), -EINVAL);
	th_assert_msg(vfioiommu_strerror(dst), "magic", NULL);
	/* an altered entry */
	memcpy(bad, blob, need);
	bad[40] ^= 0x10;
	assert_int_equal(vfioiommu_dma_import(dst, bad, need), -EINVAL);
	th_assert_msg(vfioiommu_strerror(dst), "checksum", NULL);
	assert_int_equal(vfioiommu_dma_import(dst, NULL, need), -EINVAL);
	assert_int_equal(vfioiommu_dma_import(NULL, blob, need), -EINVAL);
	/* nothing was recorded by the refusals */
	assert_int_equal(vfioiommu_dma_translate_iova(dst, iova, PG, &va), -ENOENT);
	vfioiommu_device_close(ddev);
	vfioiommu_ctx_destroy(dst);

	/* the IOAS handed over: adopt its iommufd with the IOAS named, change the process, import */
	{
		struct vfioiommu_fd_entry e = { .kind = VFIOIOMMU_FD_IOMMUFD, .ioas_id = ioas, .fd = ifd }, r;
		struct vfioiommu_adopt_opts a = { .size = sizeof(a) };
		unsigned int n = 0;
		int sv[2];

		dst = th_ctx(m, VFIOIOMMU_MODE_IOMMUFD);
		assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
		assert_int_equal(vfioiommu_fds_send(src, sv[0], &e, 1), 0);
		assert_int_equal(vfioiommu_fds_recv(dst, sv[1], &r, 1, &n), 0);
		close(sv[0]);
		close(sv[1]);
		a.ioas_id = r.ioas_id;
		assert_int_equal(vfioiommu_ctx_adopt(dst, VFIOIOMMU_FD_IOMMUFD, r.fd, &a), 0);
		/* the old process would exit now: destroying its context would destroy the IOAS */
		assert_int_equal(vfioiommu_ctx_change_process(dst), 0);
		assert_int_equal(vfioiommu_dma_import(dst, blob, need), 0);
		/* the mapping is known: an overlapping fixed map is refused by the library, unmap works */
		assert_int_equal(vfioiommu_dma_map_file(dst, mfd, 0, PG, RW | VFIOIOMMU_DMA_FIXED_IOVA, &iova), -EEXIST);
		assert_int_equal(vfioiommu_dma_unmap(dst, iova, 2 * PG), 0);
		vfioiommu_ctx_destroy(dst);
		vfioiommu_device_close(sdev);
		vfioiommu_ctx_destroy(src);
	}
	close(mfd);
	th_mock_done(m);
}

/* The mock answers the raw VADDR calls as Linux 7.2 did (tests/vm/FACTS.md section n, vm_liveupdate). */
static int dmap(vfioiommu_mock *m, int cfd, uint32_t flags, void *va, uint64_t iova, uint64_t size)
{
	struct kabi_vfio_dma_map d = { .argsz = sizeof(d), .flags = flags, .vaddr = (uintptr_t)va, .iova = iova,
				       .size = size };

	return raw_ioctl(m, cfd, KABI_VFIO_IOMMU_MAP_DMA, &d);
}

static int umap(vfioiommu_mock *m, int cfd, uint32_t flags, uint64_t iova, uint64_t size, uint64_t *got)
{
	struct kabi_vfio_dma_unmap u = { .argsz = sizeof(u), .flags = flags, .iova = iova, .size = size };
	int rc = raw_ioctl(m, cfd, KABI_VFIO_IOMMU_UNMAP_DMA, &u);

	*got = rc < 0 ? 0 : u.size;
	return rc;
}

static void kernel_rows(void **state)
{
	const uint32_t V = KABI_VFIO_DMA_MAP_FLAG_VADDR, UV = KABI_VFIO_DMA_UNMAP_FLAG_VADDR;
	const uint32_t RWF = KABI_VFIO_DMA_MAP_FLAG_READ | KABI_VFIO_DMA_MAP_FLAG_WRITE;
	const uint64_t io = 0x100000, len = 0x10000;
	vfioiommu_mock *m = th_mock(th_host_default);
	vfioiommu_ctx *ctx = th_ctx(m, VFIOIOMMU_MODE_CONTAINER);
	char *a = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	uint64_t got = 1;
	int cfd;

	(void)state;
	assert_int_equal(vfioiommu_ctx_add_group(ctx, 3), 0);
	cfd = vfioiommu_ctx_container_fd(ctx);
	assert_int_equal(raw_ioctl(m, cfd, KABI_VFIO_CHECK_EXTENSION, (void *)(uintptr_t)KABI_VFIO_UPDATE_VADDR), 1);
	assert_int_equal(dmap(m, cfd, RWF, a, io, len), 0);
	assert_int_equal(dmap(m, cfd, V, a, io, len), -EINVAL);                 /* VADDR_while_valid */
	assert_int_equal(umap(m, cfd, UV, io, len, &got), 0);                   /* VADDR_exact */
	assert_int_equal(got, len);
	assert_int_equal(umap(m, cfd, UV, io, len, &got), -EINVAL);             /* VADDR_again */
	assert_int_equal(dmap(m, cfd, V, a, io, len / 2), -EINVAL);             /* VADDR_half_size */
	assert_int_equal(dmap(m, cfd, V | KABI_VFIO_DMA_MAP_FLAG_READ, a, io, len), -EINVAL);
	assert_int_equal(dmap(m, cfd, V, a, io + len, len), -ENOENT);          /* VADDR_other_iova */
	assert_int_equal(dmap(m, cfd, RWF, a, io, len), -EEXIST);               /* plain_over_invalid */
	assert_int_equal(dmap(m, cfd, V, a, io, len), 0);                       /* VADDR_exact */
	assert_int_equal(umap(m, cfd, UV | KABI_VFIO_DMA_UNMAP_FLAG_ALL, 0, 0, &got), 0);
	assert_int_equal(got, len);
	assert_int_equal(umap(m, cfd, UV | KABI_VFIO_DMA_UNMAP_FLAG_ALL, 0, 0, &got), -EINVAL);
	assert_int_equal(umap(m, cfd, 0, io, len, &got), 0);                    /* plain_while_invalid */
	assert_int_equal(got, len);
	vfioiommu_ctx_destroy(ctx);
	munmap(a, len);
	th_mock_done(m);
}

/* ---------------- fail-Nth over the hand-over ---------------- */

static vfioiommu_mock *sweep_setup(void *arg)
{
	(void)arg;
	return th_mock(th_host_default);
}

static int sweep_body(vfioiommu_mock *m, void *arg)
{
	static char buf[2 * PG] __attribute__((aligned(PG)));
	struct vfioiommu_ctx_opts o = { .size = sizeof(o), .mode = VFIOIOMMU_MODE_CONTAINER,
					.door = vfioiommu_mock_door(m) };
	vfioiommu_ctx *old = NULL, *nu = NULL;
	unsigned char blob[128];
	size_t need = 0;
	uint64_t iova = 0;
	int rc;

	(void)arg;
	rc = vfioiommu_ctx_new(&o, &old);
	if (rc == 0)
		rc = vfioiommu_ctx_new(&o, &nu);
	if (rc == 0)
		rc = vfioiommu_ctx_add_group(old, 3);
	if (rc == 0)
		rc = vfioiommu_dma_map(old, buf, sizeof(buf), RW, &iova);
	if (rc == 0)
		rc = vfioiommu_dma_vaddr_invalidate(old);
	if (rc == 0)
		rc = vfioiommu_dma_export(old, blob, sizeof(blob), &need);
	if (rc == 0)
		rc = hand_over(m, old, nu, true);
	if (rc == 0)
		rc = vfioiommu_dma_import(nu, blob, need);
	if (rc == 0)
		rc = vfioiommu_dma_vaddr_rebase(nu, (uint64_t)(uintptr_t)buf, sizeof(buf), buf, NULL);
	if (rc == 0)
		rc = vfioiommu_dma_unmap(nu, iova, sizeof(buf));
	vfioiommu_ctx_destroy(old);
	vfioiommu_ctx_destroy(nu);
	return rc;
}

static void fail_nth(void **state)
{
	(void)state;
	assert_true(th_sweep(sweep_setup, sweep_body, NULL, 400) >= 10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(container_handover),
		cmocka_unit_test(rebase_rules),
		cmocka_unit_test(foreign_blob),
		cmocka_unit_test(blob_checks),
		cmocka_unit_test(kernel_rows),
		cmocka_unit_test(fail_nth),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
