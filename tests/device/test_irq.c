/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * Interrupts (lib/device/irq.c): IRQ_INFO against FACTS.md, eventfds on vector
 * ranges (the library's and the caller's), software trigger, device-raised
 * vectors arriving on the eventfds, mask/unmask, NORESIZE, disable, the REQ
 * "release the device" signal, eventfds closed at disable and at device
 * close, bad ranges and NULLs, and the fail-Nth sweep.
 */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cmocka.h>

#include <vfioiommu/mock.h>
#include "device_fixture.h"
#include "helpers.h"


static unsigned int real_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	unsigned int n = 0;

	assert_non_null(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

static void info(void **state)
{
	static const uint32_t flags[5] = {
		VFIOIOMMU_IRQ_EVENTFD | VFIOIOMMU_IRQ_MASKABLE | VFIOIOMMU_IRQ_AUTOMASKED,
		VFIOIOMMU_IRQ_EVENTFD | VFIOIOMMU_IRQ_NORESIZE, VFIOIOMMU_IRQ_EVENTFD,
		VFIOIOMMU_IRQ_EVENTFD | VFIOIOMMU_IRQ_NORESIZE, VFIOIOMMU_IRQ_EVENTFD | VFIOIOMMU_IRQ_NORESIZE,
	};
	static const uint32_t count[5] = { 1, 1, 5, 1, 1 };
	struct vfioiommu_irq_info ii = { .size = sizeof(ii) };
	struct df_env e;

	(void)state;
	df_open(&e, df_host, VFIOIOMMU_MODE_IOMMUFD, "0000:00:03.0");
	for (uint32_t i = 0; i < 5; i++) {
		assert_int_equal(vfioiommu_irq_info(e.dev, i, &ii), 0);
		assert_int_equal(ii.index, i);
		assert_int_equal(ii.flags, flags[i]);
		assert_int_equal(ii.count, count[i]);
		assert_int_equal(ii.active, 0);
	}
	assert_int_equal(vfioiommu_irq_info(e.dev, 5, &ii), -EINVAL);
	th_assert_msg(vfioiommu_strerror(e.ctx), "IRQ index 5 is out of range", NULL);
	assert_int_equal(vfioiommu_irq_info(e.dev, 0, NULL), -EINVAL);
	ii.size = 4;
	assert_int_equal(vfioiommu_irq_info(e.dev, 0, &ii), -EINVAL);
	assert_int_equal(vfioiommu_irq_info(NULL, 0, &ii), -EINVAL);
	df_close(&e);
	/* conventional PCI: the ERR index is in range but absent */
	df_open(&e, df_host, VFIOIOMMU_MODE_CONTAINER, "0000:00:02.0");
	ii.size = sizeof(ii);
	assert_int_equal(vfioiommu_irq_info(e.dev, VFIOIOMMU_PCI_IRQ_ERR, &ii), -ENOENT);
	th_assert_msg(vfioiommu_strerror(e.ctx), "no ERR interrupt", "not a PCI Express device", NULL);
	df_close(&e);
}

static void msix_enable_trigger_disable(void **state)
{
	struct vfioiommu_irq_info ii = { .size = sizeof(ii) };
	unsigned int before = real_fds(), on;
	int fds[5];
	struct df_env e;

	(void)state;
	df_open(&e, df_host, VFIOIOMMU_MODE_CONTAINER, "0000:00:03.0");
	assert_int_equal(vfioiommu_irq_enable(e.dev, VFIOIOMMU_PCI_IRQ_MSIX, 0, 5, fds), 0);
	on = real_fds(); /* ours, the mock kernel's references, and its region memfds */
	assert_int_equal(vfioiommu_irq_info(e.dev, VFIOIOMMU_PCI_IRQ_MSIX, &ii), 0);
	assert_int_equal(ii.active, 5);
	for (uint32_t v = 0; v < 5; v++)
		assert_int_equal(vfioiommu_irq_eventfd(e.dev, VFIOIOMMU_PCI_IRQ_MSIX, v), fds[v]);
	/* software trigger of vectors 1..3, then the device raising vector 4 */
	assert_int_equal(vfioiommu_irq_trigger(e.dev, VFIOIOMMU_PCI_IRQ_MSIX, 1, 3), 0);
	assert_false(th_fired(fds[0]));
	assert_true(th_fired(fds[1]) && th_fired(fds[2]) && th_fired(fds[3]));
	assert_int_equal(vfioiommu_mock_device_irq(e.m, e.bdf, VFIOIOMMU_PCI_IRQ_MSIX, 4), 0);
	assert_true(th_fired(fds[4]));
	/* ranges past the 5 vectors, count 0 */
	assert_int_equal(vfioiommu_irq_trigger(e.dev, VFIOIOMMU_PCI_IRQ_MSIX, 3, 3), -EINVAL);
	th_assert_msg(vfioiommu_strerror(e.ctx), "vectors [3, 6) are past the 5 vectors", NULL);
	assert_int_equal(vfioiommu_irq_enable(e.dev, VFIOIOMMU_PCI_IRQ_MSIX, 5, 1, NULL), -EINVAL);
	assert_int_equal(vfioiommu_irq_enable(e.dev, VFIOIOMMU_PCI_IRQ_MSIX, UINT32_MAX, 2, NULL), -EINVAL);
	assert_int_equal(vfioiommu_irq_trigger(e.dev, VFIOIOMMU_PCI_IRQ_MSIX, 0, 0), -EINVAL);
	assert_int_equal(vfioiommu_irq_enable(e.dev, 7, 0, 1, NULL), -EINVAL);
	assert_int_equal(vfioiommu_irq_eventfd(e.dev, VFIOIOMMU_PCI_IRQ_MSIX, 5), -ENOENT);
	assert_int_equal(vfioiommu_irq_eventfd(e.dev, VFIOIOMMU_PCI_IRQ_MSI, 0), -ENOENT);
	/* MSI while MSI-X is on: refused, and the message says why */
	assert_int_equal(vfioiommu_irq_enable(e.dev, VFIOIOMMU_PCI_IRQ_MSI, 0, 1, NULL), -EINVAL);
	th_assert_msg(vfioiommu_strerror(e.ctx), "MSI cannot be enabled while MSI-X is", NULL);
	assert_int_equal(real_fds(), on);
	/* MSI-X is not maskable on vfio-pci */
	assert_int_equal(vfioiommu_irq_mask(e.dev, VFIOIOMMU_PCI_IRQ_MSIX, 0, 1), -EOPNOTSUPP);
	/* disable closes our eventfds (the kernel drops its own) */
	assert_int_equal(vfioiommu_irq_disable(e.dev, VFIOIOMMU_PCI_IRQ_MSIX), 0);
	assert_int_equal(real_fds(), on - 10);
	assert_int_equal(vfioiommu_irq_eventfd(e.dev, VFIOIOMMU_PCI_IRQ_MSIX, 0), -ENOENT);
	assert_int_equal(vfioiommu_irq_disable(e.dev, VFIOIOMMU_PCI_IRQ_MSIX), 0); /* already off: fine */
	assert_int_equal(vfioiommu_irq_trigger(e.dev, VFIOIOMMU_PCI_IRQ_MSIX, 0, 1), -EINVAL);
	th_assert_msg(vfioiommu_strerror(e.ctx), "not enabled", NULL);
	/* now MSI works */
	assert_int_equal(vfioiommu_irq_enable(e.dev, VFIOIOMMU_PCI_IRQ_MSI, 0, 1, NULL), 0);
	df_close(&e);
	/* device close closed the MSI eventfd */
	assert_int_equal(real_fds(), before);
}

static void caller_eventfds(void **state)
{
	int mine[3], minus[1] = { -1 };
	struct df_env e;

	(void)state;
	for (int i = 0; i < 3; i++)
		mine[i] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	df_open(&e, df_host, VFIOIOMMU_MODE_IOMMUFD, "0000:00:03.0");
	assert_int_equal(vfioiommu_irq_set_eventfds(e.dev, VFIOIOMMU_PCI_IRQ_MSIX, 1, 3, mine), 0);
	assert_int_equal(vfioiommu_irq_eventfd(e.dev, VFIOIOMMU_PCI_IRQ_MSIX, 2), mine[1]);
	assert_int_equal(vfioiommu_mock_device_irq(e.m, e.bdf, VFIOIOMMU_PCI_IRQ_MSIX, 3), 0);
	assert_true(th_fired(mine[2]));
	/* replacing a library eventfd with the caller's closes the library's */
	assert_int_equal(vfioiommu_irq_enable(e.dev, VFIOIOMMU_PCI_IRQ_MSIX, 0, 1, NULL), 0);
	assert_int_equal(vfioiommu_irq_set_eventfds(e.dev, VFIOIOMMU_PCI_IRQ_MSIX, 0, 1, mine), 0);
	/* -1 detaches a vector */
	assert_int_equal(vfioiommu_irq_set_eventfds(e.dev, VFIOIOMMU_PCI_IRQ_MSIX, 3, 1, minus), 0);
	assert_int_equal(vfioiommu_irq_eventfd(e.dev, VFIOIOMMU_PCI_IRQ_MSIX, 3), -ENOENT);
	assert_int_equal(vfioiommu_mock_device_irq(e.m, e.bdf, VFIOIOMMU_PCI_IRQ_MSIX, 3), -ENOENT);
	/* the kernel's verdict on a bad fd comes back */
	minus[0] = 1;
	assert_int_equal(vfioiommu_irq_set_eventfds(e.dev, VFIOIOMMU_PCI_IRQ_MSIX, 4, 1, minus), -EINVAL);
	th_assert_msg(vfioiommu_strerror(e.ctx), "VFIO_DEVICE_SET_IRQS", "MSI-X", NULL);
	assert_int_equal(vfioiommu_irq_set_eventfds(e.dev, VFIOIOMMU_PCI_IRQ_MSIX, 4, 1, NULL), -EINVAL);
	assert_int_equal(vfioiommu_irq_set_eventfds(NULL, VFIOIOMMU_PCI_IRQ_MSIX, 4, 1, mine), -EINVAL);
	df_close(&e);
	/* the caller's fds are the caller's: still open */
	for (int i = 0; i < 3; i++)
		assert_int_equal(close(mine[i]), 0);
}

/* MSI has NORESIZE: its vector count is fixed by the first enable. */
static void noresize(void **state)
{
	struct df_env e;

	(void)state;
	df_open(&e, df_host, VFIOIOMMU_MODE_CONTAINER, "0000:03:00.0");
	assert_int_equal(vfioiommu_irq_enable(e.dev, VFIOIOMMU_PCI_IRQ_MSI, 0, 2, NULL), 0);
	assert_int_equal(vfioiommu_irq_enable(e.dev, VFIOIOMMU_PCI_IRQ_MSI, 1, 2, NULL), -EINVAL);
	th_assert_msg(vfioiommu_strerror(e.ctx), "NORESIZE", "vfioiommu_irq_disable", NULL);
	assert_int_equal(vfioiommu_irq_enable(e.dev, VFIOIOMMU_PCI_IRQ_MSI, 1, 1, NULL), 0);
	assert_int_equal(vfioiommu_irq_disable(e.dev, VFIOIOMMU_PCI_IRQ_MSI), 0);
	assert_int_equal(vfioiommu_irq_enable(e.dev, VFIOIOMMU_PCI_IRQ_MSI, 0, 4, NULL), 0);
	assert_int_equal(vfioiommu_irq_disable(e.dev, VFIOIOMMU_PCI_IRQ_MSI), 0);
	/* MSI-X has no NORESIZE: vectors are added one by one */
	assert_int_equal(vfioiommu_irq_enable(e.dev, VFIOIOMMU_PCI_IRQ_MSIX, 0, 1, NULL), 0);
	assert_int_equal(vfioiommu_irq_enable(e.dev, VFIOIOMMU_PCI_IRQ_MSIX, 63, 2, NULL), 0);
	df_close(&e);
}

static void intx_mask(void **state)
{
	int fd;
	struct df_env e;

	(void)state;
	df_open(&e, df_host, VFIOIOMMU_MODE_CONTAINER, "0000:00:03.0");
	assert_int_equal(vfioiommu_irq_enable(e.dev, VFIOIOMMU_PCI_IRQ_INTX, 0, 1, &fd), 0);
	assert_int_equal(vfioiommu_mock_device_irq(e.m, e.bdf, VFIOIOMMU_PCI_IRQ_INTX, 0), 0);
	assert_true(th_fired(fd));
	/* AUTOMASKED: the next assertion waits for the unmask */
	assert_int_equal(vfioiommu_mock_device_irq(e.m, e.bdf, VFIOIOMMU_PCI_IRQ_INTX, 0), 0);
	assert_false(th_fired(fd));
	assert_int_equal(vfioiommu_irq_unmask(e.dev, VFIOIOMMU_PCI_IRQ_INTX, 0, 1), 0);
	assert_true(th_fired(fd));
	assert_int_equal(vfioiommu_irq_unmask(e.dev, VFIOIOMMU_PCI_IRQ_INTX, 0, 1), 0);
	assert_int_equal(vfioiommu_irq_mask(e.dev, VFIOIOMMU_PCI_IRQ_INTX, 0, 1), 0);
	assert_int_equal(vfioiommu_mock_device_irq(e.m, e.bdf, VFIOIOMMU_PCI_IRQ_INTX, 0), 0);
	assert_false(th_fired(fd));
	assert_int_equal(vfioiommu_irq_mask(e.dev, VFIOIOMMU_PCI_IRQ_INTX, 0, 2), -EINVAL);
	assert_int_equal(vfioiommu_irq_mask(e.dev, VFIOIOMMU_PCI_IRQ_ERR, 0, 1), -EOPNOTSUPP);
	th_assert_msg(vfioiommu_strerror(e.ctx), "MASKABLE", NULL);
	/* MSI-X cannot come on while INTx is */
	assert_int_equal(vfioiommu_irq_enable(e.dev, VFIOIOMMU_PCI_IRQ_MSIX, 0, 1, NULL), -EINVAL);
	th_assert_msg(vfioiommu_strerror(e.ctx), "while INTx is", NULL);
	assert_int_equal(vfioiommu_irq_disable(e.dev, VFIOIOMMU_PCI_IRQ_INTX), 0);
	assert_int_equal(vfioiommu_irq_mask(e.dev, VFIOIOMMU_PCI_IRQ_INTX, 0, 1), -EINVAL);
	df_close(&e);
}

/* REQ: the kernel wants the device back. */
static void request(void **state)
{
	int fd = -1, again = -1;
	struct df_env e;

	(void)state;
	df_open(&e, df_host, VFIOIOMMU_MODE_IOMMUFD, "0000:00:03.0");
	assert_int_equal(vfioiommu_mock_device_request(e.m, e.bdf), -ENOENT);
	assert_int_equal(vfioiommu_device_request_eventfd(e.dev, &fd), 0);
	assert_true(fd >= 0);
	assert_false(th_fired(fd));
	assert_int_equal(vfioiommu_mock_device_request(e.m, e.bdf), 0);
	assert_true(th_fired(fd));
	assert_int_equal(vfioiommu_device_request_eventfd(e.dev, &again), 0);
	assert_int_equal(again, fd);
	assert_int_equal(vfioiommu_device_request_eventfd(e.dev, NULL), -EINVAL);
	assert_int_equal(vfioiommu_device_request_eventfd(NULL, &fd), -EINVAL);
	/* the ERR index works the same way, through the generic calls */
	assert_int_equal(vfioiommu_irq_enable(e.dev, VFIOIOMMU_PCI_IRQ_ERR, 0, 1, &fd), 0);
	assert_int_equal(vfioiommu_irq_trigger(e.dev, VFIOIOMMU_PCI_IRQ_ERR, 0, 1), 0);
	assert_true(th_fired(fd));
	assert_int_equal(vfioiommu_irq_disable(e.dev, VFIOIOMMU_PCI_IRQ_REQ), 0);
	assert_int_equal(vfioiommu_mock_device_request(e.m, e.bdf), -ENOENT);
	df_close(&e);
}

/*
 * Hostile IRQ_INFO answers (the mock's HOSTILE_IRQ_* bits): each spoiled index is -EPROTO with a
 * message that names what was wrong, every time it is asked, with nothing left behind; the
 * indexes the kernel answered rightly stay usable.
 */
static void hostile_counts(void **state)
{
	struct vfioiommu_irq_info ii = { .size = sizeof(ii) };
	unsigned int before = real_fds();
	struct df_env e;
	int fd = -1;

	(void)state;
	df_open_hostile(&e, df_host, VFIOIOMMU_MODE_IOMMUFD, "0000:00:03.0", VFIOIOMMU_MOCK_HOSTILE_IRQ_HUGE_COUNT);
	assert_int_equal(vfioiommu_irq_info(e.dev, VFIOIOMMU_PCI_IRQ_INTX, &ii), -EPROTO);
	th_assert_msg(vfioiommu_strerror(e.ctx), "VFIO_DEVICE_GET_IRQ_INFO", "INTx has 2 vectors", "PCI allows at most 1",
		      NULL);
	assert_int_equal(vfioiommu_irq_info(e.dev, VFIOIOMMU_PCI_IRQ_MSI, &ii), -EPROTO);
	th_assert_msg(vfioiommu_strerror(e.ctx), "MSI has 33 vectors", "PCI allows at most 32", NULL);
	assert_int_equal(vfioiommu_irq_info(e.dev, VFIOIOMMU_PCI_IRQ_MSIX, &ii), -EPROTO);
	th_assert_msg(vfioiommu_strerror(e.ctx), "MSI-X has 4294967295 vectors", "PCI allows at most 2048", NULL);
	/* never cached: asked again, refused again, and no eventfd made */
	assert_int_equal(vfioiommu_irq_enable(e.dev, VFIOIOMMU_PCI_IRQ_MSIX, 0, 1, NULL), -EPROTO);
	assert_int_equal(vfioiommu_irq_enable(e.dev, VFIOIOMMU_PCI_IRQ_MSI, 0, 1, NULL), -EPROTO);
	assert_int_equal(vfioiommu_irq_eventfd(e.dev, VFIOIOMMU_PCI_IRQ_INTX, 0), -EPROTO);
	/* ERR and REQ were answered rightly */
	assert_int_equal(vfioiommu_irq_info(e.dev, VFIOIOMMU_PCI_IRQ_ERR, &ii), 0);
	assert_int_equal(ii.count, 1);
	assert_int_equal(vfioiommu_device_request_eventfd(e.dev, &fd), 0);
	assert_true(fd >= 0);
	df_close(&e);
	assert_int_equal(real_fds(), before);
}

static void hostile_flags(void **state)
{
	struct vfioiommu_irq_info ii = { .size = sizeof(ii) };
	unsigned int before = real_fds();
	struct df_env e;
	int fds[2];

	(void)state;
	df_open_hostile(&e, df_host, VFIOIOMMU_MODE_CONTAINER, "0000:00:03.0", VFIOIOMMU_MOCK_HOSTILE_IRQ_BAD_FLAGS);
	/* INTx: AUTOMASKED without MASKABLE */
	assert_int_equal(vfioiommu_irq_info(e.dev, VFIOIOMMU_PCI_IRQ_INTX, &ii), -EPROTO);
	th_assert_msg(vfioiommu_strerror(e.ctx), "VFIO_DEVICE_GET_IRQ_INFO flags 0x5 for INTx contradict",
		      "AUTOMASKED without MASKABLE", NULL);
	assert_int_equal(vfioiommu_irq_enable(e.dev, VFIOIOMMU_PCI_IRQ_INTX, 0, 1, NULL), -EPROTO);
	assert_int_equal(vfioiommu_irq_unmask(e.dev, VFIOIOMMU_PCI_IRQ_INTX, 0, 1), -EPROTO);
	/* MSI-X: bits the library does not know are a newer kernel's; dropped, the index works */
	assert_int_equal(vfioiommu_irq_info(e.dev, VFIOIOMMU_PCI_IRQ_MSIX, &ii), 0);
	assert_int_equal(ii.flags, VFIOIOMMU_IRQ_EVENTFD);
	assert_int_equal(ii.count, 5);
	assert_int_equal(vfioiommu_irq_enable(e.dev, VFIOIOMMU_PCI_IRQ_MSIX, 0, 2, fds), 0);
	assert_int_equal(vfioiommu_irq_trigger(e.dev, VFIOIOMMU_PCI_IRQ_MSIX, 1, 1), 0);
	assert_true(th_fired(fds[1]));
	assert_int_equal(vfioiommu_irq_disable(e.dev, VFIOIOMMU_PCI_IRQ_MSIX), 0);
	df_close(&e);
	assert_int_equal(real_fds(), before);
}

static void hostile_index(void **state)
{
	struct vfioiommu_irq_info ii = { .size = sizeof(ii) };
	unsigned int before = real_fds();
	struct df_env e;

	(void)state;
	df_open_hostile(&e, df_host, VFIOIOMMU_MODE_IOMMUFD, "0000:03:00.0", VFIOIOMMU_MOCK_HOSTILE_IRQ_WRONG_INDEX);
	assert_int_equal(vfioiommu_irq_info(e.dev, VFIOIOMMU_PCI_IRQ_MSI, &ii), -EPROTO);
	th_assert_msg(vfioiommu_strerror(e.ctx), "VFIO_DEVICE_GET_IRQ_INFO for MSI (index 1) answers for index 5",
		      "VFIO_DEVICE_GET_INFO did not announce", NULL);
	assert_int_equal(vfioiommu_irq_enable(e.dev, VFIOIOMMU_PCI_IRQ_MSI, 0, 1, NULL), -EPROTO);
	/* the other indexes answer for themselves */
	assert_int_equal(vfioiommu_irq_info(e.dev, VFIOIOMMU_PCI_IRQ_MSIX, &ii), 0);
	assert_int_equal(ii.index, VFIOIOMMU_PCI_IRQ_MSIX);
	assert_int_equal(ii.count, 65);
	assert_int_equal(vfioiommu_irq_enable(e.dev, VFIOIOMMU_PCI_IRQ_MSIX, 0, 65, NULL), 0);
	assert_int_equal(vfioiommu_irq_trigger(e.dev, VFIOIOMMU_PCI_IRQ_MSIX, 64, 1), 0);
	assert_true(th_fired(vfioiommu_irq_eventfd(e.dev, VFIOIOMMU_PCI_IRQ_MSIX, 64)));
	df_close(&e);
	assert_int_equal(real_fds(), before);
}

static int sweep_body(vfioiommu_ctx *ctx)
{
	vfioiommu_device *dev;
	int fds[3], req;
	int rc;

	rc = vfioiommu_device_open(ctx, "0000:00:03.0", &dev);
	if (rc == 0)
		rc = vfioiommu_irq_enable(dev, VFIOIOMMU_PCI_IRQ_MSIX, 0, 3, fds);
	if (rc == 0)
		rc = vfioiommu_irq_trigger(dev, VFIOIOMMU_PCI_IRQ_MSIX, 0, 3);
	if (rc == 0)
		rc = vfioiommu_device_request_eventfd(dev, &req);
	if (rc == 0)
		rc = vfioiommu_irq_disable(dev, VFIOIOMMU_PCI_IRQ_MSIX);
	if (rc == 0)
		rc = vfioiommu_irq_enable(dev, VFIOIOMMU_PCI_IRQ_INTX, 0, 1, NULL);
	if (rc == 0)
		rc = vfioiommu_irq_mask(dev, VFIOIOMMU_PCI_IRQ_INTX, 0, 1);
	return rc;
}

static void fail_nth(void **state)
{
	unsigned int before = real_fds();

	df_fail_nth(state);
	/* no eventfd left behind on any path */
	assert_int_equal(real_fds(), before);
}

int main(void)
{
	static struct df_sweep_spec sweep = { df_host, sweep_body };
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(info),
		cmocka_unit_test(msix_enable_trigger_disable),
		cmocka_unit_test(caller_eventfds),
		cmocka_unit_test(noresize),
		cmocka_unit_test(intx_mask),
		cmocka_unit_test(request),
		cmocka_unit_test(hostile_counts),
		cmocka_unit_test(hostile_flags),
		cmocka_unit_test(hostile_index),
		cmocka_unit_test_prestate(fail_nth, &sweep),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
