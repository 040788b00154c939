/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/**
 * @file vfioiommu/device.h
 * An open device: its regions (BARs, config space, device-specific regions)
 * with their capabilities, region I/O and mmap, interrupts, reset, and PCI
 * helpers on top of the config-space region.
 *
 * Devices come from vfioiommu_device_open() and work the same on every
 * backend (a device fd from a VFIO group or from the cdev).
 *
 * Everything the kernel answers is checked before use: capability chains are
 * walked with bounds, alignment and loop checks, sparse-mmap areas must lie
 * inside their region, counts are bounded.  A malformed answer is -EPROTO
 * with a message naming what was wrong.
 *
 * State the library keeps per device (region descriptions, live mmaps,
 * eventfds it created) is released by vfioiommu_device_close(): live mmaps
 * are unmapped and the library's eventfds closed there (the kernel itself
 * tears the interrupts down when the device fd closes).
 *
 * Thread safety: calls on one context may come from several threads.
 * Region reads and writes run concurrently; mmap bookkeeping and interrupt
 * bookkeeping are serialised on the context.
 */
#ifndef VFIOIOMMU_DEVICE_H
#define VFIOIOMMU_DEVICE_H

#include <vfioiommu/common.h>

VFIOIOMMU_BEGIN_DECLS

/* ------------------------------------------------------------------ device */

/**
 * Open a device and attach it to the context's address space.
 * Container mode adds its group first when needed; iommufd mode opens the
 * device's cdev, binds it and attaches it to the IOAS.  The first device of a
 * context chooses its backend (see vfioiommu_ctx_backend_reason()).
 * A mediated device (/sys/bus/mdev/devices/UUID, see vfioiommu_mdev_create())
 * is opened by its UUID, through its group or its cdev like a PCI device;
 * any driver of the mdev bus counts as a VFIO driver.
 *
 * @param ctx the context
 * @param bdf the PCI address, "0000:03:00.0", or a mediated device's UUID
 *        in lower case, "83b8f4f2-509f-382f-3c1e-e6bfe0fa1001"
 * @param out receives the device; NULL on failure
 * @return 0; -EINVAL NULL @p ctx or @p out, or @p bdf is neither a PCI address nor a UUID;
 * -ENOENT no such device; -ENODEV no IOMMU group (the IOMMU is off), or the
 * device is not bound to a VFIO driver (the message names the driver);
 * -EBUSY already open in this context; from the kernel: a group that is not
 * viable (-EINVAL on a container, -EPERM on iommufd) or needs a firmware 1:1
 * map (-EINVAL); other -errno from the kernel.
 */
VFIOIOMMU_API int vfioiommu_device_open(vfioiommu_ctx *ctx, const char *bdf, vfioiommu_device **out);

/**
 * Close one device: detach it, unmap its region mappings, close the
 * eventfds the library made for it and its fd.
 * @param dev the device; NULL is accepted (nothing happens)
 */
VFIOIOMMU_API void vfioiommu_device_close(vfioiommu_device *dev);

/**
 * The device's PCI address, or a mediated device's UUID.
 * @param dev the device
 * @return "0000:03:00.0", valid while @p dev is open; "" for NULL.
 */
VFIOIOMMU_API const char *vfioiommu_device_name(const vfioiommu_device *dev);
/**
 * The device's IOMMU group number.
 * @param dev the device
 * @return N of /dev/vfio/N; 0 for NULL.
 */
VFIOIOMMU_API unsigned int vfioiommu_device_group(const vfioiommu_device *dev);
/**
 * The device fd, for ioctls the library does not wrap.
 * @param dev the device
 * @return the fd, owned by the library (do not close it); -EINVAL for NULL.
 */
VFIOIOMMU_API int vfioiommu_device_fd(const vfioiommu_device *dev);

/** vfioiommu_device_info.flags (the same bit positions as the kernel's). */
enum vfioiommu_device_flags {
	VFIOIOMMU_DEVICE_RESET = 1u << 0,    /**< vfioiommu_device_reset() works (FLR or similar) */
	VFIOIOMMU_DEVICE_PCI = 1u << 1,      /**< a PCI device: the PCI region and IRQ indexes apply */
	VFIOIOMMU_DEVICE_PLATFORM = 1u << 2, /**< a platform device (vfio-platform) */
	VFIOIOMMU_DEVICE_AMBA = 1u << 3,     /**< an ARM AMBA device (vfio-amba) */
	VFIOIOMMU_DEVICE_CCW = 1u << 4,      /**< an s390 channel I/O device (vfio-ccw) */
	VFIOIOMMU_DEVICE_AP = 1u << 5,       /**< an s390 crypto adjunct processor (vfio-ap) */
	VFIOIOMMU_DEVICE_FSL_MC = 1u << 6,   /**< a NXP fsl-mc bus device */
	VFIOIOMMU_DEVICE_CAPS = 1u << 7,     /**< the kernel returned device capabilities */
	VFIOIOMMU_DEVICE_CDX = 1u << 8,      /**< an AMD CDX bus device */
};

/** What VFIO_DEVICE_GET_INFO says.  Zero it, set size, call vfioiommu_device_info(). */
struct vfioiommu_device_info {
	/** in: sizeof(struct vfioiommu_device_info) as the caller compiled it */
	uint32_t size;
	/** enum vfioiommu_device_flags */
	uint32_t flags;
	/** Region indexes are 0 .. num_regions - 1 (some may not exist: see vfioiommu_region_info()). */
	uint32_t num_regions;
	/** IRQ indexes are 0 .. num_irqs - 1. */
	uint32_t num_irqs;
	/** The PCI_ATOMIC_COMP capability (Linux 6.5+) was present. */
	bool has_atomic_comp;
	/** Its flags: completer sizes 32 (1), 64 (2) and 128 (4) bits the root port supports. */
	uint32_t atomic_comp;
	/** Capabilities this library does not know (skipped). */
	unsigned int unknown_caps;
};

/**
 * Ask the kernel about the device (VFIO_DEVICE_GET_INFO and its capabilities).
 * @param dev  the device
 * @param info in: info->size set; out: the fields that fit in info->size bytes
 * @return 0; -EINVAL NULL argument or info->size below 16; -EPROTO the
 * kernel's answer is malformed; other -errno from the kernel.
 */
VFIOIOMMU_API int vfioiommu_device_info(vfioiommu_device *dev, struct vfioiommu_device_info *info);

/* ----------------------------------------------------------------- regions */

/** vfio-pci's fixed region indexes.  Indexes from 9 on are device specific (see the TYPE). */
enum vfioiommu_pci_region {
	VFIOIOMMU_PCI_BAR0 = 0,   /**< BAR 0 */
	VFIOIOMMU_PCI_BAR1 = 1,   /**< BAR 1 */
	VFIOIOMMU_PCI_BAR2 = 2,   /**< BAR 2 */
	VFIOIOMMU_PCI_BAR3 = 3,   /**< BAR 3 */
	VFIOIOMMU_PCI_BAR4 = 4,   /**< BAR 4 */
	VFIOIOMMU_PCI_BAR5 = 5,   /**< BAR 5 */
	VFIOIOMMU_PCI_ROM = 6,    /**< the expansion ROM (read only) */
	VFIOIOMMU_PCI_CONFIG = 7, /**< config space (vfioiommu_pci_config_read() and the find_cap calls use it) */
	VFIOIOMMU_PCI_VGA = 8,    /**< the legacy VGA ranges, only on VGA devices */
};

/** vfioiommu_region_info.flags */
enum vfioiommu_region_flags {
	VFIOIOMMU_REGION_READ = 1u << 0,   /**< vfioiommu_region_read() works */
	VFIOIOMMU_REGION_WRITE = 1u << 1,  /**< vfioiommu_region_write() works */
	VFIOIOMMU_REGION_MMAP = 1u << 2,   /**< the kernel lets the region (or its areas) be mmapped */
	/**
	 * The kernel gave SPARSE_MMAP areas: only those parts may be mmapped
	 * (vfioiommu_region_areas()); typically the MSI-X table is left out.
	 */
	VFIOIOMMU_REGION_SPARSE = 1u << 8,
	/**
	 * MSIX_MAPPABLE: the MSI-X table and PBA inside this BAR may be mmapped
	 * too (interrupts are still set up with vfioiommu_irq_*(), never by
	 * writing the table).
	 */
	VFIOIOMMU_REGION_MSIX_MAPPABLE = 1u << 9,
	/** The region has a TYPE capability: type and subtype are valid. */
	VFIOIOMMU_REGION_TYPED = 1u << 10,
};

/** One part of a region that may be mmapped, relative to the region's start. */
struct vfioiommu_region_area {
	uint64_t offset; /**< from the start of the region, page aligned */
	uint64_t size;   /**< bytes */
};

/** A region.  Zero it, set size, call vfioiommu_region_info(). */
struct vfioiommu_region_info {
	/** in: sizeof(struct vfioiommu_region_info) as the caller compiled it */
	uint32_t size;
	/** The region index asked about. */
	uint32_t index;
	/** enum vfioiommu_region_flags */
	uint32_t flags;
	/** With VFIOIOMMU_REGION_SPARSE: how many areas (vfioiommu_region_areas()). */
	uint32_t nr_areas;
	/** Bytes; 0 = the index exists but nothing is behind it (an unused BAR). */
	uint64_t region_size;
	/** Where the region starts in the device fd (for raw pread/pwrite/mmap). */
	uint64_t offset;
	/** With VFIOIOMMU_REGION_TYPED: the kernel's type number. */
	uint32_t type;
	/** With VFIOIOMMU_REGION_TYPED: the subtype number within type. */
	uint32_t subtype;
	/**
	 * A name for the type, or NULL when this library does not know the
	 * number (vfioiommu_region_type_name()).  A static string.
	 */
	const char *type_name;
	/** A name for the subtype, or NULL (vfioiommu_region_subtype_name()).  A static string. */
	const char *subtype_name;
	/** Capabilities this library does not know (skipped). */
	unsigned int unknown_caps;
};

/**
 * Describe region @p index.
 * @param dev   the device
 * @param index the region index, below vfioiommu_device_info.num_regions
 * @param info  in: info->size set; out: the fields that fit in info->size bytes
 * @return 0; -EINVAL NULL argument, info->size below 32, or @p index not
 * below num_regions (the message gives the count); -ENOENT the index is in
 * range but the device has no such region (e.g. VGA on a device that is not
 * a VGA device; the kernel says EINVAL); -EPROTO malformed capabilities;
 * other -errno from the kernel.
 */
VFIOIOMMU_API int vfioiommu_region_info(vfioiommu_device *dev, uint32_t index,
					    struct vfioiommu_region_info *info);

/**
 * The mmappable areas of a region, sorted by offset.  A region without
 * SPARSE_MMAP but with MMAP gives one area, the whole region; a region
 * without MMAP (or of size 0) gives none.
 * @param dev   the device
 * @param index the region index
 * @param areas receives at most @p max areas; may be NULL when @p max is 0
 * @param max   room in @p areas
 * @param n     receives the number of areas there are (also on -ENOSPC)
 * @return 0; -ENOSPC (with *@p n set) when @p max is too small; -EINVAL NULL
 * @p dev or @p n, or NULL @p areas with @p max > 0, or a bad @p index; -ENOENT
 * no such region; other errors of vfioiommu_region_info().
 */
VFIOIOMMU_API int vfioiommu_region_areas(vfioiommu_device *dev, uint32_t index,
					 struct vfioiommu_region_area *areas, uint32_t max, uint32_t *n);

/**
 * A name for a region TYPE number.
 * @param type the kernel's region type
 * @return "PCI vendor", "graphics", "CCW", "migration (deprecated)"; NULL for
 * a type this library does not know.
 */
VFIOIOMMU_API const char *vfioiommu_region_type_name(uint32_t type);
/**
 * A name for a region subtype.  Type 2 is CCW (never anything else,
 * whatever out-of-tree patches used it for).
 * @param type    the kernel's region type
 * @param subtype the subtype within @p type
 * @return "Intel IGD OpRegion", "Intel IGD host bridge config", "Intel IGD
 * LPC config", "EDID", "CCW async command", "CCW SCHIB", "CCW CRW",
 * "migration v1 (deprecated)", NVLink2 ones; NULL when unknown.
 */
VFIOIOMMU_API const char *vfioiommu_region_subtype_name(uint32_t type, uint32_t subtype);
/**
 * A name for one of vfio-pci's fixed region indexes.
 * @param index a region index
 * @return "BAR0".."BAR5", "ROM", "config", "VGA" for indexes 0 to 8; NULL for others.
 */
VFIOIOMMU_API const char *vfioiommu_pci_region_name(uint32_t index);

/**
 * Read @p len bytes at @p off inside region @p index (config space
 * included) through the device fd.  Short reads are continued; the call
 * succeeds only when every byte was read.
 * @param dev   the device
 * @param index the region index
 * @param off   offset inside the region
 * @param buf   receives the bytes
 * @param len   bytes to read
 * @return 0; -EINVAL NULL @p dev or @p buf, a bad index, or [off, off + len)
 * outside the region; -ENOENT no such region; -EACCES the region is not
 * readable (checked before the bounds, so a size-0 region without READ gives
 * -EACCES); -EIO the kernel returned end of file early; -EPROTO the kernel
 * claimed more bytes than asked for; other -errno from the kernel.
 */
VFIOIOMMU_API int vfioiommu_region_read(vfioiommu_device *dev, uint32_t index, uint64_t off, void *buf,
					size_t len);
/**
 * Write @p len bytes at @p off inside region @p index; as vfioiommu_region_read().
 * @param dev   the device
 * @param index the region index
 * @param off   offset inside the region
 * @param buf   the bytes to write
 * @param len   bytes to write
 * @return 0; -EACCES the region is not writable; the other errors as
 * vfioiommu_region_read().
 */
VFIOIOMMU_API int vfioiommu_region_write(vfioiommu_device *dev, uint32_t index, uint64_t off,
					 const void *buf, size_t len);

/** Protections for vfioiommu_region_mmap(). */
enum vfioiommu_map_prot {
	VFIOIOMMU_MAP_READ = 1u << 0,  /**< PROT_READ */
	VFIOIOMMU_MAP_WRITE = 1u << 1, /**< PROT_WRITE */
};

/**
 * Map [off, off + len) of region @p index into the process (a shared
 * mapping).  @p off must be page aligned; @p len is rounded up to whole pages.
 * The range must lie inside one area the kernel lets be mapped: the whole
 * region, or with VFIOIOMMU_REGION_SPARSE one of its areas.
 *
 * @param dev   the device
 * @param index the region index
 * @param off   offset inside the region, a multiple of the page size
 * @param len   bytes, not 0
 * @param prot  enum vfioiommu_map_prot bits; 0 means what the region allows
 *              (read, plus write when writable)
 * @param addr  receives the address; NULL on failure
 * @return 0; -EOPNOTSUPP the region cannot be mmapped (no MMAP flag, or size
 * 0: use vfioiommu_region_read()); -ERANGE the range is not inside one
 * mappable area (the message lists the areas); -EINVAL bad arguments
 * (misaligned @p off, @p len 0, unknown @p prot bits, NULL @p addr, a bad
 * index); -ENOENT no such region; -EACCES @p prot asks for more than the
 * region allows; -ENOMEM; other -errno from mmap().
 */
VFIOIOMMU_API int vfioiommu_region_mmap(vfioiommu_device *dev, uint32_t index, uint64_t off, uint64_t len,
					uint32_t prot, void **addr);
/**
 * Unmap a mapping vfioiommu_region_mmap() returned.
 * @param dev  the device it was made on
 * @param addr the address vfioiommu_region_mmap() gave
 * @return 0; -EINVAL NULL @p dev; -ENOENT @p addr is not a mapping of @p dev.
 */
VFIOIOMMU_API int vfioiommu_region_munmap(vfioiommu_device *dev, void *addr);

/* -------------------------------------------------------------- interrupts */

/** vfio-pci's IRQ indexes. */
enum vfioiommu_pci_irq {
	VFIOIOMMU_PCI_IRQ_INTX = 0, /**< legacy INTx: one level-triggered, maskable vector */
	VFIOIOMMU_PCI_IRQ_MSI = 1,  /**< MSI: up to 32 vectors, set up together (NORESIZE) */
	VFIOIOMMU_PCI_IRQ_MSIX = 2, /**< MSI-X: up to 2048 vectors */
	VFIOIOMMU_PCI_IRQ_ERR = 3, /**< AER: the device reported an error (PCIe only) */
	VFIOIOMMU_PCI_IRQ_REQ = 4, /**< the kernel asks the user to release the device */
};

/** vfioiommu_irq_info.flags */
enum vfioiommu_irq_flags {
	VFIOIOMMU_IRQ_EVENTFD = 1u << 0,    /**< vectors signal eventfds */
	VFIOIOMMU_IRQ_MASKABLE = 1u << 1,   /**< vfioiommu_irq_mask()/unmask() work */
	VFIOIOMMU_IRQ_AUTOMASKED = 1u << 2, /**< level triggered: masked after each event, unmask to get the next */
	/**
	 * The vectors of this index are set up together: the first
	 * vfioiommu_irq_enable() / set_eventfds() fixes how many exist
	 * (start + count); to change that, vfioiommu_irq_disable() the index and
	 * enable it again.  Without NORESIZE (MSI-X on Linux 6.5+) vectors can be
	 * added one at a time.
	 */
	VFIOIOMMU_IRQ_NORESIZE = 1u << 3,
};

/** An IRQ index.  Zero it, set size, call vfioiommu_irq_info(). */
struct vfioiommu_irq_info {
	uint32_t size;   /**< in: sizeof(struct vfioiommu_irq_info) */
	uint32_t index;  /**< the IRQ index asked about */
	uint32_t flags;  /**< enum vfioiommu_irq_flags */
	uint32_t count;  /**< vectors; 0 = the device has none of this kind */
	uint32_t active; /**< vectors set up through this library (0 = the index is off) */
};

/**
 * Describe IRQ index @p index.
 * @param dev   the device
 * @param index an IRQ index (enum vfioiommu_pci_irq on vfio-pci), below num_irqs
 * @param info  in: info->size set; out: the fields that fit in info->size bytes
 * @return 0; -EINVAL bad argument or @p index not below num_irqs; -ENOENT the
 * index is in range but the device lacks it (ERR on a conventional PCI
 * device); other -errno from the kernel.
 */
VFIOIOMMU_API int vfioiommu_irq_info(vfioiommu_device *dev, uint32_t index, struct vfioiommu_irq_info *info);

/**
 * Attach the caller's eventfds to vectors [start, start + count) of
 * @p index (VFIO_DEVICE_SET_IRQS, DATA_EVENTFD | ACTION_TRIGGER); this
 * enables the index.  The caller keeps owning the fds (the kernel holds its
 * own reference).
 * @param dev   the device
 * @param index the IRQ index
 * @param start the first vector
 * @param count how many vectors, not 0
 * @param fds   @p count eventfds; fds[i] = -1 detaches vector start + i
 * @return 0; -EINVAL start + count above the index's count (the message says
 * how many there are), @p count 0, NULL @p fds, a bad index, or a NORESIZE
 * index asked to grow while enabled; -ENOENT the device lacks the index;
 * -ENOMEM; other -errno from the kernel (-EINVAL also when another interrupt
 * type is enabled: INTx, MSI and MSI-X exclude each other).
 */
VFIOIOMMU_API int vfioiommu_irq_set_eventfds(vfioiommu_device *dev, uint32_t index, uint32_t start,
					     uint32_t count, const int *fds);
/**
 * Like vfioiommu_irq_set_eventfds() with eventfds the library creates
 * (non-blocking, close-on-exec) and owns: they stay valid until the index is
 * disabled, the vectors are enabled again, or the device is closed.
 * @param dev   the device
 * @param index the IRQ index
 * @param start the first vector
 * @param count how many vectors, not 0
 * @param fds   NULL, or receives the @p count fds (see also vfioiommu_irq_eventfd())
 * @return as vfioiommu_irq_set_eventfds(), and -errno from eventfd().
 */
VFIOIOMMU_API int vfioiommu_irq_enable(vfioiommu_device *dev, uint32_t index, uint32_t start, uint32_t count,
				       int *fds);
/**
 * The eventfd attached to a vector through this library.
 * @param dev    the device
 * @param index  the IRQ index
 * @param vector the vector within @p index
 * @return the fd (>= 0, owned by the library, or by the caller when it came
 * from vfioiommu_irq_set_eventfds()); -ENOENT no eventfd on that vector
 * (including a vector past the index's count) or the device lacks the index;
 * -EINVAL NULL @p dev or @p index not below the device's num_irqs.
 */
VFIOIOMMU_API int vfioiommu_irq_eventfd(vfioiommu_device *dev, uint32_t index, uint32_t vector);
/**
 * Fire vectors from software (DATA_NONE | ACTION_TRIGGER): the kernel
 * signals their eventfds, as if the device had raised them.  For tests of the
 * interrupt path.
 * @param dev   the device
 * @param index the IRQ index
 * @param start the first vector
 * @param count how many vectors
 * @return 0; -EINVAL bad range or index, or the index is not enabled;
 * -ENOENT the device lacks the index; other -errno from the kernel.
 */
VFIOIOMMU_API int vfioiommu_irq_trigger(vfioiommu_device *dev, uint32_t index, uint32_t start,
	uint32_t count);
/**
 * Mask vectors (ACTION_MASK with DATA_NONE): the kernel holds their
 * events back until they are unmasked.  Only indexes with
 * VFIOIOMMU_IRQ_MASKABLE (INTx on vfio-pci), and only while enabled.
 * @param dev   the device
 * @param index the IRQ index
 * @param start the first vector
 * @param count how many vectors
 * @return 0; -EOPNOTSUPP the index is not maskable; -EINVAL bad range or
 * index, or the index is not enabled; -ENOENT the device lacks the index;
 * other -errno from the kernel.
 */
VFIOIOMMU_API int vfioiommu_irq_mask(vfioiommu_device *dev, uint32_t index, uint32_t start, uint32_t count);
/**
 * Unmask vectors (ACTION_UNMASK with DATA_NONE); for an AUTOMASKED
 * (level-triggered) index, after each event.  As vfioiommu_irq_mask().
 * @param dev   the device
 * @param index the IRQ index
 * @param start the first vector
 * @param count how many vectors
 * @return 0; -EOPNOTSUPP the index is not maskable; -EINVAL bad range or
 * index, or the index is not enabled; -ENOENT the device lacks the index;
 * other -errno from the kernel.
 */
VFIOIOMMU_API int vfioiommu_irq_unmask(vfioiommu_device *dev, uint32_t index, uint32_t start, uint32_t count);
/**
 * Turn the whole index off (ACTION_TRIGGER, DATA_NONE, count 0) and close
 * the eventfds the library created for it.  Disabling an index that is off is
 * fine.
 * @param dev   the device
 * @param index the IRQ index
 * @return 0; -EINVAL NULL @p dev or a bad index; -ENOENT the device lacks
 * the index; -ENOMEM; other -errno from the kernel.
 */
VFIOIOMMU_API int vfioiommu_irq_disable(vfioiommu_device *dev, uint32_t index);

/**
 * The kernel's "please release this device" signal: enables the REQ
 * interrupt with an eventfd the library owns.  When it becomes readable the
 * kernel wants the device back (an unbind or a hot unplug is waiting); close
 * the device (vfioiommu_device_close()) soon, because the kernel blocks until
 * then.  Calling it again returns the same fd.
 * @param dev the device
 * @param fd  receives the eventfd (owned by the library)
 * @return 0; -EINVAL NULL argument; -EOPNOTSUPP the device has no REQ
 * interrupt; other -errno from eventfd() or the kernel.
 */
VFIOIOMMU_API int vfioiommu_device_request_eventfd(vfioiommu_device *dev, int *fd);

/* ------------------------------------------------------------------- reset */

/**
 * Reset the device (VFIO_DEVICE_RESET: a function-level reset or what the
 * kernel found instead).  BAR contents and config space go back to their
 * reset values; interrupt setup is kept.
 * @param dev the device
 * @return 0; -EINVAL NULL @p dev; -EOPNOTSUPP the device has no RESET flag
 * (use the hot reset); other -errno from the kernel.
 */
VFIOIOMMU_API int vfioiommu_device_reset(vfioiommu_device *dev);

/** A device a hot reset would also reset. */
struct vfioiommu_reset_dep {
	char bdf[16];        /**< "0000:03:00.1" */
	/** Its IOMMU group (container contexts), or UINT32_MAX when the kernel reported a device id. */
	uint32_t group;
	/**
	 * iommufd contexts: the device's iommufd id when it is bound to this
	 * context's iommufd, 0 when it is owned without one (an unopened device of
	 * an owned group), UINT32_MAX when it is not owned.
	 */
	uint32_t devid;
	/** This context can include it in the reset. */
	bool owned;
};

/** The set a hot reset of one device touches. */
struct vfioiommu_reset_info {
	/** The kernel reported device ids (the device was opened through its cdev). */
	bool by_devid;
	/** Every affected device is owned: vfioiommu_device_hot_reset() can go ahead. */
	bool all_owned;
	/** Entries in devs. */
	uint32_t count;
	/** The affected devices: count entries, in the kernel's order (allocated with the struct). */
	struct vfioiommu_reset_dep *devs;
};

/**
 * What a hot reset (secondary bus or slot reset) of @p dev would reset
 * (VFIO_DEVICE_GET_PCI_HOT_RESET_INFO).
 * @param dev the device
 * @param out receives the set, allocated; free it with vfioiommu_reset_info_free()
 * @return 0; -EINVAL NULL argument; -EOPNOTSUPP no slot or bus reset exists
 * for the device (for instance on a root bus, or a mediated device, which is
 * on no PCI bus); -EPROTO malformed answer;
 * -ENOMEM; other -errno from the kernel.
 */
VFIOIOMMU_API int vfioiommu_device_hot_reset_info(vfioiommu_device *dev, struct vfioiommu_reset_info **out);
/**
 * Free what vfioiommu_device_hot_reset_info() returned.
 * @param info the set; NULL is accepted
 */
VFIOIOMMU_API void vfioiommu_reset_info_free(struct vfioiommu_reset_info *info);
/**
 * Hot reset @p dev and every device that shares its reset
 * (VFIO_DEVICE_PCI_HOT_RESET).  Container contexts pass the fds of the
 * affected groups (every group must be in this context); iommufd contexts
 * pass none (every device must be bound to this context's iommufd, or be an
 * unopened device of an owned group).
 * @param dev the device
 * @return 0; -EINVAL NULL @p dev; -EPERM an affected device is not owned by
 * this context (the message names each one and why); -EOPNOTSUPP no hot
 * reset exists for the device (a mediated device has none); -ENOMEM; other -errno from the kernel.
 */
VFIOIOMMU_API int vfioiommu_device_hot_reset(vfioiommu_device *dev);

/* --------------------------------------------------------------------- PCI */

/** PCI identity from config space. */
struct vfioiommu_pci_ids {
	uint16_t vendor;           /**< vendor id (config offset 0x00) */
	uint16_t device;           /**< device id (0x02) */
	uint16_t subsystem_vendor; /**< subsystem vendor id (0x2c); 0 for a bridge (header type 1 or 2) */
	uint16_t subsystem;        /**< subsystem id (0x2e); 0 for a bridge */
	uint32_t class_code;       /**< base class << 16 | subclass << 8 | prog-if */
	uint8_t revision;          /**< revision id (0x08) */
	uint8_t header_type;       /**< header type (0x0e) without the multi-function bit */
};

/**
 * Read the PCI identity from config space.
 * @param dev the device
 * @param ids receives the ids
 * @return 0; -EINVAL NULL argument or not a PCI device; other errors of
 * vfioiommu_region_read().
 */
VFIOIOMMU_API int vfioiommu_pci_ids(vfioiommu_device *dev, struct vfioiommu_pci_ids *ids);
/**
 * Read 1, 2 or 4 bytes of config space through the config region,
 * converted from little endian to host order.
 * @param dev   the device
 * @param off   offset in config space
 * @param width 1, 2 or 4
 * @param val   receives the value
 * @return 0; -EINVAL NULL argument, another @p width, or not a PCI device;
 * other errors of vfioiommu_region_read().
 */
VFIOIOMMU_API int vfioiommu_pci_config_read(vfioiommu_device *dev, uint32_t off, uint32_t width,
	uint32_t *val);
/**
 * Write 1, 2 or 4 bytes of config space through the config region,
 * converted from host order to little endian.
 * @param dev   the device
 * @param off   offset in config space
 * @param width 1, 2 or 4
 * @param val   the value (its low @p width bytes)
 * @return 0; -EINVAL NULL @p dev, another @p width, or not a PCI device;
 * other errors of vfioiommu_region_write().
 */
VFIOIOMMU_API int vfioiommu_pci_config_write(vfioiommu_device *dev, uint32_t off, uint32_t width,
	uint32_t val);

/**
 * Find a standard capability in config space.
 * @param dev   the device
 * @param id    the capability id, e.g. 0x11 MSI-X
 * @param after 0 starts at the beginning; the offset of an earlier match
 *              continues after it (to find the next instance)
 * @param off   receives the capability's offset
 * @return 0; -ENOENT not found (or no capability list); -EPROTO the list
 * loops or points into the header; -EINVAL NULL argument or not a PCI device;
 * other errors of the config-space reads.
 */
VFIOIOMMU_API int vfioiommu_pci_find_cap(vfioiommu_device *dev, uint8_t id, uint32_t after, uint32_t *off);
/**
 * Find a PCIe extended capability, from offset 0x100.
 * @param dev   the device
 * @param id    the extended capability id, e.g. 0x1 AER
 * @param after as for vfioiommu_pci_find_cap()
 * @param off   receives the capability's offset
 * @return 0; -ENOENT not found, or config space has no extended part (256
 * bytes); -EPROTO loop or bad pointer; -EINVAL NULL argument or not a PCI
 * device; other errors of the config-space reads.
 */
VFIOIOMMU_API int vfioiommu_pci_find_ext_cap(vfioiommu_device *dev, uint16_t id, uint32_t after,
	uint32_t *off);

/**
 * mmap a BAR whole, read and write.  Unmap with vfioiommu_region_munmap().
 * @param dev  the device
 * @param bar  0..5
 * @param addr receives the address
 * @param len  receives the BAR size
 * @return 0; -EINVAL NULL argument, a BAR number above 5, or not a PCI
 * device; -ENOENT the BAR is unused (size 0); -EOPNOTSUPP the BAR cannot be
 * mmapped (an I/O BAR); -ERANGE the BAR has SPARSE_MMAP areas, so only those
 * can be mapped (vfioiommu_region_mmap()); other errors of
 * vfioiommu_region_mmap().
 */
VFIOIOMMU_API int vfioiommu_pci_map_bar(vfioiommu_device *dev, unsigned int bar, void **addr, uint64_t *len);

/* ------------------------------------------------------------------ binding to vfio-pci */

/**
 * Hand a PCI device to vfio-pci and wait until VFIO can open it: write
 * "vfio-pci" to its driver_override, unbind it from its current driver (if
 * any), write it to /sys/bus/pci/drivers_probe, then wait until it is bound
 * to a VFIO driver and its node exists: /dev/vfio/N for
 * VFIOIOMMU_MODE_CONTAINER and NOIOMMU contexts, /dev/vfio/devices/vfioN
 * for IOMMUFD, either one for AUTO.  The wait watches a uevent monitor when
 * the door has one and re-reads sysfs with a bounded backoff (1 ms doubling
 * to 100 ms) otherwise or besides.  Every step goes through @p ctx's door.
 *
 * A device already bound to a VFIO driver (vfio-pci or a variant such as
 * mlx5_vfio_pci) is left as it is; only the wait for its node is done.
 *
 * @param ctx        the context whose door and sysfs root are used
 * @param bdf        the PCI address, "0000:03:00.0"
 * @param timeout_ms how long to wait for the node, >= 0 (0: check once).
 * @return 0; -EINVAL (bad address or timeout); -ENOENT (no such device);
 *         -ENODEV (no IOMMU group: the IOMMU is off); -EACCES / -EPERM (not
 *         root: the message says so); -EBUSY (the device is in use, e.g. a
 *         VFIO device fd is open); -ETIMEDOUT (the message names what did
 *         not appear and what was there instead).
 */
VFIOIOMMU_API int vfioiommu_bind_vfio(vfioiommu_ctx *ctx, const char *bdf, int timeout_ms);

VFIOIOMMU_END_DECLS

#endif
