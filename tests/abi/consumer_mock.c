/* A program outside the tree that unit-tests against the mock (pkg-config libvfioiommu-mock). */
#include <stdio.h>
#include <string.h>

#include <vfioiommu.h>
#include <vfioiommu/mock.h>

int main(void)
{
	vfioiommu_mock *m;
	vfioiommu_ctx *ctx;
	struct vfioiommu_ctx_opts o;
	char err[128];

	if (vfioiommu_mock_new(&m) || vfioiommu_mock_load_string(m, "group 1\n device 0000:00:01.0 vfio-pci\n", err, sizeof(err)))
		return 1;
	memset(&o, 0, sizeof(o));
	o.size = sizeof(o);
	o.door = vfioiommu_mock_door(m);
	if (vfioiommu_ctx_new(&o, &ctx))
		return 1;
	printf("libvfioiommu %s, backend %s\n", vfioiommu_version(),
	       vfioiommu_backend_name(vfioiommu_ctx_backend(ctx)));
	vfioiommu_ctx_destroy(ctx);
	vfioiommu_mock_destroy(m);
	return 0;
}
