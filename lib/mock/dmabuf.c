/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * VFIO_DEVICE_FEATURE(GET | DMA_BUF): a BAR slice exported as a dma-buf, with
 * the answers Linux 7.2 gave (tests/vm/FACTS.md section 7).  The mock's
 * dma-buf is a memfd as large as the ranges (IOMMU_IOAS_MAP_FILE then checks
 * it as the kernel checks a dma-buf: by its size); it does not share the
 * BAR's bytes, which no mock test reaches through an IOVA.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kabi/kabi.h"
#include "mock.h"

/* the mock reads at most this many ranges; the kernel copies all nr_ranges (UNVERIFIED above 2) */
#define DMABUF_MAX_RANGES 64

int vm_dmabuf_feature(struct vfioiommu_mock *m, struct vm_device *d, void *arg)
{
	const uint32_t known = KABI_VFIO_DEVICE_FEATURE_MASK | KABI_VFIO_DEVICE_FEATURE_GET |
			       KABI_VFIO_DEVICE_FEATURE_SET | KABI_VFIO_DEVICE_FEATURE_PROBE;
	struct kabi_vfio_feature_dma_buf q;
	const unsigned char *r;
	uint64_t size, total = 0;
	uint32_t kflags;
	int fd;

	(void)m;
	if (!arg)
		return -EFAULT;
	memcpy(&q, arg, 8);
	if (q.argsz < 8 || (q.flags & ~known))
		return -EINVAL;
	/* vfio-pci serves no other feature here */
	if ((q.flags & KABI_VFIO_DEVICE_FEATURE_MASK) != KABI_VFIO_DEVICE_FEATURE_DMA_BUF)
		return -ENOTTY;
	/* FACTS: PROBE with GET ok, with SET EINVAL; a plain SET EINVAL */
	if (q.flags & KABI_VFIO_DEVICE_FEATURE_SET)
		return -EINVAL;
	if (q.flags & KABI_VFIO_DEVICE_FEATURE_PROBE)
		return 0;
	if (!(q.flags & KABI_VFIO_DEVICE_FEATURE_GET) || q.argsz < KABI_FEATURE_DMA_BUF_MIN)
		return -EINVAL;
	memcpy(&q, arg, KABI_FEATURE_DMA_BUF_MIN);
	if (!q.nr_ranges || q.dmabuf_flags || q.nr_ranges > DMABUF_MAX_RANGES)
		return -EINVAL;
	/* FACTS: ROM, config space and an unused BAR ENODEV; an I/O BAR EINVAL */
	if (q.region_index >= 6 || vm_devmodel_region(d, q.region_index, &size, &kflags) < 0 || !size)
		return -ENODEV;
	if (!(kflags & KABI_VFIO_REGION_INFO_FLAG_MMAP))
		return -EINVAL;
	r = (const unsigned char *)arg + KABI_FEATURE_DMA_BUF_MIN;
	for (uint32_t i = 0; i < q.nr_ranges; i++) {
		struct kabi_vfio_region_dma_range one;

		memcpy(&one, r + (size_t)i * sizeof(one), sizeof(one));
		if (!one.length || ((one.offset | one.length) & 0xfff) || one.offset > size ||
		    one.length > size - one.offset)
			return -EINVAL;
		total += one.length;
	}
	fd = memfd_create("dmabuf", (q.open_flags & O_CLOEXEC) ? MFD_CLOEXEC : 0);
	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)total) < 0) {
		int e = -errno;

		close(fd);
		return e;
	}
	return fd;
}
