/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/**
 * @file vfioiommu/adopt.h
 * Adopting fds that another process (a privileged launcher) opened, and the
 * fds KVM's VFIO device needs.
 *
 * A VMM that runs without the right to open /dev/iommu or /dev/vfio gets the
 * fds from a launcher (over a unix socket, or inherited) and hands them to
 * the library here: a context from an iommufd or container fd, groups and
 * devices from group, device or cdev fds.  The library then opens no /dev
 * node and reads nothing under /sys for that context, unless
 * vfioiommu_ctx_opts.sysfs_root was given: what it could only learn from
 * sysfs (reserved regions, verdicts, opening a device by address, hotplug)
 * fails with -EOPNOTSUPP and a message saying so.
 *
 * Who closes an adopted fd:
 *  - on success the fd belongs to the library: it is closed when its object
 *    goes (vfioiommu_device_close() for a device, vfioiommu_ctx_destroy() for
 *    the context and its groups).  The caller must not close it; a caller
 *    that wants to keep its own copy passes a dup(2) of it.
 *  - on failure the library never closes the fd: it stays open and the
 *    caller's.  Its kernel state is as before the call, except that a cdev
 *    whose VFIO_DEVICE_BIND_IOMMUFD succeeded before a later step failed
 *    stays bound to the context's iommufd (the kernel has no unbind: closing
 *    the fd is the only undo) and a group adopted by
 *    vfioiommu_device_adopt() whose device could not be had is detached from
 *    the container again.
 *
 * @code
 *   // fds received from the launcher: iommufd, the device's cdev
 *   struct vfioiommu_ctx_opts o = { .size = sizeof(o) };
 *   struct vfioiommu_adopt_opts a = { .size = sizeof(a), .name = "0000:03:00.0" };
 *   vfioiommu_ctx *ctx;
 *   vfioiommu_device *dev;
 *   int rc = vfioiommu_ctx_new(&o, &ctx);
 *   if (rc == 0)
 *       rc = vfioiommu_ctx_adopt(ctx, VFIOIOMMU_FD_IOMMUFD, iommufd, NULL);
 *   if (rc == 0)
 *       rc = vfioiommu_device_adopt(ctx, VFIOIOMMU_FD_CDEV, cdev_fd, &a, &dev);
 * @endcode
 */
#ifndef VFIOIOMMU_ADOPT_H
#define VFIOIOMMU_ADOPT_H

#include <vfioiommu/common.h>

VFIOIOMMU_BEGIN_DECLS

/** What an fd handed to the library is. */
enum vfioiommu_fd_kind {
	/** Not a kind: refused. */
	VFIOIOMMU_FD_NONE = 0,
	/** An open /dev/iommu (or iommufd's /dev/vfio/vfio): a context on the iommufd backend. */
	VFIOIOMMU_FD_IOMMUFD = 1,
	/** An open /dev/vfio/vfio with no group attached yet: a context on the container backend. */
	VFIOIOMMU_FD_CONTAINER = 2,
	/** An open /dev/vfio/N, not attached to any container. */
	VFIOIOMMU_FD_GROUP = 3,
	/** A device fd VFIO_GROUP_GET_DEVICE_FD returned, on a group of the context. */
	VFIOIOMMU_FD_DEVICE = 4,
	/** An open /dev/vfio/devices/vfioN not bound yet: the library binds it to the context's iommufd. */
	VFIOIOMMU_FD_CDEV = 5,
	/**
	 * An open /dev/vfio/devices/vfioN the caller already bound to the
	 * context's iommufd (vfioiommu_adopt_opts.devid is the id BIND returned):
	 * the library only attaches it.
	 */
	VFIOIOMMU_FD_CDEV_BOUND = 6,
};

/**
 * vfioiommu_adopt_opts.flags for vfioiommu_ctx_adopt(): a live update (see
 * vfioiommu/liveupdate.h).  With VFIOIOMMU_FD_CONTAINER the container must
 * have its IOMMU set (its groups attached, by the process that handed it
 * over) and its type1 flavour is the context's mode (VFIOIOMMU_MODE_TYPE1:
 * v1, else v2: the kernel does not say); group fds adopted afterwards may be
 * attached to a container already, which the caller vouches is this one.
 * With VFIOIOMMU_FD_IOMMUFD it changes nothing (name the IOAS in ioas_id).
 */
#define VFIOIOMMU_ADOPT_LIVE (1u << 0)

/**
 * Options for vfioiommu_ctx_adopt() and vfioiommu_device_adopt().
 * Zero-initialise, then set size and what the kind needs.
 */
struct vfioiommu_adopt_opts {
	/** sizeof(struct vfioiommu_adopt_opts) as the caller compiled it. */
	uint32_t size;
	/** vfioiommu_ctx_adopt(): 0 or VFIOIOMMU_ADOPT_LIVE; vfioiommu_device_adopt(): 0. */
	uint32_t flags;
	/** VFIOIOMMU_FD_IOMMUFD: an IOAS that already exists on the fd (left in place at the end); 0: make one. */
	uint32_t ioas_id;
	/** VFIOIOMMU_FD_GROUP and VFIOIOMMU_FD_DEVICE: the group's number (N of /dev/vfio/N). */
	uint32_t group;
	/** VFIOIOMMU_FD_CDEV_BOUND: the device id VFIO_DEVICE_BIND_IOMMUFD returned. */
	uint32_t devid;
	/** Reserved: 0. */
	uint32_t reserved;
	/**
	 * Devices: the name vfioiommu_device_name() gives and messages use (the
	 * PCI address); NULL: "fd N".  VFIOIOMMU_FD_GROUP in
	 * vfioiommu_device_adopt(): the device to get from the group (required).
	 */
	const char *name;
};

/**
 * A name for an fd kind.
 * @param kind a kind
 * @return "iommufd", "container", "group", "device", "cdev", "bound cdev"; "none" for others.
 */
VFIOIOMMU_API const char *vfioiommu_fd_kind_name(enum vfioiommu_fd_kind kind);

/**
 * Build the context's address space from an fd instead of opening a /dev
 * node, or add a group by its fd.  VFIOIOMMU_FD_IOMMUFD and
 * VFIOIOMMU_FD_CONTAINER choose the backend (the context must have none
 * yet); VFIOIOMMU_FD_GROUP adds a group to a container context, as
 * vfioiommu_ctx_add_group() does (the group stays until the context goes).
 * The fd is checked with an ioctl only its kind answers (IOMMU_IOAS_ALLOC,
 * VFIO_GET_API_VERSION, VFIO_GROUP_GET_STATUS).  Ownership: see the file's
 * description.
 *
 * @param ctx  a context from vfioiommu_ctx_new()
 * @param kind VFIOIOMMU_FD_IOMMUFD, VFIOIOMMU_FD_CONTAINER or VFIOIOMMU_FD_GROUP
 * @param fd   the fd
 * @param opts options; NULL is the same as all zero (VFIOIOMMU_FD_GROUP then
 *             means group number 0)
 * @return 0; -EINVAL NULL @p ctx, a negative @p fd, another kind, opts->size
 * too small, flags or reserved not 0; -EBADF @p fd is not open; -ENOTTY or
 * -EINVAL (as the kernel answered the probe) the fd is not of @p kind (a
 * regular file, a socket, an eventfd, a VFIO fd of another kind); -EBUSY the
 * context already has a backend, the container already has an IOMMU set (a
 * group attached), or the group is already in a container or this context;
 * -ENODEV a group before any container; -EOPNOTSUPP a group on an iommufd
 * context; -ENOENT opts->ioas_id is no IOAS of the fd; other -errno of the
 * kernel.
 */
VFIOIOMMU_API int vfioiommu_ctx_adopt(vfioiommu_ctx *ctx, enum vfioiommu_fd_kind kind, int fd,
				      const struct vfioiommu_adopt_opts *opts);

/**
 * A device from an fd: a group-path device fd (VFIOIOMMU_FD_DEVICE, its
 * group opts->group already in the context), a group fd (VFIOIOMMU_FD_GROUP:
 * the group is adopted as by vfioiommu_ctx_adopt() unless opts->group is
 * already in the context, then device opts->name is taken from it with
 * VFIO_GROUP_GET_DEVICE_FD; @p fd may be -1 when the group is already
 * there), an unbound cdev (VFIOIOMMU_FD_CDEV: bound to the context's
 * iommufd and attached to its IOAS) or a cdev the caller bound to the
 * context's iommufd (VFIOIOMMU_FD_CDEV_BOUND: checked with
 * IOMMU_GET_HW_INFO of opts->devid, then attached).  Nothing under /sys is
 * read.  Ownership: see the file's description.
 *
 * @param ctx  a context whose backend was adopted or chosen already
 * @param kind VFIOIOMMU_FD_DEVICE, VFIOIOMMU_FD_GROUP, VFIOIOMMU_FD_CDEV or VFIOIOMMU_FD_CDEV_BOUND
 * @param fd   the fd
 * @param opts options (name, group, devid); NULL is the same as all zero
 * @param out  receives the device; NULL on failure
 * @return 0; -EINVAL NULL @p ctx or @p out, a bad @p kind or @p fd, bad
 * @p opts, VFIOIOMMU_FD_GROUP without opts->name, VFIOIOMMU_FD_CDEV_BOUND
 * with devid 0, or a cdev the kernel refuses to bind (already bound, to this
 * or another iommufd; or a group-path device fd); -EBADF @p fd is not open;
 * -ENOTTY the fd is not of @p kind; -ENODEV no backend yet; -EOPNOTSUPP the
 * kind does not fit the context's backend (a cdev on a container context, a
 * group or device fd on an iommufd one); -ENOENT the group is not in the
 * context, or opts->devid is no device of the context's iommufd; -EBUSY
 * @p fd is already a device of this context; other -errno of the kernel.
 */
VFIOIOMMU_API int vfioiommu_device_adopt(vfioiommu_ctx *ctx, enum vfioiommu_fd_kind kind, int fd,
					 const struct vfioiommu_adopt_opts *opts, vfioiommu_device **out);

/**
 * The container fd of a container context, for KVM: a VMM passes nothing of
 * it to KVM itself (KVM wants the groups), but needs it to hand the
 * container to another process (see vfioiommu_ctx_group_fd()).
 * @param ctx the context
 * @return the fd, owned by the library (do not close it); -EINVAL NULL
 * @p ctx; -ENODEV no backend yet; -EOPNOTSUPP an iommufd context (use
 * vfioiommu_ctx_iommufd_fd()).
 */
VFIOIOMMU_API int vfioiommu_ctx_container_fd(vfioiommu_ctx *ctx);

/**
 * The fd of group @p group of a container context: what KVM's VFIO device
 * takes so KVM knows the group's devices do DMA (needed for, e.g., a
 * non-coherent DMA device or s390/PPC):
 * @code
 *   struct kvm_create_device cd = { .type = KVM_DEV_TYPE_VFIO };
 *   ioctl(vm_fd, KVM_CREATE_DEVICE, &cd);
 *   int32_t gfd = vfioiommu_ctx_group_fd(ctx, vfioiommu_device_group(dev));
 *   struct kvm_device_attr a = { .group = KVM_DEV_VFIO_FILE,
 *                                .attr = KVM_DEV_VFIO_FILE_ADD, .addr = (uintptr_t)&gfd };
 *   ioctl(cd.fd, KVM_SET_DEVICE_ATTR, &a);
 * @endcode
 * @param ctx   the context
 * @param group the group number
 * @return the fd, owned by the library; -EINVAL NULL @p ctx; -ENODEV no
 * backend yet; -EOPNOTSUPP an iommufd context (KVM takes the device's cdev
 * fd there: vfioiommu_device_kvm_fd()); -ENOENT the group is not in the context.
 */
VFIOIOMMU_API int vfioiommu_ctx_group_fd(vfioiommu_ctx *ctx, unsigned int group);

/**
 * The fd KVM_DEV_VFIO_FILE_ADD takes for @p dev: its group's fd on a
 * container context, its cdev fd on an iommufd context (Linux 6.6+ accepts
 * either file there).  Add it once per group (container) or per device
 * (iommufd) and delete it (KVM_DEV_VFIO_FILE_DEL) before closing the device.
 * @param dev the device
 * @return the fd, owned by the library (do not close it); -EINVAL NULL @p dev;
 * -ENOENT the device's group is gone.
 */
VFIOIOMMU_API int vfioiommu_device_kvm_fd(vfioiommu_device *dev);

VFIOIOMMU_END_DECLS

#endif
