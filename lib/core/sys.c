/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * The system door: the real kernel.  This file and lib/mock/ are the only
 * places that make syscalls; everything else goes through a door.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <vfioiommu/context.h>

#include "config.h"
#include "door.h"
#include "internal.h"

#if VFIOIOMMU_HAVE_LIBNL
#include <linux/netlink.h>
#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#endif

static int neg(long rc)
{
	return rc < 0 ? -errno : (int)rc;
}

static int sys_open(void *p, const char *path, int flags)
{
	return neg(open(path, flags | O_CLOEXEC));
}

static int sys_close(void *p, int fd)
{
	/* Linux releases the fd even when close() reports an error: never retry. */
	return neg(close(fd));
}

static int sys_ioctl(void *p, int fd, unsigned long req, void *arg)
{
	int rc;

	do
		rc = ioctl(fd, req, arg);
	while (rc < 0 && errno == EINTR);
	return rc < 0 ? -errno : rc;
}

static void *sys_mmap(void *p, void *addr, size_t len, int prot, int flags, int fd,
		      int64_t off, int *err)
{
	void *m = mmap(addr, len, prot, flags, fd, (off_t)off);

	if (m == MAP_FAILED) {
		*err = -errno;
		return NULL;
	}
	return m;
}

static int sys_munmap(void *p, void *addr, size_t len)
{
	return neg(munmap(addr, len));
}

static ssize_t sys_read(void *p, int fd, void *buf, size_t n)
{
	ssize_t rc;

	do
		rc = read(fd, buf, n);
	while (rc < 0 && errno == EINTR);
	return rc < 0 ? -errno : rc;
}

static ssize_t sys_write(void *p, int fd, const void *buf, size_t n)
{
	ssize_t rc;

	do
		rc = write(fd, buf, n);
	while (rc < 0 && errno == EINTR);
	return rc < 0 ? -errno : rc;
}

static ssize_t sys_pread(void *p, int fd, void *buf, size_t n, int64_t off)
{
	ssize_t rc;

	do
		rc = pread(fd, buf, n, (off_t)off);
	while (rc < 0 && errno == EINTR);
	return rc < 0 ? -errno : rc;
}

static ssize_t sys_pwrite(void *p, int fd, const void *buf, size_t n, int64_t off)
{
	ssize_t rc;

	do
		rc = pwrite(fd, buf, n, (off_t)off);
	while (rc < 0 && errno == EINTR);
	return rc < 0 ? -errno : rc;
}

static int sys_poll(void *p, struct pollfd *fds, unsigned int n, int ms)
{
	return neg(poll(fds, n, ms));
}

static int sys_eventfd(void *p, unsigned int init, int flags)
{
	return neg(eventfd(init, flags | EFD_CLOEXEC));
}

static int sys_memfd(void *p, const char *name, unsigned int flags, uint64_t size)
{
	int fd = memfd_create(name, flags | MFD_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)size) < 0) {
		int err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

/*
 * sysfs attributes are regular files.  A tree under another sysfs_root may
 * hold anything: open without blocking (a FIFO with no writer would block
 * open() and read() forever), then refuse what is not a regular file.
 */
static int sysfs_open(const char *path, int flags)
{
	struct stat st;
	int fd = open(path, flags | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		int err = -errno;
		close(fd);
		return err;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return -EPROTO;
	}
	return fd;
}

static ssize_t sys_sysfs_read(void *p, const char *path, char *buf, size_t n)
{
	size_t got = 0;
	int fd;

	if (n == 0)
		return -EINVAL;
	fd = sysfs_open(path, O_RDONLY);
	if (fd < 0)
		return fd;
	/* bounded: at most n - 1 bytes, whatever the file claims */
	while (got < n - 1) {
		ssize_t rc = read(fd, buf + got, n - 1 - got);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc < 0) {
			int err = -errno;
			close(fd);
			return err;
		}
		if (rc == 0)
			break;
		got += (size_t)rc;
	}
	close(fd);
	buf[got] = '\0';
	/* A full buffer means the attribute may be longer than we can hold. */
	return got == n - 1 ? -EFBIG : (ssize_t)got;
}

static ssize_t sys_sysfs_write(void *p, const char *path, const char *buf, size_t n)
{
	ssize_t rc;
	int fd = sysfs_open(path, O_WRONLY);

	if (fd < 0)
		return fd;
	do
		rc = write(fd, buf, n);
	while (rc < 0 && errno == EINTR);
	rc = rc < 0 ? -errno : rc;
	close(fd);
	return rc;
}

static ssize_t sys_readlink(void *p, const char *path, char *buf, size_t n)
{
	ssize_t rc;

	if (n == 0)
		return -EINVAL;
	/* readlink() cuts a long target silently: ask for n bytes, so a full buffer means cut */
	rc = readlink(path, buf, n);
	if (rc < 0)
		return -errno;
	if ((size_t)rc >= n) {
		buf[0] = '\0';
		return -ENAMETOOLONG;
	}
	buf[rc] = '\0';
	return rc;
}

static int sys_listdir(void *p, const char *path, vi_dirent_fn fn, void *arg)
{
	struct dirent *de;
	int rc = 0;
	DIR *d = opendir(path);

	if (!d)
		return -errno;
	while ((de = readdir(d)) != NULL) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		rc = fn(arg, de->d_name);
		if (rc)
			break;
	}
	closedir(d);
	/* a positive value only means the callback stopped early */
	return rc > 0 ? 0 : rc;
}

static int sys_exists(void *p, const char *path)
{
	struct stat st;

	return stat(path, &st) < 0 ? -errno : 0;
}

static int sys_stat(void *p, const char *path, struct stat *st)
{
	return stat(path, st) < 0 ? -errno : 0;
}

/* ---------------- kernel uevents ---------------- */

#if VFIOIOMMU_HAVE_LIBNL

/*
 * Bursts (a whole SR-IOV PF's VFs binding at once) must not overrun the
 * socket: ask for 8 MiB, forced past rmem_max when we may (CAP_NET_ADMIN),
 * else as much as rmem_max allows.
 */
#define UEVENT_RCVBUF (8 << 20)

/* The libnl socket behind each fd handed out, so uevent_close can free it. */
static pthread_mutex_t nl_lock = PTHREAD_MUTEX_INITIALIZER;
static struct nl_slot {
	int fd;
	struct nl_sock *sk;
} *nl_tab;
static size_t nl_n;

static int nl_errno(int nlerr)
{
	switch (nlerr < 0 ? -nlerr : nlerr) {
	case NLE_NOMEM: return -ENOMEM;
	case NLE_PERM: return -EPERM;
	case NLE_NOACCESS: return -EACCES;
	case NLE_AGAIN: return -EAGAIN;
	case NLE_OPNOTSUPP: return -EOPNOTSUPP;
	case NLE_PROTO_MISMATCH: return -EPROTONOSUPPORT;
	case NLE_AF_NOSUPPORT: return -EAFNOSUPPORT;
	case NLE_BAD_SOCK: return -EBADF;
	case NLE_INVAL: return -EINVAL;
	default: return -EIO;
	}
}

static int nl_remember(int fd, struct nl_sock *sk)
{
	struct nl_slot *t;

	pthread_mutex_lock(&nl_lock);
	t = realloc(nl_tab, (nl_n + 1) * sizeof(*t));
	if (!t) {
		pthread_mutex_unlock(&nl_lock);
		return -ENOMEM;
	}
	nl_tab = t;
	nl_tab[nl_n++] = (struct nl_slot){ fd, sk };
	pthread_mutex_unlock(&nl_lock);
	return 0;
}

static struct nl_sock *nl_forget(int fd)
{
	struct nl_sock *sk = NULL;

	pthread_mutex_lock(&nl_lock);
	for (size_t i = 0; i < nl_n; i++) {
		if (nl_tab[i].fd == fd) {
			sk = nl_tab[i].sk;
			nl_tab[i] = nl_tab[--nl_n];
			break;
		}
	}
	if (nl_n == 0) {
		free(nl_tab);
		nl_tab = NULL;
	}
	pthread_mutex_unlock(&nl_lock);
	return sk;
}

static int sys_uevent_open(void *p)
{
	struct nl_sock *sk = nl_socket_alloc();
	int rc, fd, size = UEVENT_RCVBUF;

	if (!sk)
		return -ENOMEM;
	/* uevents carry no netlink sequence numbers */
	nl_socket_disable_seq_check(sk);
	rc = nl_connect(sk, NETLINK_KOBJECT_UEVENT);
	if (rc < 0) {
		nl_socket_free(sk);
		return nl_errno(rc);
	}
	fd = nl_socket_get_fd(sk);
	rc = nl_socket_add_membership(sk, 1);
	if (rc == 0)
		rc = nl_socket_set_nonblocking(sk);
	if (rc < 0) {
		nl_socket_free(sk);
		return nl_errno(rc);
	}
	if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
		rc = -errno;
		nl_socket_free(sk);
		return rc;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0) {
		rc = nl_socket_set_buffer_size(sk, UEVENT_RCVBUF, 0);
		if (rc < 0) {
			nl_socket_free(sk);
			return nl_errno(rc);
		}
	}
	rc = nl_remember(fd, sk);
	if (rc < 0) {
		nl_socket_free(sk);
		return rc;
	}
	return fd;
}

static ssize_t sys_uevent_recv(void *p, int fd, void *buf, size_t n)
{
	for (;;) {
		struct sockaddr_nl sa;
		struct iovec iov = { buf, n };
		struct msghdr mh = { .msg_name = &sa, .msg_namelen = sizeof(sa), .msg_iov = &iov, .msg_iovlen = 1 };
		ssize_t rc = recvmsg(fd, &mh, MSG_DONTWAIT);

		if (rc < 0 && errno == EINTR)
			continue;
		if (rc < 0)
			return -errno; /* EAGAIN: drained; ENOBUFS: the kernel dropped some */
		/* anyone with the right to send to the group could pose as the kernel: only port 0 is */
		if (mh.msg_namelen < sizeof(sa) || sa.nl_family != AF_NETLINK || sa.nl_pid != 0)
			continue;
		if (mh.msg_flags & MSG_TRUNC)
			return -EMSGSIZE;
		return rc;
	}
}

static int sys_uevent_close(void *p, int fd)
{
	struct nl_sock *sk = nl_forget(fd);

	if (!sk)
		return -EBADF;
	nl_socket_free(sk); /* closes fd */
	return 0;
}
#else
/* built without libnl-3 (meson -Dlibnl=disabled): no uevent socket on the real kernel */
static int sys_uevent_open(void *p)
{
	return -EOPNOTSUPP;
}

static ssize_t sys_uevent_recv(void *p, int fd, void *buf, size_t n)
{
	return -EOPNOTSUPP;
}

static int sys_uevent_close(void *p, int fd)
{
	return -EOPNOTSUPP;
}
#endif

static ssize_t sys_sendfds(void *p, int sock, const void *buf, size_t len, const int *fds, unsigned int nfds)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * VI_FDPASS_MAX)];
		struct cmsghdr align;
	} u;
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t rc;

	(void)p;
	if (nfds > VI_FDPASS_MAX)
		return -EINVAL;
	if (nfds) {
		struct cmsghdr *c;

		memset(&u, 0, sizeof(u));
		msg.msg_control = u.buf;
		msg.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
	}
	do
		rc = sendmsg(sock, &msg, MSG_NOSIGNAL);
	while (rc < 0 && errno == EINTR);
	return rc < 0 ? -errno : rc;
}

static ssize_t sys_recvfds(void *p, int sock, void *buf, size_t n, int *fds, unsigned int maxfds,
			   unsigned int *nfds)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * VI_FDPASS_MAX)];
		struct cmsghdr align;
	} u;
	struct iovec iov = { .iov_base = buf, .iov_len = n };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
			      .msg_controllen = sizeof(u.buf) };
	unsigned int got = 0;
	bool dropped = false;
	ssize_t rc;

	(void)p;
	*nfds = 0;
	do
		rc = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	while (rc < 0 && errno == EINTR);
	if (rc < 0)
		return -errno;
	/* collect every fd that came, so none is leaked whatever else is wrong */
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
		size_t k;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < k; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (got < maxfds && got < VI_FDPASS_MAX) {
				fds[got++] = fd;
			} else {
				close(fd);
				dropped = true;
			}
		}
	}
	if ((msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) || dropped) {
		while (got)
			close(fds[--got]);
		return -EMSGSIZE;
	}
	*nfds = got;
	return rc;
}

static const struct vfioiommu_door system_door = {
	.name = "system",
	.open = sys_open,
	.close = sys_close,
	.ioctl = sys_ioctl,
	.mmap = sys_mmap,
	.munmap = sys_munmap,
	.read = sys_read,
	.write = sys_write,
	.pread = sys_pread,
	.pwrite = sys_pwrite,
	.poll = sys_poll,
	.eventfd = sys_eventfd,
	.memfd = sys_memfd,
	.sysfs_read = sys_sysfs_read,
	.sysfs_write = sys_sysfs_write,
	.readlink = sys_readlink,
	.listdir = sys_listdir,
	.exists = sys_exists,
	.stat = sys_stat,
	.uevent_open = sys_uevent_open,
	.uevent_recv = sys_uevent_recv,
	.uevent_close = sys_uevent_close,
	.sendfds = sys_sendfds,
	.recvfds = sys_recvfds,
};

VFIOIOMMU_API const vfioiommu_door *vfioiommu_door_system(void)
{
	return &system_door;
}

VFIOIOMMU_API int vfioiommu_door_ioctl(const vfioiommu_door *door, int fd, unsigned long request, void *arg)
{
	if (!door)
		door = &system_door;
	return door->ioctl(door->priv, fd, request, arg);
}

/* ---------------- facts about this process (not through a door: the mock has no users or limits) ---------------- */

void vi_proc_ids(unsigned int *uid, unsigned int *gid)
{
	*uid = (unsigned int)geteuid();
	*gid = (unsigned int)getegid();
}

bool vi_proc_in_group(unsigned int gid)
{
	gid_t groups[256];
	int n = getgroups(256, groups);

	if ((gid_t)gid == getegid())
		return true;
	for (int i = 0; i < n; i++)
		if (groups[i] == (gid_t)gid)
			return true;
	return false;
}

void vi_proc_user_name(unsigned int uid, char *buf, size_t n)
{
	char tmp[1024];
	struct passwd pw, *res = NULL;

	if (getpwuid_r((uid_t)uid, &pw, tmp, sizeof(tmp), &res) == 0 && res)
		snprintf(buf, n, "%s", res->pw_name);
	else
		snprintf(buf, n, "%u", uid);
}

void vi_proc_group_name(unsigned int gid, char *buf, size_t n)
{
	char tmp[1024];
	struct group gr, *res = NULL;

	if (getgrgid_r((gid_t)gid, &gr, tmp, sizeof(tmp), &res) == 0 && res)
		snprintf(buf, n, "%s", res->gr_name);
	else
		snprintf(buf, n, "%u", gid);
}

int vi_proc_memlock(uint64_t *soft, uint64_t *hard)
{
	struct rlimit r;

	if (getrlimit(RLIMIT_MEMLOCK, &r) < 0)
		return -errno;
	*soft = r.rlim_cur == RLIM_INFINITY ? UINT64_MAX : (uint64_t)r.rlim_cur;
	*hard = r.rlim_max == RLIM_INFINITY ? UINT64_MAX : (uint64_t)r.rlim_max;
	return 0;
}
