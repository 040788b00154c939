/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * API misuse, one table: every exported function called with NULL handles,
 * NULL out-pointers, zero and overflowing sizes, out-of-range indexes,
 * handles of another context, set, space or device, and handles whose object
 * is gone where the API defines that (a freed PASID, an unmapped IOVA, an
 * answered cookie, a destroyed HWPT; never freed memory).  Each call must
 * return the errno its header documents, and a rejected call must leave the
 * world as it was: no door call that could change kernel state succeeded,
 * and a snapshot of every counter (mock fds and mmaps, DMA mappings, PASID usage, allocator, ring, lists, monitor, pump,
 * mock topology) is compared after each row.
 *
 * The table must name every exported function: the test reads the
 * declarations in TH_SRCDIR/include/vfioiommu/ *.h and, when nm and the built
 * libvfioiommu.so are there, its dynamic symbols, and fails naming any
 * function without a row.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "helpers.h"
#include <vfioiommu/adopt.h>
#include <vfioiommu/alloc.h>
#include <vfioiommu/fdpass.h>
#include <vfioiommu/sriov.h>
#include <vfioiommu/caps.h>
#include <vfioiommu/device.h>
#include <vfioiommu/dma.h>
#include <vfioiommu/fault.h>
#include <vfioiommu/ring.h>
#include <vfioiommu/hotplug.h>
#include <vfioiommu/iommufd.h>
#include <vfioiommu/pasid.h>
#include <vfioiommu/p2p.h>
#include <vfioiommu/liveupdate.h>
#include <vfioiommu/mock.h>

#include "core/door.h"
#include "kabi/kabi.h"
#include "mock/mock.h"

#define PG ((uint64_t)4096)
#define RW (VFIOIOMMU_DMA_READ | VFIOIOMMU_DMA_WRITE)
#define DEV_A "0000:00:03.0" /* iommufd context, PASID capable */
#define DEV_B "0000:00:04.0" /* container context */
#define DEV_C "0000:05:00.0" /* iommufd context, behind a bridge (hot reset) */
#define NOT_A_HANDLE ((void *)0)

static const char host[] =
	"pasid-width 20\n"
	"group 3\n"
	"  resv 0xfee00000 0xfeefffff msi\n"
	"  device 0000:00:03.0 vfio-pci pasid=20 iopf\n"
	"group 4\n"
	"  resv 0xfee00000 0xfeefffff msi\n"
	"  device 0000:00:04.0 vfio-pci\n"
	"group 5\n"
	"  device 0000:05:00.0 vfio-pci\n"
	"group 8\n"
	"  device 0000:00:08.0 e1000e\n";

/* ------------------------------------------------------------- the world */

static struct {
	vfioiommu_mock *m;        /* the host every live handle below uses */
	vfioiommu_mock *scratch;  /* a second host for the mock's own setters */
	vfioiommu_ctx *ctx;       /* iommufd: DEV_A and DEV_C open, one mapping */
	vfioiommu_ctx *ctx2;      /* container: DEV_B open */
	vfioiommu_ctx *fresh;     /* no backend yet */
	vfioiommu_device *dev, *dev2, *dev3;
	uint64_t iova;            /* the live mapping of ctx: 4 pages */
	char *buf;
	vfioiommu_iova_list *list;
	vfioiommu_resv_set *set;
	vfioiommu_iova_pool *alloc;
	uint64_t alloc_iova;      /* a live block of alloc: 2 pages */
	vfioiommu_pasid_space *space, *space2;
	vfioiommu_pasid_set *pset, *pset_full, *pset2;
	vfioiommu_pasid_handle h, h_full, h2, h_stale;
	uint32_t hwpt, hwpt2;     /* PASID-capable HWPTs of ctx; hwpt2 is destroyed */
	vfioiommu_ring *ring;     /* created on ctx, holds one record */
	vfioiommu_ring *aring;    /* attached to W.mem, no eventfd */
	unsigned char *mem;
	vfioiommu_hotplug *mon;
	vfioiommu_fault_pump *pump;
	vfioiommu_fault_pump *vpump; /* a vEVENTQ pump into aring (never run) */
	int ifd, dfd, ffd;        /* raw mock fds behind the pump's fault queue */
	void *bar0;               /* a live region mmap of dev */
	void *dead_map;           /* where a region mmap of dev was, unmapped (never dereferenced) */
	uint64_t dead_iova;       /* where a DMA mapping of ctx was, unmapped */
	char hostfile[64];
} W;

/*
 * The canary for "a rejected call changed nothing in the kernel": the world's
 * contexts reach the mock through this door, which counts calls that
 * succeeded and can change state.  Questions (INFO ioctls, sysfs reads,
 * pread, poll) are allowed: a library may look before it refuses.
 */
static struct {
	const vfioiommu_door *inner;
	struct vfioiommu_door door;
	unsigned long changes;
	char last[64];
	int fresh[64];        /* fds opened since the row began: closing them changes nothing */
	unsigned int nfresh;
} G;

static void fd_opened(int fd)
{
	if (fd >= 0 && G.nfresh < 64)
		G.fresh[G.nfresh++] = fd;
}

/* closing an fd the row opened itself is a no-op overall; closing an older one is a change */
static bool fd_closed(int fd)
{
	for (unsigned int i = 0; i < G.nfresh; i++) {
		if (G.fresh[i] == fd) {
			G.fresh[i] = G.fresh[--G.nfresh];
			return false;
		}
	}
	return true;
}

static bool query_ioctl(unsigned long req)
{
	static const unsigned long q[] = {
		KABI_VFIO_GET_API_VERSION, KABI_VFIO_CHECK_EXTENSION, KABI_VFIO_GROUP_GET_STATUS,
		KABI_VFIO_DEVICE_GET_INFO, KABI_VFIO_DEVICE_GET_REGION_INFO, KABI_VFIO_DEVICE_GET_IRQ_INFO,
		KABI_VFIO_IOMMU_GET_INFO /* = GET_PCI_HOT_RESET_INFO */, KABI_IOMMU_IOAS_IOVA_RANGES,
		KABI_IOMMU_GET_HW_INFO, KABI_IOMMU_VFIO_IOAS,
	};

	for (size_t i = 0; i < sizeof(q) / sizeof(q[0]); i++)
		if (q[i] == req)
			return true;
	return false;
}

static void changed(const char *what, long rc)
{
	if (rc >= 0) {
		G.changes++;
		snprintf(G.last, sizeof(G.last), "%s", what);
	}
}

static int g_open(void *p, const char *path, int flags)
{
	int rc = G.inner->open(G.inner->priv, path, flags);
	fd_opened(rc);
	return rc;
}

static int g_close(void *p, int fd)
{
	bool older = fd_closed(fd);
	int rc = G.inner->close(G.inner->priv, fd);
	if (older)
		changed("close", 0);
	return rc;
}

static int g_ioctl(void *p, int fd, unsigned long req, void *arg)
{
	int rc = G.inner->ioctl(G.inner->priv, fd, req, arg);
	char what[32];

	snprintf(what, sizeof(what), "ioctl 0x%lx", req);
	if (!query_ioctl(req))
		changed(what, rc);
	return rc;
}

static void *g_mmap(void *p, void *addr, size_t len, int prot, int flags, int fd, int64_t off, int *err)
{
	void *m = G.inner->mmap(G.inner->priv, addr, len, prot, flags, fd, off, err);
	changed("mmap", m ? 0 : -1);
	return m;
}

static int g_munmap(void *p, void *addr, size_t len)
{
	int rc = G.inner->munmap(G.inner->priv, addr, len);
	changed("munmap", rc);
	return rc;
}

static ssize_t g_read(void *p, int fd, void *buf, size_t n)
{
	ssize_t rc = G.inner->read(G.inner->priv, fd, buf, n);
	changed("read", rc); /* consumes: an eventfd count, a fault record */
	return rc;
}

static ssize_t g_write(void *p, int fd, const void *buf, size_t n)
{
	ssize_t rc = G.inner->write(G.inner->priv, fd, buf, n);
	changed("write", rc);
	return rc;
}

static ssize_t g_pwrite(void *p, int fd, const void *buf, size_t n, int64_t off)
{
	ssize_t rc = G.inner->pwrite(G.inner->priv, fd, buf, n, off);
	changed("pwrite", rc);
	return rc;
}

static int g_eventfd(void *p, unsigned int init, int flags)
{
	int rc = G.inner->eventfd(G.inner->priv, init, flags);
	fd_opened(rc);
	return rc;
}

static int g_memfd(void *p, const char *name, unsigned int flags, uint64_t size)
{
	int rc = G.inner->memfd(G.inner->priv, name, flags, size);
	fd_opened(rc);
	return rc;
}

static ssize_t g_sysfs_write(void *p, const char *path, const char *buf, size_t n)
{
	ssize_t rc = G.inner->sysfs_write(G.inner->priv, path, buf, n);
	changed("sysfs_write", rc);
	return rc;
}

static int g_uevent_open(void *p)
{
	int rc = G.inner->uevent_open(G.inner->priv);
	fd_opened(rc);
	return rc;
}

static ssize_t g_uevent_recv(void *p, int fd, void *buf, size_t n)
{
	ssize_t rc = G.inner->uevent_recv(G.inner->priv, fd, buf, n);
	changed("uevent_recv", rc);
	return rc;
}

static int g_uevent_close(void *p, int fd)
{
	bool older = fd_closed(fd);
	int rc = G.inner->uevent_close(G.inner->priv, fd);
	if (older)
		changed("uevent_close", 0);
	return rc;
}

static const vfioiommu_door *guard_door(vfioiommu_mock *m)
{
	G.inner = vfioiommu_mock_door(m);
	G.door = *G.inner;
	G.door.name = "misuse guard";
	G.door.open = g_open;
	G.door.close = g_close;
	G.door.ioctl = g_ioctl;
	G.door.mmap = g_mmap;
	G.door.munmap = g_munmap;
	G.door.read = g_read;
	G.door.write = g_write;
	G.door.pwrite = g_pwrite;
	G.door.eventfd = g_eventfd;
	G.door.memfd = g_memfd;
	G.door.sysfs_write = g_sysfs_write;
	if (G.inner->uevent_open) {
		G.door.uevent_open = g_uevent_open;
		G.door.uevent_recv = g_uevent_recv;
		G.door.uevent_close = g_uevent_close;
	}
	return &G.door;
}

static vfioiommu_ctx *ctx_on(vfioiommu_mock *m, enum vfioiommu_mode mode)
{
	struct vfioiommu_ctx_opts o = { .size = sizeof(o), .mode = mode, .door = guard_door(m) };
	vfioiommu_ctx *ctx = NULL;

	assert_int_equal(vfioiommu_ctx_new(&o, &ctx), 0);
	return ctx;
}

static int hp_ignore(void *arg, const struct vfioiommu_hotplug_event *ev)
{
	return 0;
}

/* A fault queue on DEV_A's iommufd binding, made with raw ioctls (the library has no call for it). */
static void fault_queue_up(void)
{
	const vfioiommu_door *d = vfioiommu_mock_door(W.m);
	struct kabi_iommu_fault_alloc fa = { .size = sizeof(fa) };

	W.ifd = d->open(d->priv, "/dev/iommu", O_RDWR);
	assert_true(W.ifd >= 0);
	assert_int_equal(d->ioctl(d->priv, W.ifd, KABI_IOMMU_FAULT_QUEUE_ALLOC, &fa), 0);
	W.ffd = (int)fa.out_fault_fd;
}

static vfioiommu_pagetable *plain_pt;

static void world_up(void)
{
	struct vfioiommu_iova_range r[2] = { { 0x1000, 0xfffff }, { 0x200000, 0x3fffff } };
	struct vfioiommu_resv_region rr = { 0xfee00000, 0xfeefffff, VFIOIOMMU_RESV_MSI, 3 };
	struct vfioiommu_fault rec = { .kind = VFIOIOMMU_FAULT_UNRECOV };
	uint32_t rid;
	int fd;

	memset(&W, 0, sizeof(W));
	W.m = th_mock(host);
	assert_int_equal(vfioiommu_mock_device_set_model(W.m, DEV_A, VFIOIOMMU_MOCK_MODEL_E1000E), 0);
	W.scratch = th_mock("group 1\n  device 0000:01:00.0 vfio-pci\n");
	W.ctx = ctx_on(W.m, VFIOIOMMU_MODE_IOMMUFD);
	W.ctx2 = ctx_on(W.m, VFIOIOMMU_MODE_CONTAINER);
	W.fresh = ctx_on(W.m, VFIOIOMMU_MODE_AUTO);
	if (vfioiommu_device_open(W.ctx, DEV_A, &W.dev) < 0 || vfioiommu_device_open(W.ctx, DEV_C, &W.dev3) < 0)
		fail_msg("%s", vfioiommu_strerror(W.ctx));
	if (vfioiommu_device_open(W.ctx2, DEV_B, &W.dev2) < 0)
		fail_msg("%s", vfioiommu_strerror(W.ctx2));
	/* the group device_open pulled in, adopted by an explicit add: a second add is -EBUSY */
	assert_int_equal(vfioiommu_ctx_add_group(W.ctx2, 4), 0);
	W.buf = mmap(NULL, 64 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(W.buf != MAP_FAILED);
	assert_int_equal(vfioiommu_dma_map(W.ctx, W.buf + 16 * PG, 2 * PG, RW, &W.dead_iova), 0);
	assert_int_equal(vfioiommu_dma_unmap_at(W.ctx, W.dead_iova), 0);
	assert_int_equal(vfioiommu_dma_map(W.ctx, W.buf, 4 * PG, RW, &W.iova), 0);
	assert_int_equal(vfioiommu_iova_list_new(r, 2, VFIOIOMMU_IOVA_SRC_USER, &W.list), 0);
	assert_int_equal(vfioiommu_resv_set_new(&rr, 1, &W.set), 0);
	assert_int_equal(vfioiommu_iova_pool_new(W.list, PG, &W.alloc), 0);
	assert_int_equal(vfioiommu_iova_pool_alloc(W.alloc, 2 * PG, 0, 0, UINT64_MAX, &W.alloc_iova), 0);

	assert_int_equal(vfioiommu_pasid_space_new(8, NULL, &W.space), 0);
	assert_int_equal(vfioiommu_pasid_space_new(8, NULL, &W.space2), 0);
	assert_int_equal(vfioiommu_pasid_set_new(W.space, 0, &W.pset), 0);
	assert_int_equal(vfioiommu_pasid_set_new(W.space, 1, &W.pset_full), 0);
	assert_int_equal(vfioiommu_pasid_set_new(W.space2, 0, &W.pset2), 0);
	assert_int_equal(vfioiommu_pasid_alloc(W.pset, &W.h), 0);
	assert_int_equal(vfioiommu_pasid_alloc(W.pset_full, &W.h_full), 0);
	assert_int_equal(vfioiommu_pasid_alloc(W.pset2, &W.h2), 0);
	assert_int_equal(vfioiommu_pasid_alloc(W.pset, &W.h_stale), 0);
	assert_int_equal(vfioiommu_pasid_free(W.pset, W.h_stale), 0);

	assert_int_equal(vfioiommu_hwpt_alloc_pasid(W.dev, &rid), 0);
	assert_int_equal(vfioiommu_hwpt_attach_rid(W.dev, rid), 0);
	W.hwpt = rid;
	{
		/* a page table without DIRTY_TRACKING (dirty_hwpt rows) */
		struct vfioiommu_pagetable_opts po = { .size = sizeof(po) };
		uint32_t devid = 0;

		assert_int_equal(vfioiommu_device_iommufd_id(W.dev, &devid), 0);
		assert_int_equal(vfioiommu_pagetable_new(W.ctx, devid, &po, &plain_pt), 0);
	}
	assert_int_equal(vfioiommu_hwpt_alloc_pasid(W.dev, &W.hwpt2), 0);
	assert_int_equal(vfioiommu_hwpt_destroy(W.ctx, W.hwpt2), 0);

	assert_int_equal(vfioiommu_ring_create(W.ctx, 16, &W.ring), 0);
	assert_int_equal(vfioiommu_ring_push(W.ring, &rec, 1), 1);
	W.mem = aligned_alloc(64, 4096);
	assert_non_null(W.mem);
	assert_int_equal(vfioiommu_ring_attach(W.mem, 4096, VFIOIOMMU_RING_INIT, &W.aring), 0);

	assert_int_equal(vfioiommu_hotplug_new(W.ctx, &W.mon), 0);
	assert_true(vfioiommu_hotplug_dispatch(W.mon, hp_ignore, NULL) >= 0);
	fault_queue_up();
	assert_int_equal(vfioiommu_fault_pump_new(W.ctx, W.ffd, W.ring, &W.pump), 0);
	assert_int_equal(vfioiommu_vevent_pump_new(W.ctx, W.ffd, VFIOIOMMU_VEVENTQ_ARM_SMMUV3, W.aring, &W.vpump), 0);

	{
		struct vfioiommu_region_area a[4];
		uint32_t n = 0;
		assert_int_equal(vfioiommu_region_areas(W.dev, VFIOIOMMU_PCI_BAR0, a, 4, &n), 0);
		assert_true(n >= 1);
		assert_int_equal(vfioiommu_region_mmap(W.dev, VFIOIOMMU_PCI_BAR0, a[0].offset, PG, 0, &W.dead_map), 0);
		assert_int_equal(vfioiommu_region_munmap(W.dev, W.dead_map), 0);
		assert_int_equal(vfioiommu_region_mmap(W.dev, VFIOIOMMU_PCI_BAR1, 0, PG, 0, &W.bar0), 0);
	}
	snprintf(W.hostfile, sizeof(W.hostfile), "/tmp/vfioiommu-misuse-%d.host", (int)getpid());
	fd = open(W.hostfile, O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "group 1\ngroup 1\n", 16), 16);
	close(fd);
}

static void world_down(void)
{
	const vfioiommu_door *d = vfioiommu_mock_door(W.m);

	unlink(W.hostfile);
	assert_int_equal(vfioiommu_region_munmap(W.dev, W.bar0), 0);
	vfioiommu_fault_pump_destroy(W.vpump);
	vfioiommu_fault_pump_destroy(W.pump);
	assert_int_equal(d->close(d->priv, W.ffd), 0);
	assert_int_equal(d->close(d->priv, W.ifd), 0);
	vfioiommu_hotplug_destroy(W.mon);
	vfioiommu_ring_destroy(W.aring);
	free(W.mem);
	vfioiommu_ring_destroy(W.ring);
	vfioiommu_pasid_space_free(W.space);
	vfioiommu_pasid_space_free(W.space2);
	vfioiommu_iova_pool_free(W.alloc);
	vfioiommu_resv_set_free(W.set);
	vfioiommu_iova_list_free(W.list);
	vfioiommu_ctx_destroy(W.fresh);
	vfioiommu_ctx_destroy(W.ctx2);
	vfioiommu_ctx_destroy(W.ctx);
	th_mock_done(W.m);
	vfioiommu_mock_destroy(W.scratch);
	munmap(W.buf, 64 * PG);
}

/* ------------------------------------------------------- the state canary */

struct snap {
	unsigned long changes;
	unsigned int fds, mmaps, scratch_fds;
	size_t scratch_groups, scratch_devs;
	struct vfioiommu_dma_stats dma;
	uint32_t sp_used, sp_avail, set_used, full_used, set2_used;
	struct vfioiommu_iova_pool_stats al;
	int ring_ready, ring_err, aring_ready;
	struct vfioiommu_ring_stats rs;
	size_t list_n, set_n, pending;
	unsigned int outstanding;
	enum vfioiommu_backend b1, b2, b3;
	unsigned int resets;
};

static void snap_take(struct snap *s)
{
	memset(s, 0, sizeof(*s));
	s->fds = vfioiommu_mock_open_fds(W.m);
	s->mmaps = vfioiommu_mock_live_mmaps(W.m);
	s->scratch_fds = vfioiommu_mock_open_fds(W.scratch);
	s->scratch_groups = W.scratch->ngroups;
	s->scratch_devs = W.scratch->ndevs;
	s->dma.size = sizeof(s->dma);
	s->al.size = sizeof(s->al);
	s->rs.size = sizeof(s->rs);
	assert_int_equal(vfioiommu_dma_stats(W.ctx, &s->dma), 0);
	assert_int_equal(vfioiommu_pasid_space_usage(W.space, &s->sp_used, &s->sp_avail), 0);
	assert_int_equal(vfioiommu_pasid_set_usage(W.pset, &s->set_used, NULL), 0);
	assert_int_equal(vfioiommu_pasid_set_usage(W.pset_full, &s->full_used, NULL), 0);
	assert_int_equal(vfioiommu_pasid_set_usage(W.pset2, &s->set2_used, NULL), 0);
	assert_int_equal(vfioiommu_iova_pool_stats(W.alloc, &s->al), 0);
	s->ring_ready = vfioiommu_ring_ready(W.ring);
	s->ring_err = vfioiommu_ring_error(W.ring);
	s->aring_ready = vfioiommu_ring_ready(W.aring);
	assert_int_equal(vfioiommu_ring_stats(W.ring, &s->rs), 0);
	s->list_n = vfioiommu_iova_list_count(W.list);
	s->set_n = vfioiommu_resv_set_count(W.set);
	s->pending = vfioiommu_hotplug_pending(W.mon);
	s->outstanding = vfioiommu_fault_pump_outstanding(W.pump);
	s->b1 = vfioiommu_ctx_backend(W.ctx);
	s->b2 = vfioiommu_ctx_backend(W.ctx2);
	s->b3 = vfioiommu_ctx_backend(W.fresh);
	s->resets = vfioiommu_mock_device_resets(W.m, DEV_A);
	s->changes = G.changes;
}

#define ROW_CHANGES 1u /* the row may change kernel state (none does) */

static const char *cur_fn;
static unsigned int failures;

/* Report and go on: one run lists every deviation from the headers. */
static void misuse_fail(const char *fmt, ...) VFIOIOMMU_PRINTF(1, 2);
static void misuse_fail(const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	print_message("MISUSE: %s\n", msg);
	failures++;
}

static void snap_check(const struct snap *a, unsigned int flags)
{
	unsigned long changes = G.changes;
	struct snap b;

	if (!(flags & ROW_CHANGES) && changes != a->changes)
		misuse_fail("%s: rejected calls changed kernel state (%lu door calls, the last \"%s\")", cur_fn,
			    changes - a->changes, G.last);
	if (G.nfresh)
		misuse_fail("%s: %u fds opened by rejected calls are still open", cur_fn, G.nfresh);
	snap_take(&b);
#define SAME(f) do { if (memcmp(&a->f, &b.f, sizeof(a->f))) misuse_fail("%s: state changed: %s", cur_fn, #f); } while (0)
	SAME(fds);
	SAME(mmaps);
	SAME(scratch_fds);
	SAME(scratch_groups);
	SAME(scratch_devs);
	SAME(dma);
	SAME(sp_used);
	SAME(sp_avail);
	SAME(set_used);
	SAME(full_used);
	SAME(set2_used);
	SAME(al);
	SAME(ring_ready);
	SAME(ring_err);
	SAME(aring_ready);
	SAME(rs);
	SAME(list_n);
	SAME(set_n);
	SAME(pending);
	SAME(outstanding);
	SAME(b1);
	SAME(b2);
	SAME(b3);
	SAME(resets);
#undef SAME
}

/* ------------------------------------------------------------ assertions */

#define EQ(call, want)                                                                              \
	do {                                                                                        \
		long long r_ = (long long)(call);                                                   \
		if (r_ != (long long)(want))                                                        \
			misuse_fail("%s: %s gave %lld, want %s (%lld)", cur_fn, #call, r_, #want,      \
				 (long long)(want));                                                \
	} while (0)
#define EQ2(call, w1, w2)                                                                           \
	do {                                                                                        \
		long long r_ = (long long)(call);                                                   \
		if (r_ != (long long)(w1) && r_ != (long long)(w2))                                 \
			misuse_fail("%s: %s gave %lld, want %s or %s", cur_fn, #call, r_, #w1, #w2);   \
	} while (0)
#define NONNULL(call)                                                                               \
	do {                                                                                        \
		if ((call) == NULL)                                                                 \
			misuse_fail("%s: %s gave NULL", cur_fn, #call);                                \
	} while (0)
#define ISNULL(x)                                                                                   \
	do {                                                                                        \
		if ((x) != NULL)                                                                    \
			misuse_fail("%s: %s not NULL after a failure", cur_fn, #x);                    \
	} while (0)
#define STR(call, want)                                                                             \
	do {                                                                                        \
		const char *s_ = (call);                                                            \
		if (!s_ || strcmp(s_, want))                                                        \
			misuse_fail("%s: %s gave \"%s\", want \"%s\"", cur_fn, #call, s_ ? s_ : "(null)", want); \
	} while (0)

/* a pointer value a failing call must overwrite with NULL */
#define POISON ((void *)(uintptr_t)0x5a5a5a5a)

/* --------------------------------------------------------------- rows: context.h, common.h */

static void r_version(void)
{
	NONNULL(vfioiommu_version());
}

static void r_door_system(void)
{
	NONNULL(vfioiommu_door_system());
}

static void r_door_ioctl(void)
{
	/* an fd that is not open: EBADF from the mock and from the kernel (NULL is the real kernel) */
	EQ(vfioiommu_door_ioctl(vfioiommu_mock_door(W.m), VFIOIOMMU_MOCK_FD_BASE + 4095, KABI_VFIO_GET_API_VERSION,
				NULL), -EBADF);
	EQ(vfioiommu_door_ioctl(NULL, -1, KABI_VFIO_GET_API_VERSION, NULL), -EBADF);
	EQ(vfioiommu_door_ioctl(vfioiommu_door_system(), -1, KABI_VFIO_GET_API_VERSION, NULL), -EBADF);
}

static void r_ctx_new(void)
{
	struct vfioiommu_ctx_opts o = { .size = sizeof(o) };
	vfioiommu_ctx *c = POISON;

	EQ(vfioiommu_ctx_new(&o, NULL), -EINVAL);
	o.size = 0;
	EQ(vfioiommu_ctx_new(&o, &c), -EINVAL);
	ISNULL(c);
	o.size = 4; /* shorter than any version of the struct */
	c = POISON;
	EQ(vfioiommu_ctx_new(&o, &c), -EINVAL);
	ISNULL(c);
	o.size = sizeof(o);
	o.mode = 99;
	c = POISON;
	EQ(vfioiommu_ctx_new(&o, &c), -EINVAL);
	ISNULL(c);
	o.mode = UINT32_MAX;
	EQ(vfioiommu_ctx_new(&o, &c), -EINVAL);
	o.mode = 0;
	o.sysfs_root = "";
	EQ(vfioiommu_ctx_new(&o, &c), -EINVAL);
	ISNULL(c);
}

static void r_ctx_destroy(void)
{
	vfioiommu_ctx_destroy(NULL);
}

static void r_strerror(void)
{
	NONNULL(vfioiommu_strerror(NULL));
	NONNULL(vfioiommu_strerror(W.fresh));
}

static void r_ctx_add_group(void)
{
	EQ(vfioiommu_ctx_add_group(NULL, 3), -EINVAL);
	EQ(vfioiommu_ctx_add_group(W.ctx, 4), -EOPNOTSUPP);
	EQ(vfioiommu_ctx_add_group(W.ctx2, 4), -EBUSY);
	EQ(vfioiommu_ctx_add_group(W.ctx2, 999), -ENOENT);
	EQ(vfioiommu_ctx_add_group(W.ctx2, UINT_MAX), -ENOENT);
}

static void r_device_open(void)
{
	vfioiommu_device *d = POISON;

	EQ(vfioiommu_device_open(NULL, DEV_A, &d), -EINVAL);
	EQ(vfioiommu_device_open(W.ctx, NULL, &d), -EINVAL);
	EQ(vfioiommu_device_open(W.ctx, DEV_A, NULL), -EINVAL);
	EQ(vfioiommu_device_open(W.ctx, "", &d), -EINVAL);
	EQ(vfioiommu_device_open(W.ctx, "0000:00:03.0.0", &d), -EINVAL);
	EQ(vfioiommu_device_open(W.ctx, "0000:00:03.8", &d), -EINVAL);
	EQ(vfioiommu_device_open(W.ctx, "0000:00:03.0", &d), -EBUSY);
	/* open in another context of the same host */
	EQ(vfioiommu_device_open(W.ctx, DEV_B, &d), -EBUSY);
	EQ(vfioiommu_device_open(W.ctx, "0000:09:00.0", &d), -ENOENT);
	EQ(vfioiommu_device_open(W.ctx, "0000:00:08.0", &d), -ENODEV);
}

static void r_device_close(void)
{
	vfioiommu_device_close(NULL);
}

static void r_device_name(void)
{
	/* NULL is not documented in context.h; the code answers "" (as strerror does) */
	STR(vfioiommu_device_name(NULL), "");
	STR(vfioiommu_device_name(W.dev), DEV_A);
}

static void r_device_group(void)
{
	EQ(vfioiommu_device_group(NULL), 0);
	EQ(vfioiommu_device_group(W.dev2), 4);
}

static void r_device_fd(void)
{
	EQ(vfioiommu_device_fd(NULL), -EINVAL);
}

static void r_ctx_backend(void)
{
	EQ(vfioiommu_ctx_backend(NULL), VFIOIOMMU_BACKEND_NONE);
	EQ(vfioiommu_ctx_backend(W.fresh), VFIOIOMMU_BACKEND_NONE);
}

static void r_ctx_backend_reason(void)
{
	NONNULL(vfioiommu_ctx_backend_reason(NULL));
}

static void r_backend_name(void)
{
	NONNULL(vfioiommu_backend_name((enum vfioiommu_backend)99));
	NONNULL(vfioiommu_backend_name((enum vfioiommu_backend)-1));
}

static void r_ctx_container_is_iommufd(void)
{
	EQ(vfioiommu_ctx_container_is_iommufd(NULL), -EINVAL);
	EQ(vfioiommu_ctx_container_is_iommufd(W.ctx), -ENODEV);
	EQ(vfioiommu_ctx_container_is_iommufd(W.fresh), -ENODEV);
}

/* ------------------------------------------------------------------ rows: iova.h */

static void r_iova_list_new(void)
{
	struct vfioiommu_iova_range bad = { 10, 9 };
	vfioiommu_iova_list *l = POISON;

	EQ(vfioiommu_iova_list_new(&bad, 1, VFIOIOMMU_IOVA_SRC_USER, NULL), -EINVAL);
	EQ(vfioiommu_iova_list_new(&bad, 1, VFIOIOMMU_IOVA_SRC_USER, &l), -EINVAL);
	ISNULL(l);
	l = POISON;
	EQ(vfioiommu_iova_list_new(NULL, 3, VFIOIOMMU_IOVA_SRC_USER, &l), -EINVAL);
	ISNULL(l);
	EQ(vfioiommu_iova_list_new(NULL, SIZE_MAX, VFIOIOMMU_IOVA_SRC_USER, &l), -EINVAL);
}

static void r_iova_list_free(void)
{
	vfioiommu_iova_list_free(NULL);
}

static void r_iova_list_count(void)
{
	EQ(vfioiommu_iova_list_count(NULL), 0);
}

static void r_iova_list_get(void)
{
	struct vfioiommu_iova_range r;

	EQ(vfioiommu_iova_list_get(NULL, 0, &r), -EINVAL);
	EQ(vfioiommu_iova_list_get(W.list, 0, NULL), -EINVAL);
	EQ(vfioiommu_iova_list_get(W.list, 2, &r), -ERANGE);
	EQ(vfioiommu_iova_list_get(W.list, SIZE_MAX, &r), -ERANGE);
}

static void r_iova_list_source(void)
{
	EQ(vfioiommu_iova_list_source(NULL), VFIOIOMMU_IOVA_SRC_USER);
	EQ(vfioiommu_iova_list_source(W.list), VFIOIOMMU_IOVA_SRC_USER);
}

static void r_iova_source_name(void)
{
	NONNULL(vfioiommu_iova_source_name((enum vfioiommu_iova_source)99));
}

static void setop_rows(int (*op)(const vfioiommu_iova_list *, const vfioiommu_iova_list *, vfioiommu_iova_list **))
{
	vfioiommu_iova_list *l = POISON;

	EQ(op(W.list, W.list, NULL), -EINVAL);
	EQ(op(NULL, W.list, &l), -EINVAL);
	ISNULL(l);
	l = POISON;
	EQ(op(W.list, NULL, &l), -EINVAL);
	ISNULL(l);
}

static void r_iova_list_union(void)
{
	setop_rows(vfioiommu_iova_list_union);
}

static void r_iova_list_intersect(void)
{
	setop_rows(vfioiommu_iova_list_intersect);
}

static void r_iova_list_subtract(void)
{
	setop_rows(vfioiommu_iova_list_subtract);
}

static void r_iova_list_equal(void)
{
	/* NULL is not documented in iova.h; the code treats it as the empty list */
	EQ(vfioiommu_iova_list_equal(NULL, W.list), 0);
	EQ(vfioiommu_iova_list_equal(W.list, NULL), 0);
	EQ(vfioiommu_iova_list_equal(NULL, NULL), 1);
	EQ(vfioiommu_iova_list_equal(W.list, W.list), 1);
}

static void r_iova_list_contains(void)
{
	EQ(vfioiommu_iova_list_contains(NULL, 0, 1), -EINVAL);
	EQ(vfioiommu_iova_list_contains(W.list, 0x2000, 0x1000), -EINVAL);
	EQ(vfioiommu_iova_list_contains(W.list, 0xf0000, 0x200000), 0);
}

static void r_iova_list_find(void)
{
	size_t near = 7;

	/* NULL is not documented in iova.h: -EINVAL, nearest SIZE_MAX */
	EQ(vfioiommu_iova_list_find(NULL, 0, &near), -EINVAL);
	EQ(near, SIZE_MAX);
	EQ(vfioiommu_iova_list_find(W.list, 0x100000, NULL), -ENOENT);
	EQ(vfioiommu_iova_list_find(W.list, UINT64_MAX, &near), -ENOENT);
	EQ(near, 1);
}

static void r_iova_list_first_fit(void)
{
	uint64_t a;

	EQ(vfioiommu_iova_list_first_fit(NULL, PG, 0, 0, UINT64_MAX, &a), -EINVAL);
	EQ(vfioiommu_iova_list_first_fit(W.list, PG, 0, 0, UINT64_MAX, NULL), -EINVAL);
	EQ(vfioiommu_iova_list_first_fit(W.list, 0, 0, 0, UINT64_MAX, &a), -EINVAL);
	EQ(vfioiommu_iova_list_first_fit(W.list, PG, 3, 0, UINT64_MAX, &a), -EINVAL);
	EQ(vfioiommu_iova_list_first_fit(W.list, PG, 0, 10, 9, &a), -EINVAL);
	EQ(vfioiommu_iova_list_first_fit(W.list, UINT64_MAX, 0, 0, UINT64_MAX, &a), -ENOSPC);
	EQ(vfioiommu_iova_list_first_fit(W.list, PG, 1ull << 63, 0, UINT64_MAX, &a), -ENOSPC);
}

static void r_ctx_iova_ranges(void)
{
	vfioiommu_iova_list *l = POISON;

	EQ(vfioiommu_ctx_iova_ranges(NULL, &l), -EINVAL);
	EQ(vfioiommu_ctx_iova_ranges(W.ctx, NULL), -EINVAL);
	EQ(vfioiommu_ctx_iova_ranges(W.fresh, &l), -ENODEV);
	ISNULL(l);
}

/* ------------------------------------------------------------------ rows: alloc.h */

static void r_iova_pool_new(void)
{
	vfioiommu_iova_pool *a = POISON;

	EQ(vfioiommu_iova_pool_new(W.list, PG, NULL), -EINVAL);
	EQ(vfioiommu_iova_pool_new(NULL, PG, &a), -EINVAL);
	ISNULL(a);
	a = POISON;
	EQ(vfioiommu_iova_pool_new(W.list, 0, &a), -EINVAL);
	ISNULL(a);
	EQ(vfioiommu_iova_pool_new(W.list, 3 * PG, &a), -EINVAL);
	EQ(vfioiommu_iova_pool_new(W.list, UINT64_MAX, &a), -EINVAL);
}

static void r_iova_pool_free(void)
{
	vfioiommu_iova_pool_free(NULL);
}

static void r_iova_pool_alloc(void)
{
	uint64_t i;

	EQ(vfioiommu_iova_pool_alloc(NULL, PG, 0, 0, UINT64_MAX, &i), -EINVAL);
	EQ(vfioiommu_iova_pool_alloc(W.alloc, PG, 0, 0, UINT64_MAX, NULL), -EINVAL);
	EQ(vfioiommu_iova_pool_alloc(W.alloc, 0, 0, 0, UINT64_MAX, &i), -EINVAL);
	EQ(vfioiommu_iova_pool_alloc(W.alloc, UINT64_MAX, 0, 0, UINT64_MAX, &i), -EINVAL);
	EQ(vfioiommu_iova_pool_alloc(W.alloc, PG, 3 * PG, 0, UINT64_MAX, &i), -EINVAL);
	EQ(vfioiommu_iova_pool_alloc(W.alloc, PG, 0, 10, 9, &i), -EINVAL);
	EQ(vfioiommu_iova_pool_alloc(W.alloc, 1ull << 40, 0, 0, UINT64_MAX, &i), -ENOSPC);
}

static void r_iova_pool_reserve(void)
{
	EQ(vfioiommu_iova_pool_reserve(NULL, 0x1000, PG), -EINVAL);
	EQ(vfioiommu_iova_pool_reserve(W.alloc, 0x1000, 0), -EINVAL);
	EQ(vfioiommu_iova_pool_reserve(W.alloc, 0x1001, PG), -EINVAL);
	EQ(vfioiommu_iova_pool_reserve(W.alloc, 0x1000, UINT64_MAX), -EINVAL);
	EQ(vfioiommu_iova_pool_reserve(W.alloc, UINT64_MAX - PG + 1, 2 * PG), -EINVAL);
	EQ(vfioiommu_iova_pool_reserve(W.alloc, 0x100000, PG), -ERANGE);
	EQ(vfioiommu_iova_pool_reserve(W.alloc, W.alloc_iova, PG), -EEXIST);
}

static void r_iova_pool_release(void)
{
	EQ(vfioiommu_iova_pool_release(NULL, W.alloc_iova, 2 * PG), -EINVAL);
	EQ(vfioiommu_iova_pool_release(W.alloc, W.alloc_iova, 0), -EINVAL);
	EQ(vfioiommu_iova_pool_release(W.alloc, W.alloc_iova, UINT64_MAX), -EINVAL);
	/* not exactly the live block: a part of it, more than it, another start */
	EQ(vfioiommu_iova_pool_release(W.alloc, W.alloc_iova, PG), -ENOENT);
	EQ(vfioiommu_iova_pool_release(W.alloc, W.alloc_iova, 3 * PG), -ENOENT);
	EQ(vfioiommu_iova_pool_release(W.alloc, W.alloc_iova + PG, PG), -ENOENT);
	EQ(vfioiommu_iova_pool_release(W.alloc, 0x300000, PG), -ENOENT);
}

static void r_iova_pool_stats(void)
{
	struct vfioiommu_iova_pool_stats s = { .size = sizeof(s) };

	EQ(vfioiommu_iova_pool_stats(NULL, &s), -EINVAL);
	EQ(vfioiommu_iova_pool_stats(W.alloc, NULL), -EINVAL);
	s.size = 4; /* a caller that forgot to set it, or an older struct */
	EQ(vfioiommu_iova_pool_stats(W.alloc, &s), -EINVAL);
}

static void r_iova_pool_live(void)
{
	EQ(vfioiommu_iova_pool_live(NULL), 0);
}

static void r_iova_pool_bytes_available(void)
{
	EQ(vfioiommu_iova_pool_bytes_available(NULL), 0);
}

/* ------------------------------------------------------------------ rows: resv.h */

static void r_resv_type_name(void)
{
	STR(vfioiommu_resv_type_name((enum vfioiommu_resv_type)99), "unknown");
	STR(vfioiommu_resv_type_name((enum vfioiommu_resv_type)-1), "unknown");
}

static void r_resv_set_new(void)
{
	struct vfioiommu_resv_region bad = { 2, 1, VFIOIOMMU_RESV_MSI, 1 };
	struct vfioiommu_resv_region badtype = { 1, 2, (enum vfioiommu_resv_type)99, 1 };
	vfioiommu_resv_set *s = POISON;

	EQ(vfioiommu_resv_set_new(&bad, 1, NULL), -EINVAL);
	EQ(vfioiommu_resv_set_new(NULL, 1, &s), -EINVAL);
	ISNULL(s);
	s = POISON;
	EQ(vfioiommu_resv_set_new(&bad, 1, &s), -EINVAL);
	ISNULL(s);
	s = POISON;
	EQ(vfioiommu_resv_set_new(&badtype, 1, &s), -EINVAL);
	ISNULL(s);
}

static void r_resv_set_free(void)
{
	vfioiommu_resv_set_free(NULL);
}

static void r_resv_set_count(void)
{
	EQ(vfioiommu_resv_set_count(NULL), 0);
}

static void r_resv_set_get(void)
{
	struct vfioiommu_resv_region r;

	EQ(vfioiommu_resv_set_get(NULL, 0, &r), -EINVAL);
	EQ(vfioiommu_resv_set_get(W.set, 0, NULL), -EINVAL);
	EQ(vfioiommu_resv_set_get(W.set, 1, &r), -ERANGE);
	EQ(vfioiommu_resv_set_get(W.set, SIZE_MAX, &r), -ERANGE);
}

static void r_resv_set_merge(void)
{
	const vfioiommu_resv_set *sets[2] = { W.set, NULL };
	vfioiommu_resv_set *s = POISON;

	EQ(vfioiommu_resv_set_merge(sets, 2, NULL), -EINVAL);
	EQ(vfioiommu_resv_set_merge(NULL, 2, &s), -EINVAL);
	ISNULL(s);
}

static void r_resv_parse(void)
{
	vfioiommu_resv_set *s = POISON;
	char err[64];

	EQ(vfioiommu_resv_parse("0x0 0x1 msi\n", 12, 1, NULL, NULL, err, sizeof(err)), -EINVAL);
	EQ(vfioiommu_resv_parse(NULL, 12, 1, NULL, &s, err, sizeof(err)), -EINVAL);
	ISNULL(s);
	s = POISON;
	EQ(vfioiommu_resv_parse("0x1 0x0 msi\n", 12, 1, NULL, &s, NULL, 0), -EINVAL);
	ISNULL(s);
	/* an error buffer of one byte still gets a terminated (empty) message */
	memset(err, 'x', sizeof(err));
	EQ(vfioiommu_resv_parse("junk", 4, 1, NULL, &s, err, 1), -EINVAL);
	EQ(err[0], '\0');
	EQ(err[1], 'x');
}

static void r_resv_read_group(void)
{
	vfioiommu_resv_set *s = POISON;

	EQ(vfioiommu_resv_read_group(NULL, 3, &s), -EINVAL);
	EQ(vfioiommu_resv_read_group(W.ctx, 3, NULL), -EINVAL);
	EQ(vfioiommu_resv_read_group(W.ctx, 999, &s), -ENOENT);
	ISNULL(s);
}

static void r_resv_read_groups(void)
{
	static const unsigned int g[] = { 3, 999 };
	vfioiommu_resv_set *s = POISON;

	EQ(vfioiommu_resv_read_groups(NULL, g, 1, &s), -EINVAL);
	EQ(vfioiommu_resv_read_groups(W.ctx, NULL, 2, &s), -EINVAL);
	ISNULL(s);
	EQ(vfioiommu_resv_read_groups(W.ctx, g, 1, NULL), -EINVAL);
	s = POISON;
	EQ(vfioiommu_resv_read_groups(W.ctx, g, 2, &s), -ENOENT);
	ISNULL(s);
}

static void r_resv_usable(void)
{
	vfioiommu_iova_list *l = POISON;

	EQ(vfioiommu_resv_usable(NULL, 0, UINT64_MAX, &l), -EINVAL);
	EQ(vfioiommu_resv_usable(W.set, 0, UINT64_MAX, NULL), -EINVAL);
	EQ(vfioiommu_resv_usable(W.set, 2, 1, &l), -EINVAL);
}

static void r_resv_compare(void)
{
	vfioiommu_iova_list *a = POISON, *b = POISON;

	EQ(vfioiommu_resv_compare(NULL, W.list, &a, &b), -EINVAL);
	ISNULL(a);
	ISNULL(b);
	a = b = POISON;
	EQ(vfioiommu_resv_compare(W.list, NULL, &a, &b), -EINVAL);
	ISNULL(a);
	ISNULL(b);
}

static void r_verdict_name(void)
{
	NONNULL(vfioiommu_verdict_name((enum vfioiommu_verdict_kind)99));
}

static void r_verdict_device(void)
{
	struct vfioiommu_verdict v;

	EQ(vfioiommu_verdict_device(NULL, DEV_A, &v), -EINVAL);
	EQ(vfioiommu_verdict_device(W.ctx, NULL, &v), -EINVAL);
	EQ(vfioiommu_verdict_device(W.ctx, DEV_A, NULL), -EINVAL);
	EQ(vfioiommu_verdict_device(W.ctx, "00:03.0", &v), -EINVAL);
	EQ(vfioiommu_verdict_device(W.ctx, "0000:09:00.0", &v), -ENOENT);
}

static void r_verdict_group(void)
{
	struct vfioiommu_verdict v;

	EQ(vfioiommu_verdict_group(NULL, 3, &v), -EINVAL);
	EQ(vfioiommu_verdict_group(W.ctx, 3, NULL), -EINVAL);
	EQ(vfioiommu_verdict_group(W.ctx, 999, &v), -ENOENT);
}

/* ------------------------------------------------------------------ rows: caps.h, iommufd.h */

static void r_ctx_iommu_info(void)
{
	struct vfioiommu_iommu_info i = { .size = sizeof(i) };
	vfioiommu_iova_list *l = POISON;

	EQ(vfioiommu_ctx_iommu_info(NULL, &i, &l), -EINVAL);
	EQ(vfioiommu_ctx_iommu_info(W.ctx2, NULL, &l), -EINVAL);
	i.size = 15;
	EQ(vfioiommu_ctx_iommu_info(W.ctx2, &i, &l), -EINVAL);
	i.size = 0;
	EQ(vfioiommu_ctx_iommu_info(W.ctx2, &i, &l), -EINVAL);
	i.size = sizeof(i);
	EQ(vfioiommu_ctx_iommu_info(W.ctx, &i, &l), -EOPNOTSUPP);
	EQ(vfioiommu_ctx_iommu_info(W.fresh, &i, &l), -ENODEV);
}

static void r_ctx_iommufd_fd(void)
{
	EQ(vfioiommu_ctx_iommufd_fd(NULL), -EINVAL);
	EQ(vfioiommu_ctx_iommufd_fd(W.ctx2), -EOPNOTSUPP);
	EQ(vfioiommu_ctx_iommufd_fd(W.fresh), -ENODEV);
}

/* adopt.h: every refusal below comes before any fd is touched */
static void r_fd_kind_name(void)
{
	STR(vfioiommu_fd_kind_name((enum vfioiommu_fd_kind)99), "none");
	STR(vfioiommu_fd_kind_name(VFIOIOMMU_FD_NONE), "none");
}

static void r_ctx_adopt(void)
{
	struct vfioiommu_adopt_opts o = { .size = sizeof(o) };

	EQ(vfioiommu_ctx_adopt(NULL, VFIOIOMMU_FD_IOMMUFD, 0, NULL), -EINVAL);
	EQ(vfioiommu_ctx_adopt(W.fresh, VFIOIOMMU_FD_IOMMUFD, -1, NULL), -EINVAL);
	EQ(vfioiommu_ctx_adopt(W.fresh, VFIOIOMMU_FD_NONE, 0, NULL), -EINVAL);
	EQ(vfioiommu_ctx_adopt(W.fresh, VFIOIOMMU_FD_CDEV, 0, NULL), -EINVAL);
	EQ(vfioiommu_ctx_adopt(W.fresh, VFIOIOMMU_FD_GROUP, 0, NULL), -ENODEV);
	EQ(vfioiommu_ctx_adopt(W.ctx, VFIOIOMMU_FD_GROUP, 0, NULL), -EOPNOTSUPP);
	EQ(vfioiommu_ctx_adopt(W.ctx, VFIOIOMMU_FD_IOMMUFD, 0, NULL), -EBUSY);
	EQ(vfioiommu_ctx_adopt(W.ctx2, VFIOIOMMU_FD_CONTAINER, 0, NULL), -EBUSY);
	o.size = 8;
	EQ(vfioiommu_ctx_adopt(W.fresh, VFIOIOMMU_FD_IOMMUFD, 0, &o), -EINVAL);
	o.size = sizeof(o);
	o.flags = 1u << 1;
	EQ(vfioiommu_ctx_adopt(W.fresh, VFIOIOMMU_FD_IOMMUFD, 0, &o), -EINVAL);
	o.flags = 0;
	o.reserved = 1;
	EQ(vfioiommu_ctx_adopt(W.fresh, VFIOIOMMU_FD_IOMMUFD, 0, &o), -EINVAL);
}

static void r_device_adopt(void)
{
	struct vfioiommu_adopt_opts o = { .size = sizeof(o) };
	vfioiommu_device *d = POISON;

	EQ(vfioiommu_device_adopt(NULL, VFIOIOMMU_FD_CDEV, 0, NULL, &d), -EINVAL);
	EQ(vfioiommu_device_adopt(W.ctx, VFIOIOMMU_FD_CDEV, 0, NULL, NULL), -EINVAL);
	EQ(vfioiommu_device_adopt(W.fresh, VFIOIOMMU_FD_CDEV, 0, NULL, &d), -ENODEV);
	ISNULL(d);
	EQ(vfioiommu_device_adopt(W.ctx, VFIOIOMMU_FD_IOMMUFD, 0, NULL, &d), -EINVAL);
	EQ(vfioiommu_device_adopt(W.ctx, VFIOIOMMU_FD_CDEV, -1, NULL, &d), -EINVAL);
	EQ(vfioiommu_device_adopt(W.ctx, VFIOIOMMU_FD_CDEV_BOUND, 0, NULL, &d), -EINVAL);
	EQ(vfioiommu_device_adopt(W.ctx, VFIOIOMMU_FD_DEVICE, 0, NULL, &d), -EOPNOTSUPP);
	EQ(vfioiommu_device_adopt(W.ctx2, VFIOIOMMU_FD_CDEV, 0, NULL, &d), -EOPNOTSUPP);
	EQ(vfioiommu_device_adopt(W.ctx2, VFIOIOMMU_FD_GROUP, -1, NULL, &d), -EINVAL);
	o.name = "not an address";
	EQ(vfioiommu_device_adopt(W.ctx2, VFIOIOMMU_FD_GROUP, -1, &o, &d), -EINVAL);
	o.name = NULL;
	EQ(vfioiommu_device_adopt(W.ctx, VFIOIOMMU_FD_CDEV, vfioiommu_device_fd(W.dev), &o, &d), -EBUSY);
	o.size = 4;
	EQ(vfioiommu_device_adopt(W.ctx, VFIOIOMMU_FD_CDEV, 0, &o, &d), -EINVAL);
	ISNULL(d);
}

static void r_ctx_container_fd(void)
{
	EQ(vfioiommu_ctx_container_fd(NULL), -EINVAL);
	EQ(vfioiommu_ctx_container_fd(W.ctx), -EOPNOTSUPP);
	EQ(vfioiommu_ctx_container_fd(W.fresh), -ENODEV);
}

static void r_ctx_group_fd(void)
{
	EQ(vfioiommu_ctx_group_fd(NULL, 4), -EINVAL);
	EQ(vfioiommu_ctx_group_fd(W.ctx, 3), -EOPNOTSUPP);
	EQ(vfioiommu_ctx_group_fd(W.fresh, 4), -ENODEV);
	EQ(vfioiommu_ctx_group_fd(W.ctx2, 77), -ENOENT);
}

static void r_device_kvm_fd(void)
{
	EQ(vfioiommu_device_kvm_fd(NULL), -EINVAL);
}

static void r_fds_send(void)
{
	struct vfioiommu_fd_entry e = { .kind = VFIOIOMMU_FD_IOMMUFD, .fd = 0 };

	EQ(vfioiommu_fds_send(NULL, 0, &e, 1), -EINVAL);
	EQ(vfioiommu_fds_send(W.fresh, 0, NULL, 1), -EINVAL);
	EQ(vfioiommu_fds_send(W.fresh, 0, &e, 0), -EINVAL);
	EQ(vfioiommu_fds_send(W.fresh, 0, &e, VFIOIOMMU_FDPASS_MAX + 1), -EINVAL);
	e.kind = 99;
	EQ(vfioiommu_fds_send(W.fresh, 0, &e, 1), -EINVAL);
	e.kind = VFIOIOMMU_FD_IOMMUFD;
	e.fd = -1;
	EQ(vfioiommu_fds_send(W.fresh, 0, &e, 1), -EINVAL);
}

static void r_fds_recv(void)
{
	struct vfioiommu_fd_entry e;
	unsigned int n;

	EQ(vfioiommu_fds_recv(NULL, 0, &e, 1, &n), -EINVAL);
	EQ(vfioiommu_fds_recv(W.fresh, 0, NULL, 1, &n), -EINVAL);
	EQ(vfioiommu_fds_recv(W.fresh, 0, &e, 1, NULL), -EINVAL);
}

static void r_uuid_parse(void)
{
	uint8_t u[16];

	EQ(vfioiommu_uuid_parse(NULL, u), -EINVAL);
	EQ(vfioiommu_uuid_parse("12345678-9abc-4def-8001-020304050607", NULL), -EINVAL);
	EQ(vfioiommu_uuid_parse("12345678-9abc-4def-8001-02030405060", u), -EINVAL);
	EQ(vfioiommu_uuid_parse("12345678+9abc-4def-8001-020304050607", u), -EINVAL);
}

static void r_uuid_format(void)
{
	uint8_t u[16] = { 0 };
	char s[VFIOIOMMU_UUID_STRLEN];

	EQ(vfioiommu_uuid_format(NULL, s, sizeof(s)), -EINVAL);
	EQ(vfioiommu_uuid_format(u, NULL, sizeof(s)), -EINVAL);
	EQ(vfioiommu_uuid_format(u, s, 0), -ENOSPC);
	EQ(vfioiommu_uuid_format(u, s, sizeof(s) - 1), -ENOSPC);
}

static void r_device_open_with(void)
{
	struct vfioiommu_open_opts o = { .size = sizeof(o) };
	vfioiommu_device *d = POISON;

	EQ(vfioiommu_device_open_with(NULL, DEV_B, &o, &d), -EINVAL);
	EQ(vfioiommu_device_open_with(W.ctx2, DEV_B, &o, NULL), -EINVAL);
	EQ(vfioiommu_device_open_with(W.ctx2, NULL, &o, &d), -EINVAL);
	ISNULL(d);
	d = POISON;
	EQ(vfioiommu_device_open_with(W.ctx2, "0000:00:04", &o, &d), -EINVAL);
	ISNULL(d);
	EQ(vfioiommu_device_open_with(W.ctx2, DEV_B, &o, &d), -EBUSY);
	o.size = 0;
	EQ(vfioiommu_device_open_with(W.ctx2, DEV_B, &o, &d), -EINVAL);
	o.size = sizeof(o);
	o.flags = 2;
	EQ(vfioiommu_device_open_with(W.ctx2, DEV_B, &o, &d), -EINVAL);
}

static void r_device_set_vf_token(void)
{
	static const uint8_t u[16];

	EQ(vfioiommu_device_set_vf_token(NULL, u), -EINVAL);
	EQ(vfioiommu_device_set_vf_token(W.dev2, NULL), -EINVAL);
}

static void r_sriov_set_numvfs(void)
{
	EQ(vfioiommu_sriov_set_numvfs(NULL, DEV_B, 1), -EINVAL);
	EQ(vfioiommu_sriov_set_numvfs(W.fresh, NULL, 1), -EINVAL);
	EQ(vfioiommu_sriov_set_numvfs(W.fresh, "0000:00:04", 1), -EINVAL);
	EQ(vfioiommu_sriov_set_numvfs(W.fresh, DEV_B, 1), -ENODEV);
}

static void r_ctx_ioas_id(void)
{
	uint32_t id;

	EQ(vfioiommu_ctx_ioas_id(NULL, &id), -EINVAL);
	EQ(vfioiommu_ctx_ioas_id(W.ctx, NULL), -EINVAL);
	EQ(vfioiommu_ctx_ioas_id(W.ctx2, &id), -EOPNOTSUPP);
	EQ(vfioiommu_ctx_ioas_id(W.fresh, &id), -ENODEV);
}

static void r_device_iommufd_id(void)
{
	uint32_t id;

	EQ(vfioiommu_device_iommufd_id(NULL, &id), -EINVAL);
	EQ(vfioiommu_device_iommufd_id(W.dev, NULL), -EINVAL);
	EQ(vfioiommu_device_iommufd_id(W.dev2, &id), -EOPNOTSUPP);
}

static void r_device_hw_info(void)
{
	struct vfioiommu_hw_info h = { .size = sizeof(h) };

	EQ(vfioiommu_device_hw_info(NULL, &h), -EINVAL);
	EQ(vfioiommu_device_hw_info(W.dev, NULL), -EINVAL);
	h.size = 7;
	EQ(vfioiommu_device_hw_info(W.dev, &h), -EINVAL);
	h.size = sizeof(h);
	EQ(vfioiommu_device_hw_info(W.dev2, &h), -EOPNOTSUPP);
}

/* ------------------------------------------------------------------ rows: dma.h */

static void r_dma_map(void)
{
	uint64_t i = 0;

	EQ(vfioiommu_dma_map(NULL, W.buf, PG, RW, &i), -EINVAL);
	EQ(vfioiommu_dma_map(W.ctx, W.buf, PG, RW, NULL), -EINVAL);
	EQ(vfioiommu_dma_map(W.ctx, W.buf, 0, RW, &i), -EINVAL);
	EQ(vfioiommu_dma_map(W.ctx, W.buf, PG, 0x80, &i), -EINVAL);
	EQ(vfioiommu_dma_map(W.ctx, W.buf + 1, PG, RW, &i), -EINVAL);
	EQ(vfioiommu_dma_map(W.ctx, W.buf, PG + 1, RW, &i), -EINVAL);
	EQ(vfioiommu_dma_map(W.ctx, (void *)(uintptr_t)(UINT64_MAX - PG + 1), 2 * PG, RW, &i), -EINVAL);
	EQ(vfioiommu_dma_map(W.ctx, W.buf, UINT64_MAX - PG + 1, RW, &i), -EINVAL);
	EQ(vfioiommu_dma_map(W.fresh, W.buf, PG, RW, &i), -ENODEV);
	/* fixed IOVAs: overlap, outside the ranges, wrapping past 2^64 */
	i = W.iova + PG;
	EQ(vfioiommu_dma_map(W.ctx, W.buf, PG, RW | VFIOIOMMU_DMA_FIXED_IOVA, &i), -EEXIST);
	i = 0xfee00000;
	EQ(vfioiommu_dma_map(W.ctx, W.buf, PG, RW | VFIOIOMMU_DMA_FIXED_IOVA, &i), -ERANGE);
	i = UINT64_MAX - PG + 1;
	EQ2(vfioiommu_dma_map(W.ctx, W.buf, 2 * PG, RW | VFIOIOMMU_DMA_FIXED_IOVA, &i), -ERANGE, -EINVAL);
}

static void r_dma_map_in(void)
{
	uint64_t i;

	EQ(vfioiommu_dma_map_in(NULL, W.buf, PG, RW, 0, 0, UINT64_MAX, &i), -EINVAL);
	EQ(vfioiommu_dma_map_in(W.ctx, W.buf, PG, RW, 0, 0, UINT64_MAX, NULL), -EINVAL);
	EQ(vfioiommu_dma_map_in(W.ctx, W.buf, PG, RW, 3 * PG, 0, UINT64_MAX, &i), -EINVAL);
	EQ(vfioiommu_dma_map_in(W.ctx, W.buf, 0, RW, 0, 0, UINT64_MAX, &i), -EINVAL);
	EQ2(vfioiommu_dma_map_in(W.ctx, W.buf, PG, RW, 0, 0x20000, 0x10000, &i), -EINVAL, -ENOSPC);
	EQ(vfioiommu_dma_map_in(W.ctx, W.buf, PG, RW, 0, 0xfee00000, 0xfeefffff, &i), -ENOSPC);
}

static void r_dma_map_file(void)
{
	uint64_t i;

	EQ(vfioiommu_dma_map_file(NULL, 3, 0, PG, RW, &i), -EINVAL);
	EQ(vfioiommu_dma_map_file(W.ctx, 3, 0, PG, RW, NULL), -EINVAL);
	EQ(vfioiommu_dma_map_file(W.ctx, -1, 0, PG, RW, &i), -EBADF);
	EQ(vfioiommu_dma_map_file(W.ctx, 3, 0, 0, RW, &i), -EINVAL);
	EQ(vfioiommu_dma_map_file(W.ctx, 3, 1, PG, RW, &i), -EINVAL);
	EQ(vfioiommu_dma_map_file(W.ctx2, 3, 0, PG, RW, &i), -EOPNOTSUPP);
}

static void r_dma_map_region(void)
{
	uint64_t i;

	EQ(vfioiommu_dma_map_region(NULL, W.dev, 0, 0, PG, RW, &i), -EINVAL);
	EQ(vfioiommu_dma_map_region(W.ctx, NULL, 0, 0, PG, RW, &i), -EINVAL);
	EQ(vfioiommu_dma_map_region(W.ctx, W.dev, 0, 0, PG, RW, NULL), -EINVAL);
	EQ(vfioiommu_dma_map_region(W.ctx, W.dev, 7, 0, PG, RW, &i), -EOPNOTSUPP);
	EQ(vfioiommu_dma_map_region(W.ctx, W.dev, UINT32_MAX, 0, PG, RW, &i), -EOPNOTSUPP);
	EQ(vfioiommu_dma_map_region(W.ctx, W.dev, 0, 0, 0, RW, &i), -EINVAL);
	EQ(vfioiommu_dma_map_region(W.ctx, W.dev, 0, 1, PG, RW, &i), -EINVAL);
	EQ(vfioiommu_dma_map_region(W.ctx, W.dev, 0, UINT64_MAX - PG + 1, 2 * PG, RW, &i), -EINVAL);
	EQ(vfioiommu_dma_map_region(W.ctx2, W.dev2, 0, 0, PG + 1, RW, &i), -EINVAL);
}

static void r_dma_unmap(void)
{
	EQ(vfioiommu_dma_unmap(NULL, W.iova, 4 * PG), -EINVAL);
	EQ(vfioiommu_dma_unmap(W.ctx, W.iova, 0), -EINVAL);
	EQ(vfioiommu_dma_unmap(W.ctx, W.iova, PG), -EINVAL);          /* would split */
	EQ(vfioiommu_dma_unmap(W.ctx, W.iova + PG, 3 * PG), -EINVAL); /* would split */
	EQ(vfioiommu_dma_unmap(W.ctx, 0x40000000, PG), -ENOENT);
	EQ(vfioiommu_dma_unmap(W.ctx, UINT64_MAX - PG + 1, 2 * PG), -EINVAL);
	EQ(vfioiommu_dma_unmap(W.fresh, 0, PG), -ENODEV);
}

static void r_dma_unmap_at(void)
{
	EQ(vfioiommu_dma_unmap_at(NULL, W.iova), -EINVAL);
	EQ(vfioiommu_dma_unmap_at(W.ctx, W.iova + PG), -ENOENT);
	if (W.dead_iova != W.iova)
		EQ(vfioiommu_dma_unmap_at(W.ctx, W.dead_iova), -ENOENT); /* unmapped already */
	/* a mapping of another context */
	EQ(vfioiommu_dma_unmap_at(W.ctx2, W.iova), -ENOENT);
}

static void r_dma_unmap_all(void)
{
	EQ(vfioiommu_dma_unmap_all(NULL), -EINVAL);
	EQ(vfioiommu_dma_unmap_all(W.fresh), -ENODEV);
}

static void r_dma_translate(void)
{
	uint64_t i;

	EQ(vfioiommu_dma_translate(NULL, W.buf, 1, &i), -EINVAL);
	EQ(vfioiommu_dma_translate(W.ctx, W.buf, 1, NULL), -EINVAL);
	EQ(vfioiommu_dma_translate(W.ctx, W.buf, 5 * PG, &i), -ENOENT);
	EQ(vfioiommu_dma_translate(W.ctx, W.buf + 3 * PG, 2 * PG, &i), -ENOENT);
	/* len 0 is taken as 1 */
	i = 0;
	EQ(vfioiommu_dma_translate(W.ctx, W.buf, 0, &i), 0);
	EQ(i, W.iova);
	EQ(vfioiommu_dma_translate(W.ctx, (void *)(uintptr_t)(UINT64_MAX - 1), 4, &i), -EINVAL); /* wraps */
	EQ(vfioiommu_dma_translate(W.ctx2, W.buf, 1, &i), -ENOENT);
}

static void r_dma_unmap_flags(void)
{
	EQ(vfioiommu_dma_unmap_flags(NULL, W.iova, 4 * PG, 0), -EINVAL);
	EQ(vfioiommu_dma_unmap_flags(W.ctx, W.iova, 4 * PG, 1u << 5), -EINVAL);
	EQ(vfioiommu_dma_unmap_flags(W.ctx, W.iova, 0, VFIOIOMMU_DMA_UNMAP_ABSENT_OK), -EINVAL);
	EQ(vfioiommu_dma_unmap_flags(W.ctx, UINT64_MAX - PG + 1, 2 * PG, VFIOIOMMU_DMA_UNMAP_ABSENT_OK), -EINVAL);
	EQ(vfioiommu_dma_unmap_flags(W.ctx, W.iova + PG, PG, VFIOIOMMU_DMA_UNMAP_ABSENT_OK), -EINVAL); /* split */
	EQ(vfioiommu_dma_unmap_flags(W.ctx, W.iova + 1, 4 * PG, VFIOIOMMU_DMA_UNMAP_ABSENT_OK), -EINVAL);
	EQ(vfioiommu_dma_unmap_flags(W.fresh, 0, PG, VFIOIOMMU_DMA_UNMAP_ABSENT_OK), -ENODEV);
}

static void r_dma_translate_iova(void)
{
	void *v;

	EQ(vfioiommu_dma_translate_iova(NULL, W.iova, 1, &v), -EINVAL);
	EQ(vfioiommu_dma_translate_iova(W.ctx, W.iova, 1, NULL), -EINVAL);
	EQ(vfioiommu_dma_translate_iova(W.ctx, W.iova, 5 * PG, &v), -ENOENT);
	EQ(vfioiommu_dma_translate_iova(W.ctx, W.iova + 3 * PG, 2 * PG, &v), -ENOENT);
	EQ(vfioiommu_dma_translate_iova(W.ctx, W.iova - 1, 1, &v), -ENOENT);
	/* len 0 is taken as 1 */
	v = NULL;
	EQ(vfioiommu_dma_translate_iova(W.ctx, W.iova + PG + 7, 0, &v), 0);
	EQ((uintptr_t)v, (uintptr_t)(W.buf + PG + 7));
	EQ(vfioiommu_dma_translate_iova(W.ctx, UINT64_MAX - 1, 4, &v), -EINVAL); /* wraps */
	EQ(vfioiommu_dma_translate_iova(W.ctx2, W.iova, 1, &v), -ENOENT);
	EQ(vfioiommu_dma_translate_iova(W.fresh, W.iova, 1, &v), -ENOENT);
}

static void r_dma_stats(void)
{
	struct vfioiommu_dma_stats s = { .size = sizeof(s) };

	EQ(vfioiommu_dma_stats(NULL, &s), -EINVAL);
	EQ(vfioiommu_dma_stats(W.ctx, NULL), -EINVAL);
	EQ(vfioiommu_dma_stats(W.fresh, &s), -ENODEV);
	s.size = 0;
	EQ(vfioiommu_dma_stats(W.ctx, &s), -EINVAL);
	if (!strstr(vfioiommu_strerror(W.ctx), "size 0 is too small"))
		misuse_fail("%s: message \"%s\" does not name the size", cur_fn, vfioiommu_strerror(W.ctx));
}

/* ------------------------------------------------------------------ rows: pasid.h */

static void r_pasid_space_new(void)
{
	struct vfioiommu_pasid_space_opts o = { .size = sizeof(o) };
	vfioiommu_pasid_space *s = POISON;

	EQ(vfioiommu_pasid_space_new(8, NULL, NULL), -EINVAL);
	EQ(vfioiommu_pasid_space_new(0, NULL, &s), -EINVAL);
	ISNULL(s);
	s = POISON;
	EQ(vfioiommu_pasid_space_new(21, NULL, &s), -EINVAL);
	ISNULL(s);
	EQ(vfioiommu_pasid_space_new(UINT_MAX, NULL, &s), -EINVAL);
	o.size = 3;
	EQ(vfioiommu_pasid_space_new(8, &o, &s), -EINVAL);
	o.size = sizeof(o);
	o.flags = 1u << 7;
	EQ(vfioiommu_pasid_space_new(8, &o, &s), -EINVAL);
	o.flags = VFIOIOMMU_PASID_SPACE_RESERVE;
	o.reserved_lo = 9;
	o.reserved_hi = 8;
	EQ(vfioiommu_pasid_space_new(8, &o, &s), -EINVAL);
	/* nothing left to allocate: PASID 0 kept, 1 reserved */
	o.reserved_lo = 1;
	o.reserved_hi = 1;
	EQ(vfioiommu_pasid_space_new(1, &o, &s), -EINVAL);
	ISNULL(s);
}

static void r_pasid_space_for_device(void)
{
	vfioiommu_pasid_space *s = POISON;

	EQ(vfioiommu_pasid_space_for_device(W.dev, NULL, NULL), -EINVAL);
	EQ(vfioiommu_pasid_space_for_device(NULL, NULL, &s), -EINVAL);
	ISNULL(s);
	s = POISON;
	EQ(vfioiommu_pasid_space_for_device(W.dev2, NULL, &s), -EOPNOTSUPP);
	ISNULL(s);
}

static void r_pasid_space_free(void)
{
	vfioiommu_pasid_space_free(NULL);
}

static void r_pasid_space_width(void)
{
	EQ(vfioiommu_pasid_space_width(NULL), 0);
}

static void r_pasid_space_usage(void)
{
	uint32_t a, b;

	EQ(vfioiommu_pasid_space_usage(NULL, &a, &b), -EINVAL);
}

static void r_pasid_set_new(void)
{
	vfioiommu_pasid_set *s = POISON;

	EQ(vfioiommu_pasid_set_new(NULL, 0, &s), -EINVAL);
	ISNULL(s);
	EQ(vfioiommu_pasid_set_new(W.space, 0, NULL), -EINVAL);
}

static void r_pasid_set_free(void)
{
	vfioiommu_pasid_set_free(NULL);
}

static void r_pasid_set_usage(void)
{
	uint32_t a, b;

	EQ(vfioiommu_pasid_set_usage(NULL, &a, &b), -EINVAL);
}

static void r_pasid_alloc(void)
{
	vfioiommu_pasid_handle h = 99;

	EQ(vfioiommu_pasid_alloc(NULL, &h), -EINVAL);
	EQ(h, VFIOIOMMU_PASID_HANDLE_NONE);
	EQ(vfioiommu_pasid_alloc(W.pset, NULL), -EINVAL);
	h = 99;
	EQ(vfioiommu_pasid_alloc(W.pset_full, &h), -EDQUOT);
	EQ(h, VFIOIOMMU_PASID_HANDLE_NONE);
}

static void r_pasid_alloc_value(void)
{
	vfioiommu_pasid_handle h = 99;
	int taken = vfioiommu_pasid_value(W.pset, W.h);

	EQ(vfioiommu_pasid_alloc_value(NULL, 5, &h), -EINVAL);
	EQ(h, VFIOIOMMU_PASID_HANDLE_NONE);
	EQ(vfioiommu_pasid_alloc_value(W.pset, 5, NULL), -EINVAL);
	EQ(vfioiommu_pasid_alloc_value(W.pset, 0, &h), -ERANGE);
	EQ(vfioiommu_pasid_alloc_value(W.pset, 256, &h), -ERANGE);
	EQ(vfioiommu_pasid_alloc_value(W.pset, UINT32_MAX, &h), -ERANGE);
	h = 99;
	EQ(vfioiommu_pasid_alloc_value(W.pset, (uint32_t)taken, &h), -EBUSY);
	EQ(h, VFIOIOMMU_PASID_HANDLE_NONE);
	/* taken by another set */
	EQ(vfioiommu_pasid_alloc_value(W.pset_full, (uint32_t)taken, &h), -EBUSY);
	EQ(vfioiommu_pasid_alloc_value(W.pset_full, 200, &h), -EDQUOT);
}

/* the handle checks pasid_free and pasid_value share */
static void handle_rows(int (*op)(vfioiommu_pasid_set *, vfioiommu_pasid_handle))
{
	EQ(op(NULL, W.h), -EINVAL);
	EQ(op(W.pset, VFIOIOMMU_PASID_HANDLE_NONE), -EINVAL);
	EQ(op(W.pset, UINT64_MAX), -EINVAL);
	EQ(op(W.pset, W.h_stale), -EINVAL);   /* freed */
	EQ(op(W.pset, W.h_full), -EINVAL);    /* another set of the space */
	EQ(op(W.pset, W.h2), -EINVAL);        /* another space */
	EQ(op(W.pset2, W.h), -EINVAL);
}

static void r_pasid_free(void)
{
	handle_rows(vfioiommu_pasid_free);
}

static void r_pasid_value(void)
{
	handle_rows(vfioiommu_pasid_value);
}

static void r_hwpt_alloc_pasid(void)
{
	uint32_t id;

	EQ(vfioiommu_hwpt_alloc_pasid(NULL, &id), -EINVAL);
	EQ(vfioiommu_hwpt_alloc_pasid(W.dev, NULL), -EINVAL);
	EQ(vfioiommu_hwpt_alloc_pasid(W.dev2, &id), -EOPNOTSUPP);
}

static void r_hwpt_attach_rid(void)
{
	EQ(vfioiommu_hwpt_attach_rid(NULL, W.hwpt), -EINVAL);
	EQ(vfioiommu_hwpt_attach_rid(W.dev2, W.hwpt), -EOPNOTSUPP);
}

static void r_hwpt_destroy(void)
{
	EQ(vfioiommu_hwpt_destroy(NULL, W.hwpt), -EINVAL);
	EQ(vfioiommu_hwpt_destroy(W.ctx2, W.hwpt), -EOPNOTSUPP);
	EQ(vfioiommu_hwpt_destroy(W.ctx, W.hwpt2), -ENOENT); /* destroyed already */
	EQ(vfioiommu_hwpt_destroy(W.ctx, 0), -ENOENT);
	EQ(vfioiommu_hwpt_destroy(W.ctx, W.hwpt), -EBUSY);  /* the RID of W.dev is on it */
}

static void attach_rows(int (*op)(vfioiommu_device *, vfioiommu_pasid_set *, vfioiommu_pasid_handle, uint32_t))
{
	EQ(op(NULL, W.pset, W.h, W.hwpt), -EINVAL);
	EQ(op(W.dev, NULL, W.h, W.hwpt), -EINVAL);
	EQ(op(W.dev, W.pset, W.h_stale, W.hwpt), -EINVAL);
	EQ(op(W.dev, W.pset, W.h2, W.hwpt), -EINVAL);
	EQ(op(W.dev, W.pset, VFIOIOMMU_PASID_HANDLE_NONE, W.hwpt), -EINVAL);
	EQ(op(W.dev2, W.pset, W.h, W.hwpt), -EOPNOTSUPP);
}

static void r_pasid_attach(void)
{
	attach_rows(vfioiommu_pasid_attach);
}

static void r_pasid_replace(void)
{
	attach_rows(vfioiommu_pasid_replace);
}

static void r_pasid_detach(void)
{
	EQ(vfioiommu_pasid_detach(NULL, W.pset, W.h), -EINVAL);
	EQ(vfioiommu_pasid_detach(W.dev, NULL, W.h), -EINVAL);
	EQ(vfioiommu_pasid_detach(W.dev, W.pset, W.h_stale), -EINVAL);
	EQ(vfioiommu_pasid_detach(W.dev, W.pset, W.h2), -EINVAL);
	EQ(vfioiommu_pasid_detach(W.dev2, W.pset, W.h), -EOPNOTSUPP);
}

/* ------------------------------------------------------------------ rows: fault.h */

static void r_fault_kind_name(void)
{
	STR(vfioiommu_fault_kind_name(0), "unknown");
	STR(vfioiommu_fault_kind_name(UINT32_MAX), "unknown");
}

static void r_ring_attach(void)
{
	unsigned char *m = aligned_alloc(64, 4096);
	vfioiommu_ring *r = POISON;

	assert_non_null(m);
	memset(m, 0, 4096);
	EQ(vfioiommu_ring_attach(NULL, 4096, 0, &r), -EINVAL);
	ISNULL(r);
	EQ(vfioiommu_ring_attach(m, 4096, 0, NULL), -EINVAL);
	r = POISON;
	EQ(vfioiommu_ring_attach(m + 4, 4092, VFIOIOMMU_RING_INIT, &r), -EINVAL); /* misaligned */
	ISNULL(r);
	EQ(vfioiommu_ring_attach(m, 16 + 63, VFIOIOMMU_RING_INIT, &r), -EINVAL);  /* no room for a record */
	EQ(vfioiommu_ring_attach(m, 0, VFIOIOMMU_RING_INIT, &r), -EINVAL);
	EQ(vfioiommu_ring_attach(m, 4096, 1u << 9, &r), -EINVAL);                 /* unknown flag */
	r = POISON;
	EQ(vfioiommu_ring_attach(m, 4096, 0, &r), -EPROTO);                        /* size 0 */
	ISNULL(r);
	NONNULL(vfioiommu_ring_strerror(NULL));
	EQ(vfioiommu_ring_strerror(NULL)[0] != '\0', 1);
	/* a header whose size does not fit the mapping */
	m[0] = 0xff;
	m[1] = 0xff;
	EQ(vfioiommu_ring_attach(m, 4096, 0, &r), -EPROTO);
	free(m);
}

static void r_ring_attach_region(void)
{
	vfioiommu_ring *r = NULL;

	EQ(vfioiommu_ring_attach_region(NULL, 4, 1, &r), -EINVAL);
	EQ(vfioiommu_ring_attach_region(W.dev, 4, 1, NULL), -EINVAL);
	/* the e1000e has no typed region at all */
	EQ(vfioiommu_ring_attach_region(W.dev, 4, 1, &r), -ENOENT);
	EQ(vfioiommu_ring_attach_region(W.dev, UINT32_MAX, UINT32_MAX, &r), -ENOENT);
	ISNULL(r);
}

static void r_ring_create(void)
{
	vfioiommu_ring *r = POISON;

	EQ(vfioiommu_ring_create(NULL, 16, &r), -EINVAL);
	ISNULL(r);
	EQ(vfioiommu_ring_create(W.ctx, 16, NULL), -EINVAL);
	r = POISON;
	EQ(vfioiommu_ring_create(W.ctx, 0, &r), -EINVAL);
	ISNULL(r);
	EQ(vfioiommu_ring_create(W.ctx, (1u << 24) + 1, &r), -EINVAL);
	EQ(vfioiommu_ring_create(W.ctx, UINT_MAX, &r), -EINVAL);
}

static void r_ring_destroy(void)
{
	vfioiommu_ring_destroy(NULL);
}

static void r_ring_fd(void)
{
	EQ(vfioiommu_ring_fd(NULL), -EINVAL);
	EQ(vfioiommu_ring_fd(W.aring), -ENOENT);
}

static void r_ring_map_size(void)
{
	EQ(vfioiommu_ring_map_size(NULL), 0);
}

static void r_ring_capacity(void)
{
	EQ(vfioiommu_ring_capacity(NULL), 0);
}

static void r_ring_layout(void)
{
	NONNULL(vfioiommu_ring_layout(NULL));
}

static void r_ring_eventfd(void)
{
	EQ(vfioiommu_ring_eventfd(NULL), -EINVAL);
	EQ(vfioiommu_ring_eventfd(W.aring), -ENOENT);
}

static void r_ring_set_eventfd(void)
{
	EQ(vfioiommu_ring_set_eventfd(NULL, 3), -EINVAL);
	EQ(vfioiommu_ring_set_eventfd(W.ring, 3), -EINVAL); /* owns one already */
}

static void r_ring_peek(void)
{
	const struct vfioiommu_fault *f;

	EQ(vfioiommu_ring_peek(NULL, &f), -EINVAL);
	EQ(vfioiommu_ring_peek(W.ring, NULL), -EINVAL);
	EQ(vfioiommu_ring_peek(W.aring, &f), -EAGAIN);
}

static void r_ring_peek_batch(void)
{
	const struct vfioiommu_fault *v[4];

	EQ(vfioiommu_ring_peek_batch(NULL, v, 4), -EINVAL);
	EQ(vfioiommu_ring_peek_batch(W.ring, NULL, 4), -EINVAL);
	EQ(vfioiommu_ring_peek_batch(W.aring, v, 4), 0);
}

static void r_ring_at(void)
{
	const struct vfioiommu_fault *f;

	EQ(vfioiommu_ring_at(NULL, 0, &f), -EINVAL);
	EQ(vfioiommu_ring_at(W.ring, 0, NULL), -EINVAL);
	EQ(vfioiommu_ring_at(W.ring, 1, &f), -EAGAIN);
	EQ(vfioiommu_ring_at(W.ring, UINT_MAX, &f), -EAGAIN);
}

static void r_ring_advance(void)
{
	EQ(vfioiommu_ring_advance(NULL, 1), -EINVAL);
	EQ(vfioiommu_ring_advance(W.ring, 2), -EINVAL);
	EQ(vfioiommu_ring_advance(W.ring, UINT_MAX), -EINVAL);
	EQ(vfioiommu_ring_advance(W.aring, 1), -EINVAL);
}

static void r_ring_copy(void)
{
	struct vfioiommu_fault out[2];

	EQ(vfioiommu_ring_copy(NULL, out, 2), -EINVAL);
	EQ(vfioiommu_ring_copy(W.ring, NULL, 2), -EINVAL);
	EQ(vfioiommu_ring_copy(W.aring, out, 2), 0);
}

static void r_ring_ready(void)
{
	EQ(vfioiommu_ring_ready(NULL), -EINVAL);
}

static void r_ring_prepare_wait(void)
{
	EQ(vfioiommu_ring_prepare_wait(NULL), -EINVAL);
	EQ(vfioiommu_ring_prepare_wait(W.aring), -ENOENT);
}

static void r_ring_finish_wait(void)
{
	EQ(vfioiommu_ring_finish_wait(NULL), -EINVAL);
	EQ(vfioiommu_ring_finish_wait(W.aring), -ENOENT);
}

static void r_ring_wait(void)
{
	EQ(vfioiommu_ring_wait(NULL, 0), -EINVAL);
	EQ(vfioiommu_ring_wait(W.aring, 0), -ENOENT);
}

static void r_ring_push(void)
{
	EQ(vfioiommu_ring_push(NULL, NULL, 0), -EINVAL);
	EQ(vfioiommu_ring_push(W.aring, NULL, 3), -EINVAL);
}

static void r_ring_reserve(void)
{
	struct vfioiommu_fault *s[2];

	EQ(vfioiommu_ring_reserve(NULL, s, 2), -EINVAL);
	EQ(vfioiommu_ring_reserve(W.aring, NULL, 2), -EINVAL);
}

static void r_ring_commit(void)
{
	EQ(vfioiommu_ring_commit(NULL, 0), -EINVAL);
	EQ(vfioiommu_ring_commit(W.aring, 1), -EINVAL); /* nothing reserved */
	EQ(vfioiommu_ring_commit(W.ring, UINT_MAX), -EINVAL);
}

static void r_ring_room(void)
{
	EQ(vfioiommu_ring_room(NULL, 1), -EINVAL);
}

static void r_ring_error(void)
{
	EQ(vfioiommu_ring_error(NULL), -EINVAL);
}

static void r_ring_strerror(void)
{
	NONNULL(vfioiommu_ring_strerror(NULL));
	STR(vfioiommu_ring_strerror(W.ring), "");
}

static void r_ring_stats(void)
{
	struct vfioiommu_ring_stats s = { .size = sizeof(s) };

	EQ(vfioiommu_ring_stats(NULL, &s), -EINVAL);
	EQ(vfioiommu_ring_stats(W.ring, NULL), -EINVAL);
	s.size = sizeof(s) - 8;
	EQ(vfioiommu_ring_stats(W.ring, &s), -EINVAL);
}

static void r_fault_pump_new(void)
{
	vfioiommu_fault_pump *p = POISON;

	EQ(vfioiommu_fault_pump_new(NULL, W.ffd, W.ring, &p), -EINVAL);
	ISNULL(p);
	EQ(vfioiommu_fault_pump_new(W.ctx, -1, W.ring, &p), -EINVAL);
	EQ(vfioiommu_fault_pump_new(W.ctx, W.ffd, NULL, &p), -EINVAL);
	EQ(vfioiommu_fault_pump_new(W.ctx, W.ffd, W.ring, NULL), -EINVAL);
}

static void r_fault_pump_destroy(void)
{
	vfioiommu_fault_pump_destroy(NULL);
}

static void r_fault_pump_run(void)
{
	EQ(vfioiommu_fault_pump_run(NULL), -EINVAL);
}

static void r_fault_pump_respond(void)
{
	EQ(vfioiommu_fault_pump_respond(NULL, 1, VFIOIOMMU_PAGE_RESP_SUCCESS), -EINVAL);
	EQ(vfioiommu_fault_pump_respond(W.pump, 1, 7), -EINVAL);
	EQ(vfioiommu_fault_pump_respond(W.pump, 1, VFIOIOMMU_PAGE_RESP_SUCCESS), -EINVAL); /* never delivered */
	EQ(vfioiommu_fault_pump_respond(W.pump, 0, VFIOIOMMU_PAGE_RESP_SUCCESS), -EINVAL);
	EQ(vfioiommu_fault_pump_respond(W.vpump, 1, VFIOIOMMU_PAGE_RESP_SUCCESS), -EOPNOTSUPP);
}

static void r_fault_pump_respond_record(void)
{
	struct vfioiommu_fault pr = { .kind = VFIOIOMMU_FAULT_PAGE_REQ, .cookie = 1, .seq = 7 };
	struct vfioiommu_fault un = { .kind = VFIOIOMMU_FAULT_UNRECOV };

	EQ(vfioiommu_fault_pump_respond_record(NULL, &pr, VFIOIOMMU_PAGE_RESP_SUCCESS), -EINVAL);
	EQ(vfioiommu_fault_pump_respond_record(W.pump, NULL, VFIOIOMMU_PAGE_RESP_SUCCESS), -EINVAL);
	EQ(vfioiommu_fault_pump_respond_record(W.pump, &pr, 7), -EINVAL);
	EQ(vfioiommu_fault_pump_respond_record(W.pump, &un, VFIOIOMMU_PAGE_RESP_SUCCESS), -EINVAL);
	/* a page request this pump never delivered */
	EQ(vfioiommu_fault_pump_respond_record(W.pump, &pr, VFIOIOMMU_PAGE_RESP_SUCCESS), -EINVAL);
	EQ(vfioiommu_fault_pump_respond_record(W.vpump, &pr, VFIOIOMMU_PAGE_RESP_SUCCESS), -EOPNOTSUPP);
}

static void r_vevent_pump_new(void)
{
	vfioiommu_fault_pump *p = NULL;

	EQ(vfioiommu_vevent_pump_new(NULL, W.ffd, VFIOIOMMU_VEVENTQ_ARM_SMMUV3, W.aring, &p), -EINVAL);
	EQ(vfioiommu_vevent_pump_new(W.ctx, -1, VFIOIOMMU_VEVENTQ_ARM_SMMUV3, W.aring, &p), -EINVAL);
	EQ(vfioiommu_vevent_pump_new(W.ctx, W.ffd, VFIOIOMMU_VEVENTQ_ARM_SMMUV3, NULL, &p), -EINVAL);
	EQ(vfioiommu_vevent_pump_new(W.ctx, W.ffd, VFIOIOMMU_VEVENTQ_ARM_SMMUV3, W.aring, NULL), -EINVAL);
	EQ(vfioiommu_vevent_pump_new(W.ctx, W.ffd, 0, W.aring, &p), -EOPNOTSUPP);
	EQ(vfioiommu_vevent_pump_new(W.ctx, W.ffd, 99, W.aring, &p), -EOPNOTSUPP);
	ISNULL(p);
}

static void r_vevent_pump_stats(void)
{
	struct vfioiommu_vevent_stats st = { .size = sizeof(st) };

	EQ(vfioiommu_vevent_pump_stats(NULL, &st), -EINVAL);
	EQ(vfioiommu_vevent_pump_stats(W.vpump, NULL), -EINVAL);
	EQ(vfioiommu_vevent_pump_stats(W.pump, &st), -EINVAL); /* a fault-fd pump */
	st.size = 0;
	EQ(vfioiommu_vevent_pump_stats(W.vpump, &st), -EINVAL);
}

static void r_fault_pump_outstanding(void)
{
	EQ(vfioiommu_fault_pump_outstanding(NULL), 0);
}

/* ------------------------------------------------------------------ rows: device.h */

static void r_device_info(void)
{
	struct vfioiommu_device_info i = { .size = sizeof(i) };

	EQ(vfioiommu_device_info(NULL, &i), -EINVAL);
	EQ(vfioiommu_device_info(W.dev, NULL), -EINVAL);
	i.size = 15;
	EQ(vfioiommu_device_info(W.dev, &i), -EINVAL);
}

static void r_region_info(void)
{
	struct vfioiommu_region_info i = { .size = sizeof(i) };

	EQ(vfioiommu_region_info(NULL, 0, &i), -EINVAL);
	EQ(vfioiommu_region_info(W.dev, 0, NULL), -EINVAL);
	EQ(vfioiommu_region_info(W.dev, 9, &i), -EINVAL); /* e1000e: 9 regions */
	EQ(vfioiommu_region_info(W.dev, UINT32_MAX, &i), -EINVAL);
	i.size = 4;
	EQ(vfioiommu_region_info(W.dev, 0, &i), -EINVAL);
}

static void r_region_areas(void)
{
	struct vfioiommu_region_area a[1];
	uint32_t n = 77;

	EQ(vfioiommu_region_areas(NULL, 0, a, 1, &n), -EINVAL);
	EQ(vfioiommu_region_areas(W.dev, 0, a, 1, NULL), -EINVAL);
	EQ(vfioiommu_region_areas(W.dev, 0, NULL, 1, &n), -EINVAL);
	EQ(vfioiommu_region_areas(W.dev, 99, a, 1, &n), -EINVAL);
	EQ(vfioiommu_region_areas(W.dev, 0, a, 0, &n), -ENOSPC);
	EQ(n, 1);
}

static void r_region_type_name(void)
{
	EQ(vfioiommu_region_type_name(12345) == NULL, 1);
}

static void r_region_subtype_name(void)
{
	EQ(vfioiommu_region_subtype_name(12345, 1) == NULL, 1);
	EQ(vfioiommu_region_subtype_name(1, 12345) == NULL, 1);
}

static void r_pci_region_name(void)
{
	EQ(vfioiommu_pci_region_name(9) == NULL, 1);
	EQ(vfioiommu_pci_region_name(UINT32_MAX) == NULL, 1);
}

static void io_rows(bool write)
{
	char b[8] = { 0 };
#define IO(d, i, o, p, l) (write ? vfioiommu_region_write(d, i, o, p, l) : vfioiommu_region_read(d, i, o, p, l))
	EQ(IO(NULL, VFIOIOMMU_PCI_CONFIG, 0, b, 4), -EINVAL);
	EQ(IO(W.dev, VFIOIOMMU_PCI_CONFIG, 0, NULL, 4), -EINVAL);
	EQ(IO(W.dev, 99, 0, b, 4), -EINVAL);
	EQ(IO(W.dev, VFIOIOMMU_PCI_CONFIG, 4096, b, 1), -EINVAL);
	EQ(IO(W.dev, VFIOIOMMU_PCI_CONFIG, 4094, b, 4), -EINVAL);
	EQ(IO(W.dev, VFIOIOMMU_PCI_CONFIG, UINT64_MAX, b, 2), -EINVAL);
	EQ(IO(W.dev, VFIOIOMMU_PCI_CONFIG, 8, b, SIZE_MAX), -EINVAL);
	/* the e1000e ROM: size 0 and no READ/WRITE flag: access is checked before bounds */
	EQ(IO(W.dev, VFIOIOMMU_PCI_ROM, 0, b, 4), -EACCES);
#undef IO
}

static void r_region_read(void)
{
	io_rows(false);
}

static void r_region_write(void)
{
	io_rows(true);
}

static void r_region_mmap(void)
{
	void *a = POISON;

	EQ(vfioiommu_region_mmap(NULL, 0, 0, PG, 0, &a), -EINVAL);
	EQ(vfioiommu_region_mmap(W.dev, 0, 0, PG, 0, NULL), -EINVAL);
	EQ(vfioiommu_region_mmap(W.dev, 0, 0, 0, 0, &a), -EINVAL);
	EQ(vfioiommu_region_mmap(W.dev, 0, 1, PG, 0, &a), -EINVAL);
	EQ(vfioiommu_region_mmap(W.dev, 99, 0, PG, 0, &a), -EINVAL);
	EQ(vfioiommu_region_mmap(W.dev, VFIOIOMMU_PCI_CONFIG, 0, PG, 0, &a), -EOPNOTSUPP);
	EQ(vfioiommu_region_mmap(W.dev, 0, 0x20000, PG, 0, &a), -ERANGE);
	EQ(vfioiommu_region_mmap(W.dev, 0, 0, 0x21000, 0, &a), -ERANGE);
	EQ(vfioiommu_region_mmap(W.dev, 0, UINT64_MAX - PG + 1, PG, 0, &a), -ERANGE);
	EQ(vfioiommu_region_mmap(W.dev, 0, 0, UINT64_MAX, 0, &a), -ERANGE);
	EQ(vfioiommu_region_mmap(W.dev, 0, 0, PG, 1u << 5, &a), -EINVAL);
}

static void r_region_munmap(void)
{
	EQ(vfioiommu_region_munmap(NULL, W.bar0), -EINVAL);
	EQ(vfioiommu_region_munmap(W.dev, NULL), -ENOENT);
	EQ(vfioiommu_region_munmap(W.dev, W.buf), -ENOENT);
	EQ(vfioiommu_region_munmap(W.dev, (char *)W.bar0 + 1), -ENOENT);
	if (W.dead_map != W.bar0)
		EQ(vfioiommu_region_munmap(W.dev, W.dead_map), -ENOENT); /* unmapped already */
	/* the mapping of another device */
	EQ(vfioiommu_region_munmap(W.dev3, W.bar0), -ENOENT);
}

static void r_irq_info(void)
{
	struct vfioiommu_irq_info i = { .size = sizeof(i) };

	EQ(vfioiommu_irq_info(NULL, 0, &i), -EINVAL);
	EQ(vfioiommu_irq_info(W.dev, 0, NULL), -EINVAL);
	EQ(vfioiommu_irq_info(W.dev, 5, &i), -EINVAL);
	EQ(vfioiommu_irq_info(W.dev, UINT32_MAX, &i), -EINVAL);
	i.size = 2;
	EQ(vfioiommu_irq_info(W.dev, 0, &i), -EINVAL);
}

static void r_irq_set_eventfds(void)
{
	int fds[2] = { -1, -1 };

	EQ(vfioiommu_irq_set_eventfds(NULL, VFIOIOMMU_PCI_IRQ_MSIX, 0, 1, fds), -EINVAL);
	EQ(vfioiommu_irq_set_eventfds(W.dev, VFIOIOMMU_PCI_IRQ_MSIX, 0, 0, fds), -EINVAL);
	EQ(vfioiommu_irq_set_eventfds(W.dev, VFIOIOMMU_PCI_IRQ_MSIX, 0, 1, NULL), -EINVAL);
	EQ(vfioiommu_irq_set_eventfds(W.dev, VFIOIOMMU_PCI_IRQ_MSIX, 4, 2, fds), -EINVAL);
	EQ(vfioiommu_irq_set_eventfds(W.dev, VFIOIOMMU_PCI_IRQ_MSIX, UINT32_MAX, 2, fds), -EINVAL);
	EQ(vfioiommu_irq_set_eventfds(W.dev, 99, 0, 1, fds), -EINVAL);
}

static void r_irq_enable(void)
{
	int fds[2];

	EQ(vfioiommu_irq_enable(NULL, VFIOIOMMU_PCI_IRQ_MSIX, 0, 1, fds), -EINVAL);
	EQ(vfioiommu_irq_enable(W.dev, VFIOIOMMU_PCI_IRQ_MSIX, 0, 0, fds), -EINVAL);
	EQ(vfioiommu_irq_enable(W.dev, VFIOIOMMU_PCI_IRQ_MSIX, 5, 1, fds), -EINVAL);
	EQ(vfioiommu_irq_enable(W.dev, VFIOIOMMU_PCI_IRQ_MSIX, 1, UINT32_MAX, fds), -EINVAL);
	EQ(vfioiommu_irq_enable(W.dev, 99, 0, 1, fds), -EINVAL);
}

static void r_irq_eventfd(void)
{
	EQ(vfioiommu_irq_eventfd(NULL, 0, 0), -EINVAL);
	EQ(vfioiommu_irq_eventfd(W.dev, VFIOIOMMU_PCI_IRQ_MSIX, 0), -ENOENT);
	EQ(vfioiommu_irq_eventfd(W.dev, 99, 0), -EINVAL);
	EQ(vfioiommu_irq_eventfd(W.dev, VFIOIOMMU_PCI_IRQ_MSIX, UINT32_MAX), -ENOENT);
}

static void r_irq_trigger(void)
{
	EQ(vfioiommu_irq_trigger(NULL, VFIOIOMMU_PCI_IRQ_MSIX, 0, 1), -EINVAL);
	EQ(vfioiommu_irq_trigger(W.dev, VFIOIOMMU_PCI_IRQ_MSIX, 0, 1), -EINVAL); /* not enabled */
	EQ(vfioiommu_irq_trigger(W.dev, VFIOIOMMU_PCI_IRQ_MSIX, 4, 9), -EINVAL);
}

static void r_irq_mask(void)
{
	EQ(vfioiommu_irq_mask(NULL, 0, 0, 1), -EINVAL);
	EQ(vfioiommu_irq_mask(W.dev, VFIOIOMMU_PCI_IRQ_MSIX, 0, 1), -EOPNOTSUPP);
	EQ(vfioiommu_irq_mask(W.dev, 99, 0, 1), -EINVAL);
}

static void r_irq_unmask(void)
{
	EQ(vfioiommu_irq_unmask(NULL, 0, 0, 1), -EINVAL);
	EQ(vfioiommu_irq_unmask(W.dev, VFIOIOMMU_PCI_IRQ_MSIX, 0, 1), -EOPNOTSUPP);
	EQ(vfioiommu_irq_unmask(W.dev, 99, 0, 1), -EINVAL);
}

static void r_irq_disable(void)
{
	EQ(vfioiommu_irq_disable(NULL, 0), -EINVAL);
	EQ(vfioiommu_irq_disable(W.dev, 99), -EINVAL);
}

static void r_device_request_eventfd(void)
{
	int fd;

	EQ(vfioiommu_device_request_eventfd(NULL, &fd), -EINVAL);
	EQ(vfioiommu_device_request_eventfd(W.dev, NULL), -EINVAL);
}

static void r_device_reset(void)
{
	EQ(vfioiommu_device_reset(NULL), -EINVAL);
}

static void r_device_hot_reset_info(void)
{
	struct vfioiommu_reset_info *i = POISON;

	EQ(vfioiommu_device_hot_reset_info(NULL, &i), -EINVAL);
	EQ(vfioiommu_device_hot_reset_info(W.dev3, NULL), -EINVAL);
	/* a device on the root bus has no hot reset */
	EQ(vfioiommu_device_hot_reset_info(W.dev, &i), -EOPNOTSUPP);
	ISNULL(i);
}

static void r_reset_info_free(void)
{
	vfioiommu_reset_info_free(NULL);
}

static void r_device_hot_reset(void)
{
	EQ(vfioiommu_device_hot_reset(NULL), -EINVAL);
	EQ(vfioiommu_device_hot_reset(W.dev), -EOPNOTSUPP);
}

static void r_pci_ids(void)
{
	struct vfioiommu_pci_ids ids;

	EQ(vfioiommu_pci_ids(NULL, &ids), -EINVAL);
	EQ(vfioiommu_pci_ids(W.dev, NULL), -EINVAL);
}

static void cfg_rows(bool write)
{
	uint32_t v = 0;
#define CFG(d, o, w) (write ? vfioiommu_pci_config_write(d, o, w, v) : vfioiommu_pci_config_read(d, o, w, &v))
	EQ(CFG(NULL, 0, 4), -EINVAL);
	EQ(CFG(W.dev, 0, 3), -EINVAL);
	EQ(CFG(W.dev, 0, 0), -EINVAL);
	EQ(CFG(W.dev, 0, 8), -EINVAL);
	EQ(CFG(W.dev, 4096, 4), -EINVAL);
	EQ(CFG(W.dev, 4094, 4), -EINVAL);
	EQ(CFG(W.dev, UINT32_MAX, 1), -EINVAL);
#undef CFG
	if (!write)
		EQ(vfioiommu_pci_config_read(W.dev, 0, 4, NULL), -EINVAL);
}

static void r_pci_config_read(void)
{
	cfg_rows(false);
}

static void r_pci_config_write(void)
{
	cfg_rows(true);
}

static void r_pci_find_cap(void)
{
	uint32_t off;

	EQ(vfioiommu_pci_find_cap(NULL, 0x11, 0, &off), -EINVAL);
	EQ(vfioiommu_pci_find_cap(W.dev, 0x11, 0, NULL), -EINVAL);
	EQ(vfioiommu_pci_find_cap(W.dev, 0xee, 0, &off), -ENOENT);
	EQ2(vfioiommu_pci_find_cap(W.dev, 0x11, 4096, &off), -EINVAL, -ENOENT);
}

static void r_pci_find_ext_cap(void)
{
	uint32_t off;

	EQ(vfioiommu_pci_find_ext_cap(NULL, 1, 0, &off), -EINVAL);
	EQ(vfioiommu_pci_find_ext_cap(W.dev, 1, 0, NULL), -EINVAL);
	EQ(vfioiommu_pci_find_ext_cap(W.dev, 0x7ee, 0, &off), -ENOENT);
	EQ2(vfioiommu_pci_find_ext_cap(W.dev, 1, 8192, &off), -EINVAL, -ENOENT);
}

static void r_pci_map_bar(void)
{
	void *a = POISON;
	uint64_t len;

	EQ(vfioiommu_pci_map_bar(NULL, 0, &a, &len), -EINVAL);
	EQ(vfioiommu_pci_map_bar(W.dev, 0, NULL, &len), -EINVAL);
	EQ(vfioiommu_pci_map_bar(W.dev, 6, &a, &len), -EINVAL);
	EQ(vfioiommu_pci_map_bar(W.dev, UINT_MAX, &a, &len), -EINVAL);
	EQ(vfioiommu_pci_map_bar(W.dev, 2, &a, &len), -EOPNOTSUPP); /* I/O BAR */
	EQ(vfioiommu_pci_map_bar(W.dev, 4, &a, &len), -ENOENT);     /* unused */
}

/* ------------------------------------------------------------------ rows: hotplug.h */

static void r_hotplug_new(void)
{
	vfioiommu_hotplug *h = POISON;

	EQ(vfioiommu_hotplug_new(NULL, &h), -EINVAL);
	EQ(vfioiommu_hotplug_new(W.ctx, NULL), -EINVAL);
}

static void r_hotplug_destroy(void)
{
	vfioiommu_hotplug_destroy(NULL);
}

static void r_hotplug_fd(void)
{
	EQ(vfioiommu_hotplug_fd(NULL), -EINVAL);
}

static void r_hotplug_dispatch(void)
{
	EQ(vfioiommu_hotplug_dispatch(NULL, hp_ignore, NULL), -EINVAL);
	EQ(vfioiommu_hotplug_dispatch(W.mon, NULL, NULL), -EINVAL);
}

static void r_hotplug_pending(void)
{
	EQ(vfioiommu_hotplug_pending(NULL), 0);
}

static void r_hotplug_resync(void)
{
	EQ(vfioiommu_hotplug_resync(NULL), -EINVAL);
}

static void r_hotplug_kind_name(void)
{
	STR(vfioiommu_hotplug_kind_name((enum vfioiommu_hotplug_kind)0), "unknown");
	STR(vfioiommu_hotplug_kind_name((enum vfioiommu_hotplug_kind)999), "unknown");
}

static void r_bind_vfio(void)
{
	EQ(vfioiommu_bind_vfio(NULL, DEV_A, 0), -EINVAL);
	EQ(vfioiommu_bind_vfio(W.ctx, NULL, 0), -EINVAL);
	EQ(vfioiommu_bind_vfio(W.ctx, "zz", 0), -EINVAL);
	EQ(vfioiommu_bind_vfio(W.ctx, DEV_A, -1), -EINVAL);
	EQ(vfioiommu_bind_vfio(W.ctx, "0000:09:00.0", 0), -ENOENT);
}

/* ------------------------------------------------------------------ rows: mdev.h */

static void r_mdev_create(void)
{
	static const char u[] = "8c3e2a10-0000-4000-8000-000000000001";

	EQ(vfioiommu_mdev_create(NULL, "mtty", "mtty-2", u), -EINVAL);
	EQ(vfioiommu_mdev_create(W.ctx, NULL, "mtty-2", u), -EINVAL);
	EQ(vfioiommu_mdev_create(W.ctx, "mtty", NULL, u), -EINVAL);
	EQ(vfioiommu_mdev_create(W.ctx, "mtty", "mtty-2", NULL), -EINVAL);
	EQ(vfioiommu_mdev_create(W.ctx, "../mtty", "mtty-2", u), -EINVAL);
	EQ(vfioiommu_mdev_create(W.ctx, "mtty", "..", u), -EINVAL);
	EQ(vfioiommu_mdev_create(W.ctx, "", "mtty-2", u), -EINVAL);
	EQ(vfioiommu_mdev_create(W.ctx, "mtty", "mtty-2", "8C3E2A10-0000-4000-8000-000000000001"), -EINVAL);
	EQ(vfioiommu_mdev_create(W.ctx, "mtty", "mtty-2", "8c3e2a10-0000-4000-8000-0000000000011"), -EINVAL);
	EQ(vfioiommu_mdev_create(W.ctx, "nope", "mtty-2", u), -ENOENT);
}

static void r_mdev_remove(void)
{
	EQ(vfioiommu_mdev_remove(NULL, "8c3e2a10-0000-4000-8000-000000000001"), -EINVAL);
	EQ(vfioiommu_mdev_remove(W.ctx, NULL), -EINVAL);
	EQ(vfioiommu_mdev_remove(W.ctx, DEV_A), -EINVAL);
	EQ(vfioiommu_mdev_remove(W.ctx, "8c3e2a10-0000-4000-8000-000000000001"), -ENOENT);
}

static void r_mdev_available(void)
{
	uint32_t c;

	EQ(vfioiommu_mdev_available(NULL, "mtty", "mtty-2", &c), -EINVAL);
	EQ(vfioiommu_mdev_available(W.ctx, NULL, "mtty-2", &c), -EINVAL);
	EQ(vfioiommu_mdev_available(W.ctx, "mtty", "a/b", &c), -EINVAL);
	EQ(vfioiommu_mdev_available(W.ctx, "mtty", "mtty-2", NULL), -EINVAL);
	EQ(vfioiommu_mdev_available(W.ctx, "nope", "mtty-2", &c), -ENOENT);
}

static void r_device_is_mdev(void)
{
	EQ(vfioiommu_device_is_mdev(NULL), 0);
	EQ(vfioiommu_device_is_mdev(W.dev), 0);
}

/* ------------------------------------------------------------------ rows: migration.h (W.dev has no migration) */

static void r_mig_state_name(void)
{
	STR(vfioiommu_mig_state_name((enum vfioiommu_mig_state)8), "unknown");
	STR(vfioiommu_mig_state_name((enum vfioiommu_mig_state)-1), "unknown");
}

static void r_mig_caps(void)
{
	uint32_t c;

	EQ(vfioiommu_mig_caps(NULL, &c), -EINVAL);
	EQ(vfioiommu_mig_caps(W.dev, NULL), -EINVAL);
	EQ(vfioiommu_mig_caps(W.dev, &c), -EOPNOTSUPP);
}

static void r_mig_get_state(void)
{
	enum vfioiommu_mig_state st;

	EQ(vfioiommu_mig_get_state(NULL, &st), -EINVAL);
	EQ(vfioiommu_mig_get_state(W.dev, NULL), -EINVAL);
	EQ(vfioiommu_mig_get_state(W.dev, &st), -EOPNOTSUPP);
}

static void r_mig_set_state(void)
{
	struct vfioiommu_mig_result small = { .size = 4 };

	EQ(vfioiommu_mig_set_state(NULL, VFIOIOMMU_MIG_STOP, NULL), -EINVAL);
	EQ(vfioiommu_mig_set_state(W.dev, VFIOIOMMU_MIG_ERROR, NULL), -EINVAL);
	EQ(vfioiommu_mig_set_state(W.dev, (enum vfioiommu_mig_state)8, NULL), -EINVAL);
	EQ(vfioiommu_mig_set_state(W.dev, VFIOIOMMU_MIG_STOP, &small), -EINVAL);
	EQ(vfioiommu_mig_set_state(W.dev, VFIOIOMMU_MIG_STOP, NULL), -EOPNOTSUPP);
}

static void r_mig_data_size(void)
{
	uint64_t b;

	EQ(vfioiommu_mig_data_size(NULL, &b), -EINVAL);
	EQ(vfioiommu_mig_data_size(W.dev, NULL), -EINVAL);
	EQ(vfioiommu_mig_data_size(W.dev, &b), -EOPNOTSUPP);
}

static void r_mig_precopy_info(void)
{
	uint64_t a, b;

	EQ(vfioiommu_mig_precopy_info(NULL, &a, &b), -EINVAL);
	EQ(vfioiommu_mig_precopy_info(W.dev, NULL, &b), -EINVAL);
	EQ(vfioiommu_mig_precopy_info(W.dev, &a, NULL), -EINVAL);
	EQ(vfioiommu_mig_precopy_info(W.dev, &a, &b), -EINVAL);
}

static void r_mig_save_chunk(void)
{
	EQ(vfioiommu_mig_save_chunk(NULL, 1, NULL), -EINVAL);
	EQ(vfioiommu_mig_save_chunk(W.dev, -1, NULL), -EINVAL);
	EQ(vfioiommu_mig_save_chunk(W.dev, 1, NULL), -EOPNOTSUPP);
}

static void r_mig_save(void)
{
	EQ(vfioiommu_mig_save(NULL, 1, NULL), -EINVAL);
	EQ(vfioiommu_mig_save(W.dev, -1, NULL), -EINVAL);
	EQ(vfioiommu_mig_save(W.dev, 1, NULL), -EOPNOTSUPP);
}

static void r_mig_restore(void)
{
	EQ(vfioiommu_mig_restore(NULL, 0, NULL), -EINVAL);
	EQ(vfioiommu_mig_restore(W.dev, -1, NULL), -EINVAL);
	EQ(vfioiommu_mig_restore(W.dev, 0, NULL), -EOPNOTSUPP);
}

static void r_mig_recover(void)
{
	struct vfioiommu_mig_result small = { .size = 4 };

	EQ(vfioiommu_mig_recover(NULL, NULL), -EINVAL);
	EQ(vfioiommu_mig_recover(W.dev, &small), -EINVAL);
}

/* ------------------------------------------------------------------ rows: mock.h */

static void r_mock_new(void)
{
	EQ(vfioiommu_mock_new(NULL), -EINVAL);
}

static void r_mock_destroy(void)
{
	vfioiommu_mock_destroy(NULL);
}

static void r_mock_door(void)
{
	EQ(vfioiommu_mock_door(NULL) == NULL, 1);
}

static void r_mock_load_string(void)
{
	char err[64];

	EQ(vfioiommu_mock_load_string(NULL, "group 1\n", err, sizeof(err)), -EINVAL);
	EQ(vfioiommu_mock_load_string(W.scratch, NULL, err, sizeof(err)), -EINVAL);
	EQ(vfioiommu_mock_load_string(W.scratch, "group x\n", NULL, 0), -EINVAL);
	/* a group already there is refused, and nothing of the line is kept */
	EQ(vfioiommu_mock_load_string(W.scratch, "group 1\n", err, sizeof(err)), -EINVAL);
	EQ(strncmp(err, "line 1:", 7), 0);
	EQ(vfioiommu_mock_load_string(W.scratch, "resv 0 1 msi\n", err, 1), -EINVAL);
	EQ(err[0], '\0');
}

static void r_mock_load_file(void)
{
	char err[128];

	EQ(vfioiommu_mock_load_file(NULL, W.hostfile, err, sizeof(err)), -EINVAL);
	EQ(vfioiommu_mock_load_file(W.scratch, NULL, err, sizeof(err)), -EINVAL);
	EQ(vfioiommu_mock_load_file(W.scratch, "/nonexistent/x.host", err, sizeof(err)), -ENOENT);
	/* "group 1" twice: the first exists already in scratch, so nothing changes */
	EQ(vfioiommu_mock_load_file(W.scratch, W.hostfile, err, sizeof(err)), -EINVAL);
	EQ(strstr(err, "line 1") != NULL, 1);
}

static void r_mock_set_aperture(void)
{
	EQ(vfioiommu_mock_set_aperture(NULL, 0, 1), -EINVAL);
	EQ(vfioiommu_mock_set_aperture(W.scratch, 2, 1), -EINVAL);
}

static void r_mock_set_pgsizes(void)
{
	EQ(vfioiommu_mock_set_pgsizes(NULL, PG), -EINVAL);
	EQ(vfioiommu_mock_set_pgsizes(W.scratch, 0), -EINVAL);
	EQ(vfioiommu_mock_set_pgsizes(W.scratch, 0x100), -EINVAL);
}

static void r_mock_set_dma_limit(void)
{
	EQ(vfioiommu_mock_set_dma_limit(NULL, 1), -EINVAL);
}

static void r_mock_set_pasid_width(void)
{
	EQ(vfioiommu_mock_set_pasid_width(NULL, 1), -EINVAL);
	EQ(vfioiommu_mock_set_pasid_width(W.scratch, 21), -EINVAL);
}

static void r_mock_set_iommu(void)
{
	EQ(vfioiommu_mock_set_iommu(NULL, VFIOIOMMU_MOCK_IOMMU_AMD), -EINVAL);
	EQ(vfioiommu_mock_set_iommu(W.scratch, (enum vfioiommu_mock_iommu)99), -EINVAL);
}

static void r_mock_set_feature(void)
{
	EQ(vfioiommu_mock_set_feature(NULL, VFIOIOMMU_MOCK_CDEV, true), -EINVAL);
	EQ(vfioiommu_mock_set_feature(W.scratch, 1u << 30, true), -EINVAL);
}

static void r_mock_add_group(void)
{
	EQ(vfioiommu_mock_add_group(NULL, 2), -EINVAL);
	EQ(vfioiommu_mock_add_group(W.scratch, 1), -EEXIST);
}

static void r_mock_add_resv(void)
{
	EQ(vfioiommu_mock_add_resv(NULL, 1, 0, 1, VFIOIOMMU_RESV_MSI), -EINVAL);
	EQ(vfioiommu_mock_add_resv(W.scratch, 2, 0, 1, VFIOIOMMU_RESV_MSI), -ENOENT);
	EQ(vfioiommu_mock_add_resv(W.scratch, 1, 2, 1, VFIOIOMMU_RESV_MSI), -EINVAL);
	EQ(vfioiommu_mock_add_resv(W.scratch, 1, 0, 1, (enum vfioiommu_resv_type)99), -EINVAL);
}

static void r_mock_add_device(void)
{
	char longname[VM_DRIVER_MAX + 8];

	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	EQ(vfioiommu_mock_add_device(NULL, 1, "0000:01:00.1", "vfio-pci"), -EINVAL);
	EQ(vfioiommu_mock_add_device(W.scratch, 1, NULL, "vfio-pci"), -EINVAL);
	EQ(vfioiommu_mock_add_device(W.scratch, 1, "01:00.1", "vfio-pci"), -EINVAL);
	EQ(vfioiommu_mock_add_device(W.scratch, 2, "0000:01:00.1", "vfio-pci"), -ENOENT);
	EQ(vfioiommu_mock_add_device(W.scratch, 1, "0000:01:00.0", "vfio-pci"), -EEXIST);
	EQ(vfioiommu_mock_add_device(W.scratch, 1, "0000:01:00.1", longname), -EINVAL);
}

static void r_mock_set_driver(void)
{
	EQ(vfioiommu_mock_set_driver(NULL, "0000:01:00.0", NULL), -EINVAL);
	EQ(vfioiommu_mock_set_driver(W.scratch, "0000:02:00.0", NULL), -ENOENT);
	EQ2(vfioiommu_mock_set_driver(W.scratch, NULL, NULL), -EINVAL, -ENOENT);
	EQ(vfioiommu_mock_set_driver(W.m, DEV_A, NULL), -EBUSY); /* its fd is open */
}

static void r_mock_device_set_ids(void)
{
	EQ(vfioiommu_mock_device_set_ids(NULL, "0000:01:00.0", 1, 2, 3), -EINVAL);
	EQ(vfioiommu_mock_device_set_ids(W.scratch, "0000:02:00.0", 1, 2, 3), -ENOENT);
	EQ(vfioiommu_mock_device_set_ids(W.scratch, "0000:01:00.0", 1, 2, 0x1000000), -EINVAL);
}

static void r_mock_device_set_pasid(void)
{
	EQ(vfioiommu_mock_device_set_pasid(NULL, "0000:01:00.0", 5, false), -EINVAL);
	EQ(vfioiommu_mock_device_set_pasid(W.scratch, "0000:02:00.0", 5, false), -ENOENT);
	EQ(vfioiommu_mock_device_set_pasid(W.scratch, "0000:01:00.0", 21, false), -EINVAL);
}

static void r_mock_device_set_model(void)
{
	EQ(vfioiommu_mock_device_set_model(NULL, "0000:01:00.0", VFIOIOMMU_MOCK_MODEL_NVME), -EINVAL);
	EQ(vfioiommu_mock_device_set_model(W.scratch, "0000:02:00.0", VFIOIOMMU_MOCK_MODEL_NVME), -ENOENT);
	EQ(vfioiommu_mock_device_set_model(W.scratch, "0000:01:00.0", (enum vfioiommu_mock_model)99), -EINVAL);
}

static void r_mock_device_set_reset(void)
{
	EQ(vfioiommu_mock_device_set_reset(NULL, "0000:01:00.0", false), -EINVAL);
	EQ(vfioiommu_mock_device_set_reset(W.scratch, "0000:02:00.0", false), -ENOENT);
}

static void r_mock_device_resets(void)
{
	EQ(vfioiommu_mock_device_resets(NULL, DEV_A), 0);
	EQ(vfioiommu_mock_device_resets(W.m, "0000:09:00.0"), 0);
}

static void r_mock_device_irq(void)
{
	EQ(vfioiommu_mock_device_irq(NULL, DEV_A, 0, 0), -EINVAL);
	EQ(vfioiommu_mock_device_irq(W.m, "0000:09:00.0", 0, 0), -ENODEV);
	EQ(vfioiommu_mock_device_irq(W.m, DEV_A, 99, 0), -EINVAL);
	EQ(vfioiommu_mock_device_irq(W.m, DEV_A, VFIOIOMMU_PCI_IRQ_MSIX, 99), -EINVAL);
	EQ(vfioiommu_mock_device_irq(W.m, DEV_A, VFIOIOMMU_PCI_IRQ_MSIX, 0), -ENOENT);
}

static void r_mock_device_request(void)
{
	EQ(vfioiommu_mock_device_request(NULL, DEV_A), -EINVAL);
	EQ(vfioiommu_mock_device_request(W.m, DEV_A), -ENOENT);
}

static void r_mock_inject_vevent(void)
{
	static const unsigned char ev[32];
	static unsigned char big[65];

	EQ(vfioiommu_mock_inject_vevent(NULL, DEV_A, ev, sizeof(ev)), -EINVAL);
	EQ(vfioiommu_mock_inject_vevent(W.m, DEV_A, NULL, sizeof(ev)), -EINVAL);
	EQ(vfioiommu_mock_inject_vevent(W.m, DEV_A, ev, 0), -EINVAL);
	EQ(vfioiommu_mock_inject_vevent(W.m, DEV_A, big, sizeof(big)), -EINVAL);
	EQ(vfioiommu_mock_inject_vevent(W.m, "0000:09:00.0", ev, sizeof(ev)), -ENOENT);
	EQ2(vfioiommu_mock_inject_vevent(W.m, NULL, ev, sizeof(ev)), -EINVAL, -ENOENT);
	/* bound to an iommufd, but no vIOMMU was allocated with it */
	EQ(vfioiommu_mock_inject_vevent(W.m, DEV_A, ev, sizeof(ev)), -ENOENT);
}

static void r_mock_fail_nth(void)
{
	vfioiommu_mock_fail_nth(NULL, 1, EIO);
}

static void r_mock_fail_ioctl(void)
{
	vfioiommu_mock_fail_ioctl(NULL, 1, 1, EIO);
}

static void r_mock_fault_fired(void)
{
	EQ(vfioiommu_mock_fault_fired(NULL), false);
}

static void r_mock_fault_site(void)
{
	STR(vfioiommu_mock_fault_site(NULL), "");
}

static void r_mock_calls(void)
{
	EQ(vfioiommu_mock_calls(NULL), 0);
}

static void r_mock_open_fds(void)
{
	EQ(vfioiommu_mock_open_fds(NULL), 0);
}

static void r_mock_live_mmaps(void)
{
	EQ(vfioiommu_mock_live_mmaps(NULL), 0);
}

static void r_mock_set_hostile(void)
{
	vfioiommu_mock_set_hostile(NULL, VFIOIOMMU_MOCK_HOSTILE_CAP_LOOP);
}

static void r_mock_device_add_fault_region(void)
{
	EQ(vfioiommu_mock_device_add_fault_region(NULL, "0000:01:00.0", 1, 1, 0x10000), -EINVAL);
	EQ(vfioiommu_mock_device_add_fault_region(W.scratch, NULL, 1, 1, 0x10000), -EINVAL);
	EQ(vfioiommu_mock_device_add_fault_region(W.scratch, "0000:01:00.0", 1, 1, 0), -EINVAL);
	EQ(vfioiommu_mock_device_add_fault_region(W.scratch, "0000:01:00.0", 1, 1, 15), -EINVAL);
	EQ(vfioiommu_mock_device_add_fault_region(W.scratch, "0000:01:00.0", 1, 1, UINT64_MAX), -EINVAL);
	EQ(vfioiommu_mock_device_add_fault_region(W.scratch, "0000:02:00.0", 1, 1, 0x10000), -ENOENT);
	EQ(vfioiommu_mock_device_add_fault_region(W.m, DEV_A, 1, 1, 0x10000), -EBUSY); /* its fd is open */
}

static void r_mock_device_push_fault(void)
{
	struct vfioiommu_fault f = { .kind = VFIOIOMMU_FAULT_PAGE_REQ, .cookie = 1 };

	EQ(vfioiommu_mock_device_push_fault(NULL, DEV_A, &f), -EINVAL);
	EQ(vfioiommu_mock_device_push_fault(W.m, NULL, &f), -EINVAL);
	EQ(vfioiommu_mock_device_push_fault(W.m, DEV_A, NULL), -EINVAL);
	EQ(vfioiommu_mock_device_push_fault(W.m, "0000:09:00.0", &f), -ENOENT);
	EQ(vfioiommu_mock_device_push_fault(W.m, DEV_A, &f), -ENOENT); /* no fault region */
}

static void r_mock_device_poke_fault(void)
{
	EQ(vfioiommu_mock_device_poke_fault(NULL, DEV_A, VFIOIOMMU_MOCK_FAULT_PROD, 1), -EINVAL);
	EQ(vfioiommu_mock_device_poke_fault(W.m, NULL, VFIOIOMMU_MOCK_FAULT_PROD, 1), -EINVAL);
	EQ(vfioiommu_mock_device_poke_fault(W.m, DEV_A, 4, 1), -EINVAL);
	EQ(vfioiommu_mock_device_poke_fault(W.m, DEV_A, UINT_MAX, 1), -EINVAL);
	EQ(vfioiommu_mock_device_poke_fault(W.m, "0000:09:00.0", VFIOIOMMU_MOCK_FAULT_PROD, 1), -ENOENT);
	EQ(vfioiommu_mock_device_poke_fault(W.m, DEV_A, VFIOIOMMU_MOCK_FAULT_PROD, 1), -ENOENT);
}

static void r_mock_emit_uevent(void)
{
	static char big[16385];

	EQ(vfioiommu_mock_emit_uevent(NULL, "add@/x", 6), -EINVAL);
	EQ(vfioiommu_mock_emit_uevent(W.scratch, NULL, 6), -EINVAL);
	EQ(vfioiommu_mock_emit_uevent(W.scratch, "add@/x", 0), -EINVAL);
	EQ(vfioiommu_mock_emit_uevent(W.scratch, big, sizeof(big)), -EINVAL);
}

static void r_mock_remove_device(void)
{
	EQ(vfioiommu_mock_remove_device(NULL, DEV_A), -EINVAL);
	EQ(vfioiommu_mock_remove_device(W.scratch, "0000:02:00.0"), -ENOENT);
	EQ(vfioiommu_mock_remove_device(W.m, DEV_A), -EBUSY); /* its fd is open */
}

static void r_mock_set_uevent_backlog(void)
{
	EQ(vfioiommu_mock_set_uevent_backlog(NULL, 1), -EINVAL);
}

/* ------------------------------------------------------------------ rows: objects.h */

static void r_ioas_new(void)
{
	vfioiommu_ioas *a = (void *)1;

	EQ(vfioiommu_ioas_new(NULL, &a), -EINVAL);
	EQ(vfioiommu_ioas_new(W.ctx, NULL), -EINVAL);
	EQ(vfioiommu_ioas_new(W.ctx2, &a), -EOPNOTSUPP);
	EQ(vfioiommu_ioas_new(W.fresh, &a), -ENODEV);
	EQ(a == NULL, 1);
}

static void r_ctx_ioas(void)
{
	vfioiommu_ioas *a = (void *)1;

	EQ(vfioiommu_ctx_ioas(NULL, &a), -EINVAL);
	EQ(vfioiommu_ctx_ioas(W.ctx, NULL), -EINVAL);
	EQ(vfioiommu_ctx_ioas(W.ctx2, &a), -EOPNOTSUPP);
	EQ(vfioiommu_ctx_ioas(W.fresh, &a), -ENODEV);
	EQ(a == NULL, 1);
}

static void r_ioas_destroy(void)
{
	vfioiommu_ioas *own = NULL;

	EQ(vfioiommu_ioas_destroy(NULL), -EINVAL);
	EQ(vfioiommu_ctx_ioas(W.ctx, &own), 0);
	EQ(vfioiommu_ioas_destroy(own), -EINVAL);
}

static void r_ioas_id(void)
{
	EQ(vfioiommu_ioas_id(NULL), 0);
}

static void r_ioas_iova_ranges(void)
{
	vfioiommu_iova_list *l = (void *)1;
	vfioiommu_ioas *own = NULL;

	EQ(vfioiommu_ioas_iova_ranges(NULL, &l), -EINVAL);
	EQ(l == NULL, 1);
	EQ(vfioiommu_ctx_ioas(W.ctx, &own), 0);
	EQ(vfioiommu_ioas_iova_ranges(own, NULL), -EINVAL);
}

static void r_ioas_map(void)
{
	vfioiommu_ioas *own = NULL;
	uint64_t iova = 0x100000;

	EQ(vfioiommu_ioas_map(NULL, W.buf, PG, VFIOIOMMU_DMA_READ, &iova), -EINVAL);
	EQ(vfioiommu_ctx_ioas(W.ctx, &own), 0);
	EQ(vfioiommu_ioas_map(own, W.buf, PG, VFIOIOMMU_DMA_READ, &iova), -EINVAL);
}

static void r_ioas_unmap(void)
{
	vfioiommu_ioas *own = NULL;

	EQ(vfioiommu_ioas_unmap(NULL, W.iova, 4 * PG), -EINVAL);
	EQ(vfioiommu_ctx_ioas(W.ctx, &own), 0);
	EQ(vfioiommu_ioas_unmap(own, W.iova, 4 * PG), -EINVAL);
}

static void r_pagetable_new(void)
{
	struct vfioiommu_pagetable_opts o = { .size = sizeof(o), .flags = 0x100 };
	vfioiommu_pagetable *p = (void *)1;

	EQ(vfioiommu_pagetable_new(NULL, 1, NULL, &p), -EINVAL);
	EQ(vfioiommu_pagetable_new(W.ctx, 1, NULL, NULL), -EINVAL);
	EQ(vfioiommu_pagetable_new(W.ctx, 1, &o, &p), -EINVAL);
	o.flags = VFIOIOMMU_PT_FAULT;
	EQ(vfioiommu_pagetable_new(W.ctx, 1, &o, &p), -EINVAL);
	o.flags = 0;
	o.size = 4;
	EQ(vfioiommu_pagetable_new(W.ctx, 1, &o, &p), -EINVAL);
	EQ(vfioiommu_pagetable_new(W.ctx2, 1, NULL, &p), -EOPNOTSUPP);
	EQ(vfioiommu_pagetable_new(W.fresh, 1, NULL, &p), -ENODEV);
	EQ(vfioiommu_pagetable_new(W.ctx, 999, NULL, &p), -ENOENT);
	EQ(p == NULL, 1);
}

static void r_pagetable_destroy(void)
{
	EQ(vfioiommu_pagetable_destroy(NULL), -EINVAL);
}

static void r_pagetable_id(void)
{
	EQ(vfioiommu_pagetable_id(NULL), 0);
}

static void r_device_attach_ioas(void)
{
	vfioiommu_ioas *own = NULL;

	EQ(vfioiommu_ctx_ioas(W.ctx, &own), 0);
	EQ(vfioiommu_device_attach_ioas(NULL, own), -EINVAL);
	EQ(vfioiommu_device_attach_ioas(W.dev, NULL), -EINVAL);
	EQ(vfioiommu_device_attach_ioas(W.dev2, own), -EINVAL); /* another context's IOAS */
}

static void r_device_attach_pagetable(void)
{
	EQ(vfioiommu_device_attach_pagetable(NULL, NULL), -EINVAL);
	EQ(vfioiommu_device_attach_pagetable(W.dev, NULL), -EINVAL);
}

static void r_device_pasid_attach(void)
{
	EQ(vfioiommu_device_pasid_attach(NULL, 1, NULL), -EINVAL);
	EQ(vfioiommu_device_pasid_attach(W.dev, 1, NULL), -EINVAL);
}

static void r_device_pasid_detach(void)
{
	EQ(vfioiommu_device_pasid_detach(NULL, 1), -EINVAL);
	EQ(vfioiommu_device_pasid_detach(W.dev, 0), -EINVAL);
	EQ(vfioiommu_device_pasid_detach(W.dev2, 1), -EOPNOTSUPP);
}

static void r_fault_queue_new(void)
{
	vfioiommu_fault_queue *q = (void *)1;

	EQ(vfioiommu_fault_queue_new(NULL, W.ring, &q), -EINVAL);
	EQ(vfioiommu_fault_queue_new(W.ctx, NULL, &q), -EINVAL);
	EQ(vfioiommu_fault_queue_new(W.ctx, W.ring, NULL), -EINVAL);
	EQ(vfioiommu_fault_queue_new(W.ctx2, W.ring, &q), -EOPNOTSUPP);
	EQ(vfioiommu_fault_queue_new(W.fresh, W.ring, &q), -ENODEV);
	EQ(q == NULL, 1);
}

static void r_fault_queue_destroy(void)
{
	EQ(vfioiommu_fault_queue_destroy(NULL), -EINVAL);
}

static void r_fault_queue_pump(void)
{
	EQ(vfioiommu_fault_queue_pump(NULL) == NULL, 1);
}

static void r_fault_queue_fd(void)
{
	EQ(vfioiommu_fault_queue_fd(NULL), -EINVAL);
}

static void r_fault_queue_id(void)
{
	EQ(vfioiommu_fault_queue_id(NULL), 0);
}

static void r_viommu_new(void)
{
	vfioiommu_viommu *v = (void *)1;

	EQ(vfioiommu_viommu_new(NULL, 1, NULL, 1, &v), -EINVAL);
	EQ(vfioiommu_viommu_new(W.ctx, 1, NULL, 1, &v), -EINVAL);
	EQ(vfioiommu_viommu_new(W.ctx, 1, NULL, 1, NULL), -EINVAL);
	EQ(v == NULL, 1);
}

static void r_viommu_destroy(void)
{
	EQ(vfioiommu_viommu_destroy(NULL), -EINVAL);
}

static void r_viommu_id(void)
{
	EQ(vfioiommu_viommu_id(NULL), 0);
}

static void r_vdevice_new(void)
{
	vfioiommu_vdevice *vd = (void *)1;

	EQ(vfioiommu_vdevice_new(NULL, 1, 1, &vd), -EINVAL);
	EQ(vd == NULL, 1);
}

static void r_vdevice_destroy(void)
{
	EQ(vfioiommu_vdevice_destroy(NULL), -EINVAL);
}

static void r_vdevice_id(void)
{
	EQ(vfioiommu_vdevice_id(NULL), 0);
}

static void r_veventq_new(void)
{
	vfioiommu_veventq *q = (void *)1;

	EQ(vfioiommu_veventq_new(NULL, 1, 4, W.ring, &q), -EINVAL);
	EQ(q == NULL, 1);
}

static void r_veventq_destroy(void)
{
	EQ(vfioiommu_veventq_destroy(NULL), -EINVAL);
}

static void r_veventq_pump(void)
{
	EQ(vfioiommu_veventq_pump(NULL) == NULL, 1);
}

static void r_veventq_fd(void)
{
	EQ(vfioiommu_veventq_fd(NULL), -EINVAL);
}

static void r_veventq_id(void)
{
	EQ(vfioiommu_veventq_id(NULL), 0);
}

static void r_pagetable_invalidate(void)
{
	uint32_t n = 1;

	EQ(vfioiommu_pagetable_invalidate(NULL, 0, NULL, 0, &n), -EINVAL);
}

static void r_viommu_invalidate(void)
{
	uint32_t n = 1;

	EQ(vfioiommu_viommu_invalidate(NULL, 0, NULL, 0, &n), -EINVAL);
}

static void r_device_hw_info_data(void)
{
	unsigned char b[8];
	uint32_t type = 0, len = sizeof(b), zero = 0;

	EQ(vfioiommu_device_hw_info_data(NULL, &type, b, &len), -EINVAL);
	EQ(vfioiommu_device_hw_info_data(W.dev, NULL, b, &len), -EINVAL);
	EQ(vfioiommu_device_hw_info_data(W.dev, &type, NULL, &len), -EINVAL);
	EQ(vfioiommu_device_hw_info_data(W.dev, &type, b, NULL), -EINVAL);
	EQ(vfioiommu_device_hw_info_data(W.dev, &type, b, &zero), -EINVAL);
	EQ(vfioiommu_device_hw_info_data(W.dev2, &type, b, &len), -EOPNOTSUPP);
}

static void r_option_set(void)
{
	EQ(vfioiommu_option_set(NULL, NULL, 0, 0), -EINVAL);
	EQ(vfioiommu_option_set(W.ctx, NULL, 0, 2), -EINVAL);
	EQ(vfioiommu_option_set(W.ctx, NULL, 7, 0), -EOPNOTSUPP);
	EQ(vfioiommu_option_set(W.ctx2, NULL, 1, 1), -EOPNOTSUPP);
	EQ(vfioiommu_option_set(W.ctx, NULL, 0, 1), -EBUSY);
}

static void r_option_get(void)
{
	uint64_t v;

	EQ(vfioiommu_option_get(NULL, NULL, 0, &v), -EINVAL);
	EQ(vfioiommu_option_get(W.ctx, NULL, 0, NULL), -EINVAL);
	EQ(vfioiommu_option_get(W.ctx, NULL, 7, &v), -EOPNOTSUPP);
	EQ(vfioiommu_option_get(W.fresh, NULL, 0, &v), -ENODEV);
}

static void r_ioas_allow_iovas(void)
{
	struct vfioiommu_iova_range r = { 2, 1 };
	vfioiommu_ioas *own = NULL;

	EQ(vfioiommu_ioas_allow_iovas(NULL, &r, 1), -EINVAL);
	EQ(vfioiommu_ctx_ioas(W.ctx, &own), 0);
	EQ(vfioiommu_ioas_allow_iovas(own, NULL, 1), -EINVAL);
	EQ(vfioiommu_ioas_allow_iovas(own, &r, 1), -EINVAL);
}

static void r_ioas_copy(void)
{
	vfioiommu_ioas *own = NULL;
	uint64_t got = 0;

	EQ(vfioiommu_ioas_copy(NULL, NULL, 0, PG, VFIOIOMMU_DMA_READ, &got), -EINVAL);
	EQ(vfioiommu_ctx_ioas(W.ctx, &own), 0);
	EQ(vfioiommu_ioas_copy(own, NULL, 0, PG, VFIOIOMMU_DMA_READ, &got), -EINVAL);
	EQ(vfioiommu_ioas_copy(own, own, W.iova, 4 * PG, VFIOIOMMU_DMA_READ, &got), -EINVAL);
}

static void r_ctx_change_process(void)
{
	EQ(vfioiommu_ctx_change_process(NULL), -EINVAL);
	EQ(vfioiommu_ctx_change_process(W.ctx2), -EOPNOTSUPP);
	EQ(vfioiommu_ctx_change_process(W.fresh), -ENODEV);
	EQ(vfioiommu_ctx_change_process(W.ctx), -EINVAL); /* W.iova maps process memory */
}

static void r_hw_queue_new(void)
{
	vfioiommu_hw_queue *q = (void *)1;

	EQ(vfioiommu_hw_queue_new(NULL, 1, 0, 0, PG, &q), -EINVAL);
	EQ(q == NULL, 1);
}

static void r_hw_queue_destroy(void)
{
	EQ(vfioiommu_hw_queue_destroy(NULL), -EINVAL);
}

static void r_hw_queue_id(void)
{
	EQ(vfioiommu_hw_queue_id(NULL), 0);
}

static void r_ring_view_get(void)
{
	struct vfioiommu_ring_view v = { .size = sizeof(v), .version = VFIOIOMMU_RING_VIEW_VERSION };

	EQ(vfioiommu_ring_view_get(NULL, &v), -EINVAL);
	EQ(vfioiommu_ring_view_get(W.ring, NULL), -EINVAL);
	v.version = 99;
	EQ(vfioiommu_ring_view_get(W.ring, &v), -EINVAL);
}

static void r_ring_view_put(void)
{
	struct vfioiommu_ring_view v = { .size = sizeof(v), .version = VFIOIOMMU_RING_VIEW_VERSION };

	EQ(vfioiommu_ring_view_put(NULL, &v), -EINVAL);
	EQ(vfioiommu_ring_view_put(W.ring, NULL), -EINVAL);
	EQ(vfioiommu_ring_view_put(W.ring, &v), -EINVAL); /* never taken */
}

static void r_ring_view_fail(void)
{
	vfioiommu_ring_view_fail(NULL, 0);
}

static void r_mock_device_dirty(void)
{
	EQ(vfioiommu_mock_device_dirty(NULL, DEV_A, 0, 1), -EINVAL);
	EQ(vfioiommu_mock_device_dirty(W.m, NULL, 0, 1), -EINVAL);
	EQ(vfioiommu_mock_device_dirty(W.m, DEV_A, 0, 0), -EINVAL);
	EQ(vfioiommu_mock_device_dirty(W.m, DEV_A, UINT64_MAX, 2), -EINVAL);
	EQ(vfioiommu_mock_device_dirty(W.m, "0000:02:00.0", 0, 1), -ENOENT);
	EQ(vfioiommu_mock_device_dirty(W.m, DEV_A, 0, 1), -EOPNOTSUPP);
}

/* ------------------------------------------------------------------ rows: dirty.h (W.dev has no DMA logging) */

static void r_dirty_log_start(void)
{
	struct vfioiommu_iova_range r = { 0, 0xfff }, bad = { 0x800, 0x17ff }, rev = { 0x2000, 0xfff };

	EQ(vfioiommu_dirty_log_start(NULL, &r, 1, 4096, NULL), -EINVAL);
	EQ(vfioiommu_dirty_log_start(W.dev, NULL, 1, 4096, NULL), -EINVAL);
	EQ(vfioiommu_dirty_log_start(W.dev, &r, 0, 4096, NULL), -EINVAL);
	EQ(vfioiommu_dirty_log_start(W.dev, &r, 1, 2048, NULL), -EINVAL);
	EQ(vfioiommu_dirty_log_start(W.dev, &r, 1, 12288, NULL), -EINVAL);
	EQ(vfioiommu_dirty_log_start(W.dev, &bad, 1, 4096, NULL), -EINVAL);
	EQ(vfioiommu_dirty_log_start(W.dev, &rev, 1, 4096, NULL), -EINVAL);
	EQ(vfioiommu_dirty_log_start(W.dev, &r, 1, 4096, NULL), -EOPNOTSUPP);
}

static void r_dirty_log_stop(void)
{
	EQ(vfioiommu_dirty_log_stop(NULL), -EINVAL);
	EQ(vfioiommu_dirty_log_stop(W.dev), -EOPNOTSUPP);
}

static void r_dirty_log_bitmap(void)
{
	uint64_t bm[1];

	EQ(vfioiommu_dirty_log_bitmap(NULL, 0, 4096, 4096, bm, 8), -EINVAL);
	EQ(vfioiommu_dirty_log_bitmap(W.dev, 0, 4096, 4096, NULL, 8), -EINVAL);
	EQ(vfioiommu_dirty_log_bitmap(W.dev, 0, 0, 4096, bm, 8), -EINVAL);
	EQ(vfioiommu_dirty_log_bitmap(W.dev, 0x800, 4096, 4096, bm, 8), -EINVAL);
	EQ(vfioiommu_dirty_log_bitmap(W.dev, 0, 4096, 1000, bm, 8), -EINVAL);
	EQ(vfioiommu_dirty_log_bitmap(W.dev, UINT64_MAX - 4095, 8192, 4096, bm, 8), -EINVAL);
	EQ(vfioiommu_dirty_log_bitmap(W.dev, 0, 4096, 4096, bm, 8), -EINVAL); /* not started */
}

static int no_run(void *arg, uint64_t iova, uint64_t len)
{
	(void)arg, (void)iova, (void)len;
	return 0;
}

static void r_dirty_log_ranges(void)
{
	EQ(vfioiommu_dirty_log_ranges(NULL, 0, 4096, 4096, no_run, NULL), -EINVAL);
	EQ(vfioiommu_dirty_log_ranges(W.dev, 0, 4096, 4096, NULL, NULL), -EINVAL);
	EQ(vfioiommu_dirty_log_ranges(W.dev, 0, 4096, 4096, no_run, NULL), -EINVAL);
}

/* W.ctx is an iommufd context: no type1 dirty tracking */
static void r_dirty_type1_start(void)
{
	EQ(vfioiommu_dirty_type1_start(NULL), -EINVAL);
	EQ(vfioiommu_dirty_type1_start(W.ctx), -EOPNOTSUPP);
}

static void r_dirty_type1_stop(void)
{
	EQ(vfioiommu_dirty_type1_stop(NULL), -EINVAL);
	EQ(vfioiommu_dirty_type1_stop(W.ctx), -EOPNOTSUPP);
}

static void r_dirty_type1_bitmap(void)
{
	uint64_t bm[1];

	EQ(vfioiommu_dirty_type1_bitmap(NULL, 0, 4096, 4096, bm, 8), -EINVAL);
	EQ(vfioiommu_dirty_type1_bitmap(W.ctx, 0, 4096, 4096, NULL, 8), -EINVAL);
	EQ(vfioiommu_dirty_type1_bitmap(W.ctx, 0, 4096, 4096, bm, 8), -EOPNOTSUPP);
}

static void r_dirty_type1_ranges(void)
{
	EQ(vfioiommu_dirty_type1_ranges(NULL, 0, 4096, 4096, no_run, NULL), -EINVAL);
	EQ(vfioiommu_dirty_type1_ranges(W.ctx, 0, 4096, 4096, NULL, NULL), -EINVAL);
	EQ(vfioiommu_dirty_type1_ranges(W.ctx, 0, 4096, 4096, no_run, NULL), -EOPNOTSUPP);
}

static void r_dirty_type1_unmap(void)
{
	uint64_t bm[1];

	EQ(vfioiommu_dirty_type1_unmap(NULL, 0, 4096, 4096, bm, 8), -EINVAL);
	EQ(vfioiommu_dirty_type1_unmap(W.ctx, 0, 4096, 4096, NULL, 8), -EINVAL);
	EQ(vfioiommu_dirty_type1_unmap(W.ctx, 0, 4096, 4096, bm, 8), -EOPNOTSUPP);
}

static void r_dirty_choose(void)
{
	struct vfioiommu_dirty_choice c = { .size = sizeof(c) }, small = { .size = 8 };

	EQ(vfioiommu_dirty_choose(NULL, &c), -EINVAL);
	EQ(vfioiommu_dirty_choose(W.ctx, NULL), -EINVAL);
	EQ(vfioiommu_dirty_choose(W.ctx, &small), -EINVAL);
}

static void r_dma_vaddr_invalidate(void)
{
	EQ(vfioiommu_dma_vaddr_invalidate(NULL), -EINVAL);
	EQ(vfioiommu_dma_vaddr_invalidate(W.fresh), -ENODEV);
	EQ(vfioiommu_dma_vaddr_invalidate(W.ctx), -EOPNOTSUPP);
}

static void r_dma_vaddr_rebase(void)
{
	size_t n = 7;

	EQ(vfioiommu_dma_vaddr_rebase(NULL, 0x10000, PG, W.buf, &n), -EINVAL);
	EQ(vfioiommu_dma_vaddr_rebase(W.ctx2, 0x10000, 0, W.buf, &n), -EINVAL);
	EQ(vfioiommu_dma_vaddr_rebase(W.ctx2, UINT64_MAX - PG, 2 * PG, W.buf, &n), -EINVAL);
	EQ(vfioiommu_dma_vaddr_rebase(W.ctx, 0x10000, PG, W.buf, &n), -EOPNOTSUPP);
	/* nothing was invalidated */
	EQ(vfioiommu_dma_vaddr_rebase(W.ctx2, 0x10000, PG, W.buf, &n), -ENOENT);
	EQ(n, 0);
}

static void r_dma_export(void)
{
	unsigned char b[8];
	size_t need;

	EQ(vfioiommu_dma_export(NULL, b, sizeof(b), &need), -EINVAL);
	EQ(vfioiommu_dma_export(W.ctx, b, sizeof(b), NULL), -EINVAL);
	EQ(vfioiommu_dma_export(W.ctx, NULL, 8, &need), -EINVAL);
	EQ(vfioiommu_dma_export(W.fresh, b, sizeof(b), &need), -ENODEV);
	EQ(vfioiommu_dma_export(W.ctx, b, sizeof(b), &need), -ENOSPC);
}

static void r_dma_import(void)
{
	unsigned char b[8] = { 0 };

	EQ(vfioiommu_dma_import(NULL, b, sizeof(b)), -EINVAL);
	EQ(vfioiommu_dma_import(W.fresh, NULL, sizeof(b)), -EINVAL);
	EQ(vfioiommu_dma_import(W.fresh, b, sizeof(b)), -ENODEV);
}

static void r_dirty_hwpt_start(void)
{
	vfioiommu_pagetable *p = plain_pt;

	EQ(vfioiommu_dirty_hwpt_start(NULL), -EINVAL);
	EQ(vfioiommu_dirty_hwpt_start(p), -EOPNOTSUPP);
}

static void r_dirty_hwpt_stop(void)
{
	vfioiommu_pagetable *p = plain_pt;

	EQ(vfioiommu_dirty_hwpt_stop(NULL), -EINVAL);
	EQ(vfioiommu_dirty_hwpt_stop(p), -EOPNOTSUPP);
}

static void r_dirty_hwpt_bitmap(void)
{
	vfioiommu_pagetable *p = plain_pt;
	uint64_t bm[1];

	EQ(vfioiommu_dirty_hwpt_bitmap(NULL, 0, 4096, 4096, 0, bm, 8), -EINVAL);
	EQ(vfioiommu_dirty_hwpt_bitmap(p, 0, 4096, 4096, 0, NULL, 8), -EINVAL);
	EQ(vfioiommu_dirty_hwpt_bitmap(p, 0, 4096, 4096, 0, bm, 8), -EOPNOTSUPP);
}

static void r_dirty_hwpt_ranges(void)
{
	vfioiommu_pagetable *p = plain_pt;

	EQ(vfioiommu_dirty_hwpt_ranges(NULL, 0, 4096, 4096, 0, no_run, NULL), -EINVAL);
	EQ(vfioiommu_dirty_hwpt_ranges(p, 0, 4096, 4096, 0, NULL, NULL), -EINVAL);
	EQ(vfioiommu_dirty_hwpt_ranges(p, 0, 4096, 4096, 0, no_run, NULL), -EOPNOTSUPP);
}

static void r_mock_hwpt_dirty(void)
{
	EQ(vfioiommu_mock_hwpt_dirty(NULL, 0, 1, 0, 1), -EINVAL);
	EQ(vfioiommu_mock_hwpt_dirty(W.m, 0, 1, 0, 0), -EINVAL);
	EQ(vfioiommu_mock_hwpt_dirty(W.m, 0, 1, UINT64_MAX, 2), -EINVAL);
	EQ(vfioiommu_mock_hwpt_dirty(W.m, -1, 1, 0, 1), -EBADF);
	EQ(vfioiommu_mock_hwpt_dirty(W.m, vfioiommu_ctx_iommufd_fd(W.ctx), 999, 0, 1), -ENOENT);
}

/* ------------------------------------------------------------------ the table */

#define ROW(fn, flags) { "vfioiommu_" #fn, r_##fn, flags }

static const struct row {
	const char *fn;
	void (*run)(void);
	unsigned int flags;
} rows[] = {
	/* common.h, context.h */
	ROW(version, 0), ROW(door_system, 0), ROW(door_ioctl, 0), ROW(ctx_new, 0), ROW(ctx_destroy, 0), ROW(strerror, 0),
	ROW(ctx_add_group, 0), ROW(device_open, 0), ROW(device_close, 0), ROW(device_name, 0),
	ROW(device_group, 0), ROW(device_fd, 0), ROW(ctx_backend, 0), ROW(ctx_backend_reason, 0),
	ROW(backend_name, 0), ROW(ctx_container_is_iommufd, 0),
	/* iova.h */
	ROW(iova_list_new, 0), ROW(iova_list_free, 0), ROW(iova_list_count, 0), ROW(iova_list_get, 0),
	ROW(iova_list_source, 0), ROW(iova_source_name, 0), ROW(iova_list_union, 0), ROW(iova_list_intersect, 0),
	ROW(iova_list_subtract, 0), ROW(iova_list_equal, 0), ROW(iova_list_contains, 0), ROW(iova_list_find, 0),
	ROW(iova_list_first_fit, 0), ROW(ctx_iova_ranges, 0),
	/* alloc.h */
	ROW(iova_pool_new, 0), ROW(iova_pool_free, 0), ROW(iova_pool_alloc, 0), ROW(iova_pool_reserve, 0),
	ROW(iova_pool_release, 0), ROW(iova_pool_stats, 0), ROW(iova_pool_live, 0), ROW(iova_pool_bytes_available, 0),
	/* resv.h */
	ROW(resv_type_name, 0), ROW(resv_set_new, 0), ROW(resv_set_free, 0), ROW(resv_set_count, 0),
	ROW(resv_set_get, 0), ROW(resv_set_merge, 0), ROW(resv_parse, 0), ROW(resv_read_group, 0),
	ROW(resv_read_groups, 0), ROW(resv_usable, 0), ROW(resv_compare, 0), ROW(verdict_name, 0),
	ROW(verdict_device, 0), ROW(verdict_group, 0),
	/* caps.h, iommufd.h */
	ROW(ctx_iommu_info, 0), ROW(ctx_iommufd_fd, 0), ROW(ctx_ioas_id, 0), ROW(device_iommufd_id, 0),
	ROW(device_hw_info, 0),
	/* dma.h */
	ROW(dma_map, 0), ROW(dma_map_in, 0), ROW(dma_map_file, 0), ROW(dma_unmap, 0), ROW(dma_unmap_at, 0),
	ROW(dma_unmap_all, 0), ROW(dma_translate, 0), ROW(dma_stats, 0), ROW(dma_translate_iova, 0), ROW(dma_unmap_flags, 0),
	/* p2p.h */
	ROW(dma_map_region, 0),
	/* pasid.h */
	ROW(pasid_space_new, 0), ROW(pasid_space_for_device, 0), ROW(pasid_space_free, 0),
	ROW(pasid_space_width, 0), ROW(pasid_space_usage, 0), ROW(pasid_set_new, 0), ROW(pasid_set_free, 0),
	ROW(pasid_set_usage, 0), ROW(pasid_alloc, 0), ROW(pasid_alloc_value, 0), ROW(pasid_free, 0),
	ROW(pasid_value, 0), ROW(hwpt_alloc_pasid, 0), ROW(hwpt_attach_rid, 0), ROW(hwpt_destroy, 0),
	ROW(pasid_attach, 0), ROW(pasid_replace, 0), ROW(pasid_detach, 0),
	/* fault.h */
	ROW(fault_kind_name, 0), ROW(ring_attach, 0), ROW(ring_attach_region, 0), ROW(ring_create, 0), ROW(ring_destroy, 0), ROW(ring_fd, 0),
	ROW(ring_map_size, 0), ROW(ring_capacity, 0), ROW(ring_layout, 0), ROW(ring_eventfd, 0),
	ROW(ring_set_eventfd, 0), ROW(ring_peek, 0), ROW(ring_peek_batch, 0), ROW(ring_at, 0),
	ROW(ring_advance, 0), ROW(ring_copy, 0), ROW(ring_ready, 0), ROW(ring_prepare_wait, 0),
	ROW(ring_finish_wait, 0), ROW(ring_wait, 0), ROW(ring_push, 0), ROW(ring_reserve, 0), ROW(ring_commit, 0),
	ROW(ring_room, 0), ROW(ring_error, 0),
	ROW(ring_strerror, 0), ROW(ring_stats, 0), ROW(fault_pump_new, 0), ROW(fault_pump_destroy, 0),
	ROW(fault_pump_run, 0), ROW(fault_pump_respond, 0), ROW(fault_pump_outstanding, 0),
	ROW(fault_pump_respond_record, 0), ROW(vevent_pump_new, 0), ROW(vevent_pump_stats, 0),
	/* device.h */
	ROW(device_info, 0), ROW(region_info, 0), ROW(region_areas, 0), ROW(region_type_name, 0),
	ROW(region_subtype_name, 0), ROW(pci_region_name, 0), ROW(region_read, 0), ROW(region_write, 0),
	ROW(region_mmap, 0), ROW(region_munmap, 0), ROW(irq_info, 0), ROW(irq_set_eventfds, 0),
	ROW(irq_enable, 0), ROW(irq_eventfd, 0), ROW(irq_trigger, 0), ROW(irq_mask, 0), ROW(irq_unmask, 0),
	ROW(irq_disable, 0), ROW(device_request_eventfd, 0), ROW(device_reset, 0),
	ROW(device_hot_reset_info, 0), ROW(reset_info_free, 0), ROW(device_hot_reset, 0),
	ROW(pci_ids, 0), ROW(pci_config_read, 0), ROW(pci_config_write, 0), ROW(pci_find_cap, 0),
	ROW(pci_find_ext_cap, 0), ROW(pci_map_bar, 0),
	/* hotplug.h */
	ROW(mdev_create, 0), ROW(mdev_remove, 0), ROW(mdev_available, 0), ROW(device_is_mdev, 0),
	ROW(mig_state_name, 0), ROW(mig_caps, 0), ROW(mig_get_state, 0), ROW(mig_set_state, 0), ROW(mig_data_size, 0),
	ROW(mig_precopy_info, 0), ROW(mig_save_chunk, 0), ROW(mig_save, 0), ROW(mig_restore, 0), ROW(mig_recover, 0),
	ROW(hotplug_new, 0), ROW(hotplug_destroy, 0), ROW(hotplug_fd, 0), ROW(hotplug_dispatch, 0),
	ROW(hotplug_pending, 0), ROW(hotplug_resync, 0), ROW(hotplug_kind_name, 0), ROW(bind_vfio, 0),
	/* objects.h */
	ROW(ioas_new, 0), ROW(ctx_ioas, 0), ROW(ioas_destroy, 0), ROW(ioas_id, 0), ROW(ioas_iova_ranges, 0),
	ROW(ioas_map, 0), ROW(ioas_unmap, 0), ROW(pagetable_new, 0), ROW(pagetable_destroy, 0),
	ROW(pagetable_id, 0), ROW(device_attach_ioas, 0), ROW(device_attach_pagetable, 0),
	ROW(device_pasid_attach, 0), ROW(device_pasid_detach, 0), ROW(fault_queue_new, 0),
	ROW(fault_queue_destroy, 0), ROW(fault_queue_pump, 0), ROW(fault_queue_fd, 0), ROW(fault_queue_id, 0),
	ROW(viommu_new, 0), ROW(viommu_destroy, 0), ROW(viommu_id, 0), ROW(vdevice_new, 0), ROW(vdevice_destroy, 0),
	ROW(vdevice_id, 0), ROW(veventq_new, 0), ROW(veventq_destroy, 0), ROW(veventq_pump, 0), ROW(veventq_fd, 0),
	ROW(veventq_id, 0), ROW(pagetable_invalidate, 0), ROW(viommu_invalidate, 0), ROW(device_hw_info_data, 0),
	ROW(option_set, 0), ROW(option_get, 0), ROW(ioas_allow_iovas, 0), ROW(ioas_copy, 0), ROW(ctx_change_process, 0),
	ROW(hw_queue_new, 0), ROW(hw_queue_destroy, 0), ROW(hw_queue_id, 0),
	ROW(ring_view_get, 0), ROW(ring_view_put, 0), ROW(ring_view_fail, 0),
	/* mock.h */
	ROW(mock_new, 0), ROW(mock_destroy, 0), ROW(mock_door, 0), ROW(mock_load_string, 0),
	ROW(mock_load_file, 0), ROW(mock_set_aperture, 0), ROW(mock_set_pgsizes, 0), ROW(mock_set_dma_limit, 0),
	ROW(mock_set_pasid_width, 0), ROW(mock_set_iommu, 0), ROW(mock_set_feature, 0), ROW(mock_add_group, 0),
	ROW(mock_add_resv, 0), ROW(mock_add_device, 0), ROW(mock_set_driver, 0), ROW(mock_device_set_ids, 0),
	ROW(mock_device_set_pasid, 0), ROW(mock_device_set_model, 0), ROW(mock_device_set_reset, 0),
	ROW(mock_device_resets, 0), ROW(mock_device_irq, 0), ROW(mock_device_request, 0),
	ROW(mock_inject_vevent, 0), ROW(mock_device_add_fault_region, 0), ROW(mock_device_push_fault, 0),
	ROW(mock_device_poke_fault, 0), ROW(mock_fail_nth, 0),
	ROW(mock_fail_ioctl, 0), ROW(mock_fault_fired, 0), ROW(mock_fault_site, 0), ROW(mock_calls, 0),
	ROW(mock_open_fds, 0), ROW(mock_live_mmaps, 0), ROW(mock_set_hostile, 0), ROW(mock_emit_uevent, 0),
	ROW(mock_remove_device, 0), ROW(mock_set_uevent_backlog, 0), ROW(mock_device_dirty, 0),
	ROW(dirty_log_start, 0), ROW(dirty_log_stop, 0), ROW(dirty_log_bitmap, 0), ROW(dirty_log_ranges, 0),
	ROW(dirty_type1_start, 0), ROW(dirty_type1_stop, 0), ROW(dirty_type1_bitmap, 0), ROW(dirty_type1_ranges, 0),
	ROW(dirty_choose, 0),
	ROW(dirty_hwpt_start, 0), ROW(dirty_hwpt_stop, 0), ROW(dirty_hwpt_bitmap, 0), ROW(dirty_hwpt_ranges, 0),
	ROW(dirty_type1_unmap, 0),
	ROW(mock_hwpt_dirty, 0),
	/* adopt.h */
	ROW(fd_kind_name, 0), ROW(ctx_adopt, 0), ROW(device_adopt, 0), ROW(ctx_container_fd, 0),
	ROW(ctx_group_fd, 0), ROW(device_kvm_fd, 0),
	/* fdpass.h */
	ROW(fds_send, 0), ROW(fds_recv, 0),
	/* sriov.h */
	ROW(uuid_parse, 0), ROW(uuid_format, 0), ROW(device_open_with, 0), ROW(device_set_vf_token, 0),
	ROW(sriov_set_numvfs, 0),
	/* liveupdate.h */
	ROW(dma_vaddr_invalidate, 0), ROW(dma_vaddr_rebase, 0), ROW(dma_export, 0), ROW(dma_import, 0),
};

static bool in_table(const char *fn)
{
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		if (!strcmp(rows[i].fn, fn))
			return true;
	return false;
}

/* ------------------------------------------------------- is every export in the table? */

static unsigned int missing;

static void check_name(const char *name, const char *where)
{
	if (strncmp(name, "vfioiommu_", 10) || in_table(name))
		return;
	print_message("NOT IN THE MISUSE TABLE: %s (%s)\n", name, where);
	missing++;
}

/* "VFIOIOMMU_API <type> [*]name(" in every public header */
static unsigned int scan_headers(void)
{
	DIR *d = opendir(TH_SRCDIR "/include/vfioiommu");
	struct dirent *de;
	unsigned int found = 0;

	assert_non_null(d);
	while ((de = readdir(d))) {
		char path[512], line[1024];
		FILE *f;
		size_t l = strlen(de->d_name);

		if (l < 3 || strcmp(de->d_name + l - 2, ".h"))
			continue;
		snprintf(path, sizeof(path), "%s/include/vfioiommu/%.200s", TH_SRCDIR, de->d_name);
		f = fopen(path, "re");
		assert_non_null(f);
		while (fgets(line, sizeof(line), f)) {
			char *api = strstr(line, "VFIOIOMMU_API "), *paren, *start;

			if (!api || !strncmp(line, "#define", 7) || !(paren = strchr(api, '(')))
				continue;
			start = paren;
			while (start > api && (start[-1] == '_' || (start[-1] >= 'a' && start[-1] <= 'z') ||
					       (start[-1] >= '0' && start[-1] <= '9')))
				start--;
			*paren = '\0';
			check_name(start, de->d_name);
			found++;
		}
		fclose(f);
	}
	closedir(d);
	return found;
}

/* the dynamic symbols of the built library, next to this test in the build tree */
static int scan_exports(void)
{
	char exe[4096], cmd[4600], line[512];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *slash;
	FILE *p;
	int found = 0;

	if (n <= 0)
		return -1;
	exe[n] = '\0';
	if (!(slash = strrchr(exe, '/')))
		return -1;
	*slash = '\0';
	snprintf(cmd, sizeof(cmd), "%s/../lib/libvfioiommu.so", exe);
	if (access(cmd, R_OK))
		return -1;
	snprintf(cmd, sizeof(cmd), "nm -D --defined-only '%s/../lib/libvfioiommu.so' 2>/dev/null", exe);
	if (!(p = popen(cmd, "r")))
		return -1;
	while (fgets(line, sizeof(line), p)) {
		char addr[64], type[8], name[256], *at;
		if (sscanf(line, "%63s %7s %255s", addr, type, name) != 3 || (type[0] != 'T' && type[0] != 't'))
			continue;
		if ((at = strchr(name, '@')))
			*at = '\0';
		check_name(name, "libvfioiommu.so");
		found++;
	}
	pclose(p);
	return found;
}

static void every_export_has_a_row(void **state)
{
	unsigned int declared = scan_headers();
	int exported = scan_exports();

	print_message("%zu rows; %u functions declared in include/vfioiommu/; %d exported by libvfioiommu.so%s\n",
		      sizeof(rows) / sizeof(rows[0]), declared, exported, exported < 0 ? " (not checked: no nm or .so)" : "");
	assert_true(declared >= 100);
	if (missing)
		fail_msg("%u exported functions have no row in the misuse table", missing);
}

static void every_row_rejects_and_changes_nothing(void **state)
{
	world_up();
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct snap s;

		cur_fn = rows[i].fn;
		snap_take(&s);
		G.nfresh = 0;
		rows[i].run();
		snap_check(&s, rows[i].flags);
	}
	cur_fn = NULL;
	world_down();
	if (failures)
		fail_msg("%u misuse checks failed (listed above)", failures);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_export_has_a_row),
		cmocka_unit_test(every_row_rejects_and_changes_nothing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
