/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/* The kernel's IOVA ranges of a context, whichever backend it uses. */
#include <errno.h>

#include "core/internal.h"
#include "internal.h"

VFIOIOMMU_API int vfioiommu_ctx_iova_ranges(vfioiommu_ctx *ctx, vfioiommu_iova_list **out)
{
	int rc;

	if (!ctx)
		return -EINVAL;
	if (!out)
		return vi_fail(ctx, -EINVAL, "vfioiommu_ctx_iova_ranges: out is NULL");
	*out = NULL;
	pthread_mutex_lock(&ctx->lock);
	if (!ctx->be)
		rc = vi_fail(ctx, -ENODEV, "no IOVA ranges yet: no backend is chosen until a group is added "
			     "or a device opened");
	else if (!ctx->be->iova_ranges)
		rc = vi_fail(ctx, -EOPNOTSUPP, "the %s backend cannot report IOVA ranges",
			     vfioiommu_backend_name(ctx->backend));
	else
		rc = ctx->be->iova_ranges(ctx, out);
	pthread_mutex_unlock(&ctx->lock);
	return rc;
}
