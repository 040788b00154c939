/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * Context internals shared by the backends and the concept modules.
 * Modules call the kernel only through the vi_k* wrappers below.
 */
#ifndef VI_CTX_H
#define VI_CTX_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <vfioiommu/context.h>
#include <vfioiommu/iova.h>

#include "door.h"
#include "error.h"

#define VI_PATH_MAX 512
#define VI_BDF_MAX 32

struct vfioiommu_ctx;
struct vfioiommu_device;

/*
 * One table per backend; context.c never branches on which.  Entries a
 * backend cannot do are NULL and the caller reports -EOPNOTSUPP.
 */
struct vi_backend_ops {
	enum vfioiommu_backend kind;
	/* open /dev/vfio/vfio (container) or /dev/iommu + IOAS (iommufd) */
	int (*open)(struct vfioiommu_ctx *ctx);
	/* container only: open /dev/vfio/N, viability, SET_CONTAINER, SET_IOMMU on the first */
	int (*add_group)(struct vfioiommu_ctx *ctx, unsigned int group);
	/* dev->bdf and dev->group are set; fill dev->fd (and dev->devid for iommufd) */
	int (*device_open)(struct vfioiommu_ctx *ctx, struct vfioiommu_device *dev);
	void (*device_close)(struct vfioiommu_ctx *ctx, struct vfioiommu_device *dev);
	/* the kernel's current IOVA ranges for this address space */
	int (*iova_ranges)(struct vfioiommu_ctx *ctx, vfioiommu_iova_list **out);
	/* close everything open() and add_group() made, in reverse order */
	void (*close)(struct vfioiommu_ctx *ctx);

	/*
	 * DMA (lib/dma.c normalises errnos on top; these return the kernel's
	 * errno unchanged).  prot is VI_PROT_READ | VI_PROT_WRITE.  map, unmap
	 * and map_file run WITHOUT ctx->lock (under lib/dma.c's own lock, after
	 * iova_ranges succeeded): they may read only what open() set and close()
	 * frees (fds, object ids).  unmap_all runs under ctx->lock.
	 */
	int (*map)(struct vfioiommu_ctx *ctx, uint64_t vaddr, uint64_t iova, uint64_t len, uint32_t prot);
	/* *unmapped = bytes the kernel says it unmapped */
	int (*unmap)(struct vfioiommu_ctx *ctx, uint64_t iova, uint64_t len, uint64_t *unmapped);
	int (*unmap_all)(struct vfioiommu_ctx *ctx, uint64_t *unmapped);
	/* iommufd only (IOMMU_IOAS_MAP_FILE); NULL elsewhere */
	int (*map_file)(struct vfioiommu_ctx *ctx, int fd, uint64_t start, uint64_t iova, uint64_t len,
			uint32_t prot);
	/*
	 * IOMMU page-size bitmap (lowest bit = the alignment MAP needs) and the
	 * mappings the kernel still allows (type1 DMA_AVAIL; -1 when unlimited
	 * or unknown).
	 */
	int (*dma_limits)(struct vfioiommu_ctx *ctx, uint64_t *pgsizes, int64_t *avail);
};
#define VI_PROT_READ  (1u << 0)
#define VI_PROT_WRITE (1u << 1)

extern const struct vi_backend_ops vi_container_ops;
extern const struct vi_backend_ops vi_iommufd_ops;

struct vfioiommu_device {
	struct vfioiommu_ctx *ctx;
	struct vfioiommu_device *next;
	char bdf[VI_BDF_MAX];
	unsigned int group;
	int fd;
	uint32_t devid;   /* iommufd device object id */
	uint32_t pt_id;   /* iommufd: HWPT the device is attached to */
	void *be_priv;
	struct vi_devstate *ds; /* lib/device.c: regions, mmaps, eventfds; NULL until first used */
	struct vfioiommu_ring *region_rings; /* lib/ring_region.c: rings on its fault region (ctx->lock) */
};

/*
 * lib/ring_region.c: the device is going away (ctx->lock held, before its
 * mmaps are undone): its fault-region rings fail with a message and forget it.
 */
void vi_ring_region_device_gone(struct vfioiommu_device *dev);

/* lib/device.c: unmap the device's mmaps and close its eventfds (before the device fd closes). */
void vi_device_state_free(struct vfioiommu_device *dev);
/* lib/container.c: the fd of group @group in a container context (ctx->lock held), or -ENOENT. */
int vi_container_group_fd(struct vfioiommu_ctx *ctx, unsigned int group);

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
	 * lib/dma.c state, created on the first map under ctx->lock and published
	 * atomically: map and unmap then run under the DMA state's own lock only.
	 */
	_Atomic(struct vi_dma *) dma;
};

/* lib/dma.c: the address space changed (device attached or detached); ranges are re-read lazily. */
void vi_dma_ranges_changed(struct vfioiommu_ctx *ctx);
/* lib/container.c: the container fd of a container context (benchmarks, tests), or -ENODEV. */
int vi_container_fd(struct vfioiommu_ctx *ctx);
/* lib/dma.c: the kernel dropped every mapping (a type1 container lost its last group). */
void vi_dma_forget(struct vfioiommu_ctx *ctx);
/* lib/dma.c: free DMA state at context teardown (mappings die with the container/IOAS). */
void vi_dma_destroy(struct vfioiommu_ctx *ctx);

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

/* sysfs helpers: the path is formatted and prefixed with ctx->sysfs_root. */
ssize_t vi_sysfs_read(struct vfioiommu_ctx *c, char *buf, size_t n, const char *fmt, ...)
	VFIOIOMMU_PRINTF(4, 5);
ssize_t vi_sysfs_readlink(struct vfioiommu_ctx *c, char *buf, size_t n, const char *fmt, ...)
	VFIOIOMMU_PRINTF(4, 5);
int vi_sysfs_listdir(struct vfioiommu_ctx *c, vi_dirent_fn fn, void *arg, const char *fmt, ...)
	VFIOIOMMU_PRINTF(4, 5);
int vi_sysfs_exists(struct vfioiommu_ctx *c, const char *fmt, ...) VFIOIOMMU_PRINTF(2, 3);

/* Validate "DDDD:BB:DD.F" (lower-case hex).  0 or -EINVAL. */
int vi_bdf_check(const char *bdf);
/* Group number of a PCI device from sysfs (iommu_group link). */
int vi_sysfs_device_group(struct vfioiommu_ctx *c, const char *bdf, unsigned int *group);
/* Driver bound to a PCI device: 0 and name, or 0 and "" when unbound. */
int vi_sysfs_device_driver(struct vfioiommu_ctx *c, const char *bdf, char *buf, size_t n);
/* "/dev/vfio/devices/vfioN" for a device, from its sysfs vfio-dev/ entry; -ENOENT when it has none. */
int vi_device_cdev_path(struct vfioiommu_ctx *c, const char *bdf, char *path, size_t n);
/* lib/resv_sysfs.c: first RESV_DIRECT region of a group as text for messages, "" if none. */
void vi_group_direct_region(struct vfioiommu_ctx *ctx, unsigned int group, char *out, size_t n);
/* true for drivers that hand devices to VFIO (vfio-pci and vfio-pci variant drivers). */
bool vi_driver_is_vfio(const char *driver);

#endif
