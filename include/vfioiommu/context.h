/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/**
 * @file vfioiommu/context.h
 * Contexts: choosing a backend (VFIO container or iommufd), opening groups and
 * devices, and tearing everything down.
 *
 * A context owns one DMA address space: a VFIO container (type1v2, type1 or
 * noiommu) or an iommufd with one IOAS.  Devices opened through the context
 * share that address space.
 *
 * Typical use:
 * @code
 *   struct vfioiommu_ctx_opts o = { .size = sizeof(o), .mode = VFIOIOMMU_MODE_AUTO };
 *   vfioiommu_ctx *ctx;
 *   vfioiommu_device *dev;
 *   int rc = vfioiommu_ctx_new(&o, &ctx);
 *   if (rc == 0)
 *       rc = vfioiommu_device_open(ctx, "0000:03:00.0", &dev);
 *   if (rc < 0)
 *       fputs(vfioiommu_strerror(ctx), stderr);
 *   ...
 *   vfioiommu_ctx_destroy(ctx);   // closes the devices too
 * @endcode
 */
#ifndef VFIOIOMMU_CONTEXT_H
#define VFIOIOMMU_CONTEXT_H

#include <vfioiommu/common.h>

VFIOIOMMU_BEGIN_DECLS

/** What the caller asks for. */
enum vfioiommu_mode {
	/** iommufd when /dev/iommu and the first device's cdev exist, else a container. */
	VFIOIOMMU_MODE_AUTO = 0,
	/** A VFIO container (/dev/vfio/vfio), type1v2 preferred over type1. */
	VFIOIOMMU_MODE_CONTAINER = 1,
	/** iommufd: /dev/iommu, one IOAS, devices through /dev/vfio/devices/vfioN. */
	VFIOIOMMU_MODE_IOMMUFD = 2,
	/** A VFIO container in no-IOMMU mode (unsafe, taints the kernel).  Only on request. */
	VFIOIOMMU_MODE_NOIOMMU = 3,
	/**
	 * A VFIO container with the original VFIO_TYPE1_IOMMU even where type1v2
	 * exists, as an old kernel would give: for testing code that must also
	 * run there.  The kernel would then take an unmap covering part of a
	 * mapping and remove all of it; the library refuses such an unmap on
	 * every backend (-EINVAL, see dma.h), so its DMA calls mean the same.
	 * Adding the first group fails with -EOPNOTSUPP where the kernel offers
	 * no type1.
	 */
	VFIOIOMMU_MODE_TYPE1 = 4,
};

/** What the library picked.  NONE until the first group or device is added. */
enum vfioiommu_backend {
	VFIOIOMMU_BACKEND_NONE = 0,     /**< nothing chosen yet (no group or device added) */
	VFIOIOMMU_BACKEND_TYPE1V2 = 1,  /**< a VFIO container with VFIO_TYPE1v2_IOMMU */
	VFIOIOMMU_BACKEND_TYPE1 = 2,    /**< a VFIO container with the original VFIO_TYPE1_IOMMU */
	VFIOIOMMU_BACKEND_NOIOMMU = 3,  /**< a VFIO container in no-IOMMU mode: no DMA translation at all */
	VFIOIOMMU_BACKEND_IOMMUFD = 4,  /**< /dev/iommu with one IOAS, devices through their cdevs */
};

/** Options for vfioiommu_ctx_new().  Zero-initialise, then set size. */
struct vfioiommu_ctx_opts {
	/** sizeof(struct vfioiommu_ctx_opts) as the caller compiled it. */
	uint32_t size;
	/** enum vfioiommu_mode. */
	uint32_t mode;
	/** The kernel to talk to; NULL means the real one (vfioiommu_door_system()). */
	const vfioiommu_door *door;
	/** Where sysfs is mounted; NULL means "/sys".  Lets tools read a captured tree. */
	const char *sysfs_root;
	/** Log callback; NULL: silent. */
	vfioiommu_log_fn log_fn;
	/** Passed to log_fn as its first argument. */
	void *log_arg;
	/** Highest level passed to log_fn (enum vfioiommu_log_level); 0 means VFIOIOMMU_LOG_INFO. */
	int log_level;
};

/**
 * The door to the real kernel: the syscalls and /sys.
 * @return a static door, never NULL.
 */
VFIOIOMMU_API const vfioiommu_door *vfioiommu_door_system(void);

/**
 * A raw ioctl through a door, the way the library issues its own: ioctl(2)
 * on the real kernel (@p door NULL or vfioiommu_door_system()), served by the
 * mock on vfioiommu_mock_door().  This is how to use the fds the library
 * hands out (vfioiommu_device_fd(), vfioiommu_ctx_iommufd_fd(), ...) for a
 * request it does not wrap, in code that must also run on the mock: mock fds
 * are not kernel fds, and ioctl(2) on them fails with EBADF.
 *
 * @param door    the door the fd came from; NULL means the real kernel
 * @param fd      an fd of that door
 * @param request the ioctl request number
 * @param arg     its argument, as ioctl(2) takes it
 * @return the request's result (>= 0: some requests return a count or an
 * fd), or a negative errno (never -1 with errno set).
 */
VFIOIOMMU_API int vfioiommu_door_ioctl(const vfioiommu_door *door, int fd, unsigned long request, void *arg);

/**
 * Create a context.  Nothing is opened yet: the backend is chosen when the
 * first group or device is added.
 *
 * @param opts options (see struct vfioiommu_ctx_opts); NULL for the defaults:
 *             AUTO mode, the real kernel, "/sys", no logging
 * @param out  receives the context; NULL on failure
 * @return 0; -EINVAL NULL @p out, opts->size smaller than this version's
 * struct, an unknown opts->mode, or an empty or too long opts->sysfs_root;
 * -ENOMEM.
 */
VFIOIOMMU_API int vfioiommu_ctx_new(const struct vfioiommu_ctx_opts *opts, vfioiommu_ctx **out);

/**
 * Close every device, detach every group, destroy every iommufd object and
 * close every fd, in the reverse order of creation.
 * @param ctx the context; NULL is accepted (nothing happens)
 */
VFIOIOMMU_API void vfioiommu_ctx_destroy(vfioiommu_ctx *ctx);

/**
 * The message of the last failure on @p ctx: which step failed and why.
 * The message of the calling thread's last failure on @p ctx or, when this
 * thread has none, the last one in any thread.
 * @param ctx the context the failed call was given
 * @return the message, never NULL: "" when there was none, "no context" for
 * NULL.  Valid until the next call into the library from this thread.
 */
VFIOIOMMU_API const char *vfioiommu_strerror(const vfioiommu_ctx *ctx);

/**
 * Add an IOMMU group by number to a container context (opens /dev/vfio/N,
 * checks viability, attaches it and sets the IOMMU type on the first group).
 *
 * A group that vfioiommu_device_open() already pulled into the context is
 * adopted: 0, and from then on it counts as added by this call.
 *
 * @param ctx   the context; its backend is chosen here when none is yet
 * @param group the group number, N of /dev/vfio/N
 * @return 0; -EBUSY group already added by an earlier vfioiommu_ctx_add_group();
 * -EINVAL NULL @p ctx, a group that is not viable, or one that needs a
 * firmware 1:1 map (RESV_DIRECT); -ENOENT no such group; -EOPNOTSUPP the
 * context uses iommufd (devices are added one by one), or TYPE1 mode where
 * the kernel offers no type1; other -errno from the kernel.
 */
VFIOIOMMU_API int vfioiommu_ctx_add_group(vfioiommu_ctx *ctx, unsigned int group);

/**
 * The backend in use.
 * @param ctx the context
 * @return the backend; VFIOIOMMU_BACKEND_NONE before the first group or device, and for NULL.
 */
VFIOIOMMU_API enum vfioiommu_backend vfioiommu_ctx_backend(const vfioiommu_ctx *ctx);
/**
 * Why that backend was chosen, in words.
 * @param ctx the context
 * @return a sentence, never NULL ("no backend chosen yet: ..." before the
 * first group or device, "no context" for NULL); valid while @p ctx lives.
 */
VFIOIOMMU_API const char *vfioiommu_ctx_backend_reason(const vfioiommu_ctx *ctx);
/**
 * A short name for a backend.
 * @param backend a backend
 * @return "none", "type1v2", "type1", "noiommu", "iommufd"; "unknown" for other values.
 */
VFIOIOMMU_API const char *vfioiommu_backend_name(enum vfioiommu_backend backend);
/**
 * Whether /dev/vfio/vfio of this context is iommufd's emulation of the VFIO
 * container (CONFIG_IOMMUFD_VFIO_CONTAINER).
 * @param ctx the context
 * @return 1 iommufd's emulation, 0 VFIO's own container; -ENODEV no
 * container is open; -EINVAL NULL @p ctx.
 */
VFIOIOMMU_API int vfioiommu_ctx_container_is_iommufd(const vfioiommu_ctx *ctx);

VFIOIOMMU_END_DECLS

#endif
