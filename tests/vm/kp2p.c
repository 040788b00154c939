/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * The raw probe behind FACTS.md section 7: what Linux offers for mapping one
 * device's BAR for another device's DMA (peer to peer).
 *
 *  p.dmabuf.*   VFIO_DEVICE_FEATURE(GET | DMA_BUF) on the first NIC (through
 *               its cdev, bound to an iommufd by the library): the dma-buf fd
 *               of a BAR slice, and the errors around it;
 *  p.map_file.* IOMMU_IOAS_MAP_FILE of that dma-buf into the library's IOAS;
 *  p.iommufd_map_bar_va  IOMMU_IOAS_MAP of the BAR's mmap (process address);
 *  p.type1.*    VFIO_IOMMU_MAP_DMA of a BAR mmap as vaddr, on a type1v2
 *               container holding the second NIC (through the library's
 *               vfioiommu_dma_map, which passes the address to the kernel).
 *
 * The library opens the devices and gives the fds; every measured call is a
 * raw ioctl.  Prints "FACT <topology>.p.<key>=<value>"; run it by hand:
 *   tests/vm/run-vm.sh --topology intel,amd,virtio build/tests/vm/kp2p
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <vfioiommu.h>

#include "kabi/kabi.h"

#define FEAT_GET (1u << 16)
#define FEAT_PROBE (1u << 18)
#define FEAT_DMA_BUF 11u

static const char *topo = "?";

static const char *en(int rc)
{
	static char b[4][32];
	static unsigned int i;
	char *s = b[i++ % 4];

	if (rc >= 0)
		snprintf(s, 32, "ok");
	else
		snprintf(s, 32, "%s", strerrorname_np(-rc) ? strerrorname_np(-rc) : "?");
	return s;
}

#define FACT(key, ...)                                   \
	do {                                             \
		printf("FACT %s.p.%s=", topo, key);      \
		printf(__VA_ARGS__);                     \
		printf("\n");                            \
	} while (0)

struct dmabuf_req {
	uint32_t argsz, flags;
	uint32_t region_index, open_flags, dflags, nr_ranges;
	struct {
		uint64_t offset, length;
	} r[2];
};

/* VFIO_DEVICE_FEATURE(GET | DMA_BUF): the fd (>= 0) or -errno. */
static int get_dmabuf(int devfd, uint32_t region, uint32_t nr, uint64_t off0, uint64_t len0, uint64_t off1,
		      uint64_t len1, uint32_t dflags, uint32_t open_flags)
{
	struct dmabuf_req q = {
		.argsz = (uint32_t)(8 + 16 + 16 * (nr > 2 ? 2 : nr)),
		.flags = FEAT_GET | FEAT_DMA_BUF,
		.region_index = region,
		.open_flags = open_flags,
		.dflags = dflags,
		.nr_ranges = nr,
		.r = { { off0, len0 }, { off1, len1 } },
	};
	int rc = ioctl(devfd, KABI_VFIO_DEVICE_FEATURE, &q);

	return rc < 0 ? -errno : rc;
}

static int map_file(int ifd, uint32_t ioas, int fd, uint64_t start, uint64_t len, uint64_t *iova, bool fixed)
{
	struct kabi_iommu_ioas_map_file m = {
		.size = sizeof(m),
		.flags = KABI_IOMMU_IOAS_MAP_READABLE | KABI_IOMMU_IOAS_MAP_WRITEABLE |
			 (fixed ? KABI_IOMMU_IOAS_MAP_FIXED_IOVA : 0),
		.ioas_id = ioas,
		.fd = fd,
		.start = start,
		.length = len,
		.iova = *iova,
	};
	int rc = ioctl(ifd, KABI_IOMMU_IOAS_MAP_FILE, &m);

	*iova = m.iova;
	return rc < 0 ? -errno : 0;
}

static int unmap(int ifd, uint32_t ioas, uint64_t iova, uint64_t len, uint64_t *got)
{
	struct kabi_iommu_ioas_unmap u = { .size = sizeof(u), .ioas_id = ioas, .iova = iova, .length = len };
	int rc = ioctl(ifd, KABI_IOMMU_IOAS_UNMAP, &u);

	*got = u.length;
	return rc < 0 ? -errno : 0;
}

static void iommufd_side(const char *bdf)
{
	struct vfioiommu_ctx_opts o = { .size = sizeof(o), .mode = VFIOIOMMU_MODE_IOMMUFD };
	struct vfioiommu_region_info ri = { .size = sizeof(ri) };
	vfioiommu_device *dev = NULL;
	vfioiommu_ctx *ctx = NULL;
	uint32_t ioas = 0;
	uint64_t iova, got;
	int rc, devfd, ifd, fd;
	void *bar = NULL;
	struct stat st;

	if (vfioiommu_ctx_new(&o, &ctx) || vfioiommu_device_open(ctx, bdf, &dev) ||
	    vfioiommu_ctx_ioas_id(ctx, &ioas)) {
		FACT("setup", "FAILED: %s", vfioiommu_strerror(ctx));
		vfioiommu_ctx_destroy(ctx);
		return;
	}
	devfd = vfioiommu_device_fd(dev);
	ifd = vfioiommu_ctx_iommufd_fd(ctx);
	rc = vfioiommu_region_info(dev, 0, &ri);
	FACT("bar0", "%s size=0x%" PRIx64 " flags=0x%x", en(rc), ri.region_size, ri.flags);

	{
		struct { uint32_t argsz, flags; } pr = { 8, FEAT_PROBE | FEAT_GET | FEAT_DMA_BUF };
		rc = ioctl(devfd, KABI_VFIO_DEVICE_FEATURE, &pr) < 0 ? -errno : 0;
		FACT("dmabuf.PROBE_GET", "%s", en(rc));
		pr.flags = FEAT_PROBE | (1u << 17) | FEAT_DMA_BUF;
		rc = ioctl(devfd, KABI_VFIO_DEVICE_FEATURE, &pr) < 0 ? -errno : 0;
		FACT("dmabuf.PROBE_SET", "%s", en(rc));
	}
	fd = get_dmabuf(devfd, 0, 1, 0, ri.region_size, 0, 0, 0, O_RDWR | O_CLOEXEC);
	if (fd >= 0 && fstat(fd, &st) == 0) {
		char link[64], target[128] = "";
		ssize_t n;

		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		n = readlink(link, target, sizeof(target) - 1);
		if (n > 0)
			target[n] = '\0';
		FACT("dmabuf.bar0_whole", "ok fd_is=%s size=%lld fcntl=0x%x", target, (long long)st.st_size,
		     (unsigned int)fcntl(fd, F_GETFL));
	} else {
		FACT("dmabuf.bar0_whole", "%s", en(fd));
	}
#define TRY(key, ...)                                                  \
	do {                                                           \
		int f_ = get_dmabuf(devfd, __VA_ARGS__);               \
		FACT(key, "%s", en(f_));                               \
		if (f_ >= 0)                                           \
			close(f_);                                     \
	} while (0)
	TRY("dmabuf.nr_ranges_0", 0, 0, 0, 0x1000, 0, 0, 0, O_RDWR);
	TRY("dmabuf.flags_1", 0, 1, 0, 0x1000, 0, 0, 1, O_RDWR);
	TRY("dmabuf.first_page", 0, 1, 0, 0x1000, 0, 0, 0, O_RDWR);
	TRY("dmabuf.offset_0x800", 0, 1, 0x800, 0x1000, 0, 0, 0, O_RDWR);
	TRY("dmabuf.length_0x800", 0, 1, 0, 0x800, 0, 0, 0, O_RDWR);
	TRY("dmabuf.length_0", 0, 1, 0, 0, 0, 0, 0, O_RDWR);
	TRY("dmabuf.past_bar_end", 0, 1, ri.region_size - 0x1000, 0x2000, 0, 0, 0, O_RDWR);
	TRY("dmabuf.two_ranges", 0, 2, 0, 0x1000, 0x2000, 0x1000, 0, O_RDWR);
	TRY("dmabuf.region1_bar1", 1, 1, 0, 0x1000, 0, 0, 0, O_RDWR);
	TRY("dmabuf.region2_io_bar", 2, 1, 0, 0x20, 0, 0, 0, O_RDWR);
	TRY("dmabuf.region4_empty_bar", 4, 1, 0, 0x1000, 0, 0, 0, O_RDWR);
	TRY("dmabuf.region6_rom", 6, 1, 0, 0x1000, 0, 0, 0, O_RDWR);
	TRY("dmabuf.region7_config", 7, 1, 0, 0x1000, 0, 0, 0, O_RDWR);
	TRY("dmabuf.open_flags_O_RDONLY", 0, 1, 0, 0x1000, 0, 0, 0, O_RDONLY);
	TRY("dmabuf.open_flags_O_NONBLOCK", 0, 1, 0, 0x1000, 0, 0, 0, O_RDWR | O_NONBLOCK);
	{
		struct dmabuf_req q = { .argsz = 16, .flags = FEAT_GET | FEAT_DMA_BUF, .nr_ranges = 1 };
		int r = ioctl(devfd, KABI_VFIO_DEVICE_FEATURE, &q) < 0 ? -errno : 0;
		FACT("dmabuf.argsz_16", "%s", en(r));
		q.argsz = 24;
		q.r[0].length = 0x1000;
		r = ioctl(devfd, KABI_VFIO_DEVICE_FEATURE, &q);
		r = r < 0 ? -errno : r;
		FACT("dmabuf.argsz_24_nr1", "%s", en(r));
		if (r >= 0)
			close(r);
	}

	if (fd >= 0) {
		iova = 0x100000;
		rc = map_file(ifd, ioas, fd, 0, ri.region_size, &iova, true);
		FACT("map_file.bar0_whole_fixed_0x100000", "%s", en(rc));
		if (rc == 0) {
			rc = unmap(ifd, ioas, 0x100000, ri.region_size, &got);
			FACT("map_file.unmap", "%s length=0x%" PRIx64, en(rc), got);
		}
		iova = 0;
		rc = map_file(ifd, ioas, fd, 0, 0x1000, &iova, false);
		FACT("map_file.first_page_not_fixed", "%s iova=0x%" PRIx64, en(rc), iova);
		if (rc == 0)
			unmap(ifd, ioas, iova, 0x1000, &got);
		iova = 0x200000;
		rc = map_file(ifd, ioas, fd, 0x1000, 0x2000, &iova, true);
		FACT("map_file.start_0x1000_len_0x2000", "%s", en(rc));
		if (rc == 0)
			unmap(ifd, ioas, 0x200000, 0x2000, &got);
		iova = 0x300000;
		rc = map_file(ifd, ioas, fd, 0, ri.region_size + 0x1000, &iova, true);
		FACT("map_file.past_dmabuf_end", "%s", en(rc));
		if (rc == 0)
			unmap(ifd, ioas, 0x300000, ri.region_size + 0x1000, &got);
		iova = 0x400000;
		rc = map_file(ifd, ioas, fd, 0x800, 0x1000, &iova, true);
		FACT("map_file.start_0x800", "%s", en(rc));
		if (rc == 0)
			unmap(ifd, ioas, 0x400000, 0x1000, &got);
		/* the kernel's reference: close our fd while mapped */
		iova = 0x500000;
		rc = map_file(ifd, ioas, fd, 0, 0x1000, &iova, true);
		close(fd);
		fd = -1;
		if (rc == 0) {
			rc = unmap(ifd, ioas, 0x500000, 0x1000, &got);
			FACT("map_file.unmap_after_close_dmabuf_fd", "%s length=0x%" PRIx64, en(rc), got);
		} else {
			FACT("map_file.unmap_after_close_dmabuf_fd", "map failed: %s", en(rc));
		}
	}
	if (fd >= 0)
		close(fd);

	/* a memfd through the same call, for comparison */
	{
		int mfd = memfd_create("kp2p", MFD_CLOEXEC);
		if (mfd >= 0 && ftruncate(mfd, 0x2000) == 0) {
			iova = 0x600000;
			rc = map_file(ifd, ioas, mfd, 0, 0x2000, &iova, true);
			FACT("map_file.memfd", "%s", en(rc));
			if (rc == 0)
				unmap(ifd, ioas, 0x600000, 0x2000, &got);
		}
		if (mfd >= 0)
			close(mfd);
	}

	/* the BAR's process address through IOAS_MAP */
	if (vfioiommu_region_mmap(dev, 0, 0, 0x1000, 0, &bar) == 0) {
		struct kabi_iommu_ioas_map m = {
			.size = sizeof(m),
			.flags = KABI_IOMMU_IOAS_MAP_FIXED_IOVA | KABI_IOMMU_IOAS_MAP_READABLE |
				 KABI_IOMMU_IOAS_MAP_WRITEABLE,
			.ioas_id = ioas,
			.user_va = (uint64_t)(uintptr_t)bar,
			.length = 0x1000,
			.iova = 0x700000,
		};
		rc = ioctl(ifd, KABI_IOMMU_IOAS_MAP, &m) < 0 ? -errno : 0;
		FACT("iommufd_map_bar_va", "%s", en(rc));
		if (rc == 0)
			unmap(ifd, ioas, 0x700000, 0x1000, &got);
		vfioiommu_region_munmap(dev, bar);
	} else {
		FACT("iommufd_map_bar_va", "mmap failed: %s", vfioiommu_strerror(ctx));
	}
	vfioiommu_ctx_destroy(ctx);
}

static void type1_side(const char *bdf)
{
	struct vfioiommu_ctx_opts o = { .size = sizeof(o), .mode = VFIOIOMMU_MODE_CONTAINER };
	vfioiommu_device *dev = NULL;
	vfioiommu_ctx *ctx = NULL;
	uint64_t iova = 0x100000;
	void *bar = NULL;
	int rc;

	if (vfioiommu_ctx_new(&o, &ctx) || vfioiommu_device_open(ctx, bdf, &dev)) {
		FACT("type1.setup", "FAILED: %s", vfioiommu_strerror(ctx));
		vfioiommu_ctx_destroy(ctx);
		return;
	}
	{
		int devfd = vfioiommu_device_fd(dev);
		struct { uint32_t argsz, flags; } pr = { 8, FEAT_PROBE | FEAT_GET | FEAT_DMA_BUF };
		rc = ioctl(devfd, KABI_VFIO_DEVICE_FEATURE, &pr) < 0 ? -errno : 0;
		FACT("type1.dmabuf.PROBE_GET_group_fd", "%s", en(rc));
	}
	rc = vfioiommu_region_mmap(dev, 0, 0, 0x20000, 0, &bar);
	FACT("type1.bar0_mmap", "%s", en(rc));
	if (rc == 0) {
		rc = vfioiommu_dma_map(ctx, bar, 0x20000, VFIOIOMMU_DMA_READ | VFIOIOMMU_DMA_WRITE |
				       VFIOIOMMU_DMA_FIXED_IOVA, &iova);
		FACT("type1.MAP_DMA_bar0_mmap_vaddr", "%s%s%s", en(rc), rc ? ": " : "", rc ? vfioiommu_strerror(ctx) : "");
		if (rc == 0) {
			uint64_t got = 0;
			rc = vfioiommu_dma_translate(ctx, (uint8_t *)bar + 0x1000, 0x1000, &got);
			FACT("type1.translate_bar_va", "%s iova=0x%" PRIx64, en(rc), got);
			rc = vfioiommu_dma_unmap(ctx, 0x100000, 0x20000);
			FACT("type1.UNMAP_DMA_bar0", "%s", en(rc));
		}
		vfioiommu_region_munmap(dev, bar);
	}
	vfioiommu_ctx_destroy(ctx);
}

int main(void)
{
	const char *bdfs = getenv("VFIOIOMMU_VM_BDFS");
	char a[32] = "", b[32] = "";

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (getenv("VFIOIOMMU_VM_TOPOLOGY"))
		topo = getenv("VFIOIOMMU_VM_TOPOLOGY");
	if (!bdfs || sscanf(bdfs, "%31s %31s", a, b) != 2) {
		printf("kp2p: VFIOIOMMU_VM_BDFS needs two BDFs\n");
		return 1;
	}
	iommufd_side(a);
	type1_side(b);
	printf("KP2P DONE\n");
	return 0;
}
