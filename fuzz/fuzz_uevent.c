/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * libFuzzer target for the uevent parser (lib/hotplug/uevent.c).  Besides "no
 * crash, no sanitizer report": a rejected message leaves nothing half-filled
 * and says why; an accepted one keeps the parser's promises (a PCI address
 * where one is claimed, a driver on every bind, non-negative numbers), parses
 * the same twice, and survives a round trip through the kernel's format.
 *
 *   fuzz_uevent -max_total_time=60 /tmp/uevent-corpus fuzz/corpus/uevent
 *   (new inputs go to the first directory; the linux-* seeds are Linux 7.2's own messages)
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hotplug/uevent.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c) do { if (!(c)) __builtin_trap(); } while (0)

static bool terminated(const char *s, size_t cap)
{
	return memchr(s, '\0', cap) != NULL;
}

static void check_rejected(const struct vi_uevent *u, const struct vi_err *e)
{
	CHECK(u->what == VI_UEV_IGNORE && u->action == VI_UEV_ACT_OTHER);
	CHECK(u->bdf[0] == '\0' && u->driver[0] == '\0');
	CHECK(u->group == -1 && u->cdev == -1 && !u->noiommu && u->seqnum == 0);
	CHECK(terminated(e->msg, sizeof(e->msg)));
	CHECK(!strncmp(e->msg, "uevent: ", 8));
}

static void check_accepted(const struct vi_uevent *u)
{
	CHECK(terminated(u->bdf, sizeof(u->bdf)) && terminated(u->driver, sizeof(u->driver)));
	switch (u->what) {
	case VI_UEV_PCI:
		CHECK(vi_uevent_is_bdf(u->bdf, strlen(u->bdf)));
		CHECK(u->action != VI_UEV_ACT_OTHER);
		CHECK(u->action != VI_UEV_ACT_BIND || u->driver[0]);
		CHECK(!strchr(u->driver, '/'));
		CHECK(u->group == -1 && u->cdev == -1);
		break;
	case VI_UEV_GROUP:
		CHECK(u->group >= 0 && u->cdev == -1 && !u->bdf[0]);
		CHECK(u->action == VI_UEV_ACT_ADD || u->action == VI_UEV_ACT_REMOVE);
		break;
	case VI_UEV_CDEV:
		CHECK(u->cdev >= 0 && u->group == -1);
		CHECK(vi_uevent_is_bdf(u->bdf, strlen(u->bdf)));
		CHECK(u->action == VI_UEV_ACT_ADD || u->action == VI_UEV_ACT_REMOVE);
		break;
	default:
		CHECK(u->what == VI_UEV_IGNORE);
		CHECK(!u->bdf[0] && u->group == -1 && u->cdev == -1);
	}
}

static const char *action_word(enum vi_uev_action a)
{
	switch (a) {
	case VI_UEV_ACT_ADD: return "add";
	case VI_UEV_ACT_REMOVE: return "remove";
	case VI_UEV_ACT_BIND: return "bind";
	case VI_UEV_ACT_UNBIND: return "unbind";
	default: return "change";
	}
}

/* Say it again the way Linux would, and the parser must hear the same thing. */
static void check_round_trip(const struct vi_uevent *u)
{
	char path[128], msg[1024];
	struct vi_uevent again;
	const char *sub;
	size_t len = 0;
	int w;

	if (u->what == VI_UEV_PCI) {
		snprintf(path, sizeof(path), "/devices/pci0000:00/%s", u->bdf);
		sub = "pci";
	} else if (u->what == VI_UEV_GROUP) {
		snprintf(path, sizeof(path), "/devices/virtual/vfio/%s%d", u->noiommu ? "noiommu-" : "", u->group);
		sub = "vfio";
	} else if (u->what == VI_UEV_CDEV) {
		snprintf(path, sizeof(path), "/devices/pci0000:00/%s/vfio-dev/vfio%d", u->bdf, u->cdev);
		sub = "vfio-dev";
	} else {
		return;
	}
	w = snprintf(msg, sizeof(msg), "%s@%s%cACTION=%s%cDEVPATH=%s%cSUBSYSTEM=%s%c", action_word(u->action), path,
		     0, action_word(u->action), 0, path, 0, sub, 0);
	CHECK(w > 0 && (size_t)w < sizeof(msg));
	len = (size_t)w;
	if (u->driver[0]) {
		w = snprintf(msg + len, sizeof(msg) - len, "DRIVER=%s%c", u->driver, 0);
		CHECK(w > 0 && (size_t)w < sizeof(msg) - len);
		len += (size_t)w;
	}
	w = snprintf(msg + len, sizeof(msg) - len, "SEQNUM=%" PRIu64 "%c", u->seqnum, 0);
	CHECK(w > 0 && (size_t)w < sizeof(msg) - len);
	len += (size_t)w;
	CHECK(vi_uevent_parse(msg, len, &again, NULL) == 0);
	CHECK(again.what == u->what && again.action == u->action && again.group == u->group &&
	      again.cdev == u->cdev && again.noiommu == u->noiommu && again.seqnum == u->seqnum);
	CHECK(!strcmp(again.bdf, u->bdf) && !strcmp(again.driver, u->driver));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vi_uevent u, twice;
	struct vi_err e;
	/* a private copy of exactly size bytes, so ASan sees any read past the end */
	uint8_t *copy = malloc(size ? size : 1);
	int rc;

	CHECK(copy);
	memcpy(copy, data, size);
	memset(&e, 0x5a, sizeof(e)); /* the parser must terminate its message itself */
	rc = vi_uevent_parse(copy, size, &u, &e);
	CHECK(rc == 0 || rc == -EINVAL);
	CHECK(vi_uevent_parse(copy, size, &twice, NULL) == rc);
	CHECK(!memcmp(&u, &twice, sizeof(u)));
	if (rc < 0) {
		check_rejected(&u, &e);
	} else {
		CHECK(size > 0 && size <= VI_UEVENT_MAX && copy[size - 1] == '\0');
		check_accepted(&u);
		check_round_trip(&u);
	}
	free(copy);
	return 0;
}
