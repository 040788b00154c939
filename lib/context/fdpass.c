/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * fds with their kind over a unix socket.  One message: a 24-byte header
 * ("VFIOFDS\0", u16 version 1, u16 header size 24, u32 count, u32 entry size
 * 48, u32 reserved), then count 48-byte entries (kind, group, devid, ioas_id,
 * name[32]), in host byte order (both ends are on one host); the fds ride
 * as SCM_RIGHTS in entry order.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <vfioiommu/fdpass.h>

#include "core/internal.h"

#define WIRE_VERSION 1
#define HDR_SIZE 24
#define ENTRY_SIZE 48
static const char magic[8] = "VFIOFDS";

struct wire_hdr {
	char magic[8];
	uint16_t version;
	uint16_t hdr_size;
	uint32_t count;
	uint32_t entry_size;
	uint32_t reserved;
};
_Static_assert(sizeof(struct wire_hdr) == HDR_SIZE, "wire header");

struct wire_entry {
	uint32_t kind, group, devid, ioas_id;
	char name[VFIOIOMMU_FDPASS_NAME_MAX];
};
_Static_assert(sizeof(struct wire_entry) == ENTRY_SIZE, "wire entry");
_Static_assert(VFIOIOMMU_FDPASS_MAX <= VI_FDPASS_MAX, "the door carries every fd of a message");

static bool kind_ok(uint32_t k)
{
	return k >= VFIOIOMMU_FD_IOMMUFD && k <= VFIOIOMMU_FD_CDEV_BOUND;
}

VFIOIOMMU_API int vfioiommu_fds_send(vfioiommu_ctx *ctx, int sock, const struct vfioiommu_fd_entry *entries,
				     unsigned int n)
{
	unsigned char buf[HDR_SIZE + VFIOIOMMU_FDPASS_MAX * ENTRY_SIZE];
	struct wire_hdr h = { .version = WIRE_VERSION, .hdr_size = HDR_SIZE, .count = n, .entry_size = ENTRY_SIZE };
	int fds[VFIOIOMMU_FDPASS_MAX];
	ssize_t rc;

	if (!ctx)
		return -EINVAL;
	if (!entries || n == 0 || n > VFIOIOMMU_FDPASS_MAX)
		return vi_fail(ctx, -EINVAL, "vfioiommu_fds_send: %s (1 to %d entries)",
			       entries ? "bad count" : "entries is NULL", VFIOIOMMU_FDPASS_MAX);
	memcpy(h.magic, magic, sizeof(magic));
	memcpy(buf, &h, sizeof(h));
	for (unsigned int i = 0; i < n; i++) {
		const struct vfioiommu_fd_entry *e = &entries[i];
		struct wire_entry w = { e->kind, e->group, e->devid, e->ioas_id, { 0 } };

		if (!kind_ok(e->kind) || e->fd < 0 || e->reserved ||
		    !memchr(e->name, 0, sizeof(e->name)))
			return vi_fail(ctx, -EINVAL, "vfioiommu_fds_send: entry %u: %s", i,
				       !kind_ok(e->kind) ? "unknown kind" : e->fd < 0 ? "negative fd" :
				       e->reserved ? "reserved is not 0" : "name has no NUL");
		memcpy(w.name, e->name, sizeof(w.name));
		memcpy(buf + HDR_SIZE + (size_t)i * ENTRY_SIZE, &w, sizeof(w));
		fds[i] = e->fd;
	}
	rc = vi_ksendfds(ctx, sock, buf, HDR_SIZE + (size_t)n * ENTRY_SIZE, fds, n);
	if (rc >= 0 && rc != (ssize_t)(HDR_SIZE + (size_t)n * ENTRY_SIZE))
		/* a stream socket may take part of a message; only all of it is a message */
		return vi_fail(ctx, -EIO, "vfioiommu_fds_send: the socket took %zd of %zu bytes", rc,
			       (size_t)(HDR_SIZE + (size_t)n * ENTRY_SIZE));
	if (rc < 0)
		return vi_fail(ctx, (int)rc, "vfioiommu_fds_send: sendmsg of %u fds failed: %s%s", n,
			       vi_errno_name((int)rc), rc == -EBADF ? " (an entry's fd is not open, or sock is not)" :
			       rc == -EPIPE ? " (the receiver closed its end)" : "");
	return 0;
}

static void close_all(vfioiommu_ctx *ctx, const int *fds, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		vi_kclose(ctx, fds[i]);
}

VFIOIOMMU_API int vfioiommu_fds_recv(vfioiommu_ctx *ctx, int sock, struct vfioiommu_fd_entry *entries,
				     unsigned int max, unsigned int *n)
{
	/* one byte more than the largest version-1 message, so a larger one shows as such */
	unsigned char buf[HDR_SIZE + VFIOIOMMU_FDPASS_MAX * ENTRY_SIZE + 1];
	int fds[VFIOIOMMU_FDPASS_MAX];
	unsigned int nfds = 0;
	struct wire_hdr h;
	ssize_t len;
	int rc;

	if (!ctx)
		return -EINVAL;
	if (!entries || !n)
		return vi_fail(ctx, -EINVAL, "vfioiommu_fds_recv: NULL %s", entries ? "n" : "entries");
	*n = 0;
	len = vi_krecvfds(ctx, sock, buf, sizeof(buf), fds, VFIOIOMMU_FDPASS_MAX, &nfds);
	if (len == -EMSGSIZE)
		return vi_fail(ctx, -EMSGSIZE, "vfioiommu_fds_recv: the message (or its fds) is larger than any "
			       "version-1 message of at most %d fds; it was dropped with its fds",
			       VFIOIOMMU_FDPASS_MAX);
	if (len < 0)
		return vi_fail(ctx, (int)len, "vfioiommu_fds_recv: recvmsg failed: %s", vi_errno_name((int)len));
	if (len == 0)
		return vi_fail(ctx, -ECONNRESET, "vfioiommu_fds_recv: the sender closed the socket without a message");
	if (len == (ssize_t)sizeof(buf)) {
		rc = vi_fail(ctx, -EMSGSIZE, "vfioiommu_fds_recv: the message is larger than any version-1 message");
		goto refuse;
	}
	memset(&h, 0, sizeof(h));
	memcpy(&h, buf, (size_t)len < sizeof(h) ? (size_t)len : sizeof(h));
	if (len < (ssize_t)sizeof(magic) || memcmp(h.magic, magic, sizeof(magic))) {
		rc = vi_fail(ctx, -EPROTO, "vfioiommu_fds_recv: not a libvfioiommu fd message (%zd bytes, no "
			     "\"VFIOFDS\" magic)", len);
		goto refuse;
	}
	if (len < HDR_SIZE) {
		rc = vi_fail(ctx, -EPROTO, "vfioiommu_fds_recv: truncated message: %zd bytes, the header alone is %d",
			     len, HDR_SIZE);
		goto refuse;
	}
	if (h.version != WIRE_VERSION) {
		rc = vi_fail(ctx, -EPROTONOSUPPORT, "vfioiommu_fds_recv: message version %u; this library speaks "
			     "version %d (launcher and VMM must use compatible libvfioiommu)", h.version, WIRE_VERSION);
		goto refuse;
	}
	if (h.hdr_size != HDR_SIZE || h.entry_size != ENTRY_SIZE || h.reserved) {
		rc = vi_fail(ctx, -EPROTO, "vfioiommu_fds_recv: version-1 message with header size %u, entry size "
			     "%u, reserved %u (want %d, %d, 0)", h.hdr_size, h.entry_size, h.reserved, HDR_SIZE,
			     ENTRY_SIZE);
		goto refuse;
	}
	if (h.count > max) {
		*n = h.count;
		rc = vi_fail(ctx, -ENOSPC, "vfioiommu_fds_recv: the message has %u entries, room for %u", h.count, max);
		goto refuse;
	}
	if (h.count == 0 || h.count > VFIOIOMMU_FDPASS_MAX || len != HDR_SIZE + (ssize_t)h.count * ENTRY_SIZE) {
		rc = vi_fail(ctx, -EPROTO, "vfioiommu_fds_recv: truncated or malformed message: %zd bytes for %u "
			     "entries (want %u)", len, h.count, HDR_SIZE + h.count * ENTRY_SIZE);
		goto refuse;
	}
	if (nfds != h.count) {
		rc = vi_fail(ctx, -EPROTO, "vfioiommu_fds_recv: the message carries %u fds for %u entries", nfds,
			     h.count);
		goto refuse;
	}
	for (unsigned int i = 0; i < h.count; i++) {
		struct wire_entry w;

		memcpy(&w, buf + HDR_SIZE + (size_t)i * ENTRY_SIZE, sizeof(w));
		if (!kind_ok(w.kind) || !memchr(w.name, 0, sizeof(w.name))) {
			rc = vi_fail(ctx, -EPROTO, "vfioiommu_fds_recv: entry %u: %s", i,
				     !kind_ok(w.kind) ? "unknown kind" : "name without its NUL");
			goto refuse;
		}
		entries[i] = (struct vfioiommu_fd_entry){ .kind = w.kind, .group = w.group, .devid = w.devid,
							  .ioas_id = w.ioas_id, .fd = fds[i] };
		memcpy(entries[i].name, w.name, sizeof(w.name));
	}
	*n = h.count;
	return 0;
refuse:
	close_all(ctx, fds, nfds);
	return rc;
}
