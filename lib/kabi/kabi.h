/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * The kernel's VFIO and iommufd ABI (summarised in docs/kernel-abi.md) under
 * the library's own names so that the build never depends on the host's
 * linux/ uAPI headers version and no kernel name leaks into the public
 * headers.  Sizes are checked at compile time.
 */
#ifndef VI_KABI_H
#define VI_KABI_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define KABI_IO(nr) ((unsigned long)((0x3BUL << 8) | (nr)))

/* ---------------- VFIO container / group ---------------- */
#define KABI_VFIO_BASE 100
#define KABI_VFIO_GET_API_VERSION        KABI_IO(KABI_VFIO_BASE + 0)
#define KABI_VFIO_CHECK_EXTENSION        KABI_IO(KABI_VFIO_BASE + 1)
#define KABI_VFIO_SET_IOMMU              KABI_IO(KABI_VFIO_BASE + 2)
#define KABI_VFIO_GROUP_GET_STATUS       KABI_IO(KABI_VFIO_BASE + 3)
#define KABI_VFIO_GROUP_SET_CONTAINER    KABI_IO(KABI_VFIO_BASE + 4)
#define KABI_VFIO_GROUP_UNSET_CONTAINER  KABI_IO(KABI_VFIO_BASE + 5)
#define KABI_VFIO_GROUP_GET_DEVICE_FD    KABI_IO(KABI_VFIO_BASE + 6)
#define KABI_VFIO_DEVICE_GET_INFO        KABI_IO(KABI_VFIO_BASE + 7)
#define KABI_VFIO_DEVICE_GET_REGION_INFO KABI_IO(KABI_VFIO_BASE + 8)
#define KABI_VFIO_DEVICE_GET_IRQ_INFO    KABI_IO(KABI_VFIO_BASE + 9)
#define KABI_VFIO_DEVICE_SET_IRQS        KABI_IO(KABI_VFIO_BASE + 10)
#define KABI_VFIO_DEVICE_RESET           KABI_IO(KABI_VFIO_BASE + 11)
#define KABI_VFIO_DEVICE_GET_PCI_HOT_RESET_INFO KABI_IO(KABI_VFIO_BASE + 12)
#define KABI_VFIO_DEVICE_PCI_HOT_RESET   KABI_IO(KABI_VFIO_BASE + 13)
#define KABI_VFIO_IOMMU_GET_INFO         KABI_IO(KABI_VFIO_BASE + 12)
#define KABI_VFIO_IOMMU_MAP_DMA          KABI_IO(KABI_VFIO_BASE + 13)
#define KABI_VFIO_IOMMU_UNMAP_DMA        KABI_IO(KABI_VFIO_BASE + 14)
#define KABI_VFIO_DEVICE_FEATURE         KABI_IO(KABI_VFIO_BASE + 17)
#define KABI_VFIO_DEVICE_BIND_IOMMUFD    KABI_IO(KABI_VFIO_BASE + 18)
#define KABI_VFIO_DEVICE_ATTACH_IOMMUFD_PT KABI_IO(KABI_VFIO_BASE + 19)
#define KABI_VFIO_DEVICE_DETACH_IOMMUFD_PT KABI_IO(KABI_VFIO_BASE + 20)

#define KABI_VFIO_API_VERSION 0

/* extension ids (CHECK_EXTENSION / SET_IOMMU) */
#define KABI_VFIO_TYPE1_IOMMU     1
#define KABI_VFIO_SPAPR_TCE_IOMMU 2
#define KABI_VFIO_TYPE1v2_IOMMU   3
#define KABI_VFIO_DMA_CC_IOMMU    4
#define KABI_VFIO_EEH             5
#define KABI_VFIO_TYPE1_NESTING   6
#define KABI_VFIO_SPAPR_TCE_v2    7
#define KABI_VFIO_NOIOMMU_IOMMU   8
#define KABI_VFIO_UNMAP_ALL       9
#define KABI_VFIO_UPDATE_VADDR    10

struct kabi_vfio_group_status {
	uint32_t argsz;
	uint32_t flags;
};
#define KABI_VFIO_GROUP_FLAGS_VIABLE        (1u << 0)
#define KABI_VFIO_GROUP_FLAGS_CONTAINER_SET (1u << 1)

struct kabi_vfio_info_cap_header {
	uint16_t id;
	uint16_t version;
	uint32_t next; /* from the start of the INFO buffer */
};

struct kabi_vfio_iommu_type1_info {
	uint32_t argsz;
	uint32_t flags;
	uint64_t iova_pgsizes __attribute__((aligned(8)));
	uint32_t cap_offset;
	uint32_t pad;
};
#define KABI_VFIO_IOMMU_INFO_PGSIZES (1u << 0)
#define KABI_VFIO_IOMMU_INFO_CAPS    (1u << 1)
#define KABI_TYPE1_INFO_MIN 16 /* through iova_pgsizes */

#define KABI_TYPE1_CAP_IOVA_RANGE 1
#define KABI_TYPE1_CAP_MIGRATION  2
#define KABI_TYPE1_CAP_DMA_AVAIL  3

struct kabi_vfio_iova_range {
	uint64_t start;
	uint64_t end; /* inclusive */
};
struct kabi_type1_cap_iova_range {
	struct kabi_vfio_info_cap_header header;
	uint32_t nr_iovas;
	uint32_t reserved;
	struct kabi_vfio_iova_range iova_ranges[];
};
struct kabi_type1_cap_migration {
	struct kabi_vfio_info_cap_header header;
	uint32_t flags;
	uint64_t pgsize_bitmap;
	uint64_t max_dirty_bitmap_size;
};
struct kabi_type1_cap_dma_avail {
	struct kabi_vfio_info_cap_header header;
	uint32_t avail;
};

struct kabi_vfio_dma_map {
	uint32_t argsz;
	uint32_t flags;
	uint64_t vaddr;
	uint64_t iova;
	uint64_t size;
};
#define KABI_VFIO_DMA_MAP_FLAG_READ  (1u << 0)
#define KABI_VFIO_DMA_MAP_FLAG_WRITE (1u << 1)
#define KABI_VFIO_DMA_MAP_FLAG_VADDR (1u << 2)

struct kabi_vfio_dma_unmap {
	uint32_t argsz;
	uint32_t flags;
	uint64_t iova;
	uint64_t size; /* out: bytes unmapped */
};
#define KABI_VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP (1u << 0)
#define KABI_VFIO_DMA_UNMAP_FLAG_ALL              (1u << 1)
#define KABI_VFIO_DMA_UNMAP_FLAG_VADDR            (1u << 2)

/* ---------------- VFIO device ---------------- */
struct kabi_vfio_device_info {
	uint32_t argsz;
	uint32_t flags;
	uint32_t num_regions;
	uint32_t num_irqs;
	uint32_t cap_offset;
	uint32_t pad; /* 6.6+; 20 bytes before */
};
#define KABI_DEVICE_INFO_MIN 16
#define KABI_VFIO_DEVICE_FLAGS_RESET (1u << 0)
#define KABI_VFIO_DEVICE_FLAGS_PCI   (1u << 1)
#define KABI_VFIO_DEVICE_FLAGS_CAPS  (1u << 7)

struct kabi_vfio_region_info {
	uint32_t argsz;
	uint32_t flags;
	uint32_t index;
	uint32_t cap_offset;
	uint64_t size;
	uint64_t offset;
};
#define KABI_VFIO_REGION_INFO_FLAG_READ  (1u << 0)
#define KABI_VFIO_REGION_INFO_FLAG_WRITE (1u << 1)
#define KABI_VFIO_REGION_INFO_FLAG_MMAP  (1u << 2)
#define KABI_VFIO_REGION_INFO_FLAG_CAPS  (1u << 3)
#define KABI_REGION_CAP_SPARSE_MMAP   1
#define KABI_REGION_CAP_TYPE          2
#define KABI_REGION_CAP_MSIX_MAPPABLE 3

struct kabi_vfio_irq_info {
	uint32_t argsz;
	uint32_t flags;
	uint32_t index;
	uint32_t count;
};

struct kabi_vfio_device_bind_iommufd {
	uint32_t argsz;
	uint32_t flags;
	int32_t iommufd;
	uint32_t out_devid;
	uint64_t token_uuid_ptr; /* 6.17+; argsz 16 before */
};
#define KABI_BIND_IOMMUFD_MIN 16
#define KABI_VFIO_DEVICE_BIND_FLAG_TOKEN (1u << 0)

struct kabi_vfio_device_attach_iommufd_pt {
	uint32_t argsz;
	uint32_t flags;
	uint32_t pt_id;
	uint32_t pasid; /* 6.15+ */
};
#define KABI_VFIO_DEVICE_ATTACH_PASID (1u << 0)
#define KABI_ATTACH_PT_MIN 12

struct kabi_vfio_device_detach_iommufd_pt {
	uint32_t argsz;
	uint32_t flags;
	uint32_t pasid; /* 6.15+ */
};
#define KABI_VFIO_DEVICE_DETACH_PASID (1u << 0)
#define KABI_DETACH_PT_MIN 8

/* ---------------- iommufd ---------------- */
#define KABI_IOMMU_DESTROY             KABI_IO(0x80)
#define KABI_IOMMU_IOAS_ALLOC          KABI_IO(0x81)
#define KABI_IOMMU_IOAS_ALLOW_IOVAS    KABI_IO(0x82)
#define KABI_IOMMU_IOAS_COPY           KABI_IO(0x83)
#define KABI_IOMMU_IOAS_IOVA_RANGES    KABI_IO(0x84)
#define KABI_IOMMU_IOAS_MAP            KABI_IO(0x85)
#define KABI_IOMMU_IOAS_UNMAP          KABI_IO(0x86)
#define KABI_IOMMU_OPTION              KABI_IO(0x87)
#define KABI_IOMMU_VFIO_IOAS           KABI_IO(0x88)
#define KABI_IOMMU_HWPT_ALLOC          KABI_IO(0x89)
#define KABI_IOMMU_GET_HW_INFO         KABI_IO(0x8a)
#define KABI_IOMMU_FAULT_QUEUE_ALLOC   KABI_IO(0x8e)
#define KABI_IOMMU_IOAS_MAP_FILE       KABI_IO(0x8f)
#define KABI_IOMMU_VEVENTQ_ALLOC       KABI_IO(0x93)
#define KABI_IOMMU_TEST_CMD            KABI_IO(0x80 + 32)

/* IOMMUFD_TEST (CONFIG_IOMMUFD_TEST): struct iommu_test_cmd, 72 bytes (measured: tests/vm/FACTS.md). */
struct kabi_iommu_test_cmd {
	uint32_t size;
	uint32_t op;
	uint32_t id;
	uint32_t __reserved;
	uint8_t arg[48] __attribute__((aligned(8)));
	uint32_t last;
	uint32_t pad;
};
_Static_assert(sizeof(struct kabi_iommu_test_cmd) == 72, "iommu_test_cmd");

/* A command for op on object id with @len argument bytes (cut at the 48 the union holds). */
static inline void kabi_test_cmd_init(struct kabi_iommu_test_cmd *c, uint32_t op, uint32_t id, const void *arg,
				      size_t len)
{
	memset(c, 0, sizeof(*c));
	c->size = sizeof(*c);
	c->op = op;
	c->id = id;
	if (arg)
		memcpy(c->arg, arg, len < sizeof(c->arg) ? len : sizeof(c->arg));
}

struct kabi_iommu_destroy {
	uint32_t size;
	uint32_t id;
};
struct kabi_iommu_ioas_alloc {
	uint32_t size;
	uint32_t flags;
	uint32_t out_ioas_id;
};
struct kabi_iommu_iova_range {
	uint64_t start;
	uint64_t last; /* inclusive */
};
struct kabi_iommu_ioas_iova_ranges {
	uint32_t size;
	uint32_t ioas_id;
	uint32_t num_iovas;
	uint32_t __reserved;
	uint64_t allowed_iovas;
	uint64_t out_iova_alignment;
};
struct kabi_iommu_ioas_map {
	uint32_t size;
	uint32_t flags;
	uint32_t ioas_id;
	uint32_t __reserved;
	uint64_t user_va;
	uint64_t length;
	uint64_t iova;
};
#define KABI_IOMMU_IOAS_MAP_FIXED_IOVA (1u << 0)
#define KABI_IOMMU_IOAS_MAP_WRITEABLE  (1u << 1)
#define KABI_IOMMU_IOAS_MAP_READABLE   (1u << 2)
struct kabi_iommu_ioas_map_file {
	uint32_t size;
	uint32_t flags;
	uint32_t ioas_id;
	int32_t fd;
	uint64_t start;
	uint64_t length;
	uint64_t iova;
};
struct kabi_iommu_ioas_unmap {
	uint32_t size;
	uint32_t ioas_id;
	uint64_t iova;
	uint64_t length;
};
struct kabi_iommu_vfio_ioas {
	uint32_t size;
	uint32_t ioas_id;
	uint16_t op;
	uint16_t __reserved;
};
#define KABI_IOMMU_VFIO_IOAS_GET 0
struct kabi_iommu_hwpt_alloc {
	uint32_t size;
	uint32_t flags;
	uint32_t dev_id;
	uint32_t pt_id;
	uint32_t out_hwpt_id;
	uint32_t __reserved;
	uint32_t data_type;
	uint32_t data_len;
	uint64_t data_uptr;
	uint32_t fault_id;
	uint32_t __reserved2;
};
#define KABI_HWPT_ALLOC_MIN 24
#define KABI_IOMMU_HWPT_ALLOC_NEST_PARENT    (1u << 0)
#define KABI_IOMMU_HWPT_ALLOC_DIRTY_TRACKING (1u << 1)
#define KABI_IOMMU_HWPT_FAULT_ID_VALID       (1u << 2)
#define KABI_IOMMU_HWPT_ALLOC_PASID          (1u << 3)
struct kabi_iommu_hw_info {
	uint32_t size;
	uint32_t flags;
	uint32_t dev_id;
	uint32_t data_len;
	uint64_t data_uptr;
	uint32_t out_data_type;
	uint8_t out_max_pasid_log2;
	uint8_t __reserved[3];
	uint64_t out_capabilities;
};
#define KABI_HW_INFO_MIN 32
struct kabi_iommu_fault_alloc {
	uint32_t size;
	uint32_t flags;
	uint32_t out_fault_id;
	uint32_t out_fault_fd;
};
struct kabi_iommu_hwpt_pgfault {
	uint32_t flags;
	uint32_t dev_id;
	uint32_t pasid;
	uint32_t grpid;
	uint32_t perm;
	uint32_t __reserved;
	uint64_t addr;
	uint32_t length;
	uint32_t cookie;
};
#define KABI_PGFAULT_FLAGS_PASID_VALID (1u << 0)
#define KABI_PGFAULT_FLAGS_LAST_PAGE   (1u << 1)
struct kabi_iommu_hwpt_page_response {
	uint32_t cookie;
	uint32_t code;
};

_Static_assert(sizeof(struct kabi_vfio_group_status) == 8, "group_status");
_Static_assert(sizeof(struct kabi_vfio_iommu_type1_info) == 24, "type1_info");
_Static_assert(sizeof(struct kabi_type1_cap_iova_range) == 16, "cap_iova_range");
_Static_assert(sizeof(struct kabi_type1_cap_migration) == 32, "cap_migration");
_Static_assert(offsetof(struct kabi_type1_cap_dma_avail, avail) == 8, "cap_dma_avail");
_Static_assert(sizeof(struct kabi_vfio_dma_map) == 32, "dma_map");
_Static_assert(sizeof(struct kabi_vfio_dma_unmap) == 24, "dma_unmap");
_Static_assert(sizeof(struct kabi_vfio_device_info) == 24, "device_info");
_Static_assert(sizeof(struct kabi_vfio_region_info) == 32, "region_info");
_Static_assert(sizeof(struct kabi_vfio_device_bind_iommufd) == 24, "bind");
_Static_assert(sizeof(struct kabi_vfio_device_attach_iommufd_pt) == 16, "attach");
_Static_assert(sizeof(struct kabi_iommu_ioas_iova_ranges) == 32, "iova_ranges");
_Static_assert(sizeof(struct kabi_iommu_ioas_map) == 40, "ioas_map");
_Static_assert(sizeof(struct kabi_iommu_ioas_map_file) == 40, "ioas_map_file");
_Static_assert(sizeof(struct kabi_iommu_ioas_unmap) == 24, "ioas_unmap");
_Static_assert(sizeof(struct kabi_iommu_hwpt_alloc) == 48, "hwpt_alloc");
_Static_assert(sizeof(struct kabi_iommu_hw_info) == 40, "hw_info");
_Static_assert(sizeof(struct kabi_iommu_fault_alloc) == 16, "fault_alloc");
_Static_assert(sizeof(struct kabi_iommu_hwpt_pgfault) == 40, "pgfault");

/* iommufd additions used by backend/iommufd.c and mock/iommufd.c (docs/kernel-abi.md §6) */
struct kabi_iommu_option {
	uint32_t size;
	uint32_t option_id;
	uint16_t op;
	uint16_t __reserved;
	uint32_t object_id;
	uint64_t val64;
};
#define KABI_IOMMU_OPTION_RLIMIT_MODE 0
#define KABI_IOMMU_OPTION_HUGE_PAGES  1
#define KABI_IOMMU_OPTION_OP_SET      0
#define KABI_IOMMU_OPTION_OP_GET      1
#define KABI_IOMMU_VFIO_IOAS_SET   1
#define KABI_IOMMU_VFIO_IOAS_CLEAR 2
#define KABI_IOMMU_HW_INFO_FLAG_INPUT_TYPE (1u << 0)
#define KABI_IOMMU_HW_INFO_TYPE_NONE        0
#define KABI_IOMMU_HW_INFO_TYPE_INTEL_VTD   1
#define KABI_IOMMU_HW_INFO_TYPE_ARM_SMMUV3  2
#define KABI_IOMMU_HW_CAP_DIRTY_TRACKING  (1ull << 0)
#define KABI_IOMMU_HW_CAP_PCI_PASID_EXEC  (1ull << 1)
#define KABI_IOMMU_HW_CAP_PCI_PASID_PRIV  (1ull << 2)
struct kabi_iommu_hw_info_vtd {
	uint32_t flags;
	uint32_t __reserved;
	uint64_t cap_reg;
	uint64_t ecap_reg;
};
struct kabi_iommu_hw_info_arm_smmuv3 {
	uint32_t flags;
	uint32_t __reserved;
	uint32_t idr[6];
	uint32_t iidr;
	uint32_t aidr;
};
#define KABI_IOMMU_HWPT_DATA_NONE 0
struct kabi_iommu_ioas_allow_iovas {
	uint32_t size;
	uint32_t ioas_id;
	uint32_t num_iovas;
	uint32_t __reserved;
	uint64_t allowed_iovas;
};
#define KABI_IOMMU_HW_CAP_PCI_ATS_NOT_SUPPORTED (1ull << 3)
#define KABI_IOMMUFD_PAGE_RESP_SUCCESS 0
#define KABI_IOMMUFD_PAGE_RESP_INVALID 1
_Static_assert(sizeof(struct kabi_iommu_option) == 24, "iommu_option");
_Static_assert(sizeof(struct kabi_iommu_hw_info_vtd) == 24, "hw_info_vtd");
_Static_assert(sizeof(struct kabi_iommu_hw_info_arm_smmuv3) == 40, "hw_info_arm_smmuv3");
_Static_assert(sizeof(struct kabi_iommu_ioas_allow_iovas) == 24, "allow_iovas");


/*
 * The VFIO device-fd ABI beyond the above: region caps and types, SET_IRQS,
 * hot reset (docs/kernel-abi.md §2 and §4, checked against tests/vm/FACTS.md
 * where measured).  Same rules: our own names, sizes checked at compile time.
 */
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

/*
 * The vIOMMU / vEVENTQ ABI (docs/kernel-abi.md §8): allocation structs and
 * the event stream's header.  Same rules: our own names, sizes checked at
 * compile time.
 */
#define KABI_IOMMU_VIOMMU_ALLOC KABI_IO(0x90)

#define KABI_IOMMU_VIOMMU_TYPE_DEFAULT 0
#define KABI_IOMMU_VIOMMU_TYPE_ARM_SMMUV3 1
#define KABI_IOMMU_VIOMMU_TYPE_TEGRA241_CMDQV 2

struct kabi_iommu_viommu_alloc {
	uint32_t size;
	uint32_t flags;
	uint32_t type;
	uint32_t dev_id;
	uint32_t hwpt_id;
	uint32_t out_viommu_id;
	uint32_t data_len;   /* 6.17 */
	uint32_t __reserved;
	uint64_t data_uptr;  /* 6.17 */
};
#define KABI_VIOMMU_ALLOC_MIN 24

#define KABI_IOMMU_VEVENTQ_TYPE_DEFAULT 0
#define KABI_IOMMU_VEVENTQ_TYPE_ARM_SMMUV3 1
#define KABI_IOMMU_VEVENTQ_TYPE_TEGRA241_CMDQV 2
/* 7.2 and stable: larger depths are EINVAL */
#define KABI_IOMMU_VEVENTQ_MAX_DEPTH (1u << 19)

struct kabi_iommu_veventq_alloc {
	uint32_t size;
	uint32_t flags;
	uint32_t viommu_id;
	uint32_t type;
	uint32_t veventq_depth;
	uint32_t out_veventq_id;
	uint32_t out_veventq_fd;
	uint32_t __reserved;
};
#define KABI_VEVENTQ_ALLOC_MIN 28

struct kabi_iommufd_vevent_header {
	uint32_t flags;
	uint32_t sequence; /* 0 .. INT_MAX, then 0 again */
};
#define KABI_IOMMU_VEVENTQ_FLAG_LOST_EVENTS (1u << 0)

/* type-specific data after each non-LOST header */
#define KABI_VEVENT_ARM_SMMUV3_LEN 32      /* __aligned_le64 evt[4] */
#define KABI_VEVENT_TEGRA241_CMDQV_LEN 16  /* __aligned_le64 lvcmdq_err_map[2] */

_Static_assert(sizeof(struct kabi_iommu_viommu_alloc) == 40, "viommu_alloc");
_Static_assert(sizeof(struct kabi_iommu_veventq_alloc) == 32, "veventq_alloc");
_Static_assert(sizeof(struct kabi_iommufd_vevent_header) == 8, "vevent_header");

/*
 * VFIO_DEVICE_FEATURE(GET | DMA_BUF), Linux 6.19+ with CONFIG_VFIO_PCI_DMABUF:
 * a slice of a memory BAR as a dma-buf fd (the ioctl's return value), which
 * IOMMU_IOAS_MAP_FILE maps for peer-to-peer DMA.  The feature header
 * (argsz, flags) followed by the feature's own struct with one range (the
 * kernel takes nr_ranges of them; the library sends one).
 */
#define KABI_VFIO_DEVICE_FEATURE_MASK  0xffffu
#define KABI_VFIO_DEVICE_FEATURE_GET   (1u << 16)
#define KABI_VFIO_DEVICE_FEATURE_SET   (1u << 17)
#define KABI_VFIO_DEVICE_FEATURE_PROBE (1u << 18)
#define KABI_VFIO_DEVICE_FEATURE_DMA_BUF 11u
struct kabi_vfio_region_dma_range {
	uint64_t offset;
	uint64_t length;
};
struct kabi_vfio_feature_dma_buf {
	uint32_t argsz;
	uint32_t flags;        /* GET | DMA_BUF */
	uint32_t region_index; /* the BAR */
	uint32_t open_flags;   /* of the new fd: O_RDWR, O_CLOEXEC */
	uint32_t dmabuf_flags; /* 0 */
	uint32_t nr_ranges;
	struct kabi_vfio_region_dma_range range[1];
};
#define KABI_FEATURE_DMA_BUF_MIN 24 /* header + the feature's fixed part */

_Static_assert(sizeof(struct kabi_vfio_region_dma_range) == 16, "region_dma_range");
_Static_assert(sizeof(struct kabi_vfio_feature_dma_buf) == 40, "feature_dma_buf");

/* ---------------- VFIO_DEVICE_FEATURE and the PCI VF token (6.0+; the cdev BIND token 6.17+) ---------------- */
struct kabi_vfio_device_feature_vf_token {
	uint32_t argsz;
	uint32_t flags;     /* KABI_VFIO_DEVICE_FEATURE_* | feature index */
	uint8_t uuid[16];
};
#define KABI_VFIO_DEVICE_FEATURE_PCI_VF_TOKEN 0u
#define KABI_BIND_IOMMUFD_TOKEN_SIZE 24
_Static_assert(sizeof(struct kabi_vfio_device_feature_vf_token) == 24, "feature_vf_token");
_Static_assert(sizeof(struct kabi_vfio_device_bind_iommufd) == 24, "bind_iommufd with token_uuid_ptr");

/*
 * vDEVICE, nested-HWPT cache invalidation, HW queues, IOAS copy and
 * change-process (iommufd.h of Linux 6.8 .. 6.17; docs/kernel-abi.md §8).
 */
#define KABI_IOMMU_HWPT_INVALIDATE     KABI_IO(0x8d)
#define KABI_IOMMU_VDEVICE_ALLOC       KABI_IO(0x91)
#define KABI_IOMMU_IOAS_CHANGE_PROCESS KABI_IO(0x92)
#define KABI_IOMMU_HW_QUEUE_ALLOC      KABI_IO(0x94)

struct kabi_iommu_vdevice_alloc {
	uint32_t size;
	uint32_t viommu_id;
	uint32_t dev_id;
	uint32_t out_vdevice_id;
	uint64_t virt_id;
};

struct kabi_iommu_hwpt_invalidate {
	uint32_t size;
	uint32_t hwpt_id;   /* a nested HWPT or a vIOMMU */
	uint64_t data_uptr;
	uint32_t data_type;
	uint32_t entry_len;
	uint32_t entry_num; /* in: entries; out: entries the kernel handled */
	uint32_t __reserved;
};

struct kabi_iommu_hw_queue_alloc {
	uint32_t size;
	uint32_t flags;
	uint32_t viommu_id;
	uint32_t type;
	uint32_t index;
	uint32_t out_hw_queue_id;
	uint64_t nesting_parent_iova;
	uint64_t length;
};

struct kabi_iommu_ioas_copy {
	uint32_t size;
	uint32_t flags;
	uint32_t dst_ioas_id;
	uint32_t src_ioas_id;
	uint64_t length;
	uint64_t dst_iova;
	uint64_t src_iova;
};

struct kabi_iommu_ioas_change_process {
	uint32_t size;
	uint32_t __reserved;
};

/* IOMMUFD_TEST's mock driver data types (drivers/iommu/iommufd/iommufd_test.h) */
#define KABI_IOMMU_HWPT_DATA_SELFTEST 0xdeadu
#define KABI_IOMMU_HWPT_INVALIDATE_DATA_SELFTEST 0xdeadbeefu
#define KABI_IOMMU_VIOMMU_TYPE_SELFTEST 0xdeadbeefu
#define KABI_IOMMU_VEVENTQ_TYPE_SELFTEST 0xbeefbeefu
#define KABI_IOMMU_HW_QUEUE_TYPE_SELFTEST 0xdeadbeefu
#define KABI_VEVENT_SELFTEST_LEN 4 /* __u32 virt_id */

_Static_assert(sizeof(struct kabi_iommu_vdevice_alloc) == 24, "vdevice_alloc");
_Static_assert(sizeof(struct kabi_iommu_hwpt_invalidate) == 32, "hwpt_invalidate");
_Static_assert(sizeof(struct kabi_iommu_hw_queue_alloc) == 40, "hw_queue_alloc");
_Static_assert(sizeof(struct kabi_iommu_ioas_copy) == 40, "ioas_copy");
_Static_assert(sizeof(struct kabi_iommu_ioas_change_process) == 8, "change_process");

/* ---- migration v2: VFIO_DEVICE_FEATURE payloads and the data fd (uapi vfio.h) ---- */
#define KABI_VFIO_DEVICE_FEATURE_MIGRATION 1
#define KABI_VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE 2
#define KABI_VFIO_DEVICE_FEATURE_DMA_LOGGING_START 6
#define KABI_VFIO_DEVICE_FEATURE_DMA_LOGGING_STOP 7
#define KABI_VFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT 8
#define KABI_VFIO_DEVICE_FEATURE_MIG_DATA_SIZE 9
#define KABI_VFIO_MIGRATION_STOP_COPY (1u << 0)
#define KABI_VFIO_MIGRATION_P2P (1u << 1)
#define KABI_VFIO_MIGRATION_PRE_COPY (1u << 2)
/* enum vfio_device_mig_state */
#define KABI_MIG_ERROR 0
#define KABI_MIG_STOP 1
#define KABI_MIG_RUNNING 2
#define KABI_MIG_STOP_COPY 3
#define KABI_MIG_RESUMING 4
#define KABI_MIG_RUNNING_P2P 5
#define KABI_MIG_PRE_COPY 6
#define KABI_MIG_PRE_COPY_P2P 7
#define KABI_MIG_NUM_STATES 8
/* on the data fd of PRE_COPY / PRE_COPY_P2P */
#define KABI_VFIO_MIG_GET_PRECOPY_INFO KABI_IO(KABI_VFIO_BASE + 21)

/* struct vfio_device_feature followed by each feature's payload, as one argument */
struct kabi_vfio_feature_migration {
	uint32_t argsz;
	uint32_t flags;
	uint64_t mig_flags; /* struct vfio_device_feature_migration */
};
struct kabi_vfio_feature_mig_state {
	uint32_t argsz;
	uint32_t flags;
	uint32_t device_state; /* struct vfio_device_feature_mig_state */
	int32_t data_fd;
};
struct kabi_vfio_feature_mig_data_size {
	uint32_t argsz;
	uint32_t flags;
	uint64_t stop_copy_length; /* struct vfio_device_feature_mig_data_size */
};
struct kabi_vfio_precopy_info {
	uint32_t argsz;
	uint32_t flags;
	uint64_t initial_bytes;
	uint64_t dirty_bytes;
};
_Static_assert(sizeof(struct kabi_vfio_feature_migration) == 16, "feature + migration");
_Static_assert(sizeof(struct kabi_vfio_feature_mig_state) == 16, "feature + mig_state");
_Static_assert(sizeof(struct kabi_vfio_feature_mig_data_size) == 16, "feature + mig_data_size");
_Static_assert(sizeof(struct kabi_vfio_precopy_info) == 24, "precopy_info");

/* ---- device DMA logging: VFIO_DEVICE_FEATURE_DMA_LOGGING_* payloads ---- */
struct kabi_vfio_dma_logging_range {
	uint64_t iova;
	uint64_t length;
};
struct kabi_vfio_feature_dma_logging_control {
	uint32_t argsz;
	uint32_t flags;
	uint64_t page_size; /* in and out: the device may pick its own */
	uint32_t num_ranges;
	uint32_t reserved;
	uint64_t ranges;    /* user pointer to num_ranges struct kabi_vfio_dma_logging_range */
};
struct kabi_vfio_feature_dma_logging_report {
	uint32_t argsz;
	uint32_t flags;
	uint64_t iova;
	uint64_t length;
	uint64_t page_size;
	uint64_t bitmap;    /* user pointer; bits only set, never cleared by the kernel */
};
/* vfio_main.c LOG_MAX_RANGES: PAGE_SIZE / sizeof(range) on 4 KiB pages; more is E2BIG */
#define KABI_DMA_LOGGING_MAX_RANGES 256
_Static_assert(sizeof(struct kabi_vfio_dma_logging_range) == 16, "dma_logging_range");
_Static_assert(sizeof(struct kabi_vfio_feature_dma_logging_control) == 32, "feature + dma_logging_control");
_Static_assert(sizeof(struct kabi_vfio_feature_dma_logging_report) == 40, "feature + dma_logging_report");

/* ---- type1 dirty page tracking: VFIO_IOMMU_DIRTY_PAGES on a container ---- */
#define KABI_VFIO_IOMMU_DIRTY_PAGES KABI_IO(KABI_VFIO_BASE + 17) /* the number of DEVICE_FEATURE, on a container */
#define KABI_VFIO_IOMMU_DIRTY_PAGES_FLAG_START (1u << 0)
#define KABI_VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP (1u << 1)
#define KABI_VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP (1u << 2)
/* struct vfio_iommu_type1_dirty_bitmap + vfio_iommu_type1_dirty_bitmap_get (+ its struct vfio_bitmap) */
struct kabi_vfio_dirty_bitmap_get {
	uint32_t argsz;
	uint32_t flags;
	uint64_t iova;
	uint64_t size;
	uint64_t pgsize;  /* vfio_bitmap.pgsize: the container's smallest page */
	uint64_t bsize;   /* vfio_bitmap.size, bytes */
	uint64_t data;    /* vfio_bitmap.data, a user pointer */
};
#define KABI_DIRTY_PAGES_MIN 8 /* START and STOP carry only argsz and flags */
_Static_assert(sizeof(struct kabi_vfio_dirty_bitmap_get) == 48, "dirty_bitmap + get");

/* ---- iommufd HWPT dirty tracking (Linux 6.7) ---- */
#define KABI_IOMMU_HWPT_SET_DIRTY_TRACKING KABI_IO(0x8b)
#define KABI_IOMMU_HWPT_GET_DIRTY_BITMAP   KABI_IO(0x8c)
#define KABI_IOMMU_HWPT_DIRTY_TRACKING_ENABLE (1u << 0)
#define KABI_IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR (1u << 0)
/* struct iommu_hwpt_set_dirty_tracking */
struct kabi_iommu_hwpt_set_dirty {
	uint32_t size;
	uint32_t flags;
	uint32_t hwpt_id;
	uint32_t reserved;
};
_Static_assert(sizeof(struct kabi_iommu_hwpt_set_dirty) == 16, "hwpt_set_dirty_tracking");
/* struct iommu_hwpt_get_dirty_bitmap */
struct kabi_iommu_hwpt_get_dirty {
	uint32_t size;
	uint32_t hwpt_id;
	uint32_t flags;
	uint32_t reserved;
	uint64_t iova;
	uint64_t length;
	uint64_t page_size;
	uint64_t data;    /* a user pointer to the bitmap */
};
_Static_assert(sizeof(struct kabi_iommu_hwpt_get_dirty) == 48, "hwpt_get_dirty_bitmap");
/* IOMMUFD_TEST's IOMMU_TEST_OP_DIRTY: marks the pages of a bitmap dirty in a mock domain */
#define KABI_IOMMU_TEST_OP_DIRTY 13
struct kabi_iommu_test_dirty {
	uint32_t flags;
	uint32_t pad;
	uint64_t iova;
	uint64_t length;
	uint64_t page_size;
	uint64_t uptr;
	uint64_t out_nr_dirty;
};
_Static_assert(sizeof(struct kabi_iommu_test_dirty) == 48, "iommu_test_cmd.dirty");

/* VFIO_IOMMU_UNMAP_DMA with GET_DIRTY_BITMAP: struct vfio_iommu_type1_dma_unmap, then its struct vfio_bitmap */
struct kabi_vfio_dma_unmap_bitmap {
	struct kabi_vfio_dma_unmap u;
	uint64_t pgsize;  /* vfio_bitmap.pgsize: the container's smallest page, as for DIRTY_PAGES */
	uint64_t bsize;   /* vfio_bitmap.size, bytes */
	uint64_t data;    /* vfio_bitmap.data, a user pointer; bit 0 is the page at u.iova */
};
_Static_assert(sizeof(struct kabi_vfio_dma_unmap_bitmap) == 48, "dma_unmap + vfio_bitmap");

#endif
