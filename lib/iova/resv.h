/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/* Reserved-region internals shared by resv.c (pure) and resv_sysfs.c (door). */
#ifndef VI_RESV_H
#define VI_RESV_H

#include <stddef.h>

#include <vfioiommu/resv.h>

#include "core/internal.h"

/* A growable array of regions, not yet merged. */
struct vi_resv_vec {
	struct vfioiommu_resv_region *r;
	size_t n, cap;
};

void vi_resv_vec_free(struct vi_resv_vec *v);

/* Parse one file's text, appending its regions to v.  -EINVAL (message in e) or -ENOMEM. */
int vi_resv_parse_append(struct vi_resv_vec *v, const char *text, size_t len, unsigned int group,
			 const char *filename, struct vi_err *e);

/* Merge v's regions into a set; v is consumed (emptied) whatever the result. */
int vi_resv_set_from_vec(struct vi_resv_vec *v, vfioiommu_resv_set **out);

/* The regions of a set as a read-only array. */
const struct vfioiommu_resv_region *vi_resv_set_regions(const vfioiommu_resv_set *set, size_t *n);

#endif
