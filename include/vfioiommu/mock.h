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
 * Host description files (vfioiommu_mock_load_string(); every keyword, its
 * arguments and default are in the user guide, docs/guide.md, "Host
 * descriptions"; installed examples are in share/libvfioiommu/hosts):
 * @code
 *   # comment
 *   aperture 0x0 0x7fffffffff       # IOMMU input range (inclusive)
 *   address-width 39                # the same as aperture 0 2^39-1
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
 *   pasid-attach yes                # PASID attach (Linux 6.15) offered
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

/** A mock kernel: one host, and the door to it. */
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
	VFIOIOMMU_MOCK_HWPT_DIRTY = 1u << 7,       /**< the IOMMU tracks dirty pages: HWPT_ALLOC with DIRTY_TRACKING
						        (default off, as QEMU's intel, amd and virtio IOMMUs) */
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
	VFIOIOMMU_MOCK_HOSTILE_IRQ_HUGE_COUNT = 1u << 7,   /**< IRQ_INFO counts past what PCI allows: INTx 2, MSI 33,
							    MSI-X 0xffffffff (ERR and REQ stay right) */
	VFIOIOMMU_MOCK_HOSTILE_IRQ_BAD_FLAGS = 1u << 8,    /**< IRQ_INFO flags: INTx AUTOMASKED without MASKABLE;
							    MSI-X with unknown bits 0xfff00000 added */
	VFIOIOMMU_MOCK_HOSTILE_IRQ_WRONG_INDEX = 1u << 9,  /**< IRQ_INFO for MSI answers index 5, one GET_INFO's
							    num_irqs did not announce */
	VFIOIOMMU_MOCK_HOSTILE_REGION_WRAP = 1u << 10,     /**< REGION_INFO for region 0: offset 2^64 - 4 KiB, so
							    offset + size wraps past 2^64 */
	VFIOIOMMU_MOCK_HOSTILE_REGION_MMAP_EMPTY = 1u << 11, /**< REGION_INFO for an absent BAR (size 0) says
							      READ | WRITE | MMAP instead of no flags */
	VFIOIOMMU_MOCK_HOSTILE_SPARSE_OUTSIDE = 1u << 12,  /**< the last SPARSE_MMAP area ends a page past its
							    region */
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

/**
 * Create an empty host: no groups, aperture [0, 2^39-1], page sizes
 * 4K|2M|1G, dma-limit 65535, iommu intel, PASID width 0; iommufd, cdevs, the
 * container, type1v2 and PASID attach on; container-compat and no-IOMMU off.
 * @param out receives the mock; free it with vfioiommu_mock_destroy()
 * @return 0; -EINVAL NULL @p out; -ENOMEM.
 */
VFIOIOMMU_API int vfioiommu_mock_new(vfioiommu_mock **out);
/**
 * Destroy the mock, closing what is still open through its door.  Every
 * context using its door must be destroyed first.
 * @param mock the mock; NULL is accepted
 */
VFIOIOMMU_API void vfioiommu_mock_destroy(vfioiommu_mock *mock);
/**
 * The door contexts use to reach this mock (vfioiommu_ctx_opts.door).
 * @param mock the mock
 * @return the door, valid until vfioiommu_mock_destroy(); NULL for NULL.
 */
VFIOIOMMU_API const vfioiommu_door *vfioiommu_mock_door(vfioiommu_mock *mock);

/**
 * Load a host description (the format is at the top of this header; the
 * full reference of every keyword is docs/guide.md) on top of the current
 * topology.  Lines apply in order; a failure leaves what earlier lines did.
 * @param mock   the mock
 * @param text   the description, NUL-terminated
 * @param err    if not NULL: receives "line N: what is wrong" on failure
 * @param errlen size of @p err
 * @return 0; -EINVAL NULL @p mock or @p text, or a line that is wrong.
 */
VFIOIOMMU_API int vfioiommu_mock_load_string(vfioiommu_mock *mock, const char *text,
	char *err, size_t errlen);
/**
 * Load a host description from a file (read directly, not through any
 * door), read to its end whatever size it claims (a pipe or a /proc file
 * works); otherwise as vfioiommu_mock_load_string().
 * @param mock   the mock
 * @param path   the file, e.g. share/libvfioiommu/hosts/intel-rmrr.host
 * @param err    if not NULL: receives "PATH: line N: what is wrong" or
 *               "PATH: cannot open (...)" on failure
 * @param errlen size of @p err
 * @return 0; the -errno of opening or reading it (-ENOENT, -EACCES, ...)
 * with a message naming the path; -EINVAL NULL argument, a file above
 * 16 MiB, a NUL byte (the message names its line) or a line that is wrong;
 * -ENOMEM.
 */
VFIOIOMMU_API int vfioiommu_mock_load_file(vfioiommu_mock *mock, const char *path,
	char *err, size_t errlen);

/**
 * The IOMMU input range (host files: "aperture START LAST", "address-width BITS").
 * @param mock  the mock
 * @param start the first IOVA
 * @param last  the last IOVA (inclusive)
 * @return 0; -EINVAL NULL @p mock or @p start > @p last.
 */
VFIOIOMMU_API int vfioiommu_mock_set_aperture(vfioiommu_mock *mock, uint64_t start, uint64_t last);
/**
 * The IOMMU page-size bitmap (host files: "pgsizes BITMAP").
 * @param mock   the mock
 * @param bitmap page sizes, one bit each; the smallest at least 512 bytes
 * @return 0; -EINVAL NULL @p mock, @p bitmap 0 or with a page below 512 bytes.
 */
VFIOIOMMU_API int vfioiommu_mock_set_pgsizes(vfioiommu_mock *mock, uint64_t bitmap);
/**
 * type1's dma_entry_limit: how many mappings a container allows (host
 * files: "dma-limit N").
 * @param mock  the mock
 * @param limit the limit
 * @return 0; -EINVAL NULL @p mock.
 */
VFIOIOMMU_API int vfioiommu_mock_set_dma_limit(vfioiommu_mock *mock, uint32_t limit);
/**
 * The IOMMU's PASID width (host files: "pasid-width BITS").
 * @param mock the mock
 * @param bits 0 (no PASID) .. 20
 * @return 0; -EINVAL NULL @p mock or @p bits above 20.
 */
VFIOIOMMU_API int vfioiommu_mock_set_pasid_width(vfioiommu_mock *mock, unsigned int bits);
/**
 * The IOMMU model (host files: "iommu intel|amd|virtio|smmuv3").
 * @param mock  the mock
 * @param model the model
 * @return 0; -EINVAL NULL @p mock or an unknown model.
 */
VFIOIOMMU_API int vfioiommu_mock_set_iommu(vfioiommu_mock *mock, enum vfioiommu_mock_iommu model);
/**
 * Turn host features on or off (host files: "iommufd yes", "cdev no", ...).
 * @param mock     the mock
 * @param features enum vfioiommu_mock_feature bits
 * @param on       true to turn them on, false to turn them off
 * @return 0; -EINVAL NULL @p mock or an unknown bit.
 */
VFIOIOMMU_API int vfioiommu_mock_set_feature(vfioiommu_mock *mock, unsigned int features, bool on);
/**
 * Add an IOMMU group, empty (host files: "group N").
 * @param mock  the mock
 * @param group the group number
 * @return 0; -EINVAL NULL @p mock; -EEXIST the group exists; -ENOMEM.
 */
VFIOIOMMU_API int vfioiommu_mock_add_group(vfioiommu_mock *mock, unsigned int group);
/**
 * Add a reserved region to a group (host files: "resv START LAST TYPE").
 * Regions of one type that overlap or touch are merged in the group's
 * sysfs file, as the kernel does.
 * @param mock  the mock
 * @param group the group
 * @param start the first IOVA
 * @param last  the last IOVA (inclusive)
 * @param type  the region's type
 * @return 0; -EINVAL NULL @p mock, @p start > @p last or an unknown type;
 * -ENOENT no such group; -ENOMEM.
 */
VFIOIOMMU_API int vfioiommu_mock_add_resv(vfioiommu_mock *mock, unsigned int group,
	uint64_t start, uint64_t last, enum vfioiommu_resv_type type);
/**
 * Add a PCI device to a group (host files: "device BDF DRIVER [ATTR...]"),
 * with the default model (e1000e ids).  A device bound to a VFIO driver gets
 * a cdev: the lowest free index, as Linux's ida gives it.
 * @param mock   the mock
 * @param group  the group, already added
 * @param bdf    the PCI address, "0000:03:00.0"
 * @param driver the driver it is bound to; NULL or "-" for none
 * @return 0; -EINVAL NULL @p mock, a bad address or a driver name of 64
 * bytes or more; -ENOENT no such group; -EEXIST the device exists; -ENOMEM.
 */
VFIOIOMMU_API int vfioiommu_mock_add_device(vfioiommu_mock *mock, unsigned int group,
	const char *bdf, const char *driver);
/**
 * Rebind a device to another driver, silently: no uevents (for those,
 * write the sysfs files through the door; see the hotplug note below).
 * @param mock   the mock
 * @param bdf    the device
 * @param driver the new driver; NULL or "-" unbinds
 * @return 0; -EINVAL NULL @p mock or a driver name of 64 bytes or more;
 * -ENOENT no such device; -EBUSY a device fd is open.
 */
VFIOIOMMU_API int vfioiommu_mock_set_driver(vfioiommu_mock *mock, const char *bdf, const char *driver);
/**
 * A device's PCI ids (host files: "vendor=", "device=", "class=" attributes).
 * @param mock       the mock
 * @param bdf        the device
 * @param vendor     the vendor id
 * @param device     the device id
 * @param class_code base class << 16 | subclass << 8 | prog-if
 * @return 0; -EINVAL NULL @p mock or @p class_code above 0xffffff; -ENOENT no such device.
 */
VFIOIOMMU_API int vfioiommu_mock_device_set_ids(vfioiommu_mock *mock, const char *bdf,
	uint16_t vendor, uint16_t device, uint32_t class_code);
/**
 * A device's PASID width and IOPF support (host files: "pasid=", "iopf").
 * @param mock the mock
 * @param bdf  the device
 * @param bits 0 (no PASID) .. 20
 * @param iopf whether it can take I/O page faults (PRI)
 * @return 0; -EINVAL NULL @p mock or @p bits above 20; -ENOENT no such device.
 */
VFIOIOMMU_API int vfioiommu_mock_device_set_pasid(vfioiommu_mock *mock, const char *bdf,
	unsigned int bits, bool iopf);

/**
 * The device model; also sets the model's PCI ids (later set_ids calls
 * override them).  Host files: "model=e1000e|nvme|igd".
 * @param mock  the mock
 * @param bdf   the device
 * @param model the model
 * @return 0; -EINVAL NULL @p mock or an unknown model; -ENOENT no such
 * device; -EBUSY the device was opened already; -EEXIST its fault region has
 * a type and subtype the model's regions use.
 */
VFIOIOMMU_API int vfioiommu_mock_device_set_model(vfioiommu_mock *mock, const char *bdf,
	enum vfioiommu_mock_model model);
/**
 * Whether the device can reset itself (FLR): VFIO_DEVICE_FLAGS_RESET.
 * Default true.  Host files: "reset=no".
 * @param mock the mock
 * @param bdf  the device
 * @param flr  true: VFIO_DEVICE_RESET works; false: -EOPNOTSUPP, only hot reset
 * @return 0; -EINVAL NULL @p mock; -ENOENT no such device.
 */
VFIOIOMMU_API int vfioiommu_mock_device_set_reset(vfioiommu_mock *mock, const char *bdf, bool flr);
/**
 * Resets the device went through (VFIO_DEVICE_RESET and hot resets).
 * @param mock the mock
 * @param bdf  the device
 * @return the count; 0 for a NULL mock or an unknown device.
 */
VFIOIOMMU_API unsigned int vfioiommu_mock_device_resets(vfioiommu_mock *mock, const char *bdf);
/**
 * The device raises vector @p vector of IRQ index @p index: its trigger
 * eventfd is signalled (an INTx that is masked is delivered at unmask; INTx
 * is automasked after each event, as level-triggered interrupts are).
 * @param mock   the mock
 * @param bdf    the device
 * @param index  the IRQ index (enum vfioiommu_pci_irq)
 * @param vector the vector within @p index
 * @return 0; -ENOENT no eventfd is set on that vector (or the index is off);
 * -EINVAL NULL @p mock, bad index or vector; -ENODEV no such device.
 */
VFIOIOMMU_API int vfioiommu_mock_device_irq(vfioiommu_mock *mock, const char *bdf, uint32_t index,
	uint32_t vector);
/**
 * The kernel asks the user to release the device (an unbind is waiting):
 * signals the REQ eventfd (vfioiommu_device_request_eventfd()).
 * @param mock the mock
 * @param bdf  the device
 * @return 0; -ENOENT the user set no REQ eventfd (Linux would then block
 * until the device is closed); -ENODEV no such device; -EINVAL NULL @p mock.
 */
VFIOIOMMU_API int vfioiommu_mock_device_request(vfioiommu_mock *mock, const char *bdf);
/**
 * The vIOMMU (iommu model smmuv3) of device @p bdf reports an event into
 * its vEVENTQ; a full queue gets one LOST_EVENTS header instead.
 * @param mock the mock
 * @param bdf  the device
 * @param data the event data
 * @param len  bytes, 1..64 (real SMMUv3 events are 32)
 * @return 0; -ENOENT no such device or no vIOMMU allocated with it; -ENODEV
 * not bound to an iommufd; -EOPNOTSUPP no vEVENTQ of the vIOMMU's type;
 * -EINVAL NULL argument or a bad @p len; -ENOMEM.
 */
VFIOIOMMU_API int vfioiommu_mock_inject_vevent(vfioiommu_mock *mock, const char *bdf, const void *data, size_t len);

/** The size of the design's fault region: 64 KiB, a 16-byte header and 1023 records. */
#define VFIOIOMMU_MOCK_FAULT_REGION_BYTES 0x10000u

/**
 * Give a device a fault region (the ring vfioiommu_ring_attach_region()
 * reads): one more device-specific region after the model's (index 9 on
 * e1000e and nvme, 12 on igd; GET_INFO counts it), flags READ|WRITE|MMAP,
 * the TYPE capability @p type / @p subtype, @p size_bytes long, holding the
 * COMPAT ring of vfioiommu/ring.h as the kernel formats it: size =
 * (size_bytes - 16) / 64 records, prod = cons = reserved = 0.  It is served
 * through the door like any region (REGION_INFO with its argsz contract,
 * pread/pwrite, mmap of whole pages, counted by vfioiommu_mock_live_mmaps())
 * and exists while a device fd is open (re-formatted on the next open; a
 * device reset leaves it).
 *
 * Upstream Linux has no such region (the posted series used type 2, which is
 * CCW upstream, then 4), so there is no default type: pass what the code
 * under test looks for; an out-of-tree driver would use a PCI vendor type,
 * 0x80000000 | vendor id.  Host files: "faultregion=TYPE:SUBTYPE[:BYTES]" on
 * a device line (BYTES defaults to VFIOIOMMU_MOCK_FAULT_REGION_BYTES).
 *
 * @param mock       the mock
 * @param bdf        the device
 * @param type       the region's TYPE number
 * @param subtype    its subtype
 * @param size_bytes 16 to 16 MiB; anything but
 *                   VFIOIOMMU_MOCK_FAULT_REGION_BYTES is for testing refusals
 * @return 0; -EINVAL NULL argument or size out of range; -ENOENT no such
 * device; -EBUSY a device fd is open; -EEXIST the device has a fault region
 * already, or its model has a region with that type and subtype.
 */
VFIOIOMMU_API int vfioiommu_mock_device_add_fault_region(vfioiommu_mock *mock, const char *bdf,
	uint32_t type, uint32_t subtype, uint64_t size_bytes);

/**
 * The kernel reports one fault through the device's fault region, as the
 * design's producer does: it reads cons (acquire) and checks it lies between
 * the last cons it saw and its own prod, copies @p rec (64 bytes, stored as
 * given) into slot prod % size, then publishes prod + 1 (release).  The
 * kernel's size and prod are its own: it never reads them back from the
 * shared header.  No wakeup is sent (the mock models no fault interrupt):
 * consumers poll, for example with vfioiommu_ring_ready().
 * @param mock the mock
 * @param bdf  the device
 * @param rec  the record
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
 * A broken producer: store @p value into a header word of the device's
 * fault region (a release store).  The kernel's own size, prod and last cons
 * seen do not change, so the next vfioiommu_mock_device_push_fault()
 * publishes the kernel's prod again.
 * @param mock  the mock
 * @param bdf   the device
 * @param word  enum vfioiommu_mock_fault_word
 * @param value the value to store
 * @return 0; -EINVAL NULL argument or unknown @p word; -ENODEV no device fd
 * is open; -ENOENT no such device, or it has no fault region; -errno
 * creating the region's memory.
 */
VFIOIOMMU_API int vfioiommu_mock_device_poke_fault(vfioiommu_mock *mock, const char *bdf, unsigned int word,
	uint32_t value);

/**
 * Fault injection: the @p n-th door call from now (1 = the next one) fails
 * with -@p err.  close() still releases the fd when it "fails", as Linux does.
 * Arming again replaces the previous arm.
 * @param mock the mock; NULL is ignored
 * @param n    which call from now; 0 disarms
 * @param err  the errno (positive or negative)
 */
VFIOIOMMU_API void vfioiommu_mock_fail_nth(vfioiommu_mock *mock, unsigned long n, int err);
/**
 * Fault injection by request: the @p nth call (1-based, from now) of ioctl
 * @p request fails with -@p err.
 * @param mock    the mock; NULL is ignored
 * @param request the ioctl number (for example VFIO_IOMMU_MAP_DMA's)
 * @param nth     which of its calls; 0 disarms
 * @param err     the errno (positive or negative)
 */
VFIOIOMMU_API void vfioiommu_mock_fail_ioctl(vfioiommu_mock *mock, unsigned long request,
	unsigned long nth, int err);
/**
 * Whether an armed failure has fired (it fires once).
 * @param mock the mock
 * @return true once it fired; false otherwise and for NULL.
 */
VFIOIOMMU_API bool vfioiommu_mock_fault_fired(const vfioiommu_mock *mock);
/**
 * Which call the fired fault failed: the door entry ("close", "mmap",
 * "sysfs_read", ...) or, for an ioctl, its uAPI name ("ioctl VFIO_IOMMU_MAP_DMA",
 * "ioctl IOMMU_IOAS_MAP"; "ioctl 0x3b99" for a request the mock has no name
 * for).
 * @param mock the mock
 * @return the site; "" if none fired or for NULL.
 */
VFIOIOMMU_API const char *vfioiommu_mock_fault_site(const vfioiommu_mock *mock);
/**
 * Door calls seen since the mock was created.
 * @param mock the mock
 * @return the count; 0 for NULL.
 */
VFIOIOMMU_API unsigned long vfioiommu_mock_calls(const vfioiommu_mock *mock);
/**
 * Mock fds currently open, uevent sockets included (a leak check for tests).
 * @param mock the mock
 * @return the count; 0 for NULL.
 */
VFIOIOMMU_API unsigned int vfioiommu_mock_open_fds(const vfioiommu_mock *mock);
/**
 * Live mmaps made through the mock door (a leak check for tests).
 * @param mock the mock
 * @return the count; 0 for NULL.
 */
VFIOIOMMU_API unsigned int vfioiommu_mock_live_mmaps(const vfioiommu_mock *mock);
/**
 * Turn hostile behaviours on, for testing parsers of the kernel's answers.
 * @param mock  the mock; NULL is ignored
 * @param flags enum vfioiommu_mock_hostile bits; 0 turns them all off
 */
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
 * Send one raw message to every uevent socket, as the kernel would: to
 * test a parser or a consumer's handlers.
 * @param mock the mock
 * @param buf  the message, any bytes ("ACTION@DEVPATH\\0KEY=VALUE\\0...")
 * @param len  1..16384
 * @return 0; -EINVAL NULL argument or a bad @p len.
 */
VFIOIOMMU_API int vfioiommu_mock_emit_uevent(vfioiommu_mock *mock, const void *buf, size_t len);
/**
 * The PCI device leaves the system (as "echo 1 > .../remove"): unbound
 * first if bound (with its uevents), then removed (uevent "remove").
 * @param mock the mock
 * @param bdf  the device
 * @return 0; -EINVAL NULL argument; -ENOENT no such device; -EBUSY while a
 * device fd of it is open, or while a device added after it is bound to an
 * iommufd (the mock cannot renumber that one); another -errno if the unbind
 * fails.
 */
VFIOIOMMU_API int vfioiommu_mock_remove_device(vfioiommu_mock *mock, const char *bdf);
/**
 * How many messages a uevent socket holds before the mock drops the next
 * ones and its reader gets -ENOBUFS (as a full netlink socket does).
 * @param mock         the mock
 * @param max_messages the limit; 0 (the default) means only the socket buffer limits it
 * @return 0; -EINVAL NULL @p mock; -ENOMEM.
 */
VFIOIOMMU_API int vfioiommu_mock_set_uevent_backlog(vfioiommu_mock *mock, unsigned int max_messages);

/**
 * The device wrote [@p iova, @p iova + @p length): with device DMA logging
 * running, the 4 KiB pages of it that fall in the logged ranges become
 * dirty until a report returns them (host files: "dmalog=yes" on a device;
 * mediated devices have it).  Pages outside the ranges, or while logging is
 * off, are not recorded, as a device's tracker would not see them.
 * @param mock   the mock
 * @param dev    the device: a PCI address or a mediated device's UUID
 * @param iova   the first byte written
 * @param length bytes written, at least 1
 * @return the number of pages recorded (0 when none was logged); -EINVAL NULL
 * @p mock or @p dev, @p length 0 or a range that wraps; -ENOENT no such
 * device; -EOPNOTSUPP the device has no DMA logging; -E2BIG more than 2^20
 * dirty pages held; -ENOMEM.
 */
VFIOIOMMU_API int vfioiommu_mock_device_dirty(vfioiommu_mock *mock, const char *dev, uint64_t iova, uint64_t length);

/**
 * The devices on an iommufd page table wrote [@p iova, @p iova + @p length)
 * (as IOMMUFD_TEST's IOMMU_TEST_OP_DIRTY): the mapped 4 KiB pages of it
 * become dirty in page table @p hwpt_id until a report clears them.  Needs a
 * host whose IOMMU tracks dirty pages (VFIOIOMMU_MOCK_HWPT_DIRTY, host
 * files: "hwpt-dirty yes") and tracking started on the page table.
 * @param mock    the mock
 * @param iommufd the mock /dev/iommu fd the page table belongs to
 *                (vfioiommu_ctx_iommufd_fd())
 * @param hwpt_id the page table (vfioiommu_pagetable_id())
 * @param iova    the first byte written
 * @param length  bytes written, at least 1
 * @return the number of pages newly recorded; -EINVAL NULL @p mock,
 * @p length 0, a range that wraps, or tracking off (the kernel's answer);
 * -EBADF @p iommufd is not a mock /dev/iommu; -ENOENT no such page table;
 * -EOPNOTSUPP it was allocated without DIRTY_TRACKING; -E2BIG more than
 * 2^20 dirty pages held; -ENOMEM.
 */
VFIOIOMMU_API int vfioiommu_mock_hwpt_dirty(vfioiommu_mock *mock, int iommufd, uint32_t hwpt_id, uint64_t iova,
					    uint64_t length);

VFIOIOMMU_END_DECLS

#endif
