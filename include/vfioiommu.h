/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/**
 * @file vfioiommu.h  The umbrella header: every public header of libvfioiommu.
 * The mock kernel's <vfioiommu/mock.h> belongs to libvfioiommu-mock and is not
 * included: tests that use it include it and link that library.
 */
#ifndef VFIOIOMMU_H
#define VFIOIOMMU_H

#include <vfioiommu/common.h>
#include <vfioiommu/context.h>
#include <vfioiommu/device.h>
#include <vfioiommu/iova.h>
#include <vfioiommu/alloc.h>
#include <vfioiommu/dma.h>
#include <vfioiommu/resv.h>
#include <vfioiommu/caps.h>
#include <vfioiommu/pasid.h>
#include <vfioiommu/iommufd.h>
#include <vfioiommu/fault.h>
#include <vfioiommu/ring.h>
#include <vfioiommu/hotplug.h>
#include <vfioiommu/p2p.h>
#include <vfioiommu/adopt.h>
#include <vfioiommu/fdpass.h>
#include <vfioiommu/sriov.h>
#include <vfioiommu/objects.h>
#include <vfioiommu/ring_view.h>
#include <vfioiommu/mdev.h>
#include <vfioiommu/migration.h>
#include <vfioiommu/dirty.h>
#include <vfioiommu/liveupdate.h>

#endif
