/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * Guest program: live update (include/vfioiommu/liveupdate.h) on the real kernel.
 *
 * Part 1 ("FACT lu.*" lines, recorded in tests/vm/FACTS.md section n): what
 * type1 answers for VFIO_UPDATE_VADDR (CHECK_EXTENSION before and after
 * SET_IOMMU), VFIO_IOMMU_UNMAP_DMA with VFIO_DMA_UNMAP_FLAG_VADDR (exact, a
 * second time, with _ALL), VFIO_IOMMU_MAP_DMA with VFIO_DMA_MAP_FLAG_VADDR
 * (another size, with READ, on a mapping whose address is valid, exact) and
 * a plain unmap while the address is invalid.  The mock follows these rows
 * (lib/mock/vfio.c; tests/dma/test_dma_liveupdate.c).
 *
 * Part 2 ("ok - lu.*"): a process maps a memfd through the library, hands
 * the container (with its group) or the iommufd (with its IOAS) and the
 * exported table to another process over a unix socket and exits; the other
 * process adopts the fds, imports the table, re-supplies the addresses
 * (container) or changes the IOAS's process (iommufd), and the kernel still
 * holds the mapping: the library unmaps it and the kernel reports exactly its
 * size (vfioiommu_dma_unmap() fails with -EIO otherwise).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <vfioiommu.h>

#include "vmtest.h"

#define LEN (64 * 1024)
#define RW (VFIOIOMMU_DMA_READ | VFIOIOMMU_DMA_WRITE)

static int umap(int cfd, uint32_t flags, uint64_t iova, uint64_t size, uint64_t *got)
{
	struct kabi_vfio_dma_unmap u = { .argsz = sizeof(u), .flags = flags, .iova = iova, .size = size };
	int rc = vt_xioctl(cfd, KABI_VFIO_IOMMU_UNMAP_DMA, &u);

	*got = rc < 0 ? 0 : u.size;
	return rc;
}

static int dmap(int cfd, uint32_t flags, void *va, uint64_t iova, uint64_t size)
{
	struct kabi_vfio_dma_map m = { .argsz = sizeof(m), .flags = flags, .vaddr = (uintptr_t)va, .iova = iova,
				       .size = size };

	return vt_xioctl(cfd, KABI_VFIO_IOMMU_MAP_DMA, &m);
}

static void facts(const char *bdf, int mfd)
{
	const uint32_t V = KABI_VFIO_DMA_MAP_FLAG_VADDR, RWF = KABI_VFIO_DMA_MAP_FLAG_READ | KABI_VFIO_DMA_MAP_FLAG_WRITE;
	const uint64_t io = 0x100000;
	int cfd = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC), gfd, rc;
	char gpath[64];
	void *a = mmap(NULL, LEN, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	void *b = mmap(NULL, LEN, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	uint64_t got;

	snprintf(gpath, sizeof(gpath), "/dev/vfio/%d", vt_group_of(bdf));
	gfd = open(gpath, O_RDWR | O_CLOEXEC);
	if (cfd < 0 || gfd < 0 || a == MAP_FAILED || b == MAP_FAILED) {
		vt_result(false, "lu.facts.setup", "container %d group %d", cfd, gfd);
		return;
	}
	printf("FACT lu.CHECK_EXTENSION(UPDATE_VADDR).no_iommu=%d\n",
	       vt_ioctl_val(cfd, KABI_VFIO_CHECK_EXTENSION, (void *)(uintptr_t)KABI_VFIO_UPDATE_VADDR));
	rc = vt_xioctl(gfd, KABI_VFIO_GROUP_SET_CONTAINER, &cfd);
	if (rc == 0)
		rc = vt_xioctl(cfd, KABI_VFIO_SET_IOMMU, (void *)(uintptr_t)KABI_VFIO_TYPE1v2_IOMMU);
	if (rc < 0) {
		vt_result(false, "lu.facts.set_iommu", "%s", vt_errname(rc));
		goto out;
	}
	printf("FACT lu.CHECK_EXTENSION(UPDATE_VADDR).type1v2=%d\n",
	       vt_ioctl_val(cfd, KABI_VFIO_CHECK_EXTENSION, (void *)(uintptr_t)KABI_VFIO_UPDATE_VADDR));
	printf("FACT lu.MAP.plain=%s\n", vt_errname(dmap(cfd, RWF, a, io, LEN)));
	printf("FACT lu.MAP.VADDR_while_valid=%s\n", vt_errname(dmap(cfd, V, b, io, LEN)));
	rc = umap(cfd, KABI_VFIO_DMA_UNMAP_FLAG_VADDR, io, LEN, &got);
	printf("FACT lu.UNMAP.VADDR_exact=%s size=0x%" PRIx64 "\n", vt_errname(rc), got);
	rc = umap(cfd, KABI_VFIO_DMA_UNMAP_FLAG_VADDR, io, LEN, &got);
	printf("FACT lu.UNMAP.VADDR_again=%s size=0x%" PRIx64 "\n", vt_errname(rc), got);
	printf("FACT lu.MAP.VADDR_half_size=%s\n", vt_errname(dmap(cfd, V, b, io, LEN / 2)));
	printf("FACT lu.MAP.VADDR_with_READ=%s\n", vt_errname(dmap(cfd, V | KABI_VFIO_DMA_MAP_FLAG_READ, b, io, LEN)));
	printf("FACT lu.MAP.VADDR_other_iova=%s\n", vt_errname(dmap(cfd, V, b, io + LEN, LEN)));
	printf("FACT lu.MAP.plain_over_invalid=%s\n", vt_errname(dmap(cfd, RWF, b, io, LEN)));
	printf("FACT lu.MAP.VADDR_exact=%s\n", vt_errname(dmap(cfd, V, b, io, LEN)));
	rc = umap(cfd, KABI_VFIO_DMA_UNMAP_FLAG_VADDR | KABI_VFIO_DMA_UNMAP_FLAG_ALL, 0, 0, &got);
	printf("FACT lu.UNMAP.VADDR_ALL=%s size=0x%" PRIx64 "\n", vt_errname(rc), got);
	rc = umap(cfd, KABI_VFIO_DMA_UNMAP_FLAG_VADDR | KABI_VFIO_DMA_UNMAP_FLAG_ALL, 0, 0, &got);
	printf("FACT lu.UNMAP.VADDR_ALL_again=%s size=0x%" PRIx64 "\n", vt_errname(rc), got);
	rc = umap(cfd, 0, io, LEN, &got);
	printf("FACT lu.UNMAP.plain_while_invalid=%s size=0x%" PRIx64 "\n", vt_errname(rc), got);
	vt_xioctl(gfd, KABI_VFIO_GROUP_UNSET_CONTAINER, NULL);
out:
	close(gfd);
	close(cfd);
	munmap(a, LEN);
	munmap(b, LEN);
}

/* ---------------- the hand-over through the library ---------------- */

struct msg {
	uint64_t iova, old_base;
	uint32_t blob_len;
	unsigned char blob[256];
};

/* The old process: map, (invalidate,) export, send, exit without giving anything back. */
static int old_side(const char *bdf, int mfd, int sock, bool iommufd)
{
	struct vfioiommu_ctx_opts o = { .size = sizeof(o),
					.mode = iommufd ? VFIOIOMMU_MODE_IOMMUFD : VFIOIOMMU_MODE_CONTAINER };
	vfioiommu_ctx *ctx = NULL;
	vfioiommu_device *dev = NULL;
	struct vfioiommu_fd_entry e[2] = { { 0 } };
	struct msg m = { 0 };
	size_t need = 0;
	uint32_t ioas = 0;
	void *buf = mmap(NULL, LEN, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	int rc;

	if (buf == MAP_FAILED || vfioiommu_ctx_new(&o, &ctx) < 0)
		return 10;
	memset(buf, 0x5a, LEN);
	rc = vfioiommu_device_open(ctx, bdf, &dev);
	if (rc == 0)
		rc = iommufd ? vfioiommu_dma_map_file(ctx, mfd, 0, LEN, RW, &m.iova)
			     : vfioiommu_dma_map(ctx, buf, LEN, RW, &m.iova);
	if (rc == 0 && !iommufd) {
		printf("FACT lu.CHECK_EXTENSION(UPDATE_VADDR).library_container_device_open=%d\n",
		       vt_ioctl_val(vfioiommu_ctx_container_fd(ctx), KABI_VFIO_CHECK_EXTENSION,
				 (void *)(uintptr_t)KABI_VFIO_UPDATE_VADDR));
		rc = vfioiommu_dma_vaddr_invalidate(ctx);
	}
	if (rc == 0)
		rc = vfioiommu_dma_export(ctx, m.blob, sizeof(m.blob), &need);
	if (rc < 0) {
		fprintf(stderr, "old side: %s\n", vfioiommu_strerror(ctx));
		return 11;
	}
	m.blob_len = (uint32_t)need;
	m.old_base = (uintptr_t)buf;
	if (iommufd) {
		e[0] = (struct vfioiommu_fd_entry){ .kind = VFIOIOMMU_FD_IOMMUFD, .fd = vfioiommu_ctx_iommufd_fd(ctx) };
		if (vfioiommu_ctx_ioas_id(ctx, &ioas) < 0)
			return 12;
		e[0].ioas_id = ioas;
		rc = vfioiommu_fds_send(ctx, sock, e, 1);
	} else {
		int grp = vfioiommu_device_group(dev);

		e[0] = (struct vfioiommu_fd_entry){ .kind = VFIOIOMMU_FD_CONTAINER, .fd = vfioiommu_ctx_container_fd(ctx) };
		e[1] = (struct vfioiommu_fd_entry){ .kind = VFIOIOMMU_FD_GROUP, .group = (uint32_t)grp,
						    .fd = vfioiommu_ctx_group_fd(ctx, (unsigned int)grp) };
		rc = vfioiommu_fds_send(ctx, sock, e, 2);
	}
	if (rc < 0 || write(sock, &m, sizeof(m)) != (ssize_t)sizeof(m)) {
		fprintf(stderr, "old side: send: %s\n", vfioiommu_strerror(ctx));
		return 13;
	}
	if (!iommufd) {
		/* after invalidate the context lets its groups be: the container keeps its IOMMU */
		vfioiommu_device_close(dev);
		vfioiommu_ctx_destroy(ctx);
	}
	/* iommufd: destroying the context would destroy the IOAS; exiting closes the fds only */
	return 0;
}

/* The new process: wait for the old one to be gone, take over, check the kernel still maps it. */
static int new_side(int mfd, int sock, bool iommufd, const char *tag)
{
	struct vfioiommu_ctx_opts o = { .size = sizeof(o),
					.mode = iommufd ? VFIOIOMMU_MODE_IOMMUFD : VFIOIOMMU_MODE_CONTAINER };
	struct vfioiommu_adopt_opts a = { .size = sizeof(a), .flags = VFIOIOMMU_ADOPT_LIVE };
	struct vfioiommu_fd_entry r[2];
	vfioiommu_ctx *ctx = NULL;
	struct msg m;
	unsigned int n = 0;
	char name[96], c;
	size_t cnt = 0;
	uint64_t iova = 0;
	void *guard = mmap(NULL, 3 * LEN, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	void *buf = mmap(NULL, LEN, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	int rc;

	(void)guard; /* moves buf away from where the old process had it */
	if (buf == MAP_FAILED || vfioiommu_ctx_new(&o, &ctx) < 0)
		return 20;
	rc = vfioiommu_fds_recv(ctx, sock, r, 2, &n);
	if (rc == 0 && read(sock, &m, sizeof(m)) != (ssize_t)sizeof(m))
		rc = -EIO;
	/* EOF: the old process has exited */
	if (rc == 0 && read(sock, &c, 1) != 0)
		rc = -EPROTO;
	snprintf(name, sizeof(name), "lu.%s.received", tag);
	vt_result(rc == 0 && n == (iommufd ? 1u : 2u), name, "%d n=%u %s", rc, n, vfioiommu_strerror(ctx));
	if (rc < 0)
		return 21;
	if (iommufd) {
		a.ioas_id = r[0].ioas_id;
		rc = vfioiommu_ctx_adopt(ctx, VFIOIOMMU_FD_IOMMUFD, r[0].fd, &a);
		snprintf(name, sizeof(name), "lu.%s.adopt", tag);
		vt_result(rc == 0, name, "%s", vfioiommu_strerror(ctx));
		rc = rc ? rc : vfioiommu_ctx_change_process(ctx);
		snprintf(name, sizeof(name), "lu.%s.change_process", tag);
		vt_result(rc == 0, name, "%s", vfioiommu_strerror(ctx));
	} else {
		printf("FACT lu.CHECK_EXTENSION(UPDATE_VADDR).new_process=%d\n",
		       vt_ioctl_val(r[0].fd, KABI_VFIO_CHECK_EXTENSION, (void *)(uintptr_t)KABI_VFIO_UPDATE_VADDR));
		rc = vfioiommu_ctx_adopt(ctx, VFIOIOMMU_FD_CONTAINER, r[0].fd, &a);
		a.group = r[1].group;
		if (rc == 0)
			rc = vfioiommu_ctx_adopt(ctx, VFIOIOMMU_FD_GROUP, r[1].fd, &a);
		snprintf(name, sizeof(name), "lu.%s.adopt_live", tag);
		vt_result(rc == 0, name, "%s", vfioiommu_strerror(ctx));
	}
	rc = rc ? rc : vfioiommu_dma_import(ctx, m.blob, m.blob_len);
	snprintf(name, sizeof(name), "lu.%s.import", tag);
	vt_result(rc == 0, name, "%s", vfioiommu_strerror(ctx));
	if (!iommufd && rc == 0) {
		rc = vfioiommu_dma_vaddr_rebase(ctx, m.old_base, LEN, buf, &cnt);
		snprintf(name, sizeof(name), "lu.%s.rebase", tag);
		vt_result(rc == 0 && cnt == 1 && (uintptr_t)buf != m.old_base, name, "%d cnt=%zu %s", rc, cnt,
			  vfioiommu_strerror(ctx));
		rc = rc ? rc : vfioiommu_dma_translate(ctx, (char *)buf + 4096, 16, &iova);
		snprintf(name, sizeof(name), "lu.%s.translate", tag);
		vt_result(rc == 0 && iova == m.iova + 4096, name, "%d iova 0x%" PRIx64, rc, iova);
		/* the same memory: what the old process wrote is there */
		snprintf(name, sizeof(name), "lu.%s.same_pages", tag);
		vt_result(((unsigned char *)buf)[LEN - 1] == 0x5a, name, "byte 0x%x", ((unsigned char *)buf)[LEN - 1]);
	}
	/* the kernel still holds it: a fixed map there is refused, the unmap covers exactly LEN */
	if (rc == 0) {
		uint64_t at = m.iova;

		/* the table knows it: a fixed map over it is refused before the kernel */
		rc = iommufd ? vfioiommu_dma_map_file(ctx, mfd, 0, 4096, RW | VFIOIOMMU_DMA_FIXED_IOVA, &at)
			     : vfioiommu_dma_map(ctx, buf, 4096, RW | VFIOIOMMU_DMA_FIXED_IOVA, &at);
		snprintf(name, sizeof(name), "lu.%s.known", tag);
		vt_result(rc == -EEXIST, name, "%s", vt_errname(rc));
		rc = vfioiommu_dma_unmap(ctx, m.iova, LEN);
		snprintf(name, sizeof(name), "lu.%s.kernel_kept_mapping", tag);
		vt_result(rc == 0, name, "%s", vfioiommu_strerror(ctx));
	}
	vfioiommu_ctx_destroy(ctx);
	munmap(buf, LEN);
	return rc == 0 ? 0 : 22;
}

static void handover(const char *bdf, bool iommufd)
{
	const char *tag = iommufd ? "iommufd" : "container";
	int mfd = memfd_create("lu", MFD_CLOEXEC), sv[2], st_old = -1, st_new = -1;
	pid_t old, nu;
	char name[64];

	if (mfd < 0 || ftruncate(mfd, LEN) < 0 || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		vt_result(false, "lu.setup", "memfd/socketpair: %s", strerror(errno));
		return;
	}
	fflush(stdout);
	nu = fork();
	if (nu == 0) {
		close(sv[0]);
		_exit(new_side(mfd, sv[1], iommufd, tag) ? 1 : (vt_nfail ? 1 : 0));
	}
	old = fork();
	if (old == 0) {
		close(sv[1]);
		_exit(old_side(bdf, mfd, sv[0], iommufd));
	}
	close(sv[0]);
	close(sv[1]);
	close(mfd);
	waitpid(old, &st_old, 0);
	waitpid(nu, &st_new, 0);
	snprintf(name, sizeof(name), "lu.%s.old_process", tag);
	vt_result(WIFEXITED(st_old) && WEXITSTATUS(st_old) == 0, name, "status 0x%x", st_old);
	snprintf(name, sizeof(name), "lu.%s.new_process", tag);
	vt_result(WIFEXITED(st_new) && WEXITSTATUS(st_new) == 0, name, "status 0x%x", st_new);
}

int main(void)
{
	const char *b = getenv("VFIOIOMMU_VM_BDFS");
	char bdf[32] = "";
	int mfd;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!b || sscanf(b, "%31s", bdf) != 1) {
		printf("no device\n");
		return 77;
	}
	mfd = memfd_create("lufacts", MFD_CLOEXEC);
	if (mfd >= 0 && ftruncate(mfd, LEN) == 0)
		facts(bdf, mfd);
	close(mfd);
	handover(bdf, false);
	handover(bdf, true);
	printf("%u passed, %u failed\n", vt_npass, vt_nfail);
	return vt_nfail ? 1 : 0;
}
