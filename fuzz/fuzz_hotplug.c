/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * libFuzzer target for the hotplug monitor's state machine: a mock host, a
 * monitor, and a script of operations taken from the input, mixing hostile
 * raw uevents with real driver-core changes, overruns and resyncs.  Besides
 * "no crash, no sanitizer report": whatever the stream did to the monitor's
 * picture, one resync brings it back to sysfs (a second one finds nothing),
 * and no socket is left open.
 *
 * Input: a sequence of [op][arg][payload...]:
 *   op % 8 == 0: emit arg+1 bytes of payload as one raw uevent
 *   1: dispatch       2: the next door call fails with ENOBUFS (an overrun)
 *   3: unbind device arg % 8 from its driver (sysfs)    4: bind it to vfio-pci (sysfs)
 *   5: remove it      6: resync                          7: socket backlog = arg % 4
 *
 *   fuzz_hotplug -max_total_time=60 /tmp/hotplug-corpus fuzz/corpus/hotplug
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vfioiommu.h>
#include <vfioiommu/mock.h>

#include "core/door.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c) do { if (!(c)) __builtin_trap(); } while (0)

static const char host[] = "group 3\n  device 0000:00:03.0 vfio-pci\n"
			   "group 4\n  device 0000:00:04.0 vfio-pci\n  device 0000:00:04.1 vfio-pci\n"
			   "group 5\n  device 0000:00:05.0 vfio-pci\n  device 0000:00:05.1 e1000e\n"
			   "group 8\n  device 0000:00:08.0 e1000e\n"
			   "group 9\n  device 0000:00:09.0 -\n  device 0000:00:09.1 vfio-pci\n";
static const char *const bdfs[8] = { "0000:00:03.0", "0000:00:04.0", "0000:00:04.1", "0000:00:05.0",
				     "0000:00:05.1", "0000:00:08.0", "0000:00:09.0", "0000:00:09.1" };

struct count {
	unsigned int n, resync;
};

static int counter(void *arg, const struct vfioiommu_hotplug_event *ev)
{
	struct count *c = arg;

	CHECK(ev->kind >= VFIOIOMMU_HOTPLUG_GROUP_ADDED && ev->kind <= VFIOIOMMU_HOTPLUG_RESYNC);
	CHECK(memchr(ev->bdf, 0, sizeof(ev->bdf)) && memchr(ev->driver, 0, sizeof(ev->driver)) &&
	      memchr(ev->devnode, 0, sizeof(ev->devnode)));
	c->n++;
	c->resync += ev->kind == VFIOIOMMU_HOTPLUG_RESYNC;
	return 0;
}

static void sysw(vfioiommu_mock *m, const char *path, const char *val)
{
	const vfioiommu_door *d = vfioiommu_mock_door(m);

	d->sysfs_write(d->priv, path, val, strlen(val));
}

static void step(vfioiommu_mock *m, vfioiommu_hotplug *mon, uint8_t op, uint8_t arg, const uint8_t **p,
		 const uint8_t *end)
{
	const char *bdf = bdfs[arg % 8];
	char path[128];
	struct count c = { 0, 0 };

	switch (op % 8) {
	case 0: {
		size_t n = (size_t)arg + 1;
		if (n > (size_t)(end - *p))
			n = (size_t)(end - *p);
		if (n)
			vfioiommu_mock_emit_uevent(m, *p, n);
		*p += n;
		break;
	}
	case 1:
		vfioiommu_hotplug_dispatch(mon, counter, &c);
		break;
	case 2:
		vfioiommu_mock_fail_nth(m, 1, ENOBUFS);
		break;
	case 3: {
		char drv[64] = "", link[256];
		const vfioiommu_door *d = vfioiommu_mock_door(m);
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver", bdf);
		if (d->readlink(d->priv, path, link, sizeof(link)) > 0 && strrchr(link, '/'))
			snprintf(drv, sizeof(drv), "%s", strrchr(link, '/') + 1);
		snprintf(path, sizeof(path), "/sys/bus/pci/drivers/%s/unbind", drv[0] ? drv : "none");
		sysw(m, path, bdf);
		break;
	}
	case 4:
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver_override", bdf);
		sysw(m, path, "vfio-pci");
		sysw(m, "/sys/bus/pci/drivers_probe", bdf);
		break;
	case 5:
		vfioiommu_mock_remove_device(m, bdf);
		break;
	case 6:
		vfioiommu_hotplug_resync(mon);
		break;
	default:
		vfioiommu_mock_set_uevent_backlog(m, arg % 4);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	vfioiommu_mock *m = NULL;
	vfioiommu_ctx *ctx = NULL;
	vfioiommu_hotplug *mon = NULL;
	struct vfioiommu_ctx_opts o = { .size = sizeof(o) };
	const uint8_t *p = data, *end = data + size;
	struct count c = { 0, 0 };
	int rc;

	CHECK(vfioiommu_mock_new(&m) == 0);
	CHECK(vfioiommu_mock_load_string(m, host, NULL, 0) == 0);
	o.door = vfioiommu_mock_door(m);
	CHECK(vfioiommu_ctx_new(&o, &ctx) == 0);
	CHECK(vfioiommu_hotplug_new(ctx, &mon) == 0);
	CHECK(vfioiommu_hotplug_dispatch(mon, counter, &c) >= 0);
	for (int ops = 0; end - p >= 2 && ops < 64; ops++) {
		uint8_t op = *p++, arg = *p++;
		step(m, mon, op, arg, &p, end);
	}
	/* drain what is left (a stray armed fault may fail one call; a storm may take several) */
	vfioiommu_mock_fail_nth(m, 0, 0);
	vfioiommu_mock_set_uevent_backlog(m, 0);
	for (int i = 0; i < 16 && (rc = vfioiommu_hotplug_dispatch(mon, counter, &c)) != 0; i++)
		;
	CHECK(rc == 0 && vfioiommu_hotplug_pending(mon) == 0);
	/* one resync makes the picture sysfs's again: the next finds nothing to say */
	CHECK(vfioiommu_hotplug_resync(mon) == 0);
	CHECK(vfioiommu_hotplug_dispatch(mon, counter, &c) >= 0);
	CHECK(vfioiommu_hotplug_resync(mon) == 0);
	c.n = c.resync = 0;
	rc = vfioiommu_hotplug_dispatch(mon, counter, &c);
	CHECK(rc == 1 && c.n == 1 && c.resync == 1);
	CHECK(vfioiommu_hotplug_pending(mon) == 0);
	vfioiommu_hotplug_destroy(mon);
	vfioiommu_ctx_destroy(ctx);
	CHECK(vfioiommu_mock_open_fds(m) == 0);
	vfioiommu_mock_destroy(m);
	return 0;
}
