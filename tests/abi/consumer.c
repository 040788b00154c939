/* A program outside the tree that links only libvfioiommu (pkg-config libvfioiommu): no mock. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <vfioiommu.h>

int main(void)
{
	vfioiommu_ctx *ctx;
	vfioiommu_iova_list *l;
	struct vfioiommu_ctx_opts o;

	memset(&o, 0, sizeof(o));
	o.size = sizeof(o);
	if (vfioiommu_ctx_new(&o, &ctx))
		return 1;
	/* pure calls: no kernel needed */
	struct vfioiommu_iova_range r[2] = { { 0x3000, 0x3fff }, { 0x1000, 0x2fff } };

	if (vfioiommu_iova_list_new(r, 2, VFIOIOMMU_IOVA_SRC_USER, &l) || vfioiommu_iova_list_count(l) != 1)
		return 1;
	printf("libvfioiommu %s, backend %s, %zu range\n", vfioiommu_version(),
	       vfioiommu_backend_name(vfioiommu_ctx_backend(ctx)), vfioiommu_iova_list_count(l));
	vfioiommu_iova_list_free(l);
	vfioiommu_ctx_destroy(ctx);
	return 0;
}
