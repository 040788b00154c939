/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * The saved state as a stream on any fd.  The device's bytes are opaque and
 * its data fd says "no more" by reading 0, which a socket or a pipe shared
 * with other traffic cannot carry; so the library frames them:
 *
 *   header  16 bytes "vfioiommu-mig-v1"
 *   chunk   u32 length (1 .. 1 MiB), u32 flags 0, u64 FNV-1a 64 of the data, then the data
 *   end     u32 length 0, u32 flags 1, u64 the total of the data lengths
 *
 * little endian.  A restore checks each chunk before any of it reaches the
 * device, so a corrupted chunk is refused with nothing of it loaded, and a
 * stream without its end marker is a truncated one.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mig.h"

#define MAGIC "vfioiommu-mig-v1"
#define MAGIC_LEN 16
#define CHUNK_MAX (1u << 20)
#define FLAG_END 1u
#define CHUNK_HDR 16

static uint64_t fnv1a(const uint8_t *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

static void put_le(uint8_t *p, uint64_t v, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le(const uint8_t *p, unsigned int n)
{
	uint64_t v = 0;

	for (unsigned int i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

/* Wait until fd is ready for ev (a non-blocking fd said EAGAIN). */
static int wait_fd(struct vfioiommu_ctx *ctx, int fd, short ev)
{
	struct pollfd p = { .fd = fd, .events = ev };
	int rc;

	do
		rc = vi_kpoll(ctx, &p, 1, -1);
	while (rc == -EINTR);
	if (rc < 0)
		return rc;
	return (p.revents & (POLLERR | POLLNVAL)) && !(p.revents & ev) ? -EIO : 0;
}

/* All of buf to fd: 0 or -errno (-EPIPE: the reader went away). */
static int write_all(struct vfioiommu_ctx *ctx, int fd, const uint8_t *buf, size_t n)
{
	while (n) {
		ssize_t w = vi_kwrite(ctx, fd, buf, n);

		if (w == -EINTR)
			continue;
		if (w == -EAGAIN) {
			int rc = wait_fd(ctx, fd, POLLOUT);
			if (rc < 0)
				return rc;
			continue;
		}
		if (w < 0)
			return (int)w;
		if (w == 0)
			return -EIO;
		buf += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Up to n bytes from fd, fewer only at its end: the count or -errno. */
static ssize_t read_full(struct vfioiommu_ctx *ctx, int fd, uint8_t *buf, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = vi_kread(ctx, fd, buf + got, n - got);

		if (r == -EINTR)
			continue;
		if (r == -EAGAIN) {
			int rc = wait_fd(ctx, fd, POLLIN);
			if (rc < 0)
				return rc;
			continue;
		}
		if (r < 0)
			return r;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

/*
 * A write to a pipe or socket whose reader is gone raises SIGPIPE, which
 * kills a process that did not ask for it: the library never does that.
 * SIGPIPE is blocked in this thread while the stream is written, and one
 * that the write raised is taken back before unblocking.  (Signal masks are
 * this thread's, not the kernel objects the door stands for.)
 */
struct sigpipe_guard {
	sigset_t old;
	bool was_pending;
};

static void sigpipe_block(struct sigpipe_guard *g)
{
	sigset_t set, pend;

	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &set, &g->old);
	sigpending(&pend);
	g->was_pending = sigismember(&pend, SIGPIPE) == 1;
}

static void sigpipe_unblock(struct sigpipe_guard *g, bool epipe)
{
	if (epipe && !g->was_pending) {
		sigset_t set;
		struct timespec zero = { 0, 0 };

		sigemptyset(&set);
		sigaddset(&set, SIGPIPE);
		while (sigtimedwait(&set, NULL, &zero) == -1 && errno == EINTR)
			;
	}
	pthread_sigmask(SIG_SETMASK, &g->old, NULL);
}

static bool precopy_state(enum vfioiommu_mig_state st)
{
	return st == VFIOIOMMU_MIG_PRE_COPY || st == VFIOIOMMU_MIG_PRE_COPY_P2P;
}

static int out_failed(struct vfioiommu_device *dev, int rc, struct vfioiommu_mig_result *r, const char *what)
{
	vi_mig_note_state(dev, r);
	return vi_fail(dev->ctx, rc, "%s: %s: %s%s; the device is in %s", dev->bdf, what, vi_errno_name(rc),
		       rc == -EPIPE ? " (the reader of the stream went away)" : "",
		       r->state_unknown ? "an unknown state" : vfioiommu_mig_state_name(r->state));
}

/* Everything the data fd has now, as chunks on fd; with end, the end marker too. ctx->lock held. */
static int save_locked(struct vfioiommu_device *dev, int fd, struct vfioiommu_mig_result *r, bool end)
{
	struct vi_mig *mg = dev->mig;
	struct sigpipe_guard g;
	uint8_t *buf = malloc(CHUNK_HDR + CHUNK_MAX);
	int rc = 0;

	if (!buf)
		return vi_fail(dev->ctx, -ENOMEM, "out of memory");
	sigpipe_block(&g);
	if (!mg->header_sent) {
		rc = write_all(dev->ctx, fd, (const uint8_t *)MAGIC, MAGIC_LEN);
		if (rc < 0) {
			rc = out_failed(dev, rc, r, "writing the stream's header");
			goto out;
		}
		mg->header_sent = true;
	}
	for (;;) {
		ssize_t got = read_full(dev->ctx, mg->data_fd, buf + CHUNK_HDR, CHUNK_MAX);

		if (got < 0) {
			rc = out_failed(dev, (int)got, r, "reading the device's data fd");
			goto out;
		}
		if (got == 0)
			break;
		put_le(buf, (uint64_t)got, 4);
		put_le(buf + 4, 0, 4);
		put_le(buf + 8, fnv1a(buf + CHUNK_HDR, (size_t)got), 8);
		rc = write_all(dev->ctx, fd, buf, CHUNK_HDR + (size_t)got);
		if (rc < 0) {
			rc = out_failed(dev, rc, r, "writing the stream");
			goto out;
		}
		mg->sent += (uint64_t)got;
		r->bytes += (uint64_t)got;
		if ((size_t)got < CHUNK_MAX)
			break;
	}
	if (end) {
		put_le(buf, 0, 4);
		put_le(buf + 4, FLAG_END, 4);
		put_le(buf + 8, mg->sent, 8);
		rc = write_all(dev->ctx, fd, buf, CHUNK_HDR);
		if (rc < 0)
			rc = out_failed(dev, rc, r, "writing the stream's end");
	}
out:
	sigpipe_unblock(&g, rc == -EPIPE);
	free(buf);
	return rc;
}

static int begin(struct vfioiommu_device *dev, const char *fn, int fd, struct vfioiommu_mig_result *res,
		 struct vfioiommu_mig_result *full, struct vfioiommu_mig_result **r)
{
	if (!(*r = vi_mig_result(dev, fn, res, full)))
		return -EINVAL;
	if (fd < 0)
		return vi_fail(dev->ctx, -EINVAL, "%s: fd %d is not a file descriptor", fn, fd);
	return 0;
}

VFIOIOMMU_API int vfioiommu_mig_save_chunk(vfioiommu_device *dev, int fd, struct vfioiommu_mig_result *res)
{
	struct vfioiommu_mig_result full, *r;
	enum vfioiommu_mig_state st;
	int rc;

	if (!dev)
		return -EINVAL;
	if ((rc = begin(dev, "vfioiommu_mig_save_chunk", fd, res, &full, &r)) < 0)
		return rc;
	pthread_mutex_lock(&dev->ctx->lock);
	rc = vi_mig_read_state(dev, &st);
	if (rc == 0) {
		r->state = st;
		r->state_unknown = false;
		if (!precopy_state(st) || !dev->mig || dev->mig->data_fd < 0)
			rc = vi_fail(dev->ctx, -EINVAL, "%s: vfioiommu_mig_save_chunk needs the device in PRE_COPY or "
				     "PRE_COPY_P2P (entered through vfioiommu_mig_set_state()); it is in %s", dev->bdf,
				     vfioiommu_mig_state_name(st));
		else
			rc = save_locked(dev, fd, r, false);
	}
	pthread_mutex_unlock(&dev->ctx->lock);
	vi_mig_result_out(res, r);
	return rc;
}

VFIOIOMMU_API int vfioiommu_mig_save(vfioiommu_device *dev, int fd, struct vfioiommu_mig_result *res)
{
	struct vfioiommu_mig_result full, *r;
	int rc;

	if (!dev)
		return -EINVAL;
	if ((rc = begin(dev, "vfioiommu_mig_save", fd, res, &full, &r)) < 0)
		return rc;
	pthread_mutex_lock(&dev->ctx->lock);
	rc = vi_mig_walk(dev, VFIOIOMMU_MIG_STOP_COPY, r);
	if (rc == 0 && dev->mig->data_fd < 0)
		rc = vi_fail(dev->ctx, -EPROTO, "%s: the device entered STOP_COPY without a data fd", dev->bdf);
	if (rc == 0)
		rc = save_locked(dev, fd, r, true);
	if (rc == 0)
		rc = vi_mig_walk(dev, VFIOIOMMU_MIG_STOP, r);
	pthread_mutex_unlock(&dev->ctx->lock);
	vi_mig_result_out(res, r);
	return rc;
}

/* A restore failed past RESUMING: drop the data fd, say where the device is. */
static int in_failed(struct vfioiommu_device *dev, int rc, struct vfioiommu_mig_result *r, const char *what)
{
	vi_mig_drop_fd(dev);
	vi_mig_note_state(dev, r);
	return vi_fail(dev->ctx, rc, "%s: restoring: %s (%s, after %llu bytes of device data); the device is in %s%s",
		       dev->bdf, what, vi_errno_name(rc), (unsigned long long)r->bytes,
		       r->state_unknown ? "an unknown state" : vfioiommu_mig_state_name(r->state),
		       !r->state_unknown && r->state == VFIOIOMMU_MIG_RESUMING
			       ? " with part of a state: vfioiommu_mig_recover() resets it to RUNNING" : "");
}

static int restore_locked(struct vfioiommu_device *dev, int fd, struct vfioiommu_mig_result *r)
{
	struct vi_mig *mg;
	enum vfioiommu_mig_state st;
	uint8_t hdr[CHUNK_HDR], *buf = NULL;
	ssize_t got;
	int rc = vi_mig_read_state(dev, &st);

	if (rc < 0)
		return rc;
	if (!(mg = vi_mig_get(dev)))
		return -ENOMEM;
	r->state = st;
	r->state_unknown = false;
	if (st == VFIOIOMMU_MIG_RESUMING && mg->data_fd < 0)
		return vi_fail(dev->ctx, -EBUSY, "%s: the device is in RESUMING from an earlier restore that failed; "
			       "vfioiommu_mig_recover() resets it first", dev->bdf);
	if ((rc = vi_mig_walk(dev, VFIOIOMMU_MIG_RESUMING, r)) < 0)
		return rc;
	if (mg->data_fd < 0)
		return in_failed(dev, -EPROTO, r, "the device entered RESUMING without a data fd");
	got = read_full(dev->ctx, fd, hdr, MAGIC_LEN);
	if (got < 0)
		return in_failed(dev, (int)got, r, "reading the stream's header");
	if (got < MAGIC_LEN || memcmp(hdr, MAGIC, MAGIC_LEN))
		return in_failed(dev, got < MAGIC_LEN ? -EPIPE : -EBADMSG, r,
				 got < MAGIC_LEN ? "the stream ends inside its header"
						 : "not a device-state stream of this library (bad header)");
	if (!(buf = malloc(CHUNK_MAX)))
		return in_failed(dev, -ENOMEM, r, "out of memory");
	for (;;) {
		uint32_t len, flags;
		uint64_t check;

		got = read_full(dev->ctx, fd, hdr, CHUNK_HDR);
		if (got < 0) {
			rc = in_failed(dev, (int)got, r, "reading the stream");
			break;
		}
		if (got < CHUNK_HDR) {
			rc = in_failed(dev, -EPIPE, r, "the stream ends without its end marker (truncated)");
			break;
		}
		len = (uint32_t)get_le(hdr, 4);
		flags = (uint32_t)get_le(hdr + 4, 4);
		check = get_le(hdr + 8, 8);
		if (flags == FLAG_END && len == 0) {
			rc = check == r->bytes ? 0
					       : in_failed(dev, -EBADMSG, r, "the end marker counts another total "
							   "than the bytes received");
			break;
		}
		if (flags != 0 || len == 0 || len > CHUNK_MAX) {
			rc = in_failed(dev, -EBADMSG, r, "a malformed chunk header");
			break;
		}
		got = read_full(dev->ctx, fd, buf, len);
		if (got < 0) {
			rc = in_failed(dev, (int)got, r, "reading the stream");
			break;
		}
		if ((size_t)got < len) {
			rc = in_failed(dev, -EPIPE, r, "the stream ends inside a chunk (truncated)");
			break;
		}
		if (fnv1a(buf, len) != check) {
			rc = in_failed(dev, -EBADMSG, r, "a chunk does not match its checksum "
				       "(corrupted; none of it was given to the device)");
			break;
		}
		rc = write_all(dev->ctx, mg->data_fd, buf, len);
		if (rc < 0) {
			rc = in_failed(dev, rc, r, "the device refused the data");
			break;
		}
		r->bytes += len;
	}
	free(buf);
	if (rc < 0)
		return rc;
	rc = vi_mig_walk(dev, VFIOIOMMU_MIG_STOP, r);
	if (rc < 0)
		vi_mig_drop_fd(dev);
	return rc;
}

VFIOIOMMU_API int vfioiommu_mig_restore(vfioiommu_device *dev, int fd, struct vfioiommu_mig_result *res)
{
	struct vfioiommu_mig_result full, *r;
	int rc;

	if (!dev)
		return -EINVAL;
	if ((rc = begin(dev, "vfioiommu_mig_restore", fd, res, &full, &r)) < 0)
		return rc;
	pthread_mutex_lock(&dev->ctx->lock);
	rc = restore_locked(dev, fd, r);
	pthread_mutex_unlock(&dev->ctx->lock);
	vi_mig_result_out(res, r);
	return rc;
}
