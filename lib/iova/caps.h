/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * The VFIO *_INFO protocol: the argsz dance and the capability chain, shared
 * by every INFO ioctl (IOMMU, device, region), plus the typed type1 parser.
 *
 * A chain is untrusted kernel data: every offset is checked against the
 * buffer, offsets must be 4-byte aligned (kernels before 6.6 placed caps at
 * 4-byte offsets, 6.6+ at 8), each next must lie strictly after the cap it is
 * in (the kernel only appends), and at most VI_CAPS_MAX caps are visited.
 */
#ifndef VI_CAPS_H
#define VI_CAPS_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <vfioiommu/caps.h>

#include "core/internal.h"

#define VI_INFO_MAX_CALLS 4
#define VI_INFO_MAX_SIZE (1u << 20)
#define VI_CAPS_MAX 64
#define VI_CAP_HDR_LEN 8

/*
 * Fields of kernel INFO replies and of their caps are only 4-byte aligned
 * (caps before 6.6 sit at 4-byte offsets): read them with these, never
 * through a cast pointer.
 */
static inline uint16_t vi_ld16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint32_t vi_ld32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint64_t vi_ld64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* One capability as the walker hands it out. */
struct vi_cap {
	uint16_t id;
	uint16_t version;
	uint32_t off;        /* from the start of the INFO buffer */
	const uint8_t *p;    /* the cap, header included; only 4-byte aligned: memcpy fields out */
	size_t len;          /* bytes up to the next cap, or to the end of the buffer for the last */
};

/*
 * Called once per cap, in chain order.  Return 0 to go on, > 0 to stop (the
 * walk then returns 0), or a negative errno (with a message in err) to fail.
 */
typedef int (*vi_cap_fn)(void *arg, const struct vi_cap *cap, struct vi_err *err);

/*
 * The argsz dance: copy @fixed (@fixed_len bytes, a kernel struct starting
 * with u32 argsz) into a fresh buffer with argsz patched to its size, issue
 * @req on @fd, and while the kernel grows argsz reallocate to that size (the
 * zeroed tail follows a fresh copy of @fixed) and call again.  At most
 * VI_INFO_MAX_CALLS calls; an argsz above VI_INFO_MAX_SIZE is -EPROTO.
 * @min_len is the smallest argsz the kernel accepts for @req: a @fixed_len
 * below it (or below 8) is a caller bug, -EINVAL.  On success *out is the
 * malloc'ed reply and *out_len its size (>= fixed_len).
 */
int vi_info_query(struct vfioiommu_ctx *ctx, int fd, unsigned long req, const void *fixed,
		  size_t fixed_len, size_t min_len, void **out, size_t *out_len);

/*
 * Walk the chain of @buf (@len bytes) from offset @first (0: no caps).
 * @fixed_len is the size of the fixed struct on the oldest kernel: no cap may
 * start inside it.  Malformed chains are -EPROTO with a message naming the
 * offset.
 */
int vi_caps_walk(const void *buf, size_t len, uint32_t first, size_t fixed_len, vi_cap_fn fn,
		 void *arg, struct vi_err *err);

/*
 * Parse a VFIO_IOMMU_GET_INFO reply (@buf, @len bytes, from vi_info_query).
 * Fills all of *@info except size.  @ranges may be NULL; else *ranges is the
 * IOVA_RANGE list or NULL when the reply had none.
 */
int vi_type1_parse(const void *buf, size_t len, struct vfioiommu_iommu_info *info,
		   vfioiommu_iova_list **ranges, struct vi_err *err);

/* GET_INFO on a container fd, parsed; messages on ctx. */
int vi_type1_info(struct vfioiommu_ctx *ctx, int fd, struct vfioiommu_iommu_info *info,
		  vfioiommu_iova_list **ranges);

/* VFIO_DEVICE_GET_INFO: the fixed fields, and each cap through @fn (may be NULL). */
struct vi_device_info {
	uint32_t flags;
	uint32_t num_regions;
	uint32_t num_irqs;
};
int vi_device_info(struct vfioiommu_ctx *ctx, int fd, struct vi_device_info *info, vi_cap_fn fn,
		   void *arg);

/* VFIO_DEVICE_GET_REGION_INFO for @index: the fixed fields, and each cap through @fn. */
struct vi_region_info {
	uint32_t flags;
	uint64_t size;
	uint64_t offset;
};
int vi_region_info(struct vfioiommu_ctx *ctx, int fd, uint32_t index, struct vi_region_info *info,
		   vi_cap_fn fn, void *arg);

/* Fixed-part sizes the chains are checked against (the oldest kernel's). */
#define VI_TYPE1_INFO_FIXED 24  /* caps always at >= sizeof(vfio_iommu_type1_info) */
#define VI_DEVICE_INFO_FIXED 20 /* before 6.6 struct vfio_device_info was 20 bytes */
#define VI_REGION_INFO_FIXED 32

#endif
