/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * The vIOMMU / vEVENTQ ABI (shared/reference/uapi-facts.md 3.8): allocation
 * structs and the event stream's header.  Same rules as kabi.h: our own
 * names, sizes checked at compile time.  Meant to be folded into kabi.h.
 */
#ifndef VI_KABI_VEVENT_H
#define VI_KABI_VEVENT_H

#include <stdint.h>

#include "kabi.h"

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

#endif
