/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/* PASID spaces and sets (pasid.c) as seen by the iommufd attach code (pasid_attach.c). */
#ifndef VI_PASID_H
#define VI_PASID_H

#include <stdint.h>

#include <vfioiommu/pasid.h>

#include "core/internal.h"

/* The PASID @h of @set names, under the space lock.  0 or -EINVAL (the message says why). */
int vi_pasid_lookup(vfioiommu_pasid_set *set, vfioiommu_pasid_handle h, uint32_t *pasid,
	struct vi_err *e);

/* Entries in the set's allocation log, live or dead (tests check it stays bounded). */
uint32_t vi_pasid_set_log_len(vfioiommu_pasid_set *set);

#endif
