/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * The VFIO device-fd ABI beyond what lib/kabi.h carries: region caps and
 * types, SET_IRQS, hot reset (shared/reference/uapi-facts.md 2.2-2.5, checked
 * against tests/vm/FACTS.md where measured).  Same rules as kabi.h: our own
 * names, sizes checked at compile time.  Meant to be folded into kabi.h.
 */
#ifndef VI_KABI_DEVICE_H
#define VI_KABI_DEVICE_H

#include <stdint.h>

#include "kabi.h"

/* VFIO_DEVICE_GET_INFO flags past RESET and PCI */
#define KABI_VFIO_DEVICE_FLAGS_PLATFORM (1u << 2)
#define KABI_VFIO_DEVICE_FLAGS_AMBA     (1u << 3)
#define KABI_VFIO_DEVICE_FLAGS_CCW      (1u << 4)
#define KABI_VFIO_DEVICE_FLAGS_AP       (1u << 5)
#define KABI_VFIO_DEVICE_FLAGS_FSL_MC   (1u << 6)
#define KABI_VFIO_DEVICE_FLAGS_CDX      (1u << 8)
#define KABI_DEVICE_CAP_PCI_ATOMIC_COMP 5 /* 6.5: {hdr; u32 flags; u32 reserved} */

/* vfio-pci fixed indexes */
#define KABI_PCI_BAR0_REGION    0
#define KABI_PCI_BAR5_REGION    5
#define KABI_PCI_ROM_REGION     6
#define KABI_PCI_CONFIG_REGION  7
#define KABI_PCI_VGA_REGION     8
#define KABI_PCI_NUM_REGIONS    9
#define KABI_PCI_INTX_IRQ 0
#define KABI_PCI_MSI_IRQ  1
#define KABI_PCI_MSIX_IRQ 2
#define KABI_PCI_ERR_IRQ  3
#define KABI_PCI_REQ_IRQ  4
#define KABI_PCI_NUM_IRQS 5

/* region capabilities */
struct kabi_region_sparse_area {
	uint64_t offset; /* from the start of the region */
	uint64_t size;
};
struct kabi_region_cap_sparse_mmap {
	struct kabi_vfio_info_cap_header header;
	uint32_t nr_areas;
	uint32_t reserved;
	struct kabi_region_sparse_area areas[];
};
struct kabi_region_cap_type {
	struct kabi_vfio_info_cap_header header;
	uint32_t type;
	uint32_t subtype;
};
#define KABI_REGION_CAP_NVLINK2_SSATGT 4 /* deprecated, never produced since 5.13 */
#define KABI_REGION_CAP_NVLINK2_LNKSPD 5

/* region types (CAP_TYPE); 1, 2 and 3 are taken upstream: type 2 is CCW, never anything else */
#define KABI_REGION_TYPE_PCI_VENDOR_TYPE (1u << 31)
#define KABI_REGION_TYPE_PCI_VENDOR_MASK 0xffffu
#define KABI_REGION_TYPE_GFX                  1
#define KABI_REGION_TYPE_CCW                  2
#define KABI_REGION_TYPE_MIGRATION_DEPRECATED 3
#define KABI_REGION_SUBTYPE_INTEL_IGD_OPREGION 1
#define KABI_REGION_SUBTYPE_INTEL_IGD_HOST_CFG 2
#define KABI_REGION_SUBTYPE_INTEL_IGD_LPC_CFG  3
#define KABI_REGION_SUBTYPE_NVIDIA_NVLINK2_RAM 1
#define KABI_REGION_SUBTYPE_IBM_NVLINK2_ATSD   1
#define KABI_REGION_SUBTYPE_GFX_EDID           1
#define KABI_REGION_SUBTYPE_CCW_ASYNC_CMD      1
#define KABI_REGION_SUBTYPE_CCW_SCHIB          2
#define KABI_REGION_SUBTYPE_CCW_CRW            3
#define KABI_REGION_SUBTYPE_MIGRATION_DEPRECATED 1

/* IRQ_INFO */
#define KABI_IRQ_INFO_MIN 16
#define KABI_VFIO_IRQ_INFO_EVENTFD    (1u << 0)
#define KABI_VFIO_IRQ_INFO_MASKABLE   (1u << 1)
#define KABI_VFIO_IRQ_INFO_AUTOMASKED (1u << 2)
#define KABI_VFIO_IRQ_INFO_NORESIZE   (1u << 3)

/* SET_IRQS: a 20-byte header, then count u8 (BOOL) or s32 (EVENTFD, -1 = de-assign) */
struct kabi_vfio_irq_set {
	uint32_t argsz;
	uint32_t flags;
	uint32_t index;
	uint32_t start;
	uint32_t count;
	uint8_t data[];
};
#define KABI_VFIO_IRQ_SET_DATA_NONE      (1u << 0)
#define KABI_VFIO_IRQ_SET_DATA_BOOL      (1u << 1)
#define KABI_VFIO_IRQ_SET_DATA_EVENTFD   (1u << 2)
#define KABI_VFIO_IRQ_SET_ACTION_MASK    (1u << 3)
#define KABI_VFIO_IRQ_SET_ACTION_UNMASK  (1u << 4)
#define KABI_VFIO_IRQ_SET_ACTION_TRIGGER (1u << 5)
#define KABI_VFIO_IRQ_SET_DATA_TYPE_MASK   0x7u
#define KABI_VFIO_IRQ_SET_ACTION_TYPE_MASK 0x38u

/* hot reset */
struct kabi_vfio_pci_dependent_device {
	union {
		uint32_t group_id;
		uint32_t devid;
	};
	uint16_t segment;
	uint8_t bus;
	uint8_t devfn;
};
#define KABI_VFIO_PCI_DEVID_OWNED     0u
#define KABI_VFIO_PCI_DEVID_NOT_OWNED 0xffffffffu
struct kabi_vfio_pci_hot_reset_info {
	uint32_t argsz;
	uint32_t flags;
	uint32_t count;
	struct kabi_vfio_pci_dependent_device devices[];
};
#define KABI_VFIO_PCI_HOT_RESET_FLAG_DEV_ID       (1u << 0)
#define KABI_VFIO_PCI_HOT_RESET_FLAG_DEV_ID_OWNED (1u << 1)
struct kabi_vfio_pci_hot_reset {
	uint32_t argsz;
	uint32_t flags;
	uint32_t count;
	int32_t group_fds[];
};

/* vfio-pci's (kernel-internal) region offset encoding: only the mock uses it, the library reads offsets */
#define KABI_VFIO_PCI_OFFSET_SHIFT 40

_Static_assert(sizeof(struct kabi_region_sparse_area) == 16, "sparse area");
_Static_assert(sizeof(struct kabi_region_cap_sparse_mmap) == 16, "sparse cap");
_Static_assert(sizeof(struct kabi_region_cap_type) == 16, "type cap");
_Static_assert(sizeof(struct kabi_vfio_irq_set) == 20, "irq_set");
_Static_assert(sizeof(struct kabi_vfio_pci_dependent_device) == 8, "dependent device");
_Static_assert(sizeof(struct kabi_vfio_pci_hot_reset_info) == 12, "hot reset info");
_Static_assert(sizeof(struct kabi_vfio_pci_hot_reset) == 12, "hot reset");

#endif
