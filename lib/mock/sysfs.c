/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * The mock's sysfs: the part of /sys the library reads.
 *   /sys/kernel/iommu_groups/N/{reserved_regions,type,devices/BDF}
 *   /sys/bus/pci/devices/BDF/{iommu_group,driver,vendor,device,class,
 *                             driver_override,vfio-dev/vfioN/dev}
 *   /sys/bus/pci/drivers_probe, /sys/bus/pci/drivers/NAME/{bind,unbind},
 *   /sys/bus/pci/devices/BDF/remove (writes: uevent.c is the driver core)
 *   /sys/kernel/uevent_seqnum
 *   /sys/bus/pci/devices/BDF/iommu -> the IOMMU in /sys/class/iommu, whose
 *   attributes are the driver's: intel-iommu/{cap,ecap,version,address} (VT-d),
 *   amd-iommu/{cap,features} (AMD), none (SMMUv3, virtio-iommu), as Linux 7.2
 *   shows them (tests/vm); the registers follow the host's address width
 *   /sys/class/misc/{vfio,iommu}: the misc devices behind /dev/vfio/vfio and /dev/iommu
 *   /sys/module/{vfio,iommufd,vfio_iommu_type1}/parameters/: the unsafe-mode switches (all N
 *   but enable_unsafe_noiommu_mode on a no-IOMMU host)
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mock.h"

static struct vm_group *group_of(struct vfioiommu_mock *m, const char *s)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (!*s || *end || *s == '-' || v > 0xffffffffUL)
		return NULL;
	return vm_group_find(m, (unsigned int)v);
}

/* A device on the PCI bus: mediated devices are on /sys/bus/mdev (mdev.c), not here. */
static struct vm_device *pci_find(struct vfioiommu_mock *m, const char *name)
{
	struct vm_device *d = vm_device_find(m, name);

	return d && !d->mdev ? d : NULL;
}

static bool has_cdev(struct vfioiommu_mock *m, const struct vm_device *d)
{
	return (m->features & VFIOIOMMU_MOCK_CDEV) && vm_driver_is_vfio(d->driver);
}

static const char *resv_word(enum vfioiommu_resv_type t)
{
	switch (t) {
	case VFIOIOMMU_RESV_DIRECT: return "direct";
	case VFIOIOMMU_RESV_DIRECT_RELAXABLE: return "direct-relaxable";
	case VFIOIOMMU_RESV_RESERVED: return "reserved";
	default: return "msi"; /* MSI and SW_MSI print the same word */
	}
}

static ssize_t read_resv(struct vm_group *g, char *buf, size_t n)
{
	struct vm_resv *r;
	size_t cnt, len = 0;
	int rc = vm_group_resv_merged(g, &r, &cnt);

	if (rc < 0)
		return rc;
	if (n == 0) {
		free(r);
		return -EINVAL;
	}
	buf[0] = '\0';
	for (size_t i = 0; i < cnt; i++) {
		int w = snprintf(buf + len, n - len, "0x%016" PRIx64 " 0x%016" PRIx64 " %s\n",
				 r[i].start, r[i].last, resv_word(r[i].type));
		if (w < 0 || (size_t)w >= n - len) {
			free(r);
			return -EFBIG;
		}
		len += (size_t)w;
	}
	free(r);
	return (ssize_t)len;
}

/* ---- /sys/class/iommu, /sys/class/misc, /sys/module ---- */

static bool has_iommu(const struct vfioiommu_mock *m)
{
	return m->ngroups > 0; /* no groups: the IOMMU is off, nothing registered */
}

/* The attribute group directory of the IOMMU's driver, or NULL when it has none. */
static const char *iommu_attr_dir(const struct vfioiommu_mock *m)
{
	switch (m->iommu_model) {
	case VFIOIOMMU_MOCK_IOMMU_INTEL: return "intel-iommu";
	case VFIOIOMMU_MOCK_IOMMU_AMD: return "amd-iommu";
	default: return NULL;
	}
}

static bool is_iommu_dir(const struct vfioiommu_mock *m, const struct vm_spath *sp, int n)
{
	return has_iommu(m) && sp->n >= n && vm_spath_is(sp, 0, "class") && vm_spath_is(sp, 1, "iommu") &&
	       vm_spath_is(sp, 2, vm_iommu_sysfs_name(m));
}

static const char *const intel_attrs[] = { "address", "cap", "ecap", "version" };
static const char *const amd_attrs[] = { "cap", "features" };

static bool is_iommu_attr(const struct vfioiommu_mock *m, const char *name)
{
	const char *const *v = m->iommu_model == VFIOIOMMU_MOCK_IOMMU_AMD ? amd_attrs : intel_attrs;
	size_t n = m->iommu_model == VFIOIOMMU_MOCK_IOMMU_AMD ? 2 : 4;

	for (size_t i = 0; iommu_attr_dir(m) && i < n; i++)
		if (!strcmp(name, v[i]))
			return true;
	return false;
}

static ssize_t read_iommu_attr(struct vfioiommu_mock *m, const char *name, char *buf, size_t n)
{
	if (m->iommu_model == VFIOIOMMU_MOCK_IOMMU_AMD) {
		/* FACTS (tests/vm, QEMU amd-iommu): cap 1f03000f; features "EFR:EFR2" since Linux 6.6 */
		if (!strcmp(name, "cap"))
			return vm_put(buf, n, "1f03000f\n");
		return vm_put(buf, n, "%" PRIx64 ":0\n", vm_amd_efr(m));
	}
	/* FACTS (tests/vm, QEMU intel-iommu): version 1:0, address fed90000 */
	if (!strcmp(name, "cap"))
		return vm_put(buf, n, "%" PRIx64 "\n", vm_vtd_cap(m));
	if (!strcmp(name, "ecap"))
		return vm_put(buf, n, "%" PRIx64 "\n", vm_vtd_ecap(m));
	if (!strcmp(name, "version"))
		return vm_put(buf, n, "1:0\n");
	return vm_put(buf, n, "fed90000\n");
}

/* The modules behind /dev/vfio/vfio and /dev/iommu, and their unsafe-mode parameters. */
static bool has_module(const struct vfioiommu_mock *m, const char *mod)
{
	if (!strcmp(mod, "vfio"))
		return true;
	if (!strcmp(mod, "iommufd"))
		return (m->features & VFIOIOMMU_MOCK_IOMMUFD) || (m->features & VFIOIOMMU_MOCK_CONTAINER_COMPAT);
	if (!strcmp(mod, "vfio_iommu_type1"))
		return (m->features & VFIOIOMMU_MOCK_CONTAINER) && !(m->features & VFIOIOMMU_MOCK_CONTAINER_COMPAT);
	return false;
}

static const char *module_param(const char *mod)
{
	return !strcmp(mod, "vfio") ? "enable_unsafe_noiommu_mode" : "allow_unsafe_interrupts";
}

static bool has_misc(const struct vfioiommu_mock *m, const char *name)
{
	if (!strcmp(name, "vfio"))
		return m->features & VFIOIOMMU_MOCK_CONTAINER;
	return !strcmp(name, "iommu") && (m->features & VFIOIOMMU_MOCK_IOMMUFD);
}

/* The readlink target of bus/pci/devices/BDF/iommu, as Linux 7.2 shows it on QEMU (tests/vm). */
static ssize_t read_iommu_link(struct vfioiommu_mock *m, char *buf, size_t n)
{
	switch (m->iommu_model) {
	case VFIOIOMMU_MOCK_IOMMU_AMD: return vm_put(buf, n, "../0000:00:02.0/iommu/%s", vm_iommu_sysfs_name(m));
	case VFIOIOMMU_MOCK_IOMMU_VIRTIO:
		return vm_put(buf, n, "../0000:00:02.0/virtio0/iommu/%s", vm_iommu_sysfs_name(m));
	case VFIOIOMMU_MOCK_IOMMU_SMMUV3:
		return vm_put(buf, n, "../../../platform/arm-smmu-v3.0.auto/iommu/%s", vm_iommu_sysfs_name(m));
	default: return vm_put(buf, n, "../../virtual/iommu/%s", vm_iommu_sysfs_name(m));
	}
}

ssize_t vm_sysfs_read(struct vfioiommu_mock *m, const char *path, char *buf, size_t n)
{
	/* mediated devices: their parents, types, devices and groups (mdev.c) */
	ssize_t mrc = vm_mdev_sysfs_read(m, path, buf, n);

	if (mrc != VM_MDEV_NOT_MINE)
		return mrc;
	struct vm_spath sp;
	struct vm_group *g;
	struct vm_device *d;
	int rc = vm_spath_split(path, &sp);

	if (rc < 0)
		return rc;
	if (sp.n == 2 && vm_spath_is(&sp, 0, "kernel") && vm_spath_is(&sp, 1, "uevent_seqnum"))
		return vm_uevent_seqnum_read(m, buf, n);
	if (sp.n == 5 && is_iommu_dir(m, &sp, 5) && vm_spath_is(&sp, 3, iommu_attr_dir(m) ? iommu_attr_dir(m) : "/") &&
	    is_iommu_attr(m, sp.c[4]))
		return read_iommu_attr(m, sp.c[4], buf, n);
	if (sp.n == 4 && vm_spath_is(&sp, 0, "module") && has_module(m, sp.c[1]) && vm_spath_is(&sp, 2, "parameters") &&
	    vm_spath_is(&sp, 3, module_param(sp.c[1])))
		return vm_put(buf, n, "%s\n", !strcmp(sp.c[1], "vfio") && (m->features & VFIOIOMMU_MOCK_NOIOMMU) ? "Y" : "N");
	if (sp.n == 4 && vm_spath_is(&sp, 0, "kernel") && vm_spath_is(&sp, 1, "iommu_groups") && (g = group_of(m, sp.c[2]))) {
		if (vm_spath_is(&sp, 3, "reserved_regions"))
			return read_resv(g, buf, n);
		/* FACTS.md: virtio-iommu's default domains are flush-queue ones, intel's and amd's strict */
		if (vm_spath_is(&sp, 3, "type"))
			return vm_put(buf, n, m->iommu_model == VFIOIOMMU_MOCK_IOMMU_VIRTIO ? "DMA-FQ\n" : "DMA\n");
	}
	if (sp.n >= 5 && vm_spath_is(&sp, 0, "bus") && vm_spath_is(&sp, 1, "pci") && vm_spath_is(&sp, 2, "devices") &&
	    (d = pci_find(m, sp.c[3]))) {
		if (sp.n == 5 && vm_spath_is(&sp, 4, "vendor"))
			return vm_put(buf, n, "0x%04x\n", d->vendor);
		if (sp.n == 5 && vm_spath_is(&sp, 4, "device"))
			return vm_put(buf, n, "0x%04x\n", d->device);
		if (sp.n == 5 && vm_spath_is(&sp, 4, "class"))
			return vm_put(buf, n, "0x%06x\n", d->class_code);
		if (sp.n == 5 && vm_spath_is(&sp, 4, "driver_override"))
			return vm_put(buf, n, "%s\n", d->override[0] ? d->override : "(null)");
		if (sp.n == 5 && d->sriov_total && vm_spath_is(&sp, 4, "sriov_totalvfs"))
			return vm_put(buf, n, "%u\n", d->sriov_total);
		if (sp.n == 5 && d->sriov_total && vm_spath_is(&sp, 4, "sriov_numvfs"))
			return vm_put(buf, n, "%u\n", vm_sriov_numvfs(m, d));
		if (sp.n == 7 && vm_spath_is(&sp, 4, "vfio-dev") && has_cdev(m, d) && vm_spath_is(&sp, 6, "dev")) {
			char name[32];
			snprintf(name, sizeof(name), "vfio%u", d->cdev_index);
			if (strcmp(sp.c[5], name))
				return -ENOENT;
			return vm_put(buf, n, "511:%u\n", d->cdev_index);
		}
	}
	/* what exists but is not served above is a directory or a link: no regular file (core/door.h) */
	return vm_sysfs_exists(m, path) == 0 ? -EPROTO : -ENOENT;
}

/*
 * driver_override as the kernel's driver_set_override() stores it: up to the
 * first NUL (Python sends some) or newline; nothing left clears it; a page or
 * more is -EINVAL.  The mock holds names of up to VM_DRIVER_MAX - 1 bytes
 * (no driver has a longer one): a longer value is -EINVAL here.
 */
static ssize_t store_override(struct vm_device *d, const char *buf, size_t n)
{
	size_t len;

	if (n >= 4096 - 1)
		return -EINVAL;
	len = strnlen(buf, n);
	for (size_t i = 0; i < len; i++)
		if (buf[i] == '\n')
			len = i;
	if (len >= sizeof(d->override))
		return -EINVAL;
	memcpy(d->override, buf, len);
	d->override[len] = '\0';
	return (ssize_t)n;
}

/* drivers_probe: bind to driver_override if set; the mock knows no id tables, so nothing else binds */
static ssize_t drivers_probe(struct vfioiommu_mock *m, struct vm_device *d, size_t n)
{
	int rc;

	if (d->driver[0] || !d->override[0])
		return (ssize_t)n;
	rc = vm_uevent_bind(m, d, d->override);
	return rc < 0 ? rc : (ssize_t)n;
}

/* /sys/bus/pci/drivers/NAME/{bind,unbind} */
static ssize_t driver_attr(struct vfioiommu_mock *m, const char *drv, const char *attr, struct vm_device *d,
			   size_t n)
{
	int rc;

	/* unbind_store / bind_store: -ENODEV unless the device is (un)bindable by this driver */
	if (!d)
		return -ENODEV;
	if (!strcmp(attr, "unbind")) {
		if (strcmp(d->driver, drv))
			return -ENODEV;
		/* Linux blocks until the user lets go; the mock refuses instead */
		rc = vm_uevent_unbind(m, d);
	} else {
		if (d->override[0] && strcmp(d->override, drv))
			return -ENODEV;
		rc = vm_uevent_bind(m, d, drv);
	}
	return rc < 0 ? rc : (ssize_t)n;
}

ssize_t vm_sysfs_write(struct vfioiommu_mock *m, const char *path, const char *buf, size_t n)
{
	/* mediated devices: their parents, types, devices and groups (mdev.c) */
	ssize_t mrc = vm_mdev_sysfs_write(m, path, buf, n);

	if (mrc != VM_MDEV_NOT_MINE)
		return mrc;
	struct vm_spath sp;
	struct vm_device *d;
	char val[VM_DRIVER_MAX];
	int rc = vm_spath_split(path, &sp);

	if (rc < 0)
		return rc;
	if (!buf)
		return -EFAULT;
	rc = vm_written(buf, n, val, sizeof(val));
	if (sp.n == 5 && vm_spath_is(&sp, 0, "bus") && vm_spath_is(&sp, 1, "pci") && vm_spath_is(&sp, 2, "devices") &&
	    (d = pci_find(m, sp.c[3]))) {
		if (vm_spath_is(&sp, 4, "driver_override"))
			return store_override(d, buf, n);
		if (vm_spath_is(&sp, 4, "sriov_numvfs") && d->sriov_total)
			return rc < 0 ? rc : vm_sriov_write_numvfs(m, sp.c[3], val, n);
		if (vm_spath_is(&sp, 4, "remove")) {
			if (rc < 0 || strcmp(val, "1"))
				return rc < 0 ? rc : (ssize_t)n; /* only "1" (kstrtoul true) removes */
			rc = vm_uevent_remove_device(m, d);
			return rc < 0 ? rc : (ssize_t)n;
		}
	}
	if (sp.n == 3 && vm_spath_is(&sp, 0, "bus") && vm_spath_is(&sp, 1, "pci") && vm_spath_is(&sp, 2, "drivers_probe")) {
		d = rc < 0 ? NULL : pci_find(m, val);
		return d ? drivers_probe(m, d, n) : -ENODEV;
	}
	if (sp.n == 5 && vm_spath_is(&sp, 0, "bus") && vm_spath_is(&sp, 1, "pci") && vm_spath_is(&sp, 2, "drivers") &&
	    (vm_spath_is(&sp, 4, "unbind") || vm_spath_is(&sp, 4, "bind")))
		return driver_attr(m, sp.c[3], sp.c[4], rc < 0 ? NULL : pci_find(m, val), n);
	/* the attributes the mock serves are read-only (kernfs: no write op -> EACCES) */
	return vm_sysfs_exists(m, path) == 0 ? -EACCES : -ENOENT;
}

ssize_t vm_sysfs_readlink(struct vfioiommu_mock *m, const char *path, char *buf, size_t n)
{
	/* mediated devices: their parents, types, devices and groups (mdev.c) */
	ssize_t mrc = vm_mdev_sysfs_readlink(m, path, buf, n);

	if (mrc != VM_MDEV_NOT_MINE)
		return mrc;
	struct vm_spath sp;
	struct vm_device *d;
	struct vm_group *g;
	int rc = vm_spath_split(path, &sp);

	if (rc < 0)
		return rc;
	if (sp.n == 5 && vm_spath_is(&sp, 0, "bus") && vm_spath_is(&sp, 1, "pci") && vm_spath_is(&sp, 2, "devices") &&
	    (d = pci_find(m, sp.c[3]))) {
		if (vm_spath_is(&sp, 4, "iommu_group"))
			return vm_put_link(buf, n, "../../../../kernel/iommu_groups/%u", d->group);
		if (vm_spath_is(&sp, 4, "iommu"))
			return read_iommu_link(m, buf, n);
		/* only a VF has physfn and only a PF virtfnN: elsewhere no such file (ENOENT) */
		if (vm_spath_is(&sp, 4, "physfn"))
			return d->is_vf ? vm_put_link(buf, n, "../%s", d->physfn) : -ENOENT;
		if (!strncmp(sp.c[4], "virtfn", 6)) {
			struct vm_device *vf = d->sriov_total ? vm_sriov_vf(m, d, (unsigned int)atoi(sp.c[4] + 6)) : NULL;

			return vf ? vm_put_link(buf, n, "../%s", vf->bdf) : -ENOENT;
		}
		if (vm_spath_is(&sp, 4, "driver")) {
			if (!d->driver[0])
				return -ENOENT;
			return vm_put_link(buf, n, "../../../../bus/pci/drivers/%s", d->driver);
		}
		return -EINVAL; /* exists but is not a link */
	}
	if (sp.n == 5 && vm_spath_is(&sp, 0, "kernel") && vm_spath_is(&sp, 1, "iommu_groups") && (g = group_of(m, sp.c[2])) &&
	    vm_spath_is(&sp, 3, "devices") && (d = vm_device_find(m, sp.c[4])) && d->group == g->num)
		return vm_put_link(buf, n, "../../../../devices/pci0000:00/%s", d->bdf);
	return -ENOENT;
}

int vm_sysfs_listdir(struct vfioiommu_mock *m, const char *path, vi_dirent_fn fn, void *arg)
{
	/* mediated devices: their parents, types, devices and groups (mdev.c) */
	int mrc = vm_mdev_sysfs_listdir(m, path, fn, arg);

	if (mrc != VM_MDEV_NOT_MINE)
		return mrc;
	struct vm_spath sp;
	struct vm_group *g;
	struct vm_device *d;
	char name[32];
	int rc = vm_spath_split(path, &sp);

	if (rc < 0)
		return rc;
	if (sp.n == 2 && vm_spath_is(&sp, 0, "kernel") && vm_spath_is(&sp, 1, "iommu_groups")) {
		for (size_t i = 0; i < m->ngroups; i++) {
			snprintf(name, sizeof(name), "%u", m->groups[i].num);
			if ((rc = fn(arg, name)))
				return rc > 0 ? 0 : rc;
		}
		return 0;
	}
	if (sp.n == 3 && vm_spath_is(&sp, 0, "kernel") && vm_spath_is(&sp, 1, "iommu_groups") && (g = group_of(m, sp.c[2]))) {
		static const char *const ents[] = { "devices", "reserved_regions", "type" };
		for (size_t i = 0; i < 3; i++)
			if ((rc = fn(arg, ents[i])))
				return rc > 0 ? 0 : rc;
		return 0;
	}
	if (sp.n == 4 && vm_spath_is(&sp, 0, "kernel") && vm_spath_is(&sp, 1, "iommu_groups") && (g = group_of(m, sp.c[2])) &&
	    vm_spath_is(&sp, 3, "devices")) {
		for (size_t i = 0; i < m->ndevs; i++)
			if (m->devs[i].group == g->num && (rc = fn(arg, m->devs[i].bdf)))
				return rc > 0 ? 0 : rc;
		return 0;
	}
	if (sp.n == 2 && vm_spath_is(&sp, 0, "class") && vm_spath_is(&sp, 1, "iommu")) {
		rc = has_iommu(m) ? fn(arg, vm_iommu_sysfs_name(m)) : 0;
		return rc > 0 ? 0 : rc;
	}
	if (sp.n == 3 && is_iommu_dir(m, &sp, 3)) {
		rc = iommu_attr_dir(m) ? fn(arg, iommu_attr_dir(m)) : 0;
		return rc > 0 ? 0 : rc;
	}
	if (sp.n == 4 && is_iommu_dir(m, &sp, 4) && iommu_attr_dir(m) && vm_spath_is(&sp, 3, iommu_attr_dir(m))) {
		const char *const *v = m->iommu_model == VFIOIOMMU_MOCK_IOMMU_AMD ? amd_attrs : intel_attrs;
		size_t cnt = m->iommu_model == VFIOIOMMU_MOCK_IOMMU_AMD ? 2 : 4;
		for (size_t i = 0; i < cnt; i++)
			if ((rc = fn(arg, v[i])))
				return rc > 0 ? 0 : rc;
		return 0;
	}
	if (sp.n == 2 && vm_spath_is(&sp, 0, "class") && vm_spath_is(&sp, 1, "misc")) {
		static const char *const misc[] = { "iommu", "vfio" };
		for (size_t i = 0; i < 2; i++)
			if (has_misc(m, misc[i]) && (rc = fn(arg, misc[i])))
				return rc > 0 ? 0 : rc;
		return 0;
	}
	if (sp.n == 3 && vm_spath_is(&sp, 0, "bus") && vm_spath_is(&sp, 1, "pci") && vm_spath_is(&sp, 2, "devices")) {
		for (size_t i = 0; i < m->ndevs; i++)
			if (!m->devs[i].mdev && (rc = fn(arg, m->devs[i].bdf)))
				return rc > 0 ? 0 : rc;
		return 0;
	}
	if (sp.n == 5 && vm_spath_is(&sp, 0, "bus") && vm_spath_is(&sp, 1, "pci") && vm_spath_is(&sp, 2, "devices") &&
	    (d = pci_find(m, sp.c[3])) && vm_spath_is(&sp, 4, "vfio-dev")) {
		if (!has_cdev(m, d))
			return -ENOENT;
		snprintf(name, sizeof(name), "vfio%u", d->cdev_index);
		rc = fn(arg, name);
		return rc > 0 ? 0 : rc;
	}
	return -ENOENT;
}

int vm_sysfs_exists(struct vfioiommu_mock *m, const char *path)
{
	/* mediated devices: their parents, types, devices and groups (mdev.c) */
	int mrc = vm_mdev_sysfs_exists(m, path);

	if (mrc != VM_MDEV_NOT_MINE)
		return mrc;
	struct vm_spath sp;
	struct vm_group *g;
	struct vm_device *d;
	int rc = vm_spath_split(path, &sp);

	if (rc < 0)
		return rc;
	if (sp.n <= 1)
		return 0;
	if (sp.n == 2 && vm_spath_is(&sp, 0, "kernel") && vm_spath_is(&sp, 1, "uevent_seqnum"))
		return 0;
	if (vm_spath_is(&sp, 0, "class")) {
		if (sp.n == 1)
			return 0;
		if (sp.n == 2)
			return vm_spath_is(&sp, 1, "iommu") || vm_spath_is(&sp, 1, "misc") ? 0 : -ENOENT;
		if (sp.n == 3 && vm_spath_is(&sp, 1, "misc"))
			return has_misc(m, sp.c[2]) ? 0 : -ENOENT;
		if (!is_iommu_dir(m, &sp, 3))
			return -ENOENT;
		if (sp.n == 3)
			return 0;
		if (!iommu_attr_dir(m) || !vm_spath_is(&sp, 3, iommu_attr_dir(m)))
			return -ENOENT;
		return sp.n == 4 || (sp.n == 5 && is_iommu_attr(m, sp.c[4])) ? 0 : -ENOENT;
	}
	if (vm_spath_is(&sp, 0, "module")) {
		if (sp.n == 1)
			return 0;
		if (!has_module(m, sp.c[1]))
			return -ENOENT;
		return sp.n == 2 || (sp.n == 3 && vm_spath_is(&sp, 2, "parameters")) ||
		       (sp.n == 4 && vm_spath_is(&sp, 2, "parameters") && vm_spath_is(&sp, 3, module_param(sp.c[1]))) ? 0 : -ENOENT;
	}
	if (vm_spath_is(&sp, 0, "kernel") && vm_spath_is(&sp, 1, "iommu_groups")) {
		if (sp.n == 2)
			return 0;
		if (!(g = group_of(m, sp.c[2])))
			return -ENOENT;
		if (sp.n == 3)
			return 0;
		if (sp.n == 4)
			return (vm_spath_is(&sp, 3, "devices") || vm_spath_is(&sp, 3, "reserved_regions") || vm_spath_is(&sp, 3, "type")) ? 0
																  : -ENOENT;
		if (sp.n == 5 && vm_spath_is(&sp, 3, "devices"))
			return (d = vm_device_find(m, sp.c[4])) && d->group == g->num ? 0 : -ENOENT;
		return -ENOENT;
	}
	if (vm_spath_is(&sp, 0, "bus") && vm_spath_is(&sp, 1, "pci") && vm_spath_is(&sp, 2, "devices")) {
		if (sp.n == 3)
			return 0;
		if (!(d = pci_find(m, sp.c[3])))
			return -ENOENT;
		if (sp.n == 4)
			return 0;
		if (sp.n == 5) {
			if (vm_spath_is(&sp, 4, "driver"))
				return d->driver[0] ? 0 : -ENOENT;
			if (vm_spath_is(&sp, 4, "vfio-dev"))
				return has_cdev(m, d) ? 0 : -ENOENT;
			if (vm_spath_is(&sp, 4, "iommu"))
				return has_iommu(m) ? 0 : -ENOENT;
			if (vm_spath_is(&sp, 4, "sriov_numvfs") || vm_spath_is(&sp, 4, "sriov_totalvfs"))
				return d->sriov_total ? 0 : -ENOENT;
			if (vm_spath_is(&sp, 4, "physfn"))
				return d->is_vf ? 0 : -ENOENT;
			if (!strncmp(sp.c[4], "virtfn", 6))
				return d->sriov_total && vm_sriov_vf(m, d, (unsigned int)atoi(sp.c[4] + 6)) ? 0 : -ENOENT;
			return (vm_spath_is(&sp, 4, "iommu_group") || vm_spath_is(&sp, 4, "vendor") || vm_spath_is(&sp, 4, "device") ||
				vm_spath_is(&sp, 4, "class") || vm_spath_is(&sp, 4, "driver_override"))
				       ? 0
				       : -ENOENT;
		}
		return -ENOENT;
	}
	if (sp.n == 2 && vm_spath_is(&sp, 0, "bus") && vm_spath_is(&sp, 1, "pci"))
		return 0;
	if (sp.n == 1 && (vm_spath_is(&sp, 0, "bus") || vm_spath_is(&sp, 0, "kernel")))
		return 0;
	return -ENOENT;
}
