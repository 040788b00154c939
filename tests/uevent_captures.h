/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * Uevents captured from Linux 7.2.13 (tests/vm, intel topology, QEMU e1000e
 * 0000:00:02.0 in group 2, cdev vfio0) with a NETLINK_KOBJECT_UEVENT socket,
 * byte for byte (every message came from port 0, multicast group 1):
 *   1. echo 0000:00:02.0 > /sys/bus/pci/drivers/vfio-pci/unbind
 *   2. echo > .../driver_override; echo 0000:00:02.0 > /sys/bus/pci/drivers_probe   (e1000e takes it)
 *   3. echo 0000:00:02.0 > /sys/bus/pci/drivers/e1000e/unbind
 *   4. echo vfio-pci > .../driver_override; echo 0000:00:02.0 > /sys/bus/pci/drivers_probe
 *   5. echo 1 > /sys/bus/pci/devices/0000:00:02.0/remove
 *   6. echo 1 > /sys/bus/pci/rescan   (the override is gone with the device: e1000e again)
 * Each entry: the message, the length the socket returned, and what the
 * parser must make of it.
 */
#ifndef TH_UEVENT_CAPTURES_H
#define TH_UEVENT_CAPTURES_H

#include "hotplug/uevent.h"

struct th_capture {
	const char *buf;
	size_t len;     /* sizeof the literal without the compiler's NUL */
	size_t got;     /* what recvmsg returned in the guest */
	enum vi_uev_action action;
	enum vi_uev_what what;
	const char *bdf, *driver;
	int group, cdev;
	uint64_t seqnum;
};

#define CAP(lit, got, act, what, bdf, drv, grp, cdev, seq) \
	{ lit, sizeof(lit) - 1, got, act, what, bdf, drv, grp, cdev, seq }

/* the first message of each step */
enum { TH_CAP_UNBIND_VFIO = 0, TH_CAP_PROBE_E1000E = 3, TH_CAP_UNBIND_E1000E = 8,
       TH_CAP_BIND_VFIO = 13, TH_CAP_REMOVE = 16, TH_CAP_RESCAN = 21, TH_CAP_COUNT = 28 };

static const struct th_capture th_captures[] = {
	CAP("remove@/devices/pci0000:00/0000:00:02.0/vfio-dev/vfio0\0"
	    "ACTION=remove\0"
	    "DEVPATH=/devices/pci0000:00/0000:00:02.0/vfio-dev/vfio0\0"
	    "SUBSYSTEM=vfio-dev\0"
	    "MAJOR=248\0"
	    "MINOR=0\0"
	    "DEVNAME=vfio/devices/vfio0\0"
	    "SEQNUM=891\0",
	    200, VI_UEV_ACT_REMOVE, VI_UEV_CDEV, "0000:00:02.0", "", -1, 0, 891),
	CAP("remove@/devices/virtual/vfio/2\0"
	    "ACTION=remove\0"
	    "DEVPATH=/devices/virtual/vfio/2\0"
	    "SUBSYSTEM=vfio\0"
	    "MAJOR=249\0"
	    "MINOR=0\0"
	    "DEVNAME=vfio/2\0"
	    "SEQNUM=892\0",
	    136, VI_UEV_ACT_REMOVE, VI_UEV_GROUP, "", "", 2, -1, 892),
	CAP("unbind@/devices/pci0000:00/0000:00:02.0\0"
	    "ACTION=unbind\0"
	    "DEVPATH=/devices/pci0000:00/0000:00:02.0\0"
	    "SUBSYSTEM=pci\0"
	    "PCI_CLASS=20000\0"
	    "PCI_ID=8086:10D3\0"
	    "PCI_SUBSYS_ID=8086:0000\0"
	    "PCI_SLOT_NAME=0000:00:02.0\0"
	    "SEQNUM=893\0",
	    204, VI_UEV_ACT_UNBIND, VI_UEV_PCI, "0000:00:02.0", "", -1, -1, 893),
	CAP("add@/devices/pci0000:00/0000:00:02.0/ptp/ptp0\0"
	    "ACTION=add\0"
	    "DEVPATH=/devices/pci0000:00/0000:00:02.0/ptp/ptp0\0"
	    "SUBSYSTEM=ptp\0"
	    "MAJOR=252\0"
	    "MINOR=0\0"
	    "DEVNAME=ptp0\0"
	    "SEQNUM=894\0",
	    163, VI_UEV_ACT_ADD, VI_UEV_IGNORE, "", "", -1, -1, 894),
	CAP("add@/devices/pci0000:00/0000:00:02.0/net/eth0/queues/rx-0\0"
	    "ACTION=add\0"
	    "DEVPATH=/devices/pci0000:00/0000:00:02.0/net/eth0/queues/rx-0\0"
	    "SUBSYSTEM=queues\0"
	    "SEQNUM=895\0",
	    159, VI_UEV_ACT_ADD, VI_UEV_IGNORE, "", "", -1, -1, 895),
	CAP("add@/devices/pci0000:00/0000:00:02.0/net/eth0/queues/tx-0\0"
	    "ACTION=add\0"
	    "DEVPATH=/devices/pci0000:00/0000:00:02.0/net/eth0/queues/tx-0\0"
	    "SUBSYSTEM=queues\0"
	    "SEQNUM=896\0",
	    159, VI_UEV_ACT_ADD, VI_UEV_IGNORE, "", "", -1, -1, 896),
	CAP("add@/devices/pci0000:00/0000:00:02.0/net/eth0\0"
	    "ACTION=add\0"
	    "DEVPATH=/devices/pci0000:00/0000:00:02.0/net/eth0\0"
	    "SUBSYSTEM=net\0"
	    "INTERFACE=eth0\0"
	    "IFINDEX=6\0"
	    "SEQNUM=897\0",
	    157, VI_UEV_ACT_ADD, VI_UEV_IGNORE, "", "", -1, -1, 897),
	CAP("bind@/devices/pci0000:00/0000:00:02.0\0"
	    "ACTION=bind\0"
	    "DEVPATH=/devices/pci0000:00/0000:00:02.0\0"
	    "SUBSYSTEM=pci\0"
	    "DRIVER=e1000e\0"
	    "PCI_CLASS=20000\0"
	    "PCI_ID=8086:10D3\0"
	    "PCI_SUBSYS_ID=8086:0000\0"
	    "PCI_SLOT_NAME=0000:00:02.0\0"
	    "MODALIAS=pci:v00008086d000010D3sv00008086sd00000000bc02sc00i00\0"
	    "SEQNUM=898\0",
	    277, VI_UEV_ACT_BIND, VI_UEV_PCI, "0000:00:02.0", "e1000e", -1, -1, 898),
	CAP("remove@/devices/pci0000:00/0000:00:02.0/ptp/ptp0\0"
	    "ACTION=remove\0"
	    "DEVPATH=/devices/pci0000:00/0000:00:02.0/ptp/ptp0\0"
	    "SUBSYSTEM=ptp\0"
	    "MAJOR=252\0"
	    "MINOR=0\0"
	    "DEVNAME=ptp0\0"
	    "SEQNUM=899\0",
	    169, VI_UEV_ACT_REMOVE, VI_UEV_IGNORE, "", "", -1, -1, 899),
	CAP("remove@/devices/pci0000:00/0000:00:02.0/net/eth0/queues/rx-0\0"
	    "ACTION=remove\0"
	    "DEVPATH=/devices/pci0000:00/0000:00:02.0/net/eth0/queues/rx-0\0"
	    "SUBSYSTEM=queues\0"
	    "SEQNUM=900\0",
	    165, VI_UEV_ACT_REMOVE, VI_UEV_IGNORE, "", "", -1, -1, 900),
	CAP("remove@/devices/pci0000:00/0000:00:02.0/net/eth0/queues/tx-0\0"
	    "ACTION=remove\0"
	    "DEVPATH=/devices/pci0000:00/0000:00:02.0/net/eth0/queues/tx-0\0"
	    "SUBSYSTEM=queues\0"
	    "SEQNUM=901\0",
	    165, VI_UEV_ACT_REMOVE, VI_UEV_IGNORE, "", "", -1, -1, 901),
	CAP("remove@/devices/pci0000:00/0000:00:02.0/net/eth0\0"
	    "ACTION=remove\0"
	    "DEVPATH=/devices/pci0000:00/0000:00:02.0/net/eth0\0"
	    "SUBSYSTEM=net\0"
	    "INTERFACE=eth0\0"
	    "IFINDEX=6\0"
	    "SEQNUM=902\0",
	    163, VI_UEV_ACT_REMOVE, VI_UEV_IGNORE, "", "", -1, -1, 902),
	CAP("unbind@/devices/pci0000:00/0000:00:02.0\0"
	    "ACTION=unbind\0"
	    "DEVPATH=/devices/pci0000:00/0000:00:02.0\0"
	    "SUBSYSTEM=pci\0"
	    "PCI_CLASS=20000\0"
	    "PCI_ID=8086:10D3\0"
	    "PCI_SUBSYS_ID=8086:0000\0"
	    "PCI_SLOT_NAME=0000:00:02.0\0"
	    "SEQNUM=903\0",
	    204, VI_UEV_ACT_UNBIND, VI_UEV_PCI, "0000:00:02.0", "", -1, -1, 903),
	CAP("add@/devices/virtual/vfio/2\0"
	    "ACTION=add\0"
	    "DEVPATH=/devices/virtual/vfio/2\0"
	    "SUBSYSTEM=vfio\0"
	    "MAJOR=249\0"
	    "MINOR=0\0"
	    "DEVNAME=vfio/2\0"
	    "SEQNUM=904\0",
	    130, VI_UEV_ACT_ADD, VI_UEV_GROUP, "", "", 2, -1, 904),
	CAP("add@/devices/pci0000:00/0000:00:02.0/vfio-dev/vfio0\0"
	    "ACTION=add\0"
	    "DEVPATH=/devices/pci0000:00/0000:00:02.0/vfio-dev/vfio0\0"
	    "SUBSYSTEM=vfio-dev\0"
	    "MAJOR=248\0"
	    "MINOR=0\0"
	    "DEVNAME=vfio/devices/vfio0\0"
	    "SEQNUM=905\0",
	    194, VI_UEV_ACT_ADD, VI_UEV_CDEV, "0000:00:02.0", "", -1, 0, 905),
	CAP("bind@/devices/pci0000:00/0000:00:02.0\0"
	    "ACTION=bind\0"
	    "DEVPATH=/devices/pci0000:00/0000:00:02.0\0"
	    "SUBSYSTEM=pci\0"
	    "DRIVER=vfio-pci\0"
	    "PCI_CLASS=20000\0"
	    "PCI_ID=8086:10D3\0"
	    "PCI_SUBSYS_ID=8086:0000\0"
	    "PCI_SLOT_NAME=0000:00:02.0\0"
	    "MODALIAS=pci:v00008086d000010D3sv00008086sd00000000bc02sc00i00\0"
	    "SEQNUM=906\0",
	    279, VI_UEV_ACT_BIND, VI_UEV_PCI, "0000:00:02.0", "vfio-pci", -1, -1, 906),
	CAP("remove@/devices/pci0000:00/0000:00:02.0/vfio-dev/vfio0\0"
	    "ACTION=remove\0"
	    "DEVPATH=/devices/pci0000:00/0000:00:02.0/vfio-dev/vfio0\0"
	    "SUBSYSTEM=vfio-dev\0"
	    "MAJOR=248\0"
	    "MINOR=0\0"
	    "DEVNAME=vfio/devices/vfio0\0"
	    "SEQNUM=907\0",
	    200, VI_UEV_ACT_REMOVE, VI_UEV_CDEV, "0000:00:02.0", "", -1, 0, 907),
	CAP("remove@/devices/virtual/vfio/2\0"
	    "ACTION=remove\0"
	    "DEVPATH=/devices/virtual/vfio/2\0"
	    "SUBSYSTEM=vfio\0"
	    "MAJOR=249\0"
	    "MINOR=0\0"
	    "DEVNAME=vfio/2\0"
	    "SEQNUM=908\0",
	    136, VI_UEV_ACT_REMOVE, VI_UEV_GROUP, "", "", 2, -1, 908),
	CAP("unbind@/devices/pci0000:00/0000:00:02.0\0"
	    "ACTION=unbind\0"
	    "DEVPATH=/devices/pci0000:00/0000:00:02.0\0"
	    "SUBSYSTEM=pci\0"
	    "PCI_CLASS=20000\0"
	    "PCI_ID=8086:10D3\0"
	    "PCI_SUBSYS_ID=8086:0000\0"
	    "PCI_SLOT_NAME=0000:00:02.0\0"
	    "SEQNUM=909\0",
	    204, VI_UEV_ACT_UNBIND, VI_UEV_PCI, "0000:00:02.0", "", -1, -1, 909),
	CAP("remove@/devices/pci0000:00/0000:00:02.0/wakeup/wakeup2\0"
	    "ACTION=remove\0"
	    "DEVPATH=/devices/pci0000:00/0000:00:02.0/wakeup/wakeup2\0"
	    "SUBSYSTEM=wakeup\0"
	    "SEQNUM=910\0",
	    153, VI_UEV_ACT_REMOVE, VI_UEV_IGNORE, "", "", -1, -1, 910),
	CAP("remove@/devices/pci0000:00/0000:00:02.0\0"
	    "ACTION=remove\0"
	    "DEVPATH=/devices/pci0000:00/0000:00:02.0\0"
	    "SUBSYSTEM=pci\0"
	    "PCI_CLASS=20000\0"
	    "PCI_ID=8086:10D3\0"
	    "PCI_SUBSYS_ID=8086:0000\0"
	    "PCI_SLOT_NAME=0000:00:02.0\0"
	    "MODALIAS=pci:v00008086d000010D3sv00008086sd00000000bc02sc00i00\0"
	    "SEQNUM=911\0",
	    267, VI_UEV_ACT_REMOVE, VI_UEV_PCI, "0000:00:02.0", "", -1, -1, 911),
	CAP("add@/devices/pci0000:00/0000:00:02.0/wakeup/wakeup2\0"
	    "ACTION=add\0"
	    "DEVPATH=/devices/pci0000:00/0000:00:02.0/wakeup/wakeup2\0"
	    "SUBSYSTEM=wakeup\0"
	    "SEQNUM=912\0",
	    147, VI_UEV_ACT_ADD, VI_UEV_IGNORE, "", "", -1, -1, 912),
	CAP("add@/devices/pci0000:00/0000:00:02.0\0"
	    "ACTION=add\0"
	    "DEVPATH=/devices/pci0000:00/0000:00:02.0\0"
	    "SUBSYSTEM=pci\0"
	    "PCI_CLASS=20000\0"
	    "PCI_ID=8086:10D3\0"
	    "PCI_SUBSYS_ID=8086:0000\0"
	    "PCI_SLOT_NAME=0000:00:02.0\0"
	    "MODALIAS=pci:v00008086d000010D3sv00008086sd00000000bc02sc00i00\0"
	    "SEQNUM=913\0",
	    261, VI_UEV_ACT_ADD, VI_UEV_PCI, "0000:00:02.0", "", -1, -1, 913),
	CAP("add@/devices/pci0000:00/0000:00:02.0/ptp/ptp0\0"
	    "ACTION=add\0"
	    "DEVPATH=/devices/pci0000:00/0000:00:02.0/ptp/ptp0\0"
	    "SUBSYSTEM=ptp\0"
	    "MAJOR=252\0"
	    "MINOR=0\0"
	    "DEVNAME=ptp0\0"
	    "SEQNUM=914\0",
	    163, VI_UEV_ACT_ADD, VI_UEV_IGNORE, "", "", -1, -1, 914),
	CAP("add@/devices/pci0000:00/0000:00:02.0/net/eth0/queues/rx-0\0"
	    "ACTION=add\0"
	    "DEVPATH=/devices/pci0000:00/0000:00:02.0/net/eth0/queues/rx-0\0"
	    "SUBSYSTEM=queues\0"
	    "SEQNUM=915\0",
	    159, VI_UEV_ACT_ADD, VI_UEV_IGNORE, "", "", -1, -1, 915),
	CAP("add@/devices/pci0000:00/0000:00:02.0/net/eth0/queues/tx-0\0"
	    "ACTION=add\0"
	    "DEVPATH=/devices/pci0000:00/0000:00:02.0/net/eth0/queues/tx-0\0"
	    "SUBSYSTEM=queues\0"
	    "SEQNUM=916\0",
	    159, VI_UEV_ACT_ADD, VI_UEV_IGNORE, "", "", -1, -1, 916),
	CAP("add@/devices/pci0000:00/0000:00:02.0/net/eth0\0"
	    "ACTION=add\0"
	    "DEVPATH=/devices/pci0000:00/0000:00:02.0/net/eth0\0"
	    "SUBSYSTEM=net\0"
	    "INTERFACE=eth0\0"
	    "IFINDEX=7\0"
	    "SEQNUM=917\0",
	    157, VI_UEV_ACT_ADD, VI_UEV_IGNORE, "", "", -1, -1, 917),
	CAP("bind@/devices/pci0000:00/0000:00:02.0\0"
	    "ACTION=bind\0"
	    "DEVPATH=/devices/pci0000:00/0000:00:02.0\0"
	    "SUBSYSTEM=pci\0"
	    "DRIVER=e1000e\0"
	    "PCI_CLASS=20000\0"
	    "PCI_ID=8086:10D3\0"
	    "PCI_SUBSYS_ID=8086:0000\0"
	    "PCI_SLOT_NAME=0000:00:02.0\0"
	    "MODALIAS=pci:v00008086d000010D3sv00008086sd00000000bc02sc00i00\0"
	    "SEQNUM=918\0",
	    277, VI_UEV_ACT_BIND, VI_UEV_PCI, "0000:00:02.0", "e1000e", -1, -1, 918),
};

#endif
