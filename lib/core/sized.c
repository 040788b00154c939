/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * Size-versioned public structs: the caller sets the first member, a u32
 * size, to sizeof the struct it was compiled with.  A newer library fills
 * only that many bytes, an older one refuses nothing it knows, so a struct
 * may grow at its end without breaking either side.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "internal.h"

int vi_check_size(struct vfioiommu_ctx *ctx, const char *fn, const void *p, uint32_t size, size_t min)
{
	if (!p)
		return vi_fail(ctx, -EINVAL, "%s: NULL argument", fn);
	if (size < min)
		return vi_fail(ctx, -EINVAL, "%s: size %" PRIu32 " is too small (set it to sizeof the struct, "
			       "at least %zu)", fn, size, min);
	return 0;
}

static uint32_t sized_size(const void *p)
{
	uint32_t size;

	memcpy(&size, p, sizeof(size));
	return size;
}

void vi_copy_sized(void *out, const void *full, size_t full_size)
{
	uint32_t size = sized_size(out);

	memcpy(out, full, size < full_size ? size : full_size);
	memcpy(out, &size, sizeof(size));
}

int vi_read_sized(struct vfioiommu_ctx *ctx, const char *fn, void *dst, size_t dst_size, const void *src,
		  size_t min)
{
	uint32_t size;
	int rc;

	if (!src)
		return 0;
	size = sized_size(src);
	rc = vi_check_size(ctx, fn, src, size, min);
	if (rc < 0)
		return rc;
	memcpy(dst, src, size < dst_size ? size : dst_size);
	return 0;
}
