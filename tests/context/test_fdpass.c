/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * fds with their kind over a unix socket (lib/context/fdpass.c) on the mock:
 * a launcher's message adopted by a VMM, the send-side checks, every kind of
 * bad message (not ours, truncated, other version, fd count off, too many,
 * too large, peer gone) refused with every fd that came closed, and fail-Nth.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include <vfioiommu/adopt.h>
#include <vfioiommu/dma.h>
#include <vfioiommu/fdpass.h>
#include <vfioiommu/mock.h>

#include "core/internal.h"
#include "helpers.h"

#define DEV3 "0000:00:03.0"

static unsigned int real_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	unsigned int n = 0;

	assert_non_null(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

static int raw_open(vfioiommu_mock *m, const char *path)
{
	const vfioiommu_door *d = vfioiommu_mock_door(m);

	return d->open(d->priv, path, O_RDWR | O_CLOEXEC);
}

static int take_first(void *arg, const char *name)
{
	snprintf(arg, 64, "%s", name);
	return 1;
}

static int cdev_open(vfioiommu_mock *m, const char *bdf)
{
	const vfioiommu_door *d = vfioiommu_mock_door(m);
	char name[64] = "", path[128];
	int rc;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/vfio-dev", bdf);
	rc = d->listdir(d->priv, path, take_first, name);
	if (rc < 0)
		return rc;
	snprintf(path, sizeof(path), "/dev/vfio/devices/%s", name);
	return raw_open(m, path);
}

static vfioiommu_ctx *ctx_on(vfioiommu_mock *m)
{
	struct vfioiommu_ctx_opts o = { .size = sizeof(o), .door = vfioiommu_mock_door(m) };
	vfioiommu_ctx *ctx = NULL;

	assert_int_equal(vfioiommu_ctx_new(&o, &ctx), 0);
	return ctx;
}

/* The launcher's half: opens the fds, sends them, closes its copies (all through the mock). */
static int launcher(vfioiommu_mock *m, vfioiommu_ctx *ctx, int sock)
{
	struct vfioiommu_fd_entry e[2] = {
		{ .kind = VFIOIOMMU_FD_IOMMUFD },
		{ .kind = VFIOIOMMU_FD_CDEV, .name = DEV3 },
	};
	const vfioiommu_door *d = vfioiommu_mock_door(m);
	int rc;

	e[0].fd = raw_open(m, "/dev/iommu");
	if (e[0].fd < 0)
		return e[0].fd;
	e[1].fd = cdev_open(m, DEV3);
	if (e[1].fd < 0) {
		d->close(d->priv, e[0].fd);
		return e[1].fd;
	}
	rc = vfioiommu_fds_send(ctx, sock, e, 2);
	d->close(d->priv, e[0].fd);
	d->close(d->priv, e[1].fd);
	return rc;
}

/* The VMM's half: receives, adopts every entry, maps DMA. */
static int vmm(vfioiommu_mock *m, vfioiommu_ctx *ctx, int sock)
{
	const vfioiommu_door *d = vfioiommu_mock_door(m);
	struct vfioiommu_fd_entry r[VFIOIOMMU_FDPASS_MAX];
	static char buf[8192] __attribute__((aligned(4096)));
	vfioiommu_device *dev = NULL;
	unsigned int n = 0, i;
	uint64_t iova;
	int rc = vfioiommu_fds_recv(ctx, sock, r, VFIOIOMMU_FDPASS_MAX, &n);

	for (i = 0; rc == 0 && i < n; i++) {
		struct vfioiommu_adopt_opts a = { .size = sizeof(a), .ioas_id = r[i].ioas_id, .group = r[i].group,
						  .devid = r[i].devid, .name = r[i].name[0] ? r[i].name : NULL };

		if (r[i].kind == VFIOIOMMU_FD_IOMMUFD || r[i].kind == VFIOIOMMU_FD_CONTAINER)
			rc = vfioiommu_ctx_adopt(ctx, r[i].kind, r[i].fd, &a);
		else
			rc = vfioiommu_device_adopt(ctx, r[i].kind, r[i].fd, &a, &dev);
		if (rc < 0)
			break;
	}
	/* what was not adopted is still ours */
	for (unsigned int j = rc < 0 ? i : n; j < n; j++)
		d->close(d->priv, r[j].fd);
	if (rc == 0)
		rc = vfioiommu_dma_map(ctx, buf, sizeof(buf), VFIOIOMMU_DMA_READ | VFIOIOMMU_DMA_WRITE, &iova);
	if (rc == 0 && strcmp(vfioiommu_device_name(dev), DEV3))
		rc = -EPROTO;
	return rc;
}

static void launcher_to_vmm(void **state)
{
	vfioiommu_mock *m = th_mock(th_host_default);
	vfioiommu_ctx *lctx = ctx_on(m), *vctx = ctx_on(m);
	unsigned int before = real_fds();
	int sv[2];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	assert_int_equal(launcher(m, lctx, sv[0]), 0);
	/* the launcher closed its copies: the message holds the files */
	assert_int_equal(vfioiommu_mock_open_fds(m), 0);
	assert_int_equal(vmm(m, vctx, sv[1]), 0);
	assert_int_equal(vfioiommu_ctx_backend(vctx), VFIOIOMMU_BACKEND_IOMMUFD);
	assert_int_equal(vfioiommu_mock_open_fds(m), 2);
	vfioiommu_ctx_destroy(vctx);
	vfioiommu_ctx_destroy(lctx);
	close(sv[0]);
	close(sv[1]);
	assert_int_equal(real_fds(), before);
	th_mock_done(m);
}

/* A real fd rides along with the mock ones, and the sender's copy stays usable. */
static void real_and_mock_fds(void **state)
{
	vfioiommu_mock *m = th_mock(th_host_default);
	vfioiommu_ctx *ctx = ctx_on(m);
	const vfioiommu_door *d = vfioiommu_mock_door(m);
	struct vfioiommu_fd_entry e[2] = { { .kind = VFIOIOMMU_FD_IOMMUFD }, { .kind = VFIOIOMMU_FD_GROUP, .group = 9 } };
	struct vfioiommu_fd_entry r[2];
	unsigned int n = 0;
	uint64_t one = 1, got = 0;
	int sv[2];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	e[0].fd = raw_open(m, "/dev/iommu");
	e[1].fd = eventfd(0, EFD_CLOEXEC);
	assert_int_equal(vfioiommu_fds_send(ctx, sv[0], e, 2), 0);
	assert_int_equal(vfioiommu_fds_recv(ctx, sv[1], r, 2, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(r[0].kind, VFIOIOMMU_FD_IOMMUFD);
	assert_int_equal(r[1].group, 9);
	assert_true(r[0].fd != e[0].fd && r[1].fd != e[1].fd);
	/* the same files: a write on the sender's eventfd is read on the received one */
	assert_int_equal(write(e[1].fd, &one, 8), 8);
	assert_int_equal(read(r[1].fd, &got, 8), 8);
	assert_int_equal(got, 1);
	/* the mock fd: one file, two fds; closing one leaves the other working */
	d->close(d->priv, e[0].fd);
	assert_int_equal(vfioiommu_ctx_adopt(ctx, VFIOIOMMU_FD_IOMMUFD, r[0].fd, NULL), 0);
	vfioiommu_ctx_destroy(ctx);
	close(e[1].fd);
	close(r[1].fd);
	close(sv[0]);
	close(sv[1]);
	th_mock_done(m);
}

static void send_refusals(void **state)
{
	vfioiommu_mock *m = th_mock(th_host_default);
	vfioiommu_ctx *ctx = ctx_on(m);
	struct vfioiommu_fd_entry e[VFIOIOMMU_FDPASS_MAX + 1];
	int sv[2], ev = eventfd(0, EFD_CLOEXEC);

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	memset(e, 0, sizeof(e));
	for (unsigned int i = 0; i <= VFIOIOMMU_FDPASS_MAX; i++) {
		e[i].kind = VFIOIOMMU_FD_CDEV;
		e[i].fd = ev;
	}
	assert_int_equal(vfioiommu_fds_send(NULL, sv[0], e, 1), -EINVAL);
	assert_int_equal(vfioiommu_fds_send(ctx, sv[0], NULL, 1), -EINVAL);
	assert_int_equal(vfioiommu_fds_send(ctx, sv[0], e, 0), -EINVAL);
	assert_int_equal(vfioiommu_fds_send(ctx, sv[0], e, VFIOIOMMU_FDPASS_MAX + 1), -EINVAL);
	e[0].kind = 0;
	assert_int_equal(vfioiommu_fds_send(ctx, sv[0], e, 1), -EINVAL);
	th_assert_msg(vfioiommu_strerror(ctx), "unknown kind", NULL);
	e[0].kind = 7;
	assert_int_equal(vfioiommu_fds_send(ctx, sv[0], e, 1), -EINVAL);
	e[0].kind = VFIOIOMMU_FD_CDEV;
	e[0].fd = -1;
	assert_int_equal(vfioiommu_fds_send(ctx, sv[0], e, 1), -EINVAL);
	e[0].fd = ev;
	memset(e[0].name, 'x', sizeof(e[0].name));
	assert_int_equal(vfioiommu_fds_send(ctx, sv[0], e, 1), -EINVAL);
	th_assert_msg(vfioiommu_strerror(ctx), "NUL", NULL);
	memset(e[0].name, 0, sizeof(e[0].name));
	e[0].reserved = 1;
	assert_int_equal(vfioiommu_fds_send(ctx, sv[0], e, 1), -EINVAL);
	e[0].reserved = 0;
	/* fds that are not open: a real one and a mock one */
	e[0].fd = 1000;
	assert_int_equal(vfioiommu_fds_send(ctx, sv[0], e, 1), -EBADF);
	th_assert_msg(vfioiommu_strerror(ctx), "not open", NULL);
	e[0].fd = VFIOIOMMU_MOCK_FD_BASE + 77;
	assert_int_equal(vfioiommu_fds_send(ctx, sv[0], e, 1), -EBADF);
	/* the peer is gone */
	close(sv[1]);
	e[0].fd = ev;
	assert_int_equal(vfioiommu_fds_send(ctx, sv[0], e, 1), -EPIPE);
	th_assert_msg(vfioiommu_strerror(ctx), "receiver closed", NULL);
	close(sv[0]);
	close(ev);
	vfioiommu_ctx_destroy(ctx);
	th_mock_done(m);
}

/* ---------------------------------------------------------------- bad messages */

struct hdr {
	char magic[8];
	uint16_t version, hdr_size;
	uint32_t count, entry_size, reserved;
};
struct ent {
	uint32_t kind, group, devid, ioas_id;
	char name[32];
};

/* Send raw bytes with nfds fresh eventfds through the mock's door; returns nothing (asserts). */
static void raw_send(vfioiommu_mock *m, int sock, const void *buf, size_t len, unsigned int nfds)
{
	const vfioiommu_door *d = vfioiommu_mock_door(m);
	int fds[VI_FDPASS_MAX];

	for (unsigned int i = 0; i < nfds; i++)
		fds[i] = eventfd(0, EFD_CLOEXEC);
	assert_int_equal(d->sendfds(d->priv, sock, buf, len, fds, nfds), (ssize_t)len);
	for (unsigned int i = 0; i < nfds; i++)
		close(fds[i]);
}

static size_t message(unsigned char *buf, uint16_t version, uint32_t count, unsigned int entries, uint32_t kind)
{
	struct hdr h = { "VFIOFDS", version, 24, count, 48, 0 };
	struct ent e = { kind, 0, 0, 0, "0000:00:03.0" };

	memcpy(buf, &h, sizeof(h));
	for (unsigned int i = 0; i < entries; i++)
		memcpy(buf + 24 + 48 * i, &e, sizeof(e));
	return 24 + 48 * (size_t)entries;
}

static void refused(vfioiommu_ctx *ctx, int sock, unsigned int max, int want, const char *word)
{
	struct vfioiommu_fd_entry r[VFIOIOMMU_FDPASS_MAX];
	unsigned int n = 99;
	int rc = vfioiommu_fds_recv(ctx, sock, r, max, &n);

	if (rc != want)
		fail_msg("got %d, want %d: %s", rc, want, vfioiommu_strerror(ctx));
	if (want != -ENOSPC)
		assert_int_equal(n, 0);
	th_assert_msg(vfioiommu_strerror(ctx), word, NULL);
}

static void bad_messages(void **state)
{
	vfioiommu_mock *m = th_mock(th_host_default);
	vfioiommu_ctx *ctx = ctx_on(m);
	unsigned char buf[2048];
	unsigned int before = real_fds();
	size_t len;
	int sv[2];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	before = real_fds();
	raw_send(m, sv[0], "hello, world", 12, 1);
	refused(ctx, sv[1], 16, -EPROTO, "not a libvfioiommu fd message");
	len = message(buf, 1, 1, 1, VFIOIOMMU_FD_CDEV);
	raw_send(m, sv[0], buf, 12, 1);
	refused(ctx, sv[1], 16, -EPROTO, "truncated");
	raw_send(m, sv[0], buf, len - 10, 1);
	refused(ctx, sv[1], 16, -EPROTO, "truncated");
	len = message(buf, 2, 1, 1, VFIOIOMMU_FD_CDEV);
	raw_send(m, sv[0], buf, len, 1);
	refused(ctx, sv[1], 16, -EPROTONOSUPPORT, "version 2");
	len = message(buf, 1, 3, 2, VFIOIOMMU_FD_CDEV);
	raw_send(m, sv[0], buf, len, 2);
	refused(ctx, sv[1], 16, -EPROTO, "for 3 entries");
	len = message(buf, 1, 2, 2, VFIOIOMMU_FD_CDEV);
	raw_send(m, sv[0], buf, len, 1);
	refused(ctx, sv[1], 16, -EPROTO, "1 fds for 2 entries");
	raw_send(m, sv[0], buf, len, 2);
	refused(ctx, sv[1], 1, -ENOSPC, "room for 1");
	len = message(buf, 1, 1, 1, 42);
	raw_send(m, sv[0], buf, len, 1);
	refused(ctx, sv[1], 16, -EPROTO, "unknown kind");
	len = message(buf, 1, 1, 1, VFIOIOMMU_FD_CDEV);
	memset(buf + 24 + 16, 'x', 32);
	raw_send(m, sv[0], buf, len, 1);
	refused(ctx, sv[1], 16, -EPROTO, "NUL");
	memset(buf, 0, sizeof(buf));
	len = message(buf, 1, 1, 1, VFIOIOMMU_FD_CDEV);
	raw_send(m, sv[0], buf, 24 + 48 * 20, 1);
	refused(ctx, sv[1], 16, -EMSGSIZE, "larger");
	/* every eventfd that came with a refused message was closed */
	assert_int_equal(real_fds(), before);
	close(sv[0]);
	refused(ctx, sv[1], 16, -ECONNRESET, "without a message");
	close(sv[1]);
	{
		struct vfioiommu_fd_entry r[1];
		unsigned int n;

		assert_int_equal(vfioiommu_fds_recv(NULL, 0, r, 1, &n), -EINVAL);
		assert_int_equal(vfioiommu_fds_recv(ctx, 0, NULL, 1, &n), -EINVAL);
		assert_int_equal(vfioiommu_fds_recv(ctx, 0, r, 1, NULL), -EINVAL);
	}
	vfioiommu_ctx_destroy(ctx);
	th_mock_done(m);
}

/* ---------------------------------------------------------------- fail-Nth */

static vfioiommu_mock *sweep_setup(void *arg)
{
	(void)arg;
	return th_mock(th_host_default);
}

static int sweep_body(vfioiommu_mock *m, void *arg)
{
	vfioiommu_ctx *lctx = NULL, *vctx = NULL;
	struct vfioiommu_ctx_opts o = { .size = sizeof(o), .door = vfioiommu_mock_door(m) };
	int sv[2], rc;
	bool fired;

	(void)arg;
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	rc = vfioiommu_ctx_new(&o, &lctx);
	if (rc == 0)
		rc = vfioiommu_ctx_new(&o, &vctx);
	if (rc == 0)
		rc = launcher(m, lctx, sv[0]);
	if (rc == 0)
		rc = vmm(m, vctx, sv[1]);
	fired = vfioiommu_mock_fault_fired(m);
	vfioiommu_ctx_destroy(vctx);
	vfioiommu_ctx_destroy(lctx);
	close(sv[0]);
	close(sv[1]);
	if (rc == 0 && !fired && vfioiommu_mock_fault_fired(m))
		rc = -EIO;
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
		cmocka_unit_test(launcher_to_vmm),
		cmocka_unit_test(real_and_mock_fds),
		cmocka_unit_test(send_refusals),
		cmocka_unit_test(bad_messages),
		cmocka_unit_test(fail_nth),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
