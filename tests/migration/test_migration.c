/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * Device migration v2 on the mock (lib/migration/, lib/mock/migration.c):
 * the walk and the arc it reports, devices that offer less (no P2P, no
 * PRE_COPY), save/restore through a pipe and a socket, the stream refused
 * when truncated or corrupted, a hostile kernel (a state that does not
 * exist, flags without STOP_COPY), bad arguments, and the fail-Nth sweep
 * over every door call of a save, a restore, pre-copy and recovery.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include <vfioiommu.h>
#include <vfioiommu/mock.h>
#include "core/door.h"
#include "helpers.h"

#define UA "8c3e2a10-0000-4000-8000-0000000000a1"
#define UB "8c3e2a10-0000-4000-8000-0000000000b1"

static const char host[] =
	"group 2\n"
	"  device 0000:00:02.0 vfio-pci\n"
	"group 3\n"
	"  device 0000:00:03.0 vfio-pci migration=1\n"
	"group 4\n"
	"  device 0000:00:04.0 vfio-pci migration=3\n"
	"mdev-parent mtty 24 0x4348 0x3253\n"
	"mdev-type mtty mtty-1 1 Single port serial\n"
	"mdev-type mtty mtty-2 2 Dual port serial\n"
	"mdev " UA " mtty mtty-2\n"
	"mdev " UB " mtty mtty-2\n";

#define RES(r) struct vfioiommu_mig_result r = { .size = sizeof(r) }

struct fx {
	vfioiommu_mock *m;
	vfioiommu_ctx *ctx;
	vfioiommu_device *a, *b;
};

static void fx_open(struct fx *f, enum vfioiommu_mode mode)
{
	f->m = th_mock(host);
	f->ctx = th_ctx(f->m, mode);
	assert_int_equal(vfioiommu_device_open(f->ctx, UA, &f->a), 0);
	assert_int_equal(vfioiommu_device_open(f->ctx, UB, &f->b), 0);
}

static void fx_close(struct fx *f)
{
	vfioiommu_device_close(f->b);
	vfioiommu_device_close(f->a);
	vfioiommu_ctx_destroy(f->ctx);
	th_mock_done(f->m);
}

static int tmp_fd(void)
{
	FILE *t = tmpfile();
	int fd = t ? dup(fileno(t)) : -1;

	if (t)
		fclose(t);
	return fd;
}

static void save_restore_file(void **state)
{
	struct fx f;
	uint8_t v = 0x3c, back = 0, one[512], two[512];
	int t1 = tmp_fd(), t2 = tmp_fd();
	ssize_t n1, n2;
	RES(r);

	(void)state;
	fx_open(&f, VFIOIOMMU_MODE_CONTAINER);
	assert_int_equal(vfioiommu_region_write(f.a, 0, 7, &v, 1), 0);
	assert_int_equal(vfioiommu_mig_save(f.a, t1, &r), 0);
	assert_int_equal(r.state, VFIOIOMMU_MIG_STOP);
	assert_int_equal(r.arcs, 4); /* RUNNING -> RUNNING_P2P -> STOP -> STOP_COPY, then -> STOP */
	assert_int_equal(r.bytes, 96);
	assert_int_equal(lseek(t1, 0, SEEK_SET), 0);
	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	assert_int_equal(vfioiommu_mig_restore(f.b, t1, &r), 0);
	assert_int_equal(r.bytes, 96);
	assert_int_equal(r.state, VFIOIOMMU_MIG_STOP);
	assert_int_equal(vfioiommu_mig_set_state(f.b, VFIOIOMMU_MIG_RUNNING, NULL), 0);
	assert_int_equal(vfioiommu_region_read(f.b, 0, 7, &back, 1), 0);
	assert_int_equal(back, 0x3c);
	assert_int_equal(vfioiommu_mig_save(f.b, t2, NULL), 0);
	lseek(t1, 0, SEEK_SET);
	lseek(t2, 0, SEEK_SET);
	n1 = read(t1, one, sizeof(one));
	n2 = read(t2, two, sizeof(two));
	assert_true(n1 > 96 && n1 == n2);
	assert_memory_equal(one, two, (size_t)n1);
	close(t1);
	close(t2);
	fx_close(&f);
}

/* The stream ends at its marker: what follows in the fd is the caller's. */
static void stream_in_a_longer_stream(void **state)
{
	struct fx f;
	int sv[2];
	char tail[6] = "";

	(void)state;
	fx_open(&f, VFIOIOMMU_MODE_IOMMUFD);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(vfioiommu_mig_set_state(f.a, VFIOIOMMU_MIG_PRE_COPY, NULL), 0);
	assert_int_equal(vfioiommu_mig_save_chunk(f.a, sv[0], NULL), 0);
	assert_int_equal(vfioiommu_mig_save(f.a, sv[0], NULL), 0);
	assert_int_equal(write(sv[0], "after", 5), 5);
	assert_int_equal(vfioiommu_mig_restore(f.b, sv[1], NULL), 0);
	assert_int_equal(read(sv[1], tail, 5), 5);
	assert_string_equal(tail, "after");
	close(sv[0]);
	close(sv[1]);
	fx_close(&f);
}

static void precopy_counters(void **state)
{
	struct fx f;
	uint64_t initial = 1, dirty = 1, size = 0;
	int p[2];
	RES(r);

	(void)state;
	fx_open(&f, VFIOIOMMU_MODE_IOMMUFD);
	assert_int_equal(pipe(p), 0);
	assert_int_equal(vfioiommu_mig_data_size(f.a, &size), 0);
	assert_int_equal(size, 96);
	assert_int_equal(vfioiommu_mig_precopy_info(f.a, &initial, &dirty), -EINVAL);
	th_assert_msg(vfioiommu_strerror(f.ctx), "PRE_COPY", NULL);
	assert_int_equal(vfioiommu_mig_save_chunk(f.a, p[1], NULL), -EINVAL);
	assert_int_equal(vfioiommu_mig_set_state(f.a, VFIOIOMMU_MIG_PRE_COPY, &r), 0);
	assert_int_equal(r.arcs, 1);
	assert_int_equal(vfioiommu_mig_precopy_info(f.a, &initial, &dirty), 0);
	assert_int_equal(initial, 24);
	assert_int_equal(dirty, 0);
	assert_int_equal(vfioiommu_mig_save_chunk(f.a, p[1], &r), 0);
	assert_int_equal(r.bytes, 24);
	assert_int_equal(vfioiommu_mig_precopy_info(f.a, &initial, &dirty), 0);
	assert_int_equal(initial, 0);
	/* leaving PRE_COPY for RUNNING drops the data fd */
	assert_int_equal(vfioiommu_mig_set_state(f.a, VFIOIOMMU_MIG_RUNNING, NULL), 0);
	assert_int_equal(vfioiommu_mig_precopy_info(f.a, &initial, &dirty), -EINVAL);
	close(p[0]);
	close(p[1]);
	fx_close(&f);
}

static void walk_and_failed_arc(void **state)
{
	struct fx f;
	uint32_t caps = 0;
	enum vfioiommu_mig_state st;
	RES(r);

	(void)state;
	fx_open(&f, VFIOIOMMU_MODE_IOMMUFD);
	assert_int_equal(vfioiommu_mig_caps(f.a, &caps), 0);
	assert_int_equal(caps, 7);
	/* RESUMING -> STOP with nothing written: the arc fails, the device stays in RESUMING */
	assert_int_equal(vfioiommu_mig_set_state(f.a, VFIOIOMMU_MIG_RESUMING, &r), 0);
	assert_int_equal(r.arcs, 3);
	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	assert_int_equal(vfioiommu_mig_set_state(f.a, VFIOIOMMU_MIG_RUNNING, &r), -EINVAL);
	assert_true(r.arc_failed);
	assert_int_equal(r.failed_from, VFIOIOMMU_MIG_RESUMING);
	assert_int_equal(r.failed_to, VFIOIOMMU_MIG_STOP);
	assert_int_equal(r.state, VFIOIOMMU_MIG_RESUMING);
	assert_int_equal(r.arcs, 0);
	th_assert_msg(vfioiommu_strerror(f.ctx), "arc RESUMING -> STOP", "on the way to RUNNING", "device is in RESUMING",
		      NULL);
	assert_int_equal(vfioiommu_mig_recover(f.a, &r), 0);
	assert_int_equal(r.state, VFIOIOMMU_MIG_RUNNING);
	/* the forbidden direction: no ioctl is even tried */
	assert_int_equal(vfioiommu_mig_set_state(f.a, VFIOIOMMU_MIG_STOP_COPY, NULL), 0);
	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	assert_int_equal(vfioiommu_mig_set_state(f.a, VFIOIOMMU_MIG_PRE_COPY_P2P, &r), -EINVAL);
	assert_true(r.arc_failed);
	assert_int_equal(r.failed_from, VFIOIOMMU_MIG_STOP_COPY);
	th_assert_msg(vfioiommu_strerror(f.ctx), "no arc leads from STOP_COPY to PRE_COPY_P2P", NULL);
	assert_int_equal(vfioiommu_mig_get_state(f.a, &st), 0);
	assert_int_equal(st, VFIOIOMMU_MIG_STOP_COPY);
	assert_int_equal(vfioiommu_mig_set_state(f.a, VFIOIOMMU_MIG_ERROR, NULL), -EINVAL);
	assert_int_equal(vfioiommu_mig_set_state(f.a, (enum vfioiommu_mig_state)8, NULL), -EINVAL);
	assert_string_equal(vfioiommu_mig_state_name((enum vfioiommu_mig_state)8), "unknown");
	assert_string_equal(vfioiommu_mig_state_name(VFIOIOMMU_MIG_PRE_COPY_P2P), "PRE_COPY_P2P");
	fx_close(&f);
}

/* Devices that offer less: the walk skips the states they lack, as the kernel does. */
static void fewer_caps(void **state)
{
	vfioiommu_mock *m = th_mock(host);
	vfioiommu_ctx *ctx = th_ctx(m, VFIOIOMMU_MODE_IOMMUFD);
	vfioiommu_device *plain = NULL, *base = NULL, *p2p = NULL;
	uint32_t caps = 0;
	RES(r);

	(void)state;
	assert_int_equal(vfioiommu_device_open(ctx, "0000:00:02.0", &plain), 0);
	assert_int_equal(vfioiommu_device_open(ctx, "0000:00:03.0", &base), 0);
	assert_int_equal(vfioiommu_device_open(ctx, "0000:00:04.0", &p2p), 0);
	assert_int_equal(vfioiommu_mig_caps(plain, &caps), -EOPNOTSUPP);
	th_assert_msg(vfioiommu_strerror(ctx), "no migration support", NULL);
	assert_int_equal(vfioiommu_mig_set_state(plain, VFIOIOMMU_MIG_STOP, NULL), -EOPNOTSUPP);
	assert_int_equal(vfioiommu_mig_caps(base, &caps), 0);
	assert_int_equal(caps, 1);
	/* without P2P: RUNNING -> STOP -> STOP_COPY, two arcs */
	assert_int_equal(vfioiommu_mig_set_state(base, VFIOIOMMU_MIG_STOP_COPY, &r), 0);
	assert_int_equal(r.arcs, 2);
	assert_int_equal(vfioiommu_mig_set_state(base, VFIOIOMMU_MIG_RUNNING_P2P, NULL), -EOPNOTSUPP);
	th_assert_msg(vfioiommu_strerror(ctx), "needs P2P", NULL);
	assert_int_equal(vfioiommu_mig_set_state(p2p, VFIOIOMMU_MIG_PRE_COPY, NULL), -EOPNOTSUPP);
	th_assert_msg(vfioiommu_strerror(ctx), "needs PRE_COPY", NULL);
	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	assert_int_equal(vfioiommu_mig_set_state(p2p, VFIOIOMMU_MIG_STOP_COPY, &r), 0);
	assert_int_equal(r.arcs, 3);
	vfioiommu_device_close(p2p);
	vfioiommu_device_close(base);
	vfioiommu_device_close(plain);
	vfioiommu_ctx_destroy(ctx);
	th_mock_done(m);
}

static int stream_of(struct fx *f, uint8_t *buf, size_t n)
{
	int t = tmp_fd();
	ssize_t got;

	assert_int_equal(vfioiommu_mig_save(f->a, t, NULL), 0);
	assert_int_equal(vfioiommu_mig_set_state(f->a, VFIOIOMMU_MIG_RUNNING, NULL), 0);
	lseek(t, 0, SEEK_SET);
	got = read(t, buf, n);
	close(t);
	return (int)got;
}

static int fd_with(const uint8_t *buf, size_t n)
{
	int t = tmp_fd();

	assert_int_equal(write(t, buf, n), (ssize_t)n);
	lseek(t, 0, SEEK_SET);
	return t;
}

static void bad_streams(void **state)
{
	static const struct {
		size_t off;   /* byte to flip, or the length to keep when cut */
		bool cut;
		int rc;
		const char *word;
	} cases[] = {
		{ 3, false, -EBADMSG, "not a device-state stream" },
		{ 16 + 16 + 5, false, -EBADMSG, "checksum" },
		{ 16 + 4, false, -EBADMSG, "malformed chunk" },
		{ 16 + 1, false, -EPIPE, "inside a chunk" },
		{ 16 + 8, false, -EBADMSG, "checksum" },
		{ 0, true, -EPIPE, "inside its header" },
		{ 10, true, -EPIPE, "inside its header" },
		{ 16, true, -EPIPE, "without its end marker" },
		{ 16 + 16 + 40, true, -EPIPE, "inside a chunk" },
		{ 16 + 16 + 96, true, -EPIPE, "without its end marker" },
		{ 16 + 16 + 96 + 9, false, -EBADMSG, "another total" },
	};
	struct fx f;
	uint8_t good[512], bad[512];
	int n;

	(void)state;
	fx_open(&f, VFIOIOMMU_MODE_IOMMUFD);
	n = stream_of(&f, good, sizeof(good));
	assert_int_equal(n, 16 + 16 + 96 + 16);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		RES(r);
		int t;
		memcpy(bad, good, (size_t)n);
		if (!cases[i].cut)
			bad[cases[i].off] ^= 0x21;
		t = fd_with(bad, cases[i].cut ? cases[i].off : (size_t)n);
		if (vfioiommu_mig_restore(f.b, t, &r) != cases[i].rc || !strstr(vfioiommu_strerror(f.ctx), cases[i].word))
			fail_msg("case %zu: %s", i, vfioiommu_strerror(f.ctx));
		/* a defined state, named: RESUMING, and nothing of a bad chunk given to the device */
		assert_int_equal(r.state, VFIOIOMMU_MIG_RESUMING);
		th_assert_msg(vfioiommu_strerror(f.ctx), "the device is in RESUMING", NULL);
		close(t);
		assert_int_equal(vfioiommu_mig_restore(f.b, 0, NULL), -EBUSY);
		assert_int_equal(vfioiommu_mig_recover(f.b, NULL), 0);
	}
	/* a stream of a device with another port count: the framing is fine, the device refuses it */
	{
		vfioiommu_device *one = NULL;
		int t = tmp_fd();
		RES(r);
		assert_int_equal(vfioiommu_mdev_create(f.ctx, "mtty", "mtty-1", "8c3e2a10-0000-4000-8000-0000000000c1"), 0);
		assert_int_equal(vfioiommu_device_open(f.ctx, "8c3e2a10-0000-4000-8000-0000000000c1", &one), 0);
		assert_int_equal(vfioiommu_mig_save(one, t, NULL), 0);
		lseek(t, 0, SEEK_SET);
		assert_int_equal(vfioiommu_mig_restore(f.b, t, &r), -EFAULT);
		assert_int_equal(r.state, VFIOIOMMU_MIG_RESUMING);
		th_assert_msg(vfioiommu_strerror(f.ctx), "refused", NULL);
		assert_int_equal(vfioiommu_mig_recover(f.b, NULL), 0);
		vfioiommu_device_close(one);
		close(t);
	}
	fx_close(&f);
}

static void reader_gone(void **state)
{
	struct fx f;
	int p[2];
	RES(r);

	(void)state;
	fx_open(&f, VFIOIOMMU_MODE_IOMMUFD);
	assert_int_equal(pipe(p), 0);
	close(p[0]);
	/* no SIGPIPE: the test process would die */
	assert_int_equal(vfioiommu_mig_save(f.a, p[1], &r), -EPIPE);
	assert_int_equal(r.state, VFIOIOMMU_MIG_STOP_COPY);
	th_assert_msg(vfioiommu_strerror(f.ctx), "reader of the stream went away", "STOP_COPY", NULL);
	close(p[1]);
	assert_int_equal(vfioiommu_mig_set_state(f.a, VFIOIOMMU_MIG_RUNNING, NULL), 0);
	fx_close(&f);
}

/* ---- a hostile kernel: a door that rewrites some answers ---- */

static const vfioiommu_door *inner;
static int hostile_mode;

static int hostile_ioctl(void *p, int fd, unsigned long req, void *arg)
{
	int rc = inner->ioctl(p, fd, req, arg);
	uint32_t *a = arg;

	if (rc == 0 && req == 0x3b75 && a && (a[1] & (1u << 16))) {
		if (hostile_mode == 1 && (a[1] & 0xffff) == 2)
			a[2] = 42;           /* a state that does not exist */
		if (hostile_mode == 2 && (a[1] & 0xffff) == 1)
			a[2] = 6;            /* P2P | PRE_COPY without STOP_COPY */
	}
	return rc;
}

static void hostile_kernel(void **state)
{
	vfioiommu_mock *m = th_mock(host);
	vfioiommu_door door;
	struct vfioiommu_ctx_opts o = { .size = sizeof(o), .door = &door, .mode = VFIOIOMMU_MODE_IOMMUFD };
	vfioiommu_ctx *ctx = NULL;
	vfioiommu_device *a = NULL;
	enum vfioiommu_mig_state st;
	uint32_t caps;
	RES(r);

	(void)state;
	inner = vfioiommu_mock_door(m);
	door = *inner;
	door.ioctl = hostile_ioctl;
	assert_int_equal(vfioiommu_ctx_new(&o, &ctx), 0);
	assert_int_equal(vfioiommu_device_open(ctx, UA, &a), 0);
	hostile_mode = 1;
	assert_int_equal(vfioiommu_mig_get_state(a, &st), -EPROTO);
	th_assert_msg(vfioiommu_strerror(ctx), "state 42", NULL);
	assert_int_equal(vfioiommu_mig_set_state(a, VFIOIOMMU_MIG_STOP, &r), -EPROTO);
	assert_true(r.state_unknown);
	hostile_mode = 2;
	assert_int_equal(vfioiommu_mig_caps(a, &caps), -EPROTO);
	th_assert_msg(vfioiommu_strerror(ctx), "without STOP_COPY", NULL);
	hostile_mode = 0;
	vfioiommu_device_close(a);
	vfioiommu_ctx_destroy(ctx);
	th_mock_done(m);
}

static void bad_arguments(void **state)
{
	struct fx f;
	uint32_t caps;
	uint64_t x;
	enum vfioiommu_mig_state st;
	struct vfioiommu_mig_result small = { .size = 8 };

	(void)state;
	fx_open(&f, VFIOIOMMU_MODE_IOMMUFD);
	assert_int_equal(vfioiommu_mig_caps(NULL, &caps), -EINVAL);
	assert_int_equal(vfioiommu_mig_caps(f.a, NULL), -EINVAL);
	assert_int_equal(vfioiommu_mig_get_state(f.a, NULL), -EINVAL);
	assert_int_equal(vfioiommu_mig_get_state(NULL, &st), -EINVAL);
	assert_int_equal(vfioiommu_mig_set_state(NULL, VFIOIOMMU_MIG_STOP, NULL), -EINVAL);
	assert_int_equal(vfioiommu_mig_set_state(f.a, VFIOIOMMU_MIG_STOP, &small), -EINVAL);
	assert_int_equal(vfioiommu_mig_data_size(f.a, NULL), -EINVAL);
	assert_int_equal(vfioiommu_mig_precopy_info(f.a, NULL, &x), -EINVAL);
	assert_int_equal(vfioiommu_mig_precopy_info(f.a, &x, NULL), -EINVAL);
	assert_int_equal(vfioiommu_mig_save(f.a, -1, NULL), -EINVAL);
	assert_int_equal(vfioiommu_mig_save_chunk(f.a, -3, NULL), -EINVAL);
	assert_int_equal(vfioiommu_mig_restore(f.a, -1, NULL), -EINVAL);
	assert_int_equal(vfioiommu_mig_restore(f.a, 0, &small), -EINVAL);
	assert_int_equal(vfioiommu_mig_recover(f.a, &small), -EINVAL);
	/* nothing moved */
	assert_int_equal(vfioiommu_mig_get_state(f.a, &st), 0);
	assert_int_equal(st, VFIOIOMMU_MIG_RUNNING);
	fx_close(&f);
}

/* ---- fail-Nth: save (with pre-copy), restore, recover; every door call fails in turn ---- */

static vfioiommu_mock *sweep_setup(void *arg)
{
	(void)arg;
	return th_mock(host);
}

static int sweep_body(vfioiommu_mock *m, void *arg)
{
	struct vfioiommu_ctx_opts o = { .size = sizeof(o), .mode = VFIOIOMMU_MODE_IOMMUFD, .door = vfioiommu_mock_door(m) };
	vfioiommu_ctx *ctx = NULL;
	vfioiommu_device *a = NULL, *b = NULL;
	uint64_t i = 0, d = 0;
	int sv[2], rc;

	(void)arg;
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		return -errno;
	rc = vfioiommu_ctx_new(&o, &ctx);
	if (rc == 0)
		rc = vfioiommu_device_open(ctx, UA, &a);
	if (rc == 0)
		rc = vfioiommu_device_open(ctx, UB, &b);
	if (rc == 0)
		rc = vfioiommu_mig_set_state(a, VFIOIOMMU_MIG_PRE_COPY, NULL);
	if (rc == 0)
		rc = vfioiommu_mig_precopy_info(a, &i, &d);
	if (rc == 0)
		rc = vfioiommu_mig_save_chunk(a, sv[0], NULL);
	if (rc == 0)
		rc = vfioiommu_mig_save(a, sv[0], NULL);
	if (rc == 0)
		rc = vfioiommu_mig_restore(b, sv[1], NULL);
	if (rc == 0)
		rc = vfioiommu_mig_set_state(b, VFIOIOMMU_MIG_RUNNING, NULL);
	if (rc == 0)
		rc = vfioiommu_mig_recover(a, NULL);
	if (rc < 0 && ctx && !vfioiommu_strerror(ctx)[0])
		fail_msg("rc %d without a message", rc);
	vfioiommu_device_close(b);
	vfioiommu_device_close(a);
	vfioiommu_ctx_destroy(ctx);
	close(sv[0]);
	close(sv[1]);
	return rc;
}

static void sweep(void **state)
{
	(void)state;
	assert_true(th_sweep(sweep_setup, sweep_body, NULL, 400) > 20);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(save_restore_file),
		cmocka_unit_test(stream_in_a_longer_stream),
		cmocka_unit_test(precopy_counters),
		cmocka_unit_test(walk_and_failed_arc),
		cmocka_unit_test(fewer_caps),
		cmocka_unit_test(bad_streams),
		cmocka_unit_test(reader_gone),
		cmocka_unit_test(hostile_kernel),
		cmocka_unit_test(bad_arguments),
		cmocka_unit_test(sweep),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
