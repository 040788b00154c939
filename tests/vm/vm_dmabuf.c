/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * Guest program: a dma-buf revoked while the library has it mapped.
 *
 * IOMMUFD_TEST makes dma-bufs that iommufd maps as it maps vfio-pci's BAR
 * exports (IOMMU_TEST_OP_DMABUF_GET, op 22: {u32 length, u32 open_flags}, the
 * fd is the ioctl's return value) and revokes or restores them on demand
 * (IOMMU_TEST_OP_DMABUF_REVOKE, op 23: {s32 fd, u32 revoked}), as vfio-pci does
 * when the exporting device is closed or reset.  Through the public API on an
 * iommufd context: map the dma-buf with vfioiommu_dma_map_file(), revoke it,
 * map it again while revoked (-ENODEV), unmap the revoked mapping (0),
 * restore it and map it again, revoke it once more and let the context's
 * teardown unmap it.
 *
 * Environment: VFIOIOMMU_VM_BDFS (the first BDF).  Exit 0 all passed, 1 a
 * failure, 77 a kernel without IOMMUFD_TEST or without these two ops.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <vfioiommu.h>

#include "kabi/kabi.h"
#include "vmtest.h"

#define TEST_OP_DMABUF_GET 22u
#define TEST_OP_DMABUF_REVOKE 23u
#define LEN 0x4000u
#define RW (VFIOIOMMU_DMA_READ | VFIOIOMMU_DMA_WRITE)

static int test_cmd(int ifd, uint32_t op, const void *arg, size_t len)
{
	struct kabi_iommu_test_cmd c;
	int rc;

	kabi_test_cmd_init(&c, op, 0, arg, len);
	rc = ioctl(ifd, KABI_IOMMU_TEST_CMD, &c);
	return rc < 0 ? -errno : rc;
}

static int dmabuf_revoke(int ifd, int fd, bool on)
{
	struct { int32_t fd; uint32_t revoked; } a = { fd, on };

	return test_cmd(ifd, TEST_OP_DMABUF_REVOKE, &a, sizeof(a));
}

int main(void)
{
	struct vfioiommu_ctx_opts o = { .size = sizeof(o), .mode = VFIOIOMMU_MODE_IOMMUFD };
	const char *bdfs = getenv("VFIOIOMMU_VM_BDFS");
	struct { uint32_t length, open_flags; } get = { LEN, O_RDWR | O_CLOEXEC };
	vfioiommu_device *dev = NULL;
	vfioiommu_ctx *ctx = NULL;
	unsigned int fds0 = vt_open_fds();
	uint64_t iova = 0, iova2 = 0;
	char bdf[32] = "";
	int rc, ifd, fd;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!bdfs || sscanf(bdfs, "%31s", bdf) != 1) {
		printf("not ok - dmabuf.env: VFIOIOMMU_VM_BDFS is empty\n");
		return 1;
	}
	rc = vfioiommu_ctx_new(&o, &ctx);
	if (rc == 0)
		rc = vfioiommu_device_open(ctx, bdf, &dev);
	vt_result(rc == 0, "dmabuf.ctx", "iommufd context with %s: %d (%s)", bdf, rc, vfioiommu_strerror(ctx));
	if (rc)
		goto out;
	ifd = vfioiommu_ctx_iommufd_fd(ctx);
	fd = test_cmd(ifd, TEST_OP_DMABUF_GET, &get, sizeof(get));
	if (fd == -ENOTTY || fd == -EOPNOTSUPP) {
		printf("skip - dmabuf (IOMMU_TEST_CMD DMABUF_GET: %s: a kernel without IOMMUFD_TEST's dma-buf ops)\n",
		       strerror(-fd));
		vfioiommu_ctx_destroy(ctx);
		return 77;
	}
	vt_result(fd >= 0, "dmabuf.get", "DMABUF_GET: %s", fd < 0 ? strerror(-fd) : "");
	if (fd < 0)
		goto out;

	rc = vfioiommu_dma_map_file(ctx, fd, 0, LEN, RW, &iova);
	vt_result(rc == 0, "dmabuf.map_file", "rc %d (%s)", rc, vfioiommu_strerror(ctx));
	rc = dmabuf_revoke(ifd, fd, true);
	vt_result(rc == 0, "dmabuf.revoke", "DMABUF_REVOKE(1): %d", rc);
	rc = vfioiommu_dma_map_file(ctx, fd, 0, 0x1000, RW, &iova2);
	printf("# map_file of the revoked dma-buf: %d (%s)\n", rc, rc ? vfioiommu_strerror(ctx) : "");
	/* Linux 7.2: ENODEV (FACTS.md section 7) */
	vt_result(rc == -ENODEV, "dmabuf.map_revoked_refused", "rc %d (want -ENODEV) iova 0x%" PRIx64, rc, iova2);
	vt_result(rc != -ENODEV || strstr(vfioiommu_strerror(ctx), "revoked"), "dmabuf.map_revoked_message",
		  "the message does not say revoked: %s", vfioiommu_strerror(ctx));
	if (rc == 0)
		vfioiommu_dma_unmap_at(ctx, iova2);
	rc = vfioiommu_dma_unmap_at(ctx, iova);
	printf("# unmap of the revoked mapping: %d (%s)\n", rc, rc ? vfioiommu_strerror(ctx) : "");
	vt_result(rc == 0, "dmabuf.unmap_revoked", "rc %d (%s)", rc, vfioiommu_strerror(ctx));
	rc = dmabuf_revoke(ifd, fd, false);
	vt_result(rc == 0, "dmabuf.restore", "DMABUF_REVOKE(0): %d", rc);
	rc = vfioiommu_dma_map_file(ctx, fd, 0, LEN, RW, &iova);
	vt_result(rc == 0, "dmabuf.map_after_restore", "rc %d (%s)", rc, vfioiommu_strerror(ctx));
	/* revoked while mapped, then the fd closed: teardown must still unmap it */
	rc = dmabuf_revoke(ifd, fd, true);
	vt_result(rc == 0, "dmabuf.revoke_again", "DMABUF_REVOKE(1): %d", rc);
	close(fd);
out:
	vfioiommu_ctx_destroy(ctx);
	vt_result(vt_open_fds() == fds0, "dmabuf.no_fd_leak", "%u fds open after teardown, %u before", vt_open_fds(),
		  fds0);
	printf("dmabuf (real kernel): %u passed, %u failed\n", vt_npass, vt_nfail);
	return vt_nfail ? 1 : 0;
}
