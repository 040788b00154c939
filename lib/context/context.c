/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/* Context lifetime: the top of the library, the one area that may call every other. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "backend/internal.h"
#include "core/internal.h"
#include "device/internal.h"
#include "dma/internal.h"
#include "iommufd/internal.h"

VFIOIOMMU_API const char *vfioiommu_version(void)
{
	return VFIOIOMMU_VERSION_STRING;
}

VFIOIOMMU_API int vfioiommu_ctx_new(const struct vfioiommu_ctx_opts *opts, vfioiommu_ctx **out)
{
	struct vfioiommu_ctx *ctx;
	const char *root = "/sys";

	if (!out)
		return -EINVAL;
	*out = NULL;
	/* size lets later versions append fields; a caller built against them still works here */
	if (opts && opts->size < offsetof(struct vfioiommu_ctx_opts, log_level) + sizeof(int))
		return -EINVAL;
	if (opts && opts->mode > VFIOIOMMU_MODE_TYPE1)
		return -EINVAL;
	if (opts && opts->sysfs_root) {
		if (!opts->sysfs_root[0] || strlen(opts->sysfs_root) >= VI_PATH_MAX - 128)
			return -EINVAL;
		root = opts->sysfs_root;
	}
	ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return -ENOMEM;
	ctx->door = (opts && opts->door) ? opts->door : vfioiommu_door_system();
	snprintf(ctx->sysfs_root, sizeof(ctx->sysfs_root), "%s", root);
	ctx->sysfs_given = opts && opts->sysfs_root;
	ctx->mode = opts ? (enum vfioiommu_mode)opts->mode : VFIOIOMMU_MODE_AUTO;
	ctx->log_fn = opts ? opts->log_fn : NULL;
	ctx->log_arg = opts ? opts->log_arg : NULL;
	ctx->log_level = (opts && opts->log_level) ? opts->log_level : VFIOIOMMU_LOG_INFO;
	ctx->container_is_iommufd = -ENODEV;
	snprintf(ctx->backend_reason, sizeof(ctx->backend_reason),
		 "no backend chosen yet: add a group or open a device");
	pthread_mutex_init(&ctx->lock, NULL);
	pthread_mutex_init(&ctx->msg_lock, NULL);
	*out = ctx;
	return 0;
}

VFIOIOMMU_API void vfioiommu_ctx_destroy(vfioiommu_ctx *ctx)
{
	if (!ctx)
		return;
	pthread_mutex_lock(&ctx->lock);
	vi_devices_close_all(ctx);
	/* mappings die with the container or IOAS; only the library's table is left to free */
	vi_dma_destroy(ctx);
	/* page tables, fault queues and IOASes the caller left, before /dev/iommu closes */
	vi_objs_destroy(ctx);
	if (ctx->be && ctx->be->close)
		ctx->be->close(ctx);
	pthread_mutex_unlock(&ctx->lock);
	pthread_mutex_destroy(&ctx->lock);
	pthread_mutex_destroy(&ctx->msg_lock);
	vi_err_forget(ctx);
	free(ctx);
}

VFIOIOMMU_API enum vfioiommu_backend vfioiommu_ctx_backend(const vfioiommu_ctx *ctx)
{
	return ctx ? ctx->backend : VFIOIOMMU_BACKEND_NONE;
}

VFIOIOMMU_API const char *vfioiommu_ctx_backend_reason(const vfioiommu_ctx *ctx)
{
	return ctx ? ctx->backend_reason : "no context";
}

VFIOIOMMU_API int vfioiommu_ctx_container_is_iommufd(const vfioiommu_ctx *ctx)
{
	return ctx ? ctx->container_is_iommufd : -EINVAL;
}

VFIOIOMMU_API int vfioiommu_ctx_add_group(vfioiommu_ctx *ctx, unsigned int group)
{
	int rc = 0;

	if (!ctx)
		return -EINVAL;
	pthread_mutex_lock(&ctx->lock);
	if (!ctx->be)
		rc = vi_backend_select(ctx, NULL);
	if (rc == 0 && !ctx->be->add_group)
		rc = vi_fail(ctx, -EOPNOTSUPP,
			     "cannot add group %u: this context uses %s, where devices are added one by one",
			     group, vfioiommu_backend_name(ctx->backend));
	if (rc == 0)
		rc = ctx->be->add_group(ctx, group);
	pthread_mutex_unlock(&ctx->lock);
	return rc;
}

