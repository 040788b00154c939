/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * The mock's uevent sockets and the driver core that feeds them.
 *
 * A listener is a real AF_UNIX SOCK_SEQPACKET pair (message boundaries kept,
 * and a real fd the caller's event loop can poll): the library reads one end
 * through the door, the mock writes the other.  A full listener drops the
 * message and its next read fails with -ENOBUFS once, as a netlink socket
 * whose receive buffer overran does; the messages queued before stay.
 *
 * The messages are what Linux 7.2 sends (captured in tests/fixtures/uevent_captures.h):
 * binding to vfio-pci gives group add (first VFIO device of the group), cdev
 * add, pci bind with DRIVER=; unbinding gives cdev remove, group remove (last
 * VFIO device), pci unbind without DRIVER=; a removal is an unbind and then
 * a pci remove.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "mock.h"

#define MSG_MAX 16384
#define GROUP_MAJOR 510 /* any number: the mock's /dev has no majors */
#define CDEV_MAJOR 511  /* as sysfs.c's vfio-dev/vfioN/dev */

struct listener {
	int rfd, wfd;
	unsigned int queued;
	bool overrun;
};

struct uev {
	struct listener *l;
	size_t n;
	uint64_t seqnum;
	unsigned int backlog; /* 0 = only the socket buffer */
};

static struct uev *uev_get(struct vfioiommu_mock *m)
{
	if (!m->uevent) {
		struct uev *u = calloc(1, sizeof(*u));
		if (!u)
			return NULL;
		m->uevent = u;
	}
	return m->uevent;
}

static struct listener *find(struct uev *u, int fd)
{
	for (size_t i = 0; u && i < u->n; i++)
		if (u->l[i].rfd == fd)
			return &u->l[i];
	return NULL;
}

int vm_uevent_open(struct vfioiommu_mock *m)
{
	struct uev *u = uev_get(m);
	struct listener *l;
	int sv[2];

	if (!u)
		return -ENOMEM;
	l = realloc(u->l, (u->n + 1) * sizeof(*l));
	if (!l)
		return -ENOMEM;
	u->l = l;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	u->l[u->n++] = (struct listener){ .rfd = sv[0], .wfd = sv[1] };
	return sv[0];
}

ssize_t vm_uevent_recv(struct vfioiommu_mock *m, int fd, void *buf, size_t n)
{
	struct listener *l = find(m->uevent, fd);
	struct iovec iov = { buf, n };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t rc;

	if (!l)
		return -EBADF;
	if (l->overrun) {
		l->overrun = false;
		return -ENOBUFS;
	}
	rc = recvmsg(fd, &mh, MSG_DONTWAIT);
	if (rc < 0)
		return -errno;
	if (l->queued)
		l->queued--;
	if (mh.msg_flags & MSG_TRUNC)
		return -EMSGSIZE;
	return rc;
}

int vm_uevent_close(struct vfioiommu_mock *m, int fd)
{
	struct uev *u = m->uevent;
	struct listener *l = find(u, fd);

	if (!l)
		return -EBADF;
	close(l->rfd);
	close(l->wfd);
	*l = u->l[--u->n];
	return 0;
}

unsigned int vm_uevent_open_count(const struct vfioiommu_mock *m)
{
	const struct uev *u = m->uevent;

	return u ? (unsigned int)u->n : 0;
}

void vm_uevent_destroy(struct vfioiommu_mock *m)
{
	struct uev *u = m->uevent;

	if (!u)
		return;
	while (u->n)
		vm_uevent_close(m, u->l[0].rfd);
	free(u->l);
	free(u);
	m->uevent = NULL;
}

void vm_uevent_emit(struct vfioiommu_mock *m, const void *buf, size_t len)
{
	struct uev *u = m->uevent;

	for (size_t i = 0; u && i < u->n; i++) {
		struct listener *l = &u->l[i];

		if (u->backlog && l->queued >= u->backlog) {
			l->overrun = true;
			continue;
		}
		if (send(l->wfd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
			l->overrun = true;
			continue;
		}
		l->queued++;
	}
}

ssize_t vm_uevent_seqnum_read(struct vfioiommu_mock *m, char *buf, size_t n)
{
	const struct uev *u = m->uevent;
	int w;

	if (n == 0)
		return -EINVAL;
	w = snprintf(buf, n, "%llu\n", (unsigned long long)(u ? u->seqnum : 0));
	return (size_t)w >= n ? -EFBIG : w;
}

/* ---------------- messages in the kernel's format ---------------- */

struct msg {
	char b[2048];
	size_t len;
	bool bad;
};

static void add(struct msg *s, const char *fmt, ...) VFIOIOMMU_PRINTF(2, 3);
static void add(struct msg *s, const char *fmt, ...)
{
	va_list ap;
	int w;

	if (s->bad)
		return;
	va_start(ap, fmt);
	w = vsnprintf(s->b + s->len, sizeof(s->b) - s->len, fmt, ap);
	va_end(ap);
	if (w < 0 || (size_t)w >= sizeof(s->b) - s->len) {
		s->bad = true;
		return;
	}
	s->len += (size_t)w + 1; /* keep the NUL: it separates the fields */
}

/* "ACTION@DEVPATH", ACTION=, DEVPATH=, SUBSYSTEM= */
static void head(struct msg *s, const char *action, const char *devpath, const char *subsystem)
{
	s->len = 0;
	s->bad = false;
	add(s, "%s@%s", action, devpath);
	add(s, "ACTION=%s", action);
	add(s, "DEVPATH=%s", devpath);
	add(s, "SUBSYSTEM=%s", subsystem);
}

static void send_msg(struct vfioiommu_mock *m, struct msg *s)
{
	struct uev *u = m->uevent;

	/* SEQNUM counts every uevent, listened to or not */
	if (u)
		add(s, "SEQNUM=%llu", (unsigned long long)++u->seqnum);
	if (u && !s->bad)
		vm_uevent_emit(m, s->b, s->len);
}

static void pci_msg(struct vfioiommu_mock *m, const struct vm_device *d, const char *action)
{
	struct msg s;
	char path[64];
	bool bind = !strcmp(action, "bind"), unbind = !strcmp(action, "unbind");

	snprintf(path, sizeof(path), "/devices/pci0000:00/%s", d->bdf);
	head(&s, action, path, "pci");
	if (bind)
		add(&s, "DRIVER=%s", d->driver);
	add(&s, "PCI_CLASS=%X", (unsigned int)d->class_code);
	add(&s, "PCI_ID=%04X:%04X", d->vendor, d->device);
	add(&s, "PCI_SUBSYS_ID=%04X:0000", d->vendor);
	add(&s, "PCI_SLOT_NAME=%s", d->bdf);
	/* Linux 7.2 leaves MODALIAS out of unbind */
	if (!unbind)
		add(&s, "MODALIAS=pci:v%08Xd%08Xsv%08Xsd00000000bc%02Xsc%02Xi%02X", d->vendor, d->device,
		    d->vendor, (unsigned int)(d->class_code >> 16) & 0xff,
		    (unsigned int)(d->class_code >> 8) & 0xff, (unsigned int)d->class_code & 0xff);
	send_msg(m, &s);
}

static void group_msg(struct vfioiommu_mock *m, unsigned int group, const char *action)
{
	struct msg s;
	char path[64];

	if (!(m->features & VFIOIOMMU_MOCK_CONTAINER))
		return; /* no /dev/vfio/N on this host (kernel without VFIO_GROUP) */
	snprintf(path, sizeof(path), "/devices/virtual/vfio/%u", group);
	head(&s, action, path, "vfio");
	add(&s, "MAJOR=%d", GROUP_MAJOR);
	add(&s, "MINOR=%u", group);
	add(&s, "DEVNAME=vfio/%u", group);
	send_msg(m, &s);
}

static void cdev_msg(struct vfioiommu_mock *m, const struct vm_device *d, unsigned int idx, const char *action)
{
	struct msg s;
	char path[96];

	if (!(m->features & VFIOIOMMU_MOCK_CDEV))
		return;
	snprintf(path, sizeof(path), "/devices/pci0000:00/%s/vfio-dev/vfio%u", d->bdf, idx);
	head(&s, action, path, "vfio-dev");
	add(&s, "MAJOR=%d", CDEV_MAJOR);
	add(&s, "MINOR=%u", idx);
	add(&s, "DEVNAME=vfio/devices/vfio%u", idx);
	send_msg(m, &s);
}

/* ---------------- the driver core ---------------- */

static bool group_has_vfio(struct vfioiommu_mock *m, unsigned int num)
{
	struct vm_group *g = vm_group_find(m, num);

	return g && vm_group_has_vfio(m, g);
}

int vm_uevent_unbind(struct vfioiommu_mock *m, struct vm_device *d)
{
	bool was_vfio = vm_driver_is_vfio(d->driver);
	unsigned int cdev = d->cdev_index;
	int rc;

	if (!d->driver[0])
		return -ENODEV;
	rc = vfioiommu_mock_set_driver(m, d->bdf, NULL);
	if (rc < 0)
		return rc;
	if (was_vfio) {
		cdev_msg(m, d, cdev, "remove");
		if (!group_has_vfio(m, d->group))
			group_msg(m, d->group, "remove");
	}
	pci_msg(m, d, "unbind");
	return 0;
}

int vm_uevent_bind(struct vfioiommu_mock *m, struct vm_device *d, const char *driver)
{
	bool group_had = group_has_vfio(m, d->group);
	int rc;

	if (d->driver[0])
		return -EBUSY;
	rc = vfioiommu_mock_set_driver(m, d->bdf, driver);
	if (rc < 0)
		return rc;
	if (vm_driver_is_vfio(d->driver)) {
		if (!group_had)
			group_msg(m, d->group, "add");
		cdev_msg(m, d, d->cdev_index, "add");
	}
	pci_msg(m, d, "bind");
	return 0;
}

int vm_uevent_remove_device(struct vfioiommu_mock *m, struct vm_device *d)
{
	size_t idx = (size_t)(d - m->devs);
	struct vm_device gone;
	int rc;

	if (d->open_count)
		return -EBUSY;
	/* iommufd.c keeps bound devices by index into m->devs: refuse to shift one */
	for (size_t i = idx + 1; i < m->ndevs; i++)
		if (m->devs[i].open_count && m->devs[i].via_cdev)
			return -EBUSY;
	if (d->driver[0]) {
		rc = vm_uevent_unbind(m, d);
		if (rc < 0)
			return rc;
	}
	gone = *d;
	memmove(d, d + 1, (m->ndevs - idx - 1) * sizeof(*d));
	m->ndevs--;
	vm_device_index_rebuild(m);
	pci_msg(m, &gone, "remove");
	return 0;
}

/* ---------------- public ---------------- */

VFIOIOMMU_API int vfioiommu_mock_emit_uevent(vfioiommu_mock *m, const void *buf, size_t len)
{
	if (!m || !buf || len == 0 || len > MSG_MAX)
		return -EINVAL;
	pthread_mutex_lock(&m->lock);
	vm_uevent_emit(m, buf, len);
	pthread_mutex_unlock(&m->lock);
	return 0;
}

VFIOIOMMU_API int vfioiommu_mock_remove_device(vfioiommu_mock *m, const char *bdf)
{
	struct vm_device *d;
	int rc;

	if (!m || !bdf)
		return -EINVAL;
	pthread_mutex_lock(&m->lock);
	d = vm_device_find(m, bdf);
	rc = d ? vm_uevent_remove_device(m, d) : -ENOENT;
	pthread_mutex_unlock(&m->lock);
	return rc;
}

VFIOIOMMU_API int vfioiommu_mock_set_uevent_backlog(vfioiommu_mock *m, unsigned int max_messages)
{
	struct uev *u;

	if (!m)
		return -EINVAL;
	pthread_mutex_lock(&m->lock);
	u = uev_get(m);
	if (u)
		u->backlog = max_messages;
	pthread_mutex_unlock(&m->lock);
	return u ? 0 : -ENOMEM;
}
