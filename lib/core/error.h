/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
#ifndef VI_ERROR_H
#define VI_ERROR_H

#include <stdarg.h>
#include <stddef.h>

#include <vfioiommu/common.h>

#define VI_MSG_MAX 512

/* A message sink for code that has no context (parsers, list operations). */
struct vi_err {
	char msg[VI_MSG_MAX];
};

/* Format into e (if not NULL) and return err (a negative errno) unchanged. */
int vi_errf(struct vi_err *e, int err, const char *fmt, ...) VFIOIOMMU_PRINTF(3, 4);

/* Set the context's message for this thread, log it at DEBUG, return err. */
int vi_fail(struct vfioiommu_ctx *ctx, int err, const char *fmt, ...) VFIOIOMMU_PRINTF(3, 4);
/* Same, taking the message from a vi_err filled by a lower layer. */
int vi_fail_from(struct vfioiommu_ctx *ctx, int err, const struct vi_err *e);
/* Log through the caller's callback (no-op when none or level too high). */
void vi_log(struct vfioiommu_ctx *ctx, int level, const char *fmt, ...) VFIOIOMMU_PRINTF(3, 4);

/*
 * strerror without the locale and thread issues: the errno's name ("EINVAL"),
 * for either sign, from strerrorname_np() when the C library has it, else from
 * a table of every Linux errno; "errno 9999" for a number that is none.
 */
const char *vi_errno_name(int err);
/* The table behind it: the name of err (either sign), NULL when Linux has no such errno. */
const char *vi_errno_table_name(int err);
/* Forget a context's thread-local message (a new context may reuse its address). */
void vi_err_forget(const struct vfioiommu_ctx *ctx);

#endif
