/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * Raw probe (run by hand with run-vm.sh): what Linux 7.2's mtty does with
 * migration v2, for FACTS.md before the library wraps it.  Opens a mtty
 * device with the library, then speaks the uAPI itself with its own struct
 * definitions: the MIGRATION feature flags, each single arc from RUNNING and
 * from STOP (accepted or the errno, the state after, whether a data fd came),
 * GET_PRECOPY_INFO and MIG_DATA_SIZE.  Prints "FACT name=value" lines.
 *
 * STATUS: a first probe, not yet a source of FACTS.md rows.  Its first run
 * (intel, 2026-12-07) showed the walk back to the start state is wrong:
 * with nothing written to the resume fd, mtty refuses RESUMING -> STOP with
 * EINVAL and stays in RESUMING, so every arc printed after "STOP->RESUMING"
 * starts from RESUMING, not from the state its name says.  The MIGRATION
 * flags it printed (0x0) also need checking before use.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <vfioiommu.h>

#define U1 "8c3e2a10-0000-4000-8000-0000000000f1"
#define FEATURE _IO(';', 100 + 17)
#define PRECOPY_INFO _IO(';', 100 + 21)
#define F_GET (1u << 16)
#define F_SET (1u << 17)
#define F_PROBE (1u << 18)

struct feat { uint32_t argsz, flags; uint64_t data[2]; };
static const char *const names[] = { "ERROR", "STOP", "RUNNING", "STOP_COPY", "RESUMING", "RUNNING_P2P",
				     "PRE_COPY", "PRE_COPY_P2P" };

static int fd;

static int get_state(void)
{
	struct feat f = { .argsz = 16, .flags = F_GET | 2 };
	if (ioctl(fd, FEATURE, &f) < 0)
		return -errno;
	return (int)(uint32_t)f.data[0];
}

/* set state; returns data fd (>= 0), -1 for none, or -errno - 1000 */
static int set_state(uint32_t s)
{
	struct feat f = { .argsz = 16, .flags = F_SET | 2 };
	f.data[0] = s;
	if (ioctl(fd, FEATURE, &f) < 0)
		return -1000 - errno;
	return (int32_t)(f.data[0] >> 32);
}

static void back_to(uint32_t want)
{
	int s = get_state();

	for (int i = 0; i < 6 && s != (int)want; i++) {
		if (s == 3 || s == 4 || s == 2 || s == 5)
			set_state(s == 5 && want == 2 ? 2 : 1);
		else if (s == 6)
			set_state(2);
		else if (s == 7)
			set_state(5);
		else if (s == 1)
			set_state(want == 1 ? 1 : 2);
		else if (s == 0) {
			printf("FACT reset_from_ERROR=%s\n", ioctl(fd, _IO(';', 100 + 11)) < 0 ? strerror(errno) : "ok");
		}
		s = get_state();
	}
}

int main(void)
{
	struct vfioiommu_ctx_opts o = { .size = sizeof(o), .mode = VFIOIOMMU_MODE_IOMMUFD };
	vfioiommu_ctx *ctx;
	vfioiommu_device *dev;
	struct feat f = { .argsz = 16, .flags = F_GET | 1 };

	if (vfioiommu_ctx_new(&o, &ctx) < 0 || vfioiommu_mdev_create(ctx, "mtty", "mtty-2", U1) < 0 ||
	    vfioiommu_device_open(ctx, U1, &dev) < 0) {
		printf("FACT setup=%s\n", ctx ? vfioiommu_strerror(ctx) : "no ctx");
		return 1;
	}
	fd = vfioiommu_device_fd(dev);
	printf("FACT mig.flags=%s 0x%" PRIx64 "\n", ioctl(fd, FEATURE, &f) < 0 ? strerror(errno) : "ok", f.data[0]);
	for (uint32_t feat = 1; feat <= 11; feat++) {
		struct feat p = { .argsz = 16, .flags = F_PROBE | F_GET | F_SET | feat };
		int rc = ioctl(fd, FEATURE, &p);
		printf("FACT probe.feature%u=%s\n", feat, rc < 0 ? strerror(errno) : "ok");
	}
	printf("FACT state.initial=%d\n", get_state());
	for (uint32_t from = 1; from <= 2; from++) {
		for (uint32_t to = 0; to <= 8; to++) {
			int r;
			back_to(from);
			r = set_state(to);
			if (r <= -1000)
				printf("FACT arc.%s->%s=%s now=%s\n", names[from], to < 8 ? names[to] : "8", strerror(-(r + 1000)),
				       names[get_state() & 7]);
			else {
				printf("FACT arc.%s->%s=ok data_fd=%s now=%s\n", names[from], names[to], r >= 0 ? "yes" : "no",
				       names[get_state() & 7]);
				if (r >= 0 && (to == 6 || to == 7)) {
					uint64_t pi[3] = { 24, 0, 0 };
					int q = ioctl(r, PRECOPY_INFO, pi);
					printf("FACT precopy_info.%s=%s initial=%" PRIu64 " dirty=%" PRIu64 "\n", names[to],
					       q < 0 ? strerror(errno) : "ok", pi[1], pi[2]);
				}
				if (r >= 0 && to == 3) {
					struct feat d = { .argsz = 16, .flags = F_GET | 9 };
					char buf[65536];
					ssize_t n, tot = 0;
					printf("FACT mig_data_size.STOP_COPY=%s %" PRIu64 "\n",
					       ioctl(fd, FEATURE, &d) < 0 ? strerror(errno) : "ok", d.data[0]);
					while ((n = read(r, buf, sizeof(buf))) > 0)
						tot += n;
					printf("FACT stop_copy.read_total=%zd last=%s\n", tot, n < 0 ? strerror(errno) : "eof");
				}
				if (r >= 0)
					close(r);
			}
		}
	}
	back_to(2);
	vfioiommu_device_close(dev);
	vfioiommu_mdev_remove(ctx, U1);
	vfioiommu_ctx_destroy(ctx);
	printf("FACT done\n");
	return 0;
}
