/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/**
 * @file vfioiommu/fdpass.h
 * Sending VFIO and iommufd fds with their kind over a unix socket: the
 * launcher side of privilege separation (see vfioiommu/adopt.h).
 *
 * A privileged launcher opens /dev/iommu and the device cdevs (or
 * /dev/vfio/vfio and the group nodes), describes each fd with a
 * struct vfioiommu_fd_entry and calls vfioiommu_fds_send(); the unprivileged
 * process calls vfioiommu_fds_recv() and hands each entry to
 * vfioiommu_ctx_adopt() or vfioiommu_device_adopt().  One message carries
 * a small versioned header, the entries and the fds (SCM_RIGHTS); a message
 * of another version, a truncated one or one whose fd count does not match
 * is refused whole, with every fd that came closed.
 *
 * @code
 *   // launcher (root): sock is one end of a socketpair shared with the VMM
 *   struct vfioiommu_fd_entry e[2] = {
 *       { .kind = VFIOIOMMU_FD_IOMMUFD, .fd = open("/dev/iommu", O_RDWR) },
 *       { .kind = VFIOIOMMU_FD_CDEV, .name = "0000:03:00.0", .fd = open("/dev/vfio/devices/vfio0", O_RDWR) },
 *   };
 *   vfioiommu_fds_send(ctx, sock, e, 2);
 *   // VMM (any uid)
 *   struct vfioiommu_fd_entry r[VFIOIOMMU_FDPASS_MAX];
 *   unsigned int n;
 *   vfioiommu_fds_recv(ctx, sock, r, VFIOIOMMU_FDPASS_MAX, &n);
 * @endcode
 */
#ifndef VFIOIOMMU_FDPASS_H
#define VFIOIOMMU_FDPASS_H

#include <vfioiommu/adopt.h>
#include <vfioiommu/common.h>

VFIOIOMMU_BEGIN_DECLS

/** The most fds one message carries. */
#define VFIOIOMMU_FDPASS_MAX 16
/** Room for a device name in an entry, NUL included. */
#define VFIOIOMMU_FDPASS_NAME_MAX 32

/** One fd and what it is: the fields of struct vfioiommu_adopt_opts that travel with it. */
struct vfioiommu_fd_entry {
	/** enum vfioiommu_fd_kind. */
	uint32_t kind;
	/** VFIOIOMMU_FD_GROUP, VFIOIOMMU_FD_DEVICE: the group's number. */
	uint32_t group;
	/** VFIOIOMMU_FD_CDEV_BOUND: the device id of the bind. */
	uint32_t devid;
	/** VFIOIOMMU_FD_IOMMUFD: an IOAS on it to use, 0 for none. */
	uint32_t ioas_id;
	/** The device's name (PCI address), NUL-terminated; "" for none. */
	char name[VFIOIOMMU_FDPASS_NAME_MAX];
	/** The fd: sent by vfioiommu_fds_send(), the receiver's new fd after vfioiommu_fds_recv(). */
	int32_t fd;
	/** Reserved: 0. */
	uint32_t reserved;
};

/**
 * Send @p n fds with their entries as one message on a connected unix
 * socket.  The fds stay open in the sender (the receiver gets its own
 * copies): close them once sent.
 *
 * @param ctx     a context, for the door and the message (it needs no backend)
 * @param sock    a connected AF_UNIX socket (SOCK_STREAM or SOCK_SEQPACKET)
 * @param entries the entries
 * @param n       how many, 1 to VFIOIOMMU_FDPASS_MAX
 * @return 0; -EINVAL NULL @p ctx or @p entries, @p n 0 or above
 * VFIOIOMMU_FDPASS_MAX, an entry with an unknown kind, a negative fd, a name
 * without its NUL or reserved not 0; -EBADF an fd is not open; other
 * -errno of sendmsg(2) (-EPIPE: the receiver is gone).
 */
VFIOIOMMU_API int vfioiommu_fds_send(vfioiommu_ctx *ctx, int sock, const struct vfioiommu_fd_entry *entries,
				     unsigned int n);

/**
 * Receive one message of vfioiommu_fds_send(): entries with the new fds
 * (close-on-exec), which belong to the caller (hand them to the adopt calls,
 * which then own them, or close them).  A refused message delivers nothing:
 * every fd that came with it is closed.
 *
 * @param ctx     a context, for the door and the message
 * @param sock    the socket
 * @param entries receives the entries
 * @param max     room in @p entries
 * @param n       receives how many came (the count the message claims on -ENOSPC)
 * @return 0; -EINVAL NULL argument; -ENOSPC more entries than @p max;
 * -EPROTO not such a message, a truncated one, one whose fd count differs
 * from its entries, an unknown kind or a name without its NUL;
 * -EPROTONOSUPPORT a message of another version; -EMSGSIZE a message larger
 * than any version-1 message; -ECONNRESET the socket was closed with no
 * message; other -errno of recvmsg(2).
 */
VFIOIOMMU_API int vfioiommu_fds_recv(vfioiommu_ctx *ctx, int sock, struct vfioiommu_fd_entry *entries,
				     unsigned int max, unsigned int *n);

VFIOIOMMU_END_DECLS

#endif
