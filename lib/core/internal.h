/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * core/: what every other area of the library builds on: the context and
 * device handles, the door wrappers (the only way to the kernel outside
 * core/sys.c), messages (error.h), sysfs helpers and compiler hints.
 * Nothing here calls into another area.
 */
#ifndef VI_CTX_H
#define VI_CTX_H

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <vfioiommu/context.h>
#include <vfioiommu/iova.h>

#include "compiler.h"
#include "door.h"
#include "error.h"

#define VI_PATH_MAX 512
/* a PCI address or a mediated device's UUID (36 characters) */
#define VI_BDF_MAX 40

struct vfioiommu_ctx;
struct vfioiommu_device;

struct vfioiommu_device {
	struct vfioiommu_ctx *ctx;
	struct vfioiommu_device *next;
	char bdf[VI_BDF_MAX];       /* PCI address, or the UUID of a mediated device */
	bool mdev;                  /* on /sys/bus/mdev: no PCI topology (hot reset, binding) */
	unsigned int group;
	int fd;
	uint32_t devid;   /* iommufd device object id */
	uint32_t pt_id;   /* iommufd: HWPT the device is attached to */
	void *be_priv;
	struct vi_devstate *ds; /* device/: regions, mmaps, eventfds; NULL until first used */
	/*
	 * fault/: rings on the device's fault region (ctx->lock), and what the
	 * device's close calls first so they stop touching the region's memory.
	 */
	struct vfioiommu_ring *region_rings;
	void (*rings_gone)(struct vfioiommu_device *dev);
	bool adopted;     /* made from a handed-in fd (vfioiommu_device_adopt) */
	bool has_vf_token; /* opened with a VF token (vfioiommu_device_open_with) */
	uint8_t vf_token[16];
	/*
	 * migration/: the device's migration data fd and stream position
	 * (ctx->lock), and what the device's close calls so the data fd goes
	 * with it.  NULL until migration is used.
	 */
	struct vi_mig *mig;
	void (*mig_gone)(struct vfioiommu_device *dev);
	/* iommufd/ (objs.c): the RID is on a page table allocated with DIRTY_TRACKING; migration/ reads it */
	bool rid_on_dirty_pt;
};

struct vfioiommu_ctx {
	const struct vfioiommu_door *door;
	char sysfs_root[VI_PATH_MAX];
	enum vfioiommu_mode mode;

	const struct vi_backend_ops *be;
	void *be_priv;
	enum vfioiommu_backend backend;
	char backend_reason[256];
	int container_is_iommufd; /* -ENODEV until a container is open */

	pthread_mutex_t lock;     /* devices list, backend state */
	struct vfioiommu_device *devices;

	pthread_mutex_t msg_lock;
	struct vi_err last;       /* last message from any thread */

	vfioiommu_log_fn log_fn;
	void *log_arg;
	int log_level;

	/*
	 * dma/ state, created on the first map under ctx->lock and published
	 * atomically: map and unmap then run under the DMA state's own lock only.
	 */
	_Atomic(struct vi_dma *) dma;
	/*
	 * Set by dma/ with its state (ctx->lock held): the backends and devices
	 * below it report a changed address space through vi_space_changed()
	 * without knowing that a DMA table exists.
	 */
	void (*space_changed)(struct vfioiommu_ctx *ctx, bool mappings_dropped);
	/*
	 * Set by dma/ with its state: true while the library's table holds
	 * mappings (ctx->lock held), so that a container keeps its last group,
	 * and with it the IOMMU and the mappings, when its last device closes.
	 */
	bool (*dma_holds)(struct vfioiommu_ctx *ctx);
	/*
	 * opts->sysfs_root was given; no_sysfs: an fd was adopted without one, so
	 * the vi_sysfs_*() helpers refuse (-EOPNOTSUPP) rather than read /sys.
	 */
	bool sysfs_given;
	bool no_sysfs;
	/*
	 * iommufd/: the objects (IOAS, page tables, fault queues) made on this
	 * context (ctx->lock), NULL until the first; and what a device's close
	 * calls (ctx->lock held) so attachment records naming it are forgotten.
	 */
	struct vi_objs *objs;
	void (*objs_dev_gone)(struct vfioiommu_ctx *ctx, struct vfioiommu_device *dev);
	/* migration/dirty_type1.c: VFIO_IOMMU_DIRTY_PAGES started through this context (ctx->lock) */
	bool dirty_type1;
};

/*
 * The usable IOVA ranges may have changed (a device or group came or went,
 * ctx->lock held); with @mappings_dropped the kernel also dropped every
 * mapping (a type1 container lost its last group).
 */
static inline void vi_space_changed(struct vfioiommu_ctx *ctx, bool mappings_dropped)
{
	if (ctx->space_changed)
		ctx->space_changed(ctx, mappings_dropped);
}

static inline bool vi_dma_holds(struct vfioiommu_ctx *ctx)
{
	return ctx->dma_holds && ctx->dma_holds(ctx);
}

/* ---- door wrappers: the only syscall sites in lib/ outside sys.c and mock/ ---- */
static inline int vi_kopen(struct vfioiommu_ctx *c, const char *path, int flags)
{ return c->door->open(c->door->priv, path, flags); }
static inline int vi_kclose(struct vfioiommu_ctx *c, int fd)
{ return c->door->close(c->door->priv, fd); }
static inline int vi_kioctl(struct vfioiommu_ctx *c, int fd, unsigned long req, void *arg)
{ return c->door->ioctl(c->door->priv, fd, req, arg); }
static inline ssize_t vi_kread(struct vfioiommu_ctx *c, int fd, void *buf, size_t n)
{ return c->door->read(c->door->priv, fd, buf, n); }
static inline ssize_t vi_kwrite(struct vfioiommu_ctx *c, int fd, const void *buf, size_t n)
{ return c->door->write(c->door->priv, fd, buf, n); }
static inline ssize_t vi_kpread(struct vfioiommu_ctx *c, int fd, void *buf, size_t n, int64_t off)
{ return c->door->pread(c->door->priv, fd, buf, n, off); }
static inline ssize_t vi_kpwrite(struct vfioiommu_ctx *c, int fd, const void *buf, size_t n, int64_t off)
{ return c->door->pwrite(c->door->priv, fd, buf, n, off); }
static inline void *vi_kmmap(struct vfioiommu_ctx *c, void *addr, size_t len, int prot, int flags,
			     int fd, int64_t off, int *err)
{ return c->door->mmap(c->door->priv, addr, len, prot, flags, fd, off, err); }
static inline int vi_kmunmap(struct vfioiommu_ctx *c, void *addr, size_t len)
{ return c->door->munmap(c->door->priv, addr, len); }
static inline int vi_kpoll(struct vfioiommu_ctx *c, struct pollfd *fds, unsigned int n, int ms)
{ return c->door->poll(c->door->priv, fds, n, ms); }
static inline int vi_keventfd(struct vfioiommu_ctx *c, unsigned int init, int flags)
{ return c->door->eventfd(c->door->priv, init, flags); }
static inline int vi_kexists(struct vfioiommu_ctx *c, const char *path)
{ return c->door->exists(c->door->priv, path); }
static inline int vi_kstat(struct vfioiommu_ctx *c, const char *path, struct stat *st)
{ return c->door->stat ? c->door->stat(c->door->priv, path, st) : -ENOSYS; }
static inline ssize_t vi_ksendfds(struct vfioiommu_ctx *c, int sock, const void *buf, size_t len, const int *fds,
				  unsigned int nfds)
{ return c->door->sendfds ? c->door->sendfds(c->door->priv, sock, buf, len, fds, nfds) : -ENOSYS; }
static inline ssize_t vi_krecvfds(struct vfioiommu_ctx *c, int sock, void *buf, size_t n, int *fds,
				  unsigned int maxfds, unsigned int *nfds)
{ return c->door->recvfds ? c->door->recvfds(c->door->priv, sock, buf, n, fds, maxfds, nfds) : -ENOSYS; }

/*
 * Facts about this process for messages (core/sys.c): effective ids, group
 * membership, user and group names (the number when there is none), and
 * RLIMIT_MEMLOCK (UINT64_MAX: unlimited).  Not through the door: the mock
 * models no users or limits, so on the mock these are the test process's own.
 */
void vi_proc_ids(unsigned int *uid, unsigned int *gid);
bool vi_proc_in_group(unsigned int gid);
void vi_proc_user_name(unsigned int uid, char *buf, size_t n);
void vi_proc_group_name(unsigned int gid, char *buf, size_t n);
int vi_proc_memlock(uint64_t *soft, uint64_t *hard);

/*
 * Messages for failures whose remedy lies outside the program (core/explain.c).
 * Each stores the message with vi_fail() and returns rc.
 *
 * vi_fail_node: @what (e.g. "cannot open /dev/vfio/vfio") failed with rc on
 * the /dev node @path.  ENOENT: why the node is missing (module not loaded,
 * a kernel without the option, a container without the node), from sysfs;
 * EACCES/EPERM: the node's owner and mode (stat through the door) and this
 * process's ids, with what would let it in.
 */
int vi_fail_node(struct vfioiommu_ctx *ctx, int rc, const char *path, const char *what);
/*
 * vi_fail_unsafe_interrupts: @what ("VFIO_SET_IOMMU(type1v2)") failed with
 * EPERM because the platform has no interrupt remapping; @module is the one
 * whose allow_unsafe_interrupts parameter overrides it (vfio_iommu_type1 or
 * iommufd).  The current value is read from sysfs; @also (or NULL) is
 * appended: another cause of the same errno.
 */
int vi_fail_unsafe_interrupts(struct vfioiommu_ctx *ctx, int rc, const char *what, const char *module,
			      const char *also);
/*
 * vi_fail_pinning: a map of @len bytes at @iova failed with ENOMEM/EPERM
 * pinning pages: RLIMIT_MEMLOCK, beside the @pinned bytes of the @nmaps
 * mappings already made through this context.
 */
int vi_fail_pinning(struct vfioiommu_ctx *ctx, int rc, uint64_t iova, uint64_t len, uint64_t pinned,
		    uint64_t nmaps);

/*
 * sysfs helpers: the path is formatted and prefixed with ctx->sysfs_root.
 * The doors' contract (core/door.h): a link whose target does not fit is
 * -ENAMETOOLONG, never a cut target; an attribute that is not a regular file
 * (a FIFO, a device, a directory) is -EPROTO, never a blocking read.
 */
ssize_t vi_sysfs_read(struct vfioiommu_ctx *c, char *buf, size_t n, const char *fmt, ...)
	VFIOIOMMU_PRINTF(4, 5);
ssize_t vi_sysfs_readlink(struct vfioiommu_ctx *c, char *buf, size_t n, const char *fmt, ...)
	VFIOIOMMU_PRINTF(4, 5);
int vi_sysfs_listdir(struct vfioiommu_ctx *c, vi_dirent_fn fn, void *arg, const char *fmt, ...)
	VFIOIOMMU_PRINTF(4, 5);
int vi_sysfs_exists(struct vfioiommu_ctx *c, const char *fmt, ...) VFIOIOMMU_PRINTF(2, 3);
/*
 * Write @val to an attribute: the full path is formatted into @path (@n
 * bytes, so that the caller's message can name it); 0 or -errno.
 */
int vi_sysfs_write(struct vfioiommu_ctx *c, const char *val, char *path, size_t n, const char *fmt, ...)
	VFIOIOMMU_PRINTF(5, 6);
/*
 * For messages: why the last vi_sysfs_*() call of this thread failed with rc,
 * naming the file ("ENAMETOOLONG on /sys/bus/pci/devices/0000:03:00.0/driver:
 * the link's target is longer than 511 bytes"); the errno's name when that
 * call did not fail with rc.  Use it right after the failed call.
 */
const char *vi_sysfs_errstr(int rc);

/*
 * Size-versioned public structs (core/sized.c): the first member is a u32
 * size the caller sets.  vi_check_size: non-NULL and size >= @min, else
 * -EINVAL with a message naming @fn.  vi_copy_sized: copy min(size,
 * @full_size) bytes of @full into @out, keeping the caller's size.
 */
int vi_check_size(struct vfioiommu_ctx *ctx, const char *fn, const void *p, uint32_t size, size_t min);
void vi_copy_sized(void *out, const void *full, size_t full_size);
/*
 * An options struct the caller passes in (may be NULL: @dst keeps the
 * defaults it holds): size >= @min, else -EINVAL naming @fn; then
 * min(size, @dst_size) bytes are copied, so an older caller's shorter struct
 * leaves the newer fields at their defaults and a newer caller's longer one
 * is read no further than this library knows.
 */
int vi_read_sized(struct vfioiommu_ctx *ctx, const char *fn, void *dst, size_t dst_size, const void *src,
		  size_t min);

/*
 * An fd handed to the library failed the probe ioctl @probe that only an fd
 * of kind @want answers: the message says what the errno means (EBADF: not
 * open; ENOTTY: not a VFIO/iommufd fd or one of another kind; EINVAL: a VFIO
 * fd of another kind) and returns rc.
 */
int vi_fail_fd_kind(struct vfioiommu_ctx *ctx, int rc, int fd, const char *want, const char *probe);

/*
 * 0 when @fn may read sysfs; -EOPNOTSUPP with a message naming @fn when the
 * context was built from handed-in fds without a sysfs root (ctx->no_sysfs).
 */
int vi_sysfs_refused(struct vfioiommu_ctx *ctx, const char *fn);

/* A UUID in its 36-character text form, lower case, into out (37 bytes). */
void vi_uuid_text(const uint8_t uuid[16], char out[37]);

/* Validate "DDDD:BB:DD.F" (lower-case hex).  0 or -EINVAL. */
int vi_bdf_check(const char *bdf);
/* Validate a mediated device's UUID, "8-4-4-4-12" hex digits (lower case, as the kernel prints it).  0 or -EINVAL. */
int vi_uuid_check(const char *uuid);
/*
 * The sysfs bus a device name lives on: "mdev" for a UUID, "pci" otherwise.
 * The sysfs helpers below take either kind of name and look on that bus.
 */
const char *vi_dev_bus(const char *name);
/* Group number of a PCI device from sysfs (iommu_group link); -EPROTO when the link names no number. */
int vi_sysfs_device_group(struct vfioiommu_ctx *c, const char *bdf, unsigned int *group);
/*
 * Driver bound to a PCI device: 0 and name, or 0 and "" when unbound;
 * -ENAMETOOLONG when the name does not fit in n (never a cut name).
 */
int vi_sysfs_device_driver(struct vfioiommu_ctx *c, const char *bdf, char *buf, size_t n);
/* The same for a member of an IOMMU group: PCI devices by address, others through the group's link. */
int vi_sysfs_group_member_driver(struct vfioiommu_ctx *c, unsigned int group, const char *name, char *buf,
				 size_t n);
/* "/dev/vfio/devices/vfioN" for a device, from its sysfs vfio-dev/ entry; -ENOENT when it has none. */
int vi_device_cdev_path(struct vfioiommu_ctx *c, const char *bdf, char *path, size_t n);
/* true for drivers that hand devices to VFIO (vfio-pci and vfio-pci variant drivers). */
bool vi_driver_is_vfio(const char *driver);

#endif
