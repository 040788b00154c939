/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * Raw probe (run by hand with run-vm.sh): what Linux 7.2's mtty does with
 * migration v2, for FACTS.md before the library wraps it.  Opens a mtty
 * device with the library, then speaks the uAPI itself with its own struct
 * definitions: the MIGRATION feature flags, each single arc from RUNNING and
 * from STOP (accepted or the errno, the state after, whether a data fd came),
 * GET_PRECOPY_INFO and MIG_DATA_SIZE.  Prints "FACT name=value" lines.
 *
 * Each line names the SET's target and the state before it; the state
 * after is printed, so the probe never assumes where a failure left it.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <sys/mman.h>

#include <vfioiommu.h>

#include "backend/internal.h"

#define U1 "8c3e2a10-0000-4000-8000-0000000000f1"
#define FEATURE _IO(';', 100 + 17)
#define PRECOPY_INFO _IO(';', 100 + 21)
#define F_GET (1u << 16)
#define F_SET (1u << 17)
#define F_PROBE (1u << 18)

struct feat { uint32_t argsz, flags; uint64_t data[2]; };
static const char *const names[] = { "ERROR", "STOP", "RUNNING", "STOP_COPY", "RESUMING", "RUNNING_P2P",
				     "PRE_COPY", "PRE_COPY_P2P" };

static int fd;

static int get_state(void)
{
	struct feat f = { .argsz = 16, .flags = F_GET | 2 };
	if (ioctl(fd, FEATURE, &f) < 0)
		return -errno;
	return (int)(uint32_t)f.data[0];
}

/* set state; returns data fd (>= 0), -1 for none, or -errno - 1000 */
static int set_state(uint32_t s)
{
	struct feat f = { .argsz = 16, .flags = F_SET | 2 };
	f.data[0] = s;
	if (ioctl(fd, FEATURE, &f) < 0)
		return -1000 - errno;
	return (int32_t)(f.data[0] >> 32);
}

static const char *st_name(int s)
{
	return s >= 0 && s < 8 ? names[s] : "?";
}

static const char *err_of(int r)
{
	return r <= -1000 ? strerror(-(r + 1000)) : "ok";
}

/* one SET, printed: FACT NAME=ok|errno fd=yes|no now=STATE */
static int step(const char *name, uint32_t to)
{
	int r = set_state(to);
	printf("FACT %s=%s fd=%s now=%s\n", name, err_of(r), r >= 0 ? "yes" : "no", st_name(get_state()));
	return r;
}

/* VFIO_DEVICE_RESET, then the state (two statements: argument order is unspecified) */
static void reset(const char *name)
{
	int r = ioctl(fd, _IO(';', 100 + 11));
	const char *e = r < 0 ? strerror(errno) : "ok";

	printf("FACT %s=%s now=%s\n", name, e, st_name(get_state()));
}

static ssize_t drain(int dfd)
{
	char buf[4096];
	ssize_t n, tot = 0;

	while ((n = read(dfd, buf, sizeof(buf))) > 0)
		tot += n;
	return n < 0 ? -errno : tot;
}

/* type1 VFIO_IOMMU_DIRTY_PAGES on the first NIC's container (VFIO_BASE + 17 on a container) */
struct t1_get {
	uint32_t argsz, flags;
	uint64_t iova, size;
	uint64_t pgsize, bsize, data;
};

static int t1(int cfd, uint32_t flags, uint64_t iova, uint64_t size, uint64_t pgsize, uint64_t *bm, uint64_t bsize)
{
	struct t1_get g = { sizeof(g), flags, iova, size, pgsize, bsize, (uint64_t)(uintptr_t)bm };

	if (!(flags & 4))
		g.argsz = 8;
	return ioctl(cfd, _IO(';', 100 + 17), &g) < 0 ? -errno : 0;
}

static void type1_dirty(const char *bdf)
{
	struct vfioiommu_ctx_opts o = { .size = sizeof(o), .mode = VFIOIOMMU_MODE_CONTAINER };
	vfioiommu_ctx *c = NULL;
	vfioiommu_device *d = NULL;
	uint64_t bm[64], i1 = 0x100000, i2 = 0x300000;
	char *buf = mmap(NULL, 4 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct vfioiommu_iommu_info info = { .size = sizeof(info) };
	int cfd, rc;

	if (vfioiommu_ctx_new(&o, &c) < 0 || vfioiommu_device_open(c, bdf, &d) < 0) {
		printf("FACT t1.setup=%s\n", c ? vfioiommu_strerror(c) : "no ctx");
		return;
	}
	vfioiommu_dma_map(c, buf, 1 << 20, VFIOIOMMU_DMA_READ | VFIOIOMMU_DMA_WRITE | VFIOIOMMU_DMA_FIXED_IOVA, &i1);
	vfioiommu_dma_map(c, buf + (2 << 20), 1 << 20, VFIOIOMMU_DMA_READ | VFIOIOMMU_DMA_WRITE | VFIOIOMMU_DMA_FIXED_IOVA, &i2);
	rc = vfioiommu_ctx_iommu_info(c, &info, NULL);
	printf("FACT t1.migration_cap=%d has=%d flags=%u pgsizes=0x%" PRIx64 " max_bitmap=0x%" PRIx64 "\n", rc,
	       info.has_migration, info.migration_flags, info.migration_pgsizes, info.max_dirty_bitmap_size);
	cfd = vi_container_fd(c);
	printf("FACT t1.get_before_start=%s\n", strerror(-t1(cfd, 4, i1, 1 << 20, 4096, bm, sizeof(bm))));
	printf("FACT t1.start=%s\n", strerror(-t1(cfd, 1, 0, 0, 0, NULL, 0)));
	printf("FACT t1.start_again=%s\n", strerror(-t1(cfd, 1, 0, 0, 0, NULL, 0)));
	printf("FACT t1.start_and_stop_flags=%s\n", strerror(-t1(cfd, 3, 0, 0, 0, NULL, 0)));
	memset(bm, 0, sizeof(bm));
	rc = t1(cfd, 4, i1, 1 << 20, 4096, bm, 32);
	printf("FACT t1.get=%s bm0=0x%" PRIx64 " bm3=0x%" PRIx64 " bm4=0x%" PRIx64 "\n", strerror(-rc), bm[0], bm[3], bm[4]);
	memset(bm, 0, sizeof(bm));
	rc = t1(cfd, 4, i1, 1 << 20, 4096, bm, 32);
	printf("FACT t1.get_again=%s bm0=0x%" PRIx64 "\n", strerror(-rc), bm[0]);
	memset(bm, 0, sizeof(bm));
	rc = t1(cfd, 4, i1, 3 << 20, 4096, bm, sizeof(bm));
	printf("FACT t1.get_two_maps_and_gap=%s bm0=0x%" PRIx64 " bm4=0x%" PRIx64 " bm8=0x%" PRIx64 "\n", strerror(-rc),
	       bm[0], bm[4], bm[8]);
	printf("FACT t1.get_bisect_start=%s\n", strerror(-t1(cfd, 4, i1 + 0x1000, (1 << 20) - 0x1000, 4096, bm, 32)));
	printf("FACT t1.get_bisect_end=%s\n", strerror(-t1(cfd, 4, i1, (1 << 20) - 0x1000, 4096, bm, 32)));
	printf("FACT t1.get_unmapped=%s\n", strerror(-t1(cfd, 4, 0x10000000, 1 << 20, 4096, bm, 32)));
	printf("FACT t1.get_pgsize8192=%s\n", strerror(-t1(cfd, 4, i1, 1 << 20, 8192, bm, 32)));
	printf("FACT t1.get_small_bitmap=%s\n", strerror(-t1(cfd, 4, i1, 1 << 20, 4096, bm, 24)));
	printf("FACT t1.get_unaligned=%s\n", strerror(-t1(cfd, 4, i1 + 0x800, 1 << 20, 4096, bm, 32)));
	printf("FACT t1.get_size0=%s\n", strerror(-t1(cfd, 4, i1, 0, 4096, bm, 32)));
	{
		struct { uint32_t argsz, flags; uint64_t iova, size, pgsize, bsize, data; } u = {
			sizeof(u), 1, i2, 1 << 20, 4096, 32, (uint64_t)(uintptr_t)bm };
		memset(bm, 0, sizeof(bm));
		rc = ioctl(cfd, _IO(';', 100 + 14), &u) < 0 ? -errno : 0;
		printf("FACT t1.unmap_get_dirty=%s size=0x%" PRIx64 " bm0=0x%" PRIx64 "\n", strerror(-rc), u.size, bm[0]);
	}
	printf("FACT t1.stop=%s\n", strerror(-t1(cfd, 2, 0, 0, 0, NULL, 0)));
	printf("FACT t1.stop_again=%s\n", strerror(-t1(cfd, 2, 0, 0, 0, NULL, 0)));
	printf("FACT t1.get_after_stop=%s\n", strerror(-t1(cfd, 4, i1, 1 << 20, 4096, bm, 32)));
	vfioiommu_device_close(d);
	vfioiommu_ctx_destroy(c);
	munmap(buf, 4 << 20);
}

int main(void)
{
	struct vfioiommu_ctx_opts o = { .size = sizeof(o), .mode = VFIOIOMMU_MODE_IOMMUFD };
	vfioiommu_ctx *ctx;
	vfioiommu_device *dev;
	struct feat f = { .argsz = 16, .flags = F_GET | 1 };
	struct feat ds = { .argsz = 16, .flags = F_GET | 9 };
	char saved[4096];
	ssize_t nsaved = 0;
	int rc, dfd, dfd2;

	if (vfioiommu_ctx_new(&o, &ctx) < 0 || vfioiommu_mdev_create(ctx, "mtty", "mtty-2", U1) < 0 ||
	    vfioiommu_device_open(ctx, U1, &dev) < 0) {
		printf("FACT setup=%s\n", ctx ? vfioiommu_strerror(ctx) : "no ctx");
		return 1;
	}
	if (getenv("VFIOIOMMU_VM_BDFS") && strlen(getenv("VFIOIOMMU_VM_BDFS")) >= 12) {
		char bdf[13];
		snprintf(bdf, sizeof(bdf), "%.12s", getenv("VFIOIOMMU_VM_BDFS"));
		type1_dirty(bdf);
	}
	fd = vfioiommu_device_fd(dev);
	rc = ioctl(fd, FEATURE, &f);
	printf("FACT mig.flags=%s 0x%" PRIx64 "\n", rc < 0 ? strerror(errno) : "ok", f.data[0]);
	f.argsz = 8;
	rc = ioctl(fd, FEATURE, &f);
	printf("FACT mig.flags.argsz8=%s\n", rc < 0 ? strerror(errno) : "ok");
	for (uint32_t feat = 1; feat <= 11; feat++) {
		struct feat p = { .argsz = 16, .flags = F_PROBE | F_GET | feat };
		struct feat q = { .argsz = 16, .flags = F_PROBE | F_SET | feat };
		int r1 = ioctl(fd, FEATURE, &p), e1 = errno, r2 = ioctl(fd, FEATURE, &q), e2 = errno;
		printf("FACT probe.feature%u=get:%s set:%s\n", feat, r1 < 0 ? strerror(e1) : "ok", r2 < 0 ? strerror(e2) : "ok");
	}
	rc = ioctl(fd, FEATURE, &ds);
	printf("FACT mig_data_size.RUNNING=%s %" PRIu64 "\n", rc < 0 ? strerror(errno) : "ok", ds.data[0]);
	printf("FACT state.initial=%s\n", st_name(get_state()));
	/* multi-arc targets in one SET (the driver walks them) */
	step("set.RUNNING->ERROR", 0);
	step("set.RUNNING->8", 8);
	step("set.RUNNING->RUNNING", 2);
	dfd = step("set.RUNNING->STOP_COPY", 3);
	if (dfd >= 0) {
		nsaved = read(dfd, saved, sizeof(saved));
		printf("FACT stop_copy.first_read=%zd then=%zd\n", nsaved, drain(dfd));
		printf("FACT stop_copy.pread=%s\n", pread(dfd, saved + 2048, 8, 0) < 0 ? strerror(errno) : "ok");
	}
	step("set.STOP_COPY->PRE_COPY", 6);
	step("set.STOP_COPY->RUNNING", 2);
	if (dfd >= 0) {
		printf("FACT stop_copy.read_after_leaving=%zd\n", drain(dfd));
		close(dfd);
	}
	/* precopy: the fd, its info, then STOP_COPY on the same fd */
	dfd = step("set.RUNNING->PRE_COPY", 6);
	if (dfd >= 0) {
		uint64_t pi[3] = { 24, 0, 0 };
		rc = ioctl(dfd, PRECOPY_INFO, pi);
		printf("FACT precopy_info=%s initial=%" PRIu64 " dirty=%" PRIu64 "\n", rc < 0 ? strerror(errno) : "ok", pi[1], pi[2]);
		pi[0] = 16;
		printf("FACT precopy_info.argsz16=%s\n", ioctl(dfd, PRECOPY_INFO, pi) < 0 ? strerror(errno) : "ok");
		printf("FACT precopy.drain=%zd\n", drain(dfd));
		pi[0] = 24;
		rc = ioctl(dfd, PRECOPY_INFO, pi);
		printf("FACT precopy_info.after_drain=%s initial=%" PRIu64 "\n", rc < 0 ? strerror(errno) : "ok", pi[1]);
		rc = ioctl(fd, FEATURE, &ds);
		printf("FACT mig_data_size.PRE_COPY=%s %" PRIu64 "\n", rc < 0 ? strerror(errno) : "ok", ds.data[0]);
		dfd2 = step("set.PRE_COPY->STOP_COPY", 3);
		printf("FACT precopy_fd.after_stop_copy.drain=%zd\n", drain(dfd));
		pi[0] = 24;
		printf("FACT precopy_info.in_STOP_COPY=%s\n", ioctl(dfd, PRECOPY_INFO, pi) < 0 ? strerror(errno) : "ok");
		if (dfd2 >= 0)
			close(dfd2);
		step("set.STOP_COPY->STOP", 1);
		close(dfd);
	}
	/* resuming: a good stream, a truncated one, a corrupt one, one too long */
	dfd = step("set.STOP->RESUMING", 4);
	if (dfd >= 0 && nsaved > 0) {
		printf("FACT resume.write_all=%zd\n", write(dfd, saved, (size_t)nsaved));
		step("set.RESUMING->RUNNING", 2);
		close(dfd);
	}
	step("set.RUNNING->RESUMING", 4);
	step("set.RESUMING->STOP_empty", 1);
	reset("reset_in_RESUMING");
	dfd = step("set.->RESUMING(2)", 4);
	if (dfd >= 0 && nsaved > 0) {
		printf("FACT resume.write_half=%zd\n", write(dfd, saved, (size_t)nsaved / 2));
		step("set.RESUMING->STOP_truncated", 1);
		close(dfd);
	}
	reset("reset2");
	dfd = step("set.->RESUMING(3)", 4);
	if (dfd >= 0 && nsaved > 0) {
		char bad[4096];
		memcpy(bad, saved, (size_t)nsaved);
		bad[0] ^= 0x5a;
		rc = (int)write(dfd, bad, (size_t)nsaved);
		printf("FACT resume.write_corrupt_magic=%s\n", rc < 0 ? strerror(errno) : "ok");
		rc = (int)write(dfd, saved, (size_t)nsaved);
		printf("FACT resume.write_after=%s %d\n", rc < 0 ? strerror(errno) : "ok", rc);
		step("set.RESUMING->STOP_corrupt", 1);
		close(dfd);
	}
	reset("reset3");
	dfd = step("set.->RESUMING(4)", 4);
	if (dfd >= 0 && nsaved > 0) {
		char big[8192] = { 0 };
		rc = (int)write(dfd, big, (size_t)nsaved + 1);
		printf("FACT resume.write_too_long=%s\n", rc < 0 ? strerror(errno) : "ok");
		close(dfd);
		step("set.RESUMING->STOP_closed_fd", 1);
	}
	reset("reset4");
	/* device DMA logging (features 6 START, 7 STOP, 8 REPORT) */
	{
		struct { uint32_t argsz, flags; uint64_t page_size; uint32_t num_ranges, rsv; uint64_t ranges; } c;
		struct { uint64_t iova, length; } rg[300];
		struct { uint32_t argsz, flags; uint64_t iova, length, page_size, bitmap; } rep;
		uint64_t bm[64];
		struct { uint32_t argsz, flags; } stop = { 8, F_SET | 7 };
		static const struct { const char *name; uint32_t n; uint64_t ps, iova0, len0, iova1; } cs[] = {
			{ "start.ok", 1, 4096, 0x100000, 0x10000, 0 },
			{ "start.again", 1, 4096, 0x100000, 0x10000, 0 },
			{ "start.0ranges", 0, 4096, 0x100000, 0x10000, 0 },
			{ "start.257ranges", 257, 4096, 0x100000, 0x1000, 0 },
			{ "start.256ranges", 256, 4096, 0x100000, 0x1000, 0 },
			{ "start.unaligned", 1, 4096, 0x100800, 0x10000, 0 },
			{ "start.overlap", 2, 4096, 0x100000, 0x10000, 0x108000 },
			{ "start.ps2048", 1, 2048, 0x100000, 0x10000, 0 },
			{ "start.ps3000", 1, 3000, 0x0, 3000, 0 },
			{ "start.overflow", 1, 4096, 0xfffffffffffff000ull, 0x2000, 0 },
		};
		for (size_t k = 0; k < sizeof(cs) / sizeof(cs[0]); k++) {
			memset(&c, 0, sizeof(c));
			c.argsz = sizeof(c);
			c.flags = F_SET | 6;
			c.page_size = cs[k].ps;
			c.num_ranges = cs[k].n;
			c.ranges = (uint64_t)(uintptr_t)rg;
			for (uint32_t j = 0; j < 300; j++) {
				rg[j].iova = cs[k].iova0 + (uint64_t)j * 0x2000;
				rg[j].length = cs[k].len0;
			}
			if (cs[k].iova1)
				rg[1].iova = cs[k].iova1;
			rc = ioctl(fd, FEATURE, &c);
			printf("FACT log.%s=%s page_size_out=%" PRIu64 "\n", cs[k].name, rc < 0 ? strerror(errno) : "ok",
			       c.page_size);
		}
		memset(&rep, 0, sizeof(rep));
		rep.argsz = sizeof(rep);
		rep.flags = F_GET | 8;
		rep.iova = 0x100000;
		rep.length = 0x10000;
		rep.page_size = 4096;
		rep.bitmap = (uint64_t)(uintptr_t)bm;
		memset(bm, 0xff, sizeof(bm));
		rc = ioctl(fd, FEATURE, &rep);
		printf("FACT log.report=%s bitmap[0]=0x%" PRIx64 "\n", rc < 0 ? strerror(errno) : "ok", bm[0]);
		rep.page_size = 2048;
		printf("FACT log.report.ps2048=%s\n", ioctl(fd, FEATURE, &rep) < 0 ? strerror(errno) : "ok");
		rep.page_size = 4096;
		rep.iova = 0x100800;
		printf("FACT log.report.unaligned_iova=%s\n", ioctl(fd, FEATURE, &rep) < 0 ? strerror(errno) : "ok");
		rep.iova = 0xfffffffffffff000ull;
		rep.length = 0x2000;
		printf("FACT log.report.overflow=%s\n", ioctl(fd, FEATURE, &rep) < 0 ? strerror(errno) : "ok");
		rep.iova = 0x100000;
		rep.length = 0;
		printf("FACT log.report.len0=%s\n", ioctl(fd, FEATURE, &rep) < 0 ? strerror(errno) : "ok");
		rep.length = 0x10000;
		rep.bitmap = 0;
		printf("FACT log.report.null_bitmap=%s\n", ioctl(fd, FEATURE, &rep) < 0 ? strerror(errno) : "ok");
		printf("FACT log.stop=%s\n", ioctl(fd, FEATURE, &stop) < 0 ? strerror(errno) : "ok");
		printf("FACT log.stop.again=%s\n", ioctl(fd, FEATURE, &stop) < 0 ? strerror(errno) : "ok");
		rep.bitmap = (uint64_t)(uintptr_t)bm;
		printf("FACT log.report.after_stop=%s\n", ioctl(fd, FEATURE, &rep) < 0 ? strerror(errno) : "ok");
	}
	/* a data fd left open while the device closes */
	dfd = step("set.RUNNING->PRE_COPY(2)", 6);
	vfioiommu_device_close(dev);
	if (dfd >= 0) {
		printf("FACT data_fd.after_device_close.read=%zd\n", drain(dfd));
		close(dfd);
	}
	rc = vfioiommu_device_open(ctx, U1, &dev);
	if (rc == 0) {
		fd = vfioiommu_device_fd(dev);
		printf("FACT state.after_reopen=%s\n", st_name(get_state()));
		vfioiommu_device_close(dev);
	}
	vfioiommu_mdev_remove(ctx, U1);
	vfioiommu_ctx_destroy(ctx);
	printf("FACT done\n");
	return 0;
}
