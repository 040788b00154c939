/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * SCM_RIGHTS for the mock.  Mock fds are not kernel fds, so they cannot ride
 * in a real SCM_RIGHTS message: the socket is real (a socketpair the test
 * made), real fds travel as real SCM_RIGHTS, and each mock fd travels as a
 * reference to its file kept in m->inflight until the receiver installs it
 * under a new mock fd, as the kernel installs a new fd for the same struct
 * file.  The sender's fd stays open and shares the file (vm_file.refs).
 * Both ends must use the same mock (one process), which is what a unit test
 * of a launcher and its VMM does.
 *
 * On the wire, before the caller's bytes: u32 'MKFD', u32 n, then per fd a
 * u32 tag: 0 = the next real fd of the SCM_RIGHTS list, k = m->inflight[k-1].
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mock.h"

#define MKFD_MAGIC 0x444b464du
#define PREFIX_MAX (8 + 4 * VI_FDPASS_MAX)

static void put_u32(unsigned char *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static uint32_t get_u32(const unsigned char *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

/* Drop the reference an in-flight slot holds (m->lock held). */
static void drop_inflight(struct vfioiommu_mock *m, unsigned int slot)
{
	struct vm_file *f = m->inflight[slot];

	m->inflight[slot] = NULL;
	if (!f)
		return;
	if (f->refs) {
		f->refs--;
		return;
	}
	if (f->ops->release)
		f->ops->release(m, f);
	free(f);
}

ssize_t vm_sendfds(void *p, int sock, const void *buf, size_t len, const int *fds, unsigned int nfds)
{
	struct vfioiommu_mock *m = p;
	const struct vfioiommu_door *sys = vfioiommu_door_system();
	int real[VI_FDPASS_MAX];
	unsigned int nreal = 0, slots[VI_FDPASS_MAX], nslots = 0;
	unsigned char *msg;
	ssize_t rc = vm_door_enter(m, "sendmsg");

	if (rc < 0)
		goto out;
	if (nfds > VI_FDPASS_MAX || len > (1u << 20)) {
		rc = -EINVAL;
		goto out;
	}
	msg = malloc(8 + 4 * (size_t)nfds + len);
	if (!msg) {
		rc = -ENOMEM;
		goto out;
	}
	put_u32(msg, MKFD_MAGIC);
	put_u32(msg + 4, nfds);
	for (unsigned int i = 0; i < nfds && rc == 0; i++) {
		struct vm_file *f;
		unsigned int s;

		if (fds[i] < VFIOIOMMU_MOCK_FD_BASE) {
			put_u32(msg + 8 + 4 * i, 0);
			real[nreal++] = fds[i];
			continue;
		}
		f = vm_fd_get(m, fds[i]);
		if (!f) {
			rc = -EBADF;
			break;
		}
		for (s = 0; s < VI_FDPASS_MAX && m->inflight[s]; s++)
			;
		if (s == VI_FDPASS_MAX) {
			rc = -ETOOMANYREFS;
			break;
		}
		f->refs++;
		m->inflight[s] = f;
		slots[nslots++] = s;
		put_u32(msg + 8 + 4 * i, s + 1);
	}
	if (rc == 0) {
		memcpy(msg + 8 + 4 * (size_t)nfds, buf, len);
		rc = sys->sendfds(NULL, sock, msg, 8 + 4 * (size_t)nfds + len, real, nreal);
		if (rc >= 0)
			rc = rc >= (ssize_t)(8 + 4 * (size_t)nfds) ? rc - (ssize_t)(8 + 4 * (size_t)nfds) : -EIO;
	}
	if (rc < 0)
		while (nslots)
			drop_inflight(m, slots[--nslots]);
	free(msg);
out:
	vm_door_leave(m);
	return rc;
}

ssize_t vm_recvfds(void *p, int sock, void *buf, size_t n, int *fds, unsigned int maxfds, unsigned int *nfds)
{
	struct vfioiommu_mock *m = p;
	const struct vfioiommu_door *sys = vfioiommu_door_system();
	int real[VI_FDPASS_MAX];
	unsigned int nreal = 0, cnt, used = 0, got = 0;
	unsigned char *msg = NULL;
	ssize_t rc = vm_door_enter(m, "recvmsg"), len;

	*nfds = 0;
	if (rc < 0)
		goto out;
	msg = malloc(PREFIX_MAX + n);
	if (!msg) {
		rc = -ENOMEM;
		goto out;
	}
	len = sys->recvfds(NULL, sock, msg, PREFIX_MAX + n, real, VI_FDPASS_MAX, &nreal);
	if (len <= 0) {
		rc = len;
		goto out;
	}
	cnt = len >= 8 ? get_u32(msg + 4) : 0;
	if (len < 8 || get_u32(msg) != MKFD_MAGIC || cnt > VI_FDPASS_MAX || (size_t)len < 8 + 4 * (size_t)cnt) {
		rc = -EPROTO; /* not sent through a mock door: no reference to drop */
		cnt = 0;
		goto drop;
	}
	if ((size_t)len - 8 - 4 * cnt > n || cnt > maxfds) {
		rc = -EMSGSIZE;
		goto drop;
	}
	for (unsigned int i = 0; i < cnt; i++) {
		uint32_t tag = get_u32(msg + 8 + 4 * i);

		if (tag == 0) {
			fds[got++] = used < nreal ? real[used++] : -1;
			continue;
		}
		if (tag > VI_FDPASS_MAX || !m->inflight[tag - 1]) {
			fds[got++] = -1;
			continue;
		}
		/* the in-flight reference becomes the new fd's */
		rc = vm_fd_install(m, m->inflight[tag - 1]);
		if (rc < 0) {
			drop_inflight(m, tag - 1);
			fds[got++] = -1;
			continue;
		}
		m->inflight[tag - 1] = NULL;
		fds[got++] = (int)rc;
	}
	for (unsigned int i = 0; i < got; i++) {
		if (fds[i] < 0) {
			/* a file that could not be installed: undo the whole message, as nothing arrived */
			for (unsigned int j = 0; j < got; j++)
				if (fds[j] >= VFIOIOMMU_MOCK_FD_BASE)
					vm_fd_close_locked(m, fds[j]);
				else if (fds[j] >= 0)
					sys->close(NULL, fds[j]);
			rc = -EMFILE;
			goto out;
		}
	}
	memcpy(buf, msg + 8 + 4 * (size_t)cnt, (size_t)len - 8 - 4 * cnt);
	*nfds = got;
	rc = len - 8 - 4 * (ssize_t)cnt;
	goto out;
drop:
	/* nothing is delivered: close the real fds and drop the references of the mock ones */
	while (nreal)
		sys->close(NULL, real[--nreal]);
	for (unsigned int i = 0; i < cnt; i++) {
		uint32_t tag = get_u32(msg + 8 + 4 * i);

		if (tag && tag <= VI_FDPASS_MAX)
			drop_inflight(m, tag - 1);
	}
out:
	free(msg);
	vm_door_leave(m);
	return rc;
}

void vm_fdpass_destroy(struct vfioiommu_mock *m)
{
	for (unsigned int s = 0; s < VI_FDPASS_MAX; s++)
		drop_inflight(m, s);
}
