/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * More IOASes in one iommufd: allocate, destroy, ranges, and map/unmap with
 * the errno meanings of dma/ (include/vfioiommu/dma.h).  Each IOAS keeps a
 * small sorted table of its mappings: a VMM's extra address spaces hold a
 * few large mappings (guest RAM slots), so an array is enough.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vfioiommu/dma.h>

#include "backend/internal.h"
#include "core/internal.h"
#include "kabi/kabi.h"
#include "objs.h"

/* as the backend: MAP needs the IOAS's alignment, and never below the page */
#define MIN_ALIGN 4096u

static int ioas_fail(struct vfioiommu_ctx *ctx, int rc, const void *arg)
{
	(void)arg;
	return vi_fail(ctx, rc, "IOMMU_IOAS_ALLOC failed: %s", vi_errno_name(rc));
}

static const struct vi_obj_type ioas_type = {
	.kind = VI_OBJ_IOAS, .size = sizeof(struct vfioiommu_ioas), .req = KABI_IOMMU_IOAS_ALLOC,
	.ioctl = "IOMMU_IOAS_ALLOC", .since = "Linux 6.2 brought iommufd",
	.id_off = offsetof(struct kabi_iommu_ioas_alloc, out_ioas_id), .fd_off = -1, .fail = ioas_fail,
};

VFIOIOMMU_API int vfioiommu_ioas_new(vfioiommu_ctx *ctx, vfioiommu_ioas **out)
{
	struct kabi_iommu_ioas_alloc a = { .size = sizeof(a) };
	struct vi_obj *h = NULL;
	struct vi_objs *o = NULL;
	int rc;

	if (out)
		*out = NULL;
	if (!ctx)
		return -EINVAL;
	if (!out)
		return vi_fail(ctx, -EINVAL, "vfioiommu_ioas_new: out is NULL");
	pthread_mutex_lock(&ctx->lock);
	rc = vi_objs_get(ctx, "allocating an IOAS", &o);
	if (rc == 0)
		rc = vi_obj_new(ctx, o, &ioas_type, &a, &h);
	if (rc == 0)
		*out = (struct vfioiommu_ioas *)h;
	pthread_mutex_unlock(&ctx->lock);
	return rc;
}

VFIOIOMMU_API int vfioiommu_ctx_ioas(vfioiommu_ctx *ctx, vfioiommu_ioas **out)
{
	struct vi_objs *o = NULL;
	int rc;

	if (out)
		*out = NULL;
	if (!ctx)
		return -EINVAL;
	if (!out)
		return vi_fail(ctx, -EINVAL, "vfioiommu_ctx_ioas: out is NULL");
	pthread_mutex_lock(&ctx->lock);
	rc = vi_objs_get(ctx, "the context's IOAS", &o);
	if (rc == 0)
		*out = &o->own;
	pthread_mutex_unlock(&ctx->lock);
	return rc;
}

void vi_ioas_free(struct vfioiommu_ioas *ioas)
{
	if (ioas->borrowed)
		return;
	free(ioas->maps);
	free(ioas);
}

VFIOIOMMU_API int vfioiommu_ioas_destroy(vfioiommu_ioas *ioas)
{
	struct vfioiommu_ctx *ctx;
	struct vi_objs *o = NULL;
	int rc;

	if (!ioas)
		return -EINVAL;
	ctx = ioas->h.ctx;
	if (ioas->borrowed)
		return vi_fail(ctx, -EINVAL, "vfioiommu_ioas_destroy: IOAS %u is the context's own; it lives as "
			       "long as the context", ioas->h.id);
	pthread_mutex_lock(&ctx->lock);
	rc = vi_objs_get(ctx, "destroying an IOAS", &o);
	if (rc == 0)
		rc = vi_obj_destroy_kernel(ctx, o, &ioas->h);
	if (rc == 0) {
		vi_obj_unlink(o, &ioas->h);
		vi_ioas_free(ioas);
	}
	pthread_mutex_unlock(&ctx->lock);
	return rc;
}

VFIOIOMMU_API uint32_t vfioiommu_ioas_id(const vfioiommu_ioas *ioas)
{
	return ioas ? ioas->h.id : 0;
}

VFIOIOMMU_API int vfioiommu_ioas_iova_ranges(vfioiommu_ioas *ioas, vfioiommu_iova_list **out)
{
	struct kabi_iommu_iova_range *kr = NULL;
	struct vfioiommu_iova_range *r = NULL;
	struct vfioiommu_ctx *ctx;
	uint32_t n = 0;
	uint64_t align;
	int rc;

	if (out)
		*out = NULL;
	if (!ioas)
		return -EINVAL;
	ctx = ioas->h.ctx;
	if (!out)
		return vi_fail(ctx, -EINVAL, "vfioiommu_ioas_iova_ranges: out is NULL");
	pthread_mutex_lock(&ctx->lock);
	rc = vi_objs_get(ctx, "IOVA ranges of an IOAS", NULL);
	if (rc == 0)
		rc = vi_iommufd_ioas_ranges(ctx, ioas->h.id, &kr, &n, &align);
	pthread_mutex_unlock(&ctx->lock);
	if (rc < 0)
		return rc;
	r = calloc(n ? n : 1, sizeof(*r));
	if (!r) {
		free(kr);
		return vi_fail(ctx, -ENOMEM, "IOVA ranges of IOAS %u: out of memory", ioas->h.id);
	}
	for (uint32_t i = 0; i < n; i++)
		r[i] = (struct vfioiommu_iova_range){ kr[i].start, kr[i].last };
	free(kr);
	rc = vfioiommu_iova_list_new(r, n, VFIOIOMMU_IOVA_SRC_IOAS_RANGES, out);
	free(r);
	if (rc < 0)
		return vi_fail(ctx, rc, "IOVA ranges of IOAS %u: cannot build the list (%s)", ioas->h.id,
			       vi_errno_name(rc));
	return 0;
}

/* First mapping whose last >= @iova (the table is sorted and disjoint). */
static size_t lower(const struct vfioiommu_ioas *ioas, uint64_t iova)
{
	size_t lo = 0, hi = ioas->nmaps;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (ioas->maps[mid].last < iova)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int reserve(struct vfioiommu_ioas *ioas)
{
	if (ioas->nmaps < ioas->cap)
		return 0;
	size_t cap = ioas->cap ? 2 * ioas->cap : 8;
	struct vi_ioas_map *m = realloc(ioas->maps, cap * sizeof(*m));

	if (!m)
		return -ENOMEM;
	ioas->maps = m;
	ioas->cap = cap;
	return 0;
}

static void record(struct vfioiommu_ioas *ioas, uint64_t iova, uint64_t last)
{
	size_t at = lower(ioas, iova);

	memmove(&ioas->maps[at + 1], &ioas->maps[at], (ioas->nmaps - at) * sizeof(ioas->maps[0]));
	ioas->maps[at] = (struct vi_ioas_map){ iova, last };
	ioas->nmaps++;
}

#define MAP_KNOWN (VFIOIOMMU_DMA_READ | VFIOIOMMU_DMA_WRITE | VFIOIOMMU_DMA_FIXED_IOVA)

static int map_args(struct vfioiommu_ioas *ioas, const void *vaddr, uint64_t len, uint32_t flags, uint64_t *iova)
{
	struct vfioiommu_ctx *ctx = ioas->h.ctx;

	if (ioas->borrowed)
		return vi_fail(ctx, -EINVAL, "IOAS %u is the context's own: map into it with vfioiommu_dma_map(), "
			       "which keeps the context's table of mappings", ioas->h.id);
	if (!vaddr || !iova)
		return vi_fail(ctx, -EINVAL, "vfioiommu_ioas_map: %s is NULL", !vaddr ? "vaddr" : "iova");
	if (flags & ~MAP_KNOWN)
		return vi_fail(ctx, -EINVAL, "unknown DMA flags 0x%x", flags & ~MAP_KNOWN);
	if (!(flags & (VFIOIOMMU_DMA_READ | VFIOIOMMU_DMA_WRITE)))
		return vi_fail(ctx, -EINVAL, "a DMA mapping needs VFIOIOMMU_DMA_READ and/or VFIOIOMMU_DMA_WRITE");
	if (len == 0)
		return vi_fail(ctx, -EINVAL, "cannot map 0 bytes");
	if ((uint64_t)(uintptr_t)vaddr + len - 1 < (uint64_t)(uintptr_t)vaddr ||
	    ((flags & VFIOIOMMU_DMA_FIXED_IOVA) && *iova + len - 1 < *iova))
		return vi_fail(ctx, -EINVAL, "address + length overflows 64 bits");
	return 0;
}

static int map_kernel_error(struct vfioiommu_ctx *ctx, const struct vfioiommu_ioas *ioas, int rc, uint64_t iova,
			    uint64_t len, bool fixed)
{
	uint32_t id = ioas->h.id;
	uint64_t pinned = 0;

	switch (rc) {
	case -EEXIST:
		return vi_fail(ctx, rc, "IOAS %u: IOVA 0x%" PRIx64 "+0x%" PRIx64 " overlaps a mapping made outside "
			       "the library", id, iova, len);
	case -ENOSPC:
		if (!fixed)
			return vi_fail(ctx, rc, "IOAS %u: no free IOVA range of 0x%" PRIx64 " bytes", id, len);
		break;
	case -ENOMEM:
	case -EPERM:
		/* what this IOAS holds: the context's own table counts its own mappings */
		for (size_t i = 0; i < ioas->nmaps; i++)
			pinned += ioas->maps[i].last - ioas->maps[i].iova + 1;
		return vi_fail_pinning(ctx, rc, iova, len, pinned, ioas->nmaps);
	}
	return vi_fail(ctx, rc, "IOAS %u: the kernel refused to map IOVA 0x%" PRIx64 "+0x%" PRIx64 " (%s)", id,
		       iova, len, vi_errno_name(rc));
}

/*
 * What a new mapping of @ioas comes from: process memory (IOAS_MAP, @src
 * NULL, @vaddr) or a whole mapping of another IOAS (IOAS_COPY, @src and
 * @src_iova).  Both follow dma.h's errno meanings on the destination.
 */
struct map_from {
	const void *vaddr;
	struct vfioiommu_ioas *src;
	uint64_t src_iova;
};

static int map_kernel(struct vfioiommu_ctx *ctx, struct vfioiommu_ioas *ioas, const struct map_from *from,
		      uint64_t len, uint32_t flags, uint64_t want, uint64_t *got)
{
	uint32_t kflags = ((flags & VFIOIOMMU_DMA_FIXED_IOVA) ? KABI_IOMMU_IOAS_MAP_FIXED_IOVA : 0) |
			  ((flags & VFIOIOMMU_DMA_READ) ? KABI_IOMMU_IOAS_MAP_READABLE : 0) |
			  ((flags & VFIOIOMMU_DMA_WRITE) ? KABI_IOMMU_IOAS_MAP_WRITEABLE : 0);
	int rc;

	if (!from->src) {
		*got = want;
		return vi_iommufd_ioas_map(ctx, ioas->h.id, kflags, (uint64_t)(uintptr_t)from->vaddr, len, got);
	}
	{
		struct kabi_iommu_ioas_copy c = {
			.size = sizeof(c), .flags = kflags, .dst_ioas_id = ioas->h.id, .src_ioas_id = from->src->h.id,
			.length = len, .dst_iova = want, .src_iova = from->src_iova,
		};

		rc = vi_iommufd_ioctl(ctx, KABI_IOMMU_IOAS_COPY, &c);
		*got = c.dst_iova;
		if (rc == -ENOTTY)
			return vi_fail_missing(ctx, "IOMMU_IOAS_COPY", "Linux 6.2 brought it");
		if (rc == -ENOENT)
			return vi_fail(ctx, rc, "IOMMU_IOAS_COPY from IOAS %u: ENOENT: [0x%" PRIx64 ", 0x%" PRIx64 "] "
				       "is not one whole mapping there", from->src->h.id, from->src_iova,
				       from->src_iova + len - 1);
		return rc;
	}
}

static int map_common(struct vfioiommu_ioas *ioas, const struct map_from *from, uint64_t len, uint32_t flags,
		      uint64_t *iova)
{
	struct kabi_iommu_iova_range *kr = NULL;
	struct vfioiommu_ctx *ctx = ioas->h.ctx;
	bool fixed = flags & VFIOIOMMU_DMA_FIXED_IOVA;
	uint64_t align = 0, want = fixed ? *iova : 0, got = 0;
	uint32_t n = 0;
	int rc;

	pthread_mutex_lock(&ctx->lock);
	rc = vi_objs_get(ctx, from->src ? "copying between IOASes" : "mapping into an IOAS", NULL);
	if (rc == 0)
		rc = vi_iommufd_ioas_ranges(ctx, ioas->h.id, &kr, &n, &align);
	if (rc < 0)
		goto out;
	if (align < MIN_ALIGN)
		align = MIN_ALIGN;
	if (align & (align - 1)) {
		rc = vi_fail(ctx, -EPROTO, "IOMMU_IOAS_IOVA_RANGES on IOAS %u reports alignment 0x%" PRIx64
			     ", not a power of two", ioas->h.id, align);
		goto out;
	}
	if (((uintptr_t)from->vaddr | from->src_iova | len | want) & (align - 1)) {
		rc = vi_fail(ctx, -EINVAL, "IOAS %u: address %p, length 0x%" PRIx64 " and IOVA 0x%" PRIx64 " must "
			     "be multiples of 0x%" PRIx64 " (the IOAS's IOVA alignment)", ioas->h.id,
			     from->src ? (void *)(uintptr_t)from->src_iova : from->vaddr, len, want, align);
		goto out;
	}
	/* a source the library maps itself must hold the range as one mapping */
	if (from->src && !from->src->borrowed) {
		size_t at = lower(from->src, from->src_iova);

		if (at >= from->src->nmaps || from->src->maps[at].iova != from->src_iova ||
		    from->src->maps[at].last != from->src_iova + len - 1) {
			rc = vi_fail(ctx, -ENOENT, "copying from IOAS %u: [0x%" PRIx64 ", 0x%" PRIx64 "] is not one "
				     "whole mapping there", from->src->h.id, from->src_iova, from->src_iova + len - 1);
			goto out;
		}
	}
	if (fixed) {
		bool inside = false;
		size_t at = lower(ioas, want);

		for (uint32_t i = 0; i < n && !inside; i++)
			inside = kr[i].start <= want && want + len - 1 <= kr[i].last;
		if (!inside) {
			rc = vi_fail(ctx, -ERANGE, "IOAS %u: IOVA range [0x%" PRIx64 ", 0x%" PRIx64 "] is not inside "
				     "one of its %u usable ranges (vfioiommu_ioas_iova_ranges() lists them)", ioas->h.id,
				     want, want + len - 1, n);
			goto out;
		}
		if (at < ioas->nmaps && ioas->maps[at].iova <= want + len - 1) {
			rc = vi_fail(ctx, -EEXIST, "IOAS %u: IOVA range [0x%" PRIx64 ", 0x%" PRIx64 "] overlaps the "
				     "mapping [0x%" PRIx64 ", 0x%" PRIx64 "]", ioas->h.id, want, want + len - 1,
				     ioas->maps[at].iova, ioas->maps[at].last);
			goto out;
		}
	}
	/* room first, so that recording what the kernel accepted cannot fail */
	if (reserve(ioas) < 0) {
		rc = vi_fail(ctx, -ENOMEM, "IOAS %u: out of memory", ioas->h.id);
		goto out;
	}
	rc = map_kernel(ctx, ioas, from, len, flags, want, &got);
	if (rc == -EOPNOTSUPP && from->src)
		goto out; /* the message is set */
	if (rc < 0 && !(from->src && rc == -ENOENT)) {
		rc = map_kernel_error(ctx, ioas, rc, want, len, fixed);
		goto out;
	}
	if (rc < 0)
		goto out;
	if ((fixed && got != want) || got + len - 1 < got ||
	    (lower(ioas, got) < ioas->nmaps && ioas->maps[lower(ioas, got)].iova <= got + len - 1)) {
		/* the kernel's table and ours disagree: undo, and say so */
		uint64_t undone;

		vi_iommufd_ioas_unmap(ctx, ioas->h.id, got, len, &undone);
		rc = vi_fail(ctx, -EPROTO, "IOAS %u: the kernel mapped 0x%" PRIx64 " bytes at IOVA 0x%" PRIx64 ", over a "
			     "mapping the library holds or not where asked; undone", ioas->h.id, len, got);
		goto out;
	}
	record(ioas, got, got + len - 1);
	*iova = got;
	rc = 0;
out:
	pthread_mutex_unlock(&ctx->lock);
	free(kr);
	return rc;
}

VFIOIOMMU_API int vfioiommu_ioas_map(vfioiommu_ioas *ioas, void *vaddr, uint64_t len, uint32_t flags,
				     uint64_t *iova)
{
	struct map_from from = { .vaddr = vaddr };
	int rc;

	if (!ioas)
		return -EINVAL;
	rc = map_args(ioas, vaddr, len, flags, iova);
	return rc < 0 ? rc : map_common(ioas, &from, len, flags, iova);
}

VFIOIOMMU_API int vfioiommu_ioas_copy(vfioiommu_ioas *dst, vfioiommu_ioas *src, uint64_t src_iova, uint64_t len,
				      uint32_t flags, uint64_t *dst_iova)
{
	struct map_from from = { .src = src, .src_iova = src_iova };
	int rc;

	if (!dst)
		return -EINVAL;
	if (!src || src->h.ctx != dst->h.ctx)
		return vi_fail(dst->h.ctx, -EINVAL, "vfioiommu_ioas_copy: %s", src ? "the source IOAS is another "
			       "context's" : "src is NULL");
	if (src_iova + len - 1 < src_iova && len)
		return vi_fail(dst->h.ctx, -EINVAL, "vfioiommu_ioas_copy: source IOVA + length overflows 64 bits");
	/* map_args() wants an address: the source IOVA stands in for it (never dereferenced) */
	rc = map_args(dst, (const void *)(uintptr_t)(src_iova ? src_iova : 1), len, flags, dst_iova);
	return rc < 0 ? rc : map_common(dst, &from, len, flags, dst_iova);
}

VFIOIOMMU_API int vfioiommu_ioas_unmap(vfioiommu_ioas *ioas, uint64_t iova, uint64_t len)
{
	struct vfioiommu_ctx *ctx;
	uint64_t last, bytes = 0, unmapped = 0;
	size_t first, end;
	int rc;

	if (!ioas)
		return -EINVAL;
	ctx = ioas->h.ctx;
	if (ioas->borrowed)
		return vi_fail(ctx, -EINVAL, "IOAS %u is the context's own: unmap with vfioiommu_dma_unmap()",
			       ioas->h.id);
	if (len == 0 || iova + len - 1 < iova)
		return vi_fail(ctx, -EINVAL, "bad unmap range 0x%" PRIx64 "+0x%" PRIx64, iova, len);
	last = iova + len - 1;
	pthread_mutex_lock(&ctx->lock);
	rc = vi_objs_get(ctx, "unmapping from an IOAS", NULL);
	if (rc < 0)
		goto out;
	first = lower(ioas, iova);
	for (end = first; end < ioas->nmaps && ioas->maps[end].iova <= last; end++)
		bytes += ioas->maps[end].last - ioas->maps[end].iova + 1;
	if (first == end) {
		rc = vi_fail(ctx, -ENOENT, "IOAS %u: nothing is mapped in [0x%" PRIx64 ", 0x%" PRIx64 "]", ioas->h.id,
			     iova, last);
		goto out;
	}
	if (ioas->maps[first].iova < iova || ioas->maps[end - 1].last > last) {
		const struct vi_ioas_map *m = ioas->maps[first].iova < iova ? &ioas->maps[first] : &ioas->maps[end - 1];

		rc = vi_fail(ctx, -EINVAL, "IOAS %u: partial unmap refused: [0x%" PRIx64 ", 0x%" PRIx64 "] would split "
			     "the mapping [0x%" PRIx64 ", 0x%" PRIx64 "]", ioas->h.id, iova, last, m->iova, m->last);
		goto out;
	}
	rc = vi_iommufd_ioas_unmap(ctx, ioas->h.id, iova, len, &unmapped);
	if (rc < 0) {
		rc = vi_fail(ctx, rc, "IOAS %u: the kernel refused to unmap [0x%" PRIx64 ", 0x%" PRIx64 "] (%s)",
			     ioas->h.id, iova, last, vi_errno_name(rc));
		goto out;
	}
	memmove(&ioas->maps[first], &ioas->maps[end], (ioas->nmaps - end) * sizeof(ioas->maps[0]));
	ioas->nmaps -= end - first;
	rc = 0;
	if (unmapped != bytes)
		rc = vi_fail(ctx, -EIO, "IOAS %u: the kernel unmapped 0x%" PRIx64 " bytes of [0x%" PRIx64 ", 0x%"
			     PRIx64 "], the library's table says 0x%" PRIx64, ioas->h.id, unmapped, iova,
			     last, bytes);
out:
	pthread_mutex_unlock(&ctx->lock);
	return rc;
}
