/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * The system door: the real kernel.  This file and lib/mock/ are the only
 * places that make syscalls; everything else goes through a door.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <vfioiommu/context.h>

#include "door.h"

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

static ssize_t sys_sysfs_read(void *p, const char *path, char *buf, size_t n)
{
	size_t got = 0;
	int fd;

	if (n == 0)
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
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
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	rc = write(fd, buf, n);
	rc = rc < 0 ? -errno : rc;
	close(fd);
	return rc;
}

static ssize_t sys_readlink(void *p, const char *path, char *buf, size_t n)
{
	ssize_t rc;

	if (n == 0)
		return -EINVAL;
	rc = readlink(path, buf, n - 1);
	if (rc < 0)
		return -errno;
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
};

VFIOIOMMU_API const vfioiommu_door *vfioiommu_door_system(void)
{
	return &system_door;
}
