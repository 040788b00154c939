/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * SR-IOV on vfio-pci (tests/vm/FACTS.md section l, QEMU's NVMe on Linux 7.2):
 * a PF ("sriov=N" in a host description) gets VFs through sriov_numvfs, each
 * in a group of its own and bound to vfio-pci when the PF is (the kernel
 * captures them with driver_override); the VF token of the PF gates them.
 *
 * Where the mock differs: VF addresses are the PF's device with functions
 * PF+1 .. PF+N (QEMU's layout; real hardware may use other buses), and
 * writing 0 while a VF is open is EBUSY here where Linux blocks the writer
 * until the VF is closed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kabi/kabi.h"
#include "mock.h"

static struct vm_device *pf_of(struct vfioiommu_mock *m, const struct vm_device *vf)
{
	return vf->is_vf ? vm_device_find(m, vf->physfn) : NULL;
}

unsigned int vm_sriov_numvfs(struct vfioiommu_mock *m, const struct vm_device *pf)
{
	unsigned int n = 0;

	for (size_t i = 0; i < m->ndevs; i++)
		if (m->devs[i].is_vf && !strcmp(m->devs[i].physfn, pf->bdf))
			n++;
	return n;
}

/* the VF with index k (virtfnK) of pf, or NULL */
struct vm_device *vm_sriov_vf(struct vfioiommu_mock *m, const struct vm_device *pf, unsigned int k)
{
	char bdf[VM_BDF_MAX];
	size_t len = strlen(pf->bdf);

	if (len < 1 || k >= pf->sriov_total)
		return NULL;
	snprintf(bdf, sizeof(bdf), "%.*s%u", (int)(len - 1), pf->bdf, (unsigned int)(pf->bdf[len - 1] - '0') + 1 + k);
	return vm_device_find(m, bdf);
}

/* VFs of pf open right now: the kernel's vf_token->users */
static unsigned int users(struct vfioiommu_mock *m, const struct vm_device *pf)
{
	unsigned int n = 0;

	for (size_t i = 0; i < m->ndevs; i++)
		if (m->devs[i].is_vf && m->devs[i].open_count && !strcmp(m->devs[i].physfn, pf->bdf))
			n++;
	return n;
}

int vm_sriov_check_token(struct vfioiommu_mock *m, struct vm_device *d, const uint8_t *token)
{
	struct vm_device *pf;

	if (d->is_vf) {
		pf = pf_of(m, d);
		if (!pf || !vm_driver_is_vfio(pf->driver))
			return token ? -EINVAL : 0; /* "VF token incorrectly provided, PF not bound to vfio-pci" */
		if (!token || memcmp(token, pf->vf_token, 16))
			return -EACCES;
		return 0;
	}
	if (d->sriov_total) {
		if (users(m, d)) {
			if (!token || memcmp(token, d->vf_token, 16))
				return -EACCES;
		} else if (token) {
			memcpy(d->vf_token, token, 16); /* the PF's user sets it by opening with one */
		}
		return 0;
	}
	return token ? -EINVAL : 0; /* "not a PF or VF" */
}

/* "vf_token=UUID" after the device's address in a GET_DEVICE_FD name: spaces, then the one option */
int vm_sriov_name_token(const char *opts, uint8_t out[16])
{
	static const char key[] = "vf_token=";
	const char *p = opts;
	unsigned int v;

	while (*p == ' ')
		p++;
	if (strncmp(p, key, sizeof(key) - 1))
		return -EINVAL;
	p += sizeof(key) - 1;
	if (strlen(p) < 36)
		return -EINVAL;
	for (int i = 0, pos = 0; i < 16; i++) {
		if (pos == 8 || pos == 13 || pos == 18 || pos == 23) {
			if (p[pos] != '-')
				return -EINVAL;
			pos++;
		}
		if (sscanf(p + pos, "%2x", &v) != 1 || !strchr("0123456789abcdefABCDEF", p[pos]) || !p[pos] ||
		    !strchr("0123456789abcdefABCDEF", p[pos + 1]))
			return -EINVAL;
		out[i] = (uint8_t)v;
		pos += 2;
	}
	p += 36;
	while (*p == ' ')
		p++;
	return *p ? -EINVAL : 0;
}

int vm_sriov_feature(struct vfioiommu_mock *m, struct vm_device *d, void *arg)
{
	struct kabi_vfio_device_feature_vf_token *f = arg;
	uint32_t op;

	(void)m;
	if (!f)
		return -EFAULT;
	if (f->argsz < 8)
		return -EINVAL;
	if (f->flags & ~(KABI_VFIO_DEVICE_FEATURE_MASK | KABI_VFIO_DEVICE_FEATURE_GET | KABI_VFIO_DEVICE_FEATURE_SET |
			 KABI_VFIO_DEVICE_FEATURE_PROBE))
		return -EINVAL;
	op = f->flags & (KABI_VFIO_DEVICE_FEATURE_GET | KABI_VFIO_DEVICE_FEATURE_SET);
	if (op == (KABI_VFIO_DEVICE_FEATURE_GET | KABI_VFIO_DEVICE_FEATURE_SET))
		return -EINVAL;
	if ((f->flags & KABI_VFIO_DEVICE_FEATURE_MASK) != KABI_VFIO_DEVICE_FEATURE_PCI_VF_TOKEN || !d->sriov_total)
		return -ENOTTY;
	/* FACTS l: PROBE ok; GET (SET-only feature) EINVAL; SET with less than 16 bytes EINVAL */
	if (f->flags & KABI_VFIO_DEVICE_FEATURE_PROBE)
		return op == KABI_VFIO_DEVICE_FEATURE_GET ? -EINVAL : 0;
	if (op != KABI_VFIO_DEVICE_FEATURE_SET || f->argsz < sizeof(*f))
		return -EINVAL;
	memcpy(d->vf_token, f->uuid, 16);
	return 0;
}

static unsigned int free_group(struct vfioiommu_mock *m)
{
	unsigned int g = 0;

	for (size_t i = 0; i < m->ngroups; i++)
		if (m->groups[i].num >= g)
			g = m->groups[i].num + 1;
	return g;
}

ssize_t vm_sriov_write_numvfs(struct vfioiommu_mock *m, const char *pf_bdf, const char *val, size_t n)
{
	struct vm_device *pf = vm_device_find(m, pf_bdf), *vf;
	char pfb[VM_BDF_MAX], vfb[VM_BDF_MAX];
	unsigned long want;
	unsigned int have;
	char *end;
	size_t len;

	if (!pf || !pf->sriov_total)
		return -ENOENT;
	want = strtoul(val, &end, 0);
	if (!*val || *end)
		return -EINVAL;
	have = vm_sriov_numvfs(m, pf);
	if (want == have)
		return (ssize_t)n;
	if (want > pf->sriov_total)
		return -ERANGE;
	if (want && have)
		return -EBUSY; /* FACTS l: 2 -> 1 is EBUSY */
	/* the VF's driver decides: vfio-pci creates them only with enable_sriov (the mock: always) */
	snprintf(pfb, sizeof(pfb), "%s", pf->bdf);
	len = strlen(pfb);
	if (want == 0) {
		for (unsigned int k = 0; k < pf->sriov_total; k++)
			if ((vf = vm_sriov_vf(m, pf, k)) && vf->open_count)
				return -EBUSY; /* Linux blocks until the VF is closed */
		for (unsigned int k = 0; k < pf->sriov_total; k++) {
			int rc;

			pf = vm_device_find(m, pfb);
			if (!(vf = vm_sriov_vf(m, pf, k)))
				continue;
			rc = vm_uevent_remove_device(m, vf);
			if (rc < 0)
				return rc;
		}
		return (ssize_t)n;
	}
	if ((unsigned int)(pfb[len - 1] - '0') + want > 7)
		return -ERANGE;
	for (unsigned int k = 0; k < want; k++) {
		unsigned int g = free_group(m);
		bool vfio;
		int rc;

		snprintf(vfb, sizeof(vfb), "%.*s%u", (int)(len - 1), pfb, (unsigned int)(pfb[len - 1] - '0') + 1 + k);
		rc = vfioiommu_mock_add_group(m, g);
		if (rc == 0)
			rc = vfioiommu_mock_add_device(m, g, vfb, "-");
		if (rc < 0)
			return rc;
		/* add_device may move m->devs: find both again */
		pf = vm_device_find(m, pfb);
		vf = vm_device_find(m, vfb);
		vf->is_vf = true;
		snprintf(vf->physfn, sizeof(vf->physfn), "%s", pfb);
		vf->vendor = pf->vendor;
		vf->device = pf->device;
		vf->class_code = pf->class_code;
		vf->model = pf->model;
		vfio = vm_driver_is_vfio(pf->driver);
		if (vfio) {
			snprintf(vf->override, sizeof(vf->override), "%s", pf->driver);
			rc = vm_uevent_bind(m, vf, pf->driver);
			if (rc < 0)
				return rc;
		}
	}
	return (ssize_t)n;
}
