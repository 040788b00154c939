/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * The rest of the IOAS uAPI: IOMMU_OPTION (RLIMIT_MODE for the iommufd,
 * HUGE_PAGES per IOAS), IOMMU_IOAS_ALLOW_IOVAS and IOMMU_IOAS_CHANGE_PROCESS.
 * (IOMMU_IOAS_COPY shares the mapping rules of ioas.c and lives there.)
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "backend/internal.h"
#include "core/internal.h"
#include "kabi/kabi.h"
#include "objs.h"

_Static_assert(VFIOIOMMU_OPTION_RLIMIT_MODE == KABI_IOMMU_OPTION_RLIMIT_MODE, "same values as the kernel");
_Static_assert(VFIOIOMMU_OPTION_HUGE_PAGES == KABI_IOMMU_OPTION_HUGE_PAGES, "same values as the kernel");

static int option(vfioiommu_ctx *ctx, vfioiommu_ioas *ioas, uint32_t opt, uint16_t op, uint64_t *val)
{
	struct kabi_iommu_option c = { .size = sizeof(c), .option_id = opt, .op = op };
	const char *verb = op == KABI_IOMMU_OPTION_OP_SET ? "setting" : "reading";
	struct vi_objs *o = NULL;
	int rc;

	if (opt != VFIOIOMMU_OPTION_RLIMIT_MODE && opt != VFIOIOMMU_OPTION_HUGE_PAGES)
		return vi_fail(ctx, -EOPNOTSUPP, "%s iommufd option %u: not one the library knows (0 RLIMIT_MODE, 1 "
			       "HUGE_PAGES)", verb, opt);
	if (opt == VFIOIOMMU_OPTION_RLIMIT_MODE && ioas)
		return vi_fail(ctx, -EINVAL, "%s RLIMIT_MODE: it is a setting of the whole iommufd; pass no IOAS", verb);
	if (ioas && ioas->h.ctx != ctx)
		return vi_fail(ctx, -EINVAL, "%s HUGE_PAGES: the IOAS is another context's", verb);
	if (op == KABI_IOMMU_OPTION_OP_SET && *val > 1)
		return vi_fail(ctx, -EINVAL, "setting %s to %" PRIu64 ": the values are 0 and 1",
			       opt ? "HUGE_PAGES" : "RLIMIT_MODE", *val);
	c.val64 = *val;
	pthread_mutex_lock(&ctx->lock);
	rc = vi_objs_get(ctx, "iommufd options", &o);
	if (rc == 0) {
		if (opt == VFIOIOMMU_OPTION_HUGE_PAGES)
			c.object_id = ioas ? ioas->h.id : o->own.h.id;
		rc = vi_iommufd_ioctl(ctx, KABI_IOMMU_OPTION, &c);
		if (rc == -ENOTTY)
			rc = vi_fail_missing(ctx, "IOMMU_OPTION", "Linux 6.2 brought it");
		else if (rc == -EBUSY && opt == VFIOIOMMU_OPTION_RLIMIT_MODE)
			rc = vi_fail(ctx, rc, "setting RLIMIT_MODE: EBUSY: the kernel changes it only on an iommufd without "
				     "objects, and the context made its IOAS when it opened /dev/iommu");
		else if (rc == -EPERM)
			rc = vi_fail(ctx, rc, "setting RLIMIT_MODE: EPERM: it needs CAP_SYS_RESOURCE");
		else if (rc == -EINVAL && opt == VFIOIOMMU_OPTION_HUGE_PAGES && op == KABI_IOMMU_OPTION_OP_SET)
			rc = vi_fail(ctx, rc, "setting HUGE_PAGES of IOAS %u: EINVAL: large pages can be turned off only "
				     "before the IOAS has both a device and mappings", c.object_id);
		else if (rc < 0)
			rc = vi_fail(ctx, rc, "IOMMU_OPTION (%s option %u, object %u) failed: %s", verb, opt, c.object_id,
				     vi_errno_name(rc));
		else
			rc = 0;
	}
	pthread_mutex_unlock(&ctx->lock);
	if (rc == 0 && op == KABI_IOMMU_OPTION_OP_GET)
		*val = c.val64;
	return rc;
}

VFIOIOMMU_API int vfioiommu_option_set(vfioiommu_ctx *ctx, vfioiommu_ioas *ioas, uint32_t opt, uint64_t val)
{
	if (!ctx)
		return -EINVAL;
	return option(ctx, ioas, opt, KABI_IOMMU_OPTION_OP_SET, &val);
}

VFIOIOMMU_API int vfioiommu_option_get(vfioiommu_ctx *ctx, vfioiommu_ioas *ioas, uint32_t opt, uint64_t *val)
{
	uint64_t v = 0;
	int rc;

	if (!ctx)
		return -EINVAL;
	if (!val)
		return vi_fail(ctx, -EINVAL, "vfioiommu_option_get: val is NULL");
	rc = option(ctx, ioas, opt, KABI_IOMMU_OPTION_OP_GET, &v);
	if (rc == 0)
		*val = v;
	return rc;
}

VFIOIOMMU_API int vfioiommu_ioas_allow_iovas(vfioiommu_ioas *ioas, const struct vfioiommu_iova_range *ranges,
					     uint32_t n)
{
	struct kabi_iommu_ioas_allow_iovas c = { .size = sizeof(c) };
	struct kabi_iommu_iova_range *kr = NULL;
	struct vfioiommu_ctx *ctx;
	int rc;

	if (!ioas)
		return -EINVAL;
	ctx = ioas->h.ctx;
	if (n && !ranges)
		return vi_fail(ctx, -EINVAL, "vfioiommu_ioas_allow_iovas: %u ranges but ranges is NULL", n);
	for (uint32_t i = 0; i < n; i++) {
		if (ranges[i].start > ranges[i].last)
			return vi_fail(ctx, -EINVAL, "vfioiommu_ioas_allow_iovas: range %u [0x%" PRIx64 ", 0x%" PRIx64
				       "] starts after its end", i, ranges[i].start, ranges[i].last);
		for (uint32_t j = 0; j < i; j++)
			if (ranges[i].start <= ranges[j].last && ranges[j].start <= ranges[i].last)
				return vi_fail(ctx, -EINVAL, "vfioiommu_ioas_allow_iovas: ranges %u and %u overlap", j, i);
	}
	if (n && !(kr = calloc(n, sizeof(*kr))))
		return vi_fail(ctx, -ENOMEM, "vfioiommu_ioas_allow_iovas: out of memory");
	for (uint32_t i = 0; i < n; i++)
		kr[i] = (struct kabi_iommu_iova_range){ ranges[i].start, ranges[i].last };
	c.ioas_id = ioas->h.id;
	c.num_iovas = n;
	c.allowed_iovas = (uint64_t)(uintptr_t)kr;
	pthread_mutex_lock(&ctx->lock);
	rc = vi_objs_get(ctx, "allowing IOVAs", NULL);
	if (rc == 0) {
		rc = vi_iommufd_ioctl(ctx, KABI_IOMMU_IOAS_ALLOW_IOVAS, &c);
		if (rc == -EADDRINUSE)
			rc = vi_fail(ctx, rc, "IOMMU_IOAS_ALLOW_IOVAS on IOAS %u: EADDRINUSE: a range covers what an "
				     "attached device reserves (its MSI window or aperture edge)", ioas->h.id);
		else if (rc == -ENOTTY)
			rc = vi_fail_missing(ctx, "IOMMU_IOAS_ALLOW_IOVAS", "Linux 6.2");
		else if (rc < 0)
			rc = vi_fail(ctx, rc, "IOMMU_IOAS_ALLOW_IOVAS on IOAS %u (%u ranges) failed: %s", ioas->h.id, n,
				     vi_errno_name(rc));
		else
			rc = 0;
	}
	pthread_mutex_unlock(&ctx->lock);
	free(kr);
	return rc;
}

VFIOIOMMU_API int vfioiommu_ctx_change_process(vfioiommu_ctx *ctx)
{
	struct kabi_iommu_ioas_change_process c = { .size = sizeof(c) };
	int rc;

	if (!ctx)
		return -EINVAL;
	pthread_mutex_lock(&ctx->lock);
	rc = vi_objs_get(ctx, "changing the process pages are charged to", NULL);
	if (rc == 0) {
		rc = vi_iommufd_ioctl(ctx, KABI_IOMMU_IOAS_CHANGE_PROCESS, &c);
		if (rc == -ENOTTY)
			rc = vi_fail_missing(ctx, "IOMMU_IOAS_CHANGE_PROCESS", "Linux 6.13 brought it");
		else if (rc == -EINVAL)
			rc = vi_fail(ctx, rc, "IOMMU_IOAS_CHANGE_PROCESS: EINVAL: an IOAS holds a mapping of process "
				     "memory; only file mappings (vfioiommu_dma_map_file) can move to another process");
		else if (rc < 0)
			rc = vi_fail(ctx, rc, "IOMMU_IOAS_CHANGE_PROCESS failed: %s", vi_errno_name(rc));
		else
			rc = 0;
	}
	pthread_mutex_unlock(&ctx->lock);
	return rc;
}
