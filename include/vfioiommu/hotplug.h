/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/**
 * @file vfioiommu/hotplug.h
 * Know when VFIO groups and devices come and go, and bind a device to
 * vfio-pci and wait until it can be opened.
 *
 * The monitor listens to the kernel's uevents (NETLINK_KOBJECT_UEVENT,
 * multicast group 1, through libnl-3) and turns them into typed events:
 *
 * | kernel uevent                                        | event                          |
 * |------------------------------------------------------|--------------------------------|
 * | add/remove, SUBSYSTEM=vfio, DEVNAME=vfio/N           | GROUP_ADDED / GROUP_REMOVED    |
 * | add/remove, SUBSYSTEM=vfio-dev, .../BDF/vfio-dev/vfioN | CDEV_ADDED / CDEV_REMOVED    |
 * | bind, SUBSYSTEM=pci, DRIVER=vfio-pci (or a variant)  | DEVICE_BOUND                   |
 * | unbind, SUBSYSTEM=pci, of a device bound to VFIO     | DEVICE_UNBOUND                 |
 * | add/remove, SUBSYSTEM=pci                            | DEVICE_ADDED / DEVICE_REMOVED  |
 *
 * Linux sends, binding to vfio-pci: group add (when the group's first VFIO
 * device appears), cdev add, bind; unbinding: cdev remove, group remove
 * (when its last VFIO device goes), unbind; a PCI device leaving is unbound
 * first, then removed.  The unbind uevent carries no DRIVER=: the monitor
 * keeps the state it has seen and fills the driver, group and cdev in.
 *
 * No window at start: the socket is opened first, then the current state
 * is read from sysfs and delivered as events flagged
 * VFIOIOMMU_HOTPLUG_F_PRESENT by the first vfioiommu_hotplug_dispatch().
 * Uevents queued meanwhile whose SEQNUM is not above
 * /sys/kernel/uevent_seqnum as read before the scan are already in it and
 * are skipped; a later one that changes nothing is not reported.  When the
 * kernel drops messages (the socket overran: ENOBUFS) the monitor delivers
 * VFIOIOMMU_HOTPLUG_RESYNC, reads sysfs again (the same way) and delivers
 * the differences flagged VFIOIOMMU_HOTPLUG_F_RESYNC.  The events delivered
 * always add up to the state the kernel is in once the socket is drained.
 *
 * CDEV_ADDED comes before DEVICE_BOUND (Linux creates the cdev inside
 * vfio-pci's probe and announces the bind after it): its @c driver is ""
 * unless the monitor already knew the device.
 *
 * Builds without libnl-3 (meson -Dlibnl=disabled) have no uevent socket on
 * the system door: vfioiommu_hotplug_new() returns -EOPNOTSUPP there, and
 * vfioiommu_bind_vfio() waits by re-reading sysfs.  The mock kernel's door
 * needs no libnl and always has a uevent socket.
 *
 * A monitor belongs to one thread at a time (its callback must not destroy
 * it); monitors are independent of each other and of the context's other
 * users.  Only PCI devices are reported (platform and mdev VFIO devices are
 * not).  Uevents reach only the initial network namespace: in a container with its
 * own, the monitor opens but stays silent; vfioiommu_hotplug_resync() then
 * re-reads sysfs on demand.
 */
#ifndef VFIOIOMMU_HOTPLUG_H
#define VFIOIOMMU_HOTPLUG_H

#include <vfioiommu/common.h>

VFIOIOMMU_BEGIN_DECLS

/** A uevent monitor. */
typedef struct vfioiommu_hotplug vfioiommu_hotplug;

/** What happened. */
enum vfioiommu_hotplug_kind {
	VFIOIOMMU_HOTPLUG_GROUP_ADDED = 1, /**< /dev/vfio/N appeared (@c group, @c devnode) */
	VFIOIOMMU_HOTPLUG_GROUP_REMOVED,   /**< /dev/vfio/N went away */
	VFIOIOMMU_HOTPLUG_DEVICE_BOUND,    /**< @c bdf bound to the VFIO driver @c driver */
	VFIOIOMMU_HOTPLUG_DEVICE_UNBOUND,  /**< @c bdf unbound from the VFIO driver @c driver */
	VFIOIOMMU_HOTPLUG_CDEV_ADDED,      /**< /dev/vfio/devices/vfioN of @c bdf appeared (@c cdev, @c devnode) */
	VFIOIOMMU_HOTPLUG_CDEV_REMOVED,    /**< that cdev went away */
	VFIOIOMMU_HOTPLUG_DEVICE_ADDED,    /**< a PCI device appeared (any driver, or none yet) */
	VFIOIOMMU_HOTPLUG_DEVICE_REMOVED,  /**< a PCI device left the system */
	/**
	 * The kernel dropped uevents (socket overrun) or the caller asked for a
	 * resync: the events that follow, flagged VFIOIOMMU_HOTPLUG_F_RESYNC,
	 * are the differences between what was reported and sysfs now.
	 */
	VFIOIOMMU_HOTPLUG_RESYNC,
};

/** Flags of an event. */
enum vfioiommu_hotplug_flag {
	VFIOIOMMU_HOTPLUG_F_PRESENT = 1u << 0, /**< already there when the monitor started (from sysfs) */
	VFIOIOMMU_HOTPLUG_F_RESYNC = 1u << 1,  /**< found by a resync, not seen as a uevent */
	VFIOIOMMU_HOTPLUG_F_NOIOMMU = 1u << 2, /**< a no-IOMMU group: /dev/vfio/noiommu-N */
};

/** One event.  Valid only during the callback. */
struct vfioiommu_hotplug_event {
	enum vfioiommu_hotplug_kind kind; /**< what happened */
	unsigned int flags;  /**< enum vfioiommu_hotplug_flag */
	char bdf[24];        /**< PCI address ("0000:03:00.0"); "" for group and RESYNC events */
	int group;           /**< IOMMU group number; -1 when unknown or not applicable */
	int cdev;            /**< N of /dev/vfio/devices/vfioN; -1 when none or unknown */
	char driver[64];     /**< the VFIO driver bound or unbound; "" otherwise */
	char devnode[64];    /**< "/dev/vfio/12", "/dev/vfio/devices/vfio0"; "" otherwise */
	uint64_t seqnum;     /**< the kernel's SEQNUM; 0 for PRESENT, RESYNC and resync events */
};

/**
 * Called once per event by vfioiommu_hotplug_dispatch().
 * @param arg the arg given to vfioiommu_hotplug_dispatch()
 * @param ev  the event, valid only during the call
 * @return 0 to go on; any other value stops vfioiommu_hotplug_dispatch()
 * after this event (the rest stays queued for the next call: see
 * vfioiommu_hotplug_pending()).
 */
typedef int (*vfioiommu_hotplug_fn)(void *arg, const struct vfioiommu_hotplug_event *ev);

/**
 * Open a monitor on the kernel behind @p ctx's door (the real kernel or the
 * mock) and read the current state from @p ctx's sysfs.
 * @param ctx the context; it must outlive the monitor, and errors are
 *            reported on it (vfioiommu_strerror())
 * @param out receives the monitor
 * @return 0; -EOPNOTSUPP when the door has no uevent socket (a build without
 * libnl-3); -EINVAL NULL argument; -ENOMEM; or what opening the socket or
 * reading sysfs failed with.
 */
VFIOIOMMU_API int vfioiommu_hotplug_new(vfioiommu_ctx *ctx, vfioiommu_hotplug **out);
/**
 * Close the socket and free the monitor.
 * @param mon the monitor; NULL is a no-op
 */
VFIOIOMMU_API void vfioiommu_hotplug_destroy(vfioiommu_hotplug *mon);
/**
 * The fd to watch for POLLIN (level-triggered) in the caller's event loop.
 * With the mock door it is a real fd too.
 * @param mon the monitor
 * @return the fd (owned by the monitor); -EINVAL for NULL.
 */
VFIOIOMMU_API int vfioiommu_hotplug_fd(const vfioiommu_hotplug *mon);
/**
 * Deliver queued events, then read the socket until it is empty (at most
 * 256 messages per call, so a storm does not starve the caller's loop; the
 * fd stays readable).  Never blocks.  Call it once right after
 * vfioiommu_hotplug_new() for the PRESENT events, and whenever the fd is
 * readable or vfioiommu_hotplug_pending() is non-zero.
 * @param mon the monitor
 * @param fn  called once per event, in order
 * @param arg passed to @p fn
 * @return the number of events delivered; -EINVAL NULL @p mon or @p fn;
 * -ENOMEM; another -errno reading the socket or sysfs (the message is on the
 * context); after a failure the next call resyncs, so no state is lost.
 */
VFIOIOMMU_API int vfioiommu_hotplug_dispatch(vfioiommu_hotplug *mon, vfioiommu_hotplug_fn fn, void *arg);
/**
 * Events queued but not delivered yet (a callback stopped early).
 * @param mon the monitor
 * @return the count; 0 for NULL.
 */
VFIOIOMMU_API size_t vfioiommu_hotplug_pending(const vfioiommu_hotplug *mon);
/**
 * Ask for a resync: the next dispatch delivers VFIOIOMMU_HOTPLUG_RESYNC and
 * the differences between the reported state and sysfs.
 * @param mon the monitor
 * @return 0; -EINVAL NULL @p mon; -ENOMEM.
 */
VFIOIOMMU_API int vfioiommu_hotplug_resync(vfioiommu_hotplug *mon);
/**
 * A short name for an event kind.
 * @param kind an event kind
 * @return "group-added", "group-removed", "device-bound", "device-unbound",
 * "cdev-added", "cdev-removed", "device-added", "device-removed", "resync";
 * "unknown" for other values.
 */
VFIOIOMMU_API const char *vfioiommu_hotplug_kind_name(enum vfioiommu_hotplug_kind kind);

VFIOIOMMU_END_DECLS

#endif
