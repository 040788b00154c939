/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/* The VFIO *_INFO argsz dance and capability-chain walker, and the type1 parser. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "caps.h"
#include "kabi/kabi.h"

static const char *info_req_name(unsigned long req)
{
	switch (req) {
	/* same number as DEVICE_GET_PCI_HOT_RESET_INFO, which does not use argsz growth */
	case KABI_VFIO_IOMMU_GET_INFO: return "VFIO_IOMMU_GET_INFO";
	case KABI_VFIO_DEVICE_GET_INFO: return "VFIO_DEVICE_GET_INFO";
	case KABI_VFIO_DEVICE_GET_REGION_INFO: return "VFIO_DEVICE_GET_REGION_INFO";
	case KABI_VFIO_DEVICE_GET_IRQ_INFO: return "VFIO_DEVICE_GET_IRQ_INFO";
	}
	return "INFO ioctl";
}

int vi_info_query(struct vfioiommu_ctx *ctx, int fd, unsigned long req, const void *fixed,
		  size_t fixed_len, size_t min_len, void **out, size_t *out_len)
{
	const char *name = info_req_name(req);
	size_t size = fixed_len;
	uint8_t *buf = NULL;
	uint32_t argsz;
	int call, rc;

	if (!out || !out_len || !fixed || fixed_len < 8 || fixed_len < min_len ||
	    fixed_len > VI_INFO_MAX_SIZE)
		return vi_fail(ctx, -EINVAL, "%s: bad query (fixed part %zu bytes, minimum %zu)", name,
			       fixed_len, min_len);
	*out = NULL;
	*out_len = 0;
	for (call = 0; call < VI_INFO_MAX_CALLS; call++) {
		/* a fresh copy each time: the kernel may have written output over input fields */
		uint8_t *nb = calloc(1, size);

		if (!nb) {
			free(buf);
			return vi_fail(ctx, -ENOMEM, "%s: out of memory for a %zu-byte reply", name, size);
		}
		free(buf);
		buf = nb;
		memcpy(buf, fixed, fixed_len);
		argsz = (uint32_t)size;
		memcpy(buf, &argsz, sizeof(argsz));
		rc = vi_kioctl(ctx, fd, req, buf);
		if (rc < 0) {
			free(buf);
			return vi_fail(ctx, rc, "%s (argsz %zu) failed: %s", name, size, vi_errno_name(rc));
		}
		argsz = vi_ld32(buf);
		if (argsz <= size) {
			*out = buf;
			*out_len = size;
			return 0;
		}
		if (argsz > VI_INFO_MAX_SIZE) {
			free(buf);
			return vi_fail(ctx, -EPROTO,
				       "%s: the kernel asked for argsz %" PRIu32 " bytes (more than the %u-byte limit)",
				       name, argsz, VI_INFO_MAX_SIZE);
		}
		size = argsz;
	}
	free(buf);
	return vi_fail(ctx, -EPROTO, "%s: the kernel grew argsz on each of %d calls (last %" PRIu32 ")",
		       name, VI_INFO_MAX_CALLS, argsz);
}

int vi_caps_walk(const void *buf, size_t len, uint32_t first, size_t fixed_len, vi_cap_fn fn,
		 void *arg, struct vi_err *err)
{
	const uint8_t *b = buf;
	uint32_t off = first;
	unsigned int count = 0;

	if ((!buf && len) || !fn)
		return vi_errf(err, -EINVAL, "capability walk: NULL buffer or callback");
	while (off) {
		struct vi_cap cap;
		uint32_t next;
		int rc;

		if (++count > VI_CAPS_MAX)
			return vi_errf(err, -EPROTO, "capability chain: more than %d capabilities (at offset %" PRIu32 ")",
				       VI_CAPS_MAX, off);
		if (off < fixed_len)
			return vi_errf(err, -EPROTO,
				       "capability chain: cap at offset %" PRIu32 " lies inside the %zu-byte fixed struct",
				       off, fixed_len);
		if (off % 4)
			return vi_errf(err, -EPROTO, "capability chain: cap offset %" PRIu32 " is not 4-byte aligned", off);
		if (off > len || len - off < VI_CAP_HDR_LEN)
			return vi_errf(err, -EPROTO,
				       "capability chain: cap header at offset %" PRIu32 " runs past the %zu-byte buffer",
				       off, len);
		cap.id = vi_ld16(b + off);
		cap.version = vi_ld16(b + off + 2);
		next = vi_ld32(b + off + 4);
		cap.off = off;
		cap.p = b + off;
		if (next) {
			/* the kernel only appends, so a next at or before this cap is a loop */
			if (next <= off)
				return vi_errf(err, -EPROTO,
					       "capability chain: cap %u at offset %" PRIu32 " points back to offset %" PRIu32,
					       cap.id, off, next);
			if (next - off < VI_CAP_HDR_LEN)
				return vi_errf(err, -EPROTO,
					       "capability chain: cap %u at offset %" PRIu32 " has next %" PRIu32
					       " inside its own header", cap.id, off, next);
			if (next > len)
				return vi_errf(err, -EPROTO,
					       "capability chain: cap %u at offset %" PRIu32 " has next %" PRIu32
					       " past the %zu-byte buffer", cap.id, off, next, len);
			cap.len = next - off;
		} else {
			cap.len = len - off;
		}
		rc = fn(arg, &cap, err);
		if (rc < 0)
			return rc;
		if (rc > 0)
			return 0;
		off = next;
	}
	return 0;
}

/* ---------------- type1 ---------------- */

#define T1_MIGRATION_LEN 32
#define T1_DMA_AVAIL_LEN 12
#define T1_IOVA_RANGE_HDR 16

struct t1_state {
	struct vfioiommu_iommu_info *info;
	unsigned int seen;   /* bit per known id: the kernel emits each once */
	bool have_iova;
	struct vi_cap iova;  /* points into the reply: valid while it lives */
};

/* Decide whether a known cap can be read: 1 read it, 0 skip it, < 0 malformed. */
static int t1_usable(struct t1_state *st, const struct vi_cap *cap, const char *name, size_t need,
		     struct vi_err *err)
{
	if (st->seen & (1u << cap->id))
		return vi_errf(err, -EPROTO, "second %s capability at offset %" PRIu32,
			       name, cap->off);
	st->seen |= 1u << cap->id;
	if (cap->version == 0)
		return vi_errf(err, -EPROTO, "%s capability at offset %" PRIu32 " has version 0",
			       name, cap->off);
	if (cap->len < need) {
		/* a later version may have changed the layout; only v1 is a contract */
		if (cap->version > 1) {
			st->info->unknown_caps++;
			return 0;
		}
		return vi_errf(err, -EPROTO,
			       "%s capability at offset %" PRIu32 " has %zu bytes, needs %zu",
			       name, cap->off, cap->len, need);
	}
	if (cap->version > 1)
		st->info->newer_caps++;
	return 1;
}

static int t1_cap(void *arg, const struct vi_cap *cap, struct vi_err *err)
{
	struct t1_state *st = arg;
	struct vfioiommu_iommu_info *info = st->info;
	int rc;

	switch (cap->id) {
	case KABI_TYPE1_CAP_MIGRATION:
		rc = t1_usable(st, cap, "MIGRATION", T1_MIGRATION_LEN, err);
		if (rc <= 0)
			return rc;
		info->has_migration = true;
		info->migration_flags = vi_ld32(cap->p + 8);
		info->migration_pgsizes = vi_ld64(cap->p + 16);
		info->max_dirty_bitmap_size = vi_ld64(cap->p + 24);
		return 0;
	case KABI_TYPE1_CAP_DMA_AVAIL:
		rc = t1_usable(st, cap, "DMA_AVAIL", T1_DMA_AVAIL_LEN, err);
		if (rc <= 0)
			return rc;
		info->has_dma_avail = true;
		info->dma_avail = vi_ld32(cap->p + 8);
		return 0;
	case KABI_TYPE1_CAP_IOVA_RANGE: {
		uint32_t nr;
		uint64_t need;

		rc = t1_usable(st, cap, "IOVA_RANGE", T1_IOVA_RANGE_HDR, err);
		if (rc <= 0)
			return rc;
		nr = vi_ld32(cap->p + 8);
		need = T1_IOVA_RANGE_HDR + (uint64_t)nr * sizeof(struct kabi_vfio_iova_range);
		if (need > cap->len)
			return vi_errf(err, -EPROTO,
				       "IOVA_RANGE capability at offset %" PRIu32
				       " claims %" PRIu32 " ranges (%" PRIu64 " bytes) but has %zu bytes",
				       cap->off, nr, need, cap->len);
		info->has_iova_ranges = true;
		info->nr_iova_ranges = nr;
		st->iova = *cap;
		st->have_iova = true;
		return 0;
	}
	default:
		info->unknown_caps++;
		return 0;
	}
}

static int t1_ranges(const struct vi_cap *cap, uint32_t nr, vfioiommu_iova_list **out,
		     struct vi_err *err)
{
	struct vfioiommu_iova_range *r = NULL;
	int rc;

	if (nr) {
		r = calloc(nr, sizeof(*r));
		if (!r)
			return vi_errf(err, -ENOMEM, "out of memory for %" PRIu32 " IOVA ranges", nr);
	}
	for (uint32_t i = 0; i < nr; i++) {
		const uint8_t *p = cap->p + T1_IOVA_RANGE_HDR + (size_t)i * sizeof(struct kabi_vfio_iova_range);

		r[i].start = vi_ld64(p);
		r[i].last = vi_ld64(p + 8); /* type1's end is inclusive, like our last */
		if (r[i].start > r[i].last || (i && r[i].start <= r[i - 1].last)) {
			rc = vi_errf(err, -EPROTO,
				     "VFIO_IOMMU_GET_INFO: IOVA range %" PRIu32 " [0x%" PRIx64 ", 0x%" PRIx64
				     "] at offset %zu is empty, unsorted or overlaps the one before",
				     i, r[i].start, r[i].last, (size_t)cap->off + (size_t)(p - cap->p));
			free(r);
			return rc;
		}
	}
	rc = vfioiommu_iova_list_new(r, nr, VFIOIOMMU_IOVA_SRC_TYPE1_CAP, out);
	free(r);
	if (rc < 0)
		return vi_errf(err, rc, "cannot build the IOVA range list (%s)", vi_errno_name(rc));
	return 0;
}

int vi_type1_parse(const void *buf, size_t len, struct vfioiommu_iommu_info *info,
		   vfioiommu_iova_list **ranges, struct vi_err *err)
{
	const uint8_t *b = buf;
	struct t1_state st = { .info = info };
	uint32_t kflags, cap_offset = 0;
	int rc;

	if (ranges)
		*ranges = NULL;
	if (!buf || !info || len < KABI_TYPE1_INFO_MIN)
		return vi_errf(err, -EINVAL, "VFIO_IOMMU_GET_INFO: reply of %zu bytes is too short", len);
	memset((uint8_t *)info + sizeof(info->size), 0, sizeof(*info) - sizeof(info->size));
	kflags = vi_ld32(b + 4);
	info->pgsizes = vi_ld64(b + 8);
	if (kflags & KABI_VFIO_IOMMU_INFO_PGSIZES)
		info->flags |= VFIOIOMMU_IOMMU_INFO_PGSIZES;
	if (len >= offsetof(struct kabi_vfio_iommu_type1_info, pad))
		cap_offset = vi_ld32(b + offsetof(struct kabi_vfio_iommu_type1_info, cap_offset));
	if (kflags & KABI_VFIO_IOMMU_INFO_CAPS) {
		info->flags |= VFIOIOMMU_IOMMU_INFO_CAPS;
		/* vi_info_query already regrew the buffer, so caps that still did not fit are a kernel bug */
		if (!cap_offset)
			return vi_errf(err, -EPROTO,
				       "VFIO_IOMMU_GET_INFO: CAPS flag set but cap_offset is 0 in a %zu-byte reply", len);
		rc = vi_caps_walk(buf, len, cap_offset, VI_TYPE1_INFO_FIXED, t1_cap, &st, err);
		if (rc < 0) {
			char why[VI_MSG_MAX];

			snprintf(why, sizeof(why), "%s", err ? err->msg : "");
			return vi_errf(err, rc, "VFIO_IOMMU_GET_INFO: %s", why);
		}
	}
	if (ranges && st.have_iova)
		return t1_ranges(&st.iova, info->nr_iova_ranges, ranges, err);
	return 0;
}

int vi_type1_info(struct vfioiommu_ctx *ctx, int fd, struct vfioiommu_iommu_info *info,
		  vfioiommu_iova_list **ranges)
{
	struct kabi_vfio_iommu_type1_info fixed = { .argsz = sizeof(fixed) };
	struct vi_err err = { "" };
	void *buf;
	size_t len;
	int rc;

	rc = vi_info_query(ctx, fd, KABI_VFIO_IOMMU_GET_INFO, &fixed, sizeof(fixed), KABI_TYPE1_INFO_MIN,
			   &buf, &len);
	if (rc < 0)
		return rc;
	rc = vi_type1_parse(buf, len, info, ranges, &err);
	free(buf);
	if (rc < 0)
		return vi_fail_from(ctx, rc, &err);
	vi_log(ctx, VFIOIOMMU_LOG_DEBUG,
	       "IOMMU info: pgsizes 0x%" PRIx64 ", %" PRIu32 " IOVA ranges, %u unknown and %u newer caps",
	       info->pgsizes, info->nr_iova_ranges, info->unknown_caps, info->newer_caps);
	return 0;
}

/* ---------------- device and region info ---------------- */

static int walk_reply(struct vfioiommu_ctx *ctx, const char *what, const void *buf, size_t len,
		      uint32_t cap_offset, size_t fixed, vi_cap_fn fn, void *arg)
{
	struct vi_err err = { "" };
	int rc;

	if (!fn)
		return 0;
	if (!cap_offset)
		return vi_fail(ctx, -EPROTO, "%s: CAPS flag set but cap_offset is 0 in a %zu-byte reply", what,
			       len);
	rc = vi_caps_walk(buf, len, cap_offset, fixed, fn, arg, &err);
	if (rc < 0)
		return vi_fail(ctx, rc, "%s: %s", what, err.msg);
	return 0;
}

int vi_device_info(struct vfioiommu_ctx *ctx, int fd, struct vi_device_info *info, vi_cap_fn fn,
		   void *arg)
{
	struct kabi_vfio_device_info fixed = { .argsz = sizeof(fixed) };
	struct kabi_vfio_device_info r;
	void *buf;
	size_t len;
	int rc;

	rc = vi_info_query(ctx, fd, KABI_VFIO_DEVICE_GET_INFO, &fixed, sizeof(fixed), KABI_DEVICE_INFO_MIN,
			   &buf, &len);
	if (rc < 0)
		return rc;
	memcpy(&r, buf, sizeof(r));
	info->flags = r.flags;
	info->num_regions = r.num_regions;
	info->num_irqs = r.num_irqs;
	rc = 0;
	if (r.flags & KABI_VFIO_DEVICE_FLAGS_CAPS)
		rc = walk_reply(ctx, "VFIO_DEVICE_GET_INFO", buf, len, r.cap_offset, VI_DEVICE_INFO_FIXED, fn, arg);
	free(buf);
	return rc;
}

int vi_region_info(struct vfioiommu_ctx *ctx, int fd, uint32_t index, struct vi_region_info *info,
		   vi_cap_fn fn, void *arg)
{
	struct kabi_vfio_region_info fixed = { .argsz = sizeof(fixed), .index = index };
	struct kabi_vfio_region_info r;
	char what[64];
	void *buf;
	size_t len;
	int rc;

	rc = vi_info_query(ctx, fd, KABI_VFIO_DEVICE_GET_REGION_INFO, &fixed, sizeof(fixed),
			   sizeof(fixed), &buf, &len);
	if (rc < 0)
		return rc;
	memcpy(&r, buf, sizeof(r));
	info->flags = r.flags;
	info->size = r.size;
	info->offset = r.offset;
	rc = 0;
	if (r.flags & KABI_VFIO_REGION_INFO_FLAG_CAPS) {
		snprintf(what, sizeof(what), "VFIO_DEVICE_GET_REGION_INFO (region %" PRIu32 ")", index);
		rc = walk_reply(ctx, what, buf, len, r.cap_offset, VI_REGION_INFO_FIXED, fn, arg);
	}
	free(buf);
	return rc;
}
