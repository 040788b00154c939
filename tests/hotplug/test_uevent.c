/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/* The uevent parser: Linux's own messages, then everything a hostile socket could hold. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "helpers.h"
#include "hotplug/uevent.h"
#include "uevent_captures.h"

#define LIT(s) s, sizeof(s) - 1

static void captured_from_linux(void **state)
{
	for (size_t i = 0; i < sizeof(th_captures) / sizeof(th_captures[0]); i++) {
		const struct th_capture *c = &th_captures[i];
		struct vi_uevent u;
		struct vi_err e = { "" };

		assert_int_equal(c->len, c->got);
		if (vi_uevent_parse(c->buf, c->len, &u, &e) < 0)
			fail_msg("capture %zu (%s): %s", i, c->buf, e.msg);
		assert_int_equal(u.action, c->action);
		assert_int_equal(u.what, c->what);
		assert_string_equal(u.bdf, c->bdf);
		assert_string_equal(u.driver, c->driver);
		assert_int_equal(u.group, c->group);
		assert_int_equal(u.cdev, c->cdev);
		assert_int_equal(u.noiommu, false);
		assert_int_equal(u.seqnum, c->seqnum);
	}
	assert_int_equal(sizeof(th_captures) / sizeof(th_captures[0]), TH_CAP_COUNT);
}

static void written_like_the_kernel(void **state)
{
	struct vi_uevent u;

	/* no-IOMMU group node */
	assert_int_equal(vi_uevent_parse(LIT("add@/devices/virtual/vfio/noiommu-5\0ACTION=add\0"
					     "DEVPATH=/devices/virtual/vfio/noiommu-5\0SUBSYSTEM=vfio\0"
					     "MAJOR=249\0MINOR=1\0DEVNAME=vfio/noiommu-5\0SEQNUM=7\0"),
					 &u, NULL),
			 0);
	assert_int_equal(u.what, VI_UEV_GROUP);
	assert_int_equal(u.group, 5);
	assert_true(u.noiommu);
	/* no DEVNAME: the number comes from the path */
	assert_int_equal(vi_uevent_parse(LIT("remove@/devices/virtual/vfio/12\0ACTION=remove\0"
					     "DEVPATH=/devices/virtual/vfio/12\0SUBSYSTEM=vfio\0"),
					 &u, NULL),
			 0);
	assert_int_equal(u.what, VI_UEV_GROUP);
	assert_int_equal(u.group, 12);
	assert_int_equal(u.seqnum, 0);
	/* a VMD domain (5 hex digits) and a device behind a bridge */
	assert_int_equal(vi_uevent_parse(LIT("bind@/devices/pci0000:00/0000:00:0e.0/pci10000:e0/10000:e1:00.0\0"
					     "ACTION=bind\0DEVPATH=/devices/pci0000:00/0000:00:0e.0/pci10000:e0/"
					     "10000:e1:00.0\0SUBSYSTEM=pci\0DRIVER=mlx5_vfio_pci\0"
					     "PCI_SLOT_NAME=10000:e1:00.0\0SEQNUM=18446744073709551615\0"),
					 &u, NULL),
			 0);
	assert_int_equal(u.what, VI_UEV_PCI);
	assert_string_equal(u.bdf, "10000:e1:00.0");
	assert_string_equal(u.driver, "mlx5_vfio_pci");
	assert_int_equal(u.seqnum, UINT64_MAX);
	/* the cdev of a device behind a bridge */
	assert_int_equal(vi_uevent_parse(LIT("add@/devices/pci0000:00/0000:00:1c.0/0000:03:00.1/vfio-dev/vfio17\0"
					     "ACTION=add\0DEVPATH=/devices/pci0000:00/0000:00:1c.0/0000:03:00.1/"
					     "vfio-dev/vfio17\0SUBSYSTEM=vfio-dev\0"),
					 &u, NULL),
			 0);
	assert_int_equal(u.what, VI_UEV_CDEV);
	assert_string_equal(u.bdf, "0000:03:00.1");
	assert_int_equal(u.cdev, 17);
	/* unknown keys are somebody else's business */
	assert_int_equal(vi_uevent_parse(LIT("unbind@/devices/pci0000:00/0000:00:03.0\0ACTION=unbind\0"
					     "DEVPATH=/devices/pci0000:00/0000:00:03.0\0SUBSYSTEM=pci\0"
					     "FUTURE_KEY=whatever=with=equals\0X=\0SEQNUM=3\0"),
					 &u, NULL),
			 0);
	assert_int_equal(u.what, VI_UEV_PCI);
	assert_int_equal(u.action, VI_UEV_ACT_UNBIND);
}

static void well_formed_but_not_ours(void **state)
{
	static const struct {
		const char *buf;
		size_t len;
	} msgs[] = {
		{ LIT("change@/devices/pci0000:00/0000:00:03.0\0ACTION=change\0"
		      "DEVPATH=/devices/pci0000:00/0000:00:03.0\0SUBSYSTEM=pci\0") },
		{ LIT("add@/module/vfio_pci\0ACTION=add\0DEVPATH=/module/vfio_pci\0SUBSYSTEM=module\0") },
		{ LIT("add@/devices/virtual/misc/vfio\0ACTION=add\0DEVPATH=/devices/virtual/misc/vfio\0"
		      "SUBSYSTEM=misc\0DEVNAME=vfio/vfio\0") },
		/* a vfio-class device that is not a group */
		{ LIT("add@/devices/virtual/vfio/vfio\0ACTION=add\0DEVPATH=/devices/virtual/vfio/vfio\0"
		      "SUBSYSTEM=vfio\0DEVNAME=vfio/vfio\0") },
		/* the cdev of a platform device */
		{ LIT("add@/devices/platform/fff51000.ethernet/vfio-dev/vfio3\0ACTION=add\0"
		      "DEVPATH=/devices/platform/fff51000.ethernet/vfio-dev/vfio3\0SUBSYSTEM=vfio-dev\0") },
		/* bind of a vfio group node is not a thing; a vfio-dev without the glue directory neither */
		{ LIT("bind@/devices/virtual/vfio/3\0ACTION=bind\0DEVPATH=/devices/virtual/vfio/3\0SUBSYSTEM=vfio\0") },
		{ LIT("add@/devices/vfio3\0ACTION=add\0DEVPATH=/devices/vfio3\0SUBSYSTEM=vfio-dev\0") },
		/* no SUBSYSTEM at all (some kobjects) */
		{ LIT("add@/devices/system/memory/memory5\0ACTION=add\0DEVPATH=/devices/system/memory/memory5\0") },
		{ LIT("online@/devices/system/cpu/cpu1\0ACTION=online\0DEVPATH=/devices/system/cpu/cpu1\0"
		      "SUBSYSTEM=cpu\0") },
	};

	for (size_t i = 0; i < sizeof(msgs) / sizeof(msgs[0]); i++) {
		struct vi_uevent u;
		struct vi_err e = { "" };

		if (vi_uevent_parse(msgs[i].buf, msgs[i].len, &u, &e) < 0)
			fail_msg("message %zu rejected: %s", i, e.msg);
		assert_int_equal(u.what, VI_UEV_IGNORE);
	}
}

static void malformed(void **state)
{
	static const struct {
		const char *buf;
		size_t len;
		const char *why;
	} bad[] = {
		{ LIT("add@/devices/virtual/vfio/3\0ACTION=add\0DEVPATH=/devices/virtual/vfio/3\0SUBSYSTEM=vfio"),
		  "does not end with a NUL" },
		{ LIT("add@/devices/virtual/vfio/3\0DEVPATH=/devices/virtual/vfio/3\0SUBSYSTEM=vfio\0"), "no ACTION" },
		{ LIT("add@/devices/virtual/vfio/3\0ACTION=add\0SUBSYSTEM=vfio\0"), "no DEVPATH" },
		{ LIT("add /devices/virtual/vfio/3\0ACTION=add\0DEVPATH=/devices/virtual/vfio/3\0"), "no '@'" },
		{ LIT("@/devices/virtual/vfio/3\0ACTION=\0DEVPATH=/devices/virtual/vfio/3\0"), "empty action" },
		{ LIT("add@\0ACTION=add\0DEVPATH=\0"), "empty action or device path" },
		{ LIT("add@/devices/virtual/vfio/3\0ACTION=remove\0DEVPATH=/devices/virtual/vfio/3\0"),
		  "ACTION= disagrees" },
		{ LIT("add@/devices/virtual/vfio/3\0ACTION=add\0DEVPATH=/devices/virtual/vfio/4\0"),
		  "DEVPATH= disagrees" },
		{ LIT("add@/devices/virtual/vfio/3\0ACTION=add\0ACTION=add\0DEVPATH=/devices/virtual/vfio/3\0"),
		  "appears twice" },
		{ LIT("add@/devices/virtual/vfio/3\0ACTION=add\0garbage\0DEVPATH=/devices/virtual/vfio/3\0"),
		  "not KEY=VALUE" },
		{ LIT("add@/devices/virtual/vfio/3\0ACTION=add\0=value\0DEVPATH=/devices/virtual/vfio/3\0"),
		  "not KEY=VALUE" },
		{ LIT("add@/devices/virtual/vfio/3\0ACTION=add\0\0DEVPATH=/devices/virtual/vfio/3\0"), "empty field" },
		{ LIT("explode@/devices/virtual/vfio/3\0ACTION=explode\0DEVPATH=/devices/virtual/vfio/3\0"),
		  "unknown action" },
		{ LIT("add@/devices/vir\ttual\0ACTION=add\0DEVPATH=/devices/vir\ttual\0"), "control characters" },
		{ LIT("libudev\0\xfe\xed\xca\xfe\0\0\0\0add@/devices/x\0"), "libudev" },
		{ LIT("add@/devices/virtual/vfio/3\0ACTION=add\0DEVPATH=/devices/virtual/vfio/3\0SEQNUM=12a\0"),
		  "SEQNUM" },
		{ LIT("add@/devices/virtual/vfio/3\0ACTION=add\0DEVPATH=/devices/virtual/vfio/3\0"
		      "SEQNUM=18446744073709551616\0"),
		  "SEQNUM" },
		{ LIT("bind@/devices/pci0000:00/0000:00:03.0\0ACTION=bind\0DEVPATH=/devices/pci0000:00/0000:00:03.0\0"
		      "SUBSYSTEM=pci\0"),
		  "bind without DRIVER" },
		{ LIT("bind@/devices/pci0000:00/0000:00:03.0\0ACTION=bind\0DEVPATH=/devices/pci0000:00/0000:00:03.0\0"
		      "SUBSYSTEM=pci\0DRIVER=../../vfio-pci\0"),
		  "not a driver name" },
		{ LIT("bind@/devices/pci0000:00/0000:00:03.0\0ACTION=bind\0DEVPATH=/devices/pci0000:00/0000:00:03.0\0"
		      "SUBSYSTEM=pci\0DRIVER=\0"),
		  "not a driver name" },
		{ LIT("add@/devices/pci0000:00/0000:00:1F.0\0ACTION=add\0DEVPATH=/devices/pci0000:00/0000:00:1F.0\0"
		      "SUBSYSTEM=pci\0"),
		  "PCI address" },
		{ LIT("add@/devices/pci0000:00/0000:00:20.0\0ACTION=add\0DEVPATH=/devices/pci0000:00/0000:00:20.0\0"
		      "SUBSYSTEM=pci\0"),
		  "PCI address" },
		{ LIT("add@/devices/pci0000:00/0000:00:03.0\0ACTION=add\0DEVPATH=/devices/pci0000:00/0000:00:03.0\0"
		      "SUBSYSTEM=pci\0PCI_SLOT_NAME=0000:00:04.0\0"),
		  "PCI_SLOT_NAME" },
		{ LIT("add@/devices/pci0000:00/0000:00:03.0/vfio-dev/vfio1\0ACTION=add\0"
		      "DEVPATH=/devices/pci0000:00/0000:00:03.0/vfio-dev/vfio1\0SUBSYSTEM=vfio-dev\0"
		      "DEVNAME=vfio/devices/vfio2\0"),
		  "DEVNAME" },
		{ LIT("\xff\xfe\xfd\xfc\0"), "no '@'" },
		{ LIT("\0"), "no '@'" },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct vi_uevent u;
		struct vi_err e = { "" };

		if (vi_uevent_parse(bad[i].buf, bad[i].len, &u, &e) != -EINVAL)
			fail_msg("message %zu (%s) accepted", i, bad[i].why);
		th_assert_msg(e.msg, "uevent:", bad[i].why, NULL);
		/* nothing half-filled */
		assert_int_equal(u.what, VI_UEV_IGNORE);
		assert_string_equal(u.bdf, "");
		assert_int_equal(u.group, -1);
		/* and no message is needed */
		assert_int_equal(vi_uevent_parse(bad[i].buf, bad[i].len, &u, NULL), -EINVAL);
	}
}

static void sizes_and_null(void **state)
{
	static const char head[] = "add@/devices/virtual/vfio/3\0ACTION=add\0DEVPATH=/devices/virtual/vfio/3\0"
				   "SUBSYSTEM=vfio\0PAD=";
	size_t hl = sizeof(head) - 1;
	char *big = malloc(VI_UEVENT_MAX + 1);
	struct vi_uevent u;
	struct vi_err e;

	assert_non_null(big);
	/* exactly the maximum, padded with a long unknown value: fine */
	memcpy(big, head, hl);
	memset(big + hl, 'x', VI_UEVENT_MAX - hl - 1);
	big[VI_UEVENT_MAX - 1] = '\0';
	assert_int_equal(vi_uevent_parse(big, VI_UEVENT_MAX, &u, &e), 0);
	assert_int_equal(u.group, 3);
	/* one more byte: refused, however well formed */
	memset(big + hl, 'x', VI_UEVENT_MAX - hl);
	big[VI_UEVENT_MAX] = '\0';
	assert_int_equal(vi_uevent_parse(big, VI_UEVENT_MAX + 1, &u, &e), -EINVAL);
	th_assert_msg(e.msg, "more than the kernel ever sends", NULL);
	free(big);

	assert_int_equal(vi_uevent_parse(NULL, 10, &u, &e), -EINVAL);
	assert_int_equal(vi_uevent_parse("x", 0, &u, &e), -EINVAL);
	th_assert_msg(e.msg, "empty message", NULL);
	assert_int_equal(vi_uevent_parse(head, hl, NULL, &e), -EINVAL);
}

static void bdf_shapes(void **state)
{
	static const char *const good[] = { "0000:00:00.0", "0000:00:1f.7", "ffff:ff:1f.7", "10000:e1:00.0",
					    "ffffffff:00:00.0" };
	static const char *const bad[] = { "", "0000:00:00", "0000:00:20.0", "0000:00:00.8", "0000:00:1F.0",
					   "000:00:00.0", "000000000:00:00.0", "0000-00:00.0", "0000:00:00:0",
					   "0000:0g:00.0", "g000:00:00.0" };

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (!vi_uevent_is_bdf(good[i], strlen(good[i])))
			fail_msg("%s refused", good[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (vi_uevent_is_bdf(bad[i], strlen(bad[i])))
			fail_msg("%s accepted", bad[i]);
}

/* Every truncation of every capture is refused or parsed, never read past (ASan watches). */
static void truncations(void **state)
{
	for (size_t i = 0; i < TH_CAP_COUNT; i++) {
		const struct th_capture *c = &th_captures[i];
		for (size_t n = 0; n <= c->len; n++) {
			char *copy = malloc(n ? n : 1);
			struct vi_uevent u;
			int rc;

			assert_non_null(copy);
			memcpy(copy, c->buf, n);
			rc = vi_uevent_parse(copy, n, &u, NULL);
			/* only whole fields parse: a cut that lands on a NUL may drop trailing fields */
			if (rc == 0)
				assert_true(n > 0 && copy[n - 1] == '\0');
			free(copy);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(captured_from_linux),
		cmocka_unit_test(written_like_the_kernel),
		cmocka_unit_test(well_formed_but_not_ours),
		cmocka_unit_test(malformed),
		cmocka_unit_test(sizes_and_null),
		cmocka_unit_test(bdf_shapes),
		cmocka_unit_test(truncations),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
