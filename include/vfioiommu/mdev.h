/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/**
 * @file vfioiommu/mdev.h
 * Mediated devices (mdev): virtual devices a parent driver (mtty, mdpy,
 * kvmgt, a vGPU driver) creates on request, each named by a UUID under
 * /sys/bus/mdev/devices.  Create one with vfioiommu_mdev_create(), open it
 * with vfioiommu_device_open() and its UUID (through its group on a
 * container, through its cdev on iommufd, like a PCI device), remove it with
 * vfioiommu_mdev_remove().
 *
 * A mediated device has an IOMMU group of its own (Linux gives it no
 * reserved regions and the type "unknown"), and no PCI topology: calls that
 * need a PCI bus, such as vfioiommu_device_hot_reset(), say -EOPNOTSUPP.
 * Its device fd still offers whatever the parent emulates (mtty emulates a
 * PCI config space, BARs and interrupts: the region and IRQ calls work).
 *
 * Creating and removing need root (writes to sysfs).
 */
#ifndef VFIOIOMMU_MDEV_H
#define VFIOIOMMU_MDEV_H

#include <stdbool.h>
#include <stdint.h>

#include <vfioiommu/common.h>

VFIOIOMMU_BEGIN_DECLS

/**
 * Create a mediated device of type @p type on parent @p parent, writing
 * @p uuid to /sys/class/mdev_bus/PARENT/mdev_supported_types/TYPE/create.
 * @param ctx the context (its sysfs root and door are used)
 * @param parent the parent device's name under /sys/class/mdev_bus ("mtty")
 * @param type the type's directory name under mdev_supported_types ("mtty-2")
 * @param uuid the new device's UUID, lower case ("83b8f4f2-509f-382f-3c1e-e6bfe0fa1001")
 * @return 0 once /sys/bus/mdev/devices/UUID exists; -EINVAL NULL argument,
 * a name with '/' or empty, or a UUID that is not 8-4-4-4-12 lower-case hex
 * digits; -ENOENT no such parent or type; -EEXIST a device with that UUID
 * exists; -ENOSPC the parent has no room for another device of this type
 * (available_instances is 0; what mtty answers); -EACCES/-EPERM not root;
 * other -errno from the parent driver.
 */
VFIOIOMMU_API int vfioiommu_mdev_create(vfioiommu_ctx *ctx, const char *parent, const char *type,
					const char *uuid);

/**
 * Remove the mediated device @p uuid (writes "1" to its remove attribute).
 * @param ctx the context
 * @param uuid the device's UUID
 * @return 0; -EINVAL NULL argument or not a UUID; -ENOENT no such device;
 * -EBUSY it is open in this context (close it first: Linux would make the
 * write wait until every user closes it); -EACCES/-EPERM not root; other
 * -errno from the kernel.
 */
VFIOIOMMU_API int vfioiommu_mdev_remove(vfioiommu_ctx *ctx, const char *uuid);

/**
 * How many more devices of type @p type the parent can create
 * (available_instances).
 * @param ctx the context
 * @param parent the parent's name under /sys/class/mdev_bus
 * @param type the type's name under mdev_supported_types
 * @param count receives the number
 * @return 0; -EINVAL NULL argument or a bad name; -ENOENT no such parent or
 * type; -EPROTO the attribute is not a decimal number; other -errno.
 */
VFIOIOMMU_API int vfioiommu_mdev_available(vfioiommu_ctx *ctx, const char *parent, const char *type,
					   uint32_t *count);

/**
 * Whether an open device is a mediated device.
 * @param dev the device
 * @return true for a device opened by UUID; false otherwise and for NULL.
 */
VFIOIOMMU_API bool vfioiommu_device_is_mdev(const vfioiommu_device *dev);

VFIOIOMMU_END_DECLS

#endif
