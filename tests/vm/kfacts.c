// SPDX-License-Identifier: MIT
/*
 * kfacts: measure VFIO / iommufd ABI behaviour on the real kernel and print it as "FACT key=value" lines.
 *
 * Standalone: raw ioctl numbers and struct layouts are spelled out here, as Linux 7.2's uAPI defines them
 * (include/uapi/linux/vfio.h and iommufd.h), without including those headers, so the probe builds with any
 * libc headers and shows exactly what it sends. Build: gcc -O2 -static -o kfacts tests/vm/kfacts.c
 * Run in the VM: tests/vm/run-vm.sh --topology intel,amd ./kfacts
 *
 * Every step prints its result even when an earlier one failed. Values are printed as:
 *   rc=0 / rc=-1 errno=EINVAL  plus the output fields of interest.
 * Exit status: 0 when the probe ran to the end (facts are facts, not pass/fail); 1 if no device was
 * available (nothing much could be measured).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;

/* ------------------------------------------------------------------ ioctl numbers (all _IO(';', nr)) */
#define VIO(nr) (0x3B00u | (nr))
#define VFIO_GET_API_VERSION VIO(100)
#define VFIO_CHECK_EXTENSION VIO(101)
#define VFIO_SET_IOMMU VIO(102)
#define VFIO_GROUP_GET_STATUS VIO(103)
#define VFIO_GROUP_SET_CONTAINER VIO(104)
#define VFIO_GROUP_UNSET_CONTAINER VIO(105)
#define VFIO_GROUP_GET_DEVICE_FD VIO(106)
#define VFIO_DEVICE_GET_INFO VIO(107)
#define VFIO_DEVICE_GET_REGION_INFO VIO(108)
#define VFIO_DEVICE_GET_IRQ_INFO VIO(109)
#define VFIO_DEVICE_RESET VIO(111)
#define VFIO_IOMMU_GET_INFO VIO(112)
#define VFIO_IOMMU_MAP_DMA VIO(113)
#define VFIO_IOMMU_UNMAP_DMA VIO(114)
#define VFIO_IOMMU_DIRTY_PAGES VIO(117)
#define VFIO_DEVICE_BIND_IOMMUFD VIO(118)
#define VFIO_DEVICE_ATTACH_IOMMUFD_PT VIO(119)
#define VFIO_DEVICE_DETACH_IOMMUFD_PT VIO(120)

#define IOMMU_DESTROY VIO(0x80)
#define IOMMU_IOAS_ALLOC VIO(0x81)
#define IOMMU_IOAS_ALLOW_IOVAS VIO(0x82)
#define IOMMU_IOAS_COPY VIO(0x83)
#define IOMMU_IOAS_IOVA_RANGES VIO(0x84)
#define IOMMU_IOAS_MAP VIO(0x85)
#define IOMMU_IOAS_UNMAP VIO(0x86)
#define IOMMU_OPTION VIO(0x87)
#define IOMMU_VFIO_IOAS VIO(0x88)
#define IOMMU_HWPT_ALLOC VIO(0x89)
#define IOMMU_GET_HW_INFO VIO(0x8a)
#define IOMMU_FAULT_QUEUE_ALLOC VIO(0x8e)
#define IOMMU_TEST_CMD VIO(0xa0)

/* ------------------------------------------------------------------ structs (LP64 layouts) */
struct cap_hdr { u16 id; u16 version; u32 next; };
struct t1_info { u32 argsz; u32 flags; u64 iova_pgsizes; u32 cap_offset; u32 pad; };
struct t1_map { u32 argsz; u32 flags; u64 vaddr; u64 iova; u64 size; };
struct t1_unmap { u32 argsz; u32 flags; u64 iova; u64 size; };
struct group_status { u32 argsz; u32 flags; };
struct dev_info { u32 argsz; u32 flags; u32 num_regions; u32 num_irqs; u32 cap_offset; u32 pad; };
struct region_info { u32 argsz; u32 flags; u32 index; u32 cap_offset; u64 size; u64 offset; };
struct irq_info { u32 argsz; u32 flags; u32 index; u32 count; };
struct bind_iommufd { u32 argsz; u32 flags; int32_t iommufd; u32 out_devid; u64 token_uuid_ptr; };
struct attach_pt { u32 argsz; u32 flags; u32 pt_id; u32 pasid; };
struct detach_pt { u32 argsz; u32 flags; u32 pasid; };

struct iommu_destroy { u32 size; u32 id; };
struct ioas_alloc { u32 size; u32 flags; u32 out_ioas_id; };
struct iova_range { u64 start; u64 last; };
struct ioas_iova_ranges { u32 size; u32 ioas_id; u32 num_iovas; u32 reserved; u64 allowed_iovas; u64 out_iova_alignment; };
struct ioas_allow_iovas { u32 size; u32 ioas_id; u32 num_iovas; u32 reserved; u64 allowed_iovas; };
struct ioas_map { u32 size; u32 flags; u32 ioas_id; u32 reserved; u64 user_va; u64 length; u64 iova; };
struct ioas_unmap { u32 size; u32 ioas_id; u64 iova; u64 length; };
struct iommu_option { u32 size; u32 option_id; u16 op; u16 reserved; u32 object_id; u64 val64; };
struct vfio_ioas { u32 size; u32 ioas_id; u16 op; u16 reserved; };
struct hwpt_alloc { u32 size; u32 flags; u32 dev_id; u32 pt_id; u32 out_hwpt_id; u32 reserved;
		    u32 data_type; u32 data_len; u64 data_uptr; u32 fault_id; u32 reserved2; };
struct hw_info { u32 size; u32 flags; u32 dev_id; u32 data_len; u64 data_uptr; u32 out_data_type;
		 u8 out_max_pasid_log2; u8 reserved[3]; u64 out_capabilities; };
struct fault_alloc { u32 size; u32 flags; u32 out_fault_id; u32 out_fault_fd; };
struct pgfault { u32 flags; u32 dev_id; u32 pasid; u32 grpid; u32 perm; u32 reserved; u64 addr; u32 length; u32 cookie; };
struct page_resp { u32 cookie; u32 code; };

#define MAP_R 1u
#define MAP_W 2u
#define IOAS_FIXED 1u
#define IOAS_W 2u
#define IOAS_R 4u
#define HWPT_FAULT_ID_VALID (1u << 2)
#define HWPT_ALLOC_PASID (1u << 3)

/* IOMMUFD_TEST: struct iommu_test_cmd is 72 bytes; handled as a raw buffer */
enum { T_ADD_RESERVED = 1, T_MOCK_DOMAIN = 2, T_MOCK_DOMAIN_REPLACE = 10, T_MOCK_DOMAIN_FLAGS = 12,
       T_TRIGGER_IOPF = 15, T_TRIGGER_VEVENT = 17, T_PASID_ATTACH = 18, T_PASID_REPLACE = 19,
       T_PASID_DETACH = 20, T_PASID_CHECK_HWPT = 21 };
struct test_cmd { u32 size; u32 op; u32 id; u32 reserved; u8 arg[48]; u32 last; u32 pad; };
_Static_assert(sizeof(struct test_cmd) == 72, "test cmd");
_Static_assert(sizeof(struct pgfault) == 40, "pgfault");
_Static_assert(sizeof(struct hwpt_alloc) == 48, "hwpt");
_Static_assert(sizeof(struct hw_info) == 40, "hwinfo");
_Static_assert(sizeof(struct ioas_map) == 40, "map");
_Static_assert(sizeof(struct t1_info) == 24, "t1info");
_Static_assert(sizeof(struct dev_info) == 24, "devinfo");
_Static_assert(sizeof(struct region_info) == 32, "regioninfo");

/* ------------------------------------------------------------------ output helpers */
/* kernel buffers are byte arrays: read fields without assuming their alignment */
static u32 rd32(const u8 *p)
{
	u32 v;
	memcpy(&v, p, sizeof(v));
	return v;
}

static u64 rd64(const u8 *p)
{
	u64 v;
	memcpy(&v, p, sizeof(v));
	return v;
}

static char topo[64] = "unknown";

static void fact(const char *key, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fact(const char *key, const char *fmt, ...)
{
	va_list ap;
	printf("FACT %s.%s=", topo, key);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static const char *ename(int e)
{
	const char *n = strerrorname_np(e);
	static char buf[16];
	if (n)
		return n;
	snprintf(buf, sizeof(buf), "E%d", e);
	return buf;
}

/* "ok" or "EINVAL"; plus the raw return when positive */
static char rbuf[8][64];
static int rbi;
static const char *R(long rc, int e)
{
	char *b = rbuf[rbi++ & 7];
	if (rc < 0)
		snprintf(b, 64, "%s", ename(e));
	else if (rc == 0)
		snprintf(b, 64, "ok");
	else
		snprintf(b, 64, "ok(ret=%ld)", rc);
	return b;
}

static int xioctl(int fd, unsigned long req, void *arg, int *err)
{
	errno = 0;
	int rc = ioctl(fd, req, arg);
	*err = errno;
	return rc;
}

static int xioctl_v(int fd, unsigned long req, unsigned long v, int *err)
{
	errno = 0;
	int rc = ioctl(fd, req, v);
	*err = errno;
	return rc;
}

static char *read_file(const char *path)
{
	static char buf[8192];
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return NULL;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return NULL;
	buf[n] = 0;
	return buf;
}

/* ------------------------------------------------------------------ memory */
static u8 *mem;	/* 64 MiB anonymous, 2 MiB aligned */
#define MEMSZ (64ul << 20)

static void mem_init(void)
{
	u8 *p = mmap(NULL, MEMSZ + (2 << 20), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	mem = (u8 *)(((uintptr_t)p + (2 << 20) - 1) & ~((uintptr_t)(2 << 20) - 1));
	memset(mem, 0x5a, MEMSZ);
}

/* ------------------------------------------------------------------ device discovery */
static char bdfs[8][32];
static int nbdf;

static int group_of(const char *bdf)
{
	char p[256], l[256];
	snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/iommu_group", bdf);
	ssize_t n = readlink(p, l, sizeof(l) - 1);
	if (n < 0)
		return -1;
	l[n] = 0;
	char *s = strrchr(l, '/');
	return s ? atoi(s + 1) : -1;
}

static int cdev_of(const char *bdf, char *out, size_t len)
{
	char p[256];
	snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/vfio-dev", bdf);
	DIR *d = opendir(p);
	if (!d)
		return -1;
	struct dirent *e;
	int ok = -1;
	while ((e = readdir(d))) {
		if (!strncmp(e->d_name, "vfio", 4)) {
			snprintf(out, len, "/dev/vfio/devices/%s", e->d_name);
			ok = 0;
			break;
		}
	}
	closedir(d);
	return ok;
}

/* ------------------------------------------------------------------ caps walker */
static void print_caps(const char *pfx, u8 *buf, u32 buflen, u32 off, int kind)
{
	int n = 0;
	char key[128];
	while (off && n < 32) {
		if (off + sizeof(struct cap_hdr) > buflen) {
			snprintf(key, sizeof(key), "%s.cap[%d]", pfx, n);
			fact(key, "offset %u beyond buffer %u", off, buflen);
			return;
		}
		struct cap_hdr *h = (void *)(buf + off);
		snprintf(key, sizeof(key), "%s.cap[%d]", pfx, n);
		char extra[1024] = "";
		if (kind == 0 && h->id == 1) { /* IOVA_RANGE */
			u32 nr = rd32(buf + off + 8);
			int k = snprintf(extra, sizeof(extra), " IOVA_RANGE nr_iovas=%u", nr);
			for (u32 i = 0; i < nr && i < 16 && off + 16 + 16 * (i + 1) <= buflen; i++) {
				const u8 *r = buf + off + 16 + 16 * i;
				k += snprintf(extra + k, sizeof(extra) - k, " [0x%" PRIx64 ",0x%" PRIx64 "]", rd64(r), rd64(r + 8));
			}
		} else if (kind == 0 && h->id == 2) { /* MIGRATION */
			snprintf(extra, sizeof(extra), " MIGRATION flags=0x%x pgsize_bitmap=0x%" PRIx64 " max_dirty_bitmap_size=0x%" PRIx64,
				 rd32(buf + off + 8), rd64(buf + off + 16), rd64(buf + off + 24));
		} else if (kind == 0 && h->id == 3) { /* DMA_AVAIL */
			snprintf(extra, sizeof(extra), " DMA_AVAIL avail=%u", rd32(buf + off + 8));
		} else if (kind == 1 && h->id == 1) { /* SPARSE_MMAP */
			u32 nr = rd32(buf + off + 8);
			int k = snprintf(extra, sizeof(extra), " SPARSE_MMAP nr_areas=%u", nr);
			for (u32 i = 0; i < nr && i < 16 && off + 16 + 16 * (i + 1) <= buflen; i++) {
				const u8 *r = buf + off + 16 + 16 * i;
				k += snprintf(extra + k, sizeof(extra) - k, " {off=0x%" PRIx64 ",size=0x%" PRIx64 "}", rd64(r), rd64(r + 8));
			}
		} else if (kind == 1 && h->id == 2) {
			snprintf(extra, sizeof(extra), " TYPE type=0x%x subtype=0x%x", rd32(buf + off + 8), rd32(buf + off + 12));
		} else if (kind == 1 && h->id == 3) {
			snprintf(extra, sizeof(extra), " MSIX_MAPPABLE");
		} else if (kind == 2 && h->id == 5) {
			snprintf(extra, sizeof(extra), " PCI_ATOMIC_COMP flags=0x%x", rd32(buf + off + 8));
		}
		fact(key, "off=%u id=%u ver=%u next=%u%s", off, h->id, h->version, h->next, extra);
		if (h->next && h->next <= off) {
			fact(key, "next goes backwards, stop");
			return;
		}
		off = h->next;
		n++;
	}
}

/* ------------------------------------------------------------------ (d) container basics */
/* CHECK_EXTENSION for every extension id 0..11, at one stage of the container's life */
static void check_extensions(int c, const char *stage)
{
	char key[64];
	int e, rc;

	for (int id = 0; id <= 11; id++) {
		rc = xioctl_v(c, VFIO_CHECK_EXTENSION, id, &e);
		snprintf(key, sizeof(key), "d.container.%s.CHECK_EXTENSION[%d]", stage, id);
		if (rc < 0)
			fact(key, "%s", ename(e));
		else
			fact(key, "%d", rc);
	}
}

static void probe_container_api(void)
{
	int e;
	int c = open("/dev/vfio/vfio", O_RDWR);
	fact("d.container.open", "%s", c < 0 ? ename(errno) : "ok");
	if (c < 0)
		return;
	char *cfg = NULL;
	(void)cfg;
	int rc = xioctl_v(c, VFIO_GET_API_VERSION, 0, &e);
	fact("d.container.GET_API_VERSION", "%d%s", rc, rc < 0 ? ename(e) : "");
	check_extensions(c, "no_driver_yet");
	/* an ioctl that needs an iommu driver, before SET_IOMMU */
	struct t1_info info = { .argsz = sizeof(info) };
	rc = xioctl(c, VFIO_IOMMU_GET_INFO, &info, &e);
	fact("d.container.GET_INFO_before_SET_IOMMU", "%s", R(rc, e));
	rc = xioctl_v(c, VFIO_SET_IOMMU, 3, &e);
	fact("d.container.SET_IOMMU_without_group", "%s", R(rc, e));
	rc = xioctl_v(c, 0x3B00 | 99, 0, &e);
	fact("d.container.unknown_ioctl_nr99", "%s", R(rc, e));
	/* /dev/misc info: vfio's own container or iommufd compat? */
	struct stat st;
	if (!fstat(c, &st))
		fact("d.container.devnode", "major=%u minor=%u mode=0%o", major(st.st_rdev), minor(st.st_rdev), st.st_mode & 0777);
	close(c);
}

/* ------------------------------------------------------------------ type1 container helpers */
static int map1(int c, u32 argsz, u32 flags, u64 vaddr, u64 iova, u64 size, int *e)
{
	struct t1_map m = { .argsz = argsz, .flags = flags, .vaddr = vaddr, .iova = iova, .size = size };
	return xioctl(c, VFIO_IOMMU_MAP_DMA, &m, e);
}

static int unmap1(int c, u32 flags, u64 iova, u64 *size, int *e)
{
	struct t1_unmap u = { .argsz = sizeof(u), .flags = flags, .iova = iova, .size = *size };
	int rc = xioctl(c, VFIO_IOMMU_UNMAP_DMA, &u, e);
	*size = u.size;
	return rc;
}

static void get_info_dance(const char *pfx, int c)
{
	int e, rc;
	char key[128];
	u8 buf[4096];
	u32 sizes[] = { 8, 12, 16, 20, 24, 119, 120, 121, 200, 4096 };
	u32 needed = 0;
	for (unsigned i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		memset(buf, 0xee, sizeof(buf));
		struct t1_info *in = (void *)buf;
		in->argsz = sizes[i];
		in->flags = 0;
		rc = xioctl(c, VFIO_IOMMU_GET_INFO, buf, &e);
		snprintf(key, sizeof(key), "%s.GET_INFO.argsz_%u", pfx, sizes[i]);
		/* cap_offset and pad show 0xeeeeeeee if the kernel did not write them */
		fact(key, "%s argsz_out=%u flags=0x%x iova_pgsizes=0x%" PRIx64 " cap_offset=0x%x pad=0x%x byte[24]=0x%02x",
		     R(rc, e), in->argsz, in->flags, in->iova_pgsizes, in->cap_offset, in->pad, buf[24]);
		if (rc == 0 && sizes[i] == 24)
			needed = in->argsz;
	}
	if (!needed)
		needed = 4096;
	memset(buf, 0, sizeof(buf));
	struct t1_info *in = (void *)buf;
	in->argsz = needed;
	rc = xioctl(c, VFIO_IOMMU_GET_INFO, buf, &e);
	snprintf(key, sizeof(key), "%s.GET_INFO.full", pfx);
	fact(key, "%s argsz=%u flags=0x%x iova_pgsizes=0x%" PRIx64 " cap_offset=%u", R(rc, e), in->argsz, in->flags,
	     in->iova_pgsizes, in->cap_offset);
	if (rc == 0) {
		snprintf(key, sizeof(key), "%s.GET_INFO", pfx);
		print_caps(key, buf, needed, in->cap_offset, 0);
	}
}

static void dma_avail(const char *pfx, int c, const char *when)
{
	u8 buf[4096] = { 0 };
	struct t1_info *in = (void *)buf;
	int e;
	in->argsz = sizeof(buf);
	int rc = xioctl(c, VFIO_IOMMU_GET_INFO, buf, &e);
	char key[128];
	snprintf(key, sizeof(key), "%s.DMA_AVAIL.%s", pfx, when);
	if (rc < 0) {
		fact(key, "%s", ename(e));
		return;
	}
	u32 off = in->cap_offset;
	while (off && off + 12 <= sizeof(buf)) {
		struct cap_hdr *h = (void *)(buf + off);
		if (h->id == 3) {
			fact(key, "%u", rd32(buf + off + 8));
			return;
		}
		if (h->next <= off)
			break;
		off = h->next;
	}
	fact(key, "no cap");
}

static void device_probe(const char *pfx, int dfd);

/*
 * A cdev BIND of bdf to a fresh iommufd, printed as <pfx>.<bind_name>;
 * open_name (or NULL) prints the cdev open as <pfx>.<open_name>.
 */
static void cdev_bind_try(const char *pfx, const char *bdf, const char *open_name, const char *bind_name)
{
	char cpath[128], key[160];
	int e, rc;

	if (cdev_of(bdf, cpath, sizeof(cpath)))
		return;
	int cd = open(cpath, O_RDWR);
	if (open_name) {
		snprintf(key, sizeof(key), "%s.%s", pfx, open_name);
		fact(key, "%s", cd >= 0 ? "ok" : ename(errno));
	}
	if (cd < 0)
		return;
	int ifd = open("/dev/iommu", O_RDWR);
	struct bind_iommufd b = { .argsz = 16, .iommufd = ifd };
	rc = xioctl(cd, VFIO_DEVICE_BIND_IOMMUFD, &b, &e);
	snprintf(key, sizeof(key), "%s.%s", pfx, bind_name);
	fact(key, "%s", R(rc, e));
	close(cd);
	close(ifd);
}

/* type: 3 = type1v2, 1 = type1 */
static void probe_type1(int type, const char *bdf, int do_device)
{
	int e, rc;
	char key[160];
	const char *pfx = type == 3 ? "a.type1v2" : "b.type1";
	int grp = group_of(bdf);
	char gpath[64];
	snprintf(gpath, sizeof(gpath), "/dev/vfio/%d", grp);
	int c = open("/dev/vfio/vfio", O_RDWR);
	int g = open(gpath, O_RDWR);
	snprintf(key, sizeof(key), "%s.open", pfx);
	fact(key, "container=%s group(%s)=%s", c < 0 ? "fail" : "ok", gpath, g < 0 ? ename(errno) : "ok");
	if (c < 0 || g < 0)
		goto out;

	struct group_status gs = { .argsz = sizeof(gs) };
	rc = xioctl(g, VFIO_GROUP_GET_STATUS, &gs, &e);
	snprintf(key, sizeof(key), "%s.GROUP_GET_STATUS", pfx);
	fact(key, "%s flags=0x%x", R(rc, e), gs.flags);
	gs.argsz = 4;
	rc = xioctl(g, VFIO_GROUP_GET_STATUS, &gs, &e);
	snprintf(key, sizeof(key), "%s.GROUP_GET_STATUS.argsz4", pfx);
	fact(key, "%s", R(rc, e));

	/* get device fd before container set */
	rc = xioctl(g, VFIO_GROUP_GET_DEVICE_FD, (void *)bdf, &e);
	snprintf(key, sizeof(key), "%s.GET_DEVICE_FD_before_SET_CONTAINER", pfx);
	fact(key, "%s", R(rc >= 0 ? 0 : -1, e));
	if (rc >= 0)
		close(rc);

	rc = xioctl(g, VFIO_GROUP_SET_CONTAINER, &c, &e);
	snprintf(key, sizeof(key), "%s.SET_CONTAINER", pfx);
	fact(key, "%s", R(rc, e));
	rc = xioctl(g, VFIO_GROUP_SET_CONTAINER, &c, &e);
	snprintf(key, sizeof(key), "%s.SET_CONTAINER_again", pfx);
	fact(key, "%s", R(rc, e));
	gs.argsz = sizeof(gs);
	rc = xioctl(g, VFIO_GROUP_GET_STATUS, &gs, &e);
	snprintf(key, sizeof(key), "%s.GROUP_GET_STATUS_after_SET_CONTAINER", pfx);
	fact(key, "%s flags=0x%x", R(rc, e), gs.flags);

	rc = xioctl(g, VFIO_GROUP_GET_DEVICE_FD, (void *)bdf, &e);
	snprintf(key, sizeof(key), "%s.GET_DEVICE_FD_before_SET_IOMMU", pfx);
	fact(key, "%s", R(rc >= 0 ? 0 : -1, e));
	if (rc >= 0)
		close(rc);

	if (type == 3) {
		check_extensions(c, "group_set");
		rc = xioctl_v(c, VFIO_SET_IOMMU, 2, &e);
		fact("d.container.SET_IOMMU[2_spapr]", "%s", R(rc, e));
		rc = xioctl_v(c, VFIO_SET_IOMMU, 8, &e);
		fact("d.container.SET_IOMMU[8_noiommu]", "%s", R(rc, e));
		rc = xioctl_v(c, VFIO_SET_IOMMU, 99, &e);
		fact("d.container.SET_IOMMU[99]", "%s", R(rc, e));
	}
	rc = xioctl_v(c, VFIO_SET_IOMMU, type, &e);
	snprintf(key, sizeof(key), "%s.SET_IOMMU[%d]", pfx, type);
	fact(key, "%s", R(rc, e));
	rc = xioctl_v(c, VFIO_SET_IOMMU, type, &e);
	snprintf(key, sizeof(key), "%s.SET_IOMMU_again", pfx);
	fact(key, "%s", R(rc, e));
	if (type == 3)
		check_extensions(c, "type1v2_set");

	get_info_dance(pfx, c);
	dma_avail(pfx, c, "initial");

	u64 va = (u64)(uintptr_t)mem;
	u64 sz;
#define MAPF(name, argsz, flags, vaddr, iova, size)                                                         \
	do {                                                                                                \
		rc = map1(c, argsz, flags, vaddr, iova, size, &e);                                          \
		snprintf(key, sizeof(key), "%s.MAP_DMA.%s", pfx, name);                                     \
		fact(key, "%s", R(rc, e));                                                                  \
	} while (0)
#define UNMAPF(name, flags, iova, size)                                                                     \
	do {                                                                                                \
		sz = size;                                                                                  \
		rc = unmap1(c, flags, iova, &sz, &e);                                                       \
		snprintf(key, sizeof(key), "%s.UNMAP_DMA.%s", pfx, name);                                   \
		fact(key, "%s size_out=0x%" PRIx64, R(rc, e), sz);                                          \
	} while (0)

	MAPF("base[0x100000+0x10000]", 32, MAP_R | MAP_W, va, 0x100000, 0x10000);
	MAPF("exact_same_range", 32, MAP_R | MAP_W, va, 0x100000, 0x10000);
	MAPF("same_iova_smaller", 32, MAP_R | MAP_W, va, 0x100000, 0x1000);
	MAPF("partial_overlap_tail[0x108000+0x10000]", 32, MAP_R | MAP_W, va, 0x108000, 0x10000);
	MAPF("partial_overlap_head[0xf8000+0x10000]", 32, MAP_R | MAP_W, va, 0xf8000, 0x10000);
	MAPF("inside_existing[0x104000+0x1000]", 32, MAP_R | MAP_W, va, 0x104000, 0x1000);
	MAPF("covering_existing[0xf0000+0x30000]", 32, MAP_R | MAP_W, va, 0xf0000, 0x30000);
	MAPF("adjacent_after[0x110000+0x1000]", 32, MAP_R | MAP_W, va + 0x10000, 0x110000, 0x1000);
	MAPF("msi_window[0xfee00000+0x1000]", 32, MAP_R | MAP_W, va, 0xfee00000, 0x1000);
	MAPF("straddle_msi[0xfedff000+0x2000]", 32, MAP_R | MAP_W, va, 0xfedff000, 0x2000);
	MAPF("just_below_msi[0xfedff000+0x1000]", 32, MAP_R | MAP_W, va, 0xfedff000, 0x1000);
	MAPF("at_2^39-4K", 32, MAP_R | MAP_W, va, (1ull << 39) - 0x1000, 0x1000);
	MAPF("at_2^39", 32, MAP_R | MAP_W, va, 1ull << 39, 0x1000);
	MAPF("at_2^48", 32, MAP_R | MAP_W, va, 1ull << 48, 0x1000);
	MAPF("at_0xfd00000000(amd_ht)", 32, MAP_R | MAP_W, va, 0xfd00000000ull, 0x1000);
	MAPF("iova_top_page[0xfffffffffffff000]", 32, MAP_R | MAP_W, va, 0xfffffffffffff000ull, 0x1000);
	MAPF("iova_plus_size_wraps", 32, MAP_R | MAP_W, va, 0xfffffffffffff000ull, 0x2000);
	MAPF("misaligned_iova[0x200800]", 32, MAP_R | MAP_W, va, 0x200800, 0x1000);
	MAPF("misaligned_size[0x800]", 32, MAP_R | MAP_W, va, 0x200000, 0x800);
	MAPF("misaligned_vaddr[+0x800]", 32, MAP_R | MAP_W, va + 0x800, 0x200000, 0x1000);
	MAPF("size_0", 32, MAP_R | MAP_W, va, 0x200000, 0);
	MAPF("no_RW_flags", 32, 0, va, 0x200000, 0x1000);
	MAPF("read_only", 32, MAP_R, va, 0x280000, 0x1000);
	MAPF("write_only", 32, MAP_W, va, 0x290000, 0x1000);
	MAPF("unknown_flag_1<<3", 32, MAP_R | MAP_W | (1u << 3), va, 0x200000, 0x1000);
	MAPF("VADDR_flag_on_new", 32, 4, va, 0x2a0000, 0x1000);
	MAPF("argsz_24", 24, MAP_R | MAP_W, va, 0x200000, 0x1000);
	MAPF("argsz_31", 31, MAP_R | MAP_W, va, 0x200000, 0x1000);
	MAPF("argsz_64", 64, MAP_R | MAP_W, va, 0x2b0000, 0x1000);
	MAPF("vaddr_unmapped[0x1000]", 32, MAP_R | MAP_W, 0x1000, 0x200000, 0x1000);
	MAPF("iova_0", 32, MAP_R | MAP_W, va + 0x20000, 0, 0x1000);
	MAPF("2MiB_aligned_2MiB[0x400000]", 32, MAP_R | MAP_W, va, 0x400000, 0x200000);
	dma_avail(pfx, c, "after_maps");

	/* unmap semantics */
	UNMAPF("nothing_mapped[0x40000000+0x1000]", 0, 0x40000000, 0x1000);
	UNMAPF("size_0", 0, 0x100000, 0);
	UNMAPF("misaligned_iova", 0, 0x100800, 0x1000);
	UNMAPF("misaligned_size", 0, 0x100000, 0x800);
	UNMAPF("unknown_flag_1<<5", 1u << 5, 0x100000, 0x1000);
	{
		struct t1_unmap u = { .argsz = 16, .iova = 0x40000000, .size = 0x1000 };
		rc = xioctl(c, VFIO_IOMMU_UNMAP_DMA, &u, &e);
		snprintf(key, sizeof(key), "%s.UNMAP_DMA.argsz_16", pfx);
		fact(key, "%s", R(rc, e));
	}
	/* mapping A = [0x100000, 0x110000) (+ adjacent 0x110000 page if it succeeded) */
	MAPF("setup_split[0x600000+0x10000]", 32, MAP_R | MAP_W, va, 0x600000, 0x10000);
	UNMAPF("split_middle[0x604000+0x4000]", 0, 0x604000, 0x4000);
	UNMAPF("split_head[0x600000+0x4000]", 0, 0x600000, 0x4000);
	UNMAPF("after_head_split_whole_again[0x600000+0x10000]", 0, 0x600000, 0x10000);
	MAPF("setup_split2[0x700000+0x10000]", 32, MAP_R | MAP_W, va, 0x700000, 0x10000);
	UNMAPF("split_tail[0x70c000+0x8000]", 0, 0x70c000, 0x8000);
	UNMAPF("whole_after_tail_split[0x700000+0x10000]", 0, 0x700000, 0x10000);
	MAPF("setup_two_a[0x800000+0x10000]", 32, MAP_R | MAP_W, va, 0x800000, 0x10000);
	MAPF("setup_two_b[0x810000+0x10000]", 32, MAP_R | MAP_W, va + 0x10000, 0x810000, 0x10000);
	UNMAPF("two_whole_mappings[0x800000+0x20000]", 0, 0x800000, 0x20000);
	MAPF("setup_gap_a[0x900000+0x1000]", 32, MAP_R | MAP_W, va, 0x900000, 0x1000);
	MAPF("setup_gap_b[0x980000+0x1000]", 32, MAP_R | MAP_W, va + 0x1000, 0x980000, 0x1000);
	UNMAPF("two_with_gaps[0x8f0000+0x100000]", 0, 0x8f0000, 0x100000);
	MAPF("setup_partial_cover[0xc00000+0x2000]", 32, MAP_R | MAP_W, va, 0xc00000, 0x2000);
	MAPF("setup_partial_cover2[0xc10000+0x2000]", 32, MAP_R | MAP_W, va, 0xc10000, 0x2000);
	UNMAPF("covers_one_splits_other[0xc00000+0x11000]", 0, 0xc00000, 0x11000);
	MAPF("remap_first_after_that_unmap[0xc00000+0x2000](EEXIST=still_mapped)", 32, MAP_R | MAP_W, va, 0xc00000, 0x2000);
	MAPF("remap_second_after_that_unmap[0xc10000+0x2000](EEXIST=still_mapped)", 32, MAP_R | MAP_W, va, 0xc10000, 0x2000);
	UNMAPF("cleanup[0xc00000+0x20000]", 0, 0xc00000, 0x20000);
	MAPF("setup_2M[0xa00000+0x200000]", 32, MAP_R | MAP_W, va, 0xa00000, 0x200000);
	UNMAPF("2M_mapping_unmap_first_4K", 0, 0xa00000, 0x1000);
	UNMAPF("2M_mapping_unmap_rest", 0, 0xa00000, 0x200000);
	UNMAPF("ALL_with_iova_nonzero", 2, 0x1000, 0);
	UNMAPF("ALL_with_size_nonzero", 2, 0, 0x1000);
	dma_avail(pfx, c, "before_unmap_all");
	UNMAPF("ALL", 2, 0, 0);
	UNMAPF("ALL_again_empty", 2, 0, 0);
	dma_avail(pfx, c, "after_unmap_all");
	UNMAPF("ALL|GET_DIRTY_BITMAP", 3, 0, 0);

	if (do_device) {
		int d = xioctl(g, VFIO_GROUP_GET_DEVICE_FD, (void *)bdf, &e);
		snprintf(key, sizeof(key), "%s.GET_DEVICE_FD", pfx);
		fact(key, "%s", d >= 0 ? "ok" : ename(e));
		rc = xioctl(g, VFIO_GROUP_GET_DEVICE_FD, (void *)"0000:ff:1f.7", &e);
		snprintf(key, sizeof(key), "%s.GET_DEVICE_FD_unknown_name", pfx);
		fact(key, "%s", rc >= 0 ? "ok" : ename(e));
		if (rc >= 0)
			close(rc);
		if (d >= 0) {
			int d2 = xioctl(g, VFIO_GROUP_GET_DEVICE_FD, (void *)bdf, &e);
			snprintf(key, sizeof(key), "%s.GET_DEVICE_FD_second", pfx);
			fact(key, "%s", d2 >= 0 ? "ok" : ename(e));
			if (d2 >= 0)
				close(d2);
			device_probe("e.group_dev", d);
			/* cdev BIND while the group holds the device */
			cdev_bind_try(pfx, bdf, "cdev_open_while_group_dev_open", "cdev_BIND_while_group_dev_open");
			/* UNSET_CONTAINER with a device fd open */
			rc = xioctl_v(g, VFIO_GROUP_UNSET_CONTAINER, 0, &e);
			snprintf(key, sizeof(key), "%s.UNSET_CONTAINER_with_device_open", pfx);
			fact(key, "%s", R(rc, e));
			close(d);
		}
		/* group opened, no device: cdev bind? */
		cdev_bind_try(pfx, bdf, NULL, "cdev_BIND_while_group_in_container_no_devfd");
	}
	rc = xioctl_v(g, VFIO_GROUP_UNSET_CONTAINER, 0, &e);
	snprintf(key, sizeof(key), "%s.UNSET_CONTAINER", pfx);
	fact(key, "%s", R(rc, e));
	rc = xioctl_v(g, VFIO_GROUP_UNSET_CONTAINER, 0, &e);
	snprintf(key, sizeof(key), "%s.UNSET_CONTAINER_again", pfx);
	fact(key, "%s", R(rc, e));
	{
		struct t1_info info = { .argsz = sizeof(info) };
		rc = xioctl(c, VFIO_IOMMU_GET_INFO, &info, &e);
		snprintf(key, sizeof(key), "%s.GET_INFO_after_last_group_left", pfx);
		fact(key, "%s", R(rc, e));
		rc = map1(c, 32, MAP_R | MAP_W, va, 0x100000, 0x1000, &e);
		snprintf(key, sizeof(key), "%s.MAP_after_last_group_left", pfx);
		fact(key, "%s", R(rc, e));
	}
out:
	if (g >= 0)
		close(g);
	if (c >= 0)
		close(c);
#undef MAPF
#undef UNMAPF
}

/* ------------------------------------------------------------------ (e) device info */
static void device_probe(const char *pfx, int d)
{
	int e, rc;
	char key[160];
	u8 buf[4096];
	u32 sizes[] = { 8, 12, 16, 20, 24, 32 };
	u32 need = 0;
	for (unsigned i = 0; i < 6; i++) {
		memset(buf, 0xee, sizeof(buf));
		struct dev_info *di = (void *)buf;
		di->argsz = sizes[i];
		rc = xioctl(d, VFIO_DEVICE_GET_INFO, buf, &e);
		snprintf(key, sizeof(key), "%s.GET_INFO.argsz_%u", pfx, sizes[i]);
		fact(key, "%s argsz_out=%u flags=0x%x num_regions=%u num_irqs=%u cap_offset=0x%x pad=0x%x", R(rc, e),
		     di->argsz, di->flags, di->num_regions, di->num_irqs, di->cap_offset, di->pad);
		if (rc == 0 && sizes[i] == 24)
			need = di->argsz;
	}
	memset(buf, 0, sizeof(buf));
	struct dev_info *di = (void *)buf;
	di->argsz = need > 24 ? need : 24;
	rc = xioctl(d, VFIO_DEVICE_GET_INFO, buf, &e);
	u32 nreg = di->num_regions, nirq = di->num_irqs;
	snprintf(key, sizeof(key), "%s.GET_INFO.full", pfx);
	fact(key, "%s argsz=%u flags=0x%x num_regions=%u num_irqs=%u cap_offset=%u", R(rc, e), di->argsz, di->flags,
	     nreg, nirq, di->cap_offset);
	if (rc == 0 && (di->flags & (1u << 7))) {
		snprintf(key, sizeof(key), "%s.GET_INFO", pfx);
		print_caps(key, buf, di->argsz, di->cap_offset, 2);
	}
	if (rc != 0)
		nreg = 9, nirq = 5;
	for (u32 i = 0; i < nreg + 1 && i < 16; i++) {
		memset(buf, 0, sizeof(buf));
		struct region_info *ri = (void *)buf;
		ri->argsz = 32;
		ri->index = i;
		rc = xioctl(d, VFIO_DEVICE_GET_REGION_INFO, buf, &e);
		u32 want = ri->argsz;
		snprintf(key, sizeof(key), "%s.REGION[%u].argsz32", pfx, i);
		fact(key, "%s argsz_out=%u flags=0x%x cap_offset=%u size=0x%" PRIx64 " offset=0x%" PRIx64, R(rc, e),
		     ri->argsz, ri->flags, ri->cap_offset, ri->size, ri->offset);
		if (rc == 0 && want > 32 && want < sizeof(buf)) {
			memset(buf, 0, sizeof(buf));
			ri->argsz = want;
			ri->index = i;
			rc = xioctl(d, VFIO_DEVICE_GET_REGION_INFO, buf, &e);
			snprintf(key, sizeof(key), "%s.REGION[%u].full", pfx, i);
			fact(key, "%s argsz=%u flags=0x%x cap_offset=%u", R(rc, e), ri->argsz, ri->flags, ri->cap_offset);
			snprintf(key, sizeof(key), "%s.REGION[%u]", pfx, i);
			if (rc == 0)
				print_caps(key, buf, want, ri->cap_offset, 1);
		}
	}
	{
		struct region_info ri = { .argsz = 16, .index = 0 };
		rc = xioctl(d, VFIO_DEVICE_GET_REGION_INFO, &ri, &e);
		snprintf(key, sizeof(key), "%s.REGION[0].argsz16", pfx);
		fact(key, "%s", R(rc, e));
	}
	for (u32 i = 0; i < nirq + 1 && i < 16; i++) {
		struct irq_info ii = { .argsz = sizeof(ii), .index = i };
		rc = xioctl(d, VFIO_DEVICE_GET_IRQ_INFO, &ii, &e);
		snprintf(key, sizeof(key), "%s.IRQ[%u]", pfx, i);
		fact(key, "%s argsz=%u flags=0x%x count=%u", R(rc, e), ii.argsz, ii.flags, ii.count);
	}
	{
		struct irq_info ii = { .argsz = 12, .index = 0 };
		rc = xioctl(d, VFIO_DEVICE_GET_IRQ_INFO, &ii, &e);
		snprintf(key, sizeof(key), "%s.IRQ[0].argsz12", pfx);
		fact(key, "%s", R(rc, e));
	}
}

/* ------------------------------------------------------------------ iommufd helpers */
static int ioas_alloc(int fd, u32 *id)
{
	struct ioas_alloc a = { .size = sizeof(a) };
	int e;
	int rc = xioctl(fd, IOMMU_IOAS_ALLOC, &a, &e);
	*id = a.out_ioas_id;
	errno = e;
	return rc;
}

static void print_ranges(const char *key, int fd, u32 ioas)
{
	struct iova_range r[16];
	memset(r, 0, sizeof(r));
	struct ioas_iova_ranges q = { .size = sizeof(q), .ioas_id = ioas, .num_iovas = 16,
				      .allowed_iovas = (u64)(uintptr_t)r };
	int e;
	int rc = xioctl(fd, IOMMU_IOAS_IOVA_RANGES, &q, &e);
	char out[1024];
	int k = snprintf(out, sizeof(out), "%s num_iovas=%u align=0x%" PRIx64, R(rc, e), q.num_iovas,
			 q.out_iova_alignment);
	for (u32 i = 0; rc == 0 && i < q.num_iovas && i < 16; i++)
		k += snprintf(out + k, sizeof(out) - k, " [0x%" PRIx64 ",0x%" PRIx64 "]", r[i].start, r[i].last);
	fact(key, "%s", out);
}

static int ioas_map(int fd, u32 ioas, u32 flags, u64 va, u64 iova, u64 len, u64 *iova_out, int *e)
{
	struct ioas_map m = { .size = sizeof(m), .flags = flags, .ioas_id = ioas, .user_va = va, .length = len,
			      .iova = iova };
	int rc = xioctl(fd, IOMMU_IOAS_MAP, &m, e);
	if (iova_out)
		*iova_out = m.iova;
	return rc;
}

static int ioas_unmap(int fd, u32 ioas, u64 iova, u64 *len, int *e)
{
	struct ioas_unmap u = { .size = sizeof(u), .ioas_id = ioas, .iova = iova, .length = *len };
	int rc = xioctl(fd, IOMMU_IOAS_UNMAP, &u, e);
	*len = u.length;
	return rc;
}

static void hw_info_probe(const char *pfx, int fd, u32 dev_id)
{
	int e, rc;
	char key[160];
	u8 data[256];
	u32 sizes[] = { 24, 28, 32, 40, 48 };
	for (unsigned i = 0; i < 5; i++) {
		u8 buf[64];
		memset(buf, 0xee, sizeof(buf));
		memset(buf, 0, sizes[i]);
		memset(data, 0xcc, sizeof(data));
		struct hw_info *h = (void *)buf;
		h->size = sizes[i];
		h->dev_id = dev_id;
		h->data_len = sizeof(data);
		h->data_uptr = (u64)(uintptr_t)data;
		rc = xioctl(fd, IOMMU_GET_HW_INFO, buf, &e);
		snprintf(key, sizeof(key), "%s.GET_HW_INFO.size_%u", pfx, sizes[i]);
		fact(key, "%s data_len_out=%u out_data_type=0x%x max_pasid_log2=%u reserved=%02x%02x%02x capabilities=0x%" PRIx64
			  " data[0..32]=%016" PRIx64 ",%016" PRIx64 ",%016" PRIx64 ",%016" PRIx64 " data[data_len]=0x%02x",
		     R(rc, e), h->data_len, h->out_data_type, h->out_max_pasid_log2, h->reserved[0], h->reserved[1],
		     h->reserved[2], h->out_capabilities, ((u64 *)data)[0], ((u64 *)data)[1], ((u64 *)data)[2],
		     ((u64 *)data)[3], rc == 0 && h->data_len < sizeof(data) ? data[h->data_len] : 0);
	}
	{
		struct hw_info h = { .size = sizeof(h), .dev_id = dev_id, .data_len = 0, .data_uptr = 0 };
		rc = xioctl(fd, IOMMU_GET_HW_INFO, &h, &e);
		snprintf(key, sizeof(key), "%s.GET_HW_INFO.data_len0", pfx);
		fact(key, "%s data_len_out=%u type=0x%x", R(rc, e), h.data_len, h.out_data_type);
		struct hw_info h2 = { .size = sizeof(h2), .dev_id = dev_id, .data_len = 4, .data_uptr = (u64)(uintptr_t)data };
		memset(data, 0xcc, sizeof(data));
		rc = xioctl(fd, IOMMU_GET_HW_INFO, &h2, &e);
		snprintf(key, sizeof(key), "%s.GET_HW_INFO.data_len4", pfx);
		fact(key, "%s data_len_out=%u data[4..8]=%02x%02x%02x%02x", R(rc, e), h2.data_len, data[4], data[5],
		     data[6], data[7]);
		struct hw_info h3 = { .size = sizeof(h3), .dev_id = dev_id, .reserved = { 1 } };
		rc = xioctl(fd, IOMMU_GET_HW_INFO, &h3, &e);
		snprintf(key, sizeof(key), "%s.GET_HW_INFO.reserved_nonzero", pfx);
		fact(key, "%s", R(rc, e));
		struct hw_info h4 = { .size = sizeof(h4), .dev_id = dev_id, .flags = 2 };
		rc = xioctl(fd, IOMMU_GET_HW_INFO, &h4, &e);
		snprintf(key, sizeof(key), "%s.GET_HW_INFO.flags_bit1", pfx);
		fact(key, "%s", R(rc, e));
		struct hw_info h5 = { .size = sizeof(h5), .dev_id = dev_id, .flags = 1, .out_data_type = 0xff };
		rc = xioctl(fd, IOMMU_GET_HW_INFO, &h5, &e);
		snprintf(key, sizeof(key), "%s.GET_HW_INFO.INPUT_TYPE_0xff", pfx);
		fact(key, "%s", R(rc, e));
		struct hw_info h6 = { .size = sizeof(h6), .dev_id = 0xdead };
		rc = xioctl(fd, IOMMU_GET_HW_INFO, &h6, &e);
		snprintf(key, sizeof(key), "%s.GET_HW_INFO.unknown_dev_id", pfx);
		fact(key, "%s", R(rc, e));
	}
}

/* ------------------------------------------------------------------ (c) iommufd + cdev */
/* IOAS_ALLOC on buf (the caller prepares the rest) with size set; show_id prints the new IOAS id too */
static void ioas_alloc_sized(int fd, u8 *buf, u32 size, const char *name, int show_id)
{
	struct ioas_alloc *a = (void *)buf;
	char key[128];
	int e, rc;

	a->size = size;
	rc = xioctl(fd, IOMMU_IOAS_ALLOC, buf, &e);
	snprintf(key, sizeof(key), "c.iommufd.size_contract.IOAS_ALLOC.%s", name);
	if (show_id)
		fact(key, "%s id=%u", R(rc, e), a->out_ioas_id);
	else
		fact(key, "%s", R(rc, e));
}

/* IOVA_RANGES asking for none (num_iovas 0) into r: the count comes back; did the kernel write r anyway? */
static void iova_ranges_num0(int fd, u32 ioas, struct iova_range *r, const char *stage)
{
	struct ioas_iova_ranges q = { .size = sizeof(q), .ioas_id = ioas, .num_iovas = 0,
				      .allowed_iovas = (u64)(uintptr_t)r, .out_iova_alignment = 0x1234 };
	char key[96];
	int e, rc;

	rc = xioctl(fd, IOMMU_IOAS_IOVA_RANGES, &q, &e);
	snprintf(key, sizeof(key), "c.iommufd.IOVA_RANGES.num0_%s", stage);
	fact(key, "%s num_iovas_out=%u align=0x%" PRIx64 " r0=[0x%" PRIx64 ",0x%" PRIx64 "]", R(rc, e), q.num_iovas,
	     q.out_iova_alignment, r[0].start, r[0].last);
}

static void probe_iommufd(const char *bdf)
{
	int e, rc;
	char key[200];
	const char *pfx = "c.iommufd";
	char cpath[128];
	int fd = open("/dev/iommu", O_RDWR);
	fact("c.iommufd.open", "%s", fd < 0 ? ename(errno) : "ok");
	if (fd < 0)
		return;
	struct stat st;
	if (!stat("/dev/iommu", &st))
		fact("c.iommufd.devnode", "major=%u minor=%u mode=0%o", major(st.st_rdev), minor(st.st_rdev), st.st_mode & 0777);

	/* struct-size contracts on IOAS_ALLOC */
	{
		u8 buf[8192];
		memset(buf, 0, sizeof(buf));
		struct ioas_alloc *a = (void *)buf;
		/* size 11 reuses what size 8 left in the buffer */
		ioas_alloc_sized(fd, buf, 8, "size8", 0);
		ioas_alloc_sized(fd, buf, 11, "size11", 0);
		memset(buf, 0, sizeof(buf));
		ioas_alloc_sized(fd, buf, 16, "size16_zero_tail", 1);
		memset(buf, 0, sizeof(buf));
		buf[15] = 1;
		ioas_alloc_sized(fd, buf, 16, "size16_nonzero_tail", 0);
		memset(buf, 0, sizeof(buf));
		ioas_alloc_sized(fd, buf, 4096, "size4096_zero_tail", 1);
		memset(buf, 0, sizeof(buf));
		ioas_alloc_sized(fd, buf, 8192, "size8192_zero_tail", 1);
		memset(buf, 0, sizeof(buf));
		a->flags = 1;
		ioas_alloc_sized(fd, buf, 12, "flags1", 0);
		rc = xioctl(fd, IOMMU_IOAS_ALLOC, NULL, &e);
		fact("c.iommufd.size_contract.IOAS_ALLOC.NULL_arg", "%s", R(rc, e));
		rc = xioctl(fd, 0x3B00 | 0xa1, buf, &e);
		fact("c.iommufd.unknown_nr_0xa1", "%s", R(rc, e));
		rc = xioctl(fd, 0x3B00 | 0x95, buf, &e);
		fact("c.iommufd.unknown_nr_0x95", "%s", R(rc, e));
		rc = xioctl(fd, 0xC0003B81u, buf, &e); /* right nr, wrong encoding */
		fact("c.iommufd.IOAS_ALLOC_wrong_encoding_0xC0003B81", "%s", R(rc, e));
		rc = xioctl_v(fd, VFIO_GET_API_VERSION, 0, &e);
		fact("c.iommufd.VFIO_GET_API_VERSION_on_dev_iommu", "%s", R(rc, e));
		rc = xioctl_v(fd, VFIO_CHECK_EXTENSION, 3, &e);
		fact("c.iommufd.VFIO_CHECK_EXTENSION3_on_dev_iommu", "%s", R(rc, e));
	}
	{
		struct iommu_destroy d = { .size = sizeof(d), .id = 0xdead };
		rc = xioctl(fd, IOMMU_DESTROY, &d, &e);
		fact("c.iommufd.DESTROY_unknown_id", "%s", R(rc, e));
		d.id = 0;
		rc = xioctl(fd, IOMMU_DESTROY, &d, &e);
		fact("c.iommufd.DESTROY_id0", "%s", R(rc, e));
	}
	u32 ioas = 0;
	rc = ioas_alloc(fd, &ioas);
	fact("c.iommufd.IOAS_ALLOC", "%s id=%u", R(rc, errno), ioas);
	print_ranges("c.iommufd.IOVA_RANGES.empty_ioas", fd, ioas);
	{
		struct iova_range r[2] = { { 0xaa, 0xbb }, { 0xcc, 0xdd } };
		iova_ranges_num0(fd, ioas, r, "empty_ioas");
		struct ioas_iova_ranges q2 = { .size = sizeof(q2), .ioas_id = ioas, .num_iovas = 1, .reserved = 1,
					       .allowed_iovas = (u64)(uintptr_t)r };
		rc = xioctl(fd, IOMMU_IOAS_IOVA_RANGES, &q2, &e);
		fact("c.iommufd.IOVA_RANGES.reserved_nonzero", "%s", R(rc, e));
		struct ioas_iova_ranges q3 = { .size = sizeof(q3), .ioas_id = 0xdead, .num_iovas = 1,
					       .allowed_iovas = (u64)(uintptr_t)r };
		rc = xioctl(fd, IOMMU_IOAS_IOVA_RANGES, &q3, &e);
		fact("c.iommufd.IOVA_RANGES.unknown_ioas", "%s", R(rc, e));
		struct ioas_iova_ranges q4 = { .size = 24, .ioas_id = ioas, .num_iovas = 1, .allowed_iovas = (u64)(uintptr_t)r };
		rc = xioctl(fd, IOMMU_IOAS_IOVA_RANGES, &q4, &e);
		fact("c.iommufd.IOVA_RANGES.size24", "%s", R(rc, e));
	}
	{
		u64 io = 0;
		rc = ioas_map(fd, ioas, IOAS_R | IOAS_W, (u64)(uintptr_t)mem, 0, 0x10000, &io, &e);
		fact("c.iommufd.MAP.empty_ioas_no_FIXED", "%s iova_out=0x%" PRIx64, R(rc, e), io);
		rc = ioas_map(fd, ioas, IOAS_R | IOAS_W, (u64)(uintptr_t)mem, 0, 0x10000, &io, &e);
		fact("c.iommufd.MAP.empty_ioas_no_FIXED_2nd", "%s iova_out=0x%" PRIx64, R(rc, e), io);
		u64 len = UINT64_MAX;
		rc = ioas_unmap(fd, ioas, 0, &len, &e);
		fact("c.iommufd.UNMAP.all_empty_ioas", "%s length_out=0x%" PRIx64, R(rc, e), len);
		len = UINT64_MAX;
		rc = ioas_unmap(fd, ioas, 0, &len, &e);
		fact("c.iommufd.UNMAP.all_when_nothing_mapped", "%s length_out=0x%" PRIx64, R(rc, e), len);
	}

	if (cdev_of(bdf, cpath, sizeof(cpath))) {
		fact("c.cdev", "no vfio-dev node for %s", bdf);
		close(fd);
		return;
	}
	fact("c.cdev.path", "%s", cpath);
	int d = open(cpath, O_RDWR);
	fact("c.cdev.open", "%s", d < 0 ? ename(errno) : "ok");
	if (d < 0) {
		close(fd);
		return;
	}
	{
		struct dev_info di = { .argsz = sizeof(di) };
		rc = xioctl(d, VFIO_DEVICE_GET_INFO, &di, &e);
		fact("c.cdev.GET_INFO_before_BIND", "%s", R(rc, e));
		struct attach_pt at = { .argsz = 12, .pt_id = ioas };
		rc = xioctl(d, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at, &e);
		fact("c.cdev.ATTACH_before_BIND", "%s", R(rc, e));
		struct bind_iommufd b = { .argsz = 12, .iommufd = fd };
		rc = xioctl(d, VFIO_DEVICE_BIND_IOMMUFD, &b, &e);
		fact("c.cdev.BIND.argsz12", "%s", R(rc, e));
		b = (struct bind_iommufd){ .argsz = 16, .flags = 2, .iommufd = fd };
		rc = xioctl(d, VFIO_DEVICE_BIND_IOMMUFD, &b, &e);
		fact("c.cdev.BIND.unknown_flag_1<<1", "%s", R(rc, e));
		u8 uuid[16] = { 0 };
		b = (struct bind_iommufd){ .argsz = 24, .flags = 1, .iommufd = fd, .token_uuid_ptr = (u64)(uintptr_t)uuid };
		rc = xioctl(d, VFIO_DEVICE_BIND_IOMMUFD, &b, &e);
		fact("c.cdev.BIND.argsz24_FLAG_TOKEN_on_non_VF", "%s devid=%u", R(rc, e), b.out_devid);
		if (rc == 0) {
			close(d);
			d = open(cpath, O_RDWR);
		}
		b = (struct bind_iommufd){ .argsz = 16, .flags = 1, .iommufd = fd };
		rc = xioctl(d, VFIO_DEVICE_BIND_IOMMUFD, &b, &e);
		fact("c.cdev.BIND.argsz16_FLAG_TOKEN", "%s", R(rc, e));
		if (rc == 0) {
			close(d);
			d = open(cpath, O_RDWR);
		}
		b = (struct bind_iommufd){ .argsz = 16, .iommufd = -1 };
		rc = xioctl(d, VFIO_DEVICE_BIND_IOMMUFD, &b, &e);
		fact("c.cdev.BIND.iommufd_-1", "%s", R(rc, e));
		int nfd = open("/dev/null", O_RDWR);
		b = (struct bind_iommufd){ .argsz = 16, .iommufd = nfd };
		rc = xioctl(d, VFIO_DEVICE_BIND_IOMMUFD, &b, &e);
		fact("c.cdev.BIND.iommufd_is_dev_null", "%s", R(rc, e));
		close(nfd);
		u8 big[40] = { 0 };
		struct bind_iommufd *bb = (void *)big;
		bb->argsz = 40;
		bb->iommufd = fd;
		big[36] = 1;
		rc = xioctl(d, VFIO_DEVICE_BIND_IOMMUFD, big, &e);
		fact("c.cdev.BIND.argsz40_nonzero_tail", "%s", R(rc, e));
		if (rc == 0) {
			close(d);
			d = open(cpath, O_RDWR);
		}
		/* argsz 16: the success path, then a second BIND */
		b = (struct bind_iommufd){ .argsz = 16, .iommufd = fd, .out_devid = 0xeeee };
		rc = xioctl(d, VFIO_DEVICE_BIND_IOMMUFD, &b, &e);
		fact("c.cdev.BIND.argsz16", "%s out_devid=%u", R(rc, e), b.out_devid);
		u32 devid16 = b.out_devid;
		b = (struct bind_iommufd){ .argsz = 16, .iommufd = fd };
		rc = xioctl(d, VFIO_DEVICE_BIND_IOMMUFD, &b, &e);
		fact("c.cdev.BIND.second_bind", "%s", R(rc, e));
		close(d);
		(void)devid16;
		/* group open while a cdev is bound? (after close: nothing) */
		d = open(cpath, O_RDWR);
		b = (struct bind_iommufd){ .argsz = 24, .iommufd = fd, .token_uuid_ptr = 0, .out_devid = 0xeeee };
		rc = xioctl(d, VFIO_DEVICE_BIND_IOMMUFD, &b, &e);
		fact("c.cdev.BIND.argsz24_ptr0", "%s out_devid=%u", R(rc, e), b.out_devid);
		if (rc != 0) {
			close(d);
			d = open(cpath, O_RDWR);
			b = (struct bind_iommufd){ .argsz = 16, .iommufd = fd };
			rc = xioctl(d, VFIO_DEVICE_BIND_IOMMUFD, &b, &e);
			fact("c.cdev.BIND.argsz16_retry", "%s out_devid=%u", R(rc, e), b.out_devid);
		}
	}
	/* now bound; dev id */
	struct bind_iommufd dummy;
	(void)dummy;
	u32 devid = 0;
	{
		/* fetch devid: rebind is not possible; re-derive via GET_HW_INFO scanning small ids */
		for (u32 id = 1; id < 64; id++) {
			struct hw_info h = { .size = sizeof(h), .dev_id = id };
			int ee;
			if (xioctl(fd, IOMMU_GET_HW_INFO, &h, &ee) == 0) {
				devid = id;
				break;
			}
		}
		fact("c.cdev.devid_found_by_hw_info_scan", "%u", devid);
	}
	{
		int grp = group_of(bdf);
		char gpath[64];
		snprintf(gpath, sizeof(gpath), "/dev/vfio/%d", grp);
		int g = open(gpath, O_RDWR);
		fact("c.cdev.group_open_while_cdev_bound", "%s", g < 0 ? ename(errno) : "ok");
		if (g >= 0) {
			int c = open("/dev/vfio/vfio", O_RDWR);
			rc = xioctl(g, VFIO_GROUP_SET_CONTAINER, &c, &e);
			fact("c.cdev.group_SET_CONTAINER_while_cdev_bound", "%s", R(rc, e));
			if (rc == 0) {
				rc = xioctl_v(c, VFIO_SET_IOMMU, 3, &e);
				rc = xioctl(g, VFIO_GROUP_GET_DEVICE_FD, (void *)bdf, &e);
				fact("c.cdev.group_GET_DEVICE_FD_while_cdev_bound", "%s", rc >= 0 ? "ok" : ename(e));
				if (rc >= 0)
					close(rc);
				xioctl_v(g, VFIO_GROUP_UNSET_CONTAINER, 0, &e);
			}
			close(c);
			close(g);
		}
	}
	hw_info_probe("c.cdev", fd, devid);
	{
		struct dev_info di = { .argsz = sizeof(di) };
		rc = xioctl(d, VFIO_DEVICE_GET_INFO, &di, &e);
		fact("c.cdev.GET_INFO_after_BIND", "%s flags=0x%x num_regions=%u num_irqs=%u", R(rc, e), di.flags,
		     di.num_regions, di.num_irqs);
	}
	/* IOVA_RANGES before attach (device bound but not attached) */
	u32 ioas2 = 0;
	ioas_alloc(fd, &ioas2);
	print_ranges("c.iommufd.IOVA_RANGES.bound_not_attached", fd, ioas2);
	{
		/* map before attach, then attach: does attach fail for a mapping in the msi window? */
		u64 io;
		rc = ioas_map(fd, ioas2, IOAS_FIXED | IOAS_R | IOAS_W, (u64)(uintptr_t)mem, 0xfee00000, 0x1000, &io, &e);
		fact("c.iommufd.MAP.fixed_msi_window_before_attach", "%s", R(rc, e));
	}
	{
		struct attach_pt at = { .argsz = 8, .pt_id = ioas2 };
		rc = xioctl(d, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at, &e);
		fact("c.cdev.ATTACH.argsz8", "%s", R(rc, e));
		at = (struct attach_pt){ .argsz = 12, .pt_id = 0xdead };
		rc = xioctl(d, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at, &e);
		fact("c.cdev.ATTACH.unknown_pt_id", "%s", R(rc, e));
		at = (struct attach_pt){ .argsz = 16, .flags = 2, .pt_id = ioas2 };
		rc = xioctl(d, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at, &e);
		fact("c.cdev.ATTACH.unknown_flag_1<<1", "%s", R(rc, e));
		at = (struct attach_pt){ .argsz = 12, .pt_id = ioas2 };
		rc = xioctl(d, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at, &e);
		fact("c.cdev.ATTACH.ioas_with_mapping_in_msi_window", "%s pt_id_out=%u", R(rc, e), at.pt_id);
		if (rc == 0) {
			struct detach_pt dt = { .argsz = 8 };
			xioctl(d, VFIO_DEVICE_DETACH_IOMMUFD_PT, &dt, &e);
		}
	}
	{
		struct attach_pt at = { .argsz = 12, .pt_id = ioas, .pasid = 0 };
		rc = xioctl(d, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at, &e);
		fact("c.cdev.ATTACH.argsz12_ioas", "%s pt_id_out=%u (ioas=%u)", R(rc, e), at.pt_id, ioas);
		u32 hwpt = at.pt_id;
		at = (struct attach_pt){ .argsz = 16, .pt_id = ioas };
		rc = xioctl(d, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at, &e);
		fact("c.cdev.ATTACH.again_same_ioas_argsz16", "%s pt_id_out=%u", R(rc, e), at.pt_id);
		at = (struct attach_pt){ .argsz = 16, .flags = 1, .pt_id = ioas, .pasid = 1 };
		rc = xioctl(d, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at, &e);
		fact("c.cdev.ATTACH.PASID_flag_pasid1", "%s pt_id_out=%u", R(rc, e), at.pt_id);
		at = (struct attach_pt){ .argsz = 12, .flags = 1, .pt_id = ioas, .pasid = 1 };
		rc = xioctl(d, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at, &e);
		fact("c.cdev.ATTACH.PASID_flag_argsz12", "%s", R(rc, e));
		struct iommu_destroy ds = { .size = sizeof(ds), .id = ioas };
		rc = xioctl(fd, IOMMU_DESTROY, &ds, &e);
		fact("c.iommufd.DESTROY_attached_ioas", "%s", R(rc, e));
		ds.id = hwpt;
		rc = xioctl(fd, IOMMU_DESTROY, &ds, &e);
		fact("c.iommufd.DESTROY_auto_hwpt_in_use", "%s", R(rc, e));
		ds.id = devid;
		rc = xioctl(fd, IOMMU_DESTROY, &ds, &e);
		fact("c.iommufd.DESTROY_device_id", "%s", R(rc, e));
		/* explicit HWPT_ALLOC on the real device */
		struct hwpt_alloc ha = { .size = sizeof(ha), .dev_id = devid, .pt_id = ioas };
		rc = xioctl(fd, IOMMU_HWPT_ALLOC, &ha, &e);
		fact("c.iommufd.HWPT_ALLOC.plain", "%s hwpt=%u", R(rc, e), ha.out_hwpt_id);
		u32 hw2 = ha.out_hwpt_id;
		/* one flag each; what is allocated is destroyed at once */
		static const struct { u32 flags; const char *name; } hwpt_flags[] = {
			{ HWPT_ALLOC_PASID, "PASID_flag" }, { 2, "DIRTY_TRACKING" }, { 1, "NEST_PARENT" },
		};
		for (unsigned int i = 0; i < sizeof(hwpt_flags) / sizeof(hwpt_flags[0]); i++) {
			ha = (struct hwpt_alloc){ .size = sizeof(ha), .flags = hwpt_flags[i].flags, .dev_id = devid,
						  .pt_id = ioas };
			rc = xioctl(fd, IOMMU_HWPT_ALLOC, &ha, &e);
			snprintf(key, sizeof(key), "%s.HWPT_ALLOC.%s", pfx, hwpt_flags[i].name);
			fact(key, "%s hwpt=%u", R(rc, e), ha.out_hwpt_id);
			if (rc == 0) {
				ds.id = ha.out_hwpt_id;
				xioctl(fd, IOMMU_DESTROY, &ds, &e);
			}
		}
		ha = (struct hwpt_alloc){ .size = sizeof(ha), .flags = 1u << 10, .dev_id = devid, .pt_id = ioas };
		rc = xioctl(fd, IOMMU_HWPT_ALLOC, &ha, &e);
		fact("c.iommufd.HWPT_ALLOC.unknown_flag_1<<10", "%s", R(rc, e));
		ha = (struct hwpt_alloc){ .size = sizeof(ha), .dev_id = devid, .pt_id = ioas, .reserved = 1 };
		rc = xioctl(fd, IOMMU_HWPT_ALLOC, &ha, &e);
		fact("c.iommufd.HWPT_ALLOC.reserved_nonzero", "%s", R(rc, e));
		ha = (struct hwpt_alloc){ .size = sizeof(ha), .dev_id = devid, .pt_id = ioas, .data_type = 1 };
		rc = xioctl(fd, IOMMU_HWPT_ALLOC, &ha, &e);
		fact("c.iommufd.HWPT_ALLOC.data_type_VTD_S1_len0", "%s", R(rc, e));
		if (rc == 0 || hw2) {
			at = (struct attach_pt){ .argsz = 12, .pt_id = hw2 };
			rc = xioctl(d, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at, &e);
			fact("c.cdev.ATTACH.replace_with_explicit_hwpt", "%s pt_id_out=%u", R(rc, e), at.pt_id);
			ds.id = hwpt;
			rc = xioctl(fd, IOMMU_DESTROY, &ds, &e);
			fact("c.iommufd.DESTROY_old_auto_hwpt_after_replace", "%s", R(rc, e));
			at = (struct attach_pt){ .argsz = 12, .pt_id = ioas };
			rc = xioctl(d, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at, &e);
			fact("c.cdev.ATTACH.back_to_ioas", "%s pt_id_out=%u", R(rc, e), at.pt_id);
			ds.id = hw2;
			rc = xioctl(fd, IOMMU_DESTROY, &ds, &e);
			fact("c.iommufd.DESTROY_explicit_hwpt_after_replace", "%s", R(rc, e));
		}
	}
	print_ranges("c.iommufd.IOVA_RANGES.attached", fd, ioas);
	{
		struct iova_range r[2] = { { 0xaa, 0xbb }, { 0xcc, 0xdd } };
		iova_ranges_num0(fd, ioas, r, "attached");
		struct ioas_iova_ranges q = { .size = sizeof(q), .ioas_id = ioas, .num_iovas = 1,
					      .allowed_iovas = (u64)(uintptr_t)r };
		rc = xioctl(fd, IOMMU_IOAS_IOVA_RANGES, &q, &e);
		fact("c.iommufd.IOVA_RANGES.num1_attached", "%s num_iovas_out=%u r0=[0x%" PRIx64 ",0x%" PRIx64 "] r1=[0x%" PRIx64 ",0x%" PRIx64 "]",
		     R(rc, e), q.num_iovas, r[0].start, r[0].last, r[1].start, r[1].last);
	}

	/* MAP / UNMAP cases */
	u64 va = (u64)(uintptr_t)mem;
	u64 io, len;
#define IMAP(name, flags, vaddr, iova, size)                                                                \
	do {                                                                                                \
		io = 0;                                                                                     \
		rc = ioas_map(fd, ioas, flags, vaddr, iova, size, &io, &e);                                 \
		snprintf(key, sizeof(key), "%s.MAP.%s", pfx, name);                                         \
		fact(key, "%s iova_out=0x%" PRIx64, R(rc, e), io);                                          \
	} while (0)
#define IUNMAP(name, iova, size)                                                                            \
	do {                                                                                                \
		len = size;                                                                                 \
		rc = ioas_unmap(fd, ioas, iova, &len, &e);                                                  \
		snprintf(key, sizeof(key), "%s.UNMAP.%s", pfx, name);                                       \
		fact(key, "%s length_out=0x%" PRIx64, R(rc, e), len);                                       \
	} while (0)
	const u32 F = IOAS_FIXED | IOAS_R | IOAS_W;
	IMAP("base[0x100000+0x10000]", F, va, 0x100000, 0x10000);
	IMAP("exact_same_range", F, va, 0x100000, 0x10000);
	IMAP("partial_overlap_tail[0x108000+0x10000]", F, va, 0x108000, 0x10000);
	IMAP("partial_overlap_head[0xf8000+0x10000]", F, va, 0xf8000, 0x10000);
	IMAP("inside_existing[0x104000+0x1000]", F, va, 0x104000, 0x1000);
	IMAP("msi_window[0xfee00000+0x1000]", F, va, 0xfee00000, 0x1000);
	IMAP("straddle_msi[0xfedff000+0x2000]", F, va, 0xfedff000, 0x2000);
	IMAP("at_2^39-4K", F, va, (1ull << 39) - 0x1000, 0x1000);
	IMAP("at_2^39", F, va, 1ull << 39, 0x1000);
	IMAP("at_2^48", F, va, 1ull << 48, 0x1000);
	IMAP("at_0xfd00000000(amd_ht)", F, va, 0xfd00000000ull, 0x1000);
	IMAP("iova_top_page", F, va, 0xfffffffffffff000ull, 0x1000);
	IMAP("iova_plus_len_wraps", F, va, 0xfffffffffffff000ull, 0x2000);
	IMAP("length_ULONG_MAX", F, va, 0x200000, UINT64_MAX);
	IMAP("misaligned_iova[0x200800]", F, va, 0x200800, 0x1000);
	IMAP("misaligned_len[0x800]", F, va, 0x200000, 0x800);
	IMAP("misaligned_vaddr[+0x800]", F, va + 0x800, 0x200000, 0x1000);
	IMAP("misaligned_vaddr_and_iova_same_offset", F, va + 0x800, 0x200800, 0x1000);
	IMAP("len_0", F, va, 0x200000, 0);
	IMAP("no_RW", IOAS_FIXED, va, 0x200000, 0x1000);
	IMAP("read_only", IOAS_FIXED | IOAS_R, va, 0x280000, 0x1000);
	IMAP("write_only", IOAS_FIXED | IOAS_W, va, 0x290000, 0x1000);
	IMAP("unknown_flag_1<<3", F | (1u << 3), va, 0x200000, 0x1000);
	IMAP("vaddr_unmapped[0x1000]", F, 0x1000, 0x200000, 0x1000);
	IMAP("iova_0", F, va, 0, 0x1000);
	IMAP("not_fixed_alloc1", IOAS_R | IOAS_W, va, 0, 0x10000);
	IMAP("not_fixed_alloc2_2M", IOAS_R | IOAS_W, va, 0, 0x200000);
	{
		struct ioas_map m = { .size = sizeof(m), .flags = F, .ioas_id = ioas, .reserved = 1, .user_va = va,
				      .length = 0x1000, .iova = 0x300000 };
		rc = xioctl(fd, IOMMU_IOAS_MAP, &m, &e);
		fact("c.iommufd.MAP.reserved_nonzero", "%s", R(rc, e));
		m = (struct ioas_map){ .size = sizeof(m), .flags = F, .ioas_id = 0xdead, .user_va = va, .length = 0x1000,
				       .iova = 0x300000 };
		rc = xioctl(fd, IOMMU_IOAS_MAP, &m, &e);
		fact("c.iommufd.MAP.unknown_ioas", "%s", R(rc, e));
		m = (struct ioas_map){ .size = 32, .flags = F, .ioas_id = ioas, .user_va = va, .length = 0x1000, .iova = 0x300000 };
		rc = xioctl(fd, IOMMU_IOAS_MAP, &m, &e);
		fact("c.iommufd.MAP.size32", "%s", R(rc, e));
		u8 big[64] = { 0 };
		memcpy(big, &(struct ioas_map){ .size = 48, .flags = F, .ioas_id = ioas, .user_va = va, .length = 0x1000,
						.iova = 0x300000 }, 40);
		big[47] = 1;
		rc = xioctl(fd, IOMMU_IOAS_MAP, big, &e);
		fact("c.iommufd.MAP.size48_nonzero_tail", "%s", R(rc, e));
		big[47] = 0;
		rc = xioctl(fd, IOMMU_IOAS_MAP, big, &e);
		fact("c.iommufd.MAP.size48_zero_tail", "%s", R(rc, e));
	}
	IUNMAP("nothing_mapped[0x40000000+0x1000]", 0x40000000, 0x1000);
	IUNMAP("len_0", 0x100000, 0);
	IUNMAP("misaligned_iova", 0x100800, 0x1000);
	IUNMAP("misaligned_len", 0x100000, 0x800);
	IMAP("setup_split[0x600000+0x10000]", F, va, 0x600000, 0x10000);
	IUNMAP("split_middle[0x604000+0x4000]", 0x604000, 0x4000);
	IUNMAP("split_head[0x600000+0x4000]", 0x600000, 0x4000);
	IUNMAP("split_tail[0x60c000+0x4000]", 0x60c000, 0x4000);
	IUNMAP("whole[0x600000+0x10000]", 0x600000, 0x10000);
	IMAP("setup_two_a[0x800000+0x10000]", F, va, 0x800000, 0x10000);
	IMAP("setup_two_b[0x810000+0x10000]", F, va + 0x10000, 0x810000, 0x10000);
	IUNMAP("two_whole_mappings[0x800000+0x20000]", 0x800000, 0x20000);
	IMAP("setup_gap_a[0x900000+0x1000]", F, va, 0x900000, 0x1000);
	IMAP("setup_gap_b[0x980000+0x1000]", F, va + 0x1000, 0x980000, 0x1000);
	IUNMAP("two_with_gaps[0x8f0000+0x100000]", 0x8f0000, 0x100000);
	IMAP("setup_partial_cover[0xa00000+0x2000]", F, va, 0xa00000, 0x2000);
	IMAP("setup_partial_cover2[0xa10000+0x2000]", F, va, 0xa10000, 0x2000);
	IUNMAP("covers_one_splits_other[0xa00000+0x11000]", 0xa00000, 0x11000);
	/* was the fully covered first mapping removed by the failed call? EEXIST = still there */
	IMAP("remap_first_after_failed_unmap[0xa00000+0x2000](EEXIST=still_mapped)", F, va, 0xa00000, 0x2000);
	IMAP("remap_second_after_failed_unmap[0xa10000+0x2000](EEXIST=still_mapped)", F, va, 0xa10000, 0x2000);
	IUNMAP("iova0_len_not_max", 0, 0x10000000);
	{
		struct ioas_unmap u = { .size = sizeof(u), .ioas_id = 0xdead, .iova = 0, .length = UINT64_MAX };
		rc = xioctl(fd, IOMMU_IOAS_UNMAP, &u, &e);
		fact("c.iommufd.UNMAP.unknown_ioas", "%s", R(rc, e));
	}
	IUNMAP("all(iova0,len_U64_MAX)", 0, UINT64_MAX);
	IUNMAP("all_again_empty", 0, UINT64_MAX);
	IUNMAP("iova1_len_U64_MAX", 1, UINT64_MAX);
#undef IMAP
#undef IUNMAP
	{
		/* ALLOW_IOVAS overlapping reserved msi */
		struct iova_range r = { 0xfee00000, 0xfeefffff };
		struct ioas_allow_iovas a = { .size = sizeof(a), .ioas_id = ioas, .num_iovas = 1, .allowed_iovas = (u64)(uintptr_t)&r };
		rc = xioctl(fd, IOMMU_IOAS_ALLOW_IOVAS, &a, &e);
		fact("c.iommufd.ALLOW_IOVAS.msi_window_while_attached", "%s", R(rc, e));
		r = (struct iova_range){ 0x1000000, 0x1ffffff };
		rc = xioctl(fd, IOMMU_IOAS_ALLOW_IOVAS, &a, &e);
		fact("c.iommufd.ALLOW_IOVAS.[0x1000000,0x1ffffff]", "%s", R(rc, e));
		print_ranges("c.iommufd.IOVA_RANGES.after_ALLOW_IOVAS", fd, ioas);
		u64 io2 = 0;
		rc = ioas_map(fd, ioas, IOAS_R | IOAS_W, va, 0, 0x1000, &io2, &e);
		fact("c.iommufd.MAP.not_fixed_after_ALLOW_IOVAS", "%s iova_out=0x%" PRIx64, R(rc, e), io2);
		rc = ioas_map(fd, ioas, F, va, 0x100000, 0x1000, &io2, &e);
		fact("c.iommufd.MAP.fixed_outside_allowed", "%s", R(rc, e));
		r = (struct iova_range){ 0x2000, 0x1000 };
		rc = xioctl(fd, IOMMU_IOAS_ALLOW_IOVAS, &a, &e);
		fact("c.iommufd.ALLOW_IOVAS.start>last", "%s", R(rc, e));
		a.num_iovas = 0;
		rc = xioctl(fd, IOMMU_IOAS_ALLOW_IOVAS, &a, &e);
		fact("c.iommufd.ALLOW_IOVAS.clear(num0)", "%s", R(rc, e));
		len = UINT64_MAX;
		ioas_unmap(fd, ioas, 0, &len, &e);
	}
	{
		struct vfio_ioas v = { .size = sizeof(v), .op = 0 };
		rc = xioctl(fd, IOMMU_VFIO_IOAS, &v, &e);
		fact("c.iommufd.VFIO_IOAS.GET_none", "%s ioas=%u", R(rc, e), v.ioas_id);
		struct iommu_option o = { .size = sizeof(o), .option_id = 1, .op = 1, .object_id = ioas };
		rc = xioctl(fd, IOMMU_OPTION, &o, &e);
		fact("c.iommufd.OPTION.HUGE_PAGES_GET", "%s val=%" PRIu64, R(rc, e), o.val64);
		o = (struct iommu_option){ .size = sizeof(o), .option_id = 0, .op = 1 };
		rc = xioctl(fd, IOMMU_OPTION, &o, &e);
		fact("c.iommufd.OPTION.RLIMIT_MODE_GET", "%s val=%" PRIu64, R(rc, e), o.val64);
	}
	{
		struct detach_pt dt = { .argsz = 8 };
		rc = xioctl(d, VFIO_DEVICE_DETACH_IOMMUFD_PT, &dt, &e);
		fact("c.cdev.DETACH.argsz8", "%s", R(rc, e));
		rc = xioctl(d, VFIO_DEVICE_DETACH_IOMMUFD_PT, &dt, &e);
		fact("c.cdev.DETACH.again", "%s", R(rc, e));
		dt = (struct detach_pt){ .argsz = 4 };
		rc = xioctl(d, VFIO_DEVICE_DETACH_IOMMUFD_PT, &dt, &e);
		fact("c.cdev.DETACH.argsz4", "%s", R(rc, e));
		dt = (struct detach_pt){ .argsz = 12, .flags = 1, .pasid = 1 };
		rc = xioctl(d, VFIO_DEVICE_DETACH_IOMMUFD_PT, &dt, &e);
		fact("c.cdev.DETACH.PASID_flag_pasid1", "%s", R(rc, e));
		print_ranges("c.iommufd.IOVA_RANGES.after_detach", fd, ioas);
		struct iommu_destroy ds = { .size = sizeof(ds), .id = ioas };
		rc = xioctl(fd, IOMMU_DESTROY, &ds, &e);
		fact("c.iommufd.DESTROY_ioas_after_detach", "%s", R(rc, e));
		rc = xioctl(fd, IOMMU_DESTROY, &ds, &e);
		fact("c.iommufd.DESTROY_ioas_twice", "%s", R(rc, e));
	}
	device_probe("e.cdev_dev", d);
	close(d);
	close(fd);
}

/* ------------------------------------------------------------------ (f) IOMMUFD_TEST */
static int tcmd(int fd, u32 op, u32 id, void *arg, size_t arglen, struct test_cmd *out, int *e)
{
	struct test_cmd c;
	memset(&c, 0, sizeof(c));
	c.size = sizeof(c);
	c.op = op;
	c.id = id;
	if (arg)
		memcpy(c.arg, arg, arglen);
	int rc = xioctl(fd, IOMMU_TEST_CMD, &c, e);
	if (out)
		*out = c;
	return rc;
}

static void probe_selftest(void)
{
	int e, rc;
	int fd = open("/dev/iommu", O_RDWR);
	if (fd < 0) {
		fact("f.test.open", "%s", ename(errno));
		return;
	}
	u32 ioas = 0;
	ioas_alloc(fd, &ioas);
	struct test_cmd o;
	rc = tcmd(fd, T_MOCK_DOMAIN, ioas, NULL, 0, &o, &e);
	u32 *ids = (u32 *)o.arg;
	u32 stdev = ids[0], hwpt = ids[1], idev = ids[2];
	fact("f.test.MOCK_DOMAIN", "%s stdev=%u hwpt=%u idev=%u (ioas=%u)", R(rc, e), stdev, hwpt, idev, ioas);
	print_ranges("f.test.IOVA_RANGES.after_MOCK_DOMAIN", fd, ioas);
	{
		u64 arg[2] = { 0x2000000, 0x100000 };
		rc = tcmd(fd, T_ADD_RESERVED, ioas, arg, sizeof(arg), NULL, &e);
		fact("f.test.ADD_RESERVED[0x2000000+0x100000]", "%s", R(rc, e));
		print_ranges("f.test.IOVA_RANGES.after_ADD_RESERVED", fd, ioas);
		u64 io = 0;
		rc = ioas_map(fd, ioas, IOAS_FIXED | IOAS_R | IOAS_W, (u64)(uintptr_t)mem, 0x2000000, 0x1000, &io, &e);
		fact("f.test.MAP.into_reserved", "%s", R(rc, e));
		rc = ioas_map(fd, ioas, IOAS_FIXED | IOAS_R | IOAS_W, (u64)(uintptr_t)mem, 0x1000, 0x1000, &io, &e);
		fact("f.test.MAP.below_aperture", "%s", R(rc, e));
		rc = ioas_map(fd, ioas, IOAS_FIXED | IOAS_R | IOAS_W, (u64)(uintptr_t)mem, 0x80000000, 0x1000, &io, &e);
		fact("f.test.MAP.above_aperture", "%s", R(rc, e));
		rc = ioas_map(fd, ioas, IOAS_FIXED | IOAS_R | IOAS_W, (u64)(uintptr_t)mem, 0x1000800, 0x800, &io, &e);
		fact("f.test.MAP.2K_aligned[0x1000800+0x800]", "%s", R(rc, e));
		rc = ioas_map(fd, ioas, IOAS_R | IOAS_W, (u64)(uintptr_t)mem, 0, 0x10000, &io, &e);
		fact("f.test.MAP.not_fixed", "%s iova_out=0x%" PRIx64, R(rc, e), io);
		u64 arg2[2] = { 0x3000000, 0x1000 };
		rc = ioas_map(fd, ioas, IOAS_FIXED | IOAS_R | IOAS_W, (u64)(uintptr_t)mem, 0x3000000, 0x1000, &io, &e);
		rc = tcmd(fd, T_ADD_RESERVED, ioas, arg2, sizeof(arg2), NULL, &e);
		fact("f.test.ADD_RESERVED_over_existing_mapping", "%s", R(rc, e));
		u64 len = UINT64_MAX;
		ioas_unmap(fd, ioas, 0, &len, &e);
	}
	hw_info_probe("f.test.mock_idev", fd, idev);

	/* fault queue */
	struct fault_alloc fa = { .size = sizeof(fa) };
	rc = xioctl(fd, IOMMU_FAULT_QUEUE_ALLOC, &fa, &e);
	fact("f.fault.FAULT_QUEUE_ALLOC", "%s fault_id=%u fault_fd=%u", R(rc, e), fa.out_fault_id, fa.out_fault_fd);
	{
		struct fault_alloc fb = { .size = sizeof(fb), .flags = 1 };
		int r2 = xioctl(fd, IOMMU_FAULT_QUEUE_ALLOC, &fb, &e);
		fact("f.fault.FAULT_QUEUE_ALLOC.flags1", "%s", R(r2, e));
		if (rc == 0) {
			int fl = fcntl(fa.out_fault_fd, F_GETFD);
			int sfl = fcntl(fa.out_fault_fd, F_GETFL);
			char lnk[128] = "", p[64];
			snprintf(p, sizeof(p), "/proc/self/fd/%u", fa.out_fault_fd);
			ssize_t n = readlink(p, lnk, sizeof(lnk) - 1);
			if (n > 0)
				lnk[n] = 0;
			fact("f.fault.fd_flags", "FD_CLOEXEC=%d O_ACCMODE=%d O_NONBLOCK=%d link=%s", !!(fl & FD_CLOEXEC),
			     sfl & O_ACCMODE, !!(sfl & O_NONBLOCK), lnk);
		}
	}
	int ffd = fa.out_fault_fd;
	struct hwpt_alloc ha = { .size = sizeof(ha), .flags = HWPT_FAULT_ID_VALID, .dev_id = idev, .pt_id = ioas,
				 .fault_id = fa.out_fault_id };
	rc = xioctl(fd, IOMMU_HWPT_ALLOC, &ha, &e);
	u32 iopf_hwpt = ha.out_hwpt_id;
	fact("f.fault.HWPT_ALLOC.FAULT_ID_VALID", "%s hwpt=%u", R(rc, e), iopf_hwpt);
	{
		struct hwpt_alloc hb = { .size = sizeof(hb), .flags = HWPT_FAULT_ID_VALID, .dev_id = idev, .pt_id = ioas,
					 .fault_id = 0xdead };
		int r2 = xioctl(fd, IOMMU_HWPT_ALLOC, &hb, &e);
		fact("f.fault.HWPT_ALLOC.FAULT_ID_VALID_unknown_fault", "%s", R(r2, e));
		hb = (struct hwpt_alloc){ .size = 40, .flags = HWPT_FAULT_ID_VALID, .dev_id = idev, .pt_id = ioas };
		r2 = xioctl(fd, IOMMU_HWPT_ALLOC, &hb, &e);
		fact("f.fault.HWPT_ALLOC.size40_FAULT_ID_VALID", "%s", R(r2, e));
		hb = (struct hwpt_alloc){ .size = 24, .dev_id = idev, .pt_id = ioas };
		r2 = xioctl(fd, IOMMU_HWPT_ALLOC, &hb, &e);
		fact("f.fault.HWPT_ALLOC.size24_plain", "%s hwpt=%u", R(r2, e), hb.out_hwpt_id);
		hb = (struct hwpt_alloc){ .size = 20, .dev_id = idev, .pt_id = ioas };
		r2 = xioctl(fd, IOMMU_HWPT_ALLOC, &hb, &e);
		fact("f.fault.HWPT_ALLOC.size20", "%s", R(r2, e));
		hb = (struct hwpt_alloc){ .size = sizeof(hb), .dev_id = idev, .pt_id = ioas, .reserved2 = 1 };
		r2 = xioctl(fd, IOMMU_HWPT_ALLOC, &hb, &e);
		fact("f.fault.HWPT_ALLOC.reserved2_nonzero", "%s", R(r2, e));
	}
	{
		u32 arg = iopf_hwpt;
		rc = tcmd(fd, T_MOCK_DOMAIN_REPLACE, stdev, &arg, 4, &o, &e);
		fact("f.fault.MOCK_DOMAIN_REPLACE", "%s", R(rc, e));
	}
	u8 rb[256];
	ssize_t n;
	errno = 0;
	n = read(ffd, rb, 40);
	fact("f.fault.read40_empty", "%zd %s", n, n < 0 ? ename(errno) : "");
	/* trigger 1 */
	struct { u32 dev_id, pasid, grpid, perm; u64 addr; } tr = { idev, 0, 0x11, 1 /* READ */, 0x1234000 };
	rc = tcmd(fd, T_TRIGGER_IOPF, 0, &tr, sizeof(tr), NULL, &e);
	fact("f.fault.TRIGGER_IOPF[1]", "%s", R(rc, e));
	struct pollfd_s { int fd; short events, revents; };
	errno = 0;
	n = read(ffd, rb, 39);
	fact("f.fault.read39", "%zd %s", n, n < 0 ? ename(errno) : "");
	errno = 0;
	n = read(ffd, rb, 0);
	fact("f.fault.read0", "%zd %s", n, n < 0 ? ename(errno) : "");
	errno = 0;
	n = pread(ffd, rb, 40, 40);
	fact("f.fault.pread40_at_40", "%zd %s", n, n < 0 ? ename(errno) : "");
	errno = 0;
	n = read(ffd, rb, 41);
	fact("f.fault.read41", "%zd %s", n, n < 0 ? ename(errno) : "");
	/* second fault before reading */
	tr.grpid = 0x22;
	tr.addr = 0x1235000;
	tr.perm = 2;
	rc = tcmd(fd, T_TRIGGER_IOPF, 0, &tr, sizeof(tr), NULL, &e);
	fact("f.fault.TRIGGER_IOPF[2]", "%s", R(rc, e));
	tr.pasid = 5;
	tr.grpid = 0x33;
	rc = tcmd(fd, T_TRIGGER_IOPF, 0, &tr, sizeof(tr), NULL, &e);
	fact("f.fault.TRIGGER_IOPF[pasid5_not_attached]", "%s", R(rc, e));
	tr.pasid = 0;
	memset(rb, 0xee, sizeof(rb));
	errno = 0;
	n = read(ffd, rb, 80);
	fact("f.fault.read80_with_2_pending", "%zd %s", n, n < 0 ? ename(errno) : "");
	u32 cookies[4] = { 0 };
	for (int i = 0; i < 4 && n > 0 && (i + 1) * 40 <= n; i++) {
		struct pgfault *p = (void *)(rb + 40 * i);
		char key[64];
		snprintf(key, sizeof(key), "f.fault.record[%d]", i);
		fact(key, "flags=0x%x dev_id=%u pasid=%u grpid=0x%x perm=0x%x reserved=0x%x addr=0x%" PRIx64 " length=%u cookie=%u",
		     p->flags, p->dev_id, p->pasid, p->grpid, p->perm, p->reserved, p->addr, p->length, p->cookie);
		cookies[i] = p->cookie;
	}
	errno = 0;
	n = read(ffd, rb, 40);
	fact("f.fault.read40_after_drain", "%zd %s", n, n < 0 ? ename(errno) : "");
	/* responses */
	struct page_resp pr = { cookies[0], 0 };
	errno = 0;
	n = write(ffd, &pr, 7);
	fact("f.fault.write7", "%zd %s", n, n < 0 ? ename(errno) : "");
	errno = 0;
	n = write(ffd, &pr, 8);
	fact("f.fault.write_resp_SUCCESS", "%zd %s", n, n < 0 ? ename(errno) : "");
	errno = 0;
	n = write(ffd, &pr, 8);
	fact("f.fault.write_resp_same_cookie_again", "%zd %s", n, n < 0 ? ename(errno) : "");
	pr = (struct page_resp){ 0xdead, 0 };
	errno = 0;
	n = write(ffd, &pr, 8);
	fact("f.fault.write_resp_unknown_cookie", "%zd %s", n, n < 0 ? ename(errno) : "");
	pr = (struct page_resp){ cookies[1], 7 };
	errno = 0;
	n = write(ffd, &pr, 8);
	fact("f.fault.write_resp_bad_code7", "%zd %s", n, n < 0 ? ename(errno) : "");
	{
		struct page_resp two[2] = { { cookies[1], 1 }, { 0xdead, 0 } };
		errno = 0;
		n = write(ffd, two, 16);
		fact("f.fault.write_two_second_bad", "%zd %s", n, n < 0 ? ename(errno) : "");
	}
	errno = 0;
	n = pwrite(ffd, &pr, 8, 8);
	fact("f.fault.pwrite_at_8", "%zd %s", n, n < 0 ? ename(errno) : "");
	/* faults outstanding when the HWPT is replaced away: one read-but-unanswered, one unread */
	tr.grpid = 0x44;
	rc = tcmd(fd, T_TRIGGER_IOPF, 0, &tr, sizeof(tr), NULL, &e);
	fact("f.fault.TRIGGER_IOPF[3]", "%s", R(rc, e));
	errno = 0;
	n = read(ffd, rb, 40);
	u32 c3 = ((struct pgfault *)rb)->cookie;
	fact("f.fault.read40_fault3", "%zd %s cookie=%u", n, n < 0 ? ename(errno) : "", c3);
	tr.grpid = 0x55;
	rc = tcmd(fd, T_TRIGGER_IOPF, 0, &tr, sizeof(tr), NULL, &e);
	fact("f.fault.TRIGGER_IOPF[4]_left_unread", "%s", R(rc, e));
	{
		u32 arg = ioas;
		rc = tcmd(fd, T_MOCK_DOMAIN_REPLACE, stdev, &arg, 4, &o, &e);
		fact("f.fault.MOCK_DOMAIN_REPLACE_to_ioas_with_faults_pending", "%s", R(rc, e));
		errno = 0;
		n = read(ffd, rb, 40);
		fact("f.fault.read40_after_replace_away(unread_fault4)", "%zd %s", n, n < 0 ? ename(errno) : "");
		pr = (struct page_resp){ c3, 0 };
		errno = 0;
		n = write(ffd, &pr, 8);
		fact("f.fault.write_resp_for_read_fault_after_replace_away", "%zd %s", n, n < 0 ? ename(errno) : "");
		struct iommu_destroy ds = { .size = sizeof(ds), .id = fa.out_fault_id };
		rc = xioctl(fd, IOMMU_DESTROY, &ds, &e);
		fact("f.fault.DESTROY_fault_while_hwpt_holds_it", "%s", R(rc, e));
		ds.id = iopf_hwpt;
		rc = xioctl(fd, IOMMU_DESTROY, &ds, &e);
		fact("f.fault.DESTROY_iopf_hwpt_detached", "%s", R(rc, e));
		ds.id = fa.out_fault_id;
		rc = xioctl(fd, IOMMU_DESTROY, &ds, &e);
		fact("f.fault.DESTROY_fault_after_hwpt_with_fd_open", "%s", R(rc, e));
		errno = 0;
		n = read(ffd, rb, 40);
		fact("f.fault.read_after_fault_object_destroyed", "%zd %s", n, n < 0 ? ename(errno) : "");
		close(ffd);
	}

	/* PASID */
	u32 ioasp = 0;
	ioas_alloc(fd, &ioasp);
	{
		u32 arg[4] = { 0, 0, 0, 1u << 2 }; /* dev_flags at offset 28 = arg[3] */
		rc = tcmd(fd, T_MOCK_DOMAIN_FLAGS, ioasp, arg, sizeof(arg), &o, &e);
		u32 *oi = (u32 *)o.arg;
		u32 pstdev = oi[0], phwpt = oi[1], pidev = oi[2];
		fact("f.pasid.MOCK_DOMAIN_FLAGS[PASID]", "%s stdev=%u hwpt=%u idev=%u", R(rc, e), pstdev, phwpt, pidev);
		hw_info_probe("f.pasid.mock_idev", fd, pidev);
		struct hwpt_alloc hp = { .size = sizeof(hp), .flags = HWPT_ALLOC_PASID, .dev_id = pidev, .pt_id = ioasp };
		rc = xioctl(fd, IOMMU_HWPT_ALLOC, &hp, &e);
		u32 pasid_hwpt = hp.out_hwpt_id;
		fact("f.pasid.HWPT_ALLOC.PASID", "%s hwpt=%u", R(rc, e), pasid_hwpt);
		struct hwpt_alloc hn = { .size = sizeof(hn), .dev_id = pidev, .pt_id = ioasp };
		rc = xioctl(fd, IOMMU_HWPT_ALLOC, &hn, &e);
		u32 plain_hwpt = hn.out_hwpt_id;
		fact("f.pasid.HWPT_ALLOC.plain", "%s hwpt=%u", R(rc, e), plain_hwpt);
		struct hwpt_alloc hq = { .size = sizeof(hq), .flags = HWPT_ALLOC_PASID, .dev_id = idev, .pt_id = ioasp };
		rc = xioctl(fd, IOMMU_HWPT_ALLOC, &hq, &e);
		fact("f.pasid.HWPT_ALLOC.PASID_on_non_pasid_mock_dev", "%s hwpt=%u", R(rc, e), hq.out_hwpt_id);

		u32 pa[2] = { 100, pasid_hwpt };
		rc = tcmd(fd, T_PASID_ATTACH, pstdev, pa, sizeof(pa), NULL, &e);
		fact("f.pasid.PASID_ATTACH[100,pasid_hwpt]_while_rid_on_non_pasid_hwpt", "%s", R(rc, e));
		/* make the RID domain PASID-compatible */
		u32 rep = pasid_hwpt;
		rc = tcmd(fd, T_MOCK_DOMAIN_REPLACE, pstdev, &rep, 4, NULL, &e);
		fact("f.pasid.MOCK_DOMAIN_REPLACE_rid_to_pasid_hwpt", "%s", R(rc, e));
		rc = tcmd(fd, T_PASID_ATTACH, pstdev, pa, sizeof(pa), NULL, &e);
		fact("f.pasid.PASID_ATTACH[100,pasid_hwpt]", "%s", R(rc, e));
		u32 pc[2] = { 100, pasid_hwpt };
		rc = tcmd(fd, T_PASID_CHECK_HWPT, pstdev, pc, sizeof(pc), NULL, &e);
		fact("f.pasid.PASID_CHECK_HWPT[100]", "%s", R(rc, e));
		rc = tcmd(fd, T_PASID_ATTACH, pstdev, pa, sizeof(pa), NULL, &e);
		fact("f.pasid.PASID_ATTACH_again_same", "%s", R(rc, e));
		u32 pb[2] = { 101, plain_hwpt };
		rc = tcmd(fd, T_PASID_ATTACH, pstdev, pb, sizeof(pb), NULL, &e);
		fact("f.pasid.PASID_ATTACH[101,non_pasid_hwpt]", "%s", R(rc, e));
		u32 pbig[2] = { 1u << 20, pasid_hwpt };
		rc = tcmd(fd, T_PASID_ATTACH, pstdev, pbig, sizeof(pbig), NULL, &e);
		fact("f.pasid.PASID_ATTACH[1<<20]", "%s", R(rc, e));
		u32 pmax[2] = { (1u << 20) - 1, pasid_hwpt };
		rc = tcmd(fd, T_PASID_ATTACH, pstdev, pmax, sizeof(pmax), NULL, &e);
		fact("f.pasid.PASID_ATTACH[(1<<20)-1]", "%s", R(rc, e));
		u32 p0[2] = { 0, pasid_hwpt };
		rc = tcmd(fd, T_PASID_ATTACH, pstdev, p0, sizeof(p0), NULL, &e);
		fact("f.pasid.PASID_ATTACH[0]", "%s", R(rc, e));
		u32 prp[2] = { 100, ioasp };
		rc = tcmd(fd, T_PASID_REPLACE, pstdev, prp, sizeof(prp), NULL, &e);
		fact("f.pasid.PASID_REPLACE[100,ioas]", "%s", R(rc, e));
		u32 pd[1] = { 100 };
		rc = tcmd(fd, T_PASID_DETACH, pstdev, pd, sizeof(pd), NULL, &e);
		fact("f.pasid.PASID_DETACH[100]", "%s", R(rc, e));
		u32 pc0[2] = { 100, 0 };
		rc = tcmd(fd, T_PASID_CHECK_HWPT, pstdev, pc0, sizeof(pc0), NULL, &e);
		fact("f.pasid.PASID_CHECK_HWPT[100,0]_after_detach", "%s", R(rc, e));
		rc = tcmd(fd, T_PASID_DETACH, pstdev, pd, sizeof(pd), NULL, &e);
		fact("f.pasid.PASID_DETACH_again", "%s", R(rc, e));
		/* fault with PASID: iopf hwpt with PASID flag, attach on pasid 200, trigger */
		struct fault_alloc f2 = { .size = sizeof(f2) };
		rc = xioctl(fd, IOMMU_FAULT_QUEUE_ALLOC, &f2, &e);
		struct hwpt_alloc hf = { .size = sizeof(hf), .flags = HWPT_ALLOC_PASID | HWPT_FAULT_ID_VALID, .dev_id = pidev,
					 .pt_id = ioasp, .fault_id = f2.out_fault_id };
		rc = xioctl(fd, IOMMU_HWPT_ALLOC, &hf, &e);
		fact("f.pasid.HWPT_ALLOC.PASID|FAULT_ID_VALID", "%s hwpt=%u", R(rc, e), hf.out_hwpt_id);
		u32 pf[2] = { 200, hf.out_hwpt_id };
		rc = tcmd(fd, T_PASID_ATTACH, pstdev, pf, sizeof(pf), NULL, &e);
		fact("f.pasid.PASID_ATTACH[200,iopf_hwpt]", "%s", R(rc, e));
		struct { u32 dev_id, pasid, grpid, perm; u64 addr; } tp = { pidev, 200, 7, 3, 0x5000000 };
		rc = tcmd(fd, T_TRIGGER_IOPF, 0, &tp, sizeof(tp), NULL, &e);
		fact("f.pasid.TRIGGER_IOPF[pasid200]", "%s", R(rc, e));
		memset(rb, 0xee, sizeof(rb));
		errno = 0;
		n = read(f2.out_fault_fd, rb, 40);
		struct pgfault *p = (void *)rb;
		fact("f.pasid.fault_record", "read=%zd %s flags=0x%x dev_id=%u pasid=%u grpid=%u perm=0x%x addr=0x%" PRIx64 " cookie=%u",
		     n, n < 0 ? ename(errno) : "", p->flags, p->dev_id, p->pasid, p->grpid, p->perm, p->addr, p->cookie);
		tp.pasid = 0;
		rc = tcmd(fd, T_TRIGGER_IOPF, 0, &tp, sizeof(tp), NULL, &e);
		fact("f.pasid.TRIGGER_IOPF[pasid0_rid_not_iopf]", "%s", R(rc, e));
		errno = 0;
		n = read(f2.out_fault_fd, rb, 40);
		fact("f.pasid.read_after_rid_trigger", "%zd %s", n, n < 0 ? ename(errno) : "");
		close(f2.out_fault_fd);
	}
	{
		u32 vid = 0;
		rc = tcmd(fd, T_TRIGGER_VEVENT, 0, &idev, 4, NULL, &e);
		fact("f.test.TRIGGER_VEVENT_without_viommu", "%s", R(rc, e));
		(void)vid;
	}
	{
		struct test_cmd c;
		memset(&c, 0, sizeof(c));
		c.size = 64;
		c.op = T_MOCK_DOMAIN;
		c.id = ioas;
		rc = xioctl(fd, IOMMU_TEST_CMD, &c, &e);
		fact("f.test.TEST_CMD_size64", "%s", R(rc, e));
		c.size = 72;
		c.op = 0x7777;
		rc = xioctl(fd, IOMMU_TEST_CMD, &c, &e);
		fact("f.test.TEST_CMD_unknown_op", "%s", R(rc, e));
	}
	close(fd);
}

/* ------------------------------------------------------------------ (g) sysfs */
static void probe_sysfs(void)
{
	DIR *d = opendir("/sys/kernel/iommu_groups");
	fact("g.iommu_groups_dir", "%s", d ? "present" : ename(errno));
	if (!d)
		return;
	struct dirent *e;
	int groups[256], ng = 0;
	while ((e = readdir(d)) && ng < 256)
		if (e->d_name[0] != '.')
			groups[ng++] = atoi(e->d_name);
	closedir(d);
	for (int i = 0; i < ng; i++)
		for (int j = i + 1; j < ng; j++)
			if (groups[j] < groups[i]) {
				int t = groups[i];
				groups[i] = groups[j];
				groups[j] = t;
			}
	for (int i = 0; i < ng; i++) {
		char p[256], key[128], devs[1024] = "";
		int k = 0;
		snprintf(p, sizeof(p), "/sys/kernel/iommu_groups/%d/devices", groups[i]);
		DIR *dd = opendir(p);
		while (dd && (e = readdir(dd)))
			if (e->d_name[0] != '.') {
				char vp[512];
				snprintf(vp, sizeof(vp), "%s/%s/vendor", p, e->d_name);
				char *v = read_file(vp);
				char ven[16] = "?", dev[16] = "?", drv[64] = "none";
				if (v)
					sscanf(v, "%15s", ven);
				snprintf(vp, sizeof(vp), "%s/%s/device", p, e->d_name);
				v = read_file(vp);
				if (v)
					sscanf(v, "%15s", dev);
				snprintf(vp, sizeof(vp), "%s/%s/driver", p, e->d_name);
				char l[256];
				ssize_t n = readlink(vp, l, sizeof(l) - 1);
				if (n > 0) {
					l[n] = 0;
					snprintf(drv, sizeof(drv), "%s", strrchr(l, '/') + 1);
				}
				k += snprintf(devs + k, sizeof(devs) - k, "%s%s(%s:%s,%s)", k ? " " : "", e->d_name, ven + 2,
					      dev + 2, drv);
			}
		if (dd)
			closedir(dd);
		snprintf(key, sizeof(key), "g.group[%d].devices", groups[i]);
		fact(key, "%s", devs);
		snprintf(p, sizeof(p), "/sys/kernel/iommu_groups/%d/type", groups[i]);
		char *t = read_file(p);
		snprintf(key, sizeof(key), "g.group[%d].type", groups[i]);
		if (t)
			t[strcspn(t, "\n")] = 0;
		fact(key, "%s", t ? t : ename(errno));
		snprintf(p, sizeof(p), "/sys/kernel/iommu_groups/%d/reserved_regions", groups[i]);
		t = read_file(p);
		snprintf(key, sizeof(key), "g.group[%d].reserved_regions", groups[i]);
		if (!t) {
			fact(key, "%s", ename(errno));
			continue;
		}
		int line = 0;
		char *save, *s = strtok_r(t, "\n", &save);
		if (!s)
			fact(key, "(empty)");
		for (; s; s = strtok_r(NULL, "\n", &save), line++) {
			char key2[160];
			snprintf(key2, sizeof(key2), "%s[%d]", key, line);
			fact(key2, "%s", s);
		}
	}
	/* PCI devices not in any group (e.g. the AMD/virtio IOMMU function itself) */
	d = opendir("/sys/bus/pci/devices");
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char p[512], l[256] = "", key[128];
		snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/iommu_group", e->d_name);
		ssize_t n = readlink(p, l, sizeof(l) - 1);
		if (n > 0)
			l[n] = 0;
		snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/vendor", e->d_name);
		char *v = read_file(p);
		char ven[16] = "?", dev[16] = "?";
		if (v)
			sscanf(v, "%15s", ven);
		snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/device", e->d_name);
		v = read_file(p);
		if (v)
			sscanf(v, "%15s", dev);
		snprintf(key, sizeof(key), "g.pci[%s]", e->d_name);
		fact(key, "%s:%s group=%s", ven + 2, dev + 2, n > 0 ? strrchr(l, '/') + 1 : "none");
	}
	if (d)
		closedir(d);
	char *c = read_file("/proc/cmdline");
	if (c) {
		c[strcspn(c, "\n")] = 0;
		fact("g.cmdline", "%s", c);
	}
}

/* ------------------------------------------------------------------ (h) the ICH9 LPC group through VFIO */
/*
 * On intel, guest-init.sh hands the ICH9 LPC group to VFIO (AHCI 00:1f.2 unbound, SMBus 00:1f.3 on
 * vfio-pci).  With Intel's floppy workaround the group has a direct-relaxable region [0, 16 MiB): does
 * VFIO leave it in the usable IOVA space, and can DMA be mapped there?  Found by vendor:device.
 */
static void probe_lpc(void)
{
	char bdf[32] = "", drv[64] = "none", cpath[128] = "", l[256], p[256];
	DIR *d = opendir("/sys/bus/pci/devices");
	struct dirent *de;
	int e, rc;

	while (d && (de = readdir(d))) {
		char *v, *dv;
		if (de->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/vendor", de->d_name);
		v = read_file(p);
		if (!v || strncmp(v, "0x8086", 6))
			continue;
		snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/device", de->d_name);
		dv = read_file(p);
		if (dv && !strncmp(dv, "0x2930", 6))
			snprintf(bdf, sizeof(bdf), "%s", de->d_name);
	}
	if (d)
		closedir(d);
	if (!bdf[0]) {
		fact("h.lpc.smbus", "no 8086:2930 device");
		return;
	}
	snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/driver", bdf);
	ssize_t n = readlink(p, l, sizeof(l) - 1);
	if (n > 0) {
		l[n] = 0;
		snprintf(drv, sizeof(drv), "%s", strrchr(l, '/') + 1);
	}
	snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/class", bdf);
	char *cls = read_file(p);
	if (cls)
		cls[strcspn(cls, "\n")] = 0;
	cdev_of(bdf, cpath, sizeof(cpath));
	int grp = group_of(bdf);
	fact("h.lpc.smbus", "%s class=%s driver=%s group=%d cdev=%s", bdf, cls ? cls : "?", drv, grp,
	     cpath[0] ? cpath : "none");
	if (strcmp(drv, "vfio-pci")) {
		fact("h.lpc", "SMBus not on vfio-pci: rest of h skipped");
		return;
	}

	/* type1v2: the container's IOVA ranges and maps inside [0, 16 MiB) */
	char gpath[64];
	snprintf(gpath, sizeof(gpath), "/dev/vfio/%d", grp);
	int c = open("/dev/vfio/vfio", O_RDWR), g = open(gpath, O_RDWR);
	fact("h.lpc.type1v2.open", "container=%s group(%s)=%s", c < 0 ? "fail" : "ok", gpath, g < 0 ? ename(errno) : "ok");
	if (c >= 0 && g >= 0) {
		struct group_status gs = { .argsz = sizeof(gs) };
		rc = xioctl(g, VFIO_GROUP_GET_STATUS, &gs, &e);
		fact("h.lpc.type1v2.GROUP_GET_STATUS", "%s flags=0x%x", R(rc, e), gs.flags);
		rc = xioctl(g, VFIO_GROUP_SET_CONTAINER, &c, &e);
		fact("h.lpc.type1v2.SET_CONTAINER", "%s", R(rc, e));
		rc = xioctl_v(c, VFIO_SET_IOMMU, 3, &e);
		fact("h.lpc.type1v2.SET_IOMMU[3]", "%s", R(rc, e));
		u8 buf[4096] = { 0 };
		struct t1_info *in = (void *)buf;
		in->argsz = sizeof(buf);
		rc = xioctl(c, VFIO_IOMMU_GET_INFO, buf, &e);
		fact("h.lpc.type1v2.GET_INFO", "%s iova_pgsizes=0x%" PRIx64, R(rc, e), in->iova_pgsizes);
		if (rc == 0)
			print_caps("h.lpc.type1v2.GET_INFO", buf, sizeof(buf), in->cap_offset, 0);
		u64 va = (u64)(uintptr_t)mem, sz;
		rc = map1(c, sizeof(struct t1_map), 3, va, 0, 0x1000, &e);
		fact("h.lpc.type1v2.MAP_DMA.iova_0", "%s", R(rc, e));
		rc = map1(c, sizeof(struct t1_map), 3, va, 0x100000, 0x10000, &e);
		fact("h.lpc.type1v2.MAP_DMA[0x100000+0x10000]", "%s", R(rc, e));
		rc = map1(c, sizeof(struct t1_map), 3, va, 0xfff000, 0x2000, &e);
		fact("h.lpc.type1v2.MAP_DMA.straddle_16M[0xfff000+0x2000]", "%s", R(rc, e));
		rc = xioctl(g, VFIO_GROUP_GET_DEVICE_FD, (void *)bdf, &e);
		fact("h.lpc.type1v2.GET_DEVICE_FD", "%s", R(rc >= 0 ? 0 : -1, e));
		if (rc >= 0)
			close(rc);
		sz = 0;
		rc = unmap1(c, 2, 0, &sz, &e);
		fact("h.lpc.type1v2.UNMAP_DMA.all", "%s size_out=0x%" PRIx64, R(rc, e), sz);
	}
	if (g >= 0)
		close(g);
	if (c >= 0)
		close(c);

	/* iommufd + cdev: the IOAS's ranges after attach and a map inside [0, 16 MiB) */
	int cd = cpath[0] ? open(cpath, O_RDWR) : -1, ifd = open("/dev/iommu", O_RDWR);
	fact("h.lpc.iommufd.open", "cdev(%s)=%s iommufd=%s", cpath, cd < 0 ? ename(errno) : "ok", ifd < 0 ? "fail" : "ok");
	if (cd >= 0 && ifd >= 0) {
		struct bind_iommufd b = { .argsz = 16, .iommufd = ifd };
		rc = xioctl(cd, VFIO_DEVICE_BIND_IOMMUFD, &b, &e);
		fact("h.lpc.iommufd.BIND", "%s", R(rc, e));
		u32 ioas = 0;
		rc = ioas_alloc(ifd, &ioas);
		fact("h.lpc.iommufd.IOAS_ALLOC", "%s", R(rc, errno));
		struct attach_pt at = { .argsz = 12, .pt_id = ioas };
		rc = xioctl(cd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at, &e);
		fact("h.lpc.iommufd.ATTACH", "%s", R(rc, e));
		print_ranges("h.lpc.iommufd.IOVA_RANGES.after_attach", ifd, ioas);
		u64 io = 0, len;
		rc = ioas_map(ifd, ioas, IOAS_FIXED | IOAS_R | IOAS_W, (u64)(uintptr_t)mem, 0x100000, 0x10000, &io, &e);
		fact("h.lpc.iommufd.MAP[0x100000+0x10000]", "%s", R(rc, e));
		len = UINT64_MAX;
		rc = ioas_unmap(ifd, ioas, 0, &len, &e);
		fact("h.lpc.iommufd.UNMAP.all", "%s length_out=0x%" PRIx64, R(rc, e), len);
	}
	if (cd >= 0)
		close(cd);
	if (ifd >= 0)
		close(ifd);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	const char *t = getenv("VFIOIOMMU_VM_TOPOLOGY");
	if (t && *t)
		snprintf(topo, sizeof(topo), "%s", t);
	const char *b = getenv("VFIOIOMMU_VM_BDFS");
	if (b) {
		char tmp[512];
		snprintf(tmp, sizeof(tmp), "%s", b);
		char *save, *s = strtok_r(tmp, " ", &save);
		for (; s && nbdf < 8; s = strtok_r(NULL, " ", &save))
			snprintf(bdfs[nbdf++], sizeof(bdfs[0]), "%s", s);
	}
	mem_init();
	fact("bdfs", "%s", b ? b : "(none)");
	{
		struct utsname_s { char x[390]; };
		char *v = read_file("/proc/version");
		if (v) {
			v[strcspn(v, "\n")] = 0;
			fact("kernel", "%s", v);
		}
	}
	probe_sysfs();
	probe_container_api();
	if (nbdf == 0) {
		fact("devices", "none bound to vfio-pci; a-e skipped");
	} else {
		for (int i = 0; i < nbdf; i++) {
			char key[64];
			char cp[128] = "";
			cdev_of(bdfs[i], cp, sizeof(cp));
			snprintf(key, sizeof(key), "device[%d]", i);
			fact(key, "%s group=%d cdev=%s", bdfs[i], group_of(bdfs[i]), cp);
		}
		probe_type1(3, bdfs[0], 1);
		probe_type1(1, bdfs[0], 0);
		probe_iommufd(bdfs[0]);
	}
	probe_selftest();
	probe_lpc();
	printf("KFACTS DONE\n");
	return nbdf ? 0 : 1;
}
