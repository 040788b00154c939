/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "config.h"

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

/*
 * Every Linux errno by its name, for C libraries without strerrorname_np()
 * (glibc before 2.32, musl) and for numbers the C library does not know.
 * Aliases (EWOULDBLOCK, EDEADLOCK, ENOTSUP) share a number with the name given.
 */
static const char *const errno_names[] = {
	[EPERM] = "EPERM", [ENOENT] = "ENOENT", [ESRCH] = "ESRCH", [EINTR] = "EINTR", [EIO] = "EIO",
	[ENXIO] = "ENXIO", [E2BIG] = "E2BIG", [ENOEXEC] = "ENOEXEC", [EBADF] = "EBADF", [ECHILD] = "ECHILD",
	[EAGAIN] = "EAGAIN", [ENOMEM] = "ENOMEM", [EACCES] = "EACCES", [EFAULT] = "EFAULT",
	[ENOTBLK] = "ENOTBLK", [EBUSY] = "EBUSY", [EEXIST] = "EEXIST", [EXDEV] = "EXDEV", [ENODEV] = "ENODEV",
	[ENOTDIR] = "ENOTDIR", [EISDIR] = "EISDIR", [EINVAL] = "EINVAL", [ENFILE] = "ENFILE",
	[EMFILE] = "EMFILE", [ENOTTY] = "ENOTTY", [ETXTBSY] = "ETXTBSY", [EFBIG] = "EFBIG",
	[ENOSPC] = "ENOSPC", [ESPIPE] = "ESPIPE", [EROFS] = "EROFS", [EMLINK] = "EMLINK", [EPIPE] = "EPIPE",
	[EDOM] = "EDOM", [ERANGE] = "ERANGE", [EDEADLK] = "EDEADLK", [ENAMETOOLONG] = "ENAMETOOLONG",
	[ENOLCK] = "ENOLCK", [ENOSYS] = "ENOSYS", [ENOTEMPTY] = "ENOTEMPTY", [ELOOP] = "ELOOP",
	[ENOMSG] = "ENOMSG", [EIDRM] = "EIDRM", [ECHRNG] = "ECHRNG", [EL2NSYNC] = "EL2NSYNC",
	[EL3HLT] = "EL3HLT", [EL3RST] = "EL3RST", [ELNRNG] = "ELNRNG", [EUNATCH] = "EUNATCH",
	[ENOCSI] = "ENOCSI", [EL2HLT] = "EL2HLT", [EBADE] = "EBADE", [EBADR] = "EBADR", [EXFULL] = "EXFULL",
	[ENOANO] = "ENOANO", [EBADRQC] = "EBADRQC", [EBADSLT] = "EBADSLT", [EBFONT] = "EBFONT",
	[ENOSTR] = "ENOSTR", [ENODATA] = "ENODATA", [ETIME] = "ETIME", [ENOSR] = "ENOSR",
	[ENONET] = "ENONET", [ENOPKG] = "ENOPKG", [EREMOTE] = "EREMOTE", [ENOLINK] = "ENOLINK",
	[EADV] = "EADV", [ESRMNT] = "ESRMNT", [ECOMM] = "ECOMM", [EPROTO] = "EPROTO",
	[EMULTIHOP] = "EMULTIHOP", [EDOTDOT] = "EDOTDOT", [EBADMSG] = "EBADMSG", [EOVERFLOW] = "EOVERFLOW",
	[ENOTUNIQ] = "ENOTUNIQ", [EBADFD] = "EBADFD", [EREMCHG] = "EREMCHG", [ELIBACC] = "ELIBACC",
	[ELIBBAD] = "ELIBBAD", [ELIBSCN] = "ELIBSCN", [ELIBMAX] = "ELIBMAX", [ELIBEXEC] = "ELIBEXEC",
	[EILSEQ] = "EILSEQ", [ERESTART] = "ERESTART", [ESTRPIPE] = "ESTRPIPE", [EUSERS] = "EUSERS",
	[ENOTSOCK] = "ENOTSOCK", [EDESTADDRREQ] = "EDESTADDRREQ", [EMSGSIZE] = "EMSGSIZE",
	[EPROTOTYPE] = "EPROTOTYPE", [ENOPROTOOPT] = "ENOPROTOOPT", [EPROTONOSUPPORT] = "EPROTONOSUPPORT",
	[ESOCKTNOSUPPORT] = "ESOCKTNOSUPPORT", [EOPNOTSUPP] = "EOPNOTSUPP", [EPFNOSUPPORT] = "EPFNOSUPPORT",
	[EAFNOSUPPORT] = "EAFNOSUPPORT", [EADDRINUSE] = "EADDRINUSE", [EADDRNOTAVAIL] = "EADDRNOTAVAIL",
	[ENETDOWN] = "ENETDOWN", [ENETUNREACH] = "ENETUNREACH", [ENETRESET] = "ENETRESET",
	[ECONNABORTED] = "ECONNABORTED", [ECONNRESET] = "ECONNRESET", [ENOBUFS] = "ENOBUFS",
	[EISCONN] = "EISCONN", [ENOTCONN] = "ENOTCONN", [ESHUTDOWN] = "ESHUTDOWN",
	[ETOOMANYREFS] = "ETOOMANYREFS", [ETIMEDOUT] = "ETIMEDOUT", [ECONNREFUSED] = "ECONNREFUSED",
	[EHOSTDOWN] = "EHOSTDOWN", [EHOSTUNREACH] = "EHOSTUNREACH", [EALREADY] = "EALREADY",
	[EINPROGRESS] = "EINPROGRESS", [ESTALE] = "ESTALE", [EUCLEAN] = "EUCLEAN", [ENOTNAM] = "ENOTNAM",
	[ENAVAIL] = "ENAVAIL", [EISNAM] = "EISNAM", [EREMOTEIO] = "EREMOTEIO", [EDQUOT] = "EDQUOT",
	[ENOMEDIUM] = "ENOMEDIUM", [EMEDIUMTYPE] = "EMEDIUMTYPE", [ECANCELED] = "ECANCELED",
	[ENOKEY] = "ENOKEY", [EKEYEXPIRED] = "EKEYEXPIRED", [EKEYREVOKED] = "EKEYREVOKED",
	[EKEYREJECTED] = "EKEYREJECTED", [EOWNERDEAD] = "EOWNERDEAD", [ENOTRECOVERABLE] = "ENOTRECOVERABLE",
#ifdef ERFKILL
	[ERFKILL] = "ERFKILL",
#endif
#ifdef EHWPOISON
	[EHWPOISON] = "EHWPOISON",
#endif
};

const char *vi_errno_table_name(int err)
{
	unsigned int e = err < 0 ? 0u - (unsigned int)err : (unsigned int)err;

	return e < sizeof(errno_names) / sizeof(errno_names[0]) ? errno_names[e] : NULL;
}

/* Room for the numbers of a few non-errnos in one message ("errno 9999"). */
#define ERRNO_BUFS 4
static _Thread_local char errno_buf[ERRNO_BUFS][24];
static _Thread_local unsigned int errno_next;

const char *vi_errno_name(int err)
{
	unsigned int e = err < 0 ? 0u - (unsigned int)err : (unsigned int)err;
	const char *name = NULL;
	char *buf;

	if (e == 0)
		return "no error";
#if VFIOIOMMU_HAVE_STRERRORNAME_NP
	if (e <= INT_MAX)
		name = strerrorname_np((int)e);
#endif
	if (!name)
		name = vi_errno_table_name(err);
	if (name)
		return name;
	/* not an errno Linux has: say which number, never a bare "errno" */
	buf = errno_buf[errno_next++ % ERRNO_BUFS];
	snprintf(buf, sizeof(errno_buf[0]), "errno %u", e);
	return buf;
}
