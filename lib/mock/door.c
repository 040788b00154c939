/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * The mock's door: fd table, dispatch of /dev paths, fault injection.
 * fds below VFIOIOMMU_MOCK_FD_BASE are real (eventfd/memfd made through this
 * door) and pass through to the system door, so fault injection still sees
 * every call the library makes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "core/internal.h"
#include "kabi/kabi.h"
#include "mock.h"

static const struct vfioiommu_door *sysd(void)
{
	return vfioiommu_door_system();
}

struct vm_file *vm_file_new(const struct vm_file_ops *ops, void *obj)
{
	struct vm_file *f = calloc(1, sizeof(*f));

	if (f) {
		f->ops = ops;
		f->obj = obj;
		f->fd = -1;
	}
	return f;
}

int vm_fd_install(struct vfioiommu_mock *m, struct vm_file *f)
{
	for (unsigned int i = 0; i < VM_MAX_FDS; i++) {
		if (!m->files[i]) {
			m->files[i] = f;
			m->nfiles++;
			f->fd = VFIOIOMMU_MOCK_FD_BASE + (int)i;
			return f->fd;
		}
	}
	return -EMFILE;
}

struct vm_file *vm_fd_get(struct vfioiommu_mock *m, int fd)
{
	if (fd < VFIOIOMMU_MOCK_FD_BASE || fd >= VFIOIOMMU_MOCK_FD_BASE + VM_MAX_FDS)
		return NULL;
	return m->files[fd - VFIOIOMMU_MOCK_FD_BASE];
}

int vm_check_size(const void *arg, uint32_t usize, size_t min, size_t ksize)
{
	const unsigned char *p = arg;

	if (usize < min)
		return -EINVAL;
	/* copy_struct_from_user(): a longer struct is fine only if the tail is zero */
	for (size_t i = ksize; i < usize; i++)
		if (p[i])
			return -E2BIG;
	return 0;
}

/*
 * Ioctl names for fault sites ("ioctl VFIO_IOMMU_MAP_DMA").  Request numbers
 * repeat across kinds of fd (0x3b70 is VFIO_IOMMU_GET_INFO on a container and
 * VFIO_DEVICE_GET_PCI_HOT_RESET_INFO on a device), so each name carries the
 * kind of fd it is issued on: 'c' container, 'g' group, 'd' device, 'i' iommufd.
 */
#define VM_IOCTL(kind, x) { KABI_##x, kind, #x }
static const struct {
	unsigned long req;
	char kind;
	const char *name;
} ioctl_names[] = {
	VM_IOCTL('c', VFIO_GET_API_VERSION), VM_IOCTL('c', VFIO_CHECK_EXTENSION), VM_IOCTL('c', VFIO_SET_IOMMU),
	VM_IOCTL('c', VFIO_IOMMU_GET_INFO), VM_IOCTL('c', VFIO_IOMMU_MAP_DMA), VM_IOCTL('c', VFIO_IOMMU_UNMAP_DMA),
	VM_IOCTL('g', VFIO_GROUP_GET_STATUS), VM_IOCTL('g', VFIO_GROUP_SET_CONTAINER),
	VM_IOCTL('g', VFIO_GROUP_UNSET_CONTAINER), VM_IOCTL('g', VFIO_GROUP_GET_DEVICE_FD),
	VM_IOCTL('d', VFIO_DEVICE_GET_INFO), VM_IOCTL('d', VFIO_DEVICE_GET_REGION_INFO),
	VM_IOCTL('d', VFIO_DEVICE_GET_IRQ_INFO), VM_IOCTL('d', VFIO_DEVICE_SET_IRQS), VM_IOCTL('d', VFIO_DEVICE_RESET),
	VM_IOCTL('d', VFIO_DEVICE_GET_PCI_HOT_RESET_INFO), VM_IOCTL('d', VFIO_DEVICE_PCI_HOT_RESET),
	VM_IOCTL('d', VFIO_DEVICE_FEATURE), VM_IOCTL('d', VFIO_DEVICE_BIND_IOMMUFD),
	VM_IOCTL('d', VFIO_DEVICE_ATTACH_IOMMUFD_PT), VM_IOCTL('d', VFIO_DEVICE_DETACH_IOMMUFD_PT),
	VM_IOCTL('i', IOMMU_DESTROY), VM_IOCTL('i', IOMMU_IOAS_ALLOC), VM_IOCTL('i', IOMMU_IOAS_ALLOW_IOVAS),
	VM_IOCTL('i', IOMMU_IOAS_COPY), VM_IOCTL('i', IOMMU_IOAS_IOVA_RANGES), VM_IOCTL('i', IOMMU_IOAS_MAP),
	VM_IOCTL('i', IOMMU_IOAS_UNMAP), VM_IOCTL('i', IOMMU_OPTION), VM_IOCTL('i', IOMMU_VFIO_IOAS),
	VM_IOCTL('i', IOMMU_HWPT_ALLOC), VM_IOCTL('i', IOMMU_GET_HW_INFO), VM_IOCTL('i', IOMMU_FAULT_QUEUE_ALLOC),
	VM_IOCTL('i', IOMMU_IOAS_MAP_FILE), VM_IOCTL('i', IOMMU_VIOMMU_ALLOC), VM_IOCTL('i', IOMMU_VEVENTQ_ALLOC),
	VM_IOCTL('i', IOMMU_TEST_CMD), VM_IOCTL('i', IOMMU_HWPT_INVALIDATE), VM_IOCTL('i', IOMMU_VDEVICE_ALLOC),
	VM_IOCTL('i', IOMMU_IOAS_CHANGE_PROCESS), VM_IOCTL('i', IOMMU_HW_QUEUE_ALLOC),
	VM_IOCTL('m', VFIO_MIG_GET_PRECOPY_INFO), VM_IOCTL('c', VFIO_IOMMU_DIRTY_PAGES),
	VM_IOCTL('i', IOMMU_HWPT_SET_DIRTY_TRACKING), VM_IOCTL('i', IOMMU_HWPT_GET_DIRTY_BITMAP),
};

const char *vm_ioctl_name(char kind, unsigned long req)
{
	const char *only = NULL;
	unsigned int matches = 0;

	for (size_t i = 0; i < sizeof(ioctl_names) / sizeof(ioctl_names[0]); i++) {
		if (ioctl_names[i].req != req)
			continue;
		if (ioctl_names[i].kind == kind)
			return ioctl_names[i].name;
		only = ioctl_names[i].name;
		matches++;
	}
	/* on another kind of fd (IOMMU_VFIO_IOAS on iommufd's /dev/vfio/vfio), a number only one name has */
	return matches == 1 ? only : NULL;
}

/* The kind of a mock fd for vm_ioctl_name(), from its file's ops; 0 for other fds. */
static char fd_kind(struct vfioiommu_mock *m, int fd)
{
	struct vm_file *f = vm_fd_get(m, fd);
	const char *n = f && f->ops->name ? f->ops->name : "";

	if (!strcmp(n, "vfio-container"))
		return 'c';
	if (!strcmp(n, "vfio-group"))
		return 'g';
	if (!strcmp(n, "vfio-device"))
		return 'd';
	return strncmp(n, "iommufd", 7) ? 0 : 'i';
}

static void name_site(struct vfioiommu_mock *m, const char *what, int fd, unsigned long req)
{
	const char *name;

	if (!req) {
		snprintf(m->fault_site, sizeof(m->fault_site), "%s", what);
		return;
	}
	name = vm_ioctl_name(fd_kind(m, fd), req);
	if (name)
		snprintf(m->fault_site, sizeof(m->fault_site), "ioctl %s", name);
	else
		snprintf(m->fault_site, sizeof(m->fault_site), "ioctl 0x%lx", req);
}

/* Count the call and decide whether an armed fault fires on it (fd and req: ioctls only). */
static int enter(struct vfioiommu_mock *m, const char *what, int fd, unsigned long req)
{
	pthread_mutex_lock(&m->lock);
	m->calls++;
	if (m->fail_at && m->calls == m->fail_at) {
		m->fail_at = 0;
		m->fired = true;
		name_site(m, what, fd, req);
		return -m->fail_err;
	}
	if (req && m->fail_req_left && m->fail_req == req && --m->fail_req_left == 0) {
		m->fired = true;
		name_site(m, what, fd, req);
		return -m->fail_req_err;
	}
	return 0;
}

static void leave(struct vfioiommu_mock *m)
{
	pthread_mutex_unlock(&m->lock);
}

int vm_door_enter(struct vfioiommu_mock *m, const char *what)
{
	return enter(m, what, -1, 0);
}

void vm_door_leave(struct vfioiommu_mock *m)
{
	leave(m);
}

static int parse_uint(const char *s, unsigned int *out)
{
	char *end;
	unsigned long v;

	if (!*s || *s == '-' || *s == '+')
		return -ENOENT;
	v = strtoul(s, &end, 10);
	if (*end || v > 0xffffffffUL)
		return -ENOENT;
	*out = (unsigned int)v;
	return 0;
}

/* What a /dev path names, independent of whether opening it would succeed. */
static int dev_open_locked(struct vfioiommu_mock *m, const char *path)
{
	unsigned int n;

	if (!strcmp(path, "/dev/vfio/vfio")) {
		if (!(m->features & VFIOIOMMU_MOCK_CONTAINER))
			return -ENOENT;
		return vm_vfio_open_container(m);
	}
	if (!strcmp(path, "/dev/iommu")) {
		if (!(m->features & VFIOIOMMU_MOCK_IOMMUFD))
			return -ENOENT;
		return vm_iommufd_open(m);
	}
	if (!strncmp(path, "/dev/vfio/devices/vfio", 22)) {
		struct vm_device *d;
		if (!(m->features & VFIOIOMMU_MOCK_CDEV) || parse_uint(path + 22, &n) < 0)
			return -ENOENT;
		d = vm_device_by_cdev(m, n);
		if (!d || !vm_driver_is_vfio(d->driver))
			return -ENOENT;
		return vm_vfio_open_cdev(m, d);
	}
	if (!strncmp(path, "/dev/vfio/", 10)) {
		struct vm_group *g;
		if (!(m->features & VFIOIOMMU_MOCK_CONTAINER) || parse_uint(path + 10, &n) < 0)
			return -ENOENT;
		g = vm_group_find(m, n);
		if (!g || !vm_group_has_vfio(m, g))
			return -ENOENT;
		return vm_vfio_open_group(m, n);
	}
	return -ENOENT;
}

static int dev_exists_locked(struct vfioiommu_mock *m, const char *path)
{
	unsigned int n;

	if (!strcmp(path, "/dev/vfio/vfio"))
		return (m->features & VFIOIOMMU_MOCK_CONTAINER) ? 0 : -ENOENT;
	if (!strcmp(path, "/dev/iommu"))
		return (m->features & VFIOIOMMU_MOCK_IOMMUFD) ? 0 : -ENOENT;
	if (!strcmp(path, "/dev/vfio") || !strcmp(path, "/dev"))
		return 0;
	if (!strcmp(path, "/dev/vfio/devices"))
		return (m->features & VFIOIOMMU_MOCK_CDEV) ? 0 : -ENOENT;
	if (!strncmp(path, "/dev/vfio/devices/vfio", 22)) {
		struct vm_device *d;
		if (!(m->features & VFIOIOMMU_MOCK_CDEV) || parse_uint(path + 22, &n) < 0)
			return -ENOENT;
		d = vm_device_by_cdev(m, n);
		return d && vm_driver_is_vfio(d->driver) ? 0 : -ENOENT;
	}
	if (!strncmp(path, "/dev/vfio/", 10)) {
		struct vm_group *g;
		if (!(m->features & VFIOIOMMU_MOCK_CONTAINER) || parse_uint(path + 10, &n) < 0)
			return -ENOENT;
		g = vm_group_find(m, n);
		return g && vm_group_has_vfio(m, g) ? 0 : -ENOENT;
	}
	if (!strncmp(path, "/sys/", 5) || !strcmp(path, "/sys"))
		return vm_sysfs_exists(m, path);
	return -ENOENT;
}

static int md_open(void *p, const char *path, int flags)
{
	struct vfioiommu_mock *m = p;
	int rc = enter(m, "open", -1, 0);

	if (rc == 0)
		rc = path ? dev_open_locked(m, path) : -EFAULT;
	leave(m);
	return rc;
}

static void release_locked(struct vfioiommu_mock *m, int fd)
{
	struct vm_file *f = vm_fd_get(m, fd);

	m->files[fd - VFIOIOMMU_MOCK_FD_BASE] = NULL;
	m->nfiles--;
	/* another fd (SCM_RIGHTS) or a message in flight still holds the file */
	if (f->refs) {
		f->refs--;
		return;
	}
	if (f->ops->release)
		f->ops->release(m, f);
	free(f);
}

void vm_fd_close_locked(struct vfioiommu_mock *m, int fd)
{
	if (vm_fd_get(m, fd))
		release_locked(m, fd);
}

static int md_close(void *p, int fd)
{
	struct vfioiommu_mock *m = p;
	int rc = enter(m, "close", -1, 0);

	if (fd < VFIOIOMMU_MOCK_FD_BASE) {
		int r2 = sysd()->close(NULL, fd);
		leave(m);
		return rc ? rc : r2;
	}
	if (!vm_fd_get(m, fd)) {
		leave(m);
		return -EBADF;
	}
	/* Like Linux, the fd is gone even when close "fails". */
	release_locked(m, fd);
	leave(m);
	return rc;
}

static int md_ioctl(void *p, int fd, unsigned long req, void *arg)
{
	struct vfioiommu_mock *m = p;
	struct vm_file *f;
	int rc = enter(m, "ioctl", fd, req);

	if (rc == 0) {
		if (fd < VFIOIOMMU_MOCK_FD_BASE)
			rc = sysd()->ioctl(NULL, fd, req, arg);
		else if (!(f = vm_fd_get(m, fd)))
			rc = -EBADF;
		else if (!f->ops->ioctl)
			rc = -ENOTTY;
		else
			rc = f->ops->ioctl(m, f, req, arg);
	}
	leave(m);
	return rc;
}

static void *md_mmap(void *p, void *addr, size_t len, int prot, int flags, int fd, int64_t off, int *err)
{
	struct vfioiommu_mock *m = p;
	struct vm_file *f;
	void *mem = NULL;
	int rc = enter(m, "mmap", -1, 0);

	if (rc == 0 && fd < VFIOIOMMU_MOCK_FD_BASE) {
		mem = sysd()->mmap(NULL, addr, len, prot, flags, fd, off, &rc);
	} else if (rc == 0) {
		if (!(f = vm_fd_get(m, fd)))
			rc = -EBADF;
		else if (!f->ops->mmap)
			rc = -ENODEV;
		else if (len == 0)
			rc = -EINVAL;
		else
			rc = f->ops->mmap(m, f, len, prot, off, &mem);
	}
	if (rc == 0 && mem)
		m->live_mmaps++;
	leave(m);
	*err = rc;
	return rc ? NULL : mem;
}

static int md_munmap(void *p, void *addr, size_t len)
{
	struct vfioiommu_mock *m = p;
	int rc = enter(m, "munmap", -1, 0);

	/*
	 * Like close, munmap releases the mapping even when an injected fault
	 * makes it "fail": a caller cannot do anything useful with the error.
	 */
	{
		int r2 = sysd()->munmap(NULL, addr, len);
		if (r2 == 0 && m->live_mmaps)
			m->live_mmaps--;
		if (rc == 0)
			rc = r2;
	}
	leave(m);
	return rc;
}

#define RW_DISPATCH(opname, ...)                                             \
	do {                                                                 \
		struct vm_file *f;                                           \
		if (fd < VFIOIOMMU_MOCK_FD_BASE)                             \
			rc = sysd()->opname(NULL, fd, __VA_ARGS__);          \
		else if (!(f = vm_fd_get(m, fd)))                            \
			rc = -EBADF;                                         \
		else if (!f->ops->opname)                                    \
			rc = -EINVAL;                                        \
		else                                                         \
			rc = f->ops->opname(m, f, __VA_ARGS__);              \
	} while (0)

static ssize_t md_read(void *p, int fd, void *buf, size_t n)
{
	struct vfioiommu_mock *m = p;
	ssize_t rc = enter(m, "read", -1, 0);

	if (rc == 0)
		RW_DISPATCH(read, buf, n);
	leave(m);
	return rc;
}

static ssize_t md_write(void *p, int fd, const void *buf, size_t n)
{
	struct vfioiommu_mock *m = p;
	ssize_t rc = enter(m, "write", -1, 0);

	if (rc == 0)
		RW_DISPATCH(write, buf, n);
	leave(m);
	return rc;
}

static ssize_t md_pread(void *p, int fd, void *buf, size_t n, int64_t off)
{
	struct vfioiommu_mock *m = p;
	ssize_t rc = enter(m, "pread", -1, 0);

	if (rc == 0)
		RW_DISPATCH(pread, buf, n, off);
	leave(m);
	return rc;
}

static ssize_t md_pwrite(void *p, int fd, const void *buf, size_t n, int64_t off)
{
	struct vfioiommu_mock *m = p;
	ssize_t rc = enter(m, "pwrite", -1, 0);

	if (rc == 0)
		RW_DISPATCH(pwrite, buf, n, off);
	leave(m);
	return rc;
}

static int md_poll(void *p, struct pollfd *fds, unsigned int n, int ms)
{
	struct vfioiommu_mock *m = p;
	int rc = enter(m, "poll", -1, 0);
	unsigned int ready = 0, real = 0;

	if (rc) {
		leave(m);
		return rc;
	}
	/* Mock fds answer at once; real fds in the set are polled for real. */
	for (unsigned int i = 0; i < n; i++) {
		struct vm_file *f;
		fds[i].revents = 0;
		if (fds[i].fd < VFIOIOMMU_MOCK_FD_BASE) {
			real++;
			continue;
		}
		f = vm_fd_get(m, fds[i].fd);
		if (!f)
			fds[i].revents = POLLNVAL;
		else if (f->ops->poll)
			fds[i].revents = f->ops->poll(m, f, fds[i].events);
		if (fds[i].revents)
			ready++;
	}
	leave(m);
	if (real) {
		int timeout = ready ? 0 : ms;
		for (unsigned int i = 0; i < n; i++) {
			if (fds[i].fd >= VFIOIOMMU_MOCK_FD_BASE)
				continue;
			rc = sysd()->poll(NULL, &fds[i], 1, timeout);
			if (rc < 0)
				return rc;
			if (rc > 0) {
				ready++;
				timeout = 0;
			}
		}
	}
	return (int)ready;
}

static int md_eventfd(void *p, unsigned int init, int flags)
{
	struct vfioiommu_mock *m = p;
	int rc = enter(m, "eventfd", -1, 0);

	if (rc == 0)
		rc = sysd()->eventfd(NULL, init, flags);
	leave(m);
	return rc;
}

static int md_memfd(void *p, const char *name, unsigned int flags, uint64_t size)
{
	struct vfioiommu_mock *m = p;
	int rc = enter(m, "memfd", -1, 0);

	if (rc == 0)
		rc = sysd()->memfd(NULL, name, flags, size);
	leave(m);
	return rc;
}

static ssize_t md_sysfs_read(void *p, const char *path, char *buf, size_t n)
{
	struct vfioiommu_mock *m = p;
	ssize_t rc = enter(m, "sysfs_read", -1, 0);

	if (rc == 0)
		rc = vm_sysfs_read(m, path, buf, n);
	leave(m);
	return rc;
}

static ssize_t md_sysfs_write(void *p, const char *path, const char *buf, size_t n)
{
	struct vfioiommu_mock *m = p;
	ssize_t rc = enter(m, "sysfs_write", -1, 0);

	if (rc == 0)
		rc = vm_sysfs_write(m, path, buf, n);
	leave(m);
	return rc;
}

static ssize_t md_readlink(void *p, const char *path, char *buf, size_t n)
{
	struct vfioiommu_mock *m = p;
	ssize_t rc = enter(m, "readlink", -1, 0);

	if (rc == 0)
		rc = vm_sysfs_readlink(m, path, buf, n);
	leave(m);
	return rc;
}

static int md_listdir(void *p, const char *path, vi_dirent_fn fn, void *arg)
{
	struct vfioiommu_mock *m = p;
	int rc = enter(m, "listdir", -1, 0);

	if (rc == 0)
		rc = vm_sysfs_listdir(m, path, fn, arg);
	leave(m);
	return rc;
}

static int md_exists(void *p, const char *path)
{
	struct vfioiommu_mock *m = p;
	int rc = enter(m, "exists", -1, 0);

	if (rc == 0)
		rc = path ? dev_exists_locked(m, path) : -EFAULT;
	leave(m);
	return rc;
}

/*
 * stat of a /dev node the mock serves: character devices owned by root with
 * Linux's modes (FACTS: /dev/vfio/vfio misc 10:196 0666, /dev/iommu misc
 * 10:257 0660; group and cdev nodes 0600), directories 0755.
 */
static int stat_locked(struct vfioiommu_mock *m, const char *path, struct stat *st)
{
	unsigned int n;
	int rc = dev_exists_locked(m, path);

	if (rc < 0 || strncmp(path, "/dev", 4))
		return rc < 0 ? rc : -ENOENT;
	memset(st, 0, sizeof(*st));
	st->st_nlink = 1;
	if (!strcmp(path, "/dev") || !strcmp(path, "/dev/vfio") || !strcmp(path, "/dev/vfio/devices")) {
		st->st_mode = S_IFDIR | 0755;
		return 0;
	}
	st->st_mode = S_IFCHR | 0600;
	if (!strcmp(path, "/dev/vfio/vfio")) {
		st->st_mode = S_IFCHR | 0666;
		st->st_rdev = makedev(10, 196);
	} else if (!strcmp(path, "/dev/iommu")) {
		st->st_mode = S_IFCHR | 0660;
		st->st_rdev = makedev(10, 257);
	} else if (!strncmp(path, "/dev/vfio/devices/vfio", 22) && parse_uint(path + 22, &n) == 0) {
		st->st_rdev = makedev(511, n);
	} else if (parse_uint(path + 10, &n) == 0) {
		st->st_rdev = makedev(510, n);
	}
	return 0;
}

static int md_stat(void *p, const char *path, struct stat *st)
{
	struct vfioiommu_mock *m = p;
	int rc = enter(m, "stat", -1, 0);

	if (rc == 0)
		rc = path && st ? stat_locked(m, path, st) : -EFAULT;
	leave(m);
	return rc;
}

static int md_uevent_open(void *p)
{
	struct vfioiommu_mock *m = p;
	int rc = enter(m, "uevent_open", -1, 0);

	if (rc == 0)
		rc = vm_uevent_open(m);
	leave(m);
	return rc;
}

static ssize_t md_uevent_recv(void *p, int fd, void *buf, size_t n)
{
	struct vfioiommu_mock *m = p;
	ssize_t rc = enter(m, "uevent_recv", -1, 0);

	if (rc == 0)
		rc = buf ? vm_uevent_recv(m, fd, buf, n) : -EFAULT;
	leave(m);
	return rc;
}

static int md_uevent_close(void *p, int fd)
{
	struct vfioiommu_mock *m = p;
	/* a teardown step like close(): the socket is released even when this "fails" */
	int rc = enter(m, "close", -1, 0);
	int r2 = vm_uevent_close(m, fd);

	leave(m);
	return rc ? rc : r2;
}

VFIOIOMMU_API int vfioiommu_mock_new(vfioiommu_mock **out)
{
	struct vfioiommu_mock *m;

	if (!out)
		return -EINVAL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	pthread_mutex_init(&m->lock, NULL);
	m->aper_start = 0;
	m->aper_last = (1ULL << 39) - 1;
	m->pgsizes = 0x40201000ULL; /* 4K | 2M | 1G, as intel-iommu reports */
	m->dma_limit = 65535;
	m->features = VFIOIOMMU_MOCK_IOMMUFD | VFIOIOMMU_MOCK_CDEV | VFIOIOMMU_MOCK_CONTAINER |
		      VFIOIOMMU_MOCK_PASID_ATTACH | VFIOIOMMU_MOCK_TYPE1V2;
	m->door = (struct vfioiommu_door){
		.name = "mock",
		.priv = m,
		.open = md_open,
		.close = md_close,
		.ioctl = md_ioctl,
		.mmap = md_mmap,
		.munmap = md_munmap,
		.read = md_read,
		.write = md_write,
		.pread = md_pread,
		.pwrite = md_pwrite,
		.poll = md_poll,
		.eventfd = md_eventfd,
		.memfd = md_memfd,
		.sysfs_read = md_sysfs_read,
		.sysfs_write = md_sysfs_write,
		.readlink = md_readlink,
		.listdir = md_listdir,
		.exists = md_exists,
		.stat = md_stat,
		.uevent_open = md_uevent_open,
		.uevent_recv = md_uevent_recv,
		.uevent_close = md_uevent_close,
		.sendfds = vm_sendfds,
		.recvfds = vm_recvfds,
	};
	*out = m;
	return 0;
}

VFIOIOMMU_API void vfioiommu_mock_destroy(vfioiommu_mock *m)
{
	if (!m)
		return;
	pthread_mutex_lock(&m->lock);
	/* newest first, like a process exiting with fds still open */
	for (unsigned int i = VM_MAX_FDS; i-- > 0;)
		if (m->files[i])
			release_locked(m, VFIOIOMMU_MOCK_FD_BASE + (int)i);
	vm_fdpass_destroy(m);
	vm_vfio_destroy(m);
	vm_iommufd_destroy(m);
	vm_uevent_destroy(m);
	vm_mdev_destroy(m);
	for (size_t i = 0; i < m->ndevs; i++)
		vm_mig_forget(&m->devs[i]);
	for (size_t i = 0; i < m->ngroups; i++)
		free(m->groups[i].resv);
	free(m->groups);
	free(m->devs);
	vm_topo_free(m);
	pthread_mutex_unlock(&m->lock);
	pthread_mutex_destroy(&m->lock);
	free(m);
}

VFIOIOMMU_API const vfioiommu_door *vfioiommu_mock_door(vfioiommu_mock *m)
{
	return m ? &m->door : NULL;
}

VFIOIOMMU_API void vfioiommu_mock_fail_nth(vfioiommu_mock *m, unsigned long n, int err)
{
	if (!m)
		return;
	pthread_mutex_lock(&m->lock);
	m->fail_at = n ? m->calls + n : 0;
	m->fail_err = err > 0 ? err : -err;
	m->fired = false;
	pthread_mutex_unlock(&m->lock);
}

VFIOIOMMU_API void vfioiommu_mock_fail_ioctl(vfioiommu_mock *m, unsigned long request, unsigned long nth,
					    int err)
{
	if (!m)
		return;
	pthread_mutex_lock(&m->lock);
	m->fail_req = request;
	m->fail_req_left = nth;
	m->fail_req_err = err > 0 ? err : -err;
	m->fired = false;
	pthread_mutex_unlock(&m->lock);
}

VFIOIOMMU_API bool vfioiommu_mock_fault_fired(const vfioiommu_mock *m)
{
	return m && m->fired;
}

VFIOIOMMU_API const char *vfioiommu_mock_fault_site(const vfioiommu_mock *m)
{
	return (m && m->fired) ? m->fault_site : "";
}

VFIOIOMMU_API unsigned long vfioiommu_mock_calls(const vfioiommu_mock *m)
{
	return m ? m->calls : 0;
}

VFIOIOMMU_API unsigned int vfioiommu_mock_open_fds(const vfioiommu_mock *m)
{
	/* uevent sockets are real fds but the mock made them: a leak all the same */
	return m ? m->nfiles + vm_uevent_open_count(m) : 0;
}

VFIOIOMMU_API unsigned int vfioiommu_mock_live_mmaps(const vfioiommu_mock *m)
{
	return m ? m->live_mmaps : 0;
}

VFIOIOMMU_API void vfioiommu_mock_set_hostile(vfioiommu_mock *m, unsigned int flags)
{
	if (m)
		m->hostile = flags;
}
