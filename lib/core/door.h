/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * The door: the only way lib/ reaches the kernel.  Every entry returns a
 * non-negative result or a negative errno (never -1 + errno), so callers
 * never touch errno and the mock can inject any failure.
 */
#ifndef VI_DOOR_H
#define VI_DOOR_H

#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <vfioiommu/common.h>

typedef int (*vi_dirent_fn)(void *arg, const char *name);

struct vfioiommu_door {
	const char *name;
	void *priv;
	int (*open)(void *priv, const char *path, int flags);
	int (*close)(void *priv, int fd);
	int (*ioctl)(void *priv, int fd, unsigned long req, void *arg);
	/* returns the mapping or NULL with *err set */
	void *(*mmap)(void *priv, void *addr, size_t len, int prot, int flags, int fd,
		      int64_t off, int *err);
	int (*munmap)(void *priv, void *addr, size_t len);
	ssize_t (*read)(void *priv, int fd, void *buf, size_t n);
	ssize_t (*write)(void *priv, int fd, const void *buf, size_t n);
	ssize_t (*pread)(void *priv, int fd, void *buf, size_t n, int64_t off);
	ssize_t (*pwrite)(void *priv, int fd, const void *buf, size_t n, int64_t off);
	int (*poll)(void *priv, struct pollfd *fds, unsigned int n, int timeout_ms);
	int (*eventfd)(void *priv, unsigned int init, int flags);
	int (*memfd)(void *priv, const char *name, unsigned int flags, uint64_t size);
	/*
	 * whole small file (sysfs attribute) into buf, NUL-terminated; returns
	 * length.  -EFBIG when it may not fit in n - 1 bytes; -EPROTO when path
	 * is not a regular file (a FIFO, device or directory: sysfs attributes
	 * are regular files), found without blocking.  sysfs_write: the same
	 * refusal of non-regular files.
	 */
	ssize_t (*sysfs_read)(void *priv, const char *path, char *buf, size_t n);
	ssize_t (*sysfs_write)(void *priv, const char *path, const char *buf, size_t n);
	/*
	 * link target into buf, NUL-terminated; returns length.  -ENAMETOOLONG
	 * when the whole target does not fit in n - 1 bytes: never a cut target.
	 */
	ssize_t (*readlink)(void *priv, const char *path, char *buf, size_t n);
	/* calls fn for each entry except "." and ".."; stops early if fn returns non-zero */
	int (*listdir)(void *priv, const char *path, vi_dirent_fn fn, void *arg);
	/* 0 when path exists, else -errno */
	int (*exists)(void *priv, const char *path);
	/* stat(2) of a path (a /dev node): type, mode, owner, device number; -errno */
	int (*stat)(void *priv, const char *path, struct stat *st);

	/*
	 * Kernel uevents (lib/hotplug/, lib/device/bind.c).  A door without them leaves these NULL.
	 * uevent_open: a non-blocking, close-on-exec socket on the kernel's uevent
	 * multicast group (NETLINK_KOBJECT_UEVENT group 1) with a large receive
	 * buffer; returns its fd (a real fd: callers poll it).
	 * uevent_recv: one message into buf; only the kernel's (sender port 0) are
	 * returned, others are dropped.  -EAGAIN when none is queued; -ENOBUFS when
	 * the kernel dropped messages since the last call; -EMSGSIZE when one did
	 * not fit in n (it is lost).
	 * uevent_close: release what uevent_open made (also when it "fails").
	 */
	int (*uevent_open)(void *priv);
	ssize_t (*uevent_recv)(void *priv, int fd, void *buf, size_t n);
	int (*uevent_close)(void *priv, int fd);

	/*
	 * fd passing over a unix socket (SCM_RIGHTS; lib/context/fdpass.c).  NULL in a door without it.
	 * sendfds: one message of len bytes carrying nfds fds (0..VI_FDPASS_MAX); returns bytes sent.
	 * recvfds: one message into buf (n bytes) and up to maxfds fds, received close-on-exec;
	 * *nfds = how many came.  A message or fd list that did not fit is -EMSGSIZE with every fd
	 * that came closed.  Returns the bytes received (0: the peer closed).
	 */
	ssize_t (*sendfds)(void *priv, int sock, const void *buf, size_t len, const int *fds, unsigned int nfds);
	ssize_t (*recvfds)(void *priv, int sock, void *buf, size_t n, int *fds, unsigned int maxfds,
			   unsigned int *nfds);
};
#define VI_FDPASS_MAX 64

#endif
