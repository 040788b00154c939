/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * Guest program: device migration v2 through the library (migration.h) on
 * the real kernel's mtty.  Two mtty-2 devices A and B: A's UART scratch
 * register gets a value, A is saved to a file and restored into B, B runs
 * and reads the value back, and B saved again gives the same bytes.  Then
 * every single arc the kernel allows (each from its own start state), a
 * forbidden one (STOP_COPY -> PRE_COPY: the library refuses it, and so does
 * the kernel when asked directly), PRE_COPY with its counters over a socket,
 * and the failures: a truncated stream, a corrupted chunk, a stream from a
 * device of another type (mtty refuses it), a reader that goes away while
 * saving, a writer that closes mid-stream; each leaves the device in the
 * state the result names, and vfioiommu_mig_recover() brings it back.
 *
 * VFIOIOMMU_VM_MOCK=HOSTFILE runs the same checks on the mock kernel.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <vfioiommu.h>
#include <vfioiommu/mock.h>

#include "backend/internal.h"
#include "vmtest.h"

#define UA "8c3e2a10-0000-4000-8000-0000000000a1"
#define UB "8c3e2a10-0000-4000-8000-0000000000b1"
#define UC "8c3e2a10-0000-4000-8000-0000000000c1"
#define SCR 7 /* the 16550 scratch register, in BAR0 */

static const vfioiommu_door *door;
static vfioiommu_ctx *ctx;
static vfioiommu_mock *mock;

#define RES(r) struct vfioiommu_mig_result r = { .size = sizeof(r) }

static const char *sn(enum vfioiommu_mig_state s)
{
	return vfioiommu_mig_state_name(s);
}

/* a temporary file holding what fd-writing calls produced */
static int tmpfile_fd(void)
{
	char path[] = "/tmp/vm_migrate.XXXXXX";
	int fd = mkstemp(path);

	if (fd >= 0)
		unlink(path);
	return fd;
}

static ssize_t slurp(int fd, uint8_t *buf, size_t n)
{
	lseek(fd, 0, SEEK_SET);
	return read(fd, buf, n);
}

static int fd_from(const uint8_t *buf, size_t n)
{
	int fd = tmpfile_fd();

	if (fd >= 0 && (write(fd, buf, n) != (ssize_t)n || lseek(fd, 0, SEEK_SET) != 0)) {
		close(fd);
		return -1;
	}
	return fd;
}

static uint8_t scr_read(vfioiommu_device *d)
{
	uint8_t v = 0;

	vfioiommu_region_read(d, 0, SCR, &v, 1);
	return v;
}

static void basics(vfioiommu_device *a)
{
	uint32_t caps = 0;
	enum vfioiommu_mig_state st = VFIOIOMMU_MIG_ERROR;
	uint64_t size = 0;
	int rc;

	rc = vfioiommu_mig_caps(a, &caps);
	/* FACTS: mtty offers STOP_COPY | P2P | PRE_COPY */
	vt_result(rc == 0 && caps == 7, "mig.caps", "rc %d caps 0x%x: %s", rc, caps, vfioiommu_strerror(ctx));
	rc = vfioiommu_mig_get_state(a, &st);
	vt_result(rc == 0 && st == VFIOIOMMU_MIG_RUNNING, "mig.state.initial", "rc %d %s", rc, sn(st));
	rc = vfioiommu_mig_data_size(a, &size);
	/* FACTS: a mtty-2's state is 96 bytes (24 of header, 36 per port) */
	vt_result(rc == 0 && size == 96, "mig.data_size", "rc %d size %" PRIu64, rc, size);
}

static void migrate(vfioiommu_device *a, vfioiommu_device *b)
{
	uint8_t one[4096], two[4096], v = 0x5a;
	ssize_t n1, n2;
	int f1 = tmpfile_fd(), f2 = tmpfile_fd(), rc;
	RES(r);

	vfioiommu_region_write(a, 0, SCR, &v, 1);
	vt_result(scr_read(a) == 0x5a, "mig.scr.set", "A's scratch reads 0x%x", scr_read(a));
	rc = vfioiommu_mig_save(a, f1, &r);
	/* RUNNING -> RUNNING_P2P -> STOP -> STOP_COPY, then STOP */
	vt_result(rc == 0 && r.state == VFIOIOMMU_MIG_STOP && r.bytes == 96 && r.arcs == 4, "mig.save.file",
		  "rc %d state %s bytes %" PRIu64 " arcs %u: %s", rc, sn(r.state), r.bytes, r.arcs, vfioiommu_strerror(ctx));
	lseek(f1, 0, SEEK_SET);
	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	rc = vfioiommu_mig_restore(b, f1, &r);
	vt_result(rc == 0 && r.state == VFIOIOMMU_MIG_STOP && r.bytes == 96, "mig.restore.file",
		  "rc %d state %s bytes %" PRIu64 ": %s", rc, sn(r.state), r.bytes, vfioiommu_strerror(ctx));
	rc = vfioiommu_mig_set_state(b, VFIOIOMMU_MIG_RUNNING, NULL);
	vt_result(rc == 0 && scr_read(b) == 0x5a, "mig.resumed", "rc %d B's scratch reads 0x%x", rc, scr_read(b));
	rc = vfioiommu_mig_save(b, f2, NULL);
	n1 = slurp(f1, one, sizeof(one));
	n2 = slurp(f2, two, sizeof(two));
	vt_result(rc == 0 && n1 > 0 && n1 == n2 && !memcmp(one, two, (size_t)n1), "mig.bytes_equal",
		  "rc %d A's stream %zd bytes, B's %zd", rc, n1, n2);
	vfioiommu_mig_set_state(a, VFIOIOMMU_MIG_RUNNING, NULL);
	vfioiommu_mig_set_state(b, VFIOIOMMU_MIG_RUNNING, NULL);
	close(f1);
	close(f2);
}

/* The direct arcs of the kernel's state machine (drivers/vfio/vfio_main.c), each from a start reached first. */
static void arcs(vfioiommu_device *a)
{
	static const struct { enum vfioiommu_mig_state from, to; } arc[] = {
		{ VFIOIOMMU_MIG_RUNNING, VFIOIOMMU_MIG_RUNNING_P2P }, { VFIOIOMMU_MIG_RUNNING, VFIOIOMMU_MIG_PRE_COPY },
		{ VFIOIOMMU_MIG_RUNNING_P2P, VFIOIOMMU_MIG_RUNNING }, { VFIOIOMMU_MIG_RUNNING_P2P, VFIOIOMMU_MIG_STOP },
		{ VFIOIOMMU_MIG_RUNNING_P2P, VFIOIOMMU_MIG_PRE_COPY_P2P }, { VFIOIOMMU_MIG_STOP, VFIOIOMMU_MIG_RUNNING_P2P },
		{ VFIOIOMMU_MIG_STOP, VFIOIOMMU_MIG_STOP_COPY }, { VFIOIOMMU_MIG_STOP, VFIOIOMMU_MIG_RESUMING },
		{ VFIOIOMMU_MIG_STOP_COPY, VFIOIOMMU_MIG_STOP }, { VFIOIOMMU_MIG_PRE_COPY, VFIOIOMMU_MIG_RUNNING },
		{ VFIOIOMMU_MIG_PRE_COPY, VFIOIOMMU_MIG_PRE_COPY_P2P },
		{ VFIOIOMMU_MIG_PRE_COPY_P2P, VFIOIOMMU_MIG_PRE_COPY },
		{ VFIOIOMMU_MIG_PRE_COPY_P2P, VFIOIOMMU_MIG_RUNNING_P2P },
		{ VFIOIOMMU_MIG_PRE_COPY_P2P, VFIOIOMMU_MIG_STOP_COPY },
	};
	char name[96];
	int rc;

	for (size_t i = 0; i < sizeof(arc) / sizeof(arc[0]); i++) {
		RES(r);
		vfioiommu_mig_recover(a, NULL);
		rc = vfioiommu_mig_set_state(a, arc[i].from, NULL);
		if (rc == 0)
			rc = vfioiommu_mig_set_state(a, arc[i].to, &r);
		snprintf(name, sizeof(name), "mig.arc.%s->%s", sn(arc[i].from), sn(arc[i].to));
		vt_result(rc == 0 && r.arcs == 1 && r.state == arc[i].to, name, "rc %d arcs %u state %s: %s", rc, r.arcs,
			  sn(r.state), vfioiommu_strerror(ctx));
	}
	/* RESUMING -> STOP needs a state to load: restore() takes that arc (migrate() above); empty it fails */
	{
		RES(r);
		vfioiommu_mig_recover(a, NULL);
		vfioiommu_mig_set_state(a, VFIOIOMMU_MIG_RESUMING, NULL);
		rc = vfioiommu_mig_set_state(a, VFIOIOMMU_MIG_STOP, &r);
		vt_result(rc == -EINVAL && r.arc_failed && r.failed_from == VFIOIOMMU_MIG_RESUMING &&
			  r.failed_to == VFIOIOMMU_MIG_STOP && r.state == VFIOIOMMU_MIG_RESUMING, "mig.arc.RESUMING->STOP.empty",
			  "rc %d failed %s->%s state %s: %s", rc, sn(r.failed_from), sn(r.failed_to), sn(r.state),
			  vfioiommu_strerror(ctx));
	}
	/* forbidden: STOP_COPY -> PRE_COPY */
	{
		RES(r);
		struct { uint32_t argsz, flags, state; int32_t fd; } f = { 16, (1u << 17) | 2, 6, -1 };
		vfioiommu_mig_recover(a, NULL);
		vfioiommu_mig_set_state(a, VFIOIOMMU_MIG_STOP_COPY, NULL);
		rc = vfioiommu_mig_set_state(a, VFIOIOMMU_MIG_PRE_COPY, &r);
		vt_result(rc == -EINVAL && r.arc_failed && r.state == VFIOIOMMU_MIG_STOP_COPY, "mig.arc.forbidden",
			  "rc %d state %s: %s", rc, sn(r.state), vfioiommu_strerror(ctx));
		rc = vfioiommu_door_ioctl(door ? door : vfioiommu_door_system(), vfioiommu_device_fd(a), 0x3b75, &f);
		vt_result(rc == -EINVAL, "mig.arc.forbidden.kernel", "raw SET STOP_COPY -> PRE_COPY: %d", rc);
		rc = vfioiommu_mig_set_state(a, VFIOIOMMU_MIG_ERROR, NULL);
		vt_result(rc == -EINVAL, "mig.target.ERROR", "rc %d", rc);
		rc = vfioiommu_mig_set_state(a, (enum vfioiommu_mig_state)9, NULL);
		vt_result(rc == -EINVAL, "mig.target.9", "rc %d", rc);
	}
	vfioiommu_mig_recover(a, NULL);
}

static void precopy(vfioiommu_device *a, vfioiommu_device *b)
{
	int sv[2], rc;
	uint64_t initial = 9, dirty = 9;
	RES(r);
	RES(r2);

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		return;
	rc = vfioiommu_mig_precopy_info(a, &initial, &dirty);
	vt_result(rc == -EINVAL, "mig.precopy.not_in_precopy", "rc %d", rc);
	rc = vfioiommu_mig_set_state(a, VFIOIOMMU_MIG_PRE_COPY, NULL);
	if (rc == 0)
		rc = vfioiommu_mig_precopy_info(a, &initial, &dirty);
	/* FACTS: mtty has its 24-byte header ready in PRE_COPY, nothing dirty */
	vt_result(rc == 0 && initial == 24 && dirty == 0, "mig.precopy.info", "rc %d initial %" PRIu64 " dirty %" PRIu64 ": %s",
		  rc, initial, dirty, vfioiommu_strerror(ctx));
	rc = vfioiommu_mig_save_chunk(a, sv[0], &r);
	vt_result(rc == 0 && r.bytes == 24, "mig.precopy.chunk", "rc %d bytes %" PRIu64 ": %s", rc, r.bytes,
		  vfioiommu_strerror(ctx));
	rc = vfioiommu_mig_precopy_info(a, &initial, &dirty);
	vt_result(rc == 0 && initial == 0, "mig.precopy.info.after", "rc %d initial %" PRIu64, rc, initial);
	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	rc = vfioiommu_mig_save(a, sv[0], &r);
	/* PRE_COPY -> PRE_COPY_P2P -> STOP_COPY on the same data fd: the other 72 bytes */
	vt_result(rc == 0 && r.bytes == 72 && r.state == VFIOIOMMU_MIG_STOP, "mig.precopy.save", "rc %d bytes %" PRIu64
		  " state %s: %s", rc, r.bytes, sn(r.state), vfioiommu_strerror(ctx));
	rc = vfioiommu_mig_restore(b, sv[1], &r2);
	vt_result(rc == 0 && r2.bytes == 96, "mig.precopy.restore", "rc %d bytes %" PRIu64 ": %s", rc, r2.bytes,
		  vfioiommu_strerror(ctx));
	vfioiommu_mig_set_state(a, VFIOIOMMU_MIG_RUNNING, NULL);
	vfioiommu_mig_set_state(b, VFIOIOMMU_MIG_RUNNING, NULL);
	close(sv[0]);
	close(sv[1]);
}

static void failures(vfioiommu_device *a, vfioiommu_device *b, vfioiommu_device *c)
{
	uint8_t good[4096], bad[4096];
	ssize_t n;
	int f = tmpfile_fd(), g, p[2], rc;
	RES(r);

	vfioiommu_mig_save(a, f, NULL);
	vfioiommu_mig_set_state(a, VFIOIOMMU_MIG_RUNNING, NULL);
	n = slurp(f, good, sizeof(good));
	close(f);
	/* truncated: the stream stops inside the device's data */
	g = fd_from(good, (size_t)n - 20);
	rc = vfioiommu_mig_restore(b, g, &r);
	vt_result(rc == -EPIPE && r.state == VFIOIOMMU_MIG_RESUMING, "mig.restore.truncated", "rc %d state %s: %s", rc,
		  sn(r.state), vfioiommu_strerror(ctx));
	close(g);
	rc = vfioiommu_mig_restore(b, 0, NULL);
	vt_result(rc == -EBUSY, "mig.restore.busy", "rc %d: %s", rc, vfioiommu_strerror(ctx));
	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	rc = vfioiommu_mig_recover(b, &r);
	vt_result(rc == 0 && r.state == VFIOIOMMU_MIG_RUNNING, "mig.recover", "rc %d state %s: %s", rc, sn(r.state),
		  vfioiommu_strerror(ctx));
	/* corrupted: one byte of the device's data flipped */
	memcpy(bad, good, (size_t)n);
	bad[16 + 16 + 3] ^= 0x40;
	g = fd_from(bad, (size_t)n);
	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	rc = vfioiommu_mig_restore(b, g, &r);
	vt_result(rc == -EBADMSG && r.state == VFIOIOMMU_MIG_RESUMING && r.bytes == 0, "mig.restore.corrupt",
		  "rc %d state %s bytes %" PRIu64 ": %s", rc, sn(r.state), r.bytes, vfioiommu_strerror(ctx));
	close(g);
	vfioiommu_mig_recover(b, NULL);
	/* not a stream at all */
	g = fd_from((const uint8_t *)"hello, this is not a device state", 33);
	rc = vfioiommu_mig_restore(b, g, NULL);
	vt_result(rc == -EBADMSG, "mig.restore.not_a_stream", "rc %d: %s", rc, vfioiommu_strerror(ctx));
	close(g);
	vfioiommu_mig_recover(b, NULL);
	/* a mtty-1's state into a mtty-2: framing fine, mtty refuses its header (EFAULT, FACTS) */
	if (c) {
		f = tmpfile_fd();
		rc = vfioiommu_mig_save(c, f, NULL);
		vfioiommu_mig_set_state(c, VFIOIOMMU_MIG_RUNNING, NULL);
		lseek(f, 0, SEEK_SET);
		memset(&r, 0, sizeof(r));
		r.size = sizeof(r);
		rc = vfioiommu_mig_restore(b, f, &r);
		vt_result(rc == -EFAULT && r.state == VFIOIOMMU_MIG_RESUMING, "mig.restore.other_type",
			  "rc %d state %s: %s", rc, sn(r.state), vfioiommu_strerror(ctx));
		close(f);
		vfioiommu_mig_recover(b, NULL);
	}
	/* the writer closes mid-stream: a pipe with half a stream, then EOF */
	if (pipe(p) == 0) {
		if (write(p[1], good, (size_t)n / 2) > 0) {
			close(p[1]);
			memset(&r, 0, sizeof(r));
			r.size = sizeof(r);
			rc = vfioiommu_mig_restore(b, p[0], &r);
			vt_result(rc == -EPIPE && r.state == VFIOIOMMU_MIG_RESUMING, "mig.restore.writer_closed",
				  "rc %d state %s: %s", rc, sn(r.state), vfioiommu_strerror(ctx));
		}
		close(p[0]);
		vfioiommu_mig_recover(b, NULL);
	}
	/* the reader goes away while saving: EPIPE, no SIGPIPE, the device waits in STOP_COPY */
	if (pipe(p) == 0) {
		close(p[0]);
		memset(&r, 0, sizeof(r));
		r.size = sizeof(r);
		rc = vfioiommu_mig_save(a, p[1], &r);
		vt_result(rc == -EPIPE && r.state == VFIOIOMMU_MIG_STOP_COPY, "mig.save.reader_gone", "rc %d state %s: %s",
			  rc, sn(r.state), vfioiommu_strerror(ctx));
		close(p[1]);
		rc = vfioiommu_mig_set_state(a, VFIOIOMMU_MIG_RUNNING, NULL);
		vt_result(rc == 0, "mig.save.reader_gone.resume", "rc %d: %s", rc, vfioiommu_strerror(ctx));
	}
}

struct runs {
	unsigned int n;
	uint64_t first, first_len;
};

static int count_run(void *arg, uint64_t iova, uint64_t len)
{
	struct runs *r = arg;

	if (r->n++ == 0) {
		r->first = iova;
		r->first_len = len;
	}
	return 0;
}

/* Device DMA logging: mtty accepts it and never reports a page; on the mock the test writes pages. */
static void dirty_log(vfioiommu_device *a)
{
	static struct vfioiommu_iova_range many[300];
	struct vfioiommu_dirty_choice ch = { .size = sizeof(ch) };
	struct vfioiommu_iova_range one = { 0x100000, 0x40100000 - 1 }, bad = { 0x100800, 0x1107ff };
	static uint64_t bm[(0x40000000 / 4096) / 64];
	uint64_t ps = 0;
	struct runs runs = { 0 };
	int rc;
	bool any = false;

	for (unsigned int i = 0; i < 300; i++)
		many[i] = (struct vfioiommu_iova_range){ 0x100000 + (uint64_t)i * 0x4000, 0x100000 + (uint64_t)i * 0x4000 + 0xfff };
	/* the three mtty devices of this (iommufd) context all log their DMA */
	rc = vfioiommu_dirty_choose(ctx, &ch);
	vt_result(rc == 0 && ch.tracker == VFIOIOMMU_DIRTY_DEVICE_LOG, "dirty.choose.mdevs", "rc %d tracker %d: %s", rc,
		  ch.tracker, ch.reason);
	rc = vfioiommu_dirty_log_start(a, &bad, 1, 4096, NULL);
	vt_result(rc == -EINVAL, "dirty.start.unaligned", "rc %d: %s", rc, vfioiommu_strerror(ctx));
	rc = vfioiommu_dirty_log_start(a, &one, 1, 2048, NULL);
	vt_result(rc == -EINVAL, "dirty.start.ps2048", "rc %d: %s", rc, vfioiommu_strerror(ctx));
	rc = vfioiommu_dirty_log_bitmap(a, 0x100000, 0x1000, 4096, bm, sizeof(bm));
	vt_result(rc == -EINVAL, "dirty.report.not_started", "rc %d: %s", rc, vfioiommu_strerror(ctx));
	/* 300 ranges: more than the kernel's 256, joined by the library */
	rc = vfioiommu_dirty_log_start(a, many, 300, 4096, &ps);
	vt_result(rc == 0 && ps == 4096, "dirty.start.300_ranges", "rc %d page size %" PRIu64 ": %s", rc, ps,
		  vfioiommu_strerror(ctx));
	rc = vfioiommu_dirty_log_start(a, &one, 1, 4096, NULL);
	vt_result(rc == -EBUSY, "dirty.start.twice", "rc %d: %s", rc, vfioiommu_strerror(ctx));
	vfioiommu_dirty_log_stop(a);
	rc = vfioiommu_dirty_log_start(a, &one, 1, 4096, NULL);
	vt_result(rc == 0, "dirty.start", "rc %d: %s", rc, vfioiommu_strerror(ctx));
	if (mock) {
		vfioiommu_mock_device_dirty(mock, UA, 0x100000 + 5 * 4096, 3 * 4096);
		vfioiommu_mock_device_dirty(mock, UA, 0x400ff000, 1);
	}
	memset(bm, 0xff, sizeof(bm));
	rc = vfioiommu_dirty_log_bitmap(a, 0x100000, 0x40000000, 4096, bm, sizeof(bm));
	for (size_t i = 0; i < sizeof(bm) / 8; i++)
		any = any || (bm[i] && !(mock && (i == 0 || i == sizeof(bm) / 8 - 1)));
	/* mtty never reports a page (its log ops are empty); the mock reports the pages written */
	vt_result(rc == 0 && !any && (!mock || (bm[0] == 0xe0 && bm[sizeof(bm) / 8 - 1] == (1ull << 63))), "dirty.bitmap",
		  "rc %d bm[0] 0x%" PRIx64 ": %s", rc, bm[0], vfioiommu_strerror(ctx));
	rc = vfioiommu_dirty_log_bitmap(a, 0x100000, 0x40000000, 4096, bm, sizeof(bm) - 8);
	vt_result(rc == -ENOSPC, "dirty.bitmap.too_small", "rc %d: %s", rc, vfioiommu_strerror(ctx));
	if (mock)
		vfioiommu_mock_device_dirty(mock, UA, 0x200000, 0x10000);
	rc = vfioiommu_dirty_log_ranges(a, 0x100000, 0x40000000, 4096, count_run, &runs);
	vt_result(rc == 0 && runs.n == (mock ? 1u : 0u) && (!mock || (runs.first == 0x200000 && runs.first_len == 0x10000)),
		  "dirty.ranges", "rc %d runs %u first 0x%" PRIx64 "+0x%" PRIx64, rc, runs.n, runs.first, runs.first_len);
	rc = vfioiommu_dirty_log_stop(a);
	vt_result(rc == 0, "dirty.stop", "rc %d: %s", rc, vfioiommu_strerror(ctx));
	rc = vfioiommu_dirty_log_stop(a);
	vt_result(rc == 0, "dirty.stop.again", "rc %d: %s", rc, vfioiommu_strerror(ctx));
}

/*
 * The device closed while it logs (mtty: its log callbacks do nothing, so
 * only the answers are measured, not what a log keeps; mtty offers no
 * VFIO_DEVICE_RESET flag, so a reset while logging is not measured).  A close
 * ends the library's record, and the device opened again starts anew.
 */
static void dirty_log_leaves(vfioiommu_device **a)
{
	struct vfioiommu_iova_range one = { 0x100000, 0x1fffff };
	uint64_t bm[4];
	int rc;

	rc = vfioiommu_dirty_log_start(*a, &one, 1, 4096, NULL);
	vt_result(rc == 0, "dirty.close.start_before", "rc %d: %s", rc, vfioiommu_strerror(ctx));
	vfioiommu_device_close(*a);
	*a = NULL;
	rc = vfioiommu_device_open(ctx, UA, a);
	vt_result(rc == 0, "dirty.close.reopen", "rc %d: %s", rc, vfioiommu_strerror(ctx));
	if (rc < 0)
		return;
	rc = vfioiommu_dirty_log_bitmap(*a, 0x100000, 0x40000, 4096, bm, sizeof(bm));
	vt_result(rc == -EINVAL, "dirty.close.report", "report on the reopened device: rc %d: %s", rc,
		  vfioiommu_strerror(ctx));
	rc = vfioiommu_dirty_log_start(*a, &one, 1, 4096, NULL);
	vt_result(rc == 0, "dirty.close.start", "start on the reopened device: rc %d: %s", rc, vfioiommu_strerror(ctx));
	rc = vfioiommu_dirty_log_stop(*a);
	vt_result(rc == 0, "dirty.close.stop", "rc %d: %s", rc, vfioiommu_strerror(ctx));
}

/*
 * Raw UNMAP_DMA(GET_DIRTY_BITMAP) on the real kernel only (the "fact" lines of
 * FACTS.md "type1 dirty pages"): calls the kernel refuses, or that cover
 * nothing, so the library's table stays right.  On the mock: nothing (0).
 */
static int raw_unmap_dirty(vfioiommu_ctx *c, const char *what, uint64_t iova, uint64_t size, uint64_t pgsize,
			   uint64_t bsize)
{
	uint64_t bm[4] = { 0 };
	struct kabi_vfio_dma_unmap_bitmap a = {
		.u = { .argsz = sizeof(a), .flags = KABI_VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP, .iova = iova, .size = size },
		.pgsize = pgsize, .bsize = bsize, .data = (uint64_t)(uintptr_t)bm,
	};
	int rc;

	if (mock)
		return 0;
	pthread_mutex_lock(&c->lock);
	rc = vt_xioctl(vi_container_fd(c), KABI_VFIO_IOMMU_UNMAP_DMA, &a);
	pthread_mutex_unlock(&c->lock);
	printf("fact - t1_unmap_dirty.%s: %s size_out=0x%" PRIx64 "\n", what, rc < 0 ? strerror(-rc) : "ok", a.u.size);
	return rc;
}

static int raw_get_dirty(vfioiommu_ctx *c, const char *what, uint64_t iova, uint64_t size)
{
	uint64_t bm[4] = { 0 };
	struct kabi_vfio_dirty_bitmap_get g = {
		.argsz = sizeof(g), .flags = KABI_VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP, .iova = iova, .size = size,
		.pgsize = 4096, .bsize = sizeof(bm), .data = (uint64_t)(uintptr_t)bm,
	};
	int rc;

	if (mock)
		return 0;
	pthread_mutex_lock(&c->lock);
	rc = vt_xioctl(vi_container_fd(c), KABI_VFIO_IOMMU_DIRTY_PAGES, &g);
	pthread_mutex_unlock(&c->lock);
	printf("fact - t1_dirty.%s: %s bm0=0x%" PRIx64 "\n", what, rc < 0 ? strerror(-rc) : "ok", bm[0]);
	return rc;
}

static bool all_ones(const uint64_t *bm, size_t words)
{
	for (size_t i = 0; i < words; i++)
		if (bm[i] != UINT64_MAX)
			return false;
	return true;
}

/*
 * Unmapping with the dirty bitmap, an ordinary unmap while tracking, and a
 * stop and restart (tracking runs on entry; i1 and i2 mapped, 1 MiB each).
 * Leaves i1 mapped, i2 unmapped, tracking on.
 */
static void type1_unmap_dirty(vfioiommu_ctx *c, char *buf, uint64_t i1, uint64_t i2)
{
	struct vfioiommu_dma_stats st = { .size = sizeof(st) };
	uint64_t bm[12];
	int rc;

	/* the kernel's refusals, raw: they unmap nothing */
	raw_unmap_dirty(c, "part_of_mapping", i2, 1 << 19, 4096, 16);
	raw_unmap_dirty(c, "pgsize_8192", i2, 1 << 20, 8192, 16);
	raw_unmap_dirty(c, "bitmap_24_for_256", i2, 1 << 20, 4096, 24);
	raw_unmap_dirty(c, "unmapped_range", 0x10000000, 1 << 20, 4096, 32);
	/* the library's: before the kernel, with the remedy */
	rc = vfioiommu_dirty_type1_unmap(c, i2, 1 << 19, 4096, bm, sizeof(bm));
	vt_result(rc == -EINVAL, "dirty.t1.unmap.part", "rc %d: %s", rc, vfioiommu_strerror(c));
	rc = vfioiommu_dirty_type1_unmap(c, i2, 1 << 20, 8192, bm, sizeof(bm));
	vt_result(rc == -EINVAL, "dirty.t1.unmap.page_size", "rc %d: %s", rc, vfioiommu_strerror(c));
	rc = vfioiommu_dirty_type1_unmap(c, i2, 1 << 20, 4096, bm, 24);
	vt_result(rc == -ENOSPC, "dirty.t1.unmap.too_small", "rc %d: %s", rc, vfioiommu_strerror(c));
	rc = vfioiommu_dirty_type1_unmap(c, 0x10000000, 1 << 20, 4096, bm, sizeof(bm));
	vt_result(rc == -ENOENT, "dirty.t1.unmap.nothing", "rc %d: %s", rc, vfioiommu_strerror(c));
	memset(bm, 0x5a, sizeof(bm));
	rc = vfioiommu_dirty_type1_unmap(c, i2, 1 << 20, 4096, bm, sizeof(bm));
	/* every page of the mapping (a PCI device), and not a byte past the 32 the range needs */
	vt_result(rc == 0 && all_ones(bm, 4) && bm[4] == 0x5a5a5a5a5a5a5a5aull, "dirty.t1.unmap", "rc %d bm 0x%" PRIx64
		  " 0x%" PRIx64 " 0x%" PRIx64 ": %s", rc, bm[0], bm[3], bm[4], vfioiommu_strerror(c));
	rc = vfioiommu_dma_stats(c, &st);
	vt_result(rc == 0 && st.mappings == 1 && st.mapped_bytes == 1 << 20, "dirty.t1.unmap.table",
		  "rc %d mappings %" PRIu64 " bytes 0x%" PRIx64, rc, st.mappings, st.mapped_bytes);
	rc = vfioiommu_dma_unmap_at(c, i2);
	vt_result(rc == -ENOENT, "dirty.t1.unmap.gone", "unmap_at after: rc %d", rc);
	/* the range reads clean now (no mapping there) */
	memset(bm, 0x5a, sizeof(bm));
	rc = vfioiommu_dirty_type1_bitmap(c, i1, 3 << 20, 4096, bm, sizeof(bm));
	vt_result(rc == 0 && all_ones(bm, 4) && bm[4] == 0 && bm[8] == 0 && bm[11] == 0, "dirty.t1.unmap.after",
		  "rc %d bm 0x%" PRIx64 " 0x%" PRIx64 ": %s", rc, bm[0], bm[8], vfioiommu_strerror(c));

	/* an ordinary unmap while tracking: allowed, and the range's bits go with the mapping */
	rc = vfioiommu_dma_map(c, buf + (2 << 20), 1 << 20, VFIOIOMMU_DMA_READ | VFIOIOMMU_DMA_WRITE |
			       VFIOIOMMU_DMA_FIXED_IOVA, &i2);
	if (rc == 0)
		rc = vfioiommu_dma_unmap(c, i2, 1 << 20);
	vt_result(rc == 0, "dirty.t1.plain_unmap", "map + unmap without the bitmap while tracking: rc %d: %s", rc,
		  vfioiommu_strerror(c));
	raw_get_dirty(c, "get_after_plain_unmap", i2, 1 << 20);
	memset(bm, 0x5a, sizeof(bm));
	rc = vfioiommu_dirty_type1_bitmap(c, i2, 1 << 20, 4096, bm, sizeof(bm));
	vt_result(rc == 0 && bm[0] == 0 && bm[3] == 0, "dirty.t1.plain_unmap.after", "rc %d bm 0x%" PRIx64 ": %s", rc,
		  bm[0], vfioiommu_strerror(c));

	/* stop: the bits go; a report or an unmap with the bitmap is refused; a new start reports again */
	rc = vfioiommu_dirty_type1_stop(c);
	raw_unmap_dirty(c, "after_stop", i1, 1 << 20, 4096, 32);
	raw_get_dirty(c, "get_after_stop", i1, 1 << 20);
	rc = vfioiommu_dirty_type1_unmap(c, i1, 1 << 20, 4096, bm, sizeof(bm));
	vt_result(rc == -EINVAL && strstr(vfioiommu_strerror(c), "not running"), "dirty.t1.unmap.stopped", "rc %d: %s",
		  rc, vfioiommu_strerror(c));
	rc = vfioiommu_dirty_type1_start(c);
	memset(bm, 0, sizeof(bm));
	if (rc == 0)
		rc = vfioiommu_dirty_type1_bitmap(c, i1, 1 << 20, 4096, bm, sizeof(bm));
	vt_result(rc == 0 && all_ones(bm, 4), "dirty.t1.restart", "rc %d bm 0x%" PRIx64 ": %s", rc, bm[0],
		  vfioiommu_strerror(c));
}

/*
 * The last group leaves while tracking: the device closed, then every mapping
 * unmapped (the library lets the idle group go).  The kernel drops the IOMMU
 * and the tracking with it; the device opened again finds it off.
 */
static void type1_group_leaves(vfioiommu_ctx *c, vfioiommu_device **d, const char *bdf, char *buf)
{
	uint64_t bm[4], i1 = 0x100000;
	int rc;

	vfioiommu_device_close(*d);
	*d = NULL;
	rc = vfioiommu_dma_unmap_all(c);
	vt_result(rc == 0, "dirty.t1.leave.unmap_all", "rc %d: %s", rc, vfioiommu_strerror(c));
	raw_get_dirty(c, "get_no_group", i1, 1 << 20);
	rc = vfioiommu_dirty_type1_bitmap(c, i1, 1 << 20, 4096, bm, sizeof(bm));
	vt_result(rc < 0, "dirty.t1.leave.report", "report with no group: rc %d: %s", rc, vfioiommu_strerror(c));
	rc = vfioiommu_device_open(c, bdf, d);
	if (rc == 0)
		rc = vfioiommu_dma_map(c, buf, 1 << 20, VFIOIOMMU_DMA_READ | VFIOIOMMU_DMA_WRITE | VFIOIOMMU_DMA_FIXED_IOVA,
				       &i1);
	vt_result(rc == 0, "dirty.t1.leave.reopen", "rc %d: %s", rc, vfioiommu_strerror(c));
	raw_get_dirty(c, "get_after_reattach", i1, 1 << 20);
	rc = vfioiommu_dirty_type1_bitmap(c, i1, 1 << 20, 4096, bm, sizeof(bm));
	vt_result(rc == -EINVAL && strstr(vfioiommu_strerror(c), "not running"), "dirty.t1.leave.untracked",
		  "report after the group came back: rc %d: %s", rc, vfioiommu_strerror(c));
	rc = vfioiommu_dirty_type1_start(c);
	vt_result(rc == 0, "dirty.t1.leave.start", "start again: rc %d: %s", rc, vfioiommu_strerror(c));
	vfioiommu_dirty_type1_stop(c);
	vfioiommu_dma_unmap_at(c, i1);
}

/* The type1v2 container's dirty tracking on the NIC: every mapped page dirty (a PCI device pins nothing) */
static void type1_dirty(const char *bdf)
{
	struct vfioiommu_ctx_opts o = { .size = sizeof(o), .mode = VFIOIOMMU_MODE_CONTAINER, .door = door };
	vfioiommu_ctx *c = NULL;
	vfioiommu_device *d = NULL;
	uint64_t i1 = 0x100000, i2 = 0x300000, bm[12];
	char *buf = mmap(NULL, 4 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct runs runs = { 0 };
	int rc;

	if (buf == MAP_FAILED || vfioiommu_ctx_new(&o, &c) < 0)
		return;
	rc = vfioiommu_dirty_type1_start(c);
	vt_result(rc == -ENODEV, "dirty.t1.no_group", "rc %d: %s", rc, vfioiommu_strerror(c));
	rc = vfioiommu_device_open(c, bdf, &d);
	if (rc == 0)
		rc = vfioiommu_dma_map(c, buf, 1 << 20, VFIOIOMMU_DMA_READ | VFIOIOMMU_DMA_WRITE | VFIOIOMMU_DMA_FIXED_IOVA, &i1);
	if (rc == 0)
		rc = vfioiommu_dma_map(c, buf + (2 << 20), 1 << 20,
				       VFIOIOMMU_DMA_READ | VFIOIOMMU_DMA_WRITE | VFIOIOMMU_DMA_FIXED_IOVA, &i2);
	vt_result(rc == 0, "dirty.t1.setup", "rc %d: %s", rc, vfioiommu_strerror(c));
	{
		struct vfioiommu_dirty_choice ch = { .size = sizeof(ch) };
		rc = vfioiommu_dirty_choose(c, &ch);
		vt_result(rc == 0 && ch.tracker == VFIOIOMMU_DIRTY_TYPE1, "dirty.choose.container_nic", "rc %d tracker %d: %s",
			  rc, ch.tracker, ch.reason);
	}
	rc = vfioiommu_dirty_type1_bitmap(c, i1, 3 << 20, 4096, bm, sizeof(bm));
	vt_result(rc == -EINVAL, "dirty.t1.not_started", "rc %d: %s", rc, vfioiommu_strerror(c));
	raw_unmap_dirty(c, "not_tracking", i2, 1 << 20, 4096, 32);
	rc = vfioiommu_dirty_type1_unmap(c, i2, 1 << 20, 4096, bm, sizeof(bm));
	vt_result(rc == -EINVAL && strstr(vfioiommu_strerror(c), "not running"), "dirty.t1.unmap.not_started", "rc %d: %s",
		  rc, vfioiommu_strerror(c));
	rc = vfioiommu_dirty_type1_start(c);
	vt_result(rc == 0, "dirty.t1.start", "rc %d: %s", rc, vfioiommu_strerror(c));
	rc = vfioiommu_dirty_type1_start(c);
	vt_result(rc == -EBUSY, "dirty.t1.start.twice", "rc %d: %s", rc, vfioiommu_strerror(c));
	memset(bm, 0x5a, sizeof(bm));
	rc = vfioiommu_dirty_type1_bitmap(c, i1, 3 << 20, 4096, bm, sizeof(bm));
	/* FACTS: both mappings entirely dirty, the gap between them clean */
	vt_result(rc == 0 && bm[0] == UINT64_MAX && bm[3] == UINT64_MAX && bm[4] == 0 && bm[7] == 0 && bm[8] == UINT64_MAX &&
		  bm[11] == UINT64_MAX, "dirty.t1.bitmap", "rc %d bm 0x%" PRIx64 " 0x%" PRIx64 " 0x%" PRIx64 ": %s", rc, bm[0],
		  bm[4], bm[8], vfioiommu_strerror(c));
	rc = vfioiommu_dirty_type1_bitmap(c, i1 + 0x1000, (1 << 20) - 0x1000, 4096, bm, sizeof(bm));
	vt_result(rc == -EINVAL, "dirty.t1.bisect", "rc %d: %s", rc, vfioiommu_strerror(c));
	rc = vfioiommu_dirty_type1_bitmap(c, i1, 1 << 20, 8192, bm, sizeof(bm));
	vt_result(rc == -EINVAL, "dirty.t1.page_size", "rc %d: %s", rc, vfioiommu_strerror(c));
	rc = vfioiommu_dirty_type1_bitmap(c, i1, 3 << 20, 4096, bm, sizeof(bm) - 8);
	vt_result(rc == -ENOSPC, "dirty.t1.too_small", "rc %d: %s", rc, vfioiommu_strerror(c));
	rc = vfioiommu_dirty_type1_ranges(c, i1, 3 << 20, 4096, count_run, &runs);
	vt_result(rc == 0 && runs.n == 2 && runs.first == i1 && runs.first_len == 1 << 20, "dirty.t1.ranges",
		  "rc %d runs %u first 0x%" PRIx64 "+0x%" PRIx64 ": %s", rc, runs.n, runs.first, runs.first_len,
		  vfioiommu_strerror(c));
	type1_unmap_dirty(c, buf, i1, i2);
	rc = vfioiommu_dirty_type1_stop(c);
	vt_result(rc == 0, "dirty.t1.stop", "rc %d: %s", rc, vfioiommu_strerror(c));
	rc = vfioiommu_dirty_type1_stop(c);
	vt_result(rc == 0, "dirty.t1.stop.again", "rc %d: %s", rc, vfioiommu_strerror(c));
	rc = vfioiommu_dirty_type1_start(c);
	vt_result(rc == 0, "dirty.t1.start.third", "rc %d: %s", rc, vfioiommu_strerror(c));
	type1_group_leaves(c, &d, bdf, buf);
	vfioiommu_device_close(d);
	vfioiommu_ctx_destroy(c);
	munmap(buf, 4 << 20);
}

int main(void)
{
	const char *mockfile = getenv("VFIOIOMMU_VM_MOCK"), *bdfs = getenv("VFIOIOMMU_VM_BDFS");
	struct vfioiommu_ctx_opts o = { .size = sizeof(o), .mode = VFIOIOMMU_MODE_IOMMUFD };
	vfioiommu_device *a = NULL, *b = NULL, *c = NULL, *nic = NULL;
	unsigned int fds = vt_open_fds();
	char err[256] = "";
	int rc;

	if (mockfile && mockfile[0]) {
		if (vfioiommu_mock_new(&mock) < 0 || vfioiommu_mock_load_file(mock, mockfile, err, sizeof(err)) < 0) {
			printf("not ok - mock host %s: %s\n", mockfile, err);
			return 1;
		}
		door = vfioiommu_mock_door(mock);
	} else if (access("/sys/class/mdev_bus/mtty", F_OK) != 0) {
		printf("skip - no mtty parent\n");
		return 77;
	}
	o.door = door;
	if (vfioiommu_ctx_new(&o, &ctx) < 0)
		return 1;
	rc = vfioiommu_mdev_create(ctx, "mtty", "mtty-2", UA);
	if (rc == 0)
		rc = vfioiommu_mdev_create(ctx, "mtty", "mtty-2", UB);
	if (rc == 0)
		rc = vfioiommu_mdev_create(ctx, "mtty", "mtty-1", UC);
	if (rc == 0)
		rc = vfioiommu_device_open(ctx, UA, &a);
	if (rc == 0)
		rc = vfioiommu_device_open(ctx, UB, &b);
	if (rc == 0)
		rc = vfioiommu_device_open(ctx, UC, &c);
	vt_result(rc == 0, "mig.setup", "rc %d: %s", rc, vfioiommu_strerror(ctx));
	if (rc == 0) {
		basics(a);
		migrate(a, b);
		arcs(a);
		precopy(a, b);
		failures(a, b, c);
		dirty_log(a);
		dirty_log_leaves(&a);
	}
	/* a device without migration: the e1000e NIC */
	if (bdfs && bdfs[0]) {
		char bdf[16];
		uint32_t caps = 0;
		snprintf(bdf, sizeof(bdf), "%.12s", bdfs);
		if (vfioiommu_device_open(ctx, bdf, &nic) == 0) {
			struct vfioiommu_iova_range r = { 0, 0xfff };
			rc = vfioiommu_mig_caps(nic, &caps);
			vt_result(rc == -EOPNOTSUPP, "mig.nic.caps", "rc %d: %s", rc, vfioiommu_strerror(ctx));
			rc = vfioiommu_dirty_log_start(nic, &r, 1, 4096, NULL);
			vt_result(rc == -EOPNOTSUPP, "dirty.nic", "rc %d: %s", rc, vfioiommu_strerror(ctx));
			struct vfioiommu_dirty_choice ch = { .size = sizeof(ch) };
			rc = vfioiommu_dirty_type1_start(ctx);
			vt_result(rc == -EOPNOTSUPP, "dirty.t1.iommufd", "rc %d: %s", rc, vfioiommu_strerror(ctx));
			rc = vfioiommu_dirty_choose(ctx, &ch);
			vt_result(rc == -EOPNOTSUPP && ch.tracker == VFIOIOMMU_DIRTY_NONE, "dirty.choose.iommufd_nic",
				  "rc %d tracker %d: %s", rc, ch.tracker, ch.reason);
			vfioiommu_device_close(nic);
		}
		type1_dirty(bdf);
	}
	vfioiommu_device_close(c);
	vfioiommu_device_close(b);
	vfioiommu_device_close(a);
	vfioiommu_mdev_remove(ctx, UC);
	vfioiommu_mdev_remove(ctx, UB);
	vfioiommu_mdev_remove(ctx, UA);
	vfioiommu_ctx_destroy(ctx);
	vt_result(vt_open_fds() == fds, "mig.fds", "%u fds before, %u after", fds, vt_open_fds());
	vfioiommu_mock_destroy(mock);
	printf("vm_migrate (%s): %u passed, %u failed\n", mock ? "mock kernel" : "real kernel", vt_npass, vt_nfail);
	return vt_nfail ? 1 : 0;
}
