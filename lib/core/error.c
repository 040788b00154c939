/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "error.h"

/*
 * Messages are kept per thread (so two threads failing on one context each
 * read their own) and per context (so a thread that did not fail still sees
 * the context's last message).
 */
static _Thread_local const struct vfioiommu_ctx *tls_ctx;
static _Thread_local char tls_msg[VI_MSG_MAX];

int vi_errf(struct vi_err *e, int err, const char *fmt, ...)
{
	if (e) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
		va_end(ap);
	}
	return err;
}

static void ctx_store(struct vfioiommu_ctx *ctx, const char *msg)
{
	tls_ctx = ctx;
	snprintf(tls_msg, sizeof(tls_msg), "%s", msg);
	pthread_mutex_lock(&ctx->msg_lock);
	snprintf(ctx->last.msg, sizeof(ctx->last.msg), "%s", msg);
	pthread_mutex_unlock(&ctx->msg_lock);
	vi_log(ctx, VFIOIOMMU_LOG_DEBUG, "error: %s", msg);
}

int vi_fail(struct vfioiommu_ctx *ctx, int err, const char *fmt, ...)
{
	char buf[VI_MSG_MAX];
	va_list ap;

	if (!ctx)
		return err;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	ctx_store(ctx, buf);
	return err;
}

int vi_fail_from(struct vfioiommu_ctx *ctx, int err, const struct vi_err *e)
{
	if (ctx)
		ctx_store(ctx, e ? e->msg : "");
	return err;
}

void vi_log(struct vfioiommu_ctx *ctx, int level, const char *fmt, ...)
{
	char buf[VI_MSG_MAX];
	va_list ap;

	if (!ctx || !ctx->log_fn || level > ctx->log_level)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	ctx->log_fn(ctx->log_arg, level, buf);
}

VFIOIOMMU_API const char *vfioiommu_strerror(const vfioiommu_ctx *ctx)
{
	struct vfioiommu_ctx *c = (struct vfioiommu_ctx *)ctx;

	if (!ctx)
		return "no context";
	if (tls_ctx == ctx)
		return tls_msg;
	pthread_mutex_lock(&c->msg_lock);
	snprintf(tls_msg, sizeof(tls_msg), "%s", c->last.msg);
	pthread_mutex_unlock(&c->msg_lock);
	tls_ctx = ctx;
	return tls_msg;
}

void vi_err_forget(const struct vfioiommu_ctx *ctx)
{
	if (tls_ctx == ctx) {
		tls_ctx = NULL;
		tls_msg[0] = '\0';
	}
}

const char *vi_errno_name(int err)
{
	switch (err < 0 ? -err : err) {
	case EPERM: return "EPERM";
	case ENOENT: return "ENOENT";
	case EIO: return "EIO";
	case EBADF: return "EBADF";
	case ENOMEM: return "ENOMEM";
	case EACCES: return "EACCES";
	case EFAULT: return "EFAULT";
	case EBUSY: return "EBUSY";
	case EEXIST: return "EEXIST";
	case ENODEV: return "ENODEV";
	case EINVAL: return "EINVAL";
	case ENOSPC: return "ENOSPC";
	case ESPIPE: return "ESPIPE";
	case ERANGE: return "ERANGE";
	case ENOTTY: return "ENOTTY";
	case E2BIG: return "E2BIG";
	case EMSGSIZE: return "EMSGSIZE";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case EPROTO: return "EPROTO";
	case EOVERFLOW: return "EOVERFLOW";
	case EDQUOT: return "EDQUOT";
	case ENXIO: return "ENXIO";
	case EAGAIN: return "EAGAIN";
	case EINTR: return "EINTR";
	default: return "errno";
	}
}
