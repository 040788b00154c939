/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * migrate: save a device's state to a file and restore it into another
 * device of the same kind (VFIO migration v2, <vfioiommu/migration.h>).
 *
 *   migrate [--mock HOSTFILE] [--precopy] [--keep FILE] SOURCE TARGET
 *
 * SOURCE and TARGET are PCI addresses or mediated devices' UUIDs.  The
 * source is stopped and saved (with --precopy, a first part is sent while
 * it still runs), the target is resumed from the file and started; the
 * source stays stopped, as after a real migration.  Without --keep the
 * file is a temporary one.  With --mock the devices come from the mock
 * kernel (examples/hosts/mtty.host has two mtty devices); without it, from
 * the real kernel, e.g. two mtty devices:
 *
 *   echo $(uuidgen) > /sys/class/mdev_bus/mtty/mdev_supported_types/mtty-2/create   (twice)
 *   migrate UUID1 UUID2
 */
#define _DEFAULT_SOURCE /* mkstemp */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <vfioiommu.h>
#include <vfioiommu/mock.h>

static int fail(vfioiommu_ctx *ctx, const char *what, int rc, const struct vfioiommu_mig_result *r)
{
	fprintf(stderr, "%s: %s (%s)\n", what, ctx ? vfioiommu_strerror(ctx) : "", strerror(-rc));
	if (r && r->arc_failed)
		fprintf(stderr, "  the arc %s -> %s failed\n", vfioiommu_mig_state_name(r->failed_from),
			vfioiommu_mig_state_name(r->failed_to));
	if (r)
		fprintf(stderr, "  the device is in %s\n", r->state_unknown ? "an unknown state"
								  : vfioiommu_mig_state_name(r->state));
	return 1;
}

int main(int argc, char **argv)
{
	const char *mockfile = NULL, *keep = NULL, *src = NULL, *dst = NULL;
	struct vfioiommu_ctx_opts o = { .size = sizeof(o), .mode = VFIOIOMMU_MODE_AUTO };
	struct vfioiommu_mig_result r;
	vfioiommu_mock *mock = NULL;
	vfioiommu_ctx *ctx = NULL;
	vfioiommu_device *a = NULL, *b = NULL;
	enum vfioiommu_mig_state st;
	char path[] = "/tmp/migrate.XXXXXX", err[256];
	bool precopy = false;
	uint32_t caps = 0;
	int fd = -1, rc, ret = 1;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--mock") && i + 1 < argc)
			mockfile = argv[++i];
		else if (!strcmp(argv[i], "--keep") && i + 1 < argc)
			keep = argv[++i];
		else if (!strcmp(argv[i], "--precopy"))
			precopy = true;
		else if (!src)
			src = argv[i];
		else if (!dst)
			dst = argv[i];
	}
	if (!src || !dst) {
		fprintf(stderr, "usage: %s [--mock HOSTFILE] [--precopy] [--keep FILE] SOURCE TARGET\n", argv[0]);
		return 2;
	}
	if (mockfile) {
		if (vfioiommu_mock_new(&mock) < 0 || vfioiommu_mock_load_file(mock, mockfile, err, sizeof(err)) < 0) {
			fprintf(stderr, "mock host %s: %s\n", mockfile, err);
			return 2;
		}
		o.door = vfioiommu_mock_door(mock);
	}
	if ((rc = vfioiommu_ctx_new(&o, &ctx)) < 0) {
		fprintf(stderr, "context: %s\n", strerror(-rc));
		goto out;
	}
	if ((rc = vfioiommu_device_open(ctx, src, &a)) < 0 || (rc = vfioiommu_device_open(ctx, dst, &b)) < 0) {
		fail(ctx, "open", rc, NULL);
		goto out;
	}
	if ((rc = vfioiommu_mig_caps(a, &caps)) < 0) {
		fail(ctx, "source", rc, NULL);
		goto out;
	}
	printf("%s: migration%s%s\n", src, (caps & VFIOIOMMU_MIG_CAP_P2P) ? " P2P" : "",
	       (caps & VFIOIOMMU_MIG_CAP_PRE_COPY) ? " PRE_COPY" : "");
	fd = keep ? open(keep, O_RDWR | O_CREAT | O_TRUNC, 0600) : mkstemp(path);
	if (fd < 0) {
		perror(keep ? keep : path);
		goto out;
	}
	if (!keep)
		unlink(path);
	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	if (precopy && (caps & VFIOIOMMU_MIG_CAP_PRE_COPY)) {
		uint64_t initial = 0, dirty = 0;

		if ((rc = vfioiommu_mig_set_state(a, VFIOIOMMU_MIG_PRE_COPY, &r)) < 0 ||
		    (rc = vfioiommu_mig_precopy_info(a, &initial, &dirty)) < 0 ||
		    (rc = vfioiommu_mig_save_chunk(a, fd, &r)) < 0) {
			fail(ctx, "pre-copy", rc, &r);
			goto out;
		}
		printf("pre-copy: %" PRIu64 " bytes ready, %" PRIu64 " sent while the source runs\n", initial, r.bytes);
	}
	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	if ((rc = vfioiommu_mig_save(a, fd, &r)) < 0) {
		fail(ctx, "save", rc, &r);
		goto out;
	}
	printf("saved %s: %" PRIu64 " bytes of state, the source is in %s\n", src, r.bytes,
	       vfioiommu_mig_state_name(r.state));
	if (lseek(fd, 0, SEEK_SET) != 0) {
		perror("lseek");
		goto out;
	}
	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	if ((rc = vfioiommu_mig_restore(b, fd, &r)) < 0) {
		fail(ctx, "restore", rc, &r);
		/* leave the target usable again */
		vfioiommu_mig_recover(b, NULL);
		goto out;
	}
	printf("restored %s: %" PRIu64 " bytes of state, the target is in %s\n", dst, r.bytes,
	       vfioiommu_mig_state_name(r.state));
	if ((rc = vfioiommu_mig_set_state(b, VFIOIOMMU_MIG_RUNNING, &r)) < 0 || (rc = vfioiommu_mig_get_state(b, &st)) < 0) {
		fail(ctx, "start", rc, &r);
		goto out;
	}
	printf("%s is %s\n", dst, vfioiommu_mig_state_name(st));
	ret = 0;
out:
	if (fd >= 0)
		close(fd);
	vfioiommu_device_close(b);
	vfioiommu_device_close(a);
	vfioiommu_ctx_destroy(ctx);
	vfioiommu_mock_destroy(mock);
	return ret;
}
