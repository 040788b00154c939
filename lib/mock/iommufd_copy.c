/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * The mock /dev/iommu's IOMMU_IOAS_COPY and IOMMU_IOAS_CHANGE_PROCESS.  As
 * measured on Linux 7.2 (tests/vm/FACTS.md, library objects): a copy takes
 * any range that mappings of the source cover (a part of one too) and maps
 * it in the destination under IOAS_MAP's rules; CHANGE_PROCESS refuses while
 * any IOAS holds a mapping of process memory.
 */
#include <errno.h>

#include "iommufd_obj.h"

int cmd_ioas_copy(struct vfioiommu_mock *m, struct io_ctx *c, void *arg)
{
	struct kabi_iommu_ioas_copy *cmd = arg;
	struct io_obj *dst, *src;
	const struct vm_map *mp;
	uint64_t last;
	size_t i;
	int rc;

	rc = vm_io_map_checks(c, cmd->flags, cmd->dst_iova, cmd->length, cmd->dst_ioas_id, &dst);
	if (rc < 0)
		return rc;
	src = obj_get(c, cmd->src_ioas_id, IO_IOAS);
	if (!src)
		return -ENOENT;
	if (!cmd->length)
		return -EINVAL;
	if (cmd->src_iova > UINT64_MAX - (cmd->length - 1))
		return -EOVERFLOW;
	last = cmd->src_iova + cmd->length - 1;
	/* iopt_get_pages(): the source range inside one mapping (the mock copies no range across mappings) */
	i = vm_maps_lower(&src->ioas.maps, cmd->src_iova);
	if (i >= src->ioas.maps.n)
		return -ENOENT;
	mp = &src->ioas.maps.v[i];
	if (mp->iova > cmd->src_iova || mp->iova + mp->len - 1 < last)
		return -ENOENT;
	return vm_io_map(m, c, dst, cmd->flags, mp->vaddr + (cmd->src_iova - mp->iova), cmd->length, &cmd->dst_iova,
			 (cmd->flags & (KABI_IOMMU_IOAS_MAP_WRITEABLE | KABI_IOMMU_IOAS_MAP_READABLE)) |
			 (mp->prot & IO_PROT_FILE));
}

int cmd_change_process(struct vfioiommu_mock *m, struct io_ctx *c, void *arg)
{
	struct kabi_iommu_ioas_change_process *cmd = arg;

	(void)m;
	if (cmd->__reserved)
		return -EOPNOTSUPP;
	for (uint32_t i = 1; i < c->nobj; i++) {
		struct io_obj *o = c->obj[i];

		if (!o || o->type != IO_IOAS)
			continue;
		for (size_t k = 0; k < o->ioas.maps.n; k++)
			if (!(o->ioas.maps.v[k].prot & IO_PROT_FILE))
				return -EINVAL;
	}
	return 0;
}
