/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/* Recording hotplug events as one line each, for test_hotplug.c and test_bind.c. */
#ifndef TH_HOTPLUG_HELPERS_H
#define TH_HOTPLUG_HELPERS_H

#include <stdio.h>
#include <string.h>

#include <vfioiommu/hotplug.h>

struct th_rec {
	char log[8192];   /* one line per event */
	size_t n;         /* events seen */
	size_t stop_after; /* the callback returns 1 after this many (0: never) */
};

/* "KIND BDF gGROUP cCDEV DRIVER DEVNODE FLAGS" with "-" for empty fields; flags P, R, N. */
static inline void th_event_line(const struct vfioiommu_hotplug_event *ev, char *out, size_t n)
{
	snprintf(out, n, "%s %s g%d c%d %s %s %s%s%s%s\n", vfioiommu_hotplug_kind_name(ev->kind),
		 ev->bdf[0] ? ev->bdf : "-", ev->group, ev->cdev, ev->driver[0] ? ev->driver : "-",
		 ev->devnode[0] ? ev->devnode : "-", (ev->flags & VFIOIOMMU_HOTPLUG_F_PRESENT) ? "P" : "",
		 (ev->flags & VFIOIOMMU_HOTPLUG_F_RESYNC) ? "R" : "",
		 (ev->flags & VFIOIOMMU_HOTPLUG_F_NOIOMMU) ? "N" : "", ev->flags ? "" : "-");
}

static inline int th_record(void *arg, const struct vfioiommu_hotplug_event *ev)
{
	struct th_rec *r = arg;
	char line[256];
	size_t len = strlen(r->log);

	th_event_line(ev, line, sizeof(line));
	snprintf(r->log + len, sizeof(r->log) - len, "%s", line);
	r->n++;
	return r->stop_after && r->n == r->stop_after;
}

static inline void th_rec_reset(struct th_rec *r)
{
	r->log[0] = '\0';
	r->n = 0;
	r->stop_after = 0;
}

#endif
