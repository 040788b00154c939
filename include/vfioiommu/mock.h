/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/**
 * @file vfioiommu/mock.h
 * The mock kernel: a host (IOMMU groups, devices, reserved regions, IOMMU
 * limits) served behind the same door as the real kernel, so that a VMM or a
 * userspace driver can unit-test its VFIO code without hardware or root.
 *
 * The mock serves /dev/vfio/vfio, /dev/vfio/N, /dev/iommu,
 * /dev/vfio/devices/vfioN and a sysfs tree under "/sys" (leave
 * vfioiommu_ctx_opts.sysfs_root NULL), and implements the ioctls with the
 * kernel's contracts (argsz/size minimums, capability-chain placement, argsz
 * growth, EMSGSIZE, E2BIG for non-zero tails, EINVAL for non-viable groups
 * and RESV_DIRECT devices).
 *
 * File descriptors handed out by the mock are numbers >= VFIOIOMMU_MOCK_FD_BASE;
 * they are not kernel fds.  A mock is not thread-safe for topology edits,
 * but its door may be called from many threads at once.
 *
 * Host description files (see vfioiommu_mock_load_string()):
 * @code
 *   # comment
 *   aperture 0x0 0x7fffffffff       # IOMMU input range (inclusive)
 *   pgsizes 0x40201000              # IOMMU page-size bitmap
 *   dma-limit 65535                 # type1 dma_entry_limit
 *   iommufd yes                     # /dev/iommu present
 *   cdev yes                        # /dev/vfio/devices/vfioN present
 *   container yes                   # /dev/vfio/vfio present
 *   container-compat no             # /dev/vfio/vfio served by iommufd
 *   noiommu no                      # VFIO no-IOMMU mode enabled
 *   pasid-width 20                  # IOMMU PASID bits (0 = none)
 *   iommu intel                     # intel (default), amd, virtio, smmuv3
 *   type1v2 yes                     # VFIO_TYPE1v2_IOMMU offered (no: type1 only)
 *   group 3
 *     resv 0xfee00000 0xfeefffff msi
 *     device 0000:00:03.0 vfio-pci vendor=0x8086 device=0x10d3 class=0x020000 pasid=20 iopf
 *   group 4
 *     device 0000:00:1f.0 lpc_ich
 *   group 10
 *     device 0000:03:00.0 vfio-pci model=nvme reset=no   # model: e1000e (default), nvme, igd
 *   group 11
 *     device 0000:04:00.0 vfio-pci faultregion=0x80001234:1        # TYPE:SUBTYPE[:BYTES], 64 KiB default
 * @endcode
 * Types for resv: direct, direct-relaxable, reserved, msi, sw_msi.  A device
 * line's driver is "-" for none.  faultregion: see
 * vfioiommu_mock_device_add_fault_region().
 */
#ifndef VFIOIOMMU_MOCK_H
#define VFIOIOMMU_MOCK_H

#include <vfioiommu/common.h>
#include <vfioiommu/resv.h>

VFIOIOMMU_BEGIN_DECLS

typedef struct vfioiommu_mock vfioiommu_mock;
struct vfioiommu_fault; /* vfioiommu/fault.h */

/** Mock fds start here, far above what a test process opens itself. */
#define VFIOIOMMU_MOCK_FD_BASE 100000

/** Host features (vfioiommu_mock_set_feature()). */
enum vfioiommu_mock_feature {
	VFIOIOMMU_MOCK_IOMMUFD = 1u << 0,          /**< /dev/iommu exists (default on) */
	VFIOIOMMU_MOCK_CDEV = 1u << 1,             /**< /dev/vfio/devices/vfioN exist (default on) */
	VFIOIOMMU_MOCK_CONTAINER = 1u << 2,        /**< /dev/vfio/vfio and /dev/vfio/N exist (default on) */
	VFIOIOMMU_MOCK_CONTAINER_COMPAT = 1u << 3, /**< /dev/vfio/vfio is iommufd's emulation (default off) */
	VFIOIOMMU_MOCK_NOIOMMU = 1u << 4,          /**< VFIO no-IOMMU mode (default off) */
	VFIOIOMMU_MOCK_PASID_ATTACH = 1u << 5,     /**< kernel >= 6.15 PASID attach (default on) */
	VFIOIOMMU_MOCK_TYPE1V2 = 1u << 6,          /**< the container offers TYPE1v2 (default on) */
};

/**
 * The IOMMU model the mock imitates where real kernels differ by vendor
 * (tests/vm/FACTS.md): DMA_CC extension, GET_HW_INFO type and data, PASID
 * HWPT support.  Host files: "iommu intel|amd|virtio|smmuv3".
 */
enum vfioiommu_mock_iommu {
	VFIOIOMMU_MOCK_IOMMU_INTEL = 0, /**< VT-d (default) */
	VFIOIOMMU_MOCK_IOMMU_AMD = 1,   /**< AMD-Vi */
	VFIOIOMMU_MOCK_IOMMU_VIRTIO = 2,/**< virtio-iommu */
	VFIOIOMMU_MOCK_IOMMU_SMMUV3 = 3,/**< Arm SMMUv3 */
};

/** Hostile behaviours (vfioiommu_mock_set_hostile()), for testing parsers. */
enum vfioiommu_mock_hostile {
	VFIOIOMMU_MOCK_HOSTILE_CAP_LOOP = 1u << 0,      /**< a cap's next points back at an earlier cap */
	VFIOIOMMU_MOCK_HOSTILE_CAP_OOB = 1u << 1,       /**< next points past argsz */
	VFIOIOMMU_MOCK_HOSTILE_CAP_MISALIGN = 1u << 2,  /**< next is not 4-byte aligned */
	VFIOIOMMU_MOCK_HOSTILE_CAP_TRUNCATE = 1u << 3,  /**< last cap's payload cut short */
	VFIOIOMMU_MOCK_HOSTILE_HUGE_ARGSZ = 1u << 4,    /**< argsz grows to an absurd value */
	VFIOIOMMU_MOCK_HOSTILE_HUGE_COUNTS = 1u << 5,   /**< nr_iovas / num_iovas / nr_areas absurd */
	VFIOIOMMU_MOCK_HOSTILE_SHORT_IO = 1u << 6,      /**< device fd reads and writes move at most 3 bytes a call */
};

/**
 * What a device looks like behind its device fd (regions, IRQs, config
 * space).  Host files: "model=e1000e|nvme|igd" on a device line.
 */
enum vfioiommu_mock_model {
	/**
	 * The default: tests/vm/FACTS.md's QEMU e1000e (8086:10d3).  BAR0 and BAR1
	 * 128 KiB mmappable, BAR2 32-byte I/O, BAR3 16 KiB holding the MSI-X table
	 * with MSIX_MAPPABLE, config 4 KiB (PM, MSI, PCIe, MSI-X; AER, DSN),
	 * IRQs INTx 1, MSI 1, MSI-X 5, ERR 1, REQ 1; STATUS (BAR0 0x8) = 0x283, what tests/vm/vm_device read on Linux 7.2.
	 */
	VFIOIOMMU_MOCK_MODEL_E1000E = 0,
	/**
	 * An NVMe controller (1b36:0010) as a kernel before 4.16 shows it: BAR0
	 * 16 KiB with the MSI-X table at 0x2000 left out by SPARSE_MMAP areas
	 * [0, 0x2000) and [0x3000, 0x4000) (and mmaps over the table refused);
	 * 65 MSI-X vectors, 4 MSI vectors.
	 */
	VFIOIOMMU_MOCK_MODEL_NVME = 1,
	/**
	 * Intel integrated graphics (8086:3e92, class 0x030000, conventional PCI:
	 * no ERR interrupt): a VGA region, a ROM, and device-specific regions 9..11
	 * typed Intel IGD OpRegion, host bridge config and LPC config.
	 */
	VFIOIOMMU_MOCK_MODEL_IGD = 2,
};

/** Create an empty host: aperture [0, 2^39-1], page sizes 4K|2M|1G, dma-limit 65535. */
VFIOIOMMU_API int vfioiommu_mock_new(vfioiommu_mock **out);
/** Destroy the mock.  Every context using its door must be destroyed first. */
VFIOIOMMU_API void vfioiommu_mock_destroy(vfioiommu_mock *mock);
/** The door contexts use to reach this mock (vfioiommu_ctx_opts.door). */
VFIOIOMMU_API const vfioiommu_door *vfioiommu_mock_door(vfioiommu_mock *mock);

/**
 * Load a host description (format in the file comment above) on top of the
 * current topology.  On error -EINVAL and, if @err is not NULL, a message
 * naming the line.
 */
VFIOIOMMU_API int vfioiommu_mock_load_string(vfioiommu_mock *mock, const char *text,
	char *err, size_t errlen);
/**
 * Same, from a file (read directly, not through any door), read to its end
 * whatever size it claims (a pipe or a /proc file works).  A file that
 * cannot be opened or read gives its -errno (-ENOENT, -EACCES, ...) and a
 * message naming the path; one above 16 MiB, or with a NUL byte (the message
 * names its line), -EINVAL.
 */
VFIOIOMMU_API int vfioiommu_mock_load_file(vfioiommu_mock *mock, const char *path,
	char *err, size_t errlen);

/** Topology edits.  Each returns 0 or -EINVAL / -EEXIST / -ENOENT / -ENOMEM. */
VFIOIOMMU_API int vfioiommu_mock_set_aperture(vfioiommu_mock *mock, uint64_t start, uint64_t last);
VFIOIOMMU_API int vfioiommu_mock_set_pgsizes(vfioiommu_mock *mock, uint64_t bitmap);
VFIOIOMMU_API int vfioiommu_mock_set_dma_limit(vfioiommu_mock *mock, uint32_t limit);
VFIOIOMMU_API int vfioiommu_mock_set_pasid_width(vfioiommu_mock *mock, unsigned int bits);
VFIOIOMMU_API int vfioiommu_mock_set_iommu(vfioiommu_mock *mock, enum vfioiommu_mock_iommu model);
VFIOIOMMU_API int vfioiommu_mock_set_feature(vfioiommu_mock *mock, unsigned int features, bool on);
VFIOIOMMU_API int vfioiommu_mock_add_group(vfioiommu_mock *mock, unsigned int group);
VFIOIOMMU_API int vfioiommu_mock_add_resv(vfioiommu_mock *mock, unsigned int group,
	uint64_t start, uint64_t last, enum vfioiommu_resv_type type);
/** Add a PCI device; @driver NULL or "-" for none.  cdev index = order of addition. */
VFIOIOMMU_API int vfioiommu_mock_add_device(vfioiommu_mock *mock, unsigned int group,
	const char *bdf, const char *driver);
/** Rebind a device to another driver (NULL: unbind). */
VFIOIOMMU_API int vfioiommu_mock_set_driver(vfioiommu_mock *mock, const char *bdf, const char *driver);
/** Per-device PCI ids and PASID width / IOPF support. */
VFIOIOMMU_API int vfioiommu_mock_device_set_ids(vfioiommu_mock *mock, const char *bdf,
	uint16_t vendor, uint16_t device, uint32_t class_code);
VFIOIOMMU_API int vfioiommu_mock_device_set_pasid(vfioiommu_mock *mock, const char *bdf,
	unsigned int bits, bool iopf);

/** The device model (also sets the model's PCI ids; later set_ids calls override them). */
VFIOIOMMU_API int vfioiommu_mock_device_set_model(vfioiommu_mock *mock, const char *bdf,
	enum vfioiommu_mock_model model);
/** Whether the device can reset itself (FLR): VFIO_DEVICE_FLAGS_RESET.  Default true.  Host files: "reset=no". */
VFIOIOMMU_API int vfioiommu_mock_device_set_reset(vfioiommu_mock *mock, const char *bdf, bool flr);
/** Resets (VFIO_DEVICE_RESET and hot resets) the device went through. */
VFIOIOMMU_API unsigned int vfioiommu_mock_device_resets(vfioiommu_mock *mock, const char *bdf);
/**
 * The device raises vector @vector of IRQ index @index: its trigger eventfd
 * is signalled.  @return 0; -ENOENT no eventfd is set on that vector (or the
 * index is off); -EINVAL bad index or vector; -ENODEV no such device.
 */
VFIOIOMMU_API int vfioiommu_mock_device_irq(vfioiommu_mock *mock, const char *bdf, uint32_t index,
	uint32_t vector);
/**
 * The kernel asks the user to release the device (an unbind is waiting):
 * signals the REQ eventfd.  @return 0, or -ENOENT when the user set none
 * (Linux would then block until the device is closed).
 */
VFIOIOMMU_API int vfioiommu_mock_device_request(vfioiommu_mock *mock, const char *bdf);
/**
 * The vIOMMU (iommu model smmuv3) of device @bdf reports an event of @len
 * bytes (1..64; real SMMUv3 events are 32) into its vEVENTQ; a full queue
 * gets one LOST_EVENTS header instead.  @return 0; -ENOENT no such device or
 * no vIOMMU allocated with it; -ENODEV not bound to an iommufd; -EOPNOTSUPP
 * no vEVENTQ of the vIOMMU's type; -EINVAL; -ENOMEM.
 */
VFIOIOMMU_API int vfioiommu_mock_inject_vevent(vfioiommu_mock *mock, const char *bdf, const void *data, size_t len);

/** The size of the design's fault region: 64 KiB, a 16-byte header and 1023 records. */
#define VFIOIOMMU_MOCK_FAULT_REGION_BYTES 0x10000u

/**
 * Give device @bdf a fault region (the ring vfioiommu_ring_attach_region()
 * reads): one more device-specific region after the model's (index 9 on
 * e1000e and nvme, 12 on igd; GET_INFO counts it), flags READ|WRITE|MMAP,
 * the TYPE capability @type / @subtype, @size_bytes long, holding the COMPAT ring of
 * vfioiommu/fault.h as the kernel formats it: size = (@size_bytes - 16) / 64
 * records, prod = cons = reserved = 0.  It is served through the door like
 * any region (REGION_INFO with its argsz contract, pread/pwrite, mmap of
 * whole pages, counted by vfioiommu_mock_live_mmaps()) and exists while a
 * device fd is open (re-formatted on the next open; a device reset leaves it).
 *
 * Upstream Linux has no such region (the posted series used type 2, which is
 * CCW upstream, then 4), so there is no default type: pass what the code
 * under test looks for; an out-of-tree driver would use a PCI vendor type,
 * 0x80000000 | vendor id.  Host files: "faultregion=TYPE:SUBTYPE[:BYTES]" on
 * a device line (BYTES defaults to VFIOIOMMU_MOCK_FAULT_REGION_BYTES).
 *
 * @param size_bytes 16 to 16 MiB; anything but
 *        VFIOIOMMU_MOCK_FAULT_REGION_BYTES is for testing refusals
 * @return 0; -EINVAL NULL argument or size out of range; -ENOENT no such
 * device; -EBUSY a device fd is open; -EEXIST the device has a fault region
 * already, or its model has a region with that type and subtype.
 */
VFIOIOMMU_API int vfioiommu_mock_device_add_fault_region(vfioiommu_mock *mock, const char *bdf,
	uint32_t type, uint32_t subtype, uint64_t size_bytes);

/**
 * The kernel reports one fault through @bdf's fault region, as the design's
 * producer does: it reads cons (acquire) and checks it lies between the last
 * cons it saw and its own prod, copies @rec (64 bytes, stored as given) into
 * slot prod % size, then publishes prod + 1 (release).  The kernel's size
 * and prod are its own: it never reads them back from the shared header.
 * No wakeup is sent (the mock models no fault interrupt): consumers poll,
 * for example with vfioiommu_ring_ready().
 * @return 0; -ENOSPC the ring is full: nothing is written (a kernel would
 * drop the fault), retry after the consumer advances; -EPROTO cons in the
 * header is outside [last cons seen, prod] (nothing written); -ENODEV no
 * device fd is open; -ENOENT no such device, or it has no fault region;
 * -EINVAL NULL argument; -errno creating the region's memory.
 */
VFIOIOMMU_API int vfioiommu_mock_device_push_fault(vfioiommu_mock *mock, const char *bdf,
	const struct vfioiommu_fault *rec);

/** Header words of a fault region, for vfioiommu_mock_device_poke_fault(). */
enum vfioiommu_mock_fault_word {
	VFIOIOMMU_MOCK_FAULT_SIZE = 0,     /**< offset 0: the ring size in records */
	VFIOIOMMU_MOCK_FAULT_PROD = 1,     /**< offset 4 */
	VFIOIOMMU_MOCK_FAULT_CONS = 2,     /**< offset 8 */
	VFIOIOMMU_MOCK_FAULT_RESERVED = 3, /**< offset 12 (the library's wakeup word) */
};

/**
 * A broken producer: store @value into header word @word of @bdf's fault
 * region (a release store).  The kernel's own size, prod and last cons seen
 * do not change, so the next vfioiommu_mock_device_push_fault() publishes
 * the kernel's prod again.
 * @return 0; -EINVAL NULL argument or unknown @word; -ENODEV no device fd is
 * open; -ENOENT no such device, or it has no fault region; -errno creating
 * the region's memory.
 */
VFIOIOMMU_API int vfioiommu_mock_device_poke_fault(vfioiommu_mock *mock, const char *bdf, unsigned int word,
	uint32_t value);

/**
 * Fault injection: the @n-th door call from now (1 = the next one) fails with
 * -@err.  n = 0 disarms.  close() still releases the fd when it "fails", as
 * Linux does.
 */
VFIOIOMMU_API void vfioiommu_mock_fail_nth(vfioiommu_mock *mock, unsigned long n, int err);
/** The @nth call (1-based, from now) of ioctl @request fails with -@err. */
VFIOIOMMU_API void vfioiommu_mock_fail_ioctl(vfioiommu_mock *mock, unsigned long request,
	unsigned long nth, int err);
/** true once an armed failure has fired (it fires once). */
VFIOIOMMU_API bool vfioiommu_mock_fault_fired(const vfioiommu_mock *mock);
/** Which call the fired fault failed ("close", "ioctl 0x3b66", ...); "" if none fired. */
VFIOIOMMU_API const char *vfioiommu_mock_fault_site(const vfioiommu_mock *mock);
/** Door calls seen since the mock was created. */
VFIOIOMMU_API unsigned long vfioiommu_mock_calls(const vfioiommu_mock *mock);
/** Mock fds currently open, uevent sockets included (a leak check for tests). */
VFIOIOMMU_API unsigned int vfioiommu_mock_open_fds(const vfioiommu_mock *mock);
/** Live mmaps made through the mock door (a leak check for tests). */
VFIOIOMMU_API unsigned int vfioiommu_mock_live_mmaps(const vfioiommu_mock *mock);
/** Turn hostile behaviours on (flags from enum vfioiommu_mock_hostile; 0 = off). */
VFIOIOMMU_API void vfioiommu_mock_set_hostile(vfioiommu_mock *mock, unsigned int flags);

/*
 * Hotplug (vfioiommu/hotplug.h).  The mock sends the uevents Linux sends, in
 * its format ("ACTION@DEVPATH\0KEY=VALUE\0..."), to every uevent socket
 * opened through its door, when writes to /sys/bus/pci/devices/BDF/
 * driver_override, /sys/bus/pci/drivers/NAME/unbind and /bind,
 * /sys/bus/pci/drivers_probe or /sys/bus/pci/devices/BDF/remove change a
 * device (these refuse with -EBUSY while one of its device fds is open), and
 * on vfioiommu_mock_remove_device().  vfioiommu_mock_set_driver() changes the
 * host silently, without uevents.
 */
/**
 * Send one raw message (any bytes, @p len 1..16384) to every uevent socket,
 * as the kernel would: to test a parser or a consumer's handlers.
 * @return 0, or -EINVAL.
 */
VFIOIOMMU_API int vfioiommu_mock_emit_uevent(vfioiommu_mock *mock, const void *buf, size_t len);
/**
 * The PCI device leaves the system (as "echo 1 > .../remove"): unbound first
 * if bound (with its uevents), then removed (uevent "remove").
 * @return 0; -ENOENT; -EBUSY while a device fd of it is open, or while a
 *         device added after it is bound to an iommufd (the mock cannot
 *         renumber that one).
 */
VFIOIOMMU_API int vfioiommu_mock_remove_device(vfioiommu_mock *mock, const char *bdf);
/**
 * How many messages a uevent socket holds before the mock drops the next
 * ones and its reader gets -ENOBUFS (as a full netlink socket does); 0 (the
 * default) means only the socket buffer limits it.
 */
VFIOIOMMU_API int vfioiommu_mock_set_uevent_backlog(vfioiommu_mock *mock, unsigned int max_messages);

VFIOIOMMU_END_DECLS

#endif
