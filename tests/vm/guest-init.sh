#!/bin/sh
# /init of the libvfioiommu VM test initramfs (tests/vm/guest-init.sh).
# Built into the initramfs by tests/vm/run-vm.sh together with /etc/vmtest.conf, which sets:
#   VMTEST_TOPOLOGY   topology name (exported to tests as VFIOIOMMU_VM_TOPOLOGY)
#   VMTEST_BIND_IDS   space-separated vendor:device ids (hex, no 0x) to bind to vfio-pci
#   VMTEST_TESTS      space-separated test binary names under /tests
#   VMTEST_TEST_TIMEOUT  per-binary timeout in seconds (0 = none)
#   VMTEST_EDU        1: bind QEMU's edu device (1234:11e8) to vfio-pci last, export VFIOIOMMU_VM_EDU
# Protocol lines on the console (parsed by run-vm.sh; each begins on a fresh line):
#   @@VMTEST-BOOT topology=<name>
#   @@VMTEST-BDFS <bdf> ...
#   @@VMTEST-BEGIN <name>
#   @@VMTEST-RESULT <name> rc=<exit code>
#   @@VMTEST-DONE
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
# /tmp stays on the initramfs root (already writable): test binaries may live under a /tmp path.
mkdir -p /dev/pts /tmp /sys/kernel/debug
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
. /etc/vmtest.conf

say() { printf '\n%s\n' "$*"; }

say "@@VMTEST-BOOT topology=$VMTEST_TOPOLOGY kernel=$(uname -r)"

# Pick devices by vendor:device, never by slot.
BDFS=""
for dev in /sys/bus/pci/devices/*; do
	bdf=${dev##*/}
	ven=$(cat "$dev/vendor"); did=$(cat "$dev/device")
	id="${ven#0x}:${did#0x}"
	want=0
	for w in $VMTEST_BIND_IDS; do [ "$w" = "$id" ] && want=1; done
	[ $want = 1 ] || continue
	if [ ! -e "$dev/iommu_group" ]; then
		say "@@VMTEST-NOTE $bdf ($id) has no iommu_group, not bound"
		continue
	fi
	echo vfio-pci > "$dev/driver_override"
	if [ -e "$dev/driver" ]; then
		drv=$(readlink "$dev/driver"); drv=${drv##*/}
		[ "$drv" = vfio-pci ] || echo "$bdf" > "$dev/driver/unbind"
	fi
	echo "$bdf" > /sys/bus/pci/drivers_probe 2>/dev/null
	BDFS="$BDFS $bdf"
done
BDFS=${BDFS# }

# Wait for the group node and the cdev node of every bound device (at most ~10 s).
OK_BDFS=""
for bdf in $BDFS; do
	dev=/sys/bus/pci/devices/$bdf
	grp=$(readlink "$dev/iommu_group"); grp=${grp##*/}
	i=0; ready=0
	while [ $i -lt 100 ]; do
		drv=$(readlink "$dev/driver" 2>/dev/null); drv=${drv##*/}
		cdev=$(ls "$dev/vfio-dev" 2>/dev/null | head -n1)
		if [ "$drv" = vfio-pci ] && [ -e "/dev/vfio/$grp" ] && [ -n "$cdev" ] && [ -e "/dev/vfio/devices/$cdev" ]; then
			ready=1; break
		fi
		sleep 0.1; i=$((i+1))
	done
	if [ $ready = 1 ]; then
		OK_BDFS="$OK_BDFS $bdf"
		say "@@VMTEST-NOTE bound $bdf group=$grp cdev=/dev/vfio/devices/$cdev"
	else
		say "@@VMTEST-NOTE bind of $bdf FAILED (driver=$drv group=$grp cdev=$cdev)"
	fi
done
OK_BDFS=${OK_BDFS# }

# intel only, and only after the NICs (so they keep vfio0..vfio2): hand the ICH9 LPC group to VFIO
# the way an admin would, so that its direct-relaxable region (Intel's floppy workaround, FACTS.md
# section g) meets a viable group with a device on vfio-pci. 00:1f.2 (AHCI, 8086:2922) is unbound
# and left without a driver; 00:1f.3 (SMBus, 8086:2930) goes from i801_smbus to vfio-pci and gets
# the next cdev. 00:1f.0 (the ISA bridge, 8086:2918) has no driver. Not in VFIOIOMMU_VM_BDFS: the
# guest programs that take devices from there see only the NICs. (Unbinding AHCI may print
# "ata3.00: Check power mode failed" as it lets go of QEMU's CD-ROM: harmless.)
by_id() {  # the BDFs of vendor:device $1 (hex, no 0x)
	for dev in /sys/bus/pci/devices/*; do
		ven=$(cat "$dev/vendor"); did=$(cat "$dev/device")
		[ "${ven#0x}:${did#0x}" = "$1" ] && echo "${dev##*/}"
	done
}
if [ "$VMTEST_TOPOLOGY" = intel ]; then
	for bdf in $(by_id 8086:2922); do
		dev=/sys/bus/pci/devices/$bdf
		[ -e "$dev/driver" ] && echo "$bdf" > "$dev/driver/unbind"
		drv=$(readlink "$dev/driver" 2>/dev/null); drv=${drv##*/}
		say "@@VMTEST-NOTE lpc: $bdf (8086:2922) unbound, driver=${drv:-none}"
	done
	for bdf in $(by_id 8086:2930); do
		dev=/sys/bus/pci/devices/$bdf
		echo vfio-pci > "$dev/driver_override"
		[ -e "$dev/driver" ] && echo "$bdf" > "$dev/driver/unbind"
		echo "$bdf" > /sys/bus/pci/drivers_probe 2>/dev/null
		grp=$(readlink "$dev/iommu_group"); grp=${grp##*/}
		i=0; cdev=""
		while [ $i -lt 100 ]; do
			drv=$(readlink "$dev/driver" 2>/dev/null); drv=${drv##*/}
			cdev=$(ls "$dev/vfio-dev" 2>/dev/null | head -n1)
			[ "$drv" = vfio-pci ] && [ -e "/dev/vfio/$grp" ] && [ -n "$cdev" ] &&
				[ -e "/dev/vfio/devices/$cdev" ] && break
			sleep 0.1; i=$((i+1))
		done
		say "@@VMTEST-NOTE lpc: $bdf (8086:2930) driver=${drv:-none} group=$grp cdev=/dev/vfio/devices/$cdev"
	done
fi

say "@@VMTEST-BDFS $OK_BDFS"

# run-vm.sh --edu: the edu DMA engine, last (so the devices above keep their cdev numbers), given to
# the programs on its own (VFIOIOMMU_VM_EDU), never in VFIOIOMMU_VM_BDFS.
EDU=""
if [ "${VMTEST_EDU:-0}" = 1 ]; then
	for bdf in $(by_id 1234:11e8); do
		dev=/sys/bus/pci/devices/$bdf
		echo vfio-pci > "$dev/driver_override"
		[ -e "$dev/driver" ] && echo "$bdf" > "$dev/driver/unbind"
		echo "$bdf" > /sys/bus/pci/drivers_probe 2>/dev/null
		grp=$(readlink "$dev/iommu_group"); grp=${grp##*/}
		i=0; cdev=""
		while [ $i -lt 100 ]; do
			drv=$(readlink "$dev/driver" 2>/dev/null); drv=${drv##*/}
			cdev=$(ls "$dev/vfio-dev" 2>/dev/null | head -n1)
			if [ "$drv" = vfio-pci ] && [ -e "/dev/vfio/$grp" ] && [ -n "$cdev" ] &&
				[ -e "/dev/vfio/devices/$cdev" ]; then
				EDU=$bdf; break
			fi
			sleep 0.1; i=$((i+1))
		done
		say "@@VMTEST-NOTE edu: $bdf (1234:11e8) driver=${drv:-none} group=$grp cdev=/dev/vfio/devices/$cdev"
	done
	say "@@VMTEST-EDU $EDU"
fi
export VFIOIOMMU_VM_EDU="$EDU"

export VFIOIOMMU_VM_BDFS="$OK_BDFS"
export VFIOIOMMU_VM_TOPOLOGY="$VMTEST_TOPOLOGY"
cd /tmp
for t in $VMTEST_TESTS; do
	say "@@VMTEST-BEGIN $t"
	if [ "${VMTEST_TEST_TIMEOUT:-0}" -gt 0 ]; then
		timeout -s KILL "$VMTEST_TEST_TIMEOUT" "/tests/$t" </dev/null 2>&1
	else
		"/tests/$t" </dev/null 2>&1
	fi
	rc=$?
	say "@@VMTEST-RESULT $t rc=$rc"
done
sync
say "@@VMTEST-DONE"
poweroff -f
# poweroff -f should not return; make sure we never drop into a kernel panic loop silently.
sleep 5
echo o > /proc/sysrq-trigger
